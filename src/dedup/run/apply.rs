//! Phase 4 of a dedup run: re-read the spilled documents in input order, attach each
//! one's passage removals or turn it into a duplicate rejection, serialize in parallel.
use super::report::round4;
use super::{Applied, Decided, Decisions, Finished, PassageCounts, Run};
use crate::dedup::document::DocVerdict;
use crate::dedup::minhash::Similarity;
use crate::dedup::near_passage::{NearRepeat, RULE_NEAR};
use crate::dedup::passage::{Mark, RULE_BOILERPLATE, RULE_EXACT};
use crate::dedup::sketch::removed_bytes;
use crate::dedup::spill::{self, SpillDoc, Stored};
use crate::document::{Rejection, Verdict};
use crate::driver::{self, Flow};
use crate::error::{Error, Result};
use serde_json::json;
use std::time::Instant;

/// A document read back, with its passage marks and near repeats.
type ToApply = (Stored<SpillDoc>, Vec<Mark>, Vec<NearRepeat>);

/// Documents per parallel task of the apply phase.
const APPLY_TASK: usize = 16;

impl Decided {
    /// Phase 4: re-read the spilled documents and emit each one's verdict, in input order;
    /// `prepare` turns a kept document into what `emit` takes (on the pool).
    pub fn apply<K: Send>(
        self,
        pool: &rayon::ThreadPool,
        prepare: &(dyn Fn(crate::document::Document) -> K + Sync),
        emit: &mut (dyn FnMut(Applied<K>) -> Result<()> + Send),
    ) -> Result<Finished> {
        let t0 = Instant::now();
        let Decided {
            mut run,
            spilled: mut reader,
            decisions,
            watch,
        } = self;
        let mut next_doc = 0usize;
        let mut marks = run.mark_reader()?;
        let mut near = run.near.as_ref().map(|n| n.reader()).transpose()?;
        // A reader thread keeps the next batch of spilled documents ready, each with its
        // passage marks.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<ToApply>>(2);
        std::thread::scope(|scope| -> Result<()> {
            let read = scope.spawn(move || -> Result<()> {
                let mut d = 0u32;
                loop {
                    let mut batch = Vec::with_capacity(1024);
                    while batch.len() < 1024 {
                        match reader.next_record()? {
                            Some(r) => {
                                let (mut of_doc, mut repeats) = (Vec::new(), Vec::new());
                                if let Some(m) = marks.as_mut() {
                                    m.marks_of(d, &mut of_doc)?;
                                }
                                if let Some(n) = near.as_mut() {
                                    n.repeats_of(d, &mut repeats)?;
                                }
                                d = d.wrapping_add(1);
                                batch.push((r, of_doc, repeats));
                            }
                            None => break,
                        }
                    }
                    if batch.is_empty() || tx.send(batch).is_err() {
                        return Ok(());
                    }
                }
            });
            let result =
                run.apply_batches(rx, &mut next_doc, &decisions, &watch, pool, prepare, emit);
            let read_result = read
                .join()
                .map_err(|_| Error::Usage("dedup spill reader panicked".into()))?;
            result?;
            read_result
        })?;
        if next_doc != run.ids.len() {
            return Err(Error::Usage("dedup: document spill is incomplete".into()));
        }
        if let Some(files) = &run.passage_files {
            files.remove();
        }
        if let Some(near) = &run.near {
            near.remove();
        }
        run.seconds.push(("apply", t0.elapsed().as_secs_f64()));
        Ok(Finished { run, decisions })
    }
}

impl Run {
    #[allow(clippy::too_many_arguments)]
    fn apply_batches<K: Send>(
        &mut self,
        rx: std::sync::mpsc::Receiver<Vec<ToApply>>,
        next_doc: &mut usize,
        decisions: &Decisions,
        watch: &[u64],
        pool: &rayon::ThreadPool,
        prepare: &(dyn Fn(crate::document::Document) -> K + Sync),
        emit: &mut (dyn FnMut(Applied<K>) -> Result<()> + Send),
    ) -> Result<()> {
        // Batch N is decided and serialized on the pool while batch N-1 is emitted
        // (written) beside it, in input order; small tasks, so that neither thread is
        // left with a long run of documents when the other has finished.
        let this = &*self;
        let work = |chunk: Vec<(usize, ToApply)>| -> Vec<Result<(Applied<K>, PassageCounts)>> {
            chunk
                .into_iter()
                .map(|(d, (rec, marks, repeats))| {
                    let v = this.verdict(d as u32, rec, &marks, &repeats, decisions)?;
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
                            let watched = watch
                                .binary_search(&(d as u64))
                                .is_ok()
                                .then(|| Box::new(doc.clone()));
                            let kept = Applied::Kept {
                                doc: prepare(doc),
                                watched,
                            };
                            (kept, counts)
                        }
                        Verdict::Rejected(r) => (Applied::Rejected(Box::new(r)), counts),
                    })
                })
                .collect()
        };
        let mut removed = [(0u64, 0u64); 3];
        let mut rejected = std::collections::BTreeMap::<&'static str, u64>::new();
        let mut emit_all = |out: Vec<Result<(Applied<K>, PassageCounts)>>| -> Result<Flow> {
            for v in out {
                let (v, counts) = v?;
                for (total, c) in removed.iter_mut().zip(counts) {
                    total.0 += c.0;
                    total.1 += c.1;
                }
                if let Applied::Rejected(r) = &v {
                    *rejected.entry(r.reason).or_default() += 1;
                }
                emit(v)?;
            }
            Ok(Flow::Continue)
        };
        let mut drive = driver::Ordered::new(pool, APPLY_TASK, work);
        let first_doc = *next_doc;
        for batch in rx.iter() {
            let base = *next_doc;
            *next_doc += batch.len();
            let numbered: Vec<_> = batch
                .into_iter()
                .enumerate()
                .map(|(i, r)| (base + i, r))
                .collect();
            drive.push(numbered, &mut emit_all)?;
        }
        drive.finish(&mut emit_all)?;
        for (reason, n) in rejected {
            *self.rejected.entry(reason).or_default() += n;
        }
        if *next_doc > first_doc {
            for (k, rule) in [RULE_EXACT, RULE_BOILERPLATE, RULE_NEAR].iter().enumerate() {
                let e = self.removed.entry(rule).or_default();
                e.0 += removed[k].0;
                e.1 += removed[k].1;
            }
        }
        Ok(())
    }

    fn verdict(
        &self,
        d: u32,
        rec: Stored<SpillDoc>,
        marks: &[Mark],
        repeats: &[NearRepeat],
        decisions: &Decisions,
    ) -> Result<Verdict> {
        let id = self.ids.get(d as usize).ok_or_else(|| {
            crate::error::Error::Usage("dedup: more spilled documents than ids".into())
        })?;
        let (mut doc, passages) = match rec {
            Stored::Held(s) => spill::decode_held(s, id, &self.langs)?,
            Stored::Framed(r) => spill::decode_doc(r, id, &self.langs)?,
        };
        let id_of = |x: u32| self.ids.id(x).to_string();
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
                let removals = self.passage_rules.removals(&passages, marks, &id_of);
                let mut near_removals = Vec::new();
                if let Some(near) = &self.near {
                    let span = |p: u32| passages.get(p as usize).map(|x| (x.start, x.end));
                    let exact: std::collections::HashSet<usize> =
                        removals.iter().map(|x| x.start).collect();
                    for r in near.removals(repeats, &span, &id_of) {
                        if !exact.contains(&r.start) {
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
                // A residue of cleaning (see `Sketcher::cut_residue_words`) is the copy of a
                // document only when it repeats more than one of its passages: one shared
                // closing note makes no copy.
                let candidate = main_source(&doc.removals[clean_len..]);
                // What cleaning removed: measured only for a document that repeats another.
                let clean_removed = candidate
                    .as_ref()
                    .map_or(0, |_| removed_bytes(&doc.removals[..clean_len]));
                let residue = || {
                    let kept_words: usize = passages.iter().map(|p| p.words as usize).sum();
                    crate::dedup::sketch::is_residue(
                        doc.text.len(),
                        clean_removed,
                        kept_words,
                        self.cfg.document.cut_residue_words,
                    )
                };
                let source = candidate
                    .filter(|s| s.2 >= 2 || !residue())
                    .map(|(of, bytes, _)| (of, bytes));
                if all_removed(&doc.text, &doc.removals) {
                    let mut r = Rejection::of(doc, "only-duplicate-passages", "dedup");
                    r.detail = Some("every passage is an exact repeat or boilerplate".into());
                    if let Some((of, _)) = source {
                        r.extra.insert("dup_of".into(), json!(of));
                    }
                    return Ok(Verdict::Rejected(r));
                }
                // A stub: what is left of the document after its repeats is a small share
                // of what cleaning left, and most of the repeats come from one document.
                let stub_share = self.cfg.document.stub_max_share;
                if let Some((of, repeated)) = source.filter(|_| stub_share > 0.0) {
                    // In bytes of the text (line breaks included): no pass over it.
                    let cleaned = doc.text.len() - clean_removed;
                    let left = doc.text.len() - removed_bytes(&doc.removals);
                    if (left as f64) < stub_share * cleaned as f64 && repeated * 2 > cleaned - left
                    {
                        let detail = format!(
                            "a stub of {of}: {} of its {cleaned} bytes repeat passages of {of}, \
                             {left} bytes of its own left (stub_max_share {stub_share})",
                            repeated
                        );
                        let mut r = Rejection::of(doc, "duplicate-stub", "dedup").detail(detail);
                        r.extra.insert("dup_of".into(), json!(of));
                        return Ok(Verdict::Rejected(r));
                    }
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
}

/// The document most of the repeated passages among `removals` repeat, and the bytes
/// they cover (ties: the first in input order of its id, as ids sort).
fn main_source(removals: &[crate::document::Removal]) -> Option<(String, usize, usize)> {
    let mut by_doc: std::collections::BTreeMap<&str, (usize, usize)> =
        std::collections::BTreeMap::new();
    for r in removals {
        if let Some(d) = &r.dup_of {
            let e = by_doc.entry(d.doc.as_str()).or_default();
            e.0 += r.end - r.start;
            e.1 += 1;
        }
    }
    by_doc
        .into_iter()
        .max_by(|a, b| a.1 .0.cmp(&b.1 .0).then(b.0.cmp(a.0)))
        .map(|(d, (bytes, passages))| (d.to_string(), bytes, passages))
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
