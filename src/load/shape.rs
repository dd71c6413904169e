//! What a data file holds, found from its content (its extension only breaks ties): compression, then the shape
//! of the rows inside, and how to open it as a stream of plain bytes.

use crate::diagnostics::LoadError;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// The layout of the rows in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `[{row}, {row}]`
    JsonArray,
    /// one row object per line (NDJSON, JSON Lines)
    Ndjson,
    /// Defender advanced-hunting API `{"Schema":[{"Name","Type"}],"Results":[...]}` and Microsoft Graph
    /// `runHuntingQuery` `{"schema":[{"name","type"}],"results":[...]}` (keys in any case)
    HuntingApi,
    /// Log Analytics query API `{"tables":[{"name","columns","rows":[[cells]]}]}`
    LogAnalytics,
    /// Defender streaming API `{"records":[{"category":"AdvancedHunting-T","properties":{row}}]}`
    Records,
    /// the same records, one per line
    RecordLines,
    /// CSV (`b','`) or TSV (`b'\t'`) with a header row
    Delimited(u8),
    /// Apache Parquet
    Parquet,
}

impl Shape {
    pub fn is_lines(self) -> bool {
        matches!(self, Shape::Ndjson | Shape::RecordLines)
    }

    /// Rows routed to tables by each record's `category`.
    pub fn is_records(self) -> bool {
        matches!(self, Shape::Records | Shape::RecordLines)
    }
}

/// How the bytes of a file are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub fn of(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

pub fn io_err(path: &Path, e: impl std::fmt::Display) -> LoadError {
    LoadError::Io { path: path.display().to_string(), message: e.to_string() }
}

/// Decompression errors name the compressed stream: a gzip stream that ends early reads as "unexpected end".
struct Decoded<R>(R, Compression);

impl<R: Read> Read for Decoded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf).map_err(|e| {
            let what = if self.1 == Compression::Gzip { "gzip" } else { "zstd" };
            let why = if e.kind() == std::io::ErrorKind::UnexpectedEof {
                "the compressed stream ends early (the file is cut short)".to_string()
            } else {
                e.to_string()
            };
            std::io::Error::new(e.kind(), format!("{what}: {why}"))
        })
    }
}

/// The file's bytes, decompressed.
pub fn open(path: &Path) -> Result<(Box<dyn Read + Send>, Compression), LoadError> {
    let f = std::fs::File::open(path).map_err(|e| io_err(path, e))?;
    let mut r = BufReader::with_capacity(1 << 16, f);
    let head = r.fill_buf().map_err(|e| io_err(path, e))?;
    let c = Compression::of(head);
    let rd: Box<dyn Read + Send> = match c {
        Compression::None => Box::new(r),
        Compression::Gzip => Box::new(Decoded(flate2::bufread::MultiGzDecoder::new(r), c)),
        Compression::Zstd => {
            Box::new(Decoded(zstd::stream::read::Decoder::with_buffer(r).map_err(|e| io_err(path, e))?, c))
        }
    };
    Ok((rd, c))
}

/// The first `n` bytes of the file, decompressed (fewer when the file is shorter or cut).
pub fn head(path: &Path, n: usize) -> Result<(Vec<u8>, Compression), LoadError> {
    let (rd, c) = open(path)?;
    let mut out = Vec::with_capacity(n.min(1 << 20));
    if let Err(e) = rd.take(n as u64).read_to_end(&mut out) {
        // where the readable bytes end: a gzip stream cut short, a read error
        let (line, col) = super::scan::position(&out, 1, 1, out.len());
        return Err(LoadError::Format {
            path: path.display().to_string(),
            line,
            col,
            message: format!("read error: {e}"),
        });
    }
    Ok((out, c))
}

/// The file name without compression suffixes, lower-cased: `T.json.gz` → `t.json`.
pub fn plain_name(path: &Path) -> String {
    let name = path.file_name().and_then(|f| f.to_str()).unwrap_or("").to_ascii_lowercase();
    let mut n = name.as_str();
    for suffix in [".gz", ".gzip", ".zst", ".zstd"] {
        if let Some(s) = n.strip_suffix(suffix) {
            n = s;
        }
    }
    n.to_string()
}

fn ext(path: &Path) -> String {
    let n = plain_name(path);
    n.rsplit_once('.').map(|(_, e)| e.to_string()).unwrap_or_default()
}

/// The top-level keys of a JSON object's text (the first `limit` bytes are enough to find the first keys).
fn top_keys(text: &[u8]) -> Vec<String> {
    let mut keys = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    let mut expect_key = false;
    while let Some(&c) = text.get(i) {
        match c {
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while let Some(&d) = text.get(j) {
                    if d == b'\\' {
                        j += 2;
                        continue;
                    }
                    if d == b'"' {
                        break;
                    }
                    j += 1;
                }
                if depth == 1 && expect_key {
                    keys.push(String::from_utf8_lossy(text.get(start..j).unwrap_or_default()).into_owned());
                    expect_key = false;
                }
                i = j;
            }
            b'{' | b'[' => {
                depth += 1;
                expect_key = c == b'{' && depth == 1;
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b',' if depth == 1 => expect_key = true,
            _ => {}
        }
        i += 1;
    }
    keys
}

/// The shape of a file whose first (decompressed) bytes are `head`; `None` for a file that is none of them.
pub fn sniff(path: &Path, head: &[u8]) -> Option<Shape> {
    if head.starts_with(b"PAR1") {
        return Some(Shape::Parquet);
    }
    let body = head.strip_prefix(b"\xef\xbb\xbf".as_slice()).unwrap_or(head);
    let first = body.iter().position(|b| !b.is_ascii_whitespace()).and_then(|i| body.get(i)).copied();
    let e = ext(path);
    match first {
        Some(b'[') => Some(Shape::JsonArray),
        Some(b'{') => {
            let first_line = body.split(|b| *b == b'\n').find(|l| !l.trim_ascii().is_empty()).unwrap_or_default();
            let complete_line = serde_json::from_slice::<serde::de::IgnoredAny>(first_line).is_ok();
            let more_lines = body
                .split(|b| *b == b'\n')
                .filter(|l| !l.trim_ascii().is_empty())
                .nth(1)
                .is_some_and(|l| l.trim_ascii_start().starts_with(b"{"));
            let lines = e == "ndjson" || e == "jsonl" || (complete_line && more_lines);
            let keys = top_keys(if lines { first_line } else { body });
            let has = |k: &str| keys.iter().any(|x| x.eq_ignore_ascii_case(k));
            // the streaming envelope's keys are lower-case (Sentinel tables have Category/Properties columns)
            let exact = |k: &str| keys.iter().any(|x| x == k);
            if lines {
                if exact("category") && exact("properties") {
                    return Some(Shape::RecordLines);
                }
                return Some(Shape::Ndjson);
            }
            if has("tables") {
                Some(Shape::LogAnalytics)
            } else if has("results") || has("schema") {
                Some(Shape::HuntingApi)
            } else if exact("records") {
                Some(Shape::Records)
            } else if exact("category") && exact("properties") {
                Some(Shape::RecordLines)
            } else if complete_line {
                // one row object on one line
                Some(Shape::Ndjson)
            } else {
                // one row object written over several lines: the structural scanner takes it as a row
                Some(Shape::JsonArray)
            }
        }
        _ if e == "csv" => Some(Shape::Delimited(b',')),
        _ if e == "tsv" || e == "tab" => Some(Shape::Delimited(b'\t')),
        Some(_) if e == "txt" || e.is_empty() => delimited(body),
        _ => None,
    }
}

/// Text whose first lines have the same number (more than zero) of tabs, or else of commas: TSV or CSV.
fn delimited(body: &[u8]) -> Option<Shape> {
    if std::str::from_utf8(body.get(..body.len().min(4096)).unwrap_or_default()).is_err() && body.len() < 4096 {
        return None;
    }
    let lines: Vec<&[u8]> = body.split(|b| *b == b'\n').take(3).filter(|l| !l.is_empty()).collect();
    let header = lines.first()?;
    if header.contains(&0) {
        return None;
    }
    for sep in [b'\t', b','] {
        let n = header.iter().filter(|b| **b == sep).count();
        if n > 0 && lines.iter().skip(1).take(1).all(|l| l.iter().filter(|b| **b == sep).count() >= n.min(1)) {
            return Some(Shape::Delimited(sep));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_by_content() {
        let p = Path::new("x.json");
        assert_eq!(sniff(p, b"[{\"a\":1}]"), Some(Shape::JsonArray));
        assert_eq!(sniff(p, b"{\"a\":1}\n{\"a\":2}\n"), Some(Shape::Ndjson));
        assert_eq!(sniff(p, b"{\"Schema\":[],\"Results\":[]}"), Some(Shape::HuntingApi));
        assert_eq!(sniff(p, b"{\"@odata.context\":\"x\",\"schema\":[],\"results\":[]}"), Some(Shape::HuntingApi));
        assert_eq!(sniff(p, b"{\"tables\":[{\"name\":\"PrimaryResult\"}]}"), Some(Shape::LogAnalytics));
        assert_eq!(sniff(p, b"{\"records\":[{\"category\":\"x\"}]}"), Some(Shape::Records));
        assert_eq!(
            sniff(p, b"{\"time\":\"t\",\"category\":\"c\",\"properties\":{}}\n{\"category\":\"c\",\"properties\":{}}"),
            Some(Shape::RecordLines)
        );
        assert_eq!(sniff(Path::new("x.csv"), b"a,b\n1,2\n"), Some(Shape::Delimited(b',')));
        assert_eq!(sniff(Path::new("export"), b"a\tb\n1\t2\n"), Some(Shape::Delimited(b'\t')));
        assert_eq!(sniff(Path::new("notes.md"), b"# title, more\n"), None);
        assert_eq!(sniff(Path::new("x.parquet"), b"PAR1...."), Some(Shape::Parquet));
        assert_eq!(plain_name(Path::new("/a/T.Json.GZ")), "t.json");
    }
}
