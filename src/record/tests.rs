//! Records against the reference: serde_json's own reading of the same lines. Its
//! `Value` says which lines are JSON objects and what they hold; its raw view (keys and
//! values as `&RawValue`, strings decoded to bytes without the surrogate check) says
//! what each member was as written, which is what a record keeps. The checks: parse,
//! write as read, write with a new text, spill round trip.
use super::*;
use serde::de::{Deserializer as _, MapAccess, Visitor};
use serde_json::json;
use serde_json::value::RawValue;
use std::fmt;

fn fields() -> Fields {
    Fields::default()
}

/// The lines every test runs over: odd spacing, escapes, numbers, repeated keys, nesting,
/// and what serde_json's `Value` refuses but a record keeps (lone surrogates, numbers
/// beyond `f64`).
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
        r#"{"id": 12345678901234567890123, "text": "huger id"}"#,
        r#"{"id": -0, "text": "negative zero id"}"#,
        r#"{"id": 1e400, "text": "out of range id"}"#,
        r#"{"id": true, "text": "bool id"}"#,
        r#"{"id": "caf\u00e9", "text": "escaped id"}"#,
        r#"{"id": "\ud800x", "text": "id with a lone surrogate"}"#,
        r#"{"n": [1.0e5, 1.50, -0, 0, -0.0, 12345678901234567890123, 1E-7], "text": "numbers"}"#,
        r#"{"text":"a","n":12345678901234567890123}"#,
        r#"{"x": 1e400, "y": [-1E+999, 0.1e-99999], "text": "out of range"}"#,
        r#"{"u": "caf\u00e9 \/ \ud83d\ude42", "text": "caf\u00e9 \/ \ud83d\ude42 \u001F \u0041"}"#,
        r#"{"text": "line\none\ttab \"quoted\" back\\slash \u0000 end"}"#,
        r#"{"text": "ends with an escaped quote \""   }"#,
        r#"{"text": "escaped \n, then more members", "b": 1,"c":{"d":"e"}}"#,
        r#"{"text": "first", "text": "second"}"#,
        r#"{"id": "x", "text": "t", "id": "y"}"#,
        r#"{"a": 1, "text": "t", "a": {"b": 2}}"#,
        r#"{"a": {"k": 1, "k": 2}, "text": "nested duplicate"}"#,
        r#"{"te\u0078t": "key with an escape", "other": 1}"#,
        r#"{"text": "plain key first", "te\u0078t": "escaped key last"}"#,
        r#"{"k\"q": 1, "text": "quote in a key"}"#,
        r#"{"rinse": {"old": 1}, "text": "has a rinse key"}"#,
        r#"{"rin\u0073e": 1, "text": "escaped rinse key"}"#,
        r#"{"text": "rinse last", "rinse": 0}"#,
        r#"{"\u00e9": "non-ASCII key", "text": "t"}"#,
        r#"{"é": "raw non-ASCII key", "text": "t"}"#,
        r#"{"x": "\ud800 lone", "text": "t", "y": ["\udc00", {"\udbff": "\uDFFF\ud800"}]}"#,
        r#"{"\ud800": 1, "text": "lone surrogate in a key", "\uD800": 2}"#,
        r#"{"text": "\ud800 lone in the text \udc00 \ud83d\ude42 \ud83d"}"#,
        r#"{"text": "\ud800\u0041 \ud800\n \uDBFF\uDBFF\uDFFF"}"#,
        r#"{"a": [1.0e5,  -0 ,{"b" :"\u00e9" , "c":	[ ] }], "text": "nested spacing kept"}"#,
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
        r#"{"x": "a", "text": "t", }"#,
        r#"{text: "unquoted"}"#,
        r#"{"text": "\x"}"#,
        r#"{"text": "\u12"}"#,
        r#"{"text": "\u12G4"}"#,
        "{\"text\": \"raw control \u{1} byte\"}",
        r#"{"a": 01, "text": "t"}"#,
        r#"{"a": -, "text": "t"}"#,
        r#"{"a": 1., "text": "t"}"#,
        r#"{"a": 1e, "text": "t"}"#,
        r#"{"a": tru, "text": "t"}"#,
        r#"{"a": 1"#,
        r#"{"a""#,
        r#"{"#,
        "",
        "   ",
        "[1, 2.0]",
        "  [1e400, \"\\ud800\"]  ",
        r#""\ud800""#,
        r#""a string""#,
        "1.0e5",
        "null",
        "[1, 2",
        "x",
        // What serde_json's `Value` would refuse first is kept; the fault after it is
        // named.
        r#"{"x": "\ud800", "text": "t",}"#,
        r#"{"x": 1e400 "text": "t"}"#,
        r#"{"x": "\ud800\x", "text": "t"}"#,
        r#"[1e400, "\ud800""#,
    ]
    .map(String::from)
    .to_vec();
    v.extend([deep(127), deep(128), deep(1000)]);
    v.push(format!(
        r#"{{"x": 1e400, "y": "\ud800", "d": {}}}"#,
        "[".repeat(200)
    ));
    v.push(format!("{}{}", "[".repeat(127), "]".repeat(127)));
    v.push(format!("{}{}", "[".repeat(128), "]".repeat(128)));
    v
}

/// serde_json's errors about what a record keeps as written (the documented exceptions:
/// lone surrogate escapes and numbers out of `f64`'s range).
pub(super) fn kept_as_written(e: &serde_json::Error) -> bool {
    let m = e.to_string();
    m.starts_with("lone leading surrogate in hex escape")
        || m.starts_with("unexpected end of hex escape")
        || m.starts_with("number out of range")
}

/// serde_json's decoding of a string token as bytes, which skips the surrogate check (a
/// lone surrogate comes out as its 3-byte generalized UTF-8 form).
pub(super) fn wtf8(token: &str) -> Vec<u8> {
    struct Bytes;
    impl Visitor<'_> for Bytes {
        type Value = Vec<u8>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_bytes<E>(self, v: &[u8]) -> Result<Vec<u8>, E> {
            Ok(v.to_vec())
        }
    }
    serde_json::Deserializer::from_str(token)
        .deserialize_bytes(Bytes)
        .unwrap_or_else(|e| panic!("{token}: {e}"))
}

/// `wtf8` with each lone surrogate as U+FFFD, and how many there were.
pub(super) fn lossy(wtf8: &[u8]) -> (String, u32) {
    let (mut out, mut n, mut i) = (Vec::new(), 0, 0);
    while i < wtf8.len() {
        if wtf8[i] == 0xED && wtf8.get(i + 1).is_some_and(|b| *b >= 0xA0) {
            out.extend_from_slice("\u{FFFD}".as_bytes());
            n += 1;
            i += 3;
        } else {
            out.push(wtf8[i]);
            i += 1;
        }
    }
    (String::from_utf8(out).unwrap(), n)
}

/// One member of the reference: the key decoded (WTF-8), its token and the value token,
/// as serde_json's raw view gives them.
#[derive(Clone, Debug)]
pub(super) struct RefMember {
    pub key: Vec<u8>,
    pub key_token: String,
    pub value: String,
}

/// The members of an object line as serde_json reads it raw (grammar checked, numbers
/// and surrogates not), repeated keys merged as its order-preserving map merges them;
/// `None` if the line is not an object of valid grammar.
pub(super) fn raw_members(line: &str) -> Option<Vec<RefMember>> {
    struct Members;
    impl<'de> Visitor<'de> for Members {
        type Value = Vec<(&'de RawValue, &'de RawValue)>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut v = Vec::new();
            while let Some(k) = map.next_key::<&RawValue>()? {
                v.push((k, map.next_value::<&RawValue>()?));
            }
            Ok(v)
        }
    }
    let mut de = serde_json::Deserializer::from_str(line);
    let pairs = de.deserialize_map(Members).ok()?;
    de.end().ok()?;
    let mut out: Vec<RefMember> = Vec::new();
    for (k, v) in pairs {
        let key = wtf8(k.get());
        match out.iter_mut().find(|m| m.key == key) {
            Some(m) => m.value = v.get().to_string(),
            None => out.push(RefMember {
                key,
                key_token: k.get().to_string(),
                value: v.get().to_string(),
            }),
        }
    }
    Some(out)
}

/// The reference's text field: its string (lone surrogates as U+FFFD) and their count,
/// or what is wrong with it.
pub(super) fn ref_text(members: &[RefMember], name: &str) -> (Result<String, TextProblem>, u32) {
    match members.iter().find(|m| m.key == name.as_bytes()) {
        None => (Err(TextProblem::Missing), 0),
        Some(m) if m.value.starts_with('"') => {
            let (s, n) = lossy(&wtf8(&m.value));
            (Ok(s), n)
        }
        Some(m) if m.value == "null" => (Err(TextProblem::Null), 0),
        Some(_) => (Err(TextProblem::NotString), 0),
    }
}

/// The reference's id: a string decoded, a number as written.
pub(super) fn ref_id(members: &[RefMember], name: &str) -> Option<String> {
    let m = members.iter().find(|m| m.key == name.as_bytes())?;
    match m.value.as_bytes()[0] {
        b'"' => Some(lossy(&wtf8(&m.value)).0),
        b'-' | b'0'..=b'9' => Some(m.value.clone()),
        _ => None,
    }
}

/// What a record of these members writes: every member as written, compact between
/// them, with the text field (`text_field`) holding `text` (`None`: its original string,
/// as serde_json writes it; a non-string text stays as written) and `extra` set (in
/// place, or appended), as inserting into serde_json's map places them.
pub(super) fn ref_written(
    members: &[RefMember],
    text_field: &str,
    text: Option<&str>,
    extra: Option<(&str, &[u8])>,
) -> String {
    let mut ms: Vec<(String, String, Vec<u8>)> = members
        .iter()
        .map(|m| {
            let value = match (text, m.key == text_field.as_bytes()) {
                (None, true) if m.value.starts_with('"') => {
                    serde_json::to_string(&lossy(&wtf8(&m.value)).0).unwrap()
                }
                _ => m.value.clone(),
            };
            (m.key_token.clone(), value, m.key.clone())
        })
        .collect();
    let mut set = |key: &str, value: String| match ms.iter_mut().find(|m| m.2 == key.as_bytes()) {
        Some(m) => m.1 = value,
        None => ms.push((serde_json::to_string(key).unwrap(), value, key.into())),
    };
    if let Some(t) = text {
        set(text_field, serde_json::to_string(t).unwrap());
    }
    if let Some((k, v)) = extra {
        set(k, String::from_utf8(v.to_vec()).unwrap());
    }
    let inner: Vec<String> = ms.iter().map(|(k, v, _)| format!("{k}:{v}")).collect();
    format!("{{{}}}", inner.join(","))
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
fn odd_lines_are_objects_that_serde_json_reads_or_refuses_only_for_kept_values() {
    for line in odd_lines() {
        assert!(raw_members(&line).is_some(), "{line}");
        match serde_json::from_str::<Value>(&line) {
            Ok(v) => assert!(v.is_object(), "{line}"),
            Err(e) => assert!(kept_as_written(&e), "{line}: {e}"),
        }
    }
}

#[test]
fn parse_agrees_with_the_reference_on_id_text_and_problems() {
    // The id of a number is its token as written now (it was serde_json's `Number`
    // formatting: `1e2` was "100.0"); strings and the text are decoded as serde_json
    // decodes them, lone surrogates as U+FFFD.
    for line in odd_lines() {
        let members = raw_members(&line).unwrap();
        let p = ok(&line);
        assert_eq!(p.id, ref_id(&members, "id"), "{line}");
        let (want_text, replaced) = ref_text(&members, "text");
        assert_eq!(p.text, want_text, "{line}");
        assert_eq!(p.surrogates_replaced, replaced, "{line}");
        assert_eq!(
            p.record.original_text().map(|t| t.into_owned()),
            want_text.clone().ok(),
            "{line}"
        );
        if let Ok(t) = &want_text {
            assert!(p.record.original_is(t), "{line}");
            assert!(p.record.original_is_text(t), "{line}");
            assert!(!p.record.original_is(&format!("{t}x")), "{line}");
        }
        // Where serde_json reads the line, it agrees.
        if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&line) {
            let want = match map.get("text") {
                Some(Value::String(s)) => Ok(s.clone()),
                None => Err(TextProblem::Missing),
                Some(Value::Null) => Err(TextProblem::Null),
                Some(_) => Err(TextProblem::NotString),
            };
            assert_eq!(p.text, want, "{line}");
            match map.get("id") {
                Some(Value::String(s)) => assert_eq!(p.id.as_ref(), Some(s), "{line}"),
                Some(Value::Number(n)) => {
                    let id: Value = serde_json::from_str(p.id.as_deref().unwrap()).unwrap();
                    assert_eq!(id.as_f64(), n.as_f64(), "{line}");
                }
                _ => assert_eq!(p.id, None, "{line}"),
            }
        }
    }
}

#[test]
fn written_as_read_keeps_every_member_as_written() {
    // Was: the bytes serde_json's map writes (numbers, escapes and nested spacing made
    // canonical). Now every member is copied as read; only the text is written as
    // serde_json writes its string.
    for line in odd_lines() {
        let want = ref_written(&raw_members(&line).unwrap(), "text", None, None);
        let got = text(&ok(&line).record.to_json());
        assert_eq!(got, want, "{line}");
        // Valid JSON, and where serde_json reads the line, the same value.
        assert!(serde_json::from_str::<&RawValue>(&got).is_ok(), "{got}");
        if let Ok(v) = serde_json::from_str::<Value>(&line) {
            assert_eq!(serde_json::from_str::<Value>(&got).unwrap(), v, "{line}");
        }
    }
}

#[test]
fn written_with_a_new_text_is_the_members_as_read_with_it_inserted() {
    // Was: what inserting into serde_json's map writes. The members land where the map
    // puts them still, but every other member is copied as read.
    let explain = json!({"lang": "de", "removals": [{"rule": "r", "start": 0}]});
    let explain_bytes = serde_json::to_vec(&explain).unwrap();
    for line in odd_lines() {
        let p = ok(&line);
        let members = raw_members(&line).unwrap();
        for new_text in ["", "cleaned \"text\"\n\nwith\tcontrol \u{1} bytes é"] {
            for with_explain in [false, true] {
                let extra = with_explain.then_some(("rinse", explain_bytes.as_slice()));
                let want = ref_written(&members, "text", Some(new_text), extra);
                let mut got = Vec::new();
                p.record.write_with_text(&mut got, "text", new_text, extra);
                assert_eq!(text(&got), want, "{line}");
                if let Ok(Value::Object(mut map)) = serde_json::from_str::<Value>(&line) {
                    map.insert("text".into(), json!(new_text));
                    if with_explain {
                        map.insert("rinse".into(), explain.clone());
                    }
                    let got: Value = serde_json::from_slice(&got).unwrap();
                    assert_eq!(got, Value::Object(map), "{line}");
                }
            }
        }
    }
}

#[test]
fn numbers_and_lone_surrogates_are_kept_as_written() {
    let line = r#"{"text":"a","n":12345678901234567890123}"#;
    assert_eq!(text(&ok(line).record.to_json()), line);
    let line = r#"{"id": 12345678901234567890123, "x": 1e400, "text": "b\ud800c", "y": "\ud800", "z": [ 1.50 , -0 ]}"#;
    let p = ok(line);
    assert_eq!(p.id.as_deref(), Some("12345678901234567890123"));
    assert_eq!(p.text.as_deref(), Ok("b\u{FFFD}c"));
    assert_eq!(p.surrogates_replaced, 1);
    assert_eq!(
        text(&p.record.to_json()),
        r#"{"id":12345678901234567890123,"x":1e400,"text":"b�c","y":"\ud800","z":[ 1.50 , -0 ]}"#
    );
    let mut out = Vec::new();
    p.record.write_with_text(&mut out, "text", "new", None);
    assert_eq!(
        text(&out),
        r#"{"id":12345678901234567890123,"x":1e400,"text":"new","y":"\ud800","z":[ 1.50 , -0 ]}"#
    );
    assert_eq!(
        ok(r#"{"text": "\ud800\udc00\udc00"}"#).surrogates_replaced,
        1
    );
    assert_eq!(
        ok(r#"{"text": "ok", "x": "\ud800"}"#).surrogates_replaced,
        0
    );
}

#[test]
fn keys_are_the_fields_they_decode_to() {
    let p = ok(r#"{"i\u0064": 5, "te\u0078t": "a", "rin\u0073e": 1, "b": 2}"#);
    assert_eq!(p.id.as_deref(), Some("5"));
    assert_eq!(p.text.as_deref(), Ok("a"));
    let mut out = Vec::new();
    p.record
        .write_with_text(&mut out, "text", "new", Some(("rinse", b"{}")));
    assert_eq!(
        text(&out),
        r#"{"i\u0064":5,"te\u0078t":"new","rin\u0073e":{},"b":2}"#
    );
    // A key with a lone surrogate is no field name, not even one with U+FFFD.
    let f = Fields {
        text: "\u{FFFD}".into(),
        id: "id".into(),
    };
    let p = parse(r#"{"\ud800": "not the text"}"#.into(), &f).unwrap();
    assert_eq!(p.text, Err(TextProblem::Missing));
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
fn bad_lines_fail_with_serde_json_s_message_or_keep_the_value() {
    for line in bad_lines() {
        let line = line.as_str();
        let reference = serde_json::from_str::<Value>(line);
        match parse(line.to_string(), &fields()) {
            Err(LineError::Malformed { error, line: back }) => {
                assert_eq!(back, line);
                let want = match &reference {
                    Err(e) if !kept_as_written(e) => e.to_string(),
                    // serde_json stops at a kept value first; the fault after it is the
                    // one it names once those are out of its way.
                    Err(_) => serde_json::from_str::<Value>(&raw::neutralized(line))
                        .unwrap_err()
                        .to_string(),
                    Ok(v) => panic!("{line}: serde_json reads {v}"),
                };
                assert_eq!(error.to_string(), want, "{line}");
            }
            Err(LineError::NotObject(rec)) => {
                assert!(!rec.is_object());
                // Was: the value as serde_json writes it (`[1,2.0]`); now as written.
                let got = text(&rec.to_json());
                assert_eq!(got, line.trim(), "{line}");
                match reference {
                    Ok(v) => assert!(!v.is_object(), "{line}"),
                    Err(e) => assert!(kept_as_written(&e), "{line}: {e}"),
                }
            }
            Ok(p) => panic!("{line}: {p:?}"),
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
    // Was `[1,2.0]` (serde_json's form); a value that is not an object is kept as
    // written too.
    assert_eq!(text(&back.to_json()), "[1, 2.0]");
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

#[test]
fn spill_round_trip_of_a_nested_text_keeps_it_in_place() {
    let f = Fields {
        text: "m.t".into(),
        id: "id".into(),
    };
    let line = r#"{"id": 1, "m": {"t": "x\u0041", "k": [1, 2]}, "z": null}"#;
    let p = parse(line.to_string(), &f).unwrap();
    let mut with_text = Vec::new();
    p.record.write_with_text(&mut with_text, "m.t", "new", None);
    for drop_original in [false, true] {
        let mut e = Enc::default();
        p.record.spill(drop_original, &mut e);
        let mut d = Dec::new(&e.0);
        let back = Record::unspill(&mut d).unwrap();
        assert!(d.is_empty());
        // A nested text is always stored: the member holds more than the text.
        assert!(!back.original_is_doc_text());
        let mut again = Vec::new();
        back.write_with_text(&mut again, "m.t", "new", None);
        assert_eq!(text(&again), text(&with_text));
        assert_eq!(text(&back.to_json()), text(&p.record.to_json()));
        for cut in 1..e.0.len().min(20) {
            assert!(Record::unspill(&mut Dec::new(&e.0[..e.0.len() - cut])).is_err());
        }
    }
    assert_eq!(
        text(&with_text),
        r#"{"id":1,"m":{"t": "new", "k": [1, 2]},"z":null}"#
    );
}
