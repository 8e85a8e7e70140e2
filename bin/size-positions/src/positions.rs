//! The positions files and the CSV stream.
//!
//! `positions/<INSTRUMENT>.parquet`, one row per business day of the notional position (full
//! history):
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
//! Null = NaN. zstd compression. The CSV stream (`--output -`): header
//! `date,instrument,subsystem_position,notional_position,lower,upper`, grouped by instrument, dates
//! ascending, numbers in shortest round-trip form, an empty field for NaN.

use arrow_array::{ArrayRef, Float64Array, RecordBatch, TimestampMicrosecondArray};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use chrono::NaiveDate;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use systrade_model::{InstrumentCode, Timestamp};
use systrade_store::Store;

/// Value columns of a positions file, in order.
pub const COLUMNS: [&str; 9] = [
    "combined_forecast",
    "volatility_scalar",
    "subsystem_position",
    "instrument_weight",
    "idm",
    "notional_position",
    "lower",
    "upper",
    "buffered_position",
];

/// One instrument's position history on one date index; `values[k]` is column `COLUMNS[k]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PositionHistory {
    pub dates: Vec<NaiveDate>,
    pub values: [Vec<f64>; 9],
}

impl PositionHistory {
    pub fn column(&self, name: &str) -> &[f64] {
        let k = COLUMNS
            .iter()
            .position(|c| *c == name)
            .expect("known column");
        &self.values[k]
    }
}

/// `positions/<INSTRUMENT>.parquet` in the data directory.
pub fn positions_file(store: &Store, instrument: &InstrumentCode) -> PathBuf {
    store
        .root()
        .join("positions")
        .join(format!("{instrument}.parquet"))
}

/// Encodes a position history as Parquet bytes (layout in the module docs).
///
/// # Errors
/// Encoding failures (not expected).
pub fn encode(h: &PositionHistory) -> anyhow::Result<Vec<u8>> {
    let mut fields = vec![Field::new(
        "date",
        DataType::Timestamp(TimeUnit::Microsecond, None),
        false,
    )];
    fields.extend(
        COLUMNS
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
    for v in &h.values {
        arrays.push(Arc::new(
            v.iter()
                .map(|x| (!x.is_nan()).then_some(*x))
                .collect::<Float64Array>(),
        ));
    }
    let batch = RecordBatch::try_new(schema.clone(), arrays)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
        .set_created_by("systrade".to_string())
        .build();
    let mut bytes = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut bytes, schema, Some(props))?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(bytes)
}

fn field(v: f64) -> String {
    if v.is_nan() {
        String::new()
    } else {
        v.to_string()
    }
}

/// Writes the CSV header.
///
/// # Errors
/// Write errors.
pub fn write_csv_header(out: &mut impl Write) -> std::io::Result<()> {
    writeln!(
        out,
        "date,instrument,subsystem_position,notional_position,lower,upper"
    )
}

/// Writes one instrument's CSV rows.
///
/// # Errors
/// Write errors.
pub fn write_csv_rows(
    out: &mut impl Write,
    code: &InstrumentCode,
    h: &PositionHistory,
) -> std::io::Result<()> {
    let (sub, notional, lower, upper) = (
        h.column("subsystem_position"),
        h.column("notional_position"),
        h.column("lower"),
        h.column("upper"),
    );
    for (i, d) in h.dates.iter().enumerate() {
        writeln!(
            out,
            "{d},{code},{},{},{},{}",
            field(sub[i]),
            field(notional[i]),
            field(lower[i]),
            field(upper[i])
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    #[test]
    fn parquet_has_the_documented_columns_and_nulls() {
        let d = NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
        let mut values: [Vec<f64>; 9] = Default::default();
        for (k, v) in values.iter_mut().enumerate() {
            *v = vec![k as f64, f64::NAN];
        }
        let h = PositionHistory {
            dates: vec![d, d.succ_opt().unwrap()],
            values,
        };
        let bytes = encode(&h).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("X.parquet");
        std::fs::write(&path, bytes).unwrap();
        let r =
            ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path).unwrap()).unwrap();
        let names: Vec<String> = r
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(names[0], "date");
        assert_eq!(&names[1..], &COLUMNS);
        let batch = r.build().unwrap().next().unwrap().unwrap();
        assert_eq!(batch.num_rows(), 2);
        assert_eq!(batch.column(6).null_count(), 1);
        let mut csv = Vec::new();
        write_csv_header(&mut csv).unwrap();
        write_csv_rows(&mut csv, &InstrumentCode::new("X").unwrap(), &h).unwrap();
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            "date,instrument,subsystem_position,notional_position,lower,upper\n2024-01-02,X,2,5,6,7\n2024-01-03,X,,,,\n"
        );
    }
}
