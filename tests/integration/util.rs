//! Helpers: run the real binary in a scratch directory, read its outputs.
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Path to a fixture under `tests/data/`.
pub fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

/// A fresh scratch directory for one test, removed and re-created.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Run `rinse` with `args`; returns the output (never panics on a non-zero exit).
pub fn rinse(args: &[&str]) -> Output {
    rinse_in(args, None)
}

/// Run `rinse` with `args` and `stdin` as standard input.
pub fn rinse_in(args: &[&str], stdin: Option<&[u8]>) -> Output {
    use std::io::Write;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rinse"));
    cmd.args(args)
        .stdin(if stdin.is_some() {
            std::process::Stdio::piped()
        } else {
            std::process::Stdio::null()
        })
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("rinse binary runs");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input).unwrap();
    }
    child.wait_with_output().unwrap()
}

/// Run and assert success, returning stdout as text.
pub fn rinse_ok(args: &[&str]) -> String {
    let out = rinse(args);
    assert!(
        out.status.success(),
        "rinse {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `rinse run INPUT --out OUT -q EXTRA...`, asserting success.
pub fn run_to(input: &Path, out: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "run",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ];
    args.extend_from_slice(extra);
    rinse_ok(&args)
}

/// A path as the `&str` argument of a command.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The uncompressed shards (`.jsonl`) in `dir`, sorted by name.
pub fn shard_paths(dir: &Path) -> Vec<PathBuf> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".jsonl"))
        .collect();
    names.sort();
    names
}

/// Every line of every shard in `dir`, in order, as written.
pub fn shard_lines(dir: &Path) -> Vec<String> {
    shard_paths(dir)
        .iter()
        .flat_map(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// All JSON records of every shard in `dir` (sorted by name; .jsonl only).
pub fn records(dir: &Path) -> Vec<serde_json::Value> {
    shard_lines(dir)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The concatenated bytes of all files under `dir` except report.json, in path order.
pub fn output_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for sub in ["kept", "rejected"] {
        let mut names: Vec<_> = std::fs::read_dir(dir.join(sub))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        for p in names {
            out.push((
                p.strip_prefix(dir).unwrap().display().to_string(),
                std::fs::read(&p).unwrap(),
            ));
        }
    }
    out
}

pub fn report(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap()
}

/// Compare `actual` with the golden file `tests/data/<rel>`; with RINSE_BLESS=1, rewrite it.
pub fn golden(rel: &str, actual: &str) {
    let path = data(rel);
    if std::env::var_os("RINSE_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing golden file {} (run with RINSE_BLESS=1)",
            path.display()
        )
    });
    assert_eq!(
        actual,
        expected,
        "golden file {} differs (RINSE_BLESS=1 to update)",
        path.display()
    );
}
