//! `fetch-prices`: update `prices/contracts/<I>.parquet` and `prices/fx/<CCY>USD.parquet` from a price
//! source, adding only bars newer than the stored ones and never corrupting history
//! (spec §4.3 items 1–3, §4.10, §5).
//!
//! Steps: work out what to fetch ([`plan`]), fetch it per instrument in parallel with no lock held
//! ([`fetch`]), then under the data directory's write lock clean, merge, spike-check and write each
//! instrument ([`apply`]), and print one line per instrument ([`output`]).

pub mod apply;
mod fetch;
mod output;
mod plan;

use anyhow::Context;
use chrono::{NaiveDate, NaiveTime};
use clap::{CommandFactory, Parser, ValueEnum};
use std::path::PathBuf;
use systrade_cli::{CommonArgs, ExitCode, FormatArg, Outcomes};
use systrade_model::ContractDate;

/// Update contract prices (or FX rates with --fx) from a price source.
///
/// SOURCES
///
/// csv:PATH — a file or a directory of per-contract files: Barchart exports (Time,Open,High,Low,Last,Volume,
/// dates MM/DD/YYYY, footer line), generic OHLCV with ISO dates, or pysystemtrade contract CSVs
/// (DATETIME,OPEN,HIGH,LOW,FINAL,VOLUME). The instrument and contract come from the file name
/// (CORN_20231200.csv) or, for CORN.csv, from a Contract column. FX files are named GBPUSD.csv.
///
/// http:URL-TEMPLATE — an HTTP(S) endpoint returning CSV; placeholders {symbol} {contract} {yyyymm}
/// {yyyy} {yy} {mm} {month_letter} {start} {end} {start_compact} {end_compact} {token}. Symbols come
/// from config/http-symbols.csv (Instrument,Symbol). {token} is read from SYSTRADE_SOURCE_TOKEN or
/// --token-file (mode 0600) and never logged.
///
/// ibkr — the Interactive Brokers Client Portal gateway (--ibkr-url), mapping config/ibkr.csv
/// (pysystemtrade's ib_config_futures.csv columns: a future is the instrument's when its symbol and
/// exchange, and the IBCurrency and IBMultiplier when given, match; IgnoreWeekly picks the monthly
/// future among weeklies) and, with --fx, config/ibkr-fx.csv (CODE,CCY1,CCY2,INVERT). Prices are
/// multiplied by priceMagnifier; a daily bar is dated by its start time shifted 6 hours forward
/// (Globex sessions open the evening before). At most --max-concurrent-history requests are in
/// flight; 429 and 503 answers are retried with backoff; the session is initialised first, kept
/// alive, and re-initialised once when it expires.
///
/// WHAT IS WRITTEN
///
/// Only bars newer than the last stored bar of each contract are added. --revise-days N also compares
/// the last N days with the source, overwrites what changed and appends each change to
/// logs/price-revisions.csv (recorded_at,instrument,contract,timestamp,field,old,new). Future-dated
/// bars, bars without a close and zero prices are dropped (zero-volume bars with --drop-zero-volume).
/// A close moving more than --max-spike (8) times the EWMA (span 500) of absolute daily moves is a
/// spike: that contract's update is not written and the run exits 4, unless --accept-spikes. One
/// instrument failing does not stop the others (exit 3). stdout has one line per instrument.
#[derive(Debug, Parser)]
#[command(name = "fetch-prices", version)]
pub struct Args {
    /// Where prices come from: csv:PATH, http:URL-TEMPLATE or ibkr.
    #[arg(long, value_name = "SOURCE", value_parser = parse_source)]
    pub source: SourceArg,

    /// Fetch FX rates (prices/fx/<CCY>USD.parquet) instead of contract prices.
    #[arg(long)]
    pub fx: bool,

    /// Only these contracts (YYYYMMDD or YYYYMM, comma separated); default: the live contracts of each
    /// instrument (csv: every contract in the files).
    #[arg(long, value_name = "C1,C2,...", value_delimiter = ',', value_parser = parse_contract)]
    pub contracts: Option<Vec<ContractDate>>,

    /// Layout of the CSV files or responses (default: detected from the header).
    #[arg(long, value_enum, default_value_t = CsvFormatArg::Auto, value_name = "FORMAT")]
    pub csv_format: CsvFormatArg,

    #[command(flatten)]
    pub stdout: FormatArg,

    /// Also revise the last N days of stored bars where the source now differs (recorded in
    /// logs/price-revisions.csv).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub revise_days: u32,

    /// Write spikes anyway (after reviewing them).
    #[arg(long)]
    pub accept_spikes: bool,

    /// Spike threshold: a move larger than this many EWMA(500) absolute daily moves.
    #[arg(long, value_name = "X", default_value_t = systrade_sources::spike::DEFAULT_MAX_SPIKE)]
    pub max_spike: f64,

    /// Also drop bars with zero volume.
    #[arg(long)]
    pub drop_zero_volume: bool,

    /// Time of day given to daily bars that carry only a date (pysystemtrade stamps daily closes 23:00).
    #[arg(long, value_name = "HH:MM:SS", default_value = "23:00:00", value_parser = parse_time)]
    pub daily_time: NaiveTime,

    /// Days of history to ask for when a contract has no stored bars (http and ibkr).
    #[arg(long, value_name = "DAYS", default_value_t = 365)]
    pub lookback_days: u32,

    /// Instruments fetched in parallel.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub jobs: usize,

    /// Timeout of one HTTP request, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub timeout: f64,

    /// Retries of a request answered 429/503 or that could not connect.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub retries: u32,

    /// First retry delay in milliseconds (doubled on each retry; a Retry-After header wins).
    #[arg(long, value_name = "MS", default_value_t = 500)]
    pub retry_backoff_ms: u64,

    /// Minimum milliseconds between the starts of two requests (rate limit).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub min_interval_ms: u64,

    /// The IB Client Portal gateway's API base URL.
    #[arg(
        long,
        env = "SYSTRADE_IBKR_URL",
        value_name = "URL",
        default_value = "https://localhost:5000/v1/api"
    )]
    pub ibkr_url: String,

    /// At most this many IB history requests in flight (IB answers 429 beyond 5).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub max_concurrent_history: usize,

    /// Accept the IB gateway's self-signed or expired TLS certificate (the gateway ships one). Only
    /// with --source ibkr, and only for the gateway at --ibkr-url.
    #[arg(long, visible_alias = "insecure-accept-invalid-certs")]
    pub ibkr_insecure: bool,

    /// A file (mode 0600) whose first line is the {token} secret; SYSTRADE_SOURCE_TOKEN wins.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,

    /// Seconds to wait for another writer's lock on the data directory.
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    pub lock_timeout: f64,

    /// Today's date (default: the system clock); for reproducible runs and tests.
    #[arg(long, value_name = "YYYY-MM-DD", hide = true)]
    pub today: Option<NaiveDate>,

    #[command(flatten)]
    pub common: CommonArgs,
}

/// A parsed `--source`.
#[derive(Debug, Clone)]
pub enum SourceArg {
    Csv(PathBuf),
    Http(systrade_sources::template::UrlTemplate),
    Ibkr,
}

/// `--csv-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CsvFormatArg {
    Auto,
    Barchart,
    Generic,
    Pst,
}

impl From<CsvFormatArg> for systrade_sources::csvfmt::CsvFormat {
    fn from(f: CsvFormatArg) -> Self {
        match f {
            CsvFormatArg::Auto => Self::Auto,
            CsvFormatArg::Barchart => Self::Barchart,
            CsvFormatArg::Generic => Self::Generic,
            CsvFormatArg::Pst => Self::Pst,
        }
    }
}

fn parse_source(s: &str) -> Result<SourceArg, String> {
    if let Some(p) = s.strip_prefix("csv:") {
        if p.is_empty() {
            return Err("csv: needs a path, e.g. csv:downloads/".into());
        }
        Ok(SourceArg::Csv(PathBuf::from(p)))
    } else if let Some(t) = s.strip_prefix("http:") {
        systrade_sources::template::UrlTemplate::parse(t)
            .map(SourceArg::Http)
            .map_err(|e| e.to_string())
    } else if s == "ibkr" {
        Ok(SourceArg::Ibkr)
    } else {
        Err(format!(
            "'{s}' is not a source (csv:PATH, http:URL-TEMPLATE or ibkr)"
        ))
    }
}

fn parse_contract(s: &str) -> Result<ContractDate, String> {
    s.parse()
        .map_err(|e: systrade_model::ContractDateError| e.to_string())
}

fn parse_time(s: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(s, "%H:%M:%S").map_err(|_| format!("'{s}' is not HH:MM:SS"))
}

/// The clap command, for man pages and completions.
pub fn command() -> clap::Command {
    Args::command().after_help(EXAMPLES)
}
/// Examples shown after `--help` and in the man page's EXAMPLES section.
const EXAMPLES: &str = "Examples:\n  fetch-prices --source ibkr --format csv\n  fetch-prices --source csv:/srv/prices --instruments SP500,US10\n  fetch-prices --fx --source ibkr";

/// What to do about a gateway that cannot be used, when the tool can say: the option accepting the
/// gateway's self-signed certificate, the option naming its address.
pub(crate) fn gateway_hint(e: &systrade_ibkr::IbkrError) -> &'static str {
    match e {
        systrade_ibkr::IbkrError::CertificateRefused { .. } => {
            "; if this is the Client Portal gateway's own self-signed certificate, run again with --ibkr-insecure"
        }
        systrade_ibkr::IbkrError::ConnectionRefused { .. } => " (--ibkr-url or SYSTRADE_IBKR_URL)",
        _ => "",
    }
}

/// Runs the tool.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    if args.ibkr_insecure && !matches!(args.source, SourceArg::Ibkr) {
        return Err(anyhow::Error::new(systrade_cli::ExitCodeError(ExitCode::Usage)).context(
            "--ibkr-insecure accepts the IB gateway's certificate; it is only for --source ibkr",
        ));
    }
    let today = match args.today {
        Some(d) => d,
        None => systrade_cli::today()?,
    };
    let store = systrade_store::Store::open(&args.common.data_dir);
    let plan = plan::Plan::build(args, &store, today).context("preparing the fetch")?;
    let outcomes = Outcomes::new(if args.fx {
        "fetch-prices --fx"
    } else {
        "fetch-prices"
    });
    for u in &plan.failed {
        u.record(&outcomes);
    }
    let fetched = fetch::fetch_all(args, &plan, &store, &outcomes)?;
    let mut updates = plan.failed.clone();
    let resolved = plan.resolved_contracts();
    updates.extend(apply::apply_all(
        args, &store, today, fetched, &outcomes, &resolved,
    )?);
    updates.sort_by(|a, b| a.name.cmp(&b.name));
    output::print(args.stdout.format, &updates)?;
    Ok(outcomes.finish())
}
