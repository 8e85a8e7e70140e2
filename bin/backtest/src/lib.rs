//! `backtest`: the whole system over history in one process (spec §3.0–3.8) — forecasts, position
//! sizing, instrument weights and IDM, notional positions, buffers, the buffered-position walk,
//! P&L with the one-day delayed fill, cash or SR costs, and statistics.
//!
//! - Config: pysystemtrade's backtest YAML, default `DATA/config/system.yaml`; loading and wiring
//!   are shared with `size-positions` ([`systrade_system`]); the computation is
//!   [`systrade_accounts::system::run_system`] (and [`systrade_accounts::system::compound`] for a
//!   compounding `capital_multiplier`).
//! - `--costs cash|sr`: default from `use_SR_costs` (pysystemtrade default false: cash costs).
//! - stdout: a readable summary, or with `--format json` the statistics as one JSON object on one
//!   line ([`output`] documents it; `--format csv`: its flattened key paths and values).
//! - `--output DIR`: `portfolio.csv`, `instruments.parquet` ([`output`]) and `report.html`
//!   ([`report`], a tear sheet); each written atomically.
//! - Optimised system (`--optimised`, or a config whose `strategy_list` names pysystemtrade's
//!   dynamic optimised strategy; docs/adr/0007-optimised-strategy.md): also the dynamically
//!   optimised positions ([`systrade_optimise::system`]), their P&L and statistics next to the
//!   buffered system's (`optimised` in the JSON, `optimised.parquet` with `--output`).
//! - With a risk overlay, `--output` also writes `risk_overlay.csv` (the daily multiplier).
//! - Estimated forecast weights, FDM, instrument weights and IDM (`use_*_estimates`;
//!   [`systrade_system::estimation`], [`systrade_accounts::system::estimate_weights_and_idm`]):
//!   the combination waits for every rule's capped forecast; `--output` also writes
//!   `estimates.parquet` ([`systrade_store::estimates`]).
//! - Instruments that cannot be loaded or forecast are left out with an error (exit 3).
//! - Nothing is written to the data directory.

pub mod output;
pub mod report;

use anyhow::Context;
use clap::{CommandFactory, Parser, ValueEnum};
use output::{CurveStats, Summary};
use std::path::PathBuf;
use systrade_accounts::system::{
    CostMethod, compound, compute_positions, compute_positions_given, estimate_weights_and_idm,
    run_system_lean, run_system_with_positions, size_all,
};
use systrade_accounts::{DailySeries, curves::Curves};
use systrade_cli::{CommonArgs, ExitCode, FormatArg, Outcomes, Printer, Progress};
use systrade_config::Strategy;
use systrade_optimise::system::{OptimisedSystem, optimised_system};
use systrade_portfolio::portfolio::CapitalMultiplier;
use systrade_store::Store;
use systrade_store::optimised_positions::OptimisedPositions;
use systrade_system::{ForecastSetup, Load, Overrides, StaticData, forecasts};

/// How trading costs are charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Costs {
    /// Cash costs: spread and commission on every trade, roll costs as holding pseudo-trades.
    Cash,
    /// Sharpe-ratio costs: a daily drag from turnover and rolls.
    Sr,
}

/// Backtest the whole system over history: forecasts, positions, buffered positions, P&L with
/// costs and statistics for the portfolio and each instrument. Prints a summary (or with --format
/// json one JSON object, e.g. `| jq .portfolio.net.sharpe`); with --output DIR writes
/// portfolio.csv, instruments.parquet and a self-contained report.html.
#[derive(Debug, Parser)]
#[command(name = "backtest", version)]
pub struct Args {
    /// The system config (pysystemtrade backtest YAML); default DATA/config/system.yaml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Trading costs: cash or sr; default from the config's use_SR_costs (false: cash).
    #[arg(long, value_enum, value_name = "METHOD")]
    pub costs: Option<Costs>,

    /// Capital in base currency instead of the config's notional_trading_capital.
    #[arg(long, value_name = "AMOUNT")]
    pub capital: Option<f64>,

    /// Write portfolio.csv (daily portfolio returns), instruments.parquet (daily position,
    /// forecast and P&L per instrument) and report.html into this directory (created if needed);
    /// with the optimised system also optimised.parquet, with a risk overlay also
    /// risk_overlay.csv, with estimated weights or diversification multipliers also
    /// estimates.parquet.
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,

    /// Also run the dynamically optimised system (pysystemtrade's optimisedPositions stage with
    /// the config's small_system settings) and report it next to the buffered system; implied
    /// when the config's strategy_list names the dynamic optimised strategy.
    #[arg(long)]
    pub optimised: bool,

    /// Size an instrument whose volatility sits at the floor vol_abs_min on some day (flat
    /// prices) anyway; by default it is left out with a message (its positions would be absurd).
    #[arg(long)]
    pub allow_floored_vol: bool,

    #[command(flatten)]
    pub stdout: FormatArg,

    #[command(flatten)]
    pub common: CommonArgs,
}

/// The clap command, for man pages and completions.
pub fn command() -> clap::Command {
    Args::command().after_help(EXAMPLES)
}
/// Examples shown after `--help` and in the man page's EXAMPLES section.
const EXAMPLES: &str = "Examples:\n  backtest\n  backtest --config my-system.yaml --format json | jq .portfolio.net.sharpe\n  backtest --output results/";

/// Per instrument: what the outputs need.
struct InstrumentOut {
    code: String,
    position: DailySeries,
    base: Curves,
    percent: Curves,
    turnover: f64,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    if let Some(c) = args.capital {
        anyhow::ensure!(
            c.is_finite() && c > 0.0,
            "--capital must be a positive amount"
        );
    }
    let store = Store::open(&args.common.data_dir);
    let (cfg, config_path) =
        systrade_system::load_config_for_backtest(&store, args.config.as_deref()).map_err(|e| {
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
    let statics = StaticData::read(&store)?;
    let mut setup = ForecastSetup::new(&cfg, codes)?;
    setup.set_static_data(&statics);

    let t0 = std::time::Instant::now();
    let systrade_system::PricesAndData {
        prices,
        jobs,
        inputs,
        failures,
    } = systrade_system::load_instruments(
        &store,
        &list,
        &setup,
        Load {
            as_of: None,
            forecast_inputs: true,
        },
    );
    tracing::debug!(
        "prices and raw data: {:?}, peak RSS {}",
        t0.elapsed(),
        peak_rss()
    );
    let progress = Progress::new(prices.len() as u64, "instruments", args.common.no_progress);
    progress.set_message("forecasts");
    let (peers, peer_failures) =
        systrade_system::class_peers(&store, &list, &setup, statics.instruments.values(), None);
    for (code, e) in &peer_failures {
        tracing::warn!("{code}: left out of its asset class's factor average: {e}");
    }
    let capital = args.capital.unwrap_or(cfg.notional_trading_capital);
    let forecast_estimation = systrade_system::estimation::forecast_estimation(&cfg, capital)?;
    let instrument_estimation = systrade_system::estimation::instrument_estimation(&cfg)?;
    let mut rule_forecasts = forecasts::RuleForecasts::new();
    let combined = match &forecast_estimation {
        None => forecasts::compute(&jobs, inputs, &peers, setup.scalars, &|| {
            progress.inc(1);
        }),
        Some(_) => {
            // the combination waits for the estimates: every rule's capped forecast first
            rule_forecasts =
                forecasts::compute_rules(&jobs, inputs, &peers, setup.scalars, &|| {
                    progress.inc(1);
                });
            rule_forecasts
                .iter()
                .map(|(code, r)| {
                    (
                        code.clone(),
                        r.as_ref()
                            .map(|_| systrade_series::DailySeries::new(Vec::new(), Vec::new()))
                            .map_err(Clone::clone),
                    )
                })
                .collect()
        }
    };
    drop(peers);
    tracing::debug!(
        "prices and forecasts: {:?}, peak RSS {}",
        t0.elapsed(),
        peak_rss()
    );
    progress.finish();
    let (mut prices, mut failures) = (prices, failures);
    failures.extend(systrade_system::exclude_floored_vol(
        &mut prices,
        &setup.vol,
        if args.allow_floored_vol {
            systrade_system::FlooredVolCheck::Allow
        } else {
            systrade_system::FlooredVolCheck::AnyDay
        },
    ));
    let mut loaded = systrade_system::assemble(&store, &cfg, &statics, prices, combined, failures);
    let mut forecast_estimates = None;
    if let Some(est) = &forecast_estimation {
        let capped: Vec<systrade_system::estimation::CappedForecasts> = loaded
            .inputs
            .iter()
            .map(|inp| {
                let code = systrade_model::InstrumentCode::new(&inp.code)?;
                let job = jobs
                    .iter()
                    .find(|j| j.code == code)
                    .ok_or_else(|| anyhow::anyhow!("{code}: no forecast job"))?;
                let series = match rule_forecasts.remove(&code) {
                    Some(Ok(s)) => s,
                    _ => anyhow::bail!("{code}: no rule forecasts"),
                };
                let rules: Vec<String> = job
                    .config
                    .forecast_weights
                    .iter()
                    .map(|(r, _)| r.clone())
                    .collect();
                let capped = rules
                    .iter()
                    .map(|r| {
                        series
                            .iter()
                            .find(|s| &s.rule == r)
                            .map(|s| {
                                systrade_series::DailySeries::new(s.dates.clone(), s.capped.clone())
                            })
                            .ok_or_else(|| anyhow::anyhow!("{code}: no forecast for rule {r}"))
                    })
                    .collect::<anyhow::Result<Vec<_>>>()?;
                Ok(systrade_system::estimation::CappedForecasts {
                    rules,
                    capped,
                    fixed_weights: job
                        .config
                        .forecast_weights
                        .iter()
                        .map(|(_, w)| *w)
                        .collect(),
                    fixed_fdm: job.config.fdm,
                    limit: job.config.combined_limit(),
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let t = std::time::Instant::now();
        let combinations =
            systrade_system::estimation::estimate_and_combine(&loaded.inputs, &capped, est)
                .map_err(|e| anyhow::anyhow!(e))?;
        tracing::debug!("forecast weights and FDM estimated: {:?}", t.elapsed());
        for (inp, c) in loaded.inputs.iter_mut().zip(&combinations) {
            inp.combined_forecast = c.combined.clone();
        }
        forecast_estimates = Some(
            loaded
                .inputs
                .iter()
                .map(|i| i.code.clone())
                .zip(combinations)
                .collect::<Vec<_>>(),
        );
    }
    drop(jobs);
    let codes: Vec<_> = loaded.prices.iter().map(|p| p.code.clone()).collect();
    // the inputs hold copies of the daily series; the prices are not needed any more
    let loaded = systrade_system::Loaded {
        prices: Vec::new(),
        ..loaded
    };
    let failed: Vec<String> = loaded.failures.iter().map(|f| f.0.to_string()).collect();
    let outcomes = Outcomes::new("backtest");
    for (code, reason) in &loaded.failures {
        outcomes.failed_with(code, ExitCode::Failure, reason);
    }
    if loaded.inputs.is_empty() {
        return Ok(outcomes.finish());
    }

    let overrides = Overrides {
        capital: args.capital,
        costs: args.costs.map(|c| match c {
            Costs::Cash => CostMethod::Cash,
            Costs::Sr => CostMethod::Sr,
        }),
    };
    let sys_cfg = systrade_system::accounts_config(&cfg, &codes, overrides);
    // the combined forecasts for instruments.parquet and the report (the inputs are consumed)
    let forecasts: std::collections::HashMap<String, DailySeries> = if args.output.is_some() {
        loaded
            .inputs
            .iter()
            .map(|i| (i.code.clone(), i.combined_forecast.clone()))
            .collect()
    } else {
        std::collections::HashMap::new()
    };
    tracing::debug!("inputs: {:?}, peak RSS {}", t0.elapsed(), peak_rss());
    let multiplier = systrade_system::capital_multiplier(&cfg);
    let want_optimised = args.optimised || cfg.strategy == Strategy::DynamicOptimised;
    if want_optimised && !cfg.instrument_returns_correlation_changes.is_empty() {
        return Err(systrade_cli::usage(format!(
            "{}: instrument_returns_correlation: the dynamic optimiser's correlations use pysystemtrade's default settings only; remove {}",
            config_path.display(),
            cfg.instrument_returns_correlation_changes.join(", ")
        )));
    }
    let mut optimised: Option<OptimisedSystem> = None;
    let mut risk_multiplier = None;
    let mut instrument_estimates = None;
    let (portfolio, instruments): (Curves, Vec<InstrumentOut>) = if multiplier
        == CapitalMultiplier::Fixed
        && !want_optimised
        && instrument_estimation.is_none()
        && !(args.output.is_some() && sys_cfg.risk_overlay.is_some())
    {
        // only the curves, positions and turnover are needed: drop intermediates as they go
        let result = run_system_lean(loaded.inputs, &sys_cfg);
        tracing::debug!("system: {:?}, peak RSS {}", t0.elapsed(), peak_rss());
        (
            result.portfolio.percent,
            result
                .instruments
                .into_iter()
                .map(|r| InstrumentOut {
                    code: r.code,
                    position: r.buffered_position,
                    base: r.base,
                    percent: r.percent,
                    turnover: r.turnover,
                })
                .collect(),
        )
    } else {
        let positions = match &instrument_estimation {
            None => compute_positions(&loaded.inputs, &sys_cfg),
            Some(est) => {
                let t = std::time::Instant::now();
                let sized = size_all(&loaded.inputs, &sys_cfg);
                let (weights, idm, estimates) =
                    estimate_weights_and_idm(&loaded.inputs, &sized, &sys_cfg, est)
                        .context("instrument weights and IDM")?;
                tracing::debug!("instrument weights and IDM estimated: {:?}", t.elapsed());
                instrument_estimates = Some(estimates);
                compute_positions_given(&loaded.inputs, sized, weights, idm, &sys_cfg)
            }
        };
        if want_optimised {
            let prices = systrade_system::optimiser_prices(&store, &codes, None)
                .into_iter()
                .zip(&codes)
                .map(|(p, code)| p.map_err(|e| anyhow::anyhow!("{code}: adjusted prices: {e}")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let o = optimised_system(
                &loaded.inputs,
                &prices,
                &positions,
                &sys_cfg,
                systrade_system::optimised_config(&cfg),
                &systrade_system::optimised_backtest_constraints(&cfg, &codes),
            )
            .context("optimised system")?;
            tracing::debug!(
                "optimised system: {:?}, peak RSS {}",
                t0.elapsed(),
                peak_rss()
            );
            optimised = Some(o);
        }
        let result = run_system_with_positions(&loaded.inputs, positions, &sys_cfg);
        risk_multiplier = result.risk_multiplier.clone();
        tracing::debug!("system: {:?}, peak RSS {}", t0.elapsed(), peak_rss());
        if sys_cfg.costs == CostMethod::Sr {
            tracing::warn!(
                "capital_multiplier {}: compounding charges cash costs (SR costs apply to fixed capital only)",
                cfg.capital_multiplier.name()
            );
        }
        if multiplier == CapitalMultiplier::Fixed {
            (
                result.portfolio.percent,
                result
                    .instruments
                    .into_iter()
                    .map(|r| InstrumentOut {
                        code: r.code,
                        position: r.buffered_position,
                        base: r.account.base,
                        percent: r.account.percent,
                        turnover: r.turnover,
                    })
                    .collect(),
            )
        } else {
            if optimised.is_some() {
                tracing::warn!(
                    "capital_multiplier {}: the optimised system is accounted at fixed capital (as pysystemtrade's optimised_portfolio)",
                    cfg.capital_multiplier.name()
                );
            }
            let c = compound(&loaded.inputs, &sys_cfg, &result, multiplier);
            (
                c.portfolio.percent.clone(),
                result
                    .instruments
                    .iter()
                    .zip(c.buffered_positions)
                    .zip(c.accounts)
                    .map(|((r, position), a)| InstrumentOut {
                        code: r.code.clone(),
                        position,
                        base: a.base,
                        percent: a.percent,
                        turnover: r.turnover,
                    })
                    .collect(),
            )
        }
    };

    let optimised_stats = optimised.as_ref().map(|o| {
        let mut te: Vec<f64> = o
            .tracking_error_prior_vs_optimal()
            .into_iter()
            .filter(|x| x.is_finite())
            .collect();
        te.sort_by(f64::total_cmp);
        let median = match te.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => te[n / 2],
            n => 0.5 * (te[n / 2 - 1] + te[n / 2]),
        };
        output::OptimisedStats {
            portfolio: CurveStats::of(&o.portfolio.percent),
            instruments: o
                .instruments
                .iter()
                .map(|i| {
                    (
                        i.code.clone(),
                        CurveStats::of(&i.account.percent),
                        i.turnover,
                    )
                })
                .collect(),
            turnover: o
                .instruments
                .iter()
                .map(|i| i.turnover)
                .filter(|t| !t.is_nan())
                .sum(),
            tracking_error_median: median,
        }
    });
    let summary = Summary {
        config: config_path.display().to_string(),
        costs_method: match sys_cfg.costs {
            CostMethod::Cash => "cash",
            CostMethod::Sr => "SR",
        },
        capital: sys_cfg.vol_target.notional_trading_capital,
        base_currency: cfg.base_currency.clone(),
        start: portfolio.net.dates.first().copied(),
        end: portfolio.net.dates.last().copied(),
        days: portfolio.net.len(),
        portfolio: CurveStats::of(&portfolio),
        instruments: instruments
            .iter()
            .map(|i| (i.code.clone(), CurveStats::of(&i.percent), i.turnover))
            .collect(),
        failed,
        optimised: optimised_stats,
    };

    tracing::debug!("statistics: {:?}, peak RSS {}", t0.elapsed(), peak_rss());
    if let Some(dir) = &args.output {
        write_outputs(dir, &summary, &portfolio, &instruments, &forecasts)?;
        tracing::info!(
            "wrote portfolio.csv, instruments.parquet and report.html in {}",
            dir.display()
        );
        if let Some(o) = &optimised {
            let positions: Vec<Vec<i64>> = (0..o.instruments.len())
                .map(|k| o.history.instrument_positions(k))
                .collect();
            let refs: Vec<OptimisedPositions<'_>> = o
                .instruments
                .iter()
                .zip(&positions)
                .map(|(i, p)| OptimisedPositions {
                    instrument: &i.code,
                    positions: p,
                    optimal: &i.optimal_position.values,
                })
                .collect();
            let path = dir.join("optimised.parquet");
            systrade_store::optimised_positions::write_optimised_positions(
                &path,
                &o.history.dates,
                &refs,
            )?;
            tracing::info!("wrote {}", path.display());
        }
        if forecast_estimates.is_some() || instrument_estimates.is_some() {
            let rows = estimate_rows(forecast_estimates.as_deref(), instrument_estimates.as_ref());
            let path = dir.join("estimates.parquet");
            systrade_store::estimates::write_estimates(&path, &rows)?;
            tracing::info!("wrote {} ({} rows)", path.display(), rows.len());
        }
        if let Some(m) = &risk_multiplier {
            let mut buf = Vec::new();
            output::write_risk_overlay_csv(&mut buf, m)?;
            systrade_store::atomic::write_atomic(&dir.join("risk_overlay.csv"), &buf)?;
        }
    }
    let mut out = Printer::stdout(args.stdout.format);
    out.document(&summary.json(), &summary.text())?;
    out.finish()?;
    for i in &instruments {
        outcomes.ok(&i.code);
    }
    Ok(outcomes.finish())
}

/// The rows of `estimates.parquet` ([`systrade_store::estimates`]): raw forecast weights per
/// instrument and fit period, the FDM per instrument and day, raw instrument weights per fit
/// period, the IDM per day.
fn estimate_rows(
    forecasts: Option<&[(String, systrade_system::estimation::EstimatedCombination)]>,
    instruments: Option<&systrade_accounts::estimation::InstrumentEstimates>,
) -> Vec<systrade_store::estimates::EstimateRow> {
    use systrade_model::Timestamp;
    use systrade_store::estimates::EstimateRow;
    let mut rows = Vec::new();
    let periods = |rows: &mut Vec<EstimateRow>,
                   estimate: &str,
                   instrument: Option<&str>,
                   periods: &[systrade_accounts::estimation::PeriodWeights]| {
        for p in periods {
            for (name, w) in p.weights.entries() {
                let (instrument, rule) = match instrument {
                    Some(code) => (Some(code.to_string()), Some(name.clone())),
                    None => (Some(name.clone()), None),
                };
                rows.push(EstimateRow {
                    estimate: estimate.to_string(),
                    instrument,
                    rule,
                    date: p.period.period_start,
                    period_end: Some(p.period.period_end),
                    fit_start: (!p.period.no_data).then_some(p.period.fit_start),
                    fit_end: (!p.period.no_data).then_some(p.period.fit_end),
                    value: *w,
                });
            }
        }
    };
    let daily = |rows: &mut Vec<EstimateRow>,
                 estimate: &str,
                 instrument: Option<&str>,
                 s: &systrade_series::DailySeries| {
        for (d, v) in s.dates.iter().zip(&s.values) {
            rows.push(EstimateRow {
                estimate: estimate.to_string(),
                instrument: instrument.map(str::to_string),
                rule: None,
                date: Timestamp::from_date(*d),
                period_end: None,
                fit_start: None,
                fit_end: None,
                value: *v,
            });
        }
    };
    for (code, c) in forecasts.unwrap_or_default() {
        if let Some(p) = &c.weight_periods {
            periods(&mut rows, "forecast_weight", Some(code), p);
        }
        if c.fdm_correlations.is_some() {
            daily(&mut rows, "fdm", Some(code), &c.fdm);
        }
    }
    if let Some(i) = instruments {
        if let Some(p) = &i.weight_periods {
            periods(&mut rows, "instrument_weight", None, p);
        }
        if let Some(idm) = &i.idm {
            daily(&mut rows, "idm", None, idm);
        }
    }
    rows
}

/// The process's peak resident set size (`VmHWM` of `/proc/self/status`), for debug logs.
fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l["VmHWM:".len()..].trim().to_string())
        })
        .unwrap_or_else(|| "?".to_string())
}

fn write_outputs(
    dir: &std::path::Path,
    summary: &Summary,
    portfolio: &Curves,
    instruments: &[InstrumentOut],
    forecasts: &std::collections::HashMap<String, DailySeries>,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
    let mut buf = Vec::new();
    output::write_portfolio_csv(&mut buf, portfolio)?;
    systrade_store::atomic::write_atomic(&dir.join("portfolio.csv"), &buf)?;

    let columns: Vec<output::InstrumentDays> = instruments
        .iter()
        .map(|i| output::InstrumentDays::of(&i.code, &i.position, forecasts.get(&i.code), &i.base))
        .collect();
    systrade_store::backtest_instruments::write_backtest_instruments(
        &dir.join("instruments.parquet"),
        &columns
            .iter()
            .map(output::InstrumentDays::columns)
            .collect::<Vec<_>>(),
    )?;

    let net_percent: Vec<DailySeries> = instruments
        .iter()
        .zip(&columns)
        .map(|(i, c)| i.percent.net.reindex(&c.dates))
        .collect();
    let html = report::render(&report::ReportData {
        title: format!("systrade backtest — {}", summary.config),
        summary,
        gross: &portfolio.gross,
        net: &portfolio.net,
        instruments: instruments
            .iter()
            .zip(&columns)
            .zip(&net_percent)
            .map(|((i, c), net)| report::InstrumentView {
                code: &i.code,
                net_percent: net,
                position: &c.position,
                forecast: &c.forecast,
            })
            .collect(),
    })?;
    systrade_store::atomic::write_atomic(&dir.join("report.html"), html.as_bytes())?;
    Ok(())
}
