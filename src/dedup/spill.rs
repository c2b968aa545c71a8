//! What a dedup run sets aside for later phases: [`Store`]s of records (the documents, the
//! sketches) held in memory while a byte budget lasts and then written as length-framed
//! records to temporary files, and a fixed-record signature file read back by document
//! index for verification. Temporary files live in the output directory and are removed
//! at the end (also on error).
use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

mod codec;
pub use codec::{
    decode_doc, decode_held, decode_sig, encode_doc, encode_sig, Dec, DecodedSig, Enc, SpillDoc,
};

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
        let p = crate::outdir::OutDir::temp_path(dir, &format!("rinse-dedup-{name}"));
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

/// Writes length-framed records (the file part of a [`Store`]).
struct FrameWriter {
    path: PathBuf,
    out: BufWriter<File>,
    bytes: u64,
}

impl FrameWriter {
    fn create(path: &Path) -> Result<Self> {
        let f = File::create(path).map_err(|e| Error::io(path, e))?;
        Ok(FrameWriter {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(1 << 20, f),
            bytes: 0,
        })
    }

    /// Write one record made of these parts, one after the other (no copy to join them).
    fn write_parts(&mut self, parts: &[&[u8]]) -> Result<()> {
        let total: usize = parts.iter().map(|p| p.len()).sum();
        let len = u32::try_from(total)
            .map_err(|_| Error::Usage(format!("record of {total} bytes too large")))?;
        self.out
            .write_all(&len.to_le_bytes())
            .map_err(|e| Error::io(&self.path, e))?;
        for p in parts {
            self.out
                .write_all(p)
                .map_err(|e| Error::io(&self.path, e))?;
        }
        self.bytes += 4 + total as u64;
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        self.out.flush().map_err(|e| Error::io(&self.path, e))
    }
}

/// A record that can be held in memory or written as one frame.
pub trait Frame {
    /// The frame's bytes, in parts written one after the other.
    fn parts(&self) -> [&[u8]; 2];

    /// The memory the record takes while held: its allocations as allocated (a cleaned
    /// text keeps the capacity of the text it was cut from, about 17 % more than its
    /// length on the generated corpora) and the record itself.
    fn held_bytes(&self) -> u64;
}

impl Frame for Vec<u8> {
    fn parts(&self) -> [&[u8]; 2] {
        [self, &[]]
    }

    fn held_bytes(&self) -> u64 {
        (self.capacity() + std::mem::size_of::<Self>()) as u64
    }
}

impl Frame for SpillDoc {
    fn parts(&self) -> [&[u8]; 2] {
        SpillDoc::parts(self)
    }

    fn held_bytes(&self) -> u64 {
        (self.text.capacity() + self.meta.capacity() + std::mem::size_of::<Self>()) as u64
    }
}

/// A record read back from a [`Store`]: as it was pushed, or its frame from the file.
pub enum Stored<T> {
    Held(T),
    Framed(Vec<u8>),
}

/// Records kept in input order: in memory while a byte budget lasts, then in a
/// length-framed temporary file (created only then). Read back in the same order, the
/// held ones first. Where a record ends up changes nothing but time and memory.
pub struct Store<T> {
    held: Vec<T>,
    path: PathBuf,
    file: Option<FrameWriter>,
    /// Bytes held in memory ([`Frame::held_bytes`] of the records held).
    pub held_bytes: u64,
}

impl<T: Frame> Store<T> {
    pub fn new(path: &Path) -> Self {
        Store {
            held: Vec::new(),
            path: path.to_path_buf(),
            file: None,
            held_bytes: 0,
        }
    }

    /// Frame bytes written to the file.
    pub fn file_bytes(&self) -> u64 {
        self.file.as_ref().map_or(0, |f| f.bytes)
    }

    /// Add the next record; it is held in memory when its bytes fit in `budget` (which
    /// it then uses up) and no earlier record went to the file.
    pub fn push(&mut self, record: T, budget: &mut u64) -> Result<()> {
        let bytes = record.held_bytes();
        if self.file.is_none() && bytes <= *budget {
            *budget -= bytes;
            self.held_bytes += bytes;
            self.held.push(record);
            return Ok(());
        }
        let file = match self.file.as_mut() {
            Some(f) => f,
            None => self.file.insert(FrameWriter::create(&self.path)?),
        };
        file.write_parts(&record.parts())
    }

    /// Done writing: the records in order.
    pub fn finish(mut self) -> Result<StoreReader<T>> {
        let file = match self.file.take() {
            Some(w) => {
                w.finish()?;
                Some(FrameReader::open(&self.path)?)
            }
            None => None,
        };
        Ok(StoreReader {
            held: self.held.into_iter(),
            file,
        })
    }
}

/// Reads a finished [`Store`] back in order.
pub struct StoreReader<T> {
    held: std::vec::IntoIter<T>,
    file: Option<FrameReader>,
}

impl<T> StoreReader<T> {
    /// The next record, or `None` at the end.
    pub fn next_record(&mut self) -> Result<Option<Stored<T>>> {
        if let Some(r) = self.held.next() {
            return Ok(Some(Stored::Held(r)));
        }
        match self.file.as_mut() {
            Some(f) => Ok(f.next_record()?.map(Stored::Framed)),
            None => Ok(None),
        }
    }
}

/// Reads length-framed records in order (the file part of a [`StoreReader`]).
struct FrameReader {
    path: PathBuf,
    input: BufReader<File>,
}

impl FrameReader {
    fn open(path: &Path) -> Result<Self> {
        let f = File::open(path).map_err(|e| Error::io(path, e))?;
        Ok(FrameReader {
            path: path.to_path_buf(),
            input: BufReader::with_capacity(1 << 20, f),
        })
    }

    /// The next record, or `None` at the end.
    fn next_record(&mut self) -> Result<Option<Vec<u8>>> {
        let mut len = [0u8; 4];
        match self.input.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(Error::io(&self.path, e)),
        }
        let n = u32::from_le_bytes(len) as usize;
        // Read into spare capacity: no zeroing of a buffer about to be overwritten.
        let mut buf = Vec::with_capacity(n);
        let got = (&mut self.input)
            .take(n as u64)
            .read_to_end(&mut buf)
            .map_err(|e| Error::io(&self.path, e))?;
        if got != n {
            return Err(Error::io(
                &self.path,
                std::io::Error::from(std::io::ErrorKind::UnexpectedEof),
            ));
        }
        Ok(Some(buf))
    }
}

/// Signatures with fixed-size records (shingle count, then K values), by document index.
/// Mapped into memory: verification reads two records per candidate pair in no useful
/// order, and a read call each cost more than the comparison (0.4 s of syscalls for the
/// 290,000 pairs of a 200 MB corpus). The pages are the page cache's, not the process's
/// own memory: the kernel may drop them and read them again.
pub struct SigFile {
    path: PathBuf,
    map: Option<memmap2::Mmap>,
    /// Without a map: the file, read record by record.
    file: Option<File>,
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
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        // An empty file cannot be mapped (and has no record to read).
        let map = if len == 0 {
            None
        } else {
            // SAFETY: the file is this run's own temporary file, complete before it is
            // opened here and not written again while mapped (and removed only after).
            Some(unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io(path, e))?)
        };
        Ok(SigFile {
            path: path.to_path_buf(),
            map,
            file: None,
            k,
        })
    }

    /// The file for a few scattered lookups: each record read on its own (a system call
    /// each), so that no page of the file stays resident in this process.
    pub fn open_unmapped(path: &Path, k: usize) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        Ok(SigFile {
            path: path.to_path_buf(),
            map: None,
            file: Some(file),
            k,
        })
    }

    /// Signature and shingle count of document `doc`.
    pub fn get(&self, doc: u32) -> Result<(Vec<u32>, u32)> {
        let mut sig = Vec::with_capacity(self.k);
        let count = self.get_into(doc, &mut sig)?;
        Ok((sig, count))
    }

    /// The signature of document `doc` into `sig` (replaced); returns its shingle count.
    pub fn get_into(&self, doc: u32, sig: &mut Vec<u32>) -> Result<u32> {
        let n = Self::record_bytes(self.k);
        let at = doc as usize * n;
        let eof = || {
            Error::io(
                &self.path,
                std::io::Error::from(std::io::ErrorKind::UnexpectedEof),
            )
        };
        let mut read = Vec::new();
        let rec = match (&self.map, &self.file) {
            (Some(m), _) => m.get(at..at + n).ok_or_else(eof)?,
            (None, Some(f)) => {
                use std::os::unix::fs::FileExt;
                read.resize(n, 0);
                f.read_exact_at(&mut read, at as u64)
                    .map_err(|e| Error::io(&self.path, e))?;
                &read[..]
            }
            (None, None) => return Err(eof()),
        };
        let mut vals = rec
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        let count = vals.next().unwrap_or(0);
        sig.clear();
        sig.extend(vals);
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_dir::TestDir;

    #[test]
    fn a_store_holds_records_while_the_budget_lasts_and_reads_all_back_in_order() {
        let dir = TestDir::new("store");
        let path = dir.path().join("store");
        let mut store = Store::new(&path);
        // A held record costs its capacity plus the Vec itself (24 bytes): 60 bytes hold
        // "abc" (27) and "de" (26), not "" (24 > 7), and then not "k" either, though it
        // would fit: order comes first. In the file a record is its bytes and a 4-byte
        // frame.
        let mut budget = 60;
        for r in [&b"abc"[..], b"de", b"", b"fghij", b"k"] {
            store.push(r.to_vec(), &mut budget).unwrap();
        }
        assert_eq!((store.held_bytes, store.file_bytes(), budget), (53, 18, 7));
        let mut back = Vec::new();
        let mut reader = store.finish().unwrap();
        while let Some(r) = reader.next_record().unwrap() {
            back.push(match r {
                Stored::Held(v) => (true, v),
                Stored::Framed(v) => (false, v),
            });
        }
        let want: Vec<(bool, Vec<u8>)> = [(true, "abc"), (true, "de"), (false, "")]
            .into_iter()
            .chain([(false, "fghij"), (false, "k")])
            .map(|(h, v)| (h, v.as_bytes().to_vec()))
            .collect();
        assert_eq!(back, want);
    }

    #[test]
    fn a_held_record_costs_its_capacity_not_its_length() {
        let dir = TestDir::new("store-cap");
        let mut store = Store::new(&dir.path().join("store"));
        let mut roomy = Vec::with_capacity(100);
        roomy.push(b'x');
        let cost = roomy.capacity() as u64 + 24;
        let mut budget = cost + 10;
        store.push(roomy, &mut budget).unwrap();
        assert_eq!((store.held_bytes, budget), (cost, 10));
        // A second one no longer fits, though its one byte would.
        let mut again = Vec::with_capacity(100);
        again.push(b'y');
        store.push(again, &mut budget).unwrap();
        assert_eq!(
            (store.held_bytes, store.file_bytes(), budget),
            (cost, 5, 10)
        );
    }

    #[test]
    fn signatures_read_back_by_index_and_a_missing_one_is_an_error() {
        let dir = TestDir::new("sigfile");
        let path = dir.path().join("sigs");
        let mut bytes = Vec::new();
        SigFile::encode(&[1, 2, 3], 7, &mut bytes);
        SigFile::encode(&[4, 5, 6], 9, &mut bytes);
        std::fs::write(&path, &bytes).unwrap();
        for f in [
            SigFile::open(&path, 3).unwrap(),
            SigFile::open_unmapped(&path, 3).unwrap(),
        ] {
            assert_eq!(f.get(0).unwrap(), (vec![1, 2, 3], 7));
            assert_eq!(f.get(1).unwrap(), (vec![4, 5, 6], 9));
            assert!(f.get(2).is_err());
        }
        std::fs::write(&path, b"").unwrap();
        assert!(SigFile::open(&path, 3).unwrap().get(0).is_err());
        assert!(SigFile::open_unmapped(&path, 3).unwrap().get(0).is_err());
    }
}
