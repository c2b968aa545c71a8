//! The `--with-dedup` pass: the whole pipeline of a config with dedup on, run into a
//! temporary directory with `--annotate-only`, read back into what became of each gold
//! document (kept text = the annotated removals applied, as `rinse run` applies them).
use super::attribute::DocRun;
use super::gold::Gold;
use super::pass::{text_of, Outcome, PassResult, Relaxed, BATCH_RECORDS};
use crate::config::Config;
use crate::document::{apply_removals, Origin, Removal};
use crate::error::{Error, Result};
use crate::pipeline::{self, RunPlan};
use crate::read::Fields;
use crate::record::Record;
use crate::write::{OutputCompression, TextMode, WriteOptions};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

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
    let report = pipeline::run(&plan, &mut |_| {})?;
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
    for rec in read_shards(&dir.path().join("kept"))? {
        let id = id_of(&rec, fields);
        let g = id.as_deref().and_then(|id| gold.position(id));
        let run = g.map(|_| annotated_run(&rec, fields));
        res.add(
            Outcome {
                gold: g,
                extra_id: if g.is_none() { id } else { None },
                kept: true,
                run,
                raw: None,
            },
            gold,
        )?;
    }
    for rec in read_shards(&dir.path().join("rejected"))? {
        let id = rec.get("id").and_then(Value::as_str);
        let g = id.and_then(|id| gold.position(id));
        let run = g.map(|_| {
            let reason = rec
                .get("reason")
                .and_then(Value::as_str)
                .unwrap_or("rejected");
            let origin = Origin {
                file: "rejected".into(),
                line: 0,
            };
            let record = rec
                .get("record")
                .map(|v| Record::from_value(v, &fields.text));
            relaxed.explain(reason, record.as_ref(), origin, fields)
        });
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

pub(super) fn read_shards(dir: &Path) -> Result<Vec<Map<String, Value>>> {
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

pub(super) fn id_of(rec: &Map<String, Value>, fields: &Fields) -> Option<String> {
    match rec.get(&fields.id) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// A kept record written with `--annotate-only`: normalized text plus its removals.
fn annotated_run(rec: &Map<String, Value>, fields: &Fields) -> DocRun {
    let text = text_of(rec, fields).unwrap_or_default();
    let removals: Vec<Removal> = rec
        .get("rinse")
        .and_then(|r| r.get("removals"))
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(removal_of).collect())
        .unwrap_or_default();
    DocRun {
        original: None,
        output: Some(apply_removals(&text, &removals)),
        normalized: Some(text),
        removals,
        rejected: None,
    }
}

fn removal_of(v: &Value) -> Option<Removal> {
    let num = |k: &str| v.get(k).and_then(Value::as_u64).map(|n| n as usize);
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(Arc::<str>::from);
    Some(Removal {
        start: num("start")?,
        end: num("end")?,
        rule: s("rule")?,
        category: s("category").unwrap_or_else(|| "".into()),
        dup_of: None,
    })
}
