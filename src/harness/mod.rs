//! Front end for query packs: `kqlite check` parses and binds every query of a pack (no data read) and
//! reports each with its result schema or its diagnostics, as text or JSON lines. `.kqlt` conformance files
//! are read by [`kqlt`] and their results checked by [`compare`] (shared by `tests/conformance.rs`).

pub mod compare;
pub mod kqlt;
pub mod packs;

use crate::diagnostics::Error;
use crate::source::Source;
use miette::Diagnostic;
use serde_json::json;

/// What `check` found for one query.
pub struct CheckResult {
    pub query: packs::PackQuery,
    pub outcome: Result<crate::types::KqlSchema, Error>,
}

/// The query as a source whose line numbers are the pack file's (blank lines stand for what precedes it).
pub fn source_of(q: &packs::PackQuery) -> Source {
    Source::new(q.file.display().to_string(), format!("{}{}", "\n".repeat(q.line.saturating_sub(1)), q.text))
}

/// Parses and binds one query in a session (schema-only: nothing is executed).
pub fn check_query(q: packs::PackQuery, session: &crate::Session) -> CheckResult {
    let src = source_of(&q);
    let outcome = match session.check(&src) {
        Ok(b) => Ok(b.schema),
        // a block of `let` declarations only (packs use them as parameter blocks) binds, it just returns no rows
        Err(Error::Bind(crate::diagnostics::BindError::NoQuery { .. })) => Ok(crate::types::KqlSchema::default()),
        Err(e) => Err(e),
    };
    CheckResult { query: q, outcome }
}

/// The (line, column) in the pack file of a diagnostic's first label.
pub fn error_position(r: &CheckResult, e: &Error) -> (usize, usize) {
    let offset = e.labels().and_then(|mut l| l.next()).map(|l| l.offset());
    match offset {
        Some(o) => crate::source::line_col(&source_of(&r.query).text, o),
        None => (r.query.line, 1),
    }
}

/// One JSON line: `{"file","line","ok","errors":[{"code","message","line","col"}],"columns":[{"name","type"}]}`.
pub fn json_line(r: &CheckResult) -> serde_json::Value {
    let file = r.query.file.display().to_string();
    match &r.outcome {
        Ok(schema) => json!({
            "file": file, "line": r.query.line, "ok": true, "errors": [],
            "columns": schema.columns.iter().map(|c| json!({"name": c.name, "type": c.ty.name()})).collect::<Vec<_>>(),
        }),
        Err(e) => {
            let (line, col) = error_position(r, e);
            let mut message = e.to_string();
            if let Some(h) = e.help() {
                message.push_str(&format!(" ({h})"));
            }
            json!({
                "file": file, "line": r.query.line, "ok": false,
                "errors": [{"code": e.code(), "message": message, "line": line, "col": col}],
                "columns": [],
            })
        }
    }
}
