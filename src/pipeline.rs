//! The one place that knows the order of the stages:
//! read → normalize → clean → (dedup) → write.
//!
//! A reader thread cuts the input into numbered batches; each batch is processed in
//! parallel on a rayon pool and collected in input order; the writer writes it. Memory is
//! bounded by a few batches in flight, whatever the corpus size.
use crate::clean::{Clean, Cleaner};
use crate::config::Config;
use crate::document::Verdict;
use crate::error::{Error, Result};
use crate::normalize::Normalize;
use crate::read::{self, Fields, RawRecord, ReadCounters, Sources};
use crate::report::{Bytes, OutputInfo, Records, Report, StageReport};
use crate::stage::{Stage, StageStats};
use crate::write::{self, Encoded, WriteOptions, Writer};
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
}

impl Stages {
    pub fn compile(config: &Config) -> Result<Stages> {
        let mut stages: Vec<Box<dyn Stage>> = vec![Box::new(Normalize::new(&config.normalize))];
        if config.clean.enabled {
            stages.push(Box::new(Clean::new(Cleaner::new(&config.clean)?)));
        }
        Ok(Stages { stages })
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.stages.iter().map(|s| s.name()).collect()
    }

    /// Parse one raw record and pass it through every stage.
    pub fn process(&self, raw: RawRecord, fields: &Fields, stats: &mut BatchStats) -> Verdict {
        let mut doc = match read::parse(raw, fields) {
            Ok(doc) => doc,
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

/// Statistics of one chunk of work, merged in order.
#[derive(Clone, Debug, Default)]
pub struct BatchStats {
    pub text_in: u64,
    pub stages: Vec<StageStats>,
}

impl BatchStats {
    fn new(n: usize) -> Self {
        BatchStats {
            text_in: 0,
            stages: vec![StageStats::default(); n],
        }
    }

    fn merge(&mut self, other: &BatchStats) {
        self.text_in += other.text_in;
        for (a, b) in self.stages.iter_mut().zip(&other.stages) {
            a.merge(b);
        }
    }
}

/// Records per parallel task inside a batch.
const CHUNK: usize = 32;
/// A batch is cut at this many bytes even when it has fewer records.
const BATCH_BYTES: usize = 32 << 20;

/// Run the whole pipeline: read, process, write, report.
pub fn run(plan: &RunPlan, on_progress: &mut dyn FnMut(&Progress)) -> Result<Report> {
    let started = Instant::now();
    let sources = read::expand_inputs(&plan.inputs)?;
    let stages = Stages::compile(&plan.config)?;
    let mut writer = Writer::create(plan.write.clone())?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(plan.threads)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start threads: {e}")))?;
    let threads = pool.current_num_threads();

    let counters = Arc::new(ReadCounters::default());
    let mut totals = BatchStats::new(stages.stages.len());
    let mut records = Records::default();
    let mut text_out = 0u64;
    let mut progress = Progress {
        total_bytes: sources.total_bytes(),
        files: sources.files.len() as u64,
        ..Progress::default()
    };

    std::thread::scope(|scope| -> Result<()> {
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
        for batch in rx.iter() {
            let results: Vec<(Vec<Encoded>, BatchStats)> = pool.install(|| {
                let mut chunks: Vec<Vec<RawRecord>> = Vec::new();
                let mut it = batch.into_iter().peekable();
                while it.peek().is_some() {
                    chunks.push(it.by_ref().take(CHUNK).collect());
                }
                chunks
                    .into_par_iter()
                    .map(|chunk| {
                        let mut st = BatchStats::new(stages.stages.len());
                        let lines = chunk
                            .into_iter()
                            .map(|raw| {
                                let verdict = stages.process(raw, &plan.fields, &mut st);
                                write::encode(verdict, &plan.write)
                            })
                            .collect();
                        (lines, st)
                    })
                    .collect()
            });
            for (lines, st) in results {
                totals.merge(&st);
                for line in &lines {
                    records.read += 1;
                    match line {
                        Encoded::Kept { text_bytes, .. } => {
                            records.kept += 1;
                            text_out += text_bytes;
                        }
                        Encoded::Rejected { reason, .. } => {
                            records.rejected += 1;
                            *records
                                .rejected_by_reason
                                .entry(reason.to_string())
                                .or_default() += 1;
                        }
                    }
                    if let Err(e) = writer.write(line) {
                        write_result = Err(e);
                        break;
                    }
                }
                if write_result.is_err() {
                    break;
                }
            }
            if write_result.is_err() {
                break;
            }
            progress.records = records.read;
            progress.raw_bytes = counters.raw_bytes.load(Ordering::Relaxed);
            progress.files_done = counters.files_done.load(Ordering::Relaxed);
            on_progress(&progress);
        }
        drop(rx);
        let read_result = reader
            .join()
            .map_err(|_| Error::Usage("reader thread panicked".into()))?;
        write_result?;
        read_result
    })?;

    let seconds = started.elapsed().as_secs_f64();
    let w = writer.totals();
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
        blank_lines_skipped: counters.blank_lines.load(Ordering::Relaxed),
        records,
        bytes: Bytes {
            input: counters.raw_bytes.load(Ordering::Relaxed),
            text_in: totals.text_in,
            text_out,
            kept_jsonl: w.kept_bytes,
            rejected_jsonl: w.rejected_bytes,
        },
        stages: stages
            .names()
            .into_iter()
            .zip(totals.stages)
            .map(|(name, stats)| StageReport {
                name: name.to_string(),
                seconds: stats.nanos as f64 / 1e9,
                stats,
            })
            .collect(),
        sections: Default::default(),
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
