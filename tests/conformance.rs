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
    //! The extension codec for kqlite's table providers and plan nodes: a session table travels by name (the
    //! receiving side has the same tables registered), an empty table by its schema alone, a `scan` node as
    //! its settings (JSON) and its expressions (a projection over an empty table of its evaluation schema).
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
        fn try_decode(&self, buf: &[u8], inputs: &[LogicalPlan], ctx: &TaskContext) -> Result<Extension> {
            match buf.split_first() {
                // materialize: a fresh shared slot on the receiving side (each decoded reference computes its
                // own rows: correct, if not shared)
                Some((b'M', _)) => {
                    let Some(input) = inputs.first().cloned() else {
                        return not_impl_err!("materialize without input");
                    };
                    let node = kqlite::binder::materialize::MaterializeNode {
                        input,
                        shared: kqlite::binder::materialize::Shared::new(),
                    };
                    Ok(Extension { node: std::sync::Arc::new(node) })
                }
                Some((b'S', rest)) => super::scan_codec::decode(self, rest, inputs, ctx),
                _ => not_impl_err!("unknown extension node encoding"),
            }
        }
        fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
            if node.node.as_any().is::<kqlite::binder::materialize::MaterializeNode>() {
                buf.push(b'M');
                return Ok(());
            }
            buf.push(b'S');
            super::scan_codec::encode(self, node, buf)
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

mod scan_codec {
    //! `scan`'s plan node through bytes: `[json length: u32 LE][json][plan bytes]`. The plan is a projection
    //! of the declared defaults, then each step's condition and assignments, over an empty table with the
    //! node's evaluation schema.
    use super::roundtrip::TableCodec;
    use datafusion::catalog::empty::EmptyTable;
    use datafusion::common::tree_node::{Transformed, TreeNode};
    use datafusion::common::{internal_err, Column, DFSchema, Result, ScalarValue};
    use datafusion::datasource::provider_as_source;
    use datafusion::execution::TaskContext;
    use datafusion::logical_expr::{Expr, Extension, LogicalPlan, LogicalPlanBuilder, Projection};
    use datafusion_proto::bytes::{
        logical_plan_from_bytes_with_extension_codec, logical_plan_to_bytes_with_extension_codec,
    };
    use kqlite::binder::operators::scan::{EvalColumn, ScanNode, ScanStepPlan, StepOutput};
    use serde_json::{json, Value};
    use std::sync::Arc;

    fn err(m: &str) -> datafusion::error::DataFusionError {
        datafusion::error::DataFusionError::Internal(m.to_string())
    }

    pub fn encode(codec: &TableCodec, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        let Some(scan) = node.node.as_any().downcast_ref::<ScanNode>() else {
            return internal_err!("kqlite makes no {} node", node.node.name());
        };
        let mut exprs: Vec<Expr> = scan.declared.iter().map(|d| Expr::Literal(d.2.clone(), None)).collect();
        for s in &scan.steps {
            exprs.push(s.condition.clone());
            exprs.extend(s.assignments.iter().map(|(_, e)| e.clone()));
        }
        let exprs: Vec<Expr> = exprs.into_iter().enumerate().map(|(i, e)| e.alias(format!("e{i}"))).collect();
        let table = EmptyTable::new(Arc::new(scan.eval_schema.as_arrow().clone()));
        let source = LogicalPlanBuilder::scan("scan_eval", provider_as_source(Arc::new(table)), None)?.build()?;
        let plan = LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(source))?);
        let bytes = logical_plan_to_bytes_with_extension_codec(&plan, codec)?;
        let output = |o: StepOutput| match o {
            StepOutput::All => "all",
            StepOutput::Last => "last",
            StepOutput::None => "none",
        };
        let eval: Vec<Value> = scan
            .eval_columns
            .iter()
            .map(|c| match c {
                EvalColumn::Input(i) => json!(["input", i]),
                EvalColumn::Declared(d) => json!(["declared", d]),
                EvalColumn::State { step, column } => json!(["state", step, column]),
            })
            .collect();
        let meta = json!({
            "declared": scan.declared.iter().map(|d| d.0.clone()).collect::<Vec<_>>(),
            "steps": scan.steps.iter().map(|s| json!({
                "name": s.name, "output": output(s.output),
                "assignments": s.assignments.iter().map(|a| a.0).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "eval": eval,
            "match_id": scan.match_id,
            "partition": scan.partition,
        })
        .to_string();
        buf.extend_from_slice(&(meta.len() as u32).to_le_bytes());
        buf.extend_from_slice(meta.as_bytes());
        buf.extend_from_slice(&bytes);
        Ok(())
    }

    pub fn decode(codec: &TableCodec, buf: &[u8], inputs: &[LogicalPlan], ctx: &TaskContext) -> Result<Extension> {
        let (len, rest) = buf.split_at_checked(4).ok_or_else(|| err("short scan bytes"))?;
        let len = u32::from_le_bytes(len.try_into().map_err(|_| err("bad length"))?) as usize;
        let (meta, plan) = rest.split_at_checked(len).ok_or_else(|| err("short scan bytes"))?;
        let meta: Value = serde_json::from_slice(meta).map_err(|e| err(&e.to_string()))?;
        let plan = logical_plan_from_bytes_with_extension_codec(plan, ctx, codec)?;
        let LogicalPlan::Projection(p) = &plan else { return internal_err!("not a scan's projection") };
        let eval_schema =
            Arc::new(DFSchema::from_unqualified_fields(p.input.schema().fields().clone(), Default::default())?);
        // the expressions, without their aliases and table qualifiers
        let mut exprs = p.expr.iter().map(|e| {
            e.clone()
                .unalias()
                .transform(|x| match x {
                    Expr::Column(c) => Ok(Transformed::yes(Expr::Column(Column::new_unqualified(c.name)))),
                    other => Ok(Transformed::no(other)),
                })
                .map(|t| t.data)
        });
        let mut next = || exprs.next().ok_or_else(|| err("missing scan expression"))?;
        let mut declared = Vec::new();
        for n in meta["declared"].as_array().into_iter().flatten() {
            let Expr::Literal(v, _) = next()? else { return internal_err!("a default is not a literal") };
            declared.push((n.as_str().unwrap_or_default().to_string(), v.data_type(), v as ScalarValue));
        }
        let mut steps = Vec::new();
        for s in meta["steps"].as_array().into_iter().flatten() {
            let condition = next()?;
            let mut assignments = Vec::new();
            for d in s["assignments"].as_array().into_iter().flatten() {
                assignments.push((d.as_u64().unwrap_or_default() as usize, next()?));
            }
            let output = match s["output"].as_str() {
                Some("last") => StepOutput::Last,
                Some("none") => StepOutput::None,
                _ => StepOutput::All,
            };
            steps.push(ScanStepPlan {
                name: s["name"].as_str().unwrap_or_default().to_string(),
                output,
                condition,
                assignments,
            });
        }
        let n = |v: &Value| v.as_u64().unwrap_or_default() as usize;
        let eval_columns = meta["eval"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| match c[0].as_str() {
                Some("input") => EvalColumn::Input(n(&c[1])),
                Some("declared") => EvalColumn::Declared(n(&c[1])),
                _ => EvalColumn::State { step: n(&c[1]), column: n(&c[2]) },
            })
            .collect();
        let Some(input) = inputs.first().cloned() else { return internal_err!("a scan without input") };
        let match_id = meta["match_id"].as_str().map(str::to_string);
        let schema = ScanNode::output_schema(&input, &declared, match_id.as_deref())?;
        let node = ScanNode {
            input,
            declared,
            steps,
            eval_columns,
            eval_schema,
            match_id,
            partition: meta["partition"].as_u64().map(|p| p as usize),
            schema,
        };
        Ok(Extension { node: Arc::new(node) })
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
