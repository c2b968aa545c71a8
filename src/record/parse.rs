//! Parsing a JSONL line into a [`Record`], its id and its text, in one pass of serde_json:
//! top-level keys and other values as raw slices (`&RawValue`), the text decoded straight
//! into its `String`. Lines the fast pass cannot judge alone (a repeated key, a key with
//! escapes, a non-string text, a value nested very deep, invalid JSON) are parsed again
//! into a `serde_json::Value` exactly as before, so reasons, messages and output bytes
//! stay what serde_json's map gives.
use super::json::{self, compact, Shape};
use super::{Body, Member, Original, Record, Text};
use crate::read::Fields;
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;
use std::fmt;
use std::ops::Range;

/// A JSONL line that holds a JSON object.
#[derive(Debug)]
pub struct Parsed {
    pub record: Record,
    /// The id field: a string, or a number as serde_json writes it; `None` without one.
    pub id: Option<String>,
    /// The text field's string, or what is wrong with it.
    pub text: Result<String, TextProblem>,
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

/// Parse one JSONL line (already known to be UTF-8).
pub fn parse(line: String, fields: &Fields) -> Result<Parsed, LineError> {
    match fast(&line, fields) {
        Some(found) => match found.into_parsed(line.into_bytes()) {
            Ok(p) => Ok(p),
            Err(bytes) => slow(bytes, fields),
        },
        None => slow(line.into_bytes(), fields),
    }
}

/// The whole line as a `serde_json::Value`: the reference semantics.
fn slow(bytes: Vec<u8>, fields: &Fields) -> Result<Parsed, LineError> {
    let value: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(error) => {
            let line = String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            return Err(LineError::Malformed { error, line });
        }
    };
    let Value::Object(map) = &value else {
        return Err(LineError::NotObject(Record::from_value(
            &value,
            &fields.text,
        )));
    };
    let id = match map.get(&fields.id) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let text = match map.get(&fields.text) {
        Some(Value::String(s)) => Ok(s.clone()),
        None => Err(TextProblem::Missing),
        Some(Value::Null) => Err(TextProblem::Null),
        Some(_) => Err(TextProblem::NotString),
    };
    Ok(Parsed {
        record: Record::from_map(map, &fields.text),
        id,
        text,
    })
}

/// What the fast pass found: members as spans of the line, the values to rewrite.
struct Found {
    members: Vec<Member>,
    text: Option<(usize, String)>,
    id: Option<String>,
    rewrite: Vec<(usize, Shape)>,
}

/// The fast pass; `None` sends the line to [`slow`].
fn fast(line: &str, fields: &Fields) -> Option<Found> {
    let mut de = serde_json::Deserializer::from_str(line);
    let found = de::Deserializer::deserialize_map(&mut de, Scan { line, fields }).ok()?;
    de.end().ok()?;
    if has_duplicate_key(line.as_bytes(), &found.members) {
        return None;
    }
    Some(found)
}

fn has_duplicate_key(line: &[u8], members: &[Member]) -> bool {
    let key = |m: &Member| &line[m.key.clone()];
    if members.len() <= 16 {
        return members
            .iter()
            .enumerate()
            .any(|(i, a)| members[i + 1..].iter().any(|b| key(a) == key(b)));
    }
    let mut keys: Vec<&[u8]> = members.iter().map(key).collect();
    keys.sort_unstable();
    keys.windows(2).any(|w| w[0] == w[1])
}

impl Found {
    /// The record over the line's bytes, rewritten values appended; `Err` gives the bytes
    /// back when a value does not parse on its own (the slow pass says why).
    fn into_parsed(self, mut buf: Vec<u8>) -> Result<Parsed, Vec<u8>> {
        let Found {
            mut members,
            text,
            id,
            rewrite,
        } = self;
        let mut tmp = Vec::new();
        for (i, shape) in rewrite {
            let Some(m) = members.get_mut(i) else {
                return Err(buf);
            };
            tmp.clear();
            let raw = &buf[m.value.clone()];
            match shape {
                Shape::Spaced => compact(raw, &mut tmp),
                _ => match serde_json::from_slice::<Value>(raw) {
                    Ok(v) if serde_json::to_writer(&mut tmp, &v).is_ok() => {}
                    _ => return Err(buf),
                },
            }
            let start = buf.len();
            buf.extend_from_slice(&tmp);
            m.value = start..buf.len();
        }
        let (text_member, text) = match text {
            Some((member, s)) => (
                Some(Text {
                    member,
                    original: Original::Raw,
                }),
                Ok(s),
            ),
            None => (None, Err(TextProblem::Missing)),
        };
        Ok(Parsed {
            record: Record {
                buf,
                body: Body::Object {
                    members,
                    text: text_member,
                },
            },
            id,
            text,
        })
    }
}

/// Any error of the fast pass means: parse again slowly.
#[derive(Debug)]
struct Slow;

impl fmt::Display for Slow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not for the fast pass")
    }
}

/// The top-level object of a line.
struct Scan<'a> {
    line: &'a str,
    fields: &'a Fields,
}

impl Scan<'_> {
    /// The span of `part`, a slice of the line.
    fn span(&self, part: &str) -> Option<Range<usize>> {
        let start = (part.as_ptr() as usize).checked_sub(self.line.as_ptr() as usize)?;
        let end = start.checked_add(part.len())?;
        (end <= self.line.len()).then_some(start..end)
    }

    /// Where the value after the key that ends at `key_end` starts.
    fn value_start(&self, key_end: usize) -> Option<usize> {
        let b = self.line.as_bytes();
        let colon = skip_ws(b, key_end);
        (b.get(colon) == Some(&b':')).then(|| skip_ws(b, colon + 1))
    }

    /// Where the value before `at` ends: `at` is the start of the next key (after a
    /// comma) or the end of the line (after the closing brace).
    fn value_end(&self, at: usize, before: u8) -> Option<usize> {
        let b = self.line.as_bytes();
        let sep = skip_ws_back(b, at).checked_sub(1)?;
        (b[sep] == before).then(|| skip_ws_back(b, sep))
    }

    /// End the span of a string value whose start is known at `at` (see [`value_end`]).
    fn finish(&self, m: &mut Member, at: usize, before: u8) -> Option<()> {
        let end = self.value_end(at, before)?;
        let b = self.line.as_bytes();
        let ok = end >= m.value.start + 2 && b[m.value.start] == b'"' && b[end - 1] == b'"';
        ok.then(|| m.value.end = end)
    }
}

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(|&c| is_ws(c)) {
        i += 1;
    }
    i
}

fn skip_ws_back(b: &[u8], mut i: usize) -> usize {
    while i > 0 && is_ws(b[i - 1]) {
        i -= 1;
    }
    i
}

/// The id of a raw value, as the slow pass would make it (`Err`: let it).
fn id_of(raw: &str) -> Result<Option<String>, Slow> {
    match raw.as_bytes().first() {
        Some(b'"') if !raw.contains('\\') => Ok(Some(raw[1..raw.len() - 1].to_string())),
        Some(b'"') => serde_json::from_str::<String>(raw)
            .map(Some)
            .map_err(|_| Slow),
        Some(b'-' | b'0'..=b'9') => serde_json::from_str::<serde_json::Number>(raw)
            .map(|n| Some(n.to_string()))
            .map_err(|_| Slow),
        _ => Ok(None),
    }
}

impl<'de> Visitor<'de> for Scan<'de> {
    type Value = Found;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Found, A::Error> {
        let slow = || <A::Error as de::Error>::custom(Slow);
        let mut found = Found {
            members: Vec::with_capacity(8),
            text: None,
            id: None,
            rewrite: Vec::new(),
        };
        let mut unfinished: Option<usize> = None;
        while let Some(key) = map.next_key::<&'de RawValue>()? {
            let token = key.get();
            let key_span = self.span(token).ok_or_else(slow)?;
            if let Some(i) = unfinished.take() {
                self.finish(&mut found.members[i], key_span.start, b',')
                    .ok_or_else(slow)?;
            }
            if token.len() < 2 || token.contains('\\') {
                return Err(slow());
            }
            let name = &token[1..token.len() - 1];
            let member = found.members.len();
            let value = if name == self.fields.text {
                let (text, borrowed) = map.next_value_seed(TextSeed)?;
                // A text with escapes is not a slice of the line: it ends where the next
                // member (or the object) begins, see `unfinished`.
                let span = match borrowed {
                    Some(s) => self.span(s).map(|r| r.start - 1..r.end + 1),
                    None => self.value_start(key_span.end).map(|s| s..s),
                }
                .ok_or_else(slow)?;
                if borrowed.is_none() {
                    unfinished = Some(member);
                }
                if name == self.fields.id {
                    found.id = Some(text.clone());
                }
                found.text = Some((member, text));
                span
            } else {
                let raw = map.next_value::<&'de RawValue>()?.get();
                match json::shape(raw.as_bytes()) {
                    Shape::Canonical => {}
                    Shape::Deep => return Err(slow()),
                    s => found.rewrite.push((member, s)),
                }
                if name == self.fields.id {
                    found.id = id_of(raw).map_err(|_| slow())?;
                }
                self.span(raw).ok_or_else(slow)?
            };
            found.members.push(Member {
                key: key_span,
                value,
            });
        }
        if let Some(i) = unfinished {
            self.finish(&mut found.members[i], self.line.len(), b'}')
                .ok_or_else(slow)?;
        }
        Ok(found)
    }
}

/// The text value: decoded into a `String`, with the slice of the line it came from
/// when it had no escapes. Anything but a string is an error (the slow pass judges it).
struct TextSeed;

impl<'de> DeserializeSeed<'de> for TextSeed {
    type Value = (String, Option<&'de str>);

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = (String, Option<&'de str>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok((v.to_string(), Some(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok((v.to_string(), None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn takes_fast_pass(line: &str) -> bool {
        fast(line, &Fields::default()).is_some_and(|f| f.into_parsed(line.into()).is_ok())
    }

    #[test]
    fn ordinary_and_spaced_records_take_the_fast_pass() {
        for line in [
            r#"{"id": "a", "text": "plain"}"#,
            r#"{"text": "escapes \n \" \u00e9 \ud83d\ude42"}"#,
            r#"{"text": "escaped last \n"   }  "#,
            r#"  { "z" : 1.5e3 , "text" : "t\n" , "a" : [ 1 , { "k" : "caf\u00e9" } ] }"#,
            r#"{"id": 7, "text": "t", "n": -0, "big": 123456789012345678901234}"#,
            r#"{"id": "é", "text": "t", "rinse": {"x": [ ]}}"#,
        ] {
            assert!(takes_fast_pass(line), "{line}");
        }
    }

    #[test]
    fn what_the_fast_pass_cannot_judge_goes_to_the_map() {
        for line in [
            r#"{"text": "a", "text": "b"}"#,
            r#"{"te\u0078t": "key with an escape"}"#,
            r#"{"text": 1}"#,
            r#"{"text": null}"#,
            r#"{"x": "\ud800", "text": "lone surrogate"}"#,
            r#"{"x": 1e400, "text": "out of range"}"#,
            r#"[1]"#,
            r#"{"text": "a",}"#,
        ] {
            assert!(!takes_fast_pass(line), "{line}");
        }
        let deep = format!(
            r#"{{"d": {}{}, "text": "t"}}"#,
            "[".repeat(101),
            "]".repeat(101)
        );
        assert!(!takes_fast_pass(&deep));
    }
}
