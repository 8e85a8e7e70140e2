//! Factor inputs of pysystemtrade's `rob_system` (`systems/provided/rob_system/rawdata.py`,
//! `myFuturesRawData`; spec §3.2 "Skew/kurtosis helpers", §3.3 `factor_trading_rule`):
//!
//! - the factor of one instrument, a `rawdata` method named by `_factor_name`: `skew`
//!   (`daily_percentage_returns.rolling("{lookback_days}D").skew()`), `neg_skew` (its negative)
//!   or `kurtosis` (`….rolling("{lookback_days}D").kurt()`), `lookback_days` default 365;
//! - the value it is demeaned by, chosen by `_demean_method` ([`DemeanMethod`]): the
//!   cross-sectional mean of the forward-filled factors over the system's instruments (as is, or
//!   smoothed with `ewm(com = 256 × 15)`), the instrument's own factor smoothed that way
//!   (pysystemtrade's default), or the cross-sectional mean over *every instrument of the data* in
//!   the instrument's asset class (not smoothed);
//! - `get_demeanded_factor_value = factor − demean.reindex(factor.index).ffill()`.

use crate::spec::FactorSpec;
use systrade_series::align::{asof, union_dates};
use systrade_series::{DailySeries, ewma_com, rolling_kurt_days, rolling_skew_days};

/// The factors [`factor_value`] computes (`_factor_name`: the `myFuturesRawData` methods).
pub const FACTOR_NAMES: [&str; 3] = ["skew", "neg_skew", "kurtosis"];

/// Centre of mass of the EWMA used for historic factor averages: 256 × 15 business days
/// (pysystemtrade's positional `ewm(BUSINESS_DAYS_IN_YEAR * span_years)`).
pub const FACTOR_AVERAGE_COM: f64 = 256.0 * 15.0;

/// `_demean_method` of `get_demeanded_factor_value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemeanMethod {
    /// `current_average_factor_values_over_all_assets`: [`cross_sectional_mean`] of the factor
    /// over the system's instruments.
    CurrentAllAssets,
    /// `historic_average_factor_value_all_assets`: that mean smoothed with
    /// `ewm(com = 3840).mean()`.
    HistoricAllAssets,
    /// `average_factor_value_for_instrument` (pysystemtrade's default): the instrument's own
    /// factor smoothed with `ewm(com = 3840).mean()`.
    OwnHistoric,
    /// `average_factor_value_in_asset_class_for_instrument`: [`cross_sectional_mean`] over every
    /// instrument of the data in the instrument's asset class (the system's or not).
    AssetClass,
}

impl DemeanMethod {
    /// Every method, in pysystemtrade's order.
    pub const ALL: [Self; 4] = [
        Self::CurrentAllAssets,
        Self::HistoricAllAssets,
        Self::OwnHistoric,
        Self::AssetClass,
    ];

    /// pysystemtrade's name of the method.
    pub fn name(self) -> &'static str {
        match self {
            Self::CurrentAllAssets => "current_average_factor_values_over_all_assets",
            Self::HistoricAllAssets => "historic_average_factor_value_all_assets",
            Self::OwnHistoric => "average_factor_value_for_instrument",
            Self::AssetClass => "average_factor_value_in_asset_class_for_instrument",
        }
    }

    /// The method named `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }
}

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

/// `kurtosis`: `daily_percentage_returns.rolling("{lookback_days}D").kurt()` — bias-corrected
/// excess kurtosis over the calendar window, at least 4 observations.
pub fn kurtosis(daily_percentage_returns: &DailySeries, lookback_days: i64) -> DailySeries {
    daily_percentage_returns.with_values(rolling_kurt_days(
        &daily_percentage_returns.dates,
        &daily_percentage_returns.values,
        lookback_days,
        1,
    ))
}

/// The factor `spec` names on one instrument's daily percentage returns ([`FactorSpec::check`]
/// rejects names other than [`FACTOR_NAMES`]).
pub fn factor_value(spec: &FactorSpec, daily_percentage_returns: &DailySeries) -> DailySeries {
    let lookback = spec.lookback_days as i64;
    match spec.factor_name.as_str() {
        "skew" => skew(daily_percentage_returns, lookback),
        "kurtosis" => kurtosis(daily_percentage_returns, lookback),
        _ => neg_skew(daily_percentage_returns, lookback),
    }
}

/// `pd.concat(factors, axis=1).ffill().mean(axis=1)`: on the union of the dates, each factor
/// forward-filled, then the mean of the non-NaN values per date (NaN where there are none).
pub fn cross_sectional_mean(factors: &[&DailySeries]) -> DailySeries {
    // One pass per factor, in order, adding its forward-filled value to each date's sum: the
    // same additions in the same order as summing each date's row (so the same values), without
    // a reindexed copy of every factor.
    let dates = union_dates(factors);
    let mut sum = vec![0.0; dates.len()];
    let mut count = vec![0usize; dates.len()];
    for f in factors {
        let mut own = f.dates.iter().zip(&f.values).peekable();
        let mut last = f64::NAN;
        for (t, d) in dates.iter().enumerate() {
            if let Some((_, &v)) = own.next_if(|(od, _)| *od == d)
                && !v.is_nan()
            {
                last = v;
            }
            if !last.is_nan() {
                sum[t] += last;
                count[t] += 1;
            }
        }
    }
    let mean = sum
        .iter()
        .zip(&count)
        .map(|(&s, &n)| if n == 0 { f64::NAN } else { s / n as f64 })
        .collect();
    DailySeries::new(dates, mean)
}

/// `x.ewm(com = 3840).mean()`: the smoothing of historic factor averages.
pub fn historic_average(x: &DailySeries) -> DailySeries {
    x.with_values(ewma_com(&x.values, FACTOR_AVERAGE_COM, 1))
}

/// `get_demeanded_factor_value`: `factor − average`, the average taken as of each of the factor's
/// dates (reindexed, then forward-filled).
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
        // Kurtosis needs 4.
        assert!(kurtosis(&r, 365).values.iter().all(|v| v.is_nan()));
    }

    #[test]
    fn demeaning() {
        let a = DailySeries::new(vec![d(1), d(2)], vec![1.0, NAN]);
        let b = DailySeries::new(vec![d(1), d(3)], vec![3.0, 5.0]);
        // ffilled on the union: a = 1, 1, 1; b = 3, 3, 5 → means 2, 2, 3
        let avg = cross_sectional_mean(&[&a, &b]);
        assert_eq!(avg.values, vec![2.0, 2.0, 3.0]);
        let hist = historic_average(&avg);
        let w = 1.0 - 1.0 / (1.0 + FACTOR_AVERAGE_COM);
        assert_eq!(hist.values[1], 2.0);
        assert!((hist.values[2] - (w * w * 2.0 + w * 2.0 + 3.0) / (w * w + w + 1.0)).abs() < 1e-12);
        let dm = demeaned_factor_value(&a, &avg);
        assert_eq!(dm.values[0], -1.0);
        assert!(dm.values[1].is_nan());
        for m in DemeanMethod::ALL {
            assert_eq!(DemeanMethod::from_name(m.name()), Some(m));
        }
        assert_eq!(DemeanMethod::from_name("average"), None);
    }
}
