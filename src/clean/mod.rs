//! The clean stage: rules decide which spans of a document are scraping debris.
//!
//! Rules only *record* removals (byte ranges of the normalized text, with the rule id);
//! the writer applies them. This makes `--explain`, `--annotate-only` and `rinse eval`
//! work from the same decisions.
use crate::document::{apply_removals, Document, Rejection, Removal};
use crate::error::{Error, Result};
use crate::stage::{Stage, StageStats};
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Instant;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CleanConfig {
    /// Run the clean stage at all.
    pub enabled: bool,
    /// A document left with fewer words than this after cleaning is rejected (`too-short`).
    pub min_words: usize,
    /// Rule ids to switch off (used by `rinse eval --ablate`, and by users).
    pub disable: Vec<String>,
    /// The rules, in the order they run.
    pub rules: Vec<RuleConfig>,
}

impl Default for CleanConfig {
    fn default() -> Self {
        CleanConfig {
            enabled: true,
            min_words: 1,
            disable: Vec::new(),
            rules: Vec::new(),
        }
    }
}

/// One rule as written in the config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    pub id: String,
    pub category: String,
    #[serde(default)]
    pub description: String,
    /// Regex matched against a whole (trimmed) line.
    #[serde(default)]
    pub pattern: Option<String>,
}

/// Public description of a compiled rule (for `rinse rules`, reports and eval).
#[derive(Clone, Debug, Serialize)]
pub struct RuleInfo {
    pub id: Arc<str>,
    pub category: Arc<str>,
    pub languages: Vec<String>,
    pub description: String,
}

struct Rule {
    info: RuleInfo,
    pattern: Regex,
}

/// The rules of a config, compiled once before any input is read.
pub struct Cleaner {
    rules: Vec<Rule>,
    min_words: usize,
}

/// What the cleaner decided for one text.
#[derive(Debug, Default)]
pub struct Decision {
    pub lang: Option<&'static str>,
    pub removals: Vec<Removal>,
}

impl Cleaner {
    pub fn new(cfg: &CleanConfig) -> Result<Cleaner> {
        let mut rules = Vec::new();
        for rc in cfg.rules.iter().filter(|r| !cfg.disable.contains(&r.id)) {
            let Some(p) = &rc.pattern else {
                return Err(Error::Rule {
                    id: rc.id.clone(),
                    message: "needs a `pattern`".into(),
                });
            };
            let pattern = Regex::new(p).map_err(|e| Error::Rule {
                id: rc.id.clone(),
                message: format!("bad regex: {e}"),
            })?;
            rules.push(Rule {
                info: RuleInfo {
                    id: rc.id.as_str().into(),
                    category: rc.category.as_str().into(),
                    languages: Vec::new(),
                    description: rc.description.clone(),
                },
                pattern,
            });
        }
        Ok(Cleaner {
            rules,
            min_words: cfg.min_words,
        })
    }

    pub fn rules(&self) -> Vec<RuleInfo> {
        self.rules.iter().map(|r| r.info.clone()).collect()
    }

    /// Decide the removals for `text` (already normalized), counting per rule into `stats`.
    pub fn decide(&self, text: &str, stats: &mut StageStats) -> Decision {
        let mut decision = Decision::default();
        for rule in &self.rules {
            let t0 = Instant::now();
            let before = decision.removals.len();
            let mut offset = 0;
            for line in text.split_inclusive('\n') {
                let body = line.trim_end_matches('\n');
                if rule.pattern.is_match(body.trim()) {
                    decision.removals.push(Removal {
                        start: offset,
                        end: offset + line.len(),
                        rule: rule.info.id.clone(),
                        category: rule.info.category.clone(),
                        dup_of: None,
                    });
                }
                offset += line.len();
            }
            let c = stats.item(&rule.info.id);
            c.nanos += t0.elapsed().as_nanos() as u64;
            let added = &decision.removals[before..];
            if !added.is_empty() {
                c.docs += 1;
                c.spans += added.len() as u64;
                c.bytes += added.iter().map(|r| (r.end - r.start) as u64).sum::<u64>();
            }
        }
        decision
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
        let words = apply_removals(&doc.text, &doc.removals)
            .split_whitespace()
            .count();
        if words < self.cleaner.min_words {
            let min = self.cleaner.min_words;
            return Err(Rejection::of(doc, "too-short", "clean")
                .detail(format!("{words} words left after cleaning, minimum {min}")));
        }
        Ok(doc)
    }
}
