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
    let mut cmd = Command::cargo_bin("backup").unwrap();
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
