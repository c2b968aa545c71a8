//! The `--with-dedup` pass: the whole pipeline of a config with dedup on, its verdicts
//! collected in memory (kept documents annotated, so removals can be attributed) and
//! turned into what became of each gold document.
use super::gold::Gold;
use super::pass::{verdict_outcome, PassResult, Relaxed, BATCH_RECORDS};
use crate::config::Config;
use crate::destination::Collect;
use crate::document::Verdict;
use crate::error::{Error, Result};
use crate::pipeline::{self, RunPlan};
use crate::read::Fields;
use crate::write::{OutputCompression, TextMode, WriteOptions};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// Run the whole pipeline of `config` with dedup switched on (its temporary files in a
/// scratch directory) and score what it kept and rejected.
pub fn run_pipeline(
    config: &Config,
    inputs: &[PathBuf],
    gold: &Gold,
    fields: &Fields,
    threads: usize,
) -> Result<PassResult> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let dir = TempDir::new(std::env::temp_dir().join(format!(
        "rinse-eval-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    )));
    std::fs::create_dir_all(dir.path()).map_err(|e| Error::io(dir.path(), e))?;
    let mut cfg = config.clone();
    cfg.dedup.enabled = true;
    let plan = RunPlan {
        inputs: inputs.to_vec(),
        fields: fields.clone(),
        config: cfg,
        write: WriteOptions {
            out: dir.path().to_path_buf(),
            compression: OutputCompression::None,
            shard_size: u64::MAX,
            explain: true,
            text_mode: TextMode::AnnotateOnly,
            fields: fields.clone(),
        },
        threads,
        batch_records: BATCH_RECORDS,
        rule_timing: true,
    };
    let (report, out) = pipeline::run_to(&plan, || Ok(Collect::default()), &mut |_| {})?;
    let relaxed = Relaxed::new(config);
    let mut res = PassResult {
        runs: vec![None; gold.docs.len()],
        bytes: report.bytes.input,
        seconds: report.seconds,
        clean: report
            .stages
            .into_iter()
            .find(|s| s.name == "clean")
            .map(|s| s.stats),
        ..PassResult::default()
    };
    let verdicts = out
        .kept
        .into_iter()
        .map(Verdict::Kept)
        .chain(out.rejected.into_iter().map(Verdict::Rejected));
    for v in verdicts {
        res.add(verdict_outcome(v, &relaxed, fields, gold, None), gold)?;
    }
    Ok(res)
}

/// A scratch directory, removed when dropped or when rinse is interrupted.
pub(super) type TempDir = crate::outdir::ScratchDir;
