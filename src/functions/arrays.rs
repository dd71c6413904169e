//! Array, set and value helpers of the wider hunting packs (array_concat, array_index_of, set_union,
//! set_intersect, set_difference, zip, array_sort_asc/desc, array_iff, has_any_index, dynamic_to_json,
//! gettype, make_string, parse_csv, parse_xml, hash, parse_user_agent), plus min_of/max_of, cot, rand,
//! new_guid and notempty. Bodies: `udf/rows.rs`, `udf/useragent.rs`.

use super::udf::Udf;
use super::{sig, sig_opt, sig_var, Arg, FunctionDef, Lower, LowerCtx, Naming, Ret, P};
use crate::diagnostics::BindError;
use crate::types::KqlType;
use datafusion::logical_expr::{lit, Expr};

const D: KqlType = KqlType::Dynamic;
const S: KqlType = KqlType::String;
const L: KqlType = KqlType::Long;

const fn typed(name: &'static str, sigs: &'static [super::Sig], u: Udf) -> FunctionDef {
    FunctionDef { name, sigs, lower: Lower::Typed(u), naming: Naming::Generated }
}

/// 2 to 64 arrays → an array.
const ARRAYS_2_64: &[super::Sig] = &[sig_var(&[P::Array, P::Array], P::Array, 2, 64, Ret::T(D))];

/// `max_of(a, b, ...)` / `min_of`: the greatest / least non-null argument, of their common type.
fn extreme(c: &LowerCtx, a: Vec<Arg>, max: bool) -> Result<(Expr, KqlType), BindError> {
    let (args, t) = super::unify(a, c.span)?;
    let exprs: Vec<Expr> = args.into_iter().map(|x| x.expr).collect();
    let e = if max {
        datafusion::functions::core::expr_fn::greatest(exprs)
    } else {
        datafusion::functions::core::expr_fn::least(exprs)
    };
    Ok((e, t))
}

fn max_of(c: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    extreme(c, a, true)
}

fn min_of(c: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    extreme(c, a, false)
}

/// `rand()`: a real in [0, 1); `rand(N)`: a whole number in [0, N) (rand-function; the analyzer types both real).
fn rand(_: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let r = datafusion::functions::math::expr_fn::random();
    let e = match a.into_iter().next() {
        Some(n) => datafusion::functions::math::expr_fn::floor(
            r * datafusion::logical_expr::cast(n.expr, KqlType::Real.to_arrow()),
        ),
        None => r,
    };
    Ok((e, KqlType::Real))
}

/// `hash(v[, mod])`: datetimes and timespans are hashed as their ticks (hash-function).
fn hash(_: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let mut it = a.into_iter();
    let Some(v) = it.next() else { return Ok((lit(0i64), L)) };
    let v = match v.ty {
        // ticks since 0001-01-01
        KqlType::Datetime => {
            let unix_ticks = super::nanos(v.expr) / lit(100i64);
            Arg { expr: unix_ticks + lit(621_355_968_000_000_000i64), ty: L, span: v.span }
        }
        KqlType::Timespan => Arg { expr: super::nanos(v.expr) / lit(100i64), ty: L, span: v.span },
        _ => v,
    };
    Ok((Udf::Hash.call_typed(std::iter::once(v).chain(it).collect()), L))
}

const SORT_SIGS: &[super::Sig] = &[sig_var(&[P::Array], P::Any, 1, 64, Ret::T(D))];

/// `array_sort_asc(array1[, ..., arrayN][, nulls_last])`: one result per array (`Naming::PerArray`).
const fn sorter(name: &'static str, lower: super::CustomLower) -> FunctionDef {
    FunctionDef { name, sigs: SORT_SIGS, lower: Lower::Custom(lower), naming: Naming::PerArray("sorted") }
}

/// The arrays of an `array_sort_*` call: every argument but a trailing bool (`nulls_last`), all dynamic.
fn sort_args(c: &LowerCtx, a: Vec<Arg>, u: Udf) -> Result<(Expr, KqlType), BindError> {
    let arrays = super::array_count(&a.iter().map(|x| x.ty).collect::<Vec<_>>());
    if let Some(bad) = a.iter().take(arrays).find(|x| x.ty != D) {
        return Err(BindError::TypeMismatch {
            message: format!("{} takes dynamic arrays, then an optional bool nulls_last; this is a {}", c.name, bad.ty),
            span: bad.span.into(),
            found: bad.ty.to_string(),
            help: None,
        });
    }
    Ok((u.call_typed(a), D))
}

fn array_sort_asc(c: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    sort_args(c, a, Udf::ArraySortAsc)
}

fn array_sort_desc(c: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    sort_args(c, a, Udf::ArraySortDesc)
}

pub(super) const ARRAYS: &[FunctionDef] = &[
    typed("array_concat", &[sig_var(&[P::Array], P::Array, 1, 64, Ret::T(D))], Udf::ArrayConcat),
    typed(
        "array_index_of",
        &[sig_opt(&[P::Array, P::Any, P::Long, P::Long, P::Long], 3, Ret::T(L))],
        Udf::ArrayIndexOf,
    ),
    typed("set_union", ARRAYS_2_64, Udf::SetUnion),
    // hll_merge(h1, h2, ...) of exact hll values (aggregate::hll) is their set union
    typed("hll_merge", ARRAYS_2_64, Udf::SetUnion),
    typed("set_intersect", ARRAYS_2_64, Udf::SetIntersect),
    typed("set_difference", ARRAYS_2_64, Udf::SetDifference),
    typed("zip", &[sig_var(&[P::Array, P::Array], P::Array, 2, 16, Ret::T(D))], Udf::Zip),
    sorter("array_sort_asc", array_sort_asc),
    sorter("array_sort_desc", array_sort_desc),
    typed("array_iff", &[sig(&[P::Array, P::Dyn, P::Dyn], Ret::T(D))], Udf::ArrayIff),
    typed("array_iif", &[sig(&[P::Array, P::Dyn, P::Dyn], Ret::T(D))], Udf::ArrayIff),
    typed("has_any_index", &[sig(&[P::Str, P::Array], Ret::T(L))], Udf::HasAnyIndex),
    typed("dynamic_to_json", &[sig(&[P::Any], Ret::T(S))], Udf::DynamicToJson),
    typed("gettype", &[sig(&[P::Any], Ret::T(S))], Udf::GetType),
    typed("make_string", &[sig_var(&[P::Dyn], P::Dyn, 1, 64, Ret::T(S))], Udf::MakeString),
    typed("parse_csv", &[sig(&[P::Str], Ret::T(D))], Udf::ParseCsv),
    typed("parse_xml", &[sig(&[P::Str], Ret::T(D))], Udf::ParseXml),
    typed("parse_user_agent", &[sig(&[P::Str, P::Any], Ret::T(D))], Udf::ParseUserAgent),
    FunctionDef {
        name: "hash",
        sigs: &[sig_opt(&[P::Any, P::Long], 1, Ret::T(L))],
        lower: Lower::Custom(hash),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "max_of",
        sigs: &[sig_var(&[P::Any, P::Any], P::Any, 2, 64, Ret::Arg(0))],
        lower: Lower::Custom(max_of),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "min_of",
        sigs: &[sig_var(&[P::Any, P::Any], P::Any, 2, 64, Ret::Arg(0))],
        lower: Lower::Custom(min_of),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "cot",
        sigs: &[sig(&[P::Real], Ret::T(KqlType::Real))],
        lower: Lower::Df(|a| {
            let x = a.into_iter().next().unwrap_or(lit(0.0));
            lit(1.0) / datafusion::functions::math::expr_fn::tan(x)
        }),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "rand",
        sigs: &[sig_opt(&[P::Num], 1, Ret::T(KqlType::Real))],
        lower: Lower::Custom(rand),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "new_guid",
        sigs: &[sig(&[], Ret::T(KqlType::Guid))],
        lower: Lower::Df(|_| datafusion::functions::string::expr_fn::uuid()),
        naming: Naming::Generated,
    },
];
