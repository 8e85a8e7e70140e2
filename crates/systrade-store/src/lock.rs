//! The data directory's advisory write lock.
//!
//! **One lock per data directory** (`<data>/.write.lock`), not one per file. Reasons: tools write
//! several files that belong together (multiple prices, adjusted prices and the roll calendar of an
//! instrument; the whole tree for `import-pst`), and a single lock makes such groups consistent
//! without lock ordering or deadlock concerns; systrade's writers are short batch jobs run by cron in
//! sequence, so contention is rare and a writer that waits a few seconds costs nothing. Readers never
//! lock: every file is replaced atomically ([`crate::atomic`]), so a reader sees a complete old or new
//! file.
//!
//! The lock is `flock(2)` through std's `File::lock`/`try_lock`: the kernel releases it when the
//! holder exits or is killed, so there are no stale locks to clean up. A second writer polls until the
//! lock is free or its timeout passes, then fails with [`StoreError::Locked`].

use crate::atomic::ensure_dir;
use crate::error::{Result, StoreError};
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Default time a writer waits for another writer to finish.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

const POLL_INTERVAL: Duration = Duration::from_millis(25);

/// A held write lock; released on drop (or process exit).
#[derive(Debug)]
pub struct WriteLock {
    file: File,
    path: PathBuf,
}

impl WriteLock {
    /// Takes the lock at `path` (creating the file and its directory), waiting up to `timeout`.
    pub fn acquire(path: &Path, timeout: Duration) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            ensure_dir(dir)?;
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| StoreError::io(path, e))?;
        let start = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => {
                    return Ok(Self {
                        file,
                        path: path.to_path_buf(),
                    });
                }
                Err(TryLockError::WouldBlock) => {
                    let waited = start.elapsed();
                    if waited >= timeout {
                        return Err(StoreError::Locked {
                            path: path.to_path_buf(),
                            waited,
                        });
                    }
                    std::thread::sleep(POLL_INTERVAL.min(timeout - waited));
                }
                Err(TryLockError::Error(e)) => return Err(StoreError::io(path, e)),
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_writer_times_out_then_succeeds_after_release() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".write.lock");
        let first = WriteLock::acquire(&path, Duration::ZERO).unwrap();
        let start = Instant::now();
        let err = WriteLock::acquire(&path, Duration::from_millis(200)).unwrap_err();
        assert!(err.is_locked(), "{err}");
        assert!(start.elapsed() >= Duration::from_millis(200));
        assert!(err.to_string().contains(".write.lock"), "{err}");
        assert!(err.to_string().contains("write lock"), "{err}");

        // Released while the second writer waits: it gets the lock.
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(150));
            drop(first);
        });
        let second = WriteLock::acquire(&path, Duration::from_secs(10)).unwrap();
        releaser.join().unwrap();
        assert_eq!(second.path(), path);
    }
}
