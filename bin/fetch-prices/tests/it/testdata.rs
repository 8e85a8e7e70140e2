//! The repository's synthetic testdata/ (pysystemtrade layout) fetched through the csv: source, every
//! bar compared with the CSV files read independently.

use crate::common::*;
use std::collections::BTreeMap;
use std::path::Path;
use systrade_test::{read_csv, same_f64};

#[test]
fn testdata_contract_prices_are_fetched_exactly_and_only_once() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    let prices = root.join("contract_prices_csv");
    assert!(
        prices.is_dir(),
        "{} is part of the repository",
        prices.display()
    );
    let env = Env::new(&[]);
    // config/ as import-pst writes it: the same columns as pysystemtrade's csvconfig files.
    std::fs::copy(
        root.join("csvconfig/instrumentconfig.csv"),
        env.data().join("config/instruments.csv"),
    )
    .unwrap();
    std::fs::copy(
        root.join("csvconfig/rollconfig.csv"),
        env.data().join("config/rolls.csv"),
    )
    .unwrap();
    let source = format!("csv:{}", prices.display());
    let out = env
        .cmd(&["--source", &source, "--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));

    // Expected: every row of every file, by instrument, (timestamp, contract) order.
    let mut expected: BTreeMap<String, Vec<(String, i64, f64, f64)>> = BTreeMap::new();
    for entry in std::fs::read_dir(&prices).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        let (instrument, contract) = name.rsplit_once('_').unwrap();
        let t = read_csv(&path);
        let (dt, fin, vol) = (
            t.str_column("DATETIME"),
            t.f64_column("FINAL"),
            t.f64_column("VOLUME"),
        );
        let rows = expected.entry(instrument.to_string()).or_default();
        for i in 0..dt.len() {
            rows.push((dt[i].to_string(), contract.parse().unwrap(), fin[i], vol[i]));
        }
    }
    let stdout = stdout_of(&out);
    for (instrument, mut rows) in expected {
        rows.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        let stored = env.stored(&instrument).unwrap();
        assert_eq!(stored.len(), rows.len(), "{instrument}");
        assert_eq!(csv_line(&stdout, &instrument)[3], rows.len().to_string());
        for (s, e) in stored.iter().zip(&rows) {
            assert_eq!(s.timestamp.to_string(), e.0, "{instrument}");
            assert_eq!(s.contract.id(), e.1, "{instrument}");
            assert!(
                same_f64(s.close, e.2) && same_f64(s.volume, e.3),
                "{instrument} {}",
                e.0
            );
        }
    }
    let again = env
        .cmd(&["--source", &source, "--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0));
    assert!(
        stdout_of(&again)
            .lines()
            .skip(1)
            .all(|l| l.split(',').nth(3) == Some("0")),
        "{}",
        stdout_of(&again)
    );
}
