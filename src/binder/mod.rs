//! Bind + plan stage: `ast::Script` + `Catalog` + `Options` → `BoundQuery` (a DataFusion `LogicalPlan` and the
//! Kusto schema beside it). One `Binder` with one method per operator (in `operators/`), a scope of `let`
//! names, and expressions in `expr.rs`. Every unknown name and type error is raised here, before any row is read.

mod expr;
mod fields;
pub mod materialize;
pub mod operators;
pub use operators::evaluate::Probe;
pub use operators::KIND_VALUES;
mod source;
mod syntax;
pub use source::arrow_schema;
pub(crate) use syntax::Syn;

use crate::ast::{self, LetValue, Script, Statement};
use crate::catalog::{Catalog, Env};
use crate::diagnostics::BindError;
use crate::functions::Arg;
use crate::source::Span;
use crate::types::{KqlColumn, KqlSchema, KqlType};
use datafusion::logical_expr::{Expr, LogicalPlan};
use std::collections::HashMap;
use std::rc::Rc;

/// Everything that is not in the query text: the pinned `now`, `--set` overrides, the environment.
#[derive(Debug, Clone)]
pub struct Options {
    /// `now()` in Unix nanoseconds, fixed for the whole query.
    pub now_ns: i64,
    /// `--set NAME=VALUE`: replacement values (KQL literal text) for top-level `let NAME`.
    pub sets: Vec<(String, String)>,
    pub env: Env,
}

impl Default for Options {
    fn default() -> Self {
        Options { now_ns: 0, sets: vec![], env: Env::Auto }
    }
}

/// A bound tabular expression: the plan and its Kusto schema, in the same column order.
#[derive(Debug, Clone)]
pub struct Bound {
    pub plan: LogicalPlan,
    pub schema: KqlSchema,
    /// the name given by `as Name`, or the table the rows come from (union withsource= reports it)
    pub label: Option<String>,
    /// the rows have an order window functions may use (window-functions: a table's rows have none; `sort`,
    /// `top`, `serialize` give one; `where`, `project`, `extend`, ... keep it; `summarize`, `join`, ... lose it)
    pub serialized: bool,
}

impl Bound {
    /// Pairs a plan with its Kusto schema, checking they agree (a mismatch is our bug, never a panic).
    pub fn new(plan: LogicalPlan, schema: KqlSchema, span: Span) -> Result<Bound, BindError> {
        let fields = plan.schema().fields();
        let agree =
            fields.len() == schema.len() && fields.iter().zip(&schema.columns).all(|(f, c)| f.name() == &c.name);
        if !agree {
            let got: Vec<&String> = fields.iter().map(|f| f.name()).collect();
            let want: Vec<&str> = schema.names().collect();
            return Err(BindError::Internal {
                message: format!("plan columns {got:?} differ from the Kusto schema {want:?}"),
                span: span.into(),
            });
        }
        Ok(Bound { plan, schema, label: None, serialized: true })
    }
}

/// The result of binding a script: the plan to run, its schema, and notices for the user.
#[derive(Debug, Clone)]
pub struct BoundQuery {
    pub plan: LogicalPlan,
    pub schema: KqlSchema,
    pub notices: Vec<String>,
    /// the environment the names resolved in
    pub env: Env,
    /// the Kusto schema after each pipe stage, in binding order (`kqlite explain` prints them)
    pub stages: Vec<Stage>,
    /// the chart a final `render` asked for
    pub render: Option<crate::chart::RenderSpec>,
    /// the results of the tabular statements before the last one, in order: a query of several statements
    /// (`T | count; T | take 5`) gives one result table each (`plan`/`schema` are the last)
    pub earlier: Vec<(LogicalPlan, KqlSchema)>,
}

/// One operator of a pipeline and the row scope it produces.
#[derive(Debug, Clone)]
pub struct Stage {
    pub span: Span,
    pub schema: KqlSchema,
}

/// What a `let` name stands for.
#[derive(Debug, Clone)]
pub(crate) enum Binding {
    Scalar(Arg),
    Tabular(Bound),
    Function(Rc<ast::FunctionDecl>),
}

pub struct Binder<'a> {
    pub(crate) catalog: &'a Catalog,
    pub(crate) opts: &'a Options,
    pub(crate) env: Env,
    /// innermost last; each level maps a name to its binding and where it was declared
    scopes: Vec<HashMap<String, (Binding, Span)>>,
    pub(crate) notices: Vec<String>,
    /// counter for internal aliases
    counter: usize,
    /// counter for generated `Column1`, `Column2`… names, numbered once per query
    columns: usize,
    /// the schema after each pipe stage bound so far
    pub(crate) stages: Vec<Stage>,
    /// each `render` bound, at its operator's span (the query's last operator gives the chart)
    renders: Vec<(Span, crate::chart::RenderSpec)>,
    /// inside an `mv-apply` subquery: the hidden columns every row carries (innermost last): the row number
    /// that tells one row's sub-table from another, then copies of the row's outer columns
    pub(crate) partition: Vec<Vec<String>>,
    /// runs a plan for plugins whose columns depend on the data (`evaluate bag_unpack`); none when checking
    pub(crate) probe: Option<Probe<'a>>,
    /// after such a plugin when checking: names that are not columns are dynamic values, not errors
    pub(crate) open_columns: bool,
}

pub(crate) use crate::functions::col;

pub(crate) fn df_err(span: Span) -> impl Fn(datafusion::error::DataFusionError) -> BindError {
    move |e| BindError::Internal { message: crate::diagnostics::clean_df_message(&e.to_string()), span: span.into() }
}

/// Whether an operator's output is serialized (window-functions, serialize-operator): `sort`, `top`,
/// `serialize`, `getschema` serialize; the operators the pages list as preserving (and those they do not
/// list either way) keep the input's state; the ones that regroup or combine rows lose it.
fn serialized_after(op: &ast::OpKind, input: bool) -> bool {
    use ast::OpKind as O;
    match op {
        O::Sort(_) | O::Top { .. } | O::Serialize(_) | O::GetSchema => true,
        O::Summarize { .. }
        | O::Count
        | O::Distinct(_)
        | O::Join { .. }
        | O::Lookup { .. }
        | O::Union(_)
        | O::Sample { .. }
        | O::TopNested(_)
        | O::Facet { .. }
        | O::Evaluate { .. }
        | O::MakeSeries(_) => false,
        _ => input,
    }
}

/// Expressions that are rows by their syntax alone: a pipeline or a tabular source.
fn is_tabular_syntax(k: &ast::ExprKind) -> bool {
    use ast::ExprKind as K;
    matches!(
        k,
        K::Pipe { .. }
            | K::Union(_)
            | K::Datatable { .. }
            | K::ExternalData { .. }
            | K::Print(_)
            | K::Range { .. }
            | K::Search { .. }
            | K::Find(_)
    )
}

/// Binds a script in the options' environment (`auto`: Defender first, then Sentinel).
pub fn bind(script: &Script, catalog: &Catalog, opts: &Options) -> Result<BoundQuery, BindError> {
    bind_with(&[], script, catalog, opts)
}

/// Binds a script after `prelude`, `let` statements kept from earlier input (a REPL's definitions): they
/// are in scope, and the script's own `let`s may shadow them.
pub fn bind_with(
    prelude: &[ast::Let],
    script: &Script,
    catalog: &Catalog,
    opts: &Options,
) -> Result<BoundQuery, BindError> {
    bind_with_probe(prelude, script, catalog, opts, None)
}

/// [`bind_with`], with a probe that runs plans for the plugins whose columns depend on the data (a session
/// about to run the query passes its executor; `check` passes none and gets open schemas).
pub fn bind_with_probe(
    prelude: &[ast::Let],
    script: &Script,
    catalog: &Catalog,
    opts: &Options,
    probe: Option<Probe<'_>>,
) -> Result<BoundQuery, BindError> {
    let bind_in = |env| bind_in(prelude, script, catalog, opts, env, probe);
    match opts.env {
        Env::Auto => match bind_in(Env::Defender) {
            Ok(q) => Ok(q),
            Err(first) => match bind_in(Env::Sentinel) {
                Ok(q) => Ok(q),
                // both failed: report the error that got further into the query (a Sentinel query fails
                // early in Defender on TimeGenerated, and its real mistake is further on)
                Err(second) => Err(if error_offset(&second) > error_offset(&first) { second } else { first }),
            },
        },
        env => bind_in(env),
    }
}

/// Where an error's first label starts (0 when it has none).
fn error_offset(e: &BindError) -> usize {
    use miette::Diagnostic;
    e.labels().and_then(|mut l| l.next()).map_or(0, |l| l.offset())
}

fn bind_in(
    prelude: &[ast::Let],
    script: &Script,
    catalog: &Catalog,
    opts: &Options,
    env: Env,
    probe: Option<Probe<'_>>,
) -> Result<BoundQuery, BindError> {
    let mut b = Binder {
        catalog,
        opts,
        env,
        scopes: vec![HashMap::new()],
        notices: vec![],
        counter: 0,
        columns: 0,
        stages: vec![],
        renders: vec![],
        partition: vec![],
        probe,
        open_columns: false,
    };
    if !prelude.is_empty() {
        for l in prelude {
            b.bind_let(l, true)?;
        }
        b.push_scope();
    }
    let mut results: Vec<Bound> = Vec::new();
    for st in &script.statements {
        match st {
            Statement::Let(l) => b.bind_let(l, true)?,
            // `... | facet by A, B`: one result table per column (and the `with` table first)
            Statement::Query(ast::Expr { kind: ast::ExprKind::Pipe { source, op }, .. })
                if matches!(op.kind, ast::OpKind::Facet { .. }) =>
            {
                let input = b.bind_tabular(source)?;
                results.extend(b.bind_facet(input, op)?);
            }
            Statement::Query(e) => results.push(b.bind_tabular(e)?),
        }
    }
    let Some(q) = results.pop() else { return Err(BindError::NoQuery { span: script.span.into() }) };
    let earlier = results.into_iter().map(|r| (r.plan, r.schema)).collect();
    // a render at the end of the last statement annotates the result
    let last_op = script.statements.iter().rev().find_map(|st| match st {
        Statement::Query(ast::Expr { kind: ast::ExprKind::Pipe { op, .. }, .. }) => Some(op.span),
        Statement::Query(_) => Some(Span::new(0, 0)),
        Statement::Let(_) => None,
    });
    let mut notices = b.notices;
    // Kusto's docs require render last; its analyzer accepts it anywhere, so another one is a notice (once)
    if let Some((_, spec)) = b.renders.iter().find(|(span, _)| Some(*span) != last_op) {
        notices.push(format!(
            "render {} is not the last operator of the query: no chart (Kusto draws only a final render)",
            spec.visualization.name()
        ));
    }
    let render = b.renders.into_iter().rev().find(|(span, _)| Some(*span) == last_op).map(|(_, spec)| spec);
    Ok(BoundQuery { plan: q.plan, schema: q.schema, notices, env, stages: b.stages, render, earlier })
}

impl<'a> Binder<'a> {
    /// `facet by A, B [with (ops)]` (facet-operator): the `with` operators over the input first (when given),
    /// then for each column its values and `count_<Column>` over the whole input.
    fn bind_facet(&mut self, input: Bound, op: &ast::Operator) -> Result<Vec<Bound>, BindError> {
        let ast::OpKind::Facet { by, with } = &op.kind else { return Ok(vec![input]) };
        let s = Syn(op.span);
        let mut out = Vec::new();
        if !with.is_empty() {
            let mut rows = input.clone();
            for w in with {
                rows = self.bind_operator(rows, w)?;
            }
            out.push(rows);
        }
        for c in by {
            if input.schema.find(&c.name).is_none() {
                let help = crate::names::help_line(&c.name, input.schema.names(), "columns");
                return Err(BindError::UnknownColumn { name: c.name.clone(), span: c.span.into(), did_you_mean: help });
            }
            let count = s.named(&format!("count_{}", c.name), s.call("count", vec![]));
            out.push(self.bind_summarize(input.clone(), &[count], &[s.column(&c.name)], op.span)?);
        }
        Ok(out)
    }

    /// `let name = value;` at the current scope level.
    fn bind_let(&mut self, l: &ast::Let, top: bool) -> Result<(), BindError> {
        if let Some((_, first)) = self.scopes.last().and_then(|s| s.get(&l.name.name)) {
            return Err(BindError::DuplicateLet {
                name: l.name.name.clone(),
                span: l.name.span.into(),
                first: (*first).into(),
            });
        }
        let binding = match &l.value {
            LetValue::Function(f) => Binding::Function(Rc::new(f.clone())),
            LetValue::Expr(e) => {
                let overridden = if top { self.set_override(&l.name.name, e.span)? } else { None };
                let e = overridden.as_ref().unwrap_or(e);
                if self.is_tabular(e) {
                    Binding::Tabular(self.bind_tabular(e)?)
                } else {
                    Binding::Scalar(self.bind_scalar(e, &KqlSchema::default())?)
                }
            }
        };
        if let Some(s) = self.scopes.last_mut() {
            s.insert(l.name.name.clone(), (binding, l.name.span));
        }
        Ok(())
    }

    /// The `--set NAME=VALUE` replacement for a top-level let, parsed as a KQL literal (else a string).
    fn set_override(&self, name: &str, span: Span) -> Result<Option<ast::Expr>, BindError> {
        let Some((_, value)) = self.opts.sets.iter().rev().find(|(n, _)| n == name) else { return Ok(None) };
        let src = crate::source::Source::new("--set", value.clone());
        let parsed = crate::lexer::lex(&src).ok().and_then(|t| crate::parser::parse(&src, &t).ok());
        let expr = parsed.and_then(|s| match s.statements.as_slice() {
            [Statement::Query(e)] if matches!(e.kind, ast::ExprKind::Literal(_)) => Some(e.clone()),
            _ => None,
        });
        let kind = match expr {
            Some(e) => e.kind,
            None => ast::ExprKind::Literal(ast::Literal::String(value.clone())),
        };
        Ok(Some(ast::Expr { kind, span }))
    }

    pub(crate) fn lookup_let(&self, name: &str) -> Option<&Binding> {
        self.scopes.iter().rev().find_map(|s| s.get(name).map(|(b, _)| b))
    }

    pub(crate) fn let_names(&self) -> Vec<String> {
        self.scopes.iter().flat_map(|s| s.keys().cloned()).collect()
    }

    pub(crate) fn push_scope(&mut self) {
        self.scopes.push(HashMap::new());
    }

    pub(crate) fn pop_scope(&mut self) {
        self.scopes.pop();
    }

    pub(crate) fn define(&mut self, name: &str, b: Binding, span: Span) {
        if let Some(s) = self.scopes.last_mut() {
            s.insert(name.to_string(), (b, span));
        }
    }

    /// A fresh internal name (`__k3`) for intermediate columns and aliases.
    pub(crate) fn fresh(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("__{prefix}{}", self.counter)
    }

    /// The next generated column name `ColumnN` not already in `taken`.
    pub(crate) fn column_name(&mut self, taken: &[String]) -> String {
        loop {
            self.columns += 1;
            let n = format!("Column{}", self.columns);
            if !taken.contains(&n) {
                return n;
            }
        }
    }

    /// Does this expression denote rows (rather than a scalar)?
    pub(crate) fn is_tabular(&self, e: &ast::Expr) -> bool {
        use ast::ExprKind as K;
        match &e.kind {
            k if is_tabular_syntax(k) => true,
            K::Paren(inner) => self.is_tabular(inner),
            K::Name(n) => match self.lookup_let(&n.name) {
                Some(Binding::Tabular(_)) => true,
                Some(Binding::Function(f)) => f.params.is_empty() && self.function_body_is_tabular(f),
                Some(Binding::Scalar(_)) => false,
                None => {
                    self.catalog.table(self.env, &n.name).is_some()
                        || self.catalog.builtin(Env::Sentinel, &n.name).is_some()
                }
            },
            K::Call { name, .. } => match name.name.as_str() {
                "materialize" | "table" | "view" => true,
                n => match self.lookup_let(n) {
                    Some(Binding::Function(f)) => self.function_body_is_tabular(f),
                    _ => source::is_builtin_table_function(n),
                },
            },
            _ => false,
        }
    }

    fn function_body_is_tabular(&self, f: &ast::FunctionDecl) -> bool {
        // parameters and body lets are not in scope here; a pipe or tabular source is decisive
        use ast::ExprKind as K;
        match &f.body.kind {
            k if is_tabular_syntax(k) => true,
            K::Name(n) => {
                f.params.iter().any(|p| p.name.name == n.name && matches!(p.ty, ast::ParamType::Tabular(_)))
                    || f.body_lets
                        .iter()
                        .any(|l| l.name.name == n.name && matches!(&l.value, LetValue::Expr(e) if self.is_tabular(e)))
                    || self.is_tabular(&f.body)
            }
            _ => self.is_tabular(&f.body),
        }
    }

    /// Binds a tabular expression: a source, then its pipeline of operators.
    #[recursive::recursive]
    pub(crate) fn bind_tabular(&mut self, e: &ast::Expr) -> Result<Bound, BindError> {
        use ast::ExprKind as K;
        match &e.kind {
            K::Pipe { source, op } => {
                let input = self.bind_tabular(source)?;
                let out = self.bind_operator(input, op)?;
                self.stages.push(Stage { span: op.span, schema: out.schema.clone() });
                Ok(out)
            }
            K::Paren(inner) => self.bind_tabular(inner),
            _ => self.bind_source(e),
        }
    }

    /// One operator of a pipeline: the dispatch over every operator kind.
    pub(crate) fn bind_operator(&mut self, input: Bound, op: &ast::Operator) -> Result<Bound, BindError> {
        let serialized = input.serialized;
        let mut out = self.bind_operator_kind(input, op)?;
        out.serialized = serialized_after(&op.kind, serialized);
        Ok(out)
    }

    fn bind_operator_kind(&mut self, input: Bound, op: &ast::Operator) -> Result<Bound, BindError> {
        use ast::OpKind as O;
        match &op.kind {
            O::Where(p) => self.bind_where(input, p),
            O::Project { kind, items, order } => self.bind_project(input, *kind, items, order, op.span),
            O::Extend(items) => self.bind_extend(input, items, op.span),
            O::Summarize { aggs, by, .. } => self.bind_summarize(input, aggs, by, op.span),
            O::Sort(keys) => self.bind_sort(input, keys, op.span),
            O::Top { count, key } => self.bind_top(input, count, key, op.span),
            O::Take(n) => self.bind_take(input, n),
            O::Count => self.bind_count(input, op.span),
            O::Distinct(cols) => self.bind_distinct(input, cols, op.span),
            O::Join { params, right, on } => self.bind_join(input, params, right, on, op.span),
            O::Lookup { params, right, on } => self.bind_lookup(input, params, right, on, op.span),
            O::Union(u) => self.bind_union_op(input, u, op.span),
            // render annotates the result with a chart; the rows pass unchanged
            O::Render(r) => {
                let spec = crate::chart::bind_render(r, &input.schema)?;
                self.renders.push((op.span, spec));
                Ok(input)
            }
            // as-operator: names the rows (union withsource= reports the name); rows pass unchanged
            // `| as T`: the rows so far are also the tabular name T for the rest of the statement
            // (`... | as T | extend p = x / toscalar(T | summarize sum(x))`)
            O::As(name) => {
                self.define(&name.name, Binding::Tabular(input.clone()), name.span);
                Ok(Bound { label: Some(name.name.clone()), ..input })
            }
            // serialize-operator: rows pass in order; `serialize x = expr` extends as extend does
            O::Serialize(items) if items.is_empty() => Ok(input),
            O::Serialize(items) => self.bind_extend(Bound { serialized: true, ..input }, items, op.span),
            O::MvExpand { params, items, limit } => self.bind_mv_expand(input, params, items, limit.as_ref(), op.span),
            O::Invoke(call) => self.bind_invoke(input, call, op.span),
            O::GetSchema => self.bind_getschema(input, op.span),
            O::Parse { params, source, parts, filter } => {
                self.bind_parse(input, params, source, parts, *filter, op.span)
            }
            O::MvApply { params, items, limit, body } => {
                self.bind_mv_apply(input, params, items, limit.as_ref(), body, op.span)
            }
            O::MakeSeries(ms) => self.bind_make_series(input, ms, op.span),
            O::Search { params, pred } => self.bind_search(input, params, pred),
            O::Sample { count, of } => self.bind_sample(input, count, of.as_ref(), op.span),
            O::Evaluate { plugin, args, schema, .. } => {
                self.bind_evaluate(input, plugin, args, schema.as_ref(), op.span)
            }
            O::Partition { params, by, body, source } => {
                self.bind_partition(input, params, by, body, source.as_deref(), op.span)
            }
            O::TopNested(levels) => self.bind_top_nested(input, levels, op.span),
            O::ParseKv { source, columns, with } => self.bind_parse_kv(input, source, columns, with, op.span),
            O::Scan(scan) => self.bind_scan(input, scan, None, op.span),
            O::Facet { .. } => Err(BindError::InvalidArgument {
                message: "facet gives several result tables: it must be the query's last operator".into(),
                span: op.keyword.span.into(),
                help: Some(
                    "end the query with `| facet by ...`; filter or project before it, or in its `with (...)`".into(),
                ),
            }),
        }
    }

    /// Projects `input` to exactly `items` (expression, output name, Kusto type), in order.
    pub(crate) fn project(
        &self,
        input: Bound,
        items: Vec<(Expr, String, KqlType)>,
        span: Span,
    ) -> Result<Bound, BindError> {
        let exprs: Vec<Expr> = items.iter().map(|(e, n, _)| e.clone().alias(n.clone())).collect();
        let schema = KqlSchema::new(items.into_iter().map(|(_, name, ty)| KqlColumn { name, ty }).collect());
        // fields::projection, not LogicalPlanBuilder::project: the builder normalizes every column against the
        // whole input plan (LogicalPlan::using_columns walks the tree), once per projection, so a pipe of n stages
        // cost n² plan walks; and Projection::try_new looks each column up by a linear search of the input's
        // fields and formats every sub-expression's display name
        let plan = fields::projection(exprs, std::sync::Arc::new(input.plan)).map_err(df_err(span))?;
        Bound::new(plan, schema, span)
    }

    /// Every column of `input` as a projection item.
    pub(crate) fn passthrough(input: &Bound) -> Vec<(Expr, String, KqlType)> {
        input.schema.columns.iter().map(|c| (col(&c.name), c.name.clone(), c.ty)).collect()
    }
}
