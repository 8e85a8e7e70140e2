//! The forecast files (`compute-forecasts` writes them, `size-positions` reads them).
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
//! The scaled forecast is `raw × scalar` exactly ([`ForecastSeries::scaled`]); it is not stored, to keep
//! the files small. Rows are grouped by rule (in `forecast_weights` order, `combined` last), dates
//! ascending within a rule. Null = NaN (no forecast that day).
//!
//! Storage (details of the Parquet encoding, chosen for encoding speed; readers need not care):
//! standard Parquet 1.0 data pages, no embedded Arrow schema (the Parquet types map to the Arrow
//! types above), one row group, pages of at most 20,000 rows. `rule` is dictionary-encoded (one
//! RLE run per rule); `date` DELTA_BINARY_PACKED and zstd level 1, with min/max statistics;
//! `scalar` dictionary-encoded runs when that is smaller than PLAIN (a fixed scalar is constant
//! within a rule), otherwise PLAIN; `raw` and `capped` PLAIN **uncompressed** (zstd saves only
//! 10–15 % on these dense floats and nearly doubled the encoding time). The key-value metadata
//! `systrade.rule_rows` lists the blocks of rows as a JSON array of `[rule, rows]`, so a reader
//! of one rule (size-positions reads `combined`) goes straight to its rows; files from other
//! writers are read by decoding the `rule` column instead.

use crate::columns::{CREATED_BY, ZSTD_LEVEL};
use crate::error::{Result, StoreError};
use crate::{PreparedFile, Store};
use arrow_array::{Array, Float64Array, StringArray, TimestampMicrosecondArray};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use chrono::Datelike;
use chrono::NaiveDate;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::column::page::{CompressedPage, Page};
use parquet::column::writer::{get_column_writer, get_typed_column_writer};
use parquet::data_type::Int64Type;
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::statistics::{Statistics, ValueStatistics};
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::SchemaDescriptor;
use std::path::Path;
use std::sync::Arc;
use systrade_model::{ForecastSeries, InstrumentCode, Timestamp};

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
/// uncompressed (8 bytes each when not null), the other columns take well under a byte per row.
const BYTES_PER_ROW: usize = 17;

/// Writer properties of the `date` pages, which parquet-rs' column writer encodes
/// (DELTA_BINARY_PACKED, zstd, no statistics in the pages: the chunk's are computed here).
fn date_page_properties() -> Result<WriterProperties, ParquetError> {
    Ok(WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(ZSTD_LEVEL)?))
        .set_dictionary_enabled(false)
        .set_statistics_enabled(EnabledStatistics::None)
        .set_offset_index_disabled(true)
        .set_encoding(Encoding::DELTA_BINARY_PACKED)
        .build())
}

/// Encodes one instrument's forecast series as Parquet bytes (layout in the module docs).
///
/// Written for speed (this was most of `compute-forecasts`' CPU on large rule sets; measured on
/// rob_system over all pst-data instruments and with `examples/encode_forecasts.rs`): the pages
/// are encoded here ([`crate::pages`]) with no per-value work beyond copying —
/// - `rule`: a dictionary of the rule names and one RLE run per rule;
/// - `date`: each distinct date index is encoded once (DELTA_BINARY_PACKED + zstd, by
///   parquet-rs' column writer) and its pages repeated for every rule with those dates;
/// - `scalar`: dictionary-encoded runs when smaller than PLAIN (fixed scalars are constant
///   within a rule), otherwise PLAIN;
/// - `raw` and `capped`: PLAIN uncompressed (zstd saved only 10–15 % on these dense floats
///   and nearly doubled the encoding time), each run of present values copied as it is;
///
/// and the output buffer is allocated once at its expected size.
pub(crate) fn encode_forecasts(series: &[ForecastSeries]) -> Result<Vec<u8>, ParquetError> {
    use crate::pages::{ChunkTotals, FileAssembly, KeptPages};
    let rows: usize = series.iter().map(|s| s.dates.len()).sum();
    let schema = Arc::new(SchemaDescriptor::new(Arc::new(parse_message_type(
        PARQUET_SCHEMA,
    )?)));
    let mut bytes = Vec::with_capacity(rows * BYTES_PER_ROW + (1 << 16));
    let mut file = FileAssembly::new(&mut bytes, schema.clone())?;

    crate::pages::write_repeated_strings(
        &mut file,
        series.iter().map(|s| (s.rule.as_str(), s.dates.len())),
    )?;

    // most rules of an instrument have the same dates: encoded once, their pages repeated
    let props = Arc::new(date_page_properties()?);
    let mut totals = ChunkTotals::default();
    let mut pages: Vec<(Page, usize)> = Vec::new();
    let mut pages_of: Option<&[NaiveDate]> = None;
    let (mut min, mut max) = (i64::MAX, i64::MIN);
    for s in series {
        if pages_of != Some(s.dates.as_slice()) {
            pages.clear();
            let micros: Vec<i64> = s.dates.iter().map(|d| midnight_micros(*d)).collect();
            for m in &micros {
                (min, max) = (min.min(*m), max.max(*m));
            }
            let mut writer = get_typed_column_writer::<Int64Type>(get_column_writer(
                schema.column(1),
                props.clone(),
                Box::new(KeptPages(&mut pages)),
            ));
            writer.write_batch(&micros, None, None)?;
            writer.close()?;
            pages_of = Some(&s.dates);
        }
        for (page, size) in &pages {
            file.write_page(&mut totals, CompressedPage::new(page.clone(), *size))?;
        }
    }
    let statistics = (rows > 0).then(|| {
        Statistics::from(
            ValueStatistics::<i64>::new(Some(min), Some(max), None, Some(0), false)
                .with_backwards_compatible_min_max(true),
        )
    });
    file.finish_column(
        totals,
        Compression::ZSTD(ZstdLevel::try_new(ZSTD_LEVEL)?),
        statistics,
    )?;

    // NaN = null: definition level 0 and no value
    crate::pages::write_plain_f64(&mut file, series.iter().map(|s| s.raw.as_slice()))?;
    let scalars = series.iter().map(|s| s.scalar.as_slice());
    if !crate::pages::write_dictionary_f64(&mut file, scalars.clone())? {
        crate::pages::write_plain_f64(&mut file, scalars)?;
    }
    crate::pages::write_plain_f64(&mut file, series.iter().map(|s| s.capped.as_slice()))?;
    file.finish(
        rows,
        CREATED_BY,
        vec![KeyValue::new(RULE_ROWS_KEY.to_string(), rule_rows(series))],
    )?;
    bytes.shrink_to_fit();
    Ok(bytes)
}

/// Key-value metadata entry of a forecasts file: its blocks of rows, in file order, as a JSON
/// array of `[rule, rows]`. Lets a reader of one rule go straight to its rows instead of decoding
/// the `rule` column (trusted only in files whose `created_by` is systrade's).
const RULE_ROWS_KEY: &str = "systrade.rule_rows";

fn rule_rows(series: &[ForecastSeries]) -> String {
    let blocks: Vec<(&str, usize)> = series
        .iter()
        .map(|s| (s.rule.as_str(), s.dates.len()))
        .collect();
    serde_json::to_string(&blocks).unwrap_or_default()
}

/// The rows `[first, end)` of the first block of `wanted` according to [`RULE_ROWS_KEY`]:
/// `Some(None)` when the file has no such rule, `None` when the entry is absent, not ours or does
/// not add up to the file's rows.
fn rows_from_metadata(
    meta: &parquet::file::metadata::FileMetaData,
    wanted: &str,
) -> Option<Option<(usize, usize)>> {
    if meta.created_by() != Some(CREATED_BY) {
        return None;
    }
    let entry = meta
        .key_value_metadata()?
        .iter()
        .find(|kv| kv.key == RULE_ROWS_KEY)?;
    let blocks: Vec<(String, usize)> = serde_json::from_str(entry.value.as_deref()?).ok()?;
    let total = blocks
        .iter()
        .try_fold(0usize, |a, (_, n)| a.checked_add(*n))?;
    if i64::try_from(total).ok()? != meta.num_rows() {
        return None;
    }
    let mut first = 0;
    for (rule, n) in blocks {
        if rule == wanted {
            return Some(Some((first, first + n)));
        }
        first += n;
    }
    Some(None)
}

/// Checks that a forecasts file has every column of [`schema`] with its type.
fn check_schema(path: &Path, got: &Schema) -> Result<()> {
    for f in schema().fields() {
        let (_, column) = got
            .column_with_name(f.name())
            .ok_or_else(|| StoreError::schema(path, f.name(), "missing column"))?;
        if column.data_type() != f.data_type() {
            return Err(StoreError::schema(
                path,
                f.name(),
                format!(
                    "has type {}, expected {}",
                    column.data_type(),
                    f.data_type()
                ),
            ));
        }
    }
    Ok(())
}

/// Reads only the rows of rule `wanted` of a forecasts file (the first block of them, as
/// [`decode_forecasts`] would return it): the `rule` column is decoded to find them, then only
/// their rows of `date`, `raw`, `scalar` and `capped` — the other rules' values are never
/// decoded. `None` when the file has no such rule.
///
/// # Errors
/// As [`decode_forecasts`] (for the rows read).
pub(crate) fn decode_forecast_rule(path: &Path, wanted: &str) -> Result<Option<ForecastSeries>> {
    use parquet::arrow::ProjectionMask;
    use parquet::arrow::arrow_reader::{RowSelection, RowSelector};
    let format = |e: ParquetError| StoreError::format(path, e);
    // read once: both passes decode from memory (no re-opened or duplicated file handles)
    let bytes = bytes::Bytes::from(std::fs::read(path).map_err(|e| StoreError::io(path, e))?);
    let open = || -> Result<ParquetRecordBatchReaderBuilder<bytes::Bytes>> {
        ParquetRecordBatchReaderBuilder::try_new(bytes.clone()).map_err(format)
    };
    let builder = open()?;
    check_schema(path, builder.schema())?;
    let roots = |names: &[&str]| {
        let fields = builder.parquet_schema().root_schema().get_fields();
        names
            .iter()
            .filter_map(|n| fields.iter().position(|f| f.name() == *n))
            .collect::<Vec<usize>>()
    };
    let (rule_only, values) = (
        ProjectionMask::roots(builder.parquet_schema(), roots(&["rule"])),
        ProjectionMask::roots(
            builder.parquet_schema(),
            roots(&["date", "raw", "scalar", "capped"]),
        ),
    );
    // the first block of rows of `wanted`: from the file's own index of its blocks, or by
    // decoding the rule column
    let (mut first, mut end, mut row) = (None, 0_usize, 0_usize);
    let indexed = rows_from_metadata(builder.metadata().file_metadata(), wanted);
    if let Some(block) = indexed {
        let Some((from, to)) = block else {
            return Ok(None);
        };
        (first, end) = (Some(from), to);
    }
    let scan = match indexed {
        Some(_) => None,
        None => Some(builder.with_projection(rule_only).build().map_err(format)?),
    };
    'batches: for batch in scan.into_iter().flatten() {
        let batch = batch.map_err(|e| StoreError::format(path, e))?;
        let rule = batch
            .column_by_name("rule")
            .and_then(|c| c.as_any().downcast_ref::<StringArray>())
            .ok_or_else(|| StoreError::schema(path, "rule", "is not Utf8"))?;
        for i in 0..batch.num_rows() {
            row += 1;
            if !rule.is_valid(i) {
                return Err(StoreError::value(path, row, "rule", "null"));
            }
            if rule.value(i) == wanted {
                first.get_or_insert(row - 1);
                end = row;
            } else if first.is_some() {
                break 'batches;
            }
        }
    }
    let Some(first) = first else {
        return Ok(None);
    };
    let selection = RowSelection::from(vec![
        RowSelector::skip(first),
        RowSelector::select(end - first),
    ]);
    let reader = open()?
        .with_projection(values)
        .with_row_selection(selection)
        .build()
        .map_err(format)?;
    let mut out = ForecastSeries {
        rule: wanted.to_string(),
        dates: Vec::with_capacity(end - first),
        raw: Vec::with_capacity(end - first),
        scalar: Vec::with_capacity(end - first),
        capped: Vec::with_capacity(end - first),
    };
    for batch in reader {
        let batch = batch.map_err(|e| StoreError::format(path, e))?;
        let date = batch
            .column_by_name("date")
            .and_then(|c| c.as_any().downcast_ref::<TimestampMicrosecondArray>())
            .ok_or_else(|| StoreError::schema(path, "date", "is not a timestamp"))?;
        let floats = |name: &str| -> Result<&Float64Array> {
            batch
                .column_by_name(name)
                .and_then(|c| c.as_any().downcast_ref::<Float64Array>())
                .ok_or_else(|| StoreError::schema(path, name, "is not Float64"))
        };
        let (raw, scalar, capped) = (floats("raw")?, floats("scalar")?, floats("capped")?);
        for i in 0..batch.num_rows() {
            if !date.is_valid(i) {
                return Err(StoreError::value(
                    path,
                    first + out.dates.len() + 1,
                    "date",
                    "null",
                ));
            }
            out.dates.push(Timestamp::from_micros(date.value(i)).date());
            let value = |a: &Float64Array| if a.is_valid(i) { a.value(i) } else { f64::NAN };
            out.raw.push(value(raw));
            out.scalar.push(value(scalar));
            out.capped.push(value(capped));
        }
    }
    Ok(Some(out))
}

/// Reads a forecasts file back into one [`ForecastSeries`] per rule, in file order.
///
/// # Errors
/// Missing file, missing column or wrong type (naming the file and column), nulls in `rule`/`date`.
pub(crate) fn decode_forecasts(path: &Path) -> Result<Vec<ForecastSeries>> {
    let format = |e: ParquetError| StoreError::format(path, e);
    let file = std::fs::File::open(path).map_err(|e| StoreError::io(path, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(format)?;
    check_schema(path, builder.schema())?;
    let file_schema = builder.schema().clone();
    let reader = builder.build().map_err(format)?;
    let mut out: Vec<ForecastSeries> = Vec::new();
    let mut row = 0;
    for batch in reader {
        let batch = batch.map_err(|e| StoreError::format(path, e))?;
        let column = |name: &str| batch.column(file_schema.index_of(name).expect("checked above"));
        // the types were checked above
        let rule = column("rule");
        let rule = rule
            .as_any()
            .downcast_ref::<StringArray>()
            .ok_or_else(|| StoreError::schema(path, "rule", "is not Utf8"))?;
        let date = column("date");
        let date = date
            .as_any()
            .downcast_ref::<TimestampMicrosecondArray>()
            .ok_or_else(|| StoreError::schema(path, "date", "is not a timestamp"))?;
        let floats = |name: &str| -> Result<Vec<f64>> {
            let c = column(name);
            let a = c
                .as_any()
                .downcast_ref::<Float64Array>()
                .ok_or_else(|| StoreError::schema(path, name, "is not Float64"))?;
            Ok(a.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
        };
        let (raw, scalar, capped) = (floats("raw")?, floats("scalar")?, floats("capped")?);
        for i in 0..batch.num_rows() {
            row += 1;
            for (field, valid) in [("rule", rule.is_valid(i)), ("date", date.is_valid(i))] {
                if !valid {
                    return Err(StoreError::value(path, row, field, "null"));
                }
            }
            let name = rule.value(i);
            if out.last().is_none_or(|s| s.rule != name) {
                out.push(ForecastSeries {
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

impl Store {
    /// `forecasts/<I>.parquet`: one series per rule and the combined forecast, in file order.
    pub fn read_forecasts(&self, instrument: &InstrumentCode) -> Result<Vec<ForecastSeries>> {
        decode_forecasts(&self.dir().forecasts_file(instrument))
    }

    /// `forecasts/<I>.parquet`: the series of one rule (e.g. [`systrade_model::COMBINED_RULE`])
    /// without decoding the other rules' values; `None` when the file has no such rule.
    pub fn read_forecast(
        &self,
        instrument: &InstrumentCode,
        rule: &str,
    ) -> Result<Option<ForecastSeries>> {
        decode_forecast_rule(&self.dir().forecasts_file(instrument), rule)
    }

    /// Encodes one instrument's forecasts for `forecasts/<I>.parquet` (no I/O, no lock).
    pub fn prepare_forecasts(
        &self,
        instrument: &InstrumentCode,
        series: &[ForecastSeries],
    ) -> Result<PreparedFile> {
        let path = self.dir().forecasts_file(instrument);
        let bytes = encode_forecasts(series).map_err(|e| StoreError::format(&path, e))?;
        Ok(PreparedFile {
            path,
            rows: series.iter().map(|s| s.dates.len()).sum(),
            bytes,
        })
    }
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
            ForecastSeries {
                rule: "carry".into(),
                dates: vec![d(29), d(30), d(31)],
                raw: vec![nan, -0.0, nan],
                scalar: vec![30.0, 30.0, 30.0],
                capped: vec![nan, 1e-300, nan],
            },
            ForecastSeries {
                rule: "ewmac2_8".into(),
                dates: vec![d(30), d(31)],
                raw: vec![nan, nan],
                scalar: vec![nan, 10.6],
                capped: vec![nan, nan],
            },
            ForecastSeries {
                rule: systrade_model::COMBINED_RULE.into(),
                dates: vec![d(31)],
                raw: vec![0.5],
                scalar: vec![1.1],
                capped: vec![f64::MAX],
            },
        ];
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("X.parquet");
        std::fs::write(&p, encode_forecasts(&series).unwrap()).unwrap();

        let back = decode_forecasts(&p).unwrap();
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
        assert_eq!(reader.schema().fields(), schema().fields());
        // the index of the rule blocks, in the file's metadata
        assert_eq!(
            reader
                .schema()
                .metadata()
                .get(RULE_ROWS_KEY)
                .map(String::as_str),
            Some(r#"[["carry",3],["ewmac2_8",2],["combined",1]]"#)
        );
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
        assert!(decode_forecasts(&p).unwrap().is_empty());

        // more rows than two pages, NaN runs across their boundaries
        let start = NaiveDate::from_ymd_opt(1980, 1, 1).unwrap();
        let n = 2 * crate::pages::PAGE_ROWS + 7;
        let series: Vec<ForecastSeries> = (0..3)
            .map(|r| ForecastSeries {
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
        let back = decode_forecasts(&p).unwrap();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(back.len(), 3);
        for (a, b) in series.iter().zip(&back) {
            assert_eq!((&a.rule, &a.dates), (&b.rule, &b.dates));
            assert_eq!(bits(&a.raw), bits(&b.raw));
            assert_eq!(bits(&a.scalar), bits(&b.scalar));
            assert_eq!(bits(&a.capped), bits(&b.capped));
        }
        // one rule alone (first, middle, last block; rows across reader batches) is the same,
        // found through the file's index of its blocks, and by decoding the rule column in the
        // same file rewritten by another writer (which keeps the index but not systrade's
        // created_by)
        let other = dir.path().join("other.parquet");
        let source = std::fs::File::open(&p).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(source).unwrap();
        let mut rewritten = Vec::new();
        let mut writer =
            parquet::arrow::ArrowWriter::try_new(&mut rewritten, reader.schema().clone(), None)
                .unwrap();
        for batch in reader.build().unwrap() {
            writer.write(&batch.unwrap()).unwrap();
        }
        writer.close().unwrap();
        std::fs::write(&other, rewritten).unwrap();
        for file in [&p, &other] {
            for a in &series {
                let b = decode_forecast_rule(file, &a.rule).unwrap().unwrap();
                assert_eq!((&a.rule, &a.dates), (&b.rule, &b.dates));
                assert_eq!(bits(&a.raw), bits(&b.raw), "{}", a.rule);
                assert_eq!(bits(&a.scalar), bits(&b.scalar), "{}", a.rule);
                assert_eq!(bits(&a.capped), bits(&b.capped), "{}", a.rule);
            }
            assert_eq!(decode_forecast_rule(file, "combined").unwrap(), None);
        }
    }

    /// The encodings of each column chunk of a forecasts file.
    fn encodings(bytes: Vec<u8>) -> Vec<Vec<Encoding>> {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let reader = SerializedFileReader::new(bytes::Bytes::from(bytes)).unwrap();
        let group = reader.metadata().row_group(0);
        group
            .columns()
            .iter()
            .map(|c| c.encodings().collect())
            .collect()
    }

    #[test]
    fn scalar_column_is_dictionary_encoded_only_when_smaller() {
        let start = NaiveDate::from_ymd_opt(1990, 6, 1).unwrap();
        let n = crate::pages::PAGE_ROWS + 100;
        let series = |scalar: &dyn Fn(usize, usize) -> f64| -> Vec<ForecastSeries> {
            (0..3)
                .map(|r| ForecastSeries {
                    rule: format!("r{r}"),
                    // the last rule has other dates (its date pages are encoded apart)
                    dates: (0..n - r / 2)
                        .map(|i| start + chrono::TimeDelta::days((i + r / 2) as i64))
                        .collect(),
                    raw: (0..n - r / 2).map(|i| i as f64).collect(),
                    scalar: (0..n - r / 2).map(|i| scalar(r, i)).collect(),
                    capped: vec![-0.0; n - r / 2],
                })
                .collect()
        };
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("X.parquet");
        // constant for long runs (−0 and +0 kept apart, NaN at the start): a dictionary
        let runs = |r: usize, i: usize| match (r, i / 5000) {
            (_, 0) if i < 30 => f64::NAN,
            (1, k) if k % 2 == 1 => -0.0,
            (1, _) => 0.0,
            (r, _) => 10.0 + r as f64,
        };
        // a different value every day: PLAIN
        let daily = |r: usize, i: usize| (r * n + i) as f64 / 3.0;
        for (scalar, encoding) in [
            (
                &runs as &dyn Fn(usize, usize) -> f64,
                Encoding::RLE_DICTIONARY,
            ),
            (&daily, Encoding::PLAIN),
        ] {
            let series = series(scalar);
            let bytes = encode_forecasts(&series).unwrap();
            let used = encodings(bytes.clone());
            assert!(used[0].contains(&Encoding::RLE_DICTIONARY), "{used:?}");
            assert!(used[1].contains(&Encoding::DELTA_BINARY_PACKED), "{used:?}");
            assert!(used[3].contains(&encoding), "{used:?}");
            std::fs::write(&p, bytes).unwrap();
            let back = decode_forecasts(&p).unwrap();
            assert_eq!(back.len(), series.len());
            for (a, b) in series.iter().zip(&back) {
                assert_eq!((&a.rule, &a.dates), (&b.rule, &b.dates));
                assert_eq!(bits(&a.raw), bits(&b.raw), "{}", a.rule);
                assert_eq!(bits(&a.capped), bits(&b.capped), "{}", a.rule);
                let canonical = |v: &[f64]| {
                    v.iter()
                        .map(|x| if x.is_nan() { f64::NAN } else { *x })
                        .collect::<Vec<_>>()
                };
                assert_eq!(bits(&canonical(&a.scalar)), bits(&b.scalar), "{}", a.rule);
            }
        }
    }

    /// The pages this crate encodes itself ([`crate::pages`]) read the same in pyarrow (what
    /// pandas and most Python tools use) as the values written: dictionary-encoded `rule` and
    /// `scalar`, repeated delta-encoded date pages, PLAIN floats with NaN runs across page
    /// boundaries, −0, an empty rule. Skipped, saying so, without python3 and pyarrow
    /// (`.ci/run` installs pyarrow).
    #[test]
    #[allow(clippy::print_stderr)] // says when pyarrow is missing
    fn pyarrow_reads_what_was_written() {
        let python = "import pyarrow";
        let has_pyarrow = std::process::Command::new("python3")
            .args(["-c", python])
            .output()
            .is_ok_and(|o| o.status.success());
        if !has_pyarrow {
            eprintln!("skipped: python3 with pyarrow is not installed (pip install pyarrow)");
            return;
        }
        let start = NaiveDate::from_ymd_opt(2001, 3, 1).unwrap();
        let n = crate::pages::PAGE_ROWS + 1500;
        let day = |i: usize| start + chrono::TimeDelta::days(i as i64);
        let mut series: Vec<ForecastSeries> = (0..3)
            .map(|r| ForecastSeries {
                rule: format!("rule_{r}"),
                dates: (r..n).map(day).collect(),
                raw: (r..n)
                    .map(|i| match i % 9000 {
                        0..700 => f64::NAN,
                        700..710 => -0.0,
                        _ => (i as f64 * 0.37).sin() * 1e3,
                    })
                    .collect(),
                scalar: (r..n)
                    .map(|i| if i < 300 { f64::NAN } else { 10.0 + r as f64 })
                    .collect(),
                capped: (r..n)
                    .map(|i| ((i as f64 * 0.37).sin() * 40.0).clamp(-20.0, 20.0))
                    .collect(),
            })
            .collect();
        series.push(ForecastSeries {
            rule: "empty".into(),
            dates: Vec::new(),
            raw: Vec::new(),
            scalar: Vec::new(),
            capped: Vec::new(),
        });
        let dir = tempfile::tempdir().unwrap();
        // scalars constant per rule (a dictionary), then varying daily (PLAIN), then no rows at
        // all (column chunks without pages)
        for case in ["constant", "daily", "empty"] {
            if case == "empty" {
                series.clear();
            }
            if case == "daily" {
                for s in &mut series {
                    for (i, x) in s.scalar.iter_mut().enumerate() {
                        *x = 1.0 + i as f64 / 7.0;
                    }
                }
            }
            let file = dir.path().join(format!("X_{case}.parquet"));
            std::fs::write(&file, encode_forecasts(&series).unwrap()).unwrap();
            // the expected rows, one per line: rule, date (µs), then raw, scalar and capped as
            // the bits of the double or `null`
            let bits = |x: f64| {
                if x.is_nan() {
                    "null".to_string()
                } else {
                    x.to_bits().to_string()
                }
            };
            let mut expected = String::new();
            for s in &series {
                for i in 0..s.dates.len() {
                    expected.push_str(&format!(
                        "{} {} {} {} {}\n",
                        s.rule,
                        midnight_micros(s.dates[i]),
                        bits(s.raw[i]),
                        bits(s.scalar[i]),
                        bits(s.capped[i])
                    ));
                }
            }
            let want = dir.path().join("expected.txt");
            std::fs::write(&want, expected).unwrap();
            let script = r#"
import struct, sys
import pyarrow.parquet as pq
t = pq.read_table(sys.argv[1])
cols = {c: t.column(c).to_pylist() for c in ["rule", "date", "raw", "scalar", "capped"]}
def bits(x):
    return "null" if x is None else str(struct.unpack("<Q", struct.pack("<d", x))[0])
def micros(d):
    return str((d - d.__class__(1970, 1, 1)) // d.resolution) if d is not None else "null"
got = ["%s %s %s %s %s" % (cols["rule"][i], micros(cols["date"][i]), bits(cols["raw"][i]),
       bits(cols["scalar"][i]), bits(cols["capped"][i])) for i in range(t.num_rows)]
want = open(sys.argv[2]).read().splitlines()
if str(t.schema.field("date").type) != "timestamp[us]" or t.schema.field("rule").type not in ("string", "large_string"):
    sys.exit("schema: %s" % t.schema)
if got != want:
    bad = next(i for i in range(min(len(got), len(want))) if got[i] != want[i]) if len(got) == len(want) else None
    sys.exit("rows %d vs %d; first difference at %s: %s / %s" % (len(got), len(want), bad,
             got[bad] if bad is not None else "", want[bad] if bad is not None else ""))
"#;
            let out = std::process::Command::new("python3")
                .arg("-c")
                .arg(script)
                .arg(&file)
                .arg(&want)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "pyarrow read {} differently: {}",
                file.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    #[test]
    fn parquet_round_trip_keeps_nan_and_order() {
        let d = |day| NaiveDate::from_ymd_opt(2024, 1, day).unwrap();
        let series = vec![
            ForecastSeries {
                rule: "ewmac8".into(),
                dates: vec![d(1), d(2)],
                raw: vec![f64::NAN, 1.5],
                scalar: vec![2.0, 2.0],
                capped: vec![f64::NAN, 3.0],
            },
            ForecastSeries {
                rule: systrade_model::COMBINED_RULE.into(),
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
        let back = decode_forecasts(&p).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].rule, "ewmac8");
        assert!(back[0].raw[0].is_nan());
        assert_eq!(back[0].capped[1], 3.0);
        assert_eq!(back[0].scaled()[1], 3.0);
        assert_eq!(back[1].dates, vec![d(2)]);
        assert_eq!(back[1].capped, vec![-20.0]);
    }

    #[test]
    fn store_reads_what_it_prepared_and_names_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path());
        let code = InstrumentCode::new("X").unwrap();
        let d = NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
        let series = vec![ForecastSeries {
            rule: systrade_model::COMBINED_RULE.into(),
            dates: vec![d],
            raw: vec![0.5],
            scalar: vec![1.1],
            capped: vec![0.55],
        }];
        let file = store.prepare_forecasts(&code, &series).unwrap();
        assert_eq!(file.path(), dir.path().join("forecasts/X.parquet"));
        assert_eq!(file.rows(), 1);
        let e = store.read_forecasts(&code).unwrap_err();
        assert!(e.is_not_found(), "{e}");
        let w = store.lock_for_writing(std::time::Duration::ZERO).unwrap();
        w.commit(&file).unwrap();
        assert_eq!(store.read_forecasts(&code).unwrap(), series);
        assert_eq!(
            store
                .read_forecast(&code, systrade_model::COMBINED_RULE)
                .unwrap(),
            Some(series[0].clone())
        );
        // another Parquet file under the name: the missing column is named
        w.write_adjusted_prices(&code, &systrade_model::AdjustedPrices::default())
            .unwrap();
        std::fs::copy(
            store.dir().adjusted_prices_file(&code),
            store.dir().forecasts_file(&code),
        )
        .unwrap();
        let e = store.read_forecasts(&code).unwrap_err().to_string();
        assert!(
            e.contains("X.parquet") && e.contains("column 'rule'"),
            "{e}"
        );
        let e = store
            .read_forecast(&code, systrade_model::COMBINED_RULE)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("X.parquet") && e.contains("column 'rule'"),
            "{e}"
        );
    }
}
