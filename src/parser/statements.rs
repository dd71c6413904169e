//! Statements: `let` (values, tabular expressions, functions) and `;`-separated query statements.

use super::expr::parse_expr;
use super::{at, at_kw, cut, kw, parse_name, tok, PResult, Tokens};
use crate::ast::{FunctionDecl, Let, LetValue, Param, ParamType, Script, Statement};
use crate::lexer::Token;

// grammar: script
/// `statement { ";" statement } [";"]`; with `fragment_table`, a first statement that starts with `|` reads
/// from that table (a query fragment of a pack: `| where ...`).
pub fn parse_script<'a>(mut i: Tokens<'a>, fragment_table: Option<&str>) -> PResult<'a, Script> {
    let start = i.here();
    let mut statements = Vec::new();
    if let (Some(table), true) = (fragment_table, at(i, Token::Pipe)) {
        let here = i.here();
        let at_pipe = crate::source::Span::new(here.start as usize, here.start as usize);
        let name = crate::ast::Ident { name: table.to_string(), span: at_pipe };
        let source = crate::ast::Expr { kind: crate::ast::ExprKind::Name(name), span: at_pipe };
        let (rest, e) = super::expr::parse_pipes(i, source)?;
        statements.push(Statement::Query(e));
        i = rest;
    }
    loop {
        while at(i, Token::Semi) {
            i = tok(i, Token::Semi, "';'")?.0;
        }
        if i.first().is_none() {
            break;
        }
        if at_kw(i, "declare") && i.peek(1).is_some_and(|t| t.token == Token::Ident && i.text(t) == "query_parameters")
        {
            let (rest, lets) = parse_declare(i)?;
            statements.extend(lets.into_iter().map(Statement::Let));
            i = rest;
            if !at(i, Token::Semi) {
                break;
            }
            continue;
        }
        let (rest, st) = parse_statement(i)?;
        statements.push(st);
        i = rest;
        if !at(i, Token::Semi) {
            break;
        }
    }
    let span = start.to(i.here());
    Ok((i, Script { statements, span }))
}

// grammar: statement
fn parse_statement(i: Tokens<'_>) -> PResult<'_, Statement> {
    if at_kw(i, "let") {
        let (i, l) = parse_let(i)?;
        return Ok((i, Statement::Let(l)));
    }
    if at_kw(i, "set") && i.peek(1).map(|t| t.token) == Some(Token::Ident) {
        // `set querytrace;` request options: accepted, no effect on results
        let mut j = i;
        while let Some(t) = j.first() {
            if t.token == Token::Semi {
                break;
            }
            j = tok(j, t.token, "")?.0;
        }
        let (j, _) = super::tok(j, Token::Semi, "';' after a set statement")?;
        return parse_statement(j);
    }
    let (i, e) = parse_expr(i)?;
    Ok((i, Statement::Query(e)))
}

// grammar: declare_stmt
/// `declare query_parameters(Name:type [= default], ...)`: each parameter is a `let` of its default (a typed
/// null without one); `--set Name=value` gives it a value, as for any top-level `let`.
fn parse_declare(i: Tokens<'_>) -> PResult<'_, Vec<Let>> {
    let (i, start) = kw(i, "declare")?;
    let (i, _) = kw(i, "query_parameters")?;
    let (mut i, _) = cut(tok(i, Token::LParen, "'(' and the parameters"))?;
    let mut lets = Vec::new();
    while !at(i, Token::RParen) {
        let (j, name) = cut(parse_name(i))?;
        let (j, _) = cut(tok(j, Token::Colon, "':' and the parameter's type"))?;
        let (j, ty) = cut(parse_name(j))?;
        let (j, value) = if at(j, Token::Assign) {
            let (k, _) = tok(j, Token::Assign, "")?;
            cut(parse_expr(k))?
        } else {
            let lit = crate::ast::Literal::TypedNull(ty.name.clone());
            (j, crate::ast::Expr { kind: crate::ast::ExprKind::Literal(lit), span: ty.span })
        };
        let span = start.to(value.span);
        lets.push(Let { name, value: LetValue::Expr(value), span });
        i = j;
        if at(i, Token::Comma) {
            i = tok(i, Token::Comma, "")?.0;
        } else {
            break;
        }
    }
    let (i, _) = cut(tok(i, Token::RParen, "')' after the parameters"))?;
    Ok((i, lets))
}

// grammar: let_stmt
/// `let Name = expr` or `let Name = (params) { body }`
pub fn parse_let(i: Tokens<'_>) -> PResult<'_, Let> {
    let (i, start) = kw(i, "let")?;
    let (i, name) = cut(parse_name(i))?;
    let (i, _) = cut(tok(i, Token::Assign, "'=' after the let name"))?;
    // `let V = view () { T | where ... }`: a view without parameters is its tabular body, used by name
    if at_kw(i, "view") && i.peek(1).is_some_and(|t| t.token == Token::LParen) {
        let (j, f) = cut(parse_function_decl(i.advance_public(1)))?;
        let span = start.to(f.span);
        if f.params.is_empty() && f.body_lets.is_empty() {
            return Ok((j, Let { name, value: LetValue::Expr(*f.body), span }));
        }
        return Ok((j, Let { name, value: LetValue::Function(f), span }));
    }
    if at(i, Token::LParen) && looks_like_function(i) {
        let (i, f) = cut(parse_function_decl(i))?;
        let span = start.to(f.span);
        return Ok((i, Let { name, value: LetValue::Function(f), span }));
    }
    let (i, e) = cut(parse_expr(i))?;
    let span = start.to(e.span);
    Ok((i, Let { name, value: LetValue::Expr(e), span }))
}

/// `(` `)` `{`, or `(` name `:` — a parameter list rather than a parenthesised expression.
fn looks_like_function(i: Tokens<'_>) -> bool {
    let t = |n: usize| i.peek(n).map(|t| t.token);
    (t(1) == Some(Token::RParen) && t(2) == Some(Token::LBrace))
        || (t(1) == Some(Token::Ident) && t(2) == Some(Token::Colon))
}

// grammar: function_decl
/// `(a:string, T:(*), n:long = 5) { let x = 1; T | take n }`
fn parse_function_decl(i: Tokens<'_>) -> PResult<'_, FunctionDecl> {
    let (mut i, open) = tok(i, Token::LParen, "'('")?;
    let mut params = Vec::new();
    while !at(i, Token::RParen) {
        let (j, p) = parse_param(i)?;
        params.push(p);
        i = j;
        if at(i, Token::Comma) {
            i = tok(i, Token::Comma, "','")?.0;
        } else {
            break;
        }
    }
    let (i, _) = tok(i, Token::RParen, "')' or ',' in the parameter list")?;
    let (mut i, _) = tok(i, Token::LBrace, "'{' to start the function body")?;
    let mut body_lets = Vec::new();
    loop {
        while at(i, Token::Semi) {
            i = tok(i, Token::Semi, "")?.0;
        }
        if !at_kw(i, "let") {
            break;
        }
        let (j, l) = parse_let(i)?;
        body_lets.push(l);
        i = j;
    }
    let (mut i, body) = parse_expr(i)?;
    while at(i, Token::Semi) {
        i = tok(i, Token::Semi, "")?.0;
    }
    let (i, close) = tok(i, Token::RBrace, "'}' to end the function body")?;
    Ok((i, FunctionDecl { params, body_lets, body: Box::new(body), span: open.span.to(close.span) }))
}

// grammar: param
fn parse_param(i: Tokens<'_>) -> PResult<'_, Param> {
    let (i, name) = parse_name(i)?;
    let (i, _) = tok(i, Token::Colon, "':' and a type after the parameter name")?;
    let (i, ty) = if at(i, Token::LParen) {
        let (i, _) = tok(i, Token::LParen, "")?;
        if at(i, Token::Star) {
            let (i, _) = tok(i, Token::Star, "")?;
            let (i, _) = tok(i, Token::RParen, "')'")?;
            (i, ParamType::Tabular(None))
        } else {
            let (i, cols) = parse_column_decls(i)?;
            let (i, _) = tok(i, Token::RParen, "')'")?;
            (i, ParamType::Tabular(Some(cols)))
        }
    } else {
        let (i, t) = parse_name(i)?;
        (i, ParamType::Scalar(t))
    };
    if at(i, Token::Assign) {
        let (i, _) = tok(i, Token::Assign, "")?;
        let (i, d) = parse_expr(i)?;
        return Ok((i, Param { name, ty, default: Some(d) }));
    }
    Ok((i, Param { name, ty, default: None }))
}

// grammar: column_decls
/// `Name:type, Name2:type`
pub fn parse_column_decls(mut i: Tokens<'_>) -> PResult<'_, Vec<(crate::ast::Ident, crate::ast::Ident)>> {
    let mut cols = Vec::new();
    loop {
        let (j, n) = parse_name(i)?;
        let (j, _) = tok(j, Token::Colon, "':' and a type after the column name")?;
        let (j, t) = parse_name(j)?;
        cols.push((n, t));
        i = j;
        if at(i, Token::Comma) {
            i = tok(i, Token::Comma, "")?.0;
            // a trailing comma before the closing parenthesis (`meta: string,)`), as Kusto accepts
            if at(i, Token::RParen) {
                break;
            }
        } else {
            break;
        }
    }
    Ok((i, cols))
}
