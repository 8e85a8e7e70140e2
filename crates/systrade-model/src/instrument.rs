//! Instruments and their static configuration (pysystemtrade `sysobjects/instruments.py`,
//! `sysobjects/rolls.py`; data directory `config/instruments.csv`, `config/rolls.csv`).

use crate::contract::ContractDate;
use crate::roll_cycle::RollCycle;
use chrono::NaiveDate;
use std::fmt;
use std::str::FromStr;

/// An instrument code such as `SP500`, `US10` or `AEX_mini`: letters, digits, `_` and `-`.
/// It names files in the data directory, so nothing else is allowed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstrumentCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an instrument code (letters, digits, '_' and '-', at most 64 characters)")]
pub struct InstrumentCodeError(pub String);

impl InstrumentCode {
    pub fn new(code: &str) -> Result<Self, InstrumentCodeError> {
        let ok = !code.is_empty()
            && code.len() <= 64
            && !code.starts_with('-')
            && code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(Self(code.to_string()))
        } else {
            Err(InstrumentCodeError(code.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for InstrumentCode {
    type Err = InstrumentCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl fmt::Display for InstrumentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for InstrumentCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Asset class as written in `instrumentconfig.csv` (`Equity`, `Bond`, `Ags`, …); free text upstream.
pub type AssetClass = String;

/// One row of `config/instruments.csv`: static metadata and commissions.
#[derive(Debug, Clone, PartialEq)]
pub struct Instrument {
    pub code: InstrumentCode,
    pub description: String,
    /// Currency value of a 1.0 move in price for one contract.
    pub pointsize: f64,
    /// ISO-like currency code (`USD`, `EUR`, …; pysystemtrade spells the Mexican peso `MXP`).
    pub currency: String,
    pub asset_class: AssetClass,
    /// Commission per contract, instrument currency.
    pub per_block: f64,
    /// Commission as a fraction of notional value.
    pub percentage: f64,
    /// Fixed commission per ticket.
    pub per_trade: f64,
    /// `US`, `EMEA`, `ASIA`; `NO_REGION` when missing upstream.
    pub region: String,
}

/// Which priced contract provides carry: the one after (+1) or before (−1) the priced contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CarryOffset {
    Previous,
    Next,
}

impl CarryOffset {
    pub fn from_i64(v: i64) -> Option<Self> {
        match v {
            -1 => Some(Self::Previous),
            1 => Some(Self::Next),
            _ => None,
        }
    }

    pub fn as_i64(self) -> i64 {
        match self {
            Self::Previous => -1,
            Self::Next => 1,
        }
    }
}

/// One row of `config/rolls.csv` (pysystemtrade `rollParameters`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollParameters {
    pub instrument: InstrumentCode,
    /// Months we hold.
    pub hold_cycle: RollCycle,
    /// Months with prices.
    pub priced_cycle: RollCycle,
    /// Calendar days relative to expiry when we prefer to roll (≤ 0).
    pub roll_offset_days: i64,
    pub carry_offset: CarryOffset,
    /// Approximate expiry = first of contract month + this many days.
    pub expiry_offset: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RollParametersError {
    #[error("CarryOffset must be 1 or -1, got {0}")]
    CarryOffset(i64),
}

impl RollParameters {
    /// Number of rolls a year: the number of held months.
    pub fn rolls_per_year(&self) -> usize {
        self.hold_cycle.len()
    }

    pub fn next_held_contract(&self, c: ContractDate) -> ContractDate {
        self.hold_cycle.next_contract(c)
    }

    pub fn previous_held_contract(&self, c: ContractDate) -> ContractDate {
        self.hold_cycle.previous_contract(c)
    }

    pub fn next_priced_contract(&self, c: ContractDate) -> ContractDate {
        self.priced_cycle.next_contract(c)
    }

    pub fn previous_priced_contract(&self, c: ContractDate) -> ContractDate {
        self.priced_cycle.previous_contract(c)
    }

    /// The carry contract for a priced contract: previous or next *priced* contract.
    pub fn carry_contract(&self, c: ContractDate) -> ContractDate {
        match self.carry_offset {
            CarryOffset::Previous => self.previous_priced_contract(c),
            CarryOffset::Next => self.next_priced_contract(c),
        }
    }

    pub fn approx_expiry(&self, c: ContractDate) -> NaiveDate {
        c.approx_expiry(self.expiry_offset)
    }

    /// `desired_roll_date = approximate expiry + RollOffsetDays`.
    pub fn desired_roll_date(&self, c: ContractDate) -> NaiveDate {
        crate::contract::shift_days(self.approx_expiry(c), self.roll_offset_days)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_file_safe() {
        assert!(InstrumentCode::new("AEX_mini").is_ok());
        assert!(InstrumentCode::new("BRENT-LAST").is_ok());
        assert!(InstrumentCode::new("VIX#1").is_err());
        assert!(InstrumentCode::new("../x").is_err());
        assert!(InstrumentCode::new("").is_err());
    }

    #[test]
    fn corn_carry_is_previous_priced_month() {
        let p = RollParameters {
            instrument: InstrumentCode::new("CORN").unwrap(),
            hold_cycle: "Z".parse().unwrap(),
            priced_cycle: "HKNUZ".parse().unwrap(),
            roll_offset_days: -60,
            carry_offset: CarryOffset::Previous,
            expiry_offset: 14,
        };
        let dec = ContractDate::from_id(20201200).unwrap();
        assert_eq!(p.carry_contract(dec).id(), 20200900);
        assert_eq!(p.next_held_contract(dec).id(), 20211200);
        assert_eq!(p.rolls_per_year(), 1);
        assert_eq!(
            p.desired_roll_date(dec),
            NaiveDate::from_ymd_opt(2020, 10, 16).unwrap()
        );
    }
}
