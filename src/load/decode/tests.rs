//! Tests of the row decoder (decode.rs).

use super::*;

/// The number check accepts exactly what serde_json parses as a number.
#[test]
fn number_check_agrees_with_serde() {
    for t in [
        "0",
        "-0",
        "7",
        "-12",
        "01",
        "1.",
        ".5",
        "1.5",
        "-1.5e3",
        "1E+2",
        "1e-",
        "1e",
        "+1",
        "-",
        "",
        "2.0e10",
        "1.2.3",
        "0x10",
        "12a",
        "9999999999999999999999",
        "-0.0",
        "00",
        "1e05",
    ] {
        let serde = serde_json::from_str::<serde_json::Number>(t).is_ok();
        assert_eq!(json_number_valid(t.as_bytes()), serde, "{t:?}");
    }
}

#[test]
fn values_are_skipped_to_their_end() {
    fn end(s: &str) -> Option<&str> {
        skip_value(s.as_bytes(), 0).map(|e| &s[..e])
    }
    assert_eq!(end(r#""a\"b\\" , 1"#), Some(r#""a\"b\\""#));
    assert_eq!(end(r#"{"a":[1,{"b":"}"}],"c":"]"} x"#), Some(r#"{"a":[1,{"b":"}"}],"c":"]"}"#));
    assert_eq!(end("-12.5e3,"), Some("-12.5e3"));
    assert_eq!(end("true}"), Some("true"));
    assert_eq!(end("nul,"), None);
    assert_eq!(end("oops,"), None);
    assert_eq!(end(r#""open"#), None);
    assert_eq!(end("[1,2"), None);
}

pub(super) fn target(cols: &[&str]) -> Target {
    let columns: Vec<(String, KqlType)> = cols.iter().map(|c| (c.to_string(), KqlType::String)).collect();
    let mut keys = Keys::default();
    keys.insert("Other".into(), None);
    for (i, c) in cols.iter().enumerate() {
        keys.insert(c.to_string(), Some(i));
    }
    let fields: Vec<datafusion::arrow::datatypes::Field> = cols
        .iter()
        .map(|c| datafusion::arrow::datatypes::Field::new(*c, datafusion::arrow::datatypes::DataType::Utf8, true))
        .collect();
    Target {
        columns,
        keys,
        positional: None,
        group: 0,
        category: None,
        strict: false,
        arrow: std::sync::Arc::new(datafusion::arrow::datatypes::Schema::new(fields)),
    }
}

/// Rows the fast path takes and rows it leaves to serde_json (which then reports or handles them).
#[test]
fn the_fast_path_takes_plain_rows_and_leaves_the_rest() {
    let t = target(&["A", "B"]);
    let mut st = State {
        t: &t,
        builders: t.columns.iter().map(|(_, ty)| ColumnBuilder::new(*ty, 4)).collect(),
        seen: vec![false; 2],
        bad: Vec::new(),
        tally: Tally::default(),
        base: 0,
        order: Vec::new(),
    };
    let mut take = |row: &'static str| fast_row(&mut st, row, &mut Vec::new());
    assert!(take(r#" { "A" : "x", "Other": {"deep": [1, "}"]}, "B": 5, "New": null } "#));
    assert!(take(r#"{}"#));
    assert!(!take(r#"{"A\u0042": 1}"#), "escaped key");
    assert!(!take(r#"{"A": "x",}"#), "trailing comma");
    assert!(!take(r#"{"A": "x"} junk"#), "trailing text");
    assert!(!take(r#"{"B": 1.2.3}"#), "a read number serde_json rejects");
    assert!(!take(r#"{"A": {"x": }}"#), "a read object serde_json rejects");
    assert!(!take("[1]"), "not an object");
    assert_eq!(st.tally.unknown.get("New"), Some(&1), "an unknown key is counted once, on success");
}

/// Keys recognized from the previous row's order.
mod key_prediction {
    use super::super::*;
    use datafusion::arrow::array::{Array, AsArray};

    /// The values of the columns of `t` decoded from NDJSON `lines`, as text (null as "∅"; a missing string
    /// is "", as Kusto strings are never null).
    fn decoded(t: &Target, lines: &[&str]) -> Vec<Vec<String>> {
        let mut data = Vec::new();
        let mut rows = Vec::new();
        for l in lines {
            let start = data.len();
            data.extend_from_slice(l.as_bytes());
            rows.push(crate::load::scan::RowRef { start, end: data.len(), group: 0 });
            data.push(b'\n');
        }
        let chunk = Chunk { data, rows, line: 1, col: 1 };
        let (batch, _) = decode(&chunk, Shape::Ndjson, t, "t.ndjson").unwrap();
        (0..batch.num_rows())
            .map(|r| {
                batch
                    .columns()
                    .iter()
                    .map(|c| {
                        let s = c.as_string::<i32>();
                        if s.is_null(r) {
                            "∅".to_string()
                        } else {
                            s.value(r).to_string()
                        }
                    })
                    .collect()
            })
            .collect()
    }

    // Rows are read by recognizing the previous row's key at each position; a different key there (a longer
    // name starting with the predicted one, another order, a missing key, an escaped key, a name with a quote
    // or backslash that serde_json unescaped) is found the full way, and every value lands in its column.
    #[test]
    fn keys_predicted_from_the_previous_row_or_found() {
        let t = super::target(&["Device", "DeviceName", "A\"q", "B\\s"]);
        let rows = decoded(
            &t,
            &[
                r#"{"Device": "d1", "DeviceName": "n1", "Other": 1}"#,
                r#"{"DeviceName": "n2", "Device": "d2", "Other": 2}"#,
                r#"{"DeviceNameX": "x", "Device": "d3"}"#,
                r#"{"Device": "d4", "DeviceName": "n4", "A\"q": "quoted", "B\\s": "slashed"}"#,
                r#"{"Device": "d5", "DeviceName": "n5", "A\"q": "quoted2", "B\\s": "slashed2"}"#,
                r#"{"Dev\u0069ce": "d6", "DeviceName": "n6"}"#,
                r#"{"Device": "d7", "DeviceName": "n7"}"#,
            ],
        );
        let want: Vec<Vec<&str>> = vec![
            vec!["d1", "n1", "", ""],
            vec!["d2", "n2", "", ""],
            vec!["d3", "", "", ""],
            vec!["d4", "n4", "quoted", "slashed"],
            vec!["d5", "n5", "quoted2", "slashed2"],
            vec!["d6", "n6", "", ""],
            vec!["d7", "n7", "", ""],
        ];
        assert_eq!(rows, want);
    }
}
