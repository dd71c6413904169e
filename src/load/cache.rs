//! The session's column cache: decoded columns of file-backed tables kept in memory between queries, so a
//! REPL session (or a library caller) reads a large dump once and answers later queries from memory, as the
//! Advanced Hunting page does once a table is loaded.
//!
//! - **What is kept**: the arrays of one complete scan run (every chunk of every file, in the order the feeder
//!   cut them), per table column. A later scan whose columns are all cached reads no file; one that needs a
//!   column not cached yet reads the files and adds its columns. A run cut short (`take`, an error, a Parquet
//!   run that skipped row groups by statistics) is not kept.
//! - **Alignment**: chunks are cut by bytes and rows, never by the columns read, so chunk `i` holds the same rows
//!   in every run; each run's row count per chunk is checked against the cache's before its columns join it.
//! - **Budget**: one byte budget shared by the session's tables ([`CacheBudget`]); a run whose columns would
//!   pass it is not kept (the query still runs, reading the files as before).
//! - **Staleness**: the files' sizes and modification times are recorded when a run is kept; a scan finding
//!   them changed drops the table's cache and reads the files again.

use super::Part;
use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::record_batch::RecordBatch;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// Bytes the cached columns of a session's tables may hold, and how many they hold.
#[derive(Debug)]
pub struct CacheBudget {
    limit: usize,
    used: AtomicUsize,
}

impl CacheBudget {
    pub fn new(limit: usize) -> Arc<CacheBudget> {
        Arc::new(CacheBudget { limit, used: AtomicUsize::new(0) })
    }

    /// Bytes held now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    fn reserve(&self, bytes: usize) -> bool {
        self.used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| u.checked_add(bytes).filter(|n| *n <= self.limit))
            .is_ok()
    }

    fn release(&self, bytes: usize) {
        let _ = self.used.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| Some(u.saturating_sub(bytes)));
    }
}

/// One table's cached columns.
#[derive(Debug)]
pub struct ColumnCache {
    budget: Arc<CacheBudget>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// rows of each chunk, in feeder order (set by the first kept run)
    rows: Option<Vec<usize>>,
    /// table column index → one array per chunk
    columns: HashMap<usize, Vec<ArrayRef>>,
    /// what the files were when the columns were read
    files: Vec<(std::path::PathBuf, u64, Option<SystemTime>)>,
    bytes: usize,
}

fn stamp(parts: &[Part]) -> Vec<(std::path::PathBuf, u64, Option<SystemTime>)> {
    let mut out: Vec<_> = parts
        .iter()
        .map(|p| {
            let m = std::fs::metadata(&p.path).ok();
            (p.path.clone(), m.as_ref().map_or(0, |m| m.len()), m.and_then(|m| m.modified().ok()))
        })
        .collect();
    out.dedup();
    out
}

impl ColumnCache {
    pub fn new(budget: Arc<CacheBudget>) -> ColumnCache {
        ColumnCache { budget, state: Mutex::new(State::default()) }
    }

    /// Bytes this table's cached columns hold.
    pub fn bytes(&self) -> usize {
        self.state.lock().map_or(0, |s| s.bytes)
    }

    /// Is there room to keep a run? (A scan that may be kept reads every Parquet row group.)
    pub fn has_room(&self) -> bool {
        self.budget.used() < self.budget.limit()
    }

    /// The batches of `projection` (table column indexes) with `schema`, one per chunk, when every one of those
    /// columns is cached and the files are unchanged; `None` otherwise.
    pub fn batches(
        &self,
        projection: &[usize],
        schema: &datafusion::arrow::datatypes::SchemaRef,
        parts: &[Part],
    ) -> Option<Vec<RecordBatch>> {
        let mut s = self.state.lock().ok()?;
        let rows = s.rows.clone()?;
        if s.files != stamp(parts) {
            // the files changed since: forget them
            self.budget.release(s.bytes);
            *s = State::default();
            return None;
        }
        let cols: Vec<&Vec<ArrayRef>> = projection.iter().map(|c| s.columns.get(c)).collect::<Option<_>>()?;
        let mut out = Vec::with_capacity(rows.len());
        for (i, n) in rows.iter().enumerate() {
            let arrays: Vec<ArrayRef> = cols.iter().map(|c| c.get(i).cloned()).collect::<Option<_>>()?;
            let opts = datafusion::arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(*n));
            out.push(RecordBatch::try_new_with_options(schema.clone(), arrays, &opts).ok()?);
        }
        Some(out)
    }

    /// Keeps the columns of a complete run: `batches[i]` is chunk `i`, its columns the table columns
    /// `projection`. Columns already cached are left as they are; nothing is kept past the budget or when the
    /// run's chunks do not line up with the cache's.
    pub fn keep(&self, projection: &[usize], batches: Vec<RecordBatch>, parts: &[Part]) {
        let Ok(mut s) = self.state.lock() else { return };
        let rows: Vec<usize> = batches.iter().map(|b| b.num_rows()).collect();
        match &s.rows {
            Some(r) if *r != rows => return,
            Some(_) => {}
            None => {
                s.rows = Some(rows);
                s.files = stamp(parts);
            }
        }
        for (j, col) in projection.iter().enumerate() {
            if s.columns.contains_key(col) {
                continue;
            }
            let arrays: Option<Vec<ArrayRef>> = batches.iter().map(|b| b.columns().get(j).cloned()).collect();
            let Some(arrays) = arrays else { return };
            // the bytes the arrays hold, not their buffers' capacity: capacity never written costs no memory
            // (Parquet string buffers are allocated to a power of two)
            let bytes: usize = arrays
                .iter()
                .map(|a| a.to_data().get_slice_memory_size().unwrap_or_else(|_| a.get_array_memory_size()))
                .sum();
            if !self.budget.reserve(bytes) {
                return;
            }
            s.bytes += bytes;
            s.columns.insert(*col, arrays);
        }
    }
}

/// The batches of one scan run, gathered by chunk number as partitions decode them, for [`ColumnCache::keep`].
/// A chunk may arrive as several batches (a Parquet row group is read in slices), in order.
#[derive(Debug, Default)]
pub struct Gather {
    slots: Vec<Option<Vec<RecordBatch>>>,
    /// a chunk was skipped or failed: the run cannot be kept
    pub spoiled: bool,
}

impl Gather {
    fn slot(&mut self, seq: usize) -> Option<&mut Vec<RecordBatch>> {
        if self.slots.len() <= seq {
            self.slots.resize(seq + 1, None);
        }
        self.slots.get_mut(seq).map(|s| s.get_or_insert_with(Vec::new))
    }

    /// The next batch of chunk `seq`.
    pub fn put(&mut self, seq: usize, batch: RecordBatch) {
        if let Some(s) = self.slot(seq) {
            s.push(batch);
        }
    }

    /// Chunk `seq` is complete (perhaps with no batch).
    pub fn finish(&mut self, seq: usize) {
        self.slot(seq);
    }

    /// All `issued` chunks, in order, once every one has arrived.
    pub fn complete(&mut self, issued: usize) -> Option<Vec<RecordBatch>> {
        if self.spoiled || self.slots.len() != issued || self.slots.iter().any(|s| s.is_none()) {
            return None;
        }
        Some(std::mem::take(&mut self.slots).into_iter().flatten().flatten().collect())
    }
}
