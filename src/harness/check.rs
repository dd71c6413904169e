//! `kqlite check` over a pack: every query of every file is parsed and bound against the catalog (no data is
//! read), linted ([`super::lints`]), and — for Sentinel YAML templates — validated ([`super::sentinel`]); the
//! findings are placed in the original files and filtered by suppression comments, the pack's configuration and
//! a baseline.
//!
//! Suppression: `// kqlite-disable-next-line CODE[, CODE]` silences the codes on the next line (no code: all);
//! `kqlite-disable CODE[, CODE]` in a query silences them for that query, and outside any query (a YAML `#`
//! comment, a Markdown `<!-- -->` comment) for the whole file. Codes may be written in full
//! (`kqlite::lint::join_without_kind`) or short (`join_without_kind`). Parse and bind errors cannot be silenced.
#![warn(clippy::indexing_slicing)]

use super::config::{short, Config};
use super::findings::{Finding, Level};
use super::packs::{self, PackFile, PackQuery, QueryKind};
use super::sentinel;
use crate::diagnostics::{BindError, Error};
use crate::session::Session;
use crate::source::Source;
use crate::types::KqlSchema;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// What `check` found for one query.
#[derive(Debug, Clone)]
pub struct QueryReport {
    pub query: PackQuery,
    /// the result schema, when the query bound (empty for a block of `let`s only)
    pub schema: Option<KqlSchema>,
    /// the schemas of the result tables before the last, for a query of several tabular statements
    pub earlier: Vec<KqlSchema>,
    pub findings: Vec<Finding>,
}

impl QueryReport {
    /// No error-level finding.
    pub fn ok(&self) -> bool {
        !self.findings.iter().any(|f| f.level == Level::Error)
    }
}

/// What `check` found in one file.
#[derive(Debug, Clone)]
pub struct FileReport {
    pub path: PathBuf,
    pub text: Arc<str>,
    pub queries: Vec<QueryReport>,
    /// findings not about one query: the file could not be read, a template id is used twice
    pub findings: Vec<Finding>,
}

impl FileReport {
    pub fn all_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().chain(self.queries.iter().flat_map(|q| q.findings.iter()))
    }
}

/// The state of a check run across files: template ids seen (unique across the pack).
#[derive(Debug, Default)]
pub struct Checker {
    ids: HashMap<String, (PathBuf, usize)>,
}

/// The query as a source named after its file (diagnostics are moved to the file by [`Finding::from_error`]).
pub fn source_of(q: &PackQuery) -> Source {
    Source::new(q.file.display().to_string(), q.text.clone())
}

/// Parses and binds one query (schema only: nothing is executed). A block of `let` declarations only (packs
/// use them as parameter blocks) binds to an empty schema.
pub fn bind(q: &PackQuery, session: &Session) -> Result<KqlSchema, Error> {
    bind_all(q, session).map(|(last, _)| last)
}

/// [`bind`], with the schemas of the result tables before the last (several tabular statements).
pub fn bind_all(q: &PackQuery, session: &Session) -> Result<(KqlSchema, Vec<KqlSchema>), Error> {
    match session.check(&source_of(q)) {
        Ok(b) => Ok((b.schema, b.earlier.into_iter().map(|(_, s)| s).collect())),
        Err(Error::Bind(BindError::NoQuery { .. })) => Ok((KqlSchema::default(), vec![])),
        Err(e) => Err(e),
    }
}

impl Checker {
    pub fn new() -> Checker {
        Checker::default()
    }

    /// Checks every query of a file read by [`packs::read`].
    pub fn check_file(&mut self, pf: PackFile, session: &Session, config: &Config) -> FileReport {
        let text = pf.text.clone();
        let mut file_findings: Vec<Finding> = pf
            .problems
            .iter()
            .map(|p| {
                Finding::new(p.code, Level::Error, &p.message, &pf.path, &text).with_help(p.help.clone()).at(p.offset)
            })
            .collect();
        let docs = if pf.queries.iter().any(|q| matches!(q.kind, QueryKind::Yaml(_))) {
            packs::yaml_documents(&text).unwrap_or_default()
        } else {
            Vec::new()
        };
        let lines: Vec<(usize, &str)> = packs::line_offsets(&text);
        let detection_file = config.is_detection(&pf.path);
        let mut queries = Vec::new();
        for q in pf.queries {
            let doc = match q.kind {
                QueryKind::Yaml(i) => docs.get(i),
                _ => None,
            };
            // only documents that read as Sentinel templates are validated (not any YAML with a `query`)
            let kind = doc.and_then(sentinel::template_kind).filter(|k| *k != sentinel::TemplateKind::Other);
            let outcome = bind_all(&q, session);
            let mut findings = Vec::new();
            let (schema, earlier) = match outcome {
                Ok((s, earlier)) => (Some(s), earlier),
                Err(e) => {
                    findings.push(Finding::from_error(&e, &q.file, &text, &q.origin));
                    (None, vec![])
                }
            };
            let parsed =
                !findings.iter().any(|f| f.code.starts_with("kqlite::parse") || f.code.starts_with("kqlite::lex"));
            if parsed {
                let windowed = matches!(kind, Some(sentinel::TemplateKind::Scheduled | sentinel::TemplateKind::Nrt));
                let detection = detection_file || q.text.contains("kqlite: defender-detection");
                findings.extend(self::lint(&q, session, &text, config, schema.as_ref(), windowed, detection));
            }
            if let (Some(doc), Some(kind)) = (doc, kind) {
                let cols: Option<Vec<String>> = schema.as_ref().map(|s| s.names().map(str::to_string).collect());
                for r in sentinel::validate(doc, kind, cols.as_deref()) {
                    let offset = packs::marker_offset(&lines, r.line, r.col.saturating_sub(1));
                    let f = Finding::new(r.code, Level::Error, r.message, &q.file, &text).with_help(r.help);
                    findings.push(f.labelled(offset, token_len(&text, offset), None));
                }
                if let Some((id, line, col)) = sentinel::template_id(doc) {
                    let offset = packs::marker_offset(&lines, line, col.saturating_sub(1));
                    match self.ids.get(&id.to_ascii_lowercase()) {
                        Some((first, first_line)) => {
                            let f = Finding::new(
                                "kqlite::sentinel::duplicate_id",
                                Level::Error,
                                format!("id {id} is already used by {}:{first_line}", first.display()),
                                &q.file,
                                &text,
                            )
                            .with_help(Some("every template needs its own id: generate a new GUID".into()));
                            findings.push(f.labelled(offset, id.len(), None));
                        }
                        None => {
                            self.ids.insert(id.to_ascii_lowercase(), (q.file.clone(), line));
                        }
                    }
                }
            }
            queries.push(QueryReport { query: q, schema, earlier, findings });
        }
        suppress(&text, &mut queries, &mut file_findings);
        FileReport { path: pf.path, text: text.clone(), queries, findings: file_findings }
    }
}

/// The length of the word or scalar at `offset` (to underline a YAML value).
fn token_len(text: &str, offset: usize) -> usize {
    let rest = text.get(offset..).unwrap_or("");
    let line = rest.lines().next().unwrap_or("");
    line.trim_end().len()
}

fn lint(
    q: &PackQuery,
    session: &Session,
    text: &Arc<str>,
    config: &Config,
    schema: Option<&KqlSchema>,
    windowed: bool,
    detection: bool,
) -> Vec<Finding> {
    let Ok(tokens) = crate::lexer::lex(&source_of(q)) else { return Vec::new() };
    let has_query = schema.is_none_or(|s| !s.is_empty());
    let cx = super::lints::LintContext {
        catalog: session.catalog(),
        env: session.options().env,
        windowed,
        detection,
        schema,
    };
    super::lints::lint(&q.text, &tokens, has_query, &cx)
        .into_iter()
        .filter_map(|h| {
            let level = config.lint_level(h.lint)?;
            let (offset, len) = q.origin.file_span(h.offset, h.len);
            let f =
                Finding::new(format!("kqlite::lint::{}", h.lint), level, h.message, &q.file, text).with_help(h.help);
            Some(f.labelled(offset, len, None))
        })
        .collect()
}

/// The codes after a `kqlite-disable…` marker on a line (empty: every code).
fn codes_after<'a>(line: &'a str, marker: &str) -> Option<Vec<&'a str>> {
    let at = line.find(marker)?;
    let rest = line.get(at + marker.len()..)?;
    // `kqlite-disable` must not match `kqlite-disable-next-line`
    if marker == "kqlite-disable" && rest.starts_with('-') {
        return None;
    }
    let rest = rest.split("-->").next().unwrap_or(rest);
    Some(rest.split([',', ' ', '\t']).map(str::trim).filter(|c| !c.is_empty()).collect())
}

fn silenced(codes: &[&str], f: &Finding) -> bool {
    let silenceable = f.code.starts_with("kqlite::lint::") || f.code.starts_with("kqlite::sentinel::");
    silenceable && (codes.is_empty() || codes.iter().any(|c| *c == f.code || short(c) == f.short_code()))
}

/// Drops the findings that suppression comments silence.
fn suppress(text: &str, queries: &mut [QueryReport], file_findings: &mut Vec<Finding>) {
    if !text.contains("kqlite-disable") {
        return;
    }
    let lines: Vec<&str> = text.lines().collect();
    // file-wide markers: lines outside every query
    let inside = |line_no: usize| {
        queries.iter().any(|q| {
            let start = crate::source::line_col(text, q.query.origin.file_offset(0)).0;
            let end = crate::source::line_col(text, q.query.origin.file_offset(q.query.text.len())).0;
            (start..=end).contains(&line_no)
        })
    };
    let file_codes: Vec<Vec<&str>> = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| !inside(i + 1))
        .filter_map(|(_, l)| codes_after(l, "kqlite-disable"))
        .collect();
    let keep = |f: &Finding, query_codes: &[Vec<&str>]| {
        let prev = f.line.checked_sub(2).and_then(|i| lines.get(i)).copied().unwrap_or("");
        let next_line = codes_after(prev, "kqlite-disable-next-line").is_some_and(|c| silenced(&c, f));
        !(next_line || file_codes.iter().chain(query_codes).any(|c| silenced(c, f)))
    };
    for q in queries.iter_mut() {
        let query_codes: Vec<Vec<&str>> =
            q.query.text.lines().filter_map(|l| codes_after(l, "kqlite-disable")).collect();
        q.findings.retain(|f| keep(f, &query_codes));
    }
    file_findings.retain(|f| keep(f, &[]));
}

/// Applies `--deny warnings`: warnings become errors.
pub fn deny_warnings(reports: &mut [FileReport]) {
    for r in reports {
        for f in r.findings.iter_mut().chain(r.queries.iter_mut().flat_map(|q| q.findings.iter_mut())) {
            if f.level == Level::Warning {
                f.level = Level::Error;
            }
        }
    }
}
