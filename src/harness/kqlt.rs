//! Harness: `.kqlt` conformance text → setup items and cases (`parse_file`). Shared by `tests/conformance.rs`
//! and a `kqlite test` command; [`super::compare`] checks a case's result.
//!
//! A `.kqlt` file is one topic: setup lines, then cases, each with its query and expected result.
//!
//! ```text
//! ## join: kinds, keys, column naming                 <- a banner line (ignored, like every unknown line)
//! .now 2024-07-01T12:00:00Z                           <- pins now()/ago() for the cases that follow
//! .set L <| datatable(Key:string, V:long) ["a", 1, "b", 2, "b", 2]
//! .set R <| datatable(Key:string, W:long)
//!     ["b", 10, "b", 20]                              <- a .set continues on lines starting with space or tab
//!
//! # join-operator: no kind= means innerunique; the right key comes out as Key1
//! query unordered
//! L | join R on Key
//! ----
//! Key:string | V:long | Key1:string | W:long
//! b          | 2      | b           | 10
//! b          | 2      | b           | 20
//!
//! # join-operator: a misspelt key is reported before any row is read
//! error kqlite::bind::unknown_column
//! L | join R on $left.Key == $right.Kee
//! ```
//!
//! - `.set NAME <| QUERY` defines a table for the cases below it (any query kqlite runs, usually a `datatable`);
//!   a later `.set` of the same name replaces it. `.now DATETIME` pins the clock. Each case carries every setup
//!   item above it, in file order.
//! - `query ordered` (rows compared in order; only when the query sorts), `query unordered` (rows compared as
//!   a multiset; any other word after `query ` means the same) or `error CODE` (the query must fail with that
//!   diagnostic code) starts a case. The lines before it (`# doc-page: why`, `//` comments) are not read.
//! - The query runs to the `----` line (query cases) or to the next blank line (error cases); it may span lines.
//! - After `----`: one header line of `Name:type` cells, then one line per row until a blank line or the end of
//!   the file. No row lines: the result is empty.
//! - Cells are separated by `|` outside JSON strings (`"a|b"` is one cell) and trimmed. How a cell's text is
//!   read depends on its column's type; `tests/conformance/README.md` lists the forms and `compare` applies them.
#![warn(clippy::indexing_slicing)]

/// One setup line: what the cases below it run against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Setup {
    /// `.set NAME <| QUERY`, continuation lines joined with `\n`; `query` is the text after `<|`, untrimmed.
    Set { name: String, query: String },
    /// `.now 2024-07-01T12:00:00Z`: the text after `.now`, trimmed (parse it with `parse_datetime_text`).
    Now(String),
}

/// One case: a query and the result it must give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// 1-based line of the `query ...`/`error ...` line: names the case (`<file>::<line>`).
    pub line: usize,
    /// `query ordered`: rows must come in the expected order.
    pub ordered: bool,
    /// `error CODE`: the query must fail with this diagnostic code (then `header` and `rows` are empty).
    pub error: Option<String>,
    /// The query text, its lines joined with `\n`.
    pub query: String,
    /// The `Name:type` cells of the header line.
    pub header: Vec<String>,
    /// The expected rows, as the trimmed text of each cell.
    pub rows: Vec<Vec<String>>,
    /// Further result tables (a query of several tabular statements, `facet`): each `----`, header, rows.
    pub more: Vec<(Vec<String>, Vec<Vec<String>>)>,
}

/// Reads a `.kqlt` file: every case with the setup items above it. Never fails: a line it does not know becomes
/// a case that fails naming it (so a misspelt header cannot drop a case unnoticed), and a case cut short by the
/// end of the file keeps what it has. `query` alone is `query unordered`.
pub fn parse_file(text: &str) -> Vec<(Vec<Setup>, Case)> {
    let mut lines = text.lines().enumerate().peekable();
    let mut setup: Vec<Setup> = Vec::new();
    let mut out = Vec::new();
    while let Some((i, l)) = lines.next() {
        if let Some(rest) = l.strip_prefix(".set ") {
            let (name, q) = rest.split_once("<|").unwrap_or((rest, ""));
            let mut query = q.to_string();
            while let Some((_, more)) = lines.next_if(|(_, n)| n.starts_with(' ') || n.starts_with('\t')) {
                query.push('\n');
                query.push_str(more);
            }
            setup.push(Setup::Set { name: name.trim().to_string(), query });
        } else if let Some(rest) = l.strip_prefix(".now ") {
            setup.push(Setup::Now(rest.trim().to_string()));
        } else if l.trim() == "query" || l.starts_with("query ") || l.starts_with("error ") {
            let error = l.strip_prefix("error ").map(|c| c.trim().to_string());
            // the query's end line (`----` or a blank line) is consumed with it
            let mut query = Vec::new();
            for (_, q) in lines.by_ref() {
                if (error.is_none() && q.trim() == "----") || (error.is_some() && q.trim().is_empty()) {
                    break;
                }
                query.push(q);
            }
            let mut header = Vec::new();
            let mut rows = Vec::new();
            let mut more = Vec::new();
            if error.is_none() {
                if let Some((_, h)) = lines.next() {
                    header = split_cells(h);
                }
                let row_line = |n: &&str| !n.trim().is_empty() && n.trim() != "----";
                while let Some((_, r)) = lines.next_if(|(_, n)| row_line(n)) {
                    rows.push(split_cells(r));
                }
                // `----` again: another result table
                while lines.next_if(|(_, n)| n.trim() == "----").is_some() {
                    let h = lines.next().map(|(_, h)| split_cells(h)).unwrap_or_default();
                    let mut r = Vec::new();
                    while let Some((_, x)) = lines.next_if(|(_, n)| row_line(n)) {
                        r.push(split_cells(x));
                    }
                    more.push((h, r));
                }
            }
            let ordered = l.trim() == "query ordered";
            let query = query.join("\n");
            out.push((setup.clone(), Case { line: i + 1, ordered, error, query, header, rows, more }));
        } else if !l.trim().is_empty() && !l.starts_with('#') && !l.starts_with("//") {
            // a misspelt header must not drop its case silently: it becomes a case that fails, naming the line
            let error = Some(format!("(a line the .kqlt format does not know: `{}`)", l.trim()));
            out.push((
                setup.clone(),
                Case {
                    line: i + 1,
                    ordered: false,
                    error,
                    query: String::new(),
                    header: vec![],
                    rows: vec![],
                    more: vec![],
                },
            ));
        }
    }
    out
}

/// Splits a header or row line on `|` outside JSON strings, trimming each cell.
pub fn split_cells(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cur = String::new();
    let mut in_str = false;
    let mut escaped = false;
    for c in line.chars() {
        if in_str {
            cur.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
        } else if c == '"' {
            in_str = true;
            cur.push(c);
        } else if c == '|' {
            cells.push(cur.trim().to_string());
            cur.clear();
        } else {
            cur.push(c);
        }
    }
    cells.push(cur.trim().to_string());
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_header_is_a_failing_case_not_a_dropped_one() {
        let cases = parse_file("# a\nqurey unordered\nprint 1\n----\nx:long\n1\n\nquery\nprint 2\n----\nx:long\n2\n");
        let errors: Vec<_> = cases.iter().filter_map(|(_, c)| c.error.clone()).collect();
        assert!(errors.iter().any(|e| e.contains("qurey unordered")), "{errors:?}");
        let plain = cases.iter().find(|(_, c)| c.query == "print 2").expect("`query` alone is a case");
        assert!(!plain.1.ordered && plain.1.rows == [vec!["2".to_string()]]);
    }

    fn cells(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    const FILE: &str = "## topic
.now 2024-07-01T12:00:00Z
// a comment line
.set T <| datatable(a:long, s:string)
    [1, \"x\",
\t 2, \"y\"]
.set U <|print 1

# page: ordered
query ordered
T
| sort by a asc
----
a:long | s:string
1      | x
2      | y

# page: an error
error kqlite::bind::unknown_column
T | where b == 1
| take 1

.now 2025-01-01T00:00:00Z
# page: empty result, unordered
query unordered
T | where a > 5
----
a:long | s:string
";

    #[test]
    fn setup_items_with_continuation_lines_and_now() {
        let cases = parse_file(FILE);
        assert_eq!(cases.len(), 3);
        let set_t =
            Setup::Set { name: "T".into(), query: " datatable(a:long, s:string)\n    [1, \"x\",\n\t 2, \"y\"]".into() };
        let set_u = Setup::Set { name: "U".into(), query: "print 1".into() };
        let now1 = Setup::Now("2024-07-01T12:00:00Z".into());
        assert_eq!(cases[0].0, vec![now1.clone(), set_t.clone(), set_u.clone()]);
        assert_eq!(cases[1].0, cases[0].0);
        assert_eq!(cases[2].0, vec![now1, set_t, set_u, Setup::Now("2025-01-01T00:00:00Z".into())]);
    }

    #[test]
    fn query_and_error_cases() {
        let cases = parse_file(FILE);
        let (_, c) = &cases[0];
        assert_eq!((c.line, c.ordered, c.error.as_deref()), (10, true, None));
        assert_eq!(c.query, "T\n| sort by a asc");
        assert_eq!(c.header, cells(&["a:long", "s:string"]));
        assert_eq!(c.rows, vec![cells(&["1", "x"]), cells(&["2", "y"])]);

        let (_, e) = &cases[1];
        assert_eq!((e.line, e.ordered, e.error.as_deref()), (19, false, Some("kqlite::bind::unknown_column")));
        assert_eq!(e.query, "T | where b == 1\n| take 1");
        assert!(e.header.is_empty() && e.rows.is_empty());

        let (_, u) = &cases[2];
        assert_eq!((u.line, u.ordered, u.query.as_str()), (25, false, "T | where a > 5"));
        assert_eq!(u.header, cells(&["a:long", "s:string"]));
        assert!(u.rows.is_empty());
    }

    #[test]
    fn a_case_cut_short_by_the_end_of_the_file() {
        let cases = parse_file("query unordered\nprint 1");
        assert_eq!(cases.len(), 1);
        assert_eq!((cases[0].1.query.as_str(), cases[0].1.header.len()), ("print 1", 0));
        assert_eq!(parse_file("error kqlite::parse::syntax\nprint").len(), 1);
        assert!(parse_file("").is_empty());
    }

    #[test]
    fn cells_split_on_bars_outside_json_strings() {
        assert_eq!(split_cells(r#" a | "b|c" | {"k":"x|y"} |  "#), cells(&["a", r#""b|c""#, r#"{"k":"x|y"}"#, ""]));
        assert_eq!(split_cells(r#""q\"|r" | ["|",1]"#), cells(&[r#""q\"|r""#, r#"["|",1]"#]));
        assert_eq!(split_cells(r#""""#), cells(&[r#""""#]));
    }
}
