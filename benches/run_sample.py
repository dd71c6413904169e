#!/usr/bin/env python3
"""Do the published queries that Microsoft's analyzer accepts also RUN in kqlite? Each analyzer-accepted query of
the packs is run on `kqlite sample` data of its environment, and the exit codes are counted (issue 14's target:
95 % exit 0, no panic, no hang).

    benches/run_sample.py PACKS KQLITE ORACLE_DIR [--rows 200] [--timeout 60] [--top 20]
    e.g. benches/run_sample.py /tmp/hq /tmp/kq-debug /tmp/oracle

PACKS, the query extraction and the analyzer's verdict are those of benches/oracle_agreement.py (run that first:
it writes PACKS/NAME/queries). Sample data for each environment is written once to PACKS/sample-<env> with
`kqlite sample --tables T1,T2,... --env <env> --rows N` (the catalog tables the queries name; `union *` then
sees those). Each query runs as `KQLITE run FILE --data DIR --env ENV
--format csv` in the environment the analyzer accepted it in (Defender first). Exit 0 counts as a run; a
signal or exit 101 is a panic; the timeout a hang. Per pack it prints accepted, exit 0, the other exit codes,
and then the top first-error lines of the failures with one example each. Python 3, stdlib only.
"""
import argparse, collections, subprocess, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import oracle_agreement as oa  # noqa: E402


def used_tables(packs, env):
    """The catalog tables of `env` whose names occur in any pack query (sampling all ~1,000 would make every
    run read every file's sample at start-up)."""
    import json, re
    cat = {"defender": "defender-xdr.json", "sentinel": "sentinel.json"}[env]
    names = set(json.loads((oa.CATALOG / cat).read_text())["tables"])
    words = set()
    for q in packs.glob("*/queries/*.kql"):
        words.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", q.read_text(encoding="utf-8", errors="replace")))
    return sorted(names & words)


def sample_dir(packs, kq, env, rows):
    d = packs / f"sample-{env}"
    if not d.is_dir() or not any(d.iterdir()):
        tables = ",".join(used_tables(packs, env))
        subprocess.run([kq, "sample", "--out", str(d), "--tables", tables, "--env", env, "--rows", str(rows),
                        "--seed", "1"], check=True, capture_output=True)
    return d


def first_error(stderr):
    for line in stderr.splitlines():
        s = line.strip()
        if s.startswith("kqlite::") or s.startswith("×") or s.startswith("error"):
            return s[:140]
    return (stderr.strip().splitlines() or ["(no message)"])[0][:140]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("packs", type=Path)
    ap.add_argument("kqlite")
    ap.add_argument("oracle")
    ap.add_argument("--rows", type=int, default=200)
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--top", type=int, default=20)
    a = ap.parse_args()
    schema = a.packs / "oracle-schema.json"
    oa.oracle_schema(schema)
    data = {env: sample_dir(a.packs, a.kqlite, env, a.rows) for env in ("defender", "sentinel")}
    reasons, examples = collections.Counter(), {}
    total = collections.Counter()
    print(f"{'pack':12} {'accepted':>8} {'exit 0':>7} {'%':>6}  other exits")
    for pack in sorted(p for p in a.packs.iterdir() if p.is_dir() and (p / "queries").is_dir()):
        qdir = pack / "queries"
        od, os_ = oa.run_oracle(a.oracle, schema, "defender", qdir), oa.run_oracle(a.oracle, schema, "sentinel", qdir)
        codes = collections.Counter()
        for f in sorted(p.name for p in qdir.glob("*.kql")):
            env, o = oa.pick(od.get(f), os_.get(f))
            if o is None or not o.get("semantic_ok"):
                continue
            try:
                p = subprocess.run([a.kqlite, "run", str(qdir / f), "--data", str(data[env]), "--env", env,
                                    "--format", "csv"], capture_output=True, text=True, timeout=a.timeout)
                code = p.returncode if p.returncode >= 0 else "signal"
                code = "panic" if code in (101, "signal") else code
                err = "" if code == 0 else first_error(p.stderr)
            except subprocess.TimeoutExpired:
                code, err = "hang", f"no result in {a.timeout} s"
            codes[code] += 1
            if code != 0:
                reasons[err] += 1
                examples.setdefault(err, f"{pack.name}/{f}")
        n, ok = sum(codes.values()), codes[0]
        total.update(codes)
        other = ", ".join(f"{k}: {v}" for k, v in sorted(codes.items(), key=lambda x: str(x[0])) if k != 0)
        print(f"{pack.name:12} {n:8} {ok:7} {100.0 * ok / max(n, 1):6.1f}  {other}")
    n, ok = sum(total.values()), total[0]
    print(f"{'all':12} {n:8} {ok:7} {100.0 * ok / max(n, 1):6.1f}")
    print(f"\ntop {a.top} first errors of the queries that did not exit 0:")
    for r, k in reasons.most_common(a.top):
        print(f"  {k:4}  {r}\n        e.g. {examples[r]}")


if __name__ == "__main__":
    main()
