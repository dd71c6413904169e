//! `mv-expand X | where P(X)` as one operator. DataFusion plans it as an `UnnestExec`, which copies every other
//! column once per item, then a `FilterExec` that drops most of those rows and copies the rest again. When the
//! predicate reads only the expanded column, [`ExpandWhere`] (a physical optimizer rule) replaces the pair with
//! [`ExpandWhereExec`]: the predicate runs over the list's items themselves, and only the rows of items that
//! pass are assembled. Same rows, same order, same schema as the pair.
//!
//! A bare unnest of that shape becomes the same operator without a predicate (`KqlExpandExec`), for what it
//! saves where the unnest copies: the items column is the list's values themselves (a slice, no copy) when no
//! null list adds a row, and each other column is passed on as it is when every list holds one item (a bag or a
//! one-element array per row, as `mv-expand parse_json(LoggedOnUsers)` mostly gives).
//!
//! What it takes: one list column unnested one level (the binder's mv-expand of one item), no struct column, a
//! filter without an embedded projection, a predicate over that column alone. Anything else stays as planned.

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, RecordBatch, UInt32Array};
use datafusion::arrow::buffer::BooleanBuffer;
use datafusion::arrow::compute::take;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{internal_err, Result};
use datafusion::config::ConfigOptions;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::unnest::UnnestExec;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use futures::StreamExt;
use std::sync::Arc;

/// The physical optimizer rule that fuses an unnest and the filter over its expanded column (and replaces a bare
/// unnest of one list column).
#[derive(Debug, Default)]
pub struct ExpandWhere;

impl PhysicalOptimizerRule for ExpandWhere {
    fn optimize(&self, plan: Arc<dyn ExecutionPlan>, _config: &ConfigOptions) -> Result<Arc<dyn ExecutionPlan>> {
        // from the top: a filter is seen (and fused with its unnest) before the unnest alone
        plan.transform_down(|node| {
            Ok(match ExpandWhereExec::fuse(&node) {
                Some(fused) => Transformed::yes(Arc::new(fused) as Arc<dyn ExecutionPlan>),
                None => Transformed::no(node),
            })
        })
        .map(|t| t.data)
    }
    fn name(&self) -> &str {
        "kql_expand_where"
    }
    fn schema_check(&self) -> bool {
        true
    }
}

/// An unnest of one list column and a filter over the items (if any), in one pass (see the module).
#[derive(Debug)]
pub struct ExpandWhereExec {
    /// the unnest's input
    input: Arc<dyn ExecutionPlan>,
    /// the list column's index (in the input and in the output)
    list: usize,
    /// the filter's predicate, over a batch of the items alone ([`Self::items_schema`]); `None`: every item
    predicate: Option<Arc<dyn PhysicalExpr>>,
    /// the schema of that batch: the expanded column's field
    items_schema: SchemaRef,
    /// a null list is one row with a null item (mv-expand's `preserve_nulls`)
    preserve_nulls: bool,
    /// the unnest's (output schema, partitioning, order: the filter keeps them)
    properties: Arc<PlanProperties>,
}

impl ExpandWhereExec {
    /// The fused operator for `node` when it is a filter over the expanded column of an unnest it can replace,
    /// or such an unnest alone.
    fn fuse(node: &Arc<dyn ExecutionPlan>) -> Option<ExpandWhereExec> {
        let (filter, unnest) = match node.downcast_ref::<FilterExec>() {
            Some(filter) => (Some(filter), filter.input().downcast_ref::<UnnestExec>()?),
            None => (None, node.downcast_ref::<UnnestExec>()?),
        };
        if filter.is_some_and(|f| f.projection().is_some())
            || !unnest.struct_column_indices().is_empty()
            || unnest.options().expand_empty_as_null()
        {
            return None;
        }
        let [only] = unnest.list_column_indices() else { return None };
        let list = only.index_in_input_schema;
        let input = unnest.input();
        let (in_schema, out_schema) = (input.schema(), unnest.schema());
        // the unnest keeps every column in place and gives the list's item type to its own
        let DataType::List(item) = in_schema.fields().get(list)?.data_type() else { return None };
        let out_field = out_schema.fields().get(list)?;
        if only.depth != 1
            || in_schema.fields().len() != out_schema.fields().len()
            || out_field.data_type() != item.data_type()
            || in_schema
                .fields()
                .iter()
                .zip(out_schema.fields())
                .enumerate()
                .any(|(i, (a, b))| i != list && (a.name() != b.name() || a.data_type() != b.data_type()))
        {
            return None;
        }
        // the predicate, re-pointed at column 0 of the items' batch; any other column and it stays as planned
        let mut other = false;
        let predicate = match filter {
            Some(filter) => Some(
                Arc::clone(filter.predicate())
                    .transform(|e| {
                        let Some(c) = e.downcast_ref::<Column>() else { return Ok(Transformed::no(e)) };
                        if c.index() != list {
                            other = true;
                            return Ok(Transformed::no(e));
                        }
                        Ok(Transformed::yes(Arc::new(Column::new(c.name(), 0)) as Arc<dyn PhysicalExpr>))
                    })
                    .ok()?
                    .data,
            ),
            None => None,
        };
        if other {
            return None;
        }
        let items_schema =
            Arc::new(Schema::new(vec![Field::new(out_field.name(), out_field.data_type().clone(), true)]));
        Some(ExpandWhereExec {
            input: Arc::clone(input),
            list,
            predicate,
            items_schema,
            preserve_nulls: unnest.options().preserve_nulls(),
            properties: Arc::clone(unnest.properties()),
        })
    }
}

impl DisplayAs for ExpandWhereExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let name = self.items_schema.fields().first().map(|f| f.name().as_str()).unwrap_or("");
        match &self.predicate {
            Some(p) => write!(f, "KqlExpandWhereExec: expand={name}@{}, predicate={p}", self.list),
            None => write!(f, "KqlExpandExec: expand={name}@{}", self.list),
        }
    }
}

impl ExecutionPlan for ExpandWhereExec {
    fn name(&self) -> &str {
        if self.predicate.is_some() {
            "KqlExpandWhereExec"
        } else {
            "KqlExpandExec"
        }
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        match &self.predicate {
            Some(p) => f(p),
            None => Ok(TreeNodeRecursion::Continue),
        }
    }

    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        match children.into_iter().next() {
            Some(input) => Ok(Arc::new(ExpandWhereExec {
                input,
                list: self.list,
                predicate: self.predicate.clone(),
                items_schema: Arc::clone(&self.items_schema),
                preserve_nulls: self.preserve_nulls,
                properties: Arc::clone(&self.properties),
            })),
            None => internal_err!("expand-where without input"),
        }
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, Arc::clone(&context))?;
        let expand = Expand {
            list: self.list,
            predicate: self.predicate.clone(),
            items_schema: Arc::clone(&self.items_schema),
            schema: self.schema(),
            preserve_nulls: self.preserve_nulls,
            null_passes: None,
            batch_size: context.session_config().batch_size().max(1),
        };
        let batches = input
            .scan(expand, |expand, batch| {
                let out = batch.and_then(|b| expand.batch(&b));
                std::future::ready(Some(match out {
                    Ok(v) => futures::stream::iter(v.into_iter().map(Ok)).boxed(),
                    Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
                }))
            })
            .flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(self.schema(), batches)))
    }
}

/// The state of one partition's stream.
struct Expand {
    list: usize,
    predicate: Option<Arc<dyn PhysicalExpr>>,
    items_schema: SchemaRef,
    schema: SchemaRef,
    preserve_nulls: bool,
    /// whether a null item passes the predicate: asked at the first null list, then kept
    null_passes: Option<bool>,
    batch_size: usize,
}

impl Expand {
    /// The output rows of one input batch, in batches of at most `batch_size` rows.
    fn batch(&mut self, batch: &RecordBatch) -> Result<Vec<RecordBatch>> {
        let Some(lists) = batch.columns().get(self.list).and_then(|c| c.as_list_opt::<i32>()) else {
            return internal_err!("expand-where: column {} is not a list", self.list);
        };
        let offsets = lists.value_offsets();
        let (first, last) = (offsets.first().copied().unwrap_or(0), offsets.last().copied().unwrap_or(0));
        let items = lists.values().slice(first as usize, (last - first) as usize);
        // the items that pass (a null answer does not), in order, each placed in its row
        let passing = match self.passes(&items)? {
            None => BooleanBuffer::new_set(items.len()),
            Some(passes) => match passes.nulls() {
                Some(valid) => passes.values() & valid.inner(),
                None => passes.values().clone(),
            },
        };
        // (input row, item) of every output row; a null list's row has no item (a null one)
        let mut rows: Vec<u32> = Vec::with_capacity(passing.count_set_bits());
        let mut picks: Vec<u32> = Vec::with_capacity(rows.capacity());
        let mut null_rows: Vec<usize> = Vec::new();
        let keep_null = self.preserve_nulls && lists.null_count() > 0 && self.null_passes()?;
        let mut r = 0usize;
        let row_end = |r: usize| offsets.get(r + 1).map_or(i32::MAX, |o| *o - first) as usize;
        for j in passing.set_indices() {
            while r < lists.len() && row_end(r) <= j {
                if keep_null && lists.is_null(r) {
                    null_rows.push(rows.len());
                    rows.push(r as u32);
                    picks.push(0);
                }
                r += 1;
            }
            // (a null list's range, if it has one, holds no items)
            if r < lists.len() && !lists.is_null(r) {
                rows.push(r as u32);
                picks.push(j as u32);
            }
        }
        while keep_null && r < lists.len() {
            if lists.is_null(r) {
                null_rows.push(rows.len());
                rows.push(r as u32);
                picks.push(0);
            }
            r += 1;
        }
        // item k is output row k (nothing dropped, no null list's row added): the items column is the values
        // themselves; and when that is one item per row, every other column is its input column
        let in_order = |v: &[u32], n: usize| v.len() == n && v.iter().enumerate().all(|(k, x)| *x as usize == k);
        let items_in_place = null_rows.is_empty() && in_order(&picks, items.len());
        let rows_in_place = items_in_place && in_order(&rows, batch.num_rows());
        let mut out = Vec::new();
        let mut nulls = null_rows.into_iter().peekable();
        for (k, (rows, picks)) in rows.chunks(self.batch_size).zip(picks.chunks(self.batch_size)).enumerate() {
            let at = k * self.batch_size;
            // a null list's row takes a null item
            let mut valid = None;
            while let Some(i) = nulls.next_if(|i| *i < at + picks.len()) {
                if let Some(v) = valid.get_or_insert_with(|| vec![true; picks.len()]).get_mut(i - at) {
                    *v = false;
                }
            }
            // the indexes to take by, only for the columns not passed on in place
            let n = picks.len();
            let picks = (!items_in_place).then(|| UInt32Array::new(picks.to_vec().into(), valid.map(|v| v.into())));
            let rows = (!rows_in_place).then(|| UInt32Array::from(rows.to_vec()));
            let columns = batch
                .columns()
                .iter()
                .enumerate()
                .map(|(i, c)| match (i == self.list, &picks, &rows) {
                    (true, None, _) => Ok(items.slice(at, n)),
                    (true, Some(picks), _) => take(&items, picks, None),
                    (false, _, None) => Ok(c.slice(at, n)),
                    (false, _, Some(rows)) => take(c, rows, None),
                })
                .collect::<std::result::Result<Vec<ArrayRef>, _>>()?;
            out.push(RecordBatch::try_new(Arc::clone(&self.schema), columns)?);
        }
        Ok(out)
    }

    /// The predicate over `items`: true, false or null per item; `None` without a predicate (all pass).
    fn passes(&self, items: &ArrayRef) -> Result<Option<BooleanArray>> {
        let Some(predicate) = &self.predicate else { return Ok(None) };
        let batch = RecordBatch::try_new(Arc::clone(&self.items_schema), vec![Arc::clone(items)])?;
        let v = predicate.evaluate(&batch)?.into_array(items.len())?;
        match v.as_boolean_opt() {
            Some(b) => Ok(Some(b.clone())),
            None => internal_err!("expand-where: the predicate is not boolean"),
        }
    }

    fn null_passes(&mut self) -> Result<bool> {
        if let Some(p) = self.null_passes {
            return Ok(p);
        }
        let t = self.items_schema.fields().first().map(|f| f.data_type().clone()).unwrap_or(DataType::Null);
        let p = match self.passes(&datafusion::arrow::array::new_null_array(&t, 1))? {
            Some(b) => b.is_valid(0) && b.value(0),
            None => true,
        };
        self.null_passes = Some(p);
        Ok(p)
    }
}
