//! Near-duplicate passages and documents (issue 4), as separable phases with plain-data
//! inputs and outputs, so that each could run as a sharded step:
//!
//! 1. [`sketch`]: per document, in parallel — passages with their hashes, the exact hash
//!    of the cleaned text, and the MinHash of the non-short passages ([`sketch::Sketch`]);
//! 2. [`passage`]: first occurrence and document count of every passage hash, reduced
//!    from hash partitions on disk ([`passage::phased`]) into marks per document: which
//!    passages are later repeats and which short ones are boilerplate;
//!    [`passage::PassageRules`] turns them into removals. [`near_passage`] finds near
//!    repeats of the long passages that are first occurrences;
//! 3. [`document`]: exact duplicates (in input order), then the final signatures (the
//!    boilerplate-free MinHash), LSH band hashes, candidate pairs, verification and
//!    union-find clusters ([`cluster`]) — the document verdicts;
//! 4. apply: the pipeline reads the set-aside documents back and writes them in input order.
//!
//! Only [`crate::pipeline`] knows that order.
pub mod bands;
pub mod cluster;
pub mod document;
pub mod minhash;
pub mod near_passage;
pub mod passage;
pub mod run;
pub mod runfile;
pub mod shingle;
pub mod sketch;
pub mod spill;

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DedupConfig {
    /// Run deduplication.
    pub enabled: bool,
    /// Tokens per shingle (words).
    pub word_ngram: usize,
    /// Tokens per shingle for text in scripts without spaces (characters).
    pub char_ngram: usize,
    /// Seed of all hashes (fixed: same input, same output).
    pub seed: u64,
    /// MB of the run's temporary data (documents waiting for pass 2, sketches) held in
    /// memory; the rest goes to temporary files in the output directory. Changes time and
    /// memory only, never the output.
    pub memory_mb: u64,
    /// Hash partitions of the files of dedup phases on disk; 0 chooses from `memory_mb` and the
    /// corpus. Changes time and memory only, never the output.
    pub partitions: usize,
    pub passage: PassageConfig,
    pub boilerplate: BoilerplateConfig,
    pub document: DocumentConfig,
}

impl Default for DedupConfig {
    fn default() -> Self {
        DedupConfig {
            enabled: true,
            word_ngram: 5,
            char_ngram: 5,
            seed: 0x005E_ED0F_D1CE,
            memory_mb: 1024,
            partitions: 0,
            passage: PassageConfig::default(),
            boilerplate: BoilerplateConfig::default(),
            document: DocumentConfig::default(),
        }
    }
}

/// Repeated passages inside and across documents.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PassageConfig {
    /// Remove later copies of a passage seen before (`dup-passage-exact`).
    pub exact: bool,
    /// Passages with fewer words are never removed as repeats (only as boilerplate).
    pub min_words: usize,
    /// Remove later near repeats of a passage (`dup-passage-near`).
    pub near: bool,
    /// LSH of the passage MinHash (`near_bands * near_rows` values per passage).
    pub near_bands: usize,
    pub near_rows: usize,
    /// A candidate is a near repeat at this estimated Jaccard similarity ...
    pub near_min_jaccard: f64,
    /// ... or when it is this contained in the earlier passage, with at least
    /// `near_min_jaccard_contained`.
    pub near_min_containment: f64,
    pub near_min_jaccard_contained: f64,
}

impl Default for PassageConfig {
    fn default() -> Self {
        PassageConfig {
            exact: true,
            min_words: 10,
            near: true,
            near_bands: 8,
            near_rows: 2,
            near_min_jaccard: 0.6,
            near_min_containment: 0.85,
            near_min_jaccard_contained: 0.4,
        }
    }
}

/// Which copies of a boilerplate passage stay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeepPolicy {
    /// Keep the first occurrence in input order, remove the others.
    First,
    /// Remove every occurrence.
    None,
}

/// Short passages that recur in many documents (site furniture).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BoilerplateConfig {
    /// Detect boilerplate passages at all.
    pub enabled: bool,
    /// A passage with at most this many words can be boilerplate.
    pub max_words: usize,
    /// ... when it occurs in at least this many documents.
    pub min_docs: u32,
    /// `none`: remove every occurrence; `first`: keep the first one.
    pub keep: KeepPolicy,
}

impl Default for BoilerplateConfig {
    fn default() -> Self {
        BoilerplateConfig {
            enabled: true,
            max_words: 16,
            min_docs: 20,
            keep: KeepPolicy::None,
        }
    }
}

/// Exact and near-duplicate documents.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DocumentConfig {
    /// Reject documents whose cleaned text equals an earlier one (`exact-duplicate`).
    pub exact: bool,
    /// Reject near duplicates (`near-duplicate`).
    pub near: bool,
    /// MinHash values per signature; must equal `bands * rows`.
    pub num_hashes: usize,
    /// LSH bands.
    pub bands: usize,
    /// Signature values per band.
    pub rows: usize,
    /// A candidate pair is a duplicate when its estimated Jaccard similarity reaches this...
    pub min_jaccard: f64,
    /// ... or the estimated containment of the later document in the earlier one reaches
    /// this (truncated copies) while the Jaccard similarity is at least
    /// `min_jaccard_contained`.
    pub min_containment: f64,
    pub min_jaccard_contained: f64,
    /// Both documents of a near-duplicate pair need at least this many shingles: on
    /// smaller sets the estimates are noise. Shorter documents are only exact-deduplicated.
    /// (Residues of cleaning, see `cut_residue_words`, have no signature at all.)
    pub min_shingles: u32,
    /// A pair whose smaller document has fewer shingles than this is short: it is a
    /// duplicate only at Jaccard `short_min_jaccard` or more (containment alone does not
    /// do), since in a short text one new figure or name is a large share of it.
    pub short_shingles: u32,
    pub short_min_jaccard: f64,
    /// Document shingles also span passage and line breaks (windows over the end of one
    /// passage and the start of the next), so a table, a list or hard-wrapped text of
    /// short lines is compared on its word sequence, not on a few shingles per line.
    /// Passage shingles (for passage dedup) never span a break.
    pub cross_passage_shingles: bool,
    /// A document that cleaning cut to less than half of its text and that has fewer than
    /// this many words left is a residue (a shared closing note, a sign-off word): it is an
    /// exact duplicate only of a document with the same whole text before cleaning, never
    /// of one cut down to the same few words, and no near duplicate of any (0: off).
    pub cut_residue_words: usize,
    /// A pair of documents that cleaning both cut to less than half of their text is a
    /// near duplicate only at this Jaccard similarity or more (containment alone does not
    /// do): what cleaning left of two tables or recurring reports (the prose around new
    /// figures) is more alike than the documents were. 0 is off.
    pub cut_min_jaccard: f64,
    /// A document whose text left after its repeated passages are removed is less than
    /// this share of what cleaning left, the repeats mostly of one earlier document, is a
    /// stub of that document: rejected as `duplicate-stub` with `dup_of` (0: off).
    pub stub_max_share: f64,
    /// Buckets larger than this link each member only to the bucket's first members.
    pub max_bucket_pairs: usize,
}

impl Default for DocumentConfig {
    fn default() -> Self {
        DocumentConfig {
            exact: true,
            near: true,
            num_hashes: 128,
            bands: 64,
            rows: 2,
            min_jaccard: 0.5,
            min_containment: 0.85,
            min_jaccard_contained: 0.25,
            min_shingles: 10,
            short_shingles: 30,
            short_min_jaccard: 0.6,
            cross_passage_shingles: true,
            cut_residue_words: 30,
            cut_min_jaccard: 0.8,
            stub_max_share: 0.25,
            max_bucket_pairs: 64,
        }
    }
}

impl DedupConfig {
    /// Check values that serde cannot.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| {
            Err(Error::Config {
                origin: "[dedup]".into(),
                message: m,
            })
        };
        let d = &self.document;
        if self.word_ngram == 0 || self.char_ngram == 0 {
            return bad("word_ngram and char_ngram must be at least 1".into());
        }
        if d.bands == 0 || d.rows == 0 || d.bands * d.rows != d.num_hashes {
            return bad(format!(
                "document.bands ({}) x document.rows ({}) must equal document.num_hashes ({})",
                d.bands, d.rows, d.num_hashes
            ));
        }
        let p = &self.passage;
        if p.near_bands == 0 || p.near_rows == 0 || p.near_bands * p.near_rows > 256 {
            return bad("passage.near_bands x passage.near_rows must be between 1 and 256".into());
        }
        if self.partitions > bands::MAX_PARTITIONS {
            return bad(format!(
                "partitions must be at most {} (0 chooses from memory_mb)",
                bands::MAX_PARTITIONS
            ));
        }
        if d.rows > 64 || d.num_hashes > 4096 {
            return bad("document.rows must be <= 64 and num_hashes <= 4096".into());
        }
        for (name, v) in [
            ("document.min_jaccard", d.min_jaccard),
            ("document.min_containment", d.min_containment),
            ("document.min_jaccard_contained", d.min_jaccard_contained),
            ("document.stub_max_share", d.stub_max_share),
            ("document.short_min_jaccard", d.short_min_jaccard),
            ("document.cut_min_jaccard", d.cut_min_jaccard),
            ("passage.near_min_jaccard", p.near_min_jaccard),
            ("passage.near_min_containment", p.near_min_containment),
            (
                "passage.near_min_jaccard_contained",
                p.near_min_jaccard_contained,
            ),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return bad(format!("{name} must be between 0 and 1, not {v}"));
            }
        }
        Ok(())
    }
}
