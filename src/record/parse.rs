//! Parsing a JSONL line into a [`Record`], its id and its text, in one pass of serde_json
//! that validates it: top-level keys and values as raw slices (`&RawValue`); the text's
//! slice is then decoded straight into its `String`. Lines the fast pass cannot judge
//! alone (a repeated key, a key with escapes, a non-string text, a value nested very
//! deep, a lone surrogate, invalid JSON) are parsed again into a `serde_json::Value`
//! exactly as before, so reasons, messages and output bytes stay what serde_json's map
//! gives.
use super::raw::{self, compact, Shape};
use super::{Body, Member, Original, Record, Text};
use crate::read::Fields;
use serde::de::{self, MapAccess, Visitor};
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
        Some(found) => match found.into_parsed(line) {
            Ok(p) => Ok(p),
            Err(line) => slow(line, fields),
        },
        None => slow(line, fields),
    }
}

/// The whole line as a `serde_json::Value`: the reference semantics.
fn slow(line: String, fields: &Fields) -> Result<Parsed, LineError> {
    let value: Value = match serde_json::from_str(&line) {
        Ok(v) => v,
        Err(error) => return Err(LineError::Malformed { error, line }),
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
    if raw::has_duplicate(&found.members, |m| &line.as_bytes()[m.key.clone()]) {
        return None;
    }
    Some(found)
}

impl Found {
    /// The record over the line's bytes, rewritten values appended; `Err` gives the line
    /// back when a value does not parse on its own (the slow pass says why).
    fn into_parsed(self, line: String) -> Result<Parsed, String> {
        let Found {
            mut members,
            text,
            id,
            rewrite,
        } = self;
        let mut tail = Vec::new();
        for (i, shape) in rewrite {
            let Some(m) = members.get_mut(i) else {
                return Err(line);
            };
            let Some(raw) = line.get(m.value.clone()) else {
                return Err(line);
            };
            let start = line.len() + tail.len();
            match shape {
                Shape::Spaced => compact(raw.as_bytes(), &mut tail),
                _ => match serde_json::from_str::<Value>(raw) {
                    Ok(v) if serde_json::to_writer(&mut tail, &v).is_ok() => {}
                    _ => return Err(line),
                },
            }
            m.value = start..line.len() + tail.len();
        }
        let mut buf = line.into_bytes();
        buf.extend_from_slice(&tail);
        let (text_member, text) = match text {
            Some((member, s)) => (
                Some(Text {
                    member,
                    original: Original::Raw,
                    decoded_is_text: true,
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
}

/// The id of a raw value, as the slow pass would make it (`Err`: let it).
fn id_of(raw: &str) -> Result<Option<String>, Slow> {
    match raw.as_bytes().first() {
        Some(b'"') => raw::decode_str(raw).map(Some).ok_or(Slow),
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
        while let Some(key) = map.next_key::<&'de RawValue>()? {
            let token = key.get();
            if token.len() < 2 || token.contains('\\') {
                return Err(slow());
            }
            let key_span = self.span(token).ok_or_else(slow)?;
            let name = &token[1..token.len() - 1];
            let member = found.members.len();
            let raw = map.next_value::<&'de RawValue>()?.get();
            let value = self.span(raw).ok_or_else(slow)?;
            if name == self.fields.text {
                // Validated by serde_json as a raw value; decoded here straight into the
                // text's String (a non-string or a lone surrogate: the slow pass says).
                let text = raw::decode_str(raw).ok_or_else(slow)?;
                if name == self.fields.id {
                    found.id = Some(text.clone());
                }
                found.text = Some((member, text));
            } else {
                match raw::shape(raw.as_bytes()) {
                    Shape::Canonical => {}
                    Shape::Deep => return Err(slow()),
                    s => found.rewrite.push((member, s)),
                }
                if name == self.fields.id {
                    found.id = id_of(raw).map_err(|_| slow())?;
                }
            }
            found.members.push(Member {
                key: key_span,
                value,
            });
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn takes_fast_pass(line: &str) -> bool {
        fast(line, &Fields::default()).is_some_and(|f| f.into_parsed(line.to_string()).is_ok())
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
