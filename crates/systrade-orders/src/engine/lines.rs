//! The run summary: order lines, and `resumed` for lines whose earlier orders moved in this run.

use super::{OrderLine, Result, RunReport};
use std::collections::{BTreeMap, BTreeSet};
use systrade_store::StateReader;

/// A line without a new order whose strategy and instrument had an earlier run's order sent or
/// filled in this run says so (`resumed`), instead of `no-trade`.
pub(super) fn mark_resumed(report: &mut RunReport) {
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

pub(super) fn pending_order_lines(db: &StateReader) -> Result<Vec<OrderLine>> {
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

pub(super) fn order_lines(
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
