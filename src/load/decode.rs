//! Chunks of JSON rows → one record batch of the columns a query reads. Each row is parsed once by serde_json
//! straight into the column builders (no tree): a projected key's value is taken as raw JSON text and
//! converted by [`super::convert`]; every other value is skipped. Values that do not fit their column are null
//! and counted ([`Tally`]); with `strict` the first one is an error at its line and column.

use super::convert::ColumnBuilder;
use super::scan::Chunk;
use super::shape::Shape;
use crate::diagnostics::LoadError;
use crate::types::KqlType;
use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::collections::{BTreeMap, HashMap};

/// Column names → projected index, hashed fast (every key of every row is looked up).
pub type Keys = HashMap<String, Option<usize>, foldhash::fast::FixedState>;
use std::fmt;

/// What one scan of one file builds: the projected columns and where their values are.
#[derive(Debug, Clone)]
pub struct Target {
    /// projected columns: name and type, in output order
    pub columns: Vec<(String, KqlType)>,
    /// every column of the table: key → projected index (None: in the table, not read by this query)
    pub keys: Keys,
    /// Log Analytics rows are arrays: cell position → projected index, for the table's group
    pub positional: Option<Vec<Option<usize>>>,
    pub group: usize,
    /// streaming records: the category of this table's rows (compared without case, `AdvancedHunting-` optional)
    pub category: Option<String>,
    pub strict: bool,
    pub arrow: SchemaRef,
}

impl Target {
    /// The `--strict` error for `value` (its text as the file has it) not fitting projected column `col`.
    pub fn misfit(&self, col: usize, value: &str, path: &str, line: usize, column: usize) -> LoadError {
        let (name, ty) = self.columns.get(col).map_or(("", ""), |(n, t)| (n.as_str(), t.name()));
        let message = format!("{value} does not fit column {name} of type {ty} (--strict)");
        LoadError::Format { path: path.to_string(), line, col: column, message }
    }

    /// One batch of this target's columns with `rows` rows (also when no column is read: `count`).
    pub fn batch(&self, arrays: Vec<ArrayRef>, rows: usize) -> Result<RecordBatch, String> {
        RecordBatch::try_new_with_options(
            self.arrow.clone(),
            arrays,
            &RecordBatchOptions::new().with_row_count(Some(rows)),
        )
        .map_err(|e| e.to_string())
    }
}

/// Counts of one decode, summed over a scan.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub rows: u64,
    /// per column: values that did not fit (nulls instead), and the first such value with its position
    pub coerced: BTreeMap<String, (u64, String)>,
    /// keys of rows that are not columns of the table, with their counts
    pub unknown: BTreeMap<String, u64>,
    /// records of other categories skipped (streaming records)
    pub other_rows: u64,
}

impl Tally {
    pub fn add(&mut self, o: &Tally) {
        self.rows += o.rows;
        self.other_rows += o.other_rows;
        for (k, (n, ex)) in &o.coerced {
            let e = self.coerced.entry(k.clone()).or_insert((0, ex.clone()));
            e.0 += n;
        }
        for (k, n) in &o.unknown {
            *self.unknown.entry(k.clone()).or_default() += n;
        }
    }

    /// `n` values of `column` did not fit; `example` (the first one, with where it is) is kept for the first.
    pub fn coerce(&mut self, column: &str, n: u64, example: impl FnOnce() -> String) {
        match self.coerced.get_mut(column) {
            Some(e) => e.0 += n,
            None => {
                self.coerced.insert(column.to_string(), (n, example()));
            }
        }
    }

    pub fn coerced_total(&self) -> u64 {
        self.coerced.values().map(|(n, _)| n).sum()
    }
}

/// The table name a streaming record's category names: `AdvancedHunting-DeviceEvents` → `DeviceEvents`.
pub fn category_table(category: &str) -> &str {
    category.strip_prefix("AdvancedHunting-").or_else(|| category.strip_prefix("advancedhunting-")).unwrap_or(category)
}

struct Bad {
    col: usize,
    offset: usize,
}

struct State<'t> {
    t: &'t Target,
    builders: Vec<ColumnBuilder>,
    seen: Vec<bool>,
    bad: Vec<Bad>,
    tally: Tally,
    base: usize,
    /// the keys of the previous row by position: rows of one file nearly always list their keys in the same
    /// order, so a key is first compared with the one at its position before it is hashed and looked up
    order: Vec<Known>,
}

impl State<'_> {
    fn put(&mut self, i: usize, raw: &RawValue) {
        self.put_text(i, raw.get());
    }

    /// The value text `raw` (a slice of the chunk, valid JSON) for projected column `i`.
    fn put_text(&mut self, i: usize, raw: &str) {
        self.put_with(i, raw, |b| b.push_raw(raw));
    }

    /// The JSON string token `raw` for column `i`, whose text the caller has read already (what `push_raw` of
    /// the token would push).
    fn put_string(&mut self, i: usize, raw: &str, text: &str) {
        self.put_with(i, raw, |b| Ok(b.push_str(text)));
    }

    fn put_with(
        &mut self,
        i: usize,
        raw: &str,
        push: impl FnOnce(&mut ColumnBuilder) -> Result<bool, serde_json::Error>,
    ) {
        let Some(seen) = self.seen.get_mut(i) else { return };
        if *seen {
            return; // a repeated key: the first value counts
        }
        *seen = true;
        let Some(b) = self.builders.get_mut(i) else { return };
        let fits = match push(b) {
            Ok(f) => f,
            // valid JSON serde cannot convert (1e400, a lone surrogate "\ud800"): null, counted
            Err(_) => {
                b.push_null();
                false
            }
        };
        if !fits {
            let offset = raw.as_ptr() as usize - self.base;
            self.bad.push(Bad { col: i, offset });
        }
    }

    fn end_row(&mut self) {
        for (s, b) in self.seen.iter_mut().zip(self.builders.iter_mut()) {
            if !*s {
                b.push_null();
            }
            *s = false;
        }
        self.tally.rows += 1;
    }
}

/// A key of a row object, looked up without allocating.
#[derive(Clone)]
enum Key {
    Col(usize),
    Skip,
    Unknown(String),
}

/// A key of the previous row: its name, what it is, and whether its JSON text is the name itself between
/// quotes (no `"` or `\\` in it), so the fast path may recognize it in the next row's bytes.
struct Known {
    name: String,
    key: Key,
    plain: bool,
}

impl Known {
    fn new(name: &str, key: Key) -> Known {
        Known { name: name.to_string(), key, plain: memchr::memchr2(b'"', b'\\', name.as_bytes()).is_none() }
    }
}

struct KeySeed<'a> {
    keys: &'a Keys,
    order: &'a mut Vec<Known>,
    pos: usize,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Key;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Key;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a column name")
    }
    fn visit_str<E>(self, v: &str) -> Result<Key, E> {
        if let Some(k) = self.order.get(self.pos).filter(|k| k.name == v) {
            return Ok(k.key.clone());
        }
        let key = match self.keys.get(v) {
            Some(Some(i)) => Key::Col(*i),
            Some(None) => Key::Skip,
            None => Key::Unknown(v.to_string()),
        };
        if self.pos < self.order.len() {
            if let Some(slot) = self.order.get_mut(self.pos) {
                *slot = Known::new(v, key.clone());
            }
        } else if self.pos == self.order.len() {
            self.order.push(Known::new(v, key.clone()));
        }
        Ok(key)
    }
}

/// A row object: projected keys into the builders.
struct RowSeed<'s, 't>(&'s mut State<'t>);

impl<'de: 's, 's> DeserializeSeed<'de> for RowSeed<'s, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de: 's, 's> Visitor<'de> for RowSeed<'s, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a row (a JSON object of column values)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let st = self.0;
        let mut pos = 0;
        while let Some(k) = map.next_key_seed(KeySeed { keys: &st.t.keys, order: &mut st.order, pos })? {
            pos += 1;
            match k {
                Key::Col(i) => {
                    let raw: &'de RawValue = map.next_value()?;
                    st.put(i, raw);
                }
                Key::Skip => {
                    map.next_value::<IgnoredAny>()?;
                }
                Key::Unknown(name) => {
                    map.next_value::<IgnoredAny>()?;
                    *st.tally.unknown.entry(name).or_default() += 1;
                }
            }
        }
        Ok(())
    }
}

/// A JSON object whose content is skipped.
struct ObjectOnly;

impl<'de> serde::Deserialize<'de> for ObjectOnly {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ObjectOnly;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a row (a JSON object of column values)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ObjectOnly, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(ObjectOnly)
            }
        }
        d.deserialize_map(V)
    }
}

/// A Log Analytics row: an array of cells in the table's column order.
struct CellsSeed<'s, 't>(&'s mut State<'t>);

impl<'de: 's, 's> DeserializeSeed<'de> for CellsSeed<'s, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de: 's, 's> Visitor<'de> for CellsSeed<'s, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a row (a JSON array of cells)")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let st = self.0;
        let t = st.t;
        let pos = t.positional.as_deref().unwrap_or_default();
        let mut i = 0;
        loop {
            match pos.get(i).copied().flatten() {
                Some(c) => match seq.next_element::<&'de RawValue>()? {
                    Some(raw) => st.put(c, raw),
                    None => break,
                },
                None => {
                    if seq.next_element::<IgnoredAny>()?.is_none() {
                        break;
                    }
                }
            }
            i += 1;
        }
        Ok(())
    }
}

/// A streaming record: `category` picks the table, `properties` is the row, `time` fills a missing Timestamp.
#[derive(serde::Deserialize)]
struct Record<'a> {
    #[serde(borrow, default)]
    category: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    properties: Option<&'a RawValue>,
    #[serde(borrow, default)]
    time: Option<&'a RawValue>,
}

fn json_error(chunk: &Chunk, path: &str, row_start: usize, e: &serde_json::Error) -> LoadError {
    // serde_json counts lines and columns from the start of the row's text
    let (line, col) = chunk.position(row_start);
    let (line, col) =
        if e.line() <= 1 { (line, col + e.column().saturating_sub(1)) } else { (line + e.line() - 1, e.column()) };
    let m = e.to_string();
    let message = m.find(" at line ").map_or(m.clone(), |i| m.get(..i).unwrap_or(&m).to_string());
    LoadError::Json { path: path.to_string(), line, col, message }
}

/// A read column's value in [`fast_row`]: its column, its JSON text, and a string's text (unescaped).
type Pair<'r> = (usize, &'r str, Option<std::borrow::Cow<'r, str>>);

/// The fast path for a row object: keys found with memchr, the values of unread columns skipped by scanning
/// for their end (strings to their closing quote, objects and arrays by depth, scalars to a delimiter) instead of
/// being parsed. The values of read columns are parsed as before (`push_raw`). Anything unusual (an escaped
/// key, a malformed value, trailing text) returns `false` before any value is stored, and the row goes through
/// serde_json, which reports the exact error. Skipped values are checked for their extent, not their grammar.
fn fast_row<'r>(st: &mut State, row: &'r str, pairs: &mut Vec<Pair<'r>>) -> bool {
    pairs.clear();
    let mut unknown = Vec::new();
    let b = row.as_bytes();
    let mut i = ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return false;
    }
    i = ws(b, i + 1);
    let mut pos = 0;
    if b.get(i) == Some(&b'}') {
        i += 1;
    } else {
        loop {
            if b.get(i) != Some(&b'"') {
                return false;
            }
            // the key the previous row had here, when the bytes are that name and its closing quote: no scan
            // for the quote, no lookup
            let predicted = st.order.get(pos).filter(|k| {
                let n = k.name.as_bytes();
                k.plain && b.get(i + 1..i + 1 + n.len()) == Some(n) && b.get(i + 1 + n.len()) == Some(&b'"')
            });
            let (end, known) = match predicted {
                Some(k) => (i + 1 + k.name.len(), Some(k.key.clone())),
                None => {
                    let rest = b.get(i + 1..).unwrap_or_default();
                    let Some(end) = memchr::memchr2(b'"', b'\\', rest).map(|e| i + 1 + e) else { return false };
                    if b.get(end) != Some(&b'"') {
                        return false; // an escaped key: serde_json unescapes it
                    }
                    (end, None)
                }
            };
            let Some(key) = row.get(i + 1..end) else { return false };
            i = ws(b, end + 1);
            if b.get(i) != Some(&b':') {
                return false;
            }
            let start = ws(b, i + 1);
            let Some(stop) = skip_value(b, start) else { return false };
            let k = match known {
                Some(k) => k,
                None => {
                    let seed = KeySeed { keys: &st.t.keys, order: &mut st.order, pos };
                    let Ok(k) = seed.visit_str::<serde::de::value::Error>(key) else { return false };
                    k
                }
            };
            pos += 1;
            match k {
                Key::Col(c) => {
                    let Some(v) = row.get(start..stop) else { return false };
                    // a value that is read is checked whole (the skip only found its end): strings and numbers
                    // by hand, objects and arrays by serde_json; true/false/null were checked by the skip
                    // (a string's text is read here, once, and kept for the column)
                    let mut text = None;
                    let valid = match v.as_bytes().first() {
                        Some(b'"') => {
                            text = crate::values::json_string_body(v);
                            text.is_some()
                        }
                        Some(b'{' | b'[') => serde_json::from_str::<IgnoredAny>(v).is_ok(),
                        Some(b't' | b'f' | b'n') => true,
                        _ => json_number_valid(v.as_bytes()),
                    };
                    if !valid {
                        return false;
                    }
                    pairs.push((c, v, text));
                }
                Key::Skip => {}
                Key::Unknown(name) => unknown.push(name),
            }
            i = ws(b, stop);
            match b.get(i) {
                Some(b',') => i = ws(b, i + 1),
                Some(b'}') => {
                    i += 1;
                    break;
                }
                _ => return false,
            }
        }
    }
    if ws(b, i) != b.len() {
        return false;
    }
    for (c, v, text) in pairs.drain(..) {
        match text {
            Some(text) => st.put_string(c, v, &text),
            None => st.put_text(c, v),
        }
    }
    for name in unknown {
        *st.tally.unknown.entry(name).or_default() += 1;
    }
    true
}

/// Whether `b` is a JSON number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn json_number_valid(b: &[u8]) -> bool {
    let digits = |b: &[u8], i: usize| b.get(i..).map_or(0, |r| r.iter().take_while(|c| c.is_ascii_digit()).count());
    let mut i = usize::from(b.first() == Some(&b'-'));
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i += digits(b, i),
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        let n = digits(b, i + 1);
        if n == 0 {
            return false;
        }
        i += 1 + n;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let n = digits(b, i);
        if n == 0 {
            return false;
        }
        i += n;
    }
    i == b.len()
}

/// The first position at or after `i` that is not JSON whitespace.
fn ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
        i += 1;
    }
    i
}

/// The end of the string whose opening quote is at `i`.
fn skip_string(b: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    loop {
        let e = i + memchr::memchr2(b'"', b'\\', b.get(i..)?)?;
        match b.get(e) {
            Some(b'"') => return Some(e + 1),
            _ => i = e + 2, // a backslash and the character it escapes
        }
    }
}

/// The end of the JSON value starting at `i`; `None` when it does not end or is not a value.
fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => skip_string(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match b.get(j)? {
                    b'"' => {
                        j = skip_string(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let len =
                b.get(i..)?.iter().position(|c| matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n'))?;
            let tok = b.get(i..i + len)?;
            let number = tok.iter().all(|c| c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E'))
                && tok.first().is_some_and(|c| c.is_ascii_digit() || *c == b'-');
            (number || matches!(tok, b"true" | b"false" | b"null")).then_some(i + len)
        }
    }
}

/// One row object into the builders, from text or bytes.
fn row_object<'de: 's, 's, 't, R: serde_json::de::Read<'de>>(
    st: &'s mut State<'t>,
    mut de: serde_json::Deserializer<R>,
) -> Result<bool, serde_json::Error> {
    RowSeed(st).deserialize(&mut de)?;
    de.end()?;
    Ok(true)
}

/// Decodes the rows of `chunk` (from a file of `shape` at `path`) into one batch of `t`'s columns.
pub fn decode(chunk: &Chunk, shape: Shape, t: &Target, path: &str) -> Result<(RecordBatch, Tally), LoadError> {
    let n = chunk.rows.len();
    let mut st = State {
        t,
        builders: t.columns.iter().map(|(_, ty)| ColumnBuilder::new(*ty, n)).collect(),
        seen: vec![false; t.columns.len()],
        bad: Vec::new(),
        tally: Tally::default(),
        base: chunk.data.as_ptr() as usize,
        order: Vec::new(),
    };
    // valid UTF-8 checked once for the chunk: the rows are then parsed as text, with no check per string
    let text_rows = simdutf8::basic::from_utf8(&chunk.data).ok();
    let mut pairs = Vec::new();
    for r in &chunk.rows {
        if shape == Shape::LogAnalytics && r.group != t.group {
            continue;
        }
        let text = chunk.data.get(r.start..r.end).unwrap_or_default();
        let result = match shape {
            Shape::LogAnalytics => {
                let mut de = serde_json::Deserializer::from_slice(text);
                CellsSeed(&mut st).deserialize(&mut de).and_then(|_| de.end()).map(|_| true)
            }
            s if s.is_records() => record(&mut st, text, chunk, path)?,
            // no column read (`count`): the row is only checked to be a JSON object
            _ if t.columns.is_empty() => serde_json::from_slice::<ObjectOnly>(text).map(|_| true),
            _ => match text_rows.and_then(|t| t.get(r.start..r.end)) {
                Some(row) if fast_row(&mut st, row, &mut pairs) => Ok(true),
                Some(row) => row_object(&mut st, serde_json::Deserializer::from_str(row)),
                None => row_object(&mut st, serde_json::Deserializer::from_slice(text)),
            },
        };
        match result {
            Ok(true) => st.end_row(),
            Ok(false) => {}
            Err(e) => return Err(json_error(chunk, path, r.start, &e)),
        }
        if let Some(b) = st.bad.first().filter(|_| t.strict) {
            let (line, col) = chunk.position(b.offset);
            return Err(t.misfit(b.col, &cell_text(&chunk.data, b.offset), path, line, col));
        }
        for b in std::mem::take(&mut st.bad) {
            let name = t.columns.get(b.col).map_or("", |c| c.0.as_str());
            st.tally.coerce(name, 1, || {
                let (line, col) = chunk.position(b.offset);
                format!("{} at {path}:{line}:{col}", cell_text(&chunk.data, b.offset))
            });
        }
    }
    let rows = st.tally.rows as usize;
    let arrays = st.builders.iter_mut().map(|b| b.finish()).collect();
    let batch = t.batch(arrays, rows).map_err(|message| LoadError::Format {
        path: path.to_string(),
        line: chunk.line,
        col: chunk.col,
        message,
    })?;
    Ok((batch, st.tally))
}

/// One record: `Ok(Ok(true))` a row of this table was added.
fn record(
    st: &mut State,
    text: &[u8],
    chunk: &Chunk,
    path: &str,
) -> Result<Result<bool, serde_json::Error>, LoadError> {
    let rec: Record = match serde_json::from_slice(text) {
        Ok(r) => r,
        Err(e) => return Ok(Err(e)),
    };
    let cat = rec.category.as_deref().map(category_table).unwrap_or_default();
    if !st.t.category.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(cat)) {
        st.tally.other_rows += 1;
        return Ok(Ok(false));
    }
    let Some(props) = rec.properties else {
        let (line, col) = chunk.position(text.as_ptr() as usize - chunk.data.as_ptr() as usize);
        return Err(LoadError::Format {
            path: path.into(),
            line,
            col,
            message: "a record has no \"properties\" object".into(),
        });
    };
    let mut de = serde_json::Deserializer::from_str(props.get());
    if let Err(e) = RowSeed(st).deserialize(&mut de) {
        let off = props.get().as_ptr() as usize - chunk.data.as_ptr() as usize;
        return Err(json_error(chunk, path, off, &e));
    }
    if let (Some(time), Some(Some(i))) = (rec.time, st.t.keys.get("Timestamp")) {
        if !st.seen.get(*i).copied().unwrap_or(true) {
            st.put(*i, time);
        }
    }
    Ok(Ok(true))
}

/// The JSON value text at `offset`, shortened for a message.
fn cell_text(data: &[u8], offset: usize) -> String {
    let rest = data.get(offset..).unwrap_or_default();
    let mut de = serde_json::Deserializer::from_slice(rest).into_iter::<&RawValue>();
    let t = match de.next() {
        Some(Ok(r)) => r.get().to_string(),
        _ => String::from_utf8_lossy(rest.get(..rest.len().min(20)).unwrap_or_default()).into_owned(),
    };
    if t.chars().count() > 40 {
        format!("{}…", t.chars().take(40).collect::<String>())
    } else {
        t
    }
}

#[cfg(test)]
mod tests;
