//! Deterministic pseudo-random numbers for tests that compare a fast path with its
//! reference on generated inputs: no dependency, the same sequence on every machine.

/// Marsaglia's xorshift64 (13, 7, 17).
pub(crate) struct XorShift(u64);

impl XorShift {
    /// A sequence from `seed` (non-zero).
    pub(crate) fn new(seed: u64) -> XorShift {
        XorShift(seed)
    }

    /// The next number below `n` (n > 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Knuth's MMIX linear congruential generator.
pub(crate) struct Lcg(u64);

impl Lcg {
    /// A sequence from `seed`.
    pub(crate) fn new(seed: u64) -> Lcg {
        Lcg(seed)
    }

    /// The next state (its high bits are the random ones).
    pub(crate) fn step(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0
    }
}
