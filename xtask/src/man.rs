//! Man pages (clap_mangen) and shell completions (clap_complete) for every tool.

use anyhow::{Context, Result};
use clap::Command;
use clap_complete::Shell;
use std::path::Path;

/// Every tool's clap command, in pipeline order.
pub(crate) fn tools() -> Vec<Command> {
    vec![
        import_pst::command(),
        fetch_prices::command(),
        roll_contracts::command(),
        compute_forecasts::command(),
        size_positions::command(),
        backtest::command(),
        place_orders::command(),
        backup::command(),
        report::command(),
        run_step::command(),
    ]
}

/// Renders every file that belongs in `man/`: (relative path, content). The rendering is the
/// tools' own (`systrade_cli::docs`, also behind each tool's `--generate`).
pub(crate) fn render_all() -> Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    for cmd in tools() {
        let name = cmd.get_name().to_string();
        files.extend(systrade_cli::docs::man_pages(&cmd));
        for (shell, file) in [
            (Shell::Bash, format!("completions/{name}.bash")),
            (Shell::Zsh, format!("completions/_{name}")),
            (Shell::Fish, format!("completions/{name}.fish")),
        ] {
            files.push((file, systrade_cli::docs::completion(shell, cmd.clone())));
        }
    }
    Ok(files)
}

/// Writes (or with `check`, compares) every generated file; returns the stale ones.
pub(crate) fn generate(dir: &Path, check: bool) -> Result<Vec<String>> {
    let mut stale = Vec::new();
    for (rel, content) in render_all()? {
        let path = dir.join(&rel);
        let current = std::fs::read(&path).ok();
        if current.as_deref() == Some(content.as_slice()) {
            continue;
        }
        stale.push(rel.clone());
        if !check {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, &content)
                .with_context(|| format!("writing {}", path.display()))?;
            println!("wrote {}", path.display());
        }
    }
    Ok(stale)
}

#[cfg(test)]
mod tests {
    /// Fails when man/ is stale: change a flag, run `cargo xtask man`, commit the result.
    #[test]
    fn man_pages_are_current() {
        let root = super::super::workspace_root();
        let stale = super::generate(&root.join("man"), true).unwrap();
        assert!(
            stale.is_empty(),
            "stale files in man/: {stale:?}; run `cargo xtask man`"
        );
    }

    #[test]
    fn commands_are_well_formed() {
        for cmd in super::tools() {
            cmd.debug_assert();
        }
    }

    /// Every argument of every tool and subcommand has a help line, and no help text points at
    /// internal documents (`spec §...`).
    #[test]
    fn every_argument_is_documented() {
        fn walk(
            path: &str,
            c: &clap::Command,
            missing: &mut Vec<String>,
            internal: &mut Vec<String>,
        ) {
            let about = c.get_about().map(ToString::to_string).unwrap_or_default()
                + &c.get_long_about()
                    .map(ToString::to_string)
                    .unwrap_or_default();
            if about.contains('§') {
                internal.push(path.to_string());
            }
            for a in c.get_arguments() {
                let id = a.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                let help = a.get_help().or(a.get_long_help()).map(ToString::to_string);
                match help {
                    None => missing.push(format!("{path} {id}")),
                    Some(h) if h.trim().is_empty() => missing.push(format!("{path} {id}")),
                    Some(h) if h.contains('§') => internal.push(format!("{path} {id}")),
                    Some(_) => {}
                }
            }
            for s in c.get_subcommands().filter(|s| s.get_name() != "help") {
                walk(&format!("{path} {}", s.get_name()), s, missing, internal);
            }
        }
        let (mut missing, mut internal) = (Vec::new(), Vec::new());
        for cmd in super::tools() {
            let mut cmd = cmd;
            cmd.build();
            walk(cmd.get_name(), &cmd, &mut missing, &mut internal);
        }
        assert!(
            missing.is_empty(),
            "arguments without a help line: {missing:#?}"
        );
        assert!(
            internal.is_empty(),
            "help text citing internal documents: {internal:#?}"
        );
    }

    /// Bash completes nested subcommands and their flags (clap_complete's labels are fixed up).
    #[test]
    fn bash_completes_nested_subcommands() {
        let root = super::super::workspace_root();
        let complete = |tool: &str, words: &[&str]| -> Vec<String> {
            let script = root.join(format!("man/completions/{tool}.bash"));
            let words: Vec<String> = std::iter::once(tool.to_string())
                .chain(words.iter().map(|w| w.to_string()))
                .collect();
            let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
            let program = format!(
                "source '{}'\nCOMP_WORDS=({})\nCOMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))\n\
                 COMP_LINE=\"${{COMP_WORDS[*]}}\"\nCOMP_POINT=${{#COMP_LINE}}\n\
                 fn=$(complete -p {tool} | sed -E 's/.*-F ([^ ]+).*/\\1/')\n\
                 \"$fn\" {tool} \"${{COMP_WORDS[$COMP_CWORD]}}\" \"${{COMP_WORDS[$((COMP_CWORD-1))]}}\"\n\
                 printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
                script.display(),
                quoted.join(" ")
            );
            let out = std::process::Command::new("bash")
                .arg("-c")
                .arg(program)
                .output()
                .expect("bash");
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(str::to_string)
                .collect()
        };
        let got = complete("place-orders", &["overrides", "s"]);
        assert!(
            got.contains(&"set".to_string()),
            "place-orders overrides s<TAB>: {got:?}"
        );
        let got = complete("roll-contracts", &["adjust", "--me"]);
        assert!(
            got.contains(&"--method".to_string()),
            "roll-contracts adjust --me<TAB>: {got:?}"
        );
        let got = complete("run-step", &["capital", "up"]);
        assert!(
            got.contains(&"update".to_string()),
            "run-step capital up<TAB>: {got:?}"
        );
    }
}
