//! Load stage: `--data` paths → named tables with Kusto schemas, read as streams when a query scans them.
//!
//! Shapes, found from each file's content (gzip and zstd are undone first): a JSON array of row objects,
//! NDJSON, the Defender advanced-hunting and Graph `runHuntingQuery` responses, the Log Analytics query
//! response (several tables a file), Defender streaming records (`{"records":[...]}` or one per line; each
//! row goes to the table its `category` names), CSV/TSV with a header row, and Parquet. A table's name is
//! the file's stem, the table name inside the file, or the folder's name for a folder of daily files; files of
//! one name are one table. Column types come from the file's declared types, else the built-in catalog, else
//! a sample of the rows (the head of the file and, for large NDJSON, slices across it). Errors name the file,
//! line and column.

mod alloc;
mod cache;
mod convert;
mod decode;
mod delimited;
pub mod parquet;
mod provider;
mod scan;
mod shape;

pub use cache::CacheBudget;
pub use decode::Tally;
pub use provider::{scan_of, DataTable, LoadReport};
pub use shape::Shape;

use crate::catalog::Catalog;
use crate::diagnostics::LoadError;
use crate::types::{KqlColumn, KqlSchema, KqlType};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// One file's share of a table: where its rows are and how to read them.
#[derive(Debug, Clone)]
pub struct Part {
    pub path: PathBuf,
    pub shape: Shape,
    /// the Log Analytics table index inside the file
    pub group: usize,
    /// streaming records: the category of this table's rows
    pub category: Option<String>,
    /// columns in cell order: a Log Analytics table's declared columns, a CSV header
    pub positional: Option<Vec<String>>,
}

/// A table found in `--data` files: its name, its schema and the files that hold its rows. No row is loaded.
#[derive(Debug, Clone)]
pub struct Discovered {
    pub name: String,
    pub schema: KqlSchema,
    pub parts: Vec<Part>,
}

/// The tables of some `--data` paths, and notices about files that were skipped.
#[derive(Debug, Default)]
pub struct Discovery {
    pub tables: Vec<Discovered>,
    pub notices: Vec<String>,
}

/// How many bytes at the head of a file are read to find its columns and their types.
const SAMPLE_BYTES: usize = 1 << 20;

/// A `--data` path: a file, a folder (searched recursively) or a glob (`dumps/*.json`). Files given by name
/// must be readable data files; files found in folders that are not data are named in a notice.
pub fn expand(path: &Path) -> Result<Vec<(PathBuf, bool)>, LoadError> {
    let text = path.to_string_lossy();
    if !path.exists() && text.contains(['*', '?', '[']) {
        let paths = glob::glob(&text).map_err(|e| LoadError::Io { path: text.to_string(), message: e.to_string() })?;
        let mut out = Vec::new();
        for p in paths.flatten() {
            out.extend(expand(&p)?);
        }
        if out.is_empty() {
            return Err(LoadError::NotFound { path: format!("{text} (the pattern matches no file)") });
        }
        return Ok(out);
    }
    if !path.exists() {
        return Err(LoadError::NotFound { path: path.display().to_string() });
    }
    if path.is_file() {
        return Ok(vec![(path.to_path_buf(), true)]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    // folders by their real path: a symlink loop is walked once
    let mut seen = std::collections::HashSet::new();
    while let Some(dir) = stack.pop() {
        if !seen.insert(std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone())) {
            continue;
        }
        let entries = std::fs::read_dir(&dir).map_err(|e| shape::io_err(&dir, e))?;
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p, false));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The table name of a file: its stem up to the first dot (`DeviceEvents.2024-03-01.json` → `DeviceEvents`);
/// a stem that is no name (`2025-03-14.json`, `PT1H.json` of a storage export) takes its folder's name.
pub fn table_name(path: &Path) -> String {
    let s = path.file_name().and_then(|f| f.to_str()).unwrap_or("table");
    let stem = s.split('.').next().unwrap_or(s);
    let is_name = |n: &str| {
        n.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !n.eq_ignore_ascii_case("PT1H")
    };
    if is_name(stem) {
        return stem.to_string();
    }
    for dir in path.ancestors().skip(1) {
        if let Some(d) = dir.file_name().and_then(|f| f.to_str()) {
            if is_name(d) {
                return d.to_string();
            }
        }
    }
    stem.to_string()
}

/// What a sample of one file shows of one table.
struct Sampled {
    name: String,
    declared: Vec<KqlColumn>,
    /// sampled rows; of a catalog table's rows only the keys the catalog does not declare are kept (the
    /// others' types are known), so sampling a folder of many tables holds little (`compact`)
    rows: Vec<Map<String, Value>>,
    /// every key of the sampled rows, in order of first appearance
    keys: Vec<String>,
    /// `None` for an empty file
    part: Option<Part>,
}

/// Finds the tables of every `--data` path and their schemas from a sample of each file. `name` gives every
/// table found the one name (`--table NAME=PATH`).
pub fn discover(catalog: &Catalog, paths: &[PathBuf], name: Option<&str>) -> Result<Discovery, LoadError> {
    let mut found: Vec<Sampled> = Vec::new();
    let mut notices = Vec::new();
    for p in paths {
        for (f, by_name) in expand(p)? {
            let (head, _) = shape::head(&f, 64 << 10)?;
            if head.iter().all(|b| b.is_ascii_whitespace()) {
                let name = name.map_or_else(|| table_name(&f), str::to_string);
                match catalog.known_columns(&name) {
                    Some(schema) => {
                        notices.push(format!("{} is empty: table {name} has no rows from it", f.display()));
                        found.push(Sampled { name, declared: schema.columns, rows: vec![], keys: vec![], part: None });
                    }
                    None => notices.push(format!("{} is empty: no rows, no columns, no table", f.display())),
                }
                continue;
            }
            let shape = shape::sniff(&f, &head);
            let Some(shape) = shape else {
                let what = "not a data file kqlite reads (JSON, NDJSON, an API response, streaming records, CSV, TSV, Parquet)";
                if by_name {
                    return Err(LoadError::Format {
                        path: f.display().to_string(),
                        line: 1,
                        col: 1,
                        message: what.into(),
                    });
                }
                notices.push(format!("skipped {}: {what}", f.display()));
                continue;
            };
            let mut parts = sample_file(&f, shape)?;
            if parts.is_empty() {
                notices.push(format!("{} holds no rows", f.display()));
            }
            if let Some(n) = name {
                parts.iter_mut().for_each(|s| s.name = n.to_string());
            }
            for s in &mut parts {
                compact(catalog, s);
            }
            found.extend(parts);
        }
    }
    let mut tables: Vec<Discovered> = Vec::new();
    let mut grouped: Vec<(String, Vec<Sampled>)> = Vec::new();
    for s in found {
        match grouped.iter_mut().find(|(n, _)| *n == s.name) {
            Some((_, v)) => v.push(s),
            None => grouped.push((s.name.clone(), vec![s])),
        }
    }
    for (name, parts) in grouped {
        let schema = schema_of(catalog, &name, &parts);
        let parts = parts.into_iter().filter_map(|s| s.part).collect();
        tables.push(Discovered { name, schema, parts });
    }
    Ok(Discovery { tables, notices })
}

fn part(path: &Path, shape: Shape) -> Part {
    Part { path: path.to_path_buf(), shape, group: 0, category: None, positional: None }
}

/// Row objects of a chunk of JSON rows (for sampling: rows that do not parse are left to the real read).
fn chunk_objects(c: &scan::Chunk) -> Vec<Map<String, Value>> {
    c.rows.iter().filter_map(|r| row_map(c.data.get(r.start..r.end)?)).collect()
}

/// A row object for sampling. A value nested deeper than serde_json's recursion limit still shows its key,
/// as an (empty) dynamic value.
fn row_map(text: &[u8]) -> Option<Map<String, Value>> {
    if let Ok(m) = serde_json::from_slice(text) {
        return Some(m);
    }
    let raw: Map<String, Value> =
        serde_json::from_slice::<std::collections::BTreeMap<String, &serde_json::value::RawValue>>(text)
            .ok()?
            .into_iter()
            .map(|(k, v)| {
                let v = serde_json::from_str(v.get()).unwrap_or_else(|_| Value::Array(vec![]));
                (k, v)
            })
            .collect();
    Some(raw)
}

fn sample_file(path: &Path, shape: Shape) -> Result<Vec<Sampled>, LoadError> {
    let name = table_name(path);
    let origin = path.display().to_string();
    let scan_err =
        |e: scan::ScanError| LoadError::Json { path: origin.clone(), line: e.line, col: e.col, message: e.message };
    match shape {
        Shape::JsonArray | Shape::Ndjson => {
            // the head of the file; longer when it does not yet hold one whole row (a 50 MB line)
            let mut n = SAMPLE_BYTES;
            let (mut head, mut compression) = shape::head(path, n)?;
            while head.len() == n && !holds_a_row(&head, shape) {
                n *= 4;
                (head, compression) = shape::head(path, n)?;
            }
            let full = head.len() < n;
            let mut sc = scan::Scanner::new(head.as_slice(), shape);
            if !full {
                sc = sc.sampling();
            }
            sc.chunk_rows = usize::MAX;
            sc.chunk_bytes = usize::MAX;
            let mut rows = Vec::new();
            while let Some(c) = sc.next_chunk().map_err(scan_err)? {
                rows.extend(chunk_objects(&c));
            }
            if !full && compression == shape::Compression::None {
                let head_keys = rows.first().map_or(0, |r| r.len());
                rows.extend(slices(path, shape, head_keys)?);
            }
            if rows.is_empty() && full && !head.iter().any(|b| !b.is_ascii_whitespace()) {
                return Ok(vec![]);
            }
            Ok(vec![Sampled { name, declared: vec![], rows, keys: vec![], part: Some(part(path, shape)) }])
        }
        Shape::HuntingApi | Shape::LogAnalytics => api_sample(path, shape, name),
        Shape::Records | Shape::RecordLines => records_sample(path, shape),
        Shape::Delimited(sep) => {
            let (rd, _) = shape::open(path)?;
            let (mut r, header) = delimited::reader(rd, sep, &origin)?;
            let recs = delimited::read_records(&mut r, 1000, &origin)?;
            let rows = recs
                .iter()
                .map(|rec| {
                    header
                        .iter()
                        .zip(rec.iter())
                        .filter(|(_, c)| !c.is_empty())
                        .map(|(h, c)| (h.clone(), text_value(&String::from_utf8_lossy(c))))
                        .collect()
                })
                .collect();
            let declared = if recs.is_empty() {
                header.iter().map(|h| KqlColumn { name: h.clone(), ty: KqlType::String }).collect()
            } else {
                vec![]
            };
            let mut p = part(path, shape);
            p.positional = Some(header);
            Ok(vec![Sampled { name, declared, rows, keys: vec![], part: Some(p) }])
        }
        Shape::Parquet => {
            let (declared, _) = parquet::columns(path)?;
            Ok(vec![Sampled { name, declared, rows: vec![], keys: vec![], part: Some(part(path, shape)) }])
        }
    }
}

/// Does a prefix of a JSON array or NDJSON file hold at least one complete row?
fn holds_a_row(head: &[u8], shape: Shape) -> bool {
    let mut sc = scan::Scanner::new(head, shape).sampling();
    sc.chunk_rows = 1;
    match sc.next_chunk() {
        Ok(Some(c)) => !c.rows.is_empty(),
        Ok(None) => false,
        // the real read reports it
        Err(_) => true,
    }
}

/// A CSV cell as the JSON value it would be in a JSON export, for type inference: numbers, booleans and
/// JSON objects/arrays become those values; other text stays text.
fn text_value(s: &str) -> Value {
    let t = s.trim();
    if t.starts_with('{') || t.starts_with('[') {
        if let Ok(v) = serde_json::from_str::<Value>(t) {
            return v;
        }
    }
    if let Ok(i) = t.parse::<i64>() {
        return Value::from(i);
    }
    if let Some(n) = t.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
        return Value::Number(n);
    }
    match t {
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ => Value::String(s.to_string()),
    }
}

/// Rows from slices across a large uncompressed NDJSON file or JSON array (at a quarter, half, three quarters
/// and the end), so that columns and types that only appear later are seen. In an array, a row starts at a
/// `{` after `},`; a candidate counts when it parses as an object followed by `,` or `]` and has at least half
/// as many keys as the first row (an object nested in a dynamic value rarely does).
fn slices(path: &Path, shape: Shape, head_keys: usize) -> Result<Vec<Map<String, Value>>, LoadError> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).map_err(|e| shape::io_err(path, e))?;
    let len = f.metadata().map_err(|e| shape::io_err(path, e))?.len();
    let slice = (SAMPLE_BYTES / 4) as u64;
    let mut rows = Vec::new();
    for at in [len / 4, len / 2, len / 4 * 3, len.saturating_sub(slice)] {
        let mut buf = Vec::new();
        f.seek(SeekFrom::Start(at)).map_err(|e| shape::io_err(path, e))?;
        (&mut f).take(slice).read_to_end(&mut buf).map_err(|e| shape::io_err(path, e))?;
        if shape == Shape::JsonArray {
            rows.extend(array_rows(&buf, head_keys));
            continue;
        }
        // whole lines only: after the first newline, before the last
        let (Some(a), Some(b)) = (memchr::memchr(b'\n', &buf), memchr::memrchr(b'\n', &buf)) else { continue };
        for line in buf.get(a + 1..b).unwrap_or_default().split(|c| *c == b'\n') {
            if let Ok(m) = serde_json::from_slice::<Map<String, Value>>(line) {
                rows.push(m);
            }
        }
    }
    Ok(rows)
}

/// Row objects of a JSON array found in a slice cut from its middle.
fn array_rows(buf: &[u8], min_keys: usize) -> Vec<Map<String, Value>> {
    let mut rows = Vec::new();
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'}', buf.get(i..).unwrap_or_default()) {
        let close = i + off;
        i = close + 1;
        let rest = buf.get(i..).unwrap_or_default();
        let Some(comma) = rest.iter().position(|b| !b.is_ascii_whitespace()).filter(|p| rest.get(*p) == Some(&b','))
        else {
            continue;
        };
        let after = rest.get(comma + 1..).unwrap_or_default();
        let Some(open) = after.iter().position(|b| !b.is_ascii_whitespace()).filter(|p| after.get(*p) == Some(&b'{'))
        else {
            continue;
        };
        let start = i + comma + 1 + open;
        let mut de = serde_json::Deserializer::from_slice(buf.get(start..).unwrap_or_default())
            .into_iter::<Map<String, Value>>();
        let Some(Ok(row)) = de.next() else { continue };
        let end = start + de.byte_offset();
        let next = buf.get(end..).unwrap_or_default().iter().find(|b| !b.is_ascii_whitespace());
        if matches!(next, Some(b',') | Some(b']')) && row.len() * 2 >= min_keys {
            rows.push(row);
            // the row's own closing brace starts the search for the next
            i = end.saturating_sub(1).max(i);
        }
    }
    rows
}

/// API responses: the declared schema (of each table), and the first rows.
fn api_sample(path: &Path, shape: Shape, stem: String) -> Result<Vec<Sampled>, LoadError> {
    let origin = path.display().to_string();
    let (rd, _) = shape::open(path)?;
    let mut sc = scan::Scanner::new(rd, shape);
    let mut rows: Vec<(usize, Map<String, Value>)> = Vec::new();
    let scan_err =
        |e: scan::ScanError| LoadError::Json { path: origin.clone(), line: e.line, col: e.col, message: e.message };
    while let Some(c) = sc.next_chunk().map_err(scan_err)? {
        if rows.len() < 1000 {
            rows.extend(c.rows.iter().filter_map(|r| {
                let v: Map<String, Value> = serde_json::from_slice(c.data.get(r.start..r.end)?).ok()?;
                Some((r.group, v))
            }));
        }
        if shape == Shape::HuntingApi && !sc.metas.is_empty() && rows.len() >= 1000 {
            break;
        }
    }
    let bad = |m: &str| LoadError::Format { path: origin.clone(), line: 1, col: 1, message: m.to_string() };
    if shape == Shape::HuntingApi {
        let Some(schema) = sc.metas.iter().find(|m| m.key.eq_ignore_ascii_case("schema")) else {
            return Err(bad("the response has no \"Schema\" (or \"schema\") array of columns"));
        };
        let declared = declared_columns(&schema.value).map_err(|m| bad(&m))?;
        let rows = rows.into_iter().map(|(_, r)| r).collect();
        return Ok(vec![Sampled { name: stem, declared, rows, keys: vec![], part: Some(part(path, shape)) }]);
    }
    // Log Analytics: one table per group; PrimaryResult takes the file's name
    let mut groups: Vec<usize> = sc.metas.iter().map(|m| m.group).collect();
    groups.dedup();
    let mut out = Vec::new();
    for g in groups {
        let name = sc
            .metas
            .iter()
            .find(|m| m.group == g && m.key.eq_ignore_ascii_case("name"))
            .and_then(|m| serde_json::from_slice::<String>(&m.value).ok())
            .unwrap_or_default();
        let name = match name.as_str() {
            "" | "PrimaryResult" if g == 0 => stem.clone(),
            "" | "PrimaryResult" => format!("{stem}_{g}"),
            n => n.to_string(),
        };
        let Some(cols) = sc.metas.iter().find(|m| m.group == g && m.key.eq_ignore_ascii_case("columns")) else {
            return Err(bad(&format!("table {g} of the Log Analytics response has no \"columns\" array")));
        };
        let declared = declared_columns(&cols.value).map_err(|m| bad(&m))?;
        let mut p = part(path, shape);
        p.group = g;
        p.positional = Some(declared.iter().map(|c| c.name.clone()).collect());
        out.push(Sampled { name, declared, rows: vec![], keys: vec![], part: Some(p) });
    }
    Ok(out)
}

/// `[{"Name","Type"}]`, `[{"name","type"}]` or `[{"ColumnName","DataType"}]` → columns.
fn declared_columns(text: &[u8]) -> Result<Vec<KqlColumn>, String> {
    let v: Vec<Map<String, Value>> =
        serde_json::from_slice(text).map_err(|e| format!("the column list is not an array of objects: {e}"))?;
    let get = |m: &Map<String, Value>, keys: &[&str]| {
        m.iter()
            .find(|(k, _)| keys.iter().any(|x| k.eq_ignore_ascii_case(x)))
            .and_then(|(_, v)| v.as_str())
            .map(str::to_string)
    };
    Ok(v.iter()
        .map(|m| {
            let name = get(m, &["name", "ColumnName"]).unwrap_or_default();
            let ty = get(m, &["type", "DataType", "ColumnType"]).unwrap_or_else(|| "string".into());
            KqlColumn { name, ty: KqlType::parse(&ty).unwrap_or(KqlType::String) }
        })
        .collect())
}

/// Streaming records: the tables their categories name (the whole file is scanned for categories), with the
/// first rows of each.
fn records_sample(path: &Path, shape: Shape) -> Result<Vec<Sampled>, LoadError> {
    let origin = path.display().to_string();
    let (rd, _) = shape::open(path)?;
    let mut sc = scan::Scanner::new(rd, shape);
    let scan_err =
        |e: scan::ScanError| LoadError::Json { path: origin.clone(), line: e.line, col: e.col, message: e.message };
    let finder = memchr::memmem::Finder::new(b"\"category\"");
    let mut out: Vec<Sampled> = Vec::new();
    #[derive(serde::Deserialize)]
    struct Cat<'a> {
        #[serde(borrow, default)]
        category: Option<std::borrow::Cow<'a, str>>,
    }
    #[derive(serde::Deserialize)]
    struct Rec {
        properties: Option<Map<String, Value>>,
        time: Option<Value>,
    }
    while let Some(c) = sc.next_chunk().map_err(scan_err)? {
        for r in &c.rows {
            let text = c.data.get(r.start..r.end).unwrap_or_default();
            // the record's own top-level category (a "category" inside properties is not it)
            let cat = finder
                .find(text)
                .and_then(|_| serde_json::from_slice::<Cat>(text).ok())
                .and_then(|c| c.category.map(|c| c.into_owned()));
            let Some(cat) = cat else { continue };
            let name = decode::category_table(&cat).to_string();
            let entry = match out.iter().position(|s| s.name.eq_ignore_ascii_case(&name)) {
                Some(i) => out.get_mut(i),
                None => {
                    let mut p = part(path, shape);
                    p.category = Some(name.clone());
                    out.push(Sampled { name, declared: vec![], rows: vec![], keys: vec![], part: Some(p) });
                    out.last_mut()
                }
            };
            if let Some(s) = entry.filter(|s| s.rows.len() < 200) {
                if let Ok(Rec { properties: Some(mut props), time }) = serde_json::from_slice::<Rec>(text) {
                    // `time` fills a missing Timestamp, as when the rows are read
                    if let Some(t) = time.filter(|_| !props.contains_key("Timestamp")) {
                        props.insert("Timestamp".into(), t);
                    }
                    s.rows.push(props);
                }
            }
        }
    }
    Ok(out)
}

/// The schema of a table: declared types, then the catalog's, then inference from values; catalog order first.
/// Records the sample's keys, then keeps of its rows only the values of keys its table's catalog entry does
/// not declare: [`schema_of`] types declared columns from the catalog and only the others from values.
fn compact(catalog: &Catalog, s: &mut Sampled) {
    let mut keys: Vec<String> = Vec::new();
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    for r in &s.rows {
        for k in r.keys() {
            if seen.insert(k.clone()) {
                keys.push(k.clone());
            }
        }
    }
    s.keys = keys;
    if let Some(known) = catalog.known_columns(&s.name) {
        let declared: std::collections::HashSet<&str> = known.columns.iter().map(|c| c.name.as_str()).collect();
        for r in &mut s.rows {
            r.retain(|k, _| !declared.contains(k.as_str()));
        }
        s.rows.retain(|r| !r.is_empty());
        s.rows.shrink_to_fit();
    }
}

fn schema_of(catalog: &Catalog, name: &str, parts: &[Sampled]) -> KqlSchema {
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
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for p in parts {
        // every sample's keys (`compact` lists them; its rows may hold only undeclared ones)
        for k in &p.keys {
            if seen.insert(k.as_str()) {
                seen_keys.push(k.clone());
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

/// `1234567` → `1,234,567`.
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.2} GB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KB", b as f64 / (1u64 << 10) as f64),
        b => format!("{b} B"),
    }
}

/// ` in 2 scans` after a table's rows when the query read its files more than once (the rows are every scan's).
fn scans(r: &LoadReport) -> String {
    if r.scans > 1 {
        format!(" in {} scans", r.scans)
    } else {
        String::new()
    }
}

/// The one line that says what a query's scans read: rows, tables, files, bytes, seconds, coerced values;
/// and, when rows had keys that are not columns of their table, which. `None` when nothing was read.
pub fn summary(reports: &[LoadReport]) -> Vec<String> {
    if reports.is_empty() {
        return vec![];
    }
    let rows: u64 = reports.iter().map(|r| r.tally.rows).sum();
    let files: usize = reports.iter().map(|r| r.files).sum();
    let bytes: u64 = reports.iter().map(|r| r.bytes).sum();
    let secs = reports.iter().map(|r| r.elapsed.as_secs_f64()).fold(0.0, f64::max);
    let tables = match reports {
        [one] => format!("{}{}", one.table, scans(one)),
        many => format!(
            "{} tables ({})",
            many.len(),
            many.iter()
                .map(|r| format!("{} {}{}", r.table, thousands(r.tally.rows), scans(r)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut line = format!(
        "loaded {} row{} of {tables} from {files} file{} ({}) in {secs:.2} s",
        thousands(rows),
        if rows == 1 { "" } else { "s" },
        if files == 1 { "" } else { "s" },
        size(bytes)
    );
    let coerced: u64 = reports.iter().map(|r| r.tally.coerced_total()).sum();
    if coerced > 0 {
        let detail: Vec<String> = reports
            .iter()
            .flat_map(|r| r.tally.coerced.iter().map(move |(c, (n, ex))| format!("{}.{c}: {n}, first {ex}", r.table)))
            .collect();
        line.push_str(&format!(
            "; {} value{} did not fit {} column and {} null ({}; --strict makes this an error)",
            thousands(coerced),
            if coerced == 1 { "" } else { "s" },
            if coerced == 1 { "its" } else { "their" },
            if coerced == 1 { "is" } else { "are" },
            detail.join("; ")
        ));
    }
    let mut out = vec![line];
    for r in reports {
        if !r.tally.unknown.is_empty() {
            let keys: Vec<String> = r.tally.unknown.iter().map(|(k, n)| format!("{k} ({})", thousands(*n))).collect();
            out.push(format!(
                "{}: rows have keys that are not columns of the table (not seen in the sample its schema came from), skipped: {}",
                r.table,
                keys.join(", ")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_found_in_a_slice_cut_from_the_middle_of_an_array() {
        let slice = br#""x": 1, "d": {"k": 2}},
  {"a": 1, "b": [{"n": 1}, {"n": 2}], "c": "}, {"},
  {"a": 2, "b": [], "c": "z"},
  {"a": 3, "#;
        let rows = array_rows(slice, 3);
        let a: Vec<i64> = rows.iter().filter_map(|r| r.get("a").and_then(Value::as_i64)).collect();
        assert_eq!(a, vec![1, 2], "{rows:?}");
    }

    #[test]
    fn a_column_that_appears_only_late_in_a_large_array_is_found() {
        let dir = std::env::temp_dir().join(format!("kqlite-slices-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let f = dir.join("Late.json");
        let mut text = String::from("[\n");
        for i in 0..40_000 {
            text.push_str(&format!("{{\"i\": {i}, \"pad\": \"{}\"}},\n", "p".repeat(40)));
        }
        text.push_str("{\"i\": 40000, \"pad\": \"\", \"late\": \"2025-03-14T10:00:00Z\"}\n]");
        std::fs::write(&f, text).ok();
        let d = discover(&Catalog::new(), std::slice::from_ref(&f), None).ok().unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        let cols: Vec<String> = d
            .tables
            .first()
            .map(|t| t.schema.columns.iter().map(|c| format!("{}:{}", c.name, c.ty)).collect())
            .unwrap_or_default();
        assert_eq!(cols, vec!["i:long", "pad:string", "late:datetime"]);
    }
}
