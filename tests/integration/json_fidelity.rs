//! JSON that real exports contain (issue 18): every field but the text comes out byte for
//! byte as it went in (numbers beyond `f64` and 64 bits, number spellings, escapes, lone
//! surrogates, nested spacing), in kept records and in the records of rejections, also
//! after the dedup spill; a lone surrogate in the text becomes U+FFFD; lines that are
//! not JSON are still rejected.
use crate::util::*;
use serde_json::value::RawValue;
use std::path::Path;

/// The lines of every shard in `dir`, each checked to be one JSON value (by grammar:
/// serde_json's `Value` refuses `1e400` and lone surrogates, which are kept as written).
fn lines(dir: &Path) -> Vec<String> {
    let lines = shard_lines(dir);
    for line in &lines {
        assert!(
            serde_json::from_str::<&RawValue>(line).is_ok(),
            "not JSON: {line}"
        );
    }
    lines
}

const FIRST: &str = "Der Gemeinderat hat am Dienstag einen neuen Haushalt beschlossen. Die Ausgaben für Schulen und Straßen steigen deutlich.\nDer Bürgermeister sprach von einem guten Kompromiss für alle Beteiligten im Ort.";
const SECOND: &str = "Die Wetterdienste erwarten für das Wochenende kräftigen Regen im Norden. Im Süden bleibt es dagegen trocken und mild.\nAutofahrer sollten sich auf Aquaplaning einstellen, warnt die Polizei.";

#[test]
fn every_field_but_the_text_comes_out_as_written() {
    let dir = scratch("json_fidelity");
    let input = dir.join("in.jsonl");
    let text = |t: &str| serde_json::to_string(t).unwrap();
    let lines_in = [
        // 1: a number beyond 64 bits and f64's precision.
        format!(r#"{{"text":{},"n":12345678901234567890123}}"#, text(FIRST)),
        // 2: numbers of every spelling, one beyond f64, escapes, nested spacing, a lone
        // surrogate in another field, an id beyond 64 bits.
        format!(
            r#"{{ "id" : 12345678901234567890123 , "x" : 1e400, "y": [ 1.50 , -0 , {{"k" : "caf\u00e9 \/ \u001F"}} ], "z": "\ud800", "text": {} }}"#,
            text(SECOND)
        ),
        // 3: a lone surrogate in the text, as Python's json.dumps writes broken text.
        r#"{"id": "broken", "text": "Ein Text mit kaputtem Zeichen \ud800 in der Mitte des Satzes.\nUnd noch ein zweiter Satz mit weiteren Worten darin."}"#.to_string(),
        // 4: an exact duplicate of line 1's text: rejected by dedup after the spill, with
        // its record as written.
        format!(
            r#"{{"id": "dup", "n": [1.0e5, 1e400], "s": "\uDC00 \u00e9", "text": {}}}"#,
            text(FIRST)
        ),
        // 5: not JSON, once after a lone surrogate.
        r#"{"text": "a",}"#.to_string(),
        r#"{"x": "\ud800", "text": "b",}"#.to_string(),
        // 7: not an object; 8: no string text.
        r#"[1e400, 2.50]"#.to_string(),
        r#"{"id": 98765432109876543210, "x": 2.50, "text": 42}"#.to_string(),
    ];
    std::fs::write(&input, lines_in.join("\n")).unwrap();
    let out = dir.join("out");
    run_to(
        &input,
        &out,
        &["--config", s(&data("dedup/dedup-only.toml"))],
    );
    let kept = lines(&out.join("kept"));
    assert_eq!(kept.len(), 3, "{kept:#?}");
    assert_eq!(
        kept[0],
        format!(r#"{{"text":{},"n":12345678901234567890123}}"#, text(FIRST))
    );
    assert_eq!(
        kept[1],
        format!(
            r#"{{"id":12345678901234567890123,"x":1e400,"y":[ 1.50 , -0 , {{"k" : "caf\u00e9 \/ \u001F"}} ],"z":"\ud800","text":{}}}"#,
            text(SECOND)
        )
    );
    let broken: serde_json::Value = serde_json::from_str(&kept[2]).unwrap();
    assert!(
        broken["text"]
            .as_str()
            .unwrap()
            .contains("kaputtem Zeichen \u{FFFD} in der Mitte"),
        "{}",
        kept[2]
    );

    let rejected = lines(&out.join("rejected"));
    let at = |line: usize| {
        let origin = format!("{}:{line}", input.display());
        let origin = serde_json::to_string(&origin).unwrap();
        rejected
            .iter()
            .find(|r| r.contains(&format!(r#""origin":{origin}"#)))
            .unwrap_or_else(|| panic!("no rejection of line {line}: {rejected:#?}"))
            .clone()
    };
    assert_eq!(rejected.len(), 5, "{rejected:#?}");
    let dup = at(4);
    assert!(
        dup.ends_with(&format!(
            r#""record":{{"id":"dup","n":[1.0e5, 1e400],"s":"\uDC00 \u00e9","text":{}}}}}"#,
            text(FIRST)
        )),
        "{dup}"
    );
    for line in [5, 6] {
        let r: serde_json::Value = serde_json::from_str(&at(line)).unwrap();
        assert_eq!(r["reason"], "malformed-json");
        assert_eq!(r["raw"], lines_in[line - 1].as_str());
        assert!(
            r["detail"].as_str().unwrap().starts_with("trailing comma"),
            "{r}"
        );
    }
    let not_object = at(7);
    assert!(
        not_object.contains(r#""reason":"not-an-object""#),
        "{not_object}"
    );
    assert!(
        not_object.ends_with(r#""record":[1e400, 2.50]}"#),
        "{not_object}"
    );
    let no_text = at(8);
    assert!(
        no_text.contains(r#""reason":"non-string-text""#),
        "{no_text}"
    );
    assert!(
        no_text.contains(r#""id":"98765432109876543210""#),
        "the id is the number as written: {no_text}"
    );
    assert!(
        no_text.ends_with(r#""record":{"id":98765432109876543210,"x":2.50,"text":42}}"#),
        "{no_text}"
    );
}

#[test]
fn explained_records_keep_their_fields_and_replace_an_escaped_rinse_key() {
    let dir = scratch("json_fidelity_explain");
    let input = dir.join("in.jsonl");
    let line = format!(
        r#"{{"rin\u0073e": {{"old": 1}}, "big": -98765432109876543210.000, "text": {}}}"#,
        serde_json::to_string(FIRST).unwrap()
    );
    std::fs::write(&input, &line).unwrap();
    let out = dir.join("out");
    run_to(
        &input,
        &out,
        &["--explain", "--config", s(&data("dedup/dedup-only.toml"))],
    );
    let kept = lines(&out.join("kept"));
    assert_eq!(kept.len(), 1);
    // The `rinse` key written with an escape is the `rinse` field: replaced in place, not
    // repeated.
    assert!(
        kept[0].starts_with(r#"{"rin\u0073e":{"lang":"#),
        "{}",
        kept[0]
    );
    assert_eq!(kept[0].matches("rin").count(), 1, "{}", kept[0]);
    assert!(
        kept[0].contains(r#","big":-98765432109876543210.000,"text":"#),
        "{}",
        kept[0]
    );
}
