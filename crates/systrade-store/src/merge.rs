//! Appending new data to stored data without rewriting history: only rows **newer than the last stored
//! row** (per contract for contract prices; later in the contract chain for roll calendars) are added;
//! rows at or before it are ignored, even when their values differ. Replacing history is a separate,
//! explicit operation (the `write_*` methods).

use std::collections::HashMap;
use systrade_model::{ContractBar, MultiplePricesRow, PriceSeries, RollCalendarRow, Timestamp};

/// A row of a stored time series: its timestamp and, for kinds holding several series in one file,
/// the key of its series (the contract id for contract prices, 0 otherwise).
pub trait TimedRow: Copy {
    fn timestamp(&self) -> Timestamp;
    fn series_key(&self) -> i64 {
        0
    }
    /// The order of rows in a file: (timestamp, series key) by default.
    fn order_key(&self) -> (i64, i64) {
        (self.timestamp().micros(), self.series_key())
    }
}

impl TimedRow for MultiplePricesRow {
    fn timestamp(&self) -> Timestamp {
        self.timestamp
    }
}

/// Roll calendars are ordered by their contract chain (see [`crate::check_roll_calendar_order`]).
impl TimedRow for RollCalendarRow {
    fn timestamp(&self) -> Timestamp {
        self.timestamp
    }
    fn order_key(&self) -> (i64, i64) {
        (self.current_contract.id(), 0)
    }
}

impl TimedRow for ContractBar {
    fn timestamp(&self) -> Timestamp {
        self.timestamp
    }
    fn series_key(&self) -> i64 {
        self.contract.id()
    }
}

/// Appends to `stored` the rows of `new` that come after the last stored row of their series (by
/// [`TimedRow::order_key`]), and keeps `stored` in that order. Returns how many rows were added.
pub fn merge_new_rows<R: TimedRow>(stored: &mut Vec<R>, new: &[R]) -> usize {
    let mut last: HashMap<i64, (i64, i64)> = HashMap::new();
    for r in stored.iter() {
        let e = last.entry(r.series_key()).or_insert(r.order_key());
        *e = (*e).max(r.order_key());
    }
    let before = stored.len();
    stored.extend(
        new.iter()
            .filter(|r| last.get(&r.series_key()).is_none_or(|k| r.order_key() > *k)),
    );
    let added = stored.len() - before;
    if added > 0 {
        stored.sort_by_key(TimedRow::order_key);
    }
    added
}

/// [`merge_new_rows`] for a single series (adjusted prices, FX rates): appends the values of `new`
/// timestamped after `stored`'s last timestamp. Returns how many were added.
pub fn merge_new_values(stored: &mut PriceSeries, new: &PriceSeries) -> usize {
    let last = stored.last_timestamp();
    let before = stored.len();
    for (t, v) in new.timestamps.iter().zip(&new.values) {
        if last.is_none_or(|l| *t > l) {
            stored.timestamps.push(*t);
            stored.values.push(*v);
        }
    }
    stored.len() - before
}

#[cfg(test)]
mod tests {
    use super::*;
    use systrade_model::ContractDate;

    fn ts(day: i64) -> Timestamp {
        Timestamp::from_micros(day * 86_400_000_000)
    }

    fn bar(contract: i64, day: i64, close: f64) -> ContractBar {
        ContractBar {
            contract: ContractDate::from_id(contract).unwrap(),
            timestamp: ts(day),
            open: close,
            high: close,
            low: close,
            close,
            volume: 1.0,
        }
    }

    #[test]
    fn only_newer_values_are_appended() {
        let mut stored = PriceSeries::new(vec![ts(1), ts(2)], vec![1.0, 2.0]);
        let new = PriceSeries::new(vec![ts(2), ts(3), ts(4)], vec![99.0, 3.0, f64::NAN]);
        assert_eq!(merge_new_values(&mut stored, &new), 2);
        assert_eq!(stored.timestamps, vec![ts(1), ts(2), ts(3), ts(4)]);
        assert_eq!(stored.values[1], 2.0, "history is not rewritten");
        assert!(stored.values[3].is_nan());
        assert_eq!(merge_new_values(&mut stored, &new), 0, "idempotent");
    }

    #[test]
    fn contract_rows_merge_per_contract() {
        let mut stored = vec![
            bar(20230300, 1, 1.0),
            bar(20230600, 1, 2.0),
            bar(20230300, 2, 3.0),
        ];
        let new = vec![
            bar(20230600, 1, 50.0), // not newer for its contract: ignored
            bar(20230600, 2, 4.0),  // newer for its contract: added
            bar(20230900, 0, 5.0),  // a new contract: added, sorted into place
        ];
        assert_eq!(merge_new_rows(&mut stored, &new), 2);
        let keys: Vec<_> = stored
            .iter()
            .map(|r| (r.timestamp, r.contract.id()))
            .collect();
        assert_eq!(
            keys,
            vec![
                (ts(0), 20230900),
                (ts(1), 20230300),
                (ts(1), 20230600),
                (ts(2), 20230300),
                (ts(2), 20230600)
            ]
        );
        assert_eq!(stored[2].close, 2.0);
        assert_eq!(merge_new_rows(&mut stored, &new), 0);
    }
}
