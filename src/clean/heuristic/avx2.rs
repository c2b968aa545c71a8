//! AVX2 classifier of [`super::blocks`]: 32 bytes at a time, for CPUs that have it
//! (detected at run time; the SSE2 classifier is the fallback).
use super::blocks::{self, Classify, Masks};
use super::Features;
use std::arch::x86_64::*;

struct Avx2;

// SAFETY (all functions below): only called from `features`, which runs only where the
// CPU has AVX2 and POPCNT (`available`), and they only read the 32 bytes of a block.

/// Lane mask of the bytes of `x` in `lo..=hi` (unsigned, any byte).
#[inline(always)]
unsafe fn in_range(x: __m256i, lo: u8, hi: u8) -> __m256i {
    let y = _mm256_add_epi8(x, _mm256_set1_epi8(0x80u8.wrapping_sub(lo) as i8));
    let limit = _mm256_set1_epi8((0x80u8.wrapping_add(hi - lo + 1)) as i8);
    _mm256_cmpgt_epi8(limit, y)
}

#[inline(always)]
unsafe fn eq(x: __m256i, b: u8) -> __m256i {
    _mm256_cmpeq_epi8(x, _mm256_set1_epi8(b as i8))
}

#[inline(always)]
unsafe fn or(a: __m256i, b: __m256i) -> __m256i {
    _mm256_or_si256(a, b)
}

#[inline(always)]
unsafe fn mask(x: __m256i) -> u32 {
    _mm256_movemask_epi8(x) as u32
}

impl Classify for Avx2 {
    /// Classify the 32 bytes from `i` (an ASCII byte, `i < bytes.len()`).
    #[inline(always)]
    fn masks(bytes: &[u8], i: usize) -> Masks {
        // The 32 bytes from `i`; near the end of a line of 32 bytes or more, the last 32
        // bytes, the masks then shifted right by `shift` (no copy).
        let mut pad = [0u8; 32];
        let (block, shift, avail): (&[u8; 32], usize, usize) = match bytes[i..].first_chunk() {
            Some(b) => (b, 0, 32),
            None => match bytes.last_chunk() {
                Some(b) => (b, i + 32 - bytes.len(), bytes.len() - i),
                None => {
                    pad[..bytes.len() - i].copy_from_slice(&bytes[i..]);
                    (&pad, 0, bytes.len() - i)
                }
            },
        };
        // SAFETY: see above.
        unsafe {
            let x = _mm256_loadu_si256(block.as_ptr().cast());
            let mask = |v: __m256i| u64::from(mask(v) >> shift);
            // Stop at the first non-ASCII byte, or after the bytes of the line.
            let stop = mask(x) | (!0u64 << avail) | (1 << 32);
            let len = stop.trailing_zeros() as usize;
            let alpha = in_range(or(x, _mm256_set1_epi8(0x20)), b'a', b'z');
            let digit = in_range(x, b'0', b'9');
            let ws = or(eq(x, b' '), in_range(x, b'\t', b'\r'));
            let punct = or(
                or(in_range(x, b'!', b'"'), in_range(x, b'\'', b')')),
                or(
                    or(in_range(x, b',', b'.'), in_range(x, b':', b';')),
                    eq(x, b'?'),
                ),
            );
            Masks {
                len,
                word: mask(or(alpha, digit)),
                ws: mask(ws),
                upper: mask(in_range(x, b'A', b'Z')),
                plain: mask(or(or(alpha, ws), punct)),
                colon: mask(eq(x, b':')),
                at: mask(eq(x, b'@')),
                w: mask(eq(x, b'w')),
            }
        }
    }

    #[inline(always)]
    fn popcount(m: u64) -> usize {
        m.count_ones() as usize
    }
}

/// Whether this CPU can run [`features`].
pub(super) fn available() -> bool {
    is_x86_feature_detected!("avx2") && is_x86_feature_detected!("popcnt")
}

/// [`super::features`] with AVX2.
///
/// # Safety
/// The CPU must have AVX2 and POPCNT ([`available`]).
#[target_feature(enable = "avx2,popcnt")]
pub(super) unsafe fn features(content: &str, buf: &mut String) -> Features {
    blocks::features::<Avx2>(content, buf)
}
