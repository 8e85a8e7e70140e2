//! `run-step control`: show the steps' statuses and latest runs, or set a status.

use crate::ControlCmd;
use crate::table::print_table;
use systrade_cli::{ExitCode, OutputFormat};
use systrade_ops::process::{self, ControlStatus};
use systrade_store::StateWriter;

pub(crate) fn run(
    db: &mut StateWriter,
    action: Option<&ControlCmd>,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    if let Some(ControlCmd::Set {
        step,
        status,
        reason,
    }) = action
    {
        let s = ControlStatus::parse(status)?;
        db.transaction(|tx| tx.set_control_status(step, s, reason))?;
        tracing::info!(step, status = s.as_str(), "process status set");
        return Ok(ExitCode::Success);
    }
    let steps = process::default_steps();
    let mut names: Vec<String> = steps.iter().map(|s| s.name.clone()).collect();
    for c in db.process_controls()? {
        if !names.contains(&c.step) {
            names.push(c.step);
        }
    }
    let runs = db.process_runs(0)?;
    for r in &runs {
        if !names.contains(&r.step) {
            names.push(r.step.clone());
        }
    }
    let header = [
        "step",
        "status",
        "last_run_date",
        "last_outcome",
        "exit_code",
        "summary",
    ];
    let mut rows = Vec::new();
    for n in &names {
        let st = db.control_status(n)?;
        let last = runs.iter().find(|r| &r.step == n);
        rows.push(vec![
            n.clone(),
            st.as_str().to_string(),
            last.map(|r| r.run_date.to_string()).unwrap_or_default(),
            last.map(|r| r.status.to_string()).unwrap_or_default(),
            last.and_then(|r| r.exit_code)
                .map(|c| c.to_string())
                .unwrap_or_default(),
            last.map(|r| r.summary.clone()).unwrap_or_default(),
        ]);
    }
    print_table(&header, &rows, format)?;
    Ok(ExitCode::Success)
}
