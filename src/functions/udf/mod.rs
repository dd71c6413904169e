//! Our own ScalarUDFs, for Kusto semantics DataFusion's built-ins do not have. Every UDF is a [`KqlUdf`]: a
//! name, an Arrow return type and a row function over arrays; the binder has already cast the arguments to the
//! types the function expects.

pub mod datetime;
pub mod dynamic;
pub mod strings;

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// The body of a UDF: argument arrays (all of the same length) → result array.
pub type UdfFn = Arc<dyn Fn(&[ArrayRef], usize) -> Result<ArrayRef> + Send + Sync>;

pub struct KqlUdf {
    name: String,
    signature: Signature,
    ret: DataType,
    fun: UdfFn,
    /// constant arguments arrive as 1-row arrays instead of being repeated for every row (the body reads
    /// them with [`row`]); for large constant lists such as a sub-query's set
    broadcast: bool,
}

impl std::fmt::Debug for KqlUdf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KqlUdf({})", self.name)
    }
}
impl PartialEq for KqlUdf {
    fn eq(&self, other: &Self) -> bool {
        // two instances are interchangeable only if they are the same closure
        self.name == other.name && self.ret == other.ret && Arc::ptr_eq(&self.fun, &other.fun)
    }
}
impl Eq for KqlUdf {}
impl Hash for KqlUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for KqlUdf {
    fn name(&self) -> &str {
        &self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.ret.clone())
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let all_scalar = args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let n = args.number_rows;
        let arrays: Vec<ArrayRef> = args
            .args
            .iter()
            .map(|a| match a {
                ColumnarValue::Scalar(s) if self.broadcast => s.to_array_of_size(1),
                other => other.to_array(n),
            })
            .collect::<Result<Vec<_>>>()?;
        let out = (self.fun)(&arrays, n)?;
        if all_scalar && out.len() == 1 {
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?));
        }
        Ok(ColumnarValue::Array(out))
    }
}

/// A UDF called with `args` (any types, as given), returning `ret`. The name must tell apart what the
/// closure does (`startofweek`, not `startof`): DataFusion takes two calls with the same name and arguments
/// for the same expression.
pub fn call(name: &str, ret: DataType, fun: UdfFn, args: Vec<Expr>) -> Expr {
    let signature = Signature::variadic_any(Volatility::Immutable);
    ScalarUDF::new_from_impl(KqlUdf { name: name.to_string(), signature, ret, fun, broadcast: false }).call(args)
}

/// As [`call`], but constant arguments arrive as 1-row arrays: the body must read every argument with
/// [`row`].
pub fn call_broadcast(name: &str, ret: DataType, fun: UdfFn, args: Vec<Expr>) -> Expr {
    let signature = Signature::variadic_any(Volatility::Immutable);
    ScalarUDF::new_from_impl(KqlUdf { name: name.to_string(), signature, ret, fun, broadcast: true }).call(args)
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
    arrays.get(i).and_then(|a| a.as_any().downcast_ref::<T>()).ok_or_else(|| {
        datafusion::error::DataFusionError::Internal(format!("{fname}: argument {i} has an unexpected type"))
    })
}

/// Convenience: is row `r` of every given array non-null?
pub fn all_valid(arrays: &[&dyn Array], r: usize) -> bool {
    arrays.iter().all(|a| a.is_valid(r))
}

/// Every named scalar UDF, registered in each session's context (filled by the named-UDF change).
pub fn all_scalar() -> Vec<Arc<ScalarUDF>> {
    vec![]
}

/// Every named aggregate UDF, registered in each session's context (filled by the named-UDF change).
pub fn all_aggregate() -> Vec<Arc<datafusion::logical_expr::AggregateUDF>> {
    vec![]
}
