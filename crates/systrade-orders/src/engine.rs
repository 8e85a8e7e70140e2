//! One `place-orders` run (spec §4.3 items 8–9, §4.5):
//!
//! 1. **resume**: broker orders left working or unacknowledged by an earlier run are looked up —
//!    an order whose submission was attempted is first searched by its client order id, and only
//!    resent if the broker has never seen it; fills found are recorded;
//! 2. **reconcile** broker against our contract positions: a break locks the instrument, a lock
//!    from an earlier break clears when the break is gone;
//! 3. **generate** instrument orders from the latest optimal positions (buffer rule, minus the
//!    unfilled remainder of working orders), apply overrides, position limits and trade limits,
//!    skip locked instruments, split into contract orders by roll state and add force-roll orders;
//!    each broker order gets its deterministic client order id and is stored *before* it is sent;
//! 4. **submit** (each attempt is committed before the request leaves), then **poll** until every
//!    order is final or the wait is over; every fill updates broker, contract and instrument orders,
//!    contract and strategy positions and trade-limit counters in one transaction;
//! 5. **complete**: families whose broker orders are all final move to the history tables;
//! 6. **reconcile** again.
//!
//! Every decision that changes or blocks an order is appended to the audit table.

use crate::ROLL_PSEUDO_STRATEGY;
use crate::broker::{Broker, BrokerError, OrderRequest, OrderStatus};
use crate::logic::{self, Override, PositionBreak, Spawn};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};
use systrade_model::{ContractDate, InstrumentCode, RollState};
use systrade_store::state::controls::LockSource;
use systrade_store::state::optimal::OptimalPosition;
use systrade_store::state::orders::{
    BrokerOrderRow, NewBrokerOrder, NewContractOrder, NewFill, NewInstrumentOrder,
};
use systrade_store::{StateReader, StateTx, StateWriter, StoreError, now_text};

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
            generate(tx, broker.name(), forward, opts, &mut report)?;
            for l in &mut report.lines {
                if l.status == "placed" {
                    l.status = "dry-run".into();
                }
            }
            report.orders = pending_order_lines(tx)?;
            Ok(())
        })?;
        return Ok(report);
    }
    let mut acks: BTreeMap<String, f64> = BTreeMap::new();
    let mut touched: BTreeSet<String> = BTreeSet::new();
    resume(db, broker, opts, &mut report, &mut touched)?;
    let universe = universe(db, opts)?;
    reconcile(db, broker, &universe, opts, &mut report)?;
    let name = broker.name().to_string();
    db.transaction(|tx| generate(tx, &name, forward, opts, &mut report))?;
    submit_pending(db, broker, opts, &mut acks, &mut touched, &mut report)?;
    poll(db, broker, opts, &mut touched)?;
    db.transaction(|tx| tx.complete_finished_orders(&now_text()))?;
    report.breaks.clear();
    reconcile(db, broker, &universe, opts, &mut report)?;
    report.orders = order_lines(db, &touched, &acks)?;
    for o in &mut report.orders {
        if let Some(why) = report.held.get(&o.client_order_id) {
            o.status = "locked".into();
            o.message = Some(why.clone());
        }
    }
    mark_resumed(&mut report);
    Ok(report)
}

/// A line without a new order whose strategy and instrument had an earlier run's order sent or
/// filled in this run says so (`resumed`), instead of `no-trade`.
fn mark_resumed(report: &mut RunReport) {
    for l in &mut report.lines {
        if !matches!(l.status.as_str(), "no-trade" | "blocked") {
            continue;
        }
        let done: Vec<String> = report
            .orders
            .iter()
            .filter(|o| o.strategy == l.strategy && o.instrument == l.instrument)
            .filter(|o| o.ack_ms.is_some() || o.status == "filled")
            .map(|o| format!("{} {:+} {}", o.client_order_id, o.trade, o.status))
            .collect();
        if !done.is_empty() {
            l.status = "resumed".into();
            let note = format!("earlier order {}", done.join(", "));
            l.detail = if l.detail.is_empty() {
                note
            } else {
                format!("{}; {note}", l.detail)
            };
        }
    }
}

fn selected(opts: &RunOptions, strategy: &str, instrument: &str) -> bool {
    opts.strategies
        .as_ref()
        .is_none_or(|s| s.iter().any(|x| x == strategy))
        && opts
            .instruments
            .as_ref()
            .is_none_or(|s| s.iter().any(|x| x == instrument))
}

/// Instruments the run looks at: those with optimal positions or contract positions (selected).
fn universe(db: &StateReader, opts: &RunOptions) -> Result<Vec<String>> {
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

fn request_of(row: &BrokerOrderRow) -> OrderRequest {
    OrderRequest {
        client_order_id: row.client_order_id.clone(),
        instrument: row.instrument.as_str().to_string(),
        contract: row.contract.id().to_string(),
        quantity: row.trade,
        limit_price: row.limit_price,
        reference_price: row.reference_price,
    }
}

fn resume(
    db: &mut StateWriter,
    broker: &mut dyn Broker,
    opts: &RunOptions,
    report: &mut RunReport,
    touched: &mut BTreeSet<String>,
) -> Result<()> {
    for row in db.open_broker_orders()? {
        if !selected(opts, &row.strategy, row.instrument.as_str())
            && row.strategy != ROLL_PSEUDO_STRATEGY
        {
            continue;
        }
        report.resumed += 1;
        touched.insert(row.client_order_id.clone());
        let attempted = db.submission_attempted(row.id)?;
        if row.status == "pending_submit" {
            if attempted {
                // A submission may have reached the broker before a crash or timeout: look first.
                if let Some(st) = broker.find_by_client_id(&request_of(&row))? {
                    tracing::info!(client_order_id = %row.client_order_id, "found at the broker; not resending");
                    apply_status(db, &row, &st, opts.date)?;
                    continue;
                }
                tracing::info!(client_order_id = %row.client_order_id, "not known to the broker; sending");
            }
            // Never reached the broker: submit_pending sends it.
            continue;
        }
        let id = row.broker_order_id.clone().unwrap_or_default();
        let st = if id.is_empty() {
            broker.find_by_client_id(&request_of(&row))?
        } else {
            status_or_lookup(broker, &id, &row)?
        };
        if let Some(st) = st {
            apply_status(db, &row, &st, opts.date)?;
        }
    }
    Ok(())
}

fn reconcile(
    db: &mut StateWriter,
    broker: &mut dyn Broker,
    universe: &[String],
    opts: &RunOptions,
    report: &mut RunReport,
) -> Result<()> {
    let at = now_text();
    let broker_positions = broker.positions(universe)?;
    let ours: Vec<(String, String, i64)> = db
        .contract_positions()?
        .into_iter()
        .filter(|c| universe.iter().any(|u| u == c.instrument.as_str()))
        .map(|c| {
            (
                c.instrument.as_str().to_string(),
                c.contract.id().to_string(),
                c.position,
            )
        })
        .collect();
    let theirs: Vec<(String, String, i64)> = broker_positions
        .into_iter()
        .filter(|p| universe.contains(&p.instrument) || p.instrument == "?")
        .map(|p| (p.instrument, p.contract, p.position))
        .collect();
    let breaks = logic::position_breaks(&ours, &theirs);
    db.transaction(|tx| -> Result<()> {
        let broken: BTreeSet<&str> = breaks.iter().map(|b| b.instrument.as_str()).collect();
        // One lock per instrument, its reason naming every broken contract.
        let mut details: BTreeMap<InstrumentCode, Vec<String>> = BTreeMap::new();
        for b in &breaks {
            let detail = format!(
                "contract {}: ours {}, broker {}",
                b.contract, b.ours, b.broker
            );
            if b.instrument == "?" {
                tracing::warn!(%detail, "broker position in a contract we cannot map");
                continue;
            }
            let Ok(instrument) = InstrumentCode::new(&b.instrument) else {
                tracing::warn!(%detail, instrument = %b.instrument, "broker position in an instrument that is not an instrument code");
                continue;
            };
            details.entry(instrument).or_default().push(detail);
        }
        for (instrument, ds) in details {
            let detail = ds.join("; ");
            let i = instrument.as_str();
            if tx.add_lock(&instrument, LockSource::Reconciliation, &detail, &at)? {
                tx.audit(&opts.run_id, "", i, "lock", &detail)?;
                report.locked.push(i.to_string());
            } else if tx.update_lock_reason(&instrument, LockSource::Reconciliation, &detail)? {
                // The break changed: the lock says what it is now.
                tracing::warn!(instrument = %i, "position break changed: {detail}");
                tx.audit(&opts.run_id, "", i, "lock_reason", &detail)?;
            }
        }
        for lock in tx.locks()? {
            let i = lock.instrument.as_str();
            if lock.source == LockSource::Reconciliation
                && universe.iter().any(|u| u == i)
                && !broken.contains(i)
                && tx.remove_lock(&lock.instrument, Some(LockSource::Reconciliation))?
            {
                tx.audit(
                    &opts.run_id,
                    "",
                    i,
                    "unlock",
                    &format!("position break resolved ({})", lock.reason),
                )?;
                report.unlocked.push(i.to_string());
            }
        }
        Ok(())
    })?;
    report.breaks.extend(breaks);
    Ok(())
}

/// Remaining trade-limit capacities for a strategy's trade in an instrument (counters past their
/// period count as reset).
fn trade_capacities(
    db: &StateReader,
    strategy: &str,
    instrument: &InstrumentCode,
    date: NaiveDate,
) -> Result<Vec<i64>> {
    let mut caps = Vec::new();
    for l in db.trade_limits_for(strategy, instrument)? {
        let traded = match NaiveDate::parse_from_str(&l.last_reset, "%Y-%m-%d") {
            Ok(d) if logic::trade_limit_needs_reset((date - d).num_days(), l.period_days) => 0,
            _ => l.traded,
        };
        let reserved = db.unfilled_broker_size(
            (!l.strategy.is_empty()).then_some(l.strategy.as_str()),
            instrument,
        )?;
        caps.push(logic::trade_limit_capacity(l.max_trades, traded, reserved));
    }
    Ok(caps)
}

struct NewLeg {
    contract: ContractDate,
    trade: i64,
    reference_price: Option<f64>,
}

/// Inserts an instrument order with its contract orders and broker orders (status
/// `pending_submit`, deterministic client order ids). Returns the instrument order id.
#[allow(clippy::too_many_arguments)]
fn insert_family(
    tx: &StateTx<'_>,
    broker_name: &str,
    strategy: &str,
    instrument: &InstrumentCode,
    trade: i64,
    order_type: &str,
    roll_order: bool,
    spread: bool,
    op: &OptimalPosition,
    legs: &[NewLeg],
    date: NaiveDate,
) -> Result<i64> {
    let at = now_text();
    let io = tx.insert_instrument_order(&NewInstrumentOrder {
        strategy,
        instrument,
        trade,
        order_type,
        reference_price: op.reference_price,
        reference_contract: &op.reference_contract,
        reference_datetime: &op.timestamp,
        generated_datetime: &at,
        roll_order,
    })?;
    let spread_group = spread.then_some(io);
    let day = date.format("%Y%m%d").to_string();
    for leg in legs {
        let co = tx.insert_contract_order(&NewContractOrder {
            instrument_order_id: io,
            strategy,
            instrument,
            contract: leg.contract,
            trade: leg.trade,
            reference_price: leg.reference_price,
            roll_order,
            spread_group,
            generated_datetime: &at,
        })?;
        let seq = tx.next_client_order_sequence(strategy, instrument, &day)?;
        let coid = logic::client_order_id(strategy, instrument.as_str(), &day, seq);
        tx.insert_broker_order(&NewBrokerOrder {
            contract_order_id: co,
            strategy,
            instrument,
            contract: leg.contract,
            client_order_id: &coid,
            trade: leg.trade,
            broker: broker_name,
            created_at: &at,
        })?;
    }
    Ok(io)
}

fn leg_reference(
    op: &OptimalPosition,
    priced: ContractDate,
    contract: ContractDate,
    fwd: Option<ForwardInfo>,
) -> f64 {
    if contract == priced {
        op.reference_price
    } else {
        op.reference_price + fwd.and_then(|f| f.price_difference).unwrap_or(0.0)
    }
}

fn generate(
    tx: &StateTx<'_>,
    broker_name: &str,
    forward: &dyn Fn(&str) -> Option<ForwardInfo>,
    opts: &RunOptions,
    report: &mut RunReport,
) -> Result<()> {
    let run_id = opts.run_id.as_str();
    let ops: Vec<OptimalPosition> = tx
        .latest_optimal_positions()?
        .into_iter()
        .filter(|o| selected(opts, &o.strategy, o.instrument.as_str()))
        .collect();
    let mut state_cache: BTreeMap<InstrumentCode, RollState> = BTreeMap::new();
    let mut priced_by_instrument: BTreeMap<InstrumentCode, OptimalPosition> = BTreeMap::new();
    for op in &ops {
        let (s, i) = (op.strategy.as_str(), &op.instrument);
        priced_by_instrument
            .entry(i.clone())
            .or_insert_with(|| op.clone());
        let state = match state_cache.get(i) {
            Some(s) => *s,
            None => {
                let mut st = tx.roll_state(i)?;
                // pysystemtrade sets Force / Force_Outright / Close to Passive once the priced
                // position is 0 (§4.5); the roll_states table belongs to roll-contracts, so the
                // run uses Passive without writing it back.
                if matches!(
                    st,
                    RollState::Force | RollState::ForceOutright | RollState::Close
                ) && let Ok(pc) = op.reference_contract.parse::<ContractDate>()
                    && tx.contract_position(i, pc)? == 0
                {
                    tx.audit(
                        run_id,
                        "",
                        i.as_str(),
                        "roll_state_passive",
                        &format!("{st} with priced position 0: trading as Passive"),
                    )?;
                    st = RollState::Passive;
                }
                state_cache.insert(i.clone(), st);
                st
            }
        };
        let position = tx.strategy_position(s, i)?;
        let bound = opts.bounds.max_contracts(i.as_str());
        let checked = logic::checked_buffered_trade(position, op.lower, op.upper, bound);
        let buffered = checked.as_ref().copied().unwrap_or(0);
        let mut line = InstrumentLine {
            strategy: s.to_string(),
            instrument: i.as_str().to_string(),
            roll_state: state.to_string(),
            position,
            lower: op.lower,
            upper: op.upper,
            buffered_trade: buffered,
            trade: 0,
            status: "no-trade".into(),
            detail: String::new(),
        };
        if let Err(why) = checked {
            refuse(tx, opts, report, line, why)?;
            continue;
        }
        if let Some(why) = tx.lock_reason(i)? {
            line.status = "locked".into();
            line.detail = why.clone();
            tx.audit(
                run_id,
                s,
                i.as_str(),
                "skipped_locked",
                &format!("trade {buffered} not placed: {why}"),
            )?;
            report.lines.push(line);
            continue;
        }
        let remainder = tx.unfilled_instrument_remainder(s, i)?;
        let sums = || -> std::result::Result<(i64, i64), String> {
            let t = buffered
                .checked_sub(remainder)
                .ok_or_else(|| format!("trade {buffered} less {remainder} working overflows"))?;
            let e = logic::checked_sum("position with working orders", position, remainder)?;
            Ok((t, e))
        };
        let (mut trade, eff) = match sums() {
            Ok(x) => x,
            Err(why) => {
                refuse(tx, opts, report, line, why)?;
                continue;
            }
        };
        let mut notes: Vec<String> = Vec::new();
        if remainder != 0 {
            notes.push(format!("{remainder} still working"));
        }
        // Overrides (§4.6); No_Open adds a temporary reduce-only override (§4.8).
        let mut ovs = tx.overrides_for(s, i)?;
        if state == RollState::NoOpen {
            ovs.push(Override::ReduceOnly);
        }
        let ov = Override::combine(&ovs);
        let t = ov.apply(eff, trade);
        if t != trade {
            let d = format!("override {ov}: trade {trade} -> {t}");
            tx.audit(run_id, s, i.as_str(), "override", &d)?;
            notes.push(d);
            trade = t;
        }
        // Position limits (§4.7): strategy limit on the strategy position, instrument limit on the
        // instrument position; the most conservative result.
        let mut limited = Vec::new();
        if let Some(l) = tx.position_limit(s, i)? {
            limited.push(logic::apply_position_limit(eff, trade, l));
        }
        if let Some(l) = tx.position_limit("", i)? {
            let inst = tx.instrument_position(i)? + tx.unfilled_instrument_remainder_all(i)?;
            limited.push(logic::apply_position_limit(inst, trade, l));
        }
        if !limited.is_empty() {
            let t = logic::most_conservative(&limited);
            if t != trade {
                let d = format!("position limit: trade {trade} -> {t}");
                tx.audit(run_id, s, i.as_str(), "position_limit", &d)?;
                notes.push(d);
                trade = t;
            }
        }
        // Trade limits (§4.7).
        let caps = trade_capacities(tx, s, i, opts.date)?;
        let t = logic::apply_trade_limits(trade, &caps);
        if t != trade {
            let d = format!("trade limit: trade {trade} -> {t}");
            tx.audit(run_id, s, i.as_str(), "trade_limit", &d)?;
            notes.push(d);
            trade = t;
        }
        line.trade = trade;
        line.detail = notes.join("; ");
        if trade != 0 {
            let inst = logic::checked_sum(
                "instrument position with working orders",
                tx.instrument_position(i)?,
                tx.unfilled_instrument_remainder_all(i)?,
            );
            let bounded = |what: &str,
                           from: std::result::Result<i64, String>|
             -> std::result::Result<(), String> {
                let from = from?;
                let to = logic::checked_sum(what, from, trade)?;
                // A trade that only reduces a position beyond the bound is let through.
                if to.signum() * from.signum() >= 0 && to.unsigned_abs() < from.unsigned_abs() {
                    return Ok(());
                }
                logic::check_position_bound(what, to, bound)
            };
            if let Err(why) = bounded("strategy position", Ok(eff))
                .and_then(|()| bounded("instrument position", inst))
            {
                line.trade = 0;
                refuse(tx, opts, report, line, why)?;
                continue;
            }
        }
        if trade == 0 {
            line.status = if buffered - remainder != 0 {
                "blocked"
            } else {
                "no-trade"
            }
            .into();
            report.lines.push(line);
            continue;
        }
        let priced = match op.reference_contract.parse::<ContractDate>() {
            Ok(c) => c,
            Err(e) => {
                line.status = "error".into();
                line.detail = format!("reference contract: {e}");
                tx.audit(run_id, s, i.as_str(), "error", &line.detail)?;
                report.lines.push(line);
                continue;
            }
        };
        let pp = tx.contract_position(i, priced)?;
        let fwd = forward_if_needed(state, i, forward);
        match logic::spawn_legs(state, trade, priced, fwd.map(|f| f.forward), pp) {
            Err(e) => {
                line.status = "error".into();
                line.detail = e.clone();
                tx.audit(run_id, s, i.as_str(), "error", &e)?;
            }
            Ok(Spawn::Hold(why)) => {
                line.status = "held".into();
                line.detail = why.clone();
                tx.audit(
                    run_id,
                    s,
                    i.as_str(),
                    "held_by_roll_state",
                    &format!("trade {trade}: {why}"),
                )?;
            }
            Ok(Spawn::Legs(legs)) => {
                let legs: Vec<NewLeg> = legs
                    .iter()
                    .map(|l| NewLeg {
                        contract: l.contract,
                        trade: l.trade,
                        reference_price: Some(leg_reference(op, priced, l.contract, fwd)),
                    })
                    .collect();
                insert_family(
                    tx,
                    broker_name,
                    s,
                    i,
                    trade,
                    "best",
                    false,
                    false,
                    op,
                    &legs,
                    opts.date,
                )?;
                line.status = "placed".into();
            }
        }
        report.lines.push(line);
    }
    // Force-roll orders (§4.5 generate_force_roll_orders), once per instrument.
    for (i, op) in &priced_by_instrument {
        let state = state_cache.get(i).copied().unwrap_or_default();
        if !matches!(
            state,
            RollState::Force | RollState::ForceOutright | RollState::Close
        ) {
            continue;
        }
        if tx.lock_reason(i)?.is_some() || tx.has_active_contract_orders(i)? {
            continue;
        }
        let Ok(priced) = op.reference_contract.parse::<ContractDate>() else {
            continue;
        };
        let pp = tx.contract_position(i, priced)?;
        if let Err(why) = logic::check_position_bound(
            "priced contract position",
            pp,
            opts.bounds.max_contracts(i.as_str()),
        ) {
            let line = InstrumentLine {
                strategy: ROLL_PSEUDO_STRATEGY.to_string(),
                instrument: i.as_str().to_string(),
                roll_state: state.to_string(),
                position: pp,
                lower: f64::NAN,
                upper: f64::NAN,
                buffered_trade: 0,
                trade: 0,
                status: String::new(),
                detail: String::new(),
            };
            refuse(tx, opts, report, line, why)?;
            continue;
        }
        let fwd = forward_if_needed(state, i, forward);
        let plan = match logic::force_roll_plan(state, priced, fwd.map(|f| f.forward), pp) {
            Ok(Some(p)) => p,
            Ok(None) => continue,
            Err(e) => {
                tx.audit(run_id, ROLL_PSEUDO_STRATEGY, i.as_str(), "error", &e)?;
                continue;
            }
        };
        let (strategy, order_type) = if state == RollState::Close {
            let largest = tx.largest_strategy_position(i)?;
            (largest.unwrap_or_else(|| op.strategy.clone()), "best")
        } else {
            (ROLL_PSEUDO_STRATEGY.to_string(), "Zero-roll-order")
        };
        // Trade limits cap all legs proportionally (the legs have equal sizes).
        let caps = trade_capacities(tx, &strategy, i, opts.date)?;
        let size = logic::apply_trade_limits(pp.abs(), &caps);
        if size != pp.abs() {
            tx.audit(
                run_id,
                &strategy,
                i.as_str(),
                "trade_limit",
                &format!("roll order {} -> {size} contracts", pp.abs()),
            )?;
        }
        if size == 0 {
            continue;
        }
        let scale = |t: i64| t.signum() * size;
        let legs: Vec<NewLeg> = plan
            .legs
            .iter()
            .map(|l| NewLeg {
                contract: l.contract,
                trade: scale(l.trade),
                reference_price: Some(leg_reference(op, priced, l.contract, fwd)),
            })
            .collect();
        let itrade = if plan.instrument_trade == 0 {
            0
        } else {
            scale(plan.instrument_trade)
        };
        insert_family(
            tx,
            broker_name,
            &strategy,
            i,
            itrade,
            order_type,
            true,
            plan.spread,
            op,
            &legs,
            opts.date,
        )?;
        tx.audit(
            run_id,
            &strategy,
            i.as_str(),
            "roll_order",
            &format!(
                "{state}: {}",
                legs.iter()
                    .map(|l| format!("{} {:+}", l.contract.id(), l.trade))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )?;
        report.lines.push(InstrumentLine {
            strategy: strategy.clone(),
            instrument: i.as_str().to_string(),
            roll_state: state.to_string(),
            position: pp,
            lower: f64::NAN,
            upper: f64::NAN,
            buffered_trade: 0,
            trade: itrade,
            status: if opts.dry_run { "dry-run" } else { "placed" }.into(),
            detail: format!(
                "roll order ({})",
                if plan.spread { "spread" } else { "outright" }
            ),
        });
    }
    Ok(())
}

/// Refuses an instrument's order beyond the sanity bound: the line says why, the decision is
/// audited and the instrument locked (source `sanity`, cleared by hand).
fn refuse(
    tx: &StateTx<'_>,
    opts: &RunOptions,
    report: &mut RunReport,
    mut line: InstrumentLine,
    why: String,
) -> Result<()> {
    let i = InstrumentCode::new(&line.instrument)
        .map_err(|e| EngineError::Arithmetic(e.to_string()))?;
    let reason = format!("sanity bound: {why}");
    tx.audit(
        &opts.run_id,
        &line.strategy,
        &line.instrument,
        "sanity_bound",
        &why,
    )?;
    if tx.add_lock(&i, LockSource::Sanity, &reason, &now_text())? {
        tx.audit(&opts.run_id, "", &line.instrument, "lock", &reason)?;
        report.locked.push(line.instrument.clone());
    }
    line.status = "refused".into();
    line.trade = 0;
    line.detail = format!("{why}; {} locked", line.instrument);
    report.lines.push(line);
    Ok(())
}

fn forward_if_needed(
    state: RollState,
    instrument: &InstrumentCode,
    forward: &dyn Fn(&str) -> Option<ForwardInfo>,
) -> Option<ForwardInfo> {
    if matches!(
        state,
        RollState::Passive | RollState::Force | RollState::ForceOutright
    ) {
        forward(instrument.as_str())
    } else {
        None
    }
}

fn submit_pending(
    db: &mut StateWriter,
    broker: &mut dyn Broker,
    opts: &RunOptions,
    acks: &mut BTreeMap<String, f64>,
    touched: &mut BTreeSet<String>,
    report: &mut RunReport,
) -> Result<()> {
    let rows: Vec<BrokerOrderRow> = db
        .open_broker_orders()?
        .into_iter()
        .filter(|r| r.status == "pending_submit")
        .collect();
    let account = broker.account().to_string();
    for row in rows {
        touched.insert(row.client_order_id.clone());
        // A locked instrument sends nothing: an order of an earlier run stays pending (its
        // remainder keeps new orders from repeating it) until the lock is cleared.
        if let Some(why) = db.lock_reason(&row.instrument)? {
            let msg = format!("not sent: {} is locked ({why})", row.instrument.as_str());
            tracing::warn!(client_order_id = %row.client_order_id, instrument = %row.instrument, "{msg}");
            db.transaction(|tx| {
                tx.audit(
                    &opts.run_id,
                    &row.strategy,
                    row.instrument.as_str(),
                    "held_locked",
                    &format!("{} {:+}: {msg}", row.client_order_id, row.trade),
                )
            })?;
            report.held.insert(row.client_order_id.clone(), msg);
            continue;
        }
        // Commit the attempt before the request leaves: after a crash the next run looks it up.
        db.transaction(|tx| tx.record_submission(row.id, &now_text(), &account))?;
        let t0 = Instant::now();
        let st = broker.submit(&request_of(&row))?;
        acks.insert(
            row.client_order_id.clone(),
            t0.elapsed().as_secs_f64() * 1e3,
        );
        report.submitted += 1;
        apply_status(db, &row, &st, opts.date)?;
        if st.state == crate::broker::OrderState::Rejected {
            db.transaction(|tx| {
                tx.audit(
                    &opts.run_id,
                    &row.strategy,
                    row.instrument.as_str(),
                    "rejected",
                    &format!(
                        "{} {}: {}",
                        row.client_order_id,
                        row.trade,
                        st.message.as_deref().unwrap_or("")
                    ),
                )
            })?;
        }
    }
    Ok(())
}

fn poll(
    db: &mut StateWriter,
    broker: &mut dyn Broker,
    opts: &RunOptions,
    touched: &mut BTreeSet<String>,
) -> Result<()> {
    let start = Instant::now();
    loop {
        let open: Vec<BrokerOrderRow> = db
            .open_broker_orders()?
            .into_iter()
            .filter(|r| r.status == "submitted" && touched.contains(&r.client_order_id))
            .collect();
        if open.is_empty() || start.elapsed() >= opts.wait {
            return Ok(());
        }
        for row in &open {
            let st = match &row.broker_order_id {
                Some(id) if !id.is_empty() => match status_or_lookup(broker, id, row)? {
                    Some(st) => st,
                    None => continue,
                },
                _ => match broker.find_by_client_id(&request_of(row))? {
                    Some(st) => st,
                    None => continue,
                },
            };
            apply_status(db, row, &st, opts.date)?;
        }
        std::thread::sleep(
            opts.poll_interval
                .min(opts.wait.saturating_sub(start.elapsed())),
        );
    }
}

/// The status of an acknowledged order; when the broker cannot give it (IB answers only for orders
/// of the current session, older ones → 503), the order is looked up by client order id instead.
fn status_or_lookup(
    broker: &mut dyn Broker,
    broker_order_id: &str,
    row: &BrokerOrderRow,
) -> Result<Option<OrderStatus>> {
    match broker.status(broker_order_id, &request_of(row)) {
        Ok(st) => Ok(Some(st)),
        Err(BrokerError::Protocol(m)) => {
            tracing::warn!(client_order_id = %row.client_order_id, "status unavailable ({m}); looking the order up");
            Ok(broker.find_by_client_id(&request_of(row))?)
        }
        Err(e) => Err(e.into()),
    }
}

/// Records the broker's view of one order: new fills (fills row, broker/contract/instrument order
/// fills, contract and strategy positions, trade-limit counters) and the status, in one transaction.
fn apply_status(
    db: &mut StateWriter,
    row: &BrokerOrderRow,
    st: &OrderStatus,
    date: NaiveDate,
) -> Result<()> {
    let at = now_text();
    db.transaction(|tx| -> Result<()> {
        let old = tx.broker_order_fill(row.id)?;
        let (old_fill, old_price) = (old.fill, old.filled_price);
        let overflow = |what: &str| {
            EngineError::Arithmetic(format!(
                "{} ({}): {what} overflows (broker reports a fill of {})",
                row.client_order_id,
                row.instrument.as_str(),
                st.filled
            ))
        };
        let delta = st
            .filled
            .checked_sub(old_fill)
            .ok_or_else(|| overflow("the new fill"))?;
        if delta != 0 {
            let new_avg = st
                .average_price
                .or(old_price)
                .or(row.reference_price)
                .unwrap_or(f64::NAN);
            let dp = logic::incremental_fill_price(
                old_fill,
                old_price.unwrap_or(0.0),
                st.filled,
                new_avg,
            );
            let fill_time = st.last_fill_time.clone().unwrap_or_else(|| at.clone());
            tx.insert_fill(&NewFill {
                client_order_id: &row.client_order_id,
                broker_order_id: &st.broker_order_id,
                strategy: &row.strategy,
                instrument: &row.instrument,
                contract: row.contract,
                quantity: delta,
                price: dp,
                fill_datetime: &fill_time,
                recorded_at: &at,
            })?;
            tx.set_broker_order_fill(row.id, st.filled, new_avg, &fill_time, st.commission)?;
            let co = tx.contract_order_fill(row.contract_order_id)?;
            tx.set_contract_order_fill(
                row.contract_order_id,
                co.fill
                    .fill
                    .checked_add(delta)
                    .ok_or_else(|| overflow("the contract order fill"))?,
                logic::average_fill_price(co.fill.fill, co.fill.filled_price, delta, dp),
                &fill_time,
            )?;
            tx.add_contract_position(&row.instrument, row.contract, delta, &at)?;
            let io = tx.instrument_order_fill(co.instrument_order_id)?;
            // Zero-trade roll orders move contract positions only (§4.5 process_fills_stack).
            if io.trade != 0 {
                tx.set_instrument_order_fill(
                    co.instrument_order_id,
                    io.fill
                        .fill
                        .checked_add(delta)
                        .ok_or_else(|| overflow("the instrument order fill"))?,
                    logic::average_fill_price(io.fill.fill, io.fill.filled_price, delta, dp),
                    &fill_time,
                )?;
                tx.add_strategy_position(&io.strategy, &row.instrument, delta, &at)?;
            }
            // Trade-limit counters count executed size (§4.7), resetting past their period.
            let today = date.format("%Y-%m-%d").to_string();
            for l in tx.trade_limits_for(&row.strategy, &row.instrument)? {
                let reset = NaiveDate::parse_from_str(&l.last_reset, "%Y-%m-%d").is_ok_and(|d| {
                    logic::trade_limit_needs_reset((date - d).num_days(), l.period_days)
                });
                let size = delta
                    .checked_abs()
                    .ok_or_else(|| overflow("the traded size"))?;
                let (traded, last_reset) = if reset {
                    (size, today.clone())
                } else {
                    (
                        l.traded
                            .checked_add(size)
                            .ok_or_else(|| overflow("the trade-limit counter"))?,
                        l.last_reset.clone(),
                    )
                };
                tx.set_trade_limit_count(&l, traded, &last_reset)?;
            }
        }
        let broker_id = (!st.broker_order_id.is_empty()).then_some(st.broker_order_id.as_str());
        tx.set_broker_order_status(
            row.id,
            st.state.as_str(),
            broker_id,
            st.message.as_deref(),
            st.state.is_terminal(),
            &at,
        )?;
        Ok(())
    })
}

fn pending_order_lines(db: &StateReader) -> Result<Vec<OrderLine>> {
    Ok(db
        .open_broker_orders()?
        .into_iter()
        .filter(|r| r.status == "pending_submit")
        .map(|r| OrderLine {
            client_order_id: r.client_order_id,
            strategy: r.strategy,
            instrument: r.instrument.as_str().to_string(),
            contract: r.contract.id().to_string(),
            trade: r.trade,
            fill: r.fill,
            filled_price: r.filled_price,
            status: "dry-run".into(),
            broker_order_id: None,
            ack_ms: None,
            message: None,
        })
        .collect())
}

fn order_lines(
    db: &StateReader,
    touched: &BTreeSet<String>,
    acks: &BTreeMap<String, f64>,
) -> Result<Vec<OrderLine>> {
    let mut out = Vec::new();
    for history in [false, true] {
        for r in db.broker_orders(history)? {
            if touched.contains(&r.client_order_id) {
                out.push(OrderLine {
                    ack_ms: acks.get(&r.client_order_id).copied(),
                    client_order_id: r.client_order_id,
                    strategy: r.strategy,
                    instrument: r.instrument.as_str().to_string(),
                    contract: r.contract.id().to_string(),
                    trade: r.trade,
                    fill: r.fill,
                    filled_price: r.filled_price,
                    status: r.status,
                    broker_order_id: r.broker_order_id,
                    message: r.message,
                });
            }
        }
    }
    out.sort_by(|a, b| a.client_order_id.cmp(&b.client_order_id));
    Ok(out)
}
