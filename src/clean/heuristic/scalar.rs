//! The scalar [`super::features`]: the path of targets without the block classifiers,
//! and the reference the tests compare those with.
use super::chars::{is_link_token, non_ascii_char, sentence_end, word};
use super::Features;
use crate::clean::lang::StopWords;

/// Byte classes of [`features_scalar`] (ASCII bytes only; bytes ≥ 0x80 have class 0).
const PLAIN: u8 = 1;
/// `char::is_whitespace`.
const WS: u8 = 2;
/// ASCII alphanumeric: part of a word.
const WORD: u8 = 4;
/// `:` or `@`: the whitespace token may be a link.
const LINK: u8 = 8;
const UPPER: u8 = 16;
const DIGIT: u8 = 32;

/// The class of every byte: `PLAIN` for what is not a "symbol" of [`Features::symbols`]
/// (letters, whitespace and common punctuation), and the other flags above.
const fn byte_classes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        let ws = matches!(c, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r');
        let mut k = 0;
        if c.is_ascii_alphabetic()
            || ws
            || matches!(
                c,
                b'.' | b',' | b'-' | b'\'' | b'"' | b'?' | b'!' | b':' | b';' | b'(' | b')'
            )
        {
            k |= PLAIN;
        }
        if ws {
            k |= WS;
        }
        if c.is_ascii_alphanumeric() {
            k |= WORD;
        }
        if c == b':' || c == b'@' {
            k |= LINK;
        }
        if c.is_ascii_uppercase() {
            k |= UPPER;
        }
        if c.is_ascii_digit() {
            k |= DIGIT;
        }
        t[b] = k;
        b += 1;
    }
    t
}
static CLASS: [u8; 256] = byte_classes();

/// The scalar [`super::features`]: one pass over the bytes does what three passes did
/// before (characters and symbols, whitespace tokens,
/// [`crate::clean::lang::for_each_word`] words with their stop-word lookup):
/// runs of ASCII letters and digits are scanned in a tight loop, other ASCII bytes take
/// a table look-up, other characters the same `char` tests as before.
pub(super) fn features_scalar(content: &str, buf: &mut String) -> Features {
    let sw = StopWords::get();
    let mut f = Features::default();
    let bytes = content.as_bytes();
    let n = bytes.len();
    let mut words = 0usize;
    let per_lang = &mut f.per_lang;
    let mut count_bits = |bits: u16| {
        if bits != 0 {
            for (i, c) in per_lang.iter_mut().enumerate() {
                *c += u32::from(bits >> i & 1 == 1);
            }
        }
    };
    // Current whitespace token: start, and whether it may be a link (has ':' or '@').
    let mut tok_start = usize::MAX;
    let mut tok_maybe_link = false;
    // Current word (alphanumeric or soft hyphen run): start, and whether all ASCII.
    let mut word_start = usize::MAX;
    let mut word_ascii = true;
    let mut link = false;
    let mut chars = 0usize;
    let mut symbols = 0usize;
    let mut capitalized = 0usize;
    let mut i = 0;
    while i < n {
        let b = bytes[i];
        let cls = CLASS[b as usize];
        if cls & WORD != 0 {
            // A run of ASCII letters and digits: inside one token and one word.
            if tok_start == usize::MAX {
                tok_start = i;
                tok_maybe_link = false;
                capitalized += usize::from(cls & UPPER != 0);
            }
            if word_start == usize::MAX {
                word_start = i;
                word_ascii = true;
            }
            let mut j = i + 1;
            let mut digits = usize::from(cls & DIGIT != 0);
            while j < n {
                let c2 = CLASS[bytes[j] as usize];
                if c2 & WORD == 0 {
                    break;
                }
                digits += usize::from(c2 & DIGIT != 0);
                j += 1;
            }
            chars += j - i;
            symbols += digits;
            i = j;
            continue;
        }
        let (is_ws, is_word, len);
        chars += 1;
        if b < 0x80 {
            len = 1;
            symbols += usize::from(cls & PLAIN == 0);
            is_ws = cls & WS != 0;
            is_word = false;
            if !is_ws && tok_start == usize::MAX {
                tok_start = i;
                tok_maybe_link = false;
            }
            tok_maybe_link |= cls & LINK != 0;
        } else {
            let c = content[i..].chars().next().unwrap_or('\0');
            len = c.len_utf8();
            let n = non_ascii_char(c);
            (is_ws, is_word) = (n.ws, n.word);
            symbols += usize::from(n.symbol);
            f.copyright |= n.copyright;
            f.cjk |= n.cjk;
            if !is_ws && tok_start == usize::MAX {
                tok_start = i;
                tok_maybe_link = false;
                capitalized += usize::from(c.is_uppercase());
            }
        }
        if is_ws && tok_start != usize::MAX {
            if !link {
                let tok = &content[tok_start..i];
                link = if tok_maybe_link {
                    is_link_token(tok)
                } else {
                    tok.starts_with("www.")
                };
            }
            tok_start = usize::MAX;
        }
        if is_word {
            if word_start == usize::MAX {
                word_start = i;
            }
            word_ascii = false;
        } else if word_start != usize::MAX {
            words += word(content, word_start, i, word_ascii, sw, buf, &mut count_bits);
            word_start = usize::MAX;
        }
        i += len;
    }
    if tok_start != usize::MAX && !link {
        let tok = &content[tok_start..];
        link = if tok_maybe_link {
            is_link_token(tok)
        } else {
            tok.starts_with("www.")
        };
    }
    if word_start != usize::MAX {
        words += word(content, word_start, n, word_ascii, sw, buf, &mut count_bits);
    }
    f.chars = chars;
    f.symbols = symbols;
    f.capitalized = capitalized;
    f.link = link;
    f.words = words;
    f.sentence_end = sentence_end(content);
    f
}
