//! `where` (filter): the row scope passes through unchanged.

use crate::ast;
use crate::binder::{df_err, Binder, Bound};
use crate::diagnostics::BindError;
use crate::types::KqlType;
use datafusion::logical_expr::LogicalPlanBuilder;

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
        let plan =
            LogicalPlanBuilder::from(input.plan).filter(p.expr).and_then(|b| b.build()).map_err(df_err(pred.span))?;
        Bound::new(plan, input.schema, pred.span)
    }
}
