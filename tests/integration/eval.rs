//! `rinse eval` (issue 5): the metric agrees with the reference scorer
//! (`tests/tools/score_clean.py`), attribution and ablation on a hand-checked config, two
//! configs side by side, per-document output, and clear errors.
use crate::util::*;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn path(rel: &str) -> String {
    data(rel).to_str().unwrap().to_string()
}

/// `rinse eval --json` with `args`, parsed.
fn eval_json(args: &[&str]) -> Value {
    let mut all = vec!["eval", "--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&rinse_ok(&all)).unwrap()
}

/// tp/fp/fn/tn as the reference scorer counts them on rinse run's kept output.
fn scorer_counts(gold: &str, docs: &str, config: Option<&str>, name: &str) -> [u64; 4] {
    let out = scratch(name);
    let mut args = vec!["run", docs, "--out", out.to_str().unwrap(), "-q"];
    if let Some(c) = config {
        args.extend(["--config", c]);
    }
    rinse_ok(&args);
    let summary = out.join("summary.json");
    let scorer = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/score_clean.py");
    let status = Command::new("python3")
        .arg(&scorer)
        .arg(gold)
        .arg(out.join("kept/00000.jsonl"))
        .arg("--json")
        .arg(&summary)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("python3 is needed to run the reference scorer");
    assert!(status.success(), "score_clean.py failed");
    let s: Value = serde_json::from_str(&std::fs::read_to_string(summary).unwrap()).unwrap();
    ["tp", "fp", "fn", "tn"].map(|k| s[k].as_u64().unwrap())
}

/// A config in `dir` that runs exactly `rules` (`[[clean.rules]]` tables) with
/// `min_words`, and nothing else: no built-in rule sets, no heuristic, and dedup off, so
/// `rinse run` writes what `rinse eval` scores. Returns the path.
fn only_rules(dir: &Path, name: &str, rules: &str, min_words: usize) -> String {
    let mut toml = format!("[clean]\nmin_words = {min_words}\nrule_sets = []\n");
    toml.push_str("\n[clean.heuristic]\nenabled = false\n");
    toml.push_str("\n[dedup]\nenabled = false\n\n");
    toml.push_str(rules);
    let path = dir.join(name);
    std::fs::write(&path, toml).unwrap();
    path.to_str().unwrap().to_string()
}

/// [`only_rules`] with the rules of the fixture `tests/data/eval/<fixture>`.
fn only_rules_of(dir: &Path, name: &str, fixture: &str, min_words: usize) -> String {
    let rules = std::fs::read_to_string(data("eval").join(fixture)).unwrap();
    only_rules(dir, name, &rules, min_words)
}

fn counts(c: &Value) -> [u64; 4] {
    ["tp", "fp", "fn", "tn"].map(|k| c[k].as_u64().unwrap())
}

#[test]
fn seeds_scores_agree_with_the_reference_scorer() {
    // The embedded default, the default plus the lines-a rules, and the same with dedup:
    // rinse run writes the output, score_clean.py scores it, rinse eval must agree.
    let gold = path("gold/seeds.gold.jsonl");
    let docs = path("seeds/seeds.jsonl");
    let dir = scratch("eval_seeds_configs");
    let lines_a = std::fs::read_to_string(data("eval/lines-a.toml")).unwrap();
    let config = |name: &str, dedup: bool, rules: &str| {
        let p = dir.join(name);
        std::fs::write(&p, format!("[dedup]\nenabled = {dedup}\n\n{rules}")).unwrap();
        p.to_str().unwrap().to_string()
    };
    let plain = config("default.toml", false, "");
    let rules = config("lines-a.toml", false, &lines_a);
    let dedup = config("lines-a-dedup.toml", true, &lines_a);
    let identity = scorer_counts(&gold, &docs, Some(&plain), "eval_seeds_default");
    let cleaned = scorer_counts(&gold, &docs, Some(&rules), "eval_seeds_rules");
    let deduped = scorer_counts(&gold, &docs, Some(&dedup), "eval_seeds_dedup");
    // The rules really change the output, so the comparisons mean something.
    assert_ne!(identity, cleaned);
    let ev = eval_json(&["--gold", &gold, "--config", &plain, &docs]);
    assert_eq!(counts(&ev["configs"][0]), identity);
    let ev = eval_json(&["--gold", &gold, "--config", &rules, &docs]);
    assert_eq!(counts(&ev["configs"][0]), cleaned);
    let ev = eval_json(&["--gold", &gold, "--config", &dedup, "--with-dedup", &docs]);
    assert_eq!(counts(&ev["configs"][0]), deduped);
}

#[test]
fn tricky_case_agrees_with_the_reference_scorer() {
    // Python's whitespace (U+001C-U+001F count), soft hyphens, an empty snippet, a
    // document rejected as too short, one with null text, one only whitespace, one
    // missing from DOCS and one not in the gold file.
    let gold = path("eval/tricky.gold.jsonl");
    let docs = path("eval/tricky.docs.jsonl");
    let config = only_rules_of(
        &scratch("eval_tricky_config"),
        "tricky.toml",
        "tricky.rules.toml",
        2,
    );
    let want = scorer_counts(&gold, &docs, Some(&config), "eval_tricky");
    assert_eq!(want, [4, 1, 6, 5]);
    let out = rinse(&[
        "eval", "--json", "--gold", &gold, "--config", &config, &docs,
    ]);
    assert!(out.status.success());
    let ev: Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &ev["configs"][0];
    assert_eq!(counts(c), want);
    assert_eq!(ev["gold"]["missing_from_docs"], serde_json::json!(["t4"]));
    assert_eq!(c["docs"]["extra"], 1);
    assert_eq!(c["docs"]["gold_rejected"]["too-short"], 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: 1 of 6 gold ids have no document in DOCS"),
        "{stderr}"
    );
    // The too-short document's snippets are blamed on the rule that emptied it.
    let rule = &c["rules"][0];
    assert_eq!(
        (
            rule["id"].as_str(),
            rule["good"].as_u64(),
            rule["bad"].as_u64()
        ),
        (Some("t-one-word"), Some(3), Some(2))
    );
}

#[test]
fn attribution_and_ablation_on_a_small_config() {
    let mini = only_rules_of(
        &scratch("eval_attribution"),
        "mini.toml",
        "mini.rules.toml",
        1,
    );
    let ev = eval_json(&[
        "--gold",
        &path("eval/mini.gold.jsonl"),
        "--config",
        &mini,
        "--ablate",
        &path("eval/mini.docs.jsonl"),
    ]);
    let c = &ev["configs"][0];
    assert_eq!(counts(c), [3, 0, 2, 4]);
    assert!((c["f1"].as_f64().unwrap() - 0.75).abs() < 1e-12);
    let rows: Vec<(String, u64, u64)> = c["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["good"].as_u64().unwrap(),
                r["bad"].as_u64().unwrap(),
            )
        })
        .collect();
    let want = [("t-one-word", 1, 2), ("t-unused", 0, 0), ("t-credit", 2, 0)];
    assert_eq!(rows, want.map(|(a, b, c)| (a.to_string(), b, c)));
    assert!((c["rules"][0]["precision"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-12);
    assert!(c["rules"][1]["precision"].is_null());
    assert_eq!(c["other_causes"]["not-in-input"]["without"], 1);
    // one-word off: tp 5 fp 1 fn 0 -> 10/11; credit off: tp 3 fp 2 fn 2 -> 0.6.
    let abl: Vec<(String, f64)> = c["ablation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["rule"].as_str().unwrap().to_string(),
                r["f1_without"].as_f64().unwrap(),
            )
        })
        .collect();
    let names: Vec<&str> = abl.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["t-one-word", "t-unused", "t-credit"]);
    for ((_, got), want) in abl.iter().zip([10.0 / 11.0, 0.75, 0.6]) {
        assert!((got - want).abs() < 1e-12, "{abl:?}");
    }
}

#[test]
fn rule_shows_its_bad_removals_in_context() {
    let mini = only_rules_of(&scratch("eval_rule"), "mini.toml", "mini.rules.toml", 1);
    let text = rinse_ok(&[
        "eval",
        "--gold",
        &path("eval/mini.gold.jsonl"),
        "--config",
        &mini,
        "--rule",
        "t-one-word",
        "--context",
        "1",
        &path("eval/mini.docs.jsonl"),
    ]);
    assert!(
        text.contains("rule t-one-word damaged 2 `with` snippets:"),
        "{text}"
    );
    assert!(
        text.contains("  -     1 | [-Short-]\n        2 | Body text that is long enough.\n\n"),
        "{text}"
    );
    assert!(
        text.ends_with("with: \"Headline\"\n  -     1 | [-Headline-]\n        2 | Foto: dpa\n"),
        "{text}"
    );
    let out = rinse(&[
        "eval",
        "--gold",
        &path("eval/mini.gold.jsonl"),
        "--config",
        &mini,
        "--rule",
        "no-such-rule",
        &path("eval/mini.docs.jsonl"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-rule"));
}

#[test]
fn two_configs_side_by_side() {
    let dir = scratch("eval_two_configs");
    let mini = only_rules_of(&dir, "mini.toml", "mini.rules.toml", 1);
    let lines_b = only_rules_of(&dir, "lines-b.toml", "lines-b.toml", 1);
    let gold = path("eval/mini.gold.jsonl");
    let docs = path("eval/mini.docs.jsonl");
    let text = rinse_ok(&[
        "eval", "--gold", &gold, "--config", &mini, "--config", &lines_b, &docs,
    ]);
    let header = text.lines().find(|l| l.starts_with("config")).unwrap();
    let cols: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(cols, ["config", "P", "R", "Acc", "F1", "docs", "MB/s"]);
    let row = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .unwrap()
            .split_whitespace()
            .take(6)
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(row(&mini), format!("{mini} 1.000 0.600 0.778 0.750 2"));
    // lines-b removes nothing here: the identity score, 5 of 5 kept and 3 of 4 debris leaked.
    assert_eq!(
        row(&lines_b),
        format!("{lines_b} 0.625 1.000 0.667 0.769 2")
    );
    let ev = eval_json(&["--gold", &gold, "--config", &mini, "--config", &mini, &docs]);
    assert_eq!(ev["configs"].as_array().unwrap().len(), 2);
    assert_eq!(counts(&ev["configs"][0]), counts(&ev["configs"][1]));
}

#[test]
fn per_doc_lists_misses_worst_first() {
    let dir = scratch("eval_per_doc");
    let file = dir.join("per-doc.jsonl");
    let identity = only_rules(&dir, "identity.toml", "", 1);
    rinse_ok(&[
        "eval",
        "--gold",
        &path("eval/mini.gold.jsonl"),
        "--config",
        &identity,
        "--per-doc",
        file.to_str().unwrap(),
        &path("eval/mini.docs.jsonl"),
    ]);
    let rows: Vec<Value> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Gold order is m2, m1; with nothing removed m1 leaks two debris snippets, m2 one.
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["m1", "m2"]);
    assert_eq!(
        rows[0]["leaked_without"],
        serde_json::json!(["Foto: dpa", "Teilen"])
    );
    assert_eq!(rows[0]["config"], identity.as_str());
    assert_eq!(rows[1]["fp"], 1);
}

#[test]
fn with_dedup_scores_the_pipelines_output() {
    let mini = only_rules_of(
        &scratch("eval_with_dedup"),
        "mini.toml",
        "mini.rules.toml",
        1,
    );
    let args = [
        "--gold",
        &path("eval/mini.gold.jsonl"),
        "--config",
        &mini,
        &path("eval/mini.docs.jsonl"),
    ];
    let plain = eval_json(&args);
    let mut with = args.to_vec();
    with.push("--with-dedup");
    let deduped = eval_json(&with);
    // The mini documents share no passage: dedup changes nothing, attribution included.
    assert_eq!(counts(&deduped["configs"][0]), counts(&plain["configs"][0]));
    assert_eq!(deduped["configs"][0]["rules"][0]["bad"], 2);
}

#[test]
fn gold_errors_name_the_file_and_line() {
    let dir = scratch("eval_errors");
    let docs = path("eval/mini.docs.jsonl");
    let missing = dir.join("nope.jsonl");
    let out = rinse(&["eval", "--gold", missing.to_str().unwrap(), &docs]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot read gold file") && err.contains("nope.jsonl"),
        "{err}"
    );
    let bad = dir.join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"id\":\"m1\",\"with\":[]}\n{\"id\": \"m2\", \"with\": [\n",
    )
    .unwrap();
    let out = rinse(&["eval", "--gold", bad.to_str().unwrap(), &docs]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.jsonl:2: invalid JSON"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_gold_id_kept_twice_is_an_error() {
    let docs = path("eval/mini.docs.jsonl");
    let identity = only_rules(&scratch("eval_kept_twice"), "identity.toml", "", 1);
    let gold = path("eval/mini.gold.jsonl");
    // The same documents in a second file (a file named twice is read once).
    let copy = scratch("eval_kept_twice_copy").join("copy.jsonl");
    std::fs::copy(&docs, &copy).unwrap();
    let out = rinse(&[
        "eval",
        "--gold",
        &gold,
        "--config",
        &identity,
        &docs,
        copy.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("\"m1\" (gold line 2) occurs more than once in DOCS"),
        "{err}"
    );
}

/// The evaluation without its timings (seconds, MB/s, time shares), which vary by run.
fn without_timings(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                for k in ["seconds", "mb_per_second", "time_share"] {
                    m.remove(k);
                }
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

#[test]
fn same_evaluation_for_one_and_two_threads() {
    // 100 copies of the mini set under new ids: several parallel chunks.
    let dir = scratch("eval_threads");
    let mini = only_rules_of(&dir, "mini.toml", "mini.rules.toml", 1);
    let (mut docs, mut gold) = (String::new(), String::new());
    let read = |rel: &str| std::fs::read_to_string(data(rel)).unwrap();
    for n in 0..100 {
        for (src, dst) in [
            ("eval/mini.docs.jsonl", &mut docs),
            ("eval/mini.gold.jsonl", &mut gold),
        ] {
            for line in read(src).lines() {
                let mut v: Value = serde_json::from_str(line).unwrap();
                v["id"] = format!("{}-{n}", v["id"].as_str().unwrap()).into();
                dst.push_str(&format!("{v}\n"));
            }
        }
    }
    let (docs_path, gold_path) = (dir.join("docs.jsonl"), dir.join("gold.jsonl"));
    std::fs::write(&docs_path, docs).unwrap();
    std::fs::write(&gold_path, gold).unwrap();
    let run = |threads: &str| {
        let args = [
            "--gold",
            gold_path.to_str().unwrap(),
            "--config",
            &mini,
            "--ablate",
            "-j",
            threads,
            docs_path.to_str().unwrap(),
        ];
        without_timings(eval_json(&args))
    };
    let one = run("1");
    assert_eq!(counts(&one["configs"][0]), [300, 0, 200, 400]);
    assert_eq!(one, run("2"));
}

#[test]
fn gold_ids_matching_no_document_get_a_hint() {
    // .txt documents are named by their path: no gold id of the seeds matches them.
    let gold = path("gold/seeds.gold.jsonl");
    let out = rinse(&["eval", "--json", "--gold", &gold, &path("seeds-txt")]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("5 of 5 gold ids have no document in DOCS"),
        "{err}"
    );
    assert!(err.contains("DOCS ids look like \"news-000.txt\""), "{err}");
    let ev: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(counts(&ev["configs"][0]), [0, 0, 18, 22]);
}

// --group-by and --meta (issue 20). tests/data/eval/groups.*: page_type comes from the
// DOCS record (g1, g2: article, g2's meta record saying forum is not used), from the
// meta record (g3, g4 whose DOCS value is null: forum; g6, in gold but not in DOCS:
// article) or from neither (g5: `(none)`). With the mini rules, by hand:
//   article  g1 tp1 fn1 tn2, g2 tp1 tn1, g6 fn1 tn1  -> 3 docs, tp2 fp0 fn2 tn4
//   forum    g3 tp1 tn1, g4 tp1 fp1 tn1              -> 2 docs, tp2 fp1 fn0 tn2
//   (none)   g5 tp1 fn1                              -> 1 doc,  tp1 fp0 fn1 tn0

/// `rinse eval` of the groups fixture with the mini rules (a config written in `dir`),
/// plus `extra` arguments.
fn groups_eval(dir: &Path, extra: &[&str]) -> std::process::Output {
    let mini = only_rules_of(dir, "mini.toml", "mini.rules.toml", 1);
    let (gold, docs) = (
        path("eval/groups.gold.jsonl"),
        path("eval/groups.docs.jsonl"),
    );
    let mut args = vec!["eval", "--gold", &gold, "--config", &mini, &docs];
    args.extend_from_slice(extra);
    rinse(&args)
}

/// (value, docs, [tp, fp, fn, tn]) of each group of a `groups` table.
fn group_rows(table: &Value) -> Vec<(Option<String>, u64, [u64; 4])> {
    table["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let value = g["value"].as_str().map(str::to_string);
            (value, g["docs"].as_u64().unwrap(), counts(g))
        })
        .collect()
}

#[test]
fn group_by_scores_per_value_from_docs_then_meta() {
    let meta = path("eval/groups.meta.jsonl");
    let out = groups_eval(
        &scratch("eval_group_by"),
        &["--json", "--group-by", "page_type", "--meta", &meta],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ev: Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &ev["configs"][0];
    assert_eq!(counts(c), [5, 1, 3, 6]);
    let tables = c["groups"].as_array().unwrap();
    assert_eq!(tables.len(), 1);
    assert_eq!(tables[0]["field"], "page_type");
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        group_rows(&tables[0]),
        [
            (s("article"), 3, [2, 0, 2, 4]),
            (s("forum"), 2, [2, 1, 0, 2]),
            (None, 1, [1, 0, 1, 0]),
        ]
    );
    // The same metric as the totals.
    let forum = &tables[0]["groups"][1];
    assert!((forum["precision"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(forum["recall"], 1.0);
    assert!((forum["f1"].as_f64().unwrap() - 0.8).abs() < 1e-12);
    assert_eq!(forum["accuracy"], 0.8);
    // z1 names no document; g6 is a gold document missing from DOCS, grouped by meta.
    assert_eq!(
        ev["meta"],
        serde_json::json!({"path": meta, "records": 5, "not_in_docs": 1,
                           "not_in_docs_examples": ["z1"]})
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: 1 of 5 ids in")
            && err.contains("have no document in DOCS; ignored: z1"),
        "{err}"
    );
}

#[test]
fn group_totals_add_up_to_the_overall_counts() {
    // Two fields (comma list = repeated flag), a nested one, two configs.
    let dir = scratch("eval_group_sums");
    let lines_b = only_rules_of(&dir, "lines-b.toml", "lines-b.toml", 1);
    let meta = path("eval/groups.meta.jsonl");
    let args = [
        "--json",
        "--group-by",
        "page_type,info.lang",
        "--group-by",
        "page_type",
        "--meta",
        &meta,
        "--config",
        &lines_b,
    ];
    let out = groups_eval(&dir, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ev: Value = serde_json::from_slice(&out.stdout).unwrap();
    let configs = ev["configs"].as_array().unwrap();
    assert_eq!(configs.len(), 2);
    for c in configs {
        let tables = c["groups"].as_array().unwrap();
        let fields: Vec<&str> = tables
            .iter()
            .map(|t| t["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["page_type", "info.lang"]);
        for t in tables {
            let rows = group_rows(t);
            let docs: u64 = rows.iter().map(|r| r.1).sum();
            assert_eq!(docs, 6, "{t}");
            let mut sum = [0; 4];
            for (_, _, k) in &rows {
                for i in 0..4 {
                    sum[i] += k[i];
                }
            }
            assert_eq!(sum, counts(c), "{t}");
            // Most documents first.
            assert!(rows.windows(2).all(|w| w[0].1 >= w[1].1), "{t}");
        }
        let lang = group_rows(&tables[1]);
        assert_eq!(lang[0].0, None);
        assert_eq!((lang[1].0.as_deref(), lang[1].1), (Some("en"), 1));
    }
}

#[test]
fn group_scores_agree_with_the_reference_scorer_on_each_group() {
    // Each group's counts are the reference scorer's on the gold documents of the group.
    let dir = scratch("eval_group_scorer");
    let mini = only_rules_of(&dir, "mini.toml", "mini.rules.toml", 1);
    let meta = path("eval/groups.meta.jsonl");
    let out = groups_eval(
        &dir,
        &["--json", "--group-by", "page_type", "--meta", &meta],
    );
    let ev: Value = serde_json::from_slice(&out.stdout).unwrap();
    let members = [
        ("article", &["g1", "g2", "g6"][..]),
        ("forum", &["g3", "g4"]),
        ("(none)", &["g5"]),
    ];
    let gold = std::fs::read_to_string(data("eval/groups.gold.jsonl")).unwrap();
    for (n, (name, ids)) in members.iter().enumerate() {
        let subset: String = gold
            .lines()
            .filter(|l| {
                ids.iter()
                    .any(|id| l.contains(&format!("\"id\": \"{id}\"")))
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let sub = dir.join(format!("gold-{n}.jsonl"));
        std::fs::write(&sub, subset).unwrap();
        let want = scorer_counts(
            sub.to_str().unwrap(),
            &path("eval/groups.docs.jsonl"),
            Some(&mini),
            &format!("eval_group_scorer_run{n}"),
        );
        let got = &ev["configs"][0]["groups"][0]["groups"][n];
        assert_eq!(counts(got), want, "{name}");
        assert_eq!(got["docs"].as_u64().unwrap(), ids.len() as u64, "{name}");
    }
}

#[test]
fn group_by_text_output_and_none_group() {
    // Without --meta: only the DOCS records' fields; mini has none, so all `(none)`.
    let gold = path("eval/mini.gold.jsonl");
    let docs = path("eval/mini.docs.jsonl");
    let text = rinse_ok(&["eval", "--gold", &gold, &docs, "--group-by", "page_type"]);
    assert!(text.contains("\nby page_type:\n"), "{text}");
    let row = |text: &str, label: &str| {
        text.lines()
            .find(|l| l.starts_with(label))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
    };
    assert!(
        row(&text, "(none)").unwrap().starts_with("(none) 2 "),
        "{text}"
    );
    // With mini.meta.jsonl: m1 is an article (x9 names no document: a warning).
    let mini = only_rules_of(
        &scratch("eval_group_text"),
        "mini.toml",
        "mini.rules.toml",
        1,
    );
    let meta = path("eval/mini.meta.jsonl");
    let out = rinse(&[
        "eval",
        "--gold",
        &gold,
        "--config",
        &mini,
        &docs,
        "--group-by",
        "page_type",
        "--meta",
        &meta,
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let header = row(&text, "page_type").unwrap();
    assert_eq!(header, "page_type docs tp fp fn tn P R F1");
    // m1: tp 2 fn 1 tn 2; m2: tp 1 fn 1 tn 2; one document each: (none) before article.
    assert_eq!(
        row(&text, "(none)").unwrap(),
        "(none) 1 1 0 1 2 1.000 0.500 0.667"
    );
    assert_eq!(
        row(&text, "article").unwrap(),
        "article 1 2 0 1 2 1.000 0.667 0.800"
    );
    let lines: Vec<&str> = text.lines().collect();
    let at = |p: &str| lines.iter().position(|l| l.starts_with(p)).unwrap();
    assert!(at("(none)") < at("article"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("1 of 2 ids in") && err.contains("ignored: x9"),
        "{err}"
    );
}

#[test]
fn meta_errors_name_the_file_and_line() {
    let dir = scratch("eval_meta_errors");
    let bad = dir.join("bad.meta.jsonl");
    std::fs::write(
        &bad,
        "{\"id\": \"g1\", \"page_type\": \"a\"}\n{\"id\": \"g2\",\n",
    )
    .unwrap();
    let out = groups_eval(
        &dir,
        &["--group-by", "page_type", "--meta", bad.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot read meta file") && err.contains("bad.meta.jsonl:2: invalid JSON"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    let dup = dir.join("dup.meta.jsonl");
    std::fs::write(
        &dup,
        "{\"id\": \"g1\"}\n{\"id\": \"g3\"}\n{\"id\": \"g1\"}\n",
    )
    .unwrap();
    let out = groups_eval(
        &dir,
        &["--group-by", "page_type", "--meta", dup.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("dup.meta.jsonl:3: duplicate meta id \"g1\" (first on line 1)"),
        "{err}"
    );
    // --meta is only for --group-by.
    let meta = path("eval/groups.meta.jsonl");
    let out = groups_eval(&dir, &["--meta", &meta]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--group-by"));
}

#[test]
fn meta_ids_are_read_from_the_id_field() {
    let dir = scratch("eval_meta_id_field");
    let mini = only_rules_of(&dir, "mini.toml", "mini.rules.toml", 1);
    let docs = dir.join("docs.jsonl");
    let text = std::fs::read_to_string(data("eval/mini.docs.jsonl")).unwrap();
    std::fs::write(&docs, text.replace("\"id\"", "\"key\"")).unwrap();
    let meta = dir.join("meta.jsonl");
    std::fs::write(&meta, "{\"key\": \"m2\", \"page_type\": \"forum\"}\n").unwrap();
    let ev = eval_json(&[
        "--gold",
        &path("eval/mini.gold.jsonl"),
        "--config",
        &mini,
        "--id-field",
        "key",
        "--group-by",
        "page_type",
        "--meta",
        meta.to_str().unwrap(),
        docs.to_str().unwrap(),
    ]);
    let rows = group_rows(&ev["configs"][0]["groups"][0]);
    assert_eq!(
        rows,
        [
            (None, 1, [2, 0, 1, 2]),
            (Some("forum".into()), 1, [1, 0, 1, 2])
        ]
    );
    assert_eq!(ev["meta"]["not_in_docs"], 0);
}

/// `--html` (issue 25): a self-contained page with the scores, rules, groups and worst
/// documents, its numbers those of `--json`.
#[test]
fn html_report_shows_the_numbers_of_json() {
    let dir = scratch("eval_html");
    let meta = path("eval/groups.meta.jsonl");
    let page = dir.join("eval.html");
    let o = groups_eval(
        &dir,
        &[
            "--json",
            "--group-by",
            "page_type",
            "--meta",
            &meta,
            "--html",
            page.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json: Value = serde_json::from_slice(&o.stdout).unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && !html.contains("<script"));
    assert!(html.contains("By page_type") && html.contains("Worst documents"));
    let shown = crate::report::tagged_numbers(&html);
    assert!(shown.iter().any(|(k, _)| k == "configs.0.f1"));
    assert!(shown
        .iter()
        .any(|(k, _)| k.starts_with("configs.0.groups.0.groups.")));
    for (key, text) in shown {
        let v = crate::report::at(&json, &key);
        let ok = match v {
            Value::Number(n) if n.is_u64() => text == n.to_string(),
            Value::Number(n) => (text.parse::<f64>().unwrap() - n.as_f64().unwrap()).abs() <= 5e-4,
            _ => false,
        };
        assert!(ok, "{key}: page {text:?}, --json {v}");
    }
}
