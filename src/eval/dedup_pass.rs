//! The `--with-dedup` pass: the whole pipeline of a config with dedup on, run into a
//! temporary directory with `--annotate-only`, read back into what became of each gold
//! document (kept text = the annotated removals applied, as `rinse run` applies them).
use super::attribute::DocRun;
use super::gold::Gold;
use super::pass::{Outcome, PassResult, Relaxed, BATCH_RECORDS};
use crate::config::Config;
use crate::destination::Collect;
use crate::document::apply_removals;
use crate::error::{Error, Result};
use crate::pipeline::{self, RunPlan};
use crate::read::Fields;
use crate::write::{OutputCompression, TextMode, WriteOptions};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// Run the whole pipeline of `config` with dedup switched on, into a temporary
/// directory, and read back what it kept (annotated, so removals can be attributed)
/// and rejected.
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
    for doc in out.kept {
        let g = gold.position(&doc.id);
        let extra_id = g.is_none().then(|| doc.id.clone());
        let run = g.map(|_| DocRun {
            original: doc.original_text(),
            output: Some(apply_removals(&doc.text, &doc.removals)),
            normalized: Some(doc.text),
            removals: doc.removals,
            rejected: None,
        });
        res.add(
            Outcome {
                gold: g,
                extra_id,
                kept: true,
                run,
                raw: None,
            },
            gold,
        )?;
    }
    for r in out.rejected {
        let g = r.id.as_deref().and_then(|id| gold.position(id));
        let run = g.map(|_| relaxed.explain(r.reason, r.record.as_ref(), r.origin, fields));
        res.add(
            Outcome {
                gold: g,
                extra_id: None,
                kept: false,
                run,
                raw: None,
            },
            gold,
        )?;
    }
    Ok(res)
}

/// Removes the temporary output directory however the pass ends.
/// A scratch directory, removed when dropped or when rinse is interrupted.
pub(super) type TempDir = crate::outdir::ScratchDir;
