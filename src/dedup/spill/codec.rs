//! Encodings of the spill records: documents (text first, then the rest) and the
//! signature part of sketches. Little-endian, varint lengths; a short or corrupt record
//! decodes to an error, never a panic.
use crate::dedup::sketch::{PassageSketch, ShortPassage, Sketch};
use crate::document::{Document, DupRef, Origin, Removal};
use crate::error::{Error, Result};
use crate::record::Record;
use serde_json::Value;
use std::sync::Arc;

/// Little-endian encoder.
#[derive(Default)]
pub struct Enc(pub Vec<u8>);

impl Enc {
    pub fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    /// LEB128: 7 bits a byte, small values in one byte.
    pub fn var(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push(v as u8 | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }
    /// A short string: varint length, then the bytes.
    pub fn short_str(&mut self, s: &str) {
        self.var(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
}

/// Decoder of what [`Enc`] wrote; a short or corrupt record is an error, never a panic.
pub struct Dec<'a> {
    buf: &'a [u8],
}

fn corrupt() -> Error {
    Error::Usage("dedup temporary file is corrupt".into())
}

impl<'a> Dec<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Dec { buf }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.buf.len() < n {
            return Err(corrupt());
        }
        let (a, b) = self.buf.split_at(n);
        self.buf = b;
        Ok(a)
    }
    pub fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    pub fn var(&mut self) -> Result<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.take(1)?[0];
            v |= u64::from(b & 0x7F) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(corrupt())
    }
    fn var_usize(&mut self) -> Result<usize> {
        usize::try_from(self.var()?).map_err(|_| corrupt())
    }
    pub fn short_str(&mut self) -> Result<&'a str> {
        let n = self.var_usize()?;
        std::str::from_utf8(self.take(n)?).map_err(|_| corrupt())
    }
    fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
    /// A u32 count, then that many u32 values.
    pub fn u32s(&mut self) -> Result<Vec<u32>> {
        let n = self.u32()? as usize;
        let b = self.take(n.checked_mul(4).ok_or_else(corrupt)?)?;
        Ok(b.chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
}

/// A document encoded for the spill: its text, and everything else. A spill record is
/// the text, then `meta`, then the text's byte length (8 bytes), so that the text is
/// written without joining it to the rest and read back by truncating the record.
pub struct SpillDoc {
    pub text: String,
    pub meta: Vec<u8>,
}

impl SpillDoc {
    /// The parts of the record.
    pub fn parts(&self) -> [&[u8]; 2] {
        [self.text.as_bytes(), &self.meta]
    }

    /// The record as one buffer.
    pub fn to_record(&self) -> Vec<u8> {
        let mut r = Vec::with_capacity(self.text.len() + self.meta.len());
        r.extend_from_slice(self.text.as_bytes());
        r.extend_from_slice(&self.meta);
        r
    }
}

/// Encode a document and its passages. The record is stored as raw bytes and spans; its
/// original text only when normalization changed it (else it is the document's text,
/// stored once). The id is not stored (the run keeps every id in memory).
pub fn encode_doc(doc: Document, passages: &[PassageSketch]) -> SpillDoc {
    let mut e = Enc(Vec::with_capacity(64 + passages.len() * 14));
    let same = doc.record.original_is(&doc.text);
    let mut rec = Vec::new();
    doc.record.spill(same, &mut rec);
    e.var(rec.len() as u64);
    e.0.extend_from_slice(&rec);
    e.short_str(&doc.origin.file);
    e.var(doc.origin.line);
    e.short_str(doc.lang.unwrap_or(""));
    e.var(doc.removals.len() as u64);
    for r in &doc.removals {
        e.var(r.start as u64);
        e.var(r.end as u64);
        e.short_str(&r.rule);
        e.short_str(&r.category);
        match &r.dup_of {
            Some(d) => {
                let j = serde_json::to_vec(d).unwrap_or_default();
                e.var(j.len() as u64);
                e.0.extend_from_slice(&j);
            }
            None => e.var(0),
        }
    }
    // Passages in text order: start as the gap after the previous end, then the length.
    e.var(passages.len() as u64);
    let mut prev_end = 0usize;
    for p in passages {
        e.var(p.start.wrapping_sub(prev_end) as u64);
        e.var(p.end.wrapping_sub(p.start) as u64);
        e.u64(p.hash);
        e.var(u64::from(p.words));
        prev_end = p.end;
    }
    e.u64(doc.text.len() as u64);
    SpillDoc {
        text: doc.text,
        meta: e.0,
    }
}

/// Decode a spilled document from its record (which becomes the text without a copy).
/// `langs` maps language codes back to the static names the clean stage uses.
pub fn decode_doc(
    mut record_bytes: Vec<u8>,
    id: &str,
    langs: &[&'static str],
) -> Result<(Document, Vec<PassageSketch>)> {
    let n = record_bytes.len();
    if n < 8 {
        return Err(corrupt());
    }
    let mut d = Dec::new(&record_bytes[n - 8..]);
    let text_len = usize::try_from(d.u64()?).map_err(|_| corrupt())?;
    if text_len > n - 8 {
        return Err(corrupt());
    }
    let mut d = Dec::new(&record_bytes[text_len..n - 8]);
    let rec_len = d.var_usize()?;
    let record = Record::unspill(d.take(rec_len)?).ok_or_else(corrupt)?;
    let file: Arc<str> = d.short_str()?.into();
    let line = d.var()?;
    let lang_name = d.short_str()?;
    let lang = langs.iter().copied().find(|l| *l == lang_name);
    let nr = d.var_usize()?;
    let mut removals = Vec::with_capacity(nr.min(1 << 16));
    for _ in 0..nr {
        let start = d.var_usize()?;
        let end = d.var_usize()?;
        let rule: Arc<str> = d.short_str()?.into();
        let category: Arc<str> = d.short_str()?.into();
        let dup_len = d.var_usize()?;
        let dup = d.take(dup_len)?;
        let dup_of = if dup.is_empty() {
            None
        } else {
            Some(dup_ref(dup)?)
        };
        removals.push(Removal {
            start,
            end,
            rule,
            category,
            dup_of,
        });
    }
    let np = d.var_usize()?;
    let mut passages = Vec::with_capacity(np.min(1 << 16));
    let mut prev_end = 0usize;
    for _ in 0..np {
        let start = prev_end.wrapping_add(d.var_usize()?);
        let end = start.wrapping_add(d.var_usize()?);
        let hash = d.u64()?;
        let words = u32::try_from(d.var()?).map_err(|_| corrupt())?;
        passages.push(PassageSketch {
            start,
            end,
            hash,
            words,
        });
        prev_end = end;
    }
    if !d.is_empty() {
        return Err(corrupt());
    }
    record_bytes.truncate(text_len);
    let text = String::from_utf8(record_bytes).map_err(|_| corrupt())?;
    let doc = Document {
        id: id.to_string(),
        text,
        record,
        origin: Origin { file, line },
        lang,
        removals,
    };
    Ok((doc, passages))
}

fn dup_ref(bytes: &[u8]) -> Result<DupRef> {
    let v: Value = serde_json::from_slice(bytes).map_err(|_| corrupt())?;
    Ok(DupRef {
        doc: v["doc"].as_str().unwrap_or("").to_string(),
        passage: v["passage"].as_u64().map(|p| p as usize),
        similarity: v["similarity"].as_f64(),
    })
}

/// Encode the signature part of a sketch (long-passage signature and short passages).
pub fn encode_sig(sketch: &Sketch) -> Vec<u8> {
    let mut e = Enc(Vec::with_capacity(
        16 + sketch.sig.len() * 4 + sketch.short.len() * 16 + sketch.short_shingles.len() * 4,
    ));
    e.u32(sketch.sig_shingles);
    e.u32(sketch.sig.len() as u32);
    for &v in &sketch.sig {
        e.u32(v);
    }
    e.u32(sketch.short.len() as u32);
    for s in &sketch.short {
        e.u64(s.hash);
        e.u32(s.words);
        e.u32(s.shingles);
    }
    e.u32(sketch.short_shingles.len() as u32);
    for &v in &sketch.short_shingles {
        e.u32(v);
    }
    e.0
}

/// A decoded signature record: signature, shingle count, short passages and their
/// shingles (one after the other).
pub type DecodedSig = (Vec<u32>, u32, Vec<ShortPassage>, Vec<u32>);

/// Decode [`encode_sig`].
pub fn decode_sig(buf: &[u8]) -> Result<DecodedSig> {
    let mut d = Dec::new(buf);
    let n = d.u32()?;
    let sig = d.u32s()?;
    let ns = d.u32()? as usize;
    let mut short = Vec::with_capacity(ns.min(1 << 16));
    for _ in 0..ns {
        short.push(ShortPassage {
            hash: d.u64()?,
            words: d.u32()?,
            shingles: d.u32()?,
        });
    }
    let shingles = d.u32s()?;
    let total: u64 = short.iter().map(|s| u64::from(s.shingles)).sum();
    if total != shingles.len() as u64 {
        return Err(corrupt());
    }
    Ok((sig, n, short, shingles))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_round_trips_with_field_order() {
        let line = r#"{"id": "a", "text": "Hello\nworld", "meta": {"k": 1}}"#;
        let record = crate::record::parse(line.into(), &crate::read::Fields::default())
            .unwrap()
            .record;
        let doc = Document {
            id: "a".into(),
            text: "Hello\nworld".into(),
            record,
            origin: Origin {
                file: "in.jsonl".into(),
                line: 3,
            },
            lang: Some("de"),
            removals: vec![Removal {
                start: 0,
                end: 5,
                rule: "r".into(),
                category: "c".into(),
                dup_of: Some(DupRef {
                    doc: "z".into(),
                    passage: Some(2),
                    similarity: Some(1.0),
                }),
            }],
        };
        let ps = vec![PassageSketch {
            start: 0,
            end: 5,
            hash: 99,
            words: 1,
        }];
        let as_read = doc.record.to_json();
        let bytes = encode_doc(doc.clone(), &ps).to_record();
        let (back, bps) = decode_doc(bytes.clone(), "a", &["de"]).unwrap();
        assert_eq!(back.original_text().as_deref(), Some("Hello\nworld"));
        assert_eq!(
            crate::document::Rejection::of(back.clone(), "r", "s")
                .record
                .map(|r| r.to_json()),
            Some(as_read.clone())
        );
        assert_eq!(back.removals, doc.removals);
        assert_eq!(
            (back.lang, &back.origin, &bps),
            (Some("de"), &doc.origin, &ps)
        );
        assert_eq!(
            (back.id.as_str(), back.text.as_str()),
            ("a", "Hello\nworld")
        );
        for cut in [1, 3, 9, 20] {
            let short = bytes[..bytes.len() - cut].to_vec();
            assert!(decode_doc(short, "a", &[]).is_err(), "{cut}");
        }
        // When normalization changed the text, the record keeps the original.
        let mut changed = doc.clone();
        changed.text = "Hello world".into();
        let bytes = encode_doc(changed, &ps).to_record();
        let (back, _) = decode_doc(bytes, "a", &["de"]).unwrap();
        assert_eq!(back.original_text().as_deref(), Some("Hello\nworld"));
        assert_eq!(back.record.to_json(), as_read);
        assert_eq!(back.text, "Hello world");
    }
}
