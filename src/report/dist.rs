//! Distributions of a run for the report: document lengths before and after (log2
//! buckets) and the share of text removed per kept document (tenths). Counted with a few
//! additions per document from numbers the run has anyway; merged in a fixed order.
use serde::{Deserialize, Serialize};

/// Length buckets: 0, then [2^(b-1), 2^b) for b = 1.., the last one open-ended.
const LENGTH_BUCKETS: usize = 40;
/// Share buckets: nothing removed, then (0 %, 10 %], (10 %, 20 %], ... (90 %, 100 %].
const SHARE_BUCKETS: usize = 11;

/// Counts of document lengths in bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lengths([u64; LENGTH_BUCKETS]);

impl Default for Lengths {
    fn default() -> Self {
        Lengths([0; LENGTH_BUCKETS])
    }
}

impl Lengths {
    #[inline]
    pub fn add(&mut self, len: u64) {
        let b = (64 - len.leading_zeros() as usize).min(LENGTH_BUCKETS - 1);
        self.0[b] += 1;
    }

    pub fn merge(&mut self, other: &Lengths) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a += b;
        }
    }

    /// The buckets from the first to the last non-empty one.
    pub fn histogram(&self) -> Histogram {
        let bounds = |b: usize| -> (u64, Option<u64>) {
            match b {
                0 => (0, Some(1)),
                b if b == LENGTH_BUCKETS - 1 => (1 << (b - 1), None),
                b => (1 << (b - 1), Some(1 << b)),
            }
        };
        trimmed(&self.0, |b| {
            let (min, below) = bounds(b);
            (min as f64, below.map(|x| x as f64))
        })
    }
}

/// Counts of the share of its text each kept document lost.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shares([u64; SHARE_BUCKETS]);

impl Shares {
    /// A document of `before` bytes (normalized) written with `after` bytes.
    #[inline]
    pub fn add(&mut self, before: u64, after: u64) {
        let removed = before.saturating_sub(after);
        let b = if removed == 0 || before == 0 {
            0
        } else {
            // ceil(10 * removed / before), in 1..=10.
            ((removed * 10).div_ceil(before) as usize).clamp(1, SHARE_BUCKETS - 1)
        };
        self.0[b] += 1;
    }

    pub fn merge(&mut self, other: &Shares) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a += b;
        }
    }

    /// All eleven buckets (shares are few and fixed).
    pub fn histogram(&self) -> Histogram {
        Histogram {
            buckets: self
                .0
                .iter()
                .enumerate()
                .map(|(b, &count)| match b {
                    0 => Bucket {
                        min: 0.0,
                        below: Some(0.0),
                        count,
                    },
                    b => Bucket {
                        min: (b - 1) as f64 / 10.0,
                        below: Some(b as f64 / 10.0),
                        count,
                    },
                })
                .collect(),
        }
    }
}

fn trimmed(counts: &[u64], bounds: impl Fn(usize) -> (f64, Option<f64>)) -> Histogram {
    let first = counts.iter().position(|&c| c > 0);
    let last = counts.iter().rposition(|&c| c > 0);
    let buckets = match (first, last) {
        (Some(f), Some(l)) => (f..=l)
            .map(|b| {
                let (min, below) = bounds(b);
                Bucket {
                    min,
                    below,
                    count: counts[b],
                }
            })
            .collect(),
        _ => Vec::new(),
    };
    Histogram { buckets }
}

/// A histogram as report.json holds it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    pub buckets: Vec<Bucket>,
}

/// One bucket: values from `min` up to (not including) `below`; `below` absent for the
/// open last bucket. For shares, bucket `[0, 0)` counts documents that lost nothing and
/// the others are `(min, below]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub min: f64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub below: Option<f64>,
    pub count: u64,
}

/// The `distributions` section of report.json.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Distributions {
    /// Text length in bytes of every record that had a text, as read.
    pub length_before: Histogram,
    /// Text length in bytes of every kept record, as written.
    pub length_after: Histogram,
    /// Per kept record: the share of its (normalized) text that cleaning and dedup removed.
    pub removed_share: Histogram,
}

/// The counters behind [`Distributions`].
#[derive(Clone, Debug, Default)]
pub struct DistCounts {
    pub before: Lengths,
    pub after: Lengths,
    pub shares: Shares,
}

impl DistCounts {
    /// A kept document: `normalized` bytes before removals, `written` bytes of text out.
    #[inline]
    pub fn kept(&mut self, normalized: u64, written: u64) {
        self.after.add(written);
        self.shares.add(normalized, written);
    }

    pub fn distributions(&self) -> Distributions {
        Distributions {
            length_before: self.before.histogram(),
            length_after: self.after.histogram(),
            removed_share: self.shares.histogram(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_fall_in_power_of_two_buckets() {
        let mut l = Lengths::default();
        for n in [0, 1, 2, 3, 4, 1000, 1023, 1024] {
            l.add(n);
        }
        let h = l.histogram();
        assert_eq!(
            h.buckets[0],
            Bucket {
                min: 0.0,
                below: Some(1.0),
                count: 1
            }
        );
        let count_at = |min: f64| h.buckets.iter().find(|b| b.min == min).unwrap().count;
        assert_eq!(count_at(2.0), 2);
        assert_eq!(count_at(512.0), 2);
        assert_eq!(count_at(1024.0), 1);
        assert_eq!(h.buckets.iter().map(|b| b.count).sum::<u64>(), 8);
        assert!(Lengths::default().histogram().buckets.is_empty());
    }

    #[test]
    fn shares_round_up_to_the_next_tenth() {
        let mut s = Shares::default();
        s.add(100, 100);
        s.add(100, 99);
        s.add(100, 90);
        s.add(100, 0);
        s.add(0, 0);
        let h = s.histogram();
        let counts: Vec<u64> = h.buckets.iter().map(|b| b.count).collect();
        assert_eq!(counts, vec![2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    }
}
