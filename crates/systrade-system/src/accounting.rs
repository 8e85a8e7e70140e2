//! The accounting side of a system: the config's position-sizing and accounting parameters
//! ([`accounts_config`]) and each instrument's prices, combined forecast, FX and static data
//! wired into [`systrade_accounts::system::InstrumentInputs`] ([`assemble`]).

use crate::load::{Failure, InstrumentPrices, StaticData, fx_to_base};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::sync::Arc;
use systrade_accounts::system::{CostMethod, InstrumentInputs};
use systrade_config::SystemConfig;
use systrade_forecast::RawData;
use systrade_model::{FxRates, InstrumentCode};
use systrade_portfolio::portfolio::{BufferMethod, CapitalMultiplier};
use systrade_portfolio::risk_overlay::RiskOverlayLimits;
use systrade_portfolio::sizing::VolTarget;
use systrade_series::DailySeries;
use systrade_store::Store;

/// Run-level overrides of the config.
#[derive(Debug, Clone, Copy, Default)]
pub struct Overrides {
    /// `--capital`: replaces `notional_trading_capital`.
    pub capital: Option<f64>,
    /// `--costs`: replaces `use_SR_costs`.
    pub costs: Option<CostMethod>,
}

/// The accounting config from the system config, with instrument weights in the order of `codes`
/// (`None`, equal weights with a warning, when the config gives none); the instruments of
/// `allocate_zero_instrument_weights_to_these_instruments` get weight 0.
pub fn accounts_config(
    cfg: &SystemConfig,
    codes: &[InstrumentCode],
    overrides: Overrides,
) -> systrade_accounts::system::AccountsConfig {
    // pysystemtrade's Portfolios._add_zero_instrument_weights: the listed instruments get weight
    // 0 (configured or equal weights; the equal weights are over the others). Instruments without
    // any non-zero subsystem position get 0 too, in systrade_portfolio::weights.
    let zero = &cfg.allocate_zero_instrument_weights_to_these_instruments;
    // pysystemtrade's Portfolios.config_allocates_zero_instrument_weights_to_these_instruments:
    // trading_restrictions / bad_markets keep their weight, with a warning.
    let flagged: Vec<String> = cfg
        .markets_not_trading_but_with_data(codes)
        .into_iter()
        .filter(|c| !zero.contains(c))
        .map(|c| c.as_str().to_string())
        .collect();
    if !flagged.is_empty() {
        tracing::warn!(
            "{}: {} are listed as trading_restrictions and/or bad_markets but keep their instrument weight: fine for the optimised strategy (they are not traded there), possibly not for a static one; consider allocate_zero_instrument_weights_to_these_instruments",
            cfg.source_name,
            flagged.join(", ")
        );
    }
    let zeroed: Vec<&str> = codes
        .iter()
        .filter(|c| zero.contains(c))
        .map(InstrumentCode::as_str)
        .collect();
    if !zeroed.is_empty() {
        tracing::info!(
            "{}: allocate_zero_instrument_weights_to_these_instruments: {} get instrument weight 0",
            cfg.source_name,
            zeroed.join(", ")
        );
    }
    let instrument_weights = match &cfg.instrument_weights {
        Some(w) => Some(
            codes
                .iter()
                .map(|c| {
                    if zero.contains(c) {
                        0.0
                    } else {
                        w.get(c).copied().unwrap_or(0.0)
                    }
                })
                .collect(),
        ),
        None if !zeroed.is_empty() => {
            let n = codes.len() - zeroed.len();
            tracing::warn!(
                "{}: no instrument_weights; using equal weights over {n} instruments",
                cfg.source_name,
            );
            let w = if n == 0 { 0.0 } else { 1.0 / n as f64 };
            Some(
                codes
                    .iter()
                    .map(|c| if zero.contains(c) { 0.0 } else { w })
                    .collect(),
            )
        }
        None if cfg.use_instrument_weight_estimates => None,
        None => {
            tracing::warn!(
                "{}: no instrument_weights; using equal weights over {} instruments",
                cfg.source_name,
                codes.len()
            );
            None
        }
    };
    systrade_accounts::system::AccountsConfig {
        vol_target: VolTarget {
            notional_trading_capital: overrides.capital.unwrap_or(cfg.notional_trading_capital),
            percentage_vol_target: cfg.percentage_vol_target,
        },
        instrument_weights,
        idm: cfg.instrument_div_multiplier,
        instrument_weight_ewma_span: cfg.instrument_weight_ewma_span as f64,
        buffer_method: match cfg.buffer_method {
            systrade_config::BufferMethod::Forecast => BufferMethod::Forecast,
            systrade_config::BufferMethod::Position => BufferMethod::Position,
            systrade_config::BufferMethod::None => BufferMethod::None,
        },
        buffer_size: cfg.buffer_size,
        buffer_trade_to_edge: cfg.buffer_trade_to_edge,
        round_positions: true,
        multiply_roll_costs_by: cfg.multiply_roll_costs_by,
        vol_normalise_currency_costs: cfg.vol_normalise_currency_costs,
        costs: overrides.costs.unwrap_or(if cfg.use_sr_costs {
            CostMethod::Sr
        } else {
            CostMethod::Cash
        }),
        risk_overlay: cfg.risk_overlay.map(|r| RiskOverlayLimits {
            max_risk_fraction_normal_risk: r.max_risk_fraction_normal_risk,
            max_risk_fraction_stdev_risk: r.max_risk_fraction_stdev_risk,
            max_risk_limit_sum_abs_risk: r.max_risk_limit_sum_abs_risk,
            max_risk_leverage: r.max_risk_leverage,
        }),
    }
}

/// The configured capital multiplier (`capital_multiplier.func`).
pub fn capital_multiplier(cfg: &SystemConfig) -> CapitalMultiplier {
    match cfg.capital_multiplier {
        systrade_config::CapitalMultiplier::FixedCapital => CapitalMultiplier::Fixed,
        systrade_config::CapitalMultiplier::FullCompounding => CapitalMultiplier::Full,
        systrade_config::CapitalMultiplier::HalfCompounding => CapitalMultiplier::Half,
    }
}

/// The last date of any instrument's prices (end of the unity FX index).
pub fn last_price_date(prices: &[InstrumentPrices]) -> NaiveDate {
    prices
        .iter()
        .filter_map(|p| p.raw.daily_prices.dates.last().copied())
        .max()
        .unwrap_or_else(|| chrono::Utc::now().date_naive())
}

/// Wires one instrument's prices, combined forecast, FX and static data into the inputs of
/// [`systrade_accounts::system::run_system`].
///
/// # Errors
/// Missing static data or FX for the instrument, as a message for its [`Failure`].
pub fn instrument_inputs(
    p: &InstrumentPrices,
    combined_forecast: DailySeries,
    statics: &StaticData,
    fx: &BTreeMap<String, Result<Arc<FxRates>, String>>,
    cfg: &SystemConfig,
) -> Result<InstrumentInputs, String> {
    take_instrument_inputs(&mut p.clone(), combined_forecast, statics, fx, cfg)
}

/// [`instrument_inputs`] moving the daily series out of `p.raw` instead of copying them (on
/// success `p.raw` is left empty).
fn take_instrument_inputs(
    p: &mut InstrumentPrices,
    combined_forecast: DailySeries,
    statics: &StaticData,
    fx: &BTreeMap<String, Result<Arc<FxRates>, String>>,
    cfg: &SystemConfig,
) -> Result<InstrumentInputs, String> {
    let code = &p.code;
    let info = statics
        .instruments
        .get(code)
        .ok_or_else(|| "not in config/instruments.csv (point size, currency)".to_string())?;
    let fx = fx
        .get(&info.currency)
        .ok_or_else(|| format!("no FX for {}", info.currency))?
        .clone()?;
    let costs = statics.costs(code).expect("instrument has static data");
    let daily_percentage_volatility = p.raw.daily_percentage_volatility();
    let empty = || DailySeries::new(Vec::new(), Vec::new());
    let raw = std::mem::replace(
        &mut p.raw,
        Arc::new(RawData {
            daily_prices: empty(),
            daily_returns: empty(),
            daily_returns_volatility: empty(),
            denominator_price: empty(),
        }),
    );
    // unique once the forecasts are computed: moved out without copying
    let raw = Arc::try_unwrap(raw).unwrap_or_else(|shared| (*shared).clone());
    Ok(InstrumentInputs {
        code: code.to_string(),
        daily_price: raw.daily_prices,
        denominator_price: raw.denominator_price,
        daily_percentage_volatility,
        combined_forecast,
        daily_returns_volatility: Some(raw.daily_returns_volatility),
        fx,
        value_of_block_price_move: info.pointsize,
        costs,
        rolls_per_year: statics.rolls.get(code).map_or(0, |r| r.rolls_per_year()),
        long_only: cfg.long_only_instruments.contains(code),
    })
}

/// Everything loaded for a run: instruments that made it (in instrument-list order) and those that
/// failed.
pub struct Loaded {
    pub inputs: Vec<InstrumentInputs>,
    /// The instruments' codes and reference prices; their daily series (`raw`) have been moved
    /// into `inputs` and are empty here.
    pub prices: Vec<InstrumentPrices>,
    pub failures: Vec<Failure>,
}

/// Pairs loaded prices with forecasts (by code) and wires them into inputs; instruments without a
/// forecast, static data or FX become failures.
pub fn assemble(
    store: &Store,
    cfg: &SystemConfig,
    statics: &StaticData,
    prices: Vec<InstrumentPrices>,
    mut forecasts: BTreeMap<InstrumentCode, Result<DailySeries, String>>,
    mut failures: Vec<Failure>,
) -> Loaded {
    let currencies: Vec<String> = {
        let mut c: Vec<String> = prices
            .iter()
            .filter_map(|p| statics.instruments.get(&p.code))
            .map(|i| i.currency.clone())
            .collect();
        c.sort();
        c.dedup();
        c
    };
    let fx = fx_to_base(
        store,
        &cfg.base_currency,
        &currencies,
        last_price_date(&prices),
        cfg.start_date,
    );
    let mut inputs = Vec::with_capacity(prices.len());
    let mut kept = Vec::with_capacity(prices.len());
    for mut p in prices {
        let code = p.code.clone();
        let forecast = forecasts
            .remove(&code)
            .unwrap_or_else(|| Err("no combined forecast".to_string()));
        match forecast.and_then(|f| take_instrument_inputs(&mut p, f, statics, &fx, cfg)) {
            Ok(i) => {
                inputs.push(i);
                kept.push(p);
            }
            Err(e) => failures.push((code, e)),
        }
    }
    failures.sort();
    Loaded {
        inputs,
        prices: kept,
        failures,
    }
}

/// What the dynamic optimiser needs of each instrument's raw (timestamped) adjusted prices: the
/// cost deflator and the final price ([`systrade_optimise::system::PriceInputs`]). The prices are
/// read again (in parallel) because loading keeps only the daily closes; `as_of` drops later rows.
///
/// # Errors
/// Per instrument: unreadable adjusted prices, as a message for its [`crate::Failure`].
pub fn optimiser_prices(
    store: &Store,
    codes: &[InstrumentCode],
    as_of: Option<NaiveDate>,
) -> Vec<Result<systrade_optimise::system::PriceInputs, String>> {
    use rayon::prelude::*;
    codes
        .par_iter()
        .map(|code| {
            let mut adjusted = store
                .read_adjusted_prices(code)
                .map_err(|e| e.to_string())?;
            if let Some(d) = as_of {
                let n = adjusted
                    .timestamps
                    .iter()
                    .take_while(|t| t.date() <= d)
                    .count();
                adjusted.timestamps.truncate(n);
                adjusted.values.truncate(n);
            }
            Ok(systrade_optimise::system::PriceInputs::from_raw_price(
                &adjusted.timestamps,
                &adjusted.values,
            ))
        })
        .collect()
}

/// The optimised backtest's constraints, one per instrument of `codes`: reduce-only for those the
/// config marks `trading_restrictions` or `bad_markets` (pysystemtrade
/// `optimisedPositions.get_reduce_only_instruments`, "reduce only is as good as do not trade in
/// backtesting"), none for the others. Logs the reduce-only ones.
pub fn optimised_backtest_constraints(
    cfg: &SystemConfig,
    codes: &[InstrumentCode],
) -> Vec<systrade_optimise::Constraints> {
    let reduce_only = cfg.markets_not_trading_but_with_data(codes);
    if !reduce_only.is_empty() {
        tracing::info!(
            "{}: trading_restrictions / bad_markets {} are reduce-only in the optimised system (never traded)",
            cfg.source_name,
            reduce_only
                .iter()
                .map(InstrumentCode::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    codes
        .iter()
        .map(|c| systrade_optimise::Constraints {
            trading: if reduce_only.contains(c) {
                systrade_optimise::Trading::ReduceOnly
            } else {
                systrade_optimise::Trading::Normal
            },
            ..Default::default()
        })
        .collect()
}

/// The config's `small_system` settings for the optimiser.
pub fn optimised_config(cfg: &SystemConfig) -> systrade_optimise::system::OptimisedConfig {
    let s = cfg.small_system;
    systrade_optimise::system::OptimisedConfig {
        small_system: systrade_optimise::SmallSystem {
            speed: systrade_optimise::SpeedControl {
                trade_shadow_cost: s.shadow_cost,
                tracking_error_buffer: s.tracking_error_buffer,
            },
            shrink_instrument_returns_correlation: s.shrink_instrument_returns_correlation,
        },
        cost_multiplier: s.cost_multiplier,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_weight_instruments() {
        let code = |c: &str| InstrumentCode::new(c).unwrap();
        let codes = [code("A"), code("B"), code("C")];
        let read = |yaml: &str| SystemConfig::from_yaml_str(yaml, "t.yaml").unwrap().0;
        let weights = |yaml: &str| {
            accounts_config(&read(yaml), &codes, Overrides::default()).instrument_weights
        };
        assert_eq!(weights("forecast_cap: 20\n"), None);
        assert_eq!(
            weights("allocate_zero_instrument_weights_to_these_instruments: [B, Z]\n"),
            Some(vec![0.5, 0.0, 0.5])
        );
        assert_eq!(
            weights(
                "instrument_weights: {A: 0.2, B: 0.3, C: 0.5}\nallocate_zero_instrument_weights_to_these_instruments: [C]\n"
            ),
            Some(vec![0.2, 0.3, 0.0])
        );
    }
}
