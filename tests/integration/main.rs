//! The one integration-test binary (one link, ripgrep-style). Each module tests one
//! subcommand or one invariant by running the real `rinse` binary.
mod util;

mod clean;
mod dedup;
mod dedup_classes;
mod docs;
mod eval;
mod faults;
mod formats;
mod json_fidelity;
mod python;
mod report;
mod run;
mod train;
