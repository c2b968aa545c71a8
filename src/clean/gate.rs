//! Byte gates of line patterns: a set of bytes of which every match must contain at
//! least one, derived from the pattern's syntax tree. A line without any of them cannot
//! match, so the pattern's automaton need not scan it.
//!
//! The analysis is sound by construction (it only ever says "required" for bytes that
//! every match contains); it gives up (`None`) where it cannot tell, e.g. for a pattern
//! that matches the empty string or starts with an optional part only.
use super::contains::byte_freq;
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
        // Per mille in lowercase European text: a space (160) is far more likely than
        // a `p` (10), and a gate on it passes nearly every line.
        b'a'..=b'z' | b' ' | b'.' | b',' => byte_freq(b) as u32,
        b'A'..=b'Z' => (byte_freq(b.to_ascii_lowercase()) as u32 / 4).max(1),
        b'0'..=b'9' => 8,
        b'-' | b'\'' | b'"' => 4,
        // UTF-8 lead bytes of Latin letters (ä, é, ß, ...) and of general punctuation.
        0xC3 | 0xC5 | 0xE2 => 8,
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

/// At most this many strings in a literal set.
const MAX_LITERALS: usize = 48;
/// Longest string of a literal set, in bytes.
const MAX_LITERAL_LEN: usize = 24;

/// The lowercase (`char::to_lowercase` per character, as the cleaner lowercases lines)
/// of what `hir` matches, when that is one of a few strings: every match `m` has
/// `lower(m)` in the set.
fn exact_literals(hir: &Hir) -> Option<Vec<String>> {
    let set = match hir.kind() {
        // A look-around matches the empty string.
        HirKind::Empty | HirKind::Look(_) => vec![String::new()],
        HirKind::Literal(lit) => vec![lower(std::str::from_utf8(&lit.0).ok()?)],
        HirKind::Class(Class::Unicode(c)) => {
            let mut v = Vec::new();
            for r in c.ranges() {
                if u32::from(r.end()) - u32::from(r.start()) >= 8 {
                    return None;
                }
                for cp in u32::from(r.start())..=u32::from(r.end()) {
                    v.push(lower(&char::from_u32(cp)?.to_string()));
                }
            }
            v
        }
        HirKind::Class(Class::Bytes(c)) => {
            let mut v = Vec::new();
            for r in c.ranges() {
                if r.end() >= 0x80 || r.end() - r.start() >= 8 {
                    return None;
                }
                v.extend(
                    (r.start()..=r.end()).map(|b| char::from(b.to_ascii_lowercase()).to_string()),
                );
            }
            v
        }
        HirKind::Capture(cap) => exact_literals(&cap.sub)?,
        HirKind::Repetition(rep) => {
            let max = rep.max?;
            if max > 3 {
                return None;
            }
            let sub = exact_literals(&rep.sub)?;
            let mut all = Vec::new();
            let mut power = vec![String::new()];
            for n in 0..=max {
                if n >= rep.min {
                    all.extend(power.iter().cloned());
                }
                power = product(&power, &sub)?;
            }
            all
        }
        HirKind::Concat(parts) => {
            let mut acc = vec![String::new()];
            for p in parts {
                acc = product(&acc, &exact_literals(p)?)?;
            }
            acc
        }
        HirKind::Alternation(branches) => {
            let mut v = Vec::new();
            for b in branches {
                v.extend(exact_literals(b)?);
            }
            v
        }
    };
    normalize(set)
}

/// `s` lowercased as the cleaner lowercases a line before the phrase pass (each
/// character on its own, no final-sigma rule).
fn lower(s: &str) -> String {
    let mut out = String::new();
    super::engine::push_lowercase(s, &mut out);
    out
}

/// Sorted, deduplicated, within the size limits.
fn normalize(mut v: Vec<String>) -> Option<Vec<String>> {
    v.sort();
    v.dedup();
    (v.len() <= MAX_LITERALS && v.iter().all(|s| s.len() <= MAX_LITERAL_LEN)).then_some(v)
}

fn product(a: &[String], b: &[String]) -> Option<Vec<String>> {
    if a.len() * b.len() > MAX_LITERALS {
        return None;
    }
    normalize(
        a.iter()
            .flat_map(|x| b.iter().map(move |y| format!("{x}{y}")))
            .collect(),
    )
}

/// How often a line of ordinary text contains one of `set` (rough: per-byte frequencies
/// multiplied, summed over the strings; strings under four bytes cost a search of their
/// own, so they count as common).
fn literal_cost(set: &[String]) -> f64 {
    set.iter()
        .map(|s| {
            let p: f64 = s.bytes().map(|b| byte_freq(b) / 1000.0).product();
            if s.len() < 4 {
                p.max(0.5)
            } else {
                p
            }
        })
        .sum()
}

/// A set of lowercase strings every match of `hir` (lowercased per character) contains
/// one of; `None` if this analysis cannot prove one (or a match may be empty).
pub fn required_literals(hir: &Hir) -> Option<Vec<String>> {
    required(hir).map(|set| {
        // A line with a string that contains another member contains that member too.
        set.iter()
            .filter(|s| !set.iter().any(|t| t != *s && s.contains(t.as_str())))
            .cloned()
            .collect()
    })
}

fn required(hir: &Hir) -> Option<Vec<String>> {
    if let Some(set) = exact_literals(hir) {
        return (!set.iter().any(String::is_empty)).then_some(set);
    }
    match hir.kind() {
        HirKind::Capture(cap) => required(&cap.sub),
        HirKind::Repetition(rep) if rep.min > 0 => required(&rep.sub),
        HirKind::Alternation(branches) => {
            let mut v = Vec::new();
            for b in branches {
                v.extend(required(b)?);
            }
            normalize(v)
        }
        HirKind::Concat(parts) => {
            let mut candidates: Vec<Vec<String>> = parts.iter().filter_map(required).collect();
            // Runs of parts with exact sets, joined (a run ends where the product would
            // grow too large or a part is not exact).
            let mut run: Option<Vec<String>> = None;
            for p in parts {
                let next = exact_literals(p);
                run = match (run.take(), next) {
                    (Some(r), Some(n)) => match product(&r, &n) {
                        Some(joined) => Some(joined),
                        None => {
                            candidates.push(r);
                            Some(n)
                        }
                    },
                    (Some(r), None) => {
                        candidates.push(r);
                        None
                    }
                    (None, n) => n,
                };
            }
            candidates.extend(run);
            candidates
                .into_iter()
                .filter(|c| !c.is_empty() && !c.iter().any(String::is_empty))
                .min_by(|a, b| literal_cost(a).total_cmp(&literal_cost(b)))
        }
        _ => None,
    }
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
        assert_eq!(req(r"[(\[]e|z:"), Some(vec![b'(', b':', b'[']));
        // A rare letter, not the space every line has.
        assert_eq!(req(r"(?i)opening hours"), Some(vec![b'P', b'p']));
        // Small Unicode classes gate on the last byte of each character.
        assert_eq!(req(r"\s[»›]\s"), Some(vec![0xBA, 0xBB]));
        assert_eq!(req(r""), None);
        assert_eq!(req(r"^$"), None);
    }

    fn lits(p: &str) -> Option<Vec<String>> {
        let hir = regex_automata::util::syntax::parse(p).expect("pattern parses");
        required_literals(&hir)
    }

    #[test]
    fn required_literals_of_common_shapes() {
        assert_eq!(
            lits(r"^(?:(?i).+?\s(?:fotos?|bild)\s*:\s*.+)$"),
            Some(vec!["bild".to_string(), "foto".to_string()])
        );
        assert_eq!(
            lits(r"(?i)x+\.(?:jpe?g|png)"),
            Some(vec![".jpeg".into(), ".jpg".into(), ".png".into()])
        );
        // Case-insensitive `s` also matches the long s, which lowercases to itself.
        assert_eq!(lits(r"(?i)as"), Some(vec!["as".into(), "aſ".into()]));
        assert_eq!(lits(r"(?i)ÜBER"), Some(vec!["über".into()]));
        assert_eq!(lits(r"a|b*"), None);
        assert_eq!(lits(r".*"), None);
        assert_eq!(lits(r"x?"), None);
    }

    #[test]
    fn a_match_always_contains_a_required_literal() {
        let cases = [
            (
                r"(?i).+?[\s.,;–-](?:\(\s*)?(?:fotos?|bild|photo|quelle)\s*:\s*[^.!?:]{2,}",
                "Ein Bild, FOTO: dpa/Max",
            ),
            (
                r"(?i).+?(?:[(\[][^()\[\]]*(?:getty|dpa)[^()\[\]]*[)\]]|(?:foto|bild)\s*:\s*[^:]{2,})\s*",
                "Mann (Foto-DPA)",
            ),
            (
                r"(?i)[\w\-. ]+\.(?:jpe?g|png|gif)(?:\?\S*)?",
                "IMG_2023.JPEG?x=1",
            ),
            (r"(?i)ſtraße", "STRASSE"),
        ];
        for (p, hay) in cases {
            let re = regex::Regex::new(&format!("^(?:{p})$")).expect("compiles");
            let set = lits(&format!("^(?:{p})$"));
            if re.is_match(hay) {
                let lower = lower(hay);
                let set = set.expect("a literal set");
                assert!(
                    set.iter().any(|l| lower.contains(l.as_str())),
                    "{p} {hay} {set:?}"
                );
            }
        }
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
