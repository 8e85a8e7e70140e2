//! The optimiser's trading costs: a constant cost per unit of weight per instrument, scaled over
//! time by a cost deflator.
//!
//! Follows `systems/provided/dynamic_small_system_optimise/optimised_positions_stage.py`
//! (`get_cost_per_notional_weight_as_proportion_of_capital`, `get_cost_per_contract_in_base_ccy`,
//! `get_final_price`, `get_last_fx_rate`, `get_cost_deflator`,
//! `calculate_cost_per_notional_weight_as_proportion_of_capital`) and
//! `syscore/pandas/strategy_functions.py` (`calculate_cost_deflator`, `price_to_daily_returns`).
//!
//! - Cost per contract in base currency, computed **once** from the last price and FX rate of
//!   the whole history (`raw price.ffill()[-1]`, `fx.ffill()[-1]`): `fx × cost(1 contract at the
//!   last price)` — this looks ahead, as upstream intends. [`cost_per_contract_in_base_ccy`].
//! - Constant cost per unit of weight: `cost_multiplier × cost per contract / last per-contract
//!   value / capital`, the last per-contract value being the instrument's own series forward-filled
//!   to its end. [`cost_per_notional_weight_as_proportion_of_capital`].
//! - Cost deflator: daily prices `p = raw.resample("1B").ffill()` (each business-day label at 00:00
//!   takes the last price stamped at or before it: in effect the previous day's close), then
//!   `r = p.ffill().diff()`, `vol = r.rolling(180, min_periods=3).std().ffill()`,
//!   `deflator = vol / vol[last]`. [`cost_deflator`], [`resample_business_day_ffill`].
//! - On the optimiser's dates: `deflator.reindex(common_index).ffill()`, NaN → 10000 (trading is
//!   prohibitively expensive until the rolling std has 3 points). [`deflator_on_dates`].
//! - Cost per unit of weight on a date: `constant × deflator`.
//!
//! This is the backtest's way (`optimisedPositions`). pysystemtrade's production strategy
//! (`sysexecution/strategies/dynamic_optimised_positions.py`) instead takes the cost of one contract
//! at the current price over the **current** per-contract value, without a deflator, with a cost
//! multiplier of 1 there and `shadow_cost × cost_multiplier` as the shadow cost.
//!
//! The daily-returns volatility part is the same formula as the P&L cost deflator in
//! `systrade-accounts` (`costs::cost_deflator`, on prices already on business days); the two
//! should become one function when the optimiser is wired into the backtest.

use chrono::NaiveDate;
use systrade_model::Timestamp;
use systrade_series::{DailySeries, business_day_floor, business_days, diff, ffill, rolling_std};

/// The value a missing cost deflator takes on the optimiser's dates.
pub const MISSING_COST_DEFLATOR: f64 = 10000.0;

/// Window and minimum observations of the cost deflator's rolling standard deviation.
pub const COST_DEFLATOR_WINDOW: usize = 180;
pub const COST_DEFLATOR_MIN_PERIODS: usize = 3;

/// pandas `price.resample("1B").ffill()` for timestamped prices (sorted, unique): one label per
/// business day from the first stamp's business day to the last's; label `d` (at 00:00) takes
/// the value of the last stamp `≤ d 00:00` (NaN values included: follow with `ffill`), NaN before
/// the first stamp.
///
/// pandas skips the lookup when the stamps already have business-day frequency (one stamp on every
/// business day at the same time of day, over at least 3 stamps and one weekend) and then simply
/// relabels the values to their dates; that case is reproduced.
pub fn resample_business_day_ffill(timestamps: &[Timestamp], values: &[f64]) -> DailySeries {
    assert_eq!(timestamps.len(), values.len(), "one value per timestamp");
    let (Some(first), Some(last)) = (timestamps.first(), timestamps.last()) else {
        return DailySeries::default();
    };
    let labels = business_days(
        business_day_floor(first.date()),
        business_day_floor(last.date()),
    );
    if has_business_day_frequency(timestamps) && labels.len() == timestamps.len() {
        return DailySeries::new(labels, values.to_vec());
    }
    let label_stamps: Vec<Timestamp> = labels.iter().map(|&d| Timestamp::from_date(d)).collect();
    let daily = systrade_series::reindex_ffill(timestamps, values, &label_stamps);
    DailySeries::new(labels, daily)
}

/// pandas' `inferred_freq == "B"`: at least 3 stamps, all on weekdays, consecutive gaps of exactly
/// one day except exactly three days from a Friday to a Monday, and both kinds of gap present.
fn has_business_day_frequency(timestamps: &[Timestamp]) -> bool {
    const DAY: i64 = 86_400_000_000;
    if timestamps.len() < 3 {
        return false;
    }
    let (mut one, mut three) = (false, false);
    for pair in timestamps.windows(2) {
        let gap = pair[1].micros() - pair[0].micros();
        let weekday = (pair[1].day_number() + 3).rem_euclid(7); // Monday = 0
        if gap == DAY && (1..=4).contains(&weekday) {
            one = true;
        } else if gap == 3 * DAY && weekday == 0 {
            three = true;
        } else {
            return false;
        }
    }
    one && three
}

/// `calculate_cost_deflator(raw price)`: see the module docs. On the business days of
/// [`resample_business_day_ffill`].
pub fn cost_deflator(timestamps: &[Timestamp], values: &[f64]) -> DailySeries {
    let daily = resample_business_day_ffill(timestamps, values);
    let returns = diff(&ffill(&daily.values), 1);
    let vol = ffill(&rolling_std(
        &returns,
        COST_DEFLATOR_WINDOW,
        COST_DEFLATOR_MIN_PERIODS,
    ));
    let last = vol.last().copied().unwrap_or(f64::NAN);
    daily.with_values(vol.iter().map(|v| v / last).collect())
}

/// `get_cost_deflator`'s alignment: `deflator.reindex(dates).ffill()`, NaN → 10000.
pub fn deflator_on_dates(deflator: &DailySeries, dates: &[NaiveDate]) -> Vec<f64> {
    let aligned = systrade_series::index::reindex_sorted(&deflator.dates, &deflator.values, dates);
    ffill(&aligned)
        .into_iter()
        .map(|v| if v.is_nan() { MISSING_COST_DEFLATOR } else { v })
        .collect()
}

/// `series.ffill().iloc[-1]`: the last non-NaN value (NaN when there is none).
pub fn last_value(values: &[f64]) -> f64 {
    values
        .iter()
        .rev()
        .copied()
        .find(|v| !v.is_nan())
        .unwrap_or(f64::NAN)
}

/// `get_cost_per_contract_in_base_ccy`: `last_fx × cost_in_instrument_ccy`, where
/// `cost_in_instrument_ccy` is the cost of trading one contract at the last raw price
/// (`instrumentCosts.calculate_cost_instrument_currency(1.0, value_of_block_price_move,
/// last_price)`, computed with the accounts' cost formula).
pub fn cost_per_contract_in_base_ccy(cost_in_instrument_ccy: f64, last_fx_rate: f64) -> f64 {
    last_fx_rate * cost_in_instrument_ccy
}

/// `calculate_cost_per_notional_weight_as_proportion_of_capital`:
/// `cost_multiplier × cost_per_contract / last_per_contract_value / capital`.
pub fn cost_per_notional_weight_as_proportion_of_capital(
    cost_per_contract_in_base_ccy: f64,
    cost_multiplier: f64,
    last_per_contract_value: f64,
    capital: f64,
) -> f64 {
    cost_multiplier * cost_per_contract_in_base_ccy / last_per_contract_value / capital
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAN: f64 = f64::NAN;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }
    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn resample_ffill_takes_the_last_stamp_before_midnight() {
        // Thu 17th 23:00, Fri 18th 10:00 and 23:00, Mon 21st 00:00 (exactly at the label), Tue 22nd
        let t = [
            ts("2023-08-17 23:00:00"),
            ts("2023-08-18 10:00:00"),
            ts("2023-08-18 23:00:00"),
            ts("2023-08-21 00:00:00"),
            ts("2023-08-22 17:00:00"),
        ];
        let r = resample_business_day_ffill(&t, &[1.0, 2.0, NAN, 4.0, 5.0]);
        assert_eq!(
            r.dates,
            vec![
                d("2023-08-17"),
                d("2023-08-18"),
                d("2023-08-21"),
                d("2023-08-22")
            ]
        );
        // 17th 00:00: nothing yet; 18th: Thu's 1.0; 21st 00:00: the stamp at the label; 22nd: 4.0
        let v = r.values;
        assert!(v[0].is_nan());
        assert_eq!(&v[1..], &[1.0, 4.0, 4.0]);
        // Fri 18th's last value was NaN: Mon gets 4.0 only because a stamp sits on its label
        let r = resample_business_day_ffill(&t[..3], &[1.0, 2.0, NAN]);
        assert_eq!(r.dates.len(), 2);
        assert_eq!(r.values[1], 1.0);
        assert!(resample_business_day_ffill(&[], &[]).is_empty());
    }

    #[test]
    fn business_daily_stamps_are_relabelled() {
        // one stamp every business day at 23:00, across a weekend: pandas relabels
        let t = [
            ts("2023-08-17 23:00:00"),
            ts("2023-08-18 23:00:00"),
            ts("2023-08-21 23:00:00"),
            ts("2023-08-22 23:00:00"),
        ];
        let r = resample_business_day_ffill(&t, &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(r.values, vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(r.dates[2], d("2023-08-21"));
        // a missing day (no weekend gap pattern) → lookup
        let r = resample_business_day_ffill(&[t[0], t[1], t[3]], &[1.0, 2.0, 4.0]);
        assert!(r.values[0].is_nan());
        assert_eq!(&r.values[1..], &[1.0, 2.0, 2.0]);
    }

    #[test]
    fn deflator_is_relative_to_the_last_volatility() {
        // daily stamps at 23:00 on business days with a holiday (so no relabelling)
        let days = business_days(d("2023-01-02"), d("2023-03-31"));
        let days: Vec<NaiveDate> = days.into_iter().filter(|&x| x != d("2023-01-16")).collect();
        let t: Vec<Timestamp> = days
            .iter()
            .map(|&x| Timestamp::from_date(x).plus_seconds(23 * 3600))
            .collect();
        let v: Vec<f64> = (0..t.len()).map(|i| 100.0 + (i * i % 7) as f64).collect();
        let deflator = cost_deflator(&t, &v);
        assert_eq!(*deflator.values.last().unwrap(), 1.0);
        // label 0 has no price; returns start at label 2; 3 returns by label 4
        assert!(deflator.values[..4].iter().all(|x| x.is_nan()));
        assert!(deflator.values[4].is_finite());
        let on = deflator_on_dates(
            &deflator,
            &[d("2022-12-30"), d("2023-01-06"), d("2023-01-07")],
        );
        assert_eq!(on[0], MISSING_COST_DEFLATOR);
        assert_eq!(on[1], deflator.values[4]);
        assert_eq!(on[2], on[1]);
    }

    #[test]
    fn constants() {
        // CORN in the reference: 10.92 USD per contract, last value 0.050925 of 500k capital
        let c = cost_per_notional_weight_as_proportion_of_capital(10.92, 1.0, 0.050925, 500_000.0);
        assert_eq!(c, 0.0004288659793814433);
        assert_eq!(last_value(&[1.0, 2.0, NAN]), 2.0);
        assert!(last_value(&[NAN]).is_nan());
        assert_eq!(cost_per_contract_in_base_ccy(6.8, 1.0843), 1.0843 * 6.8);
    }
}
