//! Front end: the command line (`kqlite run`), clap → library calls → printed output and an exit code.
//! Only the front ends print; errors are rendered here as miette reports with the query source attached.

/// A line on stderr; a closed stderr (`kqlite ... 2>&1 | head -1`) is not an error worth a panic.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

use crate::catalog::{Catalog, Env};
use crate::diagnostics::{CliError, Error};
use crate::output::{Format, ResultWriter};
use crate::{Session, SessionOptions, Source};
use clap::{Parser, Subcommand};
use datafusion::arrow::record_batch::RecordBatch;
use miette::NamedSource;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

mod pack;

#[derive(Parser, Debug)]
#[command(name = "kqlite", version, about = "Run Kusto (KQL) hunting queries offline over exported data")]
pub struct Cli {
    /// No command: the REPL, as `kqlite repl`.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a query (a .kql file or -e TEXT) against loaded data and print the result.
    ///
    /// Offline behaviour: externaldata is an empty table with its declared columns (nothing is fetched);
    /// geo_info_from_ip_address() has no geo database and returns an empty bag {}; DeviceFromIP() and
    /// AssignedIPAddresses() read a loaded DeviceNetworkInfo; invoke FileProfile() fills its columns from a
    /// loaded FileProfile table, else leaves them empty; ingestion_time() is the row's TimeGenerated.
    Run(RunArgs),
    /// Parse and bind every query of a pack without running it, lint it, and validate Sentinel rule templates.
    ///
    /// Exit 0: no error-level finding; 1: findings at error level (or warnings with --deny warnings); 2: usage.
    /// Lints (warnings unless kqlite.toml says otherwise): detection_output, no_time_filter, join_without_kind,
    /// contains_could_be_has, wildcard_tables, deprecated_spelling, unused_let, case_sensitive_equals.
    /// Silence one with `// kqlite-disable-next-line CODE` above the line, `// kqlite-disable CODE` in the query,
    /// or [lints] disable = ["CODE"] in kqlite.toml.
    Check(CheckArgs),
    /// Run test files (*.test.yaml): queries over inline or file data, compared with expected rows.
    Test(TestArgs),
    /// Show how a query runs: the Kusto schema after each pipe stage, then DataFusion's optimized logical
    /// plan and physical plan. Takes the same arguments as `run`; no row is read.
    Explain(RunArgs),
    /// Write deterministic synthetic data for catalog tables (one JSON file per table) to try queries on.
    ///
    /// Half the rows of every table tell one incident: device ws-102.contoso.com and account ann@contoso.com
    /// in the 36 hours before --end, going through every ActionType of the table; the other half is the rest
    /// of the tenant over --days. Alerts, mails, addresses and files are shared pools, so joins find rows.
    Sample(SampleArgs),
    /// Interactive queries on one session (also `kqlite` with no command): multi-line editing, completion,
    /// history, `let`s kept between queries, dot commands (`.help`). End a query with a blank line or `;;`.
    Repl(ReplArgs),
    /// Convert dumps once into a Parquet cache (one zstd-compressed `TABLE.parquet` a table, Kusto types kept in
    /// the file's metadata); `run --data CACHE` then reads only the columns a query needs, on all cores.
    /// Existing files in --out are never overwritten.
    Import(ImportArgs),
}

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// Data to convert: files, folders or quoted globs, as for `run`. Repeatable.
    #[arg(long = "data", value_name = "PATH", required = true)]
    pub data: Vec<PathBuf>,
    /// Folder to write the Parquet files into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Load PATH as table NAME, as for `run`. Repeatable.
    #[arg(long = "table", value_name = "NAME=PATH")]
    pub table: Vec<String>,
    /// A value that does not fit its column's type is an error instead of a counted null.
    #[arg(long)]
    pub strict: bool,
    /// Schema environment: defender, sentinel, or auto.
    #[arg(long, default_value = "auto", value_name = "ENV")]
    pub env: String,
}

#[derive(clap::Args, Debug, Default)]
pub struct ReplArgs {
    /// Data to load: a file or a folder of files, as for `run`. Repeatable; `.load PATH` adds more.
    #[arg(long = "data", value_name = "PATH")]
    pub data: Vec<PathBuf>,
    /// Pin now() and ago() to this instant (ISO-8601). Default: the wall clock. `.now` changes it.
    #[arg(long, value_name = "DATETIME")]
    pub now: Option<String>,
    /// Replace the value of a top-level `let NAME = ...` (as for `run`). Repeatable.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Schema environment: defender, sentinel, or auto (Defender first, then Sentinel).
    #[arg(long, default_value = "auto", value_name = "ENV")]
    pub env: String,
    /// Extra table schemas and stored functions, repeatable (as for `run`).
    #[arg(long = "schema", value_name = "FILE")]
    pub schema: Vec<PathBuf>,
    /// Memory for decoded columns kept between queries (a later query over the same columns reads no file),
    /// e.g. 4GB; 0 turns the cache off. Default: a quarter of the machine's memory.
    #[arg(long, value_name = "SIZE")]
    pub cache_memory: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct SampleArgs {
    /// Folder to write into (created if missing; existing files are never overwritten).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Rows per table.
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub rows: usize,
    /// Comma-separated table names, or `all` (every table of the environment).
    #[arg(long, default_value = "all", value_name = "T,...|all")]
    pub tables: String,
    /// Random seed: the same seed, end and tables give the same files.
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// The newest timestamp (ISO-8601). Default: now.
    #[arg(long, value_name = "DATETIME")]
    pub end: Option<String>,
    /// How many days before --end the timestamps spread over.
    #[arg(long, default_value_t = 7, value_name = "D")]
    pub days: i64,
    /// json (an array of rows per file) or ndjson.
    #[arg(long, default_value = "json", value_name = "FMT")]
    pub format: String,
    /// Environment for `all` and for schemas: defender (default) or sentinel.
    #[arg(long, default_value = "defender", value_name = "ENV")]
    pub env: String,
}

#[derive(clap::Args, Debug, Default)]
pub struct CheckArgs {
    /// Pack files or folders (searched recursively): .kql/.csl/.kusto (and .txt that reads as KQL), Markdown
    /// KQL blocks, Sentinel YAML analytic rules and hunting queries, Sentinel ARM/JSON exports.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Extra table schemas and stored functions, repeatable: the JSON of the built-in catalogs ({"tables": {...},
    /// "functions": {...}}), Kusto's `.show database schema as json`, a Sentinel
    /// custom-table file ({"Name", "Properties": [{"Name", "Type"}]}) or a folder of them.
    #[arg(long, value_name = "FILE")]
    pub schema: Vec<PathBuf>,
    /// Know only the --schema tables, not the built-in Defender and Sentinel catalogs.
    #[arg(long)]
    pub schema_only: bool,
    /// text, json (one object per query), sarif (SARIF 2.1.0 for code scanning), junit, github (workflow
    /// annotations).
    #[arg(long, default_value = "text", value_name = "FMT")]
    pub format: String,
    /// Schema environment: defender, sentinel, or auto (Defender first, then Sentinel).
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// The table a query fragment (a query that starts with `|`) reads, when it has no `// table: Name`
    /// comment line.
    #[arg(long, value_name = "NAME")]
    pub table: Option<String>,
    /// Only files matching this glob (relative to the folder searched; repeatable).
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Skip files and folders matching this glob (repeatable); `.kqliteignore` files add more.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// The pack configuration (default: the nearest kqlite.toml at or above the first path).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Report only findings that are not in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write every current finding to this baseline file (then report as usual).
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// `--deny warnings`: warnings fail the run (exit 1) like errors.
    #[arg(long, value_name = "warnings")]
    pub deny: Option<String>,
}

#[derive(clap::Args, Debug, Default)]
pub struct TestArgs {
    /// Test files (*.test.yaml, *.test.yml) or folders searched for them.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Rewrite the expectation (rows, row_count) of every failing test from its current result; each rewrite
    /// is printed with the old failure.
    #[arg(long)]
    pub update: bool,
    /// text, json (one object per test), sarif, junit, github.
    #[arg(long, default_value = "text", value_name = "FMT")]
    pub format: String,
    /// Schema environment for tests without `env:`: defender, sentinel, or auto.
    #[arg(long, default_value = "auto", value_name = "ENV")]
    pub env: String,
    /// Extra table schemas for every test, as for `check`.
    #[arg(long, value_name = "FILE")]
    pub schema: Vec<PathBuf>,
    /// Only test files matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Skip test files matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
}

#[derive(clap::Args, Debug, Default)]
pub struct RunArgs {
    /// A .kql file holding the query (statements separated by `;`).
    pub file: Option<PathBuf>,
    /// The query text itself, instead of a file.
    #[arg(short = 'e', long = "expr", value_name = "QUERY")]
    pub expr: Option<String>,
    /// Data to load: a file, a folder (searched recursively) or a quoted glob. Shapes, found from the content:
    /// JSON array of rows, NDJSON, Defender/Graph advanced-hunting and Log Analytics API responses, Defender
    /// streaming records, CSV/TSV with a header, Parquet; each JSON or CSV shape may be gzip- or
    /// zstd-compressed. The table name is the file stem (up to the first dot), the name inside the file, or
    /// the folder's name for a folder of dated files. Repeatable.
    #[arg(long = "data", value_name = "PATH")]
    pub data: Vec<PathBuf>,
    /// Load PATH (file, folder or glob) as table NAME. Repeatable.
    #[arg(long = "table", value_name = "NAME=PATH")]
    pub table: Vec<String>,
    /// Extra table schemas and stored functions, repeatable (as `check --schema`): the catalogs' JSON
    /// (`{"tables": {...}, "functions": {...}}`), Sentinel custom tables, or Kusto's `.show database schema as json`.
    #[arg(long = "schema", value_name = "FILE")]
    pub schema: Vec<PathBuf>,
    /// A data value that does not fit its column's type is an error naming file, line and column (default:
    /// it becomes null and is counted in the load line on stderr).
    #[arg(long)]
    pub strict: bool,
    /// Bound the memory a query may use (e.g. 2GB, 512MB): past it, operators spill where DataFusion can,
    /// otherwise the query stops with "resources exhausted" (exit 5).
    #[arg(long = "memory-limit", value_name = "SIZE")]
    pub memory_limit: Option<String>,
    /// The column cache's budget in bytes (the REPL's `--cache-memory`); `run` keeps none.
    #[arg(skip)]
    pub cache_memory: Option<usize>,
    /// Pin now() and ago() to this instant (ISO-8601, e.g. 2025-03-15T00:00:00Z). Default: the wall clock.
    #[arg(long, value_name = "DATETIME")]
    pub now: Option<String>,
    /// Output format: table, csv, json, ndjson, typed-json.
    #[arg(long, default_value = "table", value_name = "FMT")]
    pub format: String,
    /// Replace the value of a top-level `let NAME = ...` (VALUE is a KQL literal; a bare word is a string).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Schema environment: defender, sentinel, or auto (Defender first, then Sentinel).
    #[arg(long, default_value = "auto", value_name = "ENV")]
    pub env: String,
    /// Also write the chart of the query's `render` operator to FILE (.svg or .png; never overwritten). The
    /// rows are printed as usual.
    #[arg(long, value_name = "FILE")]
    pub chart: Option<PathBuf>,
}

/// Parses argv, runs the command, prints errors; the process exit code.
pub fn main() -> ExitCode {
    // piped or captured stderr keeps each message on one line (tools grep it); a terminal wraps to its width
    let wrap = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = miette::set_hook(Box::new(move |_| Box::new(miette::MietteHandlerOpts::new().wrap_lines(wrap).build())));
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Some(Command::Run(args)) => run(args),
        Some(Command::Check(args)) => pack::check(args),
        Some(Command::Test(args)) => pack::test(args),
        Some(Command::Explain(args)) => explain(args),
        Some(Command::Sample(args)) => sample(args),
        Some(Command::Repl(args)) => repl(args),
        Some(Command::Import(args)) => import(args),
        None => repl(ReplArgs { env: "auto".into(), ..ReplArgs::default() }),
    }
}

/// Prints an error as a miette report; query errors show the query with the span labelled.
pub fn report(err: Error, src: Option<&Source>) -> ExitCode {
    let code = err.exit_code();
    let report = miette::Report::new(err);
    let report = match src {
        Some(s) => report.with_source_code(NamedSource::new(s.name.clone(), s.text.clone())),
        None => report,
    };
    say!("{report:?}");
    ExitCode::from(code)
}

fn usage(message: impl Into<String>) -> Error {
    Error::Cli(CliError::Usage { message: message.into() })
}

/// The `--now` instant in Unix nanoseconds, or the wall clock.
pub fn parse_now(now: Option<&str>) -> Result<i64, Error> {
    match now {
        None => Ok(crate::session::wall_clock_ns()),
        Some(t) => crate::session::parse_now(t)
            .ok_or_else(|| usage(format!("--now: '{t}' is not a datetime; use ISO-8601, e.g. 2025-03-15T00:00:00Z"))),
    }
}

/// `NAME=VALUE` pairs of `--set`.
pub fn parse_sets(sets: &[String]) -> Result<Vec<(String, String)>, Error> {
    sets.iter()
        .map(|s| match s.split_once('=') {
            Some((n, v)) if !n.trim().is_empty() => Ok((n.trim().to_string(), v.to_string())),
            _ => Err(usage(format!("--set: '{s}' is not NAME=VALUE"))),
        })
        .collect()
}

/// The query of `run`/`explain`: a file or `-e` text.
fn query_source(args: &RunArgs) -> Result<Source, Error> {
    match (&args.file, &args.expr) {
        (Some(_), Some(_)) => Err(usage("give either a query file or -e QUERY, not both")),
        (None, None) => Err(usage("give a query file or -e QUERY (see kqlite run --help)")),
        (None, Some(q)) => Ok(Source::query(q.clone())),
        (Some(f), None) => match std::fs::read_to_string(f) {
            Ok(t) => Ok(Source::new(f.display().to_string(), t)),
            Err(e) => Err(Error::Cli(CliError::Io { path: f.display().to_string(), message: e.to_string() })),
        },
    }
}

/// `512MB`, `2GB`, `1.5G`, `1000000` → bytes.
pub fn parse_size(s: &str) -> Option<usize> {
    let t = s.trim().to_ascii_uppercase();
    let t = t.strip_suffix("IB").map(|x| format!("{x}B")).unwrap_or(t);
    let (num, mult) = [
        ("KB", 1u64 << 10),
        ("MB", 1 << 20),
        ("GB", 1 << 30),
        ("TB", 1 << 40),
        ("K", 1 << 10),
        ("M", 1 << 20),
        ("G", 1 << 30),
        ("B", 1),
    ]
    .iter()
    .find_map(|(suf, m)| t.strip_suffix(suf).map(|n| (n.trim().to_string(), *m)))
    .unwrap_or((t.clone(), 1));
    let v: f64 = num.parse().ok()?;
    (v.is_finite() && v > 0.0).then_some((v * mult as f64) as usize)
}

/// A session with `run`'s options and its `--data` registered (schemas only: no row is read here).
fn run_session(args: &RunArgs) -> Result<Session, Error> {
    let Some(env) = Env::parse(&args.env) else {
        return Err(usage(format!("--env: '{}' is not one of defender, sentinel, auto", args.env)));
    };
    let now_ns = match &args.now {
        Some(t) => Some(parse_now(Some(t))?),
        None => None,
    };
    let memory_limit = match &args.memory_limit {
        Some(s) => Some(parse_size(s).ok_or_else(|| {
            usage(format!("--memory-limit: '{s}' is not a size (a number with KB, MB, GB or no unit for bytes)"))
        })?),
        None => None,
    };
    let opts = SessionOptions {
        now_ns,
        sets: parse_sets(&args.set)?,
        env,
        strict: args.strict,
        memory_limit,
        cache_memory: args.cache_memory,
        ..SessionOptions::default()
    };
    let mut session = Session::new(opts)?;
    // schemas first: the data's columns are typed by the catalog, and stored functions may name the tables
    for f in &args.schema {
        session.add_schema(f)?;
    }
    for d in &args.data {
        session.add_data(d)?;
    }
    for t in &args.table {
        let Some((name, path)) = t.split_once('=').filter(|(n, p)| !n.trim().is_empty() && !p.is_empty()) else {
            return Err(usage(format!("--table: '{t}' is not NAME=PATH")));
        };
        session.add_data_as(path, Some(name.trim()))?;
    }
    for n in session.take_notices() {
        say!("note: {n}");
    }
    Ok(session)
}

fn run(args: RunArgs) -> ExitCode {
    let src = match query_source(&args) {
        Ok(s) => s,
        Err(e) => return report(e, None),
    };
    let Some(format) = Format::parse(&args.format) else {
        return report(
            usage(format!("--format: '{}' is not one of table, csv, json, ndjson, typed-json", args.format)),
            None,
        );
    };
    if let Some(p) = &args.chart {
        if crate::chart::image::format_of(p).is_none() {
            return report(usage(format!("--chart: {} is neither .svg nor .png", p.display())), None);
        }
        if p.exists() {
            return report(usage(format!("--chart: {} already exists (never overwritten)", p.display())), None);
        }
    }
    let started = Instant::now();
    let session = match run_session(&args) {
        Ok(s) => s,
        Err(e) => return report(e, None),
    };
    let results = match session.run(&src) {
        Ok(r) => r,
        Err(e) => return report(e, Some(&src)),
    };
    let chart_spec = results.last().and_then(|r| r.chart()).cloned();
    if let (Some(p), None) = (&args.chart, &chart_spec) {
        return report(
            usage(format!(
                "--chart {}: the query does not end with a chart `render` (e.g. `| render timechart`)",
                p.display()
            )),
            None,
        );
    }
    for result in results {
        for n in &result.notices {
            say!("note: {n}");
        }
        let schema = result.schema.clone();
        let progress = Progress::start(session.progress());
        let mut kept = args.chart.as_ref().map(|_| Vec::new());
        let printed = print_result(result, format, kept.as_mut());
        // each result's rows before its row count on stderr (several result tables interleave correctly)
        let _ = std::io::Write::flush(&mut std::io::stdout());
        drop(progress);
        let loaded = crate::load::summary(&session.take_load_reports());
        if printed.is_ok() {
            for line in loaded {
                say!("{line}");
            }
        }
        match printed {
            Ok(n) if format == Format::Table => {
                say!("{n} row{} ({:.3} s)", if n == 1 { "" } else { "s" }, started.elapsed().as_secs_f64())
            }
            Ok(_) => {}
            Err(PrintError::Query(e)) => return report(e, Some(&src)),
            Err(PrintError::Write(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => return ExitCode::SUCCESS,
            Err(PrintError::Write(e)) => {
                say!("error: cannot write the result: {e}");
                return ExitCode::from(5);
            }
        }
        if let (Some(path), Some(spec), Some(batches)) = (&args.chart, &chart_spec, &kept) {
            let written = crate::chart::Chart::build(spec, &schema, batches)
                .and_then(|c| crate::chart::image::write(&c, path).map(|_| c));
            match written {
                Ok(c) => say!(
                    "wrote the {} ({} series, {} points) to {}",
                    spec.visualization.name(),
                    c.series.len(),
                    c.series.iter().map(|s| s.points.len()).sum::<usize>(),
                    path.display()
                ),
                Err(e) => {
                    say!("error: cannot write the chart: {e}");
                    return ExitCode::from(5);
                }
            }
        }
    }
    ExitCode::SUCCESS
}

/// A progress line on stderr while a query reads data for more than a second (only on a terminal).
struct Progress {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    fn start(read: std::sync::Arc<std::sync::atomic::AtomicU64>) -> Progress {
        use std::sync::atomic::Ordering;
        if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            return Progress { stop: None, thread: None };
        }
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let base = read.load(Ordering::Relaxed);
        let thread = std::thread::spawn(move || {
            if rx.recv_timeout(std::time::Duration::from_secs(1)) != Err(std::sync::mpsc::RecvTimeoutError::Timeout) {
                return;
            }
            let bar = indicatif::ProgressBar::new_spinner();
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("{spinner} reading: {bytes} ({bytes_per_sec}), {elapsed}")
            {
                bar.set_style(style);
            }
            loop {
                bar.set_position(read.load(Ordering::Relaxed).saturating_sub(base));
                bar.tick();
                if rx.recv_timeout(std::time::Duration::from_millis(100))
                    != Err(std::sync::mpsc::RecvTimeoutError::Timeout)
                {
                    break;
                }
            }
            bar.finish_and_clear();
        });
        Progress { stop: Some(tx), thread: Some(thread) }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

enum PrintError {
    Query(Error),
    Write(std::io::Error),
}

/// Writes one result to stdout batch by batch as the rows are computed; the number of rows.
/// With `keep`, the batches are also kept there (for a chart).
fn print_result(
    result: crate::QueryResult,
    format: Format,
    mut keep: Option<&mut Vec<RecordBatch>>,
) -> Result<usize, PrintError> {
    // nothing is printed before the first batch: a load error in it leaves stdout empty
    let mut batches = result.batches.peekable();
    if let Some(Err(_)) = batches.peek() {
        if let Some(Err(e)) = batches.next() {
            return Err(PrintError::Query(e));
        }
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut w = ResultWriter::begin(&result.schema, format, &mut out).map_err(PrintError::Write)?;
    for batch in batches {
        let batch = batch.map_err(PrintError::Query)?;
        if let Some(k) = keep.as_mut() {
            k.push(batch.clone());
        }
        w.write_batch(&batch).map_err(PrintError::Write)?;
    }
    let n = w.finish().map_err(PrintError::Write)?;
    out.flush().map_err(PrintError::Write)?;
    Ok(n)
}

/// `kqlite import`: every loaded table to OUT/TABLE.parquet.
fn import(args: ImportArgs) -> ExitCode {
    // a session as `run` makes it (only the data options matter here)
    let run_args =
        RunArgs { data: args.data, table: args.table, strict: args.strict, env: args.env, ..RunArgs::default() };
    let session = match run_session(&run_args) {
        Ok(s) => s,
        Err(e) => return report(e, None),
    };
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        return report(Error::Cli(CliError::Io { path: args.out.display().to_string(), message: e.to_string() }), None);
    }
    let tables = session.tables();
    // refuse before writing anything when a target exists
    for t in &tables {
        // a table name from the data never leads outside --out
        if t.name.is_empty() || t.name.contains(['/', '\\']) || t.name.starts_with('.') {
            return report(
                Error::Cli(CliError::Io {
                    path: t.name.clone(),
                    message: "a table name that is not a plain file name".into(),
                }),
                None,
            );
        }
        let path = args.out.join(format!("{}.parquet", t.name));
        if path.exists() {
            return report(
                Error::Cli(CliError::Io {
                    path: path.display().to_string(),
                    message: "already exists (never overwritten)".into(),
                }),
                None,
            );
        }
    }
    for t in &tables {
        let path = args.out.join(format!("{}.parquet", t.name));
        let src = Source::query(format!("['{}']", t.name.replace('\\', "\\\\").replace('\'', "\\'")));
        let started = Instant::now();
        let result = match session.run(&src).map(|mut r| r.remove(0)) {
            Ok(r) => r,
            Err(e) => return report(e, Some(&src)),
        };
        match crate::load::parquet::write(&path, &result.schema.columns, result.batches) {
            Ok(rows) => {
                let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                say!(
                    "wrote {} ({rows} rows, {:.1} MB) in {:.2} s",
                    path.display(),
                    size as f64 / 1048576.0,
                    started.elapsed().as_secs_f64()
                );
            }
            Err(e) => return report(e, Some(&src)),
        }
        for line in crate::load::summary(&session.take_load_reports()).into_iter().skip(1) {
            say!("{line}");
        }
    }
    ExitCode::SUCCESS
}

/// The REPL's column cache by default: a quarter of the machine's memory (`/proc/meminfo`), else 2 GB.
fn default_cache_memory() -> usize {
    let total_kb = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
        m.lines().find_map(|l| l.strip_prefix("MemTotal:")?.trim().strip_suffix("kB")?.trim().parse::<usize>().ok())
    });
    total_kb.map_or(2 << 30, |kb| kb / 4 * 1024)
}

/// The REPL on a session with `--data` registered.
fn repl(args: ReplArgs) -> ExitCode {
    let cache_memory = match &args.cache_memory {
        Some(s) => match parse_size(s) {
            Some(n) => n,
            None => {
                return report(usage(format!("--cache-memory: '{s}' is not a size (a number with KB, MB, GB)")), None)
            }
        },
        None => default_cache_memory(),
    };
    let run_args = RunArgs {
        data: args.data,
        now: args.now,
        set: args.set,
        env: args.env,
        schema: args.schema,
        cache_memory: Some(cache_memory),
        ..RunArgs::default()
    };
    match run_session(&run_args) {
        Ok(session) => crate::repl::main(session),
        Err(e) => report(e, None),
    }
}

fn explain(args: RunArgs) -> ExitCode {
    let src = match query_source(&args) {
        Ok(s) => s,
        Err(e) => return report(e, None),
    };
    let session = match run_session(&args) {
        Ok(s) => s,
        Err(e) => return report(e, None),
    };
    match session.explain(&src) {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => report(e, Some(&src)),
    }
}

/// Writes rows (compact JSON objects) as NDJSON or as a JSON array with one row per line.
fn write_rows(path: &std::path::Path, lines: &[String], ndjson: bool) -> std::io::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create_new(path)?);
    if ndjson {
        for l in lines {
            writeln!(f, "{l}")?;
        }
    } else {
        f.write_all(if lines.is_empty() { b"[\n\n" } else { b"[\n" })?;
        for (i, l) in lines.iter().enumerate() {
            f.write_all(l.as_bytes())?;
            f.write_all(if i + 1 < lines.len() { b",\n" } else { b"\n" })?;
        }
        f.write_all(b"]\n")?;
    }
    f.flush()
}

fn sample(args: SampleArgs) -> ExitCode {
    let ndjson = match args.format.as_str() {
        "json" => false,
        "ndjson" => true,
        other => return report(usage(format!("--format: '{other}' is not one of json, ndjson")), None),
    };
    let sentinel = match Env::parse(&args.env) {
        Some(Env::Sentinel) => true,
        Some(Env::Defender) => false,
        _ => return report(usage(format!("--env: '{}' is not one of defender, sentinel", args.env)), None),
    };
    let tables: Vec<String> = if args.tables == "all" {
        let env = if sentinel { crate::catalog::sentinel() } else { crate::catalog::defender() };
        env.keys().cloned().collect()
    } else {
        args.tables.split(',').map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect()
    };
    for t in &tables {
        if crate::sample::table_schema(t).is_none() {
            let names = Catalog::new().table_names(Env::Auto);
            let hint = crate::names::did_you_mean(t, names.iter().map(|s| s.as_str()))
                .map(|s| format!(" (did you mean '{s}'?)"))
                .unwrap_or_default();
            return report(usage(format!("--tables: '{t}' is not a table of the catalog{hint}")), None);
        }
    }
    let end_ns = match parse_now(args.end.as_deref()) {
        Ok(n) => n,
        Err(e) => return report(e, None),
    };
    let ext = if ndjson { "ndjson" } else { "json" };
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        return report(Error::Cli(CliError::Io { path: args.out.display().to_string(), message: e.to_string() }), None);
    }
    // never overwrite what the user has
    for t in &tables {
        let p = args.out.join(format!("{t}.{ext}"));
        if p.exists() {
            return report(usage(format!("{} already exists; choose an empty --out folder", p.display())), None);
        }
    }
    let opts = crate::sample::SampleOptions { rows: args.rows, tables, seed: args.seed, end_ns, days: args.days };
    let sampler = crate::sample::Sampler::new(&opts);
    let mut written = 0;
    for t in &opts.tables {
        let Some(lines) = sampler.json_lines(t) else { continue };
        let p = args.out.join(format!("{t}.{ext}"));
        if let Err(e) = write_rows(&p, &lines, ndjson) {
            return report(Error::Cli(CliError::Io { path: p.display().to_string(), message: e.to_string() }), None);
        }
        written += 1;
    }
    say!("wrote {written} tables ({} rows each) to {}", args.rows, args.out.display());
    ExitCode::SUCCESS
}
