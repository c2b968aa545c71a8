//! Encodings of the spill records: documents (text first, then the rest, the JSON
//! record first among it) and the signature part of sketches. Written with the shared
//! [`Enc`] and read with [`Dec`] (little-endian, varint lengths), as the record is by
//! [`Record::spill`]; a short or corrupt record decodes to an error, never a panic.
use crate::codec::corrupt;
pub use crate::codec::{Dec, Enc};
use crate::dedup::sketch::{PassageSketch, ShortPassage, Sketch};
use crate::document::{Document, DupRef, Origin, Removal};
use crate::error::Result;
use crate::record::Record;
use serde_json::Value;
use std::sync::Arc;

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
    let same = doc.record.original_is_text(&doc.text);
    doc.record.spill(same, &mut e);
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
            Some(d) => e.bytes(&serde_json::to_vec(d).unwrap_or_default()),
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
    let text_len = trailing_len(&record_bytes)?;
    if text_len > n - 8 {
        return Err(corrupt());
    }
    let (mut doc, passages) = decode_meta(&record_bytes[text_len..n - 8], id, langs)?;
    record_bytes.truncate(text_len);
    doc.text = crate::utf8::string(record_bytes).map_err(|_| corrupt())?;
    Ok((doc, passages))
}

/// Decode a document held in memory as [`encode_doc`] made it (its text needs no
/// check: it never left the process).
pub fn decode_held(
    spill: SpillDoc,
    id: &str,
    langs: &[&'static str],
) -> Result<(Document, Vec<PassageSketch>)> {
    let n = spill.meta.len();
    if n < 8 || trailing_len(&spill.meta)? != spill.text.len() {
        return Err(corrupt());
    }
    let (mut doc, passages) = decode_meta(&spill.meta[..n - 8], id, langs)?;
    doc.text = spill.text;
    Ok((doc, passages))
}

/// The text length in the last 8 bytes of a record (at least 8 bytes long).
fn trailing_len(b: &[u8]) -> Result<usize> {
    let mut d = Dec::new(&b[b.len() - 8..]);
    usize::try_from(d.u64()?).map_err(|_| corrupt())
}

/// Everything of a spilled document but its text (left empty).
fn decode_meta(
    meta: &[u8],
    id: &str,
    langs: &[&'static str],
) -> Result<(Document, Vec<PassageSketch>)> {
    let mut d = Dec::new(meta);
    let record = Record::unspill(&mut d)?;
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
        let dup = d.bytes()?;
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
    let doc = Document {
        id: id.to_string(),
        text: String::new(),
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
        // Held in memory instead: the same document.
        let (held, hps) = decode_held(encode_doc(doc.clone(), &ps), "a", &["de"]).unwrap();
        assert_eq!(format!("{held:?} {hps:?}"), format!("{back:?} {bps:?}"));
        let mut odd = encode_doc(doc.clone(), &ps);
        odd.text.push('!');
        assert!(decode_held(odd, "a", &["de"]).is_err());
        for cut in [1, 3, 9, 20] {
            let short = bytes[..bytes.len() - cut].to_vec();
            assert!(decode_doc(short, "a", &[]).is_err(), "{cut}");
        }
        // Any damaged byte decodes to a document or an error, never a panic; a damaged
        // record tag, member count or text member (the first bytes after the text) to an
        // error.
        for i in 0..bytes.len() {
            for b in [0x00, 0x7F, 0x80, 0xFF] {
                let mut bad = bytes.clone();
                bad[i] = b;
                let _ = decode_doc(bad, "a", &["de"]);
            }
        }
        let text_len = doc.text.len();
        for at in 0..3 {
            let mut bad = bytes.clone();
            bad[text_len + at] = 0xFF;
            assert!(decode_doc(bad, "a", &["de"]).is_err(), "{at}");
        }
        // When normalization changed the text, the record keeps the original.
        let mut changed = doc.clone();
        changed.text = "Hello world".into();
        changed.record.text_changed();
        let bytes = encode_doc(changed, &ps).to_record();
        let (back, _) = decode_doc(bytes, "a", &["de"]).unwrap();
        assert_eq!(back.original_text().as_deref(), Some("Hello\nworld"));
        assert_eq!(back.record.to_json(), as_read);
        assert_eq!(back.text, "Hello world");
    }
}
