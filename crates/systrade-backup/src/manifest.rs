//! The manifest of one backup: every file of the data directory with its size and SHA-256, and the
//! content address (`blobs/<aa>/<sha256>`) its bytes are stored under.
//!
//! A manifest is stored as `snapshots/<id>.json` and is the commit point of a backup: it is written
//! last, in one atomic step, so a backup is listed only once all its blobs are stored. The stored
//! JSON carries a SHA-256 of the manifest's own serialisation, so a flipped byte in the manifest is
//! detected like a flipped byte in a blob.
//!
//! The checksum detects damage, not tampering: anyone who can write the repository can write a
//! manifest with a matching checksum. So every manifest is also validated before it is used
//! ([`Manifest::problems`]; the rules are listed in docs/ARCHITECTURE.md, "Backup manifests"):
//! a path names a file inside the data directory that a backup can contain, a hash is a hash
//! (it becomes a key in the repository), a mode has permission bits only.

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
    /// Total size of all files (saturating: a crafted manifest may name absurd sizes).
    pub fn total_bytes(&self) -> u64 {
        self.files
            .iter()
            .fold(0u64, |t, e| t.saturating_add(e.size))
    }

    /// Everything wrong with the manifest's fields, in order (empty for a valid manifest). The
    /// rules (docs/ARCHITECTURE.md, "Backup manifests"):
    /// - `id`: a backup id ([`ID_FORMAT`]); `started_ns` ≥ 0;
    /// - `files`: sorted by path, strictly (no duplicates); no path is also a directory of another;
    /// - `path`: relative and `/`-separated, each component non-empty, not `.` or `..`, at most
    ///   255 bytes, no control characters; at most 4096 bytes in all; not a name backups skip
    ///   (locks, temporary files, SQLite journals, the backup's own scratch directory);
    /// - `sha256`: exactly 64 lower-case hex digits;
    /// - `kind`: `sqlite` exactly for `*.sqlite` paths;
    /// - `size`: the sizes add up without overflow;
    /// - `mode`: permission bits only (`0o777`); setuid, setgid, sticky and file-type bits are
    ///   reported but do not block a restore, which applies `mode & 0o777` only.
    pub fn problems(&self) -> Vec<ManifestProblem> {
        let mut out = Vec::new();
        let top = |field, message: String| ManifestProblem {
            entry: None,
            field,
            message,
        };
        if parse_id(&self.id).is_none() {
            out.push(top(
                Field::Id,
                format!("{} is not a backup id", quoted(&self.id)),
            ));
        }
        if self.started_ns < 0 {
            out.push(top(
                Field::StartedNs,
                format!("{} is negative", self.started_ns),
            ));
        }
        let files: std::collections::HashSet<&str> =
            self.files.iter().map(|e| e.path.as_str()).collect();
        let mut total = 0u64;
        for (i, e) in self.files.iter().enumerate() {
            let mut problem = |field, message: String| {
                out.push(ManifestProblem {
                    entry: Some((i, quoted(&e.path))),
                    field,
                    message,
                });
            };
            if let Err(why) = check_path(&e.path) {
                problem(Field::Path, why.to_string());
            } else if let Some(dir) = parent_dirs(&e.path).find(|d| files.contains(d)) {
                problem(
                    Field::Path,
                    format!(
                        "lies inside {}, which is a file of this backup",
                        quoted(dir)
                    ),
                );
            }
            if i > 0 && self.files[i - 1].path >= e.path {
                problem(
                    Field::Path,
                    format!(
                        "does not sort after the previous entry {} (files must be sorted, without duplicates)",
                        quoted(&self.files[i - 1].path)
                    ),
                );
            }
            if !is_sha256_hex(&e.sha256) {
                problem(
                    Field::Sha256,
                    format!(
                        "{} is not a SHA-256 (64 lower-case hex digits)",
                        quoted(&e.sha256)
                    ),
                );
            }
            let sqlite_path = crate::create::is_sqlite(&e.path);
            if (e.kind == EntryKind::Sqlite) != sqlite_path {
                problem(
                    Field::Kind,
                    if sqlite_path {
                        "a .sqlite file must be of kind sqlite".to_string()
                    } else {
                        "kind sqlite is only for .sqlite files".to_string()
                    },
                );
            }
            match total.checked_add(e.size) {
                Some(t) => total = t,
                None => problem(
                    Field::Size,
                    format!("{} makes the backup's total size overflow", e.size),
                ),
            }
            if e.mode & !PERMISSION_BITS != 0 {
                problem(
                    Field::Mode,
                    format!(
                        "{:#o} has bits outside the permission bits {PERMISSION_BITS:#o} (setuid, setgid, sticky or file type); restore applies {:#o} only",
                        e.mode,
                        e.mode & PERMISSION_BITS
                    ),
                );
            }
        }
        out
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

/// The permission bits a backup records and a restore applies.
pub const PERMISSION_BITS: u32 = 0o777;

/// The field of a manifest a [`ManifestProblem`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Id,
    StartedNs,
    Path,
    Sha256,
    Kind,
    Size,
    Mode,
}

impl Field {
    /// The field's name in the manifest's JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::StartedNs => "started_ns",
            Self::Path => "path",
            Self::Sha256 => "sha256",
            Self::Kind => "kind",
            Self::Size => "size",
            Self::Mode => "mode",
        }
    }
}

/// One invalid field of a manifest (see [`Manifest::problems`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestProblem {
    /// Index in `files` and the entry's path (quoted and escaped, shortened when long); `None`
    /// for a top-level field.
    pub entry: Option<(usize, String)>,
    pub field: Field,
    pub message: String,
}

impl ManifestProblem {
    /// Whether the backup can still be restored safely despite this problem (only a mode with
    /// bits outside 0o777: restore applies the permission bits only).
    pub fn allows_restore(&self) -> bool {
        self.field == Field::Mode
    }
}

impl std::fmt::Display for ManifestProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.entry {
            Some((i, path)) => write!(
                f,
                "files[{i}] (path {path}): field {}: {}",
                self.field.name(),
                self.message
            ),
            None => write!(f, "field {}: {}", self.field.name(), self.message),
        }
    }
}

/// `s` quoted and escaped for a message (control characters visible), cut after 100 characters.
pub fn quoted(s: &str) -> String {
    const MAX: usize = 100;
    match s.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{:?}…", &s[..cut]),
        None => format!("{s:?}"),
    }
}

/// Longest path and file name a manifest may hold (Linux `PATH_MAX`, `NAME_MAX`).
const MAX_PATH_BYTES: usize = 4096;
const MAX_NAME_BYTES: usize = 255;

/// What is wrong with a manifest path (the message follows the path: "path … is empty").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadPath {
    #[error("is empty")]
    Empty,
    #[error("is longer than {MAX_PATH_BYTES} bytes")]
    TooLong,
    #[error("is absolute (must be relative to the data directory)")]
    Absolute,
    #[error("has an empty component (`//` or a trailing `/`)")]
    EmptyComponent,
    #[error("has a {0:?} component (must stay inside the data directory)")]
    DotComponent(&'static str),
    #[error("has a component longer than {MAX_NAME_BYTES} bytes")]
    LongComponent,
    #[error("has a control character")]
    ControlCharacter,
    #[error(
        "names a file backups never contain (a lock, temporary or SQLite journal file, or the backup's scratch directory)"
    )]
    NeverBackedUp,
}

/// Checks a manifest path (rules in [`Manifest::problems`]); `Err` says what is wrong.
pub fn check_path(path: &str) -> Result<(), BadPath> {
    if path.is_empty() {
        return Err(BadPath::Empty);
    }
    if path.len() > MAX_PATH_BYTES {
        return Err(BadPath::TooLong);
    }
    if path.starts_with('/') {
        return Err(BadPath::Absolute);
    }
    for component in path.split('/') {
        match component {
            "" => return Err(BadPath::EmptyComponent),
            "." => return Err(BadPath::DotComponent(".")),
            ".." => return Err(BadPath::DotComponent("..")),
            c if c.len() > MAX_NAME_BYTES => return Err(BadPath::LongComponent),
            c if c.chars().any(char::is_control) => return Err(BadPath::ControlCharacter),
            _ => {}
        }
    }
    if crate::create::is_skipped(path) {
        return Err(BadPath::NeverBackedUp);
    }
    Ok(())
}

/// `a`, `a/b` for `a/b/c`.
fn parent_dirs(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(i, _)| &path[..i])
}

/// Key of a manifest in the repository.
pub fn manifest_key(id: &str) -> String {
    format!("snapshots/{id}.json")
}

/// Key of a blob in the repository: `blobs/<first two hex digits>/<sha256>`. `sha256` must be
/// valid ([`is_sha256_hex`]; every manifest is validated before its hashes are used); an invalid
/// one yields a key no blob has (never a panic, never a key outside `blobs/`).
pub fn blob_key(sha256: &str) -> String {
    if !is_sha256_hex(sha256) {
        return "blobs/invalid".to_string();
    }
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
    fn path_rules() {
        for good in [
            "state.sqlite",
            "prices/adjusted/SP500.parquet",
            ".systrade-demo",
            "config/tmp.csv",
            "a\\b",
            "é/ü.csv",
        ] {
            assert_eq!(check_path(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "./a",
            "a/./b",
            "a//b",
            "a/",
            "a/b\0",
            "a\nb",
            ".locks/x",
            ".write.lock",
            "state.sqlite-wal",
            "p/.x.parquet.tmp-1-2",
            ".backup-tmp/x",
        ] {
            assert!(check_path(bad).is_err(), "{bad:?}");
        }
        assert!(check_path(&"x".repeat(256)).is_err());
        assert!(check_path(&["x"; 2100].join("/")).is_err());
    }

    #[test]
    fn problems_name_entry_and_field() {
        let mut m = sample();
        assert_eq!(m.problems(), vec![]);
        m.files.push(Entry {
            path: "prices/../x".into(),
            sha256: "../../etc/hostname".into(),
            mode: 0o6777,
            ..m.files[0].clone()
        });
        m.started_ns = -1;
        let text: Vec<String> = m.problems().iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 5, "{text:#?}");
        assert!(text[0].starts_with("field started_ns: -1"), "{}", text[0]);
        assert!(
            text[1].starts_with("files[1] (path \"prices/../x\"): field path: has a \"..\""),
            "{}",
            text[1]
        );
        assert!(
            text[2].contains("field path: does not sort after"),
            "{}",
            text[2]
        );
        assert!(text[3].contains("field sha256"), "{}", text[3]);
        assert!(text[4].contains("field mode: 0o6777"), "{}", text[4]);
        assert!(!m.problems()[0].allows_restore());
        assert!(m.problems()[4].allows_restore());
        // Keys never leave `blobs/`, whatever the hash; nothing panics.
        for sha in ["", "a", "é", "../../x", &"A".repeat(64)] {
            assert_eq!(blob_key(sha), "blobs/invalid");
        }
        assert_eq!(quoted(&"é".repeat(150)).chars().count(), 103);
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
