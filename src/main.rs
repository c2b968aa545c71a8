//! The `rinse` binary: parse arguments, run the subcommand, print errors, exit 0 or 2.
mod cli;

// The pipeline allocates and frees many small strings per document on every thread;
// mimalloc's per-thread heaps make that markedly cheaper than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let code = match cli::main() {
        Ok(()) => 0,
        // `rinse rules | head`: the reader went away; that is not an error.
        Err(e) if is_broken_pipe(&e) => 0,
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
