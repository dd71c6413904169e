//! The function table: every scalar function and aggregate kqlite knows, as data. A row gives the name, the
//! accepted signatures (parameter kinds → result type) and how to lower a call to a DataFusion `Expr`
//! (a built-in, one of our UDFs, or a small custom fn). The binder never matches on a function name.

mod aggregate;
mod arrays;
mod conversion;
mod datetime;
mod dcount;
mod dynamic;
mod encoding;
mod first_row;
mod geo;
mod ip;
pub mod kusto_names;
mod math;
pub(crate) mod parse_pattern;
mod percentile;
mod scope;
mod series;
pub mod series_math;
pub(crate) mod string;
pub mod udf;

pub use aggregate::{first_row_udf, lookup_aggregate, AggDef, AggName, AGGREGATES};
pub use first_row::{FirstRow, Pick};

use crate::diagnostics::BindError;
use crate::source::Span;
use crate::types::{widest_numeric, KqlType};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{cast, lit, Expr};

/// What a parameter accepts, and the conversion applied to a matching argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum P {
    /// anything, unchanged
    Any,
    /// string (guid and dynamic are converted with tostring)
    Str,
    /// int or long, widened to long
    Long,
    /// any number, converted to real
    Real,
    /// any number, unchanged
    Num,
    Bool,
    Datetime,
    Timespan,
    /// dynamic; other scalars are wrapped as dynamic values
    Dyn,
    /// a dynamic value only (the series of the series_* functions)
    Array,
}

/// The result type rule of a signature.
#[derive(Debug, Clone, Copy)]
pub enum Ret {
    T(KqlType),
    /// the type of argument i (after conversion)
    Arg(usize),
    /// the widest numeric type of the arguments
    Widest,
}

/// One overload: fixed parameters, an optional repeated tail, and the result rule.
#[derive(Debug, Clone, Copy)]
pub struct Sig {
    pub params: &'static [P],
    /// the kind of any further arguments (variadic), up to `max` in all
    pub rest: Option<P>,
    pub min: usize,
    pub max: usize,
    pub ret: Ret,
}

/// `sig(&[P::Str], Ret::T(KqlType::Long))`: exactly these parameters.
pub const fn sig(params: &'static [P], ret: Ret) -> Sig {
    Sig { params, rest: None, min: params.len(), max: params.len(), ret }
}

/// Parameters of which the last `optional` may be omitted.
pub const fn sig_opt(params: &'static [P], optional: usize, ret: Ret) -> Sig {
    Sig { params, rest: None, min: params.len() - optional, max: params.len(), ret }
}

/// `params`, then any number (min total `min`, max `max`) of `rest`.
pub const fn sig_var(params: &'static [P], rest: P, min: usize, max: usize, ret: Ret) -> Sig {
    Sig { params, rest: Some(rest), min, max, ret }
}

/// A bound argument: the lowered expression, its Kusto type, where it is, and its value when constant.
#[derive(Debug, Clone)]
pub struct Arg {
    pub expr: Expr,
    pub ty: KqlType,
    pub span: Span,
}

impl Arg {
    /// The constant value of this argument, if it is a literal (after folding casts).
    pub fn constant(&self) -> Option<&ScalarValue> {
        match &self.expr {
            Expr::Literal(v, _) => Some(v),
            _ => None,
        }
    }
    pub fn const_str(&self) -> Option<String> {
        match self.constant()? {
            ScalarValue::Utf8(Some(s)) | ScalarValue::Utf8View(Some(s)) | ScalarValue::LargeUtf8(Some(s)) => {
                Some(s.clone())
            }
            _ => None,
        }
    }
}

/// What a lowering fn may need beyond the arguments.
pub struct LowerCtx<'s> {
    /// `now()` for this query, in Unix nanoseconds.
    pub now_ns: i64,
    /// the call's span, for errors
    pub span: Span,
    pub name: &'static str,
    /// the row scope of the call (for `column_ifexists`, `ingestion_time`)
    pub scope: &'s crate::types::KqlSchema,
}

pub type CustomLower = fn(&LowerCtx, Vec<Arg>) -> Result<(Expr, KqlType), BindError>;

/// How a call is lowered once its arguments match a signature.
#[derive(Clone, Copy)]
pub enum Lower {
    /// a DataFusion expression built from the converted arguments
    Df(fn(Vec<Expr>) -> Expr),
    /// one of our UDFs (`udf::Udf`), called with the converted arguments; its return type is the signature's
    Udf(udf::Udf),
    /// anything else: full access to the arguments and their types
    Custom(CustomLower),
    /// one of our `Params::Typed` UDFs: called with the arguments' type codes, then the arguments
    Typed(udf::Udf),
}

/// How an unnamed `extend`/`project` column is named after this call (extend-operator; KUSTO-NOTES §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// `tostring(X)` → `X`
    FirstArg,
    /// `strlen(X)` → `strlen_X`
    Prefixed,
    /// `Column1`, `Column2`, …
    Generated,
    /// several results, one column each: `extend (a, b) = f(x)`, or unnamed `f_x_part` (series_fit_line)
    Tuple(&'static [(&'static str, KqlType)]),
    /// one dynamic result per array argument (a trailing bool is an option, see [`array_count`]), each a
    /// column as for `Tuple`, unnamed `<argument>_<suffix>` or `array<i>_<suffix>` (array_sort_asc); with one
    /// array the result is that array itself, not a tuple
    PerArray(&'static str),
}

/// How many of a `Naming::PerArray` call's arguments, of these types, are arrays: all but a trailing bool.
pub fn array_count(types: &[KqlType]) -> usize {
    match types.split_last() {
        Some((KqlType::Bool, rest)) if !rest.is_empty() => rest.len(),
        _ => types.len(),
    }
}

pub struct FunctionDef {
    pub name: &'static str,
    pub sigs: &'static [Sig],
    pub lower: Lower,
    pub naming: Naming,
}

impl FunctionDef {
    pub const SCALAR: FunctionDef =
        FunctionDef { name: "", sigs: &[], lower: Lower::Df(|_| lit(ScalarValue::Null)), naming: Naming::Generated };
}

/// A column of the row scope by its Kusto name (plan columns are unqualified Kusto names).
pub fn col(name: &str) -> Expr {
    Expr::Column(datafusion::common::Column::new_unqualified(name))
}

/// Every scalar function table, by family.
const TABLES: &[&[FunctionDef]] = &[
    string::STRING,
    arrays::ARRAYS,
    datetime::DATETIME,
    conversion::CONVERSION,
    dynamic::DYNAMIC,
    ip::IP,
    geo::GEO,
    math::MATH,
    encoding::ENCODING,
    series::SERIES,
    scope::SCOPE,
];

/// The scalar function of this name.
pub fn lookup(name: &str) -> Option<&'static FunctionDef> {
    // by hash: the binder looks names up several times per call (tuple results, inner names, naming)
    static BY_NAME: std::sync::LazyLock<std::collections::HashMap<&'static str, &'static FunctionDef>> =
        std::sync::LazyLock::new(|| {
            let mut m = std::collections::HashMap::new();
            for f in TABLES.iter().flat_map(|t| t.iter()) {
                m.entry(f.name).or_insert(f);
            }
            m
        });
    BY_NAME.get(name).copied()
}

/// Every function name (scalar and aggregate), for did-you-mean and completion.
pub fn all_names() -> impl Iterator<Item = &'static str> {
    TABLES
        .iter()
        .flat_map(|t| t.iter().map(|f| f.name))
        .chain(AGGREGATES.iter().map(|a| a.name))
        .chain(WINDOWS.iter().map(|w| w.name))
}

/// Does an argument of type `t` fit parameter kind `p`?
fn fits(p: P, t: KqlType) -> bool {
    match p {
        P::Any => true,
        P::Str => matches!(t, KqlType::String | KqlType::Guid | KqlType::Dynamic),
        P::Long => matches!(t, KqlType::Int | KqlType::Long | KqlType::Dynamic),
        P::Real | P::Num => t.is_numeric() || t == KqlType::Dynamic,
        P::Bool => matches!(t, KqlType::Bool | KqlType::Dynamic),
        P::Datetime => matches!(t, KqlType::Datetime | KqlType::Dynamic),
        P::Timespan => matches!(t, KqlType::Timespan | KqlType::Dynamic),
        P::Dyn => true,
        P::Array => t == KqlType::Dynamic,
    }
}

/// Converts an argument to what parameter kind `p` wants.
pub fn convert(p: P, a: Arg) -> Arg {
    let to = |a: Arg, t: KqlType| conversion::convert_to(a, t);
    match p {
        P::Any => a,
        P::Str => to(a, KqlType::String),
        P::Long => to(a, KqlType::Long),
        P::Real => to(a, KqlType::Real),
        P::Num if a.ty == KqlType::Dynamic => to(a, KqlType::Real),
        P::Num => a,
        P::Bool => to(a, KqlType::Bool),
        P::Datetime => to(a, KqlType::Datetime),
        P::Timespan => to(a, KqlType::Timespan),
        P::Dyn | P::Array => to(a, KqlType::Dynamic),
    }
}

/// The parameter kind of argument `i` under `s`.
fn param(s: &Sig, i: usize) -> Option<P> {
    s.params.get(i).copied().or(s.rest)
}

fn matches_sig(s: &Sig, args: &[Arg]) -> bool {
    if args.len() < s.min || args.len() > s.max {
        return false;
    }
    args.iter().enumerate().all(|(i, a)| param(s, i).is_some_and(|p| fits(p, a.ty)))
}

fn arity_text(sigs: &[Sig]) -> String {
    let min = sigs.iter().map(|s| s.min).min().unwrap_or(0);
    let max = sigs.iter().map(|s| s.max).max().unwrap_or(0);
    let plural = |n: usize| if n == 1 { "argument" } else { "arguments" };
    if min == max {
        format!("{min} {}", plural(min))
    } else if max == usize::MAX {
        format!("at least {min} {}", plural(min))
    } else {
        format!("{min} to {max} {}", plural(max))
    }
}

/// Picks the first signature the arguments fit, converts them, and checks arity and types.
pub fn resolve(
    name: &str,
    sigs: &'static [Sig],
    args: Vec<Arg>,
    span: Span,
) -> Result<(Sig, Vec<Arg>, KqlType), BindError> {
    let Some(s) = sigs.iter().find(|s| matches_sig(s, &args)) else {
        if !sigs.iter().any(|s| args.len() >= s.min && args.len() <= s.max) {
            return Err(BindError::WrongArity {
                name: name.to_string(),
                expected: arity_text(sigs),
                found: args.len(),
                span: span.into(),
            });
        }
        // right count, wrong types: point at the first argument no signature of this size accepts
        let bad = args
            .iter()
            .enumerate()
            .find(|(i, a)| {
                !sigs
                    .iter()
                    .any(|s| args.len() >= s.min && args.len() <= s.max && param(s, *i).is_some_and(|p| fits(p, a.ty)))
            })
            .map(|(_, a)| a)
            .or(args.first());
        let (bspan, bty) = bad.map(|a| (a.span, a.ty.to_string())).unwrap_or((span, "?".into()));
        return Err(BindError::TypeMismatch {
            message: format!("{name}() does not accept an argument of type {bty} here"),
            span: bspan.into(),
            found: bty,
            help: Some(format!("{name}() signatures: {}", describe_sigs(sigs))),
        });
    };
    let converted: Vec<Arg> =
        args.into_iter().enumerate().map(|(i, a)| convert(param(s, i).unwrap_or(P::Any), a)).collect();
    let ret = match s.ret {
        Ret::T(t) => t,
        Ret::Arg(i) => converted.get(i).map(|a| a.ty).unwrap_or(KqlType::Dynamic),
        Ret::Widest => converted.iter().map(|a| a.ty).try_fold(KqlType::Int, widest_numeric).unwrap_or(KqlType::Real),
    };
    Ok((*s, converted, ret))
}

fn describe_sigs(sigs: &[Sig]) -> String {
    let p = |p: P| match p {
        P::Any => "any",
        P::Str => "string",
        P::Long => "long",
        P::Real => "real",
        P::Num => "number",
        P::Bool => "bool",
        P::Datetime => "datetime",
        P::Timespan => "timespan",
        P::Dyn | P::Array => "dynamic",
    };
    sigs.iter()
        .map(|s| {
            let mut ps: Vec<&str> = s.params.iter().map(|x| p(*x)).collect();
            if let Some(r) = s.rest {
                ps.push(p(r));
                ps.push("...");
            }
            format!("({})", ps.join(", "))
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Binds a call to a scalar function: resolves the overload and lowers it.
pub fn bind_call(
    f: &'static FunctionDef,
    args: Vec<Arg>,
    now_ns: i64,
    span: Span,
    scope: &crate::types::KqlSchema,
) -> Result<(Expr, KqlType), BindError> {
    let (_, args, ret) = resolve(f.name, f.sigs, args, span)?;
    let ctx = LowerCtx { now_ns, span, name: f.name, scope };
    match f.lower {
        Lower::Df(g) => Ok((g(args.into_iter().map(|a| a.expr).collect()), ret)),
        Lower::Udf(u) => Ok((u.call(args.into_iter().map(|a| a.expr).collect()), ret)),
        Lower::Custom(g) => g(&ctx, args),
        Lower::Typed(u) => Ok((u.call_typed(args), ret)),
    }
}

/// A typed null of a Kusto type (strings: the empty string).
pub fn null_of(t: KqlType) -> Expr {
    if t == KqlType::String {
        return lit("");
    }
    match ScalarValue::try_from(&t.to_arrow()) {
        Ok(v) => lit(v),
        Err(_) => cast(lit(ScalarValue::Null), t.to_arrow()),
    }
}

/// A constant argument required by a function (a period name, a regex...).
pub fn require_const_str(a: &Arg, what: &str) -> Result<String, BindError> {
    a.const_str().ok_or_else(|| BindError::InvalidArgument {
        message: format!("{what} must be a constant string"),
        span: a.span.into(),
        help: None,
    })
}

/// `iff(c, a, b)` style: both branches to one type (numbers widen; otherwise they must agree).
pub fn unify(args: Vec<Arg>, span: Span) -> Result<(Vec<Arg>, KqlType), BindError> {
    let mut t: Option<KqlType> = None;
    for a in &args {
        t = Some(match t {
            None => a.ty,
            Some(x) if x == a.ty => x,
            Some(x) => match widest_numeric(x, a.ty) {
                Some(w) => w,
                None if x == KqlType::Dynamic || a.ty == KqlType::Dynamic => KqlType::Dynamic,
                None => {
                    return Err(BindError::TypeMismatch {
                        message: format!("all values must have one type, found {x} and {}", a.ty),
                        span: a.span.into(),
                        found: a.ty.to_string(),
                        help: Some("convert the values to one type, e.g. with tostring()".into()),
                    })
                }
            },
        });
    }
    let t = t.unwrap_or(KqlType::String);
    let _ = span;
    let args = args.into_iter().map(|a| conversion::convert_to(a, t)).collect();
    Ok((args, t))
}

pub use conversion::convert_to;

/// The result values of `iff`/`case`: like [`unify`], except that dynamic values yield to the one other type
/// (`iff(c, d.Name, "")` is a string, `iff(c, d.n, 1)` a long), as Kusto's analyzer types them.
pub fn unify_branches(args: Vec<Arg>, span: Span) -> Result<(Vec<Arg>, KqlType), BindError> {
    let mut others = args.iter().map(|a| a.ty).filter(|t| *t != KqlType::Dynamic);
    if let Some(first) = others.next() {
        if args.iter().any(|a| a.ty == KqlType::Dynamic) && others.all(|t| t == first) {
            let args = args.into_iter().map(|a| conversion::convert_to(a, first)).collect();
            return Ok((args, first));
        }
    }
    unify(args, span)
}

pub use datetime::{as_datetime, as_timespan, datetime_lit, nanos, timespan_lit};
pub use dynamic::{get_index as dynamic_get_index, get_key as dynamic_get_key};

/// `make_set(x)` over a column of type `ty` (used for `has_any (subquery)`).
pub fn aggregate_make_set(ty: KqlType, x: Expr) -> Expr {
    aggregate::make_list(true, ty, x)
}

/// A window function: computed over the rows in their current (serialized) order. `build` gets the bound
/// arguments and returns the window expression (a bare DataFusion window function, as a Window node needs)
/// and what to apply to its column afterwards; the binder puts it in a Window node and refers to its column.
pub struct WindowDef {
    pub name: &'static str,
    pub min: usize,
    pub max: usize,
    pub build: fn(Vec<Arg>, Span) -> Result<WindowCall, BindError>,
}

/// A bound window call: the window function, its Kusto type, and the scalar step applied to its column.
pub struct WindowCall {
    pub window: Expr,
    pub ty: KqlType,
    /// row_number: the unsigned count as a long, plus this offset (start - 1)
    pub long_plus: Option<i64>,
    /// row_number's `restart`: numbering starts again on the rows where this bool holds (the binder plans it
    /// as a running count of restarts, then a number per run)
    pub restart: Option<Expr>,
}

impl WindowCall {
    /// The value, given the Window node's column.
    pub fn finish(&self, column: Expr) -> Expr {
        match self.long_plus {
            Some(k) => cast(column, KqlType::Long.to_arrow()) + lit(k),
            None => column,
        }
    }
}

/// row-number-function: `row_number([start])`, 1 (or start), 2, … in the order of the serialized rows.
fn row_number(a: Vec<Arg>, _: Span) -> Result<WindowCall, BindError> {
    let mut it = a.into_iter();
    let start = match it.next() {
        Some(s) => match conversion::convert_to(s, KqlType::Long).constant() {
            Some(ScalarValue::Int64(Some(k))) => *k,
            _ => 1,
        },
        None => 1,
    };
    let restart = match it.next() {
        Some(r) if matches!(r.ty, KqlType::Bool | KqlType::Dynamic) => {
            Some(conversion::convert_to(r, KqlType::Bool).expr)
        }
        Some(r) => {
            return Err(BindError::TypeMismatch {
                message: "row_number()'s restart argument must be bool".into(),
                span: r.span.into(),
                found: r.ty.to_string(),
                help: None,
            })
        }
        None => None,
    };
    Ok(WindowCall {
        window: datafusion::functions_window::expr_fn::row_number(),
        ty: KqlType::Long,
        long_plus: Some(start - 1),
        restart,
    })
}

/// `prev(col[, offset[, default]])` / `next(...)`: the value `offset` rows before (after) in the serialized
/// rows, else the default (null; "" for strings) (prev-function, next-function).
fn shifted(a: Vec<Arg>, span: Span, back: bool) -> Result<WindowCall, BindError> {
    let mut it = a.into_iter();
    let Some(v) = it.next() else {
        return Err(BindError::Internal { message: "prev/next arity".into(), span: span.into() });
    };
    let offset = match it.next() {
        Some(o) => match o.constant() {
            Some(ScalarValue::Int64(Some(k))) => *k,
            Some(ScalarValue::Int32(Some(k))) => i64::from(*k),
            _ => {
                return Err(BindError::InvalidArgument {
                    message: "the offset of prev()/next() must be a constant whole number".into(),
                    span: o.span.into(),
                    help: None,
                })
            }
        },
        None => 1,
    };
    let ty = v.ty;
    let default = match it.next() {
        Some(d) => {
            let d = conversion::convert_to(d, ty);
            match d.constant() {
                Some(x) => Some(x.clone()),
                None => {
                    return Err(BindError::InvalidArgument {
                        message: "the default of prev()/next() must be a constant".into(),
                        span: d.span.into(),
                        help: None,
                    })
                }
            }
        }
        None if ty == KqlType::String => Some(ScalarValue::Utf8(Some(String::new()))),
        None => None,
    };
    let f = if back { datafusion::functions_window::expr_fn::lag } else { datafusion::functions_window::expr_fn::lead };
    Ok(WindowCall { window: f(v.expr, Some(offset), default), ty, long_plus: None, restart: None })
}

pub const WINDOWS: &[WindowDef] = &[
    WindowDef { name: "row_number", min: 0, max: 2, build: row_number },
    WindowDef { name: "prev", min: 1, max: 3, build: |a, s| shifted(a, s, true) },
    WindowDef { name: "next", min: 1, max: 3, build: |a, s| shifted(a, s, false) },
];

pub fn lookup_window(name: &str) -> Option<&'static WindowDef> {
    WINDOWS.iter().find(|w| w.name == name)
}
