//! xxh3-64 of 1 to 16 bytes without branches on the length; with AVX2, four words at once.

/// The first bytes of xxh3's default secret.
const SECRET: [u8; 56] = [
    0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
    0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
    0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
    0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e,
];

const fn secret64(at: usize) -> u64 {
    let mut v = 0u64;
    let mut i = 0;
    while i < 8 {
        v |= (SECRET[at + i] as u64) << (8 * i);
        i += 1;
    }
    v
}

const fn secret32(at: usize) -> u32 {
    secret64(at) as u32
}

#[cfg(target_arch = "x86_64")]
pub(super) mod avx2;

/// The seed-dependent constants of [`xxh3_short`]'s three length classes, computed once
/// per seed for the batched version.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // the flips: only the AVX2 code
pub(super) struct ShortKeys {
    pub seed: u64,
    /// XORed into the 1-3 byte combination.
    pub flip1to3: u64,
    /// XORed into the 4-8 byte input.
    pub flip4to8: u64,
    /// XORed into the first and the last 8 of 9-16 bytes.
    pub flip_lo: u64,
    pub flip_hi: u64,
}

impl ShortKeys {
    pub(super) fn new(seed: u64) -> ShortKeys {
        ShortKeys {
            seed,
            flip1to3: flip1to3(seed),
            flip4to8: flip4to8(seed),
            flip_lo: flip_lo(seed),
            flip_hi: flip_hi(seed),
        }
    }
}

/// xxh3's seed-dependent value XORed into the 1-3 byte combination.
#[inline(always)]
const fn flip1to3(seed: u64) -> u64 {
    ((secret32(0) ^ secret32(4)) as u64).wrapping_add(seed)
}

/// xxh3's seed-dependent value XORed into the 4-8 byte input.
#[inline(always)]
const fn flip4to8(seed: u64) -> u64 {
    let seed48 = seed ^ (((seed as u32).swap_bytes() as u64) << 32);
    (secret64(8) ^ secret64(16)).wrapping_sub(seed48)
}

/// xxh3's seed-dependent value XORed into the first 8 of 9-16 bytes.
#[inline(always)]
const fn flip_lo(seed: u64) -> u64 {
    (secret64(24) ^ secret64(32)).wrapping_add(seed)
}

/// xxh3's seed-dependent value XORed into the last 8 of 9-16 bytes.
#[inline(always)]
const fn flip_hi(seed: u64) -> u64 {
    (secret64(40) ^ secret64(48)).wrapping_sub(seed)
}

/// The multipliers of the three classes (xxh3's `PRIME64_2`, `PRIME64_3`, `rrmxmx`, and
/// the avalanche's `0x165667919E3779F9`).
const P13_A: u64 = 0xC2B2_AE3D_27D4_EB4F;
const P13_B: u64 = 0x1656_67B1_9E37_79F9;
const P48: u64 = 0x9FB2_1C65_1E98_DF25;
const P916: u64 = 0x1656_6791_9E37_79F9;

/// `xxh3_64_with_seed` of `len` (4 to 8) bytes, given as xxh3 reads them: the last four
/// bytes (little-endian) plus the first four shifted up by 32 bits.
#[inline(always)]
pub(crate) fn xxh3_4to8(input64: u64, len: u64, seed: u64) -> u64 {
    let mut v = input64 ^ flip4to8(seed);
    v ^= v.rotate_left(49) ^ v.rotate_left(24);
    v = v.wrapping_mul(P48);
    v ^= (v >> 35).wrapping_add(len);
    v = v.wrapping_mul(P48);
    v ^ (v >> 28)
}

/// `xxh3_64_with_seed(&padded[..len], seed)` for `len` in 1..=16, with the three length
/// classes computed side by side and one chosen by masks: word lengths are unpredictable,
/// and a mispredicted branch costs more than the arithmetic.
#[inline(always)]
pub(super) fn xxh3_short(padded: &[u8; 16], len: usize, seed: u64) -> u64 {
    let len = len.clamp(1, 16);
    let r32 = |at: usize| {
        let mut b = [0u8; 4];
        b.copy_from_slice(&padded[at..at + 4]);
        u64::from(u32::from_le_bytes(b))
    };
    let r64 = |at: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&padded[at..at + 8]);
        u64::from_le_bytes(b)
    };
    // 1 to 3 bytes.
    let c1 = u32::from(padded[0]);
    let c2 = u32::from(padded[len >> 1]);
    let c3 = u32::from(padded[len - 1]);
    let combo = (c1 << 16) | (c2 << 24) | c3 | ((len as u32) << 8);
    let mut h = u64::from(combo) ^ flip1to3(seed);
    h ^= h >> 33;
    h = h.wrapping_mul(P13_A);
    h ^= h >> 29;
    h = h.wrapping_mul(P13_B);
    let h1to3 = h ^ (h >> 32);
    // 4 to 8 bytes.
    let input64 = r32(len.saturating_sub(4).min(12)).wrapping_add(r32(0) << 32);
    let h4to8 = xxh3_4to8(input64, len as u64, seed);
    // 9 to 16 bytes.
    let lo = r64(0) ^ flip_lo(seed);
    let hi = r64(len.saturating_sub(8).min(8)) ^ flip_hi(seed);
    let prod = u128::from(lo) * u128::from(hi);
    let mut acc = (len as u64)
        .wrapping_add(lo.swap_bytes())
        .wrapping_add(hi)
        .wrapping_add(prod as u64 ^ (prod >> 64) as u64);
    acc ^= acc >> 37;
    acc = acc.wrapping_mul(P916);
    let h9to16 = acc ^ (acc >> 32);
    let m4 = u64::from(len >= 4).wrapping_neg();
    let m9 = u64::from(len > 8).wrapping_neg();
    let h = (h4to8 & m4) | (h1to3 & !m4);
    (h9to16 & m9) | (h & !m9)
}

#[cfg(test)]
mod tests {
    use super::*;
    use xxhash_rust::xxh3::xxh3_64_with_seed;

    #[test]
    fn xxh3_short_is_xxh3() {
        let mut state = crate::test_rng::Lcg::new(3);
        for seed in [0u64, 7, 0x005E_ED0F_D1CE, u64::MAX] {
            for len in 1..=16usize {
                for _ in 0..200 {
                    let mut p = [0u8; 16];
                    for b in p.iter_mut().take(len) {
                        *b = (state.step() >> 56) as u8;
                    }
                    assert_eq!(
                        xxh3_short(&p, len, seed),
                        xxh3_64_with_seed(&p[..len], seed),
                        "{len} {p:?}"
                    );
                }
            }
        }
    }
}
