//! series_* functions: numeric arrays as made by `make-series` (series-*-function pages). Functions with several
//! results are *tuples* (`Naming::Tuple`): `extend (flag, score, baseline) = series_decompose_anomalies(y)`
//! gives three columns, and unnamed parts are called `<function>_<argument>_<part>`. The algorithms are in
//! `series_math.rs`, the UDF bodies in `udf/series.rs`.

use super::udf::Udf;
use super::{sig, sig_opt, FunctionDef, Lower, Naming, Ret, P};
use crate::types::KqlType;

const D: KqlType = KqlType::Dynamic;
const R: KqlType = KqlType::Real;
const L: KqlType = KqlType::Long;

const LINE: &[(&str, KqlType)] =
    &[("rsquare", R), ("slope", R), ("variance", R), ("rvariance", R), ("interception", R), ("line_fit", D)];
const TWO_LINES: &[(&str, KqlType)] = &[
    ("rsquare", R),
    ("split_idx", L),
    ("variance", R),
    ("rvariance", R),
    ("line_fit", D),
    ("right_rsquare", R),
    ("right_slope", R),
    ("right_interception", R),
    ("right_variance", R),
    ("right_rvariance", R),
    ("left_rsquare", R),
    ("left_slope", R),
    ("left_interception", R),
    ("left_variance", R),
    ("left_rvariance", R),
];
const STATS: &[(&str, KqlType)] =
    &[("min", R), ("min_idx", L), ("max", R), ("max_idx", L), ("avg", R), ("stdev", R), ("variance", R)];
const DECOMPOSE: &[(&str, KqlType)] = &[("baseline", D), ("seasonal", D), ("trend", D), ("residual", D)];
const ANOMALIES: &[(&str, KqlType)] = &[("ad_flag", D), ("ad_score", D), ("baseline", D)];

const fn def(name: &'static str, sigs: &'static [super::Sig], udf: Udf, naming: Naming) -> FunctionDef {
    FunctionDef { name, sigs, lower: Lower::Udf(udf), naming }
}

const SERIES_ONLY: &[super::Sig] = &[sig(&[P::Array], Ret::T(D))];
const SERIES_FLAG: &[super::Sig] = &[sig_opt(&[P::Array, P::Bool], 1, Ret::T(D))];

pub const SERIES: &[FunctionDef] = &[
    def("series_fit_line", SERIES_ONLY, Udf::SeriesFitLine, Naming::Tuple(LINE)),
    def("series_fit_line_dynamic", SERIES_ONLY, Udf::SeriesFitLineDynamic, Naming::Generated),
    def("series_fit_2lines", SERIES_ONLY, Udf::SeriesFit2lines, Naming::Tuple(TWO_LINES)),
    def("series_fit_2lines_dynamic", SERIES_ONLY, Udf::SeriesFit2linesDynamic, Naming::Generated),
    def("series_stats", SERIES_FLAG, Udf::SeriesStats, Naming::Tuple(STATS)),
    def("series_stats_dynamic", SERIES_FLAG, Udf::SeriesStatsDynamic, Naming::Generated),
    def(
        "series_outliers",
        &[sig_opt(&[P::Array, P::Str, P::Real, P::Real, P::Real], 4, Ret::T(D))],
        Udf::SeriesOutliers,
        Naming::FirstArg,
    ),
    def("series_fill_forward", &[sig_opt(&[P::Array, P::Dyn], 1, Ret::T(D))], Udf::SeriesFillForward, Naming::FirstArg),
    def(
        "series_fill_backward",
        &[sig_opt(&[P::Array, P::Dyn], 1, Ret::T(D))],
        Udf::SeriesFillBackward,
        Naming::FirstArg,
    ),
    def(
        "series_fill_const",
        &[sig_opt(&[P::Array, P::Dyn, P::Dyn], 1, Ret::T(D))],
        Udf::SeriesFillConst,
        Naming::FirstArg,
    ),
    def(
        "series_fill_linear",
        &[sig_opt(&[P::Array, P::Dyn, P::Bool, P::Dyn], 3, Ret::T(D))],
        Udf::SeriesFillLinear,
        Naming::FirstArg,
    ),
    def(
        "series_fir",
        &[sig_opt(&[P::Array, P::Dyn, P::Bool, P::Bool], 2, Ret::T(D))],
        Udf::SeriesFir,
        Naming::FirstArg,
    ),
    def("series_iir", &[sig(&[P::Array, P::Dyn, P::Dyn], Ret::T(D))], Udf::SeriesIir, Naming::FirstArg),
    def("series_seasonal", &[sig_opt(&[P::Array, P::Long], 1, Ret::T(D))], Udf::SeriesSeasonal, Naming::Generated),
    def(
        "series_decompose",
        &[sig_opt(&[P::Array, P::Long, P::Str, P::Long, P::Real], 4, Ret::T(D))],
        Udf::SeriesDecompose,
        Naming::Tuple(DECOMPOSE),
    ),
    def(
        "series_decompose_anomalies",
        &[sig_opt(&[P::Array, P::Real, P::Long, P::Str, P::Long, P::Str, P::Real], 6, Ret::T(D))],
        Udf::SeriesDecomposeAnomalies,
        Naming::Tuple(ANOMALIES),
    ),
    def(
        "series_decompose_forecast",
        &[sig_opt(&[P::Array, P::Long, P::Long, P::Str, P::Real], 3, Ret::T(D))],
        Udf::SeriesDecomposeForecast,
        Naming::Generated,
    ),
];
