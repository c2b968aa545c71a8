//! The allocator of the `rinse` binary and the Python extension (both compile this CLI),
//! and its one setting.

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
/// seconds were: never purging (-1) 747-784 MiB, 54-56 s; mimalloc's default 1000 ms
/// 650-670 MiB; 100 ms 627-632 MiB, 51.5-57 s; 10 ms 596-616 MiB but 57-63 s (memory
/// returned in the middle of a phase is faulted in again).
const PURGE_DELAY_MS: std::ffi::c_long = 100;

/// Set the allocator up; call it first, before a run allocates.
pub fn configure() {
    // SAFETY: sets a plain integer option of the allocator linked into this binary or
    // extension (the static above).
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
}
