//! The Python package (python/): its pytest suite, run with the venv `.ci/run` creates
//! (`target/pyenv` at the repository root, or `$RINSE_PYENV`) with the wheel built from
//! this tree installed in it. The suite compares the API's output with this build's
//! `rinse` binary (`RINSE_BIN`). Without the venv the test says SKIPPED on stderr
//! (uncaptured), and fails under CI=true.
use std::path::{Path, PathBuf};

fn pyenv() -> PathBuf {
    match std::env::var_os("RINSE_PYENV") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pyenv"),
    }
}

#[test]
fn the_python_package_passes_its_tests_against_this_binary() {
    use std::io::Write;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let venv = pyenv();
    let python = venv.join("bin/python");
    let installed = python.exists()
        && std::process::Command::new(&python)
            .args([
                "-c",
                "import rinse, pytest, pyarrow, polars, datatrove, orjson, warcio",
            ])
            .status()
            .is_ok_and(|s| s.success());
    if !installed {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        assert!(
            !ci,
            "CI=true but no Python venv with rinse installed at {} (.ci/run builds it)",
            venv.display()
        );
        // Straight to stderr, past the test harness's capture: this test did not run.
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SKIPPED the_python_package_passes_its_tests: no venv with the rinse wheel \
             at {} (bash .ci/run makes one); the Python package was not tested ***\n",
            venv.display()
        );
        return;
    }
    let path = format!(
        "{}:{}",
        venv.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = std::process::Command::new(&python)
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(root.join("python/tests"))
        .env("RINSE_BIN", env!("CARGO_BIN_EXE_rinse"))
        .env("PATH", path)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .current_dir(root)
        .output()
        .expect("the venv's python runs pytest");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "pytest failed:\n{said}");
    let summary = said
        .lines()
        .rev()
        .find(|l| l.contains(" passed"))
        .unwrap_or("");
    assert!(
        !summary.contains("skipped") && !summary.contains("failed"),
        "pytest ran, but not every test passed: {summary}\n{said}"
    );
    let passed: usize = summary
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(passed >= 10, "only {passed} Python tests passed:\n{said}");
}
