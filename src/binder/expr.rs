//! Scalar expressions: names (columns shadow `let`s), literals, operators with Kusto's types and null rules,
//! dynamic access, `in`/`has_any` lists and sub-queries, calls through the function table.

use super::{col, df_err, Binder, Binding};
use crate::ast::{self, BinOp, ExprKind as K, Literal, SetOpKind};
use crate::diagnostics::BindError;
use crate::functions::udf::{self, strings::Match, Udf};
use crate::functions::{self, as_datetime, as_timespan, nanos, null_of, Arg};
use crate::source::Span;
use crate::types::{widest_numeric, KqlSchema, KqlType};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::functions::string::expr_fn as sf;
use datafusion::logical_expr::{cast, lit, when, Expr, LogicalPlanBuilder};
use std::sync::Arc;

/// The name Kusto gives an unnamed column computed by `e` (KUSTO-NOTES §8), or `None` for a generated one.
pub fn auto_name(e: &ast::Expr) -> Option<String> {
    match &e.kind {
        K::Name(n) => Some(n.name.clone()),
        K::Member { target, name } => Some(format!("{}_{}", auto_name(target)?, name.name)),
        K::Index { target, index } => {
            let key = match &index.kind {
                K::Literal(Literal::String(s)) => s.clone(),
                K::Literal(Literal::Long(i)) => i.to_string(),
                _ => return None,
            };
            Some(format!("{}_{}", auto_name(target)?, key))
        }
        K::Paren(inner) => auto_name(inner),
        K::Call { name, args } => {
            let f = functions::lookup(&name.name)?;
            match f.naming {
                functions::Naming::FirstArg => auto_name(args.first()?),
                functions::Naming::Prefixed => Some(format!("{}_{}", f.name, auto_name(args.first()?)?)),
                functions::Naming::Generated | functions::Naming::Tuple(_) | functions::Naming::PerArray(_) => None,
            }
        }
        _ => None,
    }
}

/// The name given inside a call, `toint(Compliant = dcountif(...))`: Kusto's analyzer names the column after
/// it (an argument `Name = value` of a built-in function, found through nested calls).
pub fn inner_name(e: &ast::Expr) -> Option<ast::Ident> {
    match &e.kind {
        K::NamedArg { name, .. } => Some(name.clone()),
        K::Paren(x) => inner_name(x),
        K::Call { name, args }
            if functions::lookup(&name.name).is_some() || functions::lookup_aggregate(&name.name).is_some() =>
        {
            args.iter().find_map(inner_name)
        }
        _ => None,
    }
}

/// The value of a constant expression: a literal, or anything DataFusion's simplifier folds to one
/// (`10 + 2`, `ago(1d)`, a UDF over literals).
pub fn fold_constant(e: &Expr) -> Option<ScalarValue> {
    match e {
        Expr::Literal(v, _) => Some(v.clone()),
        Expr::Cast(c) => fold_constant(&c.expr)?.cast_to(c.field.data_type()).ok(),
        Expr::Alias(a) => fold_constant(&a.expr),
        Expr::Column(_) | Expr::ScalarSubquery(_) | Expr::InSubquery(_) | Expr::Exists(_) => None,
        _ => {
            let simplifier = datafusion::optimizer::simplify_expressions::ExprSimplifier::new(
                datafusion::logical_expr::simplify::SimplifyContext::default(),
            );
            match simplifier.simplify(e.clone()).ok()? {
                Expr::Literal(v, _) => Some(v),
                _ => None,
            }
        }
    }
}

fn literal(l: &Literal, span: Span) -> Result<(Expr, KqlType), BindError> {
    Ok(match l {
        Literal::Bool(b) => (lit(*b), KqlType::Bool),
        Literal::Long(v) => (lit(*v), KqlType::Long),
        Literal::Real(v) => (lit(*v), KqlType::Real),
        Literal::String(s) => (lit(s.clone()), KqlType::String),
        Literal::Timespan(t) => (functions::timespan_lit(t.saturating_mul(100)), KqlType::Timespan),
        Literal::Datetime(ns) => (functions::datetime_lit(*ns), KqlType::Datetime),
        Literal::Guid(g) => (lit(g.clone()), KqlType::Guid),
        Literal::Dynamic(v) => {
            if v.is_null() {
                (null_of(KqlType::Dynamic), KqlType::Dynamic)
            } else {
                (lit(v.to_string()), KqlType::Dynamic)
            }
        }
        Literal::TypedNull(t) => {
            let ty = KqlType::parse(t).ok_or_else(|| BindError::InvalidArgument {
                message: format!("'{t}' is not a Kusto type"),
                span: span.into(),
                help: None,
            })?;
            (null_of(ty), ty)
        }
        Literal::Typed(t, inner) => {
            let ty = KqlType::parse(t).ok_or_else(|| BindError::InvalidArgument {
                message: format!("'{t}' is not a Kusto type"),
                span: span.into(),
                help: None,
            })?;
            let (e, from) = literal(inner, span)?;
            (functions::convert_to(Arg { expr: e, ty: from, span }, ty).expr, ty)
        }
    })
}

fn type_err(message: String, a: &Arg, help: Option<String>) -> BindError {
    BindError::TypeMismatch { message, span: a.span.into(), found: a.ty.to_string(), help }
}

fn incompatible(op: &str, l: &Arg, r: &Arg) -> BindError {
    BindError::IncompatibleOperands {
        op: op.to_string(),
        left: l.ty,
        right: r.ty,
        left_span: l.span.into(),
        right_span: r.span.into(),
    }
}

fn is_null_literal(e: &Expr) -> bool {
    matches!(fold_constant(e), Some(v) if v.is_null())
}

impl Binder<'_> {
    /// Binds a scalar expression against the current row scope.
    #[recursive::recursive]
    pub(crate) fn bind_scalar(&mut self, e: &ast::Expr, scope: &KqlSchema) -> Result<Arg, BindError> {
        let span = e.span;
        let (expr, ty) = match &e.kind {
            K::Literal(l) => literal(l, span)?,
            K::Name(n) => return self.bind_name(n, scope),
            K::Paren(inner) => {
                if self.is_tabular(inner) {
                    return self.scalar_from_tabular(inner, span);
                }
                return self.bind_scalar(inner, scope).map(|a| Arg { span, ..a });
            }
            K::Neg(x) => {
                let a = self.bind_scalar(x, scope)?;
                match a.ty {
                    KqlType::Timespan => (as_timespan(-nanos(a.expr)), KqlType::Timespan),
                    t if t.is_numeric() => {
                        let a = if t == KqlType::Int { functions::convert_to(a, KqlType::Long) } else { a };
                        (-a.expr, a.ty)
                    }
                    _ => return Err(type_err(format!("cannot negate a {}", a.ty), &a, None)),
                }
            }
            K::Binary { op, left, right } => {
                let l = self.bind_scalar(left, scope)?;
                let r = self.bind_scalar(right, scope)?;
                self.bind_binary(*op, l, r)?
            }
            K::Between { negated, value, low, high } => self.bind_between(*negated, value, low, high, scope)?,
            K::SetOp { op, value, list } => self.bind_set_op(*op, value, list, scope, span)?,
            K::Call { name, args } => return self.bind_scalar_call(name, args, scope, span),
            K::Member { target, name } => {
                let t = self.bind_dynamic_target(target, scope)?;
                (functions::dynamic_get_key(t.expr, lit(name.name.clone())), KqlType::Dynamic)
            }
            K::Index { target, index } => {
                let t = self.bind_dynamic_target(target, scope)?;
                let i = self.bind_scalar(index, scope)?;
                match i.ty {
                    KqlType::String => (functions::dynamic_get_key(t.expr, i.expr), KqlType::Dynamic),
                    KqlType::Int | KqlType::Long => {
                        let i = functions::convert_to(i, KqlType::Long);
                        (functions::dynamic_get_index(t.expr, i.expr), KqlType::Dynamic)
                    }
                    _ => return Err(type_err("an index must be a string key or an integer".into(), &i, None)),
                }
            }
            K::TypeOf(t) => (lit(t.name.clone()), KqlType::String),
            // `toint(Compliant = dcountif(...))`: Kusto's analyzer accepts a name on a built-in's argument and
            // binds it by position (user functions take their named arguments before this point)
            K::NamedArg { value, .. } => return self.bind_scalar(value, scope).map(|a| Arg { span, ..a }),
            K::Star => {
                return Err(BindError::InvalidArgument {
                    message: "'*' is only allowed as an argument of functions such as arg_max or pack_array".into(),
                    span: span.into(),
                    help: None,
                })
            }
            K::Pipe { .. }
            | K::Union(_)
            | K::Search { .. }
            | K::Find(_)
            | K::Datatable { .. }
            | K::ExternalData { .. }
            | K::Print(_)
            | K::Range { .. } => {
                return Err(BindError::WrongKind {
                    expected: "a scalar expression".into(),
                    found: "a tabular expression".into(),
                    span: span.into(),
                })
            }
        };
        Ok(Arg { expr, ty, span })
    }

    fn bind_dynamic_target(&mut self, target: &ast::Expr, scope: &KqlSchema) -> Result<Arg, BindError> {
        let t = self.bind_scalar(target, scope)?;
        match t.ty {
            KqlType::Dynamic => Ok(t),
            // a string holding JSON can be looked into as well (Kusto allows it after parse_json only)
            _ => Err(type_err(
                format!("'.' and '[...]' need a dynamic value, this is {}", t.ty),
                &t,
                Some("wrap it in parse_json(...) or todynamic(...)".into()),
            )),
        }
    }

    /// A name in a row context: a column of the scope, else a scalar `let`.
    fn bind_name(&mut self, n: &ast::Ident, scope: &KqlSchema) -> Result<Arg, BindError> {
        if let Some((_, c)) = scope.find(&n.name) {
            return Ok(Arg { expr: col(&c.name), ty: c.ty, span: n.span });
        }
        match self.lookup_let(&n.name).cloned() {
            Some(Binding::Scalar(a)) => return Ok(Arg { span: n.span, ..a }),
            Some(Binding::Function(f)) if f.params.is_empty() && !self.function_body_is_tabular(&f) => {
                return self.call_scalar_function(&f, vec![], scope, n.span)
            }
            Some(Binding::Tabular(_)) | Some(Binding::Function(_)) => {
                return Err(BindError::WrongKind {
                    expected: "a scalar value".into(),
                    found: format!("the tabular expression '{}'", n.name),
                    span: n.span.into(),
                })
            }
            None => {}
        }
        if self.open_columns {
            // after a plugin whose columns depend on the data, when checking: not known to be wrong
            return Ok(Arg { expr: crate::functions::null_of(KqlType::Dynamic), ty: KqlType::Dynamic, span: n.span });
        }
        let lets = self.let_names();
        let help = crate::names::help_line_with(&n.name, scope.names(), lets.iter().map(|s| s.as_str()), "columns");
        Err(BindError::UnknownColumn { name: n.name.clone(), span: n.span.into(), did_you_mean: help })
    }

    fn bind_scalar_call(
        &mut self,
        name: &ast::Ident,
        args: &[ast::Expr],
        scope: &KqlSchema,
        span: Span,
    ) -> Result<Arg, BindError> {
        if let Some(Binding::Function(f)) = self.lookup_let(&name.name).cloned() {
            let bound = self.bind_call_args(&f, args, scope, 0)?;
            return self.call_scalar_function(&f, bound, scope, span);
        }
        // `typeof(long)` (extract_json's result type): the type's name as a constant string
        if name.name == "typeof" {
            if let [ast::Expr { kind: K::Name(t), .. }] = args {
                if let Some(ty) = crate::types::KqlType::parse(&t.name) {
                    return Ok(Arg { expr: datafusion::logical_expr::lit(ty.name()), ty: KqlType::String, span });
                }
            }
            return Err(BindError::InvalidArgument {
                message: "typeof() takes a type name, such as typeof(long)".into(),
                span: span.into(),
                help: None,
            });
        }
        if name.name == "toscalar" {
            let [a] = args else { return Err(super::source::arity("toscalar", "1 argument", args.len(), span)) };
            if !self.is_tabular(a) {
                return self.bind_scalar(a, scope);
            }
            return self.scalar_from_tabular(a, span);
        }
        // (hll_merge is both: the aggregate in summarize, the scalar of several hll values elsewhere)
        if functions::AGGREGATES.iter().any(|a| a.name == name.name) && functions::lookup(&name.name).is_none() {
            return Err(BindError::InvalidArgument {
                message: format!("{}() is an aggregate: it can only be used in summarize", name.name),
                span: name.span.into(),
                help: Some(format!("e.g. T | summarize {}(...) by Key", name.name)),
            });
        }
        let Some(f) = functions::lookup(&name.name) else {
            if functions::kusto_names::is_kusto_function(&name.name) {
                return Err(BindError::UnsupportedFunction { name: name.name.clone(), span: name.span.into() });
            }
            let mut cands: Vec<String> = functions::all_names().map(String::from).collect();
            cands.extend(self.let_names());
            let help = crate::names::did_you_mean(&name.name, cands.iter().map(|s| s.as_str()))
                .map(|s| format!("did you mean '{s}'?"));
            return Err(BindError::UnknownFunction {
                name: name.name.clone(),
                span: name.span.into(),
                did_you_mean: help,
            });
        };
        let mut bound = Vec::with_capacity(args.len());
        for a in args {
            if matches!(a.kind, K::Star) {
                return Err(BindError::Unsupported {
                    what: format!("'*' as an argument of {}()", f.name),
                    span: a.span.into(),
                });
            }
            bound.push(self.bind_scalar(a, scope)?);
        }
        let (expr, ty) = functions::bind_call(f, bound, self.opts.now_ns, span, scope)?;
        Ok(Arg { expr, ty, span })
    }

    /// `toscalar(T)` or `(T)` in a scalar position: the first column of the first row (toscalar-function).
    fn scalar_from_tabular(&mut self, e: &ast::Expr, span: Span) -> Result<Arg, BindError> {
        let b = self.bind_tabular(e)?;
        let Some(first) = b.schema.columns.first().cloned() else {
            return Err(BindError::InvalidArgument {
                message: "the sub-query has no columns".into(),
                span: span.into(),
                help: None,
            });
        };
        let plan = LogicalPlanBuilder::from(b.plan)
            .project(vec![col(&first.name)])
            .and_then(|p| p.limit(0, Some(1)))
            .and_then(|p| p.build())
            .map_err(df_err(span))?;
        let expr = datafusion::logical_expr::expr_fn::scalar_subquery(Arc::new(plan));
        Ok(Arg { expr, ty: first.ty, span })
    }

    /// Brings two operands to a common type for comparison, or fails.
    fn comparable(&self, op: &str, l: Arg, r: Arg) -> Result<(Arg, Arg), BindError> {
        use KqlType::*;
        if l.ty == r.ty {
            return Ok((l, r));
        }
        if let Some(w) = widest_numeric(l.ty, r.ty) {
            return Ok((functions::convert_to(l, w), functions::convert_to(r, w)));
        }
        match (l.ty, r.ty) {
            (String, Guid) | (Guid, String) => Ok((l, r)),
            (Dynamic, t) => Ok((functions::convert_to(l, if t == Guid { String } else { t }), r)),
            (t, Dynamic) => Ok((l, functions::convert_to(r, if t == Guid { String } else { t }))),
            _ if is_null_literal(&l.expr) => Ok((functions::convert_to(l, r.ty), r)),
            _ if is_null_literal(&r.expr) => {
                let t = l.ty;
                Ok((l, functions::convert_to(r, t)))
            }
            // `IsPrivateAddress == 1`: Kusto compares a bool with a number as 0/1 (the language service
            // accepts it and published queries rely on it)
            (Bool, t) if t.is_numeric() => Ok((functions::convert_to(l, Long), functions::convert_to(r, Long))),
            (t, Bool) if t.is_numeric() => Ok((functions::convert_to(l, Long), functions::convert_to(r, Long))),
            // `ResultType == 0` on a string column, `LongCol == "123"`: the constant side takes the other
            // side's type; with no constant, the number is compared as its text
            // `IsLocalAdmin == "True"`, `_IsBillable == true` on a string column: the analyzer accepts it; the
            // string side is read as a bool (tobool: "true"/"True"/"1")
            (Bool, String) => Ok((l, functions::convert_to(r, Bool))),
            (String, Bool) => Ok((functions::convert_to(l, Bool), r)),
            (String, t) | (t, String) if t.is_numeric() => {
                let (l_const, r_const) = (fold_constant(&l.expr).is_some(), fold_constant(&r.expr).is_some());
                let (lt, rt) = (l.ty, r.ty);
                if r_const && !l_const {
                    Ok((l, functions::convert_to(r, lt)))
                } else if l_const && !r_const {
                    Ok((functions::convert_to(l, rt), r))
                } else {
                    Ok((functions::convert_to(l, String), functions::convert_to(r, String)))
                }
            }
            _ => Err(incompatible(op, &l, &r)),
        }
    }

    fn to_string_arg(a: Arg) -> Result<Arg, BindError> {
        match a.ty {
            KqlType::String | KqlType::Guid | KqlType::Dynamic => Ok(functions::convert_to(a, KqlType::String)),
            // Kusto converts other scalars to their text for string operators
            _ => Ok(functions::convert_to(a, KqlType::String)),
        }
    }

    pub(crate) fn bind_binary(&mut self, op: BinOp, l: Arg, r: Arg) -> Result<(Expr, KqlType), BindError> {
        use BinOp::*;
        let text = op.text();
        let bool_ = KqlType::Bool;
        match op {
            And | Or => {
                let l = if l.ty == KqlType::Dynamic { functions::convert_to(l, bool_) } else { l };
                let r = if r.ty == KqlType::Dynamic { functions::convert_to(r, bool_) } else { r };
                for a in [&l, &r] {
                    if a.ty != bool_ {
                        return Err(type_err(format!("'{text}' needs bool operands, this is {}", a.ty), a, None));
                    }
                }
                Ok((if op == And { l.expr.and(r.expr) } else { l.expr.or(r.expr) }, bool_))
            }
            Eq | NotEq => {
                let (l, r) = self.comparable(text, l, r)?;
                Ok((null_aware_eq(l, r, op == NotEq), bool_))
            }
            Lt | Le | Gt | Ge => {
                let (l, r) = self.comparable(text, l, r)?;
                let (a, b) =
                    if matches!(l.ty, KqlType::Timespan) { (nanos(l.expr), nanos(r.expr)) } else { (l.expr, r.expr) };
                let e = match op {
                    Lt => a.lt(b),
                    Le => a.lt_eq(b),
                    Gt => a.gt(b),
                    _ => a.gt_eq(b),
                };
                Ok((e, bool_))
            }
            EqCi | NotEqCi => {
                let (l, r) = (Self::to_string_arg(l)?, Self::to_string_arg(r)?);
                let e = sf::lower(l.expr).eq(sf::lower(r.expr));
                Ok((if op == NotEqCi { Expr::Not(Box::new(e)) } else { e }, bool_))
            }
            Add | Sub | Mul | Div | Mod => self.bind_arith(op, l, r),
            MatchesRegex => {
                let (l, r) = (Self::to_string_arg(l)?, Self::to_string_arg(r)?);
                Ok((Udf::MatchesRegex.call(vec![l.expr, r.expr]), bool_))
            }
            _ => {
                let (kind, cs, negated) = string_op(op);
                let (l, r) = (Self::to_string_arg(l)?, Self::to_string_arg(r)?);
                let e = udf::string_predicate(kind, cs).call(vec![l.expr, r.expr]);
                Ok((if negated { Expr::Not(Box::new(e)) } else { e }, bool_))
            }
        }
    }

    fn bind_arith(&mut self, op: BinOp, l: Arg, r: Arg) -> Result<(Expr, KqlType), BindError> {
        use BinOp::*;
        use KqlType::*;
        let (l, r) = match (l.ty, r.ty) {
            (Dynamic, t) if t.is_numeric() => (functions::convert_to(l, Real), r),
            (t, Dynamic) if t.is_numeric() => (l, functions::convert_to(r, Real)),
            _ => (l, r),
        };
        let num = |a: Arg, t: KqlType| functions::convert_to(a, t).expr;
        match (op, l.ty, r.ty) {
            (_, a, b) if a.is_numeric() && b.is_numeric() => {
                let t = widest_numeric(a, b).unwrap_or(Real);
                let (x, y) = (num(l, t), num(r, t));
                let e = match op {
                    Add => x + y,
                    Sub => x - y,
                    Mul => x * y,
                    Div => x / y,
                    // numerical-operators: the modulo is never negative, 0 <= N % D < abs(D)
                    _ => {
                        let d = datafusion::functions::math::expr_fn::abs(y.clone());
                        ((x % y) + d.clone()) % d
                    }
                };
                Ok((e, t))
            }
            (Sub, Datetime, Datetime) => Ok((as_timespan(nanos(l.expr) - nanos(r.expr)), Timespan)),
            (Add, Datetime, Timespan) | (Add, Timespan, Datetime) => {
                Ok((as_datetime(unwrapped(nanos(l.expr), nanos(r.expr), true)), Datetime))
            }
            (Sub, Datetime, Timespan) => Ok((as_datetime(unwrapped(nanos(l.expr), nanos(r.expr), false)), Datetime)),
            (Add, Timespan, Timespan) => Ok((as_timespan(nanos(l.expr) + nanos(r.expr)), Timespan)),
            (Sub, Timespan, Timespan) => Ok((as_timespan(nanos(l.expr) - nanos(r.expr)), Timespan)),
            (Div, Timespan, Timespan) => {
                let f = |e: Expr| cast(nanos(e), DataType::Float64);
                Ok((f(l.expr) / f(r.expr), Real))
            }
            (Mod, Timespan, Timespan) => Ok((as_timespan(nanos(l.expr) % nanos(r.expr)), Timespan)),
            (Mul | Div, Timespan, n) if n.is_numeric() => {
                let scaled = match (op, n) {
                    (Mul, Real | Decimal) => {
                        cast(cast(nanos(l.expr), DataType::Float64) * num(r, Real), DataType::Int64)
                    }
                    (Div, Real | Decimal) => {
                        cast(cast(nanos(l.expr), DataType::Float64) / num(r, Real), DataType::Int64)
                    }
                    (Mul, _) => nanos(l.expr) * num(r, Long),
                    _ => nanos(l.expr) / num(r, Long),
                };
                Ok((as_timespan(scaled), Timespan))
            }
            (Mul, n, Timespan) if n.is_numeric() => self.bind_arith(Mul, r, l),
            _ => Err(incompatible(op.text(), &l, &r)),
        }
    }

    fn bind_between(
        &mut self,
        negated: bool,
        value: &ast::Expr,
        low: &ast::Expr,
        high: &ast::Expr,
        scope: &KqlSchema,
    ) -> Result<(Expr, KqlType), BindError> {
        let v = self.bind_scalar(value, scope)?;
        let lo = self.bind_scalar(low, scope)?;
        let mut hi = self.bind_scalar(high, scope)?;
        // between-operator: datetime .. timespan means lower .. lower + span
        if v.ty == KqlType::Datetime && lo.ty == KqlType::Datetime && hi.ty == KqlType::Timespan {
            let e = as_datetime(nanos(lo.expr.clone()) + nanos(hi.expr));
            hi = Arg { expr: e, ty: KqlType::Datetime, span: hi.span };
        }
        let (ge, _) = self.bind_binary(BinOp::Ge, v.clone(), lo)?;
        let (le, _) = self.bind_binary(BinOp::Le, v, hi)?;
        let e = ge.and(le);
        Ok((if negated { Expr::Not(Box::new(e)) } else { e }, KqlType::Bool))
    }

    /// `in`, `!in`, `in~`, `!in~`, `has_any`, `has_all`: scalar lists, dynamic arrays, or a sub-query.
    fn bind_set_op(
        &mut self,
        op: SetOpKind,
        value: &ast::Expr,
        list: &[ast::Expr],
        scope: &KqlSchema,
        span: Span,
    ) -> Result<(Expr, KqlType), BindError> {
        let v = self.bind_scalar(value, scope)?;
        let ci = matches!(op, SetOpKind::InCi | SetOpKind::NotInCi);
        let negated = matches!(op, SetOpKind::NotIn | SetOpKind::NotInCi);
        if let [only] = list {
            if self.is_tabular(only) {
                return self.bind_set_subquery(op, v, only, span);
            }
        }
        // gather constant items, flattening dynamic arrays
        let mut items: Vec<Arg> = Vec::new();
        for item in list {
            let a = self.bind_scalar(item, scope)?;
            if a.ty == KqlType::Dynamic {
                let Some(ScalarValue::Utf8(Some(json))) = fold_constant(&a.expr) else {
                    return Err(BindError::Unsupported {
                        what: format!("a non-constant dynamic list in '{}'", op.text()),
                        span: a.span.into(),
                    });
                };
                for x in flatten_json(&json) {
                    items.push(json_item(x, a.span));
                }
            } else {
                items.push(a);
            }
        }
        if matches!(op, SetOpKind::HasAny | SetOpKind::HasAll) {
            let mut needles = Vec::new();
            for a in &items {
                match fold_constant(&functions::convert_to(a.clone(), KqlType::String).expr)
                    .or_else(|| fold_constant(&a.expr))
                {
                    Some(ScalarValue::Utf8(Some(s))) => needles.push(serde_json::Value::String(s)),
                    Some(other) if !other.is_null() => needles.push(serde_json::Value::String(other.to_string())),
                    _ => {
                        return Err(BindError::Unsupported {
                            what: format!("non-constant values in {}", op.text()),
                            span: a.span.into(),
                        })
                    }
                }
            }
            let v = Self::to_string_arg(v)?;
            let list_json = lit(serde_json::Value::Array(needles).to_string());
            let f = if op == SetOpKind::HasAll { Udf::HasAll } else { Udf::HasAny };
            return Ok((f.call(vec![v.expr, list_json]), KqlType::Bool));
        }
        if items.is_empty() {
            return Ok((lit(negated), KqlType::Bool));
        }
        let (value, exprs) = if ci {
            let v = Self::to_string_arg(v)?;
            let exprs: Result<Vec<Expr>, BindError> =
                items.into_iter().map(|a| Ok(sf::lower(Self::to_string_arg(a)?.expr))).collect();
            (sf::lower(v.expr), exprs?)
        } else {
            let t = v.ty;
            let mut exprs = Vec::new();
            for a in items {
                let (_, a) =
                    self.comparable(op.text(), Arg { expr: lit(ScalarValue::Null), ty: t, span: v.span }, a)?;
                exprs.push(functions::convert_to(a, if t == KqlType::Int { KqlType::Int } else { t }).expr);
            }
            (v.expr, exprs)
        };
        // in is an OR of ==, !in an AND of != (KUSTO-NOTES §1): a null value is not in, and is !in. (`IS TRUE`
        // rather than coalesce(…, false), which the simplifier makes `x IS NOT NULL AND x`: the list searched twice)
        let e = value.in_list(exprs, false);
        let e = if negated { e.is_not_true() } else { e.is_true() };
        Ok((e, KqlType::Bool))
    }

    fn bind_set_subquery(
        &mut self,
        op: SetOpKind,
        v: Arg,
        q: &ast::Expr,
        span: Span,
    ) -> Result<(Expr, KqlType), BindError> {
        let b = self.bind_tabular(q)?;
        let Some(first) = b.schema.columns.first().cloned() else {
            return Err(BindError::InvalidArgument {
                message: "the sub-query has no columns".into(),
                span: q.span.into(),
                help: None,
            });
        };
        let ci = matches!(op, SetOpKind::InCi | SetOpKind::NotInCi);
        let negated = matches!(op, SetOpKind::NotIn | SetOpKind::NotInCi);
        // the sub-query's first column gathered into one set (a scalar sub-query), then matched per row:
        // unlike an IN sub-query this works in any expression (extend, iff, project), not only in where
        let item = Arg { expr: col(&first.name), ty: first.ty, span: q.span };
        let item = if matches!(op, SetOpKind::HasAny | SetOpKind::HasAll) || ci {
            Self::to_string_arg(item)?
        } else {
            let (_, item) =
                self.comparable(op.text(), Arg { expr: lit(ScalarValue::Null), ty: v.ty, span: v.span }, item)?;
            item
        };
        let agg = crate::functions::aggregate_make_set(item.ty, item.expr);
        let plan = LogicalPlanBuilder::from(b.plan)
            .aggregate(Vec::<Expr>::new(), vec![agg.alias("__set")])
            .and_then(|p| p.build())
            .map_err(df_err(span))?;
        let set = datafusion::logical_expr::expr_fn::scalar_subquery(Arc::new(plan));
        if matches!(op, SetOpKind::HasAny | SetOpKind::HasAll) {
            let v = Self::to_string_arg(v)?;
            let f = if op == SetOpKind::HasAll { Udf::HasAll } else { Udf::HasAny };
            return Ok((f.call(vec![v.expr, set]), KqlType::Bool));
        }
        let v = if ci { Self::to_string_arg(v)? } else { v };
        let f = if ci { Udf::InCi } else { Udf::In };
        let contains = f.call(vec![udf::type_codes(&[v.ty]), v.expr, set]);
        // a null value is not in, and is !in (KUSTO-NOTES §1): set_contains gives false for it
        Ok((if negated { Expr::Not(Box::new(contains)) } else { contains }, KqlType::Bool))
    }
}

/// `==` / `!=` with Kusto's null rules: null == 5 is false, null != 5 is true, null == null is null.
fn null_aware_eq(l: Arg, r: Arg, negated: bool) -> Expr {
    let (a, b) = if l.ty == KqlType::Timespan { (nanos(l.expr), nanos(r.expr)) } else { (l.expr, r.expr) };
    let cmp = if negated { a.clone().not_eq(b.clone()) } else { a.clone().eq(b.clone()) };
    if l.ty == KqlType::String {
        return cmp;
    }
    let one_null = datafusion::functions::core::expr_fn::coalesce(vec![cmp, lit(negated)]);
    when(a.is_null().and(b.is_null()), lit(ScalarValue::Boolean(None))).otherwise(one_null.clone()).unwrap_or(one_null)
}

/// (kind, case-sensitive, negated) of a string operator.
fn string_op(op: BinOp) -> (Match, bool, bool) {
    use BinOp::*;
    match op {
        // `Column : "term"` outside search reads as has
        Has | SearchTerm => (Match::Has, false, false),
        NotHas => (Match::Has, false, true),
        HasCs => (Match::Has, true, false),
        NotHasCs => (Match::Has, true, true),
        HasPrefix => (Match::HasPrefix, false, false),
        NotHasPrefix => (Match::HasPrefix, false, true),
        HasSuffix => (Match::HasSuffix, false, false),
        NotHasSuffix => (Match::HasSuffix, false, true),
        Contains => (Match::Contains, false, false),
        NotContains => (Match::Contains, false, true),
        ContainsCs => (Match::Contains, true, false),
        NotContainsCs => (Match::Contains, true, true),
        StartsWith => (Match::StartsWith, false, false),
        NotStartsWith => (Match::StartsWith, false, true),
        StartsWithCs => (Match::StartsWith, true, false),
        NotStartsWithCs => (Match::StartsWith, true, true),
        EndsWith => (Match::EndsWith, false, false),
        NotEndsWith => (Match::EndsWith, false, true),
        EndsWithCs => (Match::EndsWith, true, false),
        _ => (Match::EndsWith, true, true),
    }
}

/// The elements of a JSON array (nested arrays flattened); a non-array is one element.
fn flatten_json(text: &str) -> Vec<serde_json::Value> {
    fn go(v: serde_json::Value, out: &mut Vec<serde_json::Value>) {
        match v {
            serde_json::Value::Array(a) => a.into_iter().for_each(|x| go(x, out)),
            other => out.push(other),
        }
    }
    let mut out = Vec::new();
    if let Ok(v) = serde_json::from_str(text) {
        go(v, &mut out);
    }
    out
}

/// A JSON element of a dynamic list as a typed literal.
fn json_item(v: serde_json::Value, span: Span) -> Arg {
    use serde_json::Value as J;
    let (expr, ty) = match v {
        J::String(s) => (lit(s), KqlType::String),
        J::Bool(b) => (lit(b), KqlType::Bool),
        J::Number(n) if n.is_i64() => (lit(n.as_i64().unwrap_or(0)), KqlType::Long),
        J::Number(n) => (lit(n.as_f64().unwrap_or(0.0)), KqlType::Real),
        other => (lit(other.to_string()), KqlType::Dynamic),
    };
    Arg { expr, ty, span }
}

/// `a + b` (or `a - b`) of nanosecond counts, null where it leaves i64 (a datetime past 2262 or before 1677
/// would otherwise wrap round to the other end of the range).
fn unwrapped(a: Expr, b: Expr, add: bool) -> Expr {
    use datafusion::logical_expr::{lit, when};
    let r = if add { a.clone() + b.clone() } else { a.clone() - b.clone() };
    // adding a positive value (subtracting a negative one) must not make the result smaller, and conversely
    let up = if add { b.clone().gt(lit(0i64)) } else { b.clone().lt(lit(0i64)) };
    let down = if add { b.lt(lit(0i64)) } else { b.gt(lit(0i64)) };
    let wrapped = (up.and(r.clone().lt(a.clone()))).or(down.and(r.clone().gt(a)));
    when(wrapped, lit(datafusion::common::ScalarValue::Int64(None))).otherwise(r.clone()).unwrap_or(r)
}
