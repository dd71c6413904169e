//! `mv-apply`: each row's arrays expand into a sub-table, the subquery runs on every sub-table, and each result
//! row gets the row's other columns back (mv-apply-operator). Planned without a per-row loop: the input gets a
//! hidden row number, `mv-expand` keeps it on every expanded row, the subquery's operators run in *partition
//! mode* (aggregates, `top`, `take`, `count` and `distinct` work per row number; see `Binder::partition`), and
//! hidden copies of the input's columns travel through the subquery with every row, so the outer values come
//! back without a join (a row number computed in two scans of the input would not be the same number).

use crate::ast::{self, OpKind, OpParam, Operator};
use crate::binder::{col, df_err, Binder, Bound, Syn};
use crate::diagnostics::BindError;
use crate::source::Span;
use crate::types::KqlType;
use datafusion::logical_expr::{Expr, LogicalPlanBuilder};

/// The column of partition's count of key values (its 64-value check).
const KEY_VALUES: &str = "__partition_values";

impl Binder<'_> {
    pub(crate) fn bind_mv_apply(
        &mut self,
        input: Bound,
        params: &[OpParam],
        items: &[(ast::NamedExpr, Option<ast::Ident>)],
        limit: Option<&ast::Expr>,
        body: &[Operator],
        span: Span,
    ) -> Result<Bound, BindError> {
        // the analyzer's rules: each expression is dynamic, each name given once
        let mut seen: Vec<String> = Vec::new();
        for (it, _) in items {
            let a = self.bind_scalar(&it.expr, &input.schema)?;
            if a.ty != KqlType::Dynamic {
                return Err(BindError::TypeMismatch {
                    message: format!("mv-apply expands a dynamic array, not a {}", a.ty),
                    span: it.expr.span.into(),
                    found: a.ty.to_string(),
                    help: Some("convert it first, e.g. todynamic(...) or split(...)".into()),
                });
            }
            let name = it.names.first().map(|n| n.name.clone()).or_else(|| crate::binder::expr::auto_name(&it.expr));
            if let Some(n) = name {
                if seen.contains(&n) {
                    return Err(BindError::DuplicateColumn { name: n, span: it.expr.span.into() });
                }
                seen.push(n);
            }
        }
        // an unnamed item that is a bare column (`l`) takes that column out of the input's list: it comes back
        // only through the subquery; a named one (`e = l`) leaves the source column in place (mv-apply-operator)
        let replaced: Vec<String> = items
            .iter()
            .filter_map(|(it, _)| match (&it.expr.kind, it.names.is_empty()) {
                (ast::ExprKind::Name(n), true) => Some(n.name.clone()),
                _ => None,
            })
            .collect();
        let outer: Vec<(String, KqlType)> = input
            .schema
            .columns
            .iter()
            .filter(|c| !replaced.contains(&c.name))
            .map(|c| (c.name.clone(), c.ty))
            .collect();
        // the row number, and a hidden copy of each outer column: every row of a sub-table carries them
        // through the subquery (its operators keep them, see bind_partitioned_op), so the outer values come
        // back without a join
        let key = self.fresh("row");
        let numbered = self.number_rows(input, &key, span)?;
        let mut carried = vec![key.clone()];
        let mut with_copies = Self::passthrough(&numbered);
        for (n, t) in &outer {
            let copy = format!("{}_{n}", self.fresh("o"));
            with_copies.push((col(n), copy.clone(), *t));
            carried.push(copy);
        }
        let numbered = self.project(numbered, with_copies, span)?;
        // with_itemindex (and every other parameter) means what it means to mv-expand
        let mut expanded = self.bind_mv_expand(numbered, params, items, limit, span)?;
        // each row's sub-table is in its array's order
        expanded.serialized = true;
        self.partition.push(carried.clone());
        let sub = self.bind_partitioned(expanded, body);
        self.partition.pop();
        let sub = sub?;
        // output: the input's columns in input order (the subquery's value where it has a column of that name,
        // the carried copy otherwise), then the subquery's other columns in its order (the analyzer's order)
        let mut out: Vec<(Expr, String, KqlType)> = Vec::new();
        for ((n, t), copy) in outer.iter().zip(carried.iter().skip(1)) {
            match sub.schema.find(n) {
                Some((_, c)) => out.push((col(n), n.clone(), c.ty)),
                None => out.push((col(copy), n.clone(), *t)),
            }
        }
        for c in &sub.schema.columns {
            if !carried.contains(&c.name) && !outer.iter().any(|(n, _)| n == &c.name) {
                out.push((col(&c.name), c.name.clone(), c.ty));
            }
        }
        self.project(sub, out, span)
    }

    /// `partition by Column (subquery)` (partition-operator): the subquery's operators run on each partition's
    /// rows, in partition mode with a hidden copy of the key as the partition (as mv-apply's row number); the
    /// result is the subquery's columns. Every strategy (legacy, native, shuffle) gives the same rows here, but
    /// the legacy one (the default) fails at execution when the key has more than 64 distinct values.
    pub(crate) fn bind_partition(
        &mut self,
        input: Bound,
        params: &[OpParam],
        by: &ast::Ident,
        body: &[Operator],
        source: Option<&ast::Expr>,
        span: Span,
    ) -> Result<Bound, BindError> {
        // native and shuffle run the subquery where the data is: no other table source (partition-operator)
        let strategy = params.iter().find(|p| p.name.name == "hint.strategy").map(|p| p.value.name.as_str());
        if matches!(strategy, Some("native" | "shuffle")) {
            if let Some(op) =
                body.iter().find(|o| matches!(o.kind, OpKind::Join { .. } | OpKind::Lookup { .. } | OpKind::Union(_)))
            {
                return Err(BindError::InvalidArgument {
                    message: format!(
                        "'{}' reads another table: not allowed with hint.strategy={}",
                        op.keyword.name,
                        strategy.unwrap_or_default()
                    ),
                    span: op.keyword.span.into(),
                    help: Some("use the legacy strategy (no hint.strategy), or join after the partition".into()),
                });
            }
        }
        let Some((_, c)) = input.schema.find(&by.name) else {
            let help = crate::names::help_line(&by.name, input.schema.names(), "columns");
            return Err(BindError::UnknownColumn { name: by.name.clone(), span: by.span.into(), did_you_mean: help });
        };
        let ty = c.ty;
        if source.is_some() && matches!(strategy, Some("native" | "shuffle")) {
            return Err(BindError::InvalidArgument {
                message: "a partition subquery with its own source needs the legacy strategy".into(),
                span: by.span.into(),
                help: Some("leave out hint.strategy, or start the subquery with an operator".into()),
            });
        }
        // a subquery with its own source, `as`, `invoke` or other tables: run once per partition value
        let per_value = source.is_some()
            || body.iter().any(|o| {
                matches!(
                    o.kind,
                    OpKind::As(_)
                        | OpKind::Invoke(_)
                        | OpKind::Join { .. }
                        | OpKind::Lookup { .. }
                        | OpKind::Union(_)
                        | OpKind::MakeSeries(_)
                        | OpKind::Evaluate { .. }
                        | OpKind::Partition { .. }
                        | OpKind::TopNested(_)
                )
            });
        if per_value {
            let legacy = matches!(strategy, None | Some("legacy"));
            return self.bind_partition_per_value(input, by, body, source, legacy, span);
        }
        // the legacy strategy (the default) fails over 64 values of the key (partition-operator)
        let input = if matches!(strategy, None | Some("legacy")) {
            Self::partition_limit(input.clone(), &input, by, span)?
        } else {
            input
        };
        let key = self.fresh("part");
        let mut items = Self::passthrough(&input);
        items.push((col(&by.name), key.clone(), ty));
        let rows = self.project(input, items, span)?;
        self.partition.push(vec![key.clone()]);
        let sub = self.bind_partitioned(rows, body);
        self.partition.pop();
        let sub = sub?;
        let out: Vec<_> = Self::passthrough(&sub).into_iter().filter(|(_, n, _)| n != &key).collect();
        self.project(sub, out, span)
    }

    /// `rows`, checked at execution for the legacy strategy's limit on `input`'s key: a filter that is always
    /// true, or fails when the key has more than 64 distinct values (one aggregate over the key, a scalar).
    fn partition_limit(rows: Bound, input: &Bound, by: &ast::Ident, span: Span) -> Result<Bound, BindError> {
        let values = Self::key_values(input, by).and_then(|b| b.build()).map_err(df_err(span))?;
        let values = datafusion::logical_expr::expr_fn::scalar_subquery(std::sync::Arc::new(values));
        let plan = LogicalPlanBuilder::from(rows.plan.clone())
            .filter(Self::limit_check(values, by))
            .and_then(|b| b.build())
            .map_err(df_err(span))?;
        Ok(Bound { plan, ..rows })
    }

    /// One row: the number of distinct values of `input`'s key, as `__partition_values`.
    fn key_values(input: &Bound, by: &ast::Ident) -> datafusion::error::Result<LogicalPlanBuilder> {
        let distinct = datafusion::functions_aggregate::expr_fn::count_distinct(col(&by.name)).alias(KEY_VALUES);
        LogicalPlanBuilder::from(input.plan.clone()).aggregate(Vec::<Expr>::new(), vec![distinct])
    }

    /// `kql_partition_limit(values, 'Key')`: true, or the legacy strategy's error.
    fn limit_check(values: Expr, by: &ast::Ident) -> Expr {
        crate::functions::udf::Udf::PartitionLimit.call(vec![values, datafusion::logical_expr::lit(by.name.clone())])
    }

    /// `shape` (the subquery bound once) and no more rows, failing at execution when `input`'s key has more
    /// than 64 distinct values: a union with the one row of an aggregate over the key, filtered out by the
    /// check, so the check runs even when the subquery's rows do not depend on the input.
    fn partition_limit_union(shape: Bound, input: &Bound, by: &ast::Ident, span: Span) -> Result<Bound, BindError> {
        let nulls: Vec<Expr> =
            shape.schema.columns.iter().map(|c| crate::functions::null_of(c.ty).alias(c.name.clone())).collect();
        let check = Self::key_values(input, by)
            .and_then(|b| b.filter(datafusion::logical_expr::not(Self::limit_check(col(KEY_VALUES), by))))
            .and_then(|b| b.project(nulls))
            .and_then(|b| b.build())
            .map_err(df_err(span))?;
        let plan =
            LogicalPlanBuilder::from(shape.plan.clone()).union(check).and_then(|b| b.build()).map_err(df_err(span))?;
        Ok(Bound { plan, ..shape })
    }

    /// A partition subquery run once per value of the key (partition-operator): the
    /// values are read through the probe (the query is about to run), and the subquery is bound for each
    /// on the rows of that value (`as Name` names them), or, with its own source, with the key as a scalar;
    /// the results are unioned. While checking (no probe), or over the legacy strategy's 64 values, it is bound
    /// once, for its schema, and the legacy strategy's limit is checked when it runs.
    fn bind_partition_per_value(
        &mut self,
        input: Bound,
        by: &ast::Ident,
        body: &[Operator],
        source: Option<&ast::Expr>,
        legacy: bool,
        span: Span,
    ) -> Result<Bound, BindError> {
        // the key's type (bind_partition found the column)
        let ty = input.schema.find(&by.name).map_or(KqlType::Dynamic, |(_, c)| c.ty);
        let values: Option<Vec<datafusion::common::ScalarValue>> = match self.probe {
            None => None,
            Some(probe) => {
                let plan = LogicalPlanBuilder::from(input.plan.clone())
                    .project(vec![col(&by.name)])
                    .and_then(|b| b.distinct())
                    .and_then(|b| b.build())
                    .map_err(df_err(span))?;
                let batches = probe(plan).map_err(|message| BindError::InvalidArgument {
                    message: format!("reading the partition values failed: {message}"),
                    span: span.into(),
                    help: None,
                })?;
                let mut vs = Vec::new();
                for b in &batches {
                    let a = b.column(0);
                    for r in 0..a.len() {
                        vs.push(datafusion::common::ScalarValue::try_from_array(a, r).map_err(df_err(span))?);
                    }
                }
                // over the legacy limit: bound once, and failing when it runs, as without a probe
                (!legacy || vs.len() <= 64).then_some(vs)
            }
        };
        let run_one = |this: &mut Self, value: Option<&datafusion::common::ScalarValue>| -> Result<Bound, BindError> {
            let rows = match value {
                Some(v) => {
                    let plan = LogicalPlanBuilder::from(input.plan.clone())
                        .filter(col(&by.name).eq(datafusion::logical_expr::lit(v.clone())))
                        .and_then(|b| b.build())
                        .map_err(df_err(span))?;
                    Bound::new(plan, input.schema.clone(), span)?
                }
                None => input.clone(),
            };
            this.push_scope();
            let out = (|| {
                if let Some(q) = source {
                    let key = match value {
                        Some(v) => {
                            crate::functions::Arg { expr: datafusion::logical_expr::lit(v.clone()), ty, span: by.span }
                        }
                        None => crate::functions::Arg { expr: crate::functions::null_of(ty), ty, span: by.span },
                    };
                    this.define(&by.name, crate::binder::Binding::Scalar(key), by.span);
                    return this.bind_tabular(q);
                }
                let mut rows = rows;
                for op in body {
                    rows = this.bind_operator(rows, op)?;
                }
                Ok(rows)
            })();
            this.pop_scope();
            out
        };
        let Some(values) = values else {
            let shape = run_one(self, None)?;
            return if legacy { Self::partition_limit_union(shape, &input, by, span) } else { Ok(shape) };
        };
        let mut parts = Vec::new();
        for v in &values {
            parts.push(run_one(self, Some(v))?);
        }
        let Some(first) = parts.first() else {
            // no rows: the subquery's schema, no rows
            let shape = run_one(self, None)?;
            let plan = LogicalPlanBuilder::from(shape.plan)
                .filter(datafusion::logical_expr::lit(false))
                .and_then(|b| b.build())
                .map_err(df_err(span))?;
            return Bound::new(plan, shape.schema, span);
        };
        let schema = first.schema.clone();
        if parts.len() == 1 {
            return Bound::new(first.plan.clone(), schema, span);
        }
        // one union of every part, not a chain of two-input unions: a chain as deep as the number of values
        // is past protobuf's nesting limit when the plan is serialized
        let inputs = parts.into_iter().map(|p| std::sync::Arc::new(p.plan)).collect();
        let plan = datafusion::logical_expr::Union::try_new_with_loose_types(inputs).map_err(df_err(span))?;
        Bound::new(datafusion::logical_expr::LogicalPlan::Union(plan), schema, span)
    }

    /// The input with one more column, `key`: a number unique to each row.
    fn number_rows(&mut self, input: Bound, key: &str, span: Span) -> Result<Bound, BindError> {
        let rn = datafusion::functions_window::expr_fn::row_number();
        let plan = LogicalPlanBuilder::from(input.plan)
            .window(vec![rn.alias(format!("{key}_u"))])
            .and_then(|b| b.build())
            .map_err(df_err(span))?;
        let mut schema = input.schema.columns.clone();
        schema.push(crate::types::KqlColumn { name: format!("{key}_u"), ty: KqlType::Long });
        let raw = Bound::new(plan, crate::types::KqlSchema::new(schema), span)?;
        // row_number() is an unsigned integer; the key is a long like every Kusto integer
        let mut items = Self::passthrough(&raw);
        if let Some(last) = items.last_mut() {
            *last = (
                datafusion::logical_expr::cast(col(&format!("{key}_u")), datafusion::arrow::datatypes::DataType::Int64),
                key.to_string(),
                KqlType::Long,
            );
        }
        self.project(raw, items, span)
    }

    /// The subquery's operators over the expanded rows, in partition mode; the row number must survive each.
    fn bind_partitioned(&mut self, mut rows: Bound, body: &[Operator]) -> Result<Bound, BindError> {
        let carried = self.partition.last().cloned().unwrap_or_default();
        for op in body {
            let out = self.bind_partitioned_op(rows, op, &carried)?;
            if carried.iter().any(|c| out.schema.find(c).is_none()) {
                return Err(BindError::Unsupported {
                    what: format!("'{}' inside an mv-apply or partition subquery", op.keyword.name),
                    span: op.keyword.span.into(),
                });
            }
            self.stages.push(crate::binder::Stage { span: op.span, schema: out.schema.clone() });
            rows = out;
        }
        Ok(rows)
    }

    /// One operator of an mv-apply subquery: those that see the whole table see one row's sub-table, and each
    /// keeps the carried columns (`carried[0]` the row number, then the outer columns' copies).
    fn bind_partitioned_op(&mut self, input: Bound, op: &Operator, carried: &[String]) -> Result<Bound, BindError> {
        let span = op.span;
        let s = Syn(span);
        let key = carried.first().cloned().unwrap_or_default();
        // aggregates: group by the row number, and take each copy's (constant) value along
        let takes = || -> Vec<ast::NamedExpr> {
            carried.iter().skip(1).map(|c| s.named(c, s.call("take_any", vec![s.name(c)]))).collect()
        };
        match &op.kind {
            OpKind::Project { kind: ast::ProjectKind::Project, items, order } => {
                let mut items = items.clone();
                items.extend(carried.iter().map(|c| s.column(c)));
                let mut order = order.clone();
                order.extend(carried.iter().map(|_| None));
                self.bind_project(input, ast::ProjectKind::Project, &items, &order, span)
            }
            OpKind::Summarize { aggs, by, .. } => {
                let mut aggs = aggs.clone();
                aggs.extend(takes());
                let mut by = by.clone();
                by.push(s.column(&key));
                self.bind_summarize(input, &aggs, &by, span)
            }
            OpKind::Count => {
                let mut aggs = vec![s.named("Count", s.call("count", vec![]))];
                aggs.extend(takes());
                self.bind_summarize(input, &aggs, &[s.column(&key)], span)
            }
            OpKind::Distinct(cols) => {
                let mut cols = cols.clone();
                if !cols.iter().any(|c| matches!(c.kind, ast::ExprKind::Star)) {
                    cols.extend(carried.iter().map(|c| s.name(c)));
                }
                self.bind_distinct(input, &cols, span)
            }
            OpKind::Take(n) => {
                let n = self.const_row_count(n)?;
                self.first_rows_per(input, std::slice::from_ref(&key), &[], n, span)
            }
            OpKind::Top { count, key: sort_key } => {
                let n = self.const_row_count(count)?;
                let sorts = self.sort_exprs(&input, std::slice::from_ref(sort_key))?;
                self.first_rows_per(input, std::slice::from_ref(&key), &sorts, n, span)
            }
            // each partition has its own state machine
            OpKind::Scan(scan) => self.bind_scan(input, scan, Some(&key), span),
            OpKind::Join { .. } | OpKind::Lookup { .. } | OpKind::Union(_) | OpKind::MakeSeries(_) => {
                Err(BindError::Unsupported {
                    what: format!("'{}' inside an mv-apply or partition subquery", op.keyword.name),
                    span: op.keyword.span.into(),
                })
            }
            _ => self.bind_operator(input, op),
        }
    }
}
