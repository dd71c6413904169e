//! The DataFusion `TableProvider` behind every loaded table name. Its schema is known when it is registered
//! (declared columns, the catalog, a sample of rows); its rows are read only when an executing plan pulls them,
//! streamed: one reader per scan cuts the files into chunks of whole rows (in file order, one file after the
//! other), and every partition takes the next chunk and decodes it, so all cores decode while memory holds only
//! the chunks in flight. Only the columns the plan reads are built. Each scan reads the files again (a table is
//! never held in memory; `kqlite import` writes a Parquet cache for repeated queries over large dumps).

use super::decode::{self, Tally, Target};
use super::parquet::Prune;
use super::scan::{Chunk, Scanner};
use super::shape::{self, Shape};
use super::{delimited, LoadError, Part};
use crate::types::KqlSchema;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::Session as DfSession;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::Result as DfResult;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::DataFusionError;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties, SendableRecordBatchStream,
};
use std::collections::VecDeque;
use std::io::Read;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where a table's rows come from.
#[derive(Debug)]
enum Content {
    /// data files, read by each scan
    Files(Vec<Part>),
    /// rows already in memory (a `.set T <| datatable(...)` of the test harness, an API caller's batches)
    Batches(Vec<RecordBatch>),
}

/// What the scans of a table read, for the one stderr line per load.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    pub table: String,
    pub files: usize,
    pub bytes: u64,
    pub elapsed: Duration,
    pub tally: Tally,
    /// how many scans read the files (a table a query names twice, unless materialized, is read twice)
    pub scans: usize,
}

/// What a table and the plans scanning it share.
#[derive(Debug)]
struct Shared {
    name: String,
    schema: KqlSchema,
    arrow: SchemaRef,
    content: Content,
    strict: bool,
    /// how many scans have started reading the files
    loads: AtomicUsize,
    /// the report of each scan run since the last take, by run number
    report: Mutex<Vec<(u64, LoadReport)>>,
    runs: AtomicU64,
    /// bytes of input cut into work so far, shared by the session's tables (the progress line reads it)
    progress: Arc<AtomicU64>,
    /// decoded columns kept between queries (a session with a cache budget)
    cache: Option<super::cache::ColumnCache>,
}

/// One named table of a session.
#[derive(Debug)]
pub struct DataTable {
    shared: Arc<Shared>,
}

impl DataTable {
    /// A table whose rows are in `parts`; nothing is read until a plan scanning it runs.
    pub fn from_parts(name: &str, schema: KqlSchema, parts: Vec<Part>, strict: bool) -> DataTable {
        DataTable::new(name, schema, Content::Files(parts), strict)
    }

    /// Counts the bytes its scans read into `counter` (a session shares one among its tables).
    pub fn with_progress(mut self, counter: Arc<AtomicU64>) -> DataTable {
        if let Some(s) = Arc::get_mut(&mut self.shared) {
            s.progress = counter;
        }
        self
    }

    /// Keeps decoded columns in memory between scans, within the session's `budget` (see `cache.rs`).
    pub fn with_cache(mut self, budget: Arc<super::cache::CacheBudget>) -> DataTable {
        if let Some(s) = Arc::get_mut(&mut self.shared) {
            s.cache = Some(super::cache::ColumnCache::new(budget));
        }
        self
    }

    /// Bytes of this table's columns held in memory by the session's cache.
    pub fn cached_bytes(&self) -> usize {
        self.shared.cache.as_ref().map_or(0, |c| c.bytes())
    }

    /// A table over rows already in memory.
    pub fn from_batches(name: &str, schema: KqlSchema, batches: Vec<RecordBatch>) -> DataTable {
        DataTable::new(name, schema, Content::Batches(batches), false)
    }

    fn new(name: &str, schema: KqlSchema, content: Content, strict: bool) -> DataTable {
        let arrow = schema.arrow();
        let shared = Shared {
            name: name.to_string(),
            schema,
            arrow,
            content,
            strict,
            loads: AtomicUsize::new(0),
            report: Mutex::new(Vec::new()),
            runs: AtomicU64::new(0),
            progress: Arc::new(AtomicU64::new(0)),
            cache: None,
        };
        DataTable { shared: Arc::new(shared) }
    }

    pub fn name(&self) -> &str {
        &self.shared.name
    }

    pub fn kql_schema(&self) -> &KqlSchema {
        &self.shared.schema
    }

    /// The file parts this table reads (empty for in-memory rows).
    pub fn parts(&self) -> &[Part] {
        match &self.shared.content {
            Content::Files(f) => f,
            Content::Batches(_) => &[],
        }
    }

    /// How many scans have read its files so far.
    pub fn load_count(&self) -> usize {
        self.shared.loads.load(Ordering::Relaxed)
    }

    /// The physical scan of this table's files reading the columns `projection` (all when `None`) in
    /// `partitions` partitions: what a receiving side rebuilds from [`scan_of`]'s description of a shipped scan.
    pub fn scan_exec(&self, projection: Option<Vec<usize>>, partitions: usize) -> DfResult<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(ScanExec::new(self.shared.clone(), projection, partitions.max(1))?))
    }

    /// What the scans since the last call read (rows, bytes, time, coerced values), if any scan ran.
    pub fn take_report(&self) -> Option<LoadReport> {
        let runs = std::mem::take(&mut *self.shared.report.lock().ok()?);
        let mut it = runs.into_iter().map(|(_, r)| r);
        let mut total = it.next()?;
        for r in it {
            total.files += r.files;
            total.bytes += r.bytes;
            total.elapsed = total.elapsed.max(r.elapsed);
            total.tally.add(&r.tally);
            total.scans += r.scans;
        }
        Some(total)
    }
}

fn external(e: LoadError) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

#[async_trait::async_trait]
impl TableProvider for DataTable {
    fn schema(&self) -> SchemaRef {
        self.shared.arrow.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    /// `column op constant` filters reach the scan, which skips Parquet row groups whose statistics rule them
    /// out; DataFusion still applies every filter to the rows (Inexact).
    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> DfResult<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|f| match Prune::of(f) {
                Some(_) => TableProviderFilterPushDown::Inexact,
                None => TableProviderFilterPushDown::Unsupported,
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn DfSession,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        _limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let partitions = state.config().target_partitions().max(1);
        if let Content::Batches(b) = &self.shared.content {
            let mut parts: Vec<Vec<RecordBatch>> = vec![Vec::new(); partitions];
            for (i, batch) in b.iter().enumerate() {
                if let Some(p) = parts.get_mut(i % partitions) {
                    p.push(batch.clone());
                }
            }
            return Ok(MemorySourceConfig::try_new_exec(&parts, self.shared.arrow.clone(), projection.cloned())?);
        }
        let mut scan = ScanExec::new(self.shared.clone(), projection.cloned(), partitions)?;
        if let (Some(cache), Content::Files(parts)) = (&self.shared.cache, &self.shared.content) {
            if let Some(batches) = cache.batches(&scan.projection, &scan.schema, parts) {
                let mut split: Vec<Vec<RecordBatch>> = vec![Vec::new(); partitions];
                for (i, b) in batches.into_iter().filter(|b| b.num_rows() > 0).enumerate() {
                    if let Some(p) = split.get_mut(i % partitions) {
                        p.push(b);
                    }
                }
                return Ok(MemorySourceConfig::try_new_exec(&split, scan.schema.clone(), None)?);
            }
            if cache.has_room() {
                // a run that may be kept reads every row: no row group is skipped by statistics
                return Ok(Arc::new(scan));
            }
        }
        scan.prunes = Arc::new(filters.iter().filter_map(Prune::of).collect());
        Ok(Arc::new(scan))
    }
}

/// One unit of decoding work: whole rows of one file part.
enum Work {
    Json(Arc<Target>, Shape, Arc<str>, Chunk),
    Csv(Arc<Target>, Arc<str>, Vec<csv::ByteRecord>, usize),
    Parquet(Arc<Target>, std::path::PathBuf, usize),
}

enum Reader {
    Json(Scanner<Box<dyn Read + Send>>),
    Csv(delimited::CsvReader, usize),
    /// the row groups still to hand out
    Parquet(std::path::PathBuf, VecDeque<usize>),
}

/// The sequential half of a scan: opens the parts in order and cuts them into [`Work`].
struct Feeder {
    table: Arc<Shared>,
    projection: Vec<usize>,
    prunes: Arc<Vec<Prune>>,
    parts: VecDeque<Part>,
    current: Option<(Arc<Target>, Shape, Arc<str>, Reader)>,
    report: LoadReport,
    run: u64,
    started: Instant,
    /// partitions that have asked for work in this run; a partition asking again starts a new run
    done: bool,
    /// work handed out and work decoded in this run
    issued: usize,
    decoded: usize,
    /// the run's batches by chunk number, when the table keeps a cache and the run reads every row
    gather: Option<super::cache::Gather>,
}

impl Feeder {
    fn new(table: Arc<Shared>, projection: Vec<usize>, prunes: Arc<Vec<Prune>>) -> Feeder {
        let parts = match &table.content {
            Content::Files(p) => p.iter().cloned().collect(),
            Content::Batches(_) => VecDeque::new(),
        };
        table.loads.fetch_add(1, Ordering::Relaxed);
        let report = LoadReport { table: table.name.clone(), scans: 1, ..LoadReport::default() };
        let run = table.runs.fetch_add(1, Ordering::Relaxed);
        let gather = (table.cache.is_some() && prunes.is_empty()).then(super::cache::Gather::default);
        Feeder {
            table,
            projection,
            prunes,
            parts,
            current: None,
            report,
            run,
            started: Instant::now(),
            done: false,
            issued: 0,
            decoded: 0,
            gather,
        }
    }

    fn target(&self, part: &Part) -> Target {
        let schema = &self.table.schema;
        let columns: Vec<(String, crate::types::KqlType)> =
            self.projection.iter().filter_map(|i| schema.columns.get(*i).map(|c| (c.name.clone(), c.ty))).collect();
        let mut keys: decode::Keys = schema.columns.iter().map(|c| (c.name.clone(), None)).collect();
        for (i, (n, _)) in columns.iter().enumerate() {
            keys.insert(n.clone(), Some(i));
        }
        let positional = part.positional.as_ref().map(|names| positions(names, &columns));
        let arrow =
            Arc::new(self.table.arrow.project(&self.projection).unwrap_or_else(|_| (*self.table.arrow).clone()));
        Target {
            columns,
            keys,
            positional,
            group: part.group,
            category: part.category.clone(),
            strict: self.table.strict,
            arrow,
        }
    }

    /// The next unit of work and its number in the run.
    fn next(&mut self) -> Result<Option<(usize, Work)>, LoadError> {
        let w = self.next_work()?;
        Ok(w.map(|w| {
            self.issued += 1;
            (self.issued - 1, w)
        }))
    }

    /// A batch of unit of work `seq`: kept for the cache while the run can be.
    fn part(&mut self, seq: usize, batch: &RecordBatch) {
        if let Some(g) = &mut self.gather {
            g.put(seq, batch.clone());
        }
    }

    /// Unit of work `seq` is decoded (`ok`) or failed; the run's columns go to the cache once the last one is in.
    fn decoded(&mut self, seq: usize, ok: bool) {
        self.decoded += 1;
        let Some(g) = &mut self.gather else { return };
        if ok {
            g.finish(seq);
        } else {
            g.spoiled = true;
        }
        if self.done && self.decoded == self.issued {
            self.keep();
        }
    }

    /// At the end of a complete run, its columns join the table's cache.
    fn keep(&mut self) {
        let (Some(g), Some(cache), Content::Files(parts)) =
            (self.gather.as_mut(), self.table.cache.as_ref(), &self.table.content)
        else {
            return;
        };
        if let Some(batches) = g.complete(self.issued) {
            cache.keep(&self.projection, batches, parts);
        }
        self.gather = None;
    }

    fn next_work(&mut self) -> Result<Option<Work>, LoadError> {
        loop {
            if self.done {
                return Ok(None);
            }
            if let Some((target, shape, path, reader)) = &mut self.current {
                match reader {
                    Reader::Json(sc) => {
                        let chunk = sc.next_chunk().map_err(|e| LoadError::Json {
                            path: path.to_string(),
                            line: e.line,
                            col: e.col,
                            message: e.message,
                        })?;
                        if let Some(c) = chunk {
                            self.table.progress.fetch_add(c.data.len() as u64, Ordering::Relaxed);
                            return Ok(Some(Work::Json(target.clone(), *shape, path.clone(), c)));
                        }
                    }
                    Reader::Csv(r, width) => {
                        let recs = delimited::read_records(r, 8192, path)?;
                        if !recs.is_empty() {
                            let bytes: usize = recs.iter().map(|r| r.as_slice().len() + r.len()).sum();
                            self.table.progress.fetch_add(bytes as u64, Ordering::Relaxed);
                            return Ok(Some(Work::Csv(target.clone(), path.clone(), recs, *width)));
                        }
                    }
                    Reader::Parquet(p, groups) => {
                        if let Some(g) = groups.pop_front() {
                            return Ok(Some(Work::Parquet(target.clone(), p.clone(), g)));
                        }
                    }
                }
                self.current = None;
            }
            let Some(part) = self.parts.pop_front() else {
                self.done = true;
                self.report.elapsed = self.started.elapsed();
                if self.decoded == self.issued {
                    self.keep();
                }
                return Ok(None);
            };
            let path: Arc<str> = Arc::from(part.path.display().to_string());
            self.report.files += 1;
            self.report.bytes += std::fs::metadata(&part.path).map(|m| m.len()).unwrap_or(0);
            let target = Arc::new(self.target(&part));
            if part.shape == Shape::Parquet {
                let groups = super::parquet::row_groups(&part.path, &self.prunes)?;
                self.current = Some((target, part.shape, path, Reader::Parquet(part.path.clone(), groups.into())));
                continue;
            }
            let (rd, _) = shape::open(&part.path)?;
            let reader = match part.shape {
                Shape::Delimited(sep) => {
                    // the header's positions are the part's, found when the table was discovered
                    let (r, header) = delimited::reader(rd, sep, &path)?;
                    self.current = Some((target, part.shape, path, Reader::Csv(r, header.len())));
                    continue;
                }
                s => Reader::Json(Scanner::new(rd, s)),
            };
            self.current = Some((target, part.shape, path, reader));
        }
    }
}

/// Cell position → projected column, for rows that are arrays of cells (a CSV header, a Log Analytics table's
/// columns). A name repeated in the header counts at its first position only.
fn positions(names: &[String], columns: &[(String, crate::types::KqlType)]) -> Vec<Option<usize>> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let first = names.iter().position(|m| m == n) == Some(i);
            first.then(|| columns.iter().position(|(c, _)| c == n)).flatten()
        })
        .collect()
}

/// A scan partition's state: the run's feeder, the table, and the unit of work it is decoding with its number.
type PartitionState = (Arc<Mutex<Feeder>>, Arc<Shared>, Option<(usize, Decoding)>);

/// A unit of work being decoded: a JSON or CSV chunk gives one batch, a Parquet row group one per slice.
enum Decoding {
    One(Option<(RecordBatch, Tally)>),
    Group(super::parquet::GroupReader),
}

impl Decoding {
    fn next(&mut self) -> Option<Result<(RecordBatch, Tally), LoadError>> {
        match self {
            Decoding::One(b) => b.take().map(Ok),
            Decoding::Group(g) => g.next_batch(),
        }
    }
}

fn start_work(w: Work) -> Result<Decoding, LoadError> {
    match w {
        Work::Json(t, shape, path, chunk) => {
            let out = decode::decode(&chunk, shape, &t, &path);
            super::scan::recycle(chunk.data);
            out.map(|b| Decoding::One(Some(b)))
        }
        Work::Csv(t, path, recs, width) => delimited::decode(&recs, width, &t, &path).map(|b| Decoding::One(Some(b))),
        Work::Parquet(t, path, group) => {
            super::alloc::parquet_decoding();
            super::parquet::open_group(&path, group, t).map(Decoding::Group)
        }
    }
}

/// A kqlite scan node's table name, projected columns and partition count: all a physical-plan codec needs
/// to ship it (the receiving side has the same files registered under the same name).
pub fn scan_of(plan: &dyn ExecutionPlan) -> Option<(&str, &[usize], usize)> {
    let s = plan.downcast_ref::<ScanExec>()?;
    Some((&s.table.name, &s.projection, s.properties.partitioning.partition_count()))
}

/// The physical scan of a file-backed table: partitions share one [`Feeder`] per run.
#[derive(Debug)]
struct ScanExec {
    table: Arc<Shared>,
    projection: Vec<usize>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
    run: Arc<Mutex<Run>>,
    /// comparisons Parquet row-group statistics may use to skip groups
    prunes: Arc<Vec<Prune>>,
}

#[derive(Default)]
struct Run {
    feeder: Option<Arc<Mutex<Feeder>>>,
    started: Vec<bool>,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "Run(started: {:?})", self.started)
    }
}

impl ScanExec {
    fn new(table: Arc<Shared>, projection: Option<Vec<usize>>, partitions: usize) -> DfResult<ScanExec> {
        let projection = projection.unwrap_or_else(|| (0..table.arrow.fields().len()).collect());
        let schema = Arc::new(table.arrow.project(&projection)?);
        let properties = PlanProperties::new(
            EquivalenceProperties::new(schema.clone()),
            Partitioning::UnknownPartitioning(partitions),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        let run = Run { feeder: None, started: vec![false; partitions] };
        Ok(ScanExec {
            table,
            projection,
            schema,
            properties: Arc::new(properties),
            run: Arc::new(Mutex::new(run)),
            prunes: Arc::new(Vec::new()),
        })
    }

    /// The feeder of the current run; a partition executed a second time starts a new run.
    fn feeder(&self, partition: usize) -> Arc<Mutex<Feeder>> {
        let mut run = match self.run.lock() {
            Ok(r) => r,
            Err(p) => p.into_inner(),
        };
        if run.started.get(partition).copied().unwrap_or(false) {
            run.started.iter_mut().for_each(|s| *s = false);
            run.feeder = None;
        }
        if let Some(s) = run.started.get_mut(partition) {
            *s = true;
        }
        let new =
            || Arc::new(Mutex::new(Feeder::new(self.table.clone(), self.projection.clone(), self.prunes.clone())));
        run.feeder.get_or_insert_with(new).clone()
    }
}

impl DisplayAs for ScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let cols: Vec<&str> = self.schema.fields().iter().map(|f| f.name().as_str()).collect();
        let files = match &self.table.content {
            Content::Files(f) => f.len(),
            Content::Batches(_) => 0,
        };
        write!(f, "KqliteScan: table={}, files={files}, columns=[{}]", self.table.name, cols.join(", "))?;
        if !self.prunes.is_empty() {
            let p: Vec<String> = self.prunes.iter().map(|p| p.to_string()).collect();
            write!(f, ", row_group_pruning=[{}]", p.join(", "))?;
        }
        Ok(())
    }
}

/// Adds a finished decode to the feeder's report; at the end of the run, hands the report to the table.
fn account(feeder: &Mutex<Feeder>, table: &Shared, tally: Option<&Tally>) {
    let Ok(mut f) = feeder.lock() else { return };
    if let Some(t) = tally {
        f.report.tally.add(t);
    }
    // the run's report so far (a scan cut short by `take` still says what it read)
    if let Ok(mut r) = table.report.lock() {
        let mut rep = f.report.clone();
        rep.elapsed = f.started.elapsed();
        match r.iter_mut().find(|(run, _)| *run == f.run) {
            Some(slot) => slot.1 = rep,
            None => r.push((f.run, rep)),
        }
    }
}

impl ExecutionPlan for ScanExec {
    fn name(&self) -> &str {
        "KqliteScan"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> DfResult<TreeNodeRecursion>,
    ) -> DfResult<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(self: Arc<Self>, _children: Vec<Arc<dyn ExecutionPlan>>) -> DfResult<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    /// A table of Parquet files only knows its exact row count from their footers (so `T | count` reads no
    /// row); with row-group pruning that count is an upper bound.
    fn statistics_from_inputs(
        &self,
        _input_stats: &[Arc<datafusion::common::Statistics>],
        args: &datafusion::physical_plan::statistics::StatisticsArgs,
    ) -> DfResult<Arc<datafusion::common::Statistics>> {
        use datafusion::common::stats::Precision;
        let unknown = datafusion::common::Statistics::new_unknown(&self.schema);
        let parts = match &self.table.content {
            Content::Files(p)
                if args.partition().is_none() && !p.is_empty() && p.iter().all(|x| x.shape == Shape::Parquet) =>
            {
                p
            }
            _ => return Ok(Arc::new(unknown)),
        };
        let mut rows = 0u64;
        for p in parts {
            match super::parquet::num_rows(&p.path) {
                Ok(n) => rows += n,
                Err(_) => return Ok(Arc::new(unknown)),
            }
        }
        let n = rows as usize;
        let precision = if self.prunes.is_empty() { Precision::Exact(n) } else { Precision::Inexact(n) };
        Ok(Arc::new(unknown.with_num_rows(precision)))
    }

    fn execute(&self, partition: usize, _context: Arc<TaskContext>) -> DfResult<SendableRecordBatchStream> {
        let feeder = self.feeder(partition);
        let table = self.table.clone();
        let start: PartitionState = (feeder, table, None);
        let stream = futures::stream::unfold(Some(start), |state| async move {
            let (feeder, table, mut current) = state?;
            let fail = |seq: Option<usize>| {
                if let Ok(mut f) = feeder.lock() {
                    f.done = true;
                    if let Some(seq) = seq {
                        f.decoded(seq, false);
                    }
                }
            };
            loop {
                if let Some((seq, d)) = &mut current {
                    let seq = *seq;
                    match d.next() {
                        Some(Ok((batch, tally))) => {
                            if let Ok(mut f) = feeder.lock() {
                                f.part(seq, &batch);
                            }
                            account(&feeder, &table, Some(&tally));
                            if batch.num_rows() == 0 {
                                continue;
                            }
                            return Some((Ok(batch), Some((feeder, table, current))));
                        }
                        Some(Err(e)) => {
                            fail(Some(seq));
                            return Some((Err(external(e)), None));
                        }
                        None => {
                            // done: the next unit of work below takes its place
                            if let Ok(mut f) = feeder.lock() {
                                f.decoded(seq, true);
                            }
                        }
                    }
                }
                let work = match feeder.lock() {
                    Ok(mut f) => f.next(),
                    Err(_) => Ok(None),
                };
                match work {
                    Ok(Some((seq, w))) => match start_work(w) {
                        Ok(d) => current = Some((seq, d)),
                        Err(e) => {
                            fail(Some(seq));
                            return Some((Err(external(e)), None));
                        }
                    },
                    Ok(None) => {
                        account(&feeder, &table, None);
                        return None;
                    }
                    Err(e) => {
                        fail(None);
                        return Some((Err(external(e)), None));
                    }
                }
            }
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), stream)))
    }
}
