//! AVX2 shingle hashes: [`combine`] of four windows at once, one window per 64-bit lane
//! (the token loads of neighbouring windows overlap; 64-bit multiplies are made of 32-bit
//! ones). About 21 instructions per shingle instead of 35.
use super::combine;
use super::short_hash::avx2::{c64, mul64, rotl};
use std::arch::x86_64::*;

/// Append `combine(w) as u32` of every window `w` of `N` tokens of `t` to `out`, as
/// `t.windows(N)` gives them (none when `t` is shorter).
///
/// # Safety
/// The CPU must have AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn shingles<const N: usize>(t: &[u64], out: &mut Vec<u32>) {
    if N == 0 || t.len() < N {
        return;
    }
    let count = t.len() + 1 - N;
    let quads = count / 4;
    out.reserve(count);
    let at = out.len();
    // SAFETY: AVX2 is enabled. Window `i` reads `t[i..i + N]`; the last lane of quad `q`
    // is window `4q + 3 <= count - 1`, so every load is within `t`. The stores fill
    // `4 * quads <= count` reserved elements after `at`, then the length covers them.
    unsafe {
        let tp = t.as_ptr();
        let op = out.as_mut_ptr().add(at);
        let first = c64(0x9E37_79B9_7F4A_7C15u64.rotate_left(23));
        let low_halves = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
        for q in 0..quads {
            let i = 4 * q;
            let mut h = _mm256_xor_si256(first, _mm256_loadu_si256(tp.add(i).cast()));
            h = mul64(h, 0xBF58_476D_1CE4_E5B9);
            for j in 1..N {
                h = _mm256_xor_si256(rotl::<23, 41>(h), _mm256_loadu_si256(tp.add(i + j).cast()));
                h = mul64(h, 0xBF58_476D_1CE4_E5B9);
            }
            // fmix64(h ^ N).
            h = _mm256_xor_si256(h, c64(N as u64));
            h = _mm256_xor_si256(h, _mm256_srli_epi64(h, 33));
            h = mul64(h, 0xff51_afd7_ed55_8ccd);
            h = _mm256_xor_si256(h, _mm256_srli_epi64(h, 33));
            h = mul64(h, 0xc4ce_b9fe_1a85_ec53);
            h = _mm256_xor_si256(h, _mm256_srli_epi64(h, 33));
            let low = _mm256_permutevar8x32_epi32(h, low_halves);
            _mm_storeu_si128(op.add(i).cast(), _mm256_castsi256_si128(low));
        }
        out.set_len(at + 4 * quads);
    }
    out.extend(t[4 * quads..].windows(N).map(|w| combine(w) as u32));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::{self, Feature};
    use proptest::collection::vec;
    use proptest::prelude::*;

    /// Four windows at a time hash like [`combine`] one by one, for every length around
    /// the four-window step and window sizes 1 to 8.
    #[test]
    #[cfg_attr(not(rinse_host_avx2), ignore = "the build host has no AVX2")]
    fn simd_avx2_shingles_agree_with_combine() {
        cpu::require(&[Feature::Avx2]);
        let t: Vec<u64> = (0..70u64)
            .map(|x| {
                (x ^ 0x5555)
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    .rotate_left(x as u32)
            })
            .collect();
        for len in 0..t.len() {
            let part = &t[..len];
            let check = |got: Vec<u32>, n: usize| {
                let want: Vec<u32> = part.windows(n).map(|w| combine(w) as u32).collect();
                assert_eq!(got, want, "n {n} len {len}");
            };
            let mut got = vec![7u32];
            // SAFETY: the CPU supports AVX2 (`cpu::require` above).
            unsafe { shingles::<5>(part, &mut got) };
            assert_eq!(got.remove(0), 7);
            check(got, 5);
            macro_rules! sizes {
                ($($n:literal)*) => {$(
                    let mut got = Vec::new();
                    // SAFETY: as above.
                    unsafe { shingles::<$n>(part, &mut got) };
                    check(got, $n);
                )*};
            }
            sizes!(1 2 3 4 6 7 8);
        }
    }

    // Differential test (`simd_*`; a long run: see `crate::cpu`): arbitrary token
    // hashes, every window size up to 8 (what `Shingler::shingles` calls is 5).
    proptest! {
        #[test]
        #[cfg_attr(not(rinse_host_avx2), ignore = "the build host has no AVX2")]
        fn simd_avx2_shingles_of_arbitrary_tokens(
            t in vec(any::<u64>(), 0..80),
            before in vec(any::<u32>(), 0..3),
        ) {
            cpu::require(&[Feature::Avx2]);
            macro_rules! sizes {
                ($($n:literal)*) => {$(
                    let mut got = before.clone();
                    // SAFETY: the CPU supports AVX2 (`cpu::require` above).
                    unsafe { shingles::<$n>(&t, &mut got) };
                    let want: Vec<u32> = before
                        .iter()
                        .copied()
                        .chain(t.windows($n).map(|w| combine(w) as u32))
                        .collect();
                    prop_assert_eq!(got, want, "n {}, {} tokens", $n, t.len());
                )*};
            }
            sizes!(1 2 3 4 5 6 7 8);
        }
    }
}
