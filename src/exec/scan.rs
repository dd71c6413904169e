//! Running a `scan` (scan-operator): the rows of the input, in order, go through the steps' state machine one
//! record at a time ([`ScanNode`] says what the binder bound). A condition that reads only the record's own
//! columns is evaluated once for the whole input, column-wise; one that reads the state (`s1.Ts`) or a
//! declared column is evaluated per record, and only when the state lets the step match at all.
//!
//! The matching logic is the doc page's ("Scan logic"): each record is checked against the steps from the last
//! to the first. Check 1: the previous step has a sequence and the condition holds with that state → the
//! sequence moves into this step with the record. Check 2 (when check 1 did not match): this step has a
//! sequence, or it is the first step, and the condition holds with this step's state → the record replaces
//! the step's values (the first step with no sequence starts a new one, with the next match id).

use crate::binder::operators::scan::{EvalColumn, ScanNode, StepOutput};
use crate::exec::BATCH_SIZE;
use datafusion::arrow::array::{new_null_array, Array, ArrayRef, Int64Array, UInt64Array};
use datafusion::arrow::compute::{concat_batches, take};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::{internal_err, Result, ScalarValue};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::ColumnarValue;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, Distribution, ExecutionPlan, Partitioning, PlanProperties,
};
use futures::TryStreamExt;
use std::collections::HashMap;
use std::sync::Arc;

/// Plans a [`ScanNode`] over its planned input as a [`ScanExec`].
pub(super) fn plan(
    scan: &ScanNode,
    input: &Arc<dyn ExecutionPlan>,
    session: &dyn datafusion::catalog::Session,
) -> Result<Arc<dyn ExecutionPlan>> {
    let physical = |e: &datafusion::logical_expr::Expr| session.create_physical_expr(e.clone(), &scan.eval_schema);
    let mut steps = Vec::new();
    for s in &scan.steps {
        let condition = physical(&s.condition)?;
        // a condition that reads only the record's input columns is evaluated for all rows at once
        let mut per_record = false;
        condition.apply(|e| {
            if let Some(c) = e.downcast_ref::<datafusion::physical_expr::expressions::Column>() {
                per_record |= !matches!(scan.eval_columns.get(c.index()), Some(EvalColumn::Input(_)));
            }
            Ok(TreeNodeRecursion::Continue)
        })?;
        let mut assignments = Vec::new();
        for (d, e) in &s.assignments {
            assignments.push((*d, physical(e)?));
        }
        steps.push(Step { output: s.output, condition, per_record, assignments });
    }
    let spec = Spec {
        steps,
        defaults: scan.declared.iter().map(|d| (d.1.clone(), d.2.clone())).collect(),
        eval_columns: scan.eval_columns.clone(),
        eval_schema: Arc::new(scan.eval_schema.as_arrow().clone()),
        partition: scan.partition,
        match_id: scan.match_id.is_some(),
        order: input.properties().output_ordering().cloned(),
    };
    let schema = Arc::new(scan.schema.as_arrow().clone());
    Ok(Arc::new(ScanExec::new(Arc::clone(input), Arc::new(spec), schema)))
}

/// One step, planned.
#[derive(Debug)]
struct Step {
    output: StepOutput,
    condition: Arc<dyn PhysicalExpr>,
    /// the condition reads the state or a declared column
    per_record: bool,
    assignments: Vec<(usize, Arc<dyn PhysicalExpr>)>,
}

#[derive(Debug)]
struct Spec {
    steps: Vec<Step>,
    /// each declared column's type and default value
    defaults: Vec<(DataType, ScalarValue)>,
    eval_columns: Vec<EvalColumn>,
    eval_schema: SchemaRef,
    partition: Option<usize>,
    match_id: bool,
    /// the order of the rows as planned (the sort before the scan): required of the input, or DataFusion
    /// drops the sort and merges the partitions in any order
    order: Option<datafusion::physical_expr::LexOrdering>,
}

/// The physical scan: collects its input (one partition, in order), runs the state machine, emits the matches.
#[derive(Debug)]
pub struct ScanExec {
    input: Arc<dyn ExecutionPlan>,
    spec: Arc<Spec>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
}

impl ScanExec {
    fn new(input: Arc<dyn ExecutionPlan>, spec: Arc<Spec>, schema: SchemaRef) -> ScanExec {
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Final,
            Boundedness::Bounded,
        ));
        ScanExec { input, spec, schema, properties }
    }
}

impl DisplayAs for ScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "KqlScanExec: steps={}", self.spec.steps.len())
    }
}

impl ExecutionPlan for ScanExec {
    fn name(&self) -> &str {
        "KqlScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn required_input_distribution(&self) -> Vec<Distribution> {
        vec![Distribution::SinglePartition]
    }

    fn required_input_ordering(&self) -> Vec<Option<datafusion::physical_expr::OrderingRequirements>> {
        vec![self.spec.order.clone().map(Into::into)]
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        // an `output=last` match comes out after later records' matches
        vec![false]
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![false]
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        for s in &self.spec.steps {
            for e in std::iter::once(&s.condition).chain(s.assignments.iter().map(|(_, e)| e)) {
                if f(e)? == TreeNodeRecursion::Stop {
                    return Ok(TreeNodeRecursion::Stop);
                }
            }
        }
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        match children.into_iter().next() {
            Some(input) => Ok(Arc::new(ScanExec::new(input, Arc::clone(&self.spec), Arc::clone(&self.schema)))),
            None => internal_err!("a scan without input"),
        }
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return internal_err!("a scan has one partition, not {partition}");
        }
        let input = self.input.execute(0, context)?;
        let input_schema = self.input.schema();
        let (spec, schema) = (Arc::clone(&self.spec), Arc::clone(&self.schema));
        let out_schema = Arc::clone(&schema);
        Ok(super::batches_when_done(schema, async move {
            let batches: Vec<RecordBatch> = input.try_collect().await?;
            let all = concat_batches(&input_schema, &batches)?;
            drop(batches);
            let matches = run(&spec, &all)?;
            output(&spec, &all, &matches, &out_schema)
        }))
    }
}

/// A record in the state: its row, and its declared columns' values.
#[derive(Debug, Clone)]
struct Record {
    row: usize,
    declared: Vec<ScalarValue>,
}

/// A sequence: its match id and one record per step it went through.
#[derive(Debug)]
struct Sequence {
    id: i64,
    records: Vec<Record>,
}

/// An output row: the record and its match id.
#[derive(Debug)]
struct Match {
    record: Record,
    id: i64,
}

/// The state of one partition.
struct Machine {
    states: Vec<Option<Sequence>>,
    /// per `output=last` step: its latest match, not output yet
    pending: Vec<Option<Match>>,
    next_id: i64,
}

impl Machine {
    fn new(steps: usize) -> Machine {
        Machine { states: (0..steps).map(|_| None).collect(), pending: (0..steps).map(|_| None).collect(), next_id: 0 }
    }

    /// The series of matches of step `k` ended: its last match goes out.
    fn flush(&mut self, k: usize, out: &mut Vec<Match>) {
        if let Some(m) = self.pending.get_mut(k).and_then(Option::take) {
            out.push(m);
        }
    }

    fn emit(&mut self, step: &Step, k: usize, m: Match, out: &mut Vec<Match>) {
        match step.output {
            StepOutput::All => out.push(m),
            StepOutput::None => {}
            StepOutput::Last => {
                if let Some(p) = self.pending.get_mut(k) {
                    *p = Some(m);
                }
            }
        }
    }
}

/// Evaluates the steps over one input row.
struct Evaluator<'a> {
    spec: &'a Spec,
    input: &'a RecordBatch,
    /// the conditions evaluated for all rows (the steps that read no state)
    whole: Vec<Option<datafusion::arrow::array::BooleanArray>>,
    /// each declared column's default as a one-row array
    default_rows: Vec<ArrayRef>,
}

impl Evaluator<'_> {
    /// The one-row table the step's expressions read: the record's columns and `view`'s state values.
    fn row_batch(&self, row: usize, view: Option<&Sequence>) -> Result<RecordBatch> {
        let n_input = self.input.num_columns();
        let mut cols: Vec<ArrayRef> = Vec::with_capacity(self.spec.eval_columns.len());
        for (i, c) in self.spec.eval_columns.iter().enumerate() {
            let dt = self.spec.eval_schema.field(i).data_type();
            let a = match *c {
                EvalColumn::Input(x) => self.input.column(x).slice(row, 1),
                EvalColumn::Declared(d) => self.default_row(d, dt),
                EvalColumn::State { step, column } => match view.and_then(|s| s.records.get(step)) {
                    Some(r) if column < n_input => self.input.column(column).slice(r.row, 1),
                    Some(r) => match r.declared.get(column - n_input) {
                        Some(v) => v.to_array_of_size(1)?,
                        None => new_null_array(dt, 1),
                    },
                    None if column < n_input => new_null_array(dt, 1),
                    None => self.default_row(column - n_input, dt),
                },
            };
            cols.push(a);
        }
        Ok(RecordBatch::try_new_with_options(
            Arc::clone(&self.spec.eval_schema),
            cols,
            &RecordBatchOptions::new().with_row_count(Some(1)),
        )?)
    }

    fn default_row(&self, d: usize, dt: &DataType) -> ArrayRef {
        self.default_rows.get(d).cloned().unwrap_or_else(|| new_null_array(dt, 1))
    }

    /// Does step `k`'s condition hold for `row` with `view`'s state? Then the record with its assignments.
    fn matches(&self, k: usize, row: usize, view: Option<&Sequence>) -> Result<Option<Record>> {
        let Some(step) = self.spec.steps.get(k) else { return Ok(None) };
        let whole = self.whole.get(k).and_then(Option::as_ref);
        let batch = match whole {
            Some(w) => {
                if !(w.is_valid(row) && w.value(row)) {
                    return Ok(None);
                }
                None
            }
            None => {
                let b = self.row_batch(row, view)?;
                if scalar(step.condition.evaluate(&b)?)? != ScalarValue::Boolean(Some(true)) {
                    return Ok(None);
                }
                Some(b)
            }
        };
        let mut declared: Vec<ScalarValue> = self.spec.defaults.iter().map(|d| d.1.clone()).collect();
        if !step.assignments.is_empty() {
            let b = match batch {
                Some(b) => b,
                None => self.row_batch(row, view)?,
            };
            for (d, e) in &step.assignments {
                let mut v = scalar(e.evaluate(&b)?)?;
                if let (Some(slot), Some((dt, _))) = (declared.get_mut(*d), self.spec.defaults.get(*d)) {
                    if v.data_type() != *dt {
                        v = v.cast_to(dt)?;
                    }
                    *slot = v;
                }
            }
        }
        Ok(Some(Record { row, declared }))
    }
}

fn scalar(v: ColumnarValue) -> Result<ScalarValue> {
    match v {
        ColumnarValue::Scalar(s) => Ok(s),
        ColumnarValue::Array(a) => ScalarValue::try_from_array(&a, 0),
    }
}

/// The matches of the whole input, in output order.
fn run(spec: &Spec, input: &RecordBatch) -> Result<Vec<Match>> {
    let n = input.num_rows();
    let mut default_rows = Vec::new();
    for (_, v) in &spec.defaults {
        default_rows.push(v.to_array_of_size(1)?);
    }
    // the conditions that read no state, for every row at once
    let mut whole = Vec::new();
    if spec.steps.iter().any(|s| !s.per_record) && n > 0 {
        let mut cols: Vec<ArrayRef> = Vec::new();
        for (i, c) in spec.eval_columns.iter().enumerate() {
            cols.push(match *c {
                EvalColumn::Input(x) => Arc::clone(input.column(x)),
                _ => new_null_array(spec.eval_schema.field(i).data_type(), n),
            });
        }
        let all = RecordBatch::try_new_with_options(
            Arc::clone(&spec.eval_schema),
            cols,
            &RecordBatchOptions::new().with_row_count(Some(n)),
        )?;
        for s in &spec.steps {
            whole.push(match s.per_record {
                true => None,
                false => {
                    let a = s.condition.evaluate(&all)?.into_array(n)?;
                    match a.as_any().downcast_ref::<datafusion::arrow::array::BooleanArray>() {
                        Some(b) => Some(b.clone()),
                        None => return internal_err!("a scan step's condition is not a bool"),
                    }
                }
            });
        }
    } else {
        whole = spec.steps.iter().map(|_| None).collect();
    }
    let ev = Evaluator { spec, input, whole, default_rows };
    let steps = spec.steps.len();
    let mut machines: HashMap<ScalarValue, Machine> = HashMap::new();
    let mut out = Vec::new();
    for row in 0..n {
        let key = match spec.partition {
            Some(p) => ScalarValue::try_from_array(input.column(p), row)?,
            None => ScalarValue::Null,
        };
        let m = machines.entry(key).or_insert_with(|| Machine::new(steps));
        for k in (0..steps).rev() {
            let Some(step) = spec.steps.get(k) else { continue };
            // check 1: the previous step's sequence moves into this step
            if k > 0 {
                if let Some(prev) = m.states.get(k - 1).and_then(Option::as_ref) {
                    if let Some(rec) = ev.matches(k, row, Some(prev))? {
                        m.flush(k, &mut out);
                        m.flush(k - 1, &mut out);
                        let mut seq = match m.states.get_mut(k - 1).and_then(Option::take) {
                            Some(s) => s,
                            None => return internal_err!("scan state lost"),
                        };
                        seq.records.truncate(k);
                        seq.records.push(rec.clone());
                        let id = seq.id;
                        if let Some(slot) = m.states.get_mut(k) {
                            *slot = Some(seq);
                        }
                        m.emit(step, k, Match { record: rec, id }, &mut out);
                        continue;
                    }
                }
            }
            // check 2: this step's own sequence (or, for the first step, a new one)
            let own = m.states.get(k).and_then(Option::as_ref);
            if k > 0 && own.is_none() {
                continue;
            }
            let Some(rec) = ev.matches(k, row, own)? else { continue };
            let id = match m.states.get_mut(k).and_then(Option::as_mut) {
                Some(seq) => {
                    seq.records.truncate(k);
                    seq.records.push(rec.clone());
                    seq.id
                }
                None => {
                    let id = m.next_id;
                    m.next_id += 1;
                    if let Some(slot) = m.states.get_mut(k) {
                        *slot = Some(Sequence { id, records: vec![rec.clone()] });
                    }
                    id
                }
            };
            m.emit(step, k, Match { record: rec, id }, &mut out);
        }
    }
    // the series still open at the end: their last matches, in input order
    let mut rest: Vec<Match> = machines.into_values().flat_map(|m| m.pending.into_iter().flatten()).collect();
    rest.sort_by_key(|m| m.record.row);
    out.extend(rest);
    Ok(out)
}

/// The output batches: each match's input columns, declared columns and match id.
fn output(spec: &Spec, input: &RecordBatch, matches: &[Match], schema: &SchemaRef) -> Result<Vec<RecordBatch>> {
    let mut batches = Vec::new();
    for chunk in matches.chunks(BATCH_SIZE) {
        let rows = UInt64Array::from_iter_values(chunk.iter().map(|m| m.record.row as u64));
        let mut cols: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
        for c in input.columns() {
            cols.push(take(c.as_ref(), &rows, None)?);
        }
        for (d, (dt, _)) in spec.defaults.iter().enumerate() {
            let values = chunk.iter().map(|m| m.record.declared.get(d).cloned().unwrap_or(ScalarValue::Null));
            let a = ScalarValue::iter_to_array(values)?;
            cols.push(if a.data_type() == dt { a } else { datafusion::arrow::compute::cast(&a, dt)? });
        }
        if spec.match_id {
            cols.push(Arc::new(Int64Array::from_iter_values(chunk.iter().map(|m| m.id))));
        }
        batches.push(RecordBatch::try_new(Arc::clone(schema), cols)?);
    }
    Ok(batches)
}
