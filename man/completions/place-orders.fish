# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_place_orders_global_optspecs
    string join \n broker= strategies= dry-run date= sim-slippage= ibkr-url= ibkr-account= ibkr-insecure wait= poll-interval= max-contracts= lock-timeout= format= config= data-dir= instruments= v/verbose generate= q/quiet log-format= no-progress h/help V/version
end

function __fish_place_orders_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_place_orders_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_place_orders_using_subcommand
    set -l cmd (__fish_place_orders_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c place-orders -n "__fish_place_orders_needs_command" -l broker -d 'Broker to send orders to' -r -f -a "sim\t'Deterministic paper broker: fills at once at the reference price plus slippage'
ibkr\t'Interactive Brokers Client Portal Web API gateway'"
complete -c place-orders -n "__fish_place_orders_needs_command" -l strategies -d 'Only these strategies (comma separated); default: every strategy with optimal positions' -r
complete -c place-orders -n "__fish_place_orders_needs_command" -l date -d 'Trading date (YYYY-MM-DD) for client order ids and trade-limit periods; default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c place-orders -n "__fish_place_orders_needs_command" -l sim-slippage -d 'Sim broker slippage in price units per contract, against the trade' -r
complete -c place-orders -n "__fish_place_orders_needs_command" -l ibkr-url -d 'IB Client Portal gateway base URL' -r
complete -c place-orders -n "__fish_place_orders_needs_command" -l ibkr-account -d 'IB account id; default: the gateway\'s selected account' -r
complete -c place-orders -n "__fish_place_orders_needs_command" -l wait -d 'Seconds to keep polling working orders for fills (they are picked up by the next run otherwise)' -r
complete -c place-orders -n "__fish_place_orders_needs_command" -l poll-interval -d 'Milliseconds between status polls' -r
complete -c place-orders -n "__fish_place_orders_needs_command" -l max-contracts -d 'Sanity bound: the most contracts a position or order of any one instrument may reach (per strategy and for the instrument as a whole). An optimal position, order or resulting position beyond it (or not a finite number) is refused and the instrument locked (source `sanity`, exit 4). Default per instrument: min(10000, max(1, floor(100 × capital / contract value))), capital from state.sqlite (run-step capital), contract value |reference price × Pointsize| × FX rate to USD; 10000 when either is unknown' -r
complete -c place-orders -n "__fish_place_orders_needs_command" -l lock-timeout -d 'Seconds to wait for another process writing to the data directory (its write lock, which an order run holds from before it reads any input until it is done) before giving up (exit 6)' -r
complete -c place-orders -n "__fish_place_orders_needs_command" -l format -d 'Output format of summaries and listings on stdout: table, csv or json (JSON Lines; the order run\'s rows carry "table": "instruments" | "orders" | "config_overrides" | "breaks")' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c place-orders -n "__fish_place_orders_needs_command" -l config -d 'The system config whose instrument lists are overrides, as in pysystemtrade\'s production: exclude_instrument_lists.trading_restrictions -> no-trading; bad_markets, ignore_instruments and duplicate_instruments.exclude -> reduce-only (combined with the overrides set here, the most conservative wins). Read on every order run and `overrides list`; default DATA/config/system.yaml (none apply when it does not exist)' -r -F
complete -c place-orders -n "__fish_place_orders_needs_command" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c place-orders -n "__fish_place_orders_needs_command" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c place-orders -n "__fish_place_orders_needs_command" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c place-orders -n "__fish_place_orders_needs_command" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c place-orders -n "__fish_place_orders_needs_command" -l dry-run -d 'Show the orders that would be sent; write and send nothing'
complete -c place-orders -n "__fish_place_orders_needs_command" -l ibkr-insecure -d 'Accept the IB gateway\'s self-signed or expired TLS certificate (the gateway ships one); only for the gateway at --ibkr-url'
complete -c place-orders -n "__fish_place_orders_needs_command" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c place-orders -n "__fish_place_orders_needs_command" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c place-orders -n "__fish_place_orders_needs_command" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c place-orders -n "__fish_place_orders_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c place-orders -n "__fish_place_orders_needs_command" -s V -l version -d 'Print version'
complete -c place-orders -n "__fish_place_orders_needs_command" -f -a "positions" -d 'Strategy and contract positions; `positions adopt` records the broker\'s as ours'
complete -c place-orders -n "__fish_place_orders_needs_command" -f -a "trades" -d 'Trades done outside the system (`trades add`)'
complete -c place-orders -n "__fish_place_orders_needs_command" -f -a "orders" -d 'Active orders (instrument and broker level), or completed ones with --history'
complete -c place-orders -n "__fish_place_orders_needs_command" -f -a "overrides" -d 'Position multipliers, reduce-only and no-trading overrides: those set here and those the system config implies (listed with their source)'
complete -c place-orders -n "__fish_place_orders_needs_command" -f -a "limits" -d 'Position limits and trade limits'
complete -c place-orders -n "__fish_place_orders_needs_command" -f -a "locks" -d 'Instrument locks: manual ones, and those set by a position break'
complete -c place-orders -n "__fish_place_orders_needs_command" -f -a "audit" -d 'The append-only audit trail of decisions that changed or blocked orders'
complete -c place-orders -n "__fish_place_orders_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and not __fish_seen_subcommand_from adopt help" -l date -d 'Trading date (YYYY-MM-DD) for client order ids and trade-limit periods; default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and not __fish_seen_subcommand_from adopt help" -l format -d 'Output format of summaries and listings on stdout: table, csv or json (JSON Lines; the order run\'s rows carry "table": "instruments" | "orders" | "config_overrides" | "breaks")' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and not __fish_seen_subcommand_from adopt help" -l config -d 'The system config whose instrument lists are overrides, as in pysystemtrade\'s production: exclude_instrument_lists.trading_restrictions -> no-trading; bad_markets, ignore_instruments and duplicate_instruments.exclude -> reduce-only (combined with the overrides set here, the most conservative wins). Read on every order run and `overrides list`; default DATA/config/system.yaml (none apply when it does not exist)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and not __fish_seen_subcommand_from adopt help" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and not __fish_seen_subcommand_from adopt help" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and not __fish_seen_subcommand_from adopt help" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and not __fish_seen_subcommand_from adopt help" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and not __fish_seen_subcommand_from adopt help" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and not __fish_seen_subcommand_from adopt help" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and not __fish_seen_subcommand_from adopt help" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and not __fish_seen_subcommand_from adopt help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and not __fish_seen_subcommand_from adopt help" -f -a "adopt" -d 'Going live: read the broker\'s contract positions (IB gateway, or --csv FILE), show where they differ from ours, and after confirmation record them as ours: contract positions set to the broker\'s, the strategy position of --strategy moved so that the instrument\'s strategy positions add up to them; every change audited (who, what, source). Asks on a terminal; --yes for scripts (without a terminal and without --yes: exit 2). Positions the mapping (config/ibkr.csv) cannot place are shown, not adopted (exit 3)'
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and not __fish_seen_subcommand_from adopt help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and __fish_seen_subcommand_from adopt" -l strategy -d 'The strategy that takes up the difference in each instrument' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and __fish_seen_subcommand_from adopt" -l csv -d 'Read the broker\'s positions from this CSV (columns instrument,contract,position; every contract of the selected instruments not in it is taken as 0) instead of the gateway' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and __fish_seen_subcommand_from adopt" -l ibkr-url -d 'IB Client Portal gateway base URL' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and __fish_seen_subcommand_from adopt" -l ibkr-account -d 'IB account id; default: the gateway\'s selected account' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and __fish_seen_subcommand_from adopt" -l lock-timeout -d 'Seconds to wait for another process writing to the data directory (exit 6 after)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and __fish_seen_subcommand_from adopt" -l date -d 'Trading date (YYYY-MM-DD) for client order ids and trade-limit periods; default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and __fish_seen_subcommand_from adopt" -l format -d 'Output format of summaries and listings on stdout: table, csv or json (JSON Lines; the order run\'s rows carry "table": "instruments" | "orders" | "config_overrides" | "breaks")' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and __fish_seen_subcommand_from adopt" -l config -d 'The system config whose instrument lists are overrides, as in pysystemtrade\'s production: exclude_instrument_lists.trading_restrictions -> no-trading; bad_markets, ignore_instruments and duplicate_instruments.exclude -> reduce-only (combined with the overrides set here, the most conservative wins). Read on every order run and `overrides list`; default DATA/config/system.yaml (none apply when it does not exist)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and __fish_seen_subcommand_from adopt" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and __fish_seen_subcommand_from adopt" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and __fish_seen_subcommand_from adopt" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and __fish_seen_subcommand_from adopt" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and __fish_seen_subcommand_from adopt" -l yes -d 'Record without asking'
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and __fish_seen_subcommand_from adopt" -l ibkr-insecure -d 'Accept the IB gateway\'s self-signed or expired TLS certificate (the gateway ships one); only for the gateway at --ibkr-url'
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and __fish_seen_subcommand_from adopt" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and __fish_seen_subcommand_from adopt" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and __fish_seen_subcommand_from adopt" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and __fish_seen_subcommand_from adopt" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and __fish_seen_subcommand_from help" -f -a "adopt" -d 'Going live: read the broker\'s contract positions (IB gateway, or --csv FILE), show where they differ from ours, and after confirmation record them as ours: contract positions set to the broker\'s, the strategy position of --strategy moved so that the instrument\'s strategy positions add up to them; every change audited (who, what, source). Asks on a terminal; --yes for scripts (without a terminal and without --yes: exit 2). Positions the mapping (config/ibkr.csv) cannot place are shown, not adopted (exit 3)'
complete -c place-orders -n "__fish_place_orders_using_subcommand positions; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and not __fish_seen_subcommand_from add help" -l date -d 'Trading date (YYYY-MM-DD) for client order ids and trade-limit periods; default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and not __fish_seen_subcommand_from add help" -l format -d 'Output format of summaries and listings on stdout: table, csv or json (JSON Lines; the order run\'s rows carry "table": "instruments" | "orders" | "config_overrides" | "breaks")' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and not __fish_seen_subcommand_from add help" -l config -d 'The system config whose instrument lists are overrides, as in pysystemtrade\'s production: exclude_instrument_lists.trading_restrictions -> no-trading; bad_markets, ignore_instruments and duplicate_instruments.exclude -> reduce-only (combined with the overrides set here, the most conservative wins). Read on every order run and `overrides list`; default DATA/config/system.yaml (none apply when it does not exist)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and not __fish_seen_subcommand_from add help" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and not __fish_seen_subcommand_from add help" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and not __fish_seen_subcommand_from add help" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and not __fish_seen_subcommand_from add help" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and not __fish_seen_subcommand_from add help" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and not __fish_seen_subcommand_from add help" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and not __fish_seen_subcommand_from add help" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and not __fish_seen_subcommand_from add help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and not __fish_seen_subcommand_from add help" -f -a "add" -d 'Record a fill done outside the system (a balance trade): a complete, filled order family (broker `manual`, type `balance`) that moves the strategy and contract positions, shows in `orders --history` and `report trades`, and is audited. Refused beyond the sanity bound (exit 4) or when not a valid trade (exit 2)'
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and not __fish_seen_subcommand_from add help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and __fish_seen_subcommand_from add" -l price -d 'Fill price in the instrument\'s price units (as stored, after priceMagnifier)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and __fish_seen_subcommand_from add" -l strategy -d 'Strategy the trade belongs to' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and __fish_seen_subcommand_from add" -l reason -d 'Why (kept in the audit trail and the order\'s message)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and __fish_seen_subcommand_from add" -l fill-time -d 'Fill time (`YYYY-MM-DD HH:MM:SS`, UTC); default now' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and __fish_seen_subcommand_from add" -l max-contracts -d 'Sanity bound for this trade and the resulting positions; default as for the order run' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and __fish_seen_subcommand_from add" -l lock-timeout -d 'Seconds to wait for another process writing to the data directory (exit 6 after)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and __fish_seen_subcommand_from add" -l date -d 'Trading date (YYYY-MM-DD) for client order ids and trade-limit periods; default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and __fish_seen_subcommand_from add" -l format -d 'Output format of summaries and listings on stdout: table, csv or json (JSON Lines; the order run\'s rows carry "table": "instruments" | "orders" | "config_overrides" | "breaks")' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and __fish_seen_subcommand_from add" -l config -d 'The system config whose instrument lists are overrides, as in pysystemtrade\'s production: exclude_instrument_lists.trading_restrictions -> no-trading; bad_markets, ignore_instruments and duplicate_instruments.exclude -> reduce-only (combined with the overrides set here, the most conservative wins). Read on every order run and `overrides list`; default DATA/config/system.yaml (none apply when it does not exist)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and __fish_seen_subcommand_from add" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and __fish_seen_subcommand_from add" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and __fish_seen_subcommand_from add" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and __fish_seen_subcommand_from add" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and __fish_seen_subcommand_from add" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and __fish_seen_subcommand_from add" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and __fish_seen_subcommand_from add" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and __fish_seen_subcommand_from help" -f -a "add" -d 'Record a fill done outside the system (a balance trade): a complete, filled order family (broker `manual`, type `balance`) that moves the strategy and contract positions, shows in `orders --history` and `report trades`, and is audited. Refused beyond the sanity bound (exit 4) or when not a valid trade (exit 2)'
complete -c place-orders -n "__fish_place_orders_using_subcommand trades; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c place-orders -n "__fish_place_orders_using_subcommand orders" -l date -d 'Trading date (YYYY-MM-DD) for client order ids and trade-limit periods; default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand orders" -l format -d 'Output format of summaries and listings on stdout: table, csv or json (JSON Lines; the order run\'s rows carry "table": "instruments" | "orders" | "config_overrides" | "breaks")' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c place-orders -n "__fish_place_orders_using_subcommand orders" -l config -d 'The system config whose instrument lists are overrides, as in pysystemtrade\'s production: exclude_instrument_lists.trading_restrictions -> no-trading; bad_markets, ignore_instruments and duplicate_instruments.exclude -> reduce-only (combined with the overrides set here, the most conservative wins). Read on every order run and `overrides list`; default DATA/config/system.yaml (none apply when it does not exist)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand orders" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand orders" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand orders" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c place-orders -n "__fish_place_orders_using_subcommand orders" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c place-orders -n "__fish_place_orders_using_subcommand orders" -l history -d 'Completed orders (moved to history) instead of the active ones'
complete -c place-orders -n "__fish_place_orders_using_subcommand orders" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c place-orders -n "__fish_place_orders_using_subcommand orders" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c place-orders -n "__fish_place_orders_using_subcommand orders" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c place-orders -n "__fish_place_orders_using_subcommand orders" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and not __fish_seen_subcommand_from set clear list help" -l date -d 'Trading date (YYYY-MM-DD) for client order ids and trade-limit periods; default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and not __fish_seen_subcommand_from set clear list help" -l format -d 'Output format of summaries and listings on stdout: table, csv or json (JSON Lines; the order run\'s rows carry "table": "instruments" | "orders" | "config_overrides" | "breaks")' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and not __fish_seen_subcommand_from set clear list help" -l config -d 'The system config whose instrument lists are overrides, as in pysystemtrade\'s production: exclude_instrument_lists.trading_restrictions -> no-trading; bad_markets, ignore_instruments and duplicate_instruments.exclude -> reduce-only (combined with the overrides set here, the most conservative wins). Read on every order run and `overrides list`; default DATA/config/system.yaml (none apply when it does not exist)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and not __fish_seen_subcommand_from set clear list help" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and not __fish_seen_subcommand_from set clear list help" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and not __fish_seen_subcommand_from set clear list help" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and not __fish_seen_subcommand_from set clear list help" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and not __fish_seen_subcommand_from set clear list help" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and not __fish_seen_subcommand_from set clear list help" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and not __fish_seen_subcommand_from set clear list help" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and not __fish_seen_subcommand_from set clear list help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and not __fish_seen_subcommand_from set clear list help" -f -a "set" -d 'Set an override: a multiplier in [0, 1], `close` (= 0), `reduce-only` or `no-trading`'
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and not __fish_seen_subcommand_from set clear list help" -f -a "clear" -d 'Remove an override'
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and not __fish_seen_subcommand_from set clear list help" -f -a "list"
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and not __fish_seen_subcommand_from set clear list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from set" -l strategy -d 'Strategy (omit for every strategy)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from set" -l instrument -d 'Instrument (omit for every instrument, where allowed)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from set" -l date -d 'Trading date (YYYY-MM-DD) for client order ids and trade-limit periods; default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from set" -l format -d 'Output format of summaries and listings on stdout: table, csv or json (JSON Lines; the order run\'s rows carry "table": "instruments" | "orders" | "config_overrides" | "breaks")' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from set" -l config -d 'The system config whose instrument lists are overrides, as in pysystemtrade\'s production: exclude_instrument_lists.trading_restrictions -> no-trading; bad_markets, ignore_instruments and duplicate_instruments.exclude -> reduce-only (combined with the overrides set here, the most conservative wins). Read on every order run and `overrides list`; default DATA/config/system.yaml (none apply when it does not exist)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from set" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from set" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from set" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from set" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from set" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from set" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from set" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from clear" -l strategy -d 'Strategy (omit for every strategy)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from clear" -l instrument -d 'Instrument (omit for every instrument, where allowed)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from clear" -l date -d 'Trading date (YYYY-MM-DD) for client order ids and trade-limit periods; default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from clear" -l format -d 'Output format of summaries and listings on stdout: table, csv or json (JSON Lines; the order run\'s rows carry "table": "instruments" | "orders" | "config_overrides" | "breaks")' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from clear" -l config -d 'The system config whose instrument lists are overrides, as in pysystemtrade\'s production: exclude_instrument_lists.trading_restrictions -> no-trading; bad_markets, ignore_instruments and duplicate_instruments.exclude -> reduce-only (combined with the overrides set here, the most conservative wins). Read on every order run and `overrides list`; default DATA/config/system.yaml (none apply when it does not exist)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from clear" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from clear" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from clear" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from clear" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from clear" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from clear" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from clear" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from clear" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from list" -l date -d 'Trading date (YYYY-MM-DD) for client order ids and trade-limit periods; default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from list" -l format -d 'Output format of summaries and listings on stdout: table, csv or json (JSON Lines; the order run\'s rows carry "table": "instruments" | "orders" | "config_overrides" | "breaks")' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from list" -l config -d 'The system config whose instrument lists are overrides, as in pysystemtrade\'s production: exclude_instrument_lists.trading_restrictions -> no-trading; bad_markets, ignore_instruments and duplicate_instruments.exclude -> reduce-only (combined with the overrides set here, the most conservative wins). Read on every order run and `overrides list`; default DATA/config/system.yaml (none apply when it does not exist)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from list" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from list" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from list" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from list" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from list" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from help" -f -a "set" -d 'Set an override: a multiplier in [0, 1], `close` (= 0), `reduce-only` or `no-trading`'
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from help" -f -a "clear" -d 'Remove an override'
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from help" -f -a "list"
complete -c place-orders -n "__fish_place_orders_using_subcommand overrides; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and not __fish_seen_subcommand_from position trade clear list help" -l date -d 'Trading date (YYYY-MM-DD) for client order ids and trade-limit periods; default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and not __fish_seen_subcommand_from position trade clear list help" -l format -d 'Output format of summaries and listings on stdout: table, csv or json (JSON Lines; the order run\'s rows carry "table": "instruments" | "orders" | "config_overrides" | "breaks")' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and not __fish_seen_subcommand_from position trade clear list help" -l config -d 'The system config whose instrument lists are overrides, as in pysystemtrade\'s production: exclude_instrument_lists.trading_restrictions -> no-trading; bad_markets, ignore_instruments and duplicate_instruments.exclude -> reduce-only (combined with the overrides set here, the most conservative wins). Read on every order run and `overrides list`; default DATA/config/system.yaml (none apply when it does not exist)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and not __fish_seen_subcommand_from position trade clear list help" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and not __fish_seen_subcommand_from position trade clear list help" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and not __fish_seen_subcommand_from position trade clear list help" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and not __fish_seen_subcommand_from position trade clear list help" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and not __fish_seen_subcommand_from position trade clear list help" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and not __fish_seen_subcommand_from position trade clear list help" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and not __fish_seen_subcommand_from position trade clear list help" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and not __fish_seen_subcommand_from position trade clear list help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and not __fish_seen_subcommand_from position trade clear list help" -f -a "position" -d 'Maximum absolute position (per instrument, or per strategy and instrument)'
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and not __fish_seen_subcommand_from position trade clear list help" -f -a "trade" -d 'Maximum contracts traded per period of days (per instrument, or per strategy and instrument)'
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and not __fish_seen_subcommand_from position trade clear list help" -f -a "clear" -d 'Remove the position or trade limits of a scope'
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and not __fish_seen_subcommand_from position trade clear list help" -f -a "list"
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and not __fish_seen_subcommand_from position trade clear list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from position" -l strategy -d 'Strategy (omit for every strategy)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from position" -l instrument -d 'Instrument (omit for every instrument, where allowed)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from position" -l date -d 'Trading date (YYYY-MM-DD) for client order ids and trade-limit periods; default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from position" -l format -d 'Output format of summaries and listings on stdout: table, csv or json (JSON Lines; the order run\'s rows carry "table": "instruments" | "orders" | "config_overrides" | "breaks")' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from position" -l config -d 'The system config whose instrument lists are overrides, as in pysystemtrade\'s production: exclude_instrument_lists.trading_restrictions -> no-trading; bad_markets, ignore_instruments and duplicate_instruments.exclude -> reduce-only (combined with the overrides set here, the most conservative wins). Read on every order run and `overrides list`; default DATA/config/system.yaml (none apply when it does not exist)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from position" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from position" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from position" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from position" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from position" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from position" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from position" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from position" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from trade" -l strategy -d 'Strategy (omit for every strategy)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from trade" -l instrument -d 'Instrument (omit for every instrument, where allowed)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from trade" -l period-days -d 'The period the limit counts trades over, in days' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from trade" -l date -d 'Trading date (YYYY-MM-DD) for client order ids and trade-limit periods; default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from trade" -l format -d 'Output format of summaries and listings on stdout: table, csv or json (JSON Lines; the order run\'s rows carry "table": "instruments" | "orders" | "config_overrides" | "breaks")' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from trade" -l config -d 'The system config whose instrument lists are overrides, as in pysystemtrade\'s production: exclude_instrument_lists.trading_restrictions -> no-trading; bad_markets, ignore_instruments and duplicate_instruments.exclude -> reduce-only (combined with the overrides set here, the most conservative wins). Read on every order run and `overrides list`; default DATA/config/system.yaml (none apply when it does not exist)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from trade" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from trade" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from trade" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from trade" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from trade" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from trade" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from trade" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from trade" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from clear" -l strategy -d 'Strategy (omit for every strategy)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from clear" -l instrument -d 'Instrument (omit for every instrument, where allowed)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from clear" -l kind -d 'Which limits to remove' -r -f -a "position\t''
trade\t''"
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from clear" -l date -d 'Trading date (YYYY-MM-DD) for client order ids and trade-limit periods; default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from clear" -l format -d 'Output format of summaries and listings on stdout: table, csv or json (JSON Lines; the order run\'s rows carry "table": "instruments" | "orders" | "config_overrides" | "breaks")' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from clear" -l config -d 'The system config whose instrument lists are overrides, as in pysystemtrade\'s production: exclude_instrument_lists.trading_restrictions -> no-trading; bad_markets, ignore_instruments and duplicate_instruments.exclude -> reduce-only (combined with the overrides set here, the most conservative wins). Read on every order run and `overrides list`; default DATA/config/system.yaml (none apply when it does not exist)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from clear" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from clear" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from clear" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from clear" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from clear" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from clear" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from clear" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from clear" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from list" -l date -d 'Trading date (YYYY-MM-DD) for client order ids and trade-limit periods; default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from list" -l format -d 'Output format of summaries and listings on stdout: table, csv or json (JSON Lines; the order run\'s rows carry "table": "instruments" | "orders" | "config_overrides" | "breaks")' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from list" -l config -d 'The system config whose instrument lists are overrides, as in pysystemtrade\'s production: exclude_instrument_lists.trading_restrictions -> no-trading; bad_markets, ignore_instruments and duplicate_instruments.exclude -> reduce-only (combined with the overrides set here, the most conservative wins). Read on every order run and `overrides list`; default DATA/config/system.yaml (none apply when it does not exist)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from list" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from list" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from list" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from list" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from list" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from help" -f -a "position" -d 'Maximum absolute position (per instrument, or per strategy and instrument)'
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from help" -f -a "trade" -d 'Maximum contracts traded per period of days (per instrument, or per strategy and instrument)'
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from help" -f -a "clear" -d 'Remove the position or trade limits of a scope'
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from help" -f -a "list"
complete -c place-orders -n "__fish_place_orders_using_subcommand limits; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and not __fish_seen_subcommand_from list add clear help" -l date -d 'Trading date (YYYY-MM-DD) for client order ids and trade-limit periods; default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and not __fish_seen_subcommand_from list add clear help" -l format -d 'Output format of summaries and listings on stdout: table, csv or json (JSON Lines; the order run\'s rows carry "table": "instruments" | "orders" | "config_overrides" | "breaks")' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and not __fish_seen_subcommand_from list add clear help" -l config -d 'The system config whose instrument lists are overrides, as in pysystemtrade\'s production: exclude_instrument_lists.trading_restrictions -> no-trading; bad_markets, ignore_instruments and duplicate_instruments.exclude -> reduce-only (combined with the overrides set here, the most conservative wins). Read on every order run and `overrides list`; default DATA/config/system.yaml (none apply when it does not exist)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and not __fish_seen_subcommand_from list add clear help" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and not __fish_seen_subcommand_from list add clear help" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and not __fish_seen_subcommand_from list add clear help" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and not __fish_seen_subcommand_from list add clear help" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and not __fish_seen_subcommand_from list add clear help" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and not __fish_seen_subcommand_from list add clear help" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and not __fish_seen_subcommand_from list add clear help" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and not __fish_seen_subcommand_from list add clear help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and not __fish_seen_subcommand_from list add clear help" -f -a "list"
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and not __fish_seen_subcommand_from list add clear help" -f -a "add" -d 'Lock an instrument: no new orders until cleared'
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and not __fish_seen_subcommand_from list add clear help" -f -a "clear" -d 'Remove a lock (a break that persists locks the instrument again on the next run)'
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and not __fish_seen_subcommand_from list add clear help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from list" -l date -d 'Trading date (YYYY-MM-DD) for client order ids and trade-limit periods; default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from list" -l format -d 'Output format of summaries and listings on stdout: table, csv or json (JSON Lines; the order run\'s rows carry "table": "instruments" | "orders" | "config_overrides" | "breaks")' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from list" -l config -d 'The system config whose instrument lists are overrides, as in pysystemtrade\'s production: exclude_instrument_lists.trading_restrictions -> no-trading; bad_markets, ignore_instruments and duplicate_instruments.exclude -> reduce-only (combined with the overrides set here, the most conservative wins). Read on every order run and `overrides list`; default DATA/config/system.yaml (none apply when it does not exist)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from list" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from list" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from list" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from list" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from list" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from add" -l reason -d 'Why (shown with the lock and in the audit trail)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from add" -l date -d 'Trading date (YYYY-MM-DD) for client order ids and trade-limit periods; default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from add" -l format -d 'Output format of summaries and listings on stdout: table, csv or json (JSON Lines; the order run\'s rows carry "table": "instruments" | "orders" | "config_overrides" | "breaks")' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from add" -l config -d 'The system config whose instrument lists are overrides, as in pysystemtrade\'s production: exclude_instrument_lists.trading_restrictions -> no-trading; bad_markets, ignore_instruments and duplicate_instruments.exclude -> reduce-only (combined with the overrides set here, the most conservative wins). Read on every order run and `overrides list`; default DATA/config/system.yaml (none apply when it does not exist)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from add" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from add" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from add" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from add" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from add" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from add" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from add" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from clear" -l date -d 'Trading date (YYYY-MM-DD) for client order ids and trade-limit periods; default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from clear" -l format -d 'Output format of summaries and listings on stdout: table, csv or json (JSON Lines; the order run\'s rows carry "table": "instruments" | "orders" | "config_overrides" | "breaks")' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from clear" -l config -d 'The system config whose instrument lists are overrides, as in pysystemtrade\'s production: exclude_instrument_lists.trading_restrictions -> no-trading; bad_markets, ignore_instruments and duplicate_instruments.exclude -> reduce-only (combined with the overrides set here, the most conservative wins). Read on every order run and `overrides list`; default DATA/config/system.yaml (none apply when it does not exist)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from clear" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from clear" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from clear" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from clear" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from clear" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from clear" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from clear" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from clear" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from help" -f -a "list"
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from help" -f -a "add" -d 'Lock an instrument: no new orders until cleared'
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from help" -f -a "clear" -d 'Remove a lock (a break that persists locks the instrument again on the next run)'
complete -c place-orders -n "__fish_place_orders_using_subcommand locks; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c place-orders -n "__fish_place_orders_using_subcommand audit" -l date -d 'Trading date (YYYY-MM-DD) for client order ids and trade-limit periods; default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand audit" -l format -d 'Output format of summaries and listings on stdout: table, csv or json (JSON Lines; the order run\'s rows carry "table": "instruments" | "orders" | "config_overrides" | "breaks")' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c place-orders -n "__fish_place_orders_using_subcommand audit" -l config -d 'The system config whose instrument lists are overrides, as in pysystemtrade\'s production: exclude_instrument_lists.trading_restrictions -> no-trading; bad_markets, ignore_instruments and duplicate_instruments.exclude -> reduce-only (combined with the overrides set here, the most conservative wins). Read on every order run and `overrides list`; default DATA/config/system.yaml (none apply when it does not exist)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand audit" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c place-orders -n "__fish_place_orders_using_subcommand audit" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c place-orders -n "__fish_place_orders_using_subcommand audit" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c place-orders -n "__fish_place_orders_using_subcommand audit" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c place-orders -n "__fish_place_orders_using_subcommand audit" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c place-orders -n "__fish_place_orders_using_subcommand audit" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c place-orders -n "__fish_place_orders_using_subcommand audit" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c place-orders -n "__fish_place_orders_using_subcommand audit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c place-orders -n "__fish_place_orders_using_subcommand help; and not __fish_seen_subcommand_from positions trades orders overrides limits locks audit help" -f -a "positions" -d 'Strategy and contract positions; `positions adopt` records the broker\'s as ours'
complete -c place-orders -n "__fish_place_orders_using_subcommand help; and not __fish_seen_subcommand_from positions trades orders overrides limits locks audit help" -f -a "trades" -d 'Trades done outside the system (`trades add`)'
complete -c place-orders -n "__fish_place_orders_using_subcommand help; and not __fish_seen_subcommand_from positions trades orders overrides limits locks audit help" -f -a "orders" -d 'Active orders (instrument and broker level), or completed ones with --history'
complete -c place-orders -n "__fish_place_orders_using_subcommand help; and not __fish_seen_subcommand_from positions trades orders overrides limits locks audit help" -f -a "overrides" -d 'Position multipliers, reduce-only and no-trading overrides: those set here and those the system config implies (listed with their source)'
complete -c place-orders -n "__fish_place_orders_using_subcommand help; and not __fish_seen_subcommand_from positions trades orders overrides limits locks audit help" -f -a "limits" -d 'Position limits and trade limits'
complete -c place-orders -n "__fish_place_orders_using_subcommand help; and not __fish_seen_subcommand_from positions trades orders overrides limits locks audit help" -f -a "locks" -d 'Instrument locks: manual ones, and those set by a position break'
complete -c place-orders -n "__fish_place_orders_using_subcommand help; and not __fish_seen_subcommand_from positions trades orders overrides limits locks audit help" -f -a "audit" -d 'The append-only audit trail of decisions that changed or blocked orders'
complete -c place-orders -n "__fish_place_orders_using_subcommand help; and not __fish_seen_subcommand_from positions trades orders overrides limits locks audit help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c place-orders -n "__fish_place_orders_using_subcommand help; and __fish_seen_subcommand_from positions" -f -a "adopt" -d 'Going live: read the broker\'s contract positions (IB gateway, or --csv FILE), show where they differ from ours, and after confirmation record them as ours: contract positions set to the broker\'s, the strategy position of --strategy moved so that the instrument\'s strategy positions add up to them; every change audited (who, what, source). Asks on a terminal; --yes for scripts (without a terminal and without --yes: exit 2). Positions the mapping (config/ibkr.csv) cannot place are shown, not adopted (exit 3)'
complete -c place-orders -n "__fish_place_orders_using_subcommand help; and __fish_seen_subcommand_from trades" -f -a "add" -d 'Record a fill done outside the system (a balance trade): a complete, filled order family (broker `manual`, type `balance`) that moves the strategy and contract positions, shows in `orders --history` and `report trades`, and is audited. Refused beyond the sanity bound (exit 4) or when not a valid trade (exit 2)'
complete -c place-orders -n "__fish_place_orders_using_subcommand help; and __fish_seen_subcommand_from overrides" -f -a "set" -d 'Set an override: a multiplier in [0, 1], `close` (= 0), `reduce-only` or `no-trading`'
complete -c place-orders -n "__fish_place_orders_using_subcommand help; and __fish_seen_subcommand_from overrides" -f -a "clear" -d 'Remove an override'
complete -c place-orders -n "__fish_place_orders_using_subcommand help; and __fish_seen_subcommand_from overrides" -f -a "list"
complete -c place-orders -n "__fish_place_orders_using_subcommand help; and __fish_seen_subcommand_from limits" -f -a "position" -d 'Maximum absolute position (per instrument, or per strategy and instrument)'
complete -c place-orders -n "__fish_place_orders_using_subcommand help; and __fish_seen_subcommand_from limits" -f -a "trade" -d 'Maximum contracts traded per period of days (per instrument, or per strategy and instrument)'
complete -c place-orders -n "__fish_place_orders_using_subcommand help; and __fish_seen_subcommand_from limits" -f -a "clear" -d 'Remove the position or trade limits of a scope'
complete -c place-orders -n "__fish_place_orders_using_subcommand help; and __fish_seen_subcommand_from limits" -f -a "list"
complete -c place-orders -n "__fish_place_orders_using_subcommand help; and __fish_seen_subcommand_from locks" -f -a "list"
complete -c place-orders -n "__fish_place_orders_using_subcommand help; and __fish_seen_subcommand_from locks" -f -a "add" -d 'Lock an instrument: no new orders until cleared'
complete -c place-orders -n "__fish_place_orders_using_subcommand help; and __fish_seen_subcommand_from locks" -f -a "clear" -d 'Remove a lock (a break that persists locks the instrument again on the next run)'
