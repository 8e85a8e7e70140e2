//! Which contracts of an instrument to sample (spec §4.3 item 2, pysystemtrade
//! `sysproduction/update_sampled_contracts.py`).

use chrono::NaiveDate;
use systrade_model::{ContractDate, RollParameters};

/// Days after its approximate expiry that a contract stays in the sampled chain.
pub const EXPIRED_CONTRACT_GRACE_DAYS: i64 = 100;

/// The contracts to fetch for an instrument whose latest multiple-prices row names `key` (the
/// current price, forward and carry contracts):
/// take the furthest-out of them, go one priced contract further, and walk back through the priced
/// roll cycle while the approximate expiry is on or after `today − 100 days`. The key contracts are
/// always included. Sorted, no duplicates.
pub fn live_contracts(
    key: &[ContractDate],
    roll: &RollParameters,
    today: NaiveDate,
) -> Vec<ContractDate> {
    let Some(&furthest) = key.iter().max() else {
        return Vec::new();
    };
    let cutoff = systrade_model::contract::shift_days(today, -EXPIRED_CONTRACT_GRACE_DAYS);
    let mut out: Vec<ContractDate> = key.to_vec();
    let mut c = roll.next_priced_contract(furthest);
    // Bounded walk: a monthly cycle over 100 days plus the key contracts is far fewer than 600 steps.
    for _ in 0..600 {
        if roll.approx_expiry(c) < cutoff {
            break;
        }
        out.push(c);
        c = roll.previous_priced_contract(c);
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use systrade_model::{CarryOffset, InstrumentCode};

    fn c(id: i64) -> ContractDate {
        ContractDate::from_id(id).unwrap()
    }

    #[test]
    fn corn_chain() {
        // CORN: hold Z, priced HKNUZ, carry previous, expiry offset 14.
        let roll = RollParameters {
            instrument: InstrumentCode::new("CORN").unwrap(),
            hold_cycle: "Z".parse().unwrap(),
            priced_cycle: "HKNUZ".parse().unwrap(),
            roll_offset_days: -60,
            carry_offset: CarryOffset::Previous,
            expiry_offset: 14,
        };
        let today = NaiveDate::from_ymd_opt(2023, 8, 31).unwrap();
        // price Dec 23, forward Dec 24, carry Sep 23.
        let got = live_contracts(&[c(20231200), c(20241200), c(20230900)], &roll, today);
        let ids: Vec<i64> = got.iter().map(|c| c.id()).collect();
        // one priced contract past Dec 24 is Mar 25; back to contracts expiring >= 2023-05-23
        // (Jul 23 expires 2023-07-15).
        assert_eq!(
            ids,
            vec![
                20230700, 20230900, 20231200, 20240300, 20240500, 20240700, 20240900, 20241200,
                20250300
            ]
        );
    }
}
