//! `compute-forecasts`: raw, scaled, capped and combined forecasts per instrument and trading rule,
//! from adjusted and multiple prices and the system config (spec §3.0–3.5).
//!
//! - Config: pysystemtrade's backtest YAML ([`systrade_config::SystemConfig`]), default
//!   `DATA/config/system.yaml`; unknown keys are logged as warnings; config errors (unknown rule
//!   function, bad rule argument, weights for an undefined rule, unsupported estimated weights or FDM,
//!   an instrument without adjusted prices, ...) fail the run (exit 1) naming the key or instrument,
//!   before anything is written.
//! - Instruments: the config's list (keys of `instrument_weights`, else `instruments`, else
//!   every instrument with adjusted prices), narrowed by `--instruments`
//!   ([`systrade_system::instrument_list`]).
//! - Computation: the forecast pipeline of [`systrade_forecast::pipeline`] (parallel over
//!   instruments; cross-sectional steps pooled), from prices read and reduced per instrument by
//!   [`systrade_system::load_instruments`]. With `forecast_post_ceiling_cost_SR` below 999, the
//!   instruments' costs are read too (`StaticData`) and rules above the ceiling leave the
//!   combination (`systrade_forecast::pipeline::cost_ceiling_filter`).
//! - Output: `forecasts/<INSTRUMENT>.parquet` (layout: [`systrade_store::forecasts`]), written
//!   under the data directory's write lock as each instrument is computed and replaced together
//!   at the end; or, with `--output -`, CSV `date,instrument,rule,forecast` on stdout
//!   ([`csv_output`]; nothing written to the data directory). One instrument's failure does not
//!   stop the others (exit 3 with a summary).

pub mod csv_output;
mod estimated;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{CommandFactory, Parser};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;
use systrade_cli::{CommonArgs, ExitCode, ExitCodeError, Outcomes, Progress};
use systrade_forecast::pipeline::compute_forecasts;
use systrade_model::{ForecastSeries, InstrumentCode};
use systrade_store::{PreparedFile, SeriesKind, StagedWrites, Store, WriteOutcome};
use systrade_system::{
    ForecastSetup, Load, PricesAndData, instrument_list, load_instruments,
    skip_without_multiple_prices, without_multiple_prices,
};

/// Compute forecasts: per instrument and trading rule the raw, scaled and capped forecast, and the
/// combined forecast, from adjusted and multiple prices and the system config. Writes
/// forecasts/<INSTRUMENT>.parquet in the data directory (columns rule, date, raw, scalar, capped;
/// rule "combined" for the combined forecast), or CSV date,instrument,rule,forecast on stdout with
/// --output -.
///
/// With forecast_post_ceiling_cost_SR below 999 in the config, a rule whose SR cost
/// (turnover of its capped forecast, pooled as forecast_cost_estimates says, times the
/// instrument's SR cost per trade, plus holding costs; from config/instruments.csv, spreads.csv and
/// rolls.csv) exceeds it is left out of the combined forecast, with a warning naming it; an
/// instrument with no rule cheap enough fails.
#[derive(Debug, Parser)]
#[command(name = "compute-forecasts", version)]
pub struct Args {
    /// The system config (pysystemtrade backtest YAML); default DATA/config/system.yaml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// `-`: write CSV (date,instrument,rule,forecast) to stdout instead of the forecast files.
    #[arg(long, value_name = "-")]
    pub output: Option<String>,

    /// Use only prices on or before this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<NaiveDate>,

    /// Seconds to wait for another process writing to the data directory before giving up (exit 6).
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub lock_timeout: f64,

    #[command(flatten)]
    pub common: CommonArgs,
}

/// The clap command, for man pages and completions.
pub fn command() -> clap::Command {
    Args::command().after_help(EXAMPLES)
}
/// Examples shown after `--help` and in the man page's EXAMPLES section.
const EXAMPLES: &str = "Examples:\n  compute-forecasts\n  compute-forecasts --config my-system.yaml --instruments SP500,US10\n  compute-forecasts --as-of 2023-08-31 --output - | head";

/// Threads writing (staging) forecast files while the compute threads encode the next ones.
const IO_THREADS: usize = 2;

/// What the stdout summary says about one instrument.
#[derive(Debug, Clone, Copy)]
struct Summary {
    rows: usize,
    last_date: Option<NaiveDate>,
    last_combined: Option<f64>,
    written: bool,
}

impl Summary {
    fn of(series: &[ForecastSeries], written: bool) -> Self {
        let combined = series.iter().find(|s| s.is_combined());
        Self {
            rows: series.iter().map(|s| s.dates.len()).sum(),
            last_date: combined.and_then(|c| c.dates.last()).copied(),
            last_combined: combined.and_then(|c| c.capped.last()).copied(),
            written,
        }
    }
}

/// A failure of the whole run (exit 1) before anything is written.
fn fail(msg: impl std::fmt::Display) -> anyhow::Error {
    anyhow::Error::new(ExitCodeError(ExitCode::Failure))
        .context(format!("{msg}; nothing was written"))
}

/// Stages one forecast file unless the stored one has the same bytes; `Ok(true)` when staged.
fn stage(staged: &StagedWrites<'_>, file: &PreparedFile) -> Result<bool, String> {
    staged
        .stage_if_changed_keeping_rows(file)
        .map(|o| o == WriteOutcome::Written)
        .map_err(|e| e.to_string())
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let to_stdout = match args.output.as_deref() {
        None => false,
        Some("-") => true,
        Some(other) => anyhow::bail!(
            "--output accepts only '-' (CSV on stdout), got '{other}'; without --output the \
             forecasts go to DATA/forecasts/<INSTRUMENT>.parquet"
        ),
    };
    let timeout = Duration::try_from_secs_f64(args.lock_timeout)
        .context("--lock-timeout must be a non-negative number of seconds")?;
    let store = Store::open(&args.common.data_dir);

    // ---- config and instruments ---------------------------------------------------------------
    let (cfg, config_path) =
        systrade_system::load_config_for_forecasts(&store, args.config.as_deref()).map_err(
            |e| {
                if e.is_data_problem() {
                    systrade_cli::data_problem(format!("{e}; nothing was written"))
                } else {
                    fail(e)
                }
            },
        )?;
    let mut list =
        instrument_list(&store, &cfg, args.common.instruments.as_deref()).map_err(|e| {
            if e.is_usage() {
                systrade_cli::usage(format!("{e}; nothing was written"))
            } else {
                fail(e)
            }
        })?;
    let mut setup = ForecastSetup::new(&cfg, &list.codes).map_err(fail)?;
    // estimated forecast weights / FDM: from the history in the run, on the config's capital
    let forecast_estimation =
        systrade_system::estimation::forecast_estimation(&cfg, cfg.notional_trading_capital)
            .map_err(fail)?;
    let from = list.source_name();
    tracing::info!(
        "{} instruments (from {from}{}), {} trading rules, config {}",
        list.codes.len(),
        if list.narrowed {
            ", narrowed by --instruments"
        } else {
            ""
        },
        setup.rule_count,
        config_path.display()
    );
    // An instrument the system asks for that has no adjusted prices is a failure of that
    // instrument (named in the summary, exit 3), not a reason to compute nothing for the others;
    // with none left there is nothing to do (exit 1).
    let missing: Vec<InstrumentCode> = list
        .codes
        .iter()
        .filter(|c| !store.dir().adjusted_prices_file(c).exists())
        .cloned()
        .collect();
    if missing.len() == list.codes.len() {
        return Err(fail(format!(
            "no adjusted prices for instrument(s) {} (expected {}/<INSTRUMENT>.parquet; the list comes from {from})",
            missing
                .iter()
                .map(InstrumentCode::as_str)
                .collect::<Vec<_>>()
                .join(", "),
            store.dir().series_dir(SeriesKind::Adjusted).display()
        )));
    }
    list.codes.retain(|c| !missing.contains(c));
    let mut no_prices: Vec<(InstrumentCode, String)> = missing
        .into_iter()
        .map(|c| {
            let why = systrade_system::no_adjusted_prices(&store, &c);
            (c, format!("{why}; the list comes from {from}"))
        })
        .collect();
    if list.explicit {
        // named by the config or --instruments: each one lacking the multiple prices its carry
        // rules need fails by name (exit 3), the others go on
        let missing = without_multiple_prices(&store, &list, &setup);
        if missing.len() == list.codes.len() {
            return Err(fail(format!(
                "carry rules need multiple prices, which instrument(s) {} lack (expected {}/<INSTRUMENT>.parquet)",
                missing
                    .iter()
                    .map(InstrumentCode::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
                store.dir().series_dir(SeriesKind::Multiple).display()
            )));
        }
        list.codes.retain(|c| !missing.contains(c));
        no_prices.extend(missing.into_iter().map(|c| {
            let file = store.dir().multiple_prices_file(&c);
            (
                c,
                format!(
                    "carry rules need multiple prices ({} does not exist)",
                    file.display()
                ),
            )
        }));
    } else {
        // "Every instrument with data": those without the data the rules need are not candidates.
        skip_without_multiple_prices(&store, &mut list, &setup);
    }
    if !setup.needs.factors.is_empty() {
        let factors: Vec<String> = setup
            .needs
            .factors
            .iter()
            .map(ToString::to_string)
            .collect();
        tracing::debug!("factors: {}", factors.join(", "));
    }
    // ---- the write lock ------------------------------------------------------------------------
    // The config and the instrument list are checked: take the data directory's write lock before
    // reading any prices (of the system's instruments or their asset-class peers), so that a
    // concurrent fetch-prices or roll-contracts cannot change them between this run's reads, and
    // the forecasts written are those of the prices as they are when the lock was taken (issue 15).
    let writer = if to_stdout {
        None
    } else {
        let w = store.lock_for_writing(timeout).map_err(|e| {
            if e.is_locked() {
                anyhow::Error::new(ExitCodeError(ExitCode::Locked)).context(e.to_string())
            } else {
                anyhow::Error::from(e)
            }
        })?;
        // temporary files of a killed earlier run (only ours can exist: we hold the lock)
        let stale = w.remove_stale_temp_files_in(&store.dir().forecasts_dir())?;
        if stale > 0 {
            tracing::info!("removed {stale} temporary file(s) left by an interrupted run");
        }
        Some(w)
    };
    let mut peers = Vec::new();
    if setup.needs.needs_asset_classes() {
        let instruments = store.read_instruments().map_err(|e| {
            fail(format!(
                "asset-class rules need config/instruments.csv: {e}"
            ))
        })?;
        let classes: BTreeMap<&InstrumentCode, &str> = instruments
            .iter()
            .map(|i| (&i.code, i.asset_class.as_str()))
            .collect();
        let without: Vec<&str> = list
            .codes
            .iter()
            .filter(|c| !classes.contains_key(c))
            .map(InstrumentCode::as_str)
            .collect();
        if !without.is_empty() {
            return Err(fail(format!(
                "asset-class rules need the asset class of instrument(s) {}, which {} does not list",
                without.join(", "),
                store.dir().instruments_csv().display()
            )));
        }
        setup.set_asset_classes(&instruments);
        let (p, peer_failures) =
            systrade_system::class_peers(&store, &list, &setup, &instruments, args.as_of);
        for (code, e) in &peer_failures {
            tracing::warn!("{code}: left out of its asset class's factor average: {e}");
        }
        if !p.is_empty() {
            tracing::debug!(
                "{} instruments outside the system in asset-class factor averages",
                p.len()
            );
        }
        peers = p;
    }

    if setup.needs_trading_costs() {
        // forecast_post_ceiling_cost_SR: the rules' SR costs need each instrument's costs
        let statics = systrade_system::StaticData::read(&store).map_err(|e| {
            fail(format!(
                "forecast_post_ceiling_cost_SR needs the instruments' trading costs: {e}"
            ))
        })?;
        setup.set_trading_costs(&statics);
    }

    // ---- read prices and compute the raw-data stage (parallel) --------------------------------
    // Each instrument's price rows are reduced to daily series as soon as they are read and then
    // dropped, so only a few instruments' raw rows are in memory at a time.
    let started = std::time::Instant::now();
    let PricesAndData {
        prices,
        jobs,
        inputs,
        mut failures,
    } = load_instruments(
        &store,
        &list,
        &setup,
        Load {
            as_of: args.as_of,
            forecast_inputs: true,
        },
    );
    failures.extend(no_prices);
    tracing::debug!("prices read, raw data stage: {:?}", started.elapsed());
    if let Some(est) = &forecast_estimation {
        let done = estimated::run(
            &estimated::Run {
                store: &store,
                cfg: &cfg,
                setup: &setup,
                est,
                writer: writer.as_ref(),
                codes: &list.codes,
                no_progress: args.common.no_progress,
            },
            prices,
            &jobs,
            inputs,
            &peers,
            &mut failures,
        )?;
        drop(writer);
        return finish(&store, to_stdout, done, failures, &setup);
    }
    drop(prices);
    if let Some(w) = &writer
        && w.remove_current_estimates(systrade_store::estimates::Current::Forecasts)?
    {
        tracing::info!(
            "removed {}: the config estimates no forecast weights or FDM",
            store
                .dir()
                .current_estimates_file(systrade_store::estimates::Current::Forecasts)
                .display()
        );
    }
    let inputs: Vec<Result<_, String>> = inputs.into_iter().map(Ok).collect();

    // ---- compute and output -------------------------------------------------------------------
    // Every instrument's file is encoded and staged as soon as it is computed, and all are replaced
    // together at the end (under the write lock taken above).
    let progress = Progress::new(jobs.len() as u64, "instruments", args.common.no_progress);
    let mut done: Vec<(InstrumentCode, Summary)> = Vec::new();
    let times = if let Some(writer) = &writer {
        // Files are encoded on the compute threads and staged (written beside their targets) by
        // IO_THREADS writer threads, so computing never waits for the disk; at the end they are
        // made durable together and renamed into place (one filesystem flush instead of an fsync
        // per file). A failed or killed run leaves every forecast file as it was.
        let staged = writer.staged();
        // Room for the pipeline's window of encoded files (3 MB each on pysystemtrade's data),
        // so the compute threads never wait for the disk (rob_system-like on all pst-data:
        // 4.26 s -> 3.90 s against a queue of 4).
        let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, PreparedFile)>(
            systrade_forecast::pipeline::BATCH,
        );
        let rx = std::sync::Mutex::new(rx);
        let (times, commits) = std::thread::scope(|s| {
            let writers: Vec<_> = (0..IO_THREADS)
                .map(|_| {
                    s.spawn(|| {
                        let mut results = Vec::new();
                        loop {
                            let next = rx
                                .lock()
                                .map_err(|_| ())
                                .and_then(|r| r.recv().map_err(|_| ()));
                            let Ok((i, file)) = next else { break };
                            results.push((i, stage(&staged, &file)));
                        }
                        results
                    })
                })
                .collect();
            let computed = compute_forecasts(
                &jobs,
                inputs,
                &peers,
                setup.scalars,
                &|| progress.inc(1),
                &|job, series| {
                    let file = store
                        .prepare_forecasts(&job.code, &series)
                        .map_err(|e| e.to_string())?;
                    Ok((Summary::of(&series, false), file))
                },
                &mut |job, r| {
                    match r {
                        Ok((summary, file)) => {
                            tx.send((done.len(), file))
                                .map_err(|_| anyhow::anyhow!("forecast writer threads stopped"))?;
                            done.push((job.code.clone(), summary));
                            no_combined(job, &mut failures);
                        }
                        Err(e) => failures.push((job.code.clone(), e)),
                    }
                    anyhow::Ok(())
                },
            );
            drop(tx);
            let commits: Vec<(usize, Result<bool, String>)> = writers
                .into_iter()
                .flat_map(|w| w.join().unwrap_or_default())
                .collect();
            computed.map(|t| (t, commits))
        })?;
        let flush = std::time::Instant::now();
        let n_staged = staged.len();
        staged.commit().map_err(|e| {
            fail(format!(
                "writing the forecast files: {e} (files not yet renamed keep their previous content)"
            ))
        })?;
        tracing::debug!(
            "{n_staged} forecast files flushed to disk and renamed: {:?}",
            flush.elapsed()
        );
        let mut failed = vec![false; done.len()];
        for (i, r) in commits {
            match r {
                Ok(written) => done[i].1.written = written,
                Err(e) => {
                    failed[i] = true;
                    failures.push((done[i].0.clone(), e));
                }
            }
        }
        let mut i = 0;
        done.retain(|_| {
            i += 1;
            !failed[i - 1]
        });
        times
    } else {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
        csv_output::write_csv_header(&mut out)?;
        let times = compute_forecasts(
            &jobs,
            inputs,
            &peers,
            setup.scalars,
            &|| progress.inc(1),
            &|job, series| {
                let mut buf = Vec::new();
                csv_output::write_csv_rows(&mut buf, &job.code, &series)
                    .map_err(|e| e.to_string())?;
                Ok((Summary::of(&series, false), buf))
            },
            &mut |job, r| {
                match r {
                    Ok((summary, buf)) => {
                        out.write_all(&buf)?;
                        done.push((job.code.clone(), summary));
                        no_combined(job, &mut failures);
                    }
                    Err(e) => failures.push((job.code.clone(), e)),
                }
                std::io::Result::Ok(())
            },
        )?;
        out.flush()?;
        times
    };
    progress.finish();
    drop(writer);
    tracing::debug!("forecast phases: {:?}", times.times);
    systrade_system::forecasts::warn_expensive_rules(&times.rule_costs);
    tracing::debug!("computed and written: {:?}", started.elapsed());
    finish(&store, to_stdout, done, failures, &setup)
}

/// The stdout summary of the files written and the run's outcome.
fn finish(
    store: &Store,
    to_stdout: bool,
    done: Vec<(InstrumentCode, Summary)>,
    mut failures: Vec<(InstrumentCode, String)>,
    setup: &ForecastSetup,
) -> anyhow::Result<ExitCode> {
    failures.sort();
    if !to_stdout && !done.is_empty() {
        let n_written = done.iter().filter(|(_, s)| s.written).count();
        tracing::info!(
            "{} forecast files: {n_written} written, {} unchanged, in {}",
            done.len(),
            done.len() - n_written,
            store.dir().forecasts_dir().display()
        );
        let mut out = std::io::stdout().lock();
        for (code, s) in &done {
            writeln!(
                out,
                "{:<12} {:>8} rows  last {}  combined {}",
                code.as_str(),
                s.rows,
                s.last_date
                    .map_or_else(|| "-".to_string(), |d| d.to_string()),
                s.last_combined
                    .map_or_else(|| "-".to_string(), |v| format!("{v:.4}"))
            )?;
        }
    }
    Ok(outcome(
        "compute-forecasts",
        &failures,
        done.iter()
            .map(|d| &d.0)
            .filter(|c| !setup.unconfigured.contains_key(*c)),
    ))
}

/// An instrument the config gives no forecast weights or FDM for: its capped forecasts are out
/// but its combined forecast is not (pysystemtrade's `ForecastCombine` raises for it), so it counts
/// as failed (exit 3) with the reason.
fn no_combined(job: &systrade_forecast::ForecastJob, failures: &mut Vec<(InstrumentCode, String)>) {
    if let Some(why) = &job.no_combined {
        failures.push((
            job.code.clone(),
            format!("capped forecasts of every rule computed, no combined forecast: {why}"),
        ));
    }
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
