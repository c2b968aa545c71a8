//! One pass over the lines of a text: language, line/section rules, span rules, then the
//! heuristic with context; the result is a list of removals that each name a rule.
use super::heuristic::{self, Class, Why};
use super::line_model::{self, DocView, Prepared, Shape};
use super::rules::{line_key_of_lower, line_key_within, LineInput, RuleKind};
use super::timing::{self, Sampler};
use super::{lang, Cleaner, Decision};
use crate::document::Removal;
use crate::stage::StageStats;
use std::time::Instant;

/// One line of the text: byte range (without its `\n`) and the content range
/// (trimmed, leading list bullet stripped).
struct Line {
    start: usize,
    end: usize,
    c_start: usize,
    c_end: usize,
}

/// Who removes a line.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fate {
    Keep,
    Rule(usize),
    Heuristic(Why),
}

/// Strip a leading list bullet (`*`, `+`, `-`, `•`, `·`, `▪`) and the space after it.
fn strip_bullet(s: &str) -> &str {
    let t = s.trim_start_matches(['*', '+', '•', '·', '▪', '◦', '‣']);
    let t = if t.len() == s.len() && s.starts_with("- ") {
        &s[1..]
    } else {
        t
    };
    t.trim_start()
}

/// `s.trim()`, with ASCII ends handled byte by byte.
fn trim_ws(s: &str) -> &str {
    let ws = |c: u8| c == b' ' || (b'\t'..=b'\r').contains(&c);
    let b = s.as_bytes();
    let mut st = 0;
    while st < b.len() && ws(b[st]) {
        st += 1;
    }
    let mut e = b.len();
    while e > st && ws(b[e - 1]) {
        e -= 1;
    }
    if b.get(st).is_some_and(|&c| c >= 0x80) || (e > st && b[e - 1] >= 0x80) {
        return s.trim();
    }
    &s[st..e]
}

#[cfg(test)]
fn split_lines(text: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    split_lines_into(text, &mut lines);
    lines
}

fn split_lines_into(text: &str, lines: &mut Vec<Line>) {
    lines.clear();
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', text.as_bytes()).chain(std::iter::once(text.len()));
    for end in ends {
        let piece = &text[start..end];
        let trimmed = trim_ws(piece);
        let content = strip_bullet(trimmed);
        let c_start = if content.is_empty() {
            start
        } else {
            start + (content.as_ptr() as usize - piece.as_ptr() as usize)
        };
        lines.push(Line {
            start,
            end,
            c_start,
            c_end: c_start + content.len(),
        });
        start = end + 1;
    }
}

/// The working lists of [`decide`], kept per thread so that a document does not allocate
/// and grow them anew.
#[derive(Default)]
struct Scratch {
    lines: Vec<Line>,
    measured: Vec<(usize, heuristic::Features)>,
    fate: Vec<Fate>,
    classes: Vec<Class>,
    class_line: Vec<usize>,
    sections: Vec<(usize, usize)>,
    buf: String,
    key: String,
    lower: String,
    spans: Vec<(usize, usize, usize)>,
    span_nanos: Vec<(usize, u64)>,
    touched: Vec<(usize, u64)>,
    revise: heuristic::Revise,
    prep: Prepared,
    shapes: Vec<Shape>,
    verdicts: Vec<Option<bool>>,
}

/// One line no rule removed, as `rinse train` sees it: its byte range in the text
/// (without the newline), its features, and whether it stays whatever the model says
/// (a good line).
#[derive(Clone, Debug)]
pub struct ModelRow {
    pub start: usize,
    pub end: usize,
    pub x: Vec<f32>,
    pub fixed: bool,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

pub(super) fn decide(cl: &Cleaner, text: &str, stats: &mut StageStats) -> Decision {
    SCRATCH.with(|s| match s.try_borrow_mut() {
        Ok(mut s) => decide_in(cl, text, stats, &mut s, None),
        Err(_) => decide_in(cl, text, stats, &mut Scratch::default(), None),
    })
}

/// The lines of `text` the line model would decide, with their features (for `rinse
/// train`): everything up to the heuristic step runs as in [`decide`].
pub(super) fn model_rows(cl: &Cleaner, text: &str) -> Vec<ModelRow> {
    let mut rows = Vec::new();
    decide_in(
        cl,
        text,
        &mut StageStats::default(),
        &mut Scratch::default(),
        Some(&mut rows),
    );
    rows
}

fn decide_in(
    cl: &Cleaner,
    text: &str,
    stats: &mut StageStats,
    s: &mut Scratch,
    capture: Option<&mut Vec<ModelRow>>,
) -> Decision {
    let t0 = Instant::now();
    let Scratch {
        lines,
        measured,
        fate,
        classes,
        class_line,
        sections,
        buf,
        key,
        lower,
        spans,
        span_nanos,
        touched,
        revise,
        prep,
        shapes,
        verdicts,
    } = s;
    split_lines_into(text, lines);
    let lines = &*lines;
    // Measure every line once; the stop words of the first words vote for the language.
    let mut votes = [0u32; lang::LANGUAGES.len()];
    let mut seen = 0usize;
    // Lines of `measured` whose words voted.
    let mut voting = 0usize;
    measured.clear();
    for (li, line) in lines.iter().enumerate() {
        let content = &text[line.c_start..line.c_end];
        if content.is_empty() {
            continue;
        }
        let f = heuristic::features(content, buf);
        if seen < lang::VOTE_WORDS {
            seen += f.words;
            voting += 1;
            for (v, n) in votes.iter_mut().zip(f.per_lang) {
                *v += n;
            }
        }
        measured.push((li, f));
    }
    let identified = lang::identify(&votes, seen, text);
    let lang = identified.lang;
    let mut lang_bit = heuristic::lang_bit(lang);
    // A language outside the packed lists: its own list counts in every line.
    if let Some(list) = lang.and_then(lang::StopList::get) {
        for (li, f) in measured.iter_mut() {
            let line = &lines[*li];
            f.own_list = list.count(&text[line.c_start..line.c_end], lower);
        }
    }
    // The document's stop words are evidence only where its voting words have enough of
    // them (a page of names or numbers, or a language without a list, has not), and a
    // sure share of them unless the language was identified reliably (an unsure guess for
    // a language whatlang does not know hits a list by chance).
    let hits = if lang_bit & heuristic::OWN_LIST != 0 {
        measured[..voting].iter().map(|(_, f)| f.own_list).sum()
    } else {
        (0..lang::LANGUAGES.len())
            .find(|i| lang_bit >> i & 1 == 1)
            .map_or(0, |i| votes[i])
    };
    if hits < lang::VOTE_MIN_HITS
        || (!identified.reliable && (hits as usize) * 100 < seen * lang::MIN_SHARE_PCT)
    {
        lang_bit = 0;
    }
    let known_lang = lang_bit != 0;
    fate.clear();
    fate.resize(lines.len(), Fate::Keep);
    classes.clear();
    class_line.clear();
    sections.clear();
    let mut sampler = cl.rule_timing.then(|| Sampler::take(cl));
    let mut caches = cl.book.caches();
    let scope = cl.book.doc_scope(lang, &cl.active);
    let t_match = Instant::now();
    for (li, f) in measured.iter_mut() {
        let li = *li;
        let line = &lines[li];
        let content = &text[line.c_start..line.c_end];
        f.with_language(lang_bit);
        lower.clear();
        if f.words <= cl.book.scan_max_words {
            push_lowercase(content, lower);
        }
        key.clear();
        if f.words <= cl.book.phrase_max_words {
            if f.words <= cl.book.scan_max_words {
                line_key_of_lower(content, lower, cl.book.phrase_max_len, key);
            } else {
                line_key_within(content, cl.book.phrase_max_len, key);
            }
        }
        let input = LineInput {
            trimmed: content,
            lower,
            key,
            words: f.words,
        };
        let matched = cl.book.match_line(&input, &scope, &mut caches);
        if let Some(sampler) = sampler.as_mut() {
            if sampler.tick() {
                cl.book
                    .time_rules(&input, lang, &cl.active, &mut caches, &mut sampler.sampled);
            }
        }
        let class = match matched {
            Some(r) if cl.book.rules[r].kind == RuleKind::Line => {
                fate[li] = Fate::Rule(r);
                cl.rule_class(r)
            }
            Some(r) => {
                sections.push((classes.len(), r));
                heuristic::classify(f, &cl.hcfg, known_lang)
            }
            None => heuristic::classify(f, &cl.hcfg, known_lang),
        };
        classes.push(class);
        class_line.push(li);
    }
    let t_match = t_match.elapsed().as_nanos() as u64;
    drop(caches);
    let t_lines = t0.elapsed().as_nanos() as u64;

    // Section rules: the first to-end marker with article text (a good line) before it,
    // and the last from-start marker with article text after it. Linear in the lines.
    let first_good = classes.iter().position(|c| *c == Class::Good);
    let last_good = classes.iter().rposition(|c| *c == Class::Good);
    // A to-end marker fires only where what follows looks like debris: no more article
    // text (good lines) after it than before it. "Add a comment" under a question with
    // its answers below is not the start of a comment section.
    let goods = if sections.is_empty() {
        0
    } else {
        classes.iter().filter(|c| **c == Class::Good).count()
    };
    let to_end = sections.iter().find(|&&(ci, r)| {
        if cl.book.rules[r].kind != RuleKind::SectionToEnd || first_good.is_none_or(|g| g >= ci) {
            return false;
        }
        let before = classes[..ci].iter().filter(|c| **c == Class::Good).count();
        goods - before <= before
    });
    let from_start = sections.iter().rev().find(|&&(ci, r)| {
        cl.book.rules[r].kind == RuleKind::SectionFromStart && last_good.is_some_and(|g| g > ci)
    });
    let cut =
        |range: std::ops::Range<usize>, r: usize, fate: &mut [Fate], classes: &mut [Class]| {
            for ci in range {
                let l = class_line[ci];
                if fate[l] == Fate::Keep {
                    fate[l] = Fate::Rule(r);
                }
                classes[ci] = Class::Bad(Why::Rule);
            }
        };
    if let Some(&(ci, r)) = from_start {
        cut(0..ci + 1, r, fate, classes);
    }
    if let Some(&(ci, r)) = to_end {
        cut(ci..classes.len(), r, fate, classes);
    }

    // Span rules on the lines still kept; a span covering the whole content removes the
    // line. One rule at a time over all lines, so each rule's time can be counted.
    let t1 = Instant::now();
    spans.clear();
    span_nanos.clear();
    for sr in &cl.book.spans {
        if !cl.active[sr.rule] || !cl.book.rules[sr.rule].scope.applies(lang) {
            continue;
        }
        let t_rule = cl.rule_timing.then(Instant::now);
        for (ci, &li) in class_line.iter().enumerate() {
            if fate[li] != Fate::Keep {
                continue;
            }
            let line = &lines[li];
            let content = &text[line.c_start..line.c_end];
            for m in sr.regex.find_iter(content) {
                if m.start() == 0 && content[m.end()..].trim().is_empty() {
                    fate[li] = Fate::Rule(sr.rule);
                    classes[ci] = cl.rule_class(sr.rule);
                    break;
                }
                spans.push((line.c_start + m.start(), line.c_start + m.end(), sr.rule));
            }
        }
        if let Some(t) = t_rule {
            span_nanos.push((sr.rule, t.elapsed().as_nanos() as u64));
        }
    }
    let t_spans = t1.elapsed().as_nanos() as u64;

    // Heuristic with context: the line model (or, for training, its rows), or the window.
    let t2 = Instant::now();
    let model = cl.model.as_ref().filter(|_| cl.hcfg.enabled);
    if model.is_some() || capture.is_some() {
        shapes.clear();
        shapes.extend(measured.iter().map(|(li, _)| {
            let l = &lines[*li];
            let bullet = !text[l.start..l.c_start].trim_start().is_empty();
            Shape::of(&text[l.c_start..l.c_end], bullet)
        }));
        heuristic::promote_best(classes);
    }
    if let Some(rows) = capture {
        let doc = DocView {
            classes,
            measured,
            shapes,
            known_lang,
        };
        prep.prepare(&doc);
        for (ci, &li) in class_line.iter().enumerate() {
            if fate[li] == Fate::Keep {
                let mut x = vec![0.0; line_model::N_FEATURES];
                line_model::featurize(&doc, prep, ci, &mut x);
                rows.push(ModelRow {
                    start: lines[li].start,
                    end: lines[li].end,
                    x,
                    fixed: doc.classes[ci] == Class::Good,
                });
            }
        }
        return Decision::default();
    }

    if cl.hcfg.enabled {
        match model {
            None => revise.run(classes),
            Some(model) => {
                let doc = DocView {
                    classes,
                    measured,
                    shapes,
                    known_lang,
                };
                // Good lines stay: the model decides the others.
                let decides = |ci: usize| {
                    fate[class_line[ci]] == Fate::Keep && doc.classes[ci] != Class::Good
                };
                model.judge(&doc, prep, decides, verdicts);
                for (c, v) in classes.iter_mut().zip(verdicts.iter()) {
                    if let Some(keep) = *v {
                        *c = if keep {
                            Class::Good
                        } else {
                            Class::Bad(line_model::why_removed(*c))
                        };
                    }
                }
            }
        }
        for (ci, &li) in class_line.iter().enumerate() {
            if fate[li] != Fate::Keep {
                continue;
            }
            if let Class::Bad(why) = classes[ci] {
                if cl.heuristic.iter().any(|(w, _, on)| *w == why && *on) {
                    fate[li] = Fate::Heuristic(why);
                }
            }
        }
    }
    let t_heur = t2.elapsed().as_nanos() as u64;
    // A span inside a line that a later step removed whole is not a removal of its own.
    spans.retain(|&(s, _, _)| {
        let li = lines.partition_point(|l| l.end < s);
        lines
            .get(li)
            .is_some_and(|l| fate_is_keep(fate, li) && l.start <= s)
    });

    // Each removal with the index of its rule (rule book first, then heuristic rules),
    // so that the per-rule counts below group removals by index, not by id string.
    let mut removals = Vec::new();
    touched.clear();
    let n_rules = cl.book.rules.len();
    for (li, line) in lines.iter().enumerate() {
        let (k, info) = match fate[li] {
            Fate::Keep => continue,
            Fate::Rule(r) => (r, &cl.book.rules[r].info),
            Fate::Heuristic(why) => match cl.heuristic.iter().position(|(w, _, _)| *w == why) {
                Some(h) => (n_rules + h, &cl.heuristic[h].1),
                None => continue,
            },
        };
        let end = (line.end + 1).min(text.len());
        touched.push((k, (end - line.start) as u64));
        removals.push(Removal {
            start: line.start,
            end,
            rule: info.id.clone(),
            category: info.category.clone(),
            dup_of: None,
        });
    }
    for &(s, e, r) in spans.iter() {
        let info = &cl.book.rules[r].info;
        touched.push((r, (e - s) as u64));
        removals.push(Removal {
            start: s,
            end: e,
            rule: info.id.clone(),
            category: info.category.clone(),
            dup_of: None,
        });
    }
    removals.sort_by_key(|r| (r.start, r.end));
    // Per rule: its removals, their bytes, and one document; counted in the rules' slots
    // (by index: a few additions per document).
    touched.sort_unstable_by_key(|t| t.0);
    let slots = timing::slots(cl, stats);
    for group in touched.chunk_by(|a, b| a.0 == b.0) {
        let c = &mut slots[group[0].0].1;
        c.spans += group.len() as u64;
        c.bytes += group.iter().map(|t| t.1).sum::<u64>();
        c.docs += 1;
    }
    for &(r, nanos) in span_nanos.iter() {
        slots[r].1.nanos += nanos;
    }
    let passes = &mut slots[n_rules + cl.heuristic.len()..];
    passes[timing::PASS_LINE_RULES].1.nanos += t_lines;
    passes[timing::PASS_SPAN_RULES].1.nanos += t_spans;
    passes[timing::PASS_HEURISTIC].1.nanos += t_heur;
    if let Some(sampler) = sampler {
        sampler.finish(cl, stats, t_match, t_lines.saturating_sub(t_match) + t_heur);
    }
    Decision { lang, removals }
}

/// Append `s` lowercased (`char::to_lowercase` of every character) to `out`: runs of
/// ASCII bytes copied at once and lowercased in place, other characters through
/// `char::to_lowercase`.
pub(super) fn push_lowercase(s: &str, out: &mut String) {
    out.reserve(s.len());
    if push_ascii_lowercase(s.as_bytes(), out) {
        return;
    }
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let run = i + ascii_prefix(&bytes[i..]);
        if run > i {
            let start = out.len();
            out.push_str(&s[i..run]);
            out[start..].make_ascii_lowercase();
            i = run;
        }
        if let Some(c) = s[i..].chars().next() {
            lang::push_lower_char(c, out);
            i += c.len_utf8();
        }
    }
}

/// Append `b` lowercased if it is all ASCII, 8 bytes at a time (a line of 8 bytes or more
/// ends with its last 8, overlapping bytes already written), and return `true`; else
/// leave `out` as it was and return `false`. One loop and no call, where copying runs and
/// lowercasing them in place took three loops of varying length and a `memcpy`.
fn push_ascii_lowercase(b: &[u8], out: &mut String) -> bool {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // SAFETY: only ASCII bytes are appended, and on the first non-ASCII byte the vector
    // is cut back to its length on entry, so `out` holds UTF-8 whenever this returns
    // (nothing in between can panic).
    let v = unsafe { out.as_mut_vec() };
    let base = v.len();
    let word = |c: &[u8]| u64::from_le_bytes(c.try_into().unwrap_or_default());
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let w = word(c);
        if w & HIGH != 0 {
            v.truncate(base);
            return false;
        }
        v.extend_from_slice(&lower8(w).to_le_bytes());
    }
    let rest = chunks.remainder();
    if rest.is_empty() {
        return true;
    }
    if b.len() >= 8 {
        let w = word(&b[b.len() - 8..]);
        if w & HIGH != 0 {
            v.truncate(base);
            return false;
        }
        v.truncate(base + b.len() - 8);
        v.extend_from_slice(&lower8(w).to_le_bytes());
    } else {
        for &c in rest {
            if c >= 0x80 {
                v.truncate(base);
                return false;
            }
            v.push(c.to_ascii_lowercase());
        }
    }
    true
}

/// Eight ASCII bytes lowercased: 0x20 added to each of `A..=Z` (a byte's high bit after
/// adding `0x80 - b'A'` says it is `A` or more, after adding `0x80 - b'['` that it is past
/// `Z`; no byte carries into the next, all being below 0x80).
#[inline]
fn lower8(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let from_a = w.wrapping_add(ONES * u64::from(0x80 - b'A'));
    let past_z = w.wrapping_add(ONES * u64::from(0x80 - b'['));
    w | ((from_a & !past_z & (ONES * 0x80)) >> 2)
}

/// Length of the leading run of ASCII bytes of `b`, 8 bytes at a time.
fn ascii_prefix(b: &[u8]) -> usize {
    let mut i = 0;
    while let Some(chunk) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let high = w & 0x8080_8080_8080_8080;
        if high != 0 {
            return i + (high.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + b[i..]
        .iter()
        .position(|&c| c >= 0x80)
        .unwrap_or(b.len() - i)
}

fn fate_is_keep(fate: &[Fate], li: usize) -> bool {
    fate.get(li).is_some_and(|f| *f == Fate::Keep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_prefix_stops_at_the_first_non_ascii_byte() {
        let s = "abcdefghijklmnopqrstuvwxyzäbc";
        for start in 0..s.len() {
            if !s.is_char_boundary(start) {
                continue;
            }
            let b = &s.as_bytes()[start..];
            let want = b.iter().position(|&c| c >= 0x80).unwrap_or(b.len());
            assert_eq!(ascii_prefix(b), want, "{start}");
        }
        assert_eq!(ascii_prefix(b""), 0);
        assert_eq!(ascii_prefix(b"plain ascii, 27 bytes long."), 27);
    }

    /// `trim_ws` is `str::trim` (runs of spaces at both ends, other ASCII and Unicode
    /// whitespace, all-blank lines).
    #[test]
    fn trim_ws_is_trim() {
        let pieces = [
            " ", "        ", "\t", "\r", "a", "wort", "\u{A0}", "\u{2003}", "ü", "x y",
        ];
        let mut rng = crate::test_rng::XorShift::new(0x51_7CC1_B727_220A);
        for _ in 0..20_000 {
            let s: String = (0..rng.below(12))
                .map(|_| pieces[rng.below(pieces.len())])
                .collect();
            assert_eq!(trim_ws(&s), s.trim(), "{s:?}");
        }
    }

    /// `lower8` lowercases each ASCII byte in each position of a word.
    #[test]
    fn lower8_is_to_ascii_lowercase_bytewise() {
        for c in 0u8..128 {
            for pos in 0..8 {
                let mut bytes = *b"Ab[@Zz`{";
                bytes[pos] = c;
                let got = lower8(u64::from_le_bytes(bytes)).to_le_bytes();
                assert_eq!(got, bytes.map(|b| b.to_ascii_lowercase()), "{c} at {pos}");
            }
        }
    }

    /// `push_lowercase` is `char::to_lowercase` of every character, on mixes of ASCII
    /// runs of every length and non-ASCII characters at every offset.
    #[test]
    fn push_lowercase_is_to_lowercase_of_each_char() {
        let pieces = [
            "A",
            "z",
            "Hello",
            "ABCDEFGHIJ",
            "@[`{",
            " ",
            "Ü",
            "ß",
            "Σ",
            "İ",
            "“",
            "€",
            "ǅ",
        ];
        let mut rng = crate::test_rng::XorShift::new(0x2545_F491_4F6C_DD1D);
        for _ in 0..20_000 {
            let s: String = (0..rng.below(14))
                .map(|_| pieces[rng.below(pieces.len())])
                .collect();
            let mut out = String::from("x");
            push_lowercase(&s, &mut out);
            let want: String = std::iter::once('x')
                .chain(s.chars().flat_map(char::to_lowercase))
                .collect();
            assert_eq!(out, want, "{s:?}");
        }
        // Every ASCII byte, in every position of a word.
        let all: String = (0u8..128).map(char::from).collect();
        for skip in 0..8 {
            let mut out = String::new();
            push_lowercase(&all[skip..], &mut out);
            assert_eq!(out, all[skip..].to_ascii_lowercase());
        }
    }

    #[test]
    fn push_lowercase_is_to_lowercase() {
        for s in [
            "Hello WORLD",
            "Straße ÄÖÜ über",
            "“Zitat” – ΑΒΓ Ωmega İstanbul",
            "A long ASCII RUN before Ü and after",
            "",
        ] {
            let mut out = String::new();
            push_lowercase(s, &mut out);
            assert_eq!(out, s.to_lowercase(), "{s}");
        }
    }

    #[test]
    fn lines_are_the_pieces_between_newlines() {
        let text = "a\n  - b \n\nlast";
        let lines = split_lines(text);
        let pieces: Vec<&str> = lines.iter().map(|l| &text[l.start..l.end]).collect();
        assert_eq!(pieces, text.split('\n').collect::<Vec<_>>());
        let content: Vec<&str> = lines.iter().map(|l| &text[l.c_start..l.c_end]).collect();
        assert_eq!(content, ["a", "b", "", "last"]);
    }
}
