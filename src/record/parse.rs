//! Parsing a JSONL line into a [`Record`], its id and its text, in one pass of serde_json
//! that validates it: top-level keys and values as raw slices (`&RawValue`, which checks
//! the JSON grammar but not the range of numbers or the pairing of surrogate escapes);
//! the text's slice is then decoded straight into its `String`, and the record keeps
//! the line with the spans of its members.
//!
//! What is accepted is what serde_json accepts as a `Value`, and also lone surrogate
//! escapes (`"\ud800"`) and numbers beyond `f64` (`1e400`), which a `Value` cannot hold
//! but which are kept as written. Rejected lines carry serde_json's error: the one a
//! `Value` gives when that is about the grammar or the depth, else the one of the raw pass.
use super::raw::{self, decode_str, has_duplicate, key_is, key_units, nests_deeper};
use super::{Body, Member, Original, Record, Text};
use crate::read::Fields;
use serde::de::{self, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

/// A JSONL line that holds a JSON object.
#[derive(Debug)]
pub struct Parsed {
    pub record: Record,
    /// The id field: a string, or a number as written (`12345678901234567890123`,
    /// `1e2`); `None` without one.
    pub id: Option<String>,
    /// The text field's string, or what is wrong with it.
    pub text: Result<String, TextProblem>,
    /// Lone surrogate escapes in the text field's string (`"\ud800"`, which Python's
    /// `json.dumps` writes for text that held a broken surrogate), each decoded to
    /// U+FFFD. Those in other fields are kept as written and not counted.
    pub surrogates_replaced: u32,
}

/// Why a record has no usable text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextProblem {
    Missing,
    Null,
    NotString,
}

/// A line that is not a JSON object.
#[derive(Debug)]
pub enum LineError {
    /// Not JSON: serde_json's error, and the line.
    Malformed {
        error: serde_json::Error,
        line: String,
    },
    /// JSON, but not an object.
    NotObject(Record),
}

/// serde_json's nesting limit for a whole line (`Value`): 127 open arrays and objects.
const LINE_DEPTH: usize = 127;

/// Parse one JSONL line (already known to be UTF-8).
pub fn parse(line: String, fields: &Fields) -> Result<Parsed, LineError> {
    let first = line
        .bytes()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if first != Some(b'{') {
        return Err(not_object(line));
    }
    let scanned = {
        let mut de = serde_json::Deserializer::from_str(&line);
        de::Deserializer::deserialize_map(&mut de, Scan { line: &line })
            .and_then(|s| de.end().map(|()| s))
    };
    let Scanned {
        mut members,
        escaped_keys,
        too_deep,
    } = match scanned {
        Ok(s) => s,
        Err(e) => return Err(malformed(line, e)),
    };
    if too_deep {
        return Err(too_deep_error(line));
    }
    if members.len() > 1 {
        merge_duplicates(line.as_bytes(), &mut members, escaped_keys);
    }
    let text_place = locate(&line, &members, &fields.text);
    let id_place = locate(&line, &members, &fields.id);
    let value = |p: &Place| line.get(p.value.clone()).unwrap_or("null");
    let mut surrogates_replaced = 0;
    let text = match text_place.as_ref().map(value) {
        None => Err(TextProblem::Missing),
        Some(raw) if raw.starts_with('"') => match decode_str(raw) {
            Some((s, n)) => {
                surrogates_replaced = n;
                Ok(s)
            }
            // A string token serde_json validated always decodes.
            None => return Err(malformed(line, de::Error::custom("invalid string"))),
        },
        Some("null") => Err(TextProblem::Null),
        Some(_) => Err(TextProblem::NotString),
    };
    let id = match &id_place {
        Some(i) if Some(i) == text_place.as_ref() && text.is_ok() => text.clone().ok(),
        Some(i) => id_of(value(i)),
        None => None,
    };
    let text_field = match (&text, text_place) {
        (Ok(_), Some(place)) => Some(Text {
            member: place.member,
            inner: place.nested.then_some(place.value),
            original: Original::Raw,
            decoded_is_text: true,
        }),
        _ => None,
    };
    Ok(Parsed {
        record: Record {
            buf: line.into_bytes(),
            body: Body::Object {
                members,
                text: text_field,
            },
        },
        id,
        text,
        surrogates_replaced,
    })
}

/// The id of a raw value: a string decoded, a number as written, else none.
fn id_of(raw: &str) -> Option<String> {
    match raw.as_bytes().first() {
        Some(b'"') => decode_str(raw).map(|(s, _)| s),
        Some(b'-' | b'0'..=b'9') => Some(raw.to_string()),
        _ => None,
    }
}

/// Where a field is in a line.
#[derive(Debug, PartialEq, Eq)]
struct Place {
    /// The top-level member that holds it.
    member: usize,
    /// The span of its value.
    value: Range<usize>,
    /// Nested inside the member's value (a dotted path), not the member's value itself.
    nested: bool,
}

/// Find the field `name` in a line: the top-level member whose key is `name` (keys
/// compared decoded), else, when `name` has dots, the path it spells: `a.b.c` is member
/// `a`, in its object the key `b`, in that one the key `c` (a repeated key: its last
/// value, as a map keeps it). A key that itself has a dot is reached only at the top
/// level.
fn locate(line: &str, members: &[Member], name: &str) -> Option<Place> {
    let key = |m: &Member| line.as_bytes().get(m.key.clone()).unwrap_or(b"");
    if let Some(i) = members.iter().position(|m| key_is(key(m), name)) {
        return Some(Place {
            member: i,
            value: members[i].value.clone(),
            nested: false,
        });
    }
    let (first, rest) = name.split_once('.')?;
    let member = members.iter().position(|m| key_is(key(m), first))?;
    let mut value = members[member].value.clone();
    for part in rest.split('.') {
        value = member_of(line, value, part)?;
    }
    Some(Place {
        member,
        value,
        nested: true,
    })
}

/// The span of the value of key `name` in the object at `span` of `line` (its last
/// occurrence); `None` when that is not an object or has no such key.
fn member_of(line: &str, span: Range<usize>, name: &str) -> Option<Range<usize>> {
    let object = line.get(span)?;
    if !object.starts_with('{') {
        return None;
    }
    let mut de = serde_json::Deserializer::from_str(object);
    let found = de::Deserializer::deserialize_map(&mut de, FindKey { name }).ok()??;
    span_of(line, found)
}

/// The value of one key in an object (validated already: the line parsed).
struct FindKey<'n> {
    name: &'n str,
}

impl<'de> Visitor<'de> for FindKey<'_> {
    type Value = Option<&'de str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<&'de RawValue>()? {
            let value = map.next_value::<&'de RawValue>()?;
            if key_is(key.get().as_bytes(), self.name) {
                found = Some(value.get());
            }
        }
        Ok(found)
    }
}

/// Make repeated keys one member, as serde_json's order-preserving map does: at the
/// position of the first, with the value of the last (and the key as first written).
fn merge_duplicates(line: &[u8], members: &mut Vec<Member>, escaped_keys: bool) {
    let key = |m: &Member| line.get(m.key.clone()).unwrap_or(b"");
    if !escaped_keys && !has_duplicate(members, key) {
        return;
    }
    let units: Vec<_> = members.iter().map(|m| key_units(key(m))).collect();
    if escaped_keys && !has_duplicate(&units, |u| &**u) {
        return;
    }
    let mut first: HashMap<&[u8], usize> = HashMap::with_capacity(members.len());
    let mut merged: Vec<Member> = Vec::with_capacity(members.len());
    for (m, u) in members.iter().zip(&units) {
        match first.get(&**u) {
            Some(&j) => merged[j].value = m.value.clone(),
            None => {
                first.insert(u, merged.len());
                merged.push(m.clone());
            }
        }
    }
    *members = merged;
}

/// A line that does not start with `{`: a JSON value that is not an object (kept as
/// written), or not JSON.
fn not_object(line: String) -> LineError {
    let span = match serde_json::from_str::<&RawValue>(&line) {
        Ok(raw) => span_of(&line, raw.get()),
        Err(e) => return malformed(line, e),
    };
    let Some(span) = span else {
        return malformed(line, de::Error::custom("not a slice of the line"));
    };
    if nests_deeper(&line.as_bytes()[span.clone()], LINE_DEPTH) {
        return too_deep_error(line);
    }
    LineError::NotObject(Record {
        buf: line.into_bytes(),
        body: Body::Other(span),
    })
}

/// The rejection of a line the raw pass refused with `error`: serde_json's own error
/// where it has one (see [`reference_error`]), else `error`.
fn malformed(line: String, error: serde_json::Error) -> LineError {
    let error = reference_error(&line).unwrap_or(error);
    LineError::Malformed { error, line }
}

/// The rejection of a valid line nested deeper than serde_json allows.
fn too_deep_error(line: String) -> LineError {
    let error =
        reference_error(&line).unwrap_or_else(|| de::Error::custom("recursion limit exceeded"));
    LineError::Malformed { error, line }
}

/// What serde_json says of a line that is not a record, as if it accepted lone surrogates
/// and numbers out of range: its error for the line as a `Value`, unless that is about
/// such a value; then its error for the line with those values neutralized (the first
/// fault after them). `None` if it has no other complaint (never for a line the raw pass
/// refused).
fn reference_error(line: &str) -> Option<serde_json::Error> {
    let e = serde_json::from_str::<Value>(line).err()?;
    if !kept_as_written(&e) {
        return Some(e);
    }
    let e = serde_json::from_str::<Value>(&raw::neutralized(line)).err()?;
    (!kept_as_written(&e)).then_some(e)
}

/// Is serde_json's error about what a record keeps as written?
fn kept_as_written(e: &serde_json::Error) -> bool {
    let m = e.to_string();
    [
        "lone leading surrogate in hex escape",
        "unexpected end of hex escape",
        "number out of range",
    ]
    .iter()
    .any(|p| m.starts_with(p))
}

/// The span of `part`, a slice of `line`.
fn span_of(line: &str, part: &str) -> Option<Range<usize>> {
    let start = (part.as_ptr() as usize).checked_sub(line.as_ptr() as usize)?;
    let end = start.checked_add(part.len())?;
    (end <= line.len()).then_some(start..end)
}

/// What the raw pass found.
struct Scanned {
    members: Vec<Member>,
    /// Some key has an escape (keys are then compared decoded).
    escaped_keys: bool,
    /// Some value nests deeper than serde_json allows in a line.
    too_deep: bool,
}

/// The top-level object of a line.
struct Scan<'a> {
    line: &'a str,
}

impl<'de> Visitor<'de> for Scan<'de> {
    type Value = Scanned;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scanned, A::Error> {
        let mut found = Scanned {
            members: Vec::with_capacity(8),
            escaped_keys: false,
            too_deep: false,
        };
        while let Some(key) = map.next_key::<&'de RawValue>()? {
            let key = key.get();
            let value = map.next_value::<&'de RawValue>()?.get();
            found.escaped_keys |= memchr::memchr(b'\\', key.as_bytes()).is_some();
            // The object itself is one level.
            found.too_deep |= nests_deeper(value.as_bytes(), LINE_DEPTH - 1);
            let (Some(key), Some(value)) = (span_of(self.line, key), span_of(self.line, value))
            else {
                return Err(de::Error::custom("not a slice of the line"));
            };
            found.members.push(Member { key, value });
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str, id: &str) -> Fields {
        Fields {
            text: text.into(),
            id: id.into(),
        }
    }

    #[test]
    fn dotted_paths_reach_nested_fields_and_the_text_is_written_back_in_place() {
        let f = fields("meta.body.content", "meta.id");
        let line =
            r#"{"a":1, "meta": {"id": 7, "body": {"content": "caf\u00e9 x", "n": [1]}}, "z": "t"}"#;
        let p = parse(line.to_string(), &f).unwrap();
        assert_eq!(p.text.as_deref(), Ok("café x"));
        assert_eq!(p.id.as_deref(), Some("7"));
        assert_eq!(
            String::from_utf8(p.record.to_json()).unwrap(),
            r#"{"a":1,"meta":{"id": 7, "body": {"content": "café x", "n": [1]}},"z":"t"}"#
        );
        let mut out = Vec::new();
        p.record.write_with_text(&mut out, &f.text, "new", None);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"a":1,"meta":{"id": 7, "body": {"content": "new", "n": [1]}},"z":"t"}"#
        );
        assert!(p.record.original_is("café x"));
        // A key with a literal dot wins over the path.
        let p = parse(
            r#"{"meta.id": "lit", "meta": {"id": "nested"}, "text": "t"}"#.into(),
            &fields("text", "meta.id"),
        )
        .unwrap();
        assert_eq!(p.id.as_deref(), Some("lit"));
        // Missing, null and non-string nested texts.
        let problem = |l: &str| parse(l.to_string(), &f).unwrap().text.unwrap_err();
        assert_eq!(problem(r#"{"meta": {"body": {}}}"#), TextProblem::Missing);
        assert_eq!(problem(r#"{"meta": [1]}"#), TextProblem::Missing);
        assert_eq!(
            problem(r#"{"meta": {"body": {"content": null}}}"#),
            TextProblem::Null
        );
        assert_eq!(
            problem(r#"{"meta": {"body": {"content": 3}}}"#),
            TextProblem::NotString
        );
    }

    fn members(line: &str) -> Vec<(String, String)> {
        let p = parse(line.to_string(), &Fields::default()).unwrap();
        let Body::Object { members, .. } = &p.record.body else {
            panic!("{line}");
        };
        members
            .iter()
            .map(|m| {
                (
                    line[m.key.clone()].to_string(),
                    line[m.value.clone()].to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn members_are_spans_of_the_line() {
        let got = members(
            r#"  { "z" : 1.5e3 , "text" : "t\n" , "a" : [ 1 , { "k" : "caf\u00e9" } ] }  "#,
        );
        let want = [
            (r#""z""#, "1.5e3"),
            (r#""text""#, r#""t\n""#),
            (r#""a""#, r#"[ 1 , { "k" : "caf\u00e9" } ]"#),
        ];
        assert_eq!(got.len(), want.len());
        for ((k, v), (wk, wv)) in got.iter().zip(want) {
            assert_eq!((k.as_str(), v.as_str()), (wk, wv));
        }
    }

    #[test]
    fn repeated_keys_keep_the_first_position_and_the_last_value() {
        let got = members(r#"{"a": 1, "te\u0078t": "x", "b": 2, "a": [3], "text": "y"}"#);
        let got: Vec<_> = got.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            got,
            [
                (r#""a""#, "[3]"),
                (r#""te\u0078t""#, r#""y""#),
                (r#""b""#, "2")
            ]
        );
        let p = parse(
            r#"{"text": "x", "\ud800": 1, "\uD800": 2, "\udc00": 3}"#.into(),
            &Fields::default(),
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(p.record.to_json()).unwrap(),
            r#"{"text":"x","\ud800":2,"\udc00":3}"#
        );
    }

    #[test]
    fn errors_are_serde_json_s_for_the_first_real_fault() {
        let msg = |line: &str| match parse(line.to_string(), &Fields::default()) {
            Err(LineError::Malformed { error, .. }) => error.to_string(),
            other => panic!("{line}: {other:?}"),
        };
        // Lone surrogates and huge numbers come first in these lines, but the fault
        // serde_json names is the one after them.
        assert_eq!(
            msg(r#"{"a": "\ud800", "text": "t",}"#),
            "trailing comma at line 1 column 29"
        );
        assert_eq!(
            msg(r#"{"a": 1e400 "text": "t"}"#),
            "expected `,` or `}` at line 1 column 13"
        );
        let deep = format!(
            r#"{{"x": "\ud800", "n": 1e999, "d": {}{}}}"#,
            "[".repeat(127),
            "]".repeat(127)
        );
        let want = serde_json::from_str::<Value>(&raw::neutralized(&deep))
            .unwrap_err()
            .to_string();
        assert!(want.starts_with("recursion limit exceeded"), "{want}");
        assert_eq!(msg(&deep), want);
    }
}
