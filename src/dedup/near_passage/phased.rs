//! Near-passage dedup as phases over files, so that memory holds one partition of the
//! index, not the index of the corpus:
//!
//! 1. **record** ([`NearWriter`], in input order): each long passage that is not already
//!    removed goes to one file (document, passage, shingles, its signature as 16-bit
//!    values, its band keys), and each of its band keys with the passage's number to the
//!    hash partition of the key;
//! 2. **components** (in [`decide`]): per key partition, the passages sorted by key are
//!    joined (union-find over passage numbers, a parent array of 4 bytes a passage); a
//!    passage is compared only with earlier passages holding one of its keys, all in its
//!    component;
//! 3. **scatter**: the passages, read back in input order, go to the partition of their
//!    component;
//! 4. **walk**: per partition, in parallel, the sequential index ([`NearPassages`]) runs
//!    over the partition's passages in input order. Components are independent, so each
//!    passage gets the verdict and the original it gets in one run over all passages
//!    (`key_components` and its property test), whatever the partition count: a passage
//!    is dropped when an earlier *kept* passage verifies, as in the single run.
//!
//! Signatures are stored as 16-bit values; the index compares only those bits, so the
//! verdicts are those of the full values.
use super::{NearParams, NearPassages, NearRepeat, PassageSigs};
use crate::dedup::cluster::UnionFind;
use crate::dedup::passage::IdMap;
use crate::dedup::runfile::{self, Kind, RunReader, RunWriter, Slot};
use crate::document::Removal;
use crate::error::{Error, Result};
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::Arc;

/// Bytes of a key record: band key, passage number (u32 each).
const KEY_BYTES: usize = 8;
/// Bytes staged per partition before they go to its file.
const STAGE_BYTES: usize = 32 << 10;

/// Bytes of a passage record for `k` signature values and `bands` keys.
fn passage_bytes(k: usize, bands: usize) -> usize {
    12 + 2 * k + 4 * bands
}

/// The files of one near-passage run.
pub struct NearFiles {
    passages: (PathBuf, PathBuf),
    keys: Vec<(PathBuf, PathBuf)>,
    parts: Vec<(PathBuf, PathBuf)>,
    params: u64,
    p: NearParams,
}

impl NearFiles {
    /// Names for the passage file and `key_partitions` key partitions from `name(stem)`,
    /// which also registers each for removal at the end of the run; `params` hashes what
    /// shaped the records.
    pub fn new(
        p: NearParams,
        key_partitions: usize,
        params: u64,
        mut name: impl FnMut(&str) -> PathBuf,
    ) -> NearFiles {
        let mut pair = |stem: String| (name(&stem), name(&format!("{stem}-partial")));
        NearFiles {
            passages: pair("near-passages".into()),
            keys: (0..key_partitions)
                .map(|i| pair(format!("near-keys-{i:04}")))
                .collect(),
            parts: Vec::new(),
            params,
            p,
        }
    }

    /// Names for the `n` partitions of components [`decide`] writes.
    pub fn set_partitions(&mut self, n: usize, mut name: impl FnMut(&str) -> PathBuf) {
        self.parts = (0..n.max(1))
            .map(|i| {
                let stem = format!("near-part-{i:04}");
                (name(&stem), name(&format!("{stem}-partial")))
            })
            .collect();
    }

    fn passage_kind(&self, phase: &'static str) -> Kind {
        let k = self.p.bands * self.p.rows;
        Kind {
            phase,
            record_bytes: passage_bytes(k, self.p.bands) as u32,
            params: self.params,
        }
    }

    fn key_kind(&self) -> Kind {
        Kind {
            phase: "near-keys",
            record_bytes: KEY_BYTES as u32,
            params: self.params,
        }
    }

    fn slot(i: usize) -> Slot {
        Slot {
            shard: 0,
            partition: i as u32,
        }
    }

    /// Remove every file that exists.
    pub fn remove(&self) {
        let all = std::iter::once(&self.passages)
            .chain(&self.keys)
            .chain(&self.parts);
        for (a, b) in all {
            let _ = std::fs::remove_file(a);
            let _ = std::fs::remove_file(b);
        }
    }
}

/// The hash of the parameters that shape the records.
pub fn params(p: &NearParams, seed: u64, partitions: usize) -> u64 {
    let text = format!("{p:?} {seed} {partitions}");
    runfile::params_hash(&[text.as_bytes()])
}

/// Phase 1: records the long passages, in input order, into the files it holds until
/// [`NearWriter::finish`] hands them on.
pub struct NearWriter {
    files: NearFiles,
    passages: RunWriter,
    staged: Vec<u8>,
    keys: Vec<RunWriter>,
    key_stage: Vec<Vec<u8>>,
    /// Passages recorded so far (the next one's number).
    count: u32,
    bytes: u64,
}

impl NearWriter {
    pub fn create(files: NearFiles) -> Result<NearWriter> {
        let passages = RunWriter::create(
            &files.passages.0,
            &files.passages.1,
            files.passage_kind("near-passages"),
            NearFiles::slot(0),
        )?;
        let keys = files
            .keys
            .iter()
            .enumerate()
            .map(|(i, (path, tmp))| {
                RunWriter::create(path, tmp, files.key_kind(), NearFiles::slot(i))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(NearWriter {
            files,
            passages,
            staged: Vec::new(),
            key_stage: vec![Vec::new(); keys.len()],
            keys,
            count: 0,
            bytes: 0,
        })
    }

    /// Record the long passages of document `doc` that `skip` does not exclude (the
    /// passages [`NearPassages::observe`] would look up).
    pub fn observe(
        &mut self,
        doc: u32,
        passages: &PassageSigs,
        skip: &dyn Fn(u32) -> bool,
    ) -> Result<()> {
        let p = self.files.p;
        let (k, nb) = (p.bands * p.rows, p.bands);
        let n = passages.items.len();
        if passages.sigs.len() != n * k || passages.keys.len() != n * nb {
            return Ok(());
        }
        let parts = self.keys.len();
        for (i, &(passage, shingles)) in passages.items.iter().enumerate() {
            if skip(passage) || shingles == 0 {
                continue;
            }
            let seq = self.count;
            self.count = seq
                .checked_add(1)
                .ok_or_else(|| Error::Usage("dedup: more than 4 billion long passages".into()))?;
            let st = &mut self.staged;
            st.extend_from_slice(&doc.to_le_bytes());
            st.extend_from_slice(&passage.to_le_bytes());
            st.extend_from_slice(&shingles.to_le_bytes());
            for &v in &passages.sigs[i * k..(i + 1) * k] {
                st.extend_from_slice(&(v as u16).to_le_bytes());
            }
            let keys = &passages.keys[i * nb..(i + 1) * nb];
            for &key in keys {
                st.extend_from_slice(&key.to_le_bytes());
                let part = partition_of(key, parts);
                let ks = &mut self.key_stage[part];
                ks.extend_from_slice(&key.to_le_bytes());
                ks.extend_from_slice(&seq.to_le_bytes());
                if ks.len() >= STAGE_BYTES {
                    self.keys[part].push(ks)?;
                    ks.clear();
                }
            }
            if self.staged.len() >= STAGE_BYTES {
                self.passages.push(&self.staged)?;
                self.staged.clear();
            }
        }
        Ok(())
    }

    /// Close the files; returns them, the passages recorded and the bytes written.
    pub fn finish(mut self) -> Result<(NearFiles, u32, u64)> {
        self.passages.push(&self.staged)?;
        self.bytes += self.passages.finish()?;
        for (w, st) in self.keys.iter_mut().zip(&self.key_stage) {
            w.push(st)?;
        }
        for w in self.keys {
            self.bytes += w.finish()?;
        }
        Ok((self.files, self.count, self.bytes))
    }
}

fn partition_of(x: u32, parts: usize) -> usize {
    let h = u64::from(x).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
    ((h * parts as u64) >> 32) as usize
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

/// What near-passage dedup found: the repeats of each document.
pub struct NearResult {
    found: IdMap<Vec<NearRepeat>>,
    pub indexed: usize,
    pub repeats: u64,
    /// The largest partition's index, in bytes (one is held per thread at a time).
    pub index_bytes: usize,
    /// Passages in the largest component (which one partition holds whole).
    pub largest_component: u32,
    /// Bytes of the temporary files written.
    pub file_bytes: u64,
    rule: Arc<str>,
    category: Arc<str>,
}

impl NearResult {
    /// The near-repeat removals of document `doc`; `span` gives a passage's byte span.
    pub fn removals(
        &self,
        doc: u32,
        span: &dyn Fn(u32) -> Option<(usize, usize)>,
        id_of: &dyn Fn(u32) -> String,
    ) -> Vec<Removal> {
        let list = self.found.get(&(doc as u64)).map_or(&[][..], Vec::as_slice);
        super::repeat_removals(list, (&self.rule, &self.category), span, id_of)
    }
}

/// Phases 2-4 over the files [`NearWriter`] wrote (`count` passages, `written` bytes).
pub fn decide(files: &NearFiles, count: u32, written: u64) -> Result<NearResult> {
    // Phase 2: components of passages sharing a band key.
    let mut uf = UnionFind::new(count as usize);
    let mut buf = Vec::new();
    let mut keys: Vec<u64> = Vec::new();
    for (i, (path, _)) in files.keys.iter().enumerate() {
        let mut r = RunReader::open(path, files.key_kind(), NearFiles::slot(i))?;
        keys.clear();
        while r.remaining() > 0 {
            r.read(1 << 16, &mut buf)?;
            keys.extend(
                buf.chunks_exact(KEY_BYTES)
                    .map(|c| (u64::from(u32_at(c, 0)) << 32) | u64::from(u32_at(c, 4))),
            );
        }
        drop(r);
        let _ = std::fs::remove_file(path);
        keys.par_sort_unstable();
        let mut j = 0;
        while j < keys.len() {
            let first = keys[j];
            let mut e = j + 1;
            while e < keys.len() && keys[e] >> 32 == first >> 32 {
                uf.union(first as u32, keys[e] as u32);
                e += 1;
            }
            j = e;
        }
    }
    drop(keys);

    // Phase 3: passages to the partition of their component, in input order.
    let kind = files.passage_kind("near-passages");
    let part_kind = files.passage_kind("near-part");
    let size = kind.record_bytes as usize;
    let parts = files.parts.len();
    let mut out = files
        .parts
        .iter()
        .enumerate()
        .map(|(i, (path, tmp))| RunWriter::create(path, tmp, part_kind, NearFiles::slot(i)))
        .collect::<Result<Vec<_>>>()?;
    let mut stage = vec![Vec::new(); parts];
    let mut r = RunReader::open(&files.passages.0, kind, NearFiles::slot(0))?;
    let mut seq = 0u32;
    // Passages per component, by root.
    let mut members = vec![0u32; count as usize];
    while r.remaining() > 0 {
        r.read(1 << 14, &mut buf)?;
        for rec in buf.chunks_exact(size) {
            let root = uf.find(seq);
            members[root as usize] += 1;
            let part = partition_of(root, parts);
            seq += 1;
            stage[part].extend_from_slice(rec);
            if stage[part].len() >= STAGE_BYTES {
                out[part].push(&stage[part])?;
                stage[part].clear();
            }
        }
    }
    drop(r);
    drop(uf);
    let largest_component = members.iter().copied().max().unwrap_or(0);
    drop(members);
    let _ = std::fs::remove_file(&files.passages.0);
    let mut file_bytes = written;
    for (w, st) in out.iter_mut().zip(&stage) {
        w.push(st)?;
    }
    drop(stage);
    for w in out {
        file_bytes += w.finish()?;
    }

    // Phase 4: the sequential index over each partition, partitions in parallel.
    let walked = (0..parts)
        .into_par_iter()
        .map(|i| walk(files, part_kind, i))
        .collect::<Vec<_>>();
    let mut result = NearResult {
        found: IdMap::default(),
        indexed: 0,
        repeats: 0,
        index_bytes: 0,
        largest_component,
        file_bytes,
        rule: super::RULE_NEAR.into(),
        category: "duplicate".into(),
    };
    for w in walked {
        let (found, indexed, bytes) = w?;
        result.indexed += indexed;
        result.index_bytes = result.index_bytes.max(bytes);
        for (doc, list) in found {
            result.repeats += list.len() as u64;
            result.found.entry(doc).or_default().extend(list);
        }
    }
    // A document's passages may lie in several partitions: its repeats in passage order,
    // as one run over all passages lists them.
    for list in result.found.values_mut() {
        list.sort_by_key(|r| r.passage);
    }
    Ok(result)
}

type Walked = (Vec<(u64, Vec<NearRepeat>)>, usize, usize);

/// Run the index over partition `i`'s passages, document by document, reading the file a
/// piece at a time (a document's passages may span two pieces).
fn walk(files: &NearFiles, kind: Kind, i: usize) -> Result<Walked> {
    let (path, _) = &files.parts[i];
    let mut r = RunReader::open(path, kind, NearFiles::slot(i))?;
    let p = files.p;
    let (k, nb) = (p.bands * p.rows, p.bands);
    let size = kind.record_bytes as usize;
    let mut ix = NearPassages::new(p);
    let mut ps = PassageSigs::default();
    let mut doc = None;
    let mut buf = Vec::new();
    while r.remaining() > 0 {
        r.read(WALK_READ, &mut buf)?;
        for rec in buf.chunks_exact(size) {
            let d = u32_at(rec, 0);
            if doc != Some(d) {
                if let Some(prev) = doc {
                    ix.observe(prev, &ps, &|_| false);
                }
                ps.items.clear();
                ps.sigs.clear();
                ps.keys.clear();
                doc = Some(d);
            }
            ps.items.push((u32_at(rec, 4), u32_at(rec, 8)));
            let sig = &rec[12..12 + 2 * k];
            ps.sigs.extend(
                sig.chunks_exact(2)
                    .map(|c| u32::from(u16::from_le_bytes([c[0], c[1]]))),
            );
            let keys = &rec[12 + 2 * k..12 + 2 * k + 4 * nb];
            ps.keys.extend(keys.chunks_exact(4).map(|c| u32_at(c, 0)));
        }
    }
    if let Some(prev) = doc {
        ix.observe(prev, &ps, &|_| false);
    }
    drop(r);
    let _ = std::fs::remove_file(path);
    let bytes = ix.bytes();
    let indexed = ix.indexed();
    Ok((ix.take_found(), indexed, bytes))
}

/// Passage records read at a time by [`walk`] (a few in tests, so that documents span
/// pieces there).
#[cfg(not(test))]
const WALK_READ: usize = 1 << 12;
#[cfg(test)]
const WALK_READ: usize = 3;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_dir::TestDir;

    /// The phased run over files equals the one sequential index on random passage graphs
    /// (few band keys, so passages collide in chains, stars and cliques; signatures from a
    /// small alphabet, so verification goes both ways), for any partition counts, with
    /// some passages skipped as the passage index would.
    #[test]
    fn the_phased_run_equals_the_sequential_index() {
        let p = NearParams {
            bands: 4,
            rows: 2,
            min_jaccard: 0.5,
            min_containment: 0.85,
            min_jaccard_contained: 0.4,
        };
        let dir = TestDir::new("near-phased");
        let mut rng = crate::test_rng::XorShift::new(0x000A_11CE);
        let mut repeats_seen = 0;
        for round in 0..60 {
            let docs = 1 + rng.below(30);
            let key_space = 2 + rng.below(60) as u32;
            let alphabet = 2 + rng.below(4) as u32;
            let per_doc: Vec<(PassageSigs, Vec<bool>)> = (0..docs)
                .map(|_| {
                    let mut ps = PassageSigs::default();
                    let n = rng.below(6);
                    for passage in 0..n as u32 {
                        ps.items.push((passage, rng.below(60) as u32));
                        ps.keys
                            .extend((0..p.bands).map(|_| rng.below(key_space as usize) as u32));
                        ps.sigs.extend(
                            (0..p.bands * p.rows).map(|_| rng.below(alphabet as usize) as u32),
                        );
                    }
                    let skip = (0..n).map(|_| rng.below(10) == 0).collect();
                    (ps, skip)
                })
                .collect();
            let mut seq = NearPassages::new(p);
            for (d, (ps, skip)) in per_doc.iter().enumerate() {
                seq.observe(d as u32, ps, &|i| skip[i as usize]);
            }
            let mut want = seq.take_found();
            want.sort_by_key(|x| x.0);
            for (key_parts, parts) in [(1, 1), (4, 3), (2, 8)] {
                let name = |stem: &str| dir.path().join(format!("{round}-{stem}"));
                let files = NearFiles::new(p, key_parts, 9, name);
                let mut w = NearWriter::create(files).unwrap();
                for (d, (ps, skip)) in per_doc.iter().enumerate() {
                    w.observe(d as u32, ps, &|i| skip[i as usize]).unwrap();
                }
                let (mut files, count, written) = w.finish().unwrap();
                files.set_partitions(parts, name);
                let got = decide(&files, count, written).unwrap();
                files.remove();
                let mut got: Vec<(u64, Vec<NearRepeat>)> = got.found.into_iter().collect();
                got.sort_by_key(|x| x.0);
                assert_eq!(
                    got, want,
                    "round {round}, {key_parts} key / {parts} partitions"
                );
            }
            repeats_seen += want.iter().map(|x| x.1.len()).sum::<usize>();
        }
        assert!(repeats_seen > 100, "{repeats_seen}");
        let left = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(left, 0, "every file removed");
    }
}
