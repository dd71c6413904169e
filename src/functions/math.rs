//! Math functions: abs, round (half away from zero at a decimal precision, as the round-function examples), and
//! the binary_* bitwise functions on longs.

use super::udf::{arg, Udf};
use super::{sig, sig_opt, FunctionDef, Lower, Naming, Ret, P};
use crate::types::KqlType;
use datafusion::arrow::array::{Array, ArrayRef, Float64Array, Int64Array};
use datafusion::common::Result as DfResult;
use datafusion::functions::math::expr_fn as mf;
use datafusion::logical_expr::{binary_expr, lit, Expr, Operator};
use std::sync::Arc;

/// `abs(x)` of a number, or of a timespan (abs-function takes both: `abs(SigninTime - RiskTime)`).
fn abs(_c: &super::LowerCtx, args: Vec<super::Arg>) -> Result<(Expr, KqlType), crate::diagnostics::BindError> {
    let Some(a) = args.into_iter().next() else {
        return Ok((lit(0i64), KqlType::Long));
    };
    if a.ty == KqlType::Timespan {
        let e = a.expr;
        // (0 - x: DataFusion cannot negate a duration)
        let negated = binary_expr(super::datetime::timespan_lit(0), Operator::Minus, e.clone());
        return Ok((
            datafusion::logical_expr::when(e.clone().lt(super::datetime::timespan_lit(0)), negated)
                .otherwise(e)
                .map_err(|err| crate::diagnostics::BindError::Internal {
                    message: err.to_string(),
                    span: a.span.into(),
                })?,
            a.ty,
        ));
    }
    Ok((datafusion::functions::math::expr_fn::abs(a.expr), a.ty))
}

/// `round(x, precision)`: `round(2.15, 1)` → 2.2, `round(-50.55, -2)` → -100 (round-function).
pub fn round_to(x: f64, precision: i64) -> f64 {
    let p = 10f64.powi(precision.clamp(-300, 300) as i32);
    (x * p).round() / p
}

pub(in crate::functions) fn round_body(arrays: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    let x = arg::<Float64Array>(arrays, 0, "round")?;
    let p = arrays.get(1).and_then(|a| a.as_any().downcast_ref::<Int64Array>());
    let out: Float64Array = (0..n)
        .map(|r| {
            if x.is_null(r) || p.is_some_and(|p| p.is_null(r)) {
                return None;
            }
            Some(round_to(x.value(r), p.map_or(0, |p| p.value(r))))
        })
        .collect();
    Ok(Arc::new(out) as ArrayRef)
}

/// `binary_and(a, b)` and its kin: one DataFusion bitwise operator over two longs.
fn bitwise(op: Operator, a: Vec<Expr>) -> Expr {
    let mut it = a.into_iter();
    let (x, y) = (it.next().unwrap_or(lit(0i64)), it.next().unwrap_or(lit(0i64)));
    binary_expr(x, op, y)
}

fn binary_and(a: Vec<Expr>) -> Expr {
    bitwise(Operator::BitwiseAnd, a)
}
fn binary_or(a: Vec<Expr>) -> Expr {
    bitwise(Operator::BitwiseOr, a)
}
fn binary_xor(a: Vec<Expr>) -> Expr {
    bitwise(Operator::BitwiseXor, a)
}
fn binary_shift_left(a: Vec<Expr>) -> Expr {
    bitwise(Operator::BitwiseShiftLeft, a)
}
fn binary_shift_right(a: Vec<Expr>) -> Expr {
    bitwise(Operator::BitwiseShiftRight, a)
}
/// `tohex(x[, minLength])` (tohex-function): lower-case hexadecimal of an int or long, a negative value as its
/// 32-bit (int) or 64-bit (long) two's complement, left-padded with zeros to minLength.
fn tohex(_c: &super::LowerCtx, args: Vec<super::Arg>) -> Result<(Expr, KqlType), crate::diagnostics::BindError> {
    use datafusion::arrow::datatypes::DataType;
    use datafusion::logical_expr::cast;
    let mut it = args.into_iter();
    let Some(x) = it.next() else { return Ok((lit(""), KqlType::String)) };
    let value = match x.ty {
        // the int's 32 bits as an unsigned value: -256 is ffffff00
        KqlType::Int => binary_expr(cast(x.expr, DataType::Int64), Operator::BitwiseAnd, lit(0xFFFF_FFFFi64)),
        _ => cast(x.expr, DataType::Int64),
    };
    let h = datafusion::functions::string::expr_fn::to_hex(value);
    let Some(n) = it.next() else { return Ok((h, KqlType::String)) };
    let n = cast(n.expr, DataType::Int64);
    let padded = datafusion::functions::unicode::expr_fn::lpad(vec![h.clone(), n.clone(), lit("0")]);
    let e = datafusion::logical_expr::when(
        datafusion::functions::unicode::expr_fn::character_length(h.clone()).lt(n),
        padded,
    )
    .otherwise(h.clone())
    .unwrap_or(h);
    Ok((e, KqlType::String))
}

/// `binary_not(x)` = `x ^ -1` (all bits flipped).
fn binary_not(a: Vec<Expr>) -> Expr {
    bitwise(Operator::BitwiseXor, a.into_iter().take(1).chain([lit(-1i64)]).collect())
}

const REAL1: &[super::Sig] = &[sig(&[P::Real], Ret::T(KqlType::Real))];

/// A function of one real giving a real (sqrt, log, sin, ...), named `Column1`… when unnamed.
const fn real1(name: &'static str, lower: fn(Vec<Expr>) -> Expr) -> FunctionDef {
    FunctionDef { name, sigs: REAL1, lower: Lower::Df(lower), naming: Naming::Generated }
}

/// The first argument (the signature guarantees it; 0.0 keeps a malformed call panic-free).
fn first(a: Vec<Expr>) -> Expr {
    a.into_iter().next().unwrap_or(lit(0.0))
}

/// The first two arguments.
fn two(a: Vec<Expr>) -> (Expr, Expr) {
    let mut it = a.into_iter();
    (it.next().unwrap_or(lit(0.0)), it.next().unwrap_or(lit(1.0)))
}
const LONG2: &[super::Sig] = &[sig(&[P::Long, P::Long], Ret::T(KqlType::Long))];

pub(super) const MATH: &[FunctionDef] = &[
    FunctionDef {
        name: "abs",
        sigs: &[sig(&[P::Num], Ret::Arg(0)), sig(&[P::Timespan], Ret::Arg(0))],
        lower: Lower::Custom(abs),
        naming: Naming::FirstArg,
    },
    FunctionDef {
        name: "round",
        sigs: &[sig_opt(&[P::Real, P::Long], 1, Ret::T(KqlType::Real))],
        lower: Lower::Udf(Udf::Round),
        naming: Naming::FirstArg,
    },
    real1("sqrt", |a| mf::sqrt(first(a))),
    real1("exp", |a| mf::exp(first(a))),
    real1("log", |a| mf::ln(first(a))),
    real1("log2", |a| mf::log2(first(a))),
    real1("log10", |a| mf::log10(first(a))),
    real1("sin", |a| mf::sin(first(a))),
    real1("cos", |a| mf::cos(first(a))),
    real1("tan", |a| mf::tan(first(a))),
    real1("asin", |a| mf::asin(first(a))),
    real1("acos", |a| mf::acos(first(a))),
    real1("atan", |a| mf::atan(first(a))),
    real1("degrees", |a| mf::degrees(first(a))),
    real1("radians", |a| mf::radians(first(a))),
    real1("sign", |a| mf::signum(first(a))),
    real1("exp2", |a| mf::power(lit(2.0), first(a))),
    real1("exp10", |a| mf::power(lit(10.0), first(a))),
    FunctionDef {
        name: "pow",
        sigs: &[sig(&[P::Real, P::Real], Ret::T(KqlType::Real))],
        lower: Lower::Df(|a| {
            let (x, y) = two(a);
            mf::power(x, y)
        }),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "atan2",
        sigs: &[sig(&[P::Real, P::Real], Ret::T(KqlType::Real))],
        lower: Lower::Df(|a| {
            let (x, y) = two(a);
            mf::atan2(x, y)
        }),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "pi",
        sigs: &[sig(&[], Ret::T(KqlType::Real))],
        lower: Lower::Df(|_| lit(std::f64::consts::PI)),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "ceiling",
        sigs: &[sig(&[P::Real], Ret::T(KqlType::Real))],
        lower: Lower::Df(|a| mf::ceil(first(a))),
        naming: Naming::FirstArg,
    },
    FunctionDef {
        name: "tohex",
        sigs: &[sig_opt(&[P::Num, P::Num], 1, Ret::T(KqlType::String))],
        lower: Lower::Custom(tohex),
        naming: Naming::Generated,
    },
    FunctionDef { name: "binary_and", sigs: LONG2, lower: Lower::Df(binary_and), naming: Naming::Generated },
    FunctionDef { name: "binary_or", sigs: LONG2, lower: Lower::Df(binary_or), naming: Naming::Generated },
    FunctionDef { name: "binary_xor", sigs: LONG2, lower: Lower::Df(binary_xor), naming: Naming::Generated },
    FunctionDef {
        name: "binary_shift_left",
        sigs: LONG2,
        lower: Lower::Df(binary_shift_left),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "binary_shift_right",
        sigs: LONG2,
        lower: Lower::Df(binary_shift_right),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "binary_not",
        sigs: &[sig(&[P::Long], Ret::T(KqlType::Long))],
        lower: Lower::Df(binary_not),
        naming: Naming::Generated,
    },
];

#[cfg(test)]
mod tests {
    use super::round_to;

    #[test]
    fn rounding() {
        assert_eq!(round_to(2.98765, 3), 2.988);
        assert_eq!(round_to(2.15, 1), 2.2);
        assert_eq!(round_to(-50.55, -2), -100.0);
        assert_eq!(round_to(21.5, -1), 20.0);
    }
}
