//! Outer and inner joins of sorted indexes (pandas `concat(..., axis=1, join="outer")` /
//! `add(fill_value=…)` alignment) and linear-merge reindexing for sorted targets. The semantics of
//! [`reindex_sorted`] / [`reindex_ffill_sorted`] are those of `crate::reindex` /
//! `reindex_ffill`; they walk both indexes once (and copy when the indexes are equal, the common
//! case) instead of a binary search per target.

use chrono::NaiveDate;

/// Sorted union of two strictly increasing indexes (pandas outer join).
pub fn union<K: Ord + Copy>(a: &[K], b: &[K]) -> Vec<K> {
    if a == b || b.is_empty() {
        return a.to_vec();
    }
    if a.is_empty() {
        return b.to_vec();
    }
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// Sorted union of many strictly increasing indexes (pairwise linear merges; an index equal to
/// the union so far costs one comparison pass).
pub fn union_all<'a>(indexes: impl IntoIterator<Item = &'a [NaiveDate]>) -> Vec<NaiveDate> {
    let mut indexes = indexes.into_iter();
    let Some(first) = indexes.next() else {
        return Vec::new();
    };
    let mut acc = first.to_vec();
    for ix in indexes {
        if ix != acc.as_slice() {
            acc = union(&acc, ix);
        }
    }
    acc
}

/// Sorted intersection of two strictly increasing indexes (pandas inner join).
pub fn intersection(a: &[NaiveDate], b: &[NaiveDate]) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// pandas `x.reindex(target)` for a sorted `target`: the value at the same key, NaN where absent.
pub fn reindex_sorted<K: Ord + Copy>(keys: &[K], values: &[f64], target: &[K]) -> Vec<f64> {
    assert_eq!(keys.len(), values.len(), "one value per key");
    if keys == target {
        return values.to_vec();
    }
    let mut out = Vec::with_capacity(target.len());
    let mut j = 0;
    for t in target {
        while j < keys.len() && keys[j] < *t {
            j += 1;
        }
        out.push(if j < keys.len() && keys[j] == *t {
            values[j]
        } else {
            f64::NAN
        });
    }
    out
}

/// pandas `x.reindex(target, method="ffill")` for a sorted `target`: the value at the last key
/// `<=` each target (even if NaN); NaN before the first key.
pub fn reindex_ffill_sorted<K: Ord + Copy>(keys: &[K], values: &[f64], target: &[K]) -> Vec<f64> {
    assert_eq!(keys.len(), values.len(), "one value per key");
    if keys == target {
        return values.to_vec();
    }
    let mut out = Vec::with_capacity(target.len());
    let mut j = 0;
    for t in target {
        while j < keys.len() && keys[j] <= *t {
            j += 1;
        }
        out.push(if j == 0 { f64::NAN } else { values[j - 1] });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 1, day).unwrap()
    }

    #[test]
    fn joins() {
        let a = [d(1), d(3), d(5)];
        let b = [d(2), d(3), d(6)];
        assert_eq!(union(&a, &b), vec![d(1), d(2), d(3), d(5), d(6)]);
        assert_eq!(intersection(&a, &b), vec![d(3)]);
        assert_eq!(union_all([&a[..], &b[..], &[d(4)][..]]).len(), 6);
    }

    #[test]
    fn merge_reindex_agrees_with_series_crate() {
        let keys = [d(2), d(4), d(6)];
        let values = [1.0, f64::NAN, 3.0];
        for target in [vec![d(1), d(2), d(3), d(4), d(7)], keys.to_vec(), vec![]] {
            let a = reindex_sorted(&keys, &values, &target);
            let b = crate::reindex(&keys, &values, &target);
            assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
            let a = reindex_ffill_sorted(&keys, &values, &target);
            let b = crate::reindex_ffill(&keys, &values, &target);
            assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
        }
    }
}
