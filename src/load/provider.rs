//! The DataFusion `TableProvider` behind every loaded table name: the table's schema is known when it is
//! registered (from the file's declared columns, the catalog and a sample of rows), its rows are read only when a
//! plan scans it, once per session (later scans reuse them). A plan holds the provider by table name, so
//! `check` and binding never read a row, and a query reads only the tables it names.

use super::LoadError;
use crate::types::KqlSchema;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::Session as DfSession;
use datafusion::common::Result as DfResult;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
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

/// One named table of a session.
#[derive(Debug)]
pub struct DataTable {
    name: String,
    schema: KqlSchema,
    arrow: SchemaRef,
    content: Content,
    /// the rows, split into partitions, once read
    cache: Mutex<Option<Arc<Vec<Vec<RecordBatch>>>>>,
    /// how many times the files were read (1 at most while the session lives; tests check it)
    loads: AtomicUsize,
}

/// Rows per record batch when a table is read.
const BATCH_ROWS: usize = 8192;

impl DataTable {
    /// A table whose rows are in `files`; nothing is read until a plan scans it.
    pub fn from_files(name: &str, schema: KqlSchema, files: Vec<PathBuf>) -> DataTable {
        DataTable::new(name, schema, Content::Files(files))
    }

    /// A table over rows already in memory.
    pub fn from_batches(name: &str, schema: KqlSchema, batches: Vec<RecordBatch>) -> DataTable {
        DataTable::new(name, schema, Content::Batches(batches))
    }

    fn new(name: &str, schema: KqlSchema, content: Content) -> DataTable {
        let arrow = schema.arrow();
        DataTable {
            name: name.to_string(),
            schema,
            arrow,
            content,
            cache: Mutex::new(None),
            loads: AtomicUsize::new(0),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn kql_schema(&self) -> &KqlSchema {
        &self.schema
    }

    /// The files this table reads (empty for in-memory rows).
    pub fn files(&self) -> &[PathBuf] {
        match &self.content {
            Content::Files(f) => f,
            Content::Batches(_) => &[],
        }
    }

    /// How many times its files have been read so far.
    pub fn load_count(&self) -> usize {
        self.loads.load(Ordering::Relaxed)
    }

    /// The rows in `partitions` partitions, read now if they were not yet.
    pub fn partitions(&self, partitions: usize) -> Result<Arc<Vec<Vec<RecordBatch>>>, LoadError> {
        let mut cache = self.cache.lock().map_err(|_| LoadError::Io {
            path: self.name.clone(),
            message: "an earlier read of this table failed midway".into(),
        })?;
        if let Some(parts) = cache.as_ref() {
            return Ok(parts.clone());
        }
        let batches = match &self.content {
            Content::Batches(b) => b.clone(),
            Content::Files(files) => {
                self.loads.fetch_add(1, Ordering::Relaxed);
                super::read_table(&self.name, &self.schema, files, BATCH_ROWS)?
            }
        };
        let n = partitions.clamp(1, batches.len().max(1));
        let mut parts: Vec<Vec<RecordBatch>> = vec![Vec::new(); n];
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

#[async_trait::async_trait]
impl TableProvider for DataTable {
    fn schema(&self) -> SchemaRef {
        self.arrow.clone()
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
        let target = state.config().target_partitions();
        let parts = self.partitions(target).map_err(|e| DataFusionError::External(Box::new(e)))?;
        let exec = MemorySourceConfig::try_new_exec(&parts, self.arrow.clone(), projection.cloned())?;
        Ok(exec)
    }
}
