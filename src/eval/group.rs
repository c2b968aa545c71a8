//! Scores per value of a field (`rinse eval --group-by`): the gold documents are split by
//! the value of a field of their DOCS record or, failing that, of their `--meta` record,
//! and each part is scored with the same micro-averaged metric as the whole, so the
//! groups' counts add up to the totals.
use super::attribute::DocEval;
use super::gold::{each_object, line_error, Gold};
use super::score::{Counts, Scores};
use crate::error::{Error, Result};
use crate::read::{self, Fields, RawRecord, ReadCounters, Sources};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A metadata file: JSONL objects `{id, ...}`, joined to documents by id.
#[derive(Clone, Debug, Default)]
pub struct Meta {
    pub path: PathBuf,
    /// Records in file order.
    records: Vec<Map<String, Value>>,
    /// Their ids.
    ids: Vec<String>,
    index: HashMap<String, usize>,
}

impl Meta {
    /// Read a metadata file whose ids are in field `id_field`. An unreadable file is an
    /// [`Error::Io`]; a line that is not a JSON object, has no string or number id, or
    /// repeats an id is an [`Error::Read`] naming the file and line.
    pub fn load(path: &Path, id_field: &str) -> Result<Meta> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Meta::parse(&bytes, path, id_field)
    }

    /// Parse the bytes of a metadata file; `path` names it in errors.
    pub fn parse(bytes: &[u8], path: &Path, id_field: &str) -> Result<Meta> {
        let mut meta = Meta {
            path: path.to_path_buf(),
            ..Meta::default()
        };
        let mut lines: Vec<u64> = Vec::new();
        each_object(bytes, path, |line, obj| {
            let bad = |message: String| line_error(path, line, message);
            let id = match obj.get(id_field) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => {
                    return Err(bad(format!(
                        "meta object without a string or number {id_field:?} (see --id-field)"
                    )))
                }
            };
            if let Some(&first) = meta.index.get(&id) {
                return Err(bad(format!(
                    "duplicate meta id {id:?} (first on line {})",
                    lines[first]
                )));
            }
            meta.index.insert(id.clone(), meta.records.len());
            meta.ids.push(id);
            meta.records.push(obj);
            lines.push(line);
            Ok(())
        })?;
        Ok(meta)
    }

    /// The record with this id.
    pub fn get(&self, id: &str) -> Option<&Map<String, Value>> {
        self.index.get(id).map(|&i| &self.records[i])
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

/// What became of the `--meta` records.
#[derive(Clone, Debug, Serialize)]
pub struct MetaSummary {
    pub path: String,
    /// Records in the file.
    pub records: usize,
    /// Records whose id is neither the id of a document in DOCS nor a gold id (ignored;
    /// a gold document missing from DOCS is still grouped by its meta record).
    pub not_in_docs: usize,
    /// The first few of their ids, in file order.
    pub not_in_docs_examples: Vec<String>,
}

/// The scores of one config per value of one field.
#[derive(Clone, Debug, Serialize)]
pub struct GroupTable {
    pub field: String,
    /// Most documents first, then by value; `value: null` is the group of documents
    /// without the field (`(none)` in text output).
    pub groups: Vec<GroupRow>,
}

/// The gold documents with one value of the field, scored together.
#[derive(Clone, Debug, Serialize)]
pub struct GroupRow {
    pub value: Option<String>,
    /// Gold documents in the group.
    pub docs: usize,
    #[serde(flatten)]
    pub scores: Scores,
}

/// For each field, the value of every gold document (by position in [`Gold::docs`]).
#[derive(Clone, Debug, Default)]
pub struct Labels {
    pub fields: Vec<String>,
    /// `values[f][g]`: field `f` of gold document `g`; `None` when neither its DOCS
    /// record nor its meta record has it (or it is null).
    pub values: Vec<Vec<Option<String>>>,
    pub meta: Option<MetaSummary>,
}

/// The value at `path` in `obj`: the key `path` itself, else a dotted path into nested
/// objects (`meta.kind`). Null counts as absent.
pub fn lookup<'a>(obj: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let found = obj.get(path).or_else(|| {
        let mut parts = path.split('.');
        let mut at = obj.get(parts.next()?)?;
        for p in parts {
            at = at.as_object()?.get(p)?;
        }
        Some(at)
    });
    found.filter(|v| !v.is_null())
}

/// A value as a group label: a string as is, anything else as compact JSON.
fn label(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One DOCS record cut down to what grouping needs: its id, and the values of the
/// fields (`None` when the record lacks them or is not a JSON object).
struct Scanned {
    id: String,
    values: Vec<Option<String>>,
}

fn scan(raw: &RawRecord, fields: &Fields, group_by: &[String]) -> Scanned {
    let none = || vec![None; group_by.len()];
    if let Some(id) = raw.text_id() {
        return Scanned {
            id: id.to_string(),
            values: none(),
        };
    }
    // A WARC record is scanned as the JSON object the reader makes of it.
    let warc_json = crate::read::warc_json(raw, fields);
    let bytes = warc_json.as_deref().unwrap_or(&raw.bytes);
    let origin_id = || raw.origin.to_string();
    // Members as raw JSON: the (long) text is scanned, not decoded.
    let Ok(members) = serde_json::from_slice::<HashMap<String, &RawValue>>(bytes) else {
        return Scanned {
            id: origin_id(),
            values: none(),
        };
    };
    let id = members
        .get(&fields.id)
        .and_then(|v| {
            let s = v.get();
            match s.as_bytes().first() {
                Some(b'"') => serde_json::from_str::<String>(s).ok(),
                Some(b'-' | b'0'..=b'9') => Some(s.to_string()),
                _ => None,
            }
        })
        .unwrap_or_else(origin_id);
    let values = group_by
        .iter()
        .map(|path| {
            let top = path.split('.').next().unwrap_or(path);
            // Only the members the fields name are decoded.
            let mut obj = Map::new();
            for key in [path.as_str(), top] {
                if let Some(v) = members.get(key) {
                    if let Ok(v) = serde_json::from_str::<Value>(v.get()) {
                        obj.insert(key.to_string(), v);
                    }
                }
            }
            lookup(&obj, path).map(label)
        })
        .collect();
    Scanned { id, values }
}

/// Read DOCS once and label every gold document with its value of each field of
/// `group_by`: from its DOCS record (the first one with the id), else from `meta`.
pub fn labels(
    sources: &Sources,
    fields: &Fields,
    gold: &Gold,
    group_by: &[String],
    meta: Option<&Meta>,
    pool: &rayon::ThreadPool,
) -> Result<Labels> {
    let mut from_docs: Vec<Option<Vec<Option<String>>>> = vec![None; gold.docs.len()];
    let mut meta_seen = vec![false; meta.map_or(0, Meta::len)];
    let counters = Arc::new(ReadCounters::default());
    read::stream_batches(sources, 4096, 32 << 20, &counters, |batch| {
        let scanned: Vec<Scanned> = pool.install(|| {
            batch
                .par_iter()
                .map(|raw| scan(raw, fields, group_by))
                .collect()
        });
        for s in scanned {
            if let Some(m) = meta {
                if let Some(&i) = m.index.get(&s.id) {
                    meta_seen[i] = true;
                }
            }
            if let Some(g) = gold.position(&s.id) {
                from_docs[g].get_or_insert(s.values);
            }
        }
        true
    })?;
    let values = group_by
        .iter()
        .enumerate()
        .map(|(f, path)| {
            gold.docs
                .iter()
                .zip(&from_docs)
                .map(|(g, d)| {
                    d.as_ref().and_then(|v| v[f].clone()).or_else(|| {
                        meta.and_then(|m| m.get(&g.id))
                            .and_then(|rec| lookup(rec, path))
                            .map(label)
                    })
                })
                .collect()
        })
        .collect();
    let meta = meta.map(|m| {
        let unused: Vec<&String> = m
            .ids
            .iter()
            .zip(&meta_seen)
            .filter(|(id, &seen)| !seen && gold.position(id).is_none())
            .map(|(id, _)| id)
            .collect();
        MetaSummary {
            path: m.path.display().to_string(),
            records: m.len(),
            not_in_docs: unused.len(),
            not_in_docs_examples: unused.iter().take(3).map(|id| id.to_string()).collect(),
        }
    });
    Ok(Labels {
        fields: group_by.to_vec(),
        values,
        meta,
    })
}

/// The scores of one config's documents per value of each field.
pub fn tables(labels: &Labels, per_doc: &[DocEval]) -> Vec<GroupTable> {
    labels
        .fields
        .iter()
        .zip(&labels.values)
        .map(|(field, values)| {
            let mut by: BTreeMap<Option<&str>, (usize, Counts)> = BTreeMap::new();
            for (v, e) in values.iter().zip(per_doc) {
                let slot = by.entry(v.as_deref()).or_default();
                slot.0 += 1;
                slot.1.add(&e.score.counts);
            }
            let mut groups: Vec<GroupRow> = by
                .into_iter()
                .map(|(value, (docs, counts))| GroupRow {
                    value: value.map(str::to_string),
                    docs,
                    scores: counts.into(),
                })
                .collect();
            // Stable: equal counts stay in value order, `(none)` first among them.
            groups.sort_by_key(|g| std::cmp::Reverse(g.docs));
            GroupTable {
                field: field.clone(),
                groups,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(text: &str) -> Result<Meta> {
        Meta::parse(text.as_bytes(), Path::new("m.jsonl"), "id")
    }

    #[test]
    fn meta_reads_objects_by_id() {
        let m = meta("{\"id\":\"a\",\"kind\":\"x\"}\n\n{\"id\":7,\"m\":{\"k\":1}}\n").unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(lookup(m.get("a").unwrap(), "kind"), Some(&Value::from("x")));
        assert_eq!(
            lookup(m.get("7").unwrap(), "m.k").map(label),
            Some("1".into())
        );
        assert_eq!(lookup(m.get("7").unwrap(), "m.z"), None);
    }

    #[test]
    fn bad_meta_lines_are_named_by_file_and_line() {
        let cases = [
            ("{\"id\":\"a\"}\n{oops\n", "m.jsonl:2: invalid JSON"),
            ("[1]\n", "m.jsonl:1: expected a JSON object"),
            ("{\"kind\":\"x\"}\n", "m.jsonl:1: meta object without"),
            (
                "{\"id\":\"a\"}\n\n{\"id\":\"a\"}\n",
                "m.jsonl:3: duplicate meta id \"a\" (first on line 1)",
            ),
        ];
        for (text, want) in cases {
            let msg = meta(text).unwrap_err().to_string();
            assert!(msg.starts_with(want), "{msg}");
        }
    }

    #[test]
    fn a_literal_dotted_key_wins_and_null_is_absent() {
        let obj: Map<String, Value> =
            serde_json::from_str("{\"a.b\":\"lit\",\"a\":{\"b\":\"nested\"},\"n\":null}").unwrap();
        assert_eq!(lookup(&obj, "a.b").map(label), Some("lit".into()));
        assert_eq!(lookup(&obj, "n"), None);
    }
}
