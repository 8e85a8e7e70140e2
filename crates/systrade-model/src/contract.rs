//! Contract dates (pysystemtrade `sysobjects/contract_dates_and_expiries.py`): an integer `YYYYMMDD`,
//! day `00` when only the month identifies the contract (e.g. `20231200`), a real day for weekly or
//! daily expiries.

use crate::month::FuturesMonth;
use chrono::{Days, NaiveDate};
use std::fmt;
use std::str::FromStr;

/// A futures contract date: year, month and (0 = monthly contract) day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContractDate {
    year: u16,
    month: u8,
    day: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContractDateError {
    #[error("contract id {0} is not YYYYMMDD (8 digits, year 1900-2199)")]
    Shape(i64),
    #[error("contract id {0} has month {1}, expected 01-12")]
    Month(i64, u32),
    #[error("contract id {0} has day {1}, which is not 00 or a day of that month")]
    Day(i64, u32),
    #[error("'{0}' is not a contract id (expected YYYYMMDD or YYYYMM)")]
    Text(String),
}

impl ContractDate {
    /// A monthly contract (day `00`).
    pub fn monthly(year: u16, month: FuturesMonth) -> Self {
        Self {
            year,
            month: month.number(),
            day: 0,
        }
    }

    /// Checks and converts the integer form `YYYYMMDD`.
    pub fn from_id(id: i64) -> Result<Self, ContractDateError> {
        if !(19_000_000..=21_991_231).contains(&id) {
            return Err(ContractDateError::Shape(id));
        }
        let year = (id / 10_000) as u16;
        let month = ((id / 100) % 100) as u32;
        let day = (id % 100) as u32;
        if !(1..=12).contains(&month) {
            return Err(ContractDateError::Month(id, month));
        }
        if day != 0 && NaiveDate::from_ymd_opt(i32::from(year), month, day).is_none() {
            return Err(ContractDateError::Day(id, day));
        }
        Ok(Self {
            year,
            month: month as u8,
            day: day as u8,
        })
    }

    /// The integer form `YYYYMMDD`.
    pub fn id(self) -> i64 {
        i64::from(self.year) * 10_000 + i64::from(self.month) * 100 + i64::from(self.day)
    }

    pub fn year(self) -> u16 {
        self.year
    }

    pub fn month(self) -> FuturesMonth {
        FuturesMonth::from_number(self.month)
    }

    /// 0 for a monthly contract.
    pub fn day(self) -> u8 {
        self.day
    }

    /// Same day-of-month convention, another month: used when walking roll cycles.
    pub fn with_year_month(self, year: u16, month: FuturesMonth) -> Self {
        Self {
            year,
            month: month.number(),
            day: 0,
        }
    }

    /// First day of the contract month, or the contract's own day when it has one.
    pub fn reference_date(self) -> NaiveDate {
        let day = if self.day == 0 {
            1
        } else {
            u32::from(self.day)
        };
        NaiveDate::from_ymd_opt(i32::from(self.year), u32::from(self.month), day)
            .expect("validated on construction")
    }

    /// Approximate expiry: reference date + `expiry_offset_days` (rollconfig `ExpiryOffset`).
    pub fn approx_expiry(self, expiry_offset_days: i64) -> NaiveDate {
        shift_days(self.reference_date(), expiry_offset_days)
    }

    /// The contract as a fractional year for carry (pysystemtrade `sysobjects/carry_data.py`):
    /// `floor(id / 10000) + ((id mod 10000) / 100) / 12`, so `20231200` → 2024.0 and `20240300` →
    /// 2024.25; day digits leak in as hundredths of a month, exactly as upstream.
    pub fn year_fraction(self) -> f64 {
        let id = self.id();
        let year = (id / 10_000) as f64;
        let month = (id % 10_000) as f64 / 100.0;
        year + month / 12.0
    }
}

/// `date + days` for a signed number of days.
pub fn shift_days(date: NaiveDate, days: i64) -> NaiveDate {
    if days >= 0 {
        date + Days::new(days as u64)
    } else {
        date - Days::new(days.unsigned_abs())
    }
}

impl fmt::Display for ContractDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.id())
    }
}

impl FromStr for ContractDate {
    type Err = ContractDateError;

    /// Accepts `YYYYMMDD` and `YYYYMM` (→ day `00`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ContractDateError::Text(s.to_string()));
        }
        match t.len() {
            8 => Self::from_id(
                t.parse()
                    .map_err(|_| ContractDateError::Text(s.to_string()))?,
            ),
            6 => Self::from_id(
                t.parse::<i64>()
                    .map_err(|_| ContractDateError::Text(s.to_string()))?
                    * 100,
            ),
            _ => Err(ContractDateError::Text(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked() {
        assert_eq!(ContractDate::from_id(20231200).unwrap().id(), 20231200);
        assert_eq!(ContractDate::from_id(20230915).unwrap().day(), 15);
        assert!(matches!(
            ContractDate::from_id(20231300),
            Err(ContractDateError::Month(..))
        ));
        assert!(matches!(
            ContractDate::from_id(20230231),
            Err(ContractDateError::Day(..))
        ));
        assert!(matches!(
            ContractDate::from_id(2023120),
            Err(ContractDateError::Shape(_))
        ));
        assert_eq!("202312".parse::<ContractDate>().unwrap().id(), 20231200);
        assert!("2023-12".parse::<ContractDate>().is_err());
    }

    #[test]
    fn year_fraction_matches_spec_examples() {
        // spec §8 item 12
        assert_eq!(
            ContractDate::from_id(20231200).unwrap().year_fraction(),
            2024.0
        );
        assert_eq!(
            ContractDate::from_id(20240300).unwrap().year_fraction(),
            2024.25
        );
    }

    #[test]
    fn approx_expiry_adds_offset_to_first_of_month() {
        let c = ContractDate::from_id(20230900).unwrap();
        assert_eq!(
            c.approx_expiry(6),
            NaiveDate::from_ymd_opt(2023, 9, 7).unwrap()
        );
        assert_eq!(
            c.approx_expiry(-11),
            NaiveDate::from_ymd_opt(2023, 8, 21).unwrap()
        );
    }
}
