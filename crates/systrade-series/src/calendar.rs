//! Business days as pandas' `BDay` / `"1B"` frequency sees them: Monday to Friday, no holidays.

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// True for Monday to Friday.
pub fn is_business_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The business day whose `"1B"` bin contains `date`: the date itself on a weekday, the preceding
/// Friday on a weekend (pandas `BDay().rollback`).
pub fn business_day_floor(date: NaiveDate) -> NaiveDate {
    match date.weekday() {
        Weekday::Sat => date - Days::new(1),
        Weekday::Sun => date - Days::new(2),
        _ => date,
    }
}

/// The first business day strictly after `date`.
pub fn next_business_day(date: NaiveDate) -> NaiveDate {
    match date.weekday() {
        Weekday::Fri => date + Days::new(3),
        Weekday::Sat => date + Days::new(2),
        _ => date + Days::new(1),
    }
}

/// All business days `d` with `business_day_floor(start) <= d <= end`, in order (pandas
/// `bdate_range` after rolling `start` back). Empty if `end` is before that.
pub fn business_days(start: NaiveDate, end: NaiveDate) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut d = business_day_floor(start);
    while d <= end {
        out.push(d);
        d = next_business_day(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn weekends_fall_back_to_friday() {
        // 2023-08-18 is a Friday.
        assert_eq!(business_day_floor(d("2023-08-18")), d("2023-08-18"));
        assert_eq!(business_day_floor(d("2023-08-19")), d("2023-08-18"));
        assert_eq!(business_day_floor(d("2023-08-20")), d("2023-08-18"));
        assert_eq!(business_day_floor(d("2023-08-21")), d("2023-08-21"));
        assert_eq!(next_business_day(d("2023-08-18")), d("2023-08-21"));
        assert_eq!(next_business_day(d("2023-08-20")), d("2023-08-21"));
    }

    #[test]
    fn range_skips_weekends() {
        let r = business_days(d("2023-08-17"), d("2023-08-22"));
        assert_eq!(
            r,
            vec![
                d("2023-08-17"),
                d("2023-08-18"),
                d("2023-08-21"),
                d("2023-08-22")
            ]
        );
        // Starting on a Sunday includes the preceding Friday.
        assert_eq!(
            business_days(d("2023-08-20"), d("2023-08-21"))[0],
            d("2023-08-18")
        );
        assert!(business_days(d("2023-08-22"), d("2023-08-21")).is_empty());
    }
}
