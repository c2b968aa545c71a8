//! Tells the tests which vector extensions the build host has: `cfg(rinse_host_avx2)`,
//! `cfg(rinse_host_avx512f)`, `cfg(rinse_host_popcnt)`. A test of one SIMD path is
//! `#[cfg_attr(not(rinse_host_avx2), ignore = "...")]`, so on a CPU without the path it
//! is reported as ignored instead of passing without testing anything; run on another
//! CPU than the one that built it, it fails (`src/cpu.rs`, `require`). The program
//! itself does not use these: it picks its paths at run time (`src/cpu.rs`).
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // Run again after a reboot (procfs dates the file from about the boot):
    // a target directory kept from a session on another CPU gets this CPU's answers.
    if std::path::Path::new("/proc/cpuinfo").exists() {
        println!("cargo:rerun-if-changed=/proc/cpuinfo");
    }
    const FEATURES: [&str; 3] = ["avx2", "avx512f", "popcnt"];
    for f in FEATURES {
        println!("cargo:rustc-check-cfg=cfg(rinse_host_{f})");
    }
    // The build script runs on the host; its answers hold for the tests only when they
    // are built for the same architecture (then they run on the host, or fail loudly).
    let target_x86_64 = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|a| a == "x86_64");
    if !target_x86_64 {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    {
        let has = [
            std::arch::is_x86_feature_detected!("avx2"),
            std::arch::is_x86_feature_detected!("avx512f"),
            std::arch::is_x86_feature_detected!("popcnt"),
        ];
        for (f, has) in FEATURES.iter().zip(has) {
            if has {
                println!("cargo:rustc-cfg=rinse_host_{f}");
            }
        }
    }
}
