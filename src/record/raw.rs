//! Byte-level reading of validated raw JSON: string tokens (are their escapes
//! serde_json's? do they encode this string? their decoded value) and values (are they
//! already what serde_json writes, or only spaced differently?).
use memchr::{memchr, memchr2};

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

/// Is the string token `token` (quotes included) the JSON encoding of `s`? Decodes as it
/// compares, without allocating. Only ever says yes when the decoded token equals `s`.
pub(crate) fn str_token_eq(token: &[u8], s: &str) -> bool {
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
        let byte = match c.get(i + 1) {
            Some(b'"') => b'"',
            Some(b'\\') => b'\\',
            Some(b'/') => b'/',
            Some(b'b') => 0x08,
            Some(b'f') => 0x0C,
            Some(b'n') => b'\n',
            Some(b'r') => b'\r',
            Some(b't') => b'\t',
            Some(b'u') => {
                let Some((ch, used)) = unicode_escape(&c[i..]) else {
                    return false;
                };
                let mut buf = [0u8; 4];
                let enc = ch.encode_utf8(&mut buf).as_bytes();
                if s.get(j..j + enc.len()) != Some(enc) {
                    return false;
                }
                i += used;
                j += enc.len();
                continue;
            }
            _ => return false,
        };
        if s.get(j) != Some(&byte) {
            return false;
        }
        i += 2;
        j += 1;
    }
}

/// Decode a validated string token (quotes included) as serde_json decodes it, straight
/// into a `String` of the right capacity. `None` for anything else (not a string, or a
/// lone surrogate, which serde_json refuses with its own message).
pub(crate) fn decode_str(token: &str) -> Option<String> {
    let c = token.strip_prefix('"')?.strip_suffix('"')?;
    let b = c.as_bytes();
    let mut out = String::with_capacity(c.len());
    let mut i = 0;
    // Runs end at a backslash (ASCII), so every run is a whole `str` slice.
    while let Some(p) = memchr(b'\\', &b[i..]) {
        out.push_str(c.get(i..i + p)?);
        i += p;
        let ch = match b.get(i + 1)? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let (ch, used) = unicode_escape(&b[i..])?;
                out.push(ch);
                i += used;
                continue;
            }
            _ => return None,
        };
        out.push(ch);
        i += 2;
    }
    out.push_str(c.get(i..)?);
    Some(out)
}

/// The character of the `\uXXXX` escape (or surrogate pair of two) at the start of `c`,
/// and the bytes it took; `None` for a lone surrogate.
fn unicode_escape(c: &[u8]) -> Option<(char, usize)> {
    let hi = hex4(c.get(2..6)?)?;
    if (0xD800..0xDC00).contains(&hi) {
        if c.get(6..8)? != b"\\u" {
            return None;
        }
        let lo = hex4(c.get(8..12)?)?;
        if !(0xDC00..0xE000).contains(&lo) {
            return None;
        }
        let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
        return Some((char::from_u32(cp)?, 12));
    }
    Some((char::from_u32(hi)?, 6))
}

/// How a raw JSON value relates to what serde_json writes for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Already byte for byte serde_json's compact output: copy it.
    Canonical,
    /// The same once the whitespace outside strings is removed ([`compact`]).
    Spaced,
    /// Something serde_json writes differently (a float, an escape it would not write, a
    /// duplicate key, an integer beyond 64 bits): let serde_json rewrite it.
    Rewrite,
    /// Nested too deep to judge apart from the line (serde_json limits the depth of the
    /// whole line): parse the whole line.
    Deep,
}

/// Nesting depth up to which a value is judged on its own (serde_json's limit for a
/// whole line is 128, of which the record object takes one).
const MAX_DEPTH: usize = 100;

/// Judge a validated raw JSON value (see [`Shape`]).
pub(crate) fn shape(raw: &[u8]) -> Shape {
    let mut spaced = false;
    // Open containers (true: object) and the keys of the open objects.
    let mut open: Vec<(bool, usize)> = Vec::new();
    let mut keys: Vec<&[u8]> = Vec::new();
    let mut want_key = false;
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        match b {
            b' ' | b'\t' | b'\n' | b'\r' => {
                spaced = true;
                i += 1;
            }
            b'"' => {
                let end = string_end(raw, i);
                let token = &raw[i..end];
                let contents = token.get(1..token.len().saturating_sub(1)).unwrap_or(&[]);
                if want_key {
                    // Keys with escapes would need decoding to compare: let serde_json do it.
                    if memchr(b'\\', contents).is_some() {
                        return Shape::Rewrite;
                    }
                    keys.push(token);
                    want_key = false;
                } else if !escapes_canonical(contents) {
                    return Shape::Rewrite;
                }
                i = end;
            }
            b'{' | b'[' => {
                open.push((b == b'{', keys.len()));
                if open.len() > MAX_DEPTH {
                    return Shape::Deep;
                }
                want_key = b == b'{';
                i += 1;
            }
            b'}' | b']' => {
                if let Some((true, first)) = open.pop() {
                    if has_duplicate(&keys[first..], |k| *k) {
                        return Shape::Rewrite;
                    }
                    keys.truncate(first);
                }
                want_key = false;
                i += 1;
            }
            b',' => {
                want_key = matches!(open.last(), Some((true, _)));
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let len = raw[i..]
                    .iter()
                    .position(|c| !matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                    .unwrap_or(raw.len() - i);
                if !integer_as_written(&raw[i..i + len]) {
                    return Shape::Rewrite;
                }
                i += len;
            }
            // `:` and the letters of true, false, null.
            _ => i += 1,
        }
    }
    if spaced {
        Shape::Spaced
    } else {
        Shape::Canonical
    }
}

/// Does serde_json write this number token back as it is? Integers that fit its u64
/// (positive) or i64 (negative) do; `-0`, floats and larger integers are re-formatted.
fn integer_as_written(t: &[u8]) -> bool {
    let (neg, digits) = match t.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    if neg && digits == b"0" {
        return false;
    }
    let limit: &[u8] = if neg {
        b"9223372036854775808"
    } else {
        b"18446744073709551615"
    };
    digits.len() < limit.len() || (digits.len() == limit.len() && digits <= limit)
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

/// Append `raw` without the whitespace outside its strings.
pub(crate) fn compact(raw: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        match b {
            b'"' => {
                let end = string_end(raw, i);
                out.extend_from_slice(&raw[i..end]);
                i = end;
            }
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
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
            assert!(str_token_eq(token.as_bytes(), &s), "{s:?}");
        }
        for t in [
            r"\/",
            r"\u00e9",
            r"\u000A",
            r"\u0008",
            r"\u001F",
            r"\ud83d\ude42",
            r"\u0041",
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
            assert_eq!(decode_str(t).as_deref(), Some(want.as_str()), "{t}");
        }
        for t in [
            r#""\ud800""#,
            r#""\udc00 trailing""#,
            r#""\ud800\u0041""#,
            r#""\ud800\n""#,
            "1",
            "null",
            r#"["a"]"#,
        ] {
            assert_eq!(decode_str(t), None, "{t}");
        }
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
            assert!(str_token_eq(t.as_bytes(), &s), "{t}");
            for other in [format!("{s}x"), s.chars().skip(1).collect(), "".into()] {
                if other != s {
                    assert!(!str_token_eq(t.as_bytes(), &other), "{t} vs {other:?}");
                }
            }
        }
        assert!(!str_token_eq(br#""\ud83d""#, "\u{fffd}"));
        assert!(!str_token_eq(b"\"abc", "abc"));
    }

    /// What serde_json writes for a raw value, today's reference.
    fn reference(raw: &str) -> String {
        serde_json::to_string(&serde_json::from_str::<Value>(raw).unwrap()).unwrap()
    }

    #[test]
    fn shape_says_canonical_or_spaced_only_when_copying_is_exact() {
        let values = [
            "1",
            "-1",
            "0",
            "-0",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "1.0",
            "1.50",
            "1e5",
            "1.0e5",
            "-0.0",
            "12345678901234567890123",
            "true",
            "false",
            "null",
            r#""plain""#,
            r#""caf\u00e9""#,
            r#""a\/b""#,
            r#""tab\there""#,
            r#""ctl\u001f""#,
            r#""ctl\u001F""#,
            "[]",
            "[ ]",
            "{}",
            "{ }",
            "[1, 2, 3]",
            r#"{"a": {"b": [1, {"c": null}]}, "d": "x y"}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"a":{"k":1,"k":2}}"#,
            r#"[{"k":1},{"k":2}]"#,
            r#"{"a":{"k":1},"k":2}"#,
            r#"{"\u0061":1,"a":2}"#,
            r#"{"k\"q":1}"#,
            r#"[ "str with  spaces, and ] brackets } inside" , 2 ]"#,
            "\t[\n1\r,\n2 ]",
        ];
        for raw in values {
            let want = reference(raw);
            match shape(raw.as_bytes()) {
                Shape::Canonical => assert_eq!(raw, want, "{raw}"),
                Shape::Spaced => {
                    let mut out = Vec::new();
                    compact(raw.as_bytes(), &mut out);
                    assert_eq!(String::from_utf8(out).unwrap(), want, "{raw}");
                }
                Shape::Rewrite | Shape::Deep => {}
            }
        }
        for (raw, want) in [
            ("-0", Shape::Rewrite),
            ("1.5", Shape::Rewrite),
            (r#"{"a":1,"a":2}"#, Shape::Rewrite),
            (r#"{"a":{"k":1},"k":2}"#, Shape::Canonical),
            (r#"[{"k":1},{"k":2}]"#, Shape::Canonical),
            (r#""caf\u00e9""#, Shape::Rewrite),
            ("[1, 2]", Shape::Spaced),
            ("18446744073709551615", Shape::Canonical),
            ("18446744073709551616", Shape::Rewrite),
        ] {
            assert_eq!(shape(raw.as_bytes()), want, "{raw}");
        }
        let deep = format!("{}{}", "[".repeat(101), "]".repeat(101));
        assert_eq!(shape(deep.as_bytes()), Shape::Deep);
        let ok = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert_eq!(shape(ok.as_bytes()), Shape::Canonical);
    }

    #[test]
    fn many_keys_are_checked_for_duplicates_too() {
        let keys: Vec<String> = (0..40).map(|i| format!("\"k{i}\":{i}")).collect();
        let raw = format!("{{{}}}", keys.join(","));
        assert_eq!(shape(raw.as_bytes()), Shape::Canonical);
        let raw = format!("{{{},\"k7\":0}}", keys.join(","));
        assert_eq!(shape(raw.as_bytes()), Shape::Rewrite);
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
