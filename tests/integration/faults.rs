//! The fault suite: what users do by mistake and what the machine does to a run
//! (concurrent runs, output inside the input, kill -9, signals, odd input). After each,
//! nothing is lost (read = kept + rejected) and 1 and 2 threads give the same bytes.
use crate::util::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Words for [`jsonl`]'s texts.
const WORDS: [&str; 48] = [
    "river",
    "market",
    "council",
    "winter",
    "school",
    "harbour",
    "engine",
    "garden",
    "letter",
    "station",
    "village",
    "mountain",
    "teacher",
    "budget",
    "forest",
    "bridge",
    "doctor",
    "museum",
    "weather",
    "kitchen",
    "island",
    "factory",
    "library",
    "festival",
    "airport",
    "hospital",
    "election",
    "painting",
    "orchestra",
    "railway",
    "farmer",
    "journey",
    "castle",
    "theatre",
    "company",
    "student",
    "history",
    "science",
    "coffee",
    "blanket",
    "window",
    "morning",
    "planet",
    "harvest",
    "captain",
    "silver",
    "valley",
    "ocean",
];

/// `n` ordinary JSONL records: English sentences of pseudo-random words, no two alike.
fn jsonl(n: usize, tag: &str) -> String {
    let mut state =
        0x9E37_79B9_u64 ^ tag.len() as u64 ^ (tag.bytes().map(u64::from).sum::<u64>() << 17);
    let mut word = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        WORDS[(state >> 33) as usize % WORDS.len()]
    };
    (0..n)
        .map(|i| {
            let sentences: Vec<String> = (0..4)
                .map(|_| {
                    format!(
                        "The {} of the {} was near the {} and the {}, but a {} is not a {}.",
                        word(),
                        word(),
                        word(),
                        word(),
                        word(),
                        word()
                    )
                })
                .collect();
            format!(
                "{{\"id\":\"{tag}{i}\",\"text\":\"{}\"}}\n",
                sentences.join(" ")
            )
        })
        .collect()
}

/// Run `rinse ARGS` at 1 and 2 threads into `DIR/j1` and `DIR/j2`; assert success,
/// that every record read is kept or rejected (and `read` of them when given), and that
/// both outputs are the same bytes. Returns the report of the 1-thread run.
fn conserved_and_deterministic(dir: &Path, args: &[&str], read: Option<u64>) -> serde_json::Value {
    let mut outs = Vec::new();
    for j in ["1", "2"] {
        let out = dir.join(format!("j{j}"));
        let mut a: Vec<&str> = vec!["run"];
        a.extend_from_slice(args);
        a.extend(["--out", s(&out), "-q", "-j", j]);
        let o = rinse(&a);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{a:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let r = report(&out);
        let rec = &r["records"];
        let (n, k, x) = (
            rec["read"].as_u64().unwrap(),
            rec["kept"].as_u64().unwrap(),
            rec["rejected"].as_u64().unwrap(),
        );
        assert_eq!(n, k + x, "read = kept + rejected");
        // Lines, not parsed records: a field passed through as written may hold what
        // serde_json refuses (a lone surrogate).
        assert_eq!(lines(&out.join("kept")), k);
        assert_eq!(lines(&out.join("rejected")), x);
        if let Some(want) = read {
            assert_eq!(n, want, "records read");
        }
        outs.push(out);
    }
    assert_eq!(
        output_bytes(&outs[0]),
        output_bytes(&outs[1]),
        "-j1 and -j2 differ"
    );
    report(&outs[0])
}

/// The number of lines in the shards of `dir`.
fn lines(dir: &Path) -> u64 {
    shard_lines(dir).len() as u64
}

/// Every file under `dir` whose name marks it as temporary.
fn temps(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                found.extend(temps(&p));
            } else if p.to_string_lossy().contains("rinse-tmp") {
                found.push(p);
            }
        }
    }
    found
}

/// Wait (at most 60 s) until `cond` holds.
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !cond() {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A run reading standard input, fed `head` and then left waiting for more, with one
/// record per batch and dedup off, so its output shards are open on disk.
fn stalled_run(out: &Path, config: &Path, head: &str) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rinse"))
        .args(["run", "-", "--out", s(out), "-q", "--batch-size", "1"])
        .args(["--config", s(config)])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(head.as_bytes())
        .unwrap();
    child.stdin.as_mut().unwrap().flush().unwrap();
    wait_for("the run's temporary shard", || !temps(out).is_empty());
    child
}

fn no_dedup_config(dir: &Path) -> PathBuf {
    let p = dir.join("no-dedup.toml");
    std::fs::write(&p, "[dedup]\nenabled = false\n").unwrap();
    p
}

fn signal(child: &Child, sig: &str) {
    let st = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
}

#[test]
fn concurrent_runs_into_one_out_the_second_exits_at_once_naming_the_first() {
    let dir = scratch("fault_concurrent");
    let out = dir.join("out");
    let mut a = stalled_run(&out, &no_dedup_config(&dir), &jsonl(20, "a"));
    let input = dir.join("b.jsonl");
    std::fs::write(&input, jsonl(30, "b")).unwrap();
    let t0 = Instant::now();
    let b = rinse(&["run", s(&input), "--out", s(&out), "-q"]);
    assert!(
        t0.elapsed() < Duration::from_secs(20),
        "the second run did not wait"
    );
    assert_eq!(b.status.code(), Some(2));
    let err = String::from_utf8_lossy(&b.stderr);
    assert!(err.contains(s(&out)), "names the directory: {err}");
    assert!(
        err.contains(&format!("pid {}", a.id())),
        "names the pid: {err}"
    );
    // The first run is undisturbed: it finishes with exactly its own records.
    drop(a.stdin.take());
    assert!(a.wait().unwrap().success());
    let r = report(&out);
    assert_eq!(r["records"]["read"], 20);
    let kept = records(&out.join("kept"));
    assert_eq!(kept.len(), 20);
    assert!(kept
        .iter()
        .all(|k| k["id"].as_str().unwrap().starts_with('a')));
    assert!(temps(&out).is_empty());
    // Once it is done, the directory is free again.
    run_to(&input, &out, &[]);
    assert_eq!(report(&out)["records"]["read"], 30);
    conserved_and_deterministic(&dir, &[s(&input)], Some(30));
}

#[test]
fn out_inside_the_input_directory_is_never_read_back() {
    let dir = scratch("fault_out_inside_input");
    let inp = dir.join("inp");
    std::fs::create_dir_all(&inp).unwrap();
    std::fs::write(inp.join("a.jsonl"), jsonl(25, "a")).unwrap();
    let out = inp.join("out");
    for round in 0..3 {
        run_to(&inp, &out, &[]);
        let r = report(&out);
        assert_eq!(r["records"]["read"], 25, "the old output was read back");
        assert_eq!(r["records"]["kept"], 25);
        let skipped = r["files_skipped"].as_array().unwrap();
        // The first run's --out did not exist yet when the input was walked.
        assert!(
            round == 0
                || skipped.iter().any(|k| k["reason"] == "rinse-output"
                    && k["path"].as_str().unwrap().ends_with("out")),
            "{skipped:?}"
        );
    }
    // Another run's output elsewhere under the input is skipped the same way.
    run_to(&inp.join("a.jsonl"), &inp.join("elsewhere"), &[]);
    let r = conserved_and_deterministic(&dir, &[s(&inp)], Some(25));
    assert_eq!(
        r["files_skipped"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|k| k["reason"] == "rinse-output")
            .count(),
        2
    );
}

#[test]
fn the_same_input_named_twice_is_read_once_with_a_warning() {
    let dir = scratch("fault_named_twice");
    let input = dir.join("a.jsonl");
    std::fs::write(&input, jsonl(10, "a")).unwrap();
    let out = dir.join("out");
    let o = rinse(&["run", s(&input), s(&input), "--out", s(&out)]);
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("warning") && err.contains("read once"),
        "{err}"
    );
    let r = report(&out);
    assert_eq!(r["records"]["read"], 10);
    assert_eq!(r["files_skipped"][0]["reason"], "duplicate-input");
    conserved_and_deterministic(&dir, &[s(&input), s(&input)], Some(10));
}

#[test]
fn kill_9_mid_run_then_a_new_run_removes_the_stale_temporaries() {
    let dir = scratch("fault_kill9");
    let out = dir.join("out");
    let mut child = stalled_run(&out, &no_dedup_config(&dir), &jsonl(20, "a"));
    signal(&child, "-KILL");
    let _ = child.wait();
    let stale = temps(&out);
    assert!(!stale.is_empty(), "kill -9 leaves the shard being written");
    assert!(!out.join("report.json").exists());
    let input = dir.join("b.jsonl");
    std::fs::write(&input, jsonl(30, "b")).unwrap();
    let o = rinse(&["run", s(&input), "--out", s(&out)]);
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("removed") && err.contains("earlier run"),
        "{err}"
    );
    assert!(
        temps(&out).is_empty(),
        "stale temporaries: {:?}",
        temps(&out)
    );
    assert_eq!(records(&out.join("kept")).len(), 30);
    conserved_and_deterministic(&dir, &[s(&input)], Some(30));
}

/// SIGINT and SIGTERM: exit 130 and 143, no temporary file left, the previous output
/// intact.
#[test]
fn sigint_and_sigterm_remove_every_temporary_file() {
    for (sig, code) in [("-INT", 130), ("-TERM", 143)] {
        let dir = scratch(&format!("fault_signal{sig}"));
        let out = dir.join("out");
        let input = dir.join("a.jsonl");
        std::fs::write(&input, jsonl(40, "a")).unwrap();
        run_to(&input, &out, &[]);
        let before = output_bytes(&out);
        let report_before = std::fs::read(out.join("report.json")).unwrap();
        // Dedup on, with a tiny memory budget: its spill files exist while it reads.
        let config = dir.join("spill.toml");
        std::fs::write(&config, "[dedup]\nmemory_mb = 0\n").unwrap();
        let mut child = stalled_run(&out, &config, &jsonl(3000, "b"));
        signal(&child, sig);
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "{sig}");
        assert!(temps(&out).is_empty(), "{sig}: left {:?}", temps(&out));
        assert_eq!(
            output_bytes(&out),
            before,
            "{sig}: the previous output changed"
        );
        assert_eq!(
            std::fs::read(out.join("report.json")).unwrap(),
            report_before
        );
        conserved_and_deterministic(&dir, &[s(&input)], Some(40));
    }
}

#[test]
fn a_run_that_keeps_nothing_exits_3_and_says_why() {
    let dir = scratch("fault_keeps_nothing");
    // A wrong --text-field.
    let input = dir.join("a.jsonl");
    std::fs::write(
        &input,
        (0..20)
            .map(|i| format!("{{\"id\":\"{i}\",\"content\":\"words here {i}\"}}\n"))
            .collect::<String>(),
    )
    .unwrap();
    let o = rinse(&["run", s(&input), "--out", s(&dir.join("o1"))]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--text-field") && err.contains("content"),
        "{err}"
    );
    assert!(err.contains("kept no record"), "{err}");
    assert_eq!(report(&dir.join("o1"))["records"]["rejected"], 20);
    // A pretty-printed JSON array in a .json file.
    let array = dir.join("b.json");
    let pretty = serde_json::to_string_pretty(&serde_json::json!([
        {"id": "1", "text": "hello there"},
        {"id": "2", "text": "and again"},
    ]))
    .unwrap();
    std::fs::write(&array, pretty).unwrap();
    let o = rinse(&["run", s(&array), "--out", s(&dir.join("o2"))]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("JSON array") && err.contains("jq"), "{err}");
    // An empty input keeps nothing either.
    let empty = dir.join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let o = rinse(&["run", s(&empty), "--out", s(&dir.join("o3")), "-q"]);
    assert_eq!(o.status.code(), Some(3));
}

#[test]
fn compressed_standard_input_is_recognised_and_decoded() {
    let dir = scratch("fault_compressed_stdin");
    let plain = jsonl(50, "z");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(plain.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    let zst = zstd_bytes(plain.as_bytes());
    let mut outputs = Vec::new();
    for (name, bytes) in [
        ("plain", plain.as_bytes().to_vec()),
        ("gz", gz),
        ("zst", zst),
    ] {
        let out = dir.join(name);
        let o = rinse_in(&["run", "-", "--out", s(&out), "-q"], Some(&bytes));
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(report(&out)["records"]["kept"], 50, "{name}");
        outputs.push(output_bytes(&out));
    }
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0], outputs[2]);
}

fn zstd_bytes(data: &[u8]) -> Vec<u8> {
    // The zstd command line tool may be missing; a misnamed file is decoded the same way,
    // so write one through rinse's own output: its zstd shards are a zstd stream.
    let dir = scratch("fault_zstd_source");
    let input = dir.join("in.jsonl");
    std::fs::write(&input, data).unwrap();
    let out = dir.join("out");
    run_to(
        &input,
        &out,
        &[
            "--compression",
            "zstd",
            "--config",
            s(&no_dedup_config(&dir)),
        ],
    );
    let z = std::fs::read(out.join("kept/00000.jsonl.zst")).unwrap();
    assert_eq!(&z[..4], &[0x28, 0xB5, 0x2F, 0xFD]);
    z
}

#[test]
fn out_naming_a_file_is_said_in_words() {
    let dir = scratch("fault_out_is_file");
    let input = dir.join("a.jsonl");
    std::fs::write(&input, jsonl(3, "a")).unwrap();
    let file = dir.join("notadir");
    std::fs::write(&file, "x").unwrap();
    let o = rinse(&["run", s(&input), "--out", s(&file)]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("exists and is not a directory"), "{err}");
    assert!(!err.contains("os error"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
}

#[cfg(unix)]
#[test]
fn symlink_loops_dangling_links_and_fifos_are_reported_not_fatal() {
    use std::os::unix::fs::symlink;
    let dir = scratch("fault_links");
    let inp = dir.join("inp");
    std::fs::create_dir_all(inp.join("sub")).unwrap();
    std::fs::write(inp.join("a.jsonl"), jsonl(5, "a")).unwrap();
    symlink(inp.join("nowhere.jsonl"), inp.join("dangling.jsonl")).unwrap();
    symlink(inp.join("loop2"), inp.join("loop1")).unwrap();
    symlink(inp.join("loop1"), inp.join("loop2")).unwrap();
    symlink(&inp, inp.join("sub/up")).unwrap();
    let fifo = inp.join("pipe.jsonl");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let out = dir.join("out");
    let o = rinse(&["run", s(&inp), "--out", s(&out), "-q"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r = report(&out);
    assert_eq!(r["records"]["read"], 5);
    let reasons: Vec<(String, String)> = r["files_skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            let p = k["path"].as_str().unwrap();
            (
                p.rsplit('/').next().unwrap().to_string(),
                k["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (name, reason) in [
        ("dangling.jsonl", "dangling-symlink"),
        ("loop1", "symlink-loop"),
        ("pipe.jsonl", "not-a-regular-file"),
        ("up", "directory-cycle"),
    ] {
        assert!(
            reasons.contains(&(name.to_string(), reason.to_string())),
            "{name} {reason}: {reasons:?}"
        );
    }
    // A loop named as the input: one short line.
    let o = rinse(&["run", s(&inp.join("loop1")), "--out", s(&dir.join("o2"))]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("symlink loop"), "{err}");
}

#[test]
fn a_byte_order_mark_at_the_start_of_a_file_is_skipped() {
    let dir = scratch("fault_bom");
    let input = dir.join("a.jsonl");
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(jsonl(4, "a").as_bytes());
    std::fs::write(&input, &bytes).unwrap();
    let txt = dir.join("t.txt");
    std::fs::write(&txt, b"\xEF\xBB\xBFA plain text document with a mark, and the river of the valley was near the harbour.").unwrap();
    let r = conserved_and_deterministic(&dir, &[s(&input), s(&txt)], Some(5));
    assert_eq!(r["records"]["kept"], 5, "{}", r["records"]);
    let kept = records(&dir.join("j1/kept"));
    assert_eq!(kept[0]["id"], "a0");
    assert!(kept[4]["text"].as_str().unwrap().starts_with("A plain"));
}

#[test]
fn a_record_over_max_doc_bytes_is_rejected_too_large_and_kept_whole() {
    let dir = scratch("fault_too_large");
    let input = dir.join("a.jsonl");
    let big = format!(
        "{{\"id\":\"big\",\"text\":\"{}\"}}\n",
        "many words ".repeat(2000)
    );
    std::fs::write(&input, format!("{}{big}", jsonl(3, "a"))).unwrap();
    let config = dir.join("limit.toml");
    std::fs::write(&config, "[input]\nmax_doc_bytes = 10000\n").unwrap();
    let r = conserved_and_deterministic(&dir, &[s(&input), "--config", s(&config)], Some(4));
    assert_eq!(r["records"]["rejected_by_reason"]["too-large"], 1);
    let rejected = records(&dir.join("j1/rejected"));
    assert_eq!(rejected[0]["reason"], "too-large");
    assert_eq!(
        format!("{}\n", rejected[0]["raw"].as_str().unwrap()),
        big,
        "the record is kept as it was read"
    );
}

/// What real exports contain: lone surrogates (Python's `json.dumps` of broken text),
/// numbers beyond f64, a byte order mark. Nothing is rejected for them, the text's
/// surrogates become U+FFFD (counted), every other field comes out as written.
#[test]
fn odd_json_of_real_exports_is_kept_as_written() {
    let dir = scratch("fault_odd_json");
    let input = dir.join("export.jsonl");
    let lines = [
        r#"{"id":"s1","text":"Broken \ud800 text from a scraper, and the river of the valley was near the harbour.","meta":"\udc00 raw"}"#,
        r#"{"id":12345678901234567890123,"text":"A number id that no float holds, and the market of the village was near the school.","big":12345678901234567890123,"huge":1e400,"neg":-0.0}"#,
    ];
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(lines.join("\n").as_bytes());
    std::fs::write(&input, bytes).unwrap();
    let r = conserved_and_deterministic(&dir, &[s(&input)], Some(2));
    assert_eq!(r["records"]["kept"], 2, "{}", r["records"]);
    assert_eq!(r["surrogates_replaced"], 1);
    let kept = std::fs::read_to_string(dir.join("j1/kept/00000.jsonl")).unwrap();
    let kept: Vec<&str> = kept.lines().collect();
    assert!(kept[0].contains("Broken \u{FFFD} text"), "{}", kept[0]);
    assert!(kept[0].ends_with(r#""meta":"\udc00 raw"}"#), "{}", kept[0]);
    assert!(
        kept[1].starts_with(r#"{"id":12345678901234567890123,"#),
        "{}",
        kept[1]
    );
    assert!(
        kept[1].ends_with(r#""big":12345678901234567890123,"huge":1e400,"neg":-0.0}"#),
        "{}",
        kept[1]
    );
}
