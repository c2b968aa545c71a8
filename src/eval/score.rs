//! The webclean metric: whitespace-normalized substring matching of gold snippets, and
//! the micro-averaged tp/fp/fn/tn counts with precision, recall, accuracy and F1.
//!
//! Defined exactly as `score_clean.py` (and trafilatura's benchmark) define them: every
//! run of whitespace — Python's Unicode-aware `\s`, which is Rust's `char::is_whitespace`
//! plus the four separators U+001C–U+001F — becomes one space, the ends are stripped,
//! and a snippet counts as present when it is a plain substring of the normalized text.
use super::gold::GoldDoc;
use serde::Serialize;

/// Whitespace as Python's `re` `\s` matches it in a `str` pattern (`str.isspace`).
pub fn is_py_space(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r'
            | '\u{1c}'..='\u{20}'
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// Collapse every whitespace run to one space and strip the ends (`norm` of the scorer).
pub fn norm_ws(text: &str) -> String {
    NormText::new(text).text
}

/// A whitespace-normalized text that remembers where each of its bytes came from, so a
/// match in the normalized text can be mapped back to a byte range of the source.
#[derive(Clone, Debug)]
pub struct NormText {
    /// The normalized text.
    pub text: String,
    /// For each byte of `text`: the source byte it copies (for a space standing for a
    /// whitespace run: the first byte of the run).
    src: Vec<usize>,
}

impl NormText {
    pub fn new(source: &str) -> NormText {
        let mut text = String::with_capacity(source.len());
        let mut src = Vec::with_capacity(source.len());
        let mut pending_space: Option<usize> = None;
        for (i, c) in source.char_indices() {
            if is_py_space(c) {
                if pending_space.is_none() && !text.is_empty() {
                    pending_space = Some(i);
                }
                continue;
            }
            if let Some(at) = pending_space.take() {
                text.push(' ');
                src.push(at);
            }
            text.push(c);
            src.extend(i..i + c.len_utf8());
        }
        NormText { text, src }
    }

    /// Source byte ranges of every occurrence (overlapping ones included) of `needle`,
    /// which must itself be normalized. An empty needle has no located occurrence.
    pub fn find_all(&self, needle: &str) -> Vec<(usize, usize)> {
        let mut found = Vec::new();
        if needle.is_empty() {
            return found;
        }
        let mut from = 0;
        while let Some(rel) = self.text.get(from..).and_then(|t| t.find(needle)) {
            let a = from + rel;
            let b = a + needle.len();
            // A normalized needle starts and ends with a non-space character, copied
            // verbatim: its last byte maps to the last byte of that character.
            found.push((self.src[a], self.src[b - 1] + 1));
            let step = self.text[a..].chars().next().map_or(1, char::len_utf8);
            from = a + step;
        }
        found
    }
}

/// True-/false-positive counts, summed over documents (micro-average).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub tp: u64,
    pub fp: u64,
    #[serde(rename = "fn")]
    pub fn_: u64,
    pub tn: u64,
}

fn div(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

impl Counts {
    pub fn add(&mut self, o: &Counts) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
        self.tn += o.tn;
    }
    pub fn precision(&self) -> f64 {
        div(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> f64 {
        div(self.tp, self.tp + self.fn_)
    }
    pub fn accuracy(&self) -> f64 {
        div(self.tp + self.tn, self.tp + self.fp + self.fn_ + self.tn)
    }
    pub fn f1(&self) -> f64 {
        div(2 * self.tp, 2 * self.tp + self.fp + self.fn_)
    }
}

/// Counts with the scores derived from them, as reported (flat fields in JSON).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Scores {
    #[serde(flatten)]
    pub counts: Counts,
    pub precision: f64,
    pub recall: f64,
    pub accuracy: f64,
    pub f1: f64,
}

impl From<Counts> for Scores {
    fn from(counts: Counts) -> Scores {
        Scores {
            counts,
            precision: counts.precision(),
            recall: counts.recall(),
            accuracy: counts.accuracy(),
            f1: counts.f1(),
        }
    }
}

/// The score of one gold document against one output text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocScore {
    pub counts: Counts,
    /// Indices of `with` snippets not found (fn).
    pub missed_with: Vec<usize>,
    /// Indices of `without` snippets found (fp).
    pub leaked_without: Vec<usize>,
}

/// Score one document; `output` is `None` when the document is not in the output
/// (then every `with` is fn and every `without` tn, as for a crash in trafilatura's
/// benchmark).
pub fn score_doc(gold: &GoldDoc, output: Option<&str>) -> DocScore {
    let Some(out) = output else {
        return DocScore {
            counts: Counts {
                fn_: gold.with.len() as u64,
                tn: gold.without.len() as u64,
                ..Counts::default()
            },
            missed_with: (0..gold.with.len()).collect(),
            leaked_without: Vec::new(),
        };
    };
    let t = norm_ws(out);
    let found = |s: &String| t.contains(norm_ws(s).as_str());
    let missed_with: Vec<usize> = (0..gold.with.len())
        .filter(|&i| !found(&gold.with[i]))
        .collect();
    let leaked_without: Vec<usize> = (0..gold.without.len())
        .filter(|&i| found(&gold.without[i]))
        .collect();
    let counts = Counts {
        tp: (gold.with.len() - missed_with.len()) as u64,
        fn_: missed_with.len() as u64,
        fp: leaked_without.len() as u64,
        tn: (gold.without.len() - leaked_without.len()) as u64,
    };
    DocScore {
        counts,
        missed_with,
        leaked_without,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_is_pythons_unicode_whitespace() {
        assert_eq!(
            norm_ws("  a\u{1c}\u{1f}b\u{a0}\u{3000}c\r\n\u{85}d \u{2029}"),
            "a b c d"
        );
        // Not whitespace for Python's \s: zero-width space, word joiner, BOM.
        assert_eq!(
            norm_ws("a\u{200b}b\u{2060}c\u{feff}"),
            "a\u{200b}b\u{2060}c\u{feff}"
        );
        for c in [
            '\u{1c}', '\u{1d}', '\u{1e}', '\u{1f}', '\u{85}', '\u{2007}', '\u{202f}',
        ] {
            assert!(is_py_space(c), "{c:?}");
        }
        assert!(!is_py_space('\u{180e}') && !is_py_space('\u{200b}'));
    }

    #[test]
    fn occurrences_map_back_to_source_ranges() {
        let src = "x  Foo\n\tbar Foo bar";
        let n = NormText::new(src);
        assert_eq!(n.text, "x Foo bar Foo bar");
        let occ = n.find_all("Foo bar");
        assert_eq!(occ, vec![(3, 11), (12, 19)]);
        assert_eq!(&src[occ[0].0..occ[0].1], "Foo\n\tbar");
        // Overlapping occurrences are all found.
        assert_eq!(NormText::new("aaa").find_all("aa"), vec![(0, 2), (1, 3)]);
        assert!(n.find_all("").is_empty());
    }

    #[test]
    fn scores_like_the_reference_scorer() {
        let g = GoldDoc::of(&["keep  me", "gone", ""], &["debris", "absent"]);
        let s = score_doc(&g, Some("keep\u{a0}me\ndebris"));
        assert_eq!(
            s.counts,
            Counts {
                tp: 2,
                fp: 1,
                fn_: 1,
                tn: 1
            }
        );
        assert_eq!((s.missed_with, s.leaked_without), (vec![1], vec![0]));
        let missing = score_doc(&g, None);
        assert_eq!(
            missing.counts,
            Counts {
                tp: 0,
                fp: 0,
                fn_: 3,
                tn: 2
            }
        );
    }

    #[test]
    fn metrics_are_zero_on_empty_denominators() {
        let c = Counts::default();
        assert_eq!(
            (c.precision(), c.recall(), c.accuracy(), c.f1()),
            (0.0, 0.0, 0.0, 0.0)
        );
        let c = Counts {
            tp: 3,
            fp: 1,
            fn_: 2,
            tn: 4,
        };
        assert_eq!(c.precision(), 0.75);
        assert_eq!(c.recall(), 0.6);
        assert_eq!(c.accuracy(), 0.7);
        assert!((c.f1() - 6.0 / 9.0).abs() < 1e-12);
    }
}
