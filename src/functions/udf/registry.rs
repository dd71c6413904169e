//! The registry of scalar UDFs: one row per function, `Variant => Spec::new(name, params, returns, body)`.
//! The macro makes the [`Udf`] enum, `Udf::ALL` (in declaration order, which `Udf as usize` indexes) and
//! `Udf::spec`, so a function is added in one place. Conventions: `mod.rs`.

use super::expand::{Items, Source};
use super::strings::Match;
use super::{
    datetime as dt, dynamic as dy, expand as ex, formats as fm, fuse, rows as rw, series as se, strings as st,
    text as tx, useragent as ua, Params, Returns, Spec,
};
use crate::functions::{encoding, geo, ip, math, parse_pattern, string};
use crate::types::KqlType;

const S: KqlType = KqlType::String;
const L: KqlType = KqlType::Long;
const B: KqlType = KqlType::Bool;
const D: KqlType = KqlType::Dynamic;
const DT: KqlType = KqlType::Datetime;
const TS: KqlType = KqlType::Timespan;

const STR: Params = Params::Exact(&[S]);
const STR2: Params = Params::Exact(&[S, S]);
const STR3: Params = Params::Exact(&[S, S, S]);
const BOOL: Returns = Returns::T(B);
const TEXT: Returns = Returns::T(S);
const DYN: Returns = Returns::T(D);
const R: KqlType = KqlType::Real;
const I: KqlType = KqlType::Int;
const EDGE: Params = Params::Optional(&[S, DT, L], 1);
const EXPAND: Params = Params::Exact(&[D, B, L]);
const STR_STR_L: Params = Params::Exact(&[S, S, L]);
const IP_PAIR: Params = Params::Optional(&[S, S, L], 1);

macro_rules! registry {
    ($($(#[doc = $doc:literal])* $variant:ident => $spec:expr,)*) => {
        /// A scalar UDF of the registry; `Udf::X.call(args)` builds a call of it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Udf {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Udf {
            /// Every scalar UDF, in declaration order.
            pub const ALL: &'static [Udf] = &[$(Udf::$variant,)*];

            /// The row of this UDF.
            pub fn spec(self) -> &'static Spec {
                match self {
                    $(Udf::$variant => {
                        const SPEC: Spec = $spec;
                        &SPEC
                    })*
                }
            }
        }
    };
}

/// The string predicate UDF of a `has`/`contains`/`startswith`… operator (datatypes-string-operators).
pub fn string_predicate(kind: Match, cs: bool) -> Udf {
    match (kind, cs) {
        (Match::Has, false) => Udf::Has,
        (Match::Has, true) => Udf::HasCs,
        (Match::HasPrefix, false) => Udf::HasPrefix,
        (Match::HasPrefix, true) => Udf::HasPrefixCs,
        (Match::HasSuffix, false) => Udf::HasSuffix,
        (Match::HasSuffix, true) => Udf::HasSuffixCs,
        (Match::Contains, false) => Udf::Contains,
        (Match::Contains, true) => Udf::ContainsCs,
        (Match::StartsWith, false) => Udf::StartsWith,
        (Match::StartsWith, true) => Udf::StartsWithCs,
        (Match::EndsWith, false) => Udf::EndsWith,
        (Match::EndsWith, true) => Udf::EndsWithCs,
    }
}

registry! {
    // string predicates: (text, needle) → bool; a null side is false; a constant needle is compiled once
    Has => Spec::new("kql_has", STR2, BOOL, |a, n| st::predicate(a, n, Match::Has, false)).broadcast(),
    HasCs => Spec::new("kql_has_cs", STR2, BOOL, |a, n| st::predicate(a, n, Match::Has, true)).broadcast(),
    HasPrefix => Spec::new("kql_hasprefix", STR2, BOOL, |a, n| st::predicate(a, n, Match::HasPrefix, false)).broadcast(),
    HasPrefixCs => Spec::new("kql_hasprefix_cs", STR2, BOOL, |a, n| st::predicate(a, n, Match::HasPrefix, true)).broadcast(),
    HasSuffix => Spec::new("kql_hassuffix", STR2, BOOL, |a, n| st::predicate(a, n, Match::HasSuffix, false)).broadcast(),
    HasSuffixCs => Spec::new("kql_hassuffix_cs", STR2, BOOL, |a, n| st::predicate(a, n, Match::HasSuffix, true)).broadcast(),
    Contains => Spec::new("kql_contains", STR2, BOOL, |a, n| st::predicate(a, n, Match::Contains, false)).broadcast(),
    ContainsCs => Spec::new("kql_contains_cs", STR2, BOOL, |a, n| st::predicate(a, n, Match::Contains, true)).broadcast(),
    StartsWith => Spec::new("kql_startswith", STR2, BOOL, |a, n| st::predicate(a, n, Match::StartsWith, false)).broadcast(),
    StartsWithCs => Spec::new("kql_startswith_cs", STR2, BOOL, |a, n| st::predicate(a, n, Match::StartsWith, true)).broadcast(),
    EndsWith => Spec::new("kql_endswith", STR2, BOOL, |a, n| st::predicate(a, n, Match::EndsWith, false)).broadcast(),
    EndsWithCs => Spec::new("kql_endswith_cs", STR2, BOOL, |a, n| st::predicate(a, n, Match::EndsWith, true)).broadcast(),
    /// `(text, needles as a JSON array)`
    HasAny => Spec::new("kql_has_any", STR2, BOOL, |a, n| st::has_any_all(a, n, false)).broadcast(),
    HasAll => Spec::new("kql_has_all", STR2, BOOL, |a, n| st::has_any_all(a, n, true)).broadcast(),
    MatchesRegex => Spec::new("kql_matches_regex", STR2, BOOL, st::regex_match).broadcast(),
    /// `(type code, value, set as a JSON array)`
    In => Spec::new("kql_in", Params::Typed, BOOL, |a, n| st::set_contains(a, n, false)).broadcast(),
    InCi => Spec::new("kql_in_ci", Params::Typed, BOOL, |a, n| st::set_contains(a, n, true)).broadcast(),
    /// `(regex, group, text)`
    Extract => Spec::new("kql_extract", Params::Exact(&[S, L, S]), TEXT, string::extract_body).broadcast(),
    /// `(regex, simple plan or "", group, text)`: the `parse` operator's columns
    ParseGroup => Spec::new("kql_parse_group", Params::Exact(&[S, S, L, S]), TEXT, parse_pattern::parse_group_body).broadcast(),
    /// `(regex, capture groups as a JSON array or "" for all, source)`
    ExtractAll => Spec::new("kql_extract_all", Params::Exact(&[S, D, S]), DYN, string::extract_all_body).broadcast(),
    Substring => Spec::new("kql_substring", Params::Optional(&[S, L, L], 1), TEXT, string::substring_body),
    IndexOf => Spec::new("kql_indexof", Params::Optional(&[S, S, L, L, L], 3), Returns::T(L), string::indexof_body),
    Trim => Spec::new("kql_trim", STR2, TEXT, |a, n| string::trim_body(a, n, true, true)),
    TrimStart => Spec::new("kql_trim_start", STR2, TEXT, |a, n| string::trim_body(a, n, true, false)),
    TrimEnd => Spec::new("kql_trim_end", STR2, TEXT, |a, n| string::trim_body(a, n, false, true)),
    ReplaceRegex => Spec::new("kql_replace_regex", STR3, TEXT, string::replace_regex_body),
    /// `(size[, precision[, units]])`
    FormatBytes => Spec::new("kql_format_bytes", Params::Optional(&[R, L, S], 2), TEXT, string::format_bytes_body),
    /// `(source, search[, kind])`
    Countof => Spec::new("kql_countof", Params::Optional(&[S, S, S], 1), Returns::T(L), string::countof_body),

    // datetime and timespan
    DatetimeDiff => Spec::new("kql_datetime_diff", Params::Exact(&[S, DT, DT]), Returns::T(L), dt::datetime_diff),
    DatetimeAdd => Spec::new("kql_datetime_add", Params::Exact(&[S, L, DT]), Returns::T(DT), dt::datetime_add),
    DatetimePart => Spec::new("kql_datetime_part", Params::Exact(&[S, DT]), Returns::T(I), dt::datetime_part),
    /// `(value, roundTo)`, returning the value's type
    Bin => Spec::new("kql_bin", Params::OneOf(&[&[DT, TS], &[TS, TS], &[L, L], &[R, R]]), Returns::Arg(0), dt::bin),
    /// `(period, datetime[, offset])`, period one of day, week, month, year
    StartOf => Spec::new("kql_startof", EDGE, Returns::T(DT), |a, n| dt::period_edge(a, n, false)),
    EndOf => Spec::new("kql_endof", EDGE, Returns::T(DT), |a, n| dt::period_edge(a, n, true)),
    ToDatetime => Spec::new("kql_todatetime", STR, Returns::T(DT), dt::parse_datetime),
    ToTimespan => Spec::new("kql_totimespan", STR, Returns::T(TS), dt::parse_timespan),

    // dynamic values (JSON text) and conversions
    DynamicGet => Spec::new("kql_dynamic_get", Params::Exact(&[D, S]), DYN, dy::get_key).broadcast(),
    DynamicIndex => Spec::new("kql_dynamic_index", Params::Exact(&[D, L]), DYN, dy::get_index).broadcast(),
    /// `tostring(d.key)` in one step (fuse.rs)
    DynamicGetText => Spec::new("kql_dynamic_get_text", Params::Exact(&[D, S]), TEXT, dy::get_key_text).broadcast(),
    /// `tostring(d[index])` in one step (fuse.rs)
    DynamicIndexText => Spec::new("kql_dynamic_index_text", Params::Exact(&[D, L]), TEXT, dy::get_index_text).broadcast(),
    ParseJson => Spec::new("kql_parse_json", STR, DYN, dy::parse_json),
    ArrayLength => Spec::new("kql_array_length", Params::Exact(&[D]), Returns::T(L), dy::array_length),
    /// `(type codes, v1, v2, …)`
    PackArray => Spec::new("kql_pack_array", Params::Typed, DYN, dy::pack_array).broadcast(),
    /// `(type codes of the values, k1, v1, k2, v2, …)`
    BagPack => Spec::new("kql_bag_pack", Params::Typed, DYN, dy::bag_pack).broadcast(),
    Split => Spec::new("kql_split", STR2, DYN, dy::split),
    /// `(array, delimiter)`
    StrcatArray => Spec::new("kql_strcat_array", Params::Exact(&[D, S]), TEXT, dy::strcat_array),
    /// `(array, value as dynamic)`
    SetHasElement => Spec::new("kql_set_has_element", Params::Exact(&[D, D]), BOOL, dy::set_has_element),
    /// `(list of [bin, value] pairs, bins, default)`: make-series' arrays
    SeriesFill => Spec::new("kql_series_fill", Params::Exact(&[D, L, D]), DYN, dy::series_fill).broadcast(),
    /// `(from, step, bins)`: make-series' axis
    SeriesAxis => Spec::new("kql_series_axis", Params::OneOf(&[&[DT, TS, L], &[TS, TS, L], &[L, L, L], &[R, R, L]]), DYN, dy::series_axis).broadcast(),
    // series_* (udf/series.rs): a tuple function returns one JSON array of its parts
    SeriesFitLine => Spec::new("kql_series_fit_line", Params::Exact(&[D]), DYN, se::fit_line).broadcast(),
    SeriesFitLineDynamic => Spec::new("kql_series_fit_line_dynamic", Params::Exact(&[D]), DYN, se::fit_line_dynamic).broadcast(),
    SeriesFit2lines => Spec::new("kql_series_fit_2lines", Params::Exact(&[D]), DYN, se::fit_2lines).broadcast(),
    SeriesFit2linesDynamic => Spec::new("kql_series_fit_2lines_dynamic", Params::Exact(&[D]), DYN, se::fit_2lines_dynamic).broadcast(),
    SeriesStats => Spec::new("kql_series_stats", Params::Optional(&[D, B], 1), DYN, se::stats).broadcast(),
    SeriesStatsDynamic => Spec::new("kql_series_stats_dynamic", Params::Optional(&[D, B], 1), DYN, se::stats_dynamic).broadcast(),
    SeriesOutliers => Spec::new("kql_series_outliers", Params::Optional(&[D, S, R, R, R], 4), DYN, se::outliers).broadcast(),
    SeriesFillForward => Spec::new("kql_series_fill_forward", Params::Optional(&[D, D], 1), DYN, se::fill_forward).broadcast(),
    SeriesFillBackward => Spec::new("kql_series_fill_backward", Params::Optional(&[D, D], 1), DYN, se::fill_backward).broadcast(),
    SeriesFillConst => Spec::new("kql_series_fill_const", Params::Optional(&[D, D, D], 1), DYN, se::fill_const).broadcast(),
    SeriesFillLinear => Spec::new("kql_series_fill_linear", Params::Optional(&[D, D, B, D], 3), DYN, se::fill_linear).broadcast(),
    SeriesFir => Spec::new("kql_series_fir", Params::Optional(&[D, D, B, B], 2), DYN, se::fir).broadcast(),
    SeriesIir => Spec::new("kql_series_iir", Params::Exact(&[D, D, D]), DYN, se::iir).broadcast(),
    SeriesSeasonal => Spec::new("kql_series_seasonal", Params::Optional(&[D, L], 1), DYN, se::seasonal).broadcast(),
    SeriesDecompose => Spec::new("kql_series_decompose", Params::Optional(&[D, L, S, L, R], 4), DYN, se::decompose).broadcast(),
    SeriesDecomposeAnomalies => Spec::new("kql_series_decompose_anomalies", Params::Optional(&[D, R, L, S, L, S, R], 6), DYN, se::decompose_anomalies).broadcast(),
    SeriesDecomposeForecast => Spec::new("kql_series_decompose_forecast", Params::Optional(&[D, L, L, S, R], 3), DYN, se::decompose_forecast).broadcast(),
    /// `(start, stop, step, integers)`
    RangeArray => Spec::new("kql_range_array", Params::Exact(&[R, R, R, B]), DYN, dy::range_array).broadcast(),
    /// a bag without its null and empty-string values (pack_all(true))
    BagDropEmpty => Spec::new("kql_bag_drop_empty", Params::Exact(&[D]), DYN, dy::bag_drop_empty),
    BagKeys => Spec::new("kql_bag_keys", Params::Exact(&[D]), DYN, dy::bag_keys),
    /// `(bag, keys as an array)`
    BagRemoveKeys => Spec::new("kql_bag_remove_keys", Params::Exact(&[D, D]), DYN, dy::bag_remove_keys).broadcast(),
    Translate => Spec::new("kql_translate", STR3, TEXT, tx::translate).broadcast(),
    /// `(source, regex[, start])`
    IndexOfRegex => Spec::new("kql_indexof_regex", Params::Optional(&[S, S, L], 1), Returns::T(L), tx::indexof_regex).broadcast(),
    /// `(array, start, end)`
    ArraySlice => Spec::new("kql_array_slice", Params::Exact(&[D, L, L]), DYN, tx::array_slice).broadcast(),
    JaccardIndex => Spec::new("kql_jaccard_index", Params::Exact(&[D, D]), Returns::T(R), tx::jaccard_index).broadcast(),
    ParsePath => Spec::new("kql_parse_path", STR, DYN, tx::parse_path),
    ExtractJson => Spec::new("kql_extractjson", STR2, TEXT, dy::extract_json),
    /// `(line, parser)`; the parser is "windows"
    ParseCommandLine => Spec::new("kql_parse_command_line", STR2, DYN, dy::parse_command_line),
    Codepoints => Spec::new("kql_unicode_codepoints_from_string", STR, DYN, dy::codepoints),
    /// `(type code, value)`
    ToString => Spec::new("kql_tostring", Params::Typed, TEXT, dy::to_string).broadcast().fuses(fuse::tostring),
    /// `(type code, value)`
    ToDynamic => Spec::new("kql_todynamic", Params::Typed, DYN, dy::to_dynamic).broadcast(),
    ToGuid => Spec::new("kql_toguid", STR, Returns::T(KqlType::Guid), dy::to_guid),
    // mv-expand (udf/expand.rs): `(value, as_pairs, limit)` → the list of items the Unnest makes rows of
    MvExpand => Spec::new("kql_mv_expand", EXPAND, Returns::List(S), |a, n| ex::expand_list(a, n, Source::Dynamic, Items::Json)).fuses(fuse::mv_expand),
    /// each item's tostring (`to typeof(string)`)
    MvExpandText => Spec::new("kql_mv_expand_text", EXPAND, Returns::List(S), |a, n| ex::expand_list(a, n, Source::Dynamic, Items::Text)).fuses(fuse::mv_expand_text),
    /// the items' 0-based positions
    MvExpandIndex => Spec::new("kql_mv_expand_index", EXPAND, Returns::List(L), |a, n| ex::expand_list(a, n, Source::Dynamic, Items::Index)),
    /// `mv-expand parse_json(s)`: `(string, as_pairs, limit)` (fuse.rs)
    MvExpandParse => Spec::new("kql_mv_expand_parse", Params::Exact(&[S, B, L]), Returns::List(S), |a, n| ex::expand_list(a, n, Source::ParseJson, Items::Json)),
    MvExpandParseText => Spec::new("kql_mv_expand_parse_text", Params::Exact(&[S, B, L]), Returns::List(S), |a, n| ex::expand_list(a, n, Source::ParseJson, Items::Text)),
    /// `mv-expand split(s, d)`: `(string, delimiter, limit)` (fuse.rs)
    SplitExpand => Spec::new("kql_split_expand", STR_STR_L, Returns::List(S), |a, n| ex::split_expand(a, n, Items::Json)).broadcast(),
    SplitExpandText => Spec::new("kql_split_expand_text", STR_STR_L, Returns::List(S), |a, n| ex::split_expand(a, n, Items::Text)).broadcast(),
    /// `(from, to, step)` → the list `from, from+step, … <= to`
    Range => Spec::new("kql_range", Params::Exact(&[L, L, L]), Returns::List(L), dy::range_list),

    // encodings, URLs, IPv4, math
    Base64Encode => Spec::new("kql_base64_encode_tostring", STR, TEXT, encoding::encode_body),
    Base64Decode => Spec::new("kql_base64_decode_tostring", STR, TEXT, encoding::decode_body),
    StringSize => Spec::new("kql_string_size", STR, Returns::T(L), encoding::string_size_body),
    ParseUrl => Spec::new("kql_parse_url", STR, DYN, encoding::parse_url_body),
    Ipv4IsInRange => Spec::new("kql_ipv4_is_in_range", STR2, BOOL, ip::in_range_body),
    Ipv4IsPrivate => Spec::new("kql_ipv4_is_private", STR, BOOL, ip::is_private_body),
    ParseIpv4 => Spec::new("kql_parse_ipv4", STR, Returns::T(L), ip::parse_ipv4_body),
    GeoInfo => Spec::new("kql_geo_info_from_ip_address", STR, DYN, ip::geo_body),
    Round => Spec::new("kql_round", Params::Optional(&[R, L], 1), Returns::T(R), math::round_body),
    Base64DecodeToArray => Spec::new("kql_base64_decode_toarray", STR, DYN, encoding::decode_toarray_body),
    UrlEncode => Spec::new("kql_url_encode", STR, TEXT, encoding::url_encode_body),
    UrlDecode => Spec::new("kql_url_decode", STR, TEXT, encoding::url_decode_body),
    /// `(ip1, ip2[, prefix])`
    Ipv4IsMatch => Spec::new("kql_ipv4_is_match", IP_PAIR, BOOL, ip::ipv4_is_match_body).broadcast(),
    /// `(ip1, ip2[, prefix])`
    Ipv6Compare => Spec::new("kql_ipv6_compare", IP_PAIR, Returns::T(L), ip::ipv6_compare_body).broadcast(),
    /// `(ip1, ip2[, prefix])`
    Ipv6IsMatch => Spec::new("kql_ipv6_is_match", IP_PAIR, BOOL, ip::ipv6_is_match_body).broadcast(),
    /// `(ip, range)`
    Ipv6IsInRange => Spec::new("kql_ipv6_is_in_range", STR2, BOOL, ip::ipv6_is_in_range_body).broadcast(),

    // geospatial (functions/geo.rs): coordinates are (longitude, latitude) reals; geometries GeoJSON dynamics
    /// `(lon1, lat1, lon2, lat2[, use_spheroid])`
    GeoDistance2Points => Spec::new("kql_geo_distance_2points", Params::Optional(&[R, R, R, R, B], 1), Returns::T(R), geo::distance_2points_body).broadcast(),
    /// `(lon, lat, center lon, center lat, radius)`
    GeoPointInCircle => Spec::new("kql_geo_point_in_circle", Params::Exact(&[R, R, R, R, R]), BOOL, geo::point_in_circle_body).broadcast(),
    /// `(lon, lat[, accuracy])`
    GeoPointToGeohash => Spec::new("kql_geo_point_to_geohash", Params::Optional(&[R, R, L], 1), TEXT, geo::point_to_geohash_body).broadcast(),
    GeoGeohashToCentralPoint => Spec::new("kql_geo_geohash_to_central_point", STR, DYN, geo::geohash_to_central_point_body),
    /// `(lon, lat[, level])`
    GeoPointToS2cell => Spec::new("kql_geo_point_to_s2cell", Params::Optional(&[R, R, L], 1), TEXT, geo::point_to_s2cell_body).broadcast(),
    GeoS2cellToCentralPoint => Spec::new("kql_geo_s2cell_to_central_point", STR, DYN, geo::s2cell_to_central_point_body),
    GeoGeohashToPolygon => Spec::new("kql_geo_geohash_to_polygon", STR, DYN, geo::geohash_to_polygon_body),
    /// `(lon, lat, polygon)`
    GeoPointInPolygon => Spec::new("kql_geo_point_in_polygon", Params::Exact(&[R, R, D]), BOOL, geo::point_in_polygon_body).broadcast(),
    /// `(lon, lat, line)`
    GeoDistancePointToLine => Spec::new("kql_geo_distance_point_to_line", Params::Exact(&[R, R, D]), Returns::T(R), geo::distance_point_to_line_body).broadcast(),

    // formats, time zones, versions
    FormatDatetime => Spec::new("kql_format_datetime", Params::Exact(&[DT, S]), TEXT, fm::format_datetime).broadcast(),
    FormatTimespan => Spec::new("kql_format_timespan", Params::Exact(&[TS, S]), TEXT, fm::format_timespan).broadcast(),
    DatetimeUtcToLocal => Spec::new("kql_datetime_utc_to_local", Params::Exact(&[DT, S]), Returns::T(DT), fm::datetime_utc_to_local).broadcast(),
    DatetimeLocalToUtc => Spec::new("kql_datetime_local_to_utc", Params::Exact(&[DT, S]), Returns::T(DT), fm::datetime_local_to_utc).broadcast(),
    ParseVersion => Spec::new("kql_parse_version", STR, Returns::T(KqlType::Decimal), fm::parse_version),
    /// `(type codes, user agent, look_for)`
    ParseUserAgent => Spec::new("kql_parse_user_agent", Params::Typed, DYN, ua::parse_user_agent).broadcast(),

    // row-at-a-time helpers over JSON values; all `(type codes, values...)`
    ArrayConcat => Spec::new("kql_array_concat", Params::Typed, DYN, rw::array_concat).broadcast(),
    ArrayIndexOf => Spec::new("kql_array_index_of", Params::Typed, Returns::T(L), rw::array_index_of).broadcast(),
    SetUnion => Spec::new("kql_set_union", Params::Typed, DYN, rw::set_union).broadcast(),
    SetIntersect => Spec::new("kql_set_intersect", Params::Typed, DYN, rw::set_intersect).broadcast(),
    SetDifference => Spec::new("kql_set_difference", Params::Typed, DYN, rw::set_difference).broadcast(),
    Zip => Spec::new("kql_zip", Params::Typed, DYN, rw::zip).broadcast(),
    ArraySortAsc => Spec::new("kql_array_sort_asc", Params::Typed, DYN, rw::array_sort_asc).broadcast(),
    ArraySortDesc => Spec::new("kql_array_sort_desc", Params::Typed, DYN, rw::array_sort_desc).broadcast(),
    ArrayIff => Spec::new("kql_array_iff", Params::Typed, DYN, rw::array_iff).broadcast(),
    HasAnyIndex => Spec::new("kql_has_any_index", Params::Typed, Returns::T(L), rw::has_any_index).broadcast(),
    DynamicToJson => Spec::new("kql_dynamic_to_json", Params::Typed, TEXT, rw::dynamic_to_json).broadcast(),
    GetType => Spec::new("kql_gettype", Params::Typed, TEXT, rw::gettype).broadcast(),
    MakeString => Spec::new("kql_make_string", Params::Typed, TEXT, rw::make_string).broadcast(),
    ParseCsv => Spec::new("kql_parse_csv", Params::Typed, DYN, rw::parse_csv).broadcast(),
    ParseXml => Spec::new("kql_parse_xml", Params::Typed, DYN, rw::parse_xml).broadcast(),
    Hash => Spec::new("kql_hash", Params::Typed, Returns::T(L), rw::hash).broadcast(),
    /// `(text, key, options as JSON: mode, pair, kv, greedy, keys, regex, quotes, escapes)`
    ParseKv => Spec::new("kql_parse_kv", STR3, TEXT, tx::parse_kv).broadcast(),
    /// `(distinct values of the key, key name)`: partition's legacy strategy fails over 64 values
    PartitionLimit => Spec::new("kql_partition_limit", Params::Exact(&[L, S]), BOOL, tx::partition_limit).broadcast(),
}
