//! The vector instructions the tokenizer runs with: the x86_64 baseline (SSE2) always,
//! AVX2 when the CPU has it and `crate::cpu` allows it (decided at run time). A value of
//! [`Avx2`] exists only on a CPU with AVX2, which is what makes its safe methods sound.
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
    /// `Some` when the tokenizer is to use AVX2 ([`crate::cpu::paths`]).
    #[inline]
    pub(super) fn detect() -> Option<Avx2> {
        Avx2::of(crate::cpu::paths())
    }

    /// `Some` when `cpu` has AVX2, which a [`crate::cpu::Paths`] reports only on a CPU
    /// with it.
    #[inline]
    pub(super) fn of(cpu: crate::cpu::Paths) -> Option<Avx2> {
        cpu.avx2().then_some(Avx2(()))
    }

    /// For a test of the AVX2 path: panics on a CPU without AVX2 ([`crate::cpu::require`]).
    #[cfg(test)]
    pub(super) fn require() -> Avx2 {
        let cpu = crate::cpu::require(&[crate::cpu::Feature::Avx2]);
        Avx2::of(cpu).expect("`cpu::require` gave AVX2")
    }
}

#[cfg(target_arch = "x86_64")]
impl Isa for Avx2 {
    const BATCH: bool = true;

    #[inline(always)]
    fn classify64(self, block: &[u8; 64]) -> Classes64 {
        // SAFETY: a value of `Avx2` exists only when the CPU has AVX2 (`Avx2::of`, from
        // a `crate::cpu::Paths`, which reports only features the CPU has).
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

#[cfg(test)]
mod tests {
    use super::super::{fast_tokens, Shingler, Tokens};
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    /// Texts for the fast tokenizers, of every byte length up to some 700: mostly of
    /// the characters the block tokenizer takes (ASCII, Latin-1 letters, the punctuation
    /// it knows), else with some that only the byte-loop one takes, or that neither does
    /// (and so leave the text to `unicode_words`).
    fn text() -> impl Strategy<Value = String> {
        let ascii: Vec<char> = ('a'..='z')
            .chain('A'..='Z')
            .chain('0'..='9')
            .chain(" ,.:;'\"_-!?()\n\t/@".chars())
            .collect();
        let latin1: Vec<char> = ('\u{C0}'..='\u{FF}').collect();
        let punct: Vec<char> = "\u{A1}\u{A3}\u{A7}\u{A9}\u{AB}\u{AC}\u{AE}\u{B0}\u{B1}\u{B4}\
                                \u{B6}\u{BB}\u{BF}\u{2013}\u{2014}\u{201C}\u{201D}\u{201E}\
                                \u{2022}\u{2026}\u{2039}\u{203A}\u{20AC}"
            .chars()
            .collect();
        let byte_loop_only: Vec<char> =
            "\u{B7}\u{2019}\u{2018}\u{AA}\u{B5}\u{B8}\u{BA}\u{A2}\u{A8}\u{17E}"
                .chars()
                .collect();
        let block = prop_oneof![
            12 => prop::sample::select(ascii),
            3 => prop::sample::select(latin1),
            1 => prop::sample::select(punct),
        ];
        let other = prop_oneof![
            30 => block.clone(),
            1 => prop::sample::select(byte_loop_only),
            1 => any::<char>().prop_filter("U+00B8", |&c| c != '\u{B8}'),
        ];
        prop_oneof![3 => vec(block, 0..350), 1 => vec(other, 0..250)].prop_map(String::from_iter)
    }

    /// What `Shingler::tokens` gives without the fast tokenizers.
    fn reference(text: &str, seed: u64) -> Tokens {
        let shingler = Shingler {
            word_ngram: 5,
            char_ngram: 3,
            seed,
        };
        let mut out = Tokens::default();
        let mut buf = String::new();
        for word in unicode_segmentation::UnicodeSegmentation::unicode_words(text) {
            shingler.push_word(word, &mut out, &mut buf);
        }
        out
    }

    /// The fast tokenizers of `isa` (through `fast` of it) give the reference's tokens
    /// where they take the text; whether they take it is returned.
    fn tokens_agree(
        name: &str,
        text: &str,
        seed: u64,
        fast: impl FnOnce(&str, u64, &mut Vec<u64>, &mut String) -> bool,
    ) -> Result<bool, TestCaseError> {
        let mut got = Vec::new();
        let took = fast(text, seed, &mut got, &mut String::new());
        if took {
            let want = reference(text, seed);
            prop_assert_eq!(want.unspaced, 0, "{:?}", text);
            prop_assert_eq!(got, want.hashes, "{}: {:?}", name, text);
        }
        Ok(took)
    }

    /// Unicode 17 (unicode-segmentation 1.13) made U+00B8 CEDILLA an ALetter that is not
    /// alphanumeric: "¸a" is one word, "¸" alone none. The fast tokenizer declines such
    /// text, so `unicode_words` judges it (found by the differential tests below).
    #[test]
    fn fast_tokens_leave_a_cedilla_to_unicode_words() {
        for text in ["\u{B8}a", "a\u{B8}b c", "x \u{B8}1", "\u{B8} "] {
            let mut got = Vec::new();
            assert!(
                !fast_tokens(Baseline, text, 0, &mut got, &mut String::new()),
                "{text:?}"
            );
        }
    }

    // Differential tests (`simd_*`; a long run: see `crate::cpu`): the tokens of a
    // passage, classes and word hashes together.
    proptest! {
        #[test]
        fn simd_tokens_baseline(text in text(), seed in any::<u64>()) {
            tokens_agree("baseline", &text, seed, |t, seed, out, buf| {
                fast_tokens(Baseline, t, seed, out, buf)
            })?;
        }

        #[cfg(target_arch = "x86_64")]
        #[test]
        #[cfg_attr(not(rinse_host_avx2), ignore = "the build host has no AVX2")]
        fn simd_tokens_avx2(text in text(), seed in any::<u64>()) {
            let avx2 = Avx2::require();
            let took = tokens_agree("AVX2", &text, seed, |t, seed, out, buf| {
                // SAFETY: a value of `Avx2` exists: the CPU has AVX2.
                unsafe { super::super::fast_tokens_avx2(avx2, t, seed, out, buf) }
            })?;
            // Both take the same texts.
            let baseline = fast_tokens(Baseline, &text, seed, &mut Vec::new(), &mut String::new());
            prop_assert_eq!(took, baseline, "{:?}", text);
        }
    }
}
