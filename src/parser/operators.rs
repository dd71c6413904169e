//! Tabular operators after `|`: the keyword table `OPERATORS` (keyword → parse fn), one fn per family.

use super::expr::{parse_op_params, parse_union_body};
use super::{adjacent, at, at_kw, cut, cut_fail, fail, hyphenated_word, kw, parse_name, tok, PResult, Tokens};
use crate::ast::{self, Ident, JoinCond, NamedExpr, OpKind, Operator, ProjectKind, SortKey};
use crate::lexer::Token;
use crate::source::Span;

type OpParser = for<'a> fn(Tokens<'a>, &Ident) -> PResult<'a, OpKind>;

/// Every operator keyword the parser knows, with its parse fn.
pub const OPERATORS: &[(&str, OpParser)] = &[
    ("where", parse_where),
    ("filter", parse_where),
    ("project", parse_project_op),
    ("project-away", parse_project_op),
    ("project-keep", parse_project_op),
    ("project-rename", parse_project_op),
    ("project-reorder", parse_project_op),
    ("extend", parse_extend),
    ("summarize", parse_summarize),
    ("sort", parse_sort),
    ("order", parse_sort),
    ("top", parse_top),
    ("take", parse_take),
    ("limit", parse_take),
    ("count", parse_count),
    ("distinct", parse_distinct),
    ("join", parse_join),
    ("lookup", parse_join),
    ("union", parse_union_op),
    ("render", parse_render),
    ("mv-expand", parse_mv_expand),
    ("mvexpand", parse_mv_expand),
    ("invoke", parse_invoke),
    ("as", parse_as),
    ("getschema", parse_getschema),
    ("serialize", parse_serialize),
    ("parse", parse_parse),
    ("parse-where", parse_parse),
    ("mv-apply", parse_mv_apply),
    ("mvapply", parse_mv_apply),
    ("make-series", parse_make_series),
    ("evaluate", parse_evaluate),
    ("search", parse_search_op),
    ("sample", parse_sample),
    ("sample-distinct", parse_sample),
    ("partition", super::wider::parse_partition),
    ("top-nested", super::wider::parse_top_nested),
    ("facet", super::wider::parse_facet),
    ("parse-kv", super::wider::parse_parse_kv),
    ("scan", super::wider::parse_scan),
];

/// Kusto operators kqlite does not implement yet: a clear "not supported" instead of a syntax error.
pub(super) const KUSTO_ONLY: &[&str] = &[
    "top-hitters",
    "find",
    "fork",
    "reduce",
    "externaldata",
    "consume",
    "project-by-names",
    "extend-if",
    "lookup-if",
    "graph-match",
    "make-graph",
    "assert-schema",
    "macro-expand",
];

// grammar: operator
pub fn parse_operator(i: Tokens<'_>) -> PResult<'_, Operator> {
    let start = i.here();
    let (j, keyword) = hyphenated_word(i).or_else(|_| cut_fail(i, "an operator after '|'"))?;
    if KUSTO_ONLY.contains(&keyword.name.as_str()) {
        return Err(nom::Err::Failure(super::PErr {
            span: keyword.span,
            special: Some(super::Special::Operator(keyword.name.clone())),
            ..super::PErr::at(i, "")
        }));
    }
    let Some((_, f)) = OPERATORS.iter().find(|(k, _)| *k == keyword.name) else {
        let known: Vec<&str> = OPERATORS.iter().map(|(k, _)| *k).collect();
        let hint = crate::names::did_you_mean(&keyword.name, known.iter().copied());
        let what = match hint {
            Some(h) => format!("a known operator (did you mean '{h}'?)"),
            None => "a known operator such as where, project, extend, summarize, join".to_string(),
        };
        return cut_fail(i, &what);
    };
    let (j, kind) = cut(f(j, &keyword))?;
    let end = prev_end(i, j);
    Ok((j, Operator { kind, keyword, span: start.to(end) }))
}

/// The span of the last token consumed between `before` and `after`.
pub(super) fn prev_end(before: Tokens<'_>, after: Tokens<'_>) -> Span {
    let used = before.toks.len() - after.toks.len();
    before.peek(used.saturating_sub(1)).map(|t| t.span).unwrap_or(before.here())
}

// grammar: where_op
fn parse_where<'a>(i: Tokens<'a>, _: &Ident) -> PResult<'a, OpKind> {
    let (i, e) = parse_expr_no_pipe(i)?;
    Ok((i, OpKind::Where(e)))
}

/// An expression that stops at `|` (operator arguments).
pub(super) fn parse_expr_no_pipe(i: Tokens<'_>) -> PResult<'_, crate::ast::Expr> {
    super::expr::parse_or(i)
}

// grammar: named_exprs
pub(super) fn parse_named_list_no_pipe(mut i: Tokens<'_>) -> PResult<'_, Vec<NamedExpr>> {
    // named expressions whose values stop at `|`
    let mut out = Vec::new();
    loop {
        let (j, n) = named_no_pipe(i)?;
        out.push(n);
        i = j;
        if at(i, Token::Comma) {
            i = tok(i, Token::Comma, "")?.0;
        } else {
            return Ok((i, out));
        }
    }
}

// grammar: named_expr
/// `Name = expr`, `(A, B) = expr`, or `expr` (values stop at `|`).
pub(super) fn named_no_pipe(i: Tokens<'_>) -> PResult<'_, NamedExpr> {
    if let Ok((j, name)) = parse_name(i) {
        if at(j, Token::Assign) {
            let (j, _) = tok(j, Token::Assign, "")?;
            let (j, expr) = cut(parse_expr_no_pipe(j))?;
            return Ok((j, NamedExpr { names: vec![name], expr }));
        }
    }
    if at(i, Token::LParen) {
        let mut names = Vec::new();
        let mut j = tok(i, Token::LParen, "")?.0;
        while let Ok((k, n)) = parse_name(j) {
            names.push(n);
            j = k;
            if at(j, Token::Comma) {
                j = tok(j, Token::Comma, "")?.0;
            } else {
                break;
            }
        }
        if !names.is_empty() && at(j, Token::RParen) {
            let k = tok(j, Token::RParen, "")?.0;
            if at(k, Token::Assign) {
                let (k, _) = tok(k, Token::Assign, "")?;
                let (k, expr) = cut(parse_expr_no_pipe(k))?;
                return Ok((k, NamedExpr { names, expr }));
            }
        }
    }
    let (j, expr) = parse_expr_no_pipe(i)?;
    Ok((j, NamedExpr { names: vec![], expr }))
}

// grammar: project_op
/// `project a, b = x`, `project-away A*`, `project-keep A*`, `project-rename New = Old`, `project-reorder B asc`
fn parse_project_op<'a>(i: Tokens<'a>, kw_: &Ident) -> PResult<'a, OpKind> {
    let kind = match kw_.name.as_str() {
        "project-away" => ProjectKind::Away,
        "project-keep" => ProjectKind::Keep,
        "project-rename" => ProjectKind::Rename,
        "project-reorder" => ProjectKind::Reorder,
        _ => ProjectKind::Project,
    };
    if kind == ProjectKind::Project || kind == ProjectKind::Rename {
        let (i, items) = parse_named_list_no_pipe(i)?;
        let order = vec![None; items.len()];
        return Ok((i, OpKind::Project { kind, items, order }));
    }
    // column names with `*` wildcards, optionally followed (reorder) by asc/desc/granny-asc/granny-desc
    let mut items = Vec::new();
    let mut order = Vec::new();
    let mut i = i;
    loop {
        let (j, pattern) = parse_wildcard_name(i)?;
        items.push(pattern);
        i = j;
        if kind == ProjectKind::Reorder && (at_kw(i, "asc") || at_kw(i, "desc") || at_kw(i, "granny")) {
            let (j, dir) = hyphenated_word(i)?;
            order.push(Some(dir));
            i = j;
        } else {
            order.push(None);
        }
        if at(i, Token::Comma) {
            i = tok(i, Token::Comma, "")?.0;
        } else {
            break;
        }
    }
    Ok((i, OpKind::Project { kind, items, order }))
}

// grammar: pattern
/// `Name`, `Prefix*`, `*Suffix`, `*` — a column pattern, as a Name expr whose text keeps the `*`s.
pub(super) fn parse_wildcard_name(i: Tokens<'_>) -> PResult<'_, NamedExpr> {
    let mut text = String::new();
    let mut span: Option<Span> = None;
    let mut j = i;
    let mut last: Option<crate::lexer::Tok> = None;
    while let Some(t) = j.first() {
        let joins = match last {
            None => true,
            Some(l) => super::adjacent(l, t),
        };
        if !joins {
            break;
        }
        match t.token {
            Token::Star => text.push('*'),
            Token::Ident => text.push_str(j.text(t)),
            Token::LBracket if last.is_none() => {
                let (k, n) = parse_name(j)?;
                let sp = n.span;
                let e = crate::ast::Expr { kind: crate::ast::ExprKind::Name(n), span: sp };
                return Ok((k, NamedExpr { names: vec![], expr: e }));
            }
            _ => break,
        }
        span = Some(span.map_or(t.span, |s| s.to(t.span)));
        last = Some(t);
        j = j.advance_public(1);
    }
    let Some(span) = span else { return super::fail(i, "a column name or pattern") };
    let e = crate::ast::Expr { kind: crate::ast::ExprKind::Name(Ident { name: text, span }), span };
    Ok((j, NamedExpr { names: vec![], expr: e }))
}

// grammar: extend_op
fn parse_extend<'a>(i: Tokens<'a>, _: &Ident) -> PResult<'a, OpKind> {
    let (i, items) = parse_named_list_no_pipe(i)?;
    Ok((i, OpKind::Extend(items)))
}

// grammar: summarize_op
/// `summarize [hint.x=y] [aggs] [by keys]`
fn parse_summarize<'a>(i: Tokens<'a>, _: &Ident) -> PResult<'a, OpKind> {
    let (i, params) = parse_op_params(i, &|n| n.starts_with("hint."))?;
    let (i, aggs) = if at_kw(i, "by") { (i, vec![]) } else { parse_named_list_no_pipe(i)? };
    if at_kw(i, "by") {
        let (i, _) = kw(i, "by")?;
        let (i, by) = cut(parse_named_list_no_pipe(i))?;
        return Ok((i, OpKind::Summarize { params, aggs, by }));
    }
    Ok((i, OpKind::Summarize { params, aggs, by: vec![] }))
}

// grammar: sort_op
/// `sort by a [asc|desc] [nulls first|last], ...`
fn parse_sort<'a>(i: Tokens<'a>, _: &Ident) -> PResult<'a, OpKind> {
    let (i, _) = kw(i, "by")?;
    let (mut i, first) = parse_sort_key(i)?;
    let mut keys = vec![first];
    while at(i, Token::Comma) {
        let (j, k) = parse_sort_key(tok(i, Token::Comma, "")?.0)?;
        keys.push(k);
        i = j;
    }
    Ok((i, OpKind::Sort(keys)))
}

// grammar: sort_key
fn parse_sort_key(i: Tokens<'_>) -> PResult<'_, SortKey> {
    let (mut i, expr) = parse_expr_no_pipe(i)?;
    let mut asc = None;
    if at_kw(i, "asc") || at_kw(i, "desc") {
        asc = Some(at_kw(i, "asc"));
        i = i.advance_public(1);
    }
    let mut nulls_first = None;
    if at_kw(i, "nulls") {
        let (j, _) = kw(i, "nulls")?;
        if at_kw(j, "first") || at_kw(j, "last") {
            nulls_first = Some(at_kw(j, "first"));
            i = j.advance_public(1);
        } else {
            return super::fail(j, "'first' or 'last' after 'nulls'");
        }
    }
    Ok((i, SortKey { expr, asc, nulls_first }))
}

// grammar: top_op
/// `top 10 by x [asc|desc] [nulls first|last]`
fn parse_top<'a>(i: Tokens<'a>, _: &Ident) -> PResult<'a, OpKind> {
    let (i, count) = parse_expr_no_pipe(i)?;
    let (i, _) = kw(i, "by")?;
    let (i, key) = parse_sort_key(i)?;
    Ok((i, OpKind::Top { count, key }))
}

// grammar: take_op
fn parse_take<'a>(i: Tokens<'a>, _: &Ident) -> PResult<'a, OpKind> {
    let (i, n) = parse_expr_no_pipe(i)?;
    Ok((i, OpKind::Take(n)))
}

// grammar: sample_op
/// `sample N` or `sample-distinct N of Column`
fn parse_sample<'a>(i: Tokens<'a>, keyword: &Ident) -> PResult<'a, OpKind> {
    let (i, _) = parse_op_params(i, &|n| n.starts_with("hint."))?;
    let (i, count) = cut(parse_expr_no_pipe(i))?;
    if keyword.name == "sample" {
        return Ok((i, OpKind::Sample { count, of: None }));
    }
    let (i, _) = cut(kw(i, "of"))?;
    let (i, col) = cut(parse_expr_no_pipe(i))?;
    Ok((i, OpKind::Sample { count, of: Some(col) }))
}

// grammar: count_op
fn parse_count<'a>(i: Tokens<'a>, _: &Ident) -> PResult<'a, OpKind> {
    Ok((i, OpKind::Count))
}

// grammar: distinct_op
fn parse_distinct<'a>(i: Tokens<'a>, _: &Ident) -> PResult<'a, OpKind> {
    let (i, cols) = parse_expr_list_no_pipe(i)?;
    Ok((i, OpKind::Distinct(cols)))
}

fn parse_expr_list_no_pipe(mut i: Tokens<'_>) -> PResult<'_, Vec<crate::ast::Expr>> {
    let mut out = Vec::new();
    loop {
        // `distinct A, count = 1`: a named column, as the analyzer accepts
        let (j, e) = match parse_name(i) {
            Ok((j, name)) if at(j, Token::Assign) => {
                let (j, _) = tok(j, Token::Assign, "")?;
                let (j, value) = cut(parse_expr_no_pipe(j))?;
                let span = name.span.to(value.span);
                (j, crate::ast::Expr { kind: crate::ast::ExprKind::NamedArg { name, value: Box::new(value) }, span })
            }
            _ => parse_expr_no_pipe(i)?,
        };
        out.push(e);
        i = j;
        if at(i, Token::Comma) {
            i = tok(i, Token::Comma, "")?.0;
        } else {
            return Ok((i, out));
        }
    }
}

// grammar: join_op
/// `join [kind=K] [hint.x=y] Right on Key, $left.A == $right.B`; `lookup` has the same shape.
fn parse_join<'a>(i: Tokens<'a>, kw_: &Ident) -> PResult<'a, OpKind> {
    let (i, params) = parse_op_params(i, &|n| n == "kind" || n.starts_with("hint."))?;
    let (i, right) = parse_join_right(i)?;
    let (i, _) = kw(i, "on")?;
    let (mut i, first) = parse_join_cond(i)?;
    let mut on = vec![first];
    while at(i, Token::Comma) || at_kw(i, "and") {
        let (j, c) = parse_join_cond(i.advance_public(1))?;
        on.push(c);
        i = j;
    }
    if kw_.name == "lookup" {
        return Ok((i, OpKind::Lookup { params, right, on }));
    }
    Ok((i, OpKind::Join { params, right, on }))
}

/// The right side of a join: `(query)` or a name (possibly a call such as `table("X")`).
fn parse_join_right(i: Tokens<'_>) -> PResult<'_, crate::ast::Expr> {
    super::expr_primary_postfix(i)
}

// grammar: join_cond
fn parse_join_cond(i: Tokens<'_>) -> PResult<'_, JoinCond> {
    let side = |i: Tokens<'_>| -> Option<(String, Span)> {
        let t = i.first()?;
        if t.token == Token::Ident && (i.text(t) == "$left" || i.text(t) == "$right") {
            Some((i.text(t).to_string(), t.span))
        } else {
            None
        }
    };
    if let Some((s1, sp1)) = side(i) {
        let (j, _) = tok(i.advance_public(1), Token::Dot, "'.' after $left/$right")?;
        let (j, a) = parse_name(j)?;
        let (j, _) = tok(j, Token::EqEq, "'==' between the two sides")?;
        let Some((s2, _)) = side(j) else { return super::fail(j, "$left.Column or $right.Column") };
        let (j, _) = tok(j.advance_public(1), Token::Dot, "'.' after $left/$right")?;
        let (j, b) = parse_name(j)?;
        let span = sp1.to(b.span);
        if s1 == s2 {
            return cut_fail(i, "one $left and one $right column");
        }
        let (left, right) = if s1 == "$left" { (a, b) } else { (b, a) };
        return Ok((j, JoinCond::Pair { left, right, span }));
    }
    let (j, n) = parse_name(i)?;
    Ok((j, JoinCond::Same(n)))
}

// grammar: union_op
fn parse_union_op<'a>(i: Tokens<'a>, _: &Ident) -> PResult<'a, OpKind> {
    let (i, u) = parse_union_body(i)?;
    Ok((i, OpKind::Union(u)))
}

// grammar: render_op, render_prop
/// `render chart [with (name = value, list = a, b, ...)]`. The properties are checked by the binder.
fn parse_render<'a>(i: Tokens<'a>, _: &Ident) -> PResult<'a, OpKind> {
    let (i, visualization) = match (i.first(), i.peek(1)) {
        // `3Dchart` lexes as a number and a word
        (Some(n), Some(w)) if n.token == Token::Int && w.token == Token::Ident && adjacent(n, w) => {
            (i.advance_public(2), Ident { name: format!("{}{}", i.text(n), i.text(w)), span: n.span.to(w.span) })
        }
        _ => cut(parse_name(i))?,
    };
    if !at_kw(i, "with") {
        return Ok((i, OpKind::Render(ast::Render { visualization, props: vec![] })));
    }
    let (i, _) = kw(i, "with")?;
    let (mut i, _) = cut(tok(i, Token::LParen, "'(' after 'with'"))?;
    let mut props = Vec::new();
    while !at(i, Token::RParen) {
        let (j, name) = cut(parse_name(i))?;
        let (j, _) = cut(tok(j, Token::Assign, "'=' after a render property"))?;
        let (mut j, first) = cut(render_value(j))?;
        let mut values = vec![first];
        // a list goes on while a comma is followed by a value that is not the next `name =`
        while at(j, Token::Comma) && j.peek(2).map(|t| t.token) != Some(Token::Assign) && !at_rparen_after_comma(j) {
            let (k, v) = cut(render_value(j.advance_public(1)))?;
            values.push(v);
            j = k;
        }
        let span = name.span.to(values.last().map_or(name.span, |v| v.span));
        props.push(ast::RenderProp { name, values, span });
        i = j;
        if at(i, Token::Comma) {
            i = i.advance_public(1);
        } else {
            break;
        }
    }
    let (i, _) = cut(tok(i, Token::RParen, "',' or ')' in the render properties"))?;
    Ok((i, OpKind::Render(ast::Render { visualization, props })))
}

/// `, )`: a trailing comma before the closing parenthesis.
fn at_rparen_after_comma(i: Tokens<'_>) -> bool {
    i.peek(1).map(|t| t.token) == Some(Token::RParen)
}

// grammar: render_value
/// A render property value: a name, a string, a number (with its sign) or a bool, as text.
fn render_value(i: Tokens<'_>) -> PResult<'_, Ident> {
    let Some(t) = i.first() else { return fail(i, "a property value") };
    match t.token {
        Token::Str | Token::VerbatimStr => {
            Ok((i.advance_public(1), Ident { name: crate::lexer::string_value(t.token, i.text(t)), span: t.span }))
        }
        Token::Int | Token::Real | Token::Ident => {
            Ok((i.advance_public(1), Ident { name: i.text(t).to_string(), span: t.span }))
        }
        Token::Minus => match i.peek(1) {
            Some(n) if matches!(n.token, Token::Int | Token::Real) && adjacent(t, n) => {
                Ok((i.advance_public(2), Ident { name: format!("-{}", i.text(n)), span: t.span.to(n.span) }))
            }
            _ => fail(i, "a property value"),
        },
        Token::LBracket => parse_name(i),
        _ => fail(i, "a property value"),
    }
}

// grammar: mv_expand_op
/// `mv-expand [bagexpansion=array] [with_itemindex=I] A [to typeof(T)], B = x [limit N]`
fn parse_mv_expand<'a>(i: Tokens<'a>, _: &Ident) -> PResult<'a, OpKind> {
    let (i, params) = parse_op_params(i, &|n| matches!(n, "bagexpansion" | "with_itemindex" | "kind"))?;
    let (i, (items, limit)) = parse_expand_items(i)?;
    Ok((i, OpKind::MvExpand { params, items, limit }))
}

type ExpandItems = (Vec<(NamedExpr, Option<Ident>)>, Option<crate::ast::Expr>);

// grammar: expand_items
/// `x = arr to typeof(T), ... [limit N]` of mv-expand and mv-apply.
fn parse_expand_items(mut i: Tokens<'_>) -> PResult<'_, ExpandItems> {
    let mut items = Vec::new();
    loop {
        let (j, n) = named_no_pipe(i)?;
        i = j;
        let mut ty = None;
        if at_kw(i, "to") {
            let (j, _) = kw(i, "to")?;
            let (j, _) = kw(j, "typeof")?;
            let (j, _) = tok(j, Token::LParen, "'('")?;
            let (j, t) = parse_name(j)?;
            let (j, _) = tok(j, Token::RParen, "')'")?;
            ty = Some(t);
            i = j;
        }
        items.push((n, ty));
        if at(i, Token::Comma) {
            i = tok(i, Token::Comma, "")?.0;
        } else {
            break;
        }
    }
    let mut limit = None;
    if at_kw(i, "limit") {
        let (j, _) = kw(i, "limit")?;
        let (j, l) = parse_expr_no_pipe(j)?;
        limit = Some(l);
        i = j;
    }
    Ok((i, (items, limit)))
}

// grammar: mv_apply_op
/// `mv-apply [with_itemindex=I] items [limit N] on (op | op ...)`: the subquery has no source of its own.
fn parse_mv_apply<'a>(i: Tokens<'a>, _: &Ident) -> PResult<'a, OpKind> {
    let (i, params) = parse_op_params(i, &|n| matches!(n, "with_itemindex" | "context_id" | "kind" | "bagexpansion"))?;
    let (i, (items, limit)) = parse_expand_items(i)?;
    let (i, _) = cut(kw(i, "on"))?;
    let (i, _) = cut(tok(i, Token::LParen, "'(' and the subquery"))?;
    let (i, body) = super::separated(i, Token::Pipe, parse_operator)?;
    let (i, _) = cut(tok(i, Token::RParen, "')' closing the mv-apply subquery"))?;
    Ok((i, OpKind::MvApply { params, items, limit, body }))
}

// grammar: make_series_op
/// `make-series [kind=nonempty] agg [default = v], ... on Axis [from F] [to E] step S [by k, ...]`, or the
/// older `on Axis in range(F, E, S)`.
fn parse_make_series<'a>(i: Tokens<'a>, _: &Ident) -> PResult<'a, OpKind> {
    let (mut i, params) = parse_op_params(i, &|n| n == "kind" || n.starts_with("hint."))?;
    let mut aggs = Vec::new();
    loop {
        let (j, n) = cut(named_no_pipe(i))?;
        i = j;
        let mut default = None;
        if at_kw(i, "default") {
            let (j, _) = kw(i, "default")?;
            let (j, _) = cut(tok(j, Token::Assign, "'=' after default"))?;
            let (j, d) = cut(parse_expr_no_pipe(j))?;
            default = Some(d);
            i = j;
        }
        aggs.push((n, default));
        if at(i, Token::Comma) {
            i = tok(i, Token::Comma, "")?.0;
        } else {
            break;
        }
    }
    let (i, _) = cut(kw(i, "on"))?;
    // `on T in range(...)`: the axis is a name, and `in` is not the set operator here
    let legacy = |k: usize| i.peek(k).is_some_and(|t| t.token == Token::Ident && i.text(t) == "in");
    let (mut i, on) = if legacy(1) {
        let (j, n) = cut(parse_name(i))?;
        let span = n.span;
        (j, NamedExpr { names: vec![], expr: crate::ast::Expr { kind: crate::ast::ExprKind::Name(n), span } })
    } else if legacy(3) && i.peek(1).is_some_and(|t| t.token == Token::Assign) {
        let (j, name) = cut(parse_name(i))?;
        let (j, _) = tok(j, Token::Assign, "")?;
        let (j, n) = cut(parse_name(j))?;
        let span = n.span;
        (j, NamedExpr { names: vec![name], expr: crate::ast::Expr { kind: crate::ast::ExprKind::Name(n), span } })
    } else {
        cut(named_no_pipe(i))?
    };
    let (mut from, mut to, mut step) = (None, None, None);
    if at_kw(i, "in") {
        let (j, _) = kw(i, "in")?;
        let (j, _) = cut(kw(j, "range"))?;
        let (j, _) = cut(tok(j, Token::LParen, "'('"))?;
        let (j, f) = cut(parse_expr_no_pipe(j))?;
        let (j, _) = cut(tok(j, Token::Comma, "','"))?;
        let (j, t) = cut(parse_expr_no_pipe(j))?;
        let (j, _) = cut(tok(j, Token::Comma, "','"))?;
        let (j, s) = cut(parse_expr_no_pipe(j))?;
        let (j, _) = cut(tok(j, Token::RParen, "')'"))?;
        // the older form's stop is inclusive: the bins run up to the one that starts at `stop`
        let end = crate::ast::Expr {
            span: t.span,
            kind: crate::ast::ExprKind::Binary {
                op: crate::ast::BinOp::Add,
                left: Box::new(t),
                right: Box::new(s.clone()),
            },
        };
        (from, to, step) = (Some(f), Some(end), Some(s));
        i = j;
    } else {
        for word in ["from", "to", "step"] {
            if at_kw(i, word) {
                let (j, _) = kw(i, word)?;
                let (j, e) = cut(parse_expr_no_pipe(j))?;
                match word {
                    "from" => from = Some(e),
                    "to" => to = Some(e),
                    _ => step = Some(e),
                }
                i = j;
            }
        }
    }
    let Some(step) = step else { return cut_fail(i, "'step' and the bin size of the series") };
    let mut by = Vec::new();
    if at_kw(i, "by") {
        let (j, _) = kw(i, "by")?;
        let (j, b) = cut(parse_named_list_no_pipe(j))?;
        by = b;
        i = j;
    }
    Ok((i, OpKind::MakeSeries(Box::new(crate::ast::MakeSeries { params, aggs, on, from, to, step, by }))))
}

// grammar: invoke_op
fn parse_invoke<'a>(i: Tokens<'a>, _: &Ident) -> PResult<'a, OpKind> {
    let (i, call) = super::expr_primary_postfix(i)?;
    Ok((i, OpKind::Invoke(call)))
}

// grammar: as_op
fn parse_as<'a>(i: Tokens<'a>, _: &Ident) -> PResult<'a, OpKind> {
    let (i, _) = parse_op_params(i, &|n| n == "hint.materialized")?;
    let (i, n) = parse_name(i)?;
    Ok((i, OpKind::As(n)))
}

// grammar: getschema_op
fn parse_getschema<'a>(i: Tokens<'a>, _: &Ident) -> PResult<'a, OpKind> {
    Ok((i, OpKind::GetSchema))
}

// grammar: serialize_op
fn parse_serialize<'a>(i: Tokens<'a>, _: &Ident) -> PResult<'a, OpKind> {
    if i.first().is_none() || at(i, Token::Pipe) || at(i, Token::Semi) || at(i, Token::RParen) {
        return Ok((i, OpKind::Serialize(vec![])));
    }
    let (i, items) = parse_named_list_no_pipe(i)?;
    Ok((i, OpKind::Serialize(items)))
}

// grammar: parse_op
/// `parse [kind=simple|regex|relaxed] [flags=...] Expr with [*] "text" Col[:type] "text" ... [*]`
fn parse_parse<'a>(i: Tokens<'a>, op: &Ident) -> PResult<'a, OpKind> {
    use crate::ast::ParsePart;
    let (i, params) = parse_op_params(i, &|n| n == "kind" || n == "flags")?;
    let (i, source) = parse_expr_no_pipe(i)?;
    let (mut i, _) = kw(i, "with")?;
    let mut parts = Vec::new();
    while let Some(t) = i.first() {
        match t.token {
            Token::Star => {
                parts.push(ParsePart::Star);
                i = i.advance_public(1);
            }
            Token::Str | Token::VerbatimStr => {
                parts.push(ParsePart::Text(crate::lexer::string_value(t.token, i.text(t))));
                i = i.advance_public(1);
            }
            Token::Ident | Token::LBracket => {
                let (j, name) = parse_name(i)?;
                if at(j, Token::Colon) {
                    let (j, _) = tok(j, Token::Colon, "")?;
                    let (j, ty) = parse_name(j)?;
                    parts.push(ParsePart::Column(name, Some(ty)));
                    i = j;
                } else {
                    parts.push(ParsePart::Column(name, None));
                    i = j;
                }
            }
            _ => break,
        }
    }
    if parts.is_empty() {
        return super::fail(i, "a parse pattern: text, columns and *");
    }
    Ok((i, OpKind::Parse { params, source, parts, filter: op.name == "parse-where" }))
}

/// The plugins `evaluate` runs; any other is reported as not supported (with its name and span).
pub const PLUGINS: &[&str] = &["bag_unpack", "pivot", "ipv4_lookup"];

// grammar: evaluate_op
/// `evaluate [hint.distribution=single] plugin(args) [: ([*,] Name:type, ...)]`
fn parse_evaluate<'a>(i: Tokens<'a>, _: &Ident) -> PResult<'a, OpKind> {
    let (i, params) = parse_op_params(i, &|n| n.starts_with("hint."))?;
    let (i, plugin) = cut(parse_name(i))?;
    if !PLUGINS.contains(&plugin.name.as_str()) {
        return Err(nom::Err::Failure(super::PErr {
            span: plugin.span,
            special: Some(super::Special::Operator(format!("evaluate {}", plugin.name))),
            ..super::PErr::at(i, "")
        }));
    }
    let (i, _) = cut(tok(i, Token::LParen, "'(' and the plugin's arguments"))?;
    let (i, args) = cut(super::expr::parse_expr_list(i))?;
    let (mut i, _) = cut(tok(i, Token::RParen, "')' after the plugin's arguments"))?;
    let mut schema = None;
    if at(i, Token::Colon) {
        let (j, colon) = tok(i, Token::Colon, "")?;
        let (j, _) = cut(tok(j, Token::LParen, "'(' and the output schema"))?;
        let (mut j, star) = if at(j, Token::Star) {
            let (k, _) = tok(j, Token::Star, "")?;
            let k = if at(k, Token::Comma) { tok(k, Token::Comma, "")?.0 } else { k };
            (k, true)
        } else {
            (j, false)
        };
        let mut columns = Vec::new();
        while !at(j, Token::RParen) {
            let (k, name) = cut(parse_name(j))?;
            let (k, _) = cut(tok(k, Token::Colon, "':' and a type"))?;
            let (k, ty) = cut(parse_name(k))?;
            columns.push((name, ty));
            j = if at(k, Token::Comma) { tok(k, Token::Comma, "")?.0 } else { k };
        }
        let (j, close) = cut(tok(j, Token::RParen, "')' after the output schema"))?;
        schema = Some(crate::ast::OutputSchema { star, columns, span: colon.span.to(close.span) });
        i = j;
    }
    Ok((i, OpKind::Evaluate { params, plugin, args, schema }))
}

// grammar: search_op
/// `T | search [kind=case_sensitive|case_insensitive] Predicate`
fn parse_search_op<'a>(i: Tokens<'a>, _: &Ident) -> PResult<'a, OpKind> {
    let (i, params) = parse_op_params(i, &|n| n == "kind" || n.starts_with("hint."))?;
    let (i, pred) = cut(parse_expr_no_pipe(i))?;
    Ok((i, OpKind::Search { params, pred }))
}
