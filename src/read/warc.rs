//! WARC and WET files (`.warc`, `.wet`, `.warc.wet`, optionally `.gz` with one gzip
//! member per record): a small streaming reader that cuts the records by their
//! `Content-Length`, hands each `conversion` record (the extracted text of a page, what
//! Common Crawl's WET files hold) on as a document and counts the other types.
//!
//! The reader only frames records; the record's JSON is built when it is parsed (in
//! parallel, with the run's field names): `id` ← `WARC-Record-ID`, `url` ←
//! `WARC-Target-URI`, `date` ← `WARC-Date`, `language` ←
//! `WARC-Identified-Content-Language`, the other headers (but `Content-Length`) under
//! `warc`, in their order, and the content as the text.
//!
//! A record that cannot be framed (no `WARC/` version line, no or a bad `Content-Length`,
//! a header block past [`MAX_HEADER`], content cut short by the end of the file) becomes
//! a rejected record (`corrupt-warc`) with its byte offset in the uncompressed stream;
//! the reader then looks for the next line that starts with `WARC/` and goes on.
use super::{read_line, RawKind, RawRecord};
use crate::document::{Origin, Rejection};
use crate::record::Record;
use serde_json::{Map, Value};
use std::io::{BufRead, Read};
use std::sync::Arc;

/// The longest header block read (bytes); longer is a corrupt record.
pub const MAX_HEADER: usize = 1 << 16;

/// The record types that are documents.
pub fn is_document_type(t: &str) -> bool {
    t.eq_ignore_ascii_case("conversion")
}

/// What the reader found next.
#[derive(Debug)]
pub enum Item {
    /// A document (a `conversion` record) or a corrupt record, as a raw record.
    Record(RawRecord),
    /// A record of another type (`warcinfo`, `response`, `request`, ...), skipped.
    Skipped(String),
}

/// The records of one WARC stream, in order.
pub struct Reader<'a> {
    input: &'a mut dyn BufRead,
    file: Arc<str>,
    /// Bytes consumed so far (uncompressed).
    offset: u64,
    /// Records seen so far (documents, skipped and corrupt), the origin's number.
    ordinal: u64,
    /// A `WARC/` line already read while looking for the next record.
    pending: Option<(u64, Vec<u8>)>,
    done: bool,
}

impl<'a> Reader<'a> {
    pub fn new(input: &'a mut dyn BufRead, file: Arc<str>) -> Self {
        Reader {
            input,
            file,
            offset: 0,
            ordinal: 0,
            pending: None,
            done: false,
        }
    }

    /// Records seen so far.
    pub fn records(&self) -> u64 {
        self.ordinal
    }

    /// Bytes read so far (uncompressed).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    fn line(&mut self, buf: &mut Vec<u8>) -> std::io::Result<usize> {
        let n = read_line(self.input, buf)?;
        self.offset += n as u64;
        Ok(n)
    }

    /// The next record, `None` at the end; an error only when the input cannot be read
    /// (a corrupt gzip stream).
    pub fn next_item(&mut self) -> std::io::Result<Option<Item>> {
        if self.done {
            return Ok(None);
        }
        // The version line: the first non-blank line.
        let (start, first) = match self.pending.take() {
            Some(p) => p,
            None => loop {
                let at = self.offset;
                let mut l = Vec::new();
                if self.line(&mut l)? == 0 {
                    self.done = true;
                    return Ok(None);
                }
                if !l.iter().all(u8::is_ascii_whitespace) {
                    break (at, l);
                }
            },
        };
        self.ordinal += 1;
        if !first.starts_with(b"WARC/") {
            return self
                .corrupt(start, "no WARC/ version line", first)
                .map(Some);
        }
        let mut block = first;
        loop {
            let mut l = Vec::new();
            if self.line(&mut l)? == 0 {
                self.done = true;
                return self
                    .corrupt(
                        start,
                        "header block cut short by the end of the file",
                        block,
                    )
                    .map(Some);
            }
            let blank = l == b"\r\n" || l == b"\n";
            block.extend_from_slice(&l);
            if blank {
                break;
            }
            if block.len() > MAX_HEADER {
                return self
                    .corrupt(start, "header block over 64 KiB", block)
                    .map(Some);
            }
        }
        let headers = parse_headers(&block);
        let length = header(&headers, "Content-Length").map(|v| v.trim().parse::<u64>());
        let length = match length {
            Some(Ok(n)) => n,
            Some(Err(_)) => return self.corrupt(start, "bad Content-Length", block).map(Some),
            None => return self.corrupt(start, "no Content-Length", block).map(Some),
        };
        let mut content = Vec::new();
        let got = (&mut *self.input).take(length).read_to_end(&mut content)?;
        self.offset += got as u64;
        if (got as u64) < length {
            self.done = true;
            block.extend_from_slice(&content);
            let problem = format!("content cut short: {got} of {length} bytes");
            return self.corrupt(start, &problem, block).map(Some);
        }
        let kind = header(&headers, "WARC-Type")
            .unwrap_or("")
            .trim()
            .to_string();
        if !is_document_type(&kind) {
            return Ok(Some(Item::Skipped(if kind.is_empty() {
                "(none)".into()
            } else {
                kind.to_ascii_lowercase()
            })));
        }
        let mut bytes = Vec::with_capacity(block.len() + content.len());
        bytes.extend_from_slice(&block);
        bytes.extend_from_slice(&content);
        Ok(Some(Item::Record(RawRecord {
            origin: self.origin(),
            bytes,
            kind: RawKind::Warc,
        })))
    }

    fn origin(&self) -> Origin {
        Origin {
            file: self.file.clone(),
            line: self.ordinal,
        }
    }

    /// A record that could not be framed, at byte `start`, with the bytes read for it;
    /// skips to the next line that starts with `WARC/` (the next record, when the input
    /// goes on).
    fn corrupt(&mut self, start: u64, problem: &str, mut read: Vec<u8>) -> std::io::Result<Item> {
        let origin = self.origin();
        while !self.done {
            let at = self.offset;
            let mut l = Vec::new();
            if self.line(&mut l)? == 0 {
                self.done = true;
                break;
            }
            if l.starts_with(b"WARC/") {
                self.pending = Some((at, l));
                break;
            }
            if read.len() < MAX_HEADER {
                read.extend_from_slice(&l);
            }
        }
        read.truncate(MAX_HEADER);
        Ok(Item::Record(RawRecord {
            origin,
            bytes: read,
            kind: RawKind::CorruptWarc(format!("{problem} (record at byte {start})")),
        }))
    }
}

/// `Name: value` lines of a header block (after its version line), continuation lines
/// (starting with a space or tab) joined to the one before. Lines without a colon are
/// left out; names and values are trimmed, invalid UTF-8 replaced.
fn parse_headers(block: &[u8]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in block.split(|&b| b == b'\n').skip(1) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let text = String::from_utf8_lossy(line);
        if line[0] == b' ' || line[0] == b'\t' {
            if let Some(last) = out.last_mut() {
                last.1.push(' ');
                last.1.push_str(text.trim());
            }
            continue;
        }
        if let Some((name, value)) = text.split_once(':') {
            out.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    out
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The record a raw WARC record becomes, or `None` when `bytes` is not one (a JSONL line).
/// `Err` is the rejection of a corrupt record (`corrupt-warc`) or of content that is not
/// UTF-8 (`invalid-utf8`).
pub fn decode(
    raw: &RawRecord,
    fields: &super::Fields,
) -> Option<Result<(String, String, Record), Rejection>> {
    let origin = &raw.origin;
    let rest = match &raw.kind {
        RawKind::Warc => &raw.bytes[..],
        RawKind::CorruptWarc(problem) => {
            let mut r =
                Rejection::new("corrupt-warc", "read", origin.clone()).detail(problem.clone());
            r.raw = Some(String::from_utf8_lossy(&raw.bytes).into_owned());
            return Some(Err(r));
        }
        RawKind::Json | RawKind::Text(_) => return None,
    };
    let end = find_blank_line(rest);
    let (block, content) = rest.split_at(end.min(rest.len()));
    let headers = parse_headers(block);
    let id = header(&headers, "WARC-Record-ID")
        .map(str::to_string)
        .unwrap_or_else(|| origin.to_string());
    let text = match std::str::from_utf8(content) {
        Ok(t) => t.to_string(),
        Err(e) => {
            let mut r = Rejection::new("invalid-utf8", "read", origin.clone()).detail(format!(
                "invalid UTF-8 at byte {} of the content",
                e.valid_up_to()
            ));
            r.id = Some(id);
            r.raw = Some(String::from_utf8_lossy(rest).into_owned());
            return Some(Err(r));
        }
    };
    let mut map = Map::new();
    map.insert(fields.id.clone(), Value::String(id.clone()));
    let mut warc = Map::new();
    for (name, value) in &headers {
        let field = match name.to_ascii_lowercase().as_str() {
            "warc-record-id" | "content-length" => continue,
            "warc-target-uri" => "url",
            "warc-date" => "date",
            "warc-identified-content-language" => "language",
            _ => {
                warc.insert(name.clone(), Value::String(value.clone()));
                continue;
            }
        };
        map.insert(field.into(), Value::String(value.clone()));
    }
    map.insert("warc".into(), Value::Object(warc));
    map.insert(fields.text.clone(), Value::String(text.clone()));
    let record = Record::from_value(&Value::Object(map), &fields.text);
    Some(Ok((id, text, record)))
}

/// The index just past the blank line that ends a header block (`len` when none).
fn find_blank_line(b: &[u8]) -> usize {
    let mut i = 0;
    while let Some(p) = memchr::memchr(b'\n', &b[i..]) {
        let next = i + p + 1;
        match b.get(next..) {
            Some(r) if r.starts_with(b"\r\n") => return next + 2,
            Some(r) if r.starts_with(b"\n") => return next + 1,
            _ => i = next,
        }
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::Fields;
    use crate::test_rng::XorShift;

    fn record(kind: &str, id: &str, content: &str) -> Vec<u8> {
        format!(
            "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Target-URI: http://x.test/{id}\r\n\
             WARC-Date: 2024-05-01T00:00:00Z\r\nWARC-Record-ID: <urn:uuid:{id}>\r\n\
             WARC-Refers-To: <urn:uuid:r{id}>\r\nContent-Type: text/plain\r\n\
             Content-Length: {}\r\n\r\n{content}\r\n\r\n",
            content.len()
        )
        .into_bytes()
    }

    fn sample() -> Vec<u8> {
        let mut f = record("warcinfo", "0", "software: test\r\n");
        f.extend(record("conversion", "1", "First page.\nSecond line, café."));
        f.extend(record("request", "2", "GET / HTTP/1.1\r\n"));
        f.extend(record("conversion", "3", "Another page."));
        f
    }

    fn read_all(bytes: &[u8]) -> (Vec<RawRecord>, Vec<String>) {
        let mut input = bytes;
        let mut r = Reader::new(&mut input, "f.wet".into());
        let (mut recs, mut skipped) = (Vec::new(), Vec::new());
        while let Some(item) = r.next_item().unwrap() {
            match item {
                Item::Record(rec) => recs.push(rec),
                Item::Skipped(t) => skipped.push(t),
            }
        }
        (recs, skipped)
    }

    #[test]
    fn conversion_records_are_documents_with_their_headers() {
        let (recs, skipped) = read_all(&sample());
        assert_eq!(skipped, ["warcinfo", "request"]);
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].origin.to_string(), "f.wet:2");
        let (id, text, rec) = decode(&recs[0], &Fields::default()).unwrap().unwrap();
        assert_eq!(id, "<urn:uuid:1>");
        assert_eq!(text, "First page.\nSecond line, café.");
        assert_eq!(
            String::from_utf8(rec.to_json()).unwrap(),
            r#"{"id":"<urn:uuid:1>","url":"http://x.test/1","date":"2024-05-01T00:00:00Z","warc":{"WARC-Type":"conversion","WARC-Refers-To":"<urn:uuid:r1>","Content-Type":"text/plain"},"text":"First page.\nSecond line, café."}"#
        );
        let json = RawRecord {
            origin: recs[0].origin.clone(),
            bytes: b"{\"text\":1}".to_vec(),
            kind: RawKind::Json,
        };
        assert!(decode(&json, &Fields::default()).is_none());
    }

    #[test]
    fn a_truncated_record_is_rejected_with_its_offset() {
        let full = sample();
        let cut = full.len() - 10;
        let (recs, _) = read_all(&full[..cut]);
        assert_eq!(recs.len(), 2);
        let err = decode(&recs[1], &Fields::default()).unwrap().unwrap_err();
        assert_eq!(err.reason, "corrupt-warc");
        let start = full.len() - record("conversion", "3", "Another page.").len();
        assert_eq!(
            err.detail,
            Some(format!(
                "content cut short: 7 of 13 bytes (record at byte {start})"
            ))
        );
    }

    /// Random cuts, byte flips and deletions of a valid file never panic; a cut file
    /// keeps every conversion record it holds whole, and rejects the one it cuts.
    #[test]
    fn damaged_files_never_panic_and_lose_no_record() {
        let full = sample();
        // Where each conversion record's content ends.
        let mut ends = Vec::new();
        let mut at = 0;
        for (kind, id, content) in [
            ("warcinfo", "0", "software: test\r\n"),
            ("conversion", "1", "First page.\nSecond line, café."),
            ("request", "2", "GET / HTTP/1.1\r\n"),
            ("conversion", "3", "Another page."),
        ] {
            let r = record(kind, id, content);
            if kind == "conversion" {
                ends.push(at + r.len() - 4);
            }
            at += r.len();
        }
        let mut rng = XorShift::new(23);
        for round in 0..3000 {
            let mut b = full.clone();
            let mut cut = None;
            match round % 3 {
                0 => {
                    let c = rng.below(full.len() + 1);
                    b.truncate(c);
                    cut = Some(c);
                }
                1 => {
                    for _ in 0..=rng.below(4) {
                        let i = rng.below(b.len());
                        b[i] = rng.below(256) as u8;
                    }
                }
                _ => {
                    let i = rng.below(b.len());
                    let n = rng.below(40);
                    b.drain(i..(i + n).min(b.len()));
                }
            }
            let (recs, _) = read_all(&b);
            let decoded: Vec<_> = recs.iter().map(|r| decode(r, &Fields::default())).collect();
            assert!(decoded.iter().all(Option::is_some));
            if let Some(c) = cut {
                let whole = ends.iter().filter(|&&e| e <= c).count();
                let ok = decoded.iter().filter(|d| matches!(d, Some(Ok(_)))).count();
                assert_eq!(ok, whole, "cut at {c}");
                let opened = c > 0 && ends.iter().any(|&e| e > c);
                assert!(recs.len() >= whole && recs.len() <= whole + usize::from(opened) + 1);
            }
        }
    }
}
