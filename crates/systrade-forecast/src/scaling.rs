//! Forecast scaling and capping (spec §3.4).

use crate::rawdata::median;
use systrade_series::align::{align_union, reindex_ffill_to};
use systrade_series::{DailySeries, bfill, ffill, rolling_mean};

/// pysystemtrade's forecast cap (`forecast_cap`).
pub const DEFAULT_FORECAST_CAP: f64 = 20.0;
/// Target average absolute forecast (`average_absolute_forecast`).
pub const AVERAGE_ABSOLUTE_FORECAST: f64 = 10.0;

/// `scaled = raw × scalar`, elementwise; the scalar series must share the forecast's index.
pub fn scale(raw: &[f64], scalar: &[f64]) -> Vec<f64> {
    assert_eq!(raw.len(), scalar.len());
    raw.iter().zip(scalar).map(|(f, s)| f * s).collect()
}

/// `capped = clip(scaled, floor, cap)` with `floor = forecast_floor` if configured else `−cap`;
/// NaN stays NaN.
pub fn cap_forecast(scaled: &[f64], cap: f64, floor: Option<f64>) -> Vec<f64> {
    systrade_series::clip(scaled, floor.unwrap_or(-cap), cap)
}

/// Parameters of `forecast_scalar_estimate`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScalarEstimate {
    /// `window` (250000): rolling window length in observations.
    pub window: usize,
    /// `min_periods` (500).
    pub min_periods: usize,
    /// `backfill` (true): back-fill the first estimate.
    pub backfill: bool,
    /// `average_absolute_forecast` (10).
    pub target_abs_forecast: f64,
}

impl Default for ScalarEstimate {
    fn default() -> Self {
        Self {
            window: 250_000,
            min_periods: 500,
            backfill: true,
            target_abs_forecast: 10.0,
        }
    }
}

/// `forecast_scalar` estimate from the raw forecasts of the instruments in the cross-section (one
/// instrument, or all that use the rule when pooling): zeros → NaN; with one instrument
/// `x_t = |f_t|`, otherwise `x_t = median over instruments of |f_i.ffill()|` on the union of dates
/// (cross-section first); `scalar_t = target / x.rolling(window, min_periods).mean()`, then
/// back-filled if `backfill`.
pub fn estimated_forecast_scalar(
    raw_forecasts: &[&DailySeries],
    p: &ScalarEstimate,
) -> DailySeries {
    let zero_to_nan = |v: &[f64]| -> Vec<f64> {
        v.iter()
            .map(|&x| if x == 0.0 { f64::NAN } else { x })
            .collect()
    };
    let (dates, x) = if raw_forecasts.len() == 1 {
        let f = raw_forecasts[0];
        (
            f.dates.clone(),
            zero_to_nan(&f.values)
                .into_iter()
                .map(f64::abs)
                .collect::<Vec<_>>(),
        )
    } else {
        let (dates, cols) = align_union(raw_forecasts);
        let cols: Vec<Vec<f64>> = cols
            .iter()
            .map(|c| ffill(&zero_to_nan(c)).into_iter().map(f64::abs).collect())
            .collect();
        let mut row = Vec::with_capacity(cols.len());
        let x = (0..dates.len())
            .map(|t| {
                row.clear();
                row.extend(cols.iter().map(|c| c[t]).filter(|v| !v.is_nan()));
                median(&mut row)
            })
            .collect();
        (dates, x)
    };
    let avg = rolling_mean(&x, p.window, p.min_periods);
    let scalar: Vec<f64> = avg.iter().map(|a| p.target_abs_forecast / a).collect();
    let scalar = if p.backfill { bfill(&scalar) } else { scalar };
    DailySeries::new(dates, scalar)
}

/// An estimated scalar series aligned to one instrument's forecast (reindexed with forward fill).
pub fn scalar_for_forecast(scalar: &DailySeries, forecast: &DailySeries) -> Vec<f64> {
    reindex_ffill_to(scalar, forecast)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    const NAN: f64 = f64::NAN;

    #[test]
    fn cap_and_floor() {
        let x = [-30.0, -5.0, NAN, 25.0];
        let c = cap_forecast(&x, 20.0, None);
        assert_eq!(c[0], -20.0);
        assert!(c[2].is_nan());
        assert_eq!(c[3], 20.0);
        assert_eq!(cap_forecast(&x, 20.0, Some(0.0))[1], 0.0);
        assert_eq!(scale(&[2.0, NAN], &[5.3, 5.3])[0], 10.6);
    }

    #[test]
    fn pooled_scalar_by_hand() {
        let d: Vec<NaiveDate> = (1..=4)
            .map(|i| NaiveDate::from_ymd_opt(2024, 1, i + 1).unwrap())
            .collect();
        let a = DailySeries::new(d.clone(), vec![2.0, -4.0, 0.0, 6.0]);
        let b = DailySeries::new(d[1..].to_vec(), vec![1.0, NAN, -3.0]);
        let p = ScalarEstimate {
            window: 250_000,
            min_periods: 2,
            backfill: true,
            target_abs_forecast: 10.0,
        };
        // |ffilled|, zeros → NaN first: a = 2, 4, 4, 6; b = NaN, 1, 1, 3
        // median per row: 2, 2.5, 2.5, 4.5; expanding mean (min 2): NaN, 2.25, 7/3, 2.875
        let s = estimated_forecast_scalar(&[&a, &b], &p);
        let want = [10.0 / 2.25, 10.0 / 2.25, 10.0 / (7.0 / 3.0), 10.0 / 2.875];
        for (g, w) in s.values.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "{:?}", s.values);
        }
        // Single instrument: no ffill, |f| with zeros dropped: 2, 4, NaN, 6 → NaN, 3, 3, 4
        let s = estimated_forecast_scalar(
            &[&a],
            &ScalarEstimate {
                backfill: false,
                ..p
            },
        );
        assert!(s.values[0].is_nan());
        assert_eq!(&s.values[1..], &[10.0 / 3.0, 10.0 / 3.0, 2.5]);
    }
}
