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
    /// A document as the reader makes it: no language yet, nothing removed.
    pub fn read(id: String, text: String, record: Record, origin: Origin) -> Document {
        Document {
            id,
            text,
            record,
            origin,
            lang: None,
            removals: Vec::new(),
        }
    }

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
    kept_pieces(text, removals, |piece| out.push_str(piece));
    out
}

/// The text [`apply_removals`] makes, as the pieces (slices of `text`, and `"\n"`) it is
/// the concatenation of, handed to `f` in order, without building it: for its length,
/// its hash or its words, and to write it.
pub fn kept_pieces<'a>(text: &'a str, removals: &[Removal], mut f: impl FnMut(&'a str)) {
    let mut spans: Vec<(usize, usize)> = removals
        .iter()
        .map(|r| (r.start.min(text.len()), r.end.min(text.len())))
        .filter(|(s, e)| s < e)
        .collect();
    spans.sort_unstable();
    let mut tidy = Tidy {
        carry: Vec::new(),
        written: false,
        pending_blank: false,
    };
    let mut pos = 0;
    for (s, e) in spans {
        if e <= pos {
            continue;
        }
        let s = s.max(pos);
        if !text.is_char_boundary(s) || !text.is_char_boundary(e) {
            continue;
        }
        tidy.segment(&text[pos..s], &mut f);
        pos = e;
    }
    tidy.segment(&text[pos..], &mut f);
    tidy.end_line(&mut f);
}

/// The tidying of [`kept_pieces`]: the kept text arrives in segments; a line (between
/// `\n`s of the kept text) may be made of several. Each line loses its trailing
/// whitespace; a line left empty is dropped, and the next written line is preceded by one
/// blank line if it is not the first.
struct Tidy<'a> {
    /// Pieces of a line begun in an earlier segment.
    carry: Vec<&'a str>,
    /// Some line was written.
    written: bool,
    /// A blank line came after the last written line.
    pending_blank: bool,
}

/// `s.trim_end()`, without decoding when `s` ends in a plain ASCII byte.
#[inline]
fn trim_end(s: &str) -> &str {
    match s.as_bytes().last() {
        Some(&b) if is_ascii_non_space(b) => s,
        _ => s.trim_end(),
    }
}

/// `b` is an ASCII character that `char::is_whitespace` (what `trim` strips) does not
/// take for whitespace: the quick test before decoding. The vertical tab 0x0B is tested
/// apart because `is_ascii_whitespace` excludes it but `char::is_whitespace` includes it.
#[inline(always)]
pub(crate) fn is_ascii_non_space(b: u8) -> bool {
    b < 0x80 && !b.is_ascii_whitespace() && b != 0x0B
}

impl<'a> Tidy<'a> {
    fn segment(&mut self, seg: &'a str, f: &mut impl FnMut(&'a str)) {
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', seg.as_bytes()) {
            let piece = &seg[start..nl];
            if self.carry.is_empty() {
                // The common case: the whole line is in this segment.
                self.line(piece, f);
            } else {
                self.carry.push(piece);
                self.end_line(f);
            }
            start = nl + 1;
        }
        if start < seg.len() {
            self.carry.push(&seg[start..]);
        }
    }

    /// A whole line in one piece.
    #[inline]
    fn line(&mut self, line: &'a str, f: &mut impl FnMut(&'a str)) {
        let t = trim_end(line);
        if t.is_empty() {
            self.pending_blank = self.written;
            return;
        }
        self.separate(f);
        f(t);
    }

    /// Before a written line: the line break, and one blank line if one was dropped.
    #[inline]
    fn separate(&mut self, f: &mut impl FnMut(&'a str)) {
        if self.written {
            f(if self.pending_blank { "\n\n" } else { "\n" });
        }
        self.pending_blank = false;
        self.written = true;
    }

    /// The end of the line in `carry` (or of the text).
    fn end_line(&mut self, f: &mut impl FnMut(&'a str)) {
        // Trailing whitespace goes, piece by piece from the end (a piece never splits a
        // character).
        while let Some(last) = self.carry.last_mut() {
            let t = trim_end(last);
            if t.is_empty() {
                self.carry.pop();
            } else {
                *last = t;
                break;
            }
        }
        if self.carry.is_empty() {
            self.pending_blank = self.written;
            return;
        }
        self.separate(f);
        for p in self.carry.drain(..) {
            f(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The quick test agrees with `char::is_whitespace` on every ASCII byte (vertical tab
    /// included) and says no to every other byte.
    #[test]
    fn is_ascii_non_space_is_ascii_and_not_char_whitespace() {
        for b in 0..=255u8 {
            let want = b < 0x80 && !char::from(b).is_whitespace();
            assert_eq!(is_ascii_non_space(b), want, "{b:#04x}");
        }
    }

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

    /// The implementation `kept_pieces` replaced: build, then tidy line by line.
    fn reference(text: &str, removals: &[Removal]) -> String {
        let mut spans: Vec<(usize, usize)> = removals
            .iter()
            .map(|r| (r.start.min(text.len()), r.end.min(text.len())))
            .filter(|(s, e)| s < e)
            .collect();
        spans.sort_unstable();
        let mut kept = String::new();
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
        let mut out = String::new();
        let mut pending_blank = false;
        for line in kept.split('\n') {
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
    fn kept_pieces_make_what_building_and_tidying_makes() {
        let texts = [
            "a\n\n\nb  \n \u{a0}\n  c d \n",
            "\n\n lead\ttab\t\nmid\n\n\n\nend",
            "Zeile eins  \n\u{2003}\nZeile zwei\n\nZeile drei\n",
            "x",
            "",
            "  \n \n",
        ];
        let mut seed = crate::test_rng::Lcg::new(7);
        let mut next = |n: usize| (seed.step() >> 33) as usize % n.max(1);
        for text in texts {
            let bounds: Vec<usize> = (0..=text.len())
                .filter(|&i| text.is_char_boundary(i))
                .collect();
            for _ in 0..300 {
                let k = next(4);
                let removals: Vec<Removal> = (0..k)
                    .map(|_| {
                        let a = bounds[next(bounds.len())];
                        let b = bounds[next(bounds.len())];
                        rm(a.min(b), a.max(b))
                    })
                    .collect();
                assert_eq!(
                    apply_removals(text, &removals),
                    reference(text, &removals),
                    "{text:?} {removals:?}"
                );
            }
        }
    }

    #[test]
    fn apply_without_removals_only_tidies() {
        assert_eq!(apply_removals("\n a\n\n\nb \n", &[]), " a\n\nb");
    }
}
