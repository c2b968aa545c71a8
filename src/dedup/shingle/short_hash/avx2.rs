//! [`xxh3_short`](super::xxh3_short) of four words at once, one word per 64-bit lane of
//! AVX2 vectors: the same three length classes computed side by side and chosen per lane
//! by masks. AVX2 has no 64-bit multiply, so each is made of 32-bit ones (`vpmuludq`):
//! three for a product with a constant, four for the 128-bit product of the 9-16 byte
//! class. About half the instructions of four scalar calls, and no branch.
use super::{ShortKeys, P13_A, P13_B, P48, P916};
use std::arch::x86_64::*;

/// The hashes of `words[i][..lens[i]]` (each 1 to 16 bytes, zero after its length; other
/// lengths give some value, without unsafety).
///
/// # Safety
/// The CPU must have AVX2. Not a `target_feature` function, so that it is always
/// inlined: into AVX2 code (`fast_tokens_avx2`), which makes its intrinsics inline.
#[inline(always)]
pub(in crate::dedup::shingle) unsafe fn xxh3_short4(
    words: &[[u8; 16]; 4],
    lens: &[u64; 4],
    keys: &ShortKeys,
) -> [u64; 4] {
    // SAFETY: AVX2 is enabled; the loads read the 64 bytes of `words` and the 32 of
    // `lens`.
    unsafe {
        let p = words.as_ptr().cast::<u8>();
        xxh3_short4_v(
            _mm256_loadu_si256(p.cast()),
            _mm256_loadu_si256(p.add(32).cast()),
            _mm256_loadu_si256(lens.as_ptr().cast()),
            keys,
        )
    }
}

/// [`xxh3_short4`] of words in registers: words 0 and 1 in `w01` (16 bytes each, zero
/// after their lengths), 2 and 3 in `w23`, the four lengths in `lens`.
///
/// # Safety
/// The CPU must have AVX2. Not a `target_feature` function, so that it is always
/// inlined: into AVX2 code (`fast_tokens_avx2`), which makes its intrinsics inline.
#[inline(always)]
pub(in crate::dedup::shingle) unsafe fn xxh3_short4_v(
    w01: __m256i,
    w23: __m256i,
    lens: __m256i,
    keys: &ShortKeys,
) -> [u64; 4] {
    let mut out = [0u64; 4];
    // SAFETY: AVX2 is enabled; the store writes the 32 bytes of `out`.
    unsafe {
        // Lanes in the order of words 0, 2, 1, 3 (what the unpacks give); the lengths are
        // permuted alike and the hashes permuted back at the end.
        let lo8 = _mm256_unpacklo_epi64(w01, w23);
        let hi8 = _mm256_unpackhi_epi64(w01, w23);
        let len = _mm256_permute4x64_epi64(lens, 0xD8);
        let bits = _mm256_slli_epi64(len, 3);
        let byte = c64(0xFF);
        let low32 = c64(0xFFFF_FFFF);

        // 1 to 3 bytes: the first, middle and last byte and the length.
        let c1 = _mm256_and_si256(lo8, byte);
        let mid = _mm256_and_si256(_mm256_srli_epi64(bits, 1), c64(!7));
        let c2 = _mm256_and_si256(_mm256_srlv_epi64(lo8, mid), byte);
        let c3 = _mm256_and_si256(_mm256_srlv_epi64(lo8, _mm256_sub_epi64(bits, c64(8))), byte);
        let combo = _mm256_or_si256(
            _mm256_or_si256(_mm256_slli_epi64(c1, 16), _mm256_slli_epi64(c2, 24)),
            _mm256_or_si256(c3, _mm256_slli_epi64(len, 8)),
        );
        let mut h = _mm256_xor_si256(combo, c64(keys.flip1to3));
        h = _mm256_xor_si256(h, _mm256_srli_epi64(h, 33));
        h = mul64(h, P13_A);
        h = _mm256_xor_si256(h, _mm256_srli_epi64(h, 29));
        h = mul64(h, P13_B);
        let h1to3 = _mm256_xor_si256(h, _mm256_srli_epi64(h, 32));

        // 4 to 8 bytes: the last four bytes below the first four.
        let last4 = _mm256_and_si256(
            _mm256_srlv_epi64(lo8, _mm256_sub_epi64(bits, c64(32))),
            low32,
        );
        let mut v = _mm256_xor_si256(
            _mm256_or_si256(last4, _mm256_slli_epi64(lo8, 32)),
            c64(keys.flip4to8),
        );
        v = _mm256_xor_si256(v, _mm256_xor_si256(rotl::<49, 15>(v), rotl::<24, 40>(v)));
        v = mul64(v, P48);
        v = _mm256_xor_si256(v, _mm256_add_epi64(_mm256_srli_epi64(v, 35), len));
        v = mul64(v, P48);
        let h4to8 = _mm256_xor_si256(v, _mm256_srli_epi64(v, 28));

        // 9 to 16 bytes: the first and the last eight.
        let last8 = _mm256_or_si256(
            _mm256_srlv_epi64(lo8, _mm256_sub_epi64(bits, c64(64))),
            _mm256_sllv_epi64(hi8, _mm256_sub_epi64(c64(128), bits)),
        );
        let lo = _mm256_xor_si256(lo8, c64(keys.flip_lo));
        let hi = _mm256_xor_si256(last8, c64(keys.flip_hi));
        let fold = mul128_fold(lo, hi);
        let swap = _mm256_setr_epi8(
            7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 15, 14,
            13, 12, 11, 10, 9, 8,
        );
        let mut acc = _mm256_add_epi64(
            _mm256_add_epi64(len, _mm256_shuffle_epi8(lo, swap)),
            _mm256_add_epi64(hi, fold),
        );
        acc = _mm256_xor_si256(acc, _mm256_srli_epi64(acc, 37));
        acc = mul64(acc, P916);
        let h9to16 = _mm256_xor_si256(acc, _mm256_srli_epi64(acc, 32));

        let m4 = _mm256_cmpgt_epi64(len, c64(3));
        let m9 = _mm256_cmpgt_epi64(len, c64(8));
        let h = _mm256_blendv_epi8(h1to3, h4to8, m4);
        let h = _mm256_blendv_epi8(h, h9to16, m9);
        _mm256_storeu_si256(out.as_mut_ptr().cast(), _mm256_permute4x64_epi64(h, 0xD8));
    }
    out
}

/// `v` in every lane.
#[target_feature(enable = "avx2")]
#[inline]
pub(in crate::dedup::shingle) unsafe fn c64(v: u64) -> __m256i {
    _mm256_set1_epi64x(v as i64)
}

/// `a * c mod 2^64` per lane: `lo(a)·lo(c) + (hi(a)·lo(c) + lo(a)·hi(c)) << 32`.
#[target_feature(enable = "avx2")]
#[inline]
pub(in crate::dedup::shingle) unsafe fn mul64(a: __m256i, c: u64) -> __m256i {
    // SAFETY: AVX2 is enabled.
    let (c_lo, c_hi) = unsafe { (c64(c & 0xFFFF_FFFF), c64(c >> 32)) };
    let lo = _mm256_mul_epu32(a, c_lo);
    let cross = _mm256_add_epi64(
        _mm256_mul_epu32(_mm256_srli_epi64(a, 32), c_lo),
        _mm256_mul_epu32(a, c_hi),
    );
    _mm256_add_epi64(lo, _mm256_slli_epi64(cross, 32))
}

/// The low and the high half of the 128-bit product `a * b` per lane, XORed (xxh3's
/// `mul128_fold64`).
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn mul128_fold(a: __m256i, b: __m256i) -> __m256i {
    // SAFETY: AVX2 is enabled.
    let low32 = unsafe { c64(0xFFFF_FFFF) };
    let a_hi = _mm256_srli_epi64(a, 32);
    let b_hi = _mm256_srli_epi64(b, 32);
    let p00 = _mm256_mul_epu32(a, b);
    let p01 = _mm256_mul_epu32(a, b_hi);
    let p10 = _mm256_mul_epu32(a_hi, b);
    let p11 = _mm256_mul_epu32(a_hi, b_hi);
    // Bits 32..96 of the product, below 3 · 2^32: no overflow.
    let mid = _mm256_add_epi64(
        _mm256_srli_epi64(p00, 32),
        _mm256_add_epi64(_mm256_and_si256(p01, low32), _mm256_and_si256(p10, low32)),
    );
    let lo = _mm256_add_epi64(p00, _mm256_slli_epi64(_mm256_add_epi64(p01, p10), 32));
    let hi = _mm256_add_epi64(
        _mm256_add_epi64(p11, _mm256_srli_epi64(mid, 32)),
        _mm256_add_epi64(_mm256_srli_epi64(p01, 32), _mm256_srli_epi64(p10, 32)),
    );
    _mm256_xor_si256(lo, hi)
}

/// Rotate every lane left by `L` bits (`R = 64 - L`).
#[target_feature(enable = "avx2")]
#[inline]
pub(in crate::dedup::shingle) unsafe fn rotl<const L: i32, const R: i32>(v: __m256i) -> __m256i {
    _mm256_or_si256(_mm256_slli_epi64(v, L), _mm256_srli_epi64(v, R))
}

#[cfg(test)]
mod tests {
    use super::super::{xxh3_short, ShortKeys};
    use super::*;
    use crate::cpu::{self, Feature};
    use crate::dedup::shingle::isa::{Avx2, Baseline, Isa};
    use proptest::collection::vec;
    use proptest::prelude::*;
    use xxhash_rust::xxh3::xxh3_64_with_seed;

    /// Four at a time is xxh3 of each, for every length in every lane, random bytes of
    /// every value (ASCII, UTF-8 lead and continuation bytes alike) and several seeds.
    #[test]
    #[cfg_attr(not(rinse_host_avx2), ignore = "the build host has no AVX2")]
    fn simd_xxh3_short4_is_xxh3_of_each_word() {
        cpu::require(&[Feature::Avx2]);
        let mut state = crate::test_rng::Lcg::new(77);
        let mut next = || state.step() >> 24;
        for seed in [0u64, 7, 0x005E_ED0F_D1CE, u64::MAX, 0x8000_0000_FFFF_0001] {
            let keys = ShortKeys::new(seed);
            for round in 0..20_000 {
                let mut words = [[0u8; 16]; 4];
                let mut lens = [0u64; 4];
                for (i, (w, len)) in words.iter_mut().zip(&mut lens).enumerate() {
                    // Every length in every lane, the rest at random.
                    *len = if round < 64 {
                        ((round + i * 5) % 16 + 1) as u64
                    } else {
                        next() % 16 + 1
                    };
                    let ascii = next() % 2 == 0;
                    for b in w.iter_mut().take(*len as usize) {
                        let r = next() as u8;
                        *b = if ascii { b'a' + r % 26 } else { r };
                    }
                }
                // SAFETY: the CPU supports AVX2 (`cpu::require` above).
                let got = unsafe { xxh3_short4(&words, &lens, &keys) };
                for i in 0..4 {
                    let want = xxh3_64_with_seed(&words[i][..lens[i] as usize], seed);
                    assert_eq!(got[i], want, "lane {i} {:?} seed {seed}", lens);
                    assert_eq!(xxh3_short(&words[i], lens[i] as usize, seed), want);
                }
            }
        }
    }

    /// Four words of 1 to 16 arbitrary bytes, zero after their lengths.
    fn four_words() -> impl Strategy<Value = ([[u8; 16]; 4], [u64; 4])> {
        prop::array::uniform4(vec(any::<u8>(), 1..=16)).prop_map(|ws| {
            let mut words = [[0u8; 16]; 4];
            let mut lens = [0u64; 4];
            for (i, w) in ws.iter().enumerate() {
                words[i][..w.len()].copy_from_slice(w);
                lens[i] = w.len() as u64;
            }
            (words, lens)
        })
    }

    /// [`Isa::xxh3_short4`] of `isa` is xxh3 of each word.
    fn short4_agrees<I: Isa + std::fmt::Debug>(
        isa: I,
        words: &[[u8; 16]; 4],
        lens: &[u64; 4],
        seed: u64,
    ) -> Result<(), TestCaseError> {
        let keys = ShortKeys::new(seed);
        let got = isa.xxh3_short4(words, lens, &keys);
        for i in 0..4 {
            let want = xxh3_64_with_seed(&words[i][..lens[i] as usize], seed);
            prop_assert_eq!(got[i], want, "{:?}: lane {} of {:?}", isa, i, lens);
        }
        Ok(())
    }

    // Differential tests (`simd_*`; a long run: see `crate::cpu`).
    proptest! {
        #[test]
        fn simd_short_hash_baseline(
            (words, lens) in four_words(),
            seed in any::<u64>(),
        ) {
            short4_agrees(Baseline, &words, &lens, seed)?;
        }

        #[test]
        #[cfg_attr(not(rinse_host_avx2), ignore = "the build host has no AVX2")]
        fn simd_short_hash_avx2(
            (words, lens) in four_words(),
            seed in any::<u64>(),
        ) {
            short4_agrees(Avx2::require(), &words, &lens, seed)?;
        }
    }
}
