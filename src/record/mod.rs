//! The original JSON record of a document, kept as raw JSON: the bytes of the line plus
//! the spans of its top-level keys and values. Only the text field is ever decoded (into
//! the document's `text`) or encoded (the cleaned text, spliced in on output); every
//! other member is copied byte for byte as it was read.
//!
//! Invariant: every key and every value in the buffer is the token as it appeared in
//! the input, untouched: its nested whitespace, its escapes (lone surrogates such as
//! `"\ud800"` included), its number spelling (`1.50`, `-0`, `1e400`,
//! `12345678901234567890123`). Writing a record is copying them, with the whitespace
//! between top-level members made compact. The one exception is the text field, whose
//! value is decoded (lone surrogates become U+FFFD) and written as serde_json writes
//! that string: the cleaned text for a kept record, the original text for a rejected
//! one (see [`Record::write_json`]). Records built from a `serde_json::Value` hold what
//! serde_json writes for it.
//!
//! A repeated top-level key is one member, as in serde_json's order-preserving map: at
//! the position of its first occurrence (with that key token), with the value of the
//! last. Keys are compared decoded (`"te\u0078t"` is the key `text`).
mod escape;
mod parse;
mod raw;

pub use parse::{parse, LineError, Parsed, TextProblem};

use crate::codec::{corrupt, Dec, Enc};
use crate::error::Result;
use crate::read::Fields;
pub(crate) use escape::{escape_contents, escape_str};
use raw::{decode_token, escapes_canonical, key_is, str_token_eq, Lone};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::ops::Range;

/// A JSON record: an object with its members in input order (as serde_json's
/// order-preserving map has them: a repeated key keeps its first position and its last
/// value), or, for a line that is not an object, that value.
#[derive(Clone, Debug, Default)]
pub struct Record {
    /// JSON bytes the spans point into (the input line, then any rewritten values).
    buf: Vec<u8>,
    body: Body,
}

#[derive(Clone, Debug)]
enum Body {
    Object {
        members: Vec<Member>,
        /// The text field, when it holds a string.
        text: Option<Text>,
    },
    /// Not an object: the whole value, as written, at this span.
    Other(Range<usize>),
}

impl Default for Body {
    fn default() -> Self {
        Body::Object {
            members: Vec::new(),
            text: None,
        }
    }
}

/// One top-level member: the spans of its key (a string token) and its value.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Member {
    key: Range<usize>,
    value: Range<usize>,
}

/// The text field: which member it is, and where its original value is.
#[derive(Clone, Debug)]
struct Text {
    /// The top-level member that holds the text (for a dotted path `a.b.c`, member `a`).
    member: usize,
    /// For a dotted path: the span in `buf` of the string token inside that member's
    /// value (`None`: the value itself is the string).
    inner: Option<Range<usize>>,
    original: Original,
    /// The document's text is still the decoded original: set by the parser (which
    /// decoded it), cleared by [`Record::text_changed`]. Spares comparing the two.
    decoded_is_text: bool,
}

#[derive(Clone, Debug)]
enum Original {
    /// The member's value span: the string token as written in the input (its escapes
    /// may differ from serde_json's).
    Raw,
    /// Not stored: it equals the document's (normalized) text. Only the dedup spill
    /// makes such records, and [`Record::resolve_original`] turns them back.
    DocText,
    /// Decoded.
    Owned(String),
}

impl Record {
    /// A record built from a decoded JSON value, as serde_json holds it. `text_field`
    /// names the member whose string is the text.
    pub fn from_value(value: &Value, text_field: &str) -> Record {
        match value {
            Value::Object(map) => Record::from_map(map, text_field),
            other => {
                let buf = serde_json::to_vec(other).unwrap_or_else(|_| b"null".to_vec());
                Record {
                    body: Body::Other(0..buf.len()),
                    buf,
                }
            }
        }
    }

    fn from_map(map: &Map<String, Value>, text_field: &str) -> Record {
        let mut buf = Vec::new();
        let mut members = Vec::with_capacity(map.len());
        let mut text = None;
        for (k, v) in map {
            let ks = buf.len();
            escape_str(&mut buf, k);
            let vs = buf.len();
            // Values of a `Value` always encode.
            if serde_json::to_writer(&mut buf, v).is_err() {
                buf.truncate(vs);
                buf.extend_from_slice(b"null");
            }
            if k == text_field && v.is_string() {
                text = Some(Text {
                    member: members.len(),
                    inner: None,
                    original: Original::Raw,
                    decoded_is_text: false,
                });
            }
            members.push(Member {
                key: ks..vs,
                value: vs..buf.len(),
            });
        }
        Record {
            buf,
            body: Body::Object { members, text },
        }
    }

    /// The record of a `.txt` document: `{id_field: id, text_field: text}`.
    pub fn of_text(fields: &Fields, id: &str, text: &str) -> Record {
        let mut map = Map::new();
        map.insert(fields.id.clone(), Value::String(id.to_string()));
        map.insert(fields.text.clone(), Value::String(text.to_string()));
        Record::from_map(&map, &fields.text)
    }

    /// Is it a JSON object (every parsed record is; a line that was not an object
    /// becomes a rejection that holds its value)?
    pub fn is_object(&self) -> bool {
        matches!(self.body, Body::Object { .. })
    }

    fn slice(&self, r: &Range<usize>) -> &[u8] {
        self.buf.get(r.clone()).unwrap_or(b"null")
    }

    /// The span of the text's string token: the member's value, or the token nested in
    /// it.
    fn text_span(&self, m: &Member, t: &Text) -> Range<usize> {
        t.inner.clone().unwrap_or_else(|| m.value.clone())
    }

    /// Write the text member's value with `write_token` writing the text's string token:
    /// for a nested text, the bytes of the value around the token are copied.
    fn write_text_value(
        &self,
        out: &mut Vec<u8>,
        value: &Range<usize>,
        inner: Option<&Range<usize>>,
        write_token: &mut dyn FnMut(&mut Vec<u8>),
    ) {
        match inner {
            Some(inner) if value.start <= inner.start && inner.end <= value.end => {
                out.extend_from_slice(self.slice(&(value.start..inner.start)));
                write_token(out);
                out.extend_from_slice(self.slice(&(inner.end..value.end)));
            }
            _ => write_token(out),
        }
    }

    /// The original text (the text field's string as read), if the record holds it.
    pub fn original_text(&self) -> Option<Cow<'_, str>> {
        let Body::Object { members, text } = &self.body else {
            return None;
        };
        let t = text.as_ref()?;
        match &t.original {
            Original::Raw => decode_token(self.slice(&self.text_span(members.get(t.member)?, t))),
            Original::DocText => None,
            Original::Owned(s) => Some(Cow::Borrowed(s)),
        }
    }

    /// Is the original text `text`? (Decodes as it compares, lone surrogates as U+FFFD;
    /// no allocation.)
    pub(crate) fn original_is(&self, text: &str) -> bool {
        let Body::Object {
            members,
            text: Some(t),
        } = &self.body
        else {
            return false;
        };
        match &t.original {
            Original::Raw => members.get(t.member).is_some_and(|m| {
                str_token_eq(self.slice(&self.text_span(m, t)), text, Lone::Replace)
            }),
            Original::DocText => true,
            Original::Owned(s) => s == text,
        }
    }

    /// Is the original text the document's text `doc_text`? While no stage has changed
    /// it since parsing ([`Record::text_changed`]), yes without comparing.
    pub(crate) fn original_is_text(&self, doc_text: &str) -> bool {
        let decoded = matches!(
            &self.body,
            Body::Object { text: Some(t), .. } if t.decoded_is_text
        );
        if decoded {
            debug_assert!(
                self.original_is(doc_text),
                "the text changed without text_changed"
            );
            return true;
        }
        self.original_is(doc_text)
    }

    /// The document's text no longer is the decoded original (a stage rewrote it).
    pub(crate) fn text_changed(&mut self) {
        if let Body::Object { text: Some(t), .. } = &mut self.body {
            t.decoded_is_text = false;
        }
    }

    /// Does the record refer to the document's text for its original (see
    /// [`Original::DocText`])?
    pub(crate) fn original_is_doc_text(&self) -> bool {
        matches!(
            &self.body,
            Body::Object {
                text: Some(Text {
                    original: Original::DocText,
                    ..
                }),
                ..
            }
        )
    }

    /// Make the record hold its original text on its own again: a record that refers to
    /// the document's text (see [`Original::DocText`]) takes it.
    pub(crate) fn resolve_original(&mut self, doc_text: String) {
        if let Body::Object { text: Some(t), .. } = &mut self.body {
            if matches!(t.original, Original::DocText) {
                t.original = Original::Owned(doc_text);
            }
        }
    }

    /// Write the record as it was read: every member byte for byte, compact between
    /// them, the original text as serde_json writes its decoded string (the same bytes
    /// unless its escapes were not serde_json's; a lone surrogate is U+FFFD there).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let (members, text) = match &self.body {
            Body::Other(span) => {
                out.extend_from_slice(self.slice(span));
                return;
            }
            Body::Object { members, text } => (members, text),
        };
        out.push(b'{');
        for (i, m) in members.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(self.slice(&m.key));
            out.push(b':');
            match text.as_ref().filter(|t| t.member == i) {
                Some(t) => {
                    let token = self.text_span(m, t);
                    self.write_text_value(out, &m.value, t.inner.as_ref(), &mut |out| {
                        self.write_original(out, &t.original, &token)
                    })
                }
                None => out.extend_from_slice(self.slice(&m.value)),
            }
        }
        out.push(b'}');
    }

    fn write_original(&self, out: &mut Vec<u8>, original: &Original, value: &Range<usize>) {
        match original {
            Original::Raw => {
                let token = self.slice(value);
                let contents = token.get(1..token.len().saturating_sub(1)).unwrap_or(&[]);
                if escapes_canonical(contents) {
                    out.extend_from_slice(token);
                } else {
                    match decode_token(token) {
                        Some(s) => escape_str(out, &s),
                        None => out.extend_from_slice(b"null"),
                    }
                }
            }
            // Unreachable: rejections resolve the original first (`Rejection::of`).
            Original::DocText => out.extend_from_slice(b"null"),
            Original::Owned(s) => escape_str(out, s),
        }
    }

    /// The record as JSON bytes (see [`Record::write_json`]).
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.buf.len() + 2);
        self.write_json(&mut out);
        out
    }

    /// [`Record::write_with`] with `text` as the text. Only the tests use it.
    #[cfg(test)]
    pub fn write_with_text(
        &self,
        out: &mut Vec<u8>,
        text_field: &str,
        text: &str,
        extra: Option<(&str, &[u8])>,
    ) {
        out.reserve(text.len() + text.len() / 16 + 2);
        self.write_with(out, text_field, &mut |o| escape_str(o, text), extra);
    }

    /// Write the record with a new text as the value of its text field (`text_field`,
    /// added at the end if the record has none), its JSON string token written by
    /// `write_text` (called at most once: not when `extra` replaces the text field), and,
    /// if given, the member `extra` (key, JSON value) set: in place of a member with that
    /// key, else appended. Keys are compared decoded, as serde_json's map compares them;
    /// every other member is copied as held.
    pub fn write_with(
        &self,
        out: &mut Vec<u8>,
        text_field: &str,
        write_text: &mut dyn FnMut(&mut Vec<u8>),
        extra: Option<(&str, &[u8])>,
    ) {
        let mut extra_key = Vec::new();
        if let Some((k, _)) = extra {
            escape_str(&mut extra_key, k);
        }
        let (members, text_member, inner) = match &self.body {
            Body::Object { members, text: t } => (
                &members[..],
                t.as_ref().map(|t| t.member),
                t.as_ref().and_then(|t| t.inner.as_ref()),
            ),
            Body::Other(_) => (&[][..], None, None),
        };
        // Without a string text (a record built by hand, or a rejected one), the text
        // replaces the member of that name or goes at the end.
        let mut text_key = Vec::new();
        if text_member.is_none() {
            escape_str(&mut text_key, text_field);
        }
        let text_member = text_member.or_else(|| {
            members
                .iter()
                .position(|m| key_is(self.slice(&m.key), text_field))
        });
        out.reserve(self.buf.len() + 16);
        out.push(b'{');
        let mut extra_done = extra.is_none();
        let mut first = true;
        let mut sep = |out: &mut Vec<u8>| {
            if !std::mem::take(&mut first) {
                out.push(b',');
            }
        };
        for (i, m) in members.iter().enumerate() {
            sep(out);
            let key = self.slice(&m.key);
            out.extend_from_slice(key);
            out.push(b':');
            match extra {
                Some((k, v)) if key_is(key, k) => {
                    out.extend_from_slice(v);
                    extra_done = true;
                }
                _ if text_member == Some(i) => {
                    self.write_text_value(out, &m.value, inner, write_text)
                }
                _ => out.extend_from_slice(self.slice(&m.value)),
            }
        }
        if text_member.is_none() {
            sep(out);
            out.extend_from_slice(&text_key);
            out.push(b':');
            match extra {
                Some((_, v)) if text_key == extra_key => {
                    out.extend_from_slice(v);
                    extra_done = true;
                }
                _ => write_text(out),
            }
        }
        if let (Some((_, v)), false) = (extra, extra_done) {
            sep(out);
            out.extend_from_slice(&extra_key);
            out.push(b':');
            out.extend_from_slice(v);
        }
        out.push(b'}');
    }

    /// Write the record for the dedup spill: its bytes and spans, without the original
    /// text when `drop_original` (it then equals the document's text, which is spilled
    /// apart). Self-delimiting: a tag, the member count and the text member (varints),
    /// the byte lengths of every key and value (varints), then those bytes.
    pub(crate) fn spill(&self, drop_original: bool, e: &mut Enc) {
        let (members, text) = match &self.body {
            // Not reached by the binary (it spills only kept documents, whose records
            // are objects: parsed lines and text files); a `Document` built through the
            // library with another value still round-trips.
            Body::Other(span) => {
                e.var(0);
                e.bytes(self.slice(span));
                return;
            }
            Body::Object { members, text } => (members, text),
        };
        // Tag 1: an object with no text; 2: text as written; 3: text not stored; 4: a
        // nested text as written (always stored: the member holds more than the text),
        // followed by the token's span within the member's value.
        let nested = text.as_ref().and_then(|t| {
            let m = members.get(t.member)?;
            let inner = t.inner.as_ref()?;
            let start = inner.start.checked_sub(m.value.start)?;
            let end = inner.end.checked_sub(m.value.start)?;
            (matches!(t.original, Original::Raw) && end <= m.value.len()).then_some(start..end)
        });
        let drop_original = drop_original && nested.is_none();
        let tag = match (text, drop_original) {
            (None, _) => 1,
            (Some(_), _) if nested.is_some() => 4,
            (Some(_), false) => 2,
            (Some(_), true) => 3,
        };
        e.var(tag);
        e.var(members.len() as u64);
        e.var(text.as_ref().map_or(0, |t| t.member) as u64);
        if let Some(span) = &nested {
            e.var(span.start as u64);
            e.var(span.end as u64);
        }
        // The text member's value as spilled: nothing when dropped, else its string
        // token (written anew when the original is not held as a span).
        let text_value = text.as_ref().map(|t| {
            let value = match members.get(t.member) {
                Some(_) if drop_original => Cow::Borrowed(&[][..]),
                Some(m) if matches!(t.original, Original::Raw) => {
                    Cow::Borrowed(self.slice(&m.value))
                }
                Some(m) => {
                    let mut v = Vec::new();
                    self.write_original(&mut v, &t.original, &m.value);
                    Cow::Owned(v)
                }
                None => Cow::Borrowed(&[][..]),
            };
            (t.member, value)
        });
        let value = |i: usize, m: &Member| match &text_value {
            Some((t, v)) if *t == i => &v[..],
            _ => self.slice(&m.value),
        };
        for (i, m) in members.iter().enumerate() {
            e.var(self.slice(&m.key).len() as u64);
            e.var(value(i, m).len() as u64);
        }
        for (i, m) in members.iter().enumerate() {
            e.raw(self.slice(&m.key));
            e.raw(value(i, m));
        }
    }

    /// Read what [`Record::spill`] wrote (and no more); an error if it is short or not
    /// such a record.
    pub(crate) fn unspill(d: &mut Dec) -> Result<Record> {
        let tag = d.var()?;
        if tag == 0 {
            let buf = d.bytes()?.to_vec();
            return Ok(Record {
                body: Body::Other(0..buf.len()),
                buf,
            });
        }
        let original = match tag {
            1 => None,
            2 | 4 => Some(Original::Raw),
            3 => Some(Original::DocText),
            _ => return Err(corrupt()),
        };
        let n = d.var_usize()?;
        let text_member = d.var_usize()?;
        if original.is_some() && text_member >= n {
            return Err(corrupt());
        }
        let nested = match tag {
            4 => {
                let (start, end) = (d.var_usize()?, d.var_usize()?);
                if start > end {
                    return Err(corrupt());
                }
                Some(start..end)
            }
            _ => None,
        };
        let mut members = Vec::with_capacity(n.min(1 << 12));
        let mut end = 0usize;
        let mut span = |d: &mut Dec| -> Result<Range<usize>> {
            let start = end;
            end = start.checked_add(d.var_usize()?).ok_or_else(corrupt)?;
            Ok(start..end)
        };
        for _ in 0..n {
            let key = span(d)?;
            let value = span(d)?;
            members.push(Member { key, value });
        }
        let buf = d.take(end)?.to_vec();
        let inner = match (nested, members.get(text_member)) {
            (Some(span), Some(m)) => {
                let inner = m.value.start + span.start..m.value.start + span.end;
                if inner.end > m.value.end {
                    return Err(corrupt());
                }
                Some(inner)
            }
            (Some(_), None) => return Err(corrupt()),
            (None, _) => None,
        };
        let text = original.map(|original| Text {
            member: text_member,
            inner,
            original,
            decoded_is_text: false,
        });
        Ok(Record {
            buf,
            body: Body::Object { members, text },
        })
    }
}

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod tests;
