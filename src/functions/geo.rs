//! Geospatial functions that need no database: distances, circles, geohashes, point in polygon and distance to
//! a line, S2 cells (geo-distance-2points-function, geo-point-in-circle-function, geo-point-to-geohash-function,
//! geo-geohash-to-central-point-function, geo-geohash-to-polygon-function, geo-point-in-polygon-function,
//! geo-distance-point-to-line-function, geo-point-to-s2cell-function, geo-s2cell-to-central-point-function).
//!
//! Coordinates are WGS-84 degrees, longitude first (GeoJSON order); a longitude outside [-180, 180] or a latitude
//! outside [-90, 90] makes the result null (an empty string for geohash and S2 cell names). The pages measure on a sphere
//! unless asked otherwise; its radius is S2's mean Earth radius, 6,371,010 m, which reproduces the
//! geo_distance_2points page's Seattle–Los Angeles distance (1546754.35197381) to every printed digit
//! (6,371,008.8 m, the IUGG mean radius, is 0.3 m off). Geometry on the sphere is done on unit vectors: a
//! point's distance is the angle between vectors, an edge is the shorter great-circle arc between its vertices.

use super::udf::series::{boolean, long, num, per_row, real, text};
use super::udf::{arg, row, Udf};
use super::{sig, sig_opt, FunctionDef, Lower, Naming, Ret, P};
use crate::types::KqlType;
use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, Float64Array, StringArray, StringBuilder};
use datafusion::common::Result as DfResult;
use serde_json::{json, Value};
use std::f64::consts::PI;
use std::sync::Arc;

mod s2;

/// S2's `kEarthRadiusMeters`: the sphere Kusto measures on (module comment).
const EARTH_RADIUS_M: f64 = 6_371_010.0;

type V3 = [f64; 3];

fn valid(lon: f64, lat: f64) -> bool {
    (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)
}

/// The unit vector of a valid coordinate.
fn unit(lon: f64, lat: f64) -> Option<V3> {
    valid(lon, lat).then(|| {
        let (lo, la) = (lon.to_radians(), lat.to_radians());
        [la.cos() * lo.cos(), la.cos() * lo.sin(), la.sin()]
    })
}

fn dot(a: V3, b: V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: V3, b: V3) -> V3 {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

fn norm(a: V3) -> f64 {
    dot(a, a).sqrt()
}

fn scale(a: V3, k: f64) -> V3 {
    [a[0] * k, a[1] * k, a[2] * k]
}

fn add(a: V3, b: V3) -> V3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

fn normalize(a: V3) -> V3 {
    let n = norm(a);
    if n > 0.0 {
        scale(a, 1.0 / n)
    } else {
        a
    }
}

/// The angle between two unit vectors, in radians (atan2 keeps small and near-π angles accurate).
fn angle(a: V3, b: V3) -> f64 {
    norm(cross(a, b)).atan2(dot(a, b))
}

/// Is the arc from a to b 180° (no shortest edge between them)?
fn antipodal(a: V3, b: V3) -> bool {
    dot(a, b) < 0.0 && norm(cross(a, b)) < 1e-15
}

/// geo-distance-2points-function: on the sphere by default; on the WGS-84 ellipsoid when `spheroid`.
pub fn distance_2points(lon1: f64, lat1: f64, lon2: f64, lat2: f64, spheroid: bool) -> Option<f64> {
    let (a, b) = (unit(lon1, lat1)?, unit(lon2, lat2)?);
    if spheroid {
        vincenty(lon1, lat1, lon2, lat2)
    } else {
        Some(angle(a, b) * EARTH_RADIUS_M)
    }
}

/// The geodesic distance on the WGS-84 ellipsoid by Vincenty's inverse formula (accurate to well under a
/// millimetre). Its iteration does not converge for nearly antipodal points (within about half a degree of
/// each other's antipode); those give null rather than a wrong distance.
fn vincenty(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> Option<f64> {
    const A: f64 = 6_378_137.0;
    const F: f64 = 1.0 / 298.257_223_563;
    const B: f64 = A * (1.0 - F);
    let l = (lon2 - lon1).to_radians();
    let u1 = ((1.0 - F) * lat1.to_radians().tan()).atan();
    let u2 = ((1.0 - F) * lat2.to_radians().tan()).atan();
    let (su1, cu1, su2, cu2) = (u1.sin(), u1.cos(), u2.sin(), u2.cos());
    let mut lambda = l;
    for _ in 0..200 {
        let (sl, cl) = (lambda.sin(), lambda.cos());
        let sin_sigma = ((cu2 * sl).powi(2) + (cu1 * su2 - su1 * cu2 * cl).powi(2)).sqrt();
        if sin_sigma == 0.0 {
            return Some(0.0);
        }
        let cos_sigma = su1 * su2 + cu1 * cu2 * cl;
        let sigma = sin_sigma.atan2(cos_sigma);
        let sin_alpha = cu1 * cu2 * sl / sin_sigma;
        let cos2_alpha = 1.0 - sin_alpha * sin_alpha;
        let cos_2sm = if cos2_alpha != 0.0 { cos_sigma - 2.0 * su1 * su2 / cos2_alpha } else { 0.0 };
        let c = F / 16.0 * cos2_alpha * (4.0 + F * (4.0 - 3.0 * cos2_alpha));
        let prev = lambda;
        lambda = l
            + (1.0 - c)
                * F
                * sin_alpha
                * (sigma + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1.0 + 2.0 * cos_2sm * cos_2sm)));
        if lambda.abs() > PI + 1e-9 {
            return None;
        }
        if (lambda - prev).abs() < 1e-12 {
            let u_sq = cos2_alpha * (A * A - B * B) / (B * B);
            let a = 1.0 + u_sq / 16384.0 * (4096.0 + u_sq * (-768.0 + u_sq * (320.0 - 175.0 * u_sq)));
            let b = u_sq / 1024.0 * (256.0 + u_sq * (-128.0 + u_sq * (74.0 - 47.0 * u_sq)));
            let d_sigma = b
                * sin_sigma
                * (cos_2sm
                    + b / 4.0
                        * (cos_sigma * (-1.0 + 2.0 * cos_2sm * cos_2sm)
                            - b / 6.0
                                * cos_2sm
                                * (-3.0 + 4.0 * sin_sigma * sin_sigma)
                                * (-3.0 + 4.0 * cos_2sm * cos_2sm)));
            return Some(B * a * (sigma - d_sigma));
        }
    }
    None
}

/// geo-point-in-circle-function: within `radius` meters (a spherical cap; the radius must be positive).
pub fn point_in_circle(lon: f64, lat: f64, clon: f64, clat: f64, radius: f64) -> Option<bool> {
    if radius.is_nan() || radius <= 0.0 {
        return None;
    }
    Some(distance_2points(lon, lat, clon, clat, false)? <= radius)
}

const GEOHASH_ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";

/// geo-point-to-geohash-function: `accuracy` characters (1..=18), each halving longitude and latitude in
/// turn, longitude first; a coordinate on a cell's lower edge belongs to that cell.
pub fn point_to_geohash(lon: f64, lat: f64, accuracy: i64) -> Option<String> {
    if !valid(lon, lat) || !(1..=18).contains(&accuracy) {
        return None;
    }
    let (mut lo, mut la) = ([-180.0_f64, 180.0_f64], [-90.0_f64, 90.0_f64]);
    let mut out = String::new();
    let mut even = true;
    for _ in 0..accuracy {
        let mut ch = 0usize;
        for _ in 0..5 {
            let (range, v) = if even { (&mut lo, lon) } else { (&mut la, lat) };
            let mid = (range[0] + range[1]) / 2.0;
            ch <<= 1;
            if v >= mid {
                ch |= 1;
                range[0] = mid;
            } else {
                range[1] = mid;
            }
            even = !even;
        }
        out.push(char::from(*GEOHASH_ALPHABET.get(ch)?));
    }
    Some(out)
}

/// A geohash's cell: ([min_lon, max_lon], [min_lat, max_lat]); `None` unless 1..=18 characters of the alphabet.
fn geohash_cell(hash: &str) -> Option<([f64; 2], [f64; 2])> {
    if !(1..=18).contains(&hash.len()) {
        return None;
    }
    let (mut lo, mut la) = ([-180.0_f64, 180.0_f64], [-90.0_f64, 90.0_f64]);
    let mut even = true;
    for c in hash.bytes() {
        let ch = GEOHASH_ALPHABET.iter().position(|x| *x == c)?;
        for bit in (0..5).rev() {
            let range = if even { &mut lo } else { &mut la };
            let mid = (range[0] + range[1]) / 2.0;
            if ch >> bit & 1 == 1 {
                range[0] = mid;
            } else {
                range[1] = mid;
            }
            even = !even;
        }
    }
    Some((lo, la))
}

/// geo-geohash-to-central-point-function: a GeoJSON point.
pub fn geohash_to_central_point(hash: &str) -> Option<Value> {
    let (lo, la) = geohash_cell(hash)?;
    Some(json!({"type": "Point", "coordinates": [num((lo[0] + lo[1]) / 2.0), num((la[0] + la[1]) / 2.0)]}))
}

/// geo-geohash-to-polygon-function: the cell as a GeoJSON polygon, counterclockwise from its south-west corner.
pub fn geohash_to_polygon(hash: &str) -> Option<Value> {
    let (lo, la) = geohash_cell(hash)?;
    let p = |x: f64, y: f64| json!([num(x), num(y)]);
    let ring = vec![p(lo[0], la[0]), p(lo[1], la[0]), p(lo[1], la[1]), p(lo[0], la[1]), p(lo[0], la[0])];
    Some(json!({"type": "Polygon", "coordinates": [ring]}))
}

/// geo-point-to-s2cell-function: the token of the S2 cell of `level` (0..=30) containing the point.
pub fn point_to_s2cell(lon: f64, lat: f64, level: i64) -> Option<String> {
    let level = u32::try_from(level).ok().filter(|l| *l <= 30)?;
    Some(s2::token(s2::cell_id(unit(lon, lat)?, level)))
}

/// geo-s2cell-to-central-point-function: a GeoJSON point.
pub fn s2cell_to_central_point(token: &str) -> Option<Value> {
    let [x, y, z] = s2::center(s2::from_token(token)?);
    let (lon, lat) = (y.atan2(x).to_degrees(), z.atan2((x * x + y * y).sqrt()).to_degrees());
    Some(json!({"type": "Point", "coordinates": [num(lon), num(lat)]}))
}

/// A GeoJSON `[longitude, latitude]` as a unit vector.
fn position(v: &Value) -> Option<V3> {
    match v.as_array()?.as_slice() {
        [lon, lat] => unit(lon.as_f64()?, lat.as_f64()?),
        _ => None,
    }
}

/// The (lon, lat) positions of a GeoJSON array of positions.
fn positions(v: &Value) -> Option<Vec<V3>> {
    v.as_array()?.iter().map(position).collect()
}

/// `dynamic({"type": kind, "coordinates": ...})`: the coordinates, when the type is one of `kinds`.
fn geometry<'v>(v: &'v Value, kinds: &[&str]) -> Option<(&'v str, &'v Value)> {
    let kind = v.get("type")?.as_str()?;
    kinds.contains(&kind).then_some(())?;
    Some((kind, v.get("coordinates")?))
}

/// A polyline of geo-distance-point-to-line-function: its vertices (at least two, no 180° edge).
fn line(v: &Value) -> Option<Vec<V3>> {
    let pts = positions(v)?;
    (pts.len() >= 2 && pts.windows(2).all(|w| !matches!(w, [a, b] if antipodal(*a, *b)))).then_some(pts)
}

/// How deeply arrays nest at the start of `v`: a position is 1, a line or ring 2, a polygon 3.
fn depth(v: &Value) -> usize {
    match v.as_array() {
        Some(items) => 1 + items.first().map_or(0, depth),
        None => 0,
    }
}

/// The parts of a Multi* geometry's coordinates: the arrays of depth `part` in it, however deeply they are
/// nested. The pages' own folding examples build MultiPolygons and MultiLineStrings one level deeper than
/// GeoJSON (`make_list(pack_array(polygon.coordinates))`, `make_list(geometry.coordinates)` of
/// MultiLineStrings; the MultiLineString definition itself reads `[[line_1, ..., line_N]]`) and show them
/// working, so every extra level of nesting is looked through.
fn parts<T>(c: &Value, part: usize, parse: &impl Fn(&Value) -> Option<T>, out: &mut Vec<T>) -> Option<()> {
    let d = depth(c);
    if d == part {
        out.push(parse(c)?);
    } else if d > part {
        for x in c.as_array()? {
            parts(x, part, parse, out)?;
        }
    } else {
        return None;
    }
    Some(())
}

/// A single geometry of type `one`, or the parts of its Multi* type.
fn one_or_many<T>(
    v: &Value,
    one: &str,
    many: &str,
    part: usize,
    parse: impl Fn(&Value) -> Option<T>,
) -> Option<Vec<T>> {
    match geometry(v, &[one, many])? {
        (k, c) if k == one => Some(vec![parse(c)?]),
        (_, c) => {
            let mut out = Vec::new();
            parts(c, part, &parse, &mut out)?;
            (!out.is_empty()).then_some(out)
        }
    }
}

/// A LineString or MultiLineString, as its lines.
fn lines(v: &Value) -> Option<Vec<Vec<V3>>> {
    one_or_many(v, "LineString", "MultiLineString", 2, line)
}

/// The angle from `p` to the arc from `a` to `b`: to the closest point of the great circle when it falls
/// within the arc, else to the nearer end.
fn angle_to_edge(p: V3, a: V3, b: V3) -> f64 {
    let n = cross(a, b);
    let nn = norm(n);
    if nn > 0.0 && dot(cross(n, a), p) >= 0.0 && dot(cross(b, n), p) >= 0.0 {
        let off = dot(p, n) / nn;
        return off.abs().atan2((1.0 - off * off).max(0.0).sqrt());
    }
    angle(p, a).min(angle(p, b))
}

/// geo-distance-point-to-line-function: meters from the point to the nearest edge of any of the lines.
fn distance_to_lines(lon: f64, lat: f64, ls: &[Vec<V3>]) -> Option<f64> {
    let p = unit(lon, lat)?;
    let edges = ls.iter().flat_map(|l| l.windows(2));
    let best = edges.filter_map(|w| match w {
        [a, b] => Some(angle_to_edge(p, *a, *b)),
        _ => None,
    });
    best.reduce(f64::min).map(|a| a * EARTH_RADIUS_M)
}

/// Orientation of c relative to the great circle through a and b: is det(a, b, c) positive? (Zero counts as
/// negative, the same way for every edge, so a ray through a vertex crosses exactly one of its two edges.)
fn left_of(a: V3, b: V3, c: V3) -> bool {
    dot(cross(a, b), c) > 0.0
}

/// Does the arc a→b cross the arc c→d? Both shorter than 180°; the great circles' crossing must lie on both
/// arcs (the same rule as S2's CrossingSign).
fn crosses(a: V3, b: V3, c: V3, d: V3) -> bool {
    let abc = left_of(a, b, c);
    let abd = left_of(a, b, d);
    let cda = left_of(c, d, a);
    let cdb = left_of(c, d, b);
    abc != abd && cda != cdb && abd == cda
}

/// One linear ring of a polygon, as the region it bounds on the sphere.
struct Ring {
    /// the distinct vertices, in order, without the closing repeat
    v: Vec<V3>,
    /// two reference points (90° apart) and whether each is left of the ring (`left_of` the edges' travel)
    refs: [(V3, bool); 2],
    /// the page's rule: a ring bounds the smaller of the two regions it divides the sphere into, whatever
    /// its orientation; false when that is the region to the ring's right
    left_is_small: bool,
}

impl Ring {
    fn edges(&self) -> impl Iterator<Item = (V3, V3)> + '_ {
        self.v.iter().zip(self.v.iter().cycle().skip(1)).map(|(a, b)| (*a, *b))
    }

    /// Is `p` left of the ring, counting crossings of the arc from a reference point whose side is known?
    fn left_contains(&self, p: V3, from: (V3, bool)) -> bool {
        let (r, r_left) = from;
        let odd = self.edges().filter(|(a, b)| crosses(r, p, *a, *b)).count() % 2 == 1;
        r_left != odd
    }

    fn contains(&self, p: V3) -> bool {
        let [q, o] = self.refs;
        // q, unless p is more than 120° from it: then o (90° from q), so the arc to p is well short of 180°
        let from = if dot(p, q.0) > -0.5 { q } else { o };
        self.left_contains(p, from) == self.left_is_small
    }

    /// A GeoJSON linear ring: at least four positions, closed, at least three distinct vertices, no 180° edge,
    /// no spike (an edge going straight back), no two edges crossing.
    fn parse(v: &Value) -> Option<Ring> {
        let pts = positions(v)?;
        if pts.len() < 4 || pts.first() != pts.last() {
            return None;
        }
        let mut vs: Vec<V3> = Vec::with_capacity(pts.len());
        for p in pts.iter().take(pts.len() - 1) {
            if vs.last() != Some(p) {
                vs.push(*p);
            }
        }
        if vs.len() > 1 && vs.first() == vs.last() {
            vs.pop();
        }
        if vs.len() < 3 {
            return None;
        }
        let n = vs.len();
        let at = |i: usize| vs.get(i % n).copied();
        // turning angles: by Gauss–Bonnet the region left of the ring has area 2π − Σ turn
        let mut turning = 0.0;
        for i in 0..n {
            let (a, b, c) = (at(i)?, at(i + 1)?, at(i + 2)?);
            if antipodal(a, b) {
                return None;
            }
            let t_in = cross(cross(a, b), b);
            let t_out = cross(cross(b, c), b);
            let (s, co) = (dot(cross(t_in, t_out), b), dot(t_in, t_out));
            if s.abs() <= 1e-15 * norm(t_in) * norm(t_out) && co < 0.0 {
                return None;
            }
            turning += s.atan2(co);
        }
        // edges that are not neighbours must not cross (touching at a vertex is allowed); quadratic, but a
        // literal polygon is parsed once per query
        for i in 0..n {
            for j in i + 2..n {
                if (j + 1) % n == i {
                    continue;
                }
                let (a, b, c, d) = (at(i)?, at(i + 1)?, at(j)?, at(j + 1)?);
                let strict = |x: V3, y: V3, z: V3| dot(cross(x, y), z);
                let s = [strict(a, b, c), strict(a, b, d), strict(c, d, a), strict(c, d, b)];
                if s.iter().all(|x| *x != 0.0) && crosses(a, b, c, d) {
                    return None;
                }
            }
        }
        // a point just left of the middle of the longest edge is left of the ring
        let (a, b) = (0..n)
            .filter_map(|i| Some((at(i)?, at(i + 1)?)))
            .max_by(|x, y| angle(x.0, x.1).total_cmp(&angle(y.0, y.1)))?;
        let q = normalize(add(normalize(add(a, b)), scale(normalize(cross(a, b)), 1e-9)));
        let axis = if q[0].abs() < 0.5 { [1.0, 0.0, 0.0] } else { [0.0, 1.0, 0.0] };
        let o = normalize(cross(q, axis));
        let area_left = 2.0 * PI - turning;
        let mut ring = Ring { v: vs, refs: [(q, true), (o, true)], left_is_small: area_left <= 2.0 * PI };
        let o_left = ring.left_contains(o, (q, true));
        ring.refs = [(q, true), (o, o_left)];
        Some(ring)
    }
}

/// A Polygon (one shell, then holes) or a MultiPolygon, as its polygons.
fn polygons(v: &Value) -> Option<Vec<Vec<Ring>>> {
    let polygon = |c: &Value| -> Option<Vec<Ring>> {
        let rings: Vec<Ring> = c.as_array()?.iter().map(Ring::parse).collect::<Option<_>>()?;
        (!rings.is_empty()).then_some(rings)
    };
    one_or_many(v, "Polygon", "MultiPolygon", 3, polygon)
}

/// geo-point-in-polygon-function. Edges are geodesics on the sphere, as the page says ("Polygon edges are
/// geodesics on the sphere"), not straight lines on a longitude/latitude plane: a long east-west edge bulges
/// towards the pole, and a ring may go round a pole or across the antimeridian. The point is in a polygon when
/// its shell contains it and none of its holes does; in a multipolygon when any polygon contains it.
fn in_polygons(lon: f64, lat: f64, ps: &[Vec<Ring>]) -> Option<bool> {
    let p = unit(lon, lat)?;
    Some(ps.iter().any(|rings| match rings.split_first() {
        Some((shell, holes)) => shell.contains(p) && !holes.iter().any(|h| h.contains(p)),
        None => false,
    }))
}

/// Per row: (longitude, latitude, geometry as JSON) → `f`, parsing each distinct geometry text once (a literal
/// polygon is one broadcast value, parsed once for all rows).
fn with_geometry<G, T>(
    a: &[ArrayRef],
    n: usize,
    parse: fn(&Value) -> Option<G>,
    f: impl Fn(f64, f64, &G) -> Option<T>,
) -> DfResult<Vec<Option<T>>> {
    let geo = arg::<StringArray>(a, 2, "geo")?;
    let mut cache: Option<(String, Option<G>)> = None;
    Ok((0..n)
        .map(|r| {
            let (lon, lat) = (real(a, 0, r)?, real(a, 1, r)?);
            let k = row(geo, r);
            if geo.is_null(k) {
                return None;
            }
            let g = geo.value(k);
            let cached = cache.as_ref().is_some_and(|(t, _)| geo.len() == 1 || t == g);
            if !cached {
                let parsed = serde_json::from_str::<Value>(g).ok().and_then(|v| parse(&v));
                cache = Some((g.to_string(), parsed));
            }
            f(lon, lat, cache.as_ref()?.1.as_ref()?)
        })
        .collect())
}

pub(in crate::functions) fn distance_2points_body(a: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    let out: Float64Array = (0..n)
        .map(|r| {
            let spheroid = if a.len() > 4 { boolean(a, 4, r)? } else { false };
            distance_2points(real(a, 0, r)?, real(a, 1, r)?, real(a, 2, r)?, real(a, 3, r)?, spheroid)
        })
        .collect();
    Ok(Arc::new(out) as ArrayRef)
}

pub(in crate::functions) fn point_in_circle_body(a: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    let out: BooleanArray = (0..n)
        .map(|r| point_in_circle(real(a, 0, r)?, real(a, 1, r)?, real(a, 2, r)?, real(a, 3, r)?, real(a, 4, r)?))
        .collect();
    Ok(Arc::new(out) as ArrayRef)
}

/// `(longitude, latitude[, precision])` → the cell name `f` gives, the precision `default` when omitted; an
/// invalid coordinate or precision gives the empty string (Kusto strings are never null).
fn cell_body(a: &[ArrayRef], n: usize, default: i64, f: fn(f64, f64, i64) -> Option<String>) -> DfResult<ArrayRef> {
    let mut out = StringBuilder::new();
    for r in 0..n {
        let precision = if a.len() > 2 { long(a, 2, r) } else { Some(default) };
        let name = match (real(a, 0, r), real(a, 1, r), precision) {
            (Some(lon), Some(lat), Some(p)) => f(lon, lat, p),
            _ => None,
        };
        out.append_value(name.unwrap_or_default());
    }
    Ok(Arc::new(out.finish()) as ArrayRef)
}

/// geo_point_to_geohash: accuracy 5 by default.
pub(in crate::functions) fn point_to_geohash_body(a: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    cell_body(a, n, 5, point_to_geohash)
}

/// geo_point_to_s2cell: level 11 by default.
pub(in crate::functions) fn point_to_s2cell_body(a: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    cell_body(a, n, 11, point_to_s2cell)
}

/// `(cell name)` → the GeoJSON `f` gives, null for an invalid name.
fn from_cell(a: &[ArrayRef], n: usize, f: fn(&str) -> Option<Value>) -> DfResult<ArrayRef> {
    per_row(a, n, |r| f(&text(a, 0, r)?))
}

pub(in crate::functions) fn s2cell_to_central_point_body(a: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    from_cell(a, n, s2cell_to_central_point)
}

pub(in crate::functions) fn geohash_to_central_point_body(a: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    from_cell(a, n, geohash_to_central_point)
}

pub(in crate::functions) fn geohash_to_polygon_body(a: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    from_cell(a, n, geohash_to_polygon)
}

pub(in crate::functions) fn point_in_polygon_body(a: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    let out: BooleanArray =
        with_geometry(a, n, polygons, |lon, lat, ps| in_polygons(lon, lat, ps))?.into_iter().collect();
    Ok(Arc::new(out) as ArrayRef)
}

pub(in crate::functions) fn distance_point_to_line_body(a: &[ArrayRef], n: usize) -> DfResult<ArrayRef> {
    let out: Float64Array =
        with_geometry(a, n, lines, |lon, lat, ls| distance_to_lines(lon, lat, ls))?.into_iter().collect();
    Ok(Arc::new(out) as ArrayRef)
}

const REAL: Ret = Ret::T(KqlType::Real);
const BOOL: Ret = Ret::T(KqlType::Bool);
const DYNAMIC: Ret = Ret::T(KqlType::Dynamic);

pub(super) const GEO: &[FunctionDef] = &[
    FunctionDef {
        name: "geo_distance_2points",
        sigs: &[sig_opt(&[P::Real, P::Real, P::Real, P::Real, P::Bool], 1, REAL)],
        lower: Lower::Udf(Udf::GeoDistance2Points),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "geo_point_in_circle",
        sigs: &[sig(&[P::Real, P::Real, P::Real, P::Real, P::Real], BOOL)],
        lower: Lower::Udf(Udf::GeoPointInCircle),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "geo_point_to_geohash",
        sigs: &[sig_opt(&[P::Real, P::Real, P::Long], 1, Ret::T(KqlType::String))],
        lower: Lower::Udf(Udf::GeoPointToGeohash),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "geo_geohash_to_central_point",
        sigs: &[sig(&[P::Str], DYNAMIC)],
        lower: Lower::Udf(Udf::GeoGeohashToCentralPoint),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "geo_geohash_to_polygon",
        sigs: &[sig(&[P::Str], DYNAMIC)],
        lower: Lower::Udf(Udf::GeoGeohashToPolygon),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "geo_point_to_s2cell",
        sigs: &[sig_opt(&[P::Real, P::Real, P::Long], 1, Ret::T(KqlType::String))],
        lower: Lower::Udf(Udf::GeoPointToS2cell),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "geo_s2cell_to_central_point",
        sigs: &[sig(&[P::Str], DYNAMIC)],
        lower: Lower::Udf(Udf::GeoS2cellToCentralPoint),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "geo_point_in_polygon",
        sigs: &[sig(&[P::Real, P::Real, P::Dyn], BOOL)],
        lower: Lower::Udf(Udf::GeoPointInPolygon),
        naming: Naming::Generated,
    },
    FunctionDef {
        name: "geo_distance_point_to_line",
        sigs: &[sig(&[P::Real, P::Real, P::Dyn], REAL)],
        lower: Lower::Udf(Udf::GeoDistancePointToLine),
        naming: Naming::Generated,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        let d = distance_2points(-122.407628, 47.578557, -118.275287, 34.019056, false);
        assert!(d.is_some_and(|d| (d - 1546754.35197381).abs() < 1e-6), "{d:?}");
        assert_eq!(distance_2points(300.0, 1.0, 1.0, 1.0, false), None);
        // Vincenty's classic test line (Flinders Peak to Buninyong), 54972.271 m on the ellipsoid
        let s = vincenty(
            144.0 + 25.0 / 60.0 + 29.52440 / 3600.0,
            -(37.0 + 57.0 / 60.0 + 3.72030 / 3600.0),
            143.0 + 55.0 / 60.0 + 35.38390 / 3600.0,
            -(37.0 + 39.0 / 60.0 + 10.15610 / 3600.0),
        );
        assert!(s.is_some_and(|s| (s - 54972.271).abs() < 1e-3), "{s:?}");
    }

    #[test]
    fn geohashes() {
        assert_eq!(point_to_geohash(-80.195829, 25.802215, 8).as_deref(), Some("dhwfz15h"));
        let c = geohash_to_central_point("sunny").map(|v| v.to_string());
        assert_eq!(c.as_deref(), Some(r#"{"type":"Point","coordinates":[42.47314453125,23.70849609375]}"#));
        assert_eq!(geohash_to_central_point("a"), None);
    }

    #[test]
    fn s2_cells() {
        assert_eq!(point_to_s2cell(-80.195829, 25.802215, 8).as_deref(), Some("88d9b"));
        assert_eq!(point_to_s2cell(10.1234, 53.0, 8).as_deref(), Some("47b1d"));
        assert_eq!(point_to_s2cell(10.6842, 53.0, 8).as_deref(), Some("47ae3"));
        let c = s2cell_to_central_point("1234567").map(|v| v.to_string());
        assert_eq!(c.as_deref(), Some(r#"{"type":"Point","coordinates":[9.86830731850408,27.468392925827605]}"#));
        assert_eq!(s2cell_to_central_point("a"), None);
        // a leaf cell's centre is within its size (about 1 cm) of the point it was made from
        for (lon, lat) in [(-122.3, 47.6), (151.2, -33.9), (0.0, 90.0), (-180.0, -90.0), (179.9, 0.1)] {
            let id = s2::cell_id(unit(lon, lat).unwrap_or_default(), 30);
            let back = s2::center(id);
            assert!(angle(back, unit(lon, lat).unwrap_or_default()) * EARTH_RADIUS_M < 0.02, "{lon} {lat}");
            assert_eq!(s2::from_token(&s2::token(id)), Some(id));
        }
    }

    #[test]
    fn rings_choose_the_smaller_region() {
        let square = |ccw: bool| {
            let mut c = vec![[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0], [0.0, 0.0]];
            if !ccw {
                c.reverse();
            }
            json!({"type": "Polygon", "coordinates": [c]})
        };
        for ccw in [true, false] {
            let ps = polygons(&square(ccw));
            let ps = ps.as_deref().unwrap_or_default();
            assert_eq!(in_polygons(5.0, 5.0, ps), Some(true));
            assert_eq!(in_polygons(-5.0, 5.0, ps), Some(false));
            assert_eq!(in_polygons(-175.0, -5.0, ps), Some(false));
        }
        // a ring round the north pole
        let cap = json!({"type": "Polygon", "coordinates": [[[0, 80], [90, 80], [180, 80], [-90, 80], [0, 80]]]});
        let ps = polygons(&cap).unwrap_or_default();
        assert_eq!(in_polygons(45.0, 89.0, &ps), Some(true));
        assert_eq!(in_polygons(45.0, 70.0, &ps), Some(false));
        // self-crossing (a bow tie) is invalid
        let bow = json!({"type": "Polygon", "coordinates": [[[0, 0], [10, 10], [10, 0], [0, 10], [0, 0]]]});
        assert!(polygons(&bow).is_none());
    }
}
