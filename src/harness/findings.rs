//! Findings: what `check` and `test` report, in one shape for every output format. A finding has a code
//! (`kqlite::bind::unknown_column`, `kqlite::lint::join_without_kind`, `kqlite::sentinel::invalid_tactic`…),
//! a level, a message, an optional help line and labelled byte ranges in its file, with the line and column
//! of the first one. Query diagnostics are moved from the query's text to the file's through the query's
//! [`Origin`](super::origin::Origin), so every format points into the original file.
#![warn(clippy::indexing_slicing)]

use super::origin::Origin;
use crate::diagnostics::Error;
use miette::Diagnostic;
use std::path::PathBuf;
use std::sync::Arc;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Note,
    Warning,
    Error,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }

    /// `error`, `warning`, `note` (config files); `off` is None.
    pub fn parse(s: &str) -> Option<Option<Level>> {
        match s.to_ascii_lowercase().as_str() {
            "error" | "deny" => Some(Some(Level::Error)),
            "warning" | "warn" => Some(Some(Level::Warning)),
            "note" | "info" => Some(Some(Level::Note)),
            "off" | "allow" | "none" => Some(None),
            _ => None,
        }
    }
}

/// A labelled byte range of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub text: Option<String>,
    pub offset: usize,
    pub len: usize,
}

/// One finding in a file.
#[derive(Debug, Clone)]
pub struct Finding {
    pub code: String,
    pub level: Level,
    pub message: String,
    pub help: Option<String>,
    pub file: PathBuf,
    /// the file's text (reports quote it)
    pub text: Arc<str>,
    pub labels: Vec<Label>,
    /// 1-based position of the first label (or of the finding)
    pub line: usize,
    pub col: usize,
    pub end_line: usize,
    pub end_col: usize,
}

impl Finding {
    /// A finding at the start of the file; place it with [`Finding::at`] or [`Finding::with_labels`].
    pub fn new(
        code: impl Into<String>,
        level: Level,
        message: impl Into<String>,
        file: &std::path::Path,
        text: &Arc<str>,
    ) -> Finding {
        Finding {
            code: code.into(),
            level,
            message: message.into(),
            help: None,
            file: file.to_path_buf(),
            text: text.clone(),
            labels: Vec::new(),
            line: 1,
            col: 1,
            end_line: 1,
            end_col: 1,
        }
    }

    pub fn with_help(mut self, help: Option<String>) -> Finding {
        self.help = help;
        self
    }

    /// Placed at a byte offset of the file, without a label.
    pub fn at(mut self, offset: usize) -> Finding {
        (self.line, self.col) = crate::source::line_col(&self.text, offset);
        (self.end_line, self.end_col) = (self.line, self.col);
        self
    }

    /// Labelled byte ranges; the position is the first one's (else `fallback`).
    pub fn with_labels(mut self, labels: Vec<Label>, fallback: usize) -> Finding {
        let (start, end) = labels.first().map(|l| (l.offset, l.offset + l.len)).unwrap_or((fallback, fallback));
        (self.line, self.col) = crate::source::line_col(&self.text, start);
        (self.end_line, self.end_col) = crate::source::line_col(&self.text, end);
        self.labels = labels;
        self
    }

    /// One labelled range.
    pub fn labelled(self, offset: usize, len: usize, text: Option<String>) -> Finding {
        self.with_labels(vec![Label { text, offset, len }], offset)
    }

    /// A query diagnostic as a finding in the query's file: its labels moved through the origin; the query's
    /// start when it has none.
    pub fn from_error(e: &Error, file: &std::path::Path, text: &Arc<str>, origin: &Origin) -> Finding {
        let labels: Vec<Label> = e
            .labels()
            .map(|ls| {
                ls.map(|l| {
                    let (offset, len) = origin.file_span(l.offset(), l.len());
                    Label { text: l.label().map(str::to_string), offset, len }
                })
                .collect()
            })
            .unwrap_or_default();
        Finding::new(e.code(), Level::Error, e.to_string(), file, text)
            .with_help(e.help().map(|h| h.to_string()))
            .with_labels(labels, origin.file_offset(0))
    }

    /// The text of the finding's first line in the file, trimmed (baselines match on it).
    pub fn line_text(&self) -> &str {
        self.text.lines().nth(self.line.saturating_sub(1)).unwrap_or("").trim()
    }

    /// The short name of a lint or template code (`kqlite::lint::x` → `x`).
    pub fn short_code(&self) -> &str {
        self.code.rsplit("::").next().unwrap_or(&self.code)
    }
}

/// A finding as a miette diagnostic over its file, for the text format.
impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Finding {}

impl Diagnostic for Finding {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.level {
            Level::Error => miette::Severity::Error,
            Level::Warning => miette::Severity::Warning,
            Level::Note => miette::Severity::Advice,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.labels.iter().map(|l| miette::LabeledSpan::new(l.text.clone(), l.offset, l.len))))
    }
}

/// The finding rendered as miette draws it (with the file's name and lines).
pub fn render(f: &Finding) -> String {
    let named = miette::NamedSource::new(f.file.display().to_string(), f.text.to_string());
    let report = miette::Report::new(f.clone()).with_source_code(named);
    format!("{report:?}")
}
