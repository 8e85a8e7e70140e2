//! `backup verify`: validates every manifest field by field ([`Manifest::problems`]: paths, hashes,
//! kinds, modes, ...), re-reads every blob a backup needs, checks its size and SHA-256, and opens
//! every SQLite copy and runs `PRAGMA integrity_check`. Each blob is read once even when many
//! backups share it. An entry whose path or hash is invalid is reported and its blob is not read
//! (an invalid hash could name anything).
//!
//! Verify writes nothing to the repository (it may be mounted read-only): SQLite copies go to a
//! scratch directory in the system temporary directory ([`crate::scratch`]), removed at the end;
//! those of killed runs are removed by the next verify.

use crate::ProgressSink;
use crate::manifest::{self, EntryKind, Field, Manifest};
use crate::repo::Repo;
use crate::scratch::{self, Scratch, create_private_file};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{Read, Write};

/// One thing wrong with a backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Backup id.
    pub backup: String,
    /// File path in the backup (empty for a problem with the manifest itself).
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "backup {}: {}", self.backup, self.message)
        } else {
            write!(f, "backup {}: {}: {}", self.backup, self.path, self.message)
        }
    }
}

/// What [`verify`] found.
#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    /// The backups verified.
    pub ids: Vec<String>,
    pub blobs: u64,
    pub bytes: u64,
    pub problems: Vec<Problem>,
}

struct BlobUse {
    sqlite: bool,
    /// (backup, path, size in the manifest) of every file with this content.
    users: Vec<(String, String, u64)>,
}

/// Prefix of verify's scratch directories in the system temporary directory.
const SCRATCH_PREFIX: &str = ".systrade-backup-verify-";

/// Verifies backup `id` (`latest` allowed), or all backups when `None`.
pub fn verify(
    repo: &Repo,
    id: Option<&str>,
    progress: &dyn ProgressSink,
) -> anyhow::Result<VerifyReport> {
    repo.check_initialized()?;
    let ids = match id {
        Some(id) => vec![repo.resolve_id(id)?],
        None => repo.backup_ids()?,
    };
    let mut report = VerifyReport::default();
    let mut manifests: Vec<Manifest> = Vec::new();
    for id in &ids {
        match repo.read_manifest(id) {
            Ok(m) => manifests.push(m),
            Err(e) => report.problems.push(Problem {
                backup: id.clone(),
                path: String::new(),
                message: format!("{e:#}"),
            }),
        }
    }
    report.ids = ids;
    let mut blobs: BTreeMap<String, BlobUse> = BTreeMap::new();
    for m in &manifests {
        let key = manifest::manifest_key(&m.id);
        let mut unusable = std::collections::BTreeSet::new();
        for p in m.problems() {
            if let Some((i, _)) = p.entry
                && matches!(p.field, Field::Path | Field::Sha256)
            {
                unusable.insert(i);
            }
            // The entry's path may be the invalid part: the message names it, quoted.
            report.problems.push(Problem {
                backup: m.id.clone(),
                path: String::new(),
                message: format!("manifest {key}: {p}"),
            });
        }
        for (i, e) in m.files.iter().enumerate() {
            if unusable.contains(&i) {
                continue;
            }
            let u = blobs.entry(e.sha256.clone()).or_insert_with(|| BlobUse {
                sqlite: false,
                users: Vec::new(),
            });
            u.sqlite |= e.kind == EntryKind::Sqlite;
            u.users.push((m.id.clone(), e.path.clone(), e.size));
        }
    }
    report.blobs = blobs.len() as u64;
    // Removes the scratch directories of killed verifies first; ours only when needed.
    let temp_root = std::env::temp_dir();
    if let Err(e) = scratch::remove_dead(&temp_root, SCRATCH_PREFIX) {
        tracing::debug!("cannot clean {}: {e}", temp_root.display());
    }
    let scratch = if blobs.values().any(|u| u.sqlite) {
        Some(Scratch::create(&temp_root, SCRATCH_PREFIX)?)
    } else {
        None
    };
    progress.start(blobs.len() as u64, "blobs");
    let results: Vec<(u64, Vec<Problem>)> = blobs
        .par_iter()
        .map(|(sha, u)| {
            let r = check_blob(repo, sha, u, scratch.as_ref());
            progress.inc(1);
            let (bytes, message) = match r {
                Ok((bytes, None)) => (bytes, None),
                Ok((bytes, Some(msg))) => (bytes, Some(msg)),
                Err(e) => (0, Some(format!("cannot check blob {sha}: {e:#}"))),
            };
            let problems = u
                .users
                .iter()
                .filter_map(|(backup, path, size)| {
                    let message = match &message {
                        Some(m) => m.clone(),
                        // Intact, but another entry with this content may give another size.
                        None if *size != bytes => format!(
                            "blob {sha} has {bytes} bytes, the manifest says {size} (field size)"
                        ),
                        None => return None,
                    };
                    Some(Problem {
                        backup: backup.clone(),
                        path: path.clone(),
                        message,
                    })
                })
                .collect();
            (bytes, problems)
        })
        .collect();
    for (bytes, problems) in results {
        report.bytes += bytes;
        report.problems.extend(problems);
    }
    report
        .problems
        .sort_by(|a, b| (&a.backup, &a.path).cmp(&(&b.backup, &b.path)));
    progress.finish();
    Ok(report)
}

/// Reads one blob: (bytes read, problem if any other than its size; the caller compares the
/// size with each entry's).
fn check_blob(
    repo: &Repo,
    sha: &str,
    u: &BlobUse,
    scratch: Option<&Scratch>,
) -> anyhow::Result<(u64, Option<String>)> {
    let key = manifest::blob_key(sha);
    let Some(mut reader) = repo.store().get_reader(&key)? else {
        return Ok((
            0,
            Some(format!("blob {sha} is missing from the repository")),
        ));
    };
    // SQLite blobs are also written to a temporary file to be opened after hashing.
    let mut copy = match scratch.filter(|_| u.sqlite) {
        Some(s) => {
            let path = s.new_path("sqlite");
            let file = create_private_file(&path)?;
            Some(TempCopy { path, file })
        }
        None => None,
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
        if let Some(c) = copy.as_mut() {
            c.file.write_all(&buf[..n])?;
        }
        total += n as u64;
    }
    let actual = manifest::hex(&hasher.finalize());
    if actual != sha {
        return Ok((
            total,
            Some(format!(
                "blob {sha} is corrupt: its content hashes to {actual} ({total} bytes)"
            )),
        ));
    }
    if let Some(c) = copy {
        c.file.sync_all()?;
        if let Some(msg) = sqlite_problem(&c.path) {
            return Ok((total, Some(format!("SQLite copy (blob {sha}) {msg}"))));
        }
    }
    Ok((total, None))
}

/// A private copy of a SQLite blob, removed on drop.
struct TempCopy {
    path: std::path::PathBuf,
    file: std::fs::File,
}

impl Drop for TempCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// `PRAGMA integrity_check` of a database file: `None` when it answers `ok`.
pub fn sqlite_problem(path: &std::path::Path) -> Option<String> {
    use rusqlite::{Connection, OpenFlags};
    let result = (|| -> rusqlite::Result<Vec<String>> {
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let mut stmt = conn.prepare("PRAGMA integrity_check")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.collect()
    })();
    match result {
        Ok(rows) if rows == ["ok"] => None,
        Ok(rows) => Some(format!("fails integrity_check: {}", rows.join("; "))),
        Err(e) => Some(format!("cannot be opened as a database: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrity_check_detects_garbage_and_accepts_a_database() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.sqlite");
        let conn = rusqlite::Connection::open(&good).unwrap();
        conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
            .unwrap();
        drop(conn);
        assert_eq!(sqlite_problem(&good), None);
        let bad = dir.path().join("bad.sqlite");
        std::fs::write(&bad, vec![7u8; 8192]).unwrap();
        assert!(sqlite_problem(&bad).is_some());
    }
}
