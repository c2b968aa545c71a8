//! rinse turns scraped text into clean training corpora.
//!
//! The data flows in a straight line, one module per stage:
//! [`read`] → [`normalize`] → [`clean`] → [`dedup`] → [`write`](mod@write), with [`report`] beside
//! it. [`pipeline`] is the only module that knows that order. Each document carries its
//! input line as a raw JSON [`record`]: only its text is decoded and written anew.
//!
//! ```
//! use rinse::normalize::{normalize, NormalizeConfig};
//! let text = normalize("Foto:\u{00A0}dpa \r\n", &NormalizeConfig::default());
//! assert_eq!(text, "Foto: dpa\n");
//! ```
// A rejected record is an ordinary outcome, not an exceptional error: stages return
// `Result<Document, Rejection>` by value and a rejection carries the original record.
// Boxing it would add an allocation per rejected record for nothing.
#![allow(clippy::result_large_err)]

pub mod clean;
mod codec;
pub mod config;
pub mod cpu;
pub mod dedup;
pub mod document;
pub mod driver;
pub mod error;
pub mod eval;
pub mod normalize;
pub mod outdir;
pub mod pipeline;
pub mod read;
pub mod record;
pub mod report;
pub mod stage;
#[cfg(test)]
mod test_rng;
mod utf8;
pub mod write;

pub use config::Config;
pub use document::{Document, Rejection, Removal, Verdict};
pub use error::{Error, Result};
