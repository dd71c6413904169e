//! Output formats for `check` and `test`: SARIF 2.1.0 (GitHub code scanning), JUnit XML, GitHub workflow
//! annotations. The text and JSON-lines formats are the front end's ([`crate::cli`]); these three are shared by
//! both commands and take plain findings and test cases.
#![warn(clippy::indexing_slicing)]

use super::findings::{Finding, Level};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::Path;

/// The folder SARIF paths are relative to (`%SRCROOT%`): `$GITHUB_WORKSPACE` in a workflow, else the git
/// work tree holding the current folder (code scanning resolves paths from the repository root), else the
/// current folder.
fn source_root() -> Option<std::path::PathBuf> {
    if let Some(w) = std::env::var_os("GITHUB_WORKSPACE").filter(|w| !w.is_empty()) {
        return std::fs::canonicalize(w).ok();
    }
    let cwd = std::env::current_dir().ok()?;
    let cwd = std::fs::canonicalize(&cwd).unwrap_or(cwd);
    let git = cwd.ancestors().find(|d| d.join(".git").exists()).map(Path::to_path_buf);
    Some(git.unwrap_or(cwd))
}

/// A file path as a SARIF artifact URI: relative to the source root with `/`, or a `file://` URI outside it.
fn artifact(p: &Path, root: Option<&Path>) -> Value {
    let abs = std::fs::canonicalize(p).ok();
    let rel = match (&abs, root) {
        (Some(a), Some(r)) => a.strip_prefix(r).ok(),
        _ => None,
    };
    match rel {
        Some(r) => {
            json!({"uri": percent_encode(&r.display().to_string().replace('\\', "/")), "uriBaseId": "%SRCROOT%"})
        }
        None => {
            let shown = abs.unwrap_or_else(|| p.to_path_buf()).display().to_string().replace('\\', "/");
            let slash = if shown.starts_with('/') { "" } else { "/" };
            json!({"uri": format!("file://{slash}{}", percent_encode(&shown))})
        }
    }
}

/// A stable fingerprint of a finding (file, code, message, the text of its line): code scanning matches
/// results across runs with it even when lines move.
fn fingerprint(f: &Finding) -> String {
    // FNV-1a, 64 bits: stable across builds and platforms, unlike the std hasher
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in
        [f.file.display().to_string().replace('\\', "/"), f.code.clone(), f.message.clone(), f.line_text().to_string()]
    {
        for b in part.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// Percent-encodes what a URI path may not hold (space, %, #, ?, non-ASCII...).
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The rule description of a finding code: a lint's documentation, else words from the code itself.
fn rule_of(code: &str) -> Value {
    let short = code.rsplit("::").next().unwrap_or(code);
    // unique across areas (bind/unknown_column, sentinel/unknown_column)
    let name = code.trim_start_matches("kqlite::").replace("::", "/");
    if let Some(r) = code.strip_prefix("kqlite::lint::").and_then(super::lints::rule) {
        let silence = format!(
            "Silence it on one line with `// kqlite-disable-next-line {0}`, for a query with `// kqlite-disable {0}`, \
             or for a pack with `[lints] disable = [\"{0}\"]` in kqlite.toml.",
            r.name
        );
        return json!({
            "id": code,
            "name": name,
            "shortDescription": {"text": r.title},
            "fullDescription": {"text": r.rationale},
            "help": {"text": format!("{} {silence}", r.rationale), "markdown": format!("**{}**\n\n{}\n\n{silence}", r.title, r.rationale)},
            "defaultConfiguration": {"level": "warning"},
            "properties": {"tags": ["kql", "lint"], "precision": "medium", "problem.severity": "warning"},
        });
    }
    let area = code.split("::").nth(1).unwrap_or("kqlite");
    let words = short.replace('_', " ");
    let (title, help) = match area {
        "sentinel" => (
            format!("Sentinel template: {words}"),
            "The template would fail the Azure-Sentinel repository's validation or deployment.",
        ),
        "pack" => (format!("Pack file: {words}"), "The file could not be read as a query pack file."),
        "test" => (format!("Test: {words}"), "A kqlite test's query did not return what the test expects."),
        _ => (
            format!("KQL {area} error: {words}"),
            "Kusto would reject this query: it does not parse or bind against the schema.",
        ),
    };
    let _ = short;
    json!({
        "id": code,
        "name": name,
        "shortDescription": {"text": title},
        "fullDescription": {"text": help},
        "help": {"text": format!("{help} The message says what is wrong and how to fix it."), "markdown": format!("**{title}**\n\n{help}")},
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["kql", area], "precision": "very-high", "problem.severity": "error"},
    })
}

fn sarif_level(l: Level) -> &'static str {
    match l {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Note => "note",
    }
}

/// A SARIF 2.1.0 log of findings (one run, tool kqlite, one rule per code used). `category` tells code
/// scanning which analysis the run is (`check`, `test`), so uploads of both for one commit do not replace
/// each other.
pub fn sarif(findings: &[&Finding], category: &str) -> Value {
    let root = source_root();
    let mut codes: Vec<&str> = findings.iter().map(|f| f.code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut message = f.message.clone();
            if let Some(h) = &f.help {
                message.push_str(&format!("\nhelp: {h}"));
            }
            let end_col = if f.end_line == f.line { f.end_col.max(f.col) } else { f.end_col };
            json!({
                "ruleId": f.code,
                "ruleIndex": codes.iter().position(|c| *c == f.code).unwrap_or(0),
                "level": sarif_level(f.level),
                "message": {"text": message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": artifact(&f.file, root.as_deref()),
                        "region": {
                            "startLine": f.line.max(1),
                            "startColumn": f.col.max(1),
                            "endLine": f.end_line.max(f.line).max(1),
                            "endColumn": end_col.max(1),
                        },
                    },
                }],
                "partialFingerprints": {"kqliteFinding/v1": fingerprint(f)},
            })
        })
        .collect();
    let root_uri = root
        .as_ref()
        .map(|d| {
            let d = d.display().to_string().replace('\\', "/");
            let slash = if d.starts_with('/') { "" } else { "/" };
            format!("file://{slash}{}/", percent_encode(d.trim_end_matches('/')))
        })
        .unwrap_or_else(|| "file:///".into());
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "kqlite",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://learn.microsoft.com/kusto/query/",
                "rules": codes.iter().map(|c| rule_of(c)).collect::<Vec<_>>(),
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root_uri}},
            "automationDetails": {"id": format!("kqlite/{category}/")},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

/// Escapes workflow-command data (`%`, CR, LF) and, for properties, `:` and `,` too.
fn gh_escape(s: &str, property: bool) -> String {
    let mut out = s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    if property {
        out = out.replace(':', "%3A").replace(',', "%2C");
    }
    out
}

/// GitHub workflow annotations, one line per finding (`::error file=…,line=…::message`).
pub fn github(findings: &[&Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let kind = match f.level {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "notice",
        };
        let file = f.file.display().to_string().replace('\\', "/");
        let file = file.trim_start_matches("./");
        let mut message = f.message.clone();
        if let Some(h) = &f.help {
            message.push_str(&format!("\nhelp: {h}"));
        }
        let _ = writeln!(
            out,
            "::{kind} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            gh_escape(file, true),
            f.line,
            f.col,
            f.end_line,
            f.end_col,
            gh_escape(&f.code, true),
            gh_escape(&message, false)
        );
    }
    out
}

/// One JUnit test case.
#[derive(Debug, Clone)]
pub struct JCase {
    pub name: String,
    pub classname: String,
    /// (type, message, details)
    pub failure: Option<(String, String, String)>,
    /// printed under `<system-out>` (warnings)
    pub out: String,
    pub seconds: f64,
}

/// One JUnit suite (a file).
#[derive(Debug, Clone)]
pub struct JSuite {
    pub name: String,
    pub cases: Vec<JCase>,
}

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 cannot hold most control characters, even escaped
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// A JUnit XML report (the Ant/Jenkins dialect GitHub, GitLab and Azure DevOps read).
pub fn junit(title: &str, suites: &[JSuite]) -> String {
    let tests: usize = suites.iter().map(|s| s.cases.len()).sum();
    let failures: usize = suites.iter().map(|s| s.cases.iter().filter(|c| c.failure.is_some()).count()).sum();
    // (a sum of no f64 is -0.0, which JUnit schemas refuse: fold from +0.0)
    let time = suites.iter().flat_map(|s| s.cases.iter().map(|c| c.seconds)).fold(0.0, |a, b| a + b);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"{time:.3}\">",
        xml(title)
    );
    for s in suites.iter().filter(|s| !s.cases.is_empty()) {
        let f = s.cases.iter().filter(|c| c.failure.is_some()).count();
        let t = s.cases.iter().map(|c| c.seconds).fold(0.0, |a, b| a + b);
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\" errors=\"0\" skipped=\"0\" time=\"{t:.3}\">",
            xml(&s.name),
            s.cases.len()
        );
        for c in &s.cases {
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\"",
                xml(&c.name),
                xml(&c.classname),
                c.seconds
            );
            if c.failure.is_none() && c.out.is_empty() {
                out.push_str("/>\n");
                continue;
            }
            out.push_str(">\n");
            if let Some((ty, msg, body)) = &c.failure {
                let _ = writeln!(
                    out,
                    "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                    xml(ty),
                    xml(msg),
                    xml(body)
                );
            }
            if !c.out.is_empty() {
                let _ = writeln!(out, "      <system-out>{}</system-out>", xml(&c.out));
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn finding() -> Finding {
        let text: Arc<str> = Arc::from("T\n| where x == 1\n");
        Finding::new(
            "kqlite::lint::join_without_kind",
            Level::Warning,
            "a, b: 100%\nsecond",
            Path::new("./p/a b.kql"),
            &text,
        )
        .with_help(Some("h".into()))
        .labelled(4, 5, None)
    }

    #[test]
    fn github_annotations_escape_data_and_properties() {
        let f = finding();
        assert_eq!(
            github(&[&f]),
            "::warning file=p/a b.kql,line=2,col=3,endLine=2,endColumn=8,title=kqlite%3A%3Alint%3A%3Ajoin_without_kind::a, b: 100%25%0Asecond%0Ahelp: h\n"
        );
    }

    #[test]
    fn sarif_has_rules_results_and_regions() {
        let f = finding();
        let s = sarif(&[&f], "check");
        let run = &s["runs"][0];
        assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "kqlite::lint::join_without_kind");
        assert_eq!(run["tool"]["driver"]["rules"][0]["defaultConfiguration"]["level"], "warning");
        let r = &run["results"][0];
        assert_eq!(r["level"], "warning");
        // a file that does not exist cannot be placed under the root: a file:// URI
        assert!(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .starts_with("file:///"));
        assert_eq!(r["partialFingerprints"]["kqliteFinding/v1"].as_str().unwrap().len(), 16);
        assert_eq!(run["automationDetails"]["id"], "kqlite/check/");
        // files under the repository: relative to its root, percent-encoded
        let text: Arc<str> = Arc::from("x");
        let here = Finding::new("kqlite::pack::x", Level::Error, "m", Path::new("examples/pack/README.md"), &text);
        let s = sarif(&[&here], "check");
        let loc = &s["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(
            (loc["uri"].as_str(), loc["uriBaseId"].as_str()),
            (Some("examples/pack/README.md"), Some("%SRCROOT%"))
        );
        assert_eq!(percent_encode("a b/c:d#é"), "a%20b/c%3Ad%23%C3%A9");
        assert_eq!(r["locations"][0]["physicalLocation"]["region"]["startLine"], 2);
        assert_eq!(r["locations"][0]["physicalLocation"]["region"]["endColumn"], 8);
    }

    #[test]
    fn junit_escapes_and_counts() {
        let s = JSuite {
            name: "a<b>.kql".into(),
            cases: vec![
                JCase { name: "q1".into(), classname: "a".into(), failure: None, out: String::new(), seconds: 0.5 },
                JCase {
                    name: "q2".into(),
                    classname: "a".into(),
                    failure: Some(("kqlite::x".into(), "bad \"q\"".into(), "a & b\u{1}".into())),
                    out: "warn".into(),
                    seconds: 0.25,
                },
            ],
        };
        let x = junit("kqlite check", &[s]);
        assert!(
            x.contains("<testsuites name=\"kqlite check\" tests=\"2\" failures=\"1\" errors=\"0\" time=\"0.750\">"),
            "{x}"
        );
        assert!(x.contains("<testsuite name=\"a&lt;b&gt;.kql\""), "{x}");
        assert!(x.contains("message=\"bad &quot;q&quot;\">a &amp; b\\u{1}</failure>"), "{x}");
        assert!(x.contains("<system-out>warn</system-out>"));
    }
}
