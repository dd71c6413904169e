//! `top-nested` (top-nested-operator): hierarchical top values. Level i groups the rows by the first i `of`
//! expressions, aggregates, and keeps the top N groups (by the aggregate, desc unless `asc`) inside each group
//! kept by level i-1. Planned as one `summarize` per level (so every aggregate form summarize knows works),
//! ranked per parent group (a window), then joined to the kept groups of the level above for their values.
//! Each level gives two columns in clause order: the value (`Name`, or the expression's column name) and the
//! aggregate (`Name`, or `aggregated_<value column>`). `with others = V` adds the rows of the records left out
//! (see `top_nested_others`).

use super::summarize::unique;
use crate::ast::{self, TopNestedLevel};
use crate::binder::expr::auto_name;
use crate::binder::{col, Binder, Bound, Syn};
use crate::diagnostics::BindError;
use crate::source::Span;
use crate::types::{KqlSchema, KqlType};
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
        // the kept groups of each level (g1..gi with a1..ai), for the `with others` rows
        let mut kept_levels: Vec<Bound> = Vec::new();
        for lv in levels {
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
            kept_levels.push(joined.clone());
            kept = Some(joined);
        }
        let Some(rows) = kept else {
            return Err(BindError::InvalidArgument {
                message: "top-nested needs a clause".into(),
                span: span.into(),
                help: None,
            });
        };
        // the output columns: (hidden, name, type) per level, value then aggregate
        let mut columns: Vec<(String, String, KqlType)> = Vec::new();
        for (i, (g, a)) in keys.iter().zip(&aggs).enumerate() {
            for (hidden, name) in [(g, names.get(2 * i)), (a, names.get(2 * i + 1))] {
                let ty = rows.schema.find(hidden).map_or(KqlType::String, |(_, c)| c.ty);
                columns.push((hidden.clone(), name.cloned().unwrap_or_default(), ty));
            }
        }
        let out: Vec<(Expr, String, KqlType)> = columns.iter().map(|(h, n, t)| (col(h), n.clone(), *t)).collect();
        let full = self.project(rows, out, span)?;
        if levels.iter().all(|l| l.others.is_none()) {
            return Ok(full);
        }
        let others = self.top_nested_others(input, levels, &keys, &kept_levels, &columns, span)?;
        let mut plan = datafusion::logical_expr::LogicalPlanBuilder::from(full.plan);
        for o in others {
            plan = plan.union(o.plan).map_err(crate::binder::df_err(span))?;
        }
        let plan = plan.build().map_err(crate::binder::df_err(span))?;
        Bound::new(plan, full.schema, span)
    }

    /// The `with others` rows (top-nested-operator): a record whose groups are kept down to level d and not
    /// at level d+1 is a leftover under its kept path. Leftovers under one path give one row: the path's
    /// values and aggregates, then for every deeper level its `others` value and the aggregate over those
    /// records when that level has `with others`, else an empty value and a null aggregate. Paths are dropped
    /// when no deeper level has `with others`.
    fn top_nested_others(
        &mut self,
        input: Bound,
        levels: &[TopNestedLevel],
        keys: &[String],
        kept_levels: &[Bound],
        columns: &[(String, String, KqlType)],
        span: Span,
    ) -> Result<Vec<Bound>, BindError> {
        use datafusion::logical_expr::LogicalPlanBuilder;
        let s = Syn(span);
        // every record with its group values g1..gk
        let mut items = Self::passthrough(&input);
        for (lv, g) in levels.iter().zip(keys) {
            let v = self.bind_scalar(&lv.of.expr, &input.schema)?;
            items.push((v.expr, g.clone(), v.ty));
        }
        let mut detail = self.project(input, items, span)?;
        // kept flags: k_i is not null when the record's level-i group is kept
        let mut flags = Vec::new();
        for (i, kl) in kept_levels.iter().enumerate() {
            let flag = self.fresh("tn_k");
            let mut it: Vec<(Expr, String, KqlType)> = keys
                .iter()
                .take(i + 1)
                .map(|g| (col(g), g.clone(), kl.schema.find(g).map_or(KqlType::String, |(_, c)| c.ty)))
                .collect();
            it.push((datafusion::logical_expr::lit(true), flag.clone(), KqlType::Bool));
            let marks = self.project(kl.clone(), it, span)?;
            let jk: Vec<super::join::Key> = keys
                .iter()
                .take(i + 1)
                .map(|g| {
                    let t = marks.schema.find(g).map_or(KqlType::String, |(_, c)| c.ty);
                    (g.clone(), g.clone(), t, t, span)
                })
                .collect();
            detail = self.finish_join(detail, marks, datafusion::common::JoinType::Left, &jk, true, span)?;
            flags.push(flag);
        }
        let mut out = Vec::new();
        for d in 0..levels.len() {
            if !levels.iter().skip(d).any(|l| l.others.is_some()) {
                continue;
            }
            // the records kept down to level d and not at level d+1
            let mut pred = flags.get(d).map_or(datafusion::logical_expr::lit(true), |f| col(f).is_null());
            if let Some(f) = d.checked_sub(1).and_then(|p| flags.get(p)) {
                pred = pred.and(col(f).is_not_null());
            }
            let plan = LogicalPlanBuilder::from(detail.plan.clone())
                .filter(pred)
                .and_then(|b| b.build())
                .map_err(crate::binder::df_err(span))?;
            let leftovers = Bound::new(plan, detail.schema.clone(), span)?;
            // one aggregate per deeper level that has `with others`
            let mut xs: Vec<(usize, String)> = Vec::new();
            let mut agg_items = Vec::new();
            for (j, lv) in levels.iter().enumerate().skip(d) {
                if lv.others.is_some() {
                    let x = self.fresh("tn_x");
                    agg_items.push(s.named(&x, lv.by.expr.clone()));
                    xs.push((j, x));
                }
            }
            // (and a count: a path without leftovers has no others row)
            let n = self.fresh("tn_n");
            agg_items.push(s.named(&n, s.call("count", vec![])));
            let by: Vec<ast::NamedExpr> = keys.iter().take(d).map(|g| s.column(g)).collect();
            let grouped = self.bind_summarize(leftovers, &agg_items, &by, span)?;
            let plan = LogicalPlanBuilder::from(grouped.plan)
                .filter(col(&n).gt(datafusion::logical_expr::lit(0i64)))
                .and_then(|b| b.build())
                .map_err(crate::binder::df_err(span))?;
            let grouped = Bound::new(plan, grouped.schema, span)?;
            // the kept path above: its values and aggregates
            let with_path = match d.checked_sub(1).and_then(|p| kept_levels.get(p)) {
                None => grouped,
                Some(path) => {
                    let jk: Vec<super::join::Key> = keys
                        .iter()
                        .take(d)
                        .map(|g| {
                            let t = path.schema.find(g).map_or(KqlType::String, |(_, c)| c.ty);
                            (g.clone(), g.clone(), t, t, span)
                        })
                        .collect();
                    self.finish_join(grouped, path.clone(), datafusion::common::JoinType::Inner, &jk, true, span)?
                }
            };
            let mut row: Vec<(Expr, String, KqlType)> = Vec::new();
            for (j, lv) in levels.iter().enumerate() {
                let (Some((g, vname, vty)), Some((a, aname, aty))) = (columns.get(2 * j), columns.get(2 * j + 1))
                else {
                    continue;
                };
                if j < d {
                    row.push((col(g), vname.clone(), *vty));
                    row.push((col(a), aname.clone(), *aty));
                    continue;
                }
                let value = match &lv.others {
                    Some(o) => {
                        let v = self.bind_scalar(o, &KqlSchema::default())?;
                        crate::functions::convert_to(v, *vty).expr
                    }
                    None => crate::functions::null_of(*vty),
                };
                row.push((value, vname.clone(), *vty));
                let agg = match xs.iter().find(|(k, _)| *k == j) {
                    Some((_, x)) => {
                        let t = with_path.schema.find(x).map_or(*aty, |(_, c)| c.ty);
                        crate::functions::convert_to(crate::functions::Arg { expr: col(x), ty: t, span }, *aty).expr
                    }
                    None => crate::functions::null_of(*aty),
                };
                row.push((agg, aname.clone(), *aty));
            }
            out.push(self.project(with_path, row, span)?);
        }
        Ok(out)
    }
}
