//! `run-step`: run one step of the daily pipeline under process control (spec §4.2), and manage
//! process control and capital (spec §4.3 items 5-6).
//!
//! `run-step NAME -- COMMAND ARGS...` runs COMMAND as step NAME for a run date (default today,
//! UTC). It refuses to start (exit 1, recorded as `refused`) when the step's control status is
//! STOP or PAUSE, the time is outside its window, or its predecessor has not succeeded on the same
//! run date; NO-RUN records the step as `skipped` (exit 0) and lets its successors run. A lock
//! (`locks/step-NAME.lock`, `flock`) refuses an overlapping run of the same step (exit 6). The
//! chain and windows come from `DATA/config/processes.csv` (`step,predecessor,start,stop`) or the
//! default chain of `scripts/daily`. The command's stdout and stderr pass through; its exit code
//! becomes run-step's (codes above 6 become 1). Start, end, exit code, a summary (what the command
//! wrote to `SYSTRADE_SUMMARY_FILE`: every systrade tool writes its counts there; else the last
//! stderr line of a failure or the last stdout line), rows fetched (sum of a `rows_added` column
//! when stdout is CSV) and broker orders created are recorded in `process_runs`. After
//! every run or refusal the Prometheus metrics file is rewritten atomically, and on failure the
//! alert command runs as `sh -c "$SYSTRADE_ALERT_CMD" sh STEP EXIT_CODE` with
//! `SYSTRADE_ALERT_STEP`, `SYSTRADE_ALERT_EXIT_CODE`, `SYSTRADE_ALERT_SUMMARY` and
//! `SYSTRADE_RUN_DATE` set.
mod capital;
mod control;
mod execute;
mod step;
mod table;

use anyhow::Context;
use chrono::{NaiveDate, NaiveTime};
use clap::{CommandFactory, Parser, Subcommand};
use std::path::PathBuf;
use systrade_cli::{CommonArgs, ExitCode, OutputFormat};
use systrade_store::Store;

/// Run a step of the daily pipeline under process control (status GO/STOP/PAUSE/NO-RUN, time
/// window, predecessor succeeded today, no overlapping run), record it in state.sqlite, write
/// Prometheus metrics and alert on failure. Subcommands manage process control and capital.
#[derive(Debug, Parser)]
#[command(
    name = "run-step",
    version,
    subcommand_negates_reqs = true,
    after_help = "Examples:\n  run-step fetch-prices -- fetch-prices --source ibkr --format csv\n  \
                  run-step control set place-orders STOP --reason 'broker maintenance'\n  \
                  run-step capital update --account-value 1050000"
)]
pub struct Args {
    /// The step name (fetch-prices, update-rolls, compute-forecasts, size-positions, place-orders,
    /// backup, report, or any name in config/processes.csv).
    #[arg(value_name = "STEP", required = true)]
    pub step: Option<String>,

    /// The command to run, after `--`.
    #[arg(value_name = "COMMAND", last = true, required = true)]
    pub command: Vec<String>,

    #[command(subcommand)]
    pub cmd: Option<Cmd>,

    /// Trading day the run belongs to (YYYY-MM-DD); default today in SYSTRADE_TZ (UTC unless set).
    #[arg(long, env = "SYSTRADE_RUN_DATE", value_name = "DATE", global = true)]
    pub date: Option<NaiveDate>,

    /// Time of day checked against the step's window (HH:MM); default now in SYSTRADE_TZ.
    #[arg(long, value_name = "HH:MM", value_parser = parse_time)]
    pub time: Option<NaiveTime>,

    /// Do nothing (exit 0) when the step already succeeded on this run date, so re-running the
    /// pipeline resumes after the last failure.
    #[arg(long)]
    pub once: bool,

    /// Prometheus textfile to rewrite after the step; default DATA/metrics/systrade.prom.
    #[arg(
        long,
        env = "SYSTRADE_METRICS_FILE",
        value_name = "FILE",
        global = true
    )]
    pub metrics_file: Option<PathBuf>,

    /// Shell command run when the step fails (gets STEP and EXIT_CODE as $1 and $2).
    #[arg(long, env = "SYSTRADE_ALERT_CMD", value_name = "SHELL-COMMAND")]
    pub alert_cmd: Option<String>,

    #[command(flatten)]
    pub common: CommonArgs,
}

fn parse_time(s: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(s, "%H:%M").map_err(|e| format!("{s:?}: {e} (HH:MM)"))
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Process control: show statuses and the latest run of each step, or set a status.
    Control {
        #[command(subcommand)]
        action: Option<ControlCmd>,
        /// Output format of the listing.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Total and per-strategy capital.
    Capital {
        #[command(subcommand)]
        action: CapitalCmd,
    },
    /// Rewrite the metrics file from state.sqlite.
    Metrics,
    /// Print the instruments the system trades, one per line (`scripts/daily` passes them to
    /// fetch-prices and roll-contracts): the keys of `instrument_weights`, else `instruments`,
    /// else every instrument with adjusted prices, minus the excluded duplicates and ignored
    /// instruments, as pysystemtrade's `get_instrument_list`.
    Instruments {
        /// System config; default DATA/config/system.yaml.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ControlCmd {
    /// Set a step's status: GO, STOP, PAUSE or NO-RUN.
    Set {
        /// The step (e.g. place-orders).
        step: String,
        /// GO, STOP, PAUSE or NO-RUN.
        status: String,
        /// Why (kept with the status and shown by `run-step control`).
        #[arg(long, default_value = "")]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum CapitalCmd {
    /// Current total capital, pending update, history and strategy allocation.
    Show {
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Set total capital by hand.
    Set {
        /// Total capital in the base currency.
        amount: f64,
        /// A note kept with the change.
        #[arg(long, default_value = "set by hand")]
        note: String,
    },
    /// Apply the broker account value (base currency): full/half/fixed compounding; a move of more
    /// than 10% waits for `confirm` (exit 4).
    ///
    /// With --from-broker the account value is the net liquidation value (`netliquidation` of
    /// `/portfolio/{account}/summary`) the IB Client Portal gateway reports, with the same guard.
    Update {
        /// The account value, in the base currency.
        #[arg(
            long,
            value_name = "AMOUNT",
            required_unless_present = "from_broker",
            conflicts_with = "from_broker"
        )]
        account_value: Option<f64>,
        /// Read the account value (net liquidation) from the IB gateway at --ibkr-url.
        #[arg(long)]
        from_broker: bool,
        /// IB Client Portal gateway base URL (with --from-broker).
        #[arg(
            long,
            env = "SYSTRADE_IBKR_URL",
            value_name = "URL",
            default_value = "https://localhost:5000/v1/api"
        )]
        ibkr_url: String,
        /// IB account id (with --from-broker); default: the gateway's selected account.
        #[arg(long, env = "SYSTRADE_IBKR_ACCOUNT", value_name = "ID")]
        ibkr_account: Option<String>,
        /// Accept the IB gateway's self-signed or expired TLS certificate (with --from-broker).
        #[arg(long, requires = "from_broker")]
        ibkr_insecure: bool,
        /// How capital follows the account (pysystemtrade's production_capital_method): full
        /// (every gain and loss), half (losses reduce it, gains above the high-water mark do not)
        /// or fixed (unchanged; the account value is only recorded).
        #[arg(long, env = "SYSTRADE_CAPITAL_METHOD", default_value = "full", value_parser = ["full", "half", "fixed"])]
        method: String,
    },
    /// Accept the pending update that moved more than 10%.
    Confirm,
    /// Reject the pending update.
    Reject,
    /// Set a strategy's allocation weight (capital_s = total × w_s / Σw).
    Weight {
        /// The strategy name.
        strategy: String,
        /// Its weight (any non-negative number; weights are normalised by their sum).
        weight: f64,
    },
    /// Print the capital a strategy trades (its allocation, or the total when no strategy has a
    /// weight) as a bare number for scripts (`size-positions --capital "$(run-step capital get)"`);
    /// exit 1 with nothing on stdout when no capital is set.
    Get {
        /// The strategy name.
        #[arg(long, default_value = "default")]
        strategy: String,
    },
}

/// The clap command, for man pages and completions.
pub fn command() -> clap::Command {
    Args::command()
}

/// Runs the subcommand, or STEP under process control.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let store = Store::open(&args.common.data_dir);
    // Listing the instruments reads the config and the price directory only, not state.sqlite.
    if let Some(Cmd::Instruments { config }) = &args.cmd {
        return instruments(&store, config.as_deref());
    }
    let mut db = store.open_state_for_writing()?;
    let metrics_path = args
        .metrics_file
        .clone()
        .unwrap_or_else(|| store.dir().metrics_file());
    match &args.cmd {
        Some(Cmd::Control { action, format }) => control::run(&mut db, action.as_ref(), *format),
        Some(Cmd::Capital { action }) => capital::run(&mut db, action),
        Some(Cmd::Metrics) => {
            systrade_ops::metrics::write(&db, &metrics_path)?;
            Ok(ExitCode::Success)
        }
        Some(Cmd::Instruments { config }) => instruments(&store, config.as_deref()),
        None => {
            let step = args.step.as_deref().context("missing STEP")?;
            step::run_step(args, &store, &mut db, step, &metrics_path)
        }
    }
}

/// `run-step instruments`: the system's instruments, one per line on stdout.
fn instruments(store: &Store, config: Option<&std::path::Path>) -> anyhow::Result<ExitCode> {
    use std::io::Write;
    let path = config.map_or_else(|| store.dir().system_yaml(), std::path::Path::to_path_buf);
    let (cfg, _warnings) = systrade_config::SystemConfig::from_file(&path)
        .map_err(|e| systrade_cli::data_problem(format!("{e}")))?;
    let all_in_data = match store.list_instruments(systrade_store::SeriesKind::Adjusted) {
        Ok(v) => v,
        Err(e) if e.is_not_found() => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let list = cfg.instrument_list(&all_in_data);
    if list.is_empty() {
        return Err(systrade_cli::data_problem(format!(
            "{}: the system trades no instruments (no instrument_weights, no instruments and no adjusted prices)",
            path.display()
        )));
    }
    let mut out = std::io::stdout().lock();
    for code in &list {
        writeln!(out, "{code}")?;
    }
    Ok(ExitCode::Success)
}
