//! Keeps grammar/kql.ebnf and the parser in step: every production has exactly one parser fn tagged
//! `// grammar: <rule>`, every tag names a production, the operator keywords of the grammar are the parser's
//! OPERATORS, and every `(* e.g. ... *)` example parses.

// Test code: a failed expectation should panic with its message.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeSet;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn grammar() -> String {
    std::fs::read_to_string(root().join("grammar/kql.ebnf")).expect("grammar/kql.ebnf")
}

/// Production names: lines of the form `name = ...` (outside comments).
fn productions(g: &str) -> Vec<String> {
    g.lines()
        .filter_map(|l| {
            let (head, _) = l.split_once('=')?;
            let head = head.trim();
            (!head.is_empty() && head.chars().all(|c| c.is_ascii_lowercase() || c == '_') && !l.starts_with(' '))
                .then(|| head.to_string())
        })
        .collect()
}

fn parser_tags() -> Vec<String> {
    let mut tags = Vec::new();
    let dir = root().join("src/parser");
    for entry in std::fs::read_dir(dir).expect("src/parser").flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        for l in text.lines() {
            if let Some(rest) = l.trim().strip_prefix("// grammar:") {
                tags.extend(rest.split(',').map(|t| t.trim().to_string()));
            }
        }
    }
    tags
}

#[test]
fn every_production_has_one_parser_fn() {
    let prods: BTreeSet<String> = productions(&grammar()).into_iter().collect();
    let tags = parser_tags();
    let tagset: BTreeSet<String> = tags.iter().cloned().collect();
    assert_eq!(tags.len(), tagset.len(), "a grammar rule is tagged on two parser fns: {tags:?}");
    let missing: Vec<_> = prods.difference(&tagset).collect();
    let extra: Vec<_> = tagset.difference(&prods).collect();
    assert!(missing.is_empty(), "productions without a parser fn: {missing:?}");
    assert!(extra.is_empty(), "parser fns tagged with a rule the grammar lacks: {extra:?}");
}

#[test]
fn operator_keywords_match() {
    let g = grammar();
    let start = g.find("operator      =").expect("operator production");
    let section = &g[start..];
    let mut quoted: BTreeSet<String> = BTreeSet::new();
    for l in
        section.lines().filter(|l| l.contains("_op ") || l.starts_with("              |") || l.starts_with("where_op"))
    {
        let code = l.split("(*").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find('"') {
            let after = &rest[i + 1..];
            let Some(j) = after.find('"') else { break };
            quoted.insert(after[..j].to_string());
            rest = &after[j + 1..];
        }
    }
    for (kw, _) in kqlite::parser::OPERATORS {
        assert!(quoted.contains(*kw), "operator '{kw}' is missing from grammar/kql.ebnf");
    }
}

#[test]
fn examples_parse() {
    let g = grammar();
    let mut checked = 0;
    for (i, _) in g.match_indices("(* e.g. ") {
        let rest = &g[i + 8..];
        let Some(end) = rest.find(" *)") else { continue };
        let example = &rest[..end];
        let tries = [
            example.to_string(),
            format!("T | {example}"),
            format!("print {example}"),
            format!("let f = {example}; f"),
            format!("let f = ({example}) {{ T }}; f"),
            format!("datatable({example}) []"),
            format!("union {example}"),
        ];
        let ok = tries.iter().any(|q| {
            let src = kqlite::Source::new("example", q.clone());
            kqlite::lexer::lex(&src).ok().is_some_and(|t| kqlite::parser::parse(&src, &t).is_ok())
        });
        assert!(ok, "the grammar example `{example}` does not parse");
        checked += 1;
    }
    assert!(checked > 20, "only {checked} examples found");
}
