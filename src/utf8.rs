//! UTF-8 validation of whole records, the SIMD way (`simdutf8`): several times faster
//! than `std` on text with many non-ASCII letters. Errors come from `std`, so they carry
//! the position of the first invalid byte as before.

/// `String::from_utf8`, validated with SIMD.
#[inline]
pub(crate) fn string(bytes: Vec<u8>) -> Result<String, std::string::FromUtf8Error> {
    if simdutf8::basic::from_utf8(&bytes).is_ok() {
        // SAFETY: just validated as UTF-8.
        Ok(unsafe { String::from_utf8_unchecked(bytes) })
    } else {
        String::from_utf8(bytes)
    }
}

/// `std::str::from_utf8`, validated with SIMD.
#[inline]
pub(crate) fn str(bytes: &[u8]) -> Result<&str, std::str::Utf8Error> {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(_) => std::str::from_utf8(bytes),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn agrees_with_std() {
        let cases: &[&[u8]] = &[
            b"",
            b"plain ascii",
            "Stra\u{df}e \u{201e}Zitat\u{201c} \u{4e2d}\u{6587} \u{1f600}".as_bytes(),
            b"\xff",
            b"ok then \xc3",
            b"\xed\xa0\x80 surrogate",
            b"overlong \xc0\xaf",
            b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab\xe2\x82",
        ];
        for &c in cases {
            assert_eq!(
                super::str(c).map_err(|e| e.valid_up_to()),
                std::str::from_utf8(c).map_err(|e| e.valid_up_to()),
                "{c:?}"
            );
            let got = super::string(c.to_vec()).map_err(|e| e.utf8_error().valid_up_to());
            let want = String::from_utf8(c.to_vec()).map_err(|e| e.utf8_error().valid_up_to());
            assert_eq!(got, want, "{c:?}");
        }
    }
}
