//! rinse turns scraped text into clean training corpora.
//!
//! The data flows in a straight line, one module per stage:
//! [`read`] → [`normalize`](mod@normalize) → [`clean`] → [`dedup`] → [`write`](mod@write), with [`report`]
//! and [`eval`] beside it. [`pipeline`] is the only module that knows that order.
//!
//! The names at the crate root are the library's surface: a whole run ([`RunPlan`],
//! [`run`], [`Report`]), the cleaner on its own ([`Cleaner`], [`Decision`]), normalization,
//! scoring against gold ([`Gold`], [`evaluate`]) and fitting the line model ([`mod@train`]).
//! Modules hidden from these docs are the implementation and may change at any time.
//!
//! ```
//! use rinse::{normalize, Cleaner, Config, NormalizeConfig, StageStats};
//! let text = normalize("Home » News » World\nThe minister said on Tuesday that the talks \
//!     would resume next week, after both sides had agreed on an agenda.\n", &NormalizeConfig::default());
//! let cleaner = Cleaner::new(&Config::embedded()?.clean)?;
//! let decision = cleaner.decide(&text, &mut StageStats::default());
//! assert_eq!(&*decision.removals[0].rule, "breadcrumb");
//! # Ok::<(), rinse::Error>(())
//! ```
// A rejected record is an ordinary outcome, not an exceptional error: stages return
// `Result<Document, Rejection>` by value and a rejection carries the original record.
// Boxing it would add an allocation per rejected record for nothing.
#![allow(clippy::result_large_err)]

pub mod clean;
mod codec;
pub mod config;
#[doc(hidden)]
pub mod cpu;
pub mod dedup;
pub mod destination;
pub mod document;
#[doc(hidden)]
pub mod driver;
pub mod error;
pub mod eval;
pub mod normalize;
#[doc(hidden)]
pub mod outdir;
pub mod pipeline;
pub mod read;
#[doc(hidden)]
pub mod record;
pub mod report;
#[doc(hidden)]
pub mod stage;
#[cfg(test)]
mod test_dir;
#[cfg(test)]
mod test_rng;
mod utf8;
pub mod write;

pub use clean::{Cleaner, Decision};
pub use config::Config;
pub use destination::{Collect, Destination};
pub use document::{Document, Rejection, Removal, Verdict};
pub use error::{Error, Result};
pub use eval::train;
pub use eval::{evaluate, EvalOptions, Evaluation, Gold};
pub use normalize::{normalize, NormalizeConfig};
pub use pipeline::{run, run_to, Progress, RunPlan};
pub use read::Fields;
pub use report::Report;
pub use stage::StageStats;
pub use write::{OutputCompression, TextMode, WriteOptions};
