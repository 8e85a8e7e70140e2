//! Parity with pysystemtrade's own run of `futuresestimateconfig.yaml` on eight instruments
//! (`../shared/pst-reference/futures_estimated_shared`): fit periods, handcrafted weights per
//! period, weight cleaning, FDM and IDM. Each estimator is fed the inputs the reference records
//! for it (the estimates handed to the optimiser, the correlation matrices and smoothed weights),
//! so that it is tested in isolation. Skipped, with the reason printed, when the reference is
//! absent.

#![allow(clippy::print_stderr)] // parity tests report what they measured

use serde_json::Value;
use std::path::{Path, PathBuf};
use systrade_estimate::diversification::WeightHistory;
use systrade_estimate::handcraft::periods_per_year;
use systrade_estimate::pooling::pooled_weekly;
use systrade_estimate::smoothing::{smoothed_weights, unsmoothed_weights};
use systrade_estimate::{
    Correlation, CorrelationEstimator, DataFrame, DateMethod, Estimates, FitPeriod, Interval,
    Weights, clean_weights, dm_over_time, fit_periods, handcraft,
};
use systrade_model::Timestamp;
use systrade_test::read_csv;

const WEIGHT_TOL: f64 = 1e-6;
const DM_REL_TOL: f64 = 1e-6;
const INSTRUMENTS: [&str; 8] = [
    "AUD", "COPPER", "GBP", "HEATOIL", "NASDAQ", "PLAT", "US5", "WHEAT",
];

fn reference_dir(test: &str) -> Option<PathBuf> {
    let root = systrade_test::require_pst_reference(test)?;
    let dir = root.join("futures_estimated_shared");
    if !dir.is_dir() {
        eprintln!("SKIPPED {test}: {} not found", dir.display());
        return None;
    }
    Some(dir)
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn ts(v: &Value) -> Timestamp {
    Timestamp::parse(v.as_str().expect("timestamp string")).expect("timestamp")
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn period(v: &Value) -> FitPeriod {
    FitPeriod {
        fit_start: ts(&v["fit_start"]),
        fit_end: ts(&v["fit_end"]),
        period_start: ts(&v["period_start"]),
        period_end: ts(&v["period_end"]),
        no_data: v["no_data"].as_bool().expect("no_data"),
    }
}

/// Every list of fit periods in the reference: (what, periods).
fn all_period_lists(dir: &Path) -> Vec<(String, Vec<Value>)> {
    let mut out = Vec::new();
    let fw = json(&dir.join("estimation/forecast_weights_periods.json"));
    let fc = json(&dir.join("estimation/forecast_correlations_for_fdm.json"));
    for code in INSTRUMENTS {
        out.push((
            format!("forecast weights {code}"),
            fw[code].as_array().unwrap().clone(),
        ));
        out.push((
            format!("forecast correlations {code}"),
            fc[code]["periods"].as_array().unwrap().clone(),
        ));
    }
    let iw = json(&dir.join("estimation/instrument_weights_periods.json"));
    out.push(("instrument weights".into(), iw.as_array().unwrap().clone()));
    let ic = json(&dir.join("estimation/instrument_correlations_for_idm.json"));
    out.push((
        "instrument correlations".into(),
        ic["periods"].as_array().unwrap().clone(),
    ));
    out
}

/// `generate_fitting_dates(expanding, rollyears 20, 12M)` from the data's first and last
/// timestamps (the first period's `fit_start`, the last one's `period_end`) gives every period
/// exactly, microsecond offsets of the pooled data included.
#[test]
fn fit_periods_match_the_reference() {
    let Some(dir) = reference_dir("fit_periods_match_the_reference") else {
        return;
    };
    let mut checked = 0;
    for (what, list) in all_period_lists(&dir) {
        let expected: Vec<FitPeriod> = list.iter().map(period).collect();
        let start = expected[0].fit_start;
        let end = expected.last().unwrap().period_end;
        let got = fit_periods(start, end, DateMethod::Expanding, 20, Interval::YEARLY).unwrap();
        assert_eq!(got.periods(), expected.as_slice(), "{what}");
        checked += expected.len();
    }
    eprintln!("fit periods: {checked} periods in 18 lists, all equal");
    assert!(checked > 900);
}

fn estimates(v: &Value) -> Estimates {
    let names: Vec<String> = v["asset_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect();
    let values: Vec<f64> = v["correlation"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row.as_array().unwrap().iter().map(num))
        .collect();
    let mean = names.iter().map(|n| num(&v["mean"][n])).collect();
    let stdev = names.iter().map(|n| num(&v["stdev"][n])).collect();
    assert_eq!(v["frequency"], "W");
    Estimates {
        correlation: Correlation::new(names, values).unwrap(),
        mean,
        stdev,
        data_length: v["data_length"].as_u64().unwrap() as usize,
        periods_per_year: periods_per_year("W").unwrap(),
    }
}

/// Compares weights with a reference `{name: weight}` object: same names, values within
/// `tol` (NaN with NaN). Returns the largest difference.
fn compare(got: &Weights, expected: &Value, what: &str, tol: f64) -> f64 {
    let obj = expected.as_object().unwrap();
    assert_eq!(got.len(), obj.len(), "{what}: names {got:?} vs {expected}");
    let mut worst: f64 = 0.0;
    for (name, w) in obj {
        let e = num(w);
        let g = got
            .get(name)
            .unwrap_or_else(|| panic!("{what}: no weight for {name}"));
        if e.is_nan() || g.is_nan() {
            assert!(e.is_nan() && g.is_nan(), "{what} {name}: {g} vs {e}");
            continue;
        }
        worst = worst.max((g - e).abs());
        assert!(
            (g - e).abs() <= tol,
            "{what} {name}: got {g}, reference {e}"
        );
    }
    worst
}

struct Tally {
    periods: usize,
    values: usize,
    worst: f64,
}

/// One optimiser's periods: 1/N without data, else handcraft on the recorded estimates
/// (`weights_before_cleaning`), then cleaning with every asset a must-have (`weights`).
///
/// Forecast weights go through the Sharpe-ratio adjustment, whose two-asset optimisations are
/// scipy's SLSQP replayed step for step; they agree to ~3e-8 (the optimiser's early stop
/// magnifies last-bit differences in its inputs, e.g. numpy's summation order).
///
/// Every asset counts as having data in every fit window: the reference's returns are 0.0, not
/// NaN, before an instrument starts (its stdev is recorded as 0.0), so `must_have_item` is true
/// for all; the 1974-09 instrument period shows it (the six instruments without data get 0.0625).
fn check_periods(list: &[Value], equalise_sr: bool, what: &str, tol: f64) -> Tally {
    let mut t = Tally {
        periods: 0,
        values: 0,
        worst: 0.0,
    };
    for (k, p) in list.iter().enumerate() {
        let label = format!("{what} period {k} ({})", p["period_start"]);
        if p["no_data"].as_bool().unwrap() {
            let names: Vec<String> = p["weights"].as_object().unwrap().keys().cloned().collect();
            t.worst = t
                .worst
                .max(compare(&Weights::equal(&names), &p["weights"], &label, tol));
        } else {
            let raw = handcraft(&estimates(p), equalise_sr).unwrap();
            t.worst = t
                .worst
                .max(compare(&raw, &p["weights_before_cleaning"], &label, tol));
            let cleaned = clean_weights(&raw, |_| Some(true), 0.5).unwrap();
            t.worst = t.worst.max(compare(&cleaned, &p["weights"], &label, tol));
            t.values += raw.len();
        }
        t.values += p["weights"].as_object().unwrap().len();
        t.periods += 1;
    }
    t
}

#[test]
fn handcrafted_forecast_weights_match_the_reference() {
    let Some(dir) = reference_dir("handcrafted_forecast_weights_match_the_reference") else {
        return;
    };
    let fw = json(&dir.join("estimation/forecast_weights_periods.json"));
    let (mut periods, mut values, mut worst) = (0, 0, 0.0f64);
    for code in INSTRUMENTS {
        // forecast_weight_estimate: equalise_SR false → the SR adjustment applies
        let t = check_periods(fw[code].as_array().unwrap(), false, code, WEIGHT_TOL);
        periods += t.periods;
        values += t.values;
        worst = worst.max(t.worst);
    }
    eprintln!(
        "forecast weights: {periods} periods, {values} weights, max abs difference {worst:e}"
    );
}

#[test]
fn handcrafted_instrument_weights_match_the_reference() {
    let Some(dir) = reference_dir("handcrafted_instrument_weights_match_the_reference") else {
        return;
    };
    let iw = json(&dir.join("estimation/instrument_weights_periods.json"));
    // instrument_weight_estimate: equalise_SR true → no SR adjustment, weights need not sum to 1
    let t = check_periods(iw.as_array().unwrap(), true, "instruments", WEIGHT_TOL);
    eprintln!(
        "instrument weights: {} periods, {} weights, max abs difference {:e}",
        t.periods, t.values, t.worst
    );
}

fn correlations(v: &Value) -> (Vec<FitPeriod>, Vec<Correlation>) {
    let mut periods = Vec::new();
    let mut corr = Vec::new();
    for p in v["periods"].as_array().unwrap() {
        periods.push(period(p));
        let names: Vec<String> = p["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_string())
            .collect();
        let values = p["correlation"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|row| row.as_array().unwrap().iter().map(num))
            .collect();
        corr.push(Correlation::new(names, values).unwrap());
    }
    (periods, corr)
}

/// Weight rows from a CSV: `index` plus one column per name (`prefix` + name).
fn weight_history(path: &Path, names: &[String], prefix: &str) -> (WeightHistory, Vec<Timestamp>) {
    let t = read_csv(path);
    let index: Vec<Timestamp> = t
        .str_column("index")
        .iter()
        .map(|s| Timestamp::parse(s).unwrap())
        .collect();
    let cols: Vec<Vec<f64>> = names
        .iter()
        .map(|n| t.f64_column(&format!("{prefix}{n}")))
        .collect();
    let rows = (0..index.len())
        .map(|r| cols.iter().map(|c| c[r]).collect())
        .collect();
    (
        WeightHistory {
            index: index.clone(),
            names: names.to_vec(),
            rows,
        },
        index,
    )
}

/// Our DM series (on the weights' index) compared with the reference's on its index, where
/// the reference has a value; the reference's series is ours `reindex(index).ffill()`
/// (`get_raw_combined_forecast_before_mapping`).
fn compare_dm(
    dm: &systrade_estimate::DiversificationMultiplier,
    index: &[Timestamp],
    expected: &[f64],
    what: &str,
) -> (usize, f64) {
    let (mut n, mut worst) = (0usize, 0.0f64);
    let mut mismatches = Vec::new();
    for (t, &e) in index.iter().zip(expected) {
        if e.is_nan() {
            continue;
        }
        let k = dm.index.partition_point(|x| x <= t);
        let got = if k == 0 { f64::NAN } else { dm.values[k - 1] };
        let rel = ((got - e) / e).abs();
        if rel.is_nan() || rel > DM_REL_TOL {
            mismatches.push(format!("{t}: got {got}, reference {e}"));
        } else {
            worst = worst.max(rel);
        }
        n += 1;
    }
    assert!(
        mismatches.is_empty(),
        "{what}: {} of {n} values differ, first: {:?}",
        mismatches.len(),
        &mismatches[..mismatches.len().min(5)]
    );
    (n, worst)
}

#[test]
fn fdm_matches_the_reference() {
    let Some(dir) = reference_dir("fdm_matches_the_reference") else {
        return;
    };
    let fc = json(&dir.join("estimation/forecast_correlations_for_fdm.json"));
    let (mut n, mut worst) = (0, 0.0f64);
    for code in INSTRUMENTS {
        let (periods, corr) = correlations(&fc[code]);
        let names = corr[0].names().to_vec();
        let path = dir.join(format!("instruments/{code}/daily_price.csv.gz"));
        let (weights, index) = weight_history(&path, &names, "forecast_weights__");
        let dm = dm_over_time(&periods, &corr, &weights, 125.0, 2.5).unwrap();
        let expected = read_csv(&path).f64_column("fdm");
        let (k, w) = compare_dm(&dm, &index, &expected, &format!("FDM {code}"));
        n += k;
        worst = worst.max(w);
    }
    eprintln!("FDM: {n} daily values over 8 instruments, max relative difference {worst:e}");
}

#[test]
fn idm_matches_the_reference() {
    let Some(dir) = reference_dir("idm_matches_the_reference") else {
        return;
    };
    let ic = json(&dir.join("estimation/instrument_correlations_for_idm.json"));
    let (periods, corr) = correlations(&ic);
    let names = corr[0].names().to_vec();
    let (weights, _) = weight_history(&dir.join("portfolio/instrument_weights.csv.gz"), &names, "");
    let dm = dm_over_time(&periods, &corr, &weights, 125.0, 2.5).unwrap();
    let t = read_csv(&dir.join("portfolio/idm.csv.gz"));
    let index: Vec<Timestamp> = t
        .str_column("index")
        .iter()
        .map(|s| Timestamp::parse(s).unwrap())
        .collect();
    let (n, worst) = compare_dm(&dm, &index, &t.f64_column("idm"), "IDM");
    eprintln!("IDM: {n} daily values, max relative difference {worst:e}");
}

const CORR_TOL: f64 = 1e-12;
const RULES: [&str; 4] = ["carry", "ewmac16_64", "ewmac32_128", "ewmac64_256"];

/// pysystemtrade's pooled forecast correlations for the FDM (`forecast_correlation_estimate`:
/// pooled over the eight instruments, weekly, expanding, ew_lookback 250 and min_periods 20
/// (× 8), cleaning, floor at zero), from the reference's own capped forecasts.
#[test]
fn pooled_forecast_correlations_match_the_reference() {
    let Some(dir) = reference_dir("pooled_forecast_correlations_match_the_reference") else {
        return;
    };
    let mut frames = Vec::new();
    for code in INSTRUMENTS {
        let t = read_csv(&dir.join(format!("instruments/{code}/daily_price.csv.gz")));
        let index = t
            .str_column("index")
            .iter()
            .map(|s| Timestamp::parse(s).unwrap())
            .collect();
        let columns = RULES
            .iter()
            .map(|r| t.f64_column(&format!("capped_forecast__{r}")))
            .collect();
        let names = RULES.iter().map(|r| r.to_string()).collect();
        frames.push(DataFrame::new(index, names, columns).unwrap());
    }
    let (pooled, pooled_count) = pooled_weekly(&frames, true).unwrap();
    let periods = fit_periods(
        pooled.index[0],
        *pooled.index.last().unwrap(),
        DateMethod::Expanding,
        20,
        Interval::YEARLY,
    )
    .unwrap();
    let estimator = CorrelationEstimator {
        ew_lookback: 250.0,
        min_periods: 20,
        cleaning: true,
        floor_at_zero: true,
        offdiag: 0.99,
        clip: None,
        length_adjustment: pooled_count,
    };
    let got = estimator.estimate(&pooled, &periods).unwrap();
    let fc = json(&dir.join("estimation/forecast_correlations_for_fdm.json"));
    let (mut n, mut worst) = (0usize, 0.0f64);
    for code in INSTRUMENTS {
        let (ref_periods, ref_corr) = correlations(&fc[code]);
        assert_eq!(
            periods.periods(),
            ref_periods.as_slice(),
            "{code} fit periods"
        );
        for (k, (g, e)) in got.iter().zip(&ref_corr).enumerate() {
            assert_eq!(g.names(), e.names());
            for (a, b) in g.values().iter().zip(e.values()) {
                if a.is_nan() || b.is_nan() {
                    assert!(a.is_nan() && b.is_nan(), "{code} period {k}: {a} vs {b}");
                    continue;
                }
                worst = worst.max((a - b).abs());
                assert!(
                    (a - b).abs() <= CORR_TOL,
                    "{code} period {k} ({}): got {a}, reference {b}",
                    ref_periods[k].period_start
                );
                n += 1;
            }
        }
    }
    eprintln!(
        "pooled forecast correlations: {} periods × 8 instruments, {n} values, max abs difference {worst:e}",
        periods.len()
    );
}

/// The raw per-period forecast weights (`forecast_weights_raw_estimated`) fitted to each
/// instrument's capped forecasts (`forecast_weights_unsmoothed__*`) and smoothed with span 125
/// (`forecast_weights__*`).
#[test]
fn forecast_weight_smoothing_matches_the_reference() {
    let Some(dir) = reference_dir("forecast_weight_smoothing_matches_the_reference") else {
        return;
    };
    let (mut n, mut worst) = (0usize, 0.0f64);
    for code in INSTRUMENTS {
        let raw_t = read_csv(&dir.join(format!(
            "instruments/{code}/forecast_weights_raw_estimated.csv.gz"
        )));
        let raw_cols: Vec<Vec<f64>> = RULES
            .iter()
            .map(|r| raw_t.f64_column(&format!("forecast_weights_raw_estimated__{r}")))
            .collect();
        let raw_index: Vec<Timestamp> = raw_t
            .str_column("index")
            .iter()
            .map(|s| Timestamp::parse(s).unwrap())
            .collect();
        let raw = WeightHistory {
            rows: (0..raw_index.len())
                .map(|i| raw_cols.iter().map(|c| c[i]).collect())
                .collect(),
            index: raw_index,
            names: RULES.iter().map(|r| r.to_string()).collect(),
        };
        let t = read_csv(&dir.join(format!("instruments/{code}/daily_price.csv.gz")));
        let index: Vec<Timestamp> = t
            .str_column("index")
            .iter()
            .map(|s| Timestamp::parse(s).unwrap())
            .collect();
        let forecasts: Vec<Vec<f64>> = RULES
            .iter()
            .map(|r| t.f64_column(&format!("capped_forecast__{r}")))
            .collect();
        let unsmoothed = unsmoothed_weights(&raw, &index, &forecasts).unwrap();
        let smoothed = smoothed_weights(&unsmoothed, 125.0).unwrap();
        for (what, ours, prefix) in [
            ("unsmoothed", &unsmoothed, "forecast_weights_unsmoothed__"),
            ("smoothed", &smoothed, "forecast_weights__"),
        ] {
            for (k, r) in RULES.iter().enumerate() {
                let expected = t.f64_column(&format!("{prefix}{r}"));
                for (i, (when, e)) in index.iter().zip(&expected).enumerate() {
                    let d = when.date();
                    let Ok(p) = ours.dates.binary_search(&d) else {
                        panic!("{code} {what}: no row for {d}");
                    };
                    let g = ours.columns[k][p];
                    if g.is_nan() || e.is_nan() {
                        assert!(
                            g.is_nan() && e.is_nan(),
                            "{code} {what} {r} {d} (row {i}): {g} vs {e}"
                        );
                        continue;
                    }
                    worst = worst.max((g - e).abs());
                    assert!(
                        (g - e).abs() <= WEIGHT_TOL,
                        "{code} {what} {r} {d}: got {g}, reference {e}"
                    );
                    n += 1;
                }
            }
        }
    }
    eprintln!(
        "forecast weight smoothing: {n} daily values (unsmoothed and smoothed, 8 instruments), max abs difference {worst:e}"
    );
}

/// The raw per-period instrument weights (`instrument_weights_raw_estimated`) fitted to the
/// subsystem positions on the union of the instruments' dates
/// (`instrument_weights_unsmoothed_fitted`) and smoothed with span 125 (`instrument_weights`).
#[test]
fn instrument_weight_smoothing_matches_the_reference() {
    let Some(dir) = reference_dir("instrument_weight_smoothing_matches_the_reference") else {
        return;
    };
    let names: Vec<String> = INSTRUMENTS.iter().map(|c| c.to_string()).collect();
    let (raw, _) = weight_history(
        &dir.join("portfolio/instrument_weights_raw_estimated.csv.gz"),
        &names,
        "",
    );
    // subsystem positions on the union of dates
    let mut per: Vec<(Vec<Timestamp>, Vec<f64>)> = Vec::new();
    for code in INSTRUMENTS {
        let t = read_csv(&dir.join(format!("instruments/{code}/daily_price.csv.gz")));
        let index: Vec<Timestamp> = t
            .str_column("index")
            .iter()
            .map(|s| Timestamp::parse(s).unwrap())
            .collect();
        per.push((index, t.f64_column("subsystem_position")));
    }
    let mut union: Vec<Timestamp> = per.iter().flat_map(|(i, _)| i.iter().copied()).collect();
    union.sort();
    union.dedup();
    let positions: Vec<Vec<f64>> = per
        .iter()
        .map(|(index, values)| {
            union
                .iter()
                .map(|t| index.binary_search(t).map_or(f64::NAN, |k| values[k]))
                .collect()
        })
        .collect();
    let unsmoothed = unsmoothed_weights(&raw, &union, &positions).unwrap();
    let smoothed = smoothed_weights(&unsmoothed, 125.0).unwrap();
    let (mut n, mut worst) = (0usize, 0.0f64);
    for (what, ours, file) in [
        (
            "unsmoothed",
            &unsmoothed,
            "instrument_weights_unsmoothed_fitted",
        ),
        ("smoothed", &smoothed, "instrument_weights"),
    ] {
        let t = read_csv(&dir.join(format!("portfolio/{file}.csv.gz")));
        let dates: Vec<_> = t
            .str_column("index")
            .iter()
            .map(|s| Timestamp::parse(s).unwrap().date())
            .collect();
        for (k, code) in INSTRUMENTS.iter().enumerate() {
            let expected = t.f64_column(code);
            for (d, e) in dates.iter().zip(&expected) {
                let Ok(p) = ours.dates.binary_search(d) else {
                    panic!("{what}: no row for {d}");
                };
                let g = ours.columns[k][p];
                if g.is_nan() || e.is_nan() {
                    assert!(g.is_nan() && e.is_nan(), "{what} {code} {d}: {g} vs {e}");
                    continue;
                }
                worst = worst.max((g - e).abs());
                assert!(
                    (g - e).abs() <= WEIGHT_TOL,
                    "{what} {code} {d}: got {g}, reference {e}"
                );
                n += 1;
            }
        }
    }
    eprintln!("instrument weight smoothing: {n} daily values, max abs difference {worst:e}");
}
