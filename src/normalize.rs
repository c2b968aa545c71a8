//! Unicode and whitespace normalization, the first stage every document passes.
//!
//! What it does (each step can be switched off in `[normalize]`):
//! - `nfc`: Unicode canonical composition (NFC), so `e` + combining acute equals `é`;
//! - `line_endings`: `\r\n` and lone `\r` (and U+2028/U+2029/U+0085) become `\n`;
//! - `spaces`: no-break and other exotic spaces (U+00A0, U+1680, U+2000–U+200A, U+202F,
//!   U+205F, U+3000) and tabs inside a line become a plain space;
//! - `zero_width`: zero-width space U+200B, word joiner U+2060, BOM U+FEFF and U+180E are
//!   removed. Zero-width (non-)joiners U+200C/U+200D are kept: they carry meaning in
//!   Persian, Indic scripts and emoji;
//! - `trim_trailing`: spaces at the end of each line are trimmed.
//!
//! A document whose text is empty or only whitespace afterwards is rejected (`empty`).
//!
//! Soft hyphens (U+00AD) are left alone on purpose: they are invisible but removing them
//! changes words that downstream annotations may quote verbatim.
use crate::document::Document;
use crate::stage::{Stage, StageStats};
use serde::{Deserialize, Serialize};
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NormalizeConfig {
    pub nfc: bool,
    pub line_endings: bool,
    pub spaces: bool,
    pub zero_width: bool,
    pub trim_trailing: bool,
}

impl Default for NormalizeConfig {
    fn default() -> Self {
        NormalizeConfig {
            nfc: true,
            line_endings: true,
            spaces: true,
            zero_width: true,
            trim_trailing: true,
        }
    }
}

/// Normalize one text according to `cfg`. Pure function.
pub fn normalize(text: &str, cfg: &NormalizeConfig) -> String {
    if !needs_normalizing(text, cfg) {
        return text.to_string();
    }
    rewrite(text, cfg)
}

/// [`normalize`] without the quick check. Runs of characters that stay as they are
/// (printable ASCII, Latin letters, and every other character `classify` keeps) are
/// copied at once; only line breaks, spaces to replace and characters to drop are
/// handled one by one. Same result as [`rewrite_chars`] (tested).
fn rewrite(text: &str, cfg: &NormalizeConfig) -> String {
    let composed: String;
    let text = if cfg.nfc && may_matter_to_nfc(text) && nfc_changes(text, cfg) {
        composed = text.nfc().collect();
        &composed
    } else {
        text
    };
    let bytes = text.as_bytes();
    let n = bytes.len();
    let mut out = String::with_capacity(n);
    // `text[run..i]` is kept as it is, not yet copied.
    let mut run = 0;
    let mut i = 0;
    while i < n {
        i = printable_run(bytes, i);
        let Some(&b) = bytes.get(i) else {
            break;
        };
        if (0x20..0x80).contains(&b) {
            i += 1;
            continue;
        }
        // U+00C0..U+02FF: kept.
        if (0xC3..=0xCB).contains(&b) {
            i += 2;
            continue;
        }
        let Some(c) = text[i..].chars().next() else {
            break;
        };
        let len = c.len_utf8();
        let action = classify(c, cfg);
        // A `\n` with no blank before it (in the text still to copy, or else at the end
        // of what is written) stays as it is.
        let plain_newline = c == '\n'
            && !(cfg.trim_trailing
                && if i > run {
                    matches!(bytes[i - 1], b' ' | b'\t')
                } else {
                    out.ends_with([' ', '\t'])
                });
        if action == Char::Keep || plain_newline {
            i += len;
            continue;
        }
        out.push_str(&text[run..i]);
        i += len;
        match action {
            Char::Newline => {
                if c == '\r' && bytes.get(i) == Some(&b'\n') {
                    i += 1;
                }
                push_newline(&mut out, cfg);
            }
            Char::Space => out.push(' '),
            Char::Drop | Char::Keep => {}
        }
        run = i;
    }
    out.push_str(&text[run..]);
    if cfg.trim_trailing {
        let len = out.trim_end_matches([' ', '\t']).len();
        out.truncate(len);
    }
    out
}

/// Whether `text` has a character that could matter to NFC (see [`nfc_relevant`]): one
/// at U+0300 or above (lead byte 0xCC or more) but the general punctuation U+2002..U+206F.
fn may_matter_to_nfc(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(p) = bytes[from..].iter().position(|&b| b >= 0xCC) {
        let at = from + p;
        match text[at..].chars().next() {
            Some(c) if nfc_relevant(c) => return true,
            Some(c) => from = at + c.len_utf8(),
            None => return false,
        }
    }
    false
}

/// [`rewrite`] a character at a time: the reference of the tests.
#[cfg(test)]
fn rewrite_chars(text: &str, cfg: &NormalizeConfig) -> String {
    let composed: String;
    let text = if cfg.nfc && is_nfc_quick(text.chars()) != IsNormalized::Yes {
        composed = text.nfc().collect();
        &composed
    } else {
        text
    };
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match classify(c, cfg) {
            Char::Newline => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                push_newline(&mut out, cfg);
            }
            Char::Space => out.push(' '),
            Char::Drop => {}
            Char::Keep => out.push(c),
        }
    }
    if cfg.trim_trailing {
        let len = out.trim_end_matches([' ', '\t']).len();
        out.truncate(len);
    }
    out
}

/// Whether [`normalize`] would change `text`: a quick scan, so that the common case (clean
/// UTF-8 with `\n` line ends) costs one pass over the bytes and no rewriting. Only
/// non-ASCII characters are decoded.
pub fn needs_normalizing(text: &str, cfg: &NormalizeConfig) -> bool {
    needs_normalizing_with(crate::cpu::paths(), text, cfg)
}

/// [`needs_normalizing`] on the vector path `cpu` allows (the same answer on every path).
#[inline]
fn needs_normalizing_with(cpu: crate::cpu::Paths, text: &str, cfg: &NormalizeConfig) -> bool {
    #[cfg(target_arch = "x86_64")]
    if cpu.avx2() {
        // SAFETY: the CPU has AVX2 (a `Paths` reports only features the CPU has,
        // `crate::cpu`).
        return unsafe { avx2::needs_normalizing(text, cfg) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = cpu;
    needs_normalizing_bytewise(text, cfg)
}

/// [`needs_normalizing`] a byte (or 16 printable ASCII bytes) at a time: the path of CPUs
/// without AVX2, and the reference of the tests.
fn needs_normalizing_bytewise(text: &str, cfg: &NormalizeConfig) -> bool {
    let mut may_need_nfc = false;
    tail_needs_normalizing(text, 0, 0, cfg, &mut may_need_nfc)
        || may_need_nfc && nfc_changes(text, cfg)
}

/// The bytewise check of `text[start..]` (`start` a character boundary, `prev` the byte
/// before it or 0), NFC aside: whether a character there changes, else whether one may
/// matter to NFC (into `may_need_nfc`).
fn tail_needs_normalizing(
    text: &str,
    start: usize,
    mut prev: u8,
    cfg: &NormalizeConfig,
    may_need_nfc: &mut bool,
) -> bool {
    let bytes = text.as_bytes();
    let mut i = start;
    while i < bytes.len() {
        // Printable ASCII, which nothing here changes; only its last byte matters as
        // `prev`.
        let end = printable_run(bytes, i);
        if end > i {
            prev = bytes[end - 1];
            i = end;
        }
        if i >= bytes.len() {
            break;
        }
        let b = bytes[i];
        if b < 0x80 {
            match b {
                b'\r' if cfg.line_endings => return true,
                b'\t' if cfg.spaces => return true,
                b'\n' if cfg.trim_trailing && matches!(prev, b' ' | b'\t') => return true,
                _ => {}
            }
            prev = b;
            i += 1;
            continue;
        }
        // U+00C0..U+02FF (Latin letters with accents, the common case): nothing to do.
        if (0xC3..=0xCB).contains(&b) {
            prev = 0;
            i += 2;
            continue;
        }
        let Some(c) = text[i..].chars().next() else {
            break;
        };
        if classify(c, cfg) != Char::Keep {
            return true;
        }
        *may_need_nfc |= nfc_relevant(c);
        prev = 0;
        i += c.len_utf8();
    }
    cfg.trim_trailing && matches!(prev, b' ' | b'\t')
}

/// Whether NFC would change `text`, given that some character of it may matter to NFC.
fn nfc_changes(text: &str, cfg: &NormalizeConfig) -> bool {
    // Only characters that could matter to NFC are checked. Dropping the others (NFC on
    // their own, combining class 0) can only make the check say "maybe" more often (they
    // would reset the combining-class order), never "yes" wrongly.
    cfg.nfc && is_nfc_quick(text.chars().filter(|&c| nfc_relevant(c))) != IsNormalized::Yes
}

/// [`needs_normalizing`] 32 bytes at a time. In a block, masks find the bytes that can
/// matter: `\r`, `\t`, a `\n` after a space or tab (any of them: changed), and the lead
/// bytes of characters outside U+00C0..U+02FF (looked at one by one, as the bytewise
/// path does). Everything else (printable ASCII, the Latin letters with accents, other
/// control characters) is left as it is by normalization.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{
        classify, nfc_changes, nfc_relevant, tail_needs_normalizing, Char, NormalizeConfig,
    };
    use std::arch::x86_64::*;

    /// # Safety
    /// The CPU must have AVX2 ([`crate::cpu`]).
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn needs_normalizing(text: &str, cfg: &NormalizeConfig) -> bool {
        let bytes = text.as_bytes();
        let n = bytes.len();
        let mut may_need_nfc = false;
        let splat = |b: u8| _mm256_set1_epi8(b as i8);
        let on = |b: bool| if b { u32::MAX } else { 0 };
        let (cr_on, tab_on, trail_on) =
            (on(cfg.line_endings), on(cfg.spaces), on(cfg.trim_trailing));
        // Whether the byte before the block is a space or tab.
        let mut blank_carry = 0u32;
        let mut i = 0;
        while let Some(block) = bytes.get(i..i + 32) {
            // SAFETY: `block` has 32 bytes.
            let x = unsafe { _mm256_loadu_si256(block.as_ptr().cast()) };
            let eq = |b: u8| _mm256_movemask_epi8(_mm256_cmpeq_epi8(x, splat(b))) as u32;
            let tab = eq(b'\t');
            let blank = eq(b' ') | tab;
            let blank_before = (blank << 1) | blank_carry;
            blank_carry = blank >> 31;
            let changed =
                (eq(b'\r') & cr_on) | (tab & tab_on) | (eq(b'\n') & blank_before & trail_on);
            if changed != 0 {
                return true;
            }
            let high = _mm256_movemask_epi8(x) as u32;
            if high != 0 {
                // Continuation bytes (0x80..=0xBF: signed below 0xC0) and the leads
                // 0xC3..=0xCB need nothing; any other lead is decoded.
                let gt =
                    |a: __m256i, b: __m256i| _mm256_movemask_epi8(_mm256_cmpgt_epi8(a, b)) as u32;
                let cont = gt(splat(0xC0), x);
                let latin = gt(x, splat(0xC2)) & gt(splat(0xCC), x);
                let mut leads = high & !cont & !latin;
                while leads != 0 {
                    let p = i + leads.trailing_zeros() as usize;
                    leads &= leads - 1;
                    let Some(c) = text.get(p..).and_then(|t| t.chars().next()) else {
                        continue;
                    };
                    if classify(c, cfg) != Char::Keep {
                        return true;
                    }
                    may_need_nfc |= nfc_relevant(c);
                }
            }
            i += 32;
        }
        // The last bytes (fewer than 32) as the bytewise path takes them, from a
        // character boundary: a character begun in the last block was looked at there.
        while i < n && !text.is_char_boundary(i) {
            i += 1;
        }
        let prev = if i == 0 { 0 } else { bytes[i - 1] };
        if tail_needs_normalizing(text, i, prev, cfg, &mut may_need_nfc) {
            return true;
        }
        may_need_nfc && nfc_changes(text, cfg)
    }
}

/// The end of the run of printable ASCII bytes (0x20..=0x7F) from `i`, found 16 bytes
/// (then eight) at a time; the bytes after the last whole block are left to the caller.
#[inline(always)]
fn printable_run(bytes: &[u8], mut i: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    while let Some(block) = bytes[i..].first_chunk::<16>() {
        if !printable16(block) {
            break;
        }
        i += 16;
    }
    while let Some(w) = bytes.get(i..i + 8) {
        let w = u64::from_le_bytes(w.try_into().unwrap_or_default());
        const HIGH: u64 = 0x8080_8080_8080_8080;
        // A byte below 0x20 borrows into its high bit; a byte >= 0x80 has it set.
        if (w | w.wrapping_sub(0x2020_2020_2020_2020)) & HIGH != 0 {
            break;
        }
        i += 8;
    }
    i
}

/// Whether all 16 bytes of `block` are printable ASCII (0x20..=0x7F).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn printable16(block: &[u8; 16]) -> bool {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is part of the x86_64 baseline; the load reads the 16 bytes of `block`.
    unsafe {
        let x = _mm_loadu_si128(block.as_ptr().cast());
        // Signed: bytes >= 0x80 are negative, so one compare finds them and those < 0x20.
        _mm_movemask_epi8(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20))) == 0
    }
}

/// Whether `c` could matter to NFC. Characters below U+0300, and the general punctuation
/// U+2002..U+206F (dashes, quotes „“, ellipsis), are in NFC on their own and have combining
/// class 0; U+2000 and U+2001 decompose to U+2002 and U+2003, so they do matter.
fn nfc_relevant(c: char) -> bool {
    c >= '\u{0300}' && !('\u{2002}'..='\u{206F}').contains(&c)
}

/// What normalization does with one character under `cfg`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Char {
    /// A line break (`\n` itself, or one that becomes `\n`).
    Newline,
    /// An exotic space or tab that becomes a plain space.
    Space,
    /// A zero-width character that is removed.
    Drop,
    Keep,
}

fn classify(c: char, cfg: &NormalizeConfig) -> Char {
    match c {
        '\n' => Char::Newline,
        '\r' | '\u{2028}' | '\u{2029}' | '\u{0085}' if cfg.line_endings => Char::Newline,
        '\t'
        | '\u{00A0}'
        | '\u{1680}'
        | '\u{2000}'..='\u{200A}'
        | '\u{202F}'
        | '\u{205F}'
        | '\u{3000}'
            if cfg.spaces =>
        {
            Char::Space
        }
        '\u{200B}' | '\u{2060}' | '\u{FEFF}' | '\u{180E}' if cfg.zero_width => Char::Drop,
        _ => Char::Keep,
    }
}

fn push_newline(out: &mut String, cfg: &NormalizeConfig) {
    if cfg.trim_trailing {
        let len = out.trim_end_matches([' ', '\t']).len();
        out.truncate(len);
    }
    out.push('\n');
}

/// The normalize stage.
pub struct Normalize {
    cfg: NormalizeConfig,
}

impl Normalize {
    pub fn new(cfg: &NormalizeConfig) -> Self {
        Normalize { cfg: cfg.clone() }
    }
}

impl Stage for Normalize {
    fn name(&self) -> &'static str {
        "normalize"
    }

    fn process(
        &self,
        mut doc: Document,
        stats: &mut StageStats,
    ) -> Result<Document, crate::document::Rejection> {
        if needs_normalizing(&doc.text, &self.cfg) {
            let normalized = rewrite(&doc.text, &self.cfg);
            if normalized != doc.text {
                stats.changed += 1;
                stats.bytes_removed += doc.text.len().saturating_sub(normalized.len()) as u64;
                doc.text = normalized;
                doc.record.text_changed();
            }
        }
        if doc.text.trim().is_empty() {
            return Err(crate::document::Rejection::of(doc, "empty", "normalize")
                .detail("the text is empty or only whitespace"));
        }
        Ok(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::{self, Paths};
    use proptest::collection::vec;
    use proptest::prelude::*;

    #[test]
    fn normalizes_spaces_line_endings_zero_width_and_nfc() {
        let cfg = NormalizeConfig::default();
        let input = "Caf\u{0065}\u{0301}\u{00A0}au\u{200B}lait  \r\nzwei\rdrei\u{2028}vier\t \n";
        assert_eq!(normalize(input, &cfg), "Café aulait\nzwei\ndrei\nvier\n");
    }

    #[test]
    fn a_rewritten_text_is_no_longer_the_original_of_its_record() {
        let parse = |line: &str| {
            let raw = crate::read::RawRecord {
                origin: crate::document::Origin {
                    file: "in.jsonl".into(),
                    line: 1,
                },
                bytes: line.as_bytes().to_vec(),
                kind: crate::read::RawKind::Json,
            };
            crate::read::parse(raw, &crate::read::Fields::default()).unwrap()
        };
        let stage = Normalize::new(&NormalizeConfig::default());
        let mut stats = StageStats::default();
        let same = stage
            .process(parse(r#"{"text": "eins\nzwei"}"#), &mut stats)
            .unwrap();
        assert!(same.record.original_is_text(&same.text));
        let changed = stage
            .process(parse(r#"{"text": "eins\r\nzwei"}"#), &mut stats)
            .unwrap();
        assert_eq!(changed.text, "eins\nzwei");
        assert!(!changed.record.original_is_text(&changed.text));
        assert_eq!(changed.original_text().as_deref(), Some("eins\r\nzwei"));
    }

    #[test]
    fn keeps_joiners_and_soft_hyphens() {
        let cfg = NormalizeConfig::default();
        let input = "Zei\u{00AD}tung \u{200D}x";
        assert_eq!(normalize(input, &cfg), input);
    }

    #[test]
    fn quick_check_agrees_with_normalize() {
        let cfg = NormalizeConfig::default();
        let off = NormalizeConfig {
            nfc: false,
            line_endings: false,
            spaces: false,
            zero_width: false,
            trim_trailing: false,
        };
        let samples = [
            "plain ascii\nlines\n",
            "trailing \nspace",
            "end space ",
            "tab\there",
            "crlf\r\n",
            "Grüße aus Köln\n",
            "e\u{0301}",
            "nb\u{00A0}sp",
            "zw\u{200B}sp",
            "line\u{2028}sep",
            "Zei\u{00AD}tung \u{200D}",
            "ü \n",
            "„Zitat“ – mit Gedankenstrich",
            "A\u{030A}ngström",
            "\u{1100}\u{1161}",
            "ein\u{2009}schmales Leerzeichen",
            "em\u{2001}quad",
            "– „Zitat“ … mit Ångström\u{2001}",
            "Ǆ and ʼ, below U+0300",
            "",
        ];
        // Every special sequence at every offset, so the 16- and eight-byte fast paths see
        // each one at every position of a block and across block boundaries.
        let mut shifted = Vec::new();
        for special in [
            "\t",
            "\r\n",
            " \n",
            "\u{00A0}",
            "é",
            "e\u{0301}",
            "\u{7f}",
            "\u{1f}",
            " ",
        ] {
            for at in 0..70 {
                shifted.push(format!(
                    "{}{special}{}",
                    "a".repeat(at),
                    "b".repeat(70 - at)
                ));
                shifted.push(format!("{}{special}", "a".repeat(at)));
            }
        }
        for cfg in [&cfg, &off] {
            for s in samples
                .iter()
                .copied()
                .chain(shifted.iter().map(|s| s.as_str()))
            {
                assert_eq!(needs_normalizing(s, cfg), rewrite(s, cfg) != s, "{s:?}");
                assert_eq!(
                    needs_normalizing_bytewise(s, cfg),
                    rewrite(s, cfg) != s,
                    "{s:?}"
                );
                let changes = rewrite(s, cfg) != s;
                for p in cpu::each_path() {
                    assert_eq!(needs_normalizing_with(p, s, cfg), changes, "{p:?} {s:?}");
                }
            }
        }
    }

    /// Pieces of text: letters first, then blanks and line breaks, then everything the
    /// normalization changes or looks at.
    const PIECES: &[&str] = &[
        "a",
        "b",
        " ",
        " ",
        "\n",
        "\t",
        "\r",
        "é",
        "ü",
        "ß",
        "\u{00A0}",
        "\u{0085}",
        "\u{2028}",
        "e\u{0301}",
        "\u{0301}",
        "„",
        "€",
        "–",
        "\u{200B}",
        "\u{FEFF}",
        "中",
        "\u{1f}",
        "Ǆ",
        "\u{2001}",
        "\u{1F600}",
        "\u{3000}",
        "A\u{030A}",
        "\u{212B}",
        "\u{0340}",
        "\u{0300}",
    ];

    #[test]
    fn quick_check_and_rewrite_agree_with_the_references_on_random_text_and_every_config() {
        let mut rng = crate::test_rng::XorShift::new(0x5DEE_CE66_D1CE_4E5B);
        for flags in 0..32u32 {
            let cfg = NormalizeConfig {
                nfc: flags & 1 != 0,
                line_endings: flags & 2 != 0,
                spaces: flags & 4 != 0,
                zero_width: flags & 8 != 0,
                trim_trailing: flags & 16 != 0,
            };
            for _ in 0..400 {
                // Mostly plain letters, so the special pieces land at every block offset.
                let len = rng.below(160);
                let s: String = (0..len)
                    .map(|_| {
                        // Letters, else blanks and line breaks, else anything.
                        let k = match rng.below(8) {
                            0 => PIECES.len(),
                            1 | 2 => 7,
                            _ => 2,
                        };
                        PIECES[rng.below(k)]
                    })
                    .collect();
                assert_eq!(rewrite(&s, &cfg), rewrite_chars(&s, &cfg), "{s:?} {cfg:?}");
                // The quick check may say yes where NFC would change nothing (a combining
                // mark after a letter without a composed form); never no where it would.
                let changes = rewrite(&s, &cfg) != s;
                let quick = needs_normalizing_bytewise(&s, &cfg);
                assert!(quick || !changes, "{s:?} {cfg:?}");
                assert_eq!(needs_normalizing(&s, &cfg), quick, "{s:?} {cfg:?}");
                for p in cpu::each_path() {
                    let got = needs_normalizing_with(p, &s, &cfg);
                    assert_eq!(got, quick, "{p:?} {s:?} {cfg:?}");
                }
            }
        }
    }

    #[test]
    fn steps_can_be_switched_off() {
        let cfg = NormalizeConfig {
            nfc: false,
            line_endings: false,
            spaces: false,
            zero_width: false,
            trim_trailing: false,
        };
        let input = "e\u{0301}\u{00A0}\r\n\u{200B} ";
        assert_eq!(normalize(input, &cfg), input);
    }

    /// Texts: [`PIECES`] (mostly letters, so the others land at every block offset) or
    /// arbitrary characters, after 0 to 64 letters that shift them across the 16- and
    /// 32-byte blocks.
    fn text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            4 => prop::sample::select(&PIECES[..2]),
            2 => prop::sample::select(&PIECES[..7]),
            2 => prop::sample::select(PIECES),
        ];
        let body = prop_oneof![
            3 => vec(piece, 0..120).prop_map(|v| v.concat()),
            1 => any::<String>(),
        ];
        (0usize..=64, body).prop_map(|(pad, body)| format!("{}{body}", "a".repeat(pad)))
    }

    fn config() -> impl Strategy<Value = NormalizeConfig> {
        any::<[bool; 5]>().prop_map(|f| NormalizeConfig {
            nfc: f[0],
            line_endings: f[1],
            spaces: f[2],
            zero_width: f[3],
            trim_trailing: f[4],
        })
    }

    // Differential tests (`simd_*`; a long run: see `crate::cpu`).
    proptest! {
        /// The baseline paths: the bytewise quick check (never "no" where the text
        /// changes) and the rewrite that copies runs, against a character at a time.
        #[test]
        fn simd_normalize_baseline(s in text(), cfg in config()) {
            let want = rewrite_chars(&s, &cfg);
            prop_assert_eq!(&rewrite(&s, &cfg), &want, "{:?} {:?}", s, cfg);
            let quick = needs_normalizing_with(Paths::BASELINE, &s, &cfg);
            prop_assert_eq!(quick, needs_normalizing_bytewise(&s, &cfg));
            prop_assert!(quick || want == s, "{:?} {:?}", s, cfg);
            let normalized = if quick { want } else { s.clone() };
            prop_assert_eq!(normalize(&s, &cfg), normalized);
        }

        /// The AVX2 quick check says what the bytewise one says.
        #[cfg(target_arch = "x86_64")]
        #[test]
        #[cfg_attr(not(rinse_host_avx2), ignore = "the build host has no AVX2")]
        fn simd_normalize_avx2(s in text(), cfg in config()) {
            let avx2 = cpu::require(&[cpu::Feature::Avx2]);
            prop_assert_eq!(
                needs_normalizing_with(avx2, &s, &cfg),
                needs_normalizing_bytewise(&s, &cfg),
                "{:?} {:?}", s, cfg
            );
        }
    }
}
