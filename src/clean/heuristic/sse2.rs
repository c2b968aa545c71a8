//! SSE2 (x86_64 baseline) classifier of [`super::blocks`]: 16 bytes at a time.
use super::blocks::{self, Classify, Masks};
use super::Features;
use std::arch::x86_64::*;

struct Sse2;

impl Classify for Sse2 {
    #[inline(always)]
    fn masks(bytes: &[u8], i: usize) -> Masks {
        masks(bytes, i)
    }

    #[inline(always)]
    fn popcount(m: u64) -> usize {
        popcount16(m)
    }
}

/// [`super::features`] with SSE2.
pub(super) fn features(content: &str, buf: &mut String) -> Features {
    blocks::features::<Sse2>(content, buf)
}

/// Lane mask of the bytes of `x` in `lo..=hi` (unsigned, any byte).
#[inline(always)]
fn in_range(x: __m128i, lo: u8, hi: u8) -> __m128i {
    // SAFETY: SSE2 is part of the x86_64 baseline.
    unsafe {
        let y = _mm_add_epi8(x, _mm_set1_epi8(0x80u8.wrapping_sub(lo) as i8));
        let limit = _mm_set1_epi8((0x80u8.wrapping_add(hi - lo + 1)) as i8);
        _mm_cmplt_epi8(y, limit)
    }
}

#[inline(always)]
fn splat(b: u8) -> __m128i {
    // SAFETY: SSE2 is part of the x86_64 baseline.
    unsafe { _mm_set1_epi8(b as i8) }
}

#[inline(always)]
fn eq(x: __m128i, b: u8) -> __m128i {
    // SAFETY: SSE2 is part of the x86_64 baseline.
    unsafe { _mm_cmpeq_epi8(x, _mm_set1_epi8(b as i8)) }
}

#[inline(always)]
fn or(a: __m128i, b: __m128i) -> __m128i {
    // SAFETY: SSE2 is part of the x86_64 baseline.
    unsafe { _mm_or_si128(a, b) }
}

#[inline(always)]
fn mask(x: __m128i) -> u32 {
    // SAFETY: SSE2 is part of the x86_64 baseline.
    unsafe { _mm_movemask_epi8(x) as u32 }
}

/// Classify the 16 bytes from `i` (an ASCII byte, `i < bytes.len()`).
#[inline(always)]
fn masks(bytes: &[u8], i: usize) -> Masks {
    // The 16 bytes from `i`; near the end of a line of 16 bytes or more, the last 16
    // bytes, the masks then shifted right by `shift` (no copy).
    let mut pad = [0u8; 16];
    let (block, shift, avail): (&[u8; 16], usize, usize) = match bytes[i..].first_chunk() {
        Some(b) => (b, 0, 16),
        None => match bytes.last_chunk() {
            Some(b) => (b, i + 16 - bytes.len(), bytes.len() - i),
            None => {
                pad[..bytes.len() - i].copy_from_slice(&bytes[i..]);
                (&pad, 0, bytes.len() - i)
            }
        },
    };
    // SAFETY: SSE2 is part of the x86_64 baseline; the load reads the 16 bytes of `block`.
    let x = unsafe { _mm_loadu_si128(block.as_ptr().cast()) };
    let mask = |v: __m128i| u64::from(mask(v) >> shift);
    // Stop at the first non-ASCII byte, or after the bytes of the line.
    let stop = mask(x) | (!0u64 << avail) | (1 << 16);
    let len = stop.trailing_zeros() as usize;
    let alpha = in_range(or(x, splat(0x20)), b'a', b'z');
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

/// Number of set bits of a 16-bit mask (a table: `popcnt` is not in the x86_64 baseline
/// and the bit-twiddling `count_ones` costs some 16 instructions).
#[inline(always)]
fn popcount16(m: u64) -> usize {
    static POP8: [u8; 256] = {
        let mut t = [0u8; 256];
        let mut b = 0;
        while b < 256 {
            t[b] = (b as u32).count_ones() as u8;
            b += 1;
        }
        t
    };
    usize::from(POP8[(m & 0xFF) as usize]) + usize::from(POP8[(m >> 8 & 0xFF) as usize])
}
