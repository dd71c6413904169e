//! Charts on the terminal: time, line, area and scatter charts on a braille canvas (2×4 dots per character
//! cell), column charts with vertical eighth blocks, bar charts with horizontal eighth blocks, pie charts as one
//! bar per slice with its share. Series are told apart by colour (ANSI) when `color` is on; the legend names
//! them.

use super::{number_label, Chart, Visualization, XKind};
use std::fmt::Write;

/// ANSI foreground colours of the series, in order.
const COLORS: [u8; 8] = [34, 33, 32, 31, 35, 36, 94, 91];
/// Eighth blocks from the bottom (column charts) and from the left (bar charts).
const UP: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const RIGHT: [char; 9] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];

/// Draws the chart in at most `width` columns; the plot is `height` rows tall (title, axes and legend add a
/// few).
pub fn draw(chart: &Chart, width: usize, height: usize, color: bool) -> String {
    let width = width.max(30);
    let height = height.max(4);
    let mut out = String::new();
    if let Some(t) = &chart.spec.title {
        let pad = width.saturating_sub(t.chars().count()) / 2;
        let _ = writeln!(out, "{}{}", " ".repeat(pad), paint(t, None, color, true));
    }
    if chart.series.is_empty() {
        let _ = writeln!(out, "(no rows to chart)");
        return out;
    }
    match chart.spec.visualization {
        Visualization::ColumnChart => columns(chart, width, height, color, &mut out),
        Visualization::BarChart => bars(chart, width, color, &mut out),
        Visualization::PieChart => pie(chart, width, color, &mut out),
        _ => lines(chart, width, height, color, &mut out),
    }
    if chart.spec.legend && chart.spec.visualization != Visualization::PieChart {
        legend(chart, width, color, &mut out);
    }
    if chart.skipped > 0 {
        let _ = writeln!(out, "({} values left out: null or not a number)", chart.skipped);
    }
    out
}

/// `text` in the colour of series `s` (or bold) when colour is on.
fn paint(text: &str, s: Option<usize>, color: bool, bold: bool) -> String {
    if !color {
        return text.to_string();
    }
    match s {
        Some(s) => format!("\x1b[{}m{text}\x1b[0m", COLORS.get(s % COLORS.len()).copied().unwrap_or(39)),
        None if bold => format!("\x1b[1m{text}\x1b[0m"),
        None => text.to_string(),
    }
}

fn legend(chart: &Chart, width: usize, color: bool, out: &mut String) {
    let mut line = String::new();
    let mut len = 0;
    for (i, s) in chart.series.iter().enumerate() {
        let item = format!("■ {}", s.name);
        let n = item.chars().count() + 3;
        if len > 0 && len + n > width {
            let _ = writeln!(out, "{}", line.trim_end());
            line.clear();
            len = 0;
        }
        line.push_str(&paint(&item, Some(i), color, false));
        line.push_str("   ");
        len += n;
    }
    if len > 0 {
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

/// How many intervals the y axis labels split a plot of `rows` rows into, and the plot's rows adjusted so
/// each label falls on a row.
fn y_intervals(rows: usize) -> (usize, usize) {
    let n = if rows >= 13 {
        4
    } else if rows >= 7 {
        2
    } else {
        1
    };
    (n, (rows.saturating_sub(1) / n) * n + 1)
}

/// The y range widened to round label values: `n` intervals of a round step (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6,
/// 7.5 or 8 times a power of ten).
/// `ymin`/`ymax` given by the query are kept as they are.
fn nice_range(chart: &Chart, n: usize) -> (f64, f64) {
    let (lo, hi) = chart.y_range();
    if chart.spec.ymin.is_some() || chart.spec.ymax.is_some() || !(hi - lo).is_finite() {
        return (lo, hi);
    }
    // positive values not far from zero are drawn from zero
    let lo = if lo > 0.0 && lo <= hi - lo { 0.0 } else { lo };
    let raw = (hi - lo) / n as f64;
    let mut magnitude = 10f64.powf(raw.log10().floor());
    loop {
        for m in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.5, 8.0] {
            let step = m * magnitude;
            let start = (lo / step).floor() * step;
            if start + step * n as f64 >= hi - step * 1e-9 {
                return (start, start + step * n as f64);
            }
        }
        magnitude *= 10.0;
    }
}

/// The y axis labels: one per plot row that gets one (top, middle, bottom, quarters), all as wide as the widest.
fn y_labels(lo: f64, hi: f64, rows: usize, n: usize) -> (Vec<Option<String>>, usize) {
    let mut labels = vec![None; rows];
    let last = rows.saturating_sub(1);
    for k in 0..=n {
        let r = last * k / n.max(1);
        if let Some(l) = labels.get_mut(r) {
            *l = Some(number_label(hi - (hi - lo) * k as f64 / n.max(1) as f64));
        }
    }
    let w = labels.iter().flatten().map(|l| l.chars().count()).max().unwrap_or(1);
    (labels, w)
}

/// A braille canvas: `w`×`h` cells of 2×4 dots, each cell coloured by the last series that drew in it.
struct Canvas {
    w: usize,
    h: usize,
    cells: Vec<(u8, Option<usize>)>,
}

impl Canvas {
    fn new(w: usize, h: usize) -> Canvas {
        Canvas { w, h, cells: vec![(0, None); w * h] }
    }

    /// Sets dot (`x`, `y`), y downwards from the top, in `w*2` × `h*4` dots.
    fn dot(&mut self, x: i64, y: i64, s: usize) {
        if x < 0 || y < 0 || x >= (self.w * 2) as i64 || y >= (self.h * 4) as i64 {
            return;
        }
        let (x, y) = (x as usize, y as usize);
        let bit = match (x % 2, y % 4) {
            (0, 0) => 0x01,
            (0, 1) => 0x02,
            (0, 2) => 0x04,
            (0, _) => 0x40,
            (_, 0) => 0x08,
            (_, 1) => 0x10,
            (_, 2) => 0x20,
            _ => 0x80,
        };
        if let Some(c) = self.cells.get_mut((y / 4) * self.w + x / 2) {
            c.0 |= bit;
            c.1 = Some(s);
        }
    }

    fn line(&mut self, (x0, y0): (i64, i64), (x1, y1): (i64, i64), s: usize) {
        let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
        let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
        let (mut x, mut y, mut err) = (x0, y0, dx + dy);
        loop {
            self.dot(x, y, s);
            if x == x1 && y == y1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }

    fn row(&self, r: usize, color: bool) -> String {
        let mut out = String::new();
        for c in self.cells.iter().skip(r * self.w).take(self.w) {
            let ch = char::from_u32(0x2800 + c.0 as u32).unwrap_or(' ');
            if c.0 == 0 {
                out.push(' ');
            } else {
                out.push_str(&paint(&ch.to_string(), c.1, color, false));
            }
        }
        out
    }
}

/// Time, line, area and scatter charts.
fn lines(chart: &Chart, width: usize, height: usize, color: bool, out: &mut String) {
    let (n, height) = y_intervals(height);
    let (ylo, yhi) = nice_range(chart, n);
    let (mut xlo, mut xhi) = chart.x_range();
    if xhi <= xlo {
        xlo -= 1.0;
        xhi += 1.0;
    }
    let (labels, lw) = y_labels(ylo, yhi, height, n);
    let pw = width.saturating_sub(lw + 2).max(10);
    let mut canvas = Canvas::new(pw, height);
    let (dw, dh) = ((pw * 2 - 1) as f64, (height * 4 - 1) as f64);
    let px = |x: f64| ((x - xlo) / (xhi - xlo) * dw).round() as i64;
    let py = |y: f64| ((yhi - y.clamp(ylo, yhi)) / (yhi - ylo) * dh).round() as i64;
    let area = matches!(chart.spec.visualization, Visualization::AreaChart | Visualization::StackedAreaChart);
    let scatter = chart.spec.visualization == Visualization::ScatterChart;
    for (s, series) in chart.series.iter().enumerate() {
        let pts: Vec<(i64, i64, i64)> = series
            .points
            .iter()
            .map(|&(x, y)| {
                let (bottom, top) = chart.band(s, x, y);
                (px(x), py(top), py(bottom))
            })
            .collect();
        if scatter || pts.len() == 1 {
            for &(x, y, _) in &pts {
                canvas.dot(x, y, s);
            }
            continue;
        }
        for pair in pts.windows(2) {
            let (Some(&(x0, y0, b0)), Some(&(x1, y1, b1))) = (pair.first(), pair.get(1)) else { continue };
            canvas.line((x0, y0), (x1, y1), s);
            if area {
                for x in x0..=x1 {
                    let t = if x1 == x0 { 0.0 } else { (x - x0) as f64 / (x1 - x0) as f64 };
                    let top = y0 as f64 + (y1 - y0) as f64 * t;
                    let bottom = b0 as f64 + (b1 - b0) as f64 * t;
                    for y in (top.round() as i64)..=(bottom.round() as i64) {
                        if (x + y) % 2 == 0 || y == top.round() as i64 {
                            canvas.dot(x, y, s);
                        }
                    }
                }
            }
        }
    }
    if let Some(t) = &chart.spec.ytitle {
        let _ = writeln!(out, "{t}");
    }
    for (r, label) in labels.iter().enumerate() {
        let (l, tick) = match label {
            Some(l) => (l.as_str(), '┤'),
            None => ("", '│'),
        };
        let _ = writeln!(out, "{l:>lw$} {tick}{}", canvas.row(r, color));
    }
    let _ = writeln!(out, "{} └{}", " ".repeat(lw), "─".repeat(pw));
    x_axis(chart, xlo, xhi, lw + 2, pw, out);
}

/// The x labels under a line chart: its first, middle and last value, then the x title.
fn x_axis(chart: &Chart, xlo: f64, xhi: f64, indent: usize, pw: usize, out: &mut String) {
    let span = xhi - xlo;
    let mut row: Vec<char> = vec![' '; pw];
    let mut place = |at: usize, text: &str| {
        let n = text.chars().count();
        let start = at.saturating_sub(n / 2).min(pw.saturating_sub(n));
        let free = row.iter().skip(start.saturating_sub(1)).take(n + 2).all(|c| *c == ' ');
        if free && n <= pw {
            for (i, ch) in text.chars().enumerate() {
                if let Some(c) = row.get_mut(start + i) {
                    *c = ch;
                }
            }
        }
    };
    let marks: Vec<f64> = if chart.x_kind == XKind::Category {
        (0..chart.categories.len()).map(|i| i as f64).collect()
    } else {
        vec![xlo, xlo + span / 2.0, xhi]
    };
    let first_last = [marks.first().copied(), marks.last().copied()];
    for x in first_last.into_iter().flatten().chain(marks.iter().copied()) {
        let at = ((x - xlo) / span.max(f64::MIN_POSITIVE) * (pw - 1) as f64).round() as usize;
        place(at, &chart.x_label(x, span));
    }
    let _ = writeln!(out, "{}{}", " ".repeat(indent), row.iter().collect::<String>().trim_end());
    let title = chart.x_title();
    let pad = indent + pw.saturating_sub(title.chars().count()) / 2;
    let _ = writeln!(out, "{}{title}", " ".repeat(pad));
}

/// The value of series `s` at category `c`, if it has one.
fn value_at(chart: &Chart, s: usize, c: usize) -> Option<f64> {
    chart.series.get(s)?.points.iter().find(|p| p.0 == c as f64).map(|p| p.1)
}

/// Column charts: a group of vertical bars per label (one per series), or one stacked bar.
fn columns(chart: &Chart, width: usize, height: usize, color: bool, out: &mut String) {
    let (n_ticks, height) = y_intervals(height);
    let (ylo, yhi) = nice_range(chart, n_ticks);
    let (labels, lw) = y_labels(ylo, yhi, height, n_ticks);
    let pw = width.saturating_sub(lw + 2).max(10);
    let stacked = chart.stacks();
    let per_group = if stacked { 1 } else { chart.series.len().max(1) };
    let n = chart.categories.len();
    let room = pw / (per_group + 1);
    let shown = n.min(room.max(1));
    let bar_w = ((pw / shown.max(1)).saturating_sub(1) / per_group).clamp(1, 10);
    let group_w = bar_w * per_group + 1;
    let levels = (height * 8) as f64;
    let eighths = |v: f64| ((v.clamp(ylo, yhi) - ylo) / (yhi - ylo) * levels).round() as i64;
    // per column of the plot: the segments (bottom, top in eighths, series) it draws
    let mut cols: Vec<Vec<(i64, i64, usize)>> = vec![vec![]; pw];
    for c in 0..shown {
        for s in 0..chart.series.len() {
            let Some(v) = value_at(chart, s, c) else { continue };
            let (b, t) = chart.band(s, c as f64, v);
            let slot = if stacked { 0 } else { s };
            let start = c * group_w + slot * bar_w;
            for col in cols.iter_mut().skip(start).take(bar_w) {
                col.push((eighths(b.max(0.0).max(ylo)), eighths(t), s));
            }
        }
    }
    if let Some(t) = &chart.spec.ytitle {
        let _ = writeln!(out, "{t}");
    }
    for (r, label) in labels.iter().enumerate() {
        let base = ((height - 1 - r) * 8) as i64;
        let mut line = String::new();
        for col in &cols {
            // the highest segment reaching into this cell gives its height and colour
            let top = col.iter().filter(|(b, t, _)| *t > base && *b < base + 8).max_by_key(|(_, t, _)| *t);
            match top {
                Some(&(_, t, s)) => {
                    let fill = (t - base).clamp(0, 8) as usize;
                    let ch = UP.get(fill).copied().unwrap_or('█');
                    line.push_str(&paint(&ch.to_string(), Some(s), color, false));
                }
                None => line.push(' '),
            }
        }
        let (l, tick) = match label {
            Some(l) => (l.as_str(), '┤'),
            None => ("", '│'),
        };
        let _ = writeln!(out, "{l:>lw$} {tick}{}", line.trim_end());
    }
    let _ = writeln!(out, "{} └{}", " ".repeat(lw), "─".repeat(pw));
    // labels under their group, or numbers and a key when they do not fit
    let fits = chart.categories.iter().take(shown).all(|c| c.chars().count() < group_w);
    let mut row = String::new();
    for (c, name) in chart.categories.iter().take(shown).enumerate() {
        let text = if fits { name.clone() } else { (c + 1).to_string() };
        let cell: String = text.chars().take(group_w.saturating_sub(1)).collect();
        let _ = write!(row, "{cell:<group_w$}");
    }
    let _ = writeln!(out, "{}{}", " ".repeat(lw + 2), row.trim_end());
    if !fits {
        for (c, name) in chart.categories.iter().take(shown).enumerate() {
            let _ = writeln!(out, "{:>w$}  {}: {name}", "", c + 1, w = lw);
        }
    }
    if shown < n {
        let _ = writeln!(out, "(showing {shown} of {n} columns; widen the terminal or take fewer rows)");
    }
    let title = chart.x_title();
    let _ = writeln!(out, "{}{title}", " ".repeat(lw + 2 + pw.saturating_sub(title.chars().count()) / 2));
}

/// A bar of `len` eighths of a cell.
fn bar(len: i64) -> String {
    let len = len.max(0) as usize;
    let mut s = "█".repeat(len / 8);
    if !len.is_multiple_of(8) {
        s.push(RIGHT.get(len % 8).copied().unwrap_or(' '));
    }
    s
}

/// Bar charts: a horizontal bar per label and series (or one stacked bar per label), with its value.
fn bars(chart: &Chart, width: usize, color: bool, out: &mut String) {
    let (_, yhi) = chart.y_range();
    let lw = chart.categories.iter().map(|c| c.chars().count()).max().unwrap_or(1).min(width / 3).max(1);
    let vw = chart
        .stacked_totals()
        .unwrap_or_else(|| chart.series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).collect())
        .iter()
        .map(|v| number_label(*v).len())
        .max()
        .unwrap_or(1);
    let bw = width.saturating_sub(lw + vw + 4).max(5);
    let scale = |v: f64| if yhi <= 0.0 { 0 } else { (v / yhi * (bw * 8) as f64).round() as i64 };
    let stacked = chart.stacks();
    if let Some(t) = &chart.spec.xtitle {
        let _ = writeln!(out, "{t}");
    }
    for (c, name) in chart.categories.iter().enumerate() {
        let label: String = if name.chars().count() > lw {
            name.chars().take(lw.saturating_sub(1)).collect::<String>() + "…"
        } else {
            name.clone()
        };
        if stacked {
            let mut line = String::new();
            let mut total = 0.0;
            let mut drawn = 0;
            for s in 0..chart.series.len() {
                let Some(v) = value_at(chart, s, c) else { continue };
                let (_, t) = chart.band(s, c as f64, v);
                total += v;
                let end = scale(t);
                line.push_str(&paint(&bar(end - drawn), Some(s), color, false));
                drawn = end.max(drawn);
            }
            let shown = if chart.spec.kind == super::Stacking::Stacked100 { 100.0 } else { total };
            let _ = writeln!(out, "{label:>lw$} │{line} {}", number_label(shown));
            continue;
        }
        let mut first = true;
        for s in 0..chart.series.len() {
            let Some(v) = value_at(chart, s, c) else { continue };
            let l = if first { label.as_str() } else { "" };
            first = false;
            let _ = writeln!(out, "{l:>lw$} │{} {}", paint(&bar(scale(v)), Some(s), color, false), number_label(v));
        }
    }
    if let Some(t) = &chart.spec.ytitle {
        let _ = writeln!(out, "{}{t}", " ".repeat(lw + 2));
    }
}

/// Pie charts: one line per slice (label, share bar, percentage, value), largest share first.
fn pie(chart: &Chart, width: usize, color: bool, out: &mut String) {
    let mut slices = chart.pie_slices();
    let total: f64 = slices.iter().map(|s| s.1).sum();
    slices.sort_by(|a, b| b.1.total_cmp(&a.1));
    let lw = slices.iter().map(|s| s.0.chars().count()).max().unwrap_or(1).min(width / 3).max(1);
    let bw = width.saturating_sub(lw + 20).max(5);
    for (i, (name, v)) in slices.iter().enumerate() {
        let share = if total > 0.0 { v / total } else { 0.0 };
        let label: String = if name.chars().count() > lw {
            name.chars().take(lw.saturating_sub(1)).collect::<String>() + "…"
        } else {
            name.clone()
        };
        let b = paint(&bar((share * (bw * 8) as f64).round() as i64), Some(i), color, false);
        let _ = writeln!(out, "{label:>lw$} │{b} {:.1}% ({})", share * 100.0, number_label(*v));
    }
}
