//! Which of IB's futures is one of our contracts (pure; [`crate::Ibkr::resolve`] does the
//! lookups and is the one place prices, orders and positions map contracts, both ways).
//!
//! - A monthly contract (`YYYYMM00`) is a future whose IB contract month is that month (IB says
//!   so itself: `/iserver/secdef/info?…&month=DEC24`, `contract_month` of
//!   `/iserver/contract/{conid}/info`); for crude oil the December contract expires in November.
//!   Its expiry's month plays no part (issue 14 item 3).
//! - A contract with a day (`YYYYMMDD`, a weekly) is the future expiring on that day
//!   ([`expiring_on`]).
//! - When futures of one contract month expire within 14 days of each other, IB lists weeklies
//!   (or dailies) next to the monthly future, as pysystemtrade's contract resolution finds
//!   (`sysbrokers/IB/ib_contracts.py`, `resolve_multiple_expiries`): without `IgnoreWeekly` that
//!   month is refused as ambiguous; with it the monthly one is the candidate closest to the
//!   approximate expiry of the roll configuration (pysystemtrade tells it by local symbol for VIX,
//!   EUREX dailies and LME metals), and without an approximate expiry the month is refused
//!   ([`pick`]).

use crate::contracts::ListedFuture;
use chrono::NaiveDate;
use systrade_model::ContractDate;

/// Two futures expiring closer than this are not two monthly contracts.
pub const WEEKLY_GAP_DAYS: i64 = 14;

/// The listed futures expiring on `day` (a dated contract).
pub fn expiring_on(listed: &[ListedFuture], day: NaiveDate) -> Vec<ListedFuture> {
    listed.iter().filter(|f| f.expiry == day).copied().collect()
}

/// Picks `contract`'s future among its candidates (the futures of its IB contract month, or
/// [`expiring_on`] its day; already narrowed to the instrument's multiplier and currency). `Ok(None)`: IB does not list it (expired, or not yet listed);
/// `Err`: the month is ambiguous, with the reason.
pub fn pick(
    candidates: &[ListedFuture],
    contract: ContractDate,
    approx_expiry: Option<NaiveDate>,
    ignore_weekly: bool,
) -> Result<Option<ListedFuture>, String> {
    let best = match approx_expiry {
        Some(approx) if contract.day() == 0 => candidates.iter().min_by_key(|f| {
            (
                (f.expiry - approx).num_days().abs(),
                std::cmp::Reverse(f.expiry),
            )
        }),
        _ => candidates.iter().max_by_key(|f| f.expiry),
    };
    let Some(best) = best.copied() else {
        return Ok(None);
    };
    let near: Vec<&ListedFuture> = candidates
        .iter()
        .filter(|f| f.conid != best.conid)
        .filter(|f| (f.expiry - best.expiry).num_days().abs() < WEEKLY_GAP_DAYS)
        .collect();
    if near.is_empty() {
        return Ok(Some(best));
    }
    let mut expiries: Vec<NaiveDate> = near.iter().map(|f| f.expiry).collect();
    expiries.push(best.expiry);
    expiries.sort();
    let listed = expiries
        .iter()
        .map(NaiveDate::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if !ignore_weekly {
        return Err(format!(
            "IB lists several futures for {contract} (expiring {listed}); if the others are weekly \
             or daily expiries, set IgnoreWeekly for the instrument"
        ));
    }
    if approx_expiry.is_none() || contract.day() != 0 {
        return Err(format!(
            "IB lists several futures for {contract} (expiring {listed}); telling the monthly one \
             from the weeklies needs the instrument's ExpiryOffset in the roll configuration"
        ));
    }
    Ok(Some(best))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(conid: i64, ymd: i64) -> ListedFuture {
        ListedFuture {
            conid,
            expiry: NaiveDate::from_ymd_opt(
                (ymd / 10000) as i32,
                ((ymd / 100) % 100) as u32,
                (ymd % 100) as u32,
            )
            .unwrap(),
            underlying_conid: None,
        }
    }

    fn resolve(
        candidates: &[ListedFuture],
        id: i64,
        approx: Option<NaiveDate>,
        ignore_weekly: bool,
    ) -> Result<Option<i64>, String> {
        let c = ContractDate::from_id(id).unwrap();
        pick(candidates, c, approx, ignore_weekly).map(|o| o.map(|f| f.conid))
    }

    fn day(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    #[test]
    fn one_future_per_month_and_dated_contracts() {
        // Crude style: IB's December month holds the future expiring on 20 November.
        assert_eq!(
            resolve(&[f(1, 20241120)], 20241200, None, false),
            Ok(Some(1))
        );
        assert_eq!(resolve(&[], 20250600, day(2025, 6, 15), false), Ok(None));
        let crude = [f(1, 20241120), f(2, 20241219), f(3, 20250121)];
        let dec19 = expiring_on(&crude, day(2024, 12, 19).unwrap());
        assert_eq!(resolve(&dec19, 20241219, None, false), Ok(Some(2)));
        assert!(expiring_on(&crude, day(2024, 12, 18).unwrap()).is_empty());
    }

    #[test]
    fn weeklies_need_ignore_weekly_and_an_approximate_expiry() {
        // VIX style: weeklies every Wednesday of IB's December month, the monthly one on the 18th.
        let vix = [
            f(1, 20241204),
            f(2, 20241211),
            f(3, 20241218),
            f(4, 20241224),
        ];
        let e = resolve(&vix, 20241200, day(2024, 12, 17), false).unwrap_err();
        assert!(e.contains("set IgnoreWeekly"), "{e}");
        assert_eq!(
            resolve(&vix, 20241200, day(2024, 12, 17), true),
            Ok(Some(3))
        );
        let e = resolve(&vix, 20241200, None, true).unwrap_err();
        assert!(e.contains("ExpiryOffset"), "{e}");
        // A weekly contract asked by its day is unambiguous.
        let wk = expiring_on(&vix, day(2024, 12, 11).unwrap());
        assert_eq!(resolve(&wk, 20241211, None, false), Ok(Some(2)));
    }
}
