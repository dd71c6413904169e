//! User functions (`let f = (a:string, T:(*)) { ... }`), `invoke` (of let functions and of the portals'
//! built-ins, `FileProfile` included), the portals' table functions, and `getschema`.

use crate::ast::{self, ParamType};
use crate::binder::{Binder, Binding, Bound};
use crate::diagnostics::BindError;
use crate::functions::Arg;
use crate::source::Span;
use crate::types::{KqlColumn, KqlSchema, KqlType};

/// A bound argument of a user function call.
pub(crate) enum CallArg {
    Scalar(Arg),
    Tabular(Bound),
}

impl Binder<'_> {
    /// Binds call arguments against the parameters, by position (from parameter `first`) or by name:
    /// tabular parameters take rows, scalar ones values. Missing ones are `None` (their defaults apply).
    pub(crate) fn bind_call_args(
        &mut self,
        f: &ast::FunctionDecl,
        args: &[ast::Expr],
        scope: &KqlSchema,
        first: usize,
    ) -> Result<Vec<Option<CallArg>>, BindError> {
        let mut out: Vec<Option<CallArg>> = (0..f.params.len()).map(|_| None).collect();
        for (i, a) in args.iter().enumerate() {
            let (pos, value) = match &a.kind {
                ast::ExprKind::NamedArg { name, value } => {
                    match f.params.iter().position(|p| p.name.name == name.name) {
                        Some(p) => (p, value.as_ref()),
                        None => {
                            let names = f.params.iter().map(|p| p.name.name.as_str());
                            return Err(BindError::InvalidArgument {
                                message: format!("the function has no parameter '{}'", name.name),
                                span: name.span.into(),
                                help: crate::names::help_line(&name.name, names, "parameters"),
                            });
                        }
                    }
                }
                _ => (first + i, a),
            };
            let Some(param) = f.params.get(pos) else {
                return Err(BindError::WrongArity {
                    name: "the function".into(),
                    expected: format!("at most {} arguments", f.params.len().saturating_sub(first)),
                    found: args.len(),
                    span: a.span.into(),
                });
            };
            let bound = if matches!(param.ty, ParamType::Tabular(_)) {
                CallArg::Tabular(self.bind_tabular(value)?)
            } else {
                CallArg::Scalar(self.bind_scalar(value, scope)?)
            };
            if let Some(slot) = out.get_mut(pos) {
                *slot = Some(bound);
            }
        }
        Ok(out)
    }

    /// Defines the parameters in a new scope, binds the body's lets, and hands back control to `body`.
    fn with_params<T>(
        &mut self,
        f: &ast::FunctionDecl,
        args: Vec<Option<CallArg>>,
        span: Span,
        body: impl FnOnce(&mut Self) -> Result<T, BindError>,
    ) -> Result<T, BindError> {
        let mut bindings = Vec::new();
        for (p, a) in f.params.iter().zip(args.into_iter().chain(std::iter::repeat_with(|| None))) {
            let b = match (a, &p.ty) {
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
                    None => {
                        return Err(BindError::WrongArity {
                            name: "the function".into(),
                            expected: format!("a value for the parameter '{}'", p.name.name),
                            found: 0,
                            span: span.into(),
                        })
                    }
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
        args: Vec<Option<CallArg>>,
        span: Span,
    ) -> Result<Bound, BindError> {
        let body = f.body.clone();
        self.with_params(f, args, span, |b| b.bind_tabular(&body))
    }

    /// A scalar user function call.
    pub(crate) fn call_scalar_function(
        &mut self,
        f: &ast::FunctionDecl,
        args: Vec<Option<CallArg>>,
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
                // invoke-operator: the piped rows are the first (tabular) parameter
                let mut bound = self.bind_call_args(&f, args, &KqlSchema::default(), 1)?;
                let Some(slot) = bound.first_mut() else {
                    return Err(BindError::WrongArity {
                        name: name.name.clone(),
                        expected: "a first tabular parameter for the piped rows".into(),
                        found: 0,
                        span: name.span.into(),
                    });
                };
                *slot = Some(CallArg::Tabular(input));
                self.call_function(&f, bound, span)
            }
            _ if name.name == "FileProfile" => self.bind_file_profile(input, args, span),
            _ => match crate::catalog::builtin_function(&name.name) {
                Some(f) => {
                    let mut bound = self.bind_call_args(f, args, &KqlSchema::default(), 1)?;
                    if let Some(slot) = bound.first_mut() {
                        *slot = Some(CallArg::Tabular(input));
                    }
                    self.call_function(f, bound, span)
                }
                None => {
                    let mut cands: Vec<String> = crate::catalog::builtin_function_names().map(String::from).collect();
                    cands.extend(self.let_names());
                    let help = crate::names::did_you_mean(&name.name, cands.iter().map(|s| s.as_str()))
                        .map(|s| format!("did you mean '{s}'?"));
                    Err(BindError::UnknownFunction {
                        name: name.name.clone(),
                        span: name.span.into(),
                        did_you_mean: help,
                    })
                }
            },
        }
    }

    /// getschema-operator: one row per input column: ColumnName, ColumnOrdinal, DataType (.NET), ColumnType.
    pub(crate) fn bind_getschema(&mut self, input: Bound, span: Span) -> Result<Bound, BindError> {
        use datafusion::logical_expr::lit;
        let dotnet = |t: KqlType| match t {
            KqlType::Bool => "System.Boolean",
            KqlType::Int => "System.Int32",
            KqlType::Long => "System.Int64",
            KqlType::Real => "System.Double",
            KqlType::Decimal => "System.Data.SqlTypes.SqlDecimal",
            KqlType::String => "System.String",
            KqlType::Datetime => "System.DateTime",
            KqlType::Timespan => "System.TimeSpan",
            KqlType::Guid => "System.Guid",
            KqlType::Dynamic => "System.Object",
        };
        let rows: Vec<Vec<datafusion::logical_expr::Expr>> = input
            .schema
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| vec![lit(c.name.clone()), lit(i as i32), lit(dotnet(c.ty)), lit(c.ty.name())])
            .collect();
        let out = KqlSchema::new(vec![
            KqlColumn { name: "ColumnName".into(), ty: KqlType::String },
            KqlColumn { name: "ColumnOrdinal".into(), ty: KqlType::Int },
            KqlColumn { name: "DataType".into(), ty: KqlType::String },
            KqlColumn { name: "ColumnType".into(), ty: KqlType::String },
        ]);
        if rows.is_empty() {
            return Err(BindError::InvalidArgument {
                message: "getschema of a table with no columns".into(),
                span: span.into(),
                help: None,
            });
        }
        let plan = datafusion::logical_expr::LogicalPlanBuilder::values(rows)
            .and_then(|b| b.build())
            .map_err(crate::binder::df_err(span))?;
        let names: Vec<String> = plan.schema().fields().iter().map(|f| f.name().clone()).collect();
        let raw = Bound {
            label: None,
            serialized: true,
            plan,
            schema: KqlSchema::new(
                names.iter().zip(&out.columns).map(|(n, c)| KqlColumn { name: n.clone(), ty: c.ty }).collect(),
            ),
        };
        let items =
            names.iter().zip(&out.columns).map(|(n, c)| (crate::functions::col(n), c.name.clone(), c.ty)).collect();
        self.project(raw, items, span)
    }

    /// A built-in table function (`AssignedIPAddresses(...)`, `_GetWatchlist(...)`): its KQL body, bound like a
    /// user function.
    pub(crate) fn bind_builtin_table_function(
        &mut self,
        name: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
    ) -> Result<Bound, BindError> {
        let Some(f) = crate::catalog::builtin_function(&name.name) else {
            return Err(BindError::UnknownFunction {
                name: name.name.clone(),
                span: name.span.into(),
                did_you_mean: None,
            });
        };
        let bound = self.bind_call_args(f, args, &KqlSchema::default(), 0)?;
        self.call_function(f, bound, span)
    }

    /// `invoke FileProfile([IdColumn[, MaxRecords]])`: the input rows plus the documented profile columns it
    /// lacks, filled from a loaded `FileProfile` table (matched on SHA1 or SHA256), else empty.
    fn bind_file_profile(&mut self, input: Bound, args: &[ast::Expr], span: Span) -> Result<Bound, BindError> {
        let id = match args.first().map(|a| &a.kind) {
            None => "SHA1".to_string(),
            Some(ast::ExprKind::Name(n)) => n.name.clone(),
            Some(ast::ExprKind::Literal(ast::Literal::String(s))) => s.clone(),
            Some(_) => {
                return Err(BindError::InvalidArgument {
                    message: "FileProfile takes the file ID column (SHA1, SHA256, InitiatingProcessSHA1…)".into(),
                    span: args.first().map_or(span, |a| a.span).into(),
                    help: None,
                })
            }
        };
        let id_span = args.first().map_or(span, |a| a.span);
        let Some((_, id_col)) = input.schema.find(&id).map(|(i, c)| (i, c.clone())) else {
            let help = crate::names::help_line(&id, input.schema.names(), "columns");
            return Err(BindError::UnknownColumn { name: id, span: id_span.into(), did_you_mean: help });
        };
        let key = if id.contains("SHA256") { "SHA256" } else { "SHA1" };
        let adds: Vec<KqlColumn> =
            file_profile_columns().into_iter().filter(|c| input.schema.find(&c.name).is_none()).collect();
        let mut joined = input;
        if self.catalog.loaded.contains_key("FileProfile") {
            let profile = self.scan_table("FileProfile", span)?;
            if let Some((_, k)) = profile.schema.find(key).map(|(i, c)| (i, c.clone())) {
                let keep: Vec<(datafusion::logical_expr::Expr, String, KqlType)> = Self::passthrough(&profile)
                    .into_iter()
                    .filter(|(_, n, _)| n == key || adds.iter().any(|a| &a.name == n))
                    .collect();
                let right = self.project(profile, keep, span)?;
                let right = self.dedup_on(right, &[key.to_string()], span)?;
                let keys = vec![(id_col.name.clone(), key.to_string(), id_col.ty, k.ty, span)];
                joined = self.finish_join(joined, right, datafusion::common::JoinType::Left, &keys, true, span)?;
            }
        }
        let mut out = Self::passthrough(&joined);
        out.retain(|(_, n, _)| !adds.iter().any(|a| &a.name == n));
        for a in &adds {
            let e = match joined.schema.find(&a.name) {
                Some((_, c)) => {
                    crate::functions::convert_to(Arg { expr: crate::functions::col(&c.name), ty: c.ty, span }, a.ty)
                        .expr
                }
                None => crate::functions::null_of(a.ty),
            };
            out.push((e, a.name.clone(), a.ty));
        }
        self.project(joined, out, span)
    }
}

/// The columns `FileProfile` adds (functions.json), in documented order.
fn file_profile_columns() -> Vec<KqlColumn> {
    use KqlType::*;
    [
        ("SHA1", String),
        ("SHA256", String),
        ("MD5", String),
        ("FileSize", Int),
        ("GlobalPrevalence", Int),
        ("GlobalFirstSeen", Datetime),
        ("GlobalLastSeen", Datetime),
        ("Signer", String),
        ("Issuer", String),
        ("SignerHash", String),
        ("IsCertificateValid", Bool),
        ("IsRootSignerMicrosoft", Bool),
        ("SignatureState", String),
        ("IsExecutable", Bool),
        ("ThreatName", String),
        ("Publisher", String),
        ("SoftwareName", String),
        ("ProfileAvailability", String),
    ]
    .into_iter()
    .map(|(n, ty)| KqlColumn { name: n.to_string(), ty })
    .collect()
}
