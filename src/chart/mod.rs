//! Charts of the `render` operator. [`bind_render`] checks `render VISUALIZATION with (...)` against the result's
//! schema (the binder calls it; the result then carries a [`RenderSpec`]); [`Chart::build`] reads the result's
//! rows as Kusto's render data model does (an x column, y columns, series columns); [`text::draw`] draws it on
//! the terminal (braille lines, block bars) and [`image::write`] as an SVG or PNG file.
//!
//! Doc: <https://learn.microsoft.com/kusto/query/render-operator>

pub mod image;
pub mod text;

use crate::ast;
use crate::diagnostics::BindError;
use crate::names::help_line;
use crate::types::{KqlSchema, KqlType};
use datafusion::arrow::array::{Array, Float64Array, Int64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::record_batch::RecordBatch;
use std::collections::HashMap;

/// The visualizations of the render operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Visualization {
    AnomalyChart,
    AreaChart,
    BarChart,
    Card,
    ColumnChart,
    LadderChart,
    LineChart,
    PieChart,
    PivotChart,
    ScatterChart,
    StackedAreaChart,
    #[default]
    Table,
    TimeChart,
    TimePivot,
    TreeMap,
    /// `list`, `timeline`, `3Dchart`, `plotly`, `graph`, `sankey`: accepted by Kusto's analyzer, shown as the table
    Other(&'static str),
}

const VISUALIZATIONS: &[(&str, Visualization)] = &[
    ("anomalychart", Visualization::AnomalyChart),
    ("areachart", Visualization::AreaChart),
    ("barchart", Visualization::BarChart),
    ("card", Visualization::Card),
    ("columnchart", Visualization::ColumnChart),
    ("ladderchart", Visualization::LadderChart),
    ("linechart", Visualization::LineChart),
    ("piechart", Visualization::PieChart),
    ("pivotchart", Visualization::PivotChart),
    ("scatterchart", Visualization::ScatterChart),
    ("stackedareachart", Visualization::StackedAreaChart),
    ("table", Visualization::Table),
    ("timechart", Visualization::TimeChart),
    ("timepivot", Visualization::TimePivot),
    ("treemap", Visualization::TreeMap),
    ("list", Visualization::Other("list")),
    ("timeline", Visualization::Other("timeline")),
    ("3Dchart", Visualization::Other("3Dchart")),
    ("plotly", Visualization::Other("plotly")),
    ("graph", Visualization::Other("graph")),
    ("sankey", Visualization::Other("sankey")),
];

impl Visualization {
    pub fn name(self) -> &'static str {
        VISUALIZATIONS.iter().find(|(_, v)| *v == self).map_or("table", |(n, _)| n)
    }

    /// Drawn as a chart by kqlite; the others (`table`, `card`, `list`, the Kusto.Explorer-only pivots,
    /// ladders, tree maps and 3D charts, the dashboards' plotly, graph and sankey) show the rows as a table.
    pub fn is_chart(self) -> bool {
        use Visualization as V;
        matches!(
            self,
            V::AnomalyChart
                | V::AreaChart
                | V::BarChart
                | V::ColumnChart
                | V::LineChart
                | V::PieChart
                | V::ScatterChart
                | V::StackedAreaChart
                | V::TimeChart
        )
    }
}

/// The `kind` property: how bars, columns and areas of several series share the axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stacking {
    /// `default` / `unstacked`: each series stands on its own
    #[default]
    Unstacked,
    Stacked,
    /// stacked and stretched to 100 %
    Stacked100,
}

/// What `render` asked for, checked against the result's columns.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderSpec {
    pub visualization: Visualization,
    pub title: Option<String>,
    pub xtitle: Option<String>,
    pub ytitle: Option<String>,
    pub xcolumn: Option<String>,
    pub ycolumns: Vec<String>,
    pub series: Vec<String>,
    pub kind: Stacking,
    pub legend: bool,
    pub ymin: Option<f64>,
    pub ymax: Option<f64>,
    pub accumulate: bool,
    pub xlog: bool,
    pub ylog: bool,
}

impl Default for RenderSpec {
    fn default() -> Self {
        RenderSpec {
            visualization: Visualization::Table,
            title: None,
            xtitle: None,
            ytitle: None,
            xcolumn: None,
            ycolumns: vec![],
            series: vec![],
            kind: Stacking::Unstacked,
            legend: true,
            ymin: None,
            ymax: None,
            accumulate: false,
            xlog: false,
            ylog: false,
        }
    }
}

/// The value a render property takes.
#[derive(Clone, Copy)]
enum PropValue {
    Text,
    Column,
    Columns,
    Bool,
    Number,
    Choice(&'static [&'static str]),
}

/// The supported properties (the render operator's doc page) and their values.
const PROPERTIES: &[(&str, PropValue)] = &[
    ("accumulate", PropValue::Bool),
    ("anomalycolumns", PropValue::Columns),
    ("kind", PropValue::Choice(&["default", "unstacked", "stacked", "stacked100", "map"])),
    ("legend", PropValue::Choice(&["visible", "hidden"])),
    ("series", PropValue::Columns),
    ("title", PropValue::Text),
    ("xaxis", PropValue::Choice(&["linear", "log"])),
    ("xcolumn", PropValue::Column),
    ("xtitle", PropValue::Text),
    ("yaxis", PropValue::Choice(&["linear", "log"])),
    ("ycolumns", PropValue::Columns),
    ("ymax", PropValue::Number),
    ("ymin", PropValue::Number),
    ("ysplit", PropValue::Choice(&["none", "axes", "panels"])),
    ("ytitle", PropValue::Text),
];

/// Checks `render VISUALIZATION with (...)` against the schema of its input.
pub fn bind_render(r: &ast::Render, schema: &KqlSchema) -> Result<RenderSpec, BindError> {
    let name = r.visualization.name.as_str();
    let Some((_, visualization)) = VISUALIZATIONS.iter().find(|(n, _)| *n == name) else {
        return Err(BindError::UnknownVisualization {
            name: name.to_string(),
            span: r.visualization.span.into(),
            help: help_line(name, VISUALIZATIONS.iter().map(|(n, _)| *n), "visualizations"),
        });
    };
    let mut spec = RenderSpec { visualization: *visualization, ..RenderSpec::default() };
    for p in &r.props {
        let pname = p.name.name.as_str();
        let Some((_, kind)) = PROPERTIES.iter().find(|(n, _)| *n == pname) else {
            return Err(BindError::UnknownRenderProperty {
                name: pname.to_string(),
                span: p.name.span.into(),
                help: help_line(pname, PROPERTIES.iter().map(|(n, _)| *n), "properties"),
            });
        };
        let bad =
            |message: String, v: &ast::Ident| BindError::InvalidArgument { message, span: v.span.into(), help: None };
        let first = p.values.first().ok_or_else(|| bad(format!("{pname} needs a value"), &p.name))?;
        if !matches!(kind, PropValue::Columns) {
            if let Some(extra) = p.values.get(1) {
                return Err(bad(format!("{pname} takes one value"), extra));
            }
        }
        let text = first.name.clone();
        match kind {
            PropValue::Text => match pname {
                "title" => spec.title = Some(text),
                "xtitle" => spec.xtitle = Some(text),
                _ => spec.ytitle = Some(text),
            },
            PropValue::Column => spec.xcolumn = Some(column(schema, first)?),
            PropValue::Columns => {
                let cols = p.values.iter().map(|v| column(schema, v)).collect::<Result<Vec<_>, _>>()?;
                match pname {
                    "ycolumns" => spec.ycolumns = cols,
                    "series" => spec.series = cols,
                    _ => {} // anomalycolumns: points of an anomalychart, drawn as its other series
                }
            }
            PropValue::Bool => {
                spec.accumulate = match text.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(bad(format!("{pname} is true or false, not '{text}'"), first)),
                }
            }
            PropValue::Number => {
                let v: f64 = text.parse().map_err(|_| bad(format!("{pname} is a number, not '{text}'"), first))?;
                if pname == "ymin" {
                    spec.ymin = Some(v);
                } else {
                    spec.ymax = Some(v);
                }
            }
            PropValue::Choice(choices) => {
                if !choices.contains(&text.as_str()) {
                    return Err(bad(format!("{pname} is one of {}, not '{text}'", choices.join(", ")), first));
                }
                match pname {
                    "kind" => {
                        spec.kind = match text.as_str() {
                            "stacked" => Stacking::Stacked,
                            "stacked100" => Stacking::Stacked100,
                            _ => Stacking::Unstacked,
                        }
                    }
                    "legend" => spec.legend = text == "visible",
                    "xaxis" => spec.xlog = text == "log",
                    "yaxis" => spec.ylog = text == "log",
                    _ => {} // ysplit: one y axis is drawn
                }
            }
        }
    }
    if spec.visualization == Visualization::StackedAreaChart && spec.kind == Stacking::Unstacked {
        spec.kind = Stacking::Stacked;
    }
    Ok(spec)
}

/// A column named by a render property.
fn column(schema: &KqlSchema, v: &ast::Ident) -> Result<String, BindError> {
    match schema.columns.iter().find(|c| c.name == v.name) {
        Some(c) => Ok(c.name.clone()),
        None => Err(BindError::UnknownColumn {
            name: v.name.clone(),
            span: v.span.into(),
            did_you_mean: help_line(&v.name, schema.names(), "columns"),
        }),
    }
}

/// What the x axis holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XKind {
    /// datetimes, as Unix nanoseconds
    Time,
    Number,
    /// labels: x is the index into [`Chart::categories`]
    Category,
}

/// One line, set of bars or pie: its name and its (x, y) points in the rows' order.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// A result read as a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub spec: RenderSpec,
    pub x_kind: XKind,
    pub x_name: String,
    pub y_names: Vec<String>,
    pub categories: Vec<String>,
    pub series: Vec<Series>,
    /// rows left out (a null or non-finite y, a null x)
    pub skipped: usize,
}

impl Chart {
    /// Reads the rows as the render data model: the x column (`xcolumn`, else the first datetime column for a
    /// time chart, else the first column), the y columns (`ycolumns`, else every numeric column but x and the
    /// series) and the series columns (`series`, else the remaining columns that are not numbers or dynamic:
    /// strings, bools, guids, datetimes, timespans); each distinct combination of series values, times each y
    /// column, is one series. On bars, columns and pies, rows repeating a label within a series add up.
    pub fn build(spec: &RenderSpec, schema: &KqlSchema, batches: &[RecordBatch]) -> Result<Chart, String> {
        let cols = &schema.columns;
        let index = |name: &str| cols.iter().position(|c| c.name == name);
        let x = match &spec.xcolumn {
            Some(n) => index(n),
            None if matches!(spec.visualization, Visualization::TimeChart | Visualization::AnomalyChart) => {
                cols.iter().position(|c| c.ty == KqlType::Datetime).or(if cols.is_empty() { None } else { Some(0) })
            }
            None => (!cols.is_empty()).then_some(0),
        }
        .ok_or_else(|| "the result has no columns to chart".to_string())?;
        let x_ty = cols.get(x).map_or(KqlType::String, |c| c.ty);
        let series_cols: Vec<usize> = if spec.series.is_empty() {
            cols.iter()
                .enumerate()
                .filter(|(i, c)| *i != x && !spec.ycolumns.contains(&c.name))
                .filter(|(_, c)| !c.ty.is_numeric() && c.ty != KqlType::Dynamic)
                .map(|(i, _)| i)
                .collect()
        } else {
            spec.series.iter().filter_map(|n| index(n)).collect()
        };
        let y_cols: Vec<usize> = if spec.ycolumns.is_empty() {
            cols.iter()
                .enumerate()
                .filter(|(i, c)| *i != x && !series_cols.contains(i) && c.ty.is_numeric())
                .map(|(i, _)| i)
                .collect()
        } else {
            spec.ycolumns.iter().filter_map(|n| index(n)).collect()
        };
        if y_cols.is_empty() {
            return Err(format!(
                "render {} needs a numeric column for the y axis; the result's columns are {}",
                spec.visualization.name(),
                cols.iter().map(|c| format!("{}:{}", c.name, c.ty)).collect::<Vec<_>>().join(", ")
            ));
        }
        let typed = |is: &[usize]| -> Vec<(usize, KqlType)> {
            is.iter().filter_map(|&i| cols.get(i).map(|c| (i, c.ty))).collect()
        };
        if let Some(bad) =
            y_cols.iter().filter_map(|&i| cols.get(i)).find(|c| !c.ty.is_numeric() && c.ty != KqlType::Timespan)
        {
            return Err(format!("ycolumns: '{}' is {}, not a number", bad.name, bad.ty));
        }
        let (y_typed, series_typed) = (typed(&y_cols), typed(&series_cols));
        let x_kind = match x_ty {
            KqlType::Datetime => XKind::Time,
            t if t.is_numeric() => XKind::Number,
            _ => XKind::Category,
        };
        // bars, columns and pies take their x as labels whatever its type
        let x_kind = match spec.visualization {
            Visualization::BarChart | Visualization::ColumnChart | Visualization::PieChart => XKind::Category,
            _ => x_kind,
        };
        let mut chart = Chart {
            spec: spec.clone(),
            x_kind,
            x_name: cols.get(x).map(|c| c.name.clone()).unwrap_or_default(),
            y_names: y_cols.iter().filter_map(|&i| cols.get(i)).map(|c| c.name.clone()).collect(),
            categories: vec![],
            series: vec![],
            skipped: 0,
        };
        let mut category_index: HashMap<String, usize> = HashMap::new();
        let mut series_index: HashMap<String, usize> = HashMap::new();
        for batch in batches {
            let xs = batch.column(x);
            let x_num = if x_kind == XKind::Category { None } else { Some(numbers(xs, x_ty)?) };
            let ys = y_typed.iter().map(|&(i, ty)| numbers(batch.column(i), ty)).collect::<Result<Vec<_>, _>>()?;
            for r in 0..batch.num_rows() {
                let xv = match &x_num {
                    Some(a) if a.is_null(r) => {
                        chart.skipped += 1;
                        continue;
                    }
                    Some(a) => a.value(r),
                    None => {
                        let label = crate::values::cell_text(xs.as_ref(), r, x_ty);
                        let next = chart.categories.len();
                        let i = *category_index.entry(label.clone()).or_insert(next);
                        if i == next {
                            chart.categories.push(label);
                        }
                        i as f64
                    }
                };
                let key: Vec<String> = series_typed
                    .iter()
                    .map(|&(i, ty)| crate::values::cell_text(batch.column(i).as_ref(), r, ty))
                    .collect();
                let key = key.join(", ");
                for (k, y) in ys.iter().enumerate() {
                    if y.is_null(r) || !y.value(r).is_finite() {
                        chart.skipped += 1;
                        continue;
                    }
                    let name = match (key.is_empty(), y_cols.len()) {
                        (true, _) => chart.y_names.get(k).cloned().unwrap_or_default(),
                        (false, 1) => key.clone(),
                        (false, _) => format!("{key}:{}", chart.y_names.get(k).map_or("", |s| s.as_str())),
                    };
                    let next = chart.series.len();
                    let s = *series_index.entry(name.clone()).or_insert(next);
                    if s == next {
                        chart.series.push(Series { name, points: vec![] });
                    }
                    if let Some(series) = chart.series.get_mut(s) {
                        series.points.push((xv, y.value(r)));
                    }
                }
            }
        }
        for s in &mut chart.series {
            // lines go along x; bars keep the order of the rows' labels (by index)
            s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
            if x_kind == XKind::Category {
                // one bar per label: repeated labels add up
                s.points.dedup_by(|later, kept| {
                    let same = later.0 == kept.0;
                    if same {
                        kept.1 += later.1;
                    }
                    same
                });
            }
            if spec.accumulate {
                let mut sum = 0.0;
                for p in &mut s.points {
                    sum += p.1;
                    p.1 = sum;
                }
            }
        }
        Ok(chart)
    }

    /// The lowest and highest x of all points.
    pub fn x_range(&self) -> (f64, f64) {
        range(self.series.iter().flat_map(|s| s.points.iter().map(|p| p.0)))
    }

    /// The y range the axis shows: the points (stacked when the chart stacks), 0 for bars, columns and areas,
    /// then `ymin`/`ymax` where given.
    pub fn y_range(&self) -> (f64, f64) {
        let stacked = self.stacked_totals();
        let (mut lo, mut hi) = match &stacked {
            Some(t) => range(t.iter().copied()),
            None => range(self.series.iter().flat_map(|s| s.points.iter().map(|p| p.1))),
        };
        if matches!(
            self.spec.visualization,
            Visualization::BarChart
                | Visualization::ColumnChart
                | Visualization::AreaChart
                | Visualization::StackedAreaChart
        ) {
            lo = lo.min(0.0);
            hi = hi.max(0.0);
        }
        if self.spec.kind == Stacking::Stacked100 && stacked.is_some() {
            (lo, hi) = (0.0, 100.0);
        }
        if let Some(v) = self.spec.ymin {
            lo = v;
        }
        if let Some(v) = self.spec.ymax {
            hi = v;
        }
        if hi <= lo {
            hi = lo + 1.0;
        }
        (lo, hi)
    }

    /// Per x value, the sum of the series' values, when the chart stacks (kind=stacked or stacked100 on bars,
    /// columns and areas).
    pub fn stacked_totals(&self) -> Option<Vec<f64>> {
        if !self.stacks() {
            return None;
        }
        let mut index: HashMap<u64, usize> = HashMap::new();
        let mut totals: Vec<f64> = Vec::new();
        for s in &self.series {
            for &(x, y) in &s.points {
                // equal x values share a total (0.0 and -0.0 alike)
                let key = if x == 0.0 { 0f64.to_bits() } else { x.to_bits() };
                let next = totals.len();
                match index.entry(key) {
                    std::collections::hash_map::Entry::Occupied(e) => {
                        if let Some(t) = totals.get_mut(*e.get()) {
                            *t += y;
                        }
                    }
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(next);
                        totals.push(y);
                    }
                }
            }
        }
        Some(totals)
    }

    /// Whether the series stack: kind=stacked or stacked100 on bars, columns and areas (stackedareachart
    /// stacks by default).
    pub fn stacks(&self) -> bool {
        matches!(
            self.spec.visualization,
            Visualization::BarChart
                | Visualization::ColumnChart
                | Visualization::AreaChart
                | Visualization::StackedAreaChart
        ) && self.spec.kind != Stacking::Unstacked
    }

    /// The value drawn for point `y` at `x` of series `s`: the bottom and top of its bar or band (stacked
    /// series start where the previous ones end; stacked100 as a share of the x's total).
    pub fn band(&self, s: usize, x: f64, y: f64) -> (f64, f64) {
        if !self.stacks() {
            return (0.0, y);
        }
        // the points are sorted by x: the first point at x
        let at = |series: &Series| {
            let i = series.points.partition_point(|p| p.0 < x);
            series.points.get(i).filter(|p| p.0 == x).map_or(0.0, |p| p.1)
        };
        let below: f64 = self.series.iter().take(s).map(at).sum();
        if self.spec.kind == Stacking::Stacked100 {
            let total: f64 = self.series.iter().map(at).sum();
            if total == 0.0 {
                return (0.0, 0.0);
            }
            return (below / total * 100.0, (below + y) / total * 100.0);
        }
        (below, below + y)
    }

    /// The x axis title: `xtitle`, else the x column's name.
    pub fn x_title(&self) -> String {
        self.spec.xtitle.clone().unwrap_or_else(|| self.x_name.clone())
    }

    /// The slices of a pie: each point's label (with its series' name when there are several series) and its
    /// value (negative values count 0), in the rows' order.
    pub fn pie_slices(&self) -> Vec<(String, f64)> {
        let mut slices = Vec::new();
        for series in &self.series {
            for &(x, y) in &series.points {
                let cat = self.x_label(x, 0.0);
                let name = if self.series.len() > 1 { format!("{cat}, {}", series.name) } else { cat };
                slices.push((name, y.max(0.0)));
            }
        }
        slices
    }

    /// The x value as axis text: a datetime, a number or a category label.
    pub fn x_label(&self, x: f64, span: f64) -> String {
        match self.x_kind {
            XKind::Time => time_label(x, span),
            XKind::Number => number_label(x),
            XKind::Category => self.categories.get(x.round().max(0.0) as usize).cloned().unwrap_or_default(),
        }
    }
}

fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        (0.0, 1.0)
    } else {
        (lo, hi)
    }
}

/// A column's values as f64: numbers as they are, datetimes as Unix nanoseconds, timespans as seconds.
fn numbers(a: &dyn Array, ty: KqlType) -> Result<Float64Array, String> {
    let err = |e: datafusion::arrow::error::ArrowError| e.to_string();
    match ty {
        KqlType::Datetime | KqlType::Timespan => {
            let ints = cast(a, &DataType::Int64).map_err(err)?;
            let ints = ints.as_any().downcast_ref::<Int64Array>().ok_or("not an integer array")?;
            let scale = if ty == KqlType::Timespan { 1e-9 } else { 1.0 };
            Ok(ints.iter().map(|v| v.map(|v| v as f64 * scale)).collect())
        }
        _ => {
            let f = cast(a, &DataType::Float64).map_err(err)?;
            f.as_any().downcast_ref::<Float64Array>().cloned().ok_or_else(|| "not a number array".to_string())
        }
    }
}

/// A datetime (Unix nanoseconds) as short axis text: the date, or the time of day too when the axis spans
/// less than a few days.
pub fn time_label(ns: f64, span: f64) -> String {
    let full = crate::values::format_datetime(ns as i64);
    // 2025-03-14T10:00:00Z
    let date = full.get(..10).unwrap_or(&full);
    let day = 86_400e9;
    if span > 4.0 * day {
        date.to_string()
    } else {
        let time = full.get(11..16).unwrap_or("");
        format!("{} {time}", full.get(5..10).unwrap_or(date))
    }
}

/// A number as short axis text: integers plainly up to 7 digits, then k/M/G; fractions with 3 significant
/// digits.
pub fn number_label(v: f64) -> String {
    let a = v.abs();
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if a >= 1e10 {
        trim(format!("{:.1}", v / 1e9)) + "G"
    } else if a >= 1e7 {
        trim(format!("{:.1}", v / 1e6)) + "M"
    } else if a >= 100.0 || v.fract() == 0.0 {
        format!("{}", v.round() as i64)
    } else if a >= 1.0 {
        trim(format!("{v:.2}"))
    } else {
        trim(format!("{v:.3}"))
    }
}
