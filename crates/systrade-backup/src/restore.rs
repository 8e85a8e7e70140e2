//! `backup restore ID --to DIR`: writes every file of a backup into `DIR`, checking each blob's
//! SHA-256 while it is copied, with the source's permission bits and modification time.
//!
//! `DIR` must be new or empty unless `force` is given; then each restored file replaces the
//! existing one atomically (temporary file, `fsync`, `rename`), stale `-wal`/`-shm`/`-journal`
//! files of restored SQLite databases are removed (SQLite would otherwise replay them into the
//! restored database), and files that are not in the backup are left alone (and counted).
//!
//! A restore trusts neither the manifest nor the target:
//! - the manifest is validated before anything is written ([`Repo::load_manifest`]): a path that
//!   leaves `DIR`, a hash that is not a hash, and the other rules of [`Manifest::problems`] stop
//!   the restore with a data-problem error naming the manifest, entry and field;
//! - only the permission bits are restored (`mode & 0o777`): never setuid, setgid or sticky;
//! - symbolic links below `DIR` are never followed: directories are opened one component at a time
//!   with `O_NOFOLLOW` (`openat`), files are created with `O_EXCL | O_NOFOLLOW` and renamed over
//!   their name (which replaces a link instead of writing through it). A link or a file where the
//!   backup needs a directory is an error naming it, found before anything is written. (`DIR`
//!   itself may be a link: the user named it.)
//! - directories the restore creates are 0700; temporary files are 0600 until complete.
//!
//! A killed restore leaves hidden temporary files (`.restore.tmp-<pid>-<n>`); the next restore into
//! the same directory removes them.
//!
//! [`Manifest::problems`]: crate::manifest::Manifest::problems

use crate::ProgressSink;
use crate::manifest::{self, Entry, EntryKind, PERMISSION_BITS};
use crate::repo::{BackupError, Repo};
use crate::scratch::{DIR_MODE, FILE_MODE, create_private_dir_all};
use anyhow::Context as _;
use rayon::prelude::*;
use rustix::fs::{AtFlags, Mode, OFlags};
use rustix::io::Errno;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// What [`restore`] did.
#[derive(Debug, Clone)]
pub struct RestoreReport {
    pub id: String,
    pub files: u64,
    pub bytes: u64,
    /// Files in the target that are not part of the backup (only with `force`).
    pub extra_files: u64,
    pub elapsed: Duration,
}

/// Prefix of the temporary files a restore writes next to their targets.
const TEMP_PREFIX: &str = ".restore.tmp-";

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Restores backup `id` (`latest` allowed) into `to`.
pub fn restore(
    repo: &Repo,
    id: &str,
    to: &Path,
    force: bool,
    progress: &dyn ProgressSink,
) -> anyhow::Result<RestoreReport> {
    let t0 = Instant::now();
    repo.check_initialized()?;
    let id = repo.resolve_id(id)?;
    let m = repo.load_manifest(&id)?;
    let special = m
        .files
        .iter()
        .filter(|e| e.mode & !PERMISSION_BITS != 0)
        .count();
    if special > 0 {
        tracing::warn!(
            "backup {id}: {special} files have mode bits outside {PERMISSION_BITS:#o} (setuid, setgid, sticky); restoring their permission bits only"
        );
    }
    let existing = existing_files(to)?;
    if !existing.is_empty() && !force {
        return Err(BackupError::TargetNotEmpty(to.to_path_buf()).into());
    }
    create_private_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    let root = rustix::fs::open(
        to,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", std::io::Error::from(e)))?;
    let target = Target {
        root: root.as_fd(),
        display: to,
    };
    // Every directory the backup needs, parents first.
    let dirs: BTreeSet<&str> = m
        .files
        .iter()
        .flat_map(|e| e.path.match_indices('/').map(|(i, _)| &e.path[..i]))
        .collect();
    target.check_existing(&dirs, &m.files)?;

    progress.start(m.files.len() as u64, "files");
    m.files
        .par_iter()
        .map(|e| {
            let r = target
                .restore_one(repo, e)
                .with_context(|| format!("restoring {}", e.path));
            progress.inc(1);
            r
        })
        .collect::<anyhow::Result<Vec<()>>>()?;
    // Make the renames (and new directories) durable.
    for d in std::iter::once("").chain(dirs.iter().copied()) {
        let fd = target.open_dir(d, false)?;
        rustix::fs::fsync(&fd).map_err(|e| target.io_error(d, e))?;
    }
    progress.finish();
    let restored: BTreeSet<&str> = m.files.iter().map(|e| e.path.as_str()).collect();
    let extra_files = existing
        .iter()
        .filter(|p| !restored.contains(p.as_str()))
        .count() as u64;
    Ok(RestoreReport {
        id,
        files: m.files.len() as u64,
        bytes: m.total_bytes(),
        extra_files,
        elapsed: t0.elapsed(),
    })
}

/// Whether `name` is a temporary file of a restore whose process is dead.
fn is_dead_restore_temp(name: &str) -> bool {
    name.strip_prefix(TEMP_PREFIX)
        .and_then(|rest| rest.split_once('-'))
        .and_then(|(pid, _)| pid.parse::<u32>().ok())
        .is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists())
}

/// Relative paths of the entries under `dir` other than directories (empty when it does not
/// exist; symbolic links are listed, never followed). Temporary files of killed restores are
/// removed on the way.
fn existing_files(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    if !dir.exists() {
        return Ok(out);
    }
    if !dir.is_dir() {
        anyhow::bail!("restore target {} is not a directory", dir.display());
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries =
            std::fs::read_dir(&d).with_context(|| format!("cannot list {}", d.display()))?;
        for entry in entries {
            let entry = entry?;
            let path = entry.path();
            let file_type = entry.file_type()?;
            if file_type.is_dir() {
                stack.push(path);
            } else if file_type.is_file()
                && entry.file_name().to_str().is_some_and(is_dead_restore_temp)
            {
                std::fs::remove_file(&path)
                    .with_context(|| format!("cannot remove {}", path.display()))?;
            } else if let Ok(rel) = path.strip_prefix(dir) {
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    Ok(out)
}

/// The restore target: `DIR`, opened once; everything below it is reached through `openat`.
struct Target<'a> {
    root: BorrowedFd<'a>,
    display: &'a Path,
}

impl Target<'_> {
    fn io_error(&self, rel: &str, e: Errno) -> anyhow::Error {
        let path = self.display.join(rel);
        if e == Errno::LOOP || e == Errno::NOTDIR {
            anyhow::anyhow!(
                "{} is a symbolic link or not a directory; restore never writes through links (remove it, or restore into another directory)",
                path.display()
            )
        } else {
            anyhow::anyhow!("{}: {}", path.display(), std::io::Error::from(e))
        }
    }

    /// Before anything is written: every directory the backup needs is a directory or absent,
    /// and no file of the backup is a directory in the target.
    fn check_existing(&self, dirs: &BTreeSet<&str>, files: &[Entry]) -> anyhow::Result<()> {
        for d in dirs {
            match rustix::fs::statat(self.root, *d, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) if rustix::fs::FileType::from_raw_mode(st.st_mode).is_dir() => {}
                Ok(_) => return Err(self.io_error(d, Errno::NOTDIR)),
                Err(Errno::NOENT) => {}
                Err(e) => return Err(self.io_error(d, e)),
            }
        }
        for e in files {
            match rustix::fs::statat(self.root, e.path.as_str(), AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) if rustix::fs::FileType::from_raw_mode(st.st_mode).is_dir() => {
                    anyhow::bail!(
                        "{} is a directory in the target, but a file in the backup",
                        self.display.join(&e.path).display()
                    );
                }
                Ok(_) | Err(Errno::NOENT) | Err(Errno::NOTDIR) => {}
                Err(err) => return Err(self.io_error(&e.path, err)),
            }
        }
        Ok(())
    }

    /// Opens the directory `rel` (`""`: the root) one component at a time without following
    /// links, creating missing components (mode 0700) when `create`.
    fn open_dir(&self, rel: &str, create: bool) -> anyhow::Result<OwnedFd> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let mut cur = rustix::fs::openat(self.root, ".", flags, Mode::empty())
            .map_err(|e| self.io_error("", e))?;
        let mut end = 0;
        for component in rel.split('/').filter(|c| !c.is_empty()) {
            end += component.len() + usize::from(end > 0);
            let created = create
                && match rustix::fs::mkdirat(&cur, component, Mode::from_raw_mode(DIR_MODE)) {
                    Ok(()) => true,
                    Err(Errno::EXIST) => false,
                    Err(e) => return Err(self.io_error(&rel[..end], e)),
                };
            cur = rustix::fs::openat(&cur, component, flags, Mode::empty())
                .map_err(|e| self.io_error(&rel[..end], e))?;
            if created {
                rustix::fs::fchmod(&cur, Mode::from_raw_mode(DIR_MODE))
                    .map_err(|e| self.io_error(&rel[..end], e))?;
            }
        }
        Ok(cur)
    }

    fn restore_one(&self, repo: &Repo, e: &Entry) -> anyhow::Result<()> {
        let (dir_rel, name) = e.path.rsplit_once('/').unwrap_or(("", e.path.as_str()));
        let dir = self.open_dir(dir_rel, true)?;
        let tmp = format!(
            "{TEMP_PREFIX}{}-{}",
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let fd = rustix::fs::openat(
            &dir,
            tmp.as_str(),
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(FILE_MODE),
        )
        .map_err(|err| self.io_error(&format!("{dir_rel}/{tmp}"), err))?;
        let result = (|| -> anyhow::Result<()> {
            let mut out = File::from(fd);
            let Some(mut reader) = repo.store().get_reader(&manifest::blob_key(&e.sha256))? else {
                return Err(BackupError::Damaged(format!(
                    "blob {} is missing from the repository; run `backup verify`",
                    e.sha256
                ))
                .into());
            };
            let mut hasher = Sha256::new();
            let mut buf = vec![0u8; 1 << 20];
            let mut total = 0u64;
            loop {
                let n = reader.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                out.write_all(&buf[..n])?;
                total += n as u64;
            }
            let actual = manifest::hex(&hasher.finalize());
            if actual != e.sha256 || total != e.size {
                return Err(BackupError::Damaged(format!(
                    "blob {} is corrupt (content hashes to {actual}, {total} bytes); run `backup verify`",
                    e.sha256
                ))
                .into());
            }
            rustix::fs::fchmod(&out, Mode::from_raw_mode(e.mode & PERMISSION_BITS))?;
            let since_epoch = Duration::from_nanos(e.mtime_ns.unsigned_abs());
            let mtime = if e.mtime_ns >= 0 {
                UNIX_EPOCH.checked_add(since_epoch)
            } else {
                UNIX_EPOCH.checked_sub(since_epoch)
            };
            out.set_modified(mtime.unwrap_or_else(SystemTime::now))?;
            out.sync_all()?;
            if e.kind == EntryKind::Sqlite {
                for suffix in ["-wal", "-shm", "-journal"] {
                    match rustix::fs::unlinkat(&dir, format!("{name}{suffix}"), AtFlags::empty()) {
                        Ok(()) | Err(Errno::NOENT) => {}
                        Err(err) => {
                            return Err(self.io_error(&format!("{}{suffix}", e.path), err));
                        }
                    }
                }
            }
            rustix::fs::renameat(&dir, tmp.as_str(), &dir, name)
                .map_err(|err| self.io_error(&e.path, err))?;
            Ok(())
        })();
        if result.is_err() {
            let _ = rustix::fs::unlinkat(&dir, tmp.as_str(), AtFlags::empty());
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_temp_names() {
        let dead = format!("{TEMP_PREFIX}{}-3", u32::MAX - 1);
        assert!(is_dead_restore_temp(&dead));
        let live = format!("{TEMP_PREFIX}{}-3", std::process::id());
        assert!(!is_dead_restore_temp(&live));
        assert!(!is_dead_restore_temp("state.sqlite"));
        // Hidden temporary names: the tools and `backup create` skip them.
        assert!(crate::create::is_skipped(&dead));
    }
}
