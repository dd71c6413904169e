//! Name suggestions: the closest candidate by edit distance (case-insensitive first), for did-you-mean.

/// The best suggestion for a misspelt `name` among `candidates`, if one is close enough.
pub fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let lower = name.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        if c == name {
            continue;
        }
        let cl = c.to_lowercase();
        let score = if cl == lower { 1.0 } else { strsim::jaro_winkler(&lower, &cl) };
        // the edit distance only where it can decide: it is at least the difference of the lengths
        let limit = 2.max(name.len() / 4);
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
}
