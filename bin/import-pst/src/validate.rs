//! Phase 1: every file read, parsed, validated and encoded in memory; problems collected so that
//! nothing is written when there is any.

use crate::source::{Job, Target};
use anyhow::Context;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use systrade_cli::Progress;
use systrade_model::{ContractPrices, IbkrInstrument, Instrument, InstrumentCode, RollParameters};
use systrade_store::config::SpreadCost;
use systrade_store::{PreparedFile, SeriesKind, Store, StoreError, config, pst};

/// `csvconfig/`: the instruments (required), roll parameters and spread costs (optional).
pub(crate) struct SourceConfig {
    pub(crate) instruments: Vec<Instrument>,
    pub(crate) rolls: Option<Vec<RollParameters>>,
    pub(crate) spreads: Option<Vec<SpreadCost>>,
    /// pysystemtrade's `ib_config_futures.csv`, for `config/ibkr.csv`.
    pub(crate) ibkr: Option<Vec<IbkrInstrument>>,
}

impl SourceConfig {
    /// The configured instrument codes.
    pub(crate) fn configured(&self) -> BTreeSet<InstrumentCode> {
        self.instruments.iter().map(|i| i.code.clone()).collect()
    }

    /// The config files to write, with their summary names.
    pub(crate) fn prepare(
        &self,
        store: &Store,
    ) -> anyhow::Result<Vec<(&'static str, PreparedFile)>> {
        let mut config_files = vec![("instruments", store.prepare_instruments(&self.instruments)?)];
        if let Some(r) = &self.rolls {
            config_files.push(("roll_configs", store.prepare_roll_parameters(r)?));
        }
        if let Some(s) = &self.spreads {
            config_files.push(("spread_costs", store.prepare_spread_costs(s)?));
        }
        if let Some(m) = &self.ibkr {
            config_files.push(("ibkr_mapping", store.prepare_ibkr_instruments(m)?));
        }
        Ok(config_files)
    }
}

/// Reads `csvconfig/`: a malformed instrumentconfig.csv ends the run (nothing written); a
/// malformed optional file is a problem. The IB mapping is `ib_config` when given (it must
/// exist), else `csvconfig/ib_config_futures.csv` when there is one (pysystemtrade keeps it in
/// `sysbrokers/IB/config/`); every row is validated as `config/ibkr.csv` is on every read.
pub(crate) fn read_config(
    source: &Path,
    ib_config: Option<&Path>,
    problems: &mut Vec<String>,
) -> anyhow::Result<SourceConfig> {
    let cfg = source.join("csvconfig");
    let instruments_path = cfg.join("instrumentconfig.csv");
    let instruments = config::parse_instruments(&instruments_path, &read(&instruments_path)?)
        .map_err(data_problem)?;
    let configured: BTreeSet<InstrumentCode> = instruments.iter().map(|i| i.code.clone()).collect();
    let rolls_path = cfg.join("rollconfig.csv");
    let rolls = optional(&rolls_path, config::parse_roll_parameters, problems)?;
    let spreads_path = cfg.join("spreadcosts.csv");
    let spreads = optional(&spreads_path, config::parse_spread_costs, problems)?;
    for (what, codes) in [
        (
            "rollconfig.csv",
            rolls
                .iter()
                .flatten()
                .map(|r| &r.instrument)
                .collect::<Vec<_>>(),
        ),
        (
            "spreadcosts.csv",
            spreads.iter().flatten().map(|r| &r.instrument).collect(),
        ),
    ] {
        let extra: Vec<&str> = codes
            .into_iter()
            .filter(|c| !configured.contains(*c))
            .map(InstrumentCode::as_str)
            .collect();
        if !extra.is_empty() {
            tracing::warn!(
                "{what} has rows for instruments not in instrumentconfig.csv (kept as given): {}",
                extra.join(", ")
            );
        }
    }
    let ibkr = match ib_config {
        Some(path) => match config::parse_ibkr_instruments(path, &read(path)?) {
            Ok(rows) => Some(rows),
            Err(e) => {
                problems.push(e.to_string());
                None
            }
        },
        None => {
            let path = cfg.join("ib_config_futures.csv");
            if path.exists() {
                optional(&path, config::parse_ibkr_instruments, problems)?
            } else {
                None
            }
        }
    };
    if let Some(rows) = &ibkr {
        let unconfigured = rows
            .iter()
            .filter(|r| !configured.contains(r.instrument()))
            .count();
        tracing::info!(
            rows = rows.len(),
            unconfigured,
            "IB mapping imported as config/ibkr.csv (rows for instruments not in \
             instrumentconfig.csv are kept: they map nothing until configured)"
        );
    }
    Ok(SourceConfig {
        instruments,
        rolls,
        spreads,
        ibkr,
    })
}

/// Reads the jobs' files in parallel; contract files are grouped per instrument. Problems are
/// collected, what parsed is returned.
pub(crate) fn parse_all(
    store: &Store,
    jobs: &[Job],
    no_progress: bool,
    problems: &mut Vec<String>,
) -> Vec<(SeriesKind, PreparedFile)> {
    let progress = Progress::new(jobs.len() as u64, "files read", no_progress);
    let today = chrono::Utc::now().date_naive();
    let parsed: Vec<Result<Parsed, StoreError>> = jobs
        .par_iter()
        .map(|job| {
            let r = parse_job(store, job, today);
            progress.inc(1);
            r
        })
        .collect();
    progress.finish();

    let mut prepared: Vec<(SeriesKind, PreparedFile)> = Vec::new();
    let mut contracts: BTreeMap<InstrumentCode, Vec<ContractPrices>> = BTreeMap::new();
    for result in parsed {
        match result {
            Ok(Parsed::File(kind, file)) => prepared.push((kind, file)),
            Ok(Parsed::Contract(code, rows)) => contracts.entry(code).or_default().push(rows),
            Err(e) => problems.push(e.to_string()),
        }
    }
    let grouped: Vec<Result<PreparedFile, StoreError>> = contracts
        .into_par_iter()
        .map(|(code, parts)| {
            let mut rows: ContractPrices = parts.into_iter().flatten().collect();
            rows.sort_by_key(|r| (r.timestamp, r.contract));
            store.prepare_contract_prices(&code, &rows)
        })
        .collect();
    for g in grouped {
        match g {
            Ok(file) => prepared.push((SeriesKind::Contracts, file)),
            Err(e) => problems.push(e.to_string()),
        }
    }

    prepared
}

/// The error of a validation that found problems (each logged): the first, how many more, and
/// that nothing was written (exit 4).
pub(crate) fn nothing_written(problems: &[String]) -> anyhow::Error {
    for p in problems {
        tracing::error!("{p}");
    }
    let first = problems.first().map_or("", String::as_str);
    let n = problems.len();
    systrade_cli::data_problem(format!(
        "{first}{}; nothing was written",
        if n > 1 {
            format!(" (and {} more problems, logged above)", n - 1)
        } else {
            String::new()
        }
    ))
}

enum Parsed {
    File(SeriesKind, PreparedFile),
    Contract(InstrumentCode, ContractPrices),
}

/// Reads, parses and validates one file (timestamps from 1900-01-01 to a year after `today`).
fn parse_job(store: &Store, job: &Job, today: chrono::NaiveDate) -> Result<Parsed, StoreError> {
    let bytes = pst::read_file(&job.path)?;
    let p = &job.path;
    let check = |field: &str, ts: &mut dyn Iterator<Item = systrade_model::Timestamp>| {
        pst::check_price_timestamps(p, field, ts, today)
    };
    Ok(match (&job.target, job.kind) {
        (Target::Contract(code, contract), _) => {
            let rows = pst::parse_contract_prices(p, &bytes, *contract)?;
            check("DATETIME", &mut rows.iter().map(|r| r.timestamp))?;
            Parsed::Contract(code.clone(), rows)
        }
        (Target::Currency(ccy), _) => {
            let rates = pst::parse_fx_rates(p, &bytes)?;
            check("DATETIME", &mut rates.timestamps.iter().copied())?;
            Parsed::File(job.kind, store.prepare_fx_rates(ccy, &rates)?)
        }
        (Target::Instrument(code), SeriesKind::Adjusted) => {
            let prices = pst::parse_adjusted_prices(p, &bytes)?;
            check("DATETIME", &mut prices.timestamps.iter().copied())?;
            Parsed::File(job.kind, store.prepare_adjusted_prices(code, &prices)?)
        }
        (Target::Instrument(code), SeriesKind::Multiple) => {
            let rows = pst::parse_multiple_prices(p, &bytes)?;
            check("DATETIME", &mut rows.iter().map(|r| r.timestamp))?;
            Parsed::File(job.kind, store.prepare_multiple_prices(code, &rows)?)
        }
        (Target::Instrument(code), _) => {
            let calendar = pst::parse_roll_calendar(p, &bytes)?;
            check("DATE_TIME", &mut calendar.iter().map(|r| r.timestamp))?;
            for row in systrade_store::roll_calendar_time_anomalies(&calendar) {
                tracing::warn!(
                    "{}: row {row}, field 'DATE_TIME': roll date {} is not after the previous \
                     row's; kept as given (roll calendars follow the contract chain)",
                    p.display(),
                    calendar[row - 1].timestamp
                );
            }
            Parsed::File(job.kind, store.prepare_roll_calendar(code, &calendar)?)
        }
    })
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("{}", path.display()))
}

fn data_problem(e: StoreError) -> anyhow::Error {
    let message = format!("{e}; nothing was written");
    if e.is_data_error() {
        systrade_cli::data_problem(message)
    } else {
        systrade_cli::failure(message)
    }
}

/// Parses an optional config file: absent → `None`; malformed → a problem.
fn optional<T>(
    path: &Path,
    parse: fn(&Path, &[u8]) -> systrade_store::Result<T>,
    problems: &mut Vec<String>,
) -> anyhow::Result<Option<T>> {
    if !path.exists() {
        tracing::warn!("{}: not found; not imported", path.display());
        return Ok(None);
    }
    match parse(path, &read(path)?) {
        Ok(v) => Ok(Some(v)),
        Err(e) => {
            problems.push(e.to_string());
            Ok(None)
        }
    }
}
