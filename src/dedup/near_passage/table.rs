//! The band-key table of the near-passage index: band key → slot of the first indexed
//! passage with that key, open addressing with linear probing in one flat array of 8-byte
//! entries. Unlike a general map it can be told where a key will be looked up
//! ([`BandTable::prefetch`]): the index is several times larger than the caches and
//! every lookup of a band key is a cache miss, so the observer asks for the next
//! passages' entries while it verifies the current one's candidates.
//!
//! What it answers does not depend on its layout (keys are unique; the table only maps
//! them), so growing it or the order of insertions and removals cannot change a result.

/// An empty entry (a stored entry has a slot below `u32::MAX`).
const EMPTY: u64 = u64::MAX;
/// Smallest capacity (entries).
const MIN_CAPACITY: usize = 1 << 10;

pub(super) struct BandTable {
    /// `key << 32 | slot`, or [`EMPTY`].
    entries: Vec<u64>,
    /// `64 - log2(capacity)`: the home of a key is the top bits of its mixed value.
    shift: u32,
    len: usize,
}

impl Default for BandTable {
    fn default() -> Self {
        BandTable {
            entries: vec![EMPTY; MIN_CAPACITY],
            shift: 64 - MIN_CAPACITY.trailing_zeros(),
            len: 0,
        }
    }
}

impl BandTable {
    /// Home position of `key`. Band keys are hashes already, but only 32 bits: a
    /// multiply spreads them over the top bits the position is taken from.
    #[inline]
    fn home(&self, key: u32) -> usize {
        (u64::from(key).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    #[inline]
    fn mask(&self) -> usize {
        self.entries.len() - 1
    }

    /// Ask the CPU to load the cache line where `key` is looked up (no effect on what
    /// any call answers).
    #[inline]
    pub fn prefetch(&self, key: u32) {
        #[cfg(target_arch = "x86_64")]
        {
            let p = self.entries.as_ptr().wrapping_add(self.home(key));
            // SAFETY: a prefetch is a hint; it does not access memory architecturally
            // (and `p` is inside `entries`, whose capacity is a power of two ≥ 1024).
            #[allow(unused_unsafe)]
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                    p as *const i8,
                )
            };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = (self, key);
    }

    /// Where `key` is (`Ok`), or the empty entry where it would go (`Err`): the one probe
    /// loop of lookups, insertions, removals and growth.
    #[inline]
    fn find(&self, key: u32) -> std::result::Result<usize, usize> {
        let mask = self.mask();
        let mut i = self.home(key);
        loop {
            let e = self.entries[i];
            if e == EMPTY {
                return Err(i);
            }
            if (e >> 32) as u32 == key {
                return Ok(i);
            }
            i = (i + 1) & mask;
        }
    }

    /// The slot stored for `key`, or, if there is none, store `slot` (below `u32::MAX`)
    /// and return `None`.
    #[inline]
    pub fn get_or_insert(&mut self, key: u32, slot: u32) -> Option<u32> {
        debug_assert!(slot < u32::MAX);
        if (self.len + 1) * 4 > self.entries.len() * 3 {
            self.grow();
        }
        match self.find(key) {
            Ok(i) => Some(self.entries[i] as u32),
            Err(i) => {
                self.entries[i] = u64::from(key) << 32 | u64::from(slot);
                self.len += 1;
                None
            }
        }
    }

    /// Take `key` out (if it is there), shifting back the entries its removal would
    /// leave unreachable.
    pub fn remove(&mut self, key: u32) {
        let Ok(i) = self.find(key) else {
            return;
        };
        let mask = self.mask();
        // Backward-shift deletion: move up each later entry of the run whose home is not
        // in the cyclic range (hole, j], i.e. that would not be found past the hole.
        let mut hole = i;
        let mut j = i;
        loop {
            j = (j + 1) & mask;
            let e = self.entries[j];
            if e == EMPTY {
                break;
            }
            let home = self.home((e >> 32) as u32);
            let stays = if hole <= j {
                hole < home && home <= j
            } else {
                hole < home || home <= j
            };
            if !stays {
                self.entries[hole] = e;
                hole = j;
            }
        }
        self.entries[hole] = EMPTY;
        self.len -= 1;
    }

    fn grow(&mut self) {
        let bigger = vec![EMPTY; self.entries.len() * 2];
        let old = std::mem::replace(&mut self.entries, bigger);
        self.shift -= 1;
        for e in old.into_iter().filter(|&e| e != EMPTY) {
            // Keys are unique, so each finds an empty entry.
            if let Err(i) = self.find((e >> 32) as u32) {
                self.entries[i] = e;
            }
        }
    }

    /// Number of keys held.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// The keys held, in no particular order.
    #[cfg(test)]
    pub fn keys(&self) -> impl Iterator<Item = u32> + '_ {
        self.entries
            .iter()
            .filter(|&&e| e != EMPTY)
            .map(|&e| (e >> 32) as u32)
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.entries.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Random inserts, lookups and removals (many colliding keys, growth included) answer
    /// as a `HashMap` does.
    #[test]
    fn answers_as_a_hash_map_does() {
        let mut rng = crate::test_rng::XorShift::new(7);
        let mut t = BandTable::default();
        let mut m: HashMap<u32, u32> = HashMap::new();
        for step in 0..200_000u32 {
            // Few distinct keys at first (collisions, removals of present keys), then more.
            let key = rng.below(64 + step as usize / 4) as u32;
            if rng.below(4) == 0 {
                t.remove(key);
                m.remove(&key);
            } else {
                let want = m.get(&key).copied();
                assert_eq!(t.get_or_insert(key, step), want, "step {step} key {key}");
                m.entry(key).or_insert(step);
            }
            assert_eq!(t.len(), m.len());
        }
        let mut keys: Vec<u32> = t.keys().collect();
        keys.sort_unstable();
        let mut want: Vec<u32> = m.keys().copied().collect();
        want.sort_unstable();
        assert_eq!(keys, want);
        for (&k, &v) in &m {
            assert_eq!(t.get_or_insert(k, 0), Some(v));
        }
    }
}
