//! Execute stage: one DataFusion `SessionContext` and one tokio runtime per [`crate::Session`], reused by every
//! query. A bound plan is optimised, planned physically and executed as a stream of Arrow batches, which the
//! caller pulls one at a time ([`BatchStream`] is a plain iterator). All async code of the library lives here.

use crate::diagnostics::{Error, ExecError, LoadError};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::DataFusionError;
use datafusion::execution::context::SessionContext;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::{displayable, SendableRecordBatchStream};
use datafusion::prelude::SessionConfig;
use futures::StreamExt;
use std::sync::Arc;

pub mod expand;
pub mod materialize;
pub mod scan;

/// DataFusion's planner with kqlite's plan nodes (`binder::operators::scan`, `binder::materialize`).
#[derive(Debug)]
pub struct KqlQueryPlanner;

#[async_trait::async_trait]
impl datafusion::execution::context::QueryPlanner for KqlQueryPlanner {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session: &dyn datafusion::catalog::Session,
    ) -> datafusion::common::Result<Arc<dyn datafusion::physical_plan::ExecutionPlan>> {
        use datafusion::physical_planner::PhysicalPlanner;
        datafusion::physical_planner::DefaultPhysicalPlanner::with_extension_planners(vec![Arc::new(
            KqlExtensionPlanner,
        )])
        .create_physical_plan(logical_plan, session)
        .await
    }
}

/// Plans kqlite's extension nodes: a `ScanNode` as `KqlScanExec`, a `MaterializeNode` as `KqlMaterializeExec`.
#[derive(Debug)]
struct KqlExtensionPlanner;

#[async_trait::async_trait]
impl datafusion::physical_planner::ExtensionPlanner for KqlExtensionPlanner {
    async fn plan_extension(
        &self,
        _planner: &dyn datafusion::physical_planner::PhysicalPlanner,
        node: &dyn datafusion::logical_expr::UserDefinedLogicalNode,
        _logical_inputs: &[&LogicalPlan],
        physical_inputs: &[Arc<dyn datafusion::physical_plan::ExecutionPlan>],
        session: &dyn datafusion::catalog::Session,
        _ctx: &datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext,
    ) -> datafusion::common::Result<Option<Arc<dyn datafusion::physical_plan::ExecutionPlan>>> {
        let Some(input) = physical_inputs.first() else {
            return datafusion::common::internal_err!("{} without input", node.name());
        };
        if let Some(m) = node.as_any().downcast_ref::<crate::binder::materialize::MaterializeNode>() {
            return Ok(Some(materialize::plan(m, input)));
        }
        if let Some(s) = node.as_any().downcast_ref::<crate::binder::operators::scan::ScanNode>() {
            return scan::plan(s, input, session).map(Some);
        }
        Ok(None)
    }
}

/// A one-partition stream of the batches `work` computes, once it is done (an error ends the stream).
fn batches_when_done(
    schema: datafusion::arrow::datatypes::SchemaRef,
    work: impl std::future::Future<Output = datafusion::common::Result<Vec<RecordBatch>>> + Send + 'static,
) -> SendableRecordBatchStream {
    let batches = futures::stream::once(work)
        .map(|r| match r {
            Ok(v) => futures::stream::iter(v.into_iter().map(Ok)).boxed(),
            Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
        })
        .flatten();
    Box::pin(datafusion::physical_plan::stream::RecordBatchStreamAdapter::new(schema, batches))
}

/// The execution half of a session: context, runtime and the functions registered in the context.
pub struct Executor {
    ctx: SessionContext,
    rt: Arc<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor").field("session_id", &self.ctx.session_id()).finish()
    }
}

/// Turns transparent huge pages off for the process; the binary's `main` and the warm bench call it first. (It
/// is what `MIMALLOC_ALLOW_THP=0` does, but mimalloc reads that before `main`.) mimalloc marks its arena for huge
/// pages, so a purged page touched again is faulted in and zeroed as 2 MiB, and peak RSS counts whole huge
/// pages. Measured on the 1M-row hunting suite (Parquet, THP `madvise`): query 13 153 -> 116 MB and 0.14 -> 0.06
/// s of kernel time, query 02 127 -> 86 MB.
#[cfg(target_os = "linux")]
pub fn no_huge_pages() {
    // SAFETY: prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) takes no pointers and only sets a flag of this process;
    // an error (an old kernel) leaves huge pages as they were.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(not(target_os = "linux"))]
pub fn no_huge_pages() {}

/// Rows per batch flowing through the plan.
pub const BATCH_SIZE: usize = 8192;

impl Executor {
    /// A context configured for kqlite (all cores, 8,192-row batches, an optional memory limit in bytes) with
    /// kqlite's named functions registered, and the runtime that drives it.
    pub fn new(memory_limit: Option<usize>) -> Result<Executor, ExecError> {
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        // joins build one hash table from their build side and probe it from every partition of the other
        // (CollectLeft) instead of repartitioning both sides by the key: DataFusion picks that mode only when the
        // build side's size is known to be small, and a filtered or summarized side (`Dropped` of a leftsemi on
        // SHA1) has no size; repartitioning copied every probe row once more (warm query 19: -19 % CPU)
        let config = SessionConfig::new()
            .with_target_partitions(threads)
            .with_batch_size(BATCH_SIZE)
            .with_repartition_joins(false);
        let mut runtime = RuntimeEnvBuilder::new();
        if let Some(limit) = memory_limit {
            runtime = runtime.with_memory_limit(limit, 1.0);
        }
        let runtime = runtime.build_arc().map_err(|e| ExecError::Internal { message: e.to_string() })?;
        // DataFusion's optimizer rules, with one projection-pruning pass first: a `union *` over many wide
        // tables pads every leg to the union's columns (a thousand and more), and the rules before DataFusion's
        // own pruning walked all of them (44 s to plan one published query over 34 tables); pruned first, the
        // later rules see only the columns the query uses
        let mut rules: Vec<Arc<dyn datafusion::optimizer::OptimizerRule + Send + Sync>> =
            vec![Arc::new(datafusion::optimizer::optimize_projections::OptimizeProjections::new())];
        rules.extend(datafusion::optimizer::Optimizer::new().rules);
        let state = datafusion::execution::SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(runtime)
            .with_default_features()
            .with_optimizer_rules(rules)
            // after DataFusion's own physical rules: `mv-expand X | where P(X)` as one operator
            .with_physical_optimizer_rule(Arc::new(expand::ExpandWhere))
            .with_query_planner(Arc::new(KqlQueryPlanner))
            .build();
        let ctx = SessionContext::new_with_state(state);
        for f in crate::functions::udf::all_scalar() {
            ctx.register_udf(f.as_ref().clone());
        }
        for f in crate::functions::udf::all_aggregate() {
            ctx.register_udaf(f.as_ref().clone());
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
            .map_err(|e| ExecError::Internal { message: format!("cannot start the runtime: {e}") })?;
        Ok(Executor { ctx, rt: Arc::new(rt) })
    }

    /// The DataFusion context (its function registry decodes serialized plans).
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Starts running a plan; rows arrive as the caller pulls them.
    pub fn stream(&self, plan: LogicalPlan) -> Result<BatchStream, Error> {
        let ctx = self.ctx.clone();
        let stream = self.rt.block_on(async move {
            let df = ctx.execute_logical_plan(plan).await?;
            df.execute_stream().await
        });
        match stream {
            Ok(s) => Ok(BatchStream { stream: Some(s), rt: self.rt.clone() }),
            Err(e) => Err(df_error(e)),
        }
    }

    /// The physical plan DataFusion makes of a logical plan (to ship it, or to run it with [`Executor::run_physical`]).
    pub fn physical_plan(&self, plan: LogicalPlan) -> Result<Arc<dyn datafusion::physical_plan::ExecutionPlan>, Error> {
        let ctx = self.ctx.clone();
        self.rt
            .block_on(async move { ctx.execute_logical_plan(plan).await?.create_physical_plan().await })
            .map_err(df_error)
    }

    /// Runs a physical plan (one decoded from bytes, say) to the end and collects its rows.
    pub fn run_physical(
        &self,
        plan: Arc<dyn datafusion::physical_plan::ExecutionPlan>,
    ) -> Result<Vec<RecordBatch>, Error> {
        let task = self.ctx.task_ctx();
        // inside the runtime: an operator may start tasks as it is executed (a join's build side)
        let _runtime = self.rt.enter();
        let stream = datafusion::physical_plan::execute_stream(plan, task).map_err(df_error)?;
        BatchStream { stream: Some(stream), rt: self.rt.clone() }.collect()
    }

    /// Runs a plan to the end and collects its rows.
    pub fn collect(&self, plan: LogicalPlan) -> Result<Vec<RecordBatch>, Error> {
        self.stream(plan)?.collect()
    }

    /// DataFusion's optimised logical plan and physical plan, indented, for `kqlite explain`.
    pub fn explain(&self, plan: LogicalPlan) -> Result<(String, String), Error> {
        let state = self.ctx.state();
        let optimized = state.optimize(&plan).map_err(df_error)?;
        let logical = optimized.display_indent().to_string();
        let physical = self.rt.block_on(state.create_physical_plan(&optimized)).map_err(df_error)?;
        let physical = displayable(physical.as_ref()).indent(true).to_string();
        Ok((logical, physical))
    }
}

/// The rows of a running query, one batch at a time; dropping it stops the query.
pub struct BatchStream {
    stream: Option<SendableRecordBatchStream>,
    rt: Arc<tokio::runtime::Runtime>,
}

/// What one bounded wait for the next batch gave ([`BatchStream::next_within`]).
pub enum Pulled {
    Batch(Result<RecordBatch, Error>),
    /// no batch yet: the query is still computing
    Pending,
    End,
}

impl BatchStream {
    /// Waits at most `wait` for the next batch, so a front end can notice a cancel between waits (the REPL's
    /// Ctrl-C) and stop the query by dropping the stream.
    pub fn next_within(&mut self, wait: std::time::Duration) -> Pulled {
        let Some(stream) = self.stream.as_mut() else { return Pulled::End };
        // the deadline comes from a plain thread: tokio's timers are driven by the runtime's workers, which a
        // CPU-bound plan keeps busy
        let (tx, rx) = futures::channel::oneshot::channel::<()>();
        std::thread::spawn(move || {
            std::thread::sleep(wait);
            let _ = tx.send(());
        });
        let next = self.rt.block_on(async {
            match futures::future::select(stream.next(), rx).await {
                futures::future::Either::Left((item, _)) => Some(item),
                futures::future::Either::Right(_) => None,
            }
        });
        match next {
            None => Pulled::Pending,
            Some(item) => self.settle(item).map_or(Pulled::End, Pulled::Batch),
        }
    }

    /// One item of the DataFusion stream as kqlite's; the stream is dropped after its end or an error.
    fn settle(&mut self, item: Option<datafusion::common::Result<RecordBatch>>) -> Option<Result<RecordBatch, Error>> {
        match item {
            Some(Ok(b)) => Some(Ok(b)),
            Some(Err(e)) => {
                self.stream = None;
                Some(Err(df_error(e)))
            }
            None => {
                self.stream = None;
                None
            }
        }
    }
}

impl Iterator for BatchStream {
    type Item = Result<RecordBatch, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let stream = self.stream.as_mut()?;
        let next = self.rt.block_on(stream.next());
        self.settle(next)
    }
}

/// A DataFusion error as kqlite's: a data file that cannot be read is a load error (exit 6, naming the
/// file), anything else a runtime error.
pub fn df_error(e: DataFusionError) -> Error {
    if let Some(load) = find_load_error(&e) {
        return Error::Load(load);
    }
    Error::Exec(ExecError::from(e))
}

fn find_load_error(e: &DataFusionError) -> Option<LoadError> {
    match e {
        DataFusionError::External(b) => b.downcast_ref::<LoadError>().cloned(),
        DataFusionError::Context(_, inner) => find_load_error(inner),
        DataFusionError::Shared(inner) => find_load_error(inner),
        _ => None,
    }
}
