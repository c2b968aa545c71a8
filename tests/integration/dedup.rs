//! Dedup (issue 4): the quality bar on a small generated corpus with truth
//! (`tests/data/dedup/`, made by `make_corpus.py --size-mb 2 --seed 7`), nothing lost,
//! byte-identical output for any thread count and batch size, explain and report.
use crate::util::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn run_dedup(name: &str, extra: &[&str]) -> std::path::PathBuf {
    let out = scratch(name);
    run_to(&data("dedup/corpus.jsonl"), &out, extra);
    out
}

fn truth() -> Vec<Value> {
    std::fs::read_to_string(data("dedup/truth.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Rejected records by id, for the dedup reasons.
fn removed(out: &Path) -> BTreeMap<String, Value> {
    records(&out.join("rejected"))
        .into_iter()
        .filter(|r| r["reason"] == "exact-duplicate" || r["reason"] == "near-duplicate")
        .map(|r| (r["id"].as_str().unwrap().to_string(), r))
        .collect()
}

/// The bar with the default config (clean + dedup, what users run): exact recall
/// 1.0, near recall >= 0.90 and >= 0.99 at edit_rate <= 0.05, precision >= 0.995, no
/// original removed.
#[test]
fn dedup_meets_the_quality_bar_on_the_small_corpus() {
    let out = run_dedup("dedup_quality", &[]);
    check_quality(&out, None);
}

/// Dedup alone (clean off) also finds the harder near duplicates (truth J < 0.7). With the
/// cleaner in front, two of them fall below the thresholds on this corpus: the context
/// heuristic keeps a borderline line in one copy and drops it in the other.
#[test]
fn dedup_alone_finds_low_similarity_duplicates() {
    let cfg = data("dedup/dedup-only.toml");
    let out = run_dedup("dedup_quality_alone", &["--config", cfg.to_str().unwrap()]);
    check_quality(&out, Some(0.85));
}

fn check_quality(out: &Path, low_j_min: Option<f64>) {
    let removed = removed(out);
    let truth = truth();
    let dups: BTreeMap<&str, &Value> = truth
        .iter()
        .filter(|t| t["dup_of"].is_string())
        .map(|t| (t["id"].as_str().unwrap(), t))
        .collect();
    let originals: BTreeSet<&str> = dups
        .values()
        .map(|t| t["dup_of"].as_str().unwrap())
        .collect();
    let recall = |keep: &dyn Fn(&Value) -> bool| {
        let ids: Vec<&&str> = dups.keys().filter(|id| keep(dups[**id])).collect();
        assert!(!ids.is_empty());
        let hit = ids.iter().filter(|id| removed.contains_key(***id)).count();
        hit as f64 / ids.len() as f64
    };
    let exact = recall(&|t| t["kind"] == "exact");
    let near = recall(&|t| t["kind"] == "near");
    let light = recall(&|t| t["kind"] == "near" && t["edit_rate"].as_f64().unwrap() <= 0.05);
    let low_j = recall(&|t| t["kind"] == "near" && t["jaccard"].as_f64().unwrap() < 0.7);
    assert_eq!(exact, 1.0, "exact recall");
    assert!(near >= 0.90, "near recall {near}");
    assert!(light >= 0.99, "near recall at edit_rate <= 0.05: {light}");
    if let Some(min) = low_j_min {
        assert!(low_j >= min, "near recall below J 0.7: {low_j}");
    }
    let true_pos = removed
        .keys()
        .filter(|id| dups.contains_key(id.as_str()))
        .count();
    let precision = true_pos as f64 / removed.len() as f64;
    assert!(precision >= 0.995, "precision {precision}");
    let originals_removed: Vec<&String> = removed
        .keys()
        .filter(|id| originals.contains(id.as_str()))
        .collect();
    assert!(
        originals_removed.is_empty(),
        "originals removed: {originals_removed:?}"
    );
    // Every rejection names an earlier survivor and a measured similarity.
    for (id, r) in &removed {
        let of = r["dup_of"].as_str().unwrap();
        assert!(of < id.as_str(), "{id} dup_of {of}");
        let sim = r["similarity"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&sim), "{id} similarity {sim}");
        assert_eq!(r["stage"], "dedup");
        if r["reason"] == "exact-duplicate" {
            assert_eq!(sim, 1.0);
        }
    }
}

#[test]
fn nothing_is_lost_and_temporary_files_are_gone() {
    let out = run_dedup("dedup_nothing_lost", &[]);
    let input: Vec<String> = std::fs::read_to_string(data("dedup/corpus.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let mut seen: Vec<String> = records(&out.join("kept"))
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .chain(
            records(&out.join("rejected"))
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_string()),
        )
        .collect();
    seen.sort();
    let mut expected = input.clone();
    expected.sort();
    assert_eq!(seen, expected);
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("rinse") && n != ".rinse-output")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // Kept records stay in input order.
    let kept: Vec<String> = records(&out.join("kept"))
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    let mut sorted = kept.clone();
    sorted.sort();
    assert_eq!(kept, sorted);
}

#[test]
fn same_bytes_for_any_thread_count_and_batch_size() {
    let a = run_dedup(
        "dedup_det_a",
        &["--threads", "1", "--batch-size", "7", "--explain"],
    );
    let b = run_dedup(
        "dedup_det_b",
        &["--threads", "2", "--batch-size", "4096", "--explain"],
    );
    let small = data("dedup/memory-1mb.toml");
    let c = run_dedup(
        "dedup_det_c",
        &[
            "--threads",
            "2",
            "--batch-size",
            "33",
            "--explain",
            "--config",
            small.to_str().unwrap(),
        ],
    );
    let (oa, ob, oc) = (output_bytes(&a), output_bytes(&b), output_bytes(&c));
    assert!(oa.iter().map(|(_, b)| b.len()).sum::<usize>() > 1_000_000);
    assert!(
        oa == ob,
        "threads 1 / batch 7 differs from threads 2 / batch 4096"
    );
    assert!(
        ob == oc,
        "batch 4096 differs from batch 33 with 1 MB of dedup memory"
    );
    // The default budget holds every document in memory; 1 MB holds some, then spills.
    let index = |out: &Path| report(out)["sections"]["dedup"]["index"].clone();
    let (ib, ic) = (index(&b), index(&c));
    assert_eq!(ib["spill_file_bytes"], 0, "{ib}");
    assert!(
        ib["spill_memory_bytes"].as_u64().unwrap() > 1_000_000,
        "{ib}"
    );
    for key in [
        "spill_memory_bytes",
        "spill_file_bytes",
        "sketch_file_bytes",
    ] {
        assert!(ic[key].as_u64().unwrap() > 0, "{key}: {ic}");
    }
    assert!(
        ic["spill_memory_bytes"].as_u64().unwrap() <= 1 << 20,
        "{ic}"
    );
    assert_eq!(
        report(&a)["sections"]["dedup"]["removed"],
        report(&b)["sections"]["dedup"]["removed"]
    );
}

/// The LSH band keys and the passage occurrences go to hash partitions on disk; how many
/// changes where the work happens, never the output, the candidates or the passages
/// found, and no partition file stays behind.
#[test]
fn same_bytes_for_any_partition_count() {
    let base = run_dedup("dedup_parts_auto", &["--explain"]);
    let want = output_bytes(&base);
    let dedup = |out: &Path| report(out)["sections"]["dedup"].clone();
    let auto = dedup(&base);
    assert_eq!(auto["index"]["partitions"], 8, "{}", auto["index"]);
    assert!(auto["verified_pairs"].as_u64().unwrap() > 10, "{auto}");
    for parts in [1, 4, 64] {
        let dir = scratch(&format!("dedup_parts_cfg_{parts}"));
        std::fs::create_dir_all(&dir).unwrap();
        let cfg = dir.join("parts.toml");
        std::fs::write(&cfg, format!("[dedup]\npartitions = {parts}\n")).unwrap();
        let out = run_dedup(
            &format!("dedup_parts_{parts}"),
            &["--explain", "--config", cfg.to_str().unwrap()],
        );
        assert!(output_bytes(&out) == want, "{parts} partitions differ");
        let d = dedup(&out);
        assert_eq!(d["index"]["partitions"], parts);
        assert_eq!(d["candidate_pairs"], auto["candidate_pairs"], "{parts}");
        assert_eq!(d["verified_pairs"], auto["verified_pairs"], "{parts}");
        // The passage phase reduces the same partition count.
        let index = |d: &serde_json::Value, k: &str| d["index"][k].clone();
        assert_eq!(index(&d, "passage_hashes"), index(&auto, "passage_hashes"));
        assert_eq!(d["boilerplate_passages"], auto["boilerplate_passages"]);
        let left: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("rinse-dedup") || n.contains("rinse-tmp"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}

#[test]
fn too_many_partitions_is_a_config_error() {
    let err = config_error("dedup_parts_bad", "[dedup]\npartitions = 5000\n");
    assert!(err.contains("partitions must be at most 4096"), "{err}");
}

/// Run the dedup corpus with `toml` as config (in scratch dir `name`): it must stop with
/// exit code 2; returns standard error.
fn config_error(name: &str, toml: &str) -> String {
    let dir = scratch(name);
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("config.toml");
    std::fs::write(&cfg, toml).unwrap();
    let out = rinse(&[
        "run",
        data("dedup/corpus.jsonl").to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn explain_names_removed_passages_and_their_first_copy() {
    // Dedup alone, so the boilerplate lines are still there for it to find (the cleaner
    // removes most of them first in a default run).
    let cfg = data("dedup/dedup-only.toml");
    let out = run_dedup(
        "dedup_explain",
        &["--explain", "--config", cfg.to_str().unwrap()],
    );
    let kept = records(&out.join("kept"));
    let ids: BTreeSet<&str> = kept.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let mut rules: BTreeMap<String, usize> = BTreeMap::new();
    for rec in &kept {
        for rm in rec["rinse"]["removals"].as_array().unwrap() {
            let rule = rm["rule"].as_str().unwrap();
            *rules.entry(rule.to_string()).or_default() += 1;
            if rule == "dup-passage-exact" {
                let of = &rm["dup_of"];
                assert!(of["passage"].is_u64(), "{rm}");
                assert_eq!(of["similarity"], 1.0);
                assert!(of["doc"].as_str().unwrap() <= rec["id"].as_str().unwrap());
                // Repeats are long passages, and the text left does not contain it twice
                // unless it was the first copy.
                assert!(rm["text"].as_str().unwrap().split_whitespace().count() >= 10);
            }
            if rule == "dup-passage-near" {
                let of = &rm["dup_of"];
                assert!(of["passage"].is_u64(), "{rm}");
                let sim = of["similarity"].as_f64().unwrap();
                assert!(sim > 0.3 && sim <= 1.0, "{rm}");
            }
            if rule == "boilerplate-passage" {
                // keep = "none": the boilerplate line is gone from every kept text.
                let line = rm["text"].as_str().unwrap();
                assert!(
                    !rec["text"].as_str().unwrap().lines().any(|l| l == line),
                    "{line}"
                );
            }
        }
    }
    assert!(
        rules.get("boilerplate-passage").copied().unwrap_or(0) > 100,
        "{rules:?}"
    );
    assert!(ids.len() > 600);
    let rep = report(&out);
    let d = &rep["sections"]["dedup"];
    assert_eq!(
        d["removed"]["boilerplate-passage"]["passages"]
            .as_u64()
            .unwrap() as usize,
        rules["boilerplate-passage"]
    );
    assert_eq!(
        d["removed"]["dup-passage-exact"]["passages"]
            .as_u64()
            .unwrap() as usize,
        rules.get("dup-passage-exact").copied().unwrap_or(0)
    );
}

#[test]
fn report_counts_clusters_and_index_sizes() {
    let out = run_dedup("dedup_report", &[]);
    let rep = report(&out);
    let d = &rep["sections"]["dedup"];
    let by_reason = &rep["records"]["rejected_by_reason"];
    assert_eq!(
        d["removed"]["exact-duplicate"],
        by_reason["exact-duplicate"]
    );
    assert_eq!(d["removed"]["near-duplicate"], by_reason["near-duplicate"]);
    let sizes = d["clusters"]["sizes"].as_object().unwrap();
    let members: u64 = sizes
        .iter()
        .map(|(k, v)| k.parse::<u64>().unwrap() * v.as_u64().unwrap())
        .sum();
    let clusters: u64 = sizes.values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(clusters, d["clusters"]["count"].as_u64().unwrap());
    // Every cluster keeps exactly one document.
    let rejected = by_reason["exact-duplicate"].as_u64().unwrap()
        + by_reason["near-duplicate"].as_u64().unwrap();
    assert_eq!(members - clusters, rejected);
    let largest = d["clusters"]["largest"].as_array().unwrap();
    assert!(!largest.is_empty());
    assert_eq!(largest[0]["keep"], largest[0]["members"][0]);
    for key in [
        "passage_hashes",
        "partitions",
        "band_file_bytes",
        "pair_file_bytes",
        "signature_file_bytes",
        "spill_memory_bytes",
    ] {
        assert!(d["index"][key].as_u64().unwrap() > 0, "{key}");
    }
    assert!(rep["stages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["name"] == "dedup"));
}

#[test]
fn bands_times_rows_must_match_the_hash_count() {
    let err = config_error(
        "dedup_bad_config",
        "[dedup.document]\nnum_hashes = 128\nbands = 10\nrows = 3\n",
    );
    assert!(err.contains("bands") && err.contains("num_hashes"), "{err}");
}

#[test]
fn dedup_can_be_switched_off() {
    let dir = scratch("dedup_off_cfg");
    let cfg = dir.join("off.toml");
    std::fs::write(&cfg, "[dedup]\nenabled = false\n").unwrap();
    let out = run_dedup("dedup_off", &["--config", cfg.to_str().unwrap()]);
    assert!(removed(&out).is_empty());
    assert_eq!(records(&out.join("kept")).len(), 803);
}

#[test]
fn rejected_duplicates_keep_their_original_record() {
    let dir = scratch("dedup_original_record");
    let input = dir.join("in.jsonl");
    let text = "Der Rat tagte am Montag in Wien und beschloss neue Regeln für den Handel.";
    let lines = [
        serde_json::json!({"id": "a", "text": text, "n": 1}),
        // Normalizes to the same text (no-break space), so it is an exact duplicate.
        serde_json::json!({"id": "b", "text": text.replacen(' ', "\u{a0}", 1), "n": 2}),
    ];
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&input, body).unwrap();
    let out = dir.join("out");
    run_to(&input, &out, &[]);
    let rejected = records(&out.join("rejected"));
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["reason"], "exact-duplicate");
    assert_eq!(rejected[0]["dup_of"], "a");
    assert_eq!(rejected[0]["record"], lines[1]);
    let keys: Vec<_> = rejected[0]["record"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys, ["id", "text", "n"]);
}

#[test]
fn a_later_document_that_contains_an_earlier_one_is_kept() {
    // Containment is one-way: a later copy contained in an earlier document is a
    // duplicate, but a later document that merely contains a shorter earlier one
    // (J ≈ 0.42, the earlier one wholly inside it) holds new text and stays, both as a
    // document and as a passage.
    let dir = scratch("dedup_containment_direction");
    let cfg = dir.join("no-clean.toml");
    std::fs::write(&cfg, "[clean]\nenabled = false\n").unwrap();
    let words = |from: usize, to: usize| -> String {
        (from..to)
            .map(|i| format!("wort{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let short = words(0, 120);
    let long = format!("{short} {}", words(1000, 1160));
    let input = dir.join("in.jsonl");
    let body = format!(
        "{}\n{}\n",
        serde_json::json!({"id": "short", "text": short}),
        serde_json::json!({"id": "long", "text": long})
    );
    std::fs::write(&input, body).unwrap();
    let out = dir.join("out");
    run_to(
        &input,
        &out,
        &["--config", cfg.to_str().unwrap(), "--explain"],
    );
    let kept = records(&out.join("kept"));
    let ids: Vec<&str> = kept.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["short", "long"],
        "{:?}",
        records(&out.join("rejected"))
    );
    assert_eq!(kept[1]["text"], long.as_str());
    assert_eq!(kept[1]["rinse"]["removals"], serde_json::json!([]));
}

#[test]
fn documents_written_identically_are_exact_duplicates() {
    // The exact hash is taken of the text as written (blank lines tidied), so a copy that
    // differs only in blank lines is an exact duplicate, not a near one.
    let dir = scratch("dedup_exact_tidied");
    let cfg = dir.join("no-clean.toml");
    std::fs::write(&cfg, "[clean]\nenabled = false\n").unwrap();
    let p1 = "Der Stadtrat hat am Dienstag nach langer Debatte beschlossen, die Brücke über den Fluss im kommenden Jahr vollständig zu erneuern.";
    let p2 = "Die Arbeiten sollen im Frühjahr beginnen und werden nach Angaben der Verwaltung etwa zwei Jahre dauern, der Verkehr wird umgeleitet.";
    let input = dir.join("in.jsonl");
    let body = format!(
        "{}\n{}\n",
        serde_json::json!({"id": "a", "text": format!("\n{p1}\n\n\n\n{p2}\n\n")}),
        serde_json::json!({"id": "b", "text": format!("{p1}\n\n{p2}")})
    );
    std::fs::write(&input, body).unwrap();
    let out = dir.join("out");
    run_to(&input, &out, &["--config", cfg.to_str().unwrap()]);
    let kept = records(&out.join("kept"));
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["text"], format!("{p1}\n\n{p2}").as_str());
    let rejected = records(&out.join("rejected"));
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["id"], "b");
    assert_eq!(rejected[0]["reason"], "exact-duplicate");
}

/// Write `(id, text)` records as `DIR/in.jsonl`; returns its path.
fn write_docs<S: AsRef<str>>(dir: &Path, docs: &[(&str, S)]) -> std::path::PathBuf {
    let body: String = docs
        .iter()
        .map(|(id, t)| serde_json::json!({"id": id, "text": t.as_ref()}).to_string() + "\n")
        .collect();
    let input = dir.join("in.jsonl");
    std::fs::write(&input, body).unwrap();
    input
}

/// `n` pseudo-random words (a fixed vocabulary, so texts read as prose to no one but
/// differ everywhere).
fn words(seed: u64, n: usize) -> Vec<&'static str> {
    const V: [&str; 40] = [
        "river", "market", "council", "winter", "school", "harbour", "engine", "garden", "letter",
        "station", "village", "mountain", "teacher", "budget", "forest", "bridge", "doctor",
        "museum", "weather", "kitchen", "island", "factory", "library", "festival", "airport",
        "hospital", "election", "painting", "railway", "farmer", "journey", "castle", "theatre",
        "company", "student", "history", "science", "coffee", "window", "morning",
    ];
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            V[(state >> 33) as usize % V.len()]
        })
        .collect()
}

/// A table, a list or hard-wrapped text of short lines is compared on its word sequence:
/// the same 60 words as one paragraph and as ten lines of six (one word changed) are near
/// duplicates (issue 21: shingles used to stop at every line break, so such documents had
/// too few to be compared).
#[test]
fn line_structured_duplicates_are_caught() {
    let dir = scratch("dedup_lines");
    let a = words(1, 60);
    let mut b = a.clone();
    b[31] = "umbrella";
    let lines: Vec<String> = b.chunks(6).map(|c| c.join(" ")).collect();
    let other: Vec<String> = words(2, 60).chunks(6).map(|c| c.join(" ")).collect();
    let docs = [
        ("para", a.join(" ")),
        ("lines", lines.join("\n")),
        ("other", other.join("\n")),
    ];
    let input = write_docs(&dir, &docs);
    let config = data("dedup/dedup-only.toml");
    let out = dir.join("out");
    run_to(&input, &out, &["--config", config.to_str().unwrap()]);
    let gone = removed(&out);
    assert_eq!(gone.keys().collect::<Vec<_>>(), ["lines"], "{gone:?}");
    assert_eq!(gone["lines"]["reason"], "near-duplicate");
    assert_eq!(gone["lines"]["dup_of"], "para");
    // Without shingles across line breaks, the ten lines have too few to be compared.
    let off = dir.join("off.toml");
    std::fs::write(
        &off,
        std::fs::read_to_string(&config).unwrap()
            + "\n[dedup.document]\ncross_passage_shingles = false\n",
    )
    .unwrap();
    let out_off = dir.join("out-off");
    run_to(&input, &out_off, &["--config", off.to_str().unwrap()]);
    assert!(removed(&out_off).is_empty());
}

/// What cleaning leaves of different documents is not content: three market tables that
/// cleaning cuts down to the same closing note are not duplicates of each other (issue 21:
/// such residues were rejected as exact duplicates). Texts that differ only in case,
/// spacing or punctuation are.
#[test]
fn cleaning_residues_are_never_duplicates_and_exact_means_equal_words() {
    let dir = scratch("dedup_residues");
    let config = dir.join("tables.toml");
    std::fs::write(
        &config,
        "[clean]\nrule_sets = []\nmin_words = 1\n[clean.heuristic]\nenabled = false\n\
         [[clean.rules]]\nid = \"table-row\"\ncategory = \"table\"\npattern = \"^ROW .*$\"\n",
    )
    .unwrap();
    let table = |seed: u64| -> String {
        (0..12)
            .map(|i| format!("ROW {} {}\n", i, words(seed * 100 + i, 8).join(" ")))
            .collect()
    };
    let note = "Compiled by the markets desk.";
    let body = [
        ("t1", format!("{}{note}", table(1))),
        ("t2", format!("{}{note}", table(2))),
        ("t3", format!("{}{note}", table(3))),
        (
            "p1",
            words(7, 40).join(" ") + ".\nSecond line, of the story.",
        ),
        (
            "p2",
            words(7, 40).join(" ").to_uppercase() + "\nsecond line of the story!",
        ),
    ];
    let input = write_docs(&dir, &body);
    let out = dir.join("out");
    run_to(&input, &out, &["--config", config.to_str().unwrap()]);
    let gone = removed(&out);
    assert_eq!(gone.keys().collect::<Vec<_>>(), ["p2"], "{gone:?}");
    assert_eq!(gone["p2"]["reason"], "exact-duplicate");
    assert_eq!(gone["p2"]["dup_of"], "p1");
}

/// A later copy whose passages are all removed as repeats but for its headline and a
/// closing line is a stub of the earlier document: rejected with `dup_of` (issue 21).
#[test]
fn a_stub_left_by_passage_dedup_is_rejected_as_a_duplicate_of_its_source() {
    let dir = scratch("dedup_stub");
    // The stub repeats 3 of the original's 12 paragraphs: too small a part of it to be a
    // near duplicate (Jaccard about 0.25), and nearly all of what the stub has.
    let paragraphs: Vec<String> = (0..12).map(|i| words(20 + i, 30).join(" ") + ".").collect();
    let original = format!("First headline here\n{}", paragraphs.join("\n"));
    let stub = format!(
        "Another headline\n{}\nA closing line of its own.",
        paragraphs[..3].join("\n")
    );
    // A later document that repeats one paragraph but has plenty of its own stays.
    let own: Vec<String> = (0..5).map(|i| words(40 + i, 30).join(" ") + ".").collect();
    let quoting = format!("Third headline\n{}\n{}", paragraphs[2], own.join("\n"));
    let input = write_docs(
        &dir,
        &[("orig", original), ("stub", stub), ("quoting", quoting)],
    );
    let config = data("dedup/dedup-only.toml");
    let out = dir.join("out");
    run_to(&input, &out, &["--config", config.to_str().unwrap()]);
    let rejected = records(&out.join("rejected"));
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert_eq!(rejected[0]["id"], "stub");
    assert_eq!(rejected[0]["reason"], "duplicate-stub", "{}", rejected[0]);
    assert_eq!(rejected[0]["dup_of"], "orig");
    let kept: Vec<String> = records(&out.join("kept"))
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kept, ["orig", "quoting"]);
    assert_eq!(
        report(&out)["records"]["rejected_by_reason"]["duplicate-stub"],
        1
    );
}

/// Short items (about 20 words) that differ by one stray character are near duplicates;
/// a recurring short report with new figures and names is not (issue 21: documents under
/// 30 shingles were never compared).
#[test]
fn short_items_with_a_stray_character_are_duplicates_and_templates_with_new_figures_not() {
    let dir = scratch("dedup_short");
    let item = "Storm warnings were issued for the northern coast on Tuesday as forecasters \
                expected gales and heavy rain to reach the harbour towns by evening.";
    let stray = item.replace("heavy", "heavvy");
    let template = |co: &str, cts: u32, day: u32, rec: u32| {
        format!(
            "{co} said its board declared a quarterly dividend of {cts} cts per share, \
             payable April {day} to holders of record March {rec}, unchanged from before."
        )
    };
    let docs = [
        ("item", item.to_string()),
        ("stray", stray),
        ("t1", template("Acme Corp", 12, 1, 15)),
        ("t2", template("Borden Inc", 31, 14, 28)),
        ("t3", template("Cabot Ltd", 7, 30, 9)),
    ];
    let input = write_docs(&dir, &docs);
    let config = data("dedup/dedup-only.toml");
    let out = dir.join("out");
    run_to(&input, &out, &["--config", config.to_str().unwrap()]);
    let gone = removed(&out);
    assert_eq!(gone.keys().collect::<Vec<_>>(), ["stray"], "{gone:?}");
    assert_eq!(gone["stray"]["reason"], "near-duplicate");
    assert_eq!(gone["stray"]["dup_of"], "item");
}
