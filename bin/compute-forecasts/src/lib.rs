//! `compute-forecasts`: raw, scaled, capped and combined forecasts per instrument and trading rule,
//! from adjusted and multiple prices and the system config (spec §3.0–3.5).
//!
//! - Config: pysystemtrade's backtest YAML ([`systrade_config::SystemConfig`]), default
//!   `DATA/config/system.yaml`; unknown keys are logged as warnings; config errors (unknown rule
//!   function, bad rule argument, weights for an undefined rule, unsupported estimated weights or FDM,
//!   an instrument without adjusted prices, ...) fail the run (exit 1) naming the key or instrument,
//!   before anything is written.
//! - Instruments: the config's list (keys of `instrument_weights`, else `instruments`, else every
//!   instrument with adjusted prices), narrowed by `--instruments`.
//! - Computation: [`compute`] (parallel over instruments; cross-sectional steps pooled).
//! - Output: `forecasts/<INSTRUMENT>.parquet` ([`output`] documents the layout), written atomically
//!   under the data directory's write lock after all instruments are computed; or, with
//!   `--output -`, CSV `date,instrument,rule,forecast` on stdout (nothing written to the data
//!   directory). One instrument's failure does not stop the others (exit 3 with a summary).

pub mod compute;
pub mod output;
pub mod rules_from_config;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{CommandFactory, Parser};
use compute::{InstrumentJob, Scalars, compute_from_data};
use output::{COMBINED, RuleSeries};
use rayon::prelude::*;
use rules_from_config::CrossSectionalNeeds;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;
use systrade_cli::{CommonArgs, ExitCode, ExitCodeError, Progress};
use systrade_config::{InstrumentListSource, SystemConfig};
use systrade_forecast::InstrumentInputs;
use systrade_forecast::instrument::InstrumentData;
use systrade_forecast::scaling::ScalarEstimate;
use systrade_forecast::spec::DataInput;
use systrade_model::{AdjustedPrices, InstrumentCode, Timestamp};
use systrade_store::atomic::{StagedFiles, remove_stale_temp_files, same_content};
use systrade_store::{SeriesKind, Store};

/// Compute forecasts: per instrument and trading rule the raw, scaled and capped forecast, and the
/// combined forecast, from adjusted and multiple prices and the system config. Writes
/// forecasts/<INSTRUMENT>.parquet in the data directory (columns rule, date, raw, scalar, capped;
/// rule "combined" for the combined forecast), or CSV date,instrument,rule,forecast on stdout with
/// --output -.
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
    Args::command()
}

/// Stages one forecast file unless the stored one has the same bytes; `Ok(true)` when staged.
fn stage(staged: &StagedFiles, file: &output::PreparedForecasts) -> Result<bool, String> {
    match same_content(&file.path, &file.bytes) {
        Ok(true) => Ok(false),
        Ok(false) => staged
            .stage(&file.path, &file.bytes)
            .map(|()| true)
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

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
    fn of(series: &[RuleSeries], written: bool) -> Self {
        let combined = series.iter().find(|s| s.rule == COMBINED);
        Self {
            rows: series.iter().map(|s| s.dates.len()).sum(),
            last_date: combined.and_then(|c| c.dates.last()).copied(),
            last_combined: combined.and_then(|c| c.capped.last()).copied(),
            written,
        }
    }
}

/// A failure of the whole run (exit 1) before anything is written.
fn fail(msg: String) -> anyhow::Error {
    anyhow::Error::new(ExitCodeError(ExitCode::Failure))
        .context(format!("{msg}; nothing was written"))
}

fn needs_carry(job_rules: &systrade_forecast::ForecastConfig) -> bool {
    job_rules.rules.values().any(|r| {
        r.data.iter().any(|d| {
            matches!(
                d,
                DataInput::RawCarry
                    | DataInput::SmoothedCarry { .. }
                    | DataInput::MedianCarryForAssetClass
            )
        })
    })
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
    let config_path = args
        .config
        .clone()
        .unwrap_or_else(|| store.dir().system_yaml());

    // ---- config -------------------------------------------------------------------------------
    let (cfg, warnings) = SystemConfig::from_file(&config_path).map_err(|e| fail(e.to_string()))?;
    for w in &warnings {
        tracing::warn!("{w}");
    }
    cfg.check_supported().map_err(|e| fail(e.to_string()))?;
    let rules = rules_from_config::trading_rules(&cfg).map_err(|e| fail(e.to_string()))?;
    rules_from_config::check_factors(&cfg, &rules).map_err(|e| fail(e.to_string()))?;
    let vol = rules_from_config::vol_config(&cfg).map_err(|e| fail(e.to_string()))?;

    // ---- instruments --------------------------------------------------------------------------
    let all_in_data = match store.list_instruments(SeriesKind::Adjusted) {
        Ok(v) => v,
        Err(e) if e.is_not_found() => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let (list, source) = cfg.instrument_list_with_source(&all_in_data);
    let from = match source {
        InstrumentListSource::InstrumentWeights => "instrument_weights",
        InstrumentListSource::Instruments => "instruments",
        InstrumentListSource::AllInData => "every instrument with adjusted prices",
    };
    let mut selected = args.common.select_instruments(&list)?;
    if selected.is_empty() {
        return Err(fail(format!(
            "no instruments to compute (instrument list from {from}; {} has no adjusted prices?)",
            store.dir().series_dir(SeriesKind::Adjusted).display()
        )));
    }
    tracing::info!(
        "{} instruments (from {from}{}), {} trading rules, config {}",
        selected.len(),
        if args.common.instruments.is_some() {
            ", narrowed by --instruments"
        } else {
            ""
        },
        rules.len(),
        config_path.display()
    );
    let missing: Vec<&str> = selected
        .iter()
        .filter(|c| !store.dir().adjusted_prices_file(c).exists())
        .map(InstrumentCode::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(fail(format!(
            "no adjusted prices for instrument(s) {} (expected {}/<INSTRUMENT>.parquet; the list comes from {from})",
            missing.join(", "),
            store.dir().series_dir(SeriesKind::Adjusted).display()
        )));
    }

    let mut configs = BTreeMap::new();
    for code in &selected {
        let fc = rules_from_config::forecast_config(&cfg, &rules, vol, code)
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
    let mut missing_multiple: Vec<String> = selected
        .iter()
        .filter(|c| needs_carry(&configs[*c]) && !store.dir().multiple_prices_file(c).exists())
        .map(ToString::to_string)
        .collect();
    let explicit = args.common.instruments.is_some() || source != InstrumentListSource::AllInData;
    if !missing_multiple.is_empty() && !explicit {
        // "Every instrument with data": those without the data the rules need are not candidates.
        tracing::warn!(
            "skipping {} instrument(s) without multiple prices (carry rules need them): {}",
            missing_multiple.len(),
            missing_multiple.join(", ")
        );
        selected.retain(|c| !missing_multiple.iter().any(|m| m == c.as_str()));
        missing_multiple.clear();
    }
    if !missing_multiple.is_empty() {
        return Err(fail(format!(
            "carry rules need multiple prices, which instrument(s) {} lack (expected {}/<INSTRUMENT>.parquet)",
            missing_multiple.join(", "),
            store.dir().series_dir(SeriesKind::Multiple).display()
        )));
    }
    let needs = CrossSectionalNeeds::of(configs.values().flat_map(|c| c.rules.values()));
    if !needs.factors.is_empty() {
        tracing::debug!("factors: {}", compute::describe_factors(&needs.factors));
    }
    let asset_classes: BTreeMap<InstrumentCode, String> = if needs.needs_asset_classes() {
        let instruments = store.read_instruments().map_err(|e| {
            fail(format!(
                "asset-class rules need config/instruments.csv: {e}"
            ))
        })?;
        let m: BTreeMap<InstrumentCode, String> = instruments
            .into_iter()
            .map(|i| (i.code, i.asset_class))
            .collect();
        let without: Vec<&str> = selected
            .iter()
            .filter(|c| !m.contains_key(*c))
            .map(InstrumentCode::as_str)
            .collect();
        if !without.is_empty() {
            return Err(fail(format!(
                "asset-class rules need the asset class of instrument(s) {}, which {} does not list",
                without.join(", "),
                store.dir().instruments_csv().display()
            )));
        }
        m
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

    // ---- read prices and compute the raw-data stage (parallel) --------------------------------
    // Each instrument's price rows are reduced to daily series as soon as they are read and then
    // dropped, so only two instruments' raw rows are in memory at a time (phase 1 of
    // compute::compute_all, streamed).
    let started = std::time::Instant::now();
    let as_of = args.as_of;
    let keep = |t: &Timestamp| as_of.is_none_or(|d| t.date() <= d);
    type Loaded = (InstrumentJob, Result<InstrumentData, String>);
    let loaded: Vec<Result<Loaded, String>> = selected
        .par_iter()
        .map(|code| {
            let mut adjusted = store
                .read_adjusted_prices(code)
                .map_err(|e| e.to_string())?;
            let multiple = if store.dir().multiple_prices_file(code).exists() {
                let mut m = store.read_carry_prices(code).map_err(|e| e.to_string())?;
                if as_of.is_some() {
                    m.truncate(m.timestamps.iter().take_while(|t| keep(t)).count());
                }
                Some(m)
            } else {
                None
            };
            if as_of.is_some() {
                let n = adjusted.timestamps.iter().take_while(|t| keep(t)).count();
                adjusted.timestamps.truncate(n);
                adjusted.values.truncate(n);
            }
            let config = configs[code].clone();
            let data = if adjusted.is_empty() {
                Err("no adjusted prices (on or before --as-of)".to_string())
            } else {
                Ok(InstrumentData::compute(
                    InstrumentInputs {
                        adjusted: &adjusted,
                        multiple: multiple.as_ref().filter(|m| !m.is_empty()),
                    },
                    &config.vol,
                ))
            };
            let job = InstrumentJob {
                code: code.clone(),
                asset_class: asset_classes.get(code).cloned(),
                adjusted: AdjustedPrices::default(),
                multiple: None,
                config,
            };
            Ok((job, data))
        })
        .collect();
    let mut failures: Vec<(InstrumentCode, String)> = Vec::new();
    let mut jobs: Vec<InstrumentJob> = Vec::with_capacity(loaded.len());
    let mut data: Vec<Result<InstrumentData, String>> = Vec::with_capacity(loaded.len());
    for (code, l) in selected.iter().zip(loaded) {
        match l {
            Ok((j, d)) => {
                jobs.push(j);
                data.push(d);
            }
            Err(e) => failures.push((code.clone(), e)),
        }
    }
    tracing::debug!("prices read, raw data stage: {:?}", started.elapsed());

    // ---- compute and output -------------------------------------------------------------------
    // All config checks are done: take the write lock (Parquet output); every instrument's file is
    // encoded and staged as soon as it is computed, and all are replaced together at the end.
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
        let stale = remove_stale_temp_files(&store.dir().forecasts_dir())?;
        if stale > 0 {
            tracing::info!("removed {stale} temporary file(s) left by an interrupted run");
        }
        Some(w)
    };
    let progress = Progress::new(jobs.len() as u64, "instruments", args.common.no_progress);
    let mut done: Vec<(InstrumentCode, Summary)> = Vec::new();
    if to_stdout {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
        output::write_csv_header(&mut out)?;
        compute_from_data(
            &jobs,
            data,
            scalars,
            &|| progress.inc(1),
            &|job, series| {
                let mut buf = Vec::new();
                output::write_csv_rows(&mut buf, &job.code, &series).map_err(|e| e.to_string())?;
                Ok((Summary::of(&series, false), buf))
            },
            &mut |job, r| {
                match r {
                    Ok((summary, buf)) => {
                        out.write_all(&buf)?;
                        done.push((job.code.clone(), summary));
                    }
                    Err(e) => failures.push((job.code.clone(), e)),
                }
                Ok(())
            },
        )?;
        out.flush()?;
    } else {
        // Files are encoded on the compute threads and staged (written beside their targets) by
        // IO_THREADS writer threads, so computing never waits for the disk; at the end they are made
        // durable together and renamed into place (`StagedFiles`: one filesystem flush instead
        // of an fsync per file). A failed or killed run leaves every forecast file as it was.
        let staged = StagedFiles::new();
        let (tx, rx) =
            std::sync::mpsc::sync_channel::<(usize, output::PreparedForecasts)>(2 * IO_THREADS);
        let rx = std::sync::Mutex::new(rx);
        let commits: Vec<(usize, Result<bool, String>)> = std::thread::scope(|s| {
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
            let computed = compute_from_data(
                &jobs,
                data,
                scalars,
                &|| progress.inc(1),
                &|job, series| {
                    let file = output::prepare_forecasts(&store, &job.code, &series)
                        .map_err(|e| format!("{e:#}"))?;
                    Ok((Summary::of(&series, false), file))
                },
                &mut |job, r| {
                    match r {
                        Ok((summary, file)) => {
                            tx.send((done.len(), file))
                                .map_err(|_| anyhow::anyhow!("forecast writer threads stopped"))?;
                            done.push((job.code.clone(), summary));
                        }
                        Err(e) => failures.push((job.code.clone(), e)),
                    }
                    Ok(())
                },
            );
            drop(tx);
            let commits = writers
                .into_iter()
                .flat_map(|w| w.join().unwrap_or_default())
                .collect();
            computed.map(|()| commits)
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
    }
    progress.finish();
    drop(writer);
    tracing::debug!("computed and written: {:?}", started.elapsed());
    failures.sort();
    for (code, e) in &failures {
        tracing::error!("{code}: {e}");
    }
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

    if failures.is_empty() {
        return Ok(ExitCode::Success);
    }
    let names: Vec<String> = failures.iter().map(|(c, e)| format!("{c} ({e})")).collect();
    if done.is_empty() {
        return Err(anyhow::Error::new(ExitCodeError(ExitCode::Failure))
            .context(format!("every instrument failed: {}", names.join("; "))));
    }
    tracing::warn!(
        "{} of {} instruments failed: {}",
        failures.len(),
        failures.len() + done.len(),
        names.join("; ")
    );
    Ok(ExitCode::Partial)
}
