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
//! Null = NaN. One row group, no dictionaries (the float columns have few repeats worth a
//! dictionary, and building them cost more than the rest of the encoding), no embedded Arrow
//! schema (the Parquet types map to the Arrow types above). `date` is DELTA_BINARY_PACKED with
//! Snappy and min/max statistics; `instrument_weight`, `idm` and `buffered_position` (long runs of
//! one value) are Snappy; the other float columns, which change every day, are PLAIN uncompressed
//! (zstd saved 5 % on them and was most of the encoding time).

use crate::columns::{ColumnType, decode};
use crate::error::{Result, StoreError};
use crate::{PreparedFile, Store};
use parquet::basic::{Compression, Encoding};
use parquet::data_type::Int64Type;
use parquet::errors::ParquetError;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::ColumnPath;
use std::path::Path;
use std::sync::Arc;
use systrade_model::{InstrumentCode, PositionHistory, Timestamp};

/// Columns whose values change rarely (a rounded position, a multiplier, a smoothed weight):
/// Snappy shrinks their runs to almost nothing. The other float columns change every day and
/// are stored uncompressed (zstd saved 5 % on them and was most of the encoding time).
const RUN_COLUMNS: [&str; 3] = ["instrument_weight", "idm", "buffered_position"];

/// The Parquet schema of a positions file; read with the Arrow reader these are exactly the
/// Arrow types of the module docs (no Arrow schema is embedded).
fn parquet_schema() -> String {
    let mut s =
        String::from("message positions {\n  required int64 date (TIMESTAMP(MICROS, false));\n");
    for c in PositionHistory::COLUMNS {
        s.push_str(&format!("  optional double {c};\n"));
    }
    s.push('}');
    s
}

/// Encodes a position history as Parquet bytes (layout in the module docs).
///
/// Written for speed (a daily `size-positions` writes every instrument's whole history): the
/// column writers are fed the history's slices directly (no Arrow arrays). No zstd: parquet makes
/// two zstd contexts per column chunk, and each probes the CPU, which is slow on virtual machines.
fn encode_position_history(h: &PositionHistory) -> Result<Vec<u8>, ParquetError> {
    let column = |name: &str| ColumnPath::from(name);
    let mut props = WriterProperties::builder()
        .set_compression(Compression::UNCOMPRESSED)
        .set_dictionary_enabled(false)
        .set_statistics_enabled(EnabledStatistics::None)
        .set_column_statistics_enabled(column("date"), EnabledStatistics::Chunk)
        .set_column_encoding(column("date"), Encoding::DELTA_BINARY_PACKED)
        .set_column_compression(column("date"), Compression::SNAPPY)
        .set_offset_index_disabled(true)
        .set_created_by(crate::columns::CREATED_BY.to_string());
    for c in RUN_COLUMNS {
        props = props.set_column_compression(column(c), Compression::SNAPPY);
    }
    let n = h.len();
    let mut bytes = Vec::with_capacity(n * 8 * (PositionHistory::COLUMNS.len() + 1) + (1 << 12));
    let schema = Arc::new(parse_message_type(&parquet_schema())?);
    let mut file = SerializedFileWriter::new(&mut bytes, schema, Arc::new(props.build()))?;
    let mut group = file.next_row_group()?;
    let micros: Vec<i64> = h
        .dates
        .iter()
        .map(|d| Timestamp::from_date(*d).micros())
        .collect();
    let mut col = crate::columns::next_column(&mut group)?;
    col.typed::<Int64Type>().write_batch(&micros, None, None)?;
    col.close()?;
    drop(micros);
    let mut nullable = crate::columns::NullableF64::default();
    for values in h.columns() {
        let mut col = crate::columns::next_column(&mut group)?;
        nullable.write(&mut col, values)?;
        col.close()?;
    }
    crate::columns::close_row_group(group)?;
    file.close()?;
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

    #[test]
    fn columns_are_stored_as_documented() {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let days: Vec<NaiveDate> = (0..300)
            .map(|k| NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Days::new(k))
            .collect();
        let values: [Vec<f64>; 9] =
            std::array::from_fn(|c| (0..300).map(|k| (k * (c + 1)) as f64 / 7.0).collect());
        let h = PositionHistory::from_columns(days, values);
        for c in RUN_COLUMNS {
            assert!(PositionHistory::COLUMNS.contains(&c), "{c} is not a column");
        }
        let bytes = encode_position_history(&h).unwrap();
        let reader = SerializedFileReader::new(bytes::Bytes::from(bytes)).unwrap();
        let meta = reader.metadata();
        assert_eq!(
            meta.file_metadata().created_by(),
            Some(crate::columns::CREATED_BY)
        );
        let group = meta.row_group(0);
        for c in group.columns() {
            let name = c.column_path().string();
            let expected = if name == "date" || RUN_COLUMNS.contains(&name.as_str()) {
                Compression::SNAPPY
            } else {
                Compression::UNCOMPRESSED
            };
            assert_eq!(c.compression(), expected, "{name}");
            assert_eq!(c.statistics().is_some(), name == "date", "{name}");
        }
        assert!(
            group
                .column(0)
                .encodings()
                .any(|e| e == Encoding::DELTA_BINARY_PACKED)
        );
    }
}
