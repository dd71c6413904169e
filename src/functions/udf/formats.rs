//! Text forms of datetimes and timespans (format_datetime, format_timespan), time-zone conversions
//! (datetime_utc_to_local, datetime_local_to_utc, over the IANA database of chrono-tz) and parse_version.
//! Their doc pages are named at each function.

use super::{arg, row, Result};
use chrono::{DateTime, Datelike, NaiveDateTime, TimeZone, Timelike, Utc};
use datafusion::arrow::array::{
    Array, ArrayRef, Decimal128Builder, PrimitiveArray, StringArray, StringBuilder, TimestampNanosecondArray,
};
use datafusion::arrow::datatypes::{ArrowPrimitiveType, DurationNanosecondType, TimestampNanosecondType};
use std::sync::Arc;

/// The format split into runs: a letter repeated (`yyyy`) or one literal character.
fn runs(fmt: &str) -> Vec<(char, usize)> {
    let mut out: Vec<(char, usize)> = Vec::new();
    for c in fmt.chars() {
        match out.last_mut() {
            Some((p, k)) if *p == c && c.is_ascii_alphabetic() => *k += 1,
            _ => out.push((c, 1)),
        }
    }
    out
}

/// `f`…/`F`… of a 7-digit tick fraction: the first `k` digits; `F` drops trailing zeros (all zeros: nothing).
fn fraction(ticks_fraction: i64, k: usize, trim: bool) -> String {
    let digits = format!("{:07}", ticks_fraction.rem_euclid(10_000_000));
    let mut s: String = digits.chars().take(k.min(7)).collect();
    if trim {
        while s.ends_with('0') {
            s.pop();
        }
    }
    s
}

fn pad(v: i64, width: usize) -> String {
    format!("{v:0width$}")
}

/// format-datetime-function: d dd f… F… h hh H HH m mm M MM s ss y yy yyyy tt; other characters are copied.
pub fn format_datetime_text(ns: i64, fmt: &str) -> String {
    let d = DateTime::from_timestamp_nanos(ns);
    let ticks_fraction = i64::from(d.nanosecond() / 100);
    let mut out = String::new();
    for (c, k) in runs(fmt) {
        let hour12 = match d.hour() % 12 {
            0 => 12,
            h => h,
        };
        let piece = match c {
            'd' => pad(i64::from(d.day()), k.min(2)),
            'f' => fraction(ticks_fraction, k, false),
            'F' => fraction(ticks_fraction, k, true),
            'h' => pad(i64::from(hour12), k.min(2)),
            'H' => pad(i64::from(d.hour()), k.min(2)),
            'm' => pad(i64::from(d.minute()), k.min(2)),
            'M' => pad(i64::from(d.month()), k.min(2)),
            's' => pad(i64::from(d.second()), k.min(2)),
            'y' if k <= 2 => pad(i64::from(d.year()).rem_euclid(100), k),
            'y' => pad(i64::from(d.year()), k),
            't' => {
                let ampm = if d.hour() < 12 { "AM" } else { "PM" };
                ampm.chars().take(k).collect()
            }
            other => std::iter::repeat_n(other, k).collect(),
        };
        out.push_str(&piece);
    }
    out
}

/// format-timespan-function: d… (days, padded to the count) h hh H HH (hours 0–23) m mm s ss f… F….
pub fn format_timespan_text(ns: i64, fmt: &str) -> String {
    let ticks = (ns / 100).unsigned_abs() as i64;
    let (days, rest) = (ticks / 864_000_000_000, ticks % 864_000_000_000);
    let (hours, minutes, seconds) = (rest / 36_000_000_000, rest / 600_000_000 % 60, rest / 10_000_000 % 60);
    let frac = rest % 10_000_000;
    let mut out = String::new();
    if ns < 0 {
        out.push('-');
    }
    for (c, k) in runs(fmt) {
        let piece = match c {
            'd' => pad(days, k),
            'h' | 'H' => pad(hours, k.min(2)),
            'm' => pad(minutes, k.min(2)),
            's' => pad(seconds, k.min(2)),
            'f' => fraction(frac, k, false),
            'F' => fraction(frac, k, true),
            other => std::iter::repeat_n(other, k).collect(),
        };
        out.push_str(&piece);
    }
    out
}

/// Each row's nanoseconds (a datetime or timespan array) formatted by `text` with the row's format; "" for null.
fn format_each<T>(a: &[ArrayRef], n: usize, name: &str, text: fn(i64, &str) -> String) -> Result<ArrayRef>
where
    T: ArrowPrimitiveType<Native = i64>,
{
    let d = arg::<PrimitiveArray<T>>(a, 0, name)?;
    let f = arg::<StringArray>(a, 1, name)?;
    let mut out = StringBuilder::new();
    for r in 0..n {
        let (i, j) = (row(d, r), row(f, r));
        if d.is_null(i) || f.is_null(j) {
            out.append_value("");
        } else {
            out.append_value(text(d.value(i), f.value(j)));
        }
    }
    Ok(Arc::new(out.finish()) as ArrayRef)
}

/// `kql_format_datetime(datetime, format)`. Broadcast.
pub fn format_datetime(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    format_each::<TimestampNanosecondType>(a, n, "format_datetime", format_datetime_text)
}

/// `kql_format_timespan(timespan, format)`. Broadcast.
pub fn format_timespan(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    format_each::<DurationNanosecondType>(a, n, "format_timespan", format_timespan_text)
}

/// A UTC instant shown on the wall clock of `tz` (datetime-utc-to-local-function).
pub fn utc_to_local(ns: i64, tz: &str) -> Option<i64> {
    let zone: chrono_tz::Tz = tz.parse().ok()?;
    let utc = DateTime::from_timestamp_nanos(ns);
    utc.with_timezone(&zone).naive_local().and_utc().timestamp_nanos_opt()
}

/// A wall-clock time of `tz` as a UTC instant; a time skipped by a clock change takes the offset after it
/// (datetime-local-to-utc-function).
pub fn local_to_utc(ns: i64, tz: &str) -> Option<i64> {
    let zone: chrono_tz::Tz = tz.parse().ok()?;
    let naive: NaiveDateTime = DateTime::from_timestamp_nanos(ns).naive_utc();
    let instant = match zone.from_local_datetime(&naive).earliest() {
        Some(t) => t.with_timezone(&Utc),
        None => {
            let hour = chrono::Duration::hours(1);
            zone.from_local_datetime(&(naive + hour)).earliest()?.with_timezone(&Utc) - hour
        }
    };
    instant.timestamp_nanos_opt()
}

fn zone_convert(a: &[ArrayRef], n: usize, name: &str, f: fn(i64, &str) -> Option<i64>) -> Result<ArrayRef> {
    let d = arg::<TimestampNanosecondArray>(a, 0, name)?;
    let z = arg::<StringArray>(a, 1, name)?;
    let out: TimestampNanosecondArray = (0..n)
        .map(|r| {
            let (i, j) = (row(d, r), row(z, r));
            if d.is_null(i) || z.is_null(j) {
                None
            } else {
                f(d.value(i), z.value(j))
            }
        })
        .collect();
    Ok(Arc::new(out.with_timezone("UTC")) as ArrayRef)
}

/// `kql_datetime_utc_to_local(datetime, timezone)`. Broadcast.
pub fn datetime_utc_to_local(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    zone_convert(a, n, "datetime_utc_to_local", utc_to_local)
}

/// `kql_datetime_local_to_utc(datetime, timezone)`. Broadcast.
pub fn datetime_local_to_utc(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    zone_convert(a, n, "datetime_local_to_utc", local_to_utc)
}

/// `parse_version("1.2.3.4")`: p1·10²⁴ + p2·10¹⁶ + p3·10⁸ + p4 as a decimal; one to four parts of at most
/// eight digits, missing parts 0; anything else null (parse-version-function).
pub fn version_number(s: &str) -> Option<i128> {
    let parts: Vec<&str> = s.trim().split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut v: i128 = 0;
    for (i, p) in parts.iter().enumerate() {
        let p = p.trim();
        if p.is_empty() || p.len() > 8 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let x: i128 = p.parse().ok()?;
        v += x * 10i128.pow(8 * (3 - i as u32));
    }
    Some(v)
}

/// `kql_parse_version(text)` → decimal.
pub fn parse_version(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let s = arg::<StringArray>(a, 0, "parse_version")?;
    let scale = 10i128.pow(crate::types::DECIMAL_SCALE as u32);
    let mut out = Decimal128Builder::new();
    for r in 0..n {
        let v = if s.is_null(r) { None } else { version_number(s.value(r)).and_then(|v| v.checked_mul(scale)) };
        out.append_option(v);
    }
    let arr = out.finish().with_precision_and_scale(38, crate::types::DECIMAL_SCALE)?;
    Ok(Arc::new(arr) as ArrayRef)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        // 2017-01-29 09:00:05.0123456
        let ns = 1_485_680_405_012_345_600;
        assert_eq!(format_datetime_text(ns, "yy-MM-dd [HH:mm:ss]"), "17-01-29 [09:00:05]");
        assert_eq!(format_datetime_text(ns, "yyyy-M-d h:m:s tt"), "2017-1-29 9:0:5 AM");
        assert_eq!(format_datetime_text(ns, "fff FFFFFFF"), "012 0123456");
        let ts: i64 = (29 * 86_400 + 9 * 3600 + 5) * 1_000_000_000;
        assert_eq!(format_timespan_text(ts, "dd.hh:mm:ss"), "29.09:00:05");
        assert_eq!(version_number("1.2.3.4"), Some(1_00000002_00000003_00000004));
        assert_eq!(version_number("1.2.3.4.5"), None);
    }

    #[test]
    fn zones() {
        // 2024-07-01 12:00 UTC is 14:00 in Amsterdam (summer time)
        let noon = 1_719_835_200_000_000_000;
        assert_eq!(utc_to_local(noon, "Europe/Amsterdam"), Some(noon + 7_200_000_000_000));
        assert_eq!(local_to_utc(noon + 7_200_000_000_000, "Europe/Amsterdam"), Some(noon));
    }
}
