//! (a) Parity with pysystemtrade 1.80's simple system on its own data: the forecast files and the CSV
//! stream of a real `compute-forecasts` run against `pst-reference/simple_system/instruments/<CODE>/
//! daily.csv.gz`, read independently with `systrade_test::read_csv`.

use crate::common::{cmd, code, parse_csv, pst_data_dir_with};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use systrade_model::ForecastSeries;
use systrade_store::Store;
use systrade_test::{close_f64, read_csv, require_pst_data, require_pst_reference};

const REL_TOL: f64 = 1e-9;
const ABS_TOL: f64 = 1e-12;
const CODES: [&str; 4] = ["CORN", "SOFR", "SP500", "US10"];

/// Compares our (dates, values) with a reference column on the reference dates; values on dates
/// the reference does not have must be NaN. Returns the number of non-NaN values compared.
fn compare(
    what: &str,
    dates: &[NaiveDate],
    values: &[f64],
    ref_dates: &[NaiveDate],
    want: &[f64],
) -> usize {
    let ours: BTreeMap<NaiveDate, f64> =
        dates.iter().copied().zip(values.iter().copied()).collect();
    let mut bad = Vec::new();
    let mut compared = 0;
    for (d, w) in ref_dates.iter().zip(want) {
        let g = ours.get(d).copied().unwrap_or(f64::NAN);
        if !close_f64(g, *w, REL_TOL, ABS_TOL) {
            bad.push(format!("{d}: ours {g:?} want {w:?}"));
        } else if !w.is_nan() {
            compared += 1;
        }
    }
    let refset: std::collections::BTreeSet<&NaiveDate> = ref_dates.iter().collect();
    for (d, v) in &ours {
        if !refset.contains(d) && !v.is_nan() {
            bad.push(format!("{d}: ours {v:?}, date not in the reference"));
        }
    }
    assert!(
        bad.is_empty(),
        "{what}: {} mismatches, first {:?}",
        bad.len(),
        &bad[..bad.len().min(6)]
    );
    assert!(compared > 1000, "{what}: only {compared} values compared");
    compared
}

#[test]
fn simple_system_forecasts_match_pysystemtrade() {
    let Some(pst) = require_pst_data("simple_system_forecasts_match_pysystemtrade") else {
        return;
    };
    let Some(reference) = require_pst_reference("simple_system_forecasts_match_pysystemtrade")
    else {
        return;
    };
    let codes: Vec<String> = CODES.iter().map(|c| c.to_string()).collect();
    let data = pst_data_dir_with(&pst, &codes);
    let config = reference.join("simple_system/config.yaml");

    let out = cmd(data.path())
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = String::from_utf8(out.stdout).unwrap();
    for c in CODES {
        assert!(
            summary
                .lines()
                .any(|l| l.starts_with(c) && l.contains("combined")),
            "{summary}"
        );
    }
    let csv = cmd(data.path())
        .arg("--config")
        .arg(&config)
        .args(["--output", "-"])
        .output()
        .unwrap();
    assert!(
        csv.status.success(),
        "{}",
        String::from_utf8_lossy(&csv.stderr)
    );
    let mut from_csv: BTreeMap<(String, String), (Vec<NaiveDate>, Vec<f64>)> = BTreeMap::new();
    for (d, i, r, v) in parse_csv(&String::from_utf8(csv.stdout).unwrap()) {
        let e = from_csv.entry((i, r)).or_default();
        e.0.push(d);
        e.1.push(v);
    }

    let store = Store::open(data.path());
    let mut total = 0;
    for c in CODES {
        let t = read_csv(&reference.join(format!("simple_system/instruments/{c}/daily.csv.gz")));
        let ref_dates: Vec<NaiveDate> = t
            .str_column("index")
            .iter()
            .map(|s| NaiveDate::parse_from_str(&s[..10], "%Y-%m-%d").unwrap())
            .collect();
        let series: Vec<ForecastSeries> = store.read_forecasts(&code(c)).unwrap();
        let names: Vec<&str> = series.iter().map(|s| s.rule.as_str()).collect();
        assert_eq!(names, ["ewmac32", "ewmac8", "combined"], "{c}");
        for s in &series {
            let scaled = s.scaled();
            let (capped_col, file_cols): (String, Vec<(String, &Vec<f64>)>) =
                if s.rule == "combined" {
                    (
                        "combined_forecast".into(),
                        vec![
                            ("combined_forecast_without_fdm".into(), &s.raw),
                            ("fdm".into(), &s.scalar),
                            ("combined_forecast".into(), &s.capped),
                        ],
                    )
                } else {
                    (
                        format!("capped_forecast__{}", s.rule),
                        vec![
                            (format!("raw_forecast__{}", s.rule), &s.raw),
                            (format!("forecast_scalar__{}", s.rule), &s.scalar),
                            (format!("scaled_forecast__{}", s.rule), &scaled),
                            (format!("capped_forecast__{}", s.rule), &s.capped),
                        ],
                    )
                };
            for (col, values) in file_cols {
                total += compare(
                    &format!("{c} parquet {col}"),
                    &s.dates,
                    values,
                    &ref_dates,
                    &t.f64_column(&col),
                );
            }
            let (d, v) = &from_csv[&(c.to_string(), s.rule.clone())];
            total += compare(
                &format!("{c} csv {capped_col}"),
                d,
                v,
                &ref_dates,
                &t.f64_column(&capped_col),
            );
        }
    }
    eprintln!(
        "simple system parity: {total} values within {REL_TOL:e} relative / {ABS_TOL:e} absolute"
    );
}
