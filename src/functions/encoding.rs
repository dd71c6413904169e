//! Text encodings and URLs: base64_encode_tostring, base64_decode_tostring, string_size, parse_url.

use super::udf::{dynamic::map_str, Udf};
use super::{sig, FunctionDef, Lower, Naming, Ret, P};
use crate::types::KqlType;
use datafusion::arrow::array::ArrayRef;
use datafusion::common::Result as DfResult;
use serde_json::{json, Map, Value};

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard or URL-safe base64, padding optional; `None` when the text is not base64.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut bits: u32 = 0;
    let mut nbits = 0;
    let mut out = Vec::new();
    for c in text.trim().trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(v);
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    Some(out)
}

pub(in crate::functions) fn encode_body(arrays: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    map_str(arrays, n, "base64_encode_tostring", |s| Some(base64_encode(s.unwrap_or("").as_bytes())))
}

/// base64-decode-tostring-function: invalid base64 or UTF-8 → "" (strings are never null).
pub(in crate::functions) fn decode_body(arrays: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    map_str(arrays, n, "base64_decode_tostring", |s| {
        Some(base64_decode(s.unwrap_or("")).and_then(|b| String::from_utf8(b).ok()).unwrap_or_default())
    })
}

pub(in crate::functions) fn string_size_body(arrays: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    use datafusion::arrow::array::{Array, Int64Array, StringArray};
    let s = super::udf::arg::<StringArray>(arrays, 0, "string_size")?;
    let out: Int64Array = (0..n).map(|r| Some(if s.is_null(r) { 0 } else { s.value(r).len() as i64 })).collect();
    Ok(std::sync::Arc::new(out) as ArrayRef)
}

/// parse-url-function: `{"Scheme","Host","Port","Path","Username","Password","Query Parameters","Fragment"}`;
/// a text that is no absolute URL gives an empty bag.
pub fn parse_url(url: &str) -> Value {
    let Some((scheme, rest)) = url.split_once("://") else { return json!({}) };
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, path) = match rest.find('/') {
        Some(i) => (rest.get(..i).unwrap_or(""), rest.get(i..).unwrap_or("")),
        None => (rest, ""),
    };
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (u, h),
        None => ("", authority),
    };
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || hostport.starts_with('[') => (h, p),
        _ => (hostport, ""),
    };
    let mut params = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        params.insert(k.to_string(), Value::String(v.to_string()));
    }
    json!({
        "Scheme": scheme, "Host": host, "Port": port, "Path": path, "Username": user,
        "Password": password, "Query Parameters": params, "Fragment": fragment,
    })
}

pub(in crate::functions) fn parse_url_body(arrays: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    map_str(arrays, n, "parse_url", |s| Some(parse_url(s.unwrap_or("")).to_string()))
}

/// url-encode-function: unreserved characters kept, a space as `+`, everything else `%xx` (lower-case hex, as
/// the page shows) per UTF-8 byte.
pub fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02x}")),
        }
    }
    out
}

/// url-decode-function: `%xx` sequences (UTF-8) decoded; an invalid result gives "".
pub fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

pub(in crate::functions) fn url_encode_body(arrays: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    map_str(arrays, n, "url_encode", |s| Some(url_encode(s.unwrap_or(""))))
}

pub(in crate::functions) fn url_decode_body(arrays: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    map_str(arrays, n, "url_decode", |s| Some(url_decode(s.unwrap_or(""))))
}

/// base64-decode-toarray-function: the decoded bytes as an array of numbers; null when not base64.
pub(in crate::functions) fn decode_toarray_body(arrays: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    map_str(arrays, n, "base64_decode_toarray", |s| {
        base64_decode(s?).map(|b| Value::Array(b.into_iter().map(Value::from).collect()).to_string())
    })
}

pub(super) const ENCODING: &[FunctionDef] = &[
    FunctionDef {
        name: "base64_encodestring",
        sigs: &[sig(&[P::Str], Ret::T(KqlType::String))],
        lower: Lower::Udf(Udf::Base64Encode),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "base64_decodestring",
        sigs: &[sig(&[P::Str], Ret::T(KqlType::String))],
        lower: Lower::Udf(Udf::Base64Decode),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "base64_decode_toarray",
        sigs: &[sig(&[P::Str], Ret::T(KqlType::Dynamic))],
        lower: Lower::Udf(Udf::Base64DecodeToArray),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "url_encode",
        sigs: &[sig(&[P::Str], Ret::T(KqlType::String))],
        lower: Lower::Udf(Udf::UrlEncode),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "url_decode",
        sigs: &[sig(&[P::Str], Ret::T(KqlType::String))],
        lower: Lower::Udf(Udf::UrlDecode),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "base64_encode_tostring",
        sigs: &[sig(&[P::Str], Ret::T(KqlType::String))],
        lower: Lower::Udf(Udf::Base64Encode),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "base64_decode_tostring",
        sigs: &[sig(&[P::Str], Ret::T(KqlType::String))],
        lower: Lower::Udf(Udf::Base64Decode),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "string_size",
        sigs: &[sig(&[P::Str], Ret::T(KqlType::Long))],
        lower: Lower::Udf(Udf::StringSize),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "parse_url",
        sigs: &[sig(&[P::Str], Ret::T(KqlType::Dynamic))],
        lower: Lower::Udf(Udf::ParseUrl),
        naming: Naming::Generated,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip() {
        assert_eq!(base64_encode(b"Kusto1"), "S3VzdG8x");
        assert_eq!(base64_encode(b"ab"), "YWI=");
        assert_eq!(base64_decode("S3VzdG8x").as_deref(), Some(&b"Kusto1"[..]));
        assert_eq!(base64_decode("YWI="), Some(b"ab".to_vec()));
        assert_eq!(base64_decode("!!"), None);
    }

    #[test]
    fn urls() {
        let v = parse_url("scheme://username:password@host:1234/this/is/a/path?k1=v1&k2=v2#fragment");
        assert_eq!(v["Host"], "host");
        assert_eq!(v["Port"], "1234");
        assert_eq!(v["Path"], "/this/is/a/path");
        assert_eq!(v["Query Parameters"]["k2"], "v2");
        assert_eq!(v["Username"], "username");
        assert_eq!(v["Fragment"], "fragment");
    }
}
