//! Passages and shingles: cutting a text into passages, words into case-folded token
//! hashes (seeded xxh3), and token windows into 32-bit shingle hashes.
//!
//! Words come from `unicode_words` (UAX #29), case-folded. Words written in a script
//! without spaces (Han, Hiragana, Katakana, Hangul, Thai, Lao, Khmer, Myanmar) are split
//! into single characters, and a passage made mostly of such characters is shingled with
//! the character n-gram size instead of the word n-gram size.
use unicode_segmentation::UnicodeSegmentation;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// How texts are cut into shingles.
#[derive(Clone, Copy, Debug)]
pub struct Shingler {
    /// Tokens per shingle for ordinary text.
    pub word_ngram: usize,
    /// Tokens (characters) per shingle for passages written without spaces.
    pub char_ngram: usize,
    /// Seed of the token hash.
    pub seed: u64,
}

/// Byte span `[start, end)` of one passage in the text.
pub type Span = (usize, usize);

/// Passages of `text`: blank-line separated paragraphs; when the text has no blank line,
/// every non-empty line is a passage. Spans exclude the line break.
pub fn passages(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    passages_into(text, &mut Vec::new(), &mut out);
    out
}

/// [`passages`] into `out` (cleared first), with `lines` as scratch space.
pub fn passages_into(text: &str, lines: &mut Vec<(usize, usize, bool)>, out: &mut Vec<Span>) {
    // One pass over the lines: (start, end, blank).
    lines.clear();
    out.clear();
    let mut pos = 0usize;
    for_each_newline(text.as_bytes(), |nl| {
        lines.push((pos, nl, is_blank(text.get(pos..nl).unwrap_or(""))));
        pos = nl + 1;
    });
    lines.push((pos, text.len(), is_blank(text.get(pos..).unwrap_or(""))));
    let has_blank = has_blank_line(lines);
    let mut start: Option<usize> = None;
    let mut end = 0usize;
    for &(line_start, line_end, blank) in lines.iter() {
        if has_blank {
            if blank {
                if let Some(s) = start.take() {
                    out.push((s, end));
                }
            } else {
                start.get_or_insert(line_start);
                end = line_end;
            }
        } else if !blank {
            out.push((line_start, line_end));
        }
    }
    if let Some(s) = start {
        out.push((s, end));
    }
}

/// Call `f` with the index of every `\n` in `bytes`, in order (16 bytes at a time).
#[inline]
fn for_each_newline(bytes: &[u8], mut f: impl FnMut(usize)) {
    let mut base = 0usize;
    #[cfg(target_arch = "x86_64")]
    while let Some(block) = bytes.get(base..base + 16) {
        let mut m = sse2::newlines16(block);
        while m != 0 {
            f(base + m.trailing_zeros() as usize);
            m &= m - 1;
        }
        base += 16;
    }
    for (i, &b) in bytes.iter().enumerate().skip(base) {
        if b == b'\n' {
            f(i);
        }
    }
}

/// `line.trim().is_empty()`, without the Unicode path for the usual line that starts
/// with an ASCII non-space character.
#[inline]
fn is_blank(line: &str) -> bool {
    match line.as_bytes().first() {
        None => true,
        Some(&b) if b < 128 && !b.is_ascii_whitespace() && b != 0x0B => false,
        Some(_) => line.trim().is_empty(),
    }
}

/// Is there a blank line between two lines with content?
fn has_blank_line(lines: &[(usize, usize, bool)]) -> bool {
    let mut seen_content = false;
    let mut blank_after_content = false;
    for &(_, _, blank) in lines {
        if blank {
            if seen_content {
                blank_after_content = true;
            }
        } else if blank_after_content {
            return true;
        } else {
            seen_content = true;
        }
    }
    false
}

/// Is `c` in a script written without spaces between words?
fn unspaced(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF   // Thai, Lao
        | 0x1000..=0x109F // Myanmar
        | 0x1780..=0x17FF // Khmer
        | 0x3040..=0x30FF // Hiragana, Katakana
        | 0x3400..=0x4DBF // CJK ext A
        | 0x4E00..=0x9FFF // CJK unified
        | 0xAC00..=0xD7AF // Hangul syllables
        | 0xF900..=0xFAFF // CJK compatibility
        | 0x20000..=0x2FFFF)
}

/// Token hashes of one passage, and whether it is mostly unspaced script.
#[derive(Debug, Default)]
pub struct Tokens {
    pub hashes: Vec<u64>,
    /// Number of single-character tokens from unspaced scripts.
    pub unspaced: usize,
}

impl Shingler {
    /// Hash the case-folded words of `text` into `out` (cleared first).
    pub fn tokens(&self, text: &str, out: &mut Tokens, buf: &mut String) {
        out.hashes.clear();
        out.unspaced = 0;
        let mut sink = HashSink {
            out: &mut out.hashes,
            seed: self.seed,
        };
        let fast = fast_words(text, buf, &mut sink);
        if fast.is_some() {
            return;
        }
        out.hashes.clear();
        for word in text.unicode_words() {
            self.push_word(word, out, buf);
        }
    }

    fn push_word(&self, word: &str, out: &mut Tokens, buf: &mut String) {
        if word.is_ascii() {
            if word.bytes().any(|b| b.is_ascii_uppercase()) {
                buf.clear();
                buf.push_str(word);
                buf.make_ascii_lowercase();
                out.hashes
                    .push(xxh3_64_with_seed(buf.as_bytes(), self.seed));
            } else {
                out.hashes
                    .push(xxh3_64_with_seed(word.as_bytes(), self.seed));
            }
            return;
        }
        if word.chars().any(unspaced) {
            let mut tmp = [0u8; 16];
            for c in word.chars() {
                for lc in c.to_lowercase() {
                    out.hashes.push(xxh3_64_with_seed(
                        lc.encode_utf8(&mut tmp).as_bytes(),
                        self.seed,
                    ));
                }
                if unspaced(c) {
                    out.unspaced += 1;
                }
            }
            return;
        }
        buf.clear();
        for c in word.chars() {
            buf.extend(c.to_lowercase());
        }
        out.hashes
            .push(xxh3_64_with_seed(buf.as_bytes(), self.seed));
    }

    /// The n-gram size for a passage with these tokens.
    pub fn ngram(&self, tokens: &Tokens) -> usize {
        if tokens.unspaced * 2 > tokens.hashes.len() {
            self.char_ngram.max(1)
        } else {
            self.word_ngram.max(1)
        }
    }

    /// Append the shingle hashes of `tokens` to `out`: one per window of n tokens, or
    /// one for the whole passage when it has fewer than n tokens (none when empty).
    pub fn shingles(&self, tokens: &Tokens, out: &mut Vec<u32>) {
        let t = &tokens.hashes;
        if t.is_empty() {
            return;
        }
        let n = self.ngram(tokens).min(t.len());
        for w in t.windows(n) {
            out.push(combine(w) as u32);
        }
    }
}

/// Word-break classes of the characters the fast tokenizer knows (UAX #29 names).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Wb {
    /// ALetter.
    Letter,
    /// Numeric.
    Digit,
    /// ExtendNumLet (`_`).
    Ext,
    /// MidLetter (`:`, `·`): joins letters.
    MidLetter,
    /// MidNumLet and Single_Quote (`.`, `'`, `‘`, `’`): joins letters or digits.
    MidNumLet,
    /// MidNum (`,`, `;`): joins digits.
    MidNum,
    /// Never part of a word.
    Other,
}

/// Word-break class of the ASCII characters.
static ASCII_WB: [Wb; 128] = {
    let mut t = [Wb::Other; 128];
    let mut i = 0;
    while i < 128 {
        let c = i as u8;
        t[i] = match c {
            b'a'..=b'z' | b'A'..=b'Z' => Wb::Letter,
            b'0'..=b'9' => Wb::Digit,
            b'_' => Wb::Ext,
            b':' => Wb::MidLetter,
            b'.' | b'\'' => Wb::MidNumLet,
            b',' | b';' => Wb::MidNum,
            _ => Wb::Other,
        };
        i += 1;
    }
    t
};

/// Class of a non-ASCII `c`, or `None` when the fast tokenizer does not know it (then
/// the passage goes through `unicode_words`).
fn wb_slow(c: char) -> Option<Wb> {
    Some(match c {
        'a'..='z' | 'A'..='Z' => Wb::Letter,
        '0'..='9' => Wb::Digit,
        '_' => Wb::Ext,
        ':' | '\u{B7}' => Wb::MidLetter,
        '.' | '\'' | '\u{2018}' | '\u{2019}' => Wb::MidNumLet,
        ',' | ';' => Wb::MidNum,
        '\u{0}'..='\u{7F}' => Wb::Other,
        '\u{AA}' | '\u{B5}' | '\u{BA}' => Wb::Letter,
        '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{24F}' => Wb::Letter,
        '\u{A1}'..='\u{A9}'
        | '\u{AB}'
        | '\u{AC}'
        | '\u{AE}'..='\u{B1}'
        | '\u{B4}'
        | '\u{B6}'
        | '\u{B8}'
        | '\u{BB}'
        | '\u{BF}'
        | '\u{D7}'
        | '\u{F7}'
        | '\u{2013}'
        | '\u{2014}'
        | '\u{201C}'..='\u{201E}'
        | '\u{2022}'
        | '\u{2026}'
        | '\u{2039}'
        | '\u{203A}'
        | '\u{20AC}' => Wb::Other,
        _ => return None,
    })
}

/// Skip the ASCII word characters from `i` on: the index after them and the OR of their
/// byte flags (0 when there are none).
#[inline(always)]
fn ascii_word_run(bytes: &[u8], mut i: usize) -> (usize, u8) {
    let mut flags = 0u8;
    #[cfg(target_arch = "x86_64")]
    while let Some(block) = bytes.get(i..i + 16) {
        // 16 bytes at once: the run's length comes from a bit mask, so the end of a word
        // is no mispredicted loop exit.
        let (n, f) = sse2::word_run16(block);
        flags |= f;
        i += n;
        if n < 16 {
            return (i, flags);
        }
    }
    while let Some(&c) = bytes.get(i) {
        let f = BYTE_FLAGS[c as usize];
        if f & B_WORD == 0 {
            break;
        }
        flags |= f;
        i += 1;
    }
    (i, flags)
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use super::{B_ALNUM, B_UPPER, B_WORD};
    use std::arch::x86_64::*;

    /// The word at the start of a 16-byte block (see [`word16`]).
    pub(super) struct Word16 {
        /// Its length (16: it may go on).
        pub n: usize,
        /// The OR of its `BYTE_FLAGS`.
        pub flags: u8,
        /// Its bytes lower-cased, zero after `n`.
        pub lower: [u8; 16],
    }

    /// The leading word characters of `block` (16 bytes, the first a word character):
    /// ASCII ones and two-byte Latin-1 letters, lower-cased as `emit_word` does.
    #[inline(always)]
    pub(super) fn word16(block: &[u8]) -> Word16 {
        let mut lower = [0u8; 16];
        let Ok(arr) = <&[u8; 16]>::try_from(block) else {
            return Word16 {
                n: 0,
                flags: 0,
                lower,
            };
        };
        // SAFETY: SSE2 is part of the x86_64 baseline; the loads and the store touch the 16
        // bytes of `arr` and `lower`.
        unsafe {
            let x = _mm_loadu_si128(arr.as_ptr().cast());
            let ascii = !_mm_movemask_epi8(x) & 0xFFFF;
            let folded = _mm_or_si128(x, _mm_set1_epi8(0x20));
            let alpha = in_range(folded, b'a', b'z') & ascii;
            let digit = in_range(x, b'0', b'9') & ascii;
            let upper_v = in_range_v(x, b'A', b'Z');
            let upper = _mm_movemask_epi8(upper_v) & ascii;
            let underscore = _mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(b'_' as i8)));
            // Latin-1 letters U+00C0..U+00FF (not × ÷): 0xC3 and a continuation byte; the
            // upper-case ones (continuation 0x80..0x9E) lower-case by adding 0x20.
            let cont = _mm_andnot_si128(
                _mm_or_si128(
                    _mm_cmpeq_epi8(x, _mm_set1_epi8(0x97u8 as i8)),
                    _mm_cmpeq_epi8(x, _mm_set1_epi8(0xB7u8 as i8)),
                ),
                in_range_v(x, 0x80, 0xBF),
            );
            let lead = _mm_and_si128(
                _mm_cmpeq_epi8(x, _mm_set1_epi8(0xC3u8 as i8)),
                _mm_srli_si128(cont, 1),
            );
            let second = _mm_slli_si128(lead, 1);
            let latin = _mm_movemask_epi8(_mm_or_si128(lead, second));
            let upper2_v = _mm_and_si128(second, in_range_v(x, 0x80, 0x9E));
            let word = (alpha | digit | underscore | latin) as u32;
            let n = (!word).trailing_zeros().min(16) as usize;
            let run = ((1u32 << n) - 1) as i32;
            let mut flags = B_WORD;
            if (alpha | digit | latin) & run != 0 {
                flags |= B_ALNUM;
            }
            if upper & run != 0 {
                flags |= B_UPPER;
            }
            let iota = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
            let keep = _mm_cmplt_epi8(iota, _mm_set1_epi8(n as i8));
            let low = _mm_or_si128(
                x,
                _mm_and_si128(_mm_or_si128(upper_v, upper2_v), _mm_set1_epi8(0x20)),
            );
            _mm_storeu_si128(lower.as_mut_ptr().cast(), _mm_and_si128(low, keep));
            Word16 { n, flags, lower }
        }
    }

    /// [`in_range`] as a vector of lane masks.
    #[inline(always)]
    fn in_range_v(x: __m128i, lo: u8, hi: u8) -> __m128i {
        // SAFETY: SSE2 is part of the x86_64 baseline.
        unsafe {
            let y = _mm_add_epi8(x, _mm_set1_epi8(0x80u8.wrapping_sub(lo) as i8));
            let limit = _mm_set1_epi8((0x80u8.wrapping_add(hi - lo + 1)) as i8);
            _mm_cmplt_epi8(y, limit)
        }
    }

    /// Bit mask of the `\n` bytes of `block` (exactly 16 bytes; 0 otherwise).
    #[inline(always)]
    pub(super) fn newlines16(block: &[u8]) -> u32 {
        let Ok(arr) = <&[u8; 16]>::try_from(block) else {
            return 0;
        };
        // SAFETY: SSE2 is part of the x86_64 baseline; the load reads the 16 bytes of `arr`.
        unsafe {
            let x = _mm_loadu_si128(arr.as_ptr().cast());
            _mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(b'\n' as i8))) as u32
        }
    }

    /// Signed-byte mask of the lanes of `x` in `lo..=hi` (ASCII bounds; non-ASCII lanes may
    /// match and are masked out by the caller).
    #[inline(always)]
    fn in_range(x: __m128i, lo: u8, hi: u8) -> i32 {
        // SAFETY: SSE2 is part of the x86_64 baseline.
        unsafe {
            let y = _mm_add_epi8(x, _mm_set1_epi8(0x80u8.wrapping_sub(lo) as i8));
            let limit = _mm_set1_epi8((0x80u8.wrapping_add(hi - lo + 1)) as i8);
            _mm_movemask_epi8(_mm_cmplt_epi8(y, limit))
        }
    }

    /// The leading ASCII word characters of `block` (exactly 16 bytes): how many, and the
    /// OR of their `BYTE_FLAGS` (as the byte loop computes them).
    #[inline(always)]
    pub(super) fn word_run16(block: &[u8]) -> (usize, u8) {
        let Ok(arr) = <&[u8; 16]>::try_from(block) else {
            return (0, 0);
        };
        // SAFETY: SSE2 is part of the x86_64 baseline; the load reads the 16 bytes of `arr`.
        let x = unsafe { _mm_loadu_si128(arr.as_ptr().cast()) };
        // SAFETY: as above.
        let (ascii, lower, underscore) = unsafe {
            (
                !_mm_movemask_epi8(x) & 0xFFFF,
                _mm_or_si128(x, _mm_set1_epi8(0x20)),
                _mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(b'_' as i8))),
            )
        };
        let alpha = in_range(lower, b'a', b'z') & ascii;
        let digit = in_range(x, b'0', b'9') & ascii;
        let upper = in_range(x, b'A', b'Z') & ascii;
        let word = (alpha | digit | underscore) as u32;
        let n = (!word).trailing_zeros().min(16) as usize;
        let run = ((1u32 << n) - 1) as i32;
        let mut f = 0u8;
        if n > 0 {
            f |= B_WORD;
        }
        if (alpha | digit) & run != 0 {
            f |= B_ALNUM;
        }
        if upper & run != 0 {
            f |= B_UPPER;
        }
        (n, f)
    }
}

/// Per-byte flags of the fast tokenizer's inner loop: a word character (ALetter, Numeric,
/// ExtendNumLet), a letter or digit, an upper-case letter. Non-ASCII bytes have none (they
/// leave the inner loop for the per-character path).
const B_WORD: u8 = 1;
const B_ALNUM: u8 = 2;
const B_UPPER: u8 = 4;
static BYTE_FLAGS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 128 {
        let c = i as u8;
        t[i] = match c {
            b'A'..=b'Z' => B_WORD | B_ALNUM | B_UPPER,
            b'a'..=b'z' | b'0'..=b'9' => B_WORD | B_ALNUM,
            b'_' => B_WORD,
            _ => 0,
        };
        i += 1;
    }
    t
};

/// Why a word needs case folding: an upper-case ASCII letter, a non-ASCII character.
const FOLD_UPPER: u8 = 1;
const FOLD_NON_ASCII: u8 = 2;

/// The case-folding needs of a character with first byte `b`.
#[inline(always)]
fn needs_fold(b: u8) -> u8 {
    if b >= 128 {
        FOLD_NON_ASCII
    } else if b.is_ascii_uppercase() {
        FOLD_UPPER
    } else {
        0
    }
}

/// [`FOLD_UPPER`] when the inner-loop `flags` saw an upper-case letter.
#[inline(always)]
fn fold_of(flags: u8) -> u8 {
    if flags & B_UPPER != 0 {
        FOLD_UPPER
    } else {
        0
    }
}

/// `unicode_words` + case folding for text made only of characters it has a class for: calls
/// `emit` with each case-folded word (`buf` is scratch space). `None` when the text has
/// another character (words may have been emitted already). Agrees with `unicode_words`
/// on that alphabet (tested against it). Works on bytes; a word is a slice of `text`,
/// copied (lower-cased) only when it has an upper-case or non-ASCII character (tracked
/// while scanning, so plain words are not scanned again).
fn fast_words<S: WordSink>(text: &str, buf: &mut String, emit: &mut S) -> Option<()> {
    let bytes = text.as_bytes();
    let mut i = 0usize;
    let mut in_word = false;
    let mut start = 0usize; // first byte of the current word
    let mut end = 0usize; // one past its last joined character
    let mut has_alnum = false;
    let mut fold = 0u8; // FOLD_* bits: the word has an upper-case or non-ASCII character
    let mut prev = Wb::Other; // class of the word's last character
    let mut pending: Option<Wb> = None; // a Mid* character right after the word
    while i < bytes.len() {
        if !in_word {
            // Between words (never with a pending joiner): the common case of ASCII words
            // separated by ASCII characters that cannot join them, in a tight loop.
            // Anything else leaves it with the state set as the general loop below would
            // have it.
            loop {
                let Some(&b) = bytes.get(i) else {
                    return Some(());
                };
                let f = BYTE_FLAGS[b as usize];
                // A Latin-1 letter (U+00C0..U+00FF but × ÷) can start a word too.
                let latin = b == 0xC3
                    && matches!(bytes.get(i + 1), Some(&c) if (0x80..=0xBF).contains(&c) && c != 0x97 && c != 0xB7);
                if f & B_WORD == 0 && !latin {
                    if b >= 128 {
                        break;
                    }
                    // Outside a word an ASCII non-word character is skipped.
                    i += 1;
                    continue;
                }
                #[cfg(target_arch = "x86_64")]
                if let Some(block) = bytes.get(i..i + 16) {
                    // A word shorter than 16 bytes, lower-cased in a register and hashed
                    // without branches on its case or length when a separator ends it.
                    let w = sse2::word16(block);
                    if let Some(&t) = block.get(w.n) {
                        let clean = t < 128
                            && match ASCII_WB[t as usize] {
                                Wb::Other => true,
                                m => match bytes.get(i + w.n + 1) {
                                    Some(&nx) if nx < 128 => !matches!(
                                        (
                                            match block[w.n - 1] {
                                                c @ 0..=127 => ASCII_WB[c as usize],
                                                _ => Wb::Letter,
                                            },
                                            m,
                                            ASCII_WB[nx as usize]
                                        ),
                                        (Wb::Letter, Wb::MidLetter | Wb::MidNumLet, Wb::Letter)
                                            | (Wb::Digit, Wb::MidNumLet | Wb::MidNum, Wb::Digit)
                                    ),
                                    _ => false,
                                },
                            };
                        if clean {
                            if w.flags & B_ALNUM != 0 {
                                emit.word16(&w.lower, w.n);
                            }
                            i += w.n + 1;
                            continue;
                        }
                    }
                }
                if latin {
                    // Not for the byte loop: the general loop takes it.
                    break;
                }
                let s = i;
                let (after, flags) = ascii_word_run(bytes, i);
                i = after;
                let t = match bytes.get(i) {
                    None => {
                        emit_word(text, s, i, flags & B_ALNUM != 0, fold_of(flags), buf, emit);
                        return Some(());
                    }
                    Some(&t) => t,
                };
                let last = || ASCII_WB[bytes[i - 1] as usize];
                if t < 128 {
                    let joins = match ASCII_WB[t as usize] {
                        Wb::Other => false,
                        m => match bytes.get(i + 1) {
                            Some(&n) if n < 128 => matches!(
                                (last(), m, ASCII_WB[n as usize]),
                                (Wb::Letter, Wb::MidLetter | Wb::MidNumLet, Wb::Letter)
                                    | (Wb::Digit, Wb::MidNumLet | Wb::MidNum, Wb::Digit)
                            ),
                            // A joiner before a non-ASCII character or at the end.
                            _ => true,
                        },
                    };
                    if !joins {
                        // The word ends at `t`, which is no word character: skip it.
                        emit_word(text, s, i, flags & B_ALNUM != 0, fold_of(flags), buf, emit);
                        i += 1;
                        continue;
                    }
                }
                // A joiner or a non-ASCII character follows: the general loop goes on.
                in_word = true;
                start = s;
                end = i;
                prev = last();
                has_alnum = flags & B_ALNUM != 0;
                fold = fold_of(flags);
                break;
            }
        }
        let b = bytes[i];
        if b < 128 && pending.is_none() {
            let f = BYTE_FLAGS[b as usize];
            if !in_word {
                if f & B_WORD == 0 {
                    // Outside a word an ASCII non-word character is skipped.
                    i += 1;
                    continue;
                }
                // An ASCII word character starts a word: take its ASCII run at once.
                start = i;
                let (after, flags) = ascii_word_run(bytes, i);
                i = after;
                in_word = true;
                end = i;
                prev = ASCII_WB[bytes[i - 1] as usize];
                has_alnum = flags & B_ALNUM != 0;
                fold = fold_of(flags);
                continue;
            }
            if f == 0 && ASCII_WB[b as usize] == Wb::Other {
                // An ASCII character that neither continues nor joins ends the word.
                emit_word(text, start, end, has_alnum, fold, buf, emit);
                in_word = false;
                i += 1;
                continue;
            }
        }
        let (cls, len) = if b < 128 {
            (ASCII_WB[b as usize], 1)
        } else {
            let c = text.get(i..)?.chars().next()?;
            (wb_slow(c)?, c.len_utf8())
        };
        let word_char = matches!(cls, Wb::Letter | Wb::Digit | Wb::Ext);
        if in_word {
            if let Some(m) = pending.take() {
                let joins = matches!(
                    (prev, m, cls),
                    (Wb::Letter, Wb::MidLetter | Wb::MidNumLet, Wb::Letter)
                        | (Wb::Digit, Wb::MidNumLet | Wb::MidNum, Wb::Digit)
                );
                if joins {
                    // The joiner spans [end, i): non-ASCII when longer than a byte.
                    if i - end > 1 {
                        fold |= FOLD_NON_ASCII;
                    }
                    fold |= needs_fold(b);
                    end = i + len;
                    prev = cls;
                    has_alnum = true;
                    i += len;
                    continue;
                }
                emit_word(text, start, end, has_alnum, fold, buf, emit);
                in_word = false;
            } else if word_char {
                fold |= needs_fold(b);
                has_alnum |= cls != Wb::Ext;
                prev = cls;
                i += len;
                end = i;
                // Tight loop over the ASCII word characters that follow.
                let run = i;
                let (after, flags) = ascii_word_run(bytes, i);
                i = after;
                if i > run {
                    end = i;
                    prev = ASCII_WB[bytes[i - 1] as usize];
                    has_alnum |= flags & B_ALNUM != 0;
                    fold |= fold_of(flags);
                }
                continue;
            } else if matches!(cls, Wb::MidLetter | Wb::MidNumLet | Wb::MidNum) {
                pending = Some(cls);
                i += len;
                continue;
            } else {
                emit_word(text, start, end, has_alnum, fold, buf, emit);
                in_word = false;
                i += len;
                continue;
            }
        }
        if word_char {
            in_word = true;
            start = i;
            end = i + len;
            prev = cls;
            has_alnum = cls != Wb::Ext;
            fold = needs_fold(b);
        }
        i += len;
    }
    if in_word {
        emit_word(text, start, end, has_alnum, fold, buf, emit);
    }
    Some(())
}

/// Receives the case-folded words of [`fast_words`] (UTF-8 bytes).
trait WordSink {
    fn word(&mut self, w: &[u8]);

    /// A word of `len` bytes (1 to 16) given zero-padded to 16 bytes.
    #[inline(always)]
    fn word16(&mut self, padded: &[u8; 16], len: usize) {
        self.word(&padded[..len.min(16)])
    }
}

/// Hashes every word into a token list.
struct HashSink<'a> {
    out: &'a mut Vec<u64>,
    seed: u64,
}

impl WordSink for HashSink<'_> {
    #[inline(always)]
    fn word(&mut self, w: &[u8]) {
        self.out.push(xxh3_64_with_seed(w, self.seed));
    }

    #[inline(always)]
    fn word16(&mut self, padded: &[u8; 16], len: usize) {
        self.out.push(xxh3_short(padded, len, self.seed));
    }
}

/// The first bytes of xxh3's default secret.
const SECRET: [u8; 56] = [
    0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
    0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
    0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
    0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e,
];

const fn secret64(at: usize) -> u64 {
    let mut v = 0u64;
    let mut i = 0;
    while i < 8 {
        v |= (SECRET[at + i] as u64) << (8 * i);
        i += 1;
    }
    v
}

const fn secret32(at: usize) -> u32 {
    secret64(at) as u32
}

/// `xxh3_64_with_seed(&padded[..len], seed)` for `len` in 1..=16, with the three length
/// classes computed side by side and one chosen by masks: word lengths are unpredictable,
/// and a mispredicted branch costs more than the arithmetic.
#[inline(always)]
fn xxh3_short(padded: &[u8; 16], len: usize, seed: u64) -> u64 {
    let len = len.clamp(1, 16);
    let r32 = |at: usize| {
        let mut b = [0u8; 4];
        b.copy_from_slice(&padded[at..at + 4]);
        u64::from(u32::from_le_bytes(b))
    };
    let r64 = |at: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&padded[at..at + 8]);
        u64::from_le_bytes(b)
    };
    // 1 to 3 bytes.
    let c1 = u32::from(padded[0]);
    let c2 = u32::from(padded[len >> 1]);
    let c3 = u32::from(padded[len - 1]);
    let combo = (c1 << 16) | (c2 << 24) | c3 | ((len as u32) << 8);
    let flip = u64::from(secret32(0) ^ secret32(4)).wrapping_add(seed);
    let mut h = u64::from(combo) ^ flip;
    h ^= h >> 33;
    h = h.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    h ^= h >> 29;
    h = h.wrapping_mul(0x1656_67B1_9E37_79F9);
    let h1to3 = h ^ (h >> 32);
    // 4 to 8 bytes.
    let seed48 = seed ^ (u64::from((seed as u32).swap_bytes()) << 32);
    let flip = (secret64(8) ^ secret64(16)).wrapping_sub(seed48);
    let input64 = r32(len.saturating_sub(4).min(12)).wrapping_add(r32(0) << 32);
    let mut v = input64 ^ flip;
    v ^= v.rotate_left(49) ^ v.rotate_left(24);
    v = v.wrapping_mul(0x9FB2_1C65_1E98_DF25);
    v ^= (v >> 35).wrapping_add(len as u64);
    v = v.wrapping_mul(0x9FB2_1C65_1E98_DF25);
    let h4to8 = v ^ (v >> 28);
    // 9 to 16 bytes.
    let flip1 = (secret64(24) ^ secret64(32)).wrapping_add(seed);
    let flip2 = (secret64(40) ^ secret64(48)).wrapping_sub(seed);
    let lo = r64(0) ^ flip1;
    let hi = r64(len.saturating_sub(8).min(8)) ^ flip2;
    let prod = u128::from(lo) * u128::from(hi);
    let mut acc = (len as u64)
        .wrapping_add(lo.swap_bytes())
        .wrapping_add(hi)
        .wrapping_add(prod as u64 ^ (prod >> 64) as u64);
    acc ^= acc >> 37;
    acc = acc.wrapping_mul(0x1656_6791_9E37_79F9);
    let h9to16 = acc ^ (acc >> 32);
    let m4 = u64::from(len >= 4).wrapping_neg();
    let m9 = u64::from(len > 8).wrapping_neg();
    let h = (h4to8 & m4) | (h1to3 & !m4);
    (h9to16 & m9) | (h & !m9)
}

impl<F: FnMut(&[u8])> WordSink for F {
    fn word(&mut self, w: &[u8]) {
        self(w)
    }
}

/// Emit the word `text[start..end]`, case-folded, when it has a letter or digit (a run of
/// `_` is not a word). `fold`: `FOLD_*` bits the word may have (none: it is its own case
/// folding; only [`FOLD_UPPER`]: it is ASCII).
#[inline(always)]
fn emit_word<S: WordSink>(
    text: &str,
    start: usize,
    end: usize,
    has_alnum: bool,
    fold: u8,
    buf: &mut String,
    emit: &mut S,
) {
    if !has_alnum {
        return;
    }
    let Some(word) = text.as_bytes().get(start..end) else {
        return;
    };
    if fold == 0 {
        emit.word(word);
        return;
    }
    if fold == FOLD_UPPER || word.is_ascii() {
        let mut tmp = [0u8; 64];
        if let Some(t) = tmp.get_mut(..word.len()) {
            t.copy_from_slice(word);
            t.make_ascii_lowercase();
            emit.word(t);
        } else {
            let mut v = word.to_vec();
            v.make_ascii_lowercase();
            emit.word(&v);
        }
        return;
    }
    let Some(word) = text.get(start..end) else {
        return;
    };
    buf.clear();
    for c in word.chars() {
        match c as u32 {
            0..=0x7F => buf.push(c.to_ascii_lowercase()),
            // Latin-1 upper-case letters (not ×) are their lower case minus 0x20.
            0xC0..=0xDE if c != '\u{D7}' => buf.push(char::from_u32(c as u32 + 0x20).unwrap_or(c)),
            0xDF..=0xFF => buf.push(c),
            _ => buf.extend(c.to_lowercase()),
        }
    }
    emit.word(buf.as_bytes());
}

/// Combine a window of token hashes into one well-mixed hash (order-sensitive).
#[inline]
pub fn combine(tokens: &[u64]) -> u64 {
    let mut h = 0x9E37_79B9_7F4A_7C15u64;
    for &t in tokens {
        h = (h.rotate_left(23) ^ t).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    }
    fmix64(h ^ tokens.len() as u64)
}

/// The murmur3 64-bit finalizer.
#[inline]
pub fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh() -> Shingler {
        Shingler {
            word_ngram: 3,
            char_ngram: 2,
            seed: 7,
        }
    }

    fn toks(text: &str) -> Tokens {
        let mut t = Tokens::default();
        sh().tokens(text, &mut t, &mut String::new());
        t
    }

    #[test]
    fn lines_are_passages_without_blank_lines() {
        let text = "one\ntwo two\n\u{20}\n";
        // The only blank line is at the end: lines are passages.
        assert_eq!(passages(text), vec![(0, 3), (4, 11)]);
    }

    #[test]
    fn passages_agree_with_splitting_on_newlines() {
        let pieces = [
            "a b",
            "",
            " ",
            "\u{A0}",
            "x",
            "long line of text here",
            "\t",
        ];
        let mut state = 5u64;
        for _ in 0..3000 {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
            let n = (state >> 60) as usize + 1;
            let text: Vec<&str> = (0..n)
                .map(|k| pieces[((state >> (k * 3 % 50)) as usize) % pieces.len()])
                .collect();
            let text = text.join("\n");
            // The reference: lines from `split`.
            let mut lines = Vec::new();
            let mut pos = 0;
            for line in text.split('\n') {
                lines.push((pos, pos + line.len(), line.trim().is_empty()));
                pos += line.len() + 1;
            }
            let mut got_lines = Vec::new();
            let mut got = Vec::new();
            passages_into(&text, &mut got_lines, &mut got);
            assert_eq!(got_lines, lines, "{text:?}");
        }
    }

    #[test]
    fn paragraphs_are_passages_with_blank_lines() {
        let text = "a b\nc\n\nd e\n\n\nf";
        let p = passages(text);
        let got: Vec<&str> = p.iter().map(|&(s, e)| &text[s..e]).collect();
        assert_eq!(got, ["a b\nc", "d e", "f"]);
    }

    #[test]
    fn case_folds_and_ignores_punctuation() {
        assert_eq!(
            toks("Über den Fluß, HEUTE!").hashes,
            toks("über den fluß heute").hashes
        );
        assert_ne!(toks("heute").hashes, toks("gestern").hashes);
    }

    /// The fast tokenizer agrees with `unicode_words` on every pattern of its alphabet.
    #[test]
    fn fast_words_agree_with_unicode_words() {
        let alphabet: Vec<char> = "aZ9_:.',; \u{B7}\u{2019}\u{2018}\u{AA}\u{B5}\u{E4}\u{DF}\u{C4}\u{17E}\u{24F}\u{A7}\u{AB}\u{BB}\u{D7}\u{2013}\u{201E}\u{201C}\u{2026}\u{20AC}\n-!\"(0"
            .chars()
            .collect();
        let mut state = 12345u64;
        let mut buf = String::new();
        for len in 1..28 {
            for _ in 0..3000 {
                let s: String = (0..len)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        alphabet[(state >> 33) as usize % alphabet.len()]
                    })
                    .collect();
                let expected: Vec<String> = s.unicode_words().map(|w| w.to_lowercase()).collect();
                let mut got: Vec<String> = Vec::new();
                fast_words(&s, &mut buf, &mut |w: &[u8]| {
                    got.push(String::from_utf8(w.to_vec()).expect("UTF-8 word"))
                })
                .expect("known alphabet");
                assert_eq!(got, expected, "{s:?}");
            }
        }
        assert!(fast_words("東京", &mut buf, &mut |_: &[u8]| ()).is_none());
        assert!(fast_words("soft\u{AD}hyphen", &mut buf, &mut |_: &[u8]| ()).is_none());
    }

    /// The 16-byte run finder agrees with the byte loop on every byte value.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn word_run16_agrees_with_the_byte_loop() {
        let mut state = 99u64;
        for round in 0..20000 {
            let mut block = [0u8; 16];
            for (j, b) in block.iter_mut().enumerate() {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let r = (state >> 33) as u8;
                // Mostly word characters, so long runs occur; every byte value sometimes.
                *b = if (r as usize + round + j) % 7 == 0 {
                    r
                } else {
                    b"aZ9_mQ0z"[r as usize % 8]
                };
            }
            let mut i = 0;
            let mut flags = 0u8;
            while i < 16 && BYTE_FLAGS[block[i] as usize] & B_WORD != 0 {
                flags |= BYTE_FLAGS[block[i] as usize];
                i += 1;
            }
            assert_eq!(sse2::word_run16(&block), (i, flags), "{block:?}");
        }
        for v in 0..=255u8 {
            let block = [v; 16];
            let n = if BYTE_FLAGS[v as usize] & B_WORD != 0 {
                16
            } else {
                0
            };
            let f = if n > 0 { BYTE_FLAGS[v as usize] } else { 0 };
            assert_eq!(sse2::word_run16(&block), (n, f), "{v}");
        }
    }

    #[test]
    fn xxh3_short_is_xxh3() {
        let mut state = 3u64;
        for seed in [0u64, 7, 0x005E_ED0F_D1CE, u64::MAX] {
            for len in 1..=16usize {
                for _ in 0..200 {
                    let mut p = [0u8; 16];
                    for b in p.iter_mut().take(len) {
                        state = state
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        *b = (state >> 56) as u8;
                    }
                    assert_eq!(
                        xxh3_short(&p, len, seed),
                        xxh3_64_with_seed(&p[..len], seed),
                        "{len} {p:?}"
                    );
                }
            }
        }
    }

    /// The block word finder agrees with a byte loop over ASCII word characters and
    /// two-byte Latin-1 letters, and lower-cases like `emit_word`.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn word16_agrees_with_a_byte_loop() {
        let alphabet = b"aZ9_mQ0zAM\xC3\xC3\x84\xA4\x9F\x97\xB7\xBF\x80\x9E";
        let mut state = 17u64;
        for _ in 0..50000 {
            let mut block = [0u8; 16];
            for (j, b) in block.iter_mut().enumerate() {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let r = (state >> 33) as u8;
                *b = if j > 0 && r % 9 == 0 {
                    r
                } else {
                    alphabet[r as usize % alphabet.len()]
                };
            }
            if BYTE_FLAGS[block[0] as usize] & B_WORD == 0 {
                block[0] = b'x';
            }
            let w = sse2::word16(&block);
            let mut n = 0;
            let mut flags = 0u8;
            let mut want = [0u8; 16];
            while n < 16 {
                let c = block[n];
                if BYTE_FLAGS[c as usize] & B_WORD != 0 {
                    flags |= BYTE_FLAGS[c as usize];
                    want[n] = c.to_ascii_lowercase();
                    n += 1;
                } else if c == 0xC3
                    && n + 1 < 16
                    && (0x80..=0xBF).contains(&block[n + 1])
                    && block[n + 1] != 0x97
                    && block[n + 1] != 0xB7
                {
                    flags |= B_WORD | B_ALNUM;
                    want[n] = 0xC3;
                    let d = block[n + 1];
                    want[n + 1] = if d <= 0x9E { d + 0x20 } else { d };
                    n += 2;
                } else {
                    break;
                }
            }
            assert_eq!((w.n, w.flags, w.lower), (n, flags, want), "{block:?}");
            // Where it lower-cased a Latin-1 letter, it agrees with str::to_lowercase.
            if let Ok(s) = std::str::from_utf8(&block[..n]) {
                assert_eq!(s.to_lowercase().as_bytes(), &want[..n], "{s}");
            }
        }
    }

    #[test]
    fn fast_and_slow_paths_hash_alike() {
        // "Straße" takes the fast path, "Straße\u{301}" (combining mark) the slow one.
        let a = toks("Die STRAßE ist 3.5 km lang");
        let b = toks("Die STRAßE ist 3.5 km lang \u{1F600}");
        assert_eq!(a.hashes, b.hashes);
    }

    #[test]
    fn cjk_is_split_into_characters() {
        let t = toks("東京都の天気");
        assert_eq!(t.hashes.len(), 6);
        assert_eq!(sh().ngram(&t), 2);
        let mut out = Vec::new();
        sh().shingles(&t, &mut out);
        assert_eq!(out.len(), 5);
    }

    #[test]
    fn short_passage_has_one_shingle() {
        let mut out = Vec::new();
        sh().shingles(&toks("Teilen"), &mut out);
        assert_eq!(out.len(), 1);
        sh().shingles(&toks("a b c d"), &mut out);
        assert_eq!(out.len(), 3);
    }
}
