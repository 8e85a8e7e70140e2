//! Import of all of `../shared/pst-data`, checked against an independent read of every CSV file:
//! row counts and every value (nulls included, bit for bit), timestamps exact, contract ids as given.

use crate::common::{import_pst, snapshot, summary};
use rayon::prelude::*;
use std::path::Path;
use systrade_model::InstrumentCode;
use systrade_store::Store;
use systrade_test::{CsvTable, parse_f64_or_nan, read_csv, require_pst_data, same_f64};

fn stem(path: &Path) -> String {
    let name = path.file_name().unwrap().to_str().unwrap();
    name.trim_end_matches(".gz")
        .trim_end_matches(".csv")
        .to_string()
}

fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn check_f64(file: &Path, row: usize, col: &str, expected: &str, got: f64) {
    let e = parse_f64_or_nan(expected);
    assert!(
        same_f64(e, got) && (e.is_nan() || e.to_bits() == got.to_bits()),
        "{}: row {row}, {col}: csv {expected:?}, parquet {got:?}",
        file.display()
    );
}

fn check_series(file: &Path, csv: &CsvTable, value_col: &str, got: &systrade_model::PriceSeries) {
    assert_eq!(csv.rows.len(), got.len(), "{}: row count", file.display());
    let t = csv.column("DATETIME");
    let v = csv.column(value_col);
    for (i, row) in csv.rows.iter().enumerate() {
        assert_eq!(
            row[t],
            got.timestamps[i].to_string(),
            "{}: row {}",
            file.display(),
            i + 1
        );
        check_f64(file, i + 1, value_col, &row[v], got.values[i]);
    }
}

#[test]
fn imports_every_file_of_pst_data_exactly() {
    let Some(src) = require_pst_data("imports_every_file_of_pst_data_exactly") else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let start = std::time::Instant::now();
    let out = import_pst()
        .arg(&src)
        .arg("--data-dir")
        .arg(data.path())
        .args(["-q", "--format", "json"])
        .assert()
        .success();
    eprintln!(
        "import of pst-data took {:.1} s",
        start.elapsed().as_secs_f64()
    );
    let first = summary(&out.get_output().stdout);
    assert_eq!(first["adjusted"]["files"], 238, "{first:?}");
    assert_eq!(first["multiple"]["files"], 226, "{first:?}");
    assert_eq!(first["fx"]["files"], 12, "{first:?}");
    assert_eq!(first["rolls"]["skipped"], 12, "{first:?}");

    let store = Store::open(data.path());

    let adjusted = files(&src.join("adjusted_prices_csv"));
    let multiple = files(&src.join("multiple_prices_csv"));
    let fx = files(&src.join("fx_prices_csv"));
    let rolls = files(&src.join("roll_calendars_csv"));
    assert_eq!(adjusted.len(), 238);
    assert_eq!(multiple.len(), 226);
    assert_eq!(fx.len(), 12);

    let total_rows: usize = adjusted
        .par_iter()
        .map(|f| {
            let csv = read_csv(f);
            let got = store
                .read_adjusted_prices(&InstrumentCode::new(&stem(f)).unwrap())
                .unwrap();
            check_series(f, &csv, "price", &got);
            csv.rows.len()
        })
        .sum();
    assert_eq!(total_rows, 6_455_179);

    multiple.par_iter().for_each(|f| {
        let csv = read_csv(f);
        let got = store
            .read_multiple_prices(&InstrumentCode::new(&stem(f)).unwrap())
            .unwrap();
        assert_eq!(csv.rows.len(), got.len(), "{}: row count", f.display());
        let [t, c, cc, p, pc, fw, fc] = [
            "DATETIME",
            "CARRY",
            "CARRY_CONTRACT",
            "PRICE",
            "PRICE_CONTRACT",
            "FORWARD",
            "FORWARD_CONTRACT",
        ]
        .map(|n| csv.column(n));
        for (i, (row, g)) in csv.rows.iter().zip(&got).enumerate() {
            let r = i + 1;
            assert_eq!(row[t], g.timestamp.to_string(), "{}: row {r}", f.display());
            check_f64(f, r, "CARRY", &row[c], g.carry);
            check_f64(f, r, "PRICE", &row[p], g.price);
            check_f64(f, r, "FORWARD", &row[fw], g.forward);
            assert_eq!(
                row[cc],
                g.carry_contract.id().to_string(),
                "{}: row {r}",
                f.display()
            );
            assert_eq!(
                row[pc],
                g.price_contract.id().to_string(),
                "{}: row {r}",
                f.display()
            );
            assert_eq!(
                row[fc],
                g.forward_contract.id().to_string(),
                "{}: row {r}",
                f.display()
            );
        }
    });

    fx.par_iter().for_each(|f| {
        let csv = read_csv(f);
        let ccy = stem(f).strip_suffix("USD").unwrap().to_string();
        check_series(f, &csv, "PRICE", &store.read_fx_rates(&ccy).unwrap());
    });

    let imported_rolls: Vec<usize> = rolls
        .par_iter()
        .filter(|f| !stem(f).contains('#'))
        .map(|f| {
            let csv = read_csv(f);
            let got = store
                .read_roll_calendar(&InstrumentCode::new(&stem(f)).unwrap())
                .unwrap();
            assert_eq!(csv.rows.len(), got.len(), "{}: row count", f.display());
            let [t, cur, next, carry] = [
                "DATE_TIME",
                "current_contract",
                "next_contract",
                "carry_contract",
            ]
            .map(|n| csv.column(n));
            for (i, (row, g)) in csv.rows.iter().zip(&got).enumerate() {
                let r = i + 1;
                assert_eq!(row[t], g.timestamp.to_string(), "{}: row {r}", f.display());
                assert_eq!(
                    row[cur],
                    g.current_contract.id().to_string(),
                    "{}: row {r}",
                    f.display()
                );
                assert_eq!(
                    row[next],
                    g.next_contract.id().to_string(),
                    "{}: row {r}",
                    f.display()
                );
                assert_eq!(
                    row[carry],
                    g.carry_contract.id().to_string(),
                    "{}: row {r}",
                    f.display()
                );
            }
            csv.rows.len()
        })
        .collect();
    assert_eq!(imported_rolls.len(), 264);
    // Variant calendars are not imported.
    let stored = store.dir().list(systrade_store::SeriesKind::Rolls).unwrap();
    assert_eq!(stored.len(), 264);
    assert!(stored.iter().all(|s| !s.contains('#')));

    // Config: every row, every value.
    let csv = read_csv(&src.join("csvconfig/instrumentconfig.csv"));
    let got = store.read_instruments().unwrap();
    assert_eq!(csv.rows.len(), got.len());
    for (row, g) in csv.rows.iter().zip(&got) {
        assert_eq!(row[csv.column("Instrument")], g.code.as_str());
        assert_eq!(row[csv.column("Description")], g.description);
        assert_eq!(row[csv.column("Currency")], g.currency);
        assert_eq!(row[csv.column("AssetClass")], g.asset_class);
        assert_eq!(row[csv.column("Region")], g.region);
        for (col, v) in [
            ("Pointsize", g.pointsize),
            ("PerBlock", g.per_block),
            ("Percentage", g.percentage),
            ("PerTrade", g.per_trade),
        ] {
            assert_eq!(
                parse_f64_or_nan(&row[csv.column(col)]),
                v,
                "{} {col}",
                g.code
            );
        }
    }
    let csv = read_csv(&src.join("csvconfig/rollconfig.csv"));
    let got = store.read_roll_parameters().unwrap();
    assert_eq!(csv.rows.len(), got.len());
    for (row, g) in csv.rows.iter().zip(&got) {
        assert_eq!(row[0], g.instrument.as_str());
        assert_eq!(row[csv.column("HoldRollCycle")], g.hold_cycle.to_string());
        assert_eq!(
            row[csv.column("PricedRollCycle")],
            g.priced_cycle.to_string()
        );
        assert_eq!(
            row[csv.column("RollOffsetDays")],
            g.roll_offset_days.to_string()
        );
        assert_eq!(
            row[csv.column("CarryOffset")],
            g.carry_offset.as_i64().to_string()
        );
        assert_eq!(row[csv.column("ExpiryOffset")], g.expiry_offset.to_string());
    }
    let csv = read_csv(&src.join("csvconfig/spreadcosts.csv"));
    let got = store.read_spread_costs().unwrap();
    assert_eq!(csv.rows.len(), got.len());
    for (row, g) in csv.rows.iter().zip(&got) {
        assert_eq!(row[0], g.instrument.as_str());
        assert_eq!(parse_f64_or_nan(&row[1]), g.spread_cost);
    }

    // Idempotent: a second run succeeds, rewrites nothing and leaves identical files.
    let before = snapshot(data.path());
    let out = import_pst()
        .arg(&src)
        .arg("--data-dir")
        .arg(data.path())
        .args(["-q", "--format", "json"])
        .assert()
        .success();
    let rerun = summary(&out.get_output().stdout);
    assert_eq!(rerun["adjusted"]["written"], 0, "{rerun:?}");
    assert_eq!(rerun["adjusted"]["unchanged"], 238, "{rerun:?}");
    let after = snapshot(data.path());
    for (path, bytes) in &before {
        if path.starts_with("state.sqlite") {
            continue; // the import run is recorded
        }
        assert!(after.get(path) == Some(bytes), "{path} changed on re-run");
    }
    assert_eq!(
        before
            .keys()
            .filter(|k| !k.starts_with("state.sqlite"))
            .count(),
        after
            .keys()
            .filter(|k| !k.starts_with("state.sqlite"))
            .count()
    );
}
