//! `mv-expand`'s lists (KUSTO-NOTES §9): each row's dynamic value becomes the list of items the binder's
//! `Unnest` turns into rows. An item is kept as JSON text (`kql_mv_expand`), as its `tostring`
//! (`kql_mv_expand_text`, what `to typeof(string)` makes of it) or as its position (`kql_mv_expand_index`).
//!
//! The fused forms (made by `fuse.rs`) read the value from the call that made it, without a column of JSON text
//! in between: `kql_mv_expand_parse[_text](s, …)` is `mv-expand parse_json(s)`, `kql_split_expand[_text](s, d,
//! limit)` is `mv-expand split(s, d)`.

use super::dynamic::{dynamic_text, parse_json_text};
use super::members::Members;
use super::{arg, row};
use datafusion::arrow::array::{
    Array, ArrayBuilder, ArrayRef, AsArray, BooleanArray, Int64Array, Int64Builder, ListBuilder, StringArray,
    StringBuilder,
};
use datafusion::common::Result;
use serde_json::Value;
use std::borrow::Cow;
use std::sync::Arc;

/// What each item of the list is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Items {
    /// its JSON text (a JSON null is a null item)
    Json,
    /// its `tostring` (a JSON null is `""`, and so is a null value's one row)
    Text,
    /// its 0-based position
    Index,
}

/// How argument 0 holds the value to expand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// a dynamic value (JSON text)
    Dynamic,
    /// a string, read as `parse_json` would: `""` is null, text that is not JSON is a string value
    ParseJson,
}

/// The rows `mv-expand` makes of one dynamic value: array elements, or a bag's entries as one-key bags
/// (`as_pairs`: `[key, value]` arrays); a scalar is one row; null is one null row; `[]`/`{}` none.
pub fn expand_items(text: &str, as_pairs: bool, limit: usize) -> Vec<Cow<'_, str>> {
    // a canonical array (the usual case): its items' own text, read off without parsing
    if let Some(items) = crate::values::canonical_items(text) {
        return items.into_iter().take(limit).map(Cow::Borrowed).collect();
    }
    expand_other(text, as_pairs, limit)
}

/// [`expand_items`] of a value that is not a canonical array.
fn expand_other(text: &str, as_pairs: bool, limit: usize) -> Vec<Cow<'_, str>> {
    // another array: its items' text, compacted, without building a tree of them
    if text.starts_with('[') {
        if let Ok(items) = serde_json::from_str::<Vec<&serde_json::value::RawValue>>(text) {
            return items.into_iter().take(limit).map(|x| crate::values::compact_json(x.get())).collect();
        }
    }
    let v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(_) => return vec![Cow::Owned(Value::String(text.to_string()).to_string())],
    };
    let items: Vec<String> = match v {
        Value::Array(a) => a.iter().map(|x| x.to_string()).collect(),
        Value::Object(m) => m
            .into_iter()
            .map(|(k, x)| {
                if as_pairs {
                    Value::Array(vec![Value::String(k), x]).to_string()
                } else {
                    let mut one = serde_json::Map::new();
                    one.insert(k, x);
                    Value::Object(one).to_string()
                }
            })
            .collect(),
        other => vec![other.to_string()],
    };
    items.into_iter().take(limit).map(Cow::Owned).collect()
}

/// The list builder of one of [`Items`]' kinds.
enum Lists {
    Strings(ListBuilder<StringBuilder>),
    Indexes(ListBuilder<Int64Builder>),
}

impl Lists {
    fn new(items: Items, n: usize, bytes: usize) -> Lists {
        match items {
            Items::Index => Lists::Indexes(ListBuilder::with_capacity(Int64Builder::new(), n)),
            _ => Lists::Strings(ListBuilder::with_capacity(StringBuilder::with_capacity(n, bytes), n)),
        }
    }
    /// The list of a null value: null (one row after the unnest), or for `Text` the one row's `""` itself.
    fn push_null(&mut self, items: Items) {
        match self {
            Lists::Strings(b) if items == Items::Text => {
                b.values().append_value("");
                b.append(true);
            }
            Lists::Strings(b) => b.append_null(),
            Lists::Indexes(b) => b.append_null(),
        }
    }
    /// One row's list of `list`, each item (JSON text) made what `items` says.
    fn push<S: AsRef<str>>(&mut self, items: Items, list: impl ExactSizeIterator<Item = S>) {
        match self {
            Lists::Indexes(b) => {
                for i in 0..list.len() {
                    b.values().append_value(i as i64);
                }
                b.append(true);
            }
            Lists::Strings(b) => {
                for item in list {
                    let item = item.as_ref();
                    match items {
                        Items::Text => b.values().append_value(dynamic_text(item)),
                        _ if item == "null" => b.values().append_null(),
                        _ => b.values().append_value(item),
                    }
                }
                b.append(true);
            }
        }
    }
    /// The number of items pushed so far (the rows of the list's values).
    fn values_len(&self) -> usize {
        match self {
            Lists::Strings(b) => b.values_ref().len(),
            Lists::Indexes(b) => b.values_ref().len(),
        }
    }
    fn finish(self) -> ArrayRef {
        match self {
            Lists::Strings(mut b) => Arc::new(b.finish()),
            Lists::Indexes(mut b) => Arc::new(b.finish()),
        }
    }
}

/// The member index of the items `expand_list` makes as JSON (see members.rs), and its walk's buffers.
struct Indexer {
    members: Members,
    items: Vec<[usize; 4]>,
    found: Vec<[u32; 4]>,
}

impl Indexer {
    /// Pushes the list of `text` (up to `limit` items) when it is a canonical array, each item's members
    /// indexed; `false` (nothing pushed) when it is not one.
    fn push(&mut self, text: &str, limit: usize, out: &mut Lists) -> bool {
        self.items.clear();
        self.found.clear();
        let Lists::Strings(b) = out else { return false };
        if !crate::values::canonical_items_members(text, &mut self.items, &mut self.found) {
            return false;
        }
        for &[s, e, from, to] in self.items.iter().take(limit) {
            match text.get(s..e) {
                Some("null") | None => {
                    b.values().append_null();
                    self.members.push_row(None);
                }
                Some(item) => {
                    b.values().append_value(item);
                    let object = item.starts_with('{');
                    self.members.push_row(self.found.get(from..to).filter(|_| object));
                }
            }
        }
        b.append(true);
        true
    }
}

/// `(value, as_pairs, limit) → List` of the items `mv-expand` makes of each row's value (see [`Items`],
/// [`Source`]).
pub fn expand_list(arrays: &[ArrayRef], n: usize, source: Source, items: Items) -> Result<ArrayRef> {
    let d = arg::<StringArray>(arrays, 0, "mv-expand")?;
    let pairs = arg::<BooleanArray>(arrays, 1, "mv-expand")?;
    let limit = arg::<Int64Array>(arrays, 2, "mv-expand")?;
    let mut out = Lists::new(items, n, d.value_data().len());
    // items as JSON: the members of canonical object items, read in the walk that finds the items, for the
    // accesses after the expansion (members.rs)
    let mut index =
        (items == Items::Json).then(|| Indexer { members: Members::new(), items: Vec::new(), found: Vec::new() });
    for r in 0..n {
        let (p, l) = (row(pairs, r), row(limit, r));
        let as_pairs = pairs.is_valid(p) && pairs.value(p);
        let limit = if limit.is_null(l) { usize::MAX } else { usize::try_from(limit.value(l)).unwrap_or(0) };
        let text = (!d.is_null(r)).then(|| d.value(r));
        // (a canonical array is the value of both sources: parse_json gives canonical text back)
        if let (Some(ix), Some(text)) = (index.as_mut(), text) {
            if ix.push(text, limit, &mut out) {
                continue;
            }
        }
        let before = out.values_len();
        push_value(&mut out, text, source, items, as_pairs, limit, index.is_some());
        if let Some(ix) = index.as_mut() {
            for _ in before..out.values_len() {
                ix.members.push_row(None);
            }
        }
    }
    let list = out.finish();
    if let (Some(ix), Some(values)) = (index, list.as_list_opt::<i32>().map(|l| Arc::clone(l.values()))) {
        super::members::install(&values, ix.members);
    }
    Ok(list)
}

/// Pushes the list of one value (`None`: null) for [`expand_list`]; `not_canonical_array`: the value's text is
/// known not to be a canonical array (the indexer's walk said so), and is not walked again as one.
fn push_value(
    out: &mut Lists,
    text: Option<&str>,
    source: Source,
    items: Items,
    as_pairs: bool,
    limit: usize,
    not_canonical_array: bool,
) {
    let Some(text) = text else { return out.push_null(items) };
    let parsed;
    let text = match source {
        Source::Dynamic if not_canonical_array => {
            return out.push(items, expand_other(text, as_pairs, limit).into_iter())
        }
        Source::Dynamic => text,
        // parse_json's value: the text itself when parsing and printing it would give it back
        Source::ParseJson => match (!not_canonical_array).then(|| crate::values::canonical_items(text)).flatten() {
            Some(list) => return out.push(items, list.into_iter().take(limit)),
            None if crate::values::is_canonical_json(text) => text,
            None => {
                parsed = parse_json_text(text);
                match parsed.as_deref() {
                    Some(t) => t,
                    None => return out.push_null(items),
                }
            }
        },
    };
    out.push(items, expand_items(text, as_pairs, limit).into_iter());
}

/// `(string, delimiter, limit) → List` of `split(s, delimiter)`'s parts, as JSON strings (`Items::Json`) or as
/// they are (`Items::Text`): `mv-expand split(s, d)` without the array's JSON text. Broadcast.
pub fn split_expand(arrays: &[ArrayRef], n: usize, items: Items) -> Result<ArrayRef> {
    let s = arg::<StringArray>(arrays, 0, "mv-expand split")?;
    let d = arg::<StringArray>(arrays, 1, "mv-expand split")?;
    let limit = arg::<Int64Array>(arrays, 2, "mv-expand split")?;
    let mut b = ListBuilder::with_capacity(StringBuilder::with_capacity(n, s.value_data().len() + 4 * n), n);
    let mut json = String::new();
    for r in 0..n {
        let (sr, dr, lr) = (row(s, r), row(d, r), row(limit, r));
        // split's rules: a null string is "", an empty delimiter gives the whole string
        let text = if s.is_null(sr) { "" } else { s.value(sr) };
        let delim = if d.is_null(dr) { "" } else { d.value(dr) };
        let limit = if limit.is_null(lr) { usize::MAX } else { usize::try_from(limit.value(lr)).unwrap_or(0) };
        for p in split_parts(text, delim).take(limit) {
            if items == Items::Text {
                b.values().append_value(p);
            } else {
                json.clear();
                crate::values::push_json_string(&mut json, p);
                b.values().append_value(&json);
            }
        }
        b.append(true);
    }
    Ok(Arc::new(b.finish()))
}

/// `split`'s parts of `text` (`str::split`, with the whole text for an empty delimiter): found with memchr for
/// a one-byte delimiter (a space, a comma), memmem otherwise, rather than `str::split`'s general searcher.
pub fn split_parts<'t>(text: &'t str, delim: &'t str) -> SplitParts<'t> {
    SplitParts { rest: Some(text), delim }
}

/// The iterator of [`split_parts`].
pub struct SplitParts<'t> {
    rest: Option<&'t str>,
    delim: &'t str,
}

impl<'t> Iterator for SplitParts<'t> {
    type Item = &'t str;
    fn next(&mut self) -> Option<&'t str> {
        let rest = self.rest?;
        let cut = match self.delim.as_bytes() {
            [] => None,
            &[b] => memchr::memchr(b, rest.as_bytes()),
            d => memchr::memmem::find(rest.as_bytes(), d),
        };
        // a match of valid UTF-8 in valid UTF-8 starts and ends on character boundaries
        match cut {
            Some(i) => {
                self.rest = rest.get(i + self.delim.len()..);
                rest.get(..i)
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{ListArray, StringArray};

    fn strings(a: &ArrayRef) -> Vec<Option<Vec<Option<String>>>> {
        let l = a.as_any().downcast_ref::<ListArray>().expect("a list");
        (0..l.len())
            .map(|r| {
                (!l.is_null(r)).then(|| {
                    let v = l.value(r);
                    let s = v.as_any().downcast_ref::<StringArray>().expect("strings");
                    (0..s.len()).map(|i| (!s.is_null(i)).then(|| s.value(i).to_string())).collect()
                })
            })
            .collect()
    }

    fn args(values: Vec<Option<&str>>) -> Vec<ArrayRef> {
        let n = values.len();
        vec![
            Arc::new(StringArray::from(values)),
            Arc::new(BooleanArray::from(vec![false; n])),
            Arc::new(Int64Array::from(vec![i64::MAX; n])),
        ]
    }

    /// `mv-expand parse_json(s)` fused gives what parse_json then mv-expand give, on canonical and other JSON,
    /// text that is not JSON and the empty string; `_text` gives each item's tostring.
    #[test]
    fn parse_fusion_is_parse_then_expand() {
        let texts = vec![
            Some(r#"[{"u":"ann","d":"C"},{"u":"bob"}]"#),
            Some(r#"[ {"u" : "a\u0062"}, 1.50, null ]"#),
            Some(r#"{"a":1,"b":[2, 3]}"#),
            Some("oops [x"),
            Some("[1,"),
            Some(""),
            None,
            Some("[]"),
            Some("7"),
        ];
        let parsed: Vec<Option<String>> = texts.iter().map(|t| t.and_then(parse_json_text)).collect();
        let parsed: Vec<Option<&str>> = parsed.iter().map(|t| t.as_deref()).collect();
        for items in [Items::Json, Items::Text, Items::Index] {
            let two = expand_list(&args(parsed.clone()), texts.len(), Source::Dynamic, items).expect("expand");
            let one = expand_list(&args(texts.clone()), texts.len(), Source::ParseJson, items).expect("fused");
            assert_eq!(one.to_data(), two.to_data(), "{items:?}");
        }
        let text = expand_list(&args(texts.clone()), texts.len(), Source::ParseJson, Items::Text).expect("text");
        let text = strings(&text);
        assert_eq!(text.first().cloned().flatten().unwrap_or_default().len(), 2);
        assert_eq!(
            text.get(1).cloned().flatten(),
            Some(vec![Some(r#"{"u":"ab"}"#.to_string()), Some("1.5".to_string()), Some(String::new())])
        );
        // "" and null are one row of ""; [] is none
        assert_eq!(text.get(5).cloned().flatten(), Some(vec![Some(String::new())]));
        assert_eq!(text.get(6).cloned().flatten(), Some(vec![Some(String::new())]));
        assert_eq!(text.get(7).cloned().flatten(), Some(vec![]));
    }

    #[test]
    fn split_parts_are_str_split() {
        for (t, d) in [
            ("a b  c", " "),
            ("", " "),
            (" ", " "),
            ("é,ü,", ","),
            ("a--b-", "--"),
            ("a---b", "--"),
            ("abc", ""),
            ("x€y€", "€"),
        ] {
            let want: Vec<&str> = if d.is_empty() { vec![t] } else { t.split(d).collect() };
            assert_eq!(split_parts(t, d).collect::<Vec<_>>(), want, "{t:?} {d:?}");
        }
    }

    /// `mv-expand split(s, d)` fused gives split's array items, as JSON or as text, with the limit.
    #[test]
    fn split_fusion_is_split_then_expand() {
        let s: Vec<Option<&str>> = vec![Some(r#"cmd /c "a b" \x"#), Some(""), None, Some("a,,b")];
        for (delim, limit) in [(" ", i64::MAX), ("", i64::MAX), (",", 2), ("/c", i64::MAX)] {
            let n = s.len();
            let split_args: Vec<ArrayRef> =
                vec![Arc::new(StringArray::from(s.clone())), Arc::new(StringArray::from(vec![delim; n]))];
            let arrays = super::super::dynamic::split(&split_args, n).expect("split");
            let arrays = arrays.as_any().downcast_ref::<StringArray>().expect("json").clone();
            let two_args: Vec<ArrayRef> = vec![
                Arc::new(arrays),
                Arc::new(BooleanArray::from(vec![false; n])),
                Arc::new(Int64Array::from(vec![limit; n])),
            ];
            let fused_args: Vec<ArrayRef> = vec![
                Arc::new(StringArray::from(s.clone())),
                Arc::new(StringArray::from(vec![delim])),
                Arc::new(Int64Array::from(vec![limit])),
            ];
            for items in [Items::Json, Items::Text] {
                let two = expand_list(&two_args, n, Source::Dynamic, items).expect("expand");
                let one = split_expand(&fused_args, n, items).expect("fused");
                assert_eq!(strings(&one), strings(&two), "{delim:?} {limit} {items:?}");
            }
        }
    }
}

#[cfg(test)]
mod index_tests {
    use super::*;
    use crate::functions::udf::members::with_members;

    /// The member index the expansion installs for its items equals the one an access builds from their text,
    /// for every item (objects, scalars, null items, nested and non-canonical ones, a limit), also read through
    /// a slice of the items.
    #[test]
    fn expansion_indexes_its_items() {
        let texts = vec![
            Some(r#"[{"u":"ann","d":"C"},{"u":"bob","x":{"u":1}}]"#),
            Some(r#"[{"u":"a\u0062"}, 1.5]"#),
            Some(r#"[null,"t",[{"u":2}],{"u":null},{}]"#),
            Some(r#"{"u":"bag"}"#),
            None,
            Some("[]"),
            Some(r#"[{"u":"x","u":"y"}]"#),
            Some(r#"[{"u":"first"},{"u":"cut"}]"#),
        ];
        let n = texts.len();
        let limits: Vec<i64> = (0..n).map(|r| if r == n - 1 { 1 } else { i64::MAX }).collect();
        let args: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(texts)),
            Arc::new(BooleanArray::from(vec![false; n])),
            Arc::new(Int64Array::from(limits)),
        ];
        for source in [Source::Dynamic, Source::ParseJson] {
            let list = expand_list(&args, n, source, Items::Json).expect("expands");
            let values = Arc::clone(list.as_list::<i32>().values());
            let text = values.as_any().downcast_ref::<StringArray>().expect("strings");
            assert_eq!(text.len(), 12, "{source:?}");
            // the installed index, read before anything else replaces it
            let installed: Vec<_> = with_members(&values, text, |m| {
                let m = m.expect("an index");
                (0..text.len()).map(|r| (m.get(text, r, "u"), m.get(text, r, "x"))).collect()
            });
            // the index built from the text of a copy of the items
            let copy: ArrayRef = Arc::new(text.iter().collect::<StringArray>());
            let copy_text = copy.as_any().downcast_ref::<StringArray>().expect("strings");
            let built: Vec<_> = with_members(&copy, copy_text, |m| {
                let m = m.expect("an index");
                (0..copy_text.len()).map(|r| (m.get(copy_text, r, "u"), m.get(copy_text, r, "x"))).collect()
            });
            // where the installed index has a row (a canonical array's items), it reads what the built one
            // reads; other rows are left to the long lookup
            for (r, (i, b)) in installed.iter().zip(&built).enumerate() {
                assert!(i == b || *i == (None, None), "{source:?} row {r}: {i:?} vs {b:?}");
            }
            assert_eq!(installed.iter().filter(|i| **i == (None, None)).count(), 7, "{source:?}");
            assert_eq!(installed.first(), Some(&(Some(Some(r#""ann""#)), Some(None))));
            // a slice of the items reads the installed index at its own rows
            let mut blank = Members::new();
            for _ in 0..text.len() {
                blank.push_row(None);
            }
            super::super::members::install(&values, blank);
            let sliced = values.slice(1, 2);
            let sliced_text = sliced.as_any().downcast_ref::<StringArray>().expect("strings");
            let got = with_members(&sliced, sliced_text, |m| m.and_then(|m| m.get(sliced_text, 0, "u")));
            assert_eq!(got, None, "an installed index without rows indexed is read, not rebuilt");
            let list = expand_list(&args, n, source, Items::Json).expect("expands");
            let values = Arc::clone(list.as_list::<i32>().values());
            let sliced = values.slice(1, 2);
            let sliced_text = sliced.as_any().downcast_ref::<StringArray>().expect("strings");
            let got = with_members(&sliced, sliced_text, |m| m.and_then(|m| m.get(sliced_text, 0, "u")));
            assert_eq!(got, Some(Some(r#""bob""#)));
        }
    }
}
