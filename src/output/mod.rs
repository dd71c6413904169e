//! Output stage: record batches + `KqlSchema` → bytes, in one of the formats `--format` names. Value text
//! comes from `values.rs`, so every format shows Kusto's text for datetimes, timespans, reals and dynamic.

/// Kusto value text (lives in the lower `values` module; kept here for the public path).
pub use crate::values;

use crate::types::KqlSchema;
use crate::values::{cell_json, cell_text};
use datafusion::arrow::record_batch::RecordBatch;
use serde_json::{json, Map, Value};
use std::io::Write;

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

/// Row `r` of a batch as its cells' text.
fn text_row(schema: &KqlSchema, b: &RecordBatch, r: usize) -> Vec<String> {
    schema.columns.iter().enumerate().map(|(i, c)| cell_text(b.column(i).as_ref(), r, c.ty)).collect()
}

/// Row `r` of a batch as a JSON object in column order.
fn json_row(schema: &KqlSchema, b: &RecordBatch, r: usize) -> Map<String, Value> {
    let mut m = Map::new();
    for (i, c) in schema.columns.iter().enumerate() {
        m.insert(c.name.clone(), cell_json(b.column(i).as_ref(), r, c.ty));
    }
    m
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

/// Writes a result batch by batch: [`ResultWriter::write_batch`] for each batch as it arrives, then
/// [`ResultWriter::finish`]. Every format but `table` writes each batch's rows at once and keeps nothing; the
/// table format buffers the rows' text (it needs every width before the first line).
pub struct ResultWriter<'a> {
    schema: &'a KqlSchema,
    format: Format,
    out: &'a mut dyn Write,
    rows: usize,
    table: Vec<Vec<String>>,
}

impl<'a> ResultWriter<'a> {
    /// Starts a result: writes what comes before the rows (the CSV header, the JSON opening).
    pub fn begin(schema: &'a KqlSchema, format: Format, out: &'a mut dyn Write) -> std::io::Result<Self> {
        match format {
            Format::Csv => {
                writeln!(out, "{}", schema.columns.iter().map(|c| csv_field(&c.name)).collect::<Vec<_>>().join(","))?
            }
            Format::TypedJson => {
                let columns: Vec<Value> =
                    schema.columns.iter().map(|c| json!({"name": c.name, "type": c.ty.name()})).collect();
                let columns = serde_json::to_string(&columns).unwrap_or_default();
                write!(out, "{{\"tables\":[{{\"name\":\"PrimaryResult\",\"columns\":{columns},\"rows\":[")?
            }
            Format::Table | Format::Json | Format::Ndjson => {}
        }
        Ok(ResultWriter { schema, format, out, rows: 0, table: Vec::new() })
    }

    /// Writes (or, for the table format, keeps) the rows of one batch.
    pub fn write_batch(&mut self, batch: &RecordBatch) -> std::io::Result<()> {
        let schema = self.schema;
        for r in 0..batch.num_rows() {
            let first = self.rows == 0;
            self.rows += 1;
            match self.format {
                Format::Table => self.table.push(text_row(schema, batch, r).iter().map(|c| truncate(c)).collect()),
                Format::Csv => {
                    let row = text_row(schema, batch, r);
                    writeln!(self.out, "{}", row.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(","))?
                }
                Format::Ndjson => writeln!(self.out, "{}", Value::Object(json_row(schema, batch, r)))?,
                Format::Json => {
                    // the bytes serde_json's pretty printer gives for the whole array, one row at a time
                    let text =
                        serde_json::to_string_pretty(&Value::Object(json_row(schema, batch, r))).unwrap_or_default();
                    self.out.write_all(if first { b"[\n" } else { b",\n" })?;
                    let indented: Vec<String> = text.lines().map(|l| format!("  {l}")).collect();
                    self.out.write_all(indented.join("\n").as_bytes())?
                }
                Format::TypedJson => {
                    let cells: Vec<Value> = json_row(schema, batch, r).into_iter().map(|(_, v)| v).collect();
                    if !first {
                        self.out.write_all(b",")?;
                    }
                    write!(self.out, "{}", Value::Array(cells))?
                }
            }
        }
        Ok(())
    }

    /// Ends the result (the table itself, the JSON closing); returns the number of rows written.
    pub fn finish(self) -> std::io::Result<usize> {
        match self.format {
            Format::Table => {
                let mut t = comfy_table::Table::new();
                t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
                // on a terminal, fit the table to its width (cells wrap); piped output keeps full rows
                t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
                t.set_header(self.schema.columns.iter().map(|c| c.name.clone()));
                for row in self.table {
                    t.add_row(row);
                }
                writeln!(self.out, "{t}")?
            }
            Format::Json if self.rows == 0 => writeln!(self.out, "[]")?,
            Format::Json => writeln!(self.out, "\n]")?,
            Format::TypedJson => writeln!(self.out, "]}}]}}")?,
            Format::Csv | Format::Ndjson => {}
        }
        Ok(self.rows)
    }
}

/// Writes a whole result in `format`.
pub fn render(schema: &KqlSchema, batches: &[RecordBatch], format: Format, out: &mut dyn Write) -> std::io::Result<()> {
    let mut w = ResultWriter::begin(schema, format, out)?;
    for b in batches {
        w.write_batch(b)?;
    }
    w.finish().map(|_| ())
}

/// Total number of rows.
pub fn row_count(batches: &[RecordBatch]) -> usize {
    batches.iter().map(|b| b.num_rows()).sum()
}
