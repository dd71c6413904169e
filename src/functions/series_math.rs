//! The numeric algorithms of the `series_*` functions over one series (a dynamic array of numbers; a missing or
//! non-numeric element is `None`). Pure functions: the UDF bodies (`udf/series.rs`) parse, call these, and
//! print. Definitions as the doc pages give them (series-fit-line-function, series-fit-2lines-function,
//! series-stats-function, series-outliers-function, series-fill-*-function, series-fir-function,
//! series-iir-function, series-seasonal-function, series-decompose-function,
//! series-decompose-anomalies-function, series-decompose-forecast-function); where a page leaves a detail open
//! the choice is named at the function.

/// A least-squares line over x = 1..n (series-fit-line-function).
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub rsquare: f64,
    pub slope: f64,
    pub variance: f64,
    pub rvariance: f64,
    pub interception: f64,
    pub fit: Vec<f64>,
    /// the sum of squared residuals
    pub sse: f64,
}

/// Missing values count as 0 in the fits (the pages fill series before fitting; 0 is make-series' default).
fn dense(y: &[Option<f64>]) -> Vec<f64> {
    y.iter().map(|v| v.unwrap_or(0.0)).collect()
}

/// Sample variance (n − 1 in the denominator), 0 for fewer than two values.
fn sample_variance(y: &[f64]) -> f64 {
    let n = y.len();
    if n < 2 {
        return 0.0;
    }
    let mean = y.iter().sum::<f64>() / n as f64;
    y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64
}

/// The line through y at x = x0, x0 + 1, ... (x0 = 1 for series_fit_line).
pub fn fit_line_at(y: &[f64], x0: f64) -> Line {
    let n = y.len();
    let nf = n as f64;
    if n == 0 {
        return Line {
            rsquare: 0.0,
            slope: 0.0,
            variance: 0.0,
            rvariance: 0.0,
            interception: 0.0,
            fit: vec![],
            sse: 0.0,
        };
    }
    let xs: Vec<f64> = (0..n).map(|i| x0 + i as f64).collect();
    let xm = xs.iter().sum::<f64>() / nf;
    let ym = y.iter().sum::<f64>() / nf;
    let sxx: f64 = xs.iter().map(|x| (x - xm).powi(2)).sum();
    let sxy: f64 = xs.iter().zip(y).map(|(x, v)| (x - xm) * (v - ym)).sum();
    let slope = if sxx == 0.0 { 0.0 } else { sxy / sxx };
    let interception = ym - slope * xm;
    let fit: Vec<f64> = xs.iter().map(|x| slope * x + interception).collect();
    let sse: f64 = y.iter().zip(&fit).map(|(v, f)| (v - f).powi(2)).sum();
    let sst: f64 = y.iter().map(|v| (v - ym).powi(2)).sum();
    let rsquare = if sst == 0.0 { 1.0 } else { 1.0 - sse / sst };
    let denom = if n > 1 { (n - 1) as f64 } else { 1.0 };
    Line { rsquare, slope, variance: sst / denom, rvariance: sse / denom, interception, fit, sse }
}

pub fn fit_line(y: &[Option<f64>]) -> Line {
    fit_line_at(&dense(y), 1.0)
}

/// series_fit_2lines: the split (each part at least 2 points) whose two lines leave the least squared error;
/// `split_idx` is the first index of the right part. The right line continues the global x (k+1..n).
#[derive(Debug, Clone, PartialEq)]
pub struct TwoLines {
    pub rsquare: f64,
    pub split_idx: i64,
    pub variance: f64,
    pub rvariance: f64,
    pub fit: Vec<f64>,
    pub left: Line,
    pub right: Line,
}

pub fn fit_2lines(y: &[Option<f64>]) -> TwoLines {
    let y = dense(y);
    let n = y.len();
    let ym = if n == 0 { 0.0 } else { y.iter().sum::<f64>() / n as f64 };
    let sst: f64 = y.iter().map(|v| (v - ym).powi(2)).sum();
    let mut best: Option<(f64, usize, Line, Line)> = None;
    for k in 2..n.saturating_sub(1) {
        let (l, r) = y.split_at(k);
        let left = fit_line_at(l, 1.0);
        let right = fit_line_at(r, k as f64 + 1.0);
        let sse = left.sse + right.sse;
        if best.as_ref().is_none_or(|b| sse < b.0) {
            best = Some((sse, k, left, right));
        }
    }
    let denom = if n > 1 { (n - 1) as f64 } else { 1.0 };
    match best {
        Some((sse, k, left, right)) => TwoLines {
            rsquare: if sst == 0.0 { 1.0 } else { 1.0 - sse / sst },
            split_idx: k as i64,
            variance: sst / denom,
            rvariance: sse / denom,
            fit: left.fit.iter().chain(&right.fit).copied().collect(),
            left,
            right,
        },
        None => {
            // too short to split: one line on both sides
            let line = fit_line_at(&y, 1.0);
            TwoLines {
                rsquare: line.rsquare,
                split_idx: 0,
                variance: line.variance,
                rvariance: line.rvariance,
                fit: line.fit.clone(),
                left: line.clone(),
                right: line,
            }
        }
    }
}

/// series_stats: min, min_idx, max, max_idx, avg, stdev, variance (sample), sum, len. `None` when a value is
/// missing or not finite and `ignore_nonfinite` is false (series-stats-function).
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub min: f64,
    pub min_idx: i64,
    pub max: f64,
    pub max_idx: i64,
    pub avg: f64,
    pub stdev: f64,
    pub variance: f64,
    pub sum: f64,
    pub len: i64,
}

pub fn stats(y: &[Option<f64>], ignore_nonfinite: bool) -> Option<Stats> {
    let mut vals: Vec<(usize, f64)> = Vec::new();
    for (i, v) in y.iter().enumerate() {
        match v {
            Some(x) if x.is_finite() => vals.push((i, *x)),
            _ if ignore_nonfinite => {}
            _ => return None,
        }
    }
    let (&(mut min_i, mut min), &(mut max_i, mut max)) = (vals.first()?, vals.first()?);
    for &(i, v) in &vals {
        if v < min {
            (min, min_i) = (v, i);
        }
        if v > max {
            (max, max_i) = (v, i);
        }
    }
    let xs: Vec<f64> = vals.iter().map(|(_, v)| *v).collect();
    let sum: f64 = xs.iter().sum();
    let variance = sample_variance(&xs);
    Some(Stats {
        min,
        min_idx: min_i as i64,
        max,
        max_idx: max_i as i64,
        avg: sum / xs.len() as f64,
        stdev: variance.sqrt(),
        variance,
        sum,
        len: xs.len() as i64,
    })
}

/// The p-th percentile (0..100) of sorted values, linear interpolation between ranks.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let Some(&last) = sorted.last() else { return 0.0 };
    let rank = p / 100.0 * (sorted.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let (a, b) = (sorted.get(lo).copied().unwrap_or(last), sorted.get(hi).copied().unwrap_or(last));
    a + (b - a) * (rank - lo as f64)
}

/// series_outliers: Tukey-fence scores. `ctukey` with percentiles (default 10, 90) is normalized so its
/// scores compare with classic Tukey's (25, 75): the factor 2.772605605507915 reproduces Microsoft's published
/// scores for 10/90; for other custom percentiles the same factor scaled by the normal quantiles is used.
pub fn outliers(y: &[Option<f64>], kind: &str, ignore: Option<f64>, lo_p: f64, hi_p: f64) -> Vec<f64> {
    let (lo_p, hi_p) = if kind == "tukey" { (25.0, 75.0) } else { (lo_p, hi_p) };
    let missing = |v: &Option<f64>| v.is_none_or(|x| !x.is_finite() || Some(x) == ignore);
    let mut vals: Vec<f64> = y.iter().filter(|v| !missing(v)).filter_map(|v| *v).collect();
    vals.sort_by(f64::total_cmp);
    let (p_lo, p_hi) = (percentile(&vals, lo_p), percentile(&vals, hi_p));
    let iqr = p_hi - p_lo;
    let nf = if (lo_p, hi_p) == (25.0, 75.0) {
        1.0
    } else if (lo_p, hi_p) == (10.0, 90.0) {
        2.772605605507915
    } else {
        // the ratio of the (hi − lo) normal-quantile spread to the 25/75 spread
        let z = |p: f64| normal_quantile(p / 100.0);
        (z(hi_p) - z(lo_p)) / (z(75.0) - z(25.0)) * (2.772605605507915 / ((z(90.0) - z(10.0)) / (z(75.0) - z(25.0))))
    };
    y.iter()
        .map(|v| match v {
            Some(x) if !missing(v) && iqr > 0.0 => {
                if *x > p_hi {
                    nf * (x - p_hi) / iqr
                } else if *x < p_lo {
                    nf * (x - p_lo) / iqr
                } else {
                    0.0
                }
            }
            _ => 0.0,
        })
        .collect()
}

/// The standard normal quantile (Acklam's rational approximation; used only to scale custom percentiles).
fn normal_quantile(p: f64) -> f64 {
    let a = [
        -39.69683028665376,
        220.9460984245205,
        -275.9285104469687,
        138.357751867269,
        -30.66479806614716,
        2.506628277459239,
    ];
    let b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
    let c = [
        -0.007784894002430293,
        -0.3223964580411365,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    let d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
    let q = p - 0.5;
    if (0.02425..=0.97575).contains(&p) {
        let r = q * q;
        (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0)
    } else {
        let pp = if p < 0.5 { p } else { 1.0 - p };
        let r = (-2.0 * pp.max(1e-300).ln()).sqrt();
        let x = (((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5])
            / ((((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1.0);
        if p < 0.5 {
            x
        } else {
            -x
        }
    }
}

/// The seasonal component for a period: the median of each phase over the first `learn` points
/// (series-seasonal-function); zeros when the period is not positive.
pub fn seasonal(y: &[f64], period: i64, learn: usize) -> Vec<f64> {
    let n = y.len();
    let Ok(p) = usize::try_from(period) else { return vec![0.0; n] };
    if p == 0 {
        return vec![0.0; n];
    }
    let medians: Vec<f64> = (0..p)
        .map(|phase| {
            let mut v: Vec<f64> = y.iter().take(learn).skip(phase).step_by(p).copied().collect();
            v.sort_by(f64::total_cmp);
            match v.len() {
                0 => 0.0,
                m if m % 2 == 1 => v.get(m / 2).copied().unwrap_or(0.0),
                m => (v.get(m / 2 - 1).copied().unwrap_or(0.0) + v.get(m / 2).copied().unwrap_or(0.0)) / 2.0,
            }
        })
        .collect();
    (0..n).map(|i| medians.get(i % p).copied().unwrap_or(0.0)).collect()
}

/// Automatic seasonality (seasonality = -1): the period between 4 and n/2 bins whose autocorrelation is
/// highest, kept when that score reaches `threshold`. Kusto's own period detection is not documented; this is
/// kqlite's: on a series with a clear cycle it finds the cycle, on noise it finds none.
pub fn detect_period(y: &[f64], threshold: f64) -> i64 {
    let n = y.len();
    let mean = if n == 0 { 0.0 } else { y.iter().sum::<f64>() / n as f64 };
    let var: f64 = y.iter().map(|v| (v - mean).powi(2)).sum();
    if var == 0.0 || n < 8 {
        return 0;
    }
    // autocorrelation per lag; a period needs three cycles in the series
    let scores: Vec<(i64, f64)> = (4..=n / 3)
        .map(|lag| {
            let cov: f64 = y.iter().zip(y.iter().skip(lag)).map(|(a, b)| (a - mean) * (b - mean)).sum();
            (lag as i64, cov / var * n as f64 / (n - lag) as f64)
        })
        .collect();
    let best = scores.iter().map(|(_, s)| *s).fold(f64::NEG_INFINITY, f64::max);
    if best < threshold {
        return 0;
    }
    // the shortest lag scoring close to the best: a multiple of the period scores as well as the period
    scores.iter().find(|(_, s)| *s >= best * 0.9).map_or(0, |(lag, _)| *lag)
}

/// series_decompose: baseline, seasonal, trend, residual (series-decompose-function). The last `test_points`
/// points are not learnt from but get baseline values.
pub struct Decomposed {
    pub baseline: Vec<f64>,
    pub seasonal: Vec<f64>,
    pub trend: Vec<f64>,
    pub residual: Vec<f64>,
}

pub fn decompose(y: &[Option<f64>], seasonality: i64, trend: &str, test_points: i64, threshold: f64) -> Decomposed {
    let y = dense(y);
    let n = y.len();
    let learn = n.saturating_sub(usize::try_from(test_points.max(0)).unwrap_or(0));
    let learnt = y.get(..learn).unwrap_or(&[]);
    let period = if seasonality < 0 { detect_period(learnt, threshold) } else { seasonality };
    let seasonal = seasonal(&y, period, learn);
    let deseasonal: Vec<f64> = y.iter().zip(&seasonal).map(|(v, s)| v - s).collect();
    let trend: Vec<f64> = match trend {
        "none" => vec![0.0; n],
        "linefit" => {
            let line = fit_line_at(deseasonal.get(..learn).unwrap_or(&[]), 1.0);
            (0..n).map(|i| line.slope * (i as f64 + 1.0) + line.interception).collect()
        }
        _ => {
            let part = deseasonal.get(..learn).unwrap_or(&[]);
            let avg = if part.is_empty() { 0.0 } else { part.iter().sum::<f64>() / part.len() as f64 };
            vec![avg; n]
        }
    };
    let baseline: Vec<f64> = seasonal.iter().zip(&trend).map(|(s, t)| s + t).collect();
    let residual: Vec<f64> = y.iter().zip(&baseline).map(|(v, b)| v - b).collect();
    Decomposed { baseline, seasonal, trend, residual }
}

/// series_fill_forward / _backward / _const / _linear over missing elements (`None`).
pub fn fill_forward(y: &mut [Option<f64>]) {
    let mut last = None;
    for v in y.iter_mut() {
        match v {
            Some(x) => last = Some(*x),
            None => *v = last,
        }
    }
}

pub fn fill_backward(y: &mut [Option<f64>]) {
    let mut next = None;
    for v in y.iter_mut().rev() {
        match v {
            Some(x) => next = Some(*x),
            None => *v = next,
        }
    }
}

/// Linear interpolation inside gaps; the edges take the nearest value when `fill_edges`; an array with no
/// value at all becomes `constant` everywhere.
pub fn fill_linear(y: &mut [Option<f64>], fill_edges: bool, constant: f64) {
    let known: Vec<usize> = y.iter().enumerate().filter(|(_, v)| v.is_some()).map(|(i, _)| i).collect();
    let (Some(&first), Some(&last)) = (known.first(), known.last()) else {
        y.iter_mut().for_each(|v| *v = Some(constant));
        return;
    };
    for w in known.windows(2) {
        let (&[a, b], Some(ya), Some(yb)) = (w, y.get(w[0]).copied().flatten(), y.get(w[1]).copied().flatten()) else {
            continue;
        };
        for i in a + 1..b {
            if let Some(slot) = y.get_mut(i) {
                *slot = Some(ya + (yb - ya) * (i - a) as f64 / (b - a) as f64);
            }
        }
    }
    if fill_edges {
        let (fv, lv) = (y.get(first).copied().flatten(), y.get(last).copied().flatten());
        y.iter_mut().take(first).for_each(|v| *v = fv);
        y.iter_mut().skip(last + 1).for_each(|v| *v = lv);
    }
}

/// series_fir: y[i] = Σ c[j]·x[i−j] (x outside the array is 0); normalized by Σc when `normalize`; `center`
/// shifts the output by (m−1)/2 so the filter is symmetric around each point.
pub fn fir(x: &[f64], coeffs: &[f64], normalize: bool, center: bool) -> Vec<f64> {
    let sum: f64 = coeffs.iter().sum();
    let c: Vec<f64> = if normalize && sum != 0.0 { coeffs.iter().map(|v| v / sum).collect() } else { coeffs.to_vec() };
    let shift = if center { (c.len().saturating_sub(1)) / 2 } else { 0 };
    let at = |i: isize| if i < 0 { 0.0 } else { x.get(i as usize).copied().unwrap_or(0.0) };
    (0..x.len())
        .map(|i| c.iter().enumerate().map(|(j, cj)| cj * at(i as isize + shift as isize - j as isize)).sum())
        .collect()
}

/// series_iir: y[i] = (Σ b[j]·x[i−j] − Σ_{j≥1} a[j]·y[i−j]) / a[0].
pub fn iir(x: &[f64], b: &[f64], a: &[f64]) -> Vec<f64> {
    let a0 = a.first().copied().unwrap_or(1.0);
    let mut y: Vec<f64> = Vec::with_capacity(x.len());
    for i in 0..x.len() {
        let mut acc = 0.0;
        for (j, bj) in b.iter().enumerate() {
            if let Some(xv) = i.checked_sub(j).and_then(|k| x.get(k)) {
                acc += bj * xv;
            }
        }
        for (j, aj) in a.iter().enumerate().skip(1) {
            if let Some(yv) = i.checked_sub(j).and_then(|k| y.get(k)) {
                acc -= aj * yv;
            }
        }
        y.push(acc / a0);
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_line_of_an_exact_line() {
        // x = 1..n: y = 2x + 1 is fitted exactly (the doc table's numbers are conformance cases in series.kqlt)
        let y: Vec<Option<f64>> = (1..=6).map(|x| Some(2.0 * f64::from(x) + 1.0)).collect();
        let l = fit_line(&y);
        assert!((l.slope - 2.0).abs() < 1e-12 && (l.interception - 1.0).abs() < 1e-12);
        assert!((l.rsquare - 1.0).abs() < 1e-12 && l.rvariance.abs() < 1e-12);
        assert_eq!(l.fit.first().copied(), Some(3.0));
    }

    #[test]
    fn seasonal_medians_and_period_detection() {
        let y: Vec<f64> = (0..40).map(|i| [1.0, 5.0, 9.0, 3.0, 2.0][i % 5]).collect();
        assert_eq!(detect_period(&y, 0.6), 5);
        assert_eq!(seasonal(&y, 5, 40).get(..5), Some(&[1.0, 5.0, 9.0, 3.0, 2.0][..]));
        let flat = vec![3.0; 20];
        assert_eq!(detect_period(&flat, 0.6), 0);
    }

    #[test]
    fn outliers_flag_the_spike() {
        let mut y: Vec<Option<f64>> = (0..30).map(|i| Some(10.0 + (i % 3) as f64)).collect();
        if let Some(v) = y.get_mut(20) {
            *v = Some(100.0);
        }
        let s = outliers(&y, "ctukey", None, 10.0, 90.0);
        assert!(s.get(20).is_some_and(|v| *v > 3.0));
        assert!(s.iter().enumerate().all(|(i, v)| i == 20 || v.abs() < 1.5));
    }
}
