//! One file per operator family; each is `impl Binder { fn bind_<op>(&mut self, input: Bound, ...) }`.

pub mod evaluate;
mod filter;
mod find;
mod functions;
mod join;
mod make_series;
mod mv_apply;
mod mv_expand;
mod parse;
mod project;
pub mod scan;
mod search;
mod sort;
mod summarize;
mod top_nested;
mod union;

/// The documented values of each operator's `kind=` parameter (completion offers them; the binder checks them).
pub const KIND_VALUES: &[(&str, &[&str])] = &[
    (
        "join",
        &[
            "innerunique",
            "inner",
            "leftouter",
            "rightouter",
            "fullouter",
            "leftsemi",
            "leftanti",
            "rightsemi",
            "rightanti",
        ],
    ),
    ("lookup", &["leftouter", "inner"]),
    ("parse", &["simple", "regex", "relaxed"]),
    ("mv-expand", &["bag", "array"]),
];
