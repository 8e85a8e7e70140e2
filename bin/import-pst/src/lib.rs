//! `import-pst`: migrate a pysystemtrade data directory into a systrade data directory.
//!
//! Source layout (spec §1.1): `csvconfig/{instrumentconfig,rollconfig,spreadcosts}.csv`,
//! `adjusted_prices_csv/`, `multiple_prices_csv/`, `fx_prices_csv/`, `roll_calendars_csv/` and,
//! optionally, `contract_prices_csv/` with one file per contract, `<INSTRUMENT>_<YYYYMMDD>.csv`
//! (columns `DATETIME,OPEN,HIGH,LOW,FINAL,VOLUME`, spec §1.10). Price files may be `.csv` or `.csv.gz`.
//!
//! The import runs in two phases. **Validate**: every file is read, parsed and encoded in memory (in
//! parallel); any problem (missing column, non-numeric price, bad timestamp, duplicate or unsorted
//! timestamps, empty file, bad contract id, price file of an instrument not in `instrumentconfig.csv`,
//! truncated gzip) is reported with file, row and field, and the run stops with exit code 4 having
//! written **nothing**. **Write**: under the data directory's write lock, every file is replaced
//! atomically (or left untouched when its content is already identical, so a re-run is idempotent and
//! cheap).
//!
//! Decisions for files that are not plain per-instrument data:
//! - `roll_calendars_csv/` variant files whose names contain `#` (`VIX#1`, `EDOLLAR#2`: alternative
//!   calendars, not instruments) are skipped with a warning and counted in the summary.
//! - Roll calendars of configured instruments without shipped prices (e.g. `EDOLLAR`) are imported:
//!   they are configuration for building multiple prices later.
//! - `rollconfig.csv`/`spreadcosts.csv` rows for instruments missing from `instrumentconfig.csv` are
//!   kept as given (with a warning): the config files are copied row for row.
//! - `csvconfig/moreinstrumentinfo.csv` (reporting classification only, spec §1.5) is not imported.
//! - Files that are not `.csv`/`.csv.gz` are ignored; `X.csv` next to `X.csv.gz` is an error.
//! - Empty numeric cells in `instrumentconfig.csv` become 0 and an empty Region `NO_REGION` (spec §1.2).
//!
//! Every value passes the validation rules of `systrade_model::validation` (docs/ARCHITECTURE.md,
//! "Validation rules"): point sizes, currencies, commissions, spread costs and roll offsets in range,
//! FX rates > 0, finite prices, HIGH ≥ LOW, volume ≥ 0, timestamps from 1900-01-01 to a year after
//! today. A violation is a data problem (exit 4) naming file, row and field.

use anyhow::Context;
use clap::{CommandFactory, Parser};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;
use systrade_cli::{CommonArgs, ExitCode, FormatArg, Printer, Progress, Value};
use systrade_model::{ContractDate, ContractPrices, InstrumentCode};
use systrade_store::{PreparedFile, SeriesKind, Store, StoreError, WriteOutcome, config, pst};

/// Import a pysystemtrade data directory (csvconfig/, adjusted_prices_csv/, multiple_prices_csv/,
/// fx_prices_csv/, roll_calendars_csv/ and optionally contract_prices_csv/; files .csv or .csv.gz)
/// into the data directory. Validates everything first and writes nothing if any file is malformed;
/// re-running is idempotent. Prints one row per kind of file (files, rows, written, unchanged).
#[derive(Debug, Parser)]
#[command(name = "import-pst", version)]
pub struct Args {
    /// The pysystemtrade data directory to read (e.g. pysystemtrade/data/futures).
    #[arg(value_name = "SOURCE_DIR")]
    pub source: PathBuf,

    /// Seconds to wait for another process writing to the data directory before giving up (exit 6).
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub lock_timeout: f64,

    #[command(flatten)]
    pub stdout: FormatArg,

    #[command(flatten)]
    pub common: CommonArgs,
}

/// The clap command, for man pages and completions.
pub fn command() -> clap::Command {
    Args::command()
}

/// Source subdirectory of each kind, in summary order.
const SOURCES: [(SeriesKind, &str); 5] = [
    (SeriesKind::Adjusted, "adjusted_prices_csv"),
    (SeriesKind::Multiple, "multiple_prices_csv"),
    (SeriesKind::Fx, "fx_prices_csv"),
    (SeriesKind::Rolls, "roll_calendars_csv"),
    (SeriesKind::Contracts, "contract_prices_csv"),
];

/// What one source file becomes.
#[derive(Debug, Clone)]
enum Target {
    Instrument(InstrumentCode),
    Currency(String),
    Contract(InstrumentCode, ContractDate),
}

#[derive(Debug, Clone)]
struct Job {
    kind: SeriesKind,
    target: Target,
    path: PathBuf,
}

/// Per-kind counts for the summary.
#[derive(Debug, Default, Clone)]
struct Tally {
    source_files: usize,
    files: usize,
    rows: usize,
    written: usize,
    unchanged: usize,
    skipped: usize,
}

/// Files named `*.csv` / `*.csv.gz` in `dir`, by stem; a missing directory is `None`.
fn list_csv(dir: &Path) -> anyhow::Result<Option<BTreeMap<String, PathBuf>>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("{}", dir.display())),
    };
    let mut out = BTreeMap::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("{}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = pst::csv_stem(&name) else {
            tracing::debug!("ignoring {}", entry.path().display());
            continue;
        };
        if let Some(other) = out.insert(stem.to_string(), entry.path()) {
            anyhow::bail!(
                "{} and {} hold the same data; keep one of them",
                other.display(),
                entry.path().display()
            );
        }
    }
    Ok(Some(out))
}

fn is_currency_pair(name: &str) -> Option<&str> {
    let ccy = name.strip_suffix("USD")?;
    systrade_model::validation::check_currency(ccy)
        .is_ok()
        .then_some(ccy)
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let source = &args.source;
    let store = Store::open(&args.common.data_dir);
    anyhow::ensure!(
        source.is_dir(),
        "{}: not a directory (expected a pysystemtrade data directory)",
        source.display()
    );
    let timeout = Duration::try_from_secs_f64(args.lock_timeout)
        .context("--lock-timeout must be a non-negative number of seconds")?;

    // ---- phase 1: validate everything -------------------------------------------------------
    let mut problems: Vec<String> = Vec::new();
    let cfg = source.join("csvconfig");
    let instruments_path = cfg.join("instrumentconfig.csv");
    let instruments = config::parse_instruments(&instruments_path, &read(&instruments_path)?)
        .map_err(data_problem)?;
    let configured: BTreeSet<InstrumentCode> = instruments.iter().map(|i| i.code.clone()).collect();
    let rolls_path = cfg.join("rollconfig.csv");
    let rolls = optional(&rolls_path, config::parse_roll_parameters, &mut problems)?;
    let spreads_path = cfg.join("spreadcosts.csv");
    let spreads = optional(&spreads_path, config::parse_spread_costs, &mut problems)?;
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
    let selected: Option<BTreeSet<InstrumentCode>> = match &args.common.instruments {
        None => None,
        Some(_) => {
            let all: Vec<InstrumentCode> = configured.iter().cloned().collect();
            Some(args.common.select_instruments(&all)?.into_iter().collect())
        }
    };

    let mut tallies: BTreeMap<SeriesKind, Tally> = BTreeMap::new();
    let mut present: BTreeSet<SeriesKind> = BTreeSet::new();
    let mut jobs: Vec<Job> = Vec::new();
    let mut variants: Vec<String> = Vec::new();
    for (kind, sub) in SOURCES {
        let Some(files) = list_csv(&source.join(sub))? else {
            continue;
        };
        present.insert(kind);
        let tally = tallies.entry(kind).or_default();
        for (stem, path) in files {
            tally.source_files += 1;
            let target = match kind {
                SeriesKind::Fx => match is_currency_pair(&stem) {
                    Some(ccy) => Target::Currency(ccy.to_string()),
                    None => {
                        problems.push(format!(
                            "{}: file name is not <CCY>USD (three capital letters, then USD)",
                            path.display()
                        ));
                        continue;
                    }
                },
                SeriesKind::Rolls if stem.contains('#') => {
                    variants.push(stem);
                    tally.skipped += 1;
                    continue;
                }
                SeriesKind::Contracts => {
                    let Some((inst, contract)) = pst::split_contract_file_stem(&stem) else {
                        problems.push(format!(
                            "{}: file name is not <INSTRUMENT>_<YYYYMMDD>",
                            path.display()
                        ));
                        continue;
                    };
                    let contract = match contract.parse::<ContractDate>() {
                        Ok(c) if contract.len() == 8 => c,
                        Ok(_) => {
                            problems.push(format!(
                                "{}: bad contract id '{contract}' in file name: expected YYYYMMDD",
                                path.display()
                            ));
                            continue;
                        }
                        Err(e) => {
                            problems.push(format!(
                                "{}: bad contract id in file name: {e}",
                                path.display()
                            ));
                            continue;
                        }
                    };
                    match known_instrument(inst, &configured, &path) {
                        Ok(code) => Target::Contract(code, contract),
                        Err(p) => {
                            problems.push(p.to_string());
                            continue;
                        }
                    }
                }
                _ => match known_instrument(&stem, &configured, &path) {
                    Ok(code) => Target::Instrument(code),
                    Err(p) => {
                        problems.push(p.to_string());
                        continue;
                    }
                },
            };
            let wanted = match (&selected, &target) {
                (None, _) | (_, Target::Currency(_)) => true,
                (Some(sel), Target::Instrument(c) | Target::Contract(c, _)) => sel.contains(c),
            };
            if wanted {
                jobs.push(Job { kind, target, path });
            }
        }
    }

    if !variants.is_empty() {
        tracing::warn!(
            "skipping {} variant roll calendars in {} (names with '#' are not instrument codes): {}",
            variants.len(),
            source.join("roll_calendars_csv").display(),
            variants.join(", ")
        );
    }
    tracing::info!("reading {} files from {}", jobs.len(), source.display());
    let progress = Progress::new(jobs.len() as u64, "files read", args.common.no_progress);
    let today = chrono::Utc::now().date_naive();
    let parsed: Vec<Result<Parsed, StoreError>> = jobs
        .par_iter()
        .map(|job| {
            let r = parse_job(&store, job, today);
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

    if !problems.is_empty() {
        for p in &problems {
            tracing::error!("{p}");
        }
        let first = &problems[0];
        let n = problems.len();
        return Err(systrade_cli::data_problem(format!(
            "{first}{}; nothing was written",
            if n > 1 {
                format!(" (and {} more problems, logged above)", n - 1)
            } else {
                String::new()
            }
        )));
    }

    let mut config_files = vec![("instruments", store.prepare_instruments(&instruments)?)];
    if let Some(r) = &rolls {
        config_files.push(("roll_configs", store.prepare_roll_parameters(r)?));
    }
    if let Some(s) = &spreads {
        config_files.push(("spread_costs", store.prepare_spread_costs(s)?));
    }

    // ---- phase 2: write ----------------------------------------------------------------------
    let writer = store.lock_for_writing(timeout).map_err(|e| {
        if e.is_locked() {
            systrade_cli::locked(e)
        } else {
            e.into()
        }
    })?;
    let stale = writer.remove_stale_temp_files()?;
    if stale > 0 {
        tracing::info!("removed {stale} temporary files left by an interrupted writer");
    }
    let mut config_written = Vec::with_capacity(config_files.len());
    for (what, file) in &config_files {
        let outcome = writer.commit(file)?;
        config_written.push((*what, file, outcome));
    }
    let progress = Progress::new(
        prepared.len() as u64,
        "files written",
        args.common.no_progress,
    );
    let outcomes: Vec<(SeriesKind, usize, WriteOutcome)> = prepared
        .par_iter()
        .map(|(kind, file)| {
            let outcome = writer.commit(file)?;
            progress.inc(1);
            Ok((*kind, file.rows(), outcome))
        })
        .collect::<Result<_, StoreError>>()?;
    progress.finish();

    let mut total_files = 0u64;
    let mut total_rows = 0u64;
    for (kind, rows, outcome) in outcomes {
        let t = tallies.entry(kind).or_default();
        t.files += 1;
        t.rows += rows;
        total_files += 1;
        total_rows += rows as u64;
        match outcome {
            WriteOutcome::Written => t.written += 1,
            WriteOutcome::Unchanged => t.unchanged += 1,
        }
    }
    store.open_state_for_writing()?.transaction(|tx| {
        tx.record_import_run(
            "import-pst",
            &source.display().to_string(),
            total_files,
            total_rows,
        )
    })?;
    drop(writer);

    let mut out = Printer::stdout(args.stdout.format);
    out.table(
        "import",
        "Imported",
        systrade_cli::output::columns(&[
            "kind",
            "files",
            "rows",
            "written",
            "unchanged",
            "skipped",
            "source_files",
            "note",
        ]),
    )?;
    for (what, file, outcome) in &config_written {
        let written = usize::from(*outcome == WriteOutcome::Written);
        out.row(vec![
            (*what).into(),
            1u32.into(),
            file.rows().into(),
            written.into(),
            (1 - written).into(),
            0u32.into(),
            1u32.into(),
            Value::text(file.path().display()),
        ])?;
    }
    for (kind, sub) in SOURCES {
        let t = tallies.get(&kind).cloned().unwrap_or_default();
        let note = if !present.contains(&kind) {
            format!("no {sub}/ in source")
        } else if t.skipped > 0 {
            format!("{} variant files skipped", t.skipped)
        } else {
            String::new()
        };
        out.row(vec![
            kind.name().into(),
            t.files.into(),
            t.rows.into(),
            t.written.into(),
            t.unchanged.into(),
            t.skipped.into(),
            t.source_files.into(),
            note.into(),
        ])?;
    }
    out.finish()?;
    Ok(ExitCode::Success)
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

fn known_instrument(
    name: &str,
    configured: &BTreeSet<InstrumentCode>,
    path: &Path,
) -> anyhow::Result<InstrumentCode> {
    match InstrumentCode::new(name) {
        Ok(code) if configured.contains(&code) => Ok(code),
        _ => anyhow::bail!(
            "{}: unknown instrument '{name}': not in csvconfig/instrumentconfig.csv",
            path.display()
        ),
    }
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
