//! `rinse train`: fit the line model to gold annotations.
//!
//! Every line the model would decide (no rule removed it) and that holds a gold snippet
//! becomes a labelled example: `with` → text, `without` → debris (a line holding both is
//! left out). The model is fitted in folds by document — a document's lines are scored
//! only by a model that never saw them — to choose the threshold and report how well it
//! carries over to unseen pages, then once more on all documents.
use super::gold::Gold;
use super::pass::{run_stages, Source};
use super::score::{norm_ws, Counts, NormText};
use crate::clean::line_model::{self, LineModel, Sample};
use crate::clean::Cleaner;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::read::{self, Fields};
use serde::Serialize;
use std::path::PathBuf;

/// What to train on and how.
#[derive(Clone, Debug)]
pub struct TrainOptions {
    /// The documents (files or directories, as for `rinse run`).
    pub inputs: Vec<PathBuf>,
    pub fields: Fields,
    /// Worker threads; 0 means all cores.
    pub threads: usize,
    /// Cross-validation folds (by document).
    pub folds: usize,
    /// L2 penalty on the weights.
    pub l2: f64,
}

/// The labelled lines of one document.
#[derive(Clone, Debug)]
pub struct DocSamples {
    pub id: String,
    /// Which training set (gold file) it comes from: each set weighs the same in the fit.
    pub set: usize,
    pub samples: Vec<Sample>,
}

/// Collect the labelled lines of the documents of the gold files `golds` found in the
/// inputs (read once for all of them), cleaned by `config` up to the line model; each
/// document's `set` is the index of its gold file. An id in two gold files is an error.
pub fn collect(config: &Config, golds: &[Gold], opts: &TrainOptions) -> Result<Vec<DocSamples>> {
    let gold = Gold::merge(golds)?;
    let set_of: Vec<usize> = golds
        .iter()
        .enumerate()
        .flat_map(|(i, g)| std::iter::repeat_n(i, g.docs.len()))
        .collect();
    let sources = read::expand_inputs(&opts.inputs, &read::Exclude::default())?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start threads: {e}")))?;
    let pass = run_stages(
        config,
        Source::Files(&sources),
        &gold,
        &opts.fields,
        &pool,
        false,
    )?;
    let cleaner = Cleaner::new(&config.clean)?;
    let mut out = Vec::new();
    for ((g, run), &set) in gold.docs.iter().zip(&pass.runs).zip(&set_of) {
        let Some(text) = run.as_ref().and_then(|r| r.normalized.as_deref()) else {
            continue;
        };
        let rows = cleaner.model_rows(text);
        let norm = NormText::new(text);
        // Per row: 1 = with, 2 = without, 3 = both.
        let mut marks = vec![0u8; rows.len()];
        for (snippets, bit) in [(&g.with, 1u8), (&g.without, 2u8)] {
            for s in snippets {
                for (a, b) in norm.find_all(&norm_ws(s)) {
                    for (m, r) in marks.iter_mut().zip(&rows) {
                        if r.start < b && a < r.end {
                            *m |= bit;
                        }
                    }
                }
            }
        }
        let samples: Vec<Sample> = rows
            .into_iter()
            .zip(marks)
            .filter(|(_, m)| *m == 1 || *m == 2)
            .map(|(r, m)| Sample {
                x: r.x,
                keep: m == 1,
                weight: 1.0,
                fixed: r.fixed,
            })
            .collect();
        out.push(DocSamples {
            id: g.id.clone(),
            set,
            samples,
        });
    }
    Ok(out)
}

/// Count one held-out line into `c` (text, kept, being the positive class).
fn count(c: &mut Counts, keep: bool, kept: bool) {
    match (keep, kept) {
        (true, true) => c.tp += 1,
        (false, true) => c.fp += 1,
        (true, false) => c.fn_ += 1,
        (false, false) => c.tn += 1,
    }
}

/// The result of [`train`].
#[derive(Clone, Debug, Serialize)]
pub struct Trained {
    /// Documents and labelled lines trained on.
    pub docs: usize,
    pub lines: usize,
    /// Per fold: documents held out and the held-out line counts.
    pub folds: Vec<(usize, Counts)>,
    /// All held-out lines together (each scored by the model of its fold).
    pub held_out: Counts,
    #[serde(skip)]
    pub model: LineModel,
}

/// The fold of a document: a hash of its id, so a document's fold does not depend on
/// the order or the other documents of the input.
fn fold_of(id: &str, folds: usize) -> usize {
    (xxhash_rust::xxh3::xxh3_64(id.as_bytes()) % folds as u64) as usize
}

/// Fit the line model: `folds`-fold cross-validation by document chooses the threshold
/// (best held-out F1) and measures it; then one fit on all documents.
pub fn train(mut docs: Vec<DocSamples>, folds: usize, l2: f64) -> Result<Trained> {
    let lines: usize = docs.iter().map(|d| d.samples.len()).sum();
    // Each set weighs the same: a sample's weight is inversely its set's size.
    let sets = docs.iter().map(|d| d.set + 1).max().unwrap_or(0);
    let mut per_set = vec![0usize; sets];
    for d in &docs {
        per_set[d.set] += d.samples.len();
    }
    let used = per_set.iter().filter(|n| **n > 0).count().max(1);
    for d in &mut docs {
        let w = lines as f32 / (used * per_set[d.set]) as f32;
        for s in &mut d.samples {
            s.weight = w;
        }
    }
    let docs = &docs[..];
    let (pos, neg) = docs
        .iter()
        .flat_map(|d| &d.samples)
        .fold(
            (0, 0),
            |(p, n), s| if s.keep { (p + 1, n) } else { (p, n + 1) },
        );
    if pos == 0 || neg == 0 {
        return Err(Error::Usage(format!(
            "training needs lines of text and lines of debris the model decides; found {pos} and {neg} \
             (do the gold ids match the documents? see --id-field)"
        )));
    }
    if folds < 2 {
        return Err(Error::Usage("--folds must be at least 2".into()));
    }
    let fold: Vec<usize> = docs.iter().map(|d| fold_of(&d.id, folds)).collect();
    // Held-out scores: (fold, score, keep, weight).
    let mut held: Vec<(usize, f32, bool, f32)> = Vec::with_capacity(lines);
    for k in 0..folds {
        let train: Vec<&Sample> = docs
            .iter()
            .zip(&fold)
            .filter(|(_, f)| **f != k)
            .flat_map(|(d, _)| &d.samples)
            .filter(|s| !s.fixed)
            .collect();
        let weights = line_model::fit(&train, l2);
        let m = LineModel {
            weights,
            threshold: 0.0,
        };
        for (d, _) in docs.iter().zip(&fold).filter(|(_, f)| **f == k) {
            held.extend(d.samples.iter().map(|s| {
                let score = if s.fixed {
                    f32::INFINITY
                } else {
                    m.score(&s.x)
                };
                (k, score, s.keep, s.weight)
            }));
        }
    }
    let threshold = best_threshold(&held);
    let mut per_fold = vec![(0usize, Counts::default()); folds];
    for &f in &fold {
        per_fold[f].0 += 1;
    }
    let mut held_out = Counts::default();
    for &(k, s, keep, _) in &held {
        count(&mut per_fold[k].1, keep, s >= threshold);
        count(&mut held_out, keep, s >= threshold);
    }
    let all: Vec<&Sample> = docs
        .iter()
        .flat_map(|d| &d.samples)
        .filter(|s| !s.fixed)
        .collect();
    let model = LineModel {
        weights: line_model::fit(&all, l2),
        threshold,
    };
    Ok(Trained {
        docs: docs.len(),
        lines,
        folds: per_fold,
        held_out,
        model,
    })
}

/// The threshold (a midpoint between two held-out scores) with the best weighted F1 of
/// keeping the lines scored at or above it; ties go to the lower one.
fn best_threshold(held: &[(usize, f32, bool, f32)]) -> f32 {
    let mut s: Vec<(f32, bool, f64)> = held
        .iter()
        .map(|&(_, x, k, w)| (x, k, f64::from(w)))
        .collect();
    s.sort_by(|a, b| a.0.total_cmp(&b.0));
    let pos_total: f64 = s.iter().filter(|x| x.1).map(|x| x.2).sum();
    let all: f64 = s.iter().map(|x| x.2).sum();
    // Keeping everything from index i on: tp = positives in s[i..], kept = the rest.
    let mut best = (f64::MIN, 0.0f32);
    let mut pos_below = 0f64;
    let mut below = 0f64;
    for i in 0..=s.len() {
        if i == 0 || i == s.len() || s[i].0 > s[i - 1].0 {
            let tp = pos_total - pos_below;
            let kept = all - below;
            let f1 = if kept + pos_total == 0.0 {
                0.0
            } else {
                2.0 * tp / (kept + pos_total)
            };
            // Fixed lines score +∞: a threshold above every finite score keeps only them.
            let top = s
                .iter()
                .rev()
                .find(|x| x.0.is_finite())
                .map_or(0.0, |x| x.0);
            let t = match i {
                0 => s.first().map_or(0.0, |x| x.0 - 1.0),
                _ if i == s.len() || !s[i].0.is_finite() => top + 1.0,
                _ => (s[i - 1].0 + s[i].0) / 2.0,
            };
            if f1 > best.0 {
                best = (f1, t);
            }
        }
        if let Some(x) = s.get(i) {
            below += x.2;
            if x.1 {
                pos_below += x.2;
            }
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(x0: f32, keep: bool) -> Sample {
        Sample::one_feature(x0, keep)
    }

    #[test]
    fn threshold_separates_when_it_can() {
        let held = [
            (0, -2.0, false, 1.0),
            (0, -1.0, false, 1.0),
            (0, 1.0, true, 1.0),
            (0, 3.0, true, 1.0),
        ];
        let t = best_threshold(&held);
        assert!(t > -1.0 && t < 1.0, "{t}");
    }

    #[test]
    fn fit_learns_a_separable_feature_and_cross_validates() {
        let docs: Vec<DocSamples> = (0..40)
            .map(|i| DocSamples {
                id: format!("doc{i}"),
                set: i % 2,
                samples: (0..10)
                    .map(|j| sample(if j % 2 == 0 { 1.0 } else { -1.0 }, j % 2 == 0))
                    .collect(),
            })
            .collect();
        let t = train(docs.clone(), 5, 1.0).unwrap();
        assert_eq!(t.held_out.fp + t.held_out.fn_, 0, "{:?}", t.held_out);
        assert!(t.model.weights[1] > 1.0, "{:?}", &t.model.weights[..3]);
        assert_eq!(t.folds.iter().map(|f| f.0).sum::<usize>(), 40);
        // Deterministic: the same fit twice.
        assert_eq!(train(docs, 5, 1.0).unwrap().model, t.model);
    }

    #[test]
    fn one_class_only_is_an_error() {
        let docs = vec![DocSamples {
            id: "a".into(),
            set: 0,
            samples: vec![sample(1.0, true)],
        }];
        assert!(train(docs, 5, 1.0).is_err());
    }
}
