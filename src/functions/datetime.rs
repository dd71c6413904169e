//! datetime and timespan functions. Arithmetic is done on the i64 nanosecond counts and cast back, so the
//! results are exact at 100-ns ticks and independent of DataFusion's interval coercions.

use super::udf::{datetime as dudf, Udf};
use super::{require_const_str, sig, sig_opt, Arg, FunctionDef, Lower, LowerCtx, Naming, Ret, P};
use crate::diagnostics::BindError;
use crate::types::KqlType;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{cast, lit, Expr};

const DT: KqlType = KqlType::Datetime;
const TS: KqlType = KqlType::Timespan;

/// The i64 nanoseconds of a datetime or timespan expression.
pub fn nanos(e: Expr) -> Expr {
    cast(e, DataType::Int64)
}

/// i64 nanoseconds → datetime.
pub fn as_datetime(e: Expr) -> Expr {
    cast(e, DT.to_arrow())
}

/// i64 nanoseconds → timespan.
pub fn as_timespan(e: Expr) -> Expr {
    cast(e, TS.to_arrow())
}

pub fn datetime_lit(ns: i64) -> Expr {
    lit(ScalarValue::TimestampNanosecond(Some(ns), Some("UTC".into())))
}

pub fn timespan_lit(ns: i64) -> Expr {
    lit(ScalarValue::DurationNanosecond(Some(ns)))
}

/// `ago(t)` = `now() - t` with the query's single `now` (ago-function).
fn ago(c: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let t = a.into_iter().next().map(|a| a.expr).unwrap_or(timespan_lit(0));
    Ok((as_datetime(lit(c.now_ns) - nanos(t)), DT))
}

/// `now([offset])` (now-function).
fn now(c: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    match a.into_iter().next() {
        None => Ok((datetime_lit(c.now_ns), DT)),
        Some(off) => Ok((as_datetime(lit(c.now_ns) + nanos(off.expr)), DT)),
    }
}

fn datetime_diff(c: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    if let Some(p) = a.first() {
        let period = require_const_str(p, "the period")?;
        if !dudf::is_diff_period(&period) {
            return Err(BindError::InvalidArgument {
                message: format!("'{period}' is not a datetime_diff period"),
                span: p.span.into(),
                help: Some("use one of: year, quarter, month, week, day, hour, minute, second, millisecond, microsecond, nanosecond".into()),
            });
        }
    }
    let exprs = a.into_iter().map(|x| x.expr).collect();
    let _ = c;
    Ok((Udf::DatetimeDiff.call(exprs), KqlType::Long))
}

fn datetime_add(_: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    if let Some(p) = a.first() {
        let period = require_const_str(p, "the period")?;
        if dudf::add(&period, 0, 0).is_none() {
            return Err(BindError::InvalidArgument {
                message: format!("'{period}' is not a datetime_add period"),
                span: p.span.into(),
                help: Some("use one of: year, quarter, month, week, day, hour, minute, second, millisecond, microsecond, nanosecond".into()),
            });
        }
    }
    let exprs = a.into_iter().map(|x| x.expr).collect();
    Ok((Udf::DatetimeAdd.call(exprs), DT))
}

fn datetime_part(c: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    if let Some(p) = a.first() {
        let part = require_const_str(p, "the part")?;
        if !dudf::is_part(&part) {
            return Err(BindError::InvalidArgument {
                message: format!("'{part}' is not a datetime_part part"),
                span: p.span.into(),
                help: Some("use one of: year, quarter, month, week_of_year, day, dayofyear, hour, minute, second, millisecond, microsecond, nanosecond".into()),
            });
        }
    }
    let exprs = a.into_iter().map(|x| x.expr).collect();
    let _ = c;
    Ok((Udf::DatetimePart.call(exprs), KqlType::Int))
}

/// `bin(value, roundTo)` for numbers, datetimes and timespans (bin-function).
fn bin(c: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let mut it = a.into_iter();
    let (Some(v), Some(size)) = (it.next(), it.next()) else {
        return Err(BindError::Internal { message: "bin arity".into(), span: c.span.into() });
    };
    let bad = |s: &Arg, want: &str| BindError::TypeMismatch {
        message: format!("bin() of a {} needs a {want} bin size", v.ty),
        span: s.span.into(),
        found: s.ty.to_string(),
        help: None,
    };
    match v.ty {
        KqlType::Datetime | KqlType::Timespan => {
            if size.ty != TS {
                return Err(bad(&size, "timespan"));
            }
            Ok((Udf::Bin.call(vec![v.expr, size.expr]), v.ty))
        }
        KqlType::Real | KqlType::Decimal => {
            if !size.ty.is_numeric() {
                return Err(bad(&size, "numeric"));
            }
            let (v, s) = (super::convert_to(v, KqlType::Real), super::convert_to(size, KqlType::Real));
            Ok((Udf::Bin.call(vec![v.expr, s.expr]), KqlType::Real))
        }
        _ if size.ty == KqlType::Real => {
            let (v, s) = (super::convert_to(v, KqlType::Real), super::convert_to(size, KqlType::Real));
            Ok((Udf::Bin.call(vec![v.expr, s.expr]), KqlType::Real))
        }
        _ => {
            if !size.ty.is_numeric() {
                return Err(bad(&size, "numeric"));
            }
            let (v, s) = (super::convert_to(v, KqlType::Long), super::convert_to(size, KqlType::Long));
            Ok((Udf::Bin.call(vec![v.expr, s.expr]), KqlType::Long))
        }
    }
}

/// `startof<unit>(d [, offset])`, or with `end` the last tick of that period: `kql_startof(unit, d[, offset])`,
/// `kql_endof(…)` (startofday-function, endofday-function…).
fn period_edge(unit: &'static str, end: bool, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let exprs: Vec<Expr> = std::iter::once(lit(unit)).chain(a.into_iter().map(|x| x.expr)).collect();
    Ok((if end { Udf::EndOf } else { Udf::StartOf }.call(exprs), DT))
}

fn start_of_unit(unit: &'static str, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    period_edge(unit, false, a)
}

fn startofday(_: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    start_of_unit("day", a)
}
fn startofweek(_: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    start_of_unit("week", a)
}
fn startofmonth(_: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    start_of_unit("month", a)
}
fn startofyear(_: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    start_of_unit("year", a)
}
fn endofday(_: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    period_edge("day", true, a)
}
fn endofweek(_: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    period_edge("week", true, a)
}
fn endofmonth(_: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    period_edge("month", true, a)
}
fn endofyear(_: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    period_edge("year", true, a)
}

/// `dayofweek(d)`: the timespan since the preceding Sunday (day-of-week-function).
fn dayofweek(_: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let d = a.into_iter().next().map(|x| x.expr).unwrap_or(datetime_lit(0));
    let (sow, _) = start_of_unit("week", vec![Arg { expr: d.clone(), ty: DT, span: Default::default() }])?;
    let day_ns = 86_400_000_000_000i64;
    Ok((as_timespan((nanos(d) - nanos(sow)) / lit(day_ns) * lit(day_ns)), TS))
}

fn part_of(part: &str, c: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let p = Arg { expr: lit(part), ty: KqlType::String, span: c.span };
    datetime_part(c, std::iter::once(p).chain(a).collect())
}
fn hourofday(c: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    part_of("hour", c, a)
}
fn getyear(c: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    part_of("year", c, a)
}
fn getmonth(c: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    part_of("month", c, a)
}
fn dayofmonth(c: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    part_of("day", c, a)
}

/// `unixtime_*_todatetime(n)`: n units since 1970-01-01 (fractions allowed) as a datetime.
/// Whole numbers multiply exactly; reals go through f64.
fn from_unix(a: Vec<Arg>, unit_ns: i64) -> Result<(Expr, KqlType), BindError> {
    let Some(n) = a.into_iter().next() else { return Ok((datetime_lit(0), DT)) };
    let span = n.span;
    // a value whose datetime is outside 1677-2262 (i64 nanoseconds) is null, not a wrapped-round datetime
    let null = lit(ScalarValue::Int64(None));
    let limit = i64::MAX / unit_ns.max(1);
    let ns = match n.ty {
        KqlType::Int | KqlType::Long => {
            let x = cast(n.expr, DataType::Int64);
            datafusion::logical_expr::when(x.clone().between(lit(-limit), lit(limit)), x * lit(unit_ns)).otherwise(null)
        }
        _ => {
            let f = cast(n.expr, DataType::Float64) * lit(unit_ns as f64);
            let inside = f.clone().gt(lit(-9.2e18)).and(f.clone().lt(lit(9.2e18)));
            // (the value cast is always in range, so that folding a constant outside it cannot fail)
            let clamped = datafusion::logical_expr::when(inside.clone(), f)
                .otherwise(lit(0.0))
                .map_err(|e| BindError::Internal { message: e.to_string(), span: span.into() })?;
            datafusion::logical_expr::when(inside, cast(clamped, DataType::Int64)).otherwise(null)
        }
    }
    .map_err(|e| BindError::Internal { message: e.to_string(), span: span.into() })?;
    Ok((as_datetime(ns), DT))
}

pub(super) const DATETIME: &[FunctionDef] = &[
    FunctionDef {
        name: "format_datetime",
        sigs: &[sig(&[P::Datetime, P::Str], Ret::T(KqlType::String))],
        lower: Lower::Udf(Udf::FormatDatetime),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "format_timespan",
        sigs: &[sig(&[P::Timespan, P::Str], Ret::T(KqlType::String))],
        lower: Lower::Udf(Udf::FormatTimespan),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "datetime_utc_to_local",
        sigs: &[sig(&[P::Datetime, P::Str], Ret::T(DT))],
        lower: Lower::Udf(Udf::DatetimeUtcToLocal),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "datetime_local_to_utc",
        sigs: &[sig(&[P::Datetime, P::Str], Ret::T(DT))],
        lower: Lower::Udf(Udf::DatetimeLocalToUtc),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "unixtime_seconds_todatetime",
        sigs: &[sig(&[P::Num], Ret::T(DT))],
        lower: Lower::Custom(|_, a| from_unix(a, 1_000_000_000)),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "unixtime_milliseconds_todatetime",
        sigs: &[sig(&[P::Num], Ret::T(DT))],
        lower: Lower::Custom(|_, a| from_unix(a, 1_000_000)),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "unixtime_microseconds_todatetime",
        sigs: &[sig(&[P::Num], Ret::T(DT))],
        lower: Lower::Custom(|_, a| from_unix(a, 1_000)),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "unixtime_nanoseconds_todatetime",
        sigs: &[sig(&[P::Num], Ret::T(DT))],
        lower: Lower::Custom(|_, a| from_unix(a, 1)),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "ago",
        sigs: &[sig(&[P::Timespan], Ret::T(DT))],
        lower: Lower::Custom(ago),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "now",
        sigs: &[sig_opt(&[P::Timespan], 1, Ret::T(DT))],
        lower: Lower::Custom(now),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "datetime_diff",
        sigs: &[sig(&[P::Str, P::Datetime, P::Datetime], Ret::T(KqlType::Long))],
        lower: Lower::Custom(datetime_diff),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "datetime_add",
        sigs: &[sig(&[P::Str, P::Long, P::Datetime], Ret::T(DT))],
        lower: Lower::Custom(datetime_add),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "datetime_part",
        sigs: &[sig(&[P::Str, P::Datetime], Ret::T(KqlType::Int))],
        lower: Lower::Custom(datetime_part),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "bin",
        sigs: &[sig(&[P::Any, P::Any], Ret::T(DT))],
        lower: Lower::Custom(bin),
        naming: Naming::FirstArg,
    },
    FunctionDef {
        name: "floor",
        sigs: &[sig(&[P::Any, P::Any], Ret::T(DT))],
        lower: Lower::Custom(bin),
        naming: Naming::FirstArg,
    },
    FunctionDef {
        name: "startofday",
        sigs: &[sig_opt(&[P::Datetime, P::Long], 1, Ret::T(DT))],
        lower: Lower::Custom(startofday),
        naming: Naming::FirstArg,
    },
    FunctionDef {
        name: "startofweek",
        sigs: &[sig_opt(&[P::Datetime, P::Long], 1, Ret::T(DT))],
        lower: Lower::Custom(startofweek),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "startofmonth",
        sigs: &[sig_opt(&[P::Datetime, P::Long], 1, Ret::T(DT))],
        lower: Lower::Custom(startofmonth),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "startofyear",
        sigs: &[sig_opt(&[P::Datetime, P::Long], 1, Ret::T(DT))],
        lower: Lower::Custom(startofyear),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "endofday",
        sigs: &[sig_opt(&[P::Datetime, P::Long], 1, Ret::T(DT))],
        lower: Lower::Custom(endofday),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "endofweek",
        sigs: &[sig_opt(&[P::Datetime, P::Long], 1, Ret::T(DT))],
        lower: Lower::Custom(endofweek),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "endofmonth",
        sigs: &[sig_opt(&[P::Datetime, P::Long], 1, Ret::T(DT))],
        lower: Lower::Custom(endofmonth),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "endofyear",
        sigs: &[sig_opt(&[P::Datetime, P::Long], 1, Ret::T(DT))],
        lower: Lower::Custom(endofyear),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "dayofweek",
        sigs: &[sig(&[P::Datetime], Ret::T(TS))],
        lower: Lower::Custom(dayofweek),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "hourofday",
        sigs: &[sig(&[P::Datetime], Ret::T(KqlType::Int))],
        lower: Lower::Custom(hourofday),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "getyear",
        sigs: &[sig(&[P::Datetime], Ret::T(KqlType::Int))],
        lower: Lower::Custom(getyear),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "getmonth",
        sigs: &[sig(&[P::Datetime], Ret::T(KqlType::Int))],
        lower: Lower::Custom(getmonth),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "dayofmonth",
        sigs: &[sig(&[P::Datetime], Ret::T(KqlType::Int))],
        lower: Lower::Custom(dayofmonth),
        naming: Naming::Generated,
    },
];
