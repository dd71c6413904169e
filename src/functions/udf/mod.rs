//! Our own scalar functions and aggregates, for Kusto semantics DataFusion's built-ins do not have. Each is a
//! NAMED DataFusion function, so a plan that uses one can be optimised, printed, and serialized by function name
//! (datafusion-proto) and decoded against [`all_scalar`] / [`all_aggregate`]. The conventions:
//!
//! - **Names** are `kql_<function>` (`kql_has_any`, `kql_bin`, `kql_startof`), unique and stable once shipped
//!   (a unit test checks both). A name is one function of its arguments, always: nothing an instance holds
//!   changes what it computes, and no body reads state outside its arguments (no clock, no catalog, no options).
//! - **One table.** [`Udf`] (`registry.rs`) has one row per scalar UDF: name, parameter types, return rule, body (a
//!   plain `fn` over the argument arrays) and whether constants are broadcast. Call sites build expressions with
//!   `Udf::HasAny.call(args)`, which uses the registry's instance, so a plan never holds a UDF the registry lacks
//!   and a misspelt name does not compile.
//! - **Real signatures.** Parameters are Kusto types mapped through `KqlType::to_arrow` into
//!   `Signature::exact` / `one_of` (optional trailing parameters are alternatives). A function over values of any
//!   type is `user_defined`, and its `coerce_types` requires the leading type-codes argument below. The return type
//!   is computed from the argument types (`kql_bin` returns its first argument's type).
//! - **Configuration travels in the arguments.** Kusto types that Arrow cannot tell apart (string, guid and
//!   dynamic are all Utf8) come as a leading constant Utf8 of comma-separated type names, one per value:
//!   `kql_pack_array('long,string', a, b)`, `kql_bag_pack('long', 'k', v)` (one per value, not per key),
//!   `kql_tostring('timespan', t)`, `kql_todynamic('real', x)`, `kql_in('long', v, set)` and the aggregates
//!   `kql_make_set('long', x)` / `kql_make_list`. Periods, flags and limits are ordinary arguments:
//!   `kql_startof('week', d[, offset])`, `kql_endof`, `kql_mv_expand(d, as_pairs, limit)`,
//!   `kql_extract(regex, group, text)`. A flag that changes the function's meaning (case sensitivity) is part
//!   of the name instead (`kql_has` / `kql_has_cs`, `kql_in` / `kql_in_ci`).
//! - **Equality and hash** are derived over (function, signature): no closures, no pointers.
//! - **Broadcast.** A UDF marked broadcast gets each constant argument as a 1-row array instead of one copy per
//!   row (a sub-query's set in `has_any`/`in`, a regex, type codes); its body reads every argument with [`row`].
//! - **Arguments are already typed.** The binder converts arguments to the signature's types before the call; a
//!   body downcasts with [`arg`], which reports an internal error (never a panic) when a plan is wrong.

pub mod datetime;
pub mod dynamic;
pub mod expand;
pub mod formats;
mod fuse;
pub mod groups;
mod members;
mod registry;
pub mod rows;
pub mod series;
pub mod strings;
pub mod text;
pub mod useragent;

pub use registry::{string_predicate, Udf};

use crate::types::KqlType;
use datafusion::arrow::array::{Array, ArrayRef, StringArray};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{plan_err, Result, ScalarValue};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    AggregateUDF, ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};
use std::sync::{Arc, LazyLock};

/// The body of a UDF: argument arrays → result array of `n` rows. Arrays have `n` rows, except constants of a
/// broadcast UDF, which have one.
pub type Body = fn(&[ArrayRef], usize) -> Result<ArrayRef>;

/// A rewrite of a call of the UDF, given its arguments: one UDF doing the work of this call and the call it
/// takes as argument (`tostring(d.k)`, `mv-expand split(...)`), or `None`. Run by DataFusion's expression
/// simplifier (`ScalarUDFImpl::simplify`), so it sees the argument after projections are merged. See `fuse.rs`.
pub type Fuse = fn(&[Expr]) -> Option<Expr>;

/// The parameters of a UDF, as Kusto types.
#[derive(Debug, Clone, Copy)]
pub enum Params {
    /// exactly these
    Exact(&'static [KqlType]),
    /// these, of which the last `n` may be omitted
    Optional(&'static [KqlType], usize),
    /// any one of these lists
    OneOf(&'static [&'static [KqlType]]),
    /// a constant Utf8 of type codes (see [`TypeCodes`]), then values of any type
    Typed,
}

/// The return type rule of a UDF.
#[derive(Debug, Clone, Copy)]
pub enum Returns {
    T(KqlType),
    /// the type of argument i
    Arg(usize),
    /// a list of this type (for `mv-expand` and `range`, unnested right after)
    List(KqlType),
}

/// One row of the registry: everything a UDF is, as constant data.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub name: &'static str,
    pub params: Params,
    pub returns: Returns,
    pub body: Body,
    pub broadcast: bool,
    pub fuse: Option<Fuse>,
}

impl Spec {
    pub const fn new(name: &'static str, params: Params, returns: Returns, body: Body) -> Spec {
        Spec { name, params, returns, body, broadcast: false, fuse: None }
    }
    /// Calls of it are rewritten by `f` where it applies.
    pub const fn fuses(self, f: Fuse) -> Spec {
        Spec { fuse: Some(f), ..self }
    }
    /// Constant arguments arrive as 1-row arrays.
    pub const fn broadcast(self) -> Spec {
        Spec { broadcast: true, ..self }
    }
    fn signature(&self) -> Signature {
        let arrow = |ts: &[KqlType]| ts.iter().map(|t| t.to_arrow()).collect::<Vec<_>>();
        let v = Volatility::Immutable;
        match self.params {
            Params::Exact(ts) => Signature::exact(arrow(ts), v),
            Params::Optional(ts, n) => Signature::one_of(
                (0..=n).rev().map(|k| TypeSignature::Exact(arrow(ts.get(..ts.len() - k).unwrap_or(ts)))).collect(),
                v,
            ),
            Params::OneOf(lists) => {
                Signature::one_of(lists.iter().map(|ts| TypeSignature::Exact(arrow(ts))).collect(), v)
            }
            Params::Typed => Signature::user_defined(v),
        }
    }
}

/// A scalar UDF of the registry. Everything but the signature is in the [`Spec`] its [`Udf`] names.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct KqlUdf {
    udf: Udf,
    signature: Signature,
}

impl KqlUdf {
    fn new(udf: Udf) -> Self {
        KqlUdf { udf, signature: udf.spec().signature() }
    }
}

/// A list of `t`, as `mv-expand` and `range` unnest.
pub fn list_of(t: KqlType) -> DataType {
    DataType::List(Arc::new(Field::new("item", t.to_arrow(), true)))
}

impl ScalarUDFImpl for KqlUdf {
    fn name(&self) -> &str {
        self.udf.spec().name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match self.udf.spec().returns {
            Returns::T(t) => Ok(t.to_arrow()),
            Returns::List(t) => Ok(list_of(t)),
            Returns::Arg(i) => match arg_types.get(i) {
                Some(t) => Ok(t.clone()),
                None => plan_err!("{} takes at least {} arguments", self.name(), i + 1),
            },
        }
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        // only `Params::Typed` is user_defined: a leading Utf8 of type codes, then values as they are
        match arg_types.first() {
            Some(DataType::Utf8) => Ok(arg_types.to_vec()),
            _ => plan_err!("{} takes a constant string of type codes first", self.name()),
        }
    }
    fn simplify(&self, args: Vec<Expr>, _info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        match self.udf.spec().fuse.and_then(|f| f(&args)) {
            Some(e) => Ok(ExprSimplifyResult::Simplified(e)),
            None => Ok(ExprSimplifyResult::Original(args)),
        }
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let spec = self.udf.spec();
        let all_scalar = args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let n = args.number_rows;
        let arrays: Vec<ArrayRef> = args
            .args
            .iter()
            .map(|a| match a {
                ColumnarValue::Scalar(s) if spec.broadcast => s.to_array_of_size(1),
                other => other.to_array(n),
            })
            .collect::<Result<Vec<_>>>()?;
        let out = (spec.body)(&arrays, n)?;
        if all_scalar && out.len() == 1 {
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?));
        }
        Ok(ColumnarValue::Array(out))
    }
}

/// The registry's instances, in the order of [`Udf::ALL`].
static SCALAR: LazyLock<Vec<Arc<ScalarUDF>>> =
    LazyLock::new(|| Udf::ALL.iter().map(|u| Arc::new(ScalarUDF::new_from_impl(KqlUdf::new(*u)))).collect());

/// Every scalar UDF a kqlite plan can hold, to register in a `SessionContext` (or a proto function registry).
pub fn all_scalar() -> Vec<Arc<ScalarUDF>> {
    SCALAR.clone()
}

/// Every aggregate UDF a kqlite plan can hold (`kql_make_set`, `kql_make_list`).
pub fn all_aggregate() -> Vec<Arc<AggregateUDF>> {
    super::aggregate::all_aggregate()
}

impl Udf {
    /// The registry's instance of this UDF.
    pub fn udf(self) -> Arc<ScalarUDF> {
        match SCALAR.get(self as usize) {
            Some(u) => Arc::clone(u),
            // unreachable (ALL lists every variant in order); an equal instance keeps it panic-free
            None => Arc::new(ScalarUDF::new_from_impl(KqlUdf::new(self))),
        }
    }
    /// A call of this `Params::Typed` UDF: the arguments' type codes, then the arguments.
    pub fn call_typed(self, args: Vec<crate::functions::Arg>) -> Expr {
        let types: Vec<KqlType> = args.iter().map(|a| a.ty).collect();
        self.call(std::iter::once(type_codes(&types)).chain(args.into_iter().map(|a| a.expr)).collect())
    }
    /// A call of this UDF.
    pub fn call(self, args: Vec<Expr>) -> Expr {
        Expr::ScalarFunction(ScalarFunction::new_udf(self.udf(), args))
    }
    pub fn name(self) -> &'static str {
        self.spec().name
    }
}

/// The leading type codes of a `Params::Typed` UDF: `"long,string"`, one Kusto type name per value.
pub fn type_codes(types: &[KqlType]) -> Expr {
    datafusion::logical_expr::lit(types.iter().map(|t| t.name()).collect::<Vec<_>>().join(","))
}

/// Reads the type-codes argument row by row, parsing each distinct text once.
pub struct TypeCodes<'a> {
    codes: &'a StringArray,
    fname: &'static str,
    cache: Option<(String, Vec<KqlType>)>,
}

impl<'a> TypeCodes<'a> {
    /// The type codes in argument 0.
    pub fn new(arrays: &'a [ArrayRef], fname: &'static str) -> Result<Self> {
        Ok(TypeCodes { codes: arg::<StringArray>(arrays, 0, fname)?, fname, cache: None })
    }
    /// The types at row `r`.
    pub fn at(&mut self, r: usize) -> Result<&[KqlType]> {
        let i = row(self.codes, r);
        let text = if self.codes.is_null(i) { "" } else { self.codes.value(i) };
        if self.cache.as_ref().map(|(t, _)| t.as_str()) != Some(text) {
            let types = text
                .split(',')
                .filter(|c| !c.is_empty())
                .map(|c| {
                    KqlType::parse(c)
                        .ok_or_else(|| DataFusionError::Execution(format!("{}: '{c}' is not a Kusto type", self.fname)))
                })
                .collect::<Result<Vec<_>>>()?;
            self.cache = Some((text.to_string(), types));
        }
        Ok(self.cache.as_ref().map(|(_, v)| v.as_slice()).unwrap_or(&[]))
    }
}

/// The index of row `r` in an argument of a broadcast UDF (0 for a constant).
pub fn row(a: &dyn Array, r: usize) -> usize {
    if a.len() == 1 {
        0
    } else {
        r
    }
}

/// Downcasts an argument array, or fails with an internal error naming the function.
pub fn arg<'a, T: 'static>(arrays: &'a [ArrayRef], i: usize, fname: &str) -> Result<&'a T> {
    arrays
        .get(i)
        .and_then(|a| a.as_any().downcast_ref::<T>())
        .ok_or_else(|| DataFusionError::Internal(format!("{fname}: argument {i} has an unexpected type")))
}

/// Argument `i`, of any type.
pub fn any_arg<'a>(arrays: &'a [ArrayRef], i: usize, fname: &str) -> Result<&'a ArrayRef> {
    arrays.get(i).ok_or_else(|| DataFusionError::Internal(format!("{fname}: argument {i} is missing")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn registry_names_are_unique_and_prefixed() {
        let names: Vec<String> = all_scalar()
            .iter()
            .map(|u| u.name().to_string())
            .chain(all_aggregate().iter().map(|u| u.name().to_string()))
            .collect();
        let unique: HashSet<&String> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "duplicate UDF names: {names:?}");
        for n in &names {
            assert!(n.starts_with("kql_"), "{n} does not start with kql_");
            assert!(n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'), "{n}");
        }
    }

    #[test]
    fn every_udf_is_the_registrys_instance() {
        let all = all_scalar();
        assert_eq!(all.len(), Udf::ALL.len());
        for (i, u) in Udf::ALL.iter().enumerate() {
            assert_eq!(*u as usize, i, "Udf::ALL is out of declaration order at {}", u.name());
            assert!(Arc::ptr_eq(&u.udf(), &all[i]), "{} is not the registry's instance", u.name());
            // a call names a function the registry resolves by name
            let Expr::ScalarFunction(f) = u.call(vec![]) else { panic!("{} is not a scalar function", u.name()) };
            assert_eq!(all.iter().filter(|r| r.name() == f.func.name()).count(), 1);
        }
    }

    #[test]
    fn signatures_give_return_types() {
        for u in Udf::ALL {
            let s = u.spec();
            let first: Vec<DataType> = match s.params {
                Params::Exact(ts) | Params::Optional(ts, _) => ts.iter().map(|t| t.to_arrow()).collect(),
                Params::OneOf(l) => l.first().map(|ts| ts.iter().map(|t| t.to_arrow()).collect()).unwrap_or_default(),
                Params::Typed => vec![DataType::Utf8, DataType::Int64],
            };
            let udf = u.udf();
            assert!(udf.inner().return_type(&first).is_ok(), "{}", s.name);
            if matches!(s.params, Params::Typed) {
                assert!(udf.inner().coerce_types(&[DataType::Int64]).is_err(), "{}", s.name);
            }
        }
    }

    /// Every `kql_*` function in a bound plan is the registry's (by value), scalar or aggregate.
    #[test]
    fn plans_hold_registry_functions() {
        use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
        let q = r#"range x from 1 to 3 step 1
            | extend d = datetime(2024-03-01) + x * 1h, s = strcat("a b ", x), j = pack_array(x, "k")
            | extend b = bin(d, 1d), w = startofweek(d), e = endofmonth(d, 1), t = tostring(d), h = s has "b"
            | extend p = bag_pack("k", x), g = todynamic(x), i = x in ((range y from 1 to 2 step 1 | project y))
            | mv-expand with_itemindex = ix j
            | parse s with "a " rest
            | summarize make_set(x), make_list(s) by tostring(j)"#;
        let bound =
            crate::check(&crate::Source::new("<test>", q), &crate::Catalog::new(), &Default::default()).expect("binds");
        let (scalars, aggregates) = (all_scalar(), all_aggregate());
        let mut seen = HashSet::new();
        bound
            .plan
            .apply_with_subqueries(|node| {
                node.apply_expressions(|e| {
                    e.apply(|x| {
                        match x {
                            Expr::ScalarFunction(f) if f.func.name().starts_with("kql_") => {
                                assert!(scalars.iter().any(|r| **r == *f.func), "{}", f.func.name());
                                seen.insert(f.func.name().to_string());
                            }
                            Expr::AggregateFunction(f) if f.func.name().starts_with("kql_") => {
                                assert!(aggregates.iter().any(|r| **r == *f.func), "{}", f.func.name());
                                seen.insert(f.func.name().to_string());
                            }
                            _ => {}
                        }
                        Ok(TreeNodeRecursion::Continue)
                    })
                })
            })
            .expect("walks");
        for name in ["kql_range", "kql_bin", "kql_startof", "kql_endof", "kql_pack_array", "kql_bag_pack"] {
            assert!(seen.contains(name), "{name} not in the plan: {seen:?}");
        }
        for name in ["kql_tostring", "kql_todynamic", "kql_has", "kql_in", "kql_mv_expand", "kql_parse_group"] {
            assert!(seen.contains(name), "{name} not in the plan: {seen:?}");
        }
        assert!(seen.contains("kql_make_set") && seen.contains("kql_make_list"), "{seen:?}");
    }

    #[test]
    fn equal_by_value() {
        assert_eq!(KqlUdf::new(Udf::Bin), KqlUdf::new(Udf::Bin));
        assert_ne!(KqlUdf::new(Udf::Has), KqlUdf::new(Udf::HasCs));
        assert_eq!(ScalarUDF::new_from_impl(KqlUdf::new(Udf::HasAny)), *Udf::HasAny.udf());
    }
}
