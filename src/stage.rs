//! The `Stage` trait every per-document step implements, and the counters it keeps.
use crate::document::{Document, Rejection};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A per-document step: a pure function of the document (and the step's compiled
/// configuration). It either returns the document (possibly with new removals or a
/// rewritten text) or rejects it with a reason.
pub trait Stage: Send + Sync {
    /// Stable name used in reports and rejection records.
    fn name(&self) -> &'static str;
    /// Process one document, counting what was done into `stats`.
    fn process(&self, doc: Document, stats: &mut StageStats) -> Result<Document, Rejection>;
}

/// Counters for one named item inside a stage (a rule, a dedup kind).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Counter {
    /// Documents this item touched.
    pub docs: u64,
    /// Spans (usually lines) it removed.
    pub spans: u64,
    /// Bytes it removed.
    pub bytes: u64,
    /// Time spent in it, in nanoseconds (summed over threads).
    pub nanos: u64,
}

impl Counter {
    pub fn merge(&mut self, other: &Counter) {
        self.docs += other.docs;
        self.spans += other.spans;
        self.bytes += other.bytes;
        self.nanos += other.nanos;
    }
}

/// What a stage did: documents seen, changed, rejected (by reason), bytes removed, time,
/// and per-item counters. Merged across batches in a fixed order.
#[derive(Clone, Debug, Default, Serialize)]
pub struct StageStats {
    pub docs_in: u64,
    pub changed: u64,
    pub rejected: BTreeMap<&'static str, u64>,
    pub bytes_removed: u64,
    pub nanos: u64,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub items: BTreeMap<String, Counter>,
    /// Counts of items not yet added to their counter in `items`, in a layout the stage
    /// chooses (the clean stage: one slot per rule), so that a document's counting is a
    /// few additions by index, not a look-up by name per item; [`StageStats::merge`] and
    /// [`StageStats::settle`] move them to `items`.
    #[serde(skip)]
    pub pending: Vec<(Arc<str>, Counter)>,
    /// Who laid out `pending` (the stage's own tag, 0 for nobody).
    #[serde(skip)]
    pub pending_owner: u64,
}

impl StageStats {
    pub fn merge(&mut self, other: &StageStats) {
        self.docs_in += other.docs_in;
        self.changed += other.changed;
        for (k, v) in &other.rejected {
            *self.rejected.entry(k).or_default() += v;
        }
        self.bytes_removed += other.bytes_removed;
        self.nanos += other.nanos;
        for (k, v) in &other.items {
            self.items.entry(k.clone()).or_default().merge(v);
        }
        self.add_pending(&other.pending);
    }

    /// Add the pending counts of items to their counters.
    pub fn settle(&mut self) {
        let mut pending = std::mem::take(&mut self.pending);
        self.add_pending(&pending);
        for (_, c) in &mut pending {
            *c = Counter::default();
        }
        self.pending = pending;
    }

    /// Add `pending` counts to the named counters (creating only those with a count).
    fn add_pending(&mut self, pending: &[(Arc<str>, Counter)]) {
        for (k, c) in pending {
            if *c != Counter::default() {
                self.item(k).merge(c);
            }
        }
    }

    /// The counter for an item, created on first use.
    pub fn item(&mut self, name: &str) -> &mut Counter {
        if !self.items.contains_key(name) {
            self.items.insert(name.to_string(), Counter::default());
        }
        self.items.get_mut(name).expect("inserted above")
    }
}
