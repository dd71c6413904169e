//! Layers without cycles: every module of `src/` may use only the modules below it in [`ORDER`]
//! (ARCHITECTURE.md draws the same list as layers). A `crate::x` path, or a `use crate::{x, …}` item, that
//! names a module above its own fails this test with the file and line.

// Test code: a failed expectation should panic with its message.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

/// Lowest first; the comment names the layer of ARCHITECTURE.md.
const ORDER: &[&str] = &[
    // text and facts every stage shares
    "types",
    "diagnostics",
    "source",
    "names",
    "values",
    "ast",
    "lexer",
    "parser",
    // knowledge
    "functions",
    "catalog",
    // the render operator's charts: checked by the binder, drawn by the front ends
    "chart",
    // plan / exec
    "binder",
    "load",
    "output",
    "exec",
    // session
    "session",
    // front ends and tools over the session
    "sample",
    "harness",
    "repl",
    "cli",
    "lib",
    "main",
];

fn rank(module: &str) -> Option<usize> {
    ORDER.iter().position(|m| *m == module)
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file belongs to (`src/binder/expr.rs` → `binder`, `src/exec.rs` → `exec`).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next().unwrap().as_os_str().to_string_lossy().to_string();
    first.trim_end_matches(".rs").to_string()
}

/// The modules a line names through `crate::`: `crate::x::…` and `use crate::{x::…, y}`.
fn named_modules(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let name: String = part.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                out.push(name);
            }
        } else {
            out.push(rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect());
        }
    }
    out
}

#[test]
fn no_module_uses_a_layer_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rs_files(&src, &mut files);
    files.sort();
    let mut problems = Vec::new();
    for f in &files {
        let m = module_of(&src, f);
        let Some(own) = rank(&m) else {
            problems.push(format!("{}: module '{m}' is not in tests/layers.rs ORDER", f.display()));
            continue;
        };
        let text = std::fs::read_to_string(f).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for dep in named_modules(code) {
                match rank(&dep) {
                    Some(r) if r > own => {
                        problems.push(format!("{}:{}: '{m}' uses '{dep}', a layer above it", f.display(), i + 1))
                    }
                    _ => {}
                }
            }
        }
    }
    assert!(problems.is_empty(), "layer violations:\n  {}", problems.join("\n  "));
}

#[test]
fn the_order_names_every_top_level_module() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for e in std::fs::read_dir(&src).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().trim_end_matches(".rs").to_string();
        assert!(rank(&name).is_some(), "src/{name} is missing from ORDER");
    }
}
