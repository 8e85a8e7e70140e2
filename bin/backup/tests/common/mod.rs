//! Helpers shared by the `backup` integration tests: a synthetic data directory, a command
//! builder, and comparisons of a restored directory with its source.

#![allow(dead_code, unreachable_pub)]

use assert_cmd::Command;
use rusqlite::Connection;
use rusqlite::types::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A deterministic byte generator (xorshift64*), so file contents are incompressible but
/// reproducible.
pub fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A data directory like the tools' (Parquet-sized files, config CSV, a WAL-mode state.sqlite,
/// plus a lock file and a temporary file that backups must skip).
pub fn make_data_dir(root: &Path, instruments: usize, file_size: usize) -> PathBuf {
    let data = root.join("data");
    for (k, kind) in ["contracts", "multiple", "adjusted"].iter().enumerate() {
        let dir = data.join("prices").join(kind);
        std::fs::create_dir_all(&dir).unwrap();
        for i in 0..instruments {
            let seed = (k * 10_000 + i) as u64;
            std::fs::write(
                dir.join(format!("I{i:03}.parquet")),
                bytes(seed, file_size + i),
            )
            .unwrap();
        }
    }
    std::fs::create_dir_all(data.join("config")).unwrap();
    std::fs::write(
        data.join("config/instruments.csv"),
        "Instrument,Pointsize\nSP500,50\n",
    )
    .unwrap();
    std::fs::create_dir_all(data.join(".locks")).unwrap();
    std::fs::write(data.join(".locks/prices.lock"), b"").unwrap();
    std::fs::write(data.join(".write.lock"), b"").unwrap();
    std::fs::write(
        data.join("prices/adjusted/.I000.parquet.tmp-1-2"),
        b"partial",
    )
    .unwrap();
    let conn = Connection::open(data.join("state.sqlite")).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode=WAL;
         CREATE TABLE orders(id INTEGER PRIMARY KEY, instrument TEXT, qty INTEGER, price REAL, note BLOB);
         CREATE TABLE counter(n INTEGER NOT NULL);
         INSERT INTO counter VALUES (0);",
    )
    .unwrap();
    for i in 0..200 {
        conn.execute(
            "INSERT INTO orders(instrument, qty, price, note) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![
                format!("I{:03}", i % 7),
                i - 100,
                100.25 + f64::from(i),
                bytes(i as u64, 16)
            ],
        )
        .unwrap();
        conn.execute("UPDATE counter SET n = n + 1", []).unwrap();
    }
    data
}

/// The `backup` binary with the data directory and repository set through the environment.
pub fn backup(data: &Path, repo: &str) -> Command {
    Command::from(backup_std(data, repo))
}

/// [`backup`] as a `std::process::Command` (to spawn, kill, or wrap).
pub fn backup_std(data: &Path, repo: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("backup"));
    cmd.env("SYSTRADE_DATA", data)
        .env("SYSTRADE_BACKUP_REPO", repo)
        .env_remove("SYSTRADE_LOG")
        .arg("--no-progress");
    cmd
}

/// Runs a command, returning (exit code, stdout, stderr).
pub fn run(mut cmd: Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `backup list --format json` (one object per line), parsed.
pub fn list(data: &Path, repo: &str) -> Vec<serde_json::Value> {
    let mut cmd = backup(data, repo);
    cmd.args(["list", "--format", "json"]);
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "list failed: {err}");
    out.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .collect()
}

/// Relative path → content of every file under `root` (recursively).
pub fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// Every table's schema and rows (in rowid order) — the logical content of a database.
pub fn sqlite_content(path: &Path) -> BTreeMap<String, (String, Vec<Vec<Value>>)> {
    let conn =
        Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = conn
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap();
    let tables: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = BTreeMap::new();
    for (name, sql) in tables {
        let mut s = conn
            .prepare(&format!("SELECT * FROM \"{name}\" ORDER BY rowid"))
            .unwrap();
        let n = s.column_count();
        let rows: Vec<Vec<Value>> = s
            .query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        out.insert(name, (sql, rows));
    }
    out
}

/// Asserts that `restored` equals `source`: every backed-up file byte for byte, `state.sqlite`
/// logically, and nothing that backups skip.
pub fn assert_restored_equals_source(source: &Path, restored: &Path) {
    let src = files(source);
    let dst = files(restored);
    let expected: Vec<&String> = src
        .keys()
        .filter(|k| {
            !k.starts_with(".locks/")
                && !k.ends_with(".lock")
                && !k.contains(".tmp-")
                && !k.starts_with("state.sqlite")
        })
        .collect();
    for k in &expected {
        assert_eq!(
            dst.get(*k).map(Vec::len),
            Some(src[*k].len()),
            "{k} missing or of another size"
        );
        assert!(dst[*k] == src[*k], "{k} differs");
    }
    let restored_names: Vec<&String> = dst.keys().filter(|k| *k != "state.sqlite").collect();
    assert_eq!(restored_names, expected, "restored file set differs");
    assert_eq!(
        sqlite_content(&restored.join("state.sqlite")),
        sqlite_content(&source.join("state.sqlite")),
        "state.sqlite differs logically"
    );
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One entry of a directory tree, as [`tree`] records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Dir { mode: u32 },
    File { mode: u32, content: Vec<u8> },
    Link { target: PathBuf },
}

/// Every entry under `root` (not following symbolic links) with its permission bits and content:
/// two equal trees are byte-identical, modes included.
pub fn tree(root: &Path) -> BTreeMap<String, Node> {
    use std::os::unix::fs::MetadataExt as _;
    let mut out = BTreeMap::new();
    if !root.exists() {
        return out;
    }
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            let mode = meta.mode() & 0o7777;
            let node = if meta.file_type().is_symlink() {
                Node::Link {
                    target: std::fs::read_link(&p).unwrap(),
                }
            } else if meta.is_dir() {
                stack.push(p.clone());
                Node::Dir { mode }
            } else {
                Node::File {
                    mode,
                    content: std::fs::read(&p).unwrap(),
                }
            };
            out.insert(rel, node);
        }
    }
    out
}

/// Asserts that a `backup` run did not panic (Rust's panic message or exit code 101).
pub fn assert_no_panic(code: i32, out: &str, err: &str) {
    assert!(
        code != 101 && !err.contains("panicked") && !out.contains("panicked"),
        "panic (exit {code}): {out}{err}"
    );
}

/// A tiny seeded generator (splitmix64) for the bounded, reproducible campaigns.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// Paths (relative to `root`, recursively) of every file and directory under `root`.
pub fn entries(root: &Path) -> Vec<String> {
    tree(root).into_keys().collect()
}

/// Number of files (not directories) under each of `dirs`, recursively; missing dirs count 0.
/// Safe to call while a process writes there: an entry that vanishes between listing and looking
/// at it is not counted (only names and types are read, never contents).
pub fn files_under(dirs: &[PathBuf]) -> usize {
    fn count(dir: &Path) -> usize {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return 0;
        };
        entries
            .filter_map(Result::ok)
            .map(|e| match e.file_type() {
                Ok(t) if t.is_dir() => count(&e.path()),
                Ok(_) => 1,
                Err(_) => 0,
            })
            .sum()
    }
    dirs.iter().map(PathBuf::as_path).map(count).sum()
}

/// Runs `cmd` (a `backup create`) and kills it with SIGKILL once `threshold` files exist under
/// `watch` (its temporary state). Returns whether it was killed (false: it ended first).
pub fn kill_when_temp_files(
    mut cmd: std::process::Command,
    watch: &[PathBuf],
    threshold: usize,
) -> bool {
    use std::time::{Duration, Instant};
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        if files_under(watch) >= threshold {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "backup stalled");
        std::thread::sleep(Duration::from_micros(500));
    }
    let killed = child.try_wait().unwrap().is_none();
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    killed
}
