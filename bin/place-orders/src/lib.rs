//! `place-orders`: optimal positions → instrument orders → contract orders → broker orders, with
//! risk controls, fills, positions and reconciliation (issue 7; spec §4.3 items 8–9, §4.4–4.9, §5).
//!
//! Without a subcommand it runs the order flow of [`systrade_orders::engine`] against the `sim`
//! paper broker (default) or the IB Client Portal gateway (`--broker ibkr`). Subcommands manage the
//! risk controls (`overrides`, `limits`, `locks`) and show state (`positions`, `orders`, `audit`).
//! All state lives in `state.sqlite` of the data directory (migrations 3, 4 and 6).
//!
//! Exit codes: 0 done; 3 some instruments could not be processed or orders were refused by the
//! broker; 4 a position break was found (the instrument is locked until it is resolved) or an order
//! was beyond the sanity bound (`--max-contracts`; the instrument is locked until cleared by hand);
//! 5 broker unavailable; 6 another process held the data directory's write lock past
//! `--lock-timeout`.

use anyhow::Context;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use serde::Serialize;
use std::io::Write;
use std::time::Duration;
use systrade_cli::{CommonArgs, ExitCode, ExitCodeError, OutputFormat};
use systrade_model::InstrumentCode;
use systrade_orders::broker::{Broker, BrokerError, IbkrBroker, IbkrConfig, SimBroker};
use systrade_orders::engine::{
    self, EngineError, ForwardInfo, RunOptions, RunReport, SanityBounds,
};
use systrade_orders::logic::Override;
use systrade_store::state::controls::LockSource;
use systrade_store::{StateWriter, Store, now_text};

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

    /// Output format of summaries and listings on stdout (json: one object per line).
    #[arg(long, value_enum, default_value_t = OutputFormat::Table, global = true)]
    pub format: OutputFormat,

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

    /// Trading date (YYYY-MM-DD) for client order ids and trade-limit periods; default today (UTC).
    #[arg(long, value_name = "DATE", global = true)]
    pub date: Option<chrono::NaiveDate>,

    /// Sim broker slippage in price units per contract, against the trade.
    #[arg(long, value_name = "PRICE", default_value_t = 0.0)]
    pub sim_slippage: f64,

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
    /// Strategy and contract positions.
    Positions,
    /// Active orders (instrument and broker level), or completed ones with --history.
    Orders {
        #[arg(long)]
        history: bool,
    },
    /// Position multipliers, reduce-only and no-trading overrides (spec §4.6).
    Overrides {
        #[command(subcommand)]
        action: OverridesAction,
    },
    /// Position limits and trade limits (spec §4.7).
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
        #[arg(value_name = "MAX")]
        max: u32,
    },
    /// Maximum contracts traded per period of days (per instrument, or per strategy and instrument).
    Trade {
        #[command(flatten)]
        scope: Scope,
        #[arg(long, value_name = "DAYS", default_value_t = 1)]
        period_days: u32,
        #[arg(value_name = "MAX")]
        max: u32,
    },
    /// Remove the position or trade limits of a scope.
    Clear {
        #[command(flatten)]
        scope: Scope,
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
        instrument: String,
        #[arg(long, default_value = "manual lock")]
        reason: String,
    },
    /// Remove a lock (a break that persists locks the instrument again on the next run).
    Clear {
        instrument: String,
    },
}

/// The clap command, for man pages and completions.
pub fn command() -> clap::Command {
    Args::command()
}

/// Runs the tool.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let store = Store::open(&args.common.data_dir);
    // An order run reads optimal positions, prices and controls that other tools write: it holds
    // the data directory's write lock from before it reads anything until it is done, so it never
    // sees a half-written input and two runs never interleave (issue 15 item 4).
    let _lock = match &args.command {
        None => Some(write_lock(&store, args.run.lock_timeout)?),
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
        None => run_orders(args, &store, &mut db, run_id),
        Some(Command::Positions) => {
            let s = db.strategy_positions()?;
            let c = db.contract_positions()?;
            let mut rows: Vec<Vec<String>> = s
                .iter()
                .map(|p| {
                    vec![
                        "strategy".into(),
                        p.strategy.clone(),
                        p.instrument.to_string(),
                        String::new(),
                        p.position.to_string(),
                    ]
                })
                .collect();
            rows.extend(c.iter().map(|p| {
                vec![
                    "contract".into(),
                    String::new(),
                    p.instrument.to_string(),
                    p.contract.to_string(),
                    p.position.to_string(),
                ]
            }));
            let json: Vec<serde_json::Value> = s
                .iter()
                .map(|p| tagged("strategy", p))
                .chain(c.iter().map(|p| tagged("contract", p)))
                .collect();
            emit(
                fmt,
                &["level", "strategy", "instrument", "contract", "position"],
                &rows,
                &json,
            )?;
            Ok(ExitCode::Success)
        }
        Some(Command::Orders { history }) => {
            let io = db.instrument_orders(*history)?;
            let bo = db.broker_orders(*history)?;
            let mut rows: Vec<Vec<String>> = io
                .iter()
                .map(|o| {
                    vec![
                        "instrument".into(),
                        o.id.to_string(),
                        o.strategy.clone(),
                        o.instrument.to_string(),
                        String::new(),
                        o.trade.to_string(),
                        o.fill.to_string(),
                        price(o.filled_price),
                        o.order_type.clone(),
                        String::new(),
                    ]
                })
                .collect();
            rows.extend(bo.iter().map(|o| {
                vec![
                    "broker".into(),
                    o.id.to_string(),
                    o.strategy.clone(),
                    o.instrument.to_string(),
                    o.contract.to_string(),
                    o.trade.to_string(),
                    o.fill.to_string(),
                    price(o.filled_price),
                    o.status.clone(),
                    o.client_order_id.clone(),
                ]
            }));
            let json: Vec<serde_json::Value> = io
                .iter()
                .map(|o| tagged("instrument", o))
                .chain(bo.iter().map(|o| tagged("broker", o)))
                .collect();
            emit(
                fmt,
                &[
                    "level",
                    "id",
                    "strategy",
                    "instrument",
                    "contract",
                    "trade",
                    "fill",
                    "price",
                    "type_or_status",
                    "client_order_id",
                ],
                &rows,
                &json,
            )?;
            Ok(ExitCode::Success)
        }
        Some(Command::Audit) => {
            let a = db.audit_rows()?;
            let rows: Vec<Vec<String>> = a
                .iter()
                .map(|r| {
                    vec![
                        r.id.to_string(),
                        r.at.clone(),
                        r.strategy.clone(),
                        r.instrument.clone(),
                        r.event.clone(),
                        r.detail.clone(),
                    ]
                })
                .collect();
            let json: Vec<serde_json::Value> = a.iter().map(|r| tagged("audit", r)).collect();
            emit(
                fmt,
                &["id", "at", "strategy", "instrument", "event", "detail"],
                &rows,
                &json,
            )?;
            Ok(ExitCode::Success)
        }
        Some(Command::Overrides { action }) => overrides(&mut db, action, fmt, &run_id),
        Some(Command::Limits { action }) => limits(&mut db, action, fmt, &run_id, args),
        Some(Command::Locks { action }) => locks(&mut db, action, fmt, &run_id),
    }
}

fn scope_strings(scope: &Scope, need_instrument: bool) -> anyhow::Result<(String, String)> {
    let s = scope.strategy.clone().unwrap_or_default();
    let i = scope.instrument.clone().unwrap_or_default();
    if need_instrument && i.is_empty() {
        return Err(usage("--instrument is required"));
    }
    if s.is_empty() && i.is_empty() {
        return Err(usage("give --strategy, --instrument or both"));
    }
    if !i.is_empty() {
        InstrumentCode::new(&i).map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok((s, i))
}

fn overrides(
    db: &mut StateWriter,
    action: &OverridesAction,
    fmt: OutputFormat,
    run_id: &str,
) -> anyhow::Result<ExitCode> {
    let at = now_text();
    match action {
        OverridesAction::Set { scope, value } => {
            let (s, i) = scope_strings(scope, false)?;
            db.transaction(|tx| {
                tx.set_override(&s, &i, *value, &at)?;
                tx.audit(run_id, &s, &i, "override_set", &value.to_string())
            })?;
        }
        OverridesAction::Clear { scope } => {
            let (s, i) = scope_strings(scope, false)?;
            db.transaction(|tx| {
                if tx.clear_override(&s, &i)? > 0 {
                    tx.audit(run_id, &s, &i, "override_cleared", "")?;
                }
                Ok::<_, systrade_store::StoreError>(())
            })?;
        }
        OverridesAction::List => {}
    }
    let list = db.overrides()?;
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|o| vec![o.strategy.clone(), o.instrument.clone(), o.value.clone()])
        .collect();
    let json: Vec<serde_json::Value> = list.iter().map(|o| tagged("override", o)).collect();
    emit(fmt, &["strategy", "instrument", "override"], &rows, &json)?;
    Ok(ExitCode::Success)
}

fn limits(
    db: &mut StateWriter,
    action: &LimitsAction,
    fmt: OutputFormat,
    run_id: &str,
    args: &Args,
) -> anyhow::Result<ExitCode> {
    let at = now_text();
    let today = args
        .run
        .date
        .unwrap_or_else(|| chrono::Utc::now().date_naive())
        .format("%Y-%m-%d")
        .to_string();
    match action {
        LimitsAction::Position { scope, max } => {
            let (s, i) = scope_strings(scope, true)?;
            let code = InstrumentCode::new(&i)?;
            db.transaction(|tx| {
                tx.set_position_limit(&s, &code, i64::from(*max), &at)?;
                tx.audit(run_id, &s, &i, "position_limit_set", &max.to_string())
            })?;
        }
        LimitsAction::Trade {
            scope,
            period_days,
            max,
        } => {
            let (s, i) = scope_strings(scope, true)?;
            if *period_days == 0 {
                return Err(usage("--period-days must be at least 1"));
            }
            let code = InstrumentCode::new(&i)?;
            db.transaction(|tx| {
                tx.set_trade_limit(
                    &s,
                    &code,
                    i64::from(*period_days),
                    i64::from(*max),
                    &today,
                    &at,
                )?;
                tx.audit(
                    run_id,
                    &s,
                    &i,
                    "trade_limit_set",
                    &format!("{max} per {period_days} day(s)"),
                )
            })?;
        }
        LimitsAction::Clear { scope, kind } => {
            let (s, i) = scope_strings(scope, true)?;
            let code = InstrumentCode::new(&i)?;
            db.transaction(|tx| {
                let (cleared, event) = match kind {
                    LimitKind::Position => (
                        tx.clear_position_limit(&s, &code)?,
                        "position_limits_cleared",
                    ),
                    LimitKind::Trade => (tx.clear_trade_limits(&s, &code)?, "trade_limits_cleared"),
                };
                if cleared > 0 {
                    tx.audit(run_id, &s, &i, event, "")?;
                }
                Ok::<_, systrade_store::StoreError>(())
            })?;
        }
        LimitsAction::List => {}
    }
    let p = db.position_limits()?;
    let t = db.trade_limits()?;
    let mut rows: Vec<Vec<String>> = p
        .iter()
        .map(|l| {
            vec![
                "position".into(),
                l.strategy.clone(),
                l.instrument.to_string(),
                l.max_position.to_string(),
                String::new(),
                String::new(),
            ]
        })
        .collect();
    rows.extend(t.iter().map(|l| {
        vec![
            "trade".into(),
            l.strategy.clone(),
            l.instrument.to_string(),
            l.max_trades.to_string(),
            l.period_days.to_string(),
            l.traded.to_string(),
        ]
    }));
    let json: Vec<serde_json::Value> = p
        .iter()
        .map(|l| tagged("position_limit", l))
        .chain(t.iter().map(|l| tagged("trade_limit", l)))
        .collect();
    emit(
        fmt,
        &[
            "kind",
            "strategy",
            "instrument",
            "max",
            "period_days",
            "traded",
        ],
        &rows,
        &json,
    )?;
    Ok(ExitCode::Success)
}

fn locks(
    db: &mut StateWriter,
    action: &LocksAction,
    fmt: OutputFormat,
    run_id: &str,
) -> anyhow::Result<ExitCode> {
    let at = now_text();
    match action {
        LocksAction::Add { instrument, reason } => {
            let code = InstrumentCode::new(instrument).map_err(|e| anyhow::anyhow!("{e}"))?;
            db.transaction(|tx| {
                // A manual lock replaces a reconciliation lock (it must then be cleared by hand).
                tx.remove_lock(&code, Some(LockSource::Reconciliation))?;
                tx.add_lock(&code, LockSource::Manual, reason, &at)?;
                tx.audit(run_id, "", instrument, "lock", &format!("manual: {reason}"))
            })?;
        }
        LocksAction::Clear { instrument } => {
            // Anything else is not an instrument code and so has no lock.
            if let Ok(code) = InstrumentCode::new(instrument) {
                db.transaction(|tx| {
                    if tx.remove_lock(&code, None)? {
                        tx.audit(run_id, "", instrument, "unlock", "cleared by hand")?;
                    }
                    Ok::<_, systrade_store::StoreError>(())
                })?;
            }
        }
        LocksAction::List => {}
    }
    let l = db.locks()?;
    let rows: Vec<Vec<String>> = l
        .iter()
        .map(|k| {
            vec![
                k.instrument.to_string(),
                k.source.as_str().to_string(),
                k.reason.clone(),
                k.locked_at.clone(),
            ]
        })
        .collect();
    let json: Vec<serde_json::Value> = l.iter().map(|k| tagged("lock", k)).collect();
    emit(
        fmt,
        &["instrument", "source", "reason", "locked_at"],
        &rows,
        &json,
    )?;
    Ok(ExitCode::Success)
}

/// The sanity bound of each instrument with an optimal position: `--max-contracts` for all, or
/// derived from capital and contract value ([`systrade_orders::logic::default_max_contracts`]).
fn sanity_bounds(
    max_contracts: Option<u32>,
    store: &Store,
    db: &StateWriter,
) -> anyhow::Result<SanityBounds> {
    use systrade_orders::logic::{HARD_MAX_CONTRACTS, default_max_contracts};
    if let Some(n) = max_contracts {
        return Ok(SanityBounds::uniform(i64::from(n)));
    }
    let capital = match db.current_capital()? {
        Some(c) => Some(c.total_capital),
        None => {
            let s = db.strategy_capitals()?;
            (!s.is_empty()).then(|| s.iter().map(|c| c.capital).sum())
        }
    };
    let mut bounds = SanityBounds::uniform(HARD_MAX_CONTRACTS);
    let Some(capital) = capital else {
        return Ok(bounds);
    };
    let instruments = match store.read_instruments() {
        Ok(v) => v,
        Err(e) => {
            if !e.is_not_found() {
                tracing::warn!(
                    "instrument config unreadable, sanity bound {HARD_MAX_CONTRACTS} contracts: {e}"
                );
            }
            return Ok(bounds);
        }
    };
    let mut fx: std::collections::BTreeMap<String, Option<f64>> = Default::default();
    for op in db.latest_optimal_positions()? {
        let Some(inst) = instruments.iter().find(|i| i.code == op.instrument) else {
            continue;
        };
        let rate = *fx.entry(inst.currency.clone()).or_insert_with(|| {
            if inst.currency == "USD" {
                return Some(1.0);
            }
            store
                .read_fx_rates(&inst.currency)
                .ok()
                .and_then(|s| s.values.iter().rev().copied().find(|v| v.is_finite()))
        });
        let value = rate.map(|r| (op.reference_price * inst.pointsize).abs() * r);
        let n = default_max_contracts(Some(capital), value);
        let e = bounds
            .per_instrument
            .entry(op.instrument.as_str().to_string())
            .or_insert(n);
        *e = (*e).min(n);
    }
    Ok(bounds)
}

/// The forward contract and forward − priced price difference from the last multiple-prices row
/// with both prices (spec §1.6), for instruments in a roll state that trades the forward.
fn forward_from_store(store: &Store, instrument: &str) -> Option<ForwardInfo> {
    let code = InstrumentCode::new(instrument).ok()?;
    let rows = match store.read_multiple_prices(&code) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(
                instrument,
                "no multiple prices for the forward contract: {e}"
            );
            return None;
        }
    };
    let last = rows.last()?;
    let diff = rows
        .iter()
        .rev()
        .find(|r| {
            r.price.is_finite()
                && r.forward.is_finite()
                && r.forward_contract == last.forward_contract
        })
        .map(|r| r.forward - r.price);
    Some(ForwardInfo {
        forward: last.forward_contract,
        price_difference: diff,
    })
}

/// The IB broker: `config/ibkr.csv` (required), the roll configuration (when there is one), the
/// session initialised. A gateway that cannot be used is exit 5, with what to do about it.
fn connect_ibkr(args: &Args) -> anyhow::Result<IbkrBroker> {
    let r = &args.run;
    let store = Store::open(&args.common.data_dir);
    let mut cfg = IbkrConfig::new(r.ibkr_url.clone());
    cfg.account = r.ibkr_account.clone();
    cfg.gateway.transport.accept_invalid_certs = r.ibkr_insecure;
    cfg.mapping = store
        .read_ibkr_instruments()
        .context("the ibkr broker needs the IB instrument mapping")?;
    cfg.rolls = match store.read_roll_parameters() {
        Ok(rolls) => rolls,
        Err(e) if e.is_not_found() => Vec::new(),
        Err(e) => return Err(e).context("reading the roll configuration"),
    };
    IbkrBroker::connect(cfg).map_err(|e| {
        let hint = match &e {
            systrade_ibkr::IbkrError::CertificateRefused { .. } => {
                "; if this is the Client Portal gateway's own self-signed certificate, run again with --ibkr-insecure"
            }
            systrade_ibkr::IbkrError::ConnectionRefused { .. } => " (--ibkr-url or SYSTRADE_IBKR_URL)",
            _ => "",
        };
        broker_unavailable(BrokerError::Unavailable(format!("{e}{hint}")))
    })
}

fn write_lock(store: &Store, seconds: f64) -> anyhow::Result<systrade_store::Writer<'_>> {
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

fn broker_unavailable(e: BrokerError) -> anyhow::Error {
    anyhow::Error::new(ExitCodeError(ExitCode::BrokerUnavailable)).context(e.to_string())
}

fn usage(msg: &str) -> anyhow::Error {
    anyhow::Error::new(ExitCodeError(ExitCode::Usage)).context(msg.to_string())
}

fn run_orders(
    args: &Args,
    store: &Store,
    db: &mut StateWriter,
    run_id: String,
) -> anyhow::Result<ExitCode> {
    let r = &args.run;
    let date = r.date.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let mut broker: Box<dyn Broker> = match r.broker {
        BrokerKind::Sim => Box::new(SimBroker::new(
            store.open_state_for_writing()?,
            r.sim_slippage,
            now_text(),
        )),
        BrokerKind::Ibkr if r.dry_run => {
            // A dry run sends nothing; it does not even need the gateway.
            Box::new(SimBroker::new(
                store.open_state_for_writing()?,
                0.0,
                now_text(),
            ))
        }
        BrokerKind::Ibkr => Box::new(connect_ibkr(args)?),
    };
    let forward = |i: &str| forward_from_store(store, i);
    let opts = RunOptions {
        strategies: r.strategies.clone(),
        instruments: args
            .common
            .instruments
            .as_ref()
            .map(|v| v.iter().map(|c| c.as_str().to_string()).collect()),
        date,
        dry_run: r.dry_run,
        wait: Duration::from_secs_f64(r.wait.max(0.0)),
        poll_interval: Duration::from_millis(r.poll_interval),
        run_id,
        bounds: sanity_bounds(r.max_contracts, store, db)?,
    };
    let report = match engine::run(db, broker.as_mut(), &forward, &opts) {
        Ok(rep) => rep,
        Err(EngineError::Broker(e @ BrokerError::Unavailable(_))) => {
            return Err(broker_unavailable(e));
        }
        Err(EngineError::Arithmetic(m)) => {
            return Err(anyhow::Error::new(ExitCodeError(ExitCode::DataProblem)).context(m));
        }
        Err(e) => return Err(e.into()),
    };
    print_report(args.format, &report)?;
    let mut code = ExitCode::Success;
    for l in &report.lines {
        if l.status == "error" {
            tracing::error!(strategy = %l.strategy, instrument = %l.instrument, "{}", l.detail);
            code = code.worst(ExitCode::Partial);
        }
        if l.status == "locked" {
            tracing::warn!(instrument = %l.instrument, "locked, no order: {}", l.detail);
        }
        if l.status == "refused" {
            tracing::error!(strategy = %l.strategy, instrument = %l.instrument, "order refused, instrument locked: {}", l.detail);
            code = code.worst(ExitCode::DataProblem);
        }
    }
    for o in &report.orders {
        if o.status == "rejected" {
            tracing::error!(client_order_id = %o.client_order_id, "order refused: {}", o.message.as_deref().unwrap_or(""));
            code = code.worst(ExitCode::Partial);
        }
    }
    for b in &report.breaks {
        tracing::error!(instrument = %b.instrument, contract = %b.contract, ours = b.ours, broker = b.broker, "position break; instrument locked");
        code = code.worst(ExitCode::DataProblem);
    }
    for i in &report.unlocked {
        tracing::info!(instrument = %i, "position break resolved; lock cleared");
    }
    let generated = report.lines.iter().filter(|l| l.status == "placed").count();
    let refused = report
        .lines
        .iter()
        .filter(|l| l.status == "refused")
        .count();
    let filled = report
        .orders
        .iter()
        .filter(|o| o.status == "filled")
        .count();
    tracing::info!(
        instruments = report.lines.len(),
        generated,
        sent = report.submitted,
        filled,
        held = report.held.len(),
        refused,
        resumed = report.resumed,
        breaks = report.breaks.len(),
        dry_run = r.dry_run,
        "place-orders done"
    );
    Ok(code)
}

fn price(p: Option<f64>) -> String {
    p.map(|p| format!("{p}")).unwrap_or_default()
}

fn tagged<T: Serialize>(kind: &str, v: &T) -> serde_json::Value {
    let mut j = serde_json::to_value(v).unwrap_or(serde_json::Value::Null);
    if let serde_json::Value::Object(m) = &mut j {
        m.insert("kind".into(), serde_json::Value::String(kind.into()));
    }
    j
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Writes rows as an aligned table, CSV, or JSON lines.
fn emit(
    fmt: OutputFormat,
    header: &[&str],
    rows: &[Vec<String>],
    json: &[serde_json::Value],
) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match fmt {
        OutputFormat::Table => {
            let widths: Vec<usize> = (0..header.len())
                .map(|k| {
                    rows.iter()
                        .map(|r| r.get(k).map_or(0, String::len))
                        .max()
                        .unwrap_or(0)
                        .max(header[k].len())
                })
                .collect();
            let line = |cells: Vec<&str>| -> String {
                cells
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| format!("{c:<w$}"))
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
                    .to_string()
            };
            writeln!(out, "{}", line(header.to_vec()))?;
            for r in rows {
                writeln!(out, "{}", line(r.iter().map(String::as_str).collect()))?;
            }
        }
        OutputFormat::Csv => {
            writeln!(out, "{}", header.join(","))?;
            for r in rows {
                writeln!(
                    out,
                    "{}",
                    r.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(",")
                )?;
            }
        }
        OutputFormat::Json => {
            for j in json {
                writeln!(out, "{j}")?;
            }
        }
    }
    out.flush()
}

fn print_report(fmt: OutputFormat, report: &RunReport) -> std::io::Result<()> {
    let f = |x: f64| {
        if x.is_finite() {
            format!("{x:.2}")
        } else {
            String::new()
        }
    };
    let lines: Vec<Vec<String>> = report
        .lines
        .iter()
        .map(|l| {
            vec![
                l.strategy.clone(),
                l.instrument.clone(),
                l.roll_state.clone(),
                l.position.to_string(),
                f(l.lower),
                f(l.upper),
                l.buffered_trade.to_string(),
                l.trade.to_string(),
                l.status.clone(),
                l.detail.clone(),
            ]
        })
        .collect();
    let header = [
        "strategy",
        "instrument",
        "roll_state",
        "position",
        "lower",
        "upper",
        "buffered_trade",
        "trade",
        "status",
        "detail",
    ];
    match fmt {
        OutputFormat::Json => {
            let mut json: Vec<serde_json::Value> = report
                .lines
                .iter()
                .map(|l| tagged("instrument", l))
                .collect();
            json.extend(report.orders.iter().map(|o| tagged("order", o)));
            json.extend(report.breaks.iter().map(|b| tagged("break", b)));
            emit(fmt, &header, &lines, &json)
        }
        OutputFormat::Csv => emit(fmt, &header, &lines, &[]),
        OutputFormat::Table => {
            emit(fmt, &header, &lines, &[])?;
            if !report.orders.is_empty() {
                let rows: Vec<Vec<String>> = report
                    .orders
                    .iter()
                    .map(|o| {
                        vec![
                            o.client_order_id.clone(),
                            o.instrument.clone(),
                            o.contract.clone(),
                            o.trade.to_string(),
                            o.fill.to_string(),
                            price(o.filled_price),
                            o.status.clone(),
                            o.message.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                let mut out = std::io::stdout().lock();
                writeln!(out)?;
                drop(out);
                emit(
                    fmt,
                    &[
                        "client_order_id",
                        "instrument",
                        "contract",
                        "trade",
                        "fill",
                        "price",
                        "status",
                        "message",
                    ],
                    &rows,
                    &[],
                )?;
            }
            if !report.breaks.is_empty() {
                let rows: Vec<Vec<String>> = report
                    .breaks
                    .iter()
                    .map(|b| {
                        vec![
                            b.instrument.clone(),
                            b.contract.clone(),
                            b.ours.to_string(),
                            b.broker.to_string(),
                        ]
                    })
                    .collect();
                let mut out = std::io::stdout().lock();
                writeln!(out)?;
                drop(out);
                emit(
                    fmt,
                    &["break_instrument", "contract", "ours", "broker"],
                    &rows,
                    &[],
                )?;
            }
            Ok(())
        }
    }
}
