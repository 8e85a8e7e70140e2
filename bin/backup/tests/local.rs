//! `backup` against a local repository, as real processes on real files and a real SQLite.

mod common;

use common::*;
use rusqlite::Connection;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

#[test]
fn restore_equals_source_and_backups_are_incremental() {
    let tmp = tempfile::tempdir().unwrap();
    let data = make_data_dir(tmp.path(), 20, 50_000);
    let repo = tmp.path().join("repo");
    let repo = repo.to_str().unwrap();

    let mut cmd = backup(&data, repo);
    cmd.arg("create");
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("backup "), "{out}");
    let first = list(&data, repo);
    assert_eq!(first.len(), 1);
    // 60 price files + config + state.sqlite; lock and temporary files are skipped.
    assert_eq!(first[0]["files"], 62);
    assert_eq!(first[0]["new_blobs"], 62);

    // Unchanged data: nothing new is stored.
    let mut cmd = backup(&data, repo);
    cmd.arg("create");
    assert_eq!(run(cmd).0, 0);
    // One file rewritten (atomically, as the tools do), one appended to: two new blobs.
    let f = data.join("prices/adjusted/I003.parquet");
    let tmp_file = data.join("prices/adjusted/.I003.parquet.tmp-9-9");
    std::fs::write(&tmp_file, bytes(777, 50_100)).unwrap();
    std::fs::rename(&tmp_file, &f).unwrap();
    std::fs::write(
        data.join("config/instruments.csv"),
        "Instrument,Pointsize\nSP500,50\nUS10,1000\n",
    )
    .unwrap();
    let mut cmd = backup(&data, repo);
    cmd.arg("create");
    assert_eq!(run(cmd).0, 0);
    let all = list(&data, repo);
    assert_eq!(all.len(), 3);
    // The SQLite snapshot may or may not be byte-identical between runs; the files are.
    assert!(all[1]["new_blobs"].as_u64().unwrap() <= 1, "{:?}", all[1]);
    let third = all[2]["new_blobs"].as_u64().unwrap();
    assert!((2..=3).contains(&third), "{:?}", all[2]);
    assert!(all[0]["id"].as_str().unwrap() < all[2]["id"].as_str().unwrap());

    // Table and CSV formats: id first.
    let mut cmd = backup(&data, repo);
    cmd.args(["list", "--format", "csv"]);
    let (_, csv, _) = run(cmd);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(lines[0].starts_with("id,"));
    assert!(lines[3].starts_with(all[2]["id"].as_str().unwrap()));

    let to = tmp.path().join("restored");
    let mut cmd = backup(&data, repo);
    cmd.args(["restore", "latest", "--to"]).arg(&to);
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("62 files"), "{out}");
    assert_restored_equals_source(&data, &to);
    // Modification times come back too.
    let m_src = std::fs::metadata(&f).unwrap().modified().unwrap();
    let m_dst = std::fs::metadata(to.join("prices/adjusted/I003.parquet"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(m_src, m_dst);

    // The first backup is still restorable as it was.
    let first_id = all[0]["id"].as_str().unwrap();
    let to_first = tmp.path().join("restored-first");
    let mut cmd = backup(&data, repo);
    cmd.args(["restore", first_id, "--to"]).arg(&to_first);
    assert_eq!(run(cmd).0, 0);
    assert_eq!(
        std::fs::read(to_first.join("prices/adjusted/I003.parquet")).unwrap(),
        bytes(20_003, 50_003)
    );

    // Never over existing data without --force.
    let mut cmd = backup(&data, repo);
    cmd.args(["restore", first_id, "--to"]).arg(&to);
    let (code, _, err) = run(cmd);
    assert_eq!(code, 1);
    assert!(
        err.contains("is not empty") && err.contains("--force"),
        "{err}"
    );
    assert_restored_equals_source(&data, &to);
    let mut cmd = backup(&data, repo);
    cmd.args(["restore", first_id, "--force", "--to"]).arg(&to);
    assert_eq!(run(cmd).0, 0);
    assert_eq!(
        std::fs::read(to.join("prices/adjusted/I003.parquet")).unwrap(),
        bytes(20_003, 50_003)
    );

    let mut cmd = backup(&data, repo);
    cmd.arg("verify");
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("verify: ok: 3 backups"), "{out}");
}

/// The writer process of `backup_while_other_processes_write_is_consistent`: runs only when
/// started by that test (as a separate process of this test binary).
#[test]
#[ignore = "helper process of backup_while_other_processes_write_is_consistent, started by it"]
fn writer_child() {
    let Ok(dir) = std::env::var("BACKUP_TEST_WRITER_DIR") else {
        return;
    };
    let data = Path::new(&dir);
    let conn = Connection::open(data.join("state.sqlite")).unwrap();
    conn.busy_timeout(Duration::from_secs(30)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut i: u64 = 0;
    while !data.join("../stop").exists() && Instant::now() < deadline {
        i += 1;
        // SQLite: a row and the counter move together in one transaction.
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE;
             INSERT INTO orders(instrument, qty, price) VALUES ('W', {i}, 1.5);
             UPDATE counter SET n = n + 1;
             COMMIT;"
        ))
        .unwrap();
        // A "Parquet" file replaced atomically: content, then the SHA-256 of the content.
        let name = format!("prices/contracts/I{:03}.parquet", i % 10);
        let mut content = bytes(1_000_000 + i, 20_000 + (i as usize % 7) * 5_000);
        let digest = sha256_hex(&content);
        content.extend_from_slice(digest.as_bytes());
        let tmp = data.join(format!(
            "prices/contracts/.I{:03}.parquet.tmp-w-{i}",
            i % 10
        ));
        std::fs::write(&tmp, &content).unwrap();
        std::fs::rename(&tmp, data.join(name)).unwrap();
    }
}

/// Whether a "Parquet" file written by `writer_child` (or by `make_data_dir`) is complete.
fn self_consistent(content: &[u8], original: &[u8]) -> bool {
    if content == original {
        return true;
    }
    if content.len() < 64 {
        return false;
    }
    let (body, digest) = content.split_at(content.len() - 64);
    sha256_hex(body).as_bytes() == digest
}

#[test]
fn backup_while_other_processes_write_is_consistent() {
    let tmp = tempfile::tempdir().unwrap();
    let data = make_data_dir(tmp.path(), 10, 30_000);
    let originals = files(&data);
    let repo = tmp.path().join("repo");
    let repo = repo.to_str().unwrap();

    let mut writer = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "writer_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("BACKUP_TEST_WRITER_DIR", &data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Let the writer get going, then back up repeatedly while it writes.
    let counter = |path: &Path| -> i64 {
        let c = Connection::open(path).unwrap();
        c.busy_timeout(Duration::from_secs(10)).unwrap();
        c.query_row("SELECT n FROM counter", [], |r| r.get(0))
            .unwrap()
    };
    let t0 = Instant::now();
    while counter(&data.join("state.sqlite")) < 250 && t0.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    for _ in 0..5 {
        let mut cmd = backup(&data, repo);
        cmd.arg("create");
        let (code, _, err) = run(cmd);
        assert_eq!(code, 0, "{err}");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::fs::write(tmp.path().join("stop"), b"").unwrap();
    assert!(writer.wait().unwrap().success(), "writer process failed");

    let backups = list(&data, repo);
    assert_eq!(backups.len(), 5);
    let mut counts = Vec::new();
    for b in &backups {
        let id = b["id"].as_str().unwrap();
        let to = tmp.path().join(format!("r-{id}"));
        let mut cmd = backup(&data, repo);
        cmd.args(["restore", id, "--to"]).arg(&to);
        assert_eq!(run(cmd).0, 0);
        // SQLite: intact, and a single transaction-consistent state.
        let conn = Connection::open(to.join("state.sqlite")).unwrap();
        let ok: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
        let (n, rows): (i64, i64) = conn
            .query_row(
                "SELECT (SELECT n FROM counter), (SELECT count(*) FROM orders)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(n, rows, "backup {id}: counter and rows disagree");
        counts.push(n);
        // Files: each one a complete version.
        for (path, content) in files(&to) {
            if path == "state.sqlite" {
                continue;
            }
            let original = originals.get(&path).cloned().unwrap_or_default();
            assert!(
                self_consistent(&content, &original),
                "backup {id}: {path} is torn"
            );
        }
    }
    // The writer really was writing during the backups.
    assert!(counts[0] >= 250, "{counts:?}");
    assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");
    assert!(counts[4] > counts[0], "{counts:?}");

    let mut cmd = backup(&data, repo);
    cmd.arg("verify");
    assert_eq!(run(cmd).0, 0);
}

fn count_files(dir: &Path) -> usize {
    if !dir.exists() {
        return 0;
    }
    files(dir).len()
}

#[test]
fn kill_9_during_backup_leaves_earlier_backups_intact() {
    let tmp = tempfile::tempdir().unwrap();
    let data = make_data_dir(tmp.path(), 5, 10_000);
    let repo_dir = tmp.path().join("repo");
    let repo = repo_dir.to_str().unwrap();
    let mut cmd = backup(&data, repo);
    cmd.arg("create");
    assert_eq!(run(cmd).0, 0);
    let first = list(&data, repo);
    assert_eq!(first.len(), 1);

    // Lots of new data, so the next backup takes a while.
    let bulk = data.join("bulk");
    std::fs::create_dir_all(&bulk).unwrap();
    for i in 0..800u64 {
        std::fs::write(bulk.join(format!("f{i:04}.bin")), bytes(50_000 + i, 64_000)).unwrap();
    }
    let blobs_before = count_files(&repo_dir.join("blobs"));
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("backup"))
        .env("SYSTRADE_DATA", &data)
        .env("SYSTRADE_BACKUP_REPO", repo)
        .args(["--no-progress", "create"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Blobs are written under tmp/ and renamed into blobs/ just before the manifest is committed:
    // kill once the run is well under way.
    let written = || count_files(&repo_dir.join("tmp")) + count_files(&repo_dir.join("blobs"));
    let t0 = Instant::now();
    while written() < blobs_before + 30 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the backup ended before it could be killed"
        );
        assert!(t0.elapsed() < Duration::from_secs(60), "backup stalled");
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the backup ended before it could be killed"
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(count_files(&repo_dir.join("blobs")) < blobs_before + 800);

    // No half backup is listed; the earlier one is intact.
    let after = list(&data, repo);
    assert_eq!(after, first);
    let mut cmd = backup(&data, repo);
    cmd.arg("verify");
    let (code, out, _) = run(cmd);
    assert_eq!(code, 0, "{out}");

    // The next run succeeds (the dead process's lock does not block it) and is complete.
    let mut cmd = backup(&data, repo);
    cmd.arg("create");
    let (code, _, err) = run(cmd);
    assert_eq!(code, 0, "{err}");
    let all = list(&data, repo);
    assert_eq!(all.len(), 2);
    assert_eq!(all[1]["files"], 17 + 800);
    let to = tmp.path().join("restored");
    let mut cmd = backup(&data, repo);
    cmd.args(["restore", "latest", "--to"]).arg(&to);
    assert_eq!(run(cmd).0, 0);
    assert_restored_equals_source(&data, &to);
    // A prune (nothing running now) clears the killed run's leftovers; everything still verifies.
    let mut cmd = backup(&data, repo);
    cmd.args(["prune", "--keep-last", "2"]);
    let (code, _, err) = run(cmd);
    assert_eq!(code, 0, "{err}");
    assert_eq!(count_files(&repo_dir.join("tmp")), 0);
    assert_eq!(count_files(&repo_dir.join("locks")), 0);
    let mut cmd = backup(&data, repo);
    cmd.arg("verify");
    assert_eq!(run(cmd).0, 0);
}

#[test]
fn verify_detects_flipped_byte_missing_blob_and_corrupt_database() {
    let tmp = tempfile::tempdir().unwrap();
    let data = make_data_dir(tmp.path(), 3, 20_000);
    let repo_dir = tmp.path().join("repo");
    let repo = repo_dir.to_str().unwrap();
    let mut cmd = backup(&data, repo);
    cmd.arg("create");
    assert_eq!(run(cmd).0, 0);
    let blob_of = |rel: &str| {
        let sha = sha256_hex(&std::fs::read(data.join(rel)).unwrap());
        repo_dir.join("blobs").join(&sha[..2]).join(sha)
    };

    // A flipped byte.
    let victim = blob_of("prices/multiple/I001.parquet");
    let mut content = std::fs::read(&victim).unwrap();
    content[12_345] ^= 0x01;
    std::fs::write(&victim, content).unwrap();
    let mut cmd = backup(&data, repo);
    cmd.arg("verify");
    let (code, out, err) = run(cmd);
    assert_eq!(code, 4, "{out}");
    // each problem is logged on stderr, the summary is on stdout
    let line = err
        .lines()
        .find(|l| l.contains("prices/multiple/I001.parquet"))
        .unwrap_or_else(|| panic!("no line names the file: {err}"));
    assert!(
        line.contains("ERROR") && line.contains("is corrupt"),
        "{line}"
    );
    assert!(out.contains("verify: 1 problems"), "{out}");
    // Restore refuses the corrupt file rather than writing it.
    let mut cmd = backup(&data, repo);
    cmd.args(["restore", "latest", "--to"])
        .arg(tmp.path().join("r"));
    let (code, _, err) = run(cmd);
    assert_eq!(code, 4, "a damaged blob is a data problem: {err}");
    assert!(err.contains("corrupt"), "{err}");

    // A missing blob.
    std::fs::remove_file(blob_of("config/instruments.csv")).unwrap();
    let mut cmd = backup(&data, repo);
    cmd.arg("verify").arg("latest");
    let (code, _, err) = run(cmd);
    assert_eq!(code, 4);
    assert!(
        err.lines().any(|l| l.contains("config/instruments.csv")
            && l.contains("is missing from the repository")),
        "{err}"
    );

    // A damaged database copy whose blob is intact: caught by integrity_check. Build it by
    // storing a database with a corrupted page under its true hash and pointing the manifest at it.
    let repo_handle = systrade_backup::Repo::open(repo).unwrap();
    let id = repo_handle.resolve_id("latest").unwrap();
    let mut m = repo_handle.load_manifest(&id).unwrap();
    let db = tmp.path().join("broken.sqlite");
    {
        let c = Connection::open(&db).unwrap();
        c.execute_batch(
            "CREATE TABLE t(x TEXT); CREATE INDEX tx ON t(x);
             WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM s WHERE i < 2000)
             INSERT INTO t SELECT printf('row %d', i) FROM s;",
        )
        .unwrap();
    }
    let mut raw = std::fs::read(&db).unwrap();
    let page = 4096;
    for b in &mut raw[3 * page + 100..3 * page + 400] {
        *b = 0xAB;
    }
    std::fs::write(&db, &raw).unwrap();
    let sha = sha256_hex(&raw);
    repo_handle
        .store()
        .put_bytes(&format!("blobs/{}/{sha}", &sha[..2]), &raw)
        .unwrap();
    let entry = m
        .files
        .iter_mut()
        .find(|e| e.path == "state.sqlite")
        .unwrap();
    entry.sha256 = sha;
    entry.size = raw.len() as u64;
    repo_handle
        .store()
        .put_bytes(
            &format!("snapshots/{id}.json"),
            &m.to_stored_bytes().unwrap(),
        )
        .unwrap();
    let mut cmd = backup(&data, repo);
    cmd.arg("verify");
    let (code, _, err) = run(cmd);
    assert_eq!(code, 4);
    assert!(
        err.lines()
            .any(|l| l.contains("state.sqlite") && l.contains("integrity_check")),
        "{err}"
    );

    // A flipped byte in the manifest itself.
    let manifest = repo_dir.join(format!("snapshots/{id}.json"));
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text.replacen("\"size\":", "\"size\":1", 1)).unwrap();
    let mut cmd = backup(&data, repo);
    cmd.arg("verify");
    let (code, _, err) = run(cmd);
    assert_eq!(code, 4);
    assert!(err.contains("checksum mismatch"), "{err}");
}

#[test]
fn prune_applies_the_policy_and_collects_garbage() {
    let tmp = tempfile::tempdir().unwrap();
    let data = make_data_dir(tmp.path(), 3, 10_000);
    let repo_dir = tmp.path().join("repo");
    let repo = repo_dir.to_str().unwrap();
    let victim = data.join("prices/adjusted/I002.parquet");
    for round in 0..3u64 {
        std::fs::write(&victim, bytes(900 + round, 12_000)).unwrap();
        let mut cmd = backup(&data, repo);
        cmd.arg("create");
        assert_eq!(run(cmd).0, 0);
    }
    let before = list(&data, repo);
    assert_eq!(before.len(), 3);
    let old_blob = sha256_hex(&bytes(900, 12_000));
    assert!(
        repo_dir
            .join("blobs")
            .join(&old_blob[..2])
            .join(&old_blob)
            .exists()
    );

    // No policy: usage error. A running create: locked (exit 6), nothing deleted.
    let mut cmd = backup(&data, repo);
    cmd.arg("prune");
    assert_eq!(run(cmd).0, 2);
    let lock = repo_dir.join("locks/create-test.json");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    std::fs::write(
        &lock,
        format!(
            r#"{{"kind":"create","host":"{}","pid":{},"refreshed_unix":{now}}}"#,
            systrade_backup::repo::hostname(),
            std::process::id()
        ),
    )
    .unwrap();
    let mut cmd = backup(&data, repo);
    cmd.args(["prune", "--keep-daily", "1"]);
    let (code, _, err) = run(cmd);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("locked by a running create"), "{err}");
    assert_eq!(list(&data, repo).len(), 3);
    std::fs::remove_file(&lock).unwrap();

    // Dry run deletes nothing.
    let mut cmd = backup(&data, repo);
    cmd.args(["prune", "--keep-daily", "1", "--dry-run"]);
    let (code, out, _) = run(cmd);
    assert_eq!(code, 0);
    assert!(out.contains("would remove 2"), "{out}");
    assert_eq!(list(&data, repo).len(), 3);

    // All three are from today: keep-daily 1 keeps the newest only.
    let mut cmd = backup(&data, repo);
    cmd.args(["prune", "--keep-daily", "1", "--keep-weekly", "1"]);
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("kept 1 backups, removed 2"), "{out}");
    let after = list(&data, repo);
    assert_eq!(after.len(), 1);
    assert_eq!(after[0]["id"], before[2]["id"]);
    assert!(
        !repo_dir
            .join("blobs")
            .join(&old_blob[..2])
            .join(&old_blob)
            .exists()
    );
    let mut cmd = backup(&data, repo);
    cmd.arg("verify");
    assert_eq!(run(cmd).0, 0);
    let to = tmp.path().join("restored");
    let mut cmd = backup(&data, repo);
    cmd.args(["restore", "latest", "--to"]).arg(&to);
    assert_eq!(run(cmd).0, 0);
    assert_restored_equals_source(&data, &to);
}

#[test]
fn usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = assert_cmd::Command::cargo_bin("backup").unwrap();
    cmd.env_remove("SYSTRADE_BACKUP_REPO").arg("list");
    let (code, _, err) = run(cmd);
    assert_eq!(code, 2);
    assert!(err.contains("--repo"), "{err}");
    let mut cmd = backup(tmp.path(), tmp.path().join("none").to_str().unwrap());
    cmd.arg("list");
    let (code, _, err) = run(cmd);
    assert_eq!(code, 1);
    assert!(err.contains("not a backup repository"), "{err}");
}

#[test]
fn hash_cache_skips_unchanged_files_but_sees_every_change() {
    let tmp = tempfile::tempdir().unwrap();
    let data = make_data_dir(tmp.path(), 10, 20_000);
    let repo = tmp.path().join("repo");
    let repo = repo.to_str().unwrap();
    // Files changed less than 2 s before a backup started are never trusted from the cache.
    std::thread::sleep(Duration::from_millis(2_200));
    let create = || {
        let mut cmd = backup(&data, repo);
        cmd.arg("create");
        let (code, out, err) = run(cmd);
        assert_eq!(code, 0, "{err}");
        out
    };
    let first = create();
    assert!(first.contains("read 32 files"), "{first}");
    // Nothing changed: only the SQLite snapshot is read.
    let second = create();
    assert!(second.contains("read 1 files"), "{second}");

    // Same size, same mtime (set back), different content, written in place: ctime still moves.
    let f = data.join("prices/multiple/I005.parquet");
    let mtime = std::fs::metadata(&f).unwrap().modified().unwrap();
    let mut content = std::fs::read(&f).unwrap();
    content[10] ^= 0xFF;
    std::fs::write(&f, &content).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&f)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    assert_eq!(std::fs::metadata(&f).unwrap().modified().unwrap(), mtime);
    let third = create();
    assert!(third.contains("read 2 files"), "{third}");
    let to = tmp.path().join("restored");
    let mut cmd = backup(&data, repo);
    cmd.args(["restore", "latest", "--to"]).arg(&to);
    assert_eq!(run(cmd).0, 0);
    assert_eq!(
        std::fs::read(to.join("prices/multiple/I005.parquet")).unwrap(),
        content
    );
    assert_restored_equals_source(&data, &to);
}
