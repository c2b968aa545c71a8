//! The `rinse` binary: parse arguments, run the subcommand, print errors, exit 0, 2 or 3
//! (a run that kept nothing).
mod cli;

fn main() {
    cli::alloc::configure();
    let code = match cli::main() {
        Ok(()) => 0,
        // `rinse rules | head`: the reader went away; that is not an error.
        Err(e) if is_broken_pipe(&e) => 0,
        Err(e) if e.downcast_ref::<cli::Exit>().is_some() => {
            let exit = e.downcast_ref::<cli::Exit>().expect("checked");
            eprintln!("rinse: {}", exit.message);
            exit.code
        }
        Err(e) => {
            eprintln!("rinse: {e:#}");
            2
        }
    };
    std::process::exit(code);
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
