//! Atomic file replacement: write a temporary file in the target's directory, fsync it, rename it over
//! the target, fsync the directory. A reader (or a crash at any moment) sees the old file, no file, or
//! the complete new file, never a mix. Temporary files are hidden (`.<name>.tmp-<pid>-<n>`) so listings
//! never mistake them for data; [`remove_stale_temp_files`] deletes those left by a killed writer.
//!
//! [`StagedFiles`] replaces many files with the same guarantee per file at a fraction of the
//! cost: every temporary file is written first, then one `syncfs` flushes them all (instead of one
//! fsync and one journal commit per file), then each is renamed over its target and each directory is
//! fsynced once. Large staged files bypass the page cache (`O_DIRECT` on Linux, see
//! `write_staged`); the others start their writeback as soon as they are written.

use crate::error::{Result, StoreError};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

const TEMP_MARK: &str = ".tmp-";

/// True for the names of temporary files made by [`write_atomic`].
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.contains(TEMP_MARK)
}

fn temp_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    target.with_file_name(format!(".{name}{TEMP_MARK}{}-{n}", std::process::id()))
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io(dir, e))
}

/// Creates `dir` and its missing parents, fsyncing each parent whose entries changed so the new
/// directories survive a crash.
pub(crate) fn ensure_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        ensure_dir(parent)?;
    }
    match std::fs::create_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => return Err(StoreError::io(dir, e)),
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        sync_dir(parent)?;
    }
    Ok(())
}

/// Replaces `target` with `bytes` atomically (temp file, fsync, rename, fsync directory).
pub fn write_atomic(target: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    ensure_dir(&dir)?;
    let tmp = temp_path(target);
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| StoreError::io(target, e))?;
        write_bytes(&mut f, target, bytes)?;
        f.sync_all().map_err(|e| StoreError::io(target, e))?;
        drop(f);
        std::fs::rename(&tmp, target).map_err(|e| StoreError::io(target, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result?;
    sync_dir(&dir)
}

/// Writes `bytes` to `w` (the temporary file of `target`); an error (a full disk: ENOSPC, a
/// quota: EDQUOT) names `target`, the file being written, with the operating system's reason —
/// not the temporary file, which is removed.
fn write_bytes(w: &mut impl Write, target: &Path, bytes: &[u8]) -> Result<()> {
    w.write_all(bytes)
        .and_then(|()| w.flush())
        .map_err(|e| StoreError::io(target, e))
}

/// Many files replaced atomically each, made durable together (module docs). [`StagedFiles::stage`]
/// may be called from several threads; nothing is visible under the targets' names before
/// [`StagedFiles::commit`]. Dropped without commit, the staged temporary files are removed and
/// the targets keep their old content.
#[derive(Debug, Default)]
pub struct StagedFiles {
    /// (temporary file, target), in staging order.
    staged: std::sync::Mutex<Vec<(PathBuf, PathBuf)>>,
}

impl StagedFiles {
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes `bytes` to a temporary file beside `target` (not flushed to disk yet).
    ///
    /// # Errors
    /// The directory cannot be created or the temporary file cannot be written (it is removed).
    pub fn stage(&self, target: &Path, bytes: &[u8]) -> Result<()> {
        let dir = parent_dir(target);
        ensure_dir(&dir)?;
        let tmp = temp_path(target);
        let written = write_staged(&tmp, target, bytes);
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        self.staged
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((tmp, target.to_path_buf()));
        Ok(())
    }

    /// Number of files staged so far.
    pub fn len(&self) -> usize {
        self.staged
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Flushes every staged file to disk, renames each over its target (in staging order) and
    /// fsyncs each target directory once; returns how many files were replaced.
    ///
    /// # Errors
    /// Flushing or renaming fails: targets renamed before the failure hold their new content, the
    /// others their old one; remaining temporary files are removed.
    pub fn commit(self) -> Result<usize> {
        let staged = std::mem::take(
            &mut *self
                .staged
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let result = commit_staged(&staged);
        if result.is_err() {
            for (tmp, _) in &staged {
                let _ = std::fs::remove_file(tmp);
            }
        }
        result
    }
}

impl Drop for StagedFiles {
    fn drop(&mut self) {
        let staged = self
            .staged
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (tmp, _) in staged.drain(..) {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

fn parent_dir(target: &Path) -> PathBuf {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn commit_staged(staged: &[(PathBuf, PathBuf)]) -> Result<usize> {
    let mut dirs: Vec<PathBuf> = staged.iter().map(|(_, t)| parent_dir(t)).collect();
    dirs.sort();
    dirs.dedup();
    // Contents first: one flush of the whole filesystem holding each directory.
    for dir in &dirs {
        flush_filesystem(dir, staged)?;
    }
    for (tmp, target) in staged {
        std::fs::rename(tmp, target).map_err(|e| StoreError::io(target, e))?;
    }
    for dir in &dirs {
        sync_dir(dir)?;
    }
    Ok(staged.len())
}

/// Files at least this large are staged with direct I/O (Linux).
#[cfg(target_os = "linux")]
const DIRECT_MIN_BYTES: usize = 1 << 20;

/// Block alignment and size unit of direct writes (the page size, a multiple of every disk's
/// logical block size).
#[cfg(target_os = "linux")]
const DIRECT_ALIGN: usize = 4096;

/// Writes a staged file's temporary file (created new). On Linux a file of
/// [`DIRECT_MIN_BYTES`] or more is written with `O_DIRECT`: from an aligned copy of `bytes`
/// padded to whole blocks, then truncated to its length. The data goes to the disk without being
/// copied into the page cache — a run writes hundreds of MB it will not read back, which would
/// otherwise evict what is worth caching, and on virtual machines whose balloon driver returns
/// free memory to the host every fresh page-cache page costs a host fault (1.7 s of kernel CPU
/// for 700 MB measured here, 0.1 s with direct I/O). Durability is unchanged: the flush in
/// [`StagedFiles::commit`] still syncs the file system. A file system without direct I/O
/// (tmpfs, some network ones: `EINVAL`) gets an ordinary buffered write.
fn write_staged(tmp: &Path, target: &Path, bytes: &[u8]) -> Result<()> {
    #[cfg(target_os = "linux")]
    if bytes.len() >= DIRECT_MIN_BYTES {
        use std::os::unix::fs::OpenOptionsExt;
        let direct = OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(rustix::fs::OFlags::DIRECT.bits() as i32)
            .open(tmp);
        match direct {
            Ok(mut f) => match write_direct(&mut f, bytes) {
                Ok(()) => return Ok(()),
                Err(e) if e.raw_os_error() == Some(rustix::io::Errno::INVAL.raw_os_error()) => {
                    drop(f);
                    std::fs::remove_file(tmp).map_err(|e| StoreError::io(target, e))?;
                }
                Err(e) => return Err(StoreError::io(target, e)),
            },
            Err(e) if e.raw_os_error() == Some(rustix::io::Errno::INVAL.raw_os_error()) => {}
            Err(e) => return Err(StoreError::io(target, e)),
        }
    }
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(tmp)
        .map_err(|e| StoreError::io(target, e))?;
    write_bytes(&mut f, target, bytes)?;
    start_writeback(&f);
    Ok(())
}

/// Writes `bytes` to a file opened with `O_DIRECT`: the whole blocks from an aligned, padded
/// copy (one reusable buffer per thread), then the file is cut to `bytes.len()`.
#[cfg(target_os = "linux")]
fn write_direct(f: &mut File, bytes: &[u8]) -> std::io::Result<()> {
    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let padded = bytes.len().div_ceil(DIRECT_ALIGN) * DIRECT_ALIGN;
    BUFFER.with_borrow_mut(|buf| {
        if buf.len() < padded + DIRECT_ALIGN {
            buf.resize(padded + DIRECT_ALIGN, 0);
        }
        let start = buf.as_ptr().align_offset(DIRECT_ALIGN);
        let block = &mut buf[start..start + padded];
        block[..bytes.len()].copy_from_slice(bytes);
        block[bytes.len()..].fill(0);
        f.write_all(block)?;
        f.set_len(bytes.len() as u64)
    })
}

/// Starts writing a staged file's pages to disk in the background, so that the flush in
/// [`StagedFiles::commit`] finds most of them written instead of waiting for all of them at the
/// end (on Linux `posix_fadvise(DONTNEED)` starts asynchronous writeback of the dirty range; it
/// guarantees nothing, the flush does). A failure only loses the head start.
#[cfg(target_os = "linux")]
fn start_writeback(f: &File) {
    let _ = rustix::fs::fadvise(f, 0, None, rustix::fs::Advice::DontNeed);
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_f: &File) {}

/// Makes the staged files under `dir` durable: `syncfs` on Linux (one journal commit for all of
/// them), an fsync per file elsewhere.
#[cfg(target_os = "linux")]
fn flush_filesystem(dir: &Path, _staged: &[(PathBuf, PathBuf)]) -> Result<()> {
    let d = File::open(dir).map_err(|e| StoreError::io(dir, e))?;
    rustix::fs::syncfs(&d).map_err(|e| StoreError::io(dir, e.into()))
}

#[cfg(not(target_os = "linux"))]
fn flush_filesystem(dir: &Path, staged: &[(PathBuf, PathBuf)]) -> Result<()> {
    for (tmp, _) in staged.iter().filter(|(_, t)| parent_dir(t) == dir) {
        File::open(tmp)
            .and_then(|f| f.sync_all())
            .map_err(|e| StoreError::io(tmp, e))?;
    }
    Ok(())
}

/// True when `target` exists and holds exactly `bytes`.
pub fn same_content(target: &Path, bytes: &[u8]) -> Result<bool> {
    match std::fs::metadata(target) {
        Ok(m) if m.len() != bytes.len() as u64 => return Ok(false),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(StoreError::io(target, e)),
    }
    let existing = std::fs::read(target).map_err(|e| StoreError::io(target, e))?;
    Ok(existing == bytes)
}

/// Deletes temporary files left by killed writers in `dir` and its subdirectories; returns how many.
/// Call only while holding the write lock (a live writer's temp files would be deleted otherwise).
pub fn remove_stale_temp_files(dir: &Path) -> Result<usize> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(StoreError::io(dir, e)),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry.map_err(|e| StoreError::io(dir, e))?;
        let path = entry.path();
        let file_type = entry.file_type().map_err(|e| StoreError::io(&path, e))?;
        if file_type.is_dir() {
            removed += remove_stale_temp_files(&path)?;
        } else if entry.file_name().to_str().is_some_and(is_temp_name) {
            std::fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Large files (direct I/O on Linux) of lengths that are and are not whole blocks, and a
    /// small one (buffered), read back byte for byte after commit; also on tmpfs where available
    /// (direct I/O may be refused there, and the buffered write takes over).
    #[test]
    fn staged_files_of_every_size_read_back_exactly() {
        let mut dirs = vec![tempfile::tempdir().unwrap()];
        if Path::new("/dev/shm").is_dir()
            && let Ok(d) = tempfile::tempdir_in("/dev/shm")
        {
            dirs.push(d);
        }
        for dir in &dirs {
            let staged = StagedFiles::new();
            let sizes = [
                10,
                (1 << 20) - 1,
                1 << 20,
                (1 << 20) + 4096,
                3 * (1 << 20) + 123,
            ];
            let contents: Vec<Vec<u8>> = sizes
                .iter()
                .map(|&n| (0..n).map(|k| (k * 7 + n) as u8).collect())
                .collect();
            for (k, c) in contents.iter().enumerate() {
                staged
                    .stage(&dir.path().join(format!("f{k}.bin")), c)
                    .unwrap();
            }
            assert_eq!(staged.commit().unwrap(), sizes.len());
            for (k, c) in contents.iter().enumerate() {
                let back = std::fs::read(dir.path().join(format!("f{k}.bin"))).unwrap();
                assert_eq!(back.len(), c.len(), "size {}", sizes[k]);
                assert!(back == *c, "content of size {}", sizes[k]);
            }
            let left: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .filter(|n| is_temp_name(&n.to_string_lossy()))
                .collect();
            assert!(left.is_empty(), "temporary files left: {left:?}");
        }
    }

    #[test]
    fn replaces_content_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a/b/x.parquet");
        write_atomic(&target, b"one").unwrap();
        write_atomic(&target, b"two").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"two");
        assert!(same_content(&target, b"two").unwrap());
        assert!(!same_content(&target, b"one").unwrap());
        let names: Vec<_> = std::fs::read_dir(target.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("x.parquet")]);
    }

    #[test]
    fn staged_files_appear_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("f/A.parquet");
        let b = dir.path().join("f/B.parquet");
        write_atomic(&a, b"old A").unwrap();
        let staged = StagedFiles::new();
        staged.stage(&a, b"new A").unwrap();
        staged.stage(&b, b"new B").unwrap();
        assert_eq!(staged.len(), 2);
        // nothing visible under the targets' names yet
        assert_eq!(std::fs::read(&a).unwrap(), b"old A");
        assert!(!b.exists());
        assert_eq!(staged.commit().unwrap(), 2);
        assert_eq!(std::fs::read(&a).unwrap(), b"new A");
        assert_eq!(std::fs::read(&b).unwrap(), b"new B");
        let mut names: Vec<_> = std::fs::read_dir(dir.path().join("f"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            vec!["A.parquet", "B.parquet"],
            "no temporary file left"
        );
    }

    #[test]
    fn staged_files_dropped_without_commit_leave_targets_alone() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("A.parquet");
        write_atomic(&a, b"old").unwrap();
        {
            let staged = StagedFiles::new();
            staged.stage(&a, b"new").unwrap();
        }
        assert_eq!(std::fs::read(&a).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    /// Issue 15 item 10: a full disk names the file being written and the reason. `/dev/full`
    /// answers every write with ENOSPC, as a full filesystem does.
    #[test]
    fn a_full_disk_names_the_file_being_written() {
        let Ok(mut full) = OpenOptions::new().write(true).open("/dev/full") else {
            #[allow(clippy::print_stderr)] // why the test did not run
            {
                eprintln!("skipped: no /dev/full");
            }
            return;
        };
        let target = Path::new("/data/prices/adjusted/SP500.parquet");
        let e = write_bytes(&mut full, target, &[0u8; 1 << 16]).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with("/data/prices/adjusted/SP500.parquet: ")
                && msg.contains("No space left on device"),
            "{msg}"
        );
        assert!(
            matches!(&e, StoreError::Io { source, .. } if source.raw_os_error() == Some(28)),
            "{e:?}"
        );
    }

    #[test]
    fn stale_temp_files_are_recognised_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = temp_path(&dir.path().join("sub/SP500.parquet"));
        let name = tmp.file_name().unwrap().to_str().unwrap().to_string();
        assert!(is_temp_name(&name), "{name}");
        assert!(!is_temp_name("SP500.parquet"));
        std::fs::create_dir_all(tmp.parent().unwrap()).unwrap();
        std::fs::write(&tmp, b"partial").unwrap();
        std::fs::write(dir.path().join("sub/SP500.parquet"), b"data").unwrap();
        assert_eq!(remove_stale_temp_files(dir.path()).unwrap(), 1);
        assert!(!tmp.exists());
        assert!(dir.path().join("sub/SP500.parquet").exists());
    }
}
