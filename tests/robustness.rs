//! Never panic: every corpus, example and conformance query, mutated in many small ways (a token dropped,
//! duplicated or swapped with its neighbour, a bracket opened without closing, deep nesting), must lex, parse
//! and bind to a clean `Ok` or `Err`, never a panic or a stack overflow.

// Test code: a failed expectation should panic with its message.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use kqlite::{Catalog, Options, Source};
use std::path::Path;

fn queries() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in ["corpus/dfir-style", "examples/queries"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
            if e.path().extension().is_some_and(|x| x == "kql") {
                out.push(std::fs::read_to_string(e.path()).unwrap());
            }
        }
    }
    for e in std::fs::read_dir(root.join("tests/conformance")).unwrap().flatten() {
        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
        let mut cur = Vec::new();
        let mut inside = false;
        for l in text.lines() {
            if l.starts_with("query ") || l.starts_with("error ") {
                inside = true;
                cur.clear();
            } else if inside && (l.trim() == "----" || l.trim().is_empty()) {
                out.push(cur.join("\n"));
                inside = false;
            } else if inside {
                cur.push(l);
            }
        }
    }
    out
}

/// The byte ranges of the tokens of `q` (or nothing if it does not lex).
fn token_ranges(q: &str) -> Vec<std::ops::Range<usize>> {
    kqlite::lexer::lex(&Source::new("q", q)).map(|t| t.iter().map(|t| t.span.range()).collect()).unwrap_or_default()
}

fn survives(q: &str) {
    let src = Source::new("mutated", q);
    let result = std::panic::catch_unwind(|| {
        let _ = kqlite::check(&src, &Catalog::new(), &Options::default());
    });
    assert!(result.is_ok(), "panicked on:\n{q}");
}

#[test]
fn mutated_queries_never_panic() {
    let mut n = 0;
    for q in queries() {
        let toks = token_ranges(&q);
        // at most 12 positions per query keeps the test quick
        let step = (toks.len() / 12).max(1);
        for (i, t) in toks.iter().enumerate().step_by(step) {
            let dropped = format!("{}{}", &q[..t.start], &q[t.end..]);
            let duplicated = format!("{}{}{}", &q[..t.end], &q[t.clone()], &q[t.end..]);
            let opened = format!("{}({}", &q[..t.start], &q[t.start..]);
            survives(&dropped);
            survives(&duplicated);
            survives(&opened);
            n += 3;
            if let Some(next) = toks.get(i + 1) {
                let swapped = format!(
                    "{}{}{}{}{}",
                    &q[..t.start],
                    &q[next.clone()],
                    &q[t.end..next.start],
                    &q[t.clone()],
                    &q[next.end..]
                );
                survives(&swapped);
                n += 1;
            }
        }
        // truncated at every 10th token
        for t in toks.iter().step_by(10) {
            survives(&q[..t.start]);
            n += 1;
        }
    }
    assert!(n > 2000, "only {n} mutations");
}

#[test]
fn deep_nesting_is_a_diagnostic() {
    for q in [
        format!("print {}1{}", "(".repeat(10_000), ")".repeat(10_000)),
        format!("print x = {}", "-".repeat(10_000)),
        format!("print d = dynamic({}{})", "[".repeat(10_000), "]".repeat(10_000)),
        format!("T{}", " | where true".repeat(2_000)),
        format!("print x = 1{}", " + 1".repeat(5_000)),
        format!("print x = true{}", " or false".repeat(5_000)),
    ] {
        survives(&q);
    }
}
