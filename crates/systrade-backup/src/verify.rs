//! `backup verify`: re-reads every blob a backup needs, checks its size and SHA-256, and opens
//! every SQLite copy and runs `PRAGMA integrity_check`. Each blob is read once even when many
//! backups share it.

use crate::ProgressSink;
use crate::manifest::{self, EntryKind, Manifest};
use crate::repo::Repo;
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
    size: u64,
    sqlite: bool,
    /// (backup, path) of every file with this content.
    users: Vec<(String, String)>,
}

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
        match repo.load_manifest(id) {
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
        for e in &m.files {
            let u = blobs.entry(e.sha256.clone()).or_insert_with(|| BlobUse {
                size: e.size,
                sqlite: false,
                users: Vec::new(),
            });
            u.sqlite |= e.kind == EntryKind::Sqlite;
            u.users.push((m.id.clone(), e.path.clone()));
        }
    }
    report.blobs = blobs.len() as u64;
    progress.start(blobs.len() as u64, "blobs");
    let results: Vec<(u64, Vec<Problem>)> = blobs
        .par_iter()
        .map(|(sha, u)| {
            let r = check_blob(repo, sha, u);
            progress.inc(1);
            let (bytes, message) = match r {
                Ok((bytes, None)) => return (bytes, Vec::new()),
                Ok((bytes, Some(msg))) => (bytes, msg),
                Err(e) => (0, format!("cannot check blob {sha}: {e:#}")),
            };
            let problems = u
                .users
                .iter()
                .map(|(backup, path)| Problem {
                    backup: backup.clone(),
                    path: path.clone(),
                    message: message.clone(),
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

/// Reads one blob: (bytes read, problem if any).
fn check_blob(repo: &Repo, sha: &str, u: &BlobUse) -> anyhow::Result<(u64, Option<String>)> {
    let key = manifest::blob_key(sha);
    let Some(mut reader) = repo.store().get_reader(&key)? else {
        return Ok((
            0,
            Some(format!("blob {sha} is missing from the repository")),
        ));
    };
    // SQLite blobs are also written to a temporary file to be opened after hashing.
    let mut copy = if u.sqlite {
        Some(tempfile::NamedTempFile::new()?)
    } else {
        None
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
            c.write_all(&buf[..n])?;
        }
        total += n as u64;
    }
    let actual = manifest::hex(&hasher.finalize());
    if actual != sha {
        return Ok((
            total,
            Some(format!(
                "blob {sha} is corrupt: its content hashes to {actual} ({total} bytes, expected {})",
                u.size
            )),
        ));
    }
    if total != u.size {
        return Ok((
            total,
            Some(format!(
                "blob {sha} has {total} bytes, the manifest says {}",
                u.size
            )),
        ));
    }
    if let Some(c) = copy {
        c.as_file().sync_all()?;
        if let Some(msg) = sqlite_problem(c.path()) {
            return Ok((total, Some(format!("SQLite copy (blob {sha}) {msg}"))));
        }
    }
    Ok((total, None))
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
