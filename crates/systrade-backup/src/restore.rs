//! `backup restore ID --to DIR`: writes every file of a backup into `DIR`, checking each blob's
//! SHA-256 while it is copied, with the source's permission bits and modification time.
//!
//! `DIR` must be new or empty unless `force` is given; then each restored file replaces the
//! existing one atomically (temporary file, `fsync`, `rename`), stale `-wal`/`-shm`/`-journal`
//! files of restored SQLite databases are removed (SQLite would otherwise replay them into the
//! restored database), and files that are not in the backup are left alone (and counted).

use crate::ProgressSink;
use crate::manifest::{self, Entry, EntryKind};
use crate::repo::{BackupError, Repo};
use crate::store::sync_dir;
use anyhow::Context as _;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};
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
    for e in &m.files {
        check_relative(&e.path)?;
    }
    let existing = existing_files(to)?;
    if !existing.is_empty() && !force {
        return Err(BackupError::TargetNotEmpty(to.to_path_buf()).into());
    }
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    let to = to.canonicalize()?;

    progress.start(m.files.len() as u64, "files");
    m.files
        .par_iter()
        .map(|e| {
            let r = restore_one(repo, e, &to).with_context(|| format!("restoring {}", e.path));
            progress.inc(1);
            r
        })
        .collect::<anyhow::Result<Vec<()>>>()?;
    // Make the renames durable.
    let dirs: BTreeSet<PathBuf> = m
        .files
        .iter()
        .filter_map(|e| to.join(&e.path).parent().map(Path::to_path_buf))
        .collect();
    for d in dirs {
        sync_dir(&d)?;
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

/// A manifest path must stay inside the target: relative, no `..`.
fn check_relative(path: &str) -> anyhow::Result<()> {
    let p = Path::new(path);
    if path.is_empty() || !p.components().all(|c| matches!(c, Component::Normal(_))) {
        anyhow::bail!("backup names an unsafe path {path:?}; refusing to restore");
    }
    Ok(())
}

/// Relative paths of the files under `dir` (empty when it does not exist).
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
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    Ok(out)
}

fn restore_one(repo: &Repo, e: &Entry, to: &Path) -> anyhow::Result<()> {
    let dest = to.join(&e.path);
    let dir = dest.parent().unwrap_or(to);
    std::fs::create_dir_all(dir)?;
    let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.tmp-restore-{}", std::process::id()));
    let result = (|| -> anyhow::Result<()> {
        let Some(mut reader) = repo.store().get_reader(&manifest::blob_key(&e.sha256))? else {
            anyhow::bail!("blob {} is missing from the repository", e.sha256);
        };
        let mut out = File::create(&tmp)?;
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
            anyhow::bail!(
                "blob {} is corrupt (content hashes to {actual}, {total} bytes); run `backup verify`",
                e.sha256
            );
        }
        use std::os::unix::fs::PermissionsExt as _;
        out.set_permissions(std::fs::Permissions::from_mode(e.mode))?;
        let mtime = if e.mtime_ns >= 0 {
            UNIX_EPOCH + Duration::from_nanos(e.mtime_ns.unsigned_abs())
        } else {
            SystemTime::now()
        };
        out.set_modified(mtime)?;
        out.sync_all()?;
        Ok(())
    })();
    if let Err(err) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(err);
    }
    if e.kind == EntryKind::Sqlite {
        for suffix in ["-wal", "-shm", "-journal"] {
            let companion = PathBuf::from(format!("{}{suffix}", dest.display()));
            match std::fs::remove_file(&companion) {
                Ok(()) => {}
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                Err(err) => return Err(err.into()),
            }
        }
    }
    std::fs::rename(&tmp, &dest)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_paths_are_refused() {
        assert!(check_relative("prices/a.parquet").is_ok());
        for bad in ["", "/etc/passwd", "../x", "a/../../x", "./a"] {
            assert!(check_relative(bad).is_err(), "{bad}");
        }
    }
}
