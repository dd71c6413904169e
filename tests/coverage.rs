//! Meta-test: every function of the function table and every operator keyword appears in at least one
//! conformance case, so nothing lands without a case that pins its behaviour.

// Test code: a failed expectation should panic with its message.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::path::Path;

fn conformance_text() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut all = String::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().extension().is_some_and(|x| x == "kqlt") && !e.file_name().to_string_lossy().starts_with("later_") {
            all.push_str(&std::fs::read_to_string(e.path()).unwrap());
            all.push('\n');
        }
    }
    all
}

/// Is `word` used as a whole word (not inside a longer identifier) in `text`?
fn mentions(text: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

#[test]
fn every_function_has_a_case() {
    let text = conformance_text();
    let missing: Vec<&str> = kqlite::functions::all_names().filter(|n| !mentions(&text, n)).collect();
    assert!(missing.is_empty(), "functions without a conformance case: {missing:?}");
}

#[test]
fn every_operator_has_a_case() {
    let text = conformance_text();
    let missing: Vec<&str> = kqlite::parser::OPERATORS
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| !mentions(&text, &format!("| {k}")) && !mentions(&text, &format!("|{k}")))
        .collect();
    assert!(missing.is_empty(), "operators without a conformance case: {missing:?}");
}
