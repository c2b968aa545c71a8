//! The fast tokenizer: `unicode_words` + case folding for text made of the characters it
//! knows (tested against `unicode_words`), ASCII and Latin-1 words in 16-byte blocks; the
//! 64-byte block tokenizer (ASCII, Latin-1 letters, common punctuation) is in [`block`].

/// Word-break classes of the characters the fast tokenizer knows (UAX #29 names).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Wb {
    /// ALetter.
    Letter,
    /// Numeric.
    Digit,
    /// ExtendNumLet (`_`).
    Ext,
    /// MidLetter (`:`, `·`): joins letters.
    MidLetter,
    /// MidNumLet and Single_Quote (`.`, `'`, `‘`, `’`): joins letters or digits.
    MidNumLet,
    /// MidNum (`,`, `;`): joins digits.
    MidNum,
    /// Never part of a word.
    Other,
}

/// Word-break class of the ASCII characters.
static ASCII_WB: [Wb; 128] = {
    let mut t = [Wb::Other; 128];
    let mut i = 0;
    while i < 128 {
        let c = i as u8;
        t[i] = match c {
            b'a'..=b'z' | b'A'..=b'Z' => Wb::Letter,
            b'0'..=b'9' => Wb::Digit,
            b'_' => Wb::Ext,
            b':' => Wb::MidLetter,
            b'.' | b'\'' => Wb::MidNumLet,
            b',' | b';' => Wb::MidNum,
            _ => Wb::Other,
        };
        i += 1;
    }
    t
};

/// Class of a non-ASCII `c`, or `None` when the fast tokenizer does not know it (then
/// the passage goes through `unicode_words`).
fn wb_slow(c: char) -> Option<Wb> {
    Some(match c {
        'a'..='z' | 'A'..='Z' => Wb::Letter,
        '0'..='9' => Wb::Digit,
        '_' => Wb::Ext,
        ':' | '\u{B7}' => Wb::MidLetter,
        '.' | '\'' | '\u{2018}' | '\u{2019}' => Wb::MidNumLet,
        ',' | ';' => Wb::MidNum,
        '\u{0}'..='\u{7F}' => Wb::Other,
        // U+00B8 CEDILLA is an ALetter since Unicode 17 (unicode-segmentation 1.13), but
        // not alphanumeric, so a word of cedillas alone is no word: `unicode_words` judges.
        '\u{B8}' => return None,
        '\u{AA}' | '\u{B5}' | '\u{BA}' => Wb::Letter,
        '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{24F}' => Wb::Letter,
        '\u{A1}'..='\u{A9}'
        | '\u{AB}'
        | '\u{AC}'
        | '\u{AE}'..='\u{B1}'
        | '\u{B4}'
        | '\u{B6}'
        | '\u{BB}'
        | '\u{BF}'
        | '\u{D7}'
        | '\u{F7}'
        | '\u{2013}'
        | '\u{2014}'
        | '\u{201C}'..='\u{201E}'
        | '\u{2022}'
        | '\u{2026}'
        | '\u{2039}'
        | '\u{203A}'
        | '\u{20AC}' => Wb::Other,
        _ => return None,
    })
}

/// Skip the ASCII word characters from `i` on: the index after them and the OR of their
/// byte flags (0 when there are none).
#[inline(always)]
fn ascii_word_run(bytes: &[u8], mut i: usize) -> (usize, u8) {
    let mut flags = 0u8;
    #[cfg(target_arch = "x86_64")]
    while let Some(block) = bytes.get(i..i + 16) {
        // 16 bytes at once: the run's length comes from a bit mask, so the end of a word
        // is no mispredicted loop exit.
        let (n, f) = sse2::word_run16(block);
        flags |= f;
        i += n;
        if n < 16 {
            return (i, flags);
        }
    }
    while let Some(&c) = bytes.get(i) {
        let f = BYTE_FLAGS[c as usize];
        if f & B_WORD == 0 {
            break;
        }
        flags |= f;
        i += 1;
    }
    (i, flags)
}

#[cfg(target_arch = "x86_64")]
pub(super) mod avx2;
#[cfg(target_arch = "x86_64")]
mod block;
mod sink;
#[cfg(target_arch = "x86_64")]
pub(super) mod sse2;

#[cfg(target_arch = "x86_64")]
pub(super) use block::{block_words, Classes64};
pub(super) use sink::{HashSink, WordSink};

/// Per-byte flags of the fast tokenizer's inner loop: a word character (ALetter, Numeric,
/// ExtendNumLet), a letter or digit, an upper-case letter. Non-ASCII bytes have none (they
/// leave the inner loop for the per-character path).
const B_WORD: u8 = 1;
const B_ALNUM: u8 = 2;
const B_UPPER: u8 = 4;
static BYTE_FLAGS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 128 {
        let c = i as u8;
        t[i] = match c {
            b'A'..=b'Z' => B_WORD | B_ALNUM | B_UPPER,
            b'a'..=b'z' | b'0'..=b'9' => B_WORD | B_ALNUM,
            b'_' => B_WORD,
            _ => 0,
        };
        i += 1;
    }
    t
};

/// Why a word needs case folding: an upper-case ASCII letter, a non-ASCII character.
const FOLD_UPPER: u8 = 1;
const FOLD_NON_ASCII: u8 = 2;

/// The case-folding needs of a character with first byte `b`.
#[inline(always)]
fn needs_fold(b: u8) -> u8 {
    if b >= 128 {
        FOLD_NON_ASCII
    } else if b.is_ascii_uppercase() {
        FOLD_UPPER
    } else {
        0
    }
}

/// [`FOLD_UPPER`] when the inner-loop `flags` saw an upper-case letter.
#[inline(always)]
fn fold_of(flags: u8) -> u8 {
    if flags & B_UPPER != 0 {
        FOLD_UPPER
    } else {
        0
    }
}

/// `unicode_words` + case folding for text made only of characters it has a class for: calls
/// `emit` with each case-folded word (`buf` is scratch space). `None` when the text has
/// another character (words may have been emitted already). Agrees with `unicode_words`
/// on that alphabet (tested against it). Works on bytes; a word is a slice of `text`,
/// copied (lower-cased) only when it has an upper-case or non-ASCII character (tracked
/// while scanning, so plain words are not scanned again).
pub(super) fn fast_words<S: WordSink>(text: &str, buf: &mut String, emit: &mut S) -> Option<()> {
    let bytes = text.as_bytes();
    let mut i = 0usize;
    let mut in_word = false;
    let mut start = 0usize; // first byte of the current word
    let mut end = 0usize; // one past its last joined character
    let mut has_alnum = false;
    let mut fold = 0u8; // FOLD_* bits: the word has an upper-case or non-ASCII character
    let mut prev = Wb::Other; // class of the word's last character
    let mut pending: Option<Wb> = None; // a Mid* character right after the word
    while i < bytes.len() {
        if !in_word {
            // Between words (never with a pending joiner): the common case of ASCII words
            // separated by ASCII characters that cannot join them, in a tight loop.
            // Anything else leaves it with the state set as the general loop below would
            // have it.
            loop {
                let Some(&b) = bytes.get(i) else {
                    return Some(());
                };
                let f = BYTE_FLAGS[b as usize];
                // A Latin-1 letter (U+00C0..U+00FF but × ÷) can start a word too.
                let latin = b == 0xC3
                    && matches!(bytes.get(i + 1), Some(&c) if (0x80..=0xBF).contains(&c) && c != 0x97 && c != 0xB7);
                if f & B_WORD == 0 && !latin {
                    if b >= 128 {
                        break;
                    }
                    // Outside a word an ASCII non-word character is skipped.
                    i += 1;
                    continue;
                }
                #[cfg(target_arch = "x86_64")]
                if let Some(block) = bytes.get(i..i + 16) {
                    // A word shorter than 16 bytes, lower-cased in a register and hashed
                    // without branches on its case or length when a separator ends it.
                    let w = sse2::word16(block);
                    if let Some(&t) = block.get(w.n) {
                        let clean = t < 128
                            && match ASCII_WB[t as usize] {
                                Wb::Other => true,
                                m => match bytes.get(i + w.n + 1) {
                                    Some(&nx) if nx < 128 => !matches!(
                                        (
                                            match block[w.n - 1] {
                                                c @ 0..=127 => ASCII_WB[c as usize],
                                                _ => Wb::Letter,
                                            },
                                            m,
                                            ASCII_WB[nx as usize]
                                        ),
                                        (Wb::Letter, Wb::MidLetter | Wb::MidNumLet, Wb::Letter)
                                            | (Wb::Digit, Wb::MidNumLet | Wb::MidNum, Wb::Digit)
                                    ),
                                    _ => false,
                                },
                            };
                        if clean {
                            if w.flags & B_ALNUM != 0 {
                                emit.word16(&w.lower, w.n);
                            }
                            i += w.n + 1;
                            continue;
                        }
                    }
                }
                if latin {
                    // Not for the byte loop: the general loop takes it.
                    break;
                }
                let s = i;
                let (after, flags) = ascii_word_run(bytes, i);
                i = after;
                let t = match bytes.get(i) {
                    None => {
                        emit_word(text, s, i, flags & B_ALNUM != 0, fold_of(flags), buf, emit);
                        return Some(());
                    }
                    Some(&t) => t,
                };
                let last = || ASCII_WB[bytes[i - 1] as usize];
                if t < 128 {
                    let joins = match ASCII_WB[t as usize] {
                        Wb::Other => false,
                        m => match bytes.get(i + 1) {
                            Some(&n) if n < 128 => matches!(
                                (last(), m, ASCII_WB[n as usize]),
                                (Wb::Letter, Wb::MidLetter | Wb::MidNumLet, Wb::Letter)
                                    | (Wb::Digit, Wb::MidNumLet | Wb::MidNum, Wb::Digit)
                            ),
                            // A joiner before a non-ASCII character or at the end.
                            _ => true,
                        },
                    };
                    if !joins {
                        // The word ends at `t`, which is no word character: skip it.
                        emit_word(text, s, i, flags & B_ALNUM != 0, fold_of(flags), buf, emit);
                        i += 1;
                        continue;
                    }
                }
                // A joiner or a non-ASCII character follows: the general loop goes on.
                in_word = true;
                start = s;
                end = i;
                prev = last();
                has_alnum = flags & B_ALNUM != 0;
                fold = fold_of(flags);
                break;
            }
        }
        let b = bytes[i];
        if b < 128 && pending.is_none() {
            let f = BYTE_FLAGS[b as usize];
            if !in_word {
                if f & B_WORD == 0 {
                    // Outside a word an ASCII non-word character is skipped.
                    i += 1;
                    continue;
                }
                // An ASCII word character starts a word: take its ASCII run at once.
                start = i;
                let (after, flags) = ascii_word_run(bytes, i);
                i = after;
                in_word = true;
                end = i;
                prev = ASCII_WB[bytes[i - 1] as usize];
                has_alnum = flags & B_ALNUM != 0;
                fold = fold_of(flags);
                continue;
            }
            if f == 0 && ASCII_WB[b as usize] == Wb::Other {
                // An ASCII character that neither continues nor joins ends the word.
                emit_word(text, start, end, has_alnum, fold, buf, emit);
                in_word = false;
                i += 1;
                continue;
            }
        }
        let (cls, len) = if b < 128 {
            (ASCII_WB[b as usize], 1)
        } else {
            let c = text.get(i..)?.chars().next()?;
            (wb_slow(c)?, c.len_utf8())
        };
        let word_char = matches!(cls, Wb::Letter | Wb::Digit | Wb::Ext);
        if in_word {
            if let Some(m) = pending.take() {
                let joins = matches!(
                    (prev, m, cls),
                    (Wb::Letter, Wb::MidLetter | Wb::MidNumLet, Wb::Letter)
                        | (Wb::Digit, Wb::MidNumLet | Wb::MidNum, Wb::Digit)
                );
                if joins {
                    // The joiner spans [end, i): non-ASCII when longer than a byte.
                    if i - end > 1 {
                        fold |= FOLD_NON_ASCII;
                    }
                    fold |= needs_fold(b);
                    end = i + len;
                    prev = cls;
                    has_alnum = true;
                    i += len;
                    continue;
                }
                emit_word(text, start, end, has_alnum, fold, buf, emit);
                in_word = false;
            } else if word_char {
                fold |= needs_fold(b);
                has_alnum |= cls != Wb::Ext;
                prev = cls;
                i += len;
                end = i;
                // Tight loop over the ASCII word characters that follow.
                let run = i;
                let (after, flags) = ascii_word_run(bytes, i);
                i = after;
                if i > run {
                    end = i;
                    prev = ASCII_WB[bytes[i - 1] as usize];
                    has_alnum |= flags & B_ALNUM != 0;
                    fold |= fold_of(flags);
                }
                continue;
            } else if matches!(cls, Wb::MidLetter | Wb::MidNumLet | Wb::MidNum) {
                pending = Some(cls);
                i += len;
                continue;
            } else {
                emit_word(text, start, end, has_alnum, fold, buf, emit);
                in_word = false;
                i += len;
                continue;
            }
        }
        if word_char {
            in_word = true;
            start = i;
            end = i + len;
            prev = cls;
            has_alnum = cls != Wb::Ext;
            fold = needs_fold(b);
        }
        i += len;
    }
    if in_word {
        emit_word(text, start, end, has_alnum, fold, buf, emit);
    }
    Some(())
}

/// Emit the word `text[start..end]`, case-folded, when it has a letter or digit (a run of
/// `_` is not a word). `fold`: `FOLD_*` bits the word may have (none: it is its own case
/// folding; only [`FOLD_UPPER`]: it is ASCII).
#[inline(always)]
fn emit_word<S: WordSink>(
    text: &str,
    start: usize,
    end: usize,
    has_alnum: bool,
    fold: u8,
    buf: &mut String,
    emit: &mut S,
) {
    if !has_alnum {
        return;
    }
    let Some(word) = text.as_bytes().get(start..end) else {
        return;
    };
    if fold == 0 {
        emit.word(word);
        return;
    }
    if fold == FOLD_UPPER || word.is_ascii() {
        let mut tmp = [0u8; 64];
        if let Some(t) = tmp.get_mut(..word.len()) {
            t.copy_from_slice(word);
            t.make_ascii_lowercase();
            emit.word(t);
        } else {
            let mut v = word.to_vec();
            v.make_ascii_lowercase();
            emit.word(&v);
        }
        return;
    }
    let Some(word) = text.get(start..end) else {
        return;
    };
    buf.clear();
    for c in word.chars() {
        match c as u32 {
            0..=0x7F => buf.push(c.to_ascii_lowercase()),
            // Latin-1 upper-case letters (not ×) are their lower case minus 0x20.
            0xC0..=0xDE if c != '\u{D7}' => buf.push(char::from_u32(c as u32 + 0x20).unwrap_or(c)),
            0xDF..=0xFF => buf.push(c),
            _ => buf.extend(c.to_lowercase()),
        }
    }
    emit.word(buf.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_segmentation::UnicodeSegmentation;

    /// The fast tokenizer agrees with `unicode_words` on every pattern of its alphabet.
    #[test]
    fn fast_words_agree_with_unicode_words() {
        let alphabet: Vec<char> = "aZ9_:.',; \u{B7}\u{2019}\u{2018}\u{AA}\u{B5}\u{E4}\u{DF}\u{C4}\u{17E}\u{24F}\u{A7}\u{AB}\u{BB}\u{D7}\u{2013}\u{201E}\u{201C}\u{2026}\u{20AC}\n-!\"(0"
            .chars()
            .collect();
        let mut state = crate::test_rng::Lcg::new(12345);
        let mut buf = String::new();
        for len in 1..28 {
            for _ in 0..3000 {
                let s: String = (0..len)
                    .map(|_| alphabet[(state.step() >> 33) as usize % alphabet.len()])
                    .collect();
                let expected: Vec<String> = s.unicode_words().map(|w| w.to_lowercase()).collect();
                let mut got: Vec<String> = Vec::new();
                fast_words(&s, &mut buf, &mut |w: &[u8]| {
                    got.push(String::from_utf8(w.to_vec()).expect("UTF-8 word"))
                })
                .expect("known alphabet");
                assert_eq!(got, expected, "{s:?}");
            }
        }
        assert!(fast_words("東京", &mut buf, &mut |_: &[u8]| ()).is_none());
        assert!(fast_words("soft\u{AD}hyphen", &mut buf, &mut |_: &[u8]| ()).is_none());
    }
}
