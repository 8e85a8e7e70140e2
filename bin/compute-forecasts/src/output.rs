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
//! nearly doubled the encoding time). No dictionaries; one row group.
//!
//! The CSV stream (`--output -`): header `date,instrument,rule,forecast`, the capped forecast of
//! each rule and the combined forecast, grouped by instrument, then rule (as above), then date;
//! dates `YYYY-MM-DD`, numbers in shortest round-trip form, an empty field for NaN.

use anyhow::Context;
use arrow_array::{Array, Float64Array, StringArray, TimestampMicrosecondArray};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use chrono::Datelike;
use chrono::NaiveDate;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
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

/// The Parquet schema of a forecasts file; read with the Arrow reader these are exactly the
/// Arrow types of [`schema`] (no Arrow schema is embedded).
const PARQUET_SCHEMA: &str = "message forecasts {
    required binary rule (STRING);
    required int64 date (TIMESTAMP(MICROS, false));
    optional double raw;
    optional double scalar;
    optional double capped;
}";

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

/// Rows of `rule` handed to the column writer at a time.
const RULE_CHUNK: usize = 256;

/// Encodes one instrument's forecast series as Parquet bytes (layout in the module docs).
///
/// Written for speed (this was most of `compute-forecasts`' CPU on large rule sets; measured on
/// the rob_system_like config with `examples/encode_bench.rs`): Parquet's column writers are fed
/// each rule's slices directly (no Arrow arrays, no concatenated copies; a float column with no
/// NaN in a rule is passed as is, otherwise its non-NaN values with definition levels),
/// `raw` and `capped` are stored uncompressed (zstd saved only 10–15 % on these dense floats and
/// nearly doubled the encoding time), and the output buffer is allocated once at its expected
/// size. Parquet dictionary encoding of `rule` (it hashes every row) and DELTA_BYTE_ARRAY were
/// slower than PLAIN + zstd.
pub fn encode_forecasts(series: &[RuleSeries]) -> anyhow::Result<Vec<u8>> {
    let rows: usize = series.iter().map(|s| s.dates.len()).sum();
    let longest = series.iter().map(|s| s.dates.len()).max().unwrap_or(0);
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
    let mut bytes = Vec::with_capacity(rows * BYTES_PER_ROW + (1 << 16));
    let schema = Arc::new(parse_message_type(PARQUET_SCHEMA)?);
    let mut file = SerializedFileWriter::new(&mut bytes, schema, Arc::new(props))?;
    let mut group = file.next_row_group()?;

    // the rule name repeated, written in chunks (each copy of a ByteArray is a reference count)
    let mut col = group.next_column()?.context("no rule column")?;
    for s in series {
        let names = vec![ByteArray::from(s.rule.as_str()); s.dates.len().min(RULE_CHUNK)];
        let mut left = s.dates.len();
        while left > 0 {
            let n = left.min(RULE_CHUNK);
            col.typed::<ByteArrayType>()
                .write_batch(&names[..n], None, None)?;
            left -= n;
        }
    }
    col.close()?;

    let mut col = group.next_column()?.context("no date column")?;
    let mut micros: Vec<i64> = Vec::with_capacity(longest);
    for s in series {
        micros.clear();
        micros.extend(s.dates.iter().map(|d| midnight_micros(*d)));
        col.typed::<Int64Type>().write_batch(&micros, None, None)?;
    }
    drop(micros);
    col.close()?;

    // NaN = null: definition level 0 and no value
    let ones = vec![1i16; longest];
    let mut levels: Vec<i16> = Vec::with_capacity(longest);
    let mut present: Vec<f64> = Vec::with_capacity(longest);
    let floats: [fn(&RuleSeries) -> &[f64]; 3] = [|s| &s.raw, |s| &s.scalar, |s| &s.capped];
    for values in floats {
        let mut col = group.next_column()?.context("no float column")?;
        for s in series {
            let v = values(s);
            if v.iter().any(|x| x.is_nan()) {
                levels.clear();
                levels.extend(v.iter().map(|x| i16::from(!x.is_nan())));
                present.clear();
                present.extend(v.iter().copied().filter(|x| !x.is_nan()));
                col.typed::<DoubleType>()
                    .write_batch(&present, Some(&levels), None)?;
            } else {
                col.typed::<DoubleType>()
                    .write_batch(v, Some(&ones[..v.len()]), None)?;
            }
        }
        col.close()?;
    }
    anyhow::ensure!(group.next_column()?.is_none(), "unwritten columns");
    group.close()?;
    file.close()?;
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
    use arrow_array::RecordBatch;

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
    fn long_and_empty_inputs_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("X.parquet");
        std::fs::write(&p, encode_forecasts(&[]).unwrap()).unwrap();
        assert!(read_forecasts_file(&p).unwrap().is_empty());

        // more rows than a rule chunk and a write batch (1024), NaN runs across their boundaries
        let start = NaiveDate::from_ymd_opt(1980, 1, 1).unwrap();
        let n = 4 * RULE_CHUNK + 7;
        let series: Vec<RuleSeries> = (0..3)
            .map(|r| RuleSeries {
                rule: format!("rule{r}"),
                dates: (0..n)
                    .map(|i| start + chrono::TimeDelta::days(i as i64))
                    .collect(),
                raw: (0..n)
                    .map(|i| {
                        if (i + r) % 300 < 260 {
                            f64::NAN
                        } else {
                            i as f64
                        }
                    })
                    .collect(),
                scalar: vec![1.5; n],
                capped: (0..n).map(|i| (i * r) as f64 / 7.0).collect(),
            })
            .collect();
        std::fs::write(&p, encode_forecasts(&series).unwrap()).unwrap();
        let back = read_forecasts_file(&p).unwrap();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(back.len(), 3);
        for (a, b) in series.iter().zip(&back) {
            assert_eq!((&a.rule, &a.dates), (&b.rule, &b.dates));
            assert_eq!(bits(&a.raw), bits(&b.raw));
            assert_eq!(bits(&a.scalar), bits(&b.scalar));
            assert_eq!(bits(&a.capped), bits(&b.capped));
        }
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
