//! `rinse eval`: score cleaning configs against gold annotations (the webclean metric),
//! attribute every gained and lost snippet to the rule that removed it, and measure what
//! each rule is worth by switching it off (ablation).
//!
//! ```no_run
//! use rinse::eval::{evaluate, EvalOptions, Gold, NamedConfig};
//! let gold = Gold::load("dev.gold.jsonl".as_ref())?;
//! let configs = [NamedConfig { name: "default".into(), config: rinse::Config::embedded()? }];
//! let opts = EvalOptions { inputs: vec!["dev.docs.jsonl".into()], ..EvalOptions::default() };
//! let eval = evaluate(&gold, &configs, &opts, &mut |_| {})?;
//! println!("F1 {:.3}", eval.configs[0].scores.f1);
//! # Ok::<(), rinse::Error>(())
//! ```
mod attribute;
mod dedup_pass;
mod gold;
mod group;
mod pass;
mod score;
pub mod train;

pub use attribute::{
    bad_removals, context, damages, evaluate_doc, BadRemoval, Cause, DocEval, DocRun,
};
pub use gold::{Gold, GoldDoc};
pub use group::{lookup, GroupRow, GroupTable, Meta, MetaSummary};
pub use score::{is_py_space, norm_ws, score_doc, Counts, DocScore, NormText, Scores};

use crate::clean::{Cleaner, RuleInfo};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::read::{self, Fields, RawRecord, Sources};
use pass::{PassResult, Source};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

/// What to evaluate on and how.
#[derive(Clone, Debug, Default)]
pub struct EvalOptions {
    /// The documents (files or directories, as for `rinse run`).
    pub inputs: Vec<PathBuf>,
    pub fields: Fields,
    /// Worker threads; 0 means all cores.
    pub threads: usize,
    /// Run the whole pipeline with dedup on, instead of the cleaning stage only.
    pub with_dedup: bool,
    /// Score each config once more per rule, with that rule switched off.
    pub ablate: bool,
    /// Also score per value of each of these fields (dotted paths allowed), looked up
    /// in the document's DOCS record, then in its `meta` record.
    pub group_by: Vec<String>,
    /// Records joined to the documents by id, for `group_by`.
    pub meta: Option<Arc<Meta>>,
}

/// A config and the name it is shown under.
#[derive(Clone, Debug)]
pub struct NamedConfig {
    pub name: String,
    pub config: Config,
}

/// The result of `rinse eval`: one entry per config, in the order given.
#[derive(Debug, Serialize)]
pub struct Evaluation {
    pub gold: GoldSummary,
    /// What became of the `meta` records (only with `group_by` and `meta`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<MetaSummary>,
    pub configs: Vec<ConfigEval>,
}

#[derive(Debug, Serialize)]
pub struct GoldSummary {
    pub path: String,
    pub docs: usize,
    pub with: usize,
    pub without: usize,
    /// Gold ids with no document in DOCS (scored as missing: `with` fn, `without` tn).
    pub missing_from_docs: Vec<String>,
}

/// The evaluation of one config.
#[derive(Debug, Serialize)]
pub struct ConfigEval {
    pub name: String,
    pub fingerprint: String,
    #[serde(flatten)]
    pub scores: Scores,
    pub docs: DocCounts,
    pub seconds: f64,
    pub mb_per_second: f64,
    /// One row per rule (and per other removal source), most harmful first.
    pub rules: Vec<RuleRow>,
    /// Snippets absent for reasons other than a rule: `with` lost, `without` absent.
    pub other_causes: BTreeMap<String, CauseCount>,
    /// F1 with each rule switched off (empty unless asked for).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ablation: Vec<AblationRow>,
    /// Scores per value of each `group_by` field, in the order asked for (empty unless
    /// asked for).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupTable>,
    /// Per gold document (in gold order).
    #[serde(skip)]
    pub per_doc: Vec<DocEval>,
    /// What became of each gold document.
    #[serde(skip)]
    pub runs: Vec<Option<DocRun>>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct DocCounts {
    /// Records read from DOCS.
    pub read: u64,
    pub kept: u64,
    pub rejected: u64,
    /// Gold documents not kept, by rejection reason.
    pub gold_rejected: BTreeMap<String, u64>,
    /// Kept documents whose id is not in the gold file (ignored).
    pub extra: u64,
    /// The id of the first of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_example: Option<String>,
}

/// What one rule did to the gold snippets.
#[derive(Clone, Debug, Serialize)]
pub struct RuleRow {
    pub id: String,
    pub category: String,
    /// `without` snippets it removed (good removals).
    pub good: u64,
    /// `with` snippets it damaged (bad removals).
    pub bad: u64,
    /// good / (good + bad); `None` when it touched no snippet.
    pub precision: Option<f64>,
    /// Time spent in the rule (summed over threads).
    pub seconds: f64,
    /// Its share of the clean stage's time.
    pub time_share: f64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct CauseCount {
    pub with: u64,
    pub without: u64,
}

/// F1 of a config with one rule switched off.
#[derive(Clone, Debug, Serialize)]
pub struct AblationRow {
    pub rule: String,
    pub f1_without: f64,
    /// F1 with the rule minus F1 without it: positive when the rule earns its place.
    pub gain: f64,
    #[serde(flatten)]
    pub counts: Counts,
}

/// A pass about to start, reported to the caller of [`evaluate`] (ablation makes many).
#[derive(Clone, Copy, Debug)]
pub struct Step<'a> {
    /// Name of the config.
    pub config: &'a str,
    /// The rule switched off, for an ablation pass.
    pub without_rule: Option<&'a str>,
    /// Passes started so far for this config, this one included, and their total.
    pub pass: usize,
    pub passes: usize,
}

/// Evaluate every config on the documents of `opts` against `gold`, calling `on_step`
/// before each pass over the documents.
pub fn evaluate(
    gold: &Gold,
    configs: &[NamedConfig],
    opts: &EvalOptions,
    on_step: &mut dyn FnMut(&Step),
) -> Result<Evaluation> {
    let runner = Runner {
        gold,
        opts,
        sources: read::expand_inputs(&opts.inputs, &read::Exclude::default())?,
        pool: rayon::ThreadPoolBuilder::new()
            .num_threads(opts.threads)
            .build()
            .map_err(|e| Error::Usage(format!("cannot start threads: {e}")))?,
    };
    let (with, without) = gold.snippet_counts();
    let mut captured: Option<Vec<RawRecord>> = None;
    let mut out = Vec::new();
    for nc in configs {
        let rules = rules_of(&nc.config)?;
        let passes = 1 + if opts.ablate { rules.len() } else { 0 };
        on_step(&Step {
            config: &nc.name,
            without_rule: None,
            pass: 1,
            passes,
        });
        // The first pass keeps copies of the gold records for the ablation passes.
        let capture = opts.ablate && captured.is_none();
        let mut pass = runner.pass(&nc.config, None, capture)?;
        if capture {
            captured = Some(std::mem::take(&mut pass.captured));
        }
        let mut ce = summarize(nc, &rules, gold, pass);
        if opts.ablate {
            let records = captured.as_deref().unwrap_or(&[]);
            ce.ablation = ablate(&runner, nc, &rules, records, ce.scores.f1, on_step)?;
        }
        out.push(ce);
    }
    let mut meta = None;
    if !opts.group_by.is_empty() {
        // One more read of DOCS, for the fields: the passes keep only what scoring needs.
        let labels = group::labels(
            &runner.sources,
            &opts.fields,
            gold,
            &opts.group_by,
            opts.meta.as_deref(),
            &runner.pool,
        )?;
        for ce in &mut out {
            ce.groups = group::tables(&labels, &ce.per_doc);
        }
        meta = labels.meta;
    }
    let missing_from_docs = match out.first() {
        Some(ce) => gold
            .docs
            .iter()
            .zip(&ce.runs)
            .filter(|(_, r)| r.is_none())
            .map(|(d, _)| d.id.clone())
            .collect(),
        None => Vec::new(),
    };
    Ok(Evaluation {
        gold: GoldSummary {
            path: gold.path.display().to_string(),
            docs: gold.docs.len(),
            with,
            without,
            missing_from_docs,
        },
        meta,
        configs: out,
    })
}

/// Runs passes of configs over the documents, the same way for every config.
struct Runner<'a> {
    gold: &'a Gold,
    opts: &'a EvalOptions,
    sources: Sources,
    pool: rayon::ThreadPool,
}

impl Runner<'_> {
    /// One pass of `config` over all of DOCS, or over `subset` (records of gold documents)
    /// when given; `capture` keeps copies of the gold records read.
    fn pass(
        &self,
        config: &Config,
        subset: Option<&[RawRecord]>,
        capture: bool,
    ) -> Result<PassResult> {
        let (gold, opts) = (self.gold, self.opts);
        if opts.with_dedup {
            // Dedup works across documents: always the whole input, through the pipeline.
            return dedup_pass::run_pipeline(
                config,
                &opts.inputs,
                gold,
                &opts.fields,
                opts.threads,
            );
        }
        let source = match subset {
            Some(records) => Source::Memory(records),
            None => Source::Files(&self.sources),
        };
        pass::run_stages(config, source, gold, &opts.fields, &self.pool, capture)
    }
}

/// The rules a config runs, in config order (none when cleaning is off).
pub fn rules_of(config: &Config) -> Result<Vec<RuleInfo>> {
    if !config.clean.enabled {
        return Ok(Vec::new());
    }
    Ok(Cleaner::new(&config.clean)?.rules())
}

/// Score the gold documents of one pass.
fn score_pass(gold: &Gold, runs: &[Option<DocRun>]) -> (Counts, Vec<DocEval>) {
    let mut total = Counts::default();
    let per_doc: Vec<DocEval> = gold
        .docs
        .iter()
        .zip(runs)
        .map(|(g, run)| {
            let e = evaluate_doc(g, run.as_ref());
            total.add(&e.score.counts);
            e
        })
        .collect();
    (total, per_doc)
}

fn summarize(nc: &NamedConfig, rules: &[RuleInfo], gold: &Gold, pass: PassResult) -> ConfigEval {
    let (counts, per_doc) = score_pass(gold, &pass.runs);
    let clean = pass.clean.unwrap_or_default();
    let clean_nanos = clean.nanos.max(1) as f64;
    let mut rows: Vec<RuleRow> = Vec::new();
    let mut at: HashMap<Arc<str>, usize> = HashMap::new();
    let mut add_row = |id: &Arc<str>, category: &str| {
        at.entry(id.clone()).or_insert_with(|| {
            let nanos = clean.items.get(&**id).map_or(0, |c| c.nanos);
            rows.push(RuleRow {
                id: id.to_string(),
                category: category.to_string(),
                good: 0,
                bad: 0,
                precision: None,
                seconds: nanos as f64 / 1e9,
                time_share: nanos as f64 / clean_nanos,
            });
            rows.len() - 1
        });
    };
    for info in rules {
        add_row(&info.id, &info.category);
    }
    // Removal sources that are not rules of the config (dedup steps) get rows too.
    for r in pass.runs.iter().flatten().flat_map(|run| &run.removals) {
        add_row(&r.rule, &r.category);
    }
    let mut other: BTreeMap<String, CauseCount> = BTreeMap::new();
    let mut tally = |cause: &Cause, with: bool| match cause {
        Cause::Rules(rules) => {
            for r in rules {
                if let Some(&i) = at.get(r) {
                    let row = &mut rows[i];
                    if with {
                        row.bad += 1;
                    } else {
                        row.good += 1;
                    }
                }
            }
        }
        c => {
            let e = other.entry(c.label()).or_default();
            if with {
                e.with += 1;
            } else {
                e.without += 1;
            }
        }
    };
    for e in &per_doc {
        for c in &e.missed_causes {
            tally(c, true);
        }
        for (_, c) in &e.removed_without {
            tally(c, false);
        }
    }
    for row in &mut rows {
        let touched = row.good + row.bad;
        row.precision = (touched > 0).then(|| row.good as f64 / touched as f64);
    }
    let order: HashMap<String, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.clone(), i))
        .collect();
    rows.sort_by_key(|r| (std::cmp::Reverse(r.bad), r.good, order.get(&r.id).copied()));
    let mut gold_rejected = BTreeMap::new();
    for run in pass.runs.iter().flatten() {
        if let Some(reason) = &run.rejected {
            *gold_rejected.entry(reason.clone()).or_default() += 1;
        }
    }
    ConfigEval {
        name: nc.name.clone(),
        fingerprint: nc.config.fingerprint(),
        scores: counts.into(),
        docs: DocCounts {
            read: pass.records,
            kept: pass.kept,
            rejected: pass.rejected,
            gold_rejected,
            extra: pass.extra,
            extra_example: pass.extra_example,
        },
        seconds: pass.seconds,
        mb_per_second: pass.bytes as f64 / 1e6 / pass.seconds.max(1e-9),
        rules: rows,
        other_causes: other,
        ablation: Vec::new(),
        groups: Vec::new(),
        per_doc,
        runs: pass.runs,
    }
}

/// F1 with each rule of the config switched off in turn, rules whose removal helps most
/// (lowest gain) first.
fn ablate(
    runner: &Runner<'_>,
    nc: &NamedConfig,
    rules: &[RuleInfo],
    gold_records: &[RawRecord],
    base_f1: f64,
    on_step: &mut dyn FnMut(&Step),
) -> Result<Vec<AblationRow>> {
    let mut rows = Vec::new();
    for (n, info) in rules.iter().enumerate() {
        on_step(&Step {
            config: &nc.name,
            without_rule: Some(&info.id),
            pass: n + 2,
            passes: rules.len() + 1,
        });
        let mut cfg = nc.config.clone();
        cfg.clean.disable.push(info.id.to_string());
        // The stages work per document: the gold documents alone give the same score.
        let pass = runner.pass(&cfg, Some(gold_records), false)?;
        let (counts, _) = score_pass(runner.gold, &pass.runs);
        rows.push(AblationRow {
            rule: info.id.to_string(),
            f1_without: counts.f1(),
            gain: base_f1 - counts.f1(),
            counts,
        });
    }
    rows.sort_by(|a, b| a.gain.total_cmp(&b.gain));
    Ok(rows)
}
