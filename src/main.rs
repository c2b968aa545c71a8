//! The `rinse` binary: parse arguments, run the subcommand, print errors, exit 0, 2 or 3
//! (a run that kept nothing).
mod cli;

// The pipeline allocates and frees many small strings per document on every thread, and a
// whole batch of records at a time. mimalloc with purging off (freed memory stays mapped for
// the next batch instead of being returned to the OS and faulted in again) takes about 13%
// less CPU than the system allocator on a 200 MB run. Built without transparent huge pages
// (feature `no_thp`): zeroing a fresh 2 MiB page for every new arena page cost another ~13%
// of CPU, and peak memory is lower without them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

extern "C" {
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// `mi_option_purge_delay` in `enum mi_option_e` of mimalloc v3's `include/mimalloc.h`
/// (the version libmimalloc-sys 0.1.49, pinned in Cargo.lock, builds); -1 = never purge.
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

fn main() {
    // SAFETY: sets a plain integer option of the allocator linked into this binary.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
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
