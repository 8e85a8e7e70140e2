//! `state.sqlite`: operational state (later issues add tables). Opened in WAL mode so readers never
//! block the writer; schema changes are numbered migrations recorded in the `migrations` table and each
//! applied in its own transaction, so a crash leaves the database at a whole schema version.

use crate::atomic::ensure_dir;
use crate::error::{Result, StoreError};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// A migration: its number (strictly increasing from 1), a short name, and its SQL.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Every migration, in order. Append new ones; never edit or renumber an applied one.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
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
    },
    // Version 2: roll states (roll-contracts, issue 3; spec §4.8). One row per instrument; absent
    // means No_Roll. `state` uses pysystemtrade's spellings; `previous_state` is what a failed roll
    // returns to.
    Migration {
        version: 2,
        name: "roll_states",
        sql: "CREATE TABLE IF NOT EXISTS roll_states (
              instrument     TEXT PRIMARY KEY,
              state          TEXT NOT NULL CHECK (state IN ('No_Roll', 'Passive', 'Force',
                                 'Force_Outright', 'Close', 'Roll_Adjusted', 'No_Open')),
              previous_state TEXT,
              updated_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
          );",
    },
    // Version 3: written by size-positions, read by place-orders (spec §4.3 item 7). One row per run
    // per strategy and instrument; the latest (by timestamp, then id) is the current optimal position.
    Migration {
        version: 3,
        name: "optimal_positions",
        sql: "CREATE TABLE optimal_positions (
              id                 INTEGER PRIMARY KEY,
              strategy           TEXT NOT NULL,
              instrument         TEXT NOT NULL,
              timestamp          TEXT NOT NULL,
              lower              REAL NOT NULL,
              upper              REAL NOT NULL,
              reference_price    REAL NOT NULL,
              reference_contract TEXT NOT NULL,
              created_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
              CHECK (lower <= upper)
          );
          CREATE INDEX optimal_positions_latest ON optimal_positions (strategy, instrument, timestamp, id);",
    },
    // Version 4: place-orders (issue 7; spec §4.4-4.7): positions, order stacks and their histories,
    // fills, risk controls, locks and the append-only audit table.
    Migration {
        version: 4,
        name: "orders_positions",
        sql: ORDERS_POSITIONS_SQL,
    },
    // Version 5: daily operations (issue 9; spec §4.2-4.3): step runs, process control and capital.
    // Written by `run-step` (crates/systrade-ops); `strategy_capital` is what size-positions reads.
    Migration {
        version: 5,
        name: "operations",
        sql: OPERATIONS_SQL,
    },
];

/// Migration 5 (run-step, systrade-ops). `run_date` is the trading day a run belongs to
/// (`YYYY-MM-DD`); times are ISO 8601 UTC text. A run with `finished_at IS NULL` is in progress
/// (or its process died: its step lock is then free).
const OPERATIONS_SQL: &str = "
CREATE TABLE process_runs (
    id          INTEGER PRIMARY KEY,
    step        TEXT NOT NULL,
    run_date    TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'refused', 'skipped')),
    exit_code   INTEGER,
    pid         INTEGER,
    command     TEXT NOT NULL DEFAULT '',
    summary     TEXT NOT NULL DEFAULT '',
    rows_fetched   INTEGER,
    orders_placed  INTEGER
);
CREATE INDEX process_runs_step ON process_runs (step, run_date, id);
CREATE TABLE process_control (
    step       TEXT PRIMARY KEY,
    status     TEXT NOT NULL CHECK (status IN ('GO', 'STOP', 'PAUSE', 'NO-RUN')),
    reason     TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
);
CREATE TABLE capital_history (
    id             INTEGER PRIMARY KEY,
    at             TEXT NOT NULL,
    account_value  REAL,
    total_capital  REAL NOT NULL,
    maximum        REAL NOT NULL,
    acc_pnl        REAL NOT NULL,
    method         TEXT NOT NULL CHECK (method IN ('full', 'half', 'fixed', 'manual')),
    status         TEXT NOT NULL CHECK (status IN ('accepted', 'pending', 'rejected')),
    note           TEXT NOT NULL DEFAULT ''
);
CREATE TABLE strategy_capital (
    strategy   TEXT PRIMARY KEY,
    weight     REAL NOT NULL CHECK (weight >= 0),
    capital    REAL NOT NULL,
    updated_at TEXT NOT NULL
);
";

/// Migration 4 (place-orders). Contracts are `YYYYMMDD` ids (`ContractDate::id`), times ISO 8601
/// UTC text; `''` in a `strategy` column of a control table means "every strategy" (instrument-wide).
const ORDERS_POSITIONS_SQL: &str = "
CREATE TABLE strategy_positions (
    strategy   TEXT NOT NULL,
    instrument TEXT NOT NULL,
    position   INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (strategy, instrument)
);
CREATE TABLE contract_positions (
    instrument TEXT NOT NULL,
    contract   TEXT NOT NULL,
    position   INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (instrument, contract)
);
CREATE TABLE instrument_orders (
    id                 INTEGER PRIMARY KEY,
    strategy           TEXT NOT NULL,
    instrument         TEXT NOT NULL,
    trade              INTEGER NOT NULL,
    fill               INTEGER NOT NULL DEFAULT 0,
    filled_price       REAL,
    fill_datetime      TEXT,
    order_type         TEXT NOT NULL,
    reference_price    REAL,
    reference_contract TEXT,
    reference_datetime TEXT,
    generated_datetime TEXT NOT NULL,
    roll_order         INTEGER NOT NULL DEFAULT 0,
    completed_at       TEXT
);
CREATE INDEX instrument_orders_key ON instrument_orders (strategy, instrument);
CREATE TABLE instrument_orders_history AS SELECT * FROM instrument_orders WHERE 0;
CREATE TABLE contract_orders (
    id                  INTEGER PRIMARY KEY,
    instrument_order_id INTEGER NOT NULL,
    strategy            TEXT NOT NULL,
    instrument          TEXT NOT NULL,
    contract            TEXT NOT NULL,
    trade               INTEGER NOT NULL,
    fill                INTEGER NOT NULL DEFAULT 0,
    filled_price        REAL,
    fill_datetime       TEXT,
    reference_price     REAL,
    roll_order          INTEGER NOT NULL DEFAULT 0,
    spread_group        INTEGER,
    generated_datetime  TEXT NOT NULL,
    completed_at        TEXT
);
CREATE INDEX contract_orders_parent ON contract_orders (instrument_order_id);
CREATE TABLE contract_orders_history AS SELECT * FROM contract_orders WHERE 0;
CREATE TABLE broker_orders (
    id                INTEGER PRIMARY KEY,
    contract_order_id INTEGER NOT NULL,
    strategy          TEXT NOT NULL,
    instrument        TEXT NOT NULL,
    contract          TEXT NOT NULL,
    client_order_id   TEXT NOT NULL UNIQUE,
    trade             INTEGER NOT NULL,
    fill              INTEGER NOT NULL DEFAULT 0,
    filled_price      REAL,
    fill_datetime     TEXT,
    commission        REAL,
    order_type        TEXT NOT NULL,
    limit_price       REAL,
    broker            TEXT NOT NULL,
    broker_account    TEXT,
    broker_order_id   TEXT,
    status            TEXT NOT NULL,
    message           TEXT,
    created_at        TEXT NOT NULL,
    submitted_at      TEXT,
    acknowledged_at   TEXT,
    completed_at      TEXT
);
CREATE INDEX broker_orders_parent ON broker_orders (contract_order_id);
CREATE TABLE broker_orders_history AS SELECT * FROM broker_orders WHERE 0;
CREATE TABLE fills (
    id              INTEGER PRIMARY KEY,
    client_order_id TEXT NOT NULL,
    broker_order_id TEXT,
    strategy        TEXT NOT NULL,
    instrument      TEXT NOT NULL,
    contract        TEXT NOT NULL,
    quantity        INTEGER NOT NULL,
    price           REAL,
    fill_datetime   TEXT NOT NULL,
    recorded_at     TEXT NOT NULL
);
CREATE TABLE client_order_sequences (
    strategy   TEXT NOT NULL,
    instrument TEXT NOT NULL,
    date       TEXT NOT NULL,
    last_seq   INTEGER NOT NULL,
    PRIMARY KEY (strategy, instrument, date)
);
CREATE TABLE overrides (
    strategy   TEXT NOT NULL DEFAULT '',
    instrument TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL CHECK (kind IN ('multiplier', 'reduce_only', 'no_trading')),
    multiplier REAL CHECK (multiplier IS NULL OR (multiplier >= 0 AND multiplier <= 1)),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (strategy, instrument),
    CHECK (strategy <> '' OR instrument <> '')
);
CREATE TABLE position_limits (
    strategy     TEXT NOT NULL DEFAULT '',
    instrument   TEXT NOT NULL,
    max_position INTEGER NOT NULL CHECK (max_position >= 0),
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (strategy, instrument)
);
CREATE TABLE trade_limits (
    strategy    TEXT NOT NULL DEFAULT '',
    instrument  TEXT NOT NULL,
    period_days INTEGER NOT NULL CHECK (period_days > 0),
    max_trades  INTEGER NOT NULL CHECK (max_trades >= 0),
    traded      INTEGER NOT NULL DEFAULT 0,
    last_reset  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (strategy, instrument, period_days)
);
CREATE TABLE locks (
    instrument TEXT PRIMARY KEY,
    source     TEXT NOT NULL CHECK (source IN ('manual', 'reconciliation')),
    reason     TEXT NOT NULL,
    locked_at  TEXT NOT NULL
);
CREATE TABLE audit (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    run_id     TEXT NOT NULL,
    strategy   TEXT NOT NULL DEFAULT '',
    instrument TEXT NOT NULL DEFAULT '',
    event      TEXT NOT NULL,
    detail     TEXT NOT NULL
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TABLE sim_executions (
    id              INTEGER PRIMARY KEY,
    client_order_id TEXT NOT NULL UNIQUE,
    broker_order_id TEXT NOT NULL,
    instrument      TEXT NOT NULL,
    contract        TEXT NOT NULL,
    quantity        INTEGER NOT NULL,
    price           REAL NOT NULL,
    executed_at     TEXT NOT NULL
);
";

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

    /// Applies every migration of `list` not yet recorded in the `migrations` table, in version
    /// order, each in its own `BEGIN IMMEDIATE` transaction that re-checks whether the version is
    /// applied — so two processes opening a new database at once never apply one twice, and a
    /// database that recorded a later version before an earlier one existed still gets the earlier
    /// one. Returns how many were applied.
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
        let mut ordered: Vec<&Migration> = list.iter().collect();
        ordered.sort_by_key(|m| m.version);
        let mut applied = 0;
        for m in ordered {
            let path = self.path.clone();
            let err = |source| StoreError::Sqlite {
                path: path.clone(),
                source,
            };
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(err)?;
            let done: bool = tx
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM migrations WHERE version = ?1)",
                    [m.version],
                    |r| r.get(0),
                )
                .map_err(err)?;
            if done {
                continue;
            }
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
    fn a_migration_added_below_the_latest_is_still_applied() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = StateDb::open(&dir.path().join("s.sqlite")).unwrap();
        let later = [Migration {
            version: 2000,
            name: "later",
            sql: "CREATE TABLE later_t (x INTEGER);",
        }];
        assert_eq!(db.migrate(&later).unwrap(), 1);
        // A migration numbered below one already applied (merged from another branch).
        let both = [
            Migration {
                version: 1500,
                name: "earlier",
                sql: "CREATE TABLE earlier_t (x INTEGER);",
            },
            later[0],
        ];
        assert_eq!(db.migrate(&both).unwrap(), 1);
        assert_eq!(db.migrate(&both).unwrap(), 0);
        let n: i64 = db
            .connection()
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'earlier_t'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1);
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
