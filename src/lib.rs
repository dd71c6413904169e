//! kqlite: an embedded interpreter for the Kusto Query Language.
//!
//! ```text
//! Source ─lexer::lex─▶ Vec<Tok> ─parser::parse─▶ ast::Script
//!   ─binder::bind(&Catalog, &Options)─▶ BoundQuery { plan: LogicalPlan, schema: KqlSchema }
//!   ─exec::execute─▶ optimised LogicalPlan ─▶ ExecutionPlan ─▶ RecordBatch stream
//!   ─output::render(&KqlSchema, Format, &mut dyn Write)─▶ table | csv | json | ndjson | typed-json
//! ```

pub mod ast;
pub mod binder;
pub mod catalog;
pub mod chart;
pub mod cli;
pub mod diagnostics;
pub mod exec;
pub mod functions;
pub mod harness;
pub mod lexer;
pub mod load;
pub mod names;
pub mod output;
pub mod parser;
pub mod repl;
pub mod sample;
pub mod session;
pub mod source;
pub mod types;
pub mod values;

pub use binder::{BoundQuery, Options};
pub use catalog::{Catalog, Env};
pub use diagnostics::Error;
pub use session::{QueryResult, Session, SessionOptions};
pub use source::Source;

use datafusion::arrow::record_batch::RecordBatch;

/// Lex + parse + bind: everything but running. Errors come before any row is read.
pub fn check(src: &Source, catalog: &Catalog, opts: &Options) -> Result<BoundQuery, Error> {
    let tokens = lexer::lex(src)?;
    let script = parser::parse(src, &tokens)?;
    Ok(binder::bind(&script, catalog, opts)?)
}

/// Binds and runs a query over `catalog` with a one-off executor, returning its schema and rows (a
/// [`Session`] reuses one executor across queries; prefer it).
pub fn run_query(src: &Source, catalog: &Catalog, opts: &Options) -> Result<(BoundQuery, Vec<RecordBatch>), Error> {
    let q = check(src, catalog, opts)?;
    let batches = exec::Executor::new(None)?.collect(q.plan.clone())?;
    Ok((q, batches))
}
