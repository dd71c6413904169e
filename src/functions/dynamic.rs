//! dynamic functions: parse_json/todynamic, array_length, pack_array, bag_pack (pack, pack_dictionary), split,
//! extractjson, parse_command_line, unicode_codepoints_from_string,
//! and the accessors the binder uses for `x.k`, `x["k"]` and `x[i]`.

use super::udf::{type_codes, Udf};
use super::{sig, sig_opt, sig_var, Arg, FunctionDef, Lower, LowerCtx, Naming, Ret, P};
use crate::diagnostics::BindError;
use crate::types::KqlType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{lit, Expr};

const D: KqlType = KqlType::Dynamic;

/// `x.k` / `x["k"]` on a dynamic value.
pub fn get_key(target: Expr, key: Expr) -> Expr {
    Udf::DynamicGet.call(vec![target, key])
}

/// `x[i]` on a dynamic value.
pub fn get_index(target: Expr, index: Expr) -> Expr {
    Udf::DynamicIndex.call(vec![target, index])
}

/// `parse_json(x)`: a dynamic argument passes through; a string is parsed (parse-json-function).
fn parse_json(_: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let Some(x) = a.into_iter().next() else { return Ok((super::null_of(D), D)) };
    match x.ty {
        KqlType::Dynamic => Ok((x.expr, D)),
        KqlType::String => Ok((Udf::ParseJson.call(vec![x.expr]), D)),
        _ => Ok((super::convert_to(x, D).expr, D)),
    }
}

fn pack_array(_: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    Ok((Udf::PackArray.call_typed(a), D))
}

fn bag_pack(c: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    if !a.len().is_multiple_of(2) {
        return Err(BindError::WrongArity {
            name: c.name.to_string(),
            expected: "key/value pairs (an even number of arguments)".into(),
            found: a.len(),
            span: c.span.into(),
        });
    }
    let types: Vec<KqlType> = a.iter().skip(1).step_by(2).map(|x| x.ty).collect();
    let exprs = std::iter::once(type_codes(&types)).chain(a.into_iter().map(|x| x.expr)).collect();
    Ok((Udf::BagPack.call(exprs), D))
}

/// `split(s, d[, i])`: an array; with an index, a one-element array (split-function).
/// `set_has_element(set, value)`: the value as dynamic, compared with the elements.
fn set_has_element(_: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let mut it = a.into_iter();
    let set = it.next().map(|x| x.expr).unwrap_or(lit(ScalarValue::Utf8(None)));
    let value = match it.next() {
        Some(v) if v.ty == D => v.expr,
        Some(v) => super::convert_to(v, D).expr,
        None => lit(ScalarValue::Utf8(None)),
    };
    Ok((Udf::SetHasElement.call(vec![set, value]), KqlType::Bool))
}

fn split(_: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let mut it = a.into_iter();
    let s = it.next().map(|x| x.expr).unwrap_or(lit(""));
    let d = it.next().map(|x| x.expr).unwrap_or(lit(""));
    let arr = Udf::Split.call(vec![s, d]);
    match it.next() {
        None => Ok((arr, D)),
        Some(i) => {
            let one = get_index(arr, i.expr);
            Ok((Udf::PackArray.call(vec![type_codes(&[D]), one]), D))
        }
    }
}

/// `extract_json(path, json[, typeof(T)])`: the value at the path as a string, or converted to T
/// (extract-json-function).
fn extract_json(_: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let mut it = a.into_iter();
    let (Some(path), Some(json)) = (it.next(), it.next()) else { return Ok((lit(""), KqlType::String)) };
    let span = json.span;
    let text = Arg { expr: Udf::ExtractJson.call(vec![path.expr, json.expr]), ty: KqlType::String, span };
    let Some(t) = it.next() else { return Ok((text.expr, KqlType::String)) };
    let ty = t.const_str().and_then(|n| KqlType::parse(&n)).ok_or_else(|| BindError::InvalidArgument {
        message: "the third argument of extract_json is a type, such as typeof(long)".into(),
        span: t.span.into(),
        help: None,
    })?;
    let v = super::convert_to(text, ty);
    Ok((v.expr, ty))
}

/// `parse_command_line(line, "windows")`: the arguments as a dynamic array of strings.
fn parse_command_line(_: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let mut it = a.into_iter();
    let line = it.next().map(|x| x.expr).unwrap_or(lit(""));
    let parser = it.next();
    if let Some(p) = &parser {
        let parser = super::require_const_str(p, "the parser")?;
        if !parser.eq_ignore_ascii_case("windows") {
            return Err(BindError::InvalidArgument {
                message: format!("'{parser}' is not a command-line parser"),
                span: p.span.into(),
                help: Some("the only parser is \"windows\"".into()),
            });
        }
    }
    let parser = parser.map_or(lit("windows"), |p| p.expr);
    Ok((Udf::ParseCommandLine.call(vec![line, parser]), D))
}

/// `range(start, stop[, step])`: the array start, start+step, … up to stop (inclusive); integers when every
/// argument is one (range-function).
fn range_array(_: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let ints = a.iter().all(|x| matches!(x.ty, KqlType::Int | KqlType::Long));
    let mut args: Vec<Expr> = a.into_iter().map(|x| super::convert_to(x, KqlType::Real).expr).collect();
    if args.len() == 2 {
        args.push(lit(1.0f64));
    }
    args.push(lit(ints));
    Ok((Udf::RangeArray.call(args), D))
}

/// `pack_all([ignore_null_empty])`: the row as a property bag, one key per column (pack-all-function).
fn pack_all(c: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let skip_empty = a.first().and_then(|x| x.constant().cloned()) == Some(ScalarValue::Boolean(Some(true)));
    let mut pairs = Vec::new();
    for col in &c.scope.columns {
        pairs.push(Arg { expr: lit(col.name.clone()), ty: KqlType::String, span: c.span });
        pairs.push(Arg { expr: super::col(&col.name), ty: col.ty, span: c.span });
    }
    let (bag, ty) = bag_pack(c, pairs)?;
    if skip_empty {
        return Ok((Udf::BagDropEmpty.call(vec![bag]), ty));
    }
    Ok((bag, ty))
}

pub(super) const DYNAMIC: &[FunctionDef] = &[
    FunctionDef {
        name: "bag_keys",
        sigs: &[sig(&[P::Dyn], Ret::T(D))],
        lower: Lower::Udf(Udf::BagKeys),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "bag_remove_keys",
        sigs: &[sig(&[P::Dyn, P::Dyn], Ret::T(D))],
        lower: Lower::Udf(Udf::BagRemoveKeys),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "range",
        sigs: &[sig_opt(&[P::Num, P::Num, P::Num], 1, Ret::T(D))],
        lower: Lower::Custom(range_array),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "pack_all",
        sigs: &[sig_opt(&[P::Bool], 1, Ret::T(D))],
        lower: Lower::Custom(pack_all),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "parse_json",
        sigs: &[sig(&[P::Any], Ret::T(D))],
        lower: Lower::Custom(parse_json),
        naming: Naming::FirstArg,
    },
    FunctionDef {
        name: "parsejson",
        sigs: &[sig(&[P::Any], Ret::T(D))],
        lower: Lower::Custom(parse_json),
        naming: Naming::FirstArg,
    },
    FunctionDef {
        name: "todynamic",
        sigs: &[sig(&[P::Any], Ret::T(D))],
        lower: Lower::Custom(parse_json),
        naming: Naming::FirstArg,
    },
    FunctionDef {
        name: "array_length",
        sigs: &[sig(&[P::Dyn], Ret::T(KqlType::Long))],
        lower: Lower::Udf(Udf::ArrayLength),
        naming: Naming::Generated,
    },
    // hll values are the exact distinct values in kqlite (aggregate::hll): their count is the array's length
    FunctionDef {
        name: "dcount_hll",
        sigs: &[sig(&[P::Dyn], Ret::T(KqlType::Long))],
        lower: Lower::Udf(Udf::ArrayLength),
        naming: Naming::Prefixed,
    },
    FunctionDef {
        name: "pack_array",
        sigs: &[sig_var(&[], P::Any, 1, 1_000_000, Ret::T(D))],
        lower: Lower::Custom(pack_array),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "bag_pack",
        sigs: &[sig_var(&[], P::Any, 0, 1_000_000, Ret::T(D))],
        lower: Lower::Custom(bag_pack),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "pack",
        sigs: &[sig_var(&[], P::Any, 0, 1_000_000, Ret::T(D))],
        lower: Lower::Custom(bag_pack),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "pack_dictionary",
        sigs: &[sig_var(&[], P::Any, 0, 1_000_000, Ret::T(D))],
        lower: Lower::Custom(bag_pack),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "strcat_array",
        sigs: &[sig(&[P::Dyn, P::Str], Ret::T(KqlType::String))],
        lower: Lower::Udf(Udf::StrcatArray),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "set_has_element",
        sigs: &[sig(&[P::Dyn, P::Any], Ret::T(KqlType::Bool))],
        lower: Lower::Custom(set_has_element),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "split",
        sigs: &[sig_opt(&[P::Str, P::Str, P::Long], 1, Ret::T(D))],
        lower: Lower::Custom(split),
        naming: Naming::FirstArg,
    },
    FunctionDef {
        name: "array_slice",
        sigs: &[sig(&[P::Array, P::Long, P::Long], Ret::T(D))],
        lower: Lower::Udf(Udf::ArraySlice),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "jaccard_index",
        sigs: &[sig(&[P::Array, P::Array], Ret::T(KqlType::Real))],
        lower: Lower::Udf(Udf::JaccardIndex),
        naming: Naming::Generated,
    },
    // extract_json: another spelling of extractjson
    FunctionDef {
        name: "extract_json",
        sigs: &[sig_opt(&[P::Str, P::Str, P::Str], 1, Ret::T(KqlType::String))],
        lower: Lower::Custom(extract_json),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "extractjson",
        sigs: &[sig_opt(&[P::Str, P::Str, P::Str], 1, Ret::T(KqlType::String))],
        lower: Lower::Custom(extract_json),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "parse_command_line",
        sigs: &[sig(&[P::Str, P::Str], Ret::T(D))],
        lower: Lower::Custom(parse_command_line),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "unicode_codepoints_from_string",
        sigs: &[sig(&[P::Str], Ret::T(D))],
        lower: Lower::Udf(Udf::Codepoints),
        naming: Naming::Generated,
    },
];
