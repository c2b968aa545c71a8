//! Heuristic line scoring with context (jusText's idea, on plain text lines).
//!
//! Each line first gets a class from its own features — length, terminal punctuation,
//! stop-word density in the document's language, title-/upper-case ratio, digit, symbol
//! and URL density. Lines already removed by a rule count as `Bad`. Then `Short` and
//! `NearGood` lines are decided by their neighbours: between debris they are debris,
//! inside an article block they stay.
use super::lang::LANGUAGES;
#[cfg(any(test, not(target_arch = "x86_64")))]
use scalar::features_scalar;
use serde::{Deserialize, Serialize};

/// Thresholds of the heuristic (`[clean.heuristic]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HeuristicConfig {
    /// Score lines and remove the ones judged debris.
    pub enabled: bool,
    /// Lines shorter than this (in characters) are `short`: context decides.
    pub short_chars: usize,
    /// Lines longer than this with enough stop words are `good` outright.
    pub long_chars: usize,
    /// Stop-word density below which a line is `bad`.
    pub stopwords_low: f64,
    /// Stop-word density at or above which a line is `good` (if long) or `near-good`.
    pub stopwords_high: f64,
    /// A line ending a sentence (. ! ? … „“ » «) gets this bonus to its stop-word density.
    pub sentence_bonus: f64,
    /// Share of characters that are digits or symbols above which a line is `bad`.
    pub max_symbol_ratio: f64,
    /// Rule categories of debris that sits *inside* articles (captions, credits): lines
    /// they remove do not end an article block, but a short line next to one goes too.
    pub inline_categories: Vec<String>,
}

impl Default for HeuristicConfig {
    fn default() -> Self {
        HeuristicConfig {
            enabled: true,
            short_chars: 70,
            long_chars: 150,
            stopwords_low: 0.18,
            stopwords_high: 0.30,
            sentence_bonus: 0.08,
            max_symbol_ratio: 0.35,
            inline_categories: vec![
                "caption".into(),
                "credit".into(),
                "image-file".into(),
                "related".into(),
            ],
        }
    }
}

/// Class of a line, before and after context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Good,
    NearGood,
    Short,
    /// A short line that ends a sentence: like `Short`, but not taken as a caption's title.
    ShortSentence,
    /// Removed by a rule of an inline category (caption, credit): transparent for context.
    Aside,
    Bad(Why),
}

/// Why a line is debris: each reason is a stable rule id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// Removed by a configured rule (not a heuristic removal).
    Rule,
    LowStopwords,
    TitleCase,
    Symbols,
    Link,
    Copyright,
    /// A short line that context decided is debris.
    ShortLine,
    /// A near-good line between debris.
    Uncertain,
}

/// The heuristic rule ids, their category and description, in a fixed order.
pub const HEURISTIC_RULES: &[(Why, &str, &str)] = &[
    (
        Why::LowStopwords,
        "heuristic-low-stopwords",
        "a line with too few stop words of the document's language to be running text",
    ),
    (
        Why::TitleCase,
        "heuristic-title-case",
        "a short line of capitalized words without stop words or sentence end (tags, names, menus)",
    ),
    (
        Why::Symbols,
        "heuristic-symbols",
        "a line made mostly of digits and symbols",
    ),
    (
        Why::Link,
        "heuristic-link",
        "a short line dominated by a URL, e-mail address or handle",
    ),
    (
        Why::Copyright,
        "heuristic-copyright",
        "a line with a copyright sign",
    ),
    (
        Why::ShortLine,
        "heuristic-short-line",
        "a short line whose nearest neighbours are debris",
    ),
    (
        Why::Uncertain,
        "heuristic-uncertain-line",
        "a borderline line between debris lines",
    ),
];

impl Why {
    pub fn id(self) -> Option<&'static str> {
        HEURISTIC_RULES
            .iter()
            .find(|(w, _, _)| *w == self)
            .map(|(_, id, _)| *id)
    }
}

/// Features of one line.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Features {
    pub chars: usize,
    pub words: usize,
    /// Stop words of the line's best language (the document's, or another one).
    pub stopwords: usize,
    /// Stop words of the document's language (any language when it is unknown).
    pub doc_stopwords: usize,
    pub capitalized: usize,
    /// Stop words of each language (`LANGUAGES` order) in the line.
    pub per_lang: [u32; LANGUAGES.len()],
    pub sentence_end: bool,
    pub symbols: usize,
    pub link: bool,
    pub copyright: bool,
    pub cjk: bool,
}

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod blocks;
mod chars;
#[cfg(any(test, not(target_arch = "x86_64")))]
mod scalar;
#[cfg(target_arch = "x86_64")]
mod sse2;

/// Measure a line (`content`: trimmed, bullets stripped). Stop words are counted per
/// language; [`Features::with_language`] then picks the counts for the document.
///
/// On x86_64 ASCII runs are classified a block at a time (`blocks.rs`): 32 bytes with
/// AVX2 where the CPU has it, else 16 with SSE2; the scalar `features_scalar` is the
/// path of other targets and the reference of the tests.
#[inline]
pub fn features(content: &str, buf: &mut String) -> Features {
    #[cfg(target_arch = "x86_64")]
    {
        if avx2::available() {
            // SAFETY: the CPU has what the AVX2 path needs.
            unsafe { avx2::features(content, buf) }
        } else {
            sse2::features(content, buf)
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        features_scalar(content, buf)
    }
}

impl Features {
    /// Set the stop-word counts for a document in the language of `lang_bit` (0 = unknown):
    /// the line's best language counts for density (a quote or passage in another language
    /// is still running text), the document's language for the title-case test.
    pub fn with_language(&mut self, lang_bit: u16) {
        let best = self.per_lang.iter().copied().max().unwrap_or(0) as usize;
        let in_doc = (0..LANGUAGES.len())
            .find(|i| lang_bit >> i & 1 == 1)
            .map_or(0, |i| self.per_lang[i] as usize);
        self.stopwords = best.max(in_doc);
        self.doc_stopwords = if lang_bit == 0 { best } else { in_doc };
    }
}

/// The stop-word bit of a language code (0 if it has no list).
pub fn lang_bit(lang: Option<&str>) -> u16 {
    lang.and_then(|l| LANGUAGES.iter().position(|x| *x == l))
        .map_or(0, |i| 1 << i)
}

/// Context-free class of a line.
pub fn classify(f: &Features, cfg: &HeuristicConfig, known_lang: bool) -> Class {
    if f.copyright {
        return Class::Bad(Why::Copyright);
    }
    if f.chars > 0 && f.symbols as f64 / f.chars as f64 > cfg.max_symbol_ratio {
        return Class::Bad(Why::Symbols);
    }
    if f.link && f.words <= 12 {
        return Class::Bad(Why::Link);
    }
    if f.words >= 2
        && f.words <= 10
        && f.doc_stopwords == 0
        && !f.sentence_end
        && f.capitalized * 10 >= f.words * 8
        && !f.cjk
    {
        return Class::Bad(Why::TitleCase);
    }
    // Without a stop-word list (CJK, Arabic, ...) length and punctuation decide.
    let density = if f.cjk || !known_lang && f.words > 0 && f.stopwords == 0 {
        if f.sentence_end {
            cfg.stopwords_high
        } else {
            cfg.stopwords_low
        }
    } else if f.words == 0 {
        0.0
    } else {
        f.stopwords as f64 / f.words as f64
            + if f.sentence_end {
                cfg.sentence_bonus
            } else {
                0.0
            }
    };
    let chars = if f.cjk { f.chars * 3 } else { f.chars };
    if chars < cfg.short_chars {
        if f.sentence_end && f.words >= 3 {
            return Class::ShortSentence;
        }
        return Class::Short;
    }
    if density >= cfg.stopwords_high {
        if chars > cfg.long_chars {
            Class::Good
        } else {
            Class::NearGood
        }
    } else if density >= cfg.stopwords_low {
        Class::NearGood
    } else {
        Class::Bad(Why::LowStopwords)
    }
}

fn coarse(c: Class, ignore_near_good: bool) -> Option<bool> {
    match c {
        Class::Good => Some(true),
        Class::NearGood if !ignore_near_good => Some(true),
        Class::Bad(_) | Class::Aside => Some(false),
        _ => None,
    }
}

/// Decide `Short` and `NearGood` lines from their neighbours (jusText's revision).
///
/// `classes` holds one class per non-blank line, in order; edges count as debris.
pub fn revise(classes: &mut [Class]) {
    Revise::default().run(classes);
}

/// The working lists of [`revise`], reusable from one document to the next.
#[derive(Default)]
pub struct Revise {
    before_aside: Vec<Class>,
    orig: Vec<Class>,
    before: [Vec<Class>; 2],
    after: [Vec<Class>; 2],
    after_short: Vec<Class>,
}

impl Revise {
    /// [`revise`] with these lists.
    pub fn run(&mut self, classes: &mut [Class]) {
        // Without a good line, the best lines there are stand in for the article: the
        // near-good ones if any, else the short ones (a tweet, a title, a one-line record).
        if !classes.contains(&Class::Good) {
            let promote = if classes.contains(&Class::NearGood) {
                Class::NearGood
            } else {
                Class::Short
            };
            for c in classes.iter_mut() {
                if *c == promote || (promote == Class::Short && *c == Class::ShortSentence) {
                    *c = Class::Good;
                }
            }
        }
        // Next to a caption or credit: a short line is its title, a borderline line
        // between two of them (image file name above, credit below) is the caption itself.
        let before = &mut self.before_aside;
        before.clear();
        before.extend_from_slice(classes);
        for i in 0..before.len() {
            let prev = if i == 0 { None } else { before.get(i - 1) };
            let next = before.get(i + 1);
            let aside = matches!(prev, Some(Class::Aside)) || matches!(next, Some(Class::Aside));
            match before[i] {
                Class::Short if aside => classes[i] = Class::Bad(Why::ShortLine),
                Class::NearGood
                    if matches!((prev, next), (Some(Class::Aside), Some(Class::Aside))) =>
                {
                    classes[i] = Class::Bad(Why::Uncertain)
                }
                _ => {}
            }
        }
        let orig = &mut self.orig;
        orig.clear();
        orig.extend_from_slice(classes);
        // Nearest neighbour class skipping short lines (and near-good ones if asked),
        // looked up in tables filled in two linear passes, so long runs of short lines
        // stay O(n).
        let edge = Class::Bad(Why::ShortLine);
        let skip = |c: Class, ignore_ng: bool| {
            matches!(c, Class::Short | Class::ShortSentence | Class::Aside)
                || (ignore_ng && c == Class::NearGood)
        };
        let n = orig.len();
        let (before, after) = (&mut self.before, &mut self.after);
        for (k, ignore_ng) in [(0, false), (1, true)] {
            before[k].clear();
            before[k].resize(n, edge);
            after[k].clear();
            after[k].resize(n, edge);
            let mut last = edge;
            for i in 0..n {
                before[k][i] = last;
                if !skip(orig[i], ignore_ng) {
                    last = orig[i];
                }
            }
            let mut last = edge;
            for i in (0..n).rev() {
                after[k][i] = last;
                if !skip(orig[i], ignore_ng) {
                    last = orig[i];
                }
            }
        }
        let neighbour = |i: usize, back: bool, ignore_ng: bool| -> Class {
            let k = usize::from(ignore_ng);
            if back {
                before[k][i]
            } else {
                after[k][i]
            }
        };
        let after_short = &mut self.after_short;
        after_short.clear();
        after_short.extend_from_slice(orig);
        for i in 0..orig.len() {
            if !matches!(orig[i], Class::Short | Class::ShortSentence) {
                continue;
            }
            let prev = coarse(neighbour(i, true, true), true);
            let next = coarse(neighbour(i, false, true), true);
            after_short[i] = match (prev, next) {
                (Some(true), Some(true)) => Class::Good,
                (Some(false), Some(false)) => Class::Bad(Why::ShortLine),
                _ => {
                    let prev_ng = neighbour(i, true, false) == Class::NearGood;
                    let next_ng = neighbour(i, false, false) == Class::NearGood;
                    if (prev == Some(false) && prev_ng) || (next == Some(false) && next_ng) {
                        Class::Good
                    } else {
                        Class::Bad(Why::ShortLine)
                    }
                }
            };
        }
        for i in 0..orig.len() {
            if orig[i] != Class::NearGood {
                continue;
            }
            let prev = coarse(neighbour(i, true, true), true);
            let next = coarse(neighbour(i, false, true), true);
            after_short[i] = if prev == Some(false) && next == Some(false) {
                Class::Bad(Why::Uncertain)
            } else {
                Class::Good
            };
        }
        classes.copy_from_slice(after_short);
    }
}

#[cfg(test)]
mod tests;
