//! REPL dot commands: `.help`, `.tables`, `.schema`, `.inspect`, `.filter`, `.output`, … Each reads or
//! changes the REPL's state or the session, and prints its answer; a mistake prints a line and changes nothing.

use super::display;
use super::helper::COMMANDS;
use super::{show_error, FileTarget, Flow, Mode, Repl};
use crate::output::Format;
use crate::Source;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Deepest `.read` inside `.read`.
const MAX_READ_DEPTH: usize = 8;

impl Repl {
    /// Runs one dot command line.
    pub(super) fn command(&mut self, line: &str) -> Flow {
        let (cmd, arg) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let arg = arg.trim();
        match cmd {
            ".quit" | ".exit" | ".q" => return Flow::Quit,
            ".help" | ".h" => help(),
            ".tables" => self.tables(),
            ".schema" => self.schema(arg),
            ".actiontypes" => self.action_types(arg),
            ".load" => self.load(arg),
            ".now" => self.now(arg),
            ".set" => self.set(arg),
            ".mode" | ".format" => self.mode(arg),
            ".output" => self.output(arg, false),
            ".once" => self.output(arg, true),
            ".timer" => match arg {
                "on" => self.timer = true,
                "off" => self.timer = false,
                _ => println!("timer is {}; .timer on|off", if self.timer { "on" } else { "off" }),
            },
            ".inspect" => self.inspect(arg),
            ".filter" => self.filter(arg),
            ".lets" => self.lets(),
            ".history" => self.history(),
            ".save" => self.save(arg),
            ".open" => self.open(arg),
            ".queries" => self.queries(),
            ".read" => return self.read(arg),
            ".explain" => self.explain(arg),
            ".chart" => self.chart(arg),
            ".pager" => self.set_pager(arg),
            _ => {
                let names = COMMANDS.iter().filter_map(|(c, _)| c.split_whitespace().next());
                let hint =
                    crate::names::did_you_mean(cmd, names).map(|s| format!("; did you mean {s}?")).unwrap_or_default();
                println!("unknown command {cmd}{hint} (.help lists them)");
            }
        }
        Flow::Continue
    }

    /// Runs a query to the end and returns its rows as text (for `.tables` and `.actiontypes`).
    fn query_rows(&self, text: &str) -> Result<Vec<Vec<String>>, crate::Error> {
        let (schema, batches) = self.session.borrow().run_collect(&Source::new("<repl>", text))?;
        Ok(display::text_rows(&schema, &batches))
    }

    fn tables(&mut self) {
        let tables = self.session.borrow().tables();
        let (catalog, env) = {
            let s = self.session.borrow();
            (s.catalog().table_names(s.options().env).len(), s.options().env)
        };
        let mut t = comfy_table::Table::new();
        t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
        t.set_header(vec!["Table", "Rows", "Columns", "From"]);
        for info in &tables {
            let rows = match self.query_rows(&format!("{} | count", display::column_ref(&info.name))) {
                Ok(r) => r.first().and_then(|r| r.first()).cloned().unwrap_or_default(),
                Err(e) => format!("error: {}", e.code()),
            };
            t.add_row(vec![info.name.clone(), rows, info.schema.len().to_string(), info.origin.clone()]);
        }
        if tables.is_empty() {
            println!("no data loaded (.load PATH)");
        } else {
            println!("{t}");
        }
        println!(
            "{} more tables in the {env:?} catalog have a schema and no data (empty when queried; .schema T)",
            catalog.saturating_sub(tables.len())
        );
    }

    /// The name as the catalog spells it, or a message with a did-you-mean.
    fn table_name(&self, arg: &str) -> Option<String> {
        if arg.is_empty() {
            println!("usage: .schema T / .actiontypes T");
            return None;
        }
        let s = self.session.borrow();
        let names = s.catalog().table_names(s.options().env);
        if let Some(n) =
            names.iter().find(|n| n.as_str() == arg).or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(arg)))
        {
            return Some(n.clone());
        }
        let hint = crate::names::did_you_mean(arg, names.iter().map(|n| n.as_str()))
            .map(|n| format!("; did you mean {n}?"))
            .unwrap_or_default();
        println!("no table {arg}{hint}");
        None
    }

    fn schema(&mut self, arg: &str) {
        let Some(name) = self.table_name(arg) else { return };
        let s = self.session.borrow();
        let q = match s.check(&Source::new("<repl>", display::column_ref(&name))) {
            Ok(q) => q,
            Err(e) => return show_error(e, None),
        };
        let origin = s.tables().into_iter().find(|t| t.name == name).map(|t| format!("loaded from {}", t.origin));
        println!("{name}: {} columns, {}", q.schema.len(), origin.unwrap_or_else(|| "no data loaded".into()));
        let mut t = comfy_table::Table::new();
        t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
        t.set_header(vec!["Column", "Type"]);
        for c in &q.schema.columns {
            t.add_row(vec![c.name.clone(), c.ty.to_string()]);
        }
        println!("{t}");
        let n = builtin_action_types(&name).len();
        if n > 0 {
            println!("{n} known ActionType values: .actiontypes {name}");
        }
    }

    fn action_types(&mut self, arg: &str) {
        let Some(name) = self.table_name(arg) else { return };
        let known = builtin_action_types(&name);
        let has_column = self.session.borrow().check(&Source::new("<repl>", format!("{name} | project ActionType")));
        if has_column.is_err() {
            println!("{name} has no ActionType column");
            return;
        }
        let counted =
            match self.query_rows(&format!("{name} | summarize Rows = count() by ActionType | sort by Rows desc")) {
                Ok(r) => r,
                Err(e) => return show_error(e, None),
            };
        let mut t = comfy_table::Table::new();
        t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
        t.set_header(vec!["ActionType", "Rows", "In catalog"]);
        let mut seen = Vec::new();
        for r in &counted {
            let (Some(v), Some(n)) = (r.first(), r.get(1)) else { continue };
            t.add_row(vec![v.clone(), n.clone(), if known.contains(v) { "yes" } else { "no" }.to_string()]);
            seen.push(v.clone());
        }
        for v in known.iter().filter(|v| !seen.contains(v)) {
            t.add_row(vec![v.clone(), "0".to_string(), "yes".to_string()]);
        }
        println!("{t}");
        println!("{} values in the data, {} in the catalog", counted.len(), known.len());
    }

    fn load(&mut self, arg: &str) {
        if arg.is_empty() {
            return println!("usage: .load PATH (a data file or folder)");
        }
        let added = self.session.borrow_mut().add_data(arg);
        for n in self.session.borrow_mut().take_notices() {
            println!("note: {n}");
        }
        match added {
            Ok(names) if names.is_empty() => println!("no data files found in {arg}"),
            Ok(names) => println!("found {} tables: {}", names.len(), names.join(", ")),
            Err(e) => show_error(e, None),
        }
    }

    fn now(&mut self, arg: &str) {
        match arg {
            "" => match self.session.borrow().options().now_ns {
                Some(ns) => println!("now() is pinned to {}", crate::values::format_datetime(ns)),
                None => println!("now() is the wall clock"),
            },
            "clock" => self.session.borrow_mut().set_now(None),
            t => match crate::session::parse_now(t) {
                Some(ns) => self.session.borrow_mut().set_now(Some(ns)),
                None => {
                    println!("'{t}' is not a datetime; use ISO-8601, e.g. .now 2025-03-15T00:00:00Z, or .now clock")
                }
            },
        }
    }

    fn set(&mut self, arg: &str) {
        let Some((name, value)) = arg.split_once('=').map(|(n, v)| (n.trim(), v.trim())) else {
            return println!("usage: .set NAME=VALUE (maxrows=N, or a query parameter as with --set)");
        };
        match name {
            "maxrows" => match value.parse::<usize>() {
                Ok(n) if n > 0 => self.max_rows = n,
                _ => println!("maxrows: '{value}' is not a positive number"),
            },
            "" => println!("usage: .set NAME=VALUE"),
            _ => {
                self.session.borrow_mut().set_param(name, value);
                println!("{name} = {value} replaces `let {name} = ...` in later queries");
            }
        }
    }

    fn mode(&mut self, arg: &str) {
        self.mode = match arg {
            "table" => Mode::Table,
            "vertical" => Mode::Vertical,
            "csv" => Mode::Text(Format::Csv),
            "json" => Mode::Text(Format::Json),
            "ndjson" => Mode::Text(Format::Ndjson),
            _ => return println!("usage: .mode table|vertical|csv|json|ndjson"),
        };
    }

    /// `.chart FILE`: the last result's chart as an SVG or PNG image.
    fn chart(&mut self, arg: &str) {
        if arg.is_empty() {
            return println!("usage: .chart FILE (.svg or .png): the last result's render chart as an image");
        }
        let Some(last) = &self.last else { return println!("no result yet: run a query ending in | render ...") };
        let Some(spec) = &last.render else {
            return println!("the last query has no chart: end it with | render timechart (or columnchart, ...)");
        };
        let path = PathBuf::from(arg);
        if path.exists() {
            return println!("{arg} already exists; not overwriting it (remove it or choose another name)");
        }
        let written = crate::chart::Chart::build(spec, &last.schema, &last.batches)
            .and_then(|c| crate::chart::image::write(&c, &path));
        match written {
            Ok(()) => println!("wrote the {} to {arg}", spec.visualization.name()),
            Err(e) => println!("cannot write the chart: {e}"),
        }
    }

    /// `.pager on|off|COMMAND`.
    fn set_pager(&mut self, arg: &str) {
        match arg {
            "" => match &self.pager {
                Some(p) => println!("pager is on: {p} (.pager off to print results straight)"),
                None => println!("pager is off (.pager on, or .pager COMMAND)"),
            },
            "off" => self.pager = None,
            "on" => self.pager = Some(super::default_pager().unwrap_or_else(|| "less -RSFX".to_string())),
            cmd => self.pager = Some(cmd.to_string()),
        }
    }

    fn output(&mut self, arg: &str, once: bool) {
        if arg.is_empty() {
            if once {
                return println!("usage: .once FILE (.csv, .json, .ndjson or .parquet)");
            }
            if let Some(t) = self.output.take() {
                println!("results go to the screen again (were going to {})", t.path.display());
            }
            return;
        }
        let path = PathBuf::from(arg);
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
        let format = match ext.as_str() {
            "csv" => Format::Csv,
            "json" => Format::Json,
            "ndjson" | "jsonl" => Format::Ndjson,
            "parquet" => Format::Csv,
            "svg" | "png" => {
                return println!("{arg}: charts are written with .chart FILE after a query that ends in | render")
            }
            _ => return println!("{arg}: give a file ending in .csv, .json, .ndjson or .parquet"),
        };
        if path.exists() {
            return println!("{arg} already exists; not overwriting it (remove it or choose another name)");
        }
        if ext == "parquet" {
            // created when the next result's schema is known; it holds that one result
            println!("the next result goes to {arg}");
            self.output = Some(FileTarget { path, format, once: true, file: None });
            return;
        }
        match std::fs::File::create_new(&path) {
            Ok(f) => {
                let file = std::io::BufWriter::new(f);
                println!("{} result{} go to {arg}", if once { "the next" } else { "" }, if once { "" } else { "s" });
                self.output = Some(FileTarget { path, format, once, file: Some(file) });
            }
            Err(e) => println!("cannot create {arg}: {e}"),
        }
    }

    /// The row `arg` (1-based) of the last result, its cells and the result's schema.
    fn last_row(&self, arg: &str) -> Option<(usize, usize, usize)> {
        let Some(last) = &self.last else {
            println!("no result yet: run a query first");
            return None;
        };
        let total: usize = last.batches.iter().map(|b| b.num_rows()).sum();
        if total == 0 {
            println!("the last result has no rows");
            return None;
        }
        let n = match arg.parse::<usize>() {
            Ok(n) if (1..=total).contains(&n) => n,
            _ => {
                println!("give a row number from 1 to {total}");
                return None;
            }
        };
        // which batch and row inside it
        let mut skip = n - 1;
        for (bi, b) in last.batches.iter().enumerate() {
            if skip < b.num_rows() {
                return Some((n, bi, skip));
            }
            skip -= b.num_rows();
        }
        None
    }

    fn inspect(&mut self, arg: &str) {
        let Some((n, bi, r)) = self.last_row(arg.trim()) else { return };
        let Some(last) = &self.last else { return };
        let Some(batch) = last.batches.get(bi) else { return };
        let rows = display::text_rows(&last.schema, std::slice::from_ref(&batch.slice(r, 1)));
        if let Some(row) = rows.first() {
            print!("{}", display::record(&last.schema, row, n, display::terminal_width(), true));
        }
    }

    fn filter(&mut self, arg: &str) {
        let parts: Vec<&str> = arg.split_whitespace().collect();
        let (row, column, negate) = match parts.as_slice() {
            [r, c] => (*r, *c, false),
            [r, c, "!="] => (*r, *c, true),
            [r, c, "=="] => (*r, *c, false),
            _ => return println!("usage: .filter N COLUMN [!=]"),
        };
        let Some((_, bi, r)) = self.last_row(row) else { return };
        let Some(last) = &self.last else { return };
        let Some((i, col)) = last.schema.find(column) else {
            let hint = crate::names::did_you_mean(column, last.schema.names())
                .map(|n| format!("; did you mean {n}?"))
                .unwrap_or_default();
            return println!("no column {column} in the last result{hint}");
        };
        let Some(batch) = last.batches.get(bi) else { return };
        let pred = display::filter_predicate(&col.name, col.ty, batch.column(i).as_ref(), r, negate);
        let base = last.query.trim_end().trim_end_matches(';').trim_end();
        let query = format!("{base}\n| where {pred}");
        println!("{query}");
        self.remember(&query);
        self.run_query(Source::new("<repl>", query));
    }

    fn lets(&self) {
        let defs = self.session.borrow().definitions();
        if defs.is_empty() {
            println!("no let statements kept (type one alone, e.g. let Window = 3d;)");
        }
        for (_, text) in defs {
            println!("{text}");
        }
    }

    fn history(&self) {
        let entries: Vec<&String> = self.editor.history().iter().collect();
        let from = entries.len().saturating_sub(50);
        for (i, e) in entries.iter().enumerate().skip(from) {
            println!("{:>4}  {}", i + 1, e.replace('\n', "\n      "));
        }
    }

    fn queries_path(&self) -> Option<PathBuf> {
        self.data_dir.as_ref().map(|d| d.join("queries.json"))
    }

    fn saved(&self) -> BTreeMap<String, String> {
        let Some(p) = self.queries_path() else { return BTreeMap::new() };
        std::fs::read_to_string(p).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default()
    }

    fn save(&mut self, name: &str) {
        if name.is_empty() {
            return println!("usage: .save NAME");
        }
        let Some(query) = self.last_query.clone() else { return println!("no query yet: run one, then .save NAME") };
        let (Some(path), Some(dir)) = (self.queries_path(), self.data_dir.clone()) else {
            return println!("no data folder (set HOME or XDG_DATA_HOME) to keep saved queries in");
        };
        let mut all = self.saved();
        let replaced = all.insert(name.to_string(), query).is_some();
        let text = serde_json::to_string_pretty(&all).unwrap_or_default();
        match std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(&path, text)) {
            Ok(()) => println!("{} {name} ({})", if replaced { "replaced" } else { "saved" }, path.display()),
            Err(e) => println!("cannot write {}: {e}", path.display()),
        }
    }

    fn open(&mut self, name: &str) {
        let all = self.saved();
        let Some(q) = all.get(name) else {
            let hint = crate::names::did_you_mean(name, all.keys().map(|k| k.as_str()))
                .map(|n| format!("; did you mean {n}?"))
                .unwrap_or_default();
            return println!("no saved query {name}{hint} (.queries lists them)");
        };
        if std::io::IsTerminal::is_terminal(&std::io::stdin()) && self.read_depth == 0 {
            // in the editor, to change or run with Enter on a blank line
            self.prefill = Some(format!("{q}\n"));
        } else {
            println!("{q}");
            self.run_query(Source::new("<repl>", q.clone()));
        }
    }

    fn queries(&self) {
        let all = self.saved();
        if all.is_empty() {
            println!("no saved queries (.save NAME keeps the last query)");
        }
        for (name, q) in all {
            let first = q.lines().next().unwrap_or_default();
            let more = if q.lines().count() > 1 { " …" } else { "" };
            println!("{name:<20} {first}{more}");
        }
    }

    fn read(&mut self, arg: &str) -> Flow {
        if arg.is_empty() {
            println!("usage: .read FILE");
            return Flow::Continue;
        }
        if self.read_depth >= MAX_READ_DEPTH {
            println!(".read nested deeper than {MAX_READ_DEPTH}; stopped");
            return Flow::Continue;
        }
        let text = match std::fs::read_to_string(Path::new(arg)) {
            Ok(t) => t,
            Err(e) => {
                println!("cannot read {arg}: {e}");
                return Flow::Continue;
            }
        };
        self.read_depth += 1;
        let mut flow = Flow::Continue;
        for unit in super::input::split_script(&text) {
            if self.handle(&unit) == Flow::Quit {
                flow = Flow::Quit;
                break;
            }
        }
        self.read_depth -= 1;
        flow
    }

    fn explain(&self, arg: &str) {
        let text = if arg.is_empty() { self.last_query.clone() } else { Some(arg.to_string()) };
        let Some(text) = text else { return println!("usage: .explain QUERY (or run a query first)") };
        let src = Source::new("<repl>", text);
        match self.session.borrow().explain(&src) {
            Ok(t) => println!("{t}"),
            Err(e) => show_error(e, Some(&src)),
        }
    }
}

fn help() {
    println!("Type a query and end it with a blank line or ;; (a line ending in | or inside brackets goes on).");
    println!("A let statement typed alone is kept for later queries. Tab completes, Ctrl-C cancels, Ctrl-D leaves.");
    for (c, what) in COMMANDS {
        println!("  {c:<40} {what}");
    }
}

/// The catalog's ActionType values of a table (Defender's, then Sentinel's).
fn builtin_action_types(name: &str) -> Vec<String> {
    crate::catalog::defender()
        .get(name)
        .or_else(|| crate::catalog::sentinel().get(name))
        .map(|t| t.action_types.clone())
        .unwrap_or_default()
}
