//! AVX2 helpers of the block tokenizer: the class masks of a 64-byte block in two 32-byte
//! steps (the SSE2 version, [`super::sse2::classify64`], takes four and assembles twice
//! as many mask pieces), and four words lower-cased two per register and hashed.
use super::sse2::KEEP;
use super::Classes64;
use crate::dedup::shingle::short_hash::avx2::xxh3_short4_v;
use crate::dedup::shingle::short_hash::ShortKeys;
use std::arch::x86_64::*;

/// The hashes of four words of ASCII and Latin-1 letters, each the first `lens[i]`
/// (1 to 16) bytes of `raw[i]`, lower-cased as [`super::sse2::lower16`] does:
/// `xxh3_short` of each, computed without leaving the registers.
///
/// # Safety
/// The CPU must have AVX2. Not a `target_feature` function, so that it is always
/// inlined: into AVX2 code (`fast_tokens_avx2`), which makes its intrinsics inline.
#[inline(always)]
pub(in crate::dedup::shingle) unsafe fn lower_xxh3_short4(
    raw: [&[u8; 16]; 4],
    lens: [usize; 4],
    keys: &ShortKeys,
) -> [u64; 4] {
    let n = lens.map(|n| n.min(16));
    // SAFETY: AVX2 is enabled; `lower2` reads the 16 bytes of each word and 16 of `KEEP`
    // from `16 - n` (`n <= 16`).
    unsafe {
        let w01 = lower2(raw[0], raw[1], n[0], n[1]);
        let w23 = lower2(raw[2], raw[3], n[2], n[3]);
        let lens = _mm256_setr_epi64x(n[0] as i64, n[1] as i64, n[2] as i64, n[3] as i64);
        xxh3_short4_v(w01, w23, lens, keys)
    }
}

/// Words `a` (low half) and `b` (high half) lower-cased, zero after their lengths.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn lower2(a: &[u8; 16], b: &[u8; 16], na: usize, nb: usize) -> __m256i {
    // SAFETY: AVX2 is enabled; the loads read the 16 bytes of `a` and `b` and 16 bytes
    // of `KEEP` from `16 - na` and `16 - nb` (both at most 16).
    unsafe {
        let x = _mm256_loadu2_m128i(b.as_ptr().cast(), a.as_ptr().cast());
        let keep = _mm256_loadu2_m128i(
            KEEP.as_ptr().add(16 - nb.min(16)).cast(),
            KEEP.as_ptr().add(16 - na.min(16)).cast(),
        );
        // ASCII upper case, and the second byte of a Latin-1 upper-case letter (C3 80..C3
        // 9E): both lower-case by adding 0x20. The byte shift stays within each word's
        // 128-bit half.
        let latin_upper =
            _mm256_and_si256(_mm256_slli_si256(eq(x, 0xC3), 1), in_range(x, 0x80, 0x9E));
        let up = _mm256_and_si256(
            _mm256_or_si256(in_range(x, b'A', b'Z'), latin_upper),
            _mm256_set1_epi8(0x20),
        );
        _mm256_and_si256(_mm256_or_si256(x, up), keep)
    }
}

/// The [`Classes64`] of `block`, as [`super::sse2::classify64`] computes them.
///
/// # Safety
/// The CPU must have AVX2.
#[target_feature(enable = "avx2")]
#[inline]
pub(in crate::dedup::shingle) unsafe fn classify64(block: &[u8; 64]) -> Classes64 {
    // SAFETY: AVX2 is enabled; `half` reads 32 bytes at offset 0 or 32 of `block`.
    unsafe {
        let lo = half(block.as_ptr());
        let hi = half(block.as_ptr().add(32));
        let join = |l: u32, h: u32| u64::from(l) | (u64::from(h) << 32);
        let mut c = Classes64 {
            letter: join(lo.letter, hi.letter),
            digit: join(lo.digit, hi.digit),
            under: join(lo.under, hi.under),
            join_letter: join(lo.join_letter, hi.join_letter),
            join_digit: join(lo.join_digit, hi.join_digit),
            high: join(lo.high, hi.high),
            ..Classes64::default()
        };
        if c.high != 0 {
            let (l, h) = (latin(lo.x), latin(hi.x));
            c.lead = join(l.0, h.0);
            c.cont = join(l.1, h.1);
            c.times_div = join(l.2, h.2);
        }
        c
    }
}

/// The ASCII class masks of 32 bytes, and the bytes.
struct Half {
    x: __m256i,
    letter: u32,
    digit: u32,
    under: u32,
    join_letter: u32,
    join_digit: u32,
    high: u32,
}

#[target_feature(enable = "avx2")]
#[inline]
unsafe fn half(p: *const u8) -> Half {
    // SAFETY: AVX2 is enabled; the caller passes 32 readable bytes.
    unsafe {
        let x = _mm256_loadu_si256(p.cast());
        let folded = _mm256_or_si256(x, _mm256_set1_epi8(0x20));
        let mid_num_let = _mm256_or_si256(eq(x, b'.'), eq(x, b'\''));
        Half {
            x,
            letter: mask(in_range(folded, b'a', b'z')),
            digit: mask(in_range(x, b'0', b'9')),
            under: mask(eq(x, b'_')),
            join_letter: mask(_mm256_or_si256(mid_num_let, eq(x, b':'))),
            join_digit: mask(_mm256_or_si256(
                mid_num_let,
                _mm256_or_si256(eq(x, b','), eq(x, b';')),
            )),
            high: mask(x),
        }
    }
}

/// Masks of `0xC3`, of the continuation bytes and of `0x97`/`0xB7` in `x`.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn latin(x: __m256i) -> (u32, u32, u32) {
    // SAFETY: AVX2 is enabled.
    unsafe {
        (
            mask(eq(x, 0xC3)),
            mask(in_range(x, 0x80, 0xBF)),
            mask(_mm256_or_si256(eq(x, 0x97), eq(x, 0xB7))),
        )
    }
}

/// The top bit of every byte.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn mask(v: __m256i) -> u32 {
    _mm256_movemask_epi8(v) as u32
}

/// Lane mask of the bytes equal to `b`.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn eq(x: __m256i, b: u8) -> __m256i {
    _mm256_cmpeq_epi8(x, _mm256_set1_epi8(b as i8))
}

/// Lane mask of the bytes in `lo..=hi` (exact for every byte value: the range is moved to
/// the bottom of the signed bytes and compared there).
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn in_range(x: __m256i, lo: u8, hi: u8) -> __m256i {
    let y = _mm256_add_epi8(x, _mm256_set1_epi8(0x80u8.wrapping_sub(lo) as i8));
    let limit = _mm256_set1_epi8(0x80u8.wrapping_add(hi - lo + 1) as i8);
    _mm256_cmpgt_epi8(limit, y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::{self, Feature};
    use crate::dedup::shingle::isa::{Avx2, Baseline, Isa};
    use proptest::collection::vec;
    use proptest::prelude::*;
    use xxhash_rust::xxh3::xxh3_64_with_seed;

    /// Four words lower-cased and hashed at once hash like xxh3 of each word's
    /// `to_lowercase`, for every length in every lane, ASCII and Latin-1 letters of both
    /// cases, with bytes after the word that must not count.
    #[test]
    #[cfg_attr(not(rinse_host_avx2), ignore = "the build host has no AVX2")]
    fn simd_avx2_lower_xxh3_short4_is_xxh3_of_the_lower_case_words() {
        cpu::require(&[Feature::Avx2]);
        let letters: Vec<char> =
            "aZmQ09_\u{C4}\u{E4}\u{DC}\u{FC}\u{DF}\u{C0}\u{DE}\u{FE}\u{FF}\u{C9}"
                .chars()
                .collect();
        let keys = ShortKeys::new(0x005E_ED0F_D1CE);
        let mut state = crate::test_rng::Lcg::new(31);
        let mut next = || (state.step() >> 33) as usize;
        for round in 0..20_000 {
            let mut raw = [[0u8; 16]; 4];
            let mut lens = [0usize; 4];
            let mut words: Vec<String> = Vec::new();
            for (i, (r, len)) in raw.iter_mut().zip(&mut lens).enumerate() {
                let want = if round < 64 {
                    (round + 3 * i) % 16 + 1
                } else {
                    next() % 16 + 1
                };
                let mut w = String::new();
                while w.len() < want {
                    let c = letters[next() % letters.len()];
                    if w.len() + c.len_utf8() <= want {
                        w.push(c);
                    } else {
                        w.push('x');
                    }
                }
                r[..w.len()].copy_from_slice(w.as_bytes());
                // What follows the word in the text: anything, upper case included.
                for b in r.iter_mut().skip(w.len()) {
                    *b = b"A.\xC3 Z"[next() % 5];
                }
                *len = w.len();
                words.push(w);
            }
            // SAFETY: the CPU supports AVX2 (`cpu::require` above).
            let got =
                unsafe { lower_xxh3_short4([&raw[0], &raw[1], &raw[2], &raw[3]], lens, &keys) };
            for (i, w) in words.iter().enumerate() {
                let want = xxh3_64_with_seed(w.to_lowercase().as_bytes(), keys.seed);
                assert_eq!(got[i], want, "lane {i}: {w:?} of {words:?}");
            }
        }
    }

    /// The AVX2 classes agree with the SSE2 ones on random blocks: bytes of every value,
    /// mostly the ones with a class, and blocks with and without non-ASCII bytes.
    #[test]
    #[cfg_attr(not(rinse_host_avx2), ignore = "the build host has no AVX2")]
    fn simd_avx2_classes_agree_with_sse2() {
        cpu::require(&[Feature::Avx2]);
        let classy = b"aZ9_:.',;\x00 \xC3\x80\x97\xB7\xBF\xC0\xE2`{@[/";
        let mut state = crate::test_rng::Lcg::new(5);
        for round in 0..50_000 {
            let mut block = [0u8; 64];
            let ascii_only = round % 3 == 0;
            for b in block.iter_mut() {
                let r = (state.step() >> 33) as u8;
                *b = if r.is_multiple_of(4) {
                    r
                } else {
                    classy[r as usize % classy.len()]
                };
                if ascii_only {
                    *b &= 0x7F;
                }
            }
            // SAFETY: the CPU supports AVX2 (`cpu::require` above).
            let got = unsafe { classify64(&block) };
            assert_eq!(got, super::super::sse2::classify64(&block), "{block:?}");
        }
        for v in 0..=255u8 {
            let block = [v; 64];
            // SAFETY: as above.
            let got = unsafe { classify64(&block) };
            assert_eq!(got, super::super::sse2::classify64(&block), "{v}");
        }
    }

    /// The [`Classes64`] of `block` byte by byte: the definition both vector versions
    /// compute.
    fn classes_reference(block: &[u8; 64]) -> Classes64 {
        let mask =
            |f: &dyn Fn(u8) -> bool| (0..64).fold(0u64, |m, i| m | u64::from(f(block[i])) << i);
        Classes64 {
            letter: mask(&|b| b.is_ascii_alphabetic()),
            digit: mask(&|b| b.is_ascii_digit()),
            under: mask(&|b| b == b'_'),
            join_letter: mask(&|b| matches!(b, b'.' | b'\'' | b':')),
            join_digit: mask(&|b| matches!(b, b'.' | b'\'' | b',' | b';')),
            high: mask(&|b| b >= 0x80),
            lead: mask(&|b| b == 0xC3),
            cont: mask(&|b| (0x80..=0xBF).contains(&b)),
            times_div: mask(&|b| matches!(b, 0x97 | 0xB7)),
        }
    }

    /// 64-byte blocks: arbitrary bytes, mostly ones with a class, some all ASCII.
    fn block64() -> impl Strategy<Value = [u8; 64]> {
        let classy = b"aZz09_:.',;\x00 \xC3\x80\x97\xB7\xBF\xC0\xE2`{@[/AQ".to_vec();
        let byte = prop_oneof![any::<u8>(), prop::sample::select(classy)];
        (vec(byte, 64), any::<bool>()).prop_map(|(v, ascii)| {
            let mut block = [0u8; 64];
            for (b, v) in block.iter_mut().zip(v) {
                *b = if ascii { v & 0x7F } else { v };
            }
            block
        })
    }

    /// The characters of a word the batched hashes take: ASCII letters, digits, `_` and
    /// joiners, the Latin-1 letters U+00C0..U+00FF but × ÷.
    fn word_char() -> impl Strategy<Value = char> {
        let chars: Vec<char> = ('a'..='z')
            .chain('A'..='Z')
            .chain('0'..='9')
            .chain("_.':,;".chars())
            .chain(('\u{C0}'..='\u{FF}').filter(|c| !matches!(c, '\u{D7}' | '\u{F7}')))
            .collect();
        prop::sample::select(chars)
    }

    /// Four words of 1 to 16 bytes of [`word_char`]s, each followed by arbitrary bytes.
    fn four_raw_words() -> impl Strategy<Value = Vec<(String, [u8; 16])>> {
        let word = (vec(word_char(), 1..=16), any::<[u8; 16]>()).prop_map(|(cs, mut raw)| {
            let mut w = String::new();
            for c in cs {
                if w.len() + c.len_utf8() <= 16 {
                    w.push(c);
                }
            }
            raw[..w.len()].copy_from_slice(w.as_bytes());
            (w, raw)
        });
        vec(word, 4)
    }

    /// [`Isa::lower_xxh3_short4`] of `isa` is xxh3 of each word's `to_lowercase`.
    fn lower_short4_agrees<I: Isa + std::fmt::Debug>(
        isa: I,
        words: &[(String, [u8; 16])],
        seed: u64,
    ) -> Result<(), TestCaseError> {
        let keys = ShortKeys::new(seed);
        let raw = [&words[0].1, &words[1].1, &words[2].1, &words[3].1];
        let lens = [0, 1, 2, 3].map(|i| words[i].0.len());
        let got = isa.lower_xxh3_short4(raw, lens, &keys);
        for (i, (w, _)) in words.iter().enumerate() {
            let want = xxh3_64_with_seed(w.to_lowercase().as_bytes(), seed);
            prop_assert_eq!(got[i], want, "{:?}: lane {}: {:?}", isa, i, w);
        }
        Ok(())
    }

    // Differential tests (`simd_*`; a long run: see `crate::cpu`).
    proptest! {
        #[test]
        fn simd_classes_sse2(block in block64()) {
            prop_assert_eq!(super::super::sse2::classify64(&block), classes_reference(&block));
        }

        #[test]
        #[cfg_attr(not(rinse_host_avx2), ignore = "the build host has no AVX2")]
        fn simd_classes_avx2(block in block64()) {
            cpu::require(&[Feature::Avx2]);
            // SAFETY: the CPU supports AVX2 (`cpu::require` above).
            let got = unsafe { classify64(&block) };
            prop_assert_eq!(got, classes_reference(&block));
        }

        #[test]
        fn simd_lower_short4_baseline(words in four_raw_words(), seed in any::<u64>()) {
            lower_short4_agrees(Baseline, &words, seed)?;
        }

        #[test]
        #[cfg_attr(not(rinse_host_avx2), ignore = "the build host has no AVX2")]
        fn simd_lower_short4_avx2(words in four_raw_words(), seed in any::<u64>()) {
            lower_short4_agrees(Avx2::require(), &words, seed)?;
        }
    }
}
