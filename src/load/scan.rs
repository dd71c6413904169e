//! Splits a JSON file, as it streams in, into chunks of complete rows without building a tree: a structural
//! scanner tracks brackets and strings (memchr inside strings), finds the array that holds the rows for the
//! file's [`Shape`], and cuts chunks of a few MiB of whole rows that decoders turn into record batches on all
//! cores. Small values beside the rows (an API response's schema, a Log Analytics table's name and columns) are
//! kept as [`Meta`]. NDJSON is split on newlines. Memory: one read buffer and the chunks in flight.

use super::shape::Shape;
use std::io::Read;

/// Rows of one chunk: byte ranges into `data`, with the group (the Log Analytics table index) they belong to.
#[derive(Debug, Default)]
pub struct Chunk {
    pub data: Vec<u8>,
    pub rows: Vec<RowRef>,
    /// line (1-based) and column (1-based, bytes) of `data[0]` in the file
    pub line: usize,
    pub col: usize,
}

/// Chunk buffers handed back after decoding, for the next chunks: a new 4 MiB buffer per chunk would be fresh
/// memory each time, which the kernel must fault in and zero page by page (a third of a scan's time, profiled
/// on NDJSON). At most [`SPARE_MAX`] are kept (the chunks in flight on every core), none larger than 16 MiB.
static SPARE: std::sync::Mutex<Vec<Vec<u8>>> = std::sync::Mutex::new(Vec::new());
const SPARE_MAX: usize = 16;

/// An empty buffer with room for `cap` bytes, a spare one when there is one.
pub fn spare_buffer(cap: usize) -> Vec<u8> {
    let mut b = SPARE.lock().ok().and_then(|mut s| s.pop()).unwrap_or_default();
    b.clear();
    b.reserve(cap);
    b
}

/// Gives a chunk's buffer back once its rows are decoded.
pub fn recycle(mut b: Vec<u8>) {
    if b.capacity() == 0 || b.capacity() > 16 << 20 {
        return;
    }
    b.clear();
    if let Ok(mut s) = SPARE.lock() {
        if s.len() < SPARE_MAX {
            s.push(b);
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct RowRef {
    pub start: usize,
    pub end: usize,
    pub group: usize,
}

impl Chunk {
    /// Line and column in the file of byte `off` of `data`.
    pub fn position(&self, off: usize) -> (usize, usize) {
        position(&self.data, self.line, self.col, off)
    }
}

/// Line and column (1-based, bytes) of byte `off` of `data`, whose first byte is at `line`:`col` of the file;
/// `off` may be `data.len()` (the end of what was read).
pub fn position(data: &[u8], line: usize, col: usize, off: usize) -> (usize, usize) {
    let before = data.get(..off).unwrap_or(data);
    let nl = memchr::memchr_iter(b'\n', before).count();
    match memchr::memrchr(b'\n', before) {
        Some(i) => (line + nl, before.len() - i),
        None => (line, col + before.len()),
    }
}

/// A small value beside the rows: `key` is the object key it sits under; `group` the table index.
#[derive(Debug, Clone)]
pub struct Meta {
    pub group: usize,
    pub key: String,
    pub value: Vec<u8>,
}

/// A scan error at a byte offset of the file.
#[derive(Debug)]
pub struct ScanError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

#[derive(Debug)]
struct Frame {
    obj: bool,
    key: Vec<u8>,
    index: usize,
    /// in an object: a key is expected next; in an array: a value may start
    expect_key: bool,
    /// a value ended: `,` or the closing bracket must follow
    need_sep: bool,
}

#[derive(Debug, Clone, Copy)]
enum Cap {
    Row(usize),
    Meta(usize),
}

#[derive(Debug)]
struct Capture {
    start: usize,
    depth: usize,
    scalar: bool,
    kind: Cap,
}

const BLOCK: usize = 1 << 20;

/// The splitter over one file's (decompressed) bytes.
pub struct Scanner<R: Read> {
    rd: R,
    shape: Shape,
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
    /// newlines in the bytes dropped from the front of `buf`, and the column of `buf[0]`
    line: usize,
    col: usize,
    stack: Vec<Frame>,
    in_str: bool,
    esc: bool,
    key_start: Option<usize>,
    cap: Option<Capture>,
    /// inside a bare number, `true`, `false` or `null` outside any row (an API response's statistics)
    in_scalar: bool,
    /// completed rows not yet handed out
    rows: Vec<RowRef>,
    pub metas: Vec<Meta>,
    top_done: bool,
    /// stop at this many bytes without an error for a cut file (sampling)
    sample: bool,
    pub chunk_bytes: usize,
    pub chunk_rows: usize,
}

impl<R: Read> Scanner<R> {
    pub fn new(rd: R, shape: Shape) -> Scanner<R> {
        Scanner {
            rd,
            shape,
            buf: Vec::new(),
            pos: 0,
            eof: false,
            line: 1,
            col: 1,
            stack: Vec::new(),
            in_str: false,
            esc: false,
            key_start: None,
            cap: None,
            in_scalar: false,
            rows: Vec::new(),
            metas: Vec::new(),
            top_done: false,
            sample: false,
            chunk_bytes: 4 << 20,
            chunk_rows: 8192,
        }
    }

    /// A scanner over a prefix of the file: the end of input is not an error (the last, cut row is dropped).
    pub fn sampling(mut self) -> Self {
        self.sample = true;
        self
    }

    fn err(&self, off: usize, message: impl Into<String>) -> ScanError {
        let (line, col) = self.position(off);
        ScanError { line, col, message: message.into() }
    }

    fn position(&self, off: usize) -> (usize, usize) {
        position(&self.buf, self.line, self.col, off)
    }

    /// Drops consumed bytes and reads more; false at the end of input.
    fn refill(&mut self) -> Result<bool, ScanError> {
        if self.eof {
            return Ok(false);
        }
        let mut keep = self.pos;
        if let Some(r) = self.rows.first() {
            keep = keep.min(r.start);
        }
        if let Some(c) = &self.cap {
            keep = keep.min(c.start);
        }
        if let Some(k) = self.key_start {
            keep = keep.min(k);
        }
        if keep > 0 {
            let (line, col) = self.position(keep);
            self.line = line;
            self.col = col;
            self.buf.drain(..keep);
            self.pos -= keep;
            for r in &mut self.rows {
                r.start -= keep;
                r.end -= keep;
            }
            if let Some(c) = &mut self.cap {
                c.start -= keep;
            }
            if let Some(k) = &mut self.key_start {
                *k -= keep;
            }
        }
        let len = self.buf.len();
        let want = BLOCK.max(len / 2);
        self.buf.resize(len + want, 0);
        let mut got = 0;
        while got < want {
            let dst = self.buf.get_mut(len + got..).unwrap_or_default();
            match self.rd.read(dst) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.buf.truncate(len + got);
                    let end = self.buf.len();
                    return Err(self.err(end, format!("read error: {e}")));
                }
            }
        }
        self.buf.truncate(len + got);
        Ok(got > 0)
    }

    /// The next chunk of complete rows, `None` at the end of the file.
    pub fn next_chunk(&mut self) -> Result<Option<Chunk>, ScanError> {
        if self.shape.is_lines() {
            return self.next_lines_chunk();
        }
        loop {
            if self.ready() {
                return Ok(Some(self.take_chunk()));
            }
            if self.pos >= self.buf.len() && !self.refill()? {
                return self.finish();
            }
            self.step()?;
        }
    }

    /// NDJSON: reads a block straight into the chunk's own buffer (no zero-fill, no copy), cuts it after its
    /// last newline (the rest starts the next block) and lists its non-blank lines.
    fn next_lines_chunk(&mut self) -> Result<Option<Chunk>, ScanError> {
        loop {
            let target = self.chunk_bytes.clamp(1, 4 << 20);
            let mut data = spare_buffer(target + self.buf.len());
            data.append(&mut self.buf);
            while !self.eof && (data.len() < target || memchr::memrchr(b'\n', &data).is_none()) {
                let before = data.len();
                let want = target.saturating_sub(before).max(before / 2).max(4096);
                // room for the whole read up front: read_to_end then never reallocates and copies
                data.reserve(want + 64);
                match (&mut self.rd).take(want as u64).read_to_end(&mut data) {
                    Ok(0) => self.eof = true,
                    Ok(_) => {}
                    Err(e) => {
                        let (line, col) = position(&data, self.line, 1, data.len().max(before));
                        return Err(ScanError { line, col, message: format!("read error: {e}") });
                    }
                }
            }
            let cut =
                if self.eof && !self.sample { data.len() } else { memchr::memrchr(b'\n', &data).map_or(0, |i| i + 1) };
            self.buf.clear();
            self.buf.extend_from_slice(data.get(cut..).unwrap_or_default());
            data.truncate(cut);
            if data.is_empty() {
                return Ok(None);
            }
            let mut rows = Vec::new();
            let mut start = 0;
            let mut lines = 0;
            for end in memchr::memchr_iter(b'\n', &data).chain(std::iter::once(data.len())) {
                if end < data.len() {
                    lines += 1;
                }
                if let Some(r) = line_ref(&data, start, end) {
                    rows.push(r);
                }
                start = end + 1;
            }
            let chunk = Chunk { data, rows, line: self.line, col: 1 };
            self.line += lines;
            if !chunk.rows.is_empty() || self.eof {
                return Ok(if chunk.rows.is_empty() { None } else { Some(chunk) });
            }
        }
    }

    fn ready(&self) -> bool {
        match (self.rows.first(), self.rows.last()) {
            (Some(a), Some(b)) => b.end - a.start >= self.chunk_bytes || self.rows.len() >= self.chunk_rows,
            _ => false,
        }
    }

    fn take_chunk(&mut self) -> Chunk {
        let (Some(first), Some(last)) = (self.rows.first().copied(), self.rows.last().copied()) else {
            return Chunk::default();
        };
        let (line, col) = self.position(first.start);
        let rows_bytes = self.buf.get(first.start..last.end).unwrap_or_default();
        let mut data = spare_buffer(rows_bytes.len());
        data.extend_from_slice(rows_bytes);
        let rows = self
            .rows
            .drain(..)
            .map(|r| RowRef { start: r.start - first.start, end: r.end - first.start, group: r.group })
            .collect();
        Chunk { data, rows, line, col }
    }

    fn finish(&mut self) -> Result<Option<Chunk>, ScanError> {
        if !self.sample {
            let end = self.buf.len();
            if self.in_str || self.cap.is_some() || !self.stack.is_empty() {
                let what = if self.in_str { "a string" } else { "the JSON value" };
                return Err(self.err(end, format!("unexpected end of file inside {what}: the file is cut short")));
            } else if !self.top_done {
                return Err(self.err(end, "the file holds no JSON value"));
            }
        }
        if self.rows.is_empty() {
            Ok(None)
        } else {
            Ok(Some(self.take_chunk()))
        }
    }

    /// Is a value starting here a row (`Some(group)`) or a kept meta value?
    fn capture_here(&self) -> Option<Cap> {
        let s = &self.stack;
        let key_is = |f: &Frame, k: &str| f.obj && f.key.eq_ignore_ascii_case(k.as_bytes());
        match (self.shape, s.as_slice()) {
            (Shape::JsonArray, [a]) if !a.obj => Some(Cap::Row(0)),
            // a file holding one (pretty-printed) row object
            (Shape::JsonArray, []) if self.buf.get(self.pos) == Some(&b'{') => Some(Cap::Row(0)),
            (Shape::HuntingApi, [o, a]) if key_is(o, "Results") && !a.obj => Some(Cap::Row(0)),
            (Shape::HuntingApi, [o]) if key_is(o, "Schema") => Some(Cap::Meta(0)),
            (Shape::Records, [o, a]) if key_is(o, "records") && !a.obj => Some(Cap::Row(0)),
            (Shape::LogAnalytics, [o, t, r, a]) if key_is(o, "tables") && !t.obj && key_is(r, "rows") && !a.obj => {
                Some(Cap::Row(t.index))
            }
            (Shape::LogAnalytics, [o, t, m])
                if key_is(o, "tables") && !t.obj && (key_is(m, "name") || key_is(m, "columns")) =>
            {
                Some(Cap::Meta(t.index))
            }
            _ => None,
        }
    }

    /// A value starts at `pos` (its first byte `c`): begin a capture or, for a container, a frame.
    fn value_start(&mut self, c: u8) -> Result<(), ScanError> {
        if self.stack.is_empty() && self.top_done {
            return Err(self.err(self.pos, "unexpected data after the end of the JSON value"));
        }
        if let Some(f) = self.stack.last_mut() {
            if f.need_sep {
                let want = if f.obj { "',' or '}'" } else { "',' or ']'" };
                return Err(self.err(self.pos, format!("expected {want} before the next value")));
            }
            f.need_sep = true;
        }
        let container = c == b'{' || c == b'[';
        if let Some(kind) = self.capture_here() {
            self.cap = Some(Capture { start: self.pos, depth: usize::from(container), scalar: !container, kind });
            if c == b'"' {
                self.in_str = true;
            }
            return Ok(());
        }
        if container {
            self.stack.push(Frame {
                obj: c == b'{',
                key: Vec::new(),
                index: 0,
                expect_key: c == b'{',
                need_sep: false,
            });
        } else if c == b'"' {
            self.in_str = true;
        } else {
            self.in_scalar = true;
            if self.stack.is_empty() {
                self.top_done = true;
            }
        }
        Ok(())
    }

    fn end_capture(&mut self, end: usize) {
        let Some(cap) = self.cap.take() else { return };
        match cap.kind {
            Cap::Row(group) => self.rows.push(RowRef { start: cap.start, end, group }),
            Cap::Meta(group) => {
                let key = self.stack.last().map(|f| String::from_utf8_lossy(&f.key).into_owned()).unwrap_or_default();
                let value = self.buf.get(cap.start..end).unwrap_or_default().to_vec();
                self.metas.push(Meta { group, key, value });
            }
        }
        if self.stack.is_empty() {
            self.top_done = true;
        }
    }

    /// Scans from `pos` to the end of the buffer.
    fn step(&mut self) -> Result<(), ScanError> {
        while self.pos < self.buf.len() {
            if self.ready() {
                return Ok(());
            }
            if self.in_str {
                let rest = self.buf.get(self.pos..).unwrap_or_default();
                if self.esc {
                    self.esc = false;
                    self.pos += 1;
                    continue;
                }
                match memchr::memchr2(b'"', b'\\', rest) {
                    None => self.pos = self.buf.len(),
                    Some(i) => {
                        let at = self.pos + i;
                        self.pos = at + 1;
                        if rest.get(i) == Some(&b'\\') {
                            self.esc = true;
                            continue;
                        }
                        self.in_str = false;
                        if let Some(k) = self.key_start.take() {
                            let key = self.buf.get(k..at).unwrap_or_default().to_vec();
                            if let Some(f) = self.stack.last_mut() {
                                f.key = key;
                                f.expect_key = false;
                            }
                        } else if self.cap.as_ref().is_some_and(|c| c.scalar) {
                            self.end_capture(at + 1);
                        } else if self.cap.is_none() && self.stack.is_empty() {
                            self.top_done = true;
                        }
                    }
                }
                continue;
            }
            let c = self.buf.get(self.pos).copied().unwrap_or(b' ');
            if self.in_scalar {
                if matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n') {
                    self.in_scalar = false;
                } else {
                    self.pos += 1;
                    continue;
                }
            }
            // inside a captured row or meta value: only brackets and strings matter
            if let Some(cap) = &mut self.cap {
                match c {
                    b'"' => self.in_str = true,
                    b'{' | b'[' if !cap.scalar => cap.depth += 1,
                    b'}' | b']' if !cap.scalar => {
                        cap.depth -= 1;
                        if cap.depth == 0 {
                            self.end_capture(self.pos + 1);
                        }
                    }
                    b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n' if cap.scalar => {
                        self.end_capture(self.pos);
                        continue;
                    }
                    _ => {}
                }
                self.pos += 1;
                continue;
            }
            match c {
                b' ' | b'\t' | b'\r' | b'\n' => {}
                b'"' if self.stack.last().is_some_and(|f| f.obj && f.expect_key) => {
                    self.in_str = true;
                    self.key_start = Some(self.pos + 1);
                }
                b'}' | b']' => {
                    let Some(f) = self.stack.pop() else {
                        return Err(self.err(self.pos, format!("unexpected '{}'", c as char)));
                    };
                    if f.obj != (c == b'}') {
                        return Err(self.err(self.pos, format!("unexpected '{}': brackets do not match", c as char)));
                    }
                    if self.stack.is_empty() {
                        self.top_done = true;
                    }
                }
                b',' => match self.stack.last_mut() {
                    Some(f) if f.need_sep => {
                        f.need_sep = false;
                        f.index += 1;
                        f.expect_key = f.obj;
                    }
                    _ => return Err(self.err(self.pos, "unexpected ','")),
                },
                b':' => {}
                b'\xef' if self.pos == 0 && self.buf.starts_with(b"\xef\xbb\xbf") => self.pos += 2,
                _ => self.value_start(c)?,
            }
            self.pos += 1;
        }
        Ok(())
    }
}

/// The row of a line: trimmed, without a byte-order mark; `None` for a blank line.
fn line_ref(data: &[u8], start: usize, end: usize) -> Option<RowRef> {
    let line = data.get(start..end)?;
    let t = line.trim_ascii();
    let t = t.strip_prefix(b"\xef\xbb\xbf".as_slice()).unwrap_or(t);
    if t.is_empty() {
        return None;
    }
    let lead = line.trim_ascii_end().len() - t.len();
    Some(RowRef { start: start + lead, end: start + lead + t.len(), group: 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(shape: Shape, text: &str) -> Result<(Vec<String>, Vec<Meta>), ScanError> {
        let mut s = Scanner::new(text.as_bytes(), shape);
        s.chunk_rows = 2;
        let mut out = Vec::new();
        while let Some(c) = s.next_chunk()? {
            for r in &c.rows {
                out.push(format!(
                    "{}:{}",
                    r.group,
                    String::from_utf8_lossy(c.data.get(r.start..r.end).unwrap_or_default())
                ));
            }
        }
        Ok((out, s.metas))
    }

    #[test]
    fn shapes_split_into_rows() {
        let (r, _) = rows(Shape::JsonArray, "[{\"a\":\"x]}\"}, {\"b\":[1,{}]},\n{}]").unwrap_or_default();
        assert_eq!(r, vec!["0:{\"a\":\"x]}\"}", "0:{\"b\":[1,{}]}", "0:{}"]);
        let (r, m) = rows(Shape::HuntingApi, "{\"Schema\":[{\"Name\":\"a\"}],\"Results\":[{\"a\":1},{\"a\":2}]}")
            .unwrap_or_default();
        assert_eq!(r.len(), 2);
        assert_eq!(m.first().map(|m| m.key.as_str()), Some("Schema"));
        let la =
            "{\"tables\":[{\"name\":\"T\",\"columns\":[],\"rows\":[[1,\"a\"],[2]]},{\"name\":\"U\",\"rows\":[[3]]}]}";
        let (r, m) = rows(Shape::LogAnalytics, la).unwrap_or_default();
        assert_eq!(r, vec!["0:[1,\"a\"]", "0:[2]", "1:[3]"]);
        assert_eq!(m.len(), 3);
        let (r, _) = rows(Shape::Ndjson, "{\"a\":1}\n\n  {\"a\":2}  \n{\"a\":3}").unwrap_or_default();
        assert_eq!(r, vec!["0:{\"a\":1}", "0:{\"a\":2}", "0:{\"a\":3}"]);
    }

    #[test]
    fn cut_and_broken_files_are_errors_with_positions() {
        let e = rows(Shape::JsonArray, "[{\"a\":1},\n{\"a\":").err().map(|e| (e.line, e.col));
        assert_eq!(e, Some((2, 6)));
        assert!(rows(Shape::JsonArray, "[{\"a\":1} {\"a\":2}]").is_err());
        assert!(rows(Shape::JsonArray, "[{\"a\":1}]]").is_err());
        assert!(rows(Shape::JsonArray, "").is_err());
    }
}
