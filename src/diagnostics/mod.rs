//! Report stage: one error enum per stage (codes `kqlite::<stage>::<what>`, wording, labels), the top-level
//! [`Error`], and [`Error::exit_code`], the only place exit codes are chosen.

mod bind;
mod load;

pub use bind::BindError;
pub use load::LoadError;

use miette::{Diagnostic, SourceSpan};
use thiserror::Error as ThisError;

#[derive(Debug, ThisError, Diagnostic)]
pub enum LexError {
    /// `T | where a == "abc`
    #[error("unterminated string literal")]
    #[diagnostic(code(kqlite::lex::unterminated_string), help("close the string with the same quote it opens with"))]
    UnterminatedString {
        #[label("this string has no closing quote")]
        span: SourceSpan,
    },
    /// `T | where a == §`
    #[error("unexpected character '{ch}'")]
    #[diagnostic(code(kqlite::lex::unexpected_char))]
    UnexpectedChar {
        ch: char,
        #[label("not part of any KQL token")]
        span: SourceSpan,
    },
}

#[derive(Debug, ThisError, Diagnostic)]
pub enum ParseError {
    /// `T | where`
    #[error("syntax error: expected {expected}, found {found}")]
    #[diagnostic(code(kqlite::parse::syntax))]
    Syntax {
        found: String,
        expected: String,
        #[label("expected {expected}")]
        span: SourceSpan,
    },
    /// `T | make-series ...`: a Kusto operator kqlite does not implement yet
    #[error("the operator '{name}' is not supported yet")]
    #[diagnostic(
        code(kqlite::parse::unsupported_operator),
        help("kqlite implements a growing subset of KQL; see README.md")
    )]
    UnsupportedOperator {
        name: String,
        #[label("not supported yet")]
        span: SourceSpan,
    },
    /// `datetime(1600-01-01)`: a valid Kusto datetime that kqlite cannot hold (it keeps Unix nanoseconds in an i64)
    #[error("{literal} is outside the datetimes kqlite holds")]
    #[diagnostic(
        code(kqlite::parse::datetime_out_of_range),
        help("kqlite keeps a datetime as nanoseconds since 1970 in 64 bits, from {range}; Kusto's range, 0001 to 9999, is wider")
    )]
    DatetimeOutOfRange {
        literal: String,
        range: &'static str,
        #[label("out of range")]
        span: SourceSpan,
    },
    /// `((((((...))))))` nested past the limit
    #[error("the query is nested too deeply (more than {max} levels, or a chain of over 1,000 operands)")]
    #[diagnostic(
        code(kqlite::parse::too_deep),
        help("split the query with let statements; for long lists of values use in (...) or has_any (...)")
    )]
    TooDeep {
        max: u32,
        #[label("too deep here")]
        span: SourceSpan,
    },
}

#[derive(Debug, ThisError, Diagnostic)]
pub enum ExecError {
    /// A failure while rows are computed (DataFusion's execution error, an invalid regex in the data...).
    #[error("query failed while running: {message}")]
    #[diagnostic(code(kqlite::exec::runtime))]
    Runtime { message: String },
    /// An internal inconsistency: a bug in kqlite, never the user's mistake.
    #[error("internal error: {message}")]
    #[diagnostic(code(kqlite::exec::internal), help("this is a bug in kqlite; please report it with the query"))]
    Internal { message: String },
}

#[derive(Debug, ThisError, Diagnostic)]
pub enum CliError {
    #[error("{message}")]
    #[diagnostic(code(kqlite::cli::usage))]
    Usage { message: String },
    #[error("cannot read {path}: {message}")]
    #[diagnostic(code(kqlite::cli::io))]
    Io { path: String, message: String },
}

/// Any error of any stage.
#[derive(Debug, ThisError, Diagnostic)]
pub enum Error {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Lex(#[from] LexError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Parse(#[from] ParseError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Bind(#[from] BindError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Exec(#[from] ExecError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Cli(#[from] CliError),
}

impl Error {
    /// 2 usage, 3 syntax, 4 semantic (unsupported included), 5 runtime or internal, 6 input data.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Cli(CliError::Usage { .. }) => 2,
            Error::Cli(CliError::Io { .. }) => 6,
            Error::Parse(ParseError::UnsupportedOperator { .. } | ParseError::DatetimeOutOfRange { .. }) => 4,
            Error::Lex(_) | Error::Parse(_) => 3,
            Error::Bind(BindError::Internal { .. }) => 5,
            Error::Bind(_) => 4,
            Error::Exec(_) => 5,
            Error::Load(_) => 6,
        }
    }

    /// The diagnostic code, e.g. `kqlite::bind::unknown_column`.
    pub fn code(&self) -> String {
        Diagnostic::code(self).map(|c| c.to_string()).unwrap_or_default()
    }

    /// Does this error point into the query text (rather than a data file or the command line)?
    pub fn is_query_error(&self) -> bool {
        matches!(self, Error::Lex(_) | Error::Parse(_) | Error::Bind(_))
    }
}

impl From<datafusion::error::DataFusionError> for ExecError {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        ExecError::Runtime { message: clean_df_message(&e.to_string()) }
    }
}

/// DataFusion's message without its stage prefixes.
pub fn clean_df_message(m: &str) -> String {
    let mut s = m.trim();
    for p in ["External error: ", "Execution error: ", "Arrow error: ", "Error during planning: ", "Optimizer rule"] {
        while let Some(r) = s.strip_prefix(p) {
            s = r;
        }
    }
    s.to_string()
}
