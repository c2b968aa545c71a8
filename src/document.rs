//! The `Document` that flows through the stages, the removals stages record on it,
//! and the `Rejection` a record becomes when it is not kept.
use crate::record::Record;
use serde::Serialize;
use serde_json::{Map, Value};
use std::fmt;
use std::sync::Arc;

/// Where a record came from: the input file (as given or found) and its 1-based line.
/// A `.txt` document has line 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub file: Arc<str>,
    pub line: u64,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A reference to the passage or document that a duplicate removal points at.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DupRef {
    /// Id of the document that holds the surviving copy.
    pub doc: String,
    /// Index of the passage in that document (absent for whole-document duplicates).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passage: Option<usize>,
    /// Measured similarity (1.0 for exact copies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f64>,
}

/// A span of the normalized text that a stage decided to remove, and why.
/// Stages only *record* removals; [`apply_removals`] applies them once, at the end.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Removal {
    /// Byte offset of the first removed byte in the normalized text.
    pub start: usize,
    /// Byte offset one past the last removed byte.
    pub end: usize,
    /// Stable kebab-case id of the rule (or dedup step) that removed the span.
    pub rule: Arc<str>,
    /// Category of the rule (caption, credit, navigation, duplicate, ...).
    pub category: Arc<str>,
    /// For duplicate removals: the surviving copy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dup_of: Option<DupRef>,
}

/// One record travelling through the pipeline.
#[derive(Clone, Debug)]
pub struct Document {
    /// The record id (the id field, or `<file>:<line>` when the record has none).
    pub id: String,
    /// The text, normalized after the normalize stage. Removals index into it.
    pub text: String,
    /// The original record with every field in its original order, as raw JSON; the
    /// text field is replaced by the cleaned text on output.
    pub record: Record,
    /// Where the record came from.
    pub origin: Origin,
    /// Language detected by the clean stage (ISO 639-1), if any.
    pub lang: Option<&'static str>,
    /// Removals recorded by the stages, applied by the writer.
    pub removals: Vec<Removal>,
}

/// Why a record was not kept. Every record that is read ends as either a kept
/// [`Document`] or one of these.
#[derive(Clone, Debug)]
pub struct Rejection {
    /// Stable kebab-case reason (`malformed-json`, `empty`, `near-duplicate`, ...).
    pub reason: &'static str,
    /// The stage that rejected it (`read`, `normalize`, `clean`, `dedup`).
    pub stage: &'static str,
    pub origin: Origin,
    /// Human-readable detail (parser message, similarity, ...).
    pub detail: Option<String>,
    /// Id of the record when it is known.
    pub id: Option<String>,
    /// The original record, where the input was parseable.
    pub record: Option<Record>,
    /// The unparseable line (lossily decoded), where it was not.
    pub raw: Option<String>,
    /// Extra structured information (`dup_of`, `similarity`, removals).
    pub extra: Map<String, Value>,
}

impl Rejection {
    pub fn new(reason: &'static str, stage: &'static str, origin: Origin) -> Self {
        Rejection {
            reason,
            stage,
            origin,
            detail: None,
            id: None,
            record: None,
            raw: None,
            extra: Map::new(),
        }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Turn a document into a rejection that keeps its original record.
    pub fn of(doc: Document, reason: &'static str, stage: &'static str) -> Self {
        let mut r = Rejection::new(reason, stage, doc.origin);
        r.id = Some(doc.id);
        let mut record = doc.record;
        record.resolve_original(doc.text);
        r.record = Some(record);
        r
    }
}

impl Document {
    /// The text as it was read, before normalization.
    pub fn original_text(&self) -> Option<String> {
        match self.record.original_text() {
            Some(t) => Some(t.into_owned()),
            None if self.record.original_is_doc_text() => Some(self.text.clone()),
            None => None,
        }
    }
}

/// The fate of one record after all stages.
#[derive(Debug)]
pub enum Verdict {
    Kept(Document),
    Rejected(Rejection),
}

/// Apply removals to `text`: overlapping and adjacent spans are merged, and the line
/// structure is tidied (a line that becomes blank is dropped, runs of blank lines collapse
/// to one, leading/trailing blank lines go). The tidying happens whether or not there are
/// removals, so every kept text has the same shape.
pub fn apply_removals(text: &str, removals: &[Removal]) -> String {
    let mut spans: Vec<(usize, usize)> = removals
        .iter()
        .map(|r| (r.start.min(text.len()), r.end.min(text.len())))
        .filter(|(s, e)| s < e)
        .collect();
    spans.sort_unstable();
    let mut kept = String::with_capacity(text.len());
    let mut pos = 0;
    for (s, e) in spans {
        if e <= pos {
            continue;
        }
        let s = s.max(pos);
        kept.push_str(&text[pos..s]);
        pos = e;
    }
    kept.push_str(&text[pos..]);
    tidy_lines(&kept)
}

/// Collapse what removals leave behind: lines that became whitespace-only, runs of
/// blank lines, blank lines at the start and end, spaces at line ends.
fn tidy_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_blank = false;
    for line in text.split('\n') {
        let line = line.trim_end();
        if line.trim_start().is_empty() {
            pending_blank = !out.is_empty();
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
            if pending_blank {
                out.push('\n');
            }
        }
        pending_blank = false;
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rm(start: usize, end: usize) -> Removal {
        Removal {
            start,
            end,
            rule: "r".into(),
            category: "c".into(),
            dup_of: None,
        }
    }

    #[test]
    fn apply_merges_overlaps_and_tidies_lines() {
        let text = "keep one\nDEBRIS\n\n\nkeep two tail";
        let a = text.find("DEBRIS").unwrap();
        let t = text.find(" tail").unwrap();
        let out = apply_removals(text, &[rm(a, a + 6), rm(a + 2, a + 4), rm(t, text.len())]);
        assert_eq!(out, "keep one\n\nkeep two");
    }

    #[test]
    fn apply_without_removals_only_tidies() {
        assert_eq!(apply_removals("\n a\n\n\nb \n", &[]), " a\n\nb");
    }
}
