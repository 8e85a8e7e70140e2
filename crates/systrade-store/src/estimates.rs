//! `estimates.parquet` (`backtest --output DIR` with estimated forecast weights, FDM, instrument
//! weights or IDM; issue 17): the estimates in long format, one row per value.
//!
//! | column | Arrow type | meaning |
//! |---|---|---|
//! | `estimate` | `Utf8`, non-null | `forecast_weight`, `instrument_weight` (raw weights per fit period), `fdm`, `idm` (the smoothed multipliers per business day) |
//! | `instrument` | `Utf8`, nullable | the instrument (forecast weights, FDM; the weighted instrument for instrument weights); null for the IDM |
//! | `rule` | `Utf8`, nullable | the trading rule of a forecast weight; null otherwise |
//! | `date` | `Timestamp(Microsecond, None)`, non-null | the fit period's start (pooled estimates keep pysystemtrade's microsecond offsets), or the day of a multiplier |
//! | `period_end` | `Timestamp(Microsecond, None)`, nullable | the fit period's end (weights only) |
//! | `fit_start`, `fit_end` | `Timestamp(Microsecond, None)`, nullable | the data window the weights were fitted on; null for the first period, which has no data (1/N) |
//! | `value` | `Float64`, nullable | the weight or multiplier (null = NaN: no weight in that period) |
//!
//! Rows in the order given. zstd level 3, an embedded Arrow schema (Arrow's writer).

use crate::error::{Result, StoreError};
use arrow_array::{
    Array, ArrayRef, Float64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use std::path::Path;
use std::sync::Arc;
use systrade_model::Timestamp;

/// One row of `estimates.parquet`.
#[derive(Debug, Clone, PartialEq)]
pub struct EstimateRow {
    pub estimate: String,
    pub instrument: Option<String>,
    pub rule: Option<String>,
    pub date: Timestamp,
    pub period_end: Option<Timestamp>,
    pub fit_start: Option<Timestamp>,
    pub fit_end: Option<Timestamp>,
    /// NaN when there is none.
    pub value: f64,
}

fn schema() -> Arc<Schema> {
    let ts = || DataType::Timestamp(TimeUnit::Microsecond, None);
    Arc::new(Schema::new(vec![
        Field::new("estimate", DataType::Utf8, false),
        Field::new("instrument", DataType::Utf8, true),
        Field::new("rule", DataType::Utf8, true),
        Field::new("date", ts(), false),
        Field::new("period_end", ts(), true),
        Field::new("fit_start", ts(), true),
        Field::new("fit_end", ts(), true),
        Field::new("value", DataType::Float64, true),
    ]))
}

fn encode(rows: &[EstimateRow]) -> std::result::Result<Vec<u8>, ParquetError> {
    let micros = |t: Option<Timestamp>| t.map(|t| t.micros());
    let arrays: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(
            rows.iter().map(|r| r.estimate.as_str()).collect::<Vec<_>>(),
        )),
        Arc::new(StringArray::from(
            rows.iter()
                .map(|r| r.instrument.as_deref())
                .collect::<Vec<_>>(),
        )),
        Arc::new(StringArray::from(
            rows.iter().map(|r| r.rule.as_deref()).collect::<Vec<_>>(),
        )),
        Arc::new(TimestampMicrosecondArray::from(
            rows.iter().map(|r| r.date.micros()).collect::<Vec<_>>(),
        )),
        Arc::new(TimestampMicrosecondArray::from(
            rows.iter()
                .map(|r| micros(r.period_end))
                .collect::<Vec<_>>(),
        )),
        Arc::new(TimestampMicrosecondArray::from(
            rows.iter().map(|r| micros(r.fit_start)).collect::<Vec<_>>(),
        )),
        Arc::new(TimestampMicrosecondArray::from(
            rows.iter().map(|r| micros(r.fit_end)).collect::<Vec<_>>(),
        )),
        Arc::new(Float64Array::from(
            rows.iter()
                .map(|r| (!r.value.is_nan()).then_some(r.value))
                .collect::<Vec<_>>(),
        )),
    ];
    let batch = RecordBatch::try_new(schema(), arrays)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
        .set_created_by(crate::columns::CREATED_BY.to_string())
        .build();
    let mut bytes = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut bytes, schema(), Some(props))?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(bytes)
}

/// Writes `path` atomically.
///
/// # Errors
/// Encoding or I/O failures.
pub fn write_estimates(path: &Path, rows: &[EstimateRow]) -> Result<()> {
    let bytes = encode(rows).map_err(|e| StoreError::format(path, e))?;
    crate::atomic::write_atomic(path, &bytes)
}

/// Reads `estimates.parquet` (schema checked).
///
/// # Errors
/// Unreadable file, another schema, a null in a non-null column.
pub fn read_estimates(path: &Path) -> Result<Vec<EstimateRow>> {
    let file = std::fs::File::open(path).map_err(|e| StoreError::io(path, e))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| StoreError::format(path, e))?;
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| StoreError::format(path, e))?;
        if batch.schema().fields() != schema().fields() {
            return Err(StoreError::format(
                path,
                "expected the columns estimate, instrument, rule (text), date, period_end, fit_start, fit_end (timestamps), value (float)",
            ));
        }
        let text = |k: usize| batch.column(k).as_any().downcast_ref::<StringArray>();
        let time = |k: usize| {
            batch
                .column(k)
                .as_any()
                .downcast_ref::<TimestampMicrosecondArray>()
        };
        let (Some(e), Some(i), Some(r), Some(d), Some(pe), Some(fs), Some(fe), Some(v)) = (
            text(0),
            text(1),
            text(2),
            time(3),
            time(4),
            time(5),
            time(6),
            batch.column(7).as_any().downcast_ref::<Float64Array>(),
        ) else {
            return Err(StoreError::format(path, "unexpected column types"));
        };
        let opt_text = |a: &StringArray, k: usize| (!a.is_null(k)).then(|| a.value(k).to_string());
        let opt_time = |a: &TimestampMicrosecondArray, k: usize| {
            (!a.is_null(k)).then(|| Timestamp::from_micros(a.value(k)))
        };
        for k in 0..batch.num_rows() {
            if e.is_null(k) || d.is_null(k) {
                return Err(StoreError::format(path, format!("row {k}: a null value")));
            }
            rows.push(EstimateRow {
                estimate: e.value(k).to_string(),
                instrument: opt_text(i, k),
                rule: opt_text(r, k),
                date: Timestamp::from_micros(d.value(k)),
                period_end: opt_time(pe, k),
                fit_start: opt_time(fs, k),
                fit_end: opt_time(fe, k),
                value: if v.is_null(k) { f64::NAN } else { v.value(k) },
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
        let t = |d: u32, us: i64| {
            Timestamp::from_micros(
                Timestamp::from_date(chrono::NaiveDate::from_ymd_opt(2024, 1, d).unwrap()).micros()
                    + us,
            )
        };
        let rows = vec![
            EstimateRow {
                estimate: "forecast_weight".into(),
                instrument: Some("A".into()),
                rule: Some("carry".into()),
                date: t(7, 7),
                period_end: Some(t(14, 7)),
                fit_start: Some(t(1, 0)),
                fit_end: Some(t(7, 7)),
                value: 0.25,
            },
            EstimateRow {
                estimate: "idm".into(),
                instrument: None,
                rule: None,
                date: t(2, 0),
                period_end: None,
                fit_start: None,
                fit_end: None,
                value: f64::NAN,
            },
        ];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("estimates.parquet");
        write_estimates(&path, &rows).unwrap();
        let back = read_estimates(&path).unwrap();
        assert_eq!(back[0], rows[0]);
        assert_eq!(back[1].estimate, "idm");
        assert!(back[1].value.is_nan() && back[1].instrument.is_none());
        std::fs::write(&path, b"not parquet").unwrap();
        assert!(read_estimates(&path).is_err());
    }
}
