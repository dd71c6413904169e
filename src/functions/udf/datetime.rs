//! datetime and timespan UDFs: `datetime_diff` counts calendar boundaries crossed, `datetime_part`, `bin`
//! aligned to 0001-01-01 (a Monday) as Kusto does, parsing from strings.

use super::arg;
use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use datafusion::arrow::array::{
    Array, ArrayRef, DurationNanosecondArray, Float64Array, Int32Array, Int64Array, PrimitiveArray, StringArray,
    TimestampNanosecondArray,
};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::datatypes::{ArrowPrimitiveType, DurationNanosecondType, Int64Type, TimestampNanosecondType};
use datafusion::common::Result;
use std::sync::Arc;

/// Nanoseconds from 0001-01-01 to 1970-01-01.
pub const EPOCH_FROM_YEAR_ONE_NS: i128 = 621_355_968_000_000_000 * 100;

fn to_dt(ns: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(ns)
}

fn days_from_ce(d: &DateTime<Utc>) -> i64 {
    d.date_naive().num_days_from_ce() as i64
}

/// `datetime_diff(period, a, b)`: boundaries of `period` crossed going from b to a (datetime-diff-function).
pub fn diff(period: &str, a: i64, b: i64) -> Option<i64> {
    let (da, db) = (to_dt(a), to_dt(b));
    let floor_div = |x: i128, d: i128| x.div_euclid(d);
    let ticks = |unit_ns: i128| -> i64 {
        (floor_div(a as i128 + EPOCH_FROM_YEAR_ONE_NS, unit_ns)
            - floor_div(b as i128 + EPOCH_FROM_YEAR_ONE_NS, unit_ns)) as i64
    };
    Some(match period.to_ascii_lowercase().as_str() {
        "year" => (da.year() - db.year()) as i64,
        "quarter" => {
            (da.year() as i64 * 4 + (da.month0() / 3) as i64) - (db.year() as i64 * 4 + (db.month0() / 3) as i64)
        }
        "month" => (da.year() as i64 * 12 + da.month0() as i64) - (db.year() as i64 * 12 + db.month0() as i64),
        // weeks start on Sunday; day 1 of the CE calendar (0001-01-01) is a Monday
        "week" => (days_from_ce(&da)).div_euclid(7) - (days_from_ce(&db)).div_euclid(7),
        "day" => days_from_ce(&da) - days_from_ce(&db),
        "hour" => ticks(3_600_000_000_000),
        "minute" => ticks(60_000_000_000),
        "second" => ticks(1_000_000_000),
        "millisecond" => ticks(1_000_000),
        "microsecond" => ticks(1_000),
        "nanosecond" => a.checked_sub(b)?,
        _ => return None,
    })
}

/// `datetime_part(part, d)` (datetime-part-function).
pub fn part(part: &str, ns: i64) -> Option<i32> {
    let d = to_dt(ns);
    Some(match part.to_ascii_lowercase().as_str() {
        "year" => d.year(),
        "quarter" => (d.month0() / 3 + 1) as i32,
        "month" => d.month() as i32,
        "week_of_year" | "weekofyear" => d.iso_week().week() as i32,
        "day" => d.day() as i32,
        "dayofyear" => d.ordinal() as i32,
        "hour" => d.hour() as i32,
        "minute" => d.minute() as i32,
        "second" => d.second() as i32,
        "millisecond" => (d.nanosecond() / 1_000_000) as i32,
        "microsecond" => (d.nanosecond() / 1_000) as i32,
        "nanosecond" => d.nanosecond() as i32,
        _ => return None,
    })
}

/// `datetime_add(period, amount, d)` (datetime-add-function): calendar periods move by months.
pub fn add(period: &str, amount: i64, ns: i64) -> Option<i64> {
    use chrono::Months;
    let d = to_dt(ns);
    let months = |m: i64| -> Option<DateTime<Utc>> {
        if m >= 0 {
            d.checked_add_months(Months::new(u32::try_from(m).ok()?))
        } else {
            d.checked_sub_months(Months::new(u32::try_from(-m).ok()?))
        }
    };
    let unit_ns: i64 = match period.to_ascii_lowercase().as_str() {
        "year" => return months(amount.checked_mul(12)?)?.timestamp_nanos_opt(),
        "quarter" => return months(amount.checked_mul(3)?)?.timestamp_nanos_opt(),
        "month" => return months(amount)?.timestamp_nanos_opt(),
        "week" => 7 * 86_400_000_000_000,
        "day" => 86_400_000_000_000,
        "hour" => 3_600_000_000_000,
        "minute" => 60_000_000_000,
        "second" => 1_000_000_000,
        "millisecond" => 1_000_000,
        "microsecond" => 1_000,
        "nanosecond" => 1,
        _ => return None,
    };
    ns.checked_add(amount.checked_mul(unit_ns)?)
}

pub fn datetime_add(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let p = arg::<StringArray>(arrays, 0, "datetime_add")?;
    let a = arg::<Int64Array>(arrays, 1, "datetime_add")?;
    let d = arg::<TimestampNanosecondArray>(arrays, 2, "datetime_add")?;
    let out: TimestampNanosecondArray = (0..n)
        .map(|r| {
            if p.is_null(r) || a.is_null(r) || d.is_null(r) {
                return None;
            }
            add(p.value(r), a.value(r), d.value(r))
        })
        .collect();
    Ok(Arc::new(out.with_timezone("UTC")) as ArrayRef)
}

/// Is this a period `datetime_diff` knows?
pub fn is_diff_period(p: &str) -> bool {
    diff(p, 0, 0).is_some()
}

/// Is this a part `datetime_part` knows?
pub fn is_part(p: &str) -> bool {
    part(p, 0).is_some()
}

pub fn datetime_diff(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let p = arg::<StringArray>(arrays, 0, "datetime_diff")?;
    let a = arg::<TimestampNanosecondArray>(arrays, 1, "datetime_diff")?;
    let b = arg::<TimestampNanosecondArray>(arrays, 2, "datetime_diff")?;
    let out: Int64Array = (0..n)
        .map(|r| {
            if p.is_null(r) || a.is_null(r) || b.is_null(r) {
                return None;
            }
            diff(p.value(r), a.value(r), b.value(r))
        })
        .collect();
    Ok(Arc::new(out) as ArrayRef)
}

pub fn datetime_part(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let p = arg::<StringArray>(arrays, 0, "datetime_part")?;
    let d = arg::<TimestampNanosecondArray>(arrays, 1, "datetime_part")?;
    let out: Int32Array =
        (0..n).map(|r| if p.is_null(r) || d.is_null(r) { None } else { part(p.value(r), d.value(r)) }).collect();
    Ok(Arc::new(out) as ArrayRef)
}

/// Floors `v` to a multiple of `size`, counted from `origin` (all in the same integer unit).
fn floor_to(v: i128, size: i128, origin: i128) -> Option<i128> {
    if size <= 0 {
        return None;
    }
    Some((v - origin).div_euclid(size) * size + origin)
}

/// `bin(v, size)` over two i64-backed columns (datetime, timespan, long): floors counted from `origin`.
fn bin_i64<V, S>(arrays: &[ArrayRef], n: usize, origin: i128) -> datafusion::error::Result<PrimitiveArray<V>>
where
    V: ArrowPrimitiveType<Native = i64>,
    S: ArrowPrimitiveType<Native = i64>,
{
    let v = arg::<PrimitiveArray<V>>(arrays, 0, "bin")?;
    let s = arg::<PrimitiveArray<S>>(arrays, 1, "bin")?;
    Ok((0..n)
        .map(|r| {
            if v.is_null(r) || s.is_null(r) {
                return None;
            }
            floor_to(v.value(r) as i128, s.value(r) as i128, origin).and_then(|x| i64::try_from(x).ok())
        })
        .collect())
}

/// `bin(value, roundTo)` (bin-function), by the value's type: datetime (with a timespan; bins counted from
/// 0001-01-01, so 7d bins start on Mondays), timespan, long or real; the result has the value's type.
pub fn bin(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    match arrays.first().map(|a| a.data_type()) {
        Some(DataType::Timestamp(..)) => {
            let out = bin_i64::<TimestampNanosecondType, DurationNanosecondType>(arrays, n, -EPOCH_FROM_YEAR_ONE_NS)?;
            Ok(Arc::new(out.with_timezone("UTC")) as ArrayRef)
        }
        Some(DataType::Duration(_)) => {
            Ok(Arc::new(bin_i64::<DurationNanosecondType, DurationNanosecondType>(arrays, n, 0)?) as ArrayRef)
        }
        Some(DataType::Int64) => Ok(Arc::new(bin_i64::<Int64Type, Int64Type>(arrays, n, 0)?) as ArrayRef),
        _ => bin_real(arrays, n),
    }
}

/// `bin(real, real)`
fn bin_real(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let v = arg::<Float64Array>(arrays, 0, "bin")?;
    let s = arg::<Float64Array>(arrays, 1, "bin")?;
    let out: Float64Array = (0..n)
        .map(|r| {
            if v.is_null(r) || s.is_null(r) || s.value(r) <= 0.0 {
                return None;
            }
            Some((v.value(r) / s.value(r)).floor() * s.value(r))
        })
        .collect();
    Ok(Arc::new(out) as ArrayRef)
}

/// `todatetime(string)`: ISO 8601 and the other accepted forms; failure → null.
pub fn parse_datetime(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let s = arg::<StringArray>(arrays, 0, "todatetime")?;
    let out: TimestampNanosecondArray =
        (0..n).map(|r| if s.is_null(r) { None } else { crate::parser::parse_datetime_text(s.value(r)) }).collect();
    Ok(Arc::new(out.with_timezone("UTC")) as ArrayRef)
}

/// `totimespan(string)`: `[-][d.]hh:mm:ss[.f]`; failure → null.
pub fn parse_timespan(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let s = arg::<StringArray>(arrays, 0, "totimespan")?;
    let out: DurationNanosecondArray = (0..n)
        .map(|r| {
            if s.is_null(r) {
                None
            } else {
                crate::parser::parse_timespan_text(s.value(r)).and_then(|t| t.checked_mul(100))
            }
        })
        .collect();
    Ok(Arc::new(out) as ArrayRef)
}

/// Start of the day/week(Sunday)/month/year containing `ns`.
pub fn start_of(unit: &str, ns: i64) -> Option<i64> {
    let d = to_dt(ns).date_naive();
    let date = match unit {
        "day" => d,
        "week" => d - chrono::Duration::days(d.weekday().num_days_from_sunday() as i64),
        "month" => NaiveDate::from_ymd_opt(d.year(), d.month(), 1)?,
        "year" => NaiveDate::from_ymd_opt(d.year(), 1, 1)?,
        _ => return None,
    };
    date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_nanos_opt()
}

/// Moves a period start by `k` periods.
fn shift(unit: &str, ns: i64, k: i64) -> Option<i64> {
    use chrono::Months;
    let d = to_dt(ns);
    let moved = match unit {
        "day" => d.checked_add_signed(chrono::Duration::days(k))?,
        "week" => d.checked_add_signed(chrono::Duration::days(7 * k))?,
        "month" | "year" => {
            let months = if unit == "year" { 12 * k } else { k };
            if months >= 0 {
                d.checked_add_months(Months::new(months as u32))?
            } else {
                d.checked_sub_months(Months::new((-months) as u32))?
            }
        }
        _ => d,
    };
    moved.timestamp_nanos_opt()
}

/// `kql_startof(period, d[, offset])`, or with `end` `kql_endof`: the start of the day/week/month/year
/// containing `d`, moved by `offset` periods; `endof` is the start of the next period less one 100-ns tick
/// (startofday-function, endofday-function…). An unknown period is null.
pub fn period_edge(arrays: &[ArrayRef], n: usize, end: bool) -> Result<ArrayRef> {
    let p = arg::<StringArray>(arrays, 0, "kql_startof")?;
    let d = arg::<TimestampNanosecondArray>(arrays, 1, "kql_startof")?;
    let off = match arrays.get(2) {
        Some(_) => Some(arg::<Int64Array>(arrays, 2, "kql_startof")?),
        None => None,
    };
    let out: TimestampNanosecondArray = (0..n)
        .map(|r| {
            if p.is_null(r) || d.is_null(r) {
                return None;
            }
            let unit = p.value(r);
            let k = off.filter(|o| !o.is_null(r)).map_or(0, |o| o.value(r));
            let start = start_of(unit, d.value(r))?;
            if end {
                shift(unit, start, k.checked_add(1)?)?.checked_sub(100)
            } else {
                shift(unit, start, k)
            }
        })
        .collect();
    Ok(Arc::new(out.with_timezone("UTC")) as ArrayRef)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::parse_datetime_text as dt;

    fn d(s: &str) -> i64 {
        dt(s).unwrap()
    }

    #[test]
    fn diff_counts_boundaries() {
        assert_eq!(diff("day", d("2024-03-01 00:01"), d("2024-02-29 23:59")), Some(1));
        assert_eq!(diff("hour", d("2024-01-01 10:00"), d("2024-01-01 12:59")), Some(-2));
        assert_eq!(diff("week", d("2024-03-03"), d("2024-03-02")), Some(1));
        assert_eq!(diff("second", d("2024-01-01 00:00:10.9"), d("2024-01-01 00:00:09.1")), Some(1));
    }

    #[test]
    fn parts() {
        assert_eq!(part("dayofyear", d("2024-02-01")), Some(32));
        assert_eq!(part("hour", d("2024-02-01 13:05")), Some(13));
    }

    #[test]
    fn seven_day_bins_start_monday() {
        let v = d("2024-07-03 15:00") as i128;
        let b = floor_to(v, 7 * 86_400_000_000_000, -EPOCH_FROM_YEAR_ONE_NS).unwrap();
        assert_eq!(b as i64, d("2024-07-01"));
    }
}
