//! The raw-data stage (spec §3.1–3.2): daily prices, returns, volatility and the price-derived series
//! the trading rules read.

use systrade_model::{AdjustedPrices, CarryPrices, ROOT_BUSINESS_DAYS_IN_YEAR};
use systrade_series::align::{asof, binary_op, reindex_ffill_to};
use systrade_series::{
    DailySeries, Ewm, bfill, cumsum, diff, ewm_mean, ewm_std, ffill, resample_business_day_last,
    rolling_quantile, rolling_std, shift,
};

/// Business days per year used to turn `slow_vol_years` into an EWMA span.
const BUSINESS_DAYS_IN_YEAR: f64 = 256.0;

/// Which volatility estimator `volatility_calculation.func` names, with its parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VolEstimator {
    /// `sysquant.estimators.vol.mixed_vol_calc`.
    Mixed {
        days: usize,
        min_periods: usize,
        slow_vol_years: f64,
        proportion_of_slow_vol: f64,
        vol_abs_min: f64,
        backfill: bool,
    },
    /// `sysquant.estimators.vol.robust_vol_calc`.
    Robust {
        days: usize,
        min_periods: usize,
        vol_abs_min: f64,
        vol_floor: bool,
        floor_min_quant: f64,
        floor_min_periods: usize,
        floor_days: usize,
        backfill: bool,
    },
    /// `sysquant.estimators.vol.simple_vol_calc`.
    Simple {
        days: usize,
        min_periods: usize,
        vol_abs_min: f64,
        backfill: bool,
    },
}

impl VolEstimator {
    /// `mixed_vol_calc` with pysystemtrade 1.80 `defaults.yaml` parameters: days 35, min_periods
    /// 10, slow_vol_years 10, proportion_of_slow_vol 0.3, vol_abs_min 1e-10, no backfill.
    pub const DEFAULT_MIXED: Self = Self::Mixed {
        days: 35,
        min_periods: 10,
        slow_vol_years: 10.0,
        proportion_of_slow_vol: 0.3,
        vol_abs_min: 1e-10,
        backfill: false,
    };

    /// `robust_vol_calc` with its own defaults: days 35, min_periods 10, vol_abs_min 1e-10, floor
    /// at the 5% quantile over 500 observations (min 100), no backfill.
    pub const DEFAULT_ROBUST: Self = Self::Robust {
        days: 35,
        min_periods: 10,
        vol_abs_min: 1e-10,
        vol_floor: true,
        floor_min_quant: 0.05,
        floor_min_periods: 100,
        floor_days: 500,
        backfill: false,
    };

    /// `simple_vol_calc` defaults: rolling 25 observations, min 10.
    pub const DEFAULT_SIMPLE: Self = Self::Simple {
        days: 25,
        min_periods: 10,
        vol_abs_min: 1e-10,
        backfill: false,
    };

    /// `vol_abs_min`: the floor the estimator puts under the volatility.
    pub fn vol_abs_min(&self) -> f64 {
        match *self {
            Self::Mixed { vol_abs_min, .. }
            | Self::Robust { vol_abs_min, .. }
            | Self::Simple { vol_abs_min, .. } => vol_abs_min,
        }
    }

    /// Applies the estimator to a daily returns series.
    pub fn estimate(&self, returns: &[f64]) -> Vec<f64> {
        match *self {
            Self::Mixed {
                days,
                min_periods,
                slow_vol_years,
                proportion_of_slow_vol,
                vol_abs_min,
                backfill,
            } => mixed_vol_calc(
                returns,
                days,
                min_periods,
                slow_vol_years,
                proportion_of_slow_vol,
                vol_abs_min,
                backfill,
            ),
            Self::Robust {
                days,
                min_periods,
                vol_abs_min,
                vol_floor,
                floor_min_quant,
                floor_min_periods,
                floor_days,
                backfill,
            } => robust_vol_calc(
                returns,
                &RobustVol {
                    days,
                    min_periods,
                    vol_abs_min,
                    vol_floor,
                    floor_min_quant,
                    floor_min_periods,
                    floor_days,
                    backfill,
                },
            ),
            Self::Simple {
                days,
                min_periods,
                vol_abs_min,
                backfill,
            } => simple_vol_calc(returns, days, min_periods, vol_abs_min, backfill),
        }
    }
}

/// Which returns the volatility is computed on (`name_returns_attr_in_rawdata`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VolReturns {
    /// `daily_returns` (price differences; the default).
    DailyReturns,
    /// `get_daily_percentage_returns`.
    DailyPercentageReturns,
}

/// The `volatility_calculation` config block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VolConfig {
    pub estimator: VolEstimator,
    pub returns: VolReturns,
    /// `multiplier_to_get_daily_vol` (1.0).
    pub multiplier: f64,
}

impl VolConfig {
    /// The value `daily_returns_volatility` takes where the estimator floors it:
    /// `vol_abs_min × multiplier_to_get_daily_vol`.
    pub fn floor(&self) -> f64 {
        self.estimator.vol_abs_min() * self.multiplier
    }
}

impl Default for VolConfig {
    fn default() -> Self {
        Self {
            estimator: VolEstimator::DEFAULT_MIXED,
            returns: VolReturns::DailyReturns,
            multiplier: 1.0,
        }
    }
}

/// `x[x < min] = min` (NaN untouched).
fn floor_at(values: &mut [f64], min: f64) {
    for v in values.iter_mut() {
        if *v < min {
            *v = min;
        }
    }
}

/// `mixed_vol_calc` (spec §3.2):
/// `σ_fast = ewm(span=days, min_periods).std()` of the returns;
/// `σ_slow = ewm(span = slow_vol_years × 256).mean()` of `σ_fast`;
/// `σ = proportion × σ_slow + (1 − proportion) × σ_fast`; then `σ[σ < vol_abs_min] = vol_abs_min`;
/// `backfill` back-fills leading NaNs.
pub fn mixed_vol_calc(
    returns: &[f64],
    days: usize,
    min_periods: usize,
    slow_vol_years: f64,
    proportion_of_slow_vol: f64,
    vol_abs_min: f64,
    backfill: bool,
) -> Vec<f64> {
    let fast = ewm_std(returns, Ewm::span(days as f64), min_periods);
    let slow = ewm_mean(&fast, Ewm::span(slow_vol_years * BUSINESS_DAYS_IN_YEAR), 1);
    let mut vol: Vec<f64> = slow
        .iter()
        .zip(&fast)
        .map(|(&s, &f)| proportion_of_slow_vol * s + (1.0 - proportion_of_slow_vol) * f)
        .collect();
    floor_at(&mut vol, vol_abs_min);
    if backfill { bfill(&vol) } else { vol }
}

/// Parameters of [`robust_vol_calc`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RobustVol {
    pub days: usize,
    pub min_periods: usize,
    pub vol_abs_min: f64,
    pub vol_floor: bool,
    pub floor_min_quant: f64,
    pub floor_min_periods: usize,
    pub floor_days: usize,
    pub backfill: bool,
}

impl RobustVol {
    /// `robust_vol_calc(x, days)` with the function's other defaults.
    pub fn with_days(days: usize) -> Self {
        Self {
            days,
            min_periods: 10,
            vol_abs_min: 1e-10,
            vol_floor: true,
            floor_min_quant: 0.05,
            floor_min_periods: 100,
            floor_days: 500,
            backfill: false,
        }
    }
}

/// `robust_vol_calc` (spec §3.2):
/// `σ = ewm(span=days, min_periods).std()`; `σ[σ < vol_abs_min] = vol_abs_min`; if `vol_floor`:
/// `floor = rolling(floor_days, min_periods=floor_min_periods).quantile(floor_min_quant)` of σ,
/// with its first value set to 0 and forward-filled, and `σ = max(σ, floor)` (NaN where σ is
/// NaN); `backfill` back-fills leading NaNs.
pub fn robust_vol_calc(returns: &[f64], p: &RobustVol) -> Vec<f64> {
    let mut vol = ewm_std(returns, Ewm::span(p.days as f64), p.min_periods);
    floor_at(&mut vol, p.vol_abs_min);
    if p.vol_floor && !vol.is_empty() {
        let mut floor =
            rolling_quantile(&vol, p.floor_days, p.floor_min_periods, p.floor_min_quant);
        floor[0] = 0.0;
        let floor = ffill(&floor);
        for (v, f) in vol.iter_mut().zip(floor) {
            if !v.is_nan() && f > *v {
                *v = f;
            }
        }
    }
    if p.backfill { bfill(&vol) } else { vol }
}

/// `simple_vol_calc`: `σ = rolling(days, min_periods).std()` of the returns, floored at
/// `vol_abs_min`, optionally back-filled.
pub fn simple_vol_calc(
    returns: &[f64],
    days: usize,
    min_periods: usize,
    vol_abs_min: f64,
    backfill: bool,
) -> Vec<f64> {
    let mut vol = rolling_std(returns, days, min_periods);
    floor_at(&mut vol, vol_abs_min);
    if backfill { bfill(&vol) } else { vol }
}

/// `get_daily_prices`: adjusted prices resampled to business days, last observation (§3.1).
pub fn daily_prices(adjusted: &AdjustedPrices) -> DailySeries {
    resample_business_day_last(&adjusted.timestamps, &adjusted.values)
}

/// `daily_denominator_price`: the raw `PRICE` column of the multiple prices (the contract held, not
/// back-adjusted) resampled to business days, last observation.
pub fn denominator_price(multiple: &CarryPrices) -> DailySeries {
    resample_business_day_last(&multiple.timestamps, &multiple.price)
}

/// Everything the raw-data stage derives from one instrument's prices.
#[derive(Debug, Clone, PartialEq)]
pub struct RawData {
    /// `get_daily_prices`.
    pub daily_prices: DailySeries,
    /// `daily_returns = daily_prices.diff()`.
    pub daily_returns: DailySeries,
    /// `daily_returns_volatility` (price units) on the daily price index.
    pub daily_returns_volatility: DailySeries,
    /// `daily_denominator_price` (PRICE of multiple prices, else the adjusted price), not filled.
    pub denominator_price: DailySeries,
}

impl RawData {
    /// Computes the raw-data series. Without multiple prices the denominator is the daily
    /// adjusted price (pysystemtrade's fallback when there is no carry data).
    pub fn compute(
        adjusted: &AdjustedPrices,
        multiple: Option<&CarryPrices>,
        vol: &VolConfig,
    ) -> Self {
        let daily_prices = daily_prices(adjusted);
        let daily_returns = daily_prices.with_values(diff(&daily_prices.values, 1));
        let denominator_price = match multiple {
            Some(m) => denominator_price(m),
            None => daily_prices.clone(),
        };
        let mut raw = Self {
            daily_returns_volatility: daily_prices.map(|_| f64::NAN),
            daily_prices,
            daily_returns,
            denominator_price,
        };
        let returns = match vol.returns {
            VolReturns::DailyReturns => raw.daily_returns.clone(),
            VolReturns::DailyPercentageReturns => raw.daily_percentage_returns(),
        };
        let mut sigma = vol.estimator.estimate(&returns.values);
        if vol.multiplier != 1.0 {
            sigma.iter_mut().for_each(|v| *v *= vol.multiplier);
        }
        raw.daily_returns_volatility = returns.with_values(sigma);
        raw
    }

    /// `get_daily_percentage_returns = daily_returns / denominator_price.ffill()` (a fraction, not
    /// percent), on the union of both indices as pandas aligns them (NaN on dates only one side
    /// has).
    pub fn daily_percentage_returns(&self) -> DailySeries {
        binary_op(
            &self.daily_returns,
            &self.denominator_price.ffill(),
            |r, d| r / d,
        )
    }

    /// `get_daily_percentage_volatility = 100 × σ / |denominator_price.ffill()|` (percent: 1.0 =
    /// 1%) on the volatility's index, the denominator taken as of each date.
    pub fn daily_percentage_volatility(&self) -> DailySeries {
        let vol = &self.daily_returns_volatility;
        let denom = ffill(&reindex_ffill_to(&self.denominator_price.ffill(), vol));
        vol.with_values(
            vol.values
                .iter()
                .zip(&denom)
                .map(|(v, d)| 100.0 * (v / d.abs()))
                .collect(),
        )
    }

    /// `annualised_returns_volatility = σ × 16`.
    pub fn annualised_returns_volatility(&self) -> DailySeries {
        self.daily_returns_volatility
            .map(|v| v * ROOT_BUSINESS_DAYS_IN_YEAR)
    }

    /// `get_daily_vol_normalised_returns = daily_returns / σ.shift(1)`.
    pub fn daily_vol_normalised_returns(&self) -> DailySeries {
        let lagged = shift(&self.daily_returns_volatility.values, 1);
        self.daily_returns.with_values(
            self.daily_returns
                .values
                .iter()
                .zip(&lagged)
                .map(|(r, v)| r / v)
                .collect(),
        )
    }

    /// `get_cumulative_daily_vol_normalised_returns`: the cumulative sum of
    /// [`Self::daily_vol_normalised_returns`] ("normalised price").
    pub fn cumulative_daily_vol_normalised_returns(&self) -> DailySeries {
        let r = self.daily_vol_normalised_returns();
        r.with_values(cumsum(&r.values))
    }
}

/// The normalised price of one asset class: the cross-sectional median (over instruments,
/// ignoring NaN) of the daily vol-normalised returns of the instruments in the class, cumulatively
/// summed. Computed once per class; [`normalised_price_for_asset_class`] aligns it to an
/// instrument.
pub fn asset_class_normalised_price(vol_normalised_returns: &[&DailySeries]) -> DailySeries {
    let median = cross_sectional_median(vol_normalised_returns);
    median.with_values(cumsum(&median.values))
}

/// `normalised_price_for_asset_class` of one instrument: its class's
/// [`asset_class_normalised_price`] as of each date of `index` (the instrument's own normalised
/// price: reindexed with forward fill, then forward-filled).
pub fn normalised_price_for_asset_class(
    class_price: &DailySeries,
    index: &DailySeries,
) -> DailySeries {
    asof(class_price, index)
}

/// Row-wise median across series on the union of their dates, ignoring NaN (pandas
/// `pd.concat(axis=1).median(axis=1)`); NaN where all are NaN.
pub fn cross_sectional_median(series: &[&DailySeries]) -> DailySeries {
    let (dates, cols) = systrade_series::align::align_union(series);
    let mut row = Vec::with_capacity(cols.len());
    let values = (0..dates.len())
        .map(|t| {
            row.clear();
            row.extend(cols.iter().map(|c| c[t]).filter(|v| !v.is_nan()));
            median(&mut row)
        })
        .collect();
    DailySeries::new(dates, values)
}

/// Median of the values (NaN for none): the middle one, or the mean of the two middle ones.
pub(crate) fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use systrade_model::{ContractDate, MultiplePricesRow, Timestamp};

    const NAN: f64 = f64::NAN;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    #[test]
    fn raw_data_on_business_days() {
        // Thu, Fri, (weekend stamp → Fri), Tue: Monday is a holiday (NaN row).
        let adjusted = AdjustedPrices::new(
            vec![
                ts("2023-08-17 20:00:00"),
                ts("2023-08-18 20:00:00"),
                ts("2023-08-19 01:00:00"),
                ts("2023-08-22 20:00:00"),
            ],
            vec![10.0, 11.0, 12.0, 9.0],
        );
        let c = ContractDate::from_id(20231200).unwrap();
        let row = |t: &str, price: f64| MultiplePricesRow {
            timestamp: ts(t),
            price,
            price_contract: c,
            forward: NAN,
            forward_contract: c,
            carry: NAN,
            carry_contract: c,
        };
        // The denominator (raw PRICE) has an extra later day and a missing Friday.
        let multiple = [
            row("2023-08-17 20:00:00", 100.0),
            row("2023-08-22 20:00:00", 50.0),
            row("2023-08-23 20:00:00", 40.0),
        ];
        let vol = VolConfig {
            estimator: VolEstimator::Simple {
                days: 3,
                min_periods: 1,
                vol_abs_min: 1e-10,
                backfill: false,
            },
            ..VolConfig::default()
        };
        let raw = RawData::compute(&adjusted, Some(&CarryPrices::from(&multiple[..])), &vol);
        assert_eq!(raw.daily_prices.len(), 4);
        let same = |a: &[f64], b: &[f64]| {
            assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
            for (x, y) in a.iter().zip(b) {
                assert!(
                    (x.is_nan() && y.is_nan()) || (x - y).abs() < 1e-12,
                    "{a:?} vs {b:?}"
                );
            }
        };
        same(&raw.daily_prices.values, &[10.0, 12.0, NAN, 9.0]);
        same(&raw.daily_returns.values, &[NAN, 2.0, NAN, NAN]);
        // Percentage returns live on the union index (one more day from the multiple prices);
        // the denominator is forward-filled on its own index first: 100, 100, 100, 50, 40.
        let pr = raw.daily_percentage_returns();
        assert_eq!(pr.len(), 5);
        same(&pr.values, &[NAN, 0.02, NAN, NAN, NAN]);
        // Rolling std of one return is NaN (ddof 1); with returns 2 only → NaN everywhere here.
        assert!(
            raw.daily_returns_volatility
                .values
                .iter()
                .all(|v| v.is_nan())
        );
        // Without multiple prices the denominator is the daily price itself.
        let raw = RawData::compute(&adjusted, None, &VolConfig::default());
        same(
            &raw.daily_percentage_returns().values,
            &[NAN, 2.0 / 12.0, NAN, NAN],
        );
        // Vol-normalised returns use yesterday's vol (here NaN: too short for min_periods 10).
        assert!(
            raw.daily_vol_normalised_returns()
                .values
                .iter()
                .all(|v| v.is_nan())
        );
    }

    #[test]
    fn percentage_vol_uses_denominator_as_of_each_day() {
        let adjusted = AdjustedPrices::new(
            (0..4)
                .map(|i| ts(&format!("2024-01-0{} 12:00:00", i + 1)))
                .collect(),
            vec![1.0, 2.0, 4.0, 7.0],
        );
        let vol = VolConfig {
            estimator: VolEstimator::Simple {
                days: 3,
                min_periods: 2,
                vol_abs_min: 1e-10,
                backfill: false,
            },
            ..VolConfig::default()
        };
        let raw = RawData::compute(&adjusted, None, &vol);
        // returns NaN,1,2,3 → rolling std (3, min 2): NaN, NaN, √0.5, 1
        let want = [NAN, NAN, 0.5_f64.sqrt(), 1.0];
        let pv = raw.daily_percentage_volatility();
        for (i, w) in want.iter().enumerate() {
            let expect = 100.0 * w / adjusted.values[i];
            assert!(
                (pv.values[i].is_nan() && expect.is_nan()) || (pv.values[i] - expect).abs() < 1e-12,
                "{:?}",
                pv.values
            );
        }
        // Normalised price: cumsum of r_t / σ_{t−1}: NaN, NaN, NaN, 3/√0.5.
        let np = raw.cumulative_daily_vol_normalised_returns();
        assert!(np.values[..3].iter().all(|v| v.is_nan()));
        assert!((np.values[3] - 3.0 / 0.5_f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn cross_sectional_median_ignores_missing() {
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let a = DailySeries::new(vec![d("2024-01-01"), d("2024-01-02")], vec![1.0, NAN]);
        let b = DailySeries::new(vec![d("2024-01-02"), d("2024-01-03")], vec![4.0, 5.0]);
        let c = DailySeries::new(vec![d("2024-01-01"), d("2024-01-02")], vec![3.0, 6.0]);
        let m = cross_sectional_median(&[&a, &b, &c]);
        assert_eq!(m.values, vec![2.0, 5.0, 5.0]);
        // Asset-class normalised price: cumsum of the median, as of each target date.
        let np = normalised_price_for_asset_class(&asset_class_normalised_price(&[&a, &b, &c]), &b);
        assert_eq!(np.values, vec![7.0, 12.0]);
    }
}
