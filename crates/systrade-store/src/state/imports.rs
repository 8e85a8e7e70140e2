//! Table `import_runs` (migration 1): one row per finished import (`import-pst`).

use super::{StateReader, StateTx};
use crate::error::Result;
use rusqlite::params;

/// A finished import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRun {
    pub tool: String,
    /// What was imported (e.g. the pysystemtrade data directory).
    pub source: String,
    pub finished_at: String,
    pub files: u64,
    pub rows: u64,
}

impl StateReader {
    /// Every recorded import, oldest first.
    pub fn import_runs(&self) -> Result<Vec<ImportRun>> {
        self.rows(
            "SELECT tool, source, finished_at, files, rows FROM import_runs ORDER BY id",
            [],
            |r| {
                Ok(ImportRun {
                    tool: r.get(0)?,
                    source: r.get(1)?,
                    finished_at: r.get(2)?,
                    files: r.get::<_, i64>(3)? as u64,
                    rows: r.get::<_, i64>(4)? as u64,
                })
            },
        )
    }
}

impl StateTx<'_> {
    /// Records a finished import, stamped now.
    pub fn record_import_run(&self, tool: &str, source: &str, files: u64, rows: u64) -> Result<()> {
        self.exec(
            "INSERT INTO import_runs (tool, source, files, rows) VALUES (?1, ?2, ?3, ?4)",
            params![tool, source, files as i64, rows as i64],
        )?;
        Ok(())
    }
}
