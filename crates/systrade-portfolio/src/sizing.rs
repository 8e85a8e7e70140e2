//! Position sizing by volatility targeting (spec §3.6, pysystemtrade `systems/positionsizing.py`).
//!
//! Per instrument, on the daily (business-day) index of its prices and forecasts:
//! block value → instrument currency vol → instrument value vol (base currency) → volatility scalar
//! (the position at forecast 10) → subsystem position.

use crate::fx::fx_on_dates;
use systrade_model::FxRates;
use systrade_series::index::intersection;
use systrade_series::{DailySeries as Series, ffill};
use systrade_series::{reindex, reindex_ffill};

/// √256: business days per year under the square root (spec §8 item 1).
pub const ROOT_BDAYS_INYEAR: f64 = 16.0;

/// Default average absolute forecast (spec §8 item 3).
pub const AVERAGE_ABSOLUTE_FORECAST: f64 = 10.0;

/// The risk target of a system: notional capital and annualised percentage volatility target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VolTarget {
    /// `notional_trading_capital`, in base currency (default 1,000,000).
    pub notional_trading_capital: f64,
    /// `percentage_vol_target`, e.g. 16.0 for 16 % (default).
    pub percentage_vol_target: f64,
}

impl Default for VolTarget {
    fn default() -> Self {
        Self {
            notional_trading_capital: 1_000_000.0,
            percentage_vol_target: 16.0,
        }
    }
}

impl VolTarget {
    /// `annual_cash_vol_target = notional_trading_capital × percentage_vol_target / 100`.
    pub fn annual_cash_vol_target(&self) -> f64 {
        self.notional_trading_capital * self.percentage_vol_target / 100.0
    }

    /// `daily_cash_vol_target = annual_cash_vol_target / 16`.
    pub fn daily_cash_vol_target(&self) -> f64 {
        self.annual_cash_vol_target() / ROOT_BDAYS_INYEAR
    }
}

/// Block value, the value of a 1 % move in one contract:
/// `block_value = price.ffill() × value_of_block_price_move × 0.01`.
pub fn block_value(price: &[f64], value_of_block_price_move: f64) -> Vec<f64> {
    ffill(price)
        .into_iter()
        .map(|p| p * value_of_block_price_move * 0.01)
        .collect()
}

/// Instrument currency vol, the daily cash vol of one contract:
/// `instrument_currency_vol = block_value.ffill() × daily_percentage_volatility`, both on the same
/// index (pysystemtrade inner-joins them; align first).
pub fn instrument_currency_vol(
    block_value: &[f64],
    daily_percentage_volatility: &[f64],
) -> Vec<f64> {
    assert_eq!(
        block_value.len(),
        daily_percentage_volatility.len(),
        "aligned inputs"
    );
    ffill(block_value)
        .into_iter()
        .zip(daily_percentage_volatility)
        .map(|(b, v)| b * v)
        .collect()
}

/// Instrument value vol, the daily cash vol of one contract in base currency:
/// `instrument_value_vol = instrument_currency_vol.ffill() × fx.reindex(index, method="ffill")`.
pub fn instrument_value_vol(instrument_currency_vol: &Series, fx_rate: &FxRates) -> Vec<f64> {
    let fx = fx_on_dates(fx_rate, &instrument_currency_vol.dates).values;
    ffill(&instrument_currency_vol.values)
        .into_iter()
        .zip(fx)
        .map(|(v, f)| v * f)
        .collect()
}

/// Volatility scalar ("average position": contracts held at forecast 10):
/// `vol_scalar = daily_cash_vol_target / instrument_value_vol`.
pub fn volatility_scalar(daily_cash_vol_target: f64, instrument_value_vol: &[f64]) -> Vec<f64> {
    instrument_value_vol
        .iter()
        .map(|v| daily_cash_vol_target / v)
        .collect()
}

/// Subsystem position, the position if all capital were in this instrument:
/// `subsystem_position = vol_scalar.reindex(forecast.index, ffill) × forecast / average_absolute_forecast`;
/// negative values set to 0 when the instrument is long-only.
pub fn subsystem_position(
    vol_scalar: &Series,
    combined_forecast: &Series,
    average_absolute_forecast: f64,
    long_only: bool,
) -> Vec<f64> {
    let vs = reindex_ffill(
        &vol_scalar.dates,
        &vol_scalar.values,
        &combined_forecast.dates,
    );
    vs.into_iter()
        .zip(&combined_forecast.values)
        .map(|(v, f)| {
            let p = v * f / average_absolute_forecast;
            if long_only && p < 0.0 { 0.0 } else { p }
        })
        .collect()
}

/// Everything position sizing produces for one instrument, on the forecast's index.
#[derive(Debug, Clone, PartialEq)]
pub struct SizedInstrument {
    pub block_value: Series,
    pub instrument_currency_vol: Series,
    pub instrument_value_vol: Series,
    pub volatility_scalar: Series,
    pub subsystem_position: Series,
}

/// Inputs of [`size_instrument`].
#[derive(Debug, Clone, Copy)]
pub struct SizingInputs<'a> {
    /// Daily (business-day) prices, used as the denominator price for the block value.
    pub daily_price: &'a Series,
    /// `daily_percentage_volatility` (percent per day) on its own index.
    pub daily_percentage_volatility: &'a Series,
    /// Rate converting instrument currency into base currency.
    pub fx_rate: &'a FxRates,
    /// Combined forecast (after FDM and cap).
    pub combined_forecast: &'a Series,
    /// `Pointsize`.
    pub value_of_block_price_move: f64,
    pub long_only: bool,
}

/// The whole §3.6 chain for one instrument.
pub fn size_instrument(inputs: SizingInputs<'_>, target: VolTarget) -> SizedInstrument {
    let price = inputs.daily_price;
    let bv = Series::new(
        price.dates.clone(),
        block_value(&price.values, inputs.value_of_block_price_move),
    );
    // inner join of block value and percentage vol
    let pv = inputs.daily_percentage_volatility;
    let dates = intersection(&bv.dates, &pv.dates);
    let b = reindex(&bv.dates, &bv.values, &dates);
    let v = reindex(&pv.dates, &pv.values, &dates);
    let icv = Series::new(dates, instrument_currency_vol(&b, &v));
    let ivv = Series::new(
        icv.dates.clone(),
        instrument_value_vol(&icv, inputs.fx_rate),
    );
    let vs = Series::new(
        ivv.dates.clone(),
        volatility_scalar(target.daily_cash_vol_target(), &ivv.values),
    );
    let pos = Series::new(
        inputs.combined_forecast.dates.clone(),
        subsystem_position(
            &vs,
            inputs.combined_forecast,
            AVERAGE_ABSOLUTE_FORECAST,
            inputs.long_only,
        ),
    );
    SizedInstrument {
        block_value: bv,
        instrument_currency_vol: icv,
        instrument_value_vol: ivv,
        volatility_scalar: vs,
        subsystem_position: pos,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spec §8 items 5 and 6: default config, USD instrument in a USD account, Pointsize 5, price 4500,
    /// daily price vol 45 points = 1 %.
    #[test]
    fn worked_sizing_example() {
        let target = VolTarget::default();
        assert_eq!(target.annual_cash_vol_target(), 160_000.0);
        assert_eq!(target.daily_cash_vol_target(), 10_000.0);
        let book = VolTarget {
            notional_trading_capital: 250_000.0,
            percentage_vol_target: 20.0,
        };
        assert_eq!(book.daily_cash_vol_target(), 3_125.0);

        let bv = block_value(&[4500.0], 5.0);
        assert!((bv[0] - 225.0).abs() < 1e-12);
        let icv = instrument_currency_vol(&bv, &[1.0]);
        assert!((icv[0] - 225.0).abs() < 1e-12);
        let vs = volatility_scalar(target.daily_cash_vol_target(), &icv);
        assert!((vs[0] - 44.444_444_444_444_44).abs() < 1e-9);
        let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
        let pos = subsystem_position(
            &Series::new(vec![d], vs.clone()),
            &Series::new(vec![d], vec![10.0]),
            AVERAGE_ABSOLUTE_FORECAST,
            false,
        );
        assert!((pos[0] - 44.444_444_444_444_44).abs() < 1e-9);
        let notional = pos[0] * 0.1 * 1.5;
        assert!((notional - 6.666_666_666_666_667).abs() < 1e-9);
        let buffer = 0.1 * (vs[0] * 0.1 * 1.5).abs();
        assert!((buffer - 0.666_666_666_666_666_7).abs() < 1e-9);
        let (top, bottom) = (notional + buffer, notional - buffer);
        assert!((top - 7.333_333_333_333_333).abs() < 1e-9);
        assert!((bottom - 6.0).abs() < 1e-9);
        assert_eq!(
            (top.round_ties_even(), bottom.round_ties_even()),
            (7.0, 6.0)
        );
    }

    #[test]
    fn long_only_floors_at_zero() {
        let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
        let vs = Series::new(vec![d], vec![2.0]);
        let f = Series::new(vec![d], vec![-5.0]);
        assert_eq!(subsystem_position(&vs, &f, 10.0, true), vec![0.0]);
        assert_eq!(subsystem_position(&vs, &f, 10.0, false), vec![-1.0]);
    }
}
