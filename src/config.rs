//! The TOML configuration: serde structs that reject unknown keys, the embedded default,
//! and a fingerprint of the effective config for reports.
use crate::clean::CleanConfig;
use crate::dedup::DedupConfig;
use crate::error::{Error, Result};
use crate::normalize::NormalizeConfig;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The default configuration, embedded in the binary (`configs/default.toml`).
pub const DEFAULT_TOML: &str = include_str!("../configs/default.toml");

/// The whole configuration. Every section and key is optional; missing ones take defaults.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub input: InputConfig,
    pub normalize: NormalizeConfig,
    pub clean: CleanConfig,
    pub dedup: DedupConfig,
    pub report: ReportConfig,
}

impl Config {
    /// The embedded default config.
    pub fn embedded() -> Result<Config> {
        Config::parse(DEFAULT_TOML, "<embedded default>")
    }

    /// Parse a TOML text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Config> {
        toml::from_str(text).map_err(|e| Error::Config {
            origin: origin.to_string(),
            message: one_line(&e.to_string()),
        })
    }

    /// Read and parse a config file.
    pub fn from_file(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Config::parse(&text, &path.display().to_string())
    }

    /// The effective config as TOML (what `rinse config` prints).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_else(|e| format!("# cannot print config: {e}\n"))
    }

    /// A stable fingerprint of the effective config (xxh3 of its TOML form), in hex.
    pub fn fingerprint(&self) -> String {
        format!(
            "{:016x}",
            xxhash_rust::xxh3::xxh3_64(self.to_toml().as_bytes())
        )
    }
}

/// Limits on the records read.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InputConfig {
    /// Records larger than this many bytes are rejected as `too-large` (0: no limit).
    pub max_doc_bytes: u64,
}

/// What report.html shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportConfig {
    /// Records shown before and after in report.html (0: none, and no
    /// `report-sample.jsonl`).
    pub sample: usize,
    /// Seed of the sample: the same input and seed give the same records.
    pub seed: u64,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            sample: 20,
            seed: 1,
        }
    }
}

/// toml's messages span several lines (with a source excerpt); keep them on one line:
/// `TOML parse error at line 2, column 1: unknown field ...`.
fn one_line(message: &str) -> String {
    let is_excerpt = |l: &str| {
        let rest = l.trim_start_matches(|c: char| c.is_ascii_digit() || c == ' ');
        rest.starts_with('|') || l.chars().all(|c| c == '^' || c == ' ')
    };
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !is_excerpt(l))
        .collect::<Vec<_>>()
        .join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_is_an_error_naming_it() {
        let err = Config::parse("[normalize]\nnfd = true\n", "x.toml").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("x.toml") && msg.contains("nfd"), "{msg}");
        assert!(!msg.contains('\n'), "{msg}");
    }

    #[test]
    fn empty_config_takes_defaults() {
        assert_eq!(Config::parse("", "e").unwrap(), Config::default());
    }

    #[test]
    fn printed_config_parses_back_to_itself() {
        let cfg = Config::embedded().unwrap();
        assert_eq!(Config::parse(&cfg.to_toml(), "p").unwrap(), cfg);
    }
}
