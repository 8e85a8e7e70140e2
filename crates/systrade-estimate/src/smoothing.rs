//! Estimated weights put on the forecasts' (or positions') index and smoothed (pysystemtrade
//! `fix_weights_vs_position_or_forecast` in `syscore/pandas/strategy_functions.py`,
//! `get_unsmoothed_forecast_weights` / `get_forecast_weights` in `systems/forecast_combine.py`,
//! and the same steps for instrument weights in `systems/portfolio.py`).
//!
//! 1. The per-period weights (one row per fit period start) are reindexed onto the index with
//!    forward fill (a row takes the last period starting at or before it; NaN before the first).
//! 2. A weight becomes 0 where its forward-filled forecast is NaN, except on rows where every
//!    forecast is NaN (those keep their weights).
//! 3. `resample("1B").mean()` (NaN-skipping mean per business day).
//! 4. `ewm(span).mean()` per column, then 5. each row divided by its NaN-skipping sum (a zero sum
//!    divides by 0.0001, so all-zero rows stay zero; `weights_sum_to_one`).

use crate::EstimateError;
use crate::diversification::WeightHistory;
use chrono::NaiveDate;
use systrade_model::Timestamp;
use systrade_series::{Ewm, business_day_floor, business_days, ewm_mean};

/// Weights on business days: one column per name.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyWeights {
    pub dates: Vec<NaiveDate>,
    pub names: Vec<String>,
    pub columns: Vec<Vec<f64>>,
}

/// Steps 1–3: the unsmoothed weights fitted to the forecasts (`forecasts[k]` is the column of
/// `raw.names[k]` on `index`).
pub fn unsmoothed_weights(
    raw: &WeightHistory,
    index: &[Timestamp],
    forecasts: &[Vec<f64>],
) -> Result<DailyWeights, EstimateError> {
    let k = raw.names.len();
    if forecasts.len() != k {
        return Err(EstimateError::LengthMismatch {
            what: "forecast columns",
            expected: k,
            got: forecasts.len(),
        });
    }
    if let Some(c) = forecasts.iter().find(|c| c.len() != index.len()) {
        return Err(EstimateError::LengthMismatch {
            what: "forecast values",
            expected: index.len(),
            got: c.len(),
        });
    }
    if raw.rows.iter().any(|r| r.len() != k) || raw.rows.len() != raw.index.len() {
        return Err(EstimateError::LengthMismatch {
            what: "weight rows",
            expected: raw.index.len(),
            got: raw.rows.len(),
        });
    }
    if let Some(i) = index.windows(2).position(|w| w[1] < w[0]) {
        return Err(EstimateError::UnsortedIndex(i + 1));
    }
    if let Some(i) = raw.index.windows(2).position(|w| w[1] < w[0]) {
        return Err(EstimateError::UnsortedIndex(i + 1));
    }
    // forward-filled forecasts
    let filled: Vec<Vec<f64>> = forecasts
        .iter()
        .map(|c| {
            let mut last = f64::NAN;
            c.iter()
                .map(|&v| {
                    if !v.is_nan() {
                        last = v;
                    }
                    last
                })
                .collect()
        })
        .collect();
    let mut fitted = vec![Vec::with_capacity(index.len()); k];
    let mut p = 0usize;
    for (t, when) in index.iter().enumerate() {
        while p < raw.index.len() && raw.index[p] <= *when {
            p += 1;
        }
        let all_nan = filled.iter().all(|c| c[t].is_nan());
        for (j, col) in fitted.iter_mut().enumerate() {
            let w = if p == 0 { f64::NAN } else { raw.rows[p - 1][j] };
            col.push(if !all_nan && filled[j][t].is_nan() {
                0.0
            } else {
                w
            });
        }
    }
    Ok(resample_business_day_mean(index, &raw.names, fitted))
}

fn resample_business_day_mean(
    index: &[Timestamp],
    names: &[String],
    columns: Vec<Vec<f64>>,
) -> DailyWeights {
    let (Some(first), Some(last)) = (index.first(), index.last()) else {
        return DailyWeights {
            dates: Vec::new(),
            names: names.to_vec(),
            columns: columns.iter().map(|_| Vec::new()).collect(),
        };
    };
    let dates = business_days(
        business_day_floor(first.date()),
        business_day_floor(last.date()),
    );
    let mut bins = Vec::with_capacity(dates.len());
    let mut row = 0usize;
    for d in &dates {
        let start = row;
        while row < index.len() && business_day_floor(index[row].date()) == *d {
            row += 1;
        }
        bins.push((start, row));
    }
    let columns = columns
        .iter()
        .map(|col| {
            bins.iter()
                .map(|&(s, e)| {
                    let (sum, n) = col[s..e]
                        .iter()
                        .filter(|v| !v.is_nan())
                        .fold((0.0, 0usize), |(a, n), v| (a + v, n + 1));
                    if n == 0 { f64::NAN } else { sum / n as f64 }
                })
                .collect()
        })
        .collect();
    DailyWeights {
        dates,
        names: names.to_vec(),
        columns,
    }
}

/// Steps 4–5: `weights_sum_to_one(unsmoothed.ewm(span).mean())`.
pub fn smoothed_weights(
    unsmoothed: &DailyWeights,
    ewma_span: f64,
) -> Result<DailyWeights, EstimateError> {
    if !(ewma_span.is_finite() && ewma_span >= 1.0) {
        return Err(EstimateError::BadParameter {
            what: "ewma_span",
            value: ewma_span,
        });
    }
    let mut columns: Vec<Vec<f64>> = unsmoothed
        .columns
        .iter()
        .map(|c| ewm_mean(c, Ewm::span(ewma_span), 0))
        .collect();
    let n = unsmoothed.dates.len();
    let mut sums = vec![0.0; n];
    for col in &columns {
        for (s, w) in sums.iter_mut().zip(col) {
            if !w.is_nan() {
                *s += w;
            }
        }
    }
    for col in &mut columns {
        for (w, s) in col.iter_mut().zip(&sums) {
            *w *= 1.0 / if *s == 0.0 { 0.0001 } else { *s };
        }
    }
    Ok(DailyWeights {
        dates: unsmoothed.dates.clone(),
        names: unsmoothed.names.clone(),
        columns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitted_zeroed_resampled_and_smoothed_by_hand() {
        let ts = |s: &str| Timestamp::parse(s).unwrap();
        let raw = WeightHistory {
            index: vec![ts("2024-01-02 00:00:00.000001"), ts("2024-01-04")],
            names: vec!["a".into(), "b".into()],
            rows: vec![vec![0.6, 0.4], vec![0.2, 0.8]],
        };
        let index: Vec<Timestamp> = ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]
            .iter()
            .map(|d| ts(d))
            .collect();
        let nan = f64::NAN;
        // a has no forecast on the 3rd (but had one before: filled); b none before the 3rd
        let forecasts = vec![vec![1.0, 2.0, nan, 3.0], vec![nan, nan, 5.0, 6.0]];
        let u = unsmoothed_weights(&raw, &index, &forecasts).unwrap();
        // 01: before any period → NaN (a), b has no forecast → 0; 02: midnight before the
        // period stamp → still NaN / 0; 03: first period; 04: second
        assert!(u.columns[0][0].is_nan() && u.columns[0][1].is_nan());
        assert_eq!(u.columns[1][..2], [0.0, 0.0]);
        assert_eq!((u.columns[0][2], u.columns[1][2]), (0.6, 0.4));
        assert_eq!((u.columns[0][3], u.columns[1][3]), (0.2, 0.8));
        // span 1: no smoothing, rows normalised (a NaN row sums b alone)
        let s = smoothed_weights(&u, 1.0).unwrap();
        assert_eq!(s.columns[1][0], 0.0);
        assert!((s.columns[0][3] - 0.2).abs() < 1e-15);
        // span 3 (α ½): a on the 4th = (½·0.6 + 0.2) / 1.5 before normalising
        let s = smoothed_weights(&u, 3.0).unwrap();
        let a = (0.5 * 0.6 + 0.2) / 1.5;
        let b = (0.125 * 0.0 + 0.25 * 0.0 + 0.5 * 0.4 + 0.8) / 1.875;
        assert!((s.columns[0][3] - a / (a + b)).abs() < 1e-15);
        // every forecast NaN on a row: weights kept
        let all_nan = vec![vec![nan; 4], vec![nan; 4]];
        let u = unsmoothed_weights(&raw, &index, &all_nan).unwrap();
        assert_eq!(u.columns[1][3], 0.8);
        assert!(unsmoothed_weights(&raw, &index, &forecasts[..1]).is_err());
        assert!(smoothed_weights(&u, 0.0).is_err());
    }
}
