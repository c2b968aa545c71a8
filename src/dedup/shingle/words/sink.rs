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
}

/// Hashes every word (seeded xxh3) into a token list. With [`Isa::BATCH`], words of up
/// to 16 bytes wait in groups of four, hashed together; a longer word first hashes the
/// waiting ones, so the list keeps the order of the words. [`HashSink::finish`] hashes
/// the last ones.
pub(in crate::dedup::shingle) struct HashSink<'a, I: Isa> {
    out: &'a mut Vec<u64>,
    isa: I,
    keys: ShortKeys,
    words: [[u8; 16]; 4],
    lens: [u64; 4],
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
            waiting: 0,
        }
    }

    /// Hash the waiting words.
    #[inline(always)]
    fn flush(&mut self) {
        if self.waiting > 0 {
            let h = self.isa.xxh3_short4(&self.words, &self.lens, &self.keys);
            self.out.extend_from_slice(&h[..self.waiting.min(4)]);
            self.waiting = 0;
        }
    }

    /// Drop every token, hashed or waiting.
    pub(in crate::dedup::shingle) fn clear(&mut self) {
        self.out.clear();
        self.waiting = 0;
    }

    /// Hash the waiting words: the token list is complete.
    pub(in crate::dedup::shingle) fn finish(mut self) {
        self.flush();
    }
}

impl<I: Isa> WordSink for HashSink<'_, I> {
    #[inline(always)]
    fn word(&mut self, w: &[u8]) {
        self.flush();
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
        if k < 3 {
            self.waiting = k + 1;
            return;
        }
        let h = self.isa.xxh3_short4(&self.words, &self.lens, &self.keys);
        self.out.extend_from_slice(&h);
        self.waiting = 0;
    }
}

impl<F: FnMut(&[u8])> WordSink for F {
    fn word(&mut self, w: &[u8]) {
        self(w)
    }
}
