//! Per-character and per-word pieces of line measurement shared by the scalar and the
//! block paths of [`super::features`].
use crate::clean::lang::{pack, StopWords};

/// Latin-1 and Latin Extended-A/B letters (U+00C0..=U+024F but × and ÷): all
/// alphabetic, none whitespace (checked by a test), the common non-ASCII characters of
/// European text.
#[inline]
pub(super) fn is_latin_letter(c: char) -> bool {
    matches!(c as u32, 0xC0..=0x24F) && c != '×' && c != '÷'
}

/// The link test of a whitespace-separated token.
#[inline]
pub(super) fn is_link_token(tok: &str) -> bool {
    tok.contains("://") || tok.starts_with("www.") || (tok.contains('@') && tok.len() > 3)
}

/// Whether a line ends a sentence (closing brackets and spaces ignored).
#[inline]
pub(super) fn sentence_end(content: &str) -> bool {
    let last = content.trim_end_matches([')', ']', ' ']).chars().last();
    matches!(
        last,
        Some('.' | '!' | '?' | '…' | '"' | '“' | '”' | '„' | '»' | '«' | '。' | '！' | '？' | '\'')
    )
}

/// What one non-ASCII character of a line is, for the scalar and the block paths of
/// [`super::features`].
pub(super) struct NonAscii {
    pub ws: bool,
    pub word: bool,
    pub symbol: bool,
    pub copyright: bool,
    pub cjk: bool,
}

/// Classify a non-ASCII character of a line.
#[inline(always)]
pub(super) fn non_ascii_char(c: char) -> NonAscii {
    let mut n = NonAscii {
        ws: false,
        word: false,
        symbol: false,
        copyright: false,
        cjk: false,
    };
    if is_latin_letter(c) {
        // Letter, not whitespace, not a symbol, not © or CJK: what the tests below give
        // for these, without their table look-ups.
        n.word = true;
    } else if !matches!(c, '’' | '„' | '“' | '”' | '«' | '»' | '–' | '—') {
        // (Quotes and dashes: not a symbol, not whitespace, not part of a word.)
        let alpha = c.is_alphabetic();
        n.ws = c.is_whitespace();
        n.symbol = !(alpha || n.ws);
        n.copyright = c == '©';
        n.cjk = matches!(c as u32, 0x3040..=0x30FF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF);
        // `is_alphanumeric` is `is_alphabetic || is_numeric`.
        n.word = alpha || c.is_numeric() || c == '\u{AD}';
    }
    n
}

/// One word of [`super::features`]: looks up its stop-word bits (lowercased, soft hyphens
/// dropped, as [`crate::clean::lang::for_each_word`] does) and returns 1, or 0 for a word that is
/// only soft hyphens (which `for_each_word` skips).
#[inline(always)]
pub(super) fn word(
    content: &str,
    start: usize,
    end: usize,
    ascii: bool,
    sw: &StopWords,
    buf: &mut String,
    count_bits: &mut impl FnMut(u16),
) -> usize {
    let len = end - start;
    if ascii {
        if len <= sw.max_len() {
            // ASCII letters and digits: setting bit 0x20 lowercases letters and leaves
            // digits as they are; the zero padding stays zero. With 8 bytes left in the
            // line, the key is loaded directly and masked to the word's length.
            let bytes = content.as_bytes();
            let key = match bytes.get(start..start + 8) {
                Some(k) => u64::from_le_bytes(k.try_into().unwrap_or_default()) & LEN_MASK[len],
                None => pack(&bytes[start..end]),
            };
            const LOWER: u64 = 0x2020_2020_2020_2020;
            count_bits(sw.bits_packed(key | (LEN_MASK[len] & LOWER)));
        }
        return 1;
    }
    buf.clear();
    for c in content[start..end].chars() {
        if c == '\u{AD}' {
            continue;
        }
        if c.is_ascii() {
            buf.push(c.to_ascii_lowercase());
        } else {
            crate::clean::lang::push_lower_char(c, buf);
        }
    }
    if buf.is_empty() {
        return 0;
    }
    count_bits(sw.bits(buf));
    1
}

/// For each length `len` ≤ 8: 0xFF in the first `len` bytes of a packed key.
const LEN_MASK: [u64; 9] = len_masks();

const fn len_masks() -> [u64; 9] {
    let mut t = [u64::MAX; 9];
    let mut len = 0;
    while len < 8 {
        t[len] = (1u64 << (8 * len)) - 1;
        len += 1;
    }
    t
}
