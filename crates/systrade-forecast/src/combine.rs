//! Forecast combination with fixed weights (spec §3.5).

use chrono::NaiveDate;
use systrade_series::align::align_union;
use systrade_series::{DailySeries, business_days, ewma_span, ffill, reindex, reindex_ffill};

/// `forecast_weight_ewma_span` default.
pub const DEFAULT_WEIGHT_EWMA_SPAN: f64 = 125.0;

/// Forecasts of several rules on one common (union) index, forward-filled.
#[derive(Debug, Clone, PartialEq)]
pub struct AlignedForecasts {
    pub dates: Vec<NaiveDate>,
    /// One column per rule, forward-filled.
    pub columns: Vec<Vec<f64>>,
}

impl AlignedForecasts {
    /// Aligns on the union of dates and forward-fills each column (pandas
    /// `pd.concat(forecasts, axis=1).ffill()`).
    pub fn new(forecasts: &[&DailySeries]) -> Self {
        let (dates, cols) = align_union(forecasts);
        Self {
            dates,
            columns: cols.iter().map(|c| ffill(c)).collect(),
        }
    }
}

/// Step (1)–(2) of the weight pipeline (`fix_weights_vs_position_or_forecast`): constant config
/// weights on the forecast index, set to 0 where that rule's (forward-filled) forecast is NaN —
/// except on the leading rows where every forecast is NaN, which keep the config weights. Not yet
/// normalised.
pub fn weights_fitted_to_forecasts(weights: &[f64], forecasts: &AlignedForecasts) -> Vec<Vec<f64>> {
    assert_eq!(
        weights.len(),
        forecasts.columns.len(),
        "one weight per rule"
    );
    let n = forecasts.dates.len();
    let first_any = (0..n)
        .find(|&t| forecasts.columns.iter().any(|c| !c[t].is_nan()))
        .unwrap_or(n);
    weights
        .iter()
        .zip(&forecasts.columns)
        .map(|(&w, col)| {
            (0..n)
                .map(|t| {
                    if t >= first_any && col[t].is_nan() {
                        0.0
                    } else {
                        w
                    }
                })
                .collect()
        })
        .collect()
}

/// Steps (3)–(5): `resample("1B").mean()` onto the complete business-day range of `dates`, then
/// `ewm(span).mean()` per rule, then each row divided by its sum (NaN entries kept, rows summing
/// to 0 left as they are). Returns the business-day dates and one column per rule.
pub fn smooth_and_normalise_weights(
    dates: &[NaiveDate],
    fitted: &[Vec<f64>],
    ewma_span_days: f64,
) -> (Vec<NaiveDate>, Vec<Vec<f64>>) {
    let (Some(&first), Some(&last)) = (dates.first(), dates.last()) else {
        return (Vec::new(), fitted.iter().map(|_| Vec::new()).collect());
    };
    let bdays = business_days(first, last);
    let on_bdays = bdays.as_slice() == dates;
    // Rules with the same weight and the same days without a forecast have the same fitted
    // column, so the same smoothed one: each distinct column is smoothed once.
    let key = |c: &[f64]| {
        let zeros = c.iter().filter(|&&w| w == 0.0).count();
        (
            c.first().map(|w| w.to_bits()),
            zeros,
            c.iter().position(|&w| w == 0.0),
        )
    };
    let keys: Vec<_> = fitted.iter().map(|c| key(c)).collect();
    let mut cols: Vec<Vec<f64>> = Vec::with_capacity(fitted.len());
    for (r, c) in fitted.iter().enumerate() {
        let same = (0..r).find(|&p| keys[p] == keys[r] && same_bits(&fitted[p], c));
        if let Some(p) = same {
            let smoothed = cols[p].clone();
            cols.push(smoothed);
            continue;
        }
        // The input dates are business days, so each bin holds at most one value and the
        // mean is that value.
        let smoothed = if on_bdays {
            ewma_span(c, ewma_span_days, 1)
        } else {
            ewma_span(&reindex(dates, c, &bdays), ewma_span_days, 1)
        };
        cols.push(smoothed);
    }
    // Each row's sum of its non-NaN weights, from +0 in rule order, accumulated column by column
    // (the same additions as row by row, in cache order).
    let mut sums = vec![0.0; bdays.len()];
    for c in &cols {
        for (sum, &w) in sums.iter_mut().zip(c) {
            if !w.is_nan() {
                *sum += w;
            }
        }
    }
    for c in cols.iter_mut() {
        for (w, &sum) in c.iter_mut().zip(&sums) {
            if sum != 0.0 {
                *w /= sum;
            }
        }
    }
    (bdays, cols)
}

/// Whether two columns hold the same values bit for bit.
fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// `combined_raw_t = Σ_rule w_rule,t × capped_rule,t` over the rules, forecasts forward-filled,
/// NaN products skipped (pandas `sum(axis=1)`, so a row with no forecasts gives +0).
pub fn weighted_sum(weights: &[Vec<f64>], forecasts: &AlignedForecasts) -> Vec<f64> {
    // From +0.0 like pandas (`Iterator::sum` for f64 starts at −0.0), rule by rule in order:
    // the same additions per row as summing each row, in cache order.
    let n = forecasts.dates.len();
    let mut sum = vec![0.0; n];
    for (w, f) in weights.iter().zip(&forecasts.columns) {
        for ((acc, &w), &f) in sum.iter_mut().zip(&w[..n]).zip(&f[..n]) {
            let x = w * f;
            if !x.is_nan() {
                *acc += x;
            }
        }
    }
    sum
}

/// Result of combining one instrument's capped forecasts.
#[derive(Debug, Clone, PartialEq)]
pub struct Combination {
    /// `get_unsmoothed_forecast_weights` (fitted, before smoothing), business-day index.
    pub unsmoothed_weights: Vec<DailySeries>,
    /// `get_forecast_weights` (smoothed, renormalised), on the forecast index.
    pub weights: Vec<DailySeries>,
    /// FDM on the forecast index.
    pub fdm: DailySeries,
    /// `get_combined_forecast_without_multiplier`.
    pub combined_without_fdm: DailySeries,
    /// `get_combined_forecast`: `combined_raw × FDM`, capped or mapped ([`CombinedLimit`]).
    pub combined: DailySeries,
}

/// What limits the combined forecast (`ForecastCombine._get_forecast_mapping_function`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CombinedLimit {
    /// `_cap_combined_forecast`: clipped to `[floor, cap]` (`forecast_floor`, `forecast_cap`).
    Cap { floor: f64, cap: f64 },
    /// The instrument's `forecast_mapping` (`map_forecast_value` with `capped_value` the forecast
    /// cap): [`map_forecast`] instead of the cap.
    Mapping {
        threshold: f64,
        a_param: f64,
        b_param: f64,
        cap: f64,
    },
}

impl CombinedLimit {
    /// The limited value of one combined forecast (NaN stays NaN).
    pub fn apply(self, x: f64) -> f64 {
        match self {
            _ if x.is_nan() => x,
            Self::Cap { floor, cap } => x.max(floor).min(cap),
            Self::Mapping {
                threshold,
                a_param,
                b_param,
                cap,
            } => map_forecast(x, threshold, cap, a_param, b_param),
        }
    }
}

/// The whole fixed-weight combination (spec §3.5): weights fitted to the (forward-filled) capped
/// forecasts, smoothed with an EWMA of `ewma_span_days` and renormalised, reindexed (ffill) to the
/// forecast index; `combined = limit(Σ w × f × fdm)` ([`CombinedLimit`]).
pub fn combine_forecasts(
    capped: &[&DailySeries],
    weights: &[f64],
    fdm: f64,
    limit: CombinedLimit,
    ewma_span_days: f64,
) -> Combination {
    let aligned = AlignedForecasts::new(capped);
    let fitted = weights_fitted_to_forecasts(weights, &aligned);
    let (bdays, smoothed) = smooth_and_normalise_weights(&aligned.dates, &fitted, ewma_span_days);
    let on_bdays = bdays == aligned.dates;
    let on_index: Vec<Vec<f64>> = smoothed
        .into_iter()
        .map(|c| {
            if on_bdays {
                c
            } else {
                reindex_ffill(&bdays, &c, &aligned.dates)
            }
        })
        .collect();
    let raw = weighted_sum(&on_index, &aligned);
    let combined = raw.iter().map(|x| limit.apply(x * fdm)).collect();
    // one check of the forecast index; the other series on it share it (`with_values`)
    let combined = DailySeries::new(aligned.dates, combined);
    let series = |v: Vec<f64>| combined.with_values(v);
    // business days, ascending by construction (DailySeries::new's check, once per rule, was
    // 1 % of compute-forecasts)
    debug_assert!(bdays.windows(2).all(|w| w[0] < w[1]));
    let unsmoothed_weights = fitted
        .into_iter()
        .map(|c| {
            let c = if on_bdays {
                c
            } else {
                reindex(&combined.dates, &c, &bdays)
            };
            DailySeries {
                dates: bdays.clone(),
                values: c,
            }
        })
        .collect();
    Combination {
        unsmoothed_weights,
        weights: on_index.into_iter().map(series).collect(),
        fdm: series(vec![fdm; combined.len()]),
        combined_without_fdm: series(raw),
        combined,
    }
}

/// Non-linear forecast mapping (`forecast_mapping[code]`, spec §3.5; pysystemtrade's
/// `systems/forecast_mapping.py::map_forecast_value_scalar`) applied instead of the final cap: `0` where `|x| < threshold`; `b·(x − threshold)` for `threshold <= x <= cap` and
/// `b·(x + threshold)` for `−cap <= x <= −threshold`; `sign(x)·cap·a` where `|x| > cap`; NaN
/// stays NaN.
pub fn map_forecast(x: f64, threshold: f64, cap: f64, a_param: f64, b_param: f64) -> f64 {
    if x.is_nan() {
        x
    } else if x.abs() < threshold {
        0.0
    } else if x.abs() > cap {
        x.signum() * cap * a_param
    } else if x > 0.0 {
        b_param * (x - threshold)
    } else {
        b_param * (x + threshold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAN: f64 = f64::NAN;

    fn dates(n: u32) -> Vec<NaiveDate> {
        // 2024-01-01 is a Monday; 5 business days.
        (0..n)
            .map(|i| NaiveDate::from_ymd_opt(2024, 1, 1 + i).unwrap())
            .collect()
    }

    #[test]
    fn combined_limit_caps_at_floor_and_cap_or_maps() {
        let cap = CombinedLimit::Cap {
            floor: 0.0,
            cap: 20.0,
        };
        assert_eq!(cap.apply(-3.0), 0.0, "forecast_floor, not -cap");
        assert_eq!(cap.apply(25.0), 20.0);
        assert!(cap.apply(NAN).is_nan());
        let map = CombinedLimit::Mapping {
            threshold: 1.5,
            a_param: 1.25,
            b_param: 1.33,
            cap: 20.0,
        };
        assert_eq!(map.apply(1.0), 0.0);
        assert_eq!(map.apply(-30.0), -25.0);
        assert_eq!(map.apply(10.0), 1.33 * 8.5);
        assert!(map.apply(NAN).is_nan());
        // through the combination: one rule, weight 1, FDM 2
        let d = dates(3);
        let f = DailySeries::new(d.clone(), vec![0.5, 5.0, 15.0]);
        let c = combine_forecasts(&[&f], &[1.0], 2.0, map, 3.0);
        assert_eq!(c.combined.values, vec![0.0, 1.33 * 8.5, 25.0]);
    }

    #[test]
    fn forecast_mapping_regions() {
        // threshold 1.5, cap 20, a 1.25, b 1.33
        assert_eq!(map_forecast(1.0, 1.5, 20.0, 1.25, 1.33), 0.0);
        assert_eq!(map_forecast(-1.0, 1.5, 20.0, 1.25, 1.33), 0.0);
        assert!((map_forecast(10.0, 1.5, 20.0, 1.25, 1.33) - 1.33 * 8.5).abs() < 1e-12);
        assert!((map_forecast(-10.0, 1.5, 20.0, 1.25, 1.33) + 1.33 * 8.5).abs() < 1e-12);
        assert_eq!(map_forecast(25.0, 1.5, 20.0, 1.25, 1.33), 25.0);
        assert_eq!(map_forecast(-25.0, 1.5, 20.0, 1.25, 1.33), -25.0);
        assert!(map_forecast(f64::NAN, 1.5, 20.0, 1.25, 1.33).is_nan());
    }

    #[test]
    fn weights_zero_where_missing_except_leading_rows() {
        let a = DailySeries::new(dates(5), vec![NAN, 1.0, 2.0, NAN, 3.0]);
        let b = DailySeries::new(dates(5), vec![NAN, NAN, NAN, 4.0, 5.0]);
        let al = AlignedForecasts::new(&[&a, &b]);
        let w = weights_fitted_to_forecasts(&[0.6, 0.4], &al);
        assert_eq!(w[0], vec![0.6; 5]);
        assert_eq!(w[1], vec![0.4, 0.0, 0.0, 0.4, 0.4]);
    }

    #[test]
    fn identical_fitted_columns_are_smoothed_as_each_alone() {
        // rules 0 and 2 share weight and gaps (smoothed once); rule 1 has the same weight, as
        // many gaps and the same first one, but not the same; rule 3 the gaps of 0, another weight
        let fitted = vec![
            vec![0.3, 0.0, 0.3, 0.0, 0.3],
            vec![0.3, 0.0, 0.3, 0.3, 0.0],
            vec![0.3, 0.0, 0.3, 0.0, 0.3],
            vec![0.1, 0.0, 0.1, 0.0, 0.1],
        ];
        let d = dates(5);
        let (_, got) = smooth_and_normalise_weights(&d, &fitted, 4.0);
        let alone: Vec<Vec<f64>> = fitted.iter().map(|c| ewma_span(c, 4.0, 1)).collect();
        for t in 0..d.len() {
            let sum = alone.iter().fold(0.0, |a, c| a + c[t]);
            for (r, c) in alone.iter().enumerate() {
                assert_eq!(
                    got[r][t].to_bits(),
                    (c[t] / sum).to_bits(),
                    "rule {r}, row {t}"
                );
            }
        }
        assert_eq!(got[0], got[2]);
        assert_ne!(got[0], got[1]);
    }

    #[test]
    fn combination_by_hand() {
        let a = DailySeries::new(dates(5), vec![NAN, 1.0, 2.0, NAN, 30.0]);
        let b = DailySeries::new(dates(5), vec![NAN, NAN, NAN, 4.0, 5.0]);
        let limit = CombinedLimit::Cap {
            floor: -20.0,
            cap: 20.0,
        };
        let c = combine_forecasts(&[&a, &b], &[0.6, 0.4], 1.5, limit, 3.0);
        // span 3 → decay 0.5. fitted b = [0.4, 0, 0, 0.4, 0.4]
        // EWMA b: t0 0.4; t1 (0.5·0.4)/1.5 = 0.1333…; t2 (0.75·0.1333…)/1.75 = 0.0571…
        // t3: W 0.875: (0.875·0.05714 + 0.4)/1.875 = 0.24; a stays 0.6.
        let b_ewma = [0.4, 0.2 / 1.5, 0.1 / 1.75, (0.05 + 0.4) / 1.875];
        for (t, b) in b_ewma.iter().enumerate() {
            let sum = 0.6 + b;
            assert!((c.weights[0].values[t] - 0.6 / sum).abs() < 1e-15);
            assert!((c.weights[1].values[t] - b / sum).abs() < 1e-15);
        }
        // Row 0: no forecasts → 0. Row 1: a = 1 only. Row 3: a ffilled 2, b 4.
        assert_eq!(c.combined_without_fdm.values[0], 0.0);
        let w1 = 0.6 / (0.6 + b_ewma[1]);
        assert!((c.combined_without_fdm.values[1] - w1).abs() < 1e-15);
        let (wa, wb) = (0.6 / (0.6 + b_ewma[3]), b_ewma[3] / (0.6 + b_ewma[3]));
        assert!((c.combined_without_fdm.values[3] - (2.0 * wa + 4.0 * wb)).abs() < 1e-14);
        assert!((c.combined.values[3] - 1.5 * (2.0 * wa + 4.0 * wb)).abs() < 1e-14);
        // Row 4 is capped at 20.
        assert_eq!(c.combined.values[4], 20.0);
        assert_eq!(c.fdm.values, vec![1.5; 5]);
    }
}
