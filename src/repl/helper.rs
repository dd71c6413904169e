//! REPL line editor glue (rustyline): the validator decides when a buffer is a whole query, completion comes
//! from `Session::complete` (and dot commands, table names after `.schema`), highlighting from
//! `lexer::tokens_for_editor` with the bracket under the cursor matched, hints from history.

use super::input::input_complete;
use crate::lexer::{tokens_for_editor, Tok, Token};
use crate::session::{CompletionKind, Session};
use crate::source::Source;
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hinter, HistoryHinter};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// The dot commands, for completion and `.help`.
pub const COMMANDS: &[(&str, &str)] = &[
    (".help", "this list"),
    (".tables", "loaded tables (rows, columns, files) and the catalog's"),
    (".schema T", "columns and types of table T"),
    (".actiontypes T", "ActionType values of T: the catalog's and the counts in the loaded data"),
    (".load PATH", "load a data file or folder"),
    (".now [DATETIME|clock]", "pin now() and ago(), or show it"),
    (".set NAME=VALUE", "maxrows=N (the row cap), else a query parameter like --set"),
    (".mode table|vertical|csv|json|ndjson", "how results are shown (also .format)"),
    (".output [FILE]", "results to FILE (.csv .json .ndjson) until .output alone; .parquet takes one result"),
    (".once FILE", "the next result to FILE"),
    (".timer on|off", "wall time, rows and peak memory after each query"),
    (".inspect N", "row N of the last result, every column, dynamic pretty-printed"),
    (".filter N COLUMN [!=]", "rerun the last query with | where COLUMN == (or !=) its value in row N"),
    (".lets", "the let statements kept for later queries"),
    (".history", "earlier input"),
    (".save NAME", "keep the last query under NAME"),
    (".open NAME", "a saved query back in the editor"),
    (".queries", "the saved queries"),
    (".read FILE", "run a script of queries and dot commands"),
    (".explain [QUERY]", "stage schemas and plans of QUERY or the last query"),
    (".chart FILE", "the last result's render chart as an image (.svg or .png)"),
    (".pager on|off|COMMAND", "page results taller than the screen (default: $PAGER or less -RSFX)"),
    (".quit", "leave (also .exit, Ctrl-D)"),
];

/// Words shown as keywords besides the operator names.
const KEYWORDS: &[&str] = &[
    "let",
    "by",
    "on",
    "kind",
    "with",
    "and",
    "or",
    "asc",
    "desc",
    "nulls",
    "first",
    "last",
    "true",
    "false",
    "in",
    "has",
    "contains",
    "startswith",
    "endswith",
    "between",
    "matches",
    "regex",
    "hasprefix",
    "hassuffix",
    "has_any",
    "has_all",
    "step",
    "from",
    "to",
    "typeof",
    "dynamic",
    "datetime",
    "timespan",
    "null",
];

pub struct ReplHelper {
    session: Rc<RefCell<Session>>,
    hinter: HistoryHinter,
    color: bool,
    /// the byte offset of a bracket at the cursor, set by `highlight_char`
    bracket: Cell<Option<usize>>,
}

impl ReplHelper {
    pub fn new(session: Rc<RefCell<Session>>, color: bool) -> Self {
        ReplHelper { session, hinter: HistoryHinter::new(), color, bracket: Cell::new(None) }
    }
}

impl Helper for ReplHelper {}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(if input_complete(ctx.input()) { ValidationResult::Valid(None) } else { ValidationResult::Incomplete })
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = line.get(..pos).unwrap_or_default();
        if before.trim_start().starts_with('.') {
            return Ok(self.complete_command(before));
        }
        let Ok(session) = self.session.try_borrow() else { return Ok((pos, Vec::new())) };
        let completions = session.complete(line, pos);
        let pairs = completions
            .items
            .into_iter()
            .map(|c| {
                let display = match c.kind {
                    CompletionKind::Column | CompletionKind::Let => format!("{} ({})", c.text, c.detail),
                    _ => c.text.clone(),
                };
                Pair { display, replacement: c.text }
            })
            .collect();
        Ok((completions.start, pairs))
    }
}

impl ReplHelper {
    /// Dot command names, and table names after `.schema` / `.actiontypes`.
    fn complete_command(&self, before: &str) -> (usize, Vec<Pair>) {
        let word_start = before.rfind(char::is_whitespace).map_or(0, |i| i + 1);
        let word = before.get(word_start..).unwrap_or_default();
        let pair = |t: &str| Pair { display: t.to_string(), replacement: t.to_string() };
        if word_start == 0 || before.get(..word_start).is_some_and(|h| h.trim().is_empty()) {
            let names = COMMANDS.iter().map(|(c, _)| c.split_whitespace().next().unwrap_or(c));
            let mut v: Vec<Pair> = names.filter(|c| c.starts_with(word.trim_start())).map(pair).collect();
            v.dedup_by(|a, b| a.replacement == b.replacement);
            return (before.len() - word.trim_start().len(), v);
        }
        let cmd = before.split_whitespace().next().unwrap_or_default();
        if !matches!(cmd, ".schema" | ".actiontypes") {
            return (before.len(), Vec::new());
        }
        let Ok(session) = self.session.try_borrow() else { return (before.len(), Vec::new()) };
        let names = session.catalog().table_names(session.options().env);
        let lower = word.to_lowercase();
        (word_start, names.iter().filter(|n| n.to_lowercase().starts_with(&lower)).map(|n| pair(n)).collect())
    }
}

impl Hinter for ReplHelper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Option<String> {
        self.hinter.hint(line, pos, ctx)
    }
}

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, pos: usize) -> Cow<'l, str> {
        if !self.color {
            return Cow::Borrowed(line);
        }
        let _ = pos;
        Cow::Owned(highlight(line, self.bracket.get()))
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.color {
            Cow::Owned(format!("\x1b[90m{hint}\x1b[0m"))
        } else {
            Cow::Borrowed(hint)
        }
    }

    fn highlight_char(&self, line: &str, pos: usize, kind: CmdKind) -> bool {
        if kind == CmdKind::ForcedRefresh {
            self.bracket.set(None);
            return self.color;
        }
        // the bracket under the cursor or just before it
        let at = |i: usize| line.get(i..i + 1).filter(|c| "()[]{}".contains(*c)).map(|_| i);
        let b = at(pos).or_else(|| pos.checked_sub(1).and_then(at));
        self.bracket.set(b);
        self.color
    }
}

/// The ANSI colour of a token, `None` for plain text.
fn style(tok: &Tok, text: &str, next: Option<&Tok>) -> Option<&'static str> {
    Some(match tok.token {
        Token::Comment => "90",
        Token::Str | Token::VerbatimStr | Token::ObfuscatedStr | Token::TripleStr => "32",
        Token::Unterminated => "31",
        Token::Unknown => "41",
        Token::Int | Token::Real | Token::Timespan | Token::DatetimeLit | Token::TimespanLit | Token::GuidLit => "36",
        Token::Pipe => "1",
        Token::Ident => {
            let word = text.get(tok.span.range()).unwrap_or_default();
            if crate::parser::OPERATORS.iter().any(|(k, _)| *k == word) || KEYWORDS.contains(&word) {
                "1;34"
            } else if next.is_some_and(|n| n.token == Token::LParen && n.span.start == tok.span.end) {
                "33"
            } else {
                return None;
            }
        }
        _ => return None,
    })
}

/// `line` with ANSI colours per token and the bracket at `bracket` and its partner underlined.
pub fn highlight(line: &str, bracket: Option<usize>) -> String {
    let toks = tokens_for_editor(&Source::new("<repl>", line));
    let partner = bracket.and_then(|b| matching_bracket(&toks, b));
    let mut out = String::with_capacity(line.len() * 2);
    let mut at = 0;
    for (i, t) in toks.iter().enumerate() {
        let r = t.span.range();
        out.push_str(line.get(at..r.start).unwrap_or_default());
        let text = line.get(r.clone()).unwrap_or_default();
        let marked = Some(r.start) == bracket && partner.is_some() || Some(r.start) == partner;
        match (style(t, line, toks.get(i + 1)), marked) {
            (_, true) => out.push_str(&format!("\x1b[1;4;35m{text}\x1b[0m")),
            (Some(s), false) => out.push_str(&format!("\x1b[{s}m{text}\x1b[0m")),
            (None, false) => out.push_str(text),
        }
        at = r.end;
    }
    out.push_str(line.get(at..).unwrap_or_default());
    out
}

/// The offset of the bracket matching the one at byte `at` (strings and comments are single tokens, so
/// brackets inside them do not count).
fn matching_bracket(toks: &[Tok], at: usize) -> Option<usize> {
    let i = toks.iter().position(|t| t.span.start as usize == at)?;
    let (open, close) = match toks.get(i)?.token {
        Token::LParen | Token::RParen => (Token::LParen, Token::RParen),
        Token::LBracket | Token::RBracket => (Token::LBracket, Token::RBracket),
        Token::LBrace | Token::RBrace => (Token::LBrace, Token::RBrace),
        _ => return None,
    };
    let forward = toks.get(i)?.token == open;
    let mut depth = 0i64;
    let range: Box<dyn Iterator<Item = &Tok>> =
        if forward { Box::new(toks.iter().skip(i)) } else { Box::new(toks.iter().take(i + 1).rev()) };
    for t in range {
        if t.token == open {
            depth += 1;
        } else if t.token == close {
            depth -= 1;
        }
        if depth == 0 {
            return Some(t.span.start as usize);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_follow_the_lexer() {
        let h = highlight("T | where x == \"a\" // c", None);
        assert!(h.contains("\x1b[1;34mwhere\x1b[0m"), "{h:?}");
        assert!(h.contains("\x1b[32m\"a\"\x1b[0m"), "{h:?}");
        assert!(h.contains("\x1b[90m// c\x1b[0m"), "{h:?}");
        assert!(highlight("T § x", None).contains("\x1b[41m§\x1b[0m"));
        let plain = |s: &str| {
            let mut out = String::new();
            let mut esc = false;
            for c in s.chars() {
                match (esc, c) {
                    (_, '\x1b') => esc = true,
                    (true, 'm') => esc = false,
                    (true, _) => {}
                    (false, c) => out.push(c),
                }
            }
            out
        };
        let q = "T | where f(a, (b)) in (\"(\")";
        assert_eq!(plain(&highlight(q, Some(11))), q);
    }

    #[test]
    fn brackets_match_across_nesting_and_strings() {
        let q = "f(a, (b), \")\")";
        let toks = tokens_for_editor(&Source::new("t", q));
        assert_eq!(matching_bracket(&toks, 1), Some(13));
        assert_eq!(matching_bracket(&toks, 13), Some(1));
        assert_eq!(matching_bracket(&toks, 5), Some(7));
    }
}
