//! Harness: a `.kqlt` case + a query's outcome (schema and batches, or the error) → pass, or the failure text.
//! Shared by `tests/conformance.rs` and a `kqlite test` command.
//!
//! Cells are read by their column's Kusto type (`tests/conformance/README.md`): `null`; strings raw or as a JSON
//! string literal; reals with a relative tolerance of 1e-9 (`NaN`, `inf`, `-inf`); datetimes and timespans by
//! value; guids without regard to case; dynamic as JSON values, `~[...]` for an array compared as a multiset.
#![warn(clippy::indexing_slicing)]

use super::kqlt::Case;
use crate::diagnostics::Error;
use crate::parser::{parse_datetime_text, parse_timespan_text};
use crate::types::{KqlSchema, KqlType};
use crate::values::{cell_json, cell_text};
use datafusion::arrow::array::Array;
use datafusion::arrow::record_batch::RecordBatch;
use serde_json::Value;

/// One result row: its batch and its index there.
type Row<'a> = (&'a RecordBatch, usize);

/// What a result must be: the `.kqlt` cases and `kqlite test` files both come down to one of these.
#[derive(Debug, Clone, Copy)]
pub enum Expect<'a> {
    /// exactly these rows (in order when `ordered`, else as a multiset)
    Rows { header: Option<&'a [String]>, rows: &'a [Vec<String>], ordered: bool },
    /// these rows among the result's (each matched by a different result row)
    Contains { header: Option<&'a [String]>, rows: &'a [Vec<String>] },
    /// this many rows
    Count { header: Option<&'a [String]>, count: usize },
}

/// Checks a query's result against the case: its columns (`Name:type`, in order), then its rows, in order for
/// `query ordered` and as a multiset otherwise. The `Err` text says what differs, listing both sides
/// (`columns differ …`, `rows differ …`), or that the case expected an error.
pub fn compare(case: &Case, schema: &KqlSchema, batches: &[RecordBatch]) -> Result<(), String> {
    if let Some(code) = &case.error {
        return Err(format!("expected error {code}, but the query succeeded"));
    }
    check_result(Expect::Rows { header: Some(&case.header), rows: &case.rows, ordered: case.ordered }, schema, batches)
}

/// Checks every result table of a query against the case's tables, in order (the first is `header`/`rows`,
/// then `more`).
pub fn compare_all(case: &Case, results: &[(KqlSchema, Vec<RecordBatch>)]) -> Result<(), String> {
    if let Some(code) = &case.error {
        return Err(format!("expected error {code}, but the query succeeded"));
    }
    let expected: Vec<(&[String], &[Vec<String>])> = std::iter::once((case.header.as_slice(), case.rows.as_slice()))
        .chain(case.more.iter().map(|(h, r)| (h.as_slice(), r.as_slice())))
        .collect();
    if expected.len() != results.len() {
        return Err(format!("the query gave {} result tables, the case expects {}", results.len(), expected.len()));
    }
    for (i, ((header, rows), (schema, batches))) in expected.into_iter().zip(results).enumerate() {
        check_result(Expect::Rows { header: Some(header), rows, ordered: case.ordered }, schema, batches)
            .map_err(|e| if results.len() > 1 { format!("result table {}: {e}", i + 1) } else { e })?;
    }
    Ok(())
}

/// The result's `Name:type` header cells.
pub fn header_of(schema: &KqlSchema) -> Vec<String> {
    schema.columns.iter().map(|c| format!("{}:{}", c.name, c.ty)).collect()
}

/// Checks a result against an expectation; the `Err` text says what differs.
pub fn check_result(expect: Expect, schema: &KqlSchema, batches: &[RecordBatch]) -> Result<(), String> {
    let header = match expect {
        Expect::Rows { header, .. } | Expect::Contains { header, .. } | Expect::Count { header, .. } => header,
    };
    if let Some(header) = header {
        let got_header = header_of(schema);
        if got_header != header {
            return Err(format!(
                "columns differ\n  expected: {}\n  actual:   {}",
                header.join(" | "),
                got_header.join(" | ")
            ));
        }
    }
    let actual: Vec<Row> = batches.iter().flat_map(|b| (0..b.num_rows()).map(move |r| (b, r))).collect();
    let (rows, ordered, contains) = match expect {
        Expect::Count { count, .. } if count == actual.len() => return Ok(()),
        Expect::Count { count, .. } => {
            return Err(format!(
                "expected {count} rows, got {}\n  actual:\n    {}",
                actual.len(),
                shown(schema, &actual).join("\n    ")
            ))
        }
        Expect::Rows { rows, ordered, .. } => (rows, ordered, false),
        Expect::Contains { rows, .. } => (rows, false, true),
    };
    let fail = || rows_differ(rows, contains, schema, &actual);
    if (!contains && actual.len() != rows.len()) || actual.len() < rows.len() {
        return Err(fail());
    }
    if ordered {
        if rows.iter().zip(&actual).all(|(exp, act)| row_matches(exp, *act, schema)) {
            return Ok(());
        }
        return Err(fail());
    }
    if unmatched(rows, schema, &actual).0.is_empty() {
        Ok(())
    } else {
        Err(fail())
    }
}

/// Matches expected rows to actual rows (each expected row takes the first actual row it matches that no
/// earlier expected row took): the expected rows left without a match, and the actual rows no expected row took.
fn unmatched<'a>(rows: &[Vec<String>], schema: &KqlSchema, actual: &[Row<'a>]) -> (Vec<usize>, Vec<Row<'a>>) {
    let mut left: Vec<Option<Row>> = actual.iter().copied().map(Some).collect();
    let mut missing = Vec::new();
    for (i, exp) in rows.iter().enumerate() {
        let taken = left.iter_mut().find(|a| a.is_some_and(|a| row_matches(exp, a, schema))).and_then(Option::take);
        if taken.is_none() {
            missing.push(i);
        }
    }
    (missing, left.into_iter().flatten().collect())
}

/// Checks a query's error against the case: passes only when the case is `error CODE` with this error's code.
pub fn compare_error(case: &Case, err: &Error) -> Result<(), String> {
    match &case.error {
        Some(code) if *code == err.code() => Ok(()),
        Some(code) => Err(format!("expected error {code}, got {}: {err}", err.code())),
        None => Err(format!("query failed: {}: {err}", err.code())),
    }
}

/// The text of a result cell as a `.kqlt` row would write it (`null`; a string as JSON when plain text would
/// read back differently: empty, holding `|`, reading `null`, or with surrounding spaces).
pub fn cell_repr(a: &dyn Array, r: usize, ty: KqlType) -> String {
    if a.is_null(r) {
        return "null".into();
    }
    let t = cell_text(a, r, ty);
    if ty == KqlType::String && (t.is_empty() || t.contains('|') || t == "null" || t.trim() != t) {
        return serde_json::to_string(&t).unwrap_or(t);
    }
    t
}

/// The rows as `.kqlt` row lines.
fn shown(schema: &KqlSchema, rows: &[Row]) -> Vec<String> {
    rows.iter()
        .map(|(batch, r)| {
            let cells = schema.columns.iter().zip(batch.columns()).map(|(c, a)| cell_repr(a.as_ref(), *r, c.ty));
            cells.collect::<Vec<_>>().join(" | ")
        })
        .collect()
}

/// The failure text listing the expected rows and the actual ones, then the difference: `- ` rows expected and
/// not returned, `+ ` rows returned and not expected (not listed for `contains`).
fn rows_differ(rows: &[Vec<String>], contains: bool, schema: &KqlSchema, actual: &[Row]) -> String {
    let expected: Vec<String> = rows.iter().map(|r| r.join(" | ")).collect();
    let mut out = format!(
        "rows differ\n  expected ({}{}):\n    {}\n  actual ({}):\n    {}",
        if contains { "among the result: " } else { "" },
        rows.len(),
        expected.join("\n    "),
        actual.len(),
        shown(schema, actual).join("\n    ")
    );
    let (missing, extra) = unmatched(rows, schema, actual);
    if !missing.is_empty() || (!contains && !extra.is_empty()) {
        out.push_str("\n  difference:");
        for i in missing {
            out.push_str(&format!("\n  - {}", expected.get(i).map(String::as_str).unwrap_or("")));
        }
        if !contains {
            for r in shown(schema, &extra) {
                out.push_str(&format!("\n  + {r}"));
            }
        }
    }
    out
}

fn row_matches(exp: &[String], (batch, r): Row, schema: &KqlSchema) -> bool {
    exp.len() == schema.len()
        && batch.num_columns() == schema.len()
        && exp
            .iter()
            .zip(schema.columns.iter().zip(batch.columns()))
            .all(|(e, (c, a))| cell_matches(e, a.as_ref(), r, c.ty))
}

/// Does an actual cell match the expected text for a column of type `ty`?
fn cell_matches(expected: &str, actual: &dyn Array, r: usize, ty: KqlType) -> bool {
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
        KqlType::Real | KqlType::Decimal => real_matches(expected, cell_json(actual, r, ty)),
        KqlType::Datetime => {
            parse_datetime_text(expected).is_some() && parse_datetime_text(expected) == parse_datetime_text(&text)
        }
        KqlType::Timespan => {
            parse_timespan_text(expected).is_some() && parse_timespan_text(expected) == parse_timespan_text(&text)
        }
        KqlType::Dynamic => dynamic_matches(expected, cell_json(actual, r, ty)),
        KqlType::Guid => text.eq_ignore_ascii_case(expected.trim_matches('"')),
        _ => text == expected,
    }
}

/// Equal within a relative tolerance of 1e-9 (absolute below 1); NaN matches `NaN`, infinities `inf`/`-inf`.
fn real_matches(expected: &str, got: Value) -> bool {
    let a = match got {
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

/// Equal as JSON values (bag key order ignored); `~[...]` compares array elements as a multiset.
fn dynamic_matches(expected: &str, got: Value) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::kqlt::parse_file;
    use crate::{Catalog, Options, Source};

    /// Runs the one case of `kqlt` (a `query` or `error` block) and compares its result.
    fn verdict(kqlt: &str) -> Result<(), String> {
        let (_, case) = parse_file(kqlt).into_iter().next().expect("one case");
        match crate::run_query(&Source::new("case", case.query.clone()), &Catalog::new(), &Options::default()) {
            Ok((q, batches)) => compare(&case, &q.schema, &batches),
            Err(e) => compare_error(&case, &e),
        }
    }

    #[test]
    fn a_mismatch_lists_both_sides() {
        let q =
            "query unordered\ndatatable(a:long, s:string) [1, 'x', 2, ''] \n----\na:long | s:string\n1 | x\n3 | \"\"\n";
        assert_eq!(
            verdict(q).unwrap_err(),
            "rows differ\n  expected (2):\n    1 | x\n    3 | \"\"\n  actual (2):\n    1 | x\n    2 | \"\"\n  difference:\n  - 3 | \"\"\n  + 2 | \"\""
        );
        let q = "query unordered\nprint a = 1\n----\nb:long\n1\n";
        assert_eq!(verdict(q).unwrap_err(), "columns differ\n  expected: b:long\n  actual:   a:long");
        let q = "query unordered\nprint a = 1\n----\na:long\n";
        assert_eq!(
            verdict(q).unwrap_err(),
            "rows differ\n  expected (0):\n    \n  actual (1):\n    1\n  difference:\n  + 1"
        );
    }

    #[test]
    fn unordered_rows_are_a_multiset_ordered_rows_a_sequence() {
        let rows = "datatable(a:long) [2, 1, 2]\n----\na:long\n1\n2\n2\n";
        assert_eq!(verdict(&format!("query unordered\n{rows}")), Ok(()));
        assert!(verdict(&format!("query ordered\n{rows}")).unwrap_err().starts_with("rows differ"));
        assert_eq!(
            verdict("query ordered\ndatatable(a:long) [2, 1, 2] | sort by a asc\n----\na:long\n1\n2\n2\n"),
            Ok(())
        );
        // the same count is not enough: 1 cannot stand for the second 2
        assert!(verdict("query unordered\ndatatable(a:long) [2, 1, 2]\n----\na:long\n1\n1\n2\n").is_err());
    }

    #[test]
    fn reals_within_a_relative_tolerance() {
        let case = |v: &str| {
            format!("query unordered\nprint r = 0.1 + 0.2, big = 1e20, n = real(nan)\n----\nr:real | big:real | n:real\n{v}\n")
        };
        assert_eq!(verdict(&case("0.3 | 1e20 | NaN")), Ok(()));
        assert_eq!(verdict(&case("0.3000000000001 | 100000000000000000001 | NaN")), Ok(()));
        assert!(verdict(&case("0.3001 | 1e20 | NaN")).is_err());
        assert!(verdict(&case("0.3 | 1.0001e20 | NaN")).is_err());
        assert!(verdict(&case("0.3 | 1e20 | 0")).is_err());
    }

    #[test]
    fn dynamic_cells_as_json_and_tilde_arrays_as_multisets() {
        let case = |v: &str| {
            format!("query unordered\nprint d = dynamic([1, \"a\", {{\"k\": [2, 3]}}])\n----\nd:dynamic\n{v}\n")
        };
        assert_eq!(verdict(&case(r#"[1,"a",{"k":[2,3]}]"#)), Ok(()));
        assert_eq!(verdict(&case(r#"~[{"k":[2,3]},"a",1]"#)), Ok(()));
        assert!(verdict(&case(r#"[{"k":[2,3]},"a",1]"#)).is_err());
        assert!(verdict(&case(r#"~[{"k":[3,2]},"a",1]"#)).is_err(), "only the outer array is a multiset");
        assert!(verdict(&case(r#"~[1,"a"]"#)).is_err());
        let bag = "query unordered\nprint b = dynamic({\"x\": 1, \"y\": \"p|q\"})\n----\nb:dynamic\n{\"y\":\"p|q\",\"x\":1}\n";
        assert_eq!(verdict(bag), Ok(()));
    }

    #[test]
    fn error_cases() {
        assert_eq!(verdict("error kqlite::bind::unknown_table\nNoSuchTable | take 1\n"), Ok(()));
        assert_eq!(
            verdict("error kqlite::parse::syntax\nprint 1\n"),
            Err("expected error kqlite::parse::syntax, but the query succeeded".into())
        );
        assert!(verdict("error kqlite::parse::syntax\nNoSuchTable\n")
            .unwrap_err()
            .starts_with("expected error kqlite::parse::syntax, got kqlite::bind::unknown_table: "));
        assert!(verdict("query unordered\nNoSuchTable\n----\na:long\n")
            .unwrap_err()
            .starts_with("query failed: kqlite::bind::unknown_table: "));
    }
}
