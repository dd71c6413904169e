//! `scan` (scan-operator): a state machine over the serialized rows. Each step's condition and assignments
//! are bound here against the row's columns, the declared columns and the `step.Column` values of the scan's
//! state; the rows go through [`ScanNode`], a plan node of its own that the execute stage runs record by
//! record (a sequence cannot be computed column-wise: each match depends on the matches before it).

use crate::ast::{self, ExprKind, Ident};
use crate::binder::{df_err, Binder, Bound};
use crate::diagnostics::BindError;
use crate::source::Span;
use crate::types::{KqlColumn, KqlSchema, KqlType};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{DFSchema, DFSchemaRef, ScalarValue};
use datafusion::logical_expr::{Expr, Extension, LogicalPlan, UserDefinedLogicalNodeCore};
use std::sync::Arc;

/// What a step adds to the output when a record matches it (the step's `output =`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd)]
pub enum StepOutput {
    All,
    /// only the last record of a series of repeated matches of the step
    Last,
    None,
}

/// A column of the table a step's expressions are evaluated over, one record at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd)]
pub enum EvalColumn {
    /// the record's input column (index into the input's columns)
    Input(usize),
    /// a declared column of the record being matched: its default value
    Declared(usize),
    /// `step.Column` in the state: the step's index and the column (an input column, then the declared ones)
    State { step: usize, column: usize },
}

/// One step, bound: the condition and the assignments (declared column index, value) over the evaluation
/// schema.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd)]
pub struct ScanStepPlan {
    pub name: String,
    pub output: StepOutput,
    pub condition: Expr,
    pub assignments: Vec<(usize, Expr)>,
}

/// The plan node of a `scan`. Its expressions are over `eval_schema` (not over the input's columns), so the
/// optimizer sees none of them and treats the node as needing every input column.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScanNode {
    pub input: LogicalPlan,
    /// the declared columns: name, type, default value
    pub declared: Vec<(String, DataType, ScalarValue)>,
    pub steps: Vec<ScanStepPlan>,
    /// what each column of `eval_schema` reads
    pub eval_columns: Vec<EvalColumn>,
    pub eval_schema: DFSchemaRef,
    /// the `with_match_id` column, last in the output
    pub match_id: Option<String>,
    /// inside `partition` or `mv-apply`: the input column holding the partition; each has its own state
    pub partition: Option<usize>,
    /// the input's columns, the declared ones, the match id
    pub schema: DFSchemaRef,
}

impl PartialOrd for ScanNode {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        // plans are compared for equality only; there is no meaningful order between two scans
        (self == other).then_some(std::cmp::Ordering::Equal)
    }
}

impl ScanNode {
    /// The output schema of a scan over `input`.
    pub fn output_schema(
        input: &LogicalPlan,
        declared: &[(String, DataType, ScalarValue)],
        match_id: Option<&str>,
    ) -> datafusion::common::Result<DFSchemaRef> {
        let mut fields: Vec<Field> = input.schema().fields().iter().map(|f| f.as_ref().clone()).collect();
        fields.extend(declared.iter().map(|(n, t, _)| Field::new(n, t.clone(), true)));
        if let Some(m) = match_id {
            fields.push(Field::new(m, DataType::Int64, false));
        }
        Ok(Arc::new(DFSchema::from_unqualified_fields(fields.into(), Default::default())?))
    }
}

impl UserDefinedLogicalNodeCore for ScanNode {
    fn name(&self) -> &str {
        "KqlScan"
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        vec![&self.input]
    }

    fn schema(&self) -> &DFSchemaRef {
        &self.schema
    }

    fn expressions(&self) -> Vec<Expr> {
        vec![]
    }

    fn fmt_for_explain(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let steps: Vec<String> = self
            .steps
            .iter()
            .map(|s| {
                let sets: Vec<String> = s
                    .assignments
                    .iter()
                    .map(|(i, e)| format!("{} = {e}", self.declared.get(*i).map_or("?", |d| d.0.as_str())))
                    .collect();
                if sets.is_empty() {
                    format!("{}: {}", s.name, s.condition)
                } else {
                    format!("{}: {} => {}", s.name, s.condition, sets.join(", "))
                }
            })
            .collect();
        write!(f, "KqlScan: steps=[{}]", steps.join("; "))?;
        if let Some(m) = &self.match_id {
            write!(f, ", match_id={m}")?;
        }
        Ok(())
    }

    fn with_exprs_and_inputs(&self, _exprs: Vec<Expr>, inputs: Vec<LogicalPlan>) -> datafusion::common::Result<Self> {
        let input = inputs.into_iter().next().unwrap_or_else(|| self.input.clone());
        let schema = ScanNode::output_schema(&input, &self.declared, self.match_id.as_deref())?;
        Ok(ScanNode { input, schema, ..self.clone() })
    }
}

/// The name a `step.Column` reference is bound under.
fn state_name(step: usize, column: &str) -> String {
    format!("__scan{step}.{column}")
}

impl Binder<'_> {
    /// Binds `scan`; `partition` is the hidden partition column inside `partition` / `mv-apply`.
    pub(crate) fn bind_scan(
        &mut self,
        input: Bound,
        scan: &ast::Scan,
        partition: Option<&str>,
        span: Span,
    ) -> Result<Bound, BindError> {
        let invalid = |message: String, span: Span, help: Option<&str>| BindError::InvalidArgument {
            message,
            span: span.into(),
            help: help.map(str::to_string),
        };
        if scan.steps.is_empty() {
            return Err(invalid("scan needs at least one step".into(), span, Some("with (step s1: Condition;)")));
        }
        let mut names: Vec<&str> = Vec::new();
        for s in &scan.steps {
            if names.contains(&s.name.name.as_str()) {
                return Err(invalid(
                    format!("a step named '{}' comes earlier: step names must be unique", s.name.name),
                    s.name.span,
                    None,
                ));
            }
            names.push(&s.name.name);
        }
        // the declared columns, with their defaults (constants of the declared type)
        let mut taken: Vec<String> = input.schema.names().map(str::to_string).collect();
        let mut declared: Vec<(String, KqlType, ScalarValue)> = Vec::new();
        for (n, t, default) in &scan.declare {
            let Some(ty) = KqlType::parse(&t.name) else {
                return Err(invalid(format!("unknown type '{}'", t.name), t.span, Some("string, long, datetime, ...")));
            };
            if taken.contains(&n.name) {
                return Err(BindError::DuplicateColumn { name: n.name.clone(), span: n.span.into() });
            }
            let value = match default {
                None => ScalarValue::try_from(&ty.to_arrow()).map_err(df_err(n.span))?,
                Some(d) => {
                    let a = self.bind_scalar(d, &KqlSchema::new(vec![]))?;
                    let v = crate::binder::expr::fold_constant(&a.expr).ok_or_else(|| {
                        invalid("a declared column's default must be a constant".into(), d.span, None)
                    })?;
                    if a.ty != ty && !(a.ty.is_numeric() && ty.is_numeric()) && !v.is_null() {
                        return Err(BindError::TypeMismatch {
                            message: format!("the default of '{}' must be a {ty}", n.name),
                            span: d.span.into(),
                            found: a.ty.to_string(),
                            help: None,
                        });
                    }
                    v.cast_to(&ty.to_arrow()).map_err(df_err(d.span))?
                }
            };
            taken.push(n.name.clone());
            declared.push((n.name.clone(), ty, value));
        }
        if let Some(m) = &scan.match_id {
            if taken.contains(&m.name) {
                return Err(BindError::DuplicateColumn { name: m.name.clone(), span: m.span.into() });
            }
        }
        // a record's columns: the input's, then the declared ones
        let mut record: Vec<KqlColumn> = input.schema.columns.clone();
        record.extend(declared.iter().map(|(n, t, _)| KqlColumn { name: n.clone(), ty: *t }));
        let n_input = input.schema.columns.len();
        // the scope of the steps' expressions: the record, then every `step.Column` of the state
        let mut scope = record.clone();
        for (j, _) in scan.steps.iter().enumerate() {
            scope.extend(record.iter().map(|c| KqlColumn { name: state_name(j, &c.name), ty: c.ty }));
        }
        let scope = KqlSchema::new(scope);
        let mut steps = Vec::new();
        for (k, s) in scan.steps.iter().enumerate() {
            let output = match s.output.as_ref().map(|o| o.name.as_str()) {
                None | Some("all") => StepOutput::All,
                Some("last") => StepOutput::Last,
                Some("none") => StepOutput::None,
                Some(o) => {
                    let sp = s.output.as_ref().map_or(s.name.span, |o| o.span);
                    return Err(invalid(format!("output={o}: expected all, last or none"), sp, None));
                }
            };
            let cond = self.state_refs(&s.condition, &names[..=k], &record)?;
            let c = self.bind_scalar(&cond, &scope)?;
            if c.ty != KqlType::Bool {
                return Err(BindError::TypeMismatch {
                    message: "a step's condition must be a bool".into(),
                    span: s.condition.span.into(),
                    found: c.ty.to_string(),
                    help: None,
                });
            }
            let mut assignments = Vec::new();
            for (target, value) in &s.assignments {
                let Some(d) = declared.iter().position(|(n, _, _)| *n == target.name) else {
                    if input.schema.find(&target.name).is_some() {
                        return Err(invalid(
                            format!("'{}' is an input column: a step assigns declared columns only", target.name),
                            target.span,
                            Some("declare a column for the value: scan declare (Name: type) with (...)"),
                        ));
                    }
                    let help = crate::names::help_line(
                        &target.name,
                        declared.iter().map(|d| d.0.as_str()),
                        "declared columns",
                    );
                    return Err(BindError::UnknownColumn {
                        name: target.name.clone(),
                        span: target.span.into(),
                        did_you_mean: help,
                    });
                };
                let ty = declared.get(d).map_or(KqlType::String, |x| x.1);
                let v = self.state_refs(value, &names[..=k], &record)?;
                let a = self.bind_scalar(&v, &scope)?;
                let expr = if a.ty == ty {
                    a.expr
                } else if a.ty.is_numeric() && ty.is_numeric() {
                    Expr::Cast(datafusion::logical_expr::Cast::new(Box::new(a.expr), ty.to_arrow()))
                } else {
                    return Err(BindError::TypeMismatch {
                        message: format!("'{}' is a {ty}", target.name),
                        span: value.span.into(),
                        found: a.ty.to_string(),
                        help: None,
                    });
                };
                assignments.push((d, expr));
            }
            steps.push(ScanStepPlan { name: s.name.name.clone(), output, condition: c.expr, assignments });
        }
        // the evaluation schema: only the columns the expressions read
        let mut used: Vec<String> = Vec::new();
        for s in &steps {
            for e in std::iter::once(&s.condition).chain(s.assignments.iter().map(|(_, e)| e)) {
                for c in e.column_refs() {
                    if !used.contains(&c.name) {
                        used.push(c.name.clone());
                    }
                }
            }
        }
        let mut eval_columns = Vec::new();
        let mut eval_fields = Vec::new();
        for (i, c) in scope.columns.iter().enumerate() {
            if !used.contains(&c.name) {
                continue;
            }
            let what = if i < n_input {
                EvalColumn::Input(i)
            } else if i < record.len() {
                EvalColumn::Declared(i - n_input)
            } else {
                let r = i - record.len();
                EvalColumn::State { step: r / record.len().max(1), column: r % record.len().max(1) }
            };
            let dt = match what {
                EvalColumn::Input(x) | EvalColumn::State { column: x, .. } if x < n_input => {
                    input.plan.schema().field(x).data_type().clone()
                }
                _ => c.ty.to_arrow(),
            };
            eval_columns.push(what);
            eval_fields.push(Field::new(&c.name, dt, true));
        }
        let eval_schema =
            Arc::new(DFSchema::from_unqualified_fields(eval_fields.into(), Default::default()).map_err(df_err(span))?);
        let partition = match partition {
            Some(p) => Some(input.schema.find(p).map(|(i, _)| i).ok_or_else(|| BindError::Internal {
                message: format!("the partition column {p} is not in the scan's input"),
                span: span.into(),
            })?),
            None => None,
        };
        let declared_plan: Vec<(String, DataType, ScalarValue)> =
            declared.iter().map(|(n, t, v)| (n.clone(), t.to_arrow(), v.clone())).collect();
        let match_id = scan.match_id.as_ref().map(|m| m.name.clone());
        let schema = ScanNode::output_schema(&input.plan, &declared_plan, match_id.as_deref()).map_err(df_err(span))?;
        let node = ScanNode {
            input: input.plan,
            declared: declared_plan,
            steps,
            eval_columns,
            eval_schema,
            match_id: match_id.clone(),
            partition,
            schema,
        };
        let mut columns = record;
        if let Some(m) = match_id {
            columns.push(KqlColumn { name: m, ty: KqlType::Long });
        }
        Ok(Bound {
            plan: LogicalPlan::Extension(Extension { node: Arc::new(node) }),
            schema: KqlSchema::new(columns),
            label: input.label,
            serialized: input.serialized,
        })
    }

    /// `step.Column` (for a step up to this one) becomes the name it is bound under; an unknown column of a
    /// step is an error at the column.
    fn state_refs(&self, e: &ast::Expr, steps: &[&str], record: &[KqlColumn]) -> Result<ast::Expr, BindError> {
        let mut e = e.clone();
        let mut err = None;
        rewrite(&mut e, &mut |x| {
            let ExprKind::Member { target, name } = &x.kind else { return true };
            let ExprKind::Name(step) = &target.kind else { return true };
            let Some(j) = steps.iter().position(|s| *s == step.name) else { return true };
            if !record.iter().any(|c| c.name == name.name) {
                let help = crate::names::help_line(&name.name, record.iter().map(|c| c.name.as_str()), "columns");
                err = Some(BindError::UnknownColumn {
                    name: format!("{}.{}", step.name, name.name),
                    span: name.span.into(),
                    did_you_mean: help,
                });
                return false;
            }
            x.kind = ExprKind::Name(Ident { name: state_name(j, &name.name), span: x.span });
            false
        });
        match err {
            Some(e) => Err(e),
            None => Ok(e),
        }
    }
}

/// Applies `f` to `e` and, where `f` returns true, to its children.
fn rewrite(e: &mut ast::Expr, f: &mut dyn FnMut(&mut ast::Expr) -> bool) {
    if f(e) {
        for c in e.children_mut() {
            rewrite(c, f);
        }
    }
}
