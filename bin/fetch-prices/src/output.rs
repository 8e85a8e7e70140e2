//! One row per instrument (or FX code) on stdout in the output convention of `systrade_cli`, and
//! each instrument's outcome for the summary and the exit code.

use systrade_cli::{ExitCode, Outcomes, OutputFormat, Printer, Value};
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

/// What happened to one instrument's (or FX code's) prices.
#[derive(Debug, Clone)]
pub(crate) struct Update {
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

impl Update {
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

    /// Records the outcome: a failure (exit 5 when the source was unavailable), a spike (a data
    /// problem, exit 4), or ok.
    pub(crate) fn record(&self, outcomes: &Outcomes) {
        match self.status {
            Status::Updated | Status::Unchanged => outcomes.ok(&self.name),
            Status::Spike => outcomes.failed_with(
                &self.name,
                ExitCode::DataProblem,
                format!("price spike quarantined: {}", self.note),
            ),
            Status::Failed => outcomes.failed_with(
                &self.name,
                if self.unavailable {
                    ExitCode::BrokerUnavailable
                } else {
                    ExitCode::Failure
                },
                &self.note,
            ),
        }
    }
}

/// Writes the per-instrument rows (scripts sum `rows_added`, the fourth column of the CSV).
pub(crate) fn print(format: OutputFormat, updates: &[Update]) -> std::io::Result<()> {
    let mut out = Printer::stdout(format);
    out.table(
        "prices",
        "Prices",
        systrade_cli::output::columns(&[
            "instrument",
            "status",
            "contracts",
            "rows_added",
            "rows_revised",
            "last_timestamp",
            "note",
        ]),
    )?;
    for u in updates {
        out.row(vec![
            Value::text(&u.name),
            u.status.name().into(),
            u.contracts.into(),
            u.added.into(),
            u.revised.into(),
            u.last.into(),
            Value::text(&u.note),
        ])?;
    }
    out.finish()
}
