//! One file per operator family; each is `impl Binder { fn bind_<op>(&mut self, input: Bound, ...) }`.

mod filter;
mod functions;
mod join;
mod mv_expand;
mod parse;
mod project;
mod sort;
mod summarize;
mod union;
