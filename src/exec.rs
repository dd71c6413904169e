//! Execute stage: hands a bound plan to a DataFusion `SessionContext` (which optimises it and builds the
//! physical plan) and collects the Arrow batches. All async code of the library lives here.

use crate::binder::BoundQuery;
use crate::diagnostics::ExecError;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::execution::context::SessionContext;
use datafusion::prelude::SessionConfig;

/// A context configured for kqlite: Kusto identifiers are case-sensitive, no SQL normalisation applies.
pub fn context() -> SessionContext {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let config = SessionConfig::new().with_target_partitions(threads).with_batch_size(8192);
    SessionContext::new_with_config(config)
}

/// Runs the plan to completion on a fresh multi-threaded runtime.
pub fn execute(q: &BoundQuery) -> Result<Vec<RecordBatch>, ExecError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| ExecError::Internal { message: format!("cannot start the runtime: {e}") })?;
    rt.block_on(async {
        let ctx = context();
        let df = ctx.execute_logical_plan(q.plan.clone()).await?;
        Ok(df.collect().await?)
    })
}
