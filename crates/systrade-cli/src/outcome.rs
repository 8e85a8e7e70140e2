//! How each item of a run ended (ok, failed with a reason, skipped), the per-item messages and the
//! summary line, and the exit code they make — the one place tools report per-instrument results
//! (as ripgrep's `messages` module is for its per-file messages).
//!
//! Reasons are kept and logged with their secrets redacted ([`systrade_model::redact`]): a tool
//! that prints them on stdout (fetch-prices' `note` column) prints them redacted too.
//!
//! Every message goes through `tracing`, so `--log-format json` makes stderr JSON lines only:
//! a failure is an `ERROR` event `"<item>: <reason>"` with fields `item`, `outcome` and
//! `exit_code`; a skip a `WARN` event; the summary line (`"<what>: 9 ok, 1 failed (US10)"`) an
//! `INFO` event when everything went well, `WARN` when some items failed and `ERROR` when all did.
//!
//! Exit code ([`exit_code`]): every item ok or skipped: 0; some failed: 3, or 4 when one of the
//! failures is a data problem (a person has to look); every attempted item failed: the failures'
//! shared specific code (4 data problem, 5 source or broker unavailable, 6 locked), else 1.

use crate::error::exit_code_of;
use crate::exit::ExitCode;
use std::fmt::Display;
use std::sync::Mutex;

/// How one item ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Skipped { reason: String },
    Failed { code: ExitCode, reason: String },
}

/// The outcomes of one run, recorded from any thread as items finish.
#[derive(Debug)]
pub struct Outcomes {
    what: String,
    items: Mutex<Vec<(String, Outcome)>>,
}

impl Outcomes {
    /// `what` names the run in the summary line (`"update"`, `"fetch-prices"`, ...).
    pub fn new(what: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            items: Mutex::new(Vec::new()),
        }
    }

    fn push(&self, item: String, outcome: Outcome) {
        match self.items.lock() {
            Ok(mut items) => items.push((item, outcome)),
            Err(poisoned) => poisoned.into_inner().push((item, outcome)),
        }
    }

    /// `item` was done; nothing is logged.
    pub fn ok(&self, item: impl Display) {
        self.push(item.to_string(), Outcome::Ok);
    }

    /// `item` was done; `note` is logged at info level as `"<item>: <note>"`.
    pub fn ok_with(&self, item: impl Display, note: impl Display) {
        let item = item.to_string();
        let note = systrade_model::redact(&note.to_string());
        tracing::info!(item = %item, outcome = "ok", "{item}: {note}");
        self.push(item, Outcome::Ok);
    }

    /// `item` was deliberately not done (logged as a warning).
    pub fn skipped(&self, item: impl Display, reason: impl Display) {
        let item = item.to_string();
        let reason = systrade_model::redact(&reason.to_string());
        tracing::warn!(item = %item, outcome = "skipped", "{item}: {reason}");
        self.push(item, Outcome::Skipped { reason });
    }

    /// `item` failed with `error`; its exit code is the error's ([`exit_code_of`]), its reason the
    /// error chain with each cause once ([`crate::message_of`]).
    pub fn failed(&self, item: impl Display, error: &anyhow::Error) {
        self.failed_with(item, exit_code_of(error), crate::error::message_of(error));
    }

    /// `item` failed for `reason`, meaning exit code `code` (e.g. 4 for a quarantined spike).
    pub fn failed_with(&self, item: impl Display, code: ExitCode, reason: impl Display) {
        let item = item.to_string();
        let reason = systrade_model::redact(&reason.to_string());
        tracing::error!(
            item = %item,
            outcome = "failed",
            exit_code = code.code(),
            "{item}: {reason}"
        );
        self.push(item, Outcome::Failed { code, reason });
    }

    /// Records a result: `Ok(v)` → ok and `Some(v)`; `Err(e)` → failed and `None`.
    pub fn record<T>(&self, item: impl Display, result: anyhow::Result<T>) -> Option<T> {
        match result {
            Ok(v) => {
                self.ok(item);
                Some(v)
            }
            Err(e) => {
                self.failed(item, &e);
                None
            }
        }
    }

    /// Items recorded so far, in the order they finished.
    pub fn items(&self) -> Vec<(String, Outcome)> {
        match self.items.lock() {
            Ok(items) => items.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Logs the summary line and returns the exit code.
    pub fn finish(self) -> ExitCode {
        let items = match self.items.into_inner() {
            Ok(items) => items,
            Err(poisoned) => poisoned.into_inner(),
        };
        let ok = items.iter().filter(|(_, o)| *o == Outcome::Ok).count();
        let mut failed: Vec<&str> = Vec::new();
        let mut skipped: Vec<&str> = Vec::new();
        let mut codes: Vec<ExitCode> = Vec::new();
        for (item, o) in &items {
            match o {
                Outcome::Ok => {}
                Outcome::Skipped { .. } => skipped.push(item),
                Outcome::Failed { code, .. } => {
                    failed.push(item);
                    codes.push(*code);
                }
            }
        }
        failed.sort_unstable();
        skipped.sort_unstable();
        let mut line = format!("{}: {ok} ok", self.what);
        if !failed.is_empty() {
            line.push_str(&format!(
                ", {} failed ({})",
                failed.len(),
                failed.join(", ")
            ));
        }
        if !skipped.is_empty() {
            line.push_str(&format!(
                ", {} skipped ({})",
                skipped.len(),
                skipped.join(", ")
            ));
        }
        let code = exit_code(ok, &codes);
        crate::summary::record_summary(&line);
        let (n_failed, n_skipped, exit) = (failed.len(), skipped.len(), code.code());
        match (failed.is_empty(), ok) {
            (true, _) => tracing::info!(
                ok,
                failed = n_failed,
                skipped = n_skipped,
                exit_code = exit,
                "{line}"
            ),
            (false, 0) => tracing::error!(
                ok,
                failed = n_failed,
                skipped = n_skipped,
                exit_code = exit,
                "{line}"
            ),
            (false, _) => tracing::warn!(
                ok,
                failed = n_failed,
                skipped = n_skipped,
                exit_code = exit,
                "{line}"
            ),
        }
        code
    }
}

/// The exit code of a run with `ok` items done and the exit codes of its failed items (see the
/// module documentation).
pub fn exit_code(ok: usize, failures: &[ExitCode]) -> ExitCode {
    let Some(first) = failures.first() else {
        return ExitCode::Success;
    };
    if ok > 0 {
        if failures.contains(&ExitCode::DataProblem) {
            ExitCode::DataProblem
        } else {
            ExitCode::Partial
        }
    } else if failures.iter().all(|c| c == first) && *first != ExitCode::Partial {
        *first
    } else {
        ExitCode::Failure
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ExitCode::*;

    #[test]
    fn mapping() {
        assert_eq!(exit_code(0, &[]), Success);
        assert_eq!(exit_code(5, &[]), Success);
        assert_eq!(exit_code(4, &[Failure]), Partial);
        assert_eq!(exit_code(4, &[BrokerUnavailable]), Partial);
        assert_eq!(exit_code(4, &[Failure, DataProblem]), DataProblem);
        assert_eq!(exit_code(0, &[Failure, Failure]), Failure);
        assert_eq!(
            exit_code(0, &[BrokerUnavailable, BrokerUnavailable]),
            BrokerUnavailable
        );
        assert_eq!(exit_code(0, &[DataProblem]), DataProblem);
        assert_eq!(exit_code(0, &[DataProblem, BrokerUnavailable]), Failure);
        assert_eq!(exit_code(0, &[Partial]), Failure);
    }

    #[test]
    fn a_failure_names_each_cause_once() {
        let io = std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "No such file or directory (os error 2)",
        );
        let e = anyhow::Error::new(io)
            .context("reading prices/adjusted/VIX.parquet: No such file or directory (os error 2)");
        let o = Outcomes::new("test");
        o.failed("VIX", &e);
        let Outcome::Failed { reason, .. } = &o.items()[0].1 else {
            panic!("failed")
        };
        assert_eq!(reason.matches("os error 2").count(), 1, "{reason}");
    }

    #[test]
    fn records_from_results_and_errors() {
        let o = Outcomes::new("test");
        assert_eq!(o.record("A", Ok(1)), Some(1));
        assert_eq!(
            o.record::<()>("B", Err(crate::error::data_problem("spike"))),
            None
        );
        o.skipped("C", "locked");
        let items = o.items();
        assert_eq!(
            items[1].1,
            Outcome::Failed {
                code: DataProblem,
                reason: "spike".into()
            }
        );
        assert_eq!(o.finish(), DataProblem);
    }

    #[test]
    fn skipped_only_is_success() {
        let o = Outcomes::new("test");
        o.skipped("A", "no data");
        assert_eq!(o.finish(), Success);
    }
}
