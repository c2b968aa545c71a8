//! Near-passage dedup as phases over files, so that memory holds one partition of band
//! keys at a time and a few bytes per passage, not the index of the corpus:
//!
//! 1. **record** ([`NearWriter`], in input order): each long passage goes to one file
//!    (document, passage, shingles, signature as 16-bit values, band keys). Once the
//!    passage phases know which passages repeat an earlier one exactly (those take no
//!    part: the sequential index never looks them up), [`NearWriter::finish`] reads the
//!    file back and gives each other passage the next passage number, writes it to the
//!    passage file and each of its band keys, with the passage's number, shingle count
//!    and signature, to the hash partition of the key;
//! 2. **sort** (in [`decide`], partitions in parallel): each key partition, cut into
//!    `split` pieces by a second hash of the key when one would not fit in memory, is
//!    sorted by (key, passage), and the keys that only one passage has are dropped;
//! 3. **rounds**: the sequential index drops a passage when, for one of its keys, the
//!    first *kept* passage that had the key (its holder) verifies against it. That is a
//!    fixpoint: starting with every passage kept, each round streams the sorted
//!    partitions, takes each key's holder among the passages kept after the round before,
//!    verifies the later passages of the key against it, and keeps a passage only when no
//!    holder verified. A passage's verdict depends only on earlier passages, so after
//!    round r the verdicts are final along every dependency chain of length < r, and the
//!    rounds stop when a round changes nothing: the verdicts and originals (the verified
//!    holder of highest similarity, the earliest on a tie) are those of one sequential
//!    run over all passages, whatever the partition count (property-tested). After
//!    [`MAX_ROUNDS`] the sequential index runs over the passage file instead (the same
//!    result, with memory growing with the kept passages), and the report says so.
//!
//! The repeats go, document by document, to one file that apply reads in input order
//! ([`NearReader`]).
//!
//! Signatures are stored as 16-bit values; the index compares only those bits, so the
//! verdicts are those of the full values.
use super::{NearParams, NearPassages, NearRepeat, PassageSigs};
use crate::dedup::minhash;
use crate::dedup::runfile::{self, Cursor, Kind, RunReader, RunWriter, Slot};
use crate::document::Removal;
use crate::error::{Error, Result};
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Bytes staged per partition before they go to its file.
const STAGE_BYTES: usize = 32 << 10;

/// Rounds after which the fixpoint gives way to the sequential index.
pub const MAX_ROUNDS: u32 = 64;

/// Bytes of a key record: band key, passage number, shingles (u32 each), the signature
/// as `k` 16-bit values.
fn key_bytes(k: usize) -> usize {
    12 + 2 * k
}

/// Bytes of a passage record for `k` signature values and `bands` keys.
fn passage_bytes(k: usize, bands: usize) -> usize {
    12 + 2 * k + 4 * bands
}

/// The files of one near-passage run.
pub struct NearFiles {
    recorded: (PathBuf, PathBuf),
    passages: (PathBuf, PathBuf),
    keys: Vec<(PathBuf, PathBuf)>,
    /// `split` sorted pieces per key partition.
    sorted: Vec<(PathBuf, PathBuf)>,
    /// The repeats found, by document.
    repeats: (PathBuf, PathBuf),
    split: usize,
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
            recorded: pair("near-recorded".into()),
            passages: pair("near-passages".into()),
            keys: (0..key_partitions.max(1))
                .map(|i| pair(format!("near-keys-{i:04}")))
                .collect(),
            sorted: Vec::new(),
            repeats: pair("near-repeats".into()),
            split: 1,
            params,
            p,
        }
    }

    /// Cut each key partition into `split` sorted pieces (named by `name` as in
    /// [`NearFiles::new`]).
    pub fn set_split(&mut self, split: usize, mut name: impl FnMut(&str) -> PathBuf) {
        self.split = split.max(1);
        self.sorted = (0..self.keys.len() * self.split)
            .map(|i| {
                let stem = format!("near-sorted-{i:04}");
                (name(&stem), name(&format!("{stem}-partial")))
            })
            .collect();
    }

    /// Key partitions chosen when the files were named.
    pub fn key_partitions(&self) -> usize {
        self.keys.len()
    }

    fn k(&self) -> usize {
        self.p.bands * self.p.rows
    }

    fn passage_kind(&self) -> Kind {
        self.passage_kind_of("near-passages")
    }

    fn passage_kind_of(&self, phase: &'static str) -> Kind {
        Kind {
            phase,
            record_bytes: passage_bytes(self.k(), self.p.bands) as u32,
            params: self.params,
        }
    }

    fn key_kind(&self, phase: &'static str) -> Kind {
        Kind {
            phase,
            record_bytes: key_bytes(self.k()) as u32,
            params: self.params,
        }
    }

    fn slot(i: usize) -> Slot {
        Slot {
            shard: 0,
            partition: i as u32,
        }
    }

    fn repeat_kind(&self) -> Kind {
        Kind {
            phase: "near-repeats",
            record_bytes: REPEAT_BYTES as u32,
            params: self.params,
        }
    }

    /// Remove every file that exists but the repeats (which [`NearResult`] reads).
    pub fn remove(&self) {
        let all = [&self.recorded, &self.passages]
            .into_iter()
            .chain(&self.keys)
            .chain(&self.sorted);
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
    recorded: RunWriter,
    staged: Vec<u8>,
}

impl NearWriter {
    pub fn create(files: NearFiles) -> Result<NearWriter> {
        let (path, tmp) = &files.recorded;
        let kind = files.passage_kind_of("near-recorded");
        let recorded = RunWriter::create(path, tmp, kind, NearFiles::slot(0))?;
        Ok(NearWriter {
            files,
            recorded,
            staged: Vec::new(),
        })
    }

    /// Record the long passages of document `doc`.
    pub fn observe(&mut self, doc: u32, passages: &PassageSigs) -> Result<()> {
        let p = self.files.p;
        let (k, nb) = (p.bands * p.rows, p.bands);
        let n = passages.items.len();
        if passages.sigs.len() != n * k || passages.keys.len() != n * nb {
            return Ok(());
        }
        for (i, &(passage, shingles)) in passages.items.iter().enumerate() {
            if shingles == 0 {
                continue;
            }
            let st = &mut self.staged;
            st.extend_from_slice(&doc.to_le_bytes());
            st.extend_from_slice(&passage.to_le_bytes());
            st.extend_from_slice(&shingles.to_le_bytes());
            for &v in &passages.sigs[i * k..(i + 1) * k] {
                st.extend_from_slice(&(v as u16).to_le_bytes());
            }
            for &key in &passages.keys[i * nb..(i + 1) * nb] {
                st.extend_from_slice(&key.to_le_bytes());
            }
            if self.staged.len() >= STAGE_BYTES {
                self.recorded.push(&self.staged)?;
                self.staged.clear();
            }
        }
        Ok(())
    }

    /// Close the record file, then number the passages that `is_repeat(document,
    /// passage)` does not exclude (asked in input order) and write them to the passage
    /// file and their band keys to the key partitions. Returns the files, the passages
    /// numbered and the bytes written.
    pub fn finish(
        mut self,
        is_repeat: &mut dyn FnMut(u32, u32) -> Result<bool>,
    ) -> Result<(NearFiles, u32, u64)> {
        self.recorded.push(&self.staged)?;
        let mut bytes = self.recorded.finish()?;
        let files = self.files;
        let p = files.p;
        let (k, nb) = (p.bands * p.rows, p.bands);
        let mut passages = RunWriter::create(
            &files.passages.0,
            &files.passages.1,
            files.passage_kind(),
            NearFiles::slot(0),
        )?;
        let mut keys = files
            .keys
            .iter()
            .enumerate()
            .map(|(i, (path, tmp))| {
                RunWriter::create(path, tmp, files.key_kind("near-keys"), NearFiles::slot(i))
            })
            .collect::<Result<Vec<_>>>()?;
        let parts = keys.len();
        let mut staged = Vec::new();
        let mut key_stage = vec![Vec::new(); parts];
        let mut count = 0u32;
        let recorded = (
            &files.recorded.0,
            files.passage_kind_of("near-recorded"),
            NearFiles::slot(0),
        );
        each_record(recorded, 1 << 14, |rec| {
            if is_repeat(u32_at(rec, 0), u32_at(rec, 4))? {
                return Ok(());
            }
            let seq = count;
            count = seq
                .checked_add(1)
                .ok_or_else(|| Error::Usage("dedup: more than 4 billion long passages".into()))?;
            staged.extend_from_slice(rec);
            let (shingles, sig16) = (&rec[8..12], &rec[12..12 + 2 * k]);
            for key in rec[12 + 2 * k..12 + 2 * k + 4 * nb].chunks_exact(4) {
                let part = partition_of(u32_at(key, 0), parts);
                let ks = &mut key_stage[part];
                ks.extend_from_slice(key);
                ks.extend_from_slice(&seq.to_le_bytes());
                ks.extend_from_slice(shingles);
                ks.extend_from_slice(sig16);
                if ks.len() >= STAGE_BYTES {
                    keys[part].push(ks)?;
                    ks.clear();
                }
            }
            if staged.len() >= STAGE_BYTES {
                passages.push(&staged)?;
                staged.clear();
            }
            Ok(())
        })?;
        let _ = std::fs::remove_file(&files.recorded.0);
        passages.push(&staged)?;
        bytes += passages.finish()?;
        for (w, st) in keys.iter_mut().zip(&key_stage) {
            w.push(st)?;
        }
        for w in keys {
            bytes += w.finish()?;
        }
        Ok((files, count, bytes))
    }
}

fn partition_of(x: u32, parts: usize) -> usize {
    let h = u64::from(x).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
    ((h * parts as u64) >> 32) as usize
}

/// The piece of a key within its partition: a hash independent of [`partition_of`].
fn piece_of(x: u32, split: usize) -> usize {
    let h = u64::from(x ^ 0x5bd1_e995).wrapping_mul(0xC2B2_AE3D_27D4_EB4F) >> 32;
    ((h * split as u64) >> 32) as usize
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

/// Bytes of a repeat record: document, passage, original's document and passage (u32
/// each), similarity (f64).
const REPEAT_BYTES: usize = 24;

/// What near-passage dedup found: the repeats of each document, in a file.
pub struct NearResult {
    /// The repeat file: its name and kind.
    path: PathBuf,
    kind: Kind,
    pub indexed: usize,
    pub repeats: u64,
    /// Bytes of the largest sorted piece held in memory (one per thread at a time), or of
    /// the sequential index when the rounds gave way to it.
    pub index_bytes: usize,
    /// Rounds until no verdict changed; 0 when the sequential index ran instead.
    pub rounds: u32,
    /// Bytes of the temporary files written.
    pub file_bytes: u64,
    rule: Arc<str>,
    category: Arc<str>,
}

impl NearResult {
    /// The near-repeat removals of a document with the repeats `list` (from
    /// [`NearReader::repeats_of`]); `span` gives a passage's byte span.
    pub fn removals(
        &self,
        list: &[NearRepeat],
        span: &dyn Fn(u32) -> Option<(usize, usize)>,
        id_of: &dyn Fn(u32) -> String,
    ) -> Vec<Removal> {
        super::repeat_removals(list, (&self.rule, &self.category), span, id_of)
    }

    /// Read the repeats, document by document.
    pub fn reader(&self) -> Result<NearReader> {
        let run = RunReader::open(&self.path, self.kind, NearFiles::slot(0))?;
        Ok(NearReader {
            run: Cursor::new(run, 1024),
        })
    }

    /// Remove the repeat file.
    pub fn remove(&self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Each document's near repeats, in input order, from the file [`decide`] wrote.
pub struct NearReader {
    run: Cursor,
}

impl NearReader {
    /// The repeats of document `doc` into `out` (cleared first), in passage order.
    /// Documents must be asked for in increasing order.
    pub fn repeats_of(&mut self, doc: u32, out: &mut Vec<NearRepeat>) -> Result<()> {
        out.clear();
        while let Some(rec) = self.run.peek()? {
            let d = u32_at(rec, 0);
            if d > doc {
                break;
            }
            if d == doc {
                let mut sim = [0u8; 8];
                sim.copy_from_slice(&rec[16..24]);
                out.push(NearRepeat {
                    passage: u32_at(rec, 4),
                    of_doc: u32_at(rec, 8),
                    of_passage: u32_at(rec, 12),
                    similarity: f64::from_le_bytes(sim),
                });
            }
            self.run.advance();
        }
        Ok(())
    }
}

/// Writes the repeats, documents in increasing order.
struct RepeatWriter {
    out: RunWriter,
    stage: Vec<u8>,
}

impl RepeatWriter {
    fn create(files: &NearFiles) -> Result<Self> {
        let (path, tmp) = &files.repeats;
        let out = RunWriter::create(path, tmp, files.repeat_kind(), NearFiles::slot(0))?;
        Ok(RepeatWriter {
            out,
            stage: Vec::new(),
        })
    }

    fn push(&mut self, doc: u32, r: &NearRepeat) -> Result<()> {
        let st = &mut self.stage;
        st.extend_from_slice(&doc.to_le_bytes());
        st.extend_from_slice(&r.passage.to_le_bytes());
        st.extend_from_slice(&r.of_doc.to_le_bytes());
        st.extend_from_slice(&r.of_passage.to_le_bytes());
        st.extend_from_slice(&r.similarity.to_le_bytes());
        if st.len() >= STAGE_BYTES {
            self.out.push(st)?;
            st.clear();
        }
        Ok(())
    }

    fn finish(mut self) -> Result<u64> {
        self.out.push(&self.stage)?;
        self.out.finish()
    }
}

/// No holder verified.
const NONE: u32 = u32::MAX;

/// Phases 2 and 3 over the files [`NearWriter`] wrote (`count` passages, `written`
/// bytes); [`NearFiles::set_split`] must have named the sorted pieces.
pub fn decide(files: &NearFiles, count: u32, written: u64) -> Result<NearResult> {
    decide_within(files, count, written, MAX_ROUNDS)
}

/// [`decide`] with at most `max_rounds` rounds before the sequential index takes over.
fn decide_within(
    files: &NearFiles,
    count: u32,
    written: u64,
    max_rounds: u32,
) -> Result<NearResult> {
    let mut result = NearResult {
        path: files.repeats.0.clone(),
        kind: files.repeat_kind(),
        indexed: 0,
        repeats: 0,
        index_bytes: 0,
        rounds: 0,
        file_bytes: written,
        rule: super::RULE_NEAR.into(),
        category: "duplicate".into(),
    };
    // Phase 2: sorted pieces.
    let sorted = (0..files.keys.len())
        .into_par_iter()
        .map(|i| sort_partition(files, i))
        .collect::<Vec<_>>();
    for s in sorted {
        let (bytes, held) = s?;
        result.file_bytes += bytes;
        result.index_bytes = result.index_bytes.max(held);
    }

    // Phase 3: rounds until no verdict changes.
    let n = count as usize;
    let mut kept = vec![true; n];
    let mut holder = vec![NONE; n];
    let mut similarity = vec![0f64; n];
    let mut converged = false;
    for round in 1..=max_rounds {
        holder.fill(NONE);
        {
            let best = Mutex::new((&mut holder, &mut similarity));
            let pieces = files.sorted.len();
            (0..pieces)
                .into_par_iter()
                .try_for_each(|j| -> Result<()> {
                    let hits = round_piece(files, j, &kept)?;
                    let mut guard = best.lock().unwrap_or_else(|e| e.into_inner());
                    let (holder, similarity) = &mut *guard;
                    for (seq, h, sim) in hits {
                        let (s, h0) = (seq as usize, holder[seq as usize]);
                        // The highest similarity, the earliest holder on a tie: the order
                        // in which pieces report does not matter.
                        if h0 == NONE || sim > similarity[s] || (sim == similarity[s] && h < h0) {
                            holder[s] = h;
                            similarity[s] = sim;
                        }
                    }
                    Ok(())
                })?;
        }
        let mut changed = false;
        for (k, &h) in kept.iter_mut().zip(holder.iter()) {
            let now = h == NONE;
            changed |= *k != now;
            *k = now;
        }
        result.rounds = round;
        if !changed {
            converged = true;
            break;
        }
    }
    for (path, _) in &files.sorted {
        let _ = std::fs::remove_file(path);
    }
    if !converged {
        drop((kept, holder, similarity));
        result.rounds = 0;
        let (mut found, indexed, bytes) = walk(files)?;
        result.indexed = indexed;
        result.index_bytes = result.index_bytes.max(bytes);
        found.sort_unstable_by_key(|x| x.0);
        let mut w = RepeatWriter::create(files)?;
        for (doc, list) in found {
            result.repeats += list.len() as u64;
            for r in &list {
                w.push(doc as u32, r)?;
            }
        }
        result.file_bytes += w.finish()?;
        let _ = std::fs::remove_file(&files.passages.0);
        return Ok(result);
    }
    drop(kept);

    // The repeats by document, in passage order: the passage file names each number's
    // document and passage.
    let mut at = vec![(0u32, 0u32); n];
    let mut seq = 0usize;
    let passages = (&files.passages.0, files.passage_kind(), NearFiles::slot(0));
    each_record(passages, 1 << 14, |rec| {
        if let Some(slot) = at.get_mut(seq) {
            *slot = (u32_at(rec, 0), u32_at(rec, 4));
        }
        seq += 1;
        Ok(())
    })?;
    let _ = std::fs::remove_file(&files.passages.0);
    // In passage number order, which is input order.
    let mut w = RepeatWriter::create(files)?;
    for (seq, (&h, &sim)) in holder.iter().zip(&similarity).enumerate() {
        if h == NONE {
            result.indexed += 1;
            continue;
        }
        let (doc, passage) = at[seq];
        let (of_doc, of_passage) = at[h as usize];
        result.repeats += 1;
        let r = NearRepeat {
            passage,
            of_doc,
            of_passage,
            similarity: sim,
        };
        w.push(doc, &r)?;
    }
    result.file_bytes += w.finish()?;
    Ok(result)
}

/// Sort key partition `i` into its pieces: each piece's records by (key, passage), the
/// keys of a single passage left out. Returns the bytes written and the most held.
fn sort_partition(files: &NearFiles, i: usize) -> Result<(u64, usize)> {
    let (path, _) = &files.keys[i];
    let keys = (path, files.key_kind("near-keys"), NearFiles::slot(i));
    let size = keys.1.record_bytes as usize;
    let split = files.split;
    let pieces = &files.sorted[i * split..(i + 1) * split];
    let mut written = 0;
    // What each piece is sorted from: the partition itself, or the unsorted runs it is
    // first scattered into under the pieces' names.
    let sources: Vec<(&PathBuf, Kind, Slot)> = if split == 1 {
        vec![keys]
    } else {
        let kind = files.key_kind("near-piece");
        let slot = |j: usize| NearFiles::slot(i * split + j);
        let mut out = pieces
            .iter()
            .enumerate()
            .map(|(j, (p, tmp))| RunWriter::create(p, tmp, kind, slot(j)))
            .collect::<Result<Vec<_>>>()?;
        let mut stage = vec![Vec::new(); split];
        each_record(keys, 1 << 14, |rec| {
            let j = piece_of(u32_at(rec, 0), split);
            stage[j].extend_from_slice(rec);
            if stage[j].len() >= STAGE_BYTES {
                out[j].push(&stage[j])?;
                stage[j].clear();
            }
            Ok(())
        })?;
        let _ = std::fs::remove_file(path);
        for (w, st) in out.iter_mut().zip(&stage) {
            w.push(st)?;
        }
        for w in out {
            written += w.finish()?;
        }
        (0..split).map(|j| (&pieces[j].0, kind, slot(j))).collect()
    };
    let mut held = 0;
    for (j, ((path, kind, slot), piece)) in sources.into_iter().zip(pieces).enumerate() {
        let records = RunReader::open(path, kind, slot)?.read_all()?;
        let _ = std::fs::remove_file(path);
        let (bytes, h) = write_sorted(files, i * split + j, piece, records, size)?;
        written += bytes;
        held = held.max(h);
    }
    Ok((written, held))
}

/// Stream the records of the run file `(path, kind, slot)`, `per_read` at a time, into `f`.
fn each_record(
    (path, kind, slot): (&PathBuf, Kind, Slot),
    per_read: usize,
    mut f: impl FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    let mut r = RunReader::open(path, kind, slot)?;
    let size = kind.record_bytes as usize;
    let mut buf = Vec::new();
    while r.remaining() > 0 {
        r.read(per_read, &mut buf)?;
        for rec in buf.chunks_exact(size) {
            f(rec)?;
        }
    }
    Ok(())
}

/// Write `records` sorted by (key, passage) as piece `j`, without the keys of a single
/// passage and without a passage's second record of one key.
fn write_sorted(
    files: &NearFiles,
    j: usize,
    (path, tmp): &(PathBuf, PathBuf),
    records: Vec<u8>,
    size: usize,
) -> Result<(u64, usize)> {
    let mut order: Vec<(u64, u32)> = records
        .chunks_exact(size)
        .enumerate()
        .map(|(x, rec)| {
            let key = (u64::from(u32_at(rec, 0)) << 32) | u64::from(u32_at(rec, 4));
            (key, x as u32)
        })
        .collect();
    order.sort_unstable();
    order.dedup_by_key(|e| e.0);
    let held = records.len() + order.capacity() * std::mem::size_of::<(u64, u32)>();
    let mut w = RunWriter::create(path, tmp, files.key_kind("near-sorted"), NearFiles::slot(j))?;
    let mut stage = Vec::with_capacity(STAGE_BYTES + size);
    let mut g = 0;
    while g < order.len() {
        let key = order[g].0 >> 32;
        let mut e = g + 1;
        while e < order.len() && order[e].0 >> 32 == key {
            e += 1;
        }
        if e - g > 1 {
            for &(_, x) in &order[g..e] {
                let at = x as usize * size;
                stage.extend_from_slice(&records[at..at + size]);
            }
            if stage.len() >= STAGE_BYTES {
                w.push(&stage)?;
                stage.clear();
            }
        }
        g = e;
    }
    w.push(&stage)?;
    Ok((w.finish()?, held))
}

/// One round over sorted piece `j`: for each key, its holder (the first passage of the
/// key that `kept` keeps) and the later passages of the key it verifies against, as
/// (passage, holder, similarity).
fn round_piece(files: &NearFiles, j: usize, kept: &[bool]) -> Result<Vec<(u32, u32, f64)>> {
    let piece = (
        &files.sorted[j].0,
        files.key_kind("near-sorted"),
        NearFiles::slot(j),
    );
    let mut hits = Vec::new();
    let mut key = None;
    // The current key's holder: its record (passage, shingles, signature).
    // The current key's holder record, when it has one (one buffer, reused).
    let mut held = Vec::new();
    let mut holding = false;
    each_record(piece, 1 << 12, |rec| {
        let k = u32_at(rec, 0);
        if key != Some(k) {
            key = Some(k);
            holding = false;
        }
        let seq = u32_at(rec, 4);
        if !holding {
            if kept.get(seq as usize).copied().unwrap_or(false) {
                held.clear();
                held.extend_from_slice(rec);
                holding = true;
            }
        } else {
            let (n_h, n) = (u32_at(&held, 8), u32_at(rec, 8));
            let sim = similarity16(&held[12..], n_h, &rec[12..], n);
            if files.p.accepts(sim, n_h, n) {
                hits.push((seq, u32_at(&held, 4), sim.jaccard));
            }
        }
        Ok(())
    })?;
    Ok(hits)
}

/// The similarity of two signatures stored as little-endian 16-bit values.
fn similarity16(a: &[u8], na: u32, b: &[u8], nb: u32) -> minhash::Similarity {
    let k = a.len().min(b.len()) / 2;
    let equal = a
        .chunks_exact(2)
        .zip(b.chunks_exact(2))
        .filter(|(x, y)| x == y)
        .count();
    minhash::estimate(equal, k, na, nb)
}

type Walked = (Vec<(u64, Vec<NearRepeat>)>, usize, usize);

/// The sequential index over the passage file, document by document, reading the file a
/// piece at a time (a document's passages may span two pieces).
fn walk(files: &NearFiles) -> Result<Walked> {
    let p = files.p;
    let (k, nb) = (p.bands * p.rows, p.bands);
    let mut ix = NearPassages::new(p);
    let mut ps = PassageSigs::default();
    let mut doc = None;
    let passages = (&files.passages.0, files.passage_kind(), NearFiles::slot(0));
    each_record(passages, WALK_READ, |rec| {
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
        Ok(())
    })?;
    if let Some(prev) = doc {
        ix.observe(prev, &ps, &|_| false);
    }
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

    /// The repeats of documents `0..docs` with any, read back from the file (which is
    /// then removed).
    fn all_repeats(r: &NearResult, docs: u32) -> Vec<(u64, Vec<NearRepeat>)> {
        let mut reader = r.reader().unwrap();
        let mut out = Vec::new();
        for d in 0..docs {
            let mut list = Vec::new();
            reader.repeats_of(d, &mut list).unwrap();
            if !list.is_empty() {
                out.push((u64::from(d), list));
            }
        }
        assert_eq!(reader.run.remaining(), 0, "every repeat read");
        r.remove();
        out
    }

    /// The rounds over files equal the one sequential index on random passage graphs
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
        let mut rounds_seen = 0;
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
            for (key_parts, split) in [(1, 1), (4, 3), (2, 8)] {
                let name = |stem: &str| dir.path().join(format!("{round}-{stem}"));
                let files = NearFiles::new(p, key_parts, 9, name);
                let mut w = NearWriter::create(files).unwrap();
                for (d, ps) in per_doc.iter().enumerate() {
                    w.observe(d as u32, &ps.0).unwrap();
                }
                let mut skipped = |d: u32, i: u32| Ok(per_doc[d as usize].1[i as usize]);
                let (mut files, count, written) = w.finish(&mut skipped).unwrap();
                files.set_split(split, name);
                let got = decide(&files, count, written).unwrap();
                files.remove();
                rounds_seen = rounds_seen.max(got.rounds);
                assert!(got.rounds >= 1, "the rounds converged");
                let got = all_repeats(&got, docs as u32);
                assert_eq!(
                    got, want,
                    "round {round}, {key_parts} key partitions split {split}"
                );
            }
            repeats_seen += want.iter().map(|x| x.1.len()).sum::<usize>();
        }
        assert!(repeats_seen > 100, "{repeats_seen}");
        // Chains of dropped holders took more than two rounds somewhere.
        assert!(rounds_seen > 2, "{rounds_seen}");
        let left = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(left, 0, "every file removed");
    }

    /// A chain where each passage repeats the one before but not the one before that: B
    /// is dropped as a repeat of A, so C (like A only through B) stays, and D is dropped
    /// as a repeat of C. It takes four rounds (the last one changes nothing); capped at one, the
    /// sequential index takes over and gives the same verdicts.
    #[test]
    fn a_chain_takes_rounds_and_the_capped_run_falls_back_to_the_same_verdicts() {
        let p = NearParams {
            bands: 2,
            rows: 2,
            min_jaccard: 0.5,
            min_containment: 0.99,
            min_jaccard_contained: 0.99,
        };
        // Signatures of 4 values; neighbours share 2 of them (J 0.5), others fewer.
        let sigs: [[u32; 4]; 4] = [[1, 2, 3, 4], [1, 2, 5, 6], [7, 8, 5, 6], [7, 8, 9, 10]];
        // Band keys: neighbours share one key.
        let keys: [[u32; 2]; 4] = [[100, 101], [100, 102], [103, 102], [103, 104]];
        let dir = TestDir::new("near-chain");
        let mut seq = NearPassages::new(p);
        let docs: Vec<PassageSigs> = (0..4)
            .map(|d| PassageSigs {
                items: vec![(0, 20)],
                sigs: sigs[d].to_vec(),
                keys: keys[d].to_vec(),
            })
            .collect();
        for (d, ps) in docs.iter().enumerate() {
            seq.observe(d as u32, ps, &|_| false);
        }
        let mut want = seq.take_found();
        want.sort_by_key(|x| x.0);
        let dropped: Vec<u64> = want.iter().map(|x| x.0).collect();
        assert_eq!(dropped, [1, 3], "{want:?}");
        for (max_rounds, rounds) in [(MAX_ROUNDS, 4), (1, 0)] {
            let name = |stem: &str| dir.path().join(format!("{max_rounds}-{stem}"));
            let files = NearFiles::new(p, 2, 9, name);
            let mut w = NearWriter::create(files).unwrap();
            for (d, ps) in docs.iter().enumerate() {
                w.observe(d as u32, ps).unwrap();
            }
            let (mut files, count, written) = w.finish(&mut |_, _| Ok(false)).unwrap();
            files.set_split(1, name);
            let got = decide_within(&files, count, written, max_rounds).unwrap();
            files.remove();
            assert_eq!(got.rounds, rounds);
            assert_eq!(got.indexed, 2);
            let got = all_repeats(&got, 4);
            assert_eq!(got, want, "at most {max_rounds} rounds");
        }
    }
}
