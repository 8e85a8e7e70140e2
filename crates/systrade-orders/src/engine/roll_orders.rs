//! Phase 3 (continued): force-roll orders (§4.5 `generate_force_roll_orders`), once per instrument
//! in Force, Force_Outright or Close with a priced position.

use super::generate::{
    NewLeg, forward_if_needed, insert_family, leg_reference, refuse, trade_capacities,
};
use super::{ForwardInfo, InstrumentLine, Result, RunOptions, RunReport};
use crate::ROLL_PSEUDO_STRATEGY;
use crate::logic;
use std::collections::BTreeMap;
use systrade_model::{ContractDate, InstrumentCode, RollState};
use systrade_store::StateTx;
use systrade_store::state::optimal::OptimalPosition;

/// Adds the force-roll order of every instrument whose (effective) roll state in `states` is Force,
/// Force_Outright or Close, that is not locked and has no active contract orders; the priced
/// contract and reference price come from `priced_by_instrument`.
pub(super) fn force_roll_orders(
    tx: &StateTx<'_>,
    broker_name: &str,
    forward: &dyn Fn(&str) -> Option<ForwardInfo>,
    opts: &RunOptions,
    report: &mut RunReport,
    states: &BTreeMap<InstrumentCode, RollState>,
    priced_by_instrument: &BTreeMap<InstrumentCode, OptimalPosition>,
) -> Result<()> {
    let run_id = opts.run_id.as_str();
    // Force-roll orders (§4.5 generate_force_roll_orders), once per instrument.
    for (i, op) in priced_by_instrument {
        let state = states.get(i).copied().unwrap_or_default();
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
                tx.audit(
                    run_id,
                    ROLL_PSEUDO_STRATEGY,
                    i.as_str(),
                    "error",
                    &e.to_string(),
                )?;
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
