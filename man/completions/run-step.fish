# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_run_step_global_optspecs
    string join \n date= time= once metrics-file= alert-cmd= data-dir= instruments= v/verbose generate= q/quiet log-format= no-progress h/help V/version
end

function __fish_run_step_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_run_step_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_run_step_using_subcommand
    set -l cmd (__fish_run_step_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c run-step -n "__fish_run_step_needs_command" -l date -d 'Trading day the run belongs to (YYYY-MM-DD); default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c run-step -n "__fish_run_step_needs_command" -l time -d 'Time of day checked against the step\'s window (HH:MM); default now in SYSTRADE_TZ' -r
complete -c run-step -n "__fish_run_step_needs_command" -l metrics-file -d 'Prometheus textfile to rewrite after the step; default DATA/metrics/systrade.prom' -r -F
complete -c run-step -n "__fish_run_step_needs_command" -l alert-cmd -d 'Shell command run when the step fails (gets STEP and EXIT_CODE as $1 and $2)' -r
complete -c run-step -n "__fish_run_step_needs_command" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c run-step -n "__fish_run_step_needs_command" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c run-step -n "__fish_run_step_needs_command" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c run-step -n "__fish_run_step_needs_command" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c run-step -n "__fish_run_step_needs_command" -l once -d 'Do nothing (exit 0) when the step already succeeded on this run date, so re-running the pipeline resumes after the last failure'
complete -c run-step -n "__fish_run_step_needs_command" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c run-step -n "__fish_run_step_needs_command" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c run-step -n "__fish_run_step_needs_command" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c run-step -n "__fish_run_step_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c run-step -n "__fish_run_step_needs_command" -s V -l version -d 'Print version'
complete -c run-step -n "__fish_run_step_needs_command" -a "control" -d 'Process control: show statuses and the latest run of each step, or set a status'
complete -c run-step -n "__fish_run_step_needs_command" -a "capital" -d 'Total and per-strategy capital'
complete -c run-step -n "__fish_run_step_needs_command" -a "metrics" -d 'Rewrite the metrics file from state.sqlite'
complete -c run-step -n "__fish_run_step_needs_command" -a "instruments" -d 'Print the instruments the system trades, one per line (`scripts/daily` passes them to fetch-prices and roll-contracts): the keys of `instrument_weights`, else `instruments`, else every instrument with adjusted prices, minus the excluded duplicates and ignored instruments, as pysystemtrade\'s `get_instrument_list`'
complete -c run-step -n "__fish_run_step_needs_command" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c run-step -n "__fish_run_step_using_subcommand control; and not __fish_seen_subcommand_from set help" -l format -d 'Output format of the listing' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c run-step -n "__fish_run_step_using_subcommand control; and not __fish_seen_subcommand_from set help" -l date -d 'Trading day the run belongs to (YYYY-MM-DD); default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c run-step -n "__fish_run_step_using_subcommand control; and not __fish_seen_subcommand_from set help" -l metrics-file -d 'Prometheus textfile to rewrite after the step; default DATA/metrics/systrade.prom' -r -F
complete -c run-step -n "__fish_run_step_using_subcommand control; and not __fish_seen_subcommand_from set help" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c run-step -n "__fish_run_step_using_subcommand control; and not __fish_seen_subcommand_from set help" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c run-step -n "__fish_run_step_using_subcommand control; and not __fish_seen_subcommand_from set help" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c run-step -n "__fish_run_step_using_subcommand control; and not __fish_seen_subcommand_from set help" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c run-step -n "__fish_run_step_using_subcommand control; and not __fish_seen_subcommand_from set help" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c run-step -n "__fish_run_step_using_subcommand control; and not __fish_seen_subcommand_from set help" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c run-step -n "__fish_run_step_using_subcommand control; and not __fish_seen_subcommand_from set help" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c run-step -n "__fish_run_step_using_subcommand control; and not __fish_seen_subcommand_from set help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c run-step -n "__fish_run_step_using_subcommand control; and not __fish_seen_subcommand_from set help" -f -a "set" -d 'Set a step\'s status: GO, STOP, PAUSE or NO-RUN'
complete -c run-step -n "__fish_run_step_using_subcommand control; and not __fish_seen_subcommand_from set help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c run-step -n "__fish_run_step_using_subcommand control; and __fish_seen_subcommand_from set" -l reason -d 'Why (kept with the status and shown by `run-step control`)' -r
complete -c run-step -n "__fish_run_step_using_subcommand control; and __fish_seen_subcommand_from set" -l date -d 'Trading day the run belongs to (YYYY-MM-DD); default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c run-step -n "__fish_run_step_using_subcommand control; and __fish_seen_subcommand_from set" -l metrics-file -d 'Prometheus textfile to rewrite after the step; default DATA/metrics/systrade.prom' -r -F
complete -c run-step -n "__fish_run_step_using_subcommand control; and __fish_seen_subcommand_from set" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c run-step -n "__fish_run_step_using_subcommand control; and __fish_seen_subcommand_from set" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c run-step -n "__fish_run_step_using_subcommand control; and __fish_seen_subcommand_from set" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c run-step -n "__fish_run_step_using_subcommand control; and __fish_seen_subcommand_from set" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c run-step -n "__fish_run_step_using_subcommand control; and __fish_seen_subcommand_from set" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c run-step -n "__fish_run_step_using_subcommand control; and __fish_seen_subcommand_from set" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c run-step -n "__fish_run_step_using_subcommand control; and __fish_seen_subcommand_from set" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c run-step -n "__fish_run_step_using_subcommand control; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c run-step -n "__fish_run_step_using_subcommand control; and __fish_seen_subcommand_from help" -f -a "set" -d 'Set a step\'s status: GO, STOP, PAUSE or NO-RUN'
complete -c run-step -n "__fish_run_step_using_subcommand control; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and not __fish_seen_subcommand_from show set update confirm reject weight get help" -l date -d 'Trading day the run belongs to (YYYY-MM-DD); default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c run-step -n "__fish_run_step_using_subcommand capital; and not __fish_seen_subcommand_from show set update confirm reject weight get help" -l metrics-file -d 'Prometheus textfile to rewrite after the step; default DATA/metrics/systrade.prom' -r -F
complete -c run-step -n "__fish_run_step_using_subcommand capital; and not __fish_seen_subcommand_from show set update confirm reject weight get help" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c run-step -n "__fish_run_step_using_subcommand capital; and not __fish_seen_subcommand_from show set update confirm reject weight get help" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c run-step -n "__fish_run_step_using_subcommand capital; and not __fish_seen_subcommand_from show set update confirm reject weight get help" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c run-step -n "__fish_run_step_using_subcommand capital; and not __fish_seen_subcommand_from show set update confirm reject weight get help" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c run-step -n "__fish_run_step_using_subcommand capital; and not __fish_seen_subcommand_from show set update confirm reject weight get help" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and not __fish_seen_subcommand_from show set update confirm reject weight get help" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and not __fish_seen_subcommand_from show set update confirm reject weight get help" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and not __fish_seen_subcommand_from show set update confirm reject weight get help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and not __fish_seen_subcommand_from show set update confirm reject weight get help" -f -a "show" -d 'Current total capital, pending update, history and strategy allocation'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and not __fish_seen_subcommand_from show set update confirm reject weight get help" -f -a "set" -d 'Set total capital by hand'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and not __fish_seen_subcommand_from show set update confirm reject weight get help" -f -a "update" -d 'Apply the broker account value (base currency): full/half/fixed compounding; a move of more than 10% waits for `confirm` (exit 4)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and not __fish_seen_subcommand_from show set update confirm reject weight get help" -f -a "confirm" -d 'Accept the pending update that moved more than 10%'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and not __fish_seen_subcommand_from show set update confirm reject weight get help" -f -a "reject" -d 'Reject the pending update'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and not __fish_seen_subcommand_from show set update confirm reject weight get help" -f -a "weight" -d 'Set a strategy\'s allocation weight (capital_s = total × w_s / Σw)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and not __fish_seen_subcommand_from show set update confirm reject weight get help" -f -a "get" -d 'Print the capital a strategy trades (its allocation, or the total when no strategy has a weight) as a bare number for scripts (`size-positions --capital "$(run-step capital get)"`); exit 1 with nothing on stdout when no capital is set'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and not __fish_seen_subcommand_from show set update confirm reject weight get help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from show" -l format -d 'Output format' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from show" -l date -d 'Trading day the run belongs to (YYYY-MM-DD); default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from show" -l metrics-file -d 'Prometheus textfile to rewrite after the step; default DATA/metrics/systrade.prom' -r -F
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from show" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from show" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from show" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from show" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from show" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from set" -l note -d 'A note kept with the change' -r
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from set" -l date -d 'Trading day the run belongs to (YYYY-MM-DD); default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from set" -l metrics-file -d 'Prometheus textfile to rewrite after the step; default DATA/metrics/systrade.prom' -r -F
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from set" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from set" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from set" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from set" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from set" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from set" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from set" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from update" -l account-value -d 'The account value, in the base currency' -r
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from update" -l ibkr-url -d 'IB Client Portal gateway base URL (with --from-broker)' -r
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from update" -l ibkr-account -d 'IB account id (with --from-broker); default: the gateway\'s selected account' -r
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from update" -l method -d 'How capital follows the account (pysystemtrade\'s production_capital_method): full (every gain and loss), half (losses reduce it, gains above the high-water mark do not) or fixed (unchanged; the account value is only recorded)' -r -f -a "full\t''
half\t''
fixed\t''"
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from update" -l date -d 'Trading day the run belongs to (YYYY-MM-DD); default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from update" -l metrics-file -d 'Prometheus textfile to rewrite after the step; default DATA/metrics/systrade.prom' -r -F
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from update" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from update" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from update" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from update" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from update" -l from-broker -d 'Read the account value (net liquidation) from the IB gateway at --ibkr-url'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from update" -l ibkr-insecure -d 'Accept the IB gateway\'s self-signed or expired TLS certificate (with --from-broker)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from update" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from update" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from update" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from update" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from confirm" -l date -d 'Trading day the run belongs to (YYYY-MM-DD); default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from confirm" -l metrics-file -d 'Prometheus textfile to rewrite after the step; default DATA/metrics/systrade.prom' -r -F
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from confirm" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from confirm" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from confirm" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from confirm" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from confirm" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from confirm" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from confirm" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from confirm" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from reject" -l date -d 'Trading day the run belongs to (YYYY-MM-DD); default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from reject" -l metrics-file -d 'Prometheus textfile to rewrite after the step; default DATA/metrics/systrade.prom' -r -F
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from reject" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from reject" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from reject" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from reject" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from reject" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from reject" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from reject" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from reject" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from weight" -l date -d 'Trading day the run belongs to (YYYY-MM-DD); default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from weight" -l metrics-file -d 'Prometheus textfile to rewrite after the step; default DATA/metrics/systrade.prom' -r -F
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from weight" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from weight" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from weight" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from weight" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from weight" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from weight" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from weight" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from weight" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from get" -l strategy -d 'The strategy name' -r
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from get" -l date -d 'Trading day the run belongs to (YYYY-MM-DD); default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from get" -l metrics-file -d 'Prometheus textfile to rewrite after the step; default DATA/metrics/systrade.prom' -r -F
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from get" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from get" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from get" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from get" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from get" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from get" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from get" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from help" -f -a "show" -d 'Current total capital, pending update, history and strategy allocation'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from help" -f -a "set" -d 'Set total capital by hand'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from help" -f -a "update" -d 'Apply the broker account value (base currency): full/half/fixed compounding; a move of more than 10% waits for `confirm` (exit 4)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from help" -f -a "confirm" -d 'Accept the pending update that moved more than 10%'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from help" -f -a "reject" -d 'Reject the pending update'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from help" -f -a "weight" -d 'Set a strategy\'s allocation weight (capital_s = total × w_s / Σw)'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from help" -f -a "get" -d 'Print the capital a strategy trades (its allocation, or the total when no strategy has a weight) as a bare number for scripts (`size-positions --capital "$(run-step capital get)"`); exit 1 with nothing on stdout when no capital is set'
complete -c run-step -n "__fish_run_step_using_subcommand capital; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c run-step -n "__fish_run_step_using_subcommand metrics" -l date -d 'Trading day the run belongs to (YYYY-MM-DD); default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c run-step -n "__fish_run_step_using_subcommand metrics" -l metrics-file -d 'Prometheus textfile to rewrite after the step; default DATA/metrics/systrade.prom' -r -F
complete -c run-step -n "__fish_run_step_using_subcommand metrics" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c run-step -n "__fish_run_step_using_subcommand metrics" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c run-step -n "__fish_run_step_using_subcommand metrics" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c run-step -n "__fish_run_step_using_subcommand metrics" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c run-step -n "__fish_run_step_using_subcommand metrics" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c run-step -n "__fish_run_step_using_subcommand metrics" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c run-step -n "__fish_run_step_using_subcommand metrics" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c run-step -n "__fish_run_step_using_subcommand metrics" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c run-step -n "__fish_run_step_using_subcommand instruments" -l config -d 'System config; default DATA/config/system.yaml' -r -F
complete -c run-step -n "__fish_run_step_using_subcommand instruments" -l date -d 'Trading day the run belongs to (YYYY-MM-DD); default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c run-step -n "__fish_run_step_using_subcommand instruments" -l metrics-file -d 'Prometheus textfile to rewrite after the step; default DATA/metrics/systrade.prom' -r -F
complete -c run-step -n "__fish_run_step_using_subcommand instruments" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c run-step -n "__fish_run_step_using_subcommand instruments" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c run-step -n "__fish_run_step_using_subcommand instruments" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c run-step -n "__fish_run_step_using_subcommand instruments" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c run-step -n "__fish_run_step_using_subcommand instruments" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c run-step -n "__fish_run_step_using_subcommand instruments" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c run-step -n "__fish_run_step_using_subcommand instruments" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c run-step -n "__fish_run_step_using_subcommand instruments" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c run-step -n "__fish_run_step_using_subcommand help; and not __fish_seen_subcommand_from control capital metrics instruments help" -f -a "control" -d 'Process control: show statuses and the latest run of each step, or set a status'
complete -c run-step -n "__fish_run_step_using_subcommand help; and not __fish_seen_subcommand_from control capital metrics instruments help" -f -a "capital" -d 'Total and per-strategy capital'
complete -c run-step -n "__fish_run_step_using_subcommand help; and not __fish_seen_subcommand_from control capital metrics instruments help" -f -a "metrics" -d 'Rewrite the metrics file from state.sqlite'
complete -c run-step -n "__fish_run_step_using_subcommand help; and not __fish_seen_subcommand_from control capital metrics instruments help" -f -a "instruments" -d 'Print the instruments the system trades, one per line (`scripts/daily` passes them to fetch-prices and roll-contracts): the keys of `instrument_weights`, else `instruments`, else every instrument with adjusted prices, minus the excluded duplicates and ignored instruments, as pysystemtrade\'s `get_instrument_list`'
complete -c run-step -n "__fish_run_step_using_subcommand help; and not __fish_seen_subcommand_from control capital metrics instruments help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c run-step -n "__fish_run_step_using_subcommand help; and __fish_seen_subcommand_from control" -f -a "set" -d 'Set a step\'s status: GO, STOP, PAUSE or NO-RUN'
complete -c run-step -n "__fish_run_step_using_subcommand help; and __fish_seen_subcommand_from capital" -f -a "show" -d 'Current total capital, pending update, history and strategy allocation'
complete -c run-step -n "__fish_run_step_using_subcommand help; and __fish_seen_subcommand_from capital" -f -a "set" -d 'Set total capital by hand'
complete -c run-step -n "__fish_run_step_using_subcommand help; and __fish_seen_subcommand_from capital" -f -a "update" -d 'Apply the broker account value (base currency): full/half/fixed compounding; a move of more than 10% waits for `confirm` (exit 4)'
complete -c run-step -n "__fish_run_step_using_subcommand help; and __fish_seen_subcommand_from capital" -f -a "confirm" -d 'Accept the pending update that moved more than 10%'
complete -c run-step -n "__fish_run_step_using_subcommand help; and __fish_seen_subcommand_from capital" -f -a "reject" -d 'Reject the pending update'
complete -c run-step -n "__fish_run_step_using_subcommand help; and __fish_seen_subcommand_from capital" -f -a "weight" -d 'Set a strategy\'s allocation weight (capital_s = total × w_s / Σw)'
complete -c run-step -n "__fish_run_step_using_subcommand help; and __fish_seen_subcommand_from capital" -f -a "get" -d 'Print the capital a strategy trades (its allocation, or the total when no strategy has a weight) as a bare number for scripts (`size-positions --capital "$(run-step capital get)"`); exit 1 with nothing on stdout when no capital is set'
