//! One whole row per group, as a struct of its values: `arg_max(key, *)`/`arg_min(key, *)` over more than two
//! columns (arg-max-aggregation-function) and innerunique's any-one left row per join key (join-innerunique).
//!
//! - `kql_arg_max_row(key, v0, v1, …)`: the row with the greatest key, `kql_arg_min_row` the least; a row with a
//!   null key only when its group has no other (what `first_value(…) ORDER BY key DESC/ASC NULLS LAST` keeps:
//!   ties keep the row seen first). Keys: integers, booleans, datetimes, timespans (as `i64`) and reals (as
//!   `i64` in `f64::total_cmp` order, the order of DataFusion's sort).
//! - `kql_first_row(v0, v1, …)`: the first row each group sees.
//!
//! Both return `struct {c0: v0, c1: v1, …}`, read back with `binder::fields::first_row_field`.
//!
//! Why its own aggregate: DataFusion's `first_value` has no groups accumulator for structs, so its adapter
//! copied every column of every batch (sorted by group) and kept a struct scalar per group: query 08
//! (`arg_max(Timestamp, *)` of DeviceInfo's ~35 columns) spent a third of its time and 40–55 MB there. Here a
//! batch costs one pass over its keys, then one `take` of the rows that became some group's best; the taken
//! rows are kept in chunks (one per batch), compacted to one row per group once superseded rows outnumber the
//! live ones (or a quarter of them, past 64 chunks).

use super::aggregate::passes;
use datafusion::arrow::array::{
    new_null_array, Array, ArrayRef, AsArray, BooleanArray, Int64Array, StructArray, UInt32Array,
};
use datafusion::arrow::compute::{cast, interleave, take};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Float64Type, Int64Type};
use datafusion::common::{internal_err, Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility};
use std::sync::Arc;

/// Which row of a group is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pick {
    /// the first row seen (no key argument)
    First,
    /// the row with the greatest key
    Max,
    /// the row with the least key
    Min,
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct FirstRow {
    pick: Pick,
    signature: Signature,
}

impl FirstRow {
    pub fn new(pick: Pick) -> Self {
        FirstRow { pick, signature: Signature::variadic_any(Volatility::Immutable) }
    }

    /// Whether a key of `ty` is ordered here (the others keep `first_value`).
    pub fn orders(ty: &DataType) -> bool {
        key_kind(ty).is_some()
    }

    /// The arguments that are values (after the key, if any).
    fn values<'a, T>(&self, args: &'a [T]) -> &'a [T] {
        match self.pick {
            Pick::First => args,
            Pick::Max | Pick::Min => args.get(1..).unwrap_or_default(),
        }
    }

    fn groups(&self, args: &AccumulatorArgs) -> Result<FirstRowGroups> {
        let DataType::Struct(fields) = args.return_field.data_type() else {
            return internal_err!("{}: the result is not a struct", self.name());
        };
        let kind = match self.pick {
            Pick::First => None,
            Pick::Max | Pick::Min => match args.expr_fields.first().and_then(|f| key_kind(f.data_type())) {
                Some(k) => Some(k),
                None => return internal_err!("{}: the key's type is not ordered here", self.name()),
            },
        };
        Ok(FirstRowGroups::new(self.pick, kind, fields.clone()))
    }
}

/// How a key's values become ordered `i64`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    /// integers, booleans, datetimes, timespans, dates: their value
    Integer,
    /// reals: bits mapped so that `i64` order is `f64::total_cmp` order
    Real,
}

fn key_kind(ty: &DataType) -> Option<KeyKind> {
    use DataType::*;
    match ty {
        Boolean
        | Int8
        | Int16
        | Int32
        | Int64
        | UInt8
        | UInt16
        | UInt32
        | Timestamp(_, _)
        | Duration(_)
        | Date32
        | Date64 => Some(KeyKind::Integer),
        Float32 | Float64 => Some(KeyKind::Real),
        _ => None,
    }
}

/// `key` as ordered `i64`s (nulls kept).
fn ordered_keys(key: &ArrayRef, kind: KeyKind) -> Result<Int64Array> {
    Ok(match kind {
        KeyKind::Integer => match key.data_type() {
            DataType::Int64 => key.as_primitive::<Int64Type>().clone(),
            // timestamps, durations and dates reinterpret their i64/i32; the others widen
            _ => cast(key, &DataType::Int64)?.as_primitive::<Int64Type>().clone(),
        },
        KeyKind::Real => {
            let f = cast(key, &DataType::Float64)?;
            f.as_primitive::<Float64Type>().unary::<_, Int64Type>(|x| {
                let b = x.to_bits() as i64;
                b ^ (((b >> 63) as u64) >> 1) as i64
            })
        }
    })
}

fn state_key_field() -> FieldRef {
    Arc::new(Field::new("key", DataType::Int64, true))
}

impl AggregateUDFImpl for FirstRow {
    fn name(&self) -> &str {
        match self.pick {
            Pick::First => "kql_first_row",
            Pick::Max => "kql_arg_max_row",
            Pick::Min => "kql_arg_min_row",
        }
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        let fields: Fields = self
            .values(arg_types)
            .iter()
            .enumerate()
            .map(|(i, t)| Field::new(format!("c{i}"), t.clone(), true))
            .collect();
        Ok(DataType::Struct(fields))
    }
    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(self.groups(&args)?))
    }
    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }
    fn create_groups_accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(self.groups(&args)?))
    }
    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let row = Arc::new(Field::new("row", args.return_field.data_type().clone(), true));
        Ok(vec![state_key_field(), row, Arc::new(Field::new("seen", DataType::Boolean, false))])
    }
}

/// Where a group's row is kept: chunk and row in it.
#[derive(Debug, Clone, Copy, Default)]
struct Loc {
    chunk: u32,
    row: u32,
}

/// A group that has no row yet / whose row has a null key / whose row has a key.
const NONE: u8 = 0;
const NULL_KEY: u8 = 1;
const KEYED: u8 = 2;

#[derive(Debug)]
struct FirstRowGroups {
    pick: Pick,
    kind: Option<KeyKind>,
    fields: Fields,
    /// per group: NONE, NULL_KEY or KEYED
    state: Vec<u8>,
    /// per group: its row's ordered key (when KEYED)
    best: Vec<i64>,
    /// per group: its row (unless NONE)
    loc: Vec<Loc>,
    /// the rows taken so far (struct arrays), superseded ones included
    chunks: Vec<ArrayRef>,
    /// rows in `chunks`
    stored: usize,
    /// groups with a row
    live: usize,
    /// scratch: per group the batch row that is its best so far in this batch (u32::MAX: none)
    cand: Vec<u32>,
    /// scratch: the groups with a candidate, in order of first improvement
    touched: Vec<u32>,
}

impl FirstRowGroups {
    fn new(pick: Pick, kind: Option<KeyKind>, fields: Fields) -> Self {
        FirstRowGroups {
            pick,
            kind,
            fields,
            state: Vec::new(),
            best: Vec::new(),
            loc: Vec::new(),
            chunks: Vec::new(),
            stored: 0,
            live: 0,
            cand: Vec::new(),
            touched: Vec::new(),
        }
    }

    fn grow(&mut self, total: usize) {
        if self.state.len() < total {
            self.state.resize(total, NONE);
            self.best.resize(total, 0);
            self.loc.resize(total, Loc::default());
        }
        if self.cand.len() < total {
            self.cand.resize(total, u32::MAX);
        }
    }

    /// Rows of `rows` (a struct array) offered to groups `group_indices`, with ordered `keys` (None without a
    /// key), rows where `filter` is not true skipped.
    fn absorb(
        &mut self,
        keys: Option<&Int64Array>,
        rows: &ArrayRef,
        group_indices: &[usize],
        filter: Option<&BooleanArray>,
        total: usize,
    ) -> Result<()> {
        self.grow(total);
        let desc = self.pick == Pick::Max;
        for (r, &g) in group_indices.iter().enumerate() {
            if !passes(filter, r) {
                continue;
            }
            let (Some(state), Some(best), Some(cand)) =
                (self.state.get_mut(g), self.best.get_mut(g), self.cand.get_mut(g))
            else {
                return internal_err!("kql_first_row: group {g} out of range");
            };
            // a key that beats the group's (a valid key beats a null one; ties keep the row seen first)
            let better = match (keys, *state) {
                (None, s) => s == NONE,
                (Some(_), NONE) => true,
                (Some(k), NULL_KEY) => k.is_valid(r),
                (Some(k), _) => k.is_valid(r) && if desc { k.value(r) > *best } else { k.value(r) < *best },
            };
            if !better {
                continue;
            }
            if *state == NONE {
                self.live += 1;
            }
            *state = match keys {
                Some(k) if k.is_valid(r) => {
                    *best = k.value(r);
                    KEYED
                }
                Some(_) => NULL_KEY,
                None => KEYED,
            };
            if *cand == u32::MAX {
                self.touched.push(g as u32);
            }
            *cand = r as u32;
        }
        if self.touched.is_empty() {
            return Ok(());
        }
        let mut indices = Vec::with_capacity(self.touched.len());
        let chunk = self.chunks.len() as u32;
        for (j, &g) in self.touched.iter().enumerate() {
            let g = g as usize;
            if let (Some(c), Some(loc)) = (self.cand.get_mut(g), self.loc.get_mut(g)) {
                indices.push(*c);
                *c = u32::MAX;
                *loc = Loc { chunk, row: j as u32 };
            }
        }
        self.touched.clear();
        let taken = own_views(take(rows.as_ref(), &UInt32Array::from(indices), None)?);
        self.stored += taken.len();
        self.chunks.push(taken);
        // superseded rows cost memory, chunks a few buffers each, a compaction a copy of the live rows
        let superseded = self.stored.saturating_sub(self.live);
        if superseded > self.live + 4096 || (self.chunks.len() > 64 && superseded * 4 > self.live) {
            self.compact()?;
        }
        Ok(())
    }

    /// The kept rows of every group with one, as the only chunk.
    fn compact(&mut self) -> Result<()> {
        let mut at = Vec::new();
        let mut groups = Vec::new();
        for (g, s) in self.state.iter().enumerate() {
            if *s != NONE {
                if let Some(l) = self.loc.get(g) {
                    at.push((l.chunk as usize, l.row as usize));
                    groups.push(g);
                }
            }
        }
        let one = self.gather(&at)?;
        for (j, g) in groups.into_iter().enumerate() {
            if let Some(l) = self.loc.get_mut(g) {
                *l = Loc { chunk: 0, row: j as u32 };
            }
        }
        self.stored = one.len();
        self.chunks = vec![one];
        Ok(())
    }

    /// The rows at `at` (chunk, row) as one struct array; chunk `chunks.len()` is a null row.
    fn gather(&self, at: &[(usize, usize)]) -> Result<ArrayRef> {
        let null = new_null_array(&DataType::Struct(self.fields.clone()), 1);
        let mut sources: Vec<&dyn Array> = self.chunks.iter().map(|c| c.as_ref()).collect();
        sources.push(null.as_ref());
        Ok(own_views(interleave(&sources, at)?))
    }

    /// The first groups of `emit_to` (their rows, keys and whether they have a row), removed.
    fn emit(&mut self, emit_to: EmitTo) -> Result<(ArrayRef, Vec<i64>, Vec<u8>)> {
        let state = emit_to.take_needed(&mut self.state);
        let best = emit_to.take_needed(&mut self.best);
        let loc = emit_to.take_needed(&mut self.loc);
        let null_chunk = self.chunks.len();
        let at: Vec<(usize, usize)> = state
            .iter()
            .zip(&loc)
            .map(|(s, l)| if *s == NONE { (null_chunk, 0) } else { (l.chunk as usize, l.row as usize) })
            .collect();
        let rows = self.gather(&at)?;
        self.live = self.live.saturating_sub(state.iter().filter(|s| **s != NONE).count());
        if self.state.is_empty() {
            self.chunks.clear();
            self.stored = 0;
        }
        Ok((rows, best, state))
    }

    fn struct_of(&self, values: &[ArrayRef]) -> Result<ArrayRef> {
        Ok(Arc::new(StructArray::try_new(self.fields.clone(), values.to_vec(), None)?))
    }

    /// The update arguments split into ordered keys and rows.
    fn split(&self, values: &[ArrayRef]) -> Result<(Option<Int64Array>, ArrayRef)> {
        match self.kind {
            None => Ok((None, self.struct_of(values)?)),
            Some(kind) => match values.split_first() {
                Some((key, rest)) => Ok((Some(ordered_keys(key, kind)?), self.struct_of(rest)?)),
                None => internal_err!("kql_arg_max_row: no key"),
            },
        }
    }

    fn state_arrays(rows: ArrayRef, best: Vec<i64>, state: &[u8]) -> Vec<ArrayRef> {
        let keys = Int64Array::from_iter(best.into_iter().zip(state).map(|(b, s)| (*s == KEYED).then_some(b)));
        let seen = BooleanArray::from_iter(state.iter().map(|s| Some(*s != NONE)));
        vec![Arc::new(keys), rows, Arc::new(seen)]
    }
}

/// `a` with its string/binary views copied out of the buffers they share with the batch they were taken from
/// (which would otherwise stay alive for a few rows), in structs too.
fn own_views(a: ArrayRef) -> ArrayRef {
    match a.data_type() {
        DataType::Utf8View => Arc::new(a.as_string_view().gc()),
        DataType::BinaryView => Arc::new(a.as_binary_view().gc()),
        DataType::Struct(_) => {
            let s = a.as_struct();
            if !s
                .columns()
                .iter()
                .any(|c| matches!(c.data_type(), DataType::Utf8View | DataType::BinaryView | DataType::Struct(_)))
            {
                return a;
            }
            let columns: Vec<ArrayRef> = s.columns().iter().map(|c| own_views(Arc::clone(c))).collect();
            match StructArray::try_new(s.fields().clone(), columns, s.nulls().cloned()) {
                Ok(s) => Arc::new(s),
                Err(_) => a,
            }
        }
        _ => a,
    }
}

impl GroupsAccumulator for FirstRowGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        let (keys, rows) = self.split(values)?;
        self.absorb(keys.as_ref(), &rows, group_indices, opt_filter, total_num_groups)
    }
    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        Ok(self.emit(emit_to)?.0)
    }
    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let (rows, best, state) = self.emit(emit_to)?;
        Ok(Self::state_arrays(rows, best, &state))
    }
    fn merge_batch(&mut self, values: &[ArrayRef], group_indices: &[usize], total_num_groups: usize) -> Result<()> {
        let (Some(keys), Some(rows), Some(seen)) = (values.first(), values.get(1), values.get(2)) else {
            return internal_err!("kql_first_row: a state has 3 columns");
        };
        let keys = self.kind.map(|_| keys.as_primitive::<Int64Type>().clone());
        self.absorb(keys.as_ref(), rows, group_indices, Some(seen.as_boolean()), total_num_groups)
    }
    /// Each row as a group's state of its own.
    fn convert_to_state(&self, values: &[ArrayRef], opt_filter: Option<&BooleanArray>) -> Result<Vec<ArrayRef>> {
        let (keys, rows) = self.split(values)?;
        let n = rows.len();
        let keys: ArrayRef = match keys {
            Some(k) => Arc::new(k),
            None => Arc::new(Int64Array::new_null(n)),
        };
        let seen = BooleanArray::from_iter((0..n).map(|r| Some(passes(opt_filter, r))));
        Ok(vec![keys, rows, Arc::new(seen)])
    }
    fn size(&self) -> usize {
        self.chunks.iter().map(|c| c.get_array_memory_size()).sum::<usize>()
            + self.state.capacity() * (1 + 8 + 8)
            + self.cand.capacity() * 4
    }
}

/// Without `by`: the same, with one group.
impl Accumulator for FirstRowGroups {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let n = values.first().map_or(0, |a| a.len());
        GroupsAccumulator::update_batch(self, values, &vec![0; n], None, 1)
    }
    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.grow(1);
        let rows = GroupsAccumulator::evaluate(self, EmitTo::All)?;
        ScalarValue::try_from_array(&rows, 0)
    }
    fn size(&self) -> usize {
        GroupsAccumulator::size(self)
    }
    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        self.grow(1);
        let arrays = GroupsAccumulator::state(self, EmitTo::All)?;
        arrays.iter().map(|a| ScalarValue::try_from_array(a, 0)).collect()
    }
    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let n = states.first().map_or(0, |a| a.len());
        GroupsAccumulator::merge_batch(self, states, &vec![0; n], 1)
    }
}

#[cfg(test)]
mod tests;
