//! Loading `--data`: every file shape kqlite reads, folders, globs, types, coercion and bad input, each run
//! through the `kqlite` binary (`run --data PATH -e QUERY --format csv`) and checked on exit code, stdout and
//! stderr. Text fixtures are under tests/data/load/; binary ones (gzip, zstd, cut streams, invalid UTF-8, huge
//! or deeply nested rows) are written at test time into a scratch folder under the system temp dir.

// Test code: a failed expectation should panic with its message.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::io::Write;
use std::path::{Path, PathBuf};

mod common;
use common::{kqlite, Out};

/// `kqlite run --data PATH -e QUERY --format csv`, plus any further arguments.
fn run(data: &Path, query: &str, more: &[&str]) -> Out {
    let mut args = vec!["run", "--data", data.to_str().unwrap(), "-e", query, "--format", "csv"];
    args.extend_from_slice(more);
    kqlite(&args)
}

/// A file or folder under tests/data/load/.
fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/load").join(rel)
}

/// A fresh scratch folder under the system temp dir, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let d = std::env::temp_dir().join(format!("kqlite-load-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Scratch(d)
    }

    fn write(&self, file: &str, bytes: &[u8]) -> PathBuf {
        let p = self.0.join(file);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(bytes, 3).unwrap()
}

/// stderr has the load line `loaded {what} (SIZE) in X s`, e.g. `what` = `3 rows of T from 1 file`.
fn assert_loaded(o: &Out, what: &str) {
    let prefix = format!("loaded {what} (");
    assert!(
        o.stderr.lines().any(|l| l.starts_with(&prefix) && l.contains(") in ") && l.contains(" s")),
        "no line `{prefix}... in X s` on stderr:\n{}",
        o.stderr
    );
}

/// stderr names `FILE:LINE:COL` for some line and column.
fn assert_file_line_col(stderr: &str, file: &str) {
    let found = stderr.match_indices(&format!("{file}:")).any(|(i, m)| {
        let rest = &stderr[i + m.len()..];
        let line: String = rest.chars().take_while(char::is_ascii_digit).collect();
        !line.is_empty()
            && rest[line.len()..].starts_with(':')
            && rest[line.len() + 1..].starts_with(|c: char| c.is_ascii_digit())
    });
    assert!(found, "no `{file}:LINE:COL` on stderr:\n{stderr}");
}

const HUNT_ROWS: &str = "Timestamp,DeviceName,Port,Score,Tags,Note\n\
    2025-03-14T10:00:00Z,pc1,443,1,\"[\"\"a\"\",\"\"b\"\"]\",first\n\
    2025-03-14T11:00:00.1234567Z,pc2,3389,2.5,\"{\"\"k\"\":1}\",\"second, with a comma\"\n\
    2025-03-14T12:00:00Z,pc3,22,3,,7\n";

const SIGNIN_LINES: &str = "TimeGenerated,UserPrincipalName,ResultType,Location\n\
    2025-03-14T10:00:00Z,ann@contoso.com,0,DE\n\
    2025-03-14T10:05:00Z,bob@contoso.com,50126,FR\n\
    2025-03-14T10:07:00Z,eve@contoso.com,50053,\n";

// ---------------------------------------------------------------------------------------------------------
// Shapes

// A JSON array of row objects: what the Defender portal's "Export" of hunting results and most scripts write.
// Types come from the values: ISO datetimes with T, integers, ints mixed with reals, objects/arrays, mixed text.
#[test]
fn json_array_of_rows_with_inferred_types() {
    let f = fixture("array/HuntRows.json");
    let o = run(&f, "HuntRows | sort by Timestamp asc", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, HUNT_ROWS, "{}", o.stderr);
    assert_loaded(&o, "3 rows of HuntRows from 1 file");
    let o = run(&f, "HuntRows | getschema | project ColumnName, ColumnType", &[]);
    assert_eq!(
        o.stdout,
        "ColumnName,ColumnType\nTimestamp,datetime\nDeviceName,string\nPort,long\nScore,real\nTags,dynamic\nNote,string\n",
        "{}",
        o.stderr
    );
}

// NDJSON, one object per line with blank lines between: `az monitor log-analytics query ... | jq -c '.[]'`
// and most SIEM forwarders' line-delimited output.
#[test]
fn ndjson_with_blank_lines() {
    let o = run(&fixture("ndjson/SigninLines.ndjson"), "SigninLines | sort by TimeGenerated asc", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, SIGNIN_LINES, "{}", o.stderr);
    assert_loaded(&o, "3 rows of SigninLines from 1 file");
}

// The Defender advanced-hunting API response (`POST /api/advancedqueries/run`): `Schema` declares the types,
// and they win over what the values look like (FirstSeen is declared String though it holds datetimes).
#[test]
fn defender_api_response_uses_its_declared_types() {
    let f = fixture("defender/DefenderHunt.json");
    let o = run(&f, "DefenderHunt | extend ip = tostring(Extra.ip) | sort by Timestamp asc", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.stdout,
        "Timestamp,DeviceName,ReportId,FirstSeen,Extra,ip\n\
         2025-03-14T10:00:00Z,pc1,11,2025-03-01T00:00:00Z,\"{\"\"ip\"\":\"\"10.0.0.1\"\"}\",10.0.0.1\n\
         2025-03-14T11:00:00.1234567Z,pc2,12,2025-03-02T00:00:00Z,\"{\"\"ip\"\":\"\"10.0.0.2\"\"}\",10.0.0.2\n\
         2025-03-14T12:00:00Z,pc3,13,2025-03-03T00:00:00Z,,\n",
        "{}",
        o.stderr
    );
    assert_loaded(&o, "3 rows of DefenderHunt from 1 file");
    let o = run(&f, "DefenderHunt | getschema | project ColumnName, ColumnType", &[]);
    assert_eq!(
        o.stdout,
        "ColumnName,ColumnType\nTimestamp,datetime\nDeviceName,string\nReportId,long\nFirstSeen,string\nExtra,dynamic\n",
        "{}",
        o.stderr
    );
}

// A Defender API response whose Boolean column was written by different tools: true/false, "True", 1 and 0.
#[test]
fn booleans_accept_true_false_text_and_numbers() {
    let o = run(&fixture("defender/Flags.json"), "Flags | sort by Id asc", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, "Id,IsAdmin\n1,true\n2,false\n3,true\n4,true\n5,false\n", "{}", o.stderr);
    assert_loaded(&o, "5 rows of Flags from 1 file");
}

// The Microsoft Graph `security/runHuntingQuery` response: `@odata.context`, lower-case `schema`/`results`.
#[test]
fn graph_hunting_response() {
    let f = fixture("graph/GraphHunt.json");
    let o = run(&f, "GraphHunt | sort by Timestamp asc", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.stdout,
        "Timestamp,DeviceName,RemotePort\n\
         2025-03-14T10:00:00Z,pc1,443\n2025-03-14T10:30:00Z,pc2,80\n2025-03-14T11:00:00Z,pc3,3389\n",
        "{}",
        o.stderr
    );
    assert_loaded(&o, "3 rows of GraphHunt from 1 file");
    let o = run(&f, "GraphHunt | getschema | project ColumnName, ColumnType", &[]);
    assert_eq!(
        o.stdout, "ColumnName,ColumnType\nTimestamp,datetime\nDeviceName,string\nRemotePort,int\n",
        "{}",
        o.stderr
    );
}

// The Log Analytics query API response (`az monitor log-analytics query`, REST `/v1/workspaces/.../query`):
// several tables a file; PrimaryResult takes the file's name, the others their own.
#[test]
fn log_analytics_response_with_two_tables() {
    let f = fixture("loganalytics/Workspace.json");
    let o = run(&f, "Workspace | sort by TimeGenerated asc", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.stdout,
        "TimeGenerated,Computer,EventID\n\
         2025-03-14T10:00:00Z,dc1,4624\n2025-03-14T10:01:00Z,dc1,4625\n2025-03-14T10:02:00Z,dc2,4672\n",
        "{}",
        o.stderr
    );
    assert_loaded(&o, "3 rows of Workspace from 1 file");
    let o = run(&f, "ExtraRows | sort by Value asc", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, "Key,Value\nrows,3\nms,17\n", "{}", o.stderr);
    assert_loaded(&o, "2 rows of ExtraRows from 1 file");
}

// Defender streaming API to Event Hubs: `{"records":[...]}` batches; each record goes to the table its category
// names, and `time` fills Timestamp when the properties lack it (pc2's row).
#[test]
fn streaming_records_go_to_their_category_tables() {
    let f = fixture("records/EventHubBatch.json");
    let o = run(
        &f,
        "DeviceProcessEvents | project Timestamp, DeviceName, FileName, ProcessId | sort by Timestamp asc",
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.stdout,
        "Timestamp,DeviceName,FileName,ProcessId\n\
         2025-03-14T10:00:00.1234567Z,pc1,cmd.exe,100\n2025-03-14T10:05:00Z,pc2,powershell.exe,200\n",
        "{}",
        o.stderr
    );
    assert_loaded(&o, "2 rows of DeviceProcessEvents from 1 file");
    let o = run(
        &f,
        "DeviceNetworkEvents | project Timestamp, DeviceName, RemoteIP, RemotePort | sort by Timestamp asc",
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.stdout,
        "Timestamp,DeviceName,RemoteIP,RemotePort\n\
         2025-03-14T10:06:00Z,pc1,10.0.0.9,445\n2025-03-14T10:07:00Z,pc3,10.0.0.8,3389\n",
        "{}",
        o.stderr
    );
}

// Defender streaming API to a storage account: `insights-logs-advancedhunting-*/y=/m=/d=/h=/m=00/PT1H.json`,
// one record per line.
#[test]
fn streaming_records_one_per_line() {
    let d = fixture("record-lines");
    let o = run(&d, "DeviceEvents | project Timestamp, DeviceName, ActionType | sort by Timestamp asc", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.stdout,
        "Timestamp,DeviceName,ActionType\n\
         2025-03-14T10:00:00Z,pc1,AntivirusDetection\n2025-03-14T10:10:00Z,pc2,TamperingAttempt\n",
        "{}",
        o.stderr
    );
    assert_loaded(&o, "2 rows of DeviceEvents from 1 file");
    let o = run(
        &d,
        "DeviceLogonEvents | project Timestamp, DeviceName, AccountName, LogonType | sort by Timestamp asc",
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.stdout,
        "Timestamp,DeviceName,AccountName,LogonType\n\
         2025-03-14T10:20:00Z,pc1,ann,Interactive\n2025-03-14T10:30:00Z,pc2,bob,Network\n",
        "{}",
        o.stderr
    );
}

// The portal's "Export to CSV": quoted cells holding newlines and doubled quotes, dynamic cells as JSON text.
#[test]
fn csv_export_with_quoted_multiline_cells() {
    let f = fixture("csv/PortalExport.csv");
    let o = run(&f, "PortalExport | extend k = array_length(AdditionalFields.k) | sort by Timestamp asc", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.stdout,
        "Timestamp,DeviceName,ProcessCommandLine,AdditionalFields,Count,k\n\
         2025-03-14T10:00:00Z,pc1,\"cmd.exe /c \"\"echo hi\"\"\",\"{\"\"k\"\":[1,2]}\",3,2\n\
         2025-03-14T11:00:00.1234567Z,pc2,\"powershell -enc\nAAAA\",,4,\n\
         2025-03-14T12:00:00Z,pc3,notepad.exe,\"{\"\"k\"\":[]}\",5,0\n",
        "{}",
        o.stderr
    );
    assert_loaded(&o, "3 rows of PortalExport from 1 file");
    let o = run(&f, "PortalExport | getschema | project ColumnName, ColumnType", &[]);
    assert_eq!(
        o.stdout,
        "ColumnName,ColumnType\nTimestamp,datetime\nDeviceName,string\nProcessCommandLine,string\nAdditionalFields,dynamic\nCount,long\n",
        "{}",
        o.stderr
    );
}

// A tab-separated export (Excel "Text (Tab delimited)", `Export-Csv -Delimiter "`t"`), a comma inside a cell.
#[test]
fn tsv_export() {
    let o = run(&fixture("tsv/LogonExport.tsv"), "LogonExport | sort by Timestamp asc", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.stdout,
        "Timestamp,AccountName,LogonType,Failures\n\
         2025-03-14T10:00:00Z,ann,Interactive,0\n\
         2025-03-14T10:05:00Z,bob,\"Remote, interactive\",2\n\
         2025-03-14T10:09:00Z,eve,Network,5\n",
        "{}",
        o.stderr
    );
    assert_loaded(&o, "3 rows of LogonExport from 1 file");
}

// ---------------------------------------------------------------------------------------------------------
// Compression

// A JSON array export gzipped for transfer (`HuntRows.json.gz`).
#[test]
fn gzip_json_array() {
    let s = Scratch::new("gzip-json");
    let f = s.write("HuntRows.json.gz", &gzip(&std::fs::read(fixture("array/HuntRows.json")).unwrap()));
    let o = run(&f, "HuntRows | sort by Timestamp asc", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, HUNT_ROWS, "{}", o.stderr);
    assert_loaded(&o, "3 rows of HuntRows from 1 file");
}

// An NDJSON dump compressed with zstd (`SigninLines.ndjson.zst`), as log shippers archive it.
#[test]
fn zstd_ndjson() {
    let s = Scratch::new("zstd-ndjson");
    let f = s.write("SigninLines.ndjson.zst", &zstd(&std::fs::read(fixture("ndjson/SigninLines.ndjson")).unwrap()));
    let o = run(&f, "SigninLines | sort by TimeGenerated asc", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, SIGNIN_LINES, "{}", o.stderr);
    assert_loaded(&o, "3 rows of SigninLines from 1 file");
}

// A portal CSV export gzipped (`PortalExport.csv.gz`), multi-line cells included.
#[test]
fn gzip_csv() {
    let s = Scratch::new("gzip-csv");
    let f = s.write("PortalExport.csv.gz", &gzip(&std::fs::read(fixture("csv/PortalExport.csv")).unwrap()));
    let o = run(&f, "PortalExport | project DeviceName, ProcessCommandLine, Count | sort by Count asc", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.stdout,
        "DeviceName,ProcessCommandLine,Count\n\
         pc1,\"cmd.exe /c \"\"echo hi\"\"\",3\npc2,\"powershell -enc\nAAAA\",4\npc3,notepad.exe,5\n",
        "{}",
        o.stderr
    );
    assert_loaded(&o, "3 rows of PortalExport from 1 file");
}

// Compressed files saved without their .gz/.zst suffix (a browser or a blob download dropping it): the magic
// bytes, not the name, say how to read them.
#[test]
fn compression_is_found_by_magic_bytes() {
    let s = Scratch::new("magic");
    let json = std::fs::read(fixture("array/HuntRows.json")).unwrap();
    let g = s.write("Gz.json", &gzip(&json));
    let o = run(&g, "Gz | project DeviceName, Port | sort by Port asc", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, "DeviceName,Port\npc3,22\npc1,443\npc2,3389\n", "{}", o.stderr);
    let z = s.write("Zst.json", &zstd(&json));
    let o = run(&z, "Zst | project DeviceName, Port | sort by Port asc", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, "DeviceName,Port\npc3,22\npc1,443\npc2,3389\n", "{}", o.stderr);
}

// ---------------------------------------------------------------------------------------------------------
// Folders, globs, names

// A scheduled export writing one file a day into a folder named after the table, next to a README: the
// folder is one table (dated stems take the folder's name) and the README is skipped with a note.
#[test]
fn folder_of_daily_files_is_one_table_and_skips_non_data() {
    let o =
        run(&fixture("daily"), "DeviceEvents | project Timestamp, DeviceName, ActionType | sort by Timestamp asc", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.stdout,
        "Timestamp,DeviceName,ActionType\n\
         2025-03-14T10:00:00Z,pc1,AntivirusDetection\n\
         2025-03-14T11:00:00.1234567Z,pc2,UsbDriveMounted\n\
         2025-03-15T09:00:00Z,pc1,TamperingAttempt\n\
         2025-03-15T09:30:00Z,pc3,AntivirusDetection\n",
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("note: skipped "), "{}", o.stderr);
    assert!(o.stderr.contains("README.md: not a data file"), "{}", o.stderr);
    assert_loaded(&o, "4 rows of DeviceEvents from 2 files");
}

// `--data 'exports/DeviceEvents/*.json'`: the shell leaves the quoted glob to kqlite, which expands it.
#[test]
fn quoted_glob_loads_the_files_it_matches() {
    let glob = fixture("daily/DeviceEvents/*.json");
    let o = run(&glob, "DeviceEvents | summarize n = count() by DeviceName | sort by DeviceName asc", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, "DeviceName,n\npc1,2\npc2,1\npc3,1\n", "{}", o.stderr);
    assert!(!o.stderr.contains("README"), "{}", o.stderr);
    assert_loaded(&o, "4 rows of DeviceEvents from 2 files");
}

// A glob with a typo or for files not downloaded yet.
#[test]
fn glob_matching_nothing_is_exit_6() {
    let o = run(&fixture("daily/DeviceEvents/*.parquet"), "DeviceEvents | count", &[]);
    assert_eq!(o.code, 6, "{}", o.stderr);
    assert!(o.stderr.contains("matches no file"), "{}", o.stderr);
    assert!(o.stdout.is_empty(), "{}", o.stdout);
}

// Pointing --data at the notes that came with an export instead of the export.
#[test]
fn non_data_file_given_by_name_is_exit_6() {
    let o = run(&fixture("daily/DeviceEvents/README.md"), "DeviceEvents | count", &[]);
    assert_eq!(o.code, 6, "{}", o.stderr);
    assert!(o.stderr.contains("README.md"), "{}", o.stderr);
    assert!(o.stdout.is_empty(), "{}", o.stdout);
}

// An export whose file name is not the table name the query uses: `--table NAME=PATH`.
#[test]
fn table_option_names_the_table() {
    let f = fixture("array/HuntRows.json");
    let spec = format!("Procs={}", f.display());
    let o = kqlite(&[
        "run",
        "--table",
        &spec,
        "-e",
        "Procs | project DeviceName, Port | sort by Port asc",
        "--format",
        "csv",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, "DeviceName,Port\npc3,22\npc1,443\npc2,3389\n", "{}", o.stderr);
    assert_loaded(&o, "3 rows of Procs from 1 file");
}

// One table's rows gathered from different tools: an NDJSON forwarder dump, a portal CSV and a gzipped API
// export, named `DeviceEvents.<part>.<ext>`; all rows append into one table.
#[test]
fn mixed_formats_of_one_table_append() {
    let s = Scratch::new("mixed");
    s.write(
        "DeviceEvents.a.ndjson",
        b"{\"Timestamp\":\"2025-03-14T10:00:00Z\",\"DeviceName\":\"pc1\",\"ActionType\":\"AntivirusDetection\"}\n\
          {\"Timestamp\":\"2025-03-14T10:01:00Z\",\"DeviceName\":\"pc2\",\"ActionType\":\"UsbDriveMounted\"}\n",
    );
    s.write(
        "DeviceEvents.b.csv",
        b"Timestamp,DeviceName,ActionType\n\
          2025-03-14T10:02:00Z,pc3,TamperingAttempt\n\
          2025-03-14T10:03:00Z,pc4,\"Quoted, action\"\n",
    );
    s.write(
        "DeviceEvents.c.json.gz",
        &gzip(
            b"[{\"Timestamp\":\"2025-03-14T10:04:00Z\",\"DeviceName\":\"pc5\",\"ActionType\":\"A\"},\n\
               {\"Timestamp\":\"2025-03-14T10:05:00.1234567Z\",\"DeviceName\":\"pc6\",\"ActionType\":\"B\"}]\n",
        ),
    );
    let o = run(&s.0, "DeviceEvents | count", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, "Count\n6\n", "{}", o.stderr);
    assert_loaded(&o, "6 rows of DeviceEvents from 3 files");
    let o = run(&s.0, "DeviceEvents | project Timestamp, DeviceName, ActionType | sort by Timestamp asc", &[]);
    assert_eq!(
        o.stdout,
        "Timestamp,DeviceName,ActionType\n\
         2025-03-14T10:00:00Z,pc1,AntivirusDetection\n\
         2025-03-14T10:01:00Z,pc2,UsbDriveMounted\n\
         2025-03-14T10:02:00Z,pc3,TamperingAttempt\n\
         2025-03-14T10:03:00Z,pc4,\"Quoted, action\"\n\
         2025-03-14T10:04:00Z,pc5,A\n\
         2025-03-14T10:05:00.1234567Z,pc6,B\n",
        "{}",
        o.stderr
    );
}

// ---------------------------------------------------------------------------------------------------------
// Types and coercion

// A hand-made DeviceProcessEvents dump: the catalog's types beat what the values look like (a Timestamp
// without T is still a datetime, a FolderPath that looks like a datetime is still a string), and every
// catalog column is there (InitiatingProcessFileName, absent from the file, is empty).
#[test]
fn catalog_types_beat_inference() {
    let f = fixture("catalog/DeviceProcessEvents.json");
    let q = "DeviceProcessEvents | project Timestamp, FolderPath, ProcessId, DeviceId, InitiatingProcessFileName \
             | sort by Timestamp asc";
    let o = run(&f, q, &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.stdout,
        "Timestamp,FolderPath,ProcessId,DeviceId,InitiatingProcessFileName\n\
         2025-03-14T10:00:00Z,2025-03-14T10:00:00Z,4,abc,\n\
         2025-03-14T10:05:00.5Z,C:\\Windows,8,def,\n",
        "{}",
        o.stderr
    );
    assert_loaded(&o, "2 rows of DeviceProcessEvents from 1 file");
    let o = run(
        &f,
        "DeviceProcessEvents | project Timestamp, FolderPath, ProcessId | getschema | project ColumnName, ColumnType",
        &[],
    );
    assert_eq!(
        o.stdout, "ColumnName,ColumnType\nTimestamp,datetime\nFolderPath,string\nProcessId,long\n",
        "{}",
        o.stderr
    );
}

// An API response saved as DeviceNetworkEvents.json whose Schema says String where the catalog says
// datetime/int (a query that projected tostring() columns): the query still sees the catalog's types.
#[test]
fn catalog_tables_keep_the_portal_schema_over_declared_types() {
    // a query sees a catalog table with the portal's column types, whatever the file declared, so that
    // detection rules bind as they do in the portal; the declared text is converted by Kusto's rules
    let f = fixture("declared/DeviceNetworkEvents.json");
    let o = run(
        &f,
        "DeviceNetworkEvents | project Timestamp, RemotePort | getschema | project ColumnName, ColumnType",
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, "ColumnName,ColumnType\nTimestamp,datetime\nRemotePort,int\n", "{}", o.stderr);
    let o = run(&f, "DeviceNetworkEvents | project Timestamp, RemotePort | sort by Timestamp asc", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, "Timestamp,RemotePort\n2025-03-14T10:00:00Z,443\n2025-03-14T10:01:00Z,\n", "{}", o.stderr);
    // a table the catalog does not know keeps the declared types
    let o = run(
        &f,
        "Net | project Timestamp, RemotePort | getschema | project ColumnName, ColumnType",
        &["--table", &format!("Net={}", f.display())],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, "ColumnName,ColumnType\nTimestamp,string\nRemotePort,string\n", "{}", o.stderr);
}

// A hand-edited or script-mangled export: a port written as "https" in the int column RemotePort becomes
// null and is counted on stderr with where it was.
#[test]
fn value_that_does_not_fit_becomes_null_and_is_counted() {
    let o = run(
        &fixture("coerce/DeviceNetworkEvents.json"),
        "DeviceNetworkEvents | project DeviceName, RemotePort | sort by DeviceName asc",
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, "DeviceName,RemotePort\npc1,443\npc2,\npc3,22\n", "{}", o.stderr);
    assert!(o.stderr.contains("1 value did not fit its column"), "{}", o.stderr);
    assert!(o.stderr.contains("RemotePort"), "{}", o.stderr);
    assert!(o.stderr.contains("DeviceNetworkEvents.json:3:"), "{}", o.stderr);
    assert_file_line_col(&o.stderr, "DeviceNetworkEvents.json");
    assert_loaded(&o, "3 rows of DeviceNetworkEvents from 1 file");
}

// The same mangled export under --strict (a pipeline that must not drop values silently): exit 6.
#[test]
fn strict_makes_a_misfit_exit_6() {
    let o = run(
        &fixture("coerce/DeviceNetworkEvents.json"),
        "DeviceNetworkEvents | project DeviceName, RemotePort | sort by DeviceName asc",
        &["--strict"],
    );
    assert_eq!(o.code, 6, "{}", o.stderr);
    assert!(o.stderr.contains("does not fit column"), "{}", o.stderr);
    assert!(o.stderr.contains("DeviceNetworkEvents.json:3:"), "{}", o.stderr);
    assert_file_line_col(&o.stderr, "DeviceNetworkEvents.json");
}

// ---------------------------------------------------------------------------------------------------------
// Bad input: exit 6 naming FILE:LINE:COL

// An export cut off mid-write (disk full, killed script): the JSON array ends inside the second row.
#[test]
fn truncated_json_array_is_exit_6() {
    let o = run(&fixture("bad/Truncated.json"), "Truncated | count", &[]);
    assert_eq!(o.code, 6, "{}", o.stderr);
    assert!(o.stderr.contains("Truncated.json:2:"), "{}", o.stderr);
    assert_file_line_col(&o.stderr, "Truncated.json");
}

// A dump written in a legacy code page (a Latin-1 byte 0xFF inside a string) instead of UTF-8.
#[test]
fn invalid_utf8_in_a_string_is_exit_6() {
    let s = Scratch::new("utf8");
    let f = s.write("BadUtf8.json", b"[{\"a\":\"ok\"},\n{\"a\":\"bad \xff here\"}]\n");
    let o = run(&f, "BadUtf8 | project a", &[]);
    assert_eq!(o.code, 6, "{}", o.stderr);
    assert!(o.stderr.contains("BadUtf8.json:2:"), "{}", o.stderr);
    assert!(o.stderr.contains("invalid unicode"), "{}", o.stderr);
    assert_file_line_col(&o.stderr, "BadUtf8.json");
}

// An interrupted download of a gzipped JSON array export, cut where the compressor had flushed (a byte
// boundary after the second row): the gzip stream ends early, at line 4 of the decompressed text.
#[test]
fn gzip_json_array_cut_short_is_exit_6() {
    let s = Scratch::new("gzip-array-cut");
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b"[\n{\"DeviceName\":\"pc1\",\"Port\":1},\n{\"DeviceName\":\"pc2\",\"Port\":2},\n").unwrap();
    e.flush().unwrap();
    let cut = e.get_ref().len();
    e.write_all(b"{\"DeviceName\":\"pc3\",\"Port\":3}\n]\n").unwrap();
    let whole = e.finish().unwrap();
    let f = s.write("Cut.json.gz", &whole[..cut]);
    let o = run(&f, "Cut | project DeviceName, Port", &[]);
    assert_eq!(o.code, 6, "{}", o.stderr);
    assert!(o.stderr.contains("ends early"), "{}", o.stderr);
    assert!(o.stderr.contains("Cut.json.gz:4:"), "{}", o.stderr);
    assert_file_line_col(&o.stderr, "Cut.json.gz");
}

// An interrupted download of a gzipped NDJSON export, cut at an arbitrary byte (half the file): the gzip
// stream ends early, on the line where its decompressed text stops.
#[test]
fn gzip_ndjson_cut_mid_stream_is_exit_6() {
    use std::io::Read;
    let s = Scratch::new("gzip-ndjson-cut");
    let text: String = (0..500)
        .map(|i| {
            format!(
                "{{\"Timestamp\":\"2025-03-14T10:00:00Z\",\"DeviceName\":\"pc{i}\",\"Pad\":\"{}\"}}\n",
                "x".repeat(i % 50)
            )
        })
        .collect();
    let whole = gzip(text.as_bytes());
    let half = &whole[..whole.len() / 2];
    // the text the cut stream still gives, and so the line it stops on
    let mut prefix = Vec::new();
    let _ = flate2::bufread::MultiGzDecoder::new(half).read_to_end(&mut prefix);
    assert!(!prefix.is_empty() && prefix.len() < text.len());
    let line = prefix.iter().filter(|b| **b == b'\n').count() + 1;
    let f = s.write("Half.ndjson.gz", half);
    let o = run(&f, "Half | project DeviceName", &[]);
    assert_eq!(o.code, 6, "{}", o.stderr);
    assert!(o.stderr.contains("ends early"), "{}", o.stderr);
    assert!(o.stderr.contains(&format!("Half.ndjson.gz:{line}:")), "{}", o.stderr);
    assert_file_line_col(&o.stderr, "Half.ndjson.gz");
}

// A CSV assembled by hand or by a script that forgot to quote a cell holding a comma.
#[test]
fn csv_row_with_too_many_cells_is_exit_6() {
    let o = run(&fixture("bad/TooWide.csv"), "TooWide | count", &[]);
    assert_eq!(o.code, 6, "{}", o.stderr);
    assert!(o.stderr.contains("this row has 3 cells, the header has 2"), "{}", o.stderr);
    assert!(o.stderr.contains("TooWide.csv:3:"), "{}", o.stderr);
    assert_file_line_col(&o.stderr, "TooWide.csv");
}

// ---------------------------------------------------------------------------------------------------------
// Odd but valid input: exit 0

// A JSON export from a case-insensitive source that kept both spellings of a key (Name and name).
#[test]
fn column_names_differing_only_in_case_are_two_columns() {
    let o = run(&fixture("odd/CaseCols.json"), "CaseCols | sort by Name asc", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, "Name,name\na,b\nc,d\n", "{}", o.stderr);
    assert_loaded(&o, "2 rows of CaseCols from 1 file");
}

// A hostile or broken value nested 100,000 levels deep (past serde_json's recursion limit): no crash.
#[test]
fn deeply_nested_value_does_not_crash() {
    let s = Scratch::new("deep");
    let depth = 100_000;
    let text = format!("[{{\"id\":1,\"v\":{}{}}}]\n", "[".repeat(depth), "]".repeat(depth));
    let f = s.write("Deep.json", text.as_bytes());
    let o = run(&f, "Deep | count", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, "Count\n1\n", "{}", o.stderr);
}

// One NDJSON line of 50 MB (a row carrying a whole base64 file or a giant RawEventData), bigger than the
// sample kqlite reads to find columns.
#[test]
fn fifty_megabyte_ndjson_line() {
    let s = Scratch::new("big-line");
    let n = 50_000_000;
    let mut text = String::with_capacity(n + 16);
    text.push_str("{\"a\":\"");
    text.push_str(&"x".repeat(n));
    text.push_str("\"}\n");
    let f = s.write("Big.ndjson", text.as_bytes());
    drop(text);
    let o = run(&f, "Big | extend n=strlen(a) | project n", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, "n\n50000000\n", "{}", o.stderr);
}

// An export job that found nothing and wrote a zero-byte file: a notice, no table; a zero-byte file named
// after a catalog table gives that table with no rows.
#[test]
fn empty_file_is_a_notice() {
    let s = Scratch::new("empty");
    let f = s.write("Nothing.json", b"");
    let o = run(&f, "print x = 1", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, "x\n1\n", "{}", o.stderr);
    assert!(o.stderr.contains("empty"), "{}", o.stderr);
    let o = run(&f, "Nothing | count", &[]);
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(o.stderr.contains("unknown table 'Nothing'"), "{}", o.stderr);
    let f = s.write("DeviceEvents.json", b"");
    let o = run(&f, "DeviceEvents | count", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, "Count\n0\n", "{}", o.stderr);
    assert!(o.stderr.contains("empty"), "{}", o.stderr);
}

// A Parquet cache made once with `kqlite import` answers like the dumps it came from, keeps the Kusto types
// (datetime with 7 digits, dynamic, timespan), and import never overwrites a file of the cache.
#[test]
fn import_writes_a_parquet_cache_that_answers_like_the_dump() {
    let s = Scratch::new("import");
    s.write(
        "DeviceEvents.ndjson",
        br#"{"Timestamp":"2025-03-14T10:00:00.1234567Z","DeviceName":"pc1","ActionType":"A","AdditionalFields":{"k":[1,2]}}
{"Timestamp":"2025-03-14T11:00:00Z","DeviceName":"pc2","ActionType":"B","AdditionalFields":null}
"#,
    );
    s.write("Custom.json", br#"[{"d":"01:30:00","n":1.5,"b":true},{"d":"1.00:00:00","n":2,"b":false}]"#);
    let out = s.0.join("cache");
    let o = kqlite(&["import", "--data", s.0.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(out.join("DeviceEvents.parquet").exists() && out.join("Custom.parquet").exists(), "{}", o.stderr);
    let q = "DeviceEvents | project Timestamp, DeviceName, k=AdditionalFields.k | sort by DeviceName asc";
    let from_dump = run(&s.0.join("DeviceEvents.ndjson"), q, &[]);
    let from_cache = run(&out, q, &[]);
    assert_eq!(from_cache.code, 0, "{}", from_cache.stderr);
    assert_eq!(from_cache.stdout, from_dump.stdout);
    assert_eq!(
        from_cache.stdout,
        "Timestamp,DeviceName,k\n2025-03-14T10:00:00.1234567Z,pc1,\"[1,2]\"\n2025-03-14T11:00:00Z,pc2,\n"
    );
    let o = run(
        &out,
        "Custom | extend h = totimespan(d) / 1h | project d, h, n, b | getschema | project ColumnName, ColumnType",
        &[],
    );
    assert_eq!(o.stdout, "ColumnName,ColumnType\nd,string\nh,real\nn,real\nb,bool\n", "{}", o.stderr);
    // a second import into the same cache is refused and leaves the files as they were
    let before = std::fs::read(out.join("Custom.parquet")).unwrap();
    let again =
        kqlite(&["import", "--data", s.0.join("Custom.json").to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_ne!(again.code, 0);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    assert_eq!(std::fs::read(out.join("Custom.parquet")).unwrap(), before);
}

/// Writes a Parquet file with the given columns, as another tool (Data Explorer's export) would.
fn write_parquet(path: &Path, columns: Vec<(&str, datafusion::arrow::array::ArrayRef)>) {
    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;
    let fields: Vec<Field> = columns.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), true)).collect();
    let schema = std::sync::Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), columns.into_iter().map(|(_, a)| a).collect()).unwrap();
    let f = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(f, schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

// A Data Explorer Parquet export: millisecond timestamps without a zone, int32, a list and a struct column map
// to datetime, int and dynamic; a column type with no Kusto type is an error naming file and column.
#[test]
fn foreign_parquet_types_map_to_kusto_types() {
    use datafusion::arrow::array::{
        ArrayRef, Int32Array, Int64Array, IntervalDayTimeArray, ListArray, StringArray, StructArray,
        TimestampMillisecondArray,
    };
    use datafusion::arrow::datatypes::{DataType, Field, Int64Type};
    use std::sync::Arc;
    let s = Scratch::new("parquet");
    let list = ListArray::from_iter_primitive::<Int64Type, _, _>(vec![Some(vec![Some(1), Some(2)]), None]);
    let st = StructArray::from(vec![(
        Arc::new(Field::new("user", DataType::Utf8, true)),
        Arc::new(StringArray::from(vec!["ann", "bob"])) as ArrayRef,
    )]);
    let p = s.0.join("Export.parquet");
    write_parquet(
        &p,
        vec![
            ("Timestamp", Arc::new(TimestampMillisecondArray::from(vec![1_741_946_400_000, 1_741_950_000_123]))),
            ("Port", Arc::new(Int32Array::from(vec![443, 22]))),
            ("Bytes", Arc::new(Int64Array::from(vec![Some(10), None]))),
            ("Tags", Arc::new(list)),
            ("Who", Arc::new(st)),
        ],
    );
    let o = run(&p, "Export | getschema | project ColumnName, ColumnType", &[]);
    assert_eq!(
        o.stdout, "ColumnName,ColumnType\nTimestamp,datetime\nPort,int\nBytes,long\nTags,dynamic\nWho,dynamic\n",
        "{}",
        o.stderr
    );
    let o =
        run(&p, "Export | extend u = tostring(Who.user), t0 = Tags[0] | project Timestamp, Port, Bytes, u, t0", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.stdout, "Timestamp,Port,Bytes,u,t0\n2025-03-14T10:00:00Z,443,10,ann,1\n2025-03-14T11:00:00.123Z,22,,bob,\n",
        "{}",
        o.stderr
    );
    // projection: a query reading one column of a file with an unmappable one elsewhere still fails at bind,
    // because the schema of the whole file is known before any row is read
    let bad = s.0.join("Odd.parquet");
    write_parquet(
        &bad,
        vec![
            ("ok", Arc::new(Int32Array::from(vec![1])) as ArrayRef),
            ("span", Arc::new(IntervalDayTimeArray::from(vec![None])) as ArrayRef),
        ],
    );
    let o = run(&bad, "Odd | count", &[]);
    assert_eq!(o.code, 6, "{}", o.stderr);
    assert!(o.stderr.contains("Odd.parquet") && o.stderr.contains("column span"), "{}", o.stderr);
}

// String columns of a Parquet file are read as views and copied once per slice: long and short strings, UTF-8,
// Utf8 and LargeUtf8, nulls ("" for a string), a blank column, over several slices of a row group, give the
// values written.
#[test]
fn parquet_strings_come_back_as_written() {
    use datafusion::arrow::array::{ArrayRef, Int64Array, LargeStringArray, StringArray};
    use std::sync::Arc;
    let s = Scratch::new("parquet-strings");
    let n = 40_000;
    let key = |i: i64| format!("HKEY_LOCAL_MACHINE\\SOFTWARE\\Vendor{}\\Run-été-{i}", i % 97);
    let keys: Vec<Option<String>> = (0..n).map(|i| (i % 1000 != 7).then(|| key(i))).collect();
    let short: Vec<String> = (0..n).map(|i| format!("v{}", i % 5)).collect();
    let p = s.0.join("Reg.parquet");
    write_parquet(
        &p,
        vec![
            ("N", Arc::new(Int64Array::from((0..n).collect::<Vec<i64>>())) as ArrayRef),
            ("Key", Arc::new(StringArray::from(keys.clone()))),
            ("Short", Arc::new(LargeStringArray::from(short.iter().map(|x| x.as_str()).collect::<Vec<_>>()))),
            ("Blank", Arc::new(StringArray::from(vec![""; n as usize]))),
        ],
    );
    let q = "Reg | summarize rows = count(), empty = countif(isempty(Key)), bytes = sum(strlen(Key)), \
             v3 = countif(Short == 'v3'), blank = countif(Blank == '') | extend check = 1";
    let o = run(&p, q, &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let bytes: usize = keys.iter().flatten().map(|k| k.chars().count()).sum();
    assert_eq!(o.stdout, format!("rows,empty,bytes,v3,blank,check\n{n},40,{bytes},8000,{n},1\n"), "{}", o.stderr);
    let o = run(&p, "Reg | where N in (7, 8, 39999) | project N, Key, Short | order by N asc", &[]);
    assert_eq!(o.stdout, format!("N,Key,Short\n7,,v2\n8,{},v3\n39999,{},v4\n", key(8), key(39999)), "{}", o.stderr);
}

// A query that needs more memory than --memory-limit allows stops with "resources exhausted" (exit 5), never an
// out-of-memory kill; without the limit the same query runs.
#[test]
fn memory_limit_stops_a_query_with_exit_5() {
    let s = Scratch::new("memlimit");
    let dir = s.0.join("data");
    let o = kqlite(&[
        "sample",
        "--out",
        dir.to_str().unwrap(),
        "--rows",
        "3000",
        "--tables",
        "DeviceProcessEvents",
        "--end",
        "2025-03-15T00:00:00Z",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let q = "DeviceProcessEvents | project DeviceId, P=ProcessCommandLine | join kind=inner (DeviceProcessEvents | project DeviceId) on DeviceId | summarize max(strlen(P))";
    let o = run(&dir, q, &["--memory-limit", "256KB"]);
    assert_eq!(o.code, 5, "{}", o.stderr);
    assert!(o.stderr.contains("Resources exhausted"), "{}", o.stderr);
    let o = run(&dir, q, &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = run(&dir, "print 1", &["--memory-limit", "lots"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
}

// A script that wrote epoch seconds instead of ISO text: a number where the schema says datetime is null and
// counted with its position; --strict makes it exit 6 at that line and column.
#[test]
fn a_number_where_the_schema_says_datetime() {
    let s = Scratch::new("epoch");
    let f = s.write(
        "DeviceEvents.json",
        b"[{\"Timestamp\":\"2025-03-14T10:00:00Z\",\"DeviceName\":\"a\"},\n{\"Timestamp\":1741946400,\"DeviceName\":\"b\"}]",
    );
    let o = run(&f, "DeviceEvents | project Timestamp, DeviceName", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, "Timestamp,DeviceName\n2025-03-14T10:00:00Z,a\n,b\n", "{}", o.stderr);
    assert!(o.stderr.contains("DeviceEvents.Timestamp: 1, first 1741946400 at"), "{}", o.stderr);
    assert!(o.stderr.contains("DeviceEvents.json:2:14"), "{}", o.stderr);
    let o = run(&f, "DeviceEvents | project Timestamp, DeviceName", &["--strict"]);
    assert_eq!(o.code, 6, "{}", o.stderr);
    assert!(
        o.stderr.contains("DeviceEvents.json:2:14") && o.stderr.contains("does not fit column Timestamp"),
        "{}",
        o.stderr
    );
    assert_eq!(o.stdout, "", "nothing is printed before the error");
}

// A Parquet cache of several days in row groups: a time-window filter skips the row groups whose min/max
// statistics rule it out (the load line counts only the rows read) and the answer is the same.
#[test]
fn parquet_row_groups_outside_a_time_filter_are_skipped() {
    use datafusion::arrow::array::{Array, ArrayRef, Int64Array, TimestampNanosecondArray};
    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;
    use std::sync::Arc;
    let s = Scratch::new("prune");
    let day = 86_400_000_000_000i64;
    let start = 1_741_910_400_000_000_000i64; // 2025-03-14T00:00:00Z
    let ts: Vec<i64> = (0..4000).map(|i| start + (i / 1000) * day + (i % 1000) * 1_000_000_000).collect();
    let ts = TimestampNanosecondArray::from(ts).with_timezone("UTC");
    let n = Int64Array::from((0..4000).collect::<Vec<i64>>());
    let schema = Arc::new(Schema::new(vec![
        Field::new("Timestamp", ts.data_type().clone(), true),
        Field::new("N", n.data_type().clone(), true),
    ]));
    let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(ts) as ArrayRef, Arc::new(n) as ArrayRef]).unwrap();
    let path = s.0.join("Days.parquet");
    let props = parquet::file::properties::WriterProperties::builder().set_max_row_group_row_count(Some(1000)).build();
    let mut w =
        parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), schema, Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let o = run(&path, "Days | where Timestamp >= datetime(2025-03-17) | summarize count(), min(N)", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, "count_,min_N\n1000,3000\n", "{}", o.stderr);
    assert!(o.stderr.contains("loaded 1,000 rows of Days"), "only the last row group is read: {}", o.stderr);
    let o = run(&path, "Days | where N > 10 and Timestamp < datetime(2025-03-15) | count", &[]);
    assert_eq!(o.stdout, "Count\n989\n", "{}", o.stderr);
    assert!(o.stderr.contains("loaded 1,000 rows of Days"), "{}", o.stderr);
    let o = run(&path, "Days | where N == 2500 | count", &[]);
    assert_eq!(o.stdout, "Count\n1\n", "{}", o.stderr);
    assert!(o.stderr.contains("loaded 1,000 rows of Days"), "{}", o.stderr);
    // the row count comes from the footers: no row is read
    let o = run(&path, "Days | count", &[]);
    assert_eq!(o.stdout, "Count\n4000\n", "{}", o.stderr);
    assert!(!o.stderr.contains("loaded"), "{}", o.stderr);
    // a filter statistics cannot decide reads everything and still answers right
    let o = run(&path, "Days | where N % 1000 == 0 | count", &[]);
    assert_eq!(o.stdout, "Count\n4\n", "{}", o.stderr);
    assert!(o.stderr.contains("loaded 4,000 rows of Days"), "{}", o.stderr);
}

// Review findings, each a real export that must load: the Defender API response with its "Stats" block and a
// Log Analytics response with "statistics" (numbers beside the rows), a Sentinel NDJSON export whose rows have
// Category/Properties columns (not the streaming envelope), a record whose properties mention "category",
// values serde cannot convert (1e400, a lone surrogate), a CSV header naming a column twice, one
// pretty-printed row object, a folder with a symlink loop, and a union reading a table twice.
#[test]
fn review_findings_load() {
    let s = Scratch::new("review");
    let api = s.write(
        "Hunt.json",
        br#"{"Stats":{"ExecutionTime":0.5,"resource_usage":{"cache":null,"ok":true}},"Schema":[{"Name":"a","Type":"Int64"}],"Results":[{"a":1},{"a":2}]}"#,
    );
    assert_eq!(run(&api, "Hunt | summarize sum(a)", &[]).stdout, "sum_a\n3\n");
    let la = s.write(
        "La.json",
        br#"{"tables":[{"name":"PrimaryResult","columns":[{"name":"a","type":"long"}],"rows":[[5]]}],"statistics":{"query":{"executionTime":0.09}}}"#,
    );
    assert_eq!(run(&la, "La", &[]).stdout, "a\n5\n");
    let act = s.write(
        "AzureActivity.json",
        b"{\"TimeGenerated\":\"2025-03-14T10:00:00Z\",\"Category\":\"Administrative\",\"Properties\":\"{}\"}\n{\"TimeGenerated\":\"2025-03-14T11:00:00Z\",\"Category\":\"Policy\",\"Properties\":\"{}\"}\n",
    );
    assert_eq!(run(&act, "AzureActivity | count", &[]).stdout, "Count\n2\n");
    let rec = s.write(
        "PT1H.json",
        br#"{"records":[{"properties":{"note":"category","DeviceName":"a"},"category":"AdvancedHunting-DeviceEvents"}]}"#,
    );
    assert_eq!(run(&rec, "DeviceEvents | project DeviceName", &[]).stdout, "DeviceName\na\n");
    let odd = s.write("Odd.json", b"[{\"a\":1,\"b\":\"x\"},{\"a\":1e400,\"b\":\"\\ud800\"}]");
    let o = run(&odd, "Odd | project a, n = strlen(b)", &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.contains("did not fit"), "{}", o.stderr);
    let dup = s.write("Dup.csv", b"a,b,a\n1,2,3\n4,5,6\n");
    assert_eq!(run(&dup, "Dup | project a, b", &[]).stdout, "a,b\n1,2\n4,5\n");
    let pretty = s.write("Pretty.json", b"{\n  \"a\": 1,\n  \"b\": \"x\"\n}\n");
    assert_eq!(run(&pretty, "Pretty", &[]).stdout, "a,b\n1,x\n");
    #[cfg(unix)]
    {
        let dir = s.0.join("loop");
        std::fs::create_dir_all(dir.join("a")).unwrap();
        std::fs::write(dir.join("a/T.json"), b"[{\"x\":1}]").unwrap();
        std::os::unix::fs::symlink("..", dir.join("a/up")).unwrap();
        let o = run(&dir, "T | count", &[]);
        assert_eq!(o.stdout, "Count\n1\n", "{}", o.stderr);
    }
    let o = run(&api, "union Hunt, Hunt | count", &[]);
    assert_eq!(o.stdout, "Count\n4\n");
    assert!(o.stderr.contains("loaded 4 rows of Hunt in 2 scans from 2 files"), "both scans are counted: {}", o.stderr);
    let o = run(&api, "union Hunt, Hunt, (Hunt | take 1) | count", &[]);
    assert_eq!(o.stdout, "Count\n5\n");
    assert!(o.stderr.contains("of Hunt in 3 scans from 3 files"), "{}", o.stderr);
}
