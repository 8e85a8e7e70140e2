//! Merging fetched data into stored data (spec §4.10): only rows strictly newer than the last stored
//! one are added; with a revision window, stored rows inside the window that the source now reports
//! differently are overwritten and every change is recorded. Rows the source no longer reports are
//! never deleted.

use crate::bar::{Bar, FxPoint};
use systrade_model::Timestamp;

/// A stored row the source revised: the values before and after.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Revision<T> {
    pub old: T,
    pub new: T,
}

/// The merged series and what changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged<T> {
    /// Old rows, revised rows and new rows, in time order.
    pub rows: Vec<T>,
    /// Rows that did not exist before (newer than the last stored row, or gaps inside the window).
    pub added: usize,
    pub revisions: Vec<Revision<T>>,
    /// Index in `rows` of the first added or revised row (`rows.len()` when nothing changed): the
    /// spike check looks at moves from there on.
    pub first_changed: usize,
}

impl<T> Merged<T> {
    pub fn changed(&self) -> bool {
        self.added > 0 || !self.revisions.is_empty()
    }
}

/// A row with a timestamp and values that can be compared (missing equals missing).
pub trait Row: Copy {
    fn timestamp(&self) -> Timestamp;
    fn same_values(&self, other: &Self) -> bool;
}

fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

impl Row for Bar {
    fn timestamp(&self) -> Timestamp {
        self.timestamp
    }
    fn same_values(&self, o: &Self) -> bool {
        same(self.open, o.open)
            && same(self.high, o.high)
            && same(self.low, o.low)
            && same(self.close, o.close)
            && same(self.volume, o.volume)
    }
}

impl Row for FxPoint {
    fn timestamp(&self) -> Timestamp {
        self.timestamp
    }
    fn same_values(&self, o: &Self) -> bool {
        same(self.rate, o.rate)
    }
}

/// Merges `new` (time order, unique timestamps) into `old` (time order). Without `revise_from`, rows
/// of `new` at or before the last old timestamp are ignored. With `revise_from = Some(t)`, rows of
/// `new` at or after `t` also replace old rows with the same timestamp when their values differ, and
/// fill timestamps missing from `old`.
pub fn merge_rows<T: Row>(old: &[T], new: &[T], revise_from: Option<Timestamp>) -> Merged<T> {
    let last_old = old.last().map(Row::timestamp);
    let newer = |r: &T| last_old.is_none_or(|l| r.timestamp() > l);
    let in_window = |r: &T| revise_from.is_some_and(|from| r.timestamp() >= from);
    let mut revisions = Vec::new();
    let mut added = 0;
    // Fast path: pure append (the daily case).
    if revise_from.is_none_or(|from| last_old.is_none_or(|l| from > l)) {
        let start = new.partition_point(|r| !newer(r));
        let mut rows = Vec::with_capacity(old.len() + new.len() - start);
        rows.extend_from_slice(old);
        rows.extend_from_slice(&new[start..]);
        return Merged {
            first_changed: old.len(),
            added: new.len() - start,
            rows,
            revisions,
        };
    }
    let mut rows = Vec::with_capacity(old.len() + new.len());
    let (mut i, mut j) = (0, 0);
    let mut first_changed = usize::MAX;
    while i < old.len() || j < new.len() {
        let take_new = match (old.get(i), new.get(j)) {
            (Some(o), Some(n)) => {
                if n.timestamp() < o.timestamp() {
                    Some(false) // a new row before this old one
                } else if n.timestamp() == o.timestamp() {
                    None // same timestamp
                } else {
                    Some(true) // the old row comes first
                }
            }
            (Some(_), None) => Some(true),
            (None, Some(_)) => Some(false),
            (None, None) => unreachable!(),
        };
        match take_new {
            Some(true) => {
                rows.push(old[i]);
                i += 1;
            }
            Some(false) => {
                let n = new[j];
                j += 1;
                if newer(&n) || in_window(&n) {
                    first_changed = first_changed.min(rows.len());
                    rows.push(n);
                    added += 1;
                }
            }
            None => {
                let (o, n) = (old[i], new[j]);
                i += 1;
                j += 1;
                if in_window(&n) && !o.same_values(&n) {
                    first_changed = first_changed.min(rows.len());
                    revisions.push(Revision { old: o, new: n });
                    rows.push(n);
                } else {
                    rows.push(o);
                }
            }
        }
    }
    Merged {
        first_changed: first_changed.min(rows.len()),
        added,
        rows,
        revisions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(day: i64, rate: f64) -> FxPoint {
        FxPoint {
            timestamp: Timestamp::from_micros(day * systrade_model::time::MICROS_PER_DAY),
            rate,
        }
    }

    #[test]
    fn appends_only_newer_rows() {
        let old = [p(1, 1.0), p(2, 2.0)];
        let new = [p(2, 9.0), p(3, 3.0), p(4, 4.0)];
        let m = merge_rows(&old, &new, None);
        assert_eq!(m.rows, vec![p(1, 1.0), p(2, 2.0), p(3, 3.0), p(4, 4.0)]);
        assert_eq!((m.added, m.first_changed), (2, 2));
        assert!(m.revisions.is_empty());
        let again = merge_rows(&m.rows, &new, None);
        assert_eq!(again.added, 0);
        assert!(!again.changed());
        assert_eq!(again.first_changed, 4);
    }

    #[test]
    fn revision_window_overwrites_and_records() {
        let old = [p(1, 1.0), p(2, 2.0), p(4, 4.0), p(5, 5.0)];
        let new = [p(1, 7.0), p(2, 2.5), p(3, 3.0), p(4, 4.0), p(6, 6.0)];
        let m = merge_rows(&old, &new, Some(p(2, 0.0).timestamp));
        assert_eq!(
            m.rows,
            vec![
                p(1, 1.0),
                p(2, 2.5),
                p(3, 3.0),
                p(4, 4.0),
                p(5, 5.0),
                p(6, 6.0)
            ]
        );
        assert_eq!(m.added, 2);
        assert_eq!(
            m.revisions,
            vec![Revision {
                old: p(2, 2.0),
                new: p(2, 2.5)
            }]
        );
        assert_eq!(m.first_changed, 1);
    }

    #[test]
    fn into_empty_store_everything_is_new() {
        let new = [p(1, 1.0), p(2, 2.0)];
        let m = merge_rows(&[], &new, Some(p(0, 0.0).timestamp));
        assert_eq!((m.added, m.first_changed, m.rows.len()), (2, 0, 2));
    }
}
