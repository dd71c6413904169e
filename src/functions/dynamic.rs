//! dynamic functions: parse_json/todynamic, array_length, pack_array, bag_pack (pack, pack_dictionary), split,
//! extractjson, parse_command_line, unicode_codepoints_from_string,
//! and the accessors the binder uses for `x.k`, `x["k"]` and `x[i]`.

use super::udf::{self, dynamic as dudf};
use super::{sig, sig_opt, sig_var, Arg, FunctionDef, Lower, LowerCtx, Naming, Ret, P};
use crate::diagnostics::BindError;
use crate::types::KqlType;
use datafusion::logical_expr::{lit, Expr};

const D: KqlType = KqlType::Dynamic;

/// `x.k` / `x["k"]` on a dynamic value.
pub fn get_key(target: Expr, key: Expr) -> Expr {
    udf::call("dynamic_get", D.to_arrow(), dudf::get_key(), vec![target, key])
}

/// `x[i]` on a dynamic value.
pub fn get_index(target: Expr, index: Expr) -> Expr {
    udf::call("dynamic_index", D.to_arrow(), dudf::get_index(), vec![target, index])
}

/// `parse_json(x)`: a dynamic argument passes through; a string is parsed (parse-json-function).
fn parse_json(_: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let Some(x) = a.into_iter().next() else { return Ok((super::null_of(D), D)) };
    match x.ty {
        KqlType::Dynamic => Ok((x.expr, D)),
        KqlType::String => Ok((udf::call("parse_json", D.to_arrow(), dudf::parse_json(), vec![x.expr]), D)),
        _ => Ok((super::convert_to(x, D).expr, D)),
    }
}

fn pack_array(_: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let types = a.iter().map(|x| x.ty).collect();
    let exprs = a.into_iter().map(|x| x.expr).collect();
    Ok((udf::call("pack_array", D.to_arrow(), dudf::pack_array(types), exprs), D))
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
    let types = a.iter().skip(1).step_by(2).map(|x| x.ty).collect();
    let exprs = a.into_iter().map(|x| x.expr).collect();
    Ok((udf::call("bag_pack", D.to_arrow(), dudf::bag_pack(types), exprs), D))
}

/// `split(s, d[, i])`: an array; with an index, a one-element array (split-function).
fn split(_: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let mut it = a.into_iter();
    let s = it.next().map(|x| x.expr).unwrap_or(lit(""));
    let d = it.next().map(|x| x.expr).unwrap_or(lit(""));
    let arr = udf::call("split", D.to_arrow(), dudf::split(), vec![s, d]);
    match it.next() {
        None => Ok((arr, D)),
        Some(i) => {
            let one = get_index(arr, i.expr);
            let types = vec![D];
            Ok((udf::call("pack_array", D.to_arrow(), dudf::pack_array(types), vec![one]), D))
        }
    }
}

/// `parse_command_line(line, "windows")`: the arguments as a dynamic array of strings.
fn parse_command_line(_: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    if let Some(p) = a.get(1) {
        let parser = super::require_const_str(p, "the parser")?;
        if !parser.eq_ignore_ascii_case("windows") {
            return Err(BindError::InvalidArgument {
                message: format!("'{parser}' is not a command-line parser"),
                span: p.span.into(),
                help: Some("the only parser is \"windows\"".into()),
            });
        }
    }
    let line = a.into_iter().next().map(|x| x.expr).unwrap_or(lit(""));
    let f = dudf::map_str(|s| {
        let args = dudf::windows_argv(s.unwrap_or(""));
        Some(serde_json::Value::from(args).to_string())
    });
    Ok((udf::call("parse_command_line", D.to_arrow(), f, vec![line]), D))
}

fn codepoints() -> udf::UdfFn {
    dudf::map_str(|s| Some(dudf::codepoints_json(s.unwrap_or(""))))
}

pub(super) const DYNAMIC: &[FunctionDef] = &[
    FunctionDef {
        name: "parse_json",
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
        lower: Lower::Udf(dudf::array_length),
        naming: Naming::Generated,
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
        name: "split",
        sigs: &[sig_opt(&[P::Str, P::Str, P::Long], 1, Ret::T(D))],
        lower: Lower::Custom(split),
        naming: Naming::FirstArg,
    },
    FunctionDef {
        name: "extractjson",
        sigs: &[sig(&[P::Str, P::Str], Ret::T(KqlType::String))],
        lower: Lower::Udf(dudf::extract_json),
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
        lower: Lower::Udf(codepoints),
        naming: Naming::Generated,
    },
];
