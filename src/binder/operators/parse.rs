//! `parse`: extracts new columns from a string by a pattern of literal text, columns and `*`
//! (parse-operator). kind=simple (default) and relaxed anchor the pattern at the start of the text; kind=regex
//! takes the text parts as regular expressions. Untyped columns are strings; typed ones are converted; when
//! the pattern does not match, the new columns are null (strings read ""). `parse-where` keeps only the rows
//! the pattern matches and whose typed columns convert (parse-where-operator).

use crate::ast::{self, OpParam, ParsePart};
use crate::binder::{Binder, Bound};
use crate::diagnostics::BindError;
use crate::functions::{convert_to, udf::Udf, Arg};
use crate::source::Span;
use crate::types::KqlType;
use datafusion::logical_expr::lit;

impl Binder<'_> {
    pub(crate) fn bind_parse(
        &mut self,
        input: Bound,
        params: &[OpParam],
        source: &ast::Expr,
        parts: &[ParsePart],
        filter: bool,
        span: Span,
    ) -> Result<Bound, BindError> {
        let kind = params.iter().find(|p| p.name.name == "kind").map_or("simple", |p| p.value.name.as_str());
        if !matches!(kind, "simple" | "regex" | "relaxed") {
            return Err(BindError::InvalidArgument {
                message: format!("'{kind}' is not a parse kind"),
                span: span.into(),
                help: Some("use kind=simple, kind=regex or kind=relaxed".into()),
            });
        }
        let flags = params.iter().find(|p| p.name.name == "flags").map(|p| p.value.name.clone()).unwrap_or_default();
        let text = self.bind_scalar(source, &input.schema)?;
        let text = convert_to(text, KqlType::String);
        // the pattern as one regex; the last column takes the rest of the text
        let last_col = parts.iter().rposition(|p| matches!(p, ParsePart::Column(..)));
        let mut re = format!("{}^", if flags.is_empty() { String::new() } else { format!("(?{flags})") });
        let mut columns = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            match p {
                ParsePart::Star => re.push_str("(?:.*?)"),
                ParsePart::Text(t) if kind == "regex" => re.push_str(&format!("(?:{t})")),
                ParsePart::Text(t) => re.push_str(&regex::escape(t)),
                ParsePart::Column(name, ty) => {
                    let ty = match ty {
                        Some(t) => crate::binder::source::parse_type(t)?,
                        None => KqlType::String,
                    };
                    let greedy =
                        Some(i) == last_col && !parts.iter().skip(i + 1).any(|q| matches!(q, ParsePart::Text(_)));
                    re.push_str(if greedy { "(.*)" } else { "(.*?)" });
                    columns.push((name.name.clone(), ty, columns.len() + 1));
                }
            }
        }
        if let Err(e) = regex::Regex::new(&re) {
            return Err(BindError::InvalidArgument {
                message: format!("the parse pattern is not a valid regular expression: {e}"),
                span: span.into(),
                help: None,
            });
        }
        let mut out = Self::passthrough(&input);
        // parse-where: the whole pattern matches, and every typed column converts
        let mut keep = Udf::Extract.call(vec![lit(re.clone()), lit(0i64), text.expr.clone()]).is_not_null();
        for (name, ty, group) in columns {
            // extract(regex, group, text): the group, null when the regex does not match
            let group = i64::try_from(group).unwrap_or(i64::MAX);
            let raw = Udf::Extract.call(vec![lit(re.clone()), lit(group), text.expr.clone()]);
            let value = if ty == KqlType::String {
                datafusion::functions::core::expr_fn::coalesce(vec![raw, lit("")])
            } else {
                convert_to(Arg { expr: raw, ty: KqlType::String, span }, ty).expr
            };
            if ty != KqlType::String {
                keep = keep.and(value.clone().is_not_null());
            }
            match out.iter_mut().find(|o| o.1 == name) {
                Some(slot) => *slot = (value, name, ty),
                None => out.push((value, name, ty)),
            }
        }
        let input = if filter {
            let plan = datafusion::logical_expr::LogicalPlanBuilder::from(input.plan)
                .filter(keep)
                .and_then(|b| b.build())
                .map_err(crate::binder::df_err(span))?;
            Bound { plan, ..input }
        } else {
            input
        };
        self.project(input, out, span)
    }
}

impl Binder<'_> {
    /// `parse-kv Expr as (Key:type, ...) with (pair_delimiter=P, kv_delimiter=K, quote=Q, escape=E)`
    /// (parse-kv-operator): each key's value, converted to its type, as a new column (null, "" for strings,
    /// when the text has no such key). The regex mode and the default (delimiters not given) are not
    /// supported.
    pub(crate) fn bind_parse_kv(
        &mut self,
        input: Bound,
        source: &ast::Expr,
        columns: &[(ast::Ident, ast::Ident)],
        with: &[(ast::Ident, ast::Expr)],
        span: Span,
    ) -> Result<Bound, BindError> {
        let text = self.bind_scalar(source, &input.schema)?;
        let text = crate::functions::convert_to(text, KqlType::String);
        let mut opt = |name: &str, default: &str| -> Result<String, BindError> {
            match with.iter().find(|(n, _)| n.name == name) {
                None => Ok(default.to_string()),
                Some((_, v)) => {
                    let a = self.bind_scalar(v, &input.schema)?;
                    a.const_str().ok_or_else(|| BindError::InvalidArgument {
                        message: format!("parse-kv's {name} must be a constant string"),
                        span: v.span.into(),
                        help: None,
                    })
                }
            }
        };
        if let Some((n, _)) = with.iter().find(|(n, _)| n.name == "regex") {
            return Err(BindError::Unsupported { what: "parse-kv with regex".into(), span: n.span.into() });
        }
        if !with.iter().any(|(n, _)| n.name == "kv_delimiter") {
            return Err(BindError::Unsupported {
                what: "parse-kv without kv_delimiter (the unspecified-delimiter mode)".into(),
                span: span.into(),
            });
        }
        let pair = opt("pair_delimiter", " ")?;
        let kv = opt("kv_delimiter", "=")?;
        let quote = opt("quote", "")?;
        let escape = opt("escape", "")?;
        let greedy = with
            .iter()
            .any(|(n, v)| n.name == "greedy" && matches!(v.kind, ast::ExprKind::Literal(ast::Literal::Bool(true))));
        let options = serde_json::json!({"pair": pair, "kv": kv, "quote": quote, "escape": escape, "greedy": greedy});
        let mut out = Self::passthrough(&input);
        for (key, ty) in columns {
            let t = crate::binder::source::parse_type(ty)?;
            let call = crate::functions::udf::Udf::ParseKv.call(vec![
                text.expr.clone(),
                datafusion::logical_expr::lit(key.name.clone()),
                datafusion::logical_expr::lit(options.to_string()),
            ]);
            let value = crate::functions::Arg { expr: call, ty: KqlType::String, span: key.span };
            let value = crate::functions::convert_to(value, t);
            match out.iter_mut().find(|(_, n, _)| n == &key.name) {
                Some(slot) => *slot = (value.expr, key.name.clone(), t),
                None => out.push((value.expr, key.name.clone(), t)),
            }
        }
        self.project(input, out, span)
    }
}
