//! Roll calendars (spec §2.3, pysystemtrade `sysobjects/roll_calendars.py`,
//! `sysobjects/roll_parameters_with_price_data.py`).

use crate::contract_prices::PricesByContract;
use crate::error::RollError;
use systrade_model::time::MICROS_PER_DAY;
use systrade_model::{
    CarryOffset, ContractDate, MultiplePrices, MultiplePricesRow, RollCalendar, RollCalendarRow,
    RollParameters, Timestamp,
};

/// Backs a roll calendar out of multiple prices (spec §2.3 item 5). After dropping repeated
/// timestamps (keeping the last), every row whose PRICE_CONTRACT is greater than the previous row's
/// is a roll: current = previous PRICE_CONTRACT, next = the new PRICE_CONTRACT, carry = previous
/// CARRY_CONTRACT. A final row is appended at the last timestamp from the last row's
/// PRICE/FORWARD/CARRY contracts; repeated calendar timestamps keep the last row.
///
/// The roll row is stamped with the **last timestamp of the old contract** (the previous row), the
/// meaning of a calendar date in §1.9, so that [`crate::multiple_from_calendar`] (§2.4, where the row
/// at a roll date still prices the old contract) rebuilds the same contract columns. Most shipped
/// `roll_calendars_csv` files use this stamp; some (US10, CORN, GOLD_micro, …) were stamped with the
/// first row of the new contract instead — `tests/pst_parity.rs` accounts for both.
pub fn calendar_from_multiple(multiple: &MultiplePrices) -> RollCalendar {
    let mut rows: Vec<&MultiplePricesRow> = Vec::with_capacity(multiple.len());
    for r in multiple {
        match rows.last_mut() {
            Some(last) if last.timestamp == r.timestamp => *last = r,
            _ => rows.push(r),
        }
    }
    let mut calendar: RollCalendar = rows
        .windows(2)
        .filter(|w| w[1].price_contract > w[0].price_contract)
        .map(|w| RollCalendarRow {
            timestamp: w[0].timestamp,
            current_contract: w[0].price_contract,
            next_contract: w[1].price_contract,
            carry_contract: w[0].carry_contract,
        })
        .collect();
    if let Some(last) = rows.last() {
        let final_row = RollCalendarRow {
            timestamp: last.timestamp,
            current_contract: last.price_contract,
            next_contract: last.forward_contract,
            carry_contract: last.carry_contract,
        };
        match calendar.last_mut() {
            Some(prev) if prev.timestamp == final_row.timestamp => *prev = final_row,
            _ => calendar.push(final_row),
        }
    }
    calendar
}

/// The best carry contract with prices for `contract`: the carry contract per CarryOffset (previous
/// or next *priced* contract), stepping further in the same direction past contracts without
/// prices, within the contracts present in the data.
fn best_carry_with_prices(
    params: &RollParameters,
    prices: &PricesByContract,
    contract: ContractDate,
    first: ContractDate,
    last: ContractDate,
) -> Option<ContractDate> {
    let mut carry = params.carry_contract(contract);
    while carry >= first && carry <= last {
        if prices.has(carry) {
            return Some(carry);
        }
        carry = params.carry_contract(carry);
    }
    None
}

/// One row of the approximate calendar: roll wanted at `date` (midnight of the desired roll date).
#[derive(Debug, Clone, Copy)]
struct ApproxRow {
    date: Timestamp,
    current: ContractDate,
    next: ContractDate,
    carry: ContractDate,
}

/// Builds a roll calendar from per-contract prices (spec §2.3 items 1–4):
///
/// 1. Starting contract: the earliest contract with prices if a carry contract with prices exists
///    for it, else the next held contract with prices, and so on.
/// 2. Approximate calendar: from it, repeatedly take the next held contract with prices (skipping
///    missing ones) and the best carry contract with prices, and add the row
///    `(desired_roll_date = expiry + RollOffsetDays, current, next, carry)`; stop when the current
///    contract is the last one with prices or the next held contract lies beyond the data. Only
///    held contracts that expired before the end of the data are skipped for lack of prices: one
///    that has not expired yet is not listed yet, and the calendar stops before it.
/// 3. Each row is moved to the timestamp where current and next (and, for CarryOffset −1, this
///    row's and the next row's carry) contracts all have prices, later than the previous row's
///    approximate date and than the previous roll (systrade: upstream only warns when the dates
///    do not increase, which happens when the data starts after two desired roll dates), closest
///    in whole days `|floor((t − approx)/1 day)|` (ties → earliest);
///    without a match the carry requirement is dropped; still none: skipped at the start, otherwise
///    the calendar is truncated there.
/// 4. Checks: strictly increasing dates, current and next prices on every roll date.
///
/// Two systrade choices where upstream leaves the end of the calendar to a manual check:
/// - Upstream drops the final approximate row unadjusted (its roll usually lies in the future). Here
///   every row whose approximate date is *after the end of the data* is dropped (not yet due) and a
///   due last row is kept: with a Z hold cycle inside HKNUZ (CORN) the last approximate row is a
///   past roll, and dropping it would leave the calendar a year behind. Rows in the future are never
///   moved back to the last day of data.
/// - One final row is appended, as a calendar backed out of multiple prices has (§2.3 item 5): at
///   the last timestamp with a price of the contract held after the last roll, with that contract,
///   its next held contract (which may have no prices yet) and its best carry contract. Multiple
///   prices built from the calendar (§2.4) then run to the end of the data.
pub fn calendar_from_contract_prices(
    params: &RollParameters,
    prices: &PricesByContract,
) -> Result<RollCalendar, RollError> {
    let (Some(first), Some(last)) = (prices.first_contract(), prices.last_contract()) else {
        return Err(RollError::NoContractPrices);
    };
    // 1. starting contract
    let mut start = first;
    loop {
        if prices.has(start) && best_carry_with_prices(params, prices, start, first, last).is_some()
        {
            break;
        }
        start = params.next_held_contract(start);
        if start >= last {
            return Err(RollError::NoStartingContract);
        }
    }
    let end_of_data = prices
        .contracts()
        .filter_map(|c| prices.last_timestamp(c))
        .max()
        .expect("at least one contract with prices");
    // 2. approximate calendar
    let mut approx: Vec<ApproxRow> = Vec::new();
    let mut current = start;
    'contracts: while current < last {
        let mut next = params.next_held_contract(current);
        while !prices.has(next) && next <= last {
            if Timestamp::from_date(params.approx_expiry(next)) > end_of_data {
                // not expired and no prices: not listed yet, so no roll past it
                break 'contracts;
            }
            next = params.next_held_contract(next);
        }
        if next > last {
            break;
        }
        let carry = best_carry_with_prices(params, prices, current, first, last)
            .unwrap_or_else(|| params.carry_contract(current));
        approx.push(ApproxRow {
            date: Timestamp::from_date(params.desired_roll_date(current)),
            current,
            next,
            carry,
        });
        current = next;
    }
    // 3. adjust the rows that are due (approximate date not after the end of the data)
    let mut calendar: RollCalendar = Vec::new();
    for (i, row) in approx.iter().enumerate() {
        if row.date > end_of_data {
            break;
        }
        // after the previous row's approximate date (upstream, against double rolls) and after the
        // previous roll itself: when the data starts after two desired roll dates, both rows would
        // otherwise land on its first day (upstream only warns that the dates do not increase)
        let after = match ((i > 0).then(|| approx[i - 1].date), calendar.last()) {
            (Some(a), Some(prev)) => Some(a.max(prev.timestamp)),
            (a, prev) => a.or(prev.map(|r| r.timestamp)),
        };
        let mut required = vec![row.current, row.next];
        let with_carry = params.carry_offset == CarryOffset::Previous;
        if with_carry {
            required.push(row.carry);
            let next_carry = match approx.get(i + 1) {
                Some(r) => r.carry,
                None => best_carry_with_prices(params, prices, row.next, first, last)
                    .unwrap_or_else(|| params.carry_contract(row.next)),
            };
            required.push(next_carry);
        }
        let found = best_matching_date(prices, &required, row.date, after).or_else(|| {
            if with_carry {
                best_matching_date(prices, &required[..2], row.date, after)
            } else {
                None
            }
        });
        match found {
            Some(timestamp) => calendar.push(RollCalendarRow {
                timestamp,
                current_contract: row.current,
                next_contract: row.next,
                carry_contract: row.carry,
            }),
            None if calendar.is_empty() => continue,
            None => break,
        }
    }
    let Some(last_roll) = calendar.last().copied() else {
        return Err(RollError::EmptyCalendar);
    };
    check_calendar(&calendar, prices)?;
    // final row: the contract held after the last roll, to the end of its prices
    let held = last_roll.next_contract;
    if let Some(end) = prices
        .last_timestamp(held)
        .filter(|t| *t > last_roll.timestamp)
    {
        let (next, carry) = match approx.iter().find(|r| r.current == held) {
            Some(r) => (r.next, r.carry),
            None => (
                params.next_held_contract(held),
                best_carry_with_prices(params, prices, held, first, last)
                    .unwrap_or_else(|| params.carry_contract(held)),
            ),
        };
        calendar.push(RollCalendarRow {
            timestamp: end,
            current_contract: held,
            next_contract: next,
            carry_contract: carry,
        });
    }
    Ok(calendar)
}

/// The timestamp, later than `after`, at which every contract in `required` has a price, closest to
/// `approx` in whole days (`|floor(Δ / 1 day)|`, as Python's `timedelta.days`); ties → earliest.
fn best_matching_date(
    prices: &PricesByContract,
    required: &[ContractDate],
    approx: Timestamp,
    after: Option<Timestamp>,
) -> Option<Timestamp> {
    let mut best: Option<(i64, Timestamp)> = None;
    for &(t, _) in prices.series(required[0]) {
        if after.is_some_and(|a| t <= a) {
            continue;
        }
        if !required[1..]
            .iter()
            .all(|&c| prices.price_at(c, t).is_some())
        {
            continue;
        }
        let days = (t.micros() - approx.micros())
            .div_euclid(MICROS_PER_DAY)
            .abs();
        if best.is_none_or(|(d, _)| days < d) {
            best = Some((days, t));
        }
    }
    best.map(|(_, t)| t)
}

/// Spec §2.3 item 4: dates strictly increase and current and next contracts have prices on each.
pub(crate) fn check_calendar(
    calendar: &RollCalendar,
    prices: &PricesByContract,
) -> Result<(), RollError> {
    if let Some(w) = calendar
        .windows(2)
        .find(|w| w[1].timestamp <= w[0].timestamp)
    {
        return Err(RollError::CalendarUnsorted(w[1].timestamp));
    }
    for row in calendar {
        for (which, contract) in [
            ("current", row.current_contract),
            ("next", row.next_contract),
        ] {
            if prices.price_at(contract, row.timestamp).is_none() {
                return Err(RollError::CalendarMissingPrice {
                    at: row.timestamp,
                    which,
                    contract,
                });
            }
        }
    }
    Ok(())
}
