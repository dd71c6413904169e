//! Query packs: `.kql` files (one query each) and Markdown files (each fenced block tagged `kql`/`kusto`,
//! or untagged but KQL, is a query), found recursively in folders. Each query keeps the line it starts on.

use std::path::{Path, PathBuf};

/// One query of a pack: where it comes from and its text.
#[derive(Debug, Clone)]
pub struct PackQuery {
    pub file: PathBuf,
    /// 1-based line of the query's first line in `file`
    pub line: usize,
    pub text: String,
}

const PACK_EXTENSIONS: &[&str] = &["kql", "md", "markdown"];

/// The pack files under the given paths, sorted; a named file is taken whatever its extension.
pub fn pack_files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_file() {
            out.push(p.clone());
            continue;
        }
        let mut stack = vec![p.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir)?.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path
                    .extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| PACK_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
                {
                    out.push(path);
                }
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Reads the queries of one pack file.
pub fn queries(file: &Path) -> std::io::Result<Vec<PackQuery>> {
    let text = std::fs::read_to_string(file)?;
    let is_md = file
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "md" | "markdown"));
    if !is_md {
        return Ok(vec![PackQuery { file: file.to_path_buf(), line: 1, text }]);
    }
    Ok(markdown_blocks(&text)
        .into_iter()
        .map(|(line, text)| PackQuery { file: file.to_path_buf(), line, text })
        .collect())
}

/// The KQL blocks of a Markdown text: (first line of the code, code).
pub fn markdown_blocks(md: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut lines = md.lines().enumerate();
    while let Some((i, l)) = lines.next() {
        let t = l.trim_start();
        let fence = if t.starts_with("```") {
            "```"
        } else if t.starts_with("~~~") {
            "~~~"
        } else {
            continue;
        };
        let info = t.trim_start_matches(['`', '~']).trim().to_ascii_lowercase();
        let mut body = Vec::new();
        for (_, l2) in lines.by_ref() {
            if l2.trim_start().starts_with(fence) {
                break;
            }
            body.push(l2);
        }
        let code = body.join("\n");
        let tag = info.split([' ', '{', ',']).next().unwrap_or("");
        let is_kql = match tag {
            "kql" | "kusto" => true,
            "" => looks_like_kql(&code),
            _ => false,
        };
        if is_kql && !code.trim().is_empty() {
            out.push((i + 2, code));
        }
    }
    out
}

/// An untagged block is KQL when it has a pipe line or starts with a `let`.
fn looks_like_kql(code: &str) -> bool {
    let mut non_comment = code.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("//"));
    let first = non_comment.clone().next().unwrap_or("");
    first.starts_with("let ") || non_comment.any(|l| l.starts_with('|'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_kql_blocks_with_their_lines() {
        let md = "# Title\n\n```kql\nT | take 1\n```\n\ntext\n```powershell\nGet-Thing\n```\n```\nlet a = 1;\nT\n| where x == a\n```\n";
        let b = markdown_blocks(md);
        assert_eq!(b, vec![(4, "T | take 1".to_string()), (12, "let a = 1;\nT\n| where x == a".to_string())]);
    }
}
