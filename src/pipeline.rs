//! The one place that knows the order of the stages:
//! read → normalize → clean → dedup (passages, then documents) → write.
//!
//! A reader thread cuts the input into numbered batches; each batch is processed in
//! parallel on a rayon pool and collected in input order. Without dedup the writer writes
//! each batch at once, and memory is bounded by a few batches in flight. With dedup
//! (global by nature) the run has two passes: pass 1 also sketches every document in
//! parallel and, in input order, feeds the dedup indexes and sets the document aside (in
//! memory up to `dedup.memory_mb`, then in a temporary file); then dedup decides
//! (signatures → candidates → clusters), and pass 2 reads the documents back and writes
//! every one in input order. Records rejected before
//! dedup are written during pass 1, so rejected/ holds them first.
use crate::clean::{Clean, Cleaner};
use crate::config::Config;
use crate::dedup::run::{Applied, DedupRun, Sketched};
use crate::dedup::{self, sketch::Sketcher};
use crate::document::{Rejection, Verdict};
use crate::error::{Error, Result};
use crate::normalize::Normalize;
use crate::read::{self, Fields, RawRecord, ReadCounters, Sources};
use crate::report::{Bytes, InputHints, OutputInfo, Records, Report, StageReport};
use crate::stage::{Stage, StageStats};
use crate::write::{kept_line, WriteOptions, Writer};
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

/// Everything a run needs, resolved from the command line and the config.
#[derive(Clone, Debug)]
pub struct RunPlan {
    pub inputs: Vec<PathBuf>,
    pub fields: Fields,
    pub config: Config,
    pub write: WriteOptions,
    /// Worker threads; 0 means all cores.
    pub threads: usize,
    /// Records per batch (the unit of parallel work and of memory in flight).
    pub batch_records: usize,
    /// Estimate each clean rule's time (`--explain-timing`; see
    /// [`Cleaner::with_rule_timing`]).
    pub rule_timing: bool,
}

/// Progress of a run, reported after every batch.
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    pub records: u64,
    pub raw_bytes: u64,
    pub total_bytes: Option<u64>,
    pub files_done: u64,
    pub files: u64,
}

/// The per-document stages of a plan, compiled (regexes built) before any input is read.
pub struct Stages {
    stages: Vec<Box<dyn Stage>>,
    /// Records larger than this are rejected as `too-large` unread (0: no limit).
    max_doc_bytes: u64,
}

impl Stages {
    /// Compile the stages of `config`; `rule_timing` estimates each clean rule's time.
    pub fn compile(config: &Config, rule_timing: bool) -> Result<Stages> {
        let mut stages: Vec<Box<dyn Stage>> = vec![Box::new(Normalize::new(&config.normalize))];
        if config.clean.enabled {
            let cleaner = Cleaner::new(&config.clean)?.with_rule_timing(rule_timing);
            stages.push(Box::new(Clean::new(cleaner)));
        }
        Ok(Stages {
            stages,
            max_doc_bytes: config.input.max_doc_bytes,
        })
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.stages.iter().map(|s| s.name()).collect()
    }

    /// Parse one raw record and pass it through every stage.
    pub fn process(&self, raw: RawRecord, fields: &Fields, stats: &mut BatchStats) -> Verdict {
        if self.max_doc_bytes > 0 && raw.bytes.len() as u64 > self.max_doc_bytes {
            return Verdict::Rejected(too_large(raw, self.max_doc_bytes));
        }
        let mut doc = match read::parse_counted(raw, fields) {
            Ok((doc, surrogates)) => {
                stats.surrogates_replaced += u64::from(surrogates);
                doc
            }
            Err(r) => return Verdict::Rejected(r),
        };
        stats.text_in += doc.text.len() as u64;
        for (stage, st) in self.stages.iter().zip(stats.stages.iter_mut()) {
            let t0 = Instant::now();
            st.docs_in += 1;
            let result = stage.process(doc, st);
            st.nanos += t0.elapsed().as_nanos() as u64;
            match result {
                Ok(d) => doc = d,
                Err(r) => {
                    *st.rejected.entry(r.reason).or_default() += 1;
                    return Verdict::Rejected(r);
                }
            }
        }
        Verdict::Kept(doc)
    }
}

/// The rejection of a record over `max_doc_bytes`: its bytes are kept as they were read.
fn too_large(raw: RawRecord, max: u64) -> Rejection {
    let n = raw.bytes.len();
    let mut r = Rejection::new("too-large", "read", raw.origin)
        .detail(format!("record of {n} bytes, over max_doc_bytes = {max}"));
    r.id = raw.text_id;
    r.raw = Some(match String::from_utf8(raw.bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    });
    r
}

/// Statistics of one chunk of work, merged in order.
#[derive(Clone, Debug, Default)]
pub struct BatchStats {
    pub text_in: u64,
    /// Lone surrogate escapes in text fields, replaced by U+FFFD.
    pub surrogates_replaced: u64,
    pub stages: Vec<StageStats>,
    /// Time spent sketching documents for dedup (summed over threads).
    pub dedup_nanos: u64,
}

/// What pass 1 makes of one record.
enum Pass1 {
    /// Kept and final: serialized by the worker, written at once.
    Kept { line: Vec<u8>, text_bytes: u64 },
    /// Rejected: written at once.
    Rejected(Rejection),
    /// Kept so far; dedup decides later.
    Sketched(Sketched),
}

/// The writer plus the record counts derived from the verdicts it wrote.
struct Sink {
    writer: Writer,
    records: Records,
    text_out: u64,
    /// The first record rejected for each input problem, to say what went wrong.
    hints: InputHints,
}

impl Sink {
    /// Write a kept record serialized elsewhere.
    fn write_kept_line(&mut self, line: &[u8], text_bytes: u64) -> Result<()> {
        self.records.read += 1;
        self.records.kept += 1;
        self.text_out += text_bytes;
        self.writer.keep_line(line)
    }

    fn write(&mut self, v: Verdict) -> Result<()> {
        self.records.read += 1;
        match v {
            Verdict::Kept(doc) => {
                self.records.kept += 1;
                self.text_out += self.writer.keep(doc)?;
            }
            Verdict::Rejected(r) => {
                self.hints.observe(&r);
                self.records.rejected += 1;
                *self
                    .records
                    .rejected_by_reason
                    .entry(r.reason.to_string())
                    .or_default() += 1;
                self.writer.reject(r)?;
            }
        }
        Ok(())
    }
}

impl BatchStats {
    fn new(n: usize) -> Self {
        BatchStats {
            text_in: 0,
            surrogates_replaced: 0,
            stages: vec![StageStats::default(); n],
            dedup_nanos: 0,
        }
    }

    fn merge(&mut self, other: &BatchStats) {
        self.text_in += other.text_in;
        self.surrogates_replaced += other.surrogates_replaced;
        self.dedup_nanos += other.dedup_nanos;
        for (a, b) in self.stages.iter_mut().zip(&other.stages) {
            a.merge(b);
        }
    }
}

/// Write the final verdicts of one processed batch in input order and hand its sketched
/// documents to the dedup observer. `Ok(false)`: the observer has stopped (its error is
/// reported when it is joined).
fn deliver(
    results: Vec<(Vec<Pass1>, BatchStats)>,
    sink: &mut Sink,
    totals: &mut BatchStats,
    observer: &std::sync::mpsc::SyncSender<Vec<Sketched>>,
) -> Result<bool> {
    let mut sketched = Vec::new();
    for (outs, st) in results {
        totals.merge(&st);
        for out in outs {
            match out {
                Pass1::Kept { line, text_bytes } => sink.write_kept_line(&line, text_bytes)?,
                Pass1::Rejected(r) => sink.write(Verdict::Rejected(r))?,
                Pass1::Sketched(s) => sketched.push(s),
            }
        }
    }
    Ok(sketched.is_empty() || observer.send(sketched).is_ok())
}

/// Records per parallel task inside a batch.
const CHUNK: usize = 32;
/// A batch is cut at this many bytes even when it has fewer records.
const BATCH_BYTES: usize = 32 << 20;
/// How many documents ahead the dedup observer prefetches index entries.
const PREFETCH_AHEAD: usize = 4;

/// Run the whole pipeline: read, process, write, report.
pub fn run(plan: &RunPlan, on_progress: &mut dyn FnMut(&Progress)) -> Result<Report> {
    let started = Instant::now();
    let sources = read::expand_inputs(&plan.inputs, &read::Exclude::output(&plan.write.out))?;
    let stages = Stages::compile(&plan.config, plan.rule_timing)?;
    let writer = Writer::create(plan.write.clone())?;
    let dedup_run = if plan.config.dedup.enabled {
        Some(DedupRun::create(&plan.config.dedup, &plan.write.out)?)
    } else {
        None
    };
    let sketcher: Option<Sketcher> = dedup_run.as_ref().map(|d| d.sketcher.clone());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(plan.threads)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start threads: {e}")))?;
    let threads = pool.current_num_threads();

    let counters = Arc::new(ReadCounters::default());
    let mut totals = BatchStats::new(stages.stages.len());
    let mut sink = Sink {
        writer,
        records: Records::default(),
        text_out: 0,
        hints: InputHints::default(),
    };
    let mut progress = Progress {
        total_bytes: sources.total_bytes(),
        files: sources.files.len() as u64,
        ..Progress::default()
    };

    // The dedup indexes are fed in input order on their own thread, so the pool can work on
    // the next batch meanwhile.
    let mut dedup_run = std::thread::scope(|scope| -> Result<Option<DedupRun>> {
        let (otx, orx) = std::sync::mpsc::sync_channel::<Vec<Sketched>>(4);
        let observed = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let observed_in = observed.clone();
        let observer = dedup_run.map(|mut d| {
            scope.spawn(move || -> Result<DedupRun> {
                for batch in orx.iter() {
                    // The indexes are larger than the caches: ask for the entries of the
                    // document `PREFETCH_AHEAD` places ahead while observing this one.
                    let mut batch = std::collections::VecDeque::from(batch);
                    for s in batch.iter().take(PREFETCH_AHEAD) {
                        d.prefetch(s);
                    }
                    while let Some(s) = batch.pop_front() {
                        if let Some(ahead) = batch.get(PREFETCH_AHEAD - 1) {
                            d.prefetch(ahead);
                        }
                        d.observe(s)?;
                    }
                    observed_in.store(d.docs() as u64, Ordering::Relaxed);
                }
                Ok(d)
            })
        });
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<RawRecord>>(2);
        let reader_counters = counters.clone();
        let sources_ref: &Sources = &sources;
        let batch_records = plan.batch_records.max(1);
        let reader = scope.spawn(move || {
            read::stream_batches(
                sources_ref,
                batch_records,
                BATCH_BYTES,
                &reader_counters,
                |batch| tx.send(batch).is_ok(),
            )
        });
        let mut write_result = Ok(());
        // Batch N is processed on the pool while batch N-1 is written (and handed to the
        // dedup observer) beside it, so the workers do not wait for the writer.
        let process = |batch: Vec<RawRecord>| -> Vec<(Vec<Pass1>, BatchStats)> {
            let mut chunks: Vec<Vec<RawRecord>> = Vec::new();
            let mut it = batch.into_iter().peekable();
            while it.peek().is_some() {
                chunks.push(it.by_ref().take(CHUNK).collect());
            }
            // One task per chunk: left to itself, rayon would hand each of the two
            // threads a long run of chunks to fold in one go, and a thread that finished
            // its run early could not take over any of the other's (seen as 50 ms
            // stretches with one core idle).
            chunks
                .into_par_iter()
                .with_max_len(1)
                .map(|chunk| {
                    let mut st = BatchStats::new(stages.stages.len());
                    let outs = chunk
                        .into_iter()
                        .map(|raw| {
                            let v = stages.process(raw, &plan.fields, &mut st);
                            match (v, sketcher.as_ref()) {
                                (Verdict::Kept(doc), Some(sk)) => {
                                    let t0 = Instant::now();
                                    let s = dedup::run::sketch_doc(sk, doc);
                                    st.dedup_nanos += t0.elapsed().as_nanos() as u64;
                                    Pass1::Sketched(s)
                                }
                                (Verdict::Kept(doc), None) => {
                                    let (line, text_bytes) = kept_line(doc, &plan.write);
                                    Pass1::Kept { line, text_bytes }
                                }
                                (Verdict::Rejected(r), _) => Pass1::Rejected(r),
                            }
                        })
                        .collect();
                    (outs, st)
                })
                .collect()
        };
        let mut pending: Option<Vec<(Vec<Pass1>, BatchStats)>> = None;
        let mut go_on = true;
        for batch in rx.iter() {
            let previous = pending.take();
            let (results, delivered) = pool.install(|| {
                rayon::join(
                    || process(batch),
                    || match previous {
                        Some(p) => deliver(p, &mut sink, &mut totals, &otx),
                        None => Ok(true),
                    },
                )
            });
            pending = Some(results);
            match delivered {
                Ok(true) => {}
                Ok(false) => go_on = false,
                Err(e) => {
                    write_result = Err(e);
                    go_on = false;
                }
            }
            if !go_on {
                break;
            }
            progress.records = sink.records.read + observed.load(Ordering::Relaxed);
            progress.raw_bytes = counters.raw_bytes.load(Ordering::Relaxed);
            progress.files_done = counters.files_done.load(Ordering::Relaxed);
            on_progress(&progress);
        }
        if go_on {
            if let Some(p) = pending.take() {
                if let Err(e) = deliver(p, &mut sink, &mut totals, &otx) {
                    write_result = Err(e);
                }
            }
            progress.records = sink.records.read + observed.load(Ordering::Relaxed);
            on_progress(&progress);
        }
        drop(rx);
        drop(otx);
        let read_result = reader
            .join()
            .map_err(|_| Error::Usage("reader thread panicked".into()))?;
        let dedup = match observer {
            Some(h) => Some(
                h.join()
                    .map_err(|_| Error::Usage("dedup thread panicked".into()))??,
            ),
            None => None,
        };
        write_result?;
        read_result?;
        Ok(dedup)
    })?;

    // Dedup: decide over the whole corpus, then write its documents in input order.
    let mut sections = std::collections::BTreeMap::new();
    let mut dedup_stats: Option<StageStats> = None;
    if let Some(mut d) = dedup_run.take() {
        let t0 = Instant::now();
        let decisions = d.decide(&pool)?;
        let before = sink.records.clone();
        d.apply(&decisions, &pool, &plan.write, &mut |a| match a {
            Applied::Kept { line, text_bytes } => sink.write_kept_line(&line, text_bytes),
            Applied::Rejected(r) => sink.write(Verdict::Rejected(*r)),
        })?;
        let mut st = StageStats {
            docs_in: d.docs() as u64,
            nanos: totals.dedup_nanos + t0.elapsed().as_nanos() as u64,
            ..StageStats::default()
        };
        for (reason, n) in &sink.records.rejected_by_reason {
            let was = before.rejected_by_reason.get(reason).copied().unwrap_or(0);
            if *n > was {
                let reason: &'static str = match reason.as_str() {
                    "exact-duplicate" => "exact-duplicate",
                    "near-duplicate" => "near-duplicate",
                    "duplicate-stub" => "duplicate-stub",
                    _ => "only-duplicate-passages",
                };
                st.rejected.insert(reason, n - was);
            }
        }
        sections.insert("dedup".to_string(), d.report(&decisions));
        dedup_stats = Some(st);
    }
    let Sink {
        writer,
        records,
        text_out,
        hints,
    } = sink;

    let mut warnings = sources.warnings.clone();
    let stale = &writer.dir().stale_removed;
    if !stale.is_empty() {
        warnings.push(format!(
            "removed {} temporary files left in {} by an earlier run that did not finish",
            stale.len(),
            plan.write.out.display()
        ));
    }
    let seconds = started.elapsed().as_secs_f64();
    let w = writer.totals();
    let mut stage_names: Vec<&'static str> = stages.names();
    let mut stage_stats = totals.stages;
    if let Some(st) = dedup_stats {
        stage_names.push("dedup");
        stage_stats.push(st);
    }
    let report = Report {
        rinse_version: env!("CARGO_PKG_VERSION").to_string(),
        config_fingerprint: plan.config.fingerprint(),
        threads,
        inputs: plan
            .inputs
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        files_read: counters.files_done.load(Ordering::Relaxed),
        files_skipped: sources.skipped.clone(),
        warnings,
        diagnosis: hints.diagnose(&records, &plan.fields),
        blank_lines_skipped: counters.blank_lines.load(Ordering::Relaxed),
        surrogates_replaced: totals.surrogates_replaced,
        records,
        bytes: Bytes {
            input: counters.raw_bytes.load(Ordering::Relaxed),
            text_in: totals.text_in,
            text_out,
            kept_jsonl: w.kept_bytes,
            rejected_jsonl: w.rejected_bytes,
        },
        stages: stage_names
            .into_iter()
            .zip(stage_stats)
            .map(|(name, stats)| StageReport {
                name: name.to_string(),
                seconds: stats.nanos as f64 / 1e9,
                stats,
            })
            .collect(),
        sections,
        seconds,
        records_per_second: w.kept as f64 / seconds.max(1e-9)
            + w.rejected as f64 / seconds.max(1e-9),
        mb_per_second: counters.raw_bytes.load(Ordering::Relaxed) as f64 / 1e6 / seconds.max(1e-9),
        output: OutputInfo {
            dir: plan.write.out.display().to_string(),
            kept_shards: w.kept_shards,
            rejected_shards: w.rejected_shards,
        },
    };
    debug_assert_eq!(
        report.records.read,
        report.records.kept + report.records.rejected
    );
    writer.commit(&report.to_json())?;
    Ok(report)
}
