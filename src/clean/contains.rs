//! The `contains` phrases of a rule book: which of them occur in a (lowercase) line.
//!
//! Every phrase of four bytes or more has an *anchor*: the four of its bytes that are
//! least likely in running text, at a fixed offset. An occurrence of the phrase puts its
//! anchor at that offset, so one pass over the line that hashes each window of four
//! bytes into a bitmap of 2^16 bits (8 KiB, it stays in the L1 cache) finds every
//! candidate; a candidate is verified by comparing the anchor and then the phrase. This
//! finds exactly the phrases an overlapping Aho-Corasick search finds, with a table a
//! hundred times smaller than that automaton's, whose cache misses dominated its cost.
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

/// The offset of the least likely four bytes of `p` (at least 4 bytes long).
fn anchor_offset(p: &[u8]) -> usize {
    let mut best = (f64::INFINITY, 0);
    for o in 0..=p.len() - 4 {
        let score: f64 = p[o..o + 4].iter().map(|&b| byte_freq(b)).product();
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
            short,
        }
    }

    /// Call `f` with the index of every phrase that occurs in `hay` (once per
    /// occurrence; a phrase may be reported more than once).
    pub fn for_each_match(&self, hay: &[u8], mut f: impl FnMut(usize)) {
        for (i, finder) in &self.short {
            if finder.find(hay).is_some() {
                f(*i);
            }
        }
        if hay.len() < 4 {
            return;
        }
        let last = hay.len() - 4;
        let mut pos = 0;
        // Four windows from each 8-byte load; the bitmap bits of all four are tested at
        // once, so a window without a candidate costs a multiply, a shift and a load.
        while pos + 8 <= hay.len() {
            let w = u64::from_le_bytes(hay[pos..pos + 8].try_into().unwrap_or([0; 8]));
            let mut any = 0u64;
            for k in 0..4 {
                let h = window_hash((w >> (8 * k)) as u32);
                any |= self.bitmap[h / 64] >> (h % 64) & 1;
            }
            if any != 0 {
                for k in 0..4 {
                    self.verify(hay, pos + k, (w >> (8 * k)) as u32, &mut f);
                }
            }
            pos += 4;
        }
        while pos <= last {
            let key = u32::from_le_bytes([hay[pos], hay[pos + 1], hay[pos + 2], hay[pos + 3]]);
            self.verify(hay, pos, key, &mut f);
            pos += 1;
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
