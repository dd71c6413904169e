//! Conversions: the `to*` functions, and the implicit conversions the binder applies when an argument's type
//! differs from a parameter's (int → long → real, dynamic → anything through its text, anything → dynamic).

use super::udf::{type_codes, Udf};
use super::{sig, Arg, FunctionDef, Lower, LowerCtx, Naming, Ret, P};
use crate::diagnostics::BindError;
use crate::types::KqlType;
use datafusion::logical_expr::{cast, try_cast, Expr};

/// Canonical lower-case `8-4-4-4-12` text of a guid: 32 hex digits, dashes and braces ignored; else null.
pub fn normalize_guid(s: &str) -> Option<String> {
    let t = s.trim().trim_start_matches('{').trim_end_matches('}');
    let hex: String = t.chars().filter(|c| *c != '-').collect();
    // toguid-function: the page converts 32 hex digits with dashes anywhere
    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let h = hex.to_ascii_lowercase();
    Some(format!("{}-{}-{}-{}-{}", h.get(0..8)?, h.get(8..12)?, h.get(12..16)?, h.get(16..20)?, h.get(20..32)?))
}

fn with(span: crate::source::Span, expr: Expr, ty: KqlType) -> Arg {
    Arg { expr, ty, span }
}

/// The expression `a` converted to type `t`, following Kusto's conversion rules.
pub fn convert_to(a: Arg, t: KqlType) -> Arg {
    use KqlType::*;
    if a.ty == t {
        return a;
    }
    let e = a.expr.clone();
    let from = a.ty;
    let a = a.span;
    match (from, t) {
        (Guid, String) => with(a, e, t),
        (String, Guid) => with(a, Udf::ToGuid.call(vec![e]), t),
        // the text of a dynamic value, or Kusto's text of any other (datetimes ISO with `Z`, null → "")
        (_, String) => with(a, Udf::ToString.call(vec![type_codes(&[from]), e]), t),
        (_, Dynamic) => with(a, Udf::ToDynamic.call(vec![type_codes(&[from]), e]), t),
        (Dynamic, _) => {
            let text = convert_to(with(a, e, Dynamic), String);
            convert_to(text, t)
        }
        (String, Datetime) => with(a, Udf::ToDatetime.call(vec![e]), t),
        (String, Timespan) => with(a, Udf::ToTimespan.call(vec![e]), t),
        (String, _) => {
            let trimmed = datafusion::functions::string::expr_fn::btrim(vec![e]);
            with(a, try_cast(trimmed, t.to_arrow()), t)
        }
        (Datetime, Long) | (Timespan, Long) => {
            // ticks
            let ns = cast(e, datafusion::arrow::datatypes::DataType::Int64);
            with(a, ns / datafusion::logical_expr::lit(100i64), t)
        }
        (Long, Timespan) | (Int, Timespan) => {
            let ns = cast(e, datafusion::arrow::datatypes::DataType::Int64) * datafusion::logical_expr::lit(100i64);
            with(a, cast(ns, t.to_arrow()), t)
        }
        (Long, Datetime) | (Int, Datetime) => {
            let ns = cast(e, datafusion::arrow::datatypes::DataType::Int64) * datafusion::logical_expr::lit(100i64)
                - datafusion::logical_expr::lit(62_135_596_800_000_000_000i128 as i64);
            with(a, cast(ns, t.to_arrow()), t)
        }
        _ => with(a, try_cast(e, t.to_arrow()), t),
    }
}

fn first(args: Vec<Arg>, t: KqlType) -> Result<(Expr, KqlType), BindError> {
    let a = args.into_iter().next().ok_or_else(|| BindError::Internal {
        message: "conversion without argument".into(),
        span: crate::source::Span::default().into(),
    })?;
    // a real converted to an integer truncates (toint-function)
    Ok((convert_to(a, t).expr, t))
}

const ANY1: &[super::Sig] = &[sig(&[P::Any], Ret::T(KqlType::Dynamic))];

macro_rules! conv {
    ($name:literal, $t:expr) => {
        FunctionDef {
            name: $name,
            sigs: ANY1,
            lower: Lower::Custom({
                fn lower(_: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
                    first(a, $t)
                }
                lower
            }),
            naming: Naming::FirstArg,
        }
    };
}

pub(super) const CONVERSION: &[FunctionDef] = &[
    conv!("tostring", KqlType::String),
    conv!("toint", KqlType::Int),
    conv!("tolong", KqlType::Long),
    conv!("toreal", KqlType::Real),
    conv!("todouble", KqlType::Real),
    conv!("todecimal", KqlType::Decimal),
    conv!("tobool", KqlType::Bool),
    conv!("toboolean", KqlType::Bool),
    conv!("todatetime", KqlType::Datetime),
    conv!("totimespan", KqlType::Timespan),
    conv!("toguid", KqlType::Guid),
    FunctionDef {
        name: "parse_version",
        sigs: &[sig(&[P::Str], Ret::T(KqlType::Decimal))],
        lower: Lower::Udf(Udf::ParseVersion),
        naming: Naming::Generated,
    },
];
