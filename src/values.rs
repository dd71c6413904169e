//! Kusto's text for values: datetime `2024-07-01T00:00:00Z` (fraction up to 7 digits when non-zero),
//! timespan `[-][d.]hh:mm:ss[.fffffff]`, dynamic as compact JSON, strings as they are, null as empty.

use crate::types::KqlType;
use datafusion::arrow::array::{
    Array, BooleanArray, Decimal128Array, DurationNanosecondArray, Float64Array, Int32Array, Int64Array, StringArray,
    StringViewArray, TimestampNanosecondArray,
};
use datafusion::arrow::datatypes::DataType;
use serde_json::Value;

/// `2024-07-01T10:00:00Z`, `2024-07-01T10:00:00.1234567Z`
pub fn format_datetime(ns: i64) -> String {
    let dt = chrono::DateTime::from_timestamp_nanos(ns);
    let ticks = (ns.rem_euclid(1_000_000_000)) / 100;
    let base = dt.format("%Y-%m-%dT%H:%M:%S").to_string();
    if ticks == 0 {
        format!("{base}Z")
    } else {
        let frac = format!("{ticks:07}");
        format!("{base}.{}Z", frac.trim_end_matches('0'))
    }
}

/// `1.12:00:00`, `00:00:00.0000001`, `-12:00:00`
pub fn format_timespan(ticks: i64) -> String {
    let neg = ticks < 0;
    let t = (ticks as i128).unsigned_abs();
    let frac = t % 10_000_000;
    let secs = t / 10_000_000;
    let (d, h, m, s) = (secs / 86_400, (secs / 3600) % 24, (secs / 60) % 60, secs % 60);
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if d > 0 {
        out.push_str(&format!("{d}."));
    }
    out.push_str(&format!("{h:02}:{m:02}:{s:02}"));
    if frac > 0 {
        out.push_str(&format!(".{frac:07}"));
    }
    out
}

/// A real as Kusto prints it: shortest round-trip text, `NaN`, `Infinity`, `-Infinity`.
pub fn format_real(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else {
        format!("{v}")
    }
}

fn str_at(a: &dyn Array, r: usize) -> Option<&str> {
    if let Some(s) = a.as_any().downcast_ref::<StringArray>() {
        return Some(s.value(r));
    }
    a.as_any().downcast_ref::<StringViewArray>().map(|s| s.value(r))
}

/// The value at row `r` as JSON (`null` for null; datetimes and timespans as their text; dynamic parsed).
pub fn cell_json(a: &dyn Array, r: usize, ty: KqlType) -> Value {
    if a.is_null(r) {
        return if ty == KqlType::String { Value::String(String::new()) } else { Value::Null };
    }
    let any = a.as_any();
    match (ty, a.data_type()) {
        (KqlType::Dynamic, _) => {
            let t = str_at(a, r).unwrap_or("null");
            serde_json::from_str(t).unwrap_or_else(|_| Value::String(t.to_string()))
        }
        (_, DataType::Boolean) => {
            any.downcast_ref::<BooleanArray>().map(|x| Value::Bool(x.value(r))).unwrap_or_default()
        }
        (_, DataType::Int32) => any.downcast_ref::<Int32Array>().map(|x| Value::from(x.value(r))).unwrap_or_default(),
        (_, DataType::Int64) => any.downcast_ref::<Int64Array>().map(|x| Value::from(x.value(r))).unwrap_or_default(),
        (_, DataType::Float64) => any
            .downcast_ref::<Float64Array>()
            .map(|x| {
                let v = x.value(r);
                serde_json::Number::from_f64(v).map(Value::Number).unwrap_or(Value::String(format_real(v)))
            })
            .unwrap_or_default(),
        (_, DataType::Timestamp(..)) => any
            .downcast_ref::<TimestampNanosecondArray>()
            .map(|x| Value::String(format_datetime(x.value(r))))
            .unwrap_or_default(),
        (_, DataType::Duration(_)) => any
            .downcast_ref::<DurationNanosecondArray>()
            .map(|x| Value::String(format_timespan(x.value(r) / 100)))
            .unwrap_or_default(),
        (_, DataType::Decimal128(..)) => any
            .downcast_ref::<Decimal128Array>()
            .map(|x| {
                let text = x.value_as_string(r);
                serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text))
            })
            .unwrap_or_default(),
        _ => str_at(a, r).map(|s| Value::String(s.to_string())).unwrap_or_else(|| Value::String(fallback_text(a, r))),
    }
}

fn fallback_text(a: &dyn Array, r: usize) -> String {
    datafusion::arrow::util::display::array_value_to_string(a, r).unwrap_or_default()
}

/// The value at row `r` as Kusto's text: what `tostring()` and the table/CSV output show. Null is "".
pub fn cell_text(a: &dyn Array, r: usize, ty: KqlType) -> String {
    if a.is_null(r) {
        return String::new();
    }
    match cell_json(a, r, ty) {
        Value::String(s) if ty != KqlType::Dynamic => s,
        Value::Number(n) if ty == KqlType::Real => n.as_f64().map(format_real).unwrap_or_else(|| n.to_string()),
        Value::Null => String::new(),
        v => v.to_string(),
    }
}

/// Whether the bytes hold a JSON control character (below 0x20) or a backslash; no early exit, so the loop is
/// vectorised.
pub fn has_escape_or_control(b: &[u8]) -> bool {
    b.iter().fold(false, |acc, &c| acc | (c < 0x20) | (c == b'\\'))
}

/// Appends `text` as a JSON string token (quotes included) to `out`, escaped exactly as serde_json writes it:
/// text with no quote, backslash or control character is copied as it is.
pub fn push_json_string(out: &mut String, text: &str) {
    if !has_escape_or_control(text.as_bytes()) && memchr::memchr(b'"', text.as_bytes()).is_none() {
        out.push('"');
        out.push_str(text);
        out.push('"');
    } else {
        out.push_str(&Value::String(text.to_string()).to_string());
    }
}

/// The position of the first backslash, quote or control character of `s` (vectorised searches: a string
/// value of a dump can be a whole JSON document with an escape every few bytes).
fn next_special(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let q = memchr::memchr2(b'\\', b'"', b);
    let seg = b.get(..q.unwrap_or(b.len())).unwrap_or_default();
    if seg.iter().fold(false, |a, &c| a | (c < 0x20)) {
        return seg.iter().position(|&c| c < 0x20);
    }
    q
}

/// The text of the JSON string token `raw` (quotes included), unescaped by hand: borrowed when it has no
/// escapes. `None` when it is not a well-formed string token; the caller then asks serde_json, which says why.
pub fn json_string_body(raw: &str) -> Option<std::borrow::Cow<'_, str>> {
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    if !has_escape_or_control(inner.as_bytes()) {
        return Some(std::borrow::Cow::Borrowed(inner));
    }
    let mut out = String::with_capacity(inner.len());
    let mut rest = inner;
    while let Some(i) = next_special(rest) {
        let (head, tail) = rest.split_at(i);
        out.push_str(head);
        let mut chars = tail.chars();
        if chars.next()? != '\\' {
            return None; // a raw control character or an unescaped quote
        }
        match chars.next()? {
            '"' => out.push('"'),
            '\\' => out.push('\\'),
            '/' => out.push('/'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'u' => {
                let hex = |s: &str| {
                    s.get(..4)
                        .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                };
                let after = chars.as_str();
                let hi = hex(after)?;
                let after = after.get(4..)?;
                if (0xD800..0xDC00).contains(&hi) {
                    // a surrogate pair: the low half must follow as \uDC00..\uDFFF
                    let lo_text = after.strip_prefix("\\u")?;
                    let lo = hex(lo_text)?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return None;
                    }
                    out.push(char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?);
                    rest = lo_text.get(4..)?;
                } else {
                    out.push(char::from_u32(hi)?); // a lone low surrogate is None: serde_json's error
                    rest = after;
                }
                continue;
            }
            _ => return None,
        }
        rest = chars.as_str();
    }
    out.push_str(rest);
    Some(std::borrow::Cow::Owned(out))
}

/// Whether `text` is JSON that serde_json would print back unchanged after parsing it: no whitespace outside
/// strings, strings without escapes or control characters, numbers that are plain integers of at most 18
/// digits (not `-0`), no object with a repeated key, nesting below serde_json's limit. `false` says nothing
/// about validity: the caller parses such text the long way.
pub fn is_canonical_json(text: &str) -> bool {
    let b = text.as_bytes();
    matches!(canonical_value(b, 0, 0), Some(end) if end == b.len())
}

/// The end of the canonical JSON value at `i`, if it is one (see [`is_canonical_json`]).
fn canonical_value(b: &[u8], i: usize, depth: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => canonical_string(b, i),
        b'{' | b'[' => canonical_children(b, i, depth, &mut |_, _, _| {}),
        b't' => b.get(i..i + 4).filter(|w| *w == b"true").map(|_| i + 4),
        b'f' => b.get(i..i + 5).filter(|w| *w == b"false").map(|_| i + 5),
        b'n' => b.get(i..i + 4).filter(|w| *w == b"null").map(|_| i + 4),
        b'-' | b'0'..=b'9' => {
            let digits_at = if b.get(i) == Some(&b'-') { i + 1 } else { i };
            let n = b.get(digits_at..)?.iter().take_while(|c| c.is_ascii_digit()).count();
            let first = *b.get(digits_at)?;
            let end = digits_at + n;
            // no fraction or exponent, no leading zero, no -0, no more digits than an i64 surely holds
            let plain = (1..=18).contains(&n) && (first != b'0' || (n == 1 && digits_at == i));
            (plain && !matches!(b.get(end), Some(b'.' | b'e' | b'E'))).then_some(end)
        }
        _ => None,
    }
}

/// The end of the canonical object or array at `i`, if it is one; `child` sees each member's key (an object's:
/// the range of its name between the quotes, never escaped) and the range of its value, in order.
pub(crate) fn canonical_children(
    b: &[u8],
    i: usize,
    depth: usize,
    child: &mut impl FnMut(Option<(usize, usize)>, usize, usize),
) -> Option<usize> {
    if depth > 100 {
        return None;
    }
    let object = *b.get(i)? == b'{';
    let close = if object { b'}' } else { b']' };
    let mut i = i + 1;
    if b.get(i) == Some(&close) {
        return Some(i + 1);
    }
    // the keys seen, to refuse a repeated one (on the stack for the usual few)
    let mut few: [&[u8]; 8] = [&[]; 8];
    let mut more: Vec<&[u8]> = Vec::new();
    let mut n = 0usize;
    loop {
        let key = if object {
            let end = canonical_string(b, i)?;
            let key = b.get(i + 1..end - 1)?;
            if few.iter().take(n).any(|k| same_name(k, key)) || more.contains(&key) {
                return None;
            }
            match few.get_mut(n) {
                Some(slot) => *slot = key,
                None => more.push(key),
            }
            n += 1;
            if b.get(end) != Some(&b':') {
                return None;
            }
            let name = (i + 1, end - 1);
            i = end + 1;
            Some(name)
        } else {
            None
        };
        let end = canonical_value(b, i, depth + 1)?;
        child(key, i, end);
        i = end;
        match *b.get(i)? {
            b',' => i += 1,
            c if c == close => return Some(i + 1),
            _ => return None,
        }
    }
}

/// A member of canonical JSON text (see [`is_canonical_json`]) without parsing it: the property `key` of an
/// object or the item `index` of an array (negative from the end), as its text; `Some(None)` when it has no such
/// member. `None` when the text is not canonical (or not that kind of container): the caller parses it.
pub fn canonical_member<'t>(text: &'t str, key: Option<&str>, index: Option<i64>) -> Option<Option<&'t str>> {
    let b = text.as_bytes();
    let mut hits: Vec<(usize, usize)> = Vec::new();
    let mut found = None;
    let end = match (b.first()?, key, index) {
        (b'{', Some(k), None) => canonical_children(b, 0, 0, &mut |name, s, e| {
            if name.and_then(|(ks, ke)| b.get(ks..ke)) == Some(k.as_bytes()) {
                found = Some((s, e));
            }
        })?,
        (b'[', None, Some(i)) if i >= 0 => {
            let mut at = 0i64;
            canonical_children(b, 0, 0, &mut |_, s, e| {
                if at == i {
                    found = Some((s, e));
                }
                at += 1;
            })?
        }
        (b'[', None, Some(_)) => canonical_children(b, 0, 0, &mut |_, s, e| hits.push((s, e)))?,
        _ => return None,
    };
    if end != b.len() {
        return None;
    }
    if let Some(i) = index.filter(|i| *i < 0) {
        found = usize::try_from(hits.len() as i64 + i).ok().and_then(|i| hits.get(i).copied());
    }
    Some(found.and_then(|(s, e)| text.get(s..e)))
}

/// The items of the canonical JSON array `text`, as their text (canonical too), or `None` when the text is
/// not a canonical array.
pub fn canonical_items(text: &str) -> Option<Vec<&str>> {
    let b = text.as_bytes();
    if b.first() != Some(&b'[') {
        return None;
    }
    let mut ranges = Vec::new();
    let end = canonical_children(b, 0, 0, &mut |_, s, e| ranges.push((s, e)))?;
    (end == b.len()).then(|| ranges.into_iter().filter_map(|(s, e)| text.get(s..e)).collect())
}

/// [`canonical_items`] that also reads the members of the items that are objects, in the same walk: `items`
/// gets each item's [start, end, first member, end of members] (its members' range in `members`, empty unless
/// it is an object), `members` each member of an object item as [name start, name end, value start, value end]
/// in bytes of the item's text. `false` (and what was added is to be dropped) when the text is not a canonical
/// array.
pub(crate) fn canonical_items_members(text: &str, items: &mut Vec<[usize; 4]>, members: &mut Vec<[u32; 4]>) -> bool {
    let b = text.as_bytes();
    if b.first() != Some(&b'[') || u32::try_from(b.len()).is_err() {
        return false;
    }
    if b.get(1) == Some(&b']') {
        return b.len() == 2;
    }
    // the array's walk (canonical_children at depth 0), each object item walked by canonical_children itself
    let mut i = 1;
    loop {
        let from = members.len();
        let end = if b.get(i) == Some(&b'{') {
            let s = i;
            canonical_children(b, i, 1, &mut |name, vs, ve| {
                let (ks, ke) = name.unwrap_or((s, s));
                members.push([(ks - s) as u32, (ke - s) as u32, (vs - s) as u32, (ve - s) as u32]);
            })
        } else {
            canonical_value(b, i, 1)
        };
        let Some(end) = end else { return false };
        items.push([i, end, from, members.len()]);
        i = end;
        match b.get(i) {
            Some(b',') => i += 1,
            Some(b']') => return i + 1 == b.len(),
            _ => return false,
        }
    }
}

/// Whether two member names are the same bytes: a short name compared in place, where `==` on slices calls
/// `memcmp` once the lengths agree (the call costs more than comparing a name of a few bytes).
#[inline]
pub(crate) fn same_name(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && if a.len() <= 16 { a.iter().zip(b).all(|(x, y)| x == y) } else { a == b }
}

/// The end of the string token at `i` if it has no escape and no control character.
fn canonical_string(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let body = b.get(i + 1..)?;
    // the first 64 bytes (a key, a name) eight at a time; memchr past them (a command line, a document)
    let mut k = 0;
    while let Some(word) = body.get(k..k + 8).filter(|_| k < 64) {
        let x = u64::from_le_bytes(word.try_into().ok()?);
        let m = special_bytes(x);
        if m != 0 {
            // the lowest flagged byte is the first special one (flags above it may be false)
            let at = k + (m.trailing_zeros() / 8) as usize;
            return (body.get(at) == Some(&b'"')).then_some(i + 1 + at + 1);
        }
        k += 8;
    }
    let rest = body.get(k..)?;
    let q = memchr::memchr2(b'"', b'\\', rest)?;
    if rest.get(q) != Some(&b'"') || has_escape_or_control(rest.get(..q)?) {
        return None;
    }
    Some(i + 1 + k + q + 1)
}

/// The high bit set in each byte of `x` that may be a quote, a backslash or a control character; the lowest
/// one set is exactly the first such byte (the classic zero-byte test, whose borrow can only flag bytes above a
/// true one).
#[inline]
fn special_bytes(x: u64) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(LO) & !v & HI;
    zero(x ^ (LO * u64::from(b'"'))) | zero(x ^ (LO * u64::from(b'\\'))) | (x.wrapping_sub(LO * 0x20) & !x & HI)
}

/// JSON text with the whitespace outside strings removed (`[1, 2]` → `[1,2]`), as Kusto prints dynamic values.
pub fn compact_json(raw: &str) -> std::borrow::Cow<'_, str> {
    let b = raw.as_bytes();
    // the usual case: no whitespace byte at all (one branch-free pass the compiler vectorises)
    if !b.iter().fold(false, |a, &c| a | matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')) {
        return std::borrow::Cow::Borrowed(raw);
    }
    let needs = {
        let mut in_str = false;
        let mut esc = false;
        b.iter().any(|&c| {
            if in_str {
                match (esc, c) {
                    (true, _) => esc = false,
                    (false, b'\\') => esc = true,
                    (false, b'"') => in_str = false,
                    _ => {}
                }
                false
            } else {
                in_str = c == b'"';
                c.is_ascii_whitespace()
            }
        })
    };
    if !needs {
        return std::borrow::Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut in_str = false;
    let mut esc = false;
    for c in raw.chars() {
        if in_str {
            out.push(c);
            match (esc, c) {
                (true, _) => esc = false,
                (false, '\\') => esc = true,
                (false, '"') => in_str = false,
                _ => {}
            }
        } else if !c.is_ascii_whitespace() {
            in_str = c == '"';
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// canonical_string's word-at-a-time scan agrees with a byte-by-byte one, at every length and position
    #[test]
    fn canonical_strings() {
        let slow = |t: &[u8]| -> Option<usize> {
            let body = t.get(1..)?;
            let q = body.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
            (body.get(q) == Some(&b'"')).then_some(q + 2)
        };
        for len in 0..80usize {
            for special in [None, Some(b'"'), Some(b'\\'), Some(b'\n'), Some(0x7f), Some(0xc3)] {
                for at in [0, len / 2, len.saturating_sub(1)] {
                    let mut t = vec![b'"'];
                    t.extend((0..len).map(|k| {
                        if Some(k) == Some(at).filter(|_| special.is_some()) {
                            special.unwrap_or(b'a')
                        } else {
                            b'a' + (k % 26) as u8
                        }
                    }));
                    t.push(b'"');
                    t.extend_from_slice(b"x\"y");
                    assert_eq!(canonical_string(&t, 0), slow(&t), "{:?}", String::from_utf8_lossy(&t));
                }
            }
        }
    }

    /// canonical_member finds what a parse finds, and gives up (None) on text that is not canonical
    #[test]
    fn canonical_members() {
        let o = r#"{"a":1,"b":{"c":[1,2]},"d":"x","e":null}"#;
        assert_eq!(canonical_member(o, Some("b"), None), Some(Some(r#"{"c":[1,2]}"#)));
        assert_eq!(canonical_member(o, Some("d"), None), Some(Some(r#""x""#)));
        assert_eq!(canonical_member(o, Some("e"), None), Some(Some("null")));
        assert_eq!(canonical_member(o, Some("z"), None), Some(None));
        assert_eq!(canonical_member(o, None, Some(0)), None);
        let a = r#"[10,"t",[3],{"k":1}]"#;
        assert_eq!(canonical_member(a, None, Some(1)), Some(Some(r#""t""#)));
        assert_eq!(canonical_member(a, None, Some(-1)), Some(Some(r#"{"k":1}"#)));
        assert_eq!(canonical_member(a, None, Some(-5)), Some(None));
        assert_eq!(canonical_member(a, None, Some(4)), Some(None));
        assert_eq!(canonical_member("[]", None, Some(0)), Some(None));
        // not canonical: spaces, escapes, reals, repeated keys, trailing text, truncation, a string
        for t in [
            r#"{"a": 1}"#,
            r#"{"a":"\u0041"}"#,
            r#"{"a":1.5}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"a":1}x"#,
            r#"{"a":1"#,
            r#""{}""#,
        ] {
            assert_eq!(canonical_member(t, Some("a"), None), None, "{t}");
        }
        assert_eq!(canonical_items(a), Some(vec!["10", r#""t""#, "[3]", r#"{"k":1}"#]));
        assert_eq!(canonical_items("[]"), Some(vec![]));
        assert_eq!(canonical_items("[1, 2]"), None);
        assert_eq!(canonical_items(r#"{"a":1}"#), None);
        // more keys than the stack holds, one repeated past it
        let many = (0..12).map(|i| format!(r#""k{i}":{i}"#)).collect::<Vec<_>>().join(",");
        assert_eq!(canonical_member(&format!("{{{many}}}"), Some("k11"), None), Some(Some("11")));
        assert_eq!(canonical_member(&format!(r#"{{{many},"k10":0}}"#), Some("k1"), None), None);
    }

    #[test]
    fn timespan_text() {
        assert_eq!(format_timespan(36 * 36_000_000_000), "1.12:00:00");
        assert_eq!(format_timespan(1), "00:00:00.0000001");
        assert_eq!(format_timespan(-12 * 36_000_000_000), "-12:00:00");
        assert_eq!(format_timespan(0), "00:00:00");
    }

    #[test]
    fn datetime_text() {
        assert_eq!(format_datetime(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_datetime(100), "1970-01-01T00:00:00.0000001Z");
        assert_eq!(format_datetime(500_000_000), "1970-01-01T00:00:00.5Z");
    }

    #[test]
    fn json_strings_are_written_as_serde_json_writes_them() {
        for text in ["", "plain", "-enc", "a\"b", "back\\slash", "tab\there", "nl\n", "\u{1}", "é ü 中", "/x/"] {
            let mut out = String::new();
            push_json_string(&mut out, text);
            assert_eq!(out, serde_json::to_string(text).unwrap_or_default(), "{text:?}");
        }
    }

    #[test]
    fn canonical_json_is_what_serde_json_prints_back_unchanged() {
        let canonical = [
            r#"{"UserName":"ann","DomainName":"contoso","Sid":"S-1-5-21"}"#,
            r#"[{"a":1},{"a":-2},[],{}]"#,
            r#""plain text""#,
            r#"{"k":[true,false,null,0,-7,123456789012345678]}"#,
            r#"{"é":"中"}"#,
            "0",
        ];
        for t in canonical {
            assert!(is_canonical_json(t), "{t}");
            let v: Value = serde_json::from_str(t).unwrap_or_default();
            assert_eq!(v.to_string(), t, "serde_json prints {t} back unchanged");
        }
        // text serde_json would change (or reject): left to the long way
        for t in [
            r#"{"a": 1}"#,
            r#" {"a":1}"#,
            r#"{"a":1} "#,
            r#"{"a":"x\/y"}"#,
            r#"{"a":1.0}"#,
            r#"{"a":1e3}"#,
            r#"{"a":-0}"#,
            r#"{"a":01}"#,
            r#"{"a":1234567890123456789}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"a":1,}"#,
            r#"[1,]"#,
            r#"{"a"}"#,
            r#"{a:1}"#,
            "\"tab\tin\"",
            "tru",
            "",
            "[",
            r#"{"a":1}x"#,
        ] {
            assert!(!is_canonical_json(t), "{t}");
        }
        let deep = format!("{}{}", "[".repeat(150), "]".repeat(150));
        assert!(!is_canonical_json(&deep), "beyond serde_json's nesting limit");
    }
}
