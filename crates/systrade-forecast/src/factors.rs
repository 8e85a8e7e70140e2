//! Factor inputs for the skew rules of pysystemtrade's `rob_system` (spec §3.2 "Skew/kurtosis
//! helpers", §3.3 `factor_trading_rule`).
//!
//! The spec pins the factor itself (rolling calendar-window skew of daily percentage returns,
//! negated for `neg_skew`) and the smoothing of averages (`ewm(com = 256 × 15)`), but not how the
//! cross-section and the time average are composed. Assumption made here, pending a reference:
//! the average is the cross-sectional mean (NaN skipped) of the instruments' factor values on the
//! union of their dates, then smoothed over time with that EWMA, then reindexed with forward fill
//! onto the instrument's index.

use crate::spec::FactorSpec;
use systrade_series::align::{align_union, asof};
use systrade_series::{DailySeries, ewma_com, rolling_skew_days};

/// `_demean_method` averaging over all instruments.
pub const ALL_ASSETS_DEMEAN: &str = "historic_average_factor_value_all_assets";
/// `_demean_method` averaging over the instrument's asset class.
pub const ASSET_CLASS_DEMEAN: &str = "average_factor_value_in_asset_class_for_instrument";
/// The factors [`factor_value`] computes (`_factor_name`).
pub const FACTOR_NAMES: [&str; 2] = ["neg_skew", "skew"];

/// Centre of mass of the EWMA used for historic factor averages: 256 × 15 business days.
pub const FACTOR_AVERAGE_COM: f64 = 256.0 * 15.0;

/// `skew`: `daily_percentage_returns.rolling("{lookback_days}D").skew()` — sample skewness over the
/// calendar window `(t − lookback_days, t]`, at least 3 observations.
pub fn skew(daily_percentage_returns: &DailySeries, lookback_days: i64) -> DailySeries {
    daily_percentage_returns.with_values(rolling_skew_days(
        &daily_percentage_returns.dates,
        &daily_percentage_returns.values,
        lookback_days,
        1,
    ))
}

/// `neg_skew = −skew`.
pub fn neg_skew(daily_percentage_returns: &DailySeries, lookback_days: i64) -> DailySeries {
    skew(daily_percentage_returns, lookback_days).map(|v| -v)
}

/// The factor `spec` names on one instrument's daily percentage returns: [`skew`] or
/// [`neg_skew`] over `lookback_days` ([`FactorSpec::check`] rejects other names).
pub fn factor_value(spec: &FactorSpec, daily_percentage_returns: &DailySeries) -> DailySeries {
    let lookback = spec.lookback_days as i64;
    if spec.factor_name == "skew" {
        skew(daily_percentage_returns, lookback)
    } else {
        neg_skew(daily_percentage_returns, lookback)
    }
}

/// Historic average of a factor over a set of instruments (all instruments for
/// `historic_average_factor_value_all_assets`, the instrument's asset class for
/// `average_factor_value_in_asset_class_for_instrument`): cross-sectional mean per date (NaN
/// skipped, NaN if none), then `ewm(com = 3840).mean()`.
pub fn average_factor_value(factors: &[&DailySeries]) -> DailySeries {
    let (dates, cols) = align_union(factors);
    let mean: Vec<f64> = (0..dates.len())
        .map(|t| {
            let (s, n) = cols
                .iter()
                .map(|c| c[t])
                .filter(|v| !v.is_nan())
                .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
            if n == 0 { f64::NAN } else { s / n as f64 }
        })
        .collect();
    DailySeries::new(dates, ewma_com(&mean, FACTOR_AVERAGE_COM, 1))
}

/// `get_demeanded_factor_value`: `factor − average`, the average taken as of each of the factor's
/// dates (reindexed with forward fill).
pub fn demeaned_factor_value(factor: &DailySeries, average: &DailySeries) -> DailySeries {
    let avg = asof(average, factor);
    factor.with_values(
        factor
            .values
            .iter()
            .zip(&avg.values)
            .map(|(f, a)| f - a)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    const NAN: f64 = f64::NAN;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 1, day).unwrap()
    }

    #[test]
    fn skew_of_three_points() {
        // [0, 0, 3]: mean 1, m2 = 2, m3 = 2 → g1 = 2/2^1.5; adjusted × sqrt(3·2)/1 = 1.7320508…
        let r = DailySeries::new(vec![d(1), d(2), d(3)], vec![0.0, 0.0, 3.0]);
        let s = skew(&r, 365);
        assert!(s.values[0].is_nan() && s.values[1].is_nan());
        assert!(
            (s.values[2] - 3.0_f64.sqrt()).abs() < 1e-12,
            "{:?}",
            s.values
        );
        assert!((neg_skew(&r, 365).values[2] + 3.0_f64.sqrt()).abs() < 1e-12);
        // A 2-day window never holds 3 observations.
        assert!(skew(&r, 2).values.iter().all(|v| v.is_nan()));
    }

    #[test]
    fn demeaning() {
        let a = DailySeries::new(vec![d(1), d(2)], vec![1.0, NAN]);
        let b = DailySeries::new(vec![d(1), d(3)], vec![3.0, 5.0]);
        let avg = average_factor_value(&[&a, &b]);
        // Cross-sectional means 2, NaN, 5; EWMA α = 1/3841 keeps 2 then moves slightly to 5.
        let w = 1.0 - 1.0 / (1.0 + FACTOR_AVERAGE_COM);
        assert_eq!(avg.values[0], 2.0);
        assert_eq!(avg.values[1], 2.0);
        assert!((avg.values[2] - (w * w * 2.0 + 5.0) / (w * w + 1.0)).abs() < 1e-12);
        let dm = demeaned_factor_value(&a, &avg);
        assert_eq!(dm.values[0], -1.0);
        assert!(dm.values[1].is_nan());
    }
}
