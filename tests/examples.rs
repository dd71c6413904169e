//! Every seed query in `examples/queries` runs unmodified on `examples/incident` and returns exactly the rows
//! in `tests/examples/<query>.csv` (compared as a multiset where the query does not sort). The expected rows
//! were checked against an independent simulation of each query over the same data (examples/README.md).

// Test code: a failed expectation should panic with its message.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::path::Path;
use std::process::Command;

fn run_example(stem: &str) -> (String, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let query = root.join("examples/queries").join(format!("{stem}.kql"));
    let out = Command::new(env!("CARGO_BIN_EXE_kqlite"))
        .args(["run", query.to_str().unwrap(), "--data", root.join("examples/incident").to_str().unwrap()])
        .args(["--now", "2025-03-15T00:00:00Z", "--format", "csv"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{stem}: {}", String::from_utf8_lossy(&out.stderr));
    let expected = std::fs::read_to_string(root.join("tests/examples").join(format!("{stem}.csv"))).unwrap();
    (String::from_utf8(out.stdout).unwrap(), expected)
}

/// Header first, then the rows in a canonical order.
fn canonical(csv: &str) -> Vec<String> {
    let mut lines: Vec<String> = csv.lines().map(String::from).collect();
    if lines.len() > 1 {
        lines[1..].sort();
    }
    lines
}

fn same_rows(stem: &str) {
    let (got, want) = run_example(stem);
    assert_eq!(canonical(&got), canonical(&want), "{stem}");
}

#[test]
fn inbound_connections_join_with_action_type1() {
    let (got, _) = run_example("01_inbound_connections_compromised_device");
    assert!(got.starts_with(
        "Timestamp,LogonTime,TimeDifference,DeviceName,RemoteIP,LogonType,AccountDomain,AccountName,ActionType1\n"
    ));
    same_rows("01_inbound_connections_compromised_device");
}

#[test]
fn alerts_by_hour_sorted_ascending() {
    let (got, want) = run_example("02_alert_count_by_hour_and_detection_source");
    // sorted by hour; rows of one hour may come in any order
    let hours = |s: &str| s.lines().skip(1).map(|l| l.split(',').next().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(hours(&got), hours(&want));
    same_rows("02_alert_count_by_hour_and_detection_source");
}

#[test]
fn registry_default_password_top_by_timestamp() {
    let (got, want) = run_example("03_registry_winlogon_default_password");
    assert_eq!(got, want, "top 100 by Timestamp is fully ordered");
}

#[test]
fn powershell_download_union() {
    same_rows("04_powershell_download_process_and_network");
}

#[test]
fn threat_intel_sentinel_table() {
    same_rows("05_threat_intel_non_default_sources");
}

#[test]
fn consent_to_application_dynamic_access() {
    same_rows("06_consent_to_application");
}
