//! Parquet files assembled page by page: the forecast files' writer ([`crate::forecasts`]) encodes
//! its pages itself where parquet-rs' column writers spend time per value on data that needs none
//! (a rule name repeated on every row, a scalar constant for years, runs of floats copied as they
//! are). The pages are standard Parquet (format 1.0 data pages; PLAIN, RLE and RLE_DICTIONARY
//! encodings, as parquet-rs, pyarrow and Spark write them); parquet-rs still writes every page
//! header and the footer ([`SerializedPageWriter`], [`ParquetMetaDataWriter`]), so no Thrift is
//! hand-written here.
//!
//! Encodings (<https://parquet.apache.org/docs/file-format/data-pages/encodings/>):
//! - definition levels of an optional column: the RLE/bit-packing hybrid with bit width 1, written
//!   as RLE runs only, after a 4-byte little-endian length (data page v1);
//! - dictionary indices: one byte of bit width, then RLE runs of the hybrid;
//! - PLAIN: doubles as 8 little-endian bytes, byte arrays as a 4-byte length and the bytes.

use bytes::{BufMut, Bytes, BytesMut};
use parquet::basic::{Compression, Encoding, PageType};
use parquet::column::page::{CompressedPage, Page, PageWriteSpec, PageWriter};
use parquet::errors::ParquetError;
use parquet::file::metadata::{
    ColumnChunkMetaData, FileMetaData, KeyValue, ParquetMetaData, ParquetMetaDataWriter,
    RowGroupMetaData,
};
use parquet::file::statistics::Statistics;
use parquet::file::writer::{SerializedPageWriter, TrackedWrite};
use parquet::schema::types::SchemaDescriptor;
use std::collections::HashMap;
use std::sync::Arc;

type Result<T> = std::result::Result<T, ParquetError>;

/// Rows per data page at most (parquet-rs' default page row limit), so a reader never holds more
/// than this many values of a column at once.
pub(crate) const PAGE_ROWS: usize = 20_000;

/// A Parquet file with one row group, written into a byte buffer column chunk by column chunk.
pub(crate) struct FileAssembly<'a> {
    sink: TrackedWrite<&'a mut Vec<u8>>,
    schema: Arc<SchemaDescriptor>,
    chunks: Vec<ColumnChunkMetaData>,
}

/// What a column chunk has written so far (its pages' offsets and sizes).
#[derive(Debug, Default)]
pub(crate) struct ChunkTotals {
    dictionary_offset: Option<i64>,
    data_offset: Option<i64>,
    compressed: i64,
    uncompressed: i64,
    values: i64,
    encodings: Vec<Encoding>,
}

impl ChunkTotals {
    fn add(&mut self, spec: &PageWriteSpec, encodings: &[Encoding]) -> Result<()> {
        let size =
            |n: usize| i64::try_from(n).map_err(|_| ParquetError::General("page too large".into()));
        let offset = i64::try_from(spec.offset)
            .map_err(|_| ParquetError::General("file too large".into()))?;
        match spec.page_type {
            PageType::DICTIONARY_PAGE => self.dictionary_offset = Some(offset),
            _ => {
                self.data_offset.get_or_insert(offset);
                self.values += i64::from(spec.num_values);
            }
        }
        self.compressed += size(spec.compressed_size)?;
        self.uncompressed += size(spec.uncompressed_size)?;
        for e in encodings {
            if !self.encodings.contains(e) {
                self.encodings.push(*e);
            }
        }
        Ok(())
    }
}

impl<'a> FileAssembly<'a> {
    /// Starts a file (its magic bytes) at the start of `buf`, which must be empty.
    pub(crate) fn new(buf: &'a mut Vec<u8>, schema: Arc<SchemaDescriptor>) -> Result<Self> {
        if !buf.is_empty() {
            return Err(ParquetError::General("file buffer not empty".into()));
        }
        let mut sink = TrackedWrite::new(buf);
        std::io::Write::write_all(&mut sink, b"PAR1")?;
        Ok(Self {
            sink,
            schema,
            chunks: Vec::new(),
        })
    }

    /// Writes one page of the current column chunk (header and body).
    pub(crate) fn write_page(
        &mut self,
        totals: &mut ChunkTotals,
        page: CompressedPage,
    ) -> Result<()> {
        let mut encodings = vec![page.encoding()];
        if let Page::DataPage {
            def_level_encoding, ..
        } = page.compressed_page()
            && self.current_column()?.max_def_level() > 0
        {
            encodings.push(*def_level_encoding);
        }
        let spec = SerializedPageWriter::new(&mut self.sink).write_page(page)?;
        totals.add(&spec, &encodings)
    }

    fn current_column(&self) -> Result<Arc<parquet::schema::types::ColumnDescriptor>> {
        let i = self.chunks.len();
        if i >= self.schema.num_columns() {
            return Err(ParquetError::General(
                "more columns written than the schema has".into(),
            ));
        }
        Ok(self.schema.column(i))
    }

    /// Ends the current column chunk, whose pages were compressed with `codec`.
    pub(crate) fn finish_column(
        &mut self,
        totals: ChunkTotals,
        codec: Compression,
        statistics: Option<Statistics>,
    ) -> Result<()> {
        let descr = self.current_column()?;
        let here = i64::try_from(self.sink.bytes_written())
            .map_err(|_| ParquetError::General("file too large".into()))?;
        let mut chunk = ColumnChunkMetaData::builder(descr)
            .set_compression(codec)
            .set_encodings(totals.encodings)
            .set_total_compressed_size(totals.compressed)
            .set_total_uncompressed_size(totals.uncompressed)
            .set_num_values(totals.values)
            // a chunk without rows has no page: its (empty) data starts where it ends
            .set_data_page_offset(totals.data_offset.unwrap_or(here))
            .set_dictionary_page_offset(totals.dictionary_offset);
        if let Some(statistics) = statistics {
            chunk = chunk.set_statistics(statistics);
        }
        self.chunks.push(chunk.build()?);
        Ok(())
    }

    /// Writes the footer (row group, schema, `created_by`, key-value metadata); the file is
    /// complete in the buffer afterwards.
    pub(crate) fn finish(
        self,
        rows: usize,
        created_by: &str,
        metadata: Vec<KeyValue>,
    ) -> Result<()> {
        if self.chunks.len() != self.schema.num_columns() {
            return Err(ParquetError::General(format!(
                "{} of {} columns written",
                self.chunks.len(),
                self.schema.num_columns()
            )));
        }
        let rows =
            i64::try_from(rows).map_err(|_| ParquetError::General("too many rows".into()))?;
        let total: i64 = self.chunks.iter().map(|c| c.uncompressed_size()).sum();
        let group = RowGroupMetaData::builder(self.schema.clone())
            .set_num_rows(rows)
            .set_total_byte_size(total)
            .set_column_metadata(self.chunks)
            .set_ordinal(0)
            .set_file_offset(4)
            .build()?;
        let file = FileMetaData::new(
            1,
            rows,
            Some(created_by.to_string()),
            Some(metadata),
            self.schema,
            None,
        );
        let meta = ParquetMetaData::new(file, vec![group]);
        ParquetMetaDataWriter::new_with_tracked(self.sink, &meta).finish()
    }
}

/// A [`PageWriter`] that keeps the pages a parquet-rs column writer gives it (each with its
/// uncompressed size), to be written (possibly several times) with [`FileAssembly::write_page`].
pub(crate) struct KeptPages<'k>(pub(crate) &'k mut Vec<(Page, usize)>);

impl PageWriter for KeptPages<'_> {
    fn write_page(&mut self, page: CompressedPage) -> Result<PageWriteSpec> {
        let mut spec = PageWriteSpec::new();
        spec.page_type = page.page_type();
        spec.uncompressed_size = page.uncompressed_size();
        spec.compressed_size = page.compressed_size();
        spec.num_values = page.num_values();
        spec.bytes_written = page.compressed_size() as u64;
        self.0
            .push((page.compressed_page().clone(), page.uncompressed_size()));
        Ok(spec)
    }

    fn close(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Appends `n` as an unsigned LEB128 varint.
fn put_varint(buf: &mut BytesMut, mut n: u64) {
    while n >= 0x80 {
        buf.put_u8((n as u8) | 0x80);
        n >>= 7;
    }
    buf.put_u8(n as u8);
}

/// Appends one RLE run of the hybrid encoding: `len` times `value`, stored in `value_bytes`
/// little-endian bytes.
fn put_rle_run(buf: &mut BytesMut, len: usize, value: u64, value_bytes: usize) {
    put_varint(buf, (len as u64) << 1);
    buf.put_slice(&value.to_le_bytes()[..value_bytes]);
}

/// Appends `values` PLAIN: each as its 8 little-endian bytes.
fn put_f64s(buf: &mut BytesMut, values: &[f64]) {
    #[cfg(target_endian = "little")]
    buf.put_slice(zerocopy::IntoBytes::as_bytes(values));
    #[cfg(not(target_endian = "little"))]
    for x in values {
        buf.put_f64_le(*x);
    }
}

/// Bits needed to store every number up to `max` (0 for 0).
fn bit_width(max: u64) -> u8 {
    (64 - max.leading_zeros()) as u8
}

/// A data page (v1) of `rows` values, uncompressed.
fn data_page(body: Bytes, rows: usize, encoding: Encoding) -> Result<CompressedPage> {
    let size = body.len();
    let num_values =
        u32::try_from(rows).map_err(|_| ParquetError::General("page too long".into()))?;
    Ok(CompressedPage::new(
        Page::DataPage {
            buf: body,
            num_values,
            encoding,
            def_level_encoding: Encoding::RLE,
            rep_level_encoding: Encoding::RLE,
            statistics: None,
        },
        size,
    ))
}

/// Values checked at a time when looking for the end of a run (a whole group is compared
/// without branching, which the compiler turns into vector compares).
const GROUP: usize = 16;

/// The length of the run at the start of `values` of values `same` holds for.
fn run_length(values: &[f64], same: impl Fn(f64) -> bool) -> usize {
    let mut i = 0;
    for group in values.chunks_exact(GROUP) {
        if !group.iter().fold(true, |all, x| all & same(*x)) {
            break;
        }
        i += GROUP;
    }
    i + values[i..]
        .iter()
        .position(|x| !same(*x))
        .unwrap_or(values.len() - i)
}

/// A run of equal values of a page: `len` values with bits `bits` (NaN: missing).
#[derive(Debug, Clone, Copy)]
struct Run {
    bits: u64,
    len: usize,
}

impl Run {
    fn present(self) -> bool {
        !f64::from_bits(self.bits).is_nan()
    }
}

/// A dictionary page of `entries` values, PLAIN-encoded in `body`, uncompressed.
fn dictionary_page(body: Bytes, entries: usize) -> Result<CompressedPage> {
    let size = body.len();
    let num_values =
        u32::try_from(entries).map_err(|_| ParquetError::General("dictionary too large".into()))?;
    Ok(CompressedPage::new(
        Page::DictionaryPage {
            buf: body,
            num_values,
            encoding: Encoding::PLAIN,
            is_sorted: false,
        },
        size,
    ))
}

/// Writes the definition levels of a page (1 = present, 0 = missing) from its runs (`present`
/// says which are present; neighbours alike are merged): the 4-byte length, then RLE runs.
fn put_definition_levels(buf: &mut BytesMut, runs: impl Iterator<Item = (bool, usize)>) {
    let at = buf.len();
    buf.put_u32_le(0);
    let mut current: Option<(bool, usize)> = None;
    for (present, len) in runs {
        current = match current {
            Some((p, n)) if p == present => Some((p, n + len)),
            Some((p, n)) => {
                put_rle_run(buf, n, u64::from(p), 1);
                Some((present, len))
            }
            None => Some((present, len)),
        };
    }
    if let Some((p, n)) = current {
        put_rle_run(buf, n, u64::from(p), 1);
    }
    let len = (buf.len() - at - 4) as u32;
    buf[at..at + 4].copy_from_slice(&len.to_le_bytes());
}

/// Writes an optional `double` column chunk PLAIN and uncompressed: per block of values (rows in
/// file order, one block per rule), pages of at most [`PAGE_ROWS`] rows, NaN as null.
pub(crate) fn write_plain_f64<'v>(
    file: &mut FileAssembly<'_>,
    blocks: impl IntoIterator<Item = &'v [f64]>,
) -> Result<()> {
    let mut totals = ChunkTotals::default();
    let mut buf = BytesMut::new();
    // the page's alternating runs of missing and present values, as (present, start, length)
    let mut runs: Vec<(bool, usize, usize)> = Vec::new();
    for block in blocks {
        for values in block.chunks(PAGE_ROWS) {
            runs.clear();
            let mut i = 0;
            while i < values.len() {
                let nan = values[i].is_nan();
                let len = run_length(&values[i..], |x| x.is_nan() == nan);
                runs.push((!nan, i, len));
                i += len;
            }
            buf.reserve(4 + values.len() * 8 + 16);
            put_definition_levels(&mut buf, runs.iter().map(|r| (r.0, r.2)));
            for &(present, start, len) in &runs {
                if present {
                    put_f64s(&mut buf, &values[start..start + len]);
                }
            }
            let page = data_page(buf.split().freeze(), values.len(), Encoding::PLAIN)?;
            file.write_page(&mut totals, page)?;
        }
    }
    file.finish_column(totals, Compression::UNCOMPRESSED, None)
}

/// Writes an optional `double` column chunk dictionary-encoded (RLE runs of indices), when that
/// is smaller than PLAIN: for columns whose values stay the same for long runs (a fixed forecast
/// scalar). Returns `false`, having written nothing, when it would not be smaller.
pub(crate) fn write_dictionary_f64<'v>(
    file: &mut FileAssembly<'_>,
    blocks: impl IntoIterator<Item = &'v [f64]>,
) -> Result<bool> {
    // per page its runs of equal bits (so −0 and +0 stay apart; NaN runs are missing values),
    // and the distinct present values
    let mut pages: Vec<Vec<Run>> = Vec::new();
    let mut index: HashMap<u64, u64> = HashMap::new();
    let mut dictionary: Vec<f64> = Vec::new();
    let (mut runs, mut present) = (0usize, 0usize);
    for block in blocks {
        for values in block.chunks(PAGE_ROWS) {
            let mut page = Vec::new();
            let mut i = 0;
            while i < values.len() {
                let bits = values[i].to_bits();
                let len = run_length(&values[i..], |x| x.to_bits() == bits);
                let run = Run { bits, len };
                if run.present() {
                    present += len;
                    runs += 1;
                    index.entry(bits).or_insert_with(|| {
                        dictionary.push(values[i]);
                        dictionary.len() as u64 - 1
                    });
                }
                page.push(run);
                i += len;
                // a run of 1 takes at least 2 bytes: PLAIN (8) is not beaten by much
                if runs * 4 > present.max(16) * 3 {
                    return Ok(false);
                }
            }
            pages.push(page);
        }
    }
    if dictionary.is_empty() {
        return Ok(false);
    }
    let width = bit_width(dictionary.len() as u64 - 1);
    let value_bytes = usize::from(width).div_ceil(8);
    let estimate = dictionary.len() * 8 + runs * (value_bytes + 3);
    if estimate >= present * 8 {
        return Ok(false);
    }
    let mut totals = ChunkTotals::default();
    let mut buf = BytesMut::with_capacity(dictionary.len() * 8);
    put_f64s(&mut buf, &dictionary);
    let page = dictionary_page(buf.split().freeze(), dictionary.len())?;
    file.write_page(&mut totals, page)?;
    for runs in pages {
        put_definition_levels(&mut buf, runs.iter().map(|r| (r.present(), r.len)));
        buf.put_u8(width);
        for run in runs.iter().filter(|r| r.present()) {
            put_rle_run(&mut buf, run.len, index[&run.bits], value_bytes);
        }
        let rows = runs.iter().map(|r| r.len).sum();
        let page = data_page(buf.split().freeze(), rows, Encoding::RLE_DICTIONARY)?;
        file.write_page(&mut totals, page)?;
    }
    file.finish_column(totals, Compression::UNCOMPRESSED, None)?;
    Ok(true)
}

/// Writes a required byte-array column chunk whose value is the same within each block
/// (`(value, rows)` in file order), dictionary-encoded: a dictionary page of the distinct values
/// and data pages of one RLE run per block.
pub(crate) fn write_repeated_strings<'v>(
    file: &mut FileAssembly<'_>,
    blocks: impl IntoIterator<Item = (&'v str, usize)> + Clone,
) -> Result<()> {
    let mut totals = ChunkTotals::default();
    let mut dictionary: Vec<&str> = Vec::new();
    for (value, rows) in blocks.clone() {
        if rows > 0 && !dictionary.contains(&value) {
            dictionary.push(value);
        }
    }
    if dictionary.is_empty() {
        return file.finish_column(totals, Compression::UNCOMPRESSED, None);
    }
    let mut buf = BytesMut::new();
    for value in &dictionary {
        let len = u32::try_from(value.len())
            .map_err(|_| ParquetError::General("string too long".into()))?;
        buf.put_u32_le(len);
        buf.put_slice(value.as_bytes());
    }
    let page = dictionary_page(buf.split().freeze(), dictionary.len())?;
    file.write_page(&mut totals, page)?;
    let width = bit_width(dictionary.len() as u64 - 1);
    let value_bytes = usize::from(width).div_ceil(8);
    for (value, rows) in blocks {
        let id = dictionary.iter().position(|v| *v == value).unwrap_or(0) as u64;
        let mut left = rows;
        while left > 0 {
            let n = left.min(PAGE_ROWS);
            buf.put_u8(width);
            put_rle_run(&mut buf, n, id, value_bytes);
            let page = data_page(buf.split().freeze(), n, Encoding::RLE_DICTIONARY)?;
            file.write_page(&mut totals, page)?;
            left -= n;
        }
    }
    file.finish_column(totals, Compression::UNCOMPRESSED, None)
}
