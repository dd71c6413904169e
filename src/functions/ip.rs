//! IPv4 functions (ipv4-is-in-range-function, ipv4-is-private-function, parse-ipv4-function) and
//! geo_info_from_ip_address, which without a local GeoLite2 database returns an empty bag (documented).

use super::udf::{arg, Udf};
use super::{sig, FunctionDef, Lower, Naming, Ret, P};
use crate::types::KqlType;
use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, Int64Array, StringArray};
use datafusion::common::Result as DfResult;
use std::net::Ipv4Addr;
use std::sync::Arc;

/// `a.b.c.d[/prefix]` → (address, prefix length).
pub fn parse_ipv4(s: &str) -> Option<(u32, u32)> {
    let s = s.trim();
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, p.trim().parse::<u32>().ok().filter(|p| *p <= 32)?),
        None => (s, 32),
    };
    let ip: Ipv4Addr = addr.trim().parse().ok()?;
    Some((u32::from(ip), prefix))
}

fn mask(prefix: u32) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    }
}

pub fn in_range(ip: &str, range: &str) -> Option<bool> {
    let (a, ap) = parse_ipv4(ip)?;
    let (r, rp) = parse_ipv4(range)?;
    let m = mask(rp.min(ap));
    Some(a & m == r & m)
}

pub fn is_private(ip: &str) -> Option<bool> {
    let (a, _) = parse_ipv4(ip)?;
    Some(
        ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
            .iter()
            .any(|r| parse_ipv4(r).is_some_and(|(n, p)| a & mask(p) == n & mask(p))),
    )
}

pub(in crate::functions) fn in_range_body(arrays: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    let ip = arg::<StringArray>(arrays, 0, "ipv4_is_in_range")?;
    let rg = arg::<StringArray>(arrays, 1, "ipv4_is_in_range")?;
    let out: BooleanArray = (0..n)
        .map(|r| if ip.is_null(r) || rg.is_null(r) { None } else { in_range(ip.value(r), rg.value(r)) })
        .collect();
    Ok(Arc::new(out) as ArrayRef)
}

pub(in crate::functions) fn is_private_body(arrays: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    let ip = arg::<StringArray>(arrays, 0, "ipv4_is_private")?;
    let out: BooleanArray = (0..n).map(|r| if ip.is_null(r) { None } else { is_private(ip.value(r)) }).collect();
    Ok(Arc::new(out) as ArrayRef)
}

pub(in crate::functions) fn parse_ipv4_body(arrays: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    let ip = arg::<StringArray>(arrays, 0, "parse_ipv4")?;
    let out: Int64Array = (0..n)
        .map(|r| if ip.is_null(r) { None } else { parse_ipv4(ip.value(r)).map(|(a, p)| (a & mask(p)) as i64) })
        .collect();
    Ok(Arc::new(out) as ArrayRef)
}

/// Without a geo database: an empty property bag for every address, so `tostring(geo.country)` is "".
pub(in crate::functions) fn geo_body(_arrays: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    let out: StringArray = (0..n).map(|_| Some("{}")).collect();
    Ok(Arc::new(out) as ArrayRef)
}

pub(super) const IP: &[FunctionDef] = &[
    FunctionDef {
        name: "ipv4_is_in_range",
        sigs: &[sig(&[P::Str, P::Str], Ret::T(KqlType::Bool))],
        lower: Lower::Udf(Udf::Ipv4IsInRange),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "ipv4_is_private",
        sigs: &[sig(&[P::Str], Ret::T(KqlType::Bool))],
        lower: Lower::Udf(Udf::Ipv4IsPrivate),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "parse_ipv4",
        sigs: &[sig(&[P::Str], Ret::T(KqlType::Long))],
        lower: Lower::Udf(Udf::ParseIpv4),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "geo_info_from_ip_address",
        sigs: &[sig(&[P::Str], Ret::T(KqlType::Dynamic))],
        lower: Lower::Udf(Udf::GeoInfo),
        naming: Naming::Generated,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(in_range("10.20.30.40", "10.20.0.0/16"), Some(true));
        assert_eq!(in_range("x", "10.0.0.0/8"), None);
        assert_eq!(is_private("172.31.9.9"), Some(true));
        assert_eq!(is_private("172.32.0.1"), Some(false));
        assert_eq!(is_private("127.0.0.1"), Some(false));
        assert_eq!(parse_ipv4("10.0.0.1").map(|x| x.0), Some(167772161));
    }
}
