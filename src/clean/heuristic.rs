//! Heuristic line scoring with context (jusText's idea, on plain text lines).
//!
//! Each line first gets a class from its own features — length, terminal punctuation,
//! stop-word density in the document's language, title-/upper-case ratio, digit, symbol
//! and URL density. Lines already removed by a rule count as `Bad`. Then `Short` and
//! `NearGood` lines are decided by their neighbours: between debris they are debris,
//! inside an article block they stay.
use super::lang::{pack, StopWords, LANGUAGES};
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

/// Byte classes of [`features`] (ASCII bytes only; bytes ≥ 0x80 have class 0).
#[cfg(any(test, not(target_arch = "x86_64")))]
const PLAIN: u8 = 1;
/// `char::is_whitespace`.
#[cfg(any(test, not(target_arch = "x86_64")))]
const WS: u8 = 2;
/// ASCII alphanumeric: part of a word.
#[cfg(any(test, not(target_arch = "x86_64")))]
const WORD: u8 = 4;
/// `:` or `@`: the whitespace token may be a link.
#[cfg(any(test, not(target_arch = "x86_64")))]
const LINK: u8 = 8;
#[cfg(any(test, not(target_arch = "x86_64")))]
const UPPER: u8 = 16;
#[cfg(any(test, not(target_arch = "x86_64")))]
const DIGIT: u8 = 32;

/// The class of every byte: `PLAIN` for what is not a "symbol" of [`Features::symbols`]
/// (letters, whitespace and common punctuation), and the other flags above.
#[cfg(any(test, not(target_arch = "x86_64")))]
const fn byte_classes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        let ws = matches!(c, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r');
        let mut k = 0;
        if c.is_ascii_alphabetic()
            || ws
            || matches!(
                c,
                b'.' | b',' | b'-' | b'\'' | b'"' | b'?' | b'!' | b':' | b';' | b'(' | b')'
            )
        {
            k |= PLAIN;
        }
        if ws {
            k |= WS;
        }
        if c.is_ascii_alphanumeric() {
            k |= WORD;
        }
        if c == b':' || c == b'@' {
            k |= LINK;
        }
        if c.is_ascii_uppercase() {
            k |= UPPER;
        }
        if c.is_ascii_digit() {
            k |= DIGIT;
        }
        t[b] = k;
        b += 1;
    }
    t
}
#[cfg(any(test, not(target_arch = "x86_64")))]
static CLASS: [u8; 256] = byte_classes();

/// Latin-1 and Latin Extended-A/B letters (U+00C0..=U+024F but × and ÷): all
/// alphabetic, none whitespace (checked by a test), the common non-ASCII characters of
/// European text.
#[inline]
fn is_latin_letter(c: char) -> bool {
    matches!(c as u32, 0xC0..=0x24F) && c != '×' && c != '÷'
}

/// The link test of a whitespace-separated token.
#[inline]
fn is_link_token(tok: &str) -> bool {
    tok.contains("://") || tok.starts_with("www.") || (tok.contains('@') && tok.len() > 3)
}

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod blocks;
#[cfg(target_arch = "x86_64")]
mod sse2;

/// Measure a line (`content`: trimmed, bullets stripped). Stop words are counted per
/// language; [`Features::with_language`] then picks the counts for the document.
///
/// On x86_64 ASCII runs are classified a block at a time (`blocks.rs`): 32 bytes with
/// AVX2 where the CPU has it, else 16 with SSE2; the scalar [`features_scalar`] is the
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

/// Whether a line ends a sentence (closing brackets and spaces ignored).
#[inline]
fn sentence_end(content: &str) -> bool {
    let last = content.trim_end_matches([')', ']', ' ']).chars().last();
    matches!(
        last,
        Some('.' | '!' | '?' | '…' | '"' | '“' | '”' | '„' | '»' | '«' | '。' | '！' | '？' | '\'')
    )
}

/// The scalar [`features`]: one pass over the bytes does what three passes did before (characters and symbols,
/// whitespace tokens, [`super::lang::for_each_word`] words with their stop-word lookup):
/// runs of ASCII letters and digits are scanned in a tight loop, other ASCII bytes take
/// a table look-up, other characters the same `char` tests as before.
#[cfg(any(test, not(target_arch = "x86_64")))]
fn features_scalar(content: &str, buf: &mut String) -> Features {
    let sw = StopWords::get();
    let mut f = Features::default();
    let bytes = content.as_bytes();
    let n = bytes.len();
    let mut words = 0usize;
    let per_lang = &mut f.per_lang;
    let mut count_bits = |bits: u16| {
        if bits != 0 {
            for (i, c) in per_lang.iter_mut().enumerate() {
                *c += u32::from(bits >> i & 1 == 1);
            }
        }
    };
    // Current whitespace token: start, and whether it may be a link (has ':' or '@').
    let mut tok_start = usize::MAX;
    let mut tok_maybe_link = false;
    // Current word (alphanumeric or soft hyphen run): start, and whether all ASCII.
    let mut word_start = usize::MAX;
    let mut word_ascii = true;
    let mut link = false;
    let mut chars = 0usize;
    let mut symbols = 0usize;
    let mut capitalized = 0usize;
    let mut i = 0;
    while i < n {
        let b = bytes[i];
        let cls = CLASS[b as usize];
        if cls & WORD != 0 {
            // A run of ASCII letters and digits: inside one token and one word.
            if tok_start == usize::MAX {
                tok_start = i;
                tok_maybe_link = false;
                capitalized += usize::from(cls & UPPER != 0);
            }
            if word_start == usize::MAX {
                word_start = i;
                word_ascii = true;
            }
            let mut j = i + 1;
            let mut digits = usize::from(cls & DIGIT != 0);
            while j < n {
                let c2 = CLASS[bytes[j] as usize];
                if c2 & WORD == 0 {
                    break;
                }
                digits += usize::from(c2 & DIGIT != 0);
                j += 1;
            }
            chars += j - i;
            symbols += digits;
            i = j;
            continue;
        }
        let (is_ws, is_word, len);
        chars += 1;
        if b < 0x80 {
            len = 1;
            symbols += usize::from(cls & PLAIN == 0);
            is_ws = cls & WS != 0;
            is_word = false;
            if !is_ws && tok_start == usize::MAX {
                tok_start = i;
                tok_maybe_link = false;
            }
            tok_maybe_link |= cls & LINK != 0;
        } else {
            let c = content[i..].chars().next().unwrap_or('\0');
            len = c.len_utf8();
            let n = non_ascii_char(c);
            (is_ws, is_word) = (n.ws, n.word);
            symbols += usize::from(n.symbol);
            f.copyright |= n.copyright;
            f.cjk |= n.cjk;
            if !is_ws && tok_start == usize::MAX {
                tok_start = i;
                tok_maybe_link = false;
                capitalized += usize::from(c.is_uppercase());
            }
        }
        if is_ws && tok_start != usize::MAX {
            if !link {
                let tok = &content[tok_start..i];
                link = if tok_maybe_link {
                    is_link_token(tok)
                } else {
                    tok.starts_with("www.")
                };
            }
            tok_start = usize::MAX;
        }
        if is_word {
            if word_start == usize::MAX {
                word_start = i;
            }
            word_ascii = false;
        } else if word_start != usize::MAX {
            words += word(content, word_start, i, word_ascii, sw, buf, &mut count_bits);
            word_start = usize::MAX;
        }
        i += len;
    }
    if tok_start != usize::MAX && !link {
        let tok = &content[tok_start..];
        link = if tok_maybe_link {
            is_link_token(tok)
        } else {
            tok.starts_with("www.")
        };
    }
    if word_start != usize::MAX {
        words += word(content, word_start, n, word_ascii, sw, buf, &mut count_bits);
    }
    f.chars = chars;
    f.symbols = symbols;
    f.capitalized = capitalized;
    f.link = link;
    f.words = words;
    f.sentence_end = sentence_end(content);
    f
}

/// What one non-ASCII character of a line is, for [`features`] and its SSE2 twin.
struct NonAscii {
    ws: bool,
    word: bool,
    symbol: bool,
    copyright: bool,
    cjk: bool,
}

/// Classify a non-ASCII character of a line.
#[inline(always)]
fn non_ascii_char(c: char) -> NonAscii {
    let mut n = NonAscii {
        ws: false,
        word: false,
        symbol: false,
        copyright: false,
        cjk: false,
    };
    if is_latin_letter(c) {
        // Letter, not whitespace, not a symbol, not © or CJK: what the tests below give
        // for these, without their table look-ups.
        n.word = true;
    } else if !matches!(c, '’' | '„' | '“' | '”' | '«' | '»' | '–' | '—') {
        // (Quotes and dashes: not a symbol, not whitespace, not part of a word.)
        let alpha = c.is_alphabetic();
        n.ws = c.is_whitespace();
        n.symbol = !(alpha || n.ws);
        n.copyright = c == '©';
        n.cjk = matches!(c as u32, 0x3040..=0x30FF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF);
        // `is_alphanumeric` is `is_alphabetic || is_numeric`.
        n.word = alpha || c.is_numeric() || c == '\u{AD}';
    }
    n
}

/// One word of [`features`]: looks up its stop-word bits (lowercased, soft hyphens
/// dropped, as [`super::lang::for_each_word`] does) and returns 1, or 0 for a word that is
/// only soft hyphens (which `for_each_word` skips).
#[inline(always)]
fn word(
    content: &str,
    start: usize,
    end: usize,
    ascii: bool,
    sw: &StopWords,
    buf: &mut String,
    count_bits: &mut impl FnMut(u16),
) -> usize {
    let len = end - start;
    if ascii {
        if len <= sw.max_len() {
            // ASCII letters and digits: setting bit 0x20 lowercases letters and leaves
            // digits as they are; the zero padding stays zero. With 8 bytes left in the
            // line, the key is loaded directly and masked to the word's length.
            let bytes = content.as_bytes();
            let key = match bytes.get(start..start + 8) {
                Some(k) => u64::from_le_bytes(k.try_into().unwrap_or_default()) & LEN_MASK[len],
                None => pack(&bytes[start..end]),
            };
            const LOWER: u64 = 0x2020_2020_2020_2020;
            count_bits(sw.bits_packed(key | (LEN_MASK[len] & LOWER)));
        }
        return 1;
    }
    buf.clear();
    for c in content[start..end].chars() {
        if c == '\u{AD}' {
            continue;
        }
        if c.is_ascii() {
            buf.push(c.to_ascii_lowercase());
        } else {
            super::lang::push_lower_char(c, buf);
        }
    }
    if buf.is_empty() {
        return 0;
    }
    count_bits(sw.bits(buf));
    1
}

/// For each length `len` ≤ 8: 0xFF in the first `len` bytes of a packed key.
const LEN_MASK: [u64; 9] = len_masks();

const fn len_masks() -> [u64; 9] {
    let mut t = [u64::MAX; 9];
    let mut len = 0;
    while len < 8 {
        t[len] = (1u64 << (8 * len)) - 1;
        len += 1;
    }
    t
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
    // Next to a caption or credit: a short line is its title, a borderline line between
    // two of them (image file name above, credit below) is the caption itself.
    let before: Vec<Class> = classes.to_vec();
    for i in 0..before.len() {
        let prev = if i == 0 { None } else { before.get(i - 1) };
        let next = before.get(i + 1);
        let aside = matches!(prev, Some(Class::Aside)) || matches!(next, Some(Class::Aside));
        match before[i] {
            Class::Short if aside => classes[i] = Class::Bad(Why::ShortLine),
            Class::NearGood if matches!((prev, next), (Some(Class::Aside), Some(Class::Aside))) => {
                classes[i] = Class::Bad(Why::Uncertain)
            }
            _ => {}
        }
    }
    let orig: Vec<Class> = classes.to_vec();
    // Nearest neighbour class skipping short lines (and near-good ones if asked), looked up
    // in tables filled in two linear passes, so long runs of short lines stay O(n).
    let edge = Class::Bad(Why::ShortLine);
    let skip = |c: Class, ignore_ng: bool| {
        matches!(c, Class::Short | Class::ShortSentence | Class::Aside)
            || (ignore_ng && c == Class::NearGood)
    };
    let n = orig.len();
    let mut before = [vec![edge; n], vec![edge; n]];
    let mut after = [vec![edge; n], vec![edge; n]];
    for (k, ignore_ng) in [(0, false), (1, true)] {
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
    let mut after_short = orig.clone();
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
    classes.copy_from_slice(&after_short);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_line_between_debris_is_debris_and_inside_article_stays() {
        let bad = Class::Bad(Why::Rule);
        let mut c = vec![
            bad,
            Class::Short,
            bad,
            Class::Good,
            Class::Short,
            Class::Good,
        ];
        revise(&mut c);
        assert_eq!(c[1], Class::Bad(Why::ShortLine));
        assert_eq!(c[4], Class::Good);
    }

    #[test]
    fn near_good_between_debris_is_debris() {
        let bad = Class::Bad(Why::Rule);
        let mut c = vec![bad, Class::NearGood, bad, Class::NearGood, Class::Good];
        revise(&mut c);
        assert_eq!(c[1], Class::Bad(Why::Uncertain));
        assert_eq!(c[3], Class::Good);
    }

    #[test]
    fn latin_letters_are_alphabetic_and_not_whitespace() {
        for c in '\0'..=char::MAX {
            if is_latin_letter(c) {
                assert!(
                    c.is_alphabetic() && c.is_alphanumeric() && !c.is_whitespace(),
                    "{c:?}"
                );
                assert!(c != '©' && c != '\u{AD}');
            }
        }
        assert!(!is_latin_letter('×') && !is_latin_letter('÷') && is_latin_letter('ß'));
        for c in ['’', '„', '“', '”', '«', '»', '–', '—'] {
            assert!(!c.is_alphanumeric() && !c.is_whitespace(), "{c:?}");
        }
    }

    /// The fast [`features`] (SSE2 and, where the CPU has it, AVX2 on x86_64) equals the
    /// scalar reference.
    fn same_features(s: &str) {
        let (mut b1, mut b2) = (String::new(), String::new());
        let want = features_scalar(s, &mut b2);
        assert_eq!(features(s, &mut b1), want, "{s:?}");
        #[cfg(target_arch = "x86_64")]
        {
            assert_eq!(sse2::features(s, &mut b1), want, "SSE2 {s:?}");
            if avx2::available() {
                // SAFETY: checked just above.
                assert_eq!(unsafe { avx2::features(s, &mut b1) }, want, "AVX2 {s:?}");
            }
        }
    }

    #[test]
    fn fast_features_equal_scalar_reference() {
        let fixed = [
            "",
            " ",
            "a",
            "The",
            "Hello, World! This is a test of the features function.",
            "Krieg Militär Nachrichten Russland Ukraine",
            "Der Kreml erklärte am Dienstag, er könne die Berichte nicht bestätigen.",
            "Visit https://example.com/path?x=1 or www.example.org today",
            "mail me: a@b.c or x@y, ab@ and @@@@ at:",
            "www. wwwx www.x xwww.y  www.",
            "© 2024 Example Corp. All rights reserved.",
            "東京は日本の首都です。こんにちは！한국어 텍스트？",
            "Emoji 😀🎉 and symbols ★ ☆ ♥ € $ % & * # ~ ^ | \\ / < > = + [ ] { } _ `",
            "12345 678.90 3,14 1st 2nd 0x1F",
            "Sil\u{AD}ben\u{AD}trennung \u{AD}\u{AD} \u{AD}word",
            "„Zitat“ und «guillemets» – dash — em ’apostrophe’",
            "Tabs\tand\u{B}vertical\u{C}feed\rreturn\u{85}nel\u{A0}nbsp\u{3000}ideo",
            "ÀÉÎÕÜ àéîõü ß × ÷ Łódź Ŕ ǅ Ω ω Ж ж",
            "ends with quote\"",
            "ends (with bracket.)]  ",
            "0123456789abcdefXYZ 0123456789abcdef0123456789abcdefGHIJ",
            "\u{0}\u{1}\u{1F}\u{7F} ctrl",
        ];
        for s in fixed {
            same_features(s);
        }
        let frags = [
            "the",
            "and",
            "Der",
            "die",
            "DAS",
            "und",
            "le",
            "la",
            "de",
            "of",
            "in",
            "is",
            "w",
            "ww",
            "www.",
            "://",
            "@",
            ":",
            "x",
            "Word",
            "LONGWORDLONGWORDLONG",
            "abcdefghijklmnop",
            "0",
            "42",
            "3.5",
            " ",
            "  ",
            "\t",
            "\n",
            ".",
            ",",
            "-",
            "'",
            "\"",
            "?",
            "!",
            ";",
            "(",
            ")",
            "[",
            "]",
            "#",
            "$",
            "%",
            "&",
            "*",
            "/",
            "é",
            "É",
            "ß",
            "×",
            "Ł",
            "Ω",
            "ж",
            "\u{AD}",
            "©",
            "„",
            "“",
            "”",
            "«",
            "»",
            "–",
            "—",
            "’",
            "…",
            "東",
            "京",
            "。",
            "！",
            "？",
            "한",
            "か",
            "😀",
            "\u{A0}",
            "\u{3000}",
            "\u{85}",
            "Ⅻ",
            "²",
            "٣",
        ];
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |m: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % m as u64) as usize
        };
        let mut s = String::new();
        for _ in 0..20_000 {
            s.clear();
            let parts = next(40);
            for _ in 0..parts {
                s.push_str(frags[next(frags.len())]);
            }
            same_features(&s);
        }
        // Lines with more stop words than a packed counter lane holds.
        same_features(&"the und de la ".repeat(5000));
        same_features(&"é der ".repeat(20_000));
        // Every split of a few lines at 16- and 32-byte boundaries: prefixes of 0..=64
        // bytes of padding shift the words across the blocks.
        for base in fixed
            .iter()
            .chain(["Die Stadt hat, wie www.x.de berichtet, 3 Ämter."].iter())
        {
            for pad in 0..=64 {
                for fill in ["a", " ", "é", "1"] {
                    let p = fill.repeat(pad / fill.len().max(1));
                    same_features(&format!("{p}{base}"));
                    same_features(&format!("{base}{p}"));
                }
            }
        }
    }

    #[test]
    fn tag_line_is_title_case_debris() {
        let mut buf = String::new();
        let mut f = features("Krieg Militär Nachrichten Russland Ukraine", &mut buf);
        f.with_language(lang_bit(Some("de")));
        assert_eq!(
            classify(&f, &HeuristicConfig::default(), true),
            Class::Bad(Why::TitleCase)
        );
        let mut f = features(
            "Der Kreml erklärte am Dienstag, er könne die Berichte nicht bestätigen, sagte ein Sprecher in Moskau.",
            &mut buf,
        );
        f.with_language(lang_bit(Some("de")));
        assert_ne!(
            classify(&f, &HeuristicConfig::default(), true),
            Class::Bad(Why::LowStopwords)
        );
    }
}
