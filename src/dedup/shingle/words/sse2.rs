//! SSE2 (x86_64 baseline) helpers of the fast tokenizer: word runs and lower-casing 16
//! bytes at a time, the class masks of a 64-byte block.
use super::{Classes64, B_ALNUM, B_UPPER, B_WORD};
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

/// The [`Classes64`] of `block`, 16 bytes per SSE2 step.
#[inline(always)]
pub(in crate::dedup::shingle) fn classify64(block: &[u8; 64]) -> Classes64 {
    let mut c = Classes64::default();
    for (k, chunk) in block.chunks_exact(16).enumerate() {
        let Ok(arr) = <&[u8; 16]>::try_from(chunk) else {
            continue;
        };
        let shift = 16 * k as u32;
        let bits = |m: i32| u64::from(m as u16) << shift;
        // SAFETY: SSE2 is part of the x86_64 baseline; the load reads the 16 bytes of `arr`.
        unsafe {
            let x = _mm_loadu_si128(arr.as_ptr().cast());
            let eq = |b: u8| _mm_cmpeq_epi8(x, _mm_set1_epi8(b as i8));
            let folded = _mm_or_si128(x, _mm_set1_epi8(0x20));
            let mid_num_let = _mm_or_si128(eq(b'.'), eq(b'\''));
            c.letter |= bits(in_range(folded, b'a', b'z'));
            c.digit |= bits(in_range(x, b'0', b'9'));
            c.under |= bits(_mm_movemask_epi8(eq(b'_')));
            c.join_letter |= bits(_mm_movemask_epi8(_mm_or_si128(mid_num_let, eq(b':'))));
            c.join_digit |= bits(_mm_movemask_epi8(_mm_or_si128(
                mid_num_let,
                _mm_or_si128(eq(b','), eq(b';')),
            )));
            let high = _mm_movemask_epi8(x);
            c.high |= bits(high);
            if high != 0 {
                c.lead |= bits(_mm_movemask_epi8(eq(0xC3)));
                c.cont |= bits(_mm_movemask_epi8(in_range_v(x, 0x80, 0xBF)));
                c.times_div |= bits(_mm_movemask_epi8(_mm_or_si128(eq(0x97), eq(0xB7))));
            }
        }
    }
    c
}

/// 16 bytes of ones, then 16 of zeros: from `16 - n` on, the mask of the first `n` bytes.
pub(in crate::dedup::shingle) static KEEP: [u8; 32] = {
    let mut k = [0u8; 32];
    let mut i = 0;
    while i < 16 {
        k[i] = 0xFF;
        i += 1;
    }
    k
};

/// The first `n` (at most 16) bytes of `arr`, a word of ASCII and Latin-1 letters,
/// lower-cased, zero after them.
#[inline(always)]
pub(in crate::dedup::shingle) fn lower16(arr: &[u8; 16], n: usize) -> [u8; 16] {
    let mut lower = [0u8; 16];
    // SAFETY: SSE2 is part of the x86_64 baseline; the loads touch the 16 bytes of `arr`
    // and 16 of the 32 of `KEEP` (from `16 - n`, `n <= 16`), the store the 16 of `lower`.
    unsafe {
        let x = _mm_loadu_si128(arr.as_ptr().cast());
        let keep = _mm_loadu_si128(KEEP.as_ptr().add(16 - n.min(16)).cast());
        // ASCII upper case, and the second byte of a Latin-1 upper-case letter (C3 80..C3
        // 9E; × is no word character): both lower-case by adding 0x20.
        let latin_upper = _mm_and_si128(
            _mm_slli_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(0xC3u8 as i8)), 1),
            in_range_v(x, 0x80, 0x9E),
        );
        let up = _mm_and_si128(
            _mm_or_si128(in_range_v(x, b'A', b'Z'), latin_upper),
            _mm_set1_epi8(0x20),
        );
        _mm_storeu_si128(
            lower.as_mut_ptr().cast(),
            _mm_and_si128(_mm_or_si128(x, up), keep),
        );
    }
    lower
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

#[cfg(test)]
mod tests {
    use super::super::{BYTE_FLAGS, B_ALNUM, B_WORD};
    use super::*;

    /// The 16-byte run finder agrees with the byte loop on every byte value.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn word_run16_agrees_with_the_byte_loop() {
        let mut state = crate::test_rng::Lcg::new(99);
        for round in 0..20000 {
            let mut block = [0u8; 16];
            for (j, b) in block.iter_mut().enumerate() {
                let r = (state.step() >> 33) as u8;
                // Mostly word characters, so long runs occur; every byte value sometimes.
                *b = if (r as usize + round + j).is_multiple_of(7) {
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
            assert_eq!(word_run16(&block), (i, flags), "{block:?}");
        }
        for v in 0..=255u8 {
            let block = [v; 16];
            let n = if BYTE_FLAGS[v as usize] & B_WORD != 0 {
                16
            } else {
                0
            };
            let f = if n > 0 { BYTE_FLAGS[v as usize] } else { 0 };
            assert_eq!(word_run16(&block), (n, f), "{v}");
        }
    }

    /// The block word finder agrees with a byte loop over ASCII word characters and
    /// two-byte Latin-1 letters, and lower-cases like `emit_word`.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn word16_agrees_with_a_byte_loop() {
        let alphabet = b"aZ9_mQ0zAM\xC3\xC3\x84\xA4\x9F\x97\xB7\xBF\x80\x9E";
        let mut state = crate::test_rng::Lcg::new(17);
        for _ in 0..50000 {
            let mut block = [0u8; 16];
            for (j, b) in block.iter_mut().enumerate() {
                let r = (state.step() >> 33) as u8;
                *b = if j > 0 && r.is_multiple_of(9) {
                    r
                } else {
                    alphabet[r as usize % alphabet.len()]
                };
            }
            if BYTE_FLAGS[block[0] as usize] & B_WORD == 0 {
                block[0] = b'x';
            }
            let w = word16(&block);
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
}
