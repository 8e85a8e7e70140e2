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
