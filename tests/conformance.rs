//! Runs `tests/conformance/*.kqlt` (format: tests/conformance/README.md and `kqlite::harness::kqlt`). Every case
//! is a named test, `<file>::<line>`, run in a fresh catalog built from the `.set` lines above it. Reading the
//! file and comparing results live in `kqlite::harness`; this file only runs setup and query.

use kqlite::catalog::{Catalog, LoadedTable};
use kqlite::harness::compare::{compare, compare_error};
use kqlite::harness::kqlt::{parse_file, Case, Setup};
use kqlite::parser::parse_datetime_text;
use kqlite::{Options, Source};
use libtest_mimic::{Arguments, Failed, Trial};
use std::path::Path;

fn options(setup: &[Setup]) -> Options {
    let mut opts = Options::default();
    for it in setup {
        if let Setup::Now(t) = it {
            opts.now_ns = parse_datetime_text(t).unwrap_or(0);
        }
    }
    opts
}

fn catalog(setup: &[Setup], opts: &Options) -> Result<Catalog, Failed> {
    let mut cat = Catalog::new();
    for it in setup {
        if let Setup::Set { name, query } = it {
            let src = Source::new(format!(".set {name}"), query.clone());
            let (q, batches) = kqlite::run_query(&src, &cat, opts).map_err(|e| format!(".set {name} failed: {e}"))?;
            cat.loaded.insert(name.clone(), LoadedTable { schema: q.schema, batches, origin: name.clone() });
        }
    }
    Ok(cat)
}

fn run_case(setup: &[Setup], case: &Case) -> Result<(), Failed> {
    let opts = options(setup);
    let cat = catalog(setup, &opts)?;
    let src = Source::new("case", case.query.clone());
    let verdict = match kqlite::run_query(&src, &cat, &opts) {
        Ok((q, batches)) => compare(case, &q.schema, &batches),
        Err(e) => compare_error(case, &e),
    };
    Ok(verdict?)
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
        for (setup, case) in parse_file(&text) {
            let name = format!("{stem}::{}", case.line);
            trials.push(Trial::test(name, move || run_case(&setup, &case)).with_ignored_flag(later));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
