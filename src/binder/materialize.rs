//! `materialize(T)` (materialize-function): the rows are computed once per query, however often the query
//! names them. The binder wraps the plan in a [`MaterializeNode`]; every reference to the `let` clones the
//! node, so all of them share one [`Shared`] result, which the execute stage fills on the first pull and the
//! other references read (`exec::materialize`).

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::DFSchemaRef;
use datafusion::logical_expr::{Expr, LogicalPlan, UserDefinedLogicalNodeCore};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The rows of one materialized expression, computed by whichever reference runs first.
#[derive(Debug, Default)]
pub struct Shared {
    pub id: u64,
    pub rows: tokio::sync::OnceCell<Vec<RecordBatch>>,
}

impl Shared {
    pub fn new() -> Arc<Shared> {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Arc::new(Shared { id: NEXT.fetch_add(1, Ordering::Relaxed), rows: Default::default() })
    }
}

/// The plan node of `materialize(...)`: its input's rows, computed once for all references.
#[derive(Debug, Clone)]
pub struct MaterializeNode {
    pub input: LogicalPlan,
    pub shared: Arc<Shared>,
}

impl PartialEq for MaterializeNode {
    fn eq(&self, other: &Self) -> bool {
        self.shared.id == other.shared.id && self.input == other.input
    }
}

impl Eq for MaterializeNode {}

impl std::hash::Hash for MaterializeNode {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.shared.id.hash(state);
        self.input.hash(state);
    }
}

impl PartialOrd for MaterializeNode {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        self.shared.id.partial_cmp(&other.shared.id)
    }
}

impl UserDefinedLogicalNodeCore for MaterializeNode {
    fn name(&self) -> &str {
        "KqlMaterialize"
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        vec![&self.input]
    }

    fn schema(&self) -> &DFSchemaRef {
        self.input.schema()
    }

    fn expressions(&self) -> Vec<Expr> {
        vec![]
    }

    fn fmt_for_explain(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "KqlMaterialize: id={}", self.shared.id)
    }

    fn with_exprs_and_inputs(&self, _exprs: Vec<Expr>, inputs: Vec<LogicalPlan>) -> datafusion::common::Result<Self> {
        let input = inputs.into_iter().next().unwrap_or_else(|| self.input.clone());
        Ok(MaterializeNode { input, shared: Arc::clone(&self.shared) })
    }
}
