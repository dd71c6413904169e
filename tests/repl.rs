//! The REPL driven through a pseudo-terminal, as a user types: multi-line queries, Tab completion, `let`s kept
//! between queries, dot commands, `.output` to CSV, `.read`, errors, and Ctrl-C cancelling a long query.
//! Every wait is for a text on the screen, with a generous timeout; nothing depends on timing. rexpect reads
//! the screen byte by byte as Latin-1, so the texts waited for are ASCII.
// test helpers outside #[test] fns fail loudly, as the tests themselves may
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use rexpect::session::PtySession;
use std::path::PathBuf;
use std::process::Command;

/// Enter in a raw-mode terminal.
const ENTER: &str = "\r";

struct Repl {
    p: PtySession,
    dir: PathBuf,
}

/// A scratch folder for this test (history, saved queries, output files).
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kqlite-repl-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

impl Repl {
    fn start(name: &str) -> Repl {
        Repl::start_with(name, &[])
    }

    /// Starts the REPL with extra environment variables (the pager is off unless one is given).
    fn start_with(name: &str, env: &[(&str, &str)]) -> Repl {
        let dir = scratch(name);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kqlite"));
        cmd.args(["repl", "--data", "examples/incident", "--now", "2025-03-15T00:00:00Z"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("NO_COLOR", "1")
            .env("TERM", "xterm")
            .env("COLUMNS", "160")
            .env("XDG_DATA_HOME", &dir)
            .env("HOME", &dir)
            .env("KQLITE_PAGER", "");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut p = rexpect::session::spawn_command(cmd, Some(60_000)).expect("spawn kqlite repl");
        p.exp_string("kql> ").expect("first prompt");
        Repl { p, dir }
    }

    fn send(&mut self, keys: &str) {
        self.p.send(keys).expect("send");
        self.p.flush().expect("flush");
    }

    /// Types a line and presses Enter.
    fn line(&mut self, text: &str) {
        self.send(text);
        self.send(ENTER);
    }

    fn expect(&mut self, text: &str) -> String {
        match self.p.exp_string(text) {
            Ok(before) => before,
            Err(e) => panic!("waiting for {text:?}: {e}"),
        }
    }

    fn quit(mut self) {
        self.line(".quit");
        self.p.exp_eof().expect("the REPL leaves on .quit");
    }
}

#[test]
fn multi_line_query_and_a_let_carried_over() {
    let mut r = Repl::start("multiline");
    r.line("DeviceLogonEvents");
    r.line("| where ActionType == \"LogonFailed\"");
    r.line("| summarize Failed = count()");
    r.line("");
    r.expect("Failed");
    r.expect("1 row (");
    // a let alone is kept for later queries
    r.line("let Wanted = \"LogonFailed\";");
    r.line("");
    r.expect("defined Wanted");
    r.line("DeviceLogonEvents | where ActionType == Wanted | summarize N = count();;");
    r.expect("N");
    r.expect("1 row (");
    r.line(".lets");
    r.expect("let Wanted = \"LogonFailed\"");
    let history = r.dir.join("kqlite").join("history");
    r.quit();
    let text = std::fs::read_to_string(&history).expect("history file");
    assert!(text.contains("summarize N = count()"), "{text}");
}

#[test]
fn tab_completes_a_column_after_a_pipe() {
    let mut r = Repl::start("complete");
    r.send("DeviceLogonEvents | where AccountNa\t");
    r.expect("AccountName");
    r.send(" == \"nobody\";;");
    r.send(ENTER);
    r.expect("0 rows (");
    r.quit();
}

#[test]
fn schema_inspect_and_filter() {
    let mut r = Repl::start("inspect");
    r.line(".schema AlertInfo");
    r.expect("AttackTechniques");
    r.expect("string");
    r.line("AlertInfo | sort by Timestamp asc | take 3;;");
    r.expect("3 rows (");
    r.line(".inspect 2");
    r.expect(" row 2 ");
    r.expect("Severity");
    r.expect("Medium");
    r.line(".filter 2 Severity");
    r.expect("| where Severity == \"Medium\"");
    r.expect("1 row (");
    // the last result is now the filtered one: its row 1, excluded, leaves nothing
    r.line(".filter 1 Severity !=");
    r.expect("| where Severity != \"Medium\"");
    r.expect("0 rows (");
    r.quit();
}

#[test]
fn output_to_csv_never_overwrites() {
    let mut r = Repl::start("output");
    let out = r.dir.join("alerts.csv");
    r.line(&format!(".output {}", out.display()));
    r.expect("results go to");
    r.line("AlertInfo | project AlertId, Severity | take 2;;");
    r.expect("wrote 2 rows to");
    r.line(".output");
    r.expect("results go to the screen again");
    r.line(&format!(".once {}", out.display()));
    r.expect("already exists; not overwriting it");
    r.quit();
    let text = std::fs::read_to_string(&out).expect("csv written");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[0], "AlertId,Severity");
}

#[test]
fn read_runs_a_script_of_queries_and_commands() {
    let mut r = Repl::start("read");
    let script = r.dir.join("script.kql");
    std::fs::write(
        &script,
        ".mode csv\nlet Sev = \"Medium\";\n\nAlertInfo\n| where Severity == Sev\n| project Title\n",
    )
    .expect("script");
    r.line(&format!(".read {}", script.display()));
    r.expect("defined Sev");
    r.expect("Title");
    r.expect("Multiple failed RDP logon attempts");
    r.quit();
}

#[test]
fn an_error_leaves_the_session_usable() {
    let mut r = Repl::start("error");
    r.line("DeviceLogonEvents | where DevcieName == \"x\";;");
    r.expect("unknown column 'DevcieName'");
    r.expect("<repl>:1:");
    r.expect("did you mean 'DeviceName'?");
    r.line("print Answer = 41 + 1;;");
    r.expect("42");
    r.quit();
}

#[test]
fn ctrl_c_cancels_a_long_query_and_keeps_the_session() {
    let mut r = Repl::start("cancel");
    r.line("let Kept = 7;;");
    r.expect("defined Kept");
    // 10^10 joined rows: minutes of work
    r.line("range a from 1 to 100000 step 1 | extend k = 1 | join kind=inner (range b from 1 to 100000 step 1 | extend k = 1) on k | count;;");
    // said once the query has run a second; only then is Ctrl-C a signal rather than a key for the editor
    r.expect("(Ctrl-C cancels)");
    r.p.send_control('c').expect("Ctrl-C");
    r.expect("query cancelled");
    r.line("print Still = Kept * 6;;");
    r.expect("42");
    r.quit();
}

#[test]
fn once_to_parquet_writes_one_result_that_loads_back() {
    let mut r = Repl::start("parquet");
    let out = r.dir.join("alerts.parquet");
    r.line(&format!(".once {}", out.display()));
    r.expect("the next result goes to");
    r.line("AlertInfo | project AlertId, Severity | take 2;;");
    r.expect("wrote 2 rows to");
    r.line(&format!(".load {}", out.display()));
    r.expect("found 1 tables: alerts");
    r.line("alerts | summarize c = count() | extend t = strcat('n=', c);;");
    r.expect("n=2");
    r.line(&format!(".once {}", out.display()));
    r.expect("already exists; not overwriting it");
    r.quit();
}

#[test]
fn action_types_complete_and_list_with_their_counts() {
    let mut r = Repl::start("actiontypes");
    r.send("DeviceLogonEvents | where ActionType == \"LogonF\t");
    r.expect("LogonFailed");
    r.send("\" | count;;");
    r.send(ENTER);
    r.expect("1 row (");
    r.line(".actiontypes DeviceLogonEvents");
    r.expect("LogonAttempted");
    r.expect("2 values in the data, 3 in the catalog");
    r.quit();
}

#[test]
fn render_draws_a_chart_and_chart_writes_it_as_svg() {
    let mut r = Repl::start("chart");
    r.line("DeviceLogonEvents | summarize Logons = count() by bin(Timestamp, 1h) | render timechart with (title=\"Logons per hour\");;");
    r.expect("Logons per hour");
    // the x axis title under the plot, the legend, then the footer
    r.expect("Timestamp");
    r.expect("Logons");
    r.expect("rows (");
    r.expect("kql> ");
    let svg = r.dir.join("logons.svg");
    r.line(&format!(".chart {}", svg.display()));
    let said = r.expect("kql> ");
    if said.contains("needs a TrueType font") {
        assert!(!svg.exists());
    } else {
        assert!(said.contains("wrote the timechart to"), "{said}");
        let text = std::fs::read_to_string(&svg).expect("svg written");
        assert!(text.contains("<svg") && text.contains("Logons per hour"), "{text}");
    }
    r.line(&format!(".chart {}", svg.display()));
    if svg.exists() {
        r.expect("already exists; not overwriting it");
    }
    r.quit();
}

#[test]
fn results_taller_than_the_screen_go_through_the_pager() {
    let mut r = Repl::start_with("pager", &[("KQLITE_PAGER", "sed s/^/PAGED:/"), ("LINES", "10")]);
    r.line("range i from 1 to 30 step 1;;");
    r.expect("PAGED:");
    r.expect("30 rows (");
    r.expect("kql> ");
    r.line(".pager off");
    r.expect("kql> ");
    r.line("range i from 1 to 30 step 1 | project j = i * 1000;;");
    let before = r.expect("30000");
    assert!(!before.contains("PAGED:"), "{before}");
    r.quit();
}
