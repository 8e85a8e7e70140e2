//! (c) `--output -`: CSV on stdout, `date,instrument,rule,forecast`, one row per business day,
//! instrument and rule (capped forecasts, then `combined`), nothing written to the data directory.

use crate::common::{
    SYNTHETIC, SYNTHETIC_CONFIG, cmd, synthetic_data_dir, synthetic_range, write_config,
};
use chrono::{Datelike, Weekday};
use std::collections::BTreeMap;

#[test]
fn csv_shape() {
    let data = synthetic_data_dir();
    let config = write_config(data.path(), "system.yaml", SYNTHETIC_CONFIG);
    let out = cmd(data.path())
        .arg("--config")
        .arg(&config)
        .args(["--output", "-", "--instruments", "CCC,AAA"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!data.path().join("forecasts").exists());
    let text = String::from_utf8(out.stdout).unwrap();
    let rows = crate::common::parse_csv(&text);
    let (start, end) = synthetic_range();
    let n_days = start
        .iter_days()
        .take_while(|d| *d <= end)
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .count();

    let mut groups: BTreeMap<(String, String), Vec<(chrono::NaiveDate, f64)>> = BTreeMap::new();
    let mut order: Vec<(String, String)> = Vec::new();
    for (d, i, r, v) in &rows {
        assert!(
            !matches!(d.weekday(), Weekday::Sat | Weekday::Sun),
            "{d} is not a business day"
        );
        let key = (i.clone(), r.clone());
        if order.last() != Some(&key) {
            assert!(!order.contains(&key), "{key:?} not contiguous");
            order.push(key.clone());
        }
        groups.entry(key).or_default().push((*d, *v));
    }
    // Instruments in sorted order, rules in forecast_weights order (sorted), combined last.
    let want: Vec<(String, String)> = ["AAA", "CCC"]
        .iter()
        .flat_map(|i| {
            ["carry", "ewmac32", "ewmac8", "combined"].map(|r| (i.to_string(), r.to_string()))
        })
        .collect();
    assert_eq!(order, want);
    assert!(SYNTHETIC.iter().any(|(c, _, _)| *c == "BBB"));
    for (key, series) in &groups {
        assert_eq!(series.len(), n_days, "{key:?}: one row per business day");
        assert!(
            series.windows(2).all(|w| w[0].0 < w[1].0),
            "{key:?}: dates increasing"
        );
        assert_eq!(series[0].0, start);
        assert_eq!(series.last().unwrap().0, end);
        let last = series.last().unwrap().1;
        assert!(
            last.is_finite() && last.abs() <= 20.0,
            "{key:?}: last forecast {last}"
        );
        // A few leading NaN (empty) at most for ewmac; then values within the cap.
        let valid = series.iter().filter(|(_, v)| !v.is_nan()).count();
        assert!(valid > n_days - 100, "{key:?}: {valid} values");
        assert!(series.iter().all(|(_, v)| v.is_nan() || v.abs() <= 20.0));
    }
    assert_eq!(rows.len(), 8 * n_days);
}

#[test]
fn broken_pipe_is_not_an_error() {
    let data = synthetic_data_dir();
    let config = write_config(data.path(), "system.yaml", SYNTHETIC_CONFIG);
    let bin = assert_cmd::cargo::cargo_bin("compute-forecasts");
    let status = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "'{}' --data-dir '{}' --no-progress --config '{}' --output - | head -n 3 >/dev/null; exit ${{PIPESTATUS[0]}}",
            bin.display(),
            data.path().display(),
            config.display()
        ))
        .output()
        .unwrap();
    assert_eq!(
        status.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert!(!stderr.contains("error"), "{stderr}");
}
