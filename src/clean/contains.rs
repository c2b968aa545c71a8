//! The `contains` phrases of a rule book: which of them occur in a (lowercase) line.
//!
//! Every phrase of four bytes or more has an *anchor*: the four of its bytes that are
//! least likely in running text, at a fixed offset. An occurrence of the phrase puts its
//! anchor at that offset, so one pass over the line that looks at every window of four
//! bytes finds every candidate: a window is hashed into a bitmap of 2^16 bits (8 KiB),
//! and one whose bit is set is verified by comparing the anchor and then the phrase.
//! With AVX2 the pass hashes 32 windows at a time and fetches their bits with gathers;
//! the windows are independent, so their work overlaps, where the Wu-Manber skip loop
//! this replaced (a 64 KiB shift table per byte pair) was a chain of dependent loads and
//! cost more per byte though it looked at fewer windows. This finds every phrase that
//! occurs, an anchored one at every occurrence, overlapping ones included: what the
//! Aho-Corasick automaton before it found, without that automaton's ≈ 1 MB table, whose
//! cache misses dominated its cost. The tables here are the bitmap and, looked at only
//! on candidates, a 256 KiB table of bucket starts.
//! Shorter phrases (`©`, `(c)`) are searched for on their own.
use crate::cpu::{self, Paths};
use memchr::memmem;

/// Bits of the window hash.
const BITS: u32 = 16;

/// One anchored phrase in its bucket.
#[derive(Clone, Debug)]
struct Entry {
    /// The anchor's four bytes, little-endian.
    key: u32,
    /// Offset of the anchor in the phrase.
    offset: usize,
    phrase: usize,
}

/// The phrases, compiled.
pub struct PhraseSet {
    phrases: Vec<Box<[u8]>>,
    /// One bit per window hash: some anchor has it.
    bitmap: Box<[u64]>,
    /// Entries sorted by bucket; `starts[h]..starts[h + 1]` are those of hash `h`.
    entries: Vec<Entry>,
    /// The vector paths the scan may take (with AVX2, 32 windows at a time).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    cpu: Paths,
    starts: Vec<u32>,
    /// Phrases shorter than a window, each with its own searcher.
    short: Vec<(usize, memmem::Finder<'static>)>,
    /// The distinct first bytes of the short phrases, when there are at most three of
    /// them and 64 short phrases: then one `memchr3` pass finds where any could start.
    short_firsts: Option<[u8; 3]>,
}

/// For each byte: its bit `k` moved to bit `4k` (the lanes of the four window vectors of
/// [`PhraseSet::scan_avx2`] interleaved back into byte order).
static SPREAD: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut m = 0;
    while m < 256 {
        let mut k = 0;
        while k < 8 {
            t[m] |= ((m as u32 >> k) & 1) << (4 * k);
            k += 1;
        }
        m += 1;
    }
    t
};

#[inline]
fn window_hash(key: u32) -> usize {
    (key.wrapping_mul(0x9E37_79B1) >> (32 - BITS)) as usize
}

/// Rough frequency of a byte in lowercase European text (per mille).
pub(super) fn byte_freq(b: u8) -> f64 {
    let f = match b {
        b' ' => 160,
        b'e' => 140,
        b'n' => 90,
        b'i' => 75,
        b's' | b'r' => 70,
        b't' | b'a' => 65,
        b'd' | b'h' => 45,
        b'u' => 40,
        b'l' | b'o' => 35,
        b'c' => 30,
        b'g' => 28,
        b'm' => 25,
        b'b' => 18,
        b'w' => 17,
        b'f' => 16,
        b'k' => 12,
        b'z' => 11,
        b'p' => 10,
        b'v' => 8,
        b'y' => 5,
        b'j' => 3,
        b'x' => 2,
        b'q' => 1,
        b'.' | b',' => 15,
        _ => 5,
    };
    f64::from(f)
}

/// The offset of the four bytes of `p` (at least 4 bytes long) that the scan meets least
/// often (a window equal to an anchor is verified against its phrases). The score
/// weighs the last pairs most: it was made for the skip loop the scan had before, where
/// they stopped the skipping; as a measure of how rare the four bytes are it still
/// serves.
fn anchor_offset(p: &[u8]) -> usize {
    let mut best = (f64::INFINITY, 0);
    for o in 0..=p.len() - 4 {
        let f = |i: usize| byte_freq(p[o + i]);
        let score = f(2) * f(3) + 0.3 * f(1) * f(2) + 0.1 * f(0) * f(1);
        if score < best.0 {
            best = (score, o);
        }
    }
    best.1
}

/// [`PhraseSet::short_firsts`] of these short phrases.
fn short_firsts(short: &[(usize, memmem::Finder<'static>)]) -> Option<[u8; 3]> {
    if short.is_empty() || short.len() > 64 {
        return None;
    }
    let mut firsts = Vec::with_capacity(short.len());
    for (_, f) in short {
        firsts.push(*f.needle().first()?);
    }
    firsts.sort_unstable();
    firsts.dedup();
    if firsts.len() > 3 {
        return None;
    }
    let at = |i: usize| firsts[i.min(firsts.len() - 1)];
    Some([at(0), at(1), at(2)])
}

impl PhraseSet {
    /// Compile `phrases` (lowercase, non-empty); matches name them by index.
    pub fn new(phrases: &[String]) -> PhraseSet {
        let mut bitmap = vec![0u64; (1usize << BITS) / 64].into_boxed_slice();
        let mut anchored: Vec<(usize, Entry)> = Vec::new();
        let mut short = Vec::new();
        for (i, p) in phrases.iter().enumerate() {
            let b = p.as_bytes();
            if b.len() < 4 {
                short.push((i, memmem::Finder::new(b).into_owned()));
                continue;
            }
            let offset = anchor_offset(b);
            let key = u32::from_le_bytes([b[offset], b[offset + 1], b[offset + 2], b[offset + 3]]);
            let h = window_hash(key);
            bitmap[h / 64] |= 1 << (h % 64);
            anchored.push((
                h,
                Entry {
                    key,
                    offset,
                    phrase: i,
                },
            ));
        }
        anchored.sort_by_key(|(h, e)| (*h, e.phrase));
        let mut starts = vec![0u32; (1usize << BITS) + 1];
        for (h, _) in &anchored {
            starts[h + 1] += 1;
        }
        for h in 0..1usize << BITS {
            starts[h + 1] += starts[h];
        }
        PhraseSet {
            phrases: phrases
                .iter()
                .map(|p| p.as_bytes().to_vec().into_boxed_slice())
                .collect(),
            bitmap,
            entries: anchored.into_iter().map(|(_, e)| e).collect(),
            starts,
            cpu: cpu::paths(),
            short_firsts: short_firsts(&short),
            short,
        }
    }

    /// The same set scanning on the paths of `cpu` (the baseline: one window at a time).
    #[cfg(test)]
    fn with_paths(mut self, cpu: Paths) -> PhraseSet {
        self.cpu = cpu;
        self
    }

    /// Call `f` with the index of every phrase that occurs in `hay`: an anchored phrase
    /// once per occurrence, a short one once.
    pub fn for_each_match(&self, hay: &[u8], mut f: impl FnMut(usize)) {
        match self.short_firsts {
            // The short phrases at the places where one could start: a line has few.
            Some([a, b, c]) => {
                let mut found = 0u64;
                for p in memchr::memchr3_iter(a, b, c, hay) {
                    for (j, (_, finder)) in self.short.iter().enumerate() {
                        found |= u64::from(hay[p..].starts_with(finder.needle())) << j;
                    }
                }
                while found != 0 {
                    f(self.short[found.trailing_zeros() as usize].0);
                    found &= found - 1;
                }
            }
            None => {
                for (i, finder) in &self.short {
                    if finder.find(hay).is_some() {
                        f(*i);
                    }
                }
            }
        }
        // Every window of four bytes is hashed and tested against the bitmap (32 at a
        // time with AVX2); the windows are independent of each other, so their work
        // overlaps, where the skip loop this replaced was a chain of dependent look-ups.
        let mut pos = 0;
        #[cfg(target_arch = "x86_64")]
        if self.cpu.avx2() {
            // SAFETY: the CPU has AVX2 (a `Paths` reports only features the CPU has,
            // `crate::cpu`).
            pos = unsafe { self.scan_avx2(hay, &mut f) };
        }
        while let Some(w) = hay.get(pos..pos + 4) {
            let key = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
            self.verify(hay, pos, key, &mut f);
            pos += 1;
        }
    }

    /// The windows starting before the last 35 bytes of `hay`, 32 at a time: their
    /// hashes with AVX2, the bitmap bits by a gather; the windows whose bit is set are
    /// verified in order. Returns the first window not looked at.
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn scan_avx2(&self, hay: &[u8], f: &mut impl FnMut(usize)) -> usize {
        use std::arch::x86_64::*;
        let mult = _mm256_set1_epi32(0x9E37_79B1u32 as i32);
        let low5 = _mm256_set1_epi32(31);
        let one = _mm256_set1_epi32(1);
        // The bitmap as 32-bit words (little-endian: bit `h` is bit `h % 32` of word
        // `h / 32`, as it is bit `h % 64` of u64 word `h / 64`).
        let bitmap = self.bitmap.as_ptr().cast::<i32>();
        let mut pos = 0;
        while pos + 35 <= hay.len() {
            let mut hits = 0u32;
            for j in 0..4 {
                // Lane `k`: the window at `pos + j + 4k` (bytes up to `pos + 34`).
                let v = _mm256_loadu_si256(hay.as_ptr().add(pos + j).cast());
                let h = _mm256_srli_epi32::<{ 32 - BITS as i32 }>(_mm256_mullo_epi32(v, mult));
                // SAFETY: `h` < 2^16, so `h / 32` is a word of the 2^16-bit bitmap.
                let words = _mm256_i32gather_epi32::<4>(bitmap, _mm256_srli_epi32::<5>(h));
                let bit =
                    _mm256_and_si256(_mm256_srlv_epi32(words, _mm256_and_si256(h, low5)), one);
                let lanes = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(bit, one)));
                hits |= SPREAD[lanes as usize & 0xFF] << j;
            }
            while hits != 0 {
                let p = pos + hits.trailing_zeros() as usize;
                hits &= hits - 1;
                let key = u32::from_le_bytes([hay[p], hay[p + 1], hay[p + 2], hay[p + 3]]);
                // (Its bitmap bit is set: tested above.)
                self.verify_bucket(hay, p, key, window_hash(key), f);
            }
            pos += 32;
        }
        pos
    }

    /// The phrases anchored by the window `key` at `pos`, verified.
    #[inline(always)]
    fn verify(&self, hay: &[u8], pos: usize, key: u32, f: &mut impl FnMut(usize)) {
        let h = window_hash(key);
        if self.bitmap[h / 64] >> (h % 64) & 1 != 0 {
            self.verify_bucket(hay, pos, key, h, f);
        }
    }

    /// The phrases of bucket `h` (the hash of `key`, its bitmap bit set) anchored by the
    /// window `key` at `pos`, verified.
    #[inline(always)]
    fn verify_bucket(&self, hay: &[u8], pos: usize, key: u32, h: usize, f: &mut impl FnMut(usize)) {
        let (lo, hi) = (self.starts[h] as usize, self.starts[h + 1] as usize);
        for e in &self.entries[lo..hi] {
            if e.key != key || pos < e.offset {
                continue;
            }
            let start = pos - e.offset;
            let p = &self.phrases[e.phrase];
            if hay.get(start..start + p.len()) == Some(p) {
                f(e.phrase);
            }
        }
    }
}

/// The phrases split by the word limits of their rules: a line is scanned only for the
/// phrases whose rules can apply to it (at least the line's words), so a long line skips
/// the many phrases of rules for short lines, and the scan of a smaller set has fewer
/// candidates to verify. Set sizes are kept few: a new set starts only where the
/// phrases left drop by a quarter or more (a set may hold some phrases whose rules do
/// not apply to a line; their matches are discarded by the caller's word-limit check).
pub struct Tiered {
    /// Up to this many words (ascending): the set, and each of its phrases' index in the
    /// phrases given to [`Tiered::new`].
    tiers: Vec<(usize, PhraseSet, Vec<usize>)>,
}

impl Tiered {
    /// Compile `phrases` (lowercase, non-empty), each with the word limit of its rule
    /// (`usize::MAX` for none).
    pub fn new(phrases: &[String], limits: &[usize]) -> Tiered {
        let mut bounds: Vec<usize> = limits.to_vec();
        bounds.sort_unstable();
        bounds.dedup();
        let of = |bound: usize| -> Vec<usize> {
            (0..phrases.len()).filter(|&p| limits[p] >= bound).collect()
        };
        // (upper bound, phrases) of each set; the first holds every phrase.
        let mut sets: Vec<(usize, Vec<usize>)> = Vec::new();
        for &b in &bounds {
            let members = of(b);
            match sets.last_mut() {
                Some((upper, cur)) if members.len() * 4 > cur.len() * 3 => *upper = b,
                _ => sets.push((b, members)),
            }
        }
        let tiers = sets
            .into_iter()
            .map(|(upper, members)| {
                let ps: Vec<String> = members.iter().map(|&p| phrases[p].clone()).collect();
                (upper, PhraseSet::new(&ps), members)
            })
            .collect();
        Tiered { tiers }
    }

    /// Call `f` with the index of every phrase that occurs in `hay`, a line of `words`
    /// words, among at least those whose limit is `words` or more (maybe more than once).
    pub fn for_each_match(&self, words: usize, hay: &[u8], mut f: impl FnMut(usize)) {
        if let Some((_, set, members)) = self.tiers.iter().find(|t| t.0 >= words) {
            set.for_each_match(hay, |p| f(members[p]));
        }
    }

    /// Number of sets.
    #[cfg(test)]
    pub fn sets(&self) -> usize {
        self.tiers.len()
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
    fn tiered_sets_find_the_phrases_a_line_of_that_length_can_use() {
        let phrases: Vec<String> = [
            "cookies",
            "newsletter",
            "©",
            "all rights reserved",
            "teilen",
            "zum thema",
            "impressum",
            "weiterlesen",
            "(c)",
            "abo",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let limits = [90, 60, 60, 14, 14, 14, 14, 30, 12, usize::MAX];
        let tiered = Tiered::new(&phrases, &limits);
        assert!(tiered.sets() > 1 && tiered.sets() < 6, "{}", tiered.sets());
        let all = PhraseSet::new(&phrases);
        let hays = [
            "wir verwenden cookies und einen newsletter © 2024 all rights reserved",
            "teilen zum thema impressum weiterlesen (c) abo",
            "nothing here",
            "",
        ];
        for hay in hays {
            for words in [0, 1, 12, 13, 14, 15, 30, 31, 59, 60, 61, 90, 91, 1000] {
                let mut got = Vec::new();
                tiered.for_each_match(words, hay.as_bytes(), |p| got.push(p));
                got.sort_unstable();
                got.dedup();
                let want: Vec<usize> = found(&all, hay)
                    .into_iter()
                    .filter(|&p| limits[p] >= words)
                    .collect();
                // Every phrase the line can use is found; any other found is one that
                // really occurs (the caller discards it by its limit).
                let usable: Vec<usize> = got
                    .iter()
                    .copied()
                    .filter(|&p| limits[p] >= words)
                    .collect();
                assert_eq!(usable, want, "{hay:?} at {words} words");
                assert!(got.iter().all(|p| found(&all, hay).contains(p)));
            }
        }
    }

    fn found(set: &PhraseSet, hay: &str) -> Vec<usize> {
        let mut v = Vec::new();
        set.for_each_match(hay.as_bytes(), |i| v.push(i));
        v.sort_unstable();
        v.dedup();
        v
    }

    #[test]
    fn finds_exactly_the_phrases_contained() {
        let phrases: Vec<String> = [
            "cookies",
            "wir verwenden cookies",
            "©",
            "(c)",
            "newsletter",
            "e-mail-adresse",
            "abo",
            "über uns",
            "aaaa",
            "aaaab",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let set = PhraseSet::new(&phrases);
        let hays = [
            "wir verwenden cookies, um ...",
            "tracking-cookies und der newsletter",
            "© 2024 (c) abo über uns",
            "ihre e-mail-adresse wird nicht veröffentlicht",
            "aaaaab",
            "aaa",
            "",
            "nichts davon hier",
            "newslette",
            "über un",
        ];
        for hay in hays {
            let want: Vec<usize> = (0..phrases.len())
                .filter(|&i| hay.contains(phrases[i].as_str()))
                .collect();
            assert_eq!(found(&set, hay), want, "{hay:?}");
        }
    }

    #[test]
    fn every_position_of_a_phrase_is_found_and_a_cut_one_is_not() {
        let phrases: Vec<String> = ["quartz", "jazz club", "zzzz", "abcabc"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let set = PhraseSet::new(&phrases);
        for (i, p) in phrases.iter().enumerate() {
            for pad in 0..12 {
                let hay = format!("{}{p}{}", "x".repeat(pad), "y".repeat(11 - pad));
                assert_eq!(found(&set, &hay), [i], "{hay:?}");
                // Without its last byte the phrase is not there.
                let cut = format!("{}{}", "x".repeat(pad), &p[..p.len() - 1]);
                assert!(found(&set, &cut).is_empty(), "{cut:?}");
            }
        }
    }

    #[test]
    fn random_lines_with_planted_phrases_agree_with_a_naive_search() {
        // A small alphabet makes near misses and overlapping occurrences common. Short
        // phrases (under four bytes) with at most three first bytes are found from one
        // `memchr3` pass, with more each by its own search: both sets have them.
        let sets = [
            vec![
                "abca", "bcab", "aabb", "cab a", "ab ab", "bbbb", "c ca", "(c)",
            ],
            vec!["abca", "cab a", "ab ab", "(c)", "ab", "c", "ca", "a b"],
            vec!["abca", "(c)", "ab", "b", "c a", "  "],
        ];
        for (k, phrases) in sets.iter().enumerate() {
            let phrases: Vec<String> = phrases.iter().map(|s| s.to_string()).collect();
            let set = PhraseSet::new(&phrases);
            assert_eq!(set.short_firsts.is_some(), k < 2, "set {k}");
            let alphabet = b"abc (";
            let mut rng = crate::test_rng::XorShift::new(0x2545_F491_4F6C_DD1D);
            let mut next = |n: usize| rng.below(n);
            for _ in 0..20_000 {
                let len = next(40);
                let mut hay: String = (0..len).map(|_| char::from(alphabet[next(5)])).collect();
                if next(2) == 0 {
                    let at = next(hay.len() + 1);
                    hay.insert_str(at, &phrases[next(phrases.len())]);
                }
                let want: Vec<usize> = (0..phrases.len())
                    .filter(|&i| hay.contains(phrases[i].as_str()))
                    .collect();
                assert_eq!(found(&set, &hay), want, "set {k}: {hay:?}");
            }
        }
    }

    /// Every occurrence of an anchored phrase reported once, overlapping ones included,
    /// by the scan of the paths `cpu`, on lines long enough for the block loop and its
    /// tail, with occurrences planted across block edges.
    fn each_occurrence_once(cpu: Paths) {
        let phrases: Vec<String> = ["abca", "bcab", "aabb", "cab a", "ab ab", "bbbb", "c ca"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let set = PhraseSet::new(&phrases).with_paths(cpu);
        let alphabet = b"abc ";
        let mut rng = crate::test_rng::XorShift::new(0x9E37_79B9_7F4A_7C15);
        let mut next = |n: usize| rng.below(n);
        for round in 0..4_000 {
            let len = 30 + next(120);
            let mut hay: String = (0..len).map(|_| char::from(alphabet[next(4)])).collect();
            for _ in 0..next(4) {
                // Near the edges of the 32-window blocks and the 35-byte tail.
                let at = [
                    31,
                    32,
                    33,
                    63,
                    64,
                    hay.len().saturating_sub(35),
                    next(hay.len()),
                ][next(7)]
                .min(hay.len());
                hay.insert_str(at, &phrases[next(phrases.len())]);
            }
            let mut got = Vec::new();
            set.for_each_match(hay.as_bytes(), |i| got.push(i));
            got.sort_unstable();
            let want = naive(&phrases, hay.as_bytes());
            assert_eq!(got, want, "{cpu:?}, round {round}: {hay:?}");
        }
    }

    /// What [`PhraseSet::for_each_match`] reports, sorted: a phrase of four bytes or more
    /// once per occurrence, a shorter one once if it occurs.
    fn naive(phrases: &[String], hay: &[u8]) -> Vec<usize> {
        let mut want = Vec::new();
        for (i, p) in phrases.iter().enumerate() {
            let p = p.as_bytes();
            let at = hay.windows(p.len()).filter(|w| *w == p).count();
            let times = if p.len() < 4 { at.min(1) } else { at };
            want.extend(std::iter::repeat_n(i, times));
        }
        want
    }

    /// The scan one window at a time (the baseline).
    #[test]
    fn scan_reports_each_occurrence_once() {
        each_occurrence_once(Paths::BASELINE);
    }

    /// The scan 32 windows at a time.
    #[cfg(target_arch = "x86_64")]
    #[test]
    #[cfg_attr(not(rinse_host_avx2), ignore = "the build host has no AVX2")]
    fn simd_avx2_scan_reports_each_occurrence_once() {
        each_occurrence_once(cpu::require(&[Feature::Avx2]));
    }

    /// Phrases (lowercase, non-empty) of a small alphabet, so they occur, overlap and
    /// share anchors; some with two-byte characters.
    fn phrase_list() -> impl Strategy<Value = Vec<String>> {
        let c = prop::sample::select(&['a', 'b', 'c', ' ', '(', '\u{E9}', '\u{A9}'][..]);
        vec(vec(c, 1..8).prop_map(String::from_iter), 1..12)
    }

    /// Lines of up to some 200 bytes (the 32-window blocks and the 35-byte tail), of the
    /// phrases' alphabet or of any byte, with some of the phrases planted.
    fn line_with(phrases: Vec<String>) -> impl Strategy<Value = (Vec<String>, Vec<u8>)> {
        let byte = prop_oneof![
            6 => prop::sample::select(&b"abc ("[..]),
            1 => any::<u8>(),
        ];
        let n = phrases.len();
        (vec(byte, 0..150), vec((any::<usize>(), 0..n), 0..4)).prop_map(move |(mut hay, plants)| {
            for (at, p) in plants {
                let at = at % (hay.len() + 1);
                hay.splice(at..at, phrases[p].bytes());
            }
            (phrases.clone(), hay)
        })
    }

    fn scan_agrees(cpu: Paths, phrases: &[String], hay: &[u8]) -> Result<(), TestCaseError> {
        let set = PhraseSet::new(phrases).with_paths(cpu);
        let mut got = Vec::new();
        set.for_each_match(hay, |i| got.push(i));
        got.sort_unstable();
        prop_assert_eq!(
            got,
            naive(phrases, hay),
            "{:?}: {:?} in {:?}",
            cpu,
            phrases,
            hay
        );
        Ok(())
    }

    // Differential tests (`simd_*`; a long run: see `crate::cpu`).
    proptest! {
        #[test]
        fn simd_contains_baseline((phrases, hay) in phrase_list().prop_flat_map(line_with)) {
            scan_agrees(Paths::BASELINE, &phrases, &hay)?;
        }

        #[cfg(target_arch = "x86_64")]
        #[test]
        #[cfg_attr(not(rinse_host_avx2), ignore = "the build host has no AVX2")]
        fn simd_contains_avx2((phrases, hay) in phrase_list().prop_flat_map(line_with)) {
            scan_agrees(cpu::require(&[Feature::Avx2]), &phrases, &hay)?;
        }
    }
}
