#!/usr/bin/env python3
"""Hunting queries, kqlite against DuckDB, side by side: the same answer, then the time and memory to get it.

    benches/hunt_vs_duckdb.py --data /tmp/kqbench/ndjson-1m --kqlite /tmp/kq                 # check, then 5 runs each
    benches/hunt_vs_duckdb.py --data /tmp/kqbench/parquet-1m --kqlite /tmp/kq --runs 3 --markdown
    benches/hunt_vs_duckdb.py --data /tmp/kqbench/ndjson-100k --kqlite /tmp/kq --check-only
    benches/hunt_vs_duckdb.py --data DIR --only 03,07 --runs 1      # a subset (number prefixes or name parts)

The suite is benches/hunt/NN_name.kql + NN_name.sql: a query as a DFIR analyst writes it in Defender advanced
hunting, and the same question in DuckDB SQL, written to Kusto's semantics (has = whole-term and case-insensitive,
contains/=~/in~ case-insensitive, innerunique joins, bin = floor, ...; each .sql file says at its top where the
SQL has to differ and how the comparison stays exact).

--data DIR holds one file per table, named TABLE.ndjson or TABLE.parquet (--format picks which; by default the one
kind present; a folder holding both is refused, since kqlite would load both). kqlite runs
`run FILE.kql --data DIR --now NOW`; in the SQL, {TableName} becomes read_ndjson('DIR/TableName.ndjson') or
read_parquet('DIR/TableName.parquet') (a missing file is an error), and {now} the fixed --now as a TIMESTAMPTZ.
DuckDB runs with TimeZone=UTC and threads = --threads (default: the core count, DuckDB's own default).

For each pair:
  CHECK  both run once (kqlite with --format typed-json, DuckDB in this process) and the results are compared as
         multisets of rows, or in order when the .sql says `-- check: ordered` (a total order: top/sort on a unique
         key). Column names must match. Values are normalised by the kqlite column type: datetimes to microseconds
         (kqlite prints up to 7 fractional digits, DuckDB keeps 6 and truncates the 7th), reals to 6 significant
         digits, null strings as "" (Kusto has no null string), dynamic values as parsed JSON with arrays compared
         as sets (make_set has no order), timespans in microseconds. OK, or MISMATCH with a short row diff, or
         ERROR when an engine fails.
  TIME   --runs N cold runs of each engine, alternating (kqlite first on even runs, DuckDB first on odd ones), every
         run a fresh process under `/usr/bin/time -f '%e %M'`: kqlite `run FILE --format csv > /dev/null`, DuckDB
         `benches/duckdb_run.py --csv-devnull` (COPY (query) TO '/dev/null' (FORMAT csv, HEADER): every row
         written as CSV, Python start-up and `import duckdb` included, as kqlite's start-up is). Wall seconds come
         from this script's clock around the process (the 10 ms steps of %e are too coarse for the fast queries);
         memory is %M, the peak RSS. Medians of N.

Printed: a header (date, machine, kqlite --version, duckdb version, data, format, runs), one line per query
(rows, kq_s, kq_MiB, duck_s, duck_MiB, time_x = kq_s/duck_s, mem_x = kq_MiB/duck_MiB, check), the geometric
means of time_x and mem_x and the worst time_x; --markdown adds the same as a block to paste into
benches/RESULTS.md. Exit status 1 when any check is not OK (MISMATCH or ERROR), 2 for a usage error.
Needs Python 3, the duckdb package (pip install duckdb) and /usr/bin/time (GNU time). Never builds anything.
"""
import argparse
import collections
import datetime as dt
import decimal
import json
import math
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

try:
    import duckdb
except ImportError:
    sys.exit("hunt_vs_duckdb.py: the Python package duckdb is missing; install it with: pip install duckdb")

HERE = os.path.dirname(os.path.abspath(__file__))
HUNT = os.path.join(HERE, "hunt")
DUCK_RUN = os.path.join(HERE, "duckdb_run.py")
PLACEHOLDER = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)\}")
DEFAULT_NOW = "2025-03-15T00:00:00Z"


def die(msg, code=2):
    print(f"hunt_vs_duckdb.py: {msg}", file=sys.stderr)
    sys.exit(code)


# ---------------------------------------------------------------------------------------------------------- suite


class Pair:
    def __init__(self, suite, stem):
        self.stem = stem  # NN_name
        self.num = stem.split("_", 1)[0]
        self.kql = os.path.join(suite, stem + ".kql")
        self.sql_path = os.path.join(suite, stem + ".sql")
        with open(self.sql_path, encoding="utf-8") as f:
            self.sql_text = f.read()
        self.ordered = re.search(r"^--\s*check:\s*ordered\b", self.sql_text, re.M) is not None
        self.tables = sorted({m for m in PLACEHOLDER.findall(self.sql_text) if m != "now"})


def discover(suite, only):
    if not os.path.isdir(suite):
        die(f"--suite {suite}: not a folder")
    stems = sorted(f[:-4] for f in os.listdir(suite) if f.endswith(".kql") and re.match(r"\d\d", f))
    missing = [s for s in stems if not os.path.exists(os.path.join(suite, s + ".sql"))]
    if missing:
        die(f"no .sql for {', '.join(missing)} in {suite}")
    if only:
        wanted = [w.strip() for w in only.split(",") if w.strip()]
        stems = [s for s in stems if any(s.split("_", 1)[0] == w or w in s for w in wanted)]
        if not stems:
            die(f"--only {only}: no query matches")
    return [Pair(suite, s) for s in stems]


def data_format(data, fmt):
    names = os.listdir(data)
    kinds = {k for k in ("ndjson", "parquet") if any(n.endswith("." + k) for n in names)}
    if fmt == "auto":
        if len(kinds) != 1:
            die(f"{data} holds {'both .ndjson and .parquet' if kinds else 'no .ndjson or .parquet'} files; "
                "give one folder per format (kqlite loads every file of the folder)")
        return kinds.pop()
    if kinds - {fmt}:
        die(f"{data} also holds .{(kinds - {fmt}).pop()} files, which kqlite would load too; use one folder per format")
    return fmt


def sql_for(pair, data, fmt, now_sql):
    def sub(m):
        name = m.group(1)
        if name == "now":
            return now_sql
        path = os.path.join(data, f"{name}.{fmt}")
        if not os.path.exists(path):
            die(f"{pair.stem}.sql needs {path}, which does not exist")
        quoted = path.replace("'", "''")
        return f"read_ndjson('{quoted}')" if fmt == "ndjson" else f"read_parquet('{quoted}')"

    return PLACEHOLDER.sub(sub, pair.sql_text).strip().rstrip(";")


# -------------------------------------------------------------------------------------------------- normalising

KUSTO_DT = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z?$")
KUSTO_TS = re.compile(r"^(-)?(?:(\d+)\.)?(\d\d):(\d\d):(\d\d)(?:\.(\d{1,7}))?$")


def norm_datetime(v):
    if v is None or v == "":
        return None
    if isinstance(v, str):
        m = KUSTO_DT.match(v)
        if not m:
            return ("unparsed datetime", v)
        frac = (m.group(2) or "")[:6].ljust(6, "0")  # truncate to microseconds, as DuckDB does
        return f"{m.group(1)}.{frac}"
    if isinstance(v, dt.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return v.isoformat(timespec="microseconds")
    if isinstance(v, dt.date):
        return dt.datetime(v.year, v.month, v.day).isoformat(timespec="microseconds")
    return ("unexpected datetime", repr(v))


def norm_timespan(v):
    if v is None or v == "":
        return None
    if isinstance(v, dt.timedelta):
        return (v.days * 86400 + v.seconds) * 1_000_000 + v.microseconds
    if isinstance(v, str):
        m = KUSTO_TS.match(v)
        if m:
            sign, days, h, mi, s, frac = m.groups()
            us = ((int(days or 0) * 24 + int(h)) * 60 + int(mi)) * 60 + int(s)
            us = us * 1_000_000 + int((frac or "")[:6].ljust(6, "0"))
            return -us if sign else us
    return ("unexpected timespan", repr(v))


def norm_real(v):
    if v is None:
        return None
    if isinstance(v, str):
        try:
            v = float(v)
        except ValueError:
            return ("unexpected real", v)
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return f"{v:.6g}"


def canon_json(x):
    """Hashable canonical form of a parsed JSON value: objects by key, arrays as sorted multisets."""
    if isinstance(x, dict):
        return ("{", tuple(sorted((str(k), canon_json(v)) for k, v in x.items())))
    if isinstance(x, (list, tuple)):
        return ("[", tuple(sorted((canon_json(e) for e in x), key=repr)))
    if isinstance(x, bool) or x is None:
        return x
    if isinstance(x, (int, float, decimal.Decimal)):
        f = float(x)
        return int(f) if f.is_integer() and abs(f) < 2**53 else norm_real(f)
    if isinstance(x, (dt.datetime, dt.date)):
        return norm_datetime(x)
    if isinstance(x, uuid.UUID):
        return str(x)
    return str(x)


def norm_dynamic(v):
    if isinstance(v, str):
        try:
            v = json.loads(v)
        except ValueError:
            pass
    return canon_json(v)


def norm(v, ktype):
    if ktype == "string":
        if v is None:
            return ""
        if isinstance(v, str):
            return v
        if isinstance(v, uuid.UUID):
            return str(v)
        if isinstance(v, (dt.datetime, dt.date)):
            return ("datetime in a string column", norm_datetime(v))
        if isinstance(v, (list, dict)):
            return json.dumps(v, separators=(",", ":"))
        return str(v)
    if ktype == "datetime":
        return norm_datetime(v)
    if ktype in ("int", "long"):
        if v is None:
            return None
        try:
            return int(v)
        except (TypeError, ValueError):
            return ("unexpected integer", repr(v))
    if ktype in ("real", "decimal"):
        return norm_real(v)
    if ktype == "bool":
        if v is None:
            return None
        if isinstance(v, str):
            return {"true": True, "false": False}.get(v.lower(), ("unexpected bool", v))
        return bool(v)
    if ktype == "timespan":
        return norm_timespan(v)
    if ktype == "guid":
        return None if v in (None, "") else str(v).lower()
    if ktype == "dynamic":
        return norm_dynamic(v)
    return repr(v)


# --------------------------------------------------------------------------------------------------------- check


def run_kqlite_typed(kq, pair, data, now):
    cmd = [kq, "run", pair.kql, "--data", data, "--now", now, "--format", "typed-json"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"kqlite exit {p.returncode}: {p.stderr.strip()[-1500:]}")
    table = json.loads(p.stdout)["tables"][0]
    return [c["name"] for c in table["columns"]], [c["type"] for c in table["columns"]], table["rows"]


def run_duckdb_inproc(sql, threads):
    con = duckdb.connect()
    try:
        con.execute(f"SET threads = {int(threads)}")
        con.execute("SET TimeZone = 'UTC'")
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
        return names, rows
    finally:
        con.close()


def show(names, row):
    return "  {" + ", ".join(f"{n}={v!r}" for n, v in zip(names, row)) + "}"


def compare(pair, kq_names, kq_types, kq_rows, dk_names, dk_rows, limit=4):
    """Returns (ok, lines of explanation)."""
    if kq_names != dk_names:
        return False, [f"columns differ:\n  kqlite: {kq_names}\n  duckdb: {dk_names}"]
    kn = [tuple(norm(v, t) for v, t in zip(r, kq_types)) for r in kq_rows]
    dn = [tuple(norm(v, t) for v, t in zip(r, kq_types)) for r in dk_rows]
    if pair.ordered:
        if kn == dn:
            return True, []
        out = [f"rows: kqlite {len(kn)}, duckdb {len(dn)} (ordered comparison)"]
        for i, (a, b) in enumerate(zip(kn, dn)):
            if a != b:
                out += [f"first difference at row {i + 1}:", " kqlite" + show(kq_names, a), " duckdb" + show(kq_names, b)]
                break
        return False, out
    ck, cd = collections.Counter(kn), collections.Counter(dn)
    if ck == cd:
        return True, []
    only_k = sorted((ck - cd).elements(), key=repr)
    only_d = sorted((cd - ck).elements(), key=repr)
    out = [f"rows: kqlite {len(kn)}, duckdb {len(dn)}; {len(only_k)} only in kqlite, {len(only_d)} only in duckdb"]
    for label, rows in (("only in kqlite:", only_k), ("only in duckdb:", only_d)):
        if rows:
            out.append(label)
            out += [show(kq_names, r) for r in rows[:limit]]
            if len(rows) > limit:
                out.append(f"  ... {len(rows) - limit} more")
    return False, out


# ---------------------------------------------------------------------------------------------------------- time


def timed(cmd, stdout):
    """Runs cmd under /usr/bin/time; returns (wall seconds, peak RSS KiB, exit status, captured stdout)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        t0 = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", tf.name] + cmd,
                           stdout=stdout, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - t0
        fields = tf.read().split()
    rss = int(fields[-1]) if fields and fields[-1].isdigit() else float("nan")
    return wall, rss, p.returncode, (p.stdout or "").strip(), p.stderr.strip()


def time_pair(kq, pair, sql, data, now, threads, runs, expect_rows):
    kq_cmd = [kq, "run", pair.kql, "--data", data, "--now", now, "--format", "csv"]
    dk_cmd = [sys.executable, DUCK_RUN, "--csv-devnull", str(threads), sql]
    res = {"kq": [], "dk": []}
    notes = []
    for i in range(runs):
        order = ("kq", "dk") if i % 2 == 0 else ("dk", "kq")
        for who in order:
            if who == "kq":
                wall, rss, rc, _, err = timed(kq_cmd, subprocess.DEVNULL)
            else:
                wall, rss, rc, out, err = timed(dk_cmd, subprocess.PIPE)
                if rc == 0 and expect_rows is not None and out != str(expect_rows):
                    notes.append(f"duckdb wrote {out} rows, the check had {expect_rows}")
            if rc != 0:
                notes.append(f"{who} exit {rc}: {err[-300:]}")
            res[who].append((wall, rss / 1024.0))
    med = {w: (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v)) for w, v in res.items()}
    return med, notes


# ------------------------------------------------------------------------------------------------------- report


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({cpu}), {mem}"


def geomean(xs):
    xs = [x for x in xs if x and x > 0 and not math.isnan(x)]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="See the top of this file for what is compared and measured.")
    ap.add_argument("--data", required=True, help="folder with TABLE.ndjson or TABLE.parquet files")
    ap.add_argument("--format", choices=["auto", "ndjson", "parquet"], default="auto")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per engine and query (default 5)")
    default_kq = os.environ.get("KQLITE") or os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/kqlite-target")), "release", "kqlite")
    ap.add_argument("--kqlite", default=default_kq, help=f"kqlite binary (default $KQLITE or {default_kq})")
    ap.add_argument("--only", help="comma-separated number prefixes or name parts, e.g. 03,07 or join")
    ap.add_argument("--check-only", action="store_true", help="compare the results, time nothing")
    ap.add_argument("--now", default=DEFAULT_NOW, help=f"now() and ago() for both engines (default {DEFAULT_NOW})")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="DuckDB threads (default: core count)")
    ap.add_argument("--suite", default=HUNT, help=f"folder of NN_name.kql + NN_name.sql pairs (default {HUNT})")
    ap.add_argument("--markdown", action="store_true", help="also print a block for benches/RESULTS.md")
    ap.add_argument("--show-sql", action="store_true", help="print each query's SQL after substitution")
    args = ap.parse_args()

    data = os.path.abspath(args.data)
    if not os.path.isdir(data):
        die(f"--data {args.data}: not a folder")
    if not (os.path.isfile(args.kqlite) and os.access(args.kqlite, os.X_OK)):
        die(f"kqlite binary {args.kqlite} not found; give --kqlite PATH or KQLITE=PATH (this script builds nothing)")
    if not args.check_only and not os.access("/usr/bin/time", os.X_OK):
        die("/usr/bin/time (GNU time) is needed for the timings")
    if args.runs < 1:
        die("--runs must be at least 1")
    fmt = data_format(data, args.format)
    m = KUSTO_DT.match(args.now)
    if not m:
        die(f"--now {args.now}: expected an ISO datetime like {DEFAULT_NOW}")
    now_sql = f"TIMESTAMPTZ '{m.group(1).replace('T', ' ')}{'.' + m.group(2) if m.group(2) else ''}+00'"
    pairs = discover(os.path.abspath(args.suite), args.only)
    sqls = {p.stem: sql_for(p, data, fmt, now_sql) for p in pairs}  # fails early on a missing table file

    kq_version = subprocess.run([args.kqlite, "--version"], capture_output=True, text=True).stdout.strip()
    header = [
        f"date: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}; machine: {machine()}",
        f"kqlite: {kq_version} ({args.kqlite}); duckdb {duckdb.__version__} (threads={args.threads}, TimeZone=UTC)",
        f"data: {data} ({fmt}); now: {args.now}; "
        + ("check only" if args.check_only else f"median of {args.runs} alternating cold runs per engine"),
    ]
    command = "benches/hunt_vs_duckdb.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    print("\n".join(header), flush=True)

    results = []
    failed = 0
    for p in pairs:
        sql = sqls[p.stem]
        if args.show_sql:
            print(f"--- {p.stem}.sql\n{sql}\n")
        status, lines, nrows = "OK", [], None
        try:
            kn, kt, kr = run_kqlite_typed(args.kqlite, p, data, args.now)
            nrows = len(kr)
        except Exception as e:  # noqa: BLE001 - any failure is reported, the suite goes on
            status, lines = "ERROR", [f"kqlite: {e}"]
        if status == "OK":
            try:
                dn, dr = run_duckdb_inproc(sql, args.threads)
            except Exception as e:  # noqa: BLE001
                status, lines = "ERROR", [f"duckdb: {e}"]
        if status == "OK":
            ok, lines = compare(p, kn, kt, kr, dn, dr)
            status = "OK" if ok else "MISMATCH"
        if status != "OK":
            failed += 1
        rec = {"pair": p, "rows": nrows, "check": status, "med": None, "notes": []}
        if status == "MISMATCH" or status == "ERROR":
            print(f"{p.stem}: {status}" + ("\n    " + "\n    ".join(lines) if lines else ""), flush=True)
        elif args.check_only:
            print(f"{p.stem}: OK ({nrows} rows{', ordered' if p.ordered else ''})", flush=True)
        if not args.check_only and status != "ERROR":
            rec["med"], rec["notes"] = time_pair(args.kqlite, p, sql, data, args.now, args.threads, args.runs, nrows)
            for n in rec["notes"]:
                print(f"{p.stem}: {n}", flush=True)
            (ks, km), (ds, dm) = rec["med"]["kq"], rec["med"]["dk"]
            print(f"{p.stem}: kqlite {ks:.3f} s {km:.1f} MiB, duckdb {ds:.3f} s {dm:.1f} MiB, {status}", flush=True)
        results.append(rec)

    if args.check_only:
        print(f"\n{len(pairs) - failed} of {len(pairs)} checks OK")
        return 1 if failed else 0

    table = [f"{'query':<36} {'rows':>7} {'kq_s':>8} {'kq_MiB':>8} {'duck_s':>8} {'duck_MiB':>9} "
             f"{'time_x':>7} {'mem_x':>6}  check"]
    tx, mx = [], []
    for r in results:
        name = r["pair"].stem
        rows = "-" if r["rows"] is None else str(r["rows"])
        if r["med"] is None:
            table.append(f"{name:<36} {rows:>7} {'-':>8} {'-':>8} {'-':>8} {'-':>9} {'-':>7} {'-':>6}  {r['check']}")
            continue
        (ks, km), (ds, dm) = r["med"]["kq"], r["med"]["dk"]
        t, mm = ks / ds, km / dm
        tx.append((t, name))
        mx.append(mm)
        flag = r["check"] + (" (see notes)" if r["notes"] else "")
        table.append(f"{name:<36} {rows:>7} {ks:>8.3f} {km:>8.1f} {ds:>8.3f} {dm:>9.1f} {t:>7.2f} {mm:>6.2f}  {flag}")
    summary = []
    if tx:
        worst = max(tx)
        summary = [
            f"geometric mean over {len(tx)} queries: time_x {geomean([t for t, _ in tx]):.2f}, "
            f"mem_x {geomean(mx):.2f}; worst time_x {worst[0]:.2f} ({worst[1]})",
            "time_x = kqlite seconds / DuckDB seconds, mem_x = kqlite peak RSS / DuckDB peak RSS (below 1: kqlite better)",
        ]
    print("\n" + "\n".join(table + [""] + summary))
    if args.markdown:
        print("\n<!-- paste into benches/RESULTS.md -->")
        print("```")
        print(command)
        print("\n".join(header + [""] + table + [""] + summary))
        print("```")
    if failed:
        print(f"\n{failed} of {len(pairs)} checks not OK", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
