//! The production roll of multiple and adjusted prices to the next contract (spec §2.6,
//! pysystemtrade `sysproduction/reporting/data/rolls.py`), run when an instrument is in roll state
//! `Roll_Adjusted` with no position in the priced contract.

use crate::adjust::{check_sorted, forward_filled, panama_adjust, without_trailing_missing};
use crate::contract_prices::PricesByContract;
use crate::error::RollError;
use systrade_model::{
    AdjustedPrices, ContractDate, MultiplePrices, MultiplePricesRow, RollParameters,
};

/// Multiple and adjusted prices after a roll.
#[derive(Debug, Clone, PartialEq)]
pub struct RolledPrices {
    pub multiple: MultiplePrices,
    pub adjusted: AdjustedPrices,
    /// Whether the last PRICE or FORWARD had to be inferred (an extra row was written first).
    pub inferred: bool,
}

/// Rolls to the next contract (spec §2.6):
/// 1. copy the multiple prices (forward-filled if asked), drop trailing rows with no price at all;
/// 2. take the last PRICE and FORWARD; when the last row lacks one, infer it from another column
///    that has a value there: `x = other_last + (x_m − other_m)` at the latest row m where both
///    exist for the same two contracts as in the last row;
/// 3. new priced = old forward; new forward = its next held contract; new carry = its carry contract;
/// 4. if a price was inferred, append a row at +1 s with the old contracts, PRICE and FORWARD;
/// 5. append a row at +1 s: PRICE = the old forward's last price in the old forward contract, FORWARD
///    and CARRY = the new forward's and carry's prices at the latest timestamp both they and the new
///    priced contract have prices (`prices`; NaN when unknown);
/// 6. re-stitch the adjusted prices from the new multiple prices ([`panama_adjust`]), dropping
///    trailing missing values.
pub fn roll_adjusted(
    multiple: &MultiplePrices,
    params: &RollParameters,
    prices: Option<&PricesByContract>,
    forward_fill: bool,
) -> Result<RolledPrices, RollError> {
    check_sorted(multiple)?;
    let mut rows = if forward_fill {
        forward_filled(multiple)
    } else {
        multiple.clone()
    };
    while rows
        .last()
        .is_some_and(|r| r.price.is_nan() && r.forward.is_nan() && r.carry.is_nan())
    {
        rows.pop();
    }
    let last = *rows.last().ok_or(RollError::EmptyMultiplePrices)?;
    let (price, price_inferred) = latest_or_inferred(&rows, Column::Price)?;
    let (forward, forward_inferred) = latest_or_inferred(&rows, Column::Forward)?;
    let new_priced = last.forward_contract;
    let new_forward = params.next_held_contract(new_priced);
    let new_carry = params.carry_contract(new_priced);
    let mut timestamp = last.timestamp;
    let inferred = price_inferred || forward_inferred;
    if inferred {
        timestamp = timestamp.plus_seconds(1);
        rows.push(MultiplePricesRow {
            timestamp,
            price,
            forward,
            carry: f64::NAN,
            ..last
        });
    }
    let matched = |c| {
        prices
            .and_then(|p| p.last_matched(new_priced, c))
            .map_or(f64::NAN, |(_, _, v)| v)
    };
    rows.push(MultiplePricesRow {
        timestamp: timestamp.plus_seconds(1),
        price: forward,
        price_contract: new_priced,
        forward: matched(new_forward),
        forward_contract: new_forward,
        carry: matched(new_carry),
        carry_contract: new_carry,
    });
    let adjusted = restitched(&rows, forward_fill)?;
    Ok(RolledPrices {
        multiple: rows,
        adjusted,
        inferred,
    })
}

/// The adjusted prices of a roll (step 6 of [`roll_adjusted`]): `multiple` (the multiple prices
/// after the roll) re-stitched with [`panama_adjust`], trailing missing values dropped. Given the
/// multiple prices a roll wrote, this is the adjusted series it wrote (or was about to write): how
/// an interrupted roll is finished.
pub fn restitched(
    multiple: &MultiplePrices,
    forward_fill: bool,
) -> Result<AdjustedPrices, RollError> {
    Ok(without_trailing_missing(panama_adjust(
        multiple,
        forward_fill,
    )?))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Price,
    Forward,
    Carry,
}

impl Column {
    fn get(self, r: &MultiplePricesRow) -> f64 {
        match self {
            Self::Price => r.price,
            Self::Forward => r.forward,
            Self::Carry => r.carry,
        }
    }

    fn contract(self, r: &MultiplePricesRow) -> ContractDate {
        match self {
            Self::Price => r.price_contract,
            Self::Forward => r.forward_contract,
            Self::Carry => r.carry_contract,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Price => "PRICE",
            Self::Forward => "FORWARD",
            Self::Carry => "CARRY",
        }
    }
}

fn latest_or_inferred(rows: &[MultiplePricesRow], col: Column) -> Result<(f64, bool), RollError> {
    let last = rows.last().ok_or(RollError::EmptyMultiplePrices)?;
    let value = col.get(last);
    if !value.is_nan() {
        return Ok((value, false));
    }
    let others = match col {
        Column::Price => [Column::Forward, Column::Carry],
        _ => [Column::Price, Column::Carry],
    };
    for other in others {
        let other_last = other.get(last);
        if other_last.is_nan() {
            continue;
        }
        // the latest row with both prices, for the same two contracts as the last row
        let same_contracts = |r: &MultiplePricesRow| {
            col.contract(r) == col.contract(last) && other.contract(r) == other.contract(last)
        };
        if let Some(m) = rows
            .iter()
            .rev()
            .find(|r| same_contracts(r) && !col.get(r).is_nan() && !other.get(r).is_nan())
        {
            return Ok((other_last + (col.get(m) - other.get(m)), true));
        }
    }
    Err(RollError::CannotInferPrice(col.name()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use systrade_model::{CarryOffset, ContractDate, InstrumentCode, Timestamp};

    fn params() -> RollParameters {
        RollParameters {
            instrument: InstrumentCode::new("US10").unwrap(),
            hold_cycle: "HMUZ".parse().unwrap(),
            priced_cycle: "HMUZ".parse().unwrap(),
            roll_offset_days: -25,
            carry_offset: CarryOffset::Next,
            expiry_offset: 19,
        }
    }

    fn row(ts: &str, p: f64, f: f64) -> MultiplePricesRow {
        MultiplePricesRow {
            timestamp: Timestamp::parse(ts).unwrap(),
            price: p,
            price_contract: ContractDate::from_id(20230900).unwrap(),
            forward: f,
            forward_contract: ContractDate::from_id(20231200).unwrap(),
            carry: f,
            carry_contract: ContractDate::from_id(20231200).unwrap(),
        }
    }

    #[test]
    fn us10_roll_spec_item_22() {
        let m = vec![
            row("2023-08-18 20:00:00", 109.0, 109.5),
            row("2023-08-21 20:00:00", 109.078125, 109.515625),
        ];
        let rolled = roll_adjusted(&m, &params(), None, false).unwrap();
        assert!(!rolled.inferred);
        let new = rolled.multiple.last().unwrap();
        assert_eq!(new.timestamp.to_string(), "2023-08-21 20:00:01");
        assert_eq!(new.price, 109.515625);
        assert_eq!(new.price_contract.id(), 20231200);
        assert_eq!(new.forward_contract.id(), 20240300);
        assert_eq!(new.carry_contract.id(), 20240300);
        assert!(new.forward.is_nan());
        assert_eq!(rolled.adjusted.values[1], 109.515625);
        assert_eq!(rolled.adjusted.values.len(), 3);
    }

    #[test]
    fn restitching_the_written_multiple_prices_gives_the_rolled_adjusted_prices() {
        let m = vec![
            row("2023-08-18 20:00:00", 109.0, 109.5),
            row("2023-08-21 20:00:00", f64::NAN, 110.0),
            row("2023-08-22 20:00:00", f64::NAN, f64::NAN),
        ];
        for forward_fill in [false, true] {
            let rolled = roll_adjusted(&m, &params(), None, forward_fill).unwrap();
            let again = restitched(&rolled.multiple, forward_fill).unwrap();
            assert_eq!(again.timestamps, rolled.adjusted.timestamps);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&again.values), bits(&rolled.adjusted.values));
        }
    }

    #[test]
    fn missing_last_price_is_inferred_with_an_extra_row() {
        let m = vec![
            row("2023-08-18 20:00:00", 109.0, 109.5),
            row("2023-08-21 20:00:00", f64::NAN, 110.0),
        ];
        let rolled = roll_adjusted(&m, &params(), None, false).unwrap();
        assert!(rolled.inferred);
        assert_eq!(rolled.multiple.len(), 4);
        let extra = rolled.multiple[2];
        assert_eq!(extra.timestamp.to_string(), "2023-08-21 20:00:01");
        assert_eq!(extra.price, 110.0 + (109.0 - 109.5));
        assert_eq!(
            rolled.multiple[3].timestamp.to_string(),
            "2023-08-21 20:00:02"
        );
        assert_eq!(rolled.multiple[3].price, 110.0);
    }
}
