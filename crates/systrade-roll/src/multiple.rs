//! Multiple prices from a roll calendar and contract prices (spec §2.4), and the daily update
//! without a roll (spec §2.5 last bullet, §4.3 item 4).

use crate::contract_prices::PricesByContract;
use crate::error::RollError;
use std::collections::BTreeMap;
use systrade_model::{
    AdjustedPrices, ContractDate, ContractPrices, MultiplePrices, MultiplePricesRow, RollCalendar,
    Timestamp,
};

/// Builds multiple prices (spec §2.4). For each pair of consecutive calendar rows (r[i−1], r[i]),
/// i ≥ 1, the period is `[r[i−1] + 1 s, r[i]]`, cut at the last price of r[i]'s current contract;
/// in it PRICE, FORWARD and CARRY are the closes of r[i]'s current, next and carry contracts,
/// outer-joined on timestamps (missing → NaN), contract columns filled with the ids. So the row
/// stamped at a roll date still prices the old contract, with FORWARD the new one.
///
/// A current contract without prices in its period is skipped while nothing has been built yet and
/// is an error afterwards. A next or carry contract with no prices at all is an error except on the
/// final calendar row (its column is then NaN).
pub fn multiple_from_calendar(
    calendar: &RollCalendar,
    prices: &PricesByContract,
) -> Result<MultiplePrices, RollError> {
    if calendar.len() < 2 {
        return Err(RollError::CalendarTooShort(calendar.len()));
    }
    let mut out: MultiplePrices = Vec::new();
    for i in 1..calendar.len() {
        let row = calendar[i];
        let start = calendar[i - 1].timestamp.plus_seconds(1);
        let end = match prices.last_timestamp(row.current_contract) {
            Some(last) => last.min(row.timestamp),
            None => row.timestamp,
        };
        let current = prices.between(row.current_contract, start, end);
        if current.is_empty() {
            if out.is_empty() {
                continue;
            }
            return Err(RollError::MissingContract {
                which: "priced",
                contract: row.current_contract,
                start,
                end,
            });
        }
        let is_final = i == calendar.len() - 1;
        for (which, contract) in [
            ("forward", row.next_contract),
            ("carry", row.carry_contract),
        ] {
            if !prices.has(contract) && !is_final {
                return Err(RollError::MissingContract {
                    which,
                    contract,
                    start,
                    end,
                });
            }
        }
        let forward = prices.between(row.next_contract, start, end);
        let carry = prices.between(row.carry_contract, start, end);
        out.extend(join(
            current,
            forward,
            carry,
            [row.current_contract, row.next_contract, row.carry_contract],
        ));
    }
    Ok(out)
}

/// Outer join of three price series on timestamps into multiple-prices rows.
fn join(
    price: &[(Timestamp, f64)],
    forward: &[(Timestamp, f64)],
    carry: &[(Timestamp, f64)],
    [pc, fc, cc]: [ContractDate; 3],
) -> Vec<MultiplePricesRow> {
    let mut rows: BTreeMap<Timestamp, [f64; 3]> = BTreeMap::new();
    for (k, series) in [price, forward, carry].into_iter().enumerate() {
        for &(t, v) in series {
            rows.entry(t).or_insert([f64::NAN; 3])[k] = v;
        }
    }
    rows.into_iter()
        .map(|(timestamp, [p, f, c])| MultiplePricesRow {
            timestamp,
            price: p,
            price_contract: pc,
            forward: f,
            forward_contract: fc,
            carry: c,
            carry_contract: cc,
        })
        .collect()
}

/// The daily multiple-prices update without a roll (spec §4.3 item 4): the new rows, for the
/// timestamps after the last stored row at which the current PRICE, FORWARD or CARRY contract (from
/// the last stored row) has a close; contract columns are the current contracts. Nothing new → no
/// rows, so a second run adds nothing.
///
/// Refused, writing nothing: the priced contract has no bars at all; a new bar of the priced
/// contract has a missing, non-finite or zero close (pysystemtrade ignores zero prices); the forward
/// or carry contract has new prices but the priced contract has none.
pub fn update_multiple_no_roll(
    multiple: &MultiplePrices,
    bars: &ContractPrices,
) -> Result<MultiplePrices, RollError> {
    let last = *multiple.last().ok_or(RollError::EmptyMultiplePrices)?;
    let contracts = [
        last.price_contract,
        last.forward_contract,
        last.carry_contract,
    ];
    if !bars.iter().any(|b| b.contract == last.price_contract) {
        return Err(RollError::PricedContractMissing(last.price_contract));
    }
    let mut new: BTreeMap<Timestamp, [f64; 3]> = BTreeMap::new();
    let mut priced_new = false;
    let mut other_new: Option<ContractDate> = None;
    for bar in bars.iter().filter(|b| b.timestamp > last.timestamp) {
        for (k, &c) in contracts.iter().enumerate() {
            if bar.contract != c {
                continue;
            }
            if k == 0 {
                if !bar.close.is_finite() || bar.close == 0.0 {
                    return Err(RollError::BadPrice {
                        contract: c,
                        at: bar.timestamp,
                        value: bar.close,
                    });
                }
                priced_new = true;
            } else if !bar.close.is_finite() {
                continue;
            } else {
                other_new.get_or_insert(c);
            }
            new.entry(bar.timestamp).or_insert([f64::NAN; 3])[k] = bar.close;
        }
    }
    if let (false, Some(other)) = (priced_new, other_new) {
        return Err(RollError::PricedContractStale {
            contract: last.price_contract,
            after: last.timestamp,
            other,
        });
    }
    Ok(new
        .into_iter()
        .map(|(timestamp, [p, f, c])| MultiplePricesRow {
            timestamp,
            price: p,
            price_contract: contracts[0],
            forward: f,
            forward_contract: contracts[1],
            carry: c,
            carry_contract: contracts[2],
        })
        .collect())
}

/// The daily adjusted-prices update without a roll (spec §2.5 last bullet,
/// `update_with_multiple_prices_no_roll`): the multiple-prices rows after the last adjusted
/// timestamp must all have the PRICE_CONTRACT of the multiple-prices row at that timestamp (the
/// contract last stitched); their non-missing PRICE values are the new adjusted values, appended
/// unchanged. A different contract means a roll happened that was not registered: refused.
pub fn update_adjusted_no_roll(
    adjusted: &AdjustedPrices,
    multiple: &MultiplePrices,
) -> Result<AdjustedPrices, RollError> {
    let Some(last) = adjusted.last_timestamp() else {
        return Err(RollError::EmptyMultiplePrices);
    };
    let i = multiple
        .binary_search_by_key(&last, |r| r.timestamp)
        .map_err(|_| RollError::AdjustedNotInMultiple(last))?;
    let stitched = multiple[i].price_contract;
    let mut out = AdjustedPrices::default();
    for row in &multiple[i + 1..] {
        if row.price_contract != stitched {
            return Err(RollError::UnregisteredRoll {
                stitched,
                found: row.price_contract,
                at: row.timestamp,
            });
        }
        if !row.price.is_nan() {
            out.timestamps.push(row.timestamp);
            out.values.push(row.price);
        }
    }
    Ok(out)
}
