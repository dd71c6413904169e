#!/usr/bin/env bash
# Data loading, kqlite against DuckDB: the same ~1 GB DeviceProcessEvents dump (NDJSON, and the same rows as one
# JSON array), read by both, each run a separate process timed by /usr/bin/time (median wall seconds of $RUNS
# runs, median peak RSS, exit status):
#   ndjson-count  DeviceProcessEvents | count                      SELECT count(*) FROM read_ndjson(F)
#   array-count   the same over the JSON-array file                SELECT count(*) FROM read_json(F, format='array')
#   ndjson-3cols  where FileName =~ "powershell.exe"               WHERE lower(FileName) = 'powershell.exe'
#                 | summarize n=count() by DeviceName, AccountName  GROUP BY DeviceName, AccountName, count groups
#                 | count   (reads exactly 3 columns)
#   ndjson-export run --format ndjson, every row, to /dev/null      COPY (SELECT * FROM read_ndjson(F)) TO '/dev/null'
#                 (what matters is peak memory)                       (FORMAT json)
# plus a `startup` line (kqlite `print x=1`, DuckDB `SELECT 1`: process start-up, Python and `import duckdb`
# included; not in the geometric mean). Both answers of the count cases are compared (MISMATCH if they differ).
# Rates are file bytes (MB = 10^6 bytes) and file rows over the median seconds. DuckDB runs through
# benches/duckdb_run.py with threads = $THREADS (default: the machine's core count, which is also DuckDB's own
# default) and its default memory limit; it needs the Python package duckdb (pip install duckdb).
#
#   benches/load_vs_duckdb.sh                        # builds the release binary, makes ~1 GB of data once, measures
#   KQLITE=/tmp/kq ROWS=350000 DIR=/tmp/kqload RUNS=3 benches/load_vs_duckdb.sh
#   CASES="ndjson-count ndjson-export" benches/load_vs_duckdb.sh     # a subset of the cases
#
# Data: DIR/ndjson/DeviceProcessEvents.ndjson and DIR/array/DeviceProcessEvents.json, written by `kqlite sample`
# when missing (existing files are never overwritten or regenerated, whatever ROWS says). Without ROWS the row
# count is chosen so the NDJSON file is about 1 GB (bytes per row measured on a 2000-row sample); when the disk
# holding DIR has less than 10 GB free, about a tenth of the free space instead.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kqlite-target}"
DIR="${DIR:-${TMPDIR:-/tmp}/kqlite-load}"
RUNS="${RUNS:-5}"
THREADS="${THREADS:-$(nproc)}"
PY="${PYTHON:-python3}"
DUCK_RUN="$PWD/benches/duckdb_run.py"
END=2025-03-15T00:00:00Z
TARGET_BYTES=1000000000

if ! "$PY" -c 'import duckdb' 2>/dev/null; then
    echo "load_vs_duckdb.sh: the Python package duckdb is missing for $PY; install it with: pip install duckdb" >&2
    exit 2
fi
# KQLITE=/path/to/kqlite measures that binary instead of building this checkout
if [ -z "${KQLITE:-}" ]; then
    cargo build --release --locked -q
fi
KQ="${KQLITE:-$CARGO_TARGET_DIR/release/kqlite}"

NDJ="$DIR/ndjson/DeviceProcessEvents.ndjson"
ARR="$DIR/array/DeviceProcessEvents.json"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$DIR"

if [ ! -f "$NDJ" ] || [ ! -f "$ARR" ]; then
    if [ -z "${ROWS:-}" ]; then
        "$KQ" sample --out "$WORK/probe" --tables DeviceProcessEvents --rows 2000 --format ndjson --end "$END" >/dev/null
        per_row=$(( $(stat -c %s "$WORK/probe/DeviceProcessEvents.ndjson") / 2000 ))
        free_bytes=$(( $(df -Pk "$DIR" | awk 'NR == 2 {print $4}') * 1024 ))
        target=$TARGET_BYTES
        if [ "$free_bytes" -lt 10000000000 ]; then
            target=$(( free_bytes / 10 ))
            echo "note: only $(( free_bytes / 1000000 )) MB free under $DIR (< 10 GB): aiming at a $(( target / 1000000 )) MB file instead of 1 GB"
        fi
        ROWS=$(( (target / per_row + 500) / 1000 * 1000 ))
        [ "$ROWS" -ge 1000 ] || ROWS=1000
        echo "sample: $per_row bytes per row -> ROWS=$ROWS"
    fi
    if [ ! -f "$NDJ" ]; then
        echo "writing $NDJ ($ROWS rows)"
        "$KQ" sample --out "$DIR/ndjson" --tables DeviceProcessEvents --rows "$ROWS" --format ndjson --end "$END" >/dev/null
    fi
    if [ ! -f "$ARR" ]; then
        echo "writing $ARR ($ROWS rows)"
        "$KQ" sample --out "$DIR/array" --tables DeviceProcessEvents --rows "$ROWS" --format json --end "$END" >/dev/null
    fi
fi
NDJ_BYTES=$(stat -c %s "$NDJ")
ARR_BYTES=$(stat -c %s "$ARR")
echo "data: $NDJ $NDJ_BYTES bytes ($(du -h "$NDJ" | cut -f1))"
echo "      $ARR $ARR_BYTES bytes ($(du -h "$ARR" | cut -f1))"
echo "kqlite: $KQ ($("$KQ" --version))"
echo "duckdb: $("$PY" "$DUCK_RUN" --version); measured with threads=$THREADS; $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB RAM"
echo "runs: $RUNS per case and engine, alternating kqlite/DuckDB; median seconds and median peak RSS"
# read both files once so every run finds them in the page cache
cat "$NDJ" "$ARR" >/dev/null

# measure OUT CMD...: one run of CMD with stdout to OUT; prints "seconds peak_kb exit_code result", result being
# the last line CMD printed (when OUT is a file; "-" otherwise)
measure() {
    local out="$1" rc=0 result=-
    shift
    /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >"$out" 2>"$WORK/err" || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "  exit $rc: $*" >&2
        head -n 5 "$WORK/err" | sed 's/^/  | /' >&2
    fi
    if [ "$out" != /dev/null ] && [ -s "$out" ]; then
        result=$(tail -n 1 "$out" | tr -d '\r ')
    fi
    echo "$(tail -n 1 "$WORK/time") $rc ${result:--}"
}

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

# run_case KIND QUERY SQL FILE: RUNS runs of each engine, alternating; sets K_S K_KB K_RC K_RES and D_* (rc: the
# worst exit status seen, result: the last run's)
run_case() {
    local kind="$1" query="$2" sql="$3" file="$4" out="$WORK/out" line
    local ks=() kk=() ds=() dk=() s k rc
    local kqout="$out"
    [ "$kind" = export ] && kqout=/dev/null
    K_RC=0 D_RC=0
    for _ in $(seq "$RUNS"); do
        if [ -n "$file" ]; then
            line=$(measure "$kqout" "$KQ" run --data "$file" --now "$END" --format "$([ "$kind" = export ] && echo ndjson || echo csv)" -e "$query")
        else
            line=$(measure "$kqout" "$KQ" run --now "$END" --format csv -e "$query")
        fi
        read -r s k rc K_RES <<<"$line"
        ks+=("$s") kk+=("$k")
        if [ "$rc" -gt "$K_RC" ]; then K_RC=$rc; fi
        line=$(measure "$out" "$PY" "$DUCK_RUN" "$THREADS" "$sql")
        read -r s k rc D_RES <<<"$line"
        ds+=("$s") dk+=("$k")
        if [ "$rc" -gt "$D_RC" ]; then D_RC=$rc; fi
    done
    K_S=$(printf '%s\n' "${ks[@]}" | median)
    K_KB=$(printf '%s\n' "${kk[@]}" | median)
    D_S=$(printf '%s\n' "${ds[@]}" | median)
    D_KB=$(printf '%s\n' "${dk[@]}" | median)
}

# float arithmetic: calc 'EXPR' (awk syntax)
calc() { awk "BEGIN {print $1}"; }

# rate COUNT SECONDS: COUNT per second, "-" without a count; mbrate BYTES SECONDS: MB (10^6 bytes) per second
rate() { if [ -n "$1" ] && [ "$1" != 0 ]; then calc "sprintf(\"%.0f\", $1 / $2)"; else echo -; fi; }
mbrate() { if [ "$1" != 0 ]; then calc "sprintf(\"%.1f\", $1 / 1000000 / $2)"; else echo -; fi; }

# a path as an SQL string literal
sql_path() { printf "'%s'" "${1//\'/\'\'}"; }
N=$(sql_path "$NDJ")
A=$(sql_path "$ARR")
# CASES="ndjson-3cols ndjson-export" measures only those (rates of ndjson-3cols/-export then use `wc -l` of the file)
read -r -a CASES <<<"${CASES:-startup ndjson-count array-count ndjson-3cols ndjson-export}"
declare -A QUERY=(
    [startup]='print x=1'
    [ndjson-count]='DeviceProcessEvents | count'
    [array-count]='DeviceProcessEvents | count'
    [ndjson-3cols]='DeviceProcessEvents | where FileName =~ "powershell.exe" | summarize n=count() by DeviceName, AccountName | count'
    [ndjson-export]='DeviceProcessEvents'
)
declare -A SQL=(
    [startup]='SELECT 1'
    [ndjson-count]="SELECT count(*) FROM read_ndjson($N)"
    [array-count]="SELECT count(*) FROM read_json($A, format='array')"
    [ndjson-3cols]="SELECT count(*) FROM (SELECT DeviceName, AccountName FROM read_ndjson($N) WHERE lower(FileName) = 'powershell.exe' GROUP BY DeviceName, AccountName)"
    [ndjson-export]="COPY (SELECT * FROM read_ndjson($N)) TO '/dev/null' (FORMAT json)"
)
declare -A FILE=([startup]='' [ndjson-count]="$NDJ" [array-count]="$ARR" [ndjson-3cols]="$NDJ" [ndjson-export]="$NDJ")
declare -A BYTES=([startup]=0 [ndjson-count]="$NDJ_BYTES" [array-count]="$ARR_BYTES" [ndjson-3cols]="$NDJ_BYTES" [ndjson-export]="$NDJ_BYTES")
for name in "${CASES[@]}"; do
    if [ -z "${QUERY[$name]:-}" ]; then
        echo "load_vs_duckdb.sh: unknown case $name (known: ${!QUERY[*]})" >&2
        exit 2
    fi
done

echo
printf '%-13s | %8s %9s %4s | %8s %9s %4s | %7s %7s | %9s %7s %9s %7s | %s\n' \
    case kq_s kq_MiB exit duck_s duck_MiB exit time_x mem_x kq_rows/s kq_MB/s duck_rows/s duck_MB/s 'result kq/duck'
NDJ_ROWS='' ARR_ROWS='' LOGSUM=0 NRATIOS=0
for name in "${CASES[@]}"; do
    kind=query
    [ "$name" = ndjson-export ] && kind="export"
    run_case "$kind" "${QUERY[$name]}" "${SQL[$name]}" "${FILE[$name]}"
    # a zero median (0.00 s) would divide by zero: count it as the timer's resolution
    KSEC=$(calc "($K_S < 0.01) ? 0.01 : $K_S")
    DSEC=$(calc "($D_S < 0.01) ? 0.01 : $D_S")
    check=ok
    if [ "$K_RC" -ne 0 ] || [ "$D_RC" -ne 0 ]; then
        check=FAILED
    elif [ "$kind" = query ] && [ "$K_RES" != "$D_RES" ]; then
        check=MISMATCH
    fi
    # rows in the file: the count cases' answer (DuckDB's, else kqlite's)
    rows=''
    case "$name" in
        ndjson-count) NDJ_ROWS=$([ "$D_RC" -eq 0 ] && echo "$D_RES" || echo "$K_RES"); rows=$NDJ_ROWS ;;
        array-count) ARR_ROWS=$([ "$D_RC" -eq 0 ] && echo "$D_RES" || echo "$K_RES"); rows=$ARR_ROWS ;;
        ndjson-*) [ -n "$NDJ_ROWS" ] || NDJ_ROWS=$(wc -l <"$NDJ"); rows=$NDJ_ROWS ;;
    esac
    if [ "$kind" = export ] && [ "$D_RC" -eq 0 ] && [ -n "$NDJ_ROWS" ] && [ "$D_RES" != "$NDJ_ROWS" ]; then
        check=MISMATCH
    fi
    [[ "$rows" =~ ^[0-9]+$ ]] || rows=''
    tx=$(calc "sprintf(\"%.2f\", $KSEC / $DSEC)")
    mx=$(calc "sprintf(\"%.2f\", $K_KB / $D_KB)")
    note=''
    if [ "$name" = startup ]; then
        note=' (not in geomean)'
    else
        LOGSUM=$(calc "$LOGSUM + log($KSEC / $DSEC)")
        NRATIOS=$((NRATIOS + 1))
    fi
    printf '%-13s | %8s %9.1f %4s | %8s %9.1f %4s | %7s %7s | %9s %7s %9s %7s | %s %s%s\n' \
        "$name" "$K_S" "$(calc "$K_KB / 1024")" "$K_RC" "$D_S" "$(calc "$D_KB / 1024")" "$D_RC" "$tx" "$mx" \
        "$(rate "$rows" "$KSEC")" "$(mbrate "${BYTES[$name]}" "$KSEC")" "$(rate "$rows" "$DSEC")" "$(mbrate "${BYTES[$name]}" "$DSEC")" \
        "$K_RES/$D_RES" "$check" "$note"
done
echo
if [ "$NRATIOS" -gt 0 ]; then
    echo "geometric mean of time ratios kqlite/duckdb over $NRATIOS cases: $(calc "sprintf(\"%.2f\", exp($LOGSUM / $NRATIOS))")"
fi
