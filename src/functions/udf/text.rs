//! UDF bodies of string and array helpers the wider hunting packs call: translate, indexof_regex,
//! array_slice, jaccard_index, parse_path (their doc pages are named at each).

use super::{arg, row, Result};
use datafusion::arrow::array::{Array, ArrayRef, Float64Array, Int64Array, StringArray, StringBuilder};
use serde_json::{json, Value};
use std::sync::Arc;

/// `translate(searchList, replacementList, source)`: each character of searchList is replaced by the
/// character at the same position of replacementList (its last character when it is shorter; removed when it
/// is empty) (translate-function).
pub fn translate(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let (from, to, src) = (
        arg::<StringArray>(a, 0, "translate")?,
        arg::<StringArray>(a, 1, "translate")?,
        arg::<StringArray>(a, 2, "translate")?,
    );
    let mut out = StringBuilder::new();
    for r in 0..n {
        let (i, j, k) = (row(from, r), row(to, r), row(src, r));
        let f: Vec<char> = if from.is_null(i) { vec![] } else { from.value(i).chars().collect() };
        let t: Vec<char> = if to.is_null(j) { vec![] } else { to.value(j).chars().collect() };
        let s = if src.is_null(k) { "" } else { src.value(k) };
        let mapped: String = s
            .chars()
            .filter_map(|c| match f.iter().position(|x| *x == c) {
                Some(p) => t.get(p).or(t.last()).copied(),
                None => Some(c),
            })
            .collect();
        out.append_value(mapped);
    }
    Ok(Arc::new(out.finish()) as ArrayRef)
}

/// `indexof_regex(source, regex[, start])`: the character position of the first match at or after start,
/// -1 when there is none (indexof-regex-function).
pub fn indexof_regex(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let src = arg::<StringArray>(a, 0, "indexof_regex")?;
    let re = arg::<StringArray>(a, 1, "indexof_regex")?;
    let start = a.get(2).and_then(|x| x.as_any().downcast_ref::<Int64Array>());
    let mut cache: Option<(String, Option<regex::Regex>)> = None;
    let mut out = Vec::with_capacity(n);
    for r in 0..n {
        let (i, j) = (row(src, r), row(re, r));
        if src.is_null(i) || re.is_null(j) {
            out.push(None);
            continue;
        }
        let pattern = re.value(j);
        if cache.as_ref().is_none_or(|(p, _)| p != pattern) {
            cache = Some((pattern.to_string(), regex::Regex::new(pattern).ok()));
        }
        let Some((_, Some(rx))) = &cache else {
            out.push(None);
            continue;
        };
        let s = src.value(i);
        let from_char = start.map(|st| st.value(row(st, r)).max(0) as usize).unwrap_or(0);
        let from_byte = s.char_indices().nth(from_char).map_or(s.len(), |(b, _)| b);
        out.push(Some(match rx.find_at(s, from_byte) {
            Some(m) => s.get(..m.start()).map_or(0, |p| p.chars().count()) as i64,
            None => -1,
        }));
    }
    Ok(Arc::new(Int64Array::from(out)) as ArrayRef)
}

fn json_array(a: &StringArray, r: usize) -> Option<Vec<Value>> {
    let k = row(a, r);
    if a.is_null(k) {
        return None;
    }
    match serde_json::from_str::<Value>(a.value(k)) {
        Ok(Value::Array(v)) => Some(v),
        _ => None,
    }
}

/// `array_slice(array, start, end)`: elements start..=end; negative indexes count from the end; out of range
/// gives `[]` (array-slice-function).
pub fn array_slice(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let arr = arg::<StringArray>(a, 0, "array_slice")?;
    let (s, e) = (arg::<Int64Array>(a, 1, "array_slice")?, arg::<Int64Array>(a, 2, "array_slice")?);
    let mut out = StringBuilder::new();
    for r in 0..n {
        let (Some(items), i, j) = (json_array(arr, r), row(s, r), row(e, r)) else {
            out.append_null();
            continue;
        };
        if s.is_null(i) || e.is_null(j) {
            out.append_null();
            continue;
        }
        let len = items.len() as i64;
        let fix = |x: i64| if x < 0 { x + len } else { x };
        let (lo, hi) = (fix(s.value(i)).max(0), fix(e.value(j)).min(len - 1));
        let slice: Vec<Value> =
            if lo > hi { vec![] } else { items.into_iter().skip(lo as usize).take((hi - lo + 1) as usize).collect() };
        out.append_value(Value::Array(slice).to_string());
    }
    Ok(Arc::new(out.finish()) as ArrayRef)
}

/// `jaccard_index(set1, set2)`: |distinct common| / |distinct union|; two empty sets give NaN
/// (jaccard-index-function).
pub fn jaccard_index(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let (x, y) = (arg::<StringArray>(a, 0, "jaccard_index")?, arg::<StringArray>(a, 1, "jaccard_index")?);
    let mut out = Vec::with_capacity(n);
    for r in 0..n {
        let (Some(p), Some(q)) = (json_array(x, r), json_array(y, r)) else {
            out.push(None);
            continue;
        };
        let p: std::collections::HashSet<String> = p.iter().map(|v| v.to_string()).collect();
        let q: std::collections::HashSet<String> = q.iter().map(|v| v.to_string()).collect();
        let union = p.union(&q).count();
        out.push(Some(if union == 0 { f64::NAN } else { p.intersection(&q).count() as f64 / union as f64 }));
    }
    Ok(Arc::new(Float64Array::from(out)) as ArrayRef)
}

/// `parse_path(path)`: a bag of Scheme, RootPath, DirectoryPath, DirectoryName, Filename, Extension and
/// AlternateDataStreamName for a Windows, UNC, Unix or URL path (parse-path-function).
pub fn parse_path(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let p = arg::<StringArray>(a, 0, "parse_path")?;
    let mut out = StringBuilder::new();
    for r in 0..n {
        let s = if p.is_null(r) { "" } else { p.value(r) };
        out.append_value(path_bag(s).to_string());
    }
    Ok(Arc::new(out.finish()) as ArrayRef)
}

fn path_bag(s: &str) -> Value {
    let (scheme, rest) = match s.find("://") {
        Some(i) => (s.get(..i).unwrap_or(""), s.get(i + 3..).unwrap_or("")),
        None => ("", s),
    };
    let sep = if rest.contains('\\') { '\\' } else { '/' };
    let (dir, file) = match rest.rfind(sep) {
        Some(i) => (rest.get(..i).unwrap_or(""), rest.get(i + 1..).unwrap_or("")),
        None => ("", rest),
    };
    let root = if scheme.is_empty() {
        let b = rest.as_bytes();
        if b.len() >= 2 && b.get(1) == Some(&b':') {
            rest.get(..2).unwrap_or("").to_string()
        } else if rest.starts_with("\\\\") {
            rest.get(2..).and_then(|x| x.split('\\').next()).map(|h| format!("\\\\{h}")).unwrap_or_default()
        } else {
            String::new()
        }
    } else {
        rest.split('/').next().unwrap_or("").to_string()
    };
    let (file, stream) = match file.split_once(':') {
        Some((f, st)) => (f, st),
        None => (file, ""),
    };
    let ext = file.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let dir_name = dir.rsplit(sep).next().unwrap_or("");
    json!({"Scheme": scheme, "RootPath": root, "DirectoryPath": dir, "DirectoryName": dir_name,
        "Filename": file, "Extension": ext, "AlternateDataStreamName": stream})
}

/// Splits `text` on `delim` outside quotes (any character of `quotes` opens and closes a quoted run; `escape`
/// keeps the next character as it is).
fn split_outside_quotes(text: &str, delim: &str, quotes: &str, escape: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut open: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if !escape.is_empty() && escape.contains(c) {
            cur.push(c);
            if let Some((_, n)) = chars.next() {
                cur.push(n);
            }
            continue;
        }
        match open {
            Some(q) if c == q => {
                open = None;
                cur.push(c);
            }
            Some(_) => cur.push(c),
            None if quotes.contains(c) => {
                open = Some(c);
                cur.push(c);
            }
            None if !delim.is_empty() && text.get(i..).is_some_and(|r| r.starts_with(delim)) => {
                out.push(std::mem::take(&mut cur));
                for _ in 1..delim.chars().count() {
                    chars.next();
                }
            }
            None => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// A value without its surrounding quotes.
fn unquote(v: &str, quotes: &str) -> String {
    let v = v.trim();
    let mut cs = v.chars();
    match (cs.next(), v.chars().next_back()) {
        (Some(a), Some(b)) if v.chars().count() >= 2 && a == b && quotes.contains(a) => {
            v.get(a.len_utf8()..v.len() - b.len_utf8()).unwrap_or("").to_string()
        }
        _ => v.to_string(),
    }
}

/// The value of `key` in a `k=v k2="v 2"` text (parse-kv-operator, specified-delimiter mode): pairs are
/// split on the pair delimiter outside quotes, each at its first key/value delimiter; keys compare exactly.
pub fn parse_kv_value(text: &str, key: &str, pair: &str, kv: &str, quotes: &str, escape: &str) -> Option<String> {
    for p in split_outside_quotes(text, pair, quotes, escape) {
        let Some(at) = p.find(kv) else { continue };
        let (k, v) = (p.get(..at).unwrap_or(""), p.get(at + kv.len()..).unwrap_or(""));
        if unquote(k, quotes) == key {
            return Some(unquote(v, quotes));
        }
    }
    None
}

/// `kql_parse_kv(text, key, options)`: the key's value as a string ("" when absent). Broadcast.
pub fn parse_kv(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let (text, key, opts) = (
        arg::<StringArray>(a, 0, "parse-kv")?,
        arg::<StringArray>(a, 1, "parse-kv")?,
        arg::<StringArray>(a, 2, "parse-kv")?,
    );
    let o: Value = serde_json::from_str(if opts.is_empty() || opts.is_null(0) { "{}" } else { opts.value(0) })
        .unwrap_or(Value::Null);
    let get = |k: &str| o.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    let (pair, kv, quotes, escape) = (get("pair"), get("kv"), get("quote"), get("escape"));
    let mut out = StringBuilder::new();
    for r in 0..n {
        let (i, j) = (row(text, r), row(key, r));
        let v = if text.is_null(i) || key.is_null(j) {
            None
        } else {
            parse_kv_value(text.value(i), key.value(j), &pair, &kv, &quotes, &escape)
        };
        out.append_value(v.unwrap_or_default());
    }
    Ok(Arc::new(out.finish()) as ArrayRef)
}
