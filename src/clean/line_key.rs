//! The key a line is looked up by among the whole-line phrases of the rules.
/// ASCII whitespace as `char::is_whitespace` sees it.
#[inline]
fn is_ascii_ws(c: u8) -> bool {
    c == b' ' || (b'\t'..=b'\r').contains(&c)
}

/// The characters [`line_key`] trims from both ends.
fn key_trim(c: char) -> bool {
    c.is_whitespace()
        || (c.is_ascii_punctuation() && c != '#' && c != '@' && c != '&')
        || matches!(
            c,
            '•' | '·' | '»' | '«' | '›' | '‹' | '…' | '|' | '→' | '▶' | '►'
        )
}

/// `s.trim_matches(key_trim)`, with ASCII ends handled byte by byte.
fn trim_key(s: &str) -> &str {
    let b = s.as_bytes();
    let mut st = 0;
    while st < b.len() && b[st] < 0x80 && key_trim(char::from(b[st])) {
        st += 1;
    }
    let s = if b.get(st).is_some_and(|&c| c >= 0x80) {
        s[st..].trim_start_matches(key_trim)
    } else {
        &s[st..]
    };
    let b = s.as_bytes();
    let mut e = b.len();
    while e > 0 && b[e - 1] < 0x80 && key_trim(char::from(b[e - 1])) {
        e -= 1;
    }
    if e > 0 && b[e - 1] >= 0x80 {
        s[..e].trim_end_matches(key_trim)
    } else {
        &s[..e]
    }
}

/// The key a line (or a phrase) is looked up by: lowercase, list bullets and
/// surrounding punctuation trimmed, whitespace runs collapsed to one space.
/// ASCII bytes are handled directly, other characters with `char` methods.
pub fn line_key(line: &str, out: &mut String) {
    line_key_within(line, usize::MAX, out);
}

/// [`line_key`], or the empty string once the key grows longer than `max` bytes (a key
/// no phrase has: they are not empty).
pub fn line_key_within(line: &str, max: usize, out: &mut String) {
    out.clear();
    let t = trim_key(line);
    let b = t.as_bytes();
    let mut space = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c < 0x80 {
            if is_ascii_ws(c) {
                i += 1;
                space = true;
                continue;
            }
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            // A run of ASCII bytes that are not whitespace: copied, then lowercased.
            let mut j = i + 1;
            while j < b.len() && b[j] < 0x80 && !is_ascii_ws(b[j]) {
                j += 1;
            }
            let at = out.len();
            out.push_str(&t[i..j]);
            out[at..].make_ascii_lowercase();
            i = j;
            if out.len() > max {
                out.clear();
                return;
            }
        } else {
            let ch = t[i..].chars().next().unwrap_or('\0');
            i += ch.len_utf8();
            if ch.is_whitespace() {
                space = true;
                continue;
            }
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            super::lang::push_lower_char(ch, out);
            if out.len() > max {
                out.clear();
                return;
            }
        }
    }
}

/// [`line_key_within`] of `line`, given `lower`, its lowercase form (as the clean stage
/// makes it for the `contains` scan): when what is left of `lower`
/// after trimming is ASCII with single spaces for its only whitespace, that is the key;
/// otherwise the key is made from `line`. (Trimming and lowercasing commute: no trimmed
/// character has case, and none lowercases to one.)
pub fn line_key_of_lower(line: &str, lower: &str, max: usize, out: &mut String) {
    let t = trim_key(lower);
    let mut odd = 0u8;
    let mut prev_space = false;
    for &c in t.as_bytes() {
        let space = c == b' ';
        odd |= u8::from(c >= 0x80 || (b'\t'..=b'\r').contains(&c) || (space && prev_space));
        prev_space = space;
    }
    if odd != 0 {
        line_key_within(line, max, out);
        return;
    }
    out.clear();
    if t.len() <= max {
        out.push_str(t);
    }
}

/// [`line_key`] as it was written first, character by character: the reference.
#[cfg(test)]
fn line_key_chars(line: &str, out: &mut String) {
    out.clear();
    let t = line.trim_matches(key_trim);
    let mut space = false;
    for c in t.chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_key_equals_the_char_by_char_one() {
        // Strings of ASCII and non-ASCII characters from a fixed generator; the picks are
        // trimmed or whitespace in one of the two paths. Most are short (phrase-sized),
        // some long, some long runs of ASCII.
        let pick = [
            ' ', '\t', '.', '#', '-', 'A', 'z', '&', '\u{0B}', '\u{1F}', '•', '»', 'Ä', 'ß',
            '\u{A0}', '\u{2003}', '…', 'İ', 'K', '|', '→', '✓',
        ];
        let mut rng = crate::test_rng::XorShift::new(0x2545_f491_4f6c_dd1d);
        let (mut a, mut b) = (String::new(), String::new());
        for n in 0..50_000 {
            let len = if n % 50 < 2 { 100 + n % 400 } else { n % 12 };
            // Every 50th string is ASCII alone.
            let ascii = n % 50 == 1;
            let s: String = (0..len)
                .map(|_| {
                    if rng.below(3) == 0 && !ascii {
                        pick[rng.below(pick.len())]
                    } else {
                        char::from(rng.below(128) as u8)
                    }
                })
                .collect();
            line_key(&s, &mut a);
            line_key_chars(&s, &mut b);
            assert_eq!(a, b, "{s:?}");
            // Within a length: the key, or nothing when it is longer.
            for max in [0, 3, 8, 130, 300] {
                line_key_within(&s, max, &mut a);
                let want = if b.len() <= max { b.as_str() } else { "" };
                assert_eq!(a, want, "{s:?} within {max}");
            }
        }
    }

    /// Keyed from its lowercase form, a line has the key it has keyed from itself.
    #[test]
    fn the_key_of_the_lowercase_form_is_the_key() {
        let pick = [
            " ", "  ", "\t", ".", "#", "-", "A", "z", "Home", "&", "•", "»", "Ä", "ß", "\u{A0}",
            "…", "İ", "\u{212A}", "|", "→", "✓", "News", "(c)",
        ];
        let mut rng = crate::test_rng::XorShift::new(0x9E37_79B9_7F4A_7C15);
        let (mut a, mut b, mut lower) = (String::new(), String::new(), String::new());
        let mut simple = 0;
        for n in 0..30_000 {
            let s: String = (0..n % 9).map(|_| pick[rng.below(pick.len())]).collect();
            lower.clear();
            crate::clean::engine::push_lowercase(&s, &mut lower);
            for max in [0, 4, 12, usize::MAX] {
                line_key_of_lower(&s, &lower, max, &mut a);
                line_key_within(&s, max, &mut b);
                assert_eq!(a, b, "{s:?} within {max}");
            }
            simple += usize::from(trim_key(&lower).is_ascii() && !lower.contains("  "));
        }
        // Both paths were taken.
        assert!(simple > 1000 && simple < 29_000, "{simple}");
    }
}
