//! JSON values → Arrow arrays of a column's Kusto type (strings never null; unparseable cells are null,
//! as Kusto ingestion makes them).

use crate::types::{KqlSchema, KqlType};
use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Decimal128Builder, DurationNanosecondArray, Float64Array, Int32Array, Int64Array,
    StringArray, TimestampNanosecondArray,
};
use datafusion::arrow::record_batch::RecordBatch;
use serde_json::{Map, Value};
use std::sync::Arc;

fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(*b as i64),
        _ => None,
    }
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.trim() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            t => t.parse().ok(),
        },
        _ => None,
    }
}

fn as_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A dynamic cell: JSON values as they are; a string holding a JSON object or array is parsed
/// (API responses often carry dynamic columns as JSON text).
fn as_dynamic(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => {
            let t = s.trim_start();
            if t.starts_with('{') || t.starts_with('[') {
                if let Ok(p) = serde_json::from_str::<Value>(s) {
                    return Some(p.to_string());
                }
            }
            Some(v.to_string())
        }
        other => Some(other.to_string()),
    }
}

fn get<'v>(c: &Option<&'v Value>) -> Option<&'v Value> {
    c.filter(|v| !v.is_null())
}

fn column(ty: KqlType, cells: &[Option<&Value>]) -> Result<ArrayRef, String> {
    Ok(match ty {
        KqlType::Bool => Arc::new(
            cells
                .iter()
                .map(|c| {
                    get(c).and_then(|v| match v {
                        Value::Bool(b) => Some(*b),
                        Value::String(s) => s.trim().to_ascii_lowercase().parse().ok(),
                        Value::Number(n) => n.as_i64().map(|i| i != 0),
                        _ => None,
                    })
                })
                .collect::<BooleanArray>(),
        ),
        KqlType::Int => Arc::new(
            cells.iter().map(|c| get(c).and_then(as_i64).and_then(|i| i32::try_from(i).ok())).collect::<Int32Array>(),
        ),
        KqlType::Long => Arc::new(cells.iter().map(|c| get(c).and_then(as_i64)).collect::<Int64Array>()),
        KqlType::Real => Arc::new(cells.iter().map(|c| get(c).and_then(as_f64)).collect::<Float64Array>()),
        KqlType::Decimal => {
            let mut b = Decimal128Builder::new();
            let scale = 10f64.powi(crate::types::DECIMAL_SCALE as i32);
            for c in cells {
                b.append_option(get(c).and_then(as_f64).map(|f| (f * scale).round() as i128));
            }
            Arc::new(b.finish().with_precision_and_scale(38, crate::types::DECIMAL_SCALE).map_err(|e| e.to_string())?)
        }
        KqlType::String => {
            Arc::new(cells.iter().map(|c| Some(c.map(as_text).unwrap_or_default())).collect::<StringArray>())
        }
        KqlType::Guid => {
            Arc::new(cells.iter().map(|c| get(c).map(|v| as_text(v).to_lowercase())).collect::<StringArray>())
        }
        KqlType::Dynamic => Arc::new(cells.iter().map(|c| get(c).and_then(as_dynamic)).collect::<StringArray>()),
        KqlType::Datetime => Arc::new(
            cells
                .iter()
                .map(|c| {
                    get(c).and_then(|v| match v {
                        Value::String(s) => crate::parser::parse_datetime_text(s),
                        _ => None,
                    })
                })
                .collect::<TimestampNanosecondArray>()
                .with_timezone("UTC"),
        ),
        KqlType::Timespan => Arc::new(
            cells
                .iter()
                .map(|c| {
                    get(c).and_then(|v| match v {
                        Value::String(s) => crate::parser::parse_timespan_text(s).and_then(|t| t.checked_mul(100)),
                        Value::Number(n) => n.as_i64().and_then(|t| t.checked_mul(100)),
                        _ => None,
                    })
                })
                .collect::<DurationNanosecondArray>(),
        ),
    })
}

/// One record batch with a column per schema column.
pub fn record_batch(schema: &KqlSchema, rows: &[&Map<String, Value>]) -> Result<RecordBatch, String> {
    let mut arrays = Vec::with_capacity(schema.len());
    for c in &schema.columns {
        let cells: Vec<Option<&Value>> = rows.iter().map(|r| r.get(&c.name)).collect();
        arrays.push(column(c.ty, &cells)?);
    }
    let arrow = schema.arrow();
    if arrays.is_empty() {
        return Ok(RecordBatch::new_empty(arrow));
    }
    RecordBatch::try_new(arrow, arrays).map_err(|e| e.to_string())
}
