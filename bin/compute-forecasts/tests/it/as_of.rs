//! (d) `--as-of DATE`: inputs truncated at DATE (inclusive); with fixed scalars every forecast is
//! causal, so the truncated run reproduces the full run's history exactly up to DATE.

use crate::common::{SYNTHETIC_CONFIG, cmd, code, synthetic_data_dir, write_config};
use chrono::NaiveDate;
use systrade_store::Store;

#[test]
fn as_of_truncates_inputs_and_keeps_history() {
    let data = synthetic_data_dir();
    let config = write_config(data.path(), "system.yaml", SYNTHETIC_CONFIG);
    let store = Store::open(data.path());
    let full_out = cmd(data.path())
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        full_out.status.success(),
        "{}",
        String::from_utf8_lossy(&full_out.stderr)
    );
    let full = store.read_forecasts(&code("BBB")).unwrap();

    // 2021-07-04 is a Sunday: the last business day on or before it is Friday 2021-07-02.
    let out = cmd(data.path())
        .arg("--config")
        .arg(&config)
        .args(["--as-of", "2021-07-04"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("BBB") && l.contains("last 2021-07-02")),
        "{stdout}"
    );
    let cut = store.read_forecasts(&code("BBB")).unwrap();
    let last = NaiveDate::from_ymd_opt(2021, 7, 2).unwrap();
    assert_eq!(full.len(), cut.len());
    for (f, c) in full.iter().zip(&cut) {
        assert_eq!(f.rule, c.rule);
        assert_eq!(c.dates.last(), Some(&last), "{}", c.rule);
        let n = c.dates.len();
        assert_eq!(&f.dates[..n], &c.dates[..]);
        for (name, a, b) in [
            ("raw", &f.raw, &c.raw),
            ("scalar", &f.scalar, &c.scalar),
            ("capped", &f.capped, &c.capped),
        ] {
            for i in 0..n {
                assert!(
                    systrade_test::same_f64(a[i], b[i]),
                    "{} {name} {}: {} vs {}",
                    c.rule,
                    c.dates[i],
                    a[i],
                    b[i]
                );
            }
        }
    }

    // CSV: no date after --as-of.
    let csv = cmd(data.path())
        .arg("--config")
        .arg(&config)
        .args(["--as-of", "2021-07-04", "--output", "-"])
        .output()
        .unwrap();
    let rows = crate::common::parse_csv(&String::from_utf8(csv.stdout).unwrap());
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|(d, ..)| *d <= last));
    assert_eq!(rows.iter().map(|(d, ..)| *d).max(), Some(last));
}

#[test]
fn as_of_before_all_data_fails_every_instrument() {
    let data = synthetic_data_dir();
    let config = write_config(data.path(), "system.yaml", SYNTHETIC_CONFIG);
    let out = cmd(data.path())
        .arg("--config")
        .arg(&config)
        .args(["--as-of", "2019-01-01"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no adjusted prices"), "{stderr}");
    assert!(!data.path().join("forecasts").exists());
}
