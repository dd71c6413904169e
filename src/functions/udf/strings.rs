//! String predicates with Kusto's rules: `has` matches whole terms (maximal alphanumeric runs),
//! case-insensitive unless `_cs`; `contains`/`startswith`/`endswith` likewise (datatypes-string-operators).

use super::{any_arg, arg, row, TypeCodes};
use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, StringArray};
use datafusion::common::Result;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    Has,
    HasPrefix,
    HasSuffix,
    Contains,
    StartsWith,
    EndsWith,
}

fn is_term_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Does `hay` contain `needle` as a term match? A needle with delimiters inside must match a substring whose
/// two ends fall on term boundaries (KUSTO-NOTES §3, working assumption). Both already case-folded if needed.
pub fn has_term(hay: &str, needle: &str, kind: Match) -> bool {
    if needle.is_empty() {
        return true;
    }
    let mut start = 0;
    while let Some(pos) = hay.get(start..).and_then(|h| h.find(needle)) {
        let s = start + pos;
        let e = s + needle.len();
        let before = hay.get(..s).and_then(|b| b.chars().next_back());
        let after = hay.get(e..).and_then(|a| a.chars().next());
        let first = needle.chars().next();
        let last = needle.chars().next_back();
        // a boundary is needed only where the needle itself starts/ends with a term character
        let left_ok = !first.is_some_and(is_term_char) || !before.is_some_and(is_term_char);
        let right_ok = !last.is_some_and(is_term_char) || !after.is_some_and(is_term_char);
        let ok = match kind {
            Match::Has => left_ok && right_ok,
            Match::HasPrefix => left_ok,
            Match::HasSuffix => right_ok,
            _ => true,
        };
        if ok {
            return true;
        }
        start = s + hay.get(s..).and_then(|h| h.chars().next()).map_or(1, |c| c.len_utf8());
    }
    false
}

/// One string predicate, case-sensitive or not.
pub fn matches(hay: &str, needle: &str, kind: Match, cs: bool) -> bool {
    let (h, n);
    let (hay, needle) = if cs {
        (hay, needle)
    } else {
        h = hay.to_lowercase();
        n = needle.to_lowercase();
        (h.as_str(), n.as_str())
    };
    match kind {
        Match::Contains => hay.contains(needle),
        Match::StartsWith => hay.starts_with(needle),
        Match::EndsWith => hay.ends_with(needle),
        Match::Has | Match::HasPrefix | Match::HasSuffix => has_term(hay, needle, kind),
    }
}

/// `(hay: Utf8, needle: Utf8) → Boolean`
pub fn predicate(arrays: &[ArrayRef], n: usize, kind: Match, cs: bool) -> Result<ArrayRef> {
    let hay = arg::<StringArray>(arrays, 0, "string predicate")?;
    let needle = arg::<StringArray>(arrays, 1, "string predicate")?;
    let out: BooleanArray = (0..n)
        .map(|r| {
            if hay.is_null(r) || needle.is_null(r) {
                return Some(false);
            }
            Some(matches(hay.value(r), needle.value(r), kind, cs))
        })
        .collect();
    Ok(Arc::new(out) as ArrayRef)
}

/// `has_any` / `has_all`: `(hay: Utf8, needles: Utf8 JSON array) → Boolean`. Broadcast.
pub fn has_any_all(arrays: &[ArrayRef], n: usize, all: bool) -> Result<ArrayRef> {
    let hay = arg::<StringArray>(arrays, 0, "has_any")?;
    let list = arg::<StringArray>(arrays, 1, "has_any")?;
    let mut cache: Option<(String, Vec<String>)> = None;
    let out: BooleanArray = (0..n)
        .map(|r| {
            let (h_r, l_r) = (row(hay, r), row(list, r));
            if list.is_null(l_r) {
                return Some(false);
            }
            let text = list.value(l_r);
            if cache.as_ref().map(|(t, _)| t.as_str()) != Some(text) {
                cache = Some((text.to_string(), super::dynamic::json_string_items(text)));
            }
            let needles = cache.as_ref().map(|(_, v)| v.as_slice()).unwrap_or(&[]);
            let h = if hay.is_null(h_r) { String::new() } else { hay.value(h_r).to_lowercase() };
            let hit = |nd: &String| has_term(&h, &nd.to_lowercase(), Match::Has);
            Some(if all { needles.iter().all(hit) } else { needles.iter().any(hit) })
        })
        .collect();
    Ok(Arc::new(out) as ArrayRef)
}

/// `matches regex`: `(s, pattern) → Boolean`, patterns compiled once per distinct text.
pub fn regex_match(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let s = arg::<StringArray>(arrays, 0, "matches regex")?;
    let p = arg::<StringArray>(arrays, 1, "matches regex")?;
    let mut cache: Option<(String, regex::Regex)> = None;
    let mut out = Vec::with_capacity(n);
    for r in 0..n {
        if s.is_null(r) || p.is_null(r) {
            out.push(Some(false));
            continue;
        }
        let re = cached_regex(&mut cache, p.value(r))?;
        out.push(Some(re.is_match(s.value(r))));
    }
    Ok(Arc::new(BooleanArray::from(out)) as ArrayRef)
}

pub fn cached_regex<'c>(
    cache: &'c mut Option<(String, regex::Regex)>,
    pattern: &str,
) -> datafusion::common::Result<&'c regex::Regex> {
    if cache.as_ref().map(|(p, _)| p.as_str()) != Some(pattern) {
        let re = regex::Regex::new(pattern).map_err(|e| {
            datafusion::error::DataFusionError::Execution(format!("invalid regular expression '{pattern}': {e}"))
        })?;
        *cache = Some((pattern.to_string(), re));
    }
    match cache {
        Some((_, re)) => Ok(re),
        None => Err(datafusion::error::DataFusionError::Internal("regex cache".into())),
    }
}

/// `in` / `in~` against a set given as a JSON array (a sub-query's make_set): `(type code, value, set) →
/// Boolean`; the value is compared as JSON (strings lower-cased when `ci`). Broadcast.
pub fn set_contains(arrays: &[ArrayRef], n: usize, ci: bool) -> Result<ArrayRef> {
    use serde_json::Value;
    let mut types = TypeCodes::new(arrays, "kql_in")?;
    let v = any_arg(arrays, 1, "kql_in")?;
    let set = arg::<StringArray>(arrays, 2, "kql_in")?;
    let norm = |x: Value| match x {
        Value::String(s) if ci => Value::String(s.to_lowercase()),
        other => other,
    };
    let mut cache: Option<(String, std::collections::HashSet<String>)> = None;
    let mut out = Vec::with_capacity(n);
    for r in 0..n {
        let (vr, sr) = (row(v.as_ref(), r), row(set, r));
        if set.is_null(sr) || v.is_null(vr) {
            out.push(Some(false));
            continue;
        }
        let ty = types.at(r)?.first().copied().unwrap_or(crate::types::KqlType::String);
        let text = set.value(sr);
        if cache.as_ref().map(|(t, _)| t.as_str()) != Some(text) {
            let items: Vec<Value> = serde_json::from_str(text).unwrap_or_default();
            cache = Some((text.to_string(), items.into_iter().map(|x| norm(x).to_string()).collect()));
        }
        let key = norm(crate::values::cell_json(v.as_ref(), vr, ty)).to_string();
        out.push(Some(cache.as_ref().is_some_and(|(_, s)| s.contains(&key))));
    }
    Ok(Arc::new(BooleanArray::from(out)) as ArrayRef)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_is_term_match() {
        let p = r"C:\Windows\System32\cmd.exe";
        assert!(matches(p, "system32", Match::Has, false));
        assert!(!matches(p, "system", Match::Has, false));
        assert!(matches(p, "system", Match::Contains, false));
        assert!(matches(p, "cmd.exe", Match::Has, false));
        assert!(matches("id ab-12", "ab", Match::Has, false));
        assert!(matches("Svchost.exe", "SVC", Match::StartsWith, false));
        assert!(!matches("Svchost.exe", "SVC", Match::StartsWith, true));
        assert!(matches("pwsh -nop -w hidden", "-w", Match::Has, false));
    }
}
