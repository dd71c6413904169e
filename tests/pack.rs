//! The pack harness end to end through the binary: `kqlite check` over every pack format with positions in
//! the original files, Sentinel template validation, lints and their silencing, configuration, baselines, the
//! output formats, and `kqlite test` (including `--update`).

// Test code: a failed expectation should panic with its message.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use serde_json::Value;
use std::path::{Path, PathBuf};

mod common;
use common::kqlite;

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("pack-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(dir: &Path, file: &str, text: &str) -> String {
    let p = dir.join(file);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn json_lines(s: &str) -> Vec<Value> {
    s.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

const RULE: &str = "id: 0b7a6a26-3c1e-4f59-9d0e-5d1f6f1a2b3c
name: Password spray from one address
description: |
  Many accounts failing from one IP address.
severity: Medium
requiredDataConnectors:
  - connectorId: AzureActiveDirectory
    dataTypes:
      - SigninLogs
queryFrequency: 1h
queryPeriod: 1h
triggerOperator: gt
triggerThreshold: 0
tactics:
  - CredentialAccess
relevantTechniques:
  - T1110.003
query: |
  SigninLogs
  | where ResultType == \"50126\"
  | summarize Accounts = dcount(UserPrincipalName) by IPAddress
  | where Accounts > 10
entityMappings:
  - entityType: IP
    fieldMappings:
      - identifier: Address
        columnName: IPAddress
version: 1.0.0
kind: Scheduled
";

#[test]
fn a_valid_rule_checks_clean_and_its_schema_is_reported() {
    let d = scratch("valid-rule");
    let f = write(&d, "spray.yaml", RULE);
    let o = kqlite(&["check", &f, "--format", "json"]);
    assert_eq!(o.code, 0, "{}", o.stdout);
    let l = &json_lines(&o.stdout)[0];
    assert_eq!(l["ok"], true);
    assert_eq!(l["line"], 19);
    assert_eq!(
        l["columns"],
        serde_json::json!([{"name": "IPAddress", "type": "string"}, {"name": "Accounts", "type": "long"}])
    );
}

#[test]
fn yaml_findings_point_into_the_block_scalar_and_at_template_fields() {
    let d = scratch("bad-rule");
    let bad = RULE
        .replace("dcount(UserPrincipalName)", "dcount(UserPrincipleName)")
        .replace("  - CredentialAccess", "  - CredentialAccesss")
        .replace("severity: Medium", "severity: Critical");
    let f = write(&d, "spray.yaml", &bad);
    let o = kqlite(&["check", &f, "--format", "json"]);
    assert_eq!(o.code, 1);
    let l = &json_lines(&o.stdout)[0];
    let errors = l["errors"].as_array().unwrap();
    let find = |code: &str| errors.iter().find(|e| e["code"] == code).unwrap_or_else(|| panic!("{code}: {errors:?}"));
    // the misspelt column on line 21, column 33 of the YAML file (inside `query: |`)
    let col = find("kqlite::bind::unknown_column");
    assert_eq!((col["line"].as_u64(), col["col"].as_u64()), (Some(21), Some(33)), "{col}");
    assert_eq!(find("kqlite::sentinel::invalid_severity")["line"], 5);
    let tactic = find("kqlite::sentinel::invalid_tactic");
    assert_eq!(tactic["line"], 15);
    assert!(tactic["message"].as_str().unwrap().contains("CredentialAccess"), "{tactic}");
    // the text format quotes the YAML file's own lines
    let t = kqlite(&["check", &f]);
    assert!(t.stdout.contains("21 │   | summarize Accounts = dcount(UserPrincipleName) by IPAddress"), "{}", t.stdout);
}

#[test]
fn entity_mappings_must_name_result_columns_and_ids_must_be_unique() {
    let d = scratch("entities");
    let f = write(&d, "a.yaml", &RULE.replace("columnName: IPAddress", "columnName: IpAddress"));
    write(&d, "b.yaml", RULE);
    let o = kqlite(&["check", d.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.code, 1);
    let lines = json_lines(&o.stdout);
    let a = lines.iter().find(|l| l["file"] == f.as_str()).unwrap();
    let e = &a["errors"][0];
    assert_eq!(e["code"], "kqlite::sentinel::unknown_column");
    assert_eq!(e["line"], 27);
    assert!(e["message"].as_str().unwrap().contains("IPAddress"), "did-you-mean: {e}");
    let b = lines.iter().find(|l| l["file"] != f.as_str()).unwrap();
    assert_eq!(b["errors"][0]["code"], "kqlite::sentinel::duplicate_id", "{b}");
}

#[test]
fn arm_exports_markdown_and_kql_variants() {
    let d = scratch("formats");
    let arm = "{\n  \"resources\": [\n    {\n      \"type\": \"Microsoft.OperationalInsights/workspaces/providers/alertRules\",\n      \"kind\": \"Scheduled\",\n      \"properties\": {\n        \"displayName\": \"x\",\n        \"query\": \"SecurityEvent\\n| where EventID == 4732\\n| project TimeGenerated, Computer, Acount\"\n      }\n    }\n  ]\n}\n";
    let a = write(&d, "export.json", arm);
    write(&d, "data/DeviceEvents.json", "[{\"a\": 1}]");
    write(&d, "q.csl", "DeviceProcessEvents | take 1");
    write(&d, "q.kusto", "DeviceProcessEvents | take 1");
    write(&d, "notes.txt", "Just notes, no query.");
    let o = kqlite(&["check", d.to_str().unwrap(), "--format", "json"]);
    let lines = json_lines(&o.stdout);
    assert_eq!(lines.len(), 3, "export.json, q.csl, q.kusto: {}", o.stdout);
    let e = &lines.iter().find(|l| l["file"] == a.as_str()).unwrap()["errors"][0];
    assert_eq!(e["code"], "kqlite::bind::unknown_column");
    // `Acount` inside the JSON string on line 8: the column counts the escapes before it
    let line8 = arm.lines().nth(7).unwrap();
    let col = e["col"].as_u64().unwrap() as usize;
    assert_eq!((e["line"].as_u64(), &line8[col - 1..col + 5]), (Some(8), "Acount"));
}

#[test]
fn unreadable_files_are_findings_and_the_run_goes_on() {
    let d = scratch("unreadable");
    std::fs::write(d.join("junk.kql"), [0x44u8, 0xff, 0xfe, 0x00, 0x01]).unwrap();
    write(&d, "broken.yaml", "id: x\nquery: [unclosed\n");
    write(&d, "open.md", "# Notes\n\n```kql\nDeviceEvents | take 1\n");
    write(&d, "good.kql", "DeviceEvents | take 1");
    let o = kqlite(&["check", d.to_str().unwrap()]);
    assert_eq!(o.code, 1);
    for code in ["kqlite::pack::unreadable", "kqlite::pack::invalid_yaml", "kqlite::pack::unclosed_fence"] {
        assert!(o.stdout.contains(code), "{code}: {}", o.stdout);
    }
    assert!(o.stdout.contains("open.md:3  kqlite::pack::unclosed_fence"), "{}", o.stdout);
    assert!(o.stdout.contains("ok    "), "good.kql is still checked: {}", o.stdout);
}

#[test]
fn lints_levels_and_silencing() {
    let d = scratch("lints");
    let q = "DeviceProcessEvents\n| where FileName == \"PowerShell.exe\"\n| join (DeviceNetworkEvents | where Timestamp > ago(1d)) on DeviceId\n";
    let f = write(&d, "hunt.kql", q);
    let o = kqlite(&["check", &f, "--format", "json"]);
    assert_eq!(o.code, 0, "warnings do not fail the run");
    let l = &json_lines(&o.stdout)[0];
    let codes: Vec<&str> = l["warnings"].as_array().unwrap().iter().map(|w| w["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["kqlite::lint::case_sensitive_equals", "kqlite::lint::join_without_kind"]);
    assert_eq!(kqlite(&["check", &f, "--deny", "warnings"]).code, 1);
    // next-line and query-wide silencing
    let silenced = format!(
        "// kqlite-disable join_without_kind\nDeviceProcessEvents\n// kqlite-disable-next-line case_sensitive_equals\n{}",
        &q["DeviceProcessEvents\n".len()..]
    );
    write(&d, "hunt.kql", &silenced);
    let o = kqlite(&["check", &f, "--format", "json"]);
    assert_eq!(json_lines(&o.stdout)[0]["warnings"], serde_json::json!([]), "{}", o.stdout);
    // kqlite.toml: a lint raised to error, another turned off
    write(&d, "hunt.kql", q);
    write(
        &d,
        "kqlite.toml",
        "[lints]\ndisable = [\"case_sensitive_equals\"]\n[lints.level]\njoin_without_kind = \"error\"\n",
    );
    let o = kqlite(&["check", &f, "--format", "json"]);
    assert_eq!(o.code, 1);
    let l = &json_lines(&o.stdout)[0];
    assert_eq!(l["errors"][0]["code"], "kqlite::lint::join_without_kind");
    assert_eq!(l["warnings"], serde_json::json!([]));
    // a bad config is a usage error naming the file and line
    write(&d, "kqlite.toml", "[lints.level]\njoin_without_kind = \"loud\"\n");
    let o = kqlite(&["check", &f]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("kqlite.toml") && o.stderr.contains("loud"), "{}", o.stderr);
    write(&d, "kqlite.toml", "[lints\n");
    let o = kqlite(&["check", &f]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("kqlite.toml:1:"), "{}", o.stderr);
}

#[test]
fn yaml_comments_silence_a_whole_file() {
    let d = scratch("yaml-silence");
    let rule = format!(
        "# kqlite-disable contains_could_be_has\n{}",
        RULE.replace("where Accounts > 10", "where UserAgent contains \"python\"")
    );
    let f = write(&d, "r.yaml", &rule.replace("summarize Accounts", "summarize UserAgent = any(UserAgent), Accounts"));
    let o = kqlite(&["check", &f, "--format", "json"]);
    let l = &json_lines(&o.stdout)[0];
    let codes: Vec<&str> = l["warnings"].as_array().unwrap().iter().map(|w| w["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["kqlite::lint::deprecated_spelling"], "{}", o.stdout);
}

#[test]
fn detections_are_held_to_defender_output_rules() {
    let d = scratch("detections");
    write(&d, "kqlite.toml", "[detections]\ndefender = [\"detections/**\"]\n");
    let good = write(
        &d,
        "detections/good.kql",
        "DeviceProcessEvents | where Timestamp > ago(1h) | project Timestamp, ReportId, DeviceId",
    );
    let bad = write(
        &d,
        "detections/bad.kql",
        "DeviceProcessEvents | where Timestamp > ago(1h) | summarize count() by DeviceId",
    );
    let hunt = write(&d, "hunt.kql", "DeviceProcessEvents | where Timestamp > ago(1h) | summarize count() by DeviceId");
    let o = kqlite(&["check", d.to_str().unwrap(), "--format", "json"]);
    let lines = json_lines(&o.stdout);
    let warnings = |f: &str| lines.iter().find(|l| l["file"] == f).unwrap()["warnings"].clone();
    assert_eq!(warnings(&good), serde_json::json!([]));
    assert_eq!(warnings(&hunt), serde_json::json!([]));
    assert_eq!(warnings(&bad)[0]["code"], "kqlite::lint::detection_output");
    assert!(warnings(&bad)[0]["message"].as_str().unwrap().contains("Timestamp, ReportId"));
}

#[test]
fn baselines_hide_known_findings_only() {
    let d = scratch("baseline");
    let f = write(&d, "hunt.kql", "DeviceProcessEvents\n| join (DeviceNetworkEvents) on DeviceId\n");
    let b = d.join("baseline.json");
    let o = kqlite(&["check", &f, "--write-baseline", b.to_str().unwrap(), "--deny", "warnings"]);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("wrote 2 findings"), "{}", o.stderr);
    let o = kqlite(&["check", &f, "--baseline", b.to_str().unwrap(), "--deny", "warnings"]);
    assert_eq!(o.code, 0, "{}", o.stdout);
    assert!(o.stdout.contains("2 findings in the baseline not shown"), "{}", o.stdout);
    // a new finding (a line moved: still known; a new join: new)
    write(&d, "hunt.kql", "// moved down\nDeviceProcessEvents\n| join (DeviceNetworkEvents) on DeviceId\n| join (DeviceLogonEvents) on DeviceId\n");
    let o = kqlite(&["check", &f, "--baseline", b.to_str().unwrap(), "--format", "json"]);
    let l = &json_lines(&o.stdout)[0];
    assert_eq!(l["warnings"].as_array().unwrap().len(), 1, "{l}");
    assert_eq!(l["warnings"][0]["line"], 4);
    // never overwrites a file that is not a baseline
    let other = write(&d, "notes.json", "{\"mine\": true}");
    let o = kqlite(&["check", &f, "--write-baseline", &other]);
    assert_eq!(o.code, 2);
    assert_eq!(std::fs::read_to_string(&other).unwrap(), "{\"mine\": true}");
}

#[test]
fn include_exclude_and_kqliteignore() {
    let d = scratch("filters");
    write(&d, "a/x.kql", "DeviceEvents | take 1");
    write(&d, "a/drafts/y.kql", "DeviceEvents | take 1");
    write(&d, "b/z.kql", "DeviceEvents | take 1");
    write(&d, ".kqliteignore", "# drafts are not checked\ndrafts/\n");
    let files = |args: &[&str]| -> Vec<String> {
        let mut a = vec!["check", d.to_str().unwrap(), "--format", "json"];
        a.extend_from_slice(args);
        json_lines(&kqlite(&a).stdout)
            .iter()
            .map(|l| Path::new(l["file"].as_str().unwrap()).strip_prefix(&d).unwrap().display().to_string())
            .collect()
    };
    assert_eq!(files(&[]), ["a/x.kql", "b/z.kql"]);
    assert_eq!(files(&["--include", "b/**"]), ["b/z.kql"]);
    assert_eq!(files(&["--exclude", "a"]), ["b/z.kql"]);
}

#[test]
fn schemas_in_sentinel_custom_table_format_and_schema_only() {
    let d = scratch("schemas");
    write(
        &d,
        "tables/Custom_CL.json",
        r#"{"Name": "Custom_CL", "Properties": [{"Name": "TimeGenerated", "Type": "DateTime"}, {"Name": "Msg", "Type": "String"}, {"Name": "Ok", "Type": "Boolean"}]}"#,
    );
    let q = write(&d, "q.kql", "Custom_CL | where Ok | project TimeGenerated, Msg");
    assert_eq!(kqlite(&["check", &q]).code, 1);
    let o = kqlite(&["check", &q, "--schema", d.join("tables").to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.code, 0, "{}", o.stdout);
    assert_eq!(json_lines(&o.stdout)[0]["columns"][0]["type"], "datetime");
    let both =
        write(&d, "both.kql", "Custom_CL | join kind=inner (SigninLogs) on $left.Msg == $right.UserPrincipalName");
    let schema = d.join("tables").display().to_string();
    assert_eq!(kqlite(&["check", &both, "--schema", &schema]).code, 0);
    let o = kqlite(&["check", &both, "--schema", &schema, "--schema-only"]);
    assert_eq!(o.code, 1);
    assert!(o.stdout.contains("kqlite::bind::unknown_table"), "{}", o.stdout);
}

#[test]
fn sarif_junit_and_github_outputs() {
    let failing = root().join("examples/pack/failing");
    let o = kqlite(&["check", failing.to_str().unwrap(), "--format", "sarif"]);
    assert_eq!(o.code, 1);
    let s: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(s["version"], "2.1.0");
    assert_eq!(s["$schema"], "https://json.schemastore.org/sarif-2.1.0.json");
    let run = &s["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "kqlite");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert!(results.len() >= 5, "{}", o.stdout);
    for r in results {
        // every result names a rule of the driver by id and index, and a region in a relative file
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
        assert!(!r["message"]["text"].as_str().unwrap().is_empty());
        let loc = &r["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert!(root().join(uri).is_file() || Path::new(uri).is_file() || uri.starts_with("file://"), "{uri}");
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(loc["region"]["startColumn"].as_u64().unwrap() >= 1);
    }
    for r in rules {
        assert!(r["shortDescription"]["text"].is_string() && r["help"]["text"].is_string(), "{r}");
        assert!(["error", "warning"].contains(&r["defaultConfiguration"]["level"].as_str().unwrap()));
    }
    let lint = rules.iter().find(|r| r["id"] == "kqlite::lint::contains_could_be_has").unwrap();
    assert!(lint["fullDescription"]["text"].as_str().unwrap().contains("term index"));

    let j = kqlite(&["check", failing.to_str().unwrap(), "--format", "junit"]);
    let doc = roxmltree::Document::parse(&j.stdout).unwrap();
    let top = doc.root_element();
    assert_eq!(top.tag_name().name(), "testsuites");
    assert_eq!(top.attribute("tests"), Some("3"));
    assert_eq!(top.attribute("failures"), Some("3"));
    assert_eq!(doc.descendants().filter(|n| n.has_tag_name("failure")).count(), 3);

    let g = kqlite(&["check", failing.to_str().unwrap(), "--format", "github"]);
    let lines: Vec<&str> = g.stdout.lines().collect();
    assert!(lines.iter().all(|l| l.starts_with("::error file=") || l.starts_with("::warning file=")), "{}", g.stdout);
    assert!(lines.iter().any(|l| l.contains("typo-unknown-column.kql,line=6,col=9")
        && l.contains("title=kqlite%3A%3Abind%3A%3Aunknown_column::")));
}

#[test]
fn the_example_pack_checks_and_tests_clean() {
    let pack = root().join("examples/pack");
    let o = kqlite(&["check", pack.to_str().unwrap()]);
    assert_eq!(o.code, 0, "{}", o.stdout);
    assert!(!o.stdout.contains("failing/"), ".kqliteignore keeps failing/ out: {}", o.stdout);
    let o = kqlite(&["test", pack.to_str().unwrap()]);
    assert_eq!(o.code, 0, "{}", o.stdout);
    assert!(o.stdout.contains("15 tests: 15 passed, 0 failed"), "{}", o.stdout);
}

#[test]
fn a_failing_test_prints_a_row_diff_and_update_rewrites_it() {
    let failing = root().join("examples/pack/failing/wrong-expectation.test.yaml");
    let o = kqlite(&["test", failing.to_str().unwrap()]);
    assert_eq!(o.code, 1);
    assert!(o.stdout.contains("FAIL  ") && o.stdout.contains("difference:"), "{}", o.stdout);
    assert!(o.stdout.contains("  - ws-fin-01 | alice | 3"), "{}", o.stdout);
    let j = kqlite(&["test", failing.to_str().unwrap(), "--format", "junit"]);
    assert!(roxmltree::Document::parse(&j.stdout).unwrap().descendants().any(|n| n.has_tag_name("failure")));

    // --update on a copy: the expectation is rewritten from the result, the rest of the file is kept
    let d = scratch("update");
    write(
        &d,
        "data/DeviceProcessEvents.json",
        r#"[{"Timestamp": "2025-03-15T10:00:00Z", "DeviceName": "ws1"}, {"Timestamp": "2025-03-15T10:05:00Z", "DeviceName": "ws1"}]"#,
    );
    let t = write(
        &d,
        "count.test.yaml",
        "# keep this comment\nname: per device\nquery: DeviceProcessEvents | summarize n = count() by DeviceName\ntables:\n  DeviceProcessEvents: data/DeviceProcessEvents.json\nexpect:\n  rows:\n    - [ws1, 1]\n",
    );
    let o = kqlite(&["test", &t, "--update"]);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    assert!(o.stderr.contains("updated") && o.stderr.contains("per device"), "{}", o.stderr);
    let text = std::fs::read_to_string(&t).unwrap();
    assert!(text.starts_with("# keep this comment\nname: per device\n"), "{text}");
    assert!(text.contains("  columns: [DeviceName:string, n:long]\n  rows:\n    - [\"ws1\", 2]"), "{text}");
    assert_eq!(kqlite(&["test", &t]).code, 0);
    assert_eq!(kqlite(&["test", d.join("nothing").to_str().unwrap()]).code, 2);
}

#[test]
fn a_query_fragment_reads_the_table_of_its_comment_or_of_table_option() {
    let d = scratch("fragment");
    let with_comment = write(
        &d,
        "commented.kql",
        "// table: DeviceProcessEvents\n| where FileName =~ \"powershell.exe\"\n| project Timestamp, DeviceName\n",
    );
    let bare = write(&d, "bare.kql", "| where FileName =~ \"powershell.exe\"\n| project Timestamp, DeviceName\n");
    let o = kqlite(&["check", &with_comment, "--format", "json"]);
    assert_eq!(o.code, 0, "{}", o.stdout);
    assert_eq!(json_lines(&o.stdout)[0]["columns"][1]["name"], "DeviceName");
    // without a table: a syntax error at the first `|` that says how to name one
    let o = kqlite(&["check", &bare, "--format", "json"]);
    assert_eq!(o.code, 1, "{}", o.stdout);
    let l = &json_lines(&o.stdout)[0]["errors"][0];
    assert_eq!(l["code"], "kqlite::parse::syntax", "{l}");
    assert!(l["message"].as_str().unwrap().contains("// table: Name"), "{l}");
    assert_eq!((l["line"].as_u64(), l["col"].as_u64()), (Some(1), Some(1)));
    let o = kqlite(&["check", &bare, "--table", "DeviceFileEvents", "--format", "json"]);
    assert_eq!(o.code, 0, "{}", o.stdout);
    // a name the table does not have is reported as in any query
    let o = kqlite(&["check", &bare, "--table", "DeviceLogonEvents", "--format", "json"]);
    assert_eq!(o.code, 1, "{}", o.stdout);
    assert_eq!(json_lines(&o.stdout)[0]["errors"][0]["code"], "kqlite::bind::unknown_column");
}

#[test]
fn a_query_of_several_statements_reports_every_result_table() {
    let d = scratch("several");
    let f = write(&d, "two.kql", "DeviceEvents | count;\nDeviceEvents | take 1 | project DeviceName, Timestamp\n");
    let o = kqlite(&["check", &f, "--format", "json"]);
    assert_eq!(o.code, 0, "{}", o.stdout);
    let l = &json_lines(&o.stdout)[0];
    assert_eq!(l["tables"][0], serde_json::json!([{"name": "Count", "type": "long"}]), "{l}");
    assert_eq!(l["tables"][1][0]["name"], "DeviceName", "{l}");
    assert_eq!(l["columns"], l["tables"][1], "{l}");
    let o = kqlite(&["check", &f]);
    assert!(o.stdout.contains("(2 result tables: 1, 2 columns)"), "{}", o.stdout);
}
