//! Which vector instructions rinse may use: the one place that decides it.
//!
//! The CPU is asked once (the answer is cached), and the environment variable
//! `RINSE_FORCE_SCALAR` is read once, the first time a dispatch site asks: set to any
//! non-empty value other than `0`, it makes every site take its baseline path (the
//! scalar, or the x86_64 baseline SSE2, code), whatever the CPU has. The results are the
//! same either way; the variable lets CI run the whole program on the fallback paths, e.g.
//! `RINSE_FORCE_SCALAR=1 cargo test --release --test integration`.
//!
//! Dispatch sites ask [`paths`] (once per document, line, passage or batch, not per
//! byte) and call a `#[target_feature]` function only when the [`Paths`] they hold say
//! the CPU has its features. A [`Paths`] value is the proof: there is no way to make one
//! that claims a feature [`detect`] did not find, only ways to claim less
//! ([`Paths::BASELINE`], [`Paths::only`]). So code that holds one may call the functions
//! of the features it reports.
//!
//! Tests run a site on each path explicitly, whatever the variable says: each site has a
//! form that takes a [`Paths`] (`MinHasher::update_with`, `needs_normalizing_with`,
//! `PhraseSet::with_paths`, `Avx2::of`, `available_on`), and `require` and `each_path`
//! give the paths. A test of one path is `#[ignore]`d on a build host without its
//! features (`build.rs` sets `rinse_host_avx2`, `rinse_host_avx512f` and
//! `rinse_host_popcnt`), and fails loudly through `require` when it runs on a CPU
//! without them: a test binary built on another machine does not pass in silence.
//!
//! The differential tests, every path against its scalar reference on arbitrary input
//! (proptest), are named `simd_*`. They take 256 cases per property (`PROPTEST_CASES`
//! sets another number); a long run:
//! `PROPTEST_CASES=200000 cargo test --release --lib simd_`.
use std::ffi::OsStr;
use std::sync::OnceLock;

/// The environment variable that forces the baseline paths (see the module doc).
pub const FORCE_SCALAR_VAR: &str = "RINSE_FORCE_SCALAR";

/// One vector extension a dispatch site may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feature {
    /// AVX2 (with AVX, which it implies).
    Avx2,
    /// AVX-512 Foundation.
    Avx512f,
    /// The `popcnt` instruction.
    Popcnt,
}

impl Feature {
    const fn bit(self) -> u8 {
        match self {
            Feature::Avx2 => 1,
            Feature::Avx512f => 2,
            Feature::Popcnt => 4,
        }
    }
}

/// The vector extensions the dispatch sites may use: only ever ones this CPU has (the
/// field is private; values come from [`detect`], or claim less than one of them).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Paths(u8);

impl Paths {
    /// No extension: the baseline of the target (SSE2 on x86_64), the fallback paths.
    pub const BASELINE: Paths = Paths(0);

    /// Whether the CPU has `f` and the sites may use it.
    #[inline(always)]
    pub fn has(self, f: Feature) -> bool {
        self.0 & f.bit() != 0
    }

    /// Whether the sites may use AVX2.
    #[inline(always)]
    pub fn avx2(self) -> bool {
        self.has(Feature::Avx2)
    }

    /// Whether the sites may use AVX-512F.
    #[inline(always)]
    pub fn avx512f(self) -> bool {
        self.has(Feature::Avx512f)
    }

    /// Whether the sites may use `popcnt`.
    #[inline(always)]
    pub fn popcnt(self) -> bool {
        self.has(Feature::Popcnt)
    }

    /// Exactly the extensions `features` (for a test of one path), when these paths have
    /// all of them.
    pub fn only(self, features: &[Feature]) -> Option<Paths> {
        let bits = features.iter().fold(0, |b, f| b | f.bit());
        (self.0 & bits == bits).then_some(Paths(bits))
    }
}

impl std::fmt::Debug for Paths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = [
            (Feature::Avx2, "avx2"),
            (Feature::Avx512f, "avx512f"),
            (Feature::Popcnt, "popcnt"),
        ]
        .iter()
        .filter(|(feature, _)| self.has(*feature))
        .map(|(_, name)| *name)
        .collect();
        if names.is_empty() {
            write!(f, "Paths(baseline)")
        } else {
            write!(f, "Paths({})", names.join("+"))
        }
    }
}

/// The paths the dispatch sites take: [`detect`]'s, or [`Paths::BASELINE`] when
/// [`FORCE_SCALAR_VAR`] says so. Decided on the first call, a load and a compare after.
#[inline]
pub fn paths() -> Paths {
    static PATHS: OnceLock<Paths> = OnceLock::new();
    *PATHS.get_or_init(|| {
        if force_scalar(std::env::var_os(FORCE_SCALAR_VAR).as_deref()) {
            Paths::BASELINE
        } else {
            detect()
        }
    })
}

/// Whether a value of [`FORCE_SCALAR_VAR`] (`None`: not set) forces the baseline paths:
/// any non-empty value other than `0`.
pub fn force_scalar(value: Option<&OsStr>) -> bool {
    value.is_some_and(|v| !matches!(v.as_encoded_bytes(), b"" | b"0"))
}

/// Every extension of this CPU that a site has a path for, whatever
/// [`FORCE_SCALAR_VAR`] says (the CPU is asked once).
pub fn detect() -> Paths {
    static DETECTED: OnceLock<Paths> = OnceLock::new();
    *DETECTED.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            // The only place that asks the CPU. `is_x86_feature_detected!` also checks
            // that the OS saves the wider registers (AVX, AVX-512 state).
            let mut bits = 0;
            if std::arch::is_x86_feature_detected!("avx2") {
                bits |= Feature::Avx2.bit();
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                bits |= Feature::Avx512f.bit();
            }
            if std::arch::is_x86_feature_detected!("popcnt") {
                bits |= Feature::Popcnt.bit();
            }
            Paths(bits)
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            Paths::BASELINE
        }
    })
}

/// Exactly the extensions `features`, for a test of that path; panics when this CPU
/// lacks one (a test that needs them is `#[ignore]`d on a build host without them, so
/// this is a test binary run on another CPU than the one that built it).
#[cfg(test)]
pub(crate) fn require(features: &[Feature]) -> Paths {
    detect().only(features).unwrap_or_else(|| {
        panic!(
            "this CPU lacks some of {features:?} (it has {:?}), but the host that built \
             the tests had them: rebuild the tests on this machine",
            detect()
        )
    })
}

/// The distinct paths of this CPU, for tests that run a site on each: the baseline, AVX2
/// (with POPCNT) when the CPU has them, and everything it has when that is more (AVX-512).
#[cfg(test)]
pub(crate) fn each_path() -> Vec<Paths> {
    let mut out = vec![Paths::BASELINE];
    for p in [
        detect().only(&[Feature::Avx2, Feature::Popcnt]),
        Some(detect()),
    ]
    .into_iter()
    .flatten()
    {
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn force_scalar_is_any_value_but_empty_and_zero() {
        let v = |s: &str| force_scalar(Some(OsStr::new(s)));
        assert!(!force_scalar(None));
        assert!(!v(""));
        assert!(!v("0"));
        for on in ["1", "yes", "true", "00", " 0", "0 ", "false", "scalar"] {
            assert!(v(on), "{on:?}");
        }
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            assert!(force_scalar(Some(OsStr::from_bytes(b"\xFF"))));
        }
    }

    /// The dispatch follows the variable as the process got it (this test sets nothing):
    /// the baseline when it forces it, else what the CPU has.
    #[test]
    fn paths_are_the_detected_ones_unless_forced() {
        let forced = force_scalar(std::env::var_os(FORCE_SCALAR_VAR).as_deref());
        let want = if forced { Paths::BASELINE } else { detect() };
        assert_eq!(paths(), want, "{FORCE_SCALAR_VAR} forces: {forced}");
        assert_eq!(paths(), paths());
    }

    #[test]
    fn paths_claim_no_more_than_the_cpu_has() {
        let all = detect();
        assert_eq!(all.only(&[]), Some(Paths::BASELINE));
        for f in [Feature::Avx2, Feature::Avx512f, Feature::Popcnt] {
            assert_eq!(all.only(&[f]).is_some(), all.has(f), "{f:?}");
            assert!(!Paths::BASELINE.has(f));
            assert_eq!(Paths::BASELINE.only(&[f]), None);
        }
        for p in each_path() {
            assert_eq!(p.0 & !all.0, 0, "{p:?} of {all:?}");
        }
        #[cfg(target_arch = "x86_64")]
        {
            assert_eq!(all.avx2(), std::arch::is_x86_feature_detected!("avx2"));
            assert_eq!(
                all.avx512f(),
                std::arch::is_x86_feature_detected!("avx512f")
            );
            assert_eq!(all.popcnt(), std::arch::is_x86_feature_detected!("popcnt"));
        }
    }

    /// The build host's features (the `cfg`s of `build.rs` that `#[ignore]` the tests of
    /// a path) are this CPU's.
    #[test]
    fn build_host_features_are_this_cpus() {
        let all = detect();
        assert_eq!(cfg!(rinse_host_avx2), all.avx2(), "{all:?}");
        assert_eq!(cfg!(rinse_host_avx512f), all.avx512f(), "{all:?}");
        assert_eq!(cfg!(rinse_host_popcnt), all.popcnt(), "{all:?}");
    }
}
