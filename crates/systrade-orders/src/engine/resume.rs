//! Phase 1, **resume**: broker orders left working or unacknowledged by an earlier run are looked
//! up; an order whose submission was attempted is searched by its client order id first and only
//! resent (by [`super::submit`]) if the broker has never seen it.

use super::fills::apply_status;
use super::submit::status_or_lookup;
use super::{Result, RunOptions, RunReport, request_of, selected};
use crate::ROLL_PSEUDO_STRATEGY;
use crate::broker::Broker;
use std::collections::BTreeSet;
use systrade_store::StateWriter;

pub(super) fn resume(
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
