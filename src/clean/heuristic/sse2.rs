//! SSE2 (x86_64 baseline) path of [`super::features`]: runs of ASCII bytes are classified
//! 16 at a time. Bit masks give the characters, symbols (popcount of non-plain bytes),
//! token starts (capitalized tokens) and word boundaries; only the word ends do per-word
//! work (the stop-word lookup). Non-ASCII characters take the `char` tests of the scalar
//! path one at a time. The result equals [`super::features_scalar`] for every input
//! (checked by the tests of `heuristic`).
use super::{is_link_token, non_ascii_char, word, Features, StopWords, LANGUAGES};
use std::arch::x86_64::*;

/// Bit masks of up to 16 ASCII bytes (bit `p` = byte `i + p`).
struct Masks {
    /// Number of leading ASCII bytes (1..=16; stops at the first non-ASCII byte or the
    /// end of the line). Bits at and after `len` of the masks below are meaningless.
    len: usize,
    /// ASCII letters and digits.
    word: u32,
    /// `char::is_whitespace` (ASCII).
    ws: u32,
    /// Upper-case letters.
    upper: u32,
    /// Not a symbol: letters, whitespace, `.,-'"?!:;()`.
    plain: u32,
    /// `:` (a token with "://" is a link).
    colon: u32,
    /// `@` (a token with one may be a link).
    at: u32,
    /// `w` (a token starting with one may be `www.`).
    w: u32,
}

/// Lane mask of the bytes of `x` in `lo..=hi` (unsigned, any byte).
#[inline(always)]
fn in_range(x: __m128i, lo: u8, hi: u8) -> __m128i {
    // SAFETY: SSE2 is part of the x86_64 baseline.
    unsafe {
        let y = _mm_add_epi8(x, _mm_set1_epi8(0x80u8.wrapping_sub(lo) as i8));
        let limit = _mm_set1_epi8((0x80u8.wrapping_add(hi - lo + 1)) as i8);
        _mm_cmplt_epi8(y, limit)
    }
}

#[inline(always)]
fn splat(b: u8) -> __m128i {
    // SAFETY: SSE2 is part of the x86_64 baseline.
    unsafe { _mm_set1_epi8(b as i8) }
}

#[inline(always)]
fn eq(x: __m128i, b: u8) -> __m128i {
    // SAFETY: SSE2 is part of the x86_64 baseline.
    unsafe { _mm_cmpeq_epi8(x, _mm_set1_epi8(b as i8)) }
}

#[inline(always)]
fn or(a: __m128i, b: __m128i) -> __m128i {
    // SAFETY: SSE2 is part of the x86_64 baseline.
    unsafe { _mm_or_si128(a, b) }
}

#[inline(always)]
fn mask(x: __m128i) -> u32 {
    // SAFETY: SSE2 is part of the x86_64 baseline.
    unsafe { _mm_movemask_epi8(x) as u32 }
}

/// Classify the bytes from `i` (an ASCII byte, `i < bytes.len()`).
#[inline(always)]
fn masks(bytes: &[u8], i: usize) -> Masks {
    // The 16 bytes from `i`; near the end of a line of 16 bytes or more, the last 16
    // bytes, the masks then shifted right by `shift` (no copy).
    let mut pad = [0u8; 16];
    let (block, shift, avail): (&[u8; 16], usize, usize) = match bytes[i..].first_chunk() {
        Some(b) => (b, 0, 16),
        None => match bytes.last_chunk() {
            Some(b) => (b, i + 16 - bytes.len(), bytes.len() - i),
            None => {
                pad[..bytes.len() - i].copy_from_slice(&bytes[i..]);
                (&pad, 0, bytes.len() - i)
            }
        },
    };
    // SAFETY: SSE2 is part of the x86_64 baseline; the load reads the 16 bytes of `block`.
    let x = unsafe { _mm_loadu_si128(block.as_ptr().cast()) };
    let mask = |v: __m128i| mask(v) >> shift;
    // Stop at the first non-ASCII byte, or after the bytes of the line.
    let stop = mask(x) | (!0u32 << avail) | (1 << 16);
    let len = stop.trailing_zeros() as usize;
    let alpha = in_range(or(x, splat(0x20)), b'a', b'z');
    let digit = in_range(x, b'0', b'9');
    let ws = or(eq(x, b' '), in_range(x, b'\t', b'\r'));
    let punct = or(
        or(in_range(x, b'!', b'"'), in_range(x, b'\'', b')')),
        or(
            or(in_range(x, b',', b'.'), in_range(x, b':', b';')),
            eq(x, b'?'),
        ),
    );
    Masks {
        len,
        word: mask(or(alpha, digit)),
        ws: mask(ws),
        upper: mask(in_range(x, b'A', b'Z')),
        plain: mask(or(or(alpha, ws), punct)),
        colon: mask(eq(x, b':')),
        at: mask(eq(x, b'@')),
        w: mask(eq(x, b'w')),
    }
}

/// Number of set bits of a 16-bit mask (a table: `popcnt` is not in the x86_64 baseline
/// and the bit-twiddling `count_ones` costs some 16 instructions).
#[inline(always)]
fn popcount16(m: u32) -> usize {
    static POP8: [u8; 256] = {
        let mut t = [0u8; 256];
        let mut b = 0;
        while b < 256 {
            t[b] = (b as u32).count_ones() as u8;
            b += 1;
        }
        t
    };
    usize::from(POP8[(m & 0xFF) as usize]) + usize::from(POP8[(m >> 8 & 0xFF) as usize])
}

/// Bits per language in the packed stop-word counts of [`features`].
const LANE_BITS: usize = 128 / LANGUAGES.len();
/// Hits after which the packed counts are flushed (a lane holds up to this many).
const LANE_MAX: u32 = (1 << LANE_BITS) - 1;
const _: () = assert!(LANGUAGES.len() <= 16 && LANE_BITS >= 8);

/// For each set of languages (stop-word bits), 1 in the lane of each.
static LANES: [u128; 1 << LANGUAGES.len()] = lanes();

const fn lanes() -> [u128; 1 << LANGUAGES.len()] {
    let mut t = [0u128; 1 << LANGUAGES.len()];
    let mut bits = 0;
    while bits < t.len() {
        let mut l = 0;
        while l < LANGUAGES.len() {
            if bits >> l & 1 == 1 {
                t[bits] |= 1 << (l * LANE_BITS);
            }
            l += 1;
        }
        bits += 1;
    }
    t
}

/// Add packed counts to `per_lang`.
#[inline]
fn flush(per_lang: &mut [u32; LANGUAGES.len()], acc: u128) {
    if acc != 0 {
        for (l, c) in per_lang.iter_mut().enumerate() {
            *c += (acc >> (l * LANE_BITS)) as u32 & LANE_MAX;
        }
    }
}

/// [`super::features`] with SSE2.
pub(super) fn features(content: &str, buf: &mut String) -> Features {
    let sw = StopWords::get();
    let mut f = Features::default();
    let bytes = content.as_bytes();
    let n = bytes.len();
    let mut words = 0usize;
    // Stop-word hits per language, packed in `LANE_BITS`-bit lanes of one u128 (one add
    // per word); added to `per_lang` before a lane could overflow and at the end.
    let per_lang = &mut f.per_lang;
    let mut acc = 0u128;
    let mut hits = 0u32;
    let mut count_bits = |bits: u16| {
        acc += LANES[usize::from(bits) & (LANES.len() - 1)];
        hits += 1;
        if hits == LANE_MAX {
            flush(per_lang, acc);
            acc = 0;
            hits = 0;
        }
    };
    // Inside a whitespace token.
    let mut in_tok = false;
    // A token is a link ([`is_link_token`]); some token has an '@' (then all are tested
    // at the end unless a link was found).
    let mut link = false;
    let mut at = false;
    // Current word (alphanumeric or soft hyphen run): start, and whether all ASCII.
    let mut word_start = usize::MAX;
    let mut word_ascii = true;
    let mut chars = 0usize;
    let mut symbols = 0usize;
    let mut capitalized = 0usize;
    let mut i = 0;
    while i < n {
        if bytes[i] < 0x80 {
            let m = masks(bytes, i);
            let k = m.len;
            let valid = (1u32 << k) - 1;
            chars += k;
            symbols += popcount16(!m.plain & valid);
            let ws = m.ws & valid;
            // Token starts: non-whitespace bytes after whitespace (or after no token).
            let tstart = !ws & ((ws << 1) | u32::from(!in_tok)) & valid;
            capitalized += popcount16(tstart & m.upper);
            if !link {
                // "://" makes its token a link, and so does "www." at a token start; a
                // token with '@' is tested at the end.
                let mut colons = m.colon & valid;
                while colons != 0 {
                    let p = i + colons.trailing_zeros() as usize;
                    colons &= colons - 1;
                    link |= bytes.get(p + 1..p + 3) == Some(b"//");
                }
                let mut ws_ = tstart & m.w;
                while ws_ != 0 {
                    let p = i + ws_.trailing_zeros() as usize;
                    ws_ &= ws_ - 1;
                    link |= bytes.get(p..p + 4) == Some(b"www.");
                }
                at |= m.at & valid != 0;
            }
            in_tok = ws >> (k - 1) & 1 == 0;
            // Word starts and ends: where the word mask changes.
            let wd = m.word & valid;
            let prev = (wd << 1) | u32::from(word_start != usize::MAX);
            let starts = wd & !prev;
            // Word ends (the first byte after a word): one look-up each. A word's start is
            // the last start before its end in this block, else the one carried in.
            let mut ends = !wd & prev & valid;
            while ends != 0 {
                let q = ends.trailing_zeros();
                ends &= ends - 1;
                let before = starts & ((1u32 << q) - 1);
                let (start, ascii) = if before != 0 {
                    (i + (31 - before.leading_zeros()) as usize, true)
                } else {
                    (word_start, word_ascii)
                };
                words += word(
                    content,
                    start,
                    i + q as usize,
                    ascii,
                    sw,
                    buf,
                    &mut count_bits,
                );
            }
            if wd >> (k - 1) & 1 == 0 {
                word_start = usize::MAX;
            } else if starts != 0 {
                word_start = i + (31 - starts.leading_zeros()) as usize;
                word_ascii = true;
            }
            i += k;
            continue;
        }
        let c = content[i..].chars().next().unwrap_or('\0');
        let len = c.len_utf8();
        chars += 1;
        let n = non_ascii_char(c);
        let (is_ws, is_word) = (n.ws, n.word);
        symbols += usize::from(n.symbol);
        f.copyright |= n.copyright;
        f.cjk |= n.cjk;
        if is_ws {
            in_tok = false;
        } else if !in_tok {
            in_tok = true;
            capitalized += usize::from(c.is_uppercase());
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
    if word_start != usize::MAX {
        words += word(content, word_start, n, word_ascii, sw, buf, &mut count_bits);
    }
    flush(&mut f.per_lang, acc);
    f.chars = chars;
    f.symbols = symbols;
    f.capitalized = capitalized;
    f.link = link || (at && content.split(char::is_whitespace).any(is_link_token));
    f.words = words;
    f.sentence_end = super::sentence_end(content);
    f
}
