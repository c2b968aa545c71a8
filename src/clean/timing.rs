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
//! Per-document shares go to [`StageStats::pending_nanos`] (one slot per rule, a few
//! additions per document); merging stats moves them to the rules' counters.
use super::Cleaner;
use crate::stage::StageStats;
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
        t.is_multiple_of(SAMPLE_EVERY)
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
        let on: Vec<usize> = (0..cl.heuristic.len())
            .filter(|&h| cl.heuristic[h].2)
            .collect();
        let mut for_rules = rules_nanos + self.carry;
        if on.is_empty() {
            for_rules += heuristic_nanos;
        } else {
            let each = heuristic_nanos / on.len() as u64;
            let rest = heuristic_nanos - each * on.len() as u64;
            for (k, &h) in on.iter().enumerate() {
                slots[n_rules + h].1 += each + if k == 0 { rest } else { 0 };
            }
        }
        match split(for_rules, &self.sampled) {
            None => self.carry = for_rules,
            Some(shares) => {
                self.carry = 0;
                for (slot, share) in slots.iter_mut().zip(shares) {
                    slot.1 += share;
                }
            }
        }
        SAMPLER.with(|c| *c.borrow_mut() = self);
    }
}

/// `nanos` split over the rules in proportion to their `sampled` times (rounded down),
/// or `None` when nothing has been sampled yet.
fn split(nanos: u64, sampled: &[u64]) -> Option<impl Iterator<Item = u64> + '_> {
    let total: u64 = sampled.iter().sum();
    (total > 0).then(move || {
        sampled
            .iter()
            .map(move |&s| (u128::from(nanos) * u128::from(s) / u128::from(total)) as u64)
    })
}

/// The pending-time slots of `stats` for `cl`: its configured rules, then its heuristic
/// rules. Set up (after settling what another cleaner left) when they are not.
fn slots<'a>(cl: &Cleaner, stats: &'a mut StageStats) -> &'a mut [(Arc<str>, u64)] {
    let ids = || {
        cl.book
            .rules
            .iter()
            .map(|r| &r.info.id)
            .chain(cl.heuristic.iter().map(|h| &h.1.id))
    };
    let fits = stats.pending_nanos.len() == cl.book.rules.len() + cl.heuristic.len()
        && stats
            .pending_nanos
            .iter()
            .zip(ids())
            .all(|(p, id)| Arc::ptr_eq(&p.0, id));
    if !fits {
        stats.settle();
        stats.pending_nanos = ids().map(|id| (id.clone(), 0)).collect();
    }
    &mut stats.pending_nanos
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
        let shares: Vec<u64> = split(1000, &[1, 0, 3]).expect("sampled").collect();
        assert_eq!(shares, [250, 0, 750]);
        // Rounded down: the shares add up to the pass time but for less than one
        // nanosecond per rule.
        let sampled = [7, 11, 13, 1];
        let shares: Vec<u64> = split(1001, &sampled).expect("sampled").collect();
        let sum: u64 = shares.iter().sum();
        assert!(
            sum <= 1001 && sum > 1001 - sampled.len() as u64,
            "{shares:?}"
        );
        assert_eq!(shares[3], 1001 / 32);
    }
}
