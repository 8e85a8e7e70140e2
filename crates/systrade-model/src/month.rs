//! Futures month letters: F G H J K M N Q U V X Z = January … December
//! (pysystemtrade `syscore/dateutils.py` `FUTURES_MONTH_LIST`).

use std::fmt;

/// A calendar month named by its futures letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FuturesMonth(u8);

/// The letters in month order.
pub const MONTH_LETTERS: [char; 12] = ['F', 'G', 'H', 'J', 'K', 'M', 'N', 'Q', 'U', 'V', 'X', 'Z'];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a futures month letter (expected one of FGHJKMNQUVXZ)")]
pub struct MonthLetterError(pub char);

impl FuturesMonth {
    /// Month from its number, 1 = January. Panics outside 1..=12 (use for literals).
    pub fn from_number(month: u8) -> Self {
        assert!((1..=12).contains(&month), "month {month} out of range");
        Self(month)
    }

    /// Month from its number, `None` outside 1..=12.
    pub fn checked_from_number(month: u8) -> Option<Self> {
        (1..=12).contains(&month).then_some(Self(month))
    }

    /// Month from its futures letter (case-insensitive).
    pub fn from_letter(letter: char) -> Result<Self, MonthLetterError> {
        let upper = letter.to_ascii_uppercase();
        MONTH_LETTERS
            .iter()
            .position(|&l| l == upper)
            .map(|i| Self(i as u8 + 1))
            .ok_or(MonthLetterError(letter))
    }

    /// 1 = January … 12 = December.
    pub fn number(self) -> u8 {
        self.0
    }

    /// The futures letter.
    pub fn letter(self) -> char {
        MONTH_LETTERS[usize::from(self.0 - 1)]
    }
}

impl fmt::Display for FuturesMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.letter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_round_trip() {
        for (i, &l) in MONTH_LETTERS.iter().enumerate() {
            let m = FuturesMonth::from_letter(l).unwrap();
            assert_eq!(m.number() as usize, i + 1);
            assert_eq!(m.letter(), l);
        }
        assert_eq!(FuturesMonth::from_letter('z').unwrap().number(), 12);
        assert_eq!(FuturesMonth::from_letter('A'), Err(MonthLetterError('A')));
    }
}
