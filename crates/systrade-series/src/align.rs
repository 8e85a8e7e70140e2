//! Aligning daily series on a common index, as pandas does when combining Series (arithmetic on
//! two Series, `pd.concat(axis=1)`, `reindex(…, method="ffill")`).

use crate::DailySeries;
use crate::index::union_all;
use chrono::NaiveDate;

/// Sorted union of the series' dates (pandas index union when two Series meet in arithmetic or
/// `pd.concat(axis=1)`), by linear merges of the already sorted indexes.
pub fn union_dates(series: &[&DailySeries]) -> Vec<NaiveDate> {
    union_all(series.iter().map(|s| s.dates.as_slice()))
}

/// Each series reindexed (exact match, NaN elsewhere) onto the union of their dates.
pub fn align_union(series: &[&DailySeries]) -> (Vec<NaiveDate>, Vec<Vec<f64>>) {
    let dates = union_dates(series);
    let cols = series
        .iter()
        .map(|s| crate::reindex(&s.dates, &s.values, &dates))
        .collect();
    (dates, cols)
}

/// `a op b` on the union index (pandas Series arithmetic).
pub fn binary_op(a: &DailySeries, b: &DailySeries, op: impl Fn(f64, f64) -> f64) -> DailySeries {
    if a.dates == b.dates {
        return a.with_values(
            a.values
                .iter()
                .zip(&b.values)
                .map(|(&x, &y)| op(x, y))
                .collect(),
        );
    }
    let (dates, cols) = align_union(&[a, b]);
    let values = cols[0]
        .iter()
        .zip(&cols[1])
        .map(|(&x, &y)| op(x, y))
        .collect();
    DailySeries::new(dates, values)
}

/// `b` aligned to `a`'s dates: pandas `b.reindex(a.index, method="ffill")` — the value at the
/// last date of `b` on or before each date of `a`.
pub fn reindex_ffill_to(b: &DailySeries, a: &DailySeries) -> Vec<f64> {
    crate::reindex_ffill(&b.dates, &b.values, &a.dates)
}

/// `x` as of each date of `index`: the last non-NaN value of `x` on or before the date
/// (pandas `x.reindex(index.index, method="ffill").ffill()`), on `index`'s dates.
pub fn asof(x: &DailySeries, index: &DailySeries) -> DailySeries {
    index.with_values(crate::ffill(&reindex_ffill_to(x, index)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_arithmetic() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let a = DailySeries::new(vec![d("2023-01-02"), d("2023-01-03")], vec![1.0, 2.0]);
        let b = DailySeries::new(vec![d("2023-01-03"), d("2023-01-04")], vec![10.0, 20.0]);
        let s = binary_op(&a, &b, |x, y| x + y);
        assert_eq!(s.dates.len(), 3);
        assert!(s.values[0].is_nan() && s.values[2].is_nan());
        assert_eq!(s.values[1], 12.0);
        assert_eq!(reindex_ffill_to(&a, &b), vec![2.0, 2.0]);
        let x = DailySeries::new(vec![d("2023-01-02"), d("2023-01-03")], vec![1.0, f64::NAN]);
        assert_eq!(asof(&x, &a).values, vec![1.0, 1.0]);
    }
}
