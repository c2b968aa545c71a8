//! The `rinse` binary: parse arguments, run the subcommand, print errors, exit 0 or 2.
mod cli;

fn main() {
    let code = match cli::main() {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("rinse: {e:#}");
            2
        }
    };
    std::process::exit(code);
}
