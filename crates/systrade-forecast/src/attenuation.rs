//! Optional volatility attenuation of raw forecasts (spec §3.3, last paragraph:
//! `systems/provided/attenuate_vol/vol_attenuation_forecast_scale_cap.py`, used for the rules
//! listed in `use_attenuation`).
//!
//! `attenuation = EWMA_span=10(2 − 1.5·q)` where `q` is the expanding quantile of
//! `v = daily % vol / v.rolling(2500, min_periods=10).mean()`. The spec does not pin down the
//! quantile definition; here `q_t` is the empirical distribution function of the history so far:
//! the share of non-NaN `v_i` (`i <= t`) strictly below `v_t` (NaN where `v_t` is NaN).

use systrade_series::align::reindex_ffill_to;
use systrade_series::{DailySeries, ewma_span, rolling_mean};

/// Window of the rolling mean that normalises percentage vol.
pub const NORMALISING_WINDOW: usize = 2500;
/// Minimum observations of that rolling mean.
pub const NORMALISING_MIN_PERIODS: usize = 10;
/// Span of the EWMA applied to the multiplier.
pub const ATTENUATION_SPAN: f64 = 10.0;

/// Expanding quantile position: `q_t = #{i <= t: x_i < x_t} / #{i <= t: x_i not NaN}`, NaN where
/// `x_t` is NaN. O(n log n) (Fenwick tree over value ranks).
pub fn expanding_quantile_of_points(values: &[f64]) -> Vec<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    sorted.dedup();
    let mut tree = vec![0usize; sorted.len() + 1];
    let mut seen = 0usize;
    values
        .iter()
        .map(|&v| {
            if v.is_nan() {
                return f64::NAN;
            }
            // 1-based rank of v among distinct values; values below it have ranks < rank.
            let rank = sorted.partition_point(|&x| x < v) + 1;
            let mut i = rank - 1;
            let mut below = 0;
            while i > 0 {
                below += tree[i];
                i &= i - 1;
            }
            let mut i = rank;
            while i < tree.len() {
                tree[i] += 1;
                i += i & i.wrapping_neg();
            }
            seen += 1;
            below as f64 / seen as f64
        })
        .collect()
}

/// The smoothed attenuation multiplier from daily percentage volatility:
/// `EWMA_span=10(2 − 1.5·q)` with `q` the [`expanding_quantile_of_points`] of
/// `pct_vol / pct_vol.rolling(2500, min_periods=10).mean()`.
pub fn vol_attenuation(daily_percentage_vol: &DailySeries) -> DailySeries {
    let v = &daily_percentage_vol.values;
    let avg = rolling_mean(v, NORMALISING_WINDOW, NORMALISING_MIN_PERIODS);
    let normalised: Vec<f64> = v.iter().zip(&avg).map(|(x, m)| x / m).collect();
    let multiplier: Vec<f64> = expanding_quantile_of_points(&normalised)
        .into_iter()
        .map(|q| 2.0 - 1.5 * q)
        .collect();
    daily_percentage_vol.with_values(ewma_span(&multiplier, ATTENUATION_SPAN, 1))
}

/// `raw × attenuation`, the attenuation taken as of each forecast date (reindexed with forward
/// fill).
pub fn attenuate(raw_forecast: &DailySeries, attenuation: &DailySeries) -> DailySeries {
    let a = reindex_ffill_to(attenuation, raw_forecast);
    raw_forecast.with_values(
        raw_forecast
            .values
            .iter()
            .zip(&a)
            .map(|(f, m)| f * m)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAN: f64 = f64::NAN;

    #[test]
    fn quantile_positions_by_hand() {
        // 3 → 0/1; NaN; 1 → 0/2; 2 → 1/3 (1 below); 3 → 2/4 (1, 2 below; the earlier 3 is not);
        // 0 → 0/5
        let q = expanding_quantile_of_points(&[3.0, NAN, 1.0, 2.0, 3.0, 0.0]);
        let want = [0.0, NAN, 0.0, 1.0 / 3.0, 0.5, 0.0];
        for (g, w) in q.iter().zip(want) {
            assert!((g.is_nan() && w.is_nan()) || g == &w, "{q:?}");
        }
    }

    #[test]
    fn attenuation_multiplier_range() {
        let d = systrade_series::business_days(
            chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
            chrono::NaiveDate::from_ymd_opt(2021, 1, 1).unwrap(),
        );
        let vol: Vec<f64> = (0..d.len())
            .map(|i| 1.0 + (i as f64 / 10.0).sin().abs())
            .collect();
        let s = DailySeries::new(d, vol);
        let a = vol_attenuation(&s);
        // NaN until the normalising mean has 10 observations, then within [0.5, 2].
        assert!(a.values[..9].iter().all(|v| v.is_nan()));
        assert!(a.values[9..].iter().all(|v| (0.5..=2.0).contains(v)));
        // The first multiplier: q = 0 → 2.
        assert_eq!(a.values[9], 2.0);
        let f = s.map(|_| 10.0);
        let att = attenuate(&f, &a);
        assert_eq!(att.values[9], 20.0);
    }
}
