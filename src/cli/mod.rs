//! Command-line interface: one module per subcommand, each with its args and its `run`.
mod config;
mod eval;
mod progress;
mod rules;
mod run;

use clap::{Parser, Subcommand};

/// Turn scraped text into clean training corpora: strip scraping debris, remove
/// near-duplicate passages and documents, and explain every removal.
#[derive(Parser, Debug)]
#[command(name = "rinse", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    Run(run::Args),
    Config(config::Args),
    Rules(rules::Args),
    Eval(eval::Args),
}

pub fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Config(args) => config::run(args),
        Command::Rules(args) => rules::run(args),
        Command::Eval(args) => eval::run(args),
    }
}

/// Load `--config FILE` or the embedded default.
pub fn load_config(path: Option<&std::path::Path>) -> anyhow::Result<rinse::Config> {
    Ok(match path {
        Some(p) => rinse::Config::from_file(p)?,
        None => rinse::Config::embedded()?,
    })
}

/// Options shared by the subcommands that read documents.
#[derive(clap::Args, Debug)]
pub struct InputArgs {
    /// JSON field holding the document text.
    #[arg(long, default_value = "text", value_name = "NAME")]
    text_field: String,
    /// JSON field holding the document id (records without one get `<file>:<line>`).
    #[arg(long, default_value = "id", value_name = "NAME")]
    id_field: String,
    /// Worker threads (default: all cores); the output does not depend on it.
    #[arg(long, short = 'j', value_name = "N")]
    threads: Option<usize>,
}

impl InputArgs {
    pub fn fields(&self) -> rinse::read::Fields {
        rinse::read::Fields {
            text: self.text_field.clone(),
            id: self.id_field.clone(),
        }
    }

    /// Worker threads for a plan (0: all cores).
    pub fn threads(&self) -> usize {
        self.threads.unwrap_or(0)
    }
}
