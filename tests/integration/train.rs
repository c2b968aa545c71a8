//! `rinse train`: fits a line model a config can load, the same bytes every time, and
//! the cleaner it gives keeps short content the hand-weighted window lost.
use crate::util::{data, rinse, rinse_ok, run_to, s, scratch};

fn train_to(dir: &std::path::Path, name: &str, extra: &[&str]) -> std::path::PathBuf {
    let model = dir.join(name);
    let gold = data("train/pages.gold.jsonl");
    let docs = data("train/pages.docs.jsonl");
    let mut args = vec!["train", "--gold", s(&gold), s(&docs), "--out", s(&model)];
    args.extend_from_slice(extra);
    let out = rinse_ok(&args);
    assert!(out.contains("held out") && out.contains("wrote"), "{out}");
    model
}

#[test]
fn train_writes_a_model_that_loads_the_same_every_time() {
    let dir = scratch("train_model");
    let a = train_to(&dir, "a.toml", &["--folds", "3", "-j", "1"]);
    let b = train_to(&dir, "b.toml", &["--folds", "3", "-j", "2"]);
    let (ta, tb) = (
        std::fs::read_to_string(&a).unwrap(),
        std::fs::read_to_string(&b).unwrap(),
    );
    assert_eq!(ta, tb, "a fit depends on the thread count");
    assert!(ta.contains("\"own.chars\" = ") && ta.contains("threshold = "));
    // No temporary file left beside it.
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains("rinse-tmp")), "{names:?}");
    // A config that loads it runs, and eval scores it.
    let cfg = dir.join("my.toml");
    std::fs::write(
        &cfg,
        format!("[clean.heuristic]\nmodel = {:?}\n", a.to_str().unwrap()),
    )
    .unwrap();
    let ev = rinse_ok(&[
        "eval",
        "--gold",
        s(&data("train/pages.gold.jsonl")),
        "--config",
        s(&cfg),
        s(&data("train/pages.docs.jsonl")),
    ]);
    assert!(ev.contains("my.toml"), "{ev}");
    run_to(&data("seeds"), &dir.join("out"), &["--config", s(&cfg)]);
}

#[test]
fn train_refuses_what_it_cannot_fit() {
    let dir = scratch("train_refuse");
    let gold = data("eval/mini.gold.jsonl");
    // Gold ids that match no document: nothing to learn from.
    let o = rinse(&[
        "train",
        "--gold",
        s(&gold),
        s(&data("seeds")),
        "--out",
        s(&dir.join("m.toml")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("training needs"), "{err}");
    assert!(!dir.join("m.toml").exists());
    // The same gold file twice: ids repeat.
    let o = rinse(&[
        "train",
        "--gold",
        s(&gold),
        "--gold",
        s(&gold),
        s(&data("eval/mini.docs.jsonl")),
        "--out",
        s(&dir.join("m.toml")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("occurs in an earlier gold file"));
}

#[test]
fn a_model_path_that_does_not_load_is_named() {
    let dir = scratch("train_bad_model");
    let cfg = dir.join("c.toml");
    std::fs::write(&cfg, "[clean.heuristic]\nmodel = \"no-such-model.toml\"\n").unwrap();
    let o = rinse(&[
        "run",
        s(&data("seeds")),
        "--out",
        s(&dir.join("out")),
        "--config",
        s(&cfg),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no-such-model.toml") && err.contains("line model"),
        "{err}"
    );
}

/// A one-sentence paragraph and a list inside an article stay with the default model; the
/// menu above and the footer links below go.
#[test]
fn default_model_keeps_short_content_inside_an_article() {
    let dir = scratch("train_short_content");
    let text = "Home\nNews\nSport\nWeather\n\n\
        The council voted on Tuesday to close the old bridge to cars from next spring, after engineers found that two of its supports had worn far more than expected.\n\n\
        It will stay open to people on foot.\n\n\
        The plan has three parts:\n\n\
        * a new bus route across the river\n\
        * a temporary ferry for cyclists\n\
        * a study of a second bridge\n\n\
        Work on the repairs is expected to start in March and to take about two years, the council said in a statement that it published on its website on Wednesday.\n\n\
        Privacy\nTerms\nContact us\n";
    let input = serde_json::json!({"id": "a", "text": text}).to_string();
    let path = dir.join("in.jsonl");
    std::fs::write(&path, input + "\n").unwrap();
    run_to(&path, &dir.join("out"), &[]);
    let kept = crate::util::records(&dir.join("out/kept"));
    let out = kept[0]["text"].as_str().unwrap();
    for stays in [
        "It will stay open to people on foot.",
        "a temporary ferry for cyclists",
        "Work on the repairs",
    ] {
        assert!(out.contains(stays), "lost {stays:?}:\n{out}");
    }
    for goes in ["Weather", "Contact us"] {
        assert!(!out.contains(goes), "kept {goes:?}:\n{out}");
    }
}
