//! Phase 3 of dedup: document verdicts. Exact duplicates by hash of the cleaned text (in
//! input order); near duplicates by LSH over MinHash band hashes → candidate pairs →
//! verification against the stored signatures → union-find clusters that keep their
//! first document. Each step is a function from plain data to plain data.
use super::cluster::UnionFind;
use super::minhash::{self, MinHasher, Similarity};
use super::passage::ShardedIdMap;
use super::sketch::ShortPassage;
use super::DocumentConfig;
use crate::error::Result;
use rayon::prelude::*;

/// First document of each exact hash, fed in input order.
#[derive(Default)]
pub struct ExactIndex {
    map: ShardedIdMap<u32>,
}

impl ExactIndex {
    /// Record `doc` with `hash`; returns the earlier document with the same hash, if any.
    pub fn observe(&mut self, doc: u32, hash: u64) -> Option<u32> {
        match self.map.entry(hash) {
            std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(doc);
                None
            }
        }
    }

    pub fn entries(&self) -> usize {
        self.map.len()
    }

    pub fn bytes(&self) -> usize {
        self.map.capacity() * (8 + 4 + 1)
    }
}

/// The final signature of a document: the long-passage signature lowered by the short
/// passages that are not boilerplate (`is_boilerplate` by the passage's hash). Returns the
/// number of shingles in the set.
pub fn final_signature(
    minhasher: &MinHasher,
    sig: &mut [u32],
    long_shingles: u32,
    short: &[ShortPassage],
    short_shingles: &[u32],
    is_boilerplate: &dyn Fn(u64) -> bool,
) -> u32 {
    let mut n = long_shingles;
    let mut at = 0usize;
    for sp in short {
        let end = (at + sp.shingles as usize).min(short_shingles.len());
        if !is_boilerplate(sp.hash) {
            minhasher.update(sig, &short_shingles[at..end]);
            n += sp.shingles;
        }
        at = end;
    }
    n
}

/// Band hashes of every document (`bands` per document, row-major); documents without a
/// signature (exact duplicates, no shingles) are inactive. The in-memory reference for
/// the partitioned LSH of [`super::bands`].
#[cfg(test)]
pub struct BandIndex {
    pub bands: usize,
    pub hashes: Vec<u32>,
    pub active: Vec<bool>,
}

#[cfg(test)]
impl BandIndex {
    pub fn new(bands: usize) -> Self {
        BandIndex {
            bands,
            hashes: Vec::new(),
            active: Vec::new(),
        }
    }

    /// An empty index with room for `docs` documents.
    pub fn with_capacity(bands: usize, docs: usize) -> Self {
        BandIndex {
            bands,
            hashes: Vec::with_capacity(bands.saturating_mul(docs)),
            active: Vec::with_capacity(docs),
        }
    }

    /// Append the next document's bands (`None`: inactive).
    pub fn push(&mut self, sig: Option<&[u32]>, rows: usize) {
        match sig {
            Some(s) => {
                minhash::band_hashes(s, self.bands, rows, &mut self.hashes);
                self.active.push(true);
            }
            None => {
                self.hashes.extend(std::iter::repeat_n(0, self.bands));
                self.active.push(false);
            }
        }
    }

    /// Append the band hashes (`bands` per document) and activity of documents whose
    /// hashes were computed elsewhere ([`minhash::band_hashes`]; zeros when inactive).
    pub fn append(&mut self, hashes: &[u32], active: &[bool]) {
        self.hashes.extend_from_slice(hashes);
        self.active.extend_from_slice(active);
    }

    pub fn docs(&self) -> usize {
        self.active.len()
    }

    pub fn bytes(&self) -> usize {
        self.hashes.len() * 4 + self.active.len()
    }
}

/// Candidate pairs `(a, b)`, `a < b`, sharing at least one band, sorted and unique.
/// A bucket of more than `max_bucket` documents links each member to the bucket's first
/// `max_bucket` members only (bounded work on pathological buckets).
#[cfg(test)]
pub fn candidates(index: &BandIndex, max_bucket: usize) -> Vec<(u32, u32)> {
    let n = index.docs();
    let max_bucket = max_bucket.max(2);
    // (hash, doc) and (a, b) pairs are sorted packed into one u64 (high half first):
    // the same order as the tuples, with one comparison instead of two. Bands go in
    // groups, so each document's row of band hashes is read once per group, not once per
    // band.
    let groups = index.bands.div_ceil(BAND_GROUP);
    let per_group: Vec<Vec<u64>> = (0..groups)
        .into_par_iter()
        .map(|g| {
            let lo = g * BAND_GROUP;
            let hi = (lo + BAND_GROUP).min(index.bands);
            let mut keys: Vec<Vec<u64>> = (lo..hi).map(|_| Vec::with_capacity(n)).collect();
            for d in (0..n).filter(|&d| index.active[d]) {
                let row = &index.hashes[d * index.bands + lo..d * index.bands + hi];
                for (k, &h) in keys.iter_mut().zip(row) {
                    k.push((u64::from(h) << 32) | d as u64);
                }
            }
            let mut pairs = Vec::new();
            let mut scratch = Vec::new();
            for k in &mut keys {
                sort_keys(k, &mut scratch);
                bucket_pairs(k, max_bucket, &mut pairs);
            }
            drop(keys);
            // A similar pair collides in many bands: unique within the group before the
            // groups meet, so the pairs of all groups are never held with their repeats.
            pairs.sort_unstable();
            pairs.dedup();
            pairs.shrink_to_fit();
            pairs
        })
        .collect();
    let total = per_group.iter().map(Vec::len).sum();
    let mut all: Vec<u64> = Vec::with_capacity(total);
    for g in per_group {
        all.extend_from_slice(&g);
    }
    all.par_sort_unstable();
    all.dedup();
    let mut out = Vec::with_capacity(all.len());
    out.extend(all.iter().map(|&p| ((p >> 32) as u32, p as u32)));
    out
}

/// Bands whose keys one task gathers and sorts.
#[cfg(test)]
const BAND_GROUP: usize = 8;

/// Sort (hash << 32 | doc) keys that come in increasing doc order: the same order as
/// `sort_unstable`, by a stable least-significant-digit radix sort of the hash alone
/// (three 11-bit digits, each bucket table small enough for L1).
pub(super) fn sort_keys(keys: &mut Vec<u64>, scratch: &mut Vec<u64>) {
    if keys.len() < 256 {
        keys.sort_unstable();
        return;
    }
    const BITS: u32 = 11;
    const SHIFTS: [u32; 3] = [32, 32 + BITS, 32 + 2 * BITS];
    let mut counts = [[0u32; 1 << BITS]; 3];
    for &k in keys.iter() {
        for (c, shift) in counts.iter_mut().zip(SHIFTS) {
            c[((k >> shift) & ((1 << BITS) - 1)) as usize] += 1;
        }
    }
    scratch.clear();
    scratch.resize(keys.len(), 0);
    for (c, shift) in counts.iter_mut().zip(SHIFTS) {
        let mut at = 0u32;
        for slot in c.iter_mut() {
            let n = *slot;
            *slot = at;
            at += n;
        }
        for &k in keys.iter() {
            let b = ((k >> shift) & ((1 << BITS) - 1)) as usize;
            scratch[c[b] as usize] = k;
            c[b] += 1;
        }
        std::mem::swap(keys, scratch);
    }
}

/// Append the pairs of each bucket of equal hashes in sorted `keys` to `pairs`.
pub(super) fn bucket_pairs(keys: &[u64], max_bucket: usize, pairs: &mut Vec<u64>) {
    let mut i = 0;
    while i < keys.len() {
        let hash = keys[i] >> 32;
        let mut j = i + 1;
        while j < keys.len() && keys[j] >> 32 == hash {
            j += 1;
        }
        let bucket = &keys[i..j];
        for (x, &kb) in bucket.iter().enumerate().skip(1) {
            let b = kb as u32;
            for &ka in &bucket[..x.min(max_bucket)] {
                pairs.push((u64::from(ka as u32) << 32) | u64::from(b));
            }
        }
        i = j;
    }
}

/// A document's signature and shingle count, by document index.
pub type SigLookup<'a> = dyn Fn(u32) -> Result<(Vec<u32>, u32)> + Sync + 'a;

/// The signature of a document into a buffer (replaced), returning its shingle count:
/// verification looks up two per candidate pair, without an allocation each.
pub type SigInto<'a> = dyn Fn(u32, &mut Vec<u32>) -> Result<u32> + Sync + 'a;

/// How a verified pair of documents is linked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// By Jaccard similarity: a near copy either way.
    Similar,
    /// By containment alone: the later document is a truncated copy or an excerpt of the
    /// earlier one (one-way; see [`clusters`]).
    Contained,
}

/// Does a measured similarity make a pair duplicates, and how? `shingles`: those of the
/// smaller document; `cut`: cleaning cut both documents to less than half.
/// - a cut pair needs Jaccard `cut_min_jaccard` (what is left of two tables or recurring
///   reports is more alike than they were);
/// - a short pair (under `short_shingles`) needs `short_min_jaccard`, and containment
///   alone does not do (in a short text one new figure or name moves the estimate a lot);
/// - otherwise Jaccard `min_jaccard`, or the later document contained at least
///   `min_containment` in the earlier one with Jaccard at least `min_jaccard_contained`.
pub fn link(sim: &Similarity, shingles: u32, cut: bool, cfg: &DocumentConfig) -> Option<Link> {
    if cut && sim.jaccard < cfg.cut_min_jaccard {
        return None;
    }
    if shingles < cfg.short_shingles {
        return (sim.jaccard >= cfg.short_min_jaccard).then_some(Link::Similar);
    }
    if sim.jaccard >= cfg.min_jaccard {
        Some(Link::Similar)
    } else if sim.containment >= cfg.min_containment && sim.jaccard >= cfg.min_jaccard_contained {
        Some(Link::Contained)
    } else {
        None
    }
}

/// A verified pair: earlier and later document, their similarity and how they are linked.
pub type Verified = (u32, u32, Similarity, Link);

/// Measure every candidate pair from the stored signatures; keep the duplicates.
/// `cut(d)`: cleaning removed more than half of document `d` (see [`link`]).
pub fn verify(
    pairs: &[(u32, u32)],
    sigs: &SigInto<'_>,
    cut: &(dyn Fn(u32) -> bool + Sync),
    cfg: &DocumentConfig,
) -> Result<Vec<Verified>> {
    let chunks: Vec<Result<Vec<Verified>>> = pairs
        .par_chunks(4096)
        .map(|chunk| {
            let mut out = Vec::new();
            // The earlier document's signature, kept while it stays the same.
            let (mut sa, mut sb) = (Vec::new(), Vec::new());
            let mut cached: Option<(u32, u32)> = None;
            for &(a, b) in chunk {
                let na = match cached {
                    Some((d, n)) if d == a => n,
                    _ => {
                        let n = sigs(a, &mut sa)?;
                        cached = Some((a, n));
                        n
                    }
                };
                let nb = sigs(b, &mut sb)?;
                if na.min(nb) < cfg.min_shingles {
                    continue;
                }
                let sim = minhash::similarity(&sa, na, &sb, nb);
                if let Some(l) = link(&sim, na.min(nb), cut(a) && cut(b), cfg) {
                    out.push((a, b, sim, l));
                }
            }
            Ok(out)
        })
        .collect();
    let mut all = Vec::new();
    for c in chunks {
        all.extend(c?);
    }
    Ok(all)
}

/// Why a document is rejected by dedup.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DocVerdict {
    Keep,
    Exact { of: u32 },
    Near { of: u32, similarity: Similarity },
}

/// Cluster statistics for the report.
#[derive(Clone, Debug, Default)]
pub struct Clusters {
    /// Clusters with at least two members (exact and near duplicates together).
    pub count: usize,
    /// Cluster size → number of clusters.
    pub sizes: std::collections::BTreeMap<usize, usize>,
    /// The largest clusters: (size, member indices, first is the survivor).
    pub largest: Vec<(usize, Vec<u32>)>,
}

/// Union-find over exact links and verified pairs; every document that is not the first
/// of its cluster becomes a duplicate of that first document.
///
/// A pair linked by containment alone ([`Link::Contained`]: a truncated copy, an
/// excerpt) is one-way and never joins two clusters: once the pairs verified by
/// Jaccard are joined, a document still alone (and without exact copies) that is
/// contained in earlier ones joins the cluster of the smallest of their first documents;
/// one that is already in a cluster is left as it is. So a truncated near copy of A that
/// is also contained in an unrelated earlier B does not make A a duplicate of B. The
/// result does not depend on the order of `verified`.
pub fn clusters(
    exact_of: &[Option<u32>],
    verified: &[Verified],
    sigs: &SigLookup<'_>,
    largest: usize,
) -> Result<(Vec<DocVerdict>, Clusters)> {
    let n = exact_of.len();
    let mut uf = UnionFind::new(n);
    for (a, b, _, _) in verified.iter().filter(|v| v.3 == Link::Similar) {
        uf.union(*a, *b);
    }
    let first: Vec<u32> = (0..n as u32).map(|d| uf.find(d)).collect();
    let mut size = vec![0u32; n];
    for &r in &first {
        size[r as usize] += 1;
    }
    for f in exact_of.iter().flatten() {
        size[*f as usize] += 1;
    }
    let mut target = vec![u32::MAX; n];
    for (a, b, _, _) in verified.iter().filter(|v| v.3 == Link::Contained) {
        if size[*b as usize] == 1 {
            let t = &mut target[*b as usize];
            *t = (*t).min(first[*a as usize]);
        }
    }
    for (b, &t) in target.iter().enumerate() {
        if t != u32::MAX {
            uf.union(t, b as u32);
        }
    }
    // Exact duplicates join the cluster of their first copy (they have no signature).
    let mut verdicts = vec![DocVerdict::Keep; n];
    let roots: Vec<u32> = (0..n as u32).map(|d| uf.find(d)).collect();
    let mut members: Vec<u32> = vec![0; n];
    for (d, of) in exact_of.iter().enumerate() {
        let root = match of {
            Some(f) => roots[*f as usize],
            None => roots[d],
        };
        members[root as usize] += 1;
        if of.is_some() {
            verdicts[d] = DocVerdict::Exact { of: root };
        } else if root != d as u32 {
            let (sr, nr) = sigs(root)?;
            let (sd, nd) = sigs(d as u32)?;
            verdicts[d] = DocVerdict::Near {
                of: root,
                similarity: minhash::similarity(&sr, nr, &sd, nd),
            };
        }
    }
    let mut stats = Clusters::default();
    let mut big: Vec<(usize, u32)> = Vec::new();
    for (root, &m) in members.iter().enumerate() {
        if m >= 2 {
            stats.count += 1;
            *stats.sizes.entry(m as usize).or_default() += 1;
            big.push((m as usize, root as u32));
        }
    }
    big.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    big.truncate(largest);
    for (size, root) in big {
        let list: Vec<u32> = (0..n as u32)
            .filter(|&d| {
                let r = match exact_of[d as usize] {
                    Some(f) => roots[f as usize],
                    None => roots[d as usize],
                };
                r == root
            })
            .take(20)
            .collect();
        stats.largest.push((size, list));
    }
    Ok((verdicts, stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two documents both cut by cleaning need `cut_min_jaccard`; one cut document, or
    /// the rule off, is judged as any pair.
    #[test]
    fn pairs_both_cut_by_cleaning_need_cut_min_jaccard() {
        let cfg = DocumentConfig::default();
        let sim = |jaccard, containment| Similarity {
            jaccard,
            containment,
        };
        let template = sim(0.65, 0.8);
        assert_eq!(link(&template, 100, false, &cfg), Some(Link::Similar));
        assert_eq!(link(&template, 100, true, &cfg), None);
        assert_eq!(link(&sim(0.85, 0.9), 100, true, &cfg), Some(Link::Similar));
        // Containment alone does not do for a cut pair.
        assert_eq!(link(&sim(0.4, 0.95), 100, true, &cfg), None);
        assert_eq!(
            link(&sim(0.4, 0.95), 100, false, &cfg),
            Some(Link::Contained)
        );
        let off = DocumentConfig {
            cut_min_jaccard: 0.0,
            ..cfg.clone()
        };
        assert_eq!(link(&template, 100, true, &off), Some(Link::Similar));
        // A short pair: Jaccard short_min_jaccard, never containment.
        assert_eq!(link(&sim(0.55, 1.0), 20, false, &cfg), None);
        assert_eq!(link(&sim(0.6, 0.7), 20, false, &cfg), Some(Link::Similar));
    }

    /// Random-ish 32-bit shingles.
    fn set(range: std::ops::Range<u32>, salt: u32) -> Vec<u32> {
        range
            .map(|x| (x ^ salt).wrapping_mul(0x9E37_79B1).rotate_left(13) ^ salt)
            .collect()
    }

    fn exact_jaccard(a: &[u32], b: &[u32]) -> f64 {
        let sa: std::collections::BTreeSet<_> = a.iter().collect();
        let sb: std::collections::BTreeSet<_> = b.iter().collect();
        let inter = sa.intersection(&sb).count() as f64;
        inter / ((sa.len() + sb.len()) as f64 - inter)
    }

    /// LSH + verification against brute force: every pair with exact Jaccard >= 0.6 is
    /// found, and no pair below 0.2 is.
    #[test]
    fn lsh_agrees_with_brute_force_similarity() {
        let cfg = DocumentConfig::default();
        let mh = MinHasher::new(cfg.num_hashes, 11);
        // 30 base sets, and for each one copies with a growing share of replaced shingles.
        let mut docs: Vec<Vec<u32>> = Vec::new();
        for base in 0..30u32 {
            let orig = set(0..400, base * 7919 + 1);
            docs.push(orig.clone());
            for (k, frac) in [0.05, 0.2, 0.5, 0.9].iter().enumerate() {
                let mut copy = orig.clone();
                let cut = (400.0 * frac) as usize;
                let fresh = set(0..cut as u32, 1_000_003 * (base + 1) + k as u32);
                copy[..cut].copy_from_slice(&fresh);
                docs.push(copy);
            }
        }
        let sigs: Vec<Vec<u32>> = docs
            .iter()
            .map(|d| {
                let mut s = mh.empty();
                mh.update(&mut s, d);
                s
            })
            .collect();
        let mut bands = BandIndex::new(cfg.bands);
        for s in &sigs {
            bands.push(Some(s), cfg.rows);
        }
        let lookup = |d: u32, out: &mut Vec<u32>| {
            out.clone_from(&sigs[d as usize]);
            Ok(docs[d as usize].len() as u32)
        };
        let pairs = candidates(&bands, cfg.max_bucket_pairs);
        let found = verify(&pairs, &lookup, &|_| false, &cfg).unwrap();
        let found: std::collections::BTreeSet<(u32, u32)> =
            found.iter().map(|&(a, b, _, _)| (a, b)).collect();
        let mut checked_high = 0;
        for a in 0..docs.len() {
            for b in a + 1..docs.len() {
                let j = exact_jaccard(&docs[a], &docs[b]);
                let hit = found.contains(&(a as u32, b as u32));
                if j >= 0.6 {
                    checked_high += 1;
                    assert!(hit, "pair ({a},{b}) with J={j:.2} missed");
                }
                if j < 0.2 {
                    assert!(!hit, "pair ({a},{b}) with J={j:.2} reported");
                }
            }
        }
        assert!(checked_high >= 60, "{checked_high}");
    }

    #[test]
    fn sort_keys_is_sort_unstable() {
        let mut rng = crate::test_rng::XorShift::new(0x9E37_79B9_7F4A_7C15);
        let mut next = || rng.below(1 << 32) as u32;
        // Random hashes; a few distinct hashes; hashes that differ only in their low
        // 16 bits (the top digit all zero).
        let kinds: [&dyn Fn(u32) -> u32; 3] = [&|h| h, &|h| h % 5, &|h| h & 0xFFFF];
        for n in [0usize, 1, 255, 256, 257, 1000, 5000] {
            for (k, kind) in kinds.iter().enumerate() {
                let keys: Vec<u64> = (0..n as u64)
                    .map(|d| u64::from(kind(next())) << 32 | d)
                    .collect();
                let mut want = keys.clone();
                want.sort_unstable();
                let mut got = keys;
                sort_keys(&mut got, &mut Vec::new());
                assert_eq!(got, want, "n {n} kind {k}");
            }
        }
    }

    #[test]
    fn clusters_keep_the_first_document() {
        let sim = Similarity {
            jaccard: 0.9,
            containment: 0.9,
        };
        let sigs = |_d: u32| Ok((vec![1u32, 2, 3], 3u32));
        let exact_of = vec![None, None, Some(0), None];
        let pairs = [(1, 3, sim, Link::Similar), (0, 1, sim, Link::Similar)];
        let (v, stats) = clusters(&exact_of, &pairs, &sigs, 5).unwrap();
        assert_eq!(v[0], DocVerdict::Keep);
        assert!(matches!(v[1], DocVerdict::Near { of: 0, .. }));
        assert_eq!(v[2], DocVerdict::Exact { of: 0 });
        assert!(matches!(v[3], DocVerdict::Near { of: 0, .. }));
        assert_eq!(stats.count, 1);
        assert_eq!(stats.largest[0], (4, vec![0, 1, 2, 3]));
    }

    /// Containment alone never bridges: 2 is a near copy of 1 and contained in the
    /// unrelated 0; 1 stays. 3, alone and contained in 0 and in 1, joins the cluster of 0.
    #[test]
    fn containment_alone_attaches_a_lone_document_and_bridges_nothing() {
        let near = Similarity {
            jaccard: 0.6,
            containment: 0.9,
        };
        let inside = Similarity {
            jaccard: 0.3,
            containment: 1.0,
        };
        let sigs = |_d: u32| Ok((vec![1u32, 2, 3], 3u32));
        let exact_of = vec![None; 4];
        let pairs = [
            (1, 2, near, Link::Similar),
            (0, 2, inside, Link::Contained),
            (0, 3, inside, Link::Contained),
            (1, 3, inside, Link::Contained),
        ];
        for order in [[0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1]] {
            let v: Vec<_> = order.iter().map(|&i| pairs[i]).collect();
            let (got, _) = clusters(&exact_of, &v, &sigs, 5).unwrap();
            assert_eq!(got[0], DocVerdict::Keep);
            assert_eq!(
                got[1],
                DocVerdict::Keep,
                "an unrelated copy bridged 1 into 0"
            );
            assert!(matches!(got[2], DocVerdict::Near { of: 1, .. }));
            assert!(matches!(got[3], DocVerdict::Near { of: 0, .. }));
        }
    }
}
