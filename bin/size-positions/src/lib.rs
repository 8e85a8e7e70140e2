//! `size-positions`: positions from combined forecasts (spec §3.6–3.7) — block value, instrument
//! currency and value vol (FX into the base currency), vol scalar, subsystem position (long-only
//! floored at zero), instrument weights (fixed, or equal with a warning; EWMA-smoothed with
//! availability), fixed IDM, the risk overlay when the config has `risk_overlay` (notional
//! positions scaled by pysystemtrade's risk multiplier, `systrade_portfolio::risk_overlay`),
//! notional position and buffers (forecast, position or none).
//!
//! - Inputs: combined forecasts from `forecasts/<INSTRUMENT>.parquet` (compute-forecasts' files,
//!   read through the store) or, with `--forecasts -`, the CSV `date,instrument,rule,forecast` on
//!   stdin; adjusted and multiple prices, FX, `config/*.csv`; the system config (default
//!   `DATA/config/system.yaml`); capital: `--capital`, else `notional_trading_capital`.
//! - Position limits: when `state.sqlite` has `position_limits` rows (place-orders) for the
//!   strategy (or every strategy) and instrument, the notional position and both buffers are
//!   capped at ±limit (logged).
//! - Output: `positions/<INSTRUMENT>.parquet` with the full history
//!   ([`systrade_store::position_history`] documents the layout) and one `optimal_positions` row per instrument in `state.sqlite` (strategy
//!   `--strategy`; latest lower and upper buffer, reference price and contract from the last
//!   multiple-prices row, its timestamp), all under the data directory's write lock, files
//!   atomically; or with `--output -` the CSV `date,instrument,subsystem_position,
//!   notional_position,lower,upper` on stdout ([`csv_output`]) and nothing written.
//! - Dynamically optimised strategy (the config's `strategy_list` names pysystemtrade's dynamic
//!   optimised strategy, docs/adr/0007-optimised-strategy.md): the optimiser decides the latest
//!   date from the positions the strategy holds in `state.sqlite` (constraints as pysystemtrade's
//!   production strategy sets them: position limits, and the no-trading / reduce-only / close
//!   overrides of `state.sqlite` and of the config's instrument lists, [`optimiser_constraints`];
//!   [`systrade_optimise::system::optimise_latest`]) and each instrument's
//!   `optimal_positions` row has `lower = upper =` the optimised target in whole contracts, so
//!   place-orders trades to it with no buffer on top. stdout shows optimal vs optimised positions
//!   and the tracking errors of the held and target positions against the optimal ones.
//! - Every run that writes `state.sqlite` records itself in `sizing_runs`
//!   ([`systrade_store::state::sizing`]): the date decided and, when optimised, the optimiser's
//!   diagnostics (tracking errors, buffer decision, adjustment factor) and per instrument the
//!   unrounded optimal, held, greedy and optimised positions — what `report positions` shows.
//! - An instrument that cannot be sized (no forecast, prices, FX, static data) is reported and the
//!   others go on (exit 3).

pub mod csv_output;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{CommandFactory, Parser};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;
use systrade_accounts::system::{
    AccountsConfig, CostMethod, InstrumentInputs, InstrumentPositions, PositionsResult,
    compute_positions, for_each_instrument_positions,
};
use systrade_cli::{CommonArgs, ExitCode, ExitCodeError, Outcomes, Progress};
use systrade_config::{Strategy, SystemConfig};
use systrade_model::{InstrumentCode, Override, PositionHistory};
use systrade_optimise::system::{self as optimise, LatestDecision, optimise_latest};
use systrade_optimise::{Constraints, Trading};
use systrade_series::DailySeries;
use systrade_store::Store;
use systrade_store::state::optimal::OptimalPosition;
use systrade_store::state::sizing::{BufferDecision, Optimisation, OptimisedInstrument, SizingRun};
use systrade_system::{ForecastSetup, InstrumentPrices, Load, Overrides, StaticData, forecasts};

/// Size positions from combined forecasts: subsystem, notional and buffered (lower/upper)
/// positions per instrument. Writes positions/<INSTRUMENT>.parquet (full history) and the latest
/// optimal position per instrument in state.sqlite, or CSV
/// date,instrument,subsystem_position,notional_position,lower,upper on stdout with --output -.
/// With risk_overlay in the config, notional positions are scaled by the risk multiplier. When the
/// config's strategy_list names pysystemtrade's dynamic optimised strategy, the optimal positions
/// in state.sqlite are the optimised whole-contract targets (lower = upper), decided from the
/// positions the strategy holds.
#[derive(Debug, Parser)]
#[command(name = "size-positions", version)]
pub struct Args {
    /// The system config (pysystemtrade backtest YAML); default DATA/config/system.yaml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// `-`: read the forecasts as CSV (date,instrument,rule,forecast, as compute-forecasts
    /// --output - writes it) from stdin instead of DATA/forecasts/.
    #[arg(long, value_name = "-")]
    pub forecasts: Option<String>,

    /// `-`: write CSV (date,instrument,subsystem_position,notional_position,lower,upper) to stdout
    /// instead of the positions files and state.sqlite.
    #[arg(long, value_name = "-")]
    pub output: Option<String>,

    /// Trading capital in base currency; default the config's notional_trading_capital.
    #[arg(long, value_name = "AMOUNT")]
    pub capital: Option<f64>,

    /// Strategy name of the optimal positions written to state.sqlite.
    #[arg(long, value_name = "NAME", default_value = "default")]
    pub strategy: String,

    /// Seconds to wait for another process writing to the data directory before giving up (exit 6).
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub lock_timeout: f64,

    /// Size an instrument whose latest volatility sits at the floor vol_abs_min (flat prices)
    /// anyway; by default it is left out with a message (its position would be absurd).
    #[arg(long)]
    pub allow_floored_vol: bool,

    #[command(flatten)]
    pub common: CommonArgs,
}

/// The clap command, for man pages and completions.
pub fn command() -> clap::Command {
    Args::command().after_help(EXAMPLES)
}
/// Examples shown after `--help` and in the man page's EXAMPLES section.
const EXAMPLES: &str = "Examples:\n  size-positions --capital 500000\n  size-positions --strategy default --capital \"$(run-step capital get)\"\n  size-positions --output - --instruments US10";

/// The latest optimal position of one instrument.
#[derive(Debug, Clone, PartialEq)]
pub struct Optimal {
    pub instrument: InstrumentCode,
    /// The date of the latest buffers.
    pub date: NaiveDate,
    pub timestamp: String,
    pub lower: f64,
    pub upper: f64,
    pub notional: f64,
    pub reference_price: f64,
    pub reference_contract: String,
    /// Dynamically optimised strategy: (optimal before the risk overlay, held, optimised target).
    pub optimised: Option<(f64, i64, i64)>,
}

/// One instrument sized: its latest optimal position and its output.
struct Done {
    code: InstrumentCode,
    output: Output,
    optimal: Optimal,
}

enum Output {
    /// The positions file is staged.
    Staged,
    /// `--output -`: the history, for the CSV.
    Csv(Box<PositionHistory>),
}

/// The dynamic optimiser's decision on the latest date, from the positions `strategy` holds.
#[allow(clippy::too_many_arguments)]
fn optimised_targets(
    store: &Store,
    strategy: &str,
    kept: &[InstrumentCode],
    inputs: &[InstrumentInputs],
    positions: &PositionsResult,
    sys_cfg: &AccountsConfig,
    cfg: &SystemConfig,
    limits: &BTreeMap<InstrumentCode, i64>,
) -> anyhow::Result<LatestDecision> {
    let prices = systrade_system::optimiser_prices(store, kept, None)
        .into_iter()
        .zip(kept)
        .map(|(p, code)| p.map_err(|e| anyhow::anyhow!("{code}: adjusted prices: {e}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let state = store.open_state()?;
    let held: BTreeMap<InstrumentCode, i64> = state
        .strategy_positions()?
        .into_iter()
        .filter(|p| p.strategy == strategy)
        .map(|p| (p.instrument, p.position))
        .collect();
    let previous: Vec<i64> = kept
        .iter()
        .map(|c| held.get(c).copied().unwrap_or(0))
        .collect();
    let constraints = optimiser_constraints(&state, strategy, kept, cfg, limits)?;
    let d = optimise_latest(
        inputs,
        &prices,
        positions,
        sys_cfg,
        systrade_system::optimised_config(cfg),
        &previous,
        &constraints,
    )
    .context("dynamic optimisation")?;
    if let Some(f) = &d.failure {
        tracing::warn!(
            "dynamic optimisation on {}: {f:?}; the held positions are kept",
            d.date
        );
    }
    Ok(d)
}

/// The optimiser's constraints per instrument of `kept`, as pysystemtrade's production strategy
/// sets them (`dynamic_optimised_positions.py` `get_constraints`,
/// [`Constraints::from_override`]): the cumulative override — the manual ones of `state.sqlite`
/// for `strategy` and the instrument, and the one the config's instrument lists imply
/// ([`SystemConfig::configured_overrides`]: `trading_restrictions` no trading, `bad_markets`,
/// `ignore_instruments` and duplicate excludes reduce-only) — and the position limit. So an
/// instrument under no trading keeps its held position and one under reduce-only only moves
/// towards zero. Each constrained instrument is logged with why.
fn optimiser_constraints(
    state: &systrade_store::StateReader,
    strategy: &str,
    kept: &[InstrumentCode],
    cfg: &SystemConfig,
    limits: &BTreeMap<InstrumentCode, i64>,
) -> anyhow::Result<Vec<Constraints>> {
    let configured: BTreeMap<InstrumentCode, systrade_model::ConfiguredOverride> = cfg
        .configured_overrides()
        .into_iter()
        .map(|o| (o.instrument.clone(), o))
        .collect();
    let mut out = Vec::with_capacity(kept.len());
    for code in kept {
        let mut list = state.overrides_for(strategy, code)?;
        let manual = Override::combine(&list);
        let from_config = configured.get(code);
        if let Some(c) = from_config {
            list.push(c.value);
        }
        let value = Override::combine(&list);
        if value != Override::NONE {
            let why = match from_config {
                Some(c) if manual == Override::NONE => c.reason.clone(),
                Some(c) => format!("{} and state.sqlite overrides ({manual})", c.reason),
                None => "state.sqlite overrides".to_string(),
            };
            tracing::info!("{code}: override {value} ({why}) constrains the optimiser");
        }
        out.push(Constraints::from_override(value, limits.get(code).copied()));
    }
    Ok(out)
}

/// `state.sqlite` position limits for `strategy` (its own and the instrument-wide ones; the
/// smaller applies).
fn position_limits(store: &Store, strategy: &str) -> anyhow::Result<BTreeMap<InstrumentCode, i64>> {
    Ok(store.open_state()?.position_limits_of(strategy)?)
}

/// Caps every value at ±`limit`; returns how many were changed.
fn cap(values: &mut [f64], limit: f64) -> usize {
    let mut n = 0;
    for v in values.iter_mut() {
        if v.abs() > limit {
            *v = v.signum() * limit;
            n += 1;
        }
    }
    n
}

fn history(r: &InstrumentPositions, forecast: &DailySeries, idm: &DailySeries) -> PositionHistory {
    let dates = r.notional_position.dates.clone();
    let on = |s: &DailySeries| s.reindex(&dates).values;
    PositionHistory {
        combined_forecast: on(forecast),
        volatility_scalar: r.sizing.volatility_scalar.reindex_ffill(&dates).values,
        subsystem_position: on(&r.sizing.subsystem_position),
        instrument_weight: r.instrument_weight.reindex_ffill(&dates).values,
        idm: idm.reindex_ffill(&dates).values,
        notional_position: r.notional_position.values.clone(),
        lower: on(&r.buffers.bottom),
        upper: on(&r.buffers.top),
        buffered_position: on(&r.buffered_position),
        dates,
    }
}

/// What sizing one instrument used besides its prices and forecast: its FX rates into the base
/// currency and the capital, to say which of them is wrong when there is no position.
struct SizingInputs<'a> {
    fx: &'a systrade_model::FxRates,
    currency: &'a str,
    base: &'a str,
    capital: f64,
}

/// A capital above this (in base currency) is not a trading capital but a typo or an overflow
/// test; named as the cause when the sizing arithmetic gives no finite number.
const IMPLAUSIBLE_CAPITAL: f64 = 1e15;

/// Why `h` has no buffered position on any date, naming the input that is wrong and its file: no
/// forecast; an FX rate that is missing, zero or negative; a capital so large that the arithmetic
/// overflows (issue 15 item 10: not "no position yet (no forecast or volatility)").
fn why_no_position(code: &InstrumentCode, h: &PositionHistory, s: &SizingInputs<'_>) -> String {
    let forecasts = format!("forecasts/{code}.parquet");
    let Some(i) = (0..h.dates.len())
        .rev()
        .find(|&i| h.combined_forecast[i].is_finite())
    else {
        return format!("no position: no combined forecast (check {forecasts})");
    };
    let date = &h.dates[i];
    // the rate into the base currency is crossed via USD: the files it comes from
    let fx_file = [s.currency, s.base]
        .iter()
        .filter(|c| **c != "USD")
        .map(|c| format!("prices/fx/{c}USD.parquet"))
        .collect::<Vec<_>>()
        .join(" and ");
    let rate =
        s.fx.timestamps
            .iter()
            .zip(&s.fx.values)
            .take_while(|(t, _)| t.date() <= *date)
            .filter(|(_, v)| !v.is_nan())
            .last()
            .map(|(_, v)| *v);
    let capital_too_large = s.capital > IMPLAUSIBLE_CAPITAL;
    let vs = h.volatility_scalar[i];
    if !vs.is_finite() || vs == 0.0 {
        return match rate {
            None => format!(
                "no position: no FX rate of {} into {} on or before {date} (check {fx_file})",
                s.currency, s.base
            ),
            Some(r) if !(r.is_finite() && r > 0.0) => format!(
                "no position: the FX rate of {} into {} on {date} is {r} (check {fx_file}: it \
                 must be a positive number)",
                s.currency, s.base
            ),
            Some(_) if capital_too_large => format!(
                "no position: the capital {:e} {} is too large: the volatility scalar on {date} \
                 is {vs} (use --capital or notional_trading_capital with a real amount)",
                s.capital, s.base
            ),
            Some(r) => format!(
                "no position: the volatility scalar on {date} is {vs} (capital {} {}, FX rate \
                 {r}): the instrument's price volatility is zero or not a number (check its \
                 adjusted prices)",
                s.capital, s.base
            ),
        };
    }
    let notional = h.notional_position[i];
    if !notional.is_finite() {
        return if capital_too_large {
            format!(
                "no position: the capital {:e} {} is too large: the notional position on {date} \
                 is {notional} (use --capital or notional_trading_capital with a real amount)",
                s.capital, s.base
            )
        } else {
            format!(
                "no position: the notional position on {date} is {notional} (volatility scalar \
                 {vs}, instrument weight {}, IDM {}); check the instrument weight and the IDM",
                h.instrument_weight[i], h.idm[i]
            )
        };
    }
    format!(
        "no position: no position buffers on {date} (forecast {}, volatility scalar {vs}); check \
         the instrument's prices and volatility",
        h.combined_forecast[i]
    )
}

fn latest(
    code: &InstrumentCode,
    h: &PositionHistory,
    p: &InstrumentPrices,
    inputs: &SizingInputs<'_>,
) -> Result<Optimal, String> {
    let (lower, upper, notional) = (&h.lower, &h.upper, &h.notional_position);
    let i = (0..h.dates.len())
        .rev()
        .find(|&i| !lower[i].is_nan() && !upper[i].is_nan())
        .ok_or_else(|| why_no_position(code, h, inputs))?;
    let r = p
        .reference
        .as_ref()
        .ok_or_else(|| "no price to refer the position to".to_string())?;
    let (reference_price, reference_contract, timestamp) = (
        r.price,
        r.contract.clone(),
        r.timestamp
            .datetime()
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
    );
    Ok(Optimal {
        instrument: code.clone(),
        date: h.dates[i],
        timestamp,
        lower: lower[i].min(upper[i]),
        upper: upper[i].max(lower[i]),
        notional: notional[i],
        reference_price,
        reference_contract,
        optimised: None,
    })
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let to_stdout = match args.output.as_deref() {
        None => false,
        Some("-") => true,
        Some(other) => anyhow::bail!(
            "--output accepts only '-' (CSV on stdout), got '{other}'; without --output the \
             positions go to DATA/positions/<INSTRUMENT>.parquet and state.sqlite"
        ),
    };
    let from_stdin = match args.forecasts.as_deref() {
        None => false,
        Some("-") => true,
        Some(other) => anyhow::bail!(
            "--forecasts accepts only '-' (CSV on stdin), got '{other}'; without it the \
             forecasts are read from DATA/forecasts/<INSTRUMENT>.parquet"
        ),
    };
    if let Some(c) = args.capital {
        anyhow::ensure!(
            c.is_finite() && c > 0.0,
            "--capital must be a positive amount"
        );
    }
    let timeout = Duration::try_from_secs_f64(args.lock_timeout)
        .context("--lock-timeout must be a non-negative number of seconds")?;
    let store = Store::open(&args.common.data_dir);
    let (cfg, config_path) =
        systrade_system::load_config(&store, args.config.as_deref()).map_err(|e| {
            if e.is_data_problem() {
                systrade_cli::data_problem(e)
            } else {
                anyhow::Error::new(e)
            }
        })?;
    let list = systrade_system::instrument_list(&store, &cfg, args.common.instruments.as_deref())
        .map_err(|e| {
        if e.is_usage() {
            systrade_cli::usage(e)
        } else {
            anyhow::Error::new(e)
        }
    })?;
    let codes = &list.codes;
    // The config and the instrument list are checked: take the data directory's write lock before
    // reading the inputs a concurrent writer could change (static data, forecasts, prices, limits),
    // so that a compute-forecasts running at the same time is either finished or not started when
    // this run reads its forecasts (issue 15); `--output -` writes no file and takes no lock.
    let writer = if to_stdout {
        None
    } else {
        Some(store.lock_for_writing(timeout).map_err(|e| {
            if e.is_locked() {
                anyhow::Error::new(ExitCodeError(ExitCode::Locked)).context(e.to_string())
            } else {
                e.into()
            }
        })?)
    };
    let statics = StaticData::read(&store)?;
    let mut setup = ForecastSetup::new(&cfg, codes)?;
    setup.set_asset_classes(statics.instruments.values());
    let limits = position_limits(&store, &args.strategy)?;

    let combined = if from_stdin {
        let mut c = forecasts::read_csv(std::io::stdin().lock())?;
        c.retain(|code, _| codes.contains(code));
        c
    } else {
        forecasts::read_files(&store, codes)
    };
    let progress = Progress::new(codes.len() as u64, "instruments", args.common.no_progress);
    let loaded = systrade_system::load_instruments(&store, &list, &setup, Load::default());
    let (mut prices, mut failures) = (loaded.prices, loaded.failures);
    failures.extend(systrade_system::exclude_floored_vol(
        &mut prices,
        &setup.vol,
        if args.allow_floored_vol {
            systrade_system::FlooredVolCheck::Allow
        } else {
            systrade_system::FlooredVolCheck::Latest
        },
    ));
    progress.inc(failures.len() as u64);
    let loaded = systrade_system::assemble(&store, &cfg, &statics, prices, combined, failures);
    let mut failures = loaded.failures;
    if loaded.inputs.is_empty() {
        progress.finish();
        return Ok(outcome("size-positions", &failures, std::iter::empty()));
    }
    let kept: Vec<InstrumentCode> = loaded.prices.iter().map(|p| p.code.clone()).collect();
    let sys_cfg = systrade_system::accounts_config(
        &cfg,
        &kept,
        Overrides {
            capital: args.capital,
            costs: Some(CostMethod::Cash),
        },
    );
    let capital = sys_cfg.vol_target.notional_trading_capital;
    tracing::info!(
        "capital {} {}, vol target {}%, config {}",
        if capital > IMPLAUSIBLE_CAPITAL {
            format!("{capital:e}")
        } else {
            capital.to_string()
        },
        cfg.base_currency,
        sys_cfg.vol_target.percentage_vol_target,
        config_path.display()
    );
    // temporary files of a killed earlier run (only ours can exist: we hold the lock); each
    // positions file is then staged as soon as it is encoded
    if let Some(writer) = writer.as_ref() {
        let stale = writer.remove_stale_temp_files_in(&store.dir().positions_dir())?;
        if stale > 0 {
            tracing::info!("removed {stale} temporary file(s) left by an interrupted run");
        }
    }
    let staged = writer.as_ref().map(|w| w.staged());
    // The optimiser needs every instrument's positions at once; otherwise each instrument's
    // positions are computed, written out and released one at a time.
    let (positions, optimised) = if cfg.strategy == Strategy::DynamicOptimised && !to_stdout {
        let positions = compute_positions(&loaded.inputs, &sys_cfg);
        let decision = optimised_targets(
            &store,
            &args.strategy,
            &kept,
            &loaded.inputs,
            &positions,
            &sys_cfg,
            &cfg,
            &limits,
        )?;
        (Some(positions), Some(decision))
    } else {
        (None, None)
    };
    let prices = &loaded.prices;
    // One instrument: its position history from its positions (no P&L: sizing does not need the
    // accounts), its latest optimal position, and its file encoded and staged at once, so that
    // nothing of it outlives this call but the optimal position (and the history for `--output
    // -`).
    let size_one = |i: usize,
                    inp: InstrumentInputs,
                    pos: InstrumentPositions,
                    idm: &DailySeries|
     -> anyhow::Result<Result<Done, (InstrumentCode, String)>> {
        let p = &prices[i];
        let code = p.code.clone();
        let mut h = history(&pos, &inp.combined_forecast, idm);
        drop(pos);
        if let Some(limit) = limits.get(&code) {
            let l = *limit as f64;
            let n = cap(&mut h.notional_position, l) + cap(&mut h.lower, l) + cap(&mut h.upper, l);
            if n > 0 {
                tracing::warn!(
                    "{code}: position limit {limit} (state.sqlite position_limits) caps {n} values of the notional position and buffers"
                );
            }
        }
        progress.inc(1);
        let inputs = SizingInputs {
            fx: &inp.fx,
            currency: statics
                .instruments
                .get(&code)
                .map_or("?", |i| i.currency.as_str()),
            base: &cfg.base_currency,
            capital,
        };
        let mut o = match latest(&code, &h, p, &inputs) {
            Ok(o) => o,
            Err(e) => return Ok(Err((code, e))),
        };
        if let Some((d, k)) = optimised.as_ref().zip(kept.iter().position(|c| *c == code)) {
            let target = d.positions[k] as f64;
            (o.lower, o.upper) = (target, target);
            o.optimised = Some((d.optimal[k], d.previous[k], d.positions[k]));
        }
        let output = match &staged {
            Some(staged) => {
                staged.stage(&store.prepare_position_history(&code, &h)?)?;
                Output::Staged
            }
            None => Output::Csv(Box::new(h)),
        };
        Ok(Ok(Done {
            code,
            output,
            optimal: o,
        }))
    };
    let sized: Vec<anyhow::Result<Result<Done, (InstrumentCode, String)>>> = match positions {
        Some(PositionsResult {
            idm, instruments, ..
        }) => instruments
            .into_par_iter()
            .zip(loaded.inputs.into_par_iter())
            .enumerate()
            .map(|(i, (pos, inp))| size_one(i, inp, pos, &idm))
            .collect(),
        None => for_each_instrument_positions(loaded.inputs, &sys_cfg, size_one),
    };
    let mut done: Vec<Done> = Vec::with_capacity(sized.len());
    for r in sized {
        match r? {
            Ok(d) => done.push(d),
            Err(f) => failures.push(f),
        }
    }
    progress.finish();
    failures.sort();

    if to_stdout {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
        csv_output::write_csv_header(&mut out)?;
        for d in &done {
            if let Output::Csv(h) = &d.output {
                csv_output::write_csv_rows(&mut out, &d.code, h)?;
            }
        }
        out.flush()?;
    } else if let Some(staged) = staged.filter(|_| !done.is_empty()) {
        // every file replaced atomically, all made durable with one filesystem flush
        let files = staged.commit()?;
        let run = sizing_run(&args.strategy, &kept, optimised.as_ref(), &done);
        write_optimal_positions(&store, &args.strategy, &done, &run)?;
        tracing::info!(
            "{} positions files in {}, optimal positions for strategy '{}' in {}",
            files,
            store.dir().positions_dir().display(),
            args.strategy,
            store.dir().state_sqlite().display()
        );
        let mut out = std::io::stdout().lock();
        if let Some(d) = &optimised {
            writeln!(
                out,
                "dynamic optimisation on {}: tracking error vs optimal {:.4} held, {:.4} target",
                d.date, d.tracking_error_previous, d.tracking_error
            )?;
            for Done {
                code, optimal: o, ..
            } in &done
            {
                if let Some((optimal, held, target)) = o.optimised {
                    writeln!(
                        out,
                        "{:<12} {}  optimal {:>10.3}  held {:>6}  optimised {:>6}",
                        code.as_str(),
                        o.timestamp,
                        optimal,
                        held,
                        target
                    )?;
                }
            }
        }
        for Done {
            code, optimal: o, ..
        } in done.iter().filter(|_| optimised.is_none())
        {
            writeln!(
                out,
                "{:<12} {}  notional {:>10.3}  lower {:>10.3}  upper {:>10.3}  ref {} @ {}",
                code.as_str(),
                o.timestamp,
                o.notional,
                o.lower,
                o.upper,
                if o.reference_contract.is_empty() {
                    "-"
                } else {
                    &o.reference_contract
                },
                o.reference_price
            )?;
        }
    }
    Ok(outcome(
        "size-positions",
        &failures,
        done.iter().map(|d| &d.code),
    ))
}

/// The `sizing_runs` record of this run: the date decided and, for the dynamically optimised
/// strategy, the optimiser's diagnostics and every instrument of its universe (`kept`, the
/// decision's order).
fn sizing_run(
    strategy: &str,
    kept: &[InstrumentCode],
    decision: Option<&LatestDecision>,
    done: &[Done],
) -> SizingRun {
    let latest = done.iter().map(|d| d.optimal.date).max();
    let optimisation = decision.map(|d| {
        let g = &d.diagnostics;
        Optimisation {
            n_valid_keys: g.n_valid_keys,
            te_prior_vs_optimal: d.tracking_error_previous,
            prior_within_buffer: g.prior_within_buffer,
            te_greedy_vs_optimal: g.tracking_error_greedy_vs_optimal,
            costs_term_greedy: g.costs_term_greedy,
            te_prior_vs_greedy: g.tracking_error_prior_vs_greedy,
            adj_factor: g.adj_factor,
            te_optimised_vs_optimal: d.tracking_error,
            buffer_decision: match d.buffer_decision() {
                optimise::BufferDecision::PriorWithinBuffer => BufferDecision::PriorWithinBuffer,
                optimise::BufferDecision::GreedyWithinBuffer => BufferDecision::GreedyWithinBuffer,
                optimise::BufferDecision::Adjusted => BufferDecision::Adjusted,
                optimise::BufferDecision::Failed => BufferDecision::Failed,
            },
            traded: d.traded(),
            failure: d.failure.map(|f| f.to_string()),
            instruments: kept
                .iter()
                .enumerate()
                .map(|(k, code)| OptimisedInstrument {
                    instrument: code.clone(),
                    optimal_position: d.optimal[k],
                    previous_position: d.previous[k],
                    optimised_position: d.positions[k],
                    greedy_position: d.greedy_positions[k],
                    weight_per_contract: d.per_contract_value[k],
                    reduce_only: d.constraints[k].trading == Trading::ReduceOnly,
                    dont_trade: d.constraints[k].trading == Trading::NoTrade,
                    position_limit_contracts: d.constraints[k].position_limit,
                })
                .collect(),
        }
    });
    SizingRun {
        id: 0,
        strategy: strategy.to_string(),
        date: decision.map(|d| d.date).or(latest).unwrap_or_default(),
        optimisation,
        created_at: String::new(),
    }
}

fn write_optimal_positions(
    store: &Store,
    strategy: &str,
    done: &[Done],
    run: &SizingRun,
) -> anyhow::Result<()> {
    store.open_state_for_writing()?.transaction(|tx| {
        tx.insert_sizing_run(run)?;
        for Done { optimal: o, .. } in done {
            tx.insert_optimal_position(&OptimalPosition {
                strategy: strategy.to_string(),
                instrument: o.instrument.clone(),
                timestamp: o.timestamp.clone(),
                lower: o.lower,
                upper: o.upper,
                reference_price: o.reference_price,
                reference_contract: o.reference_contract.clone(),
            })?;
        }
        Ok(())
    })
}

/// The per-instrument outcome summary (logged) and the run's exit code: 0 when every instrument
/// was done, 3 when some failed, 1 when all did.
fn outcome<'a>(
    what: &str,
    failures: &[(InstrumentCode, String)],
    done: impl Iterator<Item = &'a InstrumentCode>,
) -> ExitCode {
    let outcomes = Outcomes::new(what);
    for (code, reason) in failures {
        outcomes.failed_with(code, ExitCode::Failure, reason);
    }
    for code in done {
        outcomes.ok(code);
    }
    outcomes.finish()
}
