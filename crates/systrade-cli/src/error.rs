//! Errors that carry the exit code they end a tool with.
//!
//! Libraries return their own typed errors and know nothing of exit codes; a binary decides which
//! code an error means, in one way: a constructor ([`failure`], [`usage`], [`data_problem`],
//! [`unavailable`], [`locked`]) for an error it makes itself, or [`ResultExt::exit_code`] /
//! [`with_exit_code`] for a library error it passes on. [`crate::finish`] and
//! [`crate::Outcomes`] read the code back with [`exit_code_of`]; any other error means 1.
//!
//! The code is attached without changing the message: `{err:#}` of a coded error prints exactly
//! what the wrapped error prints.

use crate::exit::ExitCode;
use std::fmt;

/// An error and the exit code it ends the tool with. Displays as the wrapped error; its
/// `source()` is the wrapped error's source, so the chain reads as if the code were not there.
pub struct ExitError {
    code: ExitCode,
    error: anyhow::Error,
}

impl ExitError {
    pub fn code(&self) -> ExitCode {
        self.code
    }

    /// The wrapped error (to look for a typed library error in its chain).
    pub fn inner(&self) -> &anyhow::Error {
        &self.error
    }
}

impl fmt::Display for ExitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl fmt::Debug for ExitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} (exit code {})", self.error, self.code.code())
    }
}

impl std::error::Error for ExitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

/// Wraps `error` so that it ends the tool with `code`.
pub fn with_exit_code(error: impl Into<anyhow::Error>, code: ExitCode) -> anyhow::Error {
    anyhow::Error::new(ExitError {
        code,
        error: error.into(),
    })
}

fn coded(code: ExitCode, message: impl fmt::Display) -> anyhow::Error {
    with_exit_code(anyhow::Error::msg(message.to_string()), code)
}

/// Exit 1: the run failed.
pub fn failure(message: impl fmt::Display) -> anyhow::Error {
    coded(ExitCode::Failure, message)
}

/// Exit 2: a bad command line or argument that clap could not catch.
pub fn usage(message: impl fmt::Display) -> anyhow::Error {
    coded(ExitCode::Usage, message)
}

/// Exit 4: a data problem that needs a person (a malformed file, a spike, an unregistered roll).
pub fn data_problem(message: impl fmt::Display) -> anyhow::Error {
    coded(ExitCode::DataProblem, message)
}

/// Exit 5: the broker or price source could not be reached or refused the session.
pub fn unavailable(message: impl fmt::Display) -> anyhow::Error {
    coded(ExitCode::BrokerUnavailable, message)
}

/// Exit 6: another process holds the lock.
pub fn locked(message: impl fmt::Display) -> anyhow::Error {
    coded(ExitCode::Locked, message)
}

/// The exit code an error ends the tool with: 4 for a `state.sqlite` made by a newer systrade
/// (whichever tool opened it), else the outermost code attached anywhere in its chain, else 1.
pub fn exit_code_of(error: &anyhow::Error) -> ExitCode {
    let newer_schema = error.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<systrade_store::StoreError>(),
            Some(systrade_store::StoreError::NewerSchema { .. })
        )
    });
    if newer_schema {
        return ExitCode::DataProblem;
    }
    error
        .chain()
        .find_map(|cause| {
            cause
                .downcast_ref::<ExitError>()
                .map(ExitError::code)
                .or_else(|| cause.downcast_ref::<ExitCodeError>().map(|e| e.0))
        })
        .unwrap_or(ExitCode::Failure)
}

/// The message an error is reported with: its chain joined by `: `, each cause once. A cause
/// whose text the previous one already contains (a library error that prints its source and also
/// returns it from `source()`, such as `path: No such file or directory (os error 2)`) is not
/// repeated, and an [`ExitCodeError`] (a code, not a cause) is not shown.
pub fn message_of(error: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in error.chain() {
        if cause.downcast_ref::<ExitCodeError>().is_some() {
            continue;
        }
        let text = cause.to_string();
        if text.is_empty() || parts.last().is_some_and(|p| p.contains(&text)) {
            continue;
        }
        parts.push(text);
    }
    parts.join(": ")
}

/// The former way to attach a code (as the root cause, under a context message); still read by
/// [`exit_code_of`] while binaries move to the constructors above.
#[derive(Debug, Clone, Copy)]
pub struct ExitCodeError(pub ExitCode);

impl fmt::Display for ExitCodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "exit code {}", self.0.code())
    }
}

impl std::error::Error for ExitCodeError {}

/// `result.exit_code(ExitCode::DataProblem)?`: attach an exit code to a library error.
pub trait ResultExt<T> {
    fn exit_code(self, code: ExitCode) -> anyhow::Result<T>;
}

impl<T, E: Into<anyhow::Error>> ResultExt<T> for Result<T, E> {
    fn exit_code(self, code: ExitCode) -> anyhow::Result<T> {
        self.map_err(|e| with_exit_code(e, code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_survives_context_and_message_is_unchanged() {
        let e = data_problem("bad row 3").context("reading prices/SP500.parquet");
        assert_eq!(exit_code_of(&e), ExitCode::DataProblem);
        assert_eq!(format!("{e:#}"), "reading prices/SP500.parquet: bad row 3");
    }

    #[test]
    fn each_cause_is_reported_once_and_codes_are_not_causes() {
        /// Prints its source and returns it, as the store's I/O error does.
        #[derive(Debug)]
        struct Io {
            path: String,
            source: std::io::Error,
        }
        impl fmt::Display for Io {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}: {}", self.path, self.source)
            }
        }
        impl std::error::Error for Io {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.source)
            }
        }
        let io = std::io::Error::from(std::io::ErrorKind::NotFound);
        let err = anyhow::Error::new(Io {
            path: "/d/prices/adjusted/ZZZ.parquet".into(),
            source: io,
        })
        .context("reading prices");
        assert_eq!(
            message_of(&err),
            "reading prices: /d/prices/adjusted/ZZZ.parquet: entity not found"
        );
        let coded =
            anyhow::Error::new(ExitCodeError(ExitCode::Locked)).context("data directory locked");
        assert_eq!(message_of(&coded), "data directory locked");
        assert_eq!(exit_code_of(&coded), ExitCode::Locked);
    }

    #[test]
    fn library_error_keeps_its_chain() {
        let io = std::io::Error::other("disk on fire");
        let inner = anyhow::Error::new(io).context("writing x");
        let e: anyhow::Result<()> = Err(inner).exit_code(ExitCode::Locked);
        let e = e.unwrap_err();
        assert_eq!(exit_code_of(&e), ExitCode::Locked);
        assert_eq!(format!("{e:#}"), "writing x: disk on fire");
    }

    #[test]
    fn plain_errors_are_failures() {
        assert_eq!(exit_code_of(&anyhow::anyhow!("x")), ExitCode::Failure);
        assert_eq!(exit_code_of(&usage("x")), ExitCode::Usage);
        assert_eq!(exit_code_of(&unavailable("x")), ExitCode::BrokerUnavailable);
        assert_eq!(exit_code_of(&locked("x")), ExitCode::Locked);
        assert_eq!(exit_code_of(&failure("x")), ExitCode::Failure);
    }

    #[test]
    fn outermost_code_wins() {
        let e = with_exit_code(data_problem("x"), ExitCode::Failure);
        assert_eq!(exit_code_of(&e), ExitCode::Failure);
    }
}
