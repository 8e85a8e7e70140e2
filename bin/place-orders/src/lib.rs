//! `place-orders`: optimal positions → instrument orders → contract orders → broker orders, with
//! risk controls, fills, positions and reconciliation (issue 7; spec §4.3 items 8–9, §4.4–4.9, §5).
//!
//! Without a subcommand it runs the order flow of [`systrade_orders::engine`] against the `sim`
//! paper broker (default) or the IB Client Portal gateway (`--broker ibkr`). Subcommands manage the
//! risk controls (`overrides`, `limits`, `locks`) and show state (`positions`, `orders`, `audit`).
//! All state lives in `state.sqlite` of the data directory (migrations 3, 4, 6 and 9). The system
//! config's instrument lists become overrides as in pysystemtrade's production
//! ([`config_overrides`]).
//!
//! Exit codes: 0 done; 3 some instruments could not be processed or orders were refused by the
//! broker; 4 a position break was found (the instrument is locked until it is resolved) or an order
//! was beyond the sanity bound (`--max-contracts`; the instrument is locked until cleared by hand);
//! 5 broker unavailable; 6 another process held the data directory's write lock past
//! `--lock-timeout`.

mod config_overrides;
mod controls;
mod going_live;
mod listings;
mod order_run;
mod output;

use anyhow::Context;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use std::time::Duration;
use systrade_cli::{CommonArgs, ExitCode, ExitCodeError, OutputFormat};
use systrade_orders::broker::BrokerError;
use systrade_orders::logic::Override;
use systrade_store::Store;

/// Place orders for the latest optimal positions (buffer rule, overrides, position and trade limits,
/// locks, roll states), record fills and positions, and reconcile positions with the broker.
/// Subcommands manage the risk controls and show positions, orders and the audit trail.
#[derive(Debug, Parser)]
#[command(name = "place-orders", version, args_override_self = true)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub run: RunArgs,

    /// Output format of summaries and listings on stdout: table, csv or json (JSON Lines; the
    /// order run's rows carry "table": "instruments" | "orders" | "config_overrides" | "breaks").
    #[arg(long, value_enum, default_value_t = OutputFormat::Table, global = true)]
    pub format: OutputFormat,

    /// The system config whose instrument lists are overrides, as in pysystemtrade's production:
    /// exclude_instrument_lists.trading_restrictions -> no-trading; bad_markets, ignore_instruments
    /// and duplicate_instruments.exclude -> reduce-only (combined with the overrides set here,
    /// the most conservative wins). Read on every order run and `overrides list`; default
    /// DATA/config/system.yaml (none apply when it does not exist).
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<std::path::PathBuf>,

    #[command(flatten)]
    pub common: CommonArgs,
}

/// Which broker to trade with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BrokerKind {
    /// Deterministic paper broker: fills at once at the reference price plus slippage.
    Sim,
    /// Interactive Brokers Client Portal Web API gateway.
    Ibkr,
}

/// Flags of the order run.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Broker to send orders to.
    #[arg(long, value_enum, default_value_t = BrokerKind::Sim)]
    pub broker: BrokerKind,

    /// Only these strategies (comma separated); default: every strategy with optimal positions.
    #[arg(long, value_name = "A,B,...", value_delimiter = ',')]
    pub strategies: Option<Vec<String>>,

    /// Show the orders that would be sent; write and send nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Trading date (YYYY-MM-DD) for client order ids and trade-limit periods; default today in SYSTRADE_TZ (UTC unless set).
    #[arg(long, value_name = "DATE", global = true)]
    pub date: Option<chrono::NaiveDate>,

    /// Sim broker slippage in price units per contract, against the trade.
    #[arg(long, value_name = "PRICE", default_value_t = 0.0)]
    pub sim_slippage: f64,

    #[command(flatten)]
    pub gateway: GatewayArgs,

    /// Seconds to keep polling working orders for fills (they are picked up by the next run otherwise).
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub wait: f64,

    /// Milliseconds between status polls.
    #[arg(long, value_name = "MS", default_value_t = 500)]
    pub poll_interval: u64,

    /// Sanity bound: the most contracts a position or order of any one instrument may reach (per
    /// strategy and for the instrument as a whole). An optimal position, order or resulting
    /// position beyond it (or not a finite number) is refused and the instrument locked (source
    /// `sanity`, exit 4). Default per instrument: min(10000, max(1, floor(100 × capital /
    /// contract value))), capital from state.sqlite (run-step capital), contract value
    /// |reference price × Pointsize| × FX rate to USD; 10000 when either is unknown.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_contracts: Option<u32>,

    /// Seconds to wait for another process writing to the data directory (its write lock, which an
    /// order run holds from before it reads any input until it is done) before giving up (exit 6).
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub lock_timeout: f64,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Strategy and contract positions; `positions adopt` records the broker's as ours.
    Positions {
        #[command(subcommand)]
        action: Option<PositionsAction>,
    },
    /// Trades done outside the system (`trades add`).
    Trades {
        #[command(subcommand)]
        action: TradesAction,
    },
    /// Active orders (instrument and broker level), or completed ones with --history.
    Orders {
        /// Completed orders (moved to history) instead of the active ones.
        #[arg(long)]
        history: bool,
    },
    /// Position multipliers, reduce-only and no-trading overrides: those set here and those the
    /// system config implies (listed with their source).
    Overrides {
        #[command(subcommand)]
        action: OverridesAction,
    },
    /// Position limits and trade limits.
    Limits {
        #[command(subcommand)]
        action: LimitsAction,
    },
    /// Instrument locks: manual ones, and those set by a position break.
    Locks {
        #[command(subcommand)]
        action: LocksAction,
    },
    /// The append-only audit trail of decisions that changed or blocked orders.
    Audit,
}

/// How to reach the IB Client Portal gateway (for subcommands that read from it).
#[derive(Debug, Clone, clap::Args)]
pub struct GatewayArgs {
    /// IB Client Portal gateway base URL.
    #[arg(
        long,
        env = "SYSTRADE_IBKR_URL",
        value_name = "URL",
        default_value = "https://localhost:5000/v1/api"
    )]
    pub ibkr_url: String,

    /// IB account id; default: the gateway's selected account.
    #[arg(long, env = "SYSTRADE_IBKR_ACCOUNT", value_name = "ID")]
    pub ibkr_account: Option<String>,

    /// Accept the IB gateway's self-signed or expired TLS certificate (the gateway ships one); only
    /// for the gateway at --ibkr-url.
    #[arg(long)]
    pub ibkr_insecure: bool,
}

#[derive(Debug, Subcommand)]
pub enum PositionsAction {
    /// Going live: read the broker's contract positions (IB gateway, or --csv FILE), show where
    /// they differ from ours, and after confirmation record them as ours: contract positions set
    /// to the broker's, the strategy position of --strategy moved so that the instrument's
    /// strategy positions add up to them; every change audited (who, what, source). Asks on a
    /// terminal; --yes for scripts (without a terminal and without --yes: exit 2). Positions the
    /// mapping (config/ibkr.csv) cannot place are shown, not adopted (exit 3).
    Adopt {
        /// The strategy that takes up the difference in each instrument.
        #[arg(long, value_name = "NAME")]
        strategy: String,

        /// Read the broker's positions from this CSV (columns instrument,contract,position; every
        /// contract of the selected instruments not in it is taken as 0) instead of the gateway.
        #[arg(long, value_name = "FILE")]
        csv: Option<std::path::PathBuf>,

        /// Record without asking.
        #[arg(long)]
        yes: bool,

        #[command(flatten)]
        gateway: GatewayArgs,

        /// Seconds to wait for another process writing to the data directory (exit 6 after).
        #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
        lock_timeout: f64,
    },
}

#[derive(Debug, Subcommand)]
pub enum TradesAction {
    /// Record a fill done outside the system (a balance trade): a complete, filled order family
    /// (broker `manual`, type `balance`) that moves the strategy and contract positions, shows in
    /// `orders --history` and `report trades`, and is audited. Refused beyond the sanity bound
    /// (exit 4) or when not a valid trade (exit 2).
    #[command(allow_negative_numbers = true)]
    Add {
        /// Instrument code.
        instrument: String,
        /// Contract (YYYYMMDD or YYYYMM).
        contract: String,
        /// Contracts traded, signed: positive bought, negative sold.
        quantity: i64,
        /// Fill price in the instrument's price units (as stored, after priceMagnifier).
        #[arg(long, value_name = "PRICE")]
        price: f64,
        /// Strategy the trade belongs to.
        #[arg(long, value_name = "NAME")]
        strategy: String,
        /// Why (kept in the audit trail and the order's message).
        #[arg(long, value_name = "TEXT", default_value = "manual trade")]
        reason: String,
        /// Fill time (`YYYY-MM-DD HH:MM:SS`, UTC); default now.
        #[arg(long, value_name = "TIME")]
        fill_time: Option<String>,
        /// Sanity bound for this trade and the resulting positions; default as for the order run.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        max_contracts: Option<u32>,
        /// Seconds to wait for another process writing to the data directory (exit 6 after).
        #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
        lock_timeout: f64,
    },
}

/// Scope of a control: a strategy, an instrument, or both.
#[derive(Debug, Clone, clap::Args)]
pub struct Scope {
    /// Strategy (omit for every strategy).
    #[arg(long)]
    pub strategy: Option<String>,
    /// Instrument (omit for every instrument, where allowed).
    #[arg(long)]
    pub instrument: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum OverridesAction {
    /// Set an override: a multiplier in [0, 1], `close` (= 0), `reduce-only` or `no-trading`.
    Set {
        #[command(flatten)]
        scope: Scope,
        /// A multiplier in [0, 1], `close` (= 0), `reduce-only` or `no-trading`.
        #[arg(value_name = "VALUE")]
        value: Override,
    },
    /// Remove an override.
    Clear {
        #[command(flatten)]
        scope: Scope,
    },
    List,
}

#[derive(Debug, Subcommand)]
pub enum LimitsAction {
    /// Maximum absolute position (per instrument, or per strategy and instrument).
    Position {
        #[command(flatten)]
        scope: Scope,
        /// The largest absolute position allowed, in contracts.
        #[arg(value_name = "MAX")]
        max: u32,
    },
    /// Maximum contracts traded per period of days (per instrument, or per strategy and instrument).
    Trade {
        #[command(flatten)]
        scope: Scope,
        /// The period the limit counts trades over, in days.
        #[arg(long, value_name = "DAYS", default_value_t = 1)]
        period_days: u32,
        /// The most contracts traded (bought plus sold) in the period.
        #[arg(value_name = "MAX")]
        max: u32,
    },
    /// Remove the position or trade limits of a scope.
    Clear {
        #[command(flatten)]
        scope: Scope,
        /// Which limits to remove.
        #[arg(long, value_enum)]
        kind: LimitKind,
    },
    List,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LimitKind {
    Position,
    Trade,
}

#[derive(Debug, Subcommand)]
pub enum LocksAction {
    List,
    /// Lock an instrument: no new orders until cleared.
    Add {
        /// The instrument to lock.
        instrument: String,
        /// Why (shown with the lock and in the audit trail).
        #[arg(long, default_value = "manual lock")]
        reason: String,
    },
    /// Remove a lock (a break that persists locks the instrument again on the next run).
    Clear {
        /// The instrument to unlock.
        instrument: String,
    },
}

/// The clap command, for man pages and completions.
pub fn command() -> clap::Command {
    Args::command().after_help(EXAMPLES)
}
/// Examples shown after `--help` and in the man page's EXAMPLES section.
const EXAMPLES: &str = "Examples:\n  place-orders --broker sim --dry-run\n  place-orders --broker ibkr --ibkr-url https://localhost:5000 --ibkr-insecure\n  place-orders positions\n  place-orders overrides set 0 --instrument US10 --strategy default";

/// Runs the tool.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let store = Store::open(&args.common.data_dir);
    check_instruments(args, &store)?;
    // An order run reads optimal positions, prices and controls that other tools write: it holds
    // the data directory's write lock from before it reads anything until it is done, so it never
    // sees a half-written input and two runs never interleave (issue 15 item 4).
    let _lock = match &args.command {
        None => Some(write_lock(&store, args.run.lock_timeout)?),
        Some(Command::Positions {
            action: Some(PositionsAction::Adopt { lock_timeout, .. }),
        })
        | Some(Command::Trades {
            action: TradesAction::Add { lock_timeout, .. },
        }) => Some(write_lock(&store, *lock_timeout)?),
        Some(_) => None,
    };
    let mut db = store
        .open_state_for_writing()
        .context("opening state.sqlite")?;
    let fmt = args.format;
    let run_id = format!(
        "{}-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S"),
        std::process::id()
    );
    match &args.command {
        None => order_run::run_orders(args, &store, &mut db, run_id),
        Some(Command::Positions { action: None }) => listings::positions(&db, fmt),
        Some(Command::Positions {
            action: Some(adopt @ PositionsAction::Adopt { .. }),
        }) => going_live::adopt(args, adopt, &mut db, &run_id),
        Some(Command::Trades { action }) => {
            going_live::trades_add(args, action, &store, &mut db, &run_id)
        }
        Some(Command::Orders { history }) => listings::orders(&db, fmt, *history),
        Some(Command::Audit) => listings::audit(&db, fmt),
        Some(Command::Overrides { action }) => {
            // A config that cannot be read must not stop anyone setting or clearing an override
            // by hand: the listing then leaves the config's out, saying why.
            let configured = config_overrides::load(args, &store).unwrap_or_else(|e| {
                tracing::warn!("{e:#}; the config's overrides are not listed");
                Vec::new()
            });
            controls::overrides(&mut db, action, fmt, &run_id, &configured)
        }
        Some(Command::Limits { action }) => controls::limits(&mut db, action, fmt, &run_id, args),
        Some(Command::Locks { action }) => controls::locks(&mut db, action, fmt, &run_id),
    }
}

/// Every name in `--instruments` must be known (in `config/instruments.csv` or with an optimal
/// position): an unknown one is a usage error (exit 2) naming it, before anything is opened for
/// writing, as in every tool (issue 15 item 8).
fn check_instruments(args: &Args, store: &Store) -> anyhow::Result<()> {
    if args.common.instruments.is_none() {
        return Ok(());
    }
    let mut known: Vec<systrade_model::InstrumentCode> = match store.read_instruments() {
        Ok(v) => v.into_iter().map(|i| i.code).collect(),
        Err(e) if e.is_not_found() => Vec::new(),
        Err(e) => return Err(e).context("reading config/instruments.csv"),
    };
    known.extend(
        store
            .open_state()
            .context("opening state.sqlite")?
            .latest_optimal_positions()?
            .into_iter()
            .map(|o| o.instrument),
    );
    known.sort();
    known.dedup();
    args.common.select_instruments(&known).map(|_| ())
}

pub(crate) fn write_lock(
    store: &Store,
    seconds: f64,
) -> anyhow::Result<systrade_store::Writer<'_>> {
    let timeout = Duration::try_from_secs_f64(seconds)
        .map_err(|_| usage("--lock-timeout must be a non-negative number of seconds"))?;
    store.lock_for_writing(timeout).map_err(|e| {
        if e.is_locked() {
            anyhow::Error::new(ExitCodeError(ExitCode::Locked)).context(e.to_string())
        } else {
            anyhow::Error::from(e)
        }
    })
}

pub(crate) fn broker_unavailable(e: BrokerError) -> anyhow::Error {
    anyhow::Error::new(ExitCodeError(ExitCode::BrokerUnavailable)).context(e.to_string())
}

pub(crate) fn usage(msg: &str) -> anyhow::Error {
    anyhow::Error::new(ExitCodeError(ExitCode::Usage)).context(msg.to_string())
}
