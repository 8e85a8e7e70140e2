//! pandas `resample("7D")` over a daily index: bins of seven calendar days from the first date,
//! labelled by their first day, and weekly returns from daily ones
//! (`x.cumsum().ffill().resample("7D").last().diff()`), as pysystemtrade's correlation estimates
//! use them.

use crate::{DailySeries, cumsum, ffill, reindex};
use chrono::NaiveDate;

/// The 7-day bins of `resample("7D")` over a union of dates: labels `d_k = first + 7k` up to the
/// last date, and the position (in the dates) of the last date in each bin.
#[derive(Debug, Clone, PartialEq)]
pub struct WeeklyBins {
    /// The first day of each bin.
    pub labels: Vec<NaiveDate>,
    last_in_bin: Vec<Option<usize>>,
}

impl WeeklyBins {
    /// The bins over `dates` (sorted ascending).
    pub fn new(dates: &[NaiveDate]) -> Self {
        let (Some(&first), Some(&last)) = (dates.first(), dates.last()) else {
            return Self {
                labels: Vec::new(),
                last_in_bin: Vec::new(),
            };
        };
        let bins = ((last - first).num_days() / 7) as usize + 1;
        let labels = (0..bins)
            .map(|k| first + chrono::Duration::days(7 * k as i64))
            .collect();
        let mut last_in_bin = vec![None; bins];
        for (i, d) in dates.iter().enumerate() {
            last_in_bin[((*d - first).num_days() / 7) as usize] = Some(i);
        }
        Self {
            labels,
            last_in_bin,
        }
    }

    /// One instrument's weekly returns on the labels: `level = returns.cumsum()` (NaN kept)
    /// forward-filled onto `dates` (the dates the bins were made from), the last level in each
    /// bin, differenced (`x.cumsum().ffill().resample("7D").last().diff()`).
    pub fn weekly_returns(&self, dates: &[NaiveDate], returns: &DailySeries) -> Vec<f64> {
        let level = ffill(&reindex(&returns.dates, &cumsum(&returns.values), dates));
        let at: Vec<f64> = self
            .last_in_bin
            .iter()
            .map(|i| i.map_or(f64::NAN, |i| level[i]))
            .collect();
        (0..at.len())
            .map(|k| if k == 0 { f64::NAN } else { at[k] - at[k - 1] })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn weekly_returns_are_differences_of_the_last_cumulated_return_per_seven_days() {
        let dates = crate::business_days(d(2024, 1, 1), d(2024, 1, 19)); // three weeks, Mon..Fri
        let mut r = vec![1.0; dates.len()];
        r[0] = f64::NAN;
        r[6] = f64::NAN; // a missing return counts as 0 after the ffill of the cumulated level
        let bins = WeeklyBins::new(&dates);
        assert_eq!(
            bins.labels,
            vec![d(2024, 1, 1), d(2024, 1, 8), d(2024, 1, 15)]
        );
        let weekly = bins.weekly_returns(&dates, &DailySeries::new(dates.clone(), r));
        assert!(weekly[0].is_nan());
        assert_eq!(&weekly[1..], &[4.0, 5.0]);
        // starts in week 2: level 2·5 = 10 at the end of week 2, 20 at the end of week 3
        let late = DailySeries::new(dates[5..].to_vec(), vec![2.0; dates.len() - 5]);
        let weekly = bins.weekly_returns(&dates, &late);
        assert!(weekly[0].is_nan() && weekly[1].is_nan());
        assert_eq!(weekly[2], 10.0);
        assert!(WeeklyBins::new(&[]).labels.is_empty());
    }
}
