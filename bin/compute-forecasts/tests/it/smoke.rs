//! Smoke tests on all of pysystemtrade's shipped data: the futures_chapter15 rule set and a
//! rob_system-like set of ~40 rules (configs/ of this crate).

use crate::common::{cmd, code, pst_codes, pst_data_dir_with};
use std::path::PathBuf;
use systrade_store::Store;

fn config(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("configs")
        .join(name)
}

#[test]
fn all_pst_instruments_chapter15_and_rob_system_like() {
    let Some(pst) =
        systrade_test::require_pst_data("all_pst_instruments_chapter15_and_rob_system_like")
    else {
        return;
    };
    let codes = pst_codes(&pst);
    let data = pst_data_dir_with(&pst, &codes);
    let with_multiple: Vec<&String> = codes
        .iter()
        .filter(|c| pst.join(format!("multiple_prices_csv/{c}.csv.gz")).exists())
        .collect();
    let store = Store::open(data.path());
    for (file, n_rules) in [("chapter15.yaml", 7), ("rob_system_like.yaml", 43)] {
        let t = std::time::Instant::now();
        let out = cmd(data.path())
            .arg("--config")
            .arg(config(file))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{file}: {stderr}");
        eprintln!(
            "{file}: {} instruments in {:?} (test profile)",
            with_multiple.len(),
            t.elapsed()
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert_eq!(stdout.lines().count(), with_multiple.len(), "{file}");
        for c in &with_multiple {
            let series = store.read_forecasts(&code(c)).unwrap();
            assert_eq!(series.len(), n_rules + 1, "{file} {c}");
            let combined = series.last().unwrap();
            assert_eq!(combined.rule, "combined");
            let valid: Vec<f64> = combined
                .capped
                .iter()
                .copied()
                .filter(|v| !v.is_nan())
                .collect();
            assert!(!valid.is_empty(), "{file} {c}: no combined forecast");
            assert!(valid.iter().all(|v| v.abs() <= 20.0), "{file} {c}");
            assert!(valid.iter().any(|v| *v != 0.0), "{file} {c}: all zero");
        }
    }
}
