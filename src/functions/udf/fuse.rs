//! Fused calls: a UDF whose argument is the result of another, where the pair would pass a whole column of JSON
//! text between them, becomes one UDF that computes the same from the inner call's arguments. The rules are
//! `Spec::fuses` rows of the registry, run by DataFusion's expression simplifier once the binder's projections
//! are merged (so `extend a = split(s, " ") | mv-expand a` is seen as one expression).
//!
//! - `tostring(d.k)`, `tostring(d[i])` → `kql_dynamic_get_text`, `kql_dynamic_index_text`: the member is
//!   written as its string, not as JSON text that tostring then unquotes.
//! - `mv-expand split(s, d)` → `kql_split_expand[_text]`: the parts become the list, without the array's text.
//! - `mv-expand parse_json(s)` → `kql_mv_expand_parse[_text]`: the string is expanded as parse_json would read
//!   it, without a copy of it as a dynamic column.
//!
//! Each fused UDF has a unit test that it equals the pair, and the conformance cases run through both.

use super::Udf;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::Expr;

/// The arguments of `e` when it is a call of `u`.
fn call_of(e: &Expr, u: Udf) -> Option<&[Expr]> {
    match e {
        Expr::ScalarFunction(f) if f.func.name() == u.name() => Some(&f.args),
        _ => None,
    }
}

/// `kql_tostring('dynamic', kql_dynamic_get(d, k))` → `kql_dynamic_get_text(d, k)`; the same for an index.
pub fn tostring(args: &[Expr]) -> Option<Expr> {
    let [Expr::Literal(ScalarValue::Utf8(Some(code)), _), inner] = args else { return None };
    if code != "dynamic" {
        return None;
    }
    if let Some(a) = call_of(inner, Udf::DynamicGet) {
        return Some(Udf::DynamicGetText.call(a.to_vec()));
    }
    call_of(inner, Udf::DynamicIndex).map(|a| Udf::DynamicIndexText.call(a.to_vec()))
}

/// `kql_mv_expand(split(s, d) | parse_json(s), as_pairs, limit)` → the fused expansion.
pub fn mv_expand(args: &[Expr]) -> Option<Expr> {
    expand(args, Udf::SplitExpand, Udf::MvExpandParse)
}

/// `kql_mv_expand_text(split(s, d) | parse_json(s), as_pairs, limit)` → the fused expansion.
pub fn mv_expand_text(args: &[Expr]) -> Option<Expr> {
    expand(args, Udf::SplitExpandText, Udf::MvExpandParseText)
}

fn expand(args: &[Expr], split: Udf, parse: Udf) -> Option<Expr> {
    let [value, pairs, limit] = args else { return None };
    if let Some([s, d]) = call_of(value, Udf::Split) {
        // an array has no entries to expand as pairs: as_pairs does not apply
        return Some(split.call(vec![s.clone(), d.clone(), limit.clone()]));
    }
    let [s] = call_of(value, Udf::ParseJson)? else { return None };
    Some(parse.call(vec![s.clone(), pairs.clone(), limit.clone()]))
}
