//! Estimated forecast scalars pooled across instruments (spec §3.4), checked against a direct
//! re-implementation of the estimate from the raw forecasts in the files: per rule, zeros → NaN,
//! each instrument forward-filled on the union of dates, median of |f| across instruments,
//! expanding mean (min_periods), 10 / mean, back-filled; reindexed (ffill) to each instrument.

use crate::common::{SYNTHETIC, SYNTHETIC_CONFIG, cmd, code, synthetic_data_dir, write_config};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use systrade_store::Store;

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[test]
fn pooled_estimated_scalars() {
    let data = synthetic_data_dir();
    let text = format!(
        "{SYNTHETIC_CONFIG}use_forecast_scale_estimates: true\nforecast_scalar_estimate:\n  pool_instruments: true\n  min_periods: 100\n"
    );
    let config = write_config(data.path(), "system.yaml", &text);
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
    let store = Store::open(data.path());
    let files: Vec<_> = SYNTHETIC
        .iter()
        .map(|(c, _, _)| store.read_forecasts(&code(c)).unwrap())
        .collect();
    for rule in ["carry", "ewmac32", "ewmac8"] {
        let series: Vec<_> = files
            .iter()
            .map(|f| f.iter().find(|s| s.rule == rule).unwrap())
            .collect();
        let mut dates: Vec<NaiveDate> = series
            .iter()
            .flat_map(|s| s.dates.iter().copied())
            .collect();
        dates.sort();
        dates.dedup();
        let filled: Vec<BTreeMap<NaiveDate, f64>> = series
            .iter()
            .map(|s| {
                let own: BTreeMap<NaiveDate, f64> =
                    s.dates.iter().copied().zip(s.raw.iter().copied()).collect();
                let mut last = f64::NAN;
                dates
                    .iter()
                    .map(|d| {
                        if let Some(v) = own.get(d).filter(|v| !v.is_nan() && **v != 0.0) {
                            last = *v;
                        }
                        (*d, last.abs())
                    })
                    .collect()
            })
            .collect();
        let (mut sum, mut n) = (0.0, 0usize);
        let mut scalar: Vec<f64> = dates
            .iter()
            .map(|d| {
                let m = median(
                    filled
                        .iter()
                        .map(|f| f[d])
                        .filter(|v| !v.is_nan())
                        .collect(),
                );
                if !m.is_nan() {
                    sum += m;
                    n += 1;
                }
                if n >= 100 {
                    10.0 / (sum / n as f64)
                } else {
                    f64::NAN
                }
            })
            .collect();
        let first = scalar.iter().copied().find(|v| !v.is_nan()).unwrap();
        for v in scalar.iter_mut().take_while(|v| v.is_nan()) {
            *v = first;
        }
        let want: BTreeMap<NaiveDate, f64> = dates.iter().copied().zip(scalar).collect();
        for s in &series {
            for (d, got) in s.dates.iter().zip(&s.scalar) {
                let w = want[d];
                assert!(
                    (got - w).abs() <= 1e-12 * w.abs(),
                    "{rule} {d}: {got} vs {w}"
                );
            }
            for i in 0..s.raw.len() {
                let scaled = s.raw[i] * s.scalar[i];
                assert!(
                    systrade_test::same_f64(s.capped[i], scaled.clamp(-20.0, 20.0)),
                    "{rule} capped"
                );
            }
        }
        assert!(series[0].scalar[0] != 1.0 && series[0].scalar[0].is_finite());
    }
}
