//! SSE2 (x86_64 baseline) classifier of [`super::blocks`]: 16 bytes at a time.
use super::blocks::{self, Classify};
use super::Features;
use std::arch::x86_64::*;

/// 16 bytes in an SSE2 register.
#[derive(Clone, Copy)]
struct Sse2(__m128i);

// SAFETY (every method below): SSE2 is part of the x86_64 baseline; `load` reads the
// first 16 bytes of a block that has at least 16 (checked by the slice index).
impl Classify for Sse2 {
    const N: usize = 16;

    #[inline(always)]
    fn load(block: &[u8]) -> Self {
        let block = &block[..16];
        Sse2(unsafe { _mm_loadu_si128(block.as_ptr().cast()) })
    }

    #[inline(always)]
    fn splat(b: u8) -> Self {
        Sse2(unsafe { _mm_set1_epi8(b as i8) })
    }

    #[inline(always)]
    fn or(self, other: Self) -> Self {
        Sse2(unsafe { _mm_or_si128(self.0, other.0) })
    }

    #[inline(always)]
    fn add(self, other: Self) -> Self {
        Sse2(unsafe { _mm_add_epi8(self.0, other.0) })
    }

    #[inline(always)]
    fn cmpeq(self, other: Self) -> Self {
        Sse2(unsafe { _mm_cmpeq_epi8(self.0, other.0) })
    }

    #[inline(always)]
    fn cmpgt(self, other: Self) -> Self {
        Sse2(unsafe { _mm_cmpgt_epi8(self.0, other.0) })
    }

    #[inline(always)]
    fn movemask(self) -> u32 {
        unsafe { _mm_movemask_epi8(self.0) as u32 }
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
