//! `evaluate bag_unpack(...)` and `evaluate pivot(...)`: plugins whose output columns depend on the data
//! (bag-unpack-plugin, pivot-plugin). With an output schema (`: (*, Age:long)`) the columns are known from the
//! query. Otherwise, when the query is about to run, the binder reads the input once through the session's
//! *probe* (the slots of the bags, the distinct pivot values) and plans with the columns found; when only
//! checking, no data is read: the schema is *open* (as Kusto's analyzer has it), the plugin's known columns
//! come out and later names that are not columns are taken as dynamic values instead of errors.

use crate::ast::{self, BinOp, Expr as A, ExprKind as K, Ident, Literal, NamedExpr, OpKind};
use crate::binder::{col, Binder, Bound, Syn};
use crate::diagnostics::BindError;
use crate::functions::udf::Udf;
use crate::functions::Arg;
use crate::source::Span;
use crate::types::{KqlSchema, KqlType};
use datafusion::arrow::array::{Array, StringArray};
use datafusion::logical_expr::{lit, Expr};
use serde_json::Value;

/// Runs a plan to the end for the binder (the session's executor): the rows a plugin's columns depend on.
pub type Probe<'p> =
    &'p dyn Fn(datafusion::logical_expr::LogicalPlan) -> Result<Vec<datafusion::arrow::array::RecordBatch>, String>;

impl Binder<'_> {
    pub(crate) fn bind_evaluate(
        &mut self,
        input: Bound,
        plugin: &Ident,
        args: &[A],
        schema: Option<&ast::OutputSchema>,
        span: Span,
    ) -> Result<Bound, BindError> {
        match plugin.name.as_str() {
            "bag_unpack" => self.bind_bag_unpack(input, args, schema, span),
            "pivot" => self.bind_pivot(input, args, schema, span),
            "ipv4_lookup" => self.bind_ipv4_lookup(input, args, span),
            other => Err(BindError::Unsupported { what: format!("evaluate {other}"), span: plugin.span.into() }),
        }
    }

    /// `evaluate ipv4_lookup(LookupTable, SourceIPv4Key, IPv4LookupKey [, ExtraKey...] [, return_unmatched])`
    /// (ipv4-lookup-plugin): each input row with the lookup rows whose IPv4 range (`10.0.0.0/8` or an address)
    /// holds the row's address (and whose extra keys are equal); rows without a match are dropped unless
    /// return_unmatched is true. Output: the input's columns, then the lookup table's.
    fn bind_ipv4_lookup(&mut self, input: Bound, args: &[A], span: Span) -> Result<Bound, BindError> {
        let mut args: Vec<&A> = args.iter().collect();
        let flag = |k: &ast::ExprKind| match k {
            ast::ExprKind::Literal(ast::Literal::Bool(b)) => Some(*b),
            ast::ExprKind::NamedArg { name, value } if name.name == "return_unmatched" => match value.kind {
                ast::ExprKind::Literal(ast::Literal::Bool(b)) => Some(b),
                _ => None,
            },
            _ => None,
        };
        let unmatched = match args.last().and_then(|a| flag(&a.kind)) {
            Some(b) => {
                args.pop();
                b
            }
            None => false,
        };
        let (Some(table), Some(src), Some(key)) = (args.first(), args.get(1), args.get(2)) else {
            return Err(crate::binder::source::arity(
                "ipv4_lookup",
                "a lookup table and two key columns",
                args.len(),
                span,
            ));
        };
        let lookup = self.bind_tabular(table)?;
        let name_of = |e: &A, b: &Bound, side: &str| -> Result<(String, KqlType), BindError> {
            let ast::ExprKind::Name(n) = &e.kind else {
                return Err(BindError::InvalidArgument {
                    message: format!("ipv4_lookup takes column names here ({side})"),
                    span: e.span.into(),
                    help: None,
                });
            };
            b.schema.find(&n.name).map(|(_, c)| (n.name.clone(), c.ty)).ok_or_else(|| BindError::UnknownColumn {
                name: n.name.clone(),
                span: n.span.into(),
                did_you_mean: crate::names::help_line(&n.name, b.schema.names(), &format!("{side} columns")),
            })
        };
        let (src_col, _) = name_of(src, &input, "input")?;
        let (key_col, _) = name_of(key, &lookup, "lookup table")?;
        // extra keys: the same column name on both sides
        let mut keys = Vec::new();
        for e in args.iter().skip(3) {
            let (l, lt) = name_of(e, &input, "input")?;
            let (_, rt) = name_of(e, &lookup, "lookup table")?;
            keys.push((l.clone(), l, lt, rt, e.span));
        }
        let in_range = |la: &str, ra: &str| {
            let ip = datafusion::logical_expr::cast(super::join::qcol(la, &src_col), KqlType::String.to_arrow());
            let range = datafusion::logical_expr::cast(super::join::qcol(ra, &key_col), KqlType::String.to_arrow());
            crate::functions::udf::Udf::Ipv4IsInRange.call(vec![ip, range]).is_true()
        };
        let jt = if unmatched { datafusion::common::JoinType::Left } else { datafusion::common::JoinType::Inner };
        self.finish_join_with(input, lookup, jt, &keys, true, Some(&in_range), span)
    }

    /// Runs `input | OP` through the probe: `None` when only checking.
    fn probe_rows(
        &mut self,
        input: &Bound,
        kw: &str,
        op: OpKind,
        span: Span,
    ) -> Result<Option<Vec<datafusion::arrow::array::RecordBatch>>, BindError> {
        let Some(probe) = self.probe else { return Ok(None) };
        let bound = self.bind_operator(input.clone(), &Syn(span).op(kw, op))?;
        probe(bound.plan).map(Some).map_err(|message| BindError::InvalidArgument {
            message: format!("reading the rows this plugin's columns depend on failed: {message}"),
            span: span.into(),
            help: None,
        })
    }

    /// The column named by a plugin argument (a bare column name).
    fn plugin_column(
        &mut self,
        a: Option<&A>,
        input: &Bound,
        what: &str,
        span: Span,
    ) -> Result<(String, KqlType), BindError> {
        match a {
            // an unknown name: bind_scalar reports it (or, in an open schema, takes it as dynamic)
            Some(arg @ A { kind: K::Name(n), .. }) => match input.schema.find(&n.name) {
                Some((_, c)) => Ok((c.name.clone(), c.ty)),
                None => self.bind_scalar(arg, &input.schema).map(|x| (n.name.clone(), x.ty)),
            },
            Some(arg) => Err(BindError::InvalidArgument {
                message: format!("{what} must be a column name"),
                span: arg.span.into(),
                help: None,
            }),
            None => Err(BindError::WrongArity {
                name: what.split('\'').next().unwrap_or(what).to_string(),
                expected: "at least 1 argument".into(),
                found: 0,
                span: span.into(),
            }),
        }
    }

    fn declared(&mut self, schema: &ast::OutputSchema) -> Result<Vec<(String, KqlType)>, BindError> {
        schema.columns.iter().map(|(n, t)| crate::binder::source::parse_type(t).map(|t| (n.name.clone(), t))).collect()
    }

    fn open_schema_notice(&mut self, plugin: &str) {
        self.open_columns = true;
        let notice = format!("evaluate {plugin}: its columns depend on the data; names after it are not checked");
        if !self.notices.contains(&notice) {
            self.notices.push(notice);
        }
    }

    /// bag_unpack(Column [, OutputColumnPrefix [, columnsConflict [, ignoredProperties]]]) [: OutputSchema]
    fn bind_bag_unpack(
        &mut self,
        input: Bound,
        args: &[A],
        schema: Option<&ast::OutputSchema>,
        span: Span,
    ) -> Result<Bound, BindError> {
        // positional, then named options
        let (mut prefix, mut conflict, mut ignored) = (String::new(), "error".to_string(), Vec::<String>::new());
        let mut positional = Vec::new();
        for a in args {
            match &a.kind {
                K::NamedArg { name, value } => {
                    let v = self.bind_scalar(value, &KqlSchema::default())?;
                    match name.name.as_str() {
                        "OutputColumnPrefix" => prefix = const_text(&v)?,
                        "columnsConflict" => conflict = const_text(&v)?,
                        "ignoredProperties" => ignored = const_list(&v)?,
                        other => {
                            return Err(BindError::InvalidArgument {
                                message: format!("bag_unpack has no parameter '{other}'"),
                                span: name.span.into(),
                                help: Some(
                                    "its parameters: OutputColumnPrefix, columnsConflict, ignoredProperties".into(),
                                ),
                            })
                        }
                    }
                }
                _ => positional.push(a),
            }
        }
        let (bag, bag_ty) =
            self.plugin_column(positional.first().copied(), &input, "bag_unpack's first argument", span)?;
        if bag_ty != KqlType::Dynamic {
            return Err(BindError::TypeMismatch {
                message: format!("bag_unpack unpacks a dynamic column, not a {bag_ty}"),
                span: positional.first().map_or(span, |a| a.span).into(),
                found: bag_ty.to_string(),
                help: Some("extend a dynamic column first, e.g. extend d = parse_json(Column)".into()),
            });
        }
        for (k, a) in positional.iter().enumerate().skip(1) {
            let v = self.bind_scalar(a, &KqlSchema::default())?;
            match k {
                1 => prefix = const_text(&v)?,
                2 => conflict = const_text(&v)?,
                3 => ignored = const_list(&v)?,
                _ => {
                    return Err(BindError::InvalidArgument {
                        message: "bag_unpack takes at most 4 arguments".into(),
                        span: a.span.into(),
                        help: None,
                    })
                }
            }
        }
        if !matches!(conflict.as_str(), "error" | "replace_source" | "keep_source") {
            return Err(BindError::InvalidArgument {
                message: format!(
                    "columnsConflict must be 'error', 'replace_source' or 'keep_source', not '{conflict}'"
                ),
                span: span.into(),
                help: None,
            });
        }
        let others: Vec<(Expr, String, KqlType)> =
            Self::passthrough(&input).into_iter().filter(|(_, n, _)| n != &bag).collect();
        let slot = |name: &str, ty: KqlType| -> (Expr, String, KqlType) {
            let v = Udf::DynamicGet.call(vec![col(&bag), lit(name.to_string())]);
            (crate::functions::convert_to(Arg { expr: v, ty: KqlType::Dynamic, span }, ty).expr, name.to_string(), ty)
        };
        if let Some(s) = schema {
            let declared = self.declared(s)?;
            let mut out: Vec<(Expr, String, KqlType)> = if s.star {
                others.into_iter().filter(|(_, n, _)| !declared.iter().any(|(d, _)| d == n)).collect()
            } else {
                vec![]
            };
            for (n, t) in &declared {
                let stripped = n.strip_prefix(prefix.as_str()).unwrap_or(n);
                let (x, _, t) = slot(stripped, *t);
                out.push((x, n.clone(), t));
            }
            return self.project(input, out, span);
        }
        let project =
            OpKind::Project { kind: ast::ProjectKind::Project, items: vec![Syn(span).column(&bag)], order: vec![None] };
        let Some(batches) = self.probe_rows(&input, "project", project, span)? else {
            self.open_schema_notice("bag_unpack");
            return self.project(input, others, span);
        };
        // the slots in name order, each with the one JSON type of its values (dynamic when they differ)
        let mut slots: std::collections::BTreeMap<String, Option<KqlType>> = std::collections::BTreeMap::new();
        for b in &batches {
            let Some(a) = b.columns().first().and_then(|c| c.as_any().downcast_ref::<StringArray>()) else { continue };
            for r in 0..a.len() {
                if a.is_null(r) {
                    continue;
                }
                let Ok(Value::Object(m)) = serde_json::from_str::<Value>(a.value(r)) else { continue };
                for (k, v) in m {
                    if ignored.contains(&k) {
                        continue;
                    }
                    let t = match v {
                        Value::Null => None,
                        Value::Bool(_) => Some(KqlType::Bool),
                        Value::Number(n) if n.is_i64() || n.is_u64() => Some(KqlType::Long),
                        Value::Number(_) => Some(KqlType::Real),
                        Value::String(_) => Some(KqlType::String),
                        _ => Some(KqlType::Dynamic),
                    };
                    let slot_ty = slots.entry(k).or_insert(None);
                    *slot_ty = match (*slot_ty, t) {
                        (None, t) => t,
                        (Some(a), Some(b)) if a != b => Some(KqlType::Dynamic),
                        (a, _) => a,
                    };
                }
            }
        }
        let mut out = others;
        for (k, t) in slots {
            let name = format!("{prefix}{k}");
            let (x, _, t) = slot(&k, t.unwrap_or(KqlType::Dynamic));
            match out.iter().position(|(_, n, _)| n == &name) {
                Some(pos) => match conflict.as_str() {
                    "keep_source" => {}
                    "replace_source" => {
                        if let Some(o) = out.get_mut(pos) {
                            *o = (x, name, t);
                        }
                    }
                    _ => {
                        return Err(BindError::DuplicateColumn { name, span: span.into() });
                    }
                },
                None => out.push((x, name, t)),
            }
        }
        self.project(input, out, span)
    }

    /// pivot(pivotColumn [, aggregationFunction [, column1, ...]]) [: OutputSchema]
    fn bind_pivot(
        &mut self,
        input: Bound,
        args: &[A],
        schema: Option<&ast::OutputSchema>,
        span: Span,
    ) -> Result<Bound, BindError> {
        let (pivot, pivot_ty) = self.plugin_column(args.first(), &input, "pivot's first argument", span)?;
        if pivot_ty == KqlType::Dynamic {
            return Err(BindError::TypeMismatch {
                message: "pivot cannot rotate a dynamic column".into(),
                span: args.first().map_or(span, |a| a.span).into(),
                found: "dynamic".into(),
                help: Some("convert it first, e.g. extend c = tostring(...)".into()),
            });
        }
        let s = Syn(span);
        let count = s.call("count", vec![]);
        let agg = args.get(1).cloned().unwrap_or(count);
        let (agg_name, agg_args) = match &agg.kind {
            K::Call { name, args } if crate::functions::lookup_aggregate(&name.name).is_some() => {
                (name.clone(), args.clone())
            }
            _ => {
                return Err(BindError::InvalidArgument {
                    message: "pivot's second argument must be an aggregation such as count(), sum(x) or make_set(x)"
                        .into(),
                    span: agg.span.into(),
                    help: None,
                })
            }
        };
        const ALLOWED: &[&str] = &[
            "min",
            "max",
            "take_any",
            "any",
            "sum",
            "dcount",
            "avg",
            "stdev",
            "variance",
            "make_list",
            "make_bag",
            "make_set",
            "count",
            "countif",
            "sumif",
            "dcountif",
        ];
        if !ALLOWED.contains(&agg_name.name.as_str()) {
            return Err(BindError::InvalidArgument {
                message: format!("pivot does not support the aggregation {}()", agg_name.name),
                span: agg_name.span.into(),
                help: Some(
                    "use min, max, take_any, sum, dcount, avg, stdev, variance, make_list, make_bag, make_set or count"
                        .into(),
                ),
            });
        }
        let agg_column = match agg_args.first().map(|a| &a.kind) {
            Some(K::Name(n)) => Some(n.name.clone()),
            _ => None,
        };
        let mut keys = Vec::new();
        for a in args.iter().skip(2) {
            keys.push(self.plugin_column(Some(a), &input, "pivot's key column", span)?.0);
        }
        if args.len() <= 2 {
            keys = input
                .schema
                .names()
                .filter(|n| *n != pivot && Some(*n) != agg_column.as_deref())
                .map(String::from)
                .collect();
        }
        let key_items: Vec<NamedExpr> = keys.iter().map(|k| s.column(k)).collect();
        let pivot_text = || s.call("tostring", vec![s.name(&pivot)]);
        // the pivot values: declared, read from the data, or (only checking) unknown
        let values: Vec<String> = match schema {
            Some(declared_schema) => {
                let declared = self.declared(declared_schema)?;
                declared.into_iter().map(|(n, _)| n).filter(|n| !keys.contains(n)).collect()
            }
            None => {
                let distinct = OpKind::Summarize { params: vec![], aggs: vec![], by: vec![s.named("v", pivot_text())] };
                match self.probe_rows(&input, "summarize", distinct, span)? {
                    Some(batches) => {
                        let mut vals: Vec<String> = batches
                            .iter()
                            .filter_map(|b| {
                                b.columns().first().and_then(|c| c.as_any().downcast_ref::<StringArray>()).cloned()
                            })
                            .flat_map(|a| {
                                (0..a.len())
                                    .map(move |r| if a.is_null(r) { String::new() } else { a.value(r).to_string() })
                                    .collect::<Vec<_>>()
                            })
                            .collect();
                        vals.sort();
                        vals.dedup();
                        vals
                    }
                    None => {
                        self.open_schema_notice("pivot");
                        vec![]
                    }
                }
            }
        };
        // one aggregate per value, over the rows of that value: f(iff(tostring(P) == v, x, null), ...)
        let arg_types: Vec<KqlType> =
            agg_args.iter().map(|a| self.bind_scalar(a, &input.schema).map(|x| x.ty)).collect::<Result<_, _>>()?;
        // an empty cell: what the aggregate gives on no rows (count and sum: 0, summarize-operator's rule)
        let zero_default = crate::functions::lookup_aggregate(&agg_name.name).is_some_and(|d| d.zero_default);
        let mut aggs = Vec::new();
        for v in &values {
            let cond = s.bin(BinOp::Eq, pivot_text(), s.e(K::Literal(Literal::String(v.clone()))));
            let call = if agg_args.is_empty() {
                s.call("countif", vec![cond])
            } else {
                let mut new_args = agg_args.clone();
                if let (Some(first), Some(t)) = (new_args.first_mut(), arg_types.first()) {
                    let null = s.e(K::Literal(Literal::TypedNull(t.name().to_string())));
                    *first = s.call("iff", vec![cond, first.clone(), null]);
                }
                let c = s.e(K::Call { name: agg_name.clone(), args: new_args });
                if zero_default {
                    s.call("coalesce", vec![c, s.long(0)])
                } else {
                    c
                }
            };
            aggs.push(s.named(v, call));
        }
        let summarize = OpKind::Summarize { params: vec![], aggs, by: key_items };
        let out = self.bind_operator(input, &s.op("summarize", summarize))?;
        // a declared schema fixes the column types
        match schema {
            Some(declared_schema) => {
                let declared = self.declared(declared_schema)?;
                let items = declared
                    .into_iter()
                    .map(|(n, t)| match out.schema.find(&n) {
                        Some((_, c)) if c.ty == t => (col(&n), n, t),
                        Some((_, c)) => {
                            (crate::functions::convert_to(Arg { expr: col(&n), ty: c.ty, span }, t).expr, n, t)
                        }
                        None => (crate::functions::null_of(t), n, t),
                    })
                    .collect();
                self.project(out, items, span)
            }
            None => Ok(out),
        }
    }
}

fn const_text(a: &Arg) -> Result<String, BindError> {
    if a.ty != KqlType::String {
        return Err(BindError::TypeMismatch {
            message: format!("this plugin argument is a string, not a {}", a.ty),
            span: a.span.into(),
            found: a.ty.to_string(),
            help: None,
        });
    }
    a.const_str().ok_or_else(|| BindError::InvalidArgument {
        message: "this plugin argument must be a constant string".into(),
        span: a.span.into(),
        help: None,
    })
}

fn const_list(a: &Arg) -> Result<Vec<String>, BindError> {
    let text = a.const_str().unwrap_or_default();
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Array(items)) => Ok(items.iter().map(crate::functions::udf::dynamic::value_to_string).collect()),
        _ => Err(BindError::InvalidArgument {
            message: "ignoredProperties must be a constant dynamic array of names".into(),
            span: a.span.into(),
            help: None,
        }),
    }
}
