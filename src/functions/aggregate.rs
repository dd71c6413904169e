//! Aggregates for `summarize`: the table of aggregate functions with their Kusto output names (`count_`,
//! `dcount_X`, `set_X`…, summarize-operator), result types, empty-input defaults, and the make_set/make_list
//! accumulator. `arg_max`/`arg_min` are rows here too; the binder expands their `*`.

use super::{sig, sig_opt, Arg, Ret, Sig, P};
use crate::diagnostics::BindError;
use crate::types::KqlType;
use datafusion::arrow::array::{Array, ArrayRef, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result as DfResult, ScalarValue};
use datafusion::functions_aggregate::expr_fn as af;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    cast, lit, when, Accumulator, AggregateUDF, AggregateUDFImpl, Expr, Signature, Volatility,
};
use serde_json::Value;
use std::sync::{Arc, LazyLock};

/// How the output column of an unnamed aggregate is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggName {
    /// `count()` → `count_`
    Fixed(&'static str),
    /// `sum(X)` → `sum_X`; over an expression, `sum_`
    Prefix(&'static str),
    /// `take_any(X)` → `X`
    Arg,
    /// `arg_max(E, cols)`: named by the binder from E and the returned columns
    ArgMax,
}

pub type AggLower = fn(Vec<Arg>) -> Result<(Expr, KqlType), BindError>;

pub struct AggDef {
    pub name: &'static str,
    pub sigs: &'static [Sig],
    pub lower: AggLower,
    pub naming: AggName,
    /// the value on empty input with no `by` (count-like aggregates give 0, the rest null)
    pub zero_default: bool,
    /// for arg_max/arg_min: order descending (max) or ascending (min)
    pub arg_desc: Option<bool>,
}

fn one(a: Vec<Arg>) -> Arg {
    a.into_iter().next().unwrap_or(Arg { expr: lit(1i64), ty: KqlType::Long, span: Default::default() })
}

fn count(_: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    Ok((af::count(lit(1i64)), KqlType::Long))
}

fn countif(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let p = one(a).expr;
    let as_num = when(p, lit(1i64)).otherwise(lit(0i64)).unwrap_or(lit(0i64));
    Ok((af::sum(as_num), KqlType::Long))
}

fn dcount(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    // exact distinct count: Kusto's HyperLogLog is exact at these sizes (dcount-aggregation-function); strings
    // (and dynamic, guid) by kql_dcount (dcount.rs), other types by DataFusion's
    let x = one(a);
    if x.ty.to_arrow() == DataType::Utf8 {
        return Ok((DCOUNT_UDF.call(vec![x.expr]), KqlType::Long));
    }
    Ok((af::count_distinct(x.expr), KqlType::Long))
}

fn dcountif(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    dcount(vec![only_if(a)])
}

fn sum(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let x = one(a);
    let t = if x.ty == KqlType::Int { KqlType::Long } else { x.ty };
    Ok((af::sum(cast(x.expr, t.to_arrow())), t))
}

fn sumif(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    sum(vec![only_if(a)])
}

fn avg(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    Ok((af::avg(cast(one(a).expr, DataType::Float64)), KqlType::Real))
}

/// `x` where the predicate (the second argument) holds, else null: the input of every `...if` aggregate
/// (arguments after the predicate, such as make_set_if's limit, are the caller's).
fn only_if(a: Vec<Arg>) -> Arg {
    let mut it = a.into_iter();
    match (it.next(), it.next()) {
        (Some(x), Some(p)) => Arg { expr: when(p.expr, x.expr).end().unwrap_or(lit(ScalarValue::Null)), ..x },
        (Some(x), None) => x,
        _ => one(vec![]),
    }
}

fn avgif(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    avg(vec![only_if(a)])
}

fn minif(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    min(vec![only_if(a)])
}

fn maxif(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    max(vec![only_if(a)])
}

/// stdev, stdevp, variance, variancep (and their `if` forms): sample (n-1) or population statistics, real.
fn spread(a: Vec<Arg>, f: fn(Expr) -> Expr) -> Result<(Expr, KqlType), BindError> {
    Ok((f(cast(one(a).expr, DataType::Float64)), KqlType::Real))
}

fn stdev(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    spread(a, af::stddev)
}

fn stdevp(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    spread(a, af::stddev_pop)
}

fn variance(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    spread(a, af::var_sample)
}

fn variancep(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    spread(a, af::var_pop)
}

fn stdevif(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    stdev(vec![only_if(a)])
}

fn varianceif(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    variance(vec![only_if(a)])
}

fn min(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let x = one(a);
    Ok((af::min(x.expr), x.ty))
}

fn max(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let x = one(a);
    Ok((af::max(x.expr), x.ty))
}

fn take_any(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let x = one(a);
    Ok((af::first_value(x.expr, vec![]), x.ty))
}

/// `take_anyif(x, p)`: one value of x from a row where p holds (the largest, so the answer is repeatable).
fn take_anyif(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    max(vec![only_if(a)])
}

fn make_set(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let limit = a.get(1).map(|l| l.expr.clone());
    let x = one(a);
    Ok((make_list_max(true, x.ty, x.expr, limit), KqlType::Dynamic))
}

/// `make_set_if(x, p)`: make_set over the rows where p holds.
fn make_set_if(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let limit = a.get(2).map(|l| l.expr.clone());
    let x = only_if(a);
    Ok((make_list_max(true, x.ty, x.expr, limit), KqlType::Dynamic))
}

fn make_list_if(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let limit = a.get(2).map(|l| l.expr.clone());
    let x = only_if(a);
    Ok((make_list_max(false, x.ty, x.expr, limit), KqlType::Dynamic))
}

/// `make_list_with_nulls(x)`: every value in row order, nulls as `null` (make-list-with-nulls-aggregation-function).
fn make_list_with_nulls(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let x = one(a);
    let [_, _, _, with_nulls] = &*AGGREGATE_UDFS;
    Ok((with_nulls.call(vec![super::udf::type_codes(&[x.ty]), x.expr]), KqlType::Dynamic))
}

/// `hll(x[, accuracy])`: Kusto's HyperLogLog sketch. kqlite keeps the exact distinct values (a dynamic array;
/// `dcount_hll` counts them, `hll_merge` unites them), so the counts are exact (hll-aggregation-function).
fn hll(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let x = one(a);
    Ok((make_list_max(true, x.ty, x.expr, None), KqlType::Dynamic))
}

/// `hll_merge(h)`: the union of hll values (make_set flattens arrays: each distinct element once).
fn hll_merge(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let x = one(a);
    Ok((make_list_max(true, KqlType::Dynamic, x.expr, None), KqlType::Dynamic))
}

/// `binary_all_or/and/xor(x)`: the bitwise aggregate of the long values (binary-all-or-aggregation-function).
fn binary_all(a: Vec<Arg>, f: fn(Expr) -> Expr) -> Result<(Expr, KqlType), BindError> {
    let x = one(a);
    Ok((f(cast(x.expr, DataType::Int64)), KqlType::Long))
}

fn binary_all_or(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    binary_all(a, af::bit_or)
}

fn binary_all_and(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    binary_all(a, af::bit_and)
}

fn binary_all_xor(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    binary_all(a, af::bit_xor)
}

fn make_list_agg(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let limit = a.get(1).map(|l| l.expr.clone());
    let x = one(a);
    Ok((make_list_max(false, x.ty, x.expr, limit), KqlType::Dynamic))
}

/// arg_max/arg_min: the binder builds one `first_value(c ORDER BY E)` per returned column; this row only
/// checks arity and types of E.
fn arg_extreme(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let x = one(a);
    Ok((x.expr, x.ty))
}

const ANY: &[Sig] = &[sig(&[P::Any], Ret::Arg(0))];
const NONE: &[Sig] = &[sig_opt(&[P::Any], 1, Ret::T(KqlType::Long))];
const PRED: &[Sig] = &[sig(&[P::Bool], Ret::T(KqlType::Long))];
const NUM: &[Sig] = &[sig(&[P::Num], Ret::Arg(0))];
const NUM_IF: &[Sig] = &[sig(&[P::Num, P::Bool], Ret::Arg(0))];
const ANY_IF: &[Sig] = &[sig(&[P::Any, P::Bool], Ret::Arg(0))];
const ANY_DYN: &[Sig] = &[sig(&[P::Any], Ret::T(KqlType::Dynamic))];
const INTEGER: &[Sig] = &[sig(&[P::Num], Ret::T(KqlType::Long))];
const SET: &[Sig] = &[sig_opt(&[P::Any, P::Long], 1, Ret::T(KqlType::Dynamic))];
const SET_IF: &[Sig] = &[sig_opt(&[P::Any, P::Bool, P::Long], 1, Ret::T(KqlType::Dynamic))];
const ARG: &[Sig] = &[super::sig_var(&[P::Any], P::Any, 2, 1000, Ret::Arg(0))];

const fn agg(name: &'static str, sigs: &'static [Sig], lower: AggLower, naming: AggName) -> AggDef {
    AggDef { name, sigs, lower, naming, zero_default: false, arg_desc: None }
}

pub const AGGREGATES: &[AggDef] = &[
    AggDef { zero_default: true, ..agg("count", NONE, count, AggName::Fixed("count_")) },
    AggDef { zero_default: true, ..agg("countif", PRED, countif, AggName::Fixed("countif_")) },
    AggDef {
        zero_default: true,
        ..agg("dcount", &[sig_opt(&[P::Any, P::Long], 1, Ret::T(KqlType::Long))], dcount, AggName::Prefix("dcount_"))
    },
    AggDef {
        zero_default: true,
        // the third argument is the estimate's accuracy level: kqlite's count is exact
        ..agg(
            "dcountif",
            &[sig_opt(&[P::Any, P::Bool, P::Long], 1, Ret::T(KqlType::Long))],
            dcountif,
            AggName::Prefix("dcountif_"),
        )
    },
    AggDef { zero_default: true, ..agg("count_distinct", ANY, dcount, AggName::Prefix("count_distinct_")) },
    AggDef { zero_default: true, ..agg("sum", NUM, sum, AggName::Prefix("sum_")) },
    AggDef { zero_default: true, ..agg("sumif", NUM_IF, sumif, AggName::Prefix("sumif_")) },
    agg("avg", NUM, avg, AggName::Prefix("avg_")),
    agg("avgif", NUM_IF, avgif, AggName::Prefix("avgif_")),
    agg("stdev", NUM, stdev, AggName::Prefix("stdev_")),
    agg("stdevp", NUM, stdevp, AggName::Prefix("stdevp_")),
    agg("stdevif", NUM_IF, stdevif, AggName::Prefix("stdevif_")),
    agg("variance", NUM, variance, AggName::Prefix("variance_")),
    agg("variancep", NUM, variancep, AggName::Prefix("variancep_")),
    agg("varianceif", NUM_IF, varianceif, AggName::Prefix("varianceif_")),
    agg("min", ANY, min, AggName::Prefix("min_")),
    agg("minif", ANY_IF, minif, AggName::Prefix("minif_")),
    agg("maxif", ANY_IF, maxif, AggName::Prefix("maxif_")),
    agg("max", ANY, max, AggName::Prefix("max_")),
    agg("take_any", ANY, take_any, AggName::Arg),
    agg("any", ANY, take_any, AggName::Prefix("any_")),
    agg("take_anyif", ANY_IF, take_anyif, AggName::Arg),
    agg("make_set", SET, make_set, AggName::Prefix("set_")),
    agg("makeset", SET, make_set, AggName::Prefix("set_")),
    agg("make_list", SET, make_list_agg, AggName::Prefix("list_")),
    agg("make_bag", SET, make_bag, AggName::Prefix("bag_")),
    agg("make_bag_if", SET_IF, make_bag_if, AggName::Prefix("bag_")),
    agg("make_set_if", SET_IF, make_set_if, AggName::Prefix("set_")),
    agg("make_list_if", SET_IF, make_list_if, AggName::Prefix("list_")),
    agg("makelist", SET, make_list_agg, AggName::Prefix("list_")),
    agg("make_list_with_nulls", ANY_DYN, make_list_with_nulls, AggName::Prefix("list_")),
    agg("hll", &[sig_opt(&[P::Any, P::Long], 1, Ret::T(KqlType::Dynamic))], hll, AggName::Prefix("hll_")),
    agg("hll_merge", &[sig(&[P::Dyn], Ret::T(KqlType::Dynamic))], hll_merge, AggName::Prefix("hll_merge_")),
    agg("binary_all_or", INTEGER, binary_all_or, AggName::Arg),
    agg("binary_all_and", INTEGER, binary_all_and, AggName::Arg),
    agg("binary_all_xor", INTEGER, binary_all_xor, AggName::Arg),
    agg("percentile", &[sig(&[P::Any, P::Num], Ret::T(KqlType::Real))], percentile, AggName::Prefix("percentile_")),
    AggDef { arg_desc: Some(true), ..agg("arg_max", ARG, arg_extreme, AggName::ArgMax) },
    AggDef { arg_desc: Some(false), ..agg("arg_min", ARG, arg_extreme, AggName::ArgMax) },
    AggDef { arg_desc: Some(true), ..agg("argmax", ARG, arg_extreme, AggName::ArgMax) },
    AggDef { arg_desc: Some(false), ..agg("argmin", ARG, arg_extreme, AggName::ArgMax) },
];

pub fn lookup_aggregate(name: &str) -> Option<&'static AggDef> {
    static BY_NAME: LazyLock<std::collections::HashMap<&'static str, &'static AggDef>> = LazyLock::new(|| {
        let mut m = std::collections::HashMap::new();
        for a in AGGREGATES {
            m.entry(a.name).or_insert(a);
        }
        m
    });
    BY_NAME.get(name).copied()
}

/// The registry's aggregate UDFs: `kql_make_set`, `kql_make_list`.
static AGGREGATE_UDFS: LazyLock<[Arc<AggregateUDF>; 4]> = LazyLock::new(|| {
    [Collect::Set, Collect::List, Collect::Bag, Collect::ListWithNulls]
        .map(|kind| Arc::new(AggregateUDF::from(MakeList::new(kind))))
});

static DCOUNT_UDF: LazyLock<Arc<AggregateUDF>> =
    LazyLock::new(|| Arc::new(AggregateUDF::from(super::dcount::Dcount::new())));

static PERCENTILE_UDF: LazyLock<Arc<AggregateUDF>> =
    LazyLock::new(|| Arc::new(AggregateUDF::from(super::percentile::Percentile::new())));

static FIRST_ROW_UDFS: LazyLock<[Arc<AggregateUDF>; 3]> = LazyLock::new(|| {
    [super::first_row::Pick::First, super::first_row::Pick::Max, super::first_row::Pick::Min]
        .map(|pick| Arc::new(AggregateUDF::from(super::first_row::FirstRow::new(pick))))
});

/// `kql_first_row` / `kql_arg_max_row` / `kql_arg_min_row`: one whole row per group (see `first_row`).
pub fn first_row_udf(pick: super::first_row::Pick) -> Arc<AggregateUDF> {
    let [first, max, min] = &*FIRST_ROW_UDFS;
    Arc::clone(match pick {
        super::first_row::Pick::First => first,
        super::first_row::Pick::Max => max,
        super::first_row::Pick::Min => min,
    })
}

pub(super) fn all_aggregate() -> Vec<Arc<AggregateUDF>> {
    let mut all = AGGREGATE_UDFS.to_vec();
    all.push(Arc::clone(&PERCENTILE_UDF));
    all.push(Arc::clone(&DCOUNT_UDF));
    all.extend(FIRST_ROW_UDFS.iter().cloned());
    all
}

/// `percentile(x, P)`: the nearest-rank value, of x's type (int as long; decimal as real).
fn percentile(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let mut it = a.into_iter();
    let (Some(x), Some(p)) = (it.next(), it.next()) else { return Ok((lit(ScalarValue::Null), KqlType::Real)) };
    let (x, ty) = match x.ty {
        KqlType::Int | KqlType::Long => (cast(x.expr, DataType::Int64), KqlType::Long),
        KqlType::Datetime | KqlType::Timespan => (x.expr, x.ty),
        _ => (cast(x.expr, DataType::Float64), KqlType::Real),
    };
    Ok((PERCENTILE_UDF.call(vec![x, cast(p.expr, DataType::Float64)]), ty))
}

/// `kql_make_set('<type>', x)` (`distinct`) or `kql_make_list('<type>', x)`: the Kusto type of x travels as a
/// leading constant type code, as for the scalar UDFs (`udf::type_codes`).
pub fn make_list(distinct: bool, ty: KqlType, x: Expr) -> Expr {
    make_list_max(distinct, ty, x, None)
}

/// Kusto's default `MaxSize` of make_set / make_list (make-set-aggregation-function).
const MAX_SIZE: usize = 1_048_576;

/// [`make_list`] keeping at most `limit` values (a constant long; Kusto's default when `None`): the first
/// ones met, as Kusto keeps.
pub fn make_list_max(distinct: bool, ty: KqlType, x: Expr, limit: Option<Expr>) -> Expr {
    let [set, list, _, _] = &*AGGREGATE_UDFS;
    let mut args = vec![super::udf::type_codes(&[ty]), x];
    args.extend(limit);
    (if distinct { set } else { list }).call(args)
}

/// `kql_make_bag('dynamic', x[, limit])`: the bags' keys merged into one bag (make-bag-aggregation-function).
fn make_bag_expr(x: Expr, limit: Option<Expr>) -> Expr {
    let [_, _, bag, _] = &*AGGREGATE_UDFS;
    let mut args = vec![super::udf::type_codes(&[KqlType::Dynamic]), x];
    args.extend(limit);
    bag.call(args)
}

fn make_bag(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let limit = a.get(1).map(|l| l.expr.clone());
    let x = one(a);
    let x = if x.ty == KqlType::Dynamic { x } else { super::convert_to(x, KqlType::Dynamic) };
    Ok((make_bag_expr(x.expr, limit), KqlType::Dynamic))
}

fn make_bag_if(a: Vec<Arg>) -> Result<(Expr, KqlType), BindError> {
    let limit = a.get(2).map(|l| l.expr.clone());
    let x = only_if(a);
    let x = if x.ty == KqlType::Dynamic { x } else { super::convert_to(x, KqlType::Dynamic) };
    Ok((make_bag_expr(x.expr, limit), KqlType::Dynamic))
}

/// What a [`MakeList`] accumulator collects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Collect {
    /// distinct values (an array's elements count one by one)
    Set,
    List,
    /// make_list_with_nulls: a null value is an element too
    ListWithNulls,
    /// the keys of property bags, merged (the first value of a key is kept)
    Bag,
}

/// `kql_make_set` / `kql_make_list`: collects values as JSON; an array argument to make_set contributes its
/// elements (make-set-aggregation-function). The result is a dynamic array, `[]` for no values. Arguments:
/// the type code of the values (see `udf::TypeCodes`), then the values.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MakeList {
    kind: Collect,
    signature: Signature,
}

impl MakeList {
    fn new(kind: Collect) -> Self {
        MakeList { kind, signature: Signature::user_defined(Volatility::Immutable) }
    }

    /// An empty accumulator for these arguments (the size limit, a constant, is the third).
    fn list_acc(&self, acc_args: &AccumulatorArgs) -> DfResult<ListAcc> {
        let limit = match acc_args.exprs.get(2) {
            None => MAX_SIZE,
            Some(e) => match e.downcast_ref::<datafusion::physical_expr::expressions::Literal>() {
                Some(l) => match l.value() {
                    ScalarValue::Int64(Some(n)) => usize::try_from(*n).unwrap_or(0),
                    ScalarValue::Int64(None) => MAX_SIZE,
                    other => return datafusion::common::plan_err!("{}: size limit {other} is not a long", self.name()),
                },
                None => return datafusion::common::plan_err!("{}: the size limit must be a constant", self.name()),
            },
        };
        Ok(ListAcc::new(self.kind, limit))
    }
}

impl AggregateUDFImpl for MakeList {
    fn name(&self) -> &str {
        match self.kind {
            Collect::Set => "kql_make_set",
            Collect::List => "kql_make_list",
            Collect::ListWithNulls => "kql_make_list_with_nulls",
            Collect::Bag => "kql_make_bag",
        }
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> DfResult<Vec<DataType>> {
        match arg_types {
            [DataType::Utf8, _] => Ok(arg_types.to_vec()),
            [DataType::Utf8, x, _] => Ok(vec![DataType::Utf8, x.clone(), DataType::Int64]),
            _ => datafusion::common::plan_err!("{} takes a constant type code, a value and a size limit", self.name()),
        }
    }
    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Utf8)
    }
    fn is_nullable(&self) -> bool {
        false
    }
    fn accumulator(&self, acc_args: AccumulatorArgs) -> DfResult<Box<dyn Accumulator>> {
        Ok(Box::new(self.list_acc(&acc_args)?))
    }
    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }
    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> DfResult<Box<dyn datafusion::logical_expr::GroupsAccumulator>> {
        let ListAcc { kind, limit, .. } = self.list_acc(&args)?;
        Ok(Box::new(ListGroups { kind, limit, groups: Vec::new() }))
    }
    fn state_fields(&self, _args: StateFieldsArgs) -> DfResult<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new("items", DataType::Utf8, true))])
    }
    fn default_value(&self, _data_type: &DataType) -> DfResult<ScalarValue> {
        Ok(ScalarValue::Utf8(Some(if self.kind == Collect::Bag { "{}" } else { "[]" }.into())))
    }
}

#[derive(Debug)]
struct ListAcc {
    kind: Collect,
    /// make_bag's keys and values
    bag: serde_json::Map<String, Value>,
    /// values kept at most
    limit: usize,
    items: Vec<Value>,
    /// a set's string values, as they are
    seen_strings: std::collections::HashSet<String, foldhash::fast::FixedState>,
    /// a set's other values, by their JSON text
    seen: std::collections::HashSet<String, foldhash::fast::FixedState>,
}

impl ListAcc {
    /// An empty accumulator.
    fn new(kind: Collect, limit: usize) -> ListAcc {
        ListAcc {
            kind,
            limit,
            items: Vec::new(),
            seen_strings: Default::default(),
            seen: Default::default(),
            bag: Default::default(),
        }
    }

    fn push(&mut self, v: Value) {
        if self.kind == Collect::Bag {
            if let Value::Object(m) = v {
                for (k, x) in m {
                    if self.bag.len() < self.limit && !self.bag.contains_key(&k) {
                        self.bag.insert(k, x);
                    }
                }
            }
            return;
        }
        if (v.is_null() && self.kind != Collect::ListWithNulls) || self.items.len() >= self.limit {
            return;
        }
        if self.kind == Collect::Set {
            if let Value::Array(items) = v {
                for i in items {
                    self.push(i);
                }
                return;
            }
            if let Value::String(s) = &v {
                return self.push_new_string(s);
            }
            return self.push_new(&v.to_string(), || v);
        }
        self.items.push(v);
    }

    /// A set's string value: kept when it is new and the set has room (found by its own text: nothing written
    /// or allocated for a string seen already).
    fn push_new_string(&mut self, s: &str) {
        if self.items.len() < self.limit && !self.seen_strings.contains(s) {
            self.seen_strings.insert(s.to_string());
            self.items.push(Value::String(s.to_string()));
        }
    }

    /// A set's other value, known by its JSON text `key`: kept when it is new and the set has room; `value` is
    /// built only then.
    fn push_new(&mut self, key: &str, value: impl FnOnce() -> Value) {
        if self.items.len() < self.limit && !self.seen.contains(key) {
            self.seen.insert(key.to_string());
            self.items.push(value());
        }
    }

    /// Row `r` of the values `a` (of type codes `types`; `strings` when `a` is a string array).
    fn add(
        &mut self,
        a: &ArrayRef,
        strings: Option<&StringArray>,
        types: &mut super::udf::TypeCodes,
        r: usize,
    ) -> DfResult<()> {
        if a.is_null(r) {
            if self.kind == Collect::ListWithNulls {
                self.push(Value::Null);
            }
            return Ok(());
        }
        let ty = types.at(r)?.first().copied().unwrap_or(KqlType::Dynamic);
        if let (Collect::Set, KqlType::String, Some(strings)) = (self.kind, ty, strings) {
            self.push_new_string(strings.value(r));
            return Ok(());
        }
        let v = crate::values::cell_json(a.as_ref(), r, ty);
        self.push(v);
        Ok(())
    }

    /// Another partial result (a JSON array, or object for make_bag) joins this one.
    fn merge_text(&mut self, text: &str) {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(items)) => items.into_iter().for_each(|i| self.push(i)),
            Ok(bag @ Value::Object(_)) => self.push(bag),
            _ => {}
        }
    }

    fn text(&self) -> String {
        if self.kind == Collect::Bag {
            return Value::Object(self.bag.clone()).to_string();
        }
        Value::Array(self.items.clone()).to_string()
    }
}

impl Accumulator for ListAcc {
    fn update_batch(&mut self, values: &[ArrayRef]) -> DfResult<()> {
        let mut types = super::udf::TypeCodes::new(values, "kql_make_set")?;
        let Some(a) = values.get(1) else { return Ok(()) };
        let strings = a.as_any().downcast_ref::<StringArray>();
        for r in 0..a.len() {
            self.add(a, strings, &mut types, r)?;
        }
        Ok(())
    }
    fn evaluate(&mut self) -> DfResult<ScalarValue> {
        Ok(ScalarValue::Utf8(Some(self.text())))
    }
    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.items.len() * 32
    }
    fn state(&mut self) -> DfResult<Vec<ScalarValue>> {
        Ok(vec![self.evaluate()?])
    }
    fn merge_batch(&mut self, states: &[ArrayRef]) -> DfResult<()> {
        let Some(s) = states.first().and_then(|a| a.as_any().downcast_ref::<StringArray>()) else { return Ok(()) };
        for r in 0..s.len() {
            if !s.is_null(r) {
                self.merge_text(s.value(r));
            }
        }
        Ok(())
    }
}

/// make_set / make_list / make_bag per group, each group's rows added in place: DataFusion's adapter for
/// row accumulators first took each group's values out of the batch (a copy of every string), which was the
/// largest cost of a `make_set` ×3 by device.
struct ListGroups {
    kind: Collect,
    limit: usize,
    groups: Vec<ListAcc>,
}

impl ListGroups {
    fn grow(&mut self, total: usize) {
        while self.groups.len() < total {
            self.groups.push(ListAcc::new(self.kind, self.limit));
        }
    }

    fn texts(&mut self, emit_to: datafusion::logical_expr::EmitTo) -> ArrayRef {
        let taken = emit_to.take_needed(&mut self.groups);
        Arc::new(StringArray::from_iter_values(taken.iter().map(|g| g.text())))
    }
}

/// Does row `r` pass the aggregate's filter (`countif`-style `opt_filter`)?
pub(super) fn passes(filter: Option<&datafusion::arrow::array::BooleanArray>, r: usize) -> bool {
    filter.is_none_or(|f| f.is_valid(r) && f.value(r))
}

impl datafusion::logical_expr::GroupsAccumulator for ListGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&datafusion::arrow::array::BooleanArray>,
        total_num_groups: usize,
    ) -> DfResult<()> {
        self.grow(total_num_groups);
        let mut types = super::udf::TypeCodes::new(values, "kql_make_set")?;
        let Some(a) = values.get(1) else { return Ok(()) };
        let strings = a.as_any().downcast_ref::<StringArray>();
        for (r, g) in group_indices.iter().enumerate() {
            if !passes(opt_filter, r) {
                continue;
            }
            if let Some(acc) = self.groups.get_mut(*g) {
                acc.add(a, strings, &mut types, r)?;
            }
        }
        Ok(())
    }
    fn evaluate(&mut self, emit_to: datafusion::logical_expr::EmitTo) -> DfResult<ArrayRef> {
        Ok(self.texts(emit_to))
    }
    fn state(&mut self, emit_to: datafusion::logical_expr::EmitTo) -> DfResult<Vec<ArrayRef>> {
        Ok(vec![self.texts(emit_to)])
    }
    fn merge_batch(&mut self, values: &[ArrayRef], group_indices: &[usize], total_num_groups: usize) -> DfResult<()> {
        self.grow(total_num_groups);
        let Some(s) = values.first().and_then(|a| a.as_any().downcast_ref::<StringArray>()) else { return Ok(()) };
        for (r, g) in group_indices.iter().enumerate() {
            if s.is_null(r) {
                continue;
            }
            if let Some(acc) = self.groups.get_mut(*g) {
                acc.merge_text(s.value(r));
            }
        }
        Ok(())
    }
    /// Each row as a partial result of its own (when DataFusion skips partial aggregation).
    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&datafusion::arrow::array::BooleanArray>,
    ) -> DfResult<Vec<ArrayRef>> {
        let mut types = super::udf::TypeCodes::new(values, "kql_make_set")?;
        let Some(a) = values.get(1) else { return Ok(vec![]) };
        let strings = a.as_any().downcast_ref::<StringArray>();
        let mut out = Vec::with_capacity(a.len());
        for r in 0..a.len() {
            let mut acc = ListAcc::new(self.kind, self.limit);
            if passes(opt_filter, r) {
                acc.add(a, strings, &mut types, r)?;
            }
            out.push(acc.text());
        }
        Ok(vec![Arc::new(StringArray::from(out)) as ArrayRef])
    }
    fn size(&self) -> usize {
        self.groups.iter().map(Accumulator::size).sum::<usize>() + std::mem::size_of_val(self)
    }
}

#[cfg(test)]
mod groups_tests {
    use super::*;
    use datafusion::arrow::array::BooleanArray;
    use datafusion::logical_expr::{EmitTo, GroupsAccumulator};

    // Per group, in place, the groups accumulator keeps what one row accumulator per group keeps (strings
    // deduplicated, nulls skipped, the size limit, the filter); its states merge into another, emitted in parts;
    // each row converted to a state alone is that row's set.
    #[test]
    fn groups_accumulate_like_one_accumulator_per_group() {
        let values: ArrayRef =
            Arc::new(StringArray::from(vec![Some("a"), Some("b"), Some("a"), None, Some("c"), Some("b"), Some("d")]));
        let codes: ArrayRef = Arc::new(StringArray::from(vec!["string"]));
        let groups = [0usize, 1, 0, 1, 0, 1, 2];
        let filter = BooleanArray::from(vec![true, true, true, true, true, true, false]);
        for (kind, limit) in [(Collect::Set, 100), (Collect::Set, 1), (Collect::List, 100), (Collect::ListWithNulls, 2)]
        {
            let mut g = ListGroups { kind, limit, groups: Vec::new() };
            g.update_batch(&[codes.clone(), values.clone()], &groups, Some(&filter), 3).unwrap();
            let mut want: Vec<String> = Vec::new();
            for group in 0..3 {
                let mut one = ListAcc::new(kind, limit);
                for (r, gr) in groups.iter().enumerate() {
                    if *gr == group && filter.value(r) {
                        let args = [codes.clone()];
                        let mut types = crate::functions::udf::TypeCodes::new(&args, "t").unwrap();
                        one.add(&values, values.as_any().downcast_ref::<StringArray>(), &mut types, r).unwrap();
                    }
                }
                want.push(one.text());
            }
            let state = g.state(EmitTo::All).unwrap();
            let mut merged = ListGroups { kind, limit, groups: Vec::new() };
            merged.merge_batch(&state, &[0, 1, 2], 3).unwrap();
            let first = merged.evaluate(EmitTo::First(1)).unwrap();
            let rest = merged.evaluate(EmitTo::All).unwrap();
            let got: Vec<String> = [first, rest]
                .iter()
                .flat_map(|a| {
                    let s = a.as_any().downcast_ref::<StringArray>().unwrap();
                    (0..s.len()).map(|i| s.value(i).to_string()).collect::<Vec<_>>()
                })
                .collect();
            assert_eq!(got, want, "{kind:?} limit {limit}");
        }
        let g = ListGroups { kind: Collect::Set, limit: 100, groups: Vec::new() };
        let rows = g.convert_to_state(&[codes, values], Some(&filter)).unwrap();
        let rows = rows[0].as_any().downcast_ref::<StringArray>().unwrap();
        let got: Vec<&str> = (0..rows.len()).map(|i| rows.value(i)).collect();
        assert_eq!(got, vec![r#"["a"]"#, r#"["b"]"#, r#"["a"]"#, "[]", r#"["c"]"#, r#"["b"]"#, "[]"]);
    }
}
