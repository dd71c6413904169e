//! UDF bodies of string and array helpers the wider hunting packs call: translate, indexof_regex,
//! array_slice, jaccard_index, parse_path, and of two operators' helpers: parse-kv's extraction and
//! partition's 64-value check (their doc pages are named at each).

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
    let mut cache: Option<(String, Option<std::rc::Rc<regex::Regex>>)> = None;
    let mut out = Vec::with_capacity(n);
    for r in 0..n {
        let (i, j) = (row(src, r), row(re, r));
        if src.is_null(i) || re.is_null(j) {
            out.push(None);
            continue;
        }
        let pattern = re.value(j);
        if cache.as_ref().is_none_or(|(p, _)| p != pattern) {
            cache = Some((pattern.to_string(), super::strings::compiled_regex(pattern).ok()));
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

/// How parse-kv finds pairs (parse-kv-operator); the binder passes it as JSON (see [`KvOptions::from_json`]).
enum KvMode {
    /// `pair_delimiter` / `kv_delimiter`: the text splits into pairs, each pair at its first kv delimiter;
    /// greedy: a piece without a kv delimiter belongs to the previous value
    Delimited { pair: String, kv: String, greedy: bool },
    /// no delimiters: words (runs of letters and digits, or quoted text) are keys and values; a listed key
    /// takes the word after it
    Words { keys: Vec<String> },
    /// `regex`: every match's first group is a key, its second the value
    Regex(regex::Regex),
}

/// parse-kv's options: the mode, quote pairs (open, close) and escape characters.
struct KvOptions {
    mode: KvMode,
    quotes: Vec<(char, char)>,
    escapes: Vec<char>,
}

impl KvOptions {
    /// `{"mode": "delimited"|"words"|"regex", "pair", "kv", "greedy", "keys": [...], "regex", "quotes": ["\"",
    /// "()"], "escapes": "\\"}`.
    fn from_json(o: &Value) -> Result<KvOptions> {
        let text = |k: &str| o.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
        let mode = match o.get("mode").and_then(|v| v.as_str()) {
            Some("regex") => KvMode::Regex(regex::Regex::new(&text("regex")).map_err(|e| {
                datafusion::error::DataFusionError::Execution(format!("parse-kv: invalid regular expression: {e}"))
            })?),
            Some("words") => KvMode::Words {
                keys: o
                    .get("keys")
                    .and_then(|v| v.as_array())
                    .map(|a| a.iter().filter_map(|k| k.as_str().map(str::to_string)).collect())
                    .unwrap_or_default(),
            },
            _ => KvMode::Delimited {
                pair: text("pair"),
                kv: text("kv"),
                greedy: o.get("greedy").and_then(|v| v.as_bool()).unwrap_or(false),
            },
        };
        let quotes = o
            .get("quotes")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|q| q.as_str())
                    .filter_map(|q| {
                        let mut cs = q.chars();
                        let open = cs.next()?;
                        Some((open, cs.next().unwrap_or(open)))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(KvOptions { mode, quotes, escapes: text("escapes").chars().collect() })
    }

    /// The closing quote of a quoted run `c` opens.
    fn closing(&self, c: char) -> Option<char> {
        self.quotes.iter().find(|(o, _)| *o == c).map(|(_, cl)| *cl)
    }

    /// The byte offsets of `delim` in `text` outside quoted runs (an escape character inside a quoted run keeps
    /// the next character in it).
    fn delimiters(&self, text: &str, delim: &str) -> Vec<usize> {
        let mut out = Vec::new();
        if delim.is_empty() {
            return out;
        }
        let mut close: Option<char> = None;
        let mut chars = text.char_indices();
        while let Some((i, c)) = chars.next() {
            match close {
                Some(_) if self.escapes.contains(&c) => {
                    chars.next();
                }
                Some(q) if c == q => close = None,
                Some(_) => {}
                None => match self.closing(c) {
                    Some(q) => close = Some(q),
                    None if text.get(i..).is_some_and(|r| r.starts_with(delim)) => {
                        out.push(i);
                        for _ in 1..delim.chars().count() {
                            chars.next();
                        }
                    }
                    None => {}
                },
            }
        }
        out
    }

    /// A quoted run's text from just after its opening quote: the text up to the closing quote with escapes
    /// resolved, and the rest after the closing quote (None when it is not closed).
    fn quoted<'t>(&self, text: &'t str, close: char) -> (String, Option<&'t str>) {
        let mut out = String::new();
        let mut chars = text.char_indices();
        while let Some((i, c)) = chars.next() {
            if self.escapes.contains(&c) {
                if let Some((_, n)) = chars.next() {
                    out.push(n);
                }
            } else if c == close {
                return (out, text.get(i + c.len_utf8()..));
            } else {
                out.push(c);
            }
        }
        (out, None)
    }

    /// A key or value without surrounding white space, and without its quotes when it is quoted as a whole.
    fn clean(&self, v: &str) -> String {
        let v = v.trim();
        let mut cs = v.chars();
        if let Some(close) = cs.next().and_then(|c| self.closing(c)) {
            if let (inner, Some("")) = self.quoted(cs.as_str(), close) {
                return inner;
            }
        }
        v.to_string()
    }

    /// The words of a text without delimiters: runs of letters and digits, and quoted runs.
    fn words(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            let after = rest.get(c.len_utf8()..).unwrap_or("");
            if let Some(close) = self.closing(c) {
                let (word, tail) = self.quoted(after, close);
                out.push(word);
                rest = tail.unwrap_or("");
            } else if c.is_alphanumeric() {
                let end = rest.find(|x: char| !x.is_alphanumeric()).unwrap_or(rest.len());
                out.push(rest.get(..end).unwrap_or("").to_string());
                rest = rest.get(end..).unwrap_or("");
            } else {
                rest = after;
            }
        }
        out
    }

    /// The value of the first appearance of `key` in `text` (parse-kv-operator), None when it has none.
    fn value(&self, text: &str, key: &str) -> Option<String> {
        match &self.mode {
            KvMode::Regex(rx) => rx.captures_iter(text).find_map(|c| {
                let k = c.get(1).map_or("", |m| m.as_str()).trim();
                (k == key).then(|| c.get(2).map_or("", |m| m.as_str()).trim().to_string())
            }),
            KvMode::Words { keys } => {
                let words = self.words(text);
                let mut i = 0;
                while let (Some(k), Some(v)) = (words.get(i), words.get(i + 1)) {
                    if k == key {
                        return Some(v.clone());
                    }
                    i += if keys.contains(k) { 2 } else { 1 };
                }
                None
            }
            KvMode::Delimited { pair, kv, greedy } => {
                let mut cuts = self.delimiters(text, pair);
                cuts.push(text.len());
                let mut pairs: Vec<(&str, String)> = Vec::new();
                let mut start = 0;
                for end in cuts {
                    let piece = text.get(start..end).unwrap_or("");
                    start = end + pair.len();
                    match self.delimiters(piece, kv).first() {
                        Some(&at) => pairs.push((
                            piece.get(..at).unwrap_or(""),
                            piece.get(at + kv.len()..).unwrap_or("").to_string(),
                        )),
                        None if *greedy => {
                            if let Some((_, v)) = pairs.last_mut() {
                                v.push_str(pair);
                                v.push_str(piece);
                            }
                        }
                        None => {}
                    }
                }
                pairs.into_iter().find(|(k, _)| self.clean(k) == key).map(|(_, v)| self.clean(&v))
            }
        }
    }
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
    let o = KvOptions::from_json(&o)?;
    let mut out = StringBuilder::new();
    for r in 0..n {
        let (i, j) = (row(text, r), row(key, r));
        let v = if text.is_null(i) || key.is_null(j) { None } else { o.value(text.value(i), key.value(j)) };
        out.append_value(v.unwrap_or_default());
    }
    Ok(Arc::new(out.finish()) as ArrayRef)
}

/// `kql_partition_limit(values, key)`: true, or an execution error when `values` (the number of distinct
/// values of partition's key column `key`) is over 64, the legacy strategy's limit (partition-operator).
/// Broadcast.
pub fn partition_limit(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let (count, key) = (arg::<Int64Array>(a, 0, "partition")?, arg::<StringArray>(a, 1, "partition")?);
    // every value given, also a constant's one when there are no rows
    for i in 0..count.len() {
        let j = row(key, i);
        if count.is_valid(i) && count.value(i) > 64 {
            return Err(datafusion::error::DataFusionError::Execution(format!(
                "partition: more than 64 distinct values of {} ({}) with the legacy strategy; use \
                 hint.strategy=native or shuffle",
                if key.is_null(j) { "the key" } else { key.value(j) },
                count.value(i)
            )));
        }
    }
    Ok(Arc::new(datafusion::arrow::array::BooleanArray::from(vec![true; n])) as ArrayRef)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(options: Value, text: &str, key: &str) -> Option<String> {
        KvOptions::from_json(&options).ok()?.value(text, key)
    }

    #[test]
    fn delimited_pairs_with_quotes_escapes_and_greedy() {
        let o = json!({"pair": " ", "kv": "=", "quotes": ["()"]});
        assert_eq!(value(o.clone(), "a=(x y) (b c)=(1 2)", "b c").as_deref(), Some("1 2"));
        assert_eq!(value(o, "a=(x y) (b c)=(1 2)", "a").as_deref(), Some("x y"));
        let o = json!({"pair": " ", "kv": "=", "quotes": ["\""], "escapes": "\\"});
        assert_eq!(value(o, r#"f="say \"hi\"" g=1"#, "f").as_deref(), Some(r#"say "hi""#));
        let o = json!({"pair": " ", "kv": "=", "greedy": true});
        assert_eq!(value(o, "name=John Doe phone=555", "name").as_deref(), Some("John Doe"));
        let o = json!({"pair": " ", "kv": "="});
        assert_eq!(value(o.clone(), "name=John Doe phone=555", "name").as_deref(), Some("John"));
        assert_eq!(value(o, "a=1 a=2", "a").as_deref(), Some("1"));
    }

    #[test]
    fn words_and_regex() {
        let o = json!({"mode": "words", "keys": ["a", "b"]});
        assert_eq!(value(o.clone(), "a=b, b=c", "b").as_deref(), Some("c"));
        assert_eq!(value(o, "x a", "a"), None);
        let o = json!({"mode": "regex", "regex": r"(\w+)=(\w*)"});
        assert_eq!(value(o.clone(), "a=1;b=;a=3", "a").as_deref(), Some("1"));
        assert_eq!(value(o.clone(), "a=1;b=;a=3", "b").as_deref(), Some(""));
        assert_eq!(value(o, "nothing", "a"), None);
    }
}
