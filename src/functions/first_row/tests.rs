use super::*;
use datafusion::arrow::array::{Float64Array, StringViewArray, TimestampNanosecondArray};

fn fields(n: usize, ty: DataType) -> Fields {
    (0..n).map(|i| Field::new(format!("c{i}"), ty.clone(), true)).collect()
}

/// Column `c` of the struct rows as strings ("null" for a null row or value).
fn column(rows: &ArrayRef, c: usize) -> Vec<String> {
    let s = rows.as_struct();
    let col = s.column(c).as_string_view();
    (0..s.len())
        .map(|r| if s.is_null(r) || col.is_null(r) { "null".to_string() } else { col.value(r).to_string() })
        .collect()
}

fn views(v: &[Option<&str>]) -> ArrayRef {
    Arc::new(StringViewArray::from(v.to_vec()))
}

fn timestamps(v: &[Option<i64>]) -> ArrayRef {
    Arc::new(TimestampNanosecondArray::from(v.to_vec()))
}

/// arg_max and arg_min by group over two batches: the greatest (least) key's row, null keys only when a group
/// has nothing else, ties keep the first row, filtered rows skipped; the same through partial states merged
/// (emitted in two parts), and through each row converted to a state.
#[test]
fn keeps_the_row_of_the_extreme_key() {
    let keys1 = timestamps(&[Some(5), None, Some(7), Some(7), Some(1), Some(100)]);
    let vals1 = views(&[Some("a5"), Some("bnull"), Some("a7"), Some("a7-tie"), Some("c1"), Some("filtered")]);
    let groups1 = [0usize, 1, 0, 0, 2, 2];
    let filter1 = BooleanArray::from(vec![true, true, true, true, true, false]);
    let keys2 = timestamps(&[Some(6), None, Some(0), Some(9)]);
    let vals2 = views(&[Some("a6"), Some("bnull2"), Some("c0"), Some("d9")]);
    let groups2 = [0usize, 1, 2, 3];
    let f = fields(1, DataType::Utf8View);
    for (pick, expect) in [(Pick::Max, vec!["a7", "bnull", "c1", "d9"]), (Pick::Min, vec!["a5", "bnull", "c0", "d9"])] {
        let new = || FirstRowGroups::new(pick, Some(KeyKind::Integer), f.clone());
        let mut g = new();
        GroupsAccumulator::update_batch(&mut g, &[keys1.clone(), vals1.clone()], &groups1, Some(&filter1), 3).unwrap();
        GroupsAccumulator::update_batch(&mut g, &[keys2.clone(), vals2.clone()], &groups2, None, 4).unwrap();
        let mut whole = new();
        // partial: first batch in one accumulator, the second in another; merged in two emits
        let mut p1 = new();
        GroupsAccumulator::update_batch(&mut p1, &[keys1.clone(), vals1.clone()], &groups1, Some(&filter1), 3).unwrap();
        let mut p2 = new();
        GroupsAccumulator::update_batch(&mut p2, &[keys2.clone(), vals2.clone()], &groups2, None, 4).unwrap();
        let s1 = GroupsAccumulator::state(&mut p1, EmitTo::First(2)).unwrap();
        GroupsAccumulator::merge_batch(&mut whole, &s1, &[0, 1], 2).unwrap();
        let s2 = GroupsAccumulator::state(&mut p2, EmitTo::All).unwrap();
        GroupsAccumulator::merge_batch(&mut whole, &s2, &[0, 1, 2, 3], 4).unwrap();
        let s1 = GroupsAccumulator::state(&mut p1, EmitTo::All).unwrap();
        GroupsAccumulator::merge_batch(&mut whole, &s1, &[2], 4).unwrap();
        // each row a state of its own
        let mut rows = new();
        let c1 = GroupsAccumulator::convert_to_state(&rows, &[keys1.clone(), vals1.clone()], Some(&filter1)).unwrap();
        GroupsAccumulator::merge_batch(&mut rows, &c1, &groups1, 3).unwrap();
        let c2 = GroupsAccumulator::convert_to_state(&rows, &[keys2.clone(), vals2.clone()], None).unwrap();
        GroupsAccumulator::merge_batch(&mut rows, &c2, &groups2, 4).unwrap();
        for acc in [&mut g, &mut whole, &mut rows] {
            assert_eq!(column(&GroupsAccumulator::evaluate(acc, EmitTo::All).unwrap(), 0), expect, "{pick:?}");
        }
    }
}

/// Real keys in `f64::total_cmp` order: negatives below zero below positives, NaN above all.
#[test]
fn orders_real_keys_as_the_sort_does() {
    let keys: ArrayRef = Arc::new(Float64Array::from(vec![-2.5, -0.5, 0.0, 3.25, -10.0, 2.0, f64::NAN]));
    let vals = views(&[Some("-2.5"), Some("-0.5"), Some("0"), Some("3.25"), Some("-10"), Some("2"), Some("nan")]);
    let groups = [0usize, 0, 0, 0, 1, 1, 2];
    let mut max = FirstRowGroups::new(Pick::Max, key_kind(&DataType::Float64), fields(1, DataType::Utf8View));
    GroupsAccumulator::update_batch(&mut max, &[keys.clone(), vals.clone()], &groups, None, 3).unwrap();
    assert_eq!(column(&GroupsAccumulator::evaluate(&mut max, EmitTo::All).unwrap(), 0), vec!["3.25", "2", "nan"]);
    let mut min = FirstRowGroups::new(Pick::Min, key_kind(&DataType::Float64), fields(1, DataType::Utf8View));
    GroupsAccumulator::update_batch(&mut min, &[keys, vals], &groups, None, 3).unwrap();
    assert_eq!(column(&GroupsAccumulator::evaluate(&mut min, EmitTo::All).unwrap(), 0), vec!["-2.5", "-10", "nan"]);
}

/// Without a key: each group's first row (two columns from the same row); a group no row reached is null.
#[test]
fn keeps_the_first_row_seen() {
    let a = views(&[Some("x1"), Some("y1"), Some("x2"), Some("z1")]);
    let b = views(&[Some("X1"), None, Some("X2"), Some("Z1")]);
    let filter = BooleanArray::from(vec![true, true, true, false]);
    let mut g = FirstRowGroups::new(Pick::First, None, fields(2, DataType::Utf8View));
    GroupsAccumulator::update_batch(&mut g, &[a.clone(), b.clone()], &[0, 1, 0, 2], Some(&filter), 3).unwrap();
    GroupsAccumulator::update_batch(&mut g, &[a, b], &[1, 0, 2, 2], None, 3).unwrap();
    let rows = GroupsAccumulator::evaluate(&mut g, EmitTo::First(1)).unwrap();
    assert_eq!((column(&rows, 0), column(&rows, 1)), (vec!["x1".to_string()], vec!["X1".to_string()]));
    let rows = GroupsAccumulator::evaluate(&mut g, EmitTo::All).unwrap();
    assert_eq!(column(&rows, 0), vec!["y1", "x2"]);
    assert_eq!(column(&rows, 1), vec!["null", "X2"]);
    // a group created but never reached (all its rows filtered out) is a null row
    let mut h = FirstRowGroups::new(Pick::First, None, fields(1, DataType::Utf8View));
    let none = BooleanArray::from(vec![false]);
    GroupsAccumulator::update_batch(&mut h, &[views(&[Some("q")])], &[0], Some(&none), 1).unwrap();
    assert_eq!(column(&GroupsAccumulator::evaluate(&mut h, EmitTo::All).unwrap(), 0), vec!["null"]);
}

/// Thousands of batches each improving one group's key: the superseded rows are dropped (compaction) and the
/// kept rows own their bytes (not the batches' view buffers).
#[test]
fn compacts_superseded_rows() {
    let mut g = FirstRowGroups::new(Pick::Max, Some(KeyKind::Integer), fields(1, DataType::Utf8View));
    let long = "a string longer than twelve bytes, held in a data buffer";
    for i in 0..10_000i64 {
        let text = format!("{long} {i}");
        let vals = views(&[Some(text.as_str()), Some("other")]);
        GroupsAccumulator::update_batch(&mut g, &[timestamps(&[Some(i), Some(-i)]), vals], &[0, 1], None, 2).unwrap();
    }
    assert!(g.chunks.len() <= 65 && g.stored <= 2 * g.live + 4096 + 2, "{} chunks, {} rows", g.chunks.len(), g.stored);
    assert!(GroupsAccumulator::size(&g) < 1 << 20, "size {}", GroupsAccumulator::size(&g));
    let rows = GroupsAccumulator::evaluate(&mut g, EmitTo::All).unwrap();
    assert_eq!(column(&rows, 0), vec![format!("{long} 9999"), "other".to_string()]);
}

/// Without `by`: one group, through partial states too; no rows gives a null row.
#[test]
fn aggregates_without_groups() {
    let keys = timestamps(&[Some(3), Some(8), Some(2)]);
    let vals = views(&[Some("3"), Some("8"), Some("2")]);
    let mut one = FirstRowGroups::new(Pick::Max, Some(KeyKind::Integer), fields(1, DataType::Utf8View));
    Accumulator::update_batch(&mut one, &[keys, vals]).unwrap();
    let state = Accumulator::state(&mut one).unwrap();
    let state: Vec<ArrayRef> = state.iter().map(|s| s.to_array().unwrap()).collect();
    let mut other = FirstRowGroups::new(Pick::Max, Some(KeyKind::Integer), fields(1, DataType::Utf8View));
    Accumulator::merge_batch(&mut other, &state).unwrap();
    let ScalarValue::Struct(row) = Accumulator::evaluate(&mut other).unwrap() else { panic!("not a struct") };
    assert_eq!(column(&(row as ArrayRef), 0), vec!["8"]);
    let mut empty = FirstRowGroups::new(Pick::Max, Some(KeyKind::Integer), fields(1, DataType::Utf8View));
    assert!(Accumulator::evaluate(&mut empty).unwrap().is_null());
}
