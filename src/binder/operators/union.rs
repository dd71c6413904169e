//! `union` as a source and as an operator: kind=outer (default; every column, `name_type` on a type clash,
//! missing cells empty), kind=inner (common columns), isfuzzy, withsource, wildcard table names.

use crate::ast::{self, ExprKind as K};
use crate::binder::{col, df_err, Binder, Bound};
use crate::diagnostics::BindError;
use crate::functions::null_of;
use crate::source::Span;
use crate::types::{KqlColumn, KqlType};
use datafusion::logical_expr::{lit, LogicalPlanBuilder};

impl Binder<'_> {
    pub(crate) fn bind_union_op(&mut self, input: Bound, u: &ast::Union, span: Span) -> Result<Bound, BindError> {
        self.bind_union(Some(input), u, span)
    }

    /// Expands one leg: a table name (wildcards allowed) or a sub-query. Returns (label, rows, empty) triples;
    /// `empty`: a catalog table with no data, which gives the union its columns but no rows.
    pub(crate) fn union_leg(&mut self, leg: &ast::Expr, i: usize) -> Result<Vec<(String, Bound, bool)>, BindError> {
        // `union *`: every table with data loaded; with none loaded (`check`), the environment's own tables
        if matches!(leg.kind, K::Star) {
            let mut names: Vec<String> = self.catalog.loaded.keys().cloned().collect();
            let empty = names.is_empty();
            if empty {
                // only checking: the rows could come from any table, so names after it are not checked (as in
                // Kusto's analyzer, which knows the database's tables, not which ones a dump holds)
                self.open_columns = true;
                names = match self.env {
                    crate::catalog::Env::Sentinel => crate::catalog::sentinel().keys().cloned().collect(),
                    _ => crate::catalog::defender().keys().cloned().collect(),
                };
            }
            names.sort();
            let mut out = Vec::new();
            for t in names {
                let b = self.scan_table(&t, leg.span)?;
                out.push((t, b, empty));
            }
            return Ok(out);
        }
        if let K::Name(n) = &leg.kind {
            if n.name.contains('*') {
                let mut names: Vec<String> = self
                    .catalog
                    .loaded
                    .keys()
                    .filter(|t| super::project::wildcard_match(&n.name, t))
                    .cloned()
                    .collect();
                // no loaded table matches (`check`, or a dump without them): the environment's matching tables
                // give the columns, with no rows
                let empty = names.is_empty();
                if empty {
                    let env_tables = match self.env {
                        crate::catalog::Env::Sentinel => crate::catalog::sentinel(),
                        _ => crate::catalog::defender(),
                    };
                    names = env_tables.keys().filter(|t| super::project::wildcard_match(&n.name, t)).cloned().collect();
                }
                names.sort();
                let mut out = Vec::new();
                for t in names {
                    let b = self.scan_table(&t, n.span)?;
                    out.push((t, b, empty));
                }
                return Ok(out);
            }
            return Ok(vec![(n.name.clone(), self.bind_tabular(leg)?, false)]);
        }
        let b = self.bind_tabular(leg)?;
        Ok(vec![(b.label.clone().unwrap_or_else(|| format!("union_arg{i}")), b, false)])
    }

    pub(crate) fn bind_union(&mut self, first: Option<Bound>, u: &ast::Union, span: Span) -> Result<Bound, BindError> {
        let param = |n: &str| u.params.iter().find(|p| p.name.name == n).map(|p| p.value.name.clone());
        let fuzzy = param("isfuzzy").is_some_and(|v| v == "true");
        let inner = param("kind").is_some_and(|v| v == "inner");
        let withsource = param("withsource");
        let mut legs: Vec<(String, Bound, bool)> = Vec::new();
        let offset = usize::from(first.is_some());
        if let Some(f) = first {
            legs.push((f.label.clone().unwrap_or_else(|| "union_arg0".into()), f, false));
        }
        let mut first_err = None;
        for (i, leg) in u.legs.iter().enumerate() {
            match self.union_leg(leg, i + offset) {
                Ok(mut l) => legs.append(&mut l),
                // union-operator: with isfuzzy=true, legs that fail to resolve are left out
                Err(
                    e @ (BindError::UnknownTable { .. }
                    | BindError::UnknownColumn { .. }
                    | BindError::UnknownFunction { .. }
                    | BindError::UnsupportedFunction { .. }),
                ) if fuzzy => {
                    self.notices.push(format!("union isfuzzy=true: a leg was left out: {e}"));
                    first_err.get_or_insert(e);
                }
                Err(e) => return Err(e),
            }
        }
        if legs.is_empty() {
            return Err(first_err.unwrap_or(BindError::InvalidArgument {
                message: "union has no legs".into(),
                span: span.into(),
                help: None,
            }));
        }
        // the output columns: (output name, source name, type), in first-seen order
        // (`union *` over a catalog: a thousand tables and thousands of columns, so columns are found by hash)
        let mut seen: Vec<(String, Vec<KqlType>)> = Vec::new();
        let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for (_, b, _) in &legs {
            for c in &b.schema.columns {
                match index.get(&c.name).and_then(|i| seen.get_mut(*i)) {
                    Some((_, tys)) if !tys.contains(&c.ty) => tys.push(c.ty),
                    Some(_) => {}
                    None => {
                        index.insert(c.name.clone(), seen.len());
                        seen.push((c.name.clone(), vec![c.ty]));
                    }
                }
            }
        }
        if inner {
            seen.retain(|(n, _)| legs.iter().all(|(_, b, _)| b.schema.find(n).is_some()));
        }
        let mut cols: Vec<(String, String, KqlType)> = Vec::new();
        for (n, tys) in &seen {
            if tys.len() == 1 {
                cols.push((n.clone(), n.clone(), tys[0]));
            } else {
                for t in tys {
                    cols.push((format!("{n}_{t}"), n.clone(), *t));
                }
            }
        }
        // a data column named as the withsource column keeps its rows under the name with `1` appended
        if let Some(ws) = &withsource {
            let taken: Vec<String> = cols.iter().map(|c| c.0.clone()).collect();
            for c in cols.iter_mut().filter(|c| &c.0 == ws) {
                let mut k = 1;
                while taken.contains(&format!("{ws}{k}")) {
                    k += 1;
                }
                c.0 = format!("{ws}{k}");
            }
        }
        // tables without data add no rows: one of them is planned (for the columns when no leg has data), not
        // every one (projecting a thousand empty tables to thousands of columns took minutes to plan)
        let mut planned_empty = false;
        let mut plans = Vec::new();
        for (label, b, empty) in legs {
            if empty && std::mem::replace(&mut planned_empty, true) {
                continue;
            }
            let mut items = Vec::new();
            if let Some(ws) = &withsource {
                items.push((lit(label.clone()), ws.clone(), KqlType::String));
            }
            for (out, src, t) in &cols {
                let e = match b.schema.find(src) {
                    Some((_, c)) if c.ty == *t => col(src),
                    _ => null_of(*t),
                };
                items.push((e, out.clone(), *t));
            }
            plans.push(self.project(b, items, span)?);
        }
        let schema = plans.first().map(|p| p.schema.clone()).unwrap_or_default();
        let mut it = plans.into_iter();
        let Some(head) = it.next() else {
            return Err(BindError::Internal { message: "empty union".into(), span: span.into() });
        };
        let mut builder = LogicalPlanBuilder::from(head.plan);
        for p in it {
            builder = builder.union(p.plan).map_err(df_err(span))?;
        }
        let plan = builder.build().map_err(df_err(span))?;
        let _ = KqlColumn { name: String::new(), ty: KqlType::Bool };
        Bound::new(plan, schema, span)
    }
}
