//! Indexes: outer and inner joins of sorted indexes (pandas `concat(..., axis=1, join="outer")` /
//! `add(fill_value=…)` alignment) and reindexing one series onto another index (pandas
//! `reindex`, exact and forward-filled), the one implementation of both in the workspace.

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

/// Below this many targets per key, a binary search per target beats one walk over the keys.
const SEARCH_BELOW: usize = 16;

/// How to find each target among the keys: one linear walk when the targets are sorted and not
/// much fewer than the keys, else a binary search per target. Both give the same values.
fn walks(keys_len: usize, target: &[impl Ord]) -> bool {
    target.len().saturating_mul(SEARCH_BELOW) >= keys_len && target.is_sorted()
}

/// pandas `x.reindex(target)`: the value at the same key, NaN where `target` has a key `keys`
/// lacks. `keys` must be sorted ascending without duplicates; `target` may be in any order.
/// Copies when the indexes are equal (the common case) and walks both once when `target` is sorted.
pub fn reindex<K: Ord>(keys: &[K], values: &[f64], target: &[K]) -> Vec<f64> {
    reindex_with(keys, values, target, true)
}

/// pandas `x.reindex(target, method="ffill")`: for each target key, the value at the last key
/// `<= target` (even if that value is NaN — follow with [`crate::ffill`] for `.ffill()` semantics);
/// NaN before the first key. `keys` must be sorted ascending; `target` may be in any order.
pub fn reindex_ffill<K: Ord>(keys: &[K], values: &[f64], target: &[K]) -> Vec<f64> {
    reindex_with(keys, values, target, false)
}

/// Both reindexes: for each target `t`, `n` = the number of keys `<= t`, and the value at key
/// `n − 1` when there is one (and, if `exact`, it equals `t`), else NaN.
fn reindex_with<K: Ord>(keys: &[K], values: &[f64], target: &[K], exact: bool) -> Vec<f64> {
    assert_eq!(keys.len(), values.len(), "one value per key");
    if keys == target {
        return values.to_vec();
    }
    let pick = |n: usize, t: &K| match n.checked_sub(1) {
        Some(i) if !exact || keys[i] == *t => values[i],
        _ => f64::NAN,
    };
    if !walks(keys.len(), target) {
        return target
            .iter()
            .map(|t| pick(keys.partition_point(|k| k <= t), t))
            .collect();
    }
    let mut out = Vec::with_capacity(target.len());
    let mut n = 0;
    for t in target {
        while n < keys.len() && keys[n] <= *t {
            n += 1;
        }
        out.push(pick(n, t));
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

    const NAN: f64 = f64::NAN;

    fn same(got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
        for (g, w) in got.iter().zip(want) {
            assert!(g.to_bits() == w.to_bits(), "{got:?} vs {want:?}");
        }
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
        // unsorted targets
        same(&reindex(&keys, &vals, &[5, 0, 1]), &[50.0, NAN, 10.0]);
        same(&reindex_ffill(&keys, &vals, &[9, 0, 2]), &[50.0, NAN, 10.0]);
    }

    #[test]
    fn walk_and_search_agree() {
        // many keys and few targets (search), as many targets (walk), equal indexes (copy)
        let keys: Vec<NaiveDate> = (1..=28).map(d).collect();
        let values: Vec<f64> = (0..keys.len())
            .map(|i| if i % 5 == 0 { NAN } else { i as f64 })
            .collect();
        let direct = |target: &[NaiveDate], ffill: bool| -> Vec<f64> {
            target
                .iter()
                .map(|t| {
                    let at = keys
                        .iter()
                        .rposition(|k| if ffill { k <= t } else { k == t });
                    at.map_or(NAN, |i| values[i])
                })
                .collect()
        };
        let few = vec![d(3), d(30)];
        let many: Vec<NaiveDate> = (0..40)
            .map(|i| d(1) + chrono::Days::new(i) - chrono::Days::new(2))
            .collect();
        for target in [few, many, keys.clone(), vec![]] {
            same(&reindex(&keys, &values, &target), &direct(&target, false));
            same(
                &reindex_ffill(&keys, &values, &target),
                &direct(&target, true),
            );
        }
    }
}
