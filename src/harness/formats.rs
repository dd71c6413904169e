//! Output formats for `check` and `test`: SARIF 2.1.0 (GitHub code scanning), JUnit XML, GitHub workflow
//! annotations. The text and JSON-lines formats are the front end's ([`crate::cli`]); these three are shared by
//! both commands and take plain findings and test cases.
#![warn(clippy::indexing_slicing)]

use super::findings::{Finding, Level};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::Path;

/// A file path as a SARIF artifact URI: relative paths with `/` (resolved against `%SRCROOT%`, the folder
/// kqlite ran in), absolute paths under it made relative, others as `file://` URIs.
fn artifact(p: &Path) -> Value {
    let cwd = std::env::current_dir().ok();
    let rel = if p.is_absolute() { cwd.as_ref().and_then(|c| p.strip_prefix(c).ok()) } else { Some(p) };
    match rel {
        Some(r) => {
            let s = r.display().to_string().replace('\\', "/");
            let s = s.trim_start_matches("./");
            json!({"uri": percent_encode(s), "uriBaseId": "%SRCROOT%"})
        }
        None => json!({"uri": format!("file://{}", percent_encode(&p.display().to_string().replace('\\', "/")))}),
    }
}

/// Percent-encodes what a URI path may not hold (space, %, #, ?, non-ASCII...).
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
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
    if let Some(r) = code.strip_prefix("kqlite::lint::").and_then(super::lints::rule) {
        return json!({
            "id": code,
            "name": r.name,
            "shortDescription": {"text": r.title},
            "fullDescription": {"text": r.rationale},
            "help": {"text": r.rationale},
            "defaultConfiguration": {"level": "warning"},
            "properties": {"tags": ["kql", "lint"]},
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
    json!({
        "id": code,
        "name": short,
        "shortDescription": {"text": title},
        "fullDescription": {"text": help},
        "help": {"text": help},
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["kql", area]},
    })
}

fn sarif_level(l: Level) -> &'static str {
    match l {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Note => "note",
    }
}

/// A SARIF 2.1.0 log of findings (one run, tool kqlite, one rule per code used).
pub fn sarif(findings: &[&Finding]) -> Value {
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
                        "artifactLocation": artifact(&f.file),
                        "region": {
                            "startLine": f.line.max(1),
                            "startColumn": f.col.max(1),
                            "endLine": f.end_line.max(f.line).max(1),
                            "endColumn": end_col.max(1),
                        },
                    },
                }],
            })
        })
        .collect();
    let root = std::env::current_dir()
        .map(|d| {
            format!("file://{}/", percent_encode(&d.display().to_string().replace('\\', "/")).trim_end_matches('/'))
        })
        .unwrap_or_else(|_| "file:///".into());
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
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root}},
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
    let time: f64 = suites.iter().flat_map(|s| s.cases.iter().map(|c| c.seconds)).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"{time:.3}\">",
        xml(title)
    );
    for s in suites {
        let f = s.cases.iter().filter(|c| c.failure.is_some()).count();
        let t: f64 = s.cases.iter().map(|c| c.seconds).sum();
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
        let s = sarif(&[&f]);
        let run = &s["runs"][0];
        assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "kqlite::lint::join_without_kind");
        assert_eq!(run["tool"]["driver"]["rules"][0]["defaultConfiguration"]["level"], "warning");
        let r = &run["results"][0];
        assert_eq!(r["level"], "warning");
        assert_eq!(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "p/a%20b.kql");
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
