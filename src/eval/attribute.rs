//! Attribution: why a gold snippet is missing from the output — which rule's removals cut
//! into it, or whether the document was rejected, or the snippet was never in the input —
//! and the context view of a rule's removals.
//!
//! A snippet is located in the normalized text (the text removals index into) by
//! whitespace-normalized matching, mapped back to byte ranges ([`NormText`]). A removal
//! damages an occurrence when it removes a non-space character of it, or a whole
//! whitespace run inside it (which joins two words).
use super::gold::GoldDoc;
use super::score::{is_py_space, norm_ws, score_doc, DocScore, NormText};
use crate::document::Removal;
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::Arc;

/// What became of one gold document in a run.
#[derive(Clone, Debug, Default)]
pub struct DocRun {
    /// The text as read (before normalization), when known.
    pub original: Option<String>,
    /// The normalized text that removals index into, when the document got that far.
    pub normalized: Option<String>,
    /// Removals recorded on the normalized text.
    pub removals: Vec<Removal>,
    /// The kept text (`None` when the document was not kept).
    pub output: Option<String>,
    /// Why the document was not kept (`None` when kept).
    pub rejected: Option<String>,
}

/// Why a snippet is absent from the output.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "cause", content = "detail", rename_all = "kebab-case")]
pub enum Cause {
    /// The document is not in DOCS.
    MissingDoc,
    /// The snippet does not occur in the document's text as read.
    NotInInput,
    /// It occurs in the text as read but not after normalization.
    Normalize,
    /// Removals of these rules cut into every occurrence.
    Rules(Vec<Arc<str>>),
    /// The document was rejected for this reason (and no removal explains the loss).
    Rejected(String),
    /// Present in the normalized text, untouched by removals, yet missing.
    Unexplained,
}

impl Cause {
    /// A short label for tables and the per-document file.
    pub fn label(&self) -> String {
        match self {
            Cause::MissingDoc => "missing-doc".into(),
            Cause::NotInInput => "not-in-input".into(),
            Cause::Normalize => "normalize".into(),
            Cause::Rules(r) => r.iter().map(|s| &**s).collect::<Vec<_>>().join("+"),
            Cause::Rejected(reason) => format!("rejected:{reason}"),
            Cause::Unexplained => "unexplained".into(),
        }
    }

    /// Whether the snippet was taken out of the document by rinse (not absent to begin with).
    pub fn is_removal(&self) -> bool {
        !matches!(self, Cause::MissingDoc | Cause::NotInInput)
    }
}

/// The evaluation of one gold document.
#[derive(Clone, Debug)]
pub struct DocEval {
    pub score: DocScore,
    /// Cause of each missed `with` snippet, in the order of `score.missed_with`.
    pub missed_causes: Vec<Cause>,
    /// `without` snippets absent from the output, with their cause.
    pub removed_without: Vec<(usize, Cause)>,
}

/// Score one document and explain every absent snippet.
pub fn evaluate_doc(gold: &GoldDoc, run: Option<&DocRun>) -> DocEval {
    let output = run.and_then(|r| r.output.as_deref());
    let score = score_doc(gold, output);
    let locator = run.map(Locator::new);
    let cause_of = |s: &str| match &locator {
        None => Cause::MissingDoc,
        Some(l) => l.cause(s),
    };
    let missed_causes = score
        .missed_with
        .iter()
        .map(|&i| cause_of(&gold.with[i]))
        .collect();
    let removed_without = (0..gold.without.len())
        .filter(|i| !score.leaked_without.contains(i))
        .map(|i| (i, cause_of(&gold.without[i])))
        .collect();
    DocEval {
        score,
        missed_causes,
        removed_without,
    }
}

/// Finds snippets in one document's normalized text.
struct Locator<'a> {
    run: &'a DocRun,
    normalized: Option<NormText>,
    original: Option<String>,
}

impl<'a> Locator<'a> {
    fn new(run: &'a DocRun) -> Self {
        Locator {
            run,
            normalized: run.normalized.as_deref().map(NormText::new),
            original: run.original.as_deref().map(norm_ws),
        }
    }

    fn cause(&self, snippet: &str) -> Cause {
        let rejected = || match &self.run.rejected {
            Some(reason) => Cause::Rejected(reason.clone()),
            None => Cause::Unexplained,
        };
        let needle = norm_ws(snippet);
        let (Some(norm), Some(text)) = (&self.normalized, self.run.normalized.as_deref()) else {
            // Rejected before normalization (unparseable, no text, empty).
            return rejected();
        };
        if needle.is_empty() {
            return rejected();
        }
        let occurrences = norm.find_all(&needle);
        if occurrences.is_empty() {
            return match &self.original {
                Some(orig) if orig.contains(needle.as_str()) => Cause::Normalize,
                _ => Cause::NotInInput,
            };
        }
        let rules: BTreeSet<Arc<str>> = occurrences
            .iter()
            .flat_map(|&occ| {
                self.run
                    .removals
                    .iter()
                    .filter(move |r| damages(text, occ, r))
                    .map(|r| r.rule.clone())
            })
            .collect();
        if rules.is_empty() {
            rejected()
        } else {
            Cause::Rules(rules.into_iter().collect())
        }
    }
}

/// Whether removal `r` damages the occurrence `occ` (a byte range of `text` that starts
/// and ends with a non-space character).
pub fn damages(text: &str, occ: (usize, usize), r: &Removal) -> bool {
    let (x, y) = (occ.0.max(r.start), occ.1.min(r.end));
    if x >= y {
        return false;
    }
    let Some(cut) = text.get(x..y) else {
        return true;
    };
    if cut.chars().any(|c| !is_py_space(c)) {
        return true;
    }
    // Only whitespace inside the occurrence: harmless unless the whole run goes.
    let before = text[..x]
        .chars()
        .next_back()
        .is_none_or(|c| !is_py_space(c));
    let after = text[y..].chars().next().is_none_or(|c| !is_py_space(c));
    before && after
}

/// A `with` snippet that a rule damaged, shown in context.
#[derive(Clone, Debug, Serialize)]
pub struct BadRemoval {
    pub doc: String,
    pub snippet: String,
    /// For each damaged occurrence: lines of the normalized text around it, numbered;
    /// `[-…-]` marks what the rule removed, and lines it touched start with `-`.
    pub contexts: Vec<Vec<String>>,
}

/// The `with` snippets of `gold` that rule `rule` damaged in `run`, each in context with
/// `around` lines before and after.
pub fn bad_removals(
    gold: &GoldDoc,
    run: &DocRun,
    eval: &DocEval,
    rule: &str,
    around: usize,
) -> Vec<BadRemoval> {
    let Some(text) = run.normalized.as_deref() else {
        return Vec::new();
    };
    let norm = NormText::new(text);
    let mine: Vec<&Removal> = run.removals.iter().filter(|r| &*r.rule == rule).collect();
    let mut out = Vec::new();
    for (&i, cause) in eval.score.missed_with.iter().zip(&eval.missed_causes) {
        let Cause::Rules(rules) = cause else { continue };
        if !rules.iter().any(|r| &**r == rule) {
            continue;
        }
        let snippet = &gold.with[i];
        let mut contexts = Vec::new();
        for occ in norm.find_all(&norm_ws(snippet)) {
            let marks: Vec<(usize, usize)> = mine
                .iter()
                .filter(|r| damages(text, occ, r))
                .map(|r| (r.start.min(text.len()), r.end.min(text.len())))
                .collect();
            if marks.is_empty() {
                continue;
            }
            let lo = marks.iter().map(|m| m.0).fold(occ.0, usize::min);
            let hi = marks.iter().map(|m| m.1).fold(occ.1, usize::max);
            contexts.push(context(text, (lo, hi), &marks, around));
        }
        out.push(BadRemoval {
            doc: gold.id.clone(),
            snippet: snippet.clone(),
            contexts,
        });
    }
    out
}

/// The lines of `text` from `around` lines before `focus` to `around` lines after it,
/// numbered, with the `marks` spans wrapped in `[-` `-]`.
pub fn context(
    text: &str,
    focus: (usize, usize),
    marks: &[(usize, usize)],
    around: usize,
) -> Vec<String> {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_of = |pos: usize| starts.partition_point(|&s| s <= pos).saturating_sub(1);
    let first = line_of(focus.0).saturating_sub(around);
    let last = (line_of(focus.1.saturating_sub(1).max(focus.0)) + around).min(starts.len() - 1);
    let mut lines = Vec::new();
    for (n, &start) in starts.iter().enumerate().take(last + 1).skip(first) {
        let end = starts.get(n + 1).map_or(text.len(), |&s| s - 1);
        let mut shown = String::new();
        let mut pos = start;
        let mut touched = false;
        let mut spans: Vec<(usize, usize)> = marks
            .iter()
            .map(|&(s, e)| (s.max(start), e.min(end)))
            .filter(|(s, e)| s < e)
            .collect();
        spans.sort_unstable();
        for (s, e) in spans {
            let s = s.max(pos);
            if e < s || text.get(pos..s).is_none() || text.get(s..e).is_none() {
                continue;
            }
            touched = true;
            shown.push_str(&text[pos..s]);
            shown.push_str("[-");
            shown.push_str(&text[s..e]);
            shown.push_str("-]");
            pos = e;
        }
        shown.push_str(text.get(pos..end).unwrap_or(""));
        let gutter = if touched { '-' } else { ' ' };
        lines.push(format!("{gutter}{:>6} | {shown}", n + 1));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rm(text: &str, part: &str, rule: &str) -> Removal {
        let start = text.find(part).unwrap();
        Removal {
            start,
            end: start + part.len(),
            rule: rule.into(),
            category: "c".into(),
            dup_of: None,
        }
    }

    #[test]
    fn removals_are_attributed_to_the_rules_that_cut_the_snippet() {
        let text = "Title\nFoto: dpa\nBody one.\nBody two.\nShare this";
        let removals = vec![
            rm(text, "Foto: dpa\n", "credit"),
            rm(text, "Body two.\n", "short"),
        ];
        let run = DocRun {
            original: Some(text.replace('\n', "\r\n")),
            normalized: Some(text.into()),
            output: Some(crate::document::apply_removals(text, &removals)),
            removals,
            rejected: None,
        };
        let g = GoldDoc::of(
            &["Body one. Body two.", "Title", "Soft\u{ad}hyphen"],
            &["Foto: dpa", "Share this", "never there"],
        );
        let e = evaluate_doc(&g, Some(&run));
        assert_eq!(e.score.missed_with, vec![0, 2]);
        assert_eq!(
            e.missed_causes,
            vec![Cause::Rules(vec!["short".into()]), Cause::NotInInput]
        );
        assert_eq!(
            e.removed_without,
            vec![
                (0, Cause::Rules(vec!["credit".into()])),
                (2, Cause::NotInInput)
            ]
        );
        let bad = bad_removals(&g, &run, &e, "short", 1);
        assert_eq!(bad.len(), 1);
        let lines = [
            "      2 | Foto: dpa",
            "      3 | Body one.",
            "-     4 | [-Body two.-]",
            "      5 | Share this",
        ];
        assert_eq!(bad[0].contexts, vec![lines.to_vec()]);
        assert!(bad_removals(&g, &run, &e, "credit", 1).is_empty());
    }

    #[test]
    fn whitespace_only_cuts_damage_only_when_they_join_words() {
        let text = "ab \n cd";
        let occ = (0, text.len());
        let cut = |s, e| Removal {
            start: s,
            end: e,
            rule: "r".into(),
            category: "c".into(),
            dup_of: None,
        };
        assert!(!damages(text, occ, &cut(3, 4)));
        assert!(damages(text, occ, &cut(2, 5)));
        assert!(damages(text, occ, &cut(1, 3)));
        assert!(!damages(text, occ, &cut(7, 9)));
    }

    #[test]
    fn rejected_documents_blame_the_rejection_unless_a_rule_cut_the_snippet() {
        let text = "Hello there\nnav";
        let run = DocRun {
            original: Some(text.into()),
            normalized: Some(text.into()),
            removals: vec![rm(text, "nav", "nav")],
            output: None,
            rejected: Some("too-short".into()),
        };
        let e = evaluate_doc(&GoldDoc::of(&["Hello"], &["nav"]), Some(&run));
        assert_eq!(e.missed_causes, vec![Cause::Rejected("too-short".into())]);
        assert_eq!(
            e.removed_without,
            vec![(0, Cause::Rules(vec!["nav".into()]))]
        );
        // A snippet that only matches the text before normalization.
        let run = DocRun {
            original: Some("Cafe\u{301} au lait".into()),
            normalized: Some("Caf\u{e9} au lait".into()),
            output: Some("Caf\u{e9} au lait".into()),
            ..DocRun::default()
        };
        let e = evaluate_doc(&GoldDoc::of(&["Cafe\u{301} au"], &[]), Some(&run));
        assert_eq!(e.missed_causes, vec![Cause::Normalize]);
        let missing = evaluate_doc(&GoldDoc::of(&["Hello"], &["nav"]), None);
        assert_eq!(missing.missed_causes, vec![Cause::MissingDoc]);
        assert!(!Cause::MissingDoc.is_removal() && Cause::Normalize.is_removal());
    }
}
