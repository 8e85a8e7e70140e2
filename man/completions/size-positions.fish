complete -c size-positions -l config -d 'The system config (pysystemtrade backtest YAML); default DATA/config/system.yaml' -r -F
complete -c size-positions -l forecasts -d '`-`: read the forecasts as CSV (date,instrument,rule,forecast, as compute-forecasts --output - writes it) from stdin instead of DATA/forecasts/' -r
complete -c size-positions -l output -d '`-`: write CSV (date,instrument,subsystem_position,notional_position,lower,upper) to stdout instead of the positions files and state.sqlite' -r
complete -c size-positions -l capital -d 'Trading capital in base currency; default the config\'s notional_trading_capital' -r
complete -c size-positions -l strategy -d 'Strategy name of the optimal positions written to state.sqlite' -r
complete -c size-positions -l lock-timeout -d 'Seconds to wait for another process writing to the data directory before giving up (exit 6)' -r
complete -c size-positions -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c size-positions -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c size-positions -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c size-positions -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c size-positions -l allow-floored-vol -d 'Size an instrument whose latest volatility sits at the floor vol_abs_min (flat prices) anyway; by default it is left out with a message (its position would be absurd)'
complete -c size-positions -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c size-positions -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c size-positions -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c size-positions -s h -l help -d 'Print help (see more with \'--help\')'
complete -c size-positions -s V -l version -d 'Print version'
