//! Phase 3, **generate**: instrument orders from the latest optimal positions (buffer rule, minus
//! the unfilled remainder of working orders), overrides, position limits and trade limits, locked
//! instruments skipped, orders beyond the sanity bound refused; split into contract orders by roll
//! state. Each broker order gets its deterministic client order id and is stored (status
//! `pending_submit`) before anything is sent.

use super::EngineError;
use super::roll_orders::force_roll_orders;
use super::{ForwardInfo, InstrumentLine, Result, RunOptions, RunReport, selected};
use crate::logic::{self, OrderLogicError, Override, Spawn};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use systrade_model::{ContractDate, InstrumentCode, RollState};
use systrade_store::state::controls::LockSource;
use systrade_store::state::optimal::OptimalPosition;
use systrade_store::state::orders::{NewBrokerOrder, NewContractOrder, NewInstrumentOrder};
use systrade_store::{StateReader, StateTx, now_text};

/// Remaining trade-limit capacities for a strategy's trade in an instrument (counters past their
/// period count as reset).
pub(super) fn trade_capacities(
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

pub(super) struct NewLeg {
    pub(super) contract: ContractDate,
    pub(super) trade: i64,
    pub(super) reference_price: Option<f64>,
}

/// Inserts an instrument order with its contract orders and broker orders (status
/// `pending_submit`, deterministic client order ids). Returns the instrument order id.
#[allow(clippy::too_many_arguments)]
pub(super) fn insert_family(
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
    let prefix = tx.client_order_prefix()?;
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
        let coid = logic::client_order_id(&prefix, strategy, instrument.as_str(), &day, seq);
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

pub(super) fn leg_reference(
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

pub(super) fn generate(
    tx: &StateTx<'_>,
    broker_name: &str,
    forward: &dyn Fn(&str) -> Option<ForwardInfo>,
    opts: &RunOptions,
    report: &mut RunReport,
) -> Result<()> {
    super::config_overrides::sync(tx, opts, report)?;
    let ops: Vec<OptimalPosition> = tx
        .latest_optimal_positions()?
        .into_iter()
        .filter(|o| selected(opts, &o.strategy, o.instrument.as_str()))
        .collect();
    let mut states: BTreeMap<InstrumentCode, RollState> = BTreeMap::new();
    let mut priced_by_instrument: BTreeMap<InstrumentCode, OptimalPosition> = BTreeMap::new();
    for op in &ops {
        priced_by_instrument
            .entry(op.instrument.clone())
            .or_insert_with(|| op.clone());
        let state = match states.get(&op.instrument) {
            Some(s) => *s,
            None => {
                let st = effective_roll_state(tx, opts, op)?;
                states.insert(op.instrument.clone(), st);
                st
            }
        };
        strategy_order(tx, broker_name, forward, opts, report, op, state)?;
    }
    force_roll_orders(
        tx,
        broker_name,
        forward,
        opts,
        report,
        &states,
        &priced_by_instrument,
    )
}

/// The roll state an instrument is traded in this run: its stored state, except that
/// pysystemtrade sets Force / Force_Outright / Close to Passive once the priced position is 0
/// (§4.5); the roll_states table belongs to roll-contracts, so the run uses Passive without
/// writing it back (audited).
fn effective_roll_state(
    tx: &StateTx<'_>,
    opts: &RunOptions,
    op: &OptimalPosition,
) -> Result<RollState> {
    let (run_id, i) = (opts.run_id.as_str(), &op.instrument);
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
    Ok(st)
}

/// The order of one strategy in one instrument: the buffer-rule trade less working orders, then
/// overrides, position limits, trade limits and the sanity bound, split into contract legs by
/// roll state. Pushes the instrument's line (and stores the order family) or refuses it.
fn strategy_order(
    tx: &StateTx<'_>,
    broker_name: &str,
    forward: &dyn Fn(&str) -> Option<ForwardInfo>,
    opts: &RunOptions,
    report: &mut RunReport,
    op: &OptimalPosition,
    state: RollState,
) -> Result<()> {
    let run_id = opts.run_id.as_str();
    let (s, i) = (op.strategy.as_str(), &op.instrument);
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
        return Ok(());
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
        return Ok(());
    }
    let remainder = tx.unfilled_instrument_remainder(s, i)?;
    let sums = || -> std::result::Result<(i64, i64), OrderLogicError> {
        let t = buffered
            .checked_sub(remainder)
            .ok_or(OrderLogicError::WorkingOverflow {
                trade: buffered,
                working: remainder,
            })?;
        let e = logic::checked_sum("position with working orders", position, remainder)?;
        Ok((t, e))
    };
    let (mut trade, eff) = match sums() {
        Ok(x) => x,
        Err(why) => {
            refuse(tx, opts, report, line, why)?;
            return Ok(());
        }
    };
    let mut notes: Vec<String> = Vec::new();
    if remainder != 0 {
        notes.push(format!("{remainder} still working"));
    }
    // Overrides (§4.6): the manual ones and the config's (pysystemtrade multiplies the database
    // and config overrides); No_Open adds a temporary reduce-only override (§4.8).
    let mut ovs = tx.overrides_for(s, i)?;
    let configured = tx.config_override_for(i)?;
    if let Some(c) = &configured {
        ovs.push(c.value);
    }
    if state == RollState::NoOpen {
        ovs.push(Override::ReduceOnly);
    }
    let ov = Override::combine(&ovs);
    let t = ov.apply(eff, trade);
    let from_config = configured
        .as_ref()
        .map(|c| format!(" (config: {} {})", c.value, c.reason))
        .unwrap_or_default();
    if t != trade {
        let d = format!("override {ov}{from_config}: trade {trade} -> {t}");
        tx.audit(run_id, s, i.as_str(), "override", &d)?;
        notes.push(d);
        trade = t;
    } else if let Some(c) = &configured {
        notes.push(format!("config override {}: {}", c.value, c.reason));
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
                       from: std::result::Result<i64, OrderLogicError>|
         -> std::result::Result<(), OrderLogicError> {
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
            return Ok(());
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
        return Ok(());
    }
    let priced = match op.reference_contract.parse::<ContractDate>() {
        Ok(c) => c,
        Err(e) => {
            line.status = "error".into();
            line.detail = format!("reference contract: {e}");
            tx.audit(run_id, s, i.as_str(), "error", &line.detail)?;
            report.lines.push(line);
            return Ok(());
        }
    };
    let pp = tx.contract_position(i, priced)?;
    let fwd = forward_if_needed(state, i, forward);
    match logic::spawn_legs(state, trade, priced, fwd.map(|f| f.forward), pp) {
        Err(e) => {
            line.status = "error".into();
            line.detail = e.to_string();
            tx.audit(run_id, s, i.as_str(), "error", &line.detail)?;
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
    Ok(())
}

/// Refuses an instrument's order beyond the sanity bound: the line says why, the decision is
/// audited and the instrument locked (source `sanity`, cleared by hand).
pub(super) fn refuse(
    tx: &StateTx<'_>,
    opts: &RunOptions,
    report: &mut RunReport,
    mut line: InstrumentLine,
    why: OrderLogicError,
) -> Result<()> {
    let i = InstrumentCode::new(&line.instrument)
        .map_err(|e| EngineError::Arithmetic(e.to_string()))?;
    let reason = format!("sanity bound: {why}");
    tx.audit(
        &opts.run_id,
        &line.strategy,
        &line.instrument,
        "sanity_bound",
        &why.to_string(),
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

pub(super) fn forward_if_needed(
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
