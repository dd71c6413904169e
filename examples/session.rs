//! kqlite as a library: one `Session` over the bundled incident, the way the CLI, the REPL and `test` use it.
//!
//!     cargo run --example session
//!
//! Registers the dump (schemas only), keeps a `let`, checks a query without data, runs it with results
//! streamed batch by batch, completes a half-typed query and explains a plan.

use kqlite::output::{Format, ResultWriter};
use kqlite::{Session, SessionOptions, Source};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let now = kqlite::parser::parse_datetime_text("2025-03-15T00:00:00Z");
    let mut s = Session::new(SessionOptions { now_ns: now, ..SessionOptions::default() })?;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/incident");
    let tables = s.add_data(&dir)?;
    println!("registered {} tables (no row read yet): {}", tables.len(), tables.join(", "));

    s.define(&Source::from("let Window = 7d;"))?;
    let query = Source::from(
        "DeviceLogonEvents | where Timestamp > ago(Window) | summarize Logons = count() by AccountName | top 3 by Logons",
    );
    let checked = s.check(&query)?;
    let columns: Vec<String> = checked.schema.columns.iter().map(|c| format!("{}:{}", c.name, c.ty)).collect();
    println!("result columns: {}", columns.join(", "));

    let mut out = std::io::stdout().lock();
    for result in s.run(&query)? {
        let mut w = ResultWriter::begin(&result.schema, Format::Csv, &mut out)?;
        for batch in result.batches {
            w.write_batch(&batch?)?;
        }
        w.finish()?;
    }
    drop(out);
    for t in s.tables().iter().filter(|t| t.loads > 0) {
        println!("read: {} ({} time)", t.name, t.loads);
    }

    let text = "DeviceLogonEvents | where Acc";
    let names: Vec<String> = s.complete(text, text.len()).items.into_iter().map(|c| c.text).collect();
    println!("completions for '{text}': {}", names.join(", "));
    println!("{}", s.explain(&query)?);
    Ok(())
}
