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
    use xxhash_rust::xxh3::xxh3_64_with_seed;

    /// Four words lower-cased and hashed at once hash like xxh3 of each word's
    /// `to_lowercase`, for every length in every lane, ASCII and Latin-1 letters of both
    /// cases, with bytes after the word that must not count.
    #[test]
    fn lower_xxh3_short4_is_xxh3_of_the_lower_case_words() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            return;
        }
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
            // SAFETY: the CPU supports AVX2 (checked above).
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
    fn avx2_classes_agree_with_sse2() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            return;
        }
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
            // SAFETY: the CPU supports AVX2 (checked above).
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
}
