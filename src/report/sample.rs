//! The document sample of a run, shown before and after in report.html and written to
//! `report-sample.jsonl`: the `[report] sample` records whose seeded hash of their origin
//! (file name, not path, and line) is smallest. Which records those are depends only on the input and the
//! seed, never on threads or batches.
//!
//! The workers copy a record only while its hash is below the current threshold (the
//! largest hash of a full sample so far, shared through an atomic): about
//! `sample × ln(records / sample)` copies in a whole run. A record that belongs to the
//! final sample is below every threshold the run ever had, so it is always copied.
use crate::document::{Document, Origin, Rejection, Removal};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// Name of the sample file in the output directory.
pub const SAMPLE_FILE: &str = "report-sample.jsonl";

/// Text bytes of a sampled document kept for the report; longer texts are cut (at a
/// character boundary) and removals past the cut dropped.
const MAX_TEXT: usize = 20_000;

/// One sampled record: its text as the stages saw it and every span removed from it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleDoc {
    /// `file:line` of the record.
    pub origin: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `kept`, or the rejection reason.
    pub fate: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// For a duplicate: the id of the document kept in its place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dup_of: Option<String>,
    /// The normalized text removals index into (for records rejected before
    /// normalization: the text or line as read).
    pub text: String,
    /// The text was cut at `MAX_TEXT` bytes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    #[serde(default)]
    pub removals: Vec<SampleRemoval>,
    /// Not drawn by the seed: the kept copy of a sampled duplicate, added so the
    /// duplicate can link to it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub survivor: bool,
}

/// A removed span of a sampled document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleRemoval {
    pub rule: String,
    pub start: usize,
    pub end: usize,
    /// For a repeated passage: the id of the document holding the kept copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dup_of: Option<String>,
}

impl SampleDoc {
    /// A document still in the pipeline (kept so far), with the removals it has.
    pub fn of_doc(doc: &Document) -> SampleDoc {
        let mut s = SampleDoc {
            origin: doc.origin.to_string(),
            id: Some(doc.id.clone()),
            fate: "kept".into(),
            detail: None,
            dup_of: None,
            text: doc.text.clone(),
            truncated: false,
            removals: Vec::new(),
            survivor: false,
        };
        s.set_removals(&doc.removals);
        s.cut();
        s
    }

    /// A rejected record: its text as read (no removals).
    pub fn of_rejection(r: &Rejection) -> SampleDoc {
        let text = r
            .record
            .as_ref()
            .and_then(|rec| rec.original_text().map(|t| t.into_owned()))
            .or_else(|| r.raw.clone())
            .unwrap_or_default();
        let mut s = SampleDoc {
            origin: r.origin.to_string(),
            id: r.id.clone(),
            fate: String::new(),
            detail: None,
            dup_of: None,
            text,
            truncated: false,
            removals: Vec::new(),
            survivor: false,
        };
        s.reject(r);
        s.cut();
        s
    }

    /// Record the rejection of a document sampled earlier (its text and removals stay).
    pub fn reject(&mut self, r: &Rejection) {
        self.fate = r.reason.to_string();
        self.detail = r.detail.clone();
        self.dup_of = r
            .extra
            .get("dup_of")
            .and_then(|v| v.as_str())
            .map(str::to_string);
    }

    /// Replace the removals (sorted by position).
    pub fn set_removals(&mut self, removals: &[Removal]) {
        let mut list: Vec<SampleRemoval> = removals
            .iter()
            .map(|r| SampleRemoval {
                rule: r.rule.to_string(),
                start: r.start,
                end: r.end,
                dup_of: r.dup_of.as_ref().map(|d| d.doc.clone()),
            })
            .collect();
        list.sort_by(|a, b| (a.start, a.end, &a.rule).cmp(&(b.start, b.end, &b.rule)));
        self.removals = list;
        self.cut();
    }

    fn cut(&mut self) {
        if self.text.len() > MAX_TEXT {
            let mut at = MAX_TEXT;
            while !self.text.is_char_boundary(at) {
                at -= 1;
            }
            self.text.truncate(at);
            self.truncated = true;
        }
        let n = self.text.len();
        self.removals.retain(|r| r.start < n);
        for r in &mut self.removals {
            r.end = r.end.min(n);
        }
    }
}

/// Which records to copy: a seeded hash of the origin (file name and line) below a shared
/// threshold.
#[derive(Debug)]
pub struct Sampler {
    size: usize,
    seed: u64,
    threshold: AtomicU64,
}

impl Sampler {
    pub fn new(size: usize, seed: u64) -> Sampler {
        Sampler {
            size,
            seed,
            threshold: AtomicU64::new(u64::MAX),
        }
    }

    /// The record's sampling key when it may belong to the sample (`None`: it does not).
    #[inline]
    pub fn key(&self, origin: &Origin) -> Option<u64> {
        if self.size == 0 {
            return None;
        }
        // The file's name, not its path: the same corpus gives the same sample wherever
        // it lies (and whatever path the command was given).
        let name = origin
            .file
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(&origin.file);
        let file = xxhash_rust::xxh3::xxh3_64_with_seed(name.as_bytes(), self.seed);
        let h = xxhash_rust::xxh3::xxh3_64_with_seed(&origin.line.to_le_bytes(), file);
        (h <= self.threshold.load(Ordering::Relaxed)).then_some(h)
    }
}

/// The sample being collected: the `size` smallest keys seen so far.
#[derive(Debug, Default)]
pub struct Sample {
    /// By (key, origin): the document, and for one that dedup has yet to decide, its
    /// number among the documents handed to dedup.
    picked: BTreeMap<(u64, String), (SampleDoc, Option<u64>)>,
    /// Kept copies of sampled duplicates that the seed did not draw.
    survivors: Vec<SampleDoc>,
}

impl Sample {
    /// Offer a copied record; `pending`: its number among the documents dedup decides.
    pub fn offer(&mut self, sampler: &Sampler, key: u64, doc: SampleDoc, pending: Option<u64>) {
        if sampler.size == 0 {
            return;
        }
        self.picked
            .insert((key, doc.origin.clone()), (doc, pending));
        while self.picked.len() > sampler.size {
            self.picked.pop_last();
        }
        if self.picked.len() == sampler.size {
            if let Some(((k, _), _)) = self.picked.last_key_value() {
                sampler.threshold.fetch_min(*k, Ordering::Relaxed);
            }
        }
    }

    /// The numbers (among the documents dedup decides) of the sampled documents whose
    /// final verdict dedup gives.
    pub fn pending(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self.picked.values().filter_map(|(_, p)| *p).collect();
        v.sort_unstable();
        v
    }

    /// Dedup's verdict on document number `n`: kept with its final removals, or rejected.
    pub fn resolve(&mut self, n: u64, kept: Option<&[Removal]>, rejected: Option<&Rejection>) {
        for (doc, p) in self.picked.values_mut() {
            if *p == Some(n) {
                if let Some(removals) = kept {
                    doc.set_removals(removals);
                }
                if let Some(r) = rejected {
                    doc.reject(r);
                }
                *p = None;
            }
        }
    }

    /// Add the kept copy of a sampled duplicate (unless the seed drew it too).
    pub fn add_survivor(&mut self, mut doc: SampleDoc) {
        if self.picked.values().any(|(d, _)| d.origin == doc.origin)
            || self.survivors.iter().any(|d| d.origin == doc.origin)
        {
            return;
        }
        doc.survivor = true;
        self.survivors.push(doc);
    }

    /// The sample in input order (by origin file, then line) as JSONL.
    pub fn to_jsonl(&self) -> String {
        let mut docs: Vec<&SampleDoc> = self.picked.values().map(|(d, _)| d).collect();
        docs.extend(self.survivors.iter());
        docs.sort_by(|a, b| origin_order(&a.origin).cmp(&origin_order(&b.origin)));
        let mut out = String::new();
        for d in docs {
            out.push_str(&serde_json::to_string(d).unwrap_or_default());
            out.push('\n');
        }
        out
    }
}

/// `file:line` split for sorting (line numerically).
fn origin_order(origin: &str) -> (&str, u64) {
    match origin.rsplit_once(':') {
        Some((f, l)) => (f, l.parse().unwrap_or(0)),
        None => (origin, 0),
    }
}

/// Parse `report-sample.jsonl`; `what` names the file in errors.
pub fn parse_sample(text: &str, what: &str) -> Result<Vec<SampleDoc>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let d: SampleDoc =
                serde_json::from_str(l).map_err(|e| format!("{what}:{}: {e}", i + 1))?;
            let n = d.text.len();
            if d.removals.iter().any(|r| r.start > r.end || r.end > n) {
                return Err(format!("{what}:{}: a removal lies outside the text", i + 1));
            }
            Ok(d)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// The sample does not depend on where the corpus lies: the same file name and line
    /// give the same key under any directory.
    #[test]
    fn the_key_is_that_of_the_file_name_not_the_path() {
        let s = Sampler::new(20, 1);
        let at = |file: &str, line| {
            s.key(&Origin {
                file: Arc::from(file),
                line,
            })
        };
        let here = at("corpus.jsonl", 7);
        assert!(here.is_some());
        assert_eq!(at("/tmp/a/tests/data/corpus.jsonl", 7), here);
        assert_eq!(at("../b/corpus.jsonl", 7), here);
        assert_ne!(at("corpus.jsonl", 8), here);
        assert_ne!(at("other.jsonl", 7), here);
    }

    fn doc(line: u64) -> SampleDoc {
        SampleDoc {
            origin: format!("a.jsonl:{line}"),
            id: None,
            fate: "kept".into(),
            detail: None,
            dup_of: None,
            text: "x".into(),
            truncated: false,
            removals: vec![],
            survivor: false,
        }
    }

    /// The sample is the same whatever order the records are offered in.
    #[test]
    fn the_sample_is_the_smallest_keys_in_any_order() {
        let pick = |order: Vec<u64>| {
            let sampler = Sampler::new(5, 7);
            let mut s = Sample::default();
            for line in order {
                let origin = Origin {
                    file: Arc::from("a.jsonl"),
                    line,
                };
                if let Some(k) = sampler.key(&origin) {
                    s.offer(&sampler, k, doc(line), None);
                }
            }
            s.to_jsonl()
        };
        let forward = pick((1..=200).collect());
        assert_eq!(forward, pick((1..=200).rev().collect()));
        assert_eq!(forward.lines().count(), 5);
    }

    #[test]
    fn a_long_text_is_cut_with_its_removals() {
        let mut d = doc(1);
        d.text = "é".repeat(MAX_TEXT);
        d.removals = vec![SampleRemoval {
            rule: "r".into(),
            start: MAX_TEXT - 4,
            end: MAX_TEXT + 10,
            dup_of: None,
        }];
        d.cut();
        assert!(d.truncated && d.text.len() <= MAX_TEXT);
        assert_eq!(d.removals[0].end, d.text.len());
        let back = parse_sample(&serde_json::to_string(&d).unwrap(), "s").unwrap();
        assert_eq!(back[0], d);
    }
}
