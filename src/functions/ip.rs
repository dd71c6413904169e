//! IPv4 functions (ipv4-is-in-range-function, ipv4-is-private-function, parse-ipv4-function) and
//! geo_info_from_ip_address, which without a local GeoLite2 database returns an empty bag (documented).

use super::udf::{arg, Udf};
use super::{sig, sig_opt, FunctionDef, Lower, Naming, Ret, P};
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

/// An IPv6 address (or IPv4, as `::ffff:a.b.c.d`) with its `/prefix` (default 128; an IPv4 `/n` is `96+n`).
pub fn parse_ipv6(s: &str) -> Option<(u128, u32)> {
    let s = s.trim();
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a.trim(), Some(p.trim().parse::<u32>().ok()?)),
        None => (s, None),
    };
    if let Ok(v4) = addr.parse::<Ipv4Addr>() {
        let p = prefix.unwrap_or(32);
        if p > 32 {
            return None;
        }
        return Some((u128::from(v4.to_ipv6_mapped()), 96 + p));
    }
    let v6: std::net::Ipv6Addr = addr.parse().ok()?;
    let p = prefix.unwrap_or(128);
    (p <= 128).then_some((u128::from(v6), p))
}

fn mask128(prefix: u32) -> u128 {
    if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - prefix.min(128))
    }
}

/// ipv6-compare-function: -1, 0 or 1 comparing the addresses under the smallest prefix (the addresses' own
/// and the optional argument, 0..128).
pub fn ipv6_compare(a: &str, b: &str, prefix: Option<i64>) -> Option<i64> {
    let (x, px) = parse_ipv6(a)?;
    let (y, py) = parse_ipv6(b)?;
    let p = match prefix {
        Some(p) if (0..=128).contains(&p) => (p as u32).min(px).min(py),
        Some(_) => return None,
        None => px.min(py),
    };
    let m = mask128(p);
    Some(match (x & m).cmp(&(y & m)) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    })
}

/// ipv4-is-match-function: equal under the smallest of the addresses' prefixes and the argument (0..32).
pub fn ipv4_is_match(a: &str, b: &str, prefix: Option<i64>) -> Option<bool> {
    let (x, px) = parse_ipv4(a)?;
    let (y, py) = parse_ipv4(b)?;
    let p = match prefix {
        Some(p) if (0..=32).contains(&p) => (p as u32).min(px).min(py),
        Some(_) => return None,
        None => px.min(py),
    };
    Some(x & mask(p) == y & mask(p))
}

/// Two address strings and an optional prefix per row → `f`.
fn pairwise<T>(
    arrays: &[ArrayRef],
    n: usize,
    name: &str,
    f: impl Fn(&str, &str, Option<i64>) -> Option<T>,
) -> DfResult<Vec<Option<T>>> {
    use super::udf::row;
    let a = arg::<StringArray>(arrays, 0, name)?;
    let b = arg::<StringArray>(arrays, 1, name)?;
    let p = arrays.get(2).and_then(|x| x.as_any().downcast_ref::<Int64Array>());
    Ok((0..n)
        .map(|r| {
            let (i, j) = (row(a, r), row(b, r));
            if a.is_null(i) || b.is_null(j) {
                return None;
            }
            let prefix = match p {
                Some(p) if p.is_null(row(p, r)) => return None,
                Some(p) => Some(p.value(row(p, r))),
                None => None,
            };
            f(a.value(i), b.value(j), prefix)
        })
        .collect())
}

pub(in crate::functions) fn ipv4_is_match_body(arrays: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    let out: BooleanArray = pairwise(arrays, n, "ipv4_is_match", ipv4_is_match)?.into_iter().collect();
    Ok(Arc::new(out) as ArrayRef)
}

pub(in crate::functions) fn ipv6_compare_body(arrays: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    let out: Int64Array = pairwise(arrays, n, "ipv6_compare", ipv6_compare)?.into_iter().collect();
    Ok(Arc::new(out) as ArrayRef)
}

/// ipv6-is-match-function: ipv6_compare == 0.
pub(in crate::functions) fn ipv6_is_match_body(arrays: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    let out: BooleanArray =
        pairwise(arrays, n, "ipv6_is_match", |a, b, p| ipv6_compare(a, b, p).map(|c| c == 0))?.into_iter().collect();
    Ok(Arc::new(out) as ArrayRef)
}

/// ipv6-is-in-range-function: the address falls in the range's prefix.
pub(in crate::functions) fn ipv6_is_in_range_body(arrays: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    let out: BooleanArray = pairwise(arrays, n, "ipv6_is_in_range", |a, range, _| {
        let (x, _) = parse_ipv6(a)?;
        let (y, p) = parse_ipv6(range)?;
        Some(x & mask128(p) == y & mask128(p))
    })?
    .into_iter()
    .collect();
    Ok(Arc::new(out) as ArrayRef)
}

pub(super) const IP: &[FunctionDef] = &[
    FunctionDef {
        name: "ipv4_is_match",
        sigs: &[sig_opt(&[P::Str, P::Str, P::Long], 1, Ret::T(KqlType::Bool))],
        lower: Lower::Udf(Udf::Ipv4IsMatch),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "ipv6_compare",
        sigs: &[sig_opt(&[P::Str, P::Str, P::Long], 1, Ret::T(KqlType::Long))],
        lower: Lower::Udf(Udf::Ipv6Compare),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "ipv6_is_match",
        sigs: &[sig_opt(&[P::Str, P::Str, P::Long], 1, Ret::T(KqlType::Bool))],
        lower: Lower::Udf(Udf::Ipv6IsMatch),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "ipv6_is_in_range",
        sigs: &[sig(&[P::Str, P::Str], Ret::T(KqlType::Bool))],
        lower: Lower::Udf(Udf::Ipv6IsInRange),
        naming: Naming::Generated,
    },
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
