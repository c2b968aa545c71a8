//! The vector instructions the tokenizer runs with: the x86_64 baseline (SSE2) always,
//! AVX2 when the CPU has it (detected at run time). A value of [`Avx2`] exists only on a
//! CPU with AVX2, which is what makes its safe methods sound.
use super::short_hash::{xxh3_short, ShortKeys};
#[cfg(target_arch = "x86_64")]
use super::words::Classes64;

/// One instruction set of the tokenizer. Code generic over it is compiled once per set;
/// the AVX2 copy inside a `#[target_feature(enable = "avx2")]` function, so the methods
/// below inline into it.
pub(super) trait Isa: Copy {
    /// Words of up to 16 bytes are hashed four at a time ([`Isa::xxh3_short4`]) instead
    /// of one by one.
    const BATCH: bool;

    /// The class masks of a 64-byte block.
    #[cfg(target_arch = "x86_64")]
    fn classify64(self, block: &[u8; 64]) -> Classes64;

    /// `xxh3_64_with_seed(&words[i][..lens[i]], seed)` for the four words (each 1 to 16
    /// bytes, zero after its length).
    fn xxh3_short4(self, words: &[[u8; 16]; 4], lens: &[u64; 4], keys: &ShortKeys) -> [u64; 4];

    /// [`Isa::xxh3_short4`] of the first `lens[i]` (1 to 16) bytes of each `raw[i]`, words
    /// of ASCII and Latin-1 letters, lower-cased as `lower16` does.
    #[cfg(target_arch = "x86_64")]
    fn lower_xxh3_short4(self, raw: [&[u8; 16]; 4], lens: [usize; 4], keys: &ShortKeys)
        -> [u64; 4];
}

/// What every x86_64 CPU has (and the plain code elsewhere).
#[derive(Clone, Copy, Debug)]
pub(super) struct Baseline;

impl Isa for Baseline {
    const BATCH: bool = false;

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn classify64(self, block: &[u8; 64]) -> Classes64 {
        super::words::sse2::classify64(block)
    }

    #[inline(always)]
    fn xxh3_short4(self, words: &[[u8; 16]; 4], lens: &[u64; 4], keys: &ShortKeys) -> [u64; 4] {
        std::array::from_fn(|i| xxh3_short(&words[i], lens[i] as usize, keys.seed))
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn lower_xxh3_short4(
        self,
        raw: [&[u8; 16]; 4],
        lens: [usize; 4],
        keys: &ShortKeys,
    ) -> [u64; 4] {
        std::array::from_fn(|i| {
            xxh3_short(
                &super::words::sse2::lower16(raw[i], lens[i]),
                lens[i],
                keys.seed,
            )
        })
    }
}

/// Proof that the CPU has AVX2 (and AVX).
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy, Debug)]
pub(super) struct Avx2(());

#[cfg(target_arch = "x86_64")]
impl Avx2 {
    /// `Some` on a CPU with AVX2.
    #[inline]
    pub(super) fn detect() -> Option<Avx2> {
        std::arch::is_x86_feature_detected!("avx2").then_some(Avx2(()))
    }
}

#[cfg(target_arch = "x86_64")]
impl Isa for Avx2 {
    const BATCH: bool = true;

    #[inline(always)]
    fn classify64(self, block: &[u8; 64]) -> Classes64 {
        // SAFETY: a value of `Avx2` exists only when the CPU has AVX2.
        unsafe { super::words::avx2::classify64(block) }
    }

    #[inline(always)]
    fn xxh3_short4(self, words: &[[u8; 16]; 4], lens: &[u64; 4], keys: &ShortKeys) -> [u64; 4] {
        // SAFETY: as above.
        unsafe { super::short_hash::avx2::xxh3_short4(words, lens, keys) }
    }

    #[inline(always)]
    fn lower_xxh3_short4(
        self,
        raw: [&[u8; 16]; 4],
        lens: [usize; 4],
        keys: &ShortKeys,
    ) -> [u64; 4] {
        // SAFETY: as above.
        unsafe { super::words::avx2::lower_xxh3_short4(raw, lens, keys) }
    }
}
