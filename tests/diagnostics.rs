//! One rendered report per error kind, as a user sees it: code, message, the query with the span labelled,
//! and the help line. Rendered with miette's unicode theme without colour at a fixed width and compared with
//! `tests/diagnostics/<name>.txt`; `KQLITE_BLESS=1 cargo test --test diagnostics` writes missing files for a
//! person to review.

// Test code: a failed expectation should panic with its message.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use kqlite::{Catalog, Options, Source};
use miette::{GraphicalReportHandler, GraphicalTheme, NamedSource};
use std::path::Path;

const CASES: &[(&str, &str)] = &[
    ("unknown_column", "DeviceEvents\n| where DevcieName == \"pc1\""),
    ("unknown_table", "DeviceProcessEvent | take 1"),
    ("unknown_function", "print x = tostrin(1)"),
    ("unsupported_function", "print cell = geo_point_to_h3cell(-73.98, 40.75, 6)"),
    ("unknown_operator", "DeviceEvents | wher ActionType == \"x\""),
    ("unsupported_operator", "DeviceEvents | fork (count) (take 1)"),
    ("syntax_end", "DeviceEvents | where"),
    ("unterminated_string", "DeviceEvents | where DeviceName == \"pc1"),
    ("incompatible_operands", "print datetime(2024-01-01) + datetime(2024-01-02)"),
    ("where_not_bool", "DeviceEvents | where Timestamp"),
    ("wrong_arity", "print strlen(\"a\", \"b\")"),
    ("wrong_argument_type", "print datetime_diff(\"day\", 1, 2)"),
    ("bad_period", "print datetime_diff(\"fortnight\", now(), ago(1d))"),
    ("duplicate_let", "let x = 1;\nlet x = 2;\nprint x"),
    ("aggregate_outside_summarize", "DeviceEvents | extend c = count()"),
    ("join_key_missing", "DeviceEvents | join (DeviceInfo) on $left.DeviceId == $right.DeviceIdd"),
    ("unknown_visualization", "DeviceEvents\n| summarize count() by bin(Timestamp, 1h)\n| render timechrat"),
    ("datetime_out_of_range", "print datetime(1600-01-01)"),
    ("too_deep", "print ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))"),
];

fn render(name: &str, q: &str) -> String {
    let src = Source::new(format!("{name}.kql"), q);
    let err = kqlite::check(&src, &Catalog::new(), &Options::default()).expect_err(name);
    let report = miette::Report::new(err).with_source_code(NamedSource::new(src.name.clone(), q.to_string()));
    let mut out = String::new();
    GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut out, report.as_ref())
        .unwrap();
    out
}

#[test]
fn reports_match_their_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diagnostics");
    let bless = std::env::var("KQLITE_BLESS").is_ok();
    let mut failures = Vec::new();
    for (name, q) in CASES {
        let got = render(name, q);
        let path = dir.join(format!("{name}.txt"));
        match std::fs::read_to_string(&path) {
            Ok(want) if want == got => {}
            Ok(want) => failures.push(format!("{name}:\n--- expected\n{want}\n--- actual\n{got}")),
            Err(_) if bless => std::fs::write(&path, &got).unwrap(),
            Err(_) => failures.push(format!("{name}: no snapshot {} (run with KQLITE_BLESS=1)", path.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn codes_are_unique_and_well_formed() {
    let mut codes = Vec::new();
    for (name, q) in CASES {
        let src = Source::new("q", *q);
        let code = kqlite::check(&src, &Catalog::new(), &Options::default()).expect_err(name).code();
        let parts: Vec<&str> = code.split("::").collect();
        assert_eq!(parts.len(), 3, "{code}");
        assert_eq!(parts[0], "kqlite");
        assert!(["lex", "parse", "bind", "load", "exec", "cli", "harness"].contains(&parts[1]), "{code}");
        assert!(parts[2].chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{code}");
        codes.push(code);
    }
    // every error enum variant's code appears once in the sources
    let src = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/diagnostics"))
        .unwrap()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect::<String>();
    let declared: Vec<&str> =
        src.match_indices("code(kqlite::").map(|(i, _)| &src[i + 5..i + 5 + src[i + 5..].find(')').unwrap()]).collect();
    let mut seen = std::collections::HashSet::new();
    for d in &declared {
        // type_mismatch is shared by two variants on purpose: one kind of mistake, two shapes of report
        if *d != "kqlite::bind::type_mismatch" {
            assert!(seen.insert(*d), "code {d} is declared twice");
        }
    }
}
