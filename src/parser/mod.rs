//! Parse stage: `&[Tok]` → `ast::Script` (nom over a token slice). Grammar in `grammar/kql.ebnf`; each
//! production `x` has one parser fn tagged `// grammar: x`. Syntax only: names and types are the binder's.

mod expr;
mod literals;
mod operators;
mod statements;
mod wider;

pub(crate) use expr::parse_postfix as expr_primary_postfix;
pub use literals::{parse_datetime_text, parse_timespan_text};
pub use operators::OPERATORS;

use crate::ast::{Ident, Script};
use crate::diagnostics::ParseError;
use crate::lexer::{string_value, Tok, Token};
use crate::source::{Source, Span};
use nom::error::{ErrorKind, ParseError as NomParseError};
use nom::{IResult, Needed};
use std::cell::Cell;
use std::iter::{Copied, Enumerate};
use std::slice::Iter;

/// Deepest nesting of parentheses, brackets and sub-expressions the parser accepts.
pub const MAX_DEPTH: u32 = 64;

/// The parser's input: the remaining tokens, plus the source text they point into.
#[derive(Clone, Copy)]
pub struct Tokens<'a> {
    pub toks: &'a [Tok],
    pub src: &'a str,
    depth: &'a Cell<u32>,
}

impl<'a> Tokens<'a> {
    pub fn first(&self) -> Option<Tok> {
        self.toks.first().copied()
    }
    pub fn peek(&self, n: usize) -> Option<Tok> {
        self.toks.get(n).copied()
    }
    pub fn text(&self, t: Tok) -> &'a str {
        self.src.get(t.span.range()).unwrap_or("")
    }
    /// The span where the next token starts (or the end of the text).
    pub fn here(&self) -> Span {
        match self.first() {
            Some(t) => t.span,
            None => Span::new(self.src.len(), self.src.len()),
        }
    }
    fn advance(&self, n: usize) -> Self {
        Tokens { toks: self.toks.get(n..).unwrap_or(&[]), ..*self }
    }
}

impl<'a> nom::Input for Tokens<'a> {
    type Item = Tok;
    type Iter = Copied<Iter<'a, Tok>>;
    type IterIndices = Enumerate<Self::Iter>;
    fn input_len(&self) -> usize {
        self.toks.len()
    }
    fn take(&self, index: usize) -> Self {
        Tokens { toks: self.toks.get(..index).unwrap_or(self.toks), ..*self }
    }
    fn take_from(&self, index: usize) -> Self {
        self.advance(index)
    }
    fn take_split(&self, index: usize) -> (Self, Self) {
        (self.take_from(index), self.take(index))
    }
    fn position<P: Fn(Tok) -> bool>(&self, predicate: P) -> Option<usize> {
        self.toks.iter().position(|t| predicate(*t))
    }
    fn iter_elements(&self) -> Self::Iter {
        self.toks.iter().copied()
    }
    fn iter_indices(&self) -> Self::IterIndices {
        self.iter_elements().enumerate()
    }
    fn slice_index(&self, count: usize) -> Result<usize, Needed> {
        if self.toks.len() >= count {
            Ok(count)
        } else {
            Err(Needed::new(count - self.toks.len()))
        }
    }
}

/// A parse failure: where, and what was expected there. Of two alternatives, the one that got further wins.
#[derive(Debug, Clone)]
pub struct PErr {
    pub span: Span,
    pub expected: String,
    pub remaining: usize,
    pub too_deep: bool,
    /// not a syntax error but something kqlite does not take: reported as itself
    pub special: Option<Special>,
}

/// A parse failure that is not a syntax error.
#[derive(Debug, Clone)]
pub enum Special {
    /// a Kusto operator kqlite does not implement (reported as unsupported)
    Operator(String),
    /// a valid `datetime(...)` literal outside the range kqlite holds (the literal's text)
    DatetimeRange(String),
}

impl PErr {
    /// A failure at the current position of `i`, expecting `what`.
    pub fn at(i: Tokens<'_>, what: &str) -> PErr {
        PErr { span: i.here(), expected: what.to_string(), remaining: i.toks.len(), too_deep: false, special: None }
    }
}

impl<'a> NomParseError<Tokens<'a>> for PErr {
    fn from_error_kind(input: Tokens<'a>, _kind: ErrorKind) -> Self {
        PErr::at(input, "")
    }
    fn append(_input: Tokens<'a>, _kind: ErrorKind, other: Self) -> Self {
        other
    }
    fn or(self, other: Self) -> Self {
        if other.remaining < self.remaining || (other.remaining == self.remaining && self.expected.is_empty()) {
            other
        } else {
            self
        }
    }
}

pub type PResult<'a, T> = IResult<Tokens<'a>, T, PErr>;

/// A recoverable failure at the current position, expecting `what`.
pub fn fail<'a, T>(i: Tokens<'a>, what: &str) -> PResult<'a, T> {
    Err(nom::Err::Error(PErr::at(i, what)))
}

/// A hard failure (no backtracking): the construct was recognised but is malformed.
pub fn cut_fail<'a, T>(i: Tokens<'a>, what: &str) -> PResult<'a, T> {
    Err(nom::Err::Failure(PErr::at(i, what)))
}

/// Turns a recoverable error into a hard one (nom's `cut`, for a parser fn).
pub fn cut<'a, T>(r: PResult<'a, T>) -> PResult<'a, T> {
    r.map_err(|e| match e {
        nom::Err::Error(e) => nom::Err::Failure(e),
        other => other,
    })
}

/// Runs `f` one nesting level deeper, failing with `too_deep` past [`MAX_DEPTH`].
pub fn nested<'a, T>(i: Tokens<'a>, f: impl FnOnce(Tokens<'a>) -> PResult<'a, T>) -> PResult<'a, T> {
    let d = i.depth.get();
    if d >= MAX_DEPTH {
        return Err(nom::Err::Failure(PErr { too_deep: true, ..PErr::at(i, "") }));
    }
    i.depth.set(d + 1);
    let r = f(i);
    i.depth.set(d);
    r
}

/// One token of the given kind.
pub fn tok<'a>(i: Tokens<'a>, kind: Token, what: &str) -> PResult<'a, Tok> {
    match i.first() {
        Some(t) if t.token == kind => Ok((i.advance(1), t)),
        _ => fail(i, what),
    }
}

/// Is the next token of this kind?
pub fn at(i: Tokens<'_>, kind: Token) -> bool {
    i.first().map(|t| t.token) == Some(kind)
}

/// One or more `item`s separated by `sep` tokens (each item committed: a separator must be followed by one).
pub fn separated<'a, T>(
    mut i: Tokens<'a>,
    sep: Token,
    mut item: impl FnMut(Tokens<'a>) -> PResult<'a, T>,
) -> PResult<'a, Vec<T>> {
    let mut out = Vec::new();
    loop {
        let (j, x) = cut(item(i))?;
        out.push(x);
        i = j;
        if at(i, sep) {
            i = tok(i, sep, "")?.0;
        } else {
            return Ok((i, out));
        }
    }
}

/// Is the next token the word `word`?
pub fn at_kw(i: Tokens<'_>, word: &str) -> bool {
    matches!(i.first(), Some(t) if t.token == Token::Ident && i.text(t) == word)
}

/// The keyword `word` (a contextual keyword: an identifier token with that text).
pub fn kw<'a>(i: Tokens<'a>, word: &str) -> PResult<'a, Span> {
    match i.first() {
        Some(t) if t.token == Token::Ident && i.text(t) == word => Ok((i.advance(1), t.span)),
        _ => fail(i, &format!("'{word}'")),
    }
}

/// Two tokens with nothing between them (`!has`, `in~`, `project-away`).
pub fn adjacent(a: Tok, b: Tok) -> bool {
    a.span.end == b.span.start
}

// grammar: name
/// A name: a plain identifier or a bracket-quoted `['Host Name']` / `["x"]`.
pub fn parse_name(i: Tokens<'_>) -> PResult<'_, Ident> {
    match (i.peek(0), i.peek(1), i.peek(2)) {
        (Some(t), _, _) if t.token == Token::Ident => {
            Ok((i.advance(1), Ident { name: i.text(t).to_string(), span: t.span }))
        }
        (Some(l), Some(s), Some(r))
            if l.token == Token::LBracket && s.token == Token::Str && r.token == Token::RBracket =>
        {
            let name = string_value(s.token, i.text(s));
            Ok((i.advance(3), Ident { name, span: l.span.to(r.span) }))
        }
        _ => fail(i, "a name"),
    }
}

/// A keyword that may be written with hyphens joined to adjacent words: `project-rename`, `mv-expand`.
pub fn hyphenated_word(i: Tokens<'_>) -> PResult<'_, Ident> {
    let Some(first) = i.first().filter(|t| t.token == Token::Ident) else { return fail(i, "an operator") };
    let mut word = i.text(first).to_string();
    let mut span = first.span;
    let mut n = 1;
    while let (Some(m), Some(w)) = (i.peek(n), i.peek(n + 1)) {
        let prev = i.peek(n - 1).unwrap_or(m);
        if m.token == Token::Minus && w.token == Token::Ident && adjacent(prev, m) && adjacent(m, w) {
            word.push('-');
            word.push_str(i.text(w));
            span = span.to(w.span);
            n += 2;
        } else {
            break;
        }
    }
    Ok((i.advance(n), Ident { name: word, span }))
}

/// Parses a whole script: statements separated by `;`.
pub fn parse(src: &Source, toks: &[Tok]) -> Result<Script, ParseError> {
    parse_fragment(src, toks, None)
}

/// The table a query fragment (a query that starts with `|`) reads: a `// table: Name` comment line.
pub fn fragment_table_comment(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let rest = l.trim_start().strip_prefix("//")?.trim_start();
        let name = rest.strip_prefix("table:").or_else(|| rest.strip_prefix("Table:"))?.trim();
        let name: String = name.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        (!name.is_empty()).then_some(name)
    })
}

/// [`parse`]; a script that starts with `|` reads from `table` (a pack's query fragment). Without a table,
/// such a script is a syntax error that says how to name one.
pub fn parse_fragment(src: &Source, toks: &[Tok], table: Option<&str>) -> Result<Script, ParseError> {
    let depth = Cell::new(0);
    let input = Tokens { toks, src: &src.text, depth: &depth };
    if table.is_none() {
        if let Some(t) = toks.first().filter(|t| t.token == Token::Pipe) {
            return Err(ParseError::Syntax {
                found: "'|'".into(),
                expected: concat!(
                    "a table before the first '|' (for a query fragment, name its table with a ",
                    "`// table: Name` comment line or --table Name)"
                )
                .into(),
                span: t.span.into(),
            });
        }
    }
    match statements::parse_script(input, table) {
        Ok((rest, script)) => match rest.first() {
            None => Ok(script),
            Some(t) => Err(ParseError::Syntax {
                found: describe(rest.text(t)),
                expected: "'|', ';' or the end of the query".into(),
                span: t.span.into(),
            }),
        },
        Err(nom::Err::Error(e)) | Err(nom::Err::Failure(e)) => Err(to_parse_error(src, e)),
        Err(nom::Err::Incomplete(_)) => Err(ParseError::Syntax {
            found: "the end of the query".into(),
            expected: "more input".into(),
            span: Span::new(src.text.len(), src.text.len()).into(),
        }),
    }
}

fn describe(text: &str) -> String {
    format!("'{}'", text.chars().take(40).collect::<String>())
}

fn to_parse_error(src: &Source, e: PErr) -> ParseError {
    if e.too_deep {
        return ParseError::TooDeep { max: MAX_DEPTH, span: e.span.into() };
    }
    match e.special {
        Some(Special::Operator(name)) => return ParseError::UnsupportedOperator { name, span: e.span.into() },
        Some(Special::DatetimeRange(literal)) => {
            return ParseError::DatetimeOutOfRange { literal, range: literals::DATETIME_RANGE, span: e.span.into() }
        }
        None => {}
    }
    let at_end = e.span.start as usize >= src.text.trim_end().len();
    let found =
        if at_end { "the end of the query".to_string() } else { describe(src.text.get(e.span.range()).unwrap_or("")) };
    // at the end, point at the last character so the label has something to underline
    let span = if at_end {
        let end = src.text.trim_end().len();
        let start = src.text.get(..end).and_then(|t| t.char_indices().next_back()).map_or(0, |(i, _)| i);
        Span::new(start, end)
    } else {
        e.span
    };
    let expected = if e.expected.is_empty() { "an expression".to_string() } else { e.expected };
    ParseError::Syntax { found, expected, span: span.into() }
}

#[cfg(test)]
pub(crate) fn parse_str(q: &str) -> Result<Script, ParseError> {
    let src = Source::new("t", q);
    let toks = crate::lexer::lex(&src).map_err(|_| ParseError::Syntax {
        found: String::new(),
        expected: String::new(),
        span: Span::default().into(),
    })?;
    parse(&src, &toks)
}
