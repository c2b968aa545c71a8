//! Passages and shingles: cutting a text into passages, words into case-folded token
//! hashes (seeded xxh3), and token windows into 32-bit shingle hashes.
//!
//! Words come from `unicode_words` (UAX #29), case-folded. Words written in a script
//! without spaces (Han, Hiragana, Katakana, Hangul, Thai, Lao, Khmer, Myanmar) are split
//! into single characters, and a passage made mostly of such characters is shingled with
//! the character n-gram size instead of the word n-gram size.
use crate::document::is_ascii_non_space;
#[cfg(target_arch = "x86_64")]
use isa::Avx2;
use isa::{Baseline, Isa};
use unicode_segmentation::UnicodeSegmentation;
#[cfg(target_arch = "x86_64")]
use words::block_words;
use words::{fast_words, HashSink};
use xxhash_rust::xxh3::xxh3_64_with_seed;

#[cfg(target_arch = "x86_64")]
mod avx2;
mod isa;
mod short_hash;
mod words;

pub(crate) use short_hash::xxh3_4to8;

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
    for nl in memchr::memchr_iter(b'\n', text.as_bytes()) {
        lines.push((pos, nl, is_blank(text.get(pos..nl).unwrap_or(""))));
        pos = nl + 1;
    }
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

/// `line.trim().is_empty()`, without the Unicode path for the usual line that starts
/// with an ASCII non-space character.
#[inline]
fn is_blank(line: &str) -> bool {
    match line.as_bytes().first() {
        None => true,
        Some(&b) if is_ascii_non_space(b) => false,
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
        #[cfg(target_arch = "x86_64")]
        let fast = match Avx2::detect() {
            // SAFETY: the CPU has AVX2 (a value of `Avx2` exists).
            Some(avx2) => unsafe { fast_tokens_avx2(avx2, text, self.seed, &mut out.hashes, buf) },
            None => fast_tokens(Baseline, text, self.seed, &mut out.hashes, buf),
        };
        #[cfg(not(target_arch = "x86_64"))]
        let fast = fast_tokens(Baseline, text, self.seed, &mut out.hashes, buf);
        if fast {
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
        #[cfg(target_arch = "x86_64")]
        if n == 5 && Avx2::detect().is_some() {
            // SAFETY: the CPU has AVX2 (just detected).
            unsafe { avx2::shingles::<5>(t, out) };
            return;
        }
        out.reserve(t.len() + 1 - n);
        match n {
            // The default n-gram size with a window of fixed length: the combining loop is
            // unrolled and the windows need no length checks.
            5 => shingles_of::<5>(t, out),
            3 => shingles_of::<3>(t, out),
            _ => out.extend(t.windows(n).map(|w| combine(w) as u32)),
        }
    }
}

/// The token hashes of `text` from one of the fast tokenizers into `out` (empty): the
/// block tokenizer, else the byte-loop one; `false` when neither knows all of its
/// characters (then `out` holds some of the tokens).
#[inline(always)]
fn fast_tokens<I: Isa>(
    isa: I,
    text: &str,
    seed: u64,
    out: &mut Vec<u64>,
    buf: &mut String,
) -> bool {
    let mut sink = HashSink::new(out, seed, isa);
    #[cfg(target_arch = "x86_64")]
    if block_words(isa, text, buf, &mut sink).is_some() {
        sink.finish();
        return true;
    }
    sink.clear();
    if fast_words(text, buf, &mut sink).is_some() {
        sink.finish();
        return true;
    }
    false
}

/// [`fast_tokens`] compiled for AVX2 (the classes, the word hashes and what is around
/// them).
///
/// # Safety
/// The CPU must have AVX2 (`isa` says it has).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn fast_tokens_avx2(
    isa: Avx2,
    text: &str,
    seed: u64,
    out: &mut Vec<u64>,
    buf: &mut String,
) -> bool {
    fast_tokens(isa, text, seed, out, buf)
}

/// [`Shingler::shingles`] for windows of `N` tokens (`N <= t.len()`).
#[inline]
fn shingles_of<const N: usize>(t: &[u64], out: &mut Vec<u32>) {
    out.extend(t.windows(N).map(|w| match <&[u64; N]>::try_from(w) {
        Ok(w) => combine(w) as u32,
        Err(_) => combine(w) as u32,
    }));
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

    /// The fixed-size window paths hash like the general one.
    #[test]
    fn fixed_windows_agree_with_the_general_loop() {
        let t = Tokens {
            hashes: (0..40u64)
                .map(|x| x.wrapping_mul(0x9E37_79B9_7F4A_7C15))
                .collect(),
            unspaced: 0,
        };
        for n in 1..8 {
            let s = Shingler {
                word_ngram: n,
                char_ngram: n,
                seed: 1,
            };
            for len in 0..t.hashes.len() {
                let part = Tokens {
                    hashes: t.hashes[..len].to_vec(),
                    unspaced: 0,
                };
                let mut got = Vec::new();
                s.shingles(&part, &mut got);
                let k = n.min(len);
                let want: Vec<u32> = if len == 0 {
                    Vec::new()
                } else {
                    part.hashes.windows(k).map(|w| combine(w) as u32).collect()
                };
                assert_eq!(got, want, "n {n} len {len}");
            }
        }
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
