//! `import-pst`: migrate a pysystemtrade data directory into a systrade data directory.
//!
//! Source layout (spec §1.1): `csvconfig/{instrumentconfig,rollconfig,spreadcosts}.csv`,
//! `adjusted_prices_csv/`, `multiple_prices_csv/`, `fx_prices_csv/`, `roll_calendars_csv/` and,
//! optionally, `contract_prices_csv/` with one file per contract, `<INSTRUMENT>_<YYYYMMDD>.csv`
//! (columns `DATETIME,OPEN,HIGH,LOW,FINAL,VOLUME`, spec §1.10). Price files may be `.csv` or `.csv.gz`.
//! The CSV dump of a running pysystemtrade (`sysproduction/backup_db_to_csv.py`) names the same
//! directories `adjusted_prices/`, `multiple_prices/`, `fx_prices/` and `contract_prices/`; those
//! names are read too (both names of one kind present is an error).
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
//! - pysystemtrade's IB mapping `ib_config_futures.csv` (`--ib-config FILE`, or
//!   `csvconfig/ib_config_futures.csv` when present) becomes `config/ibkr.csv`, validated row by
//!   row as every reader of that file validates it (issue 14).
//! - Files that are not `.csv`/`.csv.gz` are ignored; `X.csv` next to `X.csv.gz` is an error.
//! - Empty numeric cells in `instrumentconfig.csv` become 0 and an empty Region `NO_REGION` (spec §1.2).
//!
//! Every value passes the validation rules of `systrade_model::validation` (docs/ARCHITECTURE.md,
//! "Validation rules"): point sizes, currencies, commissions, spread costs and roll offsets in range,
//! FX rates > 0, finite prices, HIGH ≥ LOW, volume ≥ 0, timestamps from 1900-01-01 to a year after
//! today. A violation is a data problem (exit 4) naming file, row and field.

mod source;
mod summary;
mod validate;
mod write;

use anyhow::Context;
use clap::{CommandFactory, Parser};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;
use systrade_cli::{CommonArgs, ExitCode, FormatArg};
use systrade_model::InstrumentCode;
use systrade_store::Store;

/// Import a pysystemtrade data directory (csvconfig/, adjusted_prices_csv/, multiple_prices_csv/,
/// fx_prices_csv/, roll_calendars_csv/ and optionally contract_prices_csv/; files .csv or .csv.gz)
/// into the data directory. The directories of pysystemtrade's `backup_db_to_csv` dump
/// (adjusted_prices/, multiple_prices/, fx_prices/, contract_prices/) are read as well. Validates everything first and writes nothing if any file is malformed;
/// re-running is idempotent. Prints one row per kind of file (files, rows, written, unchanged).
#[derive(Debug, Parser)]
#[command(name = "import-pst", version)]
pub struct Args {
    /// The pysystemtrade data directory to read (e.g. pysystemtrade/data/futures).
    #[arg(value_name = "SOURCE_DIR")]
    pub source: PathBuf,

    /// pysystemtrade's IB mapping (`sysbrokers/IB/config/ib_config_futures.csv`: Instrument,
    /// IBSymbol, IBExchange, IBCurrency, IBMultiplier, priceMagnifier, IgnoreWeekly) to convert into
    /// config/ibkr.csv (every row validated; a bad row is named by file, row and field and nothing is
    /// written). Default: SOURCE_DIR/csvconfig/ib_config_futures.csv when it exists.
    #[arg(long, value_name = "FILE")]
    pub ib_config: Option<PathBuf>,

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
    Args::command().after_help(EXAMPLES)
}
/// Examples shown after `--help` and in the man page's EXAMPLES section.
const EXAMPLES: &str = "Examples:\n  import-pst ~/pysystemtrade/data/futures --data-dir /srv/systrade/data\n  import-pst ~/pysystemtrade/data/futures --format json | jq .";

/// Validates the whole source, then writes it (nothing when anything is wrong), then prints the
/// summary.
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
    // files are read only inside the source directory (symbolic links out of it are problems)
    let root = source::SourceRoot::new(source)?;
    let config = validate::read_config(source, &root, args.ib_config.as_deref(), &mut problems)?;
    let configured = config.configured();
    let selected: Option<BTreeSet<InstrumentCode>> = match &args.common.instruments {
        None => None,
        Some(_) => {
            let all: Vec<InstrumentCode> = configured.iter().cloned().collect();
            Some(args.common.select_instruments(&all)?.into_iter().collect())
        }
    };
    let mut scan = source::scan(source, &root, &configured, selected.as_ref(), &mut problems)?;
    tracing::info!(
        "reading {} files from {}",
        scan.jobs.len(),
        source.display()
    );
    let no_progress = args.common.no_progress;
    let prepared = validate::parse_all(&store, &scan.jobs, no_progress, &mut problems);
    if !problems.is_empty() {
        return Err(validate::nothing_written(&problems));
    }
    let config_files = config.prepare(&store)?;

    // ---- phase 2: write ----------------------------------------------------------------------
    let config_written = write::write(
        &store,
        source,
        timeout,
        &config_files,
        &prepared,
        &mut scan,
        no_progress,
    )?;
    summary::print(args.stdout.format, &config_written, &scan)?;
    Ok(ExitCode::Success)
}
