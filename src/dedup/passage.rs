//! Phase 2 of dedup: exact passages. Every passage hash's first occurrence and the
//! number of documents it occurs in decide, per document, which passages are later
//! repeats (`dup-passage-exact`) or cross-document boilerplate (`boilerplate-passage`).
//! [`phased`] finds them from files, as [`Mark`]s per document; [`PassageRules`] turns a
//! document's marks into removals.
use super::sketch::PassageSketch;
use super::{BoilerplateConfig, KeepPolicy, PassageConfig};
use crate::document::{DupRef, Removal};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

pub mod phased;

/// What the passage phases found about one passage of a document: it is not the first
/// occurrence of its text, or its text is boilerplate (or both).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    /// The passage's number in its document.
    pub passage: u32,
    pub hash: u64,
    /// The first occurrence of the text (this passage itself when `first`).
    pub of_doc: u32,
    pub of_passage: u32,
    pub first: bool,
    /// Short, and in at least `min_docs` documents.
    pub boilerplate: bool,
}

/// Is passage `p` the first occurrence of its text, by its document's marks?
pub fn is_first(marks: &[Mark], p: u32) -> bool {
    !marks.iter().any(|m| m.passage == p && !m.first)
}

/// Is the text with `hash` boilerplate, by the marks of a document it occurs in?
pub fn is_boilerplate(marks: &[Mark], hash: u64) -> bool {
    marks.iter().any(|m| m.boilerplate && m.hash == hash)
}

/// Turns a document's marks into its passage removals.
pub struct PassageRules {
    passage: PassageConfig,
    keep_first: bool,
    rule_exact: Arc<str>,
    rule_boilerplate: Arc<str>,
    category_dup: Arc<str>,
    category_boilerplate: Arc<str>,
}

impl PassageRules {
    pub fn new(passage: &PassageConfig, boilerplate: &BoilerplateConfig) -> Self {
        PassageRules {
            passage: passage.clone(),
            keep_first: boilerplate.keep == KeepPolicy::First,
            rule_exact: RULE_EXACT.into(),
            rule_boilerplate: RULE_BOILERPLATE.into(),
            category_dup: "duplicate".into(),
            category_boilerplate: "boilerplate".into(),
        }
    }

    /// The passage removals of a document with `passages` and `marks` (in passage order);
    /// `id_of` names a document by its index.
    pub fn removals(
        &self,
        passages: &[PassageSketch],
        marks: &[Mark],
        id_of: &dyn Fn(u32) -> String,
    ) -> Vec<Removal> {
        let mut out = Vec::new();
        for m in marks {
            let Some(ps) = passages.get(m.passage as usize) else {
                continue;
            };
            let (rule, category) = if m.boilerplate {
                if m.first && self.keep_first {
                    continue;
                }
                (&self.rule_boilerplate, &self.category_boilerplate)
            } else if self.passage.exact && !m.first && ps.words as usize >= self.passage.min_words
            {
                (&self.rule_exact, &self.category_dup)
            } else {
                continue;
            };
            out.push(Removal {
                start: ps.start,
                end: ps.end,
                rule: rule.clone(),
                category: category.clone(),
                dup_of: (!m.first).then(|| DupRef {
                    doc: id_of(m.of_doc),
                    passage: Some(m.of_passage as usize),
                    similarity: Some(1.0),
                }),
            });
        }
        out
    }
}

/// A hasher for keys that already are well-mixed 64-bit hashes.
#[derive(Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ b as u64;
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub type IdMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;

/// An [`IdMap`] split into 256 tables, for indexes that grow with the corpus. A table
/// that grows holds its old and its new array at once, 1.5 times its size: one table of
/// 2.5 M passage hashes peaked 50 MB above its final 100 MB. Equal tables would all grow
/// at about the same moment and add up to the same peak, so their shares of the keys
/// differ: table `i` takes a share proportional to 2^(i/256), and their resizes spread
/// evenly over each doubling of the whole. A key's table comes from its bits 44..56
/// (hashbrown places a key by its low bits and tags it with its top 7).
pub struct ShardedIdMap<V> {
    tables: Vec<IdMap<V>>,
}

/// Tables of a [`ShardedIdMap`] (a table number fits a `u8`).
const TABLES: usize = 256;
/// Slots of the lookup from a key's 12 table bits to its table.
const SLOTS: usize = 1 << 12;

/// `TABLE_OF[bits]`: the table of a key, each table owning a run of slots in proportion
/// to its share.
static TABLE_OF: std::sync::LazyLock<[u8; SLOTS]> = std::sync::LazyLock::new(|| {
    let weight = |i: usize| (i as f64 / TABLES as f64).exp2();
    let total: f64 = (0..TABLES).map(weight).sum();
    let mut out = [0u8; SLOTS];
    let mut acc = 0.0;
    let mut slot = 0usize;
    for i in 0..TABLES {
        acc += weight(i);
        // The slots up to this table's cumulative share (the last one takes the rest).
        let end = if i == TABLES - 1 {
            SLOTS
        } else {
            ((acc / total) * SLOTS as f64).round() as usize
        };
        while slot < end {
            out[slot] = i as u8;
            slot += 1;
        }
    }
    out
});

impl<V> Default for ShardedIdMap<V> {
    fn default() -> Self {
        ShardedIdMap {
            tables: (0..TABLES).map(|_| IdMap::default()).collect(),
        }
    }
}

impl<V> ShardedIdMap<V> {
    fn table(key: u64) -> usize {
        TABLE_OF[(key >> 44) as usize & (SLOTS - 1)] as usize
    }

    pub fn entry(&mut self, key: u64) -> std::collections::hash_map::Entry<'_, u64, V> {
        self.tables[Self::table(key)].entry(key)
    }

    pub fn get(&self, key: &u64) -> Option<&V> {
        self.tables[Self::table(*key)].get(key)
    }

    pub fn len(&self) -> usize {
        self.tables.iter().map(HashMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.tables.iter().all(HashMap::is_empty)
    }

    /// Slots allocated over all tables.
    pub fn capacity(&self) -> usize {
        self.tables.iter().map(HashMap::capacity).sum()
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.tables.iter().flat_map(HashMap::values)
    }
}

/// First occurrence and document count of one passage hash (16 bytes).
#[cfg(test)]
#[derive(Clone, Copy, Debug)]
struct Entry {
    doc: u32,
    passage: u32,
    docs: u32,
    last_doc: u32,
}

/// Rule ids of passage removals.
pub const RULE_EXACT: &str = "dup-passage-exact";
pub const RULE_BOILERPLATE: &str = "boilerplate-passage";

/// Every passage hash seen, in input order, in memory: the reference the phases of
/// [`phased`] are tested against.
#[cfg(test)]
pub struct PassageIndex {
    map: ShardedIdMap<Entry>,
    passage: PassageConfig,
    boilerplate: BoilerplateConfig,
}

#[cfg(test)]
impl PassageIndex {
    pub fn new(passage: &PassageConfig, boilerplate: &BoilerplateConfig) -> Self {
        PassageIndex {
            map: ShardedIdMap::default(),
            passage: passage.clone(),
            boilerplate: boilerplate.clone(),
        }
    }

    /// Record the passages of document `doc`. Must be called in input order.
    pub fn observe(&mut self, doc: u32, passages: &[PassageSketch]) {
        self.observe_first(doc, passages, &mut Vec::new());
    }

    /// [`PassageIndex::observe`], also telling for each passage whether it is the first
    /// occurrence of its text (what [`PassageIndex::is_first`] says afterwards), into
    /// `first` (cleared first).
    pub fn observe_first(&mut self, doc: u32, passages: &[PassageSketch], first: &mut Vec<bool>) {
        first.clear();
        for (p, ps) in passages.iter().enumerate() {
            let mut new = false;
            let e = self.map.entry(ps.hash).or_insert_with(|| {
                new = true;
                Entry {
                    doc,
                    passage: p as u32,
                    docs: 0,
                    last_doc: u32::MAX,
                }
            });
            if e.last_doc != doc {
                e.docs = e.docs.saturating_add(1);
                e.last_doc = doc;
            }
            first.push(new);
        }
    }

    /// Is this passage boilerplate (short, in many documents)? Final once every
    /// document was observed.
    pub fn is_boilerplate(&self, hash: u64, words: u32) -> bool {
        self.boilerplate.enabled
            && words as usize <= self.boilerplate.max_words
            && self
                .map
                .get(&hash)
                .is_some_and(|e| e.docs >= self.boilerplate.min_docs)
    }

    /// The marks of document `doc`: what [`phased`] must find.
    pub fn marks(&self, doc: u32, passages: &[PassageSketch]) -> Vec<Mark> {
        let mut out = Vec::new();
        for (p, ps) in passages.iter().enumerate() {
            let Some(e) = self.map.get(&ps.hash) else {
                continue;
            };
            let first = e.doc == doc && e.passage == p as u32;
            let boilerplate = self.boilerplate.enabled
                && ps.words as usize <= self.boilerplate.max_words
                && e.docs >= self.boilerplate.min_docs;
            if !first || boilerplate {
                out.push(Mark {
                    passage: p as u32,
                    hash: ps.hash,
                    of_doc: e.doc,
                    of_passage: e.passage,
                    first,
                    boilerplate,
                });
            }
        }
        out
    }

    /// The passage removals of document `doc`; `id_of` names a document by its index.
    pub fn removals(
        &self,
        doc: u32,
        passages: &[PassageSketch],
        id_of: &dyn Fn(u32) -> String,
    ) -> Vec<Removal> {
        let rules = PassageRules::new(&self.passage, &self.boilerplate);
        rules.removals(passages, &self.marks(doc, passages), id_of)
    }

    /// Is passage `p` of document `doc` (with `hash`) the first occurrence of its text?
    pub fn is_first(&self, hash: u64, doc: u32, p: u32) -> bool {
        match self.map.get(&hash) {
            Some(e) => e.doc == doc && e.passage == p,
            None => true,
        }
    }

    /// Distinct passage hashes held.
    pub fn entries(&self) -> usize {
        self.map.len()
    }

    /// Approximate bytes held by the index.
    pub fn bytes(&self) -> usize {
        self.map.capacity() * (8 + std::mem::size_of::<Entry>() + 1)
    }

    /// Distinct passages that are boilerplate.
    pub fn boilerplate_passages(&self) -> usize {
        if !self.boilerplate.enabled {
            return 0;
        }
        self.map
            .values()
            .filter(|e| e.docs >= self.boilerplate.min_docs)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sharded_map_is_one_map_over_its_tables() {
        let mut m = ShardedIdMap::default();
        assert!(m.is_empty());
        // Keys that differ only in the table bits, only outside them, and both.
        let keys = [
            0u64,
            1 << 44,
            2 << 48,
            4095 << 44,
            1,
            1 << 63,
            (7 << 48) | 5,
        ];
        for (i, &k) in keys.iter().enumerate() {
            *m.entry(k).or_insert(0) += i + 1;
        }
        *m.entry(1 << 44).or_insert(0) += 100;
        assert_eq!(m.len(), keys.len());
        assert_eq!(m.get(&(1 << 44)), Some(&102));
        assert_eq!(m.get(&(3 << 44)), None);
        assert_eq!(m.values().sum::<usize>(), (1..=7).sum::<usize>() + 100);
        assert!(m.capacity() >= m.len());
    }

    #[test]
    fn table_shares_grow_from_one_to_two() {
        let mut owned = [0usize; TABLES];
        for &t in TABLE_OF.iter() {
            owned[t as usize] += 1;
        }
        // Every table has slots, in order, and the last has about twice the first's.
        assert!(TABLE_OF.windows(2).all(|w| w[0] <= w[1]));
        assert!(owned.iter().all(|&n| n > 0));
        let (first, last) = (
            owned[..16].iter().sum::<usize>(),
            owned[240..].iter().sum::<usize>(),
        );
        let ratio = last as f64 / first as f64;
        assert!((1.8..2.1).contains(&ratio), "{ratio}");
    }

    fn ps(hash: u64, words: u32) -> PassageSketch {
        PassageSketch {
            start: 0,
            end: 1,
            hash,
            words,
        }
    }

    fn index(min_docs: u32, keep: KeepPolicy) -> PassageIndex {
        PassageIndex::new(
            &PassageConfig {
                exact: true,
                min_words: 3,
                ..PassageConfig::default()
            },
            &BoilerplateConfig {
                enabled: true,
                max_words: 2,
                min_docs,
                keep,
            },
        )
    }

    #[test]
    fn later_repeats_are_removed_first_stays() {
        let mut ix = index(100, KeepPolicy::None);
        ix.observe(0, &[ps(1, 5), ps(1, 5)]);
        ix.observe(1, &[ps(1, 5), ps(2, 1)]);
        let id = |d: u32| format!("d{d}");
        let r0 = ix.removals(0, &[ps(1, 5), ps(1, 5)], &id);
        assert_eq!(r0.len(), 1);
        assert_eq!(r0[0].dup_of.as_ref().unwrap().passage, Some(0));
        let r1 = ix.removals(1, &[ps(1, 5), ps(2, 1)], &id);
        assert_eq!(r1.len(), 1);
        assert_eq!(r1[0].dup_of.as_ref().unwrap().doc, "d0");
    }

    #[test]
    fn boilerplate_goes_everywhere_or_keeps_first() {
        for (keep, first_removed) in [(KeepPolicy::None, 1), (KeepPolicy::First, 0)] {
            let mut ix = index(2, keep);
            ix.observe(0, &[ps(9, 1)]);
            ix.observe(1, &[ps(9, 1)]);
            let id = |d: u32| format!("d{d}");
            assert_eq!(ix.removals(0, &[ps(9, 1)], &id).len(), first_removed);
            let r = ix.removals(1, &[ps(9, 1)], &id);
            assert_eq!(&*r[0].rule, RULE_BOILERPLATE);
            assert_eq!(ix.boilerplate_passages(), 1);
        }
    }
}
