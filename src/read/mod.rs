//! Reading inputs: expanding paths into sorted source files, choosing decompression and
//! format by extension, and cutting the byte stream into raw records (JSONL lines, text
//! files, framed WARC records, Parquet rows as JSON objects). Parsing a raw record
//! into a [`Document`] happens later, in parallel ([`parse`]).
mod parquet;
mod source;
mod warc;

pub use parquet::common_schema;
pub use source::{expand_inputs, Compression, Exclude, Format, Skipped, SourceFile, Sources};

use crate::document::{Document, Origin, Rejection};
use crate::error::{Error, Result};
use crate::record::{self, LineError, Record, TextProblem};
use std::io::BufRead;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The names of the JSON fields that hold the text and the id.
#[derive(Clone, Debug)]
pub struct Fields {
    pub text: String,
    pub id: String,
}

impl Default for Fields {
    fn default() -> Self {
        Fields {
            text: "text".into(),
            id: "id".into(),
        }
    }
}

/// One record as cut from the input, not yet decoded.
#[derive(Debug)]
pub struct RawRecord {
    pub origin: Origin,
    pub bytes: Vec<u8>,
    pub kind: RawKind,
}

/// What the bytes of a [`RawRecord`] are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RawKind {
    /// A JSON object: a JSONL line, or a Parquet row converted to one.
    Json,
    /// A whole `.txt` document, with its id (the path relative to the input it was found
    /// under).
    Text(String),
    /// A framed WARC record: its header block, the blank line, its content.
    Warc,
    /// A WARC record that could not be framed (the problem); the bytes read for it.
    CorruptWarc(String),
}

/// The JSON object a WARC document record becomes (`None` for other records).
pub fn warc_json(raw: &RawRecord, fields: &Fields) -> Option<Vec<u8>> {
    match warc::decode(raw, fields)? {
        Ok((_, _, record)) => Some(record.to_json()),
        Err(_) => None,
    }
}

impl RawRecord {
    /// The id a `.txt` document has before it is parsed.
    pub fn text_id(&self) -> Option<&str> {
        match &self.kind {
            RawKind::Text(id) => Some(id),
            _ => None,
        }
    }
}

/// Counters the reader keeps while it streams.
#[derive(Debug, Default)]
pub struct ReadCounters {
    /// Bytes read from disk (compressed size for compressed files).
    pub raw_bytes: AtomicU64,
    /// Blank lines in JSONL inputs (not records; skipped).
    pub blank_lines: AtomicU64,
    /// Files fully read.
    pub files_done: AtomicU64,
    /// WARC records that are not documents, by type (`warcinfo`, `response`, ...).
    pub warc_skipped: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
}

impl ReadCounters {
    /// The WARC records skipped so far, by type.
    pub fn warc_skipped(&self) -> std::collections::BTreeMap<String, u64> {
        match self.warc_skipped.lock() {
            Ok(m) => m.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn skip_warc(&self, kind: String) {
        let mut m = match self.warc_skipped.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        *m.entry(kind).or_default() += 1;
    }
}

/// Stream all records of `sources` in order, in batches of at most `batch_records`
/// records or `batch_bytes` bytes, calling `emit` for each batch. Stops at the first
/// error (an unreadable or corrupt file), which names the file and line.
pub fn stream_batches(
    sources: &Sources,
    batch_records: usize,
    batch_bytes: usize,
    counters: &Arc<ReadCounters>,
    mut emit: impl FnMut(Vec<RawRecord>) -> bool,
) -> Result<()> {
    let mut batch = Vec::with_capacity(batch_records);
    let mut bytes = 0usize;
    let mut push = |rec: RawRecord, batch: &mut Vec<RawRecord>| -> bool {
        bytes += rec.bytes.len();
        batch.push(rec);
        if batch.len() >= batch_records || bytes >= batch_bytes {
            bytes = 0;
            return emit(std::mem::replace(batch, Vec::with_capacity(batch_records)));
        }
        true
    };
    for src in &sources.files {
        let name: Arc<str> = src.display.as_str().into();
        if src.format == Format::Parquet {
            let Some(path) = &src.path else {
                return Err(Error::Format {
                    path: src.display.clone().into(),
                    message: "Parquet cannot be read from standard input".into(),
                });
            };
            let mut stop = false;
            parquet::read_rows(path, &name, counters, &mut |rec| {
                stop = !push(rec, &mut batch);
                !stop
            })?;
            if stop {
                return Ok(());
            }
            counters.files_done.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let mut reader = src.open(counters.clone())?;
        match src.format {
            Format::Text => {
                let mut buf = Vec::new();
                std::io::Read::read_to_end(&mut reader, &mut buf)
                    .map_err(|e| read_error(src, 1, e))?;
                let rec = RawRecord {
                    origin: Origin {
                        file: name.clone(),
                        line: 1,
                    },
                    bytes: buf,
                    kind: RawKind::Text(src.text_id.clone()),
                };
                if !push(rec, &mut batch) {
                    return Ok(());
                }
            }
            Format::Jsonl => {
                let mut line_no = 0u64;
                loop {
                    let mut buf = Vec::new();
                    let n = read_line(&mut *reader, &mut buf)
                        .map_err(|e| read_error(src, line_no + 1, e))?;
                    if n == 0 {
                        break;
                    }
                    line_no += 1;
                    while matches!(buf.last(), Some(b'\n' | b'\r')) {
                        buf.pop();
                    }
                    if buf.iter().all(u8::is_ascii_whitespace) {
                        counters.blank_lines.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    let rec = RawRecord {
                        origin: Origin {
                            file: name.clone(),
                            line: line_no,
                        },
                        bytes: buf,
                        kind: RawKind::Json,
                    };
                    if !push(rec, &mut batch) {
                        return Ok(());
                    }
                }
            }
            Format::Warc => {
                let mut warc = warc::Reader::new(&mut *reader, name.clone());
                loop {
                    let item = warc.next_item().map_err(|e| Error::Read {
                        path: src.display.clone().into(),
                        line: warc.records(),
                        message: format!(
                            "cannot read (near byte {} of the uncompressed stream): {e}",
                            warc.offset()
                        ),
                    })?;
                    match item {
                        None => break,
                        Some(warc::Item::Skipped(kind)) => counters.skip_warc(kind),
                        Some(warc::Item::Record(rec)) => {
                            if !push(rec, &mut batch) {
                                return Ok(());
                            }
                        }
                    }
                }
            }
            // Read above.
            Format::Parquet => {}
        }
        counters.files_done.fetch_add(1, Ordering::Relaxed);
    }
    if !batch.is_empty() {
        emit(batch);
    }
    Ok(())
}

/// `BufRead::read_until(b'\n', buf)`, with the newline found by the memchr crate
/// (SIMD) instead of the portable search std uses: the line, newline included, is
/// appended to `buf`; returns its length, 0 at the end of the input.
fn read_line(reader: &mut dyn BufRead, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut total = 0;
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let (done, used) = match memchr::memchr(b'\n', available) {
            Some(i) => {
                buf.extend_from_slice(&available[..=i]);
                (true, i + 1)
            }
            None => {
                buf.extend_from_slice(available);
                (available.is_empty(), available.len())
            }
        };
        reader.consume(used);
        total += used;
        if done {
            return Ok(total);
        }
    }
}

fn read_error(src: &SourceFile, line: u64, e: std::io::Error) -> Error {
    Error::Read {
        path: src.display.clone().into(),
        line,
        message: format!("cannot read: {e}"),
    }
}

/// Decode a raw record into a document, or reject it with a reason.
pub fn parse(raw: RawRecord, fields: &Fields) -> Result<Document, Rejection> {
    parse_counted(raw, fields).map(|(doc, _)| doc)
}

/// [`parse`], also returning how many lone surrogate escapes (`"\ud800"`, which Python's
/// `json.dumps` writes for broken text) in the text field were replaced by U+FFFD.
pub fn parse_counted(raw: RawRecord, fields: &Fields) -> Result<(Document, u32), Rejection> {
    if let Some(decoded) = warc::decode(&raw, fields) {
        let (id, text, record) = decoded?;
        return Ok((Document::read(id, text, record, raw.origin), 0));
    }
    let RawRecord {
        origin,
        bytes,
        kind,
    } = raw;
    let text = match crate::utf8::string(bytes) {
        Ok(t) => t,
        Err(e) => {
            let pos = e.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let mut r = Rejection::new("invalid-utf8", "read", origin)
                .detail(format!("invalid UTF-8 at byte {pos}"));
            r.raw = Some(lossy);
            return Err(r);
        }
    };
    if let RawKind::Text(id) = kind {
        let record = Record::of_text(fields, &id, &text);
        return Ok((Document::read(id, text, record, origin), 0));
    }
    let parsed = match record::parse(text, fields) {
        Ok(p) => p,
        Err(LineError::Malformed { error, line }) => {
            let mut r = Rejection::new("malformed-json", "read", origin).detail(error.to_string());
            r.raw = Some(line);
            return Err(r);
        }
        Err(LineError::NotObject(record)) => {
            let mut r = Rejection::new("not-an-object", "read", origin)
                .detail("a JSONL line must be a JSON object");
            r.record = Some(record);
            return Err(r);
        }
    };
    let id = parsed.id.unwrap_or_else(|| origin.to_string());
    let doc_text = match parsed.text {
        Ok(t) => t,
        Err(problem) => {
            let (reason, what) = match problem {
                TextProblem::Missing => ("missing-text", "has no"),
                TextProblem::Null => ("missing-text", "has a null"),
                TextProblem::NotString => ("non-string-text", "has a non-string"),
            };
            let mut r = Rejection::new(reason, "read", origin)
                .detail(format!("record {what} `{}` field", fields.text));
            r.id = Some(id);
            r.record = Some(parsed.record);
            return Err(r);
        }
    };
    let doc = Document::read(id, doc_text, parsed.record, origin);
    Ok((doc, parsed.surrogates_replaced))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(line: &[u8]) -> RawRecord {
        RawRecord {
            origin: Origin {
                file: "f.jsonl".into(),
                line: 7,
            },
            bytes: line.to_vec(),
            kind: RawKind::Json,
        }
    }

    #[test]
    fn parse_keeps_fields_and_defaults_id_to_origin() {
        let doc = parse(raw(br#"{"z":1,"text":"hi","a":[2]}"#), &Fields::default()).unwrap();
        assert_eq!(doc.id, "f.jsonl:7");
        assert_eq!(doc.text, "hi");
        assert_eq!(
            String::from_utf8(doc.record.to_json()).unwrap(),
            r#"{"z":1,"text":"hi","a":[2]}"#
        );
    }

    #[test]
    fn lines_are_cut_as_read_until_cuts_them() {
        let input = b"one\n\ntwo\r\nlong line across buffer ends\nlast without newline";
        for cap in [1, 2, 3, 7, 64] {
            let mut a = std::io::BufReader::with_capacity(cap, &input[..]);
            let mut b = std::io::BufReader::with_capacity(cap, &input[..]);
            loop {
                let (mut x, mut y) = (Vec::new(), Vec::new());
                let n = read_line(&mut a, &mut x).unwrap();
                assert_eq!(n, b.read_until(b'\n', &mut y).unwrap());
                assert_eq!(x, y);
                if n == 0 {
                    break;
                }
            }
        }
    }

    #[test]
    fn parse_rejects_with_reasons() {
        let f = Fields::default();
        let reason = |b: &[u8]| parse(raw(b), &f).unwrap_err().reason;
        assert_eq!(reason(b"{not json"), "malformed-json");
        assert_eq!(reason(b"[1,2]"), "not-an-object");
        assert_eq!(reason(br#"{"id":"x"}"#), "missing-text");
        assert_eq!(reason(br#"{"text":3}"#), "non-string-text");
        assert_eq!(reason(b"{\"text\":\"\xff\"}"), "invalid-utf8");
    }
}
