//! `summarize`: by-columns first, then aggregates in written order, named as Kusto names them
//! (summarize-operator; KUSTO-NOTES §7). Aggregates may sit inside scalar expressions (`count() * 2`).

use crate::ast::{self, ExprKind as K};
use crate::binder::expr::auto_name;
use crate::binder::{col, df_err, Binder, Bound};
use crate::diagnostics::BindError;
use crate::functions::{self, lookup_aggregate, AggName, Arg};
use crate::source::Span;
use crate::types::{KqlColumn, KqlSchema, KqlType};
use datafusion::logical_expr::{lit, Expr, SortExpr};

/// One aggregate computed by the Aggregate node.
struct AggOut {
    internal: String,
    /// the aggregate's default column name (`list_a` for `make_list(a)`), for names derived from it
    label: String,
    expr: Expr,
    ty: KqlType,
    zero_default: bool,
}

/// Kusto's unique naming: a repeated name gets `1`, `2`, … (first free).
pub(super) fn unique(name: String, taken: &[String]) -> String {
    if !taken.contains(&name) {
        return name;
    }
    (1..).map(|i| format!("{name}{i}")).find(|n| !taken.contains(n)).unwrap_or(name)
}

impl Binder<'_> {
    pub(crate) fn bind_summarize(
        &mut self,
        input: Bound,
        aggs: &[ast::NamedExpr],
        by: &[ast::NamedExpr],
        span: Span,
    ) -> Result<Bound, BindError> {
        let mut names: Vec<String> = Vec::new();
        let mut groups = Vec::new();
        let mut outputs: Vec<(Expr, String, KqlType)> = Vec::new();
        for (i, b) in by.iter().enumerate() {
            let a = self.bind_scalar(&b.expr, &input.schema)?;
            // an unknown column after a plugin or `union *` while checking: its type is not known either
            let a = if a.ty == KqlType::Dynamic && self.open_columns {
                functions::convert_to(a, KqlType::String)
            } else {
                a
            };
            if a.ty == KqlType::Dynamic {
                return Err(BindError::TypeMismatch {
                    message: "cannot group by a dynamic value".into(),
                    span: a.span.into(),
                    found: "dynamic".into(),
                    help: Some("convert it first, e.g. by tostring(...)".into()),
                });
            }
            let name = match b.names.first() {
                Some(n) => n.name.clone(),
                None => match auto_name(&b.expr) {
                    // `by startofday(T), floor(T, 1d)`: a name taken from a function's argument gets `1`, `2`…
                    Some(n) if !matches!(b.expr.kind, K::Name(_)) => unique(n, &names),
                    Some(n) => n,
                    None => self.column_name(&names),
                },
            };
            if names.contains(&name) {
                return Err(BindError::DuplicateColumn { name, span: b.expr.span.into() });
            }
            let internal = format!("__g{i}");
            groups.push(a.expr.alias(internal.clone()));
            names.push(name.clone());
            outputs.push((col(&internal), name, a.ty));
        }
        let by_names = names.clone();
        let mut computed: Vec<AggOut> = Vec::new();
        for it in aggs {
            self.bind_aggregate_item(&input, it, &by_names, &mut names, &mut computed, &mut outputs)?;
        }
        // after `order by` (or `top`), make_list and make_set collect in that order, as Kusto's do
        let order = input_order(&input.plan);
        let agg_exprs: Vec<Expr> = computed
            .iter()
            .map(|c| match (&order, &c.expr) {
                (Some(sorts), Expr::AggregateFunction(f))
                    if matches!(f.func.name(), "kql_make_list" | "kql_make_set" | "kql_make_bag") =>
                {
                    use datafusion::logical_expr::ExprFunctionExt;
                    c.expr.clone().order_by(sorts.clone()).build().unwrap_or_else(|_| c.expr.clone())
                }
                _ => c.expr.clone(),
            })
            .zip(&computed)
            .map(|(e, c)| e.alias(c.internal.clone()))
            .collect();
        // fields::aggregate, not LogicalPlanBuilder::aggregate: the builder normalizes every column against the
        // whole input plan (a walk of the plan per column; a quarter of `check`'s time). Plan columns are
        // unqualified Kusto names, unique at every stage, so there is nothing to normalize. And its output schema
        // is built without Aggregate::try_new's display names of every sub-expression
        let agg = crate::binder::fields::aggregate(groups, agg_exprs, std::sync::Arc::new(input.plan))
            .map_err(df_err(span))?;
        // empty input with no `by`: count-like aggregates are 0 (summarize-operator)
        let mids: Vec<Expr> = (0..by.len())
            .map(|i| col(&format!("__g{i}")))
            .chain(computed.iter().map(|c| {
                let base = col(&c.internal);
                let e = if c.zero_default {
                    datafusion::functions::core::expr_fn::coalesce(vec![base, lit(0i64)])
                } else {
                    base
                };
                e.alias(c.internal.clone())
            }))
            .collect();
        // (fields::projection: see Binder::project)
        let plan = crate::binder::fields::projection(mids, std::sync::Arc::new(agg)).map_err(df_err(span))?;
        let mid_schema = KqlSchema::new(
            (0..by.len())
                .map(|i| KqlColumn { name: format!("__g{i}"), ty: outputs.get(i).map_or(KqlType::Long, |o| o.2) })
                .chain(computed.iter().map(|c| KqlColumn { name: c.internal.clone(), ty: c.ty }))
                .collect(),
        );
        let mid = Bound::new(plan, mid_schema, span)?;
        self.project(mid, outputs, span)
    }

    /// One `Name = expr` of summarize, where `expr` contains aggregate calls.
    fn bind_aggregate_item(
        &mut self,
        input: &Bound,
        it: &ast::NamedExpr,
        by_names: &[String],
        names: &mut Vec<String>,
        computed: &mut Vec<AggOut>,
        outputs: &mut Vec<(Expr, String, KqlType)>,
    ) -> Result<(), BindError> {
        // percentile(x, P) is named percentile_x_P; percentiles(x, P1, P2...) is one column per P;
        // percentiles_array(x, ...) is one dynamic array of them
        if let K::Call { name, args } = &it.expr.kind {
            let spelled = match name.name.as_str() {
                "percentile" if it.names.is_empty() => true,
                "percentiles" | "percentiles_array" => true,
                _ => false,
            };
            if spelled && self.lookup_let(&name.name).is_none() {
                for item in percentile_items(&name.name, args, &it.names, it.expr.span, names) {
                    self.bind_aggregate_item(input, &item, by_names, names, computed, outputs)?;
                }
                return Ok(());
            }
        }
        // arg_max / arg_min expand to several columns
        if let K::Call { name, args } = &it.expr.kind {
            if let Some(def) = lookup_aggregate(&name.name) {
                if let (AggName::ArgMax, Some(desc)) = (def.naming, def.arg_desc) {
                    return self.bind_arg_extreme(input, it, args, desc, by_names, names, computed, outputs);
                }
            }
        }
        let before = computed.len();
        let rewritten = self.extract_aggregates(input, &it.expr, computed)?;
        if computed.len() == before {
            // an unknown function or column is the better message; else: not an aggregate
            self.bind_scalar(&rewritten, &input.schema)?;
            return Err(BindError::InvalidArgument {
                message: "summarize needs an aggregate function here, such as count(), sum(x) or make_set(x)".into(),
                span: it.expr.span.into(),
                help: None,
            });
        }
        let scope = KqlSchema::new(computed.iter().map(|c| KqlColumn { name: c.internal.clone(), ty: c.ty }).collect());
        // `(x, y) = array_sort_asc(make_list(t), make_list(c))`: one column per result; unnamed ones after the
        // aggregates' names (`list_t_sorted`), as Kusto's analyzer names them
        let arg_name = |e: &ast::Expr| match &e.kind {
            K::Name(n) => computed.iter().find(|c| c.internal == n.name).map(|c| c.label.clone()),
            _ => auto_name(e),
        };
        let item = ast::NamedExpr { names: it.names.clone(), expr: rewritten.clone() };
        if let Some(parts) = self.tuple_items(&item, &scope, names, false, &arg_name)? {
            for (e, name, ty) in parts {
                if names.contains(&name) {
                    return Err(BindError::DuplicateColumn { name, span: it.expr.span.into() });
                }
                names.push(name.clone());
                outputs.push((e, name, ty));
            }
            return Ok(());
        }
        let a = self.bind_scalar(&rewritten, &scope)?;
        // `toint(Compliant = dcountif(...))`: a name given inside the call names the column (Kusto's analyzer)
        let inner = if it.names.is_empty() { crate::binder::expr::inner_name(&it.expr) } else { None };
        let name = match it.names.first().or(inner.as_ref()) {
            Some(n) => {
                if names.contains(&n.name) {
                    return Err(BindError::DuplicateColumn { name: n.name.clone(), span: n.span.into() });
                }
                n.name.clone()
            }
            None => {
                let base = match &it.expr.kind {
                    K::Call { name, args } => lookup_aggregate(&name.name).map(|d| default_agg_name(d.naming, args)),
                    _ => None,
                };
                match base {
                    Some(b) => unique(b, names),
                    None => self.column_name(names),
                }
            }
        };
        names.push(name.clone());
        outputs.push((a.expr, name, a.ty));
        Ok(())
    }

    /// Replaces every aggregate call in `e` by a reference to a computed column `__aN`.
    fn extract_aggregates(
        &mut self,
        input: &Bound,
        e: &ast::Expr,
        computed: &mut Vec<AggOut>,
    ) -> Result<ast::Expr, BindError> {
        let mut out = e.clone();
        self.rewrite(&mut out, input, computed)?;
        Ok(out)
    }

    fn rewrite(&mut self, e: &mut ast::Expr, input: &Bound, computed: &mut Vec<AggOut>) -> Result<(), BindError> {
        if let K::Call { name, args } = &e.kind {
            if let Some(def) = lookup_aggregate(&name.name) {
                if def.naming == AggName::ArgMax {
                    return Err(BindError::Unsupported {
                        what: format!("{}() inside an expression", def.name),
                        span: e.span.into(),
                    });
                }
                let mut bound: Vec<Arg> = Vec::new();
                for a in args {
                    bound.push(self.bind_scalar(a, &input.schema)?);
                }
                let (_, bound, _) = functions::resolve(def.name, def.sigs, bound, e.span)?;
                let (expr, ty) = (def.lower)(bound)?;
                let internal = format!("__a{}", computed.len());
                let label = default_agg_name(def.naming, args);
                computed.push(AggOut { internal: internal.clone(), label, expr, ty, zero_default: def.zero_default });
                e.kind = K::Name(ast::Ident { name: internal, span: e.span });
                return Ok(());
            }
        }
        match &mut e.kind {
            K::Binary { left, right, .. } => {
                self.rewrite(left, input, computed)?;
                self.rewrite(right, input, computed)
            }
            K::Neg(x) | K::Paren(x) | K::NamedArg { value: x, .. } => self.rewrite(x, input, computed),
            K::Call { args, .. } => args.iter_mut().try_for_each(|a| self.rewrite(a, input, computed)),
            K::Member { target, .. } => self.rewrite(target, input, computed),
            K::Index { target, index } => {
                self.rewrite(target, input, computed)?;
                self.rewrite(index, input, computed)
            }
            K::Between { value, low, high, .. } => {
                self.rewrite(value, input, computed)?;
                self.rewrite(low, input, computed)?;
                self.rewrite(high, input, computed)
            }
            _ => Ok(()),
        }
    }

    /// `arg_max(E, *)` / `arg_max(E, c1, c2)`: E's column, then the returned columns, from the row with the
    /// largest (smallest) E in each group (arg-max-aggregation-function).
    #[allow(clippy::too_many_arguments)]
    fn bind_arg_extreme(
        &mut self,
        input: &Bound,
        it: &ast::NamedExpr,
        args: &[ast::Expr],
        desc: bool,
        by_names: &[String],
        names: &mut Vec<String>,
        computed: &mut Vec<AggOut>,
        outputs: &mut Vec<(Expr, String, KqlType)>,
    ) -> Result<(), BindError> {
        let Some((key_ast, rest)) = args.split_first() else {
            return Err(crate::binder::source::arity("arg_max", "at least 2 arguments", 0, it.expr.span));
        };
        if rest.is_empty() {
            return Err(crate::binder::source::arity("arg_max", "at least 2 arguments", 1, it.expr.span));
        }
        let key = self.bind_scalar(key_ast, &input.schema)?;
        let order = vec![SortExpr::new(key.expr.clone(), !desc, false)];
        // the deprecated argmax/argmin name their columns max_E and max_E_C (min_ for argmin)
        let legacy = matches!(&it.expr.kind, K::Call { name, .. } if matches!(name.name.as_str(), "argmax" | "argmin"));
        let prefix = if desc { "max" } else { "min" };
        let key_name = match it.names.first() {
            Some(n) => n.name.clone(),
            None if legacy => format!("{prefix}_{}", auto_name(key_ast).unwrap_or_default()),
            None => auto_name(key_ast).unwrap_or_else(|| format!("{prefix}_")),
        };
        let mut cols: Vec<(String, Arg)> = vec![(key_name.clone(), key.clone())];
        for r in rest {
            if matches!(r.kind, K::Star) {
                for c in &input.schema.columns {
                    let is_key = matches!(&key_ast.kind, K::Name(n) if n.name == c.name);
                    if is_key || by_names.contains(&c.name) || cols.iter().any(|(n, _)| n == &c.name) {
                        continue;
                    }
                    cols.push((c.name.clone(), Arg { expr: col(&c.name), ty: c.ty, span: r.span }));
                }
            } else {
                let (n, e) = match &r.kind {
                    K::Name(_)
                    | K::Member { .. }
                    | K::Index { .. }
                    | K::Call { .. }
                    | K::Paren(_)
                    | K::Binary { .. } => {
                        let a = self.bind_scalar(r, &input.schema)?;
                        (auto_name(r), a)
                    }
                    _ => (None, self.bind_scalar(r, &input.schema)?),
                };
                let n = match n {
                    Some(n) => n,
                    None => self.column_name(names),
                };
                cols.push((n, e));
            }
        }
        // more than two columns: one first_value of a struct of the row's columns, ordered by the key, then a field
        // per column (one accumulator compares the keys, where one first_value per column compared them once per
        // column: arg_max(Timestamp, *) of a wide table spent a third of the query there)
        let packed = (cols.len() > 2).then(|| {
            let internal = format!("__a{}", computed.len());
            let which = match desc {
                true => crate::binder::fields::RowOf::Max(key.expr.clone(), key.ty),
                false => crate::binder::fields::RowOf::Min(key.expr.clone(), key.ty),
            };
            let expr = crate::binder::fields::first_row(cols.iter().map(|(_, a)| a.expr.clone()), which);
            // an internal column no Kusto expression reads: only the get_field of each output
            computed.push(AggOut {
                internal: internal.clone(),
                label: key_name.clone(),
                expr,
                ty: KqlType::Dynamic,
                zero_default: false,
            });
            internal
        });
        for (i, (n, a)) in cols.into_iter().enumerate() {
            let n = if legacy && i > 0 { format!("{key_name}_{n}") } else { n };
            let out = match &packed {
                Some(internal) => crate::binder::fields::first_row_field(internal, i),
                None => {
                    let internal = format!("__a{}", computed.len());
                    let expr = datafusion::functions_aggregate::expr_fn::first_value(a.expr, order.clone());
                    computed.push(AggOut {
                        internal: internal.clone(),
                        label: n.clone(),
                        expr,
                        ty: a.ty,
                        zero_default: false,
                    });
                    col(&internal)
                }
            };
            let name = unique(n, names);
            names.push(name.clone());
            outputs.push((out, name, a.ty));
        }
        Ok(())
    }
}

/// `count_`, `sum_X`, `set_X`, or `X` for take_any.
/// `percentile(x, P)`, `percentiles(x, P1, ...)` and `percentiles_array(x, P1, ...)` (or a dynamic array of
/// P) as named `percentile(x, P)` items (percentiles-aggregation-function): `percentile_x_P` (a `.` in P
/// as `_`), or the names given; percentiles_array is one `percentiles_x` column packing them.
fn percentile_items(
    fname: &str,
    args: &[ast::Expr],
    given: &[ast::Ident],
    span: Span,
    taken: &[String],
) -> Vec<ast::NamedExpr> {
    let Some((x, ps)) = args.split_first() else {
        // arity errors come from the percentile row itself
        let call =
            ast::Expr { kind: K::Call { name: ast::Ident { name: "percentile".into(), span }, args: vec![] }, span };
        return vec![ast::NamedExpr { names: given.to_vec(), expr: call }];
    };
    let mut ps: Vec<ast::Expr> = ps.to_vec();
    if let [ast::Expr { kind: K::Literal(ast::Literal::Dynamic(serde_json::Value::Array(items))), span: ds }] =
        ps.as_slice()
    {
        let ds = *ds;
        ps = items
            .iter()
            .filter_map(|v| {
                let lit = match v {
                    serde_json::Value::Number(n) if n.is_i64() => ast::Literal::Long(n.as_i64()?),
                    serde_json::Value::Number(n) => ast::Literal::Real(n.as_f64()?),
                    _ => return None,
                };
                Some(ast::Expr { kind: K::Literal(lit), span: ds })
            })
            .collect();
    }
    let xname = auto_name(x).unwrap_or_default();
    let p_text = |p: &ast::Expr| match &p.kind {
        K::Literal(ast::Literal::Long(v)) => v.to_string(),
        K::Literal(ast::Literal::Real(f)) => crate::values::format_real(*f).replace('.', "_"),
        _ => String::new(),
    };
    let call = |p: &ast::Expr| ast::Expr {
        kind: K::Call { name: ast::Ident { name: "percentile".into(), span }, args: vec![x.clone(), p.clone()] },
        span,
    };
    let ident = |name: String| ast::Ident { name, span };
    let mut used: Vec<String> = taken.to_vec();
    let mut fresh = |base: String| {
        let n = unique(base, &used);
        used.push(n.clone());
        n
    };
    if fname == "percentiles_array" {
        let packed = ast::Expr {
            kind: K::Call { name: ast::Ident { name: "pack_array".into(), span }, args: ps.iter().map(call).collect() },
            span,
        };
        let names = if given.is_empty() { vec![ident(fresh(format!("percentiles_{xname}")))] } else { given.to_vec() };
        return vec![ast::NamedExpr { names, expr: packed }];
    }
    ps.iter()
        .enumerate()
        .map(|(i, p)| {
            let name = match given.get(i) {
                Some(n) if given.len() == ps.len() => n.clone(),
                _ => ident(fresh(format!("percentile_{xname}_{}", p_text(p)))),
            };
            ast::NamedExpr { names: vec![name], expr: call(p) }
        })
        .collect()
}

fn default_agg_name(naming: AggName, args: &[ast::Expr]) -> String {
    let arg = args.first().and_then(auto_name).unwrap_or_default();
    match naming {
        AggName::Fixed(n) => n.to_string(),
        AggName::Prefix(p) => format!("{p}{arg}"),
        AggName::Arg if !arg.is_empty() => arg,
        _ => "Column1".to_string(),
    }
}

/// The order rows arrive in at a plan's output, when it sorts them: a `Sort`, seen through filters and
/// projections that pass the sort's columns through unchanged.
pub(crate) fn input_order(plan: &datafusion::logical_expr::LogicalPlan) -> Option<Vec<SortExpr>> {
    use datafusion::logical_expr::LogicalPlan as P;
    // the projections above the sort: each must pass every sort column through under its own name
    let mut above: Vec<&datafusion::logical_expr::Projection> = Vec::new();
    let mut p = plan;
    for _ in 0..16 {
        match p {
            P::Sort(s) => {
                let passes = |pr: &datafusion::logical_expr::Projection, name: &str| {
                    pr.expr.iter().any(|e| match e {
                        Expr::Column(c) => c.name == name,
                        Expr::Alias(a) => {
                            matches!(a.expr.as_ref(), Expr::Column(c) if c.name == a.name && c.name == name)
                        }
                        _ => false,
                    })
                };
                let ok = s
                    .expr
                    .iter()
                    .flat_map(|e| e.expr.column_refs())
                    .all(|c| above.iter().all(|pr| passes(pr, c.name.as_str())));
                return ok.then(|| s.expr.clone());
            }
            P::Filter(f) => p = f.input.as_ref(),
            P::Projection(pr) => {
                above.push(pr);
                p = pr.input.as_ref();
            }
            _ => return None,
        }
    }
    None
}
