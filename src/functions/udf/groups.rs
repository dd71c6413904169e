//! A regex's capture groups in one forward scan, for `extract` and the `parse` operator's groups.
//!
//! `regex::Regex::captures_read` runs three engines per matching row: the lazy DFA forward to the match's end,
//! backward to its start, then the one-pass DFA over the match for the groups. When every match of the pattern
//! begins with one of a few literals (`(https?)://…` begins with `http`) and the pattern is one-pass, the start
//! of the leftmost match is the first place where a literal occurs and an anchored match succeeds, so the
//! literals' search plus one anchored one-pass run there gives the same groups without the two lazy-DFA scans.
//!
//! Linear time is kept: each anchored attempt reads at most the rest of the row, and after a few failed attempts
//! in one row the row goes to the regex crate.

use regex_automata::dfa::onepass;
use regex_automata::util::captures::Captures;
use regex_automata::{Anchored, Input};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// Failed anchored attempts in one row before the row is searched by the regex crate instead.
const ATTEMPTS: usize = 4;

/// The literals every match starts with and the one-pass DFA that reads the groups from such a start.
struct Anchor {
    starts: aho_corasick::AhoCorasick,
    dfa: onepass::DFA,
}

/// A pattern's group search: the regex crate's, and the one-scan path when the pattern allows it.
pub struct GroupSearch {
    re: Rc<regex::Regex>,
    anchor: Option<Anchor>,
    state: RefCell<State>,
}

/// Per-search scratch: the one-pass DFA's cache and captures, or the regex crate's capture slots.
struct State {
    cache: Option<onepass::Cache>,
    caps: Option<Captures>,
    locs: regex::CaptureLocations,
}

impl GroupSearch {
    fn new(pattern: &str) -> datafusion::common::Result<GroupSearch> {
        let re = super::strings::compiled_regex(pattern)?;
        let anchor = anchor(pattern);
        let state = State {
            cache: anchor.as_ref().map(|a| a.dfa.create_cache()),
            caps: anchor.as_ref().map(|a| a.dfa.create_captures()),
            locs: re.capture_locations(),
        };
        Ok(GroupSearch { re, anchor, state: RefCell::new(state) })
    }

    /// The search for `pattern`, compiled once per thread and kept (as `compiled_regex`).
    pub fn compiled(pattern: &str) -> datafusion::common::Result<Rc<GroupSearch>> {
        thread_local! {
            static SEARCHES: RefCell<HashMap<String, Rc<GroupSearch>>> = RefCell::new(HashMap::new());
        }
        super::strings::kept_per_thread(&SEARCHES, pattern, || GroupSearch::new(pattern))
    }

    /// The regex itself.
    pub fn regex(&self) -> &regex::Regex {
        &self.re
    }

    /// The byte range of group `group` (0: the whole match) in the leftmost-first match of `text`: `None` when
    /// there is no match or the group took no part in it.
    pub fn group(&self, text: &str, group: usize) -> Option<(usize, usize)> {
        let mut st = self.state.borrow_mut();
        let State { cache, caps, locs } = &mut *st;
        if let (Some(a), Some(cache), Some(caps)) = (&self.anchor, cache.as_mut(), caps.as_mut()) {
            let mut at = 0;
            for _ in 0..ATTEMPTS {
                let m = a.starts.find(aho_corasick::Input::new(text).range(at..))?;
                let input = Input::new(text).range(m.start()..).anchored(Anchored::Yes);
                if a.dfa.try_search(cache, &input, caps).is_ok() && caps.is_match() {
                    return caps.get_group(group).map(|s| (s.start, s.end));
                }
                at = m.start() + 1;
            }
        }
        self.re.captures_read(locs, text)?;
        locs.get(group)
    }
}

/// The one-scan path for `pattern`, when every match starts with one of a finite set of non-empty literals
/// (from the parsed pattern, with the regex crate's default syntax) and a one-pass DFA can be built for it.
fn anchor(pattern: &str) -> Option<Anchor> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let hir = regex_syntax::ParserBuilder::new().build().parse(pattern).ok()?;
    let mut ex = Extractor::new();
    ex.kind(ExtractKind::Prefix);
    let seq = ex.extract(&hir);
    let lits = seq.literals()?;
    if lits.is_empty() || lits.iter().any(|l| l.as_bytes().is_empty()) {
        return None;
    }
    let starts = aho_corasick::AhoCorasick::builder()
        .match_kind(aho_corasick::MatchKind::LeftmostFirst)
        .build(lits.iter().map(|l| l.as_bytes()))
        .ok()?;
    let dfa = onepass::DFA::new(pattern).ok()?;
    Some(Anchor { starts, dfa })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The groups the regex crate itself finds.
    fn reference(pattern: &str, text: &str, group: usize) -> Option<(usize, usize)> {
        let re = regex::Regex::new(pattern).ok()?;
        re.captures(text)?.get(group).map(|m| (m.start(), m.end()))
    }

    #[test]
    fn same_groups_as_the_regex_crate() {
        let patterns = [
            r#"(https?)://([^/\s'"]+)"#,
            r"(?i)(https?)://([a-z0-9.]+)",
            r"(cmd|powershell)\.exe\s+(/c|-enc)\s+(\S+)",
            r"ab(c)?",
            r"\bnet\s+(user|group)\b",
            r"(a+)(b+)?",
            r"x(y|yz)",
            r"[0-9]+\.(\d+)",
        ];
        let texts = [
            "",
            "no url here",
            "curl http://evil.example.com/a.ps1",
            "get https://a.b/c then http://d.e",
            "HTTP://UPPER.CASE/x and http:/broken http://ok.host",
            "httphttphttphttphttp http://late.example",
            "httpx httpy httpz http0 http1 http://fifth.example",
            "cmd.exe /c whoami && powershell.exe -enc SQBFAFgA",
            "abcab ab abc",
            "subnet user x; net  group admins",
            "aaab aab b",
            "xyz xy",
            "v1.2 and 10.250",
            "é http://ünïcode.example/ü",
        ];
        for p in patterns {
            let s = GroupSearch::new(p).unwrap_or_else(|e| panic!("{p}: {e}"));
            let groups = s.regex().captures_len();
            for t in texts {
                for g in 0..=groups {
                    assert_eq!(s.group(t, g), reference(p, t, g), "pattern {p:?}, text {t:?}, group {g}");
                }
            }
        }
    }

    /// Random patterns built from literal-led pieces, over random texts from a small alphabet (so literal starts
    /// recur and attempts fail often): every group the same as the regex crate's.
    #[test]
    fn random_patterns_agree_with_the_regex_crate() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |m: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % m as u64) as usize
        };
        let heads = ["ab", "a", "(?i)ab", "x(y|z)", "(ab|ac)", "a-", r"\\", "é"];
        let tails = [r"(\w+)", r"([^ ]*)", r"(\d{1,3})", "(b?)", r"(\s+)(\S)", "(c|cd)(e)?", r"\b", "(.)", ""];
        let alphabet = ['a', 'b', 'c', 'd', 'e', 'x', 'y', 'z', ' ', '-', '1', '2', 'A', 'B', 'é', '\\'];
        let mut fast = 0;
        for _ in 0..300 {
            let mut p = heads[next(heads.len())].to_string();
            for _ in 0..1 + next(3) {
                p.push_str(tails[next(tails.len())]);
            }
            let Ok(s) = GroupSearch::new(&p) else { continue };
            fast += usize::from(s.anchor.is_some());
            for _ in 0..20 {
                let t: String = (0..next(40)).map(|_| alphabet[next(alphabet.len())]).collect();
                for g in 0..=s.regex().captures_len() {
                    assert_eq!(s.group(&t, g), reference(&p, &t, g), "pattern {p:?}, text {t:?}, group {g}");
                }
            }
        }
        assert!(fast > 100, "the fast path was taken for {fast} of 300 patterns");
    }

    #[test]
    fn the_fast_path_is_taken_only_when_it_applies() {
        assert!(anchor(r#"(https?)://([^/\s'"]+)"#).is_some());
        // a match may start anywhere: no literal prefix
        assert!(anchor(r"(\w+)@(\w+)").is_none());
        // may match the empty string
        assert!(anchor(r"(a*)").is_none());
        // not one-pass: at a `b` the `.*` may go on or stop
        assert!(anchor(r"a(.*)b").is_none());
    }

    #[test]
    fn a_pathological_row_stays_linear() {
        // every 'a' is a candidate whose anchored attempt reads to the end: past ATTEMPTS the regex crate
        // takes the row
        let s = GroupSearch::new(r"a([^c]*)c").unwrap_or_else(|e| panic!("{e}"));
        let text = "a".repeat(200_000);
        assert_eq!(s.group(&text, 1), None);
        let text = format!("{}c", "a".repeat(200_000));
        assert_eq!(s.group(&text, 1), reference(r"a([^c]*)c", &text, 1));
    }
}
