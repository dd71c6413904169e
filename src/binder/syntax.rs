//! Syntax the binder builds for itself, all at one span (errors point at the operator that asked for it):
//! operators that are planned as other operators (`make-series` as summarizes, `pivot` as a summarize,
//! `mv-apply`'s per-row aggregates) write that query as AST and bind it like any other.

use crate::ast::{BinOp, Expr, ExprKind as K, Ident, Literal, NamedExpr, OpKind, Operator};
use crate::source::Span;

pub(crate) struct Syn(pub Span);

impl Syn {
    pub fn e(&self, kind: K) -> Expr {
        Expr { kind, span: self.0 }
    }
    pub fn id(&self, n: &str) -> Ident {
        Ident { name: n.to_string(), span: self.0 }
    }
    pub fn name(&self, n: &str) -> Expr {
        self.e(K::Name(self.id(n)))
    }
    pub fn long(&self, v: i64) -> Expr {
        self.e(K::Literal(Literal::Long(v)))
    }
    pub fn call(&self, f: &str, args: Vec<Expr>) -> Expr {
        self.e(K::Call { name: self.id(f), args })
    }
    pub fn bin(&self, op: BinOp, l: Expr, r: Expr) -> Expr {
        self.e(K::Binary { op, left: Box::new(l), right: Box::new(r) })
    }
    /// `n = expr`
    pub fn named(&self, n: &str, expr: Expr) -> NamedExpr {
        NamedExpr { names: vec![self.id(n)], expr }
    }
    /// a bare column as an unnamed item (`by k`, `project k`)
    pub fn column(&self, n: &str) -> NamedExpr {
        NamedExpr { names: vec![], expr: self.name(n) }
    }
    pub fn op(&self, kw: &str, kind: OpKind) -> Operator {
        Operator { kind, keyword: self.id(kw), span: self.0 }
    }
    pub fn pipe(&self, source: Expr, kw: &str, kind: OpKind) -> Expr {
        self.e(K::Pipe { source: Box::new(source), op: Box::new(self.op(kw, kind)) })
    }
}
