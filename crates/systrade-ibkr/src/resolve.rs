//! Which listed IB future is one of our contracts, and back (pure; used for prices, orders and
//! positions alike).
//!
//! - A contract with a day (`YYYYMMDD`, a weekly) is the future expiring on that day.
//! - A monthly contract (`YYYYMM00`): with an approximate expiry (the roll configuration's
//!   `ExpiryOffset`), the listed futures expiring within 25 days of it, the closest first (crude
//!   oil's December contract expires in November); without, the futures expiring in the contract's
//!   month. When another candidate expires within 14 days of the chosen one, IB lists weeklies (or
//!   dailies) next to the monthly future, as pysystemtrade's contract resolution finds
//!   (`sysbrokers/IB/ib_contracts.py`, `resolve_multiple_expiries`): without `IgnoreWeekly` that
//!   month is refused as ambiguous; with it the monthly one is the candidate closest to the
//!   approximate expiry (pysystemtrade tells it by local symbol for VIX, EUREX dailies and LME
//!   metals), and without an approximate expiry the month is refused.
//! - Back from an expiry ([`contract_for_expiry`]): the contract of the priced cycle whose
//!   approximate expiry is closest (within 25 days), or the expiry's month without a roll
//!   configuration.
//!
//! The contract month IB itself gives (`contract_month` of `/iserver/contract/{conid}/info`) is not
//! used here yet.

use crate::contracts::{ListedFuture, month_of};
use chrono::{Datelike, NaiveDate};
use systrade_model::{ContractDate, RollParameters, contract::shift_days};

/// How far an expiry may be from the approximate expiry of the contract it belongs to.
pub const EXPIRY_WINDOW_DAYS: i64 = 25;
/// Two futures expiring closer than this are not two monthly contracts.
pub const WEEKLY_GAP_DAYS: i64 = 14;

/// The listed futures that may be `contract`: see the module documentation.
pub fn candidates(
    listed: &[ListedFuture],
    contract: ContractDate,
    approx_expiry: Option<NaiveDate>,
) -> Vec<ListedFuture> {
    if contract.day() != 0 {
        let day = contract.reference_date();
        return listed.iter().filter(|f| f.expiry == day).copied().collect();
    }
    listed
        .iter()
        .filter(|f| match approx_expiry {
            Some(approx) => (f.expiry - approx).num_days().abs() <= EXPIRY_WINDOW_DAYS,
            None => {
                (f.expiry.year(), f.expiry.month())
                    == (
                        i32::from(contract.year()),
                        u32::from(contract.month().number()),
                    )
            }
        })
        .copied()
        .collect()
}

/// Picks `contract`'s future among its [`candidates`] (already narrowed to the instrument's
/// multiplier and currency). `Ok(None)`: IB does not list it (expired, or not yet listed);
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

/// Our monthly contract for an IB expiry: with roll parameters, the contract of the priced cycle
/// whose approximate expiry is closest to `expiry` (within 25 days); without, the expiry's month.
pub fn contract_for_expiry(
    expiry: NaiveDate,
    roll: Option<&RollParameters>,
) -> Option<ContractDate> {
    let Some(roll) = roll else {
        return Some(month_of(expiry));
    };
    let centre = shift_days(expiry, -roll.expiry_offset);
    (-70..=70)
        .step_by(10)
        .map(|d| month_of(shift_days(centre, d)))
        .filter(|c| roll.priced_cycle.contains(c.month()))
        .map(|c| ((roll.approx_expiry(c) - expiry).num_days().abs(), c))
        .filter(|(d, _)| *d <= EXPIRY_WINDOW_DAYS)
        .min()
        .map(|(_, c)| c)
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
        listed: &[ListedFuture],
        id: i64,
        approx: Option<NaiveDate>,
        ignore_weekly: bool,
    ) -> Result<Option<i64>, String> {
        let c = ContractDate::from_id(id).unwrap();
        pick(&candidates(listed, c, approx), c, approx, ignore_weekly).map(|o| o.map(|f| f.conid))
    }

    fn day(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    #[test]
    fn monthly_quarterly_and_crude_style() {
        // Crude style: the December contract expires on 20 November, the January one on
        // 19 December; quarterly ones in their month.
        let crude = [f(1, 20241120), f(2, 20241219), f(3, 20250121)];
        assert_eq!(
            resolve(&crude, 20241200, day(2024, 11, 20), false),
            Ok(Some(1))
        );
        // Without the roll configuration the month of the expiry is taken (issue 14 item 3).
        assert_eq!(resolve(&crude, 20241200, None, false), Ok(Some(2)));
        let quarterly = [f(10, 20240315), f(11, 20240614)];
        assert_eq!(resolve(&quarterly, 20240300, None, false), Ok(Some(10)));
        assert_eq!(
            resolve(&quarterly, 20240600, day(2024, 6, 15), false),
            Ok(Some(11))
        );
        assert_eq!(
            resolve(&quarterly, 20250600, day(2025, 6, 15), false),
            Ok(None)
        );
        // A dated contract is its exact expiry.
        assert_eq!(resolve(&crude, 20241219, None, false), Ok(Some(2)));
        assert_eq!(resolve(&crude, 20241218, None, false), Ok(None));
    }

    #[test]
    fn weeklies_need_ignore_weekly_and_an_approximate_expiry() {
        // VIX style: weeklies every Wednesday, the monthly one on the 18th.
        let vix = [
            f(1, 20241204),
            f(2, 20241211),
            f(3, 20241218),
            f(4, 20241224),
            f(5, 20250115),
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
        assert_eq!(resolve(&vix, 20241211, None, false), Ok(Some(2)));
    }

    #[test]
    fn expiry_to_contract() {
        let roll = RollParameters {
            instrument: systrade_model::InstrumentCode::new("CRUDE_W").unwrap(),
            hold_cycle: "Z".parse().unwrap(),
            priced_cycle: "FGHJKMNQUVXZ".parse().unwrap(),
            roll_offset_days: -5,
            carry_offset: systrade_model::CarryOffset::Next,
            expiry_offset: -11,
        };
        let nov20 = day(2024, 11, 20).unwrap();
        assert_eq!(
            contract_for_expiry(nov20, Some(&roll)).map(|c| c.id()),
            Some(20241200)
        );
        assert_eq!(
            contract_for_expiry(nov20, None).map(|c| c.id()),
            Some(20241100)
        );
        let quarterly = RollParameters {
            priced_cycle: "HMUZ".parse().unwrap(),
            expiry_offset: 14,
            ..roll
        };
        let mar14 = day(2024, 3, 14).unwrap();
        assert_eq!(
            contract_for_expiry(mar14, Some(&quarterly)).map(|c| c.id()),
            Some(20240300)
        );
        assert_eq!(
            contract_for_expiry(day(2025, 5, 14).unwrap(), Some(&quarterly)),
            None
        );
    }
}
