//! Atomic file replacement: write a temporary file in the target's directory, fsync it, rename it over
//! the target, fsync the directory. A reader (or a crash at any moment) sees the old file, no file, or
//! the complete new file, never a mix. Temporary files are hidden (`.<name>.tmp-<pid>-<n>`) so listings
//! never mistake them for data; [`remove_stale_temp_files`] deletes those left by a killed writer.

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
            .map_err(|e| StoreError::io(&tmp, e))?;
        f.write_all(bytes).map_err(|e| StoreError::io(&tmp, e))?;
        f.sync_all().map_err(|e| StoreError::io(&tmp, e))?;
        drop(f);
        std::fs::rename(&tmp, target).map_err(|e| StoreError::io(target, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result?;
    sync_dir(&dir)
}

/// True when `target` exists and holds exactly `bytes`.
pub(crate) fn same_content(target: &Path, bytes: &[u8]) -> Result<bool> {
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
pub(crate) fn remove_stale_temp_files(dir: &Path) -> Result<usize> {
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
