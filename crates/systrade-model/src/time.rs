//! Timestamps: naive wall-clock date-times (as pysystemtrade stores them), held as microseconds since
//! 1970-01-01 00:00:00 without a time zone — the representation of Arrow `Timestamp(Microsecond, None)`.

use chrono::{NaiveDate, NaiveDateTime};
use std::fmt;

/// A naive wall-clock instant with microsecond resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a timestamp (expected YYYY-MM-DD HH:MM:SS[.ffffff] or YYYY-MM-DD)")]
pub struct TimestampError(pub String);

pub const MICROS_PER_SECOND: i64 = 1_000_000;
pub const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

impl Timestamp {
    pub const fn from_micros(micros: i64) -> Self {
        Self(micros)
    }

    pub const fn micros(self) -> i64 {
        self.0
    }

    pub fn from_datetime(dt: NaiveDateTime) -> Self {
        Self(dt.and_utc().timestamp_micros())
    }

    /// Midnight at the start of `date`.
    pub fn from_date(date: NaiveDate) -> Self {
        Self::from_datetime(date.and_hms_opt(0, 0, 0).expect("midnight exists"))
    }

    /// The date-time; instants beyond chrono's range (about ±262,000 years, reachable only from a
    /// corrupt file, which readers reject) saturate to its limits instead of panicking.
    pub fn datetime(self) -> NaiveDateTime {
        match chrono::DateTime::from_timestamp_micros(self.0) {
            Some(dt) => dt.naive_utc(),
            None if self.0 < 0 => NaiveDateTime::MIN,
            None => NaiveDateTime::MAX,
        }
    }

    pub fn date(self) -> NaiveDate {
        self.datetime().date()
    }

    /// Days since 1970-01-01 (floor), the calendar day this instant falls on.
    pub fn day_number(self) -> i64 {
        self.0.div_euclid(MICROS_PER_DAY)
    }

    pub fn plus_seconds(self, seconds: i64) -> Self {
        Self(
            self.0
                .saturating_add(seconds.saturating_mul(MICROS_PER_SECOND)),
        )
    }

    /// Parses `YYYY-MM-DD HH:MM:SS`, with optional fractional seconds, a `T` separator, or a bare date.
    pub fn parse(text: &str) -> Result<Self, TimestampError> {
        let t = text.trim();
        for fmt in [
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M",
        ] {
            if let Ok(dt) = NaiveDateTime::parse_from_str(t, fmt) {
                return Ok(Self::from_datetime(dt));
            }
        }
        NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map(Self::from_date)
            .map_err(|_| TimestampError(text.to_string()))
    }
}

impl fmt::Display for Timestamp {
    /// `YYYY-MM-DD HH:MM:SS`, with `.ffffff` only when there are sub-second digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if chrono::DateTime::from_timestamp_micros(self.0).is_none() {
            return write!(f, "{} microseconds after 1970-01-01 (out of range)", self.0);
        }
        let dt = self.datetime();
        if self.0.rem_euclid(MICROS_PER_SECOND) == 0 {
            write!(f, "{}", dt.format("%Y-%m-%d %H:%M:%S"))
        } else {
            write!(f, "{}", dt.format("%Y-%m-%d %H:%M:%S%.6f"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display_round_trip() {
        let t = Timestamp::parse("2023-08-21 20:00:01").unwrap();
        assert_eq!(t.to_string(), "2023-08-21 20:00:01");
        assert_eq!(Timestamp::parse("1970-01-01").unwrap().micros(), 0);
        assert_eq!(
            Timestamp::parse("1969-12-31 23:00:00").unwrap().micros(),
            -3_600 * MICROS_PER_SECOND
        );
        assert_eq!(
            Timestamp::parse("1969-12-31 23:00:00")
                .unwrap()
                .day_number(),
            -1
        );
        assert!(Timestamp::parse("2023-13-01").is_err());
        assert!(Timestamp::parse("yesterday").is_err());
    }

    #[test]
    fn extreme_instants_do_not_panic() {
        for m in [i64::MAX, i64::MIN] {
            let t = Timestamp::from_micros(m);
            assert!(t.to_string().contains("out of range"));
            let _ = (t.date(), t.day_number(), t.plus_seconds(86_400));
        }
    }
}
