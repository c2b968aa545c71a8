//! Per-document language detection by a stop-word vote, and the stop-word lists the
//! heuristic uses to measure how much a line reads like running text.
//!
//! The lists are short (function words only) so that detection is cheap and the
//! stop-word density of a line means the same in every language.
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

/// A small, fast, non-cryptographic hasher (FNV-1a) for short keys built into the binary.
/// Lookups only; iteration order never reaches the output.
#[derive(Default)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// A `HashMap` with the [`Fnv`] hasher.
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// Languages with a stop-word list, in a fixed order (the bit index in [`StopWords`]).
pub const LANGUAGES: &[&str] = &["de", "en", "es", "fr", "pl", "it", "pt", "nl", "no"];

const DE: &str = "der die das den dem des ein eine einer eines einem einen und oder aber \
  nicht ist sind war waren wird werden wurde wurden hat haben hatte hatten sein im in ins \
  am an auf aus bei mit nach von vom zu zum zur für über unter vor durch gegen ohne um \
  als auch auf noch nur schon sich sie er es wir ihr ich du man wie wenn dass daß so dann \
  denn doch da hier dort mehr sehr kann können muss müssen soll sollen will wollen diese \
  dieser dieses diesem diesen jetzt immer alle allem allen alles einen seine seiner seinen \
  seinem ihre ihren ihrem ihrer was wer wo weil ob bis zwischen sowie bereits etwa heute";
const EN: &str = "the a an and or but not is are was were be been being has have had \
  of in on at to for from by with about into over after before under between through \
  as than that this these those it its he she they we you i his her their our your my \
  which who whom what when where why how there here so if then also only just more most \
  can could will would should may might must do does did not no all any some such very \
  been one other out up down off again";
const ES: &str = "el la los las un una unos unas y o pero no es son fue eran ser está \
  están estaba ha han había de del al en con por para sin sobre entre hasta desde que \
  como más muy ya también se su sus lo le les nos este esta estos estas ese esa eso \
  cuando donde porque pues si sí todo todos toda todas cada otro otra hay puede ni mi";
const FR: &str = "le la les un une des du de et ou mais ne pas est sont était étaient \
  être a ont avait en dans sur sous avec pour par sans entre vers chez que qui quoi dont \
  où comme plus très aussi se sa son ses leur leurs ce cette ces il elle ils elles nous \
  vous on je tu au aux y si tout tous toute toutes même autre peut fait été été";
const PL: &str = "i w z na do się nie jest są był była było byli to że jak ale lub oraz \
  od po przez przy dla o za pod nad przed między bez jego jej ich ten ta te tego tej \
  który która które którego co czy tak już jeszcze tylko też także może będzie został \
  została ze we gdy jako są być";
const IT: &str = "il lo la i gli le un uno una e o ma non è sono era erano essere ha \
  hanno aveva di del della dei delle degli al alla ai alle in nel nella con per tra fra \
  su sul sulla da dal dalla che come più molto anche si suo sua suoi sue loro questo \
  questa questi quello quella quando dove perché se tutto tutti ogni altro altra";
const PT: &str = "o a os as um uma uns umas e ou mas não é são foi eram ser está estão \
  tem têm tinha de do da dos das no na nos nas em com por para sem sobre entre até que \
  como mais muito também se seu sua seus suas ele ela eles elas este esta isso isto \
  quando onde porque todo todos toda todas cada outro outra pelo pela ao aos";
const NL: &str = "de het een en of maar niet is zijn was waren wordt worden werd heeft \
  hebben had van in op aan met voor door over uit bij naar om tot tegen zonder dat die \
  dit deze als ook nog al zich hij zij ze wij we ik je u er hier daar meer zeer kan";
const NO: &str = "og i på til av for med som er var har hadde ikke det den de en et \
  om fra ved men eller så kan skal vil ble blir etter over under seg han hun vi jeg du \
  dette disse også bare når der her hvor hva hvis";

/// For each known stop word, the set of languages (bit i = `LANGUAGES[i]`) it belongs to.
///
/// Stored in a small cuckoo table keyed by the word's bytes packed into one `u64` (every
/// stop word is at most [`KEY_BYTES`] bytes long, and no word has a zero byte, so the
/// zero-padded bytes name the word): a word is in one of its two slots, so a lookup is
/// two loads and two compares without a branch (about half the words of a text are stop
/// words, so a branch on the answer was mispredicted often), and no string hashing or
/// comparison. Keys and language bits are kept in two arrays of 2048 slots (20 KiB):
/// the table stays in the L1 cache.
pub struct StopWords {
    /// Packed keys; 0 marks an empty slot.
    keys: Vec<u64>,
    /// Language bits of each slot.
    bits: Vec<u16>,
    mask: usize,
    /// Length in bytes of the longest stop word: longer words skip the lookup.
    max_len: usize,
}

/// Longest key the packed table can hold.
pub const KEY_BYTES: usize = 8;

/// The two slots of `key` in a table of `mask + 1` (at least 8) slots: the second is
/// the first with some of its three low bits flipped, so both keys are in the same
/// 64-byte group of eight (one cache line when the table is aligned), and each slot is
/// the other's [`other_slot`].
#[inline]
fn slots(key: u64, mask: usize) -> [usize; 2] {
    let h = key.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let i = (h >> 32) as usize & mask;
    [i, other_slot(key, i)]
}

/// The slot of `key` other than `i`.
#[inline]
fn other_slot(key: u64, i: usize) -> usize {
    let h = key.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    i ^ (1 + (h >> 61) as usize % 7)
}

/// Place the sorted `(key, bits)` in a cuckoo table of `size` slots (each key in one of
/// its [`slots`]), or `None` if an insertion goes round in circles.
fn cuckoo(entries: &[(u64, u16)], size: usize) -> Option<(Vec<u64>, Vec<u16>)> {
    let mask = size - 1;
    let mut keys = vec![0u64; size];
    let mut bits = vec![0u16; size];
    for &(key, b) in entries {
        let (mut key, mut b) = (key, b);
        let mut i = slots(key, mask)[0];
        for _ in 0..=size {
            if keys[i] == 0 {
                keys[i] = key;
                bits[i] = b;
                key = 0;
                break;
            }
            // Evict the occupant to its other slot.
            std::mem::swap(&mut keys[i], &mut key);
            std::mem::swap(&mut bits[i], &mut b);
            i = other_slot(key, i);
        }
        if key != 0 {
            return None;
        }
    }
    Some((keys, bits))
}

impl StopWords {
    /// The built-in lists, built once per process.
    pub fn get() -> &'static StopWords {
        static SW: OnceLock<StopWords> = OnceLock::new();
        SW.get_or_init(|| {
            let mut words: FastMap<String, u16> = FastMap::default();
            for (i, list) in [DE, EN, ES, FR, PL, IT, PT, NL, NO].iter().enumerate() {
                for w in list.split_whitespace() {
                    *words.entry(w.to_string()).or_default() |= 1 << i;
                }
            }
            let max_len = words.keys().map(String::len).max().unwrap_or(0);
            assert!(
                max_len <= KEY_BYTES,
                "stop word longer than {KEY_BYTES} bytes"
            );
            // In sorted order, so the layout does not depend on the map's iteration order.
            let mut sorted: Vec<(u64, u16)> = words
                .iter()
                .map(|(w, &b)| (pack(w.as_bytes()), b))
                .collect();
            sorted.sort_unstable();
            let mut size = (words.len() * 3).next_power_of_two().max(16);
            let (keys, bits) = loop {
                match cuckoo(&sorted, size) {
                    Some(t) => break t,
                    None => size *= 2,
                }
            };
            let mask = size - 1;
            StopWords {
                keys,
                bits,
                mask,
                max_len,
            }
        })
    }

    /// Length in bytes of the longest stop word.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// The language bits of a lowercase word (0 if it is no stop word).
    pub fn bits(&self, lower: &str) -> u16 {
        if lower.is_empty() || lower.len() > self.max_len {
            return 0;
        }
        self.bits_packed(pack(lower.as_bytes()))
    }

    /// The language bits of a lowercase word of 1 to [`StopWords::max_len`] bytes given
    /// packed (see [`pack`]).
    #[inline]
    pub fn bits_packed(&self, key: u64) -> u16 {
        let [i, j] = slots(key, self.mask);
        let (Some(&ki), Some(&kj), Some(&bi), Some(&bj)) = (
            self.keys.get(i),
            self.keys.get(j),
            self.bits.get(i),
            self.bits.get(j),
        ) else {
            return 0;
        };
        // Selects without a branch on the answer (a plain `if`, or masks, compile to one).
        let pick = |k: u64, b: u16| std::hint::select_unpredictable(k == key, b, 0);
        pick(ki, bi) | pick(kj, bj)
    }
}

/// Append `c.to_lowercase()` to `out`, with Latin-1 letters (the common non-ASCII ones)
/// mapped directly: U+00C0..=U+00DE but × lowercase to +0x20, U+00DF..=U+00FF are
/// lowercase already.
#[inline]
pub fn push_lower_char(c: char, out: &mut String) {
    match c as u32 {
        0xC0..=0xDE if c != '×' => out.push(char::from_u32(c as u32 + 0x20).unwrap_or(c)),
        0xDF..=0xFF => out.push(c),
        // Blocks without case (checked by a test), kept out of the table search.
        // (Hebrew to Arabic Extended, General Punctuation to symbol marks, CJK, Hangul.)
        0x0590..=0x08FF | 0x2000..=0x20FF | 0x3000..=0x9FFF | 0xAC00..=0xD7A3 => out.push(c),
        _ => out.extend(c.to_lowercase()),
    }
}

/// The bytes of a word of at most [`KEY_BYTES`] bytes, zero-padded, as a `u64`.
#[inline]
pub fn pack(w: &[u8]) -> u64 {
    let mut k = [0u8; KEY_BYTES];
    k[..w.len()].copy_from_slice(w);
    u64::from_le_bytes(k)
}

/// Calls `f` with each word of `text`, lowercased (letters and digits; apostrophes split;
/// soft hyphens U+00AD are part of the word and dropped from it).
/// Reuses one buffer, so it allocates only when a word is longer than any before.
pub fn for_each_word(text: &str, buf: &mut String, mut f: impl FnMut(&str)) {
    for word in text.split(|c: char| !c.is_alphanumeric() && c != '\u{AD}') {
        if word.is_empty() {
            continue;
        }
        buf.clear();
        if word.is_ascii() {
            buf.push_str(word);
            buf.make_ascii_lowercase();
        } else {
            buf.extend(
                word.chars()
                    .filter(|&c| c != '\u{AD}')
                    .flat_map(char::to_lowercase),
            );
            if buf.is_empty() {
                continue;
            }
        }
        f(buf);
    }
}

/// Guess the language of a text by counting stop words per language over its first
/// `max_words` words. Returns `None` when fewer than `min_hits` stop words were seen
/// or no language clearly leads (ties go to `None`, so the answer is deterministic).
pub fn detect(text: &str, max_words: usize, min_hits: u32) -> Option<&'static str> {
    let sw = StopWords::get();
    let mut votes = [0u32; 16];
    let mut seen = 0usize;
    let mut buf = String::new();
    for line in text.lines() {
        if seen >= max_words {
            break;
        }
        for_each_word(line, &mut buf, |w| {
            seen += 1;
            let bits = sw.bits(w);
            for (i, v) in votes.iter_mut().enumerate().take(LANGUAGES.len()) {
                if bits & (1 << i) != 0 {
                    *v += 1;
                }
            }
        });
    }
    let mut counts = [0u32; LANGUAGES.len()];
    counts.copy_from_slice(&votes[..LANGUAGES.len()]);
    vote(&counts, seen, min_hits)
}

/// Per cent of the words voting that must be stop words of the winning language. Text in
/// a language without a list (Indonesian, Russian, ...) still hits a few short words of
/// some list ("a", "i", "di"): 2-4 % of its words on the dev pages, where pages in a
/// listed language (menus included) have 7 % or more. Below this share the language is
/// unknown, and no line is judged by stop words it cannot have.
pub const MIN_SHARE_PCT: usize = 5;

/// The language with the most stop-word hits among `words` words, if it has at least
/// `min_hits`, at least [`MIN_SHARE_PCT`] per cent of the words, and no other language
/// ties with it.
pub fn vote(votes: &[u32; LANGUAGES.len()], words: usize, min_hits: u32) -> Option<&'static str> {
    let (best, &top) = votes
        .iter()
        .enumerate()
        .max_by_key(|(i, v)| (**v, usize::MAX - i))?;
    let second = votes
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != best)
        .map(|(_, v)| *v)
        .max()
        .unwrap_or(0);
    if top < min_hits || top == second || (top as usize) * 100 < words * MIN_SHARE_PCT {
        return None;
    }
    LANGUAGES.get(best).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stop_word_looks_up_its_languages_and_nothing_else_does() {
        let sw = StopWords::get();
        let mut want: std::collections::BTreeMap<&str, u16> = Default::default();
        for (i, list) in [DE, EN, ES, FR, PL, IT, PT, NL, NO].iter().enumerate() {
            for w in list.split_whitespace() {
                *want.entry(w).or_default() |= 1 << i;
            }
        }
        for (w, &bits) in &want {
            assert_eq!(sw.bits(w), bits, "{w}");
            // Near misses: a letter more or less.
            for near in [
                format!("{w}x"),
                w.chars().skip(1).collect(),
                format!("q{w}"),
            ] {
                if !want.contains_key(near.as_str()) {
                    assert_eq!(sw.bits(&near), 0, "{near}");
                }
            }
        }
        for w in ["", "haus", "zzzzzzzz", "toolongforakey", "0", "ü"] {
            assert_eq!(sw.bits(w), 0, "{w}");
        }
        // The table stays small (the doc comment's 20 KiB): placing the keys did not
        // have to grow it.
        assert_eq!(sw.keys.len(), (want.len() * 3).next_power_of_two());
        assert_eq!(sw.keys.len(), 2048);
    }

    #[test]
    fn detects_common_languages() {
        let cases = [
            ("de", "Der Kreml erklärte am Dienstag, er könne die Berichte nicht bestätigen und sei nicht zuständig."),
            ("en", "The White House said on Monday that the two leaders could meet in the coming weeks and that it was not clear."),
            ("fr", "Le président a déclaré que les négociations sont dans une phase difficile et que rien ne sera fait sans eux."),
            ("es", "El presidente dijo que las negociaciones están en una fase difícil y que no se hará nada sin ellos."),
            ("pl", "Prezydent powiedział, że negocjacje są w trudnej fazie i nie będzie nic zrobione bez nich, jak zawsze."),
        ];
        for (lang, text) in cases {
            assert_eq!(detect(text, 1000, 3), Some(lang), "{text}");
        }
    }

    #[test]
    fn push_lower_char_is_to_lowercase() {
        let (mut a, mut b) = (String::new(), String::new());
        for c in '\0'..=char::MAX {
            a.clear();
            b.clear();
            push_lower_char(c, &mut a);
            b.extend(c.to_lowercase());
            assert_eq!(a, b, "{c:?}");
        }
    }

    #[test]
    fn no_stop_words_means_unknown() {
        assert_eq!(detect("金正恩 普京 会晤 符拉迪沃斯托克", 1000, 3), None);
        assert_eq!(detect("", 1000, 3), None);
    }
}
