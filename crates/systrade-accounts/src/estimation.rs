//! The returns pysystemtrade estimates weights from (issue 17): the P&L of each trading rule's
//! forecast traded alone (`systems/accounts/account_forecast.py`, `pandl_for_instrument_forecast`)
//! with its Sharpe-ratio cost (`systems/accounts/account_costs.py`), and each instrument's
//! subsystem P&L (`systems/accounts/account_subsystem.py`, `pandl_for_subsystem`). Pure
//! functions over series the caller supplies.
//!
//! The SR cost of trading a rule lives here once, for estimation and for the cost ceiling
//! (`forecast_post_ceiling_cost_SR`, `systems/forecast_combine.py`
//! `cheap_trading_rules_post_processing`) alike, in annual Sharpe-ratio units for instrument `i`:
//!
//! ```text
//! SR cost      = transaction + holding                                  (sr_cost_of_forecast)
//! holding      = SR_cost_per_trade_i × rolls_per_year_i × 2             (costs::holding_sr_cost)
//! transaction  = turnover_i × SR_cost_per_trade_i                       (use_pooled_costs: false)
//!              = Σ_j (len_j / Σ len) × turnover_j × SR_cost_per_trade_j (use_pooled_costs: true)
//! turnover_j   = 256 × mean |Δ(capped forecast / average_absolute_forecast)|  (forecast_turnover)
//!                or, with use_pooled_turnover, its length-weighted mean over the pool
//!                (pooled_turnover)
//! ```
//!
//! The pool (`has_same_rules_as_code`) is the system's instruments with the same rule list as `i`;
//! `SR_cost_per_trade` is [`crate::costs::sr_cost_per_trade`].

use crate::buffering::{BufferWalk, buffered_position, unbuffered_position};
use crate::costs::holding_sr_cost;
use crate::curves::{
    CashCostParams, Curves, SrCostParams, instrument_account_cash_costs,
    instrument_account_sr_costs,
};
use crate::pandl::PandlInputs;
use crate::stats::{BUSINESS_DAYS_IN_YEAR, pandas_mean, turnover};
use chrono::NaiveDate;
use systrade_estimate::diversification::WeightHistory;
pub use systrade_estimate::over_time::PeriodWeights;
use systrade_estimate::over_time::{
    CorrelationOverTime, CorrelationsOverTime, OptimiserSettings, optimise_over_time,
};
use systrade_estimate::returns::{PreProcessing, ReturnsWithCosts, pre_process};
use systrade_estimate::smoothing::{DailyWeights, smoothed_weights, unsmoothed_weights};
use systrade_estimate::{DataFrame, EstimateError, dm_over_time};
use systrade_model::{FxRates, Timestamp};
use systrade_portfolio::portfolio::{BufferMethod, apply_buffers_to_position, buffer};
use systrade_series::{DailySeries, business_days, resample_business_day_last};

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
/// `turnover(forecast, average_absolute_forecast)`, `syscore/pandas/strategy_functions.py`): the
/// forecast resampled to business days (`resample("1B").last()`, NaN on days without a value),
/// divided by `average_absolute_forecast`, `256 × mean |day-to-day change|` (pandas `mean`: changes
/// touching a NaN left out). NaN when no two consecutive business days both have a value.
pub fn forecast_turnover(forecast: &DailySeries, average_absolute_forecast: f64) -> f64 {
    let (Some(&first), Some(&last)) = (forecast.dates.first(), forecast.dates.last()) else {
        return f64::NAN;
    };
    let resampled;
    let daily = if business_days(first, last) == forecast.dates {
        &forecast.values
    } else {
        let stamps: Vec<Timestamp> = forecast
            .dates
            .iter()
            .map(|d| Timestamp::from_date(*d))
            .collect();
        resampled = resample_business_day_last(&stamps, &forecast.values);
        &resampled.values
    };
    let changes: Vec<f64> = daily
        .windows(2)
        .map(|w| (w[1] / average_absolute_forecast - w[0] / average_absolute_forecast).abs())
        .collect();
    pandas_mean(&changes) * BUSINESS_DAYS_IN_YEAR
}

/// Each instrument's weight in a pool, in proportion to the length of its forecast of the rule
/// (`_get_forecast_length_weighting_for_list_of_instruments`; pandas `len`, NaN rows included).
pub fn length_weights(forecast_lengths: &[usize]) -> Vec<f64> {
    let total: f64 = forecast_lengths.iter().map(|&l| l as f64).sum();
    forecast_lengths.iter().map(|&l| l as f64 / total).collect()
}

/// The turnover of a rule averaged over instruments, weighted by the length of each one's
/// forecast (`_forecast_turnover_for_list`, `calculate_weighted_average_with_nans`): pairs with a
/// NaN turnover or weight are left out and the other weights re-normalised; 0.0 when none is left.
pub fn pooled_turnover(turnovers: &[f64], forecast_lengths: &[usize]) -> f64 {
    let weights = length_weights(forecast_lengths);
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
/// plus the holding cost `rolls_per_year × 2 × SR_cost_per_trade` — the same formula as an
/// instrument's [`crate::costs::annual_sr_cost`], which it is. Arguments: `(sr_cost_per_trade,
/// turnover, rolls_per_year)`.
pub use crate::costs::annual_sr_cost as forecast_sr_cost;

/// `forecast_cost_estimates` (`systems/accounts/account_costs.py`; pysystemtrade's defaults: costs
/// not pooled, turnover pooled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForecastCostEstimates {
    /// `use_pooled_costs`: the transaction cost is the length-weighted mean of the pool's
    /// transaction costs ([`sr_cost_of_forecast`]).
    pub use_pooled_costs: bool,
    /// `use_pooled_turnover`: each instrument's turnover is the pool's [`pooled_turnover`].
    pub use_pooled_turnover: bool,
}

impl Default for ForecastCostEstimates {
    fn default() -> Self {
        Self {
            use_pooled_costs: false,
            use_pooled_turnover: true,
        }
    }
}

/// What the SR cost of a rule needs of one instrument's forecast of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForecastCostInput {
    /// [`forecast_turnover`] of the capped forecast.
    pub turnover: f64,
    /// Rows of the capped forecast (pandas `len`, NaN rows included).
    pub length: usize,
    /// The instrument's [`crate::costs::sr_cost_per_trade`].
    pub sr_cost_per_trade: f64,
}

/// The annual SR cost of trading a rule on instrument `pool[own]`
/// (`get_SR_cost_for_instrument_forecast`) with the pooling `estimates` asks for. `pool` holds,
/// for every instrument with the same rule list as this one (`has_same_rules_as_code`, this one
/// included at index `own`), its [`ForecastCostInput`] for the rule; `rolls_per_year` is this
/// instrument's. Each instrument's turnover is its own or, with `use_pooled_turnover`, the
/// [`pooled_turnover`]; the cost is [`forecast_sr_cost`] of this instrument's, or with
/// `use_pooled_costs` `Σ_j length_weight_j × turnover_j × SR_cost_per_trade_j` (Python's `sum`,
/// in pool order) plus this instrument's [`holding_sr_cost`].
///
/// NaN when a number it needs is NaN; pysystemtrade then treats the rule as too expensive
/// ([`is_cheap_enough`]).
///
/// # Panics
/// When `own` is not an index of `pool`.
pub fn sr_cost_of_forecast(
    pool: &[ForecastCostInput],
    own: usize,
    rolls_per_year: usize,
    estimates: ForecastCostEstimates,
) -> f64 {
    let me = pool[own];
    let lengths: Vec<usize> = pool.iter().map(|p| p.length).collect();
    let pooled = estimates.use_pooled_turnover.then(|| {
        let turnovers: Vec<f64> = pool.iter().map(|p| p.turnover).collect();
        pooled_turnover(&turnovers, &lengths)
    });
    let turnover_of = |p: &ForecastCostInput| pooled.unwrap_or(p.turnover);
    if !estimates.use_pooled_costs {
        return forecast_sr_cost(me.sr_cost_per_trade, turnover_of(&me), rolls_per_year);
    }
    let transaction = length_weights(&lengths)
        .iter()
        .zip(pool)
        .map(|(w, p)| turnover_of(p) * p.sr_cost_per_trade * w)
        .fold(0.0, |a, x| a + x);
    transaction + holding_sr_cost(me.sr_cost_per_trade, rolls_per_year)
}

/// `rule_cost <= ceiling_cost_SR` (`_cheap_trading_rules_generic`): a NaN cost is not cheap enough.
pub fn is_cheap_enough(sr_cost: f64, ceiling: f64) -> bool {
    sr_cost <= ceiling
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

/// How instrument weights are estimated (`use_instrument_weight_estimates`,
/// `instrument_weight_estimate`).
#[derive(Debug, Clone, PartialEq)]
pub struct WeightEstimation {
    pub optimiser: OptimiserSettings,
    pub pre_processing: PreProcessing,
}

/// How a diversification multiplier is estimated (`use_*_div_mult_estimates`, the correlation
/// and div-mult estimate blocks).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DmEstimation {
    pub correlations: CorrelationOverTime,
    pub ewma_span: f64,
    pub dm_max: f64,
}

/// Estimation at portfolio level: instrument weights and/or the IDM (`None`: fixed).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InstrumentEstimation {
    pub weights: Option<WeightEstimation>,
    pub idm: Option<DmEstimation>,
}

/// What the portfolio-level estimation found, for reports and `backtest --output`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InstrumentEstimates {
    /// Raw instrument weights per fit period (with the estimates behind them).
    pub weight_periods: Option<Vec<PeriodWeights>>,
    /// The instrument correlations per fit period behind the IDM.
    pub idm_correlations: Option<CorrelationsOverTime>,
    /// The estimated IDM (smoothed, per business day).
    pub idm: Option<DailySeries>,
}

/// Per fit period the weights as one row per period start (names in `names` order; NaN where a
/// period has no weight for a name), as [`systrade_estimate::smoothing::unsmoothed_weights`]
/// reads them.
pub fn weight_history(periods: &[PeriodWeights], names: &[String]) -> WeightHistory {
    WeightHistory {
        index: periods.iter().map(|p| p.period.period_start).collect(),
        names: names.to_vec(),
        rows: periods
            .iter()
            .map(|p| {
                names
                    .iter()
                    .map(|n| p.weights.get(n).unwrap_or(f64::NAN))
                    .collect()
            })
            .collect(),
    }
}

/// Estimated instrument weights (`get_instrument_weights` with `use_instrument_weight_estimates`):
/// the subsystems' curves as one unpooled set of returns, the optimiser per fit period, the
/// per-period weights fitted to the subsystem positions (`positions`: the forward-filled
/// positions on `dates`, one column per instrument in `names` order) and smoothed with
/// `ewma_span`. Returns the daily weights and the per-period results.
///
/// # Errors
/// An estimation failure (no data, bad settings), as text.
pub fn estimated_instrument_weights(
    names: &[String],
    curves: &[&Curves],
    dates: &[NaiveDate],
    positions: &[Vec<f64>],
    estimation: &WeightEstimation,
    ewma_span: f64,
) -> Result<(DailyWeights, Vec<PeriodWeights>), EstimateError> {
    let gross: Vec<&DailySeries> = curves.iter().map(|c| &c.gross).collect();
    let costs: Vec<&DailySeries> = curves.iter().map(|c| &c.costs).collect();
    let assets = vec![(
        "asset".to_string(),
        ReturnsWithCosts::new(names.to_vec(), &gross, &costs),
    )];
    let returns = pre_process(&assets, &[], "asset", &estimation.pre_processing)?;
    let periods = optimise_over_time(&returns, &estimation.optimiser)?;
    let raw = weight_history(&periods, names);
    let index: Vec<Timestamp> = dates.iter().map(|d| Timestamp::from_date(*d)).collect();
    let unsmoothed = unsmoothed_weights(&raw, &index, positions)?;
    let smoothed = smoothed_weights(&unsmoothed, ewma_span)?;
    Ok((smoothed, periods))
}

/// The estimated IDM (`get_estimated_instrument_diversification_multiplier`): correlations over
/// time of the subsystems' daily net curves (`correlation_over_time_for_returns`), then the DM of
/// each period's correlations and the weights at its start, forward-filled onto the weights'
/// dates, ewm-smoothed and capped at `dm_max`.
///
/// # Errors
/// An estimation failure, as text.
pub fn estimated_idm(
    names: &[String],
    curves: &[&Curves],
    weights: &DailyWeights,
    estimation: &DmEstimation,
) -> Result<(DailySeries, CorrelationsOverTime), EstimateError> {
    let dates = systrade_series::index::union_all(curves.iter().map(|c| c.net.dates.as_slice()));
    let columns = curves
        .iter()
        .map(|c| systrade_series::reindex(&c.net.dates, &c.net.values, &dates))
        .collect();
    let frame = DataFrame::new(
        dates.iter().map(|d| Timestamp::from_date(*d)).collect(),
        names.to_vec(),
        columns,
    )?;
    let correlations = estimation.correlations.for_returns(&frame)?;
    let history = WeightHistory {
        index: weights
            .dates
            .iter()
            .map(|d| Timestamp::from_date(*d))
            .collect(),
        names: weights.names.clone(),
        rows: (0..weights.dates.len())
            .map(|t| weights.columns.iter().map(|c| c[t]).collect())
            .collect(),
    };
    let dm = dm_over_time(
        &correlations.periods,
        &correlations.matrices,
        &history,
        estimation.ewma_span,
        estimation.dm_max,
    )?;
    let idm = DailySeries::new(dm.index.iter().map(|t| t.date()).collect(), dm.values);
    Ok((idm, correlations))
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn turnover_on_business_days_by_hand() {
        // Mon..Fri: 10, 20, 20, NaN, 0 → /10: 1, 2, 2, NaN, 0; |Δ|: 1, 0, NaN, NaN → mean 0.5
        let days = [
            "2024-01-01",
            "2024-01-02",
            "2024-01-03",
            "2024-01-04",
            "2024-01-05",
        ];
        let f = DailySeries::new(days.map(d).to_vec(), vec![10.0, 20.0, 20.0, f64::NAN, 0.0]);
        assert_eq!(forecast_turnover(&f, 10.0), 0.5 * 256.0);
        // A missing business day (Thursday absent) is a NaN day: the same result.
        let g = DailySeries::new(
            ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-05"]
                .map(d)
                .to_vec(),
            vec![10.0, 20.0, 20.0, 0.0],
        );
        assert_eq!(forecast_turnover(&g, 10.0), 0.5 * 256.0);
        // Friday to Monday is one business day apart; a Saturday value is Friday's last.
        let h = DailySeries::new(
            ["2024-01-05", "2024-01-08"].map(d).to_vec(),
            vec![5.0, -5.0],
        );
        assert_eq!(forecast_turnover(&h, 10.0), 256.0);
        let sat = DailySeries::new(
            ["2024-01-05", "2024-01-06", "2024-01-08"].map(d).to_vec(),
            vec![0.0, 5.0, -5.0],
        );
        assert_eq!(forecast_turnover(&sat, 10.0), 256.0);
        let one = DailySeries::new(vec![d("2024-01-05")], vec![5.0]);
        assert!(forecast_turnover(&one, 10.0).is_nan());
    }

    fn input(turnover: f64, length: usize, sr_cost_per_trade: f64) -> ForecastCostInput {
        ForecastCostInput {
            turnover,
            length,
            sr_cost_per_trade,
        }
    }

    #[test]
    fn sr_cost_of_a_rule_by_hand() {
        let pool = [
            input(10.0, 100, 0.002),
            input(30.0, 300, 0.004),
            input(f64::NAN, 400, 0.001),
        ];
        let own = |estimates| sr_cost_of_forecast(&pool, 0, 4, estimates);
        let holding = 4.0 * 2.0 * 0.002;
        // nothing pooled: 10 × 0.002 + 4 rolls × 2 × 0.002
        let alone = ForecastCostEstimates {
            use_pooled_costs: false,
            use_pooled_turnover: false,
        };
        assert!((own(alone) - (0.02 + 0.016)).abs() < 1e-15);
        // pooled turnover: weights 1/8, 3/8, (NaN turnover left out), renormalised to 1/4, 3/4:
        // 2.5 + 22.5 = 25
        assert!((pooled_turnover(&[10.0, 30.0, f64::NAN], &[100, 300, 400]) - 25.0).abs() < 1e-12);
        assert!((own(ForecastCostEstimates::default()) - (25.0 * 0.002 + holding)).abs() < 1e-15);
        // pooled costs with pooled turnover: Σ w_j × 25 × cost_j, w = 1/8, 3/8, 1/2
        let both = ForecastCostEstimates {
            use_pooled_costs: true,
            use_pooled_turnover: true,
        };
        let want = 25.0 * (0.002 / 8.0 + 0.004 * 3.0 / 8.0 + 0.001 / 2.0) + holding;
        assert!((own(both) - want).abs() < 1e-15);
        // pooled costs with each instrument's own turnover: the NaN one makes the cost NaN,
        // which is never cheap enough
        let costs_only = ForecastCostEstimates {
            use_pooled_costs: true,
            use_pooled_turnover: false,
        };
        assert!(own(costs_only).is_nan());
        assert!(!is_cheap_enough(own(costs_only), 999.0));
        assert!(is_cheap_enough(0.13, 0.13));
        assert!(!is_cheap_enough(0.1300001, 0.13));
        // every turnover NaN: pooled turnover 0, only the holding cost is left
        let nan_pool = [input(f64::NAN, 10, 0.01)];
        assert_eq!(
            sr_cost_of_forecast(&nan_pool, 0, 1, ForecastCostEstimates::default()),
            0.02
        );
    }
}
