#!/usr/bin/env python3
"""Reference implementation of the documented make-series / series_* algorithms (pure Python, no numpy).

Used only to compute expected values for cases whose doc page shows a chart instead of an output table.
Every function states which documented fact it relies on; `python3 ref.py` prints the numbers that the
.kqlt files quote (run it and diff against the files when changing anything).

Conventions established from docs (the evidence is in the doc pages named per case):
  * series_fit_line: x = 1..n; variance = SST/(n-1); rvariance = SSE/(n-1); rsquare = 1 - SSE/SST
    (reproduces the doc table 0.982 / 2.730 / 98.628 / 1.686 / -1.666 / 1.064, 3.7945 ...).
  * percentiles: linear interpolation between closest ranks, rank = p/100*(n-1) (MS answer on SO: p10=2.7,
    p90=11 for the 16-point example).
  * series_outliers: score = NF*(v-P_hi)/(P_hi-P_lo) above P_hi, NF*(v-P_lo)/(P_hi-P_lo) below P_lo, else 0;
    NF(10,90) = 2.772605605507915 (derived from the MS example), NF(25,75) = 1.
  * median of an even count = mean of the two middle values (series_seasonal doc: 1.5, 3.5, 5.5).
"""
import math

NF_CTUKEY_10_90 = 2.772605605507915


# ---------------------------------------------------------------- basic statistics
def percentile_linear(values, p):
    s = sorted(values)
    n = len(s)
    r = p / 100.0 * (n - 1)
    lo = int(math.floor(r))
    hi = min(lo + 1, n - 1)
    return s[lo] + (s[hi] - s[lo]) * (r - lo)


def median(values):
    s = sorted(values)
    n = len(s)
    if n % 2:
        return float(s[n // 2])
    return (s[n // 2 - 1] + s[n // 2]) / 2.0


def mean(v):
    return sum(v) / len(v)


def sample_variance(v):
    m = mean(v)
    return sum((x - m) ** 2 for x in v) / (len(v) - 1)


# ---------------------------------------------------------------- series_fit_line / series_fit_2lines
def fit_line(y, x0=1):
    """series_fit_line: least squares on x = x0..x0+n-1 (x0=1 per the doc table)."""
    n = len(y)
    xs = [x0 + i for i in range(n)]
    mx, my = mean(xs), mean(y)
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (v - my) for x, v in zip(xs, y))
    slope = sxy / sxx if sxx else 0.0
    icpt = my - slope * mx
    fit = [slope * x + icpt for x in xs]
    sse = sum((v - f) ** 2 for v, f in zip(y, fit))
    sst = sum((v - my) ** 2 for v in y)
    return dict(
        rsquare=(1 - sse / sst) if sst else 1.0,
        slope=slope,
        variance=sst / (n - 1) if n > 1 else 0.0,
        rvariance=sse / (n - 1) if n > 1 else 0.0,
        interception=icpt,
        line_fit=fit,
        sse=sse,
        sst=sst,
    )


def fit_2lines(y):
    """series_fit_2lines: try every split k (left = y[:k], right = y[k:]), fit a line to each part, keep the
    split with the highest total rsquare = 1 - (SSE_left + SSE_right) / SST. Returns all candidates too.
    Undocumented (see SPEC): the exact split_idx convention, minimum segment length, x origin of the right
    segment (affects right_interception only), the denominators of the partial rvariances."""
    n = len(y)
    my = mean(y)
    sst = sum((v - my) ** 2 for v in y)
    best = None
    cands = []
    for k in range(2, n - 1):  # at least 2 points each side
        left = fit_line(y[:k], x0=1)
        right = fit_line(y[k:], x0=k + 1)
        r2 = 1 - (left["sse"] + right["sse"]) / sst
        cands.append((k, r2))
        if best is None or r2 > best[1]:
            best = (k, r2, left, right)
    k, r2, left, right = best
    return dict(k=k, rsquare=r2, variance=sst / (n - 1), rvariance=(left["sse"] + right["sse"]) / (n - 1),
                line_fit=left["line_fit"] + right["line_fit"], left=left, right=right, candidates=cands)


# ---------------------------------------------------------------- series_outliers
def outliers(y, kind="ctukey", lo_p=10.0, hi_p=90.0):
    vals = [v for v in y if v is not None]
    if kind == "tukey":
        lo_p, hi_p, nf = 25.0, 75.0, 1.0
    else:
        if (lo_p, hi_p) != (10.0, 90.0):
            raise ValueError("normalization factor only known for 10/90")
        nf = NF_CTUKEY_10_90
    plo, phi = percentile_linear(vals, lo_p), percentile_linear(vals, hi_p)
    iqr = phi - plo
    out = []
    for v in y:
        if v is None:
            out.append(0.0)
        elif v > phi:
            out.append((v - phi) / iqr * nf)
        elif v < plo:
            out.append((v - plo) / iqr * nf)
        else:
            out.append(0.0)
    return out


# ---------------------------------------------------------------- series_seasonal / decompose family
def seasonal(y, period, train=None):
    n = len(y)
    train = n if train is None else train
    if period <= 0:
        return [0.0] * n
    med = [median([y[j] for j in range(p, train, period)]) for p in range(period)]
    return [med[i % period] for i in range(n)]


def decompose(y, period=0, trend="avg", test_points=0):
    """series_decompose with an explicit period (auto-detection, period=-1, is not documented)."""
    n = len(y)
    train = n - test_points
    seas = seasonal(y, period, train)
    deseas = [v - s for v, s in zip(y, seas)]
    if trend == "avg":
        a = mean(deseas[:train])
        tr = [a] * n
    elif trend == "linefit":
        f = fit_line(deseas[:train], x0=1)
        tr = [f["slope"] * (i + 1) + f["interception"] for i in range(n)]
    else:
        tr = [0.0] * n
    base = [s + t for s, t in zip(seas, tr)]
    resid = [v - b for v, b in zip(y, base)]
    return dict(baseline=base, seasonal=seas, trend=tr, residual=resid)


def decompose_anomalies(y, threshold=1.5, period=0, trend="avg", test_points=0, method="ctukey"):
    d = decompose(y, period, trend, test_points)
    score = outliers(d["residual"], method)
    flag = [1 if s > threshold else (-1 if s < -threshold else 0) for s in score]
    return dict(ad_flag=flag, ad_score=score, baseline=d["baseline"])


def decompose_forecast(y, points, period=0, trend="avg"):
    return decompose(y, period, trend, points)["baseline"]


# ---------------------------------------------------------------- filters, fills, stats
def fir(x, c, normalize=None, center=False):
    if normalize is None:
        normalize = all(v >= 0 for v in c)
    if normalize:
        s = sum(c)
        c = [v / s for v in c]
    m = len(c)
    n = len(x)
    y = [sum(c[j] * (x[i - j] if 0 <= i - j < n else 0.0) for j in range(m)) for i in range(n)]
    if center:
        sh = (m - 1) // 2
        y = [sum(c[j] * (x[i + sh - j] if 0 <= i + sh - j < n else 0.0) for j in range(m)) for i in range(n)]
    return y


def iir(x, b, a):
    y = []
    for i in range(len(x)):
        acc = sum(b[j] * x[i - j] for j in range(len(b)) if i - j >= 0)
        acc -= sum(a[j] * y[i - j] for j in range(1, len(a)) if i - j >= 0)
        y.append(acc / a[0])
    return y


def stats(v):
    m = mean(v)
    var = sample_variance(v)
    return dict(min=min(v), min_idx=v.index(min(v)), max=max(v), max_idx=v.index(max(v)), avg=m,
                stdev=math.sqrt(var), variance=var, sum=sum(v), len=len(v))


def fill_linear(a, fill_edges=True, const=0.0):
    idx = [i for i, v in enumerate(a) if v is not None]
    if not idx:
        return [const] * len(a)
    is_int = all(isinstance(a[i], int) for i in idx)
    out = list(a)
    for p, q in zip(idx, idx[1:]):
        for i in range(p + 1, q):
            v = a[p] + (a[q] - a[p]) * (i - p) / (q - p)
            out[i] = int(v) if is_int else v
    if fill_edges:
        for i in range(idx[0]):
            out[i] = a[idx[0]]
        for i in range(idx[-1] + 1, len(a)):
            out[i] = a[idx[-1]]
    return out


# ---------------------------------------------------------------- make-series (single group)
def make_series(rows, start, end, step, agg, default=0):
    """rows: list of (axis, value); bins start + k*step < end; rows outside [start, end) dropped."""
    nb = int(math.ceil((end - start) / step))
    bins = [[] for _ in range(nb)]
    for ax, v in rows:
        if start <= ax < end:
            bins[int((ax - start) // step)].append(v)
    return [agg(b) if b else default for b in bins], [start + k * step for k in range(nb)]


# ---------------------------------------------------------------- the numbers quoted in the .kqlt files
def show(title, v):
    print(f"{title}: {v!r}")


if __name__ == "__main__":
    # series_fit_line doc example
    f = fit_line([2, 5, 6, 8, 11, 15, 17, 18, 25, 26, 30, 30])
    for k in ("rsquare", "slope", "variance", "rvariance", "interception"):
        show("fit_line." + k, f[k])
    show("fit_line.line_fit", f["line_fit"])

    # series_fit_2lines doc example
    y2 = [1, 2.2, 2.5, 4.7, 5.0, 12, 10.3, 10.3, 9, 8.3, 6.2]
    g = fit_2lines(y2)
    show("fit_2lines.k(left length)", g["k"])
    show("fit_2lines.rsquare", g["rsquare"])
    show("fit_2lines.variance", g["variance"])
    show("fit_2lines.left_slope", g["left"]["slope"])
    show("fit_2lines.right_slope", g["right"]["slope"])
    show("fit_2lines.left_rsquare", g["left"]["rsquare"])
    show("fit_2lines.right_rsquare", g["right"]["rsquare"])
    show("fit_2lines.line_fit", g["line_fit"])
    show("fit_2lines.candidates", g["candidates"])

    # series_outliers: the Microsoft answer's 16-point example
    so = [-3, 2.4, 15, 3.9, 5, 6, 4.5, 5.2, 3, 4, 5, 16, 7, 5, 5, 4]
    show("outliers.ctukey(SO)", outliers(so))
    show("outliers.tukey(SO)", outliers(so, "tukey"))

    # series_stats doc example
    show("stats", stats([23, 46, 23, 87, 4, 8, 3, 75, 2, 56, 13, 75, 32, 16, 29]))

    # series_fill_linear doc example (double row)
    show("fill_linear", fill_linear([None, 111.0, None, 36.0, 41.0, None, None, 16.0, 61.0, 33.0, None, None]))
    show("fill_linear int", fill_linear([None, 111, None, 36, 41, None, None, 16, 61, 33, None, None]))

    # series_fir doc example
    val = [0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 20, 40, 100, 40, 20, 10, 0, 0, 0, 0, 0, 0, 0, 0]
    show("fir ma5", fir(val, [1, 1, 1, 1, 1]))
    show("fir ma5 centered", fir(val, [1, 1, 1, 1, 1], True, True))
    show("fir diff", fir([0, 0, 0, 0, 2, 2, 2, 2, 3, 3, 3, 3], [1, -1], False, False))

    # series_iir doc example
    show("iir cumsum", iir([float(i) for i in range(1, 11)], [1], [1, -1]))

    # decompose family on a deterministic period-4 series with noise and two outliers
    pat = [10.0, 20.0, 30.0, 20.0]
    noise = [0.5, -0.5, 1.0, -1.0, 0.0, 0.5, -0.5, 1.0, -1.0, 0.0, 0.5, -0.5,
             1.0, -1.0, 0.0, 0.5, -0.5, 1.0, -1.0, 0.0, 0.5, -0.5, 1.0, -1.0]
    ys = [pat[i % 4] + noise[i] for i in range(24)]
    ys[6] -= 15.0
    ys[13] += 25.0
    show("decomp.input", ys)
    d = decompose(ys, 4, "avg")
    for k in ("seasonal", "trend", "baseline", "residual"):
        show("decomp.avg." + k, d[k])
    d = decompose(ys, 4, "none")
    show("decomp.none.baseline", d["baseline"])
    a = decompose_anomalies(ys, 1.5, 4, "avg")
    show("anom.flag", a["ad_flag"])
    show("anom.score", a["ad_score"])
    show("anom.baseline", a["baseline"])
    a = decompose_anomalies(ys, 1.5, 4, "avg", method="tukey")
    show("anom.tukey.flag", a["ad_flag"])
    show("anom.tukey.score", a["ad_score"])

    # linefit trend without seasonality: exact line + noise
    yl = [3.0 + 2.0 * i + (0.5 if i % 2 else -0.5) for i in range(10)]
    show("lin.input", yl)
    d = decompose(yl, 0, "linefit")
    show("lin.baseline", d["baseline"])
    show("lin.residual", d["residual"])

    # forecast: period 4, last 4 points are zeros (as make-series default fills them)
    yf = [pat[i % 4] + 0.25 * i for i in range(12)] + [0.0] * 4
    show("fc.input", yf)
    show("fc.avg", decompose_forecast(yf, 4, 4, "avg"))
    show("fc.linefit", decompose_forecast(yf, 4, 4, "linefit"))
    show("fc.none", decompose_forecast(yf, 4, 4, "none"))
    show("fc.noseason.linefit", decompose_forecast(yf, 4, 0, "linefit"))

    # make-series doc example (avg per day)
    data = [("2016-12-31T06", 50), ("2017-01-01", 4), ("2017-01-02", 3), ("2017-01-03", 4), ("2017-01-03T03", 6),
            ("2017-01-05", 8), ("2017-01-05T13:40", 13), ("2017-01-06", 4), ("2017-01-07", 3), ("2017-01-08", 8),
            ("2017-01-08T21", 8), ("2017-01-09", 2), ("2017-01-09T12", 11), ("2017-01-10T05", 5)]
    from datetime import datetime
    def day(s):
        s = s if "T" in s else s + "T00"
        s = s + ":00" if s.count(":") == 0 else s
        return (datetime.fromisoformat(s) - datetime(2017, 1, 1)).total_seconds() / 86400
    vals, axis = make_series([(day(t), v) for t, v in data], 0, 9, 1, lambda b: sum(b) / len(b))
    show("make_series.avg_metric", vals)
