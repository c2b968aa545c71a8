//! Rule definitions as written in TOML ([`RuleConfig`]) and their compiled form
//! ([`RuleBook`]): whole-line phrase sets, per-rule line regexes (tried only where the
//! rule could apply and still win), anchored phrase sets (split by word limit) for the
//! `contains` phrases and the floating patterns' literals (module `contains`), span
//! regexes and section markers.
//!
//! A line is matched once against every line-level rule family; the earliest rule in
//! config order that applies to the document's language wins, so the order of rules in
//! the config is the order of precedence.
use crate::error::{Error, Result};
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Instant;

use super::contains::Tiered;
use super::lang::FastMap;
use super::line_dfa::{Caches, LineDfa};
pub use super::line_key::{line_key, line_key_of_lower, line_key_within};
use super::RuleInfo;

/// What a rule does with what it matches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleKind {
    /// Remove every line the rule matches.
    #[default]
    Line,
    /// Remove each `pattern` match inside a line (the rest of the line stays).
    Span,
    /// A matching line and everything after it is removed (comment forms, footers).
    SectionToEnd,
    /// Everything before a matching line, and the line, is removed.
    SectionFromStart,
}

/// One rule as written in the config. Unknown keys are an error that names the rule.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "toml::Table")]
pub struct RuleConfig {
    /// Stable kebab-case id, used in `disable`, reports and explanations.
    pub id: String,
    /// What kind of debris (caption, credit, navigation, cookie, ...).
    pub category: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// `line` (default), `span`, `section-to-end` or `section-from-start`.
    #[serde(default, skip_serializing_if = "is_default_kind")]
    pub kind: RuleKind,
    /// ISO 639-1 codes the rule applies to; empty means every language (and unknown).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<String>,
    /// Regex. Line and section rules: it must match the whole trimmed line (it is
    /// anchored for you). Span rules: every match inside a line is removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Whole-line phrases, compared case-insensitively after trimming list bullets,
    /// surrounding punctuation and whitespace runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phrases: Vec<String>,
    /// Phrases the line only has to contain (case-insensitive). Use with `max_words`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contains: Vec<String>,
    /// The line must have at most this many words for the rule to match it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_words: Option<usize>,
}

fn is_default_kind(k: &RuleKind) -> bool {
    *k == RuleKind::Line
}

/// The same fields, strictly checked; `RuleConfig` wraps its errors with the rule id.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StrictRule {
    id: String,
    category: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    kind: RuleKind,
    #[serde(default)]
    languages: Vec<String>,
    #[serde(default)]
    pattern: Option<String>,
    #[serde(default)]
    phrases: Vec<String>,
    #[serde(default)]
    contains: Vec<String>,
    #[serde(default)]
    max_words: Option<usize>,
}

impl TryFrom<toml::Table> for RuleConfig {
    type Error = String;

    fn try_from(table: toml::Table) -> std::result::Result<Self, String> {
        let id = table
            .get("id")
            .and_then(|v| v.as_str())
            .unwrap_or("<rule without id>")
            .to_string();
        let r: StrictRule = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| format!("rule '{id}': {}", e.message().trim()))?;
        Ok(RuleConfig {
            id: r.id,
            category: r.category,
            description: r.description,
            kind: r.kind,
            languages: r.languages,
            pattern: r.pattern,
            phrases: r.phrases,
            contains: r.contains,
            max_words: r.max_words,
        })
    }
}

/// A named, embedded set of rules (`rule_sets = ["default"]`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rules: Vec<RuleConfig>,
}

/// One embedded rule file: its name (for errors) and its text.
macro_rules! rule_file {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!("../../configs/rules/default/", $name, ".toml")),
        )
    };
}

/// The files of the built-in rule set "default", one per rule family, in the order
/// their rules run.
const DEFAULT_SET: &[(&str, &str)] = &[
    rule_file!("01-sections"),
    rule_file!("02-captions"),
    rule_file!("03-dates-bylines"),
    rule_file!("04-navigation"),
    rule_file!("05-footer"),
    rule_file!("06-widgets"),
    rule_file!("07-forms-newsletter-cookies"),
    rule_file!("08-spans-small-debris"),
    rule_file!("09-inline-debris"),
];

/// The rule sets built into the binary, by name, each with its files in order.
pub const RULE_SETS: &[(&str, &[(&str, &str)])] = &[("default", DEFAULT_SET)];

/// The rules of a built-in rule set.
pub fn rule_set(name: &str) -> Result<Vec<RuleConfig>> {
    let Some((_, files)) = RULE_SETS.iter().find(|(n, _)| *n == name) else {
        let known: Vec<&str> = RULE_SETS.iter().map(|(n, _)| *n).collect();
        return Err(Error::Config {
            origin: "[clean] rule_sets".into(),
            message: format!("unknown rule set '{name}' (known: {})", known.join(", ")),
        });
    };
    let mut rules = Vec::new();
    for (file, text) in files.iter() {
        let parsed: RuleFile = toml::from_str(text).map_err(|e| Error::Config {
            origin: format!("rule set '{name}', file {file}.toml"),
            message: e.message().trim().to_string(),
        })?;
        rules.extend(parsed.rules);
    }
    Ok(rules)
}

/// The language scope of a compiled rule.
#[derive(Clone, Debug)]
pub struct Scope(Vec<String>);

impl Scope {
    pub fn applies(&self, lang: Option<&str>) -> bool {
        self.0.is_empty() || lang.is_some_and(|l| self.0.iter().any(|x| x == l))
    }
}

/// A compiled rule: its public info, kind, scope and word limit.
pub struct Compiled {
    pub info: RuleInfo,
    pub kind: RuleKind,
    pub scope: Scope,
    pub max_words: usize,
}

/// A span rule's regex, with the index of its rule.
pub struct SpanRule {
    pub rule: usize,
    pub regex: Regex,
}

/// What one line-level rule checks, to time it on its own (see [`RuleBook::time_rules`]).
struct LineChecks {
    rule: usize,
    phrases: bool,
    contains: Vec<String>,
    /// Index in `line_patterns`.
    pattern: Option<usize>,
}

/// Every rule of a config, compiled into a few matchers.
pub struct RuleBook {
    pub rules: Vec<Compiled>,
    /// Normalized whole-line phrase → rules having it (ascending).
    phrases: FastMap<String, Vec<usize>>,
    /// The most words any phrase has: longer lines skip the phrase lookup.
    pub phrase_max_words: usize,
    /// The longest phrase key in bytes: longer line keys need not be finished.
    pub phrase_max_len: usize,
    /// The largest `max_words` of the rules with `contains`.
    pub contains_max_words: usize,
    /// Lines with at most this many words are scanned for `contains` phrases and the
    /// floating patterns' literals (the largest `max_words` of both).
    pub scan_max_words: usize,
    /// The rule of each line pattern, in rule order.
    line_patterns: Vec<usize>,
    /// The same anchored patterns as lazy DFAs: most in one leftmost-first multi-pattern
    /// DFA (one scan of a line finds the first of them, in rule order, that matches it),
    /// the floating ones each in its own DFA behind a byte gate.
    line_multi: LineDfa,
    /// The largest `max_words` of the patterns in the shared DFA (`usize::MAX` if one has
    /// none): longer lines skip it.
    shared_max_words: usize,
    /// "contains" phrases, then the literals of the floating line patterns; the rule of
    /// each `contains` phrase, and the floating pattern (bit) of each literal after them.
    /// (Split by the rules' word limits, see [`Tiered`].)
    contains: Option<Tiered>,
    contains_rules: Vec<usize>,
    literal_owner: Vec<u8>,
    /// Floating patterns (bits, in their order) behind a literal gate.
    literal_gated: u64,
    /// The rule of each floating pattern (by bit).
    floating_rules: Vec<usize>,
    /// For each word count up to [`FIT_WORDS`]: the floating patterns (bits) whose rule
    /// allows that many words.
    floating_fit: Vec<u64>,
    pub spans: Vec<SpanRule>,
    /// The line-level rules one by one, for timing.
    checks: Vec<LineChecks>,
}

fn rule_err(id: &str, message: impl Into<String>) -> Error {
    Error::Rule {
        id: id.to_string(),
        message: message.into(),
    }
}

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

impl RuleBook {
    pub fn compile(configs: &[RuleConfig]) -> Result<RuleBook> {
        let mut rules = Vec::with_capacity(configs.len());
        let mut phrases: FastMap<String, Vec<usize>> = FastMap::default();
        let mut phrase_max_words = 0;
        let mut phrase_max_len = 0;
        let mut contains_max_words = 0;
        let mut line_patterns = Vec::new();
        let mut anchored_patterns = Vec::new();
        let mut contains = Vec::new();
        let mut contains_rules = Vec::new();
        let mut spans = Vec::new();
        let mut checks = Vec::new();
        let mut key = String::new();
        let mut word_buf = String::new();
        for (i, rc) in configs.iter().enumerate() {
            let id = rc.id.as_str();
            if !is_kebab(id) {
                return Err(rule_err(id, "id must be kebab-case (a-z, 0-9, -)"));
            }
            if configs[..i].iter().any(|o| o.id == rc.id) {
                return Err(rule_err(id, "duplicate rule id"));
            }
            if rc.category.trim().is_empty() {
                return Err(rule_err(id, "needs a `category`"));
            }
            for l in &rc.languages {
                if l.len() != 2 || !l.chars().all(|c| c.is_ascii_lowercase()) {
                    return Err(rule_err(
                        id,
                        format!("language '{l}' is not an ISO 639-1 code"),
                    ));
                }
            }
            if rc.pattern.is_none() && rc.phrases.is_empty() && rc.contains.is_empty() {
                return Err(rule_err(id, "needs a `pattern`, `phrases` or `contains`"));
            }
            if rc.kind == RuleKind::Span {
                if !rc.phrases.is_empty() || !rc.contains.is_empty() || rc.max_words.is_some() {
                    return Err(rule_err(id, "a span rule takes only a `pattern`"));
                }
                let Some(p) = &rc.pattern else {
                    return Err(rule_err(id, "a span rule needs a `pattern`"));
                };
                let regex = Regex::new(p).map_err(|e| rule_err(id, format!("bad regex: {e}")))?;
                if regex.is_match("") {
                    return Err(rule_err(id, "pattern matches the empty string"));
                }
                spans.push(SpanRule { rule: i, regex });
            } else {
                checks.push(LineChecks {
                    rule: i,
                    phrases: !rc.phrases.is_empty(),
                    contains: Vec::new(),
                    pattern: rc.pattern.as_ref().map(|_| line_patterns.len()),
                });
                if let Some(p) = &rc.pattern {
                    let anchored = format!("^(?:{p})$");
                    // Parsed here to name the rule; compiled in the line DFAs.
                    let hir = regex_automata::util::syntax::parse(&anchored)
                        .map_err(|e| rule_err(id, format!("bad regex: {e}")))?;
                    line_patterns.push(i);
                    anchored_patterns.push(hir);
                }
                for ph in &rc.phrases {
                    line_key(ph, &mut key);
                    if key.is_empty() {
                        return Err(rule_err(id, format!("phrase '{ph}' is empty once trimmed")));
                    }
                    let mut n = 0;
                    super::lang::for_each_word(&key, &mut word_buf, |_| n += 1);
                    phrase_max_words = phrase_max_words.max(n + 1);
                    phrase_max_len = phrase_max_len.max(key.len());
                    let v = phrases.entry(key.clone()).or_default();
                    if !v.contains(&i) {
                        v.push(i);
                    }
                }
                for c in &rc.contains {
                    let c = c.trim().to_lowercase();
                    if c.is_empty() {
                        return Err(rule_err(id, "empty `contains` phrase"));
                    }
                    if let Some(ch) = checks.last_mut() {
                        ch.contains.push(c.clone());
                    }
                    contains.push(c);
                    contains_rules.push(i);
                    contains_max_words = contains_max_words.max(rc.max_words.unwrap_or(usize::MAX));
                }
            }
            rules.push(Compiled {
                info: RuleInfo {
                    id: Arc::from(id),
                    category: Arc::from(rc.category.as_str()),
                    languages: rc.languages.clone(),
                    description: rc.description.clone(),
                },
                kind: rc.kind,
                scope: Scope(rc.languages.clone()),
                max_words: rc.max_words.unwrap_or(usize::MAX),
            });
        }
        let line_multi = LineDfa::new(&anchored_patterns).map_err(|(k, e)| {
            let id = line_patterns
                .get(k)
                .map_or("<line patterns>", |&i| configs[i].id.as_str());
            rule_err(id, format!("bad regex: {e}"))
        })?;
        // The floating patterns' literal gates join the `contains` phrases: one pass finds
        // both. Only patterns with a word limit (so that the lines they apply to are
        // scanned) and literals of four bytes or more (shorter ones would each cost a
        // search of every line; the byte gate does as well for them, and only when the
        // pattern applies).
        let mut literal_owner = Vec::new();
        let mut literal_gated = 0u64;
        let mut scan_max_words = contains_max_words;
        let floating: Vec<usize> = line_multi.floating().collect();
        for (bit, &k) in floating.iter().enumerate().take(64) {
            let limit = rules[line_patterns[k]].max_words;
            let Some(literals) = line_multi
                .literals(bit)
                .filter(|l| limit != usize::MAX && l.iter().all(|s| s.len() >= 4))
            else {
                continue;
            };
            for l in literals {
                contains.push(l.clone());
                literal_owner.push(bit as u8);
            }
            literal_gated |= 1 << bit;
            scan_max_words = scan_max_words.max(limit);
        }
        // Each phrase's word limit: its rule's, or its floating pattern's.
        let limits: Vec<usize> = contains_rules
            .iter()
            .map(|&i| rules[i].max_words)
            .chain(
                literal_owner
                    .iter()
                    .map(|&bit| rules[line_patterns[floating[usize::from(bit)]]].max_words),
            )
            .collect();
        let contains = (!contains.is_empty()).then(|| Tiered::new(&contains, &limits));
        let floating_rules: Vec<usize> = floating.iter().map(|&k| line_patterns[k]).collect();
        let floating_fit = (0..=FIT_WORDS)
            .map(|w| fit_mask(&floating_rules, &rules, w))
            .collect();
        let shared_max_words = line_multi
            .shared()
            .iter()
            .map(|&k| rules[line_patterns[k]].max_words)
            .max()
            .unwrap_or(0);
        Ok(RuleBook {
            checks,
            floating_rules,
            floating_fit,
            line_multi,
            shared_max_words,
            rules,
            phrases,
            phrase_max_words,
            phrase_max_len,
            contains_max_words,
            scan_max_words,
            literal_owner,
            literal_gated,
            line_patterns,
            contains,
            contains_rules,
            spans,
        })
    }

    /// This thread's DFA caches, for [`Self::match_line`] and [`Self::time_rules`]: taken
    /// once per document.
    pub fn caches(&self) -> impl std::ops::DerefMut<Target = Caches> + '_ {
        self.line_multi.caches()
    }

    /// Time each line-level rule that applies to this line on its own, as if it were the
    /// only rule: its phrase look-up, its `contains` phrases (substring searches) and its
    /// pattern. Adds the nanoseconds to `out[rule]`. Same arguments as [`Self::match_line`].
    /// One clock reading per rule: each rule's time runs from the previous reading.
    pub fn time_rules(
        &self,
        line: &LineInput<'_>,
        lang: Option<&str>,
        active: &[bool],
        caches: &mut Caches,
        out: &mut [u64],
    ) {
        let mut last = Instant::now();
        for ch in &self.checks {
            let i = ch.rule;
            if !self.applies(i, line.words, lang, active) {
                continue;
            }
            let mut hit = false;
            if ch.phrases && line.words <= self.phrase_max_words {
                hit |= self.phrases.get(line.key).is_some_and(|v| v.contains(&i));
            }
            if line.words <= self.contains_max_words {
                hit |= ch.contains.iter().any(|c| line.lower.contains(c.as_str()));
            }
            if let Some(k) = ch.pattern {
                hit |= self.line_multi.matches(caches, k, line.trimmed);
            }
            std::hint::black_box(hit);
            let now = Instant::now();
            out[i] += now.duration_since(last).as_nanos() as u64;
            last = now;
        }
    }

    /// Whether rule `i` is on and may match a line of `words` words in language `lang`.
    fn applies(&self, i: usize, words: usize, lang: Option<&str>, active: &[bool]) -> bool {
        active[i] && self.rules[i].scope.applies(lang) && words <= self.rules[i].max_words
    }

    /// The first line-level rule (line or section kind) that matches this line: the
    /// lowest rule index among the phrase, `contains` and pattern rules that apply to the
    /// line (on, in its language, within their word limit) and match it.
    pub fn match_line(
        &self,
        line: &LineInput<'_>,
        scope: &DocScope<'_>,
        caches: &mut Caches,
    ) -> Option<usize> {
        let (lang, active) = (scope.lang, scope.active);
        let words = line.words;
        let ok = |i: usize| self.applies(i, words, lang, active);
        let beats = |best: Option<usize>, i: usize| best.is_none_or(|b| i < b);
        let mut best: Option<usize> = None;
        let mut consider = |i: usize| {
            if beats(best, i) && ok(i) {
                best = Some(i);
            }
        };
        if let Some(v) = self
            .phrases
            .get(line.key)
            .filter(|_| words <= self.phrase_max_words)
        {
            for &i in v {
                consider(i);
            }
        }
        // Floating patterns (bits) that a literal gate has not ruled out.
        let mut possible = u64::MAX;
        if let Some(set) = self
            .contains
            .as_ref()
            .filter(|_| words <= self.scan_max_words)
        {
            possible = !self.literal_gated;
            let n = self.contains_rules.len();
            set.for_each_match(words, line.lower.as_bytes(), |p| match p.checked_sub(n) {
                None => consider(self.contains_rules[p]),
                Some(l) => possible |= 1 << self.literal_owner[l],
            });
        }
        // The shared DFA: its patterns are anchored at both ends, so its leftmost-first
        // match is that of its lowest-index pattern matching the line.
        let shared = self.line_multi.shared();
        let rule = |k: usize| self.line_patterns[k];
        if shared.first().is_some_and(|&k| beats(best, rule(k))) && words <= self.shared_max_words {
            let from = match self.line_multi.first_shared(caches, line.trimmed) {
                Ok(None) => None,
                Ok(Some(n)) => {
                    let i = rule(shared[n]);
                    if beats(best, i) && ok(i) {
                        best = Some(i);
                        None
                    } else {
                        // Rare: the first matching unit's rule does not apply (word limit,
                        // language, off); the later units are tried one by one.
                        Some(n + 1)
                    }
                }
                // The DFA cannot tell: every unit on its own.
                Err(()) => Some(0),
            };
            if let Some(from) = from {
                for (n, &k) in shared.iter().enumerate().skip(from) {
                    let i = rule(k);
                    if !beats(best, i) {
                        break;
                    }
                    if ok(i) && self.line_multi.shared_matches(caches, n, line.trimmed) {
                        best = Some(i);
                        break;
                    }
                }
            }
        }
        // Floating units in order (each behind its byte gate), while one could win: the
        // first 64 as bits, those that apply and that no literal gate ruled out; any
        // after them one by one.
        let fl = &self.floating_rules;
        let mut bits = possible & scope.floating & self.fits(words);
        while bits != 0 {
            let bit = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            if !beats(best, fl[bit]) {
                return best;
            }
            if self.line_multi.floating_matches(caches, bit, line.trimmed) {
                return Some(fl[bit]);
            }
        }
        for (bit, &i) in fl.iter().enumerate().skip(64) {
            if !beats(best, i) {
                break;
            }
            if ok(i) && self.line_multi.floating_matches(caches, bit, line.trimmed) {
                best = Some(i);
                break;
            }
        }
        best
    }

    /// The floating patterns (bits) whose rule allows a line of `words` words.
    fn fits(&self, words: usize) -> u64 {
        match self.floating_fit.get(words) {
            Some(&m) => m,
            None => fit_mask(&self.floating_rules, &self.rules, words),
        }
    }

    /// What applies to a document in language `lang` with the rules that are on.
    pub fn doc_scope<'a>(&self, lang: Option<&'a str>, active: &'a [bool]) -> DocScope<'a> {
        let mut floating = 0u64;
        for (bit, &i) in self.floating_rules.iter().enumerate().take(64) {
            if active[i] && self.rules[i].scope.applies(lang) {
                floating |= 1 << bit;
            }
        }
        DocScope {
            lang,
            active,
            floating,
        }
    }
}

/// Word counts up to which [`RuleBook`] keeps the floating patterns that allow them.
const FIT_WORDS: usize = 64;

/// The floating patterns (bits, the first 64) whose rule allows `words` words.
fn fit_mask(floating_rules: &[usize], rules: &[Compiled], words: usize) -> u64 {
    floating_rules
        .iter()
        .take(64)
        .enumerate()
        .filter(|&(_, &i)| words <= rules[i].max_words)
        .fold(0, |m, (bit, _)| m | 1 << bit)
}

/// What of a rule book applies to one document ([`RuleBook::doc_scope`]): its language,
/// the rules that are on, and the floating patterns (bits) among them in that language.
pub struct DocScope<'a> {
    pub lang: Option<&'a str>,
    pub active: &'a [bool],
    floating: u64,
}

/// One line as the line-level rules see it.
pub struct LineInput<'a> {
    /// The line without surrounding whitespace (and list bullet).
    pub trimmed: &'a str,
    /// Its lowercase form (empty for lines of more than [`RuleBook::scan_max_words`]
    /// words).
    pub lower: &'a str,
    /// Its [`line_key`] (empty if longer than any phrase).
    pub key: &'a str,
    /// Its word count.
    pub words: usize,
}
