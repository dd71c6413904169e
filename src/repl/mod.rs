//! Front end: the interactive REPL (`kqlite`, `kqlite repl`). Keys → rustyline (helper.rs) → whole queries
//! and dot commands (commands.rs) → one `Session` → results shown (display.rs) or written to a file. A `let`
//! entered alone is kept by `Session::define`; Ctrl-C stops a running query and keeps the session.

mod commands;
mod display;
pub mod helper;
pub mod input;

use crate::diagnostics::Error;
use crate::exec::{BatchStream, Pulled};
use crate::output::{Format, ResultWriter};
use crate::types::KqlSchema;
use crate::{Session, Source};
use datafusion::arrow::record_batch::RecordBatch;
use helper::ReplHelper;
use miette::NamedSource;
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{CompletionType, Config, Editor};
use std::cell::RefCell;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long one wait for a batch lasts before Ctrl-C is checked again.
const CANCEL_POLL: Duration = Duration::from_millis(100);
/// How long a query runs before the REPL says how to cancel it.
const RUNNING_NOTICE: Duration = Duration::from_secs(1);
/// Rows shown at most, unless `.set maxrows=N` (the portal's limit).
pub const DEFAULT_MAX_ROWS: usize = 10_000;

/// How results are shown on the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Table,
    Vertical,
    Text(Format),
}

/// Where results go besides the screen: `.output FILE` (until `.output`) or `.once FILE` (the next result).
struct FileTarget {
    path: PathBuf,
    format: Format,
    once: bool,
    /// the text file (csv, json, ndjson); `None` for Parquet, created when the result's schema is known
    file: Option<std::io::BufWriter<std::fs::File>>,
}

/// The rows of the last result (at most the row cap) and the query that gave them.
struct LastResult {
    query: String,
    schema: KqlSchema,
    batches: Vec<RecordBatch>,
    /// the chart its `render` asked for
    render: Option<crate::chart::RenderSpec>,
}

pub struct Repl {
    session: Rc<RefCell<Session>>,
    editor: Editor<ReplHelper, FileHistory>,
    history_path: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    mode: Mode,
    max_rows: usize,
    timer: bool,
    output: Option<FileTarget>,
    last: Option<LastResult>,
    last_query: Option<String>,
    /// set by Ctrl-C (SIGINT) while a query runs
    cancel: Arc<AtomicBool>,
    /// text put in the editor for the next prompt (`.open`)
    prefill: Option<String>,
    /// nesting of `.read`
    read_depth: usize,
    /// the pager command for results taller than the screen; `None`: off
    pager: Option<String>,
}

/// What the loop does after one unit of input.
#[derive(PartialEq)]
enum Flow {
    Continue,
    Quit,
}

/// The per-user folder for history and saved queries: `$XDG_DATA_HOME/kqlite` or `~/.local/share/kqlite`.
fn data_dir() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".local").join("share"),
    };
    Some(base.join("kqlite"))
}

/// Prints an error as the same miette report `run` gives, the typed text named `<repl>`.
fn show_error(err: Error, src: Option<&Source>) {
    let report = miette::Report::new(err);
    let report = match src {
        Some(s) => report.with_source_code(NamedSource::new(s.name.clone(), s.text.clone())),
        None => report,
    };
    eprintln!("{report:?}");
}

/// Starts the REPL on a session (its data already registered) and runs until `.quit` or Ctrl-D.
pub fn main(session: Session) -> ExitCode {
    let mut repl = match Repl::new(session) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the line editor: {e}");
            return ExitCode::from(5);
        }
    };
    repl.run_loop();
    ExitCode::SUCCESS
}

impl Repl {
    pub fn new(session: Session) -> Result<Repl, ReadlineError> {
        let session = Rc::new(RefCell::new(session));
        let color = std::env::var_os("NO_COLOR").is_none();
        let config = Config::builder()
            .completion_type(CompletionType::List)
            .history_ignore_dups(true)?
            .max_history_size(5000)?
            .build();
        let mut editor = Editor::with_config(config)?;
        editor.set_helper(Some(ReplHelper::new(session.clone(), color)));
        let data_dir = data_dir();
        let history_path = data_dir.as_ref().map(|d| d.join("history"));
        if let Some(p) = &history_path {
            let _ = editor.load_history(p);
        }
        let cancel = Arc::new(AtomicBool::new(false));
        let flag = cancel.clone();
        if let Err(e) = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)) {
            eprintln!("note: Ctrl-C cannot cancel queries here ({e})");
        }
        Ok(Repl {
            session,
            editor,
            history_path,
            data_dir,
            mode: Mode::Table,
            max_rows: DEFAULT_MAX_ROWS,
            timer: false,
            output: None,
            last: None,
            last_query: None,
            cancel,
            prefill: None,
            read_depth: 0,
            pager: default_pager(),
        })
    }

    fn run_loop(&mut self) {
        let tty = std::io::IsTerminal::is_terminal(&std::io::stdin());
        if tty {
            let tables = self.session.borrow().tables().len();
            println!(
                "kqlite {} — {tables} tables loaded. End a query with a blank line or ;; — .help for commands, Ctrl-D to leave.",
                env!("CARGO_PKG_VERSION")
            );
        }
        let mut pending = String::new();
        loop {
            let prompt = if pending.is_empty() { "kql> " } else { "...> " };
            let line = match self.prefill.take() {
                Some(text) => self.editor.readline_with_initial(prompt, (&text, "")),
                None => self.editor.readline(prompt),
            };
            let line = match line {
                Ok(l) => l,
                Err(ReadlineError::Interrupted) => {
                    pending.clear();
                    continue;
                }
                Err(ReadlineError::Eof) => {
                    if !pending.trim().is_empty() {
                        let text = std::mem::take(&mut pending);
                        self.handle(input::query_text(&text));
                    }
                    break;
                }
                Err(e) => {
                    eprintln!("error: cannot read input: {e}");
                    break;
                }
            };
            // on a terminal the validator returns whole queries; piped input comes line by line
            let text = if tty {
                line
            } else {
                if !pending.is_empty() {
                    pending.push('\n');
                }
                pending.push_str(&line);
                if !input::input_complete(&pending) {
                    continue;
                }
                std::mem::take(&mut pending)
            };
            if text.trim().is_empty() {
                continue;
            }
            self.remember(text.trim_end());
            if self.handle(input::query_text(&text)) == Flow::Quit {
                break;
            }
        }
        if let Some(t) = self.output.as_mut().and_then(|t| t.file.as_mut()) {
            let _ = t.flush();
        }
    }

    /// Adds an entry to the history and appends it to the history file.
    fn remember(&mut self, text: &str) {
        let _ = self.editor.add_history_entry(text);
        if let (Some(p), Some(d)) = (&self.history_path, &self.data_dir) {
            if std::fs::create_dir_all(d).is_ok() {
                let _ = self.editor.append_history(p);
            }
        }
    }

    /// One unit of input: a dot command, `let` statements to keep, or a query to run.
    fn handle(&mut self, text: &str) -> Flow {
        let text = text.trim();
        if text.is_empty() {
            return Flow::Continue;
        }
        if text.starts_with('.') {
            return self.command(text);
        }
        let src = Source::new("<repl>", text);
        match only_lets(&src) {
            Err(e) => show_error(e, Some(&src)),
            Ok(true) => match self.session.borrow_mut().define(&src) {
                Ok(names) => println!("defined {} (.lets lists them)", names.join(", ")),
                Err(e) => show_error(e, Some(&src)),
            },
            Ok(false) => self.run_query(src),
        }
        Flow::Continue
    }

    /// Runs a query, shows (or writes) its results, keeps them for `.inspect` and `.filter`.
    fn run_query(&mut self, src: Source) {
        self.last_query = Some(src.text.clone());
        self.cancel.store(false, Ordering::SeqCst);
        if self.timer {
            reset_peak_memory();
        }
        let started = Instant::now();
        let results = match self.session.borrow().run(&src) {
            Ok(r) => r,
            Err(e) => return show_error(e, Some(&src)),
        };
        for r in results {
            for n in &r.notices {
                eprintln!("note: {n}");
            }
            let render = r.chart().cloned();
            let schema = r.schema;
            let to_file = self.output.is_some();
            let pulled = self.pull(&schema, r.batches);
            let (batches, more) = match pulled {
                Ok(p) => p,
                Err(Stop::Failed(e)) => return show_error(e, Some(&src)),
                Err(Stop::Cancelled) => {
                    eprintln!("query cancelled (Ctrl-C); the session is kept");
                    return;
                }
                Err(Stop::Write(path, e)) => {
                    eprintln!("error: cannot write {}: {e}", path.display());
                    self.output = None;
                    return;
                }
            };
            let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
            if !to_file {
                self.show(&schema, &batches, render.as_ref());
            }
            if more && !to_file {
                eprintln!(
                    "note: showing the first {} rows; the result has more (.set maxrows=N to change the cap)",
                    self.max_rows
                );
            }
            if !to_file {
                self.footer(rows, more, started.elapsed());
            }
            self.last = Some(LastResult { query: src.text.clone(), schema, batches, render });
        }
    }

    /// Pulls the rows of a running query, up to the row cap when they only go to the screen (all of them when a
    /// file takes them), checking Ctrl-C between bounded waits. Returns the rows kept and whether more were left.
    fn pull(&mut self, schema: &KqlSchema, mut stream: BatchStream) -> Result<(Vec<RecordBatch>, bool), Stop> {
        let mut kept = Vec::new();
        let mut rows = 0usize;
        let mut more = false;
        let mut target = self.output.take();
        let path = target.as_ref().map(|t| t.path.clone()).unwrap_or_default();
        // a Parquet file holds one result, written as it comes
        let mut sink = match &target {
            Some(t) if t.file.is_none() => Some(
                crate::load::parquet::ParquetSink::create(&t.path, &schema.columns)
                    .map_err(|e| Stop::Write(t.path.clone(), std::io::Error::other(e.to_string())))?,
            ),
            _ => None,
        };
        let format = format_of(&target);
        let mut writer = match target.as_mut().and_then(|t| t.file.as_mut()) {
            Some(f) => Some(ResultWriter::begin(schema, format, f).map_err(|e| Stop::Write(path.clone(), e))?),
            None => None,
        };
        let started = Instant::now();
        let mut told = !std::io::IsTerminal::is_terminal(&std::io::stderr());
        loop {
            if self.cancel.swap(false, Ordering::SeqCst) {
                return Err(Stop::Cancelled);
            }
            let batch = match stream.next_within(CANCEL_POLL) {
                Pulled::Pending => {
                    if !told && started.elapsed() > RUNNING_NOTICE {
                        eprintln!("running… (Ctrl-C cancels)");
                        told = true;
                    }
                    continue;
                }
                Pulled::End => break,
                Pulled::Batch(b) => b.map_err(Stop::Failed)?,
            };
            if let Some(w) = writer.as_mut() {
                w.write_batch(&batch).map_err(|e| Stop::Write(path.clone(), e))?;
            }
            if let Some(s) = sink.as_mut() {
                s.write(&batch).map_err(|e| Stop::Write(path.clone(), std::io::Error::other(e.to_string())))?;
            }
            let room = self.max_rows.saturating_sub(rows);
            if batch.num_rows() > room {
                more = true;
                if room > 0 {
                    kept.push(batch.slice(0, room));
                    rows += room;
                }
                if writer.is_none() && sink.is_none() {
                    break; // dropping the stream stops the query
                }
            } else {
                rows += batch.num_rows();
                kept.push(batch);
            }
        }
        drop(stream);
        if let Some(w) = writer {
            let n = w.finish().map_err(|e| Stop::Write(path.clone(), e))?;
            eprintln!("wrote {n} rows to {}", path.display());
        }
        if let Some(s) = sink {
            let n = s.finish().map_err(|e| Stop::Write(path.clone(), std::io::Error::other(e.to_string())))?;
            eprintln!(
                "wrote {n} rows to {} (a Parquet file holds one result; results go to the screen again)",
                path.display()
            );
        }
        if let Some(mut t) = target {
            if let Some(f) = t.file.as_mut() {
                let _ = f.flush();
            }
            if !t.once && t.file.is_some() {
                self.output = Some(t);
            }
        }
        Ok((kept, more))
    }

    /// Shows rows on the terminal in the current mode: the chart of a `render` in table and vertical modes,
    /// through the pager when taller than the screen.
    fn show(&mut self, schema: &KqlSchema, batches: &[RecordBatch], render: Option<&crate::chart::RenderSpec>) {
        let width = display::terminal_width();
        let text = match (self.mode, render) {
            (Mode::Table | Mode::Vertical, Some(spec)) => match crate::chart::Chart::build(spec, schema, batches) {
                Ok(chart) => {
                    let color =
                        std::io::IsTerminal::is_terminal(&std::io::stdout()) && std::env::var_os("NO_COLOR").is_none();
                    let height = display::terminal_height().saturating_sub(10).clamp(8, 24);
                    Some(crate::chart::text::draw(&chart, width, height, color))
                }
                Err(e) => {
                    eprintln!("note: no chart: {e}; the rows follow");
                    None
                }
            },
            _ => None,
        };
        let text = match text {
            Some(t) => t,
            None => match self.mode {
                Mode::Table => format!("{}\n", display::table(schema, &display::text_rows(schema, batches), width)),
                Mode::Vertical => display::vertical(schema, &display::text_rows(schema, batches), width),
                Mode::Text(f) => {
                    let mut buf = Vec::new();
                    let _ = crate::output::render(schema, batches, f, &mut buf);
                    String::from_utf8_lossy(&buf).into_owned()
                }
            },
        };
        self.page(&text);
    }

    /// Prints `text`, through the pager when it is on, stdout is a terminal and the text is taller than it.
    fn page(&self, text: &str) {
        let tall = text.lines().count() + 2 > display::terminal_height();
        let tty = std::io::IsTerminal::is_terminal(&std::io::stdout());
        if let (Some(cmd), true, true) = (&self.pager, tall, tty) {
            if display::page(cmd, text).is_ok() {
                // Ctrl-C in the pager is the pager's own
                self.cancel.store(false, Ordering::SeqCst);
                return;
            }
        }
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }

    fn footer(&self, rows: usize, more: bool, took: Duration) {
        let plus = if more { "+" } else { "" };
        let s = if rows == 1 && !more { "" } else { "s" };
        let mut line = format!("{rows}{plus} row{s} ({:.3} s)", took.as_secs_f64());
        if self.timer {
            if let Some(kib) = peak_memory_kib() {
                line.push_str(&format!(", peak memory {:.1} MiB", kib as f64 / 1024.0));
            }
            // what the query read: rows, files, bytes, seconds, coerced values
            for l in crate::load::summary(&self.session.borrow().take_load_reports()) {
                line.push_str(&format!("\n{l}"));
            }
        } else {
            let _ = self.session.borrow().take_load_reports();
        }
        eprintln!("{line}");
    }
}

/// The pager the REPL starts with: `$KQLITE_PAGER`, else `$PAGER`, else `less -RSFX` (an empty value turns it
/// off).
fn default_pager() -> Option<String> {
    let from_env = std::env::var("KQLITE_PAGER").ok().or_else(|| std::env::var("PAGER").ok());
    match from_env {
        Some(p) if p.trim().is_empty() => None,
        Some(p) => Some(p),
        None => Some("less -RSFX".to_string()),
    }
}

/// The text format of a file target.
fn format_of(t: &Option<FileTarget>) -> Format {
    t.as_ref().map_or(Format::Csv, |t| t.format)
}

/// Why pulling rows stopped early.
enum Stop {
    Failed(Error),
    Cancelled,
    Write(PathBuf, std::io::Error),
}

/// Whether every statement of the text is a `let` (then it is kept, not run).
fn only_lets(src: &Source) -> Result<bool, Error> {
    let tokens = crate::lexer::lex(src)?;
    let script = crate::parser::parse(src, &tokens)?;
    Ok(!script.statements.is_empty() && script.statements.iter().all(|s| matches!(s, crate::ast::Statement::Let(_))))
}

/// Resets the process's peak resident memory (Linux: `5` to /proc/self/clear_refs), so the next reading is
/// this query's.
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The process's peak resident memory in KiB since the last reset (Linux `VmHWM`); `None` elsewhere.
fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
