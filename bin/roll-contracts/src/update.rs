//! `update`: the daily step (spec §4.3 item 4, §2.5 last bullet): new multiple-prices rows for the
//! current contracts and the adjusted prices extended, never rewriting history. Rolls a killed `roll`
//! left pending are finished or undone first.

use crate::per_instrument::{failure, for_each_instrument, instruments, lock, not_found_hint};
use crate::{Args, pending};
use systrade_cli::{ExitCode, Outcomes};
use systrade_model::MultiplePrices;
use systrade_store::{SeriesKind, Store};

pub(crate) fn update(args: &Args, store: &Store) -> anyhow::Result<ExitCode> {
    let mut list = instruments(args, store, SeriesKind::Multiple)?;
    let writer = lock(args, store)?;
    let outcomes = Outcomes::new("update");
    // rolls left pending by a killed `roll` first: finished or undone
    let mut db = store.open_state_for_writing()?;
    for (i, r) in pending::resolve(store, &writer, &mut db, &list)? {
        if let Err(e) = r {
            failure(&outcomes, &i, e);
            list.retain(|x| *x != i);
        }
    }
    drop(db);
    let done = for_each_instrument(args, &outcomes, &list, |i| {
        let m = store
            .read_multiple_prices(i)
            .map_err(|e| not_found_hint(e, "no multiple prices"))?;
        let bars = store
            .read_contract_prices(i)
            .map_err(|e| not_found_hint(e, "no contract prices"))?;
        let adjusted = store.read_adjusted_prices(i).map_err(|e| {
            not_found_hint(e, "no adjusted prices: run `roll-contracts adjust` first")
        })?;
        let new_rows = systrade_roll::update_multiple_no_roll(&m, &bars)?;
        let mut extended: MultiplePrices = m;
        let added = new_rows.len();
        extended.extend(new_rows);
        // also catches up adjusted prices left behind by an interrupted earlier run
        let new_adjusted = systrade_roll::update_adjusted_no_roll(&adjusted, &extended)?;
        if added == 0 && new_adjusted.is_empty() {
            tracing::info!("{i}: up to date");
            return Ok((0, 0));
        }
        let mut full = adjusted;
        full.timestamps.extend(&new_adjusted.timestamps);
        full.values.extend(&new_adjusted.values);
        // prepare (validate) both before writing either; multiple first: a failed adjusted write
        // is caught up by the next run
        let mfile = store.prepare_multiple_prices(i, &extended)?;
        let afile = store.prepare_adjusted_prices(i, &full)?;
        writer.commit(&mfile)?;
        writer.commit(&afile)?;
        tracing::info!(
            "{i}: {added} multiple-prices rows, {} adjusted values added",
            new_adjusted.len()
        );
        Ok((added, new_adjusted.len()))
    });
    let (rows, values) = done
        .iter()
        .fold((0, 0), |(a, b), (_, (x, y))| (a + x, b + y));
    tracing::info!("update: {rows} multiple-prices rows and {values} adjusted values added");
    Ok(outcomes.finish())
}
