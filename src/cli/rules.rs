//! `rinse rules`: list the effective cleaning rules (id, category, languages, description).
use std::io::Write;
use std::path::PathBuf;

/// List the cleaning rules a config runs, in order: id, category, languages, description.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Configuration file (TOML); without it, the embedded default.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let cfg = super::load_config(args.config.as_deref())?;
    let cleaner = rinse::clean::Cleaner::new(&cfg.clean)?;
    let rules = cleaner.rules();
    let mut out = std::io::stdout().lock();
    if args.json {
        for r in &rules {
            writeln!(out, "{}", serde_json::to_string(r)?)?;
        }
        return Ok(());
    }
    let w_id = rules.iter().map(|r| r.id.len()).max().unwrap_or(2).max(2);
    let w_cat = rules
        .iter()
        .map(|r| r.category.len())
        .max()
        .unwrap_or(8)
        .max(8);
    writeln!(
        out,
        "{:w_id$}  {:w_cat$}  {:9}  DESCRIPTION",
        "ID", "CATEGORY", "LANGUAGES"
    )?;
    for r in &rules {
        let langs = if r.languages.is_empty() {
            "all".to_string()
        } else {
            r.languages.join(",")
        };
        writeln!(
            out,
            "{:w_id$}  {:w_cat$}  {:9}  {}",
            r.id, r.category, langs, r.description
        )?;
    }
    if !cfg.clean.enabled {
        writeln!(
            out,
            "# note: [clean] enabled = false, so `rinse run` applies none of these"
        )?;
    }
    Ok(())
}
