//! Charts of the `render` operator: the render data model (which columns are x, y and series), the terminal
//! drawing compared with golden files (`tests/charts/<name>.txt`, written for review by `KQLITE_BLESS=1 cargo
//! test --test chart`), and the image files (an SVG that parses as XML with the chart's texts, a PNG of the
//! right size), through the library and through `kqlite run --chart`.

// Test code: a failed expectation should panic with its message.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use kqlite::chart::{text, Chart, XKind};
use kqlite::{Session, SessionOptions, Source};
use std::path::{Path, PathBuf};

mod common;

/// Logons and failures per host per hour, over four hours.
const DATA: &str = r#"let T = datatable(Ts:datetime, Host:string, Logons:long, Failures:long)
    [datetime(2025-03-14 10:00), "ws-1", 10, 1,
     datetime(2025-03-14 11:00), "ws-1", 25, 2,
     datetime(2025-03-14 12:00), "ws-1", 40, 8,
     datetime(2025-03-14 13:00), "ws-1", 15, 0,
     datetime(2025-03-14 10:00), "dc-1", 30, 0,
     datetime(2025-03-14 11:00), "dc-1", 35, 3,
     datetime(2025-03-14 12:00), "dc-1", 20, 1,
     datetime(2025-03-14 13:00), "dc-1", 45, 6];
"#;

fn chart(query: &str) -> Chart {
    let s = Session::new(SessionOptions::default()).unwrap();
    let src = Source::new("chart.kql", format!("{DATA}{query}"));
    let mut results = s.run(&src).unwrap();
    let r = results.pop().unwrap();
    let spec = r.render.clone().expect("the query renders a chart");
    let batches: Vec<_> = r.batches.map(|b| b.unwrap()).collect();
    Chart::build(&spec, &r.schema, &batches).unwrap()
}

fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/charts").join(format!("{name}.txt"));
    match std::fs::read_to_string(&path) {
        Ok(expected) => assert_eq!(actual, expected, "chart {name} differs from {}", path.display()),
        Err(_) if std::env::var_os("KQLITE_BLESS").is_some() => {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, actual).unwrap();
        }
        Err(_) => panic!("no golden file {}; KQLITE_BLESS=1 writes it for review:\n{actual}", path.display()),
    }
}

#[test]
fn data_model_takes_x_then_numeric_y_columns_and_string_series() {
    let c = chart("T | render timechart");
    assert_eq!(c.x_kind, XKind::Time);
    assert_eq!(c.x_name, "Ts");
    assert_eq!(c.y_names, ["Logons", "Failures"]);
    // each host (the string column) times each y column is one series, in the order of first appearance
    let names: Vec<&str> = c.series.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["ws-1:Logons", "ws-1:Failures", "dc-1:Logons", "dc-1:Failures"]);
    assert_eq!(c.series[0].points.iter().map(|p| p.1).collect::<Vec<_>>(), [10.0, 25.0, 40.0, 15.0]);
}

#[test]
fn properties_choose_columns_title_and_accumulation() {
    let c = chart("T | render linechart with (xcolumn=Ts, ycolumns=Failures, series=Host, accumulate=true)");
    let names: Vec<&str> = c.series.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["ws-1", "dc-1"]);
    // accumulate: each value is added to its predecessors
    assert_eq!(c.series[0].points.iter().map(|p| p.1).collect::<Vec<_>>(), [1.0, 3.0, 11.0, 11.0]);
    // dc-1: 0, 3, 1, 6 accumulated
    assert_eq!(c.series[1].points.iter().map(|p| p.1).collect::<Vec<_>>(), [0.0, 3.0, 4.0, 10.0]);
    assert_eq!(c.y_range(), (0.0, 11.0));
}

#[test]
fn stacked_columns_share_the_axis() {
    let c = chart("T | summarize L = sum(Logons) by Host, H = hourofday(Ts) | order by H asc, Host asc | render columnchart with (kind=stacked, series=Host, xcolumn=H)");
    assert_eq!(c.x_kind, XKind::Category);
    assert_eq!(c.categories, ["10", "11", "12", "13"]);
    // the highest stack: 15 + 45 at 13:00
    assert_eq!(c.y_range(), (0.0, 60.0));
    // dc-1 (first in the rows) at the bottom, ws-1 stacked on it
    assert_eq!(c.series[0].name, "dc-1");
    assert_eq!(c.band(1, 3.0, 15.0), (45.0, 60.0));
}

#[test]
fn a_chart_without_a_numeric_column_is_an_error_not_a_panic() {
    let s = Session::new(SessionOptions::default()).unwrap();
    let src = Source::new("chart.kql", format!("{DATA}T | project Host | render piechart"));
    let r = s.run(&src).unwrap().pop().unwrap();
    let batches: Vec<_> = r.batches.map(|b| b.unwrap()).collect();
    let err = Chart::build(&r.render.unwrap(), &r.schema, &batches).unwrap_err();
    assert!(err.contains("needs a numeric column"), "{err}");
}

#[test]
fn timechart_on_the_terminal() {
    let c = chart("T | render timechart with (title=\"Logons per host\", ycolumns=Logons, ytitle=\"logons\")");
    golden("timechart", &text::draw(&c, 72, 12, false));
}

#[test]
fn columnchart_on_the_terminal() {
    let c = chart("T | summarize Logons = sum(Logons) by Host | render columnchart");
    golden("columnchart", &text::draw(&c, 60, 8, false));
}

#[test]
fn stacked_barchart_on_the_terminal() {
    let c = chart("T | summarize sum(Logons), sum(Failures) by Host | render barchart with (kind=stacked)");
    golden("barchart_stacked", &text::draw(&c, 60, 8, false));
}

#[test]
fn piechart_on_the_terminal() {
    let c = chart("T | summarize n = sum(Failures) by Host | render piechart with (title=\"Failures\")");
    golden("piechart", &text::draw(&c, 60, 8, false));
}

#[test]
fn areachart_and_scatterchart_on_the_terminal() {
    let c = chart("T | where Host == 'ws-1' | project Ts, Logons | render areachart");
    golden("areachart", &text::draw(&c, 60, 8, false));
    let c = chart("T | project Logons, Failures | render scatterchart");
    assert_eq!(c.x_kind, XKind::Number);
    golden("scatterchart", &text::draw(&c, 60, 8, false));
}

#[test]
fn colour_marks_each_series() {
    let c = chart("T | render timechart with (ycolumns=Logons)");
    let t = text::draw(&c, 72, 10, true);
    // blue for the first series, yellow for the second, in the plot and the legend
    assert!(t.contains("\x1b[34m■ ws-1\x1b[0m"), "{t}");
    assert!(t.contains("\x1b[33m■ dc-1\x1b[0m"), "{t}");
}

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("chart-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Whether this machine has a font for chart images (`KQLITE_FONT` or a usual system font).
fn font_missing(err: &str) -> bool {
    err.contains("needs a TrueType font")
}

#[test]
fn svg_parses_and_holds_the_titles_and_series() {
    let d = scratch("svg");
    let path = d.join("logons.svg");
    let c = chart("T | render timechart with (title=\"Logons per host\", ycolumns=Logons, ytitle=\"logons\")");
    match kqlite::chart::image::write(&c, &path) {
        Ok(()) => {
            let text = std::fs::read_to_string(&path).unwrap();
            let doc = roxmltree::Document::parse(&text).expect("the SVG is well-formed XML");
            assert_eq!(doc.root_element().tag_name().name(), "svg");
            let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).map(str::trim).collect();
            for want in ["Logons per host", "logons", "Ts", "ws-1", "dc-1"] {
                assert!(texts.contains(&want), "no text {want:?} in the SVG: {texts:?}");
            }
            // one polyline per series
            assert!(doc.descendants().filter(|n| n.tag_name().name() == "polyline").count() >= 2);
        }
        Err(e) if font_missing(&e) => assert!(e.contains("KQLITE_FONT"), "{e}"),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn png_has_the_chart_size_and_other_extensions_are_refused() {
    let d = scratch("png");
    let c = chart("T | summarize n = sum(Failures) by Host | render piechart");
    let err = kqlite::chart::image::write(&c, &d.join("x.jpg")).unwrap_err();
    assert!(err.contains("a chart is written as .svg or .png"), "{err}");
    let path = d.join("failures.png");
    match kqlite::chart::image::write(&c, &path) {
        Ok(()) => {
            let bytes = std::fs::read(&path).unwrap();
            assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
            // IHDR: width and height, big-endian
            assert_eq!(u32::from_be_bytes(bytes[16..20].try_into().unwrap()), 1200);
            assert_eq!(u32::from_be_bytes(bytes[20..24].try_into().unwrap()), 700);
        }
        Err(e) if font_missing(&e) => assert!(e.contains("KQLITE_FONT"), "{e}"),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn run_chart_writes_the_image_prints_the_rows_and_never_overwrites() {
    let d = scratch("run");
    let svg = d.join("alerts.svg").display().to_string();
    let q = "AlertInfo | summarize n = count() by Severity | render columnchart with (title=\"Alerts\")";
    let o = common::kqlite(&["run", "-e", q, "--data", "examples/incident", "--chart", &svg, "--format", "csv"]);
    if o.stderr.contains("needs a TrueType font") {
        assert_eq!(o.code, 5, "{}", o.stderr);
        return;
    }
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.starts_with("Severity,n\n"), "{}", o.stdout);
    assert!(o.stderr.contains("wrote the columnchart"), "{}", o.stderr);
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("Alerts"), "{text}");
    // a second run refuses before running the query
    let again = common::kqlite(&["run", "-e", q, "--data", "examples/incident", "--chart", &svg]);
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(again.stderr.contains("already exists (never overwritten)"), "{}", again.stderr);
    assert_eq!(std::fs::read_to_string(&svg).unwrap(), text);
    // a query without a chart render
    let png = d.join("none.png").display().to_string();
    let none = common::kqlite(&["run", "-e", "AlertInfo | count", "--data", "examples/incident", "--chart", &png]);
    assert_eq!(none.code, 2, "{}", none.stderr);
    assert!(none.stderr.contains("does not end with a chart `render`"), "{}", none.stderr);
    assert!(!Path::new(&png).exists());
}
