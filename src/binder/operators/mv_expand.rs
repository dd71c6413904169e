//! `mv-expand`: one row per element of a dynamic array (or entry of a bag), several columns in parallel
//! padded with null, `to typeof(T)`, `with_itemindex`, `limit` (mv-expand-operator; KUSTO-NOTES §9).

use crate::ast::{self, OpParam};
use crate::binder::{col, df_err, Binder, Bound};
use crate::diagnostics::BindError;
use crate::functions::{udf::Udf, Arg};
use crate::source::Span;
use crate::types::{KqlColumn, KqlSchema, KqlType};
use datafusion::common::{Column, UnnestOptions};
use datafusion::functions::core::expr_fn::coalesce;
use datafusion::logical_expr::{lit, Expr, LogicalPlanBuilder};

impl Binder<'_> {
    pub(crate) fn bind_mv_expand(
        &mut self,
        input: Bound,
        params: &[OpParam],
        items: &[(ast::NamedExpr, Option<ast::Ident>)],
        limit: Option<&ast::Expr>,
        span: Span,
    ) -> Result<Bound, BindError> {
        let param = |n: &str| params.iter().find(|p| p.name.name == n).map(|p| p.value.name.clone());
        let as_pairs = param("bagexpansion").or(param("kind")).is_some_and(|v| v == "array");
        let index_col = param("with_itemindex");
        let limit = match limit {
            Some(l) => self.const_row_count(l)?,
            None => i32::MAX as usize,
        };
        // the projection that turns each expanded value into a list, keeping the other columns in place
        let mut proj = Self::passthrough(&input);
        let mut expanded: Vec<(String, Option<KqlType>)> = Vec::new();
        for (it, ty) in items {
            let a = self.bind_scalar(&it.expr, &input.schema)?;
            let a = if a.ty == KqlType::Dynamic { a } else { crate::functions::convert_to(a, KqlType::Dynamic) };
            let name = match it.names.first() {
                Some(n) => n.name.clone(),
                None => crate::binder::expr::auto_name(&it.expr).ok_or_else(|| BindError::InvalidArgument {
                    message: "mv-expand needs a column, or Name = expression".into(),
                    span: it.expr.span.into(),
                    help: None,
                })?,
            };
            let target = match ty {
                Some(t) => Some(crate::binder::source::parse_type(t)?),
                None => None,
            };
            let config = [lit(as_pairs), lit(i64::try_from(limit).unwrap_or(i64::MAX))];
            // `to typeof(string)`: the list holds each item's tostring already (no cast after the unnest)
            let (expand, ty) = match target {
                Some(KqlType::String) => (Udf::MvExpandText, KqlType::String),
                _ => (Udf::MvExpand, KqlType::Dynamic),
            };
            let list = expand.call([a.expr.clone()].into_iter().chain(config.clone()).collect());
            match proj.iter_mut().find(|p| p.1 == name) {
                // `mv-expand todynamic(Entities)` on a string column: the expanded column is dynamic
                Some(slot) => *slot = (list, name.clone(), ty),
                None => proj.push((list, name.clone(), ty)),
            }
            if let (Some(ix), true) = (&index_col, expanded.is_empty()) {
                let idx = Udf::MvExpandIndex.call([a.expr].into_iter().chain(config).collect());
                expanded.push((ix.clone(), None));
                proj.push((idx, ix.clone(), KqlType::Long));
            }
            expanded.push((name, target));
        }
        let exprs: Vec<Expr> = proj.iter().map(|(e, n, _)| e.clone().alias(n.clone())).collect();
        let cols: Vec<Column> = expanded.iter().map(|(n, _)| Column::new_unqualified(n)).collect();
        // fields::projection: no column normalization over the whole plan (see Binder::project)
        let projected =
            crate::binder::fields::projection(exprs, std::sync::Arc::new(input.plan)).map_err(df_err(span))?;
        let plan = LogicalPlanBuilder::from(projected)
            .unnest_columns_with_options(cols, UnnestOptions::new().with_preserve_nulls(true))
            .and_then(|b| b.build())
            .map_err(df_err(span))?;
        let unnested = Bound {
            label: None,
            serialized: true,
            plan,
            schema: KqlSchema::new(proj.iter().map(|(_, n, t)| KqlColumn { name: n.clone(), ty: *t }).collect()),
        };
        let names: Vec<String> = unnested.plan.schema().fields().iter().map(|f| f.name().clone()).collect();
        let raw = Bound {
            label: None,
            serialized: true,
            plan: unnested.plan,
            schema: KqlSchema::new(
                names
                    .iter()
                    .zip(&unnested.schema.columns)
                    .map(|(n, c)| KqlColumn { name: n.clone(), ty: c.ty })
                    .collect(),
            ),
        };
        // cast `to typeof(T)` columns; put the item index last (as the language service does)
        let mut out = Vec::new();
        for (n, c) in names.iter().zip(&unnested.schema.columns) {
            if Some(&c.name) == index_col.as_ref() {
                continue;
            }
            let e = col(n);
            match expanded.iter().find(|(x, _)| x == &c.name).and_then(|(_, t)| *t) {
                // made by kql_mv_expand_text; a shorter list's padding is null, which tostring makes ""
                Some(KqlType::String) if expanded.len() > 1 => {
                    out.push((coalesce(vec![e, lit("")]), c.name.clone(), KqlType::String))
                }
                Some(KqlType::String) => out.push((e, c.name.clone(), KqlType::String)),
                Some(t) => out.push((
                    crate::functions::convert_to(Arg { expr: e, ty: KqlType::Dynamic, span }, t).expr,
                    c.name.clone(),
                    t,
                )),
                None => out.push((e, c.name.clone(), c.ty)),
            }
        }
        if let Some(ix) = &index_col {
            if let Some((n, _)) = names.iter().zip(&unnested.schema.columns).find(|(_, c)| &c.name == ix) {
                out.push((col(n), ix.clone(), KqlType::Long));
            }
        }
        self.project(raw, out, span)
    }
}
