//! AVX2 classifier of [`super::blocks`]: 32 bytes at a time, for CPUs that have it
//! (decided at run time by `crate::cpu`; the SSE2 classifier is the fallback).
use super::blocks::{self, Classify};
use super::Features;
use std::arch::x86_64::*;

/// 32 bytes in an AVX2 register.
#[derive(Clone, Copy)]
struct Avx2(__m256i);

// SAFETY (every method below): only used by `features`, which runs only where the CPU
// has AVX2 and POPCNT (`available`, from `crate::cpu`, which reports only features the
// CPU has); `load` reads the first 32 bytes of a block that has at least 32 (checked by
// the slice index).
impl Classify for Avx2 {
    const N: usize = 32;

    #[inline(always)]
    fn load(block: &[u8]) -> Self {
        let block = &block[..32];
        Avx2(unsafe { _mm256_loadu_si256(block.as_ptr().cast()) })
    }

    #[inline(always)]
    fn splat(b: u8) -> Self {
        Avx2(unsafe { _mm256_set1_epi8(b as i8) })
    }

    #[inline(always)]
    fn or(self, other: Self) -> Self {
        Avx2(unsafe { _mm256_or_si256(self.0, other.0) })
    }

    #[inline(always)]
    fn add(self, other: Self) -> Self {
        Avx2(unsafe { _mm256_add_epi8(self.0, other.0) })
    }

    #[inline(always)]
    fn cmpeq(self, other: Self) -> Self {
        Avx2(unsafe { _mm256_cmpeq_epi8(self.0, other.0) })
    }

    #[inline(always)]
    fn cmpgt(self, other: Self) -> Self {
        Avx2(unsafe { _mm256_cmpgt_epi8(self.0, other.0) })
    }

    #[inline(always)]
    fn movemask(self) -> u32 {
        unsafe { _mm256_movemask_epi8(self.0) as u32 }
    }

    #[inline(always)]
    fn popcount(m: u64) -> usize {
        m.count_ones() as usize
    }
}

/// Whether [`super::features`] is to run [`features`] ([`crate::cpu::paths`]).
#[inline]
pub(super) fn available() -> bool {
    available_on(crate::cpu::paths())
}

/// Whether `cpu` has what [`features`] needs (then the CPU has it: a
/// [`crate::cpu::Paths`] reports only features the CPU has).
#[inline]
pub(super) fn available_on(cpu: crate::cpu::Paths) -> bool {
    cpu.avx2() && cpu.popcnt()
}

/// [`super::features`] with AVX2.
///
/// # Safety
/// The CPU must have AVX2 and POPCNT ([`available`], [`available_on`]).
#[target_feature(enable = "avx2,popcnt")]
pub(super) unsafe fn features(content: &str, buf: &mut String) -> Features {
    blocks::features::<Avx2>(content, buf)
}
