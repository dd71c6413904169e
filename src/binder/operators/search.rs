//! `search`: rows where a term occurs in any string column, `Column:"term"`, or any predicate
//! (search-operator). As a query's source it searches every table (or those of `in (...)`) and adds a `$table`
//! column naming each row's table, planned as `union withsource=$table`; after a pipe it filters its input.
//! Terms follow `has` (whole terms, case-insensitive unless `kind=case_sensitive`); `"*x*"` is `contains`,
//! `"x*"` `hasprefix`, `"*x"` `hassuffix`; `*` alone matches every row.

use crate::ast::{self, BinOp, Expr, ExprKind as K, Ident, Literal, OpParam};
use crate::binder::{Binder, Bound};
use crate::diagnostics::BindError;
use crate::source::Span;
use crate::types::KqlType;

impl Binder<'_> {
    pub(crate) fn bind_search_source(
        &mut self,
        params: &[OpParam],
        tables: Option<&[Ident]>,
        pred: &Expr,
        span: Span,
    ) -> Result<Bound, BindError> {
        let legs: Vec<Expr> = match tables {
            Some(t) => t.iter().map(|n| Expr { kind: K::Name(n.clone()), span: n.span }).collect(),
            None => vec![Expr { kind: K::Star, span }],
        };
        let withsource =
            OpParam { name: Ident { name: "withsource".into(), span }, value: Ident { name: "$table".into(), span } };
        let u = ast::Union { params: vec![withsource], legs, span };
        let rows = self.bind_union(None, &u, span)?;
        self.bind_search(rows, params, pred)
    }

    pub(crate) fn bind_search(&mut self, input: Bound, params: &[OpParam], pred: &Expr) -> Result<Bound, BindError> {
        let cs = params.iter().any(|p| p.name.name == "kind" && p.value.name == "case_sensitive");
        let cols: Vec<String> = input
            .schema
            .columns
            .iter()
            .filter(|c| matches!(c.ty, KqlType::String | KqlType::Dynamic) && c.name != "$table")
            .map(|c| c.name.clone())
            .collect();
        let p = rewrite(pred, &cols, cs);
        self.bind_where(input, &p)
    }
}

/// `where * has "x"` (where-operator): a string operator whose left side is `*` tests every string or dynamic
/// column, rows passing when any column does. `None` when the predicate has no such operator.
pub(crate) fn star_predicate(e: &Expr, schema: &crate::types::KqlSchema) -> Option<Expr> {
    fn walk(e: &Expr, cols: &[String]) -> Option<Expr> {
        let span = e.span;
        let mk = |kind| Expr { kind, span };
        match &e.kind {
            K::Binary { op: op @ (BinOp::And | BinOp::Or), left, right } => {
                let (l, r) = (walk(left, cols), walk(right, cols));
                if l.is_none() && r.is_none() {
                    return None;
                }
                Some(mk(K::Binary {
                    op: *op,
                    left: Box::new(l.unwrap_or_else(|| left.as_ref().clone())),
                    right: Box::new(r.unwrap_or_else(|| right.as_ref().clone())),
                }))
            }
            K::Paren(x) => walk(x, cols).map(|x| mk(K::Paren(Box::new(x)))),
            K::Binary { op, left, right } if matches!(left.kind, K::Star) && op.is_string_predicate() => {
                let mut any: Option<Expr> = None;
                for c in cols {
                    let name = mk(K::Name(Ident { name: c.clone(), span: left.span }));
                    let t = mk(K::Binary { op: *op, left: Box::new(name), right: right.clone() });
                    any = Some(match any {
                        Some(a) => mk(K::Binary { op: BinOp::Or, left: Box::new(a), right: Box::new(t) }),
                        None => t,
                    });
                }
                Some(any.unwrap_or_else(|| mk(K::Literal(Literal::Bool(false)))))
            }
            _ => None,
        }
    }
    let cols: Vec<String> = schema
        .columns
        .iter()
        .filter(|c| matches!(c.ty, KqlType::String | KqlType::Dynamic))
        .map(|c| c.name.clone())
        .collect();
    walk(e, &cols)
}

/// The predicate with its search terms spelled out as string operators.
fn rewrite(e: &Expr, cols: &[String], cs: bool) -> Expr {
    let span = e.span;
    let mk = |kind| Expr { kind, span };
    match &e.kind {
        K::Literal(Literal::String(s)) => {
            let mut any: Option<Expr> = None;
            for c in cols {
                let t = term(mk(K::Name(Ident { name: c.clone(), span })), s, cs, span);
                any = Some(match any {
                    Some(a) => mk(K::Binary { op: BinOp::Or, left: Box::new(a), right: Box::new(t) }),
                    None => t,
                });
            }
            any.unwrap_or_else(|| mk(K::Literal(Literal::Bool(false))))
        }
        K::Star => mk(K::Literal(Literal::Bool(true))),
        K::Binary { op: BinOp::SearchTerm, left, right } => match &right.kind {
            K::Literal(Literal::String(s)) => term(left.as_ref().clone(), s, cs, span),
            _ => mk(K::Binary {
                op: if cs { BinOp::HasCs } else { BinOp::Has },
                left: left.clone(),
                right: right.clone(),
            }),
        },
        K::Binary { op: op @ (BinOp::And | BinOp::Or), left, right } => mk(K::Binary {
            op: *op,
            left: Box::new(rewrite(left, cols, cs)),
            right: Box::new(rewrite(right, cols, cs)),
        }),
        K::Paren(x) => mk(K::Paren(Box::new(rewrite(x, cols, cs)))),
        K::Call { name, args } if name.name == "not" => {
            mk(K::Call { name: name.clone(), args: args.iter().map(|a| rewrite(a, cols, cs)).collect() })
        }
        _ => e.clone(),
    }
}

/// `col has "x"`, or `contains` / `hasprefix` / `hassuffix` for `"*x*"`, `"x*"`, `"*x"`.
fn term(col: Expr, s: &str, cs: bool, span: Span) -> Expr {
    let (lead, trail) = (s.starts_with('*'), s.len() > 1 && s.ends_with('*'));
    let inner = s.trim_start_matches('*').trim_end_matches('*').to_string();
    let op = match (lead, trail, cs) {
        (true, true, false) => BinOp::Contains,
        (true, true, true) => BinOp::ContainsCs,
        (false, true, false) => BinOp::HasPrefix,
        (false, true, true) => BinOp::StartsWithCs,
        (true, false, false) => BinOp::HasSuffix,
        (true, false, true) => BinOp::EndsWithCs,
        (false, false, false) => BinOp::Has,
        (false, false, true) => BinOp::HasCs,
    };
    let lit = Expr { kind: K::Literal(Literal::String(inner)), span };
    Expr { kind: K::Binary { op, left: Box::new(col), right: Box::new(lit) }, span }
}
