//! Tabular sources: table names (catalog and loaded dumps), `let` names, user functions, `union`,
//! `datatable`, `print`, `range`, `materialize()`, `table()`.

use super::{col, df_err, Binder, Binding, Bound};
use crate::ast::{self, ExprKind as K};
use crate::catalog::{LoadedTable, TableRef};
use crate::diagnostics::BindError;
use crate::functions::{null_of, Arg};
use crate::source::Span;
use crate::types::{KqlColumn, KqlSchema, KqlType};
use datafusion::arrow::datatypes::Schema;
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::{Expr, LogicalPlanBuilder};
use std::sync::Arc;

/// Table functions the Defender/Sentinel portals add (functions.json); bound in `bind_source`.
pub fn is_builtin_table_function(name: &str) -> bool {
    crate::catalog::builtin_function(name).is_some()
}

/// An Arrow schema for a Kusto schema.
pub fn arrow_schema(s: &KqlSchema) -> Arc<Schema> {
    s.arrow()
}

impl Binder<'_> {
    pub(super) fn bind_source(&mut self, e: &ast::Expr) -> Result<Bound, BindError> {
        let mut b = self.bind_source_kind(e)?;
        // a table's rows, and rows combined from several tables, have no order (window-functions)
        if matches!(e.kind, K::Union(_) | K::Search { .. } | K::Find(_)) {
            b.serialized = false;
        }
        Ok(b)
    }

    fn bind_source_kind(&mut self, e: &ast::Expr) -> Result<Bound, BindError> {
        match &e.kind {
            K::Name(n) => self.bind_named_source(n),
            K::Call { name, args } => self.bind_call_source(name, args, e.span),
            K::Union(u) => self.bind_union(None, u, e.span),
            K::Search { params, tables, pred } => self.bind_search_source(params, tables.as_deref(), pred, e.span),
            K::Find(f) => self.bind_find(f, e.span),
            K::Datatable { columns, values } => self.bind_datatable(columns, values, e.span),
            K::ExternalData { columns, .. } => self.bind_externaldata(columns, e.span),
            K::Print(items) => self.bind_print(items, e.span),
            K::Range { name, from, to, step } => self.bind_range(name, from, to, step, e.span),
            K::Paren(inner) => self.bind_tabular(inner),
            _ => Err(BindError::WrongKind {
                expected: "a tabular expression (a table, a let of rows, or a pipeline)".into(),
                found: "a scalar expression".into(),
                span: e.span.into(),
            }),
        }
    }

    fn bind_named_source(&mut self, n: &ast::Ident) -> Result<Bound, BindError> {
        match self.lookup_let(&n.name).cloned() {
            Some(Binding::Tabular(b)) => return Ok(b),
            Some(Binding::Function(f)) if f.params.is_empty() => return self.call_function(&f, vec![], n.span),
            Some(Binding::Scalar(_)) => {
                return Err(BindError::WrongKind {
                    expected: "a tabular expression".into(),
                    found: format!("the scalar '{}'", n.name),
                    span: n.span.into(),
                })
            }
            _ => {}
        }
        let mut b = self.scan_table(&n.name, n.span)?;
        b.serialized = false;
        Ok(b)
    }

    /// A catalog or loaded table as a plan, presented with its environment's schema.
    pub(crate) fn scan_table(&mut self, name: &str, span: Span) -> Result<Bound, BindError> {
        match self.catalog.table(self.env, name) {
            Some(TableRef::Loaded { data, builtin }) => self.scan_loaded(name, data, builtin, span),
            Some(TableRef::Empty { schema }) => {
                let schema = schema.clone();
                let notice = format!("table {name} has no data loaded: it is empty (load it with --data)");
                if !self.notices.contains(&notice) {
                    self.notices.push(notice);
                }
                // built once per session and table (the scan is the table's name, so two scans of it in one
                // query are the same plan; joins alias each side)
                let catalog = self.catalog;
                let plan = catalog.empty_scans.get_or_build(name, &schema, || {
                    scan_plan(name, Arc::new(datafusion::catalog::empty::EmptyTable::new(schema.arrow())), span)
                })?;
                Bound::new(plan, schema, span)
            }
            None => {
                let names = self.catalog.table_names(self.env);
                let lets = self.let_names();
                let help = crate::names::did_you_mean(name, names.iter().chain(lets.iter()).map(|s| s.as_str()))
                    .map(|s| format!("did you mean '{s}'?"))
                    .or_else(|| Some("load the table's data with --data FILE, or check the name's case".into()));
                Err(BindError::UnknownTable { name: name.to_string(), span: span.into(), did_you_mean: help })
            }
        }
    }

    /// A table with no rows and this schema (a catalog table without data, `externaldata`, an empty datatable).
    pub(crate) fn mem_scan(&mut self, name: &str, schema: KqlSchema, span: Span) -> Result<Bound, BindError> {
        let table = datafusion::catalog::empty::EmptyTable::new(schema.arrow());
        self.provider_scan(name, Arc::new(table), schema, span)
    }

    /// A scan of a table provider; rows are read only when the plan runs.
    fn provider_scan(
        &mut self,
        name: &str,
        provider: Arc<dyn datafusion::datasource::TableProvider>,
        schema: KqlSchema,
        span: Span,
    ) -> Result<Bound, BindError> {
        let alias = self.fresh(name);
        Bound::new(scan_plan(&alias, provider, span)?, schema, span)
    }

    /// Loaded rows under the catalog's schema: catalog columns in catalog order (a missing one is empty;
    /// `TimeGenerated` and `Timestamp` stand in for each other), then the dump's extra columns.
    fn scan_loaded(
        &mut self,
        name: &str,
        data: &LoadedTable,
        builtin: Option<&KqlSchema>,
        span: Span,
    ) -> Result<Bound, BindError> {
        let raw = self.provider_scan(name, data.provider.clone(), data.schema.clone(), span)?;
        let Some(builtin) = builtin else { return Ok(raw) };
        let have = |n: &str| data.schema.find(n).map(|(_, c)| c.ty);
        let mut items = Vec::new();
        for c in &builtin.columns {
            let source = match (have(&c.name), c.name.as_str()) {
                (Some(t), _) => Some((c.name.as_str(), t)),
                (None, "TimeGenerated") => have("Timestamp").map(|t| ("Timestamp", t)),
                (None, "Timestamp") => have("TimeGenerated").map(|t| ("TimeGenerated", t)),
                _ => None,
            };
            let expr = match source {
                Some((src, t)) if t == c.ty => col(src),
                Some((src, t)) => {
                    let a = Arg { expr: col(src), ty: t, span };
                    // string and dynamic share one representation: relabel; otherwise convert
                    if matches!((t, c.ty), (KqlType::String, KqlType::Dynamic) | (KqlType::Dynamic, KqlType::String)) {
                        a.expr
                    } else {
                        crate::functions::convert_to(a, c.ty).expr
                    }
                }
                None => null_of(c.ty),
            };
            items.push((expr, c.name.clone(), c.ty));
        }
        for c in &data.schema.columns {
            if builtin.find(&c.name).is_none() {
                items.push((col(&c.name), c.name.clone(), c.ty));
            }
        }
        self.project(raw, items, span)
    }

    fn bind_call_source(&mut self, name: &ast::Ident, args: &[ast::Expr], span: Span) -> Result<Bound, BindError> {
        match name.name.as_str() {
            // materialize-function: evaluated once per query, however often it is named
            "materialize" => match args {
                [a] => {
                    let b = self.bind_tabular(a)?;
                    let node = super::materialize::MaterializeNode {
                        input: b.plan,
                        shared: super::materialize::Shared::new(),
                    };
                    let plan = datafusion::logical_expr::LogicalPlan::Extension(datafusion::logical_expr::Extension {
                        node: Arc::new(node),
                    });
                    Ok(Bound { plan, ..b })
                }
                _ => Err(arity("materialize", "1 argument", args.len(), span)),
            },
            // table-function: a table (or parameterless tabular function) by constant name
            "table" | "view" => {
                let Some(first) = args.first() else { return Err(arity("table", "1 or 2 arguments", 0, span)) };
                let arg = self.bind_scalar(first, &KqlSchema::default())?;
                let Some(n) = arg.const_str() else {
                    return Err(BindError::InvalidArgument {
                        message: "the table name must be a constant string".into(),
                        span: first.span.into(),
                        help: None,
                    });
                };
                let ident = ast::Ident { name: n, span: first.span };
                self.bind_named_source(&ident)
            }
            n => match self.lookup_let(n).cloned() {
                Some(Binding::Function(f)) => {
                    let bound = self.bind_call_args(&f, args, &KqlSchema::default(), 0)?;
                    self.call_function(&f, bound, span)
                }
                _ if is_builtin_table_function(n) => self.bind_builtin_table_function(name, args, span),
                _ => {
                    let mut cands: Vec<String> = crate::functions::all_names().map(String::from).collect();
                    cands.extend(self.let_names());
                    let help = crate::names::did_you_mean(n, cands.iter().map(|s| s.as_str()))
                        .map(|s| format!("did you mean '{s}'?"));
                    Err(BindError::UnknownFunction { name: n.to_string(), span: name.span.into(), did_you_mean: help })
                }
            },
        }
    }

    /// `datatable(A:string, B:long) [...]`: values row by row (datatable-operator).
    fn bind_datatable(
        &mut self,
        columns: &[(ast::Ident, ast::Ident)],
        values: &[ast::Expr],
        span: Span,
    ) -> Result<Bound, BindError> {
        let mut schema = Vec::new();
        for (n, t) in columns {
            let ty = parse_type(t)?;
            schema.push(KqlColumn { name: n.name.clone(), ty });
        }
        let schema = KqlSchema::new(schema);
        if schema.is_empty() {
            return Err(BindError::InvalidArgument {
                message: "a datatable needs at least one column".into(),
                span: span.into(),
                help: None,
            });
        }
        if !values.len().is_multiple_of(schema.len()) {
            return Err(BindError::InvalidArgument {
                message: format!("{} values do not fill rows of {} columns", values.len(), schema.len()),
                span: span.into(),
                help: Some("give one value per column for every row".into()),
            });
        }
        if values.is_empty() {
            return self.mem_scan("datatable", schema, span);
        }
        let mut rows = Vec::new();
        for chunk in values.chunks(schema.len()) {
            let mut row = Vec::new();
            for (v, c) in chunk.iter().zip(&schema.columns) {
                let a = self.bind_scalar(v, &KqlSchema::default())?;
                if a.ty != c.ty
                    && !(a.ty.is_numeric() && c.ty.is_numeric())
                    // a number in a string column is its text, any value in a dynamic one is wrapped (as the
                    // analyzer accepts)
                    && c.ty != KqlType::String
                    && c.ty != KqlType::Dynamic
                    && !matches!(a.expr, Expr::Literal(datafusion::common::ScalarValue::Null, _))
                {
                    return Err(BindError::TypeMismatch {
                        message: format!("a value of column '{}' must be {}", c.name, c.ty),
                        span: v.span.into(),
                        found: a.ty.to_string(),
                        help: None,
                    });
                }
                let a = crate::functions::convert_to(a, c.ty);
                row.push(datafusion::logical_expr::cast(a.expr, c.ty.to_arrow()));
            }
            rows.push(row);
        }
        let plan = LogicalPlanBuilder::values(rows).and_then(|b| b.build()).map_err(df_err(span))?;
        let names: Vec<String> = plan.schema().fields().iter().map(|f| f.name().clone()).collect();
        let raw = Bound {
            label: None,
            serialized: true,
            plan,
            schema: KqlSchema::new(
                names.iter().zip(&schema.columns).map(|(n, c)| KqlColumn { name: n.clone(), ty: c.ty }).collect(),
            ),
        };
        let items = names.iter().zip(&schema.columns).map(|(n, c)| (col(n), c.name.clone(), c.ty)).collect();
        self.project(raw, items, span)
    }

    /// `externaldata(...) [...]`: kqlite runs offline and fetches nothing: an empty table with the declared
    /// columns, and a notice saying so.
    fn bind_externaldata(&mut self, columns: &[(ast::Ident, ast::Ident)], span: Span) -> Result<Bound, BindError> {
        let mut schema = Vec::new();
        for (n, t) in columns {
            schema.push(KqlColumn { name: n.name.clone(), ty: parse_type(t)? });
        }
        let notice = "externaldata is not fetched offline: it is an empty table with its declared columns".to_string();
        if !self.notices.contains(&notice) {
            self.notices.push(notice);
        }
        self.mem_scan("externaldata", KqlSchema::new(schema), span)
    }

    /// `print a = 1, 2`: one row; unnamed columns are `print_0`, `print_1`… by position (print-operator).
    fn bind_print(&mut self, items: &[ast::NamedExpr], span: Span) -> Result<Bound, BindError> {
        let plan = LogicalPlanBuilder::empty(true).build().map_err(df_err(span))?;
        let input = Bound { label: None, plan, schema: KqlSchema::default(), serialized: true };
        let mut out = Vec::new();
        for (i, it) in items.iter().enumerate() {
            let taken: Vec<String> = out.iter().map(|o: &(Expr, String, KqlType)| o.1.clone()).collect();
            if let Some(parts) = self.tuple_items(it, &input.schema, &taken, true, &super::expr::auto_name)? {
                out.extend(parts);
                continue;
            }
            let a = self.bind_scalar(&it.expr, &input.schema)?;
            let name = match it.names.first() {
                Some(n) => n.name.clone(),
                None => super::expr::auto_name(&it.expr).unwrap_or_else(|| format!("print_{i}")),
            };
            out.push((a.expr, name, a.ty));
        }
        self.project(input, out, span)
    }

    /// `range x from a to b step s`, for constant bounds (range-operator).
    fn bind_range(
        &mut self,
        name: &ast::Ident,
        from: &ast::Expr,
        to: &ast::Expr,
        step: &ast::Expr,
        span: Span,
    ) -> Result<Bound, BindError> {
        use crate::functions::{as_datetime, as_timespan, nanos};
        let empty = KqlSchema::default();
        let (f, t, s) =
            (self.bind_scalar(from, &empty)?, self.bind_scalar(to, &empty)?, self.bind_scalar(step, &empty)?);
        // range-operator: long bounds with a long step, or datetime/timespan bounds with a timespan step
        let ty = match (f.ty, t.ty, s.ty) {
            (a, b, c) if a.is_numeric() && b.is_numeric() && c.is_numeric() => KqlType::Long,
            (KqlType::Datetime, KqlType::Datetime, KqlType::Timespan) => KqlType::Datetime,
            (KqlType::Timespan, KqlType::Timespan, KqlType::Timespan) => KqlType::Timespan,
            _ => {
                return Err(BindError::TypeMismatch {
                    message: format!(
                        "range needs long, datetime or timespan bounds and a matching step, not {}, {} and {}",
                        f.ty, t.ty, s.ty
                    ),
                    span: span.into(),
                    found: format!("{}, {}, {}", f.ty, t.ty, s.ty),
                    help: None,
                })
            }
        };
        let as_i64 = |a: Arg| {
            if ty == KqlType::Long {
                crate::functions::convert_to(a, KqlType::Long).expr
            } else {
                nanos(a.expr)
            }
        };
        let list = crate::functions::udf::Udf::Range.call(vec![as_i64(f), as_i64(t), as_i64(s)]);
        let internal = self.fresh("range");
        let plan = LogicalPlanBuilder::empty(true)
            .project(vec![list.alias(internal.clone())])
            .and_then(|b| b.unnest_column(internal.as_str()))
            .and_then(|b| b.build())
            .map_err(df_err(span))?;
        let raw = Bound {
            label: None,
            serialized: true,
            plan,
            schema: KqlSchema::new(vec![KqlColumn { name: internal.clone(), ty: KqlType::Long }]),
        };
        let value = match ty {
            KqlType::Datetime => as_datetime(col(&internal)),
            KqlType::Timespan => as_timespan(col(&internal)),
            _ => col(&internal),
        };
        self.project(raw, vec![(value, name.name.clone(), ty)], span)
    }
}

pub(crate) fn arity(name: &str, expected: &str, found: usize, span: Span) -> BindError {
    BindError::WrongArity { name: name.into(), expected: expected.into(), found, span: span.into() }
}

/// A type name in a declaration (`datatable(a:long)`, a parameter).
pub(crate) fn parse_type(t: &ast::Ident) -> Result<KqlType, BindError> {
    KqlType::parse(&t.name).ok_or_else(|| BindError::InvalidArgument {
        message: format!("'{}' is not a Kusto type", t.name),
        span: t.span.into(),
        help: Some("use bool, int, long, real, decimal, string, datetime, timespan, guid or dynamic".into()),
    })
}

/// The plan that scans a table provider under `alias`.
fn scan_plan(
    alias: &str,
    provider: Arc<dyn datafusion::datasource::TableProvider>,
    span: Span,
) -> Result<datafusion::logical_expr::LogicalPlan, BindError> {
    LogicalPlanBuilder::scan(alias, provider_as_source(provider), None).and_then(|b| b.build()).map_err(df_err(span))
}
