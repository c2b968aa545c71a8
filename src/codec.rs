//! The binary encoding of rinse's temporary files (the dedup spill): little-endian
//! fixed-width numbers, LEB128 varints and varint-length-prefixed byte strings. Both the
//! spill's document records ([`crate::dedup::spill`]) and the JSON record inside them
//! ([`crate::record::Record::spill`]) are written with [`Enc`] and read with [`Dec`].
//! Short or corrupt input decodes to an error, never a panic. The small methods are
//! `#[inline]`: their callers are in other modules, often other codegen units.
use crate::error::{Error, Result};

/// Little-endian encoder.
#[derive(Default)]
pub struct Enc(pub Vec<u8>);

impl Enc {
    #[inline]
    pub fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    #[inline]
    pub fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    /// LEB128: 7 bits a byte, small values in one byte.
    #[inline]
    pub fn var(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push(v as u8 | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }
    /// Bytes as they are, without a length (the reader must know it).
    #[inline]
    pub fn raw(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
    /// Bytes: varint length, then the bytes.
    #[inline]
    pub fn bytes(&mut self, b: &[u8]) {
        self.var(b.len() as u64);
        self.0.extend_from_slice(b);
    }
    /// A short string: varint length, then the bytes.
    #[inline]
    pub fn short_str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
}

/// Decoder of what [`Enc`] wrote; a short or corrupt record is an error, never a panic.
pub struct Dec<'a> {
    buf: &'a [u8],
}

/// The error of short or corrupt input.
pub(crate) fn corrupt() -> Error {
    Error::Usage("dedup temporary file is corrupt".into())
}

impl<'a> Dec<'a> {
    #[inline]
    pub fn new(buf: &'a [u8]) -> Self {
        Dec { buf }
    }
    /// The next `n` bytes.
    #[inline]
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.buf.len() < n {
            return Err(corrupt());
        }
        let (a, b) = self.buf.split_at(n);
        self.buf = b;
        Ok(a)
    }
    #[inline]
    pub fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    #[inline]
    pub fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    #[inline]
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
    /// A varint that must fit a `usize` (a length or an index).
    #[inline]
    pub(crate) fn var_usize(&mut self) -> Result<usize> {
        usize::try_from(self.var()?).map_err(|_| corrupt())
    }
    /// What [`Enc::bytes`] wrote.
    #[inline]
    pub(crate) fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = self.var_usize()?;
        self.take(n)
    }
    #[inline]
    pub fn short_str(&mut self) -> Result<&'a str> {
        crate::utf8::str(self.bytes()?).map_err(|_| corrupt())
    }
    /// Is everything read?
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
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
