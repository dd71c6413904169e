//! The DataFusion `TableProvider` behind every loaded table name: the table's schema is known when it is
//! registered (from the file's declared columns, the catalog and a sample of rows); its rows are read only when
//! an executing plan pulls them, once per session (later scans reuse them). Planning, `check` and `explain`
//! never read a row, and a query reads only the tables it names.

use super::LoadError;
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
use datafusion::logical_expr::Expr;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties, SendableRecordBatchStream,
};
use futures::StreamExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Where a table's rows come from.
#[derive(Debug)]
enum Content {
    /// data files, read on the first scan
    Files(Vec<PathBuf>),
    /// rows already in memory (a `.set T <| datatable(...)` of the test harness, an API caller's batches)
    Batches(Vec<RecordBatch>),
}

/// The rows, split into partitions, once read.
type Partitions = Arc<Vec<Vec<RecordBatch>>>;

/// What a table and the plans scanning it share.
#[derive(Debug)]
struct Shared {
    name: String,
    schema: KqlSchema,
    arrow: SchemaRef,
    content: Content,
    cache: Mutex<Option<Partitions>>,
    /// how many times the files were read (1 at most while the session lives; tests check it)
    loads: AtomicUsize,
}

/// One named table of a session.
#[derive(Debug)]
pub struct DataTable {
    shared: Arc<Shared>,
}

/// Rows per record batch when a table is read.
const BATCH_ROWS: usize = 8192;

impl DataTable {
    /// A table whose rows are in `files`; nothing is read until a plan scanning it runs.
    pub fn from_files(name: &str, schema: KqlSchema, files: Vec<PathBuf>) -> DataTable {
        DataTable::new(name, schema, Content::Files(files))
    }

    /// A table over rows already in memory.
    pub fn from_batches(name: &str, schema: KqlSchema, batches: Vec<RecordBatch>) -> DataTable {
        DataTable::new(name, schema, Content::Batches(batches))
    }

    fn new(name: &str, schema: KqlSchema, content: Content) -> DataTable {
        let arrow = schema.arrow();
        let shared = Shared {
            name: name.to_string(),
            schema,
            arrow,
            content,
            cache: Mutex::new(None),
            loads: AtomicUsize::new(0),
        };
        DataTable { shared: Arc::new(shared) }
    }

    pub fn name(&self) -> &str {
        &self.shared.name
    }

    pub fn kql_schema(&self) -> &KqlSchema {
        &self.shared.schema
    }

    /// The files this table reads (empty for in-memory rows).
    pub fn files(&self) -> &[PathBuf] {
        match &self.shared.content {
            Content::Files(f) => f,
            Content::Batches(_) => &[],
        }
    }

    /// How many times its files have been read so far.
    pub fn load_count(&self) -> usize {
        self.shared.loads.load(Ordering::Relaxed)
    }
}

impl Shared {
    /// The rows in `partitions` partitions, read now if they were not yet.
    fn partitions(&self, partitions: usize) -> Result<Partitions, LoadError> {
        let mut cache = self.cache.lock().map_err(|_| LoadError::Io {
            path: self.name.clone(),
            message: "an earlier read of this table failed midway".into(),
        })?;
        if let Some(parts) = cache.as_ref().filter(|p| p.len() == partitions) {
            return Ok(parts.clone());
        }
        let batches: Vec<RecordBatch> = match (&self.content, cache.as_ref()) {
            // read once; a plan wanting another partition count gets the same batches dealt again
            (_, Some(parts)) => parts.iter().flatten().cloned().collect(),
            (Content::Batches(b), None) => b.clone(),
            (Content::Files(files), None) => {
                self.loads.fetch_add(1, Ordering::Relaxed);
                super::read_table(&self.name, &self.schema, files, BATCH_ROWS)?
            }
        };
        let mut parts: Vec<Vec<RecordBatch>> = vec![Vec::new(); partitions.max(1)];
        let n = parts.len();
        for (i, b) in batches.into_iter().enumerate() {
            if let Some(p) = parts.get_mut(i % n) {
                p.push(b);
            }
        }
        let parts = Arc::new(parts);
        *cache = Some(parts.clone());
        Ok(parts)
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

    async fn scan(
        &self,
        state: &dyn DfSession,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let partitions = state.config().target_partitions().max(1);
        // rows already in memory: DataFusion's own memory scan; files: read when the plan executes
        if let Content::Batches(_) = &self.shared.content {
            let parts = self.shared.partitions(partitions).map_err(external)?;
            return Ok(MemorySourceConfig::try_new_exec(&parts, self.shared.arrow.clone(), projection.cloned())?);
        }
        Ok(Arc::new(ScanExec::new(self.shared.clone(), projection.cloned(), partitions)?))
    }
}

/// The physical scan of a file-backed table: the first partition to execute reads the files (once per
/// session); every partition then streams its share of the batches, projected to the columns the plan reads.
#[derive(Debug)]
struct ScanExec {
    table: Arc<Shared>,
    projection: Option<Vec<usize>>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
}

impl ScanExec {
    fn new(table: Arc<Shared>, projection: Option<Vec<usize>>, partitions: usize) -> DfResult<ScanExec> {
        let schema = match &projection {
            Some(p) => Arc::new(table.arrow.project(p)?),
            None => table.arrow.clone(),
        };
        let properties = PlanProperties::new(
            EquivalenceProperties::new(schema.clone()),
            Partitioning::UnknownPartitioning(partitions),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        Ok(ScanExec { table, projection, schema, properties: Arc::new(properties) })
    }

    fn partition_count(&self) -> usize {
        self.properties.partitioning.partition_count()
    }
}

impl DisplayAs for ScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let cols: Vec<&str> = self.schema.fields().iter().map(|f| f.name().as_str()).collect();
        let files = match &self.table.content {
            Content::Files(f) => f.len(),
            Content::Batches(_) => 0,
        };
        write!(f, "KqliteScan: table={}, files={files}, columns=[{}]", self.table.name, cols.join(", "))
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

    fn execute(&self, partition: usize, _context: Arc<TaskContext>) -> DfResult<SendableRecordBatchStream> {
        let table = self.table.clone();
        let projection = self.projection.clone();
        let count = self.partition_count();
        let rows = futures::stream::once(async move {
            let parts = table.partitions(count).map_err(external)?;
            let batches = parts.get(partition).cloned().unwrap_or_default();
            let projected: Vec<DfResult<RecordBatch>> = batches
                .into_iter()
                .map(|b| match &projection {
                    Some(p) => b.project(p).map_err(DataFusionError::from),
                    None => Ok(b),
                })
                .collect();
            Ok::<_, DataFusionError>(futures::stream::iter(projected))
        })
        .map(|r| match r {
            Ok(s) => s.boxed(),
            Err(e) => futures::stream::iter(vec![Err(e)]).boxed(),
        })
        .flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), rows)))
    }
}
