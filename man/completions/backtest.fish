complete -c backtest -l config -d 'The system config (pysystemtrade backtest YAML); default DATA/config/system.yaml' -r -F
complete -c backtest -l costs -d 'Trading costs: cash or sr; default from the config\'s use_SR_costs (false: cash)' -r -f -a "cash\t'Cash costs: spread and commission on every trade, roll costs as holding pseudo-trades'
sr\t'Sharpe-ratio costs: a daily drag from turnover and rolls'"
complete -c backtest -l capital -d 'Capital in base currency instead of the config\'s notional_trading_capital' -r
complete -c backtest -l output -d 'Write portfolio.csv (daily portfolio returns), instruments.parquet (daily position, forecast and P&L per instrument) and report.html into this directory (created if needed); with the optimised system also optimised.parquet, with a risk overlay also risk_overlay.csv, with estimated weights or diversification multipliers also estimates.parquet' -r -F
complete -c backtest -l format -d 'Output on stdout: table (aligned columns for people), csv (a header line, then one line per row) or json (one JSON object per line; a summary is one object)' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c backtest -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c backtest -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c backtest -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c backtest -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c backtest -l optimised -d 'Also run the dynamically optimised system (pysystemtrade\'s optimisedPositions stage with the config\'s small_system settings) and report it next to the buffered system; implied when the config\'s strategy_list names the dynamic optimised strategy'
complete -c backtest -l allow-floored-vol -d 'Size an instrument whose volatility sits at the floor vol_abs_min on some day (flat prices) anyway; by default it is left out with a message (its positions would be absurd)'
complete -c backtest -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c backtest -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c backtest -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c backtest -s h -l help -d 'Print help (see more with \'--help\')'
complete -c backtest -s V -l version -d 'Print version'
