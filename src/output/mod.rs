//! Output stage: record batches + `KqlSchema` → bytes, in one of the formats `--format` names. Value text
//! comes from `values.rs`, so every format shows Kusto's text for datetimes, timespans, reals and dynamic.

pub mod values;

use crate::types::KqlSchema;
use datafusion::arrow::record_batch::RecordBatch;
use serde_json::{json, Map, Value};
use std::io::Write;
use values::{cell_json, cell_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
    Ndjson,
    TypedJson,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "table" => Format::Table,
            "csv" => Format::Csv,
            "json" => Format::Json,
            "ndjson" | "jsonl" => Format::Ndjson,
            "typed-json" => Format::TypedJson,
            _ => return None,
        })
    }
}

/// Widest a table cell is shown before it is cut with `…`.
const MAX_CELL: usize = 60;

/// Every row as its cells' text.
fn text_rows(schema: &KqlSchema, batches: &[RecordBatch]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for b in batches {
        for r in 0..b.num_rows() {
            out.push(
                schema.columns.iter().enumerate().map(|(i, c)| cell_text(b.column(i).as_ref(), r, c.ty)).collect(),
            );
        }
    }
    out
}

fn json_rows(schema: &KqlSchema, batches: &[RecordBatch]) -> Vec<Map<String, Value>> {
    let mut out = Vec::new();
    for b in batches {
        for r in 0..b.num_rows() {
            let mut m = Map::new();
            for (i, c) in schema.columns.iter().enumerate() {
                m.insert(c.name.clone(), cell_json(b.column(i).as_ref(), r, c.ty));
            }
            out.push(m);
        }
    }
    out
}

fn truncate(s: &str) -> String {
    let one_line = s.replace(['\n', '\r'], " ");
    if one_line.chars().count() <= MAX_CELL {
        return one_line;
    }
    let cut: String = one_line.chars().take(MAX_CELL - 1).collect();
    format!("{cut}…")
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Writes the result in `format`.
pub fn render(schema: &KqlSchema, batches: &[RecordBatch], format: Format, out: &mut dyn Write) -> std::io::Result<()> {
    match format {
        Format::Table => {
            let mut t = comfy_table::Table::new();
            t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
            // on a terminal, fit the table to its width (cells wrap); piped output keeps full rows
            t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
            t.set_header(schema.columns.iter().map(|c| c.name.clone()));
            for row in text_rows(schema, batches) {
                t.add_row(row.iter().map(|c| truncate(c)));
            }
            writeln!(out, "{t}")
        }
        Format::Csv => {
            writeln!(out, "{}", schema.columns.iter().map(|c| csv_field(&c.name)).collect::<Vec<_>>().join(","))?;
            for row in text_rows(schema, batches) {
                writeln!(out, "{}", row.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(","))?;
            }
            Ok(())
        }
        Format::Json => {
            let rows: Vec<Value> = json_rows(schema, batches).into_iter().map(Value::Object).collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&Value::Array(rows)).unwrap_or_default())
        }
        Format::Ndjson => {
            for r in json_rows(schema, batches) {
                writeln!(out, "{}", Value::Object(r))?;
            }
            Ok(())
        }
        Format::TypedJson => {
            let columns: Vec<Value> =
                schema.columns.iter().map(|c| json!({"name": c.name, "type": c.ty.name()})).collect();
            let rows: Vec<Value> = json_rows(schema, batches)
                .into_iter()
                .map(|m| Value::Array(m.into_iter().map(|(_, v)| v).collect()))
                .collect();
            let doc = json!({"tables": [{"name": "PrimaryResult", "columns": columns, "rows": rows}]});
            writeln!(out, "{}", serde_json::to_string(&doc).unwrap_or_default())
        }
    }
}

/// Total number of rows.
pub fn row_count(batches: &[RecordBatch]) -> usize {
    batches.iter().map(|b| b.num_rows()).sum()
}
