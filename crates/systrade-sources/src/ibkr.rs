//! The `ibkr` price source: contract bars and FX rates from the IB Client Portal gateway through
//! [`systrade_ibkr::Ibkr`], which owns the session, the contract resolution, the history
//! concurrency limit and the price conversion (`priceMagnifier`). This module turns its daily bars
//! into [`Bar`]s at the configured time of day and fetches one instrument's contracts together.

use crate::bar::{Bar, ContractSeries, FxPoint, FxSeries, sort_dedup_bars, sort_dedup_fx};
use chrono::{NaiveDate, NaiveTime};
use systrade_ibkr::{DailyBar, Ibkr, IbkrError, history_period};
use systrade_model::{ContractDate, IbkrFx, InstrumentCode, Timestamp};

fn bar(b: &DailyBar, daily_time: NaiveTime) -> Bar {
    Bar {
        timestamp: Timestamp::from_datetime(b.date.and_time(daily_time)),
        open: b.open,
        high: b.high,
        low: b.low,
        close: b.close,
        volume: b.volume,
    }
}

/// The `period` covering `start..=today`.
fn period(start: NaiveDate, today: NaiveDate) -> String {
    history_period((today - start).num_days() + 1)
}

/// Daily bars of `contracts` of one instrument, each from `start_for(contract)` to `today`, in
/// our units, stamped at `daily_time`. The contracts are fetched concurrently (the gateway caps
/// the requests in flight); a contract IB does not list (expired, not yet listed) is skipped.
pub fn fetch_contracts(
    ibkr: &Ibkr,
    instrument: &InstrumentCode,
    contracts: &[ContractDate],
    start_for: impl Fn(ContractDate) -> NaiveDate,
    today: NaiveDate,
    daily_time: NaiveTime,
) -> Result<Vec<ContractSeries>, IbkrError> {
    let mut targets = Vec::new();
    for &c in contracts {
        match ibkr.resolve(instrument, c)? {
            Some(f) => targets.push((c, f.conid, period(start_for(c), today))),
            None => {
                tracing::debug!(instrument = %instrument, contract = %c, "not listed at IB (expired?)");
            }
        }
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = targets
            .iter()
            .map(|(c, conid, period)| {
                s.spawn(move || {
                    let mut bars: Vec<Bar> = ibkr
                        .daily_bars(instrument, *conid, period)?
                        .iter()
                        .map(|b| bar(b, daily_time))
                        .collect();
                    sort_dedup_bars(&mut bars);
                    Ok(ContractSeries {
                        instrument: instrument.clone(),
                        contract: *c,
                        bars,
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(IbkrError::Lookup(format!(
                        "{instrument}: the fetch thread panicked"
                    )))
                })
            })
            .collect()
    })
}

/// Daily rates of one FX code from `start` to `today` (USD per unit of the currency, inverted
/// from IB's pair when the mapping says so), stamped at `daily_time`.
pub fn fetch_fx(
    ibkr: &Ibkr,
    fx: &IbkrFx,
    start: NaiveDate,
    today: NaiveDate,
    daily_time: NaiveTime,
) -> Result<FxSeries, IbkrError> {
    let mut points: Vec<FxPoint> = ibkr
        .daily_fx(fx, &period(start, today))?
        .into_iter()
        .map(|d| FxPoint {
            timestamp: Timestamp::from_datetime(d.date.and_time(daily_time)),
            rate: d.rate,
        })
        .collect();
    sort_dedup_fx(&mut points);
    Ok(FxSeries {
        code: fx.code().to_string(),
        points,
    })
}
