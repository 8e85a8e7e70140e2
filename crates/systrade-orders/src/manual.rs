//! Going live (issue 14): seeding our positions from the broker's and recording trades done
//! outside the system, both audited.
//!
//! - [`position_differences`] / [`adopt`]: `place-orders positions adopt` compares the broker's
//!   contract positions (or a CSV of them) with ours and, once confirmed, records the broker's as
//!   ours: each contract position set to the broker's, and the strategy position of the chosen
//!   strategy moved so that the instrument's strategy positions add up to its contract positions
//!   (pysystemtrade's go-live path does the same with balance trades). One audit row per contract
//!   (`adopt`: who, what from what, the source).
//! - [`record_manual_trade`]: `place-orders trades add` — a fill done outside the system (a
//!   pysystemtrade "balance trade") as one complete order family (instrument, contract and broker
//!   order, broker `manual`, order type `balance`, the fill price as reference price so its
//!   slippage is 0) with its fill: positions move, it shows in `orders --history` and `report
//!   trades`, and an audit row (`manual_trade`) says who and why. The same rules as the order run
//!   apply: whole contracts, a finite price, checked arithmetic, and the sanity bound on the trade
//!   and on the resulting strategy, contract and instrument positions.

use crate::logic;
use std::collections::{BTreeMap, BTreeSet};
use systrade_model::{ContractDate, InstrumentCode};
use systrade_store::state::orders::{
    NewBrokerOrder, NewContractOrder, NewFill, NewInstrumentOrder,
};
use systrade_store::{StateReader, StateWriter, StoreError, now_text};

/// Errors of the going-live commands.
#[derive(Debug, thiserror::Error)]
pub enum ManualError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The trade is not a valid trade (zero quantity, price not finite, …).
    #[error("{0}")]
    Invalid(String),
    /// The trade or a resulting position is beyond the sanity bound.
    #[error("{0}")]
    Sanity(String),
    /// Position arithmetic would overflow.
    #[error("{0}")]
    Arithmetic(String),
}

type Result<T> = std::result::Result<T, ManualError>;

/// One contract whose position the broker sees differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionDifference {
    pub instrument: InstrumentCode,
    pub contract: ContractDate,
    pub ours: i64,
    pub broker: i64,
}

/// The contracts where `theirs` (the broker's positions, summed per contract) differ from our
/// contract positions, over the union of both, limited to `instruments` when given; by instrument
/// and contract.
pub fn position_differences(
    db: &StateReader,
    theirs: &[(InstrumentCode, ContractDate, i64)],
    instruments: Option<&[String]>,
) -> Result<Vec<PositionDifference>> {
    let selected =
        |i: &InstrumentCode| instruments.is_none_or(|s| s.iter().any(|x| x == i.as_str()));
    let mut both: BTreeMap<(InstrumentCode, ContractDate), (i64, i64)> = BTreeMap::new();
    for c in db.contract_positions()? {
        if selected(&c.instrument) {
            both.entry((c.instrument, c.contract)).or_default().0 = c.position;
        }
    }
    for (i, c, p) in theirs {
        if selected(i) {
            let e = both.entry((i.clone(), *c)).or_default();
            e.1 = e.1.checked_add(*p).ok_or_else(|| {
                ManualError::Arithmetic(format!("{i} {c}: broker positions overflow when summed"))
            })?;
        }
    }
    Ok(both
        .into_iter()
        .filter(|(_, (ours, broker))| ours != broker)
        .map(
            |((instrument, contract), (ours, broker))| PositionDifference {
                instrument,
                contract,
                ours,
                broker,
            },
        )
        .collect())
}

/// Records the broker's positions as ours (see the module documentation), in one transaction:
/// contract positions become the broker's; `strategy`'s position in each instrument moves by what
/// the instrument's strategy positions lack. `source` and `who` go into the audit rows.
pub fn adopt(
    db: &mut StateWriter,
    diffs: &[PositionDifference],
    strategy: &str,
    run_id: &str,
    source: &str,
    who: &str,
) -> Result<()> {
    let at = now_text();
    db.transaction(|tx| -> Result<()> {
        let mut instruments = BTreeSet::new();
        for d in diffs {
            let delta = d.broker.checked_sub(d.ours).ok_or_else(|| {
                ManualError::Arithmetic(format!(
                    "{} {}: {} − {} overflows",
                    d.instrument, d.contract, d.broker, d.ours
                ))
            })?;
            tx.add_contract_position(&d.instrument, d.contract, delta, &at)?;
            tx.audit(
                run_id,
                strategy,
                d.instrument.as_str(),
                "adopt",
                &format!(
                    "contract {}: ours {} -> {} from {source}, by {who}",
                    d.contract, d.ours, d.broker
                ),
            )?;
            instruments.insert(d.instrument.clone());
        }
        for i in &instruments {
            let contracts: i64 = tx
                .contract_positions()?
                .iter()
                .filter(|c| &c.instrument == i)
                .try_fold(0i64, |s, c| s.checked_add(c.position))
                .ok_or_else(|| {
                    ManualError::Arithmetic(format!("{i}: contract positions overflow"))
                })?;
            let strategies = tx.instrument_position(i)?;
            let delta = contracts.checked_sub(strategies).ok_or_else(|| {
                ManualError::Arithmetic(format!("{i}: strategy positions overflow"))
            })?;
            if delta != 0 {
                tx.add_strategy_position(strategy, i, delta, &at)?;
                tx.audit(
                    run_id,
                    strategy,
                    i.as_str(),
                    "adopt",
                    &format!(
                        "strategy {strategy}: {delta:+} so that strategy positions add up to the \
                         contract positions ({contracts}), by {who}"
                    ),
                )?;
            }
        }
        Ok(())
    })
}

/// A trade done outside the system.
#[derive(Debug, Clone, PartialEq)]
pub struct ManualTrade {
    pub strategy: String,
    pub instrument: InstrumentCode,
    pub contract: ContractDate,
    /// Signed: positive bought.
    pub quantity: i64,
    /// In our units (the instrument's stored prices).
    pub price: f64,
    pub reason: String,
    /// `YYYY-MM-DD HH:MM:SS` or RFC 3339; default now.
    pub fill_datetime: Option<String>,
}

/// What [`record_manual_trade`] recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedTrade {
    pub client_order_id: String,
    pub instrument_order_id: i64,
    pub strategy_position: i64,
    pub contract_position: i64,
}

/// Records a manual trade (see the module documentation); `max_contracts` is the instrument's
/// sanity bound.
pub fn record_manual_trade(
    db: &mut StateWriter,
    trade: &ManualTrade,
    max_contracts: i64,
    run_id: &str,
    who: &str,
) -> Result<RecordedTrade> {
    let t = trade;
    let i = &t.instrument;
    if t.quantity == 0 {
        return Err(ManualError::Invalid(format!(
            "{i} {}: the quantity must not be 0",
            t.contract
        )));
    }
    if !t.price.is_finite() {
        return Err(ManualError::Invalid(format!(
            "{i} {}: the price must be a finite number, not {}",
            t.contract, t.price
        )));
    }
    if t.strategy.trim().is_empty() {
        return Err(ManualError::Invalid(
            "the strategy must not be empty".into(),
        ));
    }
    let size = t
        .quantity
        .checked_abs()
        .ok_or_else(|| ManualError::Arithmetic(format!("{i}: |{}| overflows", t.quantity)))?;
    if size > max_contracts {
        return Err(ManualError::Sanity(format!(
            "{i}: a trade of {} contracts is beyond the sanity bound of {max_contracts} \
             (--max-contracts)",
            t.quantity
        )));
    }
    let at = now_text();
    let fill_time = t.fill_datetime.clone().unwrap_or_else(|| at.clone());
    db.transaction(|tx| -> Result<RecordedTrade> {
        let after = |from: i64, what: &str| -> Result<i64> {
            let to = from.checked_add(t.quantity).ok_or_else(|| {
                ManualError::Arithmetic(format!("{i}: {what} {from} + {} overflows", t.quantity))
            })?;
            if to.checked_abs().is_none_or(|a| a > max_contracts) {
                return Err(ManualError::Sanity(format!(
                    "{i}: the {what} would be {to} contracts, beyond the sanity bound of \
                     {max_contracts} (--max-contracts)"
                )));
            }
            Ok(to)
        };
        let strategy_position = after(tx.strategy_position(&t.strategy, i)?, "strategy position")?;
        let contract_position = after(tx.contract_position(i, t.contract)?, "contract position")?;
        after(tx.instrument_position(i)?, "instrument position")?;
        let day = fill_time.get(..10).unwrap_or("").replace('-', "");
        let day = if day.len() == 8 && day.bytes().all(|b| b.is_ascii_digit()) {
            day
        } else {
            at[..10].replace('-', "")
        };
        let contract_id = t.contract.id().to_string();
        let io = tx.insert_instrument_order(&NewInstrumentOrder {
            strategy: &t.strategy,
            instrument: i,
            trade: t.quantity,
            order_type: "balance",
            reference_price: t.price,
            reference_contract: &contract_id,
            reference_datetime: &fill_time,
            generated_datetime: &at,
            roll_order: false,
        })?;
        let co = tx.insert_contract_order(&NewContractOrder {
            instrument_order_id: io,
            strategy: &t.strategy,
            instrument: i,
            contract: t.contract,
            trade: t.quantity,
            reference_price: Some(t.price),
            roll_order: false,
            spread_group: None,
            generated_datetime: &at,
        })?;
        let prefix = tx.client_order_prefix()?;
        let seq = tx.next_client_order_sequence(&t.strategy, i, &day)?;
        let coid = format!(
            "{}-manual",
            logic::client_order_id(&prefix, &t.strategy, i.as_str(), &day, seq)
        );
        let bo = tx.insert_broker_order(&NewBrokerOrder {
            contract_order_id: co,
            strategy: &t.strategy,
            instrument: i,
            contract: t.contract,
            client_order_id: &coid,
            trade: t.quantity,
            broker: "manual",
            created_at: &at,
        })?;
        tx.insert_fill(&NewFill {
            client_order_id: &coid,
            broker_order_id: "manual",
            strategy: &t.strategy,
            instrument: i,
            contract: t.contract,
            quantity: t.quantity,
            price: t.price,
            fill_datetime: &fill_time,
            recorded_at: &at,
        })?;
        tx.set_broker_order_fill(bo, t.quantity, t.price, &fill_time, None)?;
        tx.set_contract_order_fill(co, t.quantity, t.price, &fill_time)?;
        tx.set_instrument_order_fill(io, t.quantity, t.price, &fill_time)?;
        let message = format!("manual trade: {}", t.reason);
        tx.set_broker_order_status(bo, "filled", Some("manual"), Some(&message), true, &at)?;
        tx.add_contract_position(i, t.contract, t.quantity, &at)?;
        tx.add_strategy_position(&t.strategy, i, t.quantity, &at)?;
        tx.audit(
            run_id,
            &t.strategy,
            i.as_str(),
            "manual_trade",
            &format!(
                "contract {}: {:+} at {} ({coid}; {}), by {who}",
                t.contract, t.quantity, t.price, t.reason
            ),
        )?;
        tx.complete_finished_orders(&at)?;
        Ok(RecordedTrade {
            client_order_id: coid,
            instrument_order_id: io,
            strategy_position,
            contract_position,
        })
    })
}
