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
    let mut out = String::with_capacity(text.len());
    kept_pieces(text, removals, |piece| match piece {
        Piece::Line(line) => out.push_str(line),
        Piece::Break { blank: false } => out.push('\n'),
        Piece::Break { blank: true } => out.push_str("\n\n"),
    });
    out
}

/// A piece of the text [`apply_removals`] makes: a line (not empty, no newline), or the
/// line break before the next line (`blank`: with an empty line between).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    Line(&'a str),
    Break { blank: bool },
}

/// The text [`apply_removals`] makes, as pieces in order, without building it (the
/// writer escapes the pieces straight into the output line).
pub fn kept_pieces(text: &str, removals: &[Removal], emit: impl FnMut(Piece<'_>)) {
    let mut spans: Vec<(usize, usize)> = removals
        .iter()
        .map(|r| (r.start.min(text.len()), r.end.min(text.len())))
        .filter(|(s, e)| s < e)
        .collect();
    if spans.is_empty() {
        return tidy_lines(text, emit);
    }
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
    tidy_lines(&kept, emit)
}

/// Collapse what removals leave behind: lines that became whitespace-only, runs of
/// blank lines, blank lines at the start and end, spaces at line ends.
fn tidy_lines(text: &str, mut emit: impl FnMut(Piece<'_>)) {
    let mut started = false;
    let mut pending_blank = false;
    let mut start = 0;
    // The lines of `text.split('\n')`, found with the memchr crate (SIMD) rather than
    // the core searcher split uses.
    let ends = memchr::memchr_iter(b'\n', text.as_bytes()).chain([text.len()]);
    for end in ends {
        let line = &text[start..end];
        start = end + 1;
        // Trimmed at the end, a line is empty exactly when it was whitespace only.
        let line = line.trim_end();
        if line.is_empty() {
            pending_blank = started;
            continue;
        }
        if started {
            emit(Piece::Break {
                blank: pending_blank,
            });
        }
        pending_blank = false;
        started = true;
        emit(Piece::Line(line));
    }
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

    /// The tidying as it was first written: one string, line by line.
    fn tidy_reference(text: &str) -> String {
        let mut out = String::new();
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

    #[test]
    fn pieces_make_the_tidied_text() {
        for text in [
            "",
            "\n",
            "a",
            " \u{a0}\u{3000}\n\t\nx \u{2003}\n\n \n\ny\u{85}\n",
            "one\n\n\n\ntwo\r\nthree \n\u{a0}",
            "\n\n lead\ttrail\t\n",
        ] {
            assert_eq!(apply_removals(text, &[]), tidy_reference(text), "{text:?}");
            kept_pieces(text, &[], |p| {
                if let Piece::Line(l) = p {
                    assert!(!l.is_empty() && !l.contains('\n'), "{text:?}");
                }
            });
        }
    }
}
