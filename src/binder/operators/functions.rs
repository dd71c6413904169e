//! User functions (`let f = (a:string, T:(*)) { ... }`), `invoke`, and the operators kqlite does not
//! implement yet (`getschema`, the portals' table functions), which fail with a clear
//! `kqlite::bind::unsupported` rather than a wrong answer.

use crate::ast::{self, ParamType};
use crate::binder::{Binder, Binding, Bound};
use crate::diagnostics::BindError;
use crate::functions::Arg;
use crate::source::Span;
use crate::types::KqlSchema;

/// A bound argument of a user function call.
pub(crate) enum CallArg {
    Scalar(Arg),
    Tabular(Bound),
}

impl Binder<'_> {
    /// Binds call arguments against the parameters: tabular parameters take rows, scalar ones values.
    pub(crate) fn bind_call_args(
        &mut self,
        f: &ast::FunctionDecl,
        args: &[ast::Expr],
        scope: &KqlSchema,
    ) -> Result<Vec<CallArg>, BindError> {
        let mut out = Vec::new();
        for (i, a) in args.iter().enumerate() {
            let tabular = matches!(f.params.get(i).map(|p| &p.ty), Some(ParamType::Tabular(_)));
            out.push(if tabular {
                CallArg::Tabular(self.bind_tabular(a)?)
            } else {
                CallArg::Scalar(self.bind_scalar(a, scope)?)
            });
        }
        Ok(out)
    }

    /// Defines the parameters in a new scope, binds the body's lets, and hands back control to `body`.
    fn with_params<T>(
        &mut self,
        f: &ast::FunctionDecl,
        args: Vec<CallArg>,
        span: Span,
        body: impl FnOnce(&mut Self) -> Result<T, BindError>,
    ) -> Result<T, BindError> {
        let required = f.params.iter().filter(|p| p.default.is_none()).count();
        if args.len() < required || args.len() > f.params.len() {
            return Err(BindError::WrongArity {
                name: "the function".into(),
                expected: if required == f.params.len() {
                    format!("{required} arguments")
                } else {
                    format!("{required} to {} arguments", f.params.len())
                },
                found: args.len(),
                span: span.into(),
            });
        }
        let mut bindings = Vec::new();
        let mut args = args.into_iter();
        for p in &f.params {
            let b = match (args.next(), &p.ty) {
                (Some(CallArg::Tabular(b)), _) => Binding::Tabular(b),
                (Some(CallArg::Scalar(a)), ParamType::Scalar(t)) => {
                    let ty = crate::binder::source::parse_type(t)?;
                    Binding::Scalar(crate::functions::convert_to(a, ty))
                }
                (Some(CallArg::Scalar(a)), ParamType::Tabular(_)) => {
                    return Err(BindError::WrongKind {
                        expected: "a tabular argument".into(),
                        found: "a scalar".into(),
                        span: a.span.into(),
                    })
                }
                (None, _) => match &p.default {
                    Some(d) => Binding::Scalar(self.bind_scalar(d, &KqlSchema::default())?),
                    None => return Err(BindError::Internal { message: "missing argument".into(), span: span.into() }),
                },
            };
            bindings.push((p.name.name.clone(), b, p.name.span));
        }
        self.push_scope();
        for (n, b, s) in bindings {
            self.define(&n, b, s);
        }
        let result = (|| {
            for l in &f.body_lets {
                self.bind_let(l, false)?;
            }
            body(self)
        })();
        self.pop_scope();
        result
    }

    /// A tabular user function call.
    pub(crate) fn call_function(
        &mut self,
        f: &ast::FunctionDecl,
        args: Vec<CallArg>,
        span: Span,
    ) -> Result<Bound, BindError> {
        let body = f.body.clone();
        self.with_params(f, args, span, |b| b.bind_tabular(&body))
    }

    /// A scalar user function call.
    pub(crate) fn call_scalar_function(
        &mut self,
        f: &ast::FunctionDecl,
        args: Vec<CallArg>,
        _scope: &KqlSchema,
        span: Span,
    ) -> Result<Arg, BindError> {
        let body = f.body.clone();
        self.with_params(f, args, span, |b| b.bind_scalar(&body, &KqlSchema::default()))
    }

    pub(crate) fn bind_invoke(&mut self, input: Bound, call: &ast::Expr, span: Span) -> Result<Bound, BindError> {
        let ast::ExprKind::Call { name, args } = &call.kind else {
            return Err(BindError::InvalidArgument {
                message: "invoke takes a function call".into(),
                span: call.span.into(),
                help: None,
            });
        };
        match self.lookup_let(&name.name).cloned() {
            Some(Binding::Function(f)) => {
                let mut bound = vec![CallArg::Tabular(input)];
                bound.extend(self.bind_call_args(&f, args, &KqlSchema::default())?);
                self.call_function(&f, bound, span)
            }
            _ => Err(BindError::Unsupported { what: format!("invoke {}()", name.name), span: name.span.into() }),
        }
    }

    pub(crate) fn bind_getschema(&mut self, _input: Bound, span: Span) -> Result<Bound, BindError> {
        Err(BindError::Unsupported { what: "getschema".into(), span: span.into() })
    }

    pub(crate) fn bind_builtin_table_function(
        &mut self,
        name: &ast::Ident,
        _args: &[ast::Expr],
        _span: Span,
    ) -> Result<Bound, BindError> {
        Err(BindError::Unsupported { what: format!("the {}() function", name.name), span: name.span.into() })
    }
}
