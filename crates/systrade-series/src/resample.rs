//! Resampling timestamped observations to business days (pandas `resample("1B")` with `last`,
//! `mean` and `ffill`).

use crate::calendar::{business_day_floor, business_days};
use crate::series::DailySeries;
use systrade_model::Timestamp;
use systrade_model::time::MICROS_PER_DAY;

/// Days from 1970-01-01 to 0001-01-01 counted the way chrono's `from_num_days_from_ce` counts.
const UNIX_EPOCH_DAYS_FROM_CE: i64 = 719_163;

/// The day number (days since 1970-01-01) of the business day whose `"1B"` bin contains day `day`:
/// the day itself on a weekday, the preceding Friday on a weekend. 1970-01-01 was a Thursday, so
/// `(day + 3) mod 7` is the weekday with Monday = 0.
fn business_day_floor_number(day: i64) -> i64 {
    let weekday = (day + 3).rem_euclid(7);
    if weekday >= 5 {
        day - (weekday - 4)
    } else {
        day
    }
}

fn date_of_day_number(day: i64) -> chrono::NaiveDate {
    i32::try_from(day + UNIX_EPOCH_DAYS_FROM_CE)
        .ok()
        .and_then(chrono::NaiveDate::from_num_days_from_ce_opt)
        .expect("day number in chrono's range")
}

/// Groups `(timestamp, value)` pairs into business-day bins: returns the business-day index from
/// the first to the last bin (every Mon–Fri, empty bins included) and, per bin, the range of input
/// rows in it. Timestamps must be sorted ascending. Works on integer day numbers (no calendar
/// conversion per row): this runs over every intraday row of 50 years of prices.
fn business_day_bins(timestamps: &[Timestamp]) -> (Vec<chrono::NaiveDate>, Vec<(usize, usize)>) {
    let (Some(first), Some(last)) = (timestamps.first(), timestamps.last()) else {
        return (Vec::new(), Vec::new());
    };
    assert!(
        timestamps.windows(2).all(|w| w[0] <= w[1]),
        "timestamps must be sorted"
    );
    let first_day = business_day_floor_number(first.day_number());
    let last_day = business_day_floor_number(last.day_number());
    let capacity = usize::try_from((last_day - first_day) / 7 * 5 + 5).unwrap_or(0);
    let mut dates = Vec::with_capacity(capacity);
    let mut ranges = Vec::with_capacity(capacity);
    let mut row = 0;
    let mut day = first_day;
    let mut date = date_of_day_number(first_day);
    while day <= last_day {
        // Next business day: Friday (weekday 4) jumps to Monday. This bin holds the rows before
        // that day's midnight (rows are sorted, and earlier rows went to earlier bins), so a row
        // costs one comparison.
        let step = if (day + 3).rem_euclid(7) == 4 { 3 } else { 1 };
        let end = (day + step).saturating_mul(MICROS_PER_DAY);
        let start = row;
        while row < timestamps.len() && timestamps[row].micros() < end {
            row += 1;
        }
        dates.push(date);
        ranges.push((start, row));
        day += step;
        date = date + chrono::Days::new(step as u64);
    }
    debug_assert_eq!(row, timestamps.len());
    (dates, ranges)
}

/// pandas `x.resample("1B").last()`: one row per business day from the first observation's bin to
/// the last's; each holds the last non-NaN value whose timestamp falls in that day (weekend
/// timestamps fall into the preceding Friday); days with none are NaN (spec §3.1).
pub fn resample_business_day_last(timestamps: &[Timestamp], values: &[f64]) -> DailySeries {
    assert_eq!(timestamps.len(), values.len(), "one value per timestamp");
    let (dates, ranges) = business_day_bins(timestamps);
    let values = ranges
        .iter()
        .map(|&(s, e)| {
            values[s..e]
                .iter()
                .rev()
                .copied()
                .find(|v| !v.is_nan())
                .unwrap_or(f64::NAN)
        })
        .collect();
    DailySeries::new(dates, values)
}

/// pandas `x.resample("1B").mean()`: per business-day bin, `Σ x / count` over its non-NaN values
/// (Kahan-compensated sum in row order, as pandas' group mean); NaN for days with none.
pub fn resample_business_day_mean(timestamps: &[Timestamp], values: &[f64]) -> DailySeries {
    assert_eq!(timestamps.len(), values.len(), "one value per timestamp");
    let (dates, ranges) = business_day_bins(timestamps);
    let values = ranges
        .iter()
        .map(|&(s, e)| {
            let (mut sum, mut comp, mut count) = (0.0_f64, 0.0_f64, 0usize);
            for &v in &values[s..e] {
                if v.is_nan() {
                    continue;
                }
                count += 1;
                let y = v - comp;
                let t = sum + y;
                comp = t - sum - y;
                if comp.is_nan() {
                    comp = 0.0;
                }
                sum = t;
            }
            if count == 0 {
                f64::NAN
            } else {
                sum / count as f64
            }
        })
        .collect();
    DailySeries::new(dates, values)
}

/// pandas `price.resample("1B").ffill()` for timestamped prices (sorted, unique): one label per
/// business day from the first stamp's business day to the last's; label `d` (at 00:00) takes
/// the value of the last stamp `≤ d 00:00` (NaN values included: follow with `ffill`), NaN before
/// the first stamp.
///
/// pandas skips the lookup when the stamps already have business-day frequency (one stamp on every
/// business day at the same time of day, over at least 3 stamps and one weekend) and then simply
/// relabels the values to their dates; that case is reproduced.
pub fn resample_business_day_ffill(timestamps: &[Timestamp], values: &[f64]) -> DailySeries {
    assert_eq!(timestamps.len(), values.len(), "one value per timestamp");
    let (Some(first), Some(last)) = (timestamps.first(), timestamps.last()) else {
        return DailySeries::default();
    };
    let labels = business_days(
        business_day_floor(first.date()),
        business_day_floor(last.date()),
    );
    if has_business_day_frequency(timestamps) && labels.len() == timestamps.len() {
        return DailySeries::new(labels, values.to_vec());
    }
    let label_stamps: Vec<Timestamp> = labels.iter().map(|&d| Timestamp::from_date(d)).collect();
    let daily = crate::reindex_ffill(timestamps, values, &label_stamps);
    DailySeries::new(labels, daily)
}

/// pandas' `inferred_freq == "B"`: at least 3 stamps, all on weekdays, consecutive gaps of exactly
/// one day except exactly three days from a Friday to a Monday, and both kinds of gap present.
fn has_business_day_frequency(timestamps: &[Timestamp]) -> bool {
    if timestamps.len() < 3 {
        return false;
    }
    let (mut one, mut three) = (false, false);
    for pair in timestamps.windows(2) {
        let gap = pair[1].micros() - pair[0].micros();
        let weekday = (pair[1].day_number() + 3).rem_euclid(7); // Monday = 0
        if gap == MICROS_PER_DAY && (1..=4).contains(&weekday) {
            one = true;
        } else if gap == 3 * MICROS_PER_DAY && weekday == 0 {
            three = true;
        } else {
            return false;
        }
    }
    one && three
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    const NAN: f64 = f64::NAN;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }
    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }
    fn same(got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
        for (g, w) in got.iter().zip(want) {
            assert!((g.is_nan() && w.is_nan()) || g == w, "{got:?} vs {want:?}");
        }
    }

    #[test]
    fn day_number_floor_agrees_with_the_calendar() {
        // Before and after 1970-01-01 (a Thursday), every weekday, against chrono's weekdays.
        for day in -1_500..1_500_i64 {
            let date = date_of_day_number(day);
            assert_eq!(
                date,
                NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::TimeDelta::days(day)
            );
            assert_eq!(
                date_of_day_number(business_day_floor_number(day)),
                crate::calendar::business_day_floor(date),
                "{date}"
            );
        }
        // Bins over a span with a weekend and an empty week: every Mon–Fri, weekend rows on Friday.
        let t = [
            ts("1969-12-26 10:00:00"),
            ts("1969-12-27 10:00:00"),
            ts("1970-01-12 01:00:00"),
        ];
        let (dates, ranges) = business_day_bins(&t);
        assert_eq!(
            dates,
            crate::calendar::business_days(d("1969-12-26"), d("1970-01-12"))
        );
        assert_eq!(ranges[0], (0, 2));
        assert_eq!(ranges[1], (2, 2));
        assert_eq!(*ranges.last().unwrap(), (2, 3));
    }

    #[test]
    fn every_row_lands_in_its_calendar_bin() {
        // Pseudo-random sorted stamps over ~8 years around 1970 (weekends, gaps, several per day),
        // checked row by row against chrono's weekday rule.
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut t = Timestamp::parse("1966-03-05 17:00:00").unwrap().micros();
        let mut stamps = Vec::new();
        for _ in 0..5_000 {
            crate::test_support::xorshift(&mut x);
            t += (x % (3 * 86_400)) as i64 * 1_000_000 / 2;
            stamps.push(Timestamp::from_micros(t));
        }
        let (dates, ranges) = business_day_bins(&stamps);
        assert_eq!(ranges.last().unwrap().1, stamps.len());
        for (date, &(s, e)) in dates.iter().zip(&ranges) {
            for ts in &stamps[s..e] {
                assert_eq!(
                    crate::calendar::business_day_floor(ts.date()),
                    *date,
                    "{ts:?}"
                );
            }
        }
    }

    #[test]
    fn last_per_business_day() {
        // Thu 17th two stamps (last non-NaN wins), Fri 18th only NaN, Sat 19th → Friday bin,
        // Mon 21st nothing, Tue 22nd one.
        let t = [
            ts("2023-08-17 10:00:00"),
            ts("2023-08-17 23:00:00"),
            ts("2023-08-17 23:30:00"),
            ts("2023-08-18 20:00:00"),
            ts("2023-08-19 01:00:00"),
            ts("2023-08-22 20:00:00"),
        ];
        let v = [1.0, 2.0, NAN, NAN, 5.0, 6.0];
        let r = resample_business_day_last(&t, &v);
        assert_eq!(
            r.dates,
            vec![
                d("2023-08-17"),
                d("2023-08-18"),
                d("2023-08-21"),
                d("2023-08-22")
            ]
        );
        same(&r.values, &[2.0, 5.0, NAN, 6.0]);
        let m = resample_business_day_mean(&t, &v);
        same(&m.values, &[1.5, 5.0, NAN, 6.0]);
        assert!(resample_business_day_last(&[], &[]).is_empty());
    }

    #[test]
    fn weekend_only_series_lands_on_friday() {
        let r = resample_business_day_last(&[ts("2023-08-20 12:00:00")], &[3.0]);
        assert_eq!(r.dates, vec![d("2023-08-18")]);
        same(&r.values, &[3.0]);
    }

    #[test]
    fn resample_ffill_takes_the_last_stamp_before_midnight() {
        // Thu 17th 23:00, Fri 18th 10:00 and 23:00, Mon 21st 00:00 (exactly at the label), Tue 22nd
        let t = [
            ts("2023-08-17 23:00:00"),
            ts("2023-08-18 10:00:00"),
            ts("2023-08-18 23:00:00"),
            ts("2023-08-21 00:00:00"),
            ts("2023-08-22 17:00:00"),
        ];
        let r = resample_business_day_ffill(&t, &[1.0, 2.0, NAN, 4.0, 5.0]);
        assert_eq!(
            r.dates,
            vec![
                d("2023-08-17"),
                d("2023-08-18"),
                d("2023-08-21"),
                d("2023-08-22")
            ]
        );
        // 17th 00:00: nothing yet; 18th: Thu's 1.0; 21st 00:00: the stamp at the label; 22nd: 4.0
        let v = r.values;
        assert!(v[0].is_nan());
        assert_eq!(&v[1..], &[1.0, 4.0, 4.0]);
        // Fri 18th's last value was NaN: Mon gets 4.0 only because a stamp sits on its label
        let r = resample_business_day_ffill(&t[..3], &[1.0, 2.0, NAN]);
        assert_eq!(r.dates.len(), 2);
        assert_eq!(r.values[1], 1.0);
        assert!(resample_business_day_ffill(&[], &[]).is_empty());
    }

    #[test]
    fn business_daily_stamps_are_relabelled() {
        // one stamp every business day at 23:00, across a weekend: pandas relabels
        let t = [
            ts("2023-08-17 23:00:00"),
            ts("2023-08-18 23:00:00"),
            ts("2023-08-21 23:00:00"),
            ts("2023-08-22 23:00:00"),
        ];
        let r = resample_business_day_ffill(&t, &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(r.values, vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(r.dates[2], d("2023-08-21"));
        // a missing day (no weekend gap pattern) → lookup
        let r = resample_business_day_ffill(&[t[0], t[1], t[3]], &[1.0, 2.0, 4.0]);
        assert!(r.values[0].is_nan());
        assert_eq!(&r.values[1..], &[1.0, 2.0, 2.0]);
    }
}
