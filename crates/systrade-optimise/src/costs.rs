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
//!   `deflator = vol / vol[last]`. [`cost_deflator`] (the accounts' deflator over
//!   systrade-series' [`resample_business_day_ffill`]).
//! - On the optimiser's dates: `deflator.reindex(common_index).ffill()`, NaN → 10000 (trading is
//!   prohibitively expensive until the rolling std has 3 points). [`deflator_on_dates`].
//! - Cost per unit of weight on a date: `constant × deflator`.
//!
//! This is the backtest's way (`optimisedPositions`). pysystemtrade's production strategy
//! (`sysexecution/strategies/dynamic_optimised_positions.py`) instead takes the cost of one contract
//! at the current price over the **current** per-contract value, without a deflator, with a cost
//! multiplier of 1 there and `shadow_cost × cost_multiplier` as the shadow cost.

use chrono::NaiveDate;
use systrade_model::Timestamp;
use systrade_series::{DailySeries, ffill, resample_business_day_ffill};

/// The value a missing cost deflator takes on the optimiser's dates.
pub const MISSING_COST_DEFLATOR: f64 = 10000.0;

/// `calculate_cost_deflator(raw price)`: the P&L cost deflator of systrade-accounts
/// ([`systrade_accounts::costs::cost_deflator`]) over the raw prices moved to business days with
/// [`resample_business_day_ffill`] (see the module docs).
pub fn cost_deflator(timestamps: &[Timestamp], values: &[f64]) -> DailySeries {
    systrade_accounts::costs::cost_deflator(&resample_business_day_ffill(timestamps, values))
}

/// `get_cost_deflator`'s alignment: `deflator.reindex(dates).ffill()`, NaN → 10000.
pub fn deflator_on_dates(deflator: &DailySeries, dates: &[NaiveDate]) -> Vec<f64> {
    let aligned = systrade_series::reindex(&deflator.dates, &deflator.values, dates);
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
    use systrade_series::business_days;

    const NAN: f64 = f64::NAN;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
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
