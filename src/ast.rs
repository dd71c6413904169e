//! Parse output: a plain-data AST with a [`Span`] on every node. No names are resolved and no types are known
//! here; the binder gives them meaning.

use crate::source::Span;

/// A name as written (`DeviceName`, `['Host Name']`, `$left`).
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// `let a = 1; let T = X | take 1; T | count`
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    pub statements: Vec<Statement>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `let Name = expr;` or `let F = (a:string, T:(*)) { ... };`
    Let(Let),
    /// A tabular (or scalar) expression statement: `DeviceEvents | take 10`
    Query(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Let {
    pub name: Ident,
    pub value: LetValue,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LetValue {
    /// `let x = 5;`, `let T = DeviceEvents | where ...;`
    Expr(Expr),
    /// `let f = (a:string, n:long = 5) { ... };`
    Function(FunctionDecl),
}

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDecl {
    pub params: Vec<Param>,
    /// `let` statements inside the body, then its final expression.
    pub body_lets: Vec<Let>,
    pub body: Box<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub ty: ParamType,
    pub default: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParamType {
    /// `x:string`
    Scalar(Ident),
    /// `T:(*)` or `T:(Host:string, Pid:long)`; `None` columns for `*`
    Tabular(Option<Vec<(Ident, Ident)>>),
}

/// An expression: scalar or tabular. The grammar does not tell them apart (`let X = Y;`), the binder does.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// `5`, `"a"`, `10d`, `datetime(2024-01-01)`, `dynamic([1,2])`, `long(null)`
    Literal(Literal),
    /// `DeviceName`, `['Host Name']`, `CompromisedDevice`
    Name(Ident),
    /// `*` as an argument: `arg_max(Timestamp, *)`, `pack_array(*)`
    Star,
    /// `-x`, `+x`
    Neg(Box<Expr>),
    /// `a + b`, `a == b`, `a has "x"`, `a and b`
    Binary { op: BinOp, left: Box<Expr>, right: Box<Expr> },
    /// `x between (1 .. 5)`, `x !between (a .. b)`
    Between { negated: bool, value: Box<Expr>, low: Box<Expr>, high: Box<Expr> },
    /// `x in ("a", "b")`, `x !in~ (dynamic([...]))`, `x has_any (T | project C)`
    SetOp { op: SetOpKind, value: Box<Expr>, list: Vec<Expr> },
    /// `f(a, b)`, `count()`, `tostring(x)`
    Call { name: Ident, args: Vec<Expr> },
    /// `x.y`
    Member { target: Box<Expr>, name: Ident },
    /// `x[0]`, `x["k"]`
    Index { target: Box<Expr>, index: Box<Expr> },
    /// `(a + b)`, `(T | take 1)`
    Paren(Box<Expr>),
    /// `T | where ... | project ...`
    Pipe { source: Box<Expr>, op: Box<Operator> },
    /// `union A, (B | where x)` at the start of a pipeline
    Union(Union),
    /// `datatable(a:long, b:string) [1, "x"]`
    Datatable { columns: Vec<(Ident, Ident)>, values: Vec<Expr> },
    /// `print a = 1, 2`
    Print(Vec<NamedExpr>),
    /// `externaldata(A:string, B:long) ["https://..."] with (format="csv")`
    ExternalData { columns: Vec<(Ident, Ident)>, uris: Vec<Expr>, with: Vec<OpParam> },
    /// `range x from 1 to 10 step 1`
    Range { name: Ident, from: Box<Expr>, to: Box<Expr>, step: Box<Expr> },
    /// `search [kind=case_sensitive] [in (T1, T2)] Predicate` at the start of a query: rows of every table
    /// (or those named) where the predicate holds, with a `$table` column
    Search { params: Vec<OpParam>, tables: Option<Vec<Ident>>, pred: Box<Expr> },
    /// `find [withsource=Name] [in (T1, T2*, ...)] where Predicate [project-smart | project items]`
    Find(Box<Find>),
    /// `typeof(long)` as a function argument
    TypeOf(Ident),
    /// `c = 7` as an argument of a user function: `f(12, c = 7)`
    NamedArg { name: Ident, value: Box<Expr> },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Bool(bool),
    Long(i64),
    Real(f64),
    String(String),
    /// ticks of 100 ns
    Timespan(i64),
    /// ticks of 100 ns since 0001-01-01, stored as Unix nanoseconds
    Datetime(i64),
    Guid(String),
    /// `dynamic([...])` as JSON
    Dynamic(serde_json::Value),
    /// `long(null)`, `datetime(null)`: the type name
    TypedNull(String),
    /// `int(5)`, `real(1)`: a literal of a named type
    Typed(String, Box<Literal>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    /// `=~`
    EqCi,
    /// `!~`
    NotEqCi,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Has,
    NotHas,
    HasCs,
    NotHasCs,
    HasPrefix,
    NotHasPrefix,
    HasSuffix,
    NotHasSuffix,
    Contains,
    NotContains,
    ContainsCs,
    NotContainsCs,
    StartsWith,
    NotStartsWith,
    StartsWithCs,
    NotStartsWithCs,
    EndsWith,
    NotEndsWith,
    EndsWithCs,
    NotEndsWithCs,
    MatchesRegex,
    /// `Column : "term"` inside `search`: the column has the term
    SearchTerm,
}

impl Expr {
    /// The direct sub-expressions of a scalar expression (not into sub-queries).
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Binary { left, right, .. } => vec![left.as_ref(), right.as_ref()],
            ExprKind::Neg(x) | ExprKind::Paren(x) | ExprKind::NamedArg { value: x, .. } => vec![x.as_ref()],
            ExprKind::Call { args, .. } => args.iter().collect(),
            ExprKind::Member { target, .. } => vec![target.as_ref()],
            ExprKind::Index { target, index } => vec![target.as_ref(), index.as_ref()],
            ExprKind::Between { value, low, high, .. } => vec![value.as_ref(), low.as_ref(), high.as_ref()],
            ExprKind::SetOp { value, .. } => vec![value.as_ref()],
            _ => vec![],
        }
    }

    /// [`Expr::children`], for rewrites.
    pub fn children_mut(&mut self) -> Vec<&mut Expr> {
        match &mut self.kind {
            ExprKind::Binary { left, right, .. } => vec![left.as_mut(), right.as_mut()],
            ExprKind::Neg(x) | ExprKind::Paren(x) | ExprKind::NamedArg { value: x, .. } => vec![x.as_mut()],
            ExprKind::Call { args, .. } => args.iter_mut().collect(),
            ExprKind::Member { target, .. } => vec![target.as_mut()],
            ExprKind::Index { target, index } => vec![target.as_mut(), index.as_mut()],
            ExprKind::Between { value, low, high, .. } => vec![value.as_mut(), low.as_mut(), high.as_mut()],
            ExprKind::SetOp { value, .. } => vec![value.as_mut()],
            _ => vec![],
        }
    }
}

impl BinOp {
    /// A positive string operator (`has`, `contains`, `startswith`, `matches regex`..., case-sensitive or not):
    /// the ones `where * op "x"` applies to every column.
    pub fn is_string_predicate(self) -> bool {
        use BinOp::*;
        matches!(
            self,
            Has | HasCs
                | HasPrefix
                | HasSuffix
                | Contains
                | ContainsCs
                | StartsWith
                | StartsWithCs
                | EndsWith
                | EndsWithCs
                | MatchesRegex
                | EqCi
        )
    }
    /// The operator as written in KQL.
    pub fn text(self) -> &'static str {
        use BinOp::*;
        match self {
            Or => "or",
            And => "and",
            Eq => "==",
            NotEq => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            EqCi => "=~",
            NotEqCi => "!~",
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            Mod => "%",
            Has => "has",
            NotHas => "!has",
            HasCs => "has_cs",
            NotHasCs => "!has_cs",
            HasPrefix => "hasprefix",
            NotHasPrefix => "!hasprefix",
            HasSuffix => "hassuffix",
            NotHasSuffix => "!hassuffix",
            Contains => "contains",
            NotContains => "!contains",
            ContainsCs => "contains_cs",
            NotContainsCs => "!contains_cs",
            StartsWith => "startswith",
            NotStartsWith => "!startswith",
            StartsWithCs => "startswith_cs",
            NotStartsWithCs => "!startswith_cs",
            EndsWith => "endswith",
            NotEndsWith => "!endswith",
            EndsWithCs => "endswith_cs",
            NotEndsWithCs => "!endswith_cs",
            MatchesRegex => "matches regex",
            SearchTerm => ":",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOpKind {
    In,
    NotIn,
    InCi,
    NotInCi,
    HasAny,
    HasAll,
}

impl SetOpKind {
    pub fn text(self) -> &'static str {
        match self {
            SetOpKind::In => "in",
            SetOpKind::NotIn => "!in",
            SetOpKind::InCi => "in~",
            SetOpKind::NotInCi => "!in~",
            SetOpKind::HasAny => "has_any",
            SetOpKind::HasAll => "has_all",
        }
    }
}

/// `Name = expr`, `(A, B) = expr`, or a bare `expr`.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedExpr {
    pub names: Vec<Ident>,
    pub expr: Expr,
}

/// `kind=inner`, `isfuzzy=true`, `hint.strategy=shuffle`, `withsource=Src`
#[derive(Debug, Clone, PartialEq)]
pub struct OpParam {
    pub name: Ident,
    pub value: Ident,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Union {
    pub params: Vec<OpParam>,
    pub legs: Vec<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    pub expr: Expr,
    /// `Some(true)` for `asc`, `Some(false)` for `desc`, `None` when omitted (desc).
    pub asc: Option<bool>,
    /// `Some(true)` for `nulls first`.
    pub nulls_first: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectKind {
    /// `project a, b = c`
    Project,
    /// `project-away A*`
    Away,
    /// `project-keep A*`
    Keep,
    /// `project-rename New = Old`
    Rename,
    /// `project-reorder B, A*`
    Reorder,
}

impl ProjectKind {
    pub fn keyword(self) -> &'static str {
        match self {
            ProjectKind::Project => "project",
            ProjectKind::Away => "project-away",
            ProjectKind::Keep => "project-keep",
            ProjectKind::Rename => "project-rename",
            ProjectKind::Reorder => "project-reorder",
        }
    }
}

/// `on Key`, `on $left.A == $right.B`
#[derive(Debug, Clone, PartialEq)]
pub enum JoinCond {
    Same(Ident),
    Pair { left: Ident, right: Ident, span: Span },
}

/// One tabular operator after a `|`.
#[derive(Debug, Clone, PartialEq)]
pub struct Operator {
    pub kind: OpKind,
    /// The operator keyword (`where`, `project-rename`).
    pub keyword: Ident,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OpKind {
    /// `where p`, also `filter`
    Where(Expr),
    /// `project`, `project-away`, `project-keep`, `project-rename`, `project-reorder`
    Project { kind: ProjectKind, items: Vec<NamedExpr>, order: Vec<Option<Ident>> },
    /// `extend a = x, b`
    Extend(Vec<NamedExpr>),
    /// `summarize count() by X`
    Summarize { params: Vec<OpParam>, aggs: Vec<NamedExpr>, by: Vec<NamedExpr> },
    /// `sort by a desc, b asc`, also `order by`
    Sort(Vec<SortKey>),
    /// `top 10 by x desc`
    Top { count: Expr, key: SortKey },
    /// `take 10`, also `limit`
    Take(Expr),
    /// `count`
    Count,
    /// `distinct a, b` or `distinct *`
    Distinct(Vec<Expr>),
    /// `join kind=inner (R) on A, $left.B == $right.C`
    Join { params: Vec<OpParam>, right: Expr, on: Vec<JoinCond> },
    /// `lookup kind=leftouter (R) on A`
    Lookup { params: Vec<OpParam>, right: Expr, on: Vec<JoinCond> },
    /// `union B, (C)` inside a pipeline
    Union(Union),
    /// `render timechart with (title="x", ycolumns=a, b)`: no effect on rows; the result carries the chart
    Render(Render),
    /// `mv-expand A to typeof(string), B`
    MvExpand { params: Vec<OpParam>, items: Vec<(NamedExpr, Option<Ident>)>, limit: Option<Expr> },
    /// `invoke F(a, b)`
    Invoke(Expr),
    /// `as Name`: names the rows for later use; no effect on rows here
    As(Ident),
    /// `getschema`
    GetSchema,
    /// `serialize`: accepted, rows pass unchanged
    Serialize(Vec<NamedExpr>),
    /// `parse kind=regex Source with * "const" Col:type "const" ...`
    /// `parse-where ...`: the same, keeping only the rows the pattern matches (`filter`)
    Parse { params: Vec<OpParam>, source: Expr, parts: Vec<ParsePart>, filter: bool },
    /// `mv-apply [with_itemindex=I] x = arr to typeof(T), ... [limit N] on (subquery)`: the subquery's
    /// operators run on each row's expanded sub-table
    MvApply { params: Vec<OpParam>, items: Vec<(NamedExpr, Option<Ident>)>, limit: Option<Expr>, body: Vec<Operator> },
    /// `make-series [kind=nonempty] a = agg() [default = v], ... on T [from F] [to E] step S [by k, ...]`
    MakeSeries(Box<MakeSeries>),
    /// `sample N`: up to N random rows; `sample-distinct N of Col`: up to N distinct values of Col
    Sample { count: Expr, of: Option<Expr> },
    /// `T | search [kind=case_sensitive] Predicate`
    Search { params: Vec<OpParam>, pred: Expr },
    /// `evaluate [hint.x=y] plugin(args) [: (*, Col:type, ...)]`
    Evaluate { params: Vec<OpParam>, plugin: Ident, args: Vec<Expr>, schema: Option<OutputSchema> },
    /// `partition [hint.strategy=...] by Column (subquery)` (or `{ subquery }`): the subquery's operators run
    /// on each partition's rows; `{ T | where x == Column }` (`source`): a query with its own source, run once
    /// per value of Column (the value as a scalar)
    Partition { params: Vec<OpParam>, by: Ident, body: Vec<Operator>, source: Option<Box<Expr>> },
    /// `top-nested [N] of [Name =] Expr [with others = V] by [Name =] Aggregation [asc|desc], top-nested ...`
    TopNested(Vec<TopNestedLevel>),
    /// `facet by A, B [with (op | op ...)]`: several result tables (the query's last operator)
    Facet { by: Vec<Ident>, with: Vec<Operator> },
    /// `parse-kv Expr as (Key:type, ...) [with (pair_delimiter=..., kv_delimiter=..., quote=..., ... | regex=...)]`
    ParseKv { source: Expr, columns: Vec<(Ident, Ident)>, with: Vec<(Ident, Expr)> },
    /// `scan [with_match_id = Id] [declare (Col:type [= default], ...)] with (step s1 [output = all|last|none]:
    /// Condition [=> Col = Expr, ...]; ...)`
    Scan(Box<Scan>),
}

/// The parts of a `scan` (scan-operator).
#[derive(Debug, Clone, PartialEq)]
pub struct Scan {
    pub match_id: Option<Ident>,
    /// each declared column with its type and optional default value
    pub declare: Vec<(Ident, Ident, Option<Expr>)>,
    pub steps: Vec<ScanStep>,
}

/// One `step Name [output = ...]: Condition [=> Col = Expr, ...];` of a scan.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanStep {
    pub name: Ident,
    /// `output = all` (the default), `last` or `none`
    pub output: Option<Ident>,
    pub condition: Expr,
    pub assignments: Vec<(Ident, Expr)>,
}

/// The parts of a `find` (find-operator).
#[derive(Debug, Clone, PartialEq)]
pub struct Find {
    pub params: Vec<OpParam>,
    /// `in (...)`: table names (wildcards allowed) or sub-queries; none: every table
    pub tables: Option<Vec<Expr>>,
    pub pred: Expr,
    /// `project a, b:type, pack(*)`. Absent: `project-smart`.
    pub project: Option<Vec<FindItem>>,
}

/// One item of find's `project`: a column with its optional type (`b:string`), or `None` for `pack(*)` /
/// `pack_all()` (the rest of the row as `pack_`).
pub type FindItem = Option<(Ident, Option<Ident>)>;

/// One `top-nested` clause.
#[derive(Debug, Clone, PartialEq)]
pub struct TopNestedLevel {
    pub count: Option<Expr>,
    pub of: NamedExpr,
    pub others: Option<Expr>,
    pub by: NamedExpr,
    pub asc: bool,
    pub span: Span,
}

/// The `: (*, Name:type, ...)` after an `evaluate` plugin call: the columns it must produce.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputSchema {
    /// `*` first: the input's columns come too
    pub star: bool,
    pub columns: Vec<(Ident, Ident)>,
    pub span: Span,
}

/// The parts of a `make-series` operator (make-series-operator).
#[derive(Debug, Clone, PartialEq)]
pub struct MakeSeries {
    pub params: Vec<OpParam>,
    /// each aggregate with its `default =` value
    pub aggs: Vec<(NamedExpr, Option<Expr>)>,
    /// the axis column (`on Timestamp`), possibly named (`on t = Timestamp`)
    pub on: NamedExpr,
    pub from: Option<Expr>,
    pub to: Option<Expr>,
    pub step: Expr,
    pub by: Vec<NamedExpr>,
}

/// `render` *visualization* [`with` `(` *property* `=` *value* [`,` ...] `)`]
#[derive(Debug, Clone, PartialEq)]
pub struct Render {
    pub visualization: Ident,
    pub props: Vec<RenderProp>,
}

/// One `name = value` of `render ... with (...)`; list properties (`ycolumns`, `series`) hold several values.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderProp {
    pub name: Ident,
    /// each value's text (a string literal unquoted, a number with its sign) and span
    pub values: Vec<Ident>,
    pub span: Span,
}

/// One element of a `parse` pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum ParsePart {
    /// `*`: any text
    Star,
    /// `"user="`: literal text (a regular expression in `kind=regex`)
    Text(String),
    /// `Col` or `Col:long`: a new column
    Column(Ident, Option<Ident>),
}
