//! Roll cycles (pysystemtrade `sysobjects/rolls.py`): a set of month letters such as `HMUZ`; walking
//! to the next or previous month of a cycle wraps around the year.

use crate::contract::ContractDate;
use crate::month::{FuturesMonth, MonthLetterError};
use std::fmt;
use std::str::FromStr;

/// A non-empty set of months, kept in month order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RollCycle {
    months: Vec<FuturesMonth>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RollCycleError {
    #[error("empty roll cycle")]
    Empty,
    #[error(transparent)]
    Letter(#[from] MonthLetterError),
}

impl RollCycle {
    /// Every month: pysystemtrade's "global" cycle.
    pub fn all_months() -> Self {
        Self {
            months: (1..=12).map(FuturesMonth::from_number).collect(),
        }
    }

    pub fn months(&self) -> &[FuturesMonth] {
        &self.months
    }

    /// Number of months in the cycle; for a hold cycle this is `rolls_per_year`.
    pub fn len(&self) -> usize {
        self.months.len()
    }

    pub fn is_empty(&self) -> bool {
        self.months.is_empty()
    }

    pub fn contains(&self, month: FuturesMonth) -> bool {
        self.months.contains(&month)
    }

    /// The next month in the cycle strictly after `month`, with the year incremented on wrap.
    pub fn next_month(&self, year: u16, month: FuturesMonth) -> (u16, FuturesMonth) {
        match self.months.iter().find(|m| **m > month) {
            Some(&m) => (year, m),
            None => (year + 1, self.months[0]),
        }
    }

    /// The previous month in the cycle strictly before `month`, with the year decremented on wrap.
    pub fn previous_month(&self, year: u16, month: FuturesMonth) -> (u16, FuturesMonth) {
        match self.months.iter().rev().find(|m| **m < month) {
            Some(&m) => (year, m),
            None => (year - 1, *self.months.last().expect("non-empty")),
        }
    }

    /// Next contract in this cycle. If `contract`'s month is not in the cycle, first step back to
    /// the closest month that is, then advance one step (pysystemtrade `next_held_contract`).
    pub fn next_contract(&self, contract: ContractDate) -> ContractDate {
        let (y, m) = self.closest_at_or_before(contract.year(), contract.month());
        let (y, m) = self.next_month(y, m);
        contract.with_year_month(y, m)
    }

    /// Previous contract in this cycle. If `contract`'s month is not in the cycle, first step forward
    /// to the closest month that is, then step back one.
    pub fn previous_contract(&self, contract: ContractDate) -> ContractDate {
        let (y, m) = self.closest_at_or_after(contract.year(), contract.month());
        let (y, m) = self.previous_month(y, m);
        contract.with_year_month(y, m)
    }

    fn closest_at_or_before(&self, year: u16, month: FuturesMonth) -> (u16, FuturesMonth) {
        if self.contains(month) {
            (year, month)
        } else {
            self.previous_month(year, month)
        }
    }

    fn closest_at_or_after(&self, year: u16, month: FuturesMonth) -> (u16, FuturesMonth) {
        if self.contains(month) {
            (year, month)
        } else {
            self.next_month(year, month)
        }
    }
}

impl FromStr for RollCycle {
    type Err = RollCycleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut months = s
            .trim()
            .chars()
            .map(FuturesMonth::from_letter)
            .collect::<Result<Vec<_>, _>>()?;
        months.sort();
        months.dedup();
        if months.is_empty() {
            return Err(RollCycleError::Empty);
        }
        Ok(Self { months })
    }
}

impl fmt::Display for RollCycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for m in &self.months {
            write!(f, "{m}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: i64) -> ContractDate {
        ContractDate::from_id(id).unwrap()
    }

    #[test]
    fn hmuz_wraps_years() {
        let cycle: RollCycle = "ZHUM".parse().unwrap();
        assert_eq!(cycle.to_string(), "HMUZ");
        assert_eq!(cycle.next_contract(c(20231200)), c(20240300));
        assert_eq!(cycle.previous_contract(c(20240300)), c(20231200));
        // month not in cycle: step back to the closest valid, then advance
        assert_eq!(cycle.next_contract(c(20231000)), c(20231200));
        // step forward to the closest valid, then back
        assert_eq!(cycle.previous_contract(c(20231000)), c(20230900));
    }

    #[test]
    fn single_month_cycle() {
        let z: RollCycle = "Z".parse().unwrap();
        assert_eq!(z.next_contract(c(20221200)), c(20231200));
        assert_eq!(z.previous_contract(c(20221200)), c(20211200));
        assert!("".parse::<RollCycle>().is_err());
        assert!("HMQB".parse::<RollCycle>().is_err());
    }
}
