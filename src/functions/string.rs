//! String functions and the general conditionals (iff, case, coalesce, isempty...).

use super::udf::groups::GroupSearch;
use super::udf::{arg, row, strings::cached, strings::cached_regex, Udf};
use super::{sig, sig_opt, sig_var, unify, Arg, FunctionDef, Lower, LowerCtx, Naming, Ret, Sig, P};
use crate::diagnostics::BindError;
use crate::types::KqlType;
use datafusion::arrow::array::{Array, ArrayRef, Int64Array, StringArray};
use datafusion::common::Result as DfResult;
use datafusion::functions::string::expr_fn as sf;
use datafusion::functions::unicode::expr_fn as uf;
use datafusion::logical_expr::{cast, lit, when, Expr};
use std::sync::Arc;

const S: KqlType = KqlType::String;

fn strlen(a: Vec<Expr>) -> Expr {
    cast(uf::character_length(a.into_iter().next().unwrap_or(lit(""))), KqlType::Long.to_arrow())
}

fn tolower(a: Vec<Expr>) -> Expr {
    sf::lower(a.into_iter().next().unwrap_or(lit("")))
}

fn toupper(a: Vec<Expr>) -> Expr {
    sf::upper(a.into_iter().next().unwrap_or(lit("")))
}

fn strcat(_: &LowerCtx, args: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let parts: Vec<Expr> = args.into_iter().map(|a| super::convert_to(a, S).expr).collect();
    Ok((sf::concat(parts), S))
}

fn strcat_delim(_: &LowerCtx, args: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let parts: Vec<Expr> = args.into_iter().map(|a| super::convert_to(a, S).expr).collect();
    Ok((sf::concat_ws(parts.first().cloned().unwrap_or(lit("")), parts.into_iter().skip(1).collect()), S))
}

/// Is the value empty: "" for strings, null otherwise (isempty-function).
pub fn is_empty(a: &Arg) -> Expr {
    match a.ty {
        KqlType::String => a.expr.clone().eq(lit("")),
        KqlType::Dynamic => a.expr.clone().is_null().or(a.expr.clone().eq(lit("\"\""))),
        _ => a.expr.clone().is_null(),
    }
}

fn isempty(_: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    Ok((a.first().map(is_empty).unwrap_or(lit(true)), KqlType::Bool))
}

fn isnotempty(_: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    Ok((Expr::Not(Box::new(a.first().map(is_empty).unwrap_or(lit(true)))), KqlType::Bool))
}

fn isnull(_: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let e = match a.first() {
        Some(x) if x.ty == S => lit(false),
        Some(x) => x.expr.clone().is_null(),
        None => lit(true),
    };
    Ok((e, KqlType::Bool))
}

fn isnotnull(c: &LowerCtx, a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let (e, t) = isnull(c, a)?;
    Ok((Expr::Not(Box::new(e)), t))
}

fn not(a: Vec<Expr>) -> Expr {
    Expr::Not(Box::new(a.into_iter().next().unwrap_or(lit(true))))
}

fn internal(c: &LowerCtx, m: &str) -> BindError {
    BindError::Internal { message: format!("{}: {m}", c.name), span: c.span.into() }
}

/// `iff(cond, then, else)`: a null condition selects `else` (iff-function).
fn iff(c: &LowerCtx, args: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let mut it = args.into_iter();
    let (Some(cond), Some(a), Some(b)) = (it.next(), it.next(), it.next()) else { return Err(internal(c, "arity")) };
    let (vals, t) = super::unify_branches(vec![a, b], c.span)?;
    let mut v = vals.into_iter();
    let (Some(a), Some(b)) = (v.next(), v.next()) else { return Err(internal(c, "arity")) };
    let e = when(cond.expr, a.expr).otherwise(b.expr).map_err(|e| internal(c, &e.to_string()))?;
    Ok((e, t))
}

/// `case(p1, v1, p2, v2, ..., else)`: the first true predicate wins (case-function).
fn case(c: &LowerCtx, args: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    if args.len().is_multiple_of(2) {
        return Err(BindError::WrongArity {
            name: "case".into(),
            expected: "predicate/value pairs and a final else value (an odd number)".into(),
            found: args.len(),
            span: c.span.into(),
        });
    }
    let mut preds = Vec::new();
    let mut vals = Vec::new();
    for (i, a) in args.into_iter().enumerate() {
        if i % 2 == 0 {
            preds.push(a);
        } else {
            vals.push(a);
        }
    }
    // the final lone item is the else value
    let Some(else_) = preds.pop() else { return Err(internal(c, "arity")) };
    for p in &preds {
        if p.ty != KqlType::Bool {
            return Err(BindError::TypeMismatch {
                message: "case() predicates must be bool".into(),
                span: p.span.into(),
                found: p.ty.to_string(),
                help: None,
            });
        }
    }
    vals.push(else_);
    let (vals, t) = super::unify_branches(vals, c.span)?;
    let mut vals = vals.into_iter();
    let mut builder: Option<datafusion::logical_expr::conditional_expressions::CaseBuilder> = None;
    for p in preds {
        let v = vals.next().ok_or_else(|| internal(c, "values"))?;
        builder = Some(match builder {
            None => when(p.expr, v.expr),
            Some(mut b) => b.when(p.expr, v.expr),
        });
    }
    let else_ = vals.next().ok_or_else(|| internal(c, "else"))?;
    let e = match builder {
        Some(mut b) => b.otherwise(else_.expr).map_err(|e| internal(c, &e.to_string()))?,
        None => else_.expr,
    };
    Ok((e, t))
}

/// `coalesce(a, b, ...)`: the first non-null value; for strings the first non-empty one (coalesce-function).
fn coalesce(c: &LowerCtx, args: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let (vals, t) = unify(args, c.span)?;
    let exprs: Vec<Expr> = vals
        .into_iter()
        .map(|a| if t == S { datafusion::functions::core::expr_fn::nullif(a.expr, lit("")) } else { a.expr })
        .collect();
    let e = datafusion::functions::core::expr_fn::coalesce(exprs);
    Ok((if t == S { datafusion::functions::core::expr_fn::coalesce(vec![e, lit("")]) } else { e }, t))
}

/// `extract(regex, group, text[, typeof(T)])`: no match → null, read as "" for strings (extract-function).
pub(in crate::functions) fn extract_body(arrays: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    let re = arg::<StringArray>(arrays, 0, "extract")?;
    let g = arg::<Int64Array>(arrays, 1, "extract")?;
    let s = arg::<StringArray>(arrays, 2, "extract")?;
    // the pattern's group search (one forward scan when the pattern allows it, reused capture slots), kept for
    // the rows of the batch with the same pattern; the group's text appended as it is (no String per row)
    let mut search = None;
    let mut out = datafusion::arrow::array::StringBuilder::with_capacity(n, 0);
    for r in 0..n {
        let (rr, gr, sr) = (row(re, r), row(g, r), row(s, r));
        if re.is_null(rr) || g.is_null(gr) || s.is_null(sr) {
            out.append_null();
            continue;
        }
        // a constant pattern (one row) is looked up once, not compared with the kept one at every row
        let gs = cached(&mut search, re.value(rr), re.len() == 1, GroupSearch::compiled)?;
        let text = s.value(sr);
        let span = usize::try_from(g.value(gr)).ok().and_then(|i| gs.group(text, i));
        match span.and_then(|(a, b)| text.get(a..b)) {
            Some(v) => out.append_value(v),
            None => out.append_null(),
        }
    }
    Ok(Arc::new(out.finish()) as ArrayRef)
}

/// `extract_all(regex, [captureGroups,] source)` (extract-all-function): every match, as an array of the one
/// selected group's values, or of arrays of the selected groups' values (all groups when none are given;
/// groups by number from 1, or by name); no match → null.
pub(in crate::functions) fn extract_all_body(arrays: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    use datafusion::error::DataFusionError;
    let re = arg::<StringArray>(arrays, 0, "extract_all")?;
    let groups = arg::<StringArray>(arrays, 1, "extract_all")?;
    let s = arg::<StringArray>(arrays, 2, "extract_all")?;
    let mut cache = None;
    let mut out = Vec::with_capacity(n);
    for r in 0..n {
        let (rr, gr, sr) = (row(re, r), row(groups, r), row(s, r));
        if re.is_null(rr) || s.is_null(sr) {
            out.push(None);
            continue;
        }
        let rx = cached_regex(&mut cache, re.value(rr))?;
        let count = rx.captures_len().saturating_sub(1);
        if count == 0 {
            return Err(DataFusionError::Execution(
                "extract_all: the regular expression needs at least one capture group".into(),
            ));
        }
        // the selected groups: numbers 1..=count or names
        let spec = if groups.is_null(gr) { "" } else { groups.value(gr) };
        let selected: Vec<usize> = match serde_json::from_str::<serde_json::Value>(spec) {
            Ok(serde_json::Value::Array(items)) if !items.is_empty() => items
                .iter()
                .map(|g| {
                    let idx = match g {
                        serde_json::Value::Number(k) => k.as_u64().and_then(|k| usize::try_from(k).ok()),
                        serde_json::Value::String(name) => rx.capture_names().position(|c| c == Some(name.as_str())),
                        _ => None,
                    };
                    idx.filter(|i| (1..=count).contains(i)).ok_or_else(|| {
                        DataFusionError::Execution(format!("extract_all: {g} is not a capture group of the regex"))
                    })
                })
                .collect::<DfResult<_>>()?,
            _ => (1..=count).collect(),
        };
        let text = |c: &regex::Captures, i: &usize| {
            serde_json::Value::String(c.get(*i).map(|m| m.as_str().to_string()).unwrap_or_default())
        };
        let matches: Vec<serde_json::Value> = rx
            .captures_iter(s.value(sr))
            .map(|c| match selected.as_slice() {
                [one] => text(&c, one),
                many => serde_json::Value::Array(many.iter().map(|i| text(&c, i)).collect()),
            })
            .collect();
        out.push((!matches.is_empty()).then(|| serde_json::Value::Array(matches).to_string()));
    }
    Ok(Arc::new(StringArray::from(out)) as ArrayRef)
}

/// `format_bytes(size[, precision[, units]])` (format-bytes-function): binary multiples (1 KB = 1024 bytes),
/// the largest unit the size reaches unless `units` names one; rounded to `precision` decimals (default 0),
/// without trailing zeros; a null size is "".
pub(in crate::functions) fn format_bytes_body(arrays: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    use datafusion::arrow::array::Float64Array;
    const UNITS: &[&str] = &["Bytes", "KB", "MB", "GB", "TB", "PB", "EB"];
    let size = arg::<Float64Array>(arrays, 0, "format_bytes")?;
    let precision = arrays.get(1).and_then(|a| a.as_any().downcast_ref::<Int64Array>());
    let units = arrays.get(2).and_then(|a| a.as_any().downcast_ref::<StringArray>());
    let mut out = Vec::with_capacity(n);
    for r in 0..n {
        if size.is_null(r) {
            out.push(String::new());
            continue;
        }
        let v = size.value(r);
        let p = precision.filter(|a| !a.is_null(r)).map_or(0, |a| a.value(r)).clamp(0, 15) as usize;
        let wanted = units.filter(|a| !a.is_null(r)).map(|a| a.value(r)).filter(|u| !u.is_empty());
        let unit = match wanted {
            Some(u) => match UNITS.iter().position(|x| x.eq_ignore_ascii_case(u)) {
                Some(i) => i,
                None => {
                    return Err(datafusion::error::DataFusionError::Execution(format!(
                        "format_bytes: units '{u}' is not one of {}",
                        UNITS.join(", ")
                    )))
                }
            },
            None => {
                let mut i = 0;
                while i + 1 < UNITS.len() && v.abs() >= 1024f64.powi(i as i32 + 1) {
                    i += 1;
                }
                i
            }
        };
        let scaled = v / 1024f64.powi(unit as i32);
        let mut text = format!("{scaled:.p$}");
        if text.contains('.') {
            text = text.trim_end_matches('0').trim_end_matches('.').to_string();
        }
        out.push(format!("{text} {}", UNITS.get(unit).copied().unwrap_or("Bytes")));
    }
    Ok(Arc::new(StringArray::from(out)) as ArrayRef)
}

/// `extract_all` and its deprecated alias `extractall`.
const EXTRACT_ALL_SIGS: &[Sig] =
    &[sig(&[P::Str, P::Str], Ret::T(KqlType::Dynamic)), sig(&[P::Str, P::Dyn, P::Str], Ret::T(KqlType::Dynamic))];

fn extract_all(_c: &LowerCtx, args: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let mut exprs: Vec<Expr> = args.into_iter().map(|a| a.expr).collect();
    if exprs.len() == 2 {
        exprs.insert(1, lit(""));
    }
    Ok((Udf::ExtractAll.call(exprs), KqlType::Dynamic))
}

fn extract(c: &LowerCtx, args: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let exprs: Vec<Expr> = args.iter().take(3).map(|a| a.expr.clone()).collect();
    let raw = Udf::Extract.call(exprs);
    // extract(re, g, s, typeof(T)): the match converted to T; a failed conversion is null
    if let Some(t) = args.get(3) {
        let name = super::require_const_str(t, "the result type")?;
        let ty = KqlType::parse(&name).ok_or_else(|| BindError::InvalidArgument {
            message: format!("'{name}' is not a Kusto type"),
            span: t.span.into(),
            help: None,
        })?;
        if ty != S {
            return Ok((super::convert_to(Arg { expr: raw, ty: S, span: c.span }, ty).expr, ty));
        }
    }
    Ok((datafusion::functions::core::expr_fn::coalesce(vec![raw, lit("")]), S))
}

/// `substring(s, start[, length])`: 0-based, in characters; negative start counts from the end.
pub(in crate::functions) fn substring_body(arrays: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    let s = arg::<StringArray>(arrays, 0, "substring")?;
    let st = arg::<Int64Array>(arrays, 1, "substring")?;
    let len = arrays.get(2).and_then(|a| a.as_any().downcast_ref::<Int64Array>());
    let out: StringArray = (0..n)
        .map(|r| {
            if s.is_null(r) || st.is_null(r) {
                return Some(String::new());
            }
            let chars: Vec<char> = s.value(r).chars().collect();
            let total = chars.len() as i64;
            let mut start = st.value(r);
            if start < 0 {
                start = (total + start).max(0);
            }
            let start = start.min(total);
            let end = match len {
                Some(l) if !l.is_null(r) => (start + l.value(r).max(0)).min(total),
                _ => total,
            };
            Some(chars.get(start as usize..end as usize).map(|c| c.iter().collect()).unwrap_or_default())
        })
        .collect();
    Ok(Arc::new(out) as ArrayRef)
}

/// `indexof(s, m[, start[, length[, occurrence]]])` (indexof-function): the 0-based character index of the
/// `occurrence`-th match, each searched in a window of `length` characters (-1: to the end) from `start`,
/// the next search starting one past the previous match; -1 when absent; null for invalid arguments.
pub fn index_of(hay: &str, needle: &str, start: i64, length: i64, occurrence: i64) -> Option<i64> {
    if start < 0 || length < -1 || occurrence < 0 {
        return None;
    }
    let h: Vec<char> = hay.chars().collect();
    let m: Vec<char> = needle.chars().collect();
    let mut from = start as usize;
    let mut found = -1i64;
    for _ in 0..occurrence.max(1) {
        if from > h.len() {
            return Some(-1);
        }
        let end = if length < 0 { h.len() } else { (from + length as usize).min(h.len()) };
        let window = h.get(from..end).unwrap_or(&[]);
        let hit = if m.is_empty() { Some(0) } else { window.windows(m.len()).position(|w| w == m.as_slice()) };
        match hit {
            Some(p) => {
                found = (from + p) as i64;
                from = from + p + 1;
            }
            None => return Some(-1),
        }
    }
    Some(found)
}

pub(in crate::functions) fn indexof_body(arrays: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    let s = arg::<StringArray>(arrays, 0, "indexof")?;
    let m = arg::<StringArray>(arrays, 1, "indexof")?;
    let num = |i: usize| arrays.get(i).and_then(|a| a.as_any().downcast_ref::<Int64Array>());
    let (st, len, occ) = (num(2), num(3), num(4));
    let val = |a: Option<&Int64Array>, r: usize, d: i64| match a {
        Some(a) if a.is_null(r) => None,
        Some(a) => Some(a.value(r)),
        None => Some(d),
    };
    let out: Int64Array = (0..n)
        .map(|r| {
            if s.is_null(r) || m.is_null(r) {
                return None;
            }
            index_of(s.value(r), m.value(r), val(st, r, 0)?, val(len, r, -1)?, val(occ, r, 1)?)
        })
        .collect();
    Ok(Arc::new(out) as ArrayRef)
}

fn indexof(_: &LowerCtx, args: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let exprs: Vec<Expr> = args
        .into_iter()
        .enumerate()
        .map(|(i, a)| if i < 2 { super::convert_to(a, S).expr } else { super::convert_to(a, KqlType::Long).expr })
        .collect();
    Ok((Udf::IndexOf.call(exprs), KqlType::Long))
}

/// `trim(regex, s)`, `trim_start`, `trim_end`: removes leading/trailing matches of a regex (trim-function).
pub(in crate::functions) fn trim_body(arrays: &[ArrayRef], n: usize, start: bool, end: bool) -> DfResult<ArrayRef> {
    let re = arg::<StringArray>(arrays, 0, "trim")?;
    let s = arg::<StringArray>(arrays, 1, "trim")?;
    let mut c1 = None;
    let mut c2 = None;
    let mut out = Vec::with_capacity(n);
    for r in 0..n {
        if re.is_null(r) || s.is_null(r) {
            out.push(Some(String::new()));
            continue;
        }
        let p = re.value(r);
        let mut v = s.value(r).to_string();
        if start {
            let rx = cached_regex(&mut c1, &format!("^(?:{p})+"))?;
            v = rx.replace(&v, "").into_owned();
        }
        if end {
            let rx = cached_regex(&mut c2, &format!("(?:{p})+$"))?;
            v = rx.replace(&v, "").into_owned();
        }
        out.push(Some(v));
    }
    Ok(Arc::new(StringArray::from(out)) as ArrayRef)
}

/// `replace_regex(s, re, rewrite)` with `\1` group references (replace-regex-function).
pub(in crate::functions) fn replace_regex_body(arrays: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    let s = arg::<StringArray>(arrays, 0, "replace_regex")?;
    let re = arg::<StringArray>(arrays, 1, "replace_regex")?;
    let rw = arg::<StringArray>(arrays, 2, "replace_regex")?;
    let mut cache = None;
    let group_ref =
        regex::Regex::new(r"\\(\d)").map_err(|e| datafusion::error::DataFusionError::Internal(e.to_string()))?;
    let mut out = Vec::with_capacity(n);
    for r in 0..n {
        if s.is_null(r) || re.is_null(r) || rw.is_null(r) {
            out.push(Some(String::new()));
            continue;
        }
        let rx = cached_regex(&mut cache, re.value(r))?;
        let rewrite = group_ref.replace_all(rw.value(r), "$${$1}").into_owned();
        out.push(Some(rx.replace_all(s.value(r), rewrite.as_str()).into_owned()));
    }
    Ok(Arc::new(StringArray::from(out)) as ArrayRef)
}

/// `countof(source, search [, kind])`: occurrences of `search` in `source`; plain matches may overlap
/// (`countof("aaaa", "aa")` is 3), regex matches do not (countof-function). An empty search counts 0.
pub(in crate::functions) fn countof_body(arrays: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    let s = arg::<StringArray>(arrays, 0, "countof")?;
    let search = arg::<StringArray>(arrays, 1, "countof")?;
    let kind = arrays.get(2).and_then(|a| a.as_any().downcast_ref::<StringArray>());
    let mut cache = None;
    let mut out = Vec::with_capacity(n);
    for r in 0..n {
        let text = if s.is_null(r) { "" } else { s.value(r) };
        let needle = if search.is_null(r) { "" } else { search.value(r) };
        let regex = match kind.filter(|k| !k.is_null(r)).map(|k| k.value(r)) {
            None | Some("normal") => false,
            Some("regex") => true,
            Some(other) => {
                return Err(datafusion::error::DataFusionError::Execution(format!(
                    "countof: kind is 'normal' or 'regex', not '{other}'"
                )))
            }
        };
        let count = if needle.is_empty() {
            0
        } else if regex {
            cached_regex(&mut cache, needle)?.find_iter(text).count()
        } else {
            // every start position, overlapping: step one character past each match's start
            let mut count = 0;
            let mut from = 0;
            while let Some(at) = text.get(from..).and_then(|t| t.find(needle)) {
                count += 1;
                let start = from + at;
                from = start + text.get(start..).and_then(|t| t.chars().next()).map_or(1, char::len_utf8);
            }
            count
        };
        out.push(i64::try_from(count).unwrap_or(i64::MAX));
    }
    Ok(Arc::new(datafusion::arrow::array::Int64Array::from(out)) as ArrayRef)
}

fn replace_string(a: Vec<Expr>) -> Expr {
    let mut it = a.into_iter();
    let (s, f, t) = (it.next().unwrap_or(lit("")), it.next().unwrap_or(lit("")), it.next().unwrap_or(lit("")));
    sf::replace(s, f, t)
}

pub(super) const STRING: &[FunctionDef] = &[
    FunctionDef {
        name: "strlen",
        sigs: &[sig(&[P::Str], Ret::T(KqlType::Long))],
        lower: Lower::Df(strlen),
        naming: Naming::Prefixed,
    },
    FunctionDef {
        name: "tolower",
        sigs: &[sig(&[P::Str], Ret::T(S))],
        lower: Lower::Df(tolower),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "toupper",
        sigs: &[sig(&[P::Str], Ret::T(S))],
        lower: Lower::Df(toupper),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "strcat",
        sigs: &[sig_var(&[], P::Any, 1, 64, Ret::T(S))],
        lower: Lower::Custom(strcat),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "strcat_delim",
        sigs: &[sig_var(&[P::Str], P::Any, 3, 65, Ret::T(S))],
        lower: Lower::Custom(strcat_delim),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "substring",
        sigs: &[sig_opt(&[P::Str, P::Long, P::Long], 1, Ret::T(S))],
        lower: Lower::Udf(Udf::Substring),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "indexof",
        sigs: &[sig_opt(&[P::Any, P::Any, P::Long, P::Long, P::Long], 3, Ret::T(KqlType::Long))],
        lower: Lower::Custom(indexof),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "replace_string",
        sigs: &[sig(&[P::Str, P::Str, P::Str], Ret::T(S))],
        lower: Lower::Df(replace_string),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "translate",
        sigs: &[sig(&[P::Str, P::Str, P::Str], Ret::T(S))],
        lower: Lower::Udf(Udf::Translate),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "indexof_regex",
        sigs: &[sig_opt(&[P::Str, P::Str, P::Long], 1, Ret::T(KqlType::Long))],
        lower: Lower::Udf(Udf::IndexOfRegex),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "parse_path",
        sigs: &[sig(&[P::Str], Ret::T(KqlType::Dynamic))],
        lower: Lower::Udf(Udf::ParsePath),
        naming: Naming::Generated,
    },
    // replace(regex, rewrite, text): the deprecated form of replace_regex(text, regex, rewrite)
    FunctionDef {
        name: "replace",
        sigs: &[sig(&[P::Str, P::Str, P::Str], Ret::T(S))],
        lower: Lower::Df(|a| {
            let mut it = a.into_iter();
            let (re, rewrite, text) = (it.next(), it.next(), it.next());
            Udf::ReplaceRegex.call(vec![text, re, rewrite].into_iter().flatten().collect())
        }),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "replace_regex",
        sigs: &[sig(&[P::Str, P::Str, P::Str], Ret::T(S))],
        lower: Lower::Udf(Udf::ReplaceRegex),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "format_bytes",
        sigs: &[sig_opt(&[P::Real, P::Long, P::Str], 2, Ret::T(KqlType::String))],
        lower: Lower::Udf(Udf::FormatBytes),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "countof",
        sigs: &[sig_opt(&[P::Str, P::Str, P::Str], 1, Ret::T(KqlType::Long))],
        lower: Lower::Udf(Udf::Countof),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "trim",
        sigs: &[sig(&[P::Str, P::Str], Ret::T(S))],
        lower: Lower::Udf(Udf::Trim),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "trim_start",
        sigs: &[sig(&[P::Str, P::Str], Ret::T(S))],
        lower: Lower::Udf(Udf::TrimStart),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "trim_end",
        sigs: &[sig(&[P::Str, P::Str], Ret::T(S))],
        lower: Lower::Udf(Udf::TrimEnd),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "extract",
        sigs: &[sig(&[P::Str, P::Long, P::Str], Ret::T(S)), sig(&[P::Str, P::Long, P::Str, P::Any], Ret::T(S))],
        lower: Lower::Custom(extract),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "extract_all",
        sigs: EXTRACT_ALL_SIGS,
        lower: Lower::Custom(extract_all),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "extractall",
        sigs: EXTRACT_ALL_SIGS,
        lower: Lower::Custom(extract_all),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "isempty",
        sigs: &[sig(&[P::Any], Ret::T(KqlType::Bool))],
        lower: Lower::Custom(isempty),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "isnotempty",
        sigs: &[sig(&[P::Any], Ret::T(KqlType::Bool))],
        lower: Lower::Custom(isnotempty),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "notempty",
        sigs: &[sig(&[P::Any], Ret::T(KqlType::Bool))],
        lower: Lower::Custom(isnotempty),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "isnull",
        sigs: &[sig(&[P::Any], Ret::T(KqlType::Bool))],
        lower: Lower::Custom(isnull),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "isnotnull",
        sigs: &[sig(&[P::Any], Ret::T(KqlType::Bool))],
        lower: Lower::Custom(isnotnull),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "not",
        sigs: &[sig(&[P::Bool], Ret::T(KqlType::Bool))],
        lower: Lower::Df(not),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "iff",
        sigs: &[sig(&[P::Bool, P::Any, P::Any], Ret::T(S))],
        lower: Lower::Custom(iff),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "iif",
        sigs: &[sig(&[P::Bool, P::Any, P::Any], Ret::T(S))],
        lower: Lower::Custom(iff),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "case",
        sigs: &[sig_var(&[], P::Any, 3, 4096, Ret::T(S))],
        lower: Lower::Custom(case),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "coalesce",
        sigs: &[sig_var(&[], P::Any, 1, 64, Ret::T(S))],
        lower: Lower::Custom(coalesce),
        naming: Naming::Generated,
    },
];
