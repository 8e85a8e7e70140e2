//! Volatility attenuation of raw forecasts, pysystemtrade's `volAttenForecastScaleCap`
//! (`systems/provided/attenuate_vol/vol_attenuation_forecast_scale_cap.py`; the quantile is
//! `syscore.pandas.strategy_functions.quantile_of_points_in_data_series`), applied to the rules
//! listed in `use_attenuation` ([`crate::ForecastConfig::attenuated_rules`]):
//!
//! 1. `v = pct_vol / pct_vol.rolling(2500, min_periods=10).mean()` on the index of
//!    `get_daily_percentage_volatility`;
//! 2. `q_t = #{i < t : v_i < v_t} / (t + 1)`, counted over row positions of the whole index: a
//!    NaN `v_i` is never below anything and a NaN `v_t` has nothing below it (`q_t = 0`), but
//!    both count in the denominator;
//! 3. multiplier `2 − 1.5·q` (1 for a NaN quantile, which step 2 never produces);
//! 4. `ewm(span=10).mean()` of the multiplier ([`vol_attenuation`]);
//! 5. the attenuated raw forecast is `raw × attenuation.reindex(raw.index, method="ffill")`
//!    ([`attenuate`]); scaling, pooled scalar estimates and capping then see this product.

use systrade_series::align::reindex_ffill_to;
use systrade_series::{DailySeries, ewma_span, rolling_mean};

/// Window of the rolling mean that normalises percentage vol.
pub const NORMALISING_WINDOW: usize = 2500;
/// Minimum observations of that rolling mean.
pub const NORMALISING_MIN_PERIODS: usize = 10;
/// Span of the EWMA applied to the multiplier.
pub const ATTENUATION_SPAN: f64 = 10.0;

/// `quantile_of_points_in_data_series`: `q_t = #{i < t: x_i < x_t} / (t + 1)` over positions of
/// the whole slice (NaN never compares below, so a NaN `x_t` gives 0 and NaN rows count in the
/// denominator). O(n log n) (Fenwick tree over value ranks).
pub fn quantile_of_points(values: &[f64]) -> Vec<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    sorted.dedup();
    let mut tree = vec![0usize; sorted.len() + 1];
    values
        .iter()
        .enumerate()
        .map(|(t, &v)| {
            if v.is_nan() {
                return 0.0;
            }
            // 1-based rank of v among distinct values; values below it have ranks < rank.
            let rank = sorted.partition_point(|&x| x < v) + 1;
            let mut i = rank - 1;
            let mut below = 0usize;
            while i > 0 {
                below += tree[i];
                i &= i - 1;
            }
            let mut i = rank;
            while i < tree.len() {
                tree[i] += 1;
                i += i & i.wrapping_neg();
            }
            below as f64 / (t + 1) as f64
        })
        .collect()
}

/// `get_vol_quantile_points`: [`quantile_of_points`] of percentage vol over its 2500-row rolling
/// mean (min 10 observations), on the percentage vol's index.
pub fn vol_quantile(daily_percentage_vol: &DailySeries) -> DailySeries {
    let v = &daily_percentage_vol.values;
    let avg = rolling_mean(v, NORMALISING_WINDOW, NORMALISING_MIN_PERIODS);
    let normalised: Vec<f64> = v.iter().zip(&avg).map(|(x, m)| x / m).collect();
    daily_percentage_vol.with_values(quantile_of_points(&normalised))
}

/// `get_vol_attenuation`: `ewm(span=10).mean()` of `multiplier(q) = 2 − 1.5·q` (1 where `q` is
/// NaN) with `q` the [`vol_quantile`].
pub fn vol_attenuation(daily_percentage_vol: &DailySeries) -> DailySeries {
    let q = vol_quantile(daily_percentage_vol);
    let multiplier: Vec<f64> = q
        .values
        .iter()
        .map(|&q| if q.is_nan() { 1.0 } else { 2.0 - 1.5 * q })
        .collect();
    q.with_values(ewma_span(&multiplier, ATTENUATION_SPAN, 1))
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
        // t=0: 3 → 0/1; t=1: NaN → 0; t=2: 1 → 0/3; t=3: 2 → 1/4 (1 below);
        // t=4: 3 → 2/5 (1, 2 below; the earlier 3 is not); t=5: 0 → 0/6
        let q = quantile_of_points(&[3.0, NAN, 1.0, 2.0, 3.0, 0.0]);
        assert_eq!(q, vec![0.0, 0.0, 0.0, 0.25, 0.4, 0.0]);
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
        // Before the normalising mean has 10 observations the quantile is 0: multiplier 2.
        assert!(
            a.values[..10].iter().all(|v| *v == 2.0),
            "{:?}",
            &a.values[..10]
        );
        assert!(a.values.iter().all(|v| (0.5..=2.0).contains(v)));
        assert!(a.values.iter().any(|v| *v < 1.9));
        let f = s.map(|_| 10.0);
        let att = attenuate(&f, &a);
        assert_eq!(att.values[9], 20.0);
    }
}
