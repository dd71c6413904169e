//! Lex stage: `&Source` → `Vec<Tok>` (logos). Words stay `Ident`, so keywords are contextual as in Kusto;
//! literals whose inside is not KQL (`datetime(2024-01-01 10:00)`, `guid(...)`, `time(1.2:00:00)`) are one token.

use crate::diagnostics::LexError;
use crate::source::{Source, Span};
use logos::Logos;

#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[logos(skip r"[ \t\r\n\f\u{FEFF}\u{200B}\u{200C}\u{200D}\u{00A0}\u{202F}\u{2009}\u{2007}\u{3000}]+")]
#[logos(skip(r"//[^\n]*", allow_greedy = true))]
pub enum Token {
    #[regex(r"[A-Za-z_$][A-Za-z0-9_]*")]
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
    /// A string missing its closing quote (reported as `kqlite::lex::unterminated_string`).
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

/// Turns the source into tokens; fails on the first character no token starts with.
pub fn lex(src: &Source) -> Result<Vec<Tok>, LexError> {
    let mut out = Vec::new();
    let mut lexer = Token::lexer(&src.text);
    while let Some(res) = lexer.next() {
        let r = lexer.span();
        let span = Span::new(r.start, r.end);
        match res {
            Ok(Token::Unterminated) => return Err(LexError::UnterminatedString { span: span.into() }),
            Ok(token) => out.push(Tok { token, span }),
            Err(()) => {
                let ch = src.text.get(r.clone()).and_then(|s| s.chars().next()).unwrap_or('?');
                return Err(LexError::UnexpectedChar { ch, span: span.into() });
            }
        }
    }
    Ok(out)
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
}
