//! Literals: numbers, strings (plain, verbatim, obfuscated, multi-line), timespans (`10d`, `time(1.02:00:00)`),
//! `datetime(...)`, `guid(...)`, `dynamic(...)` JSON, and typed literals such as `long(null)` or `int(5)`.

use super::{at, cut, fail, nested, tok, PResult, Tokens};
use crate::ast::{Expr, ExprKind, Literal};
use crate::lexer::{string_value, Token};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// Ticks (100 ns) per unit suffix of a timespan literal.
const TIMESPAN_UNITS: &[(&[&str], f64)] = &[
    (&["d", "day", "days"], 864_000_000_000.0),
    (&["h", "hr", "hrs", "hour", "hours"], 36_000_000_000.0),
    (&["m", "min", "minute", "minutes"], 600_000_000.0),
    (&["s", "sec", "second", "seconds"], 10_000_000.0),
    (&["ms", "milli", "millis", "millisec", "millisecond", "milliseconds"], 10_000.0),
    (&["micro", "micros", "microsec", "microsecond", "microseconds"], 10.0),
    (&["nano", "nanos", "nanosec", "nanosecond", "nanoseconds"], 0.01),
    (&["tick", "ticks"], 1.0),
];

/// `10d` → ticks. Also the `15 seconds` form inside `timespan(...)`.
fn timespan_with_unit(text: &str) -> Option<i64> {
    let text = text.trim();
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (num, unit) = text.split_at(split);
    let value: f64 = num.trim().parse().ok()?;
    let per = TIMESPAN_UNITS.iter().find(|(names, _)| names.contains(&unit.trim()))?.1;
    Some((value * per).round() as i64)
}

/// Parses `[-][d.]hh:mm[:ss[.fffffff]]` (also a bare number of days) into ticks.
pub fn parse_timespan_text(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Some(v) = timespan_with_unit(t) {
        return Some(v);
    }
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let ticks = if !t.contains(':') {
        let days: f64 = t.parse().ok()?;
        (days * 864_000_000_000.0).round() as i64
    } else {
        let mut parts = t.split(':');
        let first = parts.next()?;
        let (days, hours) = match first.split_once('.') {
            Some((d, h)) => (d.parse::<i64>().ok()?, h.parse::<i64>().ok()?),
            None => (0, first.parse::<i64>().ok()?),
        };
        let minutes: i64 = parts.next()?.parse().ok()?;
        let (secs, frac) = match parts.next() {
            Some(s) => match s.split_once('.') {
                Some((s, f)) => (s.parse::<i64>().ok()?, fraction_ticks(f)?),
                None => (s.parse::<i64>().ok()?, 0),
            },
            None => (0, 0),
        };
        if parts.next().is_some() {
            return None;
        }
        ((days * 24 + hours) * 60 + minutes) * 60 * 10_000_000 + secs * 10_000_000 + frac
    };
    Some(if neg { -ticks } else { ticks })
}

/// `.1234567` fraction digits → ticks (7 digits = 100 ns).
fn fraction_ticks(f: &str) -> Option<i64> {
    if f.is_empty() || !f.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut digits: String = f.chars().take(7).collect();
    while digits.len() < 7 {
        digits.push('0');
    }
    digits.parse().ok()
}

/// Parses the datetime forms Kusto accepts in literals and `todatetime`: ISO 8601 with `T` or a space, optional
/// seconds, fraction (up to 7 digits kept) and `Z`/offset; a bare date. Returns Unix nanoseconds (UTC); `None`
/// for text that is no datetime and for a datetime outside what an i64 of nanoseconds holds (1677-09-21 to
/// 2262-04-11; see [`parse_datetime_any`]).
pub fn parse_datetime_text(text: &str) -> Option<i64> {
    let nanos = parse_datetime_any(text)?.timestamp_nanos_opt()?;
    // keep 100-ns precision: Kusto ticks
    Some(nanos.div_euclid(100) * 100)
}

/// The datetime `text` names, in any year chrono knows (Kusto's range is 0001 to 9999), in UTC.
pub fn parse_datetime_any(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(t) {
        return Some(dt.to_utc());
    }
    if let Ok(dt) = chrono::DateTime::parse_from_rfc2822(t) {
        return Some(dt.to_utc());
    }
    let (body, offset_secs) = split_offset(t);
    let body = body.replace('T', " ");
    let naive = if let Ok(d) = NaiveDate::parse_from_str(&body, "%Y-%m-%d") {
        d.and_time(NaiveTime::MIN)
    } else {
        [
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%d %H",
            "%Y/%m/%d %H:%M:%S%.f",
            "%Y/%m/%d",
            "%m/%d/%Y %H:%M:%S%.f",
        ]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&body, f).ok())
        .or_else(|| {
            // a bare date: year first, or month first as .NET's invariant culture reads `01-31-2022`
            ["%Y/%m/%d", "%m/%d/%Y", "%m-%d-%Y"]
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(&body, f).ok())
                .map(|d| d.and_time(NaiveTime::MIN))
        })?
    };
    naive.and_utc().checked_sub_signed(chrono::TimeDelta::try_seconds(offset_secs)?)
}

/// The smallest and largest datetimes kqlite holds (Unix nanoseconds in an i64), as the error for a literal
/// outside them says.
pub const DATETIME_RANGE: &str = "1677-09-21 00:12:43 to 2262-04-11 23:47:16";

/// Splits a trailing `Z` or `+hh:mm` offset from an ISO datetime text.
fn split_offset(t: &str) -> (&str, i64) {
    if let Some(b) = t.strip_suffix('Z').or_else(|| t.strip_suffix('z')) {
        return (b, 0);
    }
    if t.len() > 16 && t.as_bytes().get(t.len() - 3) == Some(&b':') {
        let (b, off) = t.split_at(t.len() - 6);
        let sign = match off.as_bytes().first() {
            Some(b'+') => 1,
            Some(b'-') => -1,
            _ => return (t, 0),
        };
        if let Some((h, m)) = off.get(1..).and_then(|o| o.split_once(':')) {
            if let (Ok(h), Ok(m)) = (h.parse::<i64>(), m.parse::<i64>()) {
                return (b, sign * (h * 3600 + m * 60));
            }
        }
    }
    (t, 0)
}

// grammar: literal
/// The literal of the next token, if it is a literal token; `None` otherwise (nothing consumed).
pub fn parse_literal_token(i: Tokens<'_>) -> PResult<'_, Option<Literal>> {
    let Some(t) = i.first() else { return Ok((i, None)) };
    let text = i.text(t);
    let bad = |what: &str| super::cut_fail(i, what);
    let lit = match t.token {
        Token::Int => {
            let v = if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
                i64::from_str_radix(hex, 16).ok()
            } else {
                text.parse::<i64>().ok()
            };
            // `1000.` is a real: a dot right after the digits that no name follows (`1000. by x`)
            let dot = i.peek(1).filter(|d| d.token == Token::Dot && super::adjacent(t, *d));
            let named_after = dot.is_some_and(|d| {
                i.peek(2).is_some_and(|n| matches!(n.token, Token::Ident | Token::LBracket) && super::adjacent(d, n))
            });
            if dot.is_some() && !named_after {
                return match text.parse::<f64>() {
                    Ok(f) => Ok((i.advance_public(2), Some(Literal::Real(f)))),
                    Err(_) => bad("a number"),
                };
            }
            match v {
                Some(v) => Literal::Long(v),
                None => match text.parse::<f64>() {
                    Ok(f) => Literal::Real(f),
                    Err(_) => return bad("a number that fits in a long"),
                },
            }
        }
        Token::Real => match text.parse::<f64>() {
            Ok(f) => Literal::Real(f),
            Err(_) => return bad("a number"),
        },
        Token::Timespan => match timespan_with_unit(text) {
            Some(v) => Literal::Timespan(v),
            None => return bad("a timespan such as 10d, 1.5h, 30m, 10s, 100ms"),
        },
        Token::Str | Token::VerbatimStr | Token::ObfuscatedStr | Token::TripleStr => {
            // adjacent string literals concatenate: "a" "b"
            let mut s = string_value(t.token, text);
            let mut n = 1;
            while let Some(next) = i.peek(n).filter(|x| {
                matches!(x.token, Token::Str | Token::VerbatimStr | Token::ObfuscatedStr | Token::TripleStr)
            }) {
                s.push_str(&string_value(next.token, i.text(next)));
                n += 1;
            }
            return Ok((i.advance_public(n), Some(Literal::String(s))));
        }
        Token::DatetimeLit => match inner(text).and_then(parse_datetime_text) {
            Some(v) => Literal::Datetime(v),
            None if inner(text).and_then(parse_datetime_any).is_some() => {
                return Err(nom::Err::Failure(super::PErr {
                    special: Some(super::Special::DatetimeRange(text.to_string())),
                    ..super::PErr::at(i, "")
                }))
            }
            None => return bad("a valid datetime such as datetime(2024-07-01 10:00:00)"),
        },
        Token::TimespanLit => match inner(text).and_then(parse_timespan_text) {
            Some(v) => Literal::Timespan(v),
            None => return bad("a valid timespan such as time(1.12:00:00)"),
        },
        Token::GuidLit => match inner(text) {
            Some(g) => Literal::Guid(g.trim().to_lowercase()),
            None => return bad("a guid"),
        },
        _ => return Ok((i, None)),
    };
    Ok((i.advance_public(1), Some(lit)))
}

/// The text between the first `(` and the last `)`.
fn inner(text: &str) -> Option<&str> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    text.get(open + 1..close)
}

// grammar: typed_literal, type_name
/// `long(null)`, `int(5)`, `real(-1.5)`, `bool(true)`, `dynamic([1, "a", {"k": null}])`, `datetime(null)`.
pub fn parse_typed_literal(i: Tokens<'_>) -> PResult<'_, Expr> {
    let Some(t) = i.first() else { return fail(i, "a literal") };
    let ty = i.text(t).to_string();
    let (j, _) = tok(i.advance_public(1), Token::LParen, "'('")?;
    if ty == "dynamic" {
        let (j, v) = cut(parse_json_value(j))?;
        let (j, close) = cut(tok(j, Token::RParen, "')' after the dynamic value"))?;
        return Ok((j, Expr { kind: ExprKind::Literal(Literal::Dynamic(v)), span: t.span.to(close.span) }));
    }
    if super::at_kw(j, "null") {
        let (j, _) = super::kw(j, "null")?;
        let (j, close) = cut(tok(j, Token::RParen, "')'"))?;
        return Ok((j, Expr { kind: ExprKind::Literal(Literal::TypedNull(ty)), span: t.span.to(close.span) }));
    }
    // a value: optional sign, then a literal token, `true`/`false`, or a special real (nan, inf)
    let (neg, j) = if at(j, Token::Minus) { (true, j.advance_public(1)) } else { (false, j) };
    let (j, lit) = if let (k, Some(l)) = parse_literal_token(j)? {
        (k, l)
    } else if let Some(w) = j.first().filter(|w| w.token == Token::Ident) {
        let lit = match j.text(w) {
            "true" => Literal::Bool(true),
            "false" => Literal::Bool(false),
            "nan" => Literal::Real(f64::NAN),
            "inf" | "+inf" => Literal::Real(f64::INFINITY),
            _ => return cut(fail(j, "null or a literal value")),
        };
        (j.advance_public(1), lit)
    } else {
        return cut(fail(j, "null or a literal value"));
    };
    let lit = match (neg, lit) {
        (true, Literal::Long(v)) => Literal::Long(-v),
        (true, Literal::Real(v)) => Literal::Real(-v),
        (true, Literal::Timespan(v)) => Literal::Timespan(-v),
        (false, l) => l,
        (true, _) => return cut(fail(j, "a number after '-'")),
    };
    let (j, close) = cut(tok(j, Token::RParen, "')'"))?;
    let span = t.span.to(close.span);
    // `datetime("1600-01-01")`: a datetime kqlite cannot hold, reported as `datetime(1600-01-01)` is
    if let (Some(crate::types::KqlType::Datetime), Literal::String(s)) = (crate::types::KqlType::parse(&ty), &lit) {
        if parse_datetime_text(s).is_none() && parse_datetime_any(s).is_some() {
            let literal = i.src.get(span.range()).unwrap_or_default().to_string();
            return Err(nom::Err::Failure(super::PErr {
                span,
                special: Some(super::Special::DatetimeRange(literal)),
                ..super::PErr::at(i, "")
            }));
        }
    }
    Ok((j, Expr { kind: ExprKind::Literal(Literal::Typed(ty, Box::new(lit))), span }))
}

// grammar: json_value
/// The inside of `dynamic(...)`: JSON, plus KQL literals (`datetime(...)`, `10d`, single-quoted strings).
fn parse_json_value(i: Tokens<'_>) -> PResult<'_, serde_json::Value> {
    use serde_json::Value;
    nested(i, |i| {
        let Some(t) = i.first() else { return fail(i, "a JSON value") };
        match t.token {
            Token::LBracket => {
                let (mut j, _) = tok(i, Token::LBracket, "")?;
                let mut items = Vec::new();
                while !at(j, Token::RBracket) {
                    let (k, v) = parse_json_value(j)?;
                    items.push(v);
                    j = k;
                    if at(j, Token::Comma) {
                        j = tok(j, Token::Comma, "")?.0;
                    } else {
                        break;
                    }
                }
                let (j, _) = tok(j, Token::RBracket, "']' or ','")?;
                Ok((j, Value::Array(items)))
            }
            Token::LBrace => {
                let (mut j, _) = tok(i, Token::LBrace, "")?;
                let mut map = serde_json::Map::new();
                while !at(j, Token::RBrace) {
                    let Some(k) = j.first() else { return fail(j, "a key") };
                    let key = match k.token {
                        Token::Str | Token::VerbatimStr => string_value(k.token, j.text(k)),
                        Token::Ident => j.text(k).to_string(),
                        _ => return fail(j, "a quoted key"),
                    };
                    let (k2, _) = tok(j.advance_public(1), Token::Colon, "':' after the key")?;
                    let (k2, v) = parse_json_value(k2)?;
                    map.insert(key, v);
                    j = k2;
                    if at(j, Token::Comma) {
                        j = tok(j, Token::Comma, "")?.0;
                    } else {
                        break;
                    }
                }
                let (j, _) = tok(j, Token::RBrace, "'}' or ','")?;
                Ok((j, Value::Object(map)))
            }
            // a typed literal, `datetime("2022-01-01")`, `long(3)`, a nested `dynamic(...)`: its value as JSON
            Token::Ident
                if super::expr::TYPE_NAMES.contains(&i.text(t))
                    && i.peek(1).is_some_and(|p| p.token == Token::LParen) =>
            {
                let (j, e) = parse_typed_literal(i)?;
                match e.kind {
                    ExprKind::Literal(l) => Ok((j, literal_to_json(&l))),
                    _ => fail(i, "a JSON value"),
                }
            }
            Token::Ident => {
                let v = match i.text(t) {
                    "null" => Value::Null,
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    _ => return fail(i, "a JSON value"),
                };
                Ok((i.advance_public(1), v))
            }
            Token::Minus => {
                let (j, v) = parse_json_value(i.advance_public(1))?;
                let neg = match v {
                    Value::Number(n) if n.is_i64() => Value::from(-n.as_i64().unwrap_or(0)),
                    Value::Number(n) => Value::from(-n.as_f64().unwrap_or(0.0)),
                    _ => return fail(i, "a number after '-'"),
                };
                Ok((j, neg))
            }
            _ => match parse_literal_token(i)? {
                (j, Some(lit)) => Ok((j, literal_to_json(&lit))),
                (_, None) => fail(i, "a JSON value"),
            },
        }
    })
}

/// A literal inside `dynamic(...)` as JSON (datetimes and timespans as their Kusto text).
pub fn literal_to_json(lit: &Literal) -> serde_json::Value {
    use serde_json::Value;
    match lit {
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Long(v) => Value::from(*v),
        Literal::Real(v) => serde_json::Number::from_f64(*v).map(Value::Number).unwrap_or(Value::Null),
        Literal::String(s) | Literal::Guid(s) => Value::String(s.clone()),
        Literal::Timespan(t) => Value::String(crate::values::format_timespan(*t)),
        Literal::Datetime(ns) => Value::String(crate::values::format_datetime(*ns)),
        Literal::Dynamic(v) => v.clone(),
        Literal::TypedNull(_) => Value::Null,
        Literal::Typed(ty, l) => typed_to_json(ty, l),
    }
}

/// `long(3)`, `datetime("2022-01-01")`, `real(1)` inside `dynamic(...)`: the value converted to the type, as
/// JSON; text the type does not read is null, as `todatetime`, `tolong`... give.
fn typed_to_json(ty: &str, lit: &Literal) -> serde_json::Value {
    use serde_json::Value;
    let text = match lit {
        Literal::String(s) => Some(s.trim()),
        _ => None,
    };
    let number = |v: &Literal| match v {
        Literal::Long(n) => Some(*n as f64),
        Literal::Real(f) => Some(*f),
        Literal::Bool(b) => Some(f64::from(u8::from(*b))),
        Literal::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    match (crate::types::KqlType::parse(ty), lit) {
        (Some(crate::types::KqlType::Datetime), Literal::String(_)) => {
            text.and_then(parse_datetime_text).map_or(Value::Null, |ns| literal_to_json(&Literal::Datetime(ns)))
        }
        (Some(crate::types::KqlType::Timespan), Literal::String(_)) => {
            text.and_then(parse_timespan_text).map_or(Value::Null, |t| literal_to_json(&Literal::Timespan(t)))
        }
        (Some(crate::types::KqlType::Int | crate::types::KqlType::Long), Literal::Long(n)) => Value::from(*n),
        (Some(crate::types::KqlType::Int | crate::types::KqlType::Long), v) => {
            number(v).filter(|f| f.is_finite()).map_or(Value::Null, |f| Value::from(f.trunc() as i64))
        }
        (Some(crate::types::KqlType::Real | crate::types::KqlType::Decimal), v) => {
            number(v).and_then(serde_json::Number::from_f64).map_or(Value::Null, Value::Number)
        }
        (Some(crate::types::KqlType::Bool), Literal::Bool(b)) => Value::Bool(*b),
        (Some(crate::types::KqlType::Bool), Literal::Long(n)) => Value::Bool(*n != 0),
        (Some(crate::types::KqlType::String), v) => match literal_to_json(v) {
            Value::String(s) => Value::String(s),
            Value::Null => Value::Null,
            other => Value::String(other.to_string()),
        },
        _ => literal_to_json(lit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespans() {
        assert_eq!(parse_timespan_text("1.12:00:00"), Some(36 * 36_000_000_000));
        assert_eq!(parse_timespan_text("00:00:00.0000001"), Some(1));
        assert_eq!(parse_timespan_text("-12:00:00"), Some(-12 * 36_000_000_000));
        assert_eq!(parse_timespan_text("2"), Some(2 * 864_000_000_000));
        assert_eq!(parse_timespan_text("15 seconds"), Some(150_000_000));
        assert_eq!(timespan_with_unit("1.5h"), Some(54_000_000_000));
    }

    #[test]
    fn datetimes() {
        let d = parse_datetime_text("2024-07-01").unwrap();
        assert_eq!(parse_datetime_text("2024-07-01T00:00:00Z"), Some(d));
        assert_eq!(parse_datetime_text("2024-07-01 02:00:00+02:00"), Some(d));
        assert_eq!(parse_datetime_text("2024-07-01 00:00:00.0000001").map(|x| x - d), Some(100));
        assert_eq!(parse_datetime_text("nope"), None);
        // a bare date with the month first, as .NET's invariant culture reads it
        assert_eq!(parse_datetime_text("07-01-2024"), Some(d));
        assert_eq!(parse_datetime_text("07/01/2024"), Some(d));
    }

    #[test]
    fn datetimes_out_of_range() {
        assert_eq!(parse_datetime_text("1600-01-01"), None);
        assert!(parse_datetime_any("0001-01-01").is_some());
        let err = |q: &str| crate::parser::parse_str(q).err();
        assert!(matches!(
            err("print datetime(1600-01-01)"),
            Some(crate::diagnostics::ParseError::DatetimeOutOfRange { .. })
        ));
        assert!(matches!(
            err("print dynamic([datetime(9999-12-31)])"),
            Some(crate::diagnostics::ParseError::DatetimeOutOfRange { .. })
        ));
        assert!(matches!(
            err("print datetime(\"1600-01-01\")"),
            Some(crate::diagnostics::ParseError::DatetimeOutOfRange { .. })
        ));
        assert!(err("print datetime(2262-04-11), datetime(1677-09-22)").is_none());
        // not a datetime at all: still a syntax error
        assert!(matches!(err("print datetime(2024-13-01)"), Some(crate::diagnostics::ParseError::Syntax { .. })));
    }
}
