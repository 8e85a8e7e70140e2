complete -c report -l format -d 'Output format' -r -f -a "text\t''
csv\t''
json\t''
html\t''"
complete -c report -s o -l output -d 'Write the report to FILE (atomically) instead of stdout; stdout gets a one-line summary' -r -F
complete -c report -l date -d 'The report date (staleness, windows); default today in SYSTRADE_TZ (UTC unless set)' -r
complete -c report -l stale-days -d 'Prices whose last bar is more than this many business days before the report date are stale' -r
complete -c report -l vol-window -d 'Days of returns for volatility and correlations' -r
complete -c report -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c report -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c report -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c report -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c report -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c report -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c report -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c report -s h -l help -d 'Print help (see more with \'--help\')'
complete -c report -s V -l version -d 'Print version'
