complete -c import-pst -l ib-config -d 'pysystemtrade\'s IB mapping (`sysbrokers/IB/config/ib_config_futures.csv`: Instrument, IBSymbol, IBExchange, IBCurrency, IBMultiplier, priceMagnifier, IgnoreWeekly) to convert into config/ibkr.csv (every row validated; a bad row is named by file, row and field and nothing is written). Default: SOURCE_DIR/csvconfig/ib_config_futures.csv when it exists' -r -F
complete -c import-pst -l lock-timeout -d 'Seconds to wait for another process writing to the data directory before giving up (exit 6)' -r
complete -c import-pst -l format -d 'Output on stdout: table (aligned columns for people), csv (a header line, then one line per row) or json (one JSON object per line; a summary is one object)' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c import-pst -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c import-pst -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c import-pst -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c import-pst -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c import-pst -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c import-pst -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c import-pst -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c import-pst -s h -l help -d 'Print help (see more with \'--help\')'
complete -c import-pst -s V -l version -d 'Print version'
