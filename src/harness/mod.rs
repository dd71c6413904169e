//! Front end for query packs and tests.
//!
//! - `kqlite check` ([`check`]): every query of a pack ([`packs`]: `.kql`, Markdown, Sentinel YAML, ARM JSON)
//!   is parsed and bound (no data read), linted ([`lints`]) and, for Sentinel templates, validated
//!   ([`sentinel`]); findings ([`findings`]) point into the original files and go out as text, JSON lines,
//!   SARIF, JUnit or GitHub annotations ([`formats`]); [`config`] reads `kqlite.toml` and baselines.
//! - `kqlite test` ([`testfile`]): YAML test files run queries over inline or file data and compare the
//!   result with [`compare`], the comparison the `.kqlt` conformance suite ([`kqlt`]) uses too.

pub mod check;
pub mod compare;
pub mod config;
pub mod findings;
pub mod formats;
pub mod kqlt;
pub mod lints;
pub mod origin;
pub mod packs;
pub mod sentinel;
pub mod testfile;

pub use check::source_of;
use serde_json::json;

/// One JSON line for a checked query:
/// `{"file","line","ok","errors":[{"code","message","line","col"}],"warnings":[…],"columns":[{"name","type"}]}`,
/// and `"tables":[[…],[…]]` (every result table's columns) for a query of several tabular statements.
pub fn json_line(r: &check::QueryReport) -> serde_json::Value {
    let entry = |f: &findings::Finding| {
        let mut message = f.message.clone();
        if let Some(h) = &f.help {
            message.push_str(&format!(" ({h})"));
        }
        json!({"code": f.code, "message": message, "line": f.line, "col": f.col, "end_line": f.end_line, "end_col": f.end_col})
    };
    let errors: Vec<_> = r.findings.iter().filter(|f| f.level == findings::Level::Error).map(entry).collect();
    let warnings: Vec<_> = r.findings.iter().filter(|f| f.level != findings::Level::Error).map(entry).collect();
    let columns: Vec<_> = match (&r.schema, errors.is_empty()) {
        (Some(s), _) => s.columns.iter().map(|c| json!({"name": c.name, "type": c.ty.name()})).collect(),
        (None, _) => vec![],
    };
    let mut line = json!({
        "file": r.query.file.display().to_string(),
        "line": r.query.line,
        "ok": errors.is_empty(),
        "errors": errors,
        "warnings": warnings,
        "columns": columns,
    });
    // several tabular statements: every result table's columns, in order ("columns" is the last)
    if !r.earlier.is_empty() {
        let cols = |s: &crate::types::KqlSchema| -> Vec<serde_json::Value> {
            s.columns.iter().map(|c| json!({"name": c.name, "type": c.ty.name()})).collect()
        };
        let tables: Vec<_> = r.earlier.iter().chain(r.schema.as_ref()).map(|s| json!(cols(s))).collect();
        line["tables"] = json!(tables);
    }
    line
}

/// One JSON line for a finding about a whole file (it could not be read).
pub fn json_file_line(f: &findings::Finding) -> serde_json::Value {
    json!({
        "file": f.file.display().to_string(), "line": f.line, "ok": false,
        "errors": [{"code": f.code, "message": f.message, "line": f.line, "col": f.col, "end_line": f.end_line, "end_col": f.end_col}],
        "warnings": [], "columns": [],
    })
}
