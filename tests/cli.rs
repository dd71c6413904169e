//! Golden tests of the `kqlite` binary: exit codes, stdout, and diagnostics on stderr.

// Test code: a failed expectation should panic with its message.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

mod common;
use common::kqlite;

/// A fresh scratch folder under the target dir.
fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(dir: &Path, file: &str, text: &str) -> String {
    let p = dir.join(file);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn truncated_json_is_exit_6_naming_file_and_line() {
    let d = scratch("truncated");
    let f = write(&d, "DeviceEvents.json", "[{\"DeviceName\":\"a\"},\n{\"DeviceName\":\"b\",");
    let o = kqlite(&["run", "-e", "DeviceEvents | take 1", "--data", &f]);
    assert_eq!(o.code, 6, "{}", o.stderr);
    assert!(o.stderr.contains("DeviceEvents.json:2:"), "{}", o.stderr);
    assert!(o.stderr.contains("kqlite::load::json"), "{}", o.stderr);
}

#[test]
fn bad_ndjson_line_names_its_line() {
    let d = scratch("ndjson");
    let f = write(&d, "T.ndjson", "{\"a\":1}\n{\"a\":2}\n{\"a\":\n");
    let o = kqlite(&["run", "-e", "T | count", "--data", &f]);
    assert_eq!(o.code, 6);
    assert!(o.stderr.contains("T.ndjson:3:"), "{}", o.stderr);
}

#[test]
fn unknown_column_is_exit_4_with_span_and_suggestion() {
    let o = kqlite(&["run", "-e", "DeviceEvents | where DevcieName == \"pc1\""]);
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(o.stderr.contains("kqlite::bind::unknown_column"), "{}", o.stderr);
    assert!(o.stderr.contains("<query>:1:22"), "{}", o.stderr);
    assert!(o.stderr.contains("did you mean 'DeviceName'?"), "{}", o.stderr);
    assert!(o.stdout.is_empty());
}

#[test]
fn parse_kv_invalid_regex_is_reported_at_the_regex() {
    let o = kqlite(&["run", "-e", r#"print s = "a=1" | parse-kv s as (a:long) with (regex=@"(\w+=(\w+)")"#]);
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(o.stderr.contains("kqlite::bind::invalid_argument"), "{}", o.stderr);
    assert!(o.stderr.contains("<query>:1:54"), "{}", o.stderr);
    assert!(o.stderr.contains("unclosed group"), "{}", o.stderr);
}

#[test]
fn syntax_error_is_exit_3() {
    let o = kqlite(&["run", "-e", "DeviceEvents | where"]);
    assert_eq!(o.code, 3);
    assert!(o.stderr.contains("kqlite::parse::syntax"), "{}", o.stderr);
}

#[test]
fn usage_errors_are_exit_2() {
    assert_eq!(kqlite(&["run"]).code, 2);
    assert_eq!(kqlite(&["run", "-e", "print 1", "--format", "xml"]).code, 2);
    assert_eq!(kqlite(&["run", "-e", "print 1", "--now", "yesterday"]).code, 2);
    assert_eq!(kqlite(&["frobnicate"]).code, 2);
    assert_eq!(kqlite(&["run", "-e", "print 1", "--set", "novalue"]).code, 2);
}

#[test]
fn missing_data_path_is_exit_6() {
    let o = kqlite(&["run", "-e", "print 1", "--data", "/nonexistent/dump"]);
    assert_eq!(o.code, 6);
    assert!(o.stderr.contains("/nonexistent/dump"), "{}", o.stderr);
}

#[test]
fn set_replaces_a_top_level_let() {
    let q = "let Device = \"pc1\"; let Window = 1d; print d = Device, w = Window";
    let o = kqlite(&["run", "-e", q, "--format", "csv", "--set", "Device=\"pc9\"", "--set", "Window=3d"]);
    assert_eq!(o.stdout, "d,w\npc9,3.00:00:00\n", "{}", o.stderr);
    // a bare word that is no literal is taken as a string
    let o = kqlite(&["run", "-e", q, "--format", "csv", "--set", "Device=testmachine3"]);
    assert_eq!(o.stdout, "d,w\ntestmachine3,1.00:00:00\n", "{}", o.stderr);
    let o = kqlite(&[
        "run",
        "-e",
        "let Hosts = dynamic([]); print n = array_length(Hosts)",
        "--format",
        "csv",
        "--set",
        "Hosts=dynamic([\"a\",\"b\"])",
    ]);
    assert_eq!(o.stdout, "n\n2\n", "{}", o.stderr);
}

#[test]
fn now_pins_ago() {
    let o = kqlite(&["run", "-e", "print a = ago(1d), n = now()", "--now", "2025-03-15T00:00:00Z", "--format", "csv"]);
    assert_eq!(o.stdout, "a,n\n2025-03-14T00:00:00Z,2025-03-15T00:00:00Z\n", "{}", o.stderr);
}

const ROWS: &str = r#"[
 {"Timestamp":"2025-03-14T10:00:00.1234567Z","DeviceName":"pc1","ActionType":"ConnectionSuccess","RemotePort":443,"AdditionalFields":{"k":[1,2]}},
 {"Timestamp":"2025-03-14T11:00:00Z","DeviceName":"pc2","ActionType":"InboundConnectionAccepted","RemotePort":3389}
]"#;

#[test]
fn output_formats() {
    let d = scratch("formats");
    let f = write(&d, "DeviceNetworkEvents.json", ROWS);
    let q = "DeviceNetworkEvents | project Timestamp, DeviceName, RemotePort, AdditionalFields, Age = now() - Timestamp | sort by Timestamp asc";
    let run = |fmt: &str| kqlite(&["run", "-e", q, "--data", &f, "--now", "2025-03-15T00:00:00Z", "--format", fmt]);
    let csv = run("csv");
    assert_eq!(
        csv.stdout,
        "Timestamp,DeviceName,RemotePort,AdditionalFields,Age\n\
         2025-03-14T10:00:00.1234567Z,pc1,443,\"{\"\"k\"\":[1,2]}\",13:59:59.8765433\n\
         2025-03-14T11:00:00Z,pc2,3389,,13:00:00\n",
        "{}",
        csv.stderr
    );
    let json = run("json");
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    // AdditionalFields is a string column in Defender's DeviceNetworkEvents: the JSON text, "" when absent
    assert_eq!(v[0]["AdditionalFields"], "{\"k\":[1,2]}");
    assert_eq!(v[1]["AdditionalFields"], "");
    assert_eq!(v[1]["Age"], "13:00:00");
    let nd = run("ndjson");
    assert_eq!(nd.stdout.lines().count(), 2);
    let table = run("table");
    assert!(table.stdout.contains("pc1") && table.stderr.contains("2 rows"), "{}{}", table.stdout, table.stderr);
}

#[test]
fn typed_json_loads_back_as_a_table() {
    let d = scratch("typed");
    let f = write(&d, "DeviceNetworkEvents.json", ROWS);
    let q = "DeviceNetworkEvents | project Timestamp, DeviceName, RemotePort, AdditionalFields";
    let o = kqlite(&["run", "-e", q, "--data", &f, "--format", "typed-json"]);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["tables"][0]["name"], "PrimaryResult");
    assert_eq!(v["tables"][0]["columns"][0], serde_json::json!({"name":"Timestamp","type":"datetime"}));
    assert_eq!(v["tables"][0]["columns"][2], serde_json::json!({"name":"RemotePort","type":"int"}));
    let back = write(&d, "Result.json", &o.stdout);
    let again = kqlite(&["run", "-e", "Result | sort by Timestamp asc", "--data", &back, "--format", "typed-json"]);
    let w: serde_json::Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!(v["tables"][0]["columns"], w["tables"][0]["columns"]);
    assert_eq!(v["tables"][0]["rows"], w["tables"][0]["rows"]);
}

#[test]
fn catalog_table_without_data_is_empty_with_a_notice() {
    let o = kqlite(&["run", "-e", "DeviceLogonEvents | count", "--format", "csv"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, "Count\n0\n");
    assert!(o.stderr.contains("DeviceLogonEvents has no data loaded"), "{}", o.stderr);
}

#[test]
fn defender_dump_serves_time_generated_and_missing_columns() {
    let d = scratch("timegen");
    let f = write(&d, "DeviceNetworkEvents.json", ROWS);
    // Sentinel-style query over a Defender export: TimeGenerated comes from Timestamp; a catalog column
    // the dump lacks (InitiatingProcessFileName) is present and empty.
    let q = "DeviceNetworkEvents | where TimeGenerated > ago(1d) | project TimeGenerated, InitiatingProcessFileName, DeviceName | sort by TimeGenerated asc";
    let o = kqlite(&["run", "-e", q, "--data", &f, "--now", "2025-03-15T00:00:00Z", "--format", "csv"]);
    assert_eq!(o.stdout, "TimeGenerated,InitiatingProcessFileName,DeviceName\n2025-03-14T10:00:00.1234567Z,,pc1\n2025-03-14T11:00:00Z,,pc2\n", "{}", o.stderr);
}

#[test]
fn api_response_shapes_load() {
    let d = scratch("api");
    let la = write(
        &d,
        "Signins.json",
        r#"{"tables":[{"name":"PrimaryResult","columns":[{"name":"TimeGenerated","type":"datetime"},{"name":"UserPrincipalName","type":"string"},{"name":"RiskLevel","type":"long"},{"name":"Props","type":"dynamic"}],
            "rows":[["2025-03-14T10:00:00Z","ann@contoso.com",3,"{\"ip\":\"10.0.0.1\"}"],["2025-03-14T11:00:00Z","bob@contoso.com",null,null]]}]}"#,
    );
    let o = kqlite(&[
        "run",
        "-e",
        "Signins | extend ip = tostring(Props.ip) | project UserPrincipalName, RiskLevel, ip",
        "--data",
        &la,
        "--format",
        "csv",
    ]);
    assert_eq!(
        o.stdout, "UserPrincipalName,RiskLevel,ip\nann@contoso.com,3,10.0.0.1\nbob@contoso.com,,\n",
        "{}",
        o.stderr
    );
    let md = write(
        &d,
        "Hunt.json",
        r#"{"Schema":[{"Name":"Timestamp","Type":"DateTime"},{"Name":"DeviceName","Type":"String"},{"Name":"Count","Type":"Int64"}],
            "Results":[{"Timestamp":"2025-03-14T10:00:00Z","DeviceName":"pc1","Count":5}]}"#,
    );
    let o = kqlite(&["run", "-e", "Hunt | project DeviceName, Count, Timestamp", "--data", &md, "--format", "csv"]);
    assert_eq!(o.stdout, "DeviceName,Count,Timestamp\npc1,5,2025-03-14T10:00:00Z\n", "{}", o.stderr);
}

#[test]
fn sample_is_deterministic_loads_back_and_never_overwrites() {
    let d = scratch("sample");
    let a = d.join("a");
    let b = d.join("b");
    let args = |out: &Path| {
        vec![
            "sample".to_string(),
            "--out".into(),
            out.display().to_string(),
            "--rows".into(),
            "30".into(),
            "--tables".into(),
            "DeviceProcessEvents,DeviceNetworkEvents,AuditLogs".into(),
            "--seed".into(),
            "42".into(),
            "--end".into(),
            "2025-03-15T00:00:00Z".into(),
        ]
    };
    let run = |out: &Path| {
        let a = args(out);
        kqlite(&a.iter().map(|s| s.as_str()).collect::<Vec<_>>())
    };
    assert_eq!(run(&a).code, 0);
    assert_eq!(run(&b).code, 0);
    for t in ["DeviceProcessEvents.json", "DeviceNetworkEvents.json", "AuditLogs.json"] {
        assert_eq!(std::fs::read(a.join(t)).unwrap(), std::fs::read(b.join(t)).unwrap(), "{t} differs between runs");
    }
    // the same devices appear in both Defender tables, so a join finds rows
    let q = "DeviceProcessEvents | join kind=inner (DeviceNetworkEvents | distinct DeviceId) on DeviceId | count";
    let o = kqlite(&["run", "-e", q, "--data", a.to_str().unwrap(), "--format", "csv"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_ne!(o.stdout, "Count\n0\n");
    let before = std::fs::read(a.join("AuditLogs.json")).unwrap();
    let again = run(&a);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    assert_eq!(std::fs::read(a.join("AuditLogs.json")).unwrap(), before);
    let bad = kqlite(&["sample", "--out", d.join("c").to_str().unwrap(), "--tables", "DeviceEvnts"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("did you mean") && bad.stderr.contains("'DeviceEvents'?"), "{}", bad.stderr);
}

/// Half of each sample table tells one incident (ws-102, ann, the last 36 hours, every hunted ActionType), and
/// the pools make alerts, mails and addresses join across tables: typical DFIR queries return rows.
#[test]
fn sample_tells_an_incident_that_dfir_queries_find() {
    let d = scratch("sample-incident").join("out");
    let tables = "DeviceEvents,DeviceNetworkEvents,DeviceNetworkInfo,AlertInfo,AlertEvidence,EmailEvents,\
                  EmailAttachmentInfo,CloudAppEvents,IdentityDirectoryEvents";
    let o = kqlite(&["sample", "--out", d.to_str().unwrap(), "--tables", tables, "--end", "2025-03-15T00:00:00Z"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let run = |q: &str| {
        let o = kqlite(&[
            "run",
            "-e",
            q,
            "--data",
            d.to_str().unwrap(),
            "--now",
            "2025-03-15T00:00:00Z",
            "--format",
            "csv",
        ]);
        assert_eq!(o.code, 0, "{q}\n{}", o.stderr);
        o.stdout
    };
    // each hunted ActionType is on the incident device within 48 hours, with the AdditionalFields keys Defender writes
    let q = "DeviceEvents | where Timestamp > ago(48h) and DeviceName == 'ws-102.contoso.com' \
             | where ActionType in ('AntivirusDetection', 'TamperingAttempt', 'SmartScreenUrlWarning', 'BrowserLaunchedToOpenUrl') \
             | summarize n = count(), threat = take_any(tostring(parse_json(AdditionalFields).ThreatName)) by ActionType \
             | where n > 0 | count";
    assert_eq!(run(q), "Count\n4\n");
    assert!(run(
        "DeviceEvents | where ActionType startswith 'ASR' and DeviceName startswith 'ws-102' | take 1 | count"
    )
    .ends_with("\n1\n"));
    // alerts and their evidence share AlertIds; mails their NetworkMessageIds and InternetMessageIds
    assert_ne!(run("AlertEvidence | join kind=inner AlertInfo on AlertId | count"), "Count\n0\n");
    assert_ne!(run("EmailEvents | join kind=inner EmailAttachmentInfo on NetworkMessageId | count"), "Count\n0\n");
    let mail = "CloudAppEvents | where ActionType == 'MailItemsAccessed' \
                | extend Id = tostring(parse_json(RawEventData).Folders[0].FolderItems[0].InternetMessageId) \
                | join kind=inner EmailEvents on $left.Id == $right.InternetMessageId | count";
    assert_ne!(run(mail), "Count\n0\n");
    // private remote addresses are other devices' addresses, found in DeviceNetworkInfo's IPAddresses
    let lateral = "DeviceNetworkEvents | where RemoteIPType == 'Private' | distinct RemoteIP \
                   | join kind=inner (DeviceNetworkInfo | mv-expand A = parse_json(IPAddresses) \
                   | extend RemoteIP = tostring(A.IPAddress) | distinct RemoteIP, DeviceName) on RemoteIP | count";
    assert_ne!(run(lateral), "Count\n0\n");
    let groups = "IdentityDirectoryEvents | where ActionType == 'Group Membership changed' \
                  | extend G = tostring(parse_json(AdditionalFields).['TO.GROUP']) | distinct G";
    assert_eq!(run(groups), "G\nDomain Admins\n");
}

#[test]
fn check_reports_markdown_lines_and_json() {
    let d = scratch("check");
    let md = write(
        &d,
        "pack.md",
        "# Pack\n\nSome text.\n\n```kql\nDeviceEvents\n| where DevcieName == \"x\"\n```\n\n```kusto\nDeviceEvents | summarize count() by DeviceName\n```\n",
    );
    let o = kqlite(&["check", &md]);
    assert_eq!(o.code, 1);
    assert!(o.stdout.contains("pack.md:6  kqlite::bind::unknown_column"), "{}", o.stdout);
    assert!(o.stdout.contains("pack.md:7:9]"), "{}", o.stdout);
    assert!(o.stdout.contains("checked 2 queries: 1 ok, 1 failing"), "{}", o.stdout);
    let j = kqlite(&["check", &md, "--format", "json"]);
    let lines: Vec<serde_json::Value> = j.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["ok"], false);
    assert_eq!(lines[0]["errors"][0]["code"], "kqlite::bind::unknown_column");
    assert_eq!(lines[0]["errors"][0]["line"], 7);
    assert_eq!(lines[0]["errors"][0]["col"], 9);
    assert_eq!(
        lines[1]["columns"],
        serde_json::json!([{"name":"DeviceName","type":"string"},{"name":"count_","type":"long"}])
    );
    let kql = write(&d, "ok.kql", "let x = 1;\nprint x");
    assert_eq!(kqlite(&["check", &kql]).code, 0);
    let schema = write(&d, "schema.json", r#"{"tables": {"MyTable": {"columns": [["A", "string"], ["B", "long"]]}}}"#);
    let custom = write(&d, "custom.kql", "MyTable | summarize sum(B) by A");
    assert_eq!(kqlite(&["check", &custom]).code, 1);
    assert_eq!(kqlite(&["check", &custom, "--schema", &schema]).code, 0);
    assert_eq!(kqlite(&["check", "/nonexistent/pack"]).code, 2);
}

#[test]
fn corpus_checks_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = kqlite(&["check", root.join("corpus").to_str().unwrap()]);
    assert_eq!(o.code, 0, "{}", o.stdout);
}

#[test]
fn explain_prints_stage_schemas_and_both_plans_without_reading_rows() {
    let d = scratch("explain");
    // a data file that is malformed past the sampled first MiB: reading it would fail with exit 6
    let mut text = String::from("[\n");
    for i in 0..20000 {
        text.push_str(&format!(
            "{{\"Timestamp\":\"2025-03-14T10:00:00Z\",\"DeviceName\":\"pc{i}\",\"Pad\":\"{}\"}},\n",
            "x".repeat(40)
        ));
    }
    text.push_str("{\"DeviceName\": oops}\n]\n");
    write(&d, "DeviceInfo.json", &text);
    let data = d.display().to_string();
    let o = kqlite(&["explain", "-e", "DeviceInfo | where DeviceName startswith 'pc1' | count", "--data", &data]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("| where DeviceName startswith 'pc1'"), "{}", o.stdout);
    assert!(o.stdout.contains("(Count:long)"), "{}", o.stdout);
    assert!(o.stdout.contains("KqliteScan: table=DeviceInfo"), "{}", o.stdout);
    // bind before load: a typo exits 4 without reading the file; running it reads the file and exits 6
    let o = kqlite(&["run", "-e", "DeviceInfo | where DeviceNme == 'x'", "--data", &data]);
    assert_eq!(o.code, 4, "{}", o.stderr);
    let o = kqlite(&["run", "-e", "DeviceInfo | count", "--data", &data]);
    assert_eq!(o.code, 6, "{}", o.stderr);
    assert!(o.stderr.contains("DeviceInfo.json:20002:"), "{}", o.stderr);
}

#[test]
fn a_range_past_the_limit_is_an_error_not_a_cut_result() {
    let o = kqlite(&["run", "-e", "range x from 1 to 10000000000 step 1 | count"]);
    assert_eq!(o.code, 5, "{}", o.stderr);
    assert!(o.stderr.contains("makes at most 10000000"), "{}", o.stderr);
}

#[test]
fn a_closed_stderr_is_no_panic() {
    use std::process::{Command, Stdio};
    // the reader of stderr goes away at once (as `2>&1 | head -1` does): kqlite still exits with its own code
    let mut child = Command::new(env!("CARGO_BIN_EXE_kqlite"))
        .args(["run", "-e", "print x = 1 | where y == 2"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(4), "{status:?}");
}

#[test]
fn several_tabular_statements_print_one_result_each_in_order() {
    let o = kqlite(&[
        "run",
        "-e",
        "let T = range x from 1 to 3 step 1; T | count; T | where x > 2 | project y = x",
        "--format",
        "csv",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, "Count\n3\ny\n3\n");
}
