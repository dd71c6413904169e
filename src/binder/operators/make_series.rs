//! `make-series`: per group, each aggregate as an array over the bins `from, from+step, …` of the axis column,
//! absent bins filled with the aggregate's `default` (0 when omitted), and the bins' start values as one more
//! array column (make-series-operator). Output: the `by` columns, the aggregates, then the axis.
//!
//! Planned from operators kqlite already has, built as syntax over the input (held as a hidden `let`):
//!   1. `where Axis >= from and Axis < to` (when bounds were given), then
//!      `summarize Aggs by Keys, __i = tolong((Axis - from) / step)` (one value per group and bin),
//!   2. `summarize __p0 = make_list(pack_array(__i, Agg0)), ... by Keys` (the bins of a group),
//!   3. each list spread into a full array by `kql_series_fill(list, bins, default)`, the axis by
//!      `kql_series_axis(from, step, bins)`.
//!
//! An omitted `from` is the bin of the smallest axis value, an omitted `to` the end of the largest one's bin.

use crate::ast::{self, BinOp, Expr, ExprKind as K, NamedExpr, OpKind};
use crate::binder::{col, Binder, Binding, Bound, Syn};
use crate::diagnostics::BindError;
use crate::functions::udf::Udf;
use crate::source::Span;
use crate::types::{KqlSchema, KqlType};

impl Binder<'_> {
    pub(crate) fn bind_make_series(
        &mut self,
        input: Bound,
        ms: &ast::MakeSeries,
        span: Span,
    ) -> Result<Bound, BindError> {
        let s = Syn(span);
        if let Some(p) = ms.params.iter().find(|p| p.name.name == "kind" && p.value.name != "nonempty") {
            return Err(BindError::InvalidArgument {
                message: format!("make-series kind= takes 'nonempty', not '{}'", p.value.name),
                span: p.value.span.into(),
                help: None,
            });
        }
        let nonempty = ms.params.iter().any(|p| p.name.name == "kind" && p.value.name == "nonempty");
        let axis = ms.on.expr.clone();
        let axis_name = match ms.on.names.first() {
            Some(n) => n.name.clone(),
            None => crate::binder::expr::auto_name(&axis).ok_or_else(|| BindError::InvalidArgument {
                message: "make-series needs a column after 'on', or Name = expression".into(),
                span: axis.span.into(),
                help: None,
            })?,
        };
        let axis_ty = self.bind_scalar(&axis, &input.schema)?.ty;
        if !matches!(axis_ty, KqlType::Datetime | KqlType::Timespan | KqlType::Long | KqlType::Int | KqlType::Real) {
            return Err(BindError::TypeMismatch {
                message: format!("the axis of make-series must be a datetime, timespan or number, not {axis_ty}"),
                span: axis.span.into(),
                found: axis_ty.to_string(),
                help: None,
            });
        }
        let src_name = self.fresh("series_in");
        self.push_scope();
        self.define(&src_name, Binding::Tabular(input), span);
        let out = self.bind_make_series_in(&s, ms, &src_name, axis, &axis_name, nonempty);
        self.pop_scope();
        out
    }

    fn bind_make_series_in(
        &mut self,
        s: &Syn,
        ms: &ast::MakeSeries,
        src: &str,
        axis: Expr,
        axis_name: &str,
        nonempty: bool,
    ) -> Result<Bound, BindError> {
        let step = ms.step.clone();
        // bounds: as written, or from the data (the bins of the smallest and largest axis values)
        let of_data = |agg: &str| {
            let summarize = OpKind::Summarize {
                params: vec![],
                aggs: vec![s.named("v", s.call(agg, vec![axis.clone()]))],
                by: vec![],
            };
            let q = s.pipe(s.name(src), "summarize", summarize);
            s.call("bin", vec![s.call("toscalar", vec![q]), step.clone()])
        };
        let from = ms.from.clone().unwrap_or_else(|| of_data("min"));
        let to = ms.to.clone().unwrap_or_else(|| s.bin(BinOp::Add, of_data("max"), step.clone()));
        let from_a = self.bind_scalar(&from, &KqlSchema::default())?;
        let step_a = self.bind_scalar(&step, &KqlSchema::default())?;
        let to_a = self.bind_scalar(&to, &KqlSchema::default())?;
        let numeric = |t: KqlType| matches!(t, KqlType::Long | KqlType::Int | KqlType::Real);
        let fits = match from_a.ty {
            KqlType::Datetime => to_a.ty == KqlType::Datetime && step_a.ty == KqlType::Timespan,
            KqlType::Timespan => to_a.ty == KqlType::Timespan && step_a.ty == KqlType::Timespan,
            t => numeric(t) && numeric(to_a.ty) && numeric(step_a.ty),
        };
        if !fits {
            return Err(BindError::TypeMismatch {
                message: format!(
                    "make-series bounds and step do not fit together: from {}, to {}, step {}",
                    from_a.ty, to_a.ty, step_a.ty
                ),
                span: step.span.into(),
                found: format!("{}, {}, {}", from_a.ty, to_a.ty, step_a.ty),
                help: Some("datetime bounds take a timespan step (1h, 1d); numeric bounds a number".into()),
            });
        }
        // 1. one value per group and bin
        let mut rows = s.name(src);
        if ms.from.is_some() || ms.to.is_some() {
            let inside = s.bin(
                BinOp::And,
                s.bin(BinOp::Ge, axis.clone(), from.clone()),
                s.bin(BinOp::Lt, axis.clone(), to.clone()),
            );
            rows = s.pipe(rows, "where", OpKind::Where(inside));
        }
        let index = s.call(
            "tolong",
            vec![s.call(
                "floor",
                vec![s.bin(BinOp::Div, s.bin(BinOp::Sub, axis.clone(), from.clone()), step.clone()), s.long(1)],
            )],
        );
        let mut by1 = ms.by.clone();
        by1.push(s.named("__i", index));
        // a constant "aggregate" (`other = -1`) is that value in each bin that has rows
        let aggs1: Vec<NamedExpr> = ms
            .aggs
            .iter()
            .map(|(a, _)| {
                if is_constant(&a.expr) {
                    NamedExpr { names: a.names.clone(), expr: s.call("take_any", vec![a.expr.clone()]) }
                } else {
                    a.clone()
                }
            })
            .collect();
        let per_bin = s.pipe(rows, "summarize", OpKind::Summarize { params: vec![], aggs: aggs1, by: by1 });
        let per_bin = self.bind_tabular(&per_bin)?;
        let keys: Vec<String> = per_bin.schema.names().take(ms.by.len()).map(String::from).collect();
        let agg_cols: Vec<(String, KqlType)> =
            per_bin.schema.columns.iter().skip(ms.by.len() + 1).map(|c| (c.name.clone(), c.ty)).collect();
        if agg_cols.iter().any(|(n, _)| n == axis_name) || keys.iter().any(|k| k == axis_name) {
            return Err(BindError::DuplicateColumn { name: axis_name.to_string(), span: ms.on.expr.span.into() });
        }
        // 2. the bins of each group as one list per aggregate
        let lists: Vec<NamedExpr> = agg_cols
            .iter()
            .enumerate()
            .map(|(k, (n, _))| {
                let pair = s.call("pack_array", vec![s.name("__i"), s.name(n)]);
                s.named(&format!("__p{k}"), s.call("make_list", vec![pair]))
            })
            .collect();
        let by2: Vec<NamedExpr> = keys.iter().map(|k| s.named(k, s.name(k))).collect();
        let mut grouped = self
            .bind_operator(per_bin, &s.op("summarize", OpKind::Summarize { params: vec![], aggs: lists, by: by2 }))?;
        if !nonempty || !keys.is_empty() {
            // no rows, no series (kind=nonempty gives one row of defaults when there is no `by`)
            let some = s.bin(BinOp::Gt, s.call("array_length", vec![s.name("__p0")]), s.long(0));
            grouped = self.bind_operator(grouped, &s.op("where", OpKind::Where(some)))?;
        }
        // 3. full arrays: defaults where a bin has no value; the axis
        let bins = s.call(
            "tolong",
            vec![s.call("ceiling", vec![s.bin(BinOp::Div, s.bin(BinOp::Sub, to.clone(), from.clone()), step.clone())])],
        );
        let bins = self.bind_scalar(&bins, &KqlSchema::default())?;
        let mut out: Vec<(datafusion::logical_expr::Expr, String, KqlType)> =
            keys.iter().zip(&grouped.schema.columns).map(|(k, c)| (col(k), k.clone(), c.ty)).collect();
        for (k, ((name, ty), (_, default))) in agg_cols.iter().zip(&ms.aggs).enumerate() {
            let default = match default {
                Some(d) => self.bind_scalar(d, &KqlSchema::default())?,
                None => self.bind_scalar(&s.long(0), &KqlSchema::default())?,
            };
            // the default in the aggregate's type (0 of a real series is 0.0), then as a dynamic value
            let default = if default.ty == *ty || default.expr == crate::functions::null_of(default.ty) {
                default
            } else {
                crate::functions::convert_to(default, *ty)
            };
            let default = crate::functions::convert_to(default, KqlType::Dynamic);
            let fill = Udf::SeriesFill.call(vec![col(&format!("__p{k}")), bins.expr.clone(), default.expr]);
            out.push((fill, name.clone(), KqlType::Dynamic));
        }
        // the axis keeps its type: datetimes, timespans, longs (an int axis too) or reals
        let integral =
            matches!(from_a.ty, KqlType::Int | KqlType::Long) && matches!(step_a.ty, KqlType::Int | KqlType::Long);
        let axis_arg = |a: crate::functions::Arg| match a.ty {
            KqlType::Datetime | KqlType::Timespan => a.expr,
            _ if integral => crate::functions::convert_to(a, KqlType::Long).expr,
            _ => crate::functions::convert_to(a, KqlType::Real).expr,
        };
        let axis_values = Udf::SeriesAxis.call(vec![axis_arg(from_a), axis_arg(step_a), bins.expr]);
        out.push((axis_values, axis_name.to_string(), KqlType::Dynamic));
        self.project(grouped, out, s.0)
    }
}

/// A literal, possibly negated (`-1`, `"x"`, `long(null)`): a constant make-series "aggregate".
fn is_constant(e: &Expr) -> bool {
    match &e.kind {
        K::Literal(_) => true,
        K::Neg(x) | K::Paren(x) => is_constant(x),
        _ => false,
    }
}
