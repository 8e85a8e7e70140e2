//! Resampling timestamped observations to business days (pandas `resample("1B")`) and reindexing
//! one series onto another index.

use crate::calendar::{business_day_floor, business_days};
use crate::series::DailySeries;
use systrade_model::Timestamp;

/// Groups `(timestamp, value)` pairs into business-day bins: returns the business-day index from
/// the first to the last bin (every Mon–Fri, empty bins included) and, per bin, the range of input
/// rows in it. Timestamps must be sorted ascending.
fn business_day_bins(timestamps: &[Timestamp]) -> (Vec<chrono::NaiveDate>, Vec<(usize, usize)>) {
    let (Some(first), Some(last)) = (timestamps.first(), timestamps.last()) else {
        return (Vec::new(), Vec::new());
    };
    assert!(
        timestamps.windows(2).all(|w| w[0] <= w[1]),
        "timestamps must be sorted"
    );
    let dates = business_days(first.date(), business_day_floor(last.date()));
    let mut ranges = Vec::with_capacity(dates.len());
    let mut row = 0;
    for &d in &dates {
        let start = row;
        while row < timestamps.len() && business_day_floor(timestamps[row].date()) == d {
            row += 1;
        }
        ranges.push((start, row));
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
