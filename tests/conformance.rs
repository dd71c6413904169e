//! Runs `tests/conformance/*.kqlt` (format: tests/conformance/README.md). Every case is a named test,
//! `<file>::<line>`, run in a fresh catalog built from the `.set` lines above it.

// Test code: a failed expectation should panic with its message.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use kqlite::output::values::{cell_json, cell_text};
use kqlite::parser::{parse_datetime_text, parse_timespan_text};
use kqlite::types::{KqlSchema, KqlType};
use kqlite::{Options, Session, SessionOptions, Source};
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;
use std::path::Path;

#[derive(Clone, Debug)]
enum Item {
    Set { name: String, query: String },
    Now(String),
}

#[derive(Clone, Debug)]
struct Case {
    line: usize,
    ordered: bool,
    error: Option<String>,
    query: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn parse_file(text: &str) -> Vec<(Vec<Item>, Case)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut items: Vec<Item> = Vec::new();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        if let Some(rest) = l.strip_prefix(".set ") {
            let (name, q) = rest.split_once("<|").unwrap_or((rest, ""));
            let mut query = q.to_string();
            while i + 1 < lines.len() && (lines[i + 1].starts_with(' ') || lines[i + 1].starts_with('\t')) {
                i += 1;
                query.push('\n');
                query.push_str(lines[i]);
            }
            items.push(Item::Set { name: name.trim().to_string(), query });
        } else if let Some(rest) = l.strip_prefix(".now ") {
            items.push(Item::Now(rest.trim().to_string()));
        } else if l.starts_with("query ") || l.starts_with("error ") {
            let line = i + 1;
            let ordered = l.trim() == "query ordered";
            let error = l.strip_prefix("error ").map(|c| c.trim().to_string());
            let mut query = Vec::new();
            i += 1;
            while i < lines.len() {
                let q = lines[i];
                if (error.is_none() && q.trim() == "----") || (error.is_some() && q.trim().is_empty()) {
                    break;
                }
                query.push(q);
                i += 1;
            }
            let mut header = Vec::new();
            let mut rows = Vec::new();
            if error.is_none() {
                i += 1;
                if let Some(h) = lines.get(i) {
                    header = split_cells(h);
                }
                while i + 1 < lines.len() && !lines[i + 1].trim().is_empty() {
                    i += 1;
                    rows.push(split_cells(lines[i]));
                }
            }
            out.push((items.clone(), Case { line, ordered, error, query: query.join("\n"), header, rows }));
        }
        i += 1;
    }
    out
}

/// Splits a row on `|` outside JSON strings.
fn split_cells(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cur = String::new();
    let mut in_str = false;
    let mut escaped = false;
    for c in line.chars() {
        if in_str {
            cur.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
        } else if c == '"' {
            in_str = true;
            cur.push(c);
        } else if c == '|' {
            cells.push(cur.trim().to_string());
            cur.clear();
        } else {
            cur.push(c);
        }
    }
    cells.push(cur.trim().to_string());
    cells
}

fn options(items: &[Item]) -> Options {
    let mut opts = Options::default();
    for it in items {
        if let Item::Now(t) = it {
            opts.now_ns = parse_datetime_text(t).unwrap_or(0);
        }
    }
    opts
}

/// A session holding the tables of the `.set` lines, each computed in it.
fn session(items: &[Item], opts: &Options) -> Result<Session, Failed> {
    let session_opts = SessionOptions { now_ns: Some(opts.now_ns), ..SessionOptions::default() };
    let mut s = Session::new(session_opts).map_err(|e| format!("cannot start a session: {e}"))?;
    for it in items {
        if let Item::Set { name, query } = it {
            let src = Source::new(format!(".set {name}"), query.clone());
            let (schema, batches) = s.run_collect(&src).map_err(|e| format!(".set {name} failed: {e}"))?;
            s.add_table(name, schema, batches);
        }
    }
    Ok(s)
}

/// Does an actual cell match the expected text for a column of type `ty`?
fn cell_matches(expected: &str, actual: &dyn kqlite_array::Array, r: usize, ty: KqlType) -> bool {
    let null = actual.is_null(r);
    if expected == "null" && ty != KqlType::String {
        return null;
    }
    if ty == KqlType::String {
        let want = serde_json::from_str::<String>(expected).unwrap_or_else(|_| expected.to_string());
        return cell_text(actual, r, ty) == want;
    }
    if null {
        return false;
    }
    let text = cell_text(actual, r, ty);
    match ty {
        KqlType::Real | KqlType::Decimal => {
            let a = match cell_json(actual, r, ty) {
                Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
                Value::String(s) => s.parse::<f64>().unwrap_or(f64::NAN),
                _ => f64::NAN,
            };
            let e = match expected {
                "NaN" => f64::NAN,
                "inf" | "Infinity" => f64::INFINITY,
                "-inf" | "-Infinity" => f64::NEG_INFINITY,
                t => t.parse::<f64>().unwrap_or(f64::NAN - 1.0),
            };
            (a.is_nan() && e.is_nan()) || a == e || ((a - e).abs() <= 1e-9 * e.abs().max(1.0))
        }
        KqlType::Datetime => {
            parse_datetime_text(expected).is_some() && parse_datetime_text(expected) == parse_datetime_text(&text)
        }
        KqlType::Timespan => {
            parse_timespan_text(expected).is_some() && parse_timespan_text(expected) == parse_timespan_text(&text)
        }
        KqlType::Dynamic => {
            let got = cell_json(actual, r, ty);
            match expected.strip_prefix('~') {
                Some(rest) => match (serde_json::from_str::<Value>(rest), got) {
                    (Ok(Value::Array(mut a)), Value::Array(mut b)) => {
                        a.sort_by_key(|v| v.to_string());
                        b.sort_by_key(|v| v.to_string());
                        a == b
                    }
                    _ => false,
                },
                None => serde_json::from_str::<Value>(expected).is_ok_and(|v| v == got),
            }
        }
        KqlType::Guid => text.eq_ignore_ascii_case(expected.trim_matches('"')),
        _ => text == expected,
    }
}

mod kqlite_array {
    pub use datafusion::arrow::array::Array;
}

fn run_case(items: &[Item], case: &Case) -> Result<(), Failed> {
    let opts = options(items);
    let session = session(items, &opts)?;
    let src = Source::new("case", case.query.clone());
    let result = session.run_collect(&src);
    if let Some(code) = &case.error {
        return match result {
            Ok(_) => Err(format!("expected error {code}, but the query succeeded").into()),
            Err(e) if &e.code() == code => Ok(()),
            Err(e) => Err(format!("expected error {code}, got {}: {e}", e.code()).into()),
        };
    }
    let (schema, batches) = result.map_err(|e| format!("query failed: {}: {e}", e.code()))?;
    let got_header: Vec<String> = schema.columns.iter().map(|c| format!("{}:{}", c.name, c.ty)).collect();
    if got_header != case.header {
        return Err(format!(
            "columns differ\n  expected: {}\n  actual:   {}",
            case.header.join(" | "),
            got_header.join(" | ")
        )
        .into());
    }
    let mut actual: Vec<(usize, usize)> = Vec::new();
    for (b, batch) in batches.iter().enumerate() {
        for r in 0..batch.num_rows() {
            actual.push((b, r));
        }
    }
    let show = |rows: &[(usize, usize)]| -> String {
        rows.iter()
            .map(|(b, r)| {
                let batch = &batches[*b];
                schema
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| cell_repr(batch.column(i).as_ref(), *r, c.ty))
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
            .collect::<Vec<_>>()
            .join("\n    ")
    };
    let fail = || -> Failed {
        format!(
            "rows differ\n  expected ({}):\n    {}\n  actual ({}):\n    {}",
            case.rows.len(),
            case.rows.iter().map(|r| r.join(" | ")).collect::<Vec<_>>().join("\n    "),
            actual.len(),
            show(&actual)
        )
        .into()
    };
    if actual.len() != case.rows.len() {
        return Err(fail());
    }
    let row_matches = |exp: &Vec<String>, (b, r): (usize, usize), schema: &KqlSchema| {
        exp.len() == schema.len()
            && schema
                .columns
                .iter()
                .enumerate()
                .all(|(i, c)| cell_matches(&exp[i], batches[b].column(i).as_ref(), r, c.ty))
    };
    if case.ordered {
        for (exp, act) in case.rows.iter().zip(&actual) {
            if !row_matches(exp, *act, &schema) {
                return Err(fail());
            }
        }
    } else {
        let mut used = vec![false; actual.len()];
        for exp in &case.rows {
            let found = (0..actual.len()).find(|&k| !used[k] && row_matches(exp, actual[k], &schema));
            match found {
                Some(k) => used[k] = true,
                None => return Err(fail()),
            }
        }
    }
    Ok(())
}

fn cell_repr(a: &dyn kqlite_array::Array, r: usize, ty: KqlType) -> String {
    if a.is_null(r) {
        return "null".into();
    }
    let t = cell_text(a, r, ty);
    if ty == KqlType::String && (t.is_empty() || t.contains('|') || t == "null" || t.trim() != t) {
        return serde_json::to_string(&t).unwrap_or(t);
    }
    t
}

fn main() {
    let args = Arguments::from_args();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut files: Vec<_> =
        std::fs::read_dir(&dir).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    files.retain(|p: &std::path::PathBuf| p.extension().is_some_and(|e| e == "kqlt"));
    files.sort();
    let mut trials = Vec::new();
    for f in files {
        let stem = f.file_stem().and_then(|s| s.to_str()).unwrap_or("?").to_string();
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        // files named later_* hold cases for features still being built: listed, run on request (--ignored)
        let later = stem.starts_with("later_");
        for (items, case) in parse_file(&text) {
            let name = format!("{stem}::{}", case.line);
            trials.push(Trial::test(name, move || run_case(&items, &case)).with_ignored_flag(later));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
