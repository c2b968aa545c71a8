//! Heuristic line scoring with context (jusText's idea, on plain text lines).
//!
//! Each line first gets a class from its own features — length, terminal punctuation,
//! stop-word density in the document's language, title-/upper-case ratio, digit, symbol
//! and URL density. Lines already removed by a rule count as `Bad`. Then `Short`,
//! `ShortSentence` and `NearGood` lines are decided by a window of context (see
//! [`revise`]): between debris they are debris, inside or right after an article block
//! they stay.
use super::lang::{StopList, LANGUAGES};
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
    /// What decides the lines no rule removed and no good line: `"builtin"` (the
    /// embedded line model), `"window"` (the hand-weighted window of context,
    /// [`revise`]), or the path of a model file written by `rinse train`.
    pub model: String,
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
            model: "builtin".into(),
        }
    }
}

/// Class of a line, before and after context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Good,
    NearGood,
    /// A near-good line that ends a sentence: stronger evidence of running text.
    NearSentence,
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
        "a short line whose context (the lines around it) is debris",
    ),
    (
        Why::Uncertain,
        "heuristic-uncertain-line",
        "a borderline line whose context is debris",
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
    /// Stop words of the document's language from its own list ([`StopList`]) when it is
    /// not one of `LANGUAGES` (counted by the engine once the language is known; 0 from
    /// [`features`]).
    pub own_list: u32,
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
    /// Set the stop-word counts for a document in the language of `lang_bit` (0 = unknown,
    /// [`OWN_LIST`] = counted in `own_list`): the line's best language counts for density
    /// (a quote or passage in another language is still running text), the document's
    /// language for the title-case test.
    pub fn with_language(&mut self, lang_bit: u16) {
        let best = self.per_lang.iter().copied().max().unwrap_or(0) as usize;
        let in_doc = if lang_bit & OWN_LIST != 0 {
            self.own_list as usize
        } else {
            (0..LANGUAGES.len())
                .find(|i| lang_bit >> i & 1 == 1)
                .map_or(0, |i| self.per_lang[i] as usize)
        };
        self.stopwords = best.max(in_doc);
        self.doc_stopwords = if lang_bit == 0 { best } else { in_doc };
    }
}

/// The [`lang_bit`] of a language with its own [`StopList`] (not one of `LANGUAGES`),
/// whose stop words are counted in [`Features::own_list`].
pub const OWN_LIST: u16 = 1 << 15;
const _: () = assert!(LANGUAGES.len() < 15);

/// The stop-word bit of a language code: its bit in `LANGUAGES`, [`OWN_LIST`] for another
/// language with a list, 0 without one.
pub fn lang_bit(lang: Option<&str>) -> u16 {
    let Some(lang) = lang else { return 0 };
    match LANGUAGES.iter().position(|x| *x == lang) {
        Some(i) => 1 << i,
        None if StopList::get(lang).is_some() => OWN_LIST,
        None => 0,
    }
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
    // Without a stop-word list for the document's language (CJK, Indonesian, Russian,
    // ...) length and punctuation decide: a line is never debris for lacking stop words
    // it cannot have; stop words of a listed language only count in its favour.
    let neutral = if f.sentence_end {
        cfg.stopwords_high
    } else {
        cfg.stopwords_low
    };
    let measured = if f.words == 0 {
        0.0
    } else {
        f.stopwords as f64 / f.words as f64
            + if f.sentence_end {
                cfg.sentence_bonus
            } else {
                0.0
            }
    };
    let density = if f.cjk {
        neutral
    } else if !known_lang && f.words > 0 {
        measured.max(neutral)
    } else {
        measured
    };
    let chars = if f.cjk { f.chars * 3 } else { f.chars };
    if chars < cfg.short_chars {
        if f.sentence_end && f.words >= 3 {
            return Class::ShortSentence;
        }
        return Class::Short;
    }
    let near = if f.sentence_end {
        Class::NearSentence
    } else {
        Class::NearGood
    };
    if density >= cfg.stopwords_high {
        if chars > cfg.long_chars {
            Class::Good
        } else {
            near
        }
    } else if density >= cfg.stopwords_low {
        near
    } else {
        Class::Bad(Why::LowStopwords)
    }
}

/// Lines on either side of an undecided line that [`revise`] looks at.
const WINDOW: usize = 3;

/// Weights of [`revise`]: the value of each class as context, the own evidence of each
/// undecided class, and how much the window and the nearest decided lines weigh. Fitted
/// on half of the pages of two dev sets (webclean, contentbench; the other half held out).
struct Params {
    good: f32,
    near: f32,
    short: f32,
    sentence: f32,
    bad_rule: f32,
    bad: f32,
    /// Beyond the start or end of the text.
    edge: f32,
    own_short: f32,
    own_sentence: f32,
    own_near: f32,
    window: f32,
    nearest: f32,
    /// Weight of a line `d` lines away: `decay^(d-1)`.
    decay: f32,
    /// A near-good line that ends a sentence, as context and as own evidence: the
    /// sentence end is evidence of running text (teasers and menu entries rarely have one).
    near_sentence: f32,
    own_near_sentence: f32,
}

const PARAMS: Params = Params {
    good: 0.5,
    near: 0.5,
    short: -0.1,
    sentence: 0.2,
    bad_rule: -1.5,
    bad: -1.0,
    edge: -0.5,
    own_short: -0.3,
    own_sentence: 0.0,
    own_near: 0.0,
    window: 0.2,
    nearest: 0.3,
    decay: 0.5,
    near_sentence: 0.5,
    own_near_sentence: 0.45,
};

/// A line's value as context: positive for article text, negative for debris.
fn value(c: Class, p: &Params) -> f32 {
    match c {
        Class::Good => p.good,
        Class::NearGood => p.near,
        Class::NearSentence => p.near_sentence,
        Class::Short => p.short,
        Class::ShortSentence => p.sentence,
        Class::Bad(Why::Rule) => p.bad_rule,
        Class::Bad(_) => p.bad,
        Class::Aside => 0.0,
    }
}

/// The value of a decided line (good or debris) as the nearest one.
fn decided(c: Class) -> Option<f32> {
    match c {
        Class::Good => Some(1.0),
        Class::Bad(_) => Some(-1.0),
        _ => None,
    }
}

/// Without a good line, the best lines there are stand in for the article: the near-good
/// ones if any, else the short ones (a tweet, a title, a one-line record) become good.
pub fn promote_best(classes: &mut [Class]) {
    if classes.contains(&Class::Good) {
        return;
    }
    let near = |c: &Class| matches!(c, Class::NearGood | Class::NearSentence);
    let promote = if classes.iter().any(near) {
        Class::NearGood
    } else {
        Class::Short
    };
    for c in classes.iter_mut() {
        if *c == promote
            || (promote == Class::Short && *c == Class::ShortSentence)
            || (promote == Class::NearGood && *c == Class::NearSentence)
        {
            *c = Class::Good;
        }
    }
}

/// Decide `Short`, `ShortSentence` and `NearGood` lines from their context (jusText's
/// revision, with a window): the weighted values of up to `WINDOW` lines on either side,
/// the nearest good or debris line each way, and the line's own evidence; a sentence or
/// near-good line right next to a good line stays.
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
    keep_idx: Vec<usize>,
    vals: Vec<f32>,
    dec_before: Vec<f32>,
    dec_after: Vec<f32>,
    after_short: Vec<Class>,
}

impl Revise {
    /// [`revise`] with these lists.
    pub fn run(&mut self, classes: &mut [Class]) {
        promote_best(classes);
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
                Class::NearGood | Class::NearSentence
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
        let p = &PARAMS;
        // Undecided lines (short, short sentence, near-good) are decided by a window of
        // context: the value of each line within `WINDOW` lines on either side (asides
        // skipped, nearer lines weigh more, beyond the text counts as debris), plus the
        // nearest decided line (good or debris) on either side, plus the line's own
        // evidence. A list item or a one-sentence paragraph inside or right after an
        // article stays; a run of short lines between debris (a menu) goes.
        // The lines that are not asides, and their values as context.
        let keep_idx = &mut self.keep_idx;
        keep_idx.clear();
        keep_idx.extend((0..orig.len()).filter(|&i| orig[i] != Class::Aside));
        let vals = &mut self.vals;
        vals.clear();
        vals.extend(keep_idx.iter().map(|&i| value(orig[i], p)));
        // Nearest decided (good / debris) value before and after each of them.
        let m = keep_idx.len();
        let (dec_before, dec_after) = (&mut self.dec_before, &mut self.dec_after);
        dec_before.clear();
        dec_before.resize(m, p.edge);
        dec_after.clear();
        dec_after.resize(m, p.edge);
        let mut last = p.edge;
        for k in 0..m {
            dec_before[k] = last;
            if let Some(v) = decided(orig[keep_idx[k]]) {
                last = v;
            }
        }
        let mut last = p.edge;
        for k in (0..m).rev() {
            dec_after[k] = last;
            if let Some(v) = decided(orig[keep_idx[k]]) {
                last = v;
            }
        }
        let after_short = &mut self.after_short;
        after_short.clear();
        after_short.extend_from_slice(orig);
        let weights: [f32; WINDOW] = std::array::from_fn(|d| p.decay.powi(d as i32));
        for k in 0..m {
            let i = keep_idx[k];
            let own = match orig[i] {
                Class::Short => p.own_short,
                Class::ShortSentence => p.own_sentence,
                Class::NearGood => p.own_near,
                Class::NearSentence => p.own_near_sentence,
                _ => continue,
            };
            let mut ctx = 0.0f32;
            for (d, w) in (1..=WINDOW).zip(weights) {
                ctx += w * if k >= d { vals[k - d] } else { p.edge };
                ctx += w * vals.get(k + d).copied().unwrap_or(p.edge);
            }
            let score = own + p.window * ctx + p.nearest * (dec_before[k] + dec_after[k]);
            // A sentence or borderline line right after or before a good line continues
            // the article (its first or last line), whatever follows.
            let next_to_good = orig[i] != Class::Short
                && ((k > 0 && orig[keep_idx[k - 1]] == Class::Good)
                    || keep_idx.get(k + 1).is_some_and(|&j| orig[j] == Class::Good));
            after_short[i] = if score >= 0.0 || next_to_good {
                Class::Good
            } else if matches!(orig[i], Class::NearGood | Class::NearSentence) {
                Class::Bad(Why::Uncertain)
            } else {
                Class::Bad(Why::ShortLine)
            };
        }
        classes.copy_from_slice(after_short);
    }
}

#[cfg(test)]
mod tests;
