//! Exact passage dedup as phases over files, so that memory holds one partition of
//! passage occurrences at a time, not an index of every passage of the corpus:
//!
//! 1. **scatter** ([`PassageWriter`], as documents are observed): every passage
//!    occurrence `(hash, document, passage, words)` goes to the hash partition of its
//!    hash, so all occurrences of one text lie in one partition file;
//! 2. **reduce** ([`reduce`], partitions in parallel; a partition too large for memory
//!    first cut into pieces by a second hash, see [`PassageFiles::set_split`]): a
//!    partition (or piece) sorted by
//!    `(hash, document, passage)` gives each hash's first occurrence (the smallest
//!    `(document, passage)`) and the number of distinct documents it occurs in. Every
//!    occurrence that is not the first, or whose text is boilerplate, becomes a
//!    [`Mark`]; a partition's marks, sorted by `(document, passage)`, become one run;
//! 3. **merge** (in [`reduce`]): the runs merged into one file give each document's
//!    marks in input order ([`MarkReader`]), to the phases that read the documents back in that order: near-passage
//!    dedup (which leaves out passages that are not first occurrences), the final
//!    signatures (which leave out boilerplate) and apply (which removes).
//!
//! The reduction is a minimum, a count and a sort, so the marks depend neither on the
//! number of partitions nor on the order in which occurrences were written or partitions
//! reduced; the in-memory index of one sequential pass is the reference they are tested
//! against.
use super::Mark;
use crate::dedup::runfile::{self, Cursor, Kind, RunReader, RunWriter, Slot};
use crate::dedup::sketch::PassageSketch;
use crate::dedup::BoilerplateConfig;
use crate::error::Result;
use rayon::prelude::*;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::PathBuf;

/// Bytes of an occurrence: hash (u64), document, passage, words (u32 each).
const OCC_BYTES: usize = 20;
/// Bytes of a mark: document, passage (u32), hash (u64), first document, first passage,
/// flags (u32 each).
const MARK_BYTES: usize = 28;
/// Bytes staged per partition before they go to its file.
const STAGE_BYTES: usize = 16 << 10;
/// Marks read from a run at a time by the merge.
const MERGE_READ: usize = 1024;

const FLAG_FIRST: u32 = 1;
const FLAG_BOILERPLATE: u32 = 2;

fn occ_kind(params: u64) -> Kind {
    Kind {
        phase: "passages",
        record_bytes: OCC_BYTES as u32,
        params,
    }
}

fn mark_kind(params: u64) -> Kind {
    Kind {
        phase: "passage-marks",
        record_bytes: MARK_BYTES as u32,
        params,
    }
}

fn slot(p: usize) -> Slot {
    Slot {
        shard: 0,
        partition: p as u32,
    }
}

/// The hash of what shapes the occurrences and marks: the dedup parameters (the memory
/// budget aside) and the partition count.
pub fn params(cfg: &crate::dedup::DedupConfig, parts: usize) -> u64 {
    let mut c = cfg.clone();
    c.memory_mb = 0;
    let text = serde_json::to_string(&c).unwrap_or_default();
    runfile::params_hash(&[b"passages", text.as_bytes(), &(parts as u64).to_le_bytes()])
}

/// The files of one passage run: per partition, its occurrences and its run of marks
/// (each as a final name and the temporary name it is written under).
pub struct PassageFiles {
    occ: Vec<(PathBuf, PathBuf)>,
    /// `split` pieces per partition (none when `split` is 1).
    pieces: Vec<(PathBuf, PathBuf)>,
    split: usize,
    /// A run of marks per partition, or per piece.
    marks: Vec<(PathBuf, PathBuf)>,
    merged: (PathBuf, PathBuf),
    params: u64,
}

impl PassageFiles {
    /// Names for `parts` partitions from `name(stem)`, which also registers each for
    /// removal at the end of the run.
    pub fn new(parts: usize, params: u64, mut name: impl FnMut(&str) -> PathBuf) -> Self {
        let mut pair = |stem: String| (name(&stem), name(&format!("{stem}-partial")));
        PassageFiles {
            occ: (0..parts)
                .map(|p| pair(format!("passages-{p:04}")))
                .collect(),
            pieces: Vec::new(),
            split: 1,
            marks: (0..parts)
                .map(|p| pair(format!("passage-marks-{p:04}")))
                .collect(),
            merged: pair("passage-marks".into()),
            params,
        }
    }

    pub fn partitions(&self) -> usize {
        self.occ.len()
    }

    /// Cut each partition into `split` pieces before it is reduced (named by `name` as in
    /// [`PassageFiles::new`]): all occurrences of a text go to one piece, so the pieces
    /// reduce as the partition would, holding a `split`th of it.
    pub fn set_split(&mut self, split: usize, mut name: impl FnMut(&str) -> PathBuf) {
        let mut pair = |stem: String| (name(&stem), name(&format!("{stem}-partial")));
        self.split = split.max(1);
        if self.split == 1 {
            return;
        }
        let units = self.occ.len() * self.split;
        self.pieces = (0..units)
            .map(|i| pair(format!("passage-pieces-{i:04}")))
            .collect();
        self.marks = (0..units)
            .map(|i| pair(format!("passage-marks-{i:04}")))
            .collect();
    }

    /// How many pieces for `occurrences` in all, so that a piece's reduction works within
    /// about `budget` bytes (partitions hold about equal shares).
    pub fn split_for(&self, occurrences: u64, budget: u64) -> usize {
        let per_part = occurrences.div_ceil(self.occ.len().max(1) as u64);
        // An occurrence as read and sorted, and a mark for each at worst.
        let work = per_part * (OCC_BYTES + std::mem::size_of::<Occurrence>() + 32) as u64;
        // A quarter over the even share, for the partitions that get more.
        (work + work / 4).div_ceil(budget.max(1)).max(1) as usize
    }
    /// Remove every file that exists.
    pub fn remove(&self) {
        let merged = std::iter::once(&self.merged);
        let all = self.occ.iter().chain(&self.pieces).chain(&self.marks);
        for (a, b) in all.chain(merged) {
            let _ = std::fs::remove_file(a);
            let _ = std::fs::remove_file(b);
        }
    }
}

fn partition_of(hash: u64, parts: usize) -> usize {
    (((hash >> 32) * parts as u64) >> 32) as usize
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

fn u64_at(b: &[u8], i: usize) -> u64 {
    u64::from(u32_at(b, i)) | (u64::from(u32_at(b, i + 4)) << 32)
}

/// Step 1: scatters passage occurrences to the partition files.
pub struct PassageWriter {
    out: Vec<RunWriter>,
    stage: Vec<Vec<u8>>,
    occurrences: u64,
}

impl PassageWriter {
    pub fn create(files: &PassageFiles) -> Result<Self> {
        let kind = occ_kind(files.params);
        let out = files
            .occ
            .iter()
            .enumerate()
            .map(|(p, (path, tmp))| RunWriter::create(path, tmp, kind, slot(p)))
            .collect::<Result<Vec<_>>>()?;
        Ok(PassageWriter {
            stage: vec![Vec::new(); out.len()],
            out,
            occurrences: 0,
        })
    }

    /// Record the passages of document `doc` (documents in any order).
    pub fn observe(&mut self, doc: u32, passages: &[PassageSketch]) -> Result<()> {
        let parts = self.out.len();
        if parts == 0 {
            return Ok(());
        }
        for (p, ps) in passages.iter().enumerate() {
            let part = partition_of(ps.hash, parts);
            let st = &mut self.stage[part];
            st.extend_from_slice(&ps.hash.to_le_bytes());
            st.extend_from_slice(&doc.to_le_bytes());
            st.extend_from_slice(&(p as u32).to_le_bytes());
            st.extend_from_slice(&ps.words.to_le_bytes());
            if st.len() >= STAGE_BYTES {
                self.out[part].push(st)?;
                st.clear();
            }
        }
        self.occurrences += passages.len() as u64;
        Ok(())
    }

    /// Occurrences recorded.
    pub fn occurrences(&self) -> u64 {
        self.occurrences
    }

    /// Close the files; returns the bytes written.
    pub fn finish(mut self) -> Result<u64> {
        for (w, st) in self.out.iter_mut().zip(&self.stage) {
            w.push(st)?;
        }
        let mut bytes = 0;
        for w in self.out {
            bytes += w.finish()?;
        }
        Ok(bytes)
    }
}

/// What [`reduce`] found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reduced {
    /// Distinct passage texts.
    pub hashes: u64,
    /// Distinct texts in at least `min_docs` documents (when boilerplate is enabled).
    pub boilerplate: u64,
    /// Marks written.
    pub marks: u64,
    /// Bytes of the largest partition held in memory (one per thread at a time).
    pub held: usize,
    /// Bytes of the mark files written.
    pub file_bytes: u64,
}

impl Reduced {
    /// Take in what another partition or piece found.
    fn add(&mut self, r: &Reduced) {
        self.hashes += r.hashes;
        self.boilerplate += r.boilerplate;
        self.marks += r.marks;
        self.held = self.held.max(r.held);
        self.file_bytes += r.file_bytes;
    }
}

/// Steps 2 and 3: every partition reduced, in parallel (on the caller's pool), each
/// partition's occurrence file removed once its marks are written; then the marks
/// merged.
pub fn reduce(files: &PassageFiles, bp: &BoilerplateConfig) -> Result<Reduced> {
    let parts = (0..files.partitions())
        .into_par_iter()
        .map(|p| reduce_partition(files, p, bp))
        .collect::<Vec<_>>();
    let mut total = Reduced::default();
    for r in parts {
        let r = r?;
        total.add(&r);
    }
    total.file_bytes += merge(files)?;
    Ok(total)
}

/// One occurrence as sorted: hash, `(document << 32) | passage`, words.
type Occurrence = (u64, u64, u32);
/// One mark as sorted: `(document << 32) | passage`, hash, first occurrence, flags.
type MarkKey = (u64, u64, u64, u32);

/// The piece of an occurrence's hash within its partition: from the low bits (the
/// partition comes from the high ones).
fn piece_of(hash: u64, split: usize) -> usize {
    (((hash & 0xFFFF_FFFF) * split as u64) >> 32) as usize
}

/// Reduce partition `p`: as a whole, or cut into its pieces first, each reduced on its
/// own into its own run of marks.
fn reduce_partition(files: &PassageFiles, p: usize, bp: &BoilerplateConfig) -> Result<Reduced> {
    let split = files.split;
    let (path, _) = &files.occ[p];
    let source = (path, occ_kind(files.params), slot(p));
    if split == 1 {
        return reduce_unit(files, source, p, bp);
    }
    let kind = Kind {
        phase: "passage-pieces",
        ..occ_kind(files.params)
    };
    let units = p * split..(p + 1) * split;
    let mut out = files.pieces[units.clone()]
        .iter()
        .zip(units.clone())
        .map(|((path, tmp), u)| RunWriter::create(path, tmp, kind, slot(u)))
        .collect::<Result<Vec<_>>>()?;
    let mut stage = vec![Vec::new(); split];
    let mut r = RunReader::open(source.0, source.1, source.2)?;
    let mut buf = Vec::new();
    while r.remaining() > 0 {
        r.read(1 << 14, &mut buf)?;
        for rec in buf.chunks_exact(OCC_BYTES) {
            let j = piece_of(u64_at(rec, 0), split);
            stage[j].extend_from_slice(rec);
            if stage[j].len() >= STAGE_BYTES {
                out[j].push(&stage[j])?;
                stage[j].clear();
            }
        }
    }
    drop(r);
    let _ = std::fs::remove_file(path);
    let mut file_bytes = 0;
    for (w, st) in out.iter_mut().zip(&stage) {
        w.push(st)?;
    }
    for w in out {
        file_bytes += w.finish()?;
    }
    let mut total = Reduced {
        file_bytes,
        ..Reduced::default()
    };
    for u in units {
        let r = reduce_unit(files, (&files.pieces[u].0, kind, slot(u)), u, bp)?;
        total.add(&r);
    }
    Ok(total)
}

/// Reduce the occurrences of one partition or piece (`source`, removed once read) into
/// mark run `u`.
fn reduce_unit(
    files: &PassageFiles,
    (path, kind, at): (&PathBuf, Kind, Slot),
    u: usize,
    bp: &BoilerplateConfig,
) -> Result<Reduced> {
    let records = RunReader::open(path, kind, at)?.read_all()?;
    let _ = std::fs::remove_file(path);
    let mut occ: Vec<Occurrence> = records
        .chunks_exact(OCC_BYTES)
        .map(|r| {
            let at = (u64::from(u32_at(r, 8)) << 32) | u64::from(u32_at(r, 12));
            (u64_at(r, 0), at, u32_at(r, 16))
        })
        .collect();
    let records_bytes = records.len();
    drop(records);
    occ.sort_unstable();
    let mut out = Reduced::default();
    let mut marks: Vec<MarkKey> = Vec::new();
    for group in occ.chunk_by(|a, b| a.0 == b.0) {
        let first = group[0].1;
        let mut docs = 0u32;
        let mut last = None;
        for o in group {
            if last != Some(o.1 >> 32) {
                docs = docs.saturating_add(1);
                last = Some(o.1 >> 32);
            }
        }
        out.hashes += 1;
        let many = bp.enabled && docs >= bp.min_docs;
        out.boilerplate += u64::from(many);
        for o in group {
            let is_first = o.1 == first;
            let boilerplate = many && o.2 as usize <= bp.max_words;
            if !is_first || boilerplate {
                let flags = (u32::from(is_first) * FLAG_FIRST)
                    | (u32::from(boilerplate) * FLAG_BOILERPLATE);
                marks.push((o.1, o.0, first, flags));
            }
        }
    }
    out.held = records_bytes.max(
        occ.capacity() * std::mem::size_of::<Occurrence>()
            + marks.capacity() * std::mem::size_of::<MarkKey>(),
    );
    drop(occ);
    marks.sort_unstable();
    let (path, tmp) = &files.marks[u];
    let mut w = RunWriter::create(path, tmp, mark_kind(files.params), slot(u))?;
    let mut stage = Vec::with_capacity(STAGE_BYTES + MARK_BYTES);
    for &(at, hash, first, flags) in &marks {
        stage.extend_from_slice(&((at >> 32) as u32).to_le_bytes());
        stage.extend_from_slice(&(at as u32).to_le_bytes());
        stage.extend_from_slice(&hash.to_le_bytes());
        stage.extend_from_slice(&((first >> 32) as u32).to_le_bytes());
        stage.extend_from_slice(&(first as u32).to_le_bytes());
        stage.extend_from_slice(&flags.to_le_bytes());
        if stage.len() >= STAGE_BYTES {
            w.push(&stage)?;
            stage.clear();
        }
    }
    w.push(&stage)?;
    out.marks = marks.len() as u64;
    out.file_bytes = w.finish()?;
    Ok(out)
}

/// Step 3: the runs of every partition merged by `(document, passage)` into one file;
/// returns its size. The runs are removed.
fn merge(files: &PassageFiles) -> Result<u64> {
    let mut runs = Vec::with_capacity(files.marks.len());
    let mut heap = BinaryHeap::new();
    // The key of a run's next mark, into the heap.
    let key = |rec: &[u8]| (u64::from(u32_at(rec, 0)) << 32) | u64::from(u32_at(rec, 4));
    for (p, (path, _)) in files.marks.iter().enumerate() {
        let r = RunReader::open(path, mark_kind(files.params), slot(p))?;
        let mut run = Cursor::new(r, MERGE_READ);
        if let Some(rec) = run.peek()? {
            heap.push(Reverse((key(rec), p)));
        }
        runs.push(run);
    }
    let (path, tmp) = &files.merged;
    let mut w = RunWriter::create(path, tmp, mark_kind(files.params), slot(0))?;
    let mut stage = Vec::with_capacity(STAGE_BYTES + MARK_BYTES);
    while let Some(Reverse((_, p))) = heap.pop() {
        let run = &mut runs[p];
        if let Some(rec) = run.peek()? {
            stage.extend_from_slice(rec);
        }
        run.advance();
        if let Some(rec) = run.peek()? {
            heap.push(Reverse((key(rec), p)));
        }
        if stage.len() >= STAGE_BYTES {
            w.push(&stage)?;
            stage.clear();
        }
    }
    w.push(&stage)?;
    drop(runs);
    for (path, _) in &files.marks {
        let _ = std::fs::remove_file(path);
    }
    w.finish()
}

/// Each document's marks, in input order, from the file [`reduce`] merged them into.
pub struct MarkReader {
    run: Cursor,
}

impl MarkReader {
    /// Open the marks (the file stays on disk, for another reader).
    pub fn open(files: &PassageFiles) -> Result<Self> {
        let (path, _) = &files.merged;
        let run = RunReader::open(path, mark_kind(files.params), slot(0))?;
        Ok(MarkReader {
            run: Cursor::new(run, MERGE_READ),
        })
    }

    /// The marks of document `doc` into `out` (cleared first), in passage order. Documents
    /// must be asked for in increasing order; the marks of documents skipped are passed
    /// over.
    pub fn marks_of(&mut self, doc: u32, out: &mut Vec<Mark>) -> Result<()> {
        out.clear();
        while let Some(rec) = self.run.peek()? {
            let d = u32_at(rec, 0);
            if d > doc {
                break;
            }
            if d == doc {
                let flags = u32_at(rec, 24);
                out.push(Mark {
                    passage: u32_at(rec, 4),
                    hash: u64_at(rec, 8),
                    of_doc: u32_at(rec, 16),
                    of_passage: u32_at(rec, 20),
                    first: flags & FLAG_FIRST != 0,
                    boilerplate: flags & FLAG_BOILERPLATE != 0,
                });
            }
            self.run.advance();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{is_boilerplate, is_first, PassageIndex, PassageRules};
    use super::*;
    use crate::dedup::{KeepPolicy, PassageConfig};
    use crate::test_dir::TestDir;

    fn ps(hash: u64, start: usize) -> PassageSketch {
        PassageSketch {
            start,
            end: start + 1,
            hash,
            // The same text has the same words.
            words: (hash % 7) as u32,
        }
    }

    /// The marks from files, with documents written in any order and any partition count
    /// (whole or cut into pieces),
    /// say what the in-memory index of one sequential pass says: the same removals (rule,
    /// span and first occurrence), first occurrences, boilerplate and counts.
    #[test]
    fn the_phased_marks_equal_the_sequential_index() {
        let dir = TestDir::new("passage-phased");
        let mut rng = crate::test_rng::XorShift::new(0x0BAD_5EED);
        let mut removals_seen = 0;
        for round in 0..40 {
            let passage = PassageConfig {
                exact: rng.below(4) != 0,
                min_words: rng.below(4),
                ..PassageConfig::default()
            };
            let bp = BoilerplateConfig {
                enabled: rng.below(4) != 0,
                max_words: rng.below(6),
                min_docs: 1 + rng.below(4) as u32,
                keep: if rng.below(2) == 0 {
                    KeepPolicy::None
                } else {
                    KeepPolicy::First
                },
            };
            let docs = 1 + rng.below(40);
            let space = 1 + rng.below(30) as u64;
            let corpus: Vec<Vec<PassageSketch>> = (0..docs)
                .map(|_| {
                    (0..rng.below(8))
                        .map(|p| ps(rng.below(space as usize) as u64 * 0x9E37_79B9_7F4A_7C15, p))
                        .collect()
                })
                .collect();
            let mut ix = PassageIndex::new(&passage, &bp);
            for (d, p) in corpus.iter().enumerate() {
                ix.observe(d as u32, p);
            }
            let rules = PassageRules::new(&passage, &bp);
            let id = |d: u32| format!("d{d}");
            for (parts, split) in [(1, 1), (4, 1), (64, 1), (1, 3), (4, 2)] {
                let name = |stem: &str| dir.path().join(format!("{round}-{parts}-{split}-{stem}"));
                let mut files = PassageFiles::new(parts, 7, name);
                files.set_split(split, name);
                let mut w = PassageWriter::create(&files).unwrap();
                // Documents in a shuffled order.
                let mut order: Vec<usize> = (0..docs).collect();
                for i in (1..order.len()).rev() {
                    order.swap(i, rng.below(i + 1));
                }
                for &d in &order {
                    w.observe(d as u32, &corpus[d]).unwrap();
                }
                w.finish().unwrap();
                let reduced = reduce(&files, &bp).unwrap();
                assert_eq!(reduced.hashes as usize, ix.entries());
                assert_eq!(reduced.boilerplate as usize, ix.boilerplate_passages());
                let mut merge = MarkReader::open(&files).unwrap();
                // A second merge asked for every third document only.
                let mut sparse = MarkReader::open(&files).unwrap();
                let (mut marks, mut some) = (Vec::new(), Vec::new());
                for (d, passages) in corpus.iter().enumerate() {
                    let d32 = d as u32;
                    merge.marks_of(d32, &mut marks).unwrap();
                    assert_eq!(marks, ix.marks(d32, passages), "{parts}x{split}, doc {d}");
                    let want = ix.removals(d32, passages, &id);
                    let got = rules.removals(passages, &marks, &id);
                    assert_eq!(got, want, "round {round}, {parts}x{split} pieces, doc {d}");
                    removals_seen += got.len();
                    for (p, s) in passages.iter().enumerate() {
                        assert_eq!(
                            is_first(&marks, p as u32),
                            ix.is_first(s.hash, d32, p as u32)
                        );
                        assert_eq!(
                            is_boilerplate(&marks, s.hash),
                            ix.is_boilerplate(s.hash, s.words)
                        );
                    }
                    if d % 3 == 0 {
                        sparse.marks_of(d32, &mut some).unwrap();
                        assert_eq!(some, marks);
                    }
                }
                files.remove();
            }
        }
        assert!(removals_seen > 500, "{removals_seen}");
        let left = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(left, 0, "every file removed");
    }

    #[test]
    fn partitions_are_cut_into_pieces_that_fit_the_budget() {
        let files = PassageFiles::new(64, 7, |stem| PathBuf::from(stem));
        assert_eq!(files.split_for(0, 16 << 20), 1);
        // 10 million occurrences of about 76 working bytes: 12 MB a partition fits 16 MB.
        assert_eq!(files.split_for(10_000_000, 16 << 20), 1);
        // 100 times that: about 1.5 GB a partition, in 16 MB pieces.
        let split = files.split_for(1_000_000_000, 16 << 20);
        assert!((80..120).contains(&split), "{split}");
    }

    #[test]
    fn a_changed_mark_file_is_refused_by_name() {
        let dir = TestDir::new("passage-phased-bad");
        let files = PassageFiles::new(2, 7, |stem| dir.path().join(stem));
        let mut w = PassageWriter::create(&files).unwrap();
        w.observe(0, &[ps(5, 0), ps(5, 1)]).unwrap();
        w.finish().unwrap();
        reduce(&files, &BoilerplateConfig::default()).unwrap();
        // The same files read under other parameters.
        let other = PassageFiles::new(2, 8, |stem| dir.path().join(stem));
        let err = MarkReader::open(&other).err().unwrap().to_string();
        assert!(err.contains("passage-marks"), "{err}");
        files.remove();
    }
}
