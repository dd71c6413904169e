//! Where a query's text comes from in its pack file. A `.kql` file is its own query; a Markdown block, a
//! YAML block scalar (`query: |`) or a JSON string (an ARM export's `properties.query`) is a query whose bytes
//! sit elsewhere in the file, between indentation, escapes and folded lines. [`Origin`] maps every byte offset
//! of the query back to the file, so a diagnostic's span points at the file's own line and column.
#![warn(clippy::indexing_slicing)]

/// Maps byte offsets of a query's text to byte offsets of its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The query is the file's bytes from this offset on, unchanged.
    Shift(usize),
    /// Byte `i` of the query comes from file byte `map[i]`; one entry more than the query has bytes.
    Map(Vec<usize>),
}

impl Origin {
    /// The file offset of a query offset (past the end: the end of the mapped text).
    pub fn file_offset(&self, query_offset: usize) -> usize {
        match self {
            Origin::Shift(base) => base + query_offset,
            Origin::Map(map) => map.get(query_offset).or(map.last()).copied().unwrap_or(0),
        }
    }

    /// A query span (offset, length) as a file span.
    pub fn file_span(&self, offset: usize, len: usize) -> (usize, usize) {
        let start = self.file_offset(offset);
        let end = self.file_offset(offset + len).max(start);
        (start, end - start)
    }
}

/// Aligns `decoded` (a YAML scalar's or JSON string's value) with the raw text it was read from, starting at
/// byte `start` of `raw`. `escapes`: a backslash in the raw text starts an escape sequence (JSON strings, YAML
/// double-quoted scalars) that stands for one decoded character. Raw characters that are not in the value
/// (indentation, quotes, a folded line's break, a doubled `''`) are stepped over. Returns the map for
/// [`Origin::Map`].
pub fn align(raw: &str, start: usize, decoded: &str, escapes: bool) -> Vec<usize> {
    let bytes = raw.as_bytes();
    let mut map = Vec::with_capacity(decoded.len() + 1);
    let mut r = start.min(raw.len());
    for c in decoded.chars() {
        let at = loop {
            let Some(rc) = raw.get(r..).and_then(|s| s.chars().next()) else {
                break raw.len();
            };
            if escapes && rc == '\\' {
                let here = r;
                r += escape_len(bytes, r);
                break here;
            }
            if rc == c || (c == ' ' && rc == '\n') || (c == '\n' && rc == '\r') {
                let here = r;
                r += rc.len_utf8();
                // a CRLF line end stands for one decoded '\n'
                if rc == '\r' && bytes.get(r) == Some(&b'\n') {
                    r += 1;
                }
                break here;
            }
            r += rc.len_utf8();
        };
        map.extend(std::iter::repeat_n(at, c.len_utf8()));
    }
    map.push(r.min(raw.len()));
    map
}

/// The length in bytes of the escape sequence at `bytes[at]` (a backslash): `\uXXXX` (twice for a surrogate
/// pair), `\xXX`, `\UXXXXXXXX`, else the backslash and one character.
fn escape_len(bytes: &[u8], at: usize) -> usize {
    match bytes.get(at + 1) {
        Some(b'u') => {
            let pair = bytes.get(at + 6) == Some(&b'\\') && bytes.get(at + 7) == Some(&b'u');
            let high = bytes.get(at + 2..at + 6).is_some_and(|h| matches!(h.first(), Some(b'd' | b'D')));
            if pair && high {
                12
            } else {
                6
            }
        }
        Some(b'x') => 4,
        Some(b'U') => 10,
        Some(c) => 1 + utf8_len(*c),
        None => 1,
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The raw text each decoded character was mapped to.
    fn raw_of(raw: &str, decoded: &str, start: usize, escapes: bool) -> String {
        let map = align(raw, start, decoded, escapes);
        decoded.char_indices().map(|(i, _)| raw[map[i]..].chars().next().unwrap()).collect()
    }

    #[test]
    fn literal_block_skips_indentation() {
        let raw = "query: |\n  let a = 1;\n  T\n    | take 1\n";
        let value = "let a = 1;\nT\n  | take 1\n";
        let start = raw.find("let").unwrap();
        let map = align(raw, start, value, false);
        // `T` on the second line sits at column 3 of line 3
        let t = value.find('T').unwrap();
        assert_eq!(crate::source::line_col(raw, map[t]), (3, 3));
        let pipe = value.find('|').unwrap();
        assert_eq!(crate::source::line_col(raw, map[pipe]), (4, 5));
        assert_eq!(raw_of(raw, value, start, false).replace(' ', ""), value.replace(' ', ""));
    }

    #[test]
    fn folded_block_maps_a_fold_to_the_line_break() {
        let raw = "q: >-\n  T\n  | take 1\n";
        let value = "T | take 1";
        let map = align(raw, raw.find('T').unwrap(), value, false);
        assert_eq!(crate::source::line_col(raw, map[value.find('|').unwrap()]), (3, 3));
    }

    #[test]
    fn json_escapes_stand_for_one_character() {
        let raw = r#"{"query": "T\n| where a == \"b\\c\" and x == '\u00e9'\n| take 1"}"#;
        let value = "T\n| where a == \"b\\c\" and x == '\u{e9}'\n| take 1";
        let start = raw.find("T\\n").unwrap();
        let map = align(raw, start, value, true);
        let take = value.find("take").unwrap();
        assert_eq!(&raw[map[take]..map[take] + 4], "take");
        let x = value.find("x ==").unwrap();
        assert_eq!(&raw[map[x]..map[x] + 4], "x ==");
        assert_eq!(map.len(), value.len() + 1);
    }

    #[test]
    fn crlf_lines_map_to_one_newline() {
        let raw = "```kql\r\nT\r\n| take 1\r\n```\r\n";
        let value = "T\n| take 1";
        let map = align(raw, raw.find('T').unwrap(), value, false);
        assert_eq!(crate::source::line_col(raw, map[value.find('|').unwrap()]), (3, 1));
    }

    #[test]
    fn shift_and_map_spans() {
        assert_eq!(Origin::Shift(10).file_span(2, 3), (12, 3));
        let o = Origin::Map(vec![5, 6, 9, 10]);
        assert_eq!(o.file_span(1, 2), (6, 4));
        assert_eq!(o.file_offset(99), 10);
    }
}
