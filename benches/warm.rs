//! Warm queries (issue 11): one `Session` with the column cache, as the REPL holds it; every query of
//! benches/hunt/ run once to fill the cache (the "first" column, files read) and then 3 more times (the
//! median is the "warm" column, no file read). Target: every warm query under 100 ms at 1M rows per table.
//!
//!     KQLITE_BENCH_DATA=/tmp/kqbench/ndjson-1m cargo bench --bench warm
//!     KQLITE_BENCH_DATA=... KQLITE_BENCH_ONLY=02,09 cargo bench --bench warm
//!     KQLITE_BENCH_DATA=... KQLITE_BENCH_QUERIES=/tmp/q KQLITE_BENCH_RUNS=20 cargo bench --bench warm
//!
//! `KQLITE_BENCH_QUERIES` runs the `.kql` files of another folder (variants of a query, to time its stages);
//! `KQLITE_BENCH_RUNS` sets the number of warm runs (default 3; more for a profile of the warm runs).
//!
//! The data folder is what `benches/hunt_vs_duckdb.py --data` takes (TABLE.ndjson or TABLE.parquet files).
//! Prints one line per query (rows, first and warm seconds, cache bytes after it) and the worst warm time.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

/// The allocator of the kqlite binary (src/main.rs, which the REPL runs in), so the bench measures what the
/// binary does (with its huge pages off, below).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use kqlite::{Session, SessionOptions, Source};
use std::time::Instant;

fn main() {
    // as the binary's main does (the REPL runs in it): no transparent huge pages under mimalloc
    kqlite::exec::no_huge_pages();
    let Ok(data) = std::env::var("KQLITE_BENCH_DATA") else {
        eprintln!("warm: set KQLITE_BENCH_DATA to a folder of dumps (see benches/hunt_vs_duckdb.py); skipped");
        return;
    };
    let only: Vec<String> = std::env::var("KQLITE_BENCH_ONLY")
        .map(|s| s.split(',').map(|x| x.trim().to_string()).collect())
        .unwrap_or_default();
    let now = kqlite::parser::parse_datetime_text("2025-03-15T00:00:00Z");
    let opts = SessionOptions { now_ns: now, cache_memory: Some(16 << 30), ..SessionOptions::default() };
    let mut s = Session::new(opts).expect("session");
    s.add_data(&data).expect("data");
    let dir = std::env::var_os("KQLITE_BENCH_QUERIES")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/hunt"));
    let runs: usize = std::env::var("KQLITE_BENCH_RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(3).max(1);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the queries folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "kql"))
        .collect();
    files.sort();
    println!("{:<36} {:>9} {:>9} {:>9} {:>10}", "query", "rows", "first_s", "warm_s", "cache_MiB");
    let mut worst = 0f64;
    for f in files {
        let name = f.file_stem().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        if !only.is_empty() && !only.iter().any(|o| name.starts_with(o.as_str())) {
            continue;
        }
        let src = Source::new(name.clone(), std::fs::read_to_string(&f).expect("query"));
        let run = |s: &Session| {
            let t = Instant::now();
            let (_, batches) = s.run_collect(&src).expect("query runs");
            (t.elapsed().as_secs_f64(), batches.iter().map(|b| b.num_rows()).sum::<usize>())
        };
        let (first, rows) = run(&s);
        let mut warm: Vec<f64> = (0..runs).map(|_| run(&s).0).collect();
        warm.sort_by(f64::total_cmp);
        let w = warm.get(runs / 2).copied().unwrap_or(f64::NAN);
        worst = worst.max(w);
        let cache = s.cache_usage().map_or(0, |(u, _)| u) as f64 / (1 << 20) as f64;
        println!("{name:<36} {rows:>9} {first:>9.3} {w:>9.3} {cache:>10.1}");
    }
    println!("worst warm query: {worst:.3} s");
}
