//! REPL input: when a typed buffer is a whole query (a blank line or `;;` ends it; a line ending in `|` or
//! inside open brackets continues), and a `.read` script split into the same units.

use crate::lexer::{tokens_for_editor, Token};
use crate::source::Source;

/// Whether `text` (the buffer so far, without the newline of the Enter just pressed) is ready to run: a dot
/// command at once; a query at `;;`, or at a blank line unless brackets are open or the last token is `|`.
/// Two blank lines in a row end it anyway, so a mistyped bracket never traps the user.
pub fn input_complete(text: &str) -> bool {
    let t = text.trim_start();
    if t.is_empty() || t.starts_with('.') {
        return true;
    }
    if t.trim_end().ends_with(";;") || text.ends_with("\n\n") {
        return true;
    }
    let last_line_blank = text.contains('\n') && text.rsplit('\n').next().is_some_and(|l| l.trim().is_empty());
    last_line_blank && !continues(text)
}

/// Open brackets, or a last token that is `|`: the query goes on.
fn continues(text: &str) -> bool {
    let toks = tokens_for_editor(&Source::new("<repl>", text));
    let mut depth = 0i64;
    let mut last = None;
    for t in &toks {
        match t.token {
            Token::LParen | Token::LBracket | Token::LBrace => depth += 1,
            Token::RParen | Token::RBracket | Token::RBrace => depth -= 1,
            _ => {}
        }
        if t.token != Token::Comment {
            last = Some(t.token);
        }
    }
    depth > 0 || last == Some(Token::Pipe)
}

/// The text of a query to run: without the trailing `;;` and blank lines.
pub fn query_text(text: &str) -> &str {
    let t = text.trim_end();
    t.strip_suffix(";;").unwrap_or(t).trim_end()
}

/// A script (`.read FILE`) as the units a user would type: each dot command (one line), each query (up to a
/// blank line or `;;`, or the end of the file).
pub fn split_script(text: &str) -> Vec<String> {
    let mut units = Vec::new();
    let mut buf = String::new();
    for line in text.lines() {
        if buf.trim().is_empty() {
            buf.clear();
            if line.trim_start().starts_with('.') {
                units.push(line.trim().to_string());
                continue;
            }
        }
        if !buf.is_empty() {
            buf.push('\n');
        }
        buf.push_str(line);
        if input_complete(&buf) && !buf.trim().is_empty() {
            units.push(query_text(&buf).to_string());
            buf.clear();
        }
    }
    if !buf.trim().is_empty() {
        units.push(query_text(&buf).to_string());
    }
    units
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_line_or_double_semicolon_ends_a_query() {
        assert!(!input_complete("DeviceEvents"));
        assert!(input_complete("DeviceEvents\n"));
        assert!(input_complete("DeviceEvents | take 5;;"));
        assert!(!input_complete("DeviceEvents\n| take 5"));
        assert!(input_complete("DeviceEvents\n| take 5\n  "));
        assert!(input_complete(".schema DeviceEvents"));
    }

    #[test]
    fn pipes_and_brackets_continue() {
        assert!(!input_complete("DeviceEvents |\n"));
        assert!(!input_complete("DeviceEvents | where x in (1,\n"));
        assert!(!input_complete("DeviceEvents | where x == \"(\" | // (\n"));
        assert!(input_complete("DeviceEvents | where x == \"(\" // (\n"));
        // two blank lines end even an unbalanced query (its error is shown)
        assert!(input_complete("DeviceEvents | where (x\n\n"));
    }

    #[test]
    fn scripts_split_like_typed_input() {
        let s = ".mode csv\nlet W = 1d;\n\nT\n| take 1\n\n.timer on\nT | count;;\nT | take 2";
        assert_eq!(
            split_script(s),
            vec![".mode csv", "let W = 1d;", "T\n| take 1", ".timer on", "T | count", "T | take 2"]
        );
    }
}
