//! Output fields of bound DataFusion expressions, without DataFusion's display names.
//!
//! `Expr::to_field` formats the display name of the expression at every level of the tree (and of an alias's
//! inner expression twice), then throws the inner names away: quadratic in the depth of an expression, and a
//! fifth of `check`'s time. [`field_of`] computes the same field (type, nullability, metadata) by the same rules
//! for the expressions the binder builds (columns, literals, function calls, aggregates, operators, casts) and
//! hands everything else, and every error, to `to_field` itself: the result and the error messages are exactly
//! DataFusion's. Debug builds check every fast answer against `to_field`.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Schema};
use datafusion::common::{DFSchema, Result as DfResult, TableReference};
use datafusion::logical_expr::expr::{AggregateFunction, Alias, Cast, ScalarFunction, TryCast};
use datafusion::logical_expr::type_coercion::binary::BinaryTypeCoercer;
use datafusion::logical_expr::type_coercion::functions::fields_with_udf;
use datafusion::logical_expr::{
    lit, Aggregate, BinaryExpr, Expr, ExprSchemable, Limit, LogicalPlan, Projection, ReturnFieldArgs, Sort, SortExpr,
};

/// A schema with a by-name index of its fields, built on the first unqualified column lookup.
pub(crate) struct FieldCx<'a> {
    schema: &'a DFSchema,
    /// field name → index, `None` when two fields share the name (DataFusion decides which, or that it is ambiguous)
    by_name: OnceLock<HashMap<&'a str, Option<usize>, foldhash::fast::FixedState>>,
}

impl<'a> FieldCx<'a> {
    pub(crate) fn new(schema: &'a DFSchema) -> FieldCx<'a> {
        FieldCx { schema, by_name: OnceLock::new() }
    }

    /// The index of the one field named `name`, if exactly one is.
    pub(crate) fn index_of(&self, name: &str) -> Option<usize> {
        let map = self.by_name.get_or_init(|| {
            let mut m: HashMap<&str, Option<usize>, _> =
                HashMap::with_capacity_and_hasher(self.schema.fields().len(), foldhash::fast::FixedState::default());
            for (i, f) in self.schema.fields().iter().enumerate() {
                m.entry(f.name().as_str()).and_modify(|slot| *slot = None).or_insert(Some(i));
            }
            m
        });
        map.get(name).copied().flatten()
    }
}

/// The output field of `e` over the context's schema, named `name`: what `e.to_field(schema)` returns, renamed.
pub(crate) fn field_named(e: &Expr, cx: &FieldCx<'_>, name: &str) -> DfResult<FieldRef> {
    let fast = fast(e, cx);
    let field = match fast {
        Some(f) => {
            #[cfg(debug_assertions)]
            if let Ok((_, slow)) = e.to_field(cx.schema) {
                debug_assert_eq!(
                    (f.data_type(), f.is_nullable(), f.metadata()),
                    (slow.data_type(), slow.is_nullable(), slow.metadata()),
                    "field_of disagrees with to_field on {e}"
                );
            }
            f
        }
        None => e.to_field(cx.schema)?.1,
    };
    Ok(rename(field, name))
}

fn rename(f: FieldRef, name: &str) -> FieldRef {
    if f.name() == name {
        f
    } else {
        Arc::new(f.as_ref().clone().with_name(name))
    }
}

/// The field by DataFusion's rules, or `None` where this does not follow them (or they fail): the caller asks
/// `to_field`. The name of the returned field is not meaningful.
fn fast(e: &Expr, cx: &FieldCx<'_>) -> Option<FieldRef> {
    match e {
        Expr::Alias(Alias { expr, metadata: None, .. }) => fast(expr, cx),
        Expr::Negative(inner) => fast(inner, cx),
        Expr::Column(c) if c.relation.is_none() => cx.index_of(c.name.as_str()).map(|i| Arc::clone(cx.schema.field(i))),
        Expr::Literal(v, None) => Some(Arc::new(Field::new("", v.data_type(), v.is_null()))),
        Expr::IsNull(_)
        | Expr::IsNotNull(_)
        | Expr::IsTrue(_)
        | Expr::IsFalse(_)
        | Expr::IsNotTrue(_)
        | Expr::IsNotFalse(_)
        | Expr::IsUnknown(_)
        | Expr::IsNotUnknown(_) => Some(Arc::new(Field::new("", DataType::Boolean, false))),
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            let (l, r) = (fast(left, cx)?, fast(right, cx)?);
            let ty = BinaryTypeCoercer::new(l.data_type(), op, r.data_type()).get_result_type().ok()?;
            Some(Arc::new(Field::new("", ty, l.is_nullable() || r.is_nullable())))
        }
        Expr::ScalarFunction(ScalarFunction { func, args }) => {
            let fields = args.iter().map(|a| fast(a, cx)).collect::<Option<Vec<_>>>()?;
            let fields = fields_with_udf(&fields, func.as_ref()).ok()?;
            let scalars: Vec<_> = args
                .iter()
                .map(|a| match a {
                    Expr::Literal(v, _) => Some(v),
                    _ => None,
                })
                .collect();
            func.return_field_from_args(ReturnFieldArgs { arg_fields: &fields, scalar_arguments: &scalars }).ok()
        }
        Expr::AggregateFunction(AggregateFunction { func, params }) => {
            let fields = params.args.iter().map(|a| fast(a, cx)).collect::<Option<Vec<_>>>()?;
            let fields = fields_with_udf(&fields, func.as_ref()).ok()?;
            func.return_field(&fields).ok()
        }
        Expr::Cast(Cast { expr, field }) => Some(cast_output_field(&fast(expr, cx)?, field, false)),
        Expr::TryCast(TryCast { expr, field }) => Some(cast_output_field(&fast(expr, cx)?, field, true)),
        // the rest (case, in-lists, like, window functions, ...) have their own rules: DataFusion's
        _ => e.to_field(cx.schema).ok().map(|(_, f)| f),
    }
}

/// DataFusion's rule for a cast's field (`expr_schema.rs`, private there): a type-only target keeps the source's
/// metadata but its extension type; an explicit target field keeps its own metadata.
fn cast_output_field(source: &FieldRef, target: &FieldRef, force_nullable: bool) -> FieldRef {
    // arrow_schema::extension's EXTENSION_TYPE_NAME_KEY and EXTENSION_TYPE_METADATA_KEY
    const EXTENSION_TYPE_NAME_KEY: &str = "ARROW:extension:name";
    const EXTENSION_TYPE_METADATA_KEY: &str = "ARROW:extension:metadata";
    let type_only = target.name().is_empty() && target.is_nullable() && target.metadata().is_empty();
    let metadata = if type_only {
        let mut m = source.metadata().clone();
        m.remove(EXTENSION_TYPE_NAME_KEY);
        m.remove(EXTENSION_TYPE_METADATA_KEY);
        m
    } else {
        target.metadata().clone()
    };
    let mut f = source.as_ref().clone().with_data_type(target.data_type().clone()).with_metadata(metadata);
    if force_nullable {
        f = f.with_nullable(true);
    }
    Arc::new(f)
}

/// The output fields of `exprs` (as a projection or aggregate lists them) over `input_schema`, by
/// [`field_named`]: what DataFusion's `exprlist_to_fields` gives for them.
pub(crate) fn output_fields<'e>(
    exprs: impl IntoIterator<Item = &'e Expr>,
    input_schema: &DFSchema,
) -> DfResult<Vec<(Option<TableReference>, FieldRef)>> {
    let cx = FieldCx::new(input_schema);
    exprs
        .into_iter()
        .map(|e| match e {
            Expr::Alias(a) => Ok((None, field_named(e, &cx, &a.name)?)),
            Expr::Column(c) if c.relation.is_none() => Ok((None, field_named(e, &cx, &c.name)?)),
            _ => e.to_field(input_schema),
        })
        .collect()
}

/// The schema of `fields` with `input`'s metadata: `DFSchema::new_with_metadata`, whose name check collects every
/// name into B-tree sets (a tenth of `check`'s time over wide tables), with the same check by one hash set
/// when no field is qualified (the binder's outputs), giving DataFusion's own error for a duplicate name.
fn schema_of(fields: Vec<(Option<TableReference>, FieldRef)>, input: &DFSchema) -> DfResult<DFSchema> {
    if fields.iter().any(|(q, _)| q.is_some()) {
        return DFSchema::new_with_metadata(fields, input.metadata().clone());
    }
    let unique = {
        let mut seen: std::collections::HashSet<&str, _> =
            std::collections::HashSet::with_capacity_and_hasher(fields.len(), foldhash::fast::FixedState::default());
        fields.iter().all(|(_, f)| seen.insert(f.name().as_str()))
    };
    if !unique {
        // the duplicate, reported by DataFusion's own check
        return DFSchema::new_with_metadata(fields, input.metadata().clone());
    }
    let fields: Vec<FieldRef> = fields.into_iter().map(|(_, f)| f).collect();
    DFSchema::try_from(Arc::new(Schema::new_with_metadata(fields, input.metadata().clone())))
}

/// A projection of `exprs` over `input`, its output schema built by [`output_fields`]: what
/// `Projection::try_new` builds, without its display names and linear column searches.
pub(crate) fn projection(exprs: Vec<Expr>, input: Arc<LogicalPlan>) -> DfResult<LogicalPlan> {
    let input_schema = input.schema();
    let schema = schema_of(output_fields(&exprs, input_schema)?, input_schema)?;
    Projection::try_new_with_schema(exprs, input, Arc::new(schema)).map(LogicalPlan::Projection)
}

/// An aggregate of `aggr` grouped by `groups` (no grouping sets) over `input`, its output schema built by
/// [`output_fields`]: what `Aggregate::try_new` builds, without its display names. Nested aggregates are
/// rejected by the binder before this.
pub(crate) fn aggregate(groups: Vec<Expr>, aggr: Vec<Expr>, input: Arc<LogicalPlan>) -> DfResult<LogicalPlan> {
    let input_schema = input.schema();
    let schema = schema_of(output_fields(groups.iter().chain(&aggr), input_schema)?, input_schema)?;
    Aggregate::try_new_with_schema(input, groups, aggr, Arc::new(schema)).map(LogicalPlan::Aggregate)
}

/// Which row [`first_row`] keeps per group: any one (the first seen), or the one with the greatest or least
/// `key` (of Kusto type `ty`; a null key only when nothing else).
pub(crate) enum RowOf {
    First,
    Max(Expr, crate::types::KqlType),
    Min(Expr, crate::types::KqlType),
}

/// The values of one row per group (fields `c0`, `c1`, … of one struct, read back with [`first_row_field`]),
/// chosen by one accumulator (where a `first_value` per value would compare the order once per value, and
/// without an order could take each value from another row). Keys of a type `FirstRow::orders` (int, long,
/// real, bool, datetime, timespan) go to `kql_arg_max_row`/`kql_arg_min_row`, no key to `kql_first_row`
/// (functions::first_row); a key of another type to `first_value` of a struct, ordered by it, nulls last.
pub(crate) fn first_row(values: impl IntoIterator<Item = Expr>, which: RowOf) -> Expr {
    use crate::functions::{first_row_udf, FirstRow, Pick};
    let values: Vec<Expr> = values.into_iter().collect();
    let (key, ty, desc) = match which {
        RowOf::First => return first_row_udf(Pick::First).call(values),
        RowOf::Max(k, ty) => (k, ty, true),
        RowOf::Min(k, ty) => (k, ty, false),
    };
    if FirstRow::orders(&ty.to_arrow()) {
        let f = first_row_udf(if desc { Pick::Max } else { Pick::Min });
        return f.call(std::iter::once(key).chain(values).collect());
    }
    let fields: Vec<Expr> =
        values.into_iter().enumerate().flat_map(|(i, v)| [datafusion::logical_expr::lit(format!("c{i}")), v]).collect();
    datafusion::functions_aggregate::expr_fn::first_value(
        datafusion::functions::core::expr_fn::named_struct(fields),
        vec![SortExpr::new(key, !desc, false)],
    )
}

/// Value `i` of the [`first_row`] aggregated as column `packed`.
pub(crate) fn first_row_field(packed: &str, i: usize) -> Expr {
    datafusion::functions::core::expr_fn::get_field(crate::binder::col(packed), format!("c{i}"))
}

/// `input` sorted by `sorts` (columns of `input`), keeping the first `fetch` rows if given: the Sort node itself,
/// not `LogicalPlanBuilder::sort`, which normalizes every column against the whole input plan.
pub(crate) fn sort(sorts: Vec<SortExpr>, input: LogicalPlan, fetch: Option<usize>) -> LogicalPlan {
    LogicalPlan::Sort(Sort { expr: sorts, input: Arc::new(input), fetch })
}

/// The first `n` rows of `input` (`LogicalPlanBuilder::limit(0, Some(n))`).
pub(crate) fn limit(input: LogicalPlan, n: usize) -> LogicalPlan {
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    LogicalPlan::Limit(Limit { skip: None, fetch: Some(Box::new(lit(n))), input: Arc::new(input) })
}
