//! Charts as image files (plotters): SVG or PNG by the file's extension, 1200×700 pixels. Text needs a
//! TrueType font: `KQLITE_FONT` if set, else the first of the usual sans-serif fonts of Linux, macOS and
//! Windows that exists.

use super::{number_label, Chart, Visualization, XKind};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use std::sync::OnceLock;

const SIZE: (u32, u32) = (1200, 700);
const FONT: &str = "sans-serif";

/// Fonts looked for, in order, when `KQLITE_FONT` is not set.
const FONT_PATHS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "/Library/Fonts/Arial.ttf",
    "C:\\Windows\\Fonts\\arial.ttf",
    "C:\\Windows\\Fonts\\segoeui.ttf",
];

/// Registers the font once per process; the error says where it looked.
fn font() -> Result<(), String> {
    static FONT_LOADED: OnceLock<Result<(), String>> = OnceLock::new();
    FONT_LOADED
        .get_or_init(|| {
            let chosen = std::env::var("KQLITE_FONT").ok();
            let candidates: Vec<String> = match &chosen {
                Some(p) => vec![p.clone()],
                None => FONT_PATHS.iter().map(|p| p.to_string()).collect(),
            };
            for p in &candidates {
                let Ok(bytes) = std::fs::read(p) else { continue };
                // plotters keeps fonts for the life of the process
                let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                if plotters::style::register_font(FONT, FontStyle::Normal, bytes).is_ok() {
                    return Ok(());
                }
                if chosen.is_some() {
                    return Err(format!("KQLITE_FONT={p} is not a TrueType/OpenType font"));
                }
            }
            Err(match chosen {
                Some(p) => format!("cannot read the font KQLITE_FONT={p}"),
                None => format!(
                    "a chart image needs a TrueType font for its text and none was found (looked for {}); set \
                     KQLITE_FONT to a .ttf file",
                    FONT_PATHS.join(", ")
                ),
            })
        })
        .clone()
}

/// The image format of a path: `svg` or `png` (by its extension, any case); `None` for anything else.
pub fn format_of(path: &Path) -> Option<&'static str> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "svg" => Some("svg"),
        "png" => Some("png"),
        _ => None,
    }
}

/// Writes the chart to `path` as SVG (`.svg`) or PNG (`.png`).
pub fn write(chart: &Chart, path: &Path) -> Result<(), String> {
    let Some(ext) = format_of(path) else {
        return Err(format!("{}: a chart is written as .svg or .png", path.display()));
    };
    font()?;
    let result = if ext == "svg" {
        plot(SVGBackend::new(path, SIZE).into_drawing_area(), chart)
    } else {
        let mut rgb = vec![0u8; SIZE.0 as usize * SIZE.1 as usize * 3];
        plot(BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area(), chart).and_then(|()| write_png(path, &rgb))
    };
    result.map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes an RGB bitmap of [`SIZE`] as a PNG file (created new: an existing file is never overwritten).
fn write_png(path: &Path, rgb: &[u8]) -> Result<(), String> {
    let file = std::fs::File::create_new(path).map_err(err)?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), SIZE.0, SIZE.1);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().map_err(err)?;
    w.write_image_data(rgb).map_err(err)?;
    w.finish().map_err(err)
}

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

fn color(i: usize) -> RGBColor {
    let c = Palette99::pick(i).to_rgba();
    RGBColor(c.0, c.1, c.2)
}

fn plot<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, chart: &Chart) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(err)?;
    let root = match &chart.spec.title {
        Some(t) => root.titled(t, (FONT, 28)).map_err(err)?,
        None => root,
    };
    match chart.spec.visualization {
        Visualization::PieChart => pie(&root, chart)?,
        Visualization::BarChart => blocks(&root, chart, true)?,
        Visualization::ColumnChart => blocks(&root, chart, false)?,
        _ => lines(&root, chart)?,
    }
    root.present().map_err(err)
}

/// Time, line, area and scatter charts.
fn lines<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, chart: &Chart) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let (ylo, yhi) = chart.y_range();
    let (mut xlo, mut xhi) = chart.x_range();
    if xhi <= xlo {
        xlo -= 1.0;
        xhi += 1.0;
    }
    let span = xhi - xlo;
    let mut c = ChartBuilder::on(root)
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(xlo..xhi, ylo..yhi)
        .map_err(err)?;
    let x_fmt = |x: &f64| match chart.x_kind {
        XKind::Category if (x - x.round()).abs() > 1e-9 => String::new(),
        _ => chart.x_label(*x, span),
    };
    let y_fmt = |y: &f64| number_label(*y);
    let xdesc = chart.x_title();
    let mut mesh = c.configure_mesh();
    mesh.x_desc(xdesc).x_label_formatter(&x_fmt).y_label_formatter(&y_fmt).label_style((FONT, 14));
    if let Some(t) = &chart.spec.ytitle {
        mesh.y_desc(t.clone());
    }
    mesh.draw().map_err(err)?;
    let area = matches!(chart.spec.visualization, Visualization::AreaChart | Visualization::StackedAreaChart);
    for (s, series) in chart.series.iter().enumerate() {
        let col = color(s);
        let pts: Vec<(f64, f64, f64)> = series
            .points
            .iter()
            .map(|&(x, y)| {
                let (b, t) = chart.band(s, x, y);
                (x, b, t)
            })
            .collect();
        let anno = if chart.spec.visualization == Visualization::ScatterChart {
            c.draw_series(pts.iter().map(|&(x, _, t)| Circle::new((x, t), 4, col.filled()))).map_err(err)?
        } else if area {
            // a band between the series below and this one
            let mut outline: Vec<(f64, f64)> = pts.iter().map(|&(x, _, t)| (x, t)).collect();
            outline.extend(pts.iter().rev().map(|&(x, b, _)| (x, b.max(ylo))));
            c.draw_series(std::iter::once(Polygon::new(outline, col.mix(0.35).filled()))).map_err(err)?;
            c.draw_series(LineSeries::new(pts.iter().map(|&(x, _, t)| (x, t)), col.stroke_width(2))).map_err(err)?
        } else {
            c.draw_series(LineSeries::new(pts.iter().map(|&(x, _, t)| (x, t)), col.stroke_width(2))).map_err(err)?
        };
        anno.label(series.name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], col.stroke_width(3)));
    }
    if chart.spec.legend {
        c.configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((FONT, 14))
            .draw()
            .map_err(err)?;
    }
    Ok(())
}

/// The label of category `x` on a categorical axis (empty between categories).
fn category(chart: &Chart, x: f64) -> String {
    if (x - x.round()).abs() > 1e-9 {
        return String::new();
    }
    chart.categories.get(x.round().max(0.0) as usize).cloned().unwrap_or_default()
}

/// The rectangles of a bar or column chart: (category position from, to; value from, to; series).
fn rects(chart: &Chart) -> Vec<(f64, f64, f64, f64, usize)> {
    let stacked = chart.stacks();
    let per = if stacked { 1 } else { chart.series.len().max(1) };
    let w = 0.8 / per as f64;
    let mut out = Vec::new();
    for (s, series) in chart.series.iter().enumerate() {
        for &(x, y) in &series.points {
            let (b, t) = chart.band(s, x, y);
            let slot = if stacked { 0 } else { s };
            let from = x - 0.4 + slot as f64 * w;
            out.push((from, from + w, b, t, s));
        }
    }
    out
}

/// Column charts (vertical bars) and, `horizontal`, bar charts: the labels on one axis (for bars the first
/// label at the top, as the rows came), the values on the other.
fn blocks<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, chart: &Chart, horizontal: bool) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let (lo, hi) = chart.y_range();
    let n = chart.categories.len().max(1) as f64;
    let flip = move |p: f64| if horizontal { n - 1.0 - p } else { p };
    let at = move |cat: f64, v: f64| if horizontal { (v, flip(cat)) } else { (cat, v) };
    let longest = chart.categories.iter().map(|c| c.chars().count()).max().unwrap_or(4) as u32;
    let (cats, values) = (-0.5..n - 0.5, lo..hi);
    let mut builder = ChartBuilder::on(root);
    builder.margin(20);
    let mut c = if horizontal {
        builder.x_label_area_size(50).y_label_area_size((longest * 8).clamp(60, 400)).build_cartesian_2d(values, cats)
    } else {
        builder.x_label_area_size(60).y_label_area_size(80).build_cartesian_2d(cats, values)
    }
    .map_err(err)?;
    let cat_fmt = |p: &f64| category(chart, flip(*p));
    let value_fmt = |v: &f64| number_label(*v);
    let cat_desc = chart.x_title();
    let labels = chart.categories.len().min(if horizontal { 60 } else { 40 });
    let mut mesh = c.configure_mesh();
    mesh.label_style((FONT, 14));
    if horizontal {
        mesh.disable_y_mesh()
            .y_labels(labels)
            .y_desc(cat_desc)
            .y_label_formatter(&cat_fmt)
            .x_label_formatter(&value_fmt);
    } else {
        mesh.disable_x_mesh()
            .x_labels(labels)
            .x_desc(cat_desc)
            .x_label_formatter(&cat_fmt)
            .y_label_formatter(&value_fmt);
    }
    if let Some(t) = &chart.spec.ytitle {
        if horizontal {
            mesh.x_desc(t.clone());
        } else {
            mesh.y_desc(t.clone());
        }
    }
    mesh.draw().map_err(err)?;
    for (s, series) in chart.series.iter().enumerate() {
        let col = color(s);
        let boxes = rects(chart).into_iter().filter(move |r| r.4 == s);
        c.draw_series(boxes.map(move |(p0, p1, b, t, _)| Rectangle::new([at(p0, b), at(p1, t)], col.filled())))
            .map_err(err)?
            .label(series.name.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], col.filled()));
    }
    if chart.spec.legend {
        c.configure_series_labels().background_style(WHITE.mix(0.85)).border_style(BLACK).draw().map_err(err)?;
    }
    Ok(())
}

fn pie<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, chart: &Chart) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let (labels, sizes): (Vec<String>, Vec<f64>) = chart.pie_slices().into_iter().unzip();
    let colors: Vec<RGBColor> = (0..sizes.len()).map(color).collect();
    let (w, h) = root.dim_in_pixel();
    let center = ((w / 2) as i32, (h / 2) as i32);
    let radius = (w.min(h) as f64) * 0.33;
    let mut p = Pie::new(&center, &radius, &sizes, &colors, &labels);
    p.start_angle(-90.0);
    p.label_style((FONT, 16).into_font().color(&BLACK));
    p.percentages((FONT, 14).into_font().color(&WHITE));
    root.draw(&p).map_err(err)
}
