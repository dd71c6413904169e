//! Catalog: the built-in table schemas of the two environments (Defender XDR advanced hunting, a Sentinel
//! workspace), compiled into the binary, plus the tables loaded from dumps. `--env auto` binds against
//! Defender (with the workspace tables Defender lacks) and falls back to Sentinel.

mod functions;
pub use functions::{builtin_function, builtin_function_names};

use crate::types::{KqlColumn, KqlSchema, KqlType};
use datafusion::datasource::TableProvider;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::OnceLock;

static DEFENDER_JSON: &str = include_str!("envs/defender-xdr.json");
static SENTINEL_JSON: &str = include_str!("envs/sentinel.json");

/// Which portal's schemas names resolve against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Env {
    Defender,
    Sentinel,
    /// Defender first (with the workspace tables Defender lacks), then Sentinel
    #[default]
    Auto,
}

impl Env {
    pub fn parse(s: &str) -> Option<Env> {
        match s.to_ascii_lowercase().as_str() {
            "defender" | "defender-xdr" | "xdr" => Some(Env::Defender),
            "sentinel" => Some(Env::Sentinel),
            "auto" => Some(Env::Auto),
            _ => None,
        }
    }
}

/// One built-in table: columns and known ActionType values.
#[derive(Debug, Clone)]
pub struct BuiltinTable {
    pub schema: KqlSchema,
    pub action_types: Vec<String>,
}

/// An environment file as it is stored: typed and borrowed where it can be (a `Value` tree of the 1.4 MB
/// Sentinel file cost `check` 30 ms of start-up).
#[derive(serde::Deserialize)]
struct EnvFile<'a> {
    #[serde(borrow)]
    tables: BTreeMap<std::borrow::Cow<'a, str>, EnvTable<'a>>,
}

#[derive(serde::Deserialize)]
struct EnvTable<'a> {
    #[serde(borrow, default)]
    columns: Vec<(std::borrow::Cow<'a, str>, std::borrow::Cow<'a, str>)>,
    #[serde(borrow, default)]
    action_types: Vec<std::borrow::Cow<'a, str>>,
}

fn parse_env(text: &str) -> BTreeMap<String, BuiltinTable> {
    let Ok(env) = serde_json::from_str::<EnvFile>(text) else { return BTreeMap::new() };
    env.tables
        .into_iter()
        .map(|(name, t)| {
            let columns = t
                .columns
                .into_iter()
                .filter_map(|(n, ty)| Some(KqlColumn { name: n.into_owned(), ty: KqlType::parse(&ty)? }))
                .collect();
            let action_types = t.action_types.into_iter().map(|a| a.into_owned()).collect();
            (name.into_owned(), BuiltinTable { schema: KqlSchema::new(columns), action_types })
        })
        .collect()
}

/// The Defender XDR advanced hunting tables.
pub fn defender() -> &'static BTreeMap<String, BuiltinTable> {
    static D: OnceLock<BTreeMap<String, BuiltinTable>> = OnceLock::new();
    D.get_or_init(|| parse_env(DEFENDER_JSON))
}

/// The Sentinel workspace tables.
pub fn sentinel() -> &'static BTreeMap<String, BuiltinTable> {
    static S: OnceLock<BTreeMap<String, BuiltinTable>> = OnceLock::new();
    S.get_or_init(|| parse_env(SENTINEL_JSON))
}

/// A table with data: its schema, and the provider that reads its rows when a plan scans it.
#[derive(Debug, Clone)]
pub struct LoadedTable {
    pub schema: KqlSchema,
    pub provider: Arc<dyn TableProvider>,
    /// the file(s) it came from, for messages
    pub origin: String,
}

/// Everything a query can name: built-in schemas, extra schemas (`--schema`), and loaded data.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub loaded: HashMap<String, LoadedTable>,
    pub extra: BTreeMap<String, KqlSchema>,
    /// `--schema-only`: the built-in Defender and Sentinel tables are not known, only `extra` and loaded data
    pub schema_only: bool,
    /// the plan of each table with no data, built once (`check` of a pack scans the same wide tables in
    /// query after query)
    pub empty_scans: ScanCache,
    /// stored functions read from schema files and not yet defined in a session
    pub stored_functions: Vec<StoredFunction>,
}

/// A stored function of a schema file, as the `let` statement that defines it.
#[derive(Debug, Clone)]
pub struct StoredFunction {
    pub name: String,
    pub text: String,
    /// each parameter's Kusto type; `None` for a tabular parameter
    pub params: Vec<Option<String>>,
}

/// Plans of empty tables by name, with the schema each was built for (a cached plan is used only while the
/// table's schema is the same). Cloning a catalog starts an empty cache.
#[derive(Debug, Default)]
pub struct ScanCache(std::sync::Mutex<HashMap<String, (KqlSchema, datafusion::logical_expr::LogicalPlan)>>);

impl Clone for ScanCache {
    fn clone(&self) -> Self {
        ScanCache::default()
    }
}

impl ScanCache {
    /// The plan cached for `name` with this schema, or the one `build` makes (then cached).
    pub fn get_or_build<E>(
        &self,
        name: &str,
        schema: &KqlSchema,
        build: impl FnOnce() -> Result<datafusion::logical_expr::LogicalPlan, E>,
    ) -> Result<datafusion::logical_expr::LogicalPlan, E> {
        if let Ok(map) = self.0.lock() {
            if let Some((s, plan)) = map.get(name) {
                if s == schema {
                    return Ok(plan.clone());
                }
            }
        }
        let plan = build()?;
        if let Ok(mut map) = self.0.lock() {
            map.insert(name.to_string(), (schema.clone(), plan.clone()));
        }
        Ok(plan)
    }
}

/// How a table name resolved in one environment.
#[derive(Debug, Clone)]
pub enum TableRef<'a> {
    /// data was loaded; `builtin` is the catalog schema it should be presented with, if any
    Loaded { data: &'a LoadedTable, builtin: Option<&'a KqlSchema> },
    /// a catalog table with no data loaded: an empty table with the full schema
    Empty { schema: &'a KqlSchema },
}

impl Catalog {
    pub fn new() -> Self {
        Catalog::default()
    }

    /// The built-in schema of `name` in a resolved environment (`Defender` includes the workspace tables
    /// Defender lacks, as the Defender portal with Sentinel connected shows them).
    pub fn builtin(&self, env: Env, name: &str) -> Option<&KqlSchema> {
        if let Some(s) = self.extra.get(name) {
            return Some(s);
        }
        if self.schema_only {
            return None;
        }
        match env {
            Env::Sentinel => sentinel().get(name).map(|t| &t.schema),
            _ => defender().get(name).or_else(|| sentinel().get(name)).map(|t| &t.schema),
        }
    }

    pub fn table(&self, env: Env, name: &str) -> Option<TableRef<'_>> {
        let builtin = self.builtin(env, name);
        if let Some(data) = self.loaded.get(name) {
            return Some(TableRef::Loaded { data, builtin });
        }
        builtin.map(|schema| TableRef::Empty { schema })
    }

    /// Every table name a query could use in this environment (for did-you-mean and completion).
    pub fn table_names(&self, env: Env) -> Vec<String> {
        let mut names: Vec<String> = self.loaded.keys().cloned().collect();
        names.extend(self.extra.keys().cloned());
        match env {
            _ if self.schema_only => {}
            Env::Sentinel => names.extend(sentinel().keys().cloned()),
            _ => {
                names.extend(defender().keys().cloned());
                names.extend(sentinel().keys().cloned());
            }
        }
        names.sort();
        names.dedup();
        names
    }

    /// Adds the tables of a schema file (the format of the built-in catalogs) to the catalog.
    pub fn load_schema_file(&mut self, path: &std::path::Path) -> Result<usize, crate::diagnostics::LoadError> {
        use crate::diagnostics::LoadError;
        if path.is_dir() {
            // a folder of schema files (the Azure-Sentinel repository keeps one custom table per file)
            let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(path)
                .map_err(|e| LoadError::Io { path: path.display().to_string(), message: e.to_string() })?
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("json")))
                .collect();
            files.sort();
            let mut n = 0;
            for f in files {
                n += self.load_schema_file(&f)?;
            }
            return Ok(n);
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| LoadError::Io { path: path.display().to_string(), message: e.to_string() })?;
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| LoadError::Json {
            path: path.display().to_string(),
            line: e.line(),
            col: e.column(),
            message: e.to_string(),
        })?;
        let format_error =
            |message: String| LoadError::Format { path: path.display().to_string(), line: 1, col: 1, message };
        let mut found: Vec<(String, Vec<(String, String)>)> = Vec::new();
        let mut functions = Self::stored_functions(&v);
        // Kusto's `.show database schema as json`: {"Databases": {"db": {"Tables": {...}, "Functions": {...}}}}
        if let Some(dbs) = v.get("Databases").and_then(|d| d.as_object()) {
            for db in dbs.values() {
                for (name, t) in db.get("Tables").and_then(|t| t.as_object()).into_iter().flatten() {
                    let cols = t.get("OrderedColumns").and_then(|c| c.as_array()).cloned().unwrap_or_default();
                    let cols = cols.iter().filter_map(|c| {
                        Some((c.get("Name")?.as_str()?.to_string(), c.get("CslType")?.as_str()?.to_string()))
                    });
                    found.push((name.clone(), cols.collect()));
                }
                functions.extend(Self::stored_functions(db));
            }
        } else if let Some(tables) = v.get("tables").and_then(|t| t.as_object()) {
            for (name, t) in tables {
                let cols = t.get("columns").and_then(|c| c.as_array()).cloned().unwrap_or_default();
                let cols = cols
                    .iter()
                    .filter_map(|c| Some((c.get(0)?.as_str()?.to_string(), c.get(1)?.as_str()?.to_string())));
                found.push((name.clone(), cols.collect()));
            }
        } else if !functions.is_empty() {
            // functions only
        } else {
            // Sentinel custom tables: {"Name": T, "Properties": [{"Name": C, "Type": "String"}]}, or a list of them
            let items = match &v {
                serde_json::Value::Array(a) => a.clone(),
                o => vec![o.clone()],
            };
            for t in &items {
                let (Some(name), Some(props)) =
                    (t.get("Name").and_then(|n| n.as_str()), t.get("Properties").and_then(|p| p.as_array()))
                else {
                    return Err(format_error(
                        "expected {\"tables\": {\"Name\": {\"columns\": [[\"Col\", \"type\"], ...]}}} or a Sentinel custom \
                         table {\"Name\": \"T\", \"Properties\": [{\"Name\": \"Col\", \"Type\": \"string\"}]}"
                            .into(),
                    ));
                };
                let cols = props
                    .iter()
                    .filter_map(|p| Some((p.get("Name")?.as_str()?.to_string(), p.get("Type")?.as_str()?.to_string())));
                found.push((name.to_string(), cols.collect()));
            }
        }
        let n = found.len();
        for (name, cols) in found {
            let mut out = Vec::new();
            for (n, ty) in cols {
                let Some(ty) = schema_type(&ty) else {
                    return Err(format_error(format!("table {name}: column {n} has an unknown type '{ty}'")));
                };
                out.push(crate::types::KqlColumn { name: n, ty });
            }
            self.extra.insert(name, crate::types::KqlSchema::new(out));
        }
        let n = n + functions.len();
        self.stored_functions.extend(functions);
        Ok(n)
    }

    /// The stored functions of a schema file's `functions` (kqlite's format: `{"F": {"parameters": [["x", "long"]],
    /// "body": "..."}}`) or `Functions` (Kusto's `.show database schema as json`: `{"F": {"InputParameters":
    /// [{"Name": "x", "CslType": "long"}], "Body": "{ ... }"}}`), each as the `let` statement that defines it.
    fn stored_functions(v: &serde_json::Value) -> Vec<StoredFunction> {
        let mut out = Vec::new();
        for key in ["functions", "Functions"] {
            for (name, f) in v.get(key).and_then(|f| f.as_object()).into_iter().flatten() {
                let mut params: Vec<(String, Option<String>)> = Vec::new();
                for p in f.get("parameters").and_then(|p| p.as_array()).into_iter().flatten() {
                    if let (Some(n), Some(t)) = (p.get(0).and_then(|x| x.as_str()), p.get(1).and_then(|x| x.as_str())) {
                        params.push((n.to_string(), Some(t.to_string())));
                    }
                }
                for p in f.get("InputParameters").and_then(|p| p.as_array()).into_iter().flatten() {
                    let Some(n) = p.get("Name").and_then(|x| x.as_str()) else { continue };
                    // no CslType: a tabular parameter (any columns)
                    params.push((n.to_string(), p.get("CslType").and_then(|x| x.as_str()).map(str::to_string)));
                }
                let body = f.get("body").or_else(|| f.get("Body")).and_then(|b| b.as_str()).unwrap_or_default().trim();
                let body = if body.starts_with('{') { body.to_string() } else { format!("{{ {body} }}") };
                let decl: Vec<String> =
                    params.iter().map(|(n, t)| format!("{n}: {}", t.as_deref().unwrap_or("(*)"))).collect();
                out.push(StoredFunction {
                    name: name.clone(),
                    text: format!("let {name} = ({}) {body};", decl.join(", ")),
                    params: params.into_iter().map(|(_, t)| t).collect(),
                });
            }
        }
        out
    }

    /// The column types the catalogs give a table, for typing a dump: Defender's first, then Sentinel's.
    pub fn known_columns(&self, name: &str) -> Option<KqlSchema> {
        if let Some(s) = self.extra.get(name) {
            return Some(s.clone());
        }
        let mut cols: Vec<KqlColumn> = defender().get(name).map(|t| t.schema.columns.clone()).unwrap_or_default();
        if let Some(s) = sentinel().get(name) {
            for c in &s.schema.columns {
                if !cols.iter().any(|x| x.name == c.name) {
                    cols.push(c.clone());
                }
            }
        }
        if cols.is_empty() {
            None
        } else {
            Some(KqlSchema::new(cols))
        }
    }
}

/// A column type as schema files write it: Kusto names, and the .NET/Log Analytics spellings of Sentinel's
/// custom-table files (`DateTime`, `Boolean`, `Int32`, `Int64`, `Double`).
fn schema_type(ty: &str) -> Option<crate::types::KqlType> {
    let lower = ty.trim().to_ascii_lowercase();
    let kusto = match lower.as_str() {
        "boolean" | "system.boolean" => "bool",
        "int32" | "integer" | "system.int32" => "int",
        "int64" | "system.int64" => "long",
        "double" | "float" | "system.double" => "real",
        "system.string" => "string",
        "system.datetime" => "datetime",
        "system.object" => "dynamic",
        "system.guid" | "uniqueid" => "guid",
        other => other,
    };
    crate::types::KqlType::parse(kusto)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogs_load() {
        assert!(defender().len() >= 60);
        assert!(sentinel().len() >= 900);
        let d = &defender()["DeviceLogonEvents"].schema;
        assert_eq!(d.find("Timestamp").map(|c| c.1.ty), Some(KqlType::Datetime));
        assert!(sentinel()["AuditLogs"].schema.find("TargetResources").is_some());
    }
}
