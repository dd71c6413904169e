//! `parse`: extracts new columns from a string by a pattern of literal text, columns and `*`
//! (parse-operator). kind=simple (default) and relaxed anchor the pattern at the start of the text; kind=regex
//! takes the text parts as regular expressions. Untyped columns are strings; typed ones are converted; when
//! the pattern does not match, the new columns are null (strings read ""). `parse-where` keeps only the rows
//! the pattern matches and whose typed columns convert (parse-where-operator).

use crate::ast::{self, OpParam, ParsePart};
use crate::binder::{Binder, Bound};
use crate::diagnostics::BindError;
use crate::functions::{convert_to, parse_pattern::SimplePart, udf::Udf, Arg};
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
        // the same pattern for matching without the regex (kind=simple, no flags): see SimplePart
        let mut simple: Vec<SimplePart> = Vec::new();
        let mut columns = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            match p {
                ParsePart::Star => {
                    re.push_str("(?:.*?)");
                    simple.push(SimplePart::Lazy { capture: false });
                }
                ParsePart::Text(t) if kind == "regex" => re.push_str(&format!("(?:{t})")),
                ParsePart::Text(t) => {
                    re.push_str(&regex::escape(t));
                    match simple.last_mut() {
                        Some(SimplePart::Text(prev)) => prev.push_str(t),
                        _ => simple.push(SimplePart::Text(t.clone())),
                    }
                }
                ParsePart::Column(name, ty) => {
                    let ty = match ty {
                        Some(t) => crate::binder::source::parse_type(t)?,
                        None => KqlType::String,
                    };
                    let greedy =
                        Some(i) == last_col && !parts.iter().skip(i + 1).any(|q| matches!(q, ParsePart::Text(_)));
                    re.push_str(if greedy { "(.*)" } else { "(.*?)" });
                    simple.push(if greedy { SimplePart::Greedy } else { SimplePart::Lazy { capture: true } });
                    columns.push((name.name.clone(), ty, columns.len() + 1));
                }
            }
        }
        let plan = if kind == "simple" && flags.is_empty() { SimplePart::encode(&simple) } else { String::new() };
        if let Err(e) = regex::Regex::new(&re) {
            return Err(BindError::InvalidArgument {
                message: format!("the parse pattern is not a valid regular expression: {e}"),
                span: span.into(),
                help: None,
            });
        }
        let mut out = Self::passthrough(&input);
        // parse-where: the whole pattern matches, and every typed column converts
        let group_of =
            |g: i64| Udf::ParseGroup.call(vec![lit(re.clone()), lit(plan.clone()), lit(g), text.expr.clone()]);
        let mut keep = group_of(0).is_not_null();
        for (name, ty, group) in columns {
            // the group's text, null when the pattern does not match
            let group = i64::try_from(group).unwrap_or(i64::MAX);
            let raw = group_of(group);
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
    /// `parse-kv Expr as (Key:type, ...) [with (...)]` (parse-kv-operator): each key's value, converted to its
    /// type, as a new column (null, "" for strings, when the text has no such key). Three modes:
    /// `pair_delimiter` / `kv_delimiter` (with `quote`, `escape`, `greedy`), no delimiters (any character
    /// but a letter or digit separates; `quote`, `escape`), and `regex` (two capture groups, key and value).
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
        let mut options = serde_json::Map::new();
        let (mut quotes, mut escapes, mut greedy) = (Vec::new(), String::new(), None);
        for (name, v) in with {
            let value = self.bind_scalar(v, &input.schema)?;
            let bad = |message: String| BindError::InvalidArgument { message, span: v.span.into(), help: None };
            let n = name.name.as_str();
            if n == "greedy" {
                match value.constant() {
                    Some(datafusion::common::ScalarValue::Boolean(Some(b))) => greedy = Some((*b, name.span)),
                    _ => return Err(bad("parse-kv's greedy must be true or false".into())),
                }
                continue;
            }
            let Some(s) = value.const_str() else {
                return Err(bad(format!("parse-kv's {n} must be a constant string")));
            };
            match n {
                "pair_delimiter" | "kv_delimiter" | "regex" if s.is_empty() => {
                    return Err(bad(format!("parse-kv's {n} is empty")));
                }
                "pair_delimiter" => options.insert("pair".into(), s.into()),
                "kv_delimiter" => options.insert("kv".into(), s.into()),
                "quote" if matches!(s.chars().count(), 1 | 2) => {
                    quotes.push(s);
                    None
                }
                "quote" => {
                    return Err(bad("parse-kv's quote is one character, or an opening and a closing one".into()))
                }
                "escape" if s.chars().count() == 1 => {
                    escapes.push_str(&s);
                    None
                }
                "escape" => return Err(bad("parse-kv's escape is one character".into())),
                "regex" => {
                    check_kv_regex(&s, v.span)?;
                    options.insert("regex".into(), s.into())
                }
                _ => {
                    return Err(BindError::InvalidArgument {
                        message: format!("'{n}' is not a parse-kv option"),
                        span: name.span.into(),
                        help: Some("use pair_delimiter, kv_delimiter, quote, escape, greedy or regex".into()),
                    })
                }
            };
        }
        let delimited = options.contains_key("pair") || options.contains_key("kv");
        let mode = if options.contains_key("regex") {
            if let Some((n, _)) = with.iter().find(|(n, _)| n.name != "regex") {
                return Err(BindError::InvalidArgument {
                    message: format!("parse-kv with regex takes no other option ('{}')", n.name),
                    span: n.span.into(),
                    help: Some("the regex's first group is the key, its second the value".into()),
                });
            }
            "regex"
        } else if delimited {
            options.entry("pair").or_insert_with(|| " ".into());
            options.entry("kv").or_insert_with(|| "=".into());
            if let Some((g, _)) = greedy {
                options.insert("greedy".into(), g.into());
            }
            "delimited"
        } else {
            if let Some((_, at)) = greedy {
                return Err(BindError::InvalidArgument {
                    message: "parse-kv's greedy needs pair_delimiter and kv_delimiter".into(),
                    span: at.into(),
                    help: None,
                });
            }
            let keys: Vec<serde_json::Value> = columns.iter().map(|(k, _)| k.name.clone().into()).collect();
            options.insert("keys".into(), keys.into());
            "words"
        };
        options.insert("mode".into(), mode.into());
        options.insert("quotes".into(), quotes.into());
        options.insert("escapes".into(), escapes.into());
        let options = serde_json::Value::Object(options).to_string();
        let mut out = Self::passthrough(&input);
        for (key, ty) in columns {
            let t = crate::binder::source::parse_type(ty)?;
            let call = crate::functions::udf::Udf::ParseKv.call(vec![
                text.expr.clone(),
                datafusion::logical_expr::lit(key.name.clone()),
                datafusion::logical_expr::lit(options.clone()),
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

/// parse-kv's regex: valid, with exactly two capture groups (the key and the value).
fn check_kv_regex(pattern: &str, span: Span) -> Result<(), BindError> {
    let bad = |message: String| BindError::InvalidArgument {
        message,
        span: span.into(),
        help: Some("e.g. regex=@'(\\w+)=(\\w+)': the first group is the key, the second the value".into()),
    };
    let rx = regex::Regex::new(pattern).map_err(|e| {
        // the regex crate's message shows the pattern with a caret; the label already points at it
        let e = e.to_string();
        let why = e.lines().find_map(|l| l.trim().strip_prefix("error: ")).unwrap_or(&e).to_string();
        bad(format!("parse-kv's regex is not a valid regular expression: {why}"))
    })?;
    match rx.captures_len().saturating_sub(1) {
        2 => Ok(()),
        1 => Err(bad("parse-kv's regex has 1 capturing group; it needs exactly 2 (the key and the value)".into())),
        n => Err(bad(format!("parse-kv's regex has {n} capturing groups; it needs exactly 2 (the key and the value)"))),
    }
}
