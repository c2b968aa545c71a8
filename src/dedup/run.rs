//! One dedup run over a corpus, driven by the pipeline in three calls:
//! [`DedupRun::observe`] each sketched document in input order (spilling it to a temporary
//! file), [`DedupRun::decide`] once after the last one (signatures → candidates →
//! clusters), and [`DedupRun::apply`] to re-read the spill and emit every document's
//! verdict in input order.
//!
//! Memory held per document until the end: its id, 4 bytes of exact-duplicate link, and
//! `bands × 4` bytes of band hashes; plus 8+16 bytes per distinct passage hash and 12 per
//! distinct document hash. Texts and signatures live in the temporary files.
use super::document::{self, BandIndex, Clusters, DocVerdict, ExactIndex};
use super::minhash::Similarity;
use super::near_passage::{NearParams, NearPassages, PassageSig, RULE_NEAR};
use super::passage::{PassageIndex, RULE_BOILERPLATE, RULE_EXACT};
use super::sketch::{PassageSketch, Sketcher};
use super::spill::{self, FrameReader, FrameWriter, SigFile, TempFiles};
use super::DedupConfig;
use crate::document::{Document, Rejection, Verdict};
use crate::error::{Error, Result};
use crate::write::{kept_line, WriteOptions};
use rayon::prelude::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What the parallel per-document phase hands to the in-order phase.
pub struct Sketched {
    pub id: String,
    pub lang: Option<&'static str>,
    pub exact: u64,
    pub passages: Vec<PassageSketch>,
    /// Small signatures of the long passages.
    pub passage_sigs: Vec<PassageSig>,
    /// The encoded document (for the spill).
    pub spill: Vec<u8>,
    /// The encoded signature part of the sketch.
    pub sig: Vec<u8>,
}

/// Sketch and encode one document: a pure function, run in parallel.
pub fn sketch_doc(sketcher: &Sketcher, doc: Document, text_field: &str) -> Sketched {
    let mut sk = sketcher.sketch(&doc);
    let sig = spill::encode_sig(&sk);
    let passage_sigs = std::mem::take(&mut sk.passage_sigs);
    let id = doc.id.clone();
    let lang = doc.lang;
    let spill = spill::encode_doc(doc, &sk.passages, text_field);
    Sketched {
        id,
        lang,
        exact: sk.exact,
        passages: sk.passages,
        passage_sigs,
        spill,
        sig,
    }
}

/// A document's fate after dedup, ready to write: kept records are already serialized.
pub enum Applied {
    /// A kept record's JSON line and the byte length of its output text.
    Kept {
        line: Vec<u8>,
        text_bytes: u64,
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
    band_bytes: usize,
    signature_bytes: u64,
}

pub struct DedupRun {
    cfg: DedupConfig,
    pub sketcher: Sketcher,
    _temps: TempFiles,
    spill_path: PathBuf,
    sketch_path: PathBuf,
    sig_path: PathBuf,
    spill: Option<FrameWriter>,
    sketches: Option<FrameWriter>,
    spill_bytes: u64,
    sketch_bytes: u64,
    ids: Vec<Box<str>>,
    exact_of: Vec<Option<u32>>,
    exact: ExactIndex,
    passages: PassageIndex,
    near: Option<NearPassages>,
    langs: Vec<&'static str>,
    seconds: Vec<(&'static str, f64)>,
    removed: std::collections::BTreeMap<&'static str, (u64, u64)>,
}

impl DedupRun {
    /// Prepare a run whose temporary files live in `dir` (the output directory).
    pub fn create(cfg: &DedupConfig, dir: &Path) -> Result<DedupRun> {
        cfg.validate()?;
        let mut temps = TempFiles::new();
        let spill_path = temps.path(dir, "documents");
        let sketch_path = temps.path(dir, "sketches");
        let sig_path = temps.path(dir, "signatures");
        Ok(DedupRun {
            spill: Some(FrameWriter::create(&spill_path)?),
            sketches: Some(FrameWriter::create(&sketch_path)?),
            cfg: cfg.clone(),
            sketcher: Sketcher::new(cfg),
            _temps: temps,
            spill_path,
            sketch_path,
            sig_path,
            spill_bytes: 0,
            sketch_bytes: 0,
            ids: Vec::new(),
            exact_of: Vec::new(),
            exact: ExactIndex::default(),
            passages: PassageIndex::new(&cfg.passage, &cfg.boilerplate),
            near: cfg.passage.near.then(|| {
                NearPassages::new(NearParams {
                    bands: cfg.passage.near_bands,
                    rows: cfg.passage.near_rows,
                    min_jaccard: cfg.passage.near_min_jaccard,
                    min_containment: cfg.passage.near_min_containment,
                    min_jaccard_contained: cfg.passage.near_min_jaccard_contained,
                })
            }),
            langs: Vec::new(),
            seconds: Vec::new(),
            removed: Default::default(),
        })
    }

    /// Record the next document in input order.
    pub fn observe(&mut self, s: Sketched) -> Result<()> {
        let doc = u32::try_from(self.ids.len())
            .map_err(|_| Error::Usage("more than 4 billion documents".into()))?;
        let first = if self.cfg.document.exact {
            self.exact.observe(doc, s.exact)
        } else {
            None
        };
        if first.is_none() {
            self.passages.observe(doc, &s.passages);
            if let Some(near) = self.near.as_mut() {
                let (ix, ps) = (&self.passages, &s.passages);
                let skip = |p: u32| match ps.get(p as usize) {
                    Some(x) => !ix.is_first(x.hash, doc, p),
                    None => true,
                };
                near.observe(doc, &s.passage_sigs, &skip);
            }
        }
        self.exact_of.push(first);
        self.ids.push(s.id.into_boxed_str());
        if let Some(l) = s.lang {
            if !self.langs.contains(&l) {
                self.langs.push(l);
            }
        }
        let (Some(spill), Some(sketches)) = (self.spill.as_mut(), self.sketches.as_mut()) else {
            return Err(Error::Usage("dedup: document observed after decide".into()));
        };
        spill.write(&s.spill)?;
        sketches.write(&s.sig)
    }

    /// Documents observed.
    pub fn docs(&self) -> usize {
        self.ids.len()
    }

    /// Phases 2-3: final signatures and band hashes, candidates, verification, clusters.
    pub fn decide(&mut self, pool: &rayon::ThreadPool) -> Result<Decisions> {
        if let Some(w) = self.spill.take() {
            self.spill_bytes = w.bytes;
            w.finish()?;
        }
        if let Some(w) = self.sketches.take() {
            self.sketch_bytes = w.bytes;
            w.finish()?;
        }
        let t0 = Instant::now();
        let dc = self.cfg.document.clone();
        let k = dc.num_hashes;
        let n = self.ids.len();
        let mut bands = BandIndex::new(dc.bands);
        let mut fixed = FrameLessWriter::create(&self.sig_path)?;
        let mut reader = FrameReader::open(&self.sketch_path)?;
        let mut next_doc = 0usize;
        loop {
            let mut batch = Vec::with_capacity(2048);
            while batch.len() < 2048 {
                match reader.next_record()? {
                    Some(r) => batch.push(r),
                    None => break,
                }
            }
            if batch.is_empty() {
                break;
            }
            let base = next_doc;
            next_doc += batch.len();
            let this = &*self;
            let finals: Vec<Result<Option<FinalSig>>> = pool.install(|| {
                batch
                    .par_iter()
                    .enumerate()
                    .map(|(i, rec)| {
                        if this.exact_of.get(base + i).copied().flatten().is_some() || !dc.near {
                            return Ok(None);
                        }
                        let (mut sig, long, short) = spill::decode_sig(rec)?;
                        if sig.len() != k {
                            return Err(Error::Usage("dedup: signature length mismatch".into()));
                        }
                        let count = document::final_signature(
                            &this.sketcher.minhasher,
                            &mut sig,
                            long,
                            &short,
                            &this.passages,
                        );
                        Ok((count > 0).then_some((sig, count)))
                    })
                    .collect()
            });
            let mut buf = Vec::new();
            for f in finals {
                let f = f?;
                buf.clear();
                match &f {
                    Some((sig, count)) => SigFile::encode(sig, *count, &mut buf),
                    None => SigFile::encode(&vec![0; k], 0, &mut buf),
                }
                fixed.write(&buf)?;
                bands.push(f.as_ref().map(|(s, _)| s.as_slice()), dc.rows);
            }
        }
        if next_doc != n {
            return Err(Error::Usage("dedup: sketch file is incomplete".into()));
        }
        let signature_bytes = fixed.finish()?;
        self.seconds
            .push(("signatures", t0.elapsed().as_secs_f64()));

        let t0 = Instant::now();
        let pairs = pool.install(|| document::candidates(&bands, dc.max_bucket_pairs));
        self.seconds
            .push(("candidates", t0.elapsed().as_secs_f64()));

        let t0 = Instant::now();
        let sigs = SigFile::open(&self.sig_path, k)?;
        let lookup = |d: u32| sigs.get(d);
        if let Some(path) = std::env::var_os("RINSE_DEDUP_DUMP_PAIRS") {
            let mut all = dc.clone();
            all.min_jaccard = 0.0;
            let measured = pool.install(|| document::verify(&pairs, &lookup, &all))?;
            let mut text = String::new();
            for (a, b, s) in measured {
                text += &format!(
                    "{} {} {:.4} {:.4}\n",
                    self.ids[a as usize], self.ids[b as usize], s.jaccard, s.containment
                );
            }
            std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
        }
        let verified = pool.install(|| document::verify(&pairs, &lookup, &dc))?;
        self.seconds.push(("verify", t0.elapsed().as_secs_f64()));

        let t0 = Instant::now();
        let (verdicts, clusters) = document::clusters(&self.exact_of, &verified, &lookup, 10)?;
        self.seconds.push(("clusters", t0.elapsed().as_secs_f64()));
        Ok(Decisions {
            verdicts,
            clusters,
            candidates: pairs.len(),
            verified: verified.len(),
            band_bytes: bands.bytes(),
            signature_bytes,
        })
    }

    /// Phase 4: re-read the spilled documents and emit each one's verdict, in input order.
    pub fn apply(
        &mut self,
        decisions: &Decisions,
        pool: &rayon::ThreadPool,
        opts: &WriteOptions,
        emit: &mut dyn FnMut(Applied) -> Result<()>,
    ) -> Result<()> {
        let t0 = Instant::now();
        let mut reader = FrameReader::open(&self.spill_path)?;
        let mut next_doc = 0usize;
        // A reader thread keeps the next batch of spilled documents ready.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Vec<u8>>>(2);
        std::thread::scope(|scope| -> Result<()> {
            let read = scope.spawn(move || -> Result<()> {
                loop {
                    let mut batch = Vec::with_capacity(1024);
                    while batch.len() < 1024 {
                        match reader.next_record()? {
                            Some(r) => batch.push(r),
                            None => break,
                        }
                    }
                    if batch.is_empty() || tx.send(batch).is_err() {
                        return Ok(());
                    }
                }
            });
            let result = self.apply_batches(rx, &mut next_doc, decisions, pool, opts, emit);
            let read_result = read
                .join()
                .map_err(|_| Error::Usage("dedup spill reader panicked".into()))?;
            result?;
            read_result
        })?;
        if next_doc != self.ids.len() {
            return Err(Error::Usage("dedup: document spill is incomplete".into()));
        }
        self.seconds.push(("apply", t0.elapsed().as_secs_f64()));
        Ok(())
    }

    fn apply_batches(
        &mut self,
        rx: std::sync::mpsc::Receiver<Vec<Vec<u8>>>,
        next_doc: &mut usize,
        decisions: &Decisions,
        pool: &rayon::ThreadPool,
        opts: &WriteOptions,
        emit: &mut dyn FnMut(Applied) -> Result<()>,
    ) -> Result<()> {
        let text_field = opts.fields.text.as_str();
        for batch in rx.iter() {
            let base = *next_doc;
            *next_doc += batch.len();
            let this = &*self;
            let out: Vec<Result<(Applied, PassageCounts)>> = pool.install(|| {
                batch
                    .par_iter()
                    .enumerate()
                    .map(|(i, rec)| {
                        let v = this.verdict((base + i) as u32, rec, decisions, text_field)?;
                        let mut counts = [(0u64, 0u64); 3];
                        Ok(match v {
                            Verdict::Kept(doc) => {
                                for r in &doc.removals {
                                    for (k, rule) in
                                        [RULE_EXACT, RULE_BOILERPLATE, RULE_NEAR].iter().enumerate()
                                    {
                                        if &*r.rule == *rule {
                                            counts[k].0 += 1;
                                            counts[k].1 += (r.end - r.start) as u64;
                                        }
                                    }
                                }
                                let (line, text_bytes) = kept_line(doc, opts);
                                (Applied::Kept { line, text_bytes }, counts)
                            }
                            Verdict::Rejected(r) => (Applied::Rejected(Box::new(r)), counts),
                        })
                    })
                    .collect()
            });
            for v in out {
                let (v, counts) = v?;
                for (k, rule) in [RULE_EXACT, RULE_BOILERPLATE, RULE_NEAR].iter().enumerate() {
                    let e = self.removed.entry(rule).or_default();
                    e.0 += counts[k].0;
                    e.1 += counts[k].1;
                }
                emit(v)?;
            }
        }
        Ok(())
    }

    fn verdict(
        &self,
        d: u32,
        rec: &[u8],
        decisions: &Decisions,
        text_field: &str,
    ) -> Result<Verdict> {
        let (mut doc, passages) = spill::decode_doc(rec, &self.langs, text_field)?;
        let id_of = |x: u32| {
            self.ids
                .get(x as usize)
                .map(|s| s.to_string())
                .unwrap_or_default()
        };
        let (reason, of, sim) = match decisions.verdicts.get(d as usize) {
            Some(DocVerdict::Exact { of }) => (
                "exact-duplicate",
                *of,
                Similarity {
                    jaccard: 1.0,
                    containment: 1.0,
                },
            ),
            Some(DocVerdict::Near { of, similarity }) => ("near-duplicate", *of, *similarity),
            _ => {
                let removals = self.passages.removals(d, &passages, &id_of);
                let mut near_removals = Vec::new();
                if let Some(near) = &self.near {
                    let span = |p: u32| passages.get(p as usize).map(|x| (x.start, x.end));
                    for r in near.removals(d, &span, &id_of) {
                        if !removals.iter().any(|x| x.start == r.start) {
                            near_removals.push(r);
                        }
                    }
                }
                let clean_len = doc.removals.len();
                doc.removals.extend(removals);
                doc.removals.extend(near_removals.iter().cloned());
                if !near_removals.is_empty() && all_removed(&doc.text, &doc.removals) {
                    // Near repeats alone never empty a document: keep them then.
                    let n = doc.removals.len() - near_removals.len();
                    doc.removals.truncate(n.max(clean_len));
                }
                if all_removed(&doc.text, &doc.removals) {
                    let mut r = Rejection::of(doc, "only-duplicate-passages", "dedup");
                    r.detail = Some("every passage is an exact repeat or boilerplate".into());
                    return Ok(Verdict::Rejected(r));
                }
                return Ok(Verdict::Kept(doc));
            }
        };
        let mut r = Rejection::of(doc, reason, "dedup");
        r.detail = Some(format!(
            "{reason} of {} (jaccard {:.3}, containment {:.3})",
            id_of(of),
            sim.jaccard,
            sim.containment
        ));
        r.extra.insert("dup_of".into(), json!(id_of(of)));
        r.extra
            .insert("similarity".into(), json!(round4(sim.jaccard)));
        r.extra
            .insert("containment".into(), json!(round4(sim.containment)));
        Ok(Verdict::Rejected(r))
    }

    /// The `dedup` section of report.json.
    pub fn report(&self, d: &Decisions) -> Value {
        let exact = d
            .verdicts
            .iter()
            .filter(|v| matches!(v, DocVerdict::Exact { .. }))
            .count();
        let near = d
            .verdicts
            .iter()
            .filter(|v| matches!(v, DocVerdict::Near { .. }))
            .count();
        let largest: Vec<Value> = d
            .clusters
            .largest
            .iter()
            .map(|(size, members)| {
                let ids: Vec<&str> = members.iter().map(|&m| &*self.ids[m as usize]).collect();
                json!({"size": size, "keep": ids.first(), "members": ids})
            })
            .collect();
        let removed = |rule: &str| {
            let (n, b) = self.removed.get(rule).copied().unwrap_or_default();
            json!({"passages": n, "bytes": b})
        };
        let ids_bytes: usize = self.ids.iter().map(|s| s.len() + 16).sum();
        json!({
            "documents": self.ids.len(),
            "removed": {
                "exact-duplicate": exact,
                "near-duplicate": near,
                RULE_EXACT: removed(RULE_EXACT),
                RULE_BOILERPLATE: removed(RULE_BOILERPLATE),
                RULE_NEAR: removed(RULE_NEAR),
            },
            "boilerplate_passages": self.passages.boilerplate_passages(),
            "candidate_pairs": d.candidates,
            "verified_pairs": d.verified,
            "clusters": {
                "count": d.clusters.count,
                "sizes": d.clusters.sizes.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
                "largest": largest,
            },
            "index": {
                "passage_hashes": self.passages.entries(),
                "passage_index_bytes": self.passages.bytes(),
                "near_passages_indexed": self.near.as_ref().map_or(0, |n| n.indexed()),
                "near_passage_index_bytes": self.near.as_ref().map_or(0, |n| n.bytes()),
                "document_hashes": self.exact.entries(),
                "document_index_bytes": self.exact.bytes(),
                "band_index_bytes": d.band_bytes,
                "id_bytes": ids_bytes,
                "exact_link_bytes": self.exact_of.len() * std::mem::size_of::<Option<u32>>(),
                "signature_file_bytes": d.signature_bytes,
                "sketch_file_bytes": self.sketch_bytes,
                "spill_file_bytes": self.spill_bytes,
            },
            "seconds": self.seconds.iter().map(|(k, v)| (k.to_string(), json!(round4(*v)))).collect::<serde_json::Map<_, _>>(),
        })
    }
}

/// Do `removals` leave only whitespace of `text`? (What `apply_removals` would make
/// of it, without building the string.)
fn all_removed(text: &str, removals: &[crate::document::Removal]) -> bool {
    let mut spans: Vec<(usize, usize)> = removals.iter().map(|r| (r.start, r.end)).collect();
    spans.sort_unstable();
    let mut pos = 0usize;
    for (s, e) in spans {
        if s > pos
            && !text
                .get(pos..s.min(text.len()))
                .unwrap_or("")
                .trim()
                .is_empty()
        {
            return false;
        }
        pos = pos.max(e);
    }
    text.get(pos.min(text.len())..)
        .unwrap_or("")
        .trim()
        .is_empty()
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
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
    use crate::document::{apply_removals, Removal};

    fn rm(start: usize, end: usize) -> Removal {
        Removal {
            start,
            end,
            rule: "r".into(),
            category: "c".into(),
            dup_of: None,
        }
    }

    #[test]
    fn all_removed_agrees_with_apply_removals() {
        let text = "one two\n\nthree\n four ";
        for spans in [
            vec![],
            vec![(0, 7)],
            vec![(0, 7), (9, 14)],
            vec![(9, 14), (0, 8), (15, 21)],
            vec![(0, 21)],
        ] {
            let r: Vec<Removal> = spans.iter().map(|&(s, e)| rm(s, e)).collect();
            assert_eq!(
                all_removed(text, &r),
                apply_removals(text, &r).trim().is_empty(),
                "{spans:?}"
            );
        }
        assert!(all_removed(text, &[rm(0, 21)]));
    }
}
