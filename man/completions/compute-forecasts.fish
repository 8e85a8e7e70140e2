complete -c compute-forecasts -l config -d 'The system config (pysystemtrade backtest YAML); default DATA/config/system.yaml' -r -F
complete -c compute-forecasts -l output -d '`-`: write CSV (date,instrument,rule,forecast) to stdout instead of the forecast files' -r
complete -c compute-forecasts -l as-of -d 'Use only prices on or before this date (YYYY-MM-DD)' -r
complete -c compute-forecasts -l lock-timeout -d 'Seconds to wait for another process writing to the data directory before giving up (exit 6)' -r
complete -c compute-forecasts -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c compute-forecasts -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c compute-forecasts -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c compute-forecasts -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c compute-forecasts -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c compute-forecasts -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c compute-forecasts -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c compute-forecasts -s h -l help -d 'Print help (see more with \'--help\')'
complete -c compute-forecasts -s V -l version -d 'Print version'
