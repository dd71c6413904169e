//! CSV and TSV as the portals export them: a header row of column names, then one row per record; cells are
//! Kusto-typed text (dynamic cells hold JSON text), quoted cells may span lines. Records are read in order by
//! the `csv` crate in chunks; the chunks are converted to columns on all cores.

use super::convert::ColumnBuilder;
use super::decode::{Tally, Target};
use crate::diagnostics::LoadError;
use csv::ByteRecord;
use datafusion::arrow::record_batch::RecordBatch;
use std::io::Read;

pub type CsvReader = csv::Reader<Box<dyn Read + Send>>;

/// A reader over the records after the header, and the header's column names.
pub fn reader(rd: Box<dyn Read + Send>, sep: u8, path: &str) -> Result<(CsvReader, Vec<String>), LoadError> {
    let mut r = csv::ReaderBuilder::new().delimiter(sep).flexible(true).has_headers(true).from_reader(rd);
    let header = r.byte_headers().map_err(|e| csv_error(path, &e))?.clone();
    let mut names = Vec::with_capacity(header.len());
    for (i, cell) in header.iter().enumerate() {
        let cell = cell.strip_prefix(b"\xef\xbb\xbf".as_slice()).unwrap_or(cell);
        let name = std::str::from_utf8(cell).map_err(|_| LoadError::Format {
            path: path.into(),
            line: 1,
            col: 1,
            message: format!("column {} of the header is not UTF-8 text", i + 1),
        })?;
        names.push(name.trim().to_string());
    }
    if names.iter().all(|n| n.is_empty()) {
        return Err(LoadError::Format {
            path: path.into(),
            line: 1,
            col: 1,
            message: "the header row is empty".into(),
        });
    }
    Ok((r, names))
}

fn csv_error(path: &str, e: &csv::Error) -> LoadError {
    let (line, message) = match e.kind() {
        csv::ErrorKind::Io(io) => (e.position().map_or(1, |p| p.line() as usize), format!("read error: {io}")),
        _ => (e.position().map_or(1, |p| p.line() as usize), e.to_string()),
    };
    LoadError::Format { path: path.into(), line, col: 1, message }
}

/// Up to `n` records, read in file order.
pub fn read_records(r: &mut CsvReader, n: usize, path: &str) -> Result<Vec<ByteRecord>, LoadError> {
    let mut out = Vec::with_capacity(n.min(8192));
    for _ in 0..n {
        let mut rec = ByteRecord::new();
        match r.read_byte_record(&mut rec) {
            Ok(true) => out.push(rec),
            Ok(false) => break,
            Err(e) => return Err(csv_error(path, &e)),
        }
    }
    Ok(out)
}

/// The records as one batch of `t`'s columns (`t.positional` maps header positions to projected columns).
pub fn decode(records: &[ByteRecord], width: usize, t: &Target, path: &str) -> Result<(RecordBatch, Tally), LoadError> {
    let mut builders: Vec<ColumnBuilder> =
        t.columns.iter().map(|(_, ty)| ColumnBuilder::new(*ty, records.len())).collect();
    let pos = t.positional.as_deref().unwrap_or_default();
    let mut tally = Tally::default();
    for rec in records {
        let line = rec.position().map_or(0, |p| p.line() as usize);
        // a blank line is no record; a row with a different number of cells is an error
        if rec.len() == 1 && rec.get(0).is_some_and(|c| c.is_empty()) && width > 1 {
            continue;
        }
        if rec.len() != width {
            let col = rec.iter().take(width).map(|c| c.len() + 1).sum::<usize>() + 1;
            return Err(LoadError::Format {
                path: path.into(),
                line,
                col,
                message: format!("this row has {} cells, the header has {width}", rec.len()),
            });
        }
        let mut col = 1;
        for (i, cell) in rec.iter().enumerate() {
            if let Some(Some(c)) = pos.get(i) {
                let text = std::str::from_utf8(cell).map_err(|e| LoadError::Format {
                    path: path.into(),
                    line,
                    col: col + e.valid_up_to(),
                    message: "invalid UTF-8 in a cell".into(),
                })?;
                if let Some(b) = builders.get_mut(*c) {
                    if !b.push_str(text) {
                        if t.strict {
                            return Err(t.misfit(*c, &format!("\"{text}\""), path, line, col));
                        }
                        let name = t.columns.get(*c).map_or("", |x| x.0.as_str());
                        tally.coerce(name, 1, || format!("\"{text}\" at {path}:{line}:{col}"));
                    }
                }
            }
            col += cell.len() + 1;
        }
        tally.rows += 1;
    }
    let rows = tally.rows as usize;
    let arrays = builders.iter_mut().map(|b| b.finish()).collect();
    let batch =
        t.batch(arrays, rows).map_err(|message| LoadError::Format { path: path.into(), line: 1, col: 1, message })?;
    Ok((batch, tally))
}
