//! REPL result display: rows (text cells from `output::values`) → a table fitted to the terminal width (cells
//! cut with `…`), the vertical form, one row inspected (long values wrapped, dynamic pretty-printed), and the
//! KQL literal of a cell for `.filter`.

use crate::types::{KqlSchema, KqlType};
use crate::values::cell_text;
use datafusion::arrow::array::Array;
use datafusion::arrow::record_batch::RecordBatch;

/// Narrowest a column is cut to before columns are dropped from the right.
const MIN_COL: usize = 6;
/// Widest a cell is shown even when the terminal has room.
const MAX_COL: usize = 60;

/// The terminal's width in columns (stdout), else `$COLUMNS`, else 100.
pub fn terminal_width() -> usize {
    if let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size() {
        if w > 0 {
            return w as usize;
        }
    }
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).filter(|&w: &usize| w > 0).unwrap_or(100)
}

/// The terminal's height in rows (`LINES`, else 40 when it cannot be told).
pub fn terminal_height() -> usize {
    if let Some((_, terminal_size::Height(h))) = terminal_size::terminal_size() {
        if h > 0 {
            return h as usize;
        }
    }
    std::env::var("LINES").ok().and_then(|c| c.parse().ok()).filter(|&h: &usize| h > 0).unwrap_or(40)
}

/// Shows `text` through the pager command `cmd` (run by the shell, `sh -c`; on Windows `cmd /C`), waiting
/// until the user leaves it. An error when it cannot be started: the caller prints the text itself.
pub fn page(cmd: &str, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = if cfg!(windows) {
        Command::new("cmd").args(["/C", cmd]).stdin(Stdio::piped()).spawn()?
    } else {
        Command::new("sh").args(["-c", cmd]).stdin(Stdio::piped()).spawn()?
    };
    if let Some(mut stdin) = child.stdin.take() {
        // the user may quit the pager before reading everything: a broken pipe is fine
        let _ = stdin.write_all(text.as_bytes());
    }
    let status = child.wait()?;
    // the shell could not find the command (127) or run it (126): nothing was shown
    match status.code() {
        Some(126 | 127) => Err(std::io::Error::other(format!("pager '{cmd}' not found"))),
        _ => Ok(()),
    }
}

/// Every row of the batches as cell text, at most `limit` rows.
pub fn text_rows(schema: &KqlSchema, batches: &[RecordBatch]) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for b in batches {
        for r in 0..b.num_rows() {
            rows.push(
                schema
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| cell_text(b.column(i).as_ref(), r, c.ty).replace(['\n', '\r'], " "))
                    .collect(),
            );
        }
    }
    rows
}

fn cut(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        return s.to_string();
    }
    let mut out: String = s.chars().take(w.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The rows as a table no wider than `width`, with a `#` column (1-based, as `.inspect` and `.filter` count):
/// wide columns are cut first; when even narrow columns do not fit, the rightmost are left out and named in a
/// last line.
pub fn table(schema: &KqlSchema, rows: &[Vec<String>], width: usize) -> String {
    let n = rows.len();
    let mut headers: Vec<String> = vec!["#".to_string()];
    headers.extend(schema.columns.iter().map(|c| c.name.clone()));
    let mut natural: Vec<usize> = vec![n.to_string().len().max(1)];
    for (i, c) in schema.columns.iter().enumerate() {
        let w = rows.iter().map(|r| r.get(i).map_or(0, |c| c.chars().count())).max().unwrap_or(0);
        natural.push(w.max(c.name.chars().count()).clamp(1, MAX_COL));
    }
    // each column takes its width + 3 (padding and a border), plus one border
    let mut shown = natural.len();
    let fits = |ws: &[usize]| ws.iter().map(|w| w + 3).sum::<usize>() < width;
    while shown > 2 && !fits(&natural[..shown].iter().map(|w| (*w).min(MIN_COL)).collect::<Vec<_>>()) {
        shown -= 1;
    }
    let mut widths: Vec<usize> = natural.get(..shown).unwrap_or_default().to_vec();
    // lower a common cap on the widest columns until the table fits
    let mut cap = widths.iter().copied().max().unwrap_or(1);
    while cap > MIN_COL && !fits(&widths.iter().map(|w| (*w).min(cap)).collect::<Vec<_>>()) {
        cap -= 1;
    }
    for w in widths.iter_mut() {
        *w = (*w).min(cap);
    }
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_content_arrangement(comfy_table::ContentArrangement::Disabled);
    t.set_header(headers.iter().zip(&widths).map(|(h, w)| cut(h, *w)));
    for (i, r) in rows.iter().enumerate() {
        let mut cells = vec![(i + 1).to_string()];
        cells.extend(r.iter().take(shown - 1).zip(widths.iter().skip(1)).map(|(c, w)| cut(c, *w)));
        t.add_row(cells);
    }
    for (i, c) in schema.columns.iter().take(shown - 1).enumerate() {
        if c.ty.is_numeric() {
            if let Some(col) = t.column_mut(i + 1) {
                col.set_cell_alignment(comfy_table::CellAlignment::Right);
            }
        }
    }
    let mut out = t.to_string();
    let hidden: Vec<&str> = schema.columns.iter().skip(shown - 1).map(|c| c.name.as_str()).collect();
    if !hidden.is_empty() {
        let some: Vec<&str> = hidden.iter().take(4).copied().collect();
        let etc = if hidden.len() > some.len() { ", …" } else { "" };
        out.push_str(&format!(
            "\n… {} more columns: {}{etc} (.inspect N or .mode vertical)",
            hidden.len(),
            some.join(", ")
        ));
    }
    out
}

/// Each row as `name │ value` lines under a `row N` rule (`.mode vertical`).
pub fn vertical(schema: &KqlSchema, rows: &[Vec<String>], width: usize) -> String {
    let mut out = String::new();
    for (i, r) in rows.iter().enumerate() {
        out.push_str(&record(schema, r, i + 1, width, false));
    }
    out
}

/// One row: every column, long values wrapped to the width, dynamic values pretty-printed when `pretty`.
pub fn record(schema: &KqlSchema, row: &[String], n: usize, width: usize, pretty: bool) -> String {
    let name_w = schema.columns.iter().map(|c| c.name.chars().count()).max().unwrap_or(0);
    let value_w = width.saturating_sub(name_w + 3).max(20);
    let mut out = format!("─── row {n} {}\n", "─".repeat(width.saturating_sub(10 + n.to_string().len()).min(60)));
    for (c, v) in schema.columns.iter().zip(row) {
        let text = match serde_json::from_str::<serde_json::Value>(v) {
            Ok(j) if pretty && c.ty == KqlType::Dynamic && (j.is_object() || j.is_array()) => {
                serde_json::to_string_pretty(&j).unwrap_or_else(|_| v.clone())
            }
            _ => v.clone(),
        };
        let mut lines = text.lines().flat_map(|l| wrap(l, value_w)).collect::<Vec<_>>();
        if lines.is_empty() {
            lines.push(String::new());
        }
        for (k, l) in lines.iter().enumerate() {
            let name = if k == 0 { c.name.as_str() } else { "" };
            out.push_str(&format!("{name:<name_w$} │ {l}\n"));
        }
    }
    out
}

/// A line cut into pieces of at most `w` characters.
fn wrap(line: &str, w: usize) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    chars.chunks(w.max(1)).map(|c| c.iter().collect()).collect()
}

/// A column name as KQL writes it: bare when it is an identifier, else `['name']`.
pub fn column_ref(name: &str) -> String {
    let ident = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ident {
        name.to_string()
    } else {
        format!("['{}']", name.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

fn string_literal(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The `where` predicate that keeps the rows whose `column` equals (or, `negate`, differs from) the cell at
/// row `r` of `array`: `Col == "x"`, `Col == datetime(...)`, `isnull(Col)`, `tostring(Dyn) == "{...}"`.
pub fn filter_predicate(column: &str, ty: KqlType, array: &dyn Array, r: usize, negate: bool) -> String {
    let col = column_ref(column);
    let op = if negate { "!=" } else { "==" };
    if array.is_null(r) && ty != KqlType::String {
        return if negate { format!("isnotnull({col})") } else { format!("isnull({col})") };
    }
    let text = cell_text(array, r, ty);
    match ty {
        KqlType::String => format!("{col} {op} {}", string_literal(&text)),
        KqlType::Dynamic | KqlType::Guid => format!("tostring({col}) {op} {}", string_literal(&text)),
        KqlType::Datetime => format!("{col} {op} datetime({text})"),
        KqlType::Timespan => format!("{col} {op} timespan({text})"),
        KqlType::Bool | KqlType::Int | KqlType::Long | KqlType::Real | KqlType::Decimal => {
            format!("{col} {op} {text}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::KqlColumn;

    fn schema(names: &[&str]) -> KqlSchema {
        KqlSchema::new(names.iter().map(|n| KqlColumn { name: n.to_string(), ty: KqlType::String }).collect())
    }

    #[test]
    fn tables_fit_the_width() {
        let s = schema(&["A", "B", "C"]);
        let rows = vec![vec!["x".repeat(80), "y".repeat(30), "z".to_string()]];
        for width in [40, 60, 100, 200] {
            let t = table(&s, &rows, width);
            assert!(t.lines().all(|l| l.chars().count() <= width), "{width}:\n{t}");
        }
        assert!(table(&s, &rows, 40).contains('…'));
        // far too narrow: columns are left out and named
        let t = table(&schema(&["Alpha", "Beta", "Gamma", "Delta", "Epsilon"]), &[], 30);
        assert!(t.contains("more columns"), "{t}");
    }

    #[test]
    fn column_refs_and_records() {
        assert_eq!(column_ref("DeviceName"), "DeviceName");
        assert_eq!(column_ref("a b"), "['a b']");
        let s = KqlSchema::new(vec![KqlColumn { name: "D".into(), ty: KqlType::Dynamic }]);
        let r = record(&s, &["{\"a\":1}".to_string()], 1, 80, true);
        assert!(r.contains("D │ {\n  │   \"a\": 1\n  │ }"), "{r}");
    }
}
