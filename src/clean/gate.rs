//! Byte gates of line patterns: a set of bytes of which every match must contain at
//! least one, derived from the pattern's syntax tree. A line without any of them cannot
//! match, so the pattern's automaton need not scan it.
//!
//! The analysis is sound by construction (it only ever says "required" for bytes that
//! every match contains); it gives up (`None`) where it cannot tell, e.g. for a pattern
//! that matches the empty string or starts with an optional part only.
use regex_syntax::hir::{Class, Hir, HirKind};

/// 256 bits: which bytes are in the set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ByteSet([u64; 4]);

impl ByteSet {
    fn insert(&mut self, b: u8) {
        self.0[usize::from(b >> 6)] |= 1 << (b & 63);
    }

    fn insert_range(&mut self, lo: u8, hi: u8) {
        for b in lo..=hi {
            self.insert(b);
        }
    }

    pub fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] >> (b & 63) & 1 == 1
    }

    fn union(&mut self, other: &ByteSet) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a |= b;
        }
    }

    fn is_empty(&self) -> bool {
        self.0 == [0; 4]
    }

    pub fn bytes(&self) -> Vec<u8> {
        (0..=255u8).filter(|&b| self.contains(b)).collect()
    }

    /// How often a line of ordinary text would contain one of these bytes, as a rough
    /// sum of per-byte weights (only used to pick the most selective of several sets).
    fn weight(&self) -> u32 {
        (0..=255u8)
            .filter(|&b| self.contains(b))
            .map(byte_weight)
            .sum()
    }
}

/// Rough frequency class of a byte in running text.
fn byte_weight(b: u8) -> u32 {
    match b {
        b'a'..=b'z' | b'0'..=b'9' | b' ' => 10,
        b'.' | b',' => 6,
        b'A'..=b'Z' => 3,
        b'-' | b'\'' | b'"' => 2,
        // UTF-8 lead bytes of Latin letters (ä, é, ß, ...) and of general punctuation.
        0xC3 | 0xC5 | 0xE2 => 4,
        _ => 1,
    }
}

/// Classes with at most this many characters gate on the last byte of each character's
/// UTF-8 encoding (for `»` that is 0xBB, rarer in text than its lead byte 0xC2); larger
/// ones on the lead bytes.
const SMALL_CLASS: u32 = 32;

fn class_bytes(class: &Class) -> ByteSet {
    let mut set = ByteSet::default();
    match class {
        Class::Bytes(c) => {
            for r in c.ranges() {
                set.insert_range(r.start(), r.end());
            }
        }
        Class::Unicode(c) => {
            let size: u32 = c
                .ranges()
                .iter()
                .map(|r| u32::from(r.end()) - u32::from(r.start()) + 1)
                .sum();
            let mut buf = [0u8; 4];
            if size <= SMALL_CLASS {
                for r in c.ranges() {
                    for cp in u32::from(r.start())..=u32::from(r.end()) {
                        if let Some(ch) = char::from_u32(cp) {
                            let enc = ch.encode_utf8(&mut buf).as_bytes();
                            set.insert(enc[enc.len() - 1]);
                        }
                    }
                }
            } else {
                // The lead byte of a UTF-8 encoding grows with the code point, so the
                // lead bytes of a range are those from its start's to its end's.
                for r in c.ranges() {
                    let lo = r.start().encode_utf8(&mut buf).as_bytes()[0];
                    let hi = r.end().encode_utf8(&mut buf).as_bytes()[0];
                    set.insert_range(lo, hi);
                }
            }
        }
    }
    set
}

/// A set of bytes every match of `hir` contains at least one of; `None` if there is no
/// such set that this analysis can prove (or every match may be empty).
pub fn required_bytes(hir: &Hir) -> Option<ByteSet> {
    let set = match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => return None,
        HirKind::Literal(lit) => {
            let b = lit.0.iter().copied().min_by_key(|&b| byte_weight(b))?;
            let mut s = ByteSet::default();
            s.insert(b);
            s
        }
        HirKind::Class(c) => class_bytes(c),
        HirKind::Repetition(rep) => {
            if rep.min == 0 {
                return None;
            }
            required_bytes(&rep.sub)?
        }
        HirKind::Capture(cap) => required_bytes(&cap.sub)?,
        // Every part must match: the most selective part's set will do.
        HirKind::Concat(parts) => parts
            .iter()
            .filter_map(required_bytes)
            .min_by_key(ByteSet::weight)?,
        // One branch matches: its set, so the union of all (each branch needs one).
        HirKind::Alternation(branches) => {
            let mut s = ByteSet::default();
            for b in branches {
                s.union(&required_bytes(b)?);
            }
            s
        }
    };
    (!set.is_empty()).then_some(set)
}

/// A compiled gate: does a line contain one of the required bytes?
#[derive(Clone, Debug)]
pub enum Gate {
    One(u8),
    Two(u8, u8),
    Three(u8, u8, u8),
    Many(Box<[bool; 256]>),
}

impl Gate {
    pub fn new(set: &ByteSet) -> Gate {
        match set.bytes()[..] {
            [a] => Gate::One(a),
            [a, b] => Gate::Two(a, b),
            [a, b, c] => Gate::Three(a, b, c),
            _ => {
                let mut t = Box::new([false; 256]);
                for b in set.bytes() {
                    t[usize::from(b)] = true;
                }
                Gate::Many(t)
            }
        }
    }

    /// Whether `line` may match (contains a required byte).
    #[inline]
    pub fn passes(&self, line: &[u8]) -> bool {
        match self {
            Gate::One(a) => memchr::memchr(*a, line).is_some(),
            Gate::Two(a, b) => memchr::memchr2(*a, *b, line).is_some(),
            Gate::Three(a, b, c) => memchr::memchr3(*a, *b, *c, line).is_some(),
            Gate::Many(t) => line.iter().any(|&b| t[usize::from(b)]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(p: &str) -> Option<Vec<u8>> {
        let hir = regex_automata::util::syntax::parse(p).expect("pattern parses");
        required_bytes(&hir).map(|s| s.bytes())
    }

    #[test]
    fn required_bytes_of_common_shapes() {
        assert_eq!(req(r"^(?:(?i).+?\s*:\s*\w+)$"), Some(vec![b':']));
        assert_eq!(req(r"^(?:.*\(x\).*)$"), Some(vec![b'(']));
        // A branch without a requirement makes the whole alternation unknown.
        assert_eq!(req(r"a:|b?"), None);
        assert_eq!(req(r"(?:x:)?y*"), None);
        assert_eq!(req(r"[(\[]q|z:"), Some(vec![b'(', b':', b'[']));
        // Small Unicode classes gate on the last byte of each character.
        assert_eq!(req(r"\s[»›]\s"), Some(vec![0xBA, 0xBB]));
        assert_eq!(req(r""), None);
        assert_eq!(req(r"^$"), None);
    }

    #[test]
    fn large_classes_gate_on_lead_bytes() {
        let s = req(r"[\u{100}-\u{7FF}]").expect("a set");
        assert_eq!(s.first(), Some(&0xC4));
        assert_eq!(s.last(), Some(&0xDF));
    }

    #[test]
    fn gate_passes_only_lines_with_a_required_byte() {
        for bytes in [
            vec![b':'],
            vec![b':', b'('],
            vec![1, 2, 3],
            vec![4, 5, 6, 7],
        ] {
            let mut set = ByteSet::default();
            for &b in &bytes {
                set.insert(b);
            }
            let g = Gate::new(&set);
            for b in 0..=255u8 {
                let line = [b'a', b, b'z'];
                assert_eq!(g.passes(&line), bytes.contains(&b), "{bytes:?} {b}");
            }
            assert!(!g.passes(b""));
        }
    }
}
