//! The documentation works from a fresh clone (issue 19).
//!
//! A fenced block whose info string is `sh runnable` holds commands that run on the
//! repository's own data: one command per line (a line ending in `\` continues on the
//! next), `#` lines are comments. Each command must exit with 0, except the last one of a
//! block marked `sh runnable exit=N`, which must exit with N (an example of an error).
//! Blocks without `runnable` are shown, never run (they need your data, a release build
//! or an editor).
//!
//! The commands of one file run in order, each with `sh -c`, in one scratch directory
//! of that file where `tests/`, `configs/` and `benches/` link to the repository's, so
//! an example may use what an earlier one of the same file wrote (`out/`, `my.toml`) and
//! nothing is written into the repository. `rinse` is the binary under test (first on
//! PATH); `cargo run --release -- ` and `./target/release/rinse ` mean it too.
//!
//! The other tests here check that every relative link (and `#anchor`) of the docs
//! points at something that exists, and that docs/reference.md lists every key of
//! configs/default.toml in the table of its section.
use super::util::scratch;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The documents whose runnable blocks run, relative to the repository root.
const RUNNABLE_DOCS: &[&str] = &["README.md", "GUIDE.md", "docs/reference.md", "docs/FAQ.md"];

/// At least this many runnable commands per document: the test cannot pass by finding
/// none (a changed marker, a renamed file).
const MIN_COMMANDS: &[(&str, usize)] = &[
    ("README.md", 12),
    ("GUIDE.md", 30),
    ("docs/reference.md", 6),
    ("docs/FAQ.md", 8),
];

/// At least this many runnable commands in all (79 when this was written).
const MIN_TOTAL: usize = 60;

/// Generous: every example runs in about a second on the repository's data, but the
/// dev-profile binary is slower than the release one and the machine may be loaded.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One command of a runnable block.
#[derive(Debug)]
struct Example {
    /// 1-based line of the command's first line in its file.
    line: usize,
    command: String,
    exit: i32,
}

/// The commands of the runnable blocks of a markdown text, in order.
fn runnable_examples(text: &str) -> Vec<Example> {
    let mut out: Vec<Example> = Vec::new();
    // While inside a fence: runnable, the exit code of its last command, and where its
    // commands start in `out`.
    let mut block: Option<(bool, i32, usize)> = None;
    let mut pending: Option<(usize, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        let fence = line.trim_start().starts_with("```");
        match (&block, fence) {
            (None, true) => {
                let info = line.trim_start().trim_start_matches('`');
                let mut words = info.split_whitespace();
                let lang = words.next().unwrap_or("");
                let mut runnable = false;
                let mut exit = 0;
                for w in words {
                    if w == "runnable" {
                        runnable = true;
                    } else if let Some(n) = w.strip_prefix("exit=") {
                        exit = n
                            .parse()
                            .unwrap_or_else(|_| panic!("line {}: bad {w}", i + 1));
                    }
                }
                assert!(
                    !runnable || lang == "sh",
                    "line {}: only `sh` blocks can be runnable, not `{lang}`",
                    i + 1
                );
                block = Some((runnable, exit, out.len()));
            }
            (Some((_, exit, first)), true) => {
                assert!(
                    pending.is_none(),
                    "line {}: block ends inside a `\\` line",
                    i + 1
                );
                if out.len() > *first {
                    out.last_mut().unwrap().exit = *exit;
                }
                block = None;
            }
            (Some((true, _, _)), false) => {
                let (start, mut cmd) = pending.take().unwrap_or((i + 1, String::new()));
                let trimmed = line.trim();
                if cmd.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
                    continue;
                }
                if let Some(head) = trimmed.strip_suffix('\\') {
                    cmd.push_str(head.trim_end());
                    cmd.push(' ');
                    pending = Some((start, cmd));
                } else {
                    cmd.push_str(trimmed);
                    out.push(Example {
                        line: start,
                        command: cmd,
                        exit: 0,
                    });
                }
            }
            _ => {}
        }
    }
    assert!(block.is_none(), "a fenced block is never closed");
    out
}

/// The command as the test runs it: the ways the docs name the binary become `rinse`.
fn rewrite(command: &str) -> String {
    command
        .replace("cargo run --release -- ", "rinse ")
        .replace("./target/release/rinse ", "rinse ")
}

/// A scratch directory for one document, with the repository's data linked in and the
/// binary under test on PATH as `rinse`.
fn workspace(doc: &str) -> (PathBuf, String) {
    let dir = scratch(&format!("docs-{}", doc.replace('/', "-")));
    for name in ["tests", "configs", "benches"] {
        std::os::unix::fs::symlink(root().join(name), dir.join(name)).unwrap();
    }
    let bin = dir.join(".bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_rinse"), bin.join("rinse")).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    (dir, path)
}

/// Run one command; Err says what went wrong.
fn run_example(dir: &Path, path: &str, command: &str, exit: i32) -> Result<(), String> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .env("PATH", path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start sh: {e}"))?;
    // Read the pipes on their own threads so a chatty command cannot block on them.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_thread = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut v).ok();
        v
    });
    let err_thread = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut stderr, &mut v).ok();
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
            break s;
        }
        if start.elapsed() > COMMAND_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("still running after {COMMAND_TIMEOUT:?}; killed"));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = out_thread.join().unwrap_or_default();
    let stderr = err_thread.join().unwrap_or_default();
    match status.code() {
        Some(code) if code == exit => Ok(()),
        code => {
            let tail = |b: &[u8]| {
                let s = String::from_utf8_lossy(b);
                let lines: Vec<&str> = s.lines().collect();
                lines[lines.len().saturating_sub(8)..].join("\n    ")
            };
            Err(format!(
                "exited with {code:?}, expected {exit}\n  stdout:\n    {}\n  stderr:\n    {}",
                tail(&stdout),
                tail(&stderr)
            ))
        }
    }
}

#[test]
fn runnable_examples_in_the_docs_run_from_a_fresh_clone() {
    let mut failures = Vec::new();
    let mut total = 0;
    for doc in RUNNABLE_DOCS {
        let text = std::fs::read_to_string(root().join(doc))
            .unwrap_or_else(|e| panic!("cannot read {doc}: {e}"));
        let examples = runnable_examples(&text);
        let min = MIN_COMMANDS
            .iter()
            .find(|(d, _)| d == doc)
            .map_or(1, |(_, n)| *n);
        assert!(
            examples.len() >= min,
            "{doc}: found {} runnable commands, expected at least {min} \
             (blocks marked ```sh runnable)",
            examples.len()
        );
        let (dir, path) = workspace(doc);
        for ex in &examples {
            let command = rewrite(&ex.command);
            if command.trim_start().starts_with("cargo ") {
                failures.push(format!(
                    "{doc}:{}: `{}`: a runnable example must not run cargo",
                    ex.line, ex.command
                ));
                continue;
            }
            total += 1;
            if let Err(why) = run_example(&dir, &path, &command, ex.exit) {
                failures.push(format!("{doc}:{}: `{}`: {why}", ex.line, ex.command));
            }
        }
        // Nothing the examples wrote may land in the repository: they ran in `dir`.
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(
        total >= MIN_TOTAL,
        "ran {total} documented commands, expected at least {MIN_TOTAL}"
    );
    assert!(
        failures.is_empty(),
        "{} of {total} documented commands failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Markdown files of the user documentation.
fn doc_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ["README.md", "GUIDE.md", "CHANGELOG.md"]
        .iter()
        .map(|f| root().join(f))
        .collect();
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// GitHub's anchor of a heading: lower case, punctuation other than `-` and `_`
/// dropped, spaces as `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a markdown text's headings (outside fenced blocks); a repeated
/// heading gets `-1`, `-2`, ... as on GitHub.
fn anchors(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut in_fence = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        } else if !in_fence && line.starts_with('#') {
            let base = slug(line.trim_start_matches('#'));
            let seen = out
                .iter()
                .filter(|a| {
                    **a == base
                        || a.strip_prefix(&base)
                            .and_then(|r| r.strip_prefix('-'))
                            .is_some_and(|n| n.parse::<u32>().is_ok())
                })
                .count();
            out.push(if seen == 0 {
                base
            } else {
                format!("{base}-{seen}")
            });
        }
    }
    out
}

/// The targets of inline links `[text](target)` outside fenced blocks and code spans,
/// with their 1-based lines.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_fence = false;
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        // Drop code spans: `a](b)` inside backticks is not a link.
        let mut plain = String::new();
        for (k, part) in line.split('`').enumerate() {
            if k % 2 == 0 {
                plain.push_str(part);
            }
        }
        let mut rest = plain.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            out.push((i + 1, after[..end].to_string()));
            rest = &after[end..];
        }
    }
    out
}

#[test]
fn relative_links_in_the_docs_point_at_files_and_headings_that_exist() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in doc_files() {
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        let name = file.strip_prefix(root()).unwrap().display().to_string();
        for (line, target) in links(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (path, anchor) = match target.split_once('#') {
                Some((p, a)) => (p, Some(a)),
                None => (target.as_str(), None),
            };
            let dest = if path.is_empty() {
                file.clone()
            } else {
                file.parent().unwrap().join(path)
            };
            if !dest.exists() {
                broken.push(format!("{name}:{line}: {target}: no such file"));
                continue;
            }
            if let Some(anchor) = anchor {
                let dest_text = std::fs::read_to_string(&dest).unwrap_or_default();
                if !anchors(&dest_text).iter().any(|a| a == anchor) {
                    broken.push(format!("{name}:{line}: {target}: no such heading"));
                }
            }
        }
    }
    assert!(checked >= 20, "only {checked} relative links found");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_reference_lists_every_key_of_the_default_config() {
    let config = std::fs::read_to_string(root().join("configs/default.toml")).unwrap();
    let reference = std::fs::read_to_string(root().join("docs/reference.md")).unwrap();
    let lines: Vec<&str> = reference.lines().collect();
    // The reference's text under the heading that names `[section]`, up to the next
    // heading.
    let section_text = |section: &str| -> Option<String> {
        let tag = format!("`[{section}]`");
        let start = lines
            .iter()
            .position(|l| l.starts_with('#') && l.contains(&tag))?;
        let end = lines[start + 1..]
            .iter()
            .position(|l| l.starts_with('#'))
            .map_or(lines.len(), |n| start + 1 + n);
        Some(lines[start..end].join("\n"))
    };
    let mut section = String::new();
    let mut missing = Vec::new();
    let mut keys = 0;
    for line in config.lines() {
        let t = line.trim();
        if t.starts_with("[[") || t.starts_with('#') || t.is_empty() {
            continue;
        }
        if let Some(name) = t.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            section = name.to_string();
            continue;
        }
        let Some((key, _)) = t.split_once('=') else {
            continue;
        };
        let key = key.trim();
        keys += 1;
        match section_text(&section) {
            None => missing.push(format!("no heading naming `[{section}]`")),
            Some(text) if !text.contains(&format!("`{key}`")) => {
                missing.push(format!("[{section}] {key}"))
            }
            Some(_) => {}
        }
    }
    missing.dedup();
    assert!(
        keys >= 40,
        "only {keys} keys read from configs/default.toml"
    );
    assert!(
        missing.is_empty(),
        "docs/reference.md lacks these keys of configs/default.toml:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_example_parser_reads_markers_continuations_and_exit_codes() {
    let text = "```sh\nnot run\n```\n\n```sh runnable\n# comment\nrinse a \\\n  --b\n\nrinse c\n```\n```sh runnable exit=3\nprintf x > f\nrinse d\n```\n";
    let ex = runnable_examples(text);
    let got: Vec<(usize, &str, i32)> = ex
        .iter()
        .map(|e| (e.line, e.command.as_str(), e.exit))
        .collect();
    assert_eq!(
        got,
        vec![
            (7, "rinse a --b", 0),
            (10, "rinse c", 0),
            (13, "printf x > f", 0),
            (14, "rinse d", 3)
        ]
    );
    assert_eq!(
        rewrite("cargo run --release -- run x --out out"),
        "rinse run x --out out"
    );
    assert_eq!(slug("Tune `[dedup]`: bands, rows"), "tune-dedup-bands-rows");
}
