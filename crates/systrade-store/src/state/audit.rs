//! Table `audit` (migration 4): the append-only trail of every decision of place-orders that
//! changed or blocked an order, and of every change to a risk control. Triggers refuse updates and
//! deletes.

use super::{StateReader, StateTx, now_text};
use crate::error::Result;
use rusqlite::params;
use serde::Serialize;

/// An audit row; `strategy` and `instrument` are `''` where the event has no such scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub run_id: String,
    pub strategy: String,
    pub instrument: String,
    pub event: String,
    pub detail: String,
}

impl StateReader {
    /// The whole audit trail, oldest first.
    pub fn audit_rows(&self) -> Result<Vec<AuditRow>> {
        self.rows(
            "SELECT id, at, run_id, strategy, instrument, event, detail FROM audit ORDER BY id",
            [],
            |r| {
                Ok(AuditRow {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    run_id: r.get(2)?,
                    strategy: r.get(3)?,
                    instrument: r.get(4)?,
                    event: r.get(5)?,
                    detail: r.get(6)?,
                })
            },
        )
    }
}

impl StateTx<'_> {
    /// Appends an event to the audit trail, stamped now.
    pub fn audit(
        &self,
        run_id: &str,
        strategy: &str,
        instrument: &str,
        event: &str,
        detail: &str,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO audit (at, run_id, strategy, instrument, event, detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![now_text(), run_id, strategy, instrument, event, detail],
        )?;
        Ok(())
    }
}
