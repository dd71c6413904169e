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
}

impl std::fmt::Debug for KqlUdf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KqlUdf({})", self.name)
    }
}
impl PartialEq for KqlUdf {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.ret == other.ret
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
        let arrays: Vec<ArrayRef> = args.args.iter().map(|a| a.to_array(n)).collect::<Result<Vec<_>>>()?;
        let out = (self.fun)(&arrays, n)?;
        if all_scalar && out.len() == 1 {
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?));
        }
        Ok(ColumnarValue::Array(out))
    }
}

/// A UDF called with `args` (any types, as given), returning `ret`.
pub fn call(name: &str, ret: DataType, fun: UdfFn, args: Vec<Expr>) -> Expr {
    let udf = KqlUdf { name: name.to_string(), signature: Signature::variadic_any(Volatility::Immutable), ret, fun };
    ScalarUDF::new_from_impl(udf).call(args)
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
