//! `rinse train`: fit the line model to gold annotations and write it as a model file a
//! config can load (`[clean.heuristic] model = "FILE"`).
use anyhow::Context;
use rinse::eval::train::{self, TrainOptions};
use rinse::eval::Gold;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Fit the line model (what decides the lines no rule removed) to your own gold
/// annotations, cross-validated by document, and write it as a model file.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Documents (files or directories, as for `rinse run`).
    #[arg(required = true, value_name = "DOCS")]
    inputs: Vec<PathBuf>,
    /// Gold annotations, JSONL: {"id", "with": [...], "without": [...]}, as for `rinse
    /// eval`; repeat for several sets (ids must not repeat across them).
    #[arg(long, required = true, value_name = "GOLD.jsonl")]
    gold: Vec<PathBuf>,
    /// Where to write the model (TOML).
    #[arg(long, value_name = "MODEL.toml")]
    out: PathBuf,
    /// Config whose rules run before the model (default: the embedded one).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Cross-validation folds, by document.
    #[arg(long, default_value_t = 5, value_name = "K")]
    folds: usize,
    /// L2 penalty on the weights (larger: smaller weights, a smoother model).
    #[arg(long, default_value_t = 1.0, value_name = "LAMBDA")]
    l2: f64,
    #[command(flatten)]
    input: super::InputArgs,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let config = super::load_config(args.config.as_deref())?;
    let opts = TrainOptions {
        inputs: args.inputs.clone(),
        fields: args.input.fields(),
        threads: args.input.threads(),
        folds: args.folds,
        l2: args.l2,
    };
    if !(args.l2.is_finite() && args.l2 >= 0.0) {
        anyhow::bail!("--l2 must be a number ≥ 0, not {}", args.l2);
    }
    let golds = args
        .gold
        .iter()
        .map(|path| {
            Gold::load(path).with_context(|| format!("cannot read gold file {}", path.display()))
        })
        .collect::<anyhow::Result<Vec<Gold>>>()?;
    let docs = train::collect(&config, &golds, &opts)?;
    for (set, path) in args.gold.iter().enumerate() {
        if !docs.iter().any(|d| d.set == set) {
            eprintln!(
                "rinse: warning: no document of {} is in DOCS (see --id-field)",
                path.display()
            );
        }
    }
    let t = train::train(docs, args.folds, args.l2)?;
    let golds: Vec<String> = args.gold.iter().map(|p| p.display().to_string()).collect();
    let h = t.held_out;
    let header = format!(
        "rinse line model, written by `rinse train`.\n\
         Fitted on {} labelled lines of {} documents (gold: {}), L2 {}.\n\
         Held out by document in {} folds: line precision {:.3}, recall {:.3}, F1 {:.3}.\n\
         Load it with [clean.heuristic] model = \"PATH\"; docs/reference.md lists the features.",
        t.lines,
        t.docs,
        golds.join(", "),
        args.l2,
        args.folds,
        h.precision(),
        h.recall(),
        h.f1()
    );
    super::write_atomically(&args.out, t.model.to_toml(&header).as_bytes())?;
    let mut s = String::new();
    let _ = writeln!(s, "fold   docs  lines      P      R     F1");
    for (k, (d, c)) in t.folds.iter().enumerate() {
        let _ = writeln!(
            s,
            "{:>4} {:>6} {:>6}  {:.3}  {:.3}  {:.3}",
            k + 1,
            d,
            c.tp + c.fp + c.fn_ + c.tn,
            c.precision(),
            c.recall(),
            c.f1()
        );
    }
    let _ = writeln!(
        s,
        " all {:>6} {:>6}  {:.3}  {:.3}  {:.3}   (held out; threshold {:.4})",
        t.docs,
        t.lines,
        h.precision(),
        h.recall(),
        h.f1(),
        t.model.threshold
    );
    let _ = writeln!(s, "wrote {}", args.out.display());
    print!("{s}");
    Ok(())
}
