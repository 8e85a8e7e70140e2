//! One `place-orders` run (spec §4.3 items 8–9, §4.5):
//!
//! 1. **resume**: broker orders left working or unacknowledged by an earlier run are looked up —
//!    an order whose submission was attempted is first searched by its client order id, and only
//!    resent if the broker has never seen it; fills found are recorded;
//! 2. **reconcile** broker against our contract positions: a break locks the instrument, a lock
//!    from an earlier break clears when the break is gone;
//! 3. **generate**: the config overrides are brought in line with the system config
//!    ([`config_overrides`]); then instrument orders from the latest optimal positions (buffer
//!    rule, minus the unfilled remainder of working orders), apply overrides (manual and config),
//!    position limits and trade limits,
//!    skip locked instruments, split into contract orders by roll state and add force-roll orders;
//!    each broker order gets its deterministic client order id and is stored *before* it is sent;
//! 4. **submit** (each attempt is committed before the request leaves), then **poll** until every
//!    order is final or the wait is over; every fill updates broker, contract and instrument orders,
//!    contract and strategy positions and trade-limit counters in one transaction;
//! 5. **complete**: families whose broker orders are all final move to the history tables;
//! 6. **reconcile** again.
//!
//! Every decision that changes or blocks an order is appended to the audit table.

pub mod config_overrides;
mod fills;
mod generate;
mod lines;
mod reconcile;
mod resume;
mod roll_orders;
mod submit;
#[cfg(test)]
mod tests;

use crate::broker::{Broker, BrokerError, OrderRequest};
use crate::logic::PositionBreak;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use systrade_model::{ConfiguredOverride, ContractDate};
use systrade_store::state::orders::BrokerOrderRow;
use systrade_store::{StateReader, StateWriter, StoreError, now_text};

/// What a run may do.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Only these strategies (all when `None`).
    pub strategies: Option<Vec<String>>,
    /// Only these instruments (all when `None`).
    pub instruments: Option<Vec<String>>,
    /// Trading date: client order ids and trade-limit periods.
    pub date: NaiveDate,
    /// Generate and report, write nothing, send nothing.
    pub dry_run: bool,
    /// How long to poll working orders for fills.
    pub wait: Duration,
    pub poll_interval: Duration,
    /// Identifies the run in the audit table.
    pub run_id: String,
    /// The sanity bound: the most contracts any position or order of an instrument may reach.
    pub bounds: SanityBounds,
    /// The overrides the system config implies now
    /// (`systrade_config::SystemConfig::configured_overrides`; empty without a config): the run
    /// stores them in place of the previous ones (audited) and applies them with the manual ones.
    pub config_overrides: Vec<ConfiguredOverride>,
}

/// Sanity bounds per instrument (issue 15): an optimal position, order or resulting position
/// beyond its bound is refused and the instrument locked (source `sanity`).
#[derive(Debug, Clone, PartialEq)]
pub struct SanityBounds {
    /// Bounds of particular instruments (derived from capital and contract value by the caller).
    pub per_instrument: BTreeMap<String, i64>,
    /// The bound of every other instrument.
    pub default: i64,
}

impl SanityBounds {
    /// The same bound for every instrument.
    pub fn uniform(max_contracts: i64) -> Self {
        Self {
            per_instrument: BTreeMap::new(),
            default: max_contracts,
        }
    }

    pub fn max_contracts(&self, instrument: &str) -> i64 {
        self.per_instrument
            .get(instrument)
            .copied()
            .unwrap_or(self.default)
    }
}

/// The forward contract of an instrument and the price difference forward − priced (to shift
/// reference prices of forward legs, §4.5), for roll states that trade the forward.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForwardInfo {
    pub forward: ContractDate,
    pub price_difference: Option<f64>,
}

/// One strategy and instrument in the run summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstrumentLine {
    pub strategy: String,
    pub instrument: String,
    pub roll_state: String,
    pub position: i64,
    pub lower: f64,
    pub upper: f64,
    /// Buffer-rule trade before controls.
    pub buffered_trade: i64,
    /// Trade placed after the remainder of working orders and all controls.
    pub trade: i64,
    /// `placed` (an order generated in this run), `resumed` (no new order, but one of an earlier
    /// run was sent or filled in this run), `no-trade`, `blocked`, `locked`, `held`, `refused`
    /// (beyond the sanity bound: the instrument is locked), `error`, `dry-run`.
    pub status: String,
    pub detail: String,
}

/// One broker order in the run summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderLine {
    pub client_order_id: String,
    pub strategy: String,
    pub instrument: String,
    pub contract: String,
    pub trade: i64,
    pub fill: i64,
    pub filled_price: Option<f64>,
    pub status: String,
    pub broker_order_id: Option<String>,
    /// Submission to acknowledgement, milliseconds (orders sent in this run).
    pub ack_ms: Option<f64>,
    pub message: Option<String>,
}

/// What a run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunReport {
    pub lines: Vec<InstrumentLine>,
    pub orders: Vec<OrderLine>,
    pub breaks: Vec<PositionBreak>,
    pub locked: Vec<String>,
    pub unlocked: Vec<String>,
    /// Orders of earlier runs picked up (looked up, polled or resent).
    pub resumed: usize,
    /// Orders sent to the broker in this run (resends included).
    pub submitted: usize,
    /// Pending orders not sent because their instrument is locked: client order id → why.
    pub held: BTreeMap<String, String>,
    /// The config overrides of the run (and those it cleared), by instrument.
    pub config_overrides: Vec<config_overrides::ConfigOverrideLine>,
}

/// Run failures (per-instrument problems are reported in [`InstrumentLine`]s instead).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Broker(#[from] BrokerError),
    /// Position or fill arithmetic that would overflow (bad broker or stored data).
    #[error("{0}")]
    Arithmetic(String),
}

type Result<T> = std::result::Result<T, EngineError>;

/// The whole run. `broker` is unused in a dry run. `forward` gives the forward contract for
/// instruments in a roll state that trades it.
pub fn run(
    db: &mut StateWriter,
    broker: &mut dyn Broker,
    forward: &dyn Fn(&str) -> Option<ForwardInfo>,
    opts: &RunOptions,
) -> Result<RunReport> {
    let mut report = RunReport::default();
    if opts.dry_run {
        db.dry_run(|tx| -> Result<()> {
            generate::generate(tx, broker.name(), forward, opts, &mut report)?;
            for l in &mut report.lines {
                if l.status == "placed" {
                    l.status = "dry-run".into();
                }
            }
            report.orders = lines::pending_order_lines(tx)?;
            Ok(())
        })?;
        return Ok(report);
    }
    let mut acks: BTreeMap<String, f64> = BTreeMap::new();
    let mut touched: BTreeSet<String> = BTreeSet::new();
    resume::resume(db, broker, opts, &mut report, &mut touched)?;
    let universe = universe(db, opts)?;
    reconcile::reconcile(db, broker, &universe, opts, &mut report)?;
    let name = broker.name().to_string();
    db.transaction(|tx| generate::generate(tx, &name, forward, opts, &mut report))?;
    submit::submit_pending(db, broker, opts, &mut acks, &mut touched, &mut report)?;
    submit::poll(db, broker, opts, &mut touched)?;
    db.transaction(|tx| tx.complete_finished_orders(&now_text()))?;
    report.breaks.clear();
    reconcile::reconcile(db, broker, &universe, opts, &mut report)?;
    // The contracts orders went to and positions were mapped to, as the broker resolved them
    // (conid, exact expiry).
    let resolved = broker.take_resolved_contracts();
    if !resolved.is_empty() {
        let at = now_text();
        db.transaction(|tx| -> Result<()> {
            for c in &resolved {
                tx.record_contract(c, &at)?;
            }
            Ok(())
        })?;
    }
    report.orders = lines::order_lines(db, &touched, &acks)?;
    for o in &mut report.orders {
        if let Some(why) = report.held.get(&o.client_order_id) {
            o.status = "locked".into();
            o.message = Some(why.clone());
        }
    }
    lines::mark_resumed(&mut report);
    Ok(report)
}

/// Whether a strategy and instrument are among the run's selection.
pub(super) fn selected(opts: &RunOptions, strategy: &str, instrument: &str) -> bool {
    opts.strategies
        .as_ref()
        .is_none_or(|s| s.iter().any(|x| x == strategy))
        && opts
            .instruments
            .as_ref()
            .is_none_or(|s| s.iter().any(|x| x == instrument))
}

/// Instruments the run looks at: those with optimal positions or contract positions (selected).
pub(super) fn universe(db: &StateReader, opts: &RunOptions) -> Result<Vec<String>> {
    let mut set: BTreeSet<String> = db
        .latest_optimal_positions()?
        .into_iter()
        .filter(|o| selected(opts, &o.strategy, o.instrument.as_str()))
        .map(|o| o.instrument.as_str().to_string())
        .collect();
    for c in db.contract_positions()? {
        let i = c.instrument.as_str();
        if opts
            .instruments
            .as_ref()
            .is_none_or(|s| s.iter().any(|x| x == i))
        {
            set.insert(i.to_string());
        }
    }
    Ok(set.into_iter().collect())
}

pub(super) fn request_of(row: &BrokerOrderRow) -> OrderRequest {
    OrderRequest {
        client_order_id: row.client_order_id.clone(),
        instrument: row.instrument.as_str().to_string(),
        contract: row.contract.id().to_string(),
        quantity: row.trade,
        limit_price: row.limit_price,
        reference_price: row.reference_price,
    }
}
