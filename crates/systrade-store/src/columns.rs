//! Column-level Parquet encoding shared by every series kind: timestamps as Arrow
//! `Timestamp(Microsecond, None)` (non-null), prices as nullable `Float64` (`NaN` in memory is null in
//! the file and back), contract ids as non-null `Int64`. zstd compression; see [`encode`] for the row-group layout
//! (whole-file rewrite, or stored row groups copied byte for byte plus one appended row group).

use crate::error::{Result, StoreError};
use arrow_array::{
    Array, ArrayRef, Float64Array, Int64Array, RecordBatch, TimestampMicrosecondArray,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::{ArrowWriter, ProjectionMask, parquet_to_arrow_schema};
use parquet::basic::{Compression, ZstdLevel};
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::column::writer::ColumnCloseResult;
use parquet::errors::ParquetError;
use parquet::file::metadata::{KeyValue, ParquetMetaData, ParquetMetaDataReader};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnPath;
use std::path::Path;
use std::sync::Arc;
use twox_hash::XxHash3_128;

/// The type of one stored column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnType {
    /// Arrow `Timestamp(Microsecond, None)`, non-null.
    Timestamp,
    /// Arrow `Float64`, nullable.
    Price,
    /// Arrow `Int64`, non-null: a contract id `YYYYMMDD`.
    ContractId,
}

impl ColumnType {
    fn data_type(self) -> DataType {
        match self {
            Self::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
            Self::Price => DataType::Float64,
            Self::ContractId => DataType::Int64,
        }
    }

    fn nullable(self) -> bool {
        self == Self::Price
    }
}

/// The values of one column in memory.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ColumnData {
    /// Timestamps or contract ids.
    Int(Vec<i64>),
    /// Prices; `NaN` = missing.
    Float(Vec<f64>),
}

impl ColumnData {
    pub(crate) fn into_int(self) -> Vec<i64> {
        match self {
            Self::Int(v) => v,
            Self::Float(_) => unreachable!("column types are checked on decode"),
        }
    }

    pub(crate) fn into_float(self) -> Vec<f64> {
        match self {
            Self::Float(v) => v,
            Self::Int(_) => unreachable!("column types are checked on decode"),
        }
    }
}

fn schema(columns: &[(&str, ColumnType)]) -> Arc<Schema> {
    Arc::new(Schema::new(
        columns
            .iter()
            .map(|(name, t)| Field::new(*name, t.data_type(), t.nullable()))
            .collect::<Vec<_>>(),
    ))
}

/// zstd level of every file. Measured on a 62,676-row contract-price file (40 years × 6 contracts, 2
/// cores, release): level 1 encodes in about half the time of level 3 and, without dictionary pages
/// on the float and timestamp columns, gives smaller files than the old level 3 + dictionary layout.
pub(crate) const ZSTD_LEVEL: i32 = 1;

/// `created_by` of the files this crate writes. Row-group hashes ([`HASHES_KEY`]) are trusted only in
/// files with this `created_by`: a file rewritten by another tool (pyarrow keeps key-value metadata)
/// gets a full rewrite instead of an append.
pub(crate) const CREATED_BY: &str = "systrade";

/// Key-value metadata entry holding, per row group in file order, the xxh3-128 hash of its decoded
/// content ([`rows_hash`]) as 32 hex digits, comma-separated. Lets an append check that the rows it
/// keeps are exactly the stored ones without decoding them.
const HASHES_KEY: &str = "systrade.row_group_xxh3_128";

/// A file with more row groups than this is compacted (rewritten as one row group) on its next write,
/// so reads stay fast after many daily appends.
pub(crate) const MAX_ROW_GROUPS: usize = 64;

/// Writer properties: zstd, dictionary pages only for contract-id columns (few distinct values;
/// useless and slow for prices and timestamps), chunk-level statistics, no page index (files are
/// always read whole). Standard Parquet, readable by pyarrow/pandas.
fn writer_properties(
    path: &Path,
    columns: &[(&str, ColumnType)],
    key_value: Vec<KeyValue>,
) -> Result<WriterProperties> {
    let mut b = WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(ZSTD_LEVEL).map_err(|e| StoreError::format(path, e))?,
        ))
        .set_dictionary_enabled(false)
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .set_offset_index_disabled(true)
        .set_created_by(CREATED_BY.to_string())
        .set_key_value_metadata(Some(key_value));
    for (name, t) in columns {
        if *t == ColumnType::ContractId {
            b = b.set_column_dictionary_enabled(ColumnPath::from(*name), true);
        }
    }
    Ok(b.build())
}

/// The next column writer of a row group written column by column (an error when the schema
/// has fewer columns than the writer was given).
pub(crate) fn next_column<'a, W: std::io::Write + Send>(
    group: &'a mut parquet::file::writer::SerializedRowGroupWriter<'_, W>,
) -> Result<parquet::file::writer::SerializedColumnWriter<'a>, ParquetError> {
    group
        .next_column()?
        .ok_or_else(|| ParquetError::General("more columns written than the schema has".into()))
}

/// Closes a row group written column by column, refusing one with columns left unwritten.
pub(crate) fn close_row_group<W: std::io::Write + Send>(
    mut group: parquet::file::writer::SerializedRowGroupWriter<'_, W>,
) -> Result<(), ParquetError> {
    if group.next_column()?.is_some() {
        return Err(ParquetError::General("unwritten columns".into()));
    }
    group.close().map(|_| ())
}

/// Reusable buffers for writing nullable `double` columns, NaN as null (definition level 0, no
/// value); see [`NullableF64::write`].
#[derive(Default)]
pub(crate) struct NullableF64 {
    /// Definition levels of all-present slices: only ever ones, grown as needed.
    ones: Vec<i16>,
    /// Definition levels of a slice with NaN.
    levels: Vec<i16>,
    /// The non-NaN values of a slice with NaN.
    present: Vec<f64>,
}

impl NullableF64 {
    /// Writes `values` to a nullable `double` column: a slice without NaN is passed as is,
    /// otherwise its non-NaN values with their definition levels.
    pub(crate) fn write(
        &mut self,
        col: &mut parquet::file::writer::SerializedColumnWriter<'_>,
        values: &[f64],
    ) -> Result<usize, ParquetError> {
        let writer = col.typed::<parquet::data_type::DoubleType>();
        if values.iter().any(|x| x.is_nan()) {
            self.levels.clear();
            self.levels
                .extend(values.iter().map(|x| i16::from(!x.is_nan())));
            self.present.clear();
            self.present
                .extend(values.iter().copied().filter(|x| !x.is_nan()));
            writer.write_batch(&self.present, Some(&self.levels), None)
        } else {
            if self.ones.len() < values.len() {
                self.ones.resize(values.len(), 1);
            }
            writer.write_batch(values, Some(&self.ones[..values.len()]), None)
        }
    }
}

/// Number of rows of `data` (all columns have the same length).
fn row_count(data: &[ColumnData]) -> usize {
    match data.first() {
        Some(ColumnData::Int(v)) => v.len(),
        Some(ColumnData::Float(v)) => v.len(),
        None => 0,
    }
}

/// The xxh3-128 hash of rows `range` of `data`: the columns in order, each value as its 8
/// little-endian bytes (`NaN` as the canonical `f64::NAN`, since any `NaN` is stored as null and read
/// back as `f64::NAN`). Equal hashes mean equal decoded content.
pub(crate) fn rows_hash(data: &[ColumnData], range: std::ops::Range<usize>) -> u128 {
    const CHUNK: usize = 1024;
    let mut h = XxHash3_128::new();
    let mut buf = [0u8; CHUNK * 8];
    for col in data {
        match col {
            ColumnData::Int(v) => {
                for chunk in v[range.clone()].chunks(CHUNK) {
                    for (b, x) in buf.chunks_exact_mut(8).zip(chunk) {
                        b.copy_from_slice(&x.to_le_bytes());
                    }
                    h.write(&buf[..chunk.len() * 8]);
                }
            }
            ColumnData::Float(v) => {
                for chunk in v[range.clone()].chunks(CHUNK) {
                    for (b, x) in buf.chunks_exact_mut(8).zip(chunk) {
                        let x = if x.is_nan() { f64::NAN } else { *x };
                        b.copy_from_slice(&x.to_bits().to_le_bytes());
                    }
                    h.write(&buf[..chunk.len() * 8]);
                }
            }
        }
    }
    h.finish_128()
}

fn hashes_entry(hashes: &[u128]) -> KeyValue {
    let value = hashes
        .iter()
        .map(|h| format!("{h:032x}"))
        .collect::<Vec<_>>()
        .join(",");
    KeyValue::new(HASHES_KEY.to_string(), value)
}

/// The per-row-group hashes of a file written by this crate, if it has them for every row group.
fn stored_hashes(meta: &ParquetMetaData) -> Option<Vec<u128>> {
    let fm = meta.file_metadata();
    if fm.created_by() != Some(CREATED_BY) {
        return None;
    }
    let value = fm
        .key_value_metadata()?
        .iter()
        .find(|kv| kv.key == HASHES_KEY)?
        .value
        .as_deref()?;
    let hashes = value
        .split(',')
        .map(|h| u128::from_str_radix(h, 16).ok())
        .collect::<Option<Vec<_>>>()?;
    (hashes.len() == meta.num_row_groups()).then_some(hashes)
}

fn to_arrays(columns: &[(&str, ColumnType)], data: Vec<ColumnData>) -> Vec<ArrayRef> {
    columns
        .iter()
        .zip(data)
        .map(|((_, t), d)| -> ArrayRef {
            match (t, d) {
                (ColumnType::Timestamp, ColumnData::Int(v)) => {
                    Arc::new(TimestampMicrosecondArray::from(v))
                }
                (ColumnType::ContractId, ColumnData::Int(v)) => Arc::new(Int64Array::from(v)),
                (ColumnType::Price, ColumnData::Float(v)) => Arc::new(
                    v.into_iter()
                        .map(|x| (!x.is_nan()).then_some(x))
                        .collect::<Float64Array>(),
                ),
                _ => unreachable!("column data matches its declared type"),
            }
        })
        .collect()
}

/// Encodes columns into a Parquet file of one row group, recording its hash.
fn encode_full(
    path: &Path,
    columns: &[(&str, ColumnType)],
    data: Vec<ColumnData>,
) -> Result<Vec<u8>> {
    let hash = rows_hash(&data, 0..row_count(&data));
    encode_one_row_group(path, columns, data, vec![hashes_entry(&[hash])])
}

fn encode_one_row_group(
    path: &Path,
    columns: &[(&str, ColumnType)],
    data: Vec<ColumnData>,
    key_value: Vec<KeyValue>,
) -> Result<Vec<u8>> {
    let schema = schema(columns);
    let batch = RecordBatch::try_new(schema.clone(), to_arrays(columns, data))
        .map_err(|e| StoreError::format(path, e))?;
    let props = writer_properties(path, columns, key_value)?;
    let mut bytes = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut bytes, schema, Some(props))
        .map_err(|e| StoreError::format(path, e))?;
    writer
        .write(&batch)
        .map_err(|e| StoreError::format(path, e))?;
    writer.close().map_err(|e| StoreError::format(path, e))?;
    Ok(bytes)
}

/// A stored file read whole into memory (one consistent snapshot, even if the file is replaced
/// meanwhile), with its footer parsed.
pub(crate) struct StoredFile {
    bytes: Bytes,
    meta: ParquetMetaData,
}

impl StoredFile {
    /// Reads `path`; `None` if it does not exist or is not a Parquet file (the caller then writes the
    /// file in full, which reports any real problem).
    pub(crate) fn read(path: &Path) -> Option<Self> {
        let bytes = Bytes::from(std::fs::read(path).ok()?);
        let meta = ParquetMetaDataReader::new().parse_and_finish(&bytes).ok()?;
        Some(Self { bytes, meta })
    }

    /// Rows per row group.
    fn row_group_rows(&self) -> impl Iterator<Item = usize> + '_ {
        self.meta
            .row_groups()
            .iter()
            .map(|rg| rg.num_rows().max(0) as usize)
    }

    pub(crate) fn num_rows(&self) -> usize {
        self.row_group_rows().sum()
    }
}

/// How a file was encoded (for tests and benchmarks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// One row group, every value encoded.
    Full,
    /// The stored row groups copied byte for byte, plus one new row group.
    Appended,
    /// The stored file already holds exactly these rows.
    Same,
}

/// Encodes columns into Parquet bytes. `path` is the file they will replace (also used in error
/// messages): when it holds, per its row-group hashes, exactly the first rows of `data` in at most
/// [`MAX_ROW_GROUPS`] row groups, its row groups are copied without decoding and the remaining rows
/// are added as one new row group; otherwise everything is encoded into one row group.
pub(crate) fn encode(
    path: &Path,
    columns: &[(&str, ColumnType)],
    data: Vec<ColumnData>,
) -> Result<Vec<u8>> {
    encode_with(path, columns, data, StoredFile::read(path)).map(|(b, _)| b)
}

pub(crate) fn encode_with(
    path: &Path,
    columns: &[(&str, ColumnType)],
    data: Vec<ColumnData>,
    stored: Option<StoredFile>,
) -> Result<(Vec<u8>, Layout)> {
    let Some(stored) = stored else {
        return Ok((encode_full(path, columns, data)?, Layout::Full));
    };
    let Some(hashes) = stored_hashes(&stored.meta) else {
        return Ok((encode_full(path, columns, data)?, Layout::Full));
    };
    let total = row_count(&data);
    let kept = stored.num_rows();
    if kept == 0 || kept > total {
        return Ok((encode_full(path, columns, data)?, Layout::Full));
    }
    let mut start = 0;
    for (rows, hash) in stored.row_group_rows().zip(&hashes) {
        if rows_hash(&data, start..start + rows) != *hash {
            return Ok((encode_full(path, columns, data)?, Layout::Full));
        }
        start += rows;
    }
    if kept == total {
        return Ok((stored.bytes.to_vec(), Layout::Same));
    }
    if hashes.len() >= MAX_ROW_GROUPS {
        return Ok((encode_full(path, columns, data)?, Layout::Full));
    }
    let new: Vec<ColumnData> = data
        .iter()
        .map(|c| match c {
            ColumnData::Int(v) => ColumnData::Int(v[kept..].to_vec()),
            ColumnData::Float(v) => ColumnData::Float(v[kept..].to_vec()),
        })
        .collect();
    match append_row_group(path, columns, &stored, hashes, new)? {
        Some(bytes) => Ok((bytes, Layout::Appended)),
        None => Ok((encode_full(path, columns, data)?, Layout::Full)),
    }
}

/// A file made of the row groups of `stored` (copied byte for byte, with their `hashes`) followed by
/// one row group holding `new`. `None` when the stored schema differs from `columns`' (the caller then
/// rewrites the file).
pub(crate) fn append_row_group(
    path: &Path,
    columns: &[(&str, ColumnType)],
    stored: &StoredFile,
    mut hashes: Vec<u128>,
    new: Vec<ColumnData>,
) -> Result<Option<Vec<u8>>> {
    let fmt = |e: parquet::errors::ParquetError| StoreError::format(path, e);
    let new_hash = rows_hash(&new, 0..row_count(&new));
    let part = Bytes::from(encode_one_row_group(path, columns, new, Vec::new())?);
    let part_meta = ParquetMetaDataReader::new()
        .parse_and_finish(&part)
        .map_err(fmt)?;
    let schema = stored.meta.file_metadata().schema_descr();
    if schema.root_schema() != part_meta.file_metadata().schema_descr().root_schema() {
        return Ok(None);
    }
    hashes.push(new_hash);
    let mut key_value = vec![hashes_entry(&hashes)];
    key_value.extend(
        part_meta
            .file_metadata()
            .key_value_metadata()
            .into_iter()
            .flatten()
            .filter(|kv| kv.key != HASHES_KEY)
            .cloned(),
    );
    let props = Arc::new(writer_properties(path, columns, key_value)?);
    let out = Vec::with_capacity(stored.bytes.len() + part.len() + 4096);
    let mut writer =
        SerializedFileWriter::new(out, schema.root_schema_ptr(), props).map_err(fmt)?;
    for (source, meta) in [(&stored.bytes, &stored.meta), (&part, &part_meta)] {
        for rg in meta.row_groups() {
            let mut rg_writer = writer.next_row_group().map_err(fmt)?;
            for chunk in rg.columns() {
                let close = ColumnCloseResult {
                    bytes_written: chunk.compressed_size().max(0) as u64,
                    rows_written: rg.num_rows().max(0) as u64,
                    metadata: chunk.clone(),
                    bloom_filter: None,
                    column_index: None,
                    offset_index: None,
                };
                rg_writer.append_column(source, close).map_err(fmt)?;
            }
            rg_writer.close().map_err(fmt)?;
        }
    }
    Ok(Some(writer.into_inner().map_err(fmt)?))
}

/// zstd level of the long-format tables (backtest outputs, estimates): written once per run and
/// read by people's tools, so the smaller files of level 3 are worth the encoding time.
const TABLE_ZSTD_LEVEL: i32 = 3;

/// Encodes a long-format table (backtest outputs, estimates) as one whole Parquet file: `batches`
/// in order, all of `schema`, zstd level 3, created by systrade.
pub(crate) fn encode_table(
    schema: Arc<Schema>,
    batches: impl IntoIterator<Item = std::result::Result<RecordBatch, arrow_schema::ArrowError>>,
) -> std::result::Result<Vec<u8>, ParquetError> {
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(TABLE_ZSTD_LEVEL)?))
        .set_created_by(CREATED_BY.to_string())
        .build();
    let mut bytes = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut bytes, schema, Some(props))?;
    for batch in batches {
        writer.write(&batch?)?;
    }
    writer.close()?;
    Ok(bytes)
}

/// Reads every record batch of the long-format table at `path`, refusing a file whose fields are
/// not `schema`'s with "expected the columns {expected}".
pub(crate) fn read_table(path: &Path, schema: &Schema, expected: &str) -> Result<Vec<RecordBatch>> {
    let file = std::fs::File::open(path).map_err(|e| StoreError::io(path, e))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| StoreError::format(path, e))?;
    let mut batches = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| StoreError::format(path, e))?;
        if batch.schema().fields() != schema.fields() {
            return Err(StoreError::format(
                path,
                format!("expected the columns {expected}"),
            ));
        }
        batches.push(batch);
    }
    Ok(batches)
}

/// Reads the named columns of a Parquet file, checking that each exists with the expected type.
/// Other columns are ignored. Nulls in non-null columns are errors naming the row.
pub(crate) fn decode(path: &Path, columns: &[(&str, ColumnType)]) -> Result<Vec<ColumnData>> {
    let all: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
    decode_projected(path, columns, &all)
}

/// Like [`decode`], checking that every column of `columns` exists with its type, but decoding only
/// the columns named in `wanted` (returned in `wanted`'s order); the others are never decompressed.
///
/// The file is read whole and each wanted column decoded with Parquet's column readers straight
/// into its `Vec` (no Arrow arrays in between): prices arrive as their non-null values plus
/// definition levels and are spread out with `NaN` for the nulls.
pub(crate) fn decode_projected(
    path: &Path,
    columns: &[(&str, ColumnType)],
    wanted: &[&str],
) -> Result<Vec<ColumnData>> {
    let bytes = Bytes::from(std::fs::read(path).map_err(|e| StoreError::io(path, e))?);
    let reader = SerializedFileReader::new(bytes).map_err(|e| StoreError::format(path, e))?;
    let file_meta = reader.metadata().file_metadata();
    let descr = file_meta.schema_descr();
    let file_schema = parquet_to_arrow_schema(descr, file_meta.key_value_metadata())
        .map_err(|e| StoreError::format(path, e))?;
    for (name, t) in columns {
        let (_, field) = file_schema
            .column_with_name(name)
            .ok_or_else(|| StoreError::schema(path, name, "missing column"))?;
        let ok = match t {
            // Accept any timestamp without time zone in microseconds.
            ColumnType::Timestamp => matches!(
                field.data_type(),
                DataType::Timestamp(TimeUnit::Microsecond, None)
            ),
            _ => field.data_type() == &t.data_type(),
        };
        if !ok {
            return Err(StoreError::schema(
                path,
                name,
                format!("has type {}, expected {}", field.data_type(), t.data_type()),
            ));
        }
    }
    let rows = usize::try_from(file_meta.num_rows()).unwrap_or(0);
    let mut out = Vec::with_capacity(wanted.len());
    for w in wanted {
        let (name, t) = columns
            .iter()
            .find(|(n, _)| n == w)
            .copied()
            .expect("wanted columns are declared columns");
        // a flat schema: the leaf index is the column's position
        let leaf = (0..descr.num_columns())
            .find(|&i| descr.column(i).path().parts() == [name])
            .ok_or_else(|| StoreError::schema(path, name, "missing column"))?;
        let nullable = descr.column(leaf).max_def_level() > 0;
        let mut data = match t {
            ColumnType::Price => ColumnData::Float(Vec::with_capacity(rows)),
            ColumnType::Timestamp | ColumnType::ContractId => {
                ColumnData::Int(Vec::with_capacity(rows))
            }
        };
        let mut row_base = 0usize;
        for g in 0..reader.num_row_groups() {
            let group = reader
                .get_row_group(g)
                .map_err(|e| StoreError::format(path, e))?;
            let n = usize::try_from(group.metadata().num_rows()).unwrap_or(0);
            let column = group
                .get_column_reader(leaf)
                .map_err(|e| StoreError::format(path, e))?;
            match (column, &mut data) {
                (ColumnReader::DoubleColumnReader(mut r), ColumnData::Float(acc)) => {
                    let (values, levels) = read_leaf(path, name, &mut r, n, nullable)?;
                    match levels {
                        Some(levels) if values.len() < levels.len() => {
                            let mut v = values.into_iter();
                            acc.extend(
                                levels
                                    .iter()
                                    .map(|&l| if l > 0 { v.next() } else { None })
                                    .map(|x| x.unwrap_or(f64::NAN)),
                            );
                        }
                        _ => acc.extend_from_slice(&values),
                    }
                }
                (ColumnReader::Int64ColumnReader(mut r), ColumnData::Int(acc)) => {
                    let (values, levels) = read_leaf(path, name, &mut r, n, nullable)?;
                    if let Some(k) = levels.and_then(|l| l.iter().position(|&d| d == 0)) {
                        return Err(StoreError::value(
                            path,
                            row_base + k + 1,
                            name,
                            "null in a column that must not have nulls",
                        ));
                    }
                    acc.extend_from_slice(&values);
                }
                _ => return Err(StoreError::schema(path, name, "unexpected physical type")),
            }
            row_base += n;
        }
        out.push(data);
    }
    Ok(out)
}

/// One column chunk: its non-null values and, for a nullable column, one definition level per row
/// (0 = null).
type LeafValues<T> = (Vec<T>, Option<Vec<i16>>);

/// All `n` rows of one column chunk ([`LeafValues`]).
fn read_leaf<T: parquet::data_type::DataType>(
    path: &Path,
    name: &str,
    reader: &mut ColumnReaderImpl<T>,
    n: usize,
    nullable: bool,
) -> Result<LeafValues<T::T>> {
    let mut values = Vec::with_capacity(n);
    let mut levels = nullable.then(|| Vec::with_capacity(n));
    let mut read = 0;
    while read < n {
        let (records, _, _) = reader
            .read_records(n - read, levels.as_mut(), None, &mut values)
            .map_err(|e| StoreError::format(path, e))?;
        if records == 0 {
            return Err(StoreError::value(
                path,
                read + 1,
                name,
                format!("column ends after {read} of {n} rows"),
            ));
        }
        read += records;
    }
    Ok((values, levels))
}

/// The (timestamp, secondary) key of the last row of `stored`, decoding only those columns of its
/// last row group; the secondary key is 0 without a `secondary` column. `None` if the file has no
/// rows or the columns cannot be read (the caller then takes the path that reports errors).
fn last_key(stored: &StoredFile, timestamp: &str, secondary: Option<&str>) -> Option<(i64, i64)> {
    let last_group = stored.meta.num_row_groups().checked_sub(1)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(stored.bytes.clone()).ok()?;
    let fields = builder.parquet_schema().root_schema().get_fields();
    let index = |name: &str| fields.iter().position(|f| f.name() == name);
    let mut roots = vec![index(timestamp)?];
    if let Some(s) = secondary {
        roots.push(index(s)?);
    }
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let reader = builder
        .with_row_groups(vec![last_group])
        .with_projection(mask)
        .build()
        .ok()?;
    let mut last = None;
    for batch in reader {
        let batch = batch.ok()?;
        let n = batch.num_rows().checked_sub(1)?;
        let ts = batch
            .column_by_name(timestamp)?
            .as_any()
            .downcast_ref::<TimestampMicrosecondArray>()?;
        let key2 = match secondary {
            Some(s) => {
                let a = batch
                    .column_by_name(s)?
                    .as_any()
                    .downcast_ref::<Int64Array>()?;
                a.is_valid(n).then(|| a.value(n))?
            }
            None => 0,
        };
        last = Some((ts.is_valid(n).then(|| ts.value(n))?, key2));
    }
    last
}

/// Appends rows that all sort strictly after the stored ones without reading the stored values: the
/// stored row groups are copied and `new` becomes one more row group. `new_keys` are the new rows'
/// (timestamp, secondary) keys, `timestamp`/`secondary` the names of those columns. `None` (nothing
/// done) when this does not apply: no stored file or no row-group hashes, [`MAX_ROW_GROUPS`] reached
/// (compaction is due), new rows not strictly increasing or not all after the last stored row.
/// Otherwise the bytes of the new file and its number of rows.
pub(crate) fn try_append_after_last(
    path: &Path,
    columns: &[(&str, ColumnType)],
    timestamp: &str,
    secondary: Option<&str>,
    new_keys: &[(i64, i64)],
    new: impl FnOnce() -> Vec<ColumnData>,
) -> Result<Option<(Vec<u8>, usize)>> {
    let Some(first) = new_keys.first() else {
        return Ok(None);
    };
    if !new_keys.windows(2).all(|w| w[0] < w[1]) {
        return Ok(None);
    }
    let Some(stored) = StoredFile::read(path) else {
        return Ok(None);
    };
    let Some(hashes) = stored_hashes(&stored.meta) else {
        return Ok(None);
    };
    if hashes.len() >= MAX_ROW_GROUPS {
        return Ok(None);
    }
    match last_key(&stored, timestamp, secondary) {
        Some(last) if *first > last => {
            let rows = stored.num_rows() + new_keys.len();
            Ok(append_row_group(path, columns, &stored, hashes, new())?.map(|b| (b, rows)))
        }
        _ => Ok(None),
    }
}
