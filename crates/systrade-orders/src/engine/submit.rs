//! Phase 4, **submit** and **poll**: pending broker orders are sent (each attempt committed before
//! the request leaves; a locked instrument's orders are held), then working orders are polled until
//! final or the wait is over.

use super::fills::apply_status;
use super::{Result, RunOptions, RunReport, request_of};
use crate::broker::{Broker, BrokerError, OrderState, OrderStatus};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;
use systrade_store::state::orders::BrokerOrderRow;
use systrade_store::{StateWriter, now_text};

pub(super) fn submit_pending(
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
        if st.state == OrderState::Rejected {
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

pub(super) fn poll(
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
pub(super) fn status_or_lookup(
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
