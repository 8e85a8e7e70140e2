//! Private files and directories, and the temporary ("scratch") directories of backup processes.
//!
//! **Modes.** Every file a backup creates (repository blobs, manifests, locks, temporary files,
//! SQLite snapshots) is created 0600 and every directory 0700, whatever the umask: the repository
//! holds copies of the data directory's files, some of them private (credentials, the order
//! database). Restored files get their source's permission bits (see [`crate::restore`]).
//!
//! **Scratch directories.** A process keeps its temporary files in a directory of its own,
//! `<parent>/<prefix><host>-<pid>-<start ns>`, removed when it ends. A process killed with SIGKILL
//! cannot remove it, so every backup process first removes the scratch directories of dead owners
//! ([`remove_dead`]): leftovers never accumulate. An owner is dead when it ran on this host and no
//! process has its pid (the rule of the repository's locks), or, for another host's directory
//! (a repository on a shared mount), when the directory was not modified for [`FOREIGN_STALE_AFTER`].
//!
//! Where they live: `backup create` in `<data dir>/.backup-tmp/` (SQLite snapshots, private copies
//! of files that kept changing); a local repository's puts in `<repo>/tmp/`; `backup verify` in the
//! system temporary directory (`.systrade-backup-verify-…`; verify writes nothing to the repository,
//! which may be mounted read-only).

use crate::repo::{hostname, now_ns, sanitize};
use std::fs::File;
use std::io;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// Mode of every file a backup creates.
pub const FILE_MODE: u32 = 0o600;
/// Mode of every directory a backup creates.
pub const DIR_MODE: u32 = 0o700;
/// A scratch directory of another host is removed once it was not modified for this long.
pub const FOREIGN_STALE_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// Creates the new file `path` with mode 0600 (not `O_CREAT`'s mode filtered by the umask),
/// refusing to follow a symbolic link or to reuse an existing file.
pub fn create_private_file(path: &Path) -> io::Result<File> {
    let f = File::options()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)?;
    f.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
    Ok(f)
}

/// Creates `dir` and its missing parents with mode 0700 (exactly; the umask is undone for the
/// directories created here, existing ones are left as they are).
pub fn create_private_dir_all(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_private_dir_all(parent)?;
    }
    match std::fs::DirBuilder::new().mode(DIR_MODE).create(dir) {
        Ok(()) => std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE)),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(io::Error::new(
            e.kind(),
            format!("cannot create directory {}: {e}", dir.display()),
        )),
    }
}

/// This host's name as it appears in scratch directory names.
fn host_tag() -> String {
    sanitize(&hostname())
}

/// The scratch directory of this process (removed, with its content, on drop).
#[derive(Debug)]
pub struct Scratch {
    dir: PathBuf,
    counter: AtomicU64,
}

impl Scratch {
    /// Creates `<parent>/<prefix><host>-<pid>-<now ns>` (and `parent`), mode 0700.
    pub fn create(parent: &Path, prefix: &str) -> io::Result<Self> {
        create_private_dir_all(parent)?;
        let dir = parent.join(format!(
            "{prefix}{}-{}-{}",
            host_tag(),
            std::process::id(),
            now_ns()
        ));
        match std::fs::DirBuilder::new().mode(DIR_MODE).create(&dir) {
            Ok(()) => std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(DIR_MODE))?,
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("cannot create directory {}: {e}", dir.display()),
                ));
            }
        }
        Ok(Self {
            dir,
            counter: AtomicU64::new(0),
        })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// A fresh path in the directory (`<stem>-<n>`); nothing is created.
    pub fn new_path(&self, stem: &str) -> PathBuf {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        self.dir.join(format!("{stem}-{n}"))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.dir)
            && e.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!("could not remove {}: {e}", self.dir.display());
        }
    }
}

/// Whether the owner of the scratch directory named `<host>-<pid>-<ns>` (prefix removed) is dead.
/// `None`: not a scratch directory name.
fn owner_is_dead(rest: &str, modified: Option<SystemTime>) -> Option<bool> {
    let mut parts = rest.rsplitn(3, '-');
    let ns = parts.next()?;
    let pid = parts.next()?;
    let host = parts.next()?;
    if ns.is_empty() || !ns.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let pid: u32 = pid.parse().ok()?;
    if host == host_tag() {
        return Some(!Path::new(&format!("/proc/{pid}")).exists());
    }
    let age = modified.and_then(|m| SystemTime::now().duration_since(m).ok());
    Some(age.is_some_and(|a| a > FOREIGN_STALE_AFTER))
}

/// Removes the scratch directories in `parent` named `<prefix>…` whose owner is dead (see the
/// module documentation); returns how many. A missing `parent` is not an error.
pub fn remove_dead(parent: &Path, prefix: &str) -> io::Result<u64> {
    let entries = match std::fs::read_dir(parent) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => {
            return Err(io::Error::new(
                e.kind(),
                format!("cannot list {}: {e}", parent.display()),
            ));
        }
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(prefix)) else {
            continue;
        };
        // `DirEntry::metadata` does not follow symbolic links: only real directories are removed.
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_dir() {
            continue;
        }
        if owner_is_dead(rest, meta.modified().ok()) != Some(true) {
            continue;
        }
        let path = entry.path();
        match std::fs::remove_dir_all(&path) {
            Ok(()) => {
                tracing::info!(
                    "removed {} (left by a killed backup process)",
                    path.display()
                );
                removed += 1;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!("could not remove {}: {e}", path.display()),
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt as _;

    #[test]
    fn private_files_and_dirs_ignore_the_umask_and_symlinks() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b/c");
        create_private_dir_all(&dir).unwrap();
        for d in ["a", "a/b", "a/b/c"] {
            let mode = std::fs::metadata(tmp.path().join(d)).unwrap().mode() & 0o7777;
            assert_eq!(mode, DIR_MODE, "{d}");
        }
        let f = dir.join("f");
        create_private_file(&f).unwrap();
        assert_eq!(std::fs::metadata(&f).unwrap().mode() & 0o7777, FILE_MODE);
        // Never reuses a file, never follows a link.
        assert!(create_private_file(&f).is_err());
        let outside = tmp.path().join("outside");
        std::os::unix::fs::symlink(&outside, dir.join("link")).unwrap();
        assert!(create_private_file(&dir.join("link")).is_err());
        assert!(!outside.exists());
    }

    #[test]
    fn scratch_is_removed_on_drop_and_dead_owners_are_cleaned() {
        let tmp = tempfile::tempdir().unwrap();
        let parent = tmp.path().join("scratch");
        let s = Scratch::create(&parent, "").unwrap();
        let p = s.new_path("x");
        std::fs::write(&p, b"1").unwrap();
        // A live owner (this process) is kept.
        assert_eq!(remove_dead(&parent, "").unwrap(), 0);
        assert!(p.exists());
        // A dead owner on this host is removed; names that are not scratch names are left alone.
        let dead = parent.join(format!("{}-{}-1", host_tag(), u32::MAX - 1));
        std::fs::create_dir_all(dead.join("sub")).unwrap();
        std::fs::write(dead.join("sub/blob"), b"x").unwrap();
        std::fs::create_dir_all(parent.join("not-a-scratch")).unwrap();
        // Another host's recent directory is kept.
        std::fs::create_dir_all(parent.join("elsewhere-1-2")).unwrap();
        assert_eq!(remove_dead(&parent, "").unwrap(), 1);
        assert!(!dead.exists());
        assert!(parent.join("not-a-scratch").exists());
        assert!(parent.join("elsewhere-1-2").exists());
        let dir = s.path().to_path_buf();
        drop(s);
        assert!(!dir.exists());
        assert_eq!(remove_dead(&tmp.path().join("missing"), "").unwrap(), 0);
    }

    #[test]
    fn owner_names() {
        assert_eq!(owner_is_dead("garbage", None), None);
        assert_eq!(owner_is_dead("h-x-1", None), None);
        assert_eq!(owner_is_dead("h-1-", None), None);
        let me = format!("{}-{}-5", host_tag(), std::process::id());
        assert_eq!(owner_is_dead(&me, None), Some(false));
        let old = SystemTime::now() - FOREIGN_STALE_AFTER - Duration::from_secs(1);
        assert_eq!(owner_is_dead("other-host-1-5", Some(old)), Some(true));
        assert_eq!(
            owner_is_dead("other-host-1-5", Some(SystemTime::now())),
            Some(false)
        );
    }
}
