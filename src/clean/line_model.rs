//! The line model: a logistic regression that decides, for every line that is neither
//! removed by a rule nor good text on its own (long, with stop words), whether it is text
//! or debris, from the line's own features and its context.
//!
//! Each weight is named after its feature ([`feature_names`]), so a model is a short
//! TOML table a reviewer can read: `own.*` are the line's own measures and heuristic
//! class, `prev1.*`/`next1.*`/`prev2.*`/`next2.*` the classes of its neighbours,
//! `before.*`/`after.*` the shares of classes in the [`WINDOW`] lines on either side,
//! `doc.*` where the line sits in the document, `x.*` products of two of these. A line
//! stays when `w · x ≥ threshold`.
//!
//! The default model is embedded (`configs/line-model.toml`); `rinse train` fits one
//! from gold annotations ([`fit`]) and writes it in the same format.
use super::heuristic::{Class, Features, Why};
use crate::error::{Error, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Version of the model file format.
pub const FORMAT: u32 = 1;

/// Lines on either side whose classes the `before.*`/`after.*` shares count.
pub const WINDOW: usize = 6;

/// The heuristic classes as features, in a fixed order.
const CLASSES: [&str; 10] = [
    "good",
    "near",
    "near_sentence",
    "short",
    "short_sentence",
    "aside",
    "rule",
    "low_stopwords",
    "title_case",
    "other_bad",
];

fn class_index(c: Class) -> usize {
    match c {
        Class::Good => 0,
        Class::NearGood => 1,
        Class::NearSentence => 2,
        Class::Short => 3,
        Class::ShortSentence => 4,
        Class::Aside => 5,
        Class::Bad(Why::Rule) => 6,
        Class::Bad(Why::LowStopwords) => 7,
        Class::Bad(Why::TitleCase) => 8,
        Class::Bad(_) => 9,
    }
}

/// The line's own measures (besides its class).
const OWN: [&str; 19] = [
    "chars",
    "words",
    "stop",
    "doc_stop",
    "sentence",
    "caps",
    "symbols",
    "link",
    "copyright",
    "lang_unknown",
    "few_words",
    "blank_before",
    "blank_after",
    "colon_end",
    "question_end",
    "lower_start",
    "digit_start",
    "bullet",
    "like_neighbour",
];

const NEIGHBOURS: [&str; 4] = ["prev1", "next1", "prev2", "next2"];
/// Shares counted in each window side.
const SHARES: [&str; 6] = ["good", "near", "short", "rule", "bad", "edge"];
const DOC: [&str; 8] = [
    "in_span",
    "before_span",
    "after_span",
    "no_good",
    "good_share",
    "lines",
    "pos",
    "dist_good",
];
/// The nearest decided line (good, or debris by a rule or the heuristic) on each side.
const NEAREST: [&str; 4] = ["before_good", "before_bad", "after_good", "after_bad"];
const CROSS: [&str; 3] = ["short_x_good", "near_x_good", "short_x_rule"];

// Offsets of each group in the feature vector.
const O_OWN: usize = 1;
const O_CLASS: usize = O_OWN + OWN.len();
const O_NEIGH: usize = O_CLASS + CLASSES.len();
const NEIGH_WIDTH: usize = CLASSES.len() + 1;
const O_WIN: usize = O_NEIGH + NEIGHBOURS.len() * NEIGH_WIDTH;
const O_DOC: usize = O_WIN + 2 * SHARES.len();
const O_NEAREST: usize = O_DOC + DOC.len();
const O_CROSS: usize = O_NEAREST + NEAREST.len();
/// Length of the feature vector.
pub const N_FEATURES: usize = O_CROSS + CROSS.len();

/// The feature names, in vector order.
pub fn feature_names() -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut v = vec!["bias".to_string()];
        v.extend(OWN.iter().map(|n| format!("own.{n}")));
        v.extend(CLASSES.iter().map(|n| format!("own.class.{n}")));
        for p in NEIGHBOURS {
            v.extend(CLASSES.iter().map(|n| format!("{p}.{n}")));
            v.push(format!("{p}.edge"));
        }
        for side in ["before", "after"] {
            v.extend(SHARES.iter().map(|n| format!("{side}.{n}")));
        }
        v.extend(DOC.iter().map(|n| format!("doc.{n}")));
        v.extend(NEAREST.iter().map(|n| format!("nearest.{n}")));
        v.extend(CROSS.iter().map(|n| format!("x.{n}")));
        debug_assert_eq!(v.len(), N_FEATURES);
        v
    })
}

/// One document as the model sees it: the heuristic class and features of each
/// non-blank line, in order, and the index of that line among all lines (a gap between
/// two indices is a blank line).
pub struct DocView<'a> {
    pub classes: &'a [Class],
    pub measured: &'a [(usize, Features)],
    /// The [`Shape`] of each line.
    pub shapes: &'a [Shape],

    pub known_lang: bool,
}

/// How a line starts and ends ([`Shape::of`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shape {
    pub colon_end: bool,
    pub question_end: bool,
    pub lower_start: bool,
    pub digit_start: bool,
    /// The line had a list bullet (stripped from its content).
    pub bullet: bool,
}

impl Shape {
    /// The shape of a line's `content` (trimmed, bullet stripped); `bullet` if the line
    /// had one.
    pub fn of(content: &str, bullet: bool) -> Shape {
        let first = content.chars().next();
        let last = content.chars().next_back();
        Shape {
            colon_end: last == Some(':'),
            question_end: last == Some('?'),
            lower_start: first.is_some_and(char::is_lowercase),
            digit_start: first.is_some_and(|c| c.is_ascii_digit()),
            bullet,
        }
    }
}

/// Per-document values the features of every line share, computed once.
#[derive(Default)]
pub struct Prepared {
    first_good: Option<usize>,
    last_good: Option<usize>,
    good_share: f32,
    /// Distance to the nearest good line, per line (`usize::MAX` without one).
    dist_good: Vec<usize>,
    /// Per line: the nearest decided line before and after it (1 good, -1 debris, 0
    /// none).
    nearest: Vec<[i8; 2]>,
    /// Lines of each window category ([`share_index`]) before each line (one more entry
    /// than lines).
    prefix: Vec<[u16; 5]>,
    /// ln(1 + lines) / 5.
    lines_ln: f32,
    /// The table of [`Prepared::ln1p`], looked up once per document instead of once per feature.
    ln_table: &'static [f32],
    /// [`class_index`] of each line.
    class_ix: Vec<u8>,
}

/// A line's value as a decided neighbour: good, debris, or undecided (`None`).
fn decided(c: Class) -> Option<i8> {
    match c {
        Class::Good => Some(1),
        Class::Bad(_) => Some(-1),
        _ => None,
    }
}

impl Prepared {
    #[cfg(test)]
    pub fn new(doc: &DocView) -> Prepared {
        let mut p = Prepared::default();
        p.prepare(doc);
        p
    }

    /// Recompute for `doc`, reusing the buffer.
    pub fn prepare(&mut self, doc: &DocView) {
        let cl = doc.classes;
        self.first_good = cl.iter().position(|c| *c == Class::Good);
        self.last_good = cl.iter().rposition(|c| *c == Class::Good);
        let goods = cl.iter().filter(|c| **c == Class::Good).count();
        self.good_share = if cl.is_empty() {
            0.0
        } else {
            goods as f32 / cl.len() as f32
        };
        let d = &mut self.dist_good;
        d.clear();
        d.resize(cl.len(), usize::MAX);
        let mut last = None;
        for (i, c) in cl.iter().enumerate() {
            if *c == Class::Good {
                last = Some(i);
            }
            if let Some(g) = last {
                d[i] = i - g;
            }
        }
        let mut next = None;
        for (i, c) in cl.iter().enumerate().rev() {
            if *c == Class::Good {
                next = Some(i);
            }
            if let Some(g) = next {
                d[i] = d[i].min(g - i);
            }
        }
        let near = &mut self.nearest;
        near.clear();
        near.resize(cl.len(), [0, 0]);
        let mut last = 0;
        for (i, c) in cl.iter().enumerate() {
            near[i][0] = last;
            last = decided(*c).unwrap_or(last);
        }
        let mut last = 0;
        for (i, c) in cl.iter().enumerate().rev() {
            near[i][1] = last;
            last = decided(*c).unwrap_or(last);
        }
        self.prefix.clear();
        let mut acc = [0u16; 5];
        self.prefix.push(acc);
        for c in cl {
            let k = share_index(*c);
            acc[k] = acc[k].saturating_add(1);
            self.prefix.push(acc);
        }
        self.ln_table = ln_table();
        self.class_ix.clear();
        self.class_ix
            .extend(cl.iter().map(|c| class_index(*c) as u8));
        self.lines_ln = self.ln1p(cl.len()) / 5.0;
    }
}

/// ln(1 + k) for the small counts lines have, k < 1024.
fn ln_table() -> &'static [f32] {
    static TABLE: OnceLock<Vec<f32>> = OnceLock::new();
    TABLE.get_or_init(|| (0..1024).map(|k| (k as f32).ln_1p()).collect())
}

impl Prepared {
    /// ln(1 + k), from the table for small `k`.
    #[inline]
    fn ln1p(&self, k: usize) -> f32 {
        match self.ln_table.get(k) {
            Some(v) => *v,
            None => (k as f32).ln_1p(),
        }
    }
}

fn ratio(a: usize, b: usize) -> f32 {
    if b == 0 {
        0.0
    } else {
        a as f32 / b as f32
    }
}

fn flag(b: bool) -> f32 {
    f32::from(u8::from(b))
}

/// Receives the non-zero features of a line ([`features_into`]).
pub trait Sink {
    fn add(&mut self, feature: usize, value: f32);
}

/// Writes features into a dense vector (zeroed first by [`featurize`]).
struct Dense<'a>(&'a mut [f32]);

impl Sink for Dense<'_> {
    #[inline]
    fn add(&mut self, feature: usize, value: f32) {
        self.0[feature] = value;
    }
}

/// Sums features times their weights: a line's score without building its vector.
/// Four partial sums by feature index, so that the additions do not wait on each other
/// (one running sum made the score a chain of dependent adds); the order of the
/// additions is fixed, so the score is the same on every run.
struct Dot<'a> {
    weights: &'a [f32; N_FEATURES],
    sums: [f32; 4],
}

impl Dot<'_> {
    fn total(&self) -> f32 {
        let [a, b, c, d] = self.sums;
        (a + b) + (c + d)
    }
}

impl Sink for Dot<'_> {
    #[inline(always)]
    fn add(&mut self, feature: usize, value: f32) {
        self.sums[feature % 4] += self.weights[feature] * value;
    }
}

/// Write the features of line `i` of `doc` into `x` (length [`N_FEATURES`]).
pub fn featurize(doc: &DocView, prep: &Prepared, i: usize, x: &mut [f32]) {
    x.fill(0.0);
    features_into(doc, prep, i, &mut Dense(x));
}

/// The window category of a class: good, near-good, short, rule, other debris.
fn share_index(c: Class) -> usize {
    match c {
        Class::Good => 0,
        Class::NearGood | Class::NearSentence => 1,
        Class::Short | Class::ShortSentence => 2,
        Class::Bad(Why::Rule) | Class::Aside => 3,
        Class::Bad(_) => 4,
    }
}

/// Hand the features of line `i` of `doc` to `sink` (zeros may be left out).
pub fn features_into(doc: &DocView, prep: &Prepared, i: usize, sink: &mut impl Sink) {
    let cl = doc.classes;
    let n = cl.len();
    let (li, f) = &doc.measured[i];
    let li = *li;
    sink.add(0, 1.0);
    let chars = if f.cjk { f.chars * 3 } else { f.chars };
    let sh = doc.shapes[i];
    // The line's own measures (flags only when set).
    sink.add(O_OWN, prep.ln1p(chars) / 5.0);
    sink.add(O_OWN + 1, prep.ln1p(f.words) / 4.0);
    sink.add(O_OWN + 2, ratio(f.stopwords, f.words));
    sink.add(O_OWN + 3, ratio(f.doc_stopwords, f.words));
    sink.add(O_OWN + 5, ratio(f.capitalized, f.words));
    sink.add(O_OWN + 6, ratio(f.symbols, f.chars));
    let flags = [
        (4, f.sentence_end),
        (7, f.link),
        (8, f.copyright),
        (9, !doc.known_lang),
        (10, f.words <= 3),
        (11, i == 0 || doc.measured[i - 1].0 + 1 < li),
        (12, i + 1 == n || doc.measured[i + 1].0 > li + 1),
        (13, sh.colon_end),
        (14, sh.question_end),
        (15, sh.lower_start),
        (16, sh.digit_start),
        (17, sh.bullet),
    ];
    // Every feature is handed over, zeros too: a branch on the value would be a
    // mispredicted jump for every line, adding a zero costs one multiply-add.
    for (k, on) in flags {
        sink.add(O_OWN + k, flag(on));
    }
    sink.add(O_OWN + 18, like_neighbour(doc, i));
    let cx = &prep.class_ix;
    sink.add(O_CLASS + usize::from(cx[i]), 1.0);
    for (k, off) in [-1isize, 1, -2, 2].into_iter().enumerate() {
        let base = O_NEIGH + k * NEIGH_WIDTH;
        match i.checked_add_signed(off).filter(|&j| j < n) {
            Some(j) => sink.add(base + usize::from(cx[j]), 1.0),
            None => sink.add(base + CLASSES.len(), 1.0),
        }
    }
    // Shares of each category in the window before and after, from prefix counts.
    let per = 1.0 / WINDOW as f32;
    let (b0, a1) = (i.saturating_sub(WINDOW), (i + 1 + WINDOW).min(n));
    let mut sides = [[0f32; SHARES.len()]; 2];
    let [before, after] = &mut sides;
    let (p_b0, p_i, p_i1, p_a1) = (
        &prep.prefix[b0],
        &prep.prefix[i],
        &prep.prefix[i + 1],
        &prep.prefix[a1],
    );
    for k in 0..5 {
        before[k] = (f32::from(p_i[k]) - f32::from(p_b0[k])) * per;
        after[k] = (f32::from(p_a1[k]) - f32::from(p_i1[k])) * per;
    }
    sides[0][5] = (WINDOW - (i - b0)) as f32 * per;
    sides[1][5] = (WINDOW - (a1 - i - 1)) as f32 * per;
    for (s, side) in sides.iter().enumerate() {
        for (k, v) in side.iter().enumerate() {
            sink.add(O_WIN + s * SHARES.len() + k, *v);
        }
    }
    let in_span = prep.first_good.is_some_and(|a| a <= i) && prep.last_good.is_some_and(|b| i <= b);
    let dist = prep.dist_good[i].min(n);
    let doc_f = [
        flag(in_span),
        flag(prep.first_good.is_some_and(|a| i < a)),
        flag(prep.last_good.is_some_and(|b| i > b)),
        flag(prep.first_good.is_none()),
        prep.good_share,
        prep.lines_ln,
        ratio(i, n.max(1)),
        prep.ln1p(dist) / 3.0,
    ];
    for (k, v) in doc_f.into_iter().enumerate() {
        sink.add(O_DOC + k, v);
    }
    let [b, a] = prep.nearest[i];
    let nearest = [flag(b > 0), flag(b < 0), flag(a > 0), flag(a < 0)];
    for (k, v) in nearest.into_iter().enumerate() {
        sink.add(O_NEAREST + k, v);
    }
    let good_ctx = (sides[0][0] + sides[1][0]) / 2.0;
    let rule_ctx = (sides[0][3] + sides[1][3]) / 2.0;
    match cl[i] {
        Class::Short | Class::ShortSentence => {
            sink.add(O_CROSS, good_ctx);
            sink.add(O_CROSS + 2, rule_ctx);
        }
        Class::NearGood | Class::NearSentence => sink.add(O_CROSS + 1, good_ctx),
        _ => {}
    }
}

/// How alike line `i` is to its nearer neighbour in length and shape (1: the same
/// length and bullet; list items and table rows come in runs of alike lines):
/// exp(-|ln(1 + a) - ln(1 + b)|) for lengths a and b, which is (1 + shorter) / (1 + longer).
fn like_neighbour(doc: &DocView, i: usize) -> f32 {
    let here = doc.measured[i].1.chars as f32 + 1.0;
    let like = |j: usize| {
        if doc.shapes[j].bullet == doc.shapes[i].bullet {
            let there = doc.measured[j].1.chars as f32 + 1.0;
            here.min(there) / here.max(there)
        } else {
            0.0
        }
    };
    let prev = i.checked_sub(1).map_or(0.0, like);
    let next = if i + 1 < doc.measured.len() {
        like(i + 1)
    } else {
        0.0
    };
    prev.max(next)
}

/// The heuristic rule that names the removal of a line of class `c` the model judged
/// debris (good lines are never judged).
pub fn why_removed(c: Class) -> Why {
    match c {
        Class::Good | Class::NearGood | Class::NearSentence => Why::Uncertain,
        Class::Short | Class::ShortSentence | Class::Aside => Why::ShortLine,
        Class::Bad(w) => w,
    }
}

/// A fitted line model.
#[derive(Clone, Debug, PartialEq)]
pub struct LineModel {
    /// One weight per feature, in [`feature_names`] order.
    pub weights: Vec<f32>,
    /// A line stays when its score is at least this.
    pub threshold: f32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    format: u32,
    threshold: f32,
    weights: BTreeMap<String, f32>,
}

impl LineModel {
    /// The embedded default model.
    pub fn builtin() -> &'static LineModel {
        static M: OnceLock<LineModel> = OnceLock::new();
        M.get_or_init(|| {
            LineModel::parse(include_str!("../../configs/line-model.toml"), "built-in")
                .expect("the embedded line model is valid (tested)")
        })
    }

    /// Read a model file written by `rinse train`.
    pub fn load(path: &std::path::Path) -> Result<LineModel> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Config {
            origin: path.display().to_string(),
            message: format!("cannot read the line model: {e}"),
        })?;
        LineModel::parse(&text, &path.display().to_string())
    }

    /// Parse a model; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<LineModel> {
        let err = |message: String| Error::Config {
            origin: origin.to_string(),
            message,
        };
        let file: ModelFile =
            toml::from_str(text).map_err(|e| err(format!("not a line model: {e}")))?;
        if file.format != FORMAT {
            return Err(err(format!(
                "line model format {} (this rinse reads format {FORMAT}; fit it again with `rinse train`)",
                file.format
            )));
        }
        let names = feature_names();
        if let Some(unknown) = file.weights.keys().find(|k| !names.contains(k)) {
            return Err(err(format!(
                "line model has a weight for unknown feature {unknown:?}"
            )));
        }
        let mut weights = Vec::with_capacity(names.len());
        for n in names {
            match file.weights.get(n) {
                Some(w) if w.is_finite() => weights.push(*w),
                Some(w) => return Err(err(format!("line model weight {n:?} is {w}"))),
                None => return Err(err(format!("line model lacks the weight of feature {n:?}"))),
            }
        }
        if !file.threshold.is_finite() {
            return Err(err("line model threshold is not a number".into()));
        }
        Ok(LineModel {
            weights,
            threshold: file.threshold,
        })
    }

    /// The model as TOML, `header` (comment lines) first.
    pub fn to_toml(&self, header: &str) -> String {
        let mut s = String::new();
        for line in header.lines() {
            s.push_str("# ");
            s.push_str(line);
            s.push('\n');
        }
        s.push_str(&format!(
            "format = {FORMAT}\nthreshold = {}\n\n[weights]\n",
            round(self.threshold)
        ));
        for (n, w) in feature_names().iter().zip(&self.weights) {
            s.push_str(&format!("\"{n}\" = {}\n", round(*w)));
        }
        s
    }

    /// The score of line `i` of `doc` (`prep` prepared for it): the same as
    /// [`LineModel::score`] of its [`featurize`] vector, without building the vector.
    pub fn score_line(&self, doc: &DocView, prep: &Prepared, i: usize) -> f32 {
        let Ok(weights) = <&[f32; N_FEATURES]>::try_from(self.weights.as_slice()) else {
            return 0.0;
        };
        let mut dot = Dot {
            weights,
            sums: [0.0; 4],
        };
        features_into(doc, prep, i, &mut dot);
        dot.total()
    }

    /// The score of a feature vector.
    pub fn score(&self, x: &[f32]) -> f32 {
        self.weights.iter().zip(x).map(|(w, v)| w * v).sum()
    }

    /// For every line `i` of `doc` with `decide(i)` true, whether the model keeps it
    /// (`Some(true)`) or judges it debris (`Some(false)`); `None` for the others.
    /// `prep` is a working buffer.
    pub fn judge(
        &self,
        doc: &DocView,
        prep: &mut Prepared,
        decide: impl Fn(usize) -> bool,
        verdicts: &mut Vec<Option<bool>>,
    ) {
        prep.prepare(doc);
        verdicts.clear();
        for i in 0..doc.classes.len() {
            verdicts.push(decide(i).then(|| self.score_line(doc, prep, i) >= self.threshold));
        }
    }
}

/// Round a weight for the model file: four decimals read well and lose nothing that
/// matters to a decision.
fn round(w: f32) -> f32 {
    (w * 10_000.0).round() / 10_000.0
}

/// One labelled line for [`fit`].
#[derive(Clone, Debug)]
pub struct Sample {
    pub x: Vec<f32>,
    /// Text to keep (`true`) or debris.
    pub keep: bool,
    /// How much the sample counts in the fit.
    pub weight: f32,
    /// A line that stays whatever the model says (a good line): not fitted on, counted
    /// as kept when the threshold is chosen.
    pub fixed: bool,
}

#[cfg(test)]
impl Sample {
    /// A test sample: bias 1, the first feature `v`, all others 0.
    pub fn one_feature(v: f32, keep: bool) -> Sample {
        let mut x = vec![0.0; N_FEATURES];
        x[0] = 1.0;
        x[1] = v;
        Sample {
            x,
            keep,
            weight: 1.0,
            fixed: false,
        }
    }
}

/// Fit the weights of an L2-regularized logistic regression by Newton's method (the
/// bias is not regularized). Deterministic: sums run in sample order.
pub fn fit(samples: &[&Sample], l2: f64) -> Vec<f32> {
    let d = N_FEATURES;
    let mut w = vec![0f64; d];
    for _ in 0..50 {
        let mut g = vec![0f64; d];
        let mut h = vec![0f64; d * d];
        for s in samples {
            let z: f64 = s.x.iter().zip(&w).map(|(a, b)| f64::from(*a) * b).sum();
            let p = 1.0 / (1.0 + (-z).exp());
            let y = f64::from(u8::from(s.keep));
            let wt = f64::from(s.weight);
            let r = wt * (p - y);
            let q = wt * (p * (1.0 - p)).max(1e-9);
            for (a, xa) in s.x.iter().enumerate() {
                let xa = f64::from(*xa);
                if xa == 0.0 {
                    continue;
                }
                g[a] += r * xa;
                let row = &mut h[a * d..(a + 1) * d];
                for (hb, xb) in row.iter_mut().zip(&s.x) {
                    *hb += q * xa * f64::from(*xb);
                }
            }
        }
        for a in 1..d {
            g[a] += l2 * w[a];
            h[a * d + a] += l2;
        }
        // A tiny ridge on every weight, so the system is positive definite even for a
        // feature no sample has.
        for a in 0..d {
            h[a * d + a] += 1e-6;
        }
        let Some(step) = cholesky_solve(&h, &g, d) else {
            break;
        };
        let mut change = 0f64;
        for (wa, sa) in w.iter_mut().zip(&step) {
            *wa -= sa;
            change = change.max(sa.abs());
        }
        if change < 1e-7 {
            break;
        }
    }
    w.into_iter().map(|v| v as f32).collect()
}

/// Solve `a · x = b` for a symmetric positive definite `a` (`n × n`, row-major).
fn cholesky_solve(a: &[f64], b: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0f64; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if s <= 0.0 {
                    return None;
                }
                l[i * n + i] = s.sqrt();
            } else {
                l[i * n + j] = s / l[j * n + j];
            }
        }
    }
    let mut y = vec![0f64; n];
    for i in 0..n {
        let s: f64 = (0..i).map(|k| l[i * n + k] * y[k]).sum();
        y[i] = (b[i] - s) / l[i * n + i];
    }
    let mut x = vec![0f64; n];
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|k| l[k * n + i] * x[k]).sum();
        x[i] = (y[i] - s) / l[i * n + i];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_names_are_unique_and_match_the_vector() {
        let names = feature_names();
        assert_eq!(names.len(), N_FEATURES);
        let set: std::collections::BTreeSet<_> = names.iter().collect();
        assert_eq!(set.len(), names.len());
    }

    #[test]
    fn builtin_model_loads_and_round_trips() {
        let m = LineModel::builtin();
        assert_eq!(m.weights.len(), N_FEATURES);
        assert!(m.weights.iter().any(|w| *w != 0.0), "an unfitted model");
        let again = LineModel::parse(&m.to_toml("a header\nof two lines"), "test").unwrap();
        assert_eq!(&again, m);
    }

    #[test]
    fn bad_model_files_name_the_problem() {
        let good = LineModel::builtin().to_toml("");
        let cases = [
            (good.replace("format = 1", "format = 9"), "format 9"),
            (
                good.replace("\"bias\"", "\"biass\""),
                "unknown feature \"biass\"",
            ),
            (
                good.lines()
                    .filter(|l| !l.starts_with("\"own.caps\""))
                    .collect::<Vec<_>>()
                    .join("\n"),
                "lacks the weight of feature \"own.caps\"",
            ),
            ("threshold = 0\n".to_string(), "not a line model"),
        ];
        for (text, needle) in cases {
            let e = LineModel::parse(&text, "m.toml").unwrap_err().to_string();
            assert!(e.contains(needle) && e.contains("m.toml"), "{e}");
        }
    }

    /// Every document shape: the score summed feature by feature is the dot product of the
    /// dense vector `rinse train` fits on.
    #[test]
    fn score_line_is_the_dot_product_of_featurize() {
        let all = [
            Class::Good,
            Class::NearGood,
            Class::NearSentence,
            Class::Short,
            Class::ShortSentence,
            Class::Aside,
            Class::Bad(Why::Rule),
            Class::Bad(Why::LowStopwords),
            Class::Bad(Why::TitleCase),
            Class::Bad(Why::Symbols),
        ];
        let mut rng = crate::test_rng::XorShift::new(7);
        let m = LineModel::builtin();
        let mut x = vec![0.0; N_FEATURES];
        for n in 1..40 {
            let classes: Vec<Class> = (0..n).map(|_| all[rng.below(all.len())]).collect();
            let mut li = 0;
            let measured: Vec<(usize, Features)> = (0..n)
                .map(|_| {
                    li += 1 + rng.below(2);
                    let words = rng.below(30);
                    let f = Features {
                        chars: words * 6 + rng.below(5),
                        words,
                        stopwords: rng.below(words + 1),
                        doc_stopwords: rng.below(words + 1),
                        capitalized: rng.below(words + 1),
                        sentence_end: rng.below(2) == 1,
                        symbols: rng.below(4),
                        link: rng.below(9) == 0,
                        ..Features::default()
                    };
                    (li, f)
                })
                .collect();
            let shapes: Vec<Shape> = (0..n)
                .map(|_| Shape {
                    colon_end: rng.below(4) == 0,
                    bullet: rng.below(3) == 0,
                    lower_start: rng.below(3) == 0,
                    ..Shape::default()
                })
                .collect();
            let doc = DocView {
                classes: &classes,
                measured: &measured,
                shapes: &shapes,
                known_lang: rng.below(2) == 0,
            };
            let prep = Prepared::new(&doc);
            for i in 0..n {
                featurize(&doc, &prep, i, &mut x);
                let (a, b) = (m.score(&x), m.score_line(&doc, &prep, i));
                assert!((a - b).abs() < 1e-4, "n={n} i={i}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn newton_fit_matches_a_known_logistic_regression() {
        // One feature: x = +1 for 3 of 4 positives, -1 for 3 of 4 negatives. Without a
        // penalty the optimum is w1 = ln 3 (odds 3:1 either way), bias 0.
        let mk = Sample::one_feature;
        let samples: Vec<Sample> = [
            (1.0, true),
            (1.0, true),
            (1.0, true),
            (-1.0, true),
            (-1.0, false),
            (-1.0, false),
            (-1.0, false),
            (1.0, false),
        ]
        .into_iter()
        .map(|(v, k)| mk(v, k))
        .collect();
        let refs: Vec<&Sample> = samples.iter().collect();
        let w = fit(&refs, 0.0);
        assert!((w[1] - 3f32.ln() / 1.0).abs() < 1e-3, "{}", w[1]);
        assert!(w[0].abs() < 1e-3, "{}", w[0]);
        // A penalty shrinks the weight.
        assert!(fit(&refs, 4.0)[1] < w[1]);
    }
}
