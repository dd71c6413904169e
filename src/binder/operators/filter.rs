//! `where` (filter): the row scope passes through unchanged.

use crate::ast;
use crate::binder::{df_err, Binder, Bound};
use crate::diagnostics::BindError;
use crate::types::KqlType;

impl Binder<'_> {
    /// `DeviceLogonEvents | where Timestamp > ago(1h)`: rows whose predicate is true (null drops the row).
    pub(crate) fn bind_where(&mut self, input: Bound, pred: &ast::Expr) -> Result<Bound, BindError> {
        let star;
        let pred = match super::search::star_predicate(pred, &input.schema) {
            Some(e) => {
                star = e;
                &star
            }
            None => pred,
        };
        let p = self.bind_scalar(pred, &input.schema)?;
        let p = if p.ty == KqlType::Dynamic { crate::functions::convert_to(p, KqlType::Bool) } else { p };
        if p.ty != KqlType::Bool {
            return Err(BindError::TypeMismatch {
                message: format!("a where predicate must be bool, this is {}", p.ty),
                span: p.span.into(),
                found: p.ty.to_string(),
                help: Some("compare the value, e.g. `where X == ...` or `where isnotempty(X)`".into()),
            });
        }
        // Filter::try_new, not the builder's filter, which normalizes columns by walking the whole plan (see
        // bind_summarize)
        let plan = datafusion::logical_expr::Filter::try_new(p.expr, std::sync::Arc::new(input.plan))
            .map(datafusion::logical_expr::LogicalPlan::Filter)
            .map_err(df_err(pred.span))?;
        Bound::new(plan, input.schema, pred.span)
    }
}
