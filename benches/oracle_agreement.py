#!/usr/bin/env python3
"""How often `kqlite check` agrees with Microsoft's own KQL analyzer (Kusto.Language, the "oracle") on packs of
published hunting queries, and the top reasons when kqlite rejects a query the analyzer accepts.

    benches/oracle_agreement.py PACKS KQLITE ORACLE_DIR [--top 20]
    e.g. benches/oracle_agreement.py /tmp/hq /tmp/kq-debug /tmp/oracle

PACKS is a folder whose subfolders are packs. Pack NAME reads its sources from PACKS/NAME/src (or PACKS/NAME itself
when there is no src/): Markdown files (each fenced block tagged kql/kusto, or untagged but KQL-looking, exactly
the rule of src/harness/packs.rs) and .kql files (one query each). Every query is written to its own file
PACKS/NAME/queries/<source path with / as __>.bNN.kql, so both tools see the same text. Then:

  kqlite   KQLITE check PACKS/NAME/queries --format json   (--env auto: Defender tables first, then Sentinel)
  oracle   node ORACLE_DIR/oracle.js --schema S --env defender --dir PACKS/NAME/queries, and again --env sentinel

S (written to PACKS/oracle-schema.json) is built from src/catalog/envs/{defender-xdr,sentinel,functions}.json:
the Defender functions (FileProfile, DeviceFromIP, SeenBy, AssignedIPAddresses) and _GetWatchlist become stored
functions with typed-null bodies. A query is OK for the oracle when semantic_ok holds in either environment
(the Defender result is used for column comparison when both pass). Per pack it prints queries, both-OK, both-fail,
kqlite-only-fail, oracle-only-fail, agreement %, then for both-OK queries whether the result columns agree (names
in order; and types, where kqlite reports them). Then the top reasons for kqlite-only failures: kqlite's first error,
re-checked with --env set to the environment the oracle accepted, as error code + the offending construct, with one
example each; and the top oracle-only reasons. Python 3, stdlib only; never builds anything.
"""
import argparse, collections, json, re, shutil, subprocess, sys, tempfile
from pathlib import Path

CATALOG = Path(__file__).resolve().parent.parent / "src" / "catalog" / "envs"


def looks_like_kql(code):
    lines = [l.strip() for l in code.splitlines() if l.strip() and not l.strip().startswith("//")]
    return bool(lines) and (lines[0].startswith("let ") or any(l.startswith("|") for l in lines))


def markdown_blocks(md):
    """The KQL blocks of a Markdown text, same rule as kqlite's harness::packs::markdown_blocks."""
    out, lines = [], iter(md.splitlines())
    for line in lines:
        t = line.lstrip()
        fence = "```" if t.startswith("```") else "~~~" if t.startswith("~~~") else None
        if not fence:
            continue
        tag, body = re.split(r"[ {,]", t.lstrip("`~").strip().lower())[0], []
        for l2 in lines:
            if l2.lstrip().startswith(fence):
                break
            body.append(l2)
        code = "\n".join(body)
        if (tag in ("kql", "kusto") or (tag == "" and looks_like_kql(code))) and code.strip():
            out.append(code)
    return out


def extract(src, dest):
    """Writes one .kql file per query of the pack under dest; returns the count."""
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("*.kql"):
        old.unlink()
    n = 0
    for f in sorted(p for p in src.rglob("*") if p.is_file() and "queries" not in p.relative_to(src).parts[:1]):
        ext = f.suffix.lower()
        if ext not in (".md", ".markdown", ".kql"):
            continue
        text = f.read_text(encoding="utf-8", errors="replace")
        blocks = [text] if ext == ".kql" else markdown_blocks(text)
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", str(f.relative_to(src)).replace("/", "__"))
        for k, b in enumerate(blocks, 1):
            (dest / f"{stem}.b{k:02}.kql").write_text(b if ext == ".kql" else b + "\n", encoding="utf-8")
            n += 1
    return n


def oracle_schema(path):
    """The oracle's multi-environment schema from the project's catalogs."""
    load = lambda name: json.loads((CATALOG / name).read_text())
    nulls = {"string": "''", "dynamic": "dynamic(null)"}
    typed_null = lambda ty: nulls.get(ty, f"{ty}(null)")
    envs = {"defender": {"tables": {}, "functions": {}}, "sentinel": {"tables": {}, "functions": {}}}
    for env, cat in (("defender", "defender-xdr.json"), ("sentinel", "sentinel.json")):
        for t, v in load(cat)["tables"].items():
            envs[env]["tables"][t] = [[c, ty] for c, ty in v["columns"]]
    for name, f in load("functions.json")["functions"].items():
        params = ", ".join(f"{p}:{ty}={typed_null(ty)}" for p, ty, _ in f["params"])
        if "adds_columns" in f:  # keep the input's own column (and type) when it has one
            body = "T | extend " + ", ".join(f"{c}=column_ifexists('{c}', {typed_null(ty)})" for c, ty in f["adds_columns"])
        else:
            body = "datatable(" + ", ".join(f"{c}:{ty}" for c, ty in f["returns_columns"]) + ")[]"
        if f["kind"] == "invoke":
            params = "T:(*)" + (", " + params if params else "")
        for env in f["environments"]:
            envs[env]["functions"][name] = {"params": f"({params})", "body": "{ " + body + " }"}
    path.write_text(json.dumps(envs))


def run_kqlite(kq, qdir, env="auto"):
    p = subprocess.run([kq, "check", str(qdir), "--format", "json", "--env", env], capture_output=True, text=True)
    return {Path(d["file"]).name: d for d in map(json.loads, p.stdout.splitlines())}


def run_oracle(odir, schema, env, qdir):
    p = subprocess.run(["node", str(Path(odir) / "oracle.js"), "--schema", str(schema), "--env", env, "--dir", str(qdir)],
                       capture_output=True, text=True)
    return {Path(d["file"]).name: d for d in map(json.loads, p.stdout.splitlines())}


def snippet(text, line, col, words=4):
    """A few words of the query from (line, col)."""
    lines = text.splitlines()
    if not line or line > len(lines):
        return ""
    return " ".join(lines[line - 1][max(col - 1, 0):].split()[:words])[:60]


def before_words(text, line, col, words=2):
    """The last words of the query before (line, col)."""
    lines = text.splitlines()
    if not line or line > len(lines):
        return ""
    head = "\n".join(lines[:line - 1] + [lines[line - 1][:max(col - 1, 0)]])
    head = "\n".join(l for l in head.splitlines() if not l.lstrip().startswith("//"))  # drop comment lines
    return " ".join(head.split()[-words:])[-40:]


def kq_reason(err, text):
    """kqlite error code + the offending construct."""
    code, msg = err["code"], err["message"]
    q = re.findall(r"'([^']*)'", msg)
    if code == "kqlite::parse::syntax":
        m = re.match(r"syntax error: (expected .*?), found (.*)", msg)
        before = before_words(text, err.get("line"), err.get("col"))
        return f"{code} {m.group(1) if m else msg[:40]}, found {m.group(2)[:20] if m else '?'} | after '{before}'"
    if code == "kqlite::bind::invalid_argument":
        msg = re.sub(r"'[^']*'", "NAME", msg, count=1)
    if code in ("kqlite::parse::unsupported_operator", "kqlite::bind::unknown_function", "kqlite::bind::unknown_column",
                "kqlite::bind::unknown_table", "kqlite::bind::duplicate_let") and q:
        return f"{code} {q[0]}"
    if code == "kqlite::bind::wrong_arity":
        return f"{code} {msg.split('(')[0]}()"
    if code == "kqlite::bind::wrong_kind":
        return f"{code} {msg[:40]} | at '{snippet(text, err.get('line'), err.get('col'), 2)}'"
    return f"{code} {re.sub(r' [(].*', '', msg)[:90].strip()}"


def pick(d, s):
    """(env, verdict): Defender if it passes there, else Sentinel if it passes, else the one with fewer errors."""
    n_errors = lambda v: sum(x["severity"] == "Error" for x in v.get("diagnostics", []))
    if d is None or s is None:
        return ("defender", d) if d else ("sentinel", s)
    if d.get("semantic_ok") or not s.get("semantic_ok") and n_errors(d) <= n_errors(s):
        return "defender", d
    return "sentinel", s


def oracle_reason(d):
    errs = [x for x in d.get("diagnostics", []) if x["severity"] == "Error"]
    if not errs:
        return "(no error diagnostic)"
    e = errs[0]
    return f"{e['code']} {e['message'][:90]}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("packs", type=Path)
    ap.add_argument("kqlite")
    ap.add_argument("oracle")
    ap.add_argument("--top", type=int, default=20)
    a = ap.parse_args()
    schema = a.packs / "oracle-schema.json"
    oracle_schema(schema)
    reasons, examples = collections.Counter(), {}
    oreasons, oexamples = collections.Counter(), {}
    typediffs = collections.Counter()
    rows = []
    for pack in sorted(p for p in a.packs.iterdir() if p.is_dir()):
        src = pack / "src" if (pack / "src").is_dir() else pack
        qdir = pack / "queries"
        n = extract(src, qdir)
        if not n:
            continue
        kq = run_kqlite(a.kqlite, qdir)
        od, os_ = run_oracle(a.oracle, schema, "defender", qdir), run_oracle(a.oracle, schema, "sentinel", qdir)
        c, kq_only = collections.Counter(), []
        for f in sorted(p.name for p in qdir.glob("*.kql")):
            k, text = kq.get(f), (qdir / f).read_text(encoding="utf-8")
            env, o = pick(od.get(f), os_.get(f))
            if k is None or o is None:
                c["missing"] += 1
                continue
            kok, ook = k["ok"], bool(o.get("semantic_ok"))
            c["both-OK" if kok and ook else "both-fail" if not kok and not ook
              else "kqlite-only-fail" if ook else "oracle-only-fail"] += 1
            if not kok and ook:
                kq_only.append((f, env))
            if kok and not ook:
                r = oracle_reason(o)
                oreasons[r] += 1
                oexamples.setdefault(r, f"{pack.name}/{f}")
            if kok and ook:
                kc = [(x["name"], x.get("type")) for x in k["columns"]]
                oc = [tuple(x) for x in (o.get("result_columns") or [])]
                if not kc and not oc:
                    c["cols:no-table"] += 1
                elif [x[0] for x in kc] != [x[0] for x in oc]:
                    c["cols:names-differ"] += 1
                    kn, on = [x[0] for x in kc], [x[0] for x in oc]
                    i = next((i for i, (x, y) in enumerate(zip(kn, on)) if x != y), min(len(kn), len(on)))
                    examples.setdefault("names:" + pack.name, []).append(
                        f"{f}: {len(kn)} vs {len(on)} columns, from #{i}: kqlite {kn[i:i + 3]} oracle {on[i:i + 3]}")
                else:
                    diff = [(n1, t1, t2) for (n1, t1), (_, t2) in zip(kc, oc) if t1 and t1 != t2]
                    c["cols:types-differ" if any(t2 != "unknown" for _, _, t2 in diff) else "cols:same"] += 1
                    for n1, t1, t2 in diff:
                        typediffs[f"kqlite {t1} / oracle {t2}"] += 1
                        examples.setdefault("type:" + f"kqlite {t1} / oracle {t2}", f"{pack.name}/{f} column {n1}")
        # kqlite-only failures: the reason is kqlite's error in the environment where the oracle accepts the query
        for env in ("defender", "sentinel"):
            with tempfile.TemporaryDirectory() as tmp:
                for f, e in kq_only:
                    if e == env:
                        shutil.copy(qdir / f, tmp)
                for f, k in run_kqlite(a.kqlite, tmp, env).items():
                    err, text = (k["errors"] or [{"code": "(passes in this env)", "message": ""}])[0], (qdir / f).read_text()
                    r = kq_reason(err, text)
                    reasons[r] += 1
                    examples.setdefault(r, (f"{pack.name}/{f}", snippet(text, err.get("line"), 1, 8)))
        agree = c["both-OK"] + c["both-fail"]
        rows.append((pack.name, n, c, 100.0 * agree / max(n - c["missing"], 1)))
    print("pack          queries  both-OK  both-fail  kq-only-fail  oracle-only-fail  agree%  | both-OK columns: "
          "same  types-differ  names-differ  no-table")
    for name, n, c, pct in rows:
        print(f"{name:13} {n:7} {c['both-OK']:8} {c['both-fail']:10} {c['kqlite-only-fail']:13} "
              f"{c['oracle-only-fail']:17} {pct:6.1f}  | {c['cols:same']:22} {c['cols:types-differ']:13} "
              f"{c['cols:names-differ']:13} {c['cols:no-table']:9}" + (f"  (missing {c['missing']})" if c["missing"] else ""))
    for name, _, _, _ in rows:
        for e in examples.get("names:" + name, [])[:4]:
            print(f"  names differ, {name}: {e}")
    print("\nresult column type differences (both OK, same names), columns; 'oracle unknown' is not counted as differing:")
    for r, v in typediffs.most_common(10):
        print(f"{v:5}  {r}   e.g. {examples['type:' + r]}")
    print(f"\ntop {a.top} reasons for kqlite-only failures ({sum(reasons.values())} queries):")
    for r, v in reasons.most_common(a.top):
        f, s = examples[r]
        print(f"{v:5}  {r}\n         e.g. {f}: {s}")
    print(f"\ntop 10 reasons for oracle-only failures ({sum(oreasons.values())} queries):")
    for r, v in oreasons.most_common(10):
        print(f"{v:5}  {r}\n         e.g. {oexamples[r]}")


if __name__ == "__main__":
    sys.exit(main())
