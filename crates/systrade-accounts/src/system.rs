//! The classic system from combined forecasts to portfolio statistics, one call
//! ([`run_system`]) for the `backtest` binary; `size-positions` can stop after the buffers.
//!
//! Per instrument: position sizing (§3.6); at portfolio level: instrument weights and IDM; per
//! instrument: notional position, buffers, buffered position, P&L with cash costs (§3.7–3.8);
//! then the portfolio curves. Fixed capital (pysystemtrade's default `fixed_capital`); for
//! compounding see [`systrade_portfolio::portfolio::capital_multiplier`].

use crate::buffering::{BufferWalk, buffered_position, unbuffered_position};
use crate::costs::{InstrumentCosts, annual_sr_cost, sr_cost_per_trade};
use crate::curves::{
    CashCostParams, InstrumentAccount, PortfolioAccount, SrCostParams,
    instrument_account_cash_costs, instrument_account_sr_costs, portfolio_account,
};
use crate::curves::{
    Curves, percent_of_capital, portfolio_account_of, portfolio_account_with_capital,
};
use crate::pandl::PandlInputs;
use crate::stats::turnover;
use rayon::prelude::*;
use std::sync::Arc;
use systrade_model::FxRates;
use systrade_portfolio::fx::fx_on_dates;
use systrade_portfolio::portfolio::{
    BufferMethod, CapitalMultiplier, PositionBuffers, apply_buffers_to_position,
    apply_capital_multiplier, average_position_at_portfolio_level, buffer, capital_multiplier,
    notional_position, notional_position_without_idm,
};
use systrade_portfolio::risk_overlay::{
    OverlayInstrument, RiskOverlayLimits, annualised_percentage_vol, daily_percentage_returns,
    per_contract_value_as_proportion_of_capital, portfolio_weight, risk_overlay, shocked_vol,
};
use systrade_portfolio::sizing::{SizedInstrument, SizingInputs, VolTarget, size_instrument};
use systrade_portfolio::weights::{
    InstrumentFrame, equal_weights, fixed_idm, fixed_instrument_weights,
};
use systrade_series::index::union_all;
use systrade_series::{DailySeries, WeeklyBins};

/// Market data, forecast and static data of one instrument.
#[derive(Debug, Clone)]
pub struct InstrumentInputs {
    pub code: String,
    /// Back-adjusted prices on business days (`resample("1B").last()`), for P&L.
    pub daily_price: DailySeries,
    /// Price of the contract held (multiple prices `PRICE`, business-day last), for block value.
    pub denominator_price: DailySeries,
    /// `daily_percentage_volatility`.
    pub daily_percentage_volatility: DailySeries,
    /// Combined forecast.
    pub combined_forecast: DailySeries,
    /// `daily_returns_volatility` (price points); needed for SR costs only.
    pub daily_returns_volatility: Option<DailySeries>,
    /// Instrument currency into base currency (shared by the instruments of one currency).
    pub fx: Arc<FxRates>,
    pub value_of_block_price_move: f64,
    pub costs: InstrumentCosts,
    pub rolls_per_year: usize,
    pub long_only: bool,
}

/// System parameters (pysystemtrade config keys in brackets).
#[derive(Debug, Clone, PartialEq)]
pub struct AccountsConfig {
    /// `notional_trading_capital`, `percentage_vol_target`.
    pub vol_target: VolTarget,
    /// `instrument_weights` in the order of the instruments; `None` = equal weights.
    pub instrument_weights: Option<Vec<f64>>,
    /// `instrument_div_multiplier` (default 1.0).
    pub idm: f64,
    /// `instrument_weight_ewma_span` (default 125).
    pub instrument_weight_ewma_span: f64,
    /// `buffer_method` (default forecast).
    pub buffer_method: BufferMethod,
    /// `buffer_size` (default 0.1).
    pub buffer_size: f64,
    /// `buffer_trade_to_edge` (default true).
    pub buffer_trade_to_edge: bool,
    /// Round positions (pysystemtrade's accounts default true).
    pub round_positions: bool,
    /// `multiply_roll_costs_by` (default 0.5).
    pub multiply_roll_costs_by: f64,
    /// `vol_normalise_currency_costs` (default true).
    pub vol_normalise_currency_costs: bool,
    /// `use_SR_costs` (default false: cash costs).
    pub costs: CostMethod,
    /// `risk_overlay` (default none: positions are not scaled). See
    /// [`systrade_portfolio::risk_overlay`].
    pub risk_overlay: Option<RiskOverlayLimits>,
}

/// How trading costs are charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CostMethod {
    /// Cash costs from fills and holding pseudo-fills (v1.80 default).
    #[default]
    Cash,
    /// Sharpe-ratio costs: a daily drag from turnover and rolls (`use_SR_costs: True`).
    Sr,
}

impl Default for AccountsConfig {
    fn default() -> Self {
        Self {
            vol_target: VolTarget::default(),
            instrument_weights: None,
            idm: 1.0,
            instrument_weight_ewma_span: 125.0,
            buffer_method: BufferMethod::Forecast,
            buffer_size: 0.1,
            buffer_trade_to_edge: true,
            round_positions: true,
            multiply_roll_costs_by: 0.5,
            vol_normalise_currency_costs: true,
            costs: CostMethod::Cash,
            risk_overlay: None,
        }
    }
}

/// Positions of one instrument (the `size-positions` output).
#[derive(Debug, Clone, PartialEq)]
pub struct InstrumentPositions {
    pub code: String,
    pub sizing: SizedInstrument,
    /// This instrument's smoothed, renormalised weight.
    pub instrument_weight: DailySeries,
    pub notional_position_without_idm: DailySeries,
    pub notional_position: DailySeries,
    /// Lower (`bottom`) and upper (`top`) edges of the no-trade zone.
    pub buffers: PositionBuffers,
    pub buffered_position: DailySeries,
    /// Position at forecast 10 after weight and IDM (for turnover and SR costs).
    pub average_position: DailySeries,
}

/// Positions of all instruments with the portfolio-level weights and IDM.
#[derive(Debug, Clone, PartialEq)]
pub struct PositionsResult {
    pub instrument_weights: InstrumentFrame,
    pub idm: DailySeries,
    /// The risk overlay's multiplier on the union of the positions' dates, when configured.
    pub risk_multiplier: Option<DailySeries>,
    pub instruments: Vec<InstrumentPositions>,
}

/// Everything computed for one instrument.
#[derive(Debug, Clone, PartialEq)]
pub struct InstrumentResult {
    pub code: String,
    pub sizing: SizedInstrument,
    pub notional_position_without_idm: DailySeries,
    pub notional_position: DailySeries,
    pub buffers: PositionBuffers,
    pub buffered_position: DailySeries,
    pub account: InstrumentAccount,
    /// Annualised turnover against the average position at portfolio level.
    pub turnover: f64,
}

/// Everything computed for the system.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemResult {
    pub instrument_weights: InstrumentFrame,
    pub idm: DailySeries,
    /// The risk overlay's multiplier, when configured.
    pub risk_multiplier: Option<DailySeries>,
    pub instruments: Vec<InstrumentResult>,
    pub portfolio: PortfolioAccount,
}

/// Sizing, weights, IDM, notional positions, buffers and buffered positions (§3.6–3.7) for all
/// instruments, per instrument in parallel. Instrument order is the weights' column order.
pub fn compute_positions(
    instruments: &[InstrumentInputs],
    config: &AccountsConfig,
) -> PositionsResult {
    let sized = size_all(instruments, config);
    let codes: Vec<String> = instruments.iter().map(|i| i.code.clone()).collect();
    let (weights, idm) = weights_and_idm(&codes, &sized, config);
    compute_positions_given(instruments, sized, weights, idm, config)
}

/// [`compute_positions`] from the sizing ([`size_all`]) and the instrument weights and IDM
/// already decided (e.g. estimated by [`estimate_weights_and_idm`]).
pub fn compute_positions_given(
    instruments: &[InstrumentInputs],
    sized: Vec<SizedInstrument>,
    weights: InstrumentFrame,
    idm: DailySeries,
    config: &AccountsConfig,
) -> PositionsResult {
    let codes: Vec<String> = instruments.iter().map(|i| i.code.clone()).collect();
    let risk_multiplier = config
        .risk_overlay
        .map(|limits| risk_multiplier(instruments, &sized, &weights, &idm, config, limits));
    let positions = codes
        .into_par_iter()
        .zip(sized)
        .map(|(code, sizing)| {
            let w = weights
                .series(&code)
                .expect("weight column for every instrument");
            positions_of(config, code, sizing, w, &idm, risk_multiplier.as_ref())
        })
        .collect();
    PositionsResult {
        instrument_weights: weights,
        idm,
        risk_multiplier,
        instruments: positions,
    }
}

/// [`compute_positions`] without holding every instrument's positions at once (for a caller
/// that writes them out, e.g. size-positions): the sizing of all instruments, their weights, IDM
/// and risk multiplier as there, then, in one parallel pass, each instrument's positions are
/// computed and handed to `f` with its index and its inputs, and released with them. Same
/// numbers as [`compute_positions`]. Of the sizing, only the subsystem position and the
/// volatility scalar are kept (the block value and the vols are empty), as in
/// [`run_system_lean`]. Returns what `f` returned, in instrument order.
pub fn for_each_instrument_positions<T: Send>(
    instruments: Vec<InstrumentInputs>,
    config: &AccountsConfig,
    f: impl Fn(usize, InstrumentInputs, InstrumentPositions, &DailySeries) -> T + Sync,
) -> Vec<T> {
    // each instrument's sizing reduced as soon as it is computed
    let sized: Vec<SizedInstrument> = instruments
        .par_iter()
        .map(|i| {
            let empty = DailySeries::new(Vec::new(), Vec::new());
            SizedInstrument {
                block_value: empty.clone(),
                instrument_currency_vol: empty.clone(),
                instrument_value_vol: empty,
                ..size_one(i, config)
            }
        })
        .collect();
    let codes: Vec<String> = instruments.iter().map(|i| i.code.clone()).collect();
    let (weights, idm) = weights_and_idm(&codes, &sized, config);
    let risk_multiplier = config
        .risk_overlay
        .map(|limits| risk_multiplier(&instruments, &sized, &weights, &idm, config, limits));
    assert_eq!(
        weights.instruments, codes,
        "weight columns in instrument order"
    );
    let InstrumentFrame {
        dates: weight_dates,
        columns: weight_columns,
        ..
    } = weights;
    instruments
        .into_par_iter()
        .zip(codes)
        .zip(sized)
        .zip(weight_columns)
        .enumerate()
        .map(|(i, (((inp, code), sizing), weight))| {
            let w = DailySeries::new(weight_dates.clone(), weight);
            let pos = positions_of(config, code, sizing, w, &idm, risk_multiplier.as_ref());
            f(i, inp, pos, &idm)
        })
        .collect()
}

/// The risk overlay's multiplier (§3.7, [`systrade_portfolio::risk_overlay`]) from the notional
/// positions before the overlay: per instrument (in parallel) its portfolio weights (position ×
/// denominator price × value of a block price move × FX / notional capital), annualised and
/// shocked standard deviations and weekly returns; then the portfolio measures date by date.
fn risk_multiplier(
    instruments: &[InstrumentInputs],
    sized: &[SizedInstrument],
    weights: &InstrumentFrame,
    idm: &DailySeries,
    config: &AccountsConfig,
    limits: RiskOverlayLimits,
) -> DailySeries {
    let capital = config.vol_target.notional_trading_capital;
    let return_dates = union_all(instruments.iter().map(|i| &i.daily_price.dates[..]));
    let bins = WeeklyBins::new(&return_dates);
    let stdev_until = instruments
        .iter()
        .filter_map(|i| i.daily_percentage_volatility.dates.last().copied())
        .max()
        .unwrap_or_default();
    let overlay: Vec<OverlayInstrument> = instruments
        .par_iter()
        .zip(sized)
        .map(|(inp, sizing)| {
            let w = weights
                .series(&inp.code)
                .expect("weight column for every instrument");
            let without_idm = notional_position_without_idm(&sizing.subsystem_position, &w);
            let before = notional_position(&without_idm, idm, None);
            assert_eq!(before.dates, sizing.subsystem_position.dates);
            let price = &inp.denominator_price;
            let fx = fx_on_dates(&inp.fx, &price.dates);
            let value = price.with_values(per_contract_value_as_proportion_of_capital(
                &price.values,
                &fx.values,
                inp.value_of_block_price_move,
                capital,
            ));
            let vol = &inp.daily_percentage_volatility;
            let stdev = annualised_percentage_vol(&vol.values);
            let returns = daily_percentage_returns(&inp.daily_price, &inp.denominator_price);
            OverlayInstrument {
                weight_dates: &sizing.subsystem_position.dates,
                weight: portfolio_weight(&before, &value),
                stdev_dates: &vol.dates,
                shocked_stdev: shocked_vol(&vol.dates, &stdev, stdev_until),
                stdev,
                weekly_returns: bins.weekly_returns(&return_dates, &returns),
            }
        })
        .collect();
    risk_overlay(
        &overlay,
        &bins.labels,
        limits,
        config.vol_target.percentage_vol_target,
    )
    .multiplier
}

/// Position sizing of every instrument (§3.6), in parallel.
pub fn size_all(instruments: &[InstrumentInputs], config: &AccountsConfig) -> Vec<SizedInstrument> {
    instruments
        .par_iter()
        .map(|i| size_one(i, config))
        .collect()
}

fn size_one(i: &InstrumentInputs, config: &AccountsConfig) -> SizedInstrument {
    size_instrument(
        SizingInputs {
            daily_price: &i.denominator_price,
            daily_percentage_volatility: &i.daily_percentage_volatility,
            fx_rate: &i.fx,
            combined_forecast: &i.combined_forecast,
            value_of_block_price_move: i.value_of_block_price_move,
            long_only: i.long_only,
        },
        config.vol_target,
    )
}

/// Instrument weights (fixed, smoothed over the subsystem positions' dates) and the IDM.
fn weights_and_idm(
    codes: &[String],
    sized: &[SizedInstrument],
    config: &AccountsConfig,
) -> (InstrumentFrame, DailySeries) {
    let fixed = config
        .instrument_weights
        .clone()
        .unwrap_or_else(|| equal_weights(codes));
    let subsystem: Vec<(String, DailySeries)> = codes
        .iter()
        .cloned()
        .zip(sized.iter().map(|s| s.subsystem_position.clone()))
        .collect();
    let weights = fixed_instrument_weights(&fixed, &subsystem, config.instrument_weight_ewma_span);
    let idm = fixed_idm(config.idm, &weights.dates);
    (weights, idm)
}

/// Estimated instrument weights and/or IDM (issue 17; pysystemtrade `systems/portfolio.py`):
/// each subsystem's P&L ([`crate::estimation::subsystem_account`]: buffered subsystem position,
/// rounded, cash costs), then the weights fitted per period and smoothed over the subsystem
/// positions ([`crate::estimation::estimated_instrument_weights`]) or the fixed ones, and the IDM
/// from the subsystems' correlations and those weights ([`crate::estimation::estimated_idm`]) or
/// the fixed one. Instrument order is `instruments` order.
///
/// # Errors
/// An estimation failure (no data to estimate from, bad settings).
pub fn estimate_weights_and_idm(
    instruments: &[InstrumentInputs],
    sized: &[SizedInstrument],
    config: &AccountsConfig,
    estimation: &crate::estimation::InstrumentEstimation,
) -> Result<
    (
        InstrumentFrame,
        DailySeries,
        crate::estimation::InstrumentEstimates,
    ),
    systrade_estimate::EstimateError,
> {
    use crate::estimation::{
        InstrumentEstimates, SubsystemInputs, estimated_idm, estimated_instrument_weights,
        subsystem_account,
    };
    let codes: Vec<String> = instruments.iter().map(|i| i.code.clone()).collect();
    let capital = config.vol_target.notional_trading_capital;
    let curves: Vec<Curves> = instruments
        .par_iter()
        .zip(sized)
        .map(|(inp, s)| {
            subsystem_account(SubsystemInputs {
                price: &inp.daily_price,
                subsystem_position: &s.subsystem_position,
                volatility_scalar: &s.volatility_scalar,
                fx: &inp.fx,
                value_per_point: inp.value_of_block_price_move,
                capital,
                costs: cash_params(inp, config),
                buffer_method: config.buffer_method,
                buffer_size: config.buffer_size,
                buffer_trade_to_edge: config.buffer_trade_to_edge,
            })
        })
        .collect();
    let curve_refs: Vec<&Curves> = curves.iter().collect();
    let mut estimates = InstrumentEstimates::default();
    let weights = match &estimation.weights {
        Some(w) => {
            let subsystem: Vec<(String, DailySeries)> = codes
                .iter()
                .cloned()
                .zip(sized.iter().map(|s| s.subsystem_position.clone()))
                .collect();
            let positions = systrade_portfolio::weights::subsystem_positions_frame(&subsystem);
            let (daily, periods) = estimated_instrument_weights(
                &codes,
                &curve_refs,
                &positions.dates,
                &positions.columns,
                w,
                config.instrument_weight_ewma_span,
            )?;
            estimates.weight_periods = Some(periods);
            InstrumentFrame {
                dates: daily.dates,
                instruments: daily.names,
                columns: daily.columns,
            }
        }
        None => weights_and_idm(&codes, sized, config).0,
    };
    let idm = match &estimation.idm {
        Some(d) => {
            let daily = systrade_estimate::smoothing::DailyWeights {
                dates: weights.dates.clone(),
                names: weights.instruments.clone(),
                columns: weights.columns.clone(),
            };
            let (idm, correlations) = estimated_idm(&codes, &curve_refs, &daily, d)?;
            estimates.idm_correlations = Some(correlations);
            estimates.idm = Some(idm.clone());
            idm
        }
        None => fixed_idm(config.idm, &weights.dates),
    };
    Ok((weights, idm, estimates))
}

/// One instrument's notional position, buffers, buffered position and average position.
fn positions_of(
    config: &AccountsConfig,
    code: String,
    sizing: SizedInstrument,
    w: DailySeries,
    idm: &DailySeries,
    risk_multiplier: Option<&DailySeries>,
) -> InstrumentPositions {
    let without_idm = notional_position_without_idm(&sizing.subsystem_position, &w);
    let notional = notional_position(&without_idm, idm, risk_multiplier);
    let b = buffer(
        config.buffer_method,
        config.buffer_size,
        &notional,
        &sizing.volatility_scalar,
        Some(&w),
        Some(idm),
    );
    let buffers = apply_buffers_to_position(&notional, &b);
    let buffered = walk(config, &notional, &buffers.top, &buffers.bottom);
    let average = average_position_at_portfolio_level(&sizing.volatility_scalar, &w, idm);
    InstrumentPositions {
        code,
        sizing,
        instrument_weight: w,
        notional_position_without_idm: without_idm,
        notional_position: notional,
        buffers,
        buffered_position: buffered,
        average_position: average,
    }
}

/// The buffered position per the config (`none` → rounded optimal).
fn walk(
    config: &AccountsConfig,
    optimal: &DailySeries,
    top: &DailySeries,
    bottom: &DailySeries,
) -> DailySeries {
    if config.buffer_method == BufferMethod::None {
        unbuffered_position(optimal, config.round_positions)
    } else {
        buffered_position(
            optimal,
            top,
            bottom,
            BufferWalk {
                round_positions: config.round_positions,
                trade_to_edge: config.buffer_trade_to_edge,
            },
        )
    }
}

/// P&L and costs of one instrument's buffered position (§3.8), with its turnover. Panics when SR
/// costs are asked for and `daily_returns_volatility` is missing.
pub fn account_instrument(
    inp: &InstrumentInputs,
    positions: &InstrumentPositions,
    config: &AccountsConfig,
) -> (InstrumentAccount, f64) {
    let capital = config.vol_target.notional_trading_capital;
    let pandl_inputs = PandlInputs {
        price: &inp.daily_price,
        positions: &positions.buffered_position,
        fx: &inp.fx,
        value_per_point: inp.value_of_block_price_move,
        capital,
        delay_fill: true,
        round_positions: config.round_positions,
    };
    let instrument_turnover = turnover(&positions.buffered_position, &positions.average_position);
    let account = match (config.costs, &inp.daily_returns_volatility) {
        (CostMethod::Sr, Some(vol)) => {
            let per_trade = sr_cost_per_trade(
                &inp.costs,
                &inp.daily_price,
                vol,
                inp.value_of_block_price_move,
            );
            instrument_account_sr_costs(
                pandl_inputs,
                SrCostParams {
                    daily_returns_volatility: vol,
                    average_position: &positions.average_position,
                    annual_sr_cost: annual_sr_cost(
                        per_trade,
                        instrument_turnover,
                        inp.rolls_per_year,
                    ),
                },
            )
        }
        (CostMethod::Sr, None) => panic!("{}: SR costs need daily_returns_volatility", inp.code),
        (CostMethod::Cash, _) => {
            instrument_account_cash_costs(pandl_inputs, cash_params(inp, config))
        }
    };
    (account, instrument_turnover)
}

/// The cash-cost parameters of one instrument under `config`.
pub fn cash_params(inp: &InstrumentInputs, config: &AccountsConfig) -> CashCostParams {
    CashCostParams {
        costs: inp.costs,
        rolls_per_year: inp.rolls_per_year,
        multiply_roll_costs_by: config.multiply_roll_costs_by,
        vol_normalise_currency_costs: config.vol_normalise_currency_costs,
    }
}

/// Runs the classic system over the given instruments (in the order pysystemtrade sums them, i.e.
/// its instrument list order) with fixed capital: [`compute_positions`], then
/// [`account_instrument`] per instrument (in parallel) and the portfolio curves. Panics when SR
/// costs are asked for and an instrument lacks `daily_returns_volatility`.
pub fn run_system(instruments: &[InstrumentInputs], config: &AccountsConfig) -> SystemResult {
    run_system_with_positions(instruments, compute_positions(instruments, config), config)
}

/// [`run_system`] from positions already computed with [`compute_positions`] (for a caller that
/// needs them for another stage too, e.g. the dynamic optimiser).
pub fn run_system_with_positions(
    instruments: &[InstrumentInputs],
    positions: PositionsResult,
    config: &AccountsConfig,
) -> SystemResult {
    let results: Vec<InstrumentResult> = instruments
        .par_iter()
        .zip(positions.instruments)
        .map(|(inp, pos)| {
            let (account, turnover) = account_instrument(inp, &pos, config);
            InstrumentResult {
                code: pos.code,
                sizing: pos.sizing,
                notional_position_without_idm: pos.notional_position_without_idm,
                notional_position: pos.notional_position,
                buffers: pos.buffers,
                buffered_position: pos.buffered_position,
                account,
                turnover,
            }
        })
        .collect();
    let capital = config.vol_target.notional_trading_capital;
    let portfolio = portfolio_account(
        &results.iter().map(|r| &r.account).collect::<Vec<_>>(),
        capital,
    );
    SystemResult {
        instrument_weights: positions.instrument_weights,
        idm: positions.idm,
        risk_multiplier: positions.risk_multiplier,
        instruments: results,
        portfolio,
    }
}

/// What the statistics and outputs of a fixed-capital backtest need of one instrument
/// ([`run_system_lean`]).
#[derive(Debug, Clone, PartialEq)]
pub struct LeanInstrumentResult {
    pub code: String,
    pub buffered_position: DailySeries,
    /// Business-day curves in base currency ([`InstrumentAccount::base`]).
    pub base: Curves,
    /// Business-day curves in percent of capital ([`InstrumentAccount::percent`]).
    pub percent: Curves,
    pub turnover: f64,
}

/// [`run_system`] keeping only what fixed-capital statistics need.
#[derive(Debug, Clone, PartialEq)]
pub struct LeanSystemResult {
    pub instruments: Vec<LeanInstrumentResult>,
    pub portfolio: PortfolioAccount,
}

/// [`run_system`] with the same numbers, dropping intermediates as it goes: of the sizing only the
/// subsystem position and volatility scalar are kept across the weights step; each instrument's
/// positions are computed, accounted and released in one parallel pass, which also releases the
/// instrument's inputs and weight column; and of its account only the curves and the raw
/// base-currency gross P&L and costs (for the portfolio sum) are kept. Not for compounding
/// ([`compound`] needs the full [`SystemResult`]).
pub fn run_system_lean(
    instruments: Vec<InstrumentInputs>,
    config: &AccountsConfig,
) -> LeanSystemResult {
    let mut sized = size_all(&instruments, config);
    for s in &mut sized {
        // only the subsystem position and the volatility scalar are used from here on
        let empty = DailySeries::new(Vec::new(), Vec::new());
        s.block_value = empty.clone();
        s.instrument_currency_vol = empty.clone();
        s.instrument_value_vol = empty;
    }
    let codes: Vec<String> = instruments.iter().map(|i| i.code.clone()).collect();
    let (weights, idm) = weights_and_idm(&codes, &sized, config);
    // the overlay needs every instrument's position before the per-instrument pass
    let risk_multiplier = config
        .risk_overlay
        .map(|limits| risk_multiplier(&instruments, &sized, &weights, &idm, config, limits));
    assert_eq!(
        weights.instruments, codes,
        "weight columns in instrument order"
    );
    let InstrumentFrame {
        dates: weight_dates,
        columns: weight_columns,
        ..
    } = weights;
    type Kept = (LeanInstrumentResult, DailySeries, DailySeries);
    let kept: Vec<Kept> = instruments
        .into_par_iter()
        .zip(codes)
        .zip(sized)
        .zip(weight_columns)
        .map(|(((inp, code), sizing), weight)| {
            let w = DailySeries::new(weight_dates.clone(), weight);
            let pos = positions_of(config, code, sizing, w, &idm, risk_multiplier.as_ref());
            let (account, turnover) = account_instrument(&inp, &pos, config);
            (
                LeanInstrumentResult {
                    code: pos.code,
                    buffered_position: pos.buffered_position,
                    base: account.base,
                    percent: account.percent,
                    turnover,
                },
                account.gross.base_currency,
                account.costs_base,
            )
        })
        .collect();
    let portfolio = portfolio_account_of(
        &kept.iter().map(|k| &k.1).collect::<Vec<_>>(),
        &kept.iter().map(|k| &k.2).collect::<Vec<_>>(),
        config.vol_target.notional_trading_capital,
    );
    LeanSystemResult {
        instruments: kept.into_iter().map(|k| k.0).collect(),
        portfolio,
    }
}

/// The system re-run with compounding capital (pysystemtrade `capital_multiplier` with
/// `portfolio_with_multiplier`).
#[derive(Debug, Clone, PartialEq)]
pub struct CompoundedResult {
    /// Capital multiplier from the fixed-capital portfolio's net percent returns.
    pub capital_multiplier: DailySeries,
    /// `notional_trading_capital × capital_multiplier`.
    pub actual_capital: DailySeries,
    /// Per instrument (same order): actual position `notional × multiplier`.
    pub actual_positions: Vec<DailySeries>,
    /// Per instrument: buffered walk on the actual position within the actual buffers.
    pub buffered_positions: Vec<DailySeries>,
    /// Per instrument accounts (percentages of actual capital).
    pub accounts: Vec<InstrumentAccount>,
    pub portfolio: PortfolioAccount,
}

/// Positions and P&L under a capital multiplier (§3.7): multiplier from `fixed.portfolio`'s net
/// percent curve; actual positions and buffers are the notional ones times the multiplier; the
/// buffered walk and cash costs are re-run on them; percentages are of the actual capital.
pub fn compound(
    instruments: &[InstrumentInputs],
    config: &AccountsConfig,
    fixed: &SystemResult,
    method: CapitalMultiplier,
) -> CompoundedResult {
    let multiplier = capital_multiplier(method, &fixed.portfolio.percent.net);
    let capital = config.vol_target.notional_trading_capital;
    let actual_capital = multiplier.map(|m| m * capital);
    let mut actual_positions = Vec::new();
    let mut buffered_positions = Vec::new();
    let mut accounts = Vec::new();
    for (inp, r) in instruments.iter().zip(&fixed.instruments) {
        let actual = apply_capital_multiplier(&r.notional_position, &multiplier);
        let top = apply_capital_multiplier(&r.buffers.top, &multiplier);
        let bottom = apply_capital_multiplier(&r.buffers.bottom, &multiplier);
        let buffered = walk(config, &actual, &top, &bottom);
        let mut account = instrument_account_cash_costs(
            PandlInputs {
                price: &inp.daily_price,
                positions: &buffered,
                fx: &inp.fx,
                value_per_point: inp.value_of_block_price_move,
                capital,
                delay_fill: true,
                round_positions: config.round_positions,
            },
            cash_params(inp, config),
        );
        let gross_pct = percent_of_capital(&account.gross.base_currency, &actual_capital);
        account.costs_percent = percent_of_capital(&account.costs_base, &actual_capital);
        account.percent = Curves::from_raw(&gross_pct, &account.costs_percent);
        account.gross.percent = gross_pct;
        actual_positions.push(actual);
        buffered_positions.push(buffered);
        accounts.push(account);
    }
    let portfolio =
        portfolio_account_with_capital(&accounts.iter().collect::<Vec<_>>(), &actual_capital);
    CompoundedResult {
        capital_multiplier: multiplier,
        actual_capital,
        actual_positions,
        buffered_positions,
        accounts,
        portfolio,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use systrade_model::Timestamp;

    fn business_days(n: usize) -> Vec<NaiveDate> {
        systrade_series::business_days(
            NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
        )
        .into_iter()
        .take(n)
        .collect()
    }

    fn instrument(code: &str, n: usize, forecast: impl Fn(usize) -> f64) -> InstrumentInputs {
        let dates = business_days(n);
        let price: Vec<f64> = (0..n)
            .map(|i| 100.0 + (i as f64 * 0.7).sin() * 5.0 + i as f64 * 0.01)
            .collect();
        let s = |v: Vec<f64>| DailySeries::new(dates.clone(), v);
        InstrumentInputs {
            code: code.into(),
            daily_price: s(price.clone()),
            denominator_price: s(price),
            daily_percentage_volatility: s(vec![1.0; n]),
            combined_forecast: s((0..n).map(forecast).collect()),
            daily_returns_volatility: Some(s(vec![1.0; n])),
            fx: Arc::new(FxRates::new(
                vec![Timestamp::from_date(
                    NaiveDate::from_ymd_opt(2019, 1, 1).unwrap(),
                )],
                vec![1.0],
            )),
            value_of_block_price_move: 10.0,
            costs: InstrumentCosts {
                price_slippage: 0.01,
                value_of_block_commission: 1.0,
                ..Default::default()
            },
            rolls_per_year: 4,
            long_only: false,
        }
    }

    #[test]
    fn instruments_without_forecasts_or_data_do_not_break_the_system() {
        let n = 600;
        let good = instrument("GOOD", n, |i| if i % 50 < 25 { 10.0 } else { -10.0 });
        let empty = instrument("NOFORECAST", n, |_| f64::NAN);
        let mut none = instrument("NODATA", 0, |_| f64::NAN);
        none.fx = Arc::new(FxRates::new(Vec::new(), Vec::new()));
        for costs in [CostMethod::Cash, CostMethod::Sr] {
            let r = run_system(
                &[good.clone(), empty.clone(), none.clone()],
                &AccountsConfig {
                    costs,
                    ..AccountsConfig::default()
                },
            );
            assert_eq!(r.instruments.len(), 3);
            // all the weight goes to the only instrument with positions
            let w = r.instrument_weights.series("GOOD").unwrap();
            assert!((w.values.last().unwrap() - 1.0).abs() < 1e-12);
            assert!(
                r.instruments[1]
                    .buffered_position
                    .values
                    .iter()
                    .all(|p| *p == 0.0)
            );
            assert!(r.instruments[2].buffered_position.is_empty());
            let s = crate::stats::stats(&r.portfolio.percent.net.values, 256.0);
            assert!(s.ann_std > 0.0);
            assert!(
                r.portfolio
                    .percent
                    .costs
                    .values
                    .iter()
                    .all(|c| c.is_nan() || *c <= 0.0)
            );
        }
    }

    #[test]
    fn buffer_methods_and_long_only() {
        let n = 400;
        let mut long = instrument("LONG", n, |i| if i % 40 < 20 { 12.0 } else { -8.0 });
        long.long_only = true;
        for method in [
            BufferMethod::Forecast,
            BufferMethod::Position,
            BufferMethod::None,
        ] {
            let config = AccountsConfig {
                buffer_method: method,
                buffer_trade_to_edge: false,
                ..AccountsConfig::default()
            };
            let p = compute_positions(std::slice::from_ref(&long), &config);
            let i = &p.instruments[0];
            assert!(
                i.sizing
                    .subsystem_position
                    .values
                    .iter()
                    .all(|x| x.is_nan() || *x >= 0.0)
            );
            assert!(
                i.buffered_position
                    .values
                    .iter()
                    .all(|x| *x >= 0.0 && x.fract() == 0.0)
            );
            if method == BufferMethod::None {
                let rounded: Vec<f64> = i
                    .notional_position
                    .values
                    .iter()
                    .map(|x| x.round_ties_even())
                    .collect();
                assert!(
                    i.buffered_position
                        .values
                        .iter()
                        .zip(&rounded)
                        .all(|(a, b)| a == b || b.is_nan())
                );
            }
        }
    }

    #[test]
    fn risk_overlay_scales_notional_positions_down_only_when_a_limit_binds() {
        let n = 300;
        let a = instrument("A", n, |i| if i % 60 < 30 { 15.0 } else { -5.0 });
        let b = instrument("B", n, |i| if i % 45 < 20 { 8.0 } else { -12.0 });
        let inputs = [a, b];
        let base = compute_positions(&inputs, &AccountsConfig::default());
        assert!(base.risk_multiplier.is_none());
        let loose = RiskOverlayLimits {
            max_risk_fraction_normal_risk: 1e9,
            max_risk_fraction_stdev_risk: 1e9,
            max_risk_limit_sum_abs_risk: 1e9,
            max_risk_leverage: 1e9,
        };
        let with = |limits| {
            compute_positions(
                &inputs,
                &AccountsConfig {
                    risk_overlay: Some(limits),
                    ..AccountsConfig::default()
                },
            )
        };
        let same = with(loose);
        for (x, y) in base.instruments.iter().zip(&same.instruments) {
            assert_eq!(x.notional_position, y.notional_position);
        }
        let tight = with(RiskOverlayLimits {
            max_risk_leverage: 0.5,
            ..loose
        });
        let m = tight.risk_multiplier.as_ref().unwrap();
        assert!(m.values.iter().all(|v| *v > 0.0 && *v <= 1.0));
        assert!(m.values.iter().any(|v| *v < 1.0));
        let mut scaled = 0;
        for (x, y) in base.instruments.iter().zip(&tight.instruments) {
            assert_eq!(x.notional_position.dates, y.notional_position.dates);
            for ((p, q), d) in x
                .notional_position
                .values
                .iter()
                .zip(&y.notional_position.values)
                .zip(&x.notional_position.dates)
            {
                if p.is_nan() {
                    assert!(q.is_nan());
                    continue;
                }
                let r = m.get(*d).unwrap();
                assert!((q - p * r).abs() <= 1e-12 * p.abs().max(1.0));
                assert!(q.abs() <= p.abs());
                scaled += usize::from(q.abs() < p.abs());
            }
        }
        assert!(scaled > 0);
        // the lean run applies the same overlay
        let config = AccountsConfig {
            risk_overlay: Some(RiskOverlayLimits {
                max_risk_leverage: 0.5,
                ..loose
            }),
            ..AccountsConfig::default()
        };
        let full = run_system(&inputs, &config);
        let lean = run_system_lean(inputs.to_vec(), &config);
        for (f, l) in full.instruments.iter().zip(&lean.instruments) {
            assert_eq!(f.buffered_position, l.buffered_position);
        }
        assert_eq!(full.risk_multiplier.as_ref(), Some(m));
        // one instrument at a time: the same positions, in order, with the same IDM
        let all = compute_positions(&inputs, &config);
        let one_by_one =
            for_each_instrument_positions(inputs.to_vec(), &config, |i, inp, p, idm| {
                assert_eq!(inp.code, inputs[i].code);
                assert_eq!(idm, &all.idm);
                p
            });
        assert_eq!(one_by_one.len(), all.instruments.len());
        // bit for bit (NaN equal to NaN)
        let same = |x: &DailySeries, y: &DailySeries| {
            let bits = |s: &DailySeries| s.values.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            x.dates == y.dates && bits(x) == bits(y)
        };
        for (a, b) in all.instruments.iter().zip(&one_by_one) {
            assert_eq!(a.code, b.code);
            for (what, x, y) in [
                ("weight", &a.instrument_weight, &b.instrument_weight),
                ("notional", &a.notional_position, &b.notional_position),
                ("top", &a.buffers.top, &b.buffers.top),
                ("bottom", &a.buffers.bottom, &b.buffers.bottom),
                ("buffered", &a.buffered_position, &b.buffered_position),
                (
                    "vol scalar",
                    &a.sizing.volatility_scalar,
                    &b.sizing.volatility_scalar,
                ),
                (
                    "subsystem",
                    &a.sizing.subsystem_position,
                    &b.sizing.subsystem_position,
                ),
            ] {
                assert!(same(x, y), "{}: {what}", a.code);
            }
        }
    }
}
