//! `rinse config`: print the effective configuration.
use std::path::PathBuf;

/// Print the effective configuration (the embedded default, or FILE with defaults filled in).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Configuration file (TOML); without it, the embedded default.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print the embedded default config with its comments instead.
    #[arg(long, conflicts_with = "config")]
    default: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if args.default {
        print!("{}", rinse::config::DEFAULT_TOML);
        return Ok(());
    }
    let cfg = super::load_config(args.config.as_deref())?;
    println!(
        "# effective rinse config, fingerprint {}",
        cfg.fingerprint()
    );
    print!("{}", cfg.to_toml());
    Ok(())
}
