//! `find` (find-operator): rows of several tables that match a predicate, in one table. Each table is a leg:
//! predicate columns it lacks are typed nulls, `* has "x"` (or a bare "x") looks in its string columns, then
//! the leg is projected to one shared schema and the legs are unioned. Output: `source_` (or the
//! `withsource=` name); then with `project-smart` (the default) the columns every kept table has (first
//! table's order), the predicate's other columns, and `pack_` (a bag of each row's other columns) when some
//! table has other columns; with `project a, b:type, pack(*)` those columns (typed), then `pack_` if asked.
//! A table that has none of the predicate's columns is left out (project-smart).

use crate::ast::{self, BinOp, ExprKind as K, Find};
use crate::binder::{df_err, Binder, Bound, Syn};
use crate::diagnostics::BindError;
use crate::source::Span;
use crate::types::{KqlSchema, KqlType};
use datafusion::logical_expr::{Expr, LogicalPlanBuilder};

/// Column names the predicate refers to, in order of appearance.
fn names_in(e: &ast::Expr, out: &mut Vec<String>) {
    if let K::Name(n) = &e.kind {
        if !out.contains(&n.name) {
            out.push(n.name.clone());
        }
    }
    for c in e.children() {
        names_in(c, out);
    }
}

/// A bare string term is `* has "term"`; `and`/`or`/`not()` pass through.
fn terms_as_star(e: &ast::Expr) -> ast::Expr {
    let s = Syn(e.span);
    match &e.kind {
        K::Literal(ast::Literal::String(_)) => s.bin(BinOp::Has, s.e(K::Star), e.clone()),
        K::Binary { op: op @ (BinOp::And | BinOp::Or), left, right } => {
            s.bin(*op, terms_as_star(left), terms_as_star(right))
        }
        K::Paren(x) => s.e(K::Paren(Box::new(terms_as_star(x)))),
        _ => e.clone(),
    }
}

impl Binder<'_> {
    pub(crate) fn bind_find(&mut self, f: &Find, span: Span) -> Result<Bound, BindError> {
        let source_col = f
            .params
            .iter()
            .find(|p| p.name.name == "withsource")
            .map(|p| p.value.name.clone())
            .unwrap_or_else(|| "source_".into());
        // the tables: `in (...)` (names, wildcards, sub-queries) or every table
        let legs: Vec<ast::Expr> = match &f.tables {
            Some(t) => t.clone(),
            None => vec![Syn(span).e(K::Star)],
        };
        let mut tables: Vec<(String, Bound)> = Vec::new();
        for (i, leg) in legs.iter().enumerate() {
            for (label, b, _) in self.union_leg(leg, i)? {
                tables.push((label, b));
            }
        }
        let pred = terms_as_star(&f.pred);
        let mut pred_cols = Vec::new();
        names_in(&pred, &mut pred_cols);
        let known = |n: &str, ts: &[(String, Bound)]| ts.iter().find_map(|(_, b)| b.schema.find(n).map(|(_, c)| c.ty));
        pred_cols.retain(|n| known(n, &tables).is_some() || self.lookup_let(n).is_none());
        // a column no table has is an error, as in any predicate
        if let Some(missing) = pred_cols.iter().find(|n| known(n, &tables).is_none() && self.lookup_let(n).is_none()) {
            let all: Vec<String> = tables.iter().flat_map(|(_, b)| b.schema.names().map(String::from)).collect();
            let help = crate::names::help_line(missing, all.iter().map(|s| s.as_str()), "columns");
            return Err(BindError::UnknownColumn {
                name: missing.clone(),
                span: f.pred.span.into(),
                did_you_mean: help,
            });
        }
        let pred_cols: Vec<String> = pred_cols.into_iter().filter(|n| known(n, &tables).is_some()).collect();
        if f.project.is_none() && !pred_cols.is_empty() {
            tables.retain(|(_, b)| pred_cols.iter().any(|c| b.schema.find(c).is_some()));
        }
        // the output columns (name, type), without source_ and pack_
        let (cols, pack): (Vec<(String, KqlType)>, bool) = match &f.project {
            Some(items) => {
                let mut cols = Vec::new();
                for (n, t) in items.iter().flatten() {
                    let types: Vec<KqlType> =
                        tables.iter().filter_map(|(_, b)| b.schema.find(&n.name).map(|(_, c)| c.ty)).collect();
                    let ty = match t {
                        Some(t) => crate::binder::source::parse_type(t)?,
                        None => match types.first() {
                            Some(first) if types.iter().all(|x| x == first) => *first,
                            Some(_) => {
                                return Err(BindError::TypeMismatch {
                                    message: format!("'{}' has different types in the tables", n.name),
                                    span: n.span.into(),
                                    found: types.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", "),
                                    help: Some(format!("give it one type, e.g. project {}:string", n.name)),
                                })
                            }
                            None => KqlType::String,
                        },
                    };
                    cols.push((n.name.clone(), ty));
                }
                (cols, items.iter().any(|x| x.is_none()))
            }
            None => {
                let mut cols: Vec<(String, KqlType)> = Vec::new();
                if let Some((_, first)) = tables.first() {
                    for c in &first.schema.columns {
                        let types: Vec<KqlType> =
                            tables.iter().filter_map(|(_, b)| b.schema.find(&c.name).map(|(_, x)| x.ty)).collect();
                        if types.len() == tables.len() {
                            let ty = if types.iter().all(|t| *t == c.ty) { c.ty } else { KqlType::Dynamic };
                            cols.push((c.name.clone(), ty));
                        }
                    }
                }
                for n in &pred_cols {
                    if !cols.iter().any(|(c, _)| c == n) {
                        cols.push((n.clone(), known(n, &tables).unwrap_or(KqlType::String)));
                    }
                }
                let leftover = tables
                    .iter()
                    .any(|(_, b)| b.schema.columns.iter().any(|c| !cols.iter().any(|(n, _)| n == &c.name)));
                (cols, leftover)
            }
        };
        let mut plans = Vec::new();
        let mut schema = vec![crate::types::KqlColumn { name: source_col.clone(), ty: KqlType::String }];
        schema.extend(cols.iter().map(|(n, t)| crate::types::KqlColumn { name: n.clone(), ty: *t }));
        if pack {
            schema.push(crate::types::KqlColumn { name: "pack_".into(), ty: KqlType::Dynamic });
        }
        for (label, rows) in tables {
            // predicate columns the table lacks: typed nulls
            let mut items = Self::passthrough(&rows);
            for n in &pred_cols {
                if rows.schema.find(n).is_none() {
                    let ty = cols.iter().find(|(c, _)| c == n).map_or(KqlType::String, |(_, t)| *t);
                    items.push((crate::functions::null_of(ty), n.clone(), ty));
                }
            }
            let own: Vec<String> = rows.schema.names().map(String::from).collect();
            let widened = self.project(rows, items, span)?;
            let kept = self.bind_where(widened, &pred)?;
            // the shared schema: source_, the columns (converted, or null), pack_ of the rest
            let s = Syn(span);
            let mut out: Vec<(Expr, String, KqlType)> =
                vec![(datafusion::logical_expr::lit(label.clone()), source_col.clone(), KqlType::String)];
            for (n, t) in &cols {
                let e = if own.contains(n) {
                    let a = self.bind_scalar(&s.name(n), &kept.schema)?;
                    crate::functions::convert_to(a, *t).expr
                } else {
                    crate::functions::null_of(*t)
                };
                out.push((e, n.clone(), *t));
            }
            if pack {
                let rest: Vec<&String> = own.iter().filter(|n| !cols.iter().any(|(c, _)| c == *n)).collect();
                let mut args = Vec::new();
                for n in rest {
                    args.push(s.e(K::Literal(ast::Literal::String(n.clone()))));
                    args.push(s.name(n));
                }
                let bag = if args.is_empty() {
                    s.e(K::Literal(ast::Literal::Dynamic(serde_json::json!({}))))
                } else {
                    s.call("bag_pack", args)
                };
                let a = self.bind_scalar(&bag, &kept.schema)?;
                out.push((a.expr, "pack_".into(), KqlType::Dynamic));
            }
            plans.push(self.project(kept, out, span)?.plan);
        }
        let schema = KqlSchema::new(schema);
        let mut it = plans.into_iter();
        let Some(first) = it.next() else { return self.mem_scan("find", schema, span) };
        let mut b = LogicalPlanBuilder::from(first);
        for p in it {
            b = b.union(p).map_err(df_err(span))?;
        }
        let plan = b.build().map_err(df_err(span))?;
        Bound::new(plan, schema, span)
    }
}
