//! Runs `tests/conformance/*.kqlt` (format: tests/conformance/README.md and `kqlite::harness::kqlt`). Every case
//! is a named test, `<file>::<line>`, run in a fresh catalog built from the `.set` lines above it. Reading the
//! file and comparing results live in `kqlite::harness`; this file only runs setup and query.

use kqlite::harness::compare::{compare, compare_error};
use kqlite::harness::kqlt::{parse_file, Case, Setup};
use kqlite::parser::parse_datetime_text;
use kqlite::{Session, SessionOptions, Source};
use libtest_mimic::{Arguments, Failed, Trial};
use std::path::Path;

/// A session with the `.now` of the setup, holding the tables of its `.set` lines, each computed in it.
fn session(setup: &[Setup]) -> Result<Session, Failed> {
    let mut opts = SessionOptions { now_ns: Some(0), ..SessionOptions::default() };
    for it in setup {
        if let Setup::Now(t) = it {
            opts.now_ns = Some(parse_datetime_text(t).unwrap_or(0));
        }
    }
    let mut s = Session::new(opts).map_err(|e| format!("cannot start a session: {e}"))?;
    for it in setup {
        if let Setup::Set { name, query } = it {
            let src = Source::new(format!(".set {name}"), query.clone());
            let (schema, batches) = s.run_collect(&src).map_err(|e| format!(".set {name} failed: {e}"))?;
            s.add_table(name, schema, batches);
        }
    }
    Ok(s)
}

fn run_case(setup: &[Setup], case: &Case) -> Result<(), Failed> {
    let session = session(setup)?;
    let src = Source::new("case", case.query.clone());
    let verdict = match session.run_collect(&src) {
        Ok((schema, batches)) => compare(case, &schema, &batches),
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
