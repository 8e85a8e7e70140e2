//! Typed errors of the store. Every message names the file and, where it applies, the row and the
//! field (column), so a user can find the problem without a debugger.

use std::path::PathBuf;
use std::time::Duration;

/// Result of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What can go wrong reading or writing the data directory.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An operating-system error on a file or directory.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A file is not in its format: Parquet/Arrow failed, a gzip stream is truncated or corrupt,
    /// a CSV file is empty or malformed.
    #[error("{}: {message}", path.display())]
    Format { path: PathBuf, message: String },

    /// A file's schema does not match its kind: a column is missing or has the wrong type.
    #[error("{}: column '{column}': {problem}", path.display())]
    Schema {
        path: PathBuf,
        column: String,
        problem: String,
    },

    /// A value in a file (or in data about to be written) is invalid. `row` counts data rows from 1
    /// (in a CSV file, row 1 is the line after the header).
    #[error("{}: row {row}, field '{field}': {problem}", path.display())]
    Value {
        path: PathBuf,
        row: usize,
        field: String,
        problem: String,
    },

    /// Rows are not strictly increasing by timestamp (then contract): a duplicate or out-of-order row.
    #[error("{}: row {row}, field '{field}': {problem}", path.display())]
    Order {
        path: PathBuf,
        row: usize,
        field: String,
        problem: String,
    },

    /// Another process holds the data directory's write lock and did not release it in time.
    #[error(
        "{}: another process holds the write lock of this data directory (waited {:.1} s); \
         try again when it has finished",
        path.display(),
        waited.as_secs_f64()
    )]
    Locked { path: PathBuf, waited: Duration },

    /// A value read from a `state.sqlite` table is not what its column holds (e.g. a contract that
    /// is not `YYYYMMDD`).
    #[error("{}: table {table}, column {column}: {problem}", path.display())]
    Column {
        path: PathBuf,
        table: &'static str,
        column: &'static str,
        problem: String,
    },

    /// `state.sqlite` records a migration newer than this build knows.
    #[error(
        "{}: made by a newer systrade (schema version {found}; this build knows up to {known}); \
         use that systrade or a newer one",
        path.display()
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        known: i64,
    },

    /// SQLite failed on `state.sqlite`.
    #[error("{}: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    /// SQLite could not open `state.sqlite`, with the operating system's reason (SQLite alone
    /// says only "unable to open database file"): a missing or read-only directory, a read-only
    /// filesystem, a file that cannot be read.
    /// (`reason` ends with SQLite's own message in brackets.)
    #[error("{}: cannot open the database: {reason}", path.display())]
    SqliteOpen { path: PathBuf, reason: String },
}

impl StoreError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn format(path: impl Into<PathBuf>, err: impl std::fmt::Display) -> Self {
        Self::Format {
            path: path.into(),
            message: err.to_string(),
        }
    }

    pub(crate) fn schema(
        path: impl Into<PathBuf>,
        column: &str,
        problem: impl Into<String>,
    ) -> Self {
        Self::Schema {
            path: path.into(),
            column: column.to_string(),
            problem: problem.into(),
        }
    }

    pub(crate) fn value(
        path: impl Into<PathBuf>,
        row: usize,
        field: &str,
        problem: impl std::fmt::Display,
    ) -> Self {
        Self::Value {
            path: path.into(),
            row,
            field: field.to_string(),
            problem: problem.to_string(),
        }
    }

    pub(crate) fn order(
        path: impl Into<PathBuf>,
        row: usize,
        field: &str,
        problem: impl Into<String>,
    ) -> Self {
        Self::Order {
            path: path.into(),
            row,
            field: field.to_string(),
            problem: problem.into(),
        }
    }

    /// True for [`StoreError::Locked`]: binaries map it to their "locked" exit code.
    pub fn is_locked(&self) -> bool {
        matches!(self, Self::Locked { .. })
    }

    /// True when the error is "file not found".
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }

    /// True when the problem is in the data (schema, value, order), not in the system.
    pub fn is_data_error(&self) -> bool {
        matches!(
            self,
            Self::Format { .. }
                | Self::Schema { .. }
                | Self::Value { .. }
                | Self::Order { .. }
                | Self::Column { .. }
                | Self::NewerSchema { .. }
        )
    }
}
