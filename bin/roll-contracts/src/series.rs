//! `calendar`, `multiple` and `adjust`: each stored series rebuilt from its input (spec §2.3-2.5),
//! one file per instrument.

use crate::per_instrument::{
    for_each_instrument_writing, instruments, instruments_of, lock, not_found_hint, roll_parameters,
};
use crate::{Args, Method};
use anyhow::Context;
use std::collections::BTreeMap;
use systrade_cli::ExitCode;
use systrade_roll::{AdjustMethod, PricesByContract};
use systrade_store::{SeriesKind, Store};

pub(crate) fn calendar(
    args: &Args,
    store: &Store,
    from_multiple: bool,
) -> anyhow::Result<ExitCode> {
    let kind = if from_multiple {
        SeriesKind::Multiple
    } else {
        SeriesKind::Contracts
    };
    let list = instruments(args, store, kind)?;
    let params = if from_multiple {
        BTreeMap::new()
    } else {
        roll_parameters(store)?
    };
    let writer = lock(args, store)?;
    for_each_instrument_writing(args, "calendar", &list, &writer, |i| {
        let cal = if from_multiple {
            let m = store
                .read_multiple_prices(i)
                .map_err(|e| not_found_hint(e, "no multiple prices"))?;
            systrade_roll::calendar_from_multiple(&m)
        } else {
            let p = params
                .get(i)
                .with_context(|| format!("no roll parameters for {i} in config/rolls.csv"))?;
            let bars = store
                .read_contract_prices(i)
                .map_err(|e| not_found_hint(e, "no contract prices"))?;
            systrade_roll::calendar_from_contract_prices(p, &PricesByContract::from_bars(&bars))?
        };
        tracing::info!("{i}: roll calendar with {} rows", cal.len());
        Ok(store.prepare_roll_calendar(i, &cal)?)
    })
}

pub(crate) fn multiple(args: &Args, store: &Store) -> anyhow::Result<ExitCode> {
    // with contract prices but no calendar (`calendar` failed for it): a failure, not left out
    let list = instruments_of(args, store, &[SeriesKind::Rolls, SeriesKind::Contracts])?;
    let writer = lock(args, store)?;
    for_each_instrument_writing(args, "multiple", &list, &writer, |i| {
        let cal = store
            .read_roll_calendar(i)
            .map_err(|e| not_found_hint(e, "no roll calendar: run `roll-contracts calendar`"))?;
        let bars = store
            .read_contract_prices(i)
            .map_err(|e| not_found_hint(e, "no contract prices"))?;
        let m = systrade_roll::multiple_from_calendar(&cal, &PricesByContract::from_bars(&bars))?;
        tracing::info!("{i}: multiple prices with {} rows", m.len());
        Ok(store.prepare_multiple_prices(i, &m)?)
    })
}

pub(crate) fn adjust(
    args: &Args,
    store: &Store,
    method: Method,
    forward_fill: bool,
) -> anyhow::Result<ExitCode> {
    // with contract prices but no multiple prices (`multiple` failed for it): a failure
    let list = instruments_of(args, store, &[SeriesKind::Multiple, SeriesKind::Contracts])?;
    let method = match method {
        Method::Panama => AdjustMethod::Panama,
        Method::Ratio => AdjustMethod::Ratio,
    };
    let writer = lock(args, store)?;
    for_each_instrument_writing(args, "adjust", &list, &writer, |i| {
        let m = store
            .read_multiple_prices(i)
            .map_err(|e| not_found_hint(e, "no multiple prices"))?;
        let adjusted = systrade_roll::without_trailing_missing(systrade_roll::adjust(
            &m,
            method,
            forward_fill,
        )?);
        tracing::debug!("{i}: adjusted prices with {} rows", adjusted.len());
        Ok(store.prepare_adjusted_prices(i, &adjusted)?)
    })
}
