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
