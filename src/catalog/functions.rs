//! The functions Defender and Sentinel add to Kusto (`functions.json`), computed offline from the dump.
//! Those expressible in KQL have a KQL body here, bound like a user's `let` function; `FileProfile`, whose
//! output depends on its input's columns, is bound in `binder/operators/functions.rs`.

use crate::ast::FunctionDecl;
use std::sync::OnceLock;

/// (name, KQL body). Bodies only use tables of the catalog, so they bind in any environment.
const BODIES: &[(&str, &str)] = &[
    // DeviceFromIP: the device each input IP was (last) assigned to, from DeviceNetworkInfo.IPAddresses.
    (
        "DeviceFromIP",
        r#"(T:(*)) {
            T
            | project IP = tostring(IP)
            | join kind=leftouter (
                DeviceNetworkInfo
                | mv-expand Address = parse_json(IPAddresses)
                | extend IP = tostring(Address.IPAddress)
                | where isnotempty(IP)
                | summarize arg_max(Timestamp, DeviceId) by IP
                | project IP, DeviceId)
              on IP
            | project IP, DeviceId
        }"#,
    ),
    // AssignedIPAddresses(device, at): the addresses of the latest DeviceNetworkInfo report (at or before
    // `at` when given) of the device named by id or name.
    (
        "AssignedIPAddresses",
        r#"(x:string, y:datetime = datetime(null)) {
            let reports = DeviceNetworkInfo
                | where DeviceId == x or DeviceName =~ x
                | where isnull(y) or Timestamp <= y;
            let latest = toscalar(reports | summarize max(Timestamp));
            reports
            | where Timestamp == latest
            | mv-expand Address = parse_json(IPAddresses)
            | project Timestamp, IPAddress = tostring(Address.IPAddress), IPType = tostring(Address.AddressType),
                NetworkAdapterType = toint(NetworkAdapterType), ConnectedNetworks = toint(ConnectedNetworks)
            | where isnotempty(IPAddress)
        }"#,
    ),
    // SeenBy: device discovery data is not part of the event tables, so offline nothing is known: no rows.
    ("SeenBy", r#"(T:(*)) { T | take 0 | project DeviceId = tostring(DeviceId) }"#),
    // _GetWatchlist(alias): the items of a loaded Watchlist table.
    (
        "_GetWatchlist",
        r#"(alias:string) {
            Watchlist
            | where WatchlistAlias == alias
            | project _DTItemId, LastUpdatedTimeUTC, SearchKey, WatchlistItem
        }"#,
    ),
];

/// The parsed body of a built-in function, if `name` is one.
pub fn builtin_function(name: &str) -> Option<&'static FunctionDecl> {
    static PARSED: OnceLock<Vec<(&'static str, FunctionDecl)>> = OnceLock::new();
    let all = PARSED.get_or_init(|| {
        BODIES
            .iter()
            .filter_map(|(n, body)| {
                let src = crate::source::Source::new(format!("<built-in {n}>"), format!("let f = {body}; f"));
                let toks = crate::lexer::lex(&src).ok()?;
                let script = crate::parser::parse(&src, &toks).ok()?;
                match script.statements.into_iter().next()? {
                    crate::ast::Statement::Let(crate::ast::Let {
                        value: crate::ast::LetValue::Function(f), ..
                    }) => Some((*n, f)),
                    _ => None,
                }
            })
            .collect()
    });
    all.iter().find(|(n, _)| *n == name).map(|(_, f)| f)
}

/// The names of the built-in functions (for completion and did-you-mean).
pub fn builtin_function_names() -> impl Iterator<Item = &'static str> {
    BODIES.iter().map(|(n, _)| *n).chain(std::iter::once("FileProfile"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_body_parses() {
        for (n, _) in BODIES {
            assert!(builtin_function(n).is_some(), "{n} does not parse");
        }
    }
}
