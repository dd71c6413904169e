//! Expressions with Kusto precedence: `|` pipes < `or` < `and` < comparisons and string operators < `+ -` <
//! `* / %` < unary minus < postfix (`.x`, `[i]`, calls).

use super::literals::{parse_literal_token, parse_typed_literal};
use super::operators::parse_operator;
use super::statements::parse_column_decls;
use super::{adjacent, at, at_kw, cut, fail, kw, nested, parse_name, tok, PResult, Tokens};
use crate::ast::{BinOp, Expr, ExprKind, OpParam, SetOpKind, Union};
use crate::lexer::Token;

/// Binary operators written as words, with their `!` negation and `_cs` forms: (word, op, negated op).
const WORD_OPS: &[(&str, BinOp, BinOp)] = &[
    ("has", BinOp::Has, BinOp::NotHas),
    ("has_cs", BinOp::HasCs, BinOp::NotHasCs),
    ("hasprefix", BinOp::HasPrefix, BinOp::NotHasPrefix),
    ("hassuffix", BinOp::HasSuffix, BinOp::NotHasSuffix),
    ("contains", BinOp::Contains, BinOp::NotContains),
    ("contains_cs", BinOp::ContainsCs, BinOp::NotContainsCs),
    ("startswith", BinOp::StartsWith, BinOp::NotStartsWith),
    ("startswith_cs", BinOp::StartsWithCs, BinOp::NotStartsWithCs),
    ("endswith", BinOp::EndsWith, BinOp::NotEndsWith),
    ("endswith_cs", BinOp::EndsWithCs, BinOp::NotEndsWithCs),
];

// grammar: expr
/// A full expression, pipes included: `T | where x | take 1`.
pub fn parse_expr(i: Tokens<'_>) -> PResult<'_, Expr> {
    nested(i, |i| {
        let (i, e) = parse_or(i)?;
        parse_pipes(i, e)
    })
}

/// `| op | op ...` applied to `e`.
pub fn parse_pipes(mut i: Tokens<'_>, mut e: Expr) -> PResult<'_, Expr> {
    while at(i, Token::Pipe) {
        let (j, _) = tok(i, Token::Pipe, "'|'")?;
        let (j, op) = cut(parse_operator(j))?;
        let span = e.span.to(op.span);
        e = Expr { kind: ExprKind::Pipe { source: Box::new(e), op: Box::new(op) }, span };
        i = j;
    }
    Ok((i, e))
}

/// Longest chain of one binary operator (`a or b or ...`) the parser accepts: deeper expression trees
/// exhaust the stack further down (DataFusion clones expressions recursively).
pub const MAX_CHAIN: usize = 1000;

/// Fails with `too_deep` once a chain has more than [`MAX_CHAIN`] operands.
fn chain_guard<'a>(i: Tokens<'a>, n: &mut usize) -> PResult<'a, ()> {
    *n += 1;
    if *n > MAX_CHAIN {
        return Err(nom::Err::Failure(super::PErr { too_deep: true, ..super::PErr::at(i, "") }));
    }
    Ok((i, ()))
}

fn binary(op: BinOp, left: Expr, right: Expr) -> Expr {
    let span = left.span.to(right.span);
    Expr { kind: ExprKind::Binary { op, left: Box::new(left), right: Box::new(right) }, span }
}

// grammar: or_expr
pub fn parse_or(i: Tokens<'_>) -> PResult<'_, Expr> {
    let (mut i, mut e) = parse_and(i)?;
    let mut n = 0;
    while at_kw(i, "or") {
        chain_guard(i, &mut n)?;
        let (j, _) = kw(i, "or")?;
        let (j, r) = cut(parse_and(j))?;
        e = binary(BinOp::Or, e, r);
        i = j;
    }
    Ok((i, e))
}

// grammar: and_expr
fn parse_and(i: Tokens<'_>) -> PResult<'_, Expr> {
    let (mut i, mut e) = parse_comparison(i)?;
    let mut n = 0;
    while at_kw(i, "and") {
        chain_guard(i, &mut n)?;
        let (j, _) = kw(i, "and")?;
        let (j, r) = cut(parse_comparison(j))?;
        e = binary(BinOp::And, e, r);
        i = j;
    }
    Ok((i, e))
}

/// What follows the left operand of a comparison.
enum CmpOp {
    Bin(BinOp, usize),
    Set(SetOpKind, usize),
    Between(bool, usize),
}

// grammar: cmp_op, set_op
/// Recognises a comparison or string operator at the head of `i`, with its token count.
fn comparison_op(i: Tokens<'_>) -> Option<CmpOp> {
    let t0 = i.peek(0)?;
    let word = |n: usize| i.peek(n).filter(|t| t.token == Token::Ident).map(|t| i.text(t));
    let simple = match t0.token {
        // `where b = true`: a single `=` where a comparison is expected compares, as Kusto's parser accepts
        // (names, `name = value` arguments and options are recognised before an expression is parsed)
        Token::EqEq | Token::Assign => Some(BinOp::Eq),
        Token::NotEq | Token::LtGt => Some(BinOp::NotEq),
        Token::Lt => Some(BinOp::Lt),
        Token::Le => Some(BinOp::Le),
        Token::Gt => Some(BinOp::Gt),
        Token::Ge => Some(BinOp::Ge),
        Token::EqTilde => Some(BinOp::EqCi),
        // `Column : "term"` (search)
        Token::Colon => Some(BinOp::SearchTerm),
        Token::BangTilde => Some(BinOp::NotEqCi),
        _ => None,
    };
    if let Some(op) = simple {
        return Some(CmpOp::Bin(op, 1));
    }
    let tilde_after = |n: usize| matches!((i.peek(n), i.peek(n + 1)), (Some(a), Some(b)) if b.token == Token::Tilde && adjacent(a, b));
    if t0.token == Token::Bang {
        let w = word(1).filter(|_| i.peek(1).is_some_and(|t| adjacent(t0, t)))?;
        if w == "in" {
            return Some(if tilde_after(1) {
                CmpOp::Set(SetOpKind::NotInCi, 3)
            } else {
                CmpOp::Set(SetOpKind::NotIn, 2)
            });
        }
        if w == "between" {
            return Some(CmpOp::Between(true, 2));
        }
        return WORD_OPS.iter().find(|(k, _, _)| *k == w).map(|(_, _, neg)| CmpOp::Bin(*neg, 2));
    }
    let w = word(0)?;
    match w {
        "in" => Some(if tilde_after(0) { CmpOp::Set(SetOpKind::InCi, 2) } else { CmpOp::Set(SetOpKind::In, 1) }),
        "has_any" => Some(CmpOp::Set(SetOpKind::HasAny, 1)),
        "has_all" => Some(CmpOp::Set(SetOpKind::HasAll, 1)),
        "between" => Some(CmpOp::Between(false, 1)),
        "matches" if word(1) == Some("regex") => Some(CmpOp::Bin(BinOp::MatchesRegex, 2)),
        // legacy spellings of !contains and !contains_cs, which Kusto still accepts
        "notcontains" => Some(CmpOp::Bin(BinOp::NotContains, 1)),
        "notcontainscs" => Some(CmpOp::Bin(BinOp::NotContainsCs, 1)),
        "containscs" => Some(CmpOp::Bin(BinOp::ContainsCs, 1)),
        _ => WORD_OPS.iter().find(|(k, _, _)| *k == w).map(|(_, op, _)| CmpOp::Bin(*op, 1)),
    }
}

// grammar: comparison
fn parse_comparison(i: Tokens<'_>) -> PResult<'_, Expr> {
    let (mut i, mut e) = parse_additive(i)?;
    let mut n = 0;
    while let Some(op) = comparison_op(i) {
        chain_guard(i, &mut n)?;
        match op {
            CmpOp::Bin(op, n) => {
                let (j, r) = cut(parse_additive(i.advance_public(n)))?;
                e = binary(op, e, r);
                i = j;
            }
            CmpOp::Set(op, n) => {
                let (j, (list, close)) = cut(parse_paren_list(i.advance_public(n)))?;
                let span = e.span.to(close);
                e = Expr { kind: ExprKind::SetOp { op, value: Box::new(e), list }, span };
                i = j;
            }
            CmpOp::Between(negated, n) => {
                let j = i.advance_public(n);
                let (j, _) = cut(tok(j, Token::LParen, "'(' after between"))?;
                let (j, low) = cut(parse_additive(j))?;
                let (j, _) = cut(tok(j, Token::DotDot, "'..' between the bounds"))?;
                let (j, high) = cut(parse_additive(j))?;
                let (j, close) = cut(tok(j, Token::RParen, "')' after the range"))?;
                let span = e.span.to(close.span);
                e = Expr {
                    kind: ExprKind::Between { negated, value: Box::new(e), low: Box::new(low), high: Box::new(high) },
                    span,
                };
                i = j;
            }
        }
    }
    Ok((i, e))
}

/// `( expr, expr, ... )`; items may be whole pipelines (sub-queries). Returns the items and the `)` span.
fn parse_paren_list(i: Tokens<'_>) -> PResult<'_, (Vec<Expr>, crate::source::Span)> {
    let (i, _) = tok(i, Token::LParen, "'(' and a list of values")?;
    let (i, items) = parse_expr_list(i)?;
    let (i, close) = tok(i, Token::RParen, "')' or ',' in the list")?;
    Ok((i, (items, close.span)))
}

/// Comma-separated expressions (possibly none, a trailing comma allowed) up to a closing token; an item may
/// be a named argument `name = value`.
pub fn parse_expr_list(mut i: Tokens<'_>) -> PResult<'_, Vec<Expr>> {
    let mut items = Vec::new();
    loop {
        if at(i, Token::RParen) || at(i, Token::RBracket) {
            return Ok((i, items));
        }
        let named =
            matches!((i.peek(0), i.peek(1)), (Some(a), Some(b)) if a.token == Token::Ident && b.token == Token::Assign);
        let (j, e) = if named {
            let (j, name) = parse_name(i)?;
            let (j, _) = tok(j, Token::Assign, "")?;
            let (j, value) = cut(parse_expr(j))?;
            let span = name.span.to(value.span);
            (j, Expr { kind: ExprKind::NamedArg { name, value: Box::new(value) }, span })
        } else {
            parse_expr(i)?
        };
        items.push(e);
        i = j;
        if at(i, Token::Comma) {
            i = tok(i, Token::Comma, "")?.0;
        } else {
            return Ok((i, items));
        }
    }
}

// grammar: additive
fn parse_additive(i: Tokens<'_>) -> PResult<'_, Expr> {
    let (mut i, mut e) = parse_multiplicative(i)?;
    let mut n = 0;
    loop {
        let op = match i.first().map(|t| t.token) {
            Some(Token::Plus) => BinOp::Add,
            Some(Token::Minus) => BinOp::Sub,
            _ => return Ok((i, e)),
        };
        chain_guard(i, &mut n)?;
        let (j, r) = cut(parse_multiplicative(i.advance_public(1)))?;
        e = binary(op, e, r);
        i = j;
    }
}

// grammar: multiplicative
fn parse_multiplicative(i: Tokens<'_>) -> PResult<'_, Expr> {
    let (mut i, mut e) = parse_unary(i)?;
    let mut n = 0;
    loop {
        let op = match i.first().map(|t| t.token) {
            Some(Token::Star) => BinOp::Mul,
            Some(Token::Slash) => BinOp::Div,
            Some(Token::Percent) => BinOp::Mod,
            _ => return Ok((i, e)),
        };
        chain_guard(i, &mut n)?;
        let (j, r) = cut(parse_unary(i.advance_public(1)))?;
        e = binary(op, e, r);
        i = j;
    }
}

// grammar: unary
fn parse_unary(i: Tokens<'_>) -> PResult<'_, Expr> {
    match i.first() {
        Some(t) if t.token == Token::Minus => {
            let (j, e) = nested(i.advance_public(1), parse_unary)?;
            let span = t.span.to(e.span);
            // fold a literal number's sign into it, so `-5` is a literal
            let kind = match e.kind {
                ExprKind::Literal(crate::ast::Literal::Long(v)) => ExprKind::Literal(crate::ast::Literal::Long(-v)),
                ExprKind::Literal(crate::ast::Literal::Real(v)) => ExprKind::Literal(crate::ast::Literal::Real(-v)),
                ExprKind::Literal(crate::ast::Literal::Timespan(v)) => {
                    ExprKind::Literal(crate::ast::Literal::Timespan(-v))
                }
                other => ExprKind::Neg(Box::new(Expr { kind: other, span: e.span })),
            };
            Ok((j, Expr { kind, span }))
        }
        Some(t) if t.token == Token::Plus => parse_unary(i.advance_public(1)),
        _ => parse_postfix(i),
    }
}

// grammar: postfix
pub fn parse_postfix(i: Tokens<'_>) -> PResult<'_, Expr> {
    let (mut i, mut e) = parse_primary(i)?;
    loop {
        match i.first().map(|t| t.token) {
            // `.[expr]` is an index written after a dot (`parse_json(T).[0].name`); `.['k']` stays a name
            Some(Token::Dot)
                if i.peek(1).map(|t| t.token) == Some(Token::LBracket)
                    && !matches!(i.peek(2).map(|t| t.token), Some(Token::Str | Token::VerbatimStr)) =>
            {
                i = i.advance_public(1);
            }
            Some(Token::Dot) => {
                let (j, _) = tok(i, Token::Dot, "")?;
                let (j, name) = cut(parse_name(j))?;
                let span = e.span.to(name.span);
                e = Expr { kind: ExprKind::Member { target: Box::new(e), name }, span };
                i = j;
            }
            Some(Token::LBracket) => {
                let (j, _) = tok(i, Token::LBracket, "")?;
                let (j, idx) = cut(parse_expr(j))?;
                let (j, close) = cut(tok(j, Token::RBracket, "']'"))?;
                let span = e.span.to(close.span);
                e = Expr { kind: ExprKind::Index { target: Box::new(e), index: Box::new(idx) }, span };
                i = j;
            }
            _ => return Ok((i, e)),
        }
    }
}

pub(super) const TYPE_NAMES: &[&str] = &[
    "bool", "boolean", "int", "long", "real", "double", "decimal", "string", "datetime", "date", "timespan", "time",
    "guid", "dynamic",
];

// grammar: primary
fn parse_primary(i: Tokens<'_>) -> PResult<'_, Expr> {
    let Some(t) = i.first() else { return fail(i, "an expression") };
    match t.token {
        Token::LParen => nested(i, |i| {
            let (i, open) = tok(i, Token::LParen, "")?;
            let (i, e) = cut(parse_expr(i))?;
            let (i, close) = cut(tok(i, Token::RParen, "')'"))?;
            Ok((i, Expr { kind: ExprKind::Paren(Box::new(e)), span: open.span.to(close.span) }))
        }),
        Token::Star => Ok((i.advance_public(1), Expr { kind: ExprKind::Star, span: t.span })),
        Token::LBracket => {
            let (j, name) = parse_name(i)?;
            let span = name.span;
            Ok((j, Expr { kind: ExprKind::Name(name), span }))
        }
        Token::Ident => parse_word(i, t),
        _ => match parse_literal_token(i)? {
            (j, Some(lit)) => Ok((j, Expr { kind: ExprKind::Literal(lit), span: t.span })),
            (_, None) => fail(i, "an expression"),
        },
    }
}

/// A primary that starts with a word: a source keyword, a typed literal, a call, or a name.
fn parse_word<'a>(i: Tokens<'a>, t: crate::lexer::Tok) -> PResult<'a, Expr> {
    let word = i.text(t);
    let next = i.peek(1).map(|t| t.token);
    match word {
        "true" | "false" => {
            let lit = crate::ast::Literal::Bool(word == "true");
            return Ok((i.advance_public(1), Expr { kind: ExprKind::Literal(lit), span: t.span }));
        }
        "union" if matches!(next, Some(Token::Ident) | Some(Token::LParen) | Some(Token::Star)) => {
            return parse_union_source(i)
        }
        "datatable" if next == Some(Token::LParen) => return parse_datatable(i),
        "search"
            if matches!(next, Some(Token::Str) | Some(Token::Star) | Some(Token::LParen))
                || i.peek(1).is_some_and(|n| n.token == Token::Ident && matches!(i.text(n), "in" | "kind")) =>
        {
            return parse_search_source(i)
        }
        "find"
            if matches!(next, Some(Token::Ident))
                && i.peek(1).is_some_and(|n| matches!(i.text(n), "in" | "where" | "withsource")) =>
        {
            return parse_find(i)
        }
        "externaldata" if next == Some(Token::LParen) => return parse_externaldata(i),
        "print" if !matches!(next, None | Some(Token::Pipe | Token::RParen | Token::Semi | Token::Comma)) => {
            let (j, _) = kw(i, "print")?;
            let (j, items) = cut(super::operators::parse_named_list_no_pipe(j))?;
            let span = t.span.to(items.last().map(|n| n.expr.span).unwrap_or(t.span));
            return Ok((j, Expr { kind: ExprKind::Print(items), span }));
        }
        "range" if next == Some(Token::Ident) && at_kw(i.advance_public(2), "from") => return parse_range(i),
        "typeof" if next == Some(Token::LParen) => {
            let (j, _) = tok(i.advance_public(1), Token::LParen, "")?;
            let (j, ty) = cut(parse_name(j))?;
            let (j, close) = cut(tok(j, Token::RParen, "')'"))?;
            return Ok((j, Expr { kind: ExprKind::TypeOf(ty), span: t.span.to(close.span) }));
        }
        _ => {}
    }
    if next == Some(Token::LParen) && TYPE_NAMES.contains(&word) {
        return parse_typed_literal(i);
    }
    let (j, name) = parse_name(i)?;
    if at(j, Token::LParen) {
        let (j, _) = tok(j, Token::LParen, "")?;
        let (j, args) = cut(parse_expr_list(j))?;
        let (j, close) = cut(tok(j, Token::RParen, "')' or ',' after the arguments"))?;
        let span = name.span.to(close.span);
        return Ok((j, Expr { kind: ExprKind::Call { name, args }, span }));
    }
    let span = name.span;
    Ok((j, Expr { kind: ExprKind::Name(name), span }))
}

// grammar: op_params
/// `kind=inner isfuzzy=true hint.strategy=shuffle withsource=T`: only names `accept` admits.
pub fn parse_op_params<'a>(mut i: Tokens<'a>, accept: &dyn Fn(&str) -> bool) -> PResult<'a, Vec<OpParam>> {
    let mut out = Vec::new();
    loop {
        let Some(t) = i.first().filter(|t| t.token == Token::Ident) else { return Ok((i, out)) };
        // dotted names: hint.strategy
        let mut n = 1;
        let mut name = i.text(t).to_string();
        let mut span = t.span;
        while let (Some(d), Some(w)) = (i.peek(n), i.peek(n + 1)) {
            if d.token == Token::Dot && w.token == Token::Ident {
                name.push('.');
                name.push_str(i.text(w));
                span = span.to(w.span);
                n += 2;
            } else {
                break;
            }
        }
        if i.peek(n).map(|t| t.token) != Some(Token::Assign) || !accept(&name) {
            return Ok((i, out));
        }
        let j = i.advance_public(n + 1);
        let Some(v) = j.first() else { return fail(j, "a value after '='") };
        let value_text = match v.token {
            Token::Str | Token::VerbatimStr => crate::lexer::string_value(v.token, j.text(v)),
            _ => j.text(v).to_string(),
        };
        let value = crate::ast::Ident { name: value_text, span: v.span };
        out.push(OpParam { name: crate::ast::Ident { name, span }, value });
        i = j.advance_public(1);
    }
}

// grammar: union
/// `union [kind=outer] [isfuzzy=true] [withsource=Name] A, (B | where x), C*`
pub fn parse_union_body(i: Tokens<'_>) -> PResult<'_, Union> {
    let start = i.here();
    let (mut i, params) =
        parse_op_params(i, &|n| matches!(n, "kind" | "isfuzzy" | "withsource" | "hint.concurrency" | "hint.spread"))?;
    let mut legs = Vec::new();
    loop {
        // `Device*`, `*Events`: a table-name pattern, its `*` glued to the name
        let starry = matches!((i.peek(0), i.peek(1)), (Some(a), Some(b))
            if matches!(a.token, Token::Ident | Token::Star) && b.token == Token::Star && adjacent(a, b))
            || matches!((i.peek(0), i.peek(1)), (Some(a), Some(b))
            if a.token == Token::Star && b.token == Token::Ident && adjacent(a, b));
        let (j, leg) = if starry {
            let (j, n) = super::operators::parse_wildcard_name(i)?;
            (j, n.expr)
        } else {
            cut(parse_postfix(i))?
        };
        legs.push(leg);
        i = j;
        if at(i, Token::Comma) {
            i = tok(i, Token::Comma, "")?.0;
        } else {
            break;
        }
    }
    let span = start.to(legs.last().map(|l| l.span).unwrap_or(start));
    Ok((i, Union { params, legs, span }))
}

fn parse_union_source(i: Tokens<'_>) -> PResult<'_, Expr> {
    let (i, start) = kw(i, "union")?;
    let (i, u) = parse_union_body(i)?;
    let span = start.to(u.span);
    Ok((i, Expr { kind: ExprKind::Union(u), span }))
}

// grammar: datatable
/// `datatable(A:string, B:long) ["x", 1, "y", 2]`
fn parse_datatable(i: Tokens<'_>) -> PResult<'_, Expr> {
    let (i, start) = kw(i, "datatable")?;
    let (i, _) = cut(tok(i, Token::LParen, "'('"))?;
    let (i, columns) = cut(parse_column_decls(i))?;
    let (i, _) = cut(tok(i, Token::RParen, "')' after the columns"))?;
    let (i, _) = cut(tok(i, Token::LBracket, "'[' and the values"))?;
    let (i, values) = cut(parse_expr_list(i))?;
    let (i, close) = cut(tok(i, Token::RBracket, "']' after the values"))?;
    Ok((i, Expr { kind: ExprKind::Datatable { columns, values }, span: start.to(close.span) }))
}

// grammar: externaldata
/// `externaldata(A:string, B:long) [h@"https://...", "..."] [with (format="csv", ignoreFirstRecord=true)]`
fn parse_externaldata(i: Tokens<'_>) -> PResult<'_, Expr> {
    let (i, start) = kw(i, "externaldata")?;
    let (i, _) = cut(tok(i, Token::LParen, "'('"))?;
    let (i, columns) = cut(parse_column_decls(i))?;
    let (i, _) = cut(tok(i, Token::RParen, "')' after the columns"))?;
    let (i, _) = cut(tok(i, Token::LBracket, "'[' and the storage URIs"))?;
    let (i, uris) = cut(parse_expr_list(i))?;
    let (mut i, mut end) = cut(tok(i, Token::RBracket, "']' after the URIs"))?;
    let mut with = Vec::new();
    if at_kw(i, "with") && i.peek(1).map(|t| t.token) == Some(Token::LParen) {
        let (j, _) = kw(i, "with")?;
        let (mut j, _) = tok(j, Token::LParen, "")?;
        loop {
            let (k, params) = parse_op_params(j, &|_| true)?;
            with.extend(params);
            j = k;
            if at(j, Token::Comma) {
                j = tok(j, Token::Comma, "")?.0;
            } else {
                break;
            }
        }
        let (j, close) = cut(tok(j, Token::RParen, "')' after the with options"))?;
        i = j;
        end = close;
    }
    Ok((i, Expr { kind: ExprKind::ExternalData { columns, uris, with }, span: start.to(end.span) }))
}

// grammar: range
/// `range x from 1 to 10 step 1`
fn parse_range(i: Tokens<'_>) -> PResult<'_, Expr> {
    let (i, start) = kw(i, "range")?;
    let (i, name) = cut(parse_name(i))?;
    let (i, _) = cut(kw(i, "from"))?;
    let (i, from) = cut(parse_additive(i))?;
    let (i, _) = cut(kw(i, "to"))?;
    let (i, to) = cut(parse_additive(i))?;
    let (i, _) = cut(kw(i, "step"))?;
    let (i, step) = cut(parse_additive(i))?;
    let span = start.to(step.span);
    Ok((i, Expr { kind: ExprKind::Range { name, from: Box::new(from), to: Box::new(to), step: Box::new(step) }, span }))
}

impl<'a> Tokens<'a> {
    /// Skips `n` tokens.
    pub fn advance_public(&self, n: usize) -> Self {
        self.advance(n)
    }
}

// grammar: search
// grammar: find
/// `find [withsource=Name] [in (T1, T2*, (T3 | where ...))] where Predicate [project-smart | project a,
/// b:type, pack(*)]`
fn parse_find(i: Tokens<'_>) -> PResult<'_, Expr> {
    let (i, start) = kw(i, "find")?;
    let (mut i, params) = parse_op_params(i, &|n| n == "withsource" || n.starts_with("hint."))?;
    let mut tables = None;
    if at_kw(i, "in") {
        let (j, _) = kw(i, "in")?;
        let (j, _) = cut(tok(j, Token::LParen, "'(' and the tables to look in"))?;
        let (j, u) = cut(parse_union_body(j))?;
        let (j, _) = cut(tok(j, Token::RParen, "')' after the tables"))?;
        tables = Some(u.legs);
        i = j;
    }
    let (i, _) = cut(kw(i, "where"))?;
    let (mut i, pred) = cut(parse_or(i))?;
    let mut end = pred.span;
    let mut project = None;
    if at_kw(i, "project-smart") || (at_kw(i, "project") && i.peek(1).is_some_and(|t| t.token == Token::Minus)) {
        let (j, w) = cut(super::hyphenated_word(i))?;
        end = w.span;
        i = j;
    } else if at_kw(i, "project") {
        let (mut j, _) = kw(i, "project")?;
        let mut items = Vec::new();
        loop {
            // `pack(*)` / `pack_all()`: the rest of the row as pack_
            if (at_kw(j, "pack") || at_kw(j, "pack_all")) && j.peek(1).is_some_and(|t| t.token == Token::LParen) {
                let mut k = j.advance_public(2);
                if at(k, Token::Star) {
                    k = k.advance_public(1);
                }
                let (k, close) = cut(tok(k, Token::RParen, "')'"))?;
                end = close.span;
                items.push(None);
                j = k;
            } else {
                let (k, n) = cut(parse_name(j))?;
                end = n.span;
                let (k, ty) = if at(k, Token::Colon) {
                    let (k, _) = tok(k, Token::Colon, "")?;
                    let (k, t) = cut(parse_name(k))?;
                    end = t.span;
                    (k, Some(t))
                } else {
                    (k, None)
                };
                items.push(Some((n, ty)));
                j = k;
            }
            if at(j, Token::Comma) {
                j = tok(j, Token::Comma, "")?.0;
            } else {
                break;
            }
        }
        project = Some(items);
        i = j;
    }
    let span = start.to(end);
    Ok((i, Expr { kind: ExprKind::Find(Box::new(crate::ast::Find { params, tables, pred, project })), span }))
}

/// `search [kind=case_sensitive|case_insensitive] [in (T1, T2, ...)] Predicate` as a query's source.
fn parse_search_source(i: Tokens<'_>) -> PResult<'_, Expr> {
    let (i, start) = kw(i, "search")?;
    let (mut i, params) = parse_op_params(i, &|n| n == "kind" || n.starts_with("hint."))?;
    let mut tables = None;
    if at_kw(i, "in") {
        let (j, _) = kw(i, "in")?;
        let (j, _) = cut(tok(j, Token::LParen, "'(' and the tables to search"))?;
        let (j, names) = super::separated(j, Token::Comma, parse_name)?;
        let (j, _) = cut(tok(j, Token::RParen, "')' after the tables"))?;
        tables = Some(names);
        i = j;
    }
    let (i, pred) = cut(parse_or(i))?;
    let span = start.to(pred.span);
    Ok((i, Expr { kind: ExprKind::Search { params, tables, pred: Box::new(pred) }, span }))
}

#[cfg(test)]
mod tests {
    use crate::ast::*;
    use crate::parser::parse_str;

    fn query(q: &str) -> Expr {
        match parse_str(q).unwrap().statements.pop().unwrap() {
            Statement::Query(e) => e,
            s => panic!("not a query: {s:?}"),
        }
    }

    #[test]
    fn precedence() {
        let e = query("a + b * c == d and not(e) or f");
        let ExprKind::Binary { op: BinOp::Or, left, .. } = e.kind else { panic!() };
        let ExprKind::Binary { op: BinOp::And, left, .. } = left.kind else { panic!() };
        let ExprKind::Binary { op: BinOp::Eq, left, .. } = left.kind else { panic!() };
        assert!(matches!(left.kind, ExprKind::Binary { op: BinOp::Add, .. }));
    }

    #[test]
    fn negated_and_case_forms() {
        assert!(matches!(query("a !has 'x'").kind, ExprKind::Binary { op: BinOp::NotHas, .. }));
        assert!(matches!(query("a !in~ ('x')").kind, ExprKind::SetOp { op: SetOpKind::NotInCi, .. }));
        assert!(matches!(query("a in~ ('x')").kind, ExprKind::SetOp { op: SetOpKind::InCi, .. }));
        assert!(matches!(query("a between (1 .. 5)").kind, ExprKind::Between { negated: false, .. }));
        assert!(matches!(query("a matches regex 'x'").kind, ExprKind::Binary { op: BinOp::MatchesRegex, .. }));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let q = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(matches!(parse_str(&q), Err(crate::diagnostics::ParseError::TooDeep { .. })));
    }
}
