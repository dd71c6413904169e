//! Functions that look at the row scope: column_ifexists, ingestion_time.

use super::{sig, Arg, FunctionDef, Lower, LowerCtx, Naming, Ret, P};
use crate::diagnostics::BindError;
use crate::types::KqlType;
use datafusion::logical_expr::Expr;

/// column-ifexists-function: the column if the scope has it, else the default value.
fn column_ifexists(c: &LowerCtx, args: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let mut it = args.into_iter();
    let (Some(name), Some(default)) = (it.next(), it.next()) else {
        return Err(BindError::Internal { message: "column_ifexists arity".into(), span: c.span.into() });
    };
    let n = super::require_const_str(&name, "the column name")?;
    match c.scope.find(&n) {
        Some((_, col)) => Ok((crate::functions::col(&col.name), col.ty)),
        None => Ok((default.expr, default.ty)),
    }
}

/// ingestion-time-function: offline, the time Log Analytics received the row is its TimeGenerated (or, on
/// a Defender dump, its Timestamp); null when the rows have neither.
fn ingestion_time(c: &LowerCtx, _: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    for n in ["TimeGenerated", "Timestamp"] {
        if let Some((_, col)) = c.scope.find(n) {
            if col.ty == KqlType::Datetime {
                return Ok((crate::functions::col(n), KqlType::Datetime));
            }
        }
    }
    Ok((super::null_of(KqlType::Datetime), KqlType::Datetime))
}

pub(super) const SCOPE: &[FunctionDef] = &[
    FunctionDef {
        name: "column_ifexists",
        sigs: &[sig(&[P::Str, P::Any], Ret::Arg(1))],
        lower: Lower::Custom(column_ifexists),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "ingestion_time",
        sigs: &[sig(&[], Ret::T(KqlType::Datetime))],
        lower: Lower::Custom(ingestion_time),
        naming: Naming::Generated,
    },
];
