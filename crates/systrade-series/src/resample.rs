//! Resampling timestamped observations to business days (pandas `resample("1B")`) and reindexing
//! one series onto another index.

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

/// pandas `x.reindex(target)`: the value at the same key, NaN where `target` has a key `keys` lacks.
/// `keys` must be sorted ascending without duplicates.
pub fn reindex<K: Ord>(keys: &[K], values: &[f64], target: &[K]) -> Vec<f64> {
    assert_eq!(keys.len(), values.len(), "one value per key");
    target
        .iter()
        .map(|k| keys.binary_search(k).map_or(f64::NAN, |i| values[i]))
        .collect()
}

/// pandas `x.reindex(target, method="ffill")`: for each target key, the value at the last key
/// `<= target` (even if that value is NaN — follow with [`crate::ffill`] for `.ffill()` semantics);
/// NaN before the first key. `keys` must be sorted ascending.
pub fn reindex_ffill<K: Ord>(keys: &[K], values: &[f64], target: &[K]) -> Vec<f64> {
    assert_eq!(keys.len(), values.len(), "one value per key");
    target
        .iter()
        .map(|k| {
            let n = keys.partition_point(|x| x <= k);
            if n == 0 { f64::NAN } else { values[n - 1] }
        })
        .collect()
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
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
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
    fn reindexing() {
        let keys = [1, 3, 5];
        let vals = [10.0, NAN, 50.0];
        same(
            &reindex(&keys, &vals, &[0, 1, 2, 5]),
            &[NAN, 10.0, NAN, 50.0],
        );
        // ffill reindex takes the last key's value even when it is NaN.
        same(
            &reindex_ffill(&keys, &vals, &[0, 1, 2, 4, 9]),
            &[NAN, 10.0, 10.0, NAN, 50.0],
        );
    }
}
