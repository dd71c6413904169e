//! Completion for editors and the REPL: what may be typed at a cursor in half-typed KQL. The context comes
//! from the text before the cursor (statement start, after `|`, after `kind=`, inside an expression); the
//! columns in scope come from binding the pipeline up to the stage the cursor is in, so they are exactly the
//! binder's row scope there.

use super::Session;
use crate::source::Source;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CompletionKind {
    Column,
    Let,
    Table,
    Operator,
    Function,
    Value,
    Keyword,
}

/// One thing that can be typed: its text, what it is, and a short description (a column's type, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub text: String,
    pub kind: CompletionKind,
    pub detail: String,
}

/// What can be typed at a cursor: the items, and the byte offset where the word they replace starts (the
/// text from `start` to the cursor is the partial word they were filtered by).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Completions {
    pub start: usize,
    pub items: Vec<Completion>,
}

/// Where the cursor is, as completion sees it.
#[derive(Debug, PartialEq)]
enum Context {
    /// start of a statement, or a tabular argument (`union`, `join (`): tables and lets
    Tabular,
    /// right after `|`: operator names
    Operator,
    /// after `kind=` of this operator
    Kind(String),
    /// inside an expression: columns of the pipe stage (bound from `scope_text`), functions, lets
    Expression { scope_text: Option<String> },
    /// after `ActionType ==` (or `in (`, `=~`, `!=`): the catalog's ActionType values of the table; `quoted`
    /// when the user has opened the string already
    ActionType { table: String, quoted: bool },
}

pub(super) fn complete(s: &Session, text: &str, cursor: usize) -> Completions {
    let mut cursor = cursor.min(text.len());
    while !text.is_char_boundary(cursor) {
        cursor -= 1;
    }
    let before = text.get(..cursor).unwrap_or_default();
    let word_start = before.rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-')).map_or(0, |i| i + 1);
    let word = before.get(word_start..).unwrap_or_default();
    let head = before.get(..word_start).unwrap_or_default();
    let mut items = match context(head) {
        Context::Tabular => tables(s),
        Context::Operator => {
            crate::parser::OPERATORS.iter().map(|(k, _)| item(k, CompletionKind::Operator, "operator")).collect()
        }
        Context::Kind(op) => crate::binder::KIND_VALUES
            .iter()
            .filter(|(o, _)| *o == op)
            .flat_map(|(_, vals)| vals.iter().map(|v| item(v, CompletionKind::Value, &format!("{op} kind"))))
            .collect(),
        Context::ActionType { table, quoted } => action_types(&table)
            .into_iter()
            .map(|v| {
                let text = if quoted { v.to_string() } else { format!("\"{v}\"") };
                item(&text, CompletionKind::Value, &format!("{table} ActionType"))
            })
            .collect(),
        Context::Expression { scope_text } => {
            let mut v = scope_text.map(|t| columns(s, &t)).unwrap_or_default();
            v.extend(lets(s, head));
            v.extend(crate::functions::all_names().map(|f| item(f, CompletionKind::Function, "function")));
            v
        }
    };
    // a word with '-' is only ever an operator name (project-away); elsewhere '-' is minus
    let word = if matches!(items.first(), Some(c) if c.kind == CompletionKind::Operator) {
        word
    } else {
        word.rsplit('-').next().unwrap_or(word)
    };
    let lower = word.to_lowercase();
    items.retain(|c| c.text.to_lowercase().starts_with(&lower));
    items.sort_by(|a, b| {
        let exact = |c: &Completion| !c.text.starts_with(word);
        (exact(a), a.kind, &a.text).cmp(&(exact(b), b.kind, &b.text))
    });
    items.dedup_by(|a, b| a.text == b.text && a.kind == b.kind);
    Completions { start: cursor - word.len(), items }
}

fn item(text: &str, kind: CompletionKind, detail: &str) -> Completion {
    Completion { text: text.to_string(), kind, detail: detail.to_string() }
}

/// The context of the text before the word being typed.
fn context(head: &str) -> Context {
    let code = blank_strings_and_comments(head);
    let trimmed = code.trim_end();
    if trimmed.is_empty() || trimmed.ends_with(';') {
        return Context::Tabular;
    }
    if trimmed.ends_with('|') {
        return Context::Operator;
    }
    if let Some(rest) = trimmed.strip_suffix('=') {
        if rest.trim_end().ends_with("kind") {
            return Context::Kind(current_operator(&code));
        }
    }
    let last_word = trimmed.rsplit(|c: char| c.is_whitespace() || c == '(').next().unwrap_or_default();
    let open_paren_after_source = trimmed.ends_with('(')
        && matches!(current_operator(&code).as_str(), "join" | "lookup" | "union")
        && !trimmed.trim_end_matches('(').trim_end().ends_with(|c: char| c.is_alphanumeric() || c == '_')
        || trimmed.ends_with('(') && last_word_before_paren(trimmed).is_some_and(|w| w == "union");
    if matches!(last_word, "union" | "join" | "lookup" | "from") || open_paren_after_source {
        return Context::Tabular;
    }
    if trimmed.ends_with(',') && current_operator(&code) == "union" {
        return Context::Tabular;
    }
    let scope = scope_text(head, &code);
    if let Some(table) = scope.as_deref().and_then(source_table).filter(|_| after_action_type(trimmed)) {
        let quoted = head.trim_end().ends_with(['"', '\'']);
        return Context::ActionType { table, quoted };
    }
    Context::Expression { scope_text: scope }
}

/// Does the code (strings blanked) end with `ActionType ==` / `=~` / `!=` / `!~`, or inside `ActionType in (`?
fn after_action_type(code: &str) -> bool {
    let ends_with_column = |t: &str| t.trim_end().ends_with("ActionType");
    if let Some(rest) = ["==", "=~", "!=", "!~"].iter().find_map(|op| code.strip_suffix(op)) {
        return ends_with_column(rest);
    }
    let Some(open) = code.rfind('(') else { return false };
    let (before, inside) = (code.get(..open).unwrap_or_default(), code.get(open + 1..).unwrap_or_default());
    let before = before.trim_end();
    let list_op = ["in~", "!in~", "in", "!in", "has_any"].iter().find_map(|op| before.strip_suffix(op));
    inside.chars().all(|c| c.is_whitespace() || c == ',') && list_op.is_some_and(ends_with_column)
}

/// The table a pipeline prefix starts from (its first word after any `let` statements).
fn source_table(scope: &str) -> Option<String> {
    let stmt = scope.rsplit(';').next().unwrap_or(scope).trim_start();
    let name: String = stmt.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    (!name.is_empty()).then_some(name)
}

/// The catalog's known ActionType values of a table (Defender's, else Sentinel's).
fn action_types(table: &str) -> Vec<&'static str> {
    let t = crate::catalog::defender().get(table).or_else(|| crate::catalog::sentinel().get(table));
    t.map(|t| t.action_types.iter().map(String::as_str).collect()).unwrap_or_default()
}

fn last_word_before_paren(t: &str) -> Option<&str> {
    t.strip_suffix('(')?.trim_end().rsplit(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_')).next()
}

/// The operator keyword of the pipe stage the text ends in (`""` at a statement's source).
fn current_operator(code: &str) -> String {
    let stage = code.rsplit('|').next().unwrap_or_default();
    stage.split_whitespace().next().unwrap_or_default().to_string()
}

/// The text to bind for the row scope at the end of `head`: everything before the last `|` of the
/// innermost open bracket (with the statements before it, for their `let`s); `None` before the first `|`.
fn scope_text(head: &str, code: &str) -> Option<String> {
    // one level per open bracket: where it starts and its last pipe; a level without a pipe (a function's
    // arguments) sees the rows of the level around it
    let mut levels: Vec<(usize, Option<usize>)> = vec![(0, None)];
    for (i, c) in code.char_indices() {
        match c {
            '(' | '[' | '{' => levels.push((i + 1, None)),
            ')' | ']' | '}' if levels.len() > 1 => {
                levels.pop();
            }
            '|' => {
                if let Some(l) = levels.last_mut() {
                    l.1 = Some(i);
                }
            }
            ';' if levels.len() == 1 => levels = vec![(i + 1, None)],
            _ => {}
        }
    }
    let (start, pipe) = levels.iter().rev().find_map(|(s, p)| p.map(|p| (*s, p)))?;
    // statements before the current one keep their lets in scope
    let stmt_start = code.get(..start).and_then(|t| t.rfind(';')).map_or(0, |i| i + 1);
    let lets = if start > 0 { head.get(..stmt_start).unwrap_or_default() } else { "" };
    Some(format!("{lets}{}", head.get(start..pipe).unwrap_or_default()))
}

/// The text with string literals and `//` comments replaced by spaces (offsets unchanged), so brackets, pipes
/// and semicolons inside them do not count.
fn blank_strings_and_comments(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut comment = false;
    let mut prev = '\0';
    for c in t.chars() {
        let blank = |out: &mut String, c: char| out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        if comment {
            if c == '\n' {
                comment = false;
                out.push(c);
            } else {
                blank(&mut out, c);
            }
        } else if let Some(q) = quote {
            blank(&mut out, c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
        } else if c == '"' || c == '\'' {
            quote = Some(c);
            blank(&mut out, c);
        } else if c == '/' && prev == '/' {
            out.pop();
            out.push_str("  ");
            comment = true;
        } else {
            out.push(c);
        }
        prev = c;
    }
    out
}

fn tables(s: &Session) -> Vec<Completion> {
    let mut v: Vec<Completion> = s
        .catalog()
        .table_names(s.options().env)
        .into_iter()
        .map(|t| {
            let detail = if s.catalog().loaded.contains_key(&t) { "table (loaded)" } else { "table" };
            item(&t, CompletionKind::Table, detail)
        })
        .collect();
    v.extend(s.definitions().into_iter().map(|(n, _)| item(&n, CompletionKind::Let, "let")));
    v.extend(crate::catalog::builtin_function_names().map(|f| item(f, CompletionKind::Function, "table function")));
    v.push(item("let", CompletionKind::Keyword, "statement"));
    v
}

/// The columns of the rows `text` (a pipeline prefix) produces, with their types.
fn columns(s: &Session, text: &str) -> Vec<Completion> {
    match s.check(&Source::new("<completion>", text)) {
        Ok(q) => q.schema.columns.iter().map(|c| item(&c.name, CompletionKind::Column, &c.ty.to_string())).collect(),
        Err(_) => Vec::new(),
    }
}

/// The `let` names defined in the session and earlier in the text.
fn lets(s: &Session, head: &str) -> Vec<Completion> {
    let mut v: Vec<Completion> =
        s.definitions().into_iter().map(|(n, _)| item(&n, CompletionKind::Let, "let")).collect();
    let code = blank_strings_and_comments(head);
    let mut rest = code.as_str();
    while let Some(i) = rest.find("let ") {
        let after = rest.get(i + 4..).unwrap_or_default().trim_start();
        let name: String = after.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if !name.is_empty() {
            v.push(item(&name, CompletionKind::Let, "let"));
        }
        rest = rest.get(i + 4..).unwrap_or_default();
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::SessionOptions;

    fn session() -> Session {
        let mut s = Session::new(SessionOptions::default()).expect("session");
        s.define(&Source::from("let Suspicious = dynamic(['a']);")).expect("define");
        s
    }

    fn names(s: &Session, text: &str) -> Vec<String> {
        s.complete(text, text.len()).items.into_iter().map(|c| c.text).collect()
    }

    #[test]
    fn tables_at_the_start() {
        let s = session();
        let got = names(&s, "DeviceLo");
        assert_eq!(got.first().map(String::as_str), Some("DeviceLogonEvents"));
        assert!(names(&s, "").contains(&"DeviceProcessEvents".to_string()));
        assert!(names(&s, "Sus").contains(&"Suspicious".to_string()));
    }

    #[test]
    fn operators_after_a_pipe() {
        let s = session();
        let got = names(&s, "DeviceEvents | su");
        assert_eq!(got, vec!["summarize"]);
        assert!(names(&s, "DeviceEvents | project-a").contains(&"project-away".to_string()));
        // the word replaced starts at the operator's first letter, '-' included
        assert_eq!(s.complete("T | project-a", 13).start, 4);
        // elsewhere '-' is minus: only the part after it is replaced
        assert_eq!(s.complete("T | extend x = 1-Tim", 20).start, 17);
    }

    #[test]
    fn columns_in_scope_at_the_stage() {
        let s = session();
        let got = names(&s, "DeviceProcessEvents | where Timestamp > ago(1d) | where FileNa");
        assert_eq!(got.first().map(String::as_str), Some("FileName"));
        // after a project only the projected columns are in scope
        let got = names(&s, "DeviceProcessEvents | project DeviceName, FileName | where Dev");
        assert_eq!(got.first().map(String::as_str), Some("DeviceName"));
        assert!(!got.contains(&"DeviceId".to_string()), "{got:?}");
        // summarize ... by: the columns before it
        assert!(names(&s, "DeviceLogonEvents | summarize count() by Acc").contains(&"AccountName".to_string()));
        // columns created by extend
        assert!(names(&s, "DeviceEvents | extend Hits = 1 | where Hi").contains(&"Hits".to_string()));
        // inside a function's arguments
        assert!(names(&s, "DeviceEvents | where isnotempty(Remot").contains(&"RemoteIP".to_string()));
    }

    #[test]
    fn columns_inside_a_subquery_and_with_lets() {
        let s = session();
        let q = "let T = DeviceNetworkEvents | where RemotePort == 3389;\nDeviceLogonEvents | join kind=inner (T | where Remo";
        assert!(names(&s, q).contains(&"RemoteIP".to_string()));
        let q = "let Window = 1d;\nDeviceLogonEvents | where Timestamp > ago(Win";
        assert!(names(&s, q).contains(&"Window".to_string()));
    }

    #[test]
    fn functions_and_kind_values() {
        let s = session();
        assert!(names(&s, "DeviceEvents | extend x = tostr").contains(&"tostring".to_string()));
        assert!(names(&s, "DeviceEvents | summarize dcou").contains(&"dcount".to_string()));
        assert_eq!(names(&s, "DeviceEvents | join kind=left"), vec!["leftanti", "leftouter", "leftsemi"]);
        assert_eq!(names(&s, "DeviceEvents | parse kind="), vec!["regex", "relaxed", "simple"]);
    }

    #[test]
    fn action_type_values_from_the_catalog() {
        let s = session();
        let q = "DeviceLogonEvents | where ActionType == \"LogonF";
        assert_eq!(names(&s, q), vec!["LogonFailed"]);
        assert_eq!(s.complete(q, q.len()).start, q.len() - "LogonF".len(), "the opened string is kept");
        let got = names(&s, "DeviceLogonEvents | where ActionType == ");
        assert!(got.contains(&"\"LogonSuccess\"".to_string()), "{got:?}");
        let got =
            names(&s, "DeviceLogonEvents | where Timestamp > ago(1d) | where ActionType in (\"LogonSuccess\", \"Logon");
        assert!(got.contains(&"LogonFailed".to_string()), "{got:?}");
        // other columns compared with == still complete columns and functions
        assert!(names(&s, "DeviceLogonEvents | where AccountName == Acc").contains(&"AccountName".to_string()));
    }

    #[test]
    fn half_typed_text_never_fails() {
        let s = session();
        for q in ["DeviceEvents | where FileName == \"a|b", "(((", "| ", "DeviceEvents | join (", "T | where x ==", "§"]
        {
            let _ = s.complete(q, q.len());
            let _ = s.complete(q, 1);
        }
        // a pipe inside a string is not a stage
        assert!(names(&s, "DeviceEvents | where FileName == \"a|b\" and Dev").contains(&"DeviceName".to_string()));
    }
}
