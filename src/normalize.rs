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

/// Normalize one text according to `cfg`. Pure function; returns the input unchanged
/// (no allocation beyond the copy) when nothing applies.
pub fn normalize(text: &str, cfg: &NormalizeConfig) -> String {
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
        match c {
            '\r' if cfg.line_endings => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                push_newline(&mut out, cfg);
            }
            '\u{2028}' | '\u{2029}' | '\u{0085}' if cfg.line_endings => push_newline(&mut out, cfg),
            '\n' => push_newline(&mut out, cfg),
            '\t'
            | '\u{00A0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200A}'
            | '\u{202F}'
            | '\u{205F}'
            | '\u{3000}'
                if cfg.spaces =>
            {
                out.push(' ')
            }
            '\u{200B}' | '\u{2060}' | '\u{FEFF}' | '\u{180E}' if cfg.zero_width => {}
            c => out.push(c),
        }
    }
    if cfg.trim_trailing {
        let len = out.trim_end_matches([' ', '\t']).len();
        out.truncate(len);
    }
    out
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
        let normalized = normalize(&doc.text, &self.cfg);
        if normalized != doc.text {
            stats.changed += 1;
            stats.bytes_removed += doc.text.len().saturating_sub(normalized.len()) as u64;
            doc.text = normalized;
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

    #[test]
    fn normalizes_spaces_line_endings_zero_width_and_nfc() {
        let cfg = NormalizeConfig::default();
        let input = "Caf\u{0065}\u{0301}\u{00A0}au\u{200B}lait  \r\nzwei\rdrei\u{2028}vier\t \n";
        assert_eq!(normalize(input, &cfg), "Café aulait\nzwei\ndrei\nvier\n");
    }

    #[test]
    fn keeps_joiners_and_soft_hyphens() {
        let cfg = NormalizeConfig::default();
        let input = "Zei\u{00AD}tung \u{200D}x";
        assert_eq!(normalize(input, &cfg), input);
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
}
