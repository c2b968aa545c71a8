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

/// Words at the start of a document whose stop words vote for its language.
pub const VOTE_WORDS: usize = 3000;
/// Stop-word hits the winning language needs.
pub const VOTE_MIN_HITS: u32 = 8;

/// Guess the language of a text as the cleaner does ([`identify`]), counting the stop
/// words of its first [`VOTE_WORDS`] words.
pub fn detect(text: &str) -> Option<&'static str> {
    let sw = StopWords::get();
    let mut votes = [0u32; LANGUAGES.len()];
    let mut seen = 0usize;
    let mut buf = String::new();
    for line in text.lines() {
        if seen >= VOTE_WORDS {
            break;
        }
        for_each_word(line, &mut buf, |w| {
            seen += 1;
            let bits = sw.bits(w);
            for (i, v) in votes.iter_mut().enumerate() {
                *v += u32::from(bits >> i & 1);
            }
        });
    }
    identify(&votes, seen, text).lang
}

/// Per cent of the voting words that must be stop words of the document's language for
/// them to be evidence, unless the language is [`Identified::reliable`]. Text in another
/// language still hits a few short words of a list ("a", "i", "di"): 2-4 % of its words on
/// the dev pages, where pages in a list's language (menus included) have 7 % or more; a
/// language whatlang does not know (Albanian, Basque, Galician) gets an unsure guess. So
/// below this share, without a reliable answer, no line is judged by stop words it may
/// not have.
pub const MIN_SHARE_PCT: usize = 5;

/// The leading language of a vote (ties to the first), its hits and the runner-up's.
fn ranking(votes: &[u32; LANGUAGES.len()]) -> (usize, u32, u32) {
    let (best, &top) = votes
        .iter()
        .enumerate()
        .max_by_key(|(i, v)| (**v, usize::MAX - i))
        .unwrap_or((0, &0));
    let second = votes
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != best)
        .map(|(_, v)| *v)
        .max()
        .unwrap_or(0);
    (best, top, second)
}

/// Per cent of the voting words the leading list must hit for the vote to stand without
/// whatlang (pages in a listed language have 10 % or more on the dev sets; menus and
/// tables of another language less).
const CLEAR_SHARE_PCT: usize = 10;
/// The runner-up must have at most this many tenths of the leader's hits for the vote to
/// stand: English pages of short tokens tie Polish with Italian ("i", "a", "e", "o"), and
/// German sport pages Portuguese with Italian; a language without a list (Catalan,
/// Indonesian) spreads its hits over two or three related lists.
const CLEAR_RATIO_TENTHS: u32 = 7;

/// Languages without a hand list that win a clear vote for a listed relative: a clear
/// vote for the first is checked by whatlang among these only. Swedish text votes
/// Norwegian clearly, and Afrikaans Dutch; Catalan (Spanish and French hits), Czech and
/// Danish spread their hits so that the vote is unsure anyway, and a check of every
/// clear Spanish or Polish vote would cost more than it finds.
const RELATIVES: &[(&str, &[whatlang::Lang])] = {
    use whatlang::Lang::*;
    &[("no", &[Nob, Dan, Swe]), ("nl", &[Nld, Afr])]
};

/// Bytes of text whatlang reads to identify a language the vote leaves unsure; see
/// [`sample`]. On the contentbench dev pages whatlang on samples of 1, 2 and 4 KB names
/// the labelled language of 608, 611 and 615 of 616 pages (615 reading them whole); the
/// cost grows with the sample (80 µs a call plus 35 µs a KB).
const SAMPLE_BYTES: usize = 2048;
/// Bytes whatlang reads to check a clear vote among its `RELATIVES` (a few languages:
/// half the cost of a 2 KB sample; only a reliable answer overrides the vote).
const CHECK_BYTES: usize = 1024;
/// Bytes from the start of a document in which [`sample`] looks for lines of text.
const SCAN_BYTES: usize = 64 * 1024;
/// Letters a line needs to go into the sample (menus, dates and numbers stay out).
const SAMPLE_MIN_LETTERS: usize = 20;

/// The language of a document (an ISO 639-1 code, as rules are scoped by), from the stop
/// words of its first `words` words (`votes`, per language of [`LANGUAGES`]) and its text:
///
/// - a clear vote (`CLEAR_SHARE_PCT`, `CLEAR_RATIO_TENTHS`, [`VOTE_MIN_HITS`]) stands,
///   except that one for a language with unlisted `RELATIVES` (Norwegian: Danish,
///   Swedish; Dutch: Afrikaans) is checked by whatlang among those on a sample of
///   `CHECK_BYTES`, and given up only for a reliable answer (whatlang confuses
///   Norwegian and Danish pages);
/// - otherwise whatlang identifies the language (of about 70) on a sample of
///   `SAMPLE_BYTES`: the first lines with at least `SAMPLE_MIN_LETTERS` letters within
///   the first `SCAN_BYTES` of the text.
///
/// Whatlang costs about 80 µs a call plus 35 µs a KB (38 MB/s), so reading every document
/// whole would halve the clean stage's speed; most documents have a clear vote and no
/// whatlang call at all (97 % of the contentbench dev pages, 96 % of webclean's).
/// Deterministic: the same text gives the same answer.
///
/// Whether the document's stop words are evidence for its lines is decided apart from
/// this (see [`MIN_SHARE_PCT`]): a language may be identified and still have no list, or
/// a page (a table, a list of names) too few stop words of its language.
pub fn identify(votes: &[u32; LANGUAGES.len()], words: usize, text: &str) -> Identified {
    let (best, top, second) = ranking(votes);
    let clear = top >= VOTE_MIN_HITS
        && (top as usize) * 100 >= words * CLEAR_SHARE_PCT
        && second * 10 <= top * CLEAR_RATIO_TENTHS;
    let voted = LANGUAGES[best];
    if clear {
        let lang = match RELATIVES.iter().find(|(l, _)| *l == voted) {
            None => voted,
            Some((_, langs)) => {
                let detector = whatlang::Detector::with_allowlist(langs.to_vec());
                let found = detector
                    .detect(&sample(text, CHECK_BYTES))
                    .filter(whatlang::Info::is_reliable);
                found.map_or(voted, |info| iso639_1(info.lang()))
            }
        };
        return Identified {
            lang: Some(lang),
            reliable: true,
        };
    }
    let info = whatlang::detect(&sample(text, SAMPLE_BYTES));
    Identified {
        lang: info.as_ref().map(|i| iso639_1(i.lang())),
        reliable: info.is_some_and(|i| i.is_reliable()),
    }
}

/// The language [`identify`] found for a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identified {
    /// ISO 639-1 code; `None` when there is no text to identify.
    pub lang: Option<&'static str>,
    /// Named by a clear stop-word vote or a reliable whatlang answer (confidence > 0.9),
    /// not by whatlang's best guess.
    pub reliable: bool,
}

/// Up to `max` bytes of the lines of `text` with at least `SAMPLE_MIN_LETTERS` letters
/// (trimmed, one per line), from its first `SCAN_BYTES`; a first such line longer than
/// `max` is cut at a character boundary. Letters are counted cheaply: ASCII letters and
/// non-ASCII characters (in text, nearly all letters).
pub fn sample(text: &str, max: usize) -> String {
    let mut end = text.len().min(SCAN_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = String::new();
    for line in text[..end].lines() {
        let line = line.trim();
        let letters = line
            .bytes()
            .filter(|&b| b.is_ascii_alphabetic() || b >= 0xC0)
            .take(SAMPLE_MIN_LETTERS)
            .count();
        if letters < SAMPLE_MIN_LETTERS {
            continue;
        }
        if out.len() + line.len() + 1 > max {
            if out.is_empty() {
                let mut cut = max.min(line.len());
                while !line.is_char_boundary(cut) {
                    cut -= 1;
                }
                out.push_str(&line[..cut]);
            }
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// ISO 639-1 codes of the languages whatlang identifies, by its ISO 639-3 code (Norwegian
/// Bokmål as "no", the code of the hand list, Mandarin as "zh", Persian as "fa").
#[rustfmt::skip]
const ISO639: &[(&str, &str)] = &[
    ("afr", "af"), ("aka", "ak"), ("amh", "am"), ("ara", "ar"), ("aze", "az"), ("bel", "be"),
    ("ben", "bn"), ("bul", "bg"), ("cat", "ca"), ("ces", "cs"), ("cmn", "zh"), ("cym", "cy"),
    ("dan", "da"), ("deu", "de"), ("ell", "el"), ("eng", "en"), ("epo", "eo"), ("est", "et"),
    ("fin", "fi"), ("fra", "fr"), ("guj", "gu"), ("heb", "he"), ("hin", "hi"), ("hrv", "hr"),
    ("hun", "hu"), ("hye", "hy"), ("ind", "id"), ("ita", "it"), ("jav", "jv"), ("jpn", "ja"),
    ("kan", "kn"), ("kat", "ka"), ("khm", "km"), ("kor", "ko"), ("lat", "la"), ("lav", "lv"),
    ("lit", "lt"), ("mal", "ml"), ("mar", "mr"), ("mkd", "mk"), ("mya", "my"), ("nep", "ne"),
    ("nld", "nl"), ("nob", "no"), ("ori", "or"), ("pan", "pa"), ("pes", "fa"), ("pol", "pl"),
    ("por", "pt"), ("ron", "ro"), ("rus", "ru"), ("sin", "si"), ("slk", "sk"), ("slv", "sl"),
    ("sna", "sn"), ("spa", "es"), ("srp", "sr"), ("swe", "sv"), ("tam", "ta"), ("tel", "te"),
    ("tgl", "tl"), ("tha", "th"), ("tuk", "tk"), ("tur", "tr"), ("ukr", "uk"), ("urd", "ur"),
    ("uzb", "uz"), ("vie", "vi"), ("yid", "yi"), ("zul", "zu"),
];

/// The ISO 639-1 code of a language whatlang identifies (its ISO 639-3 code for one the
/// table does not know, so that a newer whatlang still gives a stable answer).
pub fn iso639_1(lang: whatlang::Lang) -> &'static str {
    let code = lang.code();
    ISO639
        .iter()
        .find(|(three, _)| *three == code)
        .map_or(code, |(_, two)| two)
}

/// The stop words of one language beyond [`LANGUAGES`], for counting the document's
/// language in its lines ([`StopList::count`]).
pub struct StopList {
    words: std::collections::HashSet<Box<str>, BuildHasherDefault<Fnv>>,
}

/// Languages whose list in the `stop-words` crate comes from NLTK (it prefers NLTK's list
/// to stopwords-iso's where both exist): function words of the Snowball stemmer project
/// and NLTK's contributors, used whole.
const NLTK: &[&str] = &[
    "ar", "az", "be", "bn", "ca", "da", "de", "el", "en", "es", "eu", "fi", "fr", "he", "hu", "id",
    "it", "kk", "ne", "nl", "no", "pt", "ro", "ru", "sl", "sq", "sv", "ta", "tg", "tr", "uz", "zh",
];
/// Languages that keep no list and are judged without stop words:
/// - function words mostly written attached to the next word (Arabic "و", "ال", Hebrew
///   "ה", "ב"): a list of free words undercounts them (article lines of an Arabic dev page
///   have 10-30 % stop words by the NLTK list, below the thresholds tuned on European
///   text);
/// - no spaces between words (Chinese, Japanese, Thai, Burmese, Khmer): a run of
///   characters is one word to [`for_each_word`], which no list matches.
const NO_LIST: &[&str] = &["ar", "he", "yi", "zh", "ja", "th", "my", "km"];

/// A stopwords-iso list longer than this (Czech, Slovak, Lithuanian, Malay, Vietnamese,
/// Korean, Persian, ... have 400 to 800 entries, content words among them) keeps only its
/// words of at most [`ISO_LONG_MAX_CHARS`] characters: function words are short.
const ISO_MAX_WORDS: usize = 300;
const ISO_LONG_MAX_CHARS: usize = 6;

impl StopList {
    /// The list of an ISO 639-1 `lang` outside [`LANGUAGES`] (whose hand-written lists are
    /// counted per line in any document), built once per process and language; `None`
    /// without a list. Entries that are not one word as [`for_each_word`] splits text
    /// ("все еще") are dropped.
    pub fn get(lang: &str) -> Option<&'static StopList> {
        static LISTS: [OnceLock<Option<StopList>>; ISO639.len()] =
            [const { OnceLock::new() }; ISO639.len()];
        if LANGUAGES.contains(&lang) || NO_LIST.contains(&lang) {
            return None;
        }
        let i = ISO639.iter().position(|(_, two)| *two == lang)?;
        LISTS[i].get_or_init(|| Self::build(lang)).as_ref()
    }

    fn build(lang: &str) -> Option<StopList> {
        let entries = stop_words::lookup(lang)?;
        let cap = !NLTK.contains(&lang) && entries.len() > ISO_MAX_WORDS;
        let mut words = std::collections::HashSet::default();
        let mut buf = String::new();
        for entry in entries {
            let mut one: Option<String> = None;
            let mut n = 0;
            for_each_word(entry, &mut buf, |w| {
                n += 1;
                one = Some(w.to_string());
            });
            match one {
                Some(w) if n == 1 && !(cap && w.chars().count() > ISO_LONG_MAX_CHARS) => {
                    words.insert(w.into_boxed_str());
                }
                _ => {}
            }
        }
        (!words.is_empty()).then_some(StopList { words })
    }

    /// Whether a lowercase word is on the list.
    pub fn contains(&self, lower: &str) -> bool {
        self.words.contains(lower)
    }

    /// Stop words of this list among the words of `text` ([`for_each_word`]).
    pub fn count(&self, text: &str, buf: &mut String) -> u32 {
        let mut n = 0;
        for_each_word(text, buf, |w| n += u32::from(self.contains(w)));
        n
    }

    /// Number of words on the list.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Whether the list is empty (never, for a list [`StopList::get`] gives).
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
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

    /// One or two sentences in each language, as short as a document gets.
    const SHORT: &[(&str, &str)] = &[
        ("de", "Der Kreml erklärte am Dienstag, er könne die Berichte nicht bestätigen und sei nicht zuständig."),
        ("en", "The White House said on Monday that the two leaders could meet in the coming weeks and that it was not clear."),
        ("fr", "Le président a déclaré que les négociations sont dans une phase difficile et que rien ne sera fait sans eux."),
        ("es", "El presidente dijo que las negociaciones están en una fase difícil y que no se hará nada sin ellos."),
        ("pl", "Prezydent powiedział, że negocjacje są w trudnej fazie i nie będzie nic zrobione bez nich, jak zawsze."),
        ("it", "Il presidente ha detto che i negoziati sono in una fase difficile e che non si farà nulla senza di loro."),
        ("pt", "O presidente disse que as negociações estão numa fase difícil e que nada será feito sem eles."),
        ("nl", "De president zei dat de onderhandelingen in een moeilijke fase zijn en dat er zonder hen niets gebeurt."),
        ("ru", "Президент заявил, что переговоры находятся в трудной фазе и что без них ничего не будет сделано."),
        ("id", "Presiden mengatakan bahwa perundingan sedang berada dalam tahap yang sulit dan tidak ada yang akan dilakukan tanpa mereka."),
        ("da", "Præsidenten sagde, at forhandlingerne er i en vanskelig fase, og at intet vil blive gjort uden dem, som altid."),
        ("sv", "Presidenten sade att förhandlingarna befinner sig i en svår fas och att ingenting kommer att göras utan dem."),
        ("tr", "Cumhurbaşkanı, müzakerelerin zor bir aşamada olduğunu ve onlar olmadan hiçbir şey yapılmayacağını söyledi."),
        ("uk", "Президент заявив, що переговори перебувають у складній фазі і що без них нічого не буде зроблено."),
    ];

    #[test]
    fn detects_short_texts_in_many_languages() {
        for (lang, text) in SHORT {
            assert_eq!(detect(text), Some(*lang), "{text}");
        }
    }

    #[test]
    fn a_catalan_paragraph_is_catalan_though_one_sentence_may_vote_spanish() {
        // Catalan hits the Spanish and French lists about evenly: the vote is unsure and
        // whatlang decides. (A clear Spanish vote is not checked for Catalan: see RELATIVES.)
        let ca = "El Govern de la Generalitat ha anunciat aquest dimarts que les escoles tornaran a obrir les portes la setmana vinent, després que els experts hagin confirmat que la situació sanitària ha millorat. La consellera d'Educació va explicar que els alumnes hauran de portar mascareta a les aules i que els horaris d'entrada seran esglaonats per evitar aglomeracions.";
        assert_eq!(detect(ca), Some("ca"));
    }

    #[test]
    fn detection_is_deterministic() {
        let texts: String = SHORT.iter().map(|(_, t)| format!("{t}\n")).collect();
        let want: Vec<_> = SHORT.iter().map(|(_, t)| detect(t)).collect();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(|| {
                    (0..5)
                        .map(|_| SHORT.iter().map(|(_, t)| detect(t)).collect::<Vec<_>>())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for t in threads {
            for got in t.join().unwrap() {
                assert_eq!(got, want);
            }
        }
        assert_eq!(detect(&texts), detect(&texts));
    }

    #[test]
    fn sample_is_bounded_and_skips_lines_without_text() {
        let line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit.";
        let text = format!(
            "Home | News\n2024-01-01\n{}",
            format!("{line}\n").repeat(1000)
        );
        let s = sample(&text, SAMPLE_BYTES);
        assert!(s.len() <= SAMPLE_BYTES && s.starts_with(line), "{s}");
        // A first line longer than the sample is cut at a character boundary.
        let s = sample(&"ä".repeat(3000), 1001);
        assert_eq!(s.len(), 1000);
        // Only the first SCAN_BYTES are read.
        let text = format!("{}\n{line}", "1 ".repeat(SCAN_BYTES));
        assert_eq!(sample(&text, SAMPLE_BYTES), "");
    }

    #[test]
    fn every_whatlang_language_has_an_iso_639_1_code() {
        for &l in whatlang::Lang::all() {
            let code = iso639_1(l);
            assert_eq!(code.len(), 2, "{l:?}");
        }
        assert_eq!(iso639_1(whatlang::Lang::Nob), "no");
        assert_eq!(iso639_1(whatlang::Lang::Cmn), "zh");
    }

    #[test]
    fn other_languages_have_lists_of_single_words() {
        for lang in ["ru", "id", "da", "sv", "ca", "tr", "uk", "cs", "fi"] {
            let list = StopList::get(lang).unwrap_or_else(|| panic!("{lang}"));
            assert!(list.len() >= 25, "{lang}: {}", list.len());
        }
        let ru = StopList::get("ru").unwrap();
        assert!(ru.contains("и") && ru.contains("что") && !ru.contains("президент"));
        let id = StopList::get("id").unwrap();
        assert!(id.contains("yang") && id.contains("dan") && id.contains("dengan"));
        assert_eq!(
            id.count("Presiden bahwa perundingan dan yang", &mut String::new()),
            3
        );
        // A long stopwords-iso list keeps its short words only.
        let cs = StopList::get("cs").unwrap();
        assert!(cs
            .words
            .iter()
            .all(|w| w.chars().count() <= ISO_LONG_MAX_CHARS));
        // Entries of more than one word are dropped.
        assert!(StopList::get("ru")
            .unwrap()
            .words
            .iter()
            .all(|w| !w.contains(' ')));
        // The packed languages are counted in every line, not from a list of their own.
        for lang in LANGUAGES {
            assert!(StopList::get(lang).is_none(), "{lang}");
        }
        assert!(StopList::get("xx").is_none() && StopList::get("ar").is_none());
        assert!(StopList::get("zh").is_none() && StopList::get("ja").is_none());
        // Built once: the same list each time.
        assert!(std::ptr::eq(ru, StopList::get("ru").unwrap()));
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
        assert_eq!(detect("金正恩 普京 会晤 符拉迪沃斯托克"), None);
        assert_eq!(detect(""), None);
    }
}
