//! Cells → Arrow arrays of a column's Kusto type, by Kusto's ingestion rules. Every reader (JSON shapes, CSV)
//! pushes its cells through one [`ColumnBuilder`] per projected column:
//!
//! | Kusto type | accepts | does not fit (→ null, counted) |
//! |---|---|---|
//! | bool | `true`/`false`, `"True"`/`"false"` (any case), `1`/`0`, `"1"`/`"0"` | other text, other numbers |
//! | int, long | integers, integral reals, numeric text | fractions, overflow, other text |
//! | real | numbers, numeric text, `NaN`, `Infinity`, `-Infinity` | other text |
//! | decimal | numbers, numeric text (scale 10) | other text |
//! | datetime | ISO 8601 text with or without `Z`, up to 7 fractional digits | numbers, other text |
//! | timespan | `[-][d.]hh:mm:ss[.fffffff]`, `1h`-style text, a number of 100 ns ticks | other text |
//! | guid | any text (lower-cased) | numbers, objects |
//! | string | text as it is; numbers, booleans, objects as their JSON text; null → `""` | never |
//! | dynamic | JSON values as they are; text holding a JSON object or array is parsed | never |
//!
//! Strings are never null (Kusto has no null string); empty text is null for every other type and is not
//! counted as a coercion.

use crate::types::{KqlType, DECIMAL_SCALE};
use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Decimal128Builder, DurationNanosecondBuilder, Float64Builder, Int32Builder, Int64Builder,
    StringBuilder, TimestampNanosecondBuilder,
};
use std::sync::Arc;

/// A column being built. Each `push_*` appends exactly one cell and returns `false` when the value did not fit
/// the column's type (a null was appended instead).
#[derive(Debug)]
pub enum ColumnBuilder {
    Bool(BooleanBuilder),
    Int(Int32Builder),
    Long(Int64Builder),
    Real(Float64Builder),
    Decimal(Decimal128Builder),
    /// string, and guid (lower-cased)
    Text(StringBuilder, bool),
    Dynamic(StringBuilder),
    Datetime(TimestampNanosecondBuilder),
    Timespan(DurationNanosecondBuilder),
}

fn bool_text(s: &str) -> Option<bool> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("true") || t == "1" {
        Some(true)
    } else if t.eq_ignore_ascii_case("false") || t == "0" {
        Some(false)
    } else {
        None
    }
}

fn i64_text(s: &str) -> Option<i64> {
    let t = s.trim();
    t.parse::<i64>().ok().or_else(|| t.parse::<f64>().ok().and_then(integral))
}

fn integral(f: f64) -> Option<i64> {
    (f.fract() == 0.0 && f.is_finite() && f.abs() < 9.2e18).then_some(f as i64)
}

fn f64_text(s: &str) -> Option<f64> {
    match s.trim() {
        "NaN" => Some(f64::NAN),
        "Infinity" | "+Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        t => t.parse().ok(),
    }
}

fn decimal(f: f64) -> Option<i128> {
    let v = (f * 10f64.powi(DECIMAL_SCALE as i32)).round();
    v.is_finite().then_some(v as i128)
}

/// A dynamic cell from text: a JSON object or array written as text is the value it writes (compacted);
/// other text is a JSON string.
fn dynamic_from_text(s: &str) -> String {
    let t = s.trim_start();
    if (t.starts_with('{') || t.starts_with('[')) && serde_json::from_str::<serde::de::IgnoredAny>(t).is_ok() {
        return crate::values::compact_json(t.trim_end()).into_owned();
    }
    serde_json::Value::String(s.to_string()).to_string()
}

impl ColumnBuilder {
    pub fn new(ty: KqlType, capacity: usize) -> ColumnBuilder {
        match ty {
            KqlType::Bool => ColumnBuilder::Bool(BooleanBuilder::with_capacity(capacity)),
            KqlType::Int => ColumnBuilder::Int(Int32Builder::with_capacity(capacity)),
            KqlType::Long => ColumnBuilder::Long(Int64Builder::with_capacity(capacity)),
            KqlType::Real => ColumnBuilder::Real(Float64Builder::with_capacity(capacity)),
            KqlType::Decimal => ColumnBuilder::Decimal(Decimal128Builder::with_capacity(capacity)),
            KqlType::String => ColumnBuilder::Text(StringBuilder::with_capacity(capacity, capacity * 16), false),
            KqlType::Guid => ColumnBuilder::Text(StringBuilder::with_capacity(capacity, capacity * 36), true),
            KqlType::Dynamic => ColumnBuilder::Dynamic(StringBuilder::with_capacity(capacity, capacity * 16)),
            KqlType::Datetime => ColumnBuilder::Datetime(TimestampNanosecondBuilder::with_capacity(capacity)),
            KqlType::Timespan => ColumnBuilder::Timespan(DurationNanosecondBuilder::with_capacity(capacity)),
        }
    }

    /// A missing or null cell: `""` for strings, null otherwise.
    pub fn push_null(&mut self) {
        match self {
            ColumnBuilder::Bool(b) => b.append_null(),
            ColumnBuilder::Int(b) => b.append_null(),
            ColumnBuilder::Long(b) => b.append_null(),
            ColumnBuilder::Real(b) => b.append_null(),
            ColumnBuilder::Decimal(b) => b.append_null(),
            ColumnBuilder::Text(b, guid) => {
                if *guid {
                    b.append_null()
                } else {
                    b.append_value("")
                }
            }
            ColumnBuilder::Dynamic(b) => b.append_null(),
            ColumnBuilder::Datetime(b) => b.append_null(),
            ColumnBuilder::Timespan(b) => b.append_null(),
        }
    }

    /// Appends `v` or, when it is `None`, a null; returns whether a value was appended.
    fn opt<T>(&mut self, v: Option<T>, put: impl FnOnce(&mut ColumnBuilder, T)) -> bool {
        match v {
            Some(v) => {
                put(self, v);
                true
            }
            None => {
                self.push_null();
                false
            }
        }
    }

    pub fn push_bool(&mut self, v: bool) -> bool {
        match self {
            ColumnBuilder::Bool(b) => b.append_value(v),
            ColumnBuilder::Int(b) => b.append_value(v as i32),
            ColumnBuilder::Long(b) => b.append_value(v as i64),
            ColumnBuilder::Real(b) => b.append_value(v as i64 as f64),
            ColumnBuilder::Decimal(b) => b.append_value(v as i128 * 10i128.pow(DECIMAL_SCALE as u32)),
            ColumnBuilder::Text(b, false) => b.append_value(if v { "true" } else { "false" }),
            ColumnBuilder::Dynamic(b) => b.append_value(if v { "true" } else { "false" }),
            ColumnBuilder::Text(_, true) | ColumnBuilder::Datetime(_) | ColumnBuilder::Timespan(_) => {
                self.push_null();
                return false;
            }
        }
        true
    }

    pub fn push_i64(&mut self, v: i64) -> bool {
        match self {
            ColumnBuilder::Bool(_) => {
                let b = match v {
                    0 => Some(false),
                    1 => Some(true),
                    _ => None,
                };
                self.opt(b, |s, b| s.put_bool(b))
            }
            ColumnBuilder::Int(_) => self.opt(i32::try_from(v).ok(), |s, v| s.put_i32(v)),
            ColumnBuilder::Long(b) => {
                b.append_value(v);
                true
            }
            ColumnBuilder::Real(b) => {
                b.append_value(v as f64);
                true
            }
            ColumnBuilder::Decimal(_) => self.opt(decimal(v as f64), |s, v| s.put_decimal(v)),
            ColumnBuilder::Text(b, false) | ColumnBuilder::Dynamic(b) => {
                b.append_value(v.to_string());
                true
            }
            // a number of 100 ns ticks
            ColumnBuilder::Timespan(_) => self.opt(v.checked_mul(100), |s, v| s.put_duration(v)),
            ColumnBuilder::Text(_, true) | ColumnBuilder::Datetime(_) => {
                self.push_null();
                false
            }
        }
    }

    pub fn push_u64(&mut self, v: u64) -> bool {
        match i64::try_from(v) {
            Ok(i) => self.push_i64(i),
            Err(_) => self.push_f64(v as f64),
        }
    }

    pub fn push_f64(&mut self, v: f64) -> bool {
        match self {
            ColumnBuilder::Real(b) => {
                b.append_value(v);
                true
            }
            ColumnBuilder::Decimal(_) => self.opt(decimal(v), |s, v| s.put_decimal(v)),
            ColumnBuilder::Int(_) | ColumnBuilder::Long(_) | ColumnBuilder::Bool(_) | ColumnBuilder::Timespan(_) => {
                match integral(v) {
                    Some(i) => self.push_i64(i),
                    None => {
                        self.push_null();
                        false
                    }
                }
            }
            ColumnBuilder::Text(b, false) | ColumnBuilder::Dynamic(b) => {
                b.append_value(serde_json::Number::from_f64(v).map_or_else(|| v.to_string(), |n| n.to_string()));
                true
            }
            ColumnBuilder::Text(_, true) | ColumnBuilder::Datetime(_) => {
                self.push_null();
                false
            }
        }
    }

    /// A text cell (a JSON string's value, a CSV cell). Empty text is null (`""` for strings).
    pub fn push_str(&mut self, s: &str) -> bool {
        if s.is_empty() {
            self.push_null();
            return true;
        }
        match self {
            ColumnBuilder::Text(b, guid) => {
                if *guid {
                    b.append_value(s.to_lowercase())
                } else {
                    b.append_value(s)
                }
                true
            }
            ColumnBuilder::Dynamic(b) => {
                b.append_value(dynamic_from_text(s));
                true
            }
            ColumnBuilder::Bool(_) => self.opt(bool_text(s), |s, v| s.put_bool(v)),
            ColumnBuilder::Int(_) => self.opt(i64_text(s).and_then(|i| i32::try_from(i).ok()), |s, v| s.put_i32(v)),
            ColumnBuilder::Long(_) => self.opt(i64_text(s), |s, v| s.put_i64(v)),
            ColumnBuilder::Real(_) => self.opt(f64_text(s), |s, v| s.put_f64(v)),
            ColumnBuilder::Decimal(_) => self.opt(f64_text(s).and_then(decimal), |s, v| s.put_decimal(v)),
            ColumnBuilder::Datetime(_) => self.opt(crate::parser::parse_datetime_text(s), |s, v| s.put_datetime(v)),
            ColumnBuilder::Timespan(_) => self
                .opt(crate::parser::parse_timespan_text(s).and_then(|t| t.checked_mul(100)), |s, v| s.put_duration(v)),
        }
    }

    /// A JSON object or array, given as its JSON text: a dynamic value; a string column keeps the (compacted)
    /// text; other types do not fit.
    pub fn push_json(&mut self, raw: &str) -> bool {
        match self {
            ColumnBuilder::Dynamic(b) | ColumnBuilder::Text(b, false) => {
                b.append_value(crate::values::compact_json(raw));
                true
            }
            _ => {
                self.push_null();
                false
            }
        }
    }

    /// A value whose text in the file is `raw` JSON (any JSON value): dispatches on its first character.
    /// Returns `Err` with serde_json's message when `raw` is not JSON.
    pub fn push_raw(&mut self, raw: &str) -> Result<bool, serde_json::Error> {
        let first = raw.as_bytes().first().copied().unwrap_or(b'n');
        Ok(match first {
            b'"' => match crate::values::json_string_body(raw) {
                Some(s) => self.push_str(&s),
                None => {
                    let s: std::borrow::Cow<'_, str> = serde_json::from_str::<CowStr>(raw)?.0;
                    self.push_str(&s)
                }
            },
            b'{' | b'[' => self.push_json(raw),
            b't' => self.push_bool(true),
            b'f' => self.push_bool(false),
            b'n' => {
                self.push_null();
                true
            }
            _ if plain_integer(raw) => match raw.parse::<i64>() {
                Ok(i) => self.push_i64(i),
                Err(_) => self.push_f64(raw.parse::<f64>().unwrap_or(f64::NAN)),
            },
            _ => match serde_json::from_str::<serde_json::Number>(raw)? {
                n if n.is_i64() => self.push_i64(n.as_i64().unwrap_or_default()),
                n if n.is_u64() => self.push_u64(n.as_u64().unwrap_or_default()),
                n => self.push_f64(n.as_f64().unwrap_or(f64::NAN)),
            },
        })
    }

    fn put_bool(&mut self, v: bool) {
        if let ColumnBuilder::Bool(b) = self {
            b.append_value(v)
        }
    }
    fn put_i32(&mut self, v: i32) {
        if let ColumnBuilder::Int(b) = self {
            b.append_value(v)
        }
    }
    fn put_i64(&mut self, v: i64) {
        if let ColumnBuilder::Long(b) = self {
            b.append_value(v)
        }
    }
    fn put_f64(&mut self, v: f64) {
        if let ColumnBuilder::Real(b) = self {
            b.append_value(v)
        }
    }
    fn put_decimal(&mut self, v: i128) {
        if let ColumnBuilder::Decimal(b) = self {
            b.append_value(v)
        }
    }
    fn put_datetime(&mut self, v: i64) {
        if let ColumnBuilder::Datetime(b) = self {
            b.append_value(v)
        }
    }
    fn put_duration(&mut self, v: i64) {
        if let ColumnBuilder::Timespan(b) = self {
            b.append_value(v)
        }
    }

    /// The finished array, of the column's Arrow type.
    pub fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Bool(b) => Arc::new(b.finish()),
            ColumnBuilder::Int(b) => Arc::new(b.finish()),
            ColumnBuilder::Long(b) => Arc::new(b.finish()),
            ColumnBuilder::Real(b) => Arc::new(b.finish()),
            ColumnBuilder::Decimal(b) => {
                let a = b.finish();
                match a.clone().with_precision_and_scale(38, DECIMAL_SCALE) {
                    Ok(d) => Arc::new(d),
                    Err(_) => Arc::new(a),
                }
            }
            ColumnBuilder::Text(b, _) | ColumnBuilder::Dynamic(b) => Arc::new(b.finish()),
            ColumnBuilder::Datetime(b) => Arc::new(b.finish().with_timezone("UTC")),
            ColumnBuilder::Timespan(b) => Arc::new(b.finish()),
        }
    }
}

/// Whether `raw` is a JSON integer of at most 18 digits without sign tricks (`12`, `-7`; not `-0`, `01`,
/// `1e3`): it fits an i64 and parses as serde_json would.
fn plain_integer(raw: &str) -> bool {
    let digits = raw.strip_prefix('-').unwrap_or(raw).as_bytes();
    !digits.is_empty()
        && digits.len() <= 18
        && digits.iter().all(u8::is_ascii_digit)
        && (digits.first() != Some(&b'0') || (digits.len() == 1 && !raw.starts_with('-')))
}

/// A JSON string, borrowed when it has no escapes.
struct CowStr<'a>(std::borrow::Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for CowStr<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = CowStr<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CowStr(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CowStr(std::borrow::Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(CowStr(std::borrow::Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::util::display::array_value_to_string;

    fn cells(ty: KqlType, raws: &[&str]) -> (Vec<String>, usize) {
        let mut b = ColumnBuilder::new(ty, 4);
        let mut bad = 0;
        for r in raws {
            if !b.push_raw(r).unwrap_or(false) {
                bad += 1;
            }
        }
        let a = b.finish();
        let out = (0..a.len())
            .map(|i| if a.is_null(i) { "null".to_string() } else { array_value_to_string(&a, i).unwrap_or_default() })
            .collect();
        (out, bad)
    }

    use datafusion::arrow::array::Array;

    #[test]
    fn kusto_ingestion_rules() {
        assert_eq!(cells(KqlType::Bool, &["true", "\"True\"", "1", "\"0\"", "\"yes\""]).1, 1);
        let (v, bad) = cells(KqlType::Datetime, &["\"2024-03-01T10:00:00Z\"", "\"2024-03-01T10:00:00.1234567\"", "17"]);
        assert_eq!(bad, 1, "{v:?}");
        assert_eq!(v[1], "2024-03-01T10:00:00.123456700Z");
        let (v, bad) = cells(KqlType::String, &["null", "12", "{\"a\": [1, 2]}", "\"x y\""]);
        assert_eq!((v, bad), (vec!["".into(), "12".into(), "{\"a\":[1,2]}".into(), "x y".into()], 0));
        let (v, _) = cells(KqlType::Dynamic, &["\"{\\\"k\\\": 1}\"", "\"plain\"", "[1, \"a b\"]"]);
        assert_eq!(v, vec!["{\"k\":1}", "\"plain\"", "[1,\"a b\"]"]);
        let (v, bad) = cells(KqlType::Long, &["3", "3.0", "3.5", "\"42\""]);
        assert_eq!((v, bad), (vec!["3".into(), "3".into(), "null".into(), "42".into()], 1));
        assert_eq!(cells(KqlType::Timespan, &["\"01:00:00\"", "10"]).0.len(), 2);
    }

    /// The hand-written string and integer paths give what serde_json gives, and decline what it rejects.
    #[test]
    fn string_and_integer_fast_paths_agree_with_serde() {
        let strings = [
            r#""plain""#,
            r#""""#,
            r#""a\"b""#,
            r#""tab\there""#,
            r#""\\server\\share""#,
            r#""\/""#,
            r#""\b\f\n\r""#,
            r#""\u00e9t\u00E9""#,
            r#""\ud83d\ude00 smile""#,
            r#""caf\u00e9 ok""#,
            r#""ünï""#,
            r#""bad \x escape""#,
            r#""lone \ud800 high""#,
            r#""lone \udc00 low""#,
            r#""short \u12""#,
            "\"raw \u{1} ctl\"",
            r#""trailing \""#,
        ];
        for raw in strings {
            let serde = serde_json::from_str::<String>(raw).ok();
            let fast = crate::values::json_string_body(raw).map(|c| c.into_owned());
            assert_eq!(fast, serde, "{raw}");
        }
        for raw in ["0", "7", "-7", "123456789012345678", "-0", "01", "1e3", "1.5", "-", "9223372036854775807"] {
            if plain_integer(raw) {
                let serde = serde_json::from_str::<serde_json::Number>(raw).ok().and_then(|n| n.as_i64());
                assert_eq!(raw.parse::<i64>().ok(), serde, "{raw}");
            }
        }
        assert!(plain_integer("-7") && plain_integer("0") && !plain_integer("-0") && !plain_integer("01"));
    }
}
