//! The forecast files and the CSV stream.
//!
//! `forecasts/<INSTRUMENT>.parquet`, long format, one row per (rule, business day):
//!
//! | column | Arrow type | meaning |
//! |---|---|---|
//! | `rule` | `Utf8`, non-null | rule variation name; `combined` for the combined forecast |
//! | `date` | `Timestamp(Microsecond, None)`, non-null | the business day, at midnight |
//! | `raw` | `Float64`, nullable | raw forecast; for `combined`: the weighted sum of the capped forecasts (before the FDM) |
//! | `scalar` | `Float64`, nullable | forecast scalar; for `combined`: the forecast diversification multiplier |
//! | `capped` | `Float64`, nullable | `clip(raw × scalar, floor, cap)`; for `combined`: the final combined forecast |
//!
//! The scaled forecast is `raw × scalar` exactly ([`RuleSeries::scaled`]); it is not stored, to keep
//! the files small (two dense float columns per row; `scalar` is constant for fixed scalars and
//! compresses to almost nothing). Rows are grouped by rule (in `forecast_weights` order,
//! `combined` last), dates ascending within a rule. Null = NaN (no forecast that day). zstd
//! compression, like every systrade Parquet file.
//!
//! The CSV stream (`--output -`): header `date,instrument,rule,forecast`, the capped forecast of
//! each rule and the combined forecast, grouped by instrument, then rule (as above), then date;
//! dates `YYYY-MM-DD`, numbers in shortest round-trip form, an empty field for NaN.

use anyhow::Context;
use arrow_array::{
    Array, ArrayRef, Float64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use chrono::NaiveDate;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use systrade_model::{InstrumentCode, Timestamp};
use systrade_store::Store;

/// The rule name of the combined forecast.
pub const COMBINED: &str = "combined";

/// One rule's (or the combined) forecast series of one instrument.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSeries {
    pub rule: String,
    pub dates: Vec<NaiveDate>,
    pub raw: Vec<f64>,
    /// Forecast scalar (FDM for `combined`).
    pub scalar: Vec<f64>,
    pub capped: Vec<f64>,
}

impl RuleSeries {
    /// The scaled forecast, `raw × scalar` (for `combined`: × FDM, before the cap).
    pub fn scaled(&self) -> Vec<f64> {
        self.raw
            .iter()
            .zip(&self.scalar)
            .map(|(r, s)| r * s)
            .collect()
    }
}

/// `forecasts/<INSTRUMENT>.parquet` in the data directory.
pub fn forecasts_file(store: &Store, instrument: &InstrumentCode) -> PathBuf {
    store
        .root()
        .join("forecasts")
        .join(format!("{instrument}.parquet"))
}

fn schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("rule", DataType::Utf8, false),
        Field::new(
            "date",
            DataType::Timestamp(TimeUnit::Microsecond, None),
            false,
        ),
        Field::new("raw", DataType::Float64, true),
        Field::new("scalar", DataType::Float64, true),
        Field::new("capped", DataType::Float64, true),
    ]))
}

fn nullable(values: impl Iterator<Item = f64>) -> ArrayRef {
    Arc::new(
        values
            .map(|x| (!x.is_nan()).then_some(x))
            .collect::<Float64Array>(),
    )
}

/// Encodes one instrument's forecast series as Parquet bytes (layout in the module docs).
pub fn encode_forecasts(series: &[RuleSeries]) -> anyhow::Result<Vec<u8>> {
    let rules: StringArray = series
        .iter()
        .flat_map(|s| std::iter::repeat_n(Some(s.rule.as_str()), s.dates.len()))
        .collect();
    let dates: TimestampMicrosecondArray = series
        .iter()
        .flat_map(|s| s.dates.iter().map(|d| Timestamp::from_date(*d).micros()))
        .collect::<Vec<i64>>()
        .into();
    let col = |f: fn(&RuleSeries) -> &Vec<f64>| {
        nullable(series.iter().flat_map(|s| f(s).iter().copied()))
    };
    let arrays: Vec<ArrayRef> = vec![
        Arc::new(rules),
        Arc::new(dates),
        col(|s| &s.raw),
        col(|s| &s.scalar),
        col(|s| &s.capped),
    ];
    let schema = schema();
    let batch = RecordBatch::try_new(schema.clone(), arrays)?;
    // Speed over the last few percent of size (measured on pst-data): no dictionaries (they hash
    // every value), plain floats and strings under zstd level 1 (byte-stream-split or delta
    // byte-array encodings cost more CPU than the I/O they save), delta-encoded dates, min/max
    // statistics for `date` only.
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1)?))
        .set_dictionary_enabled(false)
        .set_statistics_enabled(EnabledStatistics::None)
        .set_column_statistics_enabled(ColumnPath::from("date"), EnabledStatistics::Chunk)
        .set_column_encoding(ColumnPath::from("date"), Encoding::DELTA_BINARY_PACKED)
        .set_created_by("systrade".to_string());
    let props = props.build();
    let mut bytes = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut bytes, schema, Some(props))?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(bytes)
}

/// Reads a forecasts file back into one [`RuleSeries`] per rule, in file order.
///
/// # Errors
/// Missing file, missing column or wrong type (naming the file and column), nulls in `rule`/`date`.
pub fn read_forecasts_file(path: &Path) -> anyhow::Result<Vec<RuleSeries>> {
    let ctx = || path.display().to_string();
    let file = std::fs::File::open(path).with_context(ctx)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).with_context(ctx)?;
    let want = schema();
    for f in want.fields() {
        let (_, got) = builder
            .schema()
            .column_with_name(f.name())
            .with_context(|| format!("{}: missing column '{}'", path.display(), f.name()))?;
        anyhow::ensure!(
            got.data_type() == f.data_type(),
            "{}: column '{}' has type {}, expected {}",
            path.display(),
            f.name(),
            got.data_type(),
            f.data_type()
        );
    }
    let file_schema = builder.schema().clone();
    let reader = builder.build().with_context(ctx)?;
    let mut out: Vec<RuleSeries> = Vec::new();
    for batch in reader {
        let batch = batch.with_context(ctx)?;
        let column = |name: &str| batch.column(file_schema.index_of(name).expect("checked above"));
        let rule = column("rule");
        let rule = rule
            .as_any()
            .downcast_ref::<StringArray>()
            .context("rule is not Utf8")?;
        let date = column("date");
        let date = date
            .as_any()
            .downcast_ref::<TimestampMicrosecondArray>()
            .context("date is not a timestamp")?;
        let floats = |name: &str| -> anyhow::Result<Vec<f64>> {
            let c = column(name);
            let a = c
                .as_any()
                .downcast_ref::<Float64Array>()
                .with_context(|| format!("{name} is not Float64"))?;
            Ok(a.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
        };
        let (raw, scalar, capped) = (floats("raw")?, floats("scalar")?, floats("capped")?);
        for i in 0..batch.num_rows() {
            anyhow::ensure!(
                rule.is_valid(i) && date.is_valid(i),
                "{}: null rule or date",
                path.display()
            );
            let name = rule.value(i);
            if out.last().is_none_or(|s| s.rule != name) {
                out.push(RuleSeries {
                    rule: name.to_string(),
                    dates: Vec::new(),
                    raw: Vec::new(),
                    scalar: Vec::new(),
                    capped: Vec::new(),
                });
            }
            let s = out.last_mut().expect("pushed above");
            s.dates.push(Timestamp::from_micros(date.value(i)).date());
            s.raw.push(raw[i]);
            s.scalar.push(scalar[i]);
            s.capped.push(capped[i]);
        }
    }
    Ok(out)
}

/// Reads `forecasts/<INSTRUMENT>.parquet` of a data directory.
///
/// # Errors
/// As [`read_forecasts_file`].
pub fn read_forecasts(
    store: &Store,
    instrument: &InstrumentCode,
) -> anyhow::Result<Vec<RuleSeries>> {
    read_forecasts_file(&forecasts_file(store, instrument))
}

/// The encoded forecasts of one instrument, ready to be written under the write lock.
#[derive(Debug, Clone)]
pub struct PreparedForecasts {
    pub path: PathBuf,
    pub rows: usize,
    pub bytes: Vec<u8>,
}

/// Encodes one instrument's forecasts for `forecasts/<INSTRUMENT>.parquet` (no I/O, no lock).
///
/// # Errors
/// Encoding failures (not expected for valid series).
pub fn prepare_forecasts(
    store: &Store,
    instrument: &InstrumentCode,
    series: &[RuleSeries],
) -> anyhow::Result<PreparedForecasts> {
    Ok(PreparedForecasts {
        path: forecasts_file(store, instrument),
        rows: series.iter().map(|s| s.dates.len()).sum(),
        bytes: encode_forecasts(series)?,
    })
}

/// Writes a prepared file atomically (the caller holds the data directory's write lock); returns
/// false when the file already had exactly this content and was left untouched.
///
/// # Errors
/// I/O errors naming the file.
pub fn commit_forecasts(file: &PreparedForecasts) -> anyhow::Result<bool> {
    let same_len = std::fs::metadata(&file.path).is_ok_and(|m| m.len() == file.bytes.len() as u64);
    if same_len && std::fs::read(&file.path).is_ok_and(|old| old == file.bytes) {
        return Ok(false);
    }
    systrade_store::atomic::write_atomic(&file.path, &file.bytes)?;
    Ok(true)
}

/// Writes the CSV header.
///
/// # Errors
/// Write errors (a broken pipe included).
pub fn write_csv_header(out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out, "date,instrument,rule,forecast")
}

/// Writes the CSV rows of one instrument: the capped forecast of every series.
///
/// # Errors
/// Write errors (a broken pipe included).
pub fn write_csv_rows(
    out: &mut impl Write,
    instrument: &InstrumentCode,
    series: &[RuleSeries],
) -> std::io::Result<()> {
    for s in series {
        for (d, v) in s.dates.iter().zip(&s.capped) {
            if v.is_nan() {
                writeln!(out, "{d},{instrument},{},", s.rule)?;
            } else {
                writeln!(out, "{d},{instrument},{},{v}", s.rule)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parquet_round_trip_keeps_nan_and_order() {
        let d = |day| NaiveDate::from_ymd_opt(2024, 1, day).unwrap();
        let series = vec![
            RuleSeries {
                rule: "ewmac8".into(),
                dates: vec![d(1), d(2)],
                raw: vec![f64::NAN, 1.5],
                scalar: vec![2.0, 2.0],
                capped: vec![f64::NAN, 3.0],
            },
            RuleSeries {
                rule: COMBINED.into(),
                dates: vec![d(2)],
                raw: vec![0.1],
                scalar: vec![1.25],
                capped: vec![-20.0],
            },
        ];
        let bytes = encode_forecasts(&series).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("X.parquet");
        std::fs::write(&p, bytes).unwrap();
        let back = read_forecasts_file(&p).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].rule, "ewmac8");
        assert!(back[0].raw[0].is_nan());
        assert_eq!(back[0].capped[1], 3.0);
        assert_eq!(back[0].scaled()[1], 3.0);
        assert_eq!(back[1].dates, vec![d(2)]);
        assert_eq!(back[1].capped, vec![-20.0]);
        let mut csv = Vec::new();
        let code = InstrumentCode::new("X").unwrap();
        write_csv_header(&mut csv).unwrap();
        write_csv_rows(&mut csv, &code, &back).unwrap();
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            "date,instrument,rule,forecast\n2024-01-01,X,ewmac8,\n2024-01-02,X,ewmac8,3\n2024-01-02,X,combined,-20\n"
        );
    }
}
