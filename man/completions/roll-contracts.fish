# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_roll_contracts_global_optspecs
    string join \n lock-timeout= format= data-dir= instruments= v/verbose generate= q/quiet log-format= no-progress h/help V/version
end

function __fish_roll_contracts_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_roll_contracts_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_roll_contracts_using_subcommand
    set -l cmd (__fish_roll_contracts_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c roll-contracts -n "__fish_roll_contracts_needs_command" -l lock-timeout -d 'Seconds to wait for another process writing to the data directory before giving up (exit 6)' -r
complete -c roll-contracts -n "__fish_roll_contracts_needs_command" -l format -d 'Output on stdout: table (aligned columns for people), csv (a header line, then one line per row) or json (one JSON object per line; a summary is one object)' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c roll-contracts -n "__fish_roll_contracts_needs_command" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c roll-contracts -n "__fish_roll_contracts_needs_command" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c roll-contracts -n "__fish_roll_contracts_needs_command" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c roll-contracts -n "__fish_roll_contracts_needs_command" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c roll-contracts -n "__fish_roll_contracts_needs_command" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c roll-contracts -n "__fish_roll_contracts_needs_command" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c roll-contracts -n "__fish_roll_contracts_needs_command" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c roll-contracts -n "__fish_roll_contracts_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c roll-contracts -n "__fish_roll_contracts_needs_command" -s V -l version -d 'Print version'
complete -c roll-contracts -n "__fish_roll_contracts_needs_command" -f -a "calendar" -d 'Build roll calendars (rolls/<I>.parquet) from contract prices and config/rolls.csv'
complete -c roll-contracts -n "__fish_roll_contracts_needs_command" -f -a "multiple" -d 'Build multiple prices (PRICE/FORWARD/CARRY) from roll calendars and contract prices'
complete -c roll-contracts -n "__fish_roll_contracts_needs_command" -f -a "adjust" -d 'Back-adjusted prices (prices/adjusted/) from multiple prices'
complete -c roll-contracts -n "__fish_roll_contracts_needs_command" -f -a "update" -d 'The daily step: append new PRICE/FORWARD/CARRY rows for the current contracts and extend the adjusted prices without rewriting history'
complete -c roll-contracts -n "__fish_roll_contracts_needs_command" -f -a "state" -d 'Show roll states, or set one (No_Roll, Passive, Force, Force_Outright, Close, Roll_Adjusted, No_Open) if the transition is allowed for the priced position'
complete -c roll-contracts -n "__fish_roll_contracts_needs_command" -f -a "roll" -d 'The production roll to the next contract of the named instrument, or of every instrument (or those of --instruments) in roll state Roll_Adjusted: new multiple-prices row, adjusted prices re-stitched, roll state back to No_Roll. Refused while the priced contract has a position; an instrument in another state is left alone (a warning)'
complete -c roll-contracts -n "__fish_roll_contracts_needs_command" -f -a "report" -d 'Per instrument: roll state, priced/forward/carry contracts, days to roll and to expiry, forward volume relative to priced, and the auto-roll rule\'s suggestion'
complete -c roll-contracts -n "__fish_roll_contracts_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand calendar" -l lock-timeout -d 'Seconds to wait for another process writing to the data directory before giving up (exit 6)' -r
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand calendar" -l format -d 'Output on stdout: table (aligned columns for people), csv (a header line, then one line per row) or json (one JSON object per line; a summary is one object)' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand calendar" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand calendar" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand calendar" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand calendar" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand calendar" -l from-multiple -d 'Back the calendar out of prices/multiple/ instead of building it from contract prices'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand calendar" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand calendar" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand calendar" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand calendar" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand multiple" -l lock-timeout -d 'Seconds to wait for another process writing to the data directory before giving up (exit 6)' -r
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand multiple" -l format -d 'Output on stdout: table (aligned columns for people), csv (a header line, then one line per row) or json (one JSON object per line; a summary is one object)' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand multiple" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand multiple" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand multiple" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand multiple" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand multiple" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand multiple" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand multiple" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand multiple" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand adjust" -l method -d 'panama: additive (pysystemtrade); ratio: proportional' -r -f -a "panama\t''
ratio\t''"
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand adjust" -l lock-timeout -d 'Seconds to wait for another process writing to the data directory before giving up (exit 6)' -r
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand adjust" -l format -d 'Output on stdout: table (aligned columns for people), csv (a header line, then one line per row) or json (one JSON object per line; a summary is one object)' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand adjust" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand adjust" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand adjust" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand adjust" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand adjust" -l forward-fill -d 'Forward-fill the multiple prices before stitching (for rolls lacking a matched price)'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand adjust" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand adjust" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand adjust" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand adjust" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand update" -l lock-timeout -d 'Seconds to wait for another process writing to the data directory before giving up (exit 6)' -r
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand update" -l format -d 'Output on stdout: table (aligned columns for people), csv (a header line, then one line per row) or json (one JSON object per line; a summary is one object)' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand update" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand update" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand update" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand update" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand update" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand update" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand update" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand update" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand state" -l set -d 'The new state' -r
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand state" -l lock-timeout -d 'Seconds to wait for another process writing to the data directory before giving up (exit 6)' -r
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand state" -l format -d 'Output on stdout: table (aligned columns for people), csv (a header line, then one line per row) or json (one JSON object per line; a summary is one object)' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand state" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand state" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand state" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand state" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand state" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand state" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand state" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand state" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand roll" -l as-of -d 'The date the decision is made for (default: today, UTC)' -r
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand roll" -l lock-timeout -d 'Seconds to wait for another process writing to the data directory before giving up (exit 6)' -r
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand roll" -l format -d 'Output on stdout: table (aligned columns for people), csv (a header line, then one line per row) or json (one JSON object per line; a summary is one object)' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand roll" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand roll" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand roll" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand roll" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand roll" -l auto -d 'Apply the auto-roll rule'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand roll" -l forward-fill -d 'Forward-fill the multiple prices before rolling and re-stitching'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand roll" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand roll" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand roll" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand roll" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand report" -l as-of -d 'The date the report is for (default: today, UTC)' -r
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand report" -l lock-timeout -d 'Seconds to wait for another process writing to the data directory before giving up (exit 6)' -r
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand report" -l format -d 'Output on stdout: table (aligned columns for people), csv (a header line, then one line per row) or json (one JSON object per line; a summary is one object)' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand report" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand report" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand report" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand report" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand report" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand report" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand report" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand report" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand help; and not __fish_seen_subcommand_from calendar multiple adjust update state roll report help" -f -a "calendar" -d 'Build roll calendars (rolls/<I>.parquet) from contract prices and config/rolls.csv'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand help; and not __fish_seen_subcommand_from calendar multiple adjust update state roll report help" -f -a "multiple" -d 'Build multiple prices (PRICE/FORWARD/CARRY) from roll calendars and contract prices'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand help; and not __fish_seen_subcommand_from calendar multiple adjust update state roll report help" -f -a "adjust" -d 'Back-adjusted prices (prices/adjusted/) from multiple prices'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand help; and not __fish_seen_subcommand_from calendar multiple adjust update state roll report help" -f -a "update" -d 'The daily step: append new PRICE/FORWARD/CARRY rows for the current contracts and extend the adjusted prices without rewriting history'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand help; and not __fish_seen_subcommand_from calendar multiple adjust update state roll report help" -f -a "state" -d 'Show roll states, or set one (No_Roll, Passive, Force, Force_Outright, Close, Roll_Adjusted, No_Open) if the transition is allowed for the priced position'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand help; and not __fish_seen_subcommand_from calendar multiple adjust update state roll report help" -f -a "roll" -d 'The production roll to the next contract of the named instrument, or of every instrument (or those of --instruments) in roll state Roll_Adjusted: new multiple-prices row, adjusted prices re-stitched, roll state back to No_Roll. Refused while the priced contract has a position; an instrument in another state is left alone (a warning)'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand help; and not __fish_seen_subcommand_from calendar multiple adjust update state roll report help" -f -a "report" -d 'Per instrument: roll state, priced/forward/carry contracts, days to roll and to expiry, forward volume relative to priced, and the auto-roll rule\'s suggestion'
complete -c roll-contracts -n "__fish_roll_contracts_using_subcommand help; and not __fish_seen_subcommand_from calendar multiple adjust update state roll report help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
