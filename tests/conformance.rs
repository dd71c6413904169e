//! Runs `tests/conformance/*.kqlt` (format: tests/conformance/README.md and `kqlite::harness::kqlt`). Every case
//! is a named test, `<file>::<line>`, run in a fresh catalog built from the `.set` lines above it. Reading the
//! file and comparing results live in `kqlite::harness`; this file only runs setup and query.

use kqlite::harness::compare::{compare, compare_all, compare_error};
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
    let verdict = match session.run_collect_all(&src) {
        Ok(results) => compare_all(case, &results),
        Err(e) => compare_error(case, &e),
    };
    Ok(verdict?)
}

/// A case's plan through protobuf bytes and back (decoded against the session's function registry and
/// tables), then run: it must give the case's expected result.
fn run_roundtrip(setup: &[Setup], case: &Case) -> Result<(), Failed> {
    use datafusion_proto::bytes::{
        logical_plan_from_bytes_with_extension_codec, logical_plan_to_bytes_with_extension_codec,
    };
    let session = session(setup)?;
    let src = Source::new("case", case.query.clone());
    let q = session.bind_to_run(&src).map_err(|e| format!("query failed: {}: {e}", e.code()))?;
    let codec = roundtrip::TableCodec::of(&session);
    let bytes = logical_plan_to_bytes_with_extension_codec(&q.plan, &codec)
        .map_err(|e| format!("cannot serialize the plan: {e}\n{}", q.plan.display_indent()))?;
    let ctx = session.executor().context();
    let decoded = logical_plan_from_bytes_with_extension_codec(&bytes, &ctx.task_ctx(), &codec)
        .map_err(|e| format!("cannot decode the plan: {e}\n{}", q.plan.display_indent()))?;
    let batches = session.executor().collect(decoded).map_err(|e| format!("the decoded plan failed: {e}"))?;
    // the last result table (earlier ones are plans of the same kind)
    let last = Case {
        header: case.more.last().map_or(case.header.clone(), |m| m.0.clone()),
        rows: case.more.last().map_or(case.rows.clone(), |m| m.1.clone()),
        more: vec![],
        ..case.clone()
    };
    Ok(compare(&last, &q.schema, &batches)?)
}

mod roundtrip {
    //! The extension codec for kqlite's table providers: a session table travels by name (the receiving side
    //! has the same tables registered), an empty table by its schema alone.
    use datafusion::arrow::datatypes::SchemaRef;
    use datafusion::catalog::empty::EmptyTable;
    use datafusion::common::{not_impl_err, Result, TableReference};
    use datafusion::datasource::TableProvider;
    use datafusion::execution::TaskContext;
    use datafusion::logical_expr::Extension;
    use datafusion::logical_expr::LogicalPlan;
    use datafusion_proto::logical_plan::LogicalExtensionCodec;
    use kqlite::load::DataTable;
    use std::collections::HashMap;
    use std::sync::Arc;

    #[derive(Debug)]
    pub struct TableCodec {
        tables: HashMap<String, Arc<dyn TableProvider>>,
    }

    impl TableCodec {
        pub fn of(s: &kqlite::Session) -> Self {
            let tables = s.catalog().loaded.iter().map(|(n, t)| (n.clone(), t.provider.clone())).collect();
            TableCodec { tables }
        }
    }

    impl LogicalExtensionCodec for TableCodec {
        fn try_decode(&self, _buf: &[u8], _inputs: &[LogicalPlan], _ctx: &TaskContext) -> Result<Extension> {
            not_impl_err!("kqlite plans have no extension nodes")
        }
        fn try_encode(&self, _node: &Extension, _buf: &mut Vec<u8>) -> Result<()> {
            not_impl_err!("kqlite plans have no extension nodes")
        }
        fn try_decode_table_provider(
            &self,
            buf: &[u8],
            _table_ref: &TableReference,
            schema: SchemaRef,
            _ctx: &TaskContext,
        ) -> Result<Arc<dyn TableProvider>> {
            match buf.split_first() {
                Some((b'E', _)) => Ok(Arc::new(EmptyTable::new(schema))),
                Some((b'T', name)) => {
                    let name = String::from_utf8_lossy(name).to_string();
                    match self.tables.get(&name) {
                        Some(t) => Ok(t.clone()),
                        None => not_impl_err!("no table {name} in this session"),
                    }
                }
                _ => not_impl_err!("unknown table encoding"),
            }
        }
        fn try_encode_table_provider(
            &self,
            _table_ref: &TableReference,
            node: Arc<dyn TableProvider>,
            buf: &mut Vec<u8>,
        ) -> Result<()> {
            if let Some(t) = node.downcast_ref::<DataTable>() {
                buf.push(b'T');
                buf.extend_from_slice(t.name().as_bytes());
                Ok(())
            } else if node.is::<EmptyTable>() {
                buf.push(b'E');
                Ok(())
            } else {
                not_impl_err!("a table provider kqlite does not make")
            }
        }
    }
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
            if case.error.is_none() {
                let (setup, case) = (setup.clone(), case.clone());
                let roundtrip = move || run_roundtrip(&setup, &case);
                trials.push(Trial::test(format!("roundtrip::{name}"), roundtrip).with_ignored_flag(later));
            }
            trials.push(Trial::test(name, move || run_case(&setup, &case)).with_ignored_flag(later));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
