//! Phases 2 and 6, **reconcile**: the broker's positions against our contract positions. A break
//! locks the instrument (one lock, its reason naming every broken contract, updated when the break
//! changes); a reconciliation lock clears when its break is gone.

use super::{Result, RunOptions, RunReport};
use crate::broker::Broker;
use crate::logic;
use std::collections::{BTreeMap, BTreeSet};
use systrade_model::InstrumentCode;
use systrade_store::state::controls::LockSource;
use systrade_store::{StateWriter, now_text};

pub(super) fn reconcile(
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
