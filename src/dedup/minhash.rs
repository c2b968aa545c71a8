//! MinHash signatures over 32-bit shingle hashes, LSH band hashes, and similarity
//! estimates (Jaccard and containment) from two signatures.
//!
//! Permutation i maps a shingle hash h to `a_i * h + b_i (mod 2^32)` with odd `a_i`: a
//! bijection of u32, two 32-bit lane operations per shingle and hash, so the inner loop
//! is vector code, chosen at run time: the plain loop compiled for AVX-512 (16 lanes),
//! AVX2 intrinsics (8 lanes), else the plain loop as the compiler vectorizes it for the
//! baseline (which of them: `crate::cpu`).
use super::shingle::xxh3_4to8;
use crate::cpu::{self, Paths};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// The K permutations of a signature, derived from a fixed seed.
#[derive(Clone, Debug)]
pub struct MinHasher {
    a: Vec<u32>,
    b: Vec<u32>,
}

/// The value of an empty signature slot.
pub const EMPTY: u32 = u32::MAX;

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl MinHasher {
    pub fn new(num_hashes: usize, seed: u64) -> Self {
        let mut state = seed;
        let mut a = Vec::with_capacity(num_hashes);
        let mut b = Vec::with_capacity(num_hashes);
        for _ in 0..num_hashes {
            let x = splitmix64(&mut state);
            a.push((x as u32) | 1);
            b.push((x >> 32) as u32);
        }
        MinHasher { a, b }
    }

    pub fn len(&self) -> usize {
        self.a.len()
    }

    pub fn is_empty(&self) -> bool {
        self.a.is_empty()
    }

    /// A signature of the empty set.
    pub fn empty(&self) -> Vec<u32> {
        vec![EMPTY; self.a.len()]
    }

    /// Lower `sig` (length K) to the minimum over `shingles` of every permutation.
    pub fn update(&self, sig: &mut [u32], shingles: &[u32]) {
        self.update_with(cpu::paths(), sig, shingles)
    }

    /// [`MinHasher::update`] on the vector path `cpu` allows (the same signature on
    /// every path).
    #[inline]
    fn update_with(&self, cpu: Paths, sig: &mut [u32], shingles: &[u32]) {
        #[cfg(target_arch = "x86_64")]
        {
            if cpu.avx512f() {
                // SAFETY: the CPU supports AVX-512F (a `Paths` reports only features the
                // CPU has, `crate::cpu`).
                unsafe { update_avx512(&self.a, &self.b, sig, shingles) };
                return;
            }
            if cpu.avx2() {
                // SAFETY: the CPU supports AVX2 (as above).
                unsafe { update_avx2(&self.a, &self.b, sig, shingles) };
                return;
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = cpu;
        update_generic(&self.a, &self.b, sig, shingles)
    }
}

/// Lanes per block of [`update_generic`], the path of CPUs without AVX2 (AVX2 has its
/// own kernel, [`update_avx2`]; AVX-512 runs [`update_blocked`] with 64): the block's
/// minima stay in a local array while every shingle goes through it, instead of loading
/// and storing the signature per shingle.
const BLOCK: usize = 32;

#[inline(always)]
fn update_generic(a: &[u32], b: &[u32], sig: &mut [u32], shingles: &[u32]) {
    update_blocked::<BLOCK>(a, b, sig, shingles)
}

/// [`update_generic`] with `B` lanes per block.
#[inline(always)]
fn update_blocked<const B: usize>(a: &[u32], b: &[u32], sig: &mut [u32], shingles: &[u32]) {
    let k = sig.len().min(a.len()).min(b.len());
    let (a, b, sig) = (&a[..k], &b[..k], &mut sig[..k]);
    let full = k - k % B;
    for ((a, b), sig) in a[..full]
        .chunks_exact(B)
        .zip(b[..full].chunks_exact(B))
        .zip(sig[..full].chunks_exact_mut(B))
    {
        update_block::<B>(a, b, sig, shingles);
    }
    let (a, b, sig) = (&a[full..], &b[full..], &mut sig[full..]);
    if sig.len() >= 16 {
        let (sh, rest) = sig.split_at_mut(16);
        update_block::<16>(&a[..16], &b[..16], sh, shingles);
        update_tail(&a[16..], &b[16..], rest, shingles);
    } else {
        update_tail(a, b, sig, shingles);
    }
}

/// `W` lanes at once, the running minima held in a local array (registers).
#[inline(always)]
fn update_block<const W: usize>(a: &[u32], b: &[u32], sig: &mut [u32], shingles: &[u32]) {
    if a.len() != W || b.len() != W || sig.len() != W {
        return update_tail(a, b, sig, shingles);
    }
    let (Ok(a), Ok(b), Ok(sig)) = (
        <&[u32; W]>::try_from(a),
        <&[u32; W]>::try_from(b),
        <&mut [u32; W]>::try_from(sig),
    ) else {
        return;
    };
    let mut m = *sig;
    for &h in shingles {
        for i in 0..W {
            m[i] = m[i].min(a[i].wrapping_mul(h).wrapping_add(b[i]));
        }
    }
    *sig = m;
}

#[inline(always)]
fn update_tail(a: &[u32], b: &[u32], sig: &mut [u32], shingles: &[u32]) {
    let k = sig.len().min(a.len()).min(b.len());
    let (a, b, sig) = (&a[..k], &b[..k], &mut sig[..k]);
    for &h in shingles {
        for i in 0..k {
            let v = a[i].wrapping_mul(h).wrapping_add(b[i]);
            sig[i] = sig[i].min(v);
        }
    }
}

/// [`update_generic`] with AVX2 intrinsics: 32 lanes per block, two shingles per step.
/// The block's four vectors of minima, its multipliers and offsets stay in the 16
/// registers (wider blocks spill `a` and `b` and reload them every step), and a pair of
/// shingles costs one loop round and meets in one `min` before the running minimum.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn update_avx2(a: &[u32], b: &[u32], sig: &mut [u32], shingles: &[u32]) {
    let k = sig.len().min(a.len()).min(b.len());
    let (a, b, sig) = (&a[..k], &b[..k], &mut sig[..k]);
    let mut at = 0;
    while at + 32 <= k {
        // SAFETY: AVX2 is enabled in this function; the block is in bounds.
        unsafe { block_avx2::<4>(&a[at..], &b[at..], &mut sig[at..], shingles) };
        at += 32;
    }
    if at + 16 <= k {
        // SAFETY: as above.
        unsafe { block_avx2::<2>(&a[at..], &b[at..], &mut sig[at..], shingles) };
        at += 16;
    }
    if at + 8 <= k {
        // SAFETY: as above.
        unsafe { block_avx2::<1>(&a[at..], &b[at..], &mut sig[at..], shingles) };
        at += 8;
    }
    update_tail(&a[at..], &b[at..], &mut sig[at..], shingles);
}

/// The first `8 * V` lanes of `sig` (all three slices at least that long; shorter ones
/// are left alone), the minima held in `V` vectors.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn block_avx2<const V: usize>(a: &[u32], b: &[u32], sig: &mut [u32], shingles: &[u32]) {
    use std::arch::x86_64::*;
    if a.len() < 8 * V || b.len() < 8 * V || sig.len() < 8 * V {
        return;
    }
    let (a, b, s) = (a.as_ptr(), b.as_ptr(), sig.as_mut_ptr());
    // SAFETY: AVX2 is enabled; every load and store is within the first 8 * V values of
    // the slices (checked above).
    unsafe {
        let mut m = [_mm256_setzero_si256(); V];
        for (v, m) in m.iter_mut().enumerate() {
            *m = _mm256_loadu_si256(s.add(8 * v).cast());
        }
        // Lower the minima by two shingles.
        let mut pair = |h0: u32, h1: u32| {
            let h0 = _mm256_set1_epi32(h0 as i32);
            let h1 = _mm256_set1_epi32(h1 as i32);
            for (v, m) in m.iter_mut().enumerate() {
                let av = _mm256_loadu_si256(a.add(8 * v).cast());
                let bv = _mm256_loadu_si256(b.add(8 * v).cast());
                let x0 = _mm256_add_epi32(_mm256_mullo_epi32(av, h0), bv);
                let x1 = _mm256_add_epi32(_mm256_mullo_epi32(av, h1), bv);
                *m = _mm256_min_epu32(*m, _mm256_min_epu32(x0, x1));
            }
        };
        let pairs = shingles.chunks_exact(2);
        let last = pairs.remainder().first().copied();
        for p in pairs {
            pair(p[0], p[1]);
        }
        // A shingle left over: as the pair of it twice (the same minima).
        if let Some(h) = last {
            pair(h, h);
        }
        for (v, m) in m.iter().enumerate() {
            _mm256_storeu_si256(s.add(8 * v).cast(), *m);
        }
    }
}

/// The same with 16 lanes per vector, in blocks of 64 lanes (four registers).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn update_avx512(a: &[u32], b: &[u32], sig: &mut [u32], shingles: &[u32]) {
    update_blocked::<64>(a, b, sig, shingles)
}

/// Hash of each band of `rows` consecutive signature values (`bands` of them).
pub fn band_hashes(sig: &[u32], bands: usize, rows: usize, out: &mut Vec<u32>) {
    for band in 0..bands {
        let lo = (band * rows).min(sig.len());
        let hi = ((band + 1) * rows).min(sig.len());
        let n = (hi - lo).min(64);
        out.push(hash_values(&sig[lo..lo + n], band as u64) as u32);
    }
}

/// xxh3 of the little-endian bytes of `vals` (at most 64 of them). One or two values
/// (bands of the default 2 rows) take xxh3's 4-8 byte formula directly; a few more are
/// laid out in a 16-byte buffer instead of zeroing 256 bytes.
#[inline(always)]
pub fn hash_values(vals: &[u32], seed: u64) -> u64 {
    match vals {
        // xxh3 reads 4 to 8 bytes as their last four plus their first four shifted up.
        [v] => xxh3_4to8(u64::from(*v) | (u64::from(*v) << 32), 4, seed),
        [v, w] => xxh3_4to8(u64::from(*w) | (u64::from(*v) << 32), 8, seed),
        _ => hash_more_values(vals, seed),
    }
}

/// [`hash_values`] of no value or more than two.
#[inline(never)]
fn hash_more_values(vals: &[u32], seed: u64) -> u64 {
    let n = vals.len().min(64);
    if n <= 4 {
        let mut bytes = [0u8; 16];
        for (j, v) in vals[..n].iter().enumerate() {
            bytes[j * 4..j * 4 + 4].copy_from_slice(&v.to_le_bytes());
        }
        return xxh3_64_with_seed(&bytes[..n * 4], seed);
    }
    let mut bytes = [0u8; 4 * 64];
    for (j, v) in vals[..n].iter().enumerate() {
        bytes[j * 4..j * 4 + 4].copy_from_slice(&v.to_le_bytes());
    }
    xxh3_64_with_seed(&bytes[..n * 4], seed)
}

/// Similarity of two documents estimated from their signatures and shingle counts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Similarity {
    /// Estimated Jaccard similarity of the shingle sets.
    pub jaccard: f64,
    /// Estimated containment of the second set (the later copy, the one a match removes)
    /// in the first (the earlier one, which stays): `|A∩B| / |B|`.
    pub containment: f64,
}

/// Estimate Jaccard (share of equal slots) and the containment of `b` (the later copy) in
/// `a` (the earlier one), `|A∩B| / |B|` with `|A∩B| = J/(1+J)·(|A|+|B|)`.
///
/// Containment is one-way on purpose: a truncated later copy is contained in the earlier
/// document and is a duplicate; a later document that merely contains a short earlier
/// one (a quoted paragraph, a template) is not, and removing it would lose its own text.
pub fn similarity(a: &[u32], na: u32, b: &[u32], nb: u32) -> Similarity {
    let k = a.len().min(b.len());
    if k == 0 || na == 0 || nb == 0 {
        return Similarity {
            jaccard: 0.0,
            containment: 0.0,
        };
    }
    let equal = a[..k]
        .iter()
        .zip(&b[..k])
        .filter(|(x, y)| x == y && **x != EMPTY)
        .count();
    estimate(equal, k, na, nb)
}

/// Jaccard and containment from `equal` agreeing slots out of `k`, and the set sizes.
pub fn estimate(equal: usize, k: usize, na: u32, nb: u32) -> Similarity {
    if k == 0 || na == 0 || nb == 0 {
        return Similarity {
            jaccard: 0.0,
            containment: 0.0,
        };
    }
    let j = equal as f64 / k as f64;
    let inter = j / (1.0 + j) * (na as f64 + nb as f64);
    let c = (inter / nb as f64).min(1.0);
    Similarity {
        jaccard: j,
        containment: c.max(j),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "x86_64")]
    use crate::cpu::Feature;
    use proptest::collection::vec;
    use proptest::prelude::*;

    #[test]
    fn identical_sets_have_similarity_one() {
        let m = MinHasher::new(64, 1);
        let mut s = m.empty();
        m.update(&mut s, &[1, 2, 3, 4, 5]);
        let sim = similarity(&s, 5, &s, 5);
        assert_eq!(sim.jaccard, 1.0);
        assert_eq!(sim.containment, 1.0);
    }

    #[test]
    fn estimate_is_close_to_exact_jaccard() {
        let m = MinHasher::new(256, 42);
        let a: Vec<u32> = (0..1000u32)
            .map(|x| x.wrapping_mul(2_654_435_761))
            .collect();
        let b: Vec<u32> = (500..1500u32)
            .map(|x| x.wrapping_mul(2_654_435_761))
            .collect();
        let (mut sa, mut sb) = (m.empty(), m.empty());
        m.update(&mut sa, &a);
        m.update(&mut sb, &b);
        let sim = similarity(&sa, 1000, &sb, 1000);
        // Exact Jaccard: 500 / 1500.
        assert!((sim.jaccard - 1.0 / 3.0).abs() < 0.1, "{sim:?}");
    }

    #[test]
    fn containment_sees_a_truncated_copy() {
        let m = MinHasher::new(256, 3);
        let a: Vec<u32> = (0..1000u32)
            .map(|x| x.wrapping_mul(2_246_822_519))
            .collect();
        let (mut sa, mut sb) = (m.empty(), m.empty());
        m.update(&mut sa, &a);
        m.update(&mut sb, &a[..400]);
        let sim = similarity(&sa, 1000, &sb, 400);
        assert!(sim.jaccard < 0.55, "{sim:?}");
        assert!(sim.containment > 0.85, "{sim:?}");
        // The other way round the later document is the larger one: it holds text the
        // earlier one lacks, so it is not contained.
        let back = similarity(&sb, 400, &sa, 1000);
        assert!(back.containment < 0.55, "{back:?}");
    }

    #[test]
    fn band_hashes_agree_only_on_equal_bands() {
        let mut x = Vec::new();
        band_hashes(&[1, 2, 3, 4], 2, 2, &mut x);
        let mut y = Vec::new();
        band_hashes(&[1, 2, 3, 5], 2, 2, &mut y);
        assert_eq!(x[0], y[0]);
        assert_ne!(x[1], y[1]);
    }

    #[test]
    fn blocked_update_matches_the_plain_loop() {
        for k in [1usize, 7, 16, 17, 31, 32, 33, 48, 50, 64, 100, 128, 200] {
            let m = MinHasher::new(k, k as u64);
            let sh: Vec<u32> = (0..77u32)
                .map(|x| x.wrapping_mul(2_654_435_761) ^ 0x5bd1)
                .collect();
            let mut slow = m.empty();
            update_tail(&m.a, &m.b, &mut slow, &sh);
            let mut fast = m.empty();
            m.update(&mut fast, &sh[..40]);
            m.update(&mut fast, &sh[40..]);
            assert_eq!(fast, slow, "k = {k}");
            for cpu in cpu::each_path() {
                let mut fast = m.empty();
                m.update_with(cpu, &mut fast, &sh[..40]);
                m.update_with(cpu, &mut fast, &sh[40..]);
                assert_eq!(fast, slow, "k = {k}, {cpu:?}");
            }
            // Every block width gives the same signature, whichever the CPU picks.
            let mut b32 = m.empty();
            update_generic(&m.a, &m.b, &mut b32, &sh);
            let mut b64 = m.empty();
            update_blocked::<64>(&m.a, &m.b, &mut b64, &sh);
            assert_eq!((&b32, &b64), (&slow, &slow), "k = {k}");
        }
    }

    /// The AVX2 kernel agrees with the plain loop for every signature length around its
    /// block sizes and every shingle count (odd counts end with a single shingle).
    #[cfg(target_arch = "x86_64")]
    #[test]
    #[cfg_attr(not(rinse_host_avx2), ignore = "the build host has no AVX2")]
    fn simd_avx2_update_matches_the_plain_loop() {
        cpu::require(&[Feature::Avx2]);
        let sh: Vec<u32> = (0..200u32)
            .map(|x| x.wrapping_mul(2_654_435_761) ^ 0x5bd1)
            .collect();
        for k in (0..=200).chain([255, 256, 257]) {
            let m = MinHasher::new(k, 11 + k as u64);
            for n in (0..12).chain([63, 64, 65, 199, 200]) {
                let mut slow = m.empty();
                update_tail(&m.a, &m.b, &mut slow, &sh[..n]);
                let mut fast = m.empty();
                // SAFETY: the CPU supports AVX2 (`cpu::require` above).
                unsafe { update_avx2(&m.a, &m.b, &mut fast, &sh[..n]) };
                assert_eq!(fast, slow, "k = {k}, {n} shingles");
                // Onto a signature that is not empty.
                let mut again = fast.clone();
                update_tail(&m.a, &m.b, &mut again, &sh[n..]);
                // SAFETY: as above.
                unsafe { update_avx2(&m.a, &m.b, &mut fast, &sh[n..]) };
                assert_eq!(fast, again, "k = {k}, {n} shingles, then the rest");
            }
        }
    }

    /// Signature lengths: any up to 300, or one next to a block size of some path
    /// (8, 16, 32 and 64 lanes).
    fn sig_len() -> impl Strategy<Value = usize> {
        let edges: Vec<usize> = [8usize, 16, 32, 48, 64, 96, 128, 256]
            .iter()
            .flat_map(|&m| [m - 1, m, m + 1])
            .chain([0, 1])
            .collect();
        prop_oneof![0usize..300, prop::sample::select(edges)]
    }

    /// [`MinHasher::update_with`] on the path `cpu`, in two steps (the second onto a
    /// signature that is not empty), equals the plain loop over all shingles.
    fn update_agrees(
        cpu: Paths,
        k: usize,
        seed: u64,
        shingles: &[u32],
        split: usize,
    ) -> Result<(), TestCaseError> {
        let m = MinHasher::new(k, seed);
        let split = split % (shingles.len() + 1);
        let mut want = m.empty();
        update_tail(&m.a, &m.b, &mut want, shingles);
        let mut got = m.empty();
        m.update_with(cpu, &mut got, &shingles[..split]);
        m.update_with(cpu, &mut got, &shingles[split..]);
        prop_assert_eq!(got, want, "{:?}, k = {}, split at {}", cpu, k, split);
        Ok(())
    }

    // Differential tests of every path (`simd_*`; a long run: see `crate::cpu`).
    proptest! {
        #[test]
        fn simd_minhash_update_baseline(
            k in sig_len(),
            seed in any::<u64>(),
            shingles in vec(any::<u32>(), 0..130),
            split in any::<usize>(),
        ) {
            update_agrees(Paths::BASELINE, k, seed, &shingles, split)?;
        }

        #[cfg(target_arch = "x86_64")]
        #[test]
        #[cfg_attr(not(rinse_host_avx2), ignore = "the build host has no AVX2")]
        fn simd_minhash_update_avx2(
            k in sig_len(),
            seed in any::<u64>(),
            shingles in vec(any::<u32>(), 0..130),
            split in any::<usize>(),
        ) {
            update_agrees(cpu::require(&[Feature::Avx2]), k, seed, &shingles, split)?;
        }

        #[cfg(target_arch = "x86_64")]
        #[test]
        #[cfg_attr(not(rinse_host_avx512f), ignore = "the build host has no AVX-512F")]
        fn simd_minhash_update_avx512f(
            k in sig_len(),
            seed in any::<u64>(),
            shingles in vec(any::<u32>(), 0..130),
            split in any::<usize>(),
        ) {
            update_agrees(cpu::require(&[Feature::Avx512f]), k, seed, &shingles, split)?;
        }
    }

    #[test]
    fn hash_values_is_xxh3_of_the_le_bytes() {
        let mut state = 1u32;
        for seed in (0..70u64).chain([0x8000_0000, u64::MAX, 0x1234_5678_9ABC_DEF0]) {
            for n in [0usize, 1, 2, 3, 4, 5, 64, 70] {
                let vals: Vec<u32> = (0..n)
                    .map(|_| {
                        state = state.wrapping_mul(0x9E37_79B9).wrapping_add(0x7F4A_7C15);
                        state
                    })
                    .collect();
                let bytes: Vec<u8> = vals.iter().take(64).flat_map(|v| v.to_le_bytes()).collect();
                assert_eq!(
                    hash_values(&vals, seed),
                    xxh3_64_with_seed(&bytes, seed),
                    "n = {n}, seed {seed}"
                );
            }
        }
    }
}
