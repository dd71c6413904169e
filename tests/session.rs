//! The library's front door, `kqlite::Session`, through its public API: bind before load, one read per table
//! per session, definitions that outlive a query, streamed results, explain and a large-file sample.

// Test code: a failed expectation should panic with its message.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use kqlite::output::values::cell_text;
use kqlite::{Session, SessionOptions, Source};
use std::path::{Path, PathBuf};

fn incident() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/incident")
}

fn session() -> Session {
    let now = kqlite::parser::parse_datetime_text("2025-03-15T00:00:00Z");
    let mut s = Session::new(SessionOptions { now_ns: now, ..SessionOptions::default() }).unwrap();
    s.add_data(incident()).unwrap();
    s
}

fn loads(s: &Session, table: &str) -> usize {
    s.tables().into_iter().find(|t| t.name == table).map(|t| t.loads).unwrap_or_else(|| panic!("no table {table}"))
}

/// The single cell of a one-row, one-column result, as Kusto text.
fn scalar(s: &Session, q: &str) -> String {
    let (schema, batches) = s.run_collect(&Source::from(q)).unwrap_or_else(|e| panic!("{q}: {e}"));
    let b = batches.iter().find(|b| b.num_rows() > 0).expect("a row");
    cell_text(b.column(0).as_ref(), 0, schema.columns[0].ty)
}

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn add_data_reads_no_rows_and_a_typo_reads_none_either() {
    let s = session();
    let names: Vec<String> = s.tables().into_iter().map(|t| t.name).collect();
    assert!(names.contains(&"DeviceLogonEvents".to_string()), "{names:?}");
    assert!(s.tables().iter().all(|t| t.loads == 0), "registering data reads no rows");
    let err = s.run(&Source::from("DeviceLogonEvents | where AcountName == 'ann'")).err().expect("unknown column");
    assert_eq!(err.code(), "kqlite::bind::unknown_column");
    assert_eq!(err.exit_code(), 4);
    assert!(s.tables().iter().all(|t| t.loads == 0), "a bind error reads nothing");
}

#[test]
fn a_query_reads_only_the_tables_it_names_streamed_per_scan() {
    let s = session();
    assert_eq!(scalar(&s, "DeviceLogonEvents | count"), scalar(&s, "DeviceLogonEvents | count"));
    // tables are streamed from their files by each scan, never held in memory between queries
    assert_eq!(loads(&s, "DeviceLogonEvents"), 2, "two queries, two streamed reads");
    assert_eq!(loads(&s, "DeviceNetworkEvents"), 0, "a table no query named is never read");
    assert_eq!(loads(&s, "DeviceProcessEvents"), 0);
    // a self-join scans its table once per side
    scalar(&s, "DeviceNetworkEvents | join kind=inner (DeviceNetworkEvents) on DeviceId | count");
    assert_eq!(loads(&s, "DeviceNetworkEvents"), 2);
    let reports = s.take_load_reports();
    assert!(
        // both scans of the self-join are in the report: its one file read twice
        reports.iter().any(|r| r.table == "DeviceNetworkEvents" && r.tally.rows > 0 && r.files == 2),
        "{reports:?}"
    );
}

#[test]
fn check_binds_against_registered_schemas_without_data() {
    let s = session();
    let q = s.check(&Source::from("DeviceLogonEvents | summarize Logons = count() by AccountName")).unwrap();
    let cols: Vec<String> = q.schema.columns.iter().map(|c| format!("{}:{}", c.name, c.ty)).collect();
    assert_eq!(cols, vec!["AccountName:string", "Logons:long"]);
    assert!(s.tables().iter().all(|t| t.loads == 0));
}

#[test]
fn definitions_outlive_a_query_and_can_be_replaced() {
    let mut s = session();
    assert_eq!(
        s.define(&Source::from("let Account = 'jdoe'; let Twice = (x:long) { x * 2 };")).unwrap(),
        ["Account", "Twice"]
    );
    assert_eq!(scalar(&s, "print Twice(21)"), "42");
    let n: i64 = scalar(&s, "DeviceLogonEvents | where AccountName == Account | count").parse().unwrap();
    assert!(n > 0);
    s.define(&Source::from("let Account = 'nobody';")).unwrap();
    assert_eq!(scalar(&s, "DeviceLogonEvents | where AccountName == Account | count"), "0");
    // a query's own let shadows a definition
    assert_eq!(scalar(&s, "let Account = 'x'; print Account"), "x");
    assert_eq!(s.definitions().len(), 2);
    // a mistake is reported when defined, and the earlier definitions stay
    let err = s.define(&Source::from("let Bad = tolower(NoSuchColumn);")).expect_err("bind error");
    assert_eq!(err.exit_code(), 4);
    assert_eq!(s.definitions().len(), 2);
    assert_eq!(s.define(&Source::from("DeviceLogonEvents | take 1")).err().map(|e| e.exit_code()), Some(4));
}

#[test]
fn results_stream_in_batches() {
    let s = Session::new(SessionOptions::default()).unwrap();
    let results = s.run(&Source::from("range x from 1 to 100000 step 1 | extend y = x * 2")).unwrap();
    let mut rows = 0;
    let mut batches = 0;
    for r in results {
        assert_eq!(r.schema.columns.len(), 2);
        for b in r.batches {
            let b = b.unwrap();
            assert!(b.num_rows() <= 8192, "batches are bounded");
            rows += b.num_rows();
            batches += 1;
        }
    }
    assert_eq!(rows, 100_000);
    assert!(batches > 1);
}

#[test]
fn explain_shows_each_stage_and_both_plans() {
    let s = session();
    let text = s
        .explain(&Source::from(
            "DeviceLogonEvents | where ActionType == 'LogonSuccess' | summarize n = count() by DeviceName",
        ))
        .unwrap();
    assert!(text.contains("| where ActionType == 'LogonSuccess'"), "{text}");
    assert!(text.contains("(DeviceName:string, n:long)"), "{text}");
    assert!(text.contains("Optimized logical plan"), "{text}");
    assert!(text.contains("Physical plan"), "{text}");
    assert!(text.contains("Aggregate"), "{text}");
    assert_eq!(loads(&s, "DeviceLogonEvents"), 0, "explain reads no rows");
}

#[test]
fn a_bad_file_is_a_load_error_when_read() {
    let d = scratch("session_bad_file");
    // larger than the sample: the cut happens after the rows the schema is taken from
    let mut text = String::from("[\n");
    for i in 0..20000 {
        text.push_str(&format!(
            "{{\"Timestamp\":\"2025-03-14T10:00:00Z\",\"DeviceName\":\"pc{i}\",\"Note\":\"{}\"}},\n",
            "x".repeat(40)
        ));
    }
    text.push_str("{\"DeviceName\": oops}\n]\n");
    std::fs::write(d.join("DeviceInfo.json"), &text).unwrap();
    let mut s = Session::new(SessionOptions::default()).unwrap();
    assert_eq!(s.add_data(&d).unwrap(), ["DeviceInfo"]);
    let info = &s.tables()[0];
    assert!(info.schema.find("Note").is_some(), "columns come from the sampled rows");
    let err = s.run_collect(&Source::from("DeviceInfo | count")).expect_err("malformed JSON");
    assert_eq!(err.code(), "kqlite::load::json");
    assert_eq!(err.exit_code(), 6);
    assert!(err.to_string().contains("DeviceInfo.json:20002:"), "{err}");
}

#[test]
fn large_ndjson_is_sampled_for_its_schema_and_read_whole() {
    let d = scratch("session_large_ndjson");
    let mut text = String::new();
    for i in 0..30000 {
        text.push_str(&format!("{{\"Timestamp\":\"2025-03-14T10:00:00Z\",\"DeviceName\":\"pc{i}\",\"Size\":{i}}}\n"));
    }
    std::fs::write(d.join("Events.ndjson"), &text).unwrap();
    let mut s = Session::new(SessionOptions::default()).unwrap();
    s.add_data(&d).unwrap();
    assert_eq!(scalar(&s, "Events | summarize sum(Size)"), (0..30000i64).sum::<i64>().to_string());
    assert_eq!(scalar(&s, "Events | where Timestamp > datetime(2025-01-01) | count"), "30000");
}

/// The column cache (`SessionOptions::cache_memory`, the REPL's default): a column decoded once is served from
/// memory to later queries, a column not cached yet reads the files again (and joins the cache), a query cut
/// short by `take` is not kept, a changed file is read again, and a budget too small keeps nothing.
#[test]
fn the_column_cache_serves_later_queries_from_memory() {
    let d = scratch("session_cache");
    let rows = |n: i64| {
        (0..n)
            .map(|i| {
                format!(
                    "{{\"Timestamp\":\"2025-03-14T10:00:{:02}Z\",\"DeviceName\":\"pc{}\",\"Size\":{i}}}\n",
                    i % 60,
                    i % 7
                )
            })
            .collect::<String>()
    };
    std::fs::write(d.join("Events.ndjson"), rows(30000)).unwrap();
    let opts = SessionOptions { cache_memory: Some(64 << 20), ..SessionOptions::default() };
    let mut s = Session::new(opts).unwrap();
    s.add_data(&d).unwrap();
    let sum = (0..30000i64).sum::<i64>().to_string();

    // (a take may stop the scan before the end of the file: such a run is not kept, a complete one may be)
    assert_eq!(scalar(&s, "Events | take 5 | count"), "5");
    assert_eq!(scalar(&s, "Events | summarize sum(Size)"), sum);
    let after_first = loads(&s, "Events");
    let (used, limit) = s.cache_usage().unwrap();
    assert!(used > 0 && limit == 64 << 20, "{used} {limit}");
    // the same column, a filter (which would skip Parquet row groups) and a count: all from memory
    assert_eq!(scalar(&s, "Events | summarize sum(Size)"), sum);
    assert_eq!(scalar(&s, "Events | where Size >= 29990 | count"), "10");
    assert_eq!(scalar(&s, "Events | count"), "30000");
    assert_eq!(loads(&s, "Events"), after_first, "served from the cache: no file read");
    // a column not cached yet reads the file, then joins the cache
    assert_eq!(scalar(&s, "Events | where DeviceName == 'pc3' | count"), "4286");
    assert_eq!(loads(&s, "Events"), after_first + 1);
    assert_eq!(scalar(&s, "Events | summarize dcount(DeviceName), sum(Size)"), "7");
    assert_eq!(loads(&s, "Events"), after_first + 1, "both columns now cached");
    // the file changes: read again, and the new rows are the answer
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(d.join("Events.ndjson"), rows(100)).unwrap();
    assert_eq!(scalar(&s, "Events | count"), "100");
    assert_eq!(loads(&s, "Events"), after_first + 2);

    // a budget smaller than a column: nothing is kept, every query reads the file
    let mut small = Session::new(SessionOptions { cache_memory: Some(64), ..SessionOptions::default() }).unwrap();
    small.add_data(&d).unwrap();
    assert_eq!(scalar(&small, "Events | summarize sum(Size)"), (0..100i64).sum::<i64>().to_string());
    assert_eq!(scalar(&small, "Events | summarize sum(Size)"), (0..100i64).sum::<i64>().to_string());
    assert_eq!(loads(&small, "Events"), 2);
    assert_eq!(small.cache_usage().unwrap().0, 0);
}

/// A Parquet row group larger than one read slice is handed on in several batches: every row arrives once,
/// with its values, whether the scan streams (one-shot) or is gathered into the column cache, and the cached
/// columns answer the same.
#[test]
fn parquet_row_groups_are_read_in_slices_and_cached_whole() {
    use datafusion::arrow::array::{ArrayRef, Int64Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;
    use std::sync::Arc;
    let d = scratch("session_parquet_slices");
    let n: i64 = 70_000;
    let schema = Arc::new(Schema::new(vec![
        Field::new("Size", DataType::Int64, false),
        Field::new("DeviceName", DataType::Utf8, false),
    ]));
    let sizes: ArrayRef = Arc::new(Int64Array::from_iter_values(0..n));
    let names: ArrayRef = Arc::new(StringArray::from_iter_values((0..n).map(|i| format!("pc{}", i % 7))));
    let batch = RecordBatch::try_new(schema.clone(), vec![sizes, names]).unwrap();
    // groups of 40,000 and 30,000 rows: more than one slice each
    let props =
        parquet::file::properties::WriterProperties::builder().set_max_row_group_row_count(Some(40_000)).build();
    let f = std::fs::File::create(d.join("Events.parquet")).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(f, schema, Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let sum = (0..n).sum::<i64>().to_string();
    let q = "Events | summarize count(), sum(Size), dcount(Size), min(Size), max(Size), countif(DeviceName == 'pc3')";
    let expected = format!("{n},{sum},{n},0,{},10000", n - 1);
    let row = |s: &Session| {
        let (schema, batches) = s.run_collect(&Source::from(q)).unwrap();
        let b = batches.iter().find(|b| b.num_rows() > 0).expect("a row");
        (0..b.num_columns())
            .map(|c| cell_text(b.column(c).as_ref(), 0, schema.columns[c].ty))
            .collect::<Vec<_>>()
            .join(",")
    };

    let mut plain = Session::new(SessionOptions::default()).unwrap();
    plain.add_data(&d).unwrap();
    assert_eq!(row(&plain), expected);

    let mut cached =
        Session::new(SessionOptions { cache_memory: Some(64 << 20), ..SessionOptions::default() }).unwrap();
    cached.add_data(&d).unwrap();
    assert_eq!(row(&cached), expected);
    let after_first = loads(&cached, "Events");
    assert!(cached.cache_usage().unwrap().0 > 0, "the complete run is kept");
    assert_eq!(row(&cached), expected);
    assert_eq!(loads(&cached, "Events"), after_first, "served from the cache: no file read");
}

/// A schema file's stored functions are defined in the session: Kusto's `.show database schema as json`
/// (`Databases` → `Tables` with `OrderedColumns`, `Functions` with `InputParameters` and a `{ }` body) and the
/// catalogs' own format (`tables` and `functions` with `parameters` and `body`).
#[test]
fn stored_functions_from_schema_files() {
    let dir = scratch("stored_functions");
    let kusto = dir.join("kusto.json");
    std::fs::write(
        &kusto,
        r#"{"Databases": {"hunt": {"Name": "hunt",
  "Tables": {"Logins": {"Name": "Logins", "OrderedColumns": [
    {"Name": "Ts", "Type": "System.DateTime", "CslType": "datetime"},
    {"Name": "User", "Type": "System.String", "CslType": "string"},
    {"Name": "Ok", "Type": "System.SByte", "CslType": "bool"}]}},
  "Functions": {
    "FailedLogins": {"Name": "FailedLogins", "InputParameters": [{"Name": "user", "CslType": "string"}],
                     "Body": "{ Logins | where Ok == false and User =~ user }"},
    "Double": {"Name": "Double", "InputParameters": [{"Name": "x", "CslType": "long"}], "Body": "{ x * 2 }"}}}}}"#,
    )
    .unwrap();
    let own = dir.join("own.json");
    std::fs::write(
        &own,
        r#"{"tables": {"Nums": {"columns": [["a", "long"]]}},
            "functions": {"Above": {"parameters": [["n", "long"]], "body": "Nums | where a > n"}}}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("Logins.json"),
        r#"[{"Ts": "2024-01-01T00:00:00Z", "User": "Ann", "Ok": false},
            {"Ts": "2024-01-02T00:00:00Z", "User": "bob", "Ok": false},
            {"Ts": "2024-01-03T00:00:00Z", "User": "ann", "Ok": true}]"#,
    )
    .unwrap();
    let mut s = Session::new(SessionOptions::default()).unwrap();
    // 1 table + 2 functions, then 1 table + 1 function
    assert_eq!(s.add_schema(&kusto).unwrap(), 3);
    assert_eq!(s.add_schema(&own).unwrap(), 2);
    s.add_data(dir.join("Logins.json")).unwrap();
    assert_eq!(scalar(&s, r#"FailedLogins("ANN") | count"#), "1");
    assert_eq!(scalar(&s, "print Double(21)"), "42");
    // checking needs no data: the function's result columns come from the stored schema
    let (schema, _) = s.run_collect(&Source::from("Above(1) | project a")).unwrap();
    assert_eq!(schema.columns[0].name, "a");
    let names: Vec<String> = s.definitions().into_iter().map(|(n, _)| n).collect();
    assert!(["FailedLogins", "Double", "Above"].iter().all(|n| names.iter().any(|m| m == n)), "{names:?}");
}

/// A stored function whose body does not bind is refused when its schema file is added, as Kusto refuses to
/// store it: the error names the file, the line of the function and where in its body.
#[test]
fn a_stored_function_that_does_not_bind_is_an_error() {
    let dir = scratch("stored_function_error");
    let f = dir.join("bad.json");
    std::fs::write(
        &f,
        "{\"tables\": {\"T\": {\"columns\": [[\"a\", \"long\"]]}},\n \"functions\": {\"Broken\": {\"body\": \"T | where nosuch > 1\"}}}",
    )
    .unwrap();
    let mut s = Session::new(SessionOptions::default()).unwrap();
    let e = s.add_schema(&f).unwrap_err().to_string();
    assert!(e.contains("bad.json:2:16: stored function Broken: unknown column 'nosuch'"), "{e}");
    assert!(e.contains("at `nosuch > 1"), "{e}");
    assert!(s.definitions().iter().all(|(n, _)| n != "Broken"));
}

/// `materialize(...)` named twice in a query is computed once: its table is read once (the same query without
/// materialize reads it for each reference), and both references see the same rows.
#[test]
fn materialize_reads_its_input_once() {
    let s = session();
    let q = "let S = materialize(DeviceProcessEvents | where FileName =~ 'cmd.exe' | project DeviceName); \
             S | summarize n = count() by DeviceName | join kind=inner (S | summarize m = count() by DeviceName) on DeviceName \
             | where n != m | count";
    assert_eq!(scalar(&s, q), "0");
    assert_eq!(loads(&s, "DeviceProcessEvents"), 1);
    let plain = q.replace("materialize(", "(");
    let s2 = session();
    assert_eq!(scalar(&s2, &plain), "0");
    assert_eq!(loads(&s2, "DeviceProcessEvents"), 2);
}

/// The rows a `scan` (or a `materialize`) reads keep the order of the sort before it when the table comes in
/// several partitions (here two files): DataFusion drops a sort that nothing above asks for, and merges
/// partitions in any order, unless the node requires the ordering.
#[test]
fn scan_and_materialize_keep_the_sort_order_across_partitions() {
    let dir = scratch("ordered_partitions");
    for (sub, parity) in [("a", 0), ("b", 1)] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        let rows: String = (0..20_000).filter(|x| x % 2 == parity).map(|x| format!("{{\"x\": {x}}}\n")).collect();
        std::fs::write(dir.join(sub).join("Seq.ndjson"), rows).unwrap();
    }
    let mut s = Session::new(SessionOptions::default()).unwrap();
    s.add_data(dir.join("a").join("Seq.ndjson")).unwrap();
    s.add_data(dir.join("b").join("Seq.ndjson")).unwrap();
    let scan = "Seq | sort by x asc \
                | scan declare (last:long = -1, bad:long = 0) with (step s1: true => last = x, bad = s1.bad + iff(x < s1.last, 1, 0);) \
                | summarize max(bad), count()";
    let (_, batches) = s.run_collect(&Source::from(scan)).unwrap();
    let b = batches.iter().find(|b| b.num_rows() > 0).unwrap();
    assert_eq!(cell_text(b.column(0).as_ref(), 0, kqlite::types::KqlType::Long), "0", "rows out of order");
    assert_eq!(cell_text(b.column(1).as_ref(), 0, kqlite::types::KqlType::Long), "20000");
    let m = "let M = materialize(Seq | sort by x asc); M | extend p = prev(x) | where p > x | count";
    assert_eq!(scalar(&s, m), "0");
}

/// `mv-expand X | where P(X)` runs as one operator (exec/expand.rs) when the predicate reads X alone, with the
/// rows the unnest and the filter give; an item index (two lists) keeps the planned pair.
#[test]
fn expand_then_where_is_fused() {
    let s = Session::new(SessionOptions::default()).unwrap();
    let fused =
        "range x from 1 to 3000 step 1 | extend l = range(1, 10, 1) | mv-expand l to typeof(long) | where l > 3";
    assert!(s.explain(&Source::from(fused)).unwrap().contains("KqlExpandWhereExec"));
    let (_, batches) = s.run_collect(&Source::from(fused)).unwrap();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 3000 * 7);
    assert!(batches.iter().all(|b| b.num_rows() <= 8192), "batches are bounded");
    let both = "range x from 1 to 3000 step 1 | extend l = range(1, 10, 1) | mv-expand with_itemindex=i l | where toint(l) > 3";
    assert!(!s.explain(&Source::from(both)).unwrap().contains("KqlExpandWhereExec"));
    let (_, batches) = s.run_collect(&Source::from(both)).unwrap();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 3000 * 7);
}

/// A bare `mv-expand` of one column runs as `KqlExpandExec`: one item per row passes the other columns on
/// as they are, and lists of mixed lengths (null, empty, several items) pair every item with its own row.
#[test]
fn bare_expand_pairs_items_with_rows() {
    let s = Session::new(SessionOptions::default()).unwrap();
    let one = "range x from 1 to 20000 step 1 | extend l = pack_array(bag_pack('v', x * 2)) | mv-expand l \
               | summarize n = count(), bad = countif(tolong(l.v) != x * 2), s = sum(tolong(l.v))";
    assert!(s.explain(&Source::from(one)).unwrap().contains("KqlExpandExec"));
    assert_eq!(scalar_row(&s, one), vec!["20000", "0", "400020000"]);
    // x % 4: 0 → null (one row), 1 → [] (no row), 2 → [x], 3 → [x, x + 1, x + 2]
    let mixed = "range x from 1 to 20000 step 1 \
                 | extend l = case(x % 4 == 0, dynamic(null), x % 4 == 1, dynamic([]), x % 4 == 2, pack_array(x), \
                     pack_array(x, x + 1, x + 2)) \
                 | mv-expand l \
                 | summarize n = count(), nulls = countif(isnull(l)), bad = countif(isnotnull(l) and (tolong(l) < x or tolong(l) > x + 2))";
    assert_eq!(scalar_row(&s, mixed), vec!["25000", "5000", "0"]);
}

fn scalar_row(s: &Session, q: &str) -> Vec<String> {
    let (_, batches) = s.run_collect(&Source::from(q)).unwrap();
    let b = batches.iter().find(|b| b.num_rows() > 0).unwrap();
    (0..b.num_columns()).map(|c| cell_text(b.column(c).as_ref(), 0, kqlite::types::KqlType::Long)).collect()
}

/// The fused operator keeps a null value's row where the null passes, in order, across its output batches,
/// and gives the rows the planned pair gives (a predicate that also reads another column keeps the pair).
#[test]
fn expand_where_keeps_null_rows_across_batches() {
    let s = Session::new(SessionOptions::default()).unwrap();
    let base =
        "range x from 1 to 5000 step 1 | extend l = iff(x % 3 == 0, dynamic(null), range(1, 4, 1)) | mv-expand l";
    let fused = format!("{base} | where isnull(l) or toint(l) > 2 | summarize n = count(), nulls = countif(isnull(l)), s = sum(toint(l)), xs = sum(x)");
    let pair = format!("{base} | where isnull(l) or toint(l) > 2 or x < 0 | summarize n = count(), nulls = countif(isnull(l)), s = sum(toint(l)), xs = sum(x)");
    assert!(s.explain(&Source::from(fused.as_str())).unwrap().contains("KqlExpandWhereExec"));
    assert!(!s.explain(&Source::from(pair.as_str())).unwrap().contains("KqlExpandWhereExec"));
    let text = |q: &str| {
        let (_, batches) = s.run_collect(&Source::from(q)).unwrap();
        datafusion::arrow::util::pretty::pretty_format_batches(&batches).unwrap().to_string()
    };
    let got = text(&fused);
    assert_eq!(got, text(&pair));
    // 1,666 null rows, and items 3 and 4 of the 3,334 others
    assert!(got.contains("| 8334 | 1666  | 23338 |"), "{got}");
    // x = 1 and 2 give items 3 and 4, x = 3 its null row
    let firsts = text(&format!(
        "{base} | where isnull(l) or toint(l) > 2 | where x <= 3 | project x, l = tostring(l) | order by x asc, l asc"
    ));
    assert!(firsts.contains("| 1 | 3 |\n| 1 | 4 |\n| 2 | 3 |\n| 2 | 4 |\n| 3 |   |"), "{firsts}");
}
