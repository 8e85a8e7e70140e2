//! A production roll recorded before its files change (write-ahead), so that a run killed between
//! writing the multiple prices, the adjusted prices and the roll state can be finished or undone by
//! the next run (`roll-contracts`; stored in `state.sqlite` table `pending_rolls` by
//! `systrade-store`).

use crate::{ContractDate, InstrumentCode, MultiplePrices, RollState, Timestamp};

/// Where a multiple-prices series ends: its length, last timestamp and last priced contract.
/// Before and after a roll they always differ (a roll appends a row pricing a later contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MultipleEnd {
    pub rows: usize,
    pub timestamp: Timestamp,
    pub price_contract: ContractDate,
}

impl MultipleEnd {
    /// The end of `multiple`; `None` when it is empty.
    pub fn of(multiple: &MultiplePrices) -> Option<Self> {
        multiple.last().map(|r| Self {
            rows: multiple.len(),
            timestamp: r.timestamp,
            price_contract: r.price_contract,
        })
    }
}

/// A roll that was started and not yet recorded as done: the multiple prices ended at `before`
/// and will end at `after`; the adjusted prices are re-stitched from the new multiple prices
/// (forward-filled first if `forward_fill`); then the roll state goes from `previous_state` to
/// No_Roll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRoll {
    pub instrument: InstrumentCode,
    pub previous_state: RollState,
    pub before: MultipleEnd,
    pub after: MultipleEnd,
    pub forward_fill: bool,
}

/// How far a pending roll got, judged from the multiple prices on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollProgress {
    /// The multiple prices are still those before the roll (so are the adjusted prices, which are
    /// written after them): undo by forgetting the roll.
    NotWritten,
    /// The new multiple prices are written: finish by re-stitching the adjusted prices and storing
    /// the roll state.
    MultipleWritten,
    /// The multiple prices are neither: another writer replaced them since.
    Replaced,
}

impl PendingRoll {
    /// How far this roll got, given the multiple prices now stored.
    pub fn progress(&self, multiple: &MultiplePrices) -> RollProgress {
        match MultipleEnd::of(multiple) {
            Some(end) if end == self.after => RollProgress::MultipleWritten,
            Some(end) if end == self.before => RollProgress::NotWritten,
            _ => RollProgress::Replaced,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MultiplePricesRow;

    fn row(ts: &str, contract: i64) -> MultiplePricesRow {
        let c = ContractDate::from_id(contract).unwrap();
        MultiplePricesRow {
            timestamp: Timestamp::parse(ts).unwrap(),
            price: 1.0,
            price_contract: c,
            forward: f64::NAN,
            forward_contract: c,
            carry: f64::NAN,
            carry_contract: c,
        }
    }

    #[test]
    fn progress_tells_before_after_and_replaced() {
        let before = vec![row("2023-08-21 20:00:00", 20230900)];
        let mut after = before.clone();
        after.push(row("2023-08-21 20:00:01", 20231200));
        let roll = PendingRoll {
            instrument: InstrumentCode::new("US10").unwrap(),
            previous_state: RollState::RollAdjusted,
            before: MultipleEnd::of(&before).unwrap(),
            after: MultipleEnd::of(&after).unwrap(),
            forward_fill: false,
        };
        assert_eq!(roll.progress(&before), RollProgress::NotWritten);
        assert_eq!(roll.progress(&after), RollProgress::MultipleWritten);
        let mut other = after.clone();
        other.push(row("2023-08-22 20:00:00", 20231200));
        assert_eq!(roll.progress(&other), RollProgress::Replaced);
        assert_eq!(roll.progress(&Vec::new()), RollProgress::Replaced);
    }
}
