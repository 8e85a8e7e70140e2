//! "Today" and "now" in one configured time zone for every tool: `SYSTRADE_TZ`, an IANA name such
//! as `Europe/London` or `America/Chicago` (default `UTC`). fetch-prices' today, run-step's run
//! date and time windows, place-orders' run date and limits, roll-contracts' roll and report
//! dates and the report's date all use it (and `scripts/daily` gives `date` the same zone), so a
//! run near midnight never has two different todays. Stored instants (run starts, fills,
//! backups) stay UTC.

use chrono::{NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

/// The environment variable naming the time zone of "today".
pub const TZ_ENV: &str = "SYSTRADE_TZ";

/// The configured time zone (`SYSTRADE_TZ`, default UTC).
///
/// # Errors
/// A name that is not an IANA time zone: a usage error (exit 2) naming the variable.
pub fn time_zone() -> anyhow::Result<Tz> {
    match std::env::var(TZ_ENV) {
        Err(_) => Ok(Tz::UTC),
        Ok(name) if name.trim().is_empty() => Ok(Tz::UTC),
        Ok(name) => name.trim().parse::<Tz>().map_err(|_| {
            crate::usage(format!(
                "{TZ_ENV}={name:?} is not a time zone name (use an IANA name such as Europe/London, America/Chicago or UTC)"
            ))
        }),
    }
}

/// Today's date in the configured time zone.
///
/// # Errors
/// See [`time_zone`].
pub fn today() -> anyhow::Result<NaiveDate> {
    Ok(Utc::now().with_timezone(&time_zone()?).date_naive())
}

/// The time of day in the configured time zone.
///
/// # Errors
/// See [`time_zone`].
pub fn time_of_day() -> anyhow::Result<NaiveTime> {
    Ok(Utc::now().with_timezone(&time_zone()?).time())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn names_parse_and_dates_follow_the_zone() {
        let tz: Tz = "Australia/Sydney".parse().unwrap();
        let instant = Utc.with_ymd_and_hms(2024, 3, 14, 20, 0, 0).unwrap();
        // 20:00 UTC is already the next day in Sydney, still the same day in Chicago
        assert_eq!(
            instant.with_timezone(&tz).date_naive(),
            NaiveDate::from_ymd_opt(2024, 3, 15).unwrap()
        );
        let chicago: Tz = "America/Chicago".parse().unwrap();
        assert_eq!(
            instant.with_timezone(&chicago).date_naive(),
            NaiveDate::from_ymd_opt(2024, 3, 14).unwrap()
        );
        assert!("Mars/Olympus".parse::<Tz>().is_err());
    }
}
