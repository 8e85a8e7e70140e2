//! Column-level Parquet encoding shared by every series kind: timestamps as Arrow
//! `Timestamp(Microsecond, None)` (non-null), prices as nullable `Float64` (`NaN` in memory is null in
//! the file and back), contract ids as non-null `Int64`. zstd compression.

use crate::error::{Result, StoreError};
use arrow_array::{
    Array, ArrayRef, Float64Array, Int64Array, RecordBatch, TimestampMicrosecondArray,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use std::path::Path;
use std::sync::Arc;

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

/// Encodes columns into Parquet bytes. `path` is only used in error messages.
pub(crate) fn encode(
    path: &Path,
    columns: &[(&str, ColumnType)],
    data: Vec<ColumnData>,
) -> Result<Vec<u8>> {
    let schema = schema(columns);
    let arrays: Vec<ArrayRef> = columns
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
        .collect();
    let batch =
        RecordBatch::try_new(schema.clone(), arrays).map_err(|e| StoreError::format(path, e))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(3).map_err(|e| StoreError::format(path, e))?,
        ))
        .set_created_by("systrade".to_string())
        .build();
    let mut bytes = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut bytes, schema, Some(props))
        .map_err(|e| StoreError::format(path, e))?;
    writer
        .write(&batch)
        .map_err(|e| StoreError::format(path, e))?;
    writer.close().map_err(|e| StoreError::format(path, e))?;
    Ok(bytes)
}

/// Reads the named columns of a Parquet file, checking that each exists with the expected type.
/// Other columns are ignored. Nulls in non-null columns are errors naming the row.
pub(crate) fn decode(path: &Path, columns: &[(&str, ColumnType)]) -> Result<Vec<ColumnData>> {
    let file = std::fs::File::open(path).map_err(|e| StoreError::io(path, e))?;
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| StoreError::format(path, e))?;
    let file_schema = builder.schema().clone();
    let mut indices = Vec::with_capacity(columns.len());
    for (name, t) in columns {
        let (i, field) = file_schema
            .column_with_name(name)
            .ok_or_else(|| StoreError::schema(path, name, "missing column"))?;
        let ok = match t {
            // Accept any timestamp without time zone in microseconds.
            ColumnType::Timestamp => {
                matches!(
                    field.data_type(),
                    DataType::Timestamp(TimeUnit::Microsecond, None)
                )
            }
            _ => field.data_type() == &t.data_type(),
        };
        if !ok {
            return Err(StoreError::schema(
                path,
                name,
                format!("has type {}, expected {}", field.data_type(), t.data_type()),
            ));
        }
        indices.push(i);
    }
    let rows = builder.metadata().file_metadata().num_rows().max(0) as usize;
    let reader = builder
        .with_batch_size(65_536)
        .build()
        .map_err(|e| StoreError::format(path, e))?;
    let mut out: Vec<ColumnData> = columns
        .iter()
        .map(|(_, t)| match t {
            ColumnType::Price => ColumnData::Float(Vec::with_capacity(rows)),
            _ => ColumnData::Int(Vec::with_capacity(rows)),
        })
        .collect();
    let mut row_base = 0usize;
    for batch in reader {
        let batch = batch.map_err(|e| StoreError::format(path, e))?;
        for ((&i, (name, t)), acc) in indices.iter().zip(columns).zip(out.iter_mut()) {
            let array = batch.column(i);
            match (t, acc) {
                (ColumnType::Price, ColumnData::Float(acc)) => {
                    let a = array
                        .as_any()
                        .downcast_ref::<Float64Array>()
                        .ok_or_else(|| StoreError::schema(path, name, "is not Float64"))?;
                    acc.extend(a.iter().map(|v| v.unwrap_or(f64::NAN)));
                }
                (ColumnType::Timestamp, ColumnData::Int(acc)) => {
                    let a = array
                        .as_any()
                        .downcast_ref::<TimestampMicrosecondArray>()
                        .ok_or_else(|| StoreError::schema(path, name, "is not a timestamp"))?;
                    push_non_null(path, name, row_base, a.iter(), acc)?;
                }
                (ColumnType::ContractId, ColumnData::Int(acc)) => {
                    let a = array
                        .as_any()
                        .downcast_ref::<Int64Array>()
                        .ok_or_else(|| StoreError::schema(path, name, "is not Int64"))?;
                    push_non_null(path, name, row_base, a.iter(), acc)?;
                }
                _ => unreachable!("accumulators match column types"),
            }
        }
        row_base += batch.num_rows();
    }
    Ok(out)
}

fn push_non_null(
    path: &Path,
    name: &str,
    row_base: usize,
    values: impl Iterator<Item = Option<i64>>,
    acc: &mut Vec<i64>,
) -> Result<()> {
    for (k, v) in values.enumerate() {
        match v {
            Some(v) => acc.push(v),
            None => {
                return Err(StoreError::value(
                    path,
                    row_base + k + 1,
                    name,
                    "null in a column that must not have nulls",
                ));
            }
        }
    }
    Ok(())
}
