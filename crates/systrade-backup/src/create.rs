//! `backup create`: a consistent, incremental backup of a data directory.
//!
//! - SQLite databases (`*.sqlite`) are copied with `VACUUM INTO`, which reads inside one read
//!   transaction: the copy is a transaction-consistent snapshot even while other processes write
//!   (in WAL mode writers are not blocked at all). Their `-wal`, `-shm` and `-journal` files are
//!   not copied (the snapshot already contains every committed transaction).
//! - Other files are copied byte for byte. The tools replace files by atomic rename, so opening a
//!   file yields one complete version, and the store re-checks the SHA-256 while copying (a file
//!   replaced between hashing and copying is read again). A file written in place while it is read
//!   (size, mtime or ctime differ before and after) is read again up to three times; after that a
//!   private copy is backed up and a warning names the file (its content may be torn: files
//!   written in place cannot be captured consistently without their writer's cooperation).
//!
//! Each file is a consistent version of itself; the backup as a whole is not an instant snapshot of
//! every file at once (that needs file-system snapshots): an update of several files that runs
//! during the backup may be captured half applied, exactly as a crash at that moment would leave
//! the data directory, and the next backup captures it complete.
//! - Skipped: `.locks/`, `*.lock`, temporary files (`.<name>.tmp-…`, `*.tmp`), the backup's own
//!   scratch directory [`SCRATCH_DIR`], and the repository itself when it lies inside the data
//!   directory.
//! - Temporary state (SQLite snapshots, private copies of busy files) lives in this run's scratch
//!   directory under `<data dir>/.backup-tmp/`, and a local repository's temporary blobs under
//!   `<repo>/tmp/`; both are removed at the end, and a run first removes those of killed runs
//!   (see [`crate::scratch`]). Everything is created 0600/0700; the manifest records each file's
//!   permission bits (`mode & 0o777`).
//! - Contents are stored once under their SHA-256; a file already in the repository is not sent
//!   again.
//!
//! **Hash cache.** A file is not even read when the previous backup recorded the same size, mtime,
//! ctime and inode for it and that ctime is more than [`RACY_MARGIN_NS`] older than the start of the
//! previous backup's scan. Why that is safe: every change of a file's content sets its ctime to
//! the current time, and nothing can set ctime back (unlike mtime, which `touch -d` or `cp -p` can);
//! an atomic rename brings a new inode. The previous run recorded the tuple *before* reading the
//! content, so a change after the recording moved ctime past the previous scan start, which is
//! more than the margin after the recorded ctime: the tuple no longer matches. The margin covers
//! coarse timestamp granularity (a change in the same clock tick as the recorded ctime). It
//! assumes the clock does not step back by more than the margin, and a file system that updates
//! ctime (every local POSIX file system does).

use crate::ProgressSink;
use crate::manifest::{self, Entry, EntryKind, Manifest};
use crate::repo::{LockKind, Repo, hostname, now_ns};
use crate::scratch::{self, Scratch, create_private_file};
use crate::store::{Ingested, SourceChanged, hash_stream};
use anyhow::Context as _;
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// See the module documentation (hash cache).
pub const RACY_MARGIN_NS: i64 = 2_000_000_000;

/// The data directory's subdirectory that holds the scratch directories of `backup create` runs.
pub const SCRATCH_DIR: &str = ".backup-tmp";

/// Options of [`create`].
#[derive(Debug, Clone)]
pub struct CreateOptions {
    pub data_dir: PathBuf,
    /// How long to wait for a running `prune` to finish.
    pub lock_wait: Duration,
}

/// What [`create`] did.
#[derive(Debug, Clone)]
pub struct CreateReport {
    pub id: String,
    pub files: u64,
    pub bytes: u64,
    /// Files read and hashed (the others came from the hash cache).
    pub hashed_files: u64,
    pub hashed_bytes: u64,
    pub new_blobs: u64,
    pub new_bytes: u64,
    pub elapsed: Duration,
    /// Files that kept changing while being read (backed up as last read).
    pub warnings: Vec<String>,
}

/// Whether a data-directory entry is left out of backups (see the module documentation).
pub fn is_skipped(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let top = rel.split('/').next().unwrap_or(rel);
    top == ".locks"
        || top == SCRATCH_DIR
        || name.ends_with(".lock")
        || name.ends_with(".tmp")
        || (name.starts_with('.') && name.contains(".tmp-"))
        || name.ends_with(".sqlite-wal")
        || name.ends_with(".sqlite-shm")
        || name.ends_with(".sqlite-journal")
}

/// Whether a file is captured as a SQLite database.
pub fn is_sqlite(rel: &str) -> bool {
    rel.ends_with(".sqlite")
}

struct Candidate {
    rel: String,
    abs: PathBuf,
}

/// Lists the files of `root` (recursively, sorted), minus skipped entries and `exclude`.
fn walk(root: &Path, exclude: Option<&Path>) -> anyhow::Result<Vec<Candidate>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?;
        for entry in entries {
            let entry = entry?;
            let abs = entry.path();
            let Ok(rel) = abs.strip_prefix(root) else {
                continue;
            };
            let Some(rel) = rel.to_str().map(str::to_string) else {
                tracing::warn!("skipping {} (name is not UTF-8)", abs.display());
                continue;
            };
            if is_skipped(&rel) || exclude.is_some_and(|x| abs == x) {
                continue;
            }
            let ft = entry.file_type()?;
            if ft.is_dir() {
                stack.push(abs);
            } else if ft.is_file() {
                out.push(Candidate { rel, abs });
            } else {
                tracing::debug!("skipping {} (not a regular file)", abs.display());
            }
        }
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}

fn ctime_ns(m: &std::fs::Metadata) -> i64 {
    m.ctime().saturating_mul(1_000_000_000) + m.ctime_nsec()
}

fn mtime_ns(m: &std::fs::Metadata) -> i64 {
    m.mtime().saturating_mul(1_000_000_000) + m.mtime_nsec()
}

/// Shared state of one run.
struct Run<'a> {
    repo: &'a Repo,
    blobs: Mutex<HashSet<String>>,
    new_blobs: Mutex<(u64, u64)>,
    hashed: Mutex<(u64, u64)>,
    warnings: Mutex<Vec<String>>,
    /// Private directory for SQLite snapshots and copies of busy files.
    tmp: PathBuf,
    copies: std::sync::atomic::AtomicU64,
}

impl Run<'_> {
    /// Stores `path` as blob `sha` unless the repository has it. Returns false when the file
    /// changed since it was hashed (the caller starts over).
    fn store_blob(&self, path: &Path, size: u64, sha: &str) -> anyhow::Result<bool> {
        let present = self.blobs.lock().map(|b| b.contains(sha)).unwrap_or(false);
        if present {
            return Ok(true);
        }
        match self
            .repo
            .store()
            .put_file(&manifest::blob_key(sha), path, size, sha)
        {
            Ok(()) => {
                if let Ok(mut b) = self.blobs.lock() {
                    b.insert(sha.to_string());
                }
                if let Ok(mut n) = self.new_blobs.lock() {
                    n.0 += 1;
                    n.1 += size;
                }
                Ok(true)
            }
            Err(e) if e.downcast_ref::<SourceChanged>().is_some() => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn count_ingested(&self, i: &Ingested) {
        if let Ok(mut h) = self.hashed.lock() {
            h.0 += 1;
            h.1 += i.size;
        }
        if i.stored {
            if let Ok(mut b) = self.blobs.lock() {
                b.insert(i.sha256.clone());
            }
            if let Ok(mut n) = self.new_blobs.lock() {
                n.0 += 1;
                n.1 += i.size;
            }
        }
    }

    /// One plain file → its entry (`None` when it vanished during the backup).
    fn file_entry(
        &self,
        c: &Candidate,
        cache: &HashMap<&str, &Entry>,
        prev_started_ns: i64,
    ) -> anyhow::Result<Option<Entry>> {
        const ATTEMPTS: usize = 3;
        for _ in 0..ATTEMPTS {
            let mut f = match File::open(&c.abs) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    tracing::debug!("{} vanished during the backup", c.rel);
                    return Ok(None);
                }
                Err(e) => return Err(anyhow::anyhow!("cannot open {}: {e}", c.abs.display())),
            };
            let before = f.metadata()?;
            let mut entry = Entry {
                path: c.rel.clone(),
                size: before.len(),
                sha256: String::new(),
                kind: EntryKind::File,
                mode: before.mode() & manifest::PERMISSION_BITS,
                mtime_ns: mtime_ns(&before),
                ctime_ns: ctime_ns(&before),
                ino: before.ino(),
            };
            if let Some(prev) = cache.get(c.rel.as_str())
                && prev.size == entry.size
                && prev.mtime_ns == entry.mtime_ns
                && prev.ctime_ns == entry.ctime_ns
                && prev.ino == entry.ino
                && prev.ctime_ns < prev_started_ns.saturating_sub(RACY_MARGIN_NS)
                && self
                    .blobs
                    .lock()
                    .map(|b| b.contains(&prev.sha256))
                    .unwrap_or(false)
            {
                entry.sha256 = prev.sha256.clone();
                return Ok(Some(entry));
            }
            let have = |sha: &str| self.blobs.lock().map(|b| b.contains(sha)).unwrap_or(false);
            let ingested = match self.repo.store().ingest_blob(&c.abs, &mut f, &have) {
                Ok(i) => i,
                // Replaced (atomic rename) between hashing and uploading: start over.
                Err(e) if e.downcast_ref::<SourceChanged>().is_some() => continue,
                Err(e) => return Err(e),
            };
            self.count_ingested(&ingested);
            let after = f.metadata()?;
            let changed = ingested.size != before.len()
                || after.len() != before.len()
                || mtime_ns(&after) != entry.mtime_ns
                || ctime_ns(&after) != entry.ctime_ns;
            if changed {
                tracing::debug!("{} changed while being read; reading again", c.rel);
                continue;
            }
            entry.sha256 = ingested.sha256;
            entry.size = ingested.size;
            return Ok(Some(entry));
        }
        // A file written in place, continuously: back up a private copy of it as it is now.
        let n = self
            .copies
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let copy = self.tmp.join(format!("copy-{n}"));
        let mut src = match File::open(&c.abs) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(anyhow::anyhow!("cannot open {}: {e}", c.abs.display())),
        };
        std::io::copy(&mut src, &mut create_private_file(&copy)?)
            .map_err(|e| anyhow::anyhow!("cannot copy {}: {e}", c.abs.display()))?;
        let src_meta = src.metadata()?;
        let (sha, read) = hash_stream(&mut File::open(&copy)?)?;
        if !self.store_blob(&copy, read, &sha)? {
            anyhow::bail!("private copy {} changed while stored", copy.display());
        }
        let _ = std::fs::remove_file(&copy);
        if let Ok(mut w) = self.warnings.lock() {
            w.push(format!(
                "{} kept changing while being read; backed up a copy that may be torn",
                c.rel
            ));
        }
        Ok(Some(Entry {
            path: c.rel.clone(),
            size: read,
            sha256: sha,
            kind: EntryKind::File,
            mode: src_meta.mode() & manifest::PERMISSION_BITS,
            mtime_ns: mtime_ns(&src_meta),
            // Never trusted by the hash cache.
            ctime_ns: 0,
            ino: 0,
        }))
    }

    /// One SQLite database → a `VACUUM INTO` snapshot in `tmp`, stored, and its entry.
    fn sqlite_entry(&self, c: &Candidate, n: usize) -> anyhow::Result<Option<Entry>> {
        let meta = match std::fs::metadata(&c.abs) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let copy = self.tmp.join(format!("{n}.sqlite"));
        // VACUUM INTO fills an empty file: created here, so it is private from the start.
        drop(create_private_file(&copy)?);
        snapshot_sqlite(&c.abs, &copy).with_context(|| format!("snapshot of {}", c.rel))?;
        let (sha, size) = hash_stream(&mut File::open(&copy)?)?;
        if let Ok(mut h) = self.hashed.lock() {
            h.0 += 1;
            h.1 += size;
        }
        if !self.store_blob(&copy, size, &sha)? {
            anyhow::bail!("snapshot copy {} changed while stored", copy.display());
        }
        let _ = std::fs::remove_file(&copy);
        Ok(Some(Entry {
            path: c.rel.clone(),
            size,
            sha256: sha,
            kind: EntryKind::Sqlite,
            mode: meta.mode() & manifest::PERMISSION_BITS,
            mtime_ns: mtime_ns(&meta),
            ctime_ns: 0,
            ino: 0,
        }))
    }
}

/// Copies the database `src` into the new file `dest` with `VACUUM INTO` (a transaction-consistent
/// snapshot; other connections may keep writing). Waits up to 60 s for a writer's exclusive lock.
pub fn snapshot_sqlite(src: &Path, dest: &Path) -> anyhow::Result<()> {
    use rusqlite::{Connection, OpenFlags};
    let conn = Connection::open_with_flags(
        src,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(60))?;
    let dest = dest.to_str().context("temporary path is not UTF-8")?;
    conn.execute("VACUUM INTO ?1", [dest])?;
    Ok(())
}

/// Makes a backup of `opts.data_dir` in `repo` (creating the repository when new).
pub fn create(
    repo: &Repo,
    opts: &CreateOptions,
    progress: &dyn ProgressSink,
) -> anyhow::Result<CreateReport> {
    let t0 = Instant::now();
    let data_dir = opts
        .data_dir
        .canonicalize()
        .with_context(|| format!("data directory {}", opts.data_dir.display()))?;
    if !data_dir.is_dir() {
        anyhow::bail!("data directory {} is not a directory", data_dir.display());
    }
    repo.init_if_needed()?;
    let lock = repo.lock(LockKind::Create, opts.lock_wait)?;
    // Temporary state of killed runs: removed before this run adds its own.
    let scratch_parent = data_dir.join(SCRATCH_DIR);
    let leftovers = scratch::remove_dead(&scratch_parent, "")? + repo.store().remove_leftovers()?;
    if leftovers > 0 {
        tracing::info!("removed {leftovers} leftovers of interrupted backups");
    }
    let started_ns = now_ns();
    let start_time = chrono::DateTime::from_timestamp_nanos(started_ns);
    let mut id = manifest::make_id(start_time);

    let existing_ids = repo.backup_ids()?;
    let previous = match existing_ids.last() {
        Some(last) => match repo.load_manifest(last) {
            Ok(m) => Some(m),
            Err(e) => {
                tracing::warn!("not using the previous backup's hash cache: {e:#}");
                None
            }
        },
        None => None,
    };
    // The cache is only meaningful for the same data directory on the same machine.
    let source = data_dir.display().to_string();
    let host = hostname();
    let cache: HashMap<&str, &Entry> = previous
        .iter()
        .filter(|m| m.source == source && m.host == host)
        .flat_map(|m| m.files.iter())
        .filter(|e| e.kind == EntryKind::File)
        .map(|e| (e.path.as_str(), e))
        .collect();
    let prev_started_ns = previous.as_ref().map(|m| m.started_ns).unwrap_or(0);

    let blobs: HashSet<String> = repo
        .store()
        .list("blobs/")?
        .iter()
        .filter_map(|o| manifest::sha_of_blob_key(&o.key).map(String::from))
        .collect();
    let repo_dir = repo
        .store()
        .local_root()
        .and_then(|p| p.canonicalize().ok());
    let candidates = walk(&data_dir, repo_dir.as_deref())?;
    progress.start(candidates.len() as u64, "files");

    let tmp = Scratch::create(&scratch_parent, "")?;
    let run = Run {
        repo,
        blobs: Mutex::new(blobs),
        new_blobs: Mutex::new((0, 0)),
        hashed: Mutex::new((0, 0)),
        warnings: Mutex::new(Vec::new()),
        tmp: tmp.path().to_path_buf(),
        copies: std::sync::atomic::AtomicU64::new(0),
    };
    let mut entries: Vec<Entry> = Vec::with_capacity(candidates.len());
    for (n, c) in candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| is_sqlite(&c.rel))
    {
        if let Some(e) = run.sqlite_entry(c, n)? {
            entries.push(e);
        }
        progress.inc(1);
    }
    let plain: Vec<&Candidate> = candidates.iter().filter(|c| !is_sqlite(&c.rel)).collect();
    for chunk in plain.chunks(256) {
        lock.refresh_if_due()?;
        let results: Vec<anyhow::Result<Option<Entry>>> = chunk
            .par_iter()
            .map(|c| {
                let r = run.file_entry(c, &cache, prev_started_ns);
                progress.inc(1);
                r
            })
            .collect();
        for r in results {
            if let Some(e) = r? {
                entries.push(e);
            }
        }
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));

    // Every blob is durable before the manifest that names it is committed.
    repo.store().flush()?;
    let ids_now = repo.backup_ids()?;
    while ids_now.contains(&id) {
        // Two backups started in the same millisecond: take the next free id.
        let t = manifest::parse_id(&id)
            .context("bad id")?
            .checked_add_signed(chrono::Duration::milliseconds(1))
            .context("time overflow")?;
        id = manifest::make_id(t.and_utc());
    }
    let (new_blobs, new_bytes) = run.new_blobs.lock().map(|n| *n).unwrap_or((0, 0));
    let (hashed_files, hashed_bytes) = run.hashed.lock().map(|n| *n).unwrap_or((0, 0));
    let m = Manifest {
        format: manifest::FORMAT,
        id: id.clone(),
        started_ns,
        committed: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        source,
        host,
        files: entries,
        new_blobs,
        new_bytes,
    };
    repo.store()
        .put_bytes(&manifest::manifest_key(&id), &m.to_stored_bytes()?)?;
    drop(lock);
    progress.finish();
    Ok(CreateReport {
        id,
        files: m.files.len() as u64,
        bytes: m.total_bytes(),
        hashed_files,
        hashed_bytes,
        new_blobs,
        new_bytes,
        elapsed: t0.elapsed(),
        warnings: run.warnings.into_inner().unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_rules() {
        for skipped in [
            ".locks/x",
            ".write.lock",
            "prices/.SP500.parquet.tmp-12-3",
            "a.tmp",
            "state.sqlite-wal",
            "state.sqlite-shm",
            "state.sqlite-journal",
        ] {
            assert!(is_skipped(skipped), "{skipped}");
        }
        for kept in [
            "state.sqlite",
            "prices/adjusted/SP500.parquet",
            ".systrade-demo",
            "config/tmp.csv",
        ] {
            assert!(!is_skipped(kept), "{kept}");
        }
        assert!(is_sqlite("state.sqlite"));
        assert!(!is_sqlite("state.sqlite-wal"));
    }
}
