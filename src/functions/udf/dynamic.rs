//! `dynamic` values are JSON text in Utf8 columns. These UDFs access, build and convert them with Kusto's
//! rules: a missing key or index is null, `tostring` of a string is unquoted, invalid JSON in `parse_json`
//! becomes a string value (parse-json-function, dynamic).

use super::{any_arg, arg, row, TypeCodes};
use crate::types::KqlType;
use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, Int64Array, StringArray, StringBuilder};
use datafusion::common::Result;
use serde_json::Value;
use std::sync::Arc;

/// Items of a JSON array as strings (strings unquoted); a non-array value is one item.
pub fn json_string_items(text: &str) -> Vec<String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => items.iter().flat_map(flatten_strings).collect(),
        Ok(v) => flatten_strings(&v),
        Err(_) => vec![text.to_string()],
    }
}

fn flatten_strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a.iter().flat_map(flatten_strings).collect(),
        Value::Null => vec![],
        other => vec![value_to_string(other)],
    }
}

/// Kusto's `tostring` of a dynamic value: strings unquoted, null empty, everything else compact JSON.
pub fn value_to_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `parse_json(text)`: JSON if it parses, else the text as a JSON string; "" → null.
pub fn parse_json_text(text: &str) -> Option<String> {
    if text.is_empty() {
        return None;
    }
    if crate::values::is_canonical_json(text) {
        // what parsing and printing it would give back
        return Some(text.to_string());
    }
    match serde_json::from_str::<Value>(text) {
        Ok(v) => Some(v.to_string()),
        Err(_) => Some(Value::String(text.to_string()).to_string()),
    }
}

/// The property `key` of an object, or the item `index` of an array (negative counts from the end).
fn child<'v>(v: &'v Value, key: Option<&str>, index: Option<i64>) -> Option<&'v Value> {
    match (v, key, index) {
        (Value::Object(m), Some(k), _) => m.get(k),
        (Value::Array(a), _, Some(i)) => {
            let i = if i < 0 { a.len() as i64 + i } else { i };
            a.get(usize::try_from(i).ok()?)
        }
        _ => None,
    }
}

/// What a seek through JSON text found, without building a tree of it.
enum Seek<'t> {
    /// the value's own text, a slice of the input
    Found(&'t serde_json::value::RawValue),
    Missing,
    /// the text is a JSON string: what it holds is looked into (JSON ingested as text)
    Text(String),
}

/// One step of a seek: the property `key` of an object, or the item `index` of an array. Every other value is
/// skipped without being built ([`serde::de::IgnoredAny`]); a repeated key finds its last value, like a parse.
struct Step<'k> {
    key: Option<&'k str>,
    index: Option<usize>,
}

/// A property name equal to the key? Compared on the unescaped name, nothing allocated for plain names.
struct KeyIs<'k>(Option<&'k str>);

impl<'de> serde::de::DeserializeSeed<'de> for KeyIs<'_> {
    type Value = bool;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl serde::de::Visitor<'_> for KeyIs<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a property name")
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<bool, E> {
        Ok(self.0 == Some(v))
    }
}

impl<'de> serde::de::Visitor<'de> for Step<'_> {
    type Value = Seek<'de>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> std::result::Result<Seek<'de>, A::Error> {
        let mut found = Seek::Missing;
        while let Some(hit) = m.next_key_seed(KeyIs(self.key))? {
            if hit {
                found = Seek::Found(m.next_value()?);
            } else {
                m.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(found)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut s: A) -> std::result::Result<Seek<'de>, A::Error> {
        let mut found = Seek::Missing;
        let mut i = 0usize;
        loop {
            if Some(i) == self.index {
                match s.next_element()? {
                    Some(v) => found = Seek::Found(v),
                    None => break,
                }
            } else if s.next_element::<serde::de::IgnoredAny>()?.is_none() {
                break;
            }
            i += 1;
        }
        Ok(found)
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<Seek<'de>, E> {
        Ok(Seek::Text(v.to_string()))
    }
    fn visit_bool<E>(self, _: bool) -> std::result::Result<Seek<'de>, E> {
        Ok(Seek::Missing)
    }
    fn visit_i64<E>(self, _: i64) -> std::result::Result<Seek<'de>, E> {
        Ok(Seek::Missing)
    }
    fn visit_u64<E>(self, _: u64) -> std::result::Result<Seek<'de>, E> {
        Ok(Seek::Missing)
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<Seek<'de>, E> {
        Ok(Seek::Missing)
    }
    fn visit_unit<E>(self) -> std::result::Result<Seek<'de>, E> {
        Ok(Seek::Missing)
    }
}

/// Looks up `key` (a property name, or an index when `index` is given; negative counts from the end) in JSON
/// text and gives `found` the raw text of what it finds (as written in `text`: not compacted), or `None` when it
/// is missing, null or the text is not JSON; and whether the text is canonical (see [`emit`]). Only the path to
/// the value is read: the other values are skipped, not built.
fn lookup(text: &str, key: Option<&str>, index: Option<i64>, found: &mut dyn FnMut(Option<&str>, bool)) {
    // canonical text (what parse_json and kqlite's own functions make): the member read off without parsing
    if let Some(hit) = crate::values::canonical_member(text, key, index) {
        return found(hit.filter(|v| *v != "null"), true);
    }
    let step = match index {
        Some(i) if i < 0 => {
            // from the end: the array's length first
            let Ok(Value::Array(a)) = serde_json::from_str::<Value>(text) else {
                return found(None, false);
            };
            let Ok(i) = usize::try_from(a.len() as i64 + i) else { return found(None, false) };
            Step { key, index: Some(i) }
        }
        Some(i) => Step { key, index: usize::try_from(i).ok() },
        None => Step { key, index: None },
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let seek = serde::Deserializer::deserialize_any(&mut de, step);
    match seek {
        Ok(_) if de.end().is_err() => found(None, false),
        Ok(Seek::Found(raw)) if raw.get() != "null" => found(Some(raw.get()), false),
        Ok(Seek::Text(inner)) => lookup(&inner, key, index, found),
        _ => found(None, false),
    }
}

/// Appends what a lookup found: into a dynamic column (`as_text` false) the value's text compacted like every
/// dynamic value, or null; into a string column, as `tostring` makes it: a string unquoted, anything else
/// compact JSON, `""` when missing or null. A `canonical` value (a member of canonical text) is compact and its
/// strings have no escapes, so it is copied as it is.
fn emit(v: Option<&str>, canonical: bool, as_text: bool, out: &mut StringBuilder) {
    let Some(raw) = v.filter(|v| *v != "null") else {
        return if as_text { out.append_value("") } else { out.append_null() };
    };
    match (as_text, canonical) {
        (true, true) => match raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
            Some(inner) => out.append_value(inner),
            None => out.append_value(raw),
        },
        (true, false) => out.append_value(dynamic_text(&crate::values::compact_json(raw))),
        (false, true) => out.append_value(raw),
        (false, false) => out.append_value(crate::values::compact_json(raw)),
    }
}

/// [`lookup`], then [`emit`].
fn lookup_into(text: &str, key: Option<&str>, index: Option<i64>, as_text: bool, out: &mut StringBuilder) {
    lookup(text, key, index, &mut |v, canonical| emit(v, canonical, as_text, out))
}

/// `(dynamic, key: Utf8) → dynamic`. Broadcast (the key is usually a constant).
pub fn get_key(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    key_rows(arrays, n, false)
}

/// A key lookup in every row, its value as dynamic text or (`text`) as `tostring` makes it. A constant key over
/// a column accessed before in this batch reads the column's member index ([`super::members`]).
fn key_rows(arrays: &[ArrayRef], n: usize, text: bool) -> Result<ArrayRef> {
    let k = arg::<StringArray>(arrays, 1, "dynamic access")?;
    let d = arg::<StringArray>(arrays, 0, "dynamic access")?;
    let seek = |t: &str, r: usize, out: &mut StringBuilder| lookup_into(t, Some(k.value(row(k, r))), None, text, out);
    match (arrays.first(), k.len() == 1 && !k.is_null(0) && d.len() == n) {
        (Some(column), true) => super::members::with_members(column, d, |index| {
            let Some(index) = index else { return seek_rows(arrays, n, k, text, seek) };
            let key = k.value(0);
            seek_rows(arrays, n, k, text, |t, r, out| match index.get(d, r, key) {
                Some(v) => emit(v, true, text, out),
                None => seek(t, r, out),
            })
        }),
        _ => seek_rows(arrays, n, k, text, seek),
    }
}

/// `(dynamic, index: Int64) → dynamic`; negative indexes count from the end. Broadcast.
pub fn get_index(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let k = arg::<Int64Array>(arrays, 1, "dynamic index")?;
    seek_rows(arrays, n, k, false, |text, r, out| lookup_into(text, None, Some(k.value(row(k, r))), false, out))
}

/// `kql_dynamic_get_text(dynamic, key) → string`: `tostring(d.key)` in one pass (fused by `fuse.rs`). Broadcast.
pub fn get_key_text(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    key_rows(arrays, n, true)
}

/// `kql_dynamic_index_text(dynamic, index) → string`: `tostring(d[i])` in one pass. Broadcast.
pub fn get_index_text(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let k = arg::<Int64Array>(arrays, 1, "dynamic index")?;
    seek_rows(arrays, n, k, true, |text, r, out| lookup_into(text, None, Some(k.value(row(k, r))), true, out))
}

/// One seek per row `r` of argument 0 (dynamic text), given the row's text and `r` (the key or index is `k` at
/// `row(k, r)`); when either is null, null (or `""` for `text`, as `tostring` gives).
fn seek_rows(
    arrays: &[ArrayRef],
    n: usize,
    k: &dyn Array,
    text: bool,
    seek: impl Fn(&str, usize, &mut StringBuilder),
) -> Result<ArrayRef> {
    let d = arg::<StringArray>(arrays, 0, "dynamic access")?;
    let mut out = StringBuilder::with_capacity(n, n * 8);
    for r in 0..n {
        let (d_r, k_r) = (row(d, r), row(k, r));
        if d.is_null(d_r) || k.is_null(k_r) {
            if text {
                out.append_value("");
            } else {
                out.append_null();
            }
        } else {
            seek(d.value(d_r), r, &mut out);
        }
    }
    Ok(Arc::new(out.finish()) as ArrayRef)
}

/// The text `tostring` gives a dynamic value: a string unquoted, null empty, anything else its (compact) JSON
/// text as stored; text that is not JSON as it is.
pub(super) fn dynamic_text(s: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    match s.as_bytes().first() {
        Some(b'"') => crate::values::json_string_body(s)
            .unwrap_or_else(|| Cow::Owned(serde_json::from_str::<String>(s).unwrap_or_else(|_| s.to_string()))),
        _ if s == "null" => Cow::Borrowed(""),
        _ => Cow::Borrowed(s),
    }
}

/// `kql_tostring(type code, value) → string` (tostring-function), never null: a dynamic value's string unquoted
/// and anything else as compact JSON; other types as Kusto prints them (datetimes ISO with `Z`, timespans
/// `d.hh:mm:ss`). Broadcast.
pub fn to_string(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let mut types = TypeCodes::new(arrays, "kql_tostring")?;
    let a = any_arg(arrays, 1, "kql_tostring")?;
    let mut out = StringBuilder::with_capacity(n, n * 16);
    let strings = a.as_any().downcast_ref::<StringArray>();
    for r in 0..n {
        let ty = types.at(r)?.first().copied().unwrap_or(KqlType::String);
        let i = row(a.as_ref(), r);
        match strings {
            Some(_) if a.is_null(i) => out.append_value(""),
            Some(s) if ty == KqlType::Dynamic => out.append_value(dynamic_text(s.value(i))),
            _ => out.append_value(crate::values::cell_text(a.as_ref(), i, ty)),
        }
    }
    Ok(Arc::new(out.finish()) as ArrayRef)
}

/// `parse_json(string) → dynamic`
pub fn parse_json(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    map_str(arrays, n, "parse_json", |s| s.and_then(parse_json_text))
}

/// `array_length(dynamic) → long`, null for a non-array.
pub fn array_length(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let d = arg::<StringArray>(arrays, 0, "array_length")?;
    let out: Int64Array = (0..n)
        .map(|r| {
            if d.is_null(r) {
                return None;
            }
            match serde_json::from_str::<Value>(d.value(r)) {
                Ok(Value::Array(a)) => Some(a.len() as i64),
                _ => None,
            }
        })
        .collect();
    Ok(Arc::new(out) as ArrayRef)
}

/// `strcat_array(array, delimiter)`: the elements' text (strings unquoted, others as compact JSON) joined;
/// "" for a value that is not an array (strcat-array-function).
pub fn strcat_array(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let d = arg::<StringArray>(arrays, 0, "strcat_array")?;
    let sep = arg::<StringArray>(arrays, 1, "strcat_array")?;
    let out: StringArray = (0..n)
        .map(|r| {
            let delim = if sep.is_null(r) { "" } else { sep.value(r) };
            let parsed = if d.is_null(r) { None } else { serde_json::from_str::<Value>(d.value(r)).ok() };
            let items = match parsed {
                Some(Value::Array(items)) => items,
                _ => vec![],
            };
            let texts: Vec<String> = items.iter().map(value_to_string).collect();
            Some(texts.join(delim))
        })
        .collect();
    Ok(Arc::new(out) as ArrayRef)
}

/// `set_has_element(array, value)`: whether the array holds the value (compared as JSON values; a number
/// matches an equal number whatever its written form). Null for a value that is not an array.
pub fn set_has_element(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let d = arg::<StringArray>(arrays, 0, "set_has_element")?;
    let v = arg::<StringArray>(arrays, 1, "set_has_element")?;
    let same = |a: &Value, b: &Value| match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    };
    let out: BooleanArray = (0..n)
        .map(|r| {
            if d.is_null(r) {
                return None;
            }
            let Ok(Value::Array(items)) = serde_json::from_str::<Value>(d.value(r)) else { return None };
            let wanted =
                if v.is_null(r) { Value::Null } else { serde_json::from_str(v.value(r)).unwrap_or(Value::Null) };
            Some(items.iter().any(|i| same(i, &wanted)))
        })
        .collect();
    Ok(Arc::new(out) as ArrayRef)
}

/// One step of a JSONPath as extractjson takes it: `.name`, `['name']`, `["name"]` or `[index]`.
#[derive(Debug, PartialEq)]
enum PathStep {
    Key(String),
    Index(i64),
}

/// `$.a.b[0]['c']` → its steps; `None` when the path is not of that form.
fn json_path(path: &str) -> Option<Vec<PathStep>> {
    let mut rest = path.trim().strip_prefix('$')?;
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let (name, after) = r.split_at(end);
            if name.is_empty() {
                return None;
            }
            steps.push(PathStep::Key(name.to_string()));
            rest = after;
        } else if let Some(r) = rest.strip_prefix('[') {
            let close = r.find(']')?;
            let (inner, after) = r.split_at(close);
            let inner = inner.trim();
            let quoted = inner
                .strip_prefix('\'')
                .and_then(|x| x.strip_suffix('\''))
                .or_else(|| inner.strip_prefix('"').and_then(|x| x.strip_suffix('"')));
            steps.push(match quoted {
                Some(k) => PathStep::Key(k.to_string()),
                None => PathStep::Index(inner.parse().ok()?),
            });
            rest = after.get(1..).unwrap_or("");
        } else {
            return None;
        }
    }
    Some(steps)
}

/// `extractjson(path, json)`: the element at `path` as a string (a string element unquoted, others as compact
/// JSON); "" when the path is invalid or leads nowhere (extractjson-function).
pub fn extract_json_text(path: &str, text: &str) -> String {
    let (Some(steps), Ok(v)) = (json_path(path), serde_json::from_str::<Value>(text)) else {
        return String::new();
    };
    let mut at = &v;
    for step in &steps {
        let next = match step {
            PathStep::Key(k) => child(at, Some(k), None),
            PathStep::Index(i) => child(at, None, Some(*i)),
        };
        match next {
            Some(n) => at = n,
            None => return String::new(),
        }
    }
    value_to_string(at)
}

pub fn extract_json(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let p = arg::<StringArray>(arrays, 0, "extractjson")?;
    let t = arg::<StringArray>(arrays, 1, "extractjson")?;
    let out: StringArray = (0..n)
        .map(|r| {
            Some(if p.is_null(r) || t.is_null(r) { String::new() } else { extract_json_text(p.value(r), t.value(r)) })
        })
        .collect();
    Ok(Arc::new(out) as ArrayRef)
}

/// `unicode_codepoints_from_string(s)`: the code points of `s` as a dynamic array of numbers.
pub fn codepoints_json(s: &str) -> String {
    Value::Array(s.chars().map(|c| Value::from(c as u32)).collect()).to_string()
}

/// Splits a Windows command line as CommandLineToArgvW does: whitespace separates arguments, double quotes
/// group, `2n` backslashes before a quote are `n` backslashes (the quote toggles), `2n+1` are `n` and a literal
/// quote, other backslashes are literal (parse-command-line-function).
pub fn windows_argv(line: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut cur = String::new();
    let (mut in_quotes, mut started, mut backslashes) = (false, false, 0usize);
    for c in line.chars() {
        match c {
            '\\' => {
                backslashes += 1;
                started = true;
            }
            '"' => {
                cur.extend(std::iter::repeat_n('\\', backslashes / 2));
                if backslashes % 2 == 1 {
                    cur.push('"');
                } else {
                    in_quotes = !in_quotes;
                }
                backslashes = 0;
                started = true;
            }
            c if c.is_whitespace() && !in_quotes => {
                cur.extend(std::iter::repeat_n('\\', backslashes));
                backslashes = 0;
                if started {
                    args.push(std::mem::take(&mut cur));
                    started = false;
                }
            }
            c => {
                cur.extend(std::iter::repeat_n('\\', backslashes));
                backslashes = 0;
                cur.push(c);
                started = true;
            }
        }
    }
    cur.extend(std::iter::repeat_n('\\', backslashes));
    if started {
        args.push(cur);
    }
    args
}

/// A Utf8 → Utf8 map over argument 0.
pub fn map_str(
    arrays: &[ArrayRef],
    n: usize,
    fname: &str,
    f: impl Fn(Option<&str>) -> Option<String>,
) -> Result<ArrayRef> {
    let s = arg::<StringArray>(arrays, 0, fname)?;
    let out: StringArray = (0..n).map(|r| f(if s.is_null(r) { None } else { Some(s.value(r)) })).collect();
    Ok(Arc::new(out) as ArrayRef)
}

/// `kql_pack_array(type codes, v1, v2, ...)` → a JSON array of the values (pack-array-function). Broadcast.
pub fn pack_array(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let mut types = TypeCodes::new(arrays, "kql_pack_array")?;
    let values = arrays.get(1..).unwrap_or(&[]);
    let mut out = Vec::with_capacity(n);
    for r in 0..n {
        let items: Vec<Value> = values
            .iter()
            .zip(types.at(r)?)
            .map(|(a, t)| crate::values::cell_json(a.as_ref(), row(a.as_ref(), r), *t))
            .collect();
        out.push(Some(Value::Array(items).to_string()));
    }
    Ok(Arc::new(StringArray::from(out)) as ArrayRef)
}

/// `kql_bag_pack(type codes of the values, k1, v1, k2, v2, ...)` → a JSON object (bag-pack-function).
/// Broadcast.
pub fn bag_pack(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let mut types = TypeCodes::new(arrays, "kql_bag_pack")?;
    let pairs = arrays.get(1..).unwrap_or(&[]);
    let mut out = Vec::with_capacity(n);
    for r in 0..n {
        let mut m = serde_json::Map::new();
        for (pair, t) in pairs.chunks(2).zip(types.at(r)?) {
            let (Some(k), Some(v)) = (pair.first(), pair.get(1)) else { continue };
            let key = crate::values::cell_json(k.as_ref(), row(k.as_ref(), r), KqlType::String);
            let key = value_to_string(&key);
            m.insert(key, crate::values::cell_json(v.as_ref(), row(v.as_ref(), r), *t));
        }
        out.push(Some(Value::Object(m).to_string()));
    }
    Ok(Arc::new(StringArray::from(out)) as ArrayRef)
}

/// `kql_todynamic(type code, value)` → dynamic JSON text (`todynamic` of a non-string, implicit widening to
/// dynamic); null stays null. Broadcast.
pub fn to_dynamic(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let mut types = TypeCodes::new(arrays, "kql_todynamic")?;
    let a = any_arg(arrays, 1, "kql_todynamic")?;
    let mut out = Vec::with_capacity(n);
    for r in 0..n {
        let ty = types.at(r)?.first().copied().unwrap_or(KqlType::Dynamic);
        out.push(match crate::values::cell_json(a.as_ref(), row(a.as_ref(), r), ty) {
            Value::Null => None,
            v => Some(v.to_string()),
        });
    }
    Ok(Arc::new(StringArray::from(out)) as ArrayRef)
}

/// `kql_toguid(string)`: the canonical guid text, or null (toguid-function).
pub fn to_guid(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    map_str(arrays, n, "toguid", |s| s.and_then(crate::functions::conversion::normalize_guid))
}

/// `kql_parse_command_line(line, parser)`: the arguments as a dynamic array of strings; the only parser is
/// "windows" (any other gives null; the binder rejects it before).
pub fn parse_command_line(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let line = arg::<StringArray>(arrays, 0, "parse_command_line")?;
    let parser = arg::<StringArray>(arrays, 1, "parse_command_line")?;
    let out: StringArray = (0..n)
        .map(|r| {
            if parser.is_null(r) || !parser.value(r).eq_ignore_ascii_case("windows") {
                return None;
            }
            let text = if line.is_null(r) { "" } else { line.value(r) };
            Some(Value::from(windows_argv(text)).to_string())
        })
        .collect();
    Ok(Arc::new(out) as ArrayRef)
}

/// `unicode_codepoints_from_string(s)` → a dynamic array of numbers.
pub fn codepoints(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    map_str(arrays, n, "unicode_codepoints_from_string", |s| Some(codepoints_json(s.unwrap_or(""))))
}

/// `split(s, delimiter)` → JSON array of strings.
pub fn split(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    use datafusion::arrow::array::StringBuilder;
    let s = arg::<StringArray>(arrays, 0, "split")?;
    let d = arg::<StringArray>(arrays, 1, "split")?;
    // the JSON array written directly, each part escaped as serde_json would (no tree of values per row)
    let mut b = StringBuilder::with_capacity(n, s.value_data().len() + 8 * n);
    let mut json = String::new();
    for r in 0..n {
        let text = if s.is_null(r) { "" } else { s.value(r) };
        let delim = if d.is_null(r) { "" } else { d.value(r) };
        json.clear();
        json.push('[');
        if delim.is_empty() {
            crate::values::push_json_string(&mut json, text);
        } else {
            for (i, p) in super::expand::split_parts(text, delim).enumerate() {
                if i > 0 {
                    json.push(',');
                }
                crate::values::push_json_string(&mut json, p);
            }
        }
        json.push(']');
        b.append_value(&json);
    }
    Ok(Arc::new(b.finish()) as ArrayRef)
}

/// Most rows one `range` makes: the list is built in memory before it is unnested.
// differs from Kusto: a larger range is an error (kqlite::exec::runtime) instead of a stream of rows
const RANGE_MAX: i64 = 10_000_000;

/// `range`: `(from, to, step)` as i64 → the list `from, from+step, … <= to` (at most [`RANGE_MAX`] items, more
/// is an error rather than a silently cut result; a non-positive step or a null bound gives no rows).
pub fn range_list(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    use datafusion::arrow::array::{Int64Builder, ListBuilder};
    {
        let f = arg::<Int64Array>(arrays, 0, "range")?;
        let t = arg::<Int64Array>(arrays, 1, "range")?;
        let s = arg::<Int64Array>(arrays, 2, "range")?;
        let mut b = ListBuilder::new(Int64Builder::new());
        for r in 0..n {
            if !(f.is_null(r) || t.is_null(r) || s.is_null(r)) && s.value(r) > 0 {
                let (mut v, end, step) = (f.value(r), t.value(r), s.value(r));
                let rows = (end as i128 - v as i128) / step as i128 + 1;
                if rows > RANGE_MAX as i128 {
                    return Err(datafusion::error::DataFusionError::Execution(format!(
                        "range from {v} to {end} step {step} makes {rows} rows; kqlite's range makes at most \
                         {RANGE_MAX} (split it, or widen the step)"
                    )));
                }
                let mut count = 0;
                while v <= end && count < RANGE_MAX {
                    b.values().append_value(v);
                    count += 1;
                    match v.checked_add(step) {
                        Some(x) => v = x,
                        None => break,
                    }
                }
            }
            b.append(true);
        }
        Ok(Arc::new(b.finish()) as ArrayRef)
    }
}

/// `kql_series_fill(list of [bin, value] pairs, bins, default)` → an array of `bins` values, each bin's value
/// or `default` where the list has none (make-series-operator). Null bins or a null count give null.
pub fn series_fill(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let pairs = arg::<StringArray>(arrays, 0, "kql_series_fill")?;
    let bins = arg::<Int64Array>(arrays, 1, "kql_series_fill")?;
    let default = arg::<StringArray>(arrays, 2, "kql_series_fill")?;
    let mut out = StringBuilder::new();
    for r in 0..n {
        let (b, d, p) = (row(bins, r), row(default, r), row(pairs, r));
        if bins.is_null(b) || pairs.is_null(p) {
            out.append_null();
            continue;
        }
        let fill = if default.is_null(d) {
            Value::Null
        } else {
            serde_json::from_str(default.value(d)).unwrap_or(Value::Null)
        };
        let len = usize::try_from(bins.value(b).clamp(0, 10_000_000)).unwrap_or(0);
        let mut series = vec![fill; len];
        if let Ok(Value::Array(items)) = serde_json::from_str::<Value>(pairs.value(p)) {
            for item in items {
                let Value::Array(pair) = item else { continue };
                let (Some(i), Some(v)) = (pair.first().and_then(Value::as_i64), pair.get(1)) else { continue };
                if let Some(slot) = usize::try_from(i).ok().and_then(|i| series.get_mut(i)) {
                    *slot = v.clone();
                }
            }
        }
        out.append_value(Value::Array(series).to_string());
    }
    Ok(Arc::new(out.finish()) as ArrayRef)
}

/// `kql_series_axis(from, step, bins)` → `[from, from+step, …]` (`bins` values): datetimes as their text,
/// timespans as theirs, numbers as reals (make-series-operator's axis column).
pub fn series_axis(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    use datafusion::arrow::array::{DurationNanosecondArray, Float64Array, TimestampNanosecondArray};
    let (Some(from), Some(step)) = (arrays.first(), arrays.get(1)) else {
        return Err(datafusion::error::DataFusionError::Internal("kql_series_axis: missing arguments".into()));
    };
    let bins = arg::<Int64Array>(arrays, 2, "kql_series_axis")?;
    // datetimes and timespans in nanoseconds (exact integers), numbers as reals
    enum V {
        Ns(i64),
        F(f64),
    }
    let num = |a: &ArrayRef, r: usize| -> Option<V> {
        let r = row(a.as_ref(), r);
        if a.is_null(r) {
            return None;
        }
        let any = a.as_any();
        any.downcast_ref::<TimestampNanosecondArray>()
            .map(|x| V::Ns(x.value(r)))
            .or_else(|| any.downcast_ref::<DurationNanosecondArray>().map(|x| V::Ns(x.value(r))))
            .or_else(|| any.downcast_ref::<Int64Array>().map(|x| V::Ns(x.value(r))))
            .or_else(|| any.downcast_ref::<Float64Array>().map(|x| V::F(x.value(r))))
    };
    let is_time = matches!(from.data_type(), datafusion::arrow::datatypes::DataType::Timestamp(..));
    let is_span = matches!(from.data_type(), datafusion::arrow::datatypes::DataType::Duration(_));
    let mut out = StringBuilder::new();
    for r in 0..n {
        let b = row(bins, r);
        let (Some(f), Some(s)) = (num(from, r), num(step, r)) else {
            out.append_null();
            continue;
        };
        if bins.is_null(b) {
            out.append_null();
            continue;
        }
        let len = bins.value(b).clamp(0, 10_000_000);
        let items: Vec<Value> = (0..len)
            .map(|k| match (&f, &s) {
                (V::Ns(f), V::Ns(s)) => {
                    let v = f.saturating_add(s.saturating_mul(k));
                    if is_time {
                        Value::String(crate::values::format_datetime(v))
                    } else if is_span {
                        Value::String(crate::values::format_timespan(v / 100))
                    } else {
                        Value::from(v)
                    }
                }
                (V::F(f), V::F(s)) => {
                    serde_json::Number::from_f64(f + s * k as f64).map(Value::Number).unwrap_or(Value::Null)
                }
                _ => Value::Null,
            })
            .collect();
        out.append_value(Value::Array(items).to_string());
    }
    Ok(Arc::new(out.finish()) as ArrayRef)
}

/// `kql_range(start, stop, step, integers)` → `[start, start+step, …]` while within stop (inclusive); at most
/// 1,048,576 values (Kusto's limit); a zero step or a null argument is null.
pub fn range_array(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    use datafusion::arrow::array::Float64Array;
    let start = arg::<Float64Array>(arrays, 0, "kql_range")?;
    let stop = arg::<Float64Array>(arrays, 1, "kql_range")?;
    let step = arg::<Float64Array>(arrays, 2, "kql_range")?;
    let ints = arg::<BooleanArray>(arrays, 3, "kql_range")?;
    let mut out = StringBuilder::new();
    for r in 0..n {
        let (a, b, s, i) = (row(start, r), row(stop, r), row(step, r), row(ints, r));
        if start.is_null(a) || stop.is_null(b) || step.is_null(s) || step.value(s) == 0.0 {
            out.append_null();
            continue;
        }
        let (x0, x1, dx) = (start.value(a), stop.value(b), step.value(s));
        let as_int = !ints.is_null(i) && ints.value(i);
        let mut items = Vec::new();
        let mut k = 0u32;
        loop {
            let x = x0 + dx * f64::from(k);
            if (dx > 0.0 && x > x1) || (dx < 0.0 && x < x1) || items.len() >= 1_048_576 {
                break;
            }
            items.push(if as_int {
                Value::from(x as i64)
            } else {
                serde_json::Number::from_f64(x).map(Value::Number).unwrap_or(Value::Null)
            });
            k += 1;
        }
        out.append_value(Value::Array(items).to_string());
    }
    Ok(Arc::new(out.finish()) as ArrayRef)
}

/// `kql_bag_drop_empty(bag)`: the bag without keys whose value is null or "" (pack_all(true)).
pub fn bag_drop_empty(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let d = arg::<StringArray>(arrays, 0, "kql_bag_drop_empty")?;
    let mut out = StringBuilder::new();
    for r in 0..n {
        if d.is_null(r) {
            out.append_null();
            continue;
        }
        match serde_json::from_str::<Value>(d.value(r)) {
            Ok(Value::Object(m)) => {
                let kept: serde_json::Map<String, Value> =
                    m.into_iter().filter(|(_, v)| !v.is_null() && v.as_str() != Some("")).collect();
                out.append_value(Value::Object(kept).to_string());
            }
            _ => out.append_value(d.value(r)),
        }
    }
    Ok(Arc::new(out.finish()) as ArrayRef)
}

/// `bag_keys(bag)`: the bag's keys as an array; null for a value that is not a bag (bag-keys-function).
pub fn bag_keys(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let d = arg::<StringArray>(arrays, 0, "kql_bag_keys")?;
    let mut out = StringBuilder::new();
    for r in 0..n {
        match (!d.is_null(r)).then(|| serde_json::from_str::<Value>(d.value(r))) {
            Some(Ok(Value::Object(m))) => {
                out.append_value(Value::Array(m.keys().map(|k| Value::String(k.clone())).collect()).to_string())
            }
            _ => out.append_null(),
        }
    }
    Ok(Arc::new(out.finish()) as ArrayRef)
}

/// `bag_remove_keys(bag, keys)`: the bag without those keys; a key path `$.a.b` removes a nested key
/// (bag-remove-keys-function).
pub fn bag_remove_keys(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let d = arg::<StringArray>(arrays, 0, "kql_bag_remove_keys")?;
    let k = arg::<StringArray>(arrays, 1, "kql_bag_remove_keys")?;
    let mut out = StringBuilder::new();
    for r in 0..n {
        let (i, j) = (row(d, r), row(k, r));
        let bag = (!d.is_null(i)).then(|| serde_json::from_str::<Value>(d.value(i)).ok()).flatten();
        let Some(Value::Object(mut m)) = bag else {
            out.append_null();
            continue;
        };
        let keys = if k.is_null(j) { vec![] } else { json_string_items(k.value(j)) };
        for key in keys {
            let path: Vec<&str> = key.trim_start_matches("$.").split('.').collect();
            remove_path(&mut m, &path);
        }
        out.append_value(Value::Object(m).to_string());
    }
    Ok(Arc::new(out.finish()) as ArrayRef)
}

fn remove_path(m: &mut serde_json::Map<String, Value>, path: &[&str]) {
    match path {
        [last] => {
            m.remove(*last);
        }
        [first, rest @ ..] => {
            if let Some(Value::Object(inner)) = m.get_mut(*first) {
                remove_path(inner, rest);
            }
        }
        [] => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extractjson_paths() {
        let j = r#"{"name":"John","cars":["Ford","BMW"],"hosts":[{"MB":5},{"MB":7}],"a b":{"c":null}}"#;
        assert_eq!(extract_json_text("$.name", j), "John");
        assert_eq!(extract_json_text("$.cars[1]", j), "BMW");
        assert_eq!(extract_json_text("$.hosts[1].MB", j), "7");
        assert_eq!(extract_json_text("$['a b']", j), r#"{"c":null}"#);
        assert_eq!(extract_json_text("$.cars", j), r#"["Ford","BMW"]"#);
        assert_eq!(extract_json_text("$.missing", j), "");
        assert_eq!(extract_json_text("name", j), "");
        assert_eq!(extract_json_text("$", "[1,2]"), "[1,2]");
    }

    #[test]
    fn command_lines() {
        assert_eq!(windows_argv(r#"echo "hello world!" print$?"#), ["echo", "hello world!", "print$?"]);
        assert_eq!(windows_argv(r#"a\\"b c" d"#), [r"a\b c", "d"]);
        assert_eq!(windows_argv(r#"a\"b c"#), [r#"a"b"#, "c"]);
        assert_eq!(windows_argv(r"C:\dir\x.exe  /v:1 "), [r"C:\dir\x.exe", "/v:1"]);
        assert_eq!(windows_argv(r#"x """#), ["x", ""]);
        assert!(windows_argv("   ").is_empty());
    }

    #[test]
    fn access_rules() {
        let lookup = |text: &str, key: Option<&str>, index: Option<i64>| {
            let mut b = StringBuilder::new();
            lookup_into(text, key, index, false, &mut b);
            let a = b.finish();
            (!a.is_null(0)).then(|| a.value(0).to_string())
        };
        assert_eq!(lookup(r#"{"a":{"b":1}}"#, Some("a"), None).as_deref(), Some(r#"{"b":1}"#));
        assert_eq!(lookup("[10,20,30]", None, Some(-1)).as_deref(), Some("30"));
        assert_eq!(lookup("[10,20,30]", None, Some(1)).as_deref(), Some("20"));
        assert_eq!(lookup("[10,20,30]", None, Some(-4)), None);
        assert_eq!(lookup("[10]", None, Some(5)), None);
        assert_eq!(lookup(r#"{"a":null}"#, Some("a"), None), None);
        // skipped values of every kind, an escaped key, the last of a repeated key, JSON held in a string
        let text = r#"{"x":[1,{"a":2}],"y":"s","a\u0062":true,"a":{"k":[1, 2]},"a":3}"#;
        assert_eq!(lookup(text, Some("ab"), None).as_deref(), Some("true"));
        assert_eq!(lookup(text, Some("a"), None).as_deref(), Some("3"));
        assert_eq!(lookup(r#"{"a":{"k":[1, 2]}}"#, Some("a"), None).as_deref(), Some(r#"{"k":[1,2]}"#));
        assert_eq!(lookup(r#""{\"a\":7}""#, Some("a"), None).as_deref(), Some("7"));
        assert_eq!(lookup("5", Some("a"), None), None);
        assert_eq!(lookup(r#"{"a":1"#, Some("a"), None), None);
        assert_eq!(lookup(r#"{"a":1} x"#, Some("a"), None), None);
        // tostring(d.k) fused: what tostring makes of lookup's value, "" for null
        for (text, key, index) in [
            (r#"{"a":" x y ","b":[1, {"c":"d"}]}"#, Some("a"), None),
            (r#"{"a":" x y ","b":[1, {"c":"d"}]}"#, Some("b"), None),
            (r#"{"a":"\u00e9\"q"}"#, Some("a"), None),
            (r#"{"a":null}"#, Some("a"), None),
            ("[1,\"two\"]", None, Some(-1)),
            ("[1]", None, Some(3)),
            ("oops", Some("a"), None),
        ] {
            let mut b = StringBuilder::new();
            lookup_into(text, key, index, true, &mut b);
            let fused = b.finish();
            let two: ArrayRef = Arc::new(StringArray::from(vec![lookup(text, key, index)]));
            let two = to_string(&[Arc::new(StringArray::from(vec!["dynamic"])), two], 1).expect("tostring");
            assert_eq!(fused.value(0), two.as_any().downcast_ref::<StringArray>().expect("s").value(0), "{text}");
        }
        assert_eq!(dynamic_text(r#""a\"b""#), "a\"b");
        assert_eq!(dynamic_text("null"), "");
        assert_eq!(dynamic_text(r#"{"a":1}"#), r#"{"a":1}"#);
        assert_eq!(parse_json_text("oops").as_deref(), Some("\"oops\""));
        assert_eq!(parse_json_text(""), None);
        assert_eq!(value_to_string(&serde_json::json!("x")), "x");
    }
}
