//! UDF bodies of the `series_*` functions: each parses its series (a dynamic array as JSON text) per row,
//! calls the algorithm in `functions::series_math`, and prints the result as JSON. Functions with several
//! results (series_fit_line, series_stats, series_decompose_anomalies, ...) return one JSON array of their
//! parts, in the documented order; the binder splits it into columns. Every argument after the series is
//! optional (the documented defaults apply) and may be a broadcast constant.

use super::{row, Result};
use crate::functions::series_math as sm;
use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray, StringBuilder};
use serde_json::{json, Value};
use std::sync::Arc;

/// Argument `i` at row `r`, by type; `None` when absent or null.
pub(crate) fn text(a: &[ArrayRef], i: usize, r: usize) -> Option<String> {
    let x = a.get(i)?.as_any().downcast_ref::<StringArray>()?;
    let k = row(x, r);
    (!x.is_null(k)).then(|| x.value(k).to_string())
}

pub(crate) fn real(a: &[ArrayRef], i: usize, r: usize) -> Option<f64> {
    let arr = a.get(i)?;
    let any = arr.as_any();
    let k = row(arr.as_ref(), r);
    if arr.is_null(k) {
        return None;
    }
    any.downcast_ref::<Float64Array>()
        .map(|x| x.value(k))
        .or_else(|| any.downcast_ref::<Int64Array>().map(|x| x.value(k) as f64))
}

pub(crate) fn long(a: &[ArrayRef], i: usize, r: usize) -> Option<i64> {
    let arr = a.get(i)?;
    let k = row(arr.as_ref(), r);
    if arr.is_null(k) {
        return None;
    }
    arr.as_any().downcast_ref::<Int64Array>().map(|x| x.value(k))
}

pub(crate) fn boolean(a: &[ArrayRef], i: usize, r: usize) -> Option<bool> {
    let arr = a.get(i)?;
    let k = row(arr.as_ref(), r);
    if arr.is_null(k) {
        return None;
    }
    arr.as_any().downcast_ref::<BooleanArray>().map(|x| x.value(k))
}

/// The series at row r: its JSON elements, or `None` when the value is not an array.
fn elements(a: &[ArrayRef], r: usize) -> Option<Vec<Value>> {
    match serde_json::from_str::<Value>(&text(a, 0, r)?) {
        Ok(Value::Array(items)) => Some(items),
        _ => None,
    }
}

/// Elements as numbers; null, non-numbers and the placeholder are missing.
fn numbers(items: &[Value], placeholder: Option<f64>) -> Vec<Option<f64>> {
    items.iter().map(|v| v.as_f64().filter(|x| Some(*x) != placeholder)).collect()
}

fn reals(v: &[f64]) -> Value {
    Value::Array(v.iter().map(|x| num(*x)).collect())
}

pub(crate) fn num(x: f64) -> Value {
    serde_json::Number::from_f64(x).map(Value::Number).unwrap_or(Value::Null)
}

/// One JSON result per row (null where `f` gives none).
pub(crate) fn per_row(a: &[ArrayRef], n: usize, f: impl Fn(usize) -> Option<Value>) -> Result<ArrayRef> {
    let mut out = StringBuilder::new();
    for r in 0..n {
        match f(r) {
            Some(v) => out.append_value(v.to_string()),
            None => out.append_null(),
        }
    }
    let _ = a;
    Ok(Arc::new(out.finish()) as ArrayRef)
}

fn line_parts(l: &sm::Line) -> Vec<Value> {
    vec![num(l.rsquare), num(l.slope), num(l.variance), num(l.rvariance), num(l.interception), reals(&l.fit)]
}

/// `(series)` → [rsquare, slope, variance, rvariance, interception, line_fit]
pub fn fit_line(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    per_row(a, n, |r| Some(Value::Array(line_parts(&sm::fit_line(&numbers(&elements(a, r)?, None))))))
}

/// `(series)` → {rsquare, slope, variance, rvariance, interception, line_fit}
pub fn fit_line_dynamic(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    per_row(a, n, |r| {
        let l = sm::fit_line(&numbers(&elements(a, r)?, None));
        Some(json!({"rsquare": num(l.rsquare), "slope": num(l.slope), "variance": num(l.variance),
            "rvariance": num(l.rvariance), "interception": num(l.interception), "line_fit": reals(&l.fit)}))
    })
}

fn side(l: &sm::Line) -> [Value; 5] {
    [num(l.rsquare), num(l.slope), num(l.interception), num(l.variance), num(l.rvariance)]
}

/// `(series)` → [rsquare, split_idx, variance, rvariance, line_fit, right_rsquare, right_slope,
/// right_interception, right_variance, right_rvariance, left_… the same five]
pub fn fit_2lines(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    per_row(a, n, |r| {
        let t = sm::fit_2lines(&numbers(&elements(a, r)?, None));
        let mut parts =
            vec![num(t.rsquare), Value::from(t.split_idx), num(t.variance), num(t.rvariance), reals(&t.fit)];
        parts.extend(side(&t.right));
        parts.extend(side(&t.left));
        Some(Value::Array(parts))
    })
}

/// `(series)` → the same as a bag, with `left` and `right` bags (series-fit-2lines-function's dynamic form)
pub fn fit_2lines_dynamic(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    per_row(a, n, |r| {
        let t = sm::fit_2lines(&numbers(&elements(a, r)?, None));
        let bag = |l: &sm::Line| {
            json!({"rsquare": num(l.rsquare), "slope": num(l.slope), "interception": num(l.interception),
                "variance": num(l.variance), "rvariance": num(l.rvariance)})
        };
        Some(json!({"rsquare": num(t.rsquare), "split_idx": t.split_idx, "variance": num(t.variance),
            "rvariance": num(t.rvariance), "line_fit": reals(&t.fit), "right": bag(&t.right), "left": bag(&t.left)}))
    })
}

/// `(series[, ignore_nonfinite])` → [min, min_idx, max, max_idx, avg, stdev, variance] (nulls when not finite)
pub fn stats(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    per_row(a, n, |r| {
        let s = sm::stats(&numbers(&elements(a, r)?, None), boolean(a, 1, r).unwrap_or(false));
        Some(match s {
            Some(s) => json!([num(s.min), s.min_idx, num(s.max), s.max_idx, num(s.avg), num(s.stdev), num(s.variance)]),
            None => Value::Array(vec![Value::Null; 7]),
        })
    })
}

/// `(series[, ignore_nonfinite])` → {min, min_idx, max, max_idx, avg, stdev, variance, sum, len}
pub fn stats_dynamic(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    per_row(a, n, |r| {
        let s = sm::stats(&numbers(&elements(a, r)?, None), boolean(a, 1, r).unwrap_or(false))?;
        Some(json!({"min": num(s.min), "min_idx": s.min_idx, "max": num(s.max), "max_idx": s.max_idx,
            "avg": num(s.avg), "stdev": num(s.stdev), "variance": num(s.variance), "sum": num(s.sum), "len": s.len}))
    })
}

/// `(series[, kind[, ignore_val[, min_percentile[, max_percentile]]]])` → scores
pub fn outliers(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    per_row(a, n, |r| {
        let kind = text(a, 1, r).unwrap_or_else(|| "ctukey".into());
        let y = numbers(&elements(a, r)?, None);
        Some(reals(&sm::outliers(
            &y,
            &kind,
            real(a, 2, r),
            real(a, 3, r).unwrap_or(10.0),
            real(a, 4, r).unwrap_or(90.0),
        )))
    })
}

/// The missing elements of a series: null, or equal to the placeholder when one is given.
fn is_missing(v: &Value, placeholder: &Option<Value>) -> bool {
    v.is_null()
        || placeholder.as_ref().is_some_and(|p| !p.is_null() && p.as_f64().is_some_and(|p| v.as_f64() == Some(p)))
}

fn placeholder(a: &[ArrayRef], i: usize, r: usize) -> Option<Value> {
    text(a, i, r).and_then(|t| serde_json::from_str(&t).ok())
}

/// `(series[, missing_value_placeholder])`: each missing element takes the previous (forward) or next value
fn fill_direction(a: &[ArrayRef], n: usize, forward: bool) -> Result<ArrayRef> {
    per_row(a, n, |r| {
        let mut items = elements(a, r)?;
        let ph = placeholder(a, 1, r);
        let mut last: Option<Value> = None;
        let mut step = |v: &mut Value| {
            if is_missing(v, &ph) {
                if let Some(l) = &last {
                    *v = l.clone();
                } else if !v.is_null() {
                    *v = Value::Null;
                }
            } else {
                last = Some(v.clone());
            }
        };
        if forward {
            items.iter_mut().for_each(&mut step);
        } else {
            items.iter_mut().rev().for_each(&mut step);
        }
        Some(Value::Array(items))
    })
}

pub fn fill_forward(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    fill_direction(a, n, true)
}

pub fn fill_backward(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    fill_direction(a, n, false)
}

/// `(series, constant[, missing_value_placeholder])`
pub fn fill_const(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    per_row(a, n, |r| {
        let mut items = elements(a, r)?;
        let c = placeholder(a, 1, r).unwrap_or(Value::from(0));
        let ph = placeholder(a, 2, r);
        items.iter_mut().filter(|v| is_missing(v, &ph)).for_each(|v| *v = c.clone());
        Some(Value::Array(items))
    })
}

/// `(series[, missing_value_placeholder[, fill_edges[, constant_value]]])`: integers stay integers
/// (interpolated values truncated) when every known element is one
pub fn fill_linear(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    per_row(a, n, |r| {
        let items = elements(a, r)?;
        let ph = placeholder(a, 1, r);
        let mut y: Vec<Option<f64>> =
            items.iter().map(|v| if is_missing(v, &ph) { None } else { v.as_f64() }).collect();
        let ints = items.iter().filter(|v| !is_missing(v, &ph)).all(|v| v.is_i64() || v.is_u64());
        let constant = placeholder(a, 3, r).and_then(|v| v.as_f64()).unwrap_or(0.0);
        let had_values = y.iter().any(Option::is_some);
        sm::fill_linear(&mut y, boolean(a, 2, r).unwrap_or(true), constant);
        Some(Value::Array(
            y.iter()
                .map(|v| match v {
                    Some(x) if ints && had_values => Value::from(x.trunc() as i64),
                    Some(x) => num(*x),
                    None => Value::Null,
                })
                .collect(),
        ))
    })
}

fn reals_of(a: &[ArrayRef], i: usize, r: usize) -> Option<Vec<f64>> {
    match serde_json::from_str::<Value>(&text(a, i, r)?) {
        Ok(Value::Array(items)) => Some(items.iter().map(|v| v.as_f64().unwrap_or(0.0)).collect()),
        _ => None,
    }
}

/// `(series, filter[, normalize[, center]])`; normalize defaults to true unless a coefficient is negative; a
/// negative coefficient with normalize is null (series-fir-function)
pub fn fir(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    per_row(a, n, |r| {
        let x: Vec<f64> = numbers(&elements(a, r)?, None).iter().map(|v| v.unwrap_or(0.0)).collect();
        let c = reals_of(a, 1, r)?;
        let negative = c.iter().any(|v| *v < 0.0);
        let normalize = boolean(a, 2, r).unwrap_or(!negative);
        if normalize && negative {
            return None;
        }
        Some(reals(&sm::fir(&x, &c, normalize, boolean(a, 3, r).unwrap_or(false))))
    })
}

/// `(series, numerators, denominators)`
pub fn iir(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    per_row(a, n, |r| {
        let x: Vec<f64> = numbers(&elements(a, r)?, None).iter().map(|v| v.unwrap_or(0.0)).collect();
        let (b, d) = (reals_of(a, 1, r)?, reals_of(a, 2, r)?);
        if d.first().is_none_or(|a0| *a0 == 0.0) {
            return None;
        }
        Some(reals(&sm::iir(&x, &b, &d)))
    })
}

/// `(series[, period])`: period −1 (default) detects one
pub fn seasonal(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    per_row(a, n, |r| {
        let y: Vec<f64> = numbers(&elements(a, r)?, None).iter().map(|v| v.unwrap_or(0.0)).collect();
        let period = long(a, 1, r).unwrap_or(-1);
        let p = if period < 0 { sm::detect_period(&y, 0.7) } else { period };
        Some(reals(&sm::seasonal(&y, p, y.len())))
    })
}

/// `(series[, seasonality[, trend[, test_points[, seasonality_threshold]]]])` → [baseline, seasonal, trend, residual]
pub fn decompose(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    per_row(a, n, |r| {
        let y = numbers(&elements(a, r)?, None);
        let trend = text(a, 2, r).unwrap_or_else(|| "avg".into());
        let d = sm::decompose(
            &y,
            long(a, 1, r).unwrap_or(-1),
            &trend,
            long(a, 3, r).unwrap_or(0),
            real(a, 4, r).unwrap_or(0.6),
        );
        Some(json!([reals(&d.baseline), reals(&d.seasonal), reals(&d.trend), reals(&d.residual)]))
    })
}

/// `(series[, threshold[, seasonality[, trend[, test_points[, AD_method[, seasonality_threshold]]]]]])` →
/// [ad_flag, ad_score, baseline]
pub fn decompose_anomalies(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    per_row(a, n, |r| {
        let y = numbers(&elements(a, r)?, None);
        let threshold = real(a, 1, r).unwrap_or(1.5);
        let trend = text(a, 3, r).unwrap_or_else(|| "avg".into());
        let method = text(a, 5, r).unwrap_or_else(|| "ctukey".into());
        let d = sm::decompose(
            &y,
            long(a, 2, r).unwrap_or(-1),
            &trend,
            long(a, 4, r).unwrap_or(0),
            real(a, 6, r).unwrap_or(0.6),
        );
        let residual: Vec<Option<f64>> = d.residual.iter().map(|v| Some(*v)).collect();
        let score = sm::outliers(&residual, &method, None, 10.0, 90.0);
        let flag: Vec<Value> = score
            .iter()
            .map(|s| {
                Value::from(if *s > threshold {
                    1
                } else if *s < -threshold {
                    -1
                } else {
                    0
                })
            })
            .collect();
        Some(json!([Value::Array(flag), reals(&score), reals(&d.baseline)]))
    })
}

/// `(series, points[, seasonality[, trend[, seasonality_threshold]]])` → the baseline over the whole length,
/// learnt from all but the last `points` values
pub fn decompose_forecast(a: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    per_row(a, n, |r| {
        let y = numbers(&elements(a, r)?, None);
        let trend = text(a, 3, r).unwrap_or_else(|| "avg".into());
        let d = sm::decompose(
            &y,
            long(a, 2, r).unwrap_or(-1),
            &trend,
            long(a, 1, r).unwrap_or(0),
            real(a, 4, r).unwrap_or(0.6),
        );
        Some(reals(&d.baseline))
    })
}
