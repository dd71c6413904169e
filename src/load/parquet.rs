//! Parquet files: their schema comes from the footer (no row is read to bind a query); rows are read a row
//! group at a time, only the projected columns, and row groups are decoded on all cores. Arrow types map to
//! Kusto types as follows (a field's `kusto_type` metadata, written by `kqlite import`, wins):
//!
//! | Arrow | Kusto |
//! |---|---|
//! | Boolean | bool |
//! | Int8, Int16, Int32, UInt8, UInt16 | int |
//! | Int64, UInt32, UInt64 | long |
//! | Float16, Float32, Float64 | real |
//! | Decimal128/256 | decimal (scale 10) |
//! | Utf8, LargeUtf8, Utf8View, Dictionary of strings | string |
//! | Binary, LargeBinary, FixedSizeBinary | string (UTF-8 text; other bytes as lowercase hex) |
//! | Timestamp (any unit, any zone), Date32, Date64 | datetime (UTC) |
//! | Duration (any unit) | timespan |
//! | List, LargeList, FixedSizeList, Struct, Map | dynamic (JSON text) |
//! | anything else (Interval, Union, Time, …) | an error naming the file and column |

use super::decode::{Tally, Target};
use super::shape::io_err;
use crate::diagnostics::LoadError;
use crate::types::{KqlColumn, KqlType};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use datafusion::arrow::compute::{cast_with_options, CastOptions};
use datafusion::arrow::datatypes::{DataType, Field, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

/// The metadata key holding a column's Kusto type in files `kqlite import` writes.
pub const KUSTO_TYPE: &str = "kusto_type";

/// The Kusto type of an Arrow field, or why it has none.
pub fn kusto_type(f: &Field) -> Result<KqlType, String> {
    if let Some(t) = f.metadata().get(KUSTO_TYPE).and_then(|t| KqlType::parse(t)) {
        return Ok(t);
    }
    // the scalar types as everywhere in kqlite; then what only files bring: bytes, dictionaries, nesting
    if let Some(t) = KqlType::from_arrow(f.data_type()) {
        return Ok(t);
    }
    Ok(match f.data_type() {
        DataType::Binary | DataType::LargeBinary | DataType::FixedSizeBinary(_) | DataType::BinaryView => {
            KqlType::String
        }
        DataType::Dictionary(_, v) if matches!(**v, DataType::Utf8 | DataType::LargeUtf8) => KqlType::String,
        DataType::List(_)
        | DataType::LargeList(_)
        | DataType::FixedSizeList(..)
        | DataType::Struct(_)
        | DataType::Map(..) => KqlType::Dynamic,
        other => return Err(format!("column {} has type {other}, which has no Kusto type", f.name())),
    })
}

fn builder(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<std::fs::File>, LoadError> {
    let f = std::fs::File::open(path).map_err(|e| io_err(path, e))?;
    ParquetRecordBatchReaderBuilder::try_new(f).map_err(|e| format_err(path, &e.to_string()))
}

fn format_err(path: &Path, m: &str) -> LoadError {
    LoadError::Format { path: path.display().to_string(), line: 1, col: 1, message: format!("Parquet: {m}") }
}

/// The columns of a Parquet file (from its footer) and its row-group count.
pub fn columns(path: &Path) -> Result<(Vec<KqlColumn>, usize), LoadError> {
    let b = builder(path)?;
    let groups = b.metadata().num_row_groups();
    let mut cols = Vec::new();
    for f in b.schema().fields() {
        let ty = kusto_type(f).map_err(|m| format_err(path, &m))?;
        cols.push(KqlColumn { name: f.name().clone(), ty });
    }
    Ok((cols, groups))
}

/// The number of rows of a Parquet file, from its footer.
pub fn num_rows(path: &Path) -> Result<u64, LoadError> {
    Ok(builder(path)?.metadata().file_metadata().num_rows().max(0) as u64)
}

/// Rows per batch read from a row group: a group (128k rows in the files `kqlite import` writes) is handed on
/// in slices so that only one slice of each projected column is decoded at a time. With strings read as views,
/// 8k-row slices peaked 10–35 % lower than 16k on the hunting suite, in the same time.
const GROUP_BATCH_ROWS: usize = 8 * 1024;

/// Row group `group` of a file being read: its batches of the target's columns, one slice at a time.
pub struct GroupReader {
    reader: parquet::arrow::arrow_reader::ParquetRecordBatchReader,
    target: Arc<Target>,
    path: std::path::PathBuf,
    group: usize,
}

/// Row group `group` of the file, opened for reading `t`'s columns.
pub fn open_group(path: &Path, group: usize, t: Arc<Target>) -> Result<GroupReader, LoadError> {
    use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
    let b = builder(path)?;
    let file_schema = b.schema().clone();
    let wanted: Vec<usize> =
        t.columns.iter().filter_map(|(n, _)| file_schema.fields().iter().position(|f| f.name() == n)).collect();
    // Strings are read as views of the decoded pages, and `to_kusto` copies each slice's strings once into a
    // buffer of their size (see from_views): read directly, a slice's string buffer grows by doubling as rows
    // are added, and the allocator keeps each size it went through. A column chunk of a few bytes (one value
    // repeated, most often the empty string of a column the export leaves blank) is read directly: views would
    // cost 16 bytes a row for nothing.
    let varied = |i: usize| {
        let chunk = b.metadata().row_groups().get(group).filter(|g| g.num_columns() == file_schema.fields().len());
        chunk.is_none_or(|g| g.column(i).uncompressed_size() > 4096)
    };
    let views: Vec<Field> = file_schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| match f.data_type() {
            DataType::Utf8 | DataType::LargeUtf8 if varied(i) => f.as_ref().clone().with_data_type(DataType::Utf8View),
            _ => f.as_ref().clone(),
        })
        .collect();
    let hint = Arc::new(datafusion::arrow::datatypes::Schema::new_with_metadata(views, file_schema.metadata().clone()));
    let meta = ArrowReaderMetadata::try_new(b.metadata().clone(), ArrowReaderOptions::new().with_schema(hint))
        .map_err(|e| format_err(path, &e.to_string()))?;
    let f = std::fs::File::open(path).map_err(|e| io_err(path, e))?;
    let b = ParquetRecordBatchReaderBuilder::new_with_metadata(f, meta);
    let mask = ProjectionMask::roots(b.parquet_schema(), wanted.iter().copied());
    let reader = b
        .with_row_groups(vec![group])
        .with_projection(mask)
        .with_batch_size(GROUP_BATCH_ROWS)
        .build()
        .map_err(|e| format_err(path, &e.to_string()))?;
    Ok(GroupReader { reader, target: t, path: path.to_path_buf(), group })
}

impl GroupReader {
    /// The next slice of the group as a batch of the target's columns (converted to their Kusto types), with
    /// its counts; `None` at the end of the group.
    pub fn next_batch(&mut self) -> Option<Result<(RecordBatch, Tally), LoadError>> {
        let read = self.reader.next()?;
        Some(read.map_err(|e| format_err(&self.path, &e.to_string())).and_then(|b| self.convert(&b)))
    }

    fn convert(&self, read: &RecordBatch) -> Result<(RecordBatch, Tally), LoadError> {
        let (path, t, rows) = (&self.path, &self.target, read.num_rows());
        let mut tally = Tally { rows: rows as u64, ..Tally::default() };
        let mut arrays = Vec::with_capacity(t.columns.len());
        for (name, ty) in &t.columns {
            let col = match read.column_by_name(name) {
                None => {
                    // a column of the table this file does not have
                    let mut b = super::convert::ColumnBuilder::new(*ty, rows);
                    (0..rows).for_each(|_| b.push_null());
                    b.finish()
                }
                Some(a) => {
                    let (c, bad) = to_kusto(a, *ty, &ty.to_arrow())
                        .map_err(|m| format_err(path, &format!("column {name}: {m}")))?;
                    if bad > 0 {
                        if t.strict {
                            return Err(format_err(
                                path,
                                &format!("{bad} values of column {name} do not fit type {} (--strict)", ty.name()),
                            ));
                        }
                        let group = self.group;
                        tally.coerce(name, bad as u64, || format!("in {} row group {group}", path.display()));
                    }
                    c
                }
            };
            arrays.push(col);
        }
        let batch = t.batch(arrays, rows).map_err(|m| format_err(path, &m))?;
        Ok((batch, tally))
    }
}

/// Strings read as views, copied into one buffer of their size; a null is `""` unless `keep_nulls`.
fn from_views(v: &datafusion::arrow::array::StringViewArray, keep_nulls: bool) -> Result<ArrayRef, String> {
    use datafusion::arrow::array::StringArray;
    use datafusion::arrow::buffer::{Buffer, OffsetBuffer, ScalarBuffer};
    let views = v.views();
    let nulls = v.nulls().filter(|n| n.null_count() > 0);
    let len = |i: usize, w: u128| if nulls.is_some_and(|n| n.is_null(i)) { 0 } else { w as u32 as usize };
    let (values, offsets) = if views.iter().all(|w| *w == 0) {
        // every string empty (a column the export leaves blank): no bytes to copy
        (Vec::new(), vec![0i32; views.len() + 1])
    } else {
        let bytes: usize = views.iter().enumerate().map(|(i, w)| len(i, *w)).sum();
        if i32::try_from(bytes).is_err() {
            return Err(format!("{bytes} bytes of strings in one slice"));
        }
        let buffers = v.data_buffers();
        // room for a power of two: untouched capacity costs no memory, and buffers of a few sizes are reused
        // by the allocator slice after slice where exact sizes each took new pages (peak 8-10 MB lower on 06,
        // 08, 13, 15)
        let mut values: Vec<u8> = Vec::with_capacity(bytes.next_power_of_two());
        let mut offsets: Vec<i32> = Vec::with_capacity(views.len() + 1);
        offsets.push(0);
        for (i, w) in views.iter().enumerate() {
            let n = len(i, *w);
            if n <= 12 {
                values.extend_from_slice(w.to_le_bytes().get(4..4 + n).unwrap_or_default());
            } else {
                let (buffer, offset) = ((*w >> 64) as u32 as usize, (*w >> 96) as u32 as usize);
                let data = buffers.get(buffer).and_then(|b| b.as_slice().get(offset..offset + n));
                values.extend_from_slice(data.ok_or("a string view outside its buffers")?);
            }
            offsets.push(values.len() as i32);
        }
        (values, offsets)
    };
    let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
    let nulls = if keep_nulls { nulls.cloned() } else { None };
    let a = StringArray::try_new(offsets, Buffer::from_vec(values), nulls).map_err(|e| e.to_string())?;
    Ok(Arc::new(a))
}

/// One column converted to the Arrow type of its Kusto type; the count of values that became null.
fn to_kusto(a: &ArrayRef, ty: KqlType, target: &DataType) -> Result<(ArrayRef, usize), String> {
    if a.data_type() == target {
        return Ok((a.clone(), 0));
    }
    let text = |a: &ArrayRef| -> ArrayRef {
        let mut b = StringBuilder::with_capacity(a.len(), a.len() * 8);
        for i in 0..a.len() {
            if a.is_null(i) {
                if ty == KqlType::String {
                    b.append_value("");
                } else {
                    b.append_null();
                }
            } else {
                b.append_value(cell_text(a, i, ty == KqlType::Dynamic));
            }
        }
        Arc::new(b.finish())
    };
    match (ty, a.data_type()) {
        (KqlType::String | KqlType::Dynamic | KqlType::Guid, DataType::Utf8View) if target == &DataType::Utf8 => {
            return Ok((from_views(a.as_string_view(), ty != KqlType::String)?, 0));
        }
        (KqlType::Dynamic, _)
        | (
            KqlType::String | KqlType::Guid,
            DataType::List(_)
            | DataType::Struct(_)
            | DataType::Map(..)
            | DataType::LargeList(_)
            | DataType::FixedSizeList(..)
            | DataType::Binary
            | DataType::LargeBinary
            | DataType::FixedSizeBinary(_)
            | DataType::BinaryView,
        ) => return Ok((text(a), 0)),
        (KqlType::String, _) => {
            let c = cast_with_options(a, target, &CastOptions::default()).map_err(|e| e.to_string())?;
            // Kusto strings are never null
            let s = c.as_string::<i32>();
            let filled: datafusion::arrow::array::StringArray = s.iter().map(|v| Some(v.unwrap_or(""))).collect();
            return Ok((Arc::new(filled), 0));
        }
        (KqlType::Datetime, DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64) => {
            let naive = cast_with_options(a, &DataType::Timestamp(TimeUnit::Nanosecond, None), &CastOptions::default())
                .map_err(|e| e.to_string())?;
            let c = cast_with_options(&naive, target, &CastOptions::default()).map_err(|e| e.to_string())?;
            let bad = c.null_count().saturating_sub(a.null_count());
            return Ok((c, bad));
        }
        _ => {}
    }
    let opts = CastOptions { safe: true, ..CastOptions::default() };
    let c = cast_with_options(a, target, &opts).map_err(|e| e.to_string())?;
    let bad = c.null_count().saturating_sub(a.null_count());
    Ok((c, bad))
}

/// A cell as text: nested values as compact JSON, bytes as UTF-8 text or hex.
fn cell_text(a: &ArrayRef, i: usize, dynamic: bool) -> String {
    let v = json_value(a.as_ref(), i);
    match v {
        Value::String(s) if !dynamic => s,
        // serde_json writes compact JSON
        v => v.to_string(),
    }
}

fn json_value(a: &dyn Array, i: usize) -> Value {
    use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
    if a.is_null(i) {
        return Value::Null;
    }
    match a.data_type() {
        DataType::List(_) => list(a.as_list::<i32>().value(i).as_ref()),
        DataType::LargeList(_) => list(a.as_list::<i64>().value(i).as_ref()),
        DataType::FixedSizeList(..) => list(a.as_fixed_size_list().value(i).as_ref()),
        DataType::Struct(fields) => {
            let s = a.as_struct();
            Value::Object(
                fields.iter().zip(s.columns()).map(|(f, c)| (f.name().clone(), json_value(c.as_ref(), i))).collect(),
            )
        }
        DataType::Map(..) => {
            let m = a.as_map();
            let entries = m.value(i);
            let (k, v) = (entries.column(0), entries.column(1));
            Value::Object(
                (0..entries.len())
                    .map(|j| {
                        let key = match json_value(k.as_ref(), j) {
                            Value::String(s) => s,
                            other => other.to_string(),
                        };
                        (key, json_value(v.as_ref(), j))
                    })
                    .collect(),
            )
        }
        DataType::Binary | DataType::LargeBinary | DataType::FixedSizeBinary(_) | DataType::BinaryView => {
            let bytes: &[u8] = match a.data_type() {
                DataType::Binary => a.as_binary::<i32>().value(i),
                DataType::LargeBinary => a.as_binary::<i64>().value(i),
                DataType::BinaryView => a.as_binary_view().value(i),
                _ => a.as_fixed_size_binary().value(i),
            };
            match std::str::from_utf8(bytes) {
                Ok(s) => Value::String(s.to_string()),
                Err(_) => Value::String(bytes.iter().map(|b| format!("{b:02x}")).collect()),
            }
        }
        DataType::Boolean => Value::Bool(a.as_boolean().value(i)),
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Float32
        | DataType::Float64 => {
            let text = ArrayFormatter::try_new(a, &FormatOptions::default())
                .map(|f| f.value(i).to_string())
                .unwrap_or_default();
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        }
        _ => Value::String(
            ArrayFormatter::try_new(a, &FormatOptions::default()).map(|f| f.value(i).to_string()).unwrap_or_default(),
        ),
    }
}

fn list(a: &dyn Array) -> Value {
    Value::Array((0..a.len()).map(|j| json_value(a, j)).collect())
}

/// A new Parquet file being written batch by batch (zstd-compressed), each field carrying its Kusto type in
/// metadata. It is created with `create_new`: an existing file is never overwritten; a sink dropped without
/// [`ParquetSink::finish`] removes its partial file.
pub struct ParquetSink {
    writer: Option<parquet::arrow::ArrowWriter<std::fs::File>>,
    schema: Arc<datafusion::arrow::datatypes::Schema>,
    path: std::path::PathBuf,
    rows: u64,
}

impl ParquetSink {
    pub fn create(path: &Path, columns: &[KqlColumn]) -> Result<ParquetSink, crate::diagnostics::Error> {
        use datafusion::arrow::datatypes::Schema;
        use parquet::arrow::ArrowWriter;
        use parquet::basic::{Compression, ZstdLevel};
        use parquet::file::properties::WriterProperties;
        let fields: Vec<Field> = columns
            .iter()
            .map(|c| {
                Field::new(&c.name, c.ty.to_arrow(), true)
                    .with_metadata([(KUSTO_TYPE.to_string(), c.ty.name().to_string())].into_iter().collect())
            })
            .collect();
        let schema = Arc::new(Schema::new(fields));
        let file = std::fs::OpenOptions::new().write(true).create_new(true).open(path).map_err(|e| io_err(path, e))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_max_row_group_row_count(Some(128 * 1024))
            .build();
        match ArrowWriter::try_new(file, schema.clone(), Some(props)) {
            Ok(w) => Ok(ParquetSink { writer: Some(w), schema, path: path.to_path_buf(), rows: 0 }),
            Err(e) => {
                let _ = std::fs::remove_file(path);
                Err(format_err(path, &e.to_string()).into())
            }
        }
    }

    pub fn write(&mut self, b: &RecordBatch) -> Result<(), crate::diagnostics::Error> {
        let path = self.path.clone();
        let b = RecordBatch::try_new(self.schema.clone(), b.columns().to_vec())
            .map_err(|e| format_err(&path, &e.to_string()))?;
        self.rows += b.num_rows() as u64;
        match self.writer.as_mut() {
            Some(w) => w.write(&b).map_err(|e| format_err(&path, &e.to_string()).into()),
            None => Ok(()),
        }
    }

    /// Closes the file; the rows written.
    pub fn finish(mut self) -> Result<u64, crate::diagnostics::Error> {
        let path = self.path.clone();
        match self.writer.take() {
            Some(w) => {
                if let Err(e) = w.close() {
                    let _ = std::fs::remove_file(&path);
                    return Err(format_err(&path, &e.to_string()).into());
                }
                Ok(self.rows)
            }
            None => Ok(self.rows),
        }
    }
}

impl Drop for ParquetSink {
    fn drop(&mut self) {
        // not finished: the file is partial
        if self.writer.take().is_some() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Writes `batches` (of Kusto schema `columns`) to a new Parquet file at `path`. An existing file is never
/// overwritten; a failure leaves no file.
pub fn write(
    path: &Path,
    columns: &[KqlColumn],
    batches: impl Iterator<Item = Result<RecordBatch, crate::diagnostics::Error>>,
) -> Result<u64, crate::diagnostics::Error> {
    let mut sink = ParquetSink::create(path, columns)?;
    for b in batches {
        sink.write(&b?)?;
    }
    sink.finish()
}

/// A comparison of a column with a constant (`Timestamp > datetime(...)`, `RemotePort == 3389`) that a row
/// group's min/max statistics can rule out.
#[derive(Debug, Clone, PartialEq)]
pub struct Prune {
    pub column: String,
    pub op: datafusion::logical_expr::Operator,
    pub value: Num,
}

/// A constant or statistic as a number: integers, datetimes (ns) and timespans (ns) exactly, reals as reals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    I(i128),
    F(f64),
}

impl std::fmt::Display for Prune {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self.value {
            Num::I(v) => write!(f, "{} {} {v}", self.column, self.op),
            Num::F(v) => write!(f, "{} {} {v}", self.column, self.op),
        }
    }
}

impl Prune {
    /// `column op constant` (either way round) from a filter DataFusion offers the scan.
    pub fn of(e: &datafusion::logical_expr::Expr) -> Option<Prune> {
        use datafusion::common::ScalarValue as S;
        use datafusion::logical_expr::{Expr, Operator};
        let Expr::BinaryExpr(b) = e else { return None };
        let (col, lit, op) = match (b.left.as_ref(), b.right.as_ref()) {
            (Expr::Column(c), Expr::Literal(v, _)) => (c, v, b.op),
            (Expr::Literal(v, _), Expr::Column(c)) => (c, v, b.op.swap()?),
            _ => return None,
        };
        if !matches!(op, Operator::Eq | Operator::Lt | Operator::LtEq | Operator::Gt | Operator::GtEq) {
            return None;
        }
        let value = match lit {
            S::Int32(Some(v)) => Num::I(*v as i128),
            S::Int64(Some(v)) => Num::I(*v as i128),
            S::TimestampNanosecond(Some(v), _) => Num::I(*v as i128),
            S::DurationNanosecond(Some(v)) => Num::I(*v as i128),
            S::Float64(Some(v)) if v.is_finite() => Num::F(*v),
            _ => return None,
        };
        Some(Prune { column: col.name.clone(), op, value })
    }

    /// Can no value in `[min, max]` satisfy this comparison?
    fn excludes(&self, min: Num, max: Num) -> bool {
        use datafusion::logical_expr::Operator;
        use std::cmp::Ordering::*;
        let cmp = |a: Num, b: Num| match (a, b) {
            (Num::I(x), Num::I(y)) => Some(x.cmp(&y)),
            (Num::F(x), Num::F(y)) => x.partial_cmp(&y),
            _ => None,
        };
        let (Some(v_min), Some(v_max)) = (cmp(self.value, min), cmp(self.value, max)) else { return false };
        match self.op {
            Operator::Eq => v_min == Less || v_max == Greater,
            Operator::Gt => v_max != Less,
            Operator::GtEq => v_max == Greater,
            Operator::Lt => v_min != Greater,
            Operator::LtEq => v_min == Less,
            _ => false,
        }
    }
}

/// The row groups of a file that may hold rows passing every comparison in `prunes` (by the min/max
/// statistics of columns whose stored type is the Kusto type's own; any doubt keeps the group).
pub fn row_groups(path: &Path, prunes: &[Prune]) -> Result<Vec<usize>, LoadError> {
    use parquet::file::statistics::Statistics as St;
    let b = builder(path)?;
    let meta = b.metadata().clone();
    let schema = b.schema().clone();
    let mut keep = Vec::new();
    for (g, rg) in meta.row_groups().iter().enumerate() {
        let excluded = prunes.iter().any(|p| {
            let Some((i, field)) = schema.fields().iter().enumerate().find(|(_, f)| f.name() == &p.column) else {
                return false;
            };
            let native = kusto_type(field).is_ok_and(|t| &t.to_arrow() == field.data_type());
            // the parquet leaf of a top-level primitive column has the same index as the field
            let stats =
                if native && rg.num_columns() == schema.fields().len() { rg.column(i).statistics() } else { None };
            let bounds = match stats {
                Some(St::Int32(s)) => {
                    s.min_opt().zip(s.max_opt()).map(|(a, b)| (Num::I(*a as i128), Num::I(*b as i128)))
                }
                Some(St::Int64(s)) => {
                    s.min_opt().zip(s.max_opt()).map(|(a, b)| (Num::I(*a as i128), Num::I(*b as i128)))
                }
                Some(St::Double(s)) => s.min_opt().zip(s.max_opt()).map(|(a, b)| (Num::F(*a), Num::F(*b))),
                _ => None,
            };
            bounds.is_some_and(|(min, max)| p.excludes(min, max))
        });
        if !excluded {
            keep.push(g);
        }
    }
    Ok(keep)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{StringArray, StringViewArray};

    // Strings read as views come out as the same strings in one exact buffer: inline (up to 12 bytes) and long
    // ones, multi-byte UTF-8, and nulls ("" for a string column, null kept for dynamic).
    #[test]
    fn views_are_copied_into_exact_strings() {
        let long = "HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Run";
        let v =
            StringViewArray::from(vec![Some("a"), None, Some(""), Some(long), Some("twelve bytes"), Some("été 🙂 x")]);
        let bytes: usize = ["a", "", "", long, "twelve bytes", "été 🙂 x"].iter().map(|s| s.len()).sum();
        let s = from_views(&v, false).unwrap();
        let s = s.as_string::<i32>();
        let want = StringArray::from(vec!["a", "", "", long, "twelve bytes", "été 🙂 x"]);
        assert_eq!(s, &want);
        assert_eq!(s.values().len(), bytes);
        assert_eq!(s.null_count(), 0);
        let d = from_views(&v, true).unwrap();
        let want =
            StringArray::from(vec![Some("a"), None, Some(""), Some(long), Some("twelve bytes"), Some("été 🙂 x")]);
        assert_eq!(d.as_string::<i32>(), &want);
        // a blank column: no bytes, nulls kept only when asked
        let blank = StringViewArray::from(vec![Some(""), None, Some("")]);
        assert_eq!(from_views(&blank, false).unwrap().as_string::<i32>(), &StringArray::from(vec!["", "", ""]));
        assert_eq!(from_views(&blank, true).unwrap().null_count(), 1);
        // a slice of a view array (offset views, shared buffers)
        let sliced = v.slice(3, 2);
        let want = StringArray::from(vec![long, "twelve bytes"]);
        assert_eq!(from_views(&sliced, false).unwrap().as_string::<i32>(), &want);
    }
}
