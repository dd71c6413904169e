//! Load errors: they name the data file, and the line and column where it is malformed.

use miette::Diagnostic;
use thiserror::Error;

#[derive(Debug, Clone, Error, Diagnostic)]
pub enum LoadError {
    /// A file that cannot be read at all.
    #[error("cannot read {path}: {message}")]
    #[diagnostic(code(kqlite::load::io))]
    Io { path: String, message: String },
    /// Malformed JSON: `{"a": 1,` cut short.
    #[error("{path}:{line}:{col}: invalid JSON: {message}")]
    #[diagnostic(
        code(kqlite::load::json),
        help("the file must be a JSON array of objects, NDJSON, or a Log Analytics / Defender API response")
    )]
    Json { path: String, line: usize, col: usize, message: String },
    /// Valid JSON of an unknown shape, or a value that does not fit its column.
    #[error("{path}:{line}:{col}: {message}")]
    #[diagnostic(code(kqlite::load::format))]
    Format { path: String, line: usize, col: usize, message: String },
    /// A path given with --data that does not exist.
    #[error("no such file or folder: {path}")]
    #[diagnostic(code(kqlite::load::not_found))]
    NotFound { path: String },
}
