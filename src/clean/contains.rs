//! The `contains` phrases of a rule book: which of them occur in a (lowercase) line.
//!
//! Every phrase of four bytes or more has an *anchor*: the four of its bytes that are
//! least likely in running text, at a fixed offset. An occurrence of the phrase puts its
//! anchor at that offset, so one pass over the line that looks at windows of four bytes
//! finds every candidate; a candidate is verified by comparing the anchor and then the
//! phrase. The pass skips ahead Wu-Manber style: a window ending in a byte pair that no
//! anchor has near its end cannot end an anchor, nor can the next one or two, so most
//! steps move three bytes on after one table look-up; a window that may end an anchor is
//! hashed into a bitmap of 2^16 bits (8 KiB) first. This finds every phrase that occurs,
//! an anchored one at every occurrence, overlapping ones included: what the Aho-Corasick
//! automaton it replaced found, without that automaton's ≈ 1 MB table, whose cache
//! misses dominated its cost. The tables here are the bitmap, a 64 KiB shift table and,
//! looked at only on candidates, a 256 KiB table of bucket starts.
//! Shorter phrases (`©`, `(c)`) are searched for on their own.
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
    /// Per byte pair (little-endian `u16`): how far the end of the window may move on
    /// when the window ends with this pair (Wu-Manber): 3 for a pair in no anchor, else
    /// the least distance from the pair to the end of an anchor that has it.
    shift: Box<[u8]>,
    starts: Vec<u32>,
    /// Phrases shorter than a window, each with its own searcher.
    short: Vec<(usize, memmem::Finder<'static>)>,
}

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
/// often: their pairs are what stops the skipping, the last one most (a window ending
/// with it is looked at), the others less (they only shorten the skip).
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

impl PhraseSet {
    /// Compile `phrases` (lowercase, non-empty); matches name them by index.
    pub fn new(phrases: &[String]) -> PhraseSet {
        let mut bitmap = vec![0u64; (1usize << BITS) / 64].into_boxed_slice();
        let mut anchored: Vec<(usize, Entry)> = Vec::new();
        let mut shift = vec![3u8; 1 << 16].into_boxed_slice();
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
            for j in 1..4 {
                let pair = usize::from(u16::from_le_bytes([b[offset + j - 1], b[offset + j]]));
                shift[pair] = shift[pair].min(3 - j as u8);
            }
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
            shift,
            short,
        }
    }

    /// Call `f` with the index of every phrase that occurs in `hay`: an anchored phrase
    /// once per occurrence, a short one once.
    pub fn for_each_match(&self, hay: &[u8], mut f: impl FnMut(usize)) {
        for (i, finder) in &self.short {
            if finder.find(hay).is_some() {
                f(*i);
            }
        }
        // `end` is the last byte of the window `end - 3..=end`. An anchor that ends
        // `d` bytes after `end` (d = 0, 1, 2) has the pair `end - 1, end` at distance d
        // from its end, so `shift` of that pair is at most d: moving on by it never
        // passes an anchor's end.
        let mut end = 3;
        while let Some(pair) = hay.get(end - 1..=end) {
            let s = self.shift[usize::from(u16::from_le_bytes([pair[0], pair[1]]))];
            if s != 0 {
                end += usize::from(s);
                continue;
            }
            let pos = end - 3;
            let key = u32::from_le_bytes([hay[pos], hay[pos + 1], hay[pos + 2], hay[pos + 3]]);
            self.verify(hay, pos, key, &mut f);
            end += 1;
        }
    }

    /// The phrases anchored by the window `key` at `pos`, verified.
    #[inline]
    fn verify(&self, hay: &[u8], pos: usize, key: u32, f: &mut impl FnMut(usize)) {
        let h = window_hash(key);
        if self.bitmap[h / 64] >> (h % 64) & 1 == 0 {
            return;
        }
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
/// the many phrases of rules for short lines, and the scan of a smaller set skips further
/// (fewer anchors stop it). Set sizes are kept few: a new set starts only where the
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
        // A small alphabet makes near misses and overlapping occurrences common.
        let phrases: Vec<String> = [
            "abca", "bcab", "aabb", "cab a", "ab ab", "bbbb", "c ca", "(c)",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let set = PhraseSet::new(&phrases);
        let alphabet = b"abc ";
        let mut rng = crate::test_rng::XorShift::new(0x2545_F491_4F6C_DD1D);
        let mut next = |n: usize| rng.below(n);
        for _ in 0..20_000 {
            let len = next(40);
            let mut hay: String = (0..len).map(|_| char::from(alphabet[next(4)])).collect();
            if next(2) == 0 {
                let at = next(hay.len() + 1);
                hay.insert_str(at, &phrases[next(phrases.len())]);
            }
            let want: Vec<usize> = (0..phrases.len())
                .filter(|&i| hay.contains(phrases[i].as_str()))
                .collect();
            assert_eq!(found(&set, &hay), want, "{hay:?}");
        }
    }
}
