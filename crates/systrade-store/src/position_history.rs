//! The position files (`size-positions` writes them).
//!
//! `positions/<INSTRUMENT>.parquet`, one row per business day of the notional position (full
//! history), the columns of [`PositionHistory`]:
//!
//! | column | Arrow type | meaning |
//! |---|---|---|
//! | `date` | `Timestamp(Microsecond, None)`, non-null | the business day, at midnight |
//! | `combined_forecast` | `Float64`, nullable | the combined forecast used |
//! | `volatility_scalar` | `Float64`, nullable | contracts at forecast +10 (§3.6), forward-filled |
//! | `subsystem_position` | `Float64`, nullable | position if all capital were in this instrument |
//! | `instrument_weight` | `Float64`, nullable | smoothed instrument weight (§3.7) |
//! | `idm` | `Float64`, nullable | instrument diversification multiplier |
//! | `notional_position` | `Float64`, nullable | subsystem × weight × IDM, capped by a position limit |
//! | `lower` | `Float64`, nullable | bottom of the buffer (`buffers__bot_pos`), capped likewise |
//! | `upper` | `Float64`, nullable | top of the buffer (`buffers__top_pos`), capped likewise |
//! | `buffered_position` | `Float64`, nullable | the backtest's rounded buffered position walk |
//!
//! Null = NaN. zstd level 1, no dictionaries (the float columns have few repeats worth a
//! dictionary, and building them cost more than the rest of the encoding), one row group, an
//! embedded Arrow schema (Arrow's writer).

use crate::columns::{ColumnType, decode};
use crate::error::{Result, StoreError};
use crate::{PreparedFile, Store};
use arrow_array::{ArrayRef, Float64Array, RecordBatch, TimestampMicrosecondArray};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use std::path::Path;
use std::sync::Arc;
use systrade_model::{InstrumentCode, PositionHistory, Timestamp};

/// zstd level of the position files.
const ZSTD_LEVEL: i32 = 1;

/// Encodes a position history as Parquet bytes (layout in the module docs).
fn encode_position_history(h: &PositionHistory) -> Result<Vec<u8>, ParquetError> {
    let mut fields = vec![Field::new(
        "date",
        DataType::Timestamp(TimeUnit::Microsecond, None),
        false,
    )];
    fields.extend(
        PositionHistory::COLUMNS
            .iter()
            .map(|c| Field::new(*c, DataType::Float64, true)),
    );
    let schema = Arc::new(Schema::new(fields));
    let dates: TimestampMicrosecondArray = h
        .dates
        .iter()
        .map(|d| Timestamp::from_date(*d).micros())
        .collect::<Vec<i64>>()
        .into();
    let mut arrays: Vec<ArrayRef> = vec![Arc::new(dates)];
    for v in h.columns() {
        arrays.push(Arc::new(
            v.iter()
                .map(|x| (!x.is_nan()).then_some(*x))
                .collect::<Float64Array>(),
        ));
    }
    let batch = RecordBatch::try_new(schema.clone(), arrays)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(ZSTD_LEVEL)?))
        .set_dictionary_enabled(false)
        .set_created_by(crate::columns::CREATED_BY.to_string())
        .build();
    let mut bytes = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut bytes, schema, Some(props))?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(bytes)
}

/// Reads a position file (schema checked; NaN for nulls).
fn decode_position_history(path: &Path) -> Result<PositionHistory> {
    let mut columns = vec![("date", ColumnType::Timestamp)];
    columns.extend(
        PositionHistory::COLUMNS
            .iter()
            .map(|c| (*c, ColumnType::Price)),
    );
    let mut data = decode(path, &columns)?.into_iter();
    let dates = data
        .next()
        .map(|d| {
            d.into_int()
                .into_iter()
                .map(|t| Timestamp::from_micros(t).date())
                .collect()
        })
        .unwrap_or_default();
    let values: [Vec<f64>; 9] =
        std::array::from_fn(|_| data.next().map(|c| c.into_float()).unwrap_or_default());
    Ok(PositionHistory::from_columns(dates, values))
}

impl Store {
    /// `positions/<I>.parquet`: the instrument's position history.
    pub fn read_position_history(&self, instrument: &InstrumentCode) -> Result<PositionHistory> {
        decode_position_history(&self.dir().positions_file(instrument))
    }

    /// Encodes one instrument's position history for `positions/<I>.parquet` (no I/O, no lock).
    pub fn prepare_position_history(
        &self,
        instrument: &InstrumentCode,
        history: &PositionHistory,
    ) -> Result<PreparedFile> {
        let path = self.dir().positions_file(instrument);
        let bytes = encode_position_history(history).map_err(|e| StoreError::format(&path, e))?;
        Ok(PreparedFile {
            path,
            rows: history.len(),
            bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    #[test]
    fn parquet_has_the_documented_columns_and_nulls() {
        let d = NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
        let values: [Vec<f64>; 9] = std::array::from_fn(|k| vec![k as f64, f64::NAN]);
        let h = PositionHistory::from_columns(vec![d, d.succ_opt().unwrap()], values);
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path());
        let code = InstrumentCode::new("X").unwrap();
        let file = store.prepare_position_history(&code, &h).unwrap();
        assert_eq!(file.path(), dir.path().join("positions/X.parquet"));
        assert_eq!(file.rows(), 2);
        let w = store.lock_for_writing(std::time::Duration::ZERO).unwrap();
        w.commit(&file).unwrap();
        let path = store.dir().positions_file(&code);
        let r =
            ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path).unwrap()).unwrap();
        let names: Vec<String> = r
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(names[0], "date");
        assert_eq!(&names[1..], &PositionHistory::COLUMNS);
        let batch = r.build().unwrap().next().unwrap().unwrap();
        assert_eq!(batch.num_rows(), 2);
        assert_eq!(batch.column(6).null_count(), 1);
        // and back
        let back = store.read_position_history(&code).unwrap();
        assert_eq!(back.dates, h.dates);
        assert_eq!(back.lower[0], 6.0);
        assert!(back.lower[1].is_nan());
    }
}
