//! Trading calendars: weekdays minus a few fixed-date holidays per region.

use chrono::{Datelike, NaiveDate, Weekday};

/// Which fixed-date holidays close a market.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HolidayCalendar {
    /// 1 January, 4 July, 25 December.
    Us,
    /// 1 January, 1 May, 25 and 26 December.
    Emea,
    /// 1 January, 25 December (FX and markets of any other region).
    Global,
}

impl HolidayCalendar {
    /// The calendar of an instrument's `Region` (`US`, `EMEA`, anything else → global).
    pub fn for_region(region: &str) -> Self {
        match region {
            "US" => Self::Us,
            "EMEA" => Self::Emea,
            _ => Self::Global,
        }
    }

    /// Whether `date` is a holiday of this calendar (weekends are not holidays, see [`weekdays`]).
    pub fn is_holiday(self, date: NaiveDate) -> bool {
        let md = (date.month(), date.day());
        if md == (1, 1) || md == (12, 25) {
            return true;
        }
        match self {
            Self::Us => md == (7, 4),
            Self::Emea => md == (5, 1) || md == (12, 26),
            Self::Global => false,
        }
    }
}

/// Every Monday–Friday from `start` to `end`, both included.
pub fn weekdays(start: NaiveDate, end: NaiveDate) -> Vec<NaiveDate> {
    start
        .iter_days()
        .take_while(|d| *d <= end)
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn weekdays_skip_weekends() {
        // Fri 2023-08-25 .. Thu 2023-08-31
        let days = weekdays(d(2023, 8, 25), d(2023, 8, 31));
        assert_eq!(days.len(), 5);
        assert_eq!(days[0], d(2023, 8, 25));
        assert_eq!(days[1], d(2023, 8, 28));
    }

    #[test]
    fn regional_holidays() {
        assert!(HolidayCalendar::Us.is_holiday(d(2023, 7, 4)));
        assert!(!HolidayCalendar::Emea.is_holiday(d(2023, 7, 4)));
        assert!(HolidayCalendar::Emea.is_holiday(d(2023, 12, 26)));
        assert!(HolidayCalendar::Global.is_holiday(d(2024, 1, 1)));
        assert!(!HolidayCalendar::Global.is_holiday(d(2024, 1, 2)));
        assert_eq!(HolidayCalendar::for_region("ASIA"), HolidayCalendar::Global);
    }
}
