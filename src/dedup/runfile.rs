//! The files dedup's phases hand each other: fixed-size records after a 64-byte header
//! that says what made them, so that a phase never reads a file some other phase, an
//! older rinse or another configuration wrote.
//!
//! Header (little-endian): magic `RINSERUN`, format version (u32), record size in bytes
//! (u32), a hash of the parameters that shaped the records (u64), the phase name (16
//! bytes, zero-padded), shard (u32), partition (u32), record count (u64) and the xxh3
//! hash of the records (u64). A file is written under a temporary name and renamed into
//! place when complete, so a file under its final name is whole; a reader checks every
//! header field against what it expects, the length against the count and, once it has
//! read the records, the checksum, and names the file in every refusal.
use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use xxhash_rust::xxh3::Xxh3;

const MAGIC: [u8; 8] = *b"RINSERUN";
/// Version of the header and of every record layout written under it.
const VERSION: u32 = 1;
pub const HEADER_BYTES: usize = 64;

/// What a file holds: which phase wrote it, its record size and the hash of the
/// parameters that shaped its records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kind {
    pub phase: &'static str,
    pub record_bytes: u32,
    pub params: u64,
}

/// Where a file belongs among the files of its phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    pub shard: u32,
    pub partition: u32,
}

fn phase_bytes(phase: &str) -> [u8; 16] {
    let mut b = [0u8; 16];
    let n = phase.len().min(16);
    b[..n].copy_from_slice(&phase.as_bytes()[..n]);
    b
}

fn header(kind: &Kind, slot: Slot, count: u64, checksum: u64) -> [u8; HEADER_BYTES] {
    let mut h = [0u8; HEADER_BYTES];
    h[0..8].copy_from_slice(&MAGIC);
    h[8..12].copy_from_slice(&VERSION.to_le_bytes());
    h[12..16].copy_from_slice(&kind.record_bytes.to_le_bytes());
    h[16..24].copy_from_slice(&kind.params.to_le_bytes());
    h[24..40].copy_from_slice(&phase_bytes(kind.phase));
    h[40..44].copy_from_slice(&slot.shard.to_le_bytes());
    h[44..48].copy_from_slice(&slot.partition.to_le_bytes());
    h[48..56].copy_from_slice(&count.to_le_bytes());
    h[56..64].copy_from_slice(&checksum.to_le_bytes());
    h
}

/// Writes one file of records; it appears under its name only when [`RunWriter::finish`]
/// succeeds.
pub struct RunWriter {
    path: PathBuf,
    tmp: PathBuf,
    out: BufWriter<File>,
    kind: Kind,
    slot: Slot,
    count: u64,
    hash: Xxh3,
}

impl RunWriter {
    /// A file that will be `path`, written as `tmp` until it is complete.
    pub fn create(path: &Path, tmp: &Path, kind: Kind, slot: Slot) -> Result<RunWriter> {
        let tmp = tmp.to_path_buf();
        let f = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        // Small: a phase may write to a thousand files at once, and its callers hand
        // over records in large pieces, which bypass the buffer.
        let mut out = BufWriter::with_capacity(1 << 13, f);
        // Zeros until the count and checksum are known: no reader accepts them.
        out.write_all(&[0u8; HEADER_BYTES])
            .map_err(|e| Error::io(&tmp, e))?;
        Ok(RunWriter {
            path: path.to_path_buf(),
            tmp,
            out,
            kind,
            slot,
            count: 0,
            hash: Xxh3::new(),
        })
    }

    /// Append records (a whole number of them).
    pub fn push(&mut self, records: &[u8]) -> Result<()> {
        let size = self.kind.record_bytes as usize;
        debug_assert_eq!(records.len() % size, 0);
        self.count += (records.len() / size) as u64;
        self.hash.update(records);
        self.out
            .write_all(records)
            .map_err(|e| Error::io(&self.tmp, e))
    }

    /// Write the header and move the file to its name; returns the file's size in bytes.
    pub fn finish(self) -> Result<u64> {
        let RunWriter {
            path,
            tmp,
            out,
            kind,
            slot,
            count,
            hash,
        } = self;
        let io = |e| Error::io(&tmp, e);
        let mut f = out.into_inner().map_err(|e| io(e.into_error()))?;
        f.seek(SeekFrom::Start(0)).map_err(io)?;
        f.write_all(&header(&kind, slot, count, hash.digest()))
            .map_err(io)?;
        drop(f);
        std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
        Ok(HEADER_BYTES as u64 + count * u64::from(kind.record_bytes))
    }
}

/// Reads one file of records written by [`RunWriter`], refusing any that is not exactly
/// what the caller expects.
pub struct RunReader {
    path: PathBuf,
    input: BufReader<File>,
    record_bytes: usize,
    left: u64,
    checksum: u64,
    hash: Xxh3,
}

impl RunReader {
    pub fn open(path: &Path, kind: Kind, slot: Slot) -> Result<RunReader> {
        let bad = |m: String| Error::Format {
            path: path.to_path_buf(),
            message: format!("not a usable {} file: {m}", kind.phase),
        };
        let f = File::open(path).map_err(|e| Error::io(path, e))?;
        let len = f.metadata().map_err(|e| Error::io(path, e))?.len();
        let mut input = BufReader::with_capacity(1 << 16, f);
        let mut h = [0u8; HEADER_BYTES];
        if len < HEADER_BYTES as u64 {
            return Err(bad(format!("{len} bytes, shorter than its header")));
        }
        input.read_exact(&mut h).map_err(|e| Error::io(path, e))?;
        let u32_at = |i: usize| u32::from_le_bytes(h[i..i + 4].try_into().unwrap_or_default());
        let u64_at = |i: usize| u64::from_le_bytes(h[i..i + 8].try_into().unwrap_or_default());
        if h[0..8] != MAGIC {
            return Err(bad("no RINSERUN header".into()));
        }
        if u32_at(8) != VERSION {
            return Err(bad(format!(
                "format version {}, this rinse reads {VERSION}",
                u32_at(8)
            )));
        }
        if h[24..40] != phase_bytes(kind.phase) {
            let name = String::from_utf8_lossy(&h[24..40]);
            return Err(bad(format!(
                "written by phase '{}'",
                name.trim_end_matches('\0')
            )));
        }
        if u32_at(12) != kind.record_bytes {
            return Err(bad(format!(
                "records of {} bytes, expected {}",
                u32_at(12),
                kind.record_bytes
            )));
        }
        if u64_at(16) != kind.params {
            return Err(bad(format!(
                "written with other parameters (hash {:016x}, this run's is {:016x}): \
                 another configuration or input made it",
                u64_at(16),
                kind.params
            )));
        }
        if (u32_at(40), u32_at(44)) != (slot.shard, slot.partition) {
            return Err(bad(format!(
                "shard {} partition {}, expected shard {} partition {}",
                u32_at(40),
                u32_at(44),
                slot.shard,
                slot.partition
            )));
        }
        let count = u64_at(48);
        let want = count
            .checked_mul(u64::from(kind.record_bytes))
            .and_then(|b| b.checked_add(HEADER_BYTES as u64));
        if want != Some(len) {
            return Err(bad(format!(
                "{len} bytes, but its header counts {count} records of {} bytes",
                kind.record_bytes
            )));
        }
        Ok(RunReader {
            path: path.to_path_buf(),
            input,
            record_bytes: kind.record_bytes as usize,
            left: count,
            checksum: u64_at(56),
            hash: Xxh3::new(),
        })
    }

    /// Records not read yet.
    pub fn remaining(&self) -> u64 {
        self.left
    }

    /// Read up to `max` records into `buf` (cleared first); returns how many. After the
    /// last record the checksum is checked: a mismatch is an error.
    pub fn read(&mut self, max: usize, buf: &mut Vec<u8>) -> Result<usize> {
        let n = (max as u64).min(self.left) as usize;
        buf.clear();
        buf.resize(n * self.record_bytes, 0);
        self.input
            .read_exact(buf)
            .map_err(|e| Error::io(&self.path, e))?;
        self.hash.update(buf);
        self.left -= n as u64;
        if self.left == 0 && self.hash.digest() != self.checksum {
            return Err(Error::Format {
                path: self.path.clone(),
                message: "checksum mismatch: the file was changed or damaged after it was written"
                    .into(),
            });
        }
        Ok(n)
    }

    /// Every remaining record.
    pub fn read_all(mut self) -> Result<Vec<u8>> {
        let mut buf = Vec::new();
        let n = usize::try_from(self.left).map_err(|_| Error::Format {
            path: self.path.clone(),
            message: "too many records for this machine".into(),
        })?;
        self.read(n, &mut buf)?;
        Ok(buf)
    }
}

/// The records of a [`RunReader`] one at a time, read from the file `per_read` at a time:
/// for readers that look at the next record before they take it (merges, readers that
/// stop at the end of a document or a block).
pub struct Cursor {
    run: RunReader,
    buf: Vec<u8>,
    at: usize,
    per_read: usize,
}

impl Cursor {
    pub fn new(run: RunReader, per_read: usize) -> Cursor {
        Cursor {
            run,
            buf: Vec::new(),
            at: 0,
            per_read: per_read.max(1),
        }
    }

    /// The next record, not taken; `None` after the last.
    pub fn peek(&mut self) -> Result<Option<&[u8]>> {
        if self.at >= self.buf.len() {
            if self.run.remaining() == 0 {
                return Ok(None);
            }
            self.run.read(self.per_read, &mut self.buf)?;
            self.at = 0;
        }
        let size = self.run.record_bytes;
        Ok(Some(&self.buf[self.at..self.at + size]))
    }

    /// Take the record [`Cursor::peek`] gave.
    pub fn advance(&mut self) {
        self.at += self.run.record_bytes;
    }

    /// Records not taken yet.
    #[cfg(test)]
    pub fn remaining(&self) -> u64 {
        self.run.remaining()
            + ((self.buf.len().saturating_sub(self.at)) / self.run.record_bytes) as u64
    }
}

/// A hash of the parameters that shape a phase's records: the same values, the same hash.
pub fn params_hash(parts: &[&[u8]]) -> u64 {
    let mut h = Xxh3::new();
    for p in parts {
        h.update(&(p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.digest()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_dir::TestDir;

    const KIND: Kind = Kind {
        phase: "test-phase",
        record_bytes: 4,
        params: 7,
    };
    const SLOT: Slot = Slot {
        shard: 0,
        partition: 3,
    };

    fn write(dir: &Path, records: &[u32]) -> PathBuf {
        let path = dir.join("run");
        let mut w = RunWriter::create(&path, &dir.join("run.partial"), KIND, SLOT).unwrap();
        let bytes: Vec<u8> = records.iter().flat_map(|r| r.to_le_bytes()).collect();
        w.push(&bytes).unwrap();
        assert!(
            !path.exists(),
            "a file appears under its name only when finished"
        );
        w.finish().unwrap();
        path
    }

    #[test]
    fn records_round_trip_in_pieces() {
        let dir = TestDir::new("runfile-records");
        let recs: Vec<u32> = (0..1000).collect();
        let path = write(dir.path(), &recs);
        let mut r = RunReader::open(&path, KIND, SLOT).unwrap();
        let mut got = Vec::new();
        let mut buf = Vec::new();
        while r.remaining() > 0 {
            r.read(77, &mut buf).unwrap();
            got.extend(
                buf.chunks(4)
                    .map(|c| u32::from_le_bytes(c.try_into().unwrap())),
            );
        }
        assert_eq!(got, recs);
        assert!(!dir.path().join("run.partial").exists());
    }

    #[test]
    fn a_cursor_peeks_and_takes_every_record_across_reads() {
        let dir = TestDir::new("runfile-cursor");
        let recs: Vec<u32> = (0..10).collect();
        let path = write(dir.path(), &recs);
        let mut c = Cursor::new(RunReader::open(&path, KIND, SLOT).unwrap(), 3);
        let mut got = Vec::new();
        while let Some(rec) = c.peek().unwrap() {
            let v = u32::from_le_bytes(rec.try_into().unwrap());
            // Peeking again gives the same record until it is taken.
            assert_eq!(
                c.peek().unwrap().map(|r| r.to_vec()),
                Some(v.to_le_bytes().to_vec())
            );
            assert_eq!(c.remaining(), 10 - got.len() as u64);
            got.push(v);
            c.advance();
        }
        assert_eq!(got, recs);
        assert_eq!(c.remaining(), 0);
    }

    #[test]
    fn a_file_is_refused_for_what_differs_and_named() {
        let dir = TestDir::new("runfile-refused");
        let path = write(dir.path(), &[1, 2, 3]);
        let refused = |kind: Kind, slot: Slot| match RunReader::open(&path, kind, slot) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("accepted {kind:?} {slot:?}"),
        };
        let other_params = refused(Kind { params: 8, ..KIND }, SLOT);
        assert!(other_params.contains("other parameters"), "{other_params}");
        assert!(
            other_params.contains(&*path.to_string_lossy()),
            "{other_params}"
        );
        let other_phase = refused(
            Kind {
                phase: "other",
                ..KIND
            },
            SLOT,
        );
        assert!(
            other_phase.contains("written by phase 'test-phase'"),
            "{other_phase}"
        );
        let other_size = refused(
            Kind {
                record_bytes: 8,
                ..KIND
            },
            SLOT,
        );
        assert!(other_size.contains("records of 4 bytes"), "{other_size}");
        let other_slot = refused(
            KIND,
            Slot {
                shard: 0,
                partition: 4,
            },
        );
        assert!(other_slot.contains("partition 3"), "{other_slot}");
    }

    #[test]
    fn damaged_files_are_refused() {
        let dir = TestDir::new("runfile-damaged");
        let path = write(dir.path(), &[1, 2, 3]);
        let good = std::fs::read(&path).unwrap();
        // Truncated: the length disagrees with the count.
        std::fs::write(&path, &good[..good.len() - 1]).unwrap();
        let e = RunReader::open(&path, KIND, SLOT)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("header counts 3 records"), "{e}");
        // A flipped record byte: caught by the checksum at the end.
        let mut bad = good.clone();
        bad[HEADER_BYTES] ^= 1;
        std::fs::write(&path, &bad).unwrap();
        let e = RunReader::open(&path, KIND, SLOT)
            .unwrap()
            .read_all()
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("checksum mismatch"), "{e}");
        // Not a run file at all.
        std::fs::write(&path, vec![b'x'; 80]).unwrap();
        let e = RunReader::open(&path, KIND, SLOT)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("no RINSERUN header"), "{e}");
        // An unfinished file (zero header, left by a killed run).
        std::fs::write(&path, vec![0u8; 64]).unwrap();
        assert!(RunReader::open(&path, KIND, SLOT).is_err());
    }
}
