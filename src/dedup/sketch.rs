//! Phase 1 of dedup, per document and in parallel: a [`Sketch`] — passages with their
//! hashes, the exact hash of the cleaned text, and the MinHash of the passages that are
//! too long to ever be boilerplate. Short passages keep their shingles, so the final
//! signature can include them once the boilerplate is known (MinHash of a union is the
//! element-wise minimum).
use super::minhash::MinHasher;
use super::near_passage::PassageSigs;
use super::shingle::{self, Shingler, Tokens};
use super::DedupConfig;
use crate::document::Document;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// One passage of a document as dedup sees it (after the clean stage's removals).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PassageSketch {
    /// Byte span in the document's (normalized) text.
    pub start: usize,
    pub end: usize,
    /// Hash of the case-folded words (of the raw text when it has no word).
    pub hash: u64,
    pub words: u32,
}

/// A passage short enough to be boilerplate; its `shingles` are the next ones in the
/// sketch's `short_shingles` (one flat list per document instead of a vector each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShortPassage {
    pub hash: u64,
    pub words: u32,
    pub shingles: u32,
}

/// What dedup needs to know about one document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sketch {
    /// Hash of the cleaned text in a normalized form: its passages' case-folded words in
    /// order (whitespace, blank lines and punctuation between words folded away), so two
    /// texts that differ only in case, spacing or punctuation are exact copies.
    pub exact: u64,
    /// What cleaning left of the document is a residue (see [`Sketcher::cut_residue_words`]):
    /// `exact` is then the hash of its whole text before cleaning, so it is an exact
    /// duplicate only of a document with the same text, never of one that cleaning
    /// happened to cut down to the same few words.
    pub residue: bool,
    /// Cleaning removed more than half of the document's text (see
    /// `[dedup.document] cut_min_jaccard`).
    pub cut: bool,
    pub passages: Vec<PassageSketch>,
    /// MinHash over the shingles of the long passages.
    pub sig: Vec<u32>,
    /// Number of shingles that went into `sig`.
    pub sig_shingles: u32,
    /// Passages that may turn out to be boilerplate.
    pub short: Vec<ShortPassage>,
    /// The shingles of the `short` passages, one after the other.
    pub short_shingles: Vec<u32>,
    /// Small signatures (and their band keys) of the passages long enough to be near
    /// repeats.
    pub passage_sigs: PassageSigs,
}

/// Computes sketches; built once per run.
#[derive(Clone, Debug)]
pub struct Sketcher {
    pub shingler: Shingler,
    pub minhasher: MinHasher,
    /// Passages with at most this many words may be boilerplate (0: none can).
    pub short_words: usize,
    /// Signatures of long passages (`None`: no near-passage dedup).
    pub passage_minhasher: Option<MinHasher>,
    /// Passages with at least this many words get a passage signature.
    pub passage_min_words: usize,
    /// LSH bands and rows of the passage signatures.
    pub passage_bands: usize,
    pub passage_rows: usize,
    /// Document shingles also span the break between two passages (lines): the windows
    /// over the last words of one and the first words of the next.
    pub cross_passage: bool,
    /// A document that cleaning cut to less than half of its text, with fewer words than
    /// this left, is a residue (0: none is).
    pub cut_residue_words: usize,
}

/// Seed of the exact hash of a residue's whole text (apart from every folded hash).
const RESIDUE_SEED: u64 = 0x7E51_D0E5_0FC1_EA00;

/// Scratch space of [`Sketcher::sketch`], reused across the documents of a thread.
#[derive(Default)]
struct Scratch {
    tokens: Tokens,
    buf: String,
    kept: String,
    /// The shingles of the document's long passages.
    long_shingles: Vec<u32>,
    lines: Vec<(usize, usize, bool)>,
    spans: Vec<shingle::Span>,
    /// Built here and copied out at their final size (no regrowth per document).
    passage_sigs: PassageSigs,
    short_shingles: Vec<u32>,
    /// The document's removals, merged (see [`Removed`]).
    removal_spans: Vec<(usize, usize)>,
    /// The last `n - 1` token hashes of the previous kept passage and its n-gram size,
    /// then the words around a passage break (see [`Sketcher::cross_passage`]).
    tail: Vec<u64>,
    tail_n: usize,
    /// Tokens of the previous kept passage.
    tail_len: usize,
    junction: Vec<u64>,
}

/// A passage of fewer than this many n-grams' worth of tokens (15 words at n = 5) is a
/// short line: the break between two of them gets document shingles across it.
const SHORT_LINE: usize = 3;

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

impl Sketcher {
    pub fn new(cfg: &DedupConfig) -> Sketcher {
        Sketcher {
            shingler: Shingler {
                word_ngram: cfg.word_ngram,
                char_ngram: cfg.char_ngram,
                seed: cfg.seed,
            },
            minhasher: MinHasher::new(cfg.document.num_hashes, cfg.seed ^ 0x4D1E_4A54),
            short_words: if cfg.boilerplate.enabled {
                cfg.boilerplate.max_words
            } else {
                0
            },
            passage_minhasher: cfg.passage.near.then(|| {
                MinHasher::new(
                    cfg.passage.near_bands * cfg.passage.near_rows,
                    cfg.seed ^ 0x9A55_A6E5,
                )
            }),
            passage_min_words: cfg.passage.min_words.max(1),
            passage_bands: cfg.passage.near_bands,
            passage_rows: cfg.passage.near_rows,
            cross_passage: cfg.document.cross_passage_shingles,
            cut_residue_words: cfg.document.cut_residue_words,
        }
    }

    /// The sketch of one (cleaned) document. A pure function of the document.
    pub fn sketch(&self, doc: &Document) -> Sketch {
        let mut sketch = Sketch {
            exact: 0,
            residue: false,
            cut: false,
            passages: Vec::new(),
            sig: self.minhasher.empty(),
            sig_shingles: 0,
            short: Vec::new(),
            short_shingles: Vec::new(),
            passage_sigs: PassageSigs::default(),
        };
        SCRATCH.with(|s| match s.try_borrow_mut() {
            Ok(mut s) => self.sketch_passages(doc, &mut sketch, &mut s),
            Err(_) => self.sketch_passages(doc, &mut sketch, &mut Scratch::default()),
        });
        sketch
    }

    fn sketch_passages(&self, doc: &Document, sketch: &mut Sketch, s: &mut Scratch) {
        let text = doc.text.as_str();
        let Scratch {
            tokens,
            buf,
            kept,
            long_shingles,
            lines,
            spans,
            passage_sigs,
            short_shingles,
            removal_spans,
            tail,
            tail_n,
            tail_len,
            junction,
        } = s;
        tail.clear();
        passage_sigs.items.clear();
        passage_sigs.sigs.clear();
        passage_sigs.keys.clear();
        short_shingles.clear();
        long_shingles.clear();
        shingle::passages_into(text, lines, spans);
        sketch.passages.reserve(spans.len());
        let mut removed = Removed::new(&doc.removals, removal_spans);
        let mut kept_words = 0usize;
        let mut exact = 0x6A09_E667_F3BC_C908u64;
        for &(start, end) in spans.iter() {
            let overlapping = removed.overlapping(start, end);
            let body = match kept_part(text, start, end, overlapping, kept) {
                Some(b) => b,
                None => continue,
            };
            self.shingler.tokens(body, tokens, buf);
            let words = tokens.hashes.len() as u32;
            let hash = if tokens.hashes.is_empty() {
                xxh3_64_with_seed(body.trim().as_bytes(), self.shingler.seed)
            } else {
                passage_hash(&tokens.hashes)
            };
            sketch.passages.push(PassageSketch {
                start,
                end,
                hash,
                words,
            });
            kept_words += words as usize;
            exact = shingle::fmix64(exact.rotate_left(31) ^ hash);
            // The shingles go straight to the list they belong in: the short passages'
            // (kept for the final signature) or the long ones' (one MinHash update for
            // the document at the end: the minimum does not care about the order).
            let short = (words as usize) <= self.short_words;
            let list = if short {
                &mut *short_shingles
            } else {
                &mut *long_shingles
            };
            let at = list.len();
            self.shingler.shingles(tokens, list);
            let shingles = &list[at..];
            if let Some(pm) = &self.passage_minhasher {
                if words as usize >= self.passage_min_words && !shingles.is_empty() {
                    passage_sigs.push(
                        pm,
                        (sketch.passages.len() - 1) as u32,
                        shingles,
                        self.passage_bands,
                        self.passage_rows,
                    );
                }
            }
            // The windows across the break from the previous kept passage belong to this
            // one: a boilerplate passage takes the windows into it along.
            if self.cross_passage && !tokens.hashes.is_empty() {
                let n = self.shingler.ngram(tokens);
                // Only a break between two short lines (of a table, a list or hard-wrapped
                // text): between paragraphs the windows add little, and next to a heading
                // or a line of debris they would make two copies look less alike.
                let short_lines = tokens.hashes.len().max(*tail_len) < SHORT_LINE * n;
                if n == *tail_n && n > 1 && short_lines {
                    junction.clear();
                    junction.extend_from_slice(tail);
                    let head = tokens.hashes.len().min(n - 1);
                    junction.extend_from_slice(&tokens.hashes[..head]);
                    if junction.len() >= n {
                        list.extend(junction.windows(n).map(|w| shingle::combine(w) as u32));
                    }
                }
                let keep = tokens.hashes.len().min(n.saturating_sub(1));
                tail.clear();
                tail.extend_from_slice(&tokens.hashes[tokens.hashes.len() - keep..]);
                *tail_n = n;
                *tail_len = tokens.hashes.len();
            }
            let shingles = &list[at..];
            if short {
                sketch.short.push(ShortPassage {
                    hash,
                    words,
                    shingles: shingles.len() as u32,
                });
            } else {
                sketch.sig_shingles += shingles.len() as u32;
            }
        }
        sketch.exact = shingle::fmix64(exact ^ sketch.passages.len() as u64);
        sketch.cut = removed.bytes() * 2 > text.len();
        sketch.residue = is_residue(
            text.len(),
            removed.bytes(),
            kept_words,
            self.cut_residue_words,
        );
        if sketch.residue {
            // What is left says nothing of the document: it is an exact copy only of a
            // document whose whole text (before cleaning) is the same, and a near copy of
            // none (no shingles: no signature).
            sketch.exact = xxh3_64_with_seed(text.as_bytes(), RESIDUE_SEED);
            sketch.sig_shingles = 0;
            sketch.short.clear();
        } else {
            self.minhasher.update(&mut sketch.sig, long_shingles);
            sketch.short_shingles = short_shingles.clone();
        }
        sketch.passage_sigs = passage_sigs.clone();
    }
}

/// Is a document of `text_len` bytes, of which cleaning removed `removed` (merged spans)
/// and left `kept_words` words, a residue (see [`Sketcher::cut_residue_words`])?
pub fn is_residue(
    text_len: usize,
    removed: usize,
    kept_words: usize,
    cut_residue_words: usize,
) -> bool {
    kept_words < cut_residue_words && removed * 2 > text_len
}

/// Bytes covered by `removals`, overlapping spans counted once.
pub fn removed_bytes(removals: &[crate::document::Removal]) -> usize {
    Removed::new(removals, &mut Vec::new()).bytes()
}

/// Hash of a whole passage from its token hashes.
fn passage_hash(tokens: &[u64]) -> u64 {
    let mut h = 0x243F_6A88_85A3_08D3u64;
    for &t in tokens {
        h = (h.rotate_left(29) ^ t).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    shingle::fmix64(h ^ tokens.len() as u64)
}

/// The removals of a document as disjoint byte intervals in order (overlapping and
/// touching ones merged), with a cursor for passages visited in order: finding the
/// removals of every passage of a document costs O(passages + removals log removals),
/// not their product (a 200 MB document has about a million of each).
struct Removed<'a> {
    spans: &'a [(usize, usize)],
    /// The first span that may overlap the next passage.
    next: usize,
}

impl<'a> Removed<'a> {
    /// Merge `removals` into `buf` and walk them from the start.
    fn new(removals: &[crate::document::Removal], buf: &'a mut Vec<(usize, usize)>) -> Self {
        buf.clear();
        buf.extend(
            removals
                .iter()
                .filter(|r| r.end > r.start)
                .map(|r| (r.start, r.end)),
        );
        buf.sort_unstable();
        let mut merged = 0;
        for i in 0..buf.len() {
            let (s, e) = buf[i];
            if merged > 0 && s <= buf[merged - 1].1 {
                buf[merged - 1].1 = buf[merged - 1].1.max(e);
            } else {
                buf[merged] = (s, e);
                merged += 1;
            }
        }
        buf.truncate(merged);
        Removed {
            spans: buf,
            next: 0,
        }
    }

    /// Bytes covered by the spans.
    fn bytes(&self) -> usize {
        self.spans.iter().map(|(s, e)| e - s).sum()
    }

    /// The spans overlapping `start..end`; passages must come in increasing order.
    fn overlapping(&mut self, start: usize, end: usize) -> &'a [(usize, usize)] {
        while self.next < self.spans.len() && self.spans[self.next].1 <= start {
            self.next += 1;
        }
        let from = self.next;
        let mut to = from;
        while to < self.spans.len() && self.spans[to].0 < end {
            to += 1;
        }
        &self.spans[from..to]
    }
}

/// The part of `text[start..end]` not covered by `removed` (the removals overlapping it,
/// disjoint and in order); `None` when all of it is.
fn kept_part<'a>(
    text: &'a str,
    start: usize,
    end: usize,
    removed: &[(usize, usize)],
    buf: &'a mut String,
) -> Option<&'a str> {
    if removed.is_empty() {
        return Some(&text[start..end]);
    }
    buf.clear();
    let mut pos = start;
    for &(s, e) in removed {
        let (s, e) = (s.max(start), e.min(end));
        if s > pos {
            buf.push_str(text.get(pos..s).unwrap_or(""));
            buf.push('\n');
        }
        pos = pos.max(e);
    }
    if pos < end {
        buf.push_str(text.get(pos..end).unwrap_or(""));
    }
    if buf.trim().is_empty() {
        None
    } else {
        Some(buf.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Origin, Removal};

    fn doc(text: &str) -> Document {
        Document {
            id: "x".into(),
            text: text.into(),
            record: Default::default(),
            origin: Origin {
                file: "f".into(),
                line: 1,
            },
            lang: None,
            removals: Vec::new(),
        }
    }

    #[test]
    fn short_passages_stay_out_of_the_long_signature() {
        let s = Sketcher::new(&DedupConfig::default());
        let long = "word ".repeat(40);
        let sk = s.sketch(&doc(&format!("Teilen\n{long}\nImpressum")));
        assert_eq!(sk.passages.len(), 3);
        assert_eq!(sk.short.len(), 2);
        assert_eq!(sk.sig_shingles, 36);
    }

    #[test]
    fn removed_spans_are_merged_and_walked_in_order() {
        let rm = |s, e| Removal {
            start: s,
            end: e,
            rule: "r".into(),
            category: "c".into(),
            dup_of: None,
        };
        let mut buf = Vec::new();
        let removals = [
            rm(30, 40),
            rm(0, 5),
            rm(3, 8),
            rm(8, 10),
            rm(50, 50),
            rm(35, 45),
        ];
        let mut r = Removed::new(&removals, &mut buf);
        assert_eq!(r.spans, &[(0, 10), (30, 45)]);
        assert_eq!(r.overlapping(0, 4), &[(0, 10)]);
        assert_eq!(r.overlapping(10, 30), &[] as &[(usize, usize)]);
        assert_eq!(r.overlapping(12, 31), &[(30, 45)]);
        assert_eq!(r.overlapping(46, 60), &[] as &[(usize, usize)]);
        // The kept part is the same as from the unmerged removals.
        let text = "aaaa bbbb\ncccc dddd eeee ffff gggg hhhh iiii jjjj kkkk";
        let mut out = String::new();
        assert_eq!(
            kept_part(text, 0, 20, &[(0, 10)], &mut out),
            Some("cccc dddd ")
        );
    }

    #[test]
    fn cleaned_away_passages_are_skipped() {
        let s = Sketcher::new(&DedupConfig::default());
        let mut d = doc("Anzeige\nkept line here");
        d.removals.push(Removal {
            start: 0,
            end: 7,
            rule: "ad".into(),
            category: "ad".into(),
            dup_of: None,
        });
        let sk = s.sketch(&d);
        assert_eq!(sk.passages.len(), 1);
        assert_eq!(sk.exact, s.sketch(&doc("kept line here")).exact);
        // A residue: cut to less than half, fewer than `cut_residue_words` words left.
        assert!(!sk.residue, "7 of 22 bytes removed");
        assert!(!sk.cut, "7 of 22 bytes removed");
        d.removals[0].end = 16;
        d.text = format!("{}\nkept line here", "x".repeat(15));
        assert!(s.sketch(&d).residue);
        assert!(s.sketch(&d).cut, "16 of 31 bytes removed");
    }

    /// The exact hash folds case, spacing, blank lines and punctuation between words, and
    /// nothing else.
    #[test]
    fn exact_copies_are_equal_in_their_words() {
        let s = Sketcher::new(&DedupConfig::default());
        let exact = |t: &str| s.sketch(&doc(t)).exact;
        let a = exact("One line here.\n\nAnd a second, longer line.");
        assert_eq!(a, exact("one  line here\nAND a second longer line!"));
        assert_ne!(a, exact("One line here.\n\nAnd a second, longer lane."));
        assert_ne!(a, exact("One line here. And a second, longer line."));
        assert_ne!(a, exact("And a second, longer line.\nOne line here."));
    }
}
