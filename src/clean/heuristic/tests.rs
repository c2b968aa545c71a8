//! Tests of the heuristic: classes, context, and the line features of every path.
use super::chars::is_latin_letter;
use super::*;
#[cfg(target_arch = "x86_64")]
use crate::cpu::{self, Feature};
#[cfg(target_arch = "x86_64")]
use proptest::{collection::vec, prelude::*};

#[test]
fn short_line_between_debris_is_debris_and_inside_article_stays() {
    let bad = Class::Bad(Why::Rule);
    let mut c = vec![
        bad,
        Class::Short,
        bad,
        Class::Good,
        Class::Short,
        Class::Good,
    ];
    revise(&mut c);
    assert_eq!(c[1], Class::Bad(Why::ShortLine));
    assert_eq!(c[4], Class::Good);
}

#[test]
fn near_good_between_debris_is_debris() {
    let bad = Class::Bad(Why::Rule);
    let mut c = vec![bad, Class::NearGood, bad, Class::NearGood, Class::Good];
    revise(&mut c);
    assert_eq!(c[1], Class::Bad(Why::Uncertain));
    assert_eq!(c[3], Class::Good);
}

#[test]
fn latin_letters_are_alphabetic_and_not_whitespace() {
    for c in '\0'..=char::MAX {
        if is_latin_letter(c) {
            assert!(
                c.is_alphabetic() && c.is_alphanumeric() && !c.is_whitespace(),
                "{c:?}"
            );
            assert!(c != '©' && c != '\u{AD}');
        }
    }
    assert!(!is_latin_letter('×') && !is_latin_letter('÷') && is_latin_letter('ß'));
    for c in ['’', '„', '“', '”', '«', '»', '–', '—'] {
        assert!(!c.is_alphanumeric() && !c.is_whitespace(), "{c:?}");
    }
}

/// Lines of every kind for the tests of the paths of [`features`].
const FIXED: &[&str] = &[
    "",
    " ",
    "a",
    "The",
    "Hello, World! This is a test of the features function.",
    "Krieg Militär Nachrichten Russland Ukraine",
    "Der Kreml erklärte am Dienstag, er könne die Berichte nicht bestätigen.",
    "Visit https://example.com/path?x=1 or www.example.org today",
    "mail me: a@b.c or x@y, ab@ and @@@@ at:",
    "www. wwwx www.x xwww.y  www.",
    "© 2024 Example Corp. All rights reserved.",
    "東京は日本の首都です。こんにちは！한국어 텍스트？",
    "Emoji 😀🎉 and symbols ★ ☆ ♥ € $ % & * # ~ ^ | \\ / < > = + [ ] { } _ `",
    "12345 678.90 3,14 1st 2nd 0x1F",
    "Sil\u{AD}ben\u{AD}trennung \u{AD}\u{AD} \u{AD}word",
    "„Zitat“ und «guillemets» – dash — em ’apostrophe’",
    "Tabs\tand\u{B}vertical\u{C}feed\rreturn\u{85}nel\u{A0}nbsp\u{3000}ideo",
    "ÀÉÎÕÜ àéîõü ß × ÷ Łódź Ŕ ǅ Ω ω Ж ж",
    "ends with quote\"",
    "ends (with bracket.)]  ",
    "0123456789abcdefXYZ 0123456789abcdef0123456789abcdefGHIJ",
    "\u{0}\u{1}\u{1F}\u{7F} ctrl",
];

/// Pieces of lines: words, stop words, spaces, punctuation, characters of every length.
const FRAGS: &[&str] = &[
    "the",
    "and",
    "Der",
    "die",
    "DAS",
    "und",
    "le",
    "la",
    "de",
    "of",
    "in",
    "is",
    "w",
    "ww",
    "www.",
    "://",
    "@",
    ":",
    "x",
    "Word",
    "LONGWORDLONGWORDLONG",
    "abcdefghijklmnop",
    "0",
    "42",
    "3.5",
    " ",
    "  ",
    "\t",
    "\n",
    ".",
    ",",
    "-",
    "'",
    "\"",
    "?",
    "!",
    ";",
    "(",
    ")",
    "[",
    "]",
    "#",
    "$",
    "%",
    "&",
    "*",
    "/",
    "é",
    "É",
    "ß",
    "×",
    "Ł",
    "Ω",
    "ж",
    "\u{AD}",
    "©",
    "„",
    "“",
    "”",
    "«",
    "»",
    "–",
    "—",
    "’",
    "…",
    "東",
    "京",
    "。",
    "！",
    "？",
    "한",
    "か",
    "😀",
    "\u{A0}",
    "\u{3000}",
    "\u{85}",
    "Ⅻ",
    "²",
    "٣",
];

/// Call `check` with [`FIXED`], random lines of [`FRAGS`], very long lines, and lines
/// shifted across the 16- and 32-byte block boundaries.
fn lines(mut check: impl FnMut(&str)) {
    for s in FIXED {
        check(s);
    }
    let mut rng = crate::test_rng::XorShift::new(0x9E37_79B9_7F4A_7C15);
    let mut next = |m: usize| rng.below(m);
    let mut s = String::new();
    for _ in 0..20_000 {
        s.clear();
        let parts = next(40);
        for _ in 0..parts {
            s.push_str(FRAGS[next(FRAGS.len())]);
        }
        check(&s);
    }
    // Lines with more stop words than a packed counter lane holds.
    check(&"the und de la ".repeat(5000));
    check(&"é der ".repeat(20_000));
    // Every split of a few lines at 16- and 32-byte boundaries: prefixes of 0..=64
    // bytes of padding shift the words across the blocks.
    for base in FIXED
        .iter()
        .chain(["Die Stadt hat, wie www.x.de berichtet, 3 Ämter."].iter())
    {
        for pad in 0..=64 {
            for fill in ["a", " ", "é", "1"] {
                let p = fill.repeat(pad / fill.len().max(1));
                check(&format!("{p}{base}"));
                check(&format!("{base}{p}"));
            }
        }
    }
}

/// The fast [`features`] (as dispatched, and SSE2 on x86_64) equals the scalar
/// reference.
#[test]
fn fast_features_equal_scalar_reference() {
    let (mut b1, mut b2) = (String::new(), String::new());
    lines(|s| {
        let want = features_scalar(s, &mut b2);
        assert_eq!(features(s, &mut b1), want, "{s:?}");
        #[cfg(target_arch = "x86_64")]
        assert_eq!(sse2::features(s, &mut b1), want, "SSE2 {s:?}");
    });
}

/// The AVX2 [`features`] equals the scalar reference.
#[cfg(target_arch = "x86_64")]
#[test]
#[cfg_attr(
    not(all(rinse_host_avx2, rinse_host_popcnt)),
    ignore = "the build host has no AVX2 or POPCNT"
)]
fn simd_avx2_features_equal_scalar_reference() {
    let cpu = cpu::require(&[Feature::Avx2, Feature::Popcnt]);
    assert!(avx2::available_on(cpu));
    let (mut b1, mut b2) = (String::new(), String::new());
    lines(|s| {
        let want = features_scalar(s, &mut b2);
        // SAFETY: the CPU has AVX2 and POPCNT (`cpu::require` above).
        assert_eq!(unsafe { avx2::features(s, &mut b1) }, want, "AVX2 {s:?}");
    });
}

/// Lines for the property tests: pieces of [`FRAGS`], or arbitrary characters, after a
/// padding of 0 to 64 bytes that shifts them across the blocks.
#[cfg(target_arch = "x86_64")]
fn any_line() -> impl Strategy<Value = String> {
    let pieces = vec(prop::sample::select(FRAGS), 0..40).prop_map(|v| v.concat());
    let body = prop_oneof![3 => pieces, 1 => any::<String>()];
    let fill = prop::sample::select(&["a", " ", "é", "1", "w", "."][..]);
    (body, 0usize..=64, fill)
        .prop_map(|(body, pad, fill)| format!("{}{body}", fill.repeat(pad / fill.len())))
}

// Differential tests (`simd_*`; a long run: see `crate::cpu`).
#[cfg(target_arch = "x86_64")]
proptest! {
    #[test]
    fn simd_heuristic_features_sse2(s in any_line()) {
        let want = features_scalar(&s, &mut String::new());
        prop_assert_eq!(sse2::features(&s, &mut String::new()), want, "{:?}", s);
    }

    #[test]
    #[cfg_attr(
        not(all(rinse_host_avx2, rinse_host_popcnt)),
        ignore = "the build host has no AVX2 or POPCNT"
    )]
    fn simd_heuristic_features_avx2(s in any_line()) {
        cpu::require(&[Feature::Avx2, Feature::Popcnt]);
        let want = features_scalar(&s, &mut String::new());
        // SAFETY: the CPU has AVX2 and POPCNT (`cpu::require` above).
        let got = unsafe { avx2::features(&s, &mut String::new()) };
        prop_assert_eq!(got, want, "{:?}", s);
    }
}

#[test]
fn tag_line_is_title_case_debris() {
    let mut buf = String::new();
    let mut f = features("Krieg Militär Nachrichten Russland Ukraine", &mut buf);
    f.with_language(lang_bit(Some("de")));
    assert_eq!(
        classify(&f, &HeuristicConfig::default(), true),
        Class::Bad(Why::TitleCase)
    );
    let mut f = features(
        "Der Kreml erklärte am Dienstag, er könne die Berichte nicht bestätigen, sagte ein Sprecher in Moskau.",
        &mut buf,
    );
    f.with_language(lang_bit(Some("de")));
    assert_ne!(
        classify(&f, &HeuristicConfig::default(), true),
        Class::Bad(Why::LowStopwords)
    );
}

#[test]
fn last_sentence_of_an_article_stays_before_debris() {
    let bad = Class::Bad(Why::Rule);
    let mut c = vec![Class::Good, Class::Good, Class::ShortSentence, bad, bad];
    revise(&mut c);
    assert_eq!(c[2], Class::Good);
    let mut c = vec![Class::Good, Class::Good, Class::NearGood, bad, bad];
    revise(&mut c);
    assert_eq!(c[2], Class::Good);
}

#[test]
fn list_items_inside_an_article_stay_and_a_menu_between_debris_goes() {
    let bad = Class::Bad(Why::Rule);
    let mut c = vec![
        Class::Good,
        Class::Short,
        Class::Short,
        Class::Short,
        Class::Good,
    ];
    revise(&mut c);
    assert!(c.iter().all(|x| *x == Class::Good), "{c:?}");
    let mut c = vec![
        Class::Good,
        bad,
        Class::Short,
        Class::Short,
        Class::Short,
        Class::Short,
        bad,
    ];
    revise(&mut c);
    assert!(
        c[2..6].iter().all(|x| *x == Class::Bad(Why::ShortLine)),
        "{c:?}"
    );
}

#[test]
fn without_a_stop_word_list_a_line_is_not_debris_for_lacking_stop_words() {
    let cfg = HeuristicConfig::default();
    // An Indonesian sentence: a stray hit ("a") of another language's list.
    let f = Features {
        chars: 120,
        words: 16,
        stopwords: 1,
        doc_stopwords: 1,
        capitalized: 2,
        sentence_end: true,
        ..Features::default()
    };
    assert_ne!(classify(&f, &cfg, false), Class::Bad(Why::LowStopwords));
    assert_eq!(classify(&f, &cfg, true), Class::Bad(Why::LowStopwords));
    // With its own list, the same kind of line has the stop words of its language.
    let line = "Pemerintah Indonesia mengumumkan pada hari Senin bahwa harga bahan bakar minyak akan naik mulai bulan depan, karena subsidi yang diberikan selama ini sudah terlalu besar bagi anggaran negara.";
    let mut buf = String::new();
    let mut f = features(line, &mut buf);
    f.own_list = StopList::get("id").unwrap().count(line, &mut buf);
    assert_eq!(lang_bit(Some("id")), OWN_LIST);
    f.with_language(lang_bit(Some("id")));
    assert!(f.doc_stopwords >= 5, "{f:?}");
    assert_eq!(classify(&f, &cfg, true), Class::Good);
}

#[test]
fn a_sentence_between_short_lines_stays_and_a_teaser_between_debris_goes() {
    let bad = Class::Bad(Why::Rule);
    // Product copy: sentences between short lines, a good paragraph further on.
    let mut c = vec![
        Class::Short,
        Class::NearSentence,
        Class::Short,
        Class::NearSentence,
        Class::Short,
        Class::Good,
    ];
    revise(&mut c);
    assert_eq!(c[1], Class::Good);
    assert_eq!(c[3], Class::Good);
    // A headline-like teaser without a sentence end, between debris.
    let mut c = vec![Class::Good, bad, bad, Class::NearGood, bad, bad];
    revise(&mut c);
    assert_eq!(c[3], Class::Bad(Why::Uncertain));
}
