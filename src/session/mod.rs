//! Session: the library's front door. One [`Session`] holds the options, the catalog (built-in schemas,
//! `--schema` tables and the registered data sources), one DataFusion context and runtime reused by every
//! query, and the `let` statements kept by [`Session::define`]. `run`, `check`, `explain`, `sample`, the REPL
//! and `test` are thin front ends over it.
//!
//! Queries are bound before anything is loaded: [`Session::add_data`] finds tables and their schemas without
//! reading their rows, a query is parsed and bound against those schemas, and only the tables the plan scans
//! are read, once per session, when it runs.
//!
//! The same as a runnable program: `cargo run --example session` (examples/session.rs).
//!
//! ```no_run
//! use kqlite::{Session, SessionOptions, Source};
//! # fn main() -> Result<(), kqlite::Error> {
//! let mut s = Session::new(SessionOptions::default())?;
//! s.add_data("examples/incident")?; // finds tables and schemas; reads no rows
//! s.define(&Source::from("let Window = 3d;"))?; // kept for later queries
//! let q = Source::from("DeviceLogonEvents | where Timestamp > ago(Window) | count");
//! for result in s.run(&q)? {
//!     for batch in result.batches {
//!         let batch = batch?; // an Arrow RecordBatch, streamed
//!         println!("{} rows", batch.num_rows());
//!     }
//! }
//! # Ok(()) }
//! ```

mod complete;
pub use complete::{Completion, CompletionKind, Completions};

use crate::ast::{self, Statement};
use crate::binder::{BoundQuery, Options};
use crate::catalog::{Catalog, Env, LoadedTable};
use crate::diagnostics::{BindError, Error};
use crate::exec::{BatchStream, Executor};
use crate::load::DataTable;
use crate::source::Source;
use crate::types::KqlSchema;
use datafusion::arrow::record_batch::RecordBatch;
use std::path::Path;
use std::sync::Arc;

/// Everything a session needs besides queries and data.
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// `now()` and `ago()` in Unix nanoseconds; `None`: the wall clock when each query is bound.
    pub now_ns: Option<i64>,
    /// Which portal's schemas names resolve against.
    pub env: Env,
    /// `--set NAME=VALUE`: replacement values (KQL literal text) for top-level `let NAME`.
    pub sets: Vec<(String, String)>,
    /// Bytes the execution may hold in memory (DataFusion's memory pool); `None`: no limit.
    pub memory_limit: Option<usize>,
    /// Rows a front end shows at most (the REPL's cap); the library itself never truncates results.
    pub max_rows: Option<usize>,
    /// A data value that does not fit its column's type is an error (file:line:column) instead of a counted
    /// null.
    pub strict: bool,
    /// Bytes of decoded columns the session keeps in memory between queries (`load/cache.rs`): a later query
    /// over the same columns reads no file. `None`: every query reads the files (the `run` default).
    pub cache_memory: Option<usize>,
    /// The table a query fragment (a query starting with `|`) reads when it has no `// table: Name` comment
    /// (`--table`).
    pub fragment_table: Option<String>,
}

/// One result table of a query: its Kusto schema, notices for the user, and its rows as they are computed.
pub struct QueryResult {
    pub schema: KqlSchema,
    pub notices: Vec<String>,
    pub batches: BatchStream,
    /// the chart of a final `render` operator (front ends draw it; the rows are the same)
    pub render: Option<crate::chart::RenderSpec>,
}

impl QueryResult {
    /// The chart to draw: the final `render`'s, when its visualization is one kqlite draws (`table`, `card`
    /// and the like show the rows).
    pub fn chart(&self) -> Option<&crate::chart::RenderSpec> {
        self.render.as_ref().filter(|s| s.visualization.is_chart())
    }
}

/// A table a session can read: its name, schema, where its rows come from, and how often they were read.
#[derive(Debug, Clone)]
pub struct TableInfo {
    pub name: String,
    pub schema: KqlSchema,
    pub origin: String,
    /// times its files were read in this session (0 until a query scans it; once per scanning query)
    pub loads: usize,
}

pub struct Session {
    opts: SessionOptions,
    catalog: Catalog,
    exec: Executor,
    /// `let` statements kept by `define`, with the source each came from
    prelude: Vec<(Source, ast::Let)>,
    /// notices of `add_data` (files skipped, empty files) not yet taken by the front end
    notices: Vec<String>,
    /// bytes the scans of this session's tables have read
    progress: Arc<std::sync::atomic::AtomicU64>,
    /// the column cache's budget, shared by the tables (`cache_memory`)
    cache: Option<Arc<crate::load::CacheBudget>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("opts", &self.opts).field("tables", &self.catalog.loaded.len()).finish()
    }
}

impl Session {
    pub fn new(opts: SessionOptions) -> Result<Session, Error> {
        let exec = Executor::new(opts.memory_limit)?;
        let cache = opts.cache_memory.filter(|b| *b > 0).map(crate::load::CacheBudget::new);
        Ok(Session {
            cache,
            opts,
            catalog: Catalog::new(),
            exec,
            prelude: Vec::new(),
            notices: Vec::new(),
            progress: Arc::default(),
        })
    }

    pub fn options(&self) -> &SessionOptions {
        &self.opts
    }

    /// Pins `now()` (Unix nanoseconds), or `None` for the wall clock.
    pub fn set_now(&mut self, now_ns: Option<i64>) {
        self.opts.now_ns = now_ns;
    }

    /// Adds or replaces a `--set NAME=VALUE` override (KQL literal text) for later queries (the REPL's `.set`).
    pub fn set_param(&mut self, name: &str, value: &str) {
        self.opts.sets.retain(|(n, _)| n != name);
        self.opts.sets.push((name.to_string(), value.to_string()));
    }

    /// `--schema-only`: forget the built-in Defender and Sentinel tables; only `--schema` files and loaded data
    /// are known.
    pub fn set_schema_only(&mut self, on: bool) {
        self.catalog.schema_only = on;
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The DataFusion executor (its context holds kqlite's named functions).
    pub fn executor(&self) -> &Executor {
        &self.exec
    }

    /// Adds the tables and stored functions of a schema file (the JSON format of the built-in catalogs, Sentinel
    /// custom tables, or Kusto's `.show database schema as json`); returns how many. A stored function is
    /// defined as its `let` (as [`Session::define`] does): queries call it by name.
    pub fn add_schema(&mut self, path: impl AsRef<Path>) -> Result<usize, Error> {
        let path = path.as_ref();
        let n = self.catalog.load_schema_file(path)?;
        let functions = std::mem::take(&mut self.catalog.stored_functions);
        for f in functions {
            let origin = format!("{} (stored function {})", path.display(), f.name);
            let src = Source::new(&origin, f.text.clone());
            self.define(&src).map_err(|e| stored_function_error(path, &f, e))?;
            // as Kusto validates a function it stores: a call with typed nulls must bind (a function with a
            // tabular parameter is checked when called)
            if f.params.iter().all(Option::is_some) {
                let args: Vec<String> = f.params.iter().flatten().map(|t| format!("{t}(null)")).collect();
                let call = format!("{}({})", f.name, args.join(", "));
                let bound = match self.bind(&Source::new(&origin, call.clone()), None) {
                    Err(Error::Bind(BindError::WrongKind { .. })) => {
                        self.bind(&Source::new(&origin, format!("print {call}")), None)
                    }
                    other => other,
                };
                if let Err(e) = bound {
                    self.prelude.retain(|(_, l)| l.name.name != f.name);
                    return Err(stored_function_error(path, &f, e));
                }
            }
        }
        Ok(n)
    }

    /// Registers the tables of a data file, folder or glob: their names and schemas are found now (declared
    /// columns, the catalog, a sample of rows); their rows are read when a query scans them. Returns the
    /// table names found. A table already registered gets the new files' rows appended. Files in a folder
    /// that are not data are skipped with a notice ([`Session::take_notices`]).
    pub fn add_data(&mut self, path: impl AsRef<Path>) -> Result<Vec<String>, Error> {
        self.add_data_as(path, None)
    }

    /// [`Session::add_data`] with every table found named `name` (`--table NAME=PATH`).
    pub fn add_data_as(&mut self, path: impl AsRef<Path>, name: Option<&str>) -> Result<Vec<String>, Error> {
        let found = crate::load::discover(&self.catalog, &[path.as_ref().to_path_buf()], name)?;
        self.notices.extend(found.notices);
        let mut names = Vec::new();
        for d in found.tables {
            let (schema, parts) = match self.catalog.loaded.get(&d.name).and_then(|t| data_table(&t.provider)) {
                // same table from more files: one table over all of them, with the columns of both
                Some(prev) if !prev.parts().is_empty() => {
                    let mut schema = prev.kql_schema().clone();
                    for c in d.schema.columns {
                        if schema.find(&c.name).is_none() {
                            schema.columns.push(c);
                        }
                    }
                    let mut parts = prev.parts().to_vec();
                    parts.extend(d.parts.into_iter().filter(|p| {
                        !prev.parts().iter().any(|q| q.path == p.path && q.group == p.group && q.category == p.category)
                    }));
                    (schema, parts)
                }
                _ => (d.schema, d.parts),
            };
            let mut files: Vec<String> = parts.iter().map(|p| p.path.display().to_string()).collect();
            files.dedup();
            let origin = files.join(", ");
            let mut table = DataTable::from_parts(&d.name, schema.clone(), parts, self.opts.strict)
                .with_progress(self.progress.clone());
            if let Some(budget) = &self.cache {
                table = table.with_cache(budget.clone());
            }
            let provider = Arc::new(table);
            self.catalog.loaded.insert(d.name.clone(), LoadedTable { schema, provider, origin });
            names.push(d.name);
        }
        Ok(names)
    }

    /// Bytes the column cache holds now and may hold (`None` without a cache).
    pub fn cache_usage(&self) -> Option<(usize, usize)> {
        self.cache.as_ref().map(|b| (b.used(), b.limit()))
    }

    /// A counter of the bytes this session's scans have read so far (for a progress line while a query runs).
    pub fn progress(&self) -> Arc<std::sync::atomic::AtomicU64> {
        self.progress.clone()
    }

    /// Notices of the data added since the last call: files skipped in folders, files without rows.
    pub fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }

    /// What the scans since the last call read, one report per table: rows, files, bytes, seconds, values
    /// coerced to null.
    pub fn take_load_reports(&self) -> Vec<crate::load::LoadReport> {
        let mut out: Vec<_> = self
            .catalog
            .loaded
            .values()
            .filter_map(|t| data_table(&t.provider).and_then(|d| d.take_report()))
            .collect();
        out.sort_by(|a, b| a.table.cmp(&b.table));
        out
    }

    /// Registers rows already in memory as table `name` (replacing a table of that name).
    pub fn add_table(&mut self, name: &str, schema: KqlSchema, batches: Vec<RecordBatch>) {
        let provider = Arc::new(DataTable::from_batches(name, schema.clone(), batches));
        let origin = format!("<{name}>");
        self.catalog.loaded.insert(name.to_string(), LoadedTable { schema, provider, origin });
    }

    /// The tables with data, by name.
    pub fn tables(&self) -> Vec<TableInfo> {
        let mut out: Vec<TableInfo> = self
            .catalog
            .loaded
            .iter()
            .map(|(name, t)| TableInfo {
                name: name.clone(),
                schema: t.schema.clone(),
                origin: t.origin.clone(),
                loads: data_table(&t.provider).map_or(0, |d| d.load_count()),
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// The binder's options for one query: `now` pinned or read from the clock now.
    fn bind_options(&self) -> Options {
        let now_ns = self.opts.now_ns.unwrap_or_else(wall_clock_ns);
        Options { now_ns, sets: self.opts.sets.clone(), env: self.opts.env }
    }

    /// Parses a source into statements.
    /// Lexes and parses; a query that starts with `|` reads the table of its `// table: Name` comment, else the
    /// session's `fragment_table`.
    fn parse(&self, src: &Source) -> Result<ast::Script, Error> {
        let tokens = crate::lexer::lex(src)?;
        let table = crate::parser::fragment_table_comment(&src.text).or_else(|| self.opts.fragment_table.clone());
        Ok(crate::parser::parse_fragment(src, &tokens, table.as_deref())?)
    }

    /// Parses and binds a query against the catalog and the registered tables' schemas; reads no data.
    /// Returns the plan with the Kusto schema of its result and the notices.
    pub fn check(&self, src: &Source) -> Result<BoundQuery, Error> {
        self.bind(src, None)
    }

    /// Parses and binds after the session's `let`s, with or without a probe (see [`Session::bind_to_run`]).
    fn bind(&self, src: &Source, probe: Option<crate::binder::Probe<'_>>) -> Result<BoundQuery, Error> {
        let script = self.parse(src)?;
        let prelude: Vec<ast::Let> = self.prelude.iter().map(|(_, l)| l.clone()).collect();
        Ok(crate::binder::bind_with_probe(&prelude, &script, &self.catalog, &self.bind_options(), probe)?)
    }

    /// Binds a query that is about to run (its plan, for [`Executor`] or a distributed engine): a plugin whose columns depend on the data (`evaluate bag_unpack`)
    /// reads the rows it needs through the executor.
    pub fn bind_to_run(&self, src: &Source) -> Result<BoundQuery, Error> {
        let probe = |plan| self.exec.collect(plan).map_err(|e| e.to_string());
        self.bind(src, Some(&probe))
    }

    /// Binds and starts a query. Binding errors come before any row is read; a data file that cannot be
    /// read is an error of the stream (`Error::Load`). One result per tabular statement, in order (Kusto's
    /// multiple result tables); notices and the chart go with the last.
    pub fn run(&self, src: &Source) -> Result<Vec<QueryResult>, Error> {
        let q = self.bind_to_run(src)?;
        let mut out = Vec::with_capacity(q.earlier.len() + 1);
        for (plan, schema) in q.earlier {
            out.push(QueryResult { schema, notices: vec![], batches: self.exec.stream(plan)?, render: None });
        }
        let batches = self.exec.stream(q.plan)?;
        out.push(QueryResult { schema: q.schema, notices: q.notices, batches, render: q.render });
        Ok(out)
    }

    /// Runs a query to the end: the schema and all rows of its last result table (tests, small results).
    pub fn run_collect(&self, src: &Source) -> Result<(KqlSchema, Vec<RecordBatch>), Error> {
        let q = self.bind_to_run(src)?;
        let batches = self.exec.collect(q.plan)?;
        Ok((q.schema, batches))
    }

    /// Runs a query to the end: every result table (one per tabular statement), in order.
    pub fn run_collect_all(&self, src: &Source) -> Result<Vec<(KqlSchema, Vec<RecordBatch>)>, Error> {
        let q = self.bind_to_run(src)?;
        let mut out = Vec::with_capacity(q.earlier.len() + 1);
        for (plan, schema) in q.earlier {
            out.push((schema, self.exec.collect(plan)?));
        }
        out.push((q.schema, self.exec.collect(q.plan)?));
        Ok(out)
    }

    /// Keeps the `let` statements of `src` for later queries (a later `let` of the same name replaces the
    /// earlier). They are bound now, so a mistake is reported at once. Returns the names defined.
    pub fn define(&mut self, src: &Source) -> Result<Vec<String>, Error> {
        let script = self.parse(src)?;
        let mut lets = Vec::new();
        for st in &script.statements {
            match st {
                Statement::Let(l) => lets.push(l.clone()),
                Statement::Query(e) => {
                    return Err(Error::Bind(BindError::InvalidArgument {
                        message: "only let statements can be defined".into(),
                        span: e.span.into(),
                        help: Some("run the query instead, or keep just its let statements".into()),
                    }))
                }
            }
        }
        let mut kept: Vec<(Source, ast::Let)> =
            self.prelude.iter().filter(|(_, p)| !lets.iter().any(|l| l.name.name == p.name.name)).cloned().collect();
        // bind the new lets after the ones kept, as a query would see them
        let prelude: Vec<ast::Let> = kept.iter().map(|(_, l)| l.clone()).collect();
        match crate::binder::bind_with(&prelude, &script, &self.catalog, &self.bind_options()) {
            Ok(_) | Err(BindError::NoQuery { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        let names = lets.iter().map(|l| l.name.name.clone()).collect();
        kept.extend(lets.into_iter().map(|l| (src.clone(), l)));
        self.prelude = kept;
        Ok(names)
    }

    /// The `let` statements kept by `define`: name and source text.
    pub fn definitions(&self) -> Vec<(String, String)> {
        self.prelude
            .iter()
            .map(|(src, l)| (l.name.name.clone(), src.text.get(l.span.range()).unwrap_or_default().to_string()))
            .collect()
    }

    /// What can be typed at byte offset `cursor` of `text`: tables at the start, operators after `|`, the
    /// columns in scope at that pipe stage, functions, `kind=` values; filtered by the word being typed, whose
    /// start the result gives (what an editor replaces).
    pub fn complete(&self, text: &str, cursor: usize) -> Completions {
        complete::complete(self, text, cursor)
    }

    /// The Kusto schema after each pipe stage, then DataFusion's optimised logical plan and physical plan.
    pub fn explain(&self, src: &Source) -> Result<String, Error> {
        let q = self.check(src)?;
        let mut out = String::from("Kusto schema after each stage:\n");
        for st in &q.stages {
            let text = src.text.get(st.span.range()).unwrap_or_default();
            let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            let cols: Vec<String> = st.schema.columns.iter().map(|c| format!("{}:{}", c.name, c.ty)).collect();
            out.push_str(&format!("  | {text}\n      ({})\n", cols.join(", ")));
        }
        let cols: Vec<String> = q.schema.columns.iter().map(|c| format!("{}:{}", c.name, c.ty)).collect();
        out.push_str(&format!("result: ({})\n", cols.join(", ")));
        let (logical, physical) = self.exec.explain(q.plan)?;
        out.push_str("\nOptimized logical plan (DataFusion):\n");
        out.push_str(&logical);
        out.push_str("\n\nPhysical plan (DataFusion):\n");
        out.push_str(&physical);
        Ok(out)
    }
}

/// The session's own provider behind a table, if it is one.
fn data_table(p: &Arc<dyn datafusion::datasource::TableProvider>) -> Option<&DataTable> {
    p.downcast_ref::<DataTable>()
}

/// A `--now` / `.now` instant (ISO-8601, Kusto's datetime forms) in Unix nanoseconds.
pub fn parse_now(text: &str) -> Option<i64> {
    crate::parser::parse_datetime_text(text)
}

/// The wall clock in Unix nanoseconds, truncated to Kusto's 100-ns ticks.
pub fn wall_clock_ns() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0) / 100 * 100
}

/// An error in a stored function of a schema file: the file, the line of the function's name in it, and
/// where in the function's text the error is.
fn stored_function_error(path: &Path, f: &crate::catalog::StoredFunction, e: Error) -> Error {
    use miette::Diagnostic;
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let (line, col) = match text.find(&format!("\"{}\"", f.name)) {
        Some(at) => {
            let before = text.get(..at).unwrap_or_default();
            let line = before.matches('\n').count() + 1;
            (line, at - before.rfind('\n').map_or(0, |i| i + 1) + 1)
        }
        None => (1, 1),
    };
    let near = e
        .labels()
        .and_then(|mut l| l.next())
        .and_then(|l| f.text.get(l.offset()..))
        .map(|rest| format!(" (at `{}` in `{}`)", rest.chars().take(30).collect::<String>().trim(), f.text))
        .unwrap_or_default();
    Error::Load(crate::diagnostics::LoadError::Format {
        path: path.display().to_string(),
        line,
        col,
        message: format!("stored function {}: {e}{near}", f.name),
    })
}
