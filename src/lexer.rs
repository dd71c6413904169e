//! Lex stage: `&Source` → `Vec<Tok>` (logos). Words stay `Ident`, so keywords are contextual as in Kusto;
//! literals whose inside is not KQL (`datetime(2024-01-01 10:00)`, `guid(...)`, `time(1.2:00:00)`) are one token.
//!
//! Two entry points share one token table:
//! - [`lex`], for the parser: comments dropped, and the first unknown character or unterminated string is an error.
//! - [`tokens_for_editor`], for highlighting and completion on half-typed text: every token, including
//!   [`Token::Comment`], [`Token::Unknown`] and [`Token::Unterminated`]; it never fails. Only whitespace is skipped.

use crate::diagnostics::LexError;
use crate::source::{Source, Span};
use logos::Logos;

#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[logos(skip r"[ \t\r\n\f\u{FEFF}\u{200B}\u{200C}\u{200D}\u{00A0}\u{202F}\u{2009}\u{2007}\u{3000}]+")]
pub enum Token {
    /// `// a comment`, up to the end of the line (trivia: [`lex`] drops it).
    #[regex(r"//[^\n]*", allow_greedy = true)]
    Comment,
    /// A character no rule starts with (`§`, a lone `@` or backtick); only [`tokens_for_editor`] returns it,
    /// [`lex`] reports it as `kqlite::lex::unexpected_char`.
    Unknown,
    #[regex(r"[A-Za-z_$][A-Za-z0-9_]*")]
    /// A name may start with digits when a letter follows (`let 2022MostExploited = ...`); numbers, timespans
    /// (`10d`), exponents (`1e5`) and hex (`0x1F`) of the same length win.
    #[regex(r"[0-9]+[A-Za-z_][A-Za-z0-9_]*", priority = 1)]
    Ident,
    #[regex(r"[0-9]+", priority = 3)]
    #[regex(r"0[xX][0-9a-fA-F]+")]
    Int,
    #[regex(r"[0-9]+\.[0-9]+([eE][+-]?[0-9]+)?")]
    #[regex(r"[0-9]+[eE][+-]?[0-9]+")]
    #[regex(r"\.[0-9]+([eE][+-]?[0-9]+)?")]
    Real,
    /// `10d`, `1.5h`, `30m`, `100ms`, `1tick`, `10microseconds`
    #[regex(r"([0-9]+(\.[0-9]+)?|\.[0-9]+)(d|days?|h|hrs?|hours?|m|min|minutes?|s|sec|seconds?|ms|milli|millis|millisec|milliseconds?|microsec|micros?|microseconds?|nanosec|nanos?|nanoseconds?|ticks?)")]
    Timespan,
    /// `datetime(2024-01-01)`, `datetime(2024-01-01T10:00:00.123Z)`
    #[regex(r"datetime[ \t]*\([ \t]*[0-9][^)\n]*\)")]
    DatetimeLit,
    /// `time(1.12:00:00)`, `timespan(2)`, `timespan(15 seconds)`
    #[regex(r"(time|timespan)[ \t]*\([ \t]*-?[0-9.][^)\n]*\)")]
    TimespanLit,
    /// `guid(74be27de-1e4e-49d9-b579-fe0b331d3642)`
    #[regex(r"guid[ \t]*\([ \t]*[0-9a-fA-F][0-9a-fA-F-]*[ \t]*\)")]
    GuidLit,
    #[regex(r#""([^"\\\n]|\\.)*""#)]
    #[regex(r"'([^'\\\n]|\\.)*'")]
    Str,
    #[regex(r#"[hH]?@"([^"]|"")*""#)]
    #[regex(r"[hH]?@'([^']|'')*'")]
    VerbatimStr,
    /// A `h"..."` obfuscated string (a plain string whose text is hidden in logs).
    #[regex(r#"[hH]"([^"\\\n]|\\.)*""#)]
    #[regex(r"[hH]'([^'\\\n]|\\.)*'")]
    ObfuscatedStr,
    /// A string missing its closing quote, up to the end of the line (or of the text, for `@"...`); [`lex`]
    /// reports it as `kqlite::lex::unterminated_string`.
    #[regex(r#""([^"\\\n]|\\.)*"#, priority = 1)]
    #[regex(r"'([^'\\\n]|\\.)*", priority = 1)]
    #[regex(r#"@"([^"]|"")*"#, priority = 1)]
    #[regex(r"@'([^']|'')*", priority = 1)]
    Unterminated,
    /// A multi-line string between triple backticks.
    #[regex(r"```([^`]|`[^`]|``[^`])*```")]
    TripleStr,
    #[token("|")]
    Pipe,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token(",")]
    Comma,
    #[token(";")]
    Semi,
    #[token(":")]
    Colon,
    #[token(".")]
    Dot,
    #[token("..")]
    DotDot,
    #[token("=")]
    Assign,
    #[token("==")]
    EqEq,
    #[token("!=")]
    NotEq,
    #[token("<>")]
    LtGt,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le,
    #[token(">")]
    Gt,
    #[token(">=")]
    Ge,
    #[token("=~")]
    EqTilde,
    #[token("!~")]
    BangTilde,
    #[token("=>")]
    FatArrow,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("%")]
    Percent,
    #[token("!")]
    Bang,
    #[token("~")]
    Tilde,
    #[token("?")]
    Question,
    #[token("#")]
    Hash,
}

/// One token and its byte span.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tok {
    pub token: Token,
    pub span: Span,
}

impl Token {
    /// Tokens that carry no meaning for the parser (comments).
    pub fn is_trivia(self) -> bool {
        matches!(self, Token::Comment)
    }
}

/// Turns the source into tokens for the parser: comments are dropped, and the first character no token starts
/// with (`kqlite::lex::unexpected_char`) or string without its closing quote (`kqlite::lex::unterminated_string`)
/// is an error.
pub fn lex(src: &Source) -> Result<Vec<Tok>, LexError> {
    let mut out = Vec::new();
    for tok in all_tokens(&src.text) {
        match tok.token {
            Token::Unterminated => return Err(LexError::UnterminatedString { span: tok.span.into() }),
            Token::Unknown => {
                let ch = src.text.get(tok.span.range()).and_then(|s| s.chars().next()).unwrap_or('?');
                return Err(LexError::UnexpectedChar { ch, span: tok.span.into() });
            }
            t if t.is_trivia() => {}
            _ => out.push(tok),
        }
    }
    Ok(out)
}

/// Every token of the source, for a REPL highlighter or completion working on half-typed text: comments
/// ([`Token::Comment`]), characters no rule matches ([`Token::Unknown`]) and strings without their closing
/// quote ([`Token::Unterminated`]) are tokens too, so every byte that is not whitespace (or a skipped
/// zero-width character) lies in exactly one token's span, in order. Never fails. [`lex`] returns the same
/// tokens minus the comments when the text has no unknown character and no unterminated string.
pub fn tokens_for_editor(src: &Source) -> Vec<Tok> {
    all_tokens(&src.text)
        .map(|t| match t.token {
            // "```abc" with no closing backticks: logos gives up on the whole run; to an editor it is a string
            // still being typed (`lex` keeps reporting it as an unexpected '`', as it always has)
            Token::Unknown if src.text.get(t.span.range()).is_some_and(|s| s.starts_with("```")) => {
                Tok { token: Token::Unterminated, ..t }
            }
            _ => t,
        })
        .collect()
}

/// The token table run over the text; a logos error (no rule starts here) becomes a [`Token::Unknown`] token.
fn all_tokens(text: &str) -> impl Iterator<Item = Tok> + '_ {
    Token::lexer(text)
        .spanned()
        .map(|(res, r)| Tok { token: res.unwrap_or(Token::Unknown), span: Span::new(r.start, r.end) })
}

/// The value of a string token (`"a\tb"`, `'x'`, `@"C:\x"`, `h"secret"`, ```` ```multi``` ````).
pub fn string_value(token: Token, text: &str) -> String {
    match token {
        Token::VerbatimStr => {
            let t = text.trim_start_matches(['h', 'H']);
            let quote = if t.get(1..2) == Some("'") { "'" } else { "\"" };
            let inner = t.get(2..t.len().saturating_sub(1)).unwrap_or("");
            inner.replace(&format!("{quote}{quote}"), quote)
        }
        Token::TripleStr => text.get(3..text.len().saturating_sub(3)).unwrap_or("").to_string(),
        Token::ObfuscatedStr => unescape(text.get(2..text.len().saturating_sub(1)).unwrap_or("")),
        _ => unescape(text.get(1..text.len().saturating_sub(1)).unwrap_or("")),
    }
}

/// Backslash escapes of Kusto string literals (`\"`, `\'`, `\\`, `\n`, `\t`, `\r`, `\uXXXX`).
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => {
                        out.push_str("\\u");
                        out.push_str(&hex);
                    }
                }
            }
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(q: &str) -> Vec<Token> {
        lex(&Source::new("t", q)).unwrap().into_iter().map(|t| t.token).collect()
    }

    #[test]
    fn timespans_and_numbers() {
        use Token::*;
        assert_eq!(
            kinds("10d 1.5h 30m 10s 100ms 1tick 42 4.5 0x1F"),
            vec![Timespan, Timespan, Timespan, Timespan, Timespan, Timespan, Int, Real, Int]
        );
    }

    #[test]
    fn comments_and_literals() {
        use Token::*;
        assert_eq!(
            kinds("T // c\n| where x == datetime(2024-01-01 10:00) // d"),
            vec![Ident, Pipe, Ident, Ident, EqEq, DatetimeLit]
        );
        assert_eq!(kinds(r#"@"C:\x" 'a' "b\"c" ['x y']"#), vec![VerbatimStr, Str, Str, LBracket, Str, RBracket]);
        assert_eq!(string_value(Token::Str, r#""b\"c""#), "b\"c");
        assert_eq!(string_value(Token::VerbatimStr, r#"@"C:\x""y""#), "C:\\x\"y");
    }

    #[test]
    fn unterminated_string_is_an_error() {
        assert!(matches!(lex(&Source::new("t", "T | where a == \"abc")), Err(LexError::UnterminatedString { .. })));
    }

    /// The editor tokens of `q` with their text.
    fn editor(q: &str) -> Vec<(Token, &str)> {
        tokens_for_editor(&Source::new("t", q)).into_iter().map(|t| (t.token, &q[t.span.range()])).collect()
    }

    #[test]
    fn comments_are_editor_tokens_with_their_spans() {
        use Token::*;
        let q = "// head\nT // c\n| take 1 //";
        let toks = tokens_for_editor(&Source::new("t", q));
        let spans: Vec<_> = toks.iter().map(|t| (t.token, t.span.range())).collect();
        assert_eq!(
            spans,
            vec![
                (Comment, 0..7),
                (Ident, 8..9),
                (Comment, 10..14),
                (Pipe, 15..16),
                (Ident, 17..21),
                (Int, 22..23),
                (Comment, 24..26)
            ]
        );
        assert_eq!(kinds(q), vec![Ident, Pipe, Ident, Int]);
        // a comment ends at the line end, a string holding `//` is no comment, `/` alone is division
        assert_eq!(
            editor("print 'a//b' / 2 // x\r\n"),
            vec![(Ident, "print"), (Str, "'a//b'"), (Slash, "/"), (Int, "2"), (Comment, "// x\r")]
        );
    }

    #[test]
    fn unknown_characters_are_tokens_and_lexing_goes_on() {
        use Token::*;
        assert_eq!(
            editor("T | where a == § and b ^ 1 €€ | take 1"),
            vec![
                (Ident, "T"),
                (Pipe, "|"),
                (Ident, "where"),
                (Ident, "a"),
                (EqEq, "=="),
                (Unknown, "§"),
                (Ident, "and"),
                (Ident, "b"),
                (Unknown, "^"),
                (Int, "1"),
                (Unknown, "€"),
                (Unknown, "€"),
                (Pipe, "|"),
                (Ident, "take"),
                (Int, "1"),
            ]
        );
        assert_eq!(editor("x@y\u{1}"), vec![(Ident, "x"), (Unknown, "@"), (Ident, "y"), (Unknown, "\u{1}")]);
    }

    #[test]
    fn half_typed_queries() {
        use Token::*;
        assert_eq!(
            editor("DeviceEvents | where Devi"),
            vec![(Ident, "DeviceEvents"), (Pipe, "|"), (Ident, "where"), (Ident, "Devi")]
        );
        assert_eq!(
            editor("T | where a == \"abc\n| take 1"),
            vec![
                (Ident, "T"),
                (Pipe, "|"),
                (Ident, "where"),
                (Ident, "a"),
                (EqEq, "=="),
                (Unterminated, "\"abc"),
                (Pipe, "|"),
                (Ident, "take"),
                (Int, "1")
            ]
        );
        assert_eq!(editor("print @'C:\\x"), vec![(Ident, "print"), (Unterminated, "@'C:\\x")]);
        assert_eq!(editor("print ```two\nlines"), vec![(Ident, "print"), (Unterminated, "```two\nlines")]);
        assert_eq!(
            editor("T | summarize count() by"),
            vec![
                (Ident, "T"),
                (Pipe, "|"),
                (Ident, "summarize"),
                (Ident, "count"),
                (LParen, "("),
                (RParen, ")"),
                (Ident, "by")
            ]
        );
        assert_eq!(editor("print datetime(2024-01"), editor("print datetime (2024-01"));
        assert!(editor("").is_empty() && editor(" \n\t").is_empty());
    }

    #[test]
    fn lex_errors_are_unchanged() {
        let err = |q: &str| lex(&Source::new("t", q)).unwrap_err();
        assert!(
            matches!(err("T | where a == § | take 1"), LexError::UnexpectedChar { ch: '§', span } if span == miette::SourceSpan::from((15, 2)))
        );
        assert!(
            matches!(err("T // §\n| x ^"), LexError::UnexpectedChar { ch: '^', span } if span == miette::SourceSpan::from((12, 1)))
        );
        assert!(
            matches!(err("T | where a == 'abc\n§"), LexError::UnterminatedString { span } if span == miette::SourceSpan::from((15, 4)))
        );
        // as before, a triple-backtick string without its end is an unexpected '`' covering the run
        assert!(
            matches!(err("print ```x"), LexError::UnexpectedChar { ch: '`', span } if span == miette::SourceSpan::from((6, 4)))
        );
    }

    /// What the lexer skips: Unicode whitespace plus the zero-width characters pasted text brings along.
    fn skipped(c: char) -> bool {
        c.is_whitespace() || matches!(c, '\u{FEFF}' | '\u{200B}' | '\u{200C}' | '\u{200D}')
    }

    /// Every byte outside the editor tokens is whitespace, and the tokens come in order without overlap.
    fn covers_every_byte(q: &str) {
        let mut at = 0;
        for t in tokens_for_editor(&Source::new("t", q)) {
            let r = t.span.range();
            assert!(r.start >= at && r.end > r.start, "{q:?}: {t:?}");
            assert!(q[at..r.start].chars().all(skipped), "{q:?}: gap before {t:?}");
            at = r.end;
        }
        assert!(q[at..].chars().all(skipped), "{q:?}: tail {:?}", &q[at..]);
    }

    fn example_queries() -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/queries");
        let mut out: Vec<String> =
            std::fs::read_dir(dir).unwrap().flatten().map(|e| std::fs::read_to_string(e.path()).unwrap()).collect();
        assert!(out.len() >= 6);
        out.push(
            "let x = 1; // c\nprint x, h'a', @\"b\"\"c\", ```m\n``` , guid(74be27de-1e4e-49d9-b579-fe0b331d3642)"
                .into(),
        );
        out
    }

    #[test]
    fn lex_is_the_editor_tokens_minus_comments() {
        for q in example_queries() {
            let src = Source::new("q", q.as_str());
            let editor: Vec<Tok> = tokens_for_editor(&src).into_iter().filter(|t| t.token != Token::Comment).collect();
            assert_eq!(lex(&src).unwrap(), editor, "{q}");
            covers_every_byte(&q);
        }
        for q in [
            "a § b",
            "```abc",
            "x = 'abc",
            "日本 // x",
            "@",
            "h@\"",
            "T | where x == 1 €€ y\n// c",
            "\u{FEFF}\u{3000}a",
        ] {
            covers_every_byte(q);
        }
    }
}
