//! Long run: `PROPTEST_CASES=1000000 cargo test --lib record::fuzz` (add `--release` for speed).
//!
//! Differential tests with proptest: the record parser and writer against serde_json on
//! generated JSON objects (keys with escapes and non-ASCII, nested values, numbers of
//! every spelling, odd whitespace, repeated keys, lone surrogates, numbers out of range),
//! on near-JSON (those lines mutated) and on arbitrary text; the escaper against
//! `serde_json::to_string`. `PROPTEST_CASES` sets the case count of every property.
use super::parse::{parse, LineError, Parsed};
use super::raw::{decode_str, neutralized, str_token_eq, Lone};
use super::tests::{kept_as_written, raw_members, ref_id, ref_text, ref_written};
use super::{escape_contents, escape_str, Record};
use crate::codec::{Dec, Enc};
use crate::read::Fields;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError};
use serde_json::value::RawValue;
use serde_json::Value;

/// `cases` cases, or `PROPTEST_CASES`; no regression files written into the tree.
fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// JSON whitespace, mostly none or one space.
fn ws() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => Just(String::new()),
        2 => Just(" ".to_string()),
        1 => prop::collection::vec(prop::sample::select(vec![' ', '\t', '\n', '\r']), 0..4)
            .prop_map(|v| v.into_iter().collect()),
    ]
}

/// A `\uXXXX` escape of `u`, in lower- or uppercase hex.
fn hex_escape(u: u32, upper: bool) -> String {
    if upper {
        format!("\\u{u:04X}")
    } else {
        format!("\\u{u:04x}")
    }
}

/// A piece of a string token's contents: characters, short escapes, `\u` escapes of any
/// code unit (lone surrogates included), surrogate pairs.
fn str_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        // Those that would need an escape become `_` (a filter would reject too many in
        // long runs).
        8 => any::<char>()
            .prop_map(|c| if c < ' ' || c == '"' || c == '\\' { '_' } else { c })
            .prop_map(String::from),
        3 => prop::sample::select(vec!["a", "text", "id", " ", "é", "漢", "🙂", "\u{7f}", "\u{2028}"])
            .prop_map(String::from),
        3 => prop::sample::select(vec![r#"\""#, r"\\", r"\/", r"\b", r"\f", r"\n", r"\r", r"\t"])
            .prop_map(String::from),
        2 => (0u32..0x10000, any::<bool>()).prop_map(|(u, up)| hex_escape(u, up)),
        1 => (0u32..0x80, any::<bool>()).prop_map(|(u, up)| hex_escape(u, up)),
        1 => (0xD800u32..0xE000, any::<bool>()).prop_map(|(u, up)| hex_escape(u, up)),
        1 => (0xD800u32..0xDC00, 0xDC00u32..0xE000, any::<bool>())
            .prop_map(|(h, l, up)| hex_escape(h, up) + &hex_escape(l, up)),
    ]
}

fn string_token() -> impl Strategy<Value = String> {
    prop::collection::vec(str_piece(), 0..10).prop_map(|v| format!("\"{}\"", v.concat()))
}

/// Numbers of every spelling: signs, leading zero, fractions, exponents (some beyond
/// `f64`), integers beyond 64 bits.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        "-?(0|[1-9][0-9]{0,25})(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?",
        prop::sample::select(vec![
            "0",
            "-0",
            "-0.0",
            "1e400",
            "-1E+999",
            "1e-400",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775809",
            "12345678901234567890123",
        ])
        .prop_map(String::from),
    ]
}

/// Keys: the field names (some escaped), a few others, any string token.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            r#""text""#, r#""id""#, r#""a""#, r#""rinse""#, r#""te\u0078t""#,
            r#""i\u0064""#, r#""\u0074ext""#, r#""\ud800""#, r#""\uD800""#, r#""é""#,
            r#""\u00e9""#,
        ])
        .prop_map(String::from),
        1 => string_token(),
    ]
}

fn value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        3 => number(),
        3 => string_token(),
        1 => prop::sample::select(vec!["true", "false", "null"]).prop_map(String::from),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            (
                prop::collection::vec((ws(), inner.clone(), ws()), 0..5),
                ws()
            )
                .prop_map(|(items, w)| {
                    let items: Vec<String> =
                        items.into_iter().map(|(a, v, b)| a + &v + &b).collect();
                    format!("[{}{w}]", items.join(","))
                }),
            (
                prop::collection::vec((ws(), key(), ws(), ws(), inner, ws()), 0..5),
                ws()
            )
                .prop_map(|(members, w)| object(members, w)),
        ]
    })
}

fn object(members: Vec<(String, String, String, String, String, String)>, w: String) -> String {
    let members: Vec<String> = members
        .into_iter()
        .map(|(a, k, b, c, v, d)| format!("{a}{k}{b}:{c}{v}{d}"))
        .collect();
    format!("{{{}{w}}}", members.join(","))
}

/// A JSON object line: members with any keys, the text usually a string.
fn object_line() -> impl Strategy<Value = String> {
    let text_value = prop_oneof![4 => string_token(), 1 => value()];
    let member = prop_oneof![
        3 => (ws(), key(), ws(), ws(), value(), ws()),
        2 => (ws(), Just(r#""text""#.to_string()), ws(), ws(), text_value, ws()),
    ];
    (ws(), prop::collection::vec(member, 0..7), ws(), ws())
        .prop_map(|(lead, members, w, trail)| lead + &object(members, w) + &trail)
}

/// Characters that matter to JSON, for mutations and near-JSON noise.
fn json_char() -> impl Strategy<Value = char> {
    prop::sample::select(vec![
        '{', '}', '[', ']', ':', ',', '"', '\\', '0', '1', '9', '-', '+', '.', 'e', 'E', 't', 'r',
        'u', 'f', 'a', 'l', 's', 'n', 'x', ' ', '\t', '\n', 'é', '\u{1}', '\u{1f}',
    ])
}

#[derive(Clone, Debug)]
enum Mutation {
    Delete(prop::sample::Index),
    Insert(prop::sample::Index, char),
    Replace(prop::sample::Index, char),
    Truncate(prop::sample::Index),
    Repeat(prop::sample::Index, prop::sample::Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<prop::sample::Index>().prop_map(Mutation::Delete),
        (any::<prop::sample::Index>(), json_char()).prop_map(|(i, c)| Mutation::Insert(i, c)),
        (any::<prop::sample::Index>(), json_char()).prop_map(|(i, c)| Mutation::Replace(i, c)),
        any::<prop::sample::Index>().prop_map(Mutation::Truncate),
        (any::<prop::sample::Index>(), any::<prop::sample::Index>())
            .prop_map(|(a, b)| Mutation::Repeat(a, b)),
    ]
}

fn mutate(line: &str, mutations: &[Mutation]) -> String {
    let mut c: Vec<char> = line.chars().collect();
    for m in mutations {
        let n = c.len();
        match m {
            Mutation::Delete(i) if n > 0 => {
                c.remove(i.index(n));
            }
            Mutation::Insert(i, ch) => c.insert(i.index(n + 1), *ch),
            Mutation::Replace(i, ch) if n > 0 => c[i.index(n)] = *ch,
            Mutation::Truncate(i) => c.truncate(i.index(n + 1)),
            Mutation::Repeat(a, b) if n > 0 => {
                let (a, b) = (a.index(n), b.index(n));
                let piece: Vec<char> = c[a.min(b)..=a.max(b)].to_vec();
                let at = a.max(b) + 1;
                c.splice(at..at, piece);
            }
            _ => {}
        }
    }
    c.into_iter().collect()
}

fn fields() -> Fields {
    Fields::default()
}

/// Check the parser on `line` against serde_json (see the module doc).
fn check_line(line: &str) -> Result<(), TestCaseError> {
    let reference = serde_json::from_str::<Value>(line);
    let got = parse(line.to_string(), &fields());
    // The neutralized line (kept values made harmless) is judged as the line is: the
    // parser names the first fault after a kept value by it.
    let neutral = neutralized(line);
    prop_assert_eq!(neutral.len(), line.len());
    let neutral = serde_json::from_str::<Value>(&neutral).map_err(|e| e.to_string());
    match &reference {
        Ok(_) => prop_assert!(neutral.is_ok(), "{:?}: {:?}", line, neutral),
        Err(e) if !kept_as_written(e) => {
            prop_assert_eq!(neutral.as_ref().err(), Some(&e.to_string()), "{:?}", line)
        }
        Err(_) => {}
    }
    match &reference {
        Ok(Value::Object(_)) => {
            let p = got.map_err(|e| fail(line, &format!("serde_json reads it, parse: {e:?}")))?;
            check_record(line, &p)?;
        }
        Ok(_) => check_not_object(line, got)?,
        Err(e) if !kept_as_written(e) => match got {
            Err(LineError::Malformed { error, line: back }) => {
                prop_assert_eq!(error.to_string(), e.to_string(), "{:?}", line);
                prop_assert_eq!(back, line);
            }
            other => return Err(fail(line, &format!("serde_json: {e}; parse: {other:?}"))),
        },
        // serde_json refuses a lone surrogate or a number out of range first: judged on
        // its raw reading of the line instead (grammar only).
        Err(_) => {
            if raw_members(line).is_some() {
                let p =
                    got.map_err(|e| fail(line, &format!("valid but for kept values: {e:?}")))?;
                check_record(line, &p)?;
            } else if serde_json::from_str::<&RawValue>(line).is_ok() {
                check_not_object(line, got)?;
            } else {
                let Err(LineError::Malformed { error, .. }) = &got else {
                    return Err(fail(line, &format!("not JSON, parse: {got:?}")));
                };
                prop_assert_eq!(Some(error.to_string()), neutral.err(), "{:?}", line);
            }
        }
    }
    Ok(())
}

fn fail(line: &str, msg: &str) -> TestCaseError {
    TestCaseError::fail(format!("{line:?}: {msg}"))
}

fn check_not_object(line: &str, got: Result<Parsed, LineError>) -> Result<(), TestCaseError> {
    let Err(LineError::NotObject(rec)) = got else {
        return Err(fail(line, &format!("not an object, parse: {got:?}")));
    };
    let written = String::from_utf8(rec.to_json()).unwrap();
    prop_assert_eq!(&written, line.trim_matches([' ', '\t', '\n', '\r']));
    Ok(())
}

/// The parsed record of an object line against serde_json's raw reading of it (and its
/// `Value`, where it has one): text, id, the bytes written as read and with a new text,
/// the spill round trip.
fn check_record(line: &str, p: &Parsed) -> Result<(), TestCaseError> {
    let members = raw_members(line).ok_or_else(|| fail(line, "no raw reading"))?;
    let (text, replaced) = ref_text(&members, "text");
    prop_assert_eq!(&p.text, &text, "{:?}", line);
    prop_assert_eq!(p.surrogates_replaced, replaced, "{:?}", line);
    prop_assert_eq!(&p.id, &ref_id(&members, "id"), "{:?}", line);
    let rec = &p.record;
    if let Ok(t) = &text {
        prop_assert!(rec.original_is(t), "{:?}", line);
        let original = rec.original_text();
        prop_assert_eq!(original.as_deref(), Some(t.as_str()));
    }
    let written = String::from_utf8(rec.to_json()).unwrap();
    prop_assert_eq!(
        &written,
        &ref_written(&members, "text", None, None),
        "{:?}",
        line
    );
    prop_assert!(
        serde_json::from_str::<&RawValue>(&written).is_ok(),
        "{}",
        written
    );
    let explain = br#"{"lang":null}"#;
    let mut with = Vec::new();
    rec.write_with_text(&mut with, "text", "new\n\"t\"", Some(("rinse", explain)));
    let with = String::from_utf8(with).unwrap();
    let want = ref_written(
        &members,
        "text",
        Some("new\n\"t\""),
        Some(("rinse", explain)),
    );
    prop_assert_eq!(&with, &want, "{:?}", line);
    if let Ok(Value::Object(mut map)) = serde_json::from_str::<Value>(line) {
        // Numbers and strings as written parse to what the line held.
        prop_assert_eq!(
            serde_json::from_str::<Value>(&written).ok(),
            Some(Value::Object(map.clone())),
            "{:?}",
            line
        );
        map.insert("text".into(), Value::from("new\n\"t\""));
        map.insert("rinse".into(), serde_json::json!({"lang": null}));
        prop_assert_eq!(
            serde_json::from_str::<Value>(&with).ok(),
            Some(Value::Object(map)),
            "{:?}",
            line
        );
    }
    for drop_original in [false, text.is_ok()] {
        let mut e = Enc::default();
        rec.spill(drop_original, &mut e);
        let mut back =
            Record::unspill(&mut Dec::new(&e.0)).map_err(|e| fail(line, &e.to_string()))?;
        if let Ok(t) = &text {
            back.resolve_original(t.clone());
        }
        prop_assert_eq!(String::from_utf8(back.to_json()).unwrap(), written.clone());
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn generated_objects_agree_with_serde_json(line in object_line()) {
        prop_assert!(raw_members(&line).is_some(), "{:?}", line);
        check_line(&line)?;
    }

    #[test]
    fn mutated_objects_agree_with_serde_json(
        line in object_line(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        check_line(&mutate(&line, &mutations))?;
    }

    #[test]
    fn generated_values_agree_with_serde_json(v in value(), lead in ws(), trail in ws()) {
        check_line(&format!("{lead}{v}{trail}"))?;
    }
}

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn near_json_agrees_with_serde_json(chars in prop::collection::vec(json_char(), 0..30)) {
        let line: String = chars.into_iter().collect();
        check_line(&line)?;
        check_line(&format!("{{\"text\":{line}"))?;
    }

    #[test]
    fn arbitrary_text_agrees_with_serde_json(line in any::<String>()) {
        check_line(&line)?;
    }
}

/// Strings for the escaper: any characters, with those that need escaping and those
/// near them (DEL, non-ASCII) often, at every offset of the 16- and 32-byte blocks.
fn odd_string() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        3 => any::<char>(),
        2 => (0u8..0x20).prop_map(char::from),
        2 => prop::sample::select(vec!['"', '\\', '\u{7f}', 'é', '🙂', ' ', 'a']),
    ];
    prop::collection::vec(c, 0..80).prop_map(|v| v.into_iter().collect())
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn escaper_is_serde_json_s(s in odd_string()) {
        let want = serde_json::to_string(&s).unwrap();
        let mut got = Vec::new();
        escape_str(&mut got, &s);
        prop_assert_eq!(std::str::from_utf8(&got).unwrap(), want.as_str());
        let mut contents = b"prefix".to_vec();
        escape_contents(&mut contents, &s);
        prop_assert_eq!(&contents[6..], &want.as_bytes()[1..want.len() - 1]);
        // And what it writes decodes back.
        prop_assert_eq!(decode_str(&want), Some((s.clone(), 0)));
        prop_assert!(str_token_eq(want.as_bytes(), &s, Lone::Refuse));
    }

    #[test]
    fn arbitrary_strings_escape_as_serde_json_s(s in any::<String>()) {
        let mut got = Vec::new();
        escape_str(&mut got, &s);
        prop_assert_eq!(String::from_utf8(got).unwrap(), serde_json::to_string(&s).unwrap());
    }
}
