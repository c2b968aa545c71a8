//! The block loop of the SIMD paths of [`super::features`]: runs of ASCII bytes are
//! classified a block at a time (16 bytes with SSE2, 32 with AVX2) into bit masks, which
//! give the characters, symbols (popcount of non-plain bytes), token starts (capitalized
//! tokens) and word boundaries; only the word ends do per-word work (the stop-word
//! lookup). Non-ASCII characters take the `char` tests of the scalar path one at a time.
//! The result equals [`super::features_scalar`] for every input (checked by the tests of
//! `heuristic`, for each classifier).
use super::chars::{is_link_token, non_ascii_char, sentence_end, word};
use super::{Features, LANGUAGES};
use crate::clean::lang::StopWords;

/// Bit masks of the ASCII bytes of a block (bit `p` = byte `i + p`).
pub(super) struct Masks {
    /// Number of leading ASCII bytes (1..=block width; stops at the first non-ASCII byte
    /// or the end of the line). Bits at and after `len` of the masks below are
    /// meaningless.
    pub len: usize,
    /// ASCII letters and digits.
    pub word: u64,
    /// `char::is_whitespace` (ASCII).
    pub ws: u64,
    /// Upper-case letters.
    pub upper: u64,
    /// Not a symbol: letters, whitespace, `.,-'"?!:;()`.
    pub plain: u64,
    /// `:` (a token with "://" is a link).
    pub colon: u64,
    /// `@` (a token with one may be a link).
    pub at: u64,
    /// `w` (a token starting with one may be `www.`).
    pub w: u64,
}

/// A block classifier: a vector of [`Classify::N`] bytes and the few operations
/// [`masks`] needs, implemented once per instruction set.
pub(super) trait Classify: Copy {
    /// Bytes per vector (at most 32).
    const N: usize;
    /// The first `N` bytes of `block` (which has at least `N`).
    fn load(block: &[u8]) -> Self;
    /// Every byte `b`.
    fn splat(b: u8) -> Self;
    fn or(self, other: Self) -> Self;
    /// Bytewise wrapping addition.
    fn add(self, other: Self) -> Self;
    /// Bytewise `==`: 0xFF or 0.
    fn cmpeq(self, other: Self) -> Self;
    /// Bytewise signed `>`: 0xFF or 0.
    fn cmpgt(self, other: Self) -> Self;
    /// The top bit of each byte (bit `p` = byte `p`).
    fn movemask(self) -> u32;
    /// Number of set bits of a mask of `N` bits.
    fn popcount(m: u64) -> usize;
}

/// Lane mask of the bytes of `x` in `lo..=hi` (unsigned, any byte).
#[inline(always)]
fn in_range<C: Classify>(x: C, lo: u8, hi: u8) -> C {
    let y = x.add(C::splat(0x80u8.wrapping_sub(lo)));
    C::splat(0x80u8.wrapping_add(hi - lo + 1)).cmpgt(y)
}

#[inline(always)]
fn eq<C: Classify>(x: C, b: u8) -> C {
    x.cmpeq(C::splat(b))
}

/// Classify the `C::N` bytes from `i` (an ASCII byte, `i < bytes.len()`).
#[inline(always)]
fn masks<C: Classify>(bytes: &[u8], i: usize) -> Masks {
    // The N bytes from `i`; near the end of a line of N bytes or more, the last N bytes,
    // the masks then shifted right by `shift` (no copy).
    let n = C::N;
    let mut pad = [0u8; 32];
    let (block, shift, avail): (&[u8], usize, usize) = match bytes.get(i..i + n) {
        Some(b) => (b, 0, n),
        None if bytes.len() >= n => (
            &bytes[bytes.len() - n..],
            i + n - bytes.len(),
            bytes.len() - i,
        ),
        None => {
            pad[..bytes.len() - i].copy_from_slice(&bytes[i..]);
            (&pad[..], 0, bytes.len() - i)
        }
    };
    let x = C::load(block);
    let mask = |v: C| u64::from(v.movemask() >> shift);
    // Stop at the first non-ASCII byte, or after the bytes of the line.
    let stop = mask(x) | (!0u64 << avail) | (1 << n);
    let len = stop.trailing_zeros() as usize;
    let alpha = in_range(x.or(C::splat(0x20)), b'a', b'z');
    let digit = in_range(x, b'0', b'9');
    let ws = eq(x, b' ').or(in_range(x, b'\t', b'\r'));
    let punct = in_range(x, b'!', b'"')
        .or(in_range(x, b'\'', b')'))
        .or(in_range(x, b',', b'.'))
        .or(in_range(x, b':', b';'))
        .or(eq(x, b'?'));
    Masks {
        len,
        word: mask(alpha.or(digit)),
        ws: mask(ws),
        upper: mask(in_range(x, b'A', b'Z')),
        plain: mask(alpha.or(ws).or(punct)),
        colon: mask(eq(x, b':')),
        at: mask(eq(x, b'@')),
        w: mask(eq(x, b'w')),
    }
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

/// [`super::features`] with the block classifier `C`: inlined into each classifier's
/// entry point, so that it is compiled with that classifier's target features.
#[inline(always)]
pub(super) fn features<C: Classify>(content: &str, buf: &mut String) -> Features {
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
            let m = masks::<C>(bytes, i);
            let k = m.len;
            let valid = u64::MAX >> (64 - k);
            chars += k;
            symbols += C::popcount(!m.plain & valid);
            let ws = m.ws & valid;
            // Token starts: non-whitespace bytes after whitespace (or after no token).
            let tstart = !ws & ((ws << 1) | u64::from(!in_tok)) & valid;
            capitalized += C::popcount(tstart & m.upper);
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
            let prev = (wd << 1) | u64::from(word_start != usize::MAX);
            let starts = wd & !prev;
            // Word ends (the first byte after a word): one look-up each. A word's start is
            // the last start before its end in this block, else the one carried in.
            let mut ends = !wd & prev & valid;
            while ends != 0 {
                let q = ends.trailing_zeros();
                ends &= ends - 1;
                let before = starts & ((1u64 << q) - 1);
                let (start, ascii) = if before != 0 {
                    (i + (63 - before.leading_zeros()) as usize, true)
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
                word_start = i + (63 - starts.leading_zeros()) as usize;
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
    f.sentence_end = sentence_end(content);
    f
}
