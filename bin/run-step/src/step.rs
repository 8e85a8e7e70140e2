//! One step run under process control: lock, crashed runs, decision, the command, its record,
//! metrics and the alert.

use crate::Args;
use crate::execute::{StepRun, execute};
use anyhow::bail;
use chrono::NaiveDate;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use systrade_cli::{ExitCode, ExitCodeError};
use systrade_ops::process::{self, Decision, RunOutcome, RunStatus};
use systrade_store::{StateReader, StateWriter, Store, StoreError, WriteLock};

fn run_date(args: &Args) -> anyhow::Result<NaiveDate> {
    match args.date {
        Some(d) => Ok(d),
        None => systrade_cli::today(),
    }
}

pub(crate) fn run_step(
    args: &Args,
    store: &Store,
    db: &mut StateWriter,
    step: &str,
    metrics_path: &Path,
) -> anyhow::Result<ExitCode> {
    if step.is_empty()
        || step.contains('/')
        || ["control", "capital", "metrics", "instruments"].contains(&step)
    {
        bail!("invalid step name {step:?}");
    }
    let date = run_date(args)?;
    let steps = process::load_steps(&store.dir().processes_csv())?;
    let cfg = process::step_config(&steps, step);

    let lock_path = store.dir().step_lock_file(step);
    let _lock = match WriteLock::acquire(&lock_path, Duration::ZERO) {
        Ok(l) => l,
        Err(StoreError::Locked { .. }) => {
            let reason = "another run of this step is in progress".to_string();
            tracing::error!(step, "{reason}");
            db.transaction(|tx| {
                tx.record_run_not_started(step, date, RunStatus::Refused, &reason)
            })?;
            write_metrics(db, metrics_path);
            alert(args, step, date, 6, &reason);
            return Err(anyhow::Error::new(ExitCodeError(ExitCode::Locked))
                .context(format!("step {step} refused: {reason}")));
        }
        Err(e) => return Err(e.into()),
    };

    let crashed = db.transaction(|tx| tx.close_crashed_runs(step))?;
    if crashed > 0 {
        tracing::warn!(
            step,
            crashed,
            "earlier run(s) ended without recording their end: marked failed"
        );
    }

    if args.once && db.latest_run_status(step, date)? == Some(RunStatus::Ok) {
        tracing::info!(step, %date, "already succeeded on this run date; nothing to do");
        return Ok(ExitCode::Success);
    }

    let status = db.control_status(step)?;
    let now = match args.time {
        Some(t) => t,
        None => systrade_cli::clock::time_of_day()?,
    };
    let pred = match &cfg.predecessor {
        Some(p) => db.latest_run_status(p, date)?,
        None => None,
    };
    match process::decide(&cfg, status, now, pred) {
        Decision::Skip => {
            tracing::warn!(step, "status NO-RUN: skipped");
            db.transaction(|tx| {
                tx.record_run_not_started(
                    step,
                    date,
                    RunStatus::Skipped,
                    "process status is NO-RUN",
                )
            })?;
            write_metrics(db, metrics_path);
            return Ok(ExitCode::Success);
        }
        Decision::Refuse(reason) => {
            tracing::error!(step, %date, "not started: {reason}");
            db.transaction(|tx| {
                tx.record_run_not_started(step, date, RunStatus::Refused, &reason)
            })?;
            write_metrics(db, metrics_path);
            return Err(anyhow::anyhow!("step {step} not started: {reason}"));
        }
        Decision::Run => {}
    }

    let command_text = args.command.join(" ");
    let id = db.transaction(|tx| tx.record_run_start(step, date, &command_text))?;
    tracing::info!(step, %date, command = %command_text, "step started");
    let orders_before = db.broker_orders_created().ok();
    let summary_file = store.dir().step_summary_file(step);
    let run = StepRun {
        step,
        id,
        date,
        summary_file: &summary_file,
    };
    // Whether the command ran: then its output (its error, its summary line) has already passed
    // through to our stderr, and the failure line below does not repeat it.
    let (outcome, ran) = match execute(&args.command, &run) {
        Ok(o) => (o, true),
        Err(e) => (
            RunOutcome {
                exit_code: 127,
                summary: format!("could not start {}: {e:#}", args.command[0]),
                ..Default::default()
            },
            false,
        ),
    };
    let orders_placed = match (orders_before, db.broker_orders_created().ok()) {
        (Some(b), Some(a)) if a >= b => Some(a - b),
        _ => None,
    };
    let outcome = RunOutcome {
        orders_placed,
        ..outcome
    };
    db.transaction(|tx| tx.record_run_end(id, &outcome))?;
    write_metrics(db, metrics_path);
    if outcome.exit_code == 0 {
        tracing::info!(step, summary = %outcome.summary, "step succeeded");
        return Ok(ExitCode::Success);
    }
    // One line for the failure (issue 19): the command's own error is already on stderr, so it is
    // not repeated here; it is recorded as the run's summary and passed to the alert.
    if ran {
        tracing::error!(
            step,
            exit_code = outcome.exit_code,
            "step {step} failed with exit code {}",
            outcome.exit_code
        );
    } else {
        tracing::error!(
            step,
            exit_code = outcome.exit_code,
            "step {step} failed: {}",
            outcome.summary
        );
    }
    alert(args, step, date, outcome.exit_code, &outcome.summary);
    Ok(match outcome.exit_code {
        3 => ExitCode::Partial,
        4 => ExitCode::DataProblem,
        5 => ExitCode::BrokerUnavailable,
        6 => ExitCode::Locked,
        2 => ExitCode::Usage,
        _ => ExitCode::Failure,
    })
}

fn write_metrics(db: &StateReader, path: &Path) {
    if let Err(e) = systrade_ops::metrics::write(db, path) {
        tracing::error!("writing metrics {}: {e:#}", path.display());
    }
}

fn alert(args: &Args, step: &str, date: NaiveDate, code: i32, summary: &str) {
    let Some(cmd) = args.alert_cmd.as_deref().filter(|c| !c.trim().is_empty()) else {
        return;
    };
    let status = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .arg("sh")
        .arg(step)
        .arg(code.to_string())
        .env("SYSTRADE_ALERT_STEP", step)
        .env("SYSTRADE_ALERT_EXIT_CODE", code.to_string())
        .env("SYSTRADE_ALERT_SUMMARY", summary)
        .env("SYSTRADE_RUN_DATE", date.to_string())
        .stdin(Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => tracing::info!(step, "alert command ran"),
        Ok(s) => tracing::error!(step, "alert command failed: {s}"),
        Err(e) => tracing::error!(step, "alert command could not start: {e}"),
    }
}
