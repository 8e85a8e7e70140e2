//! Outer joins of date indexes (pandas `concat(..., axis=1, join="outer")` / `add(fill_value=…)`
//! alignment). Reindexing, ffill, diff and shift come from `systrade-series`; this small piece is
//! not there yet and can move to it.

use chrono::NaiveDate;

/// Sorted union of two strictly increasing indexes (pandas outer join).
pub fn union<K: Ord + Copy>(a: &[K], b: &[K]) -> Vec<K> {
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

/// Sorted union of many indexes.
pub fn union_all<'a>(indexes: impl IntoIterator<Item = &'a [NaiveDate]>) -> Vec<NaiveDate> {
    indexes
        .into_iter()
        .fold(Vec::new(), |acc, ix| union(&acc, ix))
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
}
