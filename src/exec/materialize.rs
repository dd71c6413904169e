//! Running `materialize(...)` (binder::materialize): the first reference to pull collects its input's rows
//! into the shared slot; every reference then streams those batches (Arrow arrays are shared, not copied).

use crate::binder::materialize::{MaterializeNode, Shared};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{internal_err, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties};
use std::sync::Arc;

/// Plans a [`MaterializeNode`].
pub fn plan(node: &MaterializeNode, input: &Arc<dyn ExecutionPlan>) -> Arc<dyn ExecutionPlan> {
    let order = input.properties().output_ordering().cloned();
    Arc::new(MaterializeExec::new(Arc::clone(input), Arc::clone(&node.shared), order))
}

#[derive(Debug)]
pub struct MaterializeExec {
    input: Arc<dyn ExecutionPlan>,
    shared: Arc<Shared>,
    /// the order of the rows as planned: required of the (one-partition) input, so the rows keep it
    order: Option<datafusion::physical_expr::LexOrdering>,
    properties: Arc<PlanProperties>,
}

impl MaterializeExec {
    fn new(
        input: Arc<dyn ExecutionPlan>,
        shared: Arc<Shared>,
        order: Option<datafusion::physical_expr::LexOrdering>,
    ) -> MaterializeExec {
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(input.schema()),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Final,
            Boundedness::Bounded,
        ));
        MaterializeExec { input, shared, order, properties }
    }
}

impl DisplayAs for MaterializeExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "KqlMaterializeExec: id={}", self.shared.id)
    }
}

impl ExecutionPlan for MaterializeExec {
    fn name(&self) -> &str {
        "KqlMaterializeExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn required_input_distribution(&self) -> Vec<datafusion::physical_plan::Distribution> {
        vec![datafusion::physical_plan::Distribution::SinglePartition]
    }

    fn required_input_ordering(&self) -> Vec<Option<datafusion::physical_expr::OrderingRequirements>> {
        vec![self.order.clone().map(Into::into)]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        match children.into_iter().next() {
            Some(input) => Ok(Arc::new(MaterializeExec::new(input, Arc::clone(&self.shared), self.order.clone()))),
            None => internal_err!("materialize without input"),
        }
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return internal_err!("materialize has one partition, not {partition}");
        }
        let (input, shared) = (Arc::clone(&self.input), Arc::clone(&self.shared));
        let schema: SchemaRef = self.input.schema();
        Ok(super::batches_when_done(schema, async move {
            let rows = shared
                .rows
                .get_or_try_init(|| async move { datafusion::physical_plan::collect(input, context).await })
                .await?;
            Ok(rows.clone())
        }))
    }
}
