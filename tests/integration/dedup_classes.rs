//! Dedup quality per class (issue 21) on `tests/data/dedup/classes/` (made by
//! `benches/make_corpus.py --classes 1.0 --size-mb 0.22 --seed 21`; see its README).
//!
//! Positive classes (a later copy IS a duplicate): recall = copies rejected as
//! exact-duplicate, near-duplicate, duplicate-stub or only-duplicate-passages with `dup_of`
//! naming a document of their group. Negative classes (NOT duplicates): false merges =
//! members rejected for one of those reasons, of anything (only-duplicate-passages counts
//! only with a `dup_of`: without one, no pair is claimed). Measured on this fixture when
//! the module was written (the bars below follow the code since):
//!
//! | class | default config | dedup-only.toml |
//! |---|---|---|
//! | short (13 copies) | 9/13 (12/13 with min_shingles 10) | 9/13 (12/13) |
//! | lines (13: wrapped 4, rewrapped 3, table 3, list 3) | 12/13 (10/13 since residues name no original for one repeated passage) | 13/13 |
//! | stub (13) | 13/13 | 13/13 |
//! | excerpt (13) | 12/13 | 13/13 |
//! | residue (46 members), false merges | 9 (8 only-duplicate-passages, 1 near); 1 since residues claim no copy | 0 |
//! | template (41 members), false merges | 4 | 2 |
//!
//! The bars below are what the current code meets; the weak classes get a floor (or a
//! ceiling on false merges) at the measured value, so a regression fails and an
//! improvement passes. Gaps:
//! * short: a stray letter inside a word (inserted, doubled, dropped) is missed in 4 of 9 copies:
//!   exact dedup folds only case, spacing and punctuation, and a 20-45-word item has
//!   fewer shingles than `min_shingles`, so near dedup does not look at it.
//! * excerpt (default config): a first take with 28 % of the original (Jaccard 0.27)
//!   is missed; containment needs Jaccard >= `min_jaccard_contained`.
//! * lines (default config): one hard-wrapped copy with one word changed (J 0.95) is
//!   missed: the cleaner treats the short wrapped lines of the two copies differently.
//! * residue (default config): tables cleaned down to a shared closing note are rejected
//!   as only-duplicate-passages (the note is a repeated passage) of another table.
//! * template: recurring dividend notices / earnings tables with new figures and names
//!   reach Jaccard >= 0.5 against their siblings and become near duplicates or stubs.
use crate::util::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const POSITIVE: [&str; 4] = ["short", "lines", "stub", "excerpt"];
const NEGATIVE: [&str; 2] = ["residue", "template"];
const DUP_REASONS: [&str; 4] = [
    "exact-duplicate",
    "near-duplicate",
    "duplicate-stub",
    "only-duplicate-passages",
];

#[derive(Default, Debug)]
struct Score {
    /// Positive: copies; negative: members.
    docs: usize,
    /// Positive: copies rejected as a duplicate of their group.
    hit: usize,
    /// Positive: copies rejected as a duplicate of something outside their group.
    wrong: usize,
    /// Positive: originals rejected as a duplicate.
    originals: usize,
    /// Negative: members rejected as a duplicate (of anything) ...
    merged: usize,
    /// ... of these, as exact-duplicate.
    merged_exact: usize,
}

impl Score {
    fn recall(&self) -> f64 {
        self.hit as f64 / self.docs.max(1) as f64
    }
}

struct Run {
    scores: BTreeMap<&'static str, Score>,
    /// id -> reason of every copy or member rejected as a duplicate.
    reasons: BTreeMap<String, String>,
    truth: Vec<Value>,
}

fn truth() -> Vec<Value> {
    std::fs::read_to_string(data("dedup/classes/truth.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn run_classes(name: &str, extra: &[&str]) -> Run {
    let out = scratch(name);
    run_to(&data("dedup/classes/corpus.jsonl"), &out, extra);
    score(&out, truth())
}

fn score(out: &Path, truth: Vec<Value>) -> Run {
    // A duplicate claim: rejected for a dedup reason, naming the document it copies when
    // the reason is only-duplicate-passages (without `dup_of`, such a document is left
    // with nothing of its own, but is said to copy nothing: no pair is claimed).
    let rejected: BTreeMap<String, (String, Option<String>)> = records(&out.join("rejected"))
        .into_iter()
        .filter(|r| DUP_REASONS.contains(&r["reason"].as_str().unwrap()))
        .filter(|r| r["reason"] != "only-duplicate-passages" || r["dup_of"].is_string())
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                (
                    r["reason"].as_str().unwrap().to_string(),
                    r["dup_of"].as_str().map(str::to_string),
                ),
            )
        })
        .collect();
    let mut groups: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for t in &truth {
        if let Some(g) = t["group"].as_str() {
            groups
                .entry(g)
                .or_default()
                .insert(t["id"].as_str().unwrap());
        }
    }
    let mut scores: BTreeMap<&'static str, Score> = BTreeMap::new();
    let mut reasons = BTreeMap::new();
    for t in &truth {
        let Some(kind) = POSITIVE
            .iter()
            .chain(NEGATIVE.iter())
            .find(|k| t["kind"] == **k)
        else {
            continue;
        };
        let id = t["id"].as_str().unwrap();
        let group = &groups[t["group"].as_str().unwrap()];
        let got = rejected.get(id);
        if let Some((reason, _)) = got {
            reasons.insert(id.to_string(), reason.clone());
        }
        let s = scores.entry(kind).or_default();
        if NEGATIVE.contains(kind) {
            s.docs += 1;
            if let Some((reason, _)) = got {
                s.merged += 1;
                s.merged_exact += usize::from(reason == "exact-duplicate");
            }
        } else if t["role"] == "copy" {
            s.docs += 1;
            match got {
                Some((_, Some(of))) if group.contains(of.as_str()) => s.hit += 1,
                Some(_) => s.wrong += 1,
                None => {}
            }
        } else {
            s.originals += usize::from(got.is_some());
        }
    }
    Run {
        scores,
        reasons,
        truth,
    }
}

fn print_table(title: &str, run: &Run) {
    println!("dedup classes, {title}:");
    println!("| class | docs | recall | false merges | wrong dup_of | originals rejected |");
    println!("|---|---|---|---|---|---|");
    for kind in POSITIVE.iter().chain(NEGATIVE.iter()) {
        let s = &run.scores[kind];
        if NEGATIVE.contains(kind) {
            println!("| {kind} | {} | - | {} | - | - |", s.docs, s.merged);
        } else {
            println!(
                "| {kind} | {} | {:.3} ({}/{}) | - | {} | {} |",
                s.docs,
                s.recall(),
                s.hit,
                s.docs,
                s.wrong,
                s.originals
            );
        }
    }
}

/// Checks common to both configs: the fixture has every class, no original of a positive
/// class is rejected, no copy names a document outside its group, residues are never
/// exact duplicates, and a short copy that differs only by case or by a stray punctuation
/// mark is an exact duplicate (exact dedup folds case and punctuation).
fn check_common(run: &Run) {
    for kind in POSITIVE.iter().chain(NEGATIVE.iter()) {
        let s = &run.scores[kind];
        assert!(
            s.docs >= 10,
            "{kind}: only {} documents in the fixture",
            s.docs
        );
        assert_eq!(s.originals, 0, "{kind}: originals rejected as duplicates");
        assert_eq!(
            s.wrong, 0,
            "{kind}: copies rejected as duplicates of another group"
        );
    }
    assert_eq!(
        run.scores["residue"].merged_exact, 0,
        "a residue became an exact duplicate"
    );
    let folded: Vec<&Value> = run
        .truth
        .iter()
        .filter(|t| {
            t["kind"] == "short"
                && ["case", "upper", "punct"].contains(&t["ops"]["stray"].as_str().unwrap_or(""))
        })
        .collect();
    assert!(folded.len() >= 3, "fixture lacks case/punctuation copies");
    for t in folded {
        let id = t["id"].as_str().unwrap();
        assert_eq!(
            run.reasons.get(id).map(String::as_str),
            Some("exact-duplicate"),
            "short copy {id} ({}) is not an exact duplicate",
            t["ops"]["stray"]
        );
    }
}

fn at_least(run: &Run, kind: &str, min: f64) {
    let s = &run.scores[kind];
    assert!(
        s.recall() >= min,
        "{kind} recall {:.3} ({}/{}) < {min}",
        s.recall(),
        s.hit,
        s.docs
    );
}

fn at_most_merged(run: &Run, kind: &str, max: usize) {
    let s = &run.scores[kind];
    assert!(
        s.merged <= max,
        "{kind}: {} of {} members merged as duplicates (bar: <= {max})",
        s.merged,
        s.docs
    );
}

/// Default config (clean + dedup, what users run).
#[test]
fn dedup_classes_default_config() {
    let run = run_classes("dedup_classes_default", &[]);
    print_table("default config", &run);
    check_common(&run);
    at_least(&run, "stub", 1.0);
    // Weak (measured 11/13): the cleaner removes most lines of table copies, which
    // leaves residues that repeat one passage of their original; a residue names no
    // original for one repeated passage (that is what a shared closing note looks like).
    at_least(&run, "lines", 0.75);
    // Weak: a first take of under ~30 % of the original (Jaccard < 0.3) is missed.
    at_least(&run, "excerpt", 0.9);
    // Short items: 12/13 since min_shingles is 10 (was 9/13 at 30).
    at_least(&run, "short", 0.9);
    // Weak: measured 1 residue and 6 recurring reports merged (4 before the cleaner's
    // windowed context kept more of the reports' note lines); the goal is 0.
    at_most_merged(&run, "residue", 1);
    at_most_merged(&run, "template", 6);
}

/// Dedup alone (`tests/data/dedup/dedup-only.toml`): what dedup itself finds.
#[test]
fn dedup_classes_dedup_only() {
    let cfg = data("dedup/dedup-only.toml");
    let run = run_classes(
        "dedup_classes_dedup_only",
        &["--config", cfg.to_str().unwrap()],
    );
    print_table("dedup-only.toml", &run);
    check_common(&run);
    at_least(&run, "stub", 1.0);
    at_least(&run, "lines", 1.0);
    at_least(&run, "excerpt", 1.0);
    // Short items: 12/13 since min_shingles is 10 (was 9/13).
    at_least(&run, "short", 0.9);
    at_most_merged(&run, "residue", 0);
    // Weak: measured 2 recurring dividend notices merged; the goal is 0.
    at_most_merged(&run, "template", 2);
}
