//! `rinse run`: the skeleton's invariants (issue 2) — nothing lost, deterministic,
//! clear errors without half-written output, formats and compression.
use crate::util::*;
use std::path::Path;

#[test]
fn seeds_are_kept_with_their_fields() {
    let out = scratch("seeds_kept");
    rinse_ok(&["run", s(&data("seeds")), "--out", s(&out), "-q"]);
    let kept = records(&out.join("kept"));
    assert_eq!(kept.len(), 5);
    for rec in &kept {
        let keys: Vec<_> = rec.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["id", "source", "text", "lang", "meta"]);
        assert_eq!(rec["source"], "seed-scrape");
        assert_eq!(rec["meta"]["topics"][0], "Nordkorea");
    }
    assert!(records(&out.join("rejected")).is_empty());
}

/// The output form README's "Output" states: compact, numbers and escapes as serde_json
/// writes them, a repeated key at its first position with its last value, a `rinse`
/// field of the input replaced in place; the same for the record inside a rejection.
#[test]
fn every_field_but_the_text_comes_out_byte_for_byte() {
    let dir = scratch("serde_form");
    let input = dir.join("in.jsonl");
    let lines = [
        r#"{"id": 7, "n": [1.0e5, -0, 1.50, 18446744073709551616], "s": "caf\u00e9 \/ \u001F", "text": "Ein Satz mit Text.\nUnd noch einer."}"#,
        r#"{ "id" : "dup" , "k" : 1 , "text" : "Erster Text hier." , "k" : { "a" : [ 1 , 2 ] } , "rinse" : 0 }"#,
        r#"{"id": "bad", "x": 2.50, "text": 42}"#,
    ];
    std::fs::write(&input, lines.join("\n")).unwrap();
    let out = dir.join("out");
    run_to(
        &input,
        &out,
        &["--explain", "--config", s(&data("dedup/dedup-only.toml"))],
    );
    let kept = std::fs::read_to_string(out.join("kept/00000.jsonl")).unwrap();
    let kept: Vec<&str> = kept.lines().collect();
    assert_eq!(
        kept[0],
        r#"{"id":7,"n":[1.0e5, -0, 1.50, 18446744073709551616],"s":"caf\u00e9 \/ \u001F","text":"Ein Satz mit Text.\nUnd noch einer.","rinse":{"lang":null,"removals":[]}}"#
    );
    assert_eq!(
        kept[1],
        r#"{"id":"dup","k":{ "a" : [ 1 , 2 ] },"text":"Erster Text hier.","rinse":{"lang":null,"removals":[]}}"#
    );
    let rejected = std::fs::read_to_string(out.join("rejected/00000.jsonl")).unwrap();
    assert_eq!(
        rejected.trim_end(),
        r#"{"reason":"non-string-text","stage":"read","origin":"#.to_string()
            + &serde_json::to_string(&format!("{}:3", input.display())).unwrap()
            + r#","id":"bad","detail":"record has a non-string `text` field","record":{"id":"bad","x":2.50,"text":42}}"#
    );
}

/// Records in the mixed fixture: non-blank JSONL lines plus one per .txt file.
fn mixed_input_records() -> usize {
    let a = std::fs::read(data("mixed/a.jsonl")).unwrap();
    let jsonl = a
        .split(|&b| b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .count();
    jsonl + 2 /* b.jsonl.gz */ + 1 /* c.txt */ + 1 /* sub/d.jsonl.zst */
}

#[test]
fn nothing_lost_on_mixed_input() {
    let out = scratch("mixed");
    rinse_ok(&["run", s(&data("mixed")), "--out", s(&out), "-q"]);
    let kept = records(&out.join("kept"));
    let rejected = records(&out.join("rejected"));
    assert_eq!(kept.len() + rejected.len(), mixed_input_records());
    let report = report(&out);
    let r = &report["records"];
    assert_eq!(r["read"].as_u64().unwrap() as usize, mixed_input_records());
    assert_eq!(
        r["read"],
        r["kept"].as_u64().unwrap() + r["rejected"].as_u64().unwrap()
    );
    assert_eq!(r["kept"].as_u64().unwrap() as usize, kept.len());
    assert_eq!(report["blank_lines_skipped"], 1);
    assert!(report["files_skipped"][0]["path"]
        .as_str()
        .unwrap()
        .ends_with("notes.md"));
    assert_eq!(report["files_skipped"][0]["reason"], "unknown-extension");
    // Every rejection names reason, stage and origin; the golden file pins them.
    let summary: String = rejected
        .iter()
        .map(|r| {
            let origin = r["origin"].as_str().unwrap();
            let origin = &origin[origin.rfind("mixed/").unwrap()..];
            let has = if r.get("record").is_some() {
                "record"
            } else {
                "raw"
            };
            format!(
                "{origin} {} {} {has}\n",
                r["stage"].as_str().unwrap(),
                r["reason"].as_str().unwrap()
            )
        })
        .collect();
    golden("golden/mixed-rejected.txt", &summary);
    let ids: Vec<String> = kept
        .iter()
        .map(|k| k.get("id").map_or("-".into(), |v| v.to_string()))
        .collect();
    golden("golden/mixed-kept-ids.txt", &(ids.join("\n") + "\n"));
}

#[test]
fn record_without_id_passes_through_without_one() {
    let out = scratch("no_id");
    let input = br#"{"text":"Ohne Id.","extra":true}"#;
    let o = rinse_in(
        &["run", "-", "--out", s(&out), "-q", "--explain"],
        Some(input),
    );
    assert!(o.status.success());
    let kept = records(&out.join("kept"));
    assert_eq!(kept.len(), 1);
    assert!(
        kept[0].get("id").is_none(),
        "no id is invented in the record itself"
    );
    assert_eq!(kept[0]["extra"], true);
}

/// Lines whose fields are not in serde_json's form (numbers, repeated keys, escapes in
/// other fields and in the text, spacing), kept, rejected on reading, and an exact
/// duplicate rejected by dedup after the spill.
const REWRITTEN_LINES: [&str; 7] = [
    r#"{"id": "odd-1", "n": [1.0e3, -0, 1.50, 18446744073709551616, 1E-7], "s": "caf\u00e9 \/ \u001F", "text": "Der Gemeinderat hat am Dienstag einen neuen Haushalt beschlossen. Die Ausgaben f\u00fcr Schulen und Stra\u00dfen steigen deutlich.\nDer B\u00fcrgermeister sprach von einem guten Kompromiss f\u00fcr alle Beteiligten im Ort."}"#,
    r#"{ "id" : "odd-2" , "k" : 1 , "text" : "Die Wetterdienste erwarten f\u00fcr das Wochenende kr\u00e4ftigen Regen im Norden.\u00a0Im S\u00fcden bleibt es dagegen trocken und mild.\r\nAutofahrer sollten sich auf Aquaplaning einstellen, warnt die Polizei \/ Verkehrswacht." , "k" : { "a" : [ 1 , 2 ] } , "rinse" : 0 }"#,
    r#"{"id": "odd-3", "meta": {"x": 2.50, "y": "\u0041\/B"}, "text": "Ein Verein aus der Stadt hat ein Fest f\u00FCr Kinder organisiert. \u0041uf dem Programm stehen Spiele, Musik und ein Theaterst\u00fcck.\nDie Veranstalter rechnen mit mehreren hundert Besuchern am Samstag.", "id": "odd-3b"}"#,
    r#"{"id": "odd-4", "n": -0.0, "text": "Der Gemeinderat hat am Dienstag einen neuen Haushalt beschlossen. Die Ausgaben f\u00fcr Schulen und Stra\u00dfen steigen deutlich.\nDer B\u00fcrgermeister sprach von einem guten Kompromiss f\u00fcr alle Beteiligten im Ort."}"#,
    r#"{"id": "odd-5", "x": 2.50, "text": 42}"#,
    r#"[1, 2.0e1, "\u0041"]"#,
    r#"{"id":"odd-6","text":"Die Wetterdienste erwarten f\u00fcr das Wochenende kr\u00e4ftigen Regen im Norden.\u00a0Im S\u00fcden bleibt es dagegen trocken und mild.\r\nAutofahrer sollten sich auf Aquaplaning einstellen, warnt die Polizei \/ Verkehrswacht."}"#,
];

#[test]
fn same_bytes_for_one_and_two_threads_and_any_batch_size() {
    let odd = scratch("det_input").join("rewritten.jsonl");
    std::fs::write(&odd, REWRITTEN_LINES.join("\n")).unwrap();
    let mut outputs = Vec::new();
    for (name, threads, batch) in [("t1", "1", "4096"), ("t2", "2", "4096"), ("t2b1", "2", "1")] {
        let out = scratch(&format!("det_{name}"));
        rinse_ok(&[
            "run",
            s(&data("seeds")),
            s(&data("mixed")),
            s(&odd),
            "--out",
            s(&out),
            "-q",
            "--explain",
            "--threads",
            threads,
            "--batch-size",
            batch,
        ]);
        outputs.push(output_bytes(&out));
    }
    assert!(!outputs[0].is_empty());
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0], outputs[2]);
    // The odd lines are in it: every field but the text as written, and the duplicates
    // rejected by dedup.
    let all: Vec<u8> = outputs[0].iter().flat_map(|(_, b)| b.clone()).collect();
    let all = String::from_utf8(all).unwrap();
    for want in [
        r#"{"id":"odd-1","n":[1.0e3, -0, 1.50, 18446744073709551616, 1E-7],"s":"caf\u00e9 \/ \u001F","text":"#,
        r#"{"id":"odd-2","k":{ "a" : [ 1 , 2 ] },"text":"#,
        r#"{"id":"odd-3b","meta":{"x": 2.50, "y": "\u0041\/B"},"text":"#,
        r#""dup_of":"odd-1""#,
        r#""dup_of":"odd-2""#,
    ] {
        assert!(all.contains(want), "{want}");
    }
}

#[test]
fn annotate_then_apply_equals_clean() {
    let clean = scratch("annot_clean");
    let annot = scratch("annot_only");
    rinse_ok(&[
        "run",
        s(&data("seeds")),
        "--out",
        s(&clean),
        "-q",
        "--explain",
    ]);
    rinse_ok(&[
        "run",
        s(&data("seeds")),
        "--out",
        s(&annot),
        "-q",
        "--annotate-only",
    ]);
    let cleaned = records(&clean.join("kept"));
    let annotated = records(&annot.join("kept"));
    assert_eq!(cleaned.len(), annotated.len());
    for (c, a) in cleaned.iter().zip(&annotated) {
        let text = a["text"].as_str().unwrap();
        let removals: Vec<rinse::Removal> = a["rinse"]["removals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let (start, end) = (
                    r["start"].as_u64().unwrap() as usize,
                    r["end"].as_u64().unwrap() as usize,
                );
                assert_eq!(
                    &text[start..end],
                    r["text"].as_str().unwrap(),
                    "explained text matches range"
                );
                rinse::Removal {
                    start,
                    end,
                    rule: r["rule"].as_str().unwrap().into(),
                    category: r["category"].as_str().unwrap().into(),
                    dup_of: None,
                }
            })
            .collect();
        assert_eq!(
            rinse::document::apply_removals(text, &removals),
            c["text"].as_str().unwrap()
        );
        assert_eq!(c["rinse"], a["rinse"]);
    }
}

#[test]
fn compressed_outputs_hold_the_same_records() {
    let plain = scratch("comp_none");
    rinse_ok(&["run", s(&data("mixed")), "--out", s(&plain), "-q"]);
    let expected = std::fs::read(plain.join("kept/00000.jsonl")).unwrap();
    for (kind, file) in [("gzip", "00000.jsonl.gz"), ("zstd", "00000.jsonl.zst")] {
        let out = scratch(&format!("comp_{kind}"));
        rinse_ok(&[
            "run",
            s(&data("mixed")),
            "--out",
            s(&out),
            "-q",
            "--compression",
            kind,
        ]);
        let raw = std::fs::read(out.join("kept").join(file)).unwrap();
        let mut decoded = Vec::new();
        use std::io::Read;
        if kind == "gzip" {
            flate2::read::GzDecoder::new(&raw[..])
                .read_to_end(&mut decoded)
                .unwrap();
        } else {
            decoded = zstd::decode_all(&raw[..]).unwrap();
        }
        assert_eq!(decoded, expected, "{kind}");
    }
}

#[test]
fn shards_split_by_size_and_stale_shards_are_removed() {
    let out = scratch("shards");
    rinse_ok(&[
        "run",
        s(&data("seeds")),
        "--out",
        s(&out),
        "-q",
        "--shard-size",
        "100",
    ]);
    let n = std::fs::read_dir(out.join("kept")).unwrap().count();
    assert_eq!(
        n, 5,
        "each seed record exceeds 100 bytes, so one shard each"
    );
    assert_eq!(records(&out.join("kept")).len(), 5);
    rinse_ok(&["run", s(&data("seeds")), "--out", s(&out), "-q"]);
    let names: Vec<_> = std::fs::read_dir(out.join("kept"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["00000.jsonl"]);
    assert_eq!(records(&out.join("kept")).len(), 5);
}

#[test]
fn txt_documents_get_relative_path_ids() {
    let out = scratch("txt_ids");
    rinse_ok(&["run", s(&data("seeds-txt")), "--out", s(&out), "-q"]);
    let ids: Vec<_> = records(&out.join("kept"))
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        ids,
        [
            "news-000.txt",
            "news-001.txt",
            "news-002.txt",
            "news-003.txt",
            "news-004.txt"
        ]
    );
}

#[test]
fn custom_fields_are_used() {
    let out = scratch("fields");
    let input = br#"{"doc":"x1","body":"Hallo Welt.","text":"unverandert"}"#;
    let o = rinse_in(
        &[
            "run",
            "-",
            "--out",
            s(&out),
            "-q",
            "--text-field",
            "body",
            "--id-field",
            "doc",
            "--explain",
        ],
        Some(input),
    );
    assert!(o.status.success());
    let kept = records(&out.join("kept"));
    assert_eq!(kept[0]["text"], "unverandert");
    assert_eq!(kept[0]["body"], "Hallo Welt.");
}

fn assert_fails_cleanly(args: &[&str], needle: &str, out: &Path) {
    let o = rinse(args);
    assert_eq!(o.status.code(), Some(2), "{args:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.starts_with("rinse: "), "{err}");
    assert!(err.contains(needle), "error should name {needle}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one-line error: {err}");
    for sub in ["kept", "rejected"] {
        if let Ok(dir) = std::fs::read_dir(out.join(sub)) {
            let left: Vec<_> = dir.map(|e| e.unwrap().file_name()).collect();
            assert!(left.is_empty(), "no output files left behind: {left:?}");
        }
    }
    assert!(!out.join("report.json").exists());
}

#[test]
fn missing_input_is_a_clear_error() {
    let out = scratch("err_missing").join("out");
    assert_fails_cleanly(
        &["run", "no/such/file.jsonl", "--out", s(&out)],
        "no/such/file.jsonl",
        &out,
    );
    assert!(!out.exists(), "nothing created before inputs are checked");
}

#[test]
fn unknown_extension_named_explicitly_is_an_error() {
    let out = scratch("err_ext").join("out");
    let md = data("mixed/notes.md");
    assert_fails_cleanly(&["run", s(&md), "--out", s(&out)], "notes.md", &out);
}

#[test]
fn unwritable_output_dir_is_a_clear_error() {
    let dir = scratch("err_unwritable");
    let file = dir.join("a-file");
    std::fs::write(&file, "x").unwrap();
    let out = file.join("out");
    assert_fails_cleanly(
        &["run", s(&data("seeds")), "--out", s(&out)],
        "a-file",
        &out,
    );
}

#[test]
fn bad_config_names_the_key() {
    let dir = scratch("err_config");
    let cfg = dir.join("bad.toml");
    std::fs::write(&cfg, "[normalize]\nnfc = true\nnfkc = true\n").unwrap();
    let out = dir.join("out");
    assert_fails_cleanly(
        &[
            "run",
            s(&data("seeds")),
            "--out",
            s(&out),
            "--config",
            s(&cfg),
        ],
        "nfkc",
        &out,
    );
    assert!(!out.exists());
    let o = rinse(&["config", "--config", s(&cfg)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("bad.toml"));
}

#[test]
fn corrupt_compressed_input_leaves_no_output() {
    let dir = scratch("err_corrupt");
    let mut gz = Vec::new();
    {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::default());
        for i in 0..2000 {
            writeln!(enc, r#"{{"id":"{i}","text":"Zeile {i} mit etwas Text, der sich nicht gut komprimiert {}."}}"#, i * 7919).unwrap();
        }
        enc.finish().unwrap();
    }
    let cut = gz.len() / 2;
    for b in &mut gz[cut..cut + 64] {
        *b ^= 0x5a;
    }
    let input = dir.join("broken.jsonl.gz");
    std::fs::write(&input, &gz).unwrap();
    let out = dir.join("out");
    assert_fails_cleanly(
        &["run", s(&input), "--out", s(&out), "--batch-size", "10"],
        "broken.jsonl.gz",
        &out,
    );
    let leftovers: Vec<_> = walk_files(&out);
    assert!(
        leftovers.is_empty(),
        "temporary files removed: {leftovers:?}"
    );
}

fn walk_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(walk_files(&p));
            } else if p.file_name().is_some_and(|n| n == ".rinse-output") {
                // The directory's marker and lock: it says rinse wrote here, not a file
                // of output.
            } else {
                out.push(p.display().to_string());
            }
        }
    }
    out
}

#[test]
fn config_prints_the_effective_config() {
    let printed = rinse_ok(&["config"]);
    let cfg = rinse::Config::parse(&printed, "printed").unwrap();
    assert_eq!(cfg, rinse::Config::embedded().unwrap());
    let default = rinse_ok(&["config", "--default"]);
    assert_eq!(default, rinse::config::DEFAULT_TOML);
}

#[test]
fn report_has_stage_times_version_and_fingerprint() {
    let out = scratch("report_fields");
    rinse_ok(&["run", s(&data("seeds")), "--out", s(&out), "-q", "-j", "1"]);
    let r = report(&out);
    assert_eq!(r["rinse_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(r["threads"], 1);
    assert_eq!(
        r["config_fingerprint"].as_str().unwrap(),
        rinse::Config::embedded().unwrap().fingerprint()
    );
    let names: Vec<_> = r["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(&names[..2], ["normalize", "clean"]);
    assert_eq!(r["stages"][0]["docs_in"], 5);
    assert!(r["bytes"]["text_in"].as_u64().unwrap() >= r["bytes"]["text_out"].as_u64().unwrap());
}

#[test]
fn summary_goes_to_stderr_unless_quiet() {
    let out = scratch("summary");
    let o = rinse(&["run", s(&data("seeds")), "--out", s(&out)]);
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("read 5 records"), "{err}");
    assert!(o.stdout.is_empty());
    let o = rinse(&["run", s(&data("seeds")), "--out", s(&out), "-q"]);
    assert!(o.stderr.is_empty());
}
