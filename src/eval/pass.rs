//! One pass of a config over the documents: the normalize and clean stages exactly as
//! `rinse run` runs them ([`Stages`]) — or, with dedup, the whole pipeline
//! (`dedup_pass`). Either way the result is what became of each gold document
//! ([`DocRun`]) plus the counts and timings of the pass.
use super::attribute::DocRun;
use super::gold::Gold;
use crate::config::Config;
use crate::document::{apply_removals, Origin, Verdict};
use crate::driver::{self, Flow};
use crate::error::{Error, Result};
use crate::pipeline::{BatchStats, Stages};
use crate::read::{self, Fields, RawRecord, ReadCounters, Sources};
use crate::record::Record;
use crate::stage::StageStats;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// Where a pass reads its records from.
pub enum Source<'a> {
    /// The DOCS files, streamed.
    Files(&'a Sources),
    /// Records kept in memory (the gold documents, for ablation).
    Memory(&'a [RawRecord]),
}

/// What one pass produced.
#[derive(Debug, Default)]
pub struct PassResult {
    /// What became of each gold document, by position in [`Gold::docs`]; `None` when the
    /// document is not in the input.
    pub runs: Vec<Option<DocRun>>,
    pub records: u64,
    pub kept: u64,
    pub rejected: u64,
    /// Kept records whose id is not in the gold file (ignored by the metric).
    pub extra: u64,
    /// The id of the first of them (a hint when no id matches the gold file).
    pub extra_example: Option<String>,
    /// Bytes read.
    pub bytes: u64,
    /// Wall time of the pass.
    pub seconds: f64,
    /// Statistics of the clean stage (per-rule counts and time), when it ran.
    pub clean: Option<StageStats>,
    /// Copies of the raw records of gold documents, when asked for.
    pub captured: Vec<RawRecord>,
}

/// Records per parallel task (as in the pipeline).
const CHUNK: usize = 32;
pub(super) const BATCH_RECORDS: usize = 4096;
const BATCH_BYTES: usize = 32 << 20;

pub(super) struct Outcome {
    pub gold: Option<usize>,
    /// The id of a kept record that is not in the gold file.
    pub extra_id: Option<String>,
    pub kept: bool,
    pub run: Option<DocRun>,
    pub raw: Option<RawRecord>,
}

/// Run the per-document stages of `config` over `source`.
pub fn run_stages(
    config: &Config,
    source: Source<'_>,
    gold: &Gold,
    fields: &Fields,
    pool: &rayon::ThreadPool,
    capture: bool,
) -> Result<PassResult> {
    let started = Instant::now();
    let stages = Stages::compile(config, true)?;
    let relaxed = Relaxed::new(config);
    let names = stages.names();
    let mut totals = vec![StageStats::default(); names.len()];
    let mut res = PassResult {
        runs: vec![None; gold.docs.len()],
        ..PassResult::default()
    };
    let work = |chunk: Vec<RawRecord>| -> (Vec<Outcome>, BatchStats) {
        let mut st = batch_stats(names.len());
        let outcomes = chunk
            .into_iter()
            .map(|raw| outcome(&stages, &relaxed, raw, fields, gold, &mut st, capture))
            .collect();
        (outcomes, st)
    };
    let mut drive = driver::Ordered::new(pool, CHUNK, work);
    let mut take = |(outcomes, st): (Vec<Outcome>, BatchStats)| -> Result<Flow> {
        for (a, b) in totals.iter_mut().zip(&st.stages) {
            a.merge(b);
        }
        for o in outcomes {
            res.add(o, gold)?;
        }
        Ok(Flow::Continue)
    };
    let bytes =
        match source {
            Source::Files(sources) => {
                let counters = Arc::new(ReadCounters::default());
                let mut failed = None;
                read::stream_batches(sources, BATCH_RECORDS, BATCH_BYTES, &counters, |batch| {
                    match drive.push(batch, &mut take) {
                        Ok(_) => true,
                        Err(e) => {
                            failed = Some(e);
                            false
                        }
                    }
                })?;
                if let Some(e) = failed {
                    return Err(e);
                }
                counters.raw_bytes.load(Ordering::Relaxed)
            }
            Source::Memory(records) => {
                drive.push(records.iter().map(copy_raw).collect(), &mut take)?;
                records.iter().map(|r| r.bytes.len() as u64).sum()
            }
        };
    drive.finish(&mut take)?;
    res.bytes = bytes;
    res.seconds = started.elapsed().as_secs_f64();
    res.clean = names
        .iter()
        .position(|n| *n == "clean")
        .map(|i| totals.swap_remove(i));
    Ok(res)
}

fn outcome(
    stages: &Stages,
    relaxed: &Relaxed,
    raw: RawRecord,
    fields: &Fields,
    gold: &Gold,
    st: &mut BatchStats,
    capture: bool,
) -> Outcome {
    let copy = capture.then(|| copy_raw(&raw));
    let v = stages.process(raw, fields, st);
    verdict_outcome(v, relaxed, fields, gold, copy)
}

/// What became of a record with verdict `v`, for scoring against `gold`; `copy` is the
/// raw record, kept for a gold document when the pass captures them.
pub(super) fn verdict_outcome(
    v: Verdict,
    relaxed: &Relaxed,
    fields: &Fields,
    gold: &Gold,
    copy: Option<RawRecord>,
) -> Outcome {
    let mut extra_id = None;
    let (g, kept, run) = match v {
        Verdict::Kept(doc) => {
            let g = gold.position(&doc.id);
            if g.is_none() {
                extra_id = Some(doc.id.clone());
            }
            let run = g.map(|_| DocRun {
                original: doc.original_text(),
                output: Some(apply_removals(&doc.text, &doc.removals)),
                normalized: Some(doc.text),
                removals: doc.removals,
                rejected: None,
            });
            (g, true, run)
        }
        Verdict::Rejected(r) => {
            let g = r.id.as_deref().and_then(|id| gold.position(id));
            let run = g.map(|_| relaxed.explain(r.reason, r.record.as_ref(), r.origin, fields));
            (g, false, run)
        }
    };
    Outcome {
        gold: g,
        extra_id,
        kept,
        run,
        raw: g.and(copy),
    }
}

impl PassResult {
    pub(super) fn add(&mut self, o: Outcome, gold: &Gold) -> Result<()> {
        self.records += 1;
        if o.kept {
            self.kept += 1;
        } else {
            self.rejected += 1;
        }
        let Some(g) = o.gold else {
            self.extra += u64::from(o.kept);
            if self.extra_example.is_none() {
                self.extra_example = o.extra_id;
            }
            return Ok(());
        };
        self.captured.extend(o.raw);
        let Some(run) = o.run else { return Ok(()) };
        let slot = &mut self.runs[g];
        match slot {
            // Two kept copies: the reference scorer refuses such output, and so do we.
            Some(prev) if prev.output.is_some() && run.output.is_some() => {
                return Err(Error::Usage(format!(
                    "document id {:?} (gold line {}) occurs more than once in DOCS",
                    gold.docs[g].id, gold.docs[g].line
                )))
            }
            // A kept copy wins over a rejected one (it is what the output holds).
            Some(prev) if prev.output.is_some() || run.output.is_none() => {}
            _ => *slot = Some(run),
        }
        Ok(())
    }
}

/// The stages with `min_words = 0`: re-run on a document the clean stage rejected, to
/// recover the removals that led to the rejection. Compiled on first use (compiling a
/// large rule set takes a while, and most passes reject no gold document).
pub(super) struct Relaxed {
    config: Config,
    stages: OnceLock<Option<Stages>>,
}

impl Relaxed {
    pub(super) fn new(config: &Config) -> Relaxed {
        let mut config = config.clone();
        config.clean.min_words = 0;
        Relaxed {
            config,
            stages: OnceLock::new(),
        }
    }

    pub(super) fn explain(
        &self,
        reason: &str,
        record: Option<&Record>,
        origin: Origin,
        fields: &Fields,
    ) -> DocRun {
        let mut run = DocRun {
            rejected: Some(reason.to_string()),
            ..DocRun::default()
        };
        let Some(rec) = record.filter(|r| r.is_object()) else {
            return run;
        };
        run.original = rec.original_text().map(|t| t.into_owned());
        let bytes = rec.to_json();
        let raw = RawRecord {
            origin,
            bytes,
            kind: crate::read::RawKind::Json,
        };
        // The config compiled once already with another min_words, so this cannot fail.
        // No rule timing: these stats are thrown away.
        let Some(stages) = self
            .stages
            .get_or_init(|| Stages::compile(&self.config, false).ok())
        else {
            return run;
        };
        let mut scratch = batch_stats(stages.names().len());
        if let Verdict::Kept(doc) = stages.process(raw, fields, &mut scratch) {
            run.normalized = Some(doc.text);
            run.removals = doc.removals;
        }
        run
    }
}

/// Empty statistics for `n` stages (`Stages::process` runs one stage per entry).
fn batch_stats(n: usize) -> BatchStats {
    BatchStats {
        stages: vec![StageStats::default(); n],
        ..BatchStats::default()
    }
}

fn copy_raw(raw: &RawRecord) -> RawRecord {
    RawRecord {
        origin: raw.origin.clone(),
        bytes: raw.bytes.clone(),
        kind: raw.kind.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::dedup_pass::TempDir;
    use super::*;
    use crate::pipeline::{self, RunPlan};
    use crate::write::{OutputCompression, TextMode, WriteOptions};
    use serde_json::{Map, Value};
    use std::path::{Path, PathBuf};

    fn fixture(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(rel)
    }

    /// The text eval scores is byte for byte what `rinse run` keeps.
    #[test]
    fn kept_text_is_what_rinse_run_writes() {
        let rules = std::fs::read_to_string(fixture("eval/lines-a.toml")).unwrap();
        let config = Config::parse(&format!("[dedup]\nenabled = false\n{rules}"), "t").unwrap();
        let inputs = vec![fixture("seeds/seeds.jsonl")];
        let fields = Fields::default();
        let gold_text: String = ["news-000", "news-001", "news-002", "news-003", "news-004"]
            .iter()
            .map(|id| format!("{{\"id\":\"{id}\"}}\n"))
            .collect();
        let gold = Gold::parse(gold_text.as_bytes(), Path::new("g")).unwrap();
        let sources = read::expand_inputs(&inputs, &read::Exclude::default()).unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let pass = run_stages(
            &config,
            Source::Files(&sources),
            &gold,
            &fields,
            &pool,
            false,
        )
        .unwrap();

        let out = TempDir::new(
            std::env::temp_dir().join(format!("rinse-eval-test-{}", std::process::id())),
        );
        let plan = RunPlan {
            inputs,
            fields: fields.clone(),
            config,
            write: WriteOptions {
                out: out.path().to_path_buf(),
                compression: OutputCompression::None,
                shard_size: u64::MAX,
                explain: false,
                text_mode: TextMode::Clean,
                fields: fields.clone(),
            },
            threads: 1,
            batch_records: 2,
            rule_timing: false,
        };
        pipeline::run(&plan, &mut |_| {}).unwrap();
        let kept = read_shards(&out.path().join("kept")).unwrap();
        assert_eq!(kept.len(), 5);
        for rec in kept {
            let id = id_of(&rec, &fields).unwrap();
            let run = pass.runs[gold.position(&id).unwrap()].as_ref().unwrap();
            let written = rec["text"].as_str().unwrap();
            assert_eq!(run.output.as_deref(), Some(written), "{id}");
        }
        // The rules removed something, so the comparison means something.
        assert!(pass.runs.iter().flatten().any(|r| !r.removals.is_empty()));
    }

    fn read_shards(dir: &Path) -> Result<Vec<Map<String, Value>>> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| Error::io(dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect();
        names.sort();
        let mut out = Vec::new();
        for path in names {
            let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
            for (n, line) in text.lines().enumerate() {
                match serde_json::from_str(line) {
                    Ok(Value::Object(m)) => out.push(m),
                    _ => {
                        return Err(Error::Read {
                            path: path.clone(),
                            line: n as u64 + 1,
                            message: "rinse wrote a line that is not a JSON object".into(),
                        })
                    }
                }
            }
        }
        Ok(out)
    }

    fn id_of(rec: &Map<String, Value>, fields: &Fields) -> Option<String> {
        match rec.get(&fields.id) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        }
    }
}
