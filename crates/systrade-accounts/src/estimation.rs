//! The returns pysystemtrade estimates weights from (issue 17): the P&L of each trading rule's
//! forecast traded alone (`systems/accounts/account_forecast.py`, `pandl_for_instrument_forecast`)
//! with its Sharpe-ratio cost (`systems/accounts/account_costs.py`), and each instrument's
//! subsystem P&L (`systems/accounts/account_subsystem.py`, `pandl_for_subsystem`). Pure
//! functions over series the caller supplies.

use crate::buffering::{BufferWalk, buffered_position, unbuffered_position};
use crate::curves::{
    CashCostParams, Curves, SrCostParams, instrument_account_cash_costs,
    instrument_account_sr_costs,
};
use crate::pandl::PandlInputs;
use crate::stats::{BUSINESS_DAYS_IN_YEAR, turnover};
use systrade_model::FxRates;
use systrade_portfolio::portfolio::{BufferMethod, apply_buffers_to_position, buffer};
use systrade_series::DailySeries;

/// What valuing one instrument's forecasts needs.
#[derive(Debug, Clone, Copy)]
pub struct ForecastAccountInputs<'a> {
    /// Daily (business-day) prices (`get_daily_prices`).
    pub price: &'a DailySeries,
    /// `daily_returns_volatility` in price points.
    pub daily_returns_volatility: &'a DailySeries,
    pub fx: &'a FxRates,
    /// `value_of_block_price_move`.
    pub value_per_point: f64,
    /// `notional_trading_capital`.
    pub capital: f64,
    /// Annual risk target as a fraction (`percentage_vol_target / 100`).
    pub risk_target: f64,
    /// `target_abs_forecast` (the forecast scaling target, 10).
    pub target_abs_forecast: f64,
}

/// The base-currency gross and SR-cost curves (business days) of one forecast traded alone
/// (`pandl_for_instrument_forecast`): the average position `capital × risk_target / 16 /
/// (daily_returns_volatility × value_per_point)`, forward-filled onto the forecast's dates and
/// scaled by `forecast / target_abs_forecast`; valued on the prices forward-filled onto the
/// forecast's dates with the one-day delayed fill, unrounded, and an annual SR cost `annual_sr_cost`
/// charged as a daily drag ([`crate::costs::sr_costs_in_points`]).
pub fn forecast_account(
    forecast: &DailySeries,
    inputs: ForecastAccountInputs<'_>,
    annual_sr_cost: f64,
) -> Curves {
    let daily_cash_vol_target = inputs.capital * (inputs.risk_target / 16.0);
    let average = inputs.daily_returns_volatility.map(|v| {
        let instrument_currency_vol = v * inputs.value_per_point;
        daily_cash_vol_target / instrument_currency_vol
    });
    let on_forecast = average.reindex_ffill(&forecast.dates);
    let position = forecast.with_values(
        on_forecast
            .values
            .iter()
            .zip(&forecast.values)
            .map(|(a, f)| a * (f / inputs.target_abs_forecast))
            .collect(),
    );
    let price = if inputs.price.dates == forecast.dates {
        inputs.price.clone()
    } else {
        inputs.price.reindex_ffill(&forecast.dates)
    };
    instrument_account_sr_costs(
        PandlInputs {
            price: &price,
            positions: &position,
            fx: inputs.fx,
            value_per_point: inputs.value_per_point,
            capital: inputs.capital,
            delay_fill: true,
            round_positions: false,
        },
        SrCostParams {
            daily_returns_volatility: inputs.daily_returns_volatility,
            average_position: &average,
            annual_sr_cost,
        },
    )
    .base
}

/// Annualised turnover of one forecast (`_forecast_turnover_for_individual_instrument`:
/// `turnover(forecast, average_absolute_forecast)`): `256 × mean |Δ(forecast / average)|` over the
/// business days, NaN changes skipped.
pub fn forecast_turnover(forecast: &DailySeries, average_absolute_forecast: f64) -> f64 {
    let mut sum = 0.0;
    let mut n = 0usize;
    for w in forecast.values.windows(2) {
        let d = (w[1] / average_absolute_forecast - w[0] / average_absolute_forecast).abs();
        if !d.is_nan() {
            sum += d;
            n += 1;
        }
    }
    if n == 0 {
        return f64::NAN;
    }
    sum / n as f64 * BUSINESS_DAYS_IN_YEAR
}

/// The turnover of a rule averaged over instruments, weighted by the length of each one's
/// forecast (`_forecast_turnover_for_list`, `calculate_weighted_average_with_nans`): pairs with a
/// NaN turnover or weight are left out and the other weights re-normalised; 0.0 when none is left.
pub fn pooled_turnover(turnovers: &[f64], forecast_lengths: &[usize]) -> f64 {
    let total: f64 = forecast_lengths.iter().map(|&l| l as f64).sum();
    let weights: Vec<f64> = forecast_lengths.iter().map(|&l| l as f64 / total).collect();
    let usable: Vec<(f64, f64)> = weights
        .iter()
        .zip(turnovers)
        .filter(|(w, t)| !w.is_nan() && !t.is_nan())
        .map(|(w, t)| (*w, *t))
        .collect();
    let sum_w: f64 = usable.iter().map(|(w, _)| w).sum();
    if usable.is_empty() || sum_w == 0.0 {
        return 0.0;
    }
    let multiplier = 1.0 / sum_w;
    usable.iter().map(|(w, t)| (w * multiplier) * t).sum()
}

/// The annual SR cost of trading one rule's forecast on one instrument
/// (`get_SR_cost_for_instrument_forecast` without pooled costs): `turnover × SR_cost_per_trade`
/// plus the holding cost `rolls_per_year × 2 × SR_cost_per_trade`.
pub fn forecast_sr_cost(sr_cost_per_trade: f64, turnover: f64, rolls_per_year: usize) -> f64 {
    let transaction = turnover * sr_cost_per_trade;
    let holding = (rolls_per_year as f64 * 2.0) * sr_cost_per_trade;
    transaction + holding
}

/// What valuing one instrument's subsystem needs (`pandl_for_subsystem` with cash costs).
#[derive(Debug, Clone, Copy)]
pub struct SubsystemInputs<'a> {
    pub price: &'a DailySeries,
    /// `get_subsystem_position` (the position with all capital in this instrument).
    pub subsystem_position: &'a DailySeries,
    /// `get_average_position_at_subsystem_level` (the volatility scalar).
    pub volatility_scalar: &'a DailySeries,
    pub fx: &'a FxRates,
    pub value_per_point: f64,
    pub capital: f64,
    pub costs: CashCostParams,
    pub buffer_method: BufferMethod,
    pub buffer_size: f64,
    pub buffer_trade_to_edge: bool,
}

/// The base-currency curves of one subsystem (`pandl_across_subsystems(roundpositions=True)`):
/// the buffered subsystem position (`get_buffered_subsystem_position`: buffers around the
/// subsystem position at weight 1 and IDM 1, rounded walk; rounded optimal position with
/// `buffer_method: none`), valued with the one-day delayed fill and cash costs.
///
/// Holding costs are charged in full: pysystemtrade 1.80's subsystem P&L does not pass
/// `multiply_roll_costs_by` to its cash-cost calculator, whose default is 1.0, so
/// `inputs.costs.multiply_roll_costs_by` is not used here.
pub fn subsystem_account(inputs: SubsystemInputs<'_>) -> Curves {
    let optimal = inputs.subsystem_position;
    let buffered = if inputs.buffer_method == BufferMethod::None {
        unbuffered_position(optimal, true)
    } else {
        let b = buffer(
            inputs.buffer_method,
            inputs.buffer_size,
            optimal,
            inputs.volatility_scalar,
            None,
            None,
        );
        let edges = apply_buffers_to_position(optimal, &b);
        buffered_position(
            optimal,
            &edges.top,
            &edges.bottom,
            BufferWalk {
                round_positions: true,
                trade_to_edge: inputs.buffer_trade_to_edge,
            },
        )
    };
    instrument_account_cash_costs(
        PandlInputs {
            price: inputs.price,
            positions: &buffered,
            fx: inputs.fx,
            value_per_point: inputs.value_per_point,
            capital: inputs.capital,
            delay_fill: true,
            round_positions: true,
        },
        CashCostParams {
            multiply_roll_costs_by: 1.0,
            ..inputs.costs
        },
    )
    .base
}

/// A subsystem's turnover (`subsystem_turnover`): the subsystem position against the volatility
/// scalar.
pub fn subsystem_turnover(
    subsystem_position: &DailySeries,
    volatility_scalar: &DailySeries,
) -> f64 {
    turnover(subsystem_position, volatility_scalar)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use systrade_model::Timestamp;

    fn s(values: Vec<f64>) -> DailySeries {
        // 2024-01-01 is a Monday
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        DailySeries::new(
            (0..values.len() as u64)
                .map(|i| start + chrono::Days::new(i))
                .collect(),
            values,
        )
    }

    #[test]
    fn forecast_pandl_by_hand() {
        let price = s(vec![100.0, 102.0, 101.0, 104.0]);
        let vol = s(vec![2.0, 2.0, 4.0, 4.0]);
        let forecast = s(vec![10.0, 20.0, -10.0, 0.0]);
        let fx = FxRates::new(vec![Timestamp::from_date(price.dates[0])], vec![1.0]);
        let c = forecast_account(
            &forecast,
            ForecastAccountInputs {
                price: &price,
                daily_returns_volatility: &vol,
                fx: &fx,
                value_per_point: 5.0,
                capital: 1600.0,
                risk_target: 0.2,
                target_abs_forecast: 10.0,
            },
            0.0,
        );
        // average position 1600 × 0.2/16 / (vol × 5) = 20 / (5 vol): 2, 2, 1, 1
        // positions 2, 4, -1, 0; held one day later: P&L 5 × (pos_{t-2} × Δp_t)
        // t1: pos used at t0 is NaN → 0; t2: 2 × (−1) × 5 = −10; t3: 4 × 3 × 5 = 60
        assert_eq!(c.gross.values, vec![0.0, 0.0, -10.0, 60.0]);
        assert!(c.costs.values.iter().all(|v| *v == 0.0 || v.is_nan()));
    }

    #[test]
    fn turnover_and_pooling() {
        let f = s(vec![f64::NAN, 10.0, 20.0, 10.0]);
        assert_eq!(forecast_turnover(&f, 10.0), 256.0);
        assert_eq!(pooled_turnover(&[1.0, 3.0], &[1, 3]), 0.25 + 2.25);
        assert_eq!(pooled_turnover(&[f64::NAN, 3.0], &[1, 3]), 3.0);
        assert_eq!(pooled_turnover(&[f64::NAN], &[1]), 0.0);
        assert_eq!(forecast_sr_cost(0.01, 5.0, 4), 0.05 + 0.08);
    }
}
