//! Backups of a systrade data directory (issue 8; the Rust counterpart of pysystemtrade's
//! `run_backups`, spec §4.11, which rsyncs CSV dumps, Parquet files and a `mongodump` off-system).
//!
//! A **repository** (a local directory or `s3://bucket/prefix`) holds content-addressed blobs
//! (`blobs/<aa>/<sha256>`) and one manifest per backup (`snapshots/<id>.json`: path, size, SHA-256
//! of every file). Backups are incremental (a file whose content is already stored is not sent
//! again), consistent (SQLite through `VACUUM INTO`; other files are replaced atomically by the
//! tools), atomic (a backup is listed only once its manifest, written last, exists), verifiable
//! (`verify` re-hashes every blob and runs SQLite's `integrity_check`), restorable byte for byte,
//! and pruned by a daily/weekly retention policy with crash- and concurrency-safe garbage
//! collection. See [`repo`] for the layout and locking, [`create`] for consistency and the hash
//! cache.

pub mod create;
pub mod manifest;
pub mod prune;
pub mod repo;
pub mod restore;
pub mod retention;
pub mod s3;
pub mod scratch;
pub mod store;
pub mod verify;

pub use create::{CreateOptions, CreateReport, create};
pub use manifest::{Entry, EntryKind, Manifest};
pub use prune::{PruneReport, prune};
pub use repo::{BackupError, Repo};
pub use restore::{RestoreReport, restore};
pub use retention::Policy;
pub use verify::{Problem, VerifyReport, verify};

/// Progress reports from long operations (the binary draws a bar; tests ignore them).
pub trait ProgressSink: Sync {
    /// `total` items of `what` ("files", "blobs") are about to be processed.
    fn start(&self, total: u64, what: &str);
    /// `n` more items are done.
    fn inc(&self, n: u64);
    /// The operation ended.
    fn finish(&self) {}
}

/// A [`ProgressSink`] that ignores everything.
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn start(&self, _total: u64, _what: &str) {}
    fn inc(&self, _n: u64) {}
}
