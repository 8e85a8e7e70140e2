//! A whole system loaded from a data directory: the config, the instrument list, static data
//! (point size, currency, costs, rolls per year), prices, FX into the base currency and the
//! combined forecasts, wired into [`systrade_accounts::system::InstrumentInputs`] and
//! [`systrade_accounts::system::SystemConfig`] (spec §3.0–3.8). Shared by `size-positions` and
//! `backtest`; the computation itself is in the libraries (`systrade-forecast`,
//! `systrade-portfolio`, `systrade-accounts`).
//!
//! Per-instrument problems (missing prices, no FX for its currency, no forecast) are returned as
//! [`Failure`]s so the binaries can carry on with the others (exit 3); problems of the whole run
//! (bad config, no instruments) are errors with exit code 1.

pub mod forecasts;

use chrono::NaiveDate;
use compute_forecasts::compute::{InstrumentJob, Scalars};
use compute_forecasts::rules_from_config;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use systrade_accounts::costs::InstrumentCosts;
use systrade_accounts::system::{CostMethod, InstrumentInputs};
use systrade_cli::{CommonArgs, ExitCode, ExitCodeError};
use systrade_config::{InstrumentListSource, SystemConfig};
use systrade_forecast::InstrumentInputs as ForecastInputs;
use systrade_forecast::RawData;
use systrade_forecast::instrument::InstrumentData;
use systrade_forecast::scaling::ScalarEstimate;
use systrade_forecast::spec::DataInput;
use systrade_model::{
    AdjustedPrices, FxRates, Instrument, InstrumentCode, RollParameters, Timestamp,
};
use systrade_portfolio::portfolio::{BufferMethod, CapitalMultiplier};
use systrade_portfolio::risk_overlay::RiskOverlayLimits;
use systrade_portfolio::sizing::VolTarget;
use systrade_series::DailySeries;
use systrade_store::{SeriesKind, Store};

/// An instrument left out of the run, and why.
pub type Failure = (InstrumentCode, String);

/// A failure of the whole run (exit 1).
pub fn fail(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(ExitCodeError(ExitCode::Failure)).context(msg.into())
}

/// The config read from `path` (default `DATA/config/system.yaml`), warnings logged, unsupported
/// features rejected (exit 1), configs without rules, instruments or weights rejected (exit 4).
///
/// # Errors
/// Unreadable or invalid config, unsupported features.
pub fn load_config(store: &Store, path: Option<&Path>) -> anyhow::Result<(SystemConfig, PathBuf)> {
    let path = path.map_or_else(|| store.dir().system_yaml(), Path::to_path_buf);
    let (cfg, warnings) = SystemConfig::from_file(&path).map_err(|e| fail(e.to_string()))?;
    for w in &warnings {
        tracing::warn!("{w}");
    }
    cfg.check_supported().map_err(|e| fail(e.to_string()))?;
    cfg.check_usable()
        .map_err(|e| systrade_cli::data_problem(e.to_string()))?;
    Ok((cfg, path))
}

/// The system's instruments (config list, else every instrument with adjusted prices), narrowed
/// by `--instruments`.
#[derive(Debug, Clone)]
pub struct InstrumentList {
    pub codes: Vec<InstrumentCode>,
    /// The list was named (config `instrument_weights`/`instruments`, or `--instruments`) rather
    /// than "every instrument with data": then an instrument lacking the multiple prices its carry
    /// rules need is a failure; otherwise it is not a candidate and is skipped with a warning (as
    /// `compute-forecasts` does).
    pub explicit: bool,
}

/// The system's instruments: see [`InstrumentList`].
///
/// # Errors
/// No instruments; `--instruments` naming an unknown instrument.
pub fn instrument_list(
    store: &Store,
    cfg: &SystemConfig,
    common: &CommonArgs,
) -> anyhow::Result<InstrumentList> {
    let all_in_data = match store.list_instruments(SeriesKind::Adjusted) {
        Ok(v) => v,
        Err(e) if e.is_not_found() => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let (list, source) = cfg.instrument_list_with_source(&all_in_data);
    let selected = common.select_instruments(&list)?;
    if selected.is_empty() {
        return Err(fail(format!(
            "no instruments (instrument list from {}; {} has no adjusted prices?)",
            source_name(source),
            store.dir().series_dir(SeriesKind::Adjusted).display()
        )));
    }
    tracing::info!(
        "{} instruments (from {}{})",
        selected.len(),
        source_name(source),
        if common.instruments.is_some() {
            ", narrowed by --instruments"
        } else {
            ""
        }
    );
    Ok(InstrumentList {
        codes: selected,
        explicit: common.instruments.is_some() || source != InstrumentListSource::AllInData,
    })
}

fn source_name(source: InstrumentListSource) -> &'static str {
    match source {
        InstrumentListSource::InstrumentWeights => "instrument_weights",
        InstrumentListSource::Instruments => "instruments",
        InstrumentListSource::AllInData => "every instrument with adjusted prices",
    }
}

/// Static data of the instruments: `config/instruments.csv`, `config/spreads.csv` (optional, slippage
/// 0 when absent) and `config/rolls.csv` (optional, 0 rolls per year when absent).
#[derive(Debug, Clone, Default)]
pub struct StaticData {
    pub instruments: BTreeMap<InstrumentCode, Instrument>,
    pub spreads: BTreeMap<InstrumentCode, f64>,
    pub rolls: BTreeMap<InstrumentCode, RollParameters>,
}

impl StaticData {
    /// Reads the config CSVs of the data directory.
    ///
    /// # Errors
    /// `config/instruments.csv` missing or malformed; the other two malformed.
    pub fn read(store: &Store) -> anyhow::Result<Self> {
        let instruments = store
            .read_instruments()
            .map_err(|e| fail(format!("instrument static data: {e}")))?
            .into_iter()
            .map(|i| (i.code.clone(), i))
            .collect();
        let spreads = match store.read_spread_costs() {
            Ok(v) => v
                .into_iter()
                .map(|s| (s.instrument, s.spread_cost))
                .collect(),
            Err(e) if e.is_not_found() => BTreeMap::new(),
            Err(e) => return Err(fail(format!("spread costs: {e}"))),
        };
        let rolls = match store.read_roll_parameters() {
            Ok(v) => v.into_iter().map(|r| (r.instrument.clone(), r)).collect(),
            Err(e) if e.is_not_found() => BTreeMap::new(),
            Err(e) => return Err(fail(format!("roll parameters: {e}"))),
        };
        Ok(Self {
            instruments,
            spreads,
            rolls,
        })
    }

    /// Cash cost parameters of one instrument (spec §1.4): slippage from spreads, commissions from
    /// the instrument's static data.
    pub fn costs(&self, code: &InstrumentCode) -> Option<InstrumentCosts> {
        let i = self.instruments.get(code)?;
        Some(InstrumentCosts {
            price_slippage: self.spreads.get(code).copied().unwrap_or(0.0),
            value_of_block_commission: i.per_block,
            percentage_cost: i.percentage,
            value_of_pertrade_commission: i.per_trade,
        })
    }
}

/// The FX rates into `base` of each currency in `currencies` (spec §3.1: same currency 1.0 on
/// business days from 1970 to `until`; crosses via USD). A currency whose rates are missing maps to
/// the reason.
pub fn fx_to_base(
    store: &Store,
    base: &str,
    currencies: &[String],
    until: NaiveDate,
) -> BTreeMap<String, Result<Arc<FxRates>, String>> {
    let mut needed: Vec<String> = currencies
        .iter()
        .cloned()
        .chain([base.to_string()])
        .filter(|c| c != "USD")
        .collect();
    needed.sort();
    needed.dedup();
    let usd: BTreeMap<String, FxRates> = needed
        .par_iter()
        .filter_map(|c| store.read_fx_rates(c).ok().map(|r| (c.clone(), r)))
        .collect();
    let unity = systrade_portfolio::fx::unity_fx_index(until);
    let mut out = BTreeMap::new();
    for c in currencies {
        let r = systrade_portfolio::fx::fx_rate_to_base(c, base, |x| usd.get(x), &unity)
            .map(Arc::new)
            .ok_or_else(|| {
                format!(
                    "no FX rates to convert {c} into the base currency {base} (expected {})",
                    if c == "USD" || usd.contains_key(c) {
                        store.dir().fx_file(base)
                    } else {
                        store.dir().fx_file(c)
                    }
                    .display()
                )
            });
        out.insert(c.clone(), r);
    }
    out
}

/// The price the latest position refers to: the last multiple-prices row with a price (the
/// contract held), or the last adjusted price when there are no multiple prices.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    pub price: f64,
    /// `YYYYMMDD` contract id; empty without multiple prices.
    pub contract: String,
    pub timestamp: Timestamp,
}

/// One instrument after the raw-data stage (daily prices, vol); the raw prices themselves go to
/// the forecast jobs.
#[derive(Debug, Clone)]
pub struct InstrumentPrices {
    pub code: InstrumentCode,
    /// Shared with the forecast raw-data stage while forecasts are computed.
    pub raw: Arc<RawData>,
    pub reference: Option<Reference>,
}

/// The forecast side of the config, for computing forecasts in process.
#[derive(Debug, Clone)]
pub struct ForecastSetup {
    pub configs: BTreeMap<InstrumentCode, systrade_forecast::ForecastConfig>,
    pub scalars: Scalars,
    pub vol: systrade_forecast::VolConfig,
    /// Asset classes, when a rule needs them.
    pub asset_classes: BTreeMap<InstrumentCode, String>,
}

impl ForecastSetup {
    /// Builds every instrument's forecast config as `compute-forecasts` does
    /// ([`compute_forecasts::rules_from_config`]).
    ///
    /// # Errors
    /// Config problems (unknown rule arguments, missing factor data), exit 1.
    pub fn new(
        cfg: &SystemConfig,
        codes: &[InstrumentCode],
        statics: &StaticData,
    ) -> anyhow::Result<Self> {
        let rules = rules_from_config::trading_rules(cfg).map_err(|e| fail(e.to_string()))?;
        rules_from_config::check_factors(cfg, &rules).map_err(|e| fail(e.to_string()))?;
        let vol = rules_from_config::vol_config(cfg).map_err(|e| fail(e.to_string()))?;
        let mut configs = BTreeMap::new();
        for code in codes {
            let fc = rules_from_config::forecast_config(cfg, &rules, vol, code)
                .map_err(|e| fail(e.to_string()))?;
            configs.insert(code.clone(), fc);
        }
        if cfg.forecast_weights.is_none() {
            tracing::warn!(
                "{}: no forecast_weights; using equal weights over all {} trading rules",
                cfg.source_name,
                rules.len()
            );
        }
        let needs = rules_from_config::CrossSectionalNeeds::of(
            configs.values().flat_map(|c| c.rules.values()),
        );
        let asset_classes = if needs.needs_asset_classes() {
            statics
                .instruments
                .iter()
                .map(|(c, i)| (c.clone(), i.asset_class.clone()))
                .collect()
        } else {
            BTreeMap::new()
        };
        let scalars = if cfg.use_forecast_scale_estimates {
            let e = &cfg.forecast_scalar_estimate;
            Scalars::Estimated {
                estimate: ScalarEstimate {
                    window: e.window,
                    min_periods: e.min_periods,
                    backfill: e.backfill,
                    target_abs_forecast: cfg.average_absolute_forecast,
                },
                pool: e.pool_instruments,
            }
        } else {
            Scalars::Fixed
        };
        Ok(Self {
            configs,
            scalars,
            vol,
            asset_classes,
        })
    }

    /// Whether an instrument's rules need multiple prices (carry).
    pub fn needs_carry(&self, code: &InstrumentCode) -> bool {
        self.configs.get(code).is_some_and(|c| {
            c.rules.values().any(|r| {
                r.data.iter().any(|d| {
                    matches!(
                        d,
                        DataInput::RawCarry
                            | DataInput::SmoothedCarry { .. }
                            | DataInput::MedianCarryForAssetClass
                    )
                })
            })
        })
    }
}

/// Reads every instrument's adjusted and multiple prices (in parallel) and computes its raw data
/// stage. Instruments whose prices cannot be read fail individually; those that lack the multiple
/// prices their carry rules need fail too when the list is explicit, and are skipped with a
/// warning otherwise ([`InstrumentList::explicit`]). The returned jobs carry no prices (the raw
/// rows are dropped as soon as each instrument is reduced to daily series); to compute forecasts
/// use [`load_for_forecasts`].
pub fn load_prices(
    store: &Store,
    list: &InstrumentList,
    setup: &ForecastSetup,
) -> (Vec<InstrumentPrices>, Vec<InstrumentJob>, Vec<Failure>) {
    let l = load(store, list, setup, false);
    (l.prices, l.jobs, l.failures)
}

/// Prices, forecast jobs and the forecast raw-data stage of the loaded instruments.
pub struct PricesAndData {
    /// In instrument-list order.
    pub prices: Vec<InstrumentPrices>,
    /// One per entry of `prices`, without prices.
    pub jobs: Vec<InstrumentJob>,
    /// One per entry of `prices`: the raw-data stage of the forecasts (spec §3.1–3.2), for
    /// [`forecasts::compute_from_data`]; empty from [`load_prices`].
    pub data: Vec<InstrumentData>,
    pub failures: Vec<Failure>,
}

/// As [`load_prices`], and also each instrument's forecast raw-data stage
/// ([`InstrumentData`], computed once from the same daily prices, so volatility is computed once
/// per instrument). Instruments are streamed: only daily series are kept for all of them, each
/// instrument's raw price rows are dropped once reduced.
pub fn load_for_forecasts(
    store: &Store,
    list: &InstrumentList,
    setup: &ForecastSetup,
) -> PricesAndData {
    load(store, list, setup, true)
}

fn load(
    store: &Store,
    list: &InstrumentList,
    setup: &ForecastSetup,
    with_data: bool,
) -> PricesAndData {
    let mut skipped = Vec::new();
    let codes: Vec<InstrumentCode> = list
        .codes
        .iter()
        .filter(|c| {
            let skip = !list.explicit
                && setup.needs_carry(c)
                && !store.dir().multiple_prices_file(c).exists();
            if skip {
                skipped.push(c.as_str());
            }
            !skip
        })
        .cloned()
        .collect();
    if !skipped.is_empty() {
        tracing::warn!(
            "skipping {} instrument(s) without multiple prices (carry rules need them): {}",
            skipped.len(),
            skipped.join(", ")
        );
    }
    type One = (InstrumentPrices, InstrumentJob, Option<InstrumentData>);
    let loaded: Vec<Result<One, String>> = codes
        .par_iter()
        .map(|code| load_one(store, setup, code, with_data))
        .collect();
    let mut out = PricesAndData {
        prices: Vec::new(),
        jobs: Vec::new(),
        data: Vec::new(),
        failures: Vec::new(),
    };
    for (code, l) in codes.iter().zip(loaded) {
        match l {
            Ok((p, j, d)) => {
                out.prices.push(p);
                out.jobs.push(j);
                out.data.extend(d);
            }
            Err(e) => out.failures.push((code.clone(), e)),
        }
    }
    out
}

/// One instrument: reads its prices, reduces them to daily series (and with `with_data` the
/// forecast raw-data stage) and drops the raw rows.
fn load_one(
    store: &Store,
    setup: &ForecastSetup,
    code: &InstrumentCode,
    with_data: bool,
) -> Result<(InstrumentPrices, InstrumentJob, Option<InstrumentData>), String> {
    let adjusted = store
        .read_adjusted_prices(code)
        .map_err(|e| e.to_string())?;
    if adjusted.is_empty() {
        return Err("no adjusted prices".to_string());
    }
    let multiple = if store.dir().multiple_prices_file(code).exists() {
        Some(store.read_carry_prices(code).map_err(|e| e.to_string())?)
    } else if setup.needs_carry(code) {
        return Err(format!(
            "carry rules need multiple prices (expected {})",
            store.dir().multiple_prices_file(code).display()
        ));
    } else {
        None
    };
    let config = setup
        .configs
        .get(code)
        .cloned()
        .ok_or_else(|| "no forecast config".to_string())?;
    let reference = match multiple
        .as_ref()
        .and_then(|m| Some((m, m.price.iter().rposition(|p| !p.is_nan())?)))
    {
        Some((m, i)) => Some(Reference {
            price: m.price[i],
            contract: m.price_contract[i].to_string(),
            timestamp: m.timestamps[i],
        }),
        None => adjusted
            .timestamps
            .iter()
            .zip(&adjusted.values)
            .rev()
            .find(|(_, v)| !v.is_nan())
            .map(|(t, v)| Reference {
                price: *v,
                contract: String::new(),
                timestamp: *t,
            }),
    };
    // Only the business-day closes of the adjusted prices are used (`get_daily_prices`,
    // spec §3.1), and `resample("1B").last()` of them is themselves: keep just those.
    let daily = systrade_forecast::rawdata::daily_prices(&adjusted);
    drop(adjusted);
    let adjusted = AdjustedPrices::new(
        daily
            .dates
            .iter()
            .map(|d| Timestamp::from_date(*d))
            .collect(),
        daily.values,
    );
    let multiple = multiple.filter(|m| !m.is_empty());
    let (raw, data) = if with_data {
        // the forecasts' raw-data stage (as compute-forecasts' phase 1) includes `RawData`
        let mut d = InstrumentData::compute(
            ForecastInputs {
                adjusted: &adjusted,
                multiple: multiple.as_ref(),
            },
            &config.vol,
        );
        // intraday-granular carry inputs: only `raw_carry` (daily) is used from here on
        d.carry = None;
        let raw = if config.vol == setup.vol {
            Arc::clone(&d.raw)
        } else {
            Arc::new(RawData::compute(&adjusted, multiple.as_ref(), &setup.vol))
        };
        (raw, Some(d))
    } else {
        (
            Arc::new(RawData::compute(&adjusted, multiple.as_ref(), &setup.vol)),
            None,
        )
    };
    Ok((
        InstrumentPrices {
            code: code.clone(),
            raw,
            reference,
        },
        InstrumentJob {
            code: code.clone(),
            asset_class: setup.asset_classes.get(code).cloned(),
            adjusted: AdjustedPrices::default(),
            multiple: None,
            config,
        },
        data,
    ))
}

/// Run-level overrides of the config.
#[derive(Debug, Clone, Copy, Default)]
pub struct Overrides {
    /// `--capital`: replaces `notional_trading_capital`.
    pub capital: Option<f64>,
    /// `--costs`: replaces `use_SR_costs`.
    pub costs: Option<CostMethod>,
}

/// The accounting config from the system config, with instrument weights in the order of `codes`
/// (`None`, equal weights with a warning, when the config gives none).
pub fn accounts_config(
    cfg: &SystemConfig,
    codes: &[InstrumentCode],
    overrides: Overrides,
) -> systrade_accounts::system::SystemConfig {
    let instrument_weights = match &cfg.instrument_weights {
        Some(w) => Some(
            codes
                .iter()
                .map(|c| w.get(c).copied().unwrap_or(0.0))
                .collect(),
        ),
        None => {
            tracing::warn!(
                "{}: no instrument_weights; using equal weights over {} instruments",
                cfg.source_name,
                codes.len()
            );
            None
        }
    };
    systrade_accounts::system::SystemConfig {
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

/// Logs the failures and returns the exit code of a run whose per-instrument part ended with
/// `failures` and `done` successes.
///
/// # Errors
/// Every instrument failed (exit 1).
pub fn outcome(failures: &[Failure], done: usize) -> anyhow::Result<ExitCode> {
    for (code, e) in failures {
        tracing::error!("{code}: {e}");
    }
    if failures.is_empty() {
        return Ok(ExitCode::Success);
    }
    let names: Vec<String> = failures.iter().map(|(c, e)| format!("{c} ({e})")).collect();
    if done == 0 {
        return Err(fail(format!(
            "every instrument failed: {}",
            names.join("; ")
        )));
    }
    tracing::warn!(
        "{} of {} instruments failed: {}",
        failures.len(),
        failures.len() + done,
        names.join("; ")
    );
    Ok(ExitCode::Partial)
}
