//! Records against the reference: what serde_json's order-preserving map made of the
//! same lines (parse, write with a new text, write as read, spill round trip).
use super::*;
use serde_json::json;

fn fields() -> Fields {
    Fields::default()
}

/// The lines every test runs over: odd spacing, escapes, numbers, repeated keys, nesting.
fn odd_lines() -> Vec<String> {
    let mut v: Vec<String> = [
        r#"{"id": "a", "text": "plain"}"#,
        r#"{"text":"only text"}"#,
        r#"{"text":""}"#,
        r#"  { "z" : 1 , "text" : "spaced" , "a" : [ 1 , 2 , { "k" : null } ] }  "#,
        r#"{"meta": {"b": {"c": [true, false, null]}, "s": "x y"}, "text": "nested"}"#,
        r#"{"id": 7, "text": "numeric id"}"#,
        r#"{"id": -3, "text": "negative id"}"#,
        r#"{"id": 7.0, "text": "float id"}"#,
        r#"{"id": 1e2, "text": "exponent id"}"#,
        r#"{"id": 18446744073709551616, "text": "huge id"}"#,
        r#"{"id": true, "text": "bool id"}"#,
        r#"{"id": "caf\u00e9", "text": "escaped id"}"#,
        r#"{"n": [1.0e5, 1.50, -0, 0, -0.0, 12345678901234567890123, 1E-7], "text": "numbers"}"#,
        r#"{"u": "caf\u00e9 \/ \ud83d\ude42", "text": "caf\u00e9 \/ \ud83d\ude42 \u001F \u0041"}"#,
        r#"{"text": "line\none\ttab \"quoted\" back\\slash \u0000 end"}"#,
        r#"{"text": "ends with an escaped quote \""   }"#,
        r#"{"text": "escaped \n, then more members", "b": 1,"c":{"d":"e"}}"#,
        r#"{"text": "first", "text": "second"}"#,
        r#"{"id": "x", "text": "t", "id": "y"}"#,
        r#"{"a": 1, "text": "t", "a": {"b": 2}}"#,
        r#"{"a": {"k": 1, "k": 2}, "text": "nested duplicate"}"#,
        r#"{"te\u0078t": "key with an escape", "other": 1}"#,
        r#"{"k\"q": 1, "text": "quote in a key"}"#,
        r#"{"rinse": {"old": 1}, "text": "has a rinse key"}"#,
        r#"{"text": "rinse last", "rinse": 0}"#,
        r#"{"\u00e9": "non-ASCII key", "text": "t"}"#,
        r#"{"é": "raw non-ASCII key", "text": "t"}"#,
        r#"{"text": null}"#,
        r#"{"text": 42, "z": 1.5}"#,
        r#"{"text": ["a", "b"]}"#,
        r#"{"id": "no text"}"#,
        r#"{}"#,
        r#"{"text": "del  and \u007f and \u2028"}"#,
    ]
    .map(String::from)
    .to_vec();
    for depth in [99, 100, 101, 126] {
        v.push(deep(depth));
    }
    let many: Vec<String> = (0..40).map(|i| format!(r#""k{i}": {i}"#)).collect();
    v.push(format!(r#"{{{}, "text": "many keys"}}"#, many.join(", ")));
    v.push(format!(
        r#"{{{}, "text": "many keys", "k3": 0}}"#,
        many.join(", ")
    ));
    v
}

/// A record with a value nested `depth` arrays deep (serde_json allows 127 in a record).
fn deep(depth: usize) -> String {
    format!(
        r#"{{"deep": {}1{}, "text": "depth {depth}"}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

/// Lines that are not records: malformed or not objects.
fn bad_lines() -> Vec<String> {
    let mut v: Vec<String> = [
        r#"{"text": "a",}"#,
        r#"{"a": 1 "text": "b"}"#,
        r#"{"text": "a"} x"#,
        r#"{"text": "unterminated"#,
        r#"{"text": "\ud800 lone"}"#,
        r#"{"x": "\ud800 lone", "text": "t"}"#,
        r#"{"x": 1e400, "text": "t"}"#,
        r#"{"\ud800": 1, "text": "t"}"#,
        r#"{"x": "a", "text": "t", }"#,
        r#"{text: "unquoted"}"#,
        "[1, 2.0]",
        r#""a string""#,
        "1.0e5",
        "null",
    ]
    .map(String::from)
    .to_vec();
    v.extend([deep(127), deep(128), deep(1000)]);
    v
}

/// What the map made of a line: the value, or serde_json's message.
fn reference(line: &str) -> std::result::Result<Value, String> {
    serde_json::from_str::<Value>(line).map_err(|e| e.to_string())
}

fn ok(line: &str) -> Parsed {
    match parse(line.to_string(), &fields()) {
        Ok(p) => p,
        Err(e) => panic!("{line}: {e:?}"),
    }
}

fn text(v: &[u8]) -> String {
    String::from_utf8(v.to_vec()).unwrap()
}

#[test]
fn parse_agrees_with_the_map_on_id_text_and_problems() {
    for line in odd_lines() {
        let Ok(Value::Object(map)) = reference(&line) else {
            panic!("{line}");
        };
        let p = ok(&line);
        let want_id = match map.get("id") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        assert_eq!(p.id, want_id, "{line}");
        let want_text = match map.get("text") {
            Some(Value::String(s)) => Ok(s.clone()),
            None => Err(TextProblem::Missing),
            Some(Value::Null) => Err(TextProblem::Null),
            Some(_) => Err(TextProblem::NotString),
        };
        assert_eq!(p.text, want_text, "{line}");
        assert_eq!(
            p.record.original_text().map(|t| t.into_owned()),
            want_text.clone().ok(),
            "{line}"
        );
        if let Ok(t) = &want_text {
            assert!(p.record.original_is(t), "{line}");
            assert!(!p.record.original_is(&format!("{t}x")), "{line}");
        }
    }
}

#[test]
fn written_as_read_is_what_the_map_writes() {
    for line in odd_lines() {
        let want = serde_json::to_string(&reference(&line).unwrap()).unwrap();
        assert_eq!(text(&ok(&line).record.to_json()), want, "{line}");
    }
}

#[test]
fn written_with_a_new_text_is_what_inserting_into_the_map_writes() {
    let explain = json!({"lang": "de", "removals": [{"rule": "r", "start": 0}]});
    let explain_bytes = serde_json::to_vec(&explain).unwrap();
    for line in odd_lines() {
        let p = ok(&line);
        for new_text in ["", "cleaned \"text\"\n\nwith\tcontrol \u{1} bytes é"] {
            for with_explain in [false, true] {
                let Ok(Value::Object(mut map)) = reference(&line) else {
                    panic!("{line}");
                };
                map.insert("text".into(), json!(new_text));
                if with_explain {
                    map.insert("rinse".into(), explain.clone());
                }
                let want = serde_json::to_string(&map).unwrap();
                let mut got = Vec::new();
                let extra = with_explain.then_some(("rinse", explain_bytes.as_slice()));
                p.record.write_with_text(&mut got, "text", new_text, extra);
                assert_eq!(text(&got), want, "{line}");
            }
        }
    }
}

#[test]
fn the_text_field_may_be_named_like_the_explain_object() {
    let f = Fields {
        text: "rinse".into(),
        id: "id".into(),
    };
    let line = r#"{"id": "a", "rinse": "the text", "b": 2}"#;
    let p = parse(line.to_string(), &f).unwrap();
    assert_eq!(p.text.as_deref(), Ok("the text"));
    let mut got = Vec::new();
    p.record.write_with_text(
        &mut got,
        "rinse",
        "new",
        Some(("rinse", b"{\"lang\":null}")),
    );
    assert_eq!(text(&got), r#"{"id":"a","rinse":{"lang":null},"b":2}"#);
}

#[test]
fn bad_lines_fail_with_the_map_s_message_or_keep_the_value() {
    for line in bad_lines() {
        let line = line.as_str();
        match (parse(line.to_string(), &fields()), reference(line)) {
            (Err(LineError::Malformed { error, line: back }), Err(msg)) => {
                assert_eq!(error.to_string(), msg, "{line}");
                assert_eq!(back, line);
            }
            (Err(LineError::NotObject(rec)), Ok(v)) => {
                assert!(!v.is_object(), "{line}");
                assert!(!rec.is_object());
                assert_eq!(text(&rec.to_json()), serde_json::to_string(&v).unwrap());
            }
            (got, want) => panic!("{line}: {got:?} vs {want:?}"),
        }
    }
}

#[test]
fn spill_round_trip_keeps_every_byte() {
    for line in odd_lines() {
        let p = ok(&line);
        let as_read = p.record.to_json();
        let doc_text = p.text.clone().unwrap_or_default();
        let mut with_text = Vec::new();
        p.record
            .write_with_text(&mut with_text, "text", "new", None);
        for drop_original in [false, true] {
            if drop_original && p.text.is_err() {
                continue;
            }
            let mut e = Enc::default();
            p.record.spill(drop_original, &mut e);
            let bytes = e.0;
            let mut d = Dec::new(&bytes);
            let mut back = Record::unspill(&mut d).unwrap();
            assert!(d.is_empty(), "{line}");
            let mut again = Vec::new();
            back.write_with_text(&mut again, "text", "new", None);
            assert_eq!(text(&again), text(&with_text), "{line}");
            assert_eq!(back.original_is_doc_text(), drop_original, "{line}");
            back.resolve_original(doc_text.clone());
            assert_eq!(text(&back.to_json()), text(&as_read), "{line}");
            for cut in 1..bytes.len().min(20) {
                let mut short = Dec::new(&bytes[..bytes.len() - cut]);
                assert!(Record::unspill(&mut short).is_err());
            }
        }
    }
    let Err(LineError::NotObject(rec)) = parse("[1, 2.0]".into(), &fields()) else {
        panic!("not an object");
    };
    let mut e = Enc::default();
    rec.spill(false, &mut e);
    let back = Record::unspill(&mut Dec::new(&e.0)).unwrap();
    assert_eq!(text(&back.to_json()), "[1,2.0]");
}

#[test]
fn records_of_text_files_and_values() {
    let rec = Record::of_text(&fields(), "dir/a.txt", "Zeile\n\"zwei\"");
    assert_eq!(
        text(&rec.to_json()),
        r#"{"id":"dir/a.txt","text":"Zeile\n\"zwei\""}"#
    );
    assert_eq!(rec.original_text().as_deref(), Some("Zeile\n\"zwei\""));
    let v = json!({"b": 1, "text": "t", "a": [1.5]});
    let rec = Record::from_value(&v, "text");
    assert_eq!(text(&rec.to_json()), serde_json::to_string(&v).unwrap());
    assert_eq!(rec.original_text().as_deref(), Some("t"));
    // A record without a text field (built by hand) gets it at the end, as the map's
    // insert did.
    let empty = Record::default();
    let mut out = Vec::new();
    empty.write_with_text(&mut out, "text", "t", Some(("rinse", b"1")));
    assert_eq!(text(&out), r#"{"text":"t","rinse":1}"#);
    let rec = Record::from_value(&json!({"a": 1}), "text");
    out.clear();
    rec.write_with_text(&mut out, "text", "t", None);
    assert_eq!(text(&out), r#"{"a":1,"text":"t"}"#);
    out.clear();
    rec.write_with_text(&mut out, "rinse", "t", Some(("rinse", b"1")));
    assert_eq!(text(&out), r#"{"a":1,"rinse":1}"#);
}
