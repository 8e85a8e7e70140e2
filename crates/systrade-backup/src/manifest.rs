//! The manifest of one backup: every file of the data directory with its size and SHA-256, and the
//! content address (`blobs/<aa>/<sha256>`) its bytes are stored under.
//!
//! A manifest is stored as `snapshots/<id>.json` and is the commit point of a backup: it is written
//! last, in one atomic step, so a backup is listed only once all its blobs are stored. The stored
//! JSON carries a SHA-256 of the manifest's own serialisation, so a flipped byte in the manifest is
//! detected like a flipped byte in a blob.

use anyhow::Context as _;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Version of the repository layout and manifest format.
pub const FORMAT: u32 = 1;

/// `chrono` format of a backup id: the UTC start time with milliseconds, e.g. `20261125T230712.123Z`.
/// Ids sort in time order as plain strings.
pub const ID_FORMAT: &str = "%Y%m%dT%H%M%S%.3fZ";

/// How a file was captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    /// A plain file, copied byte for byte.
    File,
    /// A SQLite database, captured with `VACUUM INTO` (a transaction-consistent copy, equal to the
    /// source logically, not byte for byte).
    Sqlite,
}

/// One file of a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Path relative to the data directory, `/`-separated.
    pub path: String,
    /// Size in bytes of the stored content.
    pub size: u64,
    /// Lower-case hex SHA-256 of the stored content (the blob's name).
    pub sha256: String,
    pub kind: EntryKind,
    /// Unix permission bits of the source file.
    pub mode: u32,
    /// Modification time of the source file, nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
    /// Status-change time of the source file when it was read (hash cache key; 0 for SQLite).
    pub ctime_ns: i64,
    /// Inode number of the source file when it was read (hash cache key; 0 for SQLite).
    pub ino: u64,
}

/// The manifest of one backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// Backup id (see [`ID_FORMAT`]).
    pub id: String,
    /// When the scan of the data directory started, nanoseconds since the Unix epoch.
    pub started_ns: i64,
    /// When the backup was committed (RFC 3339, UTC).
    pub committed: String,
    /// The data directory that was backed up.
    pub source: String,
    /// Host name of the machine that made the backup.
    pub host: String,
    /// Files, sorted by path.
    pub files: Vec<Entry>,
    /// Blobs this backup added to the repository (the others were already there).
    pub new_blobs: u64,
    /// Bytes this backup added to the repository.
    pub new_bytes: u64,
}

impl Manifest {
    /// Total size of all files.
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|e| e.size).sum()
    }

    /// The stored form: the manifest plus the SHA-256 of its JSON serialisation.
    pub fn to_stored_bytes(&self) -> anyhow::Result<Vec<u8>> {
        let body = serde_json::to_vec(self)?;
        let stored = StoredRef {
            manifest: self,
            sha256: sha256_hex(&body),
        };
        let mut out = serde_json::to_vec(&stored)?;
        out.push(b'\n');
        Ok(out)
    }

    /// Parses the stored form and checks its checksum.
    pub fn from_stored_bytes(bytes: &[u8]) -> anyhow::Result<Self> {
        let stored: Stored = serde_json::from_slice(bytes).context("manifest is not valid JSON")?;
        let body = serde_json::to_vec(&stored.manifest)?;
        let actual = sha256_hex(&body);
        if actual != stored.sha256 {
            anyhow::bail!(
                "manifest checksum mismatch (stored {}, computed {actual}): the manifest is corrupt",
                stored.sha256
            );
        }
        if stored.manifest.format != FORMAT {
            anyhow::bail!(
                "manifest format {} is not supported (this tool reads format {FORMAT})",
                stored.manifest.format
            );
        }
        Ok(stored.manifest)
    }
}

#[derive(Serialize)]
struct StoredRef<'a> {
    manifest: &'a Manifest,
    sha256: String,
}

#[derive(Deserialize)]
struct Stored {
    manifest: Manifest,
    sha256: String,
}

/// Key of a manifest in the repository.
pub fn manifest_key(id: &str) -> String {
    format!("snapshots/{id}.json")
}

/// Key of a blob in the repository: `blobs/<first two hex digits>/<sha256>`.
pub fn blob_key(sha256: &str) -> String {
    format!("blobs/{}/{sha256}", &sha256[..2])
}

/// The SHA-256 a blob key names, if `key` is a well-formed blob key.
pub fn sha_of_blob_key(key: &str) -> Option<&str> {
    let rest = key.strip_prefix("blobs/")?;
    let (dir, sha) = rest.split_once('/')?;
    (is_sha256_hex(sha) && sha.starts_with(dir) && dir.len() == 2).then_some(sha)
}

/// The backup id a manifest key names.
pub fn id_of_manifest_key(key: &str) -> Option<&str> {
    let id = key.strip_prefix("snapshots/")?.strip_suffix(".json")?;
    parse_id(id).map(|_| id)
}

/// The id of a backup started at `t`.
pub fn make_id(t: DateTime<Utc>) -> String {
    t.format(ID_FORMAT).to_string()
}

/// The start time an id encodes.
pub fn parse_id(id: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(id, ID_FORMAT).ok()
}

/// Lower-case hex of SHA-256(`data`).
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Whether `s` is 64 lower-case hex digits.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        Manifest {
            format: FORMAT,
            id: "20261125T230712.123Z".into(),
            started_ns: 1,
            committed: "2026-11-25T23:07:13Z".into(),
            source: "/data".into(),
            host: "h".into(),
            files: vec![Entry {
                path: "prices/adjusted/SP500.parquet".into(),
                size: 3,
                sha256: sha256_hex(b"abc"),
                kind: EntryKind::File,
                mode: 0o644,
                mtime_ns: 5,
                ctime_ns: 6,
                ino: 7,
            }],
            new_blobs: 1,
            new_bytes: 3,
        }
    }

    #[test]
    fn stored_manifest_round_trips_and_detects_flipped_bytes() {
        let m = sample();
        let bytes = m.to_stored_bytes().unwrap();
        assert_eq!(Manifest::from_stored_bytes(&bytes).unwrap(), m);
        // Flip a digit of the size: still valid JSON, but the checksum no longer matches.
        let text = String::from_utf8(bytes).unwrap();
        let tampered = text.replacen("\"size\":3", "\"size\":4", 1);
        assert_ne!(tampered, text);
        let err = Manifest::from_stored_bytes(tampered.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("checksum mismatch"), "{err}");
    }

    #[test]
    fn keys_and_ids() {
        // SHA-256("abc") from FIPS 180-2, appendix B.1.
        let sha = sha256_hex(b"abc");
        assert_eq!(
            sha,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let key = blob_key(&sha);
        assert_eq!(key, format!("blobs/ba/{sha}"));
        assert_eq!(sha_of_blob_key(&key), Some(sha.as_str()));
        assert_eq!(sha_of_blob_key("blobs/bb/x"), None);
        let id = "20261125T230712.123Z";
        assert_eq!(id_of_manifest_key(&manifest_key(id)), Some(id));
        assert_eq!(id_of_manifest_key("snapshots/garbage.json"), None);
        let t = parse_id(id).unwrap();
        assert_eq!(make_id(t.and_utc()), id);
    }
}
