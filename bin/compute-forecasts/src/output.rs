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
//! the files small. Rows are grouped by rule (in `forecast_weights` order, `combined` last), dates
//! ascending within a rule. Null = NaN (no forecast that day).
//!
//! Storage (details of the Parquet encoding, chosen for encoding speed; readers need not care):
//! no embedded Arrow schema (the Parquet types map to the Arrow types above); `rule`
//! PLAIN and `date` DELTA_BINARY_PACKED (min/max statistics), both zstd level 1; `scalar` PLAIN
//! zstd level 1 (constant within a rule for fixed scalars, so it compresses to almost nothing);
//! `raw` and `capped` PLAIN **uncompressed** (zstd saves only 10–15 % on these dense floats and
//! cost about a third of the encoding time). No dictionaries.
//!
//! The CSV stream (`--output -`): header `date,instrument,rule,forecast`, the capped forecast of
//! each rule and the combined forecast, grouped by instrument, then rule (as above), then date;
//! dates `YYYY-MM-DD`, numbers in shortest round-trip form, an empty field for NaN.

use anyhow::Context;
use arrow_array::types::UInt16Type;
use arrow_array::{
    Array, ArrayRef, DictionaryArray, Float64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow_buffer::{BooleanBuffer, NullBuffer};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use chrono::Datelike;
use chrono::NaiveDate;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::arrow_writer::ArrowWriterOptions;
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

/// A Float64 column of `values` with a null wherever the value is NaN (the values are moved, not
/// copied; no null buffer when there is no NaN).
fn nullable(values: Vec<f64>) -> ArrayRef {
    let nulls = values.iter().any(|v| v.is_nan()).then(|| {
        NullBuffer::new(BooleanBuffer::collect_bool(values.len(), |i| {
            !values[i].is_nan()
        }))
    });
    Arc::new(Float64Array::new(values.into(), nulls))
}

/// The concatenation of one column of every series, `rows` values in all.
fn concat<T: Copy>(series: &[RuleSeries], rows: usize, column: fn(&RuleSeries) -> &[T]) -> Vec<T> {
    let mut out = Vec::with_capacity(rows);
    for s in series {
        out.extend_from_slice(column(s));
    }
    out
}

/// Microseconds since the Unix epoch of midnight at the start of `date`:
/// `(days_from_ce(date) − 719 163) × 86 400 000 000` (719 163 = days from 0001-01-01 to
/// 1970-01-01), the same number as `Timestamp::from_date(date).micros()` without going through
/// a date-time.
fn midnight_micros(date: NaiveDate) -> i64 {
    const UNIX_EPOCH_DAYS_FROM_CE: i64 = 719_163;
    const MICROS_PER_DAY: i64 = 86_400_000_000;
    (i64::from(date.num_days_from_ce()) - UNIX_EPOCH_DAYS_FROM_CE) * MICROS_PER_DAY
}

/// Bytes per row the encoded file takes at most in practice: `raw` and `capped` are stored
/// uncompressed (8 bytes each when not null), the other columns compress to well under a byte
/// per row.
const BYTES_PER_ROW: usize = 17;

/// Encodes one instrument's forecast series as Parquet bytes (layout in the module docs).
///
/// Written for speed (this is most of `compute-forecasts`' CPU on large rule sets; measured on
/// the rob_system_like config with `examples/encode_bench.rs`):
/// - `rule` is handed to the writer as a dictionary array (one key per row, built with a fill
///   instead of copying the name into every row) and stored PLAIN + zstd, which reads back as
///   `Utf8`; the Arrow schema is not embedded in the file (it would say `Dictionary`), every
///   column's Arrow type follows from its Parquet type. Parquet dictionary encoding of `rule`
///   (it hashes every row) and DELTA_BYTE_ARRAY were slower.
/// - `raw` and `capped` are stored uncompressed: zstd saved only 10–15 % on these dense floats
///   for about a third of the encoding time. `scalar` (constant per rule) and `date`
///   (delta-encoded, repeating per rule) stay under zstd level 1, where they shrink to almost
///   nothing cheaply.
/// - the float columns move into Arrow arrays without a per-value pass except the NaN → null
///   bitmap; the output buffer is allocated once at its expected size instead of doubling.
pub fn encode_forecasts(series: &[RuleSeries]) -> anyhow::Result<Vec<u8>> {
    let rows: usize = series.iter().map(|s| s.dates.len()).sum();
    let mut keys: Vec<u16> = Vec::with_capacity(rows);
    for (i, s) in series.iter().enumerate() {
        let key = u16::try_from(i).context("more than 65 536 rules")?;
        keys.resize(keys.len() + s.dates.len(), key);
    }
    let names = StringArray::from_iter_values(series.iter().map(|s| s.rule.as_str()));
    let rules = DictionaryArray::<UInt16Type>::try_new(keys.into(), Arc::new(names))?;
    let mut dates = Vec::with_capacity(rows);
    for s in series {
        dates.extend(s.dates.iter().map(|d| midnight_micros(*d)));
    }
    let arrays: Vec<ArrayRef> = vec![
        Arc::new(rules),
        Arc::new(TimestampMicrosecondArray::from(dates)),
        nullable(concat(series, rows, |s| &s.raw)),
        nullable(concat(series, rows, |s| &s.scalar)),
        nullable(concat(series, rows, |s| &s.capped)),
    ];
    let mut fields = schema().fields().to_vec();
    fields[0] = Arc::new(Field::new(
        "rule",
        DataType::Dictionary(Box::new(DataType::UInt16), Box::new(DataType::Utf8)),
        false,
    ));
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays)?;
    let column = |name: &str| ColumnPath::from(name);
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1)?))
        .set_column_compression(column("raw"), Compression::UNCOMPRESSED)
        .set_column_compression(column("capped"), Compression::UNCOMPRESSED)
        .set_dictionary_enabled(false)
        .set_statistics_enabled(EnabledStatistics::None)
        .set_column_statistics_enabled(column("date"), EnabledStatistics::Chunk)
        .set_column_encoding(column("date"), Encoding::DELTA_BINARY_PACKED)
        .set_created_by("systrade".to_string())
        .build();
    let options = ArrowWriterOptions::new()
        .with_properties(props)
        .with_skip_arrow_metadata(true);
    let mut bytes = Vec::with_capacity(rows * BYTES_PER_ROW + (1 << 16));
    let mut writer = ArrowWriter::try_new_with_options(&mut bytes, schema, options)?;
    writer.write(&batch)?;
    writer.close()?;
    bytes.shrink_to_fit();
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
    fn midnight_micros_is_timestamp_from_date() {
        let mut d = NaiveDate::from_ymd_opt(1899, 12, 25).unwrap();
        while d < NaiveDate::from_ymd_opt(2101, 1, 10).unwrap() {
            assert_eq!(midnight_micros(d), Timestamp::from_date(d).micros(), "{d}");
            d += chrono::TimeDelta::days(17);
        }
    }

    #[test]
    fn nan_is_stored_as_null_and_reads_back_as_nan() {
        let d = |day| NaiveDate::from_ymd_opt(1969, 12, day).unwrap();
        let nan = f64::NAN;
        let series = vec![
            RuleSeries {
                rule: "carry".into(),
                dates: vec![d(29), d(30), d(31)],
                raw: vec![nan, -0.0, nan],
                scalar: vec![30.0, 30.0, 30.0],
                capped: vec![nan, 1e-300, nan],
            },
            RuleSeries {
                rule: "ewmac2_8".into(),
                dates: vec![d(30), d(31)],
                raw: vec![nan, nan],
                scalar: vec![nan, 10.6],
                capped: vec![nan, nan],
            },
            RuleSeries {
                rule: COMBINED.into(),
                dates: vec![d(31)],
                raw: vec![0.5],
                scalar: vec![1.1],
                capped: vec![f64::MAX],
            },
        ];
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("X.parquet");
        std::fs::write(&p, encode_forecasts(&series).unwrap()).unwrap();

        let back = read_forecasts_file(&p).unwrap();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(back.len(), series.len());
        for (a, b) in series.iter().zip(&back) {
            assert_eq!(a.rule, b.rule);
            assert_eq!(a.dates, b.dates);
            // NaN comes back as the canonical NaN; every other value bit for bit
            assert_eq!(bits(&a.raw), bits(&b.raw), "{} raw", a.rule);
            assert_eq!(bits(&a.scalar), bits(&b.scalar), "{} scalar", a.rule);
            assert_eq!(bits(&a.capped), bits(&b.capped), "{} capped", a.rule);
        }

        // NaN is a null in the file, and the columns read as the documented Arrow types
        let file = std::fs::File::open(&p).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        assert_eq!(reader.schema().as_ref(), schema().as_ref());
        let batches: Vec<RecordBatch> = reader.build().unwrap().map(Result::unwrap).collect();
        let nulls = |name: &str| -> usize {
            batches
                .iter()
                .map(|b| b.column_by_name(name).unwrap().null_count())
                .sum()
        };
        assert_eq!(
            (
                nulls("rule"),
                nulls("date"),
                nulls("raw"),
                nulls("scalar"),
                nulls("capped")
            ),
            (0, 0, 4, 1, 4)
        );
    }

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
