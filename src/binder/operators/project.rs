//! `project`, `project-away`, `project-keep`, `project-rename`, `project-reorder`, `extend`.

use super::summarize::unique;
use crate::ast::{self, ProjectKind};
use crate::binder::expr::auto_name;
use crate::binder::{Binder, Bound};
use crate::diagnostics::BindError;
use crate::functions::Naming;
use crate::source::Span;
use crate::types::KqlType;
use datafusion::logical_expr::Expr;

type Item = (Expr, String, KqlType);
/// One result of a function with several: its default column name and its type.
type Part = (String, KqlType);

/// Does `name` match a pattern with `*` wildcards?
pub(crate) fn wildcard_match(pattern: &str, name: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == name;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = name;
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() {
            continue;
        }
        if i == 0 {
            match rest.strip_prefix(p) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(p);
        } else {
            match rest.find(p) {
                Some(pos) => rest = rest.get(pos + p.len()..).unwrap_or(""),
                None => return false,
            }
        }
    }
    true
}

impl Binder<'_> {
    /// The output name of one `project`/`extend` item: explicit, derived (KUSTO-NOTES §8), or `ColumnN`.
    /// A call of a tuple function (`series_fit_line(y)`, `Naming::Tuple`; `array_sort_asc(a, b)`,
    /// `Naming::PerArray`): one item per part, named by the item's names in order and the rest by
    /// [`Binder::result_parts`] (a repeat gets `1`, `2`…), as Kusto's analyzer names them; with `named_only`
    /// (print), only the named parts. An unnamed `array_sort_asc(a, b)[1]` is the part's column (`b_sorted`).
    /// `arg_name` names an argument for the default names (`auto_name`; summarize names aggregates).
    /// `None` for any other expression.
    pub(crate) fn tuple_items(
        &mut self,
        it: &ast::NamedExpr,
        scope: &crate::types::KqlSchema,
        taken: &[String],
        named_only: bool,
        arg_name: &dyn Fn(&ast::Expr) -> Option<String>,
    ) -> Result<Option<Vec<Item>>, BindError> {
        if let ast::ExprKind::Index { target, index } = &it.expr.kind {
            let ast::ExprKind::Literal(ast::Literal::Long(k)) = index.kind else { return Ok(None) };
            let (Some((_, parts)), true) = (self.result_parts(target, scope, arg_name)?, it.names.is_empty()) else {
                return Ok(None);
            };
            let Some((base, ty)) = usize::try_from(k).ok().and_then(|k| parts.get(k)).filter(|_| parts.len() > 1)
            else {
                return Ok(None);
            };
            let a = self.bind_scalar(&it.expr, scope)?;
            return Ok(Some(vec![(a.expr, unique(base.clone(), taken), *ty)]));
        }
        let Some((naming, parts)) = self.result_parts(&it.expr, scope, arg_name)? else { return Ok(None) };
        if let Some(extra) = it.names.get(parts.len()) {
            let name = match &it.expr.kind {
                ast::ExprKind::Call { name, .. } => name.name.as_str(),
                _ => "the call",
            };
            return Err(BindError::InvalidArgument {
                message: format!("{name} has {} results; the name '{}' has none", parts.len(), extra.name),
                span: extra.span.into(),
                help: None,
            });
        }
        // one array sorted is the array itself, named in print by position as any value (as the analyzer does)
        let whole = parts.len() == 1 && matches!(naming, Naming::PerArray(_));
        if whole && named_only && it.names.is_empty() {
            return Ok(None);
        }
        let a = self.bind_scalar(&it.expr, scope)?;
        let mut taken = taken.to_vec();
        let mut out = Vec::new();
        for (i, (base, ty)) in parts.into_iter().enumerate() {
            let name = match it.names.get(i) {
                Some(n) => n.name.clone(),
                None if named_only && !it.names.is_empty() => continue,
                None => unique(base, &taken),
            };
            taken.push(name.clone());
            if whole {
                out.push((a.expr.clone(), name, ty));
                continue;
            }
            let part = crate::functions::udf::Udf::DynamicIndex
                .call(vec![a.expr.clone(), datafusion::logical_expr::lit(i64::try_from(i).unwrap_or(0))]);
            let e = if ty == KqlType::Dynamic {
                part
            } else {
                crate::functions::convert_to(
                    crate::functions::Arg { expr: part, ty: KqlType::Dynamic, span: a.span },
                    ty,
                )
                .expr
            };
            out.push((e, name, ty));
        }
        Ok(Some(out))
    }

    /// The results of a call of a function with several (`Naming::Tuple`, `Naming::PerArray`): the function's
    /// naming and each part's default column name and type. `series_fit_line(y)`: `series_fit_line_y_slope`...;
    /// `array_sort_asc(a, dynamic([1]), true)`: `a_sorted`, `array1_sorted`. `None` for any other expression.
    fn result_parts(
        &mut self,
        e: &ast::Expr,
        scope: &crate::types::KqlSchema,
        arg_name: &dyn Fn(&ast::Expr) -> Option<String>,
    ) -> Result<Option<(Naming, Vec<Part>)>, BindError> {
        let ast::ExprKind::Call { name, args } = &e.kind else { return Ok(None) };
        if self.lookup_let(&name.name).is_some() {
            return Ok(None);
        }
        let Some(f) = crate::functions::lookup(&name.name) else { return Ok(None) };
        let parts = match f.naming {
            Naming::Tuple(parts) => {
                let arg = args.first().and_then(arg_name).unwrap_or_default();
                Some(parts.iter().map(|(part, ty)| (format!("{}_{}_{}", f.name, arg, part), *ty)).collect())
            }
            Naming::PerArray(suffix) => {
                // only the last argument's type matters: a bool there is nulls_last
                let mut types = vec![KqlType::Dynamic; args.len().saturating_sub(1)];
                if let Some(l) = args.last() {
                    types.push(self.bind_scalar(l, scope)?.ty);
                }
                let arrays = crate::functions::array_count(&types);
                let name = |(i, a)| arg_name(a).unwrap_or_else(|| format!("array{i}"));
                Some(
                    args.iter()
                        .take(arrays)
                        .enumerate()
                        .map(|p| (format!("{}_{suffix}", name(p)), KqlType::Dynamic))
                        .collect(),
                )
            }
            _ => None,
        };
        Ok(parts.map(|p| (f.naming, p)))
    }

    fn item_name(&mut self, it: &ast::NamedExpr, taken: &[String]) -> Result<String, BindError> {
        match it.names.as_slice() {
            [n] => Ok(n.name.clone()),
            // `toint(X = ...)` names the column X; else the expression's own name
            [] => Ok(match crate::binder::expr::inner_name(&it.expr).map(|n| n.name).or_else(|| auto_name(&it.expr)) {
                Some(n) => n,
                None => self.column_name(taken),
            }),
            [_, second, ..] => Err(BindError::Unsupported {
                what: "several names for one expression".into(),
                span: second.span.into(),
            }),
        }
    }

    /// Column names of `input` that match a pattern; an unknown plain name is an error.
    fn matching(&self, input: &Bound, pattern: &ast::Expr) -> Result<Vec<String>, BindError> {
        let ast::ExprKind::Name(n) = &pattern.kind else {
            return Err(BindError::InvalidArgument {
                message: "expected a column name".into(),
                span: pattern.span.into(),
                help: None,
            });
        };
        let found: Vec<String> =
            input.schema.names().filter(|c| wildcard_match(&n.name, c)).map(String::from).collect();
        if found.is_empty() && !n.name.contains('*') {
            let help = crate::names::help_line(&n.name, input.schema.names(), "columns");
            return Err(BindError::UnknownColumn { name: n.name.clone(), span: n.span.into(), did_you_mean: help });
        }
        Ok(found)
    }

    pub(crate) fn bind_project(
        &mut self,
        input: Bound,
        kind: ProjectKind,
        items: &[ast::NamedExpr],
        order: &[Option<ast::Ident>],
        span: Span,
    ) -> Result<Bound, BindError> {
        match kind {
            ProjectKind::Project => {
                let mut out: Vec<Item> = Vec::new();
                for it in items {
                    let taken: Vec<String> = out.iter().map(|i| i.1.clone()).collect();
                    if let Some(parts) = self.tuple_items(it, &input.schema, &taken, false, &auto_name)? {
                        for p in parts {
                            if out.iter().any(|o| o.1 == p.1) {
                                return Err(BindError::DuplicateColumn { name: p.1, span: it.expr.span.into() });
                            }
                            out.push(p);
                        }
                        continue;
                    }
                    let a = self.bind_scalar(&it.expr, &input.schema)?;
                    let name = self.item_name(it, &taken)?;
                    if taken.contains(&name) {
                        return Err(BindError::DuplicateColumn { name, span: it.expr.span.into() });
                    }
                    out.push((a.expr, name, a.ty));
                }
                self.project(input, out, span)
            }
            ProjectKind::Away => {
                let mut drop = Vec::new();
                for it in items {
                    drop.extend(self.matching(&input, &it.expr)?);
                }
                let keep = Self::passthrough(&input).into_iter().filter(|i| !drop.contains(&i.1)).collect();
                self.project(input, keep, span)
            }
            ProjectKind::Keep => {
                let mut keep = Vec::new();
                for it in items {
                    keep.extend(self.matching(&input, &it.expr)?);
                }
                // project-keep-operator: kept columns stay in table order
                let out = Self::passthrough(&input).into_iter().filter(|i| keep.contains(&i.1)).collect();
                self.project(input, out, span)
            }
            ProjectKind::Rename => self.bind_rename(input, items, span),
            ProjectKind::Reorder => {
                let mut first: Vec<String> = Vec::new();
                for (it, dir) in items.iter().zip(order) {
                    let mut m = self.matching(&input, &it.expr)?;
                    match dir.as_ref().map(|d| d.name.as_str()) {
                        Some("asc") | Some("granny-asc") => m.sort(),
                        Some("desc") | Some("granny-desc") => m.sort_by(|a, b| b.cmp(a)),
                        _ => {}
                    }
                    for c in m {
                        if !first.contains(&c) {
                            first.push(c);
                        }
                    }
                }
                let all = Self::passthrough(&input);
                let mut out: Vec<Item> = first.iter().filter_map(|n| all.iter().find(|i| &i.1 == n).cloned()).collect();
                out.extend(all.into_iter().filter(|i| !first.contains(&i.1)));
                self.project(input, out, span)
            }
        }
    }

    /// project-rename-operator: `New = Old` keeps the position; renaming onto an existing name is an error.
    fn bind_rename(&mut self, input: Bound, items: &[ast::NamedExpr], span: Span) -> Result<Bound, BindError> {
        let mut out = Self::passthrough(&input);
        for it in items {
            let (Some(new), ast::ExprKind::Name(old)) = (it.names.first(), &it.expr.kind) else {
                return Err(BindError::InvalidArgument {
                    message: "project-rename takes NewName = ExistingColumn".into(),
                    span: it.expr.span.into(),
                    help: None,
                });
            };
            let Some(pos) = out.iter().position(|i| i.1 == old.name) else {
                let help = crate::names::help_line(&old.name, input.schema.names(), "columns");
                return Err(BindError::UnknownColumn {
                    name: old.name.clone(),
                    span: old.span.into(),
                    did_you_mean: help,
                });
            };
            if new.name != old.name && out.iter().any(|i| i.1 == new.name) {
                return Err(BindError::DuplicateColumn { name: new.name.clone(), span: new.span.into() });
            }
            if let Some(i) = out.get_mut(pos) {
                i.1 = new.name.clone();
            }
        }
        self.project(input, out, span)
    }

    /// extend-operator: new names are appended; an existing name is replaced in place (as the language
    /// service does; the docs say it moves to the end — see README, differences).
    pub(crate) fn bind_extend(
        &mut self,
        input: Bound,
        items: &[ast::NamedExpr],
        span: Span,
    ) -> Result<Bound, BindError> {
        let mut input = input;
        let mut out = Self::passthrough(&input);
        let mut defined: Vec<String> = Vec::new();
        // the names of `out`, kept beside it (not copied for every item: a wide table has a hundred)
        let mut taken: Vec<String> = out.iter().map(|i| i.1.clone()).collect();
        for it in items {
            if let Some(parts) = self.tuple_items(it, &input.schema, &taken, false, &auto_name)? {
                for (e, name, ty) in parts {
                    if defined.contains(&name) {
                        return Err(BindError::DuplicateColumn { name, span: it.expr.span.into() });
                    }
                    defined.push(name.clone());
                    match out.iter_mut().find(|i| i.1 == name) {
                        Some(slot) => *slot = (e, name, ty),
                        None => {
                            taken.push(name.clone());
                            out.push((e, name, ty))
                        }
                    }
                }
                continue;
            }
            // row_number(), prev(x), next(x) anywhere in the value: Window nodes over the (serialized) rows,
            // referenced by their hidden columns
            let (windowed, value) = self.hoist_windows(input, &it.expr, span)?;
            input = windowed;
            let a = self.bind_scalar(&value, &input.schema)?;
            let name = self.item_name(it, &taken)?;
            if defined.contains(&name) {
                return Err(BindError::DuplicateColumn { name, span: it.expr.span.into() });
            }
            defined.push(name.clone());
            match out.iter_mut().find(|i| i.1 == name) {
                Some(slot) => *slot = (a.expr, name, a.ty),
                None => {
                    taken.push(name.clone());
                    out.push((a.expr, name, a.ty))
                }
            }
        }
        self.project(input, out, span)
    }

    /// The window function a call names (`row_number()`, `prev`, `next`), unless a `let` shadows it.
    fn window_call(&self, name: &str) -> Option<&'static crate::functions::WindowDef> {
        if self.lookup_let(name).is_some() {
            return None;
        }
        crate::functions::lookup_window(name)
    }

    /// Replaces each window call in `e` by a hidden column computed in a Window node over `input` (which keeps
    /// the rows and their order and appends the column); returns the widened input and the rewritten value.
    pub(crate) fn hoist_windows(
        &mut self,
        mut input: Bound,
        e: &ast::Expr,
        span: Span,
    ) -> Result<(Bound, ast::Expr), BindError> {
        let mut out = e.clone();
        // the rows' serialized order (a sort before the extend), given to every window: DataFusion drops a sort
        // that no window or output asks for
        let order = super::summarize::input_order(&input.plan);
        self.hoist_into(&mut input, &mut out, order.as_deref(), span)?;
        Ok((input, out))
    }

    /// Adds a Window node computing `w` over `input`'s rows; returns the (hidden) column's name.
    fn add_window(
        &mut self,
        input: &mut Bound,
        w: datafusion::logical_expr::Expr,
        span: Span,
    ) -> Result<String, BindError> {
        let name = self.fresh("w");
        let plan = datafusion::logical_expr::LogicalPlanBuilder::from(input.plan.clone())
            .window(vec![w.alias(name.clone())])
            .and_then(|b| b.build())
            .map_err(crate::binder::df_err(span))?;
        let mut schema = input.schema.clone();
        schema.columns.push(crate::types::KqlColumn { name: name.clone(), ty: KqlType::Long });
        *input = Bound::new(plan, schema, span)?;
        Ok(name)
    }

    /// `row_number(start, restart)`: the rows' numbers (`numbering`, already per partition), a running count of
    /// the rows where `restart` holds, then row_number() per run of that count (row-number-function).
    fn restarted_row_number(
        &mut self,
        input: &mut Bound,
        numbering: datafusion::logical_expr::Expr,
        restart: datafusion::logical_expr::Expr,
        key: Option<&str>,
        span: Span,
    ) -> Result<datafusion::logical_expr::Expr, BindError> {
        use datafusion::logical_expr::{expr::WindowFunction, expr::WindowFunctionDefinition as Def, lit, when};
        use datafusion::logical_expr::{Expr, ExprFunctionExt};
        let err = crate::binder::df_err(span);
        let parts: Vec<Expr> = key.iter().map(|k| crate::binder::col(k)).collect();
        let rn = self.add_window(input, numbering, span)?;
        let by_rn = vec![crate::binder::col(&rn).sort(true, false)];
        let one = when(restart, lit(1i64)).otherwise(lit(0i64)).map_err(&err)?;
        let sum = Def::AggregateUDF(datafusion::functions_aggregate::sum::sum_udaf());
        let running = Expr::WindowFunction(Box::new(WindowFunction::new(sum, vec![one])))
            .partition_by(parts.clone())
            .order_by(by_rn.clone())
            .build()
            .map_err(&err)?;
        let run = self.add_window(input, running, span)?;
        let mut by_run = parts;
        by_run.push(crate::binder::col(&run));
        datafusion::functions_window::expr_fn::row_number().partition_by(by_run).order_by(by_rn).build().map_err(err)
    }

    fn hoist_into(
        &mut self,
        input: &mut Bound,
        e: &mut ast::Expr,
        order: Option<&[datafusion::logical_expr::SortExpr]>,
        span: Span,
    ) -> Result<(), BindError> {
        if let ast::ExprKind::Call { name, args } = &mut e.kind {
            if let Some(w) = self.window_call(&name.name) {
                if !input.serialized {
                    return Err(BindError::InvalidArgument {
                        message: format!("{}() needs serialized rows; these rows have no order", w.name),
                        span: name.span.into(),
                        help: Some(
                            "serialize them first: `| serialize` or `| sort by ...` before this operator (a \
                             table's rows, and the output of summarize, join, union, distinct, ..., are not)"
                                .into(),
                        ),
                    });
                }
                for a in args.iter_mut() {
                    self.hoist_into(input, a, order, span)?;
                }
                if args.len() < w.min || args.len() > w.max {
                    let expected = format!("{} to {} arguments", w.min, w.max);
                    return Err(crate::binder::source::arity(w.name, &expected, args.len(), e.span));
                }
                let mut bound = Vec::new();
                for a in args.iter() {
                    bound.push(self.bind_scalar(a, &input.schema)?);
                }
                let mut call = (w.build)(bound, e.span)?;
                let key = self.partition.last().and_then(|c| c.first()).cloned();
                // inside a partition (or an mv-apply row), rows are numbered and shifted per partition
                if let Some(key) = &key {
                    use datafusion::logical_expr::ExprFunctionExt;
                    // in the partition's row order: the sort before it, if any
                    call.window = call
                        .window
                        .partition_by(vec![crate::binder::col(key)])
                        .order_by(order.map(<[_]>::to_vec).unwrap_or_default())
                        .build()
                        .map_err(crate::binder::df_err(span))?;
                } else if let Some(order) = order {
                    use datafusion::logical_expr::ExprFunctionExt;
                    call.window = call.window.order_by(order.to_vec()).build().map_err(crate::binder::df_err(span))?;
                }
                // row_number(start, restart): a number per run of rows between restarts
                if let Some(flag) = call.restart.take() {
                    call.window = self.restarted_row_number(input, call.window.clone(), flag, key.as_deref(), span)?;
                }
                let raw = self.fresh("w");
                let plan = datafusion::logical_expr::LogicalPlanBuilder::from(input.plan.clone())
                    .window(vec![call.window.clone().alias(raw.clone())])
                    .and_then(|b| b.build())
                    .map_err(crate::binder::df_err(span))?;
                // then the column in Kusto's type (row_number's count as a long from its start)
                let hidden = self.fresh("w");
                let mut exprs: Vec<datafusion::logical_expr::Expr> =
                    input.schema.columns.iter().map(|c| crate::binder::col(&c.name)).collect();
                exprs.push(call.finish(crate::binder::col(&raw)).alias(hidden.clone()));
                let plan = datafusion::logical_expr::LogicalPlanBuilder::from(plan)
                    .project(exprs)
                    .and_then(|b| b.build())
                    .map_err(crate::binder::df_err(span))?;
                let mut schema = input.schema.clone();
                schema.columns.push(crate::types::KqlColumn { name: hidden.clone(), ty: call.ty });
                *input = Bound::new(plan, schema, span)?;
                e.kind = ast::ExprKind::Name(ast::Ident { name: hidden, span: e.span });
                return Ok(());
            }
        }
        for child in e.children_mut() {
            self.hoist_into(input, child, order, span)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::wildcard_match;

    #[test]
    fn wildcards() {
        assert!(wildcard_match("Initiating*", "InitiatingProcessId"));
        assert!(wildcard_match("*Id", "DeviceId"));
        assert!(wildcard_match("*", "x"));
        assert!(!wildcard_match("Device*", "Timestamp"));
        assert!(wildcard_match("A*C", "ABC"));
    }
}
