//! Lints: house rules for hunting and detection queries, checked on a query that parses. Each is a warning
//! by default with a code (`kqlite::lint::NAME`), a message, a help line and the rationale in [`RULES`] (which
//! SARIF's rule descriptions and the README's table come from). A pack sets levels in `kqlite.toml`; a query
//! silences one with `// kqlite-disable-next-line NAME` or `// kqlite-disable NAME` ([`super::check`]).
//!
//! They read the query's tokens (and its result schema, for detections), so they run in microseconds and never
//! see data.
#![warn(clippy::indexing_slicing)]

use crate::catalog::{Catalog, Env};
use crate::lexer::{Tok, Token};
use crate::types::KqlSchema;

/// A lint's documentation.
#[derive(Debug, Clone, Copy)]
pub struct LintRule {
    pub name: &'static str,
    pub title: &'static str,
    pub rationale: &'static str,
}

/// Every lint, in the order they are documented.
pub const RULES: &[LintRule] = &[
    LintRule {
        name: "detection_output",
        title: "A Defender custom detection must output Timestamp, ReportId and an entity column",
        rationale: "Defender XDR refuses to save a custom detection rule whose query does not return Timestamp, \
                    ReportId and at least one column naming the impacted asset (DeviceId, DeviceName, AccountObjectId, \
                    AccountSid, AccountUpn, RecipientEmailAddress, ...): alerts are built from those columns.",
    },
    LintRule {
        name: "no_time_filter",
        title: "A large table is read without a time filter",
        rationale: "Without `where Timestamp > ago(...)` (or TimeGenerated) the query scans the table's whole \
                    retention: slow in the portal, throttled in the API, and the answer depends on when it runs.",
    },
    LintRule {
        name: "join_without_kind",
        title: "join without kind=",
        rationale: "Kusto's default join is innerunique: the left side is deduplicated on the key before joining, \
                    so rows silently disappear. Say kind=inner (or the kind you mean) so readers and engines agree.",
    },
    LintRule {
        name: "contains_could_be_has",
        title: "contains on a whole term where has would do",
        rationale: "`has` looks up whole terms in the term index; `contains` scans every character of every row. \
                    When the needle is a whole word (letters and digits only, 3 or more), `has` is much faster; keep \
                    `contains` only when the needle may sit inside a longer word.",
    },
    LintRule {
        name: "wildcard_tables",
        title: "search or union over every table",
        rationale: "`search *`, `search` without `in (...)` and `union *` read every table of the workspace: slow, \
                    costly, and the result changes whenever a table is added.",
    },
    LintRule {
        name: "deprecated_spelling",
        title: "A deprecated spelling",
        rationale: "makeset, makelist, mvexpand, parsejson, argmax, argmin, any... are legacy spellings kept for old \
                    queries; the documented names (make_set, make_list, mv-expand, parse_json, arg_max, arg_min, \
                    take_any) are what the reference describes and what tools complete.",
    },
    LintRule {
        name: "unused_let",
        title: "A let that is never used",
        rationale: "A let statement nothing refers to is dead code: usually a renamed variable or a filter the \
                    author meant to apply and did not.",
    },
    LintRule {
        name: "case_sensitive_equals",
        title: "== on a value whose case varies",
        rationale: "`==` compares case-sensitively. File names, paths, command lines, account and device names \
                    come in any case (PowerShell.exe, powershell.EXE), so `FileName == \"PowerShell.exe\"` misses \
                    rows; `=~` compares without case and is just as fast.",
    },
];

/// The rule of a lint name.
pub fn rule(name: &str) -> Option<&'static LintRule> {
    RULES.iter().find(|r| r.name == name)
}

/// What the lints know about a query besides its text.
pub struct LintContext<'a> {
    pub catalog: &'a Catalog,
    pub env: Env,
    /// the query runs over a time window set outside it (a Sentinel scheduled rule's queryPeriod)
    pub windowed: bool,
    /// the query is a Defender custom detection
    pub detection: bool,
    /// its result schema, when it bound
    pub schema: Option<&'a KqlSchema>,
}

/// One lint hit, in query coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub lint: &'static str,
    pub message: String,
    pub help: Option<String>,
    pub offset: usize,
    pub len: usize,
}

const TIME_COLUMNS: &[&str] = &["Timestamp", "TimeGenerated"];

const ENTITY_COLUMNS: &[&str] = &[
    "DeviceId",
    "DeviceName",
    "RemoteDeviceName",
    "RecipientEmailAddress",
    "SenderFromAddress",
    "SenderMailFromAddress",
    "RecipientObjectId",
    "AccountObjectId",
    "AccountSid",
    "AccountUpn",
    "InitiatingProcessAccountSid",
    "InitiatingProcessAccountUpn",
    "InitiatingProcessAccountObjectId",
];

/// Column name endings whose values come in any case.
const CASE_VARIANT: &[&str] = &[
    "FileName",
    "FolderPath",
    "CommandLine",
    "AccountName",
    "AccountDomain",
    "DeviceName",
    "ProcessName",
    "UserPrincipalName",
    "Upn",
    "Computer",
    "HostName",
    "Url",
    "DomainName",
];

const DEPRECATED_FUNCTIONS: &[(&str, &str)] = &[
    ("makeset", "make_set"),
    ("makelist", "make_list"),
    ("parsejson", "parse_json"),
    ("argmax", "arg_max"),
    ("argmin", "arg_min"),
    ("any", "take_any"),
    ("anyif", "take_anyif"),
    ("make_dictionary", "make_bag"),
    ("toobject", "todynamic"),
];

const DEPRECATED_OPERATORS: &[(&str, &str)] = &[("mvexpand", "mv-expand"), ("mvapply", "mv-apply")];

/// Runs every lint over a query's tokens (from [`crate::lexer::lex`]).
pub fn lint(text: &str, tokens: &[Tok], has_query: bool, cx: &LintContext) -> Vec<Hit> {
    let t = Tokens { text, toks: tokens };
    let mut out = Vec::new();
    if cx.detection {
        detection_output(cx, text.lines().next().map_or(0, str::len), &mut out);
    }
    if !cx.windowed {
        no_time_filter(&t, cx, &mut out);
    }
    for i in 0..tokens.len() {
        join_without_kind(&t, i, &mut out);
        contains_could_be_has(&t, i, &mut out);
        wildcard_tables(&t, i, &mut out);
        deprecated_spelling(&t, i, &mut out);
        case_sensitive_equals(&t, i, &mut out);
    }
    if has_query {
        unused_let(&t, &mut out);
    }
    out.sort_by_key(|h| h.offset);
    out
}

struct Tokens<'a> {
    text: &'a str,
    toks: &'a [Tok],
}

impl Tokens<'_> {
    fn kind(&self, i: usize) -> Option<Token> {
        self.toks.get(i).map(|t| t.token)
    }
    fn text(&self, i: usize) -> &str {
        self.toks.get(i).and_then(|t| self.text.get(t.span.range())).unwrap_or("")
    }
    /// The identifier at `i` (None for other tokens).
    fn word(&self, i: usize) -> Option<&str> {
        (self.kind(i) == Some(Token::Ident)).then(|| self.text(i))
    }
    fn span(&self, i: usize) -> (usize, usize) {
        self.toks.get(i).map(|t| (t.span.start as usize, (t.span.end - t.span.start) as usize)).unwrap_or((0, 0))
    }
    fn hit(&self, i: usize, lint: &'static str, message: String, help: &str) -> Hit {
        let (offset, len) = self.span(i);
        Hit { lint, message, help: Some(help.to_string()), offset, len }
    }
    /// The text of a string literal token without its quotes (None for other tokens or escapes).
    fn string(&self, i: usize) -> Option<&str> {
        if self.kind(i) != Some(Token::Str) {
            return None;
        }
        let s = self.text(i);
        let inner = s.get(1..s.len().saturating_sub(1))?;
        (!inner.contains('\\')).then_some(inner)
    }
    fn statement_start(&self, i: usize) -> bool {
        i == 0 || matches!(self.kind(i.wrapping_sub(1)), Some(Token::Semi))
    }
}

/// `first_line`: the length of the query's first line, which the finding underlines.
fn detection_output(cx: &LintContext, first_line: usize, out: &mut Vec<Hit>) {
    let Some(schema) = cx.schema else { return };
    let has = |c: &str| schema.find(c).is_some();
    let mut missing: Vec<&str> = ["Timestamp", "ReportId"].into_iter().filter(|c| !has(c)).collect();
    let entity = ENTITY_COLUMNS.iter().any(|c| has(c));
    if !entity {
        missing.push("an entity column");
    }
    if missing.is_empty() || schema.is_empty() {
        return;
    }
    out.push(Hit {
        lint: "detection_output",
        message: format!("this custom detection does not output {}", missing.join(", ")),
        help: Some(format!(
            "project Timestamp, ReportId and one of {} (a summarize loses them: use arg_max(Timestamp, *) by the entity)",
            ENTITY_COLUMNS.join(", ")
        )),
        offset: 0,
        len: first_line,
    });
}

fn no_time_filter(t: &Tokens, cx: &LintContext, out: &mut Vec<Hit>) {
    let n = t.toks.len();
    let filtered = (0..n).any(|i| {
        let w = t.word(i).unwrap_or("");
        let is_cmp = |j: usize| matches!(t.kind(j), Some(Token::Gt | Token::Ge | Token::Lt | Token::Le | Token::EqEq));
        w == "ago"
            || (TIME_COLUMNS.contains(&w)
                && (is_cmp(i + 1) || t.word(i + 1) == Some("between") || (i > 0 && is_cmp(i - 1))))
    });
    if filtered {
        return;
    }
    for i in table_positions(t) {
        let Some(w) = t.word(i) else { continue };
        let Some(schema) = cx.catalog.builtin(cx.env, w) else { continue };
        let Some(time) = TIME_COLUMNS.iter().find(|c| schema.find(c).is_some()) else { continue };
        out.push(t.hit(
            i,
            "no_time_filter",
            format!("{w} is read without a time filter: the query scans its whole retention"),
            &format!("add `| where {time} > ago(7d)` (or the window you mean) right after the table"),
        ));
        return;
    }
}

/// Words that open a parenthesis holding a tabular expression (everything else with `(` is a function call).
const TABULAR_CALLS: &[&str] = &["join", "lookup", "union", "materialize", "toscalar", "view"];

/// The identifiers standing where a table is read: a statement's or function body's start, `let X = T`, the
/// legs of `union`, the right side of `join`/`lookup` (bare or in parentheses); never a function's argument
/// or a column after a pipe.
fn table_positions(t: &Tokens) -> Vec<usize> {
    let mut out = Vec::new();
    // the word before each open parenthesis ("" for none), and the first word of the current pipe segment
    let mut parens: Vec<&str> = Vec::new();
    let mut segment: Vec<&str> = vec![""];
    for i in 0..t.toks.len() {
        match t.kind(i) {
            Some(Token::LParen) => {
                // `join kind=inner (T)`: the parenthesis belongs to the operator, not to `inner`
                let param = matches!(t.word(i.wrapping_sub(3)), Some("kind" | "isfuzzy" | "withsource"))
                    || t.kind(i.wrapping_sub(4)) == Some(Token::Dot);
                let opener = if t.kind(i.wrapping_sub(2)) == Some(Token::Assign) && param {
                    segment.last().copied().unwrap_or("")
                } else {
                    t.word(i.wrapping_sub(1)).unwrap_or("")
                };
                parens.push(opener);
                segment.push("");
                continue;
            }
            Some(Token::RParen) => {
                parens.pop();
                segment.pop();
                continue;
            }
            Some(Token::Pipe | Token::Semi) => {
                if let Some(s) = segment.last_mut() {
                    *s = "";
                }
                continue;
            }
            Some(Token::Ident) => {}
            _ => continue,
        }
        let first = segment.last().copied().unwrap_or("");
        let w = t.word(i).unwrap_or("");
        if first.is_empty() {
            if let Some(s) = segment.last_mut() {
                *s = w;
            }
        }
        let context_ok =
            parens.last().is_none_or(|p| TABULAR_CALLS.contains(p) || p.is_empty() || !is_function_name(p));
        const KEYWORDS: &[&str] = &[
            "let",
            "set",
            "declare",
            "print",
            "datatable",
            "range",
            "union",
            "search",
            "find",
            "externaldata",
            "evaluate",
            "materialize",
        ];
        if !context_ok
            || KEYWORDS.contains(&w)
            || t.kind(i + 1) == Some(Token::LParen)
            || t.kind(i + 1) == Some(Token::Assign)
        {
            continue;
        }
        let prev = t.kind(i.wrapping_sub(1));
        let prev_word = t.word(i.wrapping_sub(1)).unwrap_or("");
        let in_union = first == "union" || parens.last() == Some(&"union");
        let after_param_value = prev == Some(Token::Ident) && t.kind(i.wrapping_sub(2)) == Some(Token::Assign);
        let at = match prev {
            None | Some(Token::Semi | Token::LBrace) => true,
            Some(Token::LParen) => true,
            Some(Token::Comma) => in_union,
            Some(Token::Assign) => t.word(i.wrapping_sub(3)) == Some("let"),
            Some(Token::Ident) => {
                matches!(prev_word, "union" | "join" | "lookup")
                    || (after_param_value && (first == "join" || first == "lookup" || first == "union"))
            }
            _ => false,
        };
        if at {
            out.push(i);
        }
    }
    out
}

/// A word before `(` that calls a scalar or aggregate function (not a tabular operator or a let's body).
fn is_function_name(w: &str) -> bool {
    !matches!(w, "in" | "by" | "on" | "with" | "kind" | "project" | "extend" | "where")
}

fn join_without_kind(t: &Tokens, i: usize, out: &mut Vec<Hit>) {
    if t.word(i) != Some("join") || t.kind(i.wrapping_sub(1)) != Some(Token::Pipe) {
        return;
    }
    let mut j = i + 1;
    loop {
        match t.word(j) {
            Some("kind") => return,
            // hint.strategy = shuffle, hint.remote = auto ...
            Some(w) if w.starts_with("hint") => {
                j += 1;
                while matches!(t.kind(j), Some(Token::Dot | Token::Ident | Token::Assign)) {
                    j += 1;
                    if t.kind(j.wrapping_sub(1)) == Some(Token::Assign) {
                        j += 1;
                        break;
                    }
                }
            }
            _ => break,
        }
    }
    out.push(t.hit(
        i,
        "join_without_kind",
        "join without kind= is an innerunique join: left rows with the same key are deduplicated first".into(),
        "write the kind you mean: kind=inner for every match, kind=innerunique to keep Kusto's default explicitly",
    ));
}

fn contains_could_be_has(t: &Tokens, i: usize, out: &mut Vec<Hit>) {
    let Some(op @ ("contains" | "contains_cs")) = t.word(i) else { return };
    let Some(needle) = t.string(i + 1) else { return };
    if needle.len() < 3 || !needle.chars().all(|c| c.is_ascii_alphanumeric()) {
        return;
    }
    let negated = t.kind(i.wrapping_sub(1)) == Some(Token::Bang);
    let has = match (op, negated) {
        ("contains", false) => "has",
        ("contains", true) => "!has",
        (_, false) => "has_cs",
        _ => "!has_cs",
    };
    out.push(t.hit(
        i,
        "contains_could_be_has",
        format!("`{op} \"{needle}\"` scans every character; \"{needle}\" is a whole term"),
        &format!("if you mean the whole word, `{has} \"{needle}\"` uses the term index and is much faster"),
    ));
}

fn wildcard_tables(t: &Tokens, i: usize, out: &mut Vec<Hit>) {
    let Some(w) = t.word(i) else { return };
    let message = match w {
        "union" => {
            // union [withsource=T] [kind=K] [isfuzzy=B] *
            let mut j = i + 1;
            while t.kind(j) == Some(Token::Ident) && t.kind(j + 1) == Some(Token::Assign) {
                j += 3;
            }
            if t.kind(j) != Some(Token::Star) {
                return;
            }
            "`union *` reads every table of the workspace"
        }
        "search" if t.statement_start(i) => {
            let scoped = (i + 1..t.toks.len().min(i + 8)).any(|j| t.word(j) == Some("in"));
            if scoped {
                return;
            }
            "`search` without `in (...)` reads every table of the workspace"
        }
        _ => return,
    };
    out.push(t.hit(
        i,
        "wildcard_tables",
        message.into(),
        "name the tables: `union DeviceProcessEvents, DeviceNetworkEvents` or `search in (T1, T2) ...`",
    ));
}

fn deprecated_spelling(t: &Tokens, i: usize, out: &mut Vec<Hit>) {
    let Some(w) = t.word(i) else { return };
    let replacement = if t.kind(i + 1) == Some(Token::LParen) && t.kind(i.wrapping_sub(1)) != Some(Token::Dot) {
        DEPRECATED_FUNCTIONS.iter().find(|(old, _)| *old == w).map(|(_, new)| *new)
    } else if t.kind(i.wrapping_sub(1)) == Some(Token::Pipe) {
        DEPRECATED_OPERATORS.iter().find(|(old, _)| *old == w).map(|(_, new)| *new)
    } else {
        None
    };
    let Some(new) = replacement else { return };
    out.push(t.hit(
        i,
        "deprecated_spelling",
        format!("`{w}` is a deprecated spelling of `{new}`"),
        &format!("write `{new}`"),
    ));
}

fn case_sensitive_equals(t: &Tokens, i: usize, out: &mut Vec<Hit>) {
    let Some(op @ (Token::EqEq | Token::NotEq)) = t.kind(i) else { return };
    let Some(column) = t.word(i.wrapping_sub(1)) else { return };
    let Some(value) = t.string(i + 1) else { return };
    if !CASE_VARIANT.iter().any(|c| column.ends_with(c)) || !value.chars().any(|c| c.is_ascii_uppercase()) {
        return;
    }
    let (sym, alt) = if op == Token::EqEq { ("==", "=~") } else { ("!=", "!~") };
    out.push(t.hit(
        i,
        "case_sensitive_equals",
        format!("`{column} {sym} \"{value}\"` is case-sensitive, and {column} values come in any case"),
        &format!("use `{alt}` to compare without case"),
    ));
}

fn unused_let(t: &Tokens, out: &mut Vec<Hit>) {
    let n = t.toks.len();
    let mut depth = 0i32;
    for i in 0..n {
        match t.kind(i) {
            Some(Token::LParen | Token::LBrace | Token::LBracket) => depth += 1,
            Some(Token::RParen | Token::RBrace | Token::RBracket) => depth -= 1,
            _ => {}
        }
        if depth != 0 || t.word(i) != Some("let") || !t.statement_start(i) {
            continue;
        }
        let Some(name) = t.word(i + 1) else { continue };
        let used =
            (0..n).any(|j| j != i + 1 && t.word(j) == Some(name) && t.kind(j.wrapping_sub(1)) != Some(Token::Dot));
        if !used {
            out.push(t.hit(
                i + 1,
                "unused_let",
                format!("`{name}` is declared but never used"),
                "use it, or remove the let statement",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Source;

    fn lints(q: &str, windowed: bool, detection: bool, schema: Option<&KqlSchema>) -> Vec<(&'static str, String)> {
        let catalog = Catalog::new();
        let cx = LintContext { catalog: &catalog, env: Env::Auto, windowed, detection, schema };
        let toks = crate::lexer::lex(&Source::query(q)).unwrap();
        lint(q, &toks, true, &cx).into_iter().map(|h| (h.lint, q[h.offset..h.offset + h.len].to_string())).collect()
    }

    fn names(q: &str) -> Vec<&'static str> {
        lints(q, false, false, None).into_iter().map(|(n, _)| n).collect()
    }

    #[test]
    fn each_lint_fires_on_its_pattern_and_points_at_it() {
        let q = "DeviceProcessEvents | where FileName == \"PowerShell.exe\" | join (DeviceNetworkEvents) on DeviceId";
        assert_eq!(
            lints(q, false, false, None),
            vec![
                ("no_time_filter", "DeviceProcessEvents".into()),
                ("case_sensitive_equals", "==".into()),
                ("join_without_kind", "join".into())
            ]
        );
        assert_eq!(
            names("T | where Timestamp > ago(1d) | where CommandLine contains \"mimikatz\""),
            vec!["contains_could_be_has"]
        );
        assert_eq!(names("T | where CommandLine contains \"-enc\""), Vec::<&str>::new());
        assert_eq!(names("T | summarize makeset(x) | mvexpand x"), vec!["deprecated_spelling", "deprecated_spelling"]);
        assert_eq!(names("union withsource=T *"), vec!["wildcard_tables"]);
        assert_eq!(names("search \"x\""), vec!["wildcard_tables"]);
        assert_eq!(names("search in (T) \"x\""), Vec::<&str>::new());
        assert_eq!(names("let a = 1; let b = 2; T | where x == b"), vec!["unused_let"]);
        assert_eq!(
            names("T | join kind=inner (U) on k | join hint.strategy=shuffle kind=leftouter (V) on k"),
            Vec::<&str>::new()
        );
        assert_eq!(names("T | join hint.strategy = shuffle (V) on k"), vec!["join_without_kind"]);
        assert_eq!(names("T | where FileName == \"powershell.exe\" or FileName =~ \"CMD.EXE\""), Vec::<&str>::new());
    }

    #[test]
    fn tables_are_found_where_tables_are_read() {
        // a column named like a table (Operation, a Sentinel table) is not a table read
        assert!(
            names("DeviceEvents | where Timestamp > ago(1d) | extend A = coalesce(Operation, ActionType)").is_empty()
        );
        let q = "DeviceEvents | where Timestamp > ago(1d) | join kind=inner (SigninLogs) on $left.AccountUpn == $right.UserPrincipalName";
        assert!(names(q).iter().all(|n| *n != "no_time_filter"), "ago() anywhere counts as a window");
        let firsts = |q: &str| -> Vec<String> {
            let toks = crate::lexer::lex(&Source::query(q)).unwrap();
            let t = Tokens { text: q, toks: &toks };
            table_positions(&t).into_iter().map(|i| t.text(i).to_string()).collect()
        };
        assert_eq!(
            firsts("let x = 1; T | join kind=inner (U | where a > 1) on k | lookup V on k | extend c = strlen(W)"),
            ["T", "U", "V"]
        );
        assert_eq!(firsts("union A, (B | take 1), C | project X"), ["A", "B", "C"]);
        assert_eq!(firsts("let f = () { T | take 1 }; f"), ["T", "f"]);
    }

    #[test]
    fn time_filters_and_windows() {
        assert!(names("DeviceProcessEvents | where Timestamp between (ago(1d) .. now())").is_empty());
        assert!(names("SigninLogs | where TimeGenerated >= datetime(2025-01-01)").is_empty());
        assert!(lints("SigninLogs | take 1", true, false, None).is_empty());
        assert_eq!(names("SigninLogs | take 1"), vec!["no_time_filter"]);
    }

    #[test]
    fn detections_need_their_columns() {
        use crate::types::{KqlColumn, KqlType};
        let col = |n: &str, ty| KqlColumn { name: n.into(), ty };
        let good = KqlSchema::new(vec![
            col("Timestamp", KqlType::Datetime),
            col("ReportId", KqlType::Long),
            col("DeviceId", KqlType::String),
        ]);
        let q = "DeviceProcessEvents | where Timestamp > ago(1h)";
        assert!(lints(q, false, true, Some(&good)).is_empty());
        let bad = KqlSchema::new(vec![col("Timestamp", KqlType::Datetime), col("FileName", KqlType::String)]);
        let hits = lints(q, false, true, Some(&bad));
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].0, "detection_output");
    }
}
