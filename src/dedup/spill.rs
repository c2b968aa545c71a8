//! Temporary files of a dedup run, inside the output directory and removed at the end
//! (also on error): length-framed records (the spilled documents, the sketches) and a
//! fixed-record signature file read back by document index for verification.
use super::sketch::{PassageSketch, ShortPassage, Sketch};
use crate::document::{Document, DupRef, Origin, Removal};
use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Removes its files when dropped.
pub struct TempFiles {
    paths: Vec<PathBuf>,
}

impl TempFiles {
    pub fn new() -> Self {
        TempFiles { paths: Vec::new() }
    }

    /// A new temporary path in `dir` (removed when `self` is dropped).
    pub fn path(&mut self, dir: &Path, name: &str) -> PathBuf {
        let p = dir.join(format!(".rinse-dedup-{name}.tmp"));
        self.paths.push(p.clone());
        p
    }
}

impl Default for TempFiles {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TempFiles {
    fn drop(&mut self) {
        for p in &self.paths {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Writes length-framed records.
pub struct FrameWriter {
    path: PathBuf,
    out: BufWriter<File>,
    pub bytes: u64,
}

impl FrameWriter {
    pub fn create(path: &Path) -> Result<Self> {
        let f = File::create(path).map_err(|e| Error::io(path, e))?;
        Ok(FrameWriter {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(1 << 20, f),
            bytes: 0,
        })
    }

    pub fn write(&mut self, record: &[u8]) -> Result<()> {
        let len = u32::try_from(record.len())
            .map_err(|_| Error::Usage(format!("record of {} bytes too large", record.len())))?;
        self.out
            .write_all(&len.to_le_bytes())
            .and_then(|_| self.out.write_all(record))
            .map_err(|e| Error::io(&self.path, e))?;
        self.bytes += 4 + record.len() as u64;
        Ok(())
    }

    pub fn finish(mut self) -> Result<()> {
        self.out.flush().map_err(|e| Error::io(&self.path, e))
    }
}

/// Reads length-framed records in order.
pub struct FrameReader {
    path: PathBuf,
    input: BufReader<File>,
}

impl FrameReader {
    pub fn open(path: &Path) -> Result<Self> {
        let f = File::open(path).map_err(|e| Error::io(path, e))?;
        Ok(FrameReader {
            path: path.to_path_buf(),
            input: BufReader::with_capacity(1 << 20, f),
        })
    }

    /// The next record, or `None` at the end.
    pub fn next_record(&mut self) -> Result<Option<Vec<u8>>> {
        let mut len = [0u8; 4];
        match self.input.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(Error::io(&self.path, e)),
        }
        let mut buf = vec![0u8; u32::from_le_bytes(len) as usize];
        self.input
            .read_exact(&mut buf)
            .map_err(|e| Error::io(&self.path, e))?;
        Ok(Some(buf))
    }
}

/// Signatures with fixed-size records (shingle count, then K values), by document index.
pub struct SigFile {
    path: PathBuf,
    file: File,
    k: usize,
}

impl SigFile {
    pub fn record_bytes(k: usize) -> usize {
        4 * (k + 1)
    }

    pub fn encode(sig: &[u32], shingles: u32, out: &mut Vec<u8>) {
        out.extend_from_slice(&shingles.to_le_bytes());
        for v in sig {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }

    pub fn open(path: &Path, k: usize) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        Ok(SigFile {
            path: path.to_path_buf(),
            file,
            k,
        })
    }

    /// Signature and shingle count of document `doc`.
    pub fn get(&self, doc: u32) -> Result<(Vec<u32>, u32)> {
        let n = Self::record_bytes(self.k);
        let mut buf = vec![0u8; n];
        read_at(&self.file, &mut buf, doc as u64 * n as u64)
            .map_err(|e| Error::io(&self.path, e))?;
        let mut vals = buf
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        let count = vals.next().unwrap_or(0);
        Ok((vals.collect(), count))
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(not(unix))]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom};
    let mut f = file.try_clone()?;
    f.seek(SeekFrom::Start(offset))?;
    f.read_exact(buf)
}

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
    pub fn bytes(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        self.0.extend_from_slice(b);
    }
    pub fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes())
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
    pub fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = usize::try_from(self.u64()?).map_err(|_| corrupt())?;
        self.take(n)
    }
    pub fn str(&mut self) -> Result<&'a str> {
        std::str::from_utf8(self.bytes()?).map_err(|_| corrupt())
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

/// Encode a document (its text field emptied: the writer fills it) and its passages.
pub fn encode_doc(mut doc: Document, passages: &[PassageSketch], text_field: &str) -> Vec<u8> {
    let mut e = Enc(Vec::with_capacity(doc.text.len() + 256));
    e.str(&doc.id);
    e.str(&doc.text);
    // The record keeps the original text for rejected/; stored once when normalization
    // left it unchanged (flag 1: the text field is the normalized text).
    let mut same = 0u32;
    if let Some(v) = doc.record.get_mut(text_field) {
        if v.as_str() == Some(doc.text.as_str()) {
            *v = Value::Null;
            same = 1;
        }
    }
    e.u32(same);
    let rec = serde_json::to_vec(&doc.record).unwrap_or_else(|_| b"{}".to_vec());
    e.bytes(&rec);
    e.str(&doc.origin.file);
    e.u64(doc.origin.line);
    e.str(doc.lang.unwrap_or(""));
    e.u32(doc.removals.len() as u32);
    for r in &doc.removals {
        e.u64(r.start as u64);
        e.u64(r.end as u64);
        e.str(&r.rule);
        e.str(&r.category);
        match &r.dup_of {
            Some(d) => e.bytes(&serde_json::to_vec(d).unwrap_or_default()),
            None => e.bytes(&[]),
        }
    }
    e.u32(passages.len() as u32);
    for p in passages {
        e.u64(p.start as u64);
        e.u64(p.end as u64);
        e.u64(p.hash);
        e.u32(p.words);
    }
    e.0
}

/// Decode a spilled document. `langs` maps language codes back to the static names the
/// clean stage uses; `text_field` gets the text back in its original position.
pub fn decode_doc(
    buf: &[u8],
    langs: &[&'static str],
    text_field: &str,
) -> Result<(Document, Vec<PassageSketch>)> {
    let mut d = Dec::new(buf);
    let id = d.str()?.to_string();
    let text = d.str()?.to_string();
    let same = d.u32()? == 1;
    let mut record: Map<String, Value> =
        serde_json::from_slice(d.bytes()?).map_err(|_| corrupt())?;
    if same {
        if let Some(v) = record.get_mut(text_field) {
            *v = Value::String(text.clone());
        }
    }
    let file: Arc<str> = d.str()?.into();
    let line = d.u64()?;
    let lang_name = d.str()?;
    let lang = langs.iter().copied().find(|l| *l == lang_name);
    let nr = d.u32()? as usize;
    let mut removals = Vec::with_capacity(nr.min(1 << 16));
    for _ in 0..nr {
        let start = d.u64()? as usize;
        let end = d.u64()? as usize;
        let rule: Arc<str> = d.str()?.into();
        let category: Arc<str> = d.str()?.into();
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
    let np = d.u32()? as usize;
    let mut passages = Vec::with_capacity(np.min(1 << 16));
    for _ in 0..np {
        passages.push(PassageSketch {
            start: d.u64()? as usize,
            end: d.u64()? as usize,
            hash: d.u64()?,
            words: d.u32()?,
        });
    }
    let doc = Document {
        id,
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
        let mut record = Map::new();
        record.insert("id".into(), "a".into());
        record.insert("text".into(), "Hello\nworld".into());
        record.insert("meta".into(), serde_json::json!({"k": 1}));
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
        let bytes = encode_doc(doc.clone(), &ps, "text");
        let (back, bps) = decode_doc(&bytes, &["de"], "text").unwrap();
        assert_eq!(back.record, doc.record);
        assert_eq!(back.removals, doc.removals);
        assert_eq!(
            (back.lang, &back.origin, &bps),
            (Some("de"), &doc.origin, &ps)
        );
        assert!(decode_doc(&bytes[..bytes.len() - 3], &[], "text").is_err());
        // When normalization changed the text, the record keeps the original.
        let mut changed = doc.clone();
        changed.text = "Hello world".into();
        let bytes = encode_doc(changed, &ps, "text");
        let (back, _) = decode_doc(&bytes, &["de"], "text").unwrap();
        assert_eq!(back.record["text"], "Hello\nworld");
        assert_eq!(back.text, "Hello world");
    }
}
