//! `state.sqlite`: operational state (later issues add tables). Opened in WAL mode so readers never
//! block the writer; schema changes are numbered migrations recorded in the `migrations` table and each
//! applied in its own transaction, so a crash leaves the database at a whole schema version.

use crate::atomic::ensure_dir;
use crate::error::{Result, StoreError};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// A migration: its number (strictly increasing from 1), a short name, and its SQL.
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Every migration, in order. Append new ones; never edit or renumber an applied one.
pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "meta and import_runs",
    sql: "CREATE TABLE meta (
              key   TEXT PRIMARY KEY,
              value TEXT NOT NULL
          );
          CREATE TABLE import_runs (
              id          INTEGER PRIMARY KEY,
              tool        TEXT NOT NULL,
              source      TEXT NOT NULL,
              finished_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
              files       INTEGER NOT NULL,
              rows        INTEGER NOT NULL
          );",
}];

/// An open `state.sqlite`, migrated to the latest schema.
pub struct StateDb {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for StateDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateDb").field("path", &self.path).finish()
    }
}

impl StateDb {
    /// Opens (creating if needed) the database at `path` in WAL mode and applies pending migrations.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            ensure_dir(dir)?;
        }
        let err = |source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(err)?;
        let mut db = Self {
            conn,
            path: path.to_path_buf(),
        };
        db.migrate(MIGRATIONS)?;
        Ok(db)
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Applies the migrations of `list` newer than the current schema version, each in a transaction.
    /// Returns how many were applied.
    pub fn migrate(&mut self, list: &[Migration]) -> Result<usize> {
        self.conn
            .execute_batch(
                "CREATE TABLE IF NOT EXISTS migrations (
                     version    INTEGER PRIMARY KEY,
                     name       TEXT NOT NULL,
                     applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                 );",
            )
            .map_err(|e| self.err(e))?;
        let current = self.schema_version()?;
        let mut applied = 0;
        for m in list.iter().filter(|m| m.version > current) {
            let path = self.path.clone();
            let err = |source| StoreError::Sqlite {
                path: path.clone(),
                source,
            };
            let tx = self.conn.transaction().map_err(err)?;
            tx.execute_batch(m.sql).map_err(err)?;
            tx.execute(
                "INSERT INTO migrations (version, name) VALUES (?1, ?2)",
                rusqlite::params![m.version, m.name],
            )
            .map_err(err)?;
            tx.commit().map_err(err)?;
            applied += 1;
        }
        Ok(applied)
    }

    /// The highest applied migration number (0 for a new database).
    pub fn schema_version(&self) -> Result<i64> {
        self.conn
            .query_row(
                "SELECT COALESCE(MAX(version), 0) FROM migrations",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// Records a finished import (e.g. by `import-pst`).
    pub fn record_import_run(&self, tool: &str, source: &str, files: u64, rows: u64) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO import_runs (tool, source, files, rows) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![tool, source, files as i64, rows as i64],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// The underlying connection, for tables added by later issues.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_from_empty_and_are_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        let db = StateDb::open(&path).unwrap();
        let latest = MIGRATIONS.last().unwrap().version;
        assert_eq!(db.schema_version().unwrap(), latest);
        let mode: String = db
            .connection()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        db.record_import_run("import-pst", "/src", 3, 42).unwrap();
        drop(db);

        let mut db = StateDb::open(&path).unwrap();
        assert_eq!(db.schema_version().unwrap(), latest);
        assert_eq!(db.migrate(MIGRATIONS).unwrap(), 0);
        let n: i64 = db
            .connection()
            .query_row("SELECT COUNT(*) FROM migrations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, MIGRATIONS.len() as i64);
        let rows: i64 = db
            .connection()
            .query_row("SELECT rows FROM import_runs", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 42, "data survives reopening");
    }

    #[test]
    fn migration_numbers_increase() {
        for w in MIGRATIONS.windows(2) {
            assert!(w[1].version > w[0].version);
        }
        assert_eq!(MIGRATIONS[0].version, 1);
    }

    #[test]
    fn a_failing_migration_is_rolled_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = StateDb::open(&dir.path().join("s.sqlite")).unwrap();
        let bad = [Migration {
            version: 1000,
            name: "broken",
            sql: "CREATE TABLE half_done (x INTEGER); THIS IS NOT SQL;",
        }];
        assert!(db.migrate(&bad).is_err());
        assert_eq!(
            db.schema_version().unwrap(),
            MIGRATIONS.last().unwrap().version
        );
        let exists: i64 = db
            .connection()
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'half_done'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(exists, 0);
    }
}
