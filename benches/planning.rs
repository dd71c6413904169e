//! Planning speed (issue 11): parse + bind + plan, no data read.
//!
//!     cargo bench --bench planning
//!
//! - `check/fifty_lines`: `Session::check` (lex, parse, bind against the Defender catalog, DataFusion logical
//!   plan) of benches/planning/fifty_lines.kql, a 52-line hunt with three `let` tabular views, two joins, a
//!   summarize with seven aggregates; target under 1 ms.
//! - `physical/fifty_lines`: the same, then DataFusion's optimizer and physical planner (everything before the
//!   first row is read).
//! - `check/corpus`: every query of the project's packs (corpus/, examples/queries, the planning query) checked
//!   in turn; the throughput line is queries per second (target: 5,000 or more on one core).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

/// The allocator of the kqlite binary (src/main.rs), so the bench measures what the binary does: under glibc
/// malloc half of `check/corpus` was malloc and free.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kqlite::{Session, SessionOptions, Source};
use std::path::Path;

fn session() -> Session {
    let now = kqlite::parser::parse_datetime_text("2025-03-15T00:00:00Z");
    Session::new(SessionOptions { now_ns: now, ..SessionOptions::default() }).expect("session")
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every query of the project's packs, as `check` reads them (.kql files, Markdown blocks).
fn corpus() -> Vec<Source> {
    let dirs = ["corpus", "examples/queries", "benches/planning"].map(|d| root().join(d));
    let files =
        kqlite::harness::packs::pack_files(&dirs, &kqlite::harness::packs::Filter::default()).expect("pack files");
    let mut out = Vec::new();
    for f in files {
        for q in kqlite::harness::packs::queries(&f).expect("read pack") {
            out.push(kqlite::harness::source_of(&q));
        }
    }
    out
}

fn planning(c: &mut Criterion) {
    let s = session();
    let text = std::fs::read_to_string(root().join("benches/planning/fifty_lines.kql")).expect("query");
    let q = Source::new("fifty_lines.kql", text);
    s.check(&q).expect("the planning query binds");

    c.bench_function("check/fifty_lines", |b| b.iter(|| s.check(&q).expect("check")));
    c.bench_function("physical/fifty_lines", |b| {
        b.iter(|| {
            let bound = s.check(&q).expect("check");
            s.executor().physical_plan(bound.plan).expect("physical plan")
        })
    });

    let queries = corpus();
    let ok = queries.iter().filter(|q| s.check(q).is_ok()).count();
    assert!(queries.len() >= 25 && ok * 10 >= queries.len() * 9, "{ok} of {} corpus queries bind", queries.len());
    let mut g = c.benchmark_group("check");
    g.throughput(Throughput::Elements(queries.len() as u64));
    g.bench_function("corpus", |b| {
        b.iter(|| {
            for q in &queries {
                let _ = std::hint::black_box(s.check(q));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, planning);
criterion_main!(benches);
