//! The end of a run over instruments: each failure logged, and the exit code from how many
//! instruments failed and how many were done.

use crate::exit::{ExitCode, ExitCodeError};
use std::fmt::Display;

/// Logs `failures` (one error line each) and returns the exit code of a run whose per-instrument
/// part ended with them and `done` successes: 0 without failures, 3 (partial) with some, and an
/// error (exit 1) naming them when every instrument failed.
///
/// # Errors
/// Every instrument failed.
pub fn instruments_outcome<C: Display>(
    failures: &[(C, String)],
    done: usize,
) -> anyhow::Result<ExitCode> {
    for (code, e) in failures {
        tracing::error!("{code}: {e}");
    }
    if failures.is_empty() {
        return Ok(ExitCode::Success);
    }
    let names: Vec<String> = failures.iter().map(|(c, e)| format!("{c} ({e})")).collect();
    if done == 0 {
        return Err(anyhow::Error::new(ExitCodeError(ExitCode::Failure))
            .context(format!("every instrument failed: {}", names.join("; "))));
    }
    tracing::warn!(
        "{} of {} instruments failed: {}",
        failures.len(),
        failures.len() + done,
        names.join("; ")
    );
    Ok(ExitCode::Partial)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_code_from_failures_and_successes() {
        let none: [(&str, String); 0] = [];
        assert_eq!(instruments_outcome(&none, 3).unwrap(), ExitCode::Success);
        let one = [("US10", "no prices".to_string())];
        assert_eq!(instruments_outcome(&one, 2).unwrap(), ExitCode::Partial);
        let e = instruments_outcome(&one, 0).unwrap_err();
        assert!(format!("{e:#}").contains("every instrument failed: US10 (no prices)"));
        assert!(
            e.chain()
                .any(|c| c.downcast_ref::<ExitCodeError>().map(|x| x.0) == Some(ExitCode::Failure))
        );
    }
}
