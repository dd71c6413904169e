//! Binder errors: names that do not resolve, types that do not fit, unsupported constructs.

use crate::types::KqlType;
use miette::{Diagnostic, SourceSpan};
use thiserror::Error;

#[derive(Debug, Error, Diagnostic)]
pub enum BindError {
    /// `DeviceEvents | where DevcieName == "pc1"`
    #[error("unknown column '{name}'")]
    #[diagnostic(code(kqlite::bind::unknown_column))]
    UnknownColumn {
        name: String,
        #[label("no column of this name at this point of the pipe")]
        span: SourceSpan,
        #[help]
        did_you_mean: Option<String>,
    },
    /// `DeviceEvent | take 1`
    #[error("unknown table '{name}'")]
    #[diagnostic(code(kqlite::bind::unknown_table))]
    UnknownTable {
        name: String,
        #[label("no table, let or function of this name")]
        span: SourceSpan,
        #[help]
        did_you_mean: Option<String>,
    },
    /// `print tostrin(1)`
    #[error("unknown function '{name}'")]
    #[diagnostic(code(kqlite::bind::unknown_function))]
    UnknownFunction {
        name: String,
        #[label("no function of this name")]
        span: SourceSpan,
        #[help]
        did_you_mean: Option<String>,
    },
    /// `print geo_point_to_h3cell(1.0, 2.0, 3)`: a Kusto function kqlite does not implement
    #[error("the Kusto function '{name}' is not supported yet")]
    #[diagnostic(
        code(kqlite::bind::unsupported_function),
        help("kqlite implements a growing subset of Kusto's functions; README.md lists them")
    )]
    UnsupportedFunction {
        name: String,
        #[label("a Kusto function kqlite does not implement")]
        span: SourceSpan,
    },
    /// `print x = y + 1` where y is neither a column nor a let
    #[error("unknown name '{name}'")]
    #[diagnostic(code(kqlite::bind::unknown_name))]
    UnknownName {
        name: String,
        #[label("not a column, a let name or a function here")]
        span: SourceSpan,
        #[help]
        did_you_mean: Option<String>,
    },
    /// `T | where Count + "a" > 1`, `where Timestamp` (not bool)
    #[error("type mismatch: {message}")]
    #[diagnostic(code(kqlite::bind::type_mismatch))]
    TypeMismatch {
        message: String,
        #[label("{found}")]
        span: SourceSpan,
        found: String,
        #[help]
        help: Option<String>,
    },
    /// `datetime(2024-01-01) + datetime(2024-01-02)`
    #[error("operator '{op}' cannot be applied to {left} and {right}")]
    #[diagnostic(
        code(kqlite::bind::type_mismatch),
        help("convert one side, e.g. with tolong(), todatetime() or totimespan()")
    )]
    IncompatibleOperands {
        op: String,
        left: KqlType,
        right: KqlType,
        #[label("{left}")]
        left_span: SourceSpan,
        #[label("{right}")]
        right_span: SourceSpan,
    },
    /// `print strlen("a", "b")`
    #[error("{name}() takes {expected}, but {found} were given")]
    #[diagnostic(code(kqlite::bind::wrong_arity))]
    WrongArity {
        name: String,
        expected: String,
        found: usize,
        #[label("here")]
        span: SourceSpan,
    },
    /// `T | take "a"`, `bin(x, -1)`, a constant that is required but not given
    #[error("invalid argument: {message}")]
    #[diagnostic(code(kqlite::bind::invalid_argument))]
    InvalidArgument {
        message: String,
        #[label("{message}")]
        span: SourceSpan,
        #[help]
        help: Option<String>,
    },
    /// `let x = 1; let x = 2; ...`
    #[error("'{name}' is declared twice")]
    #[diagnostic(code(kqlite::bind::duplicate_let), help("rename one of the two, or delete the first"))]
    DuplicateLet {
        name: String,
        #[label("second declaration")]
        span: SourceSpan,
        #[label("first declared here")]
        first: SourceSpan,
    },
    /// `T | extend a = 1, a = 2`, `project-rename A = B` onto an existing name
    #[error("column '{name}' is defined twice")]
    #[diagnostic(code(kqlite::bind::duplicate_column))]
    DuplicateColumn {
        name: String,
        #[label("already a column of this name")]
        span: SourceSpan,
    },
    /// A scalar where rows are needed, or the other way round: `T | join 5 on X`, `print x = DeviceEvents`
    #[error("expected {expected}, found {found}")]
    #[diagnostic(code(kqlite::bind::wrong_kind))]
    WrongKind {
        expected: String,
        found: String,
        #[label("this is {found}")]
        span: SourceSpan,
    },
    /// Valid KQL that kqlite does not support yet.
    #[error("not supported yet: {what}")]
    #[diagnostic(code(kqlite::bind::unsupported), help("kqlite implements a growing subset of KQL; see README.md"))]
    Unsupported {
        what: String,
        #[label("not supported yet")]
        span: SourceSpan,
    },
    /// `T | render timechrat`
    #[error("unknown visualization '{name}'")]
    #[diagnostic(code(kqlite::bind::unknown_visualization))]
    UnknownVisualization {
        name: String,
        #[label("not a visualization of the render operator")]
        span: SourceSpan,
        #[help]
        help: Option<String>,
    },
    /// `T | render timechart with (titel="x")`
    #[error("unknown render property '{name}'")]
    #[diagnostic(code(kqlite::bind::unknown_render_property))]
    UnknownRenderProperty {
        name: String,
        #[label("not a property of the render operator")]
        span: SourceSpan,
        #[help]
        help: Option<String>,
    },
    /// The script ends without a query statement: `let x = 1;`
    #[error("the query has no tabular statement to run")]
    #[diagnostic(code(kqlite::bind::no_query), help("end the script with a tabular expression, e.g. `T | take 10`"))]
    NoQuery {
        #[label("after these statements")]
        span: SourceSpan,
    },
    /// A plan DataFusion refused although the binder accepted it: a bug in kqlite.
    #[error("internal error while planning: {message}")]
    #[diagnostic(code(kqlite::bind::internal), help("this is a bug in kqlite; please report it with the query"))]
    Internal {
        message: String,
        #[label("while planning this")]
        span: SourceSpan,
    },
}
