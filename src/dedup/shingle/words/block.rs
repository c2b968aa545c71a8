//! The block tokenizer: [`fast_words`](super::fast_words) for text of ASCII, Latin-1
//! letters and common punctuation, 64 bytes at a time (the class masks of a block from
//! SSE2 or AVX2, [`Isa`]); words found first, then lower-cased and hashed four at a time.
use super::{emit_word, sse2, WordSink, FOLD_NON_ASCII, FOLD_UPPER};
use crate::dedup::shingle::isa::Isa;

/// Bit masks (bit i: byte i) of the classes of one 64-byte block that decide its word
/// boundaries (the Latin-1 ones only when the block has a non-ASCII byte).
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(in crate::dedup::shingle) struct Classes64 {
    /// `a-z`, `A-Z`.
    pub letter: u64,
    /// `0-9`.
    pub digit: u64,
    /// `_`.
    pub under: u64,
    /// Joins two letters: `:`, `.`, `'`.
    pub join_letter: u64,
    /// Joins two digits: `.`, `'`, `,`, `;`.
    pub join_digit: u64,
    /// Non-ASCII bytes.
    pub high: u64,
    /// `0xC3`, the lead byte of U+00C0..U+00FF.
    pub lead: u64,
    /// Continuation bytes `0x80..=0xBF`.
    pub cont: u64,
    /// `0x97`, `0xB7` (the second bytes of × and ÷).
    pub times_div: u64,
}

/// [`fast_words`](super::fast_words) for text of ASCII, the two-byte Latin-1 characters
/// U+00C0..U+00FF and the punctuation of [`punctuation_len`] (`None` for any other
/// character, after emitting some words maybe), 64 bytes at a time: each
/// block is classified once into bit masks, a word is a run of word characters and of
/// joiners between two letters or two digits (UAX #29 WB6/7, WB11/12, which look only at
/// the neighbours), and its start and end come from the bits where the mask changes (no
/// per-byte or per-word scan for the boundaries). Same words as `fast_words` (tested
/// against it and `unicode_words`).
#[inline(always)]
pub(in crate::dedup::shingle) fn block_words<I: Isa, S: WordSink>(
    isa: I,
    text: &str,
    buf: &mut String,
    emit: &mut S,
) -> Option<()> {
    let bytes = text.as_bytes();
    let mut tail = [0u8; 64];
    let mut base = 0usize;
    let mut in_word = false;
    let mut start = 0usize;
    let mut carry = 0u64; // the previous byte is in a word
    let mut prev_letter = 0u64; // the previous byte is (part of) a letter
    let mut prev_digit = 0u64; // ... a digit
    let mut prev_lead = 0u64; // ... the lead byte of a Latin-1 character
    let mut prev_lead_letter = 0u64; // ... of a Latin-1 letter
    let mut prev_other = 0u64; // the first bytes are the rest of a punctuation character
    let mut any_under = false; // a `_` so far: a word may lack a letter or digit

    // The words found and not emitted yet, as byte spans: the bit loop below only finds
    // them; they are lower-cased and hashed four at a time once 64 are waiting, and at
    // the end.
    let mut spans = Spans {
        list: [(0, 0); SPANS],
        found: 0,
    };
    let is_cont = |b: u8| (0x80..=0xBF).contains(&b);
    // U+00D7 × and U+00F7 ÷, the Latin-1 characters in C3 80..C3 BF that are no letters.
    let is_times_div = |b: u8| b == 0x97 || b == 0xB7;
    loop {
        let end = base >= bytes.len();
        // A block ends at most 32 words: room for the next one. At the end of the text
        // everything goes (one call site of `emit_spans` for both cases, so that its
        // four-word code is there once).
        if end || spans.found >= SPANS - 32 {
            if end && in_word {
                spans.push(start, bytes.len());
            }
            emit_spans(text, &mut spans, end, any_under, buf, emit);
            if end {
                return Some(());
            }
        }
        let block: &[u8; 64] = match bytes.get(base..base + 64) {
            Some(b) => b.try_into().ok()?,
            None => {
                // The last, partial block, zero-padded (0 is no word character).
                let rest = bytes.get(base..)?;
                tail.get_mut(..rest.len())?.copy_from_slice(rest);
                &tail
            }
        };
        let c = isa.classify64(block);
        let next = bytes.get(base + 64).copied().unwrap_or(0);
        let mut letter = c.letter;
        let mut next_letter = next.is_ascii_alphabetic();
        if c.high | prev_lead | prev_other != 0 || next >= 0x80 {
            // Latin-1 characters: C3 and a continuation byte; all letters but × ÷.
            let next2 = bytes.get(base + 65).copied().unwrap_or(0);
            let cont_after = (c.cont >> 1) | (u64::from(is_cont(next)) << 63);
            let times_div_after = (c.times_div >> 1) | (u64::from(is_times_div(next)) << 63);
            let lead = c.lead & cont_after;
            let lead_letter = lead & !times_div_after;
            // Any other non-ASCII byte must belong to a punctuation character that is no
            // part of a word (its bytes stay out of every mask), else the text is not for
            // this tokenizer.
            let mut unknown = c.high & !(lead | (lead << 1) | prev_lead | prev_other);
            prev_other = 0;
            while unknown != 0 {
                let p = unknown.trailing_zeros() as usize;
                let bits = (1u128 << punctuation_len(bytes, base + p)?) - 1;
                unknown &= !((bits << p) as u64);
                prev_other |= ((bits << p) >> 64) as u64;
            }
            letter |= lead_letter | (lead_letter << 1) | prev_lead_letter;
            next_letter |= next == 0xC3 && is_cont(next2) && !is_times_div(next2);
            prev_lead = lead >> 63;
            prev_lead_letter = lead_letter >> 63;
        }
        let letter_before = (letter << 1) | prev_letter;
        let letter_after = (letter >> 1) | (u64::from(next_letter) << 63);
        let digit_before = (c.digit << 1) | prev_digit;
        let digit_after = (c.digit >> 1) | (u64::from(next.is_ascii_digit()) << 63);
        let word = letter
            | c.digit
            | c.under
            | (c.join_letter & letter_before & letter_after)
            | (c.join_digit & digit_before & digit_after);
        any_under |= c.under != 0;
        // A word starts where `word` is set and the byte before is not, and ends (one past
        // its last byte) where it is clear and the byte before is set. Starts and ends
        // alternate, beginning with an end when a word goes on from the block before, so
        // the k-th start left pairs with the k-th end left.
        let before = (word << 1) | carry;
        let mut starts = word & !before;
        let mut ends = !word & before;
        if in_word && ends != 0 {
            let p = base + ends.trailing_zeros() as usize;
            ends &= ends - 1;
            spans.push(start, p);
            in_word = false;
        }
        if !in_word {
            while starts != 0 {
                let s = base + starts.trailing_zeros() as usize;
                starts &= starts - 1;
                if ends == 0 {
                    // The word goes on in the next block.
                    start = s;
                    in_word = true;
                    break;
                }
                let e = base + ends.trailing_zeros() as usize;
                ends &= ends - 1;
                spans.push(s, e);
            }
        }
        carry = word >> 63;
        prev_letter = letter >> 63;
        prev_digit = c.digit >> 63;
        base += 64;
    }
}

/// The length of the character at `bytes[i..]` when it is one of the non-ASCII
/// punctuation characters (UAX #29 class Other) that the block tokenizer takes as
/// separators, like ASCII punctuation: `¡`..`©`, `«`, `¬`, `®`..`±`, `´`, `¶`, `»`, `¿`,
/// `–`, `—`, `“`, `”`, `„`, `•`, `…`, `‹`, `›`, `€`. `None` for any other. (`wb_slow`
/// also has `¸` as Other, where `unicode_words` takes it for a letter: text with it stays
/// with `fast_words`, whose words it has always had.)
#[inline]
fn punctuation_len(bytes: &[u8], i: usize) -> Option<u32> {
    match bytes.get(i..)? {
        [0xC2, 0xA1..=0xA9 | 0xAB | 0xAC | 0xAE..=0xB1 | 0xB4 | 0xB6 | 0xBB | 0xBF, ..] => Some(2),
        [0xE2, 0x80, 0x93 | 0x94 | 0x9C..=0x9E | 0xA2 | 0xA6 | 0xB9 | 0xBA, ..]
        | [0xE2, 0x82, 0xAC, ..] => Some(3),
        _ => None,
    }
}

/// Room for the word spans of [`block_words`].
const SPANS: usize = 96;

/// Words found by [`block_words`] and not emitted yet, as byte spans.
struct Spans {
    list: [(usize, usize); SPANS],
    found: usize,
}

impl Spans {
    #[inline(always)]
    fn push(&mut self, start: usize, end: usize) {
        if let Some(slot) = self.list.get_mut(self.found) {
            *slot = (start, end);
            self.found += 1;
        }
    }
}

/// Emit the words of `spans`, four at a time when each is a usual word (see
/// [`usual_word`]); the last `found % 4` too when `all`, else they move to the
/// front to wait for more.
#[inline(always)]
fn emit_spans<S: WordSink>(
    text: &str,
    spans: &mut Spans,
    all: bool,
    any_under: bool,
    buf: &mut String,
    emit: &mut S,
) {
    let bytes = text.as_bytes();
    let found = spans.found.min(SPANS);
    let quads = found / 4;
    let window = usual_word(bytes, any_under);
    for q in spans.list[..4 * quads].chunks_exact(4) {
        match (window(q[0]), window(q[1]), window(q[2]), window(q[3])) {
            (Some(a), Some(b), Some(c), Some(d)) => {
                let lens = [
                    q[0].1 - q[0].0,
                    q[1].1 - q[1].0,
                    q[2].1 - q[2].0,
                    q[3].1 - q[3].0,
                ];
                emit.raw16x4([a, b, c, d], lens);
            }
            _ => {
                for &(s, e) in q {
                    emit_block_word(text, s, e, any_under, buf, emit);
                }
            }
        }
    }
    if all {
        for &(s, e) in &spans.list[4 * quads..found] {
            emit_block_word(text, s, e, any_under, buf, emit);
        }
        spans.found = 0;
    } else {
        spans.list.copy_within(4 * quads..found, 0);
        spans.found = found - 4 * quads;
    }
}

/// Emit the word `text[start..end]` of [`block_words`], case-folded, unless it has no
/// letter or digit (possible only when `any_under`; its non-ASCII bytes are letters).
#[inline(always)]
fn emit_block_word<S: WordSink>(
    text: &str,
    start: usize,
    end: usize,
    any_under: bool,
    buf: &mut String,
    emit: &mut S,
) {
    if let Some(arr) = usual_word(text.as_bytes(), any_under)((start, end)) {
        let n = end.wrapping_sub(start);
        emit.word16(&sse2::lower16(arr, n), n);
        return;
    }
    emit_block_word_rest(text, start, end, any_under, buf, emit);
}

/// For the span of a word of `bytes`, the 16 bytes of text from its start when it is a
/// usual word: at most 16 bytes, 16 bytes of text from its start on, no `_` in the text
/// so far (so it has a letter or digit); `None` for any other word. (A closure, as
/// `emit_spans` had it: a plain function of the span makes LLVM branch on each of the
/// four windows there instead of testing them together, 10 % more instructions in the
/// AVX2 tokenizer.)
#[inline(always)]
fn usual_word<'a>(
    bytes: &'a [u8],
    any_under: bool,
) -> impl Fn((usize, usize)) -> Option<&'a [u8; 16]> {
    move |(s, e)| {
        if any_under || e.wrapping_sub(s) > 16 {
            return None;
        }
        bytes.get(s..s + 16)?.try_into().ok()
    }
}

/// [`emit_block_word`] for the other words.
#[inline(always)]
fn emit_block_word_rest<S: WordSink>(
    text: &str,
    start: usize,
    end: usize,
    any_under: bool,
    buf: &mut String,
    emit: &mut S,
) {
    let bytes = text.as_bytes();
    let Some(word) = bytes.get(start..end) else {
        return;
    };
    if any_under && !word.iter().any(|&b| b.is_ascii_alphanumeric() || b >= 0x80) {
        return;
    }
    let n = word.len();
    if n <= 16 {
        // A zero-padded copy: `lower16` reads only the word's bytes (the Latin-1 test of
        // byte i looks back at byte i - 1) and zeroes the rest, so it gives what 16 bytes
        // of text from the word's start would.
        let mut arr = [0u8; 16];
        arr[..n].copy_from_slice(word);
        emit.word16(&sse2::lower16(&arr, n), n);
        return;
    }
    let fold = if word.iter().any(|&b| b.is_ascii_uppercase() || b >= 0x80) {
        FOLD_UPPER | FOLD_NON_ASCII
    } else {
        0
    };
    emit_word(text, start, end, true, fold, buf, emit);
}

#[cfg(test)]
mod tests {
    use super::super::{fast_words, HashSink};
    use super::*;
    use crate::dedup::shingle::isa::{Avx2, Baseline};
    use unicode_segmentation::UnicodeSegmentation;
    use xxhash_rust::xxh3::xxh3_64_with_seed;

    /// The 64-byte block tokenizer agrees with `unicode_words` (and with xxh3 of its words
    /// and `fast_words`, down to the hashes) on text of ASCII and Latin-1 characters of
    /// every length around the 64-byte block boundaries, and declines text with other
    /// characters; with the SSE2 classes and word hashes.
    #[test]
    fn block_words_agree_with_unicode_words_and_fast_words() {
        agree(Baseline);
    }

    /// The same with the AVX2 classes and word hashes.
    #[test]
    #[cfg_attr(not(rinse_host_avx2), ignore = "the build host has no AVX2")]
    fn simd_avx2_block_words_agree_with_unicode_words_and_fast_words() {
        agree(Avx2::require());
    }

    /// Long texts (hundreds of words, so the word spans are emitted while the blocks are
    /// still being read) of words of 1 to 30 bytes, upper and lower case, ASCII and
    /// Latin-1: the hashes are xxh3 of `unicode_words`' words, in order, with the usual
    /// words hashed four at a time between the others (with AVX2).
    #[test]
    fn long_texts_hash_like_xxh3_of_unicode_words() {
        long_texts(Baseline);
    }

    /// The same with the AVX2 classes and word hashes.
    #[test]
    #[cfg_attr(not(rinse_host_avx2), ignore = "the build host has no AVX2")]
    fn simd_avx2_long_texts_hash_like_xxh3_of_unicode_words() {
        long_texts(Avx2::require());
    }

    fn long_texts<I: Isa>(isa: I) {
        let letters: Vec<char> = "abcXYZ019\u{E4}\u{C4}\u{DF}\u{E9}".chars().collect();
        let seps: Vec<char> = " ,.\n-\"(".chars().collect();
        let mut state = crate::test_rng::Lcg::new(99);
        let mut next = || (state.step() >> 33) as usize;
        let mut buf = String::new();
        for round in 0..400 {
            let mut s = String::new();
            for _ in 0..(round % 7) * 100 + next() % 100 {
                // Mostly short words, sometimes one over 16 bytes.
                let n = if next() % 10 == 0 {
                    10 + next() % 21
                } else {
                    1 + next() % 8
                };
                for _ in 0..n {
                    s.push(letters[next() % letters.len()]);
                }
                s.push(seps[next() % seps.len()]);
            }
            let want: Vec<u64> = s
                .unicode_words()
                .map(|w| xxh3_64_with_seed(w.to_lowercase().as_bytes(), 5))
                .collect();
            let mut got = Vec::new();
            let mut sink = HashSink::new(&mut got, 5, isa);
            block_words(isa, &s, &mut buf, &mut sink).expect("known alphabet");
            sink.finish();
            assert_eq!(got, want, "{s:?}");
        }
    }

    /// Punctuation of two and three bytes at every position around a block boundary,
    /// next to letters, digits and joiners.
    #[test]
    fn punctuation_across_block_boundaries() {
        punctuation(Baseline);
    }

    /// The same with the AVX2 classes.
    #[test]
    #[cfg_attr(not(rinse_host_avx2), ignore = "the build host has no AVX2")]
    fn simd_avx2_punctuation_across_block_boundaries() {
        punctuation(Avx2::require());
    }

    fn punctuation<I: Isa>(isa: I) {
        let mut buf = String::new();
        for p in ["\u{2013}", "\u{20AC}", "\u{BB}", "\u{2026}", "\u{A9}"] {
            for around in ["b", "9", "\u{E4}", ".", "'", " "] {
                for offset in 50..70 {
                    let s = format!("{}{p}{around}x{p}{p}1 Z", "a".repeat(offset));
                    let want: Vec<String> = s.unicode_words().map(|w| w.to_lowercase()).collect();
                    let mut got: Vec<String> = Vec::new();
                    let mut sink =
                        |w: &[u8]| got.push(String::from_utf8(w.to_vec()).expect("UTF-8"));
                    let ok = block_words(isa, &s, &mut buf, &mut sink);
                    assert!(ok.is_some(), "{s:?}");
                    assert_eq!(got, want, "{s:?}");
                }
            }
        }
    }

    fn agree<I: Isa>(isa: I) {
        // Joiners and word characters dominate, so joins and long words cross blocks;
        // Latin-1 letters (upper and lower case), × ÷, and characters it declines.
        // The punctuation it takes (two and three bytes) is among them too.
        let alphabet: Vec<char> =
            "aZ9_:.',; \n-!\"(0bQqzA5x.:,\u{E4}\u{C4}\u{DF}\u{D7}\u{F7}\u{E9}\u{C9}\u{FF}\u{C0}\u{DE}\u{E4}\u{DC}\u{C2}\
             \u{2013}\u{2014}\u{201C}\u{201D}\u{201E}\u{2022}\u{2026}\u{2039}\u{203A}\u{20AC}\
             \u{A1}\u{A3}\u{A7}\u{A9}\u{AB}\u{AC}\u{AE}\u{B0}\u{B1}\u{B4}\u{B6}\u{BB}\u{BF}"
                .chars()
                .collect();
        // Characters it declines, some with the same first bytes as ones it takes.
        let rare: Vec<char> =
            "\u{B7}\u{2019}\u{2018}\u{17E}\u{AA}\u{B2}\u{A0}\u{AD}\u{BC}\u{2012}\u{2015}\u{201F}\u{20AD}\u{201A}\u{B8}"
                .chars()
                .collect();
        let mut state = crate::test_rng::Lcg::new(4242);
        let mut buf = String::new();
        let mut declined = 0;
        let seed = 9;
        for len in 0..200 {
            let rounds = if len % 64 < 3 || len % 64 > 61 {
                2000
            } else {
                300
            };
            for _ in 0..rounds {
                let s: String = (0..len)
                    .map(|_| {
                        let r = (state.step() >> 33) as usize;
                        if r.is_multiple_of(512) {
                            rare[(r >> 9) % rare.len()]
                        } else {
                            alphabet[r % alphabet.len()]
                        }
                    })
                    .collect();
                let mut got: Vec<String> = Vec::new();
                let ok = block_words(isa, &s, &mut buf, &mut |w: &[u8]| {
                    got.push(String::from_utf8(w.to_vec()).expect("UTF-8 word"))
                });
                if ok.is_none() {
                    assert!(s.chars().any(|c| rare.contains(&c)), "{s:?}");
                    declined += 1;
                    continue;
                }
                let expected: Vec<String> = s.unicode_words().map(|w| w.to_lowercase()).collect();
                assert_eq!(got, expected, "{s:?}");
                let (mut fast, mut blocks) = (Vec::new(), Vec::new());
                let mut sink = HashSink::new(&mut fast, seed, Baseline);
                fast_words(&s, &mut buf, &mut sink).expect("known alphabet");
                sink.finish();
                let mut sink = HashSink::new(&mut blocks, seed, isa);
                block_words(isa, &s, &mut buf, &mut sink).expect("known alphabet");
                sink.finish();
                let want: Vec<u64> = expected
                    .iter()
                    .map(|w| xxh3_64_with_seed(w.as_bytes(), seed))
                    .collect();
                assert_eq!(blocks, want, "{s:?}");
                assert_eq!(fast, want, "{s:?}");
            }
        }
        assert!(declined > 100);
        // Long words (over 16 bytes, across blocks) and words at the very end.
        let long = format!("{} {}", "Ab_9\u{C4}".repeat(40), "x.\u{DC}".repeat(30));
        let expected: Vec<String> = long.unicode_words().map(|w| w.to_lowercase()).collect();
        let mut got: Vec<String> = Vec::new();
        block_words(isa, &long, &mut buf, &mut |w: &[u8]| {
            got.push(String::from_utf8(w.to_vec()).expect("UTF-8 word"))
        })
        .expect("known alphabet");
        assert_eq!(got, expected);
        assert!(block_words(isa, "abc d\u{2019}", &mut buf, &mut |_: &[u8]| ()).is_none());
        assert!(block_words(isa, "abc d\u{2013}", &mut buf, &mut |_: &[u8]| ()).is_some());
    }
}
