//! `state`: show roll states, or set one if the transition is allowed for the priced position
//! (spec §4.8).

use crate::Args;
use crate::per_instrument::roll_parameters;
use crate::roll_state::RollBook;
use anyhow::Context;
use systrade_cli::{ExitCode, Printer, Value};
use systrade_model::InstrumentCode;
use systrade_roll::{RollState, is_allowed};
use systrade_store::Store;

/// The position in the priced contract (last multiple-prices row) of `instrument`; 0 without
/// multiple prices.
fn priced_position(
    store: &Store,
    book: &RollBook,
    instrument: &InstrumentCode,
) -> anyhow::Result<i64> {
    match store.read_multiple_prices(instrument) {
        Ok(m) => Ok(m
            .last()
            .map_or(0, |r| book.position_in(instrument, r.price_contract))),
        Err(e) if e.is_not_found() => Ok(0),
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn state(
    args: &Args,
    store: &Store,
    instrument: Option<&InstrumentCode>,
    set: Option<RollState>,
) -> anyhow::Result<ExitCode> {
    let mut db = store.open_state_for_writing()?;
    let book = RollBook::load(&db)?;
    let mut rows: Vec<(InstrumentCode, RollState)> = Vec::new();
    match (instrument, set) {
        (Some(i), Some(wanted)) => {
            if let Some(p) = db.pending_rolls()?.iter().find(|p| p.instrument == *i) {
                anyhow::bail!(
                    "{i}: the roll from {} to {} was interrupted and is still pending: run \
                     `roll-contracts roll {i}` or `roll-contracts update` to finish it first",
                    p.before.price_contract,
                    p.after.price_contract
                );
            }
            let position = priced_position(store, &book, i)?;
            let from = book.state(i);
            if !is_allowed(from, wanted, position) {
                let allowed: Vec<&str> = systrade_roll::allowed_transitions(from, position)
                    .into_iter()
                    .map(RollState::as_str)
                    .collect();
                anyhow::bail!(
                    "{i}: cannot go from {from} to {wanted} with priced position {position}; allowed: {}",
                    allowed.join(", ")
                );
            }
            db.transaction(|tx| tx.set_roll_state(i, wanted, from))
                .with_context(|| format!("setting the roll state of {i}"))?;
            tracing::info!("{i}: roll state {from} -> {wanted}");
            rows.push((i.clone(), wanted));
        }
        (Some(i), None) => rows.push((i.clone(), book.state(i))),
        (None, _) => {
            let mut all: Vec<InstrumentCode> = roll_parameters(store)?.into_keys().collect();
            for known in book.instruments() {
                if !all.contains(known) {
                    all.push(known.clone());
                }
            }
            all.sort();
            let list = crate::per_instrument::selected(args, store)?.unwrap_or(all);
            for i in list {
                let st = book.state(&i);
                rows.push((i, st));
            }
        }
    }
    let mut out = Printer::stdout(args.stdout.format);
    out.table(
        "roll_states",
        "Roll states",
        systrade_cli::output::columns(&["instrument", "state"]),
    )?;
    for (i, st) in rows {
        out.row(vec![Value::text(i), Value::text(st)])?;
    }
    out.finish()?;
    Ok(ExitCode::Success)
}
