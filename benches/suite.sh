#!/usr/bin/env bash
# The whole performance suite of issue 11 in one command (results are what benches/RESULTS.md records):
#   1. data: `kqlite sample` of the six tables the hunting queries read, ROWS rows each (default 1,000,000), as
#      NDJSON in DIR/ndjson-ROWS, and the same rows as Parquet (`kqlite import`) in DIR/parquet-ROWS; existing
#      files are never overwritten or regenerated;
#   2. the 22 hunting queries of benches/hunt/ against DuckDB over the NDJSON, then over the Parquet files
#      (benches/hunt_vs_duckdb.py: same rows checked, then RUNS alternating cold runs per engine, medians);
#   3. warm: the same queries on one Session holding the column cache, as the REPL does (benches/warm.rs);
#   4. planning: parse + bind + plan speed (benches/planning.rs, criterion);
#   5. start-up: `kqlite --version` and `kqlite run -e 'print 1'`, median wall time of 20 runs.
#
#   benches/suite.sh                         # everything, 1M rows per table (about 15 GB of NDJSON in /tmp)
#   ROWS=100000 RUNS=1 benches/suite.sh      # a quick pass
#   DIR=/data/kq STEPS="hunt warm" benches/suite.sh
#
# Needs Python 3 with duckdb (pip install duckdb) and GNU time. Builds the release binary first.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kqlite-target}"
ROWS="${ROWS:-1000000}"
RUNS="${RUNS:-5}"
DIR="${DIR:-${TMPDIR:-/tmp}/kqbench}"
STEPS="${STEPS:-data hunt warm planning startup}"
TABLES=DeviceProcessEvents,DeviceNetworkEvents,DeviceLogonEvents,DeviceFileEvents,DeviceInfo,DeviceRegistryEvents
NDJ="$DIR/ndjson-$ROWS"
PQ="$DIR/parquet-$ROWS"

cargo build --release --locked -q
KQ="$CARGO_TARGET_DIR/release/kqlite"
has() { case " $STEPS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

if has data; then
    if [ ! -d "$NDJ" ]; then
        "$KQ" sample --out "$NDJ" --rows "$ROWS" --tables "$TABLES" --format ndjson --end 2025-03-15T00:00:00Z
    fi
    if [ ! -d "$PQ" ]; then
        "$KQ" import --data "$NDJ" --out "$PQ"
    fi
fi
if has hunt; then
    python3 benches/hunt_vs_duckdb.py --data "$NDJ" --kqlite "$KQ" --runs "$RUNS" --markdown
    python3 benches/hunt_vs_duckdb.py --data "$PQ" --kqlite "$KQ" --runs "$RUNS" --markdown
fi
if has warm; then
    KQLITE_BENCH_DATA="$NDJ" cargo bench --locked -q --bench warm
fi
if has planning; then
    cargo bench --locked -q --bench planning
fi
if has startup; then
    python3 - "$KQ" <<'PY'
import statistics, subprocess, sys, time
kq = sys.argv[1]
for name, args in (("--version", [kq, "--version"]), ("print 1", [kq, "run", "-e", "print 1", "--format", "csv"])):
    times = []
    for _ in range(20):
        t = time.perf_counter()
        subprocess.run(args, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t)
    print(f"start-up {name:<10} median {statistics.median(times) * 1000:.1f} ms (20 runs)")
PY
fi
