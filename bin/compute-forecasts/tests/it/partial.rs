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
        stderr.contains("BBB") && stderr.contains("1 of 3 instruments failed"),
        "{stderr}"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(data.path().join("forecasts/AAA.parquet").exists());
    assert!(data.path().join("forecasts/CCC.parquet").exists());
    assert!(!data.path().join("forecasts/BBB.parquet").exists());
}
