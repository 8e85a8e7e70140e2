//! `optimised.parquet` (`backtest --output DIR` with the optimised system): the dynamically
//! optimised positions in long format, one row per instrument and optimiser date.
//!
//! | column | Arrow type | meaning |
//! |---|---|---|
//! | `date` | `Timestamp(Microsecond, None)`, non-null | the optimiser date, at midnight |
//! | `instrument` | `Utf8`, non-null | instrument code |
//! | `position` | `Int64`, non-null | optimised position in whole contracts |
//! | `optimal` | `Float64`, nullable | the optimiser's input: unrounded optimal position (null = none) |
//!
//! Rows grouped by instrument (in the order given), dates ascending. zstd level 3, an embedded
//! Arrow schema (Arrow's writer).

use crate::error::{Result, StoreError};
use arrow_array::{
    Array, ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use chrono::NaiveDate;
use parquet::errors::ParquetError;
use std::path::Path;
use std::sync::Arc;
use systrade_model::Timestamp;

/// One row of `optimised.parquet`.
#[derive(Debug, Clone, PartialEq)]
pub struct OptimisedPositionRow {
    pub date: NaiveDate,
    pub instrument: String,
    pub position: i64,
    /// NaN when there was none.
    pub optimal: f64,
}

/// One instrument's columns for [`write_optimised_positions`].
#[derive(Debug, Clone, Copy)]
pub struct OptimisedPositions<'a> {
    pub instrument: &'a str,
    /// One per date.
    pub positions: &'a [i64],
    /// One per date.
    pub optimal: &'a [f64],
}

fn schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new(
            "date",
            DataType::Timestamp(TimeUnit::Microsecond, None),
            false,
        ),
        Field::new("instrument", DataType::Utf8, false),
        Field::new("position", DataType::Int64, false),
        Field::new("optimal", DataType::Float64, true),
    ]))
}

fn encode(
    dates: &[NaiveDate],
    instruments: &[OptimisedPositions<'_>],
) -> std::result::Result<Vec<u8>, ParquetError> {
    let rows = dates.len() * instruments.len();
    let (mut d, mut code, mut position, mut optimal) = (
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
    );
    for i in instruments {
        for ((date, x), o) in dates.iter().zip(i.positions).zip(i.optimal) {
            d.push(Timestamp::from_date(*date).micros());
            code.push(i.instrument);
            position.push(*x);
            optimal.push((!o.is_nan()).then_some(*o));
        }
    }
    let arrays: Vec<ArrayRef> = vec![
        Arc::new(TimestampMicrosecondArray::from(d)),
        Arc::new(StringArray::from(code)),
        Arc::new(Int64Array::from(position)),
        Arc::new(Float64Array::from(optimal)),
    ];
    crate::columns::encode_table(schema(), [RecordBatch::try_new(schema(), arrays)])
}

/// Writes `path` atomically, one instrument after the other.
///
/// # Errors
/// A series whose length is not the number of dates; encoding or I/O failures.
pub fn write_optimised_positions(
    path: &Path,
    dates: &[NaiveDate],
    instruments: &[OptimisedPositions<'_>],
) -> Result<()> {
    if let Some(i) = instruments
        .iter()
        .find(|i| i.positions.len() != dates.len() || i.optimal.len() != dates.len())
    {
        return Err(StoreError::format(
            path,
            format!(
                "{}: {} positions and {} optimal positions for {} dates",
                i.instrument,
                i.positions.len(),
                i.optimal.len(),
                dates.len()
            ),
        ));
    }
    let bytes = encode(dates, instruments).map_err(|e| StoreError::format(path, e))?;
    crate::atomic::write_atomic(path, &bytes)
}

/// Reads `optimised.parquet` (schema checked).
///
/// # Errors
/// Unreadable file, another schema.
pub fn read_optimised_positions(path: &Path) -> Result<Vec<OptimisedPositionRow>> {
    let expected = "date (timestamp), instrument (text), position (integer), optimal (float)";
    let mut rows = Vec::new();
    for batch in crate::columns::read_table(path, &schema(), expected)? {
        let column = |k: usize| batch.column(k).as_any();
        let (Some(d), Some(c), Some(p), Some(o)) = (
            column(0).downcast_ref::<TimestampMicrosecondArray>(),
            column(1).downcast_ref::<StringArray>(),
            column(2).downcast_ref::<Int64Array>(),
            column(3).downcast_ref::<Float64Array>(),
        ) else {
            return Err(StoreError::format(path, "unexpected column types"));
        };
        for k in 0..batch.num_rows() {
            if d.is_null(k) || c.is_null(k) || p.is_null(k) {
                return Err(StoreError::format(path, format!("row {k}: a null value")));
            }
            rows.push(OptimisedPositionRow {
                date: Timestamp::from_micros(d.value(k)).date(),
                instrument: c.value(k).to_string(),
                position: p.value(k),
                optimal: if o.is_null(k) { f64::NAN } else { o.value(k) },
            });
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_in_long_format() {
        let d0 = NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
        let d1 = d0.succ_opt().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("optimised.parquet");
        let one = |instrument, positions, optimal| OptimisedPositions {
            instrument,
            positions,
            optimal,
        };
        write_optimised_positions(
            &path,
            &[d0, d1],
            &[
                one("A", &[1, -2], &[1.2, -1.6]),
                one("B", &[0, 3], &[f64::NAN, 2.9]),
            ],
        )
        .unwrap();
        let rows = read_optimised_positions(&path).unwrap();
        let got: Vec<(NaiveDate, &str, i64, String)> = rows
            .iter()
            .map(|r| {
                (
                    r.date,
                    r.instrument.as_str(),
                    r.position,
                    r.optimal.to_string(),
                )
            })
            .collect();
        let row = |d, c, p, o: &str| (d, c, p, o.to_string());
        assert_eq!(
            got,
            [
                row(d0, "A", 1, "1.2"),
                row(d1, "A", -2, "-1.6"),
                row(d0, "B", 0, "NaN"),
                row(d1, "B", 3, "2.9")
            ]
        );
        assert!(write_optimised_positions(&path, &[d0], &[one("A", &[1, 2], &[1.0])]).is_err());
        std::fs::write(&path, b"not parquet").unwrap();
        assert!(read_optimised_positions(&path).is_err());
    }
}
