//! `join` (kinds innerunique — the default —, inner, leftouter, rightouter, fullouter, leftsemi, leftanti,
//! rightsemi, rightanti) and `lookup`, with Kusto's column naming (right-side clashes suffixed `1`, `2`…).

use crate::ast::{self, JoinCond, OpParam};
use crate::binder::{col, df_err, Binder, Bound};
use crate::diagnostics::BindError;
use crate::functions::{null_of, Arg};
use crate::source::Span;
use crate::types::{widest_numeric, KqlType};
use datafusion::common::{Column, JoinType};
use datafusion::logical_expr::{lit, Expr, ExprFunctionExt, LogicalPlanBuilder};

/// Kusto's unique names for the combined column list (join-innerunique; KUSTO-NOTES §2): every name is
/// reserved first; each later duplicate `X` becomes the first free `X1`, `X2`, ….
pub(crate) fn unique_names(left: &[String], right: &[String]) -> Vec<String> {
    let mut reserved: Vec<String> = left.iter().chain(right.iter()).cloned().collect();
    let mut out = Vec::new();
    let mut used: Vec<String> = left.to_vec();
    for r in right {
        if used.contains(r) {
            let n = (1..).map(|i| format!("{r}{i}")).find(|c| !reserved.contains(c)).unwrap_or_else(|| r.clone());
            reserved.push(n.clone());
            used.push(n.clone());
            out.push(n);
        } else {
            used.push(r.clone());
            out.push(r.clone());
        }
    }
    out
}

fn param<'p>(params: &'p [OpParam], name: &str) -> Option<&'p ast::Ident> {
    params.iter().find(|p| p.name.name == name).map(|p| &p.value)
}

/// A resolved join key: left column, right column, their types, and the condition's span.
pub(crate) type Key = (String, String, KqlType, KqlType, Span);

/// A join condition built from the two sides' aliases (see [`Binder::finish_join_with`]).
pub(crate) type ExtraCondition<'a> = dyn Fn(&str, &str) -> Expr + 'a;

/// Column `n` of the plan aliased `q`.
pub(crate) fn qcol(q: &str, n: &str) -> Expr {
    Expr::Column(Column::new(Some(q), n))
}

impl Binder<'_> {
    /// Resolves `on` conditions to (left column, right column) pairs with their types.
    fn join_keys(&self, left: &Bound, right: &Bound, on: &[JoinCond]) -> Result<Vec<Key>, BindError> {
        let mut keys = Vec::new();
        for c in on {
            let (l, r, span) = match c {
                JoinCond::Same(n) => (n.clone(), n.clone(), n.span),
                JoinCond::Pair { left, right, span } => (left.clone(), right.clone(), *span),
            };
            let find = |b: &Bound, n: &ast::Ident, side: &str| {
                b.schema.find(&n.name).map(|(_, c)| c.ty).ok_or_else(|| BindError::UnknownColumn {
                    name: n.name.clone(),
                    span: n.span.into(),
                    did_you_mean: crate::names::help_line(&n.name, b.schema.names(), &format!("{side} columns")),
                })
            };
            let lt = find(left, &l, "left")?;
            let rt = find(right, &r, "right")?;
            if lt == KqlType::Dynamic || rt == KqlType::Dynamic {
                return Err(BindError::TypeMismatch {
                    message: "cannot join on a dynamic column".into(),
                    span: span.into(),
                    found: "dynamic".into(),
                    help: Some("extend a converted key first, e.g. tostring(...)".into()),
                });
            }
            if lt != rt
                && widest_numeric(lt, rt).is_none()
                && !matches!((lt, rt), (KqlType::String, KqlType::Guid) | (KqlType::Guid, KqlType::String))
            {
                return Err(BindError::TypeMismatch {
                    message: format!("join keys must have one type: '{}' is {lt}, '{}' is {rt}", l.name, r.name),
                    span: span.into(),
                    found: format!("{lt} and {rt}"),
                    help: None,
                });
            }
            keys.push((l.name, r.name, lt, rt, span));
        }
        Ok(keys)
    }

    /// innerunique: keeps one (any) left row per key (join-innerunique). A hash aggregate grouped by the keys
    /// takes the first row it sees of each: its other columns as one `first_value` of a struct (so they come
    /// from one row), a field each. When the query reads no other column, the optimizer prunes the struct and
    /// this is a `distinct` of the keys. (Numbering the rows of each key with a window needs them sorted: a
    /// failed-logon join held and sorted every left row for that.)
    pub(crate) fn dedup_on(&mut self, input: Bound, keys: &[String], span: Span) -> Result<Bound, BindError> {
        use crate::binder::fields::{first_row, first_row_field};
        let others: Vec<&str> =
            input.schema.columns.iter().map(|c| c.name.as_str()).filter(|n| !keys.iter().any(|k| k == n)).collect();
        let packed = self.fresh("row");
        let aggr = match others.is_empty() {
            true => vec![],
            false => {
                vec![first_row(others.iter().map(|n| col(n)), crate::binder::fields::RowOf::First).alias(packed.clone())]
            }
        };
        let groups: Vec<Expr> = keys.iter().map(|k| col(k)).collect();
        let plan =
            crate::binder::fields::aggregate(groups, aggr, std::sync::Arc::new(input.plan)).map_err(df_err(span))?;
        let cols: Vec<Expr> = input
            .schema
            .columns
            .iter()
            .map(|c| match others.iter().position(|n| *n == c.name) {
                Some(i) => first_row_field(&packed, i).alias(c.name.clone()),
                None => col(&c.name),
            })
            .collect();
        let plan = crate::binder::fields::projection(cols, std::sync::Arc::new(plan)).map_err(df_err(span))?;
        Bound::new(plan, input.schema, span)
    }

    /// The first `n` rows of each group of `keys`, in `sorts` order (any order without): innerunique's one
    /// row per key, and `top`/`take` per sub-table in an mv-apply subquery.
    pub(crate) fn first_rows_per(
        &mut self,
        input: Bound,
        keys: &[String],
        sorts: &[datafusion::logical_expr::SortExpr],
        n: usize,
        span: Span,
    ) -> Result<Bound, BindError> {
        let rn =
            datafusion::functions_window::expr_fn::row_number().partition_by(keys.iter().map(|k| col(k)).collect());
        let rn = if sorts.is_empty() { rn } else { rn.order_by(sorts.to_vec()) };
        let rn = rn.build().map_err(df_err(span))?;
        let name = self.fresh("rn");
        let cols: Vec<Expr> = input.schema.columns.iter().map(|c| col(&c.name)).collect();
        // the plan nodes themselves, not LogicalPlanBuilder's, which normalize every column against the whole plan
        use datafusion::logical_expr::{Filter, LogicalPlan, Window};
        let window = Window::try_new(vec![rn.alias(name.clone())], std::sync::Arc::new(input.plan))
            .map(LogicalPlan::Window)
            .map_err(df_err(span))?;
        let filter = Filter::try_new(col(&name).lt_eq(lit(n as u64)), std::sync::Arc::new(window))
            .map(LogicalPlan::Filter)
            .map_err(df_err(span))?;
        let plan = crate::binder::fields::projection(cols, std::sync::Arc::new(filter)).map_err(df_err(span))?;
        Bound::new(plan, input.schema, span)
    }

    pub(crate) fn bind_join(
        &mut self,
        left: Bound,
        params: &[OpParam],
        right: &ast::Expr,
        on: &[JoinCond],
        span: Span,
    ) -> Result<Bound, BindError> {
        let kind = param(params, "kind").map(|k| k.name.clone()).unwrap_or_else(|| "innerunique".into());
        let jt = match kind.as_str() {
            "innerunique" | "inner" => JoinType::Inner,
            "leftouter" => JoinType::Left,
            "rightouter" => JoinType::Right,
            "fullouter" | "outer" => JoinType::Full,
            "leftsemi" | "semi" => JoinType::LeftSemi,
            "leftanti" | "anti" | "leftantisemi" => JoinType::LeftAnti,
            "rightsemi" => JoinType::RightSemi,
            "rightanti" | "rightantisemi" => JoinType::RightAnti,
            _ => {
                let k = param(params, "kind").map(|k| k.span).unwrap_or(span);
                return Err(BindError::InvalidArgument {
                    message: format!("'{kind}' is not a join kind"),
                    span: k.into(),
                    help: Some(join_kinds_help()),
                });
            }
        };
        let right = self.bind_tabular(right)?;
        let keys = self.join_keys(&left, &right, on)?;
        let left = if kind == "innerunique" {
            let ks: Vec<String> = keys.iter().map(|k| k.0.clone()).collect();
            self.dedup_on(left, &ks, span)?
        } else {
            left
        };
        // a semi or anti join only asks whether a key is on the other side: that side is reduced to its distinct
        // keys first (a hash join walks every build row of a key, so a key repeated 100,000 times on the build
        // side made each probe row walk them all: 20x slower than DuckDB on a DFIR-shaped leftsemi)
        let (left, right) = match jt {
            JoinType::LeftSemi | JoinType::LeftAnti => {
                let ks: Vec<String> = keys.iter().map(|k| k.1.clone()).collect();
                (left, distinct_keys(right, &ks, span)?)
            }
            JoinType::RightSemi | JoinType::RightAnti => {
                let ks: Vec<String> = keys.iter().map(|k| k.0.clone()).collect();
                (distinct_keys(left, &ks, span)?, right)
            }
            _ => (left, right),
        };
        self.finish_join(left, right, jt, &keys, false, span)
    }

    /// lookup-operator: leftouter (default) or inner; right keys are not repeated; no deduplication.
    pub(crate) fn bind_lookup(
        &mut self,
        left: Bound,
        params: &[OpParam],
        right: &ast::Expr,
        on: &[JoinCond],
        span: Span,
    ) -> Result<Bound, BindError> {
        let jt = match param(params, "kind").map(|k| k.name.as_str()) {
            None | Some("leftouter") => JoinType::Left,
            Some("inner") => JoinType::Inner,
            Some(other) => {
                return Err(BindError::InvalidArgument {
                    message: format!("lookup supports kind=leftouter and kind=inner, not '{other}'"),
                    span: span.into(),
                    help: None,
                })
            }
        };
        let right = self.bind_tabular(right)?;
        let keys = self.join_keys(&left, &right, on)?;
        self.finish_join(left, right, jt, &keys, true, span)
    }

    pub(crate) fn finish_join(
        &mut self,
        left: Bound,
        right: Bound,
        jt: JoinType,
        keys: &[Key],
        drop_right_keys: bool,
        span: Span,
    ) -> Result<Bound, BindError> {
        self.finish_join_with(left, right, jt, keys, drop_right_keys, None, span)
    }

    /// [`Binder::finish_join`] with one more join condition, built from the two sides' aliases
    /// (`qualified(alias, column)`): `evaluate ipv4_lookup`'s address-in-range test.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn finish_join_with(
        &mut self,
        left: Bound,
        right: Bound,
        jt: JoinType,
        keys: &[Key],
        drop_right_keys: bool,
        extra: Option<&ExtraCondition<'_>>,
        span: Span,
    ) -> Result<Bound, BindError> {
        let (la, ra) = (self.fresh("l"), self.fresh("r"));
        let lplan =
            LogicalPlanBuilder::from(left.plan).alias(la.clone()).and_then(|b| b.build()).map_err(df_err(span))?;
        let rplan =
            LogicalPlanBuilder::from(right.plan).alias(ra.clone()).and_then(|b| b.build()).map_err(df_err(span))?;
        let conds: Vec<Expr> = keys
            .iter()
            .map(|(l, r, lt, rt, sp)| {
                let la_ = Arg { expr: qcol(&la, l), ty: *lt, span: *sp };
                let ra_ = Arg { expr: qcol(&ra, r), ty: *rt, span: *sp };
                let t = widest_numeric(*lt, *rt).unwrap_or(*lt);
                let (a, b) = if lt == rt {
                    (la_.expr, ra_.expr)
                } else {
                    (crate::functions::convert_to(la_, t).expr, crate::functions::convert_to(ra_, t).expr)
                };
                a.eq(b)
            })
            .chain(extra.map(|f| f(&la, &ra)))
            .collect();
        // a hash join keeps its left input in memory: a left semi or anti join is planned as the right one with
        // the sides swapped, so the side only looked into (its distinct keys) is the one held, not the rows kept
        let (first, second, djt) = match jt {
            JoinType::LeftSemi => (rplan, lplan, JoinType::RightSemi),
            JoinType::LeftAnti => (rplan, lplan, JoinType::RightAnti),
            _ => (lplan, rplan, jt),
        };
        let plan = LogicalPlanBuilder::from(first)
            .join_on(second, djt, conds)
            .and_then(|b| b.build())
            .map_err(df_err(span))?;
        let lnames: Vec<String> = left.schema.names().map(String::from).collect();
        let right_cols: Vec<_> = right
            .schema
            .columns
            .iter()
            .filter(|c| !(drop_right_keys && keys.iter().any(|k| k.1 == c.name)))
            .cloned()
            .collect();
        let rnames: Vec<String> = right_cols.iter().map(|c| c.name.clone()).collect();
        let mut items = Vec::new();
        let keep_left = !matches!(jt, JoinType::RightSemi | JoinType::RightAnti);
        let keep_right = !matches!(jt, JoinType::LeftSemi | JoinType::LeftAnti);
        // outer joins fill unmatched cells with null; Kusto strings read "" (KUSTO-NOTES §1)
        let fill = |e: Expr, t: KqlType, nullable: bool| {
            if nullable && t == KqlType::String {
                datafusion::functions::core::expr_fn::coalesce(vec![e, null_of(KqlType::String)])
            } else {
                e
            }
        };
        if keep_left {
            let nullable = matches!(jt, JoinType::Right | JoinType::Full);
            for c in &left.schema.columns {
                items.push((fill(qcol(&la, &c.name), c.ty, nullable), c.name.clone(), c.ty));
            }
        }
        if keep_right {
            let nullable = matches!(jt, JoinType::Left | JoinType::Full);
            let names = if keep_left { unique_names(&lnames, &rnames) } else { rnames.clone() };
            for (c, n) in right_cols.iter().zip(names) {
                items.push((fill(qcol(&ra, &c.name), c.ty, nullable), n, c.ty));
            }
        }
        let raw = Bound { schema: crate::types::KqlSchema::default(), plan, label: None, serialized: true };
        self.project(raw, items, span)
    }
}

/// "use innerunique, inner, …, rightsemi or rightanti", from the table of kinds.
fn join_kinds_help() -> String {
    let kinds = super::KIND_VALUES.iter().find(|(op, _)| *op == "join").map_or(&[][..], |(_, k)| k);
    match kinds.split_last() {
        Some((last, rest)) => format!("use {} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// `input` reduced to the distinct values of its columns `keys` (the side of a semi or anti join that is only
/// looked into).
fn distinct_keys(input: Bound, keys: &[String], span: Span) -> Result<Bound, BindError> {
    let mut schema = input.schema.clone();
    schema.columns.retain(|c| keys.contains(&c.name));
    let cols: Vec<Expr> = schema.columns.iter().map(|c| col(&c.name)).collect();
    let projected = crate::binder::fields::projection(cols, std::sync::Arc::new(input.plan)).map_err(df_err(span))?;
    let plan = datafusion::logical_expr::LogicalPlan::Distinct(datafusion::logical_expr::Distinct::All(
        std::sync::Arc::new(projected),
    ));
    Bound::new(plan, schema, span)
}

#[cfg(test)]
mod tests {
    use super::unique_names;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn right_side_suffixes() {
        assert_eq!(
            unique_names(&s(&["DeviceId", "ActionType"]), &s(&["DeviceId", "ActionType"])),
            s(&["DeviceId1", "ActionType1"])
        );
        assert_eq!(unique_names(&s(&["DeviceId", "DeviceId1"]), &s(&["DeviceId"])), s(&["DeviceId2"]));
        assert_eq!(
            unique_names(&s(&["DeviceId", "DeviceId1"]), &s(&["DeviceId", "DeviceId1"])),
            s(&["DeviceId2", "DeviceId11"])
        );
    }
}
