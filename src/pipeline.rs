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
use crate::destination::Destination;
use crate::document::{Rejection, Verdict};
use crate::driver::{self, Flow};
use crate::error::{Error, Result};
use crate::normalize::Normalize;
use crate::read::{self, Fields, RawRecord, ReadCounters, Sources};
use crate::report::dist::{DistCounts, Lengths};
use crate::report::sample::{Sample, SampleDoc, Sampler, SAMPLE_FILE};
use crate::report::{
    Bytes, InputHints, OutputInfo, Records, Report, RuleDesc, SampleInfo, StageReport,
};
use crate::stage::{Stage, StageStats};
use crate::write::{WriteOptions, Writer};
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

/// Progress of a run, handed to the caller's callback as it goes (the library draws
/// nothing; the CLI does).
#[derive(Clone, Copy, Debug)]
pub enum Progress {
    /// The main pass, after every batch: records processed (written, or handed to dedup)
    /// and the input bytes (as read from disk) of the batches they came in.
    Main {
        records: u64,
        bytes: u64,
        total_bytes: Option<u64>,
        files_done: u64,
        files: u64,
    },
    /// The main pass is over.
    MainDone { records: u64, bytes: u64 },
    /// A dedup phase after the main pass (`signatures`, `candidates`, `verify`,
    /// `clusters`, `apply`): `done` of `total` units (documents, or 0 then 1 for a phase
    /// done in one step). A phase is over when `done == total`.
    Phase {
        name: &'static str,
        done: u64,
        total: u64,
    },
}

/// The per-document stages of a plan, compiled (regexes built) before any input is read.
pub struct Stages {
    stages: Vec<Box<dyn Stage>>,
    /// The cleaning rules, for the report.
    rules: Vec<RuleDesc>,
    /// Records larger than this are rejected as `too-large` unread (0: no limit).
    max_doc_bytes: u64,
}

impl Stages {
    /// Compile the stages of `config`; `rule_timing` estimates each clean rule's time.
    pub fn compile(config: &Config, rule_timing: bool) -> Result<Stages> {
        let mut stages: Vec<Box<dyn Stage>> = vec![Box::new(Normalize::new(&config.normalize))];
        let mut rules = Vec::new();
        if config.clean.enabled {
            let cleaner = Cleaner::new(&config.clean)?.with_rule_timing(rule_timing);
            rules = cleaner
                .rules()
                .into_iter()
                .map(|r| RuleDesc {
                    id: r.id.to_string(),
                    category: r.category.to_string(),
                    description: r.description,
                })
                .collect();
            stages.push(Box::new(Clean::new(cleaner)));
        }
        Ok(Stages {
            stages,
            rules,
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
        stats.lengths.add(doc.text.len() as u64);
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
    let id = raw.text_id().map(str::to_string);
    let mut r = Rejection::new("too-large", "read", raw.origin)
        .detail(format!("record of {n} bytes, over max_doc_bytes = {max}"));
    r.id = id;
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
    /// Text lengths of the records, as read.
    pub lengths: Lengths,
}

/// A processed batch: per chunk, its records' outcomes and statistics.
/// The outcome of one chunk of the main pass.
type Chunk<K> = (Vec<Pass1<K>>, BatchStats);

/// A record copied for the sample, with its sampling key.
type Sampled = Option<Box<(u64, SampleDoc)>>;

/// What pass 1 makes of one record.
enum Pass1<K> {
    /// Kept and final: prepared (serialized) by the worker, written at once.
    Kept {
        kept: K,
        text_bytes: u64,
        /// Bytes of the normalized text, before removals.
        text_len: u64,
        sampled: Sampled,
    },
    /// Rejected: written at once.
    Rejected(Rejection),
    /// Kept so far; dedup decides later.
    Sketched(Sketched, Sampled),
}

/// The writer plus the record counts derived from the verdicts it wrote.
struct Output<D> {
    writer: D,
    records: Records,
    text_out: u64,
    /// The first record rejected for each input problem, to say what went wrong.
    hints: InputHints,
    /// Lengths after, and shares removed, of the kept records.
    dist: DistCounts,
    sample: Sample,
    /// Documents handed to dedup so far.
    sketched: u64,
}

impl<D: Destination> Output<D> {
    /// Write a kept record prepared on a worker (`text_len`: its normalized text's bytes).
    fn keep(&mut self, kept: D::Kept, text_bytes: u64, text_len: u64) -> Result<()> {
        self.records.read += 1;
        self.records.kept += 1;
        self.text_out += text_bytes;
        self.dist.kept(text_len, text_bytes);
        self.writer.keep(kept)
    }

    /// Offer a rejected record to the sample.
    fn sample_rejection(&mut self, sampler: &Sampler, r: &Rejection) {
        if let Some(key) = sampler.key(&r.origin) {
            self.sample
                .offer(sampler, key, SampleDoc::of_rejection(r), None);
        }
    }

    fn reject(&mut self, r: Rejection) -> Result<()> {
        self.records.read += 1;
        self.hints.observe(&r);
        self.records.rejected += 1;
        *self
            .records
            .rejected_by_reason
            .entry(r.reason.to_string())
            .or_default() += 1;
        self.writer.reject(r)
    }
}

impl BatchStats {
    fn new(n: usize) -> Self {
        BatchStats {
            text_in: 0,
            surrogates_replaced: 0,
            stages: vec![StageStats::default(); n],
            dedup_nanos: 0,
            lengths: Lengths::default(),
        }
    }

    fn merge(&mut self, other: &BatchStats) {
        self.text_in += other.text_in;
        self.surrogates_replaced += other.surrogates_replaced;
        self.dedup_nanos += other.dedup_nanos;
        self.lengths.merge(&other.lengths);
        for (a, b) in self.stages.iter_mut().zip(&other.stages) {
            a.merge(b);
        }
    }
}

/// The main pass's consumer: writes the final verdicts in input order and hands the
/// sketched documents of each batch to the dedup observer (which stops the drive when it
/// has stopped; its error is reported when it is joined).
struct Deliver<'a, D: Destination> {
    out: &'a mut Output<D>,
    totals: &'a mut BatchStats,
    observer: &'a std::sync::mpsc::SyncSender<Vec<Sketched>>,
    sampler: &'a Sampler,
    sketched: Vec<Sketched>,
}

impl<D: Destination> driver::Sink<Chunk<D::Kept>> for Deliver<'_, D> {
    fn take(&mut self, (outs, st): Chunk<D::Kept>) -> Result<Flow> {
        let (out, sampler) = (&mut *self.out, self.sampler);
        self.totals.merge(&st);
        for o in outs {
            match o {
                Pass1::Kept {
                    kept,
                    text_bytes,
                    text_len,
                    sampled,
                } => {
                    if let Some(b) = sampled {
                        let (key, doc) = *b;
                        out.sample.offer(sampler, key, doc, None);
                    }
                    out.keep(kept, text_bytes, text_len)?
                }
                Pass1::Rejected(r) => {
                    out.sample_rejection(sampler, &r);
                    out.reject(r)?
                }
                Pass1::Sketched(s, sampled) => {
                    if let Some(b) = sampled {
                        let (key, doc) = *b;
                        out.sample.offer(sampler, key, doc, Some(out.sketched));
                    }
                    out.sketched += 1;
                    self.sketched.push(s)
                }
            }
        }
        Ok(Flow::Continue)
    }

    fn end_batch(&mut self) -> Result<Flow> {
        let batch = std::mem::take(&mut self.sketched);
        Ok(if batch.is_empty() || self.observer.send(batch).is_ok() {
            Flow::Continue
        } else {
            Flow::Stop
        })
    }
}

/// What the main pass works with.
struct MainPass<'a> {
    plan: &'a RunPlan,
    stages: &'a Stages,
    sources: &'a Sources,
    counters: &'a Arc<ReadCounters>,
    pool: &'a rayon::ThreadPool,
    sampler: &'a Sampler,
    /// Present when dedup is on: kept documents are sketched and handed to it.
    sketcher: Option<&'a Sketcher>,
}

/// The main pass: read in batches (a reader thread), run the per-document stages on the
/// pool, write final verdicts to `sink` in input order and hand the documents dedup
/// decides later to `dedup_run`, which observes them on its own thread; returns it.
fn main_pass<D: Destination>(
    main: MainPass<'_>,
    dedup_run: Option<DedupRun>,
    sink: &mut Output<D>,
    totals: &mut BatchStats,
    on_progress: &mut (dyn FnMut(&Progress) + Send),
) -> Result<Option<DedupRun>> {
    let MainPass {
        plan,
        stages,
        sources,
        counters,
        pool,
        sampler,
        sketcher,
    } = main;
    let total_bytes = sources.total_bytes();
    let files = sources.files.len() as u64;
    // Input bytes (as read from disk) up to the end of the last batch written.
    let mut bytes_done = 0u64;

    // The dedup indexes are fed in input order on their own thread, so the pool can work on
    // the next batch meanwhile.
    std::thread::scope(|scope| -> Result<Option<DedupRun>> {
        let (otx, orx) = std::sync::mpsc::sync_channel::<Vec<Sketched>>(4);
        let observed = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let observed_in = observed.clone();
        let observer = dedup_run.map(|mut d| {
            scope.spawn(move || -> Result<DedupRun> {
                for batch in orx {
                    for s in batch {
                        d.observe(s)?;
                    }
                    observed_in.store(d.docs() as u64, Ordering::Relaxed);
                }
                Ok(d)
            })
        });
        // Each batch with the input position (bytes read from disk) at its end.
        let (tx, rx) = std::sync::mpsc::sync_channel::<(Vec<RawRecord>, u64)>(2);
        let reader_counters = counters.clone();
        let sources_ref: &Sources = sources;
        let batch_records = plan.batch_records.max(1);
        let reader = scope.spawn(move || {
            read::stream_batches(
                sources_ref,
                batch_records,
                BATCH_BYTES,
                &reader_counters,
                |batch| {
                    let at = reader_counters.raw_bytes.load(Ordering::Relaxed);
                    tx.send((batch, at)).is_ok()
                },
            )
        });
        // Batch N is processed on the pool while batch N-1 is written (and handed to the
        // dedup observer) beside it.
        let work = |chunk: Vec<RawRecord>| -> Chunk<D::Kept> {
            let mut st = BatchStats::new(stages.stages.len());
            let outs = chunk
                .into_iter()
                .map(|raw| {
                    let v = stages.process(raw, &plan.fields, &mut st);
                    let sampled = |doc: &crate::document::Document| -> Sampled {
                        let key = sampler.key(&doc.origin)?;
                        Some(Box::new((key, SampleDoc::of_doc(doc))))
                    };
                    match (v, sketcher.as_ref()) {
                        (Verdict::Kept(doc), Some(sk)) => {
                            let sampled = sampled(&doc);
                            let t0 = Instant::now();
                            let s = dedup::run::sketch_doc(sk, doc);
                            st.dedup_nanos += t0.elapsed().as_nanos() as u64;
                            Pass1::Sketched(s, sampled)
                        }
                        (Verdict::Kept(doc), None) => {
                            let sampled = sampled(&doc);
                            let text_len = doc.text.len() as u64;
                            let (kept, text_bytes) = D::prepare(&plan.write, doc);
                            Pass1::Kept {
                                kept,
                                text_bytes,
                                text_len,
                                sampled,
                            }
                        }
                        (Verdict::Rejected(r), _) => Pass1::Rejected(r),
                    }
                })
                .collect();
            (outs, st)
        };
        let mut drive = driver::Ordered::new(pool, CHUNK, work);
        let mut deliver = Deliver {
            out: sink,
            totals,
            observer: &otx,
            sampler,
            sketched: Vec::new(),
        };
        // The input position (bytes read from disk) at the end of the batch in the driver.
        let mut pending_at = None;
        let mut write_result = Ok(Flow::Continue);
        for (batch, at) in rx.iter() {
            let delivered_at = pending_at.replace(at);
            write_result = drive.push(batch, &mut deliver);
            if !matches!(write_result, Ok(Flow::Continue)) {
                break;
            }
            if let Some(at) = delivered_at {
                bytes_done = at;
            }
            on_progress(&Progress::Main {
                records: deliver.out.records.read + observed.load(Ordering::Relaxed),
                bytes: bytes_done,
                total_bytes,
                files_done: counters.files_done.load(Ordering::Relaxed),
                files,
            });
        }
        if matches!(write_result, Ok(Flow::Continue)) {
            write_result = drive.finish(&mut deliver);
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
        on_progress(&Progress::MainDone {
            records: sink.records.read + dedup.as_ref().map_or(0, |d| d.docs() as u64),
            bytes: counters.raw_bytes.load(Ordering::Relaxed),
        });
        Ok(dedup)
    })
}

/// What the report needs of a run besides its output and counts.
struct Facts<'a> {
    started: Instant,
    sources: &'a Sources,
    stages: &'a Stages,
    counters: &'a ReadCounters,
    threads: usize,
    dedup: Option<StageStats>,
    sections: std::collections::BTreeMap<String, serde_json::Value>,
}

/// Build the report, draw report.html, and commit the destination.
fn finish<D: Destination>(
    plan: &RunPlan,
    sink: Output<D>,
    totals: BatchStats,
    facts: Facts<'_>,
) -> Result<(Report, D::Done)> {
    let Output {
        writer,
        records,
        text_out,
        hints,
        dist: mut dist_counts,
        sample,
        ..
    } = sink;
    dist_counts.before = totals.lengths.clone();
    let Facts {
        started,
        sources,
        stages,
        counters,
        threads,
        dedup: dedup_stats,
        sections,
    } = facts;

    let mut warnings = sources.warnings.clone();
    let stale = writer.stale_removed();
    if stale > 0 {
        warnings.push(format!(
            "removed {} temporary files left in {} by an earlier run that did not finish",
            stale,
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
        warc_records_skipped: counters.warc_skipped(),
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
        rules: stages.rules.clone(),
        distributions: dist_counts.distributions(),
        sample: (plan.config.report.sample > 0).then(|| SampleInfo {
            file: SAMPLE_FILE.to_string(),
            documents: 0,
            seed: plan.config.report.seed,
        }),
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
    let mut report = report;
    let mut extra = Vec::new();
    if let Some(info) = report.sample.as_mut() {
        let jsonl = sample.to_jsonl();
        info.documents = jsonl.lines().count();
        extra.push((SAMPLE_FILE, jsonl));
    }
    let json = report.to_json();
    // report.html is drawn from the files as written, exactly as `rinse report` redraws it.
    let sample_text = extra.first().map(|(_, t)| t.as_str());
    let html = crate::report::html::render_files(&json, sample_text)
        .map_err(|e| Error::Usage(format!("cannot draw report.html: {e}")))?;
    extra.push((crate::report::html::HTML_FILE, html));
    let done = writer.commit(&json, &extra)?;
    Ok((report, done))
}

/// Dedup's phases after the main pass: decide over the whole corpus, then hand every
/// document it holds to `sink` in input order (resolving the report's sample on the way).
fn dedup_phases<D: Destination>(
    d: DedupRun,
    plan: &RunPlan,
    pool: &rayon::ThreadPool,
    sink: &mut Output<D>,
    on_progress: &mut (dyn FnMut(&Progress) + Send),
) -> Result<crate::dedup::run::Finished> {
    let mut d = d.decide(pool, &mut |name, done, total| {
        on_progress(&Progress::Phase { name, done, total })
    })?;
    // The sampled documents dedup decides, and the kept copies of those that are
    // duplicates (so the page can show what a duplicate duplicates).
    let pending = sink.sample.pending();
    let mut survivors: Vec<u64> = pending
        .iter()
        .filter_map(|&n| d.decisions().duplicate_of(n))
        .collect();
    survivors.sort_unstable();
    survivors.dedup();
    d.watch = pending.iter().chain(&survivors).copied().collect();
    d.watch.sort_unstable();
    d.watch.dedup();
    let total = d.docs() as u64;
    let mut applied = 0u64;
    on_progress(&Progress::Phase {
        name: "apply",
        done: 0,
        total,
    });
    let prepare = |doc: crate::document::Document| {
        let text_len = doc.text.len() as u64;
        let (kept, text_bytes) = D::prepare(&plan.write, doc);
        (kept, text_bytes, text_len)
    };
    d.apply(pool, &prepare, &mut |a| {
        let n = applied;
        applied += 1;
        if applied.is_multiple_of(4096) || applied == total {
            on_progress(&Progress::Phase {
                name: "apply",
                done: applied,
                total,
            });
        }
        match a {
            Applied::Kept {
                doc: (kept, text_bytes, text_len),
                watched,
            } => {
                if let Some(doc) = watched {
                    sink.sample.resolve(n, Some(&doc.removals), None);
                    if survivors.binary_search(&n).is_ok() {
                        sink.sample.add_survivor(SampleDoc::of_doc(&doc));
                    }
                }
                sink.keep(kept, text_bytes, text_len)
            }
            Applied::Rejected(r) => {
                sink.sample.resolve(n, None, Some(&r));
                sink.reject(*r)
            }
        }
    })
}

/// Records per parallel task inside a batch.
const CHUNK: usize = 32;
/// A batch is cut at this many bytes even when it has fewer records.
const BATCH_BYTES: usize = 32 << 20;

/// Run the whole pipeline: read, process, write the output directory of `plan`, report.
pub fn run(plan: &RunPlan, on_progress: &mut (dyn FnMut(&Progress) + Send)) -> Result<Report> {
    let create = || Writer::create(plan.write.clone());
    Ok(run_to(plan, create, on_progress)?.0)
}

/// Run the whole pipeline into the destination `create` makes (the files of an output
/// directory, or anything else that takes verdicts), once the inputs are listed and the
/// config compiled, so that a bad input or rule creates nothing; `plan.write.out` holds
/// dedup's temporary files.
pub fn run_to<D: Destination>(
    plan: &RunPlan,
    create: impl FnOnce() -> Result<D>,
    on_progress: &mut (dyn FnMut(&Progress) + Send),
) -> Result<(Report, D::Done)> {
    let started = Instant::now();
    let sources = read::expand_inputs(&plan.inputs, &read::Exclude::output(&plan.write.out))?;
    let stages = Stages::compile(&plan.config, plan.rule_timing)?;
    let writer = create()?;
    let dedup_run = if plan.config.dedup.enabled {
        Some(DedupRun::create(&plan.config.dedup, &plan.write.out)?)
    } else {
        None
    };
    let sketcher: Option<Sketcher> = dedup_run.as_ref().map(|d| d.sketcher().clone());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(plan.threads)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start threads: {e}")))?;
    let threads = pool.current_num_threads();

    let counters = Arc::new(ReadCounters::default());
    let mut totals = BatchStats::new(stages.stages.len());
    let mut sink = Output {
        writer,
        records: Records::default(),
        text_out: 0,
        hints: InputHints::default(),
        dist: DistCounts::default(),
        sample: Sample::default(),
        sketched: 0,
    };
    let sampler = Sampler::new(plan.config.report.sample, plan.config.report.seed);
    let main = MainPass {
        plan,
        stages: &stages,
        sources: &sources,
        counters: &counters,
        pool: &pool,
        sampler: &sampler,
        sketcher: sketcher.as_ref(),
    };
    let dedup_run = main_pass(main, dedup_run, &mut sink, &mut totals, on_progress)?;

    // Dedup: decide over the whole corpus, then write its documents in input order.
    let mut sections = std::collections::BTreeMap::new();
    let mut dedup_stats: Option<StageStats> = None;
    if let Some(d) = dedup_run {
        let t0 = Instant::now();
        let finished = dedup_phases(d, plan, &pool, &mut sink, on_progress)?;
        dedup_stats = Some(StageStats {
            docs_in: finished.docs() as u64,
            rejected: finished.rejected().clone(),
            nanos: totals.dedup_nanos + t0.elapsed().as_nanos() as u64,
            ..StageStats::default()
        });
        sections.insert("dedup".to_string(), finished.report());
    }
    finish(
        plan,
        sink,
        totals,
        Facts {
            started,
            sources: &sources,
            stages: &stages,
            counters: &counters,
            threads,
            dedup: dedup_stats,
            sections,
        },
    )
}
