//! `kqlite sample`: deterministic synthetic rows for any catalog table, so a query or detection rule can be
//! tried with no tenant. Rows draw from one pool of devices, accounts, processes and addresses per run, so
//! joins across tables (DeviceId, AccountName, SHA1, RemoteIP…) find each other.

use crate::catalog::{defender, sentinel, BuiltinTable};
use serde_json::{Map, Value};
use world::World;

mod values;
mod world;

/// splitmix64: small, fast and deterministic for a seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// 0..n
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
    /// One item of a non-empty slice (the pools and tables here are never empty).
    #[allow(clippy::indexing_slicing)]
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    /// `items[fixed]` when given (and present), else a random item.
    pub fn pick_or_fixed<'a, T>(&mut self, items: &'a [T], fixed: Option<usize>) -> &'a T {
        match fixed.and_then(|i| items.get(i)) {
            Some(x) => x,
            None => self.pick(items),
        }
    }
    /// A random item other than `not` (the first other one when the draw hits it); `not` itself only when it
    /// is the slice's only item.
    pub fn pick_other<'a, T>(&mut self, items: &'a [T], not: &'a T) -> &'a T {
        let x = self.pick(items);
        if !std::ptr::eq(x, not) {
            return x;
        }
        items.iter().find(|y| !std::ptr::eq(*y, not)).unwrap_or(not)
    }
    /// One item of a non-empty slice of small values, by value.
    pub fn pick_copy<T: Copy>(&mut self, items: &[T]) -> T {
        *self.pick(items)
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
    pub fn hex(&mut self, len: usize) -> String {
        (0..len).map(|_| char::from_digit((self.next_u64() % 16) as u32, 16).unwrap_or('0')).collect()
    }
    pub fn guid(&mut self) -> String {
        let h = self.hex(32);
        let part = |a: usize, b: usize| h.get(a..b).unwrap_or("");
        format!("{}-{}-{}-{}-{}", part(0, 8), part(8, 12), part(12, 16), part(16, 20), part(20, 32))
    }
}

/// What `kqlite sample` is asked for.
pub struct SampleOptions {
    pub rows: usize,
    pub tables: Vec<String>,
    pub seed: u64,
    /// the newest timestamp, Unix nanoseconds
    pub end_ns: i64,
    pub days: i64,
}

/// The schema of a table to sample: Defender's when it has one, else Sentinel's.
pub fn table_schema(name: &str) -> Option<&'static BuiltinTable> {
    defender().get(name).or_else(|| sentinel().get(name))
}

/// Generates `rows` rows for each requested table, in table order; each row in the table's column order.
pub fn generate(opts: &SampleOptions) -> Vec<(String, Vec<Map<String, Value>>)> {
    let sampler = Sampler::new(opts);
    opts.tables.iter().filter_map(|t| Some((t.clone(), sampler.rows_as(t, |r| r)?))).collect()
}

/// One run of `sample`: the shared pools (devices, accounts, …) and the options; tables are generated one
/// at a time, so a front end can write each before generating the next.
pub struct Sampler<'o> {
    world: World,
    opts: &'o SampleOptions,
}

impl<'o> Sampler<'o> {
    pub fn new(opts: &'o SampleOptions) -> Self {
        let mut rng = Rng::new(opts.seed);
        Sampler { world: World::new(&mut rng), opts }
    }

    /// The rows of one table, newest first (as the portals list events), each turned by `keep` as it is made
    /// (a million rows as `Map`s would not fit in memory; as JSON text they do).
    fn rows_as<T>(&self, t: &str, keep: impl Fn(Map<String, Value>) -> T) -> Option<Vec<T>> {
        let table = table_schema(t)?;
        let mut rng = Rng::new(self.opts.seed ^ fxhash(t));
        let cycle = action_type_cycle(t, table);
        let time = ["Timestamp", "TimeGenerated"].iter().find(|c| table.schema.find(c).is_some());
        let mut rows: Vec<(String, T)> = (0..self.opts.rows)
            .map(|i| {
                let r = row(&mut rng, &self.world, t, table, &cycle, self.opts, i);
                (time_of(&r, time), keep(r))
            })
            .collect();
        rows.sort_by(|a, b| b.0.cmp(&a.0));
        Some(rows.into_iter().map(|(_, r)| r).collect())
    }

    /// The rows of one table as compact JSON text, newest first: what `kqlite sample` writes.
    pub fn json_lines(&self, t: &str) -> Option<Vec<String>> {
        self.rows_as(t, |r| Value::Object(r).to_string())
    }
}

/// The text of a row's time column (`""` without one), the key rows are sorted by.
fn time_of(r: &Map<String, Value>, time: Option<&&str>) -> String {
    time.and_then(|c| r.get(*c)).and_then(|v| v.as_str()).unwrap_or_default().to_string()
}

fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

/// The ActionType values a table cycles through on its incident rows: the commonly hunted first, then the
/// rest of the catalog's values in catalog order.
fn action_type_cycle(name: &str, table: &'static BuiltinTable) -> Vec<&'static str> {
    let known: Vec<&str> = if table.action_types.is_empty() {
        world::fallback_action_types(name).to_vec()
    } else {
        table.action_types.iter().map(|s| s.as_str()).collect()
    };
    let hunted = world::HUNTED_ACTION_TYPES.iter().copied().filter(|h| known.contains(h));
    let rest = known.iter().copied().filter(|k| !world::HUNTED_ACTION_TYPES.contains(k));
    hunted.chain(rest).collect()
}

const HOUR_NS: i64 = 3_600_000_000_000;

fn row(
    rng: &mut Rng,
    w: &World,
    name: &str,
    table: &BuiltinTable,
    cycle: &[&str],
    opts: &SampleOptions,
    i: usize,
) -> Map<String, Value> {
    // Even rows tell the incident: one device and one account, busy in the last 36 hours, going through every
    // ActionType; odd rows are the background of the whole tenant over --days.
    let focus = i.is_multiple_of(2);
    let dev = rng.pick_or_fixed(&w.devices, focus.then_some(world::FOCUS_DEVICE));
    let acct = rng.pick_or_fixed(&w.accounts, focus.then_some(world::FOCUS_ACCOUNT));
    let action_type = match (focus, cycle.len()) {
        (_, 0) => "",
        (true, n) => cycle.get((i / 2) % n).copied().unwrap_or(""),
        (false, _) => rng.pick_copy(cycle),
    };
    let other_dev = rng.pick_other(&w.devices, dev);
    let other_acct = rng.pick_other(&w.accounts, acct);
    let p = rng.pick(&w.processes);
    let mut parent = rng.pick(&w.processes);
    if action_type == "BrowserLaunchedToOpenUrl" {
        parent = w.processes.iter().find(|p| p.file == "outlook.exe").unwrap_or(parent);
    }
    let remote_public = rng.chance(60);
    let remote_ip = if remote_public { rng.pick(&w.public_ips).clone() } else { other_dev.ip.clone() };
    let span_ns = if focus { 36 * HOUR_NS } else { opts.days.max(1) * 24 * HOUR_NS };
    let ts = opts.end_ns - (rng.next_u64() % span_ns as u64) as i64 / 100 * 100;
    let r = values::Row {
        w,
        table: name,
        action_type,
        focus,
        dev,
        other_dev,
        acct,
        other_acct,
        p,
        parent,
        remote_ip,
        remote_public,
        ts,
        i,
        alert: rng.pick(&w.alerts),
        mail: rng.pick(&w.mails),
        registry_key: rng.pick_copy(values::REGISTRY_KEYS),
        domain: rng.pick_copy(&w.domains),
    };
    let mut m = Map::new();
    for c in &table.schema.columns {
        let v = values::by_name(rng, &r, c).unwrap_or_else(|| values::by_type(rng, &r, c));
        m.insert(c.name.clone(), v);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_consistent() {
        let opts = SampleOptions {
            rows: 20,
            tables: vec!["DeviceProcessEvents".into(), "DeviceInfo".into()],
            seed: 7,
            end_ns: 1_700_000_000_000_000_000,
            days: 7,
        };
        let a = generate(&opts);
        let b = generate(&opts);
        assert_eq!(a, b);
        let ids: std::collections::HashSet<&str> = a[0].1.iter().filter_map(|r| r.get("DeviceId")?.as_str()).collect();
        let ids2: std::collections::HashSet<&str> = a[1].1.iter().filter_map(|r| r.get("DeviceId")?.as_str()).collect();
        assert!(!ids.is_disjoint(&ids2), "device ids are shared between tables");
        let at = &defender()["DeviceProcessEvents"].action_types;
        assert!(a[0]
            .1
            .iter()
            .all(|r| at.iter().any(|x| Some(x.as_str()) == r.get("ActionType").and_then(|v| v.as_str()))));
    }
}
