//! The operators of the wider hunting packs with a shape of their own: `partition`, `top-nested`, `facet`,
//! `parse-kv`, `scan` (the common table of keywords is `operators.rs`).

use super::expr::parse_op_params;
use super::operators::{named_no_pipe, parse_expr_no_pipe, parse_operator, prev_end, KUSTO_ONLY, OPERATORS};
use super::{at, at_kw, cut, hyphenated_word, kw, parse_name, tok, PResult, Tokens};
use crate::ast::{self, Ident, OpKind};
use crate::lexer::Token;

// grammar: partition_op
/// `partition [hint.strategy=native|shuffle|legacy ...] by Column (op | op ...)` or `{ op | op ... }`: the
/// subquery has no source of its own (a `{ }` subquery with a source is not supported).
pub(super) fn parse_partition<'a>(i: Tokens<'a>, _: &Ident) -> PResult<'a, OpKind> {
    let (i, params) = parse_op_params(i, &|n| n.starts_with("hint."))?;
    let (i, _) = cut(kw(i, "by"))?;
    let (i, by) = cut(parse_name(i))?;
    let (close, what) = if at(i, Token::LBrace) {
        (Token::RBrace, "'}' closing the partition subquery")
    } else {
        (Token::RParen, "')' closing the partition subquery")
    };
    let open = if close == Token::RBrace { Token::LBrace } else { Token::LParen };
    let (i, _) = cut(tok(i, open, "'(' and the subquery"))?;
    // `{ Storms | where x == Injuries }`: a subquery with its own source (its first word is no operator)
    let first_is_operator = hyphenated_word(i)
        .is_ok_and(|(_, w)| OPERATORS.iter().any(|(k, _)| *k == w.name) || KUSTO_ONLY.contains(&w.name.as_str()));
    if !first_is_operator {
        let (i, q) = cut(super::expr::parse_expr(i))?;
        let (i, _) = cut(tok(i, close, what))?;
        return Ok((i, OpKind::Partition { params, by, body: vec![], source: Some(Box::new(q)) }));
    }
    let (i, body) = super::separated(i, Token::Pipe, parse_operator)?;
    let (i, _) = cut(tok(i, close, what))?;
    Ok((i, OpKind::Partition { params, by, body, source: None }))
}

// grammar: top_nested_op
/// `top-nested [N] of [Name =] Expr [with others = V] by [Name =] Aggregation [asc | desc]`, then
/// `, top-nested ...` for each further level.
pub(super) fn parse_top_nested<'a>(mut i: Tokens<'a>, _: &Ident) -> PResult<'a, OpKind> {
    let mut levels = Vec::new();
    loop {
        let start = i.here();
        let (j, count) = if at_kw(i, "of") {
            (i, None)
        } else {
            let (j, n) = cut(parse_expr_no_pipe(i))?;
            (j, Some(n))
        };
        let (j, _) = cut(kw(j, "of"))?;
        let (j, of) = cut(named_no_pipe(j))?;
        let (j, others) = if at_kw(j, "with") {
            let (k, _) = kw(j, "with")?;
            let (k, _) = cut(kw(k, "others"))?;
            let (k, _) = cut(tok(k, Token::Assign, "'=' after others"))?;
            let (k, v) = cut(parse_expr_no_pipe(k))?;
            (k, Some(v))
        } else {
            (j, None)
        };
        let (j, _) = cut(kw(j, "by"))?;
        let (j, by) = cut(named_no_pipe(j))?;
        let (j, asc) = if at_kw(j, "asc") {
            (kw(j, "asc")?.0, true)
        } else if at_kw(j, "desc") {
            (kw(j, "desc")?.0, false)
        } else {
            (j, false)
        };
        levels.push(ast::TopNestedLevel { count, of, others, by, asc, span: start.to(prev_end(i, j)) });
        i = j;
        // `, top-nested ...`: the next level
        let next = i.peek(1).is_some_and(|t| t.token == Token::Ident && i.text(t) == "top-nested")
            || (i.peek(1).is_some_and(|t| i.text(t) == "top") && i.peek(2).is_some_and(|t| t.token == Token::Minus));
        if at(i, Token::Comma) && next {
            let (k, _) = tok(i, Token::Comma, "")?;
            let (k, _) = cut(hyphenated_word(k))?;
            i = k;
        } else {
            return Ok((i, OpKind::TopNested(levels)));
        }
    }
}

// grammar: facet_op
/// `facet by A, B [with (op | op ...)]`
pub(super) fn parse_facet<'a>(i: Tokens<'a>, _: &Ident) -> PResult<'a, OpKind> {
    let (i, _) = cut(kw(i, "by"))?;
    let (mut i, first) = cut(parse_name(i))?;
    let mut by = vec![first];
    while at(i, Token::Comma) {
        let (j, _) = tok(i, Token::Comma, "")?;
        let (j, n) = cut(parse_name(j))?;
        by.push(n);
        i = j;
    }
    if !at_kw(i, "with") {
        return Ok((i, OpKind::Facet { by, with: vec![] }));
    }
    let (i, _) = kw(i, "with")?;
    let (i, _) = cut(tok(i, Token::LParen, "'(' and the operators of the with table"))?;
    let (i, with) = super::separated(i, Token::Pipe, parse_operator)?;
    let (i, _) = cut(tok(i, Token::RParen, "')' closing facet's with"))?;
    Ok((i, OpKind::Facet { by, with }))
}

// grammar: parse_kv_op
/// `parse-kv Expr as (Key:type, ...) [with (name = value, ...)]`
pub(super) fn parse_parse_kv<'a>(i: Tokens<'a>, _: &Ident) -> PResult<'a, OpKind> {
    let (i, source) = cut(parse_expr_no_pipe(i))?;
    let (i, _) = cut(kw(i, "as"))?;
    let (i, _) = cut(tok(i, Token::LParen, "'(' and the keys with their types"))?;
    let (i, columns) = cut(super::statements::parse_column_decls(i))?;
    let (mut i, _) = cut(tok(i, Token::RParen, "')' after the keys"))?;
    let mut with = Vec::new();
    if at_kw(i, "with") {
        let (mut j, _) = kw(i, "with")?;
        j = cut(tok(j, Token::LParen, "'(' and the options"))?.0;
        while !at(j, Token::RParen) {
            let (k, n) = cut(parse_name(j))?;
            let (k, _) = cut(tok(k, Token::Assign, "'=' after the option name"))?;
            let (k, v) = cut(parse_expr_no_pipe(k))?;
            with.push((n, v));
            j = k;
            if at(j, Token::Comma) {
                j = tok(j, Token::Comma, "")?.0;
            } else {
                break;
            }
        }
        i = cut(tok(j, Token::RParen, "')' after the options"))?.0;
    }
    Ok((i, OpKind::ParseKv { source, columns, with }))
}

// grammar: scan_op
/// `scan [with_match_id = Name] [declare (Col:type [= default], ...)] with (step s1 [output = all | last |
/// none]: Condition [=> Col = Expr, ...]; ...)`
pub(super) fn parse_scan<'a>(mut i: Tokens<'a>, _: &Ident) -> PResult<'a, OpKind> {
    let mut match_id = None;
    if at_kw(i, "with_match_id") {
        let (j, _) = kw(i, "with_match_id")?;
        let (j, _) = cut(tok(j, Token::Assign, "'=' after with_match_id"))?;
        let (j, n) = cut(parse_name(j))?;
        match_id = Some(n);
        i = j;
    }
    let mut declare = Vec::new();
    if at_kw(i, "declare") {
        let (mut j, _) = kw(i, "declare")?;
        j = cut(tok(j, Token::LParen, "'(' and the declared columns"))?.0;
        loop {
            let (k, n) = cut(parse_name(j))?;
            let (k, _) = cut(tok(k, Token::Colon, "':' and a type after the column name"))?;
            let (mut k, t) = cut(parse_name(k))?;
            let mut default = None;
            if at(k, Token::Assign) {
                let (m, _) = tok(k, Token::Assign, "")?;
                let (m, v) = cut(parse_expr_no_pipe(m))?;
                default = Some(v);
                k = m;
            }
            declare.push((n, t, default));
            j = k;
            if at(j, Token::Comma) {
                j = tok(j, Token::Comma, "")?.0;
            } else {
                break;
            }
        }
        i = cut(tok(j, Token::RParen, "')' after the declared columns"))?.0;
    }
    let (mut i, _) = cut(kw(i, "with"))?;
    i = cut(tok(i, Token::LParen, "'(' and the scan's steps"))?.0;
    let mut steps = Vec::new();
    while !at(i, Token::RParen) {
        let (j, _) = cut(kw(i, "step"))?;
        let (mut j, name) = cut(parse_name(j))?;
        let mut output = None;
        if at_kw(j, "output") {
            let (k, _) = kw(j, "output")?;
            let (k, _) = cut(tok(k, Token::Assign, "'=' after output"))?;
            let (k, o) = cut(parse_name(k))?;
            output = Some(o);
            j = k;
        }
        let (j, _) = cut(tok(j, Token::Colon, "':' and the step's condition"))?;
        let (mut j, condition) = cut(parse_expr_no_pipe(j))?;
        let mut assignments = Vec::new();
        if at(j, Token::FatArrow) {
            j = tok(j, Token::FatArrow, "")?.0;
            loop {
                let (k, n) = cut(parse_name(j))?;
                let (k, _) = cut(tok(k, Token::Assign, "'=' after the column name"))?;
                let (k, v) = cut(parse_expr_no_pipe(k))?;
                assignments.push((n, v));
                j = k;
                if at(j, Token::Comma) {
                    j = tok(j, Token::Comma, "")?.0;
                } else {
                    break;
                }
            }
        }
        // the `;` after the last step may be left out
        if at(j, Token::Semi) {
            j = tok(j, Token::Semi, "")?.0;
        } else if !at(j, Token::RParen) {
            j = cut(tok(j, Token::Semi, "';' after the step"))?.0;
        }
        steps.push(ast::ScanStep { name, output, condition, assignments });
        i = j;
    }
    let (i, _) = cut(tok(i, Token::RParen, "')' closing the scan's steps"))?;
    Ok((i, OpKind::Scan(Box::new(ast::Scan { match_id, declare, steps }))))
}
