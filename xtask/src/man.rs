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

/// Renders every file that belongs in `man/`: (relative path, content).
pub(crate) fn render_all() -> Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    for cmd in tools() {
        let name = cmd.get_name().to_string();
        let has_format = |c: &Command| c.get_arguments().any(|a| a.get_id() == "format");
        let output = has_format(&cmd);
        files.push((format!("{name}.1"), render_man(cmd.clone(), output)?));
        // One page per subcommand (`roll-contracts-calendar.1`), so every flag is documented.
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let sub_name = format!("{name}-{}", sub.get_name());
            let mut page = sub.clone().name(sub_name.clone());
            if let Some(version) = cmd.get_version() {
                page = page.version(version.to_string());
            }
            let output = output || has_format(&page);
            files.push((format!("{sub_name}.1"), render_man(page, output)?));
        }
        for (shell, file) in [
            (Shell::Bash, format!("completions/{name}.bash")),
            (Shell::Zsh, format!("completions/_{name}")),
            (Shell::Fish, format!("completions/{name}.fish")),
        ] {
            let mut buf = Vec::new();
            let mut c = cmd.clone();
            clap_complete::generate(shell, &mut c, name.clone(), &mut buf);
            files.push((file, buf));
        }
    }
    Ok(files)
}

/// One page; `output`: with the OUTPUT section (the tool prints on stdout with `--format`).
fn render_man(cmd: Command, output: bool) -> Result<Vec<u8>> {
    let man = clap_mangen::Man::new(cmd);
    let mut buf = Vec::new();
    man.render_title(&mut buf)?;
    man.render_name_section(&mut buf)?;
    man.render_synopsis_section(&mut buf)?;
    man.render_description_section(&mut buf)?;
    man.render_options_section(&mut buf)?;
    man.render_subcommands_section(&mut buf)?;
    if output {
        buf.extend_from_slice(b".SH OUTPUT\n");
        buf.extend_from_slice(
            systrade_cli::OUTPUT_MAN_SECTION
                .replace('-', "\\-")
                .as_bytes(),
        );
        buf.push(b'\n');
    }
    buf.extend_from_slice(b".SH \"EXIT STATUS\"\n");
    for (code, text) in systrade_cli::EXIT_STATUS_MAN_SECTION {
        buf.extend_from_slice(format!(".TP\n\\fB{code}\\fR\n{text}\n").as_bytes());
    }
    buf.extend_from_slice(
        b".SH ENVIRONMENT\n.TP\n\\fBSYSTRADE_DATA\\fR\nDefault for \\fB--data-dir\\fR.\n.TP\n\\fBSYSTRADE_LOG\\fR\nLog filter directive (overrides -v/-q), e.g. debug.\n",
    );
    man.render_version_section(&mut buf)?;
    Ok(buf)
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
}
