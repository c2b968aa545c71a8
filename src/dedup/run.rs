//! One dedup run over a corpus, driven by the pipeline in three calls, each consuming the
//! state before it: [`DedupRun::observe`] each sketched document in input order (setting
//! it and its sketch aside: in memory up to `dedup.memory_mb`, then in temporary files),
//! [`DedupRun::decide`] once after the last one (signatures → candidates → clusters), and
//! [`Decided::apply`] to read the documents back and emit every one's verdict in input
//! order.
//!
//! Memory held per document until the end: its id and 8 bytes of exact-duplicate link;
//! plus ~13 bytes per distinct document hash. Passage occurrences and marks live in
//! partition files (see `passage::phased`), as do the near-passage records (see
//! `near_passage::phased`); final signatures in a temporary file, band keys and
//! candidate pairs in partition files (see `bands`); texts and sketches beyond the memory
//! budget too.
use super::bands::{self, BandFiles, BandWriter, PairRuns};
use super::document::{self, Clusters, DocVerdict, ExactIndex};
use super::minhash;
use super::near_passage::phased::{self, NearFiles, NearResult, NearWriter};
use super::near_passage::{NearParams, PassageSigs};
use super::passage::phased::{
    self as passage_phased, MarkReader, PassageFiles, PassageWriter, Reduced,
};
use super::passage::PassageRules;
use super::sketch::{PassageSketch, Sketcher};
use super::spill::{self, SigFile, SpillDoc, Store, StoreReader, Stored, TempFiles};
use super::DedupConfig;
use crate::document::{Document, Rejection};
use crate::driver::{self, Flow};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::time::Instant;

mod apply;
mod report;

/// What the parallel per-document phase hands to the in-order phase.
pub struct Sketched {
    pub id: String,
    pub lang: Option<&'static str>,
    pub exact: u64,
    pub passages: Vec<PassageSketch>,
    /// Small signatures of the long passages.
    pub passage_sigs: PassageSigs,
    /// The encoded document (for the spill).
    pub spill: spill::SpillDoc,
    /// The encoded signature part of the sketch.
    pub sig: Vec<u8>,
    /// Cleaning removed more than half of the text.
    pub cut: bool,
}

/// Sketch and encode one document: a pure function, run in parallel.
pub fn sketch_doc(sketcher: &Sketcher, doc: Document) -> Sketched {
    let mut sk = sketcher.sketch(&doc);
    let sig = spill::encode_sig(&sk);
    let passage_sigs = std::mem::take(&mut sk.passage_sigs);
    let id = doc.id.clone();
    let lang = doc.lang;
    let spill = spill::encode_doc(doc, &sk.passages);
    Sketched {
        id,
        lang,
        exact: sk.exact,
        passages: sk.passages,
        passage_sigs,
        spill,
        sig,
        cut: sk.cut,
    }
}

/// A document's fate after dedup: a kept document as the caller's `prepare` made it on
/// the pool (for the writer, its serialized line), or a rejection.
pub enum Applied<K> {
    Kept {
        doc: K,
        /// A copy of the document with its final removals, for one in
        /// [`Decided::watch`].
        watched: Option<Box<Document>>,
    },
    Rejected(Box<Rejection>),
}

/// Passages and bytes removed per passage rule, for one document.
type PassageCounts = [(u64, u64); 3];

/// A final signature and its shingle count.
type FinalSig = (Vec<u32>, u32);

/// The decisions of [`DedupRun::decide`].
pub struct Decisions {
    verdicts: Vec<DocVerdict>,
    clusters: Clusters,
    candidates: usize,
    verified: usize,
    partitions: usize,
    band_file_bytes: u64,
    pair_file_bytes: u64,
    signature_bytes: u64,
}

/// A dedup run observing documents (the first of its three states: [`DedupRun`] →
/// [`DedupRun::decide`] → [`Decided`] → [`Decided::apply`] → [`Finished`]; each call
/// consumes the state before it, so no phase can run twice or out of order).
pub struct DedupRun {
    run: Run,
    /// The documents for pass 2, and the signature parts of their sketches.
    spill: Store<SpillDoc>,
    sketches: Store<Vec<u8>>,
    /// Bytes of the memory budget not yet used by the two stores.
    memory_left: u64,
}

/// A run whose duplicates are decided, ready to apply the decisions.
pub struct Decided {
    run: Run,
    /// The documents, read back in input order by `apply`.
    spilled: StoreReader<SpillDoc>,
    decisions: Decisions,
    /// Documents (numbers in input order, sorted) whose final removals `apply` hands back
    /// with their verdict (the report's sample).
    pub watch: Vec<u64>,
}

/// A run whose every document was emitted: what it did, for the report.
pub struct Finished {
    run: Run,
    decisions: Decisions,
}

/// What every state of a run shares: the indexes, per-document facts and counts.
struct Run {
    cfg: DedupConfig,
    sketcher: Sketcher,
    temps: TempFiles,
    /// Where the temporary files go (the output directory).
    dir: PathBuf,
    sig_path: PathBuf,
    /// Bytes (held in memory, written to a file) of each store.
    spill_bytes: (u64, u64),
    sketch_bytes: (u64, u64),
    /// MB of `memory_mb` the stores left for the later phases' partitions and blocks.
    phase_mb: u64,
    ids: Ids,
    exact_of: Vec<Option<u32>>,
    /// Per document: cleaning removed more than half of its text.
    cut: Vec<bool>,
    exact: ExactIndex,
    /// Exact passage dedup: recording every passage occurrence while documents are
    /// observed, then (after `decide`) each document's marks in its files.
    passage_files: Option<PassageFiles>,
    passage_writer: Option<PassageWriter>,
    passage_rules: PassageRules,
    passages: Reduced,
    /// Bytes of the occurrence files written.
    passage_occ_bytes: u64,
    /// Near-passage dedup: recording the long passages while documents are observed,
    /// then (after `decide`) what it found.
    near_writer: Option<NearWriter>,
    near: Option<NearResult>,
    langs: Vec<&'static str>,
    seconds: Vec<(&'static str, f64)>,
    removed: std::collections::BTreeMap<&'static str, (u64, u64)>,
    /// Documents `apply` rejected, by reason.
    rejected: std::collections::BTreeMap<&'static str, u64>,
}

impl DedupRun {
    /// Prepare a run whose temporary files live in `dir` (the output directory).
    pub fn create(cfg: &DedupConfig, dir: &Path) -> Result<DedupRun> {
        cfg.validate()?;
        let mut temps = TempFiles::new();
        let spill_path = temps.path(dir, "documents");
        let sketch_path = temps.path(dir, "sketches");
        let sig_path = temps.path(dir, "signatures");
        let mut run = Run {
            cfg: cfg.clone(),
            sketcher: Sketcher::new(cfg),
            temps,
            dir: dir.to_path_buf(),
            sig_path,
            spill_bytes: (0, 0),
            phase_mb: 0,
            sketch_bytes: (0, 0),
            ids: Ids::default(),
            exact_of: Vec::new(),
            cut: Vec::new(),
            exact: ExactIndex::default(),
            passage_files: None,
            passage_writer: None,
            passage_rules: PassageRules::new(&cfg.passage, &cfg.boilerplate),
            passages: Reduced::default(),
            passage_occ_bytes: 0,
            near_writer: None,
            near: None,
            langs: Vec::new(),
            seconds: Vec::new(),
            removed: Default::default(),
            rejected: Default::default(),
        };
        if cfg.passage.exact || cfg.boilerplate.enabled || cfg.passage.near {
            let parts = if cfg.partitions > 0 {
                cfg.partitions
            } else {
                PASSAGE_PARTITIONS
            };
            let params = passage_phased::params(cfg, parts);
            let (temps, dir) = (&mut run.temps, &run.dir);
            let files = PassageFiles::new(parts, params, |stem| temps.path(dir, stem));
            run.passage_writer = Some(PassageWriter::create(&files)?);
            run.passage_files = Some(files);
        }
        if cfg.passage.near {
            let p = NearParams {
                bands: cfg.passage.near_bands,
                rows: cfg.passage.near_rows,
                min_jaccard: cfg.passage.near_min_jaccard,
                min_containment: cfg.passage.near_min_containment,
                min_jaccard_contained: cfg.passage.near_min_jaccard_contained,
            };
            let key_parts = if cfg.partitions > 0 {
                cfg.partitions
            } else {
                NEAR_KEY_PARTITIONS
            };
            let params = phased::params(&p, cfg.seed, key_parts);
            let (temps, dir) = (&mut run.temps, &run.dir);
            let files = NearFiles::new(p, key_parts, params, |stem| temps.path(dir, stem));
            run.near_writer = Some(NearWriter::create(files)?);
        }
        Ok(DedupRun {
            run,
            spill: Store::new(&spill_path),
            sketches: Store::new(&sketch_path),
            memory_left: cfg.memory_mb.saturating_mul(1 << 20),
        })
    }

    /// The sketcher documents are sketched with (in parallel) before [`Self::observe`].
    pub fn sketcher(&self) -> &Sketcher {
        &self.run.sketcher
    }

    /// Record the next document in input order.
    pub fn observe(&mut self, s: Sketched) -> Result<()> {
        self.run.observe(&s)?;
        self.spill.push(s.spill, &mut self.memory_left)?;
        self.sketches.push(s.sig, &mut self.memory_left)
    }

    /// Documents observed.
    pub fn docs(&self) -> usize {
        self.run.ids.len()
    }

    /// Phases 2-3: final signatures and band hashes, candidates, verification, clusters.
    /// `on_step(phase, done, total)` reports progress: documents for `signatures`, 0 then
    /// 1 for the phases done in one step.
    pub fn decide(
        self,
        pool: &rayon::ThreadPool,
        on_step: &mut dyn FnMut(&'static str, u64, u64),
    ) -> Result<Decided> {
        let DedupRun {
            mut run,
            spill,
            sketches,
            memory_left,
        } = self;
        // The documents and sketches set aside come first; the phases' partitions and
        // blocks get what they left of the budget (each has a floor of its own).
        run.phase_mb = memory_left >> 20;
        run.spill_bytes = (spill.held_bytes, spill.file_bytes());
        run.sketch_bytes = (sketches.held_bytes, sketches.file_bytes());
        let spilled = spill.finish()?;
        let decisions = run.decide(sketches.finish()?, pool, on_step)?;
        Ok(Decided {
            run,
            spilled,
            decisions,
            watch: Vec::new(),
        })
    }
}

impl Decided {
    /// Documents observed.
    pub fn docs(&self) -> usize {
        self.run.ids.len()
    }

    /// What was decided.
    pub fn decisions(&self) -> &Decisions {
        &self.decisions
    }
}

impl Finished {
    /// Documents observed.
    pub fn docs(&self) -> usize {
        self.run.ids.len()
    }

    /// The documents `apply` rejected, by reason (`exact-duplicate`, `near-duplicate`,
    /// `duplicate-stub`, `only-duplicate-passages`).
    pub fn rejected(&self) -> &std::collections::BTreeMap<&'static str, u64> {
        &self.run.rejected
    }

    /// The `dedup` section of report.json.
    pub fn report(&self) -> serde_json::Value {
        self.run.report(&self.decisions)
    }
}

impl Run {
    /// Index the next document in input order.
    fn observe(&mut self, s: &Sketched) -> Result<()> {
        let doc = u32::try_from(self.ids.len())
            .map_err(|_| Error::Usage("more than 4 billion documents".into()))?;
        let first = if self.cfg.document.exact {
            self.exact.observe(doc, s.exact)
        } else {
            None
        };
        if first.is_none() {
            if let Some(w) = self.passage_writer.as_mut() {
                w.observe(doc, &s.passages)?;
            }
            // Every long passage: those that repeat an earlier one exactly are left out
            // once the passage marks are known.
            if let Some(near) = self.near_writer.as_mut() {
                near.observe(doc, &s.passage_sigs)?;
            }
        }
        self.exact_of.push(first);
        self.cut.push(s.cut);
        self.ids.push(&s.id);
        if let Some(l) = s.lang {
            if !self.langs.contains(&l) {
                self.langs.push(l);
            }
        }
        Ok(())
    }

    /// Phases 2-3 over the sketches read back in input order.
    fn decide(
        &mut self,
        mut reader: StoreReader<Vec<u8>>,
        pool: &rayon::ThreadPool,
        on_step: &mut dyn FnMut(&'static str, u64, u64),
    ) -> Result<Decisions> {
        if let Some(w) = self.passage_writer.take() {
            let t0 = Instant::now();
            on_step("passages", 0, 1);
            let occurrences = w.occurrences();
            self.passage_occ_bytes = w.finish()?;
            if let Some(files) = self.passage_files.as_mut() {
                // A partition's reduction within a quarter of what the held documents
                // left of the budget (64 MB when that is less).
                let budget = (self.phase_mb.max(64) << 20) / 4;
                let split = files.split_for(occurrences, budget);
                let (temps, dir) = (&mut self.temps, &self.dir);
                files.set_split(split, |stem| temps.path(dir, stem));
                let bp = &self.cfg.boilerplate;
                self.passages = pool.install(|| passage_phased::reduce(files, bp))?;
            }
            self.seconds.push(("passages", t0.elapsed().as_secs_f64()));
            on_step("passages", 1, 1);
        }
        if let Some(w) = self.near_writer.take() {
            let t0 = Instant::now();
            on_step("near-passages", 0, 1);
            // The passages that repeat an earlier one exactly take no part.
            let mut marks = self.mark_reader()?;
            let mut of_doc = Vec::new();
            let mut doc = None;
            let mut is_repeat = |d: u32, p: u32| -> Result<bool> {
                let Some(m) = marks.as_mut() else {
                    return Ok(false);
                };
                if doc != Some(d) {
                    m.marks_of(d, &mut of_doc)?;
                    doc = Some(d);
                }
                Ok(!super::passage::is_first(&of_doc, p))
            };
            let (mut files, count, written) = w.finish(&mut is_repeat)?;
            // Key records to sort: `bands` a passage of about 60 bytes each with the
            // sort's scratch. Configured partitions are the key partitions themselves.
            let split = if self.cfg.partitions > 0 {
                1
            } else {
                let work = u64::from(count) * self.cfg.passage.near_bands as u64 * 60;
                bands::partition_count(0, self.phase_mb, work).div_ceil(files.key_partitions())
            };
            let (temps, dir) = (&mut self.temps, &self.dir);
            files.set_split(split, |stem| temps.path(dir, stem));
            let found = pool.install(|| phased::decide(&files, count, written));
            files.remove();
            self.near = Some(found?);
            self.seconds
                .push(("near-passages", t0.elapsed().as_secs_f64()));
            on_step("near-passages", 1, 1);
        }
        let t0 = Instant::now();
        let dc = self.cfg.document.clone();
        let k = dc.num_hashes;
        let n = self.ids.len();
        // A partition's band keys sorted with scratch: about 16 bytes a key.
        let work = (n as u64)
            .saturating_mul(dc.bands as u64)
            .saturating_mul(16);
        let parts = bands::partition_count(self.cfg.partitions, self.phase_mb, work);
        let params = bands::params(&self.cfg, parts);
        let (temps, dir) = (&mut self.temps, &self.dir);
        let files = BandFiles::new(parts, params, |stem| temps.path(dir, stem));
        let mut band_keys = BandWriter::create(&files)?;
        let mut fixed = FrameLessWriter::create(&self.sig_path)?;
        let mut next_doc = 0usize;
        let mut appended = 0u32;
        on_step("signatures", 0, n as u64);
        let this = &*self;
        // Per chunk of documents, in parallel: the signature file records, band hashes
        // and activity, appended in order (batch N computed while N-1 is appended); the
        // band hashes of active documents go to their partitions on disk.
        let work = |chunk: Vec<(usize, Vec<u8>, Vec<u64>)>| -> Result<FinalChunk> {
            let mut out = FinalChunk::default();
            for (d, rec, boilerplate) in chunk {
                let f = this.final_signature(d, &rec, k, &dc, &boilerplate)?;
                match &f {
                    Some((sig, count)) => {
                        SigFile::encode(sig, *count, &mut out.records);
                        minhash::band_hashes(sig, dc.bands, dc.rows, &mut out.bands);
                    }
                    None => {
                        SigFile::encode(&vec![0; k], 0, &mut out.records);
                        out.bands.extend(std::iter::repeat_n(0, dc.bands));
                    }
                }
                out.active.push(f.is_some());
            }
            Ok(out)
        };
        let mut append = |c: Result<FinalChunk>| -> Result<Flow> {
            let c = c?;
            fixed.write(&c.records)?;
            for (row, active) in c.bands.chunks_exact(dc.bands).zip(&c.active) {
                if *active {
                    band_keys.push(appended, row)?;
                }
                appended += 1;
            }
            Ok(Flow::Continue)
        };
        let mut drive = driver::Ordered::new(pool, SIG_CHUNK, work);
        // The boilerplate short passages of each document, from its marks.
        let mut marks = if dc.near { this.mark_reader()? } else { None };
        let mut of_doc = Vec::new();
        loop {
            let mut batch = Vec::with_capacity(2048);
            while batch.len() < 2048 {
                match reader.next_record()? {
                    Some(Stored::Held(r) | Stored::Framed(r)) => {
                        let d = next_doc + batch.len();
                        let mut boilerplate = Vec::new();
                        if let Some(m) = marks.as_mut() {
                            m.marks_of(d as u32, &mut of_doc)?;
                            let bp = of_doc.iter().filter(|m| m.boilerplate);
                            boilerplate.extend(bp.map(|m| m.hash));
                        }
                        batch.push((d, r, boilerplate))
                    }
                    None => break,
                }
            }
            if batch.is_empty() {
                break;
            }
            let base = next_doc;
            next_doc += batch.len();
            drive.push(batch, &mut append)?;
            on_step("signatures", base as u64, n as u64);
        }
        drive.finish(&mut append)?;
        if next_doc != n {
            return Err(Error::Usage("dedup: sketch file is incomplete".into()));
        }
        let signature_bytes = fixed.finish()?;
        let band_file_bytes = band_keys.finish()?;
        on_step("signatures", n as u64, n as u64);
        self.seconds
            .push(("signatures", t0.elapsed().as_secs_f64()));

        let t0 = Instant::now();
        on_step("candidates", 0, 1);
        let pair_file_bytes =
            pool.install(|| bands::write_pairs(&files, dc.bands, dc.max_bucket_pairs))?;
        self.seconds
            .push(("candidates", t0.elapsed().as_secs_f64()));
        on_step("candidates", 1, 1);
        on_step("verify", 0, 1);

        // The candidate pairs, merged from the partitions in order, verified block by
        // block: memory holds the pairs of one block of earlier documents and the
        // duplicates found, and the pages of two blocks of the signature file.
        let t0 = Instant::now();
        let dump = std::env::var_os("RINSE_DEDUP_DUMP_PAIRS");
        let mut blocks = BlockVerify {
            block: sig_block_docs(self.phase_mb, k, n),
            measure_all: dump.is_some(),
            group: Vec::new(),
            verified: Vec::new(),
            measured: Vec::new(),
        };
        let mut runs = PairRuns::open(&files)?;
        let mut candidates = 0usize;
        let mut start = 0usize;
        while start < n {
            let end = start.saturating_add(blocks.block).min(n);
            runs.next_block(end as u32, &mut blocks.group, pool)?;
            candidates += blocks.flush(self, pool)?;
            start = end;
        }
        let BlockVerify {
            mut verified,
            mut measured,
            ..
        } = blocks;
        drop(runs);
        bands::remove(&files);
        // In pair order, as one pass over the sorted candidates gives them.
        verified.sort_unstable_by_key(|v: &document::Verified| (v.0, v.1));
        if let Some(path) = dump {
            measured.sort_unstable_by_key(|v: &document::Verified| (v.0, v.1));
            let mut text = String::new();
            for (a, b, s, _) in measured {
                text += &format!(
                    "{} {} {:.4} {:.4}\n",
                    self.ids.id(a),
                    self.ids.id(b),
                    s.jaccard,
                    s.containment
                );
            }
            std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
        }
        self.seconds.push(("verify", t0.elapsed().as_secs_f64()));
        on_step("verify", 1, 1);
        on_step("clusters", 0, 1);
        // Clusters look up the signatures of the near duplicates and their originals only:
        // read one by one, not mapped (mapped, their pages would stay resident).
        let sigs = SigFile::open_unmapped(&self.sig_path, k)?;
        let lookup = |d: u32| sigs.get(d);

        let t0 = Instant::now();
        let (verdicts, clusters) = document::clusters(&self.exact_of, &verified, &lookup, 10)?;
        self.seconds.push(("clusters", t0.elapsed().as_secs_f64()));
        on_step("clusters", 1, 1);
        Ok(Decisions {
            verdicts,
            clusters,
            candidates,
            verified: verified.len(),
            partitions: parts,
            band_file_bytes,
            pair_file_bytes,
            signature_bytes,
        })
    }
}

impl Decisions {
    /// The document that document `d` (number in input order) is an exact or near
    /// duplicate of, if it is one.
    pub fn duplicate_of(&self, d: u64) -> Option<u64> {
        match self.verdicts.get(usize::try_from(d).ok()?)? {
            DocVerdict::Exact { of } | DocVerdict::Near { of, .. } => Some(u64::from(*of)),
            DocVerdict::Keep => None,
        }
    }
}

/// Documents per parallel task of the signature phase.
const SIG_CHUNK: usize = 64;

/// Candidate pairs verified at a time.
const VERIFY_BATCH: usize = 1 << 16;

/// Verification block by block: the candidate pairs whose earlier documents lie in one
/// block of `block` documents are gathered, sorted and deduplicated; each group is
/// verified ordered by the block of the later document, each run of one later block with
/// the signature file mapped afresh, so that only the pages of two blocks are resident at
/// a time.
struct BlockVerify {
    block: usize,
    /// Also measure every pair (for `RINSE_DEDUP_DUMP_PAIRS`).
    measure_all: bool,
    group: Vec<(u32, u32)>,
    /// The duplicates found, and with `measure_all` every pair's similarity.
    verified: Vec<document::Verified>,
    measured: Vec<document::Verified>,
}

impl BlockVerify {
    /// Verify the pairs gathered (the candidates of one block of earlier documents, in
    /// any order and some more than once); returns how many distinct pairs they were.
    fn flush(&mut self, run: &Run, pool: &rayon::ThreadPool) -> Result<usize> {
        use rayon::slice::ParallelSliceMut;
        let dc = &run.cfg.document;
        let cut = |d: u32| run.cut.get(d as usize).copied().unwrap_or(false);
        let block = self.block;
        let group = &mut self.group;
        pool.install(|| group.par_sort_unstable_by_key(|&(a, b)| (b as usize / block, a, b)));
        self.group.dedup();
        let count = self.group.len();
        for later in self
            .group
            .chunk_by(|x, y| x.1 as usize / block == y.1 as usize / block)
        {
            let sigs = SigFile::open(&run.sig_path, dc.num_hashes)?;
            let lookup = |d: u32, out: &mut Vec<u32>| sigs.get_into(d, out);
            for batch in later.chunks(VERIFY_BATCH) {
                if self.measure_all {
                    let mut all = dc.clone();
                    all.min_jaccard = 0.0;
                    self.measured.extend(
                        pool.install(|| document::verify(batch, &lookup, &|_| false, &all))?,
                    );
                }
                self.verified
                    .extend(pool.install(|| document::verify(batch, &lookup, &cut, dc))?);
            }
        }
        self.group.clear();
        Ok(count)
    }
}

/// Documents per block of the signature file in verification: two blocks are mapped at a
/// time, within a quarter of `memory_mb` (64 MB when it is 0), but never more than
/// `MAX_SIG_BLOCKS` blocks for the `docs` documents (each pair of blocks maps the file
/// anew).
fn sig_block_docs(memory_mb: u64, num_hashes: usize, docs: usize) -> usize {
    let mb = if memory_mb == 0 { 64 } else { memory_mb };
    let budget = (mb << 20) / 8;
    let by_budget = (budget / SigFile::record_bytes(num_hashes) as u64) as usize;
    by_budget.max(docs.div_ceil(MAX_SIG_BLOCKS)).max(1)
}

/// At most this many blocks of documents in verification.
const MAX_SIG_BLOCKS: usize = 64;

/// Partitions of exact passage dedup when `[dedup] partitions` is 0 (their number must be
/// fixed before the first document; each stages 16 KiB).
const PASSAGE_PARTITIONS: usize = 64;

/// Key partitions of near-passage dedup when `[dedup] partitions` is 0 (their number must
/// be fixed before the first document; each stages 32 KiB).
const NEAR_KEY_PARTITIONS: usize = 64;

/// Signature file records, band hashes and activity of consecutive documents.
#[derive(Default)]
struct FinalChunk {
    records: Vec<u8>,
    bands: Vec<u32>,
    active: Vec<bool>,
}

impl Run {
    /// The passage marks, in document order (`None` when no passage phase ran).
    fn mark_reader(&self) -> Result<Option<MarkReader>> {
        match &self.passage_files {
            Some(files) if self.passage_writer.is_none() => Ok(Some(MarkReader::open(files)?)),
            _ => Ok(None),
        }
    }

    /// The final signature of document `d` from its sketch record (`None`: inactive).
    fn final_signature(
        &self,
        d: usize,
        rec: &[u8],
        k: usize,
        dc: &super::DocumentConfig,
        boilerplate: &[u64],
    ) -> Result<Option<FinalSig>> {
        if self.exact_of.get(d).copied().flatten().is_some() || !dc.near {
            return Ok(None);
        }
        let (mut sig, long, short, short_shingles) = spill::decode_sig(rec)?;
        if sig.len() != k {
            return Err(Error::Usage("dedup: signature length mismatch".into()));
        }
        let count = document::final_signature(
            &self.sketcher.minhasher,
            &mut sig,
            long,
            &short,
            &short_shingles,
            &|hash| boilerplate.contains(&hash),
        );
        Ok((count > 0).then_some((sig, count)))
    }
}

/// Document ids in input order, in one buffer: an id of its own per document would cost an
/// allocation and 16 bytes of pointer and length each (10 MB at 650,000 documents).
#[derive(Default)]
struct Ids {
    text: String,
    /// Where each id ends in `text`.
    ends: Vec<u64>,
}

impl Ids {
    fn push(&mut self, id: &str) {
        self.text.push_str(id);
        self.ends.push(self.text.len() as u64);
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    /// The id of document `d`, if there is one.
    fn get(&self, d: usize) -> Option<&str> {
        let end = *self.ends.get(d)? as usize;
        let start = match d {
            0 => 0,
            _ => self.ends[d - 1] as usize,
        };
        self.text.get(start..end)
    }

    /// The id of document `d` ("" past the end).
    fn id(&self, d: u32) -> &str {
        self.get(d as usize).unwrap_or_default()
    }

    /// Bytes held.
    fn bytes(&self) -> usize {
        self.text.capacity() + self.ends.capacity() * 8
    }
}

/// Writes the fixed-size signature records back to back.
struct FrameLessWriter {
    path: PathBuf,
    out: std::io::BufWriter<std::fs::File>,
    bytes: u64,
}

impl FrameLessWriter {
    fn create(path: &Path) -> Result<Self> {
        let f = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
        Ok(FrameLessWriter {
            path: path.to_path_buf(),
            out: std::io::BufWriter::with_capacity(1 << 20, f),
            bytes: 0,
        })
    }

    fn write(&mut self, b: &[u8]) -> Result<()> {
        use std::io::Write;
        self.bytes += b.len() as u64;
        self.out.write_all(b).map_err(|e| Error::io(&self.path, e))
    }

    fn finish(mut self) -> Result<u64> {
        use std::io::Write;
        self.out.flush().map_err(|e| Error::io(&self.path, e))?;
        Ok(self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_blocks_follow_the_budget_within_bounds() {
        // 1 MB: 128 KiB per block of 516-byte records; the 2 MB test corpus's 803
        // documents make 4 blocks, so the byte-identity test with that budget verifies
        // across blocks.
        assert_eq!(sig_block_docs(1, 128, 803), 254);
        // 0 is the 64 MB floor; the default budget holds a large corpus in few blocks.
        assert_eq!(sig_block_docs(0, 128, 10), (8 << 20) / 516);
        assert_eq!(sig_block_docs(1024, 128, 650_000), (128 << 20) / 516);
        // Never more than 64 blocks; a large signature leaves few documents per block.
        assert_eq!(
            sig_block_docs(1, 128, 1_000_000),
            1_000_000usize.div_ceil(64)
        );
        assert_eq!(sig_block_docs(1, 4096, 0), 7);
    }
}
