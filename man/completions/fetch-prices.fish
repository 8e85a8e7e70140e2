complete -c fetch-prices -l source -d 'Where prices come from: csv:PATH, http:URL-TEMPLATE or ibkr' -r
complete -c fetch-prices -l contracts -d 'Only these contracts (YYYYMMDD or YYYYMM, comma separated); default: the live contracts of each instrument (csv: every contract in the files)' -r
complete -c fetch-prices -l csv-format -d 'Layout of the CSV files or responses (default: detected from the header)' -r -f -a "auto\t''
barchart\t''
generic\t''
pst\t''"
complete -c fetch-prices -l format -d 'Output on stdout: table (aligned columns for people), csv (a header line, then one line per row) or json (one JSON object per line; a summary is one object)' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c fetch-prices -l revise-days -d 'Also revise the last N days of stored bars where the source now differs (recorded in logs/price-revisions.csv)' -r
complete -c fetch-prices -l max-spike -d 'Spike threshold: a move larger than this many EWMA(500) absolute daily moves' -r
complete -c fetch-prices -l daily-time -d 'Time of day given to daily bars that carry only a date (pysystemtrade stamps daily closes 23:00)' -r
complete -c fetch-prices -l lookback-days -d 'Days of history to ask for when a contract has no stored bars (http and ibkr)' -r
complete -c fetch-prices -l jobs -d 'Instruments fetched in parallel' -r
complete -c fetch-prices -l timeout -d 'Timeout of one HTTP request, in seconds' -r
complete -c fetch-prices -l retries -d 'Retries of a request answered 429/503 or that could not connect' -r
complete -c fetch-prices -l retry-backoff-ms -d 'First retry delay in milliseconds (doubled on each retry; a Retry-After header wins)' -r
complete -c fetch-prices -l min-interval-ms -d 'Minimum milliseconds between the starts of two requests (rate limit)' -r
complete -c fetch-prices -l ibkr-url -d 'The IB Client Portal gateway\'s API base URL' -r
complete -c fetch-prices -l max-concurrent-history -d 'At most this many IB history requests in flight (IB answers 429 beyond 5)' -r
complete -c fetch-prices -l token-file -d 'A file (mode 0600) whose first line is the {token} secret; SYSTRADE_SOURCE_TOKEN wins' -r -F
complete -c fetch-prices -l lock-timeout -d 'Seconds to wait for another writer\'s lock on the data directory' -r
complete -c fetch-prices -l today -d 'Today\'s date (default: the system clock); for reproducible runs and tests' -r
complete -c fetch-prices -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c fetch-prices -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c fetch-prices -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c fetch-prices -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c fetch-prices -l fx -d 'Fetch FX rates (prices/fx/<CCY>USD.parquet) instead of contract prices'
complete -c fetch-prices -l accept-spikes -d 'Write spikes anyway (after reviewing them)'
complete -c fetch-prices -l drop-zero-volume -d 'Also drop bars with zero volume'
complete -c fetch-prices -l ibkr-insecure -l insecure-accept-invalid-certs -d 'Accept the IB gateway\'s self-signed or expired TLS certificate (the gateway ships one). Only with --source ibkr, and only for the gateway at --ibkr-url'
complete -c fetch-prices -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c fetch-prices -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c fetch-prices -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c fetch-prices -s h -l help -d 'Print help (see more with \'--help\')'
complete -c fetch-prices -s V -l version -d 'Print version'
