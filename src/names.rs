//! Name suggestions: the closest candidate by edit distance (case-insensitive first), for did-you-mean.

/// The best suggestion for a misspelt `name` among `candidates`, if one is close enough.
pub fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let lower = name.to_lowercase();
    let bound = Bound::new(&lower);
    let limit = 2.max(name.len() / 4);
    let mut cl = String::new();
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        if c == name {
            continue;
        }
        cl.clear();
        if c.is_ascii() {
            cl.push_str(c);
            cl.make_ascii_lowercase();
        } else {
            cl.push_str(&c.to_lowercase());
        }
        if cl != lower && bound.as_ref().is_some_and(|b| b.cannot_be_close(&cl, limit)) {
            continue;
        }
        let score = if cl == lower { 1.0 } else { strsim::jaro_winkler(&lower, &cl) };
        // the edit distance only where it can decide: it is at least the difference of the lengths
        let close = cl == lower
            || score >= 0.88
            || (lower.chars().count().abs_diff(cl.chars().count()) <= limit
                && strsim::levenshtein(&lower, &cl) <= limit);
        if close && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c.to_string())
}

/// Upper bounds of the Jaro-Winkler similarity and lower bounds of the edit distance of an ASCII name to each
/// candidate, from the characters they have in common, to skip the candidates neither can make close (most of
/// a catalog's thousand table names for an unknown table): Jaro's matches are at most the common characters,
/// and every edit fixes at most one character.
struct Bound<'n> {
    name: &'n [u8],
    counts: [u8; 128],
}

impl<'n> Bound<'n> {
    fn new(lower: &'n str) -> Option<Bound<'n>> {
        if !lower.is_ascii() || lower.len() > 255 {
            return None;
        }
        let mut counts = [0u8; 128];
        for &b in lower.as_bytes() {
            if let Some(n) = counts.get_mut(usize::from(b)) {
                *n += 1;
            }
        }
        Some(Bound { name: lower.as_bytes(), counts })
    }

    /// Whether `cl` (lower case) is neither within 0.88 Jaro-Winkler nor within `limit` edits of the name.
    fn cannot_be_close(&self, cl: &str, limit: usize) -> bool {
        let c = cl.as_bytes();
        if !cl.is_ascii() || c.is_empty() || self.name.is_empty() {
            return false;
        }
        let mut left = self.counts;
        let mut common = 0usize;
        for &b in c {
            if let Some(n) = left.get_mut(usize::from(b)) {
                if *n > 0 {
                    *n -= 1;
                    common += 1;
                }
            }
        }
        let (la, lb) = (self.name.len(), c.len());
        let edits_at_least = la.max(lb) - common;
        if edits_at_least <= limit {
            return false;
        }
        if common == 0 {
            return true;
        }
        let m = common as f64;
        let jaro_at_most = ((m / la as f64 + m / lb as f64 + 1.0) / 3.0).min(1.0);
        let prefix = self.name.iter().zip(c).take(4).take_while(|(x, y)| x == y).count() as f64;
        let winkler_at_most = jaro_at_most + 0.1 * prefix * (1.0 - jaro_at_most);
        winkler_at_most < 0.88
    }
}

/// A help line: "did you mean 'X'?" plus, when short, what is available.
pub fn help_line<'a>(name: &str, candidates: impl Iterator<Item = &'a str>, what: &str) -> Option<String> {
    help_line_with(name, candidates, std::iter::empty(), what)
}

/// As [`help_line`], with `extra` names (lets) that may be suggested but are not listed as `what`.
pub fn help_line_with<'a>(
    name: &str,
    candidates: impl Iterator<Item = &'a str>,
    extra: impl Iterator<Item = &'a str>,
    what: &str,
) -> Option<String> {
    let all: Vec<&str> = candidates.collect();
    let extra: Vec<&str> = extra.collect();
    let suggestion = did_you_mean(name, all.iter().chain(extra.iter()).copied());
    let listing =
        if all.len() <= 12 && !all.is_empty() { format!("{what} here: {}", all.join(", ")) } else { String::new() };
    match (suggestion, listing.is_empty()) {
        (Some(s), true) => Some(format!("did you mean '{s}'?")),
        (Some(s), false) => Some(format!("did you mean '{s}'? {listing}")),
        (None, false) => Some(listing),
        (None, true) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        let cols = ["Timestamp", "DeviceName", "DeviceId"];
        assert_eq!(did_you_mean("DevcieName", cols.iter().copied()).as_deref(), Some("DeviceName"));
        assert_eq!(did_you_mean("devicename", cols.iter().copied()).as_deref(), Some("DeviceName"));
        assert_eq!(did_you_mean("Zebra", cols.iter().copied()), None);
    }

    /// The bound only skips candidates the full test rejects: same answers as without it, over names that are
    /// close, far, of other lengths, anagrams and non-ASCII.
    #[test]
    fn bound_skips_only_what_cannot_be_close() {
        let names = [
            "DeviceProcessEvents",
            "DeviceProcesEvents",
            "deviceprocessevents",
            "ProcessDeviceEvents",
            "Events",
            "DeviceEvents",
            "SigninLogs",
            "SignInLogs",
            "AADSignInEventsBeta",
            "x",
            "ab",
            "ba",
            "Zebra",
            "Zbera",
            "Timestamp",
            "TimeStamp",
            "TimeGenerated",
            "Größe",
            "Grösse",
            "",
            "IdentityLogonEvents",
            "Ident",
        ];
        for name in names {
            for cand in names {
                let lower = name.to_lowercase();
                let cl = cand.to_lowercase();
                let limit = 2.max(name.len() / 4);
                let full = cl == lower
                    || strsim::jaro_winkler(&lower, &cl) >= 0.88
                    || (lower.chars().count().abs_diff(cl.chars().count()) <= limit
                        && strsim::levenshtein(&lower, &cl) <= limit);
                let skipped = Bound::new(&lower).is_some_and(|b| b.cannot_be_close(&cl, limit));
                assert!(!(skipped && full), "{name} / {cand}: skipped but close");
            }
        }
    }
}
