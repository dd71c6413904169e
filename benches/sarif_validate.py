#!/usr/bin/env python3
"""Validate SARIF 2.1.0 logs against the OASIS JSON schema, offline, and lint
them against GitHub code scanning's documented SARIF requirements.

usage: validate.py [--no-github] [--strict] [--verbose] SCHEMA FILE [FILE...]

  SCHEMA   path to sarif-schema-2.1.0.json (the OASIS schema, draft-04)
  FILE     a SARIF log; "-" reads standard input

Output, one finding a line:
  FILE: SCHEMA-ERROR at <json path>: <jsonschema message>
  FILE: GITHUB-REQUIRED <json path>: <what>     (doc marks it "required")
  FILE: GITHUB-RECOMMENDED <json path>: <what>  (doc marks it "recommended")
  FILE: NOTE <json path>: <what>                (plausibility, SARIF spec)
  FILE: OK (schema-valid; N runs, N results, N rules)

Same findings differing only in array indices are merged into one line
"path[*] (xN)"; --verbose lists each.

Exit: 0 schema-valid (GitHub findings are advisory), 1 a schema error
(or, with --strict, a GITHUB-REQUIRED finding), 2 usage / unreadable input.

GitHub rules follow docs.github.com "SARIF support for code scanning"
(github/docs content/code-security/reference/code-scanning/sarif-files/sarif-support.md).
Needs only `jsonschema` (4.x). The schema's "uri"/"uri-reference" formats are
checked with a built-in RFC 3986 pattern when rfc3987 is not installed.
"""
import json
import re
import sys

import jsonschema
from jsonschema import validators

# RFC 3986 characters: unreserved / reserved / percent-encoded
_URI_CHARS = r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*"
_URI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:" + _URI_CHARS + r"$")
_URI_REF_RE = re.compile(r"^" + _URI_CHARS + r"$")
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def make_format_checker(cls):
    fc = cls.FORMAT_CHECKER
    if "uri" not in fc.checkers:
        fc = jsonschema.FormatChecker(fc.checkers.keys())

        @fc.checks("uri")
        def _uri(value):  # noqa: ANN001
            return not isinstance(value, str) or bool(_URI_RE.match(value))

        @fc.checks("uri-reference")
        def _uri_ref(value):  # noqa: ANN001
            return not isinstance(value, str) or bool(_URI_REF_RE.match(value))

    return fc


def jpath(parts):
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def schema_errors(validator, doc):
    errs = sorted(validator.iter_errors(doc), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    lines = []
    for e in errs:
        lines.append(f"SCHEMA-ERROR at {jpath(e.absolute_path)}: {e.message}")
        for sub in sorted(e.context or [], key=lambda s: list(map(str, s.absolute_path))):
            lines.append(f"    ({jpath(sub.absolute_path)}: {sub.message})")
    return lines


def text_of(obj, key):
    v = obj.get(key) if isinstance(obj, dict) else None
    return v.get("text") if isinstance(v, dict) else None


def github_lint(doc):
    """Return (required, recommended, notes): lists of (path, text)."""
    req, rec, note = [], [], []
    if not isinstance(doc, dict):
        return [("$", "not a JSON object")], rec, note
    if not doc.get("$schema"):
        req.append(("$.$schema", "missing (GitHub: required, e.g. https://json.schemastore.org/sarif-2.1.0.json)"))
    if doc.get("version") != "2.1.0":
        req.append(("$.version", f"must be \"2.1.0\", is {doc.get('version')!r}"))
    runs = doc.get("runs")
    if not isinstance(runs, list) or not runs:
        req.append(("$.runs", "needs one or more runs"))
        return req, rec, note
    if len(runs) > 20:
        req.append(("$.runs", f"{len(runs)} runs; GitHub rejects more than 20 per file"))
    seen_cat = {}
    for ri, run in enumerate(runs):
        rp = f"$.runs[{ri}]"
        driver = ((run.get("tool") or {}).get("driver")) or {}
        if not driver.get("name"):
            req.append((f"{rp}.tool.driver.name", "missing or empty"))
        cat = (run.get("automationDetails") or {}).get("id")
        category = cat.rsplit("/", 1)[0] if cat and "/" in cat else ""
        key = (driver.get("name"), category)
        if key in seen_cat:
            req.append((rp, f"same tool {key[0]!r} and category {category!r} as runs[{seen_cat[key]}]: GitHub no longer combines such runs in one upload (rejected since June 2025)"))
        seen_cat.setdefault(key, ri)
        if not cat:
            rec.append((f"{rp}.automationDetails.id", "absent: set 'CATEGORY/' (e.g. 'kqlite/check/') so several kqlite SARIF uploads for one commit (check, test) do not replace each other; or pass `category:` to upload-sarif"))
        elif "/" not in cat:
            note.append((f"{rp}.automationDetails.id", f"{cat!r} has no '/': GitHub reads it all as run id, category empty"))
        if "semanticVersion" not in driver and "version" not in driver:
            rec.append((f"{rp}.tool.driver", "no version/semanticVersion (GitHub tracks tool changes with it)"))
        rules = driver.get("rules")
        if not isinstance(rules, list):
            req.append((f"{rp}.tool.driver.rules", "missing (GitHub: required array)"))
            rules = []
        if len(rules) > 25000:
            req.append((f"{rp}.tool.driver.rules", f"{len(rules)} rules > 25,000"))
        ids, names = {}, {}
        for i, rule in enumerate(rules):
            p = f"{rp}.tool.driver.rules[{i}]"
            rid = rule.get("id")
            if not rid:
                req.append((f"{p}.id", "missing or empty"))
            elif rid in ids:
                req.append((f"{p}.id", f"duplicate rule id {rid!r} (also rules[{ids[rid]}])"))
            else:
                ids[rid] = i
            nm = rule.get("name")
            if nm is not None:
                if len(nm) > 255:
                    req.append((f"{p}.name", f"{len(nm)} chars > 255"))
                if nm in names:
                    note.append((f"{p}.name", f"name {nm!r} also used by rules[{names[nm]}] ({rules[names[nm]].get('id')}): GitHub's rule filter shows names, so two rules look alike"))
                names.setdefault(nm, i)
            for fld in ("shortDescription", "fullDescription"):
                t = text_of(rule, fld)
                if not t:
                    req.append((f"{p}.{fld}.text", "missing or empty"))
                elif len(t) > 1024:
                    req.append((f"{p}.{fld}.text", f"{len(t)} chars > 1024"))
            if not text_of(rule, "help"):
                req.append((f"{p}.help.text", "missing or empty"))
            if not (rule.get("help") or {}).get("markdown"):
                rec.append((f"{p}.help.markdown", "absent (recommended; shown instead of help.text)"))
            if text_of(rule, "help") and text_of(rule, "help") == text_of(rule, "fullDescription"):
                note.append((f"{p}.help.text", "identical to fullDescription.text (GitHub shows both)"))
            lvl = (rule.get("defaultConfiguration") or {}).get("level")
            if lvl is not None and lvl not in ("note", "warning", "error"):
                req.append((f"{p}.defaultConfiguration.level", f"{lvl!r}: GitHub accepts note, warning, error"))
            props = rule.get("properties") or {}
            tags = props.get("tags") or []
            if len(tags) > 20:
                req.append((f"{p}.properties.tags", f"{len(tags)} tags > 20"))
            elif len(tags) > 10:
                note.append((f"{p}.properties.tags", f"{len(tags)} tags: GitHub shows 10"))
            prec = props.get("precision")
            if prec is None:
                rec.append((f"{p}.properties.precision", "absent (recommended: very-high|high|medium|low)"))
            elif prec not in ("very-high", "high", "medium", "low"):
                req.append((f"{p}.properties.precision", f"{prec!r} not very-high|high|medium|low"))
            sev = props.get("problem.severity")
            ssev = props.get("security-severity")
            if ssev is None and sev is None:
                rec.append((f"{p}.properties[\"problem.severity\"]", "absent (recommended for non-security rules: error|warning|recommendation)"))
            if sev is not None and sev not in ("error", "warning", "recommendation"):
                req.append((f"{p}.properties[\"problem.severity\"]", f"{sev!r} not error|warning|recommendation"))
            if ssev is not None:
                try:
                    ok = isinstance(ssev, str) and 0.0 < float(ssev) <= 10.0
                except ValueError:
                    ok = False
                if not ok:
                    req.append((f"{p}.properties[\"security-severity\"]", f"{ssev!r}: a string holding a number in (0.0, 10.0]"))
                if "security" not in tags:
                    note.append((f"{p}.properties[\"security-severity\"]", "set but tags lack 'security'"))
        bases = run.get("originalUriBaseIds") or {}
        for b, al in bases.items():
            u = (al or {}).get("uri")
            if u is not None and not u.endswith("/"):
                note.append((f"{rp}.originalUriBaseIds.{b}.uri", "SARIF 3.14.14: must end with '/'"))
        results = run.get("results")
        if not isinstance(results, list):
            req.append((f"{rp}.results", "missing (GitHub: required array)"))
            results = []
        if len(results) > 25000:
            req.append((f"{rp}.results", f"{len(results)} results > 25,000"))
        for k, res in enumerate(results):
            p = f"{rp}.results[{k}]"
            rid = res.get("ruleId") or (res.get("rule") or {}).get("id")
            ridx = res.get("ruleIndex", (res.get("rule") or {}).get("index"))
            if not rid:
                req.append((f"{p}.ruleId", "missing (GitHub table: optional, but alerts are filtered by it and it must stay stable across analyses)"))
            elif rules and rid not in ids:
                req.append((f"{p}.ruleId", f"{rid!r} names no rule in tool.driver.rules"))
            if ridx is not None and rid and rid in ids and ids[rid] != ridx:
                req.append((f"{p}.ruleIndex", f"{ridx} but rule {rid!r} is rules[{ids[rid]}]"))
            if ridx is not None and not (0 <= ridx < len(rules)):
                req.append((f"{p}.ruleIndex", f"{ridx} out of range (rules has {len(rules)})"))
            msg = text_of(res, "message")
            if not msg:
                req.append((f"{p}.message.text", "missing or empty"))
            lvl = res.get("level")
            if lvl is not None and lvl not in ("none", "note", "warning", "error"):
                req.append((f"{p}.level", f"{lvl!r}"))
            if rid in ids and lvl:
                dl = (rules[ids[rid]].get("defaultConfiguration") or {}).get("level", "warning")
                if dl != lvl:
                    note.append((f"{p}.level", f"{lvl!r} overrides rule default {dl!r} (allowed; GitHub filters by the result level)"))
            if "partialFingerprints" not in res:
                rec.append((f"{p}.partialFingerprints", "absent: upload-sarif fills primaryLocationLineHash; the REST API upload does not (duplicate alerts)"))
            locs = res.get("locations")
            if not isinstance(locs, list) or not locs:
                req.append((f"{p}.locations", "needs at least one location (GitHub shows no alert without)"))
                continue
            if len(locs) > 1000:
                req.append((f"{p}.locations", f"{len(locs)} > 1000"))
            pl = (locs[0] or {}).get("physicalLocation")
            lp = f"{p}.locations[0].physicalLocation"
            if not isinstance(pl, dict):
                req.append((lp, "missing"))
                continue
            al = pl.get("artifactLocation") or {}
            uri = al.get("uri")
            if not uri:
                req.append((f"{lp}.artifactLocation.uri", "missing or empty"))
            elif _SCHEME_RE.match(uri):
                req.append((f"{lp}.artifactLocation.uri", f"absolute {uri!r}: GitHub wants a path relative to the repository root (else it needs checkout_path / checkout_uri / invocations[0].workingDirectory.uri to relativize)"))
            else:
                if uri.startswith("/") or uri.startswith("./") or "\\" in uri or "/../" in f"/{uri}":
                    note.append((f"{lp}.artifactLocation.uri", f"{uri!r}: prefer a plain repo-relative path like src/x.kql"))
            ub = al.get("uriBaseId")
            if ub is not None and ub not in bases:
                note.append((f"{lp}.artifactLocation.uriBaseId", f"{ub!r} not declared in run.originalUriBaseIds"))
            reg = pl.get("region")
            if not isinstance(reg, dict):
                req.append((f"{lp}.region", "missing"))
                continue
            sl = reg.get("startLine")
            if not isinstance(sl, int) or sl < 1:
                req.append((f"{lp}.region.startLine", "missing or < 1"))
                continue
            for f in ("startColumn", "endLine", "endColumn"):
                if f not in reg:
                    rec.append((f"{lp}.region.{f}", "absent (GitHub's table lists it as required; SARIF defaults apply)"))
            el = reg.get("endLine", sl)
            sc, ec = reg.get("startColumn", 1), reg.get("endColumn")
            if el < sl:
                req.append((f"{lp}.region", f"endLine {el} < startLine {sl}"))
            if ec is not None and el == sl and ec < sc:
                req.append((f"{lp}.region", f"endColumn {ec} < startColumn {sc}"))
            if ec is not None and el == sl and ec == sc:
                note.append((f"{lp}.region", f"zero-width region {sl}:{sc}-{ec} (SARIF endColumn is exclusive: nothing is highlighted)"))
    return req, rec, note


def collapse(items):
    """Merge findings whose text is the same and whose paths differ only in indices."""
    groups = {}
    for p, t in items:
        groups.setdefault((re.sub(r"\[\d+\]", "[*]", p), t), []).append(p)
    out = []
    for (pat, t), paths in groups.items():
        out.append((paths[0], t) if len(paths) == 1 else (f"{pat} (x{len(paths)})", t))
    return out


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    flags = {a for a in argv if a.startswith("--")}
    bad = flags - {"--no-github", "--strict", "--verbose", "--help"}
    if "--help" in flags or len(args) < 2 or bad:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    schema_path, files = args[0], args[1:]
    try:
        with open(schema_path, encoding="utf-8") as f:
            schema = json.load(f)
    except (OSError, ValueError) as e:
        print(f"{schema_path}: cannot read schema: {e}", file=sys.stderr)
        return 2
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema, format_checker=make_format_checker(cls))
    print(f"schema: {schema.get('id') or schema.get('$id')} ({cls.__name__}, jsonschema {__import__('importlib.metadata').metadata.version('jsonschema')})")
    rc = 0
    for path in files:
        name = "<stdin>" if path == "-" else path
        try:
            raw = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
            doc = json.loads(raw)
        except (OSError, ValueError) as e:
            print(f"{name}: UNREADABLE: {e}")
            rc = max(rc, 2)
            continue
        errs = schema_errors(validator, doc)
        for line in errs:
            print(f"{name}: {line}")
        if errs:
            rc = max(rc, 1)
        if "--no-github" not in flags:
            req, rec, note = github_lint(doc)
            for kind, items in (("GITHUB-REQUIRED", req), ("GITHUB-RECOMMENDED", rec), ("NOTE", note)):
                for p, t in (items if "--verbose" in flags else collapse(items)):
                    print(f"{name}: {kind} {p}: {t}")
            if req and "--strict" in flags:
                rc = max(rc, 1)
        if not errs:
            runs = doc.get("runs") or []
            nres = sum(len(r.get("results") or []) for r in runs)
            nrules = sum(len(((r.get("tool") or {}).get("driver") or {}).get("rules") or []) for r in runs)
            print(f"{name}: OK schema-valid ({len(runs)} run(s), {nres} result(s), {nrules} rule(s))")
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
