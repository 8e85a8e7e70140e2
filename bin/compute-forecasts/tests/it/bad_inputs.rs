//! Issue 15: an empty or rule-less config is an error that leaves the stored forecasts alone, and an
//! out-of-range timestamp in a stored price file is an error naming the file, not a panic.

use crate::common::{SYNTHETIC_CONFIG, cmd, code, synthetic_data_dir, write_config};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;
use systrade_model::Timestamp;
use systrade_store::Store;

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn unusable_configs_exit_4_and_keep_the_forecasts() {
    let data = synthetic_data_dir();
    let good = write_config(data.path(), "good.yaml", SYNTHETIC_CONFIG);
    cmd(data.path())
        .arg("--config")
        .arg(&good)
        .assert()
        .success();
    let forecasts = data.path().join("forecasts");
    let before = files(&forecasts);
    assert!(!before.is_empty());
    let rules_only = SYNTHETIC_CONFIG
        .lines()
        .take_while(|l| !l.starts_with("forecast_weights"))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    for (text, key) in [
        (String::new(), "trading_rules"),
        ("# nothing here\n".to_string(), "trading_rules"),
        ("percentage_vol_target: 20\n".to_string(), "trading_rules"),
        ("trading_rules: {}\n".to_string(), "trading_rules"),
        (format!("{rules_only}instruments: []\n"), "instruments"),
        (
            format!("{rules_only}instrument_weights: {{}}\n"),
            "instrument_weights",
        ),
        (
            format!("{rules_only}forecast_weights: {{ewmac8: 0.0}}\n"),
            "forecast_weights",
        ),
    ] {
        let bad = write_config(data.path(), "system-bad.yaml", &text);
        let out = cmd(data.path()).arg("--config").arg(&bad).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{text:?}: {stderr}");
        assert!(
            stderr.contains("system-bad.yaml") && stderr.contains(key),
            "{text:?}: {stderr}"
        );
        assert!(files(&forecasts) == before, "{text:?}: forecasts changed");
    }
}

#[test]
fn a_stored_timestamp_of_i64_max_is_an_error_naming_the_file() {
    let data = synthetic_data_dir();
    let store = Store::open(data.path());
    let aaa = code("AAA");
    let mut prices = store.read_adjusted_prices(&aaa).unwrap();
    prices.timestamps.push(Timestamp::from_micros(i64::MAX));
    prices.values.push(100.0);
    let writer = store.lock_for_writing(Duration::from_secs(5)).unwrap();
    writer.write_adjusted_prices(&aaa, &prices).unwrap();
    drop(writer);
    let config = write_config(data.path(), "system.yaml", SYNTHETIC_CONFIG);
    let out = cmd(data.path())
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        matches!(out.status.code(), Some(3 | 4)),
        "exit {:?}: {stderr}",
        out.status.code()
    );
    assert!(
        stderr.contains("AAA.parquet") && stderr.contains("outside 1900-01-01..2200-01-01"),
        "{stderr}"
    );
    // The other instruments are computed.
    assert!(data.path().join("forecasts/BBB.parquet").exists());
}
