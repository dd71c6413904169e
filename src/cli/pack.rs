//! `kqlite check` and `kqlite test`: the pack harness's front end (options, configuration, baselines, output
//! formats and exit codes) over [`crate::harness`].

use super::{report, usage, CheckArgs, TestArgs};
use crate::catalog::Env;
use crate::diagnostics::Error;
use crate::harness::check::{deny_warnings, Checker, FileReport};
use crate::harness::config::{Baseline, Config};
use crate::harness::findings::{render, Finding, Level};
use crate::harness::formats::{github, junit, sarif, JCase, JSuite};
use crate::harness::packs::{self, Filter};
use crate::harness::testfile::{run_file, TestOptions, TestOutcome};
use crate::{Session, SessionOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Fmt {
    Text,
    Json,
    Sarif,
    Junit,
    Github,
}

fn format_of(s: &str) -> Result<Fmt, Error> {
    Ok(match s {
        "text" => Fmt::Text,
        "json" => Fmt::Json,
        "sarif" => Fmt::Sarif,
        "junit" => Fmt::Junit,
        "github" => Fmt::Github,
        other => return Err(usage(format!("--format: '{other}' is not one of text, json, sarif, junit, github"))),
    })
}

/// The configuration: `--config`, else the nearest `kqlite.toml` at or above the first path.
fn config_of(explicit: Option<&Path>, first: Option<&PathBuf>) -> Result<Config, Error> {
    let path = match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => first.and_then(|p| Config::find(p)),
    };
    match path {
        Some(p) => Config::load(&p).map_err(usage),
        None => Ok(Config::default()),
    }
}

fn print(out: &mut impl Write, text: &str) {
    let _ = out.write_all(text.as_bytes());
}

pub fn check(args: CheckArgs) -> ExitCode {
    match check_inner(args) {
        Ok(code) => code,
        Err(e) => report(e, None),
    }
}

fn check_inner(args: CheckArgs) -> Result<ExitCode, Error> {
    let fmt = format_of(&args.format)?;
    let deny = match args.deny.as_deref() {
        None => false,
        Some("warnings") => true,
        Some(other) => return Err(usage(format!("--deny: '{other}' is not `warnings`"))),
    };
    if let Some(missing) = args.paths.iter().find(|p| !p.exists()) {
        return Err(usage(format!("no such file or folder: {}", missing.display())));
    }
    let config = config_of(args.config.as_deref(), args.paths.first())?;
    let env_name = args.env.clone().or_else(|| config.check.env.clone()).unwrap_or_else(|| "auto".into());
    let Some(env) = Env::parse(&env_name) else {
        return Err(usage(format!("--env: '{env_name}' is not one of defender, sentinel, auto")));
    };
    let fragment_table = args.table.clone();
    let mut session = Session::new(SessionOptions { env, fragment_table, ..SessionOptions::default() })?;
    session.set_schema_only(args.schema_only);
    let schemas = args.schema.iter().cloned().chain(config.check.schema.iter().map(|p| config.resolve(p)));
    for s in schemas {
        session.add_schema(&s)?;
    }
    let include: Vec<String> = args.include.iter().chain(&config.check.include).cloned().collect();
    let exclude: Vec<String> = args.exclude.iter().chain(&config.check.exclude).cloned().collect();
    let filter = Filter::new(&include, &exclude).map_err(usage)?;
    let files = packs::pack_files(&args.paths, &filter).map_err(|e| usage(format!("cannot read the pack: {e}")))?;
    let mut checker = Checker::new();
    let mut reports: Vec<FileReport> = Vec::with_capacity(files.len());
    for f in files {
        match packs::read(&f) {
            Ok(pf) => reports.push(checker.check_file(pf, &session, &config)),
            Err(e) => {
                let text: Arc<str> = Arc::from("");
                let finding = Finding::new(
                    "kqlite::pack::unreadable",
                    Level::Error,
                    format!("cannot read {}: {e}", f.display()),
                    &f,
                    &text,
                );
                reports.push(FileReport { path: f, text, queries: vec![], findings: vec![finding] });
            }
        }
    }
    if deny {
        deny_warnings(&mut reports);
    }
    if let Some(path) = &args.write_baseline {
        let all: Vec<&Finding> = reports.iter().flat_map(|r| r.all_findings()).collect();
        Baseline::of(&all).write(path).map_err(usage)?;
        say!("wrote {} findings to the baseline {}", all.len(), path.display());
    }
    let mut in_baseline = 0;
    if let Some(path) = &args.baseline {
        let b = Baseline::load(path).map_err(usage)?;
        for r in &mut reports {
            in_baseline += b.filter(&mut r.findings);
            for q in &mut r.queries {
                in_baseline += b.filter(&mut q.findings);
            }
        }
    }
    let failed = reports.iter().flat_map(|r| r.all_findings()).any(|f| f.level == Level::Error);
    let mut out = std::io::stdout().lock();
    let all: Vec<&Finding> = reports.iter().flat_map(|r| r.all_findings()).collect();
    match fmt {
        Fmt::Text => check_text(&mut out, &reports, in_baseline),
        Fmt::Json => {
            for r in &reports {
                for f in &r.findings {
                    let _ = writeln!(out, "{}", crate::harness::json_file_line(f));
                }
                for q in &r.queries {
                    let _ = writeln!(out, "{}", crate::harness::json_line(q));
                }
            }
        }
        Fmt::Sarif => {
            let _ = writeln!(out, "{}", serde_json::to_string_pretty(&sarif(&all, "check")).unwrap_or_default());
        }
        Fmt::Github => print(&mut out, &github(&all)),
        Fmt::Junit => print(&mut out, &junit("kqlite check", &check_suites(&reports))),
    }
    Ok(ExitCode::from(if failed { 1 } else { 0 }))
}

fn check_text(out: &mut impl Write, reports: &[FileReport], in_baseline: usize) {
    let (mut ok, mut failing, mut warnings, mut queries) = (0usize, 0usize, 0usize, 0usize);
    for r in reports {
        for f in &r.findings {
            failing += 1;
            let _ = writeln!(out, "FAIL  {}:{}  {}", r.path.display(), f.line, f.code);
            let _ = writeln!(out, "{}", render(f));
        }
        for q in &r.queries {
            queries += 1;
            let place = format!("{}:{}", q.query.file.display(), q.query.line);
            let errors: Vec<&Finding> = q.findings.iter().filter(|f| f.level == Level::Error).collect();
            warnings += q.findings.len() - errors.len();
            match errors.first() {
                Some(first) => {
                    failing += 1;
                    let _ = writeln!(out, "FAIL  {place}  {}", first.code);
                }
                None => {
                    ok += 1;
                    match &q.schema {
                        Some(s) if s.is_empty() => {
                            let _ = writeln!(out, "ok    {place}  (declarations only)");
                        }
                        Some(s) if !q.earlier.is_empty() => {
                            let counts: Vec<String> =
                                q.earlier.iter().chain(std::iter::once(s)).map(|t| t.len().to_string()).collect();
                            let _ = writeln!(
                                out,
                                "ok    {place}  ({} result tables: {} columns)",
                                counts.len(),
                                counts.join(", ")
                            );
                        }
                        Some(s) => {
                            let _ = writeln!(out, "ok    {place}  ({} columns)", s.len());
                        }
                        None => {
                            let _ = writeln!(out, "ok    {place}");
                        }
                    }
                }
            }
            for f in &q.findings {
                let _ = writeln!(out, "{}", render(f));
            }
        }
    }
    let mut summary = format!("checked {queries} queries: {ok} ok, {failing} failing");
    if warnings > 0 {
        summary.push_str(&format!(", {warnings} warning{}", if warnings == 1 { "" } else { "s" }));
    }
    if in_baseline > 0 {
        summary.push_str(&format!(" ({in_baseline} findings in the baseline not shown)"));
    }
    let _ = writeln!(out, "{summary}");
}

/// JUnit: a suite per file, a case per query (failing on its first error; warnings as output).
fn check_suites(reports: &[FileReport]) -> Vec<JSuite> {
    reports
        .iter()
        .map(|r| {
            let classname = r.path.display().to_string();
            let mut cases: Vec<JCase> = r
                .findings
                .iter()
                .map(|f| JCase {
                    name: format!("{}:{}", classname, f.line),
                    classname: classname.clone(),
                    failure: Some((
                        f.code.clone(),
                        f.message.clone(),
                        format!("{}:{}:{}: {}", classname, f.line, f.col, f.message),
                    )),
                    out: String::new(),
                    seconds: 0.0,
                })
                .collect();
            for q in &r.queries {
                let describe = |f: &Finding| {
                    let mut s =
                        format!("{}:{}:{}: {}: {}: {}", classname, f.line, f.col, f.level.name(), f.code, f.message);
                    if let Some(h) = &f.help {
                        s.push_str(&format!("\n  help: {h}"));
                    }
                    s
                };
                let errors: Vec<String> = q.findings.iter().filter(|f| f.level == Level::Error).map(describe).collect();
                let warnings: Vec<String> =
                    q.findings.iter().filter(|f| f.level != Level::Error).map(describe).collect();
                let first = q.findings.iter().find(|f| f.level == Level::Error);
                cases.push(JCase {
                    name: format!("{}:{}", classname, q.query.line),
                    classname: classname.clone(),
                    failure: first.map(|f| (f.code.clone(), f.message.clone(), errors.join("\n"))),
                    out: warnings.join("\n"),
                    seconds: 0.0,
                });
            }
            JSuite { name: classname, cases }
        })
        .collect()
}

pub fn test(args: TestArgs) -> ExitCode {
    match test_inner(args) {
        Ok(code) => code,
        Err(e) => report(e, None),
    }
}

/// A failed test as a finding at its line in the test file.
fn test_finding(t: &TestOutcome, texts: &mut std::collections::HashMap<PathBuf, Arc<str>>) -> Option<Finding> {
    let (code, message) = t.failure.as_ref()?;
    let text = texts
        .entry(t.file.clone())
        .or_insert_with(|| Arc::from(std::fs::read_to_string(&t.file).unwrap_or_default()))
        .clone();
    let offset = packs::marker_offset(&packs::line_offsets(&text), t.line, t.col.saturating_sub(1));
    let len = text.get(offset..).and_then(|s| s.lines().next()).map(str::len).unwrap_or(0);
    Some(
        Finding::new(code.as_str(), Level::Error, format!("test '{}': {message}", t.name), &t.file, &text)
            .labelled(offset, len, None),
    )
}

/// Writes a file through a temporary file in the same folder and a rename (never a half-written test file).
fn replace_file(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("kqlite-update-{}", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

fn test_inner(args: TestArgs) -> Result<ExitCode, Error> {
    let fmt = format_of(&args.format)?;
    if let Some(missing) = args.paths.iter().find(|p| !p.exists()) {
        return Err(usage(format!("no such file or folder: {}", missing.display())));
    }
    let Some(env) = Env::parse(&args.env) else {
        return Err(usage(format!("--env: '{}' is not one of defender, sentinel, auto", args.env)));
    };
    let filter = Filter::new(&args.include, &args.exclude).map_err(usage)?;
    let files = packs::test_files(&args.paths, &filter).map_err(|e| usage(format!("cannot read the tests: {e}")))?;
    if files.is_empty() {
        return Err(usage("no test files (*.test.yaml, *.test.yml) under the given paths"));
    }
    let opts = TestOptions { update: args.update, env, schemas: args.schema.clone() };
    let mut outcomes: Vec<TestOutcome> = Vec::new();
    let mut out = std::io::stdout().lock();
    for f in &files {
        let (results, rewritten) = run_file(f, &opts);
        if let Some(text) = rewritten {
            replace_file(f, &text).map_err(|e| usage(format!("cannot update {}: {e}", f.display())))?;
            for t in results.iter().filter(|t| t.updated.is_some()) {
                say!(
                    "updated {}:{} '{}': its expectation is now\n{}",
                    f.display(),
                    t.line,
                    t.name,
                    t.updated.as_deref().unwrap_or("")
                );
            }
        }
        if fmt == Fmt::Text {
            for t in &results {
                let place = format!("{}:{}", t.file.display(), t.line);
                match (&t.failure, &t.updated) {
                    (_, Some(_)) => {
                        let _ = writeln!(out, "upd   {place}  {}", t.name);
                    }
                    (None, None) => {
                        let _ = writeln!(out, "ok    {place}  {}  ({:.2} s)", t.name, t.seconds);
                    }
                    (Some((code, msg)), None) => {
                        let _ = writeln!(out, "FAIL  {place}  {}  [{code}]", t.name);
                        for l in msg.lines() {
                            let _ = writeln!(out, "      {l}");
                        }
                    }
                }
            }
        }
        outcomes.extend(results);
    }
    let failed = outcomes.iter().filter(|t| t.failure.is_some()).count();
    let updated = outcomes.iter().filter(|t| t.updated.is_some()).count();
    let mut texts = std::collections::HashMap::new();
    let findings: Vec<Finding> = outcomes.iter().filter_map(|t| test_finding(t, &mut texts)).collect();
    let refs: Vec<&Finding> = findings.iter().collect();
    match fmt {
        Fmt::Text => {
            let mut s =
                format!("{} tests: {} passed, {failed} failed", outcomes.len(), outcomes.len() - failed - updated);
            if updated > 0 {
                s.push_str(&format!(", {updated} updated"));
            }
            let _ = writeln!(out, "{s}");
        }
        Fmt::Json => {
            for t in &outcomes {
                let v = serde_json::json!({
                    "file": t.file.display().to_string(), "line": t.line, "name": t.name,
                    "ok": t.failure.is_none(), "updated": t.updated.is_some(),
                    "code": t.failure.as_ref().map(|f| f.0.clone()), "message": t.failure.as_ref().map(|f| f.1.clone()),
                    "seconds": t.seconds,
                });
                let _ = writeln!(out, "{v}");
            }
        }
        Fmt::Sarif => {
            let _ = writeln!(out, "{}", serde_json::to_string_pretty(&sarif(&refs, "test")).unwrap_or_default());
        }
        Fmt::Github => print(&mut out, &github(&refs)),
        Fmt::Junit => {
            let mut suites: Vec<JSuite> = Vec::new();
            for t in &outcomes {
                let classname = t.file.display().to_string();
                let case = JCase {
                    name: t.name.clone(),
                    classname: classname.clone(),
                    failure: t
                        .failure
                        .as_ref()
                        .map(|(c, m)| (c.clone(), m.lines().next().unwrap_or("").to_string(), m.clone())),
                    out: String::new(),
                    seconds: t.seconds,
                };
                match suites.iter_mut().find(|s| s.name == classname) {
                    Some(s) => s.cases.push(case),
                    None => suites.push(JSuite { name: classname, cases: vec![case] }),
                }
            }
            print(&mut out, &junit("kqlite test", &suites));
        }
    }
    Ok(ExitCode::from(if failed > 0 { 1 } else { 0 }))
}
