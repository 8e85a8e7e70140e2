# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_backup_global_optspecs
    string join \n repo= format= data-dir= instruments= v/verbose generate= q/quiet log-format= no-progress h/help V/version
end

function __fish_backup_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_backup_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_backup_using_subcommand
    set -l cmd (__fish_backup_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c backup -n "__fish_backup_needs_command" -l repo -d 'The backup repository: a directory path or s3://bucket/prefix' -r
complete -c backup -n "__fish_backup_needs_command" -l format -d 'Output on stdout: table (aligned columns for people), csv (a header line, then one line per row) or json (one JSON object per line; a summary is one object)' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c backup -n "__fish_backup_needs_command" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c backup -n "__fish_backup_needs_command" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c backup -n "__fish_backup_needs_command" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c backup -n "__fish_backup_needs_command" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c backup -n "__fish_backup_needs_command" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c backup -n "__fish_backup_needs_command" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c backup -n "__fish_backup_needs_command" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c backup -n "__fish_backup_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c backup -n "__fish_backup_needs_command" -s V -l version -d 'Print version'
complete -c backup -n "__fish_backup_needs_command" -f -a "create" -d 'Make a backup of the data directory (creates the repository when new)'
complete -c backup -n "__fish_backup_needs_command" -f -a "list" -d 'List the backups, oldest first (id first)'
complete -c backup -n "__fish_backup_needs_command" -f -a "verify" -d 'Validate the manifest of a backup (default: of all backups) field by field, re-read every blob, check sizes and SHA-256, and run SQLite\'s integrity_check on database copies. Exit 4 when anything is wrong'
complete -c backup -n "__fish_backup_needs_command" -f -a "restore" -d 'Restore a backup into a new or empty directory. The manifest is validated first; only permission bits are restored (never setuid/setgid); symbolic links in the target are never followed. Exit 4 when the backup is invalid or damaged'
complete -c backup -n "__fish_backup_needs_command" -f -a "prune" -d 'Delete backups outside the retention policy, then blobs no backup uses'
complete -c backup -n "__fish_backup_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c backup -n "__fish_backup_using_subcommand create" -l lock-wait -d 'Wait this many seconds for a running prune to finish before giving up (exit 6)' -r
complete -c backup -n "__fish_backup_using_subcommand create" -l repo -d 'The backup repository: a directory path or s3://bucket/prefix' -r
complete -c backup -n "__fish_backup_using_subcommand create" -l format -d 'Output on stdout: table (aligned columns for people), csv (a header line, then one line per row) or json (one JSON object per line; a summary is one object)' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c backup -n "__fish_backup_using_subcommand create" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c backup -n "__fish_backup_using_subcommand create" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c backup -n "__fish_backup_using_subcommand create" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c backup -n "__fish_backup_using_subcommand create" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c backup -n "__fish_backup_using_subcommand create" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c backup -n "__fish_backup_using_subcommand create" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c backup -n "__fish_backup_using_subcommand create" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c backup -n "__fish_backup_using_subcommand create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c backup -n "__fish_backup_using_subcommand list" -l repo -d 'The backup repository: a directory path or s3://bucket/prefix' -r
complete -c backup -n "__fish_backup_using_subcommand list" -l format -d 'Output on stdout: table (aligned columns for people), csv (a header line, then one line per row) or json (one JSON object per line; a summary is one object)' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c backup -n "__fish_backup_using_subcommand list" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c backup -n "__fish_backup_using_subcommand list" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c backup -n "__fish_backup_using_subcommand list" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c backup -n "__fish_backup_using_subcommand list" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c backup -n "__fish_backup_using_subcommand list" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c backup -n "__fish_backup_using_subcommand list" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c backup -n "__fish_backup_using_subcommand list" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c backup -n "__fish_backup_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c backup -n "__fish_backup_using_subcommand verify" -l repo -d 'The backup repository: a directory path or s3://bucket/prefix' -r
complete -c backup -n "__fish_backup_using_subcommand verify" -l format -d 'Output on stdout: table (aligned columns for people), csv (a header line, then one line per row) or json (one JSON object per line; a summary is one object)' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c backup -n "__fish_backup_using_subcommand verify" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c backup -n "__fish_backup_using_subcommand verify" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c backup -n "__fish_backup_using_subcommand verify" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c backup -n "__fish_backup_using_subcommand verify" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c backup -n "__fish_backup_using_subcommand verify" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c backup -n "__fish_backup_using_subcommand verify" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c backup -n "__fish_backup_using_subcommand verify" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c backup -n "__fish_backup_using_subcommand verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c backup -n "__fish_backup_using_subcommand restore" -l to -d 'Target directory (must be new or empty unless --force)' -r -F
complete -c backup -n "__fish_backup_using_subcommand restore" -l repo -d 'The backup repository: a directory path or s3://bucket/prefix' -r
complete -c backup -n "__fish_backup_using_subcommand restore" -l format -d 'Output on stdout: table (aligned columns for people), csv (a header line, then one line per row) or json (one JSON object per line; a summary is one object)' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c backup -n "__fish_backup_using_subcommand restore" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c backup -n "__fish_backup_using_subcommand restore" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c backup -n "__fish_backup_using_subcommand restore" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c backup -n "__fish_backup_using_subcommand restore" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c backup -n "__fish_backup_using_subcommand restore" -l force -d 'Restore into a non-empty directory, replacing files of the same name'
complete -c backup -n "__fish_backup_using_subcommand restore" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c backup -n "__fish_backup_using_subcommand restore" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c backup -n "__fish_backup_using_subcommand restore" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c backup -n "__fish_backup_using_subcommand restore" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c backup -n "__fish_backup_using_subcommand prune" -l keep-daily -d 'Keep the newest backup of each of the N most recent days' -r
complete -c backup -n "__fish_backup_using_subcommand prune" -l keep-weekly -d 'Keep the newest backup of each of the M most recent ISO weeks' -r
complete -c backup -n "__fish_backup_using_subcommand prune" -l keep-last -d 'Keep the K newest backups' -r
complete -c backup -n "__fish_backup_using_subcommand prune" -l repo -d 'The backup repository: a directory path or s3://bucket/prefix' -r
complete -c backup -n "__fish_backup_using_subcommand prune" -l format -d 'Output on stdout: table (aligned columns for people), csv (a header line, then one line per row) or json (one JSON object per line; a summary is one object)' -r -f -a "table\t'Aligned columns (or readable text) for people'
csv\t'A header line, then one line per row'
json\t'JSON Lines: one object per row (a summary is one object)'"
complete -c backup -n "__fish_backup_using_subcommand prune" -l data-dir -d 'The data directory all tools share (config/, prices/, rolls/, state.sqlite, ...)' -r -F
complete -c backup -n "__fish_backup_using_subcommand prune" -l instruments -d 'Work only on these instruments (comma separated, e.g. SP500,US10); default: all configured' -r
complete -c backup -n "__fish_backup_using_subcommand prune" -l generate -d 'Print the man page or a shell completion script (man, bash, zsh, fish) on stdout and exit, e.g. `--generate bash > /etc/bash_completion.d/TOOL`' -r -f -a "man\t'The man page (roff) of the tool'
bash\t'Bash completion script'
zsh\t'Zsh completion script'
fish\t'Fish completion script'"
complete -c backup -n "__fish_backup_using_subcommand prune" -l log-format -d 'Log format on stderr: human-readable text, or one JSON object per line (for cron and log shippers)' -r -f -a "text\t''
json\t''"
complete -c backup -n "__fish_backup_using_subcommand prune" -l dry-run -d 'Show what would be deleted, delete nothing'
complete -c backup -n "__fish_backup_using_subcommand prune" -s v -l verbose -d 'More log output on stderr (-v debug, -vv trace)'
complete -c backup -n "__fish_backup_using_subcommand prune" -s q -l quiet -d 'Less log output on stderr (-q warnings and errors only, -qq errors only)'
complete -c backup -n "__fish_backup_using_subcommand prune" -l no-progress -d 'Never draw progress bars (they are drawn only when stderr is a terminal anyway)'
complete -c backup -n "__fish_backup_using_subcommand prune" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c backup -n "__fish_backup_using_subcommand help; and not __fish_seen_subcommand_from create list verify restore prune help" -f -a "create" -d 'Make a backup of the data directory (creates the repository when new)'
complete -c backup -n "__fish_backup_using_subcommand help; and not __fish_seen_subcommand_from create list verify restore prune help" -f -a "list" -d 'List the backups, oldest first (id first)'
complete -c backup -n "__fish_backup_using_subcommand help; and not __fish_seen_subcommand_from create list verify restore prune help" -f -a "verify" -d 'Validate the manifest of a backup (default: of all backups) field by field, re-read every blob, check sizes and SHA-256, and run SQLite\'s integrity_check on database copies. Exit 4 when anything is wrong'
complete -c backup -n "__fish_backup_using_subcommand help; and not __fish_seen_subcommand_from create list verify restore prune help" -f -a "restore" -d 'Restore a backup into a new or empty directory. The manifest is validated first; only permission bits are restored (never setuid/setgid); symbolic links in the target are never followed. Exit 4 when the backup is invalid or damaged'
complete -c backup -n "__fish_backup_using_subcommand help; and not __fish_seen_subcommand_from create list verify restore prune help" -f -a "prune" -d 'Delete backups outside the retention policy, then blobs no backup uses'
complete -c backup -n "__fish_backup_using_subcommand help; and not __fish_seen_subcommand_from create list verify restore prune help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
