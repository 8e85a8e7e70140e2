//! Estimated forecast weights, FDM, instrument weights and IDM (issue 17) in long format, one row
//! per value: `estimates.parquet` of `backtest --output DIR` (every fit period and day), and the
//! data directory's current estimates ([`Current`]: what `compute-forecasts` and `size-positions`
//! applied on their latest run's last date, read by `report estimates`). This module owns both
//! files; nothing else writes them.
//!
//! The current estimates are `estimates/forecasts.parquet` (written by `compute-forecasts`) and
//! `estimates/instruments.parquet` (written by `size-positions`), with the rows:
//!
//! | `estimate` | `instrument`, `rule` | `date` | `value` |
//! |---|---|---|---|
//! | `forecast_weight`, `instrument_weight` | as below | the latest fit period's start (`period_end`, `fit_start`, `fit_end` as below) | the raw weight fitted for that period |
//! | `forecast_weight_applied`, `instrument_weight_applied` | as below | the run's last date | the smoothed weight the run applied on it |
//! | `fdm`, `idm` | as below | the run's last date | the multiplier the run applied on it |
//!
//! A run whose config does not estimate a stage's parameters removes that stage's file (stale
//! estimates are never shown as current).
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
use parquet::errors::ParquetError;
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
    crate::columns::encode_table(schema(), [RecordBatch::try_new(schema(), arrays)])
}

/// The current estimates of one production stage (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Current {
    /// Forecast weights and FDM per instrument (`compute-forecasts`).
    Forecasts,
    /// Instrument weights and IDM (`size-positions`).
    Instruments,
}

impl Current {
    /// The file's name in `estimates/`.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Forecasts => "forecasts.parquet",
            Self::Instruments => "instruments.parquet",
        }
    }
}

impl crate::Store {
    /// Encodes the current estimates of `which` (module docs) for a [`crate::Writer`] to commit.
    ///
    /// # Errors
    /// Encoding failures.
    pub fn prepare_current_estimates(
        &self,
        which: Current,
        rows: &[EstimateRow],
    ) -> Result<crate::PreparedFile> {
        let path = self.dir().current_estimates_file(which);
        let bytes = encode(rows).map_err(|e| StoreError::format(&path, e))?;
        Ok(crate::PreparedFile {
            path,
            rows: rows.len(),
            bytes,
        })
    }

    /// The current estimates of `which`; `None` when there are none (the file does not exist).
    ///
    /// # Errors
    /// An unreadable file or another schema.
    pub fn read_current_estimates(&self, which: Current) -> Result<Option<Vec<EstimateRow>>> {
        let path = self.dir().current_estimates_file(which);
        if !path.exists() {
            return Ok(None);
        }
        read_estimates(&path).map(Some)
    }
}

impl crate::Writer<'_> {
    /// Removes the current estimates of `which` (a run whose config does not estimate them);
    /// `Ok(true)` when there was a file.
    ///
    /// # Errors
    /// The file exists and cannot be removed.
    pub fn remove_current_estimates(&self, which: Current) -> Result<bool> {
        let path = self.store().dir().current_estimates_file(which);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(StoreError::io(&path, e)),
        }
    }
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
    let expected = "estimate, instrument, rule (text), date, period_end, fit_start, fit_end (timestamps), value (float)";
    let mut rows = Vec::new();
    for batch in crate::columns::read_table(path, &schema(), expected)? {
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

    #[test]
    fn current_estimates_are_written_read_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::Store::open(dir.path());
        assert_eq!(
            store.read_current_estimates(Current::Forecasts).unwrap(),
            None
        );
        let rows = vec![EstimateRow {
            estimate: "fdm".into(),
            instrument: Some("A".into()),
            rule: None,
            date: Timestamp::from_date(chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap()),
            period_end: None,
            fit_start: None,
            fit_end: None,
            value: 1.25,
        }];
        let file = store
            .prepare_current_estimates(Current::Forecasts, &rows)
            .unwrap();
        assert_eq!(file.path(), dir.path().join("estimates/forecasts.parquet"));
        let w = store.lock_for_writing(std::time::Duration::ZERO).unwrap();
        w.commit(&file).unwrap();
        assert_eq!(
            store.read_current_estimates(Current::Forecasts).unwrap(),
            Some(rows)
        );
        assert_eq!(
            store.read_current_estimates(Current::Instruments).unwrap(),
            None
        );
        assert!(w.remove_current_estimates(Current::Forecasts).unwrap());
        assert!(!w.remove_current_estimates(Current::Forecasts).unwrap());
        assert_eq!(
            store.read_current_estimates(Current::Forecasts).unwrap(),
            None
        );
    }
}
