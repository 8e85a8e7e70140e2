//! One line per instrument on stdout (table, CSV or JSON lines) and the exit code.

use std::io::Write;
use systrade_cli::{ExitCode, OutputFormat};
use systrade_model::Timestamp;

/// How one instrument (or FX code) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Rows were added or revised.
    Updated,
    /// Nothing new.
    Unchanged,
    /// At least one contract's update was quarantined for a spike (the others were written).
    Spike,
    /// Nothing was written for it.
    Failed,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Self::Updated => "updated",
            Self::Unchanged => "unchanged",
            Self::Spike => "spike",
            Self::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub name: String,
    pub status: Status,
    /// Contracts (or 1 for FX) the source delivered.
    pub contracts: usize,
    pub added: usize,
    pub revised: usize,
    /// Latest stored timestamp after the run.
    pub last: Option<Timestamp>,
    pub note: String,
    /// Failed because the source was unreachable.
    pub unavailable: bool,
}

impl Outcome {
    pub(crate) fn failed(name: &str, note: String, unavailable: bool) -> Self {
        Self {
            name: name.to_string(),
            status: Status::Failed,
            contracts: 0,
            added: 0,
            revised: 0,
            last: None,
            note,
            unavailable,
        }
    }
}

/// Writes the per-instrument lines.
pub(crate) fn print(format: OutputFormat, outcomes: &[Outcome]) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let last = |o: &Outcome| o.last.map(|t| t.to_string()).unwrap_or_default();
    match format {
        OutputFormat::Table => {
            let w = outcomes
                .iter()
                .map(|o| o.name.len())
                .max()
                .unwrap_or(0)
                .max("instrument".len());
            writeln!(
                out,
                "{:<w$}  {:<9}  {:>9}  {:>6}  {:>7}  {:<19}  note",
                "instrument", "status", "contracts", "added", "revised", "last"
            )?;
            for o in outcomes {
                writeln!(
                    out,
                    "{:<w$}  {:<9}  {:>9}  {:>6}  {:>7}  {:<19}  {}",
                    o.name,
                    o.status.name(),
                    o.contracts,
                    o.added,
                    o.revised,
                    last(o),
                    o.note
                )?;
            }
        }
        OutputFormat::Csv => {
            writeln!(
                out,
                "instrument,status,contracts,rows_added,rows_revised,last_timestamp,note"
            )?;
            for o in outcomes {
                writeln!(
                    out,
                    "{},{},{},{},{},{},{}",
                    o.name,
                    o.status.name(),
                    o.contracts,
                    o.added,
                    o.revised,
                    last(o),
                    csv_field(&o.note)
                )?;
            }
        }
        OutputFormat::Json => {
            for o in outcomes {
                let v = serde_json::json!({
                    "instrument": o.name,
                    "status": o.status.name(),
                    "contracts": o.contracts,
                    "rows_added": o.added,
                    "rows_revised": o.revised,
                    "last_timestamp": o.last.map(|t| t.to_string()),
                    "note": o.note,
                });
                writeln!(out, "{v}")?;
            }
        }
    }
    out.flush()
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The exit code: 0 all done; 4 a spike was quarantined; 3 some failed; 5 all failed because the
/// source was unavailable; 1 all failed.
pub(crate) fn summarise(outcomes: &[Outcome]) -> ExitCode {
    let failed: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.status == Status::Failed)
        .collect();
    let spikes = outcomes.iter().any(|o| o.status == Status::Spike);
    let mut code = ExitCode::Success;
    if !failed.is_empty() {
        let names: Vec<&str> = failed.iter().map(|o| o.name.as_str()).collect();
        tracing::warn!(
            "{} of {} failed: {}",
            failed.len(),
            outcomes.len(),
            names.join(", ")
        );
        code = if failed.len() < outcomes.len() {
            ExitCode::Partial
        } else if failed.iter().all(|o| o.unavailable) {
            ExitCode::BrokerUnavailable
        } else {
            ExitCode::Failure
        };
    }
    if spikes {
        code = code.worst(ExitCode::DataProblem);
    }
    code
}
