//! Query packs: the files detection engineers keep in git, and the queries in them.
//!
//! - `.kql`, `.csl`, `.kusto`: one query per file; `.txt` too when it reads as KQL (a pipe line or a leading
//!   `let`), so a folder's READMEs and licences are not taken for queries.
//! - Markdown (`.md`, `.markdown`): each fenced block tagged `kql`/`kusto`, or untagged but KQL.
//! - YAML (`.yaml`, `.yml`): every document with a `query` string (Sentinel analytic rules and hunting
//!   queries); other YAML (workflows, `*.test.yaml` test files) is not a query file.
//! - JSON (`.json`): Sentinel ARM exports, every string under a `query` key; a JSON file that is not an object
//!   naming a `query` (a data dump) is not a query file.
//!
//! Every query keeps an [`Origin`] mapping its bytes back to its file, so findings point at the file's line and
//! column inside the Markdown fence, the YAML block scalar or the JSON string. A file that cannot be read (not
//! UTF-8, bad YAML or JSON, an unclosed fence) gives a [`Problem`] and the rest of the pack is still read.
//!
//! Folders are searched recursively; `--include`/`--exclude` globs and `.kqliteignore` files ([`Filter`]) choose
//! which files count.
#![warn(clippy::indexing_slicing)]

use super::origin::{align, Origin};
use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where a query sits in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryKind {
    /// the whole file
    Kql,
    /// the n-th KQL block of a Markdown file (1-based)
    Markdown(usize),
    /// the `query` of the n-th YAML document (0-based)
    Yaml(usize),
    /// the n-th `query` string of a JSON file (1-based)
    Json(usize),
}

/// One query of a pack: where it comes from and its text.
#[derive(Debug, Clone)]
pub struct PackQuery {
    pub file: PathBuf,
    /// 1-based line of the query's first character in `file`
    pub line: usize,
    pub text: String,
    /// where each byte of `text` is in the file
    pub origin: Origin,
    pub kind: QueryKind,
}

/// Something that kept part of a file from being read; the byte offset it is at.
#[derive(Debug, Clone)]
pub struct Problem {
    pub code: &'static str,
    pub message: String,
    pub help: Option<String>,
    pub offset: usize,
}

/// A pack file read: its text (for positions and reports), its queries and what could not be read.
#[derive(Debug, Clone)]
pub struct PackFile {
    pub path: PathBuf,
    pub text: Arc<str>,
    pub queries: Vec<PackQuery>,
    pub problems: Vec<Problem>,
}

const KQL_EXTENSIONS: &[&str] = &["kql", "csl", "kusto"];
const PACK_EXTENSIONS: &[&str] = &["kql", "csl", "kusto", "txt", "md", "markdown", "yaml", "yml", "json"];

fn extension(p: &Path) -> String {
    p.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase()
}

/// A `kqlite test` file: `*.test.yaml` / `*.test.yml`.
pub fn is_test_file(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("").to_ascii_lowercase();
    name.ends_with(".test.yaml") || name.ends_with(".test.yml")
}

/// Which files of a folder count: `--include`/`--exclude` globs and the patterns of `.kqliteignore` files.
///
/// A pattern without a `/` matches a file or folder name at any depth (`drafts`, `*.draft.kql`); with one it
/// matches the path from the folder being searched (`failing/**`, `rules/old/*.yaml`); a trailing `/` matches
/// folders only. A `.kqliteignore` (one pattern per line, `#` comments) applies to its folder and below.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub include: Vec<glob::Pattern>,
    pub exclude: Vec<glob::Pattern>,
}

/// One ignore pattern with the folder it is relative to.
#[derive(Debug, Clone)]
struct Ignore {
    base: PathBuf,
    pattern: glob::Pattern,
    dir_only: bool,
    anchored: bool,
}

const MATCH: glob::MatchOptions =
    glob::MatchOptions { case_sensitive: true, require_literal_separator: true, require_literal_leading_dot: false };

impl Filter {
    /// Parses `--include`/`--exclude` globs; the error names the bad pattern.
    pub fn new(include: &[String], exclude: &[String]) -> Result<Filter, String> {
        let parse = |v: &[String]| -> Result<Vec<glob::Pattern>, String> {
            v.iter()
                .map(|p| glob::Pattern::new(p.trim_end_matches('/')).map_err(|e| format!("bad glob '{p}': {e}")))
                .collect()
        };
        Ok(Filter { include: parse(include)?, exclude: parse(exclude)? })
    }
}

fn matches_rel(pattern: &glob::Pattern, anchored: bool, rel: &Path) -> bool {
    if anchored {
        return pattern.matches_path_with(rel, MATCH);
    }
    // an unanchored name pattern matches any component; a path pattern any suffix of components
    let parts: Vec<&std::ffi::OsStr> = rel.iter().collect();
    (0..parts.len()).any(|i| {
        let sub: PathBuf = parts.iter().skip(i).collect();
        pattern.matches_path_with(&sub, MATCH)
    })
}

fn read_ignore(dir: &Path) -> Vec<Ignore> {
    let Ok(text) = std::fs::read_to_string(dir.join(".kqliteignore")) else {
        return Vec::new();
    };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let dir_only = l.ends_with('/');
            let body = l.trim_end_matches('/');
            let anchored = body.starts_with('/') || body.contains('/');
            let pattern = glob::Pattern::new(body.trim_start_matches('/')).ok()?;
            Some(Ignore { base: dir.to_path_buf(), pattern, dir_only, anchored })
        })
        .collect()
}

fn ignored(ignores: &[Ignore], path: &Path, is_dir: bool) -> bool {
    ignores.iter().any(|i| {
        let Ok(rel) = path.strip_prefix(&i.base) else { return false };
        (!i.dir_only || is_dir) && matches_rel(&i.pattern, i.anchored, rel)
    })
}

/// The pack files under the given paths, sorted. A named file is taken whatever its extension (unless it is a
/// test file, or an `--exclude` or the current folder's `.kqliteignore` names it); folders are searched recursively for
/// the pack extensions, minus ignored and excluded paths and `*.test.yaml` files; `tests` picks those instead.
pub fn pack_files(paths: &[PathBuf], filter: &Filter) -> std::io::Result<Vec<PathBuf>> {
    collect(
        paths,
        filter,
        |p| PACK_EXTENSIONS.contains(&extension(p).as_str()) && !is_test_file(p),
        |p| !is_test_file(p),
    )
}

/// The `kqlite test` files under the given paths (`*.test.yaml`, `*.test.yml`), sorted.
pub fn test_files(paths: &[PathBuf], filter: &Filter) -> std::io::Result<Vec<PathBuf>> {
    collect(paths, filter, is_test_file, |_| true)
}

/// `wanted`: the files taken from folders; `named`: the named files taken (pre-commit names every changed
/// file, test files included).
fn collect(
    paths: &[PathBuf],
    filter: &Filter,
    wanted: impl Fn(&Path) -> bool,
    named: impl Fn(&Path) -> bool,
) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let cwd_ignores = read_ignore(Path::new("."));
    for p in paths {
        if p.is_file() {
            let rel = p.strip_prefix("./").unwrap_or(p);
            let excluded = filter.exclude.iter().any(|x| matches_rel(x, x.as_str().contains('/'), rel));
            if named(p) && !excluded && !ignored(&cwd_ignores, &Path::new(".").join(rel), false) {
                out.push(p.clone());
            }
            continue;
        }
        let mut stack = vec![(p.clone(), read_ignore(p))];
        while let Some((dir, ignores)) = stack.pop() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)?.flatten().map(|e| e.path()).collect();
            entries.sort();
            for path in entries {
                let rel = path.strip_prefix(p).unwrap_or(&path);
                let hidden = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
                if path.is_dir() {
                    let excluded = filter.exclude.iter().any(|x| matches_rel(x, x.as_str().contains('/'), rel));
                    if !hidden && !excluded && !ignored(&ignores, &path, true) {
                        let mut inner = ignores.clone();
                        inner.extend(read_ignore(&path));
                        stack.push((path, inner));
                    }
                    continue;
                }
                let included = filter.include.is_empty()
                    || filter.include.iter().any(|x| matches_rel(x, x.as_str().contains('/'), rel));
                let excluded = filter.exclude.iter().any(|x| matches_rel(x, x.as_str().contains('/'), rel));
                if wanted(&path) && included && !excluded && !ignored(&ignores, &path, false) {
                    out.push(path);
                }
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Reads the queries of one pack file (I/O errors only: what cannot be parsed is a [`Problem`]).
pub fn read(file: &Path) -> std::io::Result<PackFile> {
    let bytes = std::fs::read(file)?;
    let path = file.to_path_buf();
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let problem = Problem {
                code: "kqlite::pack::unreadable",
                message: format!("{} is not UTF-8 text (byte {offset} is not valid UTF-8)", file.display()),
                help: Some("save it as UTF-8, or exclude it with --exclude or a .kqliteignore line".into()),
                offset: 0,
            };
            return Ok(PackFile { path, text: Arc::from(""), queries: vec![], problems: vec![problem] });
        }
    };
    let (queries, problems) = match extension(file).as_str() {
        "md" | "markdown" => markdown(file, &text),
        "yaml" | "yml" => yaml(file, &text),
        "json" => json(file, &text),
        ext => {
            let take = KQL_EXTENSIONS.contains(&ext) || ext != "txt" || looks_like_kql(&text);
            let q = PackQuery {
                file: path.clone(),
                line: 1,
                text: text.clone(),
                origin: Origin::Shift(0),
                kind: QueryKind::Kql,
            };
            (if take { vec![q] } else { vec![] }, vec![])
        }
    };
    Ok(PackFile { path, text: Arc::from(text), queries, problems })
}

/// Reads the queries of one pack file, without its problems (benches, simple callers).
pub fn queries(file: &Path) -> std::io::Result<Vec<PackQuery>> {
    Ok(read(file)?.queries)
}

/// A fenced block of a Markdown text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdBlock {
    /// 1-based line of the code's first line
    pub line: usize,
    /// byte offset of the code in the text
    pub start: usize,
    pub code: String,
    /// the fence was never closed (the code runs to the end of the text)
    pub unclosed: bool,
    /// 1-based line of the opening fence
    pub fence_line: usize,
}

/// The KQL blocks of a Markdown text (tagged `kql`/`kusto`, or untagged and KQL-looking).
pub fn markdown_code_blocks(md: &str) -> Vec<MdBlock> {
    let mut out = Vec::new();
    let mut lines = line_offsets(md).into_iter().enumerate();
    while let Some((i, (_, l))) = lines.next() {
        let t = l.trim_start();
        let fence = if t.starts_with("```") {
            "```"
        } else if t.starts_with("~~~") {
            "~~~"
        } else {
            continue;
        };
        let info = t.trim_start_matches(['`', '~']).trim().to_ascii_lowercase();
        let mut body = Vec::new();
        let mut start = None;
        let mut unclosed = true;
        for (_, (off, l2)) in lines.by_ref() {
            if l2.trim_start().starts_with(fence) {
                unclosed = false;
                break;
            }
            start.get_or_insert(off);
            body.push(l2);
        }
        let code = body.join("\n");
        let tag = info.split([' ', '{', ',']).next().unwrap_or("");
        let is_kql = match tag {
            "kql" | "kusto" => true,
            "" => looks_like_kql(&code),
            _ => false,
        };
        if is_kql && (unclosed || !code.trim().is_empty()) {
            out.push(MdBlock { line: i + 2, start: start.unwrap_or(md.len()), code, unclosed, fence_line: i + 1 });
        }
    }
    out
}

/// The KQL blocks of a Markdown text: (first line of the code, code). Closed blocks only.
pub fn markdown_blocks(md: &str) -> Vec<(usize, String)> {
    markdown_code_blocks(md).into_iter().filter(|b| !b.unclosed).map(|b| (b.line, b.code)).collect()
}

/// Each line with its byte offset, without its line end (`\n` or `\r\n`).
pub fn line_offsets(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut off = 0;
    for l in text.split_inclusive('\n') {
        out.push((off, l.trim_end_matches('\n').trim_end_matches('\r')));
        off += l.len();
    }
    out
}

fn markdown(file: &Path, text: &str) -> (Vec<PackQuery>, Vec<Problem>) {
    let mut queries = Vec::new();
    let mut problems = Vec::new();
    let mut n = 0;
    let lines = line_offsets(text);
    for b in markdown_code_blocks(text) {
        let fence_offset = lines.get(b.fence_line.saturating_sub(1)).map(|(o, _)| *o).unwrap_or(0);
        if b.unclosed {
            problems.push(Problem {
                code: "kqlite::pack::unclosed_fence",
                message: format!("the code block opened on line {} is never closed", b.fence_line),
                help: Some("close it with a line holding the same fence (``` or ~~~)".into()),
                offset: fence_offset,
            });
            continue;
        }
        n += 1;
        let origin = Origin::Map(align(text, b.start, &b.code, false));
        queries.push(PackQuery {
            file: file.to_path_buf(),
            line: b.line,
            text: b.code,
            origin,
            kind: QueryKind::Markdown(n),
        });
    }
    (queries, problems)
}

/// Byte offset of a saphyr marker (1-based line, 0-based column in characters).
pub fn marker_offset(lines: &[(usize, &str)], line: usize, col: usize) -> usize {
    let Some((off, l)) = lines.get(line.saturating_sub(1)) else {
        return lines.last().map(|(o, l)| o + l.len()).unwrap_or(0);
    };
    off + l.char_indices().nth(col).map(|(i, _)| i).unwrap_or(l.len())
}

/// The YAML documents of a text, or the parse error as a problem.
pub fn yaml_documents<'a>(text: &'a str) -> Result<Vec<MarkedYaml<'a>>, Problem> {
    MarkedYaml::load_from_str(text).map_err(|e| {
        let m = e.marker();
        Problem {
            code: "kqlite::pack::invalid_yaml",
            message: format!("invalid YAML: {}", e.info()),
            help: None,
            offset: marker_offset(&line_offsets(text), m.line(), m.col()),
        }
    })
}

/// The value of a mapping's key.
pub fn yaml_get<'a, 'b>(node: &'b MarkedYaml<'a>, key: &str) -> Option<&'b MarkedYaml<'a>> {
    let YamlData::Mapping(m) = &node.data else { return None };
    m.iter().find(|(k, _)| matches!(&k.data, YamlData::Value(Scalar::String(s)) if s == key)).map(|(_, v)| v)
}

/// A scalar's text (strings as they are, numbers and booleans as written).
pub fn yaml_str<'b>(node: &'b MarkedYaml<'_>) -> Option<&'b str> {
    match &node.data {
        YamlData::Value(Scalar::String(s)) => Some(s.as_ref()),
        _ => None,
    }
}

fn yaml(file: &Path, text: &str) -> (Vec<PackQuery>, Vec<Problem>) {
    let docs = match yaml_documents(text) {
        Ok(d) => d,
        Err(p) => return (vec![], vec![p]),
    };
    let lines = line_offsets(text);
    let mut queries = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        let Some(q) = yaml_get(doc, "query") else { continue };
        let Some(value) = yaml_str(q) else { continue };
        let start = marker_offset(&lines, q.span.start.line(), q.span.start.col());
        // a double-quoted scalar starts at its quote and reads escapes
        let escapes = text.get(start..).is_some_and(|s| s.starts_with('"'));
        queries.push(PackQuery {
            file: file.to_path_buf(),
            line: q.span.start.line(),
            text: value.to_string(),
            origin: Origin::Map(align(text, start, value, escapes)),
            kind: QueryKind::Yaml(i),
        });
    }
    (queries, vec![])
}

fn json(file: &Path, text: &str) -> (Vec<PackQuery>, Vec<Problem>) {
    // data dumps are not packs: only an object that names a "query" is read
    if !text.trim_start().starts_with('{') || !text.contains("\"query\"") {
        return (vec![], vec![]);
    }
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
        let lines = line_offsets(text);
        let offset = marker_offset(&lines, e.line(), e.column().saturating_sub(1));
        let problem =
            Problem { code: "kqlite::pack::invalid_json", message: format!("invalid JSON: {e}"), help: None, offset };
        return (vec![], vec![problem]);
    }
    let mut queries = Vec::new();
    let mut from = 0;
    while let Some(found) = text.get(from..).and_then(|s| s.find("\"query\"")) {
        let key = from + found;
        from = key + 7;
        if key > 0 && text.as_bytes().get(key - 1) == Some(&b'\\') {
            continue;
        }
        let rest = text.get(from..).unwrap_or("");
        let after_ws = rest.trim_start();
        let Some(after_colon) = after_ws.strip_prefix(':') else { continue };
        let value = after_colon.trim_start();
        if !value.starts_with('"') {
            continue;
        }
        let lit_start = text.len() - value.len();
        let Some(lit_len) = string_literal_len(value) else { continue };
        let Ok(decoded) = serde_json::from_str::<String>(value.get(..lit_len).unwrap_or("")) else { continue };
        let origin = Origin::Map(align(text, lit_start + 1, &decoded, true));
        let line = crate::source::line_col(text, lit_start + 1).0;
        queries.push(PackQuery {
            file: file.to_path_buf(),
            line,
            text: decoded,
            origin,
            kind: QueryKind::Json(queries.len() + 1),
        });
        from = lit_start + lit_len;
    }
    (queries, vec![])
}

/// The length of the JSON string literal at the start of `s` (quotes included).
fn string_literal_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 1;
    while let Some(&c) = b.get(i) {
        match c {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// An untagged block is KQL when it has a pipe line or starts with a `let`.
fn looks_like_kql(code: &str) -> bool {
    let mut non_comment = code.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("//"));
    let first = non_comment.clone().next().unwrap_or("");
    first.starts_with("let ") || non_comment.any(|l| l.starts_with('|'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_kql_blocks_with_their_lines() {
        let md = "# Title\n\n```kql\nT | take 1\n```\n\ntext\n```powershell\nGet-Thing\n```\n```\nlet a = 1;\nT\n| where x == a\n```\n";
        let b = markdown_blocks(md);
        assert_eq!(b, vec![(4, "T | take 1".to_string()), (12, "let a = 1;\nT\n| where x == a".to_string())]);
    }

    fn pos(f: &PackFile, q: usize, needle: &str) -> (usize, usize) {
        let q = &f.queries[q];
        let at = q.text.find(needle).unwrap();
        crate::source::line_col(&f.text, q.origin.file_offset(at))
    }

    fn read_text(name: &str, text: &str) -> PackFile {
        let dir = std::env::temp_dir().join(format!("kqlite-packs-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        let f = read(&p).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        f
    }

    #[test]
    fn yaml_query_positions_are_the_files() {
        let y = "id: 6f4a1f4e-0000-4000-8000-000000000001\nname: Test\nquery: |\n  SigninLogs\n  | where ResultType == \"50126\"\n  | take 1\nkind: Scheduled\n";
        let f = read_text("rule.yaml", y);
        assert_eq!(f.queries.len(), 1);
        assert_eq!(f.queries[0].line, 4);
        assert_eq!(pos(&f, 0, "ResultType"), (5, 11));
        assert_eq!(f.queries[0].kind, QueryKind::Yaml(0));
    }

    #[test]
    fn arm_query_positions_are_inside_the_json_string() {
        let j = "{\n  \"resources\": [{\n    \"properties\": {\n      \"query\": \"SigninLogs\\n| where UserPrincipalName == \\\"a\\\"\\n| take 1\"\n    }\n  }]\n}\n";
        let f = read_text("export.json", j);
        assert_eq!(f.queries.len(), 1);
        assert_eq!(f.queries[0].text, "SigninLogs\n| where UserPrincipalName == \"a\"\n| take 1");
        let (line, col) = pos(&f, 0, "take");
        assert_eq!(line, 4);
        assert_eq!(&j.lines().nth(3).unwrap()[col - 1..col + 3], "take");
    }

    #[test]
    fn unreadable_parts_are_problems() {
        let f = read_text("bad.yaml", "a: [1, 2\nb: c\n");
        assert_eq!(f.problems[0].code, "kqlite::pack::invalid_yaml");
        let f = read_text("open.md", "# x\n```kql\nT | take 1\n");
        assert_eq!(f.problems[0].code, "kqlite::pack::unclosed_fence");
        assert_eq!(crate::source::line_col(&f.text, f.problems[0].offset).0, 2);
        let f = read_text("bin.kql", "T\u{0}\u{1}");
        assert!(f.problems.is_empty());
        let dir = std::env::temp_dir().join(format!("kqlite-packs-bin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("junk.kql"), [0x54u8, 0xff, 0xfe, 0x00]).unwrap();
        let f = read(&dir.join("junk.kql")).unwrap();
        assert_eq!(f.problems[0].code, "kqlite::pack::unreadable");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn data_json_and_non_rule_yaml_are_not_queries() {
        assert!(read_text("DeviceEvents.json", "[{\"a\": 1}]").queries.is_empty());
        assert!(read_text("ci.yml", "on: push\njobs: {}\n").queries.is_empty());
        assert!(read_text("notes.txt", "Some notes.\n").queries.is_empty());
        assert_eq!(read_text("q.txt", "T\n| take 1\n").queries.len(), 1);
    }

    #[test]
    fn filters_and_kqliteignore() {
        let dir = std::env::temp_dir().join(format!("kqlite-packs-filter-{}", std::process::id()));
        for d in ["a/drafts", "b", "failing"] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        for f in ["a/x.kql", "a/drafts/y.kql", "b/z.md", "b/r.yaml", "b/t.test.yaml", "failing/f.kql", "b/n.kql"] {
            std::fs::write(dir.join(f), "T").unwrap();
        }
        std::fs::write(dir.join(".kqliteignore"), "# not these\nfailing/\ndrafts\n").unwrap();
        let names = |fs: Vec<PathBuf>| -> Vec<String> {
            fs.iter().map(|p| p.strip_prefix(&dir).unwrap().display().to_string()).collect()
        };
        let all = pack_files(std::slice::from_ref(&dir), &Filter::default()).unwrap();
        assert_eq!(names(all), vec!["a/x.kql", "b/n.kql", "b/r.yaml", "b/z.md"]);
        let f = Filter::new(&["b/*".into()], &["*.md".into()]).unwrap();
        assert_eq!(names(pack_files(std::slice::from_ref(&dir), &f).unwrap()), vec!["b/n.kql", "b/r.yaml"]);
        assert_eq!(names(test_files(std::slice::from_ref(&dir), &Filter::default()).unwrap()), vec!["b/t.test.yaml"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
