//! Rolls a killed run left pending (`state.sqlite` table `pending_rolls`, written ahead by
//! [`crate::roll`]): `roll` and `update` finish or undo them before their own work, so an
//! interrupted roll never blocks an instrument.
//!
//! Which one is decided from the multiple prices on disk ([`PendingRoll::progress`]): the roll
//! writes the multiple prices first, then the adjusted prices, then stores the roll state. New
//! multiple prices → the adjusted prices are re-stitched from them (the same computation as the
//! roll's, [`systrade_roll::restitched`]) and written, the roll state becomes No_Roll: the files
//! are those of an uninterrupted roll. Old multiple prices → nothing was written: the record is
//! deleted and the roll state is kept, so the roll is done again when asked. Neither (another writer
//! replaced the files since) → the record is deleted with a warning. Each step can be repeated: a
//! kill during this one leaves the record for the next run.

use crate::fault::pause_point;
use anyhow::Context;
use std::collections::BTreeMap;
use systrade_model::{InstrumentCode, PendingRoll, RollProgress};
use systrade_store::{StateWriter, Store, Writer};

/// What became of a pending roll.
#[derive(Debug)]
pub(crate) enum Resolution {
    /// The new multiple prices were written; the adjusted prices and roll state now are too.
    Finished(PendingRoll),
    /// Nothing had been written; the record is gone, the roll state unchanged.
    Undone,
    /// The multiple prices were replaced by another writer since; the record is gone.
    Forgotten,
}

/// Finishes or undoes the pending rolls of the instruments in `list`, one by one; the outcome (or
/// the error that left it pending) per instrument that had one.
pub(crate) fn resolve(
    store: &Store,
    writer: &Writer<'_>,
    db: &mut StateWriter,
    list: &[InstrumentCode],
) -> anyhow::Result<BTreeMap<InstrumentCode, anyhow::Result<Resolution>>> {
    let pending = db
        .pending_rolls()
        .context("reading the pending rolls of state.sqlite")?;
    let mut out = BTreeMap::new();
    for roll in pending.into_iter().filter(|p| list.contains(&p.instrument)) {
        let what = format!(
            "the interrupted roll from {} to {}",
            roll.before.price_contract, roll.after.price_contract
        );
        let r = resolve_one(store, writer, db, &roll, &what)
            .with_context(|| format!("{what} is still pending"));
        out.insert(roll.instrument.clone(), r);
    }
    Ok(out)
}

fn resolve_one(
    store: &Store,
    writer: &Writer<'_>,
    db: &mut StateWriter,
    roll: &PendingRoll,
    what: &str,
) -> anyhow::Result<Resolution> {
    let i = &roll.instrument;
    let multiple = match store.read_multiple_prices(i) {
        Ok(m) => m,
        Err(e) if e.is_not_found() => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    match roll.progress(&multiple) {
        RollProgress::MultipleWritten => {
            let adjusted = systrade_roll::restitched(&multiple, roll.forward_fill)?;
            writer.commit(&store.prepare_adjusted_prices(i, &adjusted)?)?;
            pause_point("resolve:adjusted-written");
            db.transaction(|tx| tx.finish_roll(roll))?;
            tracing::info!("{i}: finished {what} (adjusted prices re-stitched, state No_Roll)");
            Ok(Resolution::Finished(roll.clone()))
        }
        RollProgress::NotWritten => {
            db.transaction(|tx| tx.forget_pending_roll(i))?;
            tracing::info!(
                "{i}: undid {what}: nothing had been written; the state stays {}",
                roll.previous_state
            );
            Ok(Resolution::Undone)
        }
        RollProgress::Replaced => {
            db.transaction(|tx| tx.forget_pending_roll(i))?;
            tracing::warn!(
                "{i}: forgot {what}: its multiple prices were replaced since (they no longer end \
                 at {} or {}); the state stays {}",
                roll.before.timestamp,
                roll.after.timestamp,
                roll.previous_state
            );
            Ok(Resolution::Forgotten)
        }
    }
}
