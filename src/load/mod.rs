//! Load stage: `--data` paths → typed tables. Formats: a JSON array of row objects, NDJSON (`.ndjson`,
//! `.jsonl`), the Log Analytics query API response, and the Defender advanced-hunting API response. Column
//! types come from the file's own declared types, else the built-in catalog, else the values. Errors name
//! the file, line and column.

mod build;
mod provider;
pub use provider::DataTable;

use crate::catalog::Catalog;
use crate::diagnostics::LoadError;
use crate::types::{KqlColumn, KqlSchema, KqlType};
use datafusion::arrow::record_batch::RecordBatch;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// Rows of one table read from one file, before typing.
struct RawTable {
    name: String,
    /// declared columns (API shapes), in order
    declared: Vec<KqlColumn>,
    rows: Vec<Map<String, Value>>,
    origin: String,
}

const EXTENSIONS: &[&str] = &["json", "ndjson", "jsonl"];

/// The data files under `path` (a file, or a folder searched recursively), sorted.
pub fn data_files(path: &Path) -> Result<Vec<PathBuf>, LoadError> {
    if !path.exists() {
        return Err(LoadError::NotFound { path: path.display().to_string() });
    }
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| LoadError::Io { path: dir.display().to_string(), message: e.to_string() })?;
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The table name of a file: its stem up to the first dot (`DeviceEvents.2024-03-01.json` → `DeviceEvents`).
fn stem(path: &Path) -> String {
    let s = path.file_name().and_then(|f| f.to_str()).unwrap_or("table");
    s.split('.').next().unwrap_or(s).to_string()
}

/// A table found in `--data` files: its name, its schema (declared columns, then the catalog's, then types
/// inferred from a sample of rows) and the files that hold its rows. No row is loaded.
#[derive(Debug, Clone)]
pub struct Discovered {
    pub name: String,
    pub schema: KqlSchema,
    pub files: Vec<PathBuf>,
}

/// How much of a large JSON-array or NDJSON file is read to find its columns and their types.
const SAMPLE_BYTES: usize = 1 << 20;

/// Finds the tables of every `--data` path and their schemas, reading at most [`SAMPLE_BYTES`] of each JSON
/// array or NDJSON file (API response files are read whole). Tables of the same name from several files are
/// one table.
pub fn discover(catalog: &Catalog, paths: &[PathBuf]) -> Result<Vec<Discovered>, LoadError> {
    let mut by_name: Vec<(String, Vec<RawTable>, Vec<PathBuf>)> = Vec::new();
    for p in paths {
        for f in data_files(p)? {
            for r in sample_file(&f)? {
                match by_name.iter_mut().find(|(n, _, _)| *n == r.name) {
                    Some((_, parts, files)) => {
                        if !files.contains(&f) {
                            files.push(f.clone());
                        }
                        parts.push(r);
                    }
                    None => by_name.push((r.name.clone(), vec![r], vec![f.clone()])),
                }
            }
        }
    }
    Ok(by_name
        .into_iter()
        .map(|(name, parts, files)| Discovered { schema: schema_of(catalog, &name, &parts), name, files })
        .collect())
}

/// Reads the rows of table `name` from `files`, typed to `schema`, in batches of `batch_rows` rows.
pub fn read_table(
    name: &str,
    schema: &KqlSchema,
    files: &[PathBuf],
    batch_rows: usize,
) -> Result<Vec<RecordBatch>, LoadError> {
    let mut out = Vec::new();
    for f in files {
        for part in read_file(f)?.into_iter().filter(|t| t.name == name) {
            let rows: Vec<&Map<String, Value>> = part.rows.iter().collect();
            for chunk in rows.chunks(batch_rows.max(1)) {
                let batch = build::record_batch(schema, chunk).map_err(|m| LoadError::Format {
                    path: part.origin.clone(),
                    line: 1,
                    col: 1,
                    message: m,
                })?;
                out.push(batch);
            }
        }
    }
    Ok(out)
}

/// The tables of a file as far as a sample of it shows them: small files and API responses whole; of a large
/// JSON array or NDJSON file, the complete rows in its first [`SAMPLE_BYTES`].
fn sample_file(path: &Path) -> Result<Vec<RawTable>, LoadError> {
    use std::io::Read;
    let io = |e: std::io::Error| LoadError::Io { path: path.display().to_string(), message: e.to_string() };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len <= SAMPLE_BYTES as u64 {
        return read_file(path);
    }
    let mut head = Vec::with_capacity(SAMPLE_BYTES);
    std::fs::File::open(path).map_err(io)?.take(SAMPLE_BYTES as u64).read_to_end(&mut head).map_err(io)?;
    let origin = path.display().to_string();
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let body = head.strip_prefix(b"\xef\xbb\xbf".as_slice()).unwrap_or(&head);
    let first = body.iter().position(|b| !b.is_ascii_whitespace());
    let ndjson = ext == "ndjson" || ext == "jsonl" || looks_like_ndjson(body);
    match first.and_then(|i| body.get(i)) {
        _ if ndjson => Ok(vec![RawTable { name: stem(path), declared: vec![], rows: ndjson_prefix(body), origin }]),
        Some(b'[') => Ok(vec![RawTable { name: stem(path), declared: vec![], rows: array_prefix(body), origin }]),
        // an API response: its declared schema may be anywhere in the file
        _ => read_file(path),
    }
}

/// Does the text start with a complete JSON object on its first line, followed by a line starting with `{`?
fn looks_like_ndjson(body: &[u8]) -> bool {
    let mut lines = body.split(|b| *b == b'\n').filter(|l| !l.trim_ascii().is_empty());
    let first_ok = lines.next().is_some_and(|l| serde_json::from_slice::<Map<String, Value>>(l).is_ok());
    first_ok && lines.next().is_some_and(|l| l.trim_ascii_start().starts_with(b"{"))
}

/// The complete object lines of an NDJSON prefix (the last, cut, line is left out).
fn ndjson_prefix(body: &[u8]) -> Vec<Map<String, Value>> {
    let complete = body.iter().rposition(|b| *b == b'\n').map_or(&[][..], |i| body.get(..i).unwrap_or(&[]));
    complete.split(|b| *b == b'\n').filter_map(|l| serde_json::from_slice::<Map<String, Value>>(l).ok()).collect()
}

/// The complete row objects at the start of a JSON array that is cut short.
fn array_prefix(body: &[u8]) -> Vec<Map<String, Value>> {
    let mut rows = Vec::new();
    let Some(open) = body.iter().position(|b| *b == b'[') else { return rows };
    let mut pos = open + 1;
    loop {
        let rest = body.get(pos..).unwrap_or(&[]);
        let mut it = serde_json::Deserializer::from_slice(rest).into_iter::<Map<String, Value>>();
        match it.next() {
            Some(Ok(m)) => rows.push(m),
            _ => return rows,
        }
        pos += it.byte_offset();
        let after = body.get(pos..).unwrap_or(&[]);
        match after.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) if after.get(i) == Some(&b',') => pos += i + 1,
            _ => return rows,
        }
    }
}

fn read_file(path: &Path) -> Result<Vec<RawTable>, LoadError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| LoadError::Io { path: path.display().to_string(), message: e.to_string() })?;
    let origin = path.display().to_string();
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if ext == "ndjson" || ext == "jsonl" {
        return Ok(vec![read_ndjson(&text, &origin, stem(path))?]);
    }
    let trimmed = text.trim_start_matches('\u{feff}');
    match serde_json::from_str::<Value>(trimmed) {
        Ok(v) => from_value(v, &origin, stem(path)),
        // a .json file holding one object per line
        Err(e)
            if e.is_data()
                || (trimmed.trim_start().starts_with('{') && e.to_string().contains("trailing characters")) =>
        {
            read_ndjson(trimmed, &origin, stem(path)).map(|t| vec![t])
        }
        Err(e) => Err(LoadError::Json {
            path: origin,
            line: e.line(),
            col: e.column(),
            message: strip_position(&e.to_string()),
        }),
    }
}

fn strip_position(m: &str) -> String {
    match m.find(" at line ") {
        Some(i) => m.get(..i).unwrap_or(m).to_string(),
        None => m.to_string(),
    }
}

fn read_ndjson(text: &str, origin: &str, name: String) -> Result<RawTable, LoadError> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(l) {
            Ok(Value::Object(m)) => rows.push(m),
            Ok(_) => {
                return Err(LoadError::Format {
                    path: origin.into(),
                    line: i + 1,
                    col: 1,
                    message: "each NDJSON line must be a JSON object".into(),
                })
            }
            Err(e) => {
                let indent = line.len() - line.trim_start().len();
                return Err(LoadError::Json {
                    path: origin.into(),
                    line: i + 1,
                    col: e.column() + indent,
                    message: strip_position(&e.to_string()),
                });
            }
        }
    }
    Ok(RawTable { name, declared: vec![], rows, origin: origin.into() })
}

fn shape_err(origin: &str, message: &str) -> LoadError {
    LoadError::Format { path: origin.into(), line: 1, col: 1, message: message.into() }
}

/// Detects the shape of a parsed JSON file.
fn from_value(v: Value, origin: &str, stem: String) -> Result<Vec<RawTable>, LoadError> {
    match v {
        Value::Array(items) => {
            let mut rows = Vec::with_capacity(items.len());
            for (i, it) in items.into_iter().enumerate() {
                match it {
                    Value::Object(m) => rows.push(m),
                    _ => {
                        return Err(shape_err(
                            origin,
                            &format!("element {i} of the array is not a JSON object (a row)"),
                        ))
                    }
                }
            }
            Ok(vec![RawTable { name: stem, declared: vec![], rows, origin: origin.into() }])
        }
        Value::Object(mut m) => {
            if let Some(Value::Array(tables)) = m.remove("tables") {
                return log_analytics(tables, origin, stem);
            }
            if let (Some(schema), Some(results)) = (m.remove("Schema"), m.remove("Results")) {
                return defender_api(schema, results, origin, stem);
            }
            // a single row object
            Ok(vec![RawTable { name: stem, declared: vec![], rows: vec![m], origin: origin.into() }])
        }
        _ => Err(shape_err(origin, "expected a JSON array of rows, NDJSON, or an API response object")),
    }
}

/// `{"tables":[{"name","columns":[{"name","type"}],"rows":[[...]]}]}`
fn log_analytics(tables: Vec<Value>, origin: &str, stem: String) -> Result<Vec<RawTable>, LoadError> {
    let mut out = Vec::new();
    let count = tables.len();
    for (ti, t) in tables.into_iter().enumerate() {
        let name = t.get("name").and_then(|n| n.as_str()).unwrap_or("PrimaryResult");
        let name = if name == "PrimaryResult" || name.is_empty() {
            if count == 1 || ti == 0 {
                stem.clone()
            } else {
                format!("{stem}_{ti}")
            }
        } else {
            name.to_string()
        };
        let Some(cols) = t.get("columns").and_then(|c| c.as_array()) else {
            return Err(shape_err(origin, "a table of a Log Analytics response has no \"columns\" array"));
        };
        let mut declared = Vec::new();
        for c in cols {
            let n = c.get("name").or_else(|| c.get("ColumnName")).and_then(|n| n.as_str()).unwrap_or("");
            let ty = c
                .get("type")
                .or_else(|| c.get("DataType"))
                .or_else(|| c.get("ColumnType"))
                .and_then(|t| t.as_str())
                .unwrap_or("string");
            let ty = KqlType::parse(ty).unwrap_or(KqlType::String);
            declared.push(KqlColumn { name: n.to_string(), ty });
        }
        let mut rows = Vec::new();
        for (ri, r) in t.get("rows").and_then(|r| r.as_array()).cloned().unwrap_or_default().into_iter().enumerate() {
            let Value::Array(cells) = r else {
                return Err(shape_err(origin, &format!("row {ri} is not an array of cells")));
            };
            let mut m = Map::new();
            for (c, v) in declared.iter().zip(cells) {
                m.insert(c.name.clone(), v);
            }
            rows.push(m);
        }
        out.push(RawTable { name, declared, rows, origin: origin.into() });
    }
    Ok(out)
}

/// `{"Schema":[{"Name","Type"}],"Results":[{...}]}`
fn defender_api(schema: Value, results: Value, origin: &str, stem: String) -> Result<Vec<RawTable>, LoadError> {
    let mut declared = Vec::new();
    for c in schema.as_array().cloned().unwrap_or_default() {
        let n = c.get("Name").and_then(|n| n.as_str()).unwrap_or("");
        let ty = c.get("Type").and_then(|t| t.as_str()).unwrap_or("String");
        declared.push(KqlColumn { name: n.to_string(), ty: KqlType::parse(ty).unwrap_or(KqlType::String) });
    }
    let mut rows = Vec::new();
    for (i, r) in results.as_array().cloned().unwrap_or_default().into_iter().enumerate() {
        match r {
            Value::Object(m) => rows.push(m),
            _ => return Err(shape_err(origin, &format!("Results[{i}] is not an object"))),
        }
    }
    Ok(vec![RawTable { name: stem, declared, rows, origin: origin.into() }])
}

/// The schema of a table: declared types, then the catalog's, then inference from values; catalog order first.
fn schema_of(catalog: &Catalog, name: &str, parts: &[RawTable]) -> KqlSchema {
    let known = catalog.known_columns(name);
    let mut columns: Vec<KqlColumn> = Vec::new();
    let add = |c: KqlColumn, columns: &mut Vec<KqlColumn>| {
        if !columns.iter().any(|x| x.name == c.name) {
            columns.push(c);
        }
    };
    for p in parts {
        for c in &p.declared {
            add(c.clone(), &mut columns);
        }
    }
    let mut seen_keys: Vec<String> = Vec::new();
    for p in parts {
        for r in &p.rows {
            for k in r.keys() {
                if !seen_keys.contains(k) {
                    seen_keys.push(k.clone());
                }
            }
        }
    }
    // catalog columns present in the data, in catalog order; then the rest, typed from their values
    if let Some(k) = &known {
        for c in &k.columns {
            if seen_keys.contains(&c.name) {
                add(c.clone(), &mut columns);
            }
        }
    }
    for key in &seen_keys {
        if columns.iter().any(|c| &c.name == key) {
            continue;
        }
        let ty = infer(parts.iter().flat_map(|p| p.rows.iter().filter_map(|r| r.get(key))));
        add(KqlColumn { name: key.clone(), ty }, &mut columns);
    }
    KqlSchema::new(columns)
}

/// The Kusto type that fits every non-null value of a column.
fn infer<'a>(values: impl Iterator<Item = &'a Value>) -> KqlType {
    let mut ty: Option<KqlType> = None;
    for v in values {
        let t = match v {
            Value::Null => continue,
            Value::Bool(_) => KqlType::Bool,
            Value::Number(n) if n.is_i64() || n.is_u64() => KqlType::Long,
            Value::Number(_) => KqlType::Real,
            Value::String(s) if s.is_empty() => continue,
            Value::String(s) if looks_like_datetime(s) => KqlType::Datetime,
            Value::String(_) => KqlType::String,
            Value::Array(_) | Value::Object(_) => KqlType::Dynamic,
        };
        ty = Some(match (ty, t) {
            (None, t) => t,
            (Some(a), b) if a == b => a,
            (Some(KqlType::Long), KqlType::Real) | (Some(KqlType::Real), KqlType::Long) => KqlType::Real,
            (Some(KqlType::Dynamic), _) | (_, KqlType::Dynamic) => KqlType::Dynamic,
            _ => KqlType::String,
        });
    }
    ty.unwrap_or(KqlType::String)
}

/// ISO 8601 with a date and a time (`2024-07-01T10:00:00Z`): typed datetime when no schema says otherwise.
fn looks_like_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 19
        && b.get(4) == Some(&b'-')
        && b.get(10) == Some(&b'T')
        && crate::parser::parse_datetime_text(s).is_some()
}
