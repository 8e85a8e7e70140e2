//! `instruments.parquet` (`backtest --output DIR`): each instrument's daily position, forecast and
//! P&L in long format, one row per instrument and business day of its account curve.
//!
//! | column | Arrow type | meaning |
//! |---|---|---|
//! | `date` | `Timestamp(Microsecond, None)`, non-null | business day, at midnight |
//! | `instrument` | `Utf8`, non-null | instrument code |
//! | `position` | `Float64`, nullable | buffered position in contracts, as held for that day's P&L |
//! | `forecast` | `Float64`, nullable | combined forecast (capped, −20…20 by default) |
//! | `pnl_gross` | `Float64`, nullable | gross P&L in base currency |
//! | `pnl_costs` | `Float64`, nullable | trading and holding costs in base currency (≤ 0) |
//! | `pnl_net` | `Float64`, nullable | net P&L in base currency (gross + costs, a null cost as 0) |
//!
//! Null = no value that day (before the first price, forecast or position). Rows grouped by
//! instrument (in the order given, one record batch each), dates ascending. zstd level 3, an
//! embedded Arrow schema (Arrow's writer), dictionary-encoded instrument codes.

use crate::error::{Result, StoreError};
use arrow_array::{
    Array, ArrayRef, Float64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use chrono::NaiveDate;
use parquet::errors::ParquetError;
use std::path::Path;
use std::sync::Arc;
use systrade_model::Timestamp;

/// The value columns after `date` and `instrument`, in file order.
pub const VALUE_COLUMNS: [&str; 5] = ["position", "forecast", "pnl_gross", "pnl_costs", "pnl_net"];

/// One instrument's columns for [`write_backtest_instruments`]; every slice one value per date
/// (NaN = none).
#[derive(Debug, Clone, Copy)]
pub struct InstrumentColumns<'a> {
    pub instrument: &'a str,
    pub dates: &'a [NaiveDate],
    pub position: &'a [f64],
    pub forecast: &'a [f64],
    pub pnl_gross: &'a [f64],
    pub pnl_costs: &'a [f64],
    pub pnl_net: &'a [f64],
}

impl InstrumentColumns<'_> {
    fn values(&self) -> [&[f64]; 5] {
        [
            self.position,
            self.forecast,
            self.pnl_gross,
            self.pnl_costs,
            self.pnl_net,
        ]
    }
}

/// One row of `instruments.parquet` as read back (NaN for null).
#[derive(Debug, Clone, PartialEq)]
pub struct InstrumentRow {
    pub date: NaiveDate,
    pub instrument: String,
    pub position: f64,
    pub forecast: f64,
    pub pnl_gross: f64,
    pub pnl_costs: f64,
    pub pnl_net: f64,
}

fn schema() -> Arc<Schema> {
    let mut fields = vec![
        Field::new(
            "date",
            DataType::Timestamp(TimeUnit::Microsecond, None),
            false,
        ),
        Field::new("instrument", DataType::Utf8, false),
    ];
    fields.extend(
        VALUE_COLUMNS
            .iter()
            .map(|c| Field::new(*c, DataType::Float64, true)),
    );
    Arc::new(Schema::new(fields))
}

fn encode(instruments: &[InstrumentColumns<'_>]) -> std::result::Result<Vec<u8>, ParquetError> {
    let batches = instruments.iter().map(|i| {
        let d: Vec<i64> = i
            .dates
            .iter()
            .map(|d| Timestamp::from_date(*d).micros())
            .collect();
        let mut arrays: Vec<ArrayRef> = vec![
            Arc::new(TimestampMicrosecondArray::from(d)),
            Arc::new(StringArray::from(vec![i.instrument; i.dates.len()])),
        ];
        for v in i.values() {
            let col: Float64Array = v.iter().map(|x| (!x.is_nan()).then_some(*x)).collect();
            arrays.push(Arc::new(col));
        }
        RecordBatch::try_new(schema(), arrays)
    });
    crate::columns::encode_table(schema(), batches)
}

/// Writes `path` atomically, one instrument after the other.
///
/// # Errors
/// A column whose length is not its instrument's number of dates; encoding or I/O failures.
pub fn write_backtest_instruments(
    path: &Path,
    instruments: &[InstrumentColumns<'_>],
) -> Result<()> {
    for i in instruments {
        if let Some((k, v)) = VALUE_COLUMNS
            .iter()
            .zip(i.values())
            .find(|(_, v)| v.len() != i.dates.len())
        {
            return Err(StoreError::format(
                path,
                format!(
                    "{}: {} values of {k} for {} dates",
                    i.instrument,
                    v.len(),
                    i.dates.len()
                ),
            ));
        }
    }
    let bytes = encode(instruments).map_err(|e| StoreError::format(path, e))?;
    crate::atomic::write_atomic(path, &bytes)
}

/// Reads `instruments.parquet` (schema checked).
///
/// # Errors
/// Unreadable file, another schema, a null date or instrument.
pub fn read_backtest_instruments(path: &Path) -> Result<Vec<InstrumentRow>> {
    let expected = format!(
        "date (timestamp), instrument (text), {} (float)",
        VALUE_COLUMNS.join(", ")
    );
    let mut rows = Vec::new();
    for batch in crate::columns::read_table(path, &schema(), &expected)? {
        let column = |k: usize| batch.column(k).as_any();
        let (Some(d), Some(c)) = (
            column(0).downcast_ref::<TimestampMicrosecondArray>(),
            column(1).downcast_ref::<StringArray>(),
        ) else {
            return Err(StoreError::format(path, "unexpected column types"));
        };
        let mut values: Vec<&Float64Array> = Vec::with_capacity(VALUE_COLUMNS.len());
        for k in 0..VALUE_COLUMNS.len() {
            let Some(a) = column(2 + k).downcast_ref::<Float64Array>() else {
                return Err(StoreError::format(path, "unexpected column types"));
            };
            values.push(a);
        }
        let value = |k: usize, row: usize| {
            if values[k].is_null(row) {
                f64::NAN
            } else {
                values[k].value(row)
            }
        };
        for k in 0..batch.num_rows() {
            if d.is_null(k) || c.is_null(k) {
                return Err(StoreError::format(
                    path,
                    format!("row {}: a null date or instrument", rows.len() + 1),
                ));
            }
            rows.push(InstrumentRow {
                date: Timestamp::from_micros(d.value(k)).date(),
                instrument: c.value(k).to_string(),
                position: value(0, k),
                forecast: value(1, k),
                pnl_gross: value(2, k),
                pnl_costs: value(3, k),
                pnl_net: value(4, k),
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
        let path = dir.path().join("instruments.parquet");
        let a_dates = [d0, d1];
        let b_dates = [d1];
        write_backtest_instruments(
            &path,
            &[
                InstrumentColumns {
                    instrument: "A",
                    dates: &a_dates,
                    position: &[f64::NAN, 2.0],
                    forecast: &[5.5, -20.0],
                    pnl_gross: &[0.0, 125.25],
                    pnl_costs: &[0.0, -3.5],
                    pnl_net: &[0.0, 121.75],
                },
                InstrumentColumns {
                    instrument: "B",
                    dates: &b_dates,
                    position: &[-1.0],
                    forecast: &[f64::NAN],
                    pnl_gross: &[10.0],
                    pnl_costs: &[-1.0],
                    pnl_net: &[9.0],
                },
            ],
        )
        .unwrap();
        let rows = read_backtest_instruments(&path).unwrap();
        let show: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    "{} {} {} {} {} {} {}",
                    r.date,
                    r.instrument,
                    r.position,
                    r.forecast,
                    r.pnl_gross,
                    r.pnl_costs,
                    r.pnl_net
                )
            })
            .collect();
        assert_eq!(
            show,
            [
                "2024-01-02 A NaN 5.5 0 0 0",
                "2024-01-03 A 2 -20 125.25 -3.5 121.75",
                "2024-01-03 B -1 NaN 10 -1 9",
            ]
        );
        let short = InstrumentColumns {
            instrument: "C",
            dates: &a_dates,
            position: &[1.0],
            forecast: &[1.0, 2.0],
            pnl_gross: &[1.0, 2.0],
            pnl_costs: &[1.0, 2.0],
            pnl_net: &[1.0, 2.0],
        };
        let e = write_backtest_instruments(&path, &[short]).unwrap_err();
        assert!(
            e.to_string()
                .contains("C: 1 values of position for 2 dates"),
            "{e}"
        );
        std::fs::write(&path, b"not parquet").unwrap();
        assert!(read_backtest_instruments(&path).is_err());
    }
}
