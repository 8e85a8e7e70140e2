//! The run summary a supervising process records: when `SYSTRADE_SUMMARY_FILE` is set (run-step
//! sets it for the command of a step), a tool writes its one-line summary of what it did, with
//! counts (`"update: 9 ok, 1 failed (US10)"`, `"place-orders: 6 instruments, 4 orders sent, 4
//! filled, ..."`), to that file. run-step stores it as the step's summary instead of guessing from
//! the last line of output. Without the variable nothing is written.

use std::path::PathBuf;

/// The environment variable naming the file a tool writes its run summary to.
pub const SUMMARY_FILE_ENV: &str = "SYSTRADE_SUMMARY_FILE";

/// Writes `line` (its first line, secrets redacted, at most 500 characters) to
/// `$SYSTRADE_SUMMARY_FILE` when set.
/// A failure to write is logged at debug level and otherwise ignored: the summary is a courtesy to
/// the supervisor and never changes a run's result.
pub fn record_summary(line: &str) {
    let Some(path) = std::env::var_os(SUMMARY_FILE_ENV).map(PathBuf::from) else {
        return;
    };
    if path.as_os_str().is_empty() {
        return;
    }
    let first: String = systrade_model::redact(line.lines().next().unwrap_or(""))
        .chars()
        .take(500)
        .collect();
    if let Err(e) = std::fs::write(&path, format!("{first}\n")) {
        tracing::debug!("writing the run summary to {}: {e}", path.display());
    }
}
