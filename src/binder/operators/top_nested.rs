//! `top-nested` (top-nested-operator): hierarchical top values. Level i groups the rows by the first i `of`
//! expressions, aggregates, and keeps the top N groups (by the aggregate, desc unless `asc`) inside each group
//! kept by level i-1. Planned as one `summarize` per level (so every aggregate form summarize knows works),
//! ranked per parent group (a window), then joined to the kept groups of the level above for their values.
//! Each level gives two columns in clause order: the value (`Name`, or the expression's column name) and the
//! aggregate (`Name`, or `aggregated_<value column>`).

use crate::ast::{self, TopNestedLevel};
use crate::binder::expr::auto_name;
use crate::binder::{col, Binder, Bound, Syn};
use crate::diagnostics::BindError;
use crate::source::Span;
use crate::types::KqlType;
use datafusion::common::JoinType;
use datafusion::logical_expr::{Expr, SortExpr};

impl Binder<'_> {
    pub(crate) fn bind_top_nested(
        &mut self,
        input: Bound,
        levels: &[TopNestedLevel],
        span: Span,
    ) -> Result<Bound, BindError> {
        let s = Syn(span);
        let mut keys: Vec<String> = Vec::new(); // hidden group columns g1..gi
        let mut aggs: Vec<String> = Vec::new(); // hidden aggregate columns a1..ai
        let mut names: Vec<String> = Vec::new(); // output names, in output order
        let mut kept: Option<Bound> = None;
        for lv in levels {
            if let Some(o) = &lv.others {
                return Err(BindError::Unsupported { what: "top-nested's `with others`".into(), span: o.span.into() });
            }
            let (g, a) = (self.fresh("tn_g"), self.fresh("tn_a"));
            // names: `Name = Expr`, the expression's column name, or Column1...; `aggregated_<value>`
            let value = match lv.of.names.first() {
                Some(n) => n.name.clone(),
                None => auto_name(&lv.of.expr).unwrap_or_else(|| self.column_name(&names)),
            };
            let value = unique(value, &names);
            names.push(value.clone());
            let agg = match lv.by.names.first() {
                Some(n) => n.name.clone(),
                None => format!("aggregated_{value}"),
            };
            let agg = unique(agg, &names);
            names.push(agg);
            // summarize a = Agg by g1..gi (the outer levels' expressions again, then this one)
            let mut by: Vec<ast::NamedExpr> =
                levels.iter().zip(&keys).map(|(l, k)| s.named(k, l.of.expr.clone())).collect();
            by.push(s.named(&g, lv.of.expr.clone()));
            let agg_item = s.named(&a, lv.by.expr.clone());
            let grouped = self.bind_summarize(input.clone(), std::slice::from_ref(&agg_item), &by, lv.span)?;
            let Some((_, ac)) = grouped.schema.find(&a) else {
                return Err(BindError::Internal {
                    message: "top-nested: no aggregate column".into(),
                    span: span.into(),
                });
            };
            if matches!(ac.ty, KqlType::Dynamic) {
                return Err(BindError::TypeMismatch {
                    message: "top-nested ranks groups by their aggregate, which cannot be dynamic".into(),
                    span: lv.by.expr.span.into(),
                    found: "dynamic".into(),
                    help: None,
                });
            }
            // the top N groups inside each parent group
            let ranked = match &lv.count {
                Some(n) => {
                    let n = self.const_row_count(n)?;
                    let sorts = vec![SortExpr::new(col(&a), lv.asc, false)];
                    self.first_rows_per(grouped, &keys, &sorts, n, lv.span)?
                }
                None => grouped,
            };
            // only groups under a kept parent, with the parents' aggregates
            let joined = match kept.take() {
                None => ranked,
                Some(parents) => {
                    let join_keys: Vec<super::join::Key> = keys
                        .iter()
                        .map(|k| {
                            let t = parents.schema.find(k).map_or(KqlType::String, |(_, c)| c.ty);
                            (k.clone(), k.clone(), t, t, lv.span)
                        })
                        .collect();
                    self.finish_join(ranked, parents, JoinType::Inner, &join_keys, true, lv.span)?
                }
            };
            keys.push(g);
            aggs.push(a);
            kept = Some(joined);
        }
        let Some(rows) = kept else {
            return Err(BindError::InvalidArgument {
                message: "top-nested needs a clause".into(),
                span: span.into(),
                help: None,
            });
        };
        let mut out: Vec<(Expr, String, KqlType)> = Vec::new();
        for (i, (g, a)) in keys.iter().zip(&aggs).enumerate() {
            for (hidden, name) in [(g, names.get(2 * i)), (a, names.get(2 * i + 1))] {
                let ty = rows.schema.find(hidden).map_or(KqlType::String, |(_, c)| c.ty);
                out.push((col(hidden), name.cloned().unwrap_or_default(), ty));
            }
        }
        self.project(rows, out, span)
    }
}

fn unique(name: String, taken: &[String]) -> String {
    if !taken.contains(&name) {
        return name;
    }
    (1..).map(|i| format!("{name}{i}")).find(|n| !taken.contains(n)).unwrap_or(name)
}
