//! Gold annotations: JSONL `{"id", "with": [...], "without": [...]}`, one document per
//! line, read with the reference scorer's rules (blank lines skipped; a malformed line,
//! a missing id or a duplicate id is an error naming the file and line).
use super::score::is_py_space;
use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The annotations of one document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoldDoc {
    pub id: String,
    /// 1-based line of the gold file it was read from.
    pub line: u64,
    /// Snippets a cleaner must keep.
    pub with: Vec<String>,
    /// Snippets a cleaner must remove.
    pub without: Vec<String>,
}

#[cfg(test)]
impl GoldDoc {
    /// A gold document with id `d` (for tests).
    pub(crate) fn of(with: &[&str], without: &[&str]) -> GoldDoc {
        GoldDoc {
            id: "d".into(),
            line: 1,
            with: with.iter().map(|s| s.to_string()).collect(),
            without: without.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// A gold file: documents in file order, with an index by id.
#[derive(Clone, Debug, Default)]
pub struct Gold {
    pub path: PathBuf,
    pub docs: Vec<GoldDoc>,
    index: HashMap<String, usize>,
}

impl Gold {
    /// Read a gold file. An unreadable file is an [`Error::Io`] naming it; a bad line an
    /// [`Error::Read`] naming the file and line.
    pub fn load(path: &Path) -> Result<Gold> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Gold::parse(&bytes, path)
    }

    /// Parse the bytes of a gold file; `path` names it in errors.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Gold> {
        let mut gold = Gold {
            path: path.to_path_buf(),
            ..Gold::default()
        };
        each_object(bytes, path, |line, obj| {
            let bad = |message: String| line_error(path, line, message);
            let Some(Value::String(id)) = obj.get("id") else {
                return Err(bad("gold object without a string 'id'".into()));
            };
            let list = |key: &str| -> Result<Vec<String>> {
                match obj.get(key) {
                    None => Ok(Vec::new()),
                    Some(Value::Array(items)) => items
                        .iter()
                        .map(|v| v.as_str().map(str::to_string))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| bad(format!("'{key}' must be a list of strings"))),
                    Some(_) => Err(bad(format!("'{key}' must be a list of strings"))),
                }
            };
            let doc = GoldDoc {
                id: id.clone(),
                line,
                with: list("with")?,
                without: list("without")?,
            };
            if let Some(&first) = gold.index.get(id) {
                let first_line = gold.docs[first].line;
                return Err(bad(format!(
                    "duplicate gold id {id:?} (first on line {first_line})"
                )));
            }
            gold.index.insert(doc.id.clone(), gold.docs.len());
            gold.docs.push(doc);
            Ok(())
        })?;
        Ok(gold)
    }

    /// Position of the document with this id in [`Gold::docs`].
    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The documents of several gold files as one, in file order; `path` is the first
    /// file's.
    /// An id in two files is an error naming the later file and line.
    pub fn merge(golds: &[Gold]) -> Result<Gold> {
        let mut all = Gold {
            path: golds.first().map(|g| g.path.clone()).unwrap_or_default(),
            ..Gold::default()
        };
        for g in golds {
            for d in &g.docs {
                if let Some(&first) = all.index.get(&d.id) {
                    let earlier = golds
                        .iter()
                        .find(|e| e.index.contains_key(&d.id))
                        .map_or_else(String::new, |e| e.path.display().to_string());
                    return Err(line_error(
                        &g.path,
                        d.line,
                        format!(
                            "gold id {:?} occurs in an earlier gold file too ({earlier}, line {})",
                            d.id, all.docs[first].line
                        ),
                    ));
                }
                all.index.insert(d.id.clone(), all.docs.len());
                all.docs.push(d.clone());
            }
        }
        Ok(all)
    }

    /// Total number of `with` and `without` snippets.
    pub fn snippet_counts(&self) -> (usize, usize) {
        self.docs.iter().fold((0, 0), |(w, wo), d| {
            (w + d.with.len(), wo + d.without.len())
        })
    }
}

/// An error at `line` of the JSONL file `path`.
pub(super) fn line_error(path: &Path, line: u64, message: String) -> Error {
    Error::Read {
        path: path.to_path_buf(),
        line,
        message,
    }
}

/// Call `f` with the line number and object of every non-blank line of the JSONL `bytes`;
/// a line that is not UTF-8, not JSON or not an object is an error naming `path` and it.
pub(super) fn each_object(
    bytes: &[u8],
    path: &Path,
    mut f: impl FnMut(u64, Map<String, Value>) -> Result<()>,
) -> Result<()> {
    for (n, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = n as u64 + 1;
        let bad = |message: String| line_error(path, line, message);
        let text = std::str::from_utf8(raw)
            .map_err(|e| bad(format!("invalid UTF-8 at byte {}", e.valid_up_to())))?;
        if text.chars().all(is_py_space) {
            continue;
        }
        let value: Value =
            serde_json::from_str(text).map_err(|e| bad(format!("invalid JSON: {e}")))?;
        let Value::Object(obj) = value else {
            return Err(bad("expected a JSON object".into()));
        };
        f(line, obj)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Gold> {
        Gold::parse(text.as_bytes(), Path::new("g.jsonl"))
    }

    #[test]
    fn reads_documents_and_skips_blank_lines() {
        let g =
            parse("{\"id\":\"a\",\"with\":[\"x\"],\"without\":[]}\n\n \n{\"id\":\"b\"}\n").unwrap();
        assert_eq!(g.docs.len(), 2);
        assert_eq!(g.docs[1].line, 4);
        assert_eq!(g.position("b"), Some(1));
        assert_eq!(g.snippet_counts(), (1, 0));
    }

    #[test]
    fn bad_lines_are_named_by_file_and_line() {
        let cases = [
            ("{\"id\":\"a\"}\n{oops\n", ":2: invalid JSON"),
            ("[1]\n", ":1: expected a JSON object"),
            ("{\"id\":3}\n", ":1: gold object without a string 'id'"),
            ("{\"id\":\"a\",\"with\":[1]}\n", ":1: 'with' must be a list"),
            (
                "{\"id\":\"a\",\"without\":null}\n",
                ":1: 'without' must be a list",
            ),
            (
                "{\"id\":\"a\"}\n{\"id\":\"a\"}\n",
                ":2: duplicate gold id \"a\" (first on line 1)",
            ),
        ];
        for (text, want) in cases {
            let msg = parse(text).unwrap_err().to_string();
            assert!(msg.starts_with("g.jsonl") && msg.contains(want), "{msg}");
        }
    }
}
