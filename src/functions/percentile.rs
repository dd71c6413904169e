//! `percentile(x, P)` (percentiles-aggregation-function): the nearest-rank percentile, exact. Values sorted
//! ascending v1..vN: P = 0 gives v1, else v at rank ceil(P·N/100). Kusto estimates with T-Digest on large
//! inputs; on the sizes hunting queries group it returns these same values. `percentiles(x, P1, P2...)` and
//! `percentiles_array` are spelled out by the binder as several `percentile` calls (summarize.rs).
//! The UDAF `kql_percentile(x, P)` takes whole numbers (as Int64), reals (Float64), datetimes and timespans
//! (kept exactly as their nanoseconds) and returns x's type.

use datafusion::arrow::array::{Array, ArrayRef, Float64Array, Int64Array};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{plan_err, Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, Signature, Volatility};
use std::sync::Arc;

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Percentile {
    signature: Signature,
}

impl Percentile {
    pub fn new() -> Self {
        Percentile { signature: Signature::user_defined(Volatility::Immutable) }
    }
}

impl Default for Percentile {
    fn default() -> Self {
        Self::new()
    }
}

impl AggregateUDFImpl for Percentile {
    fn name(&self) -> &str {
        "kql_percentile"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let x = match arg_types.first() {
            Some(DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64) => DataType::Int64,
            Some(t @ (DataType::Timestamp(..) | DataType::Duration(_))) => t.clone(),
            Some(_) => DataType::Float64,
            None => return plan_err!("kql_percentile takes a value and a percentile"),
        };
        Ok(vec![x, DataType::Float64])
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types.first().cloned().unwrap_or(DataType::Float64))
    }
    fn accumulator(&self, acc_args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let p = match acc_args
            .exprs
            .get(1)
            .and_then(|e| e.downcast_ref::<datafusion::physical_expr::expressions::Literal>())
        {
            Some(l) => match l.value() {
                ScalarValue::Float64(Some(p)) if (0.0..=100.0).contains(p) => *p,
                other => return plan_err!("kql_percentile: the percentile {other} is not a number from 0 to 100"),
            },
            None => return plan_err!("kql_percentile: the percentile must be a constant"),
        };
        let out = acc_args.return_field.data_type().clone();
        let whole = out != DataType::Float64;
        Ok(Box::new(PercentileAcc { p, whole, out, values: Vec::new() }))
    }
    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let t = if args.return_field.data_type() == &DataType::Float64 { DataType::Float64 } else { DataType::Int64 };
        Ok(vec![Arc::new(Field::new("values", DataType::List(Arc::new(Field::new("item", t, true))), true))])
    }
}

/// The values seen: f64 for reals, i64 for whole numbers and the nanoseconds of datetimes and timespans.
#[derive(Debug)]
struct PercentileAcc {
    p: f64,
    whole: bool,
    /// the result type (x's)
    out: DataType,
    values: Vec<Num>,
}

#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
enum Num {
    I(i64),
    F(f64),
}

impl PercentileAcc {
    fn add(&mut self, a: &dyn Array) -> Result<()> {
        if matches!(a.data_type(), DataType::Timestamp(..) | DataType::Duration(_)) {
            let ints = datafusion::arrow::compute::cast(a, &DataType::Int64)?;
            return self.add(ints.as_ref());
        }
        if let Some(x) = a.as_any().downcast_ref::<Int64Array>() {
            self.values.extend(x.iter().flatten().map(Num::I));
        } else if let Some(x) = a.as_any().downcast_ref::<Float64Array>() {
            self.values.extend(x.iter().flatten().filter(|v| !v.is_nan()).map(Num::F));
        }
        Ok(())
    }
}

impl Accumulator for PercentileAcc {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        match values.first() {
            Some(a) => self.add(a.as_ref()),
            None => Ok(()),
        }
    }
    fn evaluate(&mut self) -> Result<ScalarValue> {
        let null = ScalarValue::try_from(&self.out)?;
        if self.values.is_empty() {
            return Ok(null);
        }
        self.values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        let n = self.values.len();
        let rank = if self.p <= 0.0 { 1 } else { ((self.p * n as f64 / 100.0).ceil() as usize).clamp(1, n) };
        match self.values.get(rank - 1) {
            Some(Num::I(v)) => ScalarValue::Int64(Some(*v)).cast_to(&self.out),
            Some(Num::F(v)) => Ok(ScalarValue::Float64(Some(*v))),
            None => Ok(null),
        }
    }
    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.values.capacity() * std::mem::size_of::<Num>()
    }
    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let items: Vec<ScalarValue> = self
            .values
            .iter()
            .map(|v| match v {
                Num::I(i) => ScalarValue::Int64(Some(*i)),
                Num::F(f) => ScalarValue::Float64(Some(*f)),
            })
            .collect();
        let t = if self.whole { DataType::Int64 } else { DataType::Float64 };
        Ok(vec![ScalarValue::List(ScalarValue::new_list_nullable(&items, &t))])
    }
    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let Some(lists) = states.first().and_then(|a| a.as_any().downcast_ref::<datafusion::arrow::array::ListArray>())
        else {
            return Ok(());
        };
        for r in 0..lists.len() {
            if !lists.is_null(r) {
                self.add(lists.value(r).as_ref())?;
            }
        }
        Ok(())
    }
}
