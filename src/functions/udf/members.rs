//! Parse once per batch: the members of a dynamic column's objects, read in one walk and kept for the next
//! access to the same column. `extend u = tostring(d.UserName), s = tostring(d.Sid)` evaluates its expressions
//! one after the other on the same batch (and thread), each a key lookup in the same array; without this, each
//! walks every row's JSON again.
//!
//! The index is built at the first access with a constant key (the walk that builds it is the one a single
//! lookup makes anyway), over canonical objects only ([`crate::values::is_canonical_json`]), whose members are
//! read off their text without unescaping. A row that is anything else is looked up the long way by the caller.
//!
//! `mv-expand` of canonical arrays walks every item anyway: it records the members of its object items as it
//! goes and installs the index of its list's values ([`install`]), so the accesses after the expansion
//! (`mv-expand u = parse_json(LoggedOnUsers) | extend n = tostring(u.UserName)`) find it built.
//!
//! A column is recognised by its buffers, not by its `ArrayRef`: the expansion's values reach the accesses as
//! a slice (exec/expand.rs passes them on without a copy). The cache holds the indexed column's `ArrayRef`, so
//! its buffers cannot be freed and reused while it is kept: an array over the same text buffer whose offsets
//! start inside the indexed column's offsets can only be a slice of that column.

use datafusion::arrow::array::{Array, ArrayRef, StringArray};
use std::cell::RefCell;
use std::sync::Arc;

/// Columns whose text is larger than this are not indexed (nor kept alive by the cache).
const MAX_BYTES: usize = 16 << 20;

/// The members of every row of one column.
pub struct Members {
    column: ArrayRef,
    /// per row, its members' range in `members`; `None` when the row is null or not a canonical object
    rows: Vec<Option<(u32, u32)>>,
    /// (name start, name end, value start, value end), in bytes of the row's text
    members: Vec<[u32; 4]>,
}

impl Members {
    /// An empty index, to be filled row by row ([`Self::push_row`]) and [`install`]ed.
    pub fn new() -> Members {
        Members { column: Arc::new(StringArray::from(Vec::<&str>::new())), rows: Vec::new(), members: Vec::new() }
    }

    /// Appends the next row: an object whose members are `members` (name start, name end, value start, value
    /// end, in bytes of the row's text) or, for `None`, a row that is not indexed.
    pub fn push_row(&mut self, members: Option<&[[u32; 4]]>) {
        match members {
            Some(m) => {
                let from = self.members.len() as u32;
                self.members.extend_from_slice(m);
                self.rows.push(Some((from, self.members.len() as u32)));
            }
            None => self.rows.push(None),
        }
    }

    /// The number of rows of `text` before the first row of `text`, when `text` is this column or a slice of
    /// it; `None` when it is another column.
    fn shift(&self, text: &StringArray) -> Option<usize> {
        let mine = self.column.as_any().downcast_ref::<StringArray>()?;
        if mine.value_data().as_ptr() != text.value_data().as_ptr() {
            return None;
        }
        let (a, b) = (mine.value_offsets().as_ptr() as usize, text.value_offsets().as_ptr() as usize);
        let bytes = b.checked_sub(a)?;
        let shift = bytes / std::mem::size_of::<i32>();
        (bytes % std::mem::size_of::<i32>() == 0 && shift + text.len() <= mine.len()).then_some(shift)
    }

    fn build(column: &ArrayRef, text: &StringArray) -> Members {
        let mut rows = Vec::with_capacity(text.len());
        let mut members: Vec<[u32; 4]> = Vec::new();
        for r in 0..text.len() {
            let start = members.len();
            let b = text.value(r).as_bytes();
            let ok = !text.is_null(r)
                && b.first() == Some(&b'{')
                && u32::try_from(b.len()).is_ok()
                && crate::values::canonical_children(b, 0, 0, &mut |name, s, e| {
                    let (ks, ke) = name.unwrap_or((0, 0));
                    members.push([ks as u32, ke as u32, s as u32, e as u32]);
                }) == Some(b.len());
            if ok {
                rows.push(Some((start as u32, members.len() as u32)));
            } else {
                members.truncate(start);
                rows.push(None);
            }
        }
        Members { column: Arc::clone(column), rows, members }
    }

    /// The property `key` of row `r` of `text`, which is row `at` of the indexed column (`Some(None)` when the
    /// object has none), or `None` when the row is not indexed.
    fn get_at<'t>(&self, text: &'t StringArray, r: usize, at: usize, key: &str) -> Option<Option<&'t str>> {
        let (from, to) = (*self.rows.get(at)?)?;
        let row = text.value(r);
        let b = row.as_bytes();
        let hit = self.members.get(from as usize..to as usize)?.iter().find(|[ks, ke, _, _]| {
            b.get(*ks as usize..*ke as usize).is_some_and(|k| crate::values::same_name(k, key.as_bytes()))
        });
        Some(hit.and_then(|[_, _, vs, ve]| row.get(*vs as usize..*ve as usize)))
    }
}

thread_local! {
    /// the index of the column this thread looked into last
    static CACHE: RefCell<Option<Members>> = const { RefCell::new(None) };
}

/// The member index of one column as a caller reads it: rows numbered from its first.
pub struct View<'m> {
    members: &'m Members,
    shift: usize,
}

impl View<'_> {
    /// The property `key` of row `r` of `text` (the column this view was made for): see
    /// [`Members::get_at`].
    pub fn get<'t>(&self, text: &'t StringArray, r: usize, key: &str) -> Option<Option<&'t str>> {
        self.members.get_at(text, r, r + self.shift, key)
    }
}

/// Runs `f` with the member index of `column` (its text `text`), built unless this thread has it (or the
/// index of a column it is a slice of); `None` for a column too large to index.
pub fn with_members<R>(column: &ArrayRef, text: &StringArray, f: impl FnOnce(Option<View<'_>>) -> R) -> R {
    if text.value_data().len() > MAX_BYTES {
        return f(None);
    }
    CACHE.with(|cell| {
        let Ok(mut cache) = cell.try_borrow_mut() else { return f(None) };
        let shift = match cache.as_ref().and_then(|m| m.shift(text)) {
            Some(shift) => shift,
            None => {
                *cache = Some(Members::build(column, text));
                0
            }
        };
        f(cache.as_ref().map(|members| View { members, shift }))
    })
}

/// Keeps `members`, filled row by row for the rows of `column`, as this thread's index (what an access to
/// `column` or a slice of it reads next). Nothing is kept for a column too large to index, or when the rows
/// do not match.
pub fn install(column: &ArrayRef, mut members: Members) {
    let Some(text) = column.as_any().downcast_ref::<StringArray>() else { return };
    if text.value_data().len() > MAX_BYTES || members.rows.len() != text.len() {
        return;
    }
    members.column = Arc::clone(column);
    CACHE.with(|cell| {
        if let Ok(mut cache) = cell.try_borrow_mut() {
            *cache = Some(members);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_reads_members() {
        let col: ArrayRef = Arc::new(StringArray::from(vec![
            Some(r#"{"u":"ann","d":{"x":[1,2]},"n":null}"#),
            Some(r#"{"u" : "bob"}"#),
            None,
            Some("[1]"),
            Some(r#"{"u":"a","u":"b"}"#),
        ]));
        let text = col.as_any().downcast_ref::<StringArray>().expect("strings");
        let got = with_members(&col, text, |m| {
            let m = m.expect("an index");
            (0..5).map(|r| m.get(text, r, "u")).collect::<Vec<_>>()
        });
        assert_eq!(got, vec![Some(Some(r#""ann""#)), None, None, None, None]);
        let got =
            with_members(&col, text, |m| m.map(|m| (m.get(text, 0, "d"), m.get(text, 0, "n"), m.get(text, 0, "z"))));
        assert_eq!(got, Some((Some(Some(r#"{"x":[1,2]}"#)), Some(Some("null")), Some(None))));
        // another column (even with equal text) has its own index
        let other: ArrayRef = Arc::new(StringArray::from(vec![Some(r#"{"u":"eve"}"#)]));
        let other_text = other.as_any().downcast_ref::<StringArray>().expect("strings");
        assert!(with_members(&other, other_text, |m| m.is_some_and(|m| Arc::ptr_eq(&m.members.column, &other))));
        assert_eq!(
            with_members(&other, other_text, |m| m.and_then(|m| m.get(other_text, 0, "u"))),
            Some(Some(r#""eve""#))
        );
    }
}
