//! Typed exit codes shared by every tool (documented under EXIT STATUS in each man page).

use std::io::IsTerminal;

/// How a systrade tool ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// 0: everything asked for was done.
    Success,
    /// 1: the run failed; nothing was written that is not complete and consistent.
    Failure,
    /// 2: bad command line (unknown flag, bad value); clap uses this code too.
    Usage,
    /// 3: some instruments failed, the others were processed; a summary names the failures.
    Partial,
    /// 4: a data problem needs a human: a price spike quarantined, a roll not registered, stale data.
    DataProblem,
    /// 5: the broker or price source could not be reached or refused the session.
    BrokerUnavailable,
    /// 6: another process holds the lock on the data being written (after waiting for it).
    Locked,
}

impl ExitCode {
    pub fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Failure => 1,
            Self::Usage => 2,
            Self::Partial => 3,
            Self::DataProblem => 4,
            Self::BrokerUnavailable => 5,
            Self::Locked => 6,
        }
    }

    /// The more serious of two outcomes (for tools that combine per-instrument results):
    /// anything beats success, and a failure beats the specific codes.
    pub fn worst(self, other: Self) -> Self {
        fn rank(c: ExitCode) -> u8 {
            match c {
                ExitCode::Success => 0,
                ExitCode::Partial => 1,
                ExitCode::DataProblem => 2,
                ExitCode::BrokerUnavailable => 3,
                ExitCode::Locked => 4,
                ExitCode::Usage => 5,
                ExitCode::Failure => 6,
            }
        }
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(c: ExitCode) -> Self {
        std::process::ExitCode::from(c.code())
    }
}

/// The EXIT STATUS section text of every man page.
pub const EXIT_STATUS_MAN_SECTION: &[(&str, &str)] = &[
    (
        "0",
        "Success: everything asked for was done (instruments skipped on purpose included).",
    ),
    (
        "1",
        "Failure: the run failed, or every instrument failed; previously written data is intact.",
    ),
    ("2", "Usage: bad command line or arguments."),
    (
        "3",
        "Partial: some instruments failed, the others were done; each failure is logged on stderr, then a summary line.",
    ),
    (
        "4",
        "Data problem, a person has to look (also when only some instruments have one): a price spike was quarantined, a malformed file, a roll is not registered, stale data.",
    ),
    (
        "5",
        "Broker or price source unavailable (for every instrument tried).",
    ),
    (
        "6",
        "Locked: another process is writing the same data and did not finish in time.",
    ),
];

/// The OUTPUT section of the man page of every tool with `--format`.
pub const OUTPUT_MAN_SECTION: &str = "--format table (the default) prints aligned columns for people; \
--format csv a header line, then one line per row; --format json JSON Lines: one object per row, \
keys as in the CSV header, numbers as JSON numbers, missing values as null, dates and timestamps as \
ISO-8601 strings (2024-03-14T23:00:00). A summary that is not a list is one JSON object on one line \
(csv: its flattened key paths and values). Output with several tables tags each JSON object with \
\"table\". Logs, each failed instrument and a summary line go to stderr (JSON lines with \
--log-format json).";

/// Ends a tool: reports an error (its whole chain, `error: outer: inner: cause`, secrets redacted)
/// on stderr —
/// through the log when `--log-format json` is on, so stderr stays JSON lines — treats a broken
/// pipe on stdout as a clean exit (so `tool | head` is quiet) and converts to a process exit code
/// ([`crate::exit_code_of`]).
pub fn finish(result: anyhow::Result<ExitCode>) -> std::process::ExitCode {
    match result {
        Ok(code) => code.into(),
        Err(err) => {
            let broken_pipe = err.chain().any(|cause| {
                cause
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                return ExitCode::Success.into();
            }
            let code = crate::error::exit_code_of(&err);
            let message = systrade_model::redact(&crate::error::message_of(&err));
            if crate::logging::json_logs() {
                tracing::error!(exit_code = code.code(), "{message}");
            } else {
                let prefix = if std::io::stderr().is_terminal() {
                    "\x1b[1;31merror\x1b[0m"
                } else {
                    "error"
                };
                #[allow(clippy::print_stderr)]
                {
                    eprintln!("{prefix}: {message}");
                }
            }
            code.into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_prefers_failure() {
        assert_eq!(
            ExitCode::Success.worst(ExitCode::Partial),
            ExitCode::Partial
        );
        assert_eq!(
            ExitCode::Partial.worst(ExitCode::Success),
            ExitCode::Partial
        );
        assert_eq!(
            ExitCode::DataProblem.worst(ExitCode::Failure),
            ExitCode::Failure
        );
        assert_eq!(
            ExitCode::Partial.worst(ExitCode::DataProblem),
            ExitCode::DataProblem
        );
    }

    #[test]
    fn codes_match_man_section() {
        let all = [
            ExitCode::Success,
            ExitCode::Failure,
            ExitCode::Usage,
            ExitCode::Partial,
            ExitCode::DataProblem,
            ExitCode::BrokerUnavailable,
            ExitCode::Locked,
        ];
        for (c, (num, _)) in all.iter().zip(EXIT_STATUS_MAN_SECTION) {
            assert_eq!(c.code().to_string(), *num);
        }
    }
}
