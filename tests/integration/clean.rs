//! The clean stage (issue 3): seed quality, `rinse rules`, user configs, report counters.
use crate::util::*;
use std::collections::BTreeSet;

/// Each run of whitespace becomes one space, ends trimmed (the scorer's normalization).
fn ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The clean stage's entry in a report.json.
fn clean_stage(report: &serde_json::Value) -> &serde_json::Value {
    report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "clean")
        .unwrap()
}

fn rule_ids(args: &[&str]) -> BTreeSet<String> {
    let mut full = vec!["rules", "--json"];
    full.extend_from_slice(args);
    rinse_ok(&full)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["id"].as_str().unwrap().to_string()
        })
        .collect()
}

/// Issue 3 quality bar: with the default config every `without` snippet of the seeds is
/// removed and every `with` snippet kept (F1 = 1.000).
#[test]
fn issue3_seeds_clean_perfectly_with_the_default_config() {
    let out = scratch("clean_seeds");
    let seeds = data("seeds");
    run_to(&seeds, &out, &[]);
    let kept: Vec<_> = records(&out.join("kept"));
    let gold = std::fs::read_to_string(data("gold/seeds.gold.jsonl")).unwrap();
    let mut checked = 0;
    for line in gold.lines() {
        let g: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = g["id"].as_str().unwrap();
        let rec = kept.iter().find(|r| r["id"] == id);
        let rec = rec.unwrap_or_else(|| panic!("{id} was not kept"));
        let text = ws(rec["text"].as_str().unwrap());
        for s in g["with"].as_array().unwrap() {
            let s = ws(s.as_str().unwrap());
            assert!(text.contains(&s), "{id}: lost article text {s:?}");
            checked += 1;
        }
        for s in g["without"].as_array().unwrap() {
            let s = ws(s.as_str().unwrap());
            assert!(!text.contains(&s), "{id}: debris left in {s:?}");
            checked += 1;
        }
    }
    assert!(checked >= 35, "only {checked} snippets checked");
}

#[test]
fn every_removal_names_a_listed_rule_and_is_counted_in_the_report() {
    let out = scratch("clean_explain");
    let seeds = data("seeds");
    run_to(&seeds, &out, &["--explain"]);
    let ids = rule_ids(&[]);
    let mut used = BTreeSet::new();
    for rec in records(&out.join("kept")) {
        for r in rec["rinse"]["removals"].as_array().unwrap() {
            let rule = r["rule"].as_str().unwrap().to_string();
            assert!(ids.contains(&rule), "removal by unlisted rule {rule}");
            used.insert(rule);
        }
    }
    assert!(used.len() >= 5, "{used:?}");
    let report = report(&out);
    let clean = clean_stage(&report);
    for rule in &used {
        let item = &clean["items"][rule];
        assert!(item["docs"].as_u64().unwrap() >= 1, "{rule}: {item}");
        assert!(item["bytes"].as_u64().unwrap() >= 1, "{rule}: {item}");
        assert_eq!(item["nanos"], 0, "{rule} timed without --explain-timing");
    }
    assert!(clean["items"]["pass-line-rules"]["nanos"].as_u64().unwrap() > 0);

    // Asked for, every rule that removed something has a time, and the outputs are the
    // same bytes.
    let timed = scratch("clean_rules_timed");
    run_to(&seeds, &timed, &["--explain", "--explain-timing"]);
    assert_eq!(output_bytes(&out), output_bytes(&timed));
    let report = crate::util::report(&timed);
    let clean = clean_stage(&report);
    let timed_rules = used
        .iter()
        .filter(|r| clean["items"][r.as_str()]["nanos"].as_u64().unwrap() > 0)
        .count();
    assert!(
        timed_rules >= used.len() / 2,
        "{timed_rules} of {}",
        used.len()
    );
}

#[test]
fn a_small_user_config_keeps_the_defaults_adds_rules_and_disables_some() {
    let dir = scratch("clean_user_config");
    let cfg = dir.join("my.toml");
    std::fs::write(
        &cfg,
        "[clean]\nrule_sets = [\"default\"]\ndisable = [\"legal-footer\", \"heuristic-short-line\"]\n\n\
         [[clean.rules]]\nid = \"no-shouting\"\ncategory = \"teaser\"\ndescription = \"test\"\n\
         pattern = '[A-Z ]{8,}!'\n",
    )
    .unwrap();
    let cfg_s = cfg.to_str().unwrap();
    let ids = rule_ids(&["--config", cfg_s]);
    assert!(ids.contains("no-shouting") && ids.contains("comment-form-section"));
    assert!(!ids.contains("legal-footer") && !ids.contains("heuristic-short-line"));
    let printed = rinse_ok(&["config", "--config", cfg_s]);
    assert!(
        printed.contains("no-shouting") && printed.contains("rule_sets"),
        "{printed}"
    );

    let input = dir.join("in.jsonl");
    let article = "Der Kreml erklärte am Dienstag, er könne die Berichte über das geplante Treffen nicht bestätigen, und verwies auf die Sprecher der Regierung in Moskau.";
    let text = format!("{article}\nImpressum\n{article}\nJETZT KAUFEN!\n{article}");
    let rec = serde_json::json!({"id": "a", "text": text});
    std::fs::write(&input, format!("{rec}\n")).unwrap();
    let out = dir.join("out");
    run_to(&input, &out, &["--config", cfg_s]);
    let kept = records(&out.join("kept"));
    let t = kept[0]["text"].as_str().unwrap();
    assert!(!t.contains("JETZT KAUFEN"), "{t}");
    assert!(t.contains("Impressum"), "disabled rule still ran: {t}");
}

#[test]
fn bad_rule_in_config_fails_before_reading_and_names_the_rule() {
    let dir = scratch("clean_bad_rule");
    let cfg = dir.join("bad.toml");
    std::fs::write(
        &cfg,
        "[[clean.rules]]\nid = \"broken-rule\"\ncategory = \"x\"\npattern = \"([a-z\"\n",
    )
    .unwrap();
    let out = dir.join("out");
    let seeds = data("seeds");
    let res = rinse(&[
        "run",
        seeds.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
        "--config",
        cfg.to_str().unwrap(),
    ]);
    assert_eq!(res.status.code(), Some(2));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains("broken-rule"), "{err}");
    assert!(!out.join("report.json").exists());

    std::fs::write(&cfg, "[clean]\ndisable = [\"no-such-rule\"]\n").unwrap();
    let res = rinse(&["rules", "--config", cfg.to_str().unwrap()]);
    assert_eq!(res.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&res.stderr).contains("no-such-rule"));
}

#[test]
fn a_document_left_without_words_is_rejected_too_short() {
    let dir = scratch("clean_too_short");
    let input = dir.join("in.jsonl");
    std::fs::write(
        &input,
        "{\"id\": \"x\", \"text\": \"Impressum\\nDatenschutz\\n\\nKontakt\"}\n",
    )
    .unwrap();
    let out = dir.join("out");
    let o = rinse(&[
        "run",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    // Nothing kept: the run's own exit status, with a message saying so.
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("kept no record"));
    let rejected = records(&out.join("rejected"));
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["reason"], "too-short", "{}", rejected[0]);
    // The detail names the rules that removed the rest.
    let detail = rejected[0]["detail"].as_str().unwrap();
    assert!(detail.starts_with("0 words left"), "{detail}");
    assert!(detail.contains("removed by "), "{detail}");
}

/// Debris in English, French, Spanish and Polish pages goes, each removal names its rule,
/// and the article paragraphs between read-also links stay (golden file, RINSE_BLESS=1).
#[test]
fn multilingual_pages_golden_removals() {
    let out = scratch("clean_multilingual");
    let input = data("clean/multilingual.jsonl");
    run_to(&input, &out, &["--explain"]);
    let mut actual = String::new();
    for rec in records(&out.join("kept")) {
        let lang = rec["rinse"]["lang"].as_str().unwrap_or("-");
        actual.push_str(&format!("== {} ({lang})\n", rec["id"].as_str().unwrap()));
        actual.push_str(rec["text"].as_str().unwrap());
        actual.push('\n');
        for r in rec["rinse"]["removals"].as_array().unwrap() {
            let text = r["text"].as_str().unwrap().trim_end();
            actual.push_str(&format!("  - {}: {text}\n", r["rule"].as_str().unwrap()));
        }
    }
    assert!(actual.contains("La reunión continuará"), "{actual}");
    golden("golden/clean-multilingual.txt", &actual);
}
