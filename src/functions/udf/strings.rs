//! String predicates with Kusto's rules: `has` matches whole terms (maximal alphanumeric runs),
//! case-insensitive unless `_cs`; `contains`/`startswith`/`endswith` likewise (datatypes-string-operators).

use super::{any_arg, arg, row, TypeCodes};
use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, StringArray};
use datafusion::arrow::buffer::BooleanBuffer;
use datafusion::common::Result;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    Has,
    HasPrefix,
    HasSuffix,
    Contains,
    StartsWith,
    EndsWith,
}

fn is_term_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Does `hay` contain `needle` as a term match? A needle with delimiters inside must match a substring whose
/// two ends fall on term boundaries (KUSTO-NOTES §3, working assumption). Both already case-folded if needed.
pub fn has_term(hay: &str, needle: &str, kind: Match) -> bool {
    if needle.is_empty() {
        return true;
    }
    let mut start = 0;
    while let Some(pos) = hay.get(start..).and_then(|h| h.find(needle)) {
        let s = start + pos;
        let e = s + needle.len();
        let before = hay.get(..s).and_then(|b| b.chars().next_back());
        let after = hay.get(e..).and_then(|a| a.chars().next());
        let first = needle.chars().next();
        let last = needle.chars().next_back();
        // a boundary is needed only where the needle itself starts/ends with a term character
        let left_ok = !first.is_some_and(is_term_char) || !before.is_some_and(is_term_char);
        let right_ok = !last.is_some_and(is_term_char) || !after.is_some_and(is_term_char);
        let ok = match kind {
            Match::Has => left_ok && right_ok,
            Match::HasPrefix => left_ok,
            Match::HasSuffix => right_ok,
            _ => true,
        };
        if ok {
            return true;
        }
        start = s + hay.get(s..).and_then(|h| h.chars().next()).map_or(1, |c| c.len_utf8());
    }
    false
}

/// One string predicate, case-sensitive or not.
pub fn matches(hay: &str, needle: &str, kind: Match, cs: bool) -> bool {
    let (h, n);
    let (hay, needle) = if cs {
        (hay, needle)
    } else {
        h = hay.to_lowercase();
        n = needle.to_lowercase();
        (h.as_str(), n.as_str())
    };
    match kind {
        Match::Contains => hay.contains(needle),
        Match::StartsWith => hay.starts_with(needle),
        Match::EndsWith => hay.ends_with(needle),
        Match::Has | Match::HasPrefix | Match::HasSuffix => has_term(hay, needle, kind),
    }
}

/// Needles compiled once for a batch: one Aho–Corasick automaton over all of them, searched once per row
/// (overlapping, so a needle that fails its term boundaries at one place is still found at the next). A
/// case-insensitive search folds ASCII in the automaton and copies nothing; only when a needle has non-ASCII
/// letters are the needles and each row lower-cased first (Unicode folding, as [`matches`] does).
pub struct Needles {
    ac: aho_corasick::AhoCorasick,
    /// the non-empty needles (lower-cased when `fold_rows`), in the automaton's pattern order
    needles: Vec<String>,
    /// per needle: (starts with a term character, ends with one); only those ends need a term boundary
    ends: Vec<(bool, bool)>,
    kind: Match,
    /// lower-case each row before searching (case-insensitive with non-ASCII needles)
    fold_rows: bool,
    ci: bool,
    /// how many needles were empty (an empty needle matches every string)
    empty: usize,
}

impl Needles {
    pub fn new(needles: &[String], kind: Match, cs: bool) -> Result<Needles> {
        let fold_rows = !cs && needles.iter().any(|n| !n.is_ascii());
        let empty = needles.iter().filter(|n| n.is_empty()).count();
        let needles: Vec<String> = needles
            .iter()
            .filter(|n| !n.is_empty())
            .map(|n| if fold_rows { n.to_lowercase() } else { n.clone() })
            .collect();
        let ends = needles.iter().map(|n| term_ends(n)).collect();
        let ac = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(!cs && !fold_rows)
            .match_kind(aho_corasick::MatchKind::Standard)
            .build(&needles)
            .map_err(|e| datafusion::error::DataFusionError::Execution(format!("string search: {e}")))?;
        Ok(Needles { ac, needles, ends, kind, fold_rows, ci: !cs, empty })
    }

    /// The row as the automaton searches it: lower-cased only when a needle has non-ASCII letters.
    fn fold<'h>(&self, hay: &'h str) -> std::borrow::Cow<'h, str> {
        if self.fold_rows {
            std::borrow::Cow::Owned(hay.to_lowercase())
        } else {
            std::borrow::Cow::Borrowed(hay)
        }
    }

    /// Does `hay` match any needle?
    pub fn any(&self, hay: &str) -> bool {
        if self.empty > 0 {
            return true;
        }
        let hay = self.fold(hay);
        let hay = hay.as_ref();
        match self.kind {
            Match::StartsWith | Match::EndsWith => (0..self.needles.len()).any(|i| self.at_edge(hay, i)),
            Match::Contains => self.ac.is_match(hay),
            Match::Has | Match::HasPrefix | Match::HasSuffix => self
                .ac
                .find_overlapping_iter(hay)
                .any(|m| self.bounded(hay, m.pattern().as_usize(), m.start(), m.end())),
        }
    }

    /// [`Needles::any`] of every row of a column (a null row searched as ""), in one pass of the automaton over
    /// the column's bytes, as [`single_needle`] does for one needle: each match placed in its row by its end, one
    /// across two rows is not one, and after a row's hit the search resumes at the next row. `None` when the rows
    /// have to be lower-cased first (non-ASCII needles ignoring case) or for startswith/endswith.
    pub fn any_rows(&self, hay: &StringArray) -> Option<BooleanBuffer> {
        if self.fold_rows || matches!(self.kind, Match::StartsWith | Match::EndsWith) {
            return None;
        }
        let n = hay.len();
        if self.empty > 0 {
            return Some(BooleanBuffer::new_set(n));
        }
        let offsets = hay.value_offsets();
        let base = offsets.first().map_or(0, |o| *o as usize);
        let end = offsets.last().map_or(0, |o| *o as usize);
        let bytes = hay.values().get(base..end).unwrap_or_default();
        let bound = |r: usize| offsets.get(r).map_or(bytes.len(), |o| *o as usize - base);
        let mut hits = datafusion::arrow::array::BooleanBufferBuilder::new(n);
        hits.append_n(n, false);
        let (mut r, mut from) = (0usize, 0usize);
        'search: while from < bytes.len() {
            // overlapping matches come in the order of their ends
            for m in self.ac.find_overlapping_iter(aho_corasick::Input::new(bytes).span(from..bytes.len())) {
                while r < n && bound(r + 1) < m.end() {
                    r += 1;
                }
                if r >= n {
                    break 'search;
                }
                let start = bound(r);
                if m.start() < start || hay.is_null(r) {
                    continue;
                }
                let (s, e) = (m.start() - start, m.end() - start);
                // positions in the row's own text (no folding: the automaton ignores ASCII case itself)
                if self.kind == Match::Contains || self.bounded(hay.value(r), m.pattern().as_usize(), s, e) {
                    hits.set_bit(r, true);
                    from = bound(r + 1);
                    r += 1;
                    continue 'search;
                }
            }
            break;
        }
        Some(hits.finish())
    }

    /// Does `hay` match every needle (`has_all`)? `seen` is scratch space, reused across rows.
    pub fn all(&self, hay: &str, seen: &mut Vec<bool>) -> bool {
        let hay = self.fold(hay);
        let hay = hay.as_ref();
        seen.clear();
        seen.resize(self.needles.len(), false);
        let mut left = self.needles.len();
        for m in self.ac.find_overlapping_iter(hay) {
            let p = m.pattern().as_usize();
            if !seen.get(p).copied().unwrap_or(true) && self.bounded(hay, p, m.start(), m.end()) {
                if let Some(s) = seen.get_mut(p) {
                    *s = true;
                }
                left -= 1;
                if left == 0 {
                    break;
                }
            }
        }
        left == 0
    }

    fn at_edge(&self, hay: &str, i: usize) -> bool {
        let Some(n) = self.needles.get(i) else { return false };
        edge_matches(hay.as_bytes(), n.as_bytes(), self.kind, self.ci && !self.fold_rows)
    }

    /// Do the term boundaries `has`/`hasprefix`/`hassuffix` need hold around `hay[s..e]`?
    fn bounded(&self, hay: &str, pattern: usize, s: usize, e: usize) -> bool {
        bounded(hay, self.ends.get(pattern).copied().unwrap_or((false, false)), self.kind, s, e)
    }
}

/// Whether a needle starts and ends with a term character: only those ends need a term boundary.
fn term_ends(needle: &str) -> (bool, bool) {
    (needle.chars().next().is_some_and(is_term_char), needle.chars().next_back().is_some_and(is_term_char))
}

/// Do the term boundaries `kind` needs hold around the match `hay[s..e]` of a needle whose first and last
/// characters are (or not) term characters (`ends`, see [`term_ends`])?
#[inline]
fn bounded(hay: &str, ends: (bool, bool), kind: Match, s: usize, e: usize) -> bool {
    let (first, last) = ends;
    let left_ok = !first || !hay.get(..s).and_then(|b| b.chars().next_back()).is_some_and(is_term_char);
    let right_ok = !last || !hay.get(e..).and_then(|a| a.chars().next()).is_some_and(is_term_char);
    match kind {
        Match::Has => left_ok && right_ok,
        Match::HasPrefix => left_ok,
        Match::HasSuffix => right_ok,
        _ => true,
    }
}

/// One constant needle searched in every row of a column (`contains`, `has` and its prefix/suffix forms; ASCII
/// needle when case is ignored): memchr's `memmem` over the batch's bytes, lower-cased once for the whole batch
/// when case is ignored. Aho–Corasick's prefilter for one case-insensitive needle watches a single byte it
/// thinks rare, and picks the backslash of `\CurrentVersion\Run`, which every registry key is full of;
/// `memmem` looks for two bytes of the needle at once.
///
/// The search runs over the whole buffer, not row by row: a row without the needle costs nothing but the bytes
/// the searcher skips, and each occurrence is placed in its row by the offsets (a match across two rows, or in
/// a null row, is not one). After a row's hit the search resumes at the next row.
fn single_needle(hay: &StringArray, needle: &str, kind: Match, cs: bool) -> BooleanBuffer {
    let n = hay.len();
    let offsets = hay.value_offsets();
    let base = offsets.first().map_or(0, |o| *o as usize);
    let end = offsets.last().map_or(0, |o| *o as usize);
    let bytes = hay.values().get(base..end).unwrap_or_default();
    let lowered: std::borrow::Cow<[u8]> =
        if cs { std::borrow::Cow::Borrowed(bytes) } else { std::borrow::Cow::Owned(bytes.to_ascii_lowercase()) };
    let nd = if cs { needle.to_string() } else { needle.to_ascii_lowercase() };
    let finder = memchr::memmem::Finder::new(nd.as_bytes());
    let ends = term_ends(&nd);
    // the end of row r in the buffer
    let row_end = |r: usize| offsets.get(r + 1).map_or(lowered.len(), |o| *o as usize - base);
    let mut hits = datafusion::arrow::array::BooleanBufferBuilder::new(n);
    hits.append_n(n, false);
    let (mut r, mut from) = (0usize, 0usize);
    while let Some(p) = lowered.get(from..).and_then(|t| finder.find(t)).map(|p| p + from) {
        while r < n && row_end(r) <= p {
            r += 1;
        }
        if r >= n {
            break;
        }
        let start = offsets.get(r).map_or(0, |o| *o as usize - base);
        let (e, at) = (row_end(r), p - start);
        let hit = p + nd.len() <= e
            && !hay.is_null(r)
            // positions in the lower-cased bytes are the row's own (ASCII folding keeps every byte's place)
            && (kind == Match::Contains || bounded(hay.value(r), ends, kind, at, at + nd.len()));
        if hit {
            hits.set_bit(r, true);
            from = e;
        } else {
            // every occurrence, overlapping ones too (in "xa.a.a" only the second "a.a" has its boundaries)
            from = p + 1;
        }
    }
    hits.finish()
}

/// Does `hay` start (`StartsWith`) or else end with `needle`? `ci` compares ASCII letters without case.
#[inline]
fn edge_matches(hay: &[u8], needle: &[u8], kind: Match, ci: bool) -> bool {
    let part = match kind {
        Match::StartsWith => hay.get(..needle.len()),
        _ => hay.len().checked_sub(needle.len()).and_then(|s| hay.get(s..)),
    };
    part.is_some_and(|p| if ci { p.eq_ignore_ascii_case(needle) } else { p == needle })
}

/// `startswith`/`endswith` of one constant needle (ASCII when case is ignored, as [`Needles`] compares it) in
/// every row, compared in place: each row's edge read straight off the offsets, a null row false.
fn edge_rows(hay: &StringArray, needle: &[u8], kind: Match, cs: bool) -> BooleanBuffer {
    let (offsets, bytes) = (hay.value_offsets(), hay.value_data());
    let bits = BooleanBuffer::collect_bool(hay.len(), |r| {
        let (s, e) = match (offsets.get(r), offsets.get(r + 1)) {
            (Some(s), Some(e)) => (*s as usize, *e as usize),
            _ => return false,
        };
        bytes.get(s..e).is_some_and(|h| edge_matches(h, needle, kind, !cs))
    });
    match hay.nulls() {
        Some(valid) => &bits & valid.inner(),
        None => bits,
    }
}

/// `(hay: Utf8, needle: Utf8) → Boolean`. Broadcast: a constant needle (the usual case) is compiled once for
/// the batch; a needle column is matched row by row.
pub fn predicate(arrays: &[ArrayRef], n: usize, kind: Match, cs: bool) -> Result<ArrayRef> {
    let hay = arg::<StringArray>(arrays, 0, "string predicate")?;
    let needle = arg::<StringArray>(arrays, 1, "string predicate")?;
    if needle.len() == 1 && n != 1 {
        if needle.is_null(0) {
            return Ok(Arc::new(BooleanArray::from(vec![false; n])) as ArrayRef);
        }
        let nd = needle.value(0);
        let one = matches!(kind, Match::Contains | Match::Has | Match::HasPrefix | Match::HasSuffix);
        if one && hay.len() == n && !nd.is_empty() && (cs || nd.is_ascii()) {
            return Ok(Arc::new(BooleanArray::new(single_needle(hay, nd, kind, cs), None)) as ArrayRef);
        }
        if matches!(kind, Match::StartsWith | Match::EndsWith) && hay.len() == n && (cs || nd.is_ascii()) {
            return Ok(Arc::new(BooleanArray::new(edge_rows(hay, nd.as_bytes(), kind, cs), None)) as ArrayRef);
        }
        let set = Needles::new(&[nd.to_string()], kind, cs)?;
        return Ok(search_rows(hay, n, |h| set.any(h)));
    }
    let out: BooleanArray = (0..n)
        .map(|r| {
            let (h_r, n_r) = (row(hay, r), row(needle, r));
            if hay.is_null(h_r) || needle.is_null(n_r) {
                return Some(false);
            }
            Some(matches(hay.value(h_r), needle.value(n_r), kind, cs))
        })
        .collect();
    Ok(Arc::new(out) as ArrayRef)
}

/// `test` of every row of `hay` (a constant hay is one row, repeated); a null row is false.
fn search_rows(hay: &StringArray, n: usize, mut test: impl FnMut(&str) -> bool) -> ArrayRef {
    if hay.len() == 1 {
        let hit = !hay.is_null(0) && test(hay.value(0));
        return Arc::new(BooleanArray::from(vec![hit; n])) as ArrayRef;
    }
    let bits = BooleanBuffer::collect_bool(n, |r| !hay.is_null(r) && test(hay.value(r)));
    Arc::new(BooleanArray::new(bits, None)) as ArrayRef
}

/// `has_any` / `has_all`: `(hay: Utf8, needles: Utf8 JSON array) → Boolean`. Broadcast; a constant list (the
/// usual case, also a sub-query's set) is compiled once for the batch. A null hay is searched as "" (so
/// `has_all` of an empty list is true for it), a null list is false.
pub fn has_any_all(arrays: &[ArrayRef], n: usize, all: bool) -> Result<ArrayRef> {
    let hay = arg::<StringArray>(arrays, 0, "has_any")?;
    let list = arg::<StringArray>(arrays, 1, "has_any")?;
    // a constant list of a few ASCII terms (`has_all ("whoami", "all")`): each term searched over the column
    // with memmem, the answers combined; a longer list is one automaton
    if list.len() == 1 && hay.len() == n && n != 1 && !list.is_null(0) {
        let needles = super::dynamic::json_string_items(list.value(0));
        if (1..=3).contains(&needles.len()) && needles.iter().all(|t| !t.is_empty() && t.is_ascii()) {
            let mut acc: Option<BooleanBuffer> = None;
            for t in &needles {
                let bits = single_needle(hay, t, Match::Has, false);
                acc = Some(match acc {
                    None => bits,
                    Some(a) if all => &a & &bits,
                    Some(a) => &a | &bits,
                });
            }
            if let Some(bits) = acc {
                return Ok(Arc::new(BooleanArray::new(bits, None)) as ArrayRef);
            }
        }
    }
    // the automaton of the last list, kept by each thread across batches: building it (a DFA over 60 LOLBin
    // names) per 8k-row batch was 9 % of a has_any query
    thread_local! {
        static LAST: std::cell::RefCell<Option<(String, Arc<Needles>)>> = const { std::cell::RefCell::new(None) };
    }
    let mut cache: Option<(String, Arc<Needles>)> = LAST.with(|l| l.borrow().clone());
    let mut seen = Vec::new();
    let mut out = Vec::with_capacity(n);
    for r in 0..n {
        let (h_r, l_r) = (row(hay, r), row(list, r));
        if list.is_null(l_r) {
            out.push(false);
            continue;
        }
        let text = list.value(l_r);
        let set = match &cache {
            Some((t, set)) if t == text => set,
            _ => {
                let needles = super::dynamic::json_string_items(text);
                let set = Arc::new(Needles::new(&needles, Match::Has, false)?);
                LAST.with(|l| *l.borrow_mut() = Some((text.to_string(), set.clone())));
                &cache.insert((text.to_string(), set)).1
            }
        };
        // a constant list over a column: has_any in one pass over the column
        if !all && r == 0 && list.len() == 1 && hay.len() == n {
            if let Some(bits) = set.any_rows(hay) {
                return Ok(Arc::new(BooleanArray::new(bits, None)) as ArrayRef);
            }
        }
        let h = if hay.is_null(h_r) { "" } else { hay.value(h_r) };
        out.push(if all { set.all(h, &mut seen) } else { set.any(h) });
    }
    Ok(Arc::new(BooleanArray::from(out)) as ArrayRef)
}

/// `matches regex`: `(s, pattern) → Boolean`, patterns compiled once per distinct text.
pub fn regex_match(arrays: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let s = arg::<StringArray>(arrays, 0, "matches regex")?;
    let p = arg::<StringArray>(arrays, 1, "matches regex")?;
    // a constant pattern (the usual case) over a column: compiled once, every row tested in place (the per-row
    // lookup compared the pattern's text with the cached one at each row)
    if p.len() == 1 && s.len() == n && n != 1 {
        if p.is_null(0) {
            return Ok(Arc::new(BooleanArray::from(vec![false; n])) as ArrayRef);
        }
        let re = compiled_regex(p.value(0))?;
        return Ok(search_rows(s, n, |h| re.is_match(h)));
    }
    let mut cache: RegexCache = None;
    let mut out = Vec::with_capacity(n);
    for r in 0..n {
        let (s_r, p_r) = (row(s, r), row(p, r));
        if s.is_null(s_r) || p.is_null(p_r) {
            out.push(Some(false));
            continue;
        }
        let re = cached_regex(&mut cache, p.value(p_r))?;
        out.push(Some(re.is_match(s.value(s_r))));
    }
    Ok(Arc::new(BooleanArray::from(out)) as ArrayRef)
}

/// The compiled regex of `pattern`, kept in `cache` for the rows of a batch that use the same pattern. The
/// compiled regexes are kept from batch to batch ([`compiled_regex`]).
pub fn cached_regex<'c>(cache: &'c mut RegexCache, pattern: &str) -> datafusion::common::Result<&'c regex::Regex> {
    cached(cache, pattern, false, compiled_regex)
}

/// The pattern a batch is using and its compiled regex.
pub type RegexCache = Option<(String, Rc<regex::Regex>)>;

/// What `compile` makes of `pattern` (compiled once per thread, e.g. [`compiled_regex`]), kept in `cache`
/// while the rows of a batch use the same pattern. `constant`: the pattern is the one value of a one-row
/// argument, so what `cache` holds is its compiled form, found without comparing its text at every row.
pub fn cached<'c, T>(
    cache: &'c mut Option<(String, Rc<T>)>,
    pattern: &str,
    constant: bool,
    compile: impl FnOnce(&str) -> datafusion::common::Result<Rc<T>>,
) -> datafusion::common::Result<&'c T> {
    if !(constant && cache.is_some()) && cache.as_ref().map(|(p, _)| p.as_str()) != Some(pattern) {
        *cache = Some((pattern.to_string(), compile(pattern)?));
    }
    match cache {
        Some((_, compiled)) => Ok(compiled),
        None => Err(datafusion::error::DataFusionError::Internal("regex cache".into())),
    }
}

/// Most compiled searches a thread keeps per kind; past it the thread starts over.
const REGEXES_KEPT: usize = 64;

/// The compiled regex of `pattern`, compiled once per thread and kept: the lazy DFA it builds as it searches
/// carries over from batch to batch (a regex compiled per batch rebuilt its NFA and DFA states every 8,192 rows).
/// Per thread rather than shared: a `regex::Regex` used from a second thread takes its search caches from a
/// locked pool at every call, and a clone starts with empty caches.
pub fn compiled_regex(pattern: &str) -> datafusion::common::Result<Rc<regex::Regex>> {
    thread_local! {
        static REGEXES: RefCell<HashMap<String, Rc<regex::Regex>>> = RefCell::new(HashMap::new());
    }
    kept_per_thread(&REGEXES, pattern, || {
        regex::Regex::new(pattern).map_err(|e| {
            datafusion::error::DataFusionError::Execution(format!("invalid regular expression '{pattern}': {e}"))
        })
    })
}

/// What `build` compiles from `pattern`, kept in a thread's `kept` map (at most [`REGEXES_KEPT`]).
pub(super) fn kept_per_thread<T>(
    kept: &'static std::thread::LocalKey<RefCell<HashMap<String, Rc<T>>>>,
    pattern: &str,
    build: impl FnOnce() -> datafusion::common::Result<T>,
) -> datafusion::common::Result<Rc<T>> {
    if let Some(v) = kept.with(|m| m.borrow().get(pattern).cloned()) {
        return Ok(v);
    }
    let v = Rc::new(build()?);
    kept.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= REGEXES_KEPT {
            m.clear();
        }
        m.insert(pattern.to_string(), Rc::clone(&v));
    });
    Ok(v)
}

/// `in` / `in~` against a set given as a JSON array (a sub-query's make_set): `(type code, value, set) →
/// Boolean`; the value is compared as JSON (strings lower-cased when `ci`). Broadcast.
pub fn set_contains(arrays: &[ArrayRef], n: usize, ci: bool) -> Result<ArrayRef> {
    use serde_json::Value;
    let mut types = TypeCodes::new(arrays, "kql_in")?;
    let v = any_arg(arrays, 1, "kql_in")?;
    let set = arg::<StringArray>(arrays, 2, "kql_in")?;
    let norm = |x: Value| match x {
        Value::String(s) if ci => Value::String(s.to_lowercase()),
        other => other,
    };
    let mut cache: Option<(String, std::collections::HashSet<String>)> = None;
    let mut out = Vec::with_capacity(n);
    for r in 0..n {
        let (vr, sr) = (row(v.as_ref(), r), row(set, r));
        if set.is_null(sr) || v.is_null(vr) {
            out.push(Some(false));
            continue;
        }
        let ty = types.at(r)?.first().copied().unwrap_or(crate::types::KqlType::String);
        let text = set.value(sr);
        if cache.as_ref().map(|(t, _)| t.as_str()) != Some(text) {
            let items: Vec<Value> = serde_json::from_str(text).unwrap_or_default();
            cache = Some((text.to_string(), items.into_iter().map(|x| norm(x).to_string()).collect()));
        }
        let key = norm(crate::values::cell_json(v.as_ref(), vr, ty)).to_string();
        out.push(Some(cache.as_ref().is_some_and(|(_, s)| s.contains(&key))));
    }
    Ok(Arc::new(BooleanArray::from(out)) as ArrayRef)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_is_term_match() {
        let p = r"C:\Windows\System32\cmd.exe";
        assert!(matches(p, "system32", Match::Has, false));
        assert!(!matches(p, "system", Match::Has, false));
        assert!(matches(p, "system", Match::Contains, false));
        assert!(matches(p, "cmd.exe", Match::Has, false));
        assert!(matches("id ab-12", "ab", Match::Has, false));
        assert!(matches("Svchost.exe", "SVC", Match::StartsWith, false));
        assert!(!matches("Svchost.exe", "SVC", Match::StartsWith, true));
        assert!(matches("pwsh -nop -w hidden", "-w", Match::Has, false));
    }

    const KINDS: [Match; 6] =
        [Match::Has, Match::HasPrefix, Match::HasSuffix, Match::Contains, Match::StartsWith, Match::EndsWith];

    /// The compiled search agrees with the row-by-row definition on every kind, both cases, awkward needles
    /// (overlaps where only a later occurrence has its term boundaries, delimiters inside, non-ASCII, empty).
    #[test]
    fn compiled_needles_agree_with_the_definition() {
        let hays = [
            r"C:\Windows\System32\cmd.exe /c whoami",
            "xa.a.a",
            "aaa",
            "powershell.exe -EncodedCommand SQBFAFgA",
            "Ärger über GRÖSSE straße",
            "",
            "-w hidden -W",
            "a.a",
            "tab\tsep",
            // a needle across two rows is in neither
            "end cm",
            "d.exe hid",
            "den",
        ];
        let needles = [
            "a.a", "aa", "a", "cmd.exe", "CMD", "system32", "über", "GRÖSSE", "größe", "-w", "", "exe ", "\\cmd",
            "hidden",
        ];
        for kind in KINDS {
            for cs in [false, true] {
                for nd in needles {
                    let set = Needles::new(&[nd.to_string()], kind, cs).unwrap();
                    for hay in hays {
                        assert_eq!(set.any(hay), matches(hay, nd, kind, cs), "{kind:?} cs={cs} {nd:?} in {hay:?}");
                    }
                    // the whole column at once (one needle: memmem over the column's bytes), with a null row,
                    // also as a slice of a longer array (offsets not starting at 0)
                    let mut rows: Vec<Option<&str>> = vec![Some("lead row CMD.EXE a.a")];
                    rows.extend(hays.iter().map(|h| Some(*h)));
                    rows.push(None);
                    let column: ArrayRef = Arc::new(StringArray::from(rows.clone()));
                    let column = column.slice(1, rows.len() - 1);
                    let needle: ArrayRef = Arc::new(StringArray::from(vec![nd]));
                    let got = predicate(&[column, needle], rows.len() - 1, kind, cs).unwrap();
                    let got = got.as_any().downcast_ref::<BooleanArray>().unwrap();
                    for (i, hay) in rows.iter().skip(1).enumerate() {
                        let want = hay.is_some_and(|h| matches(h, nd, kind, cs));
                        assert_eq!(got.value(i), want, "column: {kind:?} cs={cs} {nd:?} in {hay:?}");
                    }
                }
            }
        }
    }

    /// A constant list of a few terms over a column (memmem per term) answers as the automaton does, row by
    /// row, for has_any and has_all, with a null row (searched as "").
    #[test]
    fn few_terms_over_a_column() {
        let rows = vec![
            Some("whoami /all"),
            Some("WHOAMI /ALL /fo list"),
            Some("whoami /groups"),
            Some("net localgroup administrators"),
            Some("callall whoamix"),
            None,
            Some(""),
        ];
        let column: ArrayRef = Arc::new(StringArray::from(rows.clone()));
        for list in [r#"["whoami","all"]"#, r#"["group","localgroup"]"#, r#"["net"]"#, r#"["a","b","all"]"#] {
            let needles = super::super::dynamic::json_string_items(list);
            let set = Needles::new(&needles, Match::Has, false).unwrap();
            for all in [false, true] {
                let l: ArrayRef = Arc::new(StringArray::from(vec![list]));
                let got = has_any_all(&[column.clone(), l], rows.len(), all).unwrap();
                let got = got.as_any().downcast_ref::<BooleanArray>().unwrap();
                let mut seen = Vec::new();
                for (i, h) in rows.iter().enumerate() {
                    let h = h.unwrap_or("");
                    let want = if all { set.all(h, &mut seen) } else { set.any(h) };
                    assert_eq!(got.value(i), want, "{list} all={all} in {h:?}");
                }
            }
        }
    }

    #[test]
    fn compiled_has_any_and_has_all() {
        let list: Vec<String> = ["certutil.exe", "bitsadmin", "Über"].iter().map(|s| s.to_string()).collect();
        let set = Needles::new(&list, Match::Has, false).unwrap();
        assert!(set.any("CertUtil.exe -urlcache -f http://x"));
        assert!(set.any("über alles"));
        assert!(!set.any("mycertutil.exe bitsadmins"));
        let mut seen = Vec::new();
        assert!(set.all("bitsadmin then CERTUTIL.EXE über", &mut seen));
        assert!(!set.all("bitsadmin then CERTUTIL.EXE", &mut seen));
        assert!(Needles::new(&[], Match::Has, false).unwrap().all("anything", &mut seen));
        assert!(!Needles::new(&[], Match::Has, false).unwrap().any("anything"));
    }

    /// The automaton over a whole column (has_any of a long list) answers as it does row by row: overlapping
    /// needles, a needle split across two rows, null and empty rows, a sliced column, every kind, both cases.
    #[test]
    fn automaton_over_a_column() {
        let rows: Vec<Option<&str>> = vec![
            Some("lead CMD.exe"),
            Some(r"C:\Windows\System32\cmd.exe /c whoami"),
            Some("xa.a.a"),
            None,
            Some(""),
            Some("end cm"),
            Some("d.exe hid"),
            Some("den bitsadmin"),
            Some("mybitsadmins a.a"),
            Some("aaa"),
        ];
        let column: ArrayRef = Arc::new(StringArray::from(rows.clone()));
        let column = column.slice(1, rows.len() - 1);
        let column = column.as_any().downcast_ref::<StringArray>().unwrap();
        let lists: [&[&str]; 4] = [
            &["cmd.exe", "bitsadmin", "hidden", "a.a"],
            &["a", "aa", "aaa", "exe"],
            &["whoami", "System32\\cmd", "nothere"],
            &["x", ""],
        ];
        for kind in [Match::Has, Match::HasPrefix, Match::HasSuffix, Match::Contains] {
            for cs in [false, true] {
                for list in lists {
                    let needles: Vec<String> = list.iter().map(|t| t.to_string()).collect();
                    let set = Needles::new(&needles, kind, cs).unwrap();
                    let got = set.any_rows(column).unwrap();
                    for (i, h) in rows.iter().skip(1).enumerate() {
                        assert_eq!(got.value(i), set.any(h.unwrap_or("")), "{kind:?} cs={cs} {list:?} in {h:?}");
                    }
                }
            }
        }
        assert!(Needles::new(&["Über".to_string()], Match::Has, false).unwrap().any_rows(column).is_none());
    }
}
