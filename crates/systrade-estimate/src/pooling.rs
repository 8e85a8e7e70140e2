//! Pooling several instruments' data into one frame for a pooled estimate (pysystemtrade
//! `sysquant/estimators/pooled_correlation.py` over `syscore/pandas/list_of_df.py`).
//!
//! Each instrument's frame is forward-filled, resampled to weekly (`resample("W").last()`: bins
//! of Monday..Sunday labelled by their Sunday, the last value present in each bin per column,
//! every week from the first bin to the last), put on the union of all instruments' weeks, given
//! the union of all columns (a missing column is all 0.0, `reindex_to_common_columns`), and
//! stacked: instrument `i` (in the given order) stamped `i` microseconds after each label, rows
//! sorted by time. The estimate's lookback and minimum periods are then scaled by the number of
//! instruments (`length_adjustment`).

use crate::EstimateError;
use crate::correlation::DataFrame;
use chrono::{Datelike, Days, NaiveDate};
use std::collections::BTreeSet;
use systrade_model::Timestamp;

/// The Sunday ending the `W` (W-SUN) bin that holds `date`.
pub fn week_ending(date: NaiveDate) -> NaiveDate {
    let ahead = 6 - date.weekday().num_days_from_monday();
    date.checked_add_days(Days::new(u64::from(ahead)))
        .unwrap_or(date)
}

/// `frame.ffill().resample("W").last()` (forward fill optional), as (Sunday labels, columns).
fn weekly_last(frame: &DataFrame, forward_fill: bool) -> (Vec<NaiveDate>, Vec<Vec<f64>>) {
    let (Some(first), Some(last)) = (frame.index.first(), frame.index.last()) else {
        return (Vec::new(), vec![Vec::new(); frame.columns.len()]);
    };
    let first = week_ending(first.date());
    let weeks = ((week_ending(last.date()) - first).num_days() / 7) as usize + 1;
    let labels: Vec<NaiveDate> = (0..weeks)
        .map(|k| first + chrono::Duration::days(7 * k as i64))
        .collect();
    let columns = frame
        .columns
        .iter()
        .map(|col| {
            let mut out = vec![f64::NAN; weeks];
            let mut carried = f64::NAN;
            for (t, &v) in frame.index.iter().zip(col) {
                let v = if v.is_nan() && forward_fill {
                    carried
                } else {
                    v
                };
                if !v.is_nan() {
                    carried = v;
                    let k = ((week_ending(t.date()) - first).num_days() / 7) as usize;
                    out[k] = v;
                }
            }
            out
        })
        .collect();
    (labels, columns)
}

/// Stacks the instruments' weekly data into one frame (`pooled_correlation_estimator`'s
/// preparation); returns it with the number of instruments pooled (the `length_adjustment`).
pub fn pooled_weekly(
    frames: &[DataFrame],
    forward_fill: bool,
) -> Result<(DataFrame, usize), EstimateError> {
    if frames.is_empty() {
        return Err(EstimateError::NoData);
    }
    let names: Vec<String> = frames
        .iter()
        .flat_map(|f| f.names.iter().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let weekly: Vec<_> = frames
        .iter()
        .map(|f| weekly_last(f, forward_fill))
        .collect();
    let common: Vec<NaiveDate> = weekly
        .iter()
        .flat_map(|(labels, _)| labels.iter().copied())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let rows = common.len() * frames.len();
    let mut index = Vec::with_capacity(rows);
    let mut columns = vec![Vec::with_capacity(rows); names.len()];
    // position of each common week in each instrument's labels
    let positions: Vec<Vec<Option<usize>>> = weekly
        .iter()
        .map(|(labels, _)| {
            common
                .iter()
                .map(|d| labels.binary_search(d).ok())
                .collect()
        })
        .collect();
    for (w, day) in common.iter().enumerate() {
        let midnight = Timestamp::from_date(*day).micros();
        for (i, (frame, (_, cols))) in frames.iter().zip(&weekly).enumerate() {
            index.push(Timestamp::from_micros(midnight + i as i64));
            for (c, name) in names.iter().enumerate() {
                let v = match frame.names.iter().position(|n| n == name) {
                    None => 0.0,
                    Some(k) => positions[i][w].map_or(f64::NAN, |p| cols[k][p]),
                };
                columns[c].push(v);
            }
        }
    }
    Ok((DataFrame::new(index, names, columns)?, frames.len()))
}

/// The data `correlation_over_time_for_returns` correlates (pysystemtrade
/// `sysquant/estimators/correlation_over_time.py`, used for the IDM's instrument correlations):
/// each column's returns summed into a price index (`cumsum`, NaN kept), forward-filled if asked
/// (`forward_fill_price_index`), the last value of each `W` week, differenced.
pub fn weekly_returns_from_daily(
    frame: &DataFrame,
    forward_fill_price_index: bool,
) -> Result<DataFrame, EstimateError> {
    let index_frame = DataFrame::new(
        frame.index.clone(),
        frame.names.clone(),
        frame
            .columns
            .iter()
            .map(|col| {
                let mut acc = 0.0;
                col.iter()
                    .map(|v| {
                        if v.is_nan() {
                            f64::NAN
                        } else {
                            acc += v;
                            acc
                        }
                    })
                    .collect()
            })
            .collect(),
    )?;
    let (labels, levels) = weekly_last(&index_frame, forward_fill_price_index);
    let columns = levels
        .iter()
        .map(|l| {
            (0..l.len())
                .map(|k| if k == 0 { f64::NAN } else { l[k] - l[k - 1] })
                .collect()
        })
        .collect();
    DataFrame::new(
        labels.into_iter().map(Timestamp::from_date).collect(),
        frame.names.clone(),
        columns,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn weeks_end_on_sunday() {
        assert_eq!(week_ending(day(2024, 1, 1)), day(2024, 1, 7)); // Monday
        assert_eq!(week_ending(day(2024, 1, 7)), day(2024, 1, 7)); // Sunday
        assert_eq!(week_ending(day(2024, 1, 6)), day(2024, 1, 7)); // Saturday
    }

    #[test]
    fn stacks_with_microsecond_offsets_on_the_union_of_weeks() {
        let ts = |d: NaiveDate| Timestamp::from_date(d);
        // a: Mon 1st, Wed 3rd (NaN, filled), Mon 8th; b: Tue 9th only, and a column a lacks
        let a = DataFrame::new(
            vec![
                ts(day(2024, 1, 1)),
                ts(day(2024, 1, 3)),
                ts(day(2024, 1, 8)),
            ],
            vec!["r1".into()],
            vec![vec![1.0, f64::NAN, 3.0]],
        )
        .unwrap();
        let b = DataFrame::new(
            vec![ts(day(2024, 1, 9))],
            vec!["r1".into(), "r2".into()],
            vec![vec![5.0], vec![6.0]],
        )
        .unwrap();
        let (p, k) = pooled_weekly(&[a.clone(), b.clone()], true).unwrap();
        assert_eq!(k, 2);
        assert_eq!(p.names, vec!["r1".to_string(), "r2".to_string()]);
        let sun7 = Timestamp::from_date(day(2024, 1, 7)).micros();
        let sun14 = Timestamp::from_date(day(2024, 1, 14)).micros();
        let idx: Vec<i64> = p.index.iter().map(|t| t.micros()).collect();
        assert_eq!(idx, vec![sun7, sun7 + 1, sun14, sun14 + 1]);
        // week 1: a = 1 (ffilled over the NaN), b has no such week; week 2: a = 3, b = 5
        let r1 = &p.columns[0];
        assert_eq!(r1[0], 1.0);
        assert!(r1[1].is_nan());
        assert_eq!((r1[2], r1[3]), (3.0, 5.0));
        // a lacks r2: padded with zeros; b has it
        assert_eq!(p.columns[1][0], 0.0);
        assert!(p.columns[1][1].is_nan());
        assert_eq!(p.columns[1][3], 6.0);
        // without the forward fill the Wednesday NaN stays out, week 1 keeps Monday's 1.0
        let (q, _) = pooled_weekly(&[a], false).unwrap();
        assert_eq!(q.columns[0], vec![1.0, 3.0]);
        assert!(pooled_weekly(&[], true).is_err());
    }

    #[test]
    fn weekly_returns_sum_each_week_and_keep_gaps() {
        let ts = |d: NaiveDate| Timestamp::from_date(d);
        // Mon 1st .. Fri 12th: week 1 returns 1, 2, NaN; week 2 returns 4; a NaN week 3 day
        let f = DataFrame::new(
            vec![
                ts(day(2024, 1, 1)),
                ts(day(2024, 1, 2)),
                ts(day(2024, 1, 3)),
                ts(day(2024, 1, 8)),
                ts(day(2024, 1, 15)),
            ],
            vec!["x".into()],
            vec![vec![1.0, 2.0, f64::NAN, 4.0, f64::NAN]],
        )
        .unwrap();
        let w = weekly_returns_from_daily(&f, true).unwrap();
        assert_eq!(w.index.len(), 3);
        assert!(w.columns[0][0].is_nan());
        assert_eq!(w.columns[0][1], 4.0);
        // the index is forward-filled over the NaN: no change in week 3
        assert_eq!(w.columns[0][2], 0.0);
        let w = weekly_returns_from_daily(&f, false).unwrap();
        assert!(w.columns[0][2].is_nan());
    }
}
