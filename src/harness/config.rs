//! A pack's configuration (`kqlite.toml`) and finding baselines (`--baseline`, `--write-baseline`).
//!
//! ```toml
//! [check]
//! env = "auto"                       # defender | sentinel | auto, as --env
//! include = ["hunting/**"]           # globs, as --include / --exclude (added to the command line's)
//! exclude = ["drafts/**"]
//! schema = ["schemas/custom.json"]   # extra table schemas, as --schema
//!
//! [lints]
//! disable = ["contains_could_be_has"]  # lints silenced for the whole pack
//!
//! [lints.level]                      # per-lint level: "error", "warning" (default), "note", "off"
//! join_without_kind = "error"
//!
//! [detections]
//! defender = ["hunting/detections/**"]  # queries held to Defender custom-detection output rules
//! ```
//!
//! Paths and globs are relative to the file's folder. The file is `--config FILE`, else the first
//! `kqlite.toml` found in the first checked path's folder or above it.
#![warn(clippy::indexing_slicing)]

use super::findings::{Finding, Level};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub check: CheckSection,
    #[serde(default)]
    pub lints: LintSection,
    #[serde(default)]
    pub detections: DetectionSection,
    /// the folder the file is in (paths are relative to it)
    #[serde(skip)]
    pub dir: PathBuf,
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSection {
    pub env: Option<String>,
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub schema: Vec<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LintSection {
    #[serde(default)]
    pub disable: Vec<String>,
    #[serde(default)]
    pub level: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectionSection {
    #[serde(default)]
    pub defender: Vec<String>,
}

impl Config {
    /// Reads a config file; the error names the file, line and column.
    pub fn load(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut c: Config = toml::from_str(&text).map_err(|e| {
            let (line, col) = e.span().map(|s| crate::source::line_col(&text, s.start)).unwrap_or((1, 1));
            format!("{}:{line}:{col}: {}", path.display(), e.message())
        })?;
        for (name, level) in &c.lints.level {
            if super::lints::rule(short(name)).is_none() {
                return Err(format!(
                    "{}: [lints.level] {name}: no such lint (see `kqlite check --help`)",
                    path.display()
                ));
            }
            if Level::parse(level).is_none() {
                return Err(format!(
                    "{}: [lints.level] {name} = \"{level}\": not one of error, warning, note, off",
                    path.display()
                ));
            }
        }
        c.dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        c.path = Some(path.to_path_buf());
        Ok(c)
    }

    /// The `kqlite.toml` in `start`'s folder or above it.
    pub fn find(start: &Path) -> Option<PathBuf> {
        let abs = std::fs::canonicalize(start).ok()?;
        let mut dir = if abs.is_dir() { Some(abs.as_path()) } else { abs.parent() };
        while let Some(d) = dir {
            let candidate = d.join("kqlite.toml");
            if candidate.is_file() {
                return Some(candidate);
            }
            dir = d.parent();
        }
        None
    }

    /// The level a lint reports at (None: off).
    pub fn lint_level(&self, name: &str) -> Option<Level> {
        if self.lints.disable.iter().any(|d| short(d) == name) {
            return None;
        }
        match self.lints.level.iter().find(|(k, _)| short(k) == name) {
            Some((_, v)) => Level::parse(v).flatten(),
            None => Some(Level::Warning),
        }
    }

    /// Whether a file is a Defender custom detection by the `[detections] defender` globs.
    pub fn is_detection(&self, file: &Path) -> bool {
        if self.detections.defender.is_empty() {
            return false;
        }
        let (Ok(abs), Ok(dir)) = (std::fs::canonicalize(file), std::fs::canonicalize(&self.dir)) else {
            return false;
        };
        let Ok(rel) = abs.strip_prefix(dir) else { return false };
        self.detections.defender.iter().filter_map(|g| glob::Pattern::new(g).ok()).any(|p| p.matches_path(rel))
    }

    /// A config path made relative to the config's folder.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.dir.join(p)
        }
    }
}

/// `kqlite::lint::x` → `x`.
pub fn short(code: &str) -> &str {
    code.rsplit("::").next().unwrap_or(code)
}

/// One baseline entry: a finding known and accepted. Lines move, so it is matched on the file, the code, the
/// message and the text of the finding's line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BaselineEntry {
    pub file: String,
    pub code: String,
    pub message: String,
    pub line_text: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Baseline {
    pub kqlite_baseline: u32,
    pub findings: Vec<BaselineEntry>,
}

impl Baseline {
    fn entry(f: &Finding) -> BaselineEntry {
        BaselineEntry {
            file: f.file.display().to_string().replace('\\', "/"),
            code: f.code.clone(),
            message: f.message.clone(),
            line_text: f.line_text().to_string(),
        }
    }

    pub fn of(findings: &[&Finding]) -> Baseline {
        let mut findings: Vec<BaselineEntry> = findings.iter().map(|f| Baseline::entry(f)).collect();
        findings.sort();
        Baseline { kqlite_baseline: 1, findings }
    }

    pub fn load(path: &Path) -> Result<Baseline, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_str(&text)
            .map_err(|e| format!("{}:{}:{}: not a kqlite baseline: {e}", path.display(), e.line(), e.column()))
    }

    /// Writes the baseline; an existing file is replaced only when it is a kqlite baseline itself.
    pub fn write(&self, path: &Path) -> Result<(), String> {
        if path.exists() && Baseline::load(path).is_err() {
            return Err(format!("{} exists and is not a kqlite baseline; not overwriting it", path.display()));
        }
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Removes the findings the baseline holds (each entry absorbs one finding); returns how many it absorbed.
    pub fn filter(&self, findings: &mut Vec<Finding>) -> usize {
        let mut left: Vec<&BaselineEntry> = self.findings.iter().collect();
        let before = findings.len();
        findings.retain(|f| {
            let e = Baseline::entry(f);
            match left.iter().position(|b| **b == e) {
                Some(i) => {
                    left.swap_remove(i);
                    false
                }
                None => true,
            }
        });
        before - findings.len()
    }
}
