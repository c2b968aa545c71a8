//! `rinse eval`: score configs against gold annotations, attribute removals to rules,
//! and (optionally) ablate rules one at a time.
use anyhow::Context;
use rinse::eval::{self, ConfigEval, EvalOptions, Evaluation, Gold, GroupTable, Meta, NamedConfig};
use serde_json::json;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::path::PathBuf;
use std::sync::Arc;

/// Benchmark cleanup rules against gold annotations: precision, recall, accuracy and F1
/// per config, what each rule removed (good) and damaged (bad), and with --ablate what
/// F1 each rule is worth.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Documents to clean (files or directories, as for `rinse run`).
    #[arg(required = true, value_name = "DOCS")]
    inputs: Vec<PathBuf>,
    /// Gold annotations, JSONL: {"id", "with": [snippets to keep], "without": [to remove]}.
    #[arg(long, value_name = "GOLD.jsonl")]
    gold: PathBuf,
    /// Config to evaluate (TOML); repeat to compare several side by side. Without it,
    /// the embedded default.
    #[arg(long = "config", value_name = "FILE")]
    configs: Vec<PathBuf>,
    #[command(flatten)]
    input: super::InputArgs,
    /// Print one JSON object on stdout instead of tables.
    #[arg(long)]
    json: bool,
    /// Show the `with` snippets this rule damaged, in context.
    #[arg(long, value_name = "ID")]
    rule: Option<String>,
    /// Lines of context around each bad removal shown by --rule.
    #[arg(long, default_value_t = 2, value_name = "N")]
    context: usize,
    /// Score each config once more per rule with that rule switched off.
    #[arg(long)]
    ablate: bool,
    /// Write each document's missed `with` and leaked `without` snippets (JSONL, worst
    /// first) to FILE.
    #[arg(long, value_name = "FILE")]
    per_doc: Option<PathBuf>,
    /// Write an HTML report to FILE: scores, per rule good/bad, per group scores (with
    /// --group-by), and the worst documents with their missed and leaked snippets in
    /// context. Self-contained; opens from disk.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Run the whole pipeline with deduplication on (default: normalize and clean only).
    #[arg(long)]
    with_dedup: bool,
    /// Also score per value of FIELD (a dotted path like `meta.kind` reaches into
    /// objects), taken from the document's record in DOCS, else from its --meta record;
    /// documents with neither go to `(none)`. Repeat, or separate with commas, for one
    /// table per field.
    #[arg(
        long = "group-by",
        value_name = "FIELD",
        value_delimiter = ',',
        value_parser = clap::builder::NonEmptyStringValueParser::new()
    )]
    group_by: Vec<String>,
    /// JSONL of objects with an id (--id-field) and fields for --group-by, joined to the
    /// documents by id.
    #[arg(long, value_name = "META.jsonl", requires = "group_by")]
    meta: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let gold = Gold::load(&args.gold).context("cannot read gold file")?;
    let configs = load_configs(&args.configs)?;
    let fields = args.input.fields();
    let meta = match &args.meta {
        Some(p) => Some(Arc::new(
            Meta::load(p, &fields.id).context("cannot read meta file")?,
        )),
        None => None,
    };
    let mut group_by: Vec<String> = Vec::new();
    for f in &args.group_by {
        if !group_by.contains(f) {
            group_by.push(f.clone());
        }
    }
    if let Some(id) = &args.rule {
        let known = configs
            .iter()
            .map(|c| eval::rules_of(&c.config))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .any(|r| &*r.id == id);
        if !known && !args.with_dedup {
            anyhow::bail!("--rule {id}: no config has a rule with this id");
        }
    }
    let opts = EvalOptions {
        inputs: args.inputs.clone(),
        fields,
        threads: args.input.threads(),
        with_dedup: args.with_dedup,
        ablate: args.ablate,
        group_by,
        meta,
    };
    let progress = std::io::stderr().is_terminal();
    let ev = eval::evaluate(&gold, &configs, &opts, &mut |step| {
        if progress {
            let what = step
                .without_rule
                .map_or(String::new(), |r| format!(" without {r}"));
            eprint!(
                "\r\x1b[Krinse: eval {}: pass {}/{}{what}",
                step.config, step.pass, step.passes
            );
        }
    });
    if progress {
        eprint!("\r\x1b[K");
    }
    let ev = ev?;
    warn_missing(&ev);
    warn_meta(&ev);
    if let Some(path) = &args.per_doc {
        write_per_doc(path, &gold, &ev)?;
    }
    if let Some(path) = &args.html {
        super::write_atomically(
            path,
            rinse::report::eval_html::render(&ev, &gold).as_bytes(),
        )?;
    }
    let text = if args.json {
        let mut v = serde_json::to_value(&ev)?;
        if let Some(id) = &args.rule {
            v["bad_removals"] = json!(ev
                .configs
                .iter()
                .map(|c| json!({"config": c.name, "removals": bad_removals(&gold, c, id, args.context)}))
                .collect::<Vec<_>>());
        }
        format!("{}\n", serde_json::to_string_pretty(&v)?)
    } else {
        render(&ev, &gold, &args)
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .context("cannot write to stdout")?;
    Ok(())
}

fn load_configs(paths: &[PathBuf]) -> anyhow::Result<Vec<NamedConfig>> {
    if paths.is_empty() {
        return Ok(vec![NamedConfig {
            name: "default".into(),
            config: rinse::Config::embedded()?,
        }]);
    }
    paths
        .iter()
        .map(|p| {
            Ok(NamedConfig {
                name: p.display().to_string(),
                config: super::load_config(Some(p))?,
            })
        })
        .collect()
}

fn warn_missing(ev: &Evaluation) {
    let missing = &ev.gold.missing_from_docs;
    if missing.is_empty() {
        return;
    }
    let mut shown: Vec<&str> = missing.iter().take(3).map(String::as_str).collect();
    if missing.len() > 3 {
        shown.push("…");
    }
    eprintln!(
        "rinse: warning: {} of {} gold ids have no document in DOCS; scored as missing \
         (their `with` snippets count as fn, `without` as tn): {}",
        missing.len(),
        ev.gold.docs,
        shown.join(", ")
    );
    let docs = ev.configs.first().map(|c| &c.docs);
    if let Some(example) = docs.and_then(|d| d.extra_example.as_deref()) {
        if missing.len() == ev.gold.docs {
            eprintln!(
                "rinse: warning: no gold id matches a document; DOCS ids look like {example:?} \
                 (see --id-field)"
            );
        }
    }
}

fn warn_meta(ev: &Evaluation) {
    let Some(m) = &ev.meta else { return };
    if m.not_in_docs == 0 {
        return;
    }
    let mut shown: Vec<&str> = m.not_in_docs_examples.iter().map(String::as_str).collect();
    if m.not_in_docs > shown.len() {
        shown.push("…");
    }
    eprintln!(
        "rinse: warning: {} of {} ids in {} have no document in DOCS; ignored: {}",
        m.not_in_docs,
        m.records,
        m.path,
        shown.join(", ")
    );
}

fn bad_removals(gold: &Gold, c: &ConfigEval, rule: &str, around: usize) -> Vec<eval::BadRemoval> {
    gold.docs
        .iter()
        .zip(c.runs.iter().zip(&c.per_doc))
        .filter_map(|(g, (run, e))| {
            run.as_ref()
                .map(|r| eval::bad_removals(g, r, e, rule, around))
        })
        .flatten()
        .collect()
}

/// Width of a table column: its widest cell or header, in characters.
fn width<'a>(cells: impl Iterator<Item = &'a str>, header: &'a str) -> usize {
    cells
        .chain([header])
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0)
}

fn ratio(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |v| format!("{v:.3}"))
}

/// The human-readable report: the score table, then per config its rules, then the
/// ablation and the bad removals of `--rule` when asked for.
fn render(ev: &Evaluation, gold: &Gold, args: &Args) -> String {
    let mut s = String::new();
    let w = width(ev.configs.iter().map(|c| c.name.as_str()), "config");
    let _ = writeln!(
        s,
        "gold: {} docs, {} with, {} without ({})\n",
        ev.gold.docs, ev.gold.with, ev.gold.without, ev.gold.path
    );
    let _ = writeln!(
        s,
        "{:<w$}  {:>6} {:>6} {:>6} {:>6} {:>7} {:>8}",
        "config", "P", "R", "Acc", "F1", "docs", "MB/s"
    );
    for c in &ev.configs {
        let sc = &c.scores;
        let _ = writeln!(
            s,
            "{:<w$}  {:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>7} {:>8.1}",
            c.name, sc.precision, sc.recall, sc.accuracy, sc.f1, c.docs.read, c.mb_per_second
        );
    }
    for c in &ev.configs {
        let k = &c.scores.counts;
        let _ = writeln!(
            s,
            "\n## {}: tp={} fp={} fn={} tn={}; kept {} of {} docs",
            c.name, k.tp, k.fp, k.fn_, k.tn, c.docs.kept, c.docs.read
        );
        if !c.docs.gold_rejected.is_empty() {
            let r: Vec<String> = c
                .docs
                .gold_rejected
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            let _ = writeln!(s, "gold docs not kept: {}", r.join(", "));
        }
        for t in &c.groups {
            render_groups(&mut s, t);
        }
        render_rules(&mut s, c);
        if !c.ablation.is_empty() {
            let rw = width(c.ablation.iter().map(|r| r.rule.as_str()), "rule");
            let _ = writeln!(
                s,
                "\nablation (F1 with all rules {:.3}; lowest gain first):",
                c.scores.f1
            );
            // Four decimals: one snippet moves F1 by about 1/(2 tp + fp + fn).
            let _ = writeln!(s, "{:<rw$}  {:>10} {:>8}", "rule", "F1 without", "gain");
            for r in &c.ablation {
                let _ = writeln!(
                    s,
                    "{:<rw$}  {:>10.4} {:>+8.4}",
                    r.rule, r.f1_without, r.gain
                );
            }
        }
        if let Some(id) = &args.rule {
            let bad = bad_removals(gold, c, id, args.context);
            let _ = writeln!(s, "\nrule {id} damaged {} `with` snippets:", bad.len());
            for b in bad {
                let _ = writeln!(s, "\n{}\n  with: {:?}", b.doc, b.snippet);
                for (n, lines) in b.contexts.iter().enumerate() {
                    if n > 0 {
                        let _ = writeln!(s, "  ...");
                    }
                    for line in lines {
                        let _ = writeln!(s, "  {line}");
                    }
                }
            }
        }
    }
    s
}

/// One `--group-by` table: per value, documents, counts and P/R/F1.
fn render_groups(s: &mut String, t: &GroupTable) {
    let label = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
    let labels: Vec<String> = t.groups.iter().map(|g| label(&g.value)).collect();
    let w = width(labels.iter().map(String::as_str), &t.field);
    let _ = writeln!(s, "\nby {}:", t.field);
    let _ = writeln!(
        s,
        "{:<w$}  {:>5} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6}",
        t.field, "docs", "tp", "fp", "fn", "tn", "P", "R", "F1"
    );
    for (g, l) in t.groups.iter().zip(&labels) {
        let _ = writeln!(
            s,
            "{:<w$}  {:>5} {:>6} {:>6} {:>6} {:>6} {:>6.3} {:>6.3} {:>6.3}",
            l,
            g.docs,
            g.scores.counts.tp,
            g.scores.counts.fp,
            g.scores.counts.fn_,
            g.scores.counts.tn,
            g.scores.precision,
            g.scores.recall,
            g.scores.f1
        );
    }
}

fn render_rules(s: &mut String, c: &ConfigEval) {
    if c.rules.is_empty() {
        let _ = writeln!(s, "no cleaning rules");
    } else {
        let rw = width(c.rules.iter().map(|r| r.id.as_str()), "rule");
        let cw = width(c.rules.iter().map(|r| r.category.as_str()), "category");
        let _ = writeln!(
            s,
            "\nrules, most harmful first (good = `without` removed, bad = `with` damaged):"
        );
        let _ = writeln!(
            s,
            "{:<rw$}  {:<cw$}  {:>5} {:>5} {:>6} {:>9} {:>6}",
            "rule", "category", "good", "bad", "prec", "time ms", "time%"
        );
        for r in &c.rules {
            let _ = writeln!(
                s,
                "{:<rw$}  {:<cw$}  {:>5} {:>5} {:>6} {:>9.1} {:>5.1}%",
                r.id,
                r.category,
                r.good,
                r.bad,
                ratio(r.precision),
                r.seconds * 1e3,
                r.time_share * 100.0
            );
        }
    }
    if !c.other_causes.is_empty() {
        let parts: Vec<String> = c
            .other_causes
            .iter()
            .map(|(k, v)| format!("{k} (with {}, without {})", v.with, v.without))
            .collect();
        let _ = writeln!(s, "snippets absent for other causes: {}", parts.join(", "));
    }
}

/// Per document and config: counts, missed `with` (with their cause) and leaked
/// `without`, worst (most fn + fp) first.
fn write_per_doc(path: &PathBuf, gold: &Gold, ev: &Evaluation) -> anyhow::Result<()> {
    let mut text = String::new();
    for c in &ev.configs {
        let mut order: Vec<usize> = (0..gold.docs.len()).collect();
        order.sort_by_key(|&i| {
            let k = &c.per_doc[i].score.counts;
            std::cmp::Reverse(k.fn_ + k.fp)
        });
        for i in order {
            let (g, e, run) = (&gold.docs[i], &c.per_doc[i], &c.runs[i]);
            let status = match run {
                None => "missing".to_string(),
                Some(r) => r
                    .rejected
                    .as_ref()
                    .map_or("kept".into(), |x| format!("rejected:{x}")),
            };
            let missed: Vec<_> = e
                .score
                .missed_with
                .iter()
                .zip(&e.missed_causes)
                .map(|(&j, cause)| json!({"snippet": g.with[j], "cause": cause.label()}))
                .collect();
            let leaked: Vec<_> = e
                .score
                .leaked_without
                .iter()
                .map(|&j| &g.without[j])
                .collect();
            let k = &e.score.counts;
            let row = json!({
                "config": c.name, "id": g.id, "status": status,
                "tp": k.tp, "fp": k.fp, "fn": k.fn_, "tn": k.tn,
                "missed_with": missed, "leaked_without": leaked,
            });
            let _ = writeln!(text, "{row}");
        }
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}
