//! The `rinse` binary: parse arguments, run the subcommand, print errors, exit 0, 2 or 3
//! (a run that kept nothing).
mod cli;

// The pipeline allocates and frees many small strings per document on every thread, and a
// whole batch of records at a time: mimalloc takes about 13% less CPU than the system
// allocator on a 200 MB run. Built without transparent huge pages (feature `no_thp`):
// zeroing a fresh 2 MiB page for every new arena page cost another ~13% of CPU.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

extern "C" {
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// `mi_option_purge_delay` in `enum mi_option_e` of mimalloc v3's `include/mimalloc.h`
/// (the version libmimalloc-sys 0.1.49, pinned in Cargo.lock, builds).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

/// Milliseconds before freed memory goes back to the OS. Each phase's working set is
/// returned after the phase instead of staying mapped as the run's high-water mark. At
/// 1.6 GB with `memory_mb = 256` (2026-12-07, docs/performance.md), peak memory and CPU
/// seconds were: never purging (-1) 747-766 MiB, 54-56 s; mimalloc's default 1000 ms
/// 650-670 MiB; 100 ms 631 MiB, 51.5 s; 10 ms 596-601 MiB but 58-63 s (memory returned
/// in the middle of a phase is faulted in again).
const PURGE_DELAY_MS: std::ffi::c_long = 100;

fn main() {
    // SAFETY: sets a plain integer option of the allocator linked into this binary.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
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
