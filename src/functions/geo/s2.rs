//! S2 cells (geo-point-to-s2cell-function, geo-s2cell-to-central-point-function): the cube-face projection,
//! quadratic (u, v) → (s, t) transform and Hilbert-curve numbering of the S2 geometry library
//! (s2geometry.io; `S2CellId::FromPoint`, `ToFaceIJOrientation`, `GetCenterSiTi`), written out here instead of
//! a dependency. A cell is a 64-bit id: 3 bits of face, 2 bits per level along the Hilbert curve, then a 1;
//! its token is the id in lower-case hex without trailing zeros.

use std::sync::LazyLock;

const MAX_LEVEL: u32 = 30;
/// 2^30: the leaf cells along each axis of a face
const MAX_SIZE: u32 = 1 << MAX_LEVEL;
const LOOKUP_BITS: u32 = 4;
const SWAP: usize = 1;
const INVERT: usize = 2;

/// The Hilbert curve's four sub-cells, in curve order, as (i, j) bits, per orientation.
const POS_TO_IJ: [[usize; 4]; 4] = [[0, 1, 3, 2], [0, 2, 3, 1], [3, 2, 0, 1], [3, 1, 0, 2]];
/// How a sub-cell's orientation differs from its parent's, by curve position.
const POS_TO_ORIENTATION: [usize; 4] = [SWAP, 0, 0, INVERT + SWAP];

/// S2's lookup tables for 4 levels at a time: (i, j, orientation) → (position, orientation) and back.
struct Lookup {
    pos: Vec<usize>,
    ij: Vec<usize>,
}

static LOOKUP: LazyLock<Lookup> = LazyLock::new(|| {
    let mut t = Lookup { pos: vec![0; 1 << (2 * LOOKUP_BITS + 2)], ij: vec![0; 1 << (2 * LOOKUP_BITS + 2)] };
    for o in [0, SWAP, INVERT, SWAP | INVERT] {
        init_cell(&mut t, 0, 0, 0, o, 0, o);
    }
    t
});

fn init_cell(t: &mut Lookup, level: u32, i: usize, j: usize, orig: usize, pos: usize, orientation: usize) {
    if level == LOOKUP_BITS {
        let ij = (i << LOOKUP_BITS) + j;
        if let Some(x) = t.pos.get_mut((ij << 2) + orig) {
            *x = (pos << 2) + orientation;
        }
        if let Some(x) = t.ij.get_mut((pos << 2) + orig) {
            *x = (ij << 2) + orientation;
        }
        return;
    }
    let r = POS_TO_IJ.get(orientation).copied().unwrap_or_default();
    for (index, (rij, ro)) in r.iter().zip(POS_TO_ORIENTATION).enumerate() {
        let (ci, cj) = ((i << 1) + (rij >> 1), (j << 1) + (rij & 1));
        init_cell(t, level + 1, ci, cj, orig, (pos << 2) + index, orientation ^ ro);
    }
}

/// The face (0..6) and (u, v) of a non-zero vector: the axis of its largest component, then the other two
/// divided by it.
fn face_uv(p: [f64; 3]) -> (u64, f64, f64) {
    let [x, y, z] = p;
    let (ax, ay, az) = (x.abs(), y.abs(), z.abs());
    let axis = if ax > ay && ax > az {
        0
    } else if ay > az {
        1
    } else {
        2
    };
    let negative = [x, y, z].get(axis).is_some_and(|c| *c < 0.0);
    match axis + if negative { 3 } else { 0 } {
        0 => (0, y / x, z / x),
        1 => (1, -x / y, z / y),
        2 => (2, -x / z, -y / z),
        3 => (3, z / x, y / x),
        4 => (4, z / y, -x / y),
        _ => (5, -y / z, -x / z),
    }
}

fn face_uv_to_xyz(face: u64, u: f64, v: f64) -> [f64; 3] {
    match face {
        0 => [1.0, u, v],
        1 => [-u, 1.0, v],
        2 => [-u, -v, 1.0],
        3 => [-1.0, -v, -u],
        4 => [v, -1.0, -u],
        _ => [v, u, -1.0],
    }
}

/// S2's quadratic projection, which makes cells of one level closer in area.
fn uv_to_st(u: f64) -> f64 {
    if u >= 0.0 {
        0.5 * (1.0 + 3.0 * u).sqrt()
    } else {
        1.0 - 0.5 * (1.0 - 3.0 * u).sqrt()
    }
}

fn st_to_uv(s: f64) -> f64 {
    // S2's own rounding: a third times the bracket
    if s >= 0.5 {
        (1.0 / 3.0) * (4.0 * s * s - 1.0)
    } else {
        (1.0 / 3.0) * (1.0 - 4.0 * (1.0 - s) * (1.0 - s))
    }
}

fn st_to_ij(s: f64) -> u64 {
    (f64::from(MAX_SIZE) * s).floor().clamp(0.0, f64::from(MAX_SIZE - 1)) as u64
}

/// The leaf cell (level 30) containing the point `p` (a unit vector).
fn leaf_id(p: [f64; 3]) -> u64 {
    let (face, u, v) = face_uv(p);
    let (i, j) = (st_to_ij(uv_to_st(u)), st_to_ij(uv_to_st(v)));
    let mask = (1u64 << LOOKUP_BITS) - 1;
    let mut n = face << 60;
    let mut bits = (face as usize) & SWAP;
    for k in (0..8u64).rev() {
        bits += (((i >> (k * 4)) & mask) as usize) << (LOOKUP_BITS + 2);
        bits += (((j >> (k * 4)) & mask) as usize) << 2;
        bits = LOOKUP.pos.get(bits).copied().unwrap_or_default();
        n |= ((bits >> 2) as u64) << (k * 8);
        bits &= SWAP | INVERT;
    }
    n * 2 + 1
}

/// The cell of level `level` (0..=30) containing the point `p`.
pub fn cell_id(p: [f64; 3], level: u32) -> u64 {
    let lsb = 1u64 << (2 * (MAX_LEVEL - level.min(MAX_LEVEL)));
    (leaf_id(p) & lsb.wrapping_neg()) | lsb
}

pub fn token(id: u64) -> String {
    let hex = format!("{id:016x}");
    hex.trim_end_matches('0').to_string()
}

/// A token's cell id: 1 to 16 hex digits naming a valid cell (face below 6, its last 1 bit on a level boundary).
pub fn from_token(t: &str) -> Option<u64> {
    if t.is_empty() || t.len() > 16 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let id = u64::from_str_radix(t, 16).ok()? << (4 * (16 - t.len()));
    let lsb = id & id.wrapping_neg();
    (id >> 61 < 6 && lsb & 0x1555_5555_5555_5555 != 0).then_some(id)
}

/// The centre of a cell as a unit vector (S2's `GetCenterSiTi`, `FaceSiTitoXYZ`, then `Normalize`, which
/// multiplies by the reciprocal of the norm). The page's example centre comes out with the same longitude
/// and a latitude one unit in the last place away (27.468392925827605 for 27.468392925827604).
pub fn center(id: u64) -> [f64; 3] {
    let face = id >> 61;
    let (mut i, mut j) = (0u64, 0u64);
    let mut bits = (face as usize) & SWAP;
    for k in (0..8u64).rev() {
        let nbits = if k == 7 { u64::from(MAX_LEVEL - 7 * LOOKUP_BITS) } else { u64::from(LOOKUP_BITS) };
        bits += (((id >> (k * 8 + 1)) & ((1 << (2 * nbits)) - 1)) as usize) << 2;
        bits = LOOKUP.ij.get(bits).copied().unwrap_or_default();
        i += ((bits >> (LOOKUP_BITS + 2)) as u64) << (k * 4);
        j += (((bits >> 2) & ((1 << LOOKUP_BITS) - 1)) as u64) << (k * 4);
        bits &= SWAP | INVERT;
    }
    let leaf = id & 1 == 1;
    let delta = if leaf {
        1
    } else if (i ^ (id >> 2)) & 1 == 1 {
        2
    } else {
        0
    };
    let st = |x: u64| (2 * x + delta) as f64 / f64::from(MAX_SIZE) / 2.0;
    let [x, y, z] = face_uv_to_xyz(face, st_to_uv(st(i)), st_to_uv(st(j)));
    let k = 1.0 / (x * x + y * y + z * z).sqrt();
    [x * k, y * k, z * k]
}
