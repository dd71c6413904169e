//! Kusto scalar types, the result schema that rides beside a DataFusion plan, and the Kusto ⇄ Arrow mapping
//! (KUSTO-NOTES §15): datetime = Timestamp(ns, UTC) truncated to 100-ns ticks, timespan = Duration(ns),
//! guid and dynamic = Utf8 (dynamic holds JSON text), strings never null.

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KqlType {
    Bool,
    Int,
    Long,
    Real,
    Decimal,
    String,
    Datetime,
    Timespan,
    Guid,
    Dynamic,
}

/// Scale of the Decimal128 used for Kusto's decimal (differs from Kusto: fixed scale, see README).
pub const DECIMAL_SCALE: i8 = 10;

impl KqlType {
    pub const ALL: [KqlType; 10] = [
        KqlType::Bool,
        KqlType::Int,
        KqlType::Long,
        KqlType::Real,
        KqlType::Decimal,
        KqlType::String,
        KqlType::Datetime,
        KqlType::Timespan,
        KqlType::Guid,
        KqlType::Dynamic,
    ];

    pub fn name(self) -> &'static str {
        match self {
            KqlType::Bool => "bool",
            KqlType::Int => "int",
            KqlType::Long => "long",
            KqlType::Real => "real",
            KqlType::Decimal => "decimal",
            KqlType::String => "string",
            KqlType::Datetime => "datetime",
            KqlType::Timespan => "timespan",
            KqlType::Guid => "guid",
            KqlType::Dynamic => "dynamic",
        }
    }

    /// A type name as written in queries, schemas and API responses (`boolean`, `double`, `date`, `Int64`...).
    pub fn parse(name: &str) -> Option<KqlType> {
        Some(match name.to_ascii_lowercase().as_str() {
            "bool" | "boolean" => KqlType::Bool,
            "int" | "int32" | "integer" => KqlType::Int,
            "long" | "int64" | "bigint" => KqlType::Long,
            "real" | "double" | "float" => KqlType::Real,
            "decimal" => KqlType::Decimal,
            "string" => KqlType::String,
            "datetime" | "date" => KqlType::Datetime,
            "timespan" | "time" => KqlType::Timespan,
            "guid" | "uniqueid" => KqlType::Guid,
            "dynamic" | "object" | "array" => KqlType::Dynamic,
            _ => return None,
        })
    }

    pub fn to_arrow(self) -> DataType {
        match self {
            KqlType::Bool => DataType::Boolean,
            KqlType::Int => DataType::Int32,
            KqlType::Long => DataType::Int64,
            KqlType::Real => DataType::Float64,
            KqlType::Decimal => DataType::Decimal128(38, DECIMAL_SCALE),
            KqlType::String | KqlType::Guid | KqlType::Dynamic => DataType::Utf8,
            KqlType::Datetime => DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
            KqlType::Timespan => DataType::Duration(TimeUnit::Nanosecond),
        }
    }

    /// The Kusto type an Arrow type stands for when nothing else is known (guid and dynamic read as string).
    pub fn from_arrow(dt: &DataType) -> Option<KqlType> {
        Some(match dt {
            DataType::Boolean => KqlType::Bool,
            DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::UInt8 | DataType::UInt16 => KqlType::Int,
            DataType::Int64 | DataType::UInt32 | DataType::UInt64 => KqlType::Long,
            DataType::Float16 | DataType::Float32 | DataType::Float64 => KqlType::Real,
            DataType::Decimal128(..) | DataType::Decimal256(..) => KqlType::Decimal,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => KqlType::String,
            DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => KqlType::Datetime,
            DataType::Duration(_) => KqlType::Timespan,
            _ => return None,
        })
    }

    pub fn is_numeric(self) -> bool {
        matches!(self, KqlType::Int | KqlType::Long | KqlType::Real | KqlType::Decimal)
    }

    /// Kusto strings have no null; guid and dynamic can be null.
    pub fn is_string(self) -> bool {
        self == KqlType::String
    }
}

impl fmt::Display for KqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Widest numeric type of two (numerical-operators: int op int → long; real wins).
pub fn widest_numeric(a: KqlType, b: KqlType) -> Option<KqlType> {
    use KqlType::*;
    match (a, b) {
        (Real, x) | (x, Real) if x.is_numeric() => Some(Real),
        (Decimal, x) | (x, Decimal) if x.is_numeric() => Some(Decimal),
        (x, y) if x.is_numeric() && y.is_numeric() => Some(Long),
        _ => None,
    }
}

/// One output column: its Kusto name and type.
#[derive(Debug, Clone, PartialEq)]
pub struct KqlColumn {
    pub name: String,
    pub ty: KqlType,
}

/// The Kusto view of a plan's output: names and types, in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KqlSchema {
    pub columns: Vec<KqlColumn>,
}

impl KqlSchema {
    pub fn new(columns: Vec<KqlColumn>) -> Self {
        KqlSchema { columns }
    }
    pub fn find(&self, name: &str) -> Option<(usize, &KqlColumn)> {
        self.columns.iter().enumerate().find(|(_, c)| c.name == name)
    }
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|c| c.name.as_str())
    }
    pub fn len(&self) -> usize {
        self.columns.len()
    }
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }
    /// The Arrow schema of rows with these columns (every field nullable).
    pub fn arrow(&self) -> std::sync::Arc<datafusion::arrow::datatypes::Schema> {
        use datafusion::arrow::datatypes::{Field, Schema};
        let fields: Vec<Field> = self.columns.iter().map(|c| Field::new(&c.name, c.ty.to_arrow(), true)).collect();
        std::sync::Arc::new(Schema::new(fields))
    }
}
