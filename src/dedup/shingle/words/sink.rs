//! Where the tokenizers' words go: [`WordSink`], and [`HashSink`], which hashes them into
//! a passage's token list (with AVX2, words of up to 16 bytes four at a time).
use crate::dedup::shingle::isa::Isa;
use crate::dedup::shingle::short_hash::{xxh3_short, ShortKeys};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Receives the case-folded words of the tokenizers (UTF-8 bytes), in order.
pub(in crate::dedup::shingle) trait WordSink {
    fn word(&mut self, w: &[u8]);

    /// A word of `len` bytes (1 to 16) given zero-padded to 16 bytes.
    #[inline(always)]
    fn word16(&mut self, padded: &[u8; 16], len: usize) {
        self.word(&padded[..len.min(16)])
    }

    /// Four words of ASCII and Latin-1 letters, the first `lens[i]` (1 to 16) bytes of
    /// each `raw[i]`, not yet lower-cased.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn raw16x4(&mut self, raw: [&[u8; 16]; 4], lens: [usize; 4]) {
        raw16x4_one_by_one(self, raw, lens)
    }
}

/// [`WordSink::raw16x4`] as four [`WordSink::word16`].
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn raw16x4_one_by_one<S: WordSink + ?Sized>(sink: &mut S, raw: [&[u8; 16]; 4], lens: [usize; 4]) {
    for (raw, n) in raw.into_iter().zip(lens) {
        sink.word16(&super::sse2::lower16(raw, n), n);
    }
}

/// Hashes every word (seeded xxh3) into a token list. With [`Isa::BATCH`], words of up
/// to 16 bytes given one by one wait in groups of four, hashed together, their places in
/// the list kept by placeholders; any other word is hashed into the list at once (four
/// given together in one step), so the list keeps the order of the words.
/// [`HashSink::finish`] hashes the last waiting ones.
pub(in crate::dedup::shingle) struct HashSink<'a, I: Isa> {
    out: &'a mut Vec<u64>,
    isa: I,
    keys: ShortKeys,
    words: [[u8; 16]; 4],
    lens: [u64; 4],
    /// Where the waiting words' hashes go in `out`.
    at: [usize; 4],
    waiting: usize,
}

impl<'a, I: Isa> HashSink<'a, I> {
    pub(in crate::dedup::shingle) fn new(out: &'a mut Vec<u64>, seed: u64, isa: I) -> Self {
        HashSink {
            out,
            isa,
            keys: ShortKeys::new(seed),
            words: [[0; 16]; 4],
            lens: [1; 4],
            at: [0; 4],
            waiting: 0,
        }
    }

    /// Hash the waiting words into their places.
    #[inline(always)]
    fn flush(&mut self) {
        let h = self.isa.xxh3_short4(&self.words, &self.lens, &self.keys);
        for (&at, h) in self.at.iter().zip(h).take(self.waiting) {
            if let Some(slot) = self.out.get_mut(at) {
                *slot = h;
            }
        }
        self.waiting = 0;
    }

    /// Drop every token, hashed or waiting.
    pub(in crate::dedup::shingle) fn clear(&mut self) {
        self.out.clear();
        self.waiting = 0;
    }

    /// Hash the waiting words: the token list is complete.
    pub(in crate::dedup::shingle) fn finish(mut self) {
        if self.waiting > 0 {
            self.flush();
        }
    }
}

impl<I: Isa> WordSink for HashSink<'_, I> {
    #[inline(always)]
    fn word(&mut self, w: &[u8]) {
        self.out.push(xxh3_64_with_seed(w, self.keys.seed));
    }

    #[inline(always)]
    fn word16(&mut self, padded: &[u8; 16], len: usize) {
        if !I::BATCH {
            self.out.push(xxh3_short(padded, len, self.keys.seed));
            return;
        }
        let k = self.waiting & 3;
        self.words[k] = *padded;
        self.lens[k] = len as u64;
        self.at[k] = self.out.len();
        self.out.push(0);
        self.waiting = k + 1;
        if k == 3 {
            self.flush();
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn raw16x4(&mut self, raw: [&[u8; 16]; 4], lens: [usize; 4]) {
        if I::BATCH {
            let h = self.isa.lower_xxh3_short4(raw, lens, &self.keys);
            self.out.extend_from_slice(&h);
        } else {
            raw16x4_one_by_one(self, raw, lens);
        }
    }
}

impl<F: FnMut(&[u8])> WordSink for F {
    fn word(&mut self, w: &[u8]) {
        self(w)
    }
}
