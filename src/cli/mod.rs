//! Command-line interface: one module per subcommand, each with its args and its `run`.
pub mod alloc;
mod config;
mod eval;
mod progress;
mod report;
mod rules;
mod run;
mod train;

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
    Report(report::Args),
    Train(train::Args),
}

/// The exit status of a run that finished but kept no record (docs/reference.md, "Exit codes").
pub const EXIT_NOTHING_KEPT: i32 = 3;

/// A run that ends with an exit status other than 0 or 2, and a message.
#[derive(Debug)]
pub struct Exit {
    pub code: i32,
    pub message: String,
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Exit {}

/// On SIGINT or SIGTERM: remove this process's temporary files from the output
/// directories it writes (waiting for a rename into place in progress), then exit with
/// 128 + the signal's number (130, 143), as a shell reports a process the signal ended.
fn on_signals_clean_up_and_exit() -> anyhow::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new()
        .name("rinse-signals".into())
        .spawn(move || {
            if let Some(sig) = signals.forever().next() {
                rinse::outdir::remove_own_temps();
                eprintln!("\nrinse: interrupted; temporary files removed, output left as it was");
                std::process::exit(128 + sig);
            }
        })?;
    Ok(())
}

pub fn main() -> anyhow::Result<()> {
    main_from(std::env::args_os(), true)
}

/// The CLI on these arguments (the first is the program's name). `command`: this is the
/// `rinse` command, which prints help or a usage error and exits, and removes its
/// temporary files on SIGINT/SIGTERM; otherwise (the Python API, which calls the CLI in
/// its own process) a usage error is returned and no signal handler is installed.
pub fn main_from(
    args: impl IntoIterator<Item = std::ffi::OsString>,
    command: bool,
) -> anyhow::Result<()> {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) if command => e.exit(),
        Err(e) => return Err(anyhow::anyhow!("{}", e.render().to_string().trim_end())),
    };
    if command {
        on_signals_clean_up_and_exit()?;
    }
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Config(args) => config::run(args),
        Command::Rules(args) => rules::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Report(args) => report::run(args),
        Command::Train(args) => train::run(args),
    }
}

/// Load `--config FILE` or the embedded default.
/// Write `bytes` to `path` through a temporary file beside it, renamed into place, so a
/// reader never sees half a file; the temporary file is removed if the rename fails.
pub(crate) fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = rinse::outdir::OutDir::temp_path(dir, &name);
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}", path.display())
    })
}

pub fn load_config(path: Option<&std::path::Path>) -> anyhow::Result<rinse::Config> {
    Ok(match path {
        Some(p) => rinse::Config::from_file(p)?,
        None => rinse::Config::embedded()?,
    })
}

/// Options shared by the subcommands that read documents.
#[derive(clap::Args, Debug)]
pub struct InputArgs {
    /// JSON field (or Parquet column) holding the document text; a dotted path
    /// (`meta.content`) reaches into nested objects, a key with that literal name first.
    #[arg(long, default_value = "text", value_name = "NAME")]
    text_field: String,
    /// JSON field holding the document id, a dotted path too (records without one get
    /// `<file>:<line>`, Parquet rows `<file>:<row>`).
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
