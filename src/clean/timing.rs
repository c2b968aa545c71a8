//! Per-rule time of the rules matched in shared passes, estimated from a sample of lines.
//!
//! Line and section rules are matched together, one pass over the lines with one phrase
//! look-up, one phrase pass and one shared lazy DFA (plus gated DFAs of the floating
//! patterns), so their cost is not separable on a line; timing every rule on every line
//! would cost more than the pass.
//! The estimate:
//!
//! - Each thread counts the lines it matches against the rules (a counter, no clock or
//!   random number) and samples the first and then every [`SAMPLE_EVERY`]-th. On a sampled
//!   line every line-level rule that applies to it (active, in its language, within its
//!   `max_words`) is run again on its own — phrase look-up, `contains` substring searches,
//!   pattern — and timed ([`super::rules::RuleBook::time_rules`]). The thread sums these
//!   sampled times per rule.
//! - The measured time of each document's matching pass (line keys, lowercasing, matching,
//!   classification; sampling included) is split over the rules in proportion to the
//!   thread's sampled sums so far. So the per-rule times add up to the pass time, and each
//!   rule gets the share that its matcher costs on a representative sample of lines.
//! - The heuristic has no matcher per rule: its rules share one measurement of every line
//!   (features) and one context pass, so that time (features plus `pass-heuristic`) is
//!   split equally over the enabled heuristic rules.
//! - Span rules run one at a time and are timed directly.
//!
//! Per-document shares go to [`StageStats::pending`] (one slot per rule, a few
//! additions per document); merging stats moves them to the rules' counters.
use super::Cleaner;
use crate::stage::{Counter, StageStats};
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// One line in this many is timed rule by rule (counted per thread).
pub const SAMPLE_EVERY: u64 = 512;

/// A fresh id for a compiled cleaner: sampling state is kept per thread and cleaner.
pub fn next_cleaner_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The sampling state of one thread for one cleaner.
#[derive(Default)]
pub struct Sampler {
    cleaner: u64,
    tick: u64,
    /// Sampled nanoseconds per configured rule.
    pub sampled: Vec<u64>,
    /// Pass time not yet attributed (no sampled time yet).
    carry: u64,
    /// Each rule's share of `sampled` in units of 2^-32 ([`weights`]), and whether a
    /// sample came since they were computed.
    weights: Vec<u64>,
    stale: bool,
}

thread_local! {
    static SAMPLER: RefCell<Sampler> = RefCell::new(Sampler::default());
}

impl Sampler {
    /// This thread's sampler for `cl` (a new one when the thread last served another).
    pub fn take(cl: &Cleaner) -> Sampler {
        let s = SAMPLER.with(|c| c.take());
        if s.cleaner == cl.id && s.sampled.len() == cl.book.rules.len() {
            s
        } else {
            Sampler {
                cleaner: cl.id,
                sampled: vec![0; cl.book.rules.len()],
                ..Sampler::default()
            }
        }
    }

    /// Whether to time the next line rule by rule: the first line, then every
    /// [`SAMPLE_EVERY`]-th.
    #[inline]
    pub fn tick(&mut self) -> bool {
        let t = self.tick;
        self.tick += 1;
        let sample = t.is_multiple_of(SAMPLE_EVERY);
        self.stale |= sample;
        sample
    }

    /// Record a document's times: `rules_nanos` of its rule-matching pass, split by
    /// sampled share; `heuristic_nanos` split equally over the enabled heuristic rules.
    /// Then keep the sampler for the thread's next document.
    pub fn finish(
        mut self,
        cl: &Cleaner,
        stats: &mut StageStats,
        rules_nanos: u64,
        heuristic_nanos: u64,
    ) {
        let n_rules = cl.book.rules.len();
        let slots = slots(cl, stats);
        let on = cl.heuristic.iter().filter(|h| h.2).count() as u64;
        let mut for_rules = rules_nanos + self.carry;
        if let Some(each) = heuristic_nanos.checked_div(on) {
            let mut rest = heuristic_nanos - each * on;
            for (h, slot) in cl.heuristic.iter().zip(&mut slots[n_rules..]) {
                if h.2 {
                    slot.1.nanos += each + std::mem::take(&mut rest);
                }
            }
        } else {
            for_rules += heuristic_nanos;
        }
        if self.stale {
            self.weights = weights(&self.sampled).unwrap_or_default();
            self.stale = false;
        }
        if self.weights.is_empty() {
            self.carry = for_rules;
        } else {
            self.carry = 0;
            for (slot, &w) in slots.iter_mut().zip(&self.weights) {
                slot.1.nanos += share(for_rules, w);
            }
        }
        SAMPLER.with(|c| *c.borrow_mut() = self);
    }
}

/// Each rule's share of the `sampled` times, in units of 2^-32 (rounded down), or `None`
/// when nothing has been sampled yet. Computed when a sample comes, so that splitting a
/// document's time ([`share`]) is a multiplication per rule, not a division.
fn weights(sampled: &[u64]) -> Option<Vec<u64>> {
    let total: u128 = sampled.iter().map(|&s| u128::from(s)).sum();
    (total > 0).then(|| {
        sampled
            .iter()
            .map(|&s| ((u128::from(s) << 32) / total) as u64)
            .collect()
    })
}

/// The part of `nanos` that a rule of weight `w` ([`weights`]) gets.
#[inline]
fn share(nanos: u64, w: u64) -> u64 {
    ((u128::from(nanos) * u128::from(w)) >> 32) as u64
}

/// `nanos` split over the rules in proportion to their `sampled` times (rounded down,
/// each share at most a nanosecond under the exact one for documents under 4 s), or
/// `None` when nothing has been sampled yet.
#[cfg(test)]
fn split(nanos: u64, sampled: &[u64]) -> Option<Vec<u64>> {
    weights(sampled).map(|w| w.iter().map(|&w| share(nanos, w)).collect())
}

/// The pass items of [`slots`], after the configured and the heuristic rules.
pub const PASS_LINE_RULES: usize = 0;
pub const PASS_SPAN_RULES: usize = 1;
pub const PASS_HEURISTIC: usize = 2;
const PASS_IDS: [&str; 3] = ["pass-line-rules", "pass-span-rules", "pass-heuristic"];

/// The pending counters of `stats` for `cl`: its configured rules, then its heuristic
/// rules, then the three passes ([`PASS_LINE_RULES`], ...). Set up (after settling what
/// another cleaner left) when they are not.
pub fn slots<'a>(cl: &Cleaner, stats: &'a mut StageStats) -> &'a mut [(Arc<str>, Counter)] {
    let n = cl.book.rules.len() + cl.heuristic.len() + PASS_IDS.len();
    if stats.pending_owner != cl.id || stats.pending.len() != n {
        stats.settle();
        stats.pending = cl
            .book
            .rules
            .iter()
            .map(|r| r.info.id.clone())
            .chain(cl.heuristic.iter().map(|h| h.1.id.clone()))
            .chain(PASS_IDS.iter().map(|&id| Arc::from(id)))
            .map(|id| (id, Counter::default()))
            .collect();
        stats.pending_owner = cl.id;
    }
    &mut stats.pending
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn pass_time_is_split_in_proportion_to_the_sampled_times() {
        assert!(
            split(1000, &[0, 0]).is_none(),
            "nothing sampled: carried over"
        );
        let shares = split(1000, &[1, 0, 3]).expect("sampled");
        assert_eq!(shares, [250, 0, 750]);
        // Rounded down: the shares add up to the pass time but for less than one
        // nanosecond per rule.
        let sampled = [7, 11, 13, 1];
        let shares = split(1001, &sampled).expect("sampled");
        let sum: u64 = shares.iter().sum();
        assert!(
            sum <= 1001 && sum > 1001 - sampled.len() as u64,
            "{shares:?}"
        );
        assert_eq!(shares[3], 1001 / 32);
        // Any totals: each share is the exact one rounded down, or a nanosecond less.
        let sampled = [3, 1_000_003, 77, 0, 5_000_000_019];
        for nanos in [1, 999, 123_456_789, 4_000_000_000] {
            let shares = split(nanos, &sampled).expect("sampled");
            let total: u128 = sampled.iter().map(|&s| u128::from(s)).sum();
            for (&got, &s) in shares.iter().zip(&sampled) {
                let exact = (u128::from(nanos) * u128::from(s) / total) as u64;
                assert!(
                    got == exact || got + 1 == exact,
                    "{nanos} {s}: {got} vs {exact}"
                );
            }
        }
    }
}
