//! `kqlite test`: YAML test files (`*.test.yaml`) that run a pack's queries over inline or file data and
//! compare the result with an expectation. The format is documented in the README (Query packs in CI); the comparison is
//! [`super::compare::check_result`], the one the `.kqlt` conformance suite uses.
//!
//! A test file holds one test (a mapping) or several (`tests:` with a list). Each test: `name`, `query` (inline)
//! or `query_file` (`.kql`, `file.md#N`, a Sentinel YAML), `now`, `env`, `set`, `tables` (inline rows or a data
//! path per table) and `expect` (`columns`, and one of `rows` + `ordered`, `contains`, `row_count`, `no_rows`,
//! `error`). A mistake in the test file itself is a failure naming its line and column.
#![warn(clippy::indexing_slicing)]

use super::compare::{check_result, header_of, Expect};
use super::packs::{self, yaml_get, yaml_str, PackQuery, QueryKind};
use crate::catalog::Env;
use crate::diagnostics::Error;
use crate::session::{Session, SessionOptions};
use crate::source::Source;
use crate::types::{KqlSchema, KqlType};
use saphyr::{MarkedYaml, Scalar, YamlData};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The outcome of one test.
#[derive(Debug, Clone)]
pub struct TestOutcome {
    pub file: PathBuf,
    pub name: String,
    /// 1-based line and column of the test in its file (its `name:` value, else its mapping)
    pub line: usize,
    pub col: usize,
    /// None: passed; Some(code, text): failed (`kqlite::test::failed`, `kqlite::test::invalid`)
    pub failure: Option<(String, String)>,
    pub seconds: f64,
    /// the rewritten expectation, when `--update` rewrote it
    pub updated: Option<String>,
}

/// Options of a `kqlite test` run.
#[derive(Debug, Clone, Default)]
pub struct TestOptions {
    /// `--update`: rewrite the `expect` of failing `rows`/`row_count` tests from their current results
    pub update: bool,
    /// `--env` (a test's `env:` wins)
    pub env: Env,
    /// `--schema` files for every test
    pub schemas: Vec<PathBuf>,
}

/// An error in the test file: the message and the node it is about.
struct Invalid(String, usize, usize);

fn at(node: &MarkedYaml, msg: impl Into<String>) -> Invalid {
    Invalid(msg.into(), node.span.start.line(), node.span.start.col() + 1)
}

/// Runs every test of one file. The file's text is returned with the rewrites of `--update` applied (None: no
/// change).
pub fn run_file(path: &Path, opts: &TestOptions) -> (Vec<TestOutcome>, Option<String>) {
    let fail_file = |msg: String, line: usize, col: usize| TestOutcome {
        file: path.to_path_buf(),
        name: path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default(),
        line,
        col,
        failure: Some(("kqlite::test::invalid".into(), msg)),
        seconds: 0.0,
        updated: None,
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return (vec![fail_file(format!("cannot read {}: {e}", path.display()), 1, 1)], None),
    };
    let docs = match packs::yaml_documents(&text) {
        Ok(d) => d,
        Err(p) => {
            let (line, col) = crate::source::line_col(&text, p.offset);
            return (vec![fail_file(p.message, line, col)], None);
        }
    };
    let Some(doc) = docs.first() else {
        return (vec![fail_file("the test file is empty".into(), 1, 1)], None);
    };
    let tests: Vec<&MarkedYaml> = match yaml_get(doc, "tests") {
        Some(t) => match &t.data {
            YamlData::Sequence(s) => s.iter().collect(),
            _ => return (vec![fail_file("`tests` must be a list of tests".into(), t.span.start.line(), 1)], None),
        },
        None => vec![doc],
    };
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut outcomes = Vec::new();
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for t in tests {
        let started = Instant::now();
        let name = yaml_get(t, "name").and_then(yaml_str).unwrap_or("(unnamed)").to_string();
        let anchor = yaml_get(t, "name").unwrap_or(t);
        let mut outcome = TestOutcome {
            file: path.to_path_buf(),
            name,
            line: anchor.span.start.line(),
            col: anchor.span.start.col() + 1,
            failure: None,
            seconds: 0.0,
            updated: None,
        };
        match run_test(t, &dir, opts) {
            Ok(Verdict::Pass) => {}
            Ok(Verdict::Fail { message, rewrite }) => {
                outcome.failure = Some(("kqlite::test::failed".into(), message));
                if let (true, Some(new)) = (opts.update, rewrite) {
                    if let Some(edit) = expect_edit(&text, t, &new) {
                        outcome.updated = Some(new);
                        outcome.failure = None;
                        edits.push(edit);
                    }
                }
            }
            Err(Invalid(msg, line, col)) => {
                outcome.failure = Some(("kqlite::test::invalid".into(), msg));
                (outcome.line, outcome.col) = (line, col);
            }
        }
        outcome.seconds = started.elapsed().as_secs_f64();
        outcomes.push(outcome);
    }
    if edits.is_empty() {
        return (outcomes, None);
    }
    let mut new_text = text.clone();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    for (start, end, replacement) in edits {
        new_text.replace_range(start..end, &replacement);
    }
    (outcomes, Some(new_text))
}

enum Verdict {
    Pass,
    /// the failure text, and the expectation's new YAML when `--update` may rewrite it
    Fail {
        message: String,
        rewrite: Option<String>,
    },
}

fn run_test(t: &MarkedYaml, dir: &Path, opts: &TestOptions) -> Result<Verdict, Invalid> {
    if !matches!(t.data, YamlData::Mapping(_)) {
        return Err(at(t, "a test must be a mapping with name, query and expect"));
    }
    if let YamlData::Mapping(m) = &t.data {
        const KEYS: &[&str] = &["name", "query", "query_file", "now", "env", "set", "tables", "expect", "description"];
        for k in m.keys() {
            let key = yaml_str(k).unwrap_or("");
            if !KEYS.contains(&key) {
                return Err(at(k, format!("unknown key `{key}` (a test has {})", KEYS.join(", "))));
            }
        }
    }
    if yaml_get(t, "name").and_then(yaml_str).is_none() {
        return Err(at(t, "the test has no `name`"));
    }
    let (query, query_name) = query_of(t, dir)?;
    let env = match yaml_get(t, "env") {
        Some(e) => {
            Env::parse(yaml_str(e).unwrap_or("")).ok_or_else(|| at(e, "env: not one of defender, sentinel, auto"))?
        }
        None => opts.env,
    };
    let now_ns = match yaml_get(t, "now") {
        Some(n) => Some(
            crate::session::parse_now(&scalar_text(n))
                .ok_or_else(|| at(n, format!("now: '{}' is not an ISO-8601 datetime", scalar_text(n))))?,
        ),
        None => None,
    };
    let mut sets = Vec::new();
    if let Some(s) = yaml_get(t, "set") {
        let YamlData::Mapping(m) = &s.data else { return Err(at(s, "set: expected NAME: VALUE pairs")) };
        for (k, v) in m {
            sets.push((scalar_text(k), scalar_text(v)));
        }
    }
    let mut session = Session::new(SessionOptions { env, now_ns, sets, ..SessionOptions::default() })
        .map_err(|e| at(t, e.to_string()))?;
    for s in &opts.schemas {
        session.add_schema(s).map_err(|e| at(t, e.to_string()))?;
    }
    let scratch = load_tables(t, dir, &mut session)?;
    let expect = yaml_get(t, "expect").ok_or_else(|| at(t, "the test has no `expect`"))?;
    let result = session.run_collect(&Source::new(query_name, query));
    if let Some(d) = scratch {
        let _ = std::fs::remove_dir_all(d);
    }
    judge(expect, result)
}

/// The query of a test and the name its diagnostics carry.
fn query_of(t: &MarkedYaml, dir: &Path) -> Result<(String, String), Invalid> {
    match (yaml_get(t, "query"), yaml_get(t, "query_file")) {
        (Some(q), None) => {
            Ok((yaml_str(q).ok_or_else(|| at(q, "query: expected the query text"))?.to_string(), "<test query>".into()))
        }
        (None, Some(f)) => {
            let spec = yaml_str(f).ok_or_else(|| at(f, "query_file: expected a path"))?;
            let (file, block) = match spec.rsplit_once('#') {
                Some((p, n)) => {
                    (p, n.parse::<usize>().map_err(|_| at(f, format!("query_file: '#{n}' is not a block number")))?)
                }
                None => (spec, 1),
            };
            let path = dir.join(file);
            let pf =
                packs::read(&path).map_err(|e| at(f, format!("query_file: cannot read {}: {e}", path.display())))?;
            if let Some(p) = pf.problems.first() {
                return Err(at(f, format!("query_file: {}", p.message)));
            }
            let pick = |q: &&PackQuery| match q.kind {
                QueryKind::Markdown(n) | QueryKind::Json(n) => n == block,
                QueryKind::Yaml(_) | QueryKind::Kql => block == 1,
            };
            let q = pf.queries.iter().find(pick).ok_or_else(|| {
                at(f, format!("query_file: {} has {} queries, no #{block}", path.display(), pf.queries.len()))
            })?;
            Ok((q.text.clone(), path.display().to_string()))
        }
        (Some(q), Some(_)) => Err(at(q, "give either query or query_file, not both")),
        (None, None) => Err(at(t, "the test has no `query` or `query_file`")),
    }
}

/// Registers the test's tables: inline rows are written to a scratch folder as a JSON array (so they are
/// typed by the catalog's schema of the table and read by the same loader as a dump); a path is loaded as is.
/// Returns the scratch folder to remove.
fn load_tables(t: &MarkedYaml, dir: &Path, session: &mut Session) -> Result<Option<PathBuf>, Invalid> {
    let Some(tables) = yaml_get(t, "tables") else { return Ok(None) };
    let YamlData::Mapping(m) = &tables.data else {
        return Err(at(tables, "tables: expected TABLE: rows or TABLE: path"));
    };
    let mut scratch: Option<PathBuf> = None;
    for (k, v) in m {
        let name = scalar_text(k);
        let path = match &v.data {
            YamlData::Sequence(rows) => {
                let d = scratch.get_or_insert_with(|| {
                    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
                    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    std::env::temp_dir().join(format!("kqlite-test-{}-{n}", std::process::id()))
                });
                std::fs::create_dir_all(&*d).map_err(|e| at(v, format!("cannot write scratch data: {e}")))?;
                let mut json_rows = Vec::new();
                for r in rows {
                    if !matches!(r.data, YamlData::Mapping(_)) {
                        return Err(at(r, format!("tables.{name}: each row is a mapping of column: value")));
                    }
                    json_rows.push(to_json(r));
                }
                let p = d.join(format!("{name}.json"));
                let text = serde_json::to_string(&json_rows).map_err(|e| at(v, e.to_string()))?;
                std::fs::write(&p, text).map_err(|e| at(v, format!("cannot write scratch data: {e}")))?;
                p
            }
            _ => dir.join(yaml_str(v).ok_or_else(|| at(v, format!("tables.{name}: expected rows or a path")))?),
        };
        session.add_data_as(&path, Some(&name)).map_err(|e| at(v, format!("tables.{name}: {e}")))?;
    }
    Ok(scratch)
}

/// A YAML node as JSON (rows of inline tables, dynamic cells).
pub fn to_json(n: &MarkedYaml) -> Value {
    match &n.data {
        YamlData::Value(s) => match s {
            Scalar::Null => Value::Null,
            Scalar::Boolean(b) => Value::Bool(*b),
            Scalar::Integer(i) => Value::from(*i),
            Scalar::FloatingPoint(f) => {
                serde_json::Number::from_f64(f.into_inner()).map(Value::Number).unwrap_or(Value::Null)
            }
            Scalar::String(s) => Value::String(s.to_string()),
        },
        YamlData::Sequence(s) => Value::Array(s.iter().map(to_json).collect()),
        YamlData::Mapping(m) => Value::Object(m.iter().map(|(k, v)| (scalar_text(k), to_json(v))).collect()),
        _ => Value::Null,
    }
}

/// A scalar's text as written (numbers, booleans, strings); JSON text for a list or mapping.
fn scalar_text(n: &MarkedYaml) -> String {
    match to_json(n) {
        Value::String(s) => s,
        Value::Null => "null".into(),
        v => v.to_string(),
    }
}

/// A YAML cell as the text the comparison reads for a column of type `ty`.
fn cell(n: &MarkedYaml, ty: KqlType) -> String {
    match (to_json(n), ty) {
        // Kusto strings are never null: `~` stands for the empty string
        (Value::Null, KqlType::String) => "\"\"".into(),
        // as the comparison reads it: plain text, JSON-quoted only when plain text would read differently
        (Value::String(s), KqlType::String) => {
            if s.is_empty() || s == "null" || s.trim() != s || s.contains('|') || s.starts_with('"') {
                serde_json::to_string(&s).unwrap_or(s)
            } else {
                s
            }
        }
        (Value::String(s), _) => s,
        (Value::Null, _) => "null".into(),
        (v, _) => v.to_string(),
    }
}

/// The expected rows of a `rows`/`contains` node, read with the result's column types.
fn rows_of(node: &MarkedYaml, schema: &KqlSchema, key: &str) -> Result<Vec<Vec<String>>, Invalid> {
    let YamlData::Sequence(rows) = &node.data else { return Err(at(node, format!("{key}: expected a list of rows"))) };
    let types: Vec<KqlType> = schema.columns.iter().map(|c| c.ty).collect();
    rows.iter()
        .map(|r| match &r.data {
            YamlData::Sequence(cells) => Ok(cells
                .iter()
                .enumerate()
                .map(|(i, c)| cell(c, types.get(i).copied().unwrap_or(KqlType::String)))
                .collect()),
            YamlData::Mapping(_) => Ok(schema
                .columns
                .iter()
                .map(|c| yaml_get(r, &c.name).map(|v| cell(v, c.ty)).unwrap_or_else(|| "null".into()))
                .collect()),
            _ => Err(at(r, format!("{key}: a row is a list of cells (or a mapping of column: value)"))),
        })
        .collect()
}

fn judge(
    expect: &MarkedYaml,
    result: Result<(KqlSchema, Vec<datafusion::arrow::record_batch::RecordBatch>), Error>,
) -> Result<Verdict, Invalid> {
    const KINDS: &[&str] = &["rows", "contains", "row_count", "no_rows", "error"];
    let given: Vec<&str> = KINDS.iter().copied().filter(|k| yaml_get(expect, k).is_some()).collect();
    if given.len() != 1 {
        return Err(at(expect, format!("expect: give exactly one of {} (found {})", KINDS.join(", "), given.len())));
    }
    let kind = given.first().copied().unwrap_or("rows");
    if let Some(YamlData::Mapping(m)) = Some(&expect.data) {
        for k in m.keys() {
            let key = yaml_str(k).unwrap_or("");
            if !KINDS.contains(&key) && key != "columns" && key != "ordered" {
                return Err(at(k, format!("expect: unknown key `{key}`")));
            }
        }
    }
    let (schema, batches) = match (result, kind) {
        (Err(e), "error") => {
            let want = yaml_get(expect, "error").map(scalar_text).unwrap_or_default();
            return Ok(if e.code() == want {
                Verdict::Pass
            } else {
                Verdict::Fail { message: format!("expected error {want}, got {}: {e}", e.code()), rewrite: None }
            });
        }
        (Err(e), _) => return Ok(Verdict::Fail { message: format!("query failed: {}: {e}", e.code()), rewrite: None }),
        (Ok(_), "error") => {
            let want = yaml_get(expect, "error").map(scalar_text).unwrap_or_default();
            return Ok(Verdict::Fail {
                message: format!("expected error {want}, but the query succeeded"),
                rewrite: None,
            });
        }
        (Ok(r), _) => r,
    };
    let header: Option<Vec<String>> = match yaml_get(expect, "columns") {
        Some(c) => match &c.data {
            YamlData::Sequence(s) => Some(s.iter().map(|x| scalar_text(x).replace(' ', "")).collect()),
            _ => return Err(at(c, "columns: expected a list of Name:type")),
        },
        None => None,
    };
    let ordered = yaml_get(expect, "ordered").is_some_and(|o| matches!(o.data, YamlData::Value(Scalar::Boolean(true))));
    let node = yaml_get(expect, kind).ok_or_else(|| at(expect, "expect: no expectation"))?;
    let outcome = match kind {
        "rows" => {
            let rows = rows_of(node, &schema, "rows")?;
            check_result(Expect::Rows { header: header.as_deref(), rows: &rows, ordered }, &schema, &batches)
        }
        "contains" => {
            let rows = rows_of(node, &schema, "contains")?;
            check_result(Expect::Contains { header: header.as_deref(), rows: &rows }, &schema, &batches)
        }
        "row_count" => {
            let count = match to_json(node) {
                Value::Number(n) => n.as_u64().ok_or_else(|| at(node, "row_count: expected a count"))? as usize,
                _ => return Err(at(node, "row_count: expected a count")),
            };
            check_result(Expect::Count { header: header.as_deref(), count }, &schema, &batches)
        }
        _ => {
            if !matches!(node.data, YamlData::Value(Scalar::Boolean(true))) {
                return Err(at(node, "no_rows: expected true"));
            }
            check_result(Expect::Count { header: header.as_deref(), count: 0 }, &schema, &batches)
        }
    };
    Ok(match outcome {
        Ok(()) => Verdict::Pass,
        Err(message) => {
            let rewrite =
                matches!(kind, "rows" | "row_count").then(|| expectation_yaml(&schema, &batches, kind, ordered));
            Verdict::Fail { message, rewrite }
        }
    })
}

/// A cell of a result as a YAML flow scalar (JSON syntax, which YAML reads).
fn yaml_cell(a: &dyn datafusion::arrow::array::Array, r: usize, ty: KqlType) -> String {
    if a.is_null(r) {
        return "null".into();
    }
    let text = crate::values::cell_text(a, r, ty);
    match ty {
        KqlType::Bool | KqlType::Int | KqlType::Long | KqlType::Real | KqlType::Decimal => {
            let v = crate::values::cell_json(a, r, ty);
            if v.is_number() || v.is_boolean() {
                v.to_string()
            } else {
                serde_json::to_string(&text).unwrap_or(text)
            }
        }
        KqlType::Dynamic => crate::values::cell_json(a, r, ty).to_string(),
        _ => serde_json::to_string(&text).unwrap_or(text),
    }
}

/// The body of a rewritten `expect:` (lines indented by two, the caller indents them further).
fn expectation_yaml(
    schema: &KqlSchema,
    batches: &[datafusion::arrow::record_batch::RecordBatch],
    kind: &str,
    ordered: bool,
) -> String {
    let mut out = format!("  columns: [{}]\n", header_of(schema).join(", "));
    if kind == "row_count" {
        let n: usize = batches.iter().map(|b| b.num_rows()).sum();
        out.push_str(&format!("  row_count: {n}\n"));
        return out;
    }
    if ordered {
        out.push_str("  ordered: true\n");
    }
    let mut rows = Vec::new();
    for b in batches {
        for r in 0..b.num_rows() {
            let cells: Vec<String> =
                schema.columns.iter().zip(b.columns()).map(|(c, a)| yaml_cell(a.as_ref(), r, c.ty)).collect();
            rows.push(format!("    - [{}]\n", cells.join(", ")));
        }
    }
    if rows.is_empty() {
        out.push_str("  rows: []\n");
    } else {
        out.push_str("  rows:\n");
        out.extend(rows);
    }
    out
}

/// The byte range of a test's `expect:` entry (key line to the end of its value) and its replacement.
fn expect_edit(text: &str, t: &MarkedYaml, body: &str) -> Option<(usize, usize, String)> {
    let YamlData::Mapping(m) = &t.data else { return None };
    let (k, _) = m.iter().find(|(k, _)| yaml_str(k) == Some("expect"))?;
    let lines = packs::line_offsets(text);
    let key_line = k.span.start.line();
    let key_col = k.span.start.col();
    let key_start = packs::marker_offset(&lines, key_line, key_col);
    // the entry runs over the lines indented deeper than its key (blank lines inside included)
    let mut last = key_line;
    for (i, (_, l)) in lines.iter().enumerate().skip(key_line) {
        let indent = l.len() - l.trim_start().len();
        if l.trim().is_empty() {
            continue;
        }
        if indent <= key_col {
            break;
        }
        last = i + 1;
    }
    let end = lines.get(last.saturating_sub(1)).map(|(o, l)| o + l.len())?;
    let indent = " ".repeat(k.span.start.col());
    let body: Vec<String> = body.lines().map(|l| format!("{indent}{l}")).collect();
    Some((key_start, end, format!("expect:\n{}", body.join("\n"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(yaml: &str, update: bool) -> (Vec<TestOutcome>, Option<String>) {
        let dir = std::env::temp_dir().join(format!("kqlite-testfile-{}-{}", std::process::id(), yaml.len()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("t.test.yaml");
        std::fs::write(&p, yaml).unwrap();
        let r = run_file(&p, &TestOptions { update, ..TestOptions::default() });
        std::fs::remove_dir_all(&dir).unwrap();
        r
    }

    const BASE: &str = "name: counts by device\nquery: |\n  DeviceProcessEvents\n  | summarize n = count() by DeviceName\nnow: 2025-03-15T12:00:00Z\ntables:\n  DeviceProcessEvents:\n    - {Timestamp: 2025-03-15T10:00:00Z, DeviceName: ws1, FileName: a.exe}\n    - {Timestamp: 2025-03-15T10:01:00Z, DeviceName: ws1, FileName: b.exe}\n    - {Timestamp: 2025-03-15T10:02:00Z, DeviceName: ws2, FileName: c.exe}\n";

    #[test]
    fn rows_contains_count_and_no_rows() {
        let (o, _) = run(
            &format!(
                "{BASE}expect:\n  columns: [DeviceName:string, n:long]\n  rows:\n    - [ws2, 1]\n    - [ws1, 2]\n"
            ),
            false,
        );
        assert_eq!(o[0].failure, None);
        let (o, _) = run(&format!("{BASE}expect:\n  contains:\n    - {{DeviceName: ws1, n: 2}}\n"), false);
        assert_eq!(o[0].failure, None);
        let (o, _) = run(&format!("{BASE}expect:\n  row_count: 2\n"), false);
        assert_eq!(o[0].failure, None);
        let (o, _) = run(&format!("{BASE}expect:\n  no_rows: true\n"), false);
        assert!(o[0].failure.as_ref().unwrap().1.starts_with("expected 0 rows, got 2"));
        let (o, _) = run(&format!("{BASE}expect:\n  rows:\n    - [ws1, 3]\n    - [ws2, 1]\n"), false);
        let msg = &o[0].failure.as_ref().unwrap().1;
        assert!(msg.contains("difference:\n  - ws1 | 3\n  + ws1 | 2"), "{msg}");
    }

    #[test]
    fn mistakes_in_the_test_file_name_their_line() {
        let (o, _) = run(&format!("{BASE}expect:\n  rowz: []\n"), false);
        let (code, msg) = o[0].failure.clone().unwrap();
        assert_eq!(code, "kqlite::test::invalid");
        assert!(msg.contains("exactly one of"), "{msg}");
        assert_eq!(o[0].line, 12);
        let (o, _) = run("name: x\nquery: T\nexpect: {no_rows: true}\nbogus: 1\n", false);
        assert_eq!((o[0].line, o[0].failure.clone().unwrap().1.contains("unknown key `bogus`")), (4, true));
    }

    #[test]
    fn update_rewrites_only_the_expectation() {
        let yaml = format!("# header comment\n{BASE}expect:\n  rows:\n    - [ws1, 9]\n# trailing comment\n");
        let (o, new) = run(&yaml, true);
        assert!(o[0].failure.is_none() && o[0].updated.is_some());
        let new = new.unwrap();
        assert!(new.starts_with("# header comment\nname: counts by device\n"), "{new}");
        assert!(new.ends_with("]\n# trailing comment\n"), "{new}");
        assert!(new.contains("  columns: [DeviceName:string, n:long]\n  rows:\n    - ["), "{new}");
        assert!(new.contains("    - [\"ws1\", 2]\n") && new.contains("    - [\"ws2\", 1]\n"), "{new}");
        let (o, again) = run(&new, false);
        assert!(o[0].failure.is_none(), "{:?}", o[0].failure);
        assert!(again.is_none());
    }

    #[test]
    fn several_tests_and_errors() {
        let yaml = "tests:\n  - name: bad column\n    query: print a = 1 | project b\n    expect:\n      error: kqlite::bind::unknown_column\n  - name: one row\n    query: print a = 1\n    expect:\n      rows: [[1]]\n";
        let (o, _) = run(yaml, false);
        assert_eq!(o.len(), 2);
        assert!(o.iter().all(|t| t.failure.is_none()), "{o:?}");
        assert_eq!(o[1].line, 6);
    }
}
