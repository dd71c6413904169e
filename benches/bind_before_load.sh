#!/usr/bin/env bash
# Bind before load, measured: over a folder holding a ~1 GB dump (DeviceProcessEvents) and one small table
# (DeviceInfo), time and peak memory of
#   1. a query with a misspelt column on the large table (must exit 4 without reading its rows),
#   2. a query naming only the small table (must not read the large one),
#   3. a query that does read the large table (the cost the first two avoid, for scale).
# Each is the median of $RUNS runs; peak RSS from /usr/bin/time. Set BASELINE=/path/to/other/kqlite to measure a
# second build in the same run (e.g. an older commit) and print the ratios.
#
#   benches/bind_before_load.sh                 # builds the release binary, makes the data once, measures
#   ROWS=700000 DIR=/tmp/kq-1g RUNS=5 BASELINE=/tmp/old/kqlite benches/bind_before_load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kqlite-target}"
DIR="${DIR:-${TMPDIR:-/tmp}/kqlite-bench-1g}"
ROWS="${ROWS:-650000}"
RUNS="${RUNS:-3}"
# KQLITE=/path/to/kqlite measures that binary instead of building this checkout
if [ -z "${KQLITE:-}" ]; then
    cargo build --release --locked -q
fi
KQ="${KQLITE:-$CARGO_TARGET_DIR/release/kqlite}"
END=2025-03-15T00:00:00Z

if [ ! -f "$DIR/DeviceProcessEvents.json" ]; then
    mkdir -p "$DIR"
    "$KQ" sample --out "$DIR" --tables DeviceProcessEvents --rows "$ROWS" --end "$END" >/dev/null
    "$KQ" sample --out "$DIR" --tables DeviceInfo --rows 200 --end "$END" >/dev/null
fi
echo "data: $DIR ($(du -sh "$DIR" | cut -f1); DeviceProcessEvents $ROWS rows)"

# one measurement: prints "seconds peak_kb exit_code"
measure() {
    local bin="$1" query="$2" out
    out=$( { /usr/bin/time -f "%e %M" "$bin" run -e "$query" --data "$DIR" --now "$END" --format csv >/dev/null 2>/tmp/kqlite-bench-err; echo "rc=$?"; } 2>&1 ) || true
    local rc times
    rc=$(grep -o 'rc=[0-9]*' <<<"$out" | cut -d= -f2)
    times=$(tail -n 1 /tmp/kqlite-bench-err)
    echo "$times $rc"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

run_case() {
    local bin="$1" query="$2" secs=() kbs=() rc=0 line
    for _ in $(seq "$RUNS"); do
        line=$(measure "$bin" "$query")
        secs+=("$(cut -d' ' -f1 <<<"$line")")
        kbs+=("$(cut -d' ' -f2 <<<"$line")")
        rc=$(cut -d' ' -f3 <<<"$line")
    done
    local s k
    s=$(printf '%s\n' "${secs[@]}" | median)
    k=$(printf '%s\n' "${kbs[@]}" | median)
    echo "$s $k $rc"
}

declare -A QUERIES=(
    [1-typo]='DeviceProcessEvents | where FileNam == "powershell.exe" | count'
    [2-small-table]='DeviceInfo | summarize dcount(DeviceId)'
    [3-large-table]='DeviceProcessEvents | where FileName =~ "powershell.exe" | count'
)

printf '%-15s %10s %12s %5s' case seconds peak_MiB exit
[ -n "${BASELINE:-}" ] && printf ' | %10s %12s %5s | %8s %8s' base_s base_MiB exit time_x mem_x
echo
for name in $(printf '%s\n' "${!QUERIES[@]}" | sort); do
    q="${QUERIES[$name]}"
    read -r s k rc <<<"$(run_case "$KQ" "$q")"
    printf '%-15s %10s %12.1f %5s' "$name" "$s" "$(echo "$k/1024" | bc -l)" "$rc"
    if [ -n "${BASELINE:-}" ]; then
        read -r bs bk brc <<<"$(run_case "$BASELINE" "$q")"
        printf ' | %10s %12.1f %5s | %8.1f %8.1f' "$bs" "$(echo "$bk/1024" | bc -l)" "$brc" \
            "$(echo "$bs/($s+0.0001)" | bc -l)" "$(echo "$bk/$k" | bc -l)"
    fi
    echo
done
