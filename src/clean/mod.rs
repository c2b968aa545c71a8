//! The clean stage: rules decide which spans of a document are scraping debris.
//!
//! Rules only *record* removals (byte ranges of the normalized text, with the rule id);
//! the writer applies them. This makes `--explain`, `--annotate-only` and `rinse eval`
//! work from the same decisions.
//!
//! - [`rules`]: rule configs and their compiled matchers (line, span, section rules),
//!   with `line_key` (the phrase look-up key) and `line_dfa` (all line patterns at once);
//! - [`heuristic`]: line scoring with context for what no rule names;
//! - [`lang`]: per-document language detection by stop-word vote;
//! - [`line_model`]: the fitted model that decides the lines no rule removed;
//! - `engine`: one pass over the lines of a text that puts them together;
//! - `timing`: per-rule time of the rules matched in shared passes, from a sample.
mod contains;
mod engine;
pub use engine::ModelRow;
mod gate;
pub mod heuristic;
pub mod lang;
mod line_dfa;
mod line_key;
pub mod line_model;
pub mod rules;
mod timing;

use crate::document::{kept_pieces, Document, Rejection, Removal};
use crate::error::{Error, Result};
use crate::stage::{Stage, StageStats};
use heuristic::{HeuristicConfig, HEURISTIC_RULES};
pub use rules::{RuleConfig, RuleKind};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The `[clean]` section of the config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CleanConfig {
    /// Run the clean stage at all.
    pub enabled: bool,
    /// A document left with fewer words than this after cleaning is rejected (`too-short`).
    pub min_words: usize,
    /// A document left with fewer words than this after cleaning *and* with less than
    /// `residue_share` of its words is a residue: rejected as `too-short` too.
    pub residue_words: usize,
    /// See `residue_words`.
    pub residue_share: f64,
    /// Built-in rule sets to start from (`"default"`); `[]` for none.
    pub rule_sets: Vec<String>,
    /// Rule ids to switch off (used by `rinse eval --ablate`, and by users).
    pub disable: Vec<String>,
    /// Heuristic line scoring with context.
    pub heuristic: HeuristicConfig,
    /// Extra rules, run after those of the rule sets, in this order.
    pub rules: Vec<RuleConfig>,
}

impl Default for CleanConfig {
    fn default() -> Self {
        CleanConfig {
            enabled: true,
            min_words: 1,
            residue_words: 10,
            residue_share: 0.05,
            rule_sets: vec!["default".to_string()],
            disable: Vec::new(),
            heuristic: HeuristicConfig::default(),
            rules: Vec::new(),
        }
    }
}

/// Public description of a compiled rule (for `rinse rules`, reports and eval).
#[derive(Clone, Debug, Serialize)]
pub struct RuleInfo {
    pub id: Arc<str>,
    pub category: Arc<str>,
    pub languages: Vec<String>,
    pub description: String,
}

/// What the cleaner decided for one text.
#[derive(Debug, Default)]
pub struct Decision {
    pub lang: Option<&'static str>,
    pub removals: Vec<Removal>,
}

/// The rules of a config, compiled once before any input is read.
pub struct Cleaner {
    /// Distinguishes cleaners in per-thread timing state.
    id: u64,
    book: rules::RuleBook,
    /// Per configured rule: not disabled.
    active: Vec<bool>,
    /// Heuristic rules (ids, categories) and whether each is enabled.
    heuristic: Vec<(heuristic::Why, RuleInfo, bool)>,
    hcfg: HeuristicConfig,
    /// The line model, or `None` for the hand-weighted window (`model = "window"`).
    model: Option<line_model::LineModel>,
    min_words: usize,
    residue_words: usize,
    residue_share: f64,
    /// Estimate each rule's time ([`timing`]); off, only the three passes are timed.
    rule_timing: bool,
}

impl Cleaner {
    pub fn new(cfg: &CleanConfig) -> Result<Cleaner> {
        let mut all = Vec::new();
        for name in &cfg.rule_sets {
            all.extend(rules::rule_set(name)?);
        }
        all.extend(cfg.rules.iter().cloned());
        let book = rules::RuleBook::compile(&all)?;
        let heuristic: Vec<_> = HEURISTIC_RULES
            .iter()
            .map(|(why, id, description)| {
                let info = RuleInfo {
                    id: Arc::from(*id),
                    category: Arc::from("heuristic"),
                    languages: Vec::new(),
                    description: description.to_string(),
                };
                let on = cfg.heuristic.enabled && !cfg.disable.iter().any(|d| d == id);
                (*why, info, on)
            })
            .collect();
        for d in &cfg.disable {
            let known =
                all.iter().any(|r| &r.id == d) || heuristic.iter().any(|(_, i, _)| &*i.id == d);
            if !known {
                return Err(Error::Rule {
                    id: d.clone(),
                    message: "listed in `disable` but no such rule".into(),
                });
            }
        }
        // Rule ids name removals and their counts: none may be a heuristic rule's id.
        if let Some(r) = all
            .iter()
            .find(|r| heuristic.iter().any(|(_, i, _)| *i.id == r.id))
        {
            return Err(Error::Rule {
                id: r.id.clone(),
                message: "a configured rule uses a heuristic rule id".into(),
            });
        }
        let active = all.iter().map(|r| !cfg.disable.contains(&r.id)).collect();
        let model = match cfg.heuristic.model.as_str() {
            "builtin" => Some(line_model::LineModel::builtin().clone()),
            "window" => None,
            "" => {
                return Err(Error::Config {
                    origin: "[clean.heuristic] model".into(),
                    message: "empty: use \"builtin\", \"window\" or a model file's path".into(),
                })
            }
            path => Some(line_model::LineModel::load(std::path::Path::new(path))?),
        };
        Ok(Cleaner {
            id: timing::next_cleaner_id(),
            book,
            active,
            heuristic,
            hcfg: cfg.heuristic.clone(),
            model,
            min_words: cfg.min_words,
            residue_words: cfg.residue_words,
            residue_share: cfg.residue_share,
            rule_timing: false,
        })
    }

    /// Estimate the time of each rule (`rinse eval`, `rinse run --explain-timing`): every
    /// 512th line is matched again rule by rule, a few percent of the clean stage's time.
    /// Off (the default), rules count documents, spans and bytes, and only the passes
    /// (`pass-line-rules`, `pass-span-rules`, `pass-heuristic`) are timed.
    pub fn with_rule_timing(mut self, on: bool) -> Cleaner {
        self.rule_timing = on;
        self
    }

    /// The effective rules in order: configured rules, then the heuristic's.
    pub fn rules(&self) -> Vec<RuleInfo> {
        let configured = self
            .book
            .rules
            .iter()
            .zip(&self.active)
            .filter(|(_, on)| **on)
            .map(|(r, _)| r.info.clone());
        let heuristic = self
            .heuristic
            .iter()
            .filter(|(_, _, on)| *on)
            .map(|(_, i, _)| i.clone());
        configured.chain(heuristic).collect()
    }

    /// The heuristic class of a line a rule removed: `Aside` for inline categories.
    fn rule_class(&self, rule: usize) -> heuristic::Class {
        let cat = &*self.book.rules[rule].info.category;
        if self.hcfg.inline_categories.iter().any(|c| c == cat) {
            heuristic::Class::Aside
        } else {
            heuristic::Class::Bad(heuristic::Why::Rule)
        }
    }

    /// Decide the removals for `text` (already normalized), counting per rule into `stats`.
    pub fn decide(&self, text: &str, stats: &mut StageStats) -> Decision {
        engine::decide(self, text, stats)
    }

    /// The lines of `text` (already normalized) the line model would decide, with their
    /// features: the training rows of `rinse train`.
    pub fn model_rows(&self, text: &str) -> Vec<engine::ModelRow> {
        engine::model_rows(self, text)
    }
}

/// The clean stage: records the cleaner's removals on the document and rejects documents
/// left with fewer than `min_words` words.
pub struct Clean {
    cleaner: Cleaner,
}

impl Clean {
    pub fn new(cleaner: Cleaner) -> Self {
        Clean { cleaner }
    }
}

impl Stage for Clean {
    fn name(&self) -> &'static str {
        "clean"
    }

    fn process(&self, mut doc: Document, stats: &mut StageStats) -> Result<Document, Rejection> {
        let decision = self.cleaner.decide(&doc.text, stats);
        doc.lang = decision.lang;
        if !decision.removals.is_empty() {
            stats.changed += 1;
            doc.removals.extend(decision.removals);
        }
        // The cleaned text's length and its words (only whether `min_words` and
        // `residue_words` are reached matters, and the exact count below), without
        // building it.
        let (mut len, mut words, mut in_word) = (0usize, 0usize, false);
        let min = self.cleaner.min_words;
        let enough = if min == 0 {
            0
        } else {
            min.max(self.cleaner.residue_words)
        };
        kept_pieces(&doc.text, &doc.removals, |piece| {
            len += piece.len();
            for c in piece.chars() {
                if words >= enough {
                    break;
                }
                let ws = c.is_whitespace();
                words += usize::from(!ws && !in_word);
                in_word = !ws;
            }
        });
        stats.bytes_removed += doc.text.len().saturating_sub(len) as u64;
        if words < min {
            let detail = too_short_detail(words, min, &doc.removals);
            return Err(Rejection::of(doc, "too-short", "clean").detail(detail));
        }
        // A residue: a few words left of a long text (min_words = 0 turns this off too).
        if words < enough && !doc.removals.is_empty() {
            let total = doc.text.split_whitespace().count();
            if (words as f64) < self.cleaner.residue_share * total as f64 {
                let detail = format!(
                    "residue: {}",
                    too_short_detail(words, self.cleaner.residue_words, &doc.removals).replacen(
                        "minimum",
                        &format!(
                            "less than {} % of {total}, minimum",
                            self.cleaner.residue_share * 100.0
                        ),
                        1
                    )
                );
                return Err(Rejection::of(doc, "too-short", "clean").detail(detail));
            }
        }
        Ok(doc)
    }
}

/// The detail of a `too-short` rejection: the words left and the rules that removed the
/// rest, most bytes first (`3 words left after cleaning, minimum 5; removed by
/// cookie-notice 812 B, byline 20 B`).
fn too_short_detail(words: usize, min: usize, removals: &[Removal]) -> String {
    let mut detail = format!("{words} words left after cleaning, minimum {min}");
    let mut by_rule: Vec<(&str, usize)> = Vec::new();
    for r in removals {
        match by_rule.iter_mut().find(|(id, _)| *id == &*r.rule) {
            Some((_, n)) => *n += r.end - r.start,
            None => by_rule.push((&r.rule, r.end - r.start)),
        }
    }
    if by_rule.is_empty() {
        detail += "; no rule removed anything (the text is that short)";
    } else {
        by_rule.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let list: Vec<String> = by_rule
            .iter()
            .map(|(id, n)| format!("{id} {n} B"))
            .collect();
        detail += &format!("; removed by {}", list.join(", "));
    }
    detail
}

#[cfg(test)]
mod tests;
