//! `state.sqlite`: the operational state of a data directory — roll states, optimal positions,
//! orders, fills, positions, risk controls, the audit trail, step runs, capital, import runs and the
//! sim broker's book. This module is the only code that opens it or speaks SQL to it.
//!
//! **Opening.** One function opens the file for writing ([`open_connection`]: created 0600, busy
//! timeout, WAL, `synchronous = FULL`, foreign keys, then every pending migration of
//! [`MIGRATIONS`]). A database recording a migration this build does not know is refused
//! ([`StoreError::NewerSchema`]: made by a newer systrade). Two handles:
//!
//! - [`StateReader`] ([`crate::Store::open_state`]): the read queries. An up-to-date file is
//!   opened read-only (`mode=ro`, or `immutable=1` when its directory cannot be written, e.g. a
//!   read-only filesystem), an older one is migrated first; the connection is `query_only`, so a
//!   reader cannot write by mistake. A data directory without `state.sqlite`
//!   reads as an empty database (an in-memory one, migrated): reading creates nothing.
//! - [`StateWriter`] ([`crate::Store::open_state_for_writing`]): creates the file if needed; derefs
//!   to [`StateReader`] for reads, and writes only inside [`StateWriter::transaction`] (`BEGIN
//!   IMMEDIATE`, committed when the closure returns `Ok`, rolled back on `Err`) or
//!   [`StateWriter::dry_run`] (always rolled back). Callers never write `BEGIN`/`COMMIT`.
//!
//! SQLite serialises writers itself (WAL, `BEGIN IMMEDIATE`, a 30 s busy timeout), so a
//! [`StateWriter`] does not need the data directory's write lock; a tool that writes rows together
//! with files (size-positions, roll-contracts, import-pst) writes them while it holds its
//! [`crate::Writer`]. See docs/adr/0005-state-database.md.
//!
//! **Tables.** Each table group is one module with its row types and queries: [`roll`] (roll
//! states), [`optimal`] (optimal positions), [`positions`] (strategy and contract positions),
//! [`orders`] (instrument, contract and broker orders, their histories, fills, client order
//! sequences), [`controls`] (overrides, position and trade limits, instrument locks), [`audit`],
//! [`sim`] (the sim broker's executions), [`process`] (step runs and process control), [`capital`]
//! (capital history and strategy capital), [`imports`] (import runs), [`sizing`] (size-positions
//! runs and the dynamic optimiser's decisions). Reads are methods of
//! [`StateReader`], writes methods of [`StateTx`]. Times are ISO 8601 UTC text ([`now_text`]);
//! contracts are stored as `YYYYMMDD` text and read back as [`systrade_model::ContractDate`].

pub mod audit;
pub mod capital;
pub mod contracts;
pub mod controls;
pub mod imports;
mod migrations;
pub mod optimal;
pub mod orders;
pub mod positions;
pub mod process;
pub mod roll;
pub mod sim;
pub mod sizing;

pub use migrations::{MIGRATIONS, Migration};

use crate::atomic::ensure_dir;
use crate::error::{Result, StoreError};
use rusqlite::{Connection, TransactionBehavior};
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;
use systrade_model::{ContractDate, InstrumentCode};

/// How long a connection waits for another process's write transaction before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The current UTC time as `state.sqlite` stores times (`YYYY-MM-DDTHH:MM:SS.fffZ`).
pub fn now_text() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// Opens `path` (creating it and its directory if needed) with the connection settings every
/// handle uses, and applies pending migrations.
fn open_connection(path: &Path) -> Result<Connection> {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        ensure_dir(dir)?;
    }
    create_private(path)?;
    let conn = Connection::open(path).map_err(|e| open_err(path, e, true))?;
    configure(&conn, path, true).map_err(|e| with_open_reason(e, true))?;
    Ok(conn)
}

/// Why `path` cannot be opened (for writing when `write`), as the operating system says it: the
/// directory is missing, the file is a directory or cannot be read, the directory or file cannot
/// be written (a read-only filesystem: EROFS). `None` when nothing is visibly wrong.
pub(crate) fn open_reason(path: &Path, write: bool) -> Option<String> {
    use rustix::fs::{Access, access};
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if let Err(e) = std::fs::metadata(dir) {
        return Some(format!("directory {}: {e}", dir.display()));
    }
    if path.is_dir() {
        return Some("it is a directory".to_string());
    }
    if path.exists() {
        if let Err(e) = access(path, Access::READ_OK) {
            return Some(format!("cannot read it: {}", std::io::Error::from(e)));
        }
        if write && let Err(e) = access(path, Access::WRITE_OK) {
            return Some(format!("cannot write it: {}", std::io::Error::from(e)));
        }
    }
    // WAL mode creates `-wal` and `-shm` files beside the database
    if write && let Err(e) = access(dir, Access::WRITE_OK) {
        return Some(format!(
            "cannot create files in {}: {}",
            dir.display(),
            std::io::Error::from(e)
        ));
    }
    None
}

/// A SQLite error opening `path`, with the operating system's reason when there is one.
fn open_err(path: &Path, source: rusqlite::Error, write: bool) -> StoreError {
    with_open_reason(sqlite_err(path, source), write)
}

/// [`StoreError::Sqlite`] turned into [`StoreError::SqliteOpen`] when [`open_reason`] finds why
/// the database cannot be opened; any other error as it is.
fn with_open_reason(e: StoreError, write: bool) -> StoreError {
    match e {
        StoreError::Sqlite { path, source } => match open_reason(&path, write) {
            Some(reason) => StoreError::SqliteOpen {
                path,
                reason: format!("{reason} ({source})"),
            },
            None => StoreError::Sqlite { path, source },
        },
        other => other,
    }
}

/// Creates `path` empty with mode 0600 when it does not exist, so `state.sqlite` (and the `-wal`
/// and `-shm` files SQLite gives the database's mode) is private whatever the umask.
fn create_private(path: &Path) -> Result<()> {
    use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(f) => f
            .set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| StoreError::io(path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::io(path, e)),
    }
}

/// `synchronous = FULL`: a committed transaction (an order's "about to send" marker among them)
/// is on disk when the commit returns, even across a power loss; `NORMAL` in WAL mode may lose
/// the last commits.
fn configure(conn: &Connection, path: &Path, wal: bool) -> Result<()> {
    let err = |e| sqlite_err(path, e);
    conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
    if wal {
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
    }
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(err)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(err)?;
    migrate(conn, path, MIGRATIONS)?;
    Ok(())
}

/// The highest migration of `list` (of [`MIGRATIONS`]: the highest this build knows).
fn latest_of(list: &[Migration]) -> i64 {
    list.iter().map(|m| m.version).max().unwrap_or(0)
}

/// The migrations recorded in the database, or none when it has no `migrations` table yet.
fn recorded_versions(conn: &Connection, path: &Path) -> Result<Vec<i64>> {
    let err = |e| sqlite_err(path, e);
    let has_table: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations')",
            [],
            |r| r.get(0),
        )
        .map_err(err)?;
    if !has_table {
        return Ok(Vec::new());
    }
    let mut stmt = conn
        .prepare("SELECT version FROM migrations ORDER BY version")
        .map_err(err)?;
    let rows = stmt.query_map([], |r| r.get(0)).map_err(err)?;
    rows.collect::<rusqlite::Result<Vec<i64>>>().map_err(err)
}

/// Refuses a database that records a migration this build does not know: it was made by a newer
/// systrade, whose tables this build would misread or damage.
fn refuse_newer(path: &Path, recorded: &[i64], known: i64) -> Result<()> {
    match recorded.iter().copied().max() {
        Some(found) if found > known => Err(StoreError::NewerSchema {
            path: path.to_path_buf(),
            found,
            known,
        }),
        _ => Ok(()),
    }
}

/// Opens an existing `path` without write access: `mode=ro`, or, when even that fails because
/// the directory cannot be written (a read-only filesystem or directory: SQLite cannot create the
/// WAL index), `immutable=1` — nothing can change the file there, so nothing is missed.
fn open_read_only(path: &Path) -> Result<Connection> {
    use rusqlite::OpenFlags;
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let probe = |conn: Connection| -> rusqlite::Result<Connection> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.query_row("SELECT COUNT(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })?;
        Ok(conn)
    };
    let first = Connection::open_with_flags(path, flags).and_then(probe);
    match first {
        Ok(conn) => Ok(conn),
        Err(e) if dir_is_writable(path) => Err(open_err(path, e, false)),
        Err(_) => {
            let uri = format!("file:{}?immutable=1", uri_path(path));
            Connection::open_with_flags(uri, flags)
                .and_then(probe)
                .map_err(|e| open_err(path, e, false))
        }
    }
}

/// Whether a file could be created beside `path` (`access(W_OK)` on its directory).
fn dir_is_writable(path: &Path) -> bool {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    rustix::fs::access(dir, rustix::fs::Access::WRITE_OK).is_ok()
}

/// `path` percent-encoded for a SQLite URI (`?`, `#` and `%` would end or change the path).
fn uri_path(path: &Path) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = String::new();
    for b in abs.as_os_str().as_encoded_bytes() {
        match b {
            b'?' | b'#' | b'%' => out.push_str(&format!("%{b:02X}")),
            _ => out.push(char::from(*b)),
        }
    }
    out
}

fn sqlite_err(path: &Path, source: rusqlite::Error) -> StoreError {
    StoreError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

/// Applies every migration of `list` not yet recorded in the `migrations` table, in version
/// order, each in its own `BEGIN IMMEDIATE` transaction that re-checks whether the version is
/// applied — so two processes opening a new database at once never apply one twice, and a
/// database that recorded a later version before an earlier one existed still gets the earlier
/// one. Returns how many were applied.
fn migrate(conn: &Connection, path: &Path, list: &[Migration]) -> Result<usize> {
    let err = |e| sqlite_err(path, e);
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS migrations (
             version    INTEGER PRIMARY KEY,
             name       TEXT NOT NULL,
             applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
         );",
    )
    .map_err(err)?;
    refuse_newer(path, &recorded_versions(conn, path)?, latest_of(list))?;
    let mut ordered: Vec<&Migration> = list.iter().collect();
    ordered.sort_by_key(|m| m.version);
    let mut applied = 0;
    for m in ordered {
        let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
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

/// `state.sqlite` open for reading, migrated to the latest schema. Every read query of every
/// table module is a method of this type (see the module documentation for where each lives).
pub struct StateReader {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for StateReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateReader")
            .field("path", &self.path)
            .finish()
    }
}

impl StateReader {
    /// Opens `path` for reading (see the module documentation); a missing file reads as empty.
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let conn = if path.exists() {
            let conn = open_read_only(path)?;
            let recorded = recorded_versions(&conn, path)?;
            refuse_newer(path, &recorded, latest_of(MIGRATIONS))?;
            if MIGRATIONS.iter().all(|m| recorded.contains(&m.version)) {
                conn.pragma_update(None, "foreign_keys", "ON")
                    .map_err(|e| sqlite_err(path, e))?;
                conn
            } else {
                // An older schema: migrate it once through a writable connection.
                drop(conn);
                open_connection(path)?
            }
        } else {
            let conn = Connection::open_in_memory().map_err(|e| sqlite_err(path, e))?;
            configure(&conn, path, false)?;
            conn
        };
        conn.pragma_update(None, "query_only", "ON")
            .map_err(|e| sqlite_err(path, e))?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The highest applied migration number.
    pub fn schema_version(&self) -> Result<i64> {
        self.conn
            .query_row(
                "SELECT COALESCE(MAX(version), 0) FROM migrations",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn err(&self, source: rusqlite::Error) -> StoreError {
        sqlite_err(&self.path, source)
    }

    /// Runs `sql` with `params` and maps every row with `row`.
    pub(crate) fn rows<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| self.err(e))?;
        let rows = stmt.query_map(params, row).map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<T>>>()
            .map_err(|e| self.err(e))
    }

    /// The first row of `sql`, if any.
    pub(crate) fn row<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        row: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>> {
        use rusqlite::OptionalExtension;
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| self.err(e))?;
        stmt.query_row(params, row)
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The single value of `sql` (an aggregate).
    pub(crate) fn value<T: rusqlite::types::FromSql>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<T> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| self.err(e))?;
        stmt.query_row(params, |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Parses a text column into a model type, naming the table and column on failure.
    pub(crate) fn parse<T>(
        &self,
        table: &'static str,
        column: &'static str,
        text: &str,
    ) -> Result<T>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        text.parse().map_err(|e| StoreError::Column {
            path: self.path.clone(),
            table,
            column,
            problem: format!("{text:?}: {e}"),
        })
    }

    pub(crate) fn instrument(&self, table: &'static str, text: &str) -> Result<InstrumentCode> {
        self.parse(table, "instrument", text)
    }

    pub(crate) fn contract(&self, table: &'static str, text: &str) -> Result<ContractDate> {
        self.parse(table, "contract", text)
    }
}

/// `state.sqlite` open for writing: reads through [`Deref`] to [`StateReader`], writes in
/// transactions.
#[derive(Debug)]
pub struct StateWriter {
    db: StateReader,
}

impl Deref for StateWriter {
    type Target = StateReader;
    fn deref(&self) -> &StateReader {
        &self.db
    }
}

impl StateWriter {
    /// Opens (creating if needed) `path` for writing.
    pub(crate) fn open(path: &Path) -> Result<Self> {
        Ok(Self {
            db: StateReader {
                conn: open_connection(path)?,
                path: path.to_path_buf(),
            },
        })
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction: committed when `f` returns `Ok`, rolled back
    /// (nothing written) when it returns `Err` or panics.
    pub fn transaction<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&StateTx<'_>) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let tx = self.begin()?;
        let out = f(&tx)?;
        tx.tx.commit().map_err(|e| self.db.err(e))?;
        Ok(out)
    }

    /// Runs `f` in a transaction that is always rolled back: what `f` would write, seen only by
    /// `f` itself (`place-orders --dry-run`).
    pub fn dry_run<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&StateTx<'_>) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let tx = self.begin()?;
        let out = f(&tx);
        tx.tx.rollback().map_err(|e| self.db.err(e))?;
        out
    }

    fn begin(&self) -> Result<StateTx<'_>> {
        let tx =
            rusqlite::Transaction::new_unchecked(&self.db.conn, TransactionBehavior::Immediate)
                .map_err(|e| self.db.err(e))?;
        Ok(StateTx { db: &self.db, tx })
    }

    #[cfg(test)]
    pub(crate) fn migrate(&mut self, list: &[Migration]) -> Result<usize> {
        migrate(&self.db.conn, &self.db.path, list)
    }
}

/// An open write transaction of a [`StateWriter`]: the write methods of every table module, and
/// (through [`Deref`]) every read, which sees the transaction's own writes.
pub struct StateTx<'a> {
    db: &'a StateReader,
    tx: rusqlite::Transaction<'a>,
}

impl std::fmt::Debug for StateTx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateTx")
            .field("path", &self.db.path)
            .finish()
    }
}

impl Deref for StateTx<'_> {
    type Target = StateReader;
    fn deref(&self) -> &StateReader {
        self.db
    }
}

impl StateTx<'_> {
    /// Executes one statement; returns the number of rows changed.
    pub(crate) fn exec(&self, sql: &str, params: impl rusqlite::Params) -> Result<usize> {
        let mut stmt = self.tx.prepare_cached(sql).map_err(|e| self.db.err(e))?;
        stmt.execute(params).map_err(|e| self.db.err(e))
    }

    /// Executes an `INSERT`; returns the new row's id.
    pub(crate) fn insert(&self, sql: &str, params: impl rusqlite::Params) -> Result<i64> {
        self.exec(sql, params)?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Executes several statements without parameters.
    pub(crate) fn batch(&self, sql: &str) -> Result<()> {
        self.tx.execute_batch(sql).map_err(|e| self.db.err(e))
    }
}

/// A word that is not one of the values a column holds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?} ({expected})")]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
    pub expected: &'static str,
}

/// Serialises a value with its `Display` form (instrument codes and contract ids as text, as they
/// are stored).
pub(crate) fn display<T: std::fmt::Display, S: serde::Serializer>(
    v: &T,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(v)
}

#[cfg(test)]
mod tests;
