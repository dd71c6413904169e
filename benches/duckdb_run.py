#!/usr/bin/env python3
"""Run one SQL statement in a fresh in-memory DuckDB and print the first column of its first row.

Used by benches/load_vs_duckdb.sh and benches/hunt_vs_duckdb.py, one process per measured run, so DuckDB's start-up
(Python + import) and peak RSS are measured by /usr/bin/time exactly like a kqlite process.

    duckdb_run.py THREADS SQL              # prints e.g. the count(*) result, or the row count a COPY wrote
    duckdb_run.py --csv-devnull THREADS SQL
        # runs the query with TimeZone=UTC and writes every result row as CSV (with a header) to /dev/null, the
        # work `kqlite run --format csv > /dev/null` does; prints the number of rows written
    duckdb_run.py --version                # prints "duckdb VERSION, threads=N (default)"
"""
import sys

try:
    import duckdb
except ImportError:
    sys.exit("duckdb_run.py: the Python package duckdb is missing; install it with: pip install duckdb")


def main() -> int:
    if len(sys.argv) == 2 and sys.argv[1] == "--version":
        con = duckdb.connect()
        threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
        print(f"duckdb {duckdb.__version__}, threads={threads} (default)")
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "--csv-devnull":
        threads, sql = sys.argv[2], sys.argv[3].strip().rstrip(";")
        con = duckdb.connect()
        con.execute(f"SET threads = {int(threads)}")
        con.execute("SET TimeZone = 'UTC'")
        row = con.execute(f"COPY (\n{sql}\n) TO '/dev/null' (FORMAT csv, HEADER)").fetchone()
        print(row[0] if row else "")
        return 0
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    threads, sql = sys.argv[1], sys.argv[2]
    con = duckdb.connect()
    con.execute(f"SET threads = {int(threads)}")
    row = con.execute(sql).fetchone()
    print(row[0] if row else "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
