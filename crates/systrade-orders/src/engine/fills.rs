//! Recording the broker's view of one order: fills update broker, contract and instrument orders,
//! contract and strategy positions and trade-limit counters in one transaction.

use super::{EngineError, Result};
use crate::broker::OrderStatus;
use crate::logic;
use chrono::NaiveDate;
use systrade_store::state::orders::{BrokerOrderRow, NewFill};
use systrade_store::{StateWriter, now_text};

/// Records the broker's view of one order: new fills (fills row, broker/contract/instrument order
/// fills, contract and strategy positions, trade-limit counters) and the status, in one transaction.
pub(super) fn apply_status(
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
