//! The JSON string escaper of the record writer: serde_json's exact output, with the
//! runs that need no escaping found 32 bytes at a time (SSE2, SWAR elsewhere) and copied
//! at once.

/// Append `s` as a JSON string token, escaped exactly as `serde_json::to_writer` escapes
/// it: `\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`, other bytes below 0x20 as `\u00xx`
/// (lowercase hex), everything else (DEL and non-ASCII included) as it is.
pub fn escape_str(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    escape_contents(out, s);
    out.push(b'"');
}

/// Append the contents of `s` escaped as in [`escape_str`], without the quotes.
pub fn escape_contents(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    let mut start = 0;
    loop {
        let i = find_escape(b, start);
        out.extend_from_slice(&b[start..i]);
        let Some(&c) = b.get(i) else { break };
        push_escape(out, c);
        start = i + 1;
    }
}

fn push_escape(out: &mut Vec<u8>, c: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let short = match c {
        b'"' => b'"',
        b'\\' => b'\\',
        b'\n' => b'n',
        b'\r' => b'r',
        b'\t' => b't',
        0x08 => b'b',
        0x0C => b'f',
        _ => {
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(c >> 4)],
                HEX[usize::from(c & 0xF)],
            ]);
            return;
        }
    };
    out.extend_from_slice(&[b'\\', short]);
}

/// Does byte `c` need an escape inside a JSON string?
#[inline]
fn needs_escape(c: u8) -> bool {
    c < 0x20 || c == b'"' || c == b'\\'
}

/// Index of the first byte at or after `from` that needs an escape (`b.len()` if none).
#[inline]
pub(crate) fn find_escape(b: &[u8], mut i: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        // 32 bytes a round: one branch for two blocks.
        while let Some(block) = b.get(i..i + 32) {
            let m = sse2::escape_mask(&block[..16]) | sse2::escape_mask(&block[16..]) << 16;
            if m != 0 {
                return i + m.trailing_zeros() as usize;
            }
            i += 32;
        }
        if let Some(block) = b.get(i..i + 16) {
            let m = sse2::escape_mask(block);
            if m != 0 {
                return i + m.trailing_zeros() as usize;
            }
            i += 16;
        }
    }
    find_escape_swar(b, i)
}

/// [`find_escape`] eight bytes at a time in a `u64` (the scalar path and the tail).
fn find_escape_swar(b: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut a = [0u8; 8];
        a.copy_from_slice(chunk);
        let x = u64::from_le_bytes(a);
        let q = x ^ (ONES * u64::from(b'"'));
        let bs = x ^ (ONES * u64::from(b'\\'));
        // A byte's high bit is set where it is < 0x20 or zero after the xor; borrows can
        // only add false hits above a true one, so the lowest hit is exact.
        let hits = (x.wrapping_sub(ONES * 0x20) & !x)
            | (q.wrapping_sub(ONES) & !q)
            | (bs.wrapping_sub(ONES) & !bs);
        let hits = hits & HIGH;
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && !needs_escape(b[i]) {
        i += 1;
    }
    i
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    //! The escape scan 16 bytes at a time (SSE2 is part of the x86_64 baseline).
    use std::arch::x86_64::*;

    /// Bit i set where `block[i]` needs an escape; `block` has 16 bytes.
    #[inline(always)]
    pub(super) fn escape_mask(block: &[u8]) -> u32 {
        let Ok(arr) = <&[u8; 16]>::try_from(block) else {
            return 0;
        };
        // SAFETY: SSE2 is part of the x86_64 baseline; the load reads the 16 bytes of `arr`.
        unsafe {
            let x = _mm_loadu_si128(arr.as_ptr().cast());
            let quote = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'"' as i8));
            let backslash = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'\\' as i8));
            let limit = _mm_set1_epi8(0x1F);
            let control = _mm_cmpeq_epi8(_mm_max_epu8(x, limit), limit);
            let any = _mm_or_si128(_mm_or_si128(quote, backslash), control);
            _mm_movemask_epi8(any) as u32
        }
    }
}

#[cfg(test)]
/// Strings with every control byte, quotes, backslashes, DEL, non-ASCII, at every
/// offset of a 16-byte block and across block ends.
pub(super) fn odd_strings() -> Vec<String> {
    let mut v: Vec<String> = (0u8..0x80).map(|c| char::from(c).to_string()).collect();
    v.extend(
        [
            "",
            "plain ascii text that is longer than sixteen bytes",
            "é ü ß 漢字 🙂 \u{2028}\u{2029}\u{feff}",
            "\"quoted\" and \\back\\slashed\\",
            "line\nbreak\r\ntab\tbell\u{7}nul\u{0}esc\u{1b}del\u{7f}",
        ]
        .map(String::from),
    );
    for special in ['"', '\\', '\n', '\u{1}', '\u{1f}', 'é', '\u{7f}'] {
        for pos in 0..40 {
            let mut s: String = "abcdefghijklmnopqrstuvwxyz0123456789ABCD"[..pos].into();
            s.push(special);
            s.push_str("tail after it, long enough to span another block");
            v.push(s);
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_matches_serde_json_on_odd_strings() {
        for s in odd_strings() {
            let mut out = Vec::new();
            escape_str(&mut out, &s);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(&s).unwrap(),
                "{s:?}"
            );
        }
    }

    #[test]
    fn swar_scan_agrees_with_the_bytewise_definition() {
        for s in odd_strings() {
            let b = s.as_bytes();
            for from in 0..=b.len() {
                let want = (from..b.len())
                    .find(|&i| needs_escape(b[i]))
                    .unwrap_or(b.len());
                assert_eq!(find_escape_swar(b, from), want, "{s:?} from {from}");
                assert_eq!(find_escape(b, from), want, "{s:?} from {from}");
            }
        }
    }

    #[test]
    fn every_byte_value_in_every_lane() {
        for c in 0u8..=255 {
            for pos in 0..24 {
                let mut b = vec![b'a'; 24];
                b[pos] = c;
                let want = if needs_escape(c) { pos } else { 24 };
                assert_eq!(find_escape(&b, 0), want, "byte {c:#x} at {pos}");
                assert_eq!(find_escape_swar(&b, 0), want, "byte {c:#x} at {pos}");
            }
        }
    }
}
