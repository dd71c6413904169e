//! `sort`/`order`, `top`, `take`/`limit`, `count`, `distinct`.

use crate::ast;
use crate::binder::fields;
use crate::binder::{col, df_err, Binder, Bound};
use crate::diagnostics::BindError;
use crate::source::Span;
use crate::types::{KqlColumn, KqlSchema, KqlType};
use datafusion::logical_expr::{Expr, LogicalPlanBuilder, SortExpr};

impl Binder<'_> {
    /// sort-operator: default desc; nulls first for asc, last for desc (unless `nulls first|last`).
    pub(crate) fn sort_exprs(&mut self, input: &Bound, keys: &[ast::SortKey]) -> Result<Vec<SortExpr>, BindError> {
        let mut out = Vec::new();
        for k in keys {
            let a = self.bind_scalar(&k.expr, &input.schema)?;
            // an unknown column after a plugin or `union *` while checking: its type is not known either
            let a = if a.ty == KqlType::Dynamic && self.open_columns {
                crate::functions::convert_to(a, KqlType::String)
            } else {
                a
            };
            if a.ty == KqlType::Dynamic {
                return Err(BindError::TypeMismatch {
                    message: "cannot sort by a dynamic value".into(),
                    span: a.span.into(),
                    found: "dynamic".into(),
                    help: Some("convert it first, e.g. tostring(...) or tolong(...)".into()),
                });
            }
            let asc = k.asc.unwrap_or(false);
            let nulls_first = k.nulls_first.unwrap_or(asc);
            out.push(SortExpr::new(a.expr, asc, nulls_first));
        }
        Ok(out)
    }

    pub(crate) fn bind_sort(&mut self, input: Bound, keys: &[ast::SortKey], span: Span) -> Result<Bound, BindError> {
        let sorts = self.sort_exprs(&input, keys)?;
        let plan = fields::sort(sorts, input.plan, None);
        Bound::new(plan, input.schema, span)
    }

    /// top-operator: `sort by e | take N`.
    pub(crate) fn bind_top(
        &mut self,
        input: Bound,
        count: &ast::Expr,
        key: &ast::SortKey,
        span: Span,
    ) -> Result<Bound, BindError> {
        let n = self.const_row_count(count)?;
        let sorts = self.sort_exprs(&input, std::slice::from_ref(key))?;
        let plan = fields::limit(fields::sort(sorts, input.plan, None), n);
        Bound::new(plan, input.schema, span)
    }

    /// A non-negative constant row count (`take 10`, `top N by`, a `let` holding a number).
    pub(crate) fn const_row_count(&mut self, e: &ast::Expr) -> Result<usize, BindError> {
        let a = self.bind_scalar(e, &KqlSchema::default())?;
        let v = crate::binder::expr::fold_constant(&a.expr);
        let n = match v {
            Some(datafusion::common::ScalarValue::Int64(Some(n))) => n,
            Some(datafusion::common::ScalarValue::Int32(Some(n))) => n as i64,
            _ => {
                return Err(BindError::InvalidArgument {
                    message: "the number of rows must be a constant integer".into(),
                    span: e.span.into(),
                    help: None,
                })
            }
        };
        usize::try_from(n).map_err(|_| BindError::InvalidArgument {
            message: "the number of rows cannot be negative".into(),
            span: e.span.into(),
            help: None,
        })
    }

    /// take-operator: any N rows.
    pub(crate) fn bind_take(&mut self, input: Bound, n: &ast::Expr) -> Result<Bound, BindError> {
        let k = self.const_row_count(n)?;
        let plan =
            LogicalPlanBuilder::from(input.plan).limit(0, Some(k)).and_then(|b| b.build()).map_err(df_err(n.span))?;
        Bound::new(plan, input.schema, n.span)
    }

    /// sample-operator: up to N rows in random order; sample-distinct-operator: up to N distinct values of one
    /// column (the column alone).
    pub(crate) fn bind_sample(
        &mut self,
        input: Bound,
        count: &ast::Expr,
        of: Option<&ast::Expr>,
        span: Span,
    ) -> Result<Bound, BindError> {
        let n = self.const_row_count(count)?;
        let rows = match of {
            Some(c) => self.bind_distinct(input, std::slice::from_ref(c), span)?,
            None => input,
        };
        // the random key as a column (a sort key alone may leave a batch without columns after pruning)
        let key = self.fresh("rand");
        let mut with_key: Vec<(Expr, String, KqlType)> = Self::passthrough(&rows);
        with_key.push((datafusion::functions::math::expr_fn::random(), key.clone(), KqlType::Real));
        let keyed = self.project(rows, with_key, span)?;
        let plan =
            fields::limit(fields::sort(vec![SortExpr::new(col(&key), true, false)], keyed.plan.clone(), None), n);
        let sorted = Bound::new(plan, keyed.schema.clone(), span)?;
        let items = Self::passthrough(&sorted).into_iter().filter(|(_, name, _)| name != &key).collect();
        self.project(sorted, items, span)
    }

    /// count-operator: one column `Count` (long).
    pub(crate) fn bind_count(&mut self, input: Bound, span: Span) -> Result<Bound, BindError> {
        let agg = datafusion::functions_aggregate::expr_fn::count(datafusion::logical_expr::lit(1i64)).alias("Count");
        let plan = LogicalPlanBuilder::from(input.plan)
            .aggregate(Vec::<Expr>::new(), vec![agg])
            .and_then(|b| b.build())
            .map_err(df_err(span))?;
        Bound::new(plan, KqlSchema::new(vec![KqlColumn { name: "Count".into(), ty: KqlType::Long }]), span)
    }

    /// distinct-operator: `distinct A, B` or `distinct *`.
    pub(crate) fn bind_distinct(&mut self, input: Bound, cols: &[ast::Expr], span: Span) -> Result<Bound, BindError> {
        let mut items = Vec::new();
        for c in cols {
            if matches!(c.kind, ast::ExprKind::Star) {
                items.extend(Self::passthrough(&input));
                continue;
            }
            if let ast::ExprKind::NamedArg { name, value } = &c.kind {
                let a = self.bind_scalar(value, &input.schema)?;
                items.push((a.expr, name.name.clone(), a.ty));
                continue;
            }
            let a = self.bind_scalar(c, &input.schema)?;
            let name = match crate::binder::expr::auto_name(c) {
                Some(n) => n,
                None => {
                    let taken: Vec<String> =
                        items.iter().map(|(_, n, _): &(Expr, String, KqlType)| n.clone()).collect();
                    self.column_name(&taken)
                }
            };
            items.push((a.expr, name, a.ty));
        }
        let projected = self.project(input, items, span)?;
        let groups: Vec<Expr> = projected.schema.columns.iter().map(|c| col(&c.name)).collect();
        let plan = fields::aggregate(groups, Vec::new(), std::sync::Arc::new(projected.plan)).map_err(df_err(span))?;
        Bound::new(plan, projected.schema, span)
    }
}
