//! Near-repeat passages (`dup-passage-near`): a small MinHash per long passage, LSH bands
//! looked up in input order against the passages seen before, each candidate verified
//! (Jaccard, or containment for a truncated copy). The first occurrence stays.
//!
//! Fed in input order, so the decisions are final as soon as a document is observed and
//! do not depend on scheduling. Memory: per indexed passage `bands` entries of 8 bytes
//! (4-byte band key, 4-byte slot) in a table at most 3/4 full (`table.rs`), its signature
//! kept as 16-bit values (`2 × hashes` bytes; two different minima agree on 16 bits with
//! probability 2^-16, a negligible bias) and 12 bytes of position; passages found to be
//! repeats are not indexed.
use super::minhash::{self, MinHasher, Similarity};
use super::passage::IdMap;
use crate::document::{DupRef, Removal};
use std::sync::Arc;
use table::BandTable;

pub mod phased;
mod table;

/// The small signatures of a document's long passages and their LSH band keys, computed
/// with the document's sketch (in parallel), kept flat: one allocation per list, not per
/// passage.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PassageSigs {
    /// Index of the passage in its document and its shingle count, per signature.
    pub items: Vec<(u32, u32)>,
    /// The signatures, `bands × rows` values each.
    pub sigs: Vec<u32>,
    /// The band keys, `bands` each.
    pub keys: Vec<u32>,
}

impl PassageSigs {
    /// Add the signature of passage `passage` with these (non-empty) shingles.
    pub fn push(
        &mut self,
        m: &MinHasher,
        passage: u32,
        shingles: &[u32],
        bands: usize,
        rows: usize,
    ) {
        let at = self.sigs.len();
        self.sigs.resize(at + m.len(), minhash::EMPTY);
        let sig = &mut self.sigs[at..];
        m.update(sig, shingles);
        if rows > 0 && sig.len() == bands * rows {
            // The usual case, as `band_key` computes it, without its clamping per band.
            self.keys
                .extend(sig.chunks_exact(rows).enumerate().map(|(band, vals)| {
                    minhash::hash_values(&vals[..vals.len().min(64)], band as u64 + 1) as u32
                }));
        } else {
            for band in 0..bands {
                self.keys.push(band_key(sig, band, rows));
            }
        }
        self.items.push((passage, shingles.len() as u32));
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// The LSH key of one band of a passage signature.
fn band_key(sig: &[u32], band: usize, rows: usize) -> u32 {
    let lo = (band * rows).min(sig.len());
    let hi = ((band + 1) * rows).min(sig.len()).min(lo + 64);
    minhash::hash_values(&sig[lo..hi], band as u64 + 1) as u32
}

/// Thresholds of the near-passage index.
#[derive(Clone, Copy, Debug)]
pub struct NearParams {
    pub bands: usize,
    pub rows: usize,
    pub min_jaccard: f64,
    pub min_containment: f64,
    pub min_jaccard_contained: f64,
}

impl NearParams {
    /// Whether a later passage of `n_later` shingles with similarity `sim` to an earlier
    /// one of `n_earlier` repeats it.
    fn accepts(&self, sim: Similarity, n_earlier: u32, n_later: u32) -> bool {
        sim.jaccard >= self.min_jaccard
            || (sim.containment >= self.min_containment
                && sim.jaccard >= self.min_jaccard_contained
                && n_earlier.min(n_later) >= CONTAINED_MIN_SHINGLES)
    }
}

/// A later passage that repeats an earlier one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NearRepeat {
    pub passage: u32,
    pub of_doc: u32,
    pub of_passage: u32,
    pub similarity: f64,
}

pub const RULE_NEAR: &str = "dup-passage-near";

/// Containment is estimated from 16 values and the set sizes: too noisy for tiny sets
/// (list items sharing a tail), so the containment path needs this many shingles in the
/// smaller passage.
const CONTAINED_MIN_SHINGLES: u32 = 16;

/// Passages ahead whose band keys [`NearPassages::observe`] prefetches; those of a
/// document's first `AHEAD` passages come from [`NearPassages::prefetch`].
const AHEAD: usize = 2;

pub struct NearPassages {
    p: NearParams,
    keys: BandTable,
    sigs: Vec<u16>,
    slots: Vec<(u32, u32, u32)>,
    found: IdMap<Vec<NearRepeat>>,
    repeats: u64,
    /// Scratch list of candidate slots.
    cands: Vec<u32>,
    /// Scratch list of the keys a passage added to `keys`.
    added: Vec<u32>,
}

impl NearPassages {
    pub fn new(p: NearParams) -> Self {
        NearPassages {
            p,
            keys: BandTable::default(),
            sigs: Vec::new(),
            slots: Vec::new(),
            found: IdMap::default(),
            repeats: 0,
            cands: Vec::new(),
            added: Vec::new(),
        }
    }

    /// Look up and index the long passages of document `doc` (input order). `skip`
    /// says which passages are already removed (exact repeats, boilerplate).
    pub fn observe(&mut self, doc: u32, passages: &PassageSigs, skip: &dyn Fn(u32) -> bool) {
        let k = self.p.bands * self.p.rows;
        let nb = self.p.bands;
        let n = passages.items.len();
        if passages.sigs.len() != n * k || passages.keys.len() != n * nb {
            return;
        }
        let mut repeats = Vec::new();
        let mut cands = std::mem::take(&mut self.cands);
        let mut added = std::mem::take(&mut self.added);
        for (i, &(passage, shingles)) in passages.items.iter().enumerate() {
            if skip(passage) || shingles == 0 {
                continue;
            }
            let sig = &passages.sigs[i * k..(i + 1) * k];
            let keys = &passages.keys[i * nb..(i + 1) * nb];
            // The slot this passage gets when it is no repeat. Its keys are looked up and,
            // where missing, inserted with one lookup each (most passages are indexed);
            // if it turns out to be a repeat, the keys it inserted are taken out again.
            let Some(slot) = u32::try_from(self.slots.len())
                .ok()
                .filter(|&s| s < u32::MAX)
            else {
                break;
            };
            // The next passages' band keys are cache misses: start loading them now.
            if let Some(next) = passages.keys.get((i + AHEAD) * nb..(i + AHEAD + 1) * nb) {
                for &key in next {
                    self.keys.prefetch(key);
                }
            }
            cands.clear();
            added.clear();
            for &key in keys {
                match self.keys.get_or_insert(key, slot) {
                    Some(s) if s != slot => cands.push(s),
                    Some(_) => {}
                    None => added.push(key),
                }
            }
            cands.sort_unstable();
            cands.dedup();
            let mut best: Option<(u32, Similarity)> = None;
            for &slot in &cands {
                let s = slot as usize;
                let (_, _, n) = self.slots[s];
                let sim = similarity16(&self.sigs[s * k..(s + 1) * k], n, sig, shingles);
                let ok = self.p.accepts(sim, n, shingles);
                let better = match best {
                    None => true,
                    Some((_, b)) => sim.jaccard > b.jaccard,
                };
                if ok && better {
                    best = Some((slot, sim));
                }
            }
            if let Some((of, sim)) = best {
                let (of_doc, of_passage, _) = self.slots[of as usize];
                repeats.push(NearRepeat {
                    passage,
                    of_doc,
                    of_passage,
                    similarity: sim.jaccard,
                });
                for &key in &added {
                    self.keys.remove(key);
                }
                continue;
            }
            self.slots.push((doc, passage, shingles));
            self.sigs.extend(sig.iter().map(|&v| v as u16));
        }
        self.cands = cands;
        self.added = added;
        if !repeats.is_empty() {
            self.repeats += repeats.len() as u64;
            self.found.insert(doc as u64, repeats);
        }
    }

    pub fn indexed(&self) -> usize {
        self.slots.len()
    }

    /// The repeats found, by document (number in input order).
    pub fn take_found(&mut self) -> Vec<(u64, Vec<NearRepeat>)> {
        std::mem::take(&mut self.found).into_iter().collect()
    }

    pub fn repeats(&self) -> u64 {
        self.repeats
    }

    /// Approximate bytes held.
    pub fn bytes(&self) -> usize {
        self.keys.bytes() + self.sigs.capacity() * 2 + self.slots.capacity() * 12
    }
}

/// The removals of a document's near repeats under `(rule, category)`; `span` gives a
/// passage's byte span, `id_of` names a document.
fn repeat_removals(
    list: &[NearRepeat],
    (rule, category): (&Arc<str>, &Arc<str>),
    span: &dyn Fn(u32) -> Option<(usize, usize)>,
    id_of: &dyn Fn(u32) -> String,
) -> Vec<Removal> {
    list.iter()
        .filter_map(|r| {
            let (start, end) = span(r.passage)?;
            Some(Removal {
                start,
                end,
                rule: rule.clone(),
                category: category.clone(),
                dup_of: Some(DupRef {
                    doc: id_of(r.of_doc),
                    passage: Some(r.of_passage as usize),
                    similarity: Some((r.similarity * 1e4).round() / 1e4),
                }),
            })
        })
        .collect()
}

/// [`minhash::similarity`] against a signature stored as 16-bit values.
fn similarity16(stored: &[u16], n_stored: u32, sig: &[u32], n: u32) -> Similarity {
    let k = stored.len().min(sig.len());
    let equal = stored
        .iter()
        .zip(sig)
        .filter(|(a, b)| **a == **b as u16)
        .count();
    minhash::estimate(equal, k, n_stored, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sigs(m: &MinHasher, list: &[&[u32]]) -> PassageSigs {
        let mut out = PassageSigs::default();
        for (p, shingles) in list.iter().enumerate() {
            out.push(m, p as u32, shingles, 8, 2);
        }
        out
    }

    /// The band keys are [`band_key`] of each band, whatever the shape of the bands.
    #[test]
    fn band_keys_are_band_key() {
        let shingles: Vec<u32> = (0..40u32).map(|x| x.wrapping_mul(0x9E37_79B1)).collect();
        for (bands, rows) in [(8, 2), (16, 1), (4, 4), (3, 5), (1, 80), (2, 70)] {
            let m = MinHasher::new(bands * rows, 9);
            let mut out = PassageSigs::default();
            out.push(&m, 0, &shingles, bands, rows);
            let want: Vec<u32> = (0..bands).map(|b| band_key(&out.sigs, b, rows)).collect();
            assert_eq!(out.keys, want, "{bands} x {rows}");
        }
    }

    #[test]
    fn an_edited_copy_is_a_near_repeat_of_the_first() {
        let p = NearParams {
            bands: 8,
            rows: 2,
            min_jaccard: 0.6,
            min_containment: 0.85,
            min_jaccard_contained: 0.4,
        };
        let m = MinHasher::new(16, 5);
        let base: Vec<u32> = (0..60u32).map(|x| x.wrapping_mul(0x9E37_79B1)).collect();
        let mut edited = base.clone();
        edited[30] = 7;
        let other: Vec<u32> = (1000..1060u32)
            .map(|x| x.wrapping_mul(0x85EB_CA77))
            .collect();
        let mut ix = NearPassages::new(p);
        ix.observe(0, &sigs(&m, &[&base, &other]), &|_| false);
        ix.observe(1, &sigs(&m, &[&edited, &base[..30]]), &|_| false);
        let id = |d: u32| format!("d{d}");
        let span = |p: u32| Some((p as usize * 10, p as usize * 10 + 5));
        // As a run's result names them (`phased::NearResult::removals`).
        let (rule, category): (Arc<str>, Arc<str>) = (RULE_NEAR.into(), "duplicate".into());
        let removals = |doc: u32| {
            let list = ix.found.get(&u64::from(doc)).map_or(&[][..], Vec::as_slice);
            repeat_removals(list, (&rule, &category), &span, &id)
        };
        assert!(removals(0).is_empty());
        let r = removals(1);
        assert_eq!(r.len(), 2, "{r:?}");
        assert_eq!(r[0].dup_of.as_ref().unwrap().doc, "d0");
        assert_eq!(r[0].dup_of.as_ref().unwrap().passage, Some(0));
        assert_eq!(ix.indexed(), 2);
        // The repeats' keys were taken out again: only the indexed passages' are held.
        let indexed = sigs(&m, &[&base, &other]);
        let mut want: Vec<u32> = indexed.keys.clone();
        want.sort_unstable();
        want.dedup();
        let mut held: Vec<u32> = ix.keys.keys().collect();
        held.sort_unstable();
        assert_eq!(held, want);
    }
}
