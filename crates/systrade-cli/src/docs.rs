//! Man pages and shell completions from a tool's clap command: `cargo xtask man` writes them into
//! `man/`, and every tool prints its own with `--generate man|bash|zsh|fish`, so a server with only
//! the binaries can install them.
//!
//! A page has NAME, SYNOPSIS, DESCRIPTION, OPTIONS, SUBCOMMANDS (only when there are any),
//! EXAMPLES (the `Examples:` block of the command's after-help), OUTPUT (tools with `--format`),
//! EXIT STATUS and ENVIRONMENT: every variable the tool reads, from its arguments' `env` and the
//! variables read outside clap ([`ENVIRONMENT`]).

use clap::{Command, FromArgMatches, ValueEnum};
use clap_complete::Shell;
use std::ffi::OsString;
use std::io::{IsTerminal, Write};

/// What `--generate` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Generate {
    /// The man page (roff) of the tool.
    Man,
    /// Bash completion script.
    Bash,
    /// Zsh completion script.
    Zsh,
    /// Fish completion script.
    Fish,
}

/// Variables read outside clap: (tool or `*` for every tool, variable, meaning).
pub const ENVIRONMENT: &[(&str, &str, &str)] = &[
    (
        "*",
        "SYSTRADE_LOG",
        "Log filter directive for stderr (overrides -v/-q), e.g. debug or systrade_store=trace.",
    ),
    (
        "*",
        "SYSTRADE_SUMMARY_FILE",
        "When set (run-step sets it for a step's command), the run's one-line summary with counts is written to this file.",
    ),
    (
        "*",
        "SYSTRADE_TZ",
        "Time zone of \"today\" (run dates, default dates, time windows): an IANA name such as Europe/London; default UTC.",
    ),
    (
        "fetch-prices",
        "SYSTRADE_SOURCE_TOKEN",
        "Token for an http price source that needs one (sent to the source, never logged).",
    ),
    (
        "report",
        "SYSTRADE_RUN_ID",
        "The run-step run this report belongs to; left out of the status section (set by run-step).",
    ),
    (
        "run-step",
        "SYSTRADE_STEP, SYSTRADE_RUN_ID, SYSTRADE_RUN_DATE",
        "Set for the step's command: the step name, its run id and the run date.",
    ),
    (
        "backup",
        "HOSTNAME",
        "Recorded in each backup's manifest (the host that made it).",
    ),
];

/// The whole `main` of a tool: parse the arguments from `cmd` (the tool's `command()`), start
/// logging, run, and turn the result into the exit status ([`crate::finish`]). `--generate KIND`
/// anywhere on the command line prints the tool's man page or completion script instead.
pub fn main<A: FromArgMatches>(
    cmd: Command,
    common: fn(&A) -> &crate::CommonArgs,
    run: fn(&A) -> anyhow::Result<crate::ExitCode>,
) -> std::process::ExitCode {
    match parse_from::<A, _>(cmd, std::env::args_os()) {
        Parsed::Run(args) => {
            crate::finish(crate::init_logging(common(&args)).and_then(|()| run(&args)))
        }
        Parsed::Done(code) => code,
    }
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Parsed<A> {
    /// Run the tool with these arguments.
    Run(A),
    /// Nothing to run: `--generate` printed its output, or `--help`/`--version`/a usage error was
    /// printed; exit with this status.
    Done(std::process::ExitCode),
}

/// Parses `args` (the first is the program name) with `cmd`; `--generate KIND` prints instead.
pub fn parse_from<A: FromArgMatches, I: IntoIterator<Item = OsString>>(
    cmd: Command,
    args: I,
) -> Parsed<A> {
    let args: Vec<OsString> = args.into_iter().collect();
    let generate_at = args.iter().position(|a| {
        a == "--generate" || a.to_str().is_some_and(|s| s.starts_with("--generate="))
    });
    if let Some(pos) = generate_at {
        let value = match args[pos]
            .to_str()
            .and_then(|s| s.strip_prefix("--generate="))
        {
            Some(v) => Some(v.to_string()),
            None => args
                .get(pos + 1)
                .and_then(|v| v.to_str())
                .map(str::to_string),
        };
        let Some(kind) = value
            .as_deref()
            .and_then(|v| Generate::from_str(v, true).ok())
        else {
            let mut cmd = cmd;
            let e = cmd.error(
                clap::error::ErrorKind::InvalidValue,
                format!(
                    "--generate needs one of man, bash, zsh, fish (got {})",
                    value.as_deref().unwrap_or("nothing")
                ),
            );
            let _ = e.print();
            return Parsed::Done(crate::ExitCode::Usage.into());
        };
        let bytes = generate(cmd, kind);
        let mut out = std::io::stdout().lock();
        let code = match out.write_all(&bytes).and_then(|()| out.flush()) {
            Ok(()) => crate::ExitCode::Success,
            Err(_) => crate::ExitCode::Failure,
        };
        return Parsed::Done(code.into());
    }
    let parsed = cmd
        .try_get_matches_from(args)
        .and_then(|m| A::from_arg_matches(&m));
    match parsed {
        Ok(a) => Parsed::Run(a),
        Err(e) if e.use_stderr() => {
            // A usage error echoes the offending value (a `--source` URL with `?apikey=...`):
            // printed with its secrets redacted, like every other message.
            let text = if std::io::stderr().is_terminal() {
                e.render().ansi().to_string()
            } else {
                e.render().to_string()
            };
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(systrade_model::redact(&text).as_bytes());
            Parsed::Done(crate::ExitCode::Usage.into())
        }
        Err(e) => {
            // clap's own convention: help and version (on stdout) are success
            let _ = e.print();
            Parsed::Done(crate::ExitCode::Success.into())
        }
    }
}

/// The man page or completion script of `cmd`.
pub fn generate(cmd: Command, kind: Generate) -> Vec<u8> {
    match kind {
        Generate::Man => man_page(cmd),
        Generate::Bash => completion(Shell::Bash, cmd),
        Generate::Zsh => completion(Shell::Zsh, cmd),
        Generate::Fish => completion(Shell::Fish, cmd),
    }
}

fn has_format(c: &Command) -> bool {
    c.get_arguments().any(|a| a.get_id() == "format")
}

/// Every page of a tool: its own (`tool.1`) and one per subcommand (`tool-sub.1`), so every flag
/// is documented.
pub fn man_pages(cmd: &Command) -> Vec<(String, Vec<u8>)> {
    let name = cmd.get_name().to_string();
    let output = has_format(cmd);
    let mut pages = vec![(format!("{name}.1"), render_man(cmd.clone(), &name, output))];
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let sub_name = format!("{name}-{}", sub.get_name());
        let mut page = sub.clone().name(sub_name.clone());
        if let Some(version) = cmd.get_version() {
            page = page.version(version.to_string());
        }
        let output = output || has_format(&page);
        pages.push((format!("{sub_name}.1"), render_man(page, &name, output)));
    }
    pages
}

/// The tool's own page.
pub fn man_page(cmd: Command) -> Vec<u8> {
    let name = cmd.get_name().to_string();
    let output = has_format(&cmd);
    render_man(cmd, &name, output)
}

/// One page of `tool`; `output`: with the OUTPUT section (the command prints with `--format`).
fn render_man(cmd: Command, tool: &str, output: bool) -> Vec<u8> {
    let examples = cmd
        .get_after_help()
        .map(ToString::to_string)
        .and_then(|h| h.strip_prefix("Examples:").map(str::to_string));
    let env = environment(&cmd, tool);
    let has_subcommands = cmd.get_subcommands().any(|s| s.get_name() != "help");
    // The after-help is rendered as EXAMPLES below, not as a trailing paragraph.
    let cmd = cmd.after_help(clap::builder::Resettable::<clap::builder::StyledStr>::Reset);
    let man = clap_mangen::Man::new(cmd);
    let mut buf = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = man.render_title(&mut buf);
    let _ = man.render_name_section(&mut buf);
    let _ = man.render_synopsis_section(&mut buf);
    let _ = man.render_description_section(&mut buf);
    let _ = man.render_options_section(&mut buf);
    if has_subcommands {
        let _ = man.render_subcommands_section(&mut buf);
    }
    if let Some(examples) = examples {
        buf.extend_from_slice(b".SH EXAMPLES\n");
        for line in examples.lines().map(str::trim).filter(|l| !l.is_empty()) {
            buf.extend_from_slice(format!(".PP\n.nf\n{}\n.fi\n", roff(line)).as_bytes());
        }
    }
    if output {
        buf.extend_from_slice(b".SH OUTPUT\n");
        buf.extend_from_slice(roff(crate::OUTPUT_MAN_SECTION).as_bytes());
        buf.push(b'\n');
    }
    buf.extend_from_slice(b".SH \"EXIT STATUS\"\n");
    for (code, text) in crate::EXIT_STATUS_MAN_SECTION {
        buf.extend_from_slice(format!(".TP\n\\fB{code}\\fR\n{text}\n").as_bytes());
    }
    buf.extend_from_slice(b".SH ENVIRONMENT\n");
    for (var, text) in env {
        buf.extend_from_slice(format!(".TP\n\\fB{}\\fR\n{}\n", roff(&var), roff(&text)).as_bytes());
    }
    let _ = man.render_version_section(&mut buf);
    buf
}

/// Escapes text for roff: backslashes and hyphens, and a leading dot or quote.
fn roff(text: &str) -> String {
    let s = text.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with('.') || s.starts_with('\'') {
        format!("\\&{s}")
    } else {
        s
    }
}

/// Every variable `cmd` (and its subcommands) reads: its arguments' `env` and the variables of
/// [`ENVIRONMENT`] for `tool`, sorted by name.
pub fn environment(cmd: &Command, tool: &str) -> Vec<(String, String)> {
    fn walk(c: &Command, out: &mut Vec<(String, String)>) {
        for a in c.get_arguments() {
            if let Some(var) = a.get_env() {
                let var = var.to_string_lossy().to_string();
                if out.iter().any(|(v, _)| *v == var) {
                    continue;
                }
                let flag = a
                    .get_long()
                    .map_or_else(|| a.get_id().to_string(), |l| format!("--{l}"));
                let help = a.get_help().map(ToString::to_string).unwrap_or_default();
                out.push((var, format!("Default for {flag}: {help}")));
            }
        }
        for s in c.get_subcommands() {
            walk(s, out);
        }
    }
    let mut out = Vec::new();
    walk(cmd, &mut out);
    for (t, var, text) in ENVIRONMENT {
        if (*t == "*" || *t == tool) && !out.iter().any(|(v, _)| v == var) {
            out.push(((*var).to_string(), (*text).to_string()));
        }
    }
    out.sort();
    out
}

/// The completion script of `cmd` for `shell`.
///
/// Bash: clap_complete names the case labels of nested subcommands from the binary name with `-`
/// replaced by `__subcmd__` while the word loop uses `__`, so nothing completes after
/// `place-orders overrides`; the labels are rewritten to the loop's form.
pub fn completion(shell: Shell, cmd: Command) -> Vec<u8> {
    let name = cmd.get_name().to_string();
    let mut cmd = cmd;
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, name.clone(), &mut buf);
    if shell == Shell::Bash && name.contains('-') {
        let wrong = name.replace('-', "__subcmd__");
        let right = name.replace('-', "__");
        let text = String::from_utf8_lossy(&buf).replace(&wrong, &right);
        return text.into_bytes();
    }
    buf
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Arg, ArgAction};

    fn tool() -> Command {
        Command::new("my-tool")
            .version("1.0")
            .about("A tool.")
            .after_help("Examples:\n  my-tool run --fast\n  my-tool list")
            .arg(
                Arg::new("data_dir")
                    .long("data-dir")
                    .env("SYSTRADE_DATA")
                    .help("Data directory."),
            )
            .subcommand(
                Command::new("run")
                    .about("Run it.")
                    .arg(
                        Arg::new("fast")
                            .long("fast")
                            .action(ArgAction::SetTrue)
                            .help("Fast."),
                    )
                    .subcommand(Command::new("deep").about("Deeper.")),
            )
            .subcommand(Command::new("list").about("List."))
    }

    #[test]
    fn pages_have_examples_environment_and_no_empty_subcommands() {
        let pages = man_pages(&tool());
        let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["my-tool.1", "my-tool-run.1", "my-tool-list.1"]);
        let top = String::from_utf8(pages[0].1.clone()).unwrap();
        assert!(top.contains(".SH SUBCOMMANDS"));
        assert!(top.contains(".SH EXAMPLES\n.PP\n.nf\nmy\\-tool run \\-\\-fast\n.fi\n"));
        assert!(
            top.contains("\\fBSYSTRADE_DATA\\fR\nDefault for \\-\\-data\\-dir: Data directory.")
        );
        assert!(top.contains("\\fBSYSTRADE_SUMMARY_FILE\\fR"));
        let list = String::from_utf8(pages[2].1.clone()).unwrap();
        assert!(!list.contains(".SH SUBCOMMANDS"), "no empty section");
    }

    #[test]
    fn generate_flag_is_recognised_anywhere() {
        #[derive(Debug, clap::Parser)]
        struct A {
            #[arg(long)]
            x: Option<String>,
        }
        use clap::CommandFactory;
        match parse_from::<A, _>(A::command(), ["a", "--x", "1"].map(OsString::from)) {
            Parsed::Run(a) => assert_eq!(a.x.as_deref(), Some("1")),
            Parsed::Done(_) => panic!("should run"),
        }
        assert!(matches!(
            parse_from::<A, _>(A::command(), ["a", "--y"].map(OsString::from)),
            Parsed::Done(_)
        ));
        assert!(matches!(
            parse_from::<A, _>(
                A::command(),
                ["a", "--generate", "nope"].map(OsString::from)
            ),
            Parsed::Done(_)
        ));
    }

    #[test]
    fn bash_completion_labels_match_the_word_loop() {
        let script = String::from_utf8(completion(Shell::Bash, tool())).unwrap();
        assert!(!script.contains("my__subcmd__tool"));
        assert!(script.contains("my__tool__subcmd__run)"));
    }
}
