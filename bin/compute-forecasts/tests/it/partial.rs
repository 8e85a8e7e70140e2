//! Per-instrument failures are isolated: a corrupt price file fails its instrument only (exit 3, a
//! summary naming it); the others are written.

use crate::common::{SYNTHETIC_CONFIG, cmd, synthetic_data_dir, write_config};

#[test]
fn corrupt_instrument_gives_partial_exit() {
    let data = synthetic_data_dir();
    let config = write_config(data.path(), "system.yaml", SYNTHETIC_CONFIG);
    std::fs::write(
        data.path().join("prices/adjusted/BBB.parquet"),
        b"not parquet",
    )
    .unwrap();
    let out = cmd(data.path())
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("BBB: ") && stderr.contains("compute-forecasts: 2 ok, 1 failed (BBB)"),
        "{stderr}"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(data.path().join("forecasts/AAA.parquet").exists());
    assert!(data.path().join("forecasts/CCC.parquet").exists());
    assert!(!data.path().join("forecasts/BBB.parquet").exists());
}

/// Files are staged and replaced together at the end: temporary files of a killed run (hidden
/// `.<name>.tmp-…` names) never count as forecasts and are removed by the next run, which leaves
/// exactly the forecast files.
#[test]
fn temporary_files_of_an_interrupted_run_are_removed() {
    let data = synthetic_data_dir();
    let config = write_config(data.path(), "system.yaml", SYNTHETIC_CONFIG);
    let dir = data.path().join("forecasts");
    std::fs::create_dir_all(&dir).unwrap();
    let stale = dir.join(".AAA.parquet.tmp-999999-0");
    std::fs::write(&stale, b"half a file").unwrap();
    let out = cmd(data.path())
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("removed 1 temporary file"), "{stderr}");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["AAA.parquet", "BBB.parquet", "CCC.parquet"]);
    // a second run finds every file unchanged and stages nothing
    let out = cmd(data.path())
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("0 written, 3 unchanged"), "{stderr}");
}

/// Prices are read under the data directory's write lock (issue 15): while another writer holds
/// the lock and repairs a corrupt price file, compute-forecasts waits and then reads the repaired
/// file (exit 0, every instrument written), instead of having read the corrupt one before waiting
/// (exit 3). A lock never released gives exit 6.
#[test]
fn prices_are_read_under_the_write_lock() {
    let data = synthetic_data_dir();
    let config = write_config(data.path(), "system.yaml", SYNTHETIC_CONFIG);
    let good = std::fs::read(data.path().join("prices/adjusted/BBB.parquet")).unwrap();
    let bbb = data.path().join("prices/adjusted/BBB.parquet");
    std::fs::write(&bbb, b"not parquet").unwrap();

    let store = systrade_store::Store::open(data.path());
    let held = store
        .lock_for_writing(std::time::Duration::from_secs(5))
        .unwrap();
    // A lock that is not released in time: exit 6, nothing written.
    let out = cmd(data.path())
        .arg("--config")
        .arg(&config)
        .args(["--lock-timeout", "0.5"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!data.path().join("forecasts/AAA.parquet").exists());

    // The other writer repairs the file while compute-forecasts waits for the lock.
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("compute-forecasts"))
        .arg("--data-dir")
        .arg(data.path())
        .args(["--no-progress", "-q", "--lock-timeout", "60", "--config"])
        .arg(&config)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    std::fs::write(&bbb, &good).unwrap();
    drop(held);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "read the price file before taking the lock: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for c in ["AAA", "BBB", "CCC"] {
        assert!(data.path().join(format!("forecasts/{c}.parquet")).exists());
    }
}
