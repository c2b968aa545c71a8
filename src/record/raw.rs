//! Byte-level reading of raw JSON that serde_json has validated: string tokens (are their
//! escapes serde_json's? do they encode this string? their decoded value, lone
//! surrogates and all) and values (how deep do they nest?).
use memchr::{memchr, memchr2, memchr2_iter};
use std::borrow::Cow;

/// Index one past the closing quote of the string token that starts at `raw[start]`
/// (`raw.len()` if it is not closed, which validated JSON never is).
pub(crate) fn string_end(raw: &[u8], start: usize) -> usize {
    let mut k = start + 1;
    while let Some(p) = raw.get(k..).and_then(|r| memchr2(b'"', b'\\', r)) {
        let p = k + p;
        if raw[p] == b'"' {
            return p + 1;
        }
        k = p + 2;
    }
    raw.len()
}

/// The value of the four hex digits at `b[..4]`.
fn hex4(b: &[u8]) -> Option<u32> {
    let digits = b.get(..4)?;
    let mut v = 0u32;
    for &d in digits {
        v = v * 16 + char::from(d).to_digit(16)?;
    }
    Some(v)
}

/// Are all escapes in the contents of a string token the ones serde_json writes (so that
/// the token is byte for byte what serializing its value gives)? serde_json writes `\"`,
/// `\\`, `\b`, `\f`, `\n`, `\r`, `\t` and `\u00xx` (lowercase) for other control bytes.
pub(crate) fn escapes_canonical(contents: &[u8]) -> bool {
    let mut k = 0;
    while let Some(p) = contents.get(k..).and_then(|r| memchr(b'\\', r)) {
        let p = k + p;
        match contents.get(p + 1) {
            Some(b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't') => k = p + 2,
            Some(b'u') => {
                let Some(digits) = contents.get(p + 2..p + 6) else {
                    return false;
                };
                let lower = digits.iter().all(|d| !d.is_ascii_uppercase());
                match hex4(digits) {
                    Some(v)
                        if lower && v < 0x20 && !matches!(v, 0x08 | 0x09 | 0x0A | 0x0C | 0x0D) =>
                    {
                        k = p + 6
                    }
                    _ => return false,
                }
            }
            _ => return false,
        }
    }
    true
}

/// What a `\u` escape (or a surrogate pair of two) stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    Char(char),
    /// A surrogate without its partner (`\ud800` alone, `\udc00` first): not a
    /// character. serde_json refuses it in a `String`; Python's `json.dumps` writes it
    /// for text that held a broken surrogate.
    Lone(u16),
}

/// The unit of the `\uXXXX` escape (or surrogate pair) at the start of `c`, and the bytes
/// it took. Pairs as serde_json does when it decodes to bytes: a high surrogate takes the
/// next escape only if that is a low surrogate; otherwise the high one is alone and the
/// next escape is read on its own.
fn unicode_escape(c: &[u8]) -> Option<(Unit, usize)> {
    let hi = hex4(c.get(2..6)?)?;
    match hi {
        0xD800..=0xDBFF => {
            let lo = match c.get(6..8) {
                Some(b"\\u") => c.get(8..12).and_then(hex4),
                _ => None,
            };
            match lo {
                Some(lo @ 0xDC00..=0xDFFF) => {
                    let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    Some((Unit::Char(char::from_u32(cp)?), 12))
                }
                _ => Some((Unit::Lone(hi as u16), 6)),
            }
        }
        0xDC00..=0xDFFF => Some((Unit::Lone(hi as u16), 6)),
        _ => Some((Unit::Char(char::from_u32(hi)?), 6)),
    }
}

/// The character of a one-character escape (`\n` and the like; not `\u`).
fn short_escape(c: u8) -> Option<char> {
    Some(match c {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        _ => return None,
    })
}

/// What comparing and decoding make of a lone surrogate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lone {
    /// It decodes to U+FFFD (the text field).
    Replace,
    /// It equals no character (keys: a key with one is no field name).
    Refuse,
}

/// Does the string token `token` (quotes included) decode to `s`? Decodes as it
/// compares, without allocating; lone surrogates as `lone` says.
pub(crate) fn str_token_eq(token: &[u8], s: &str, lone: Lone) -> bool {
    let (Some(b'"'), Some(b'"')) = (token.first(), token.last()) else {
        return false;
    };
    if token.len() < 2 {
        return false;
    }
    let c = &token[1..token.len() - 1];
    let s = s.as_bytes();
    let (mut i, mut j) = (0, 0);
    loop {
        let run = memchr(b'\\', &c[i..]).unwrap_or(c.len() - i);
        if s.get(j..j + run) != Some(&c[i..i + run]) {
            return false;
        }
        i += run;
        j += run;
        if i == c.len() {
            return j == s.len();
        }
        let (ch, used) = match c.get(i + 1) {
            Some(b'u') => match unicode_escape(&c[i..]) {
                Some((Unit::Char(ch), used)) => (ch, used),
                Some((Unit::Lone(_), used)) if lone == Lone::Replace => ('\u{FFFD}', used),
                _ => return false,
            },
            Some(&e) => match short_escape(e) {
                Some(ch) => (ch, 2),
                None => return false,
            },
            None => return false,
        };
        let mut buf = [0u8; 4];
        let enc = ch.encode_utf8(&mut buf).as_bytes();
        if s.get(j..j + enc.len()) != Some(enc) {
            return false;
        }
        i += used;
        j += enc.len();
    }
}

/// Is the key token `token` the key `name` (decoded, as serde_json's map compares keys;
/// a lone surrogate is no character)? No allocation.
pub(crate) fn key_is(token: &[u8], name: &str) -> bool {
    str_token_eq(token, name, Lone::Refuse)
}

/// Decode a validated string token (quotes included), as serde_json decodes it but with
/// every lone surrogate as U+FFFD, straight into a `String` of the right capacity; with
/// the number of lone surrogates replaced. `None` if it is not a string token.
pub(crate) fn decode_str(token: &str) -> Option<(String, u32)> {
    let c = token.strip_prefix('"')?.strip_suffix('"')?;
    let b = c.as_bytes();
    let mut out = String::with_capacity(c.len());
    let mut replaced = 0u32;
    let mut i = 0;
    // Runs end at a backslash (ASCII), so every run is a whole `str` slice.
    while let Some(p) = memchr(b'\\', &b[i..]) {
        out.push_str(c.get(i..i + p)?);
        i += p;
        let e = *b.get(i + 1)?;
        if e == b'u' {
            let (unit, used) = unicode_escape(&b[i..])?;
            match unit {
                Unit::Char(ch) => out.push(ch),
                Unit::Lone(_) => {
                    out.push('\u{FFFD}');
                    replaced = replaced.saturating_add(1);
                }
            }
            i += used;
        } else {
            out.push(short_escape(e)?);
            i += 2;
        }
    }
    out.push_str(c.get(i..)?);
    Some((out, replaced))
}

/// The decoded string of a string token held as bytes (lone surrogates as U+FFFD),
/// borrowed when it has no escapes. `None` if it is not a UTF-8 string token.
pub(crate) fn decode_token(token: &[u8]) -> Option<Cow<'_, str>> {
    let s = std::str::from_utf8(token).ok()?;
    let c = s.strip_prefix('"')?.strip_suffix('"')?;
    if memchr(b'\\', c.as_bytes()).is_none() {
        return Some(Cow::Borrowed(c));
    }
    decode_str(s).map(|(d, _)| Cow::Owned(d))
}

/// The decoded contents of a key token as bytes, to compare keys: UTF-8, with a lone
/// surrogate as its 3-byte generalized UTF-8 form (WTF-8), so that keys are equal
/// exactly when their UTF-16 code units are. Borrowed when it has no escapes.
pub(crate) fn key_units(token: &[u8]) -> Cow<'_, [u8]> {
    let c = token.get(1..token.len().saturating_sub(1)).unwrap_or(&[]);
    if memchr(b'\\', c).is_none() {
        return Cow::Borrowed(c);
    }
    let mut out = Vec::with_capacity(c.len());
    let mut i = 0;
    while let Some(p) = memchr(b'\\', &c[i..]) {
        out.extend_from_slice(&c[i..i + p]);
        i += p;
        let unit = match c.get(i + 1) {
            Some(b'u') => unicode_escape(&c[i..]),
            Some(&e) => short_escape(e).map(|ch| (Unit::Char(ch), 2)),
            None => None,
        };
        let Some((unit, used)) = unit else {
            // Not from validated JSON: keep the rest as it is.
            out.extend_from_slice(&c[i..]);
            return Cow::Owned(out);
        };
        match unit {
            Unit::Char(ch) => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            }
            Unit::Lone(u) => out.extend_from_slice(&[
                0xE0 | (u >> 12) as u8,
                0x80 | ((u >> 6) & 0x3F) as u8,
                0x80 | (u & 0x3F) as u8,
            ]),
        }
        i += used;
    }
    out.extend_from_slice(&c[i..]);
    Cow::Owned(out)
}

/// Does the validated raw value `raw` nest more than `limit` arrays and objects deep
/// (itself counted)? Values without that many brackets are answered without a scan.
pub(crate) fn nests_deeper(raw: &[u8], limit: usize) -> bool {
    if !matches!(raw.first(), Some(b'[' | b'{')) || raw.len() < 2 * (limit + 1) {
        return false;
    }
    // Brackets inside strings count too: an upper bound of the depth.
    if memchr2_iter(b'[', b'{', raw).count() <= limit {
        return false;
    }
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        match b {
            b'"' => {
                i = string_end(raw, i);
                continue;
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    false
}

/// A copy of `line` in which what serde_json's `Value` refuses but a record keeps is
/// made harmless, at the same positions: every number token becomes `0` and spaces, every
/// surrogate escape `\u0041`. serde_json's first error on it is the first fault of the
/// line that is not such a value (a fault stays: only valid tokens are replaced, each by
/// a valid token and whitespace, and up to the first fault the tokens are found as
/// serde_json finds them).
pub(crate) fn neutralized(line: &str) -> String {
    let mut b = line.as_bytes().to_vec();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                let end = string_end(&b, i);
                let mut k = i + 1;
                while k + 1 < end {
                    if b[k] != b'\\' {
                        k += 1;
                        continue;
                    }
                    let surrogate = b[k + 1] == b'u'
                        && b.get(k + 2..k + 6)
                            .and_then(hex4)
                            .is_some_and(|v| (0xD800..0xE000).contains(&v));
                    if surrogate {
                        b[k + 2..k + 6].copy_from_slice(b"0041");
                        k += 6;
                    } else {
                        k += 2;
                    }
                }
                i = end;
            }
            b'-' | b'0'..=b'9' => {
                // An invalid number is the first fault: nothing after it matters.
                let Some(len) = number_len(&b[i..]) else {
                    break;
                };
                b[i] = b'0';
                b[i + 1..i + len].fill(b' ');
                i += len;
                // A number right after a number (`0-1`) is a fault too.
                if matches!(b.get(i), Some(b'-' | b'0'..=b'9')) {
                    break;
                }
            }
            _ => i += 1,
        }
    }
    // Only ASCII bytes were replaced, by ASCII bytes.
    String::from_utf8(b).unwrap_or_default()
}

/// The length of the number token at the start of `s` as serde_json reads it (greedy;
/// what follows is not its business), `None` if serde_json finds it invalid.
fn number_len(s: &[u8]) -> Option<usize> {
    let digits = |k: usize| {
        s[k.min(s.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let mut k = usize::from(s.first() == Some(&b'-'));
    match s.get(k) {
        Some(b'0') if s.get(k + 1).is_some_and(u8::is_ascii_digit) => return None,
        Some(b'0') => k += 1,
        Some(b'1'..=b'9') => k += digits(k),
        _ => return None,
    }
    if s.get(k) == Some(&b'.') {
        let d = digits(k + 1);
        if d == 0 {
            return None;
        }
        k += 1 + d;
    }
    if matches!(s.get(k), Some(b'e' | b'E')) {
        k += 1;
        if matches!(s.get(k), Some(b'+' | b'-')) {
            k += 1;
        }
        let d = digits(k);
        if d == 0 {
            return None;
        }
        k += d;
    }
    Some(k)
}

/// Do two of the `items` have the same `key`? (Few: compare pairwise, no allocation;
/// many: sort the keys.)
pub(crate) fn has_duplicate<'a, T, K: Ord + ?Sized + 'a>(
    items: &'a [T],
    key: impl Fn(&'a T) -> &'a K,
) -> bool {
    if items.len() <= 16 {
        return items
            .iter()
            .enumerate()
            .any(|(i, a)| items[i + 1..].iter().any(|b| key(a) == key(b)));
    }
    let mut keys: Vec<&K> = items.iter().map(key).collect();
    keys.sort_unstable();
    keys.windows(2).any(|w| w[0] == w[1])
}

#[cfg(test)]
mod tests {
    use super::super::escape::odd_strings;
    use super::*;
    use serde_json::Value;

    #[test]
    fn canonical_escapes_are_what_serde_json_writes() {
        for s in odd_strings() {
            let token = serde_json::to_string(&s).unwrap();
            assert!(
                escapes_canonical(&token.as_bytes()[1..token.len() - 1]),
                "{s:?}"
            );
            assert!(str_token_eq(token.as_bytes(), &s, Lone::Refuse), "{s:?}");
        }
        for t in [
            r"\/",
            r"\u00e9",
            r"\u000A",
            r"\u0008",
            r"\u001F",
            r"\ud83d\ude42",
            r"\u0041",
            r"\ud800",
        ] {
            assert!(!escapes_canonical(t.as_bytes()), "{t}");
        }
        assert!(escapes_canonical(br"\u001f\u0000\b\f"));
    }

    #[test]
    fn decoding_is_serde_json_s() {
        let mut tokens: Vec<String> = odd_strings()
            .iter()
            .map(|s| serde_json::to_string(s).unwrap())
            .collect();
        tokens.extend(
            [
                r#""caf\u00e9 \/ \"x\" \\ \n\t\b\f\r""#,
                r#""\ud83d\ude42 smile \u00E9\u00e9 \uDBFF\uDFFF""#,
                r#""\u0000\u001f\u007F\u0080\u07ff\u0800\uffff""#,
                r#""tail escape \n""#,
                r#""\n lead""#,
                r#""""#,
            ]
            .map(String::from),
        );
        for t in &tokens {
            let want: String = serde_json::from_str(t).unwrap();
            assert_eq!(decode_str(t), Some((want.clone(), 0)), "{t}");
            assert_eq!(decode_token(t.as_bytes()).as_deref(), Some(&*want), "{t}");
            assert_eq!(&*key_units(t.as_bytes()), want.as_bytes(), "{t}");
        }
        for t in ["1", "null", r#"["a"]"#] {
            assert_eq!(decode_str(t), None, "{t}");
        }
    }

    #[test]
    fn lone_surrogates_decode_to_the_replacement_character() {
        for (t, want, n) in [
            (r#""\ud800""#, "\u{FFFD}", 1),
            (r#""\udc00 trailing""#, "\u{FFFD} trailing", 1),
            (r#""\ud800\u0041""#, "\u{FFFD}A", 1),
            (r#""\ud800\n""#, "\u{FFFD}\n", 1),
            (r#""\uDBFF\uDBFF\uDFFF""#, "\u{FFFD}\u{10FFFF}", 1),
            (r#""\udc00\ud800""#, "\u{FFFD}\u{FFFD}", 2),
            (r#""a\ud83d\ude42\ud83d""#, "a🙂\u{FFFD}", 1),
        ] {
            assert_eq!(decode_str(t), Some((want.to_string(), n)), "{t}");
            assert!(str_token_eq(t.as_bytes(), want, Lone::Replace), "{t}");
            assert!(!str_token_eq(t.as_bytes(), want, Lone::Refuse), "{t}");
        }
        // As keys, lone surrogates stay apart from U+FFFD and from each other, and are
        // equal however their hex digits are written.
        let units = |t: &str| key_units(t.as_bytes()).into_owned();
        assert_ne!(units(r#""\ud800""#), units(r#""\ufffd""#));
        assert_ne!(units(r#""\ud800""#), units(r#""\ud801""#));
        assert_eq!(units(r#""\ud800""#), units(r#""\uD800""#));
        assert_eq!(units(r#""\ud83d\ude42""#), "🙂".as_bytes());
    }

    #[test]
    fn token_comparison_decodes_like_serde_json() {
        let tokens = [
            r#""""#,
            r#""abc""#,
            r#""caf\u00e9 \/ \"x\" \\ \n\t\b\f\r""#,
            r#""\ud83d\ude42 smile \u00E9\u00e9""#,
            r#""a\u0000b""#,
            r#""\u2028 and \uFEFF""#,
        ];
        for t in tokens {
            let s: String = serde_json::from_str(t).unwrap();
            for lone in [Lone::Replace, Lone::Refuse] {
                assert!(str_token_eq(t.as_bytes(), &s, lone), "{t}");
                for other in [format!("{s}x"), s.chars().skip(1).collect(), "".into()] {
                    if other != s {
                        assert!(
                            !str_token_eq(t.as_bytes(), &other, lone),
                            "{t} vs {other:?}"
                        );
                    }
                }
            }
        }
        assert!(!str_token_eq(b"\"abc", "abc", Lone::Replace));
        assert!(key_is(br#""text""#, "text"));
        assert!(key_is(br#""te\u0078t""#, "text"));
        assert!(!key_is(br#""tex""#, "text"));
        // Compared decoded, not as bytes.
        assert!(key_is(br#""te\\u0078t""#, r"te\u0078t"));
        assert!(!key_is(br#""a\nb""#, r"a\nb"));
        assert!(key_is(br#""a\"b""#, "a\"b"));
        assert!(!key_is(br#""\ud800""#, "\u{FFFD}"));
    }

    #[test]
    fn depth_is_counted_outside_strings() {
        let nest = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(!nests_deeper(nest(126).as_bytes(), 126));
        assert!(nests_deeper(nest(127).as_bytes(), 126));
        let objects = format!("{}1{}", r#"{"a":"#.repeat(127), "}".repeat(127));
        assert!(nests_deeper(objects.as_bytes(), 126));
        // Brackets inside strings do not nest.
        let quoted = format!(r#"["{}", "\"[[[", 1]"#, "[{".repeat(200));
        assert!(!nests_deeper(quoted.as_bytes(), 126));
        assert!(!nests_deeper(br#""[[[[""#, 1));
        assert!(nests_deeper(b"[[1]]", 1));
        assert!(!nests_deeper(b"[1,[2]]", 2));
    }

    #[test]
    fn number_tokens_are_read_as_serde_json_reads_them() {
        for (t, want) in [
            ("0", Some(1)),
            ("-0", Some(2)),
            ("0.5e-3,", Some(6)),
            ("1e400]", Some(5)),
            ("12345678901234567890123", Some(23)),
            ("1.5.3", Some(3)),
            ("1-2", Some(1)),
            ("01", None),
            ("-", None),
            ("-a", None),
            ("1.", None),
            ("1.e5", None),
            ("1e", None),
            ("1E+", None),
        ] {
            assert_eq!(number_len(t.as_bytes()), want, "{t}");
        }
    }

    #[test]
    fn neutralized_lines_keep_positions_and_lose_what_serde_json_refuses() {
        let line = r#"{"a": [1e400, -12345678901234567890123.5e-3], "b": "\ud800 \\ud800 \"\uDC00", "c": "9"}"#;
        for (faulty, kept) in [
            ("[0-10]", "[0-10]"),
            ("[1e400-1]", "[0    -1]"),
            ("[01]", "[01]"),
        ] {
            assert_eq!(neutralized(faulty), kept);
        }
        let n = neutralized(line);
        assert_eq!(n.len(), line.len());
        assert!(serde_json::from_str::<Value>(line).is_err());
        let v: Value = serde_json::from_str(&n).unwrap();
        assert_eq!(v["a"][0], 0);
        assert_eq!(v["b"], "A \\ud800 \"A");
        assert_eq!(v["c"], "9");
    }

    #[test]
    fn duplicates_are_found_pairwise_and_sorted() {
        for n in [0usize, 1, 2, 16, 17, 40] {
            let mut items: Vec<(usize, String)> = (0..n).map(|i| (i, format!("k{i}"))).collect();
            assert!(!has_duplicate(&items, |(_, k)| k.as_str()), "{n}");
            if n > 0 {
                items.push((n, "k0".into()));
                assert!(has_duplicate(&items, |(_, k)| k.as_str()), "{n}");
                assert!(!has_duplicate(&items, |(i, _)| i), "{n}");
            }
        }
    }
}
