//! The anchored line patterns of a rule book as lazy DFAs: the patterns whose automaton
//! gives up after a few bytes of ordinary text share one multi-pattern DFA; each
//! "floating" pattern (one that can scan a whole line, like `.+? Foto: .+`) has a DFA of
//! its own behind a byte gate ([`super::gate`]), so it only scans lines that contain a
//! byte every match needs, and does not multiply the states of the shared DFA.
use super::gate::{required_bytes, required_literals, Gate};
use regex_automata::hybrid::dfa::{Cache as DfaCache, DFA};
use regex_automata::nfa::thompson::{self, NFA};
use regex_automata::util::pool::{Pool, PoolGuard};
use regex_automata::{Anchored, Input, PatternID};
use regex_syntax::hir::{Hir, HirKind, Look};
use std::sync::OnceLock;

type CacheFn =
    Box<dyn Fn() -> Caches + Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>;

/// Lines a pattern's automaton is tried on to see whether it stays alive on ordinary
/// text. Fixed, so the split (and everything downstream) is deterministic.
const PROSE: &[&str] = &[
    "The committee said on Tuesday that the new rules, which were agreed after months of talks, would apply from next year.",
    "Die Regierung hatte zuvor erklärt, dass die Maßnahmen bis zum Ende des Jahres verlängert werden sollen, sagte ein Sprecher.",
    "Le ministre a indiqué que les discussions avec les partenaires sociaux reprendraient dans les prochains jours.",
    "el gobierno anunció que las medidas se mantendrán durante al menos tres meses más, según fuentes oficiales.",
];
/// A pattern whose automaton is still alive after this many bytes of one of the
/// [`PROSE`] lines is floating.
const FLOATING_AFTER: usize = 40;

fn nfa_config() -> thompson::Config {
    thompson::Config::new().nfa_size_limit(Some(256 << 20))
}

fn dfa_builder() -> regex_automata::hybrid::dfa::Builder {
    let mut b = DFA::builder();
    b.configure(
        DFA::config()
            .cache_capacity(64 << 20)
            .minimum_cache_clear_count(None)
            // A Unicode `\b` makes the search give up on non-ASCII text (then the
            // pattern runs as a `Regex`) instead of failing the build.
            .unicode_word_boundary(true)
            // Searches for one pattern of the shared DFA (fallback, per-rule timing).
            .starts_for_each_pattern(true),
    );
    b
}

/// How many bytes of `line` the anchored automaton reads before it is dead (or can tell
/// nothing more); the whole length if it survives.
fn alive_for(dfa: &DFA, cache: &mut DfaCache, line: &str) -> usize {
    let input = Input::new(line).anchored(Anchored::Yes);
    let Ok(mut sid) = dfa.start_state_forward(cache, &input) else {
        return line.len();
    };
    for (i, &b) in line.as_bytes().iter().enumerate() {
        match dfa.next_state(cache, sid, b) {
            Ok(next) if next.is_dead() => return i,
            Ok(next) if next.is_quit() => return line.len(),
            Ok(next) => sid = next,
            Err(_) => return line.len(),
        }
    }
    line.len()
}

/// A floating unit: its own DFA, and what a line needs for it to match.
struct Floating {
    /// Index of its pattern in the rule book's pattern list.
    k: usize,
    dfa: DFA,
    /// Bytes of which a line needs one.
    gate: Option<Gate>,
    /// Lowercase strings of which a line's lowercase form needs one.
    literals: Option<Vec<String>>,
    regex: LazyRegex,
}

/// What a pattern is matched as: a whole, or one of its top-level alternatives.
#[derive(Clone, Copy)]
enum Unit {
    /// The shared DFA's pattern number `n`.
    Shared(usize),
    /// `floating[i]`.
    Floating(usize),
}

/// The DFA caches of one thread, taken once per document.
pub struct Caches {
    shared: Option<DfaCache>,
    floating: Vec<DfaCache>,
}

/// All anchored line patterns, split into a shared DFA and floating units.
///
/// A floating pattern whose top level is an alternation (`a|b|.*c.*`) is split into its
/// alternatives, each anchored on its own, so that only the alternatives that can scan a
/// line are floating and the others join the shared DFA. A pattern matches when one of
/// its units does.
pub struct LineDfa {
    shared: Option<DFA>,
    /// The pattern index of each unit of the shared DFA (by its number), ascending.
    shared_ks: Vec<usize>,
    shared_regex: Vec<LazyRegex>,
    /// Floating units, ascending by pattern index.
    floating: Vec<Floating>,
    /// The units of each pattern.
    units: Vec<Vec<Unit>>,
    caches: Pool<Caches, CacheFn>,
}

/// A floating pattern with at most this many top-level alternatives is split.
const MAX_SPLIT: usize = 64;

/// Compile one unit's DFA and tell whether it is floating.
fn probe(hir: &Hir) -> std::result::Result<(DFA, bool), String> {
    let nfa = NFA::compiler()
        .configure(nfa_config())
        .build_from_hir(hir)
        .map_err(|e| e.to_string())?;
    let dfa = dfa_builder()
        .build_from_nfa(nfa)
        .map_err(|e| e.to_string())?;
    let mut cache = dfa.create_cache();
    let alive = PROSE
        .iter()
        .map(|line| alive_for(&dfa, &mut cache, line))
        .max()
        .unwrap_or(0);
    Ok((dfa, alive >= FLOATING_AFTER))
}

/// The top-level alternatives of a pattern anchored as `^(?:a|b|c)$` (not anchored).
fn alternatives(hir: &Hir) -> Option<Vec<Hir>> {
    let HirKind::Concat(parts) = hir.kind() else {
        return None;
    };
    let [start, alt, end] = parts.as_slice() else {
        return None;
    };
    let is = |h: &Hir, look: Look| matches!(h.kind(), HirKind::Look(l) if *l == look);
    if !is(start, Look::Start) || !is(end, Look::End) {
        return None;
    }
    let HirKind::Alternation(branches) = alt.kind() else {
        return None;
    };
    (branches.len() <= MAX_SPLIT).then(|| branches.to_vec())
}

/// `^(?:hir)$`.
fn anchor(hir: Hir) -> Hir {
    Hir::concat(vec![Hir::look(Look::Start), hir, Hir::look(Look::End)])
}

impl LineDfa {
    /// Compile `patterns` (syntax trees of patterns anchored at both ends); the error is
    /// that of the first pattern that fails, with its index.
    pub fn new(patterns: &[Hir]) -> std::result::Result<LineDfa, (usize, String)> {
        let mut floating = Vec::new();
        let mut shared_hirs: Vec<Hir> = Vec::new();
        let mut shared_ks = Vec::new();
        let mut units = Vec::with_capacity(patterns.len());
        for (k, hir) in patterns.iter().enumerate() {
            let (dfa, is_floating) = probe(hir).map_err(|e| (k, e))?;
            let mut mine = Vec::new();
            let mut add_shared = |h: Hir, mine: &mut Vec<Unit>| {
                mine.push(Unit::Shared(shared_ks.len()));
                shared_ks.push(k);
                shared_hirs.push(h);
            };
            if !is_floating {
                add_shared(hir.clone(), &mut mine);
            } else {
                // Its alternatives that are not floating become one unit of the shared
                // DFA; each floating one a unit of its own.
                let mut parts = Vec::new();
                match alternatives(hir) {
                    Some(alts) => {
                        let mut rest = Vec::new();
                        for a in alts {
                            let anchored = anchor(a.clone());
                            let (d, f) = probe(&anchored).map_err(|e| (k, e))?;
                            if f {
                                parts.push((anchored, d));
                            } else {
                                rest.push(a);
                            }
                        }
                        if !rest.is_empty() {
                            add_shared(anchor(Hir::alternation(rest)), &mut mine);
                        }
                    }
                    None => parts.push((hir.clone(), dfa)),
                }
                for (h, d) in parts {
                    mine.push(Unit::Floating(floating.len()));
                    floating.push(Floating {
                        k,
                        dfa: d,
                        gate: required_bytes(&h).map(|s| Gate::new(&s)),
                        literals: required_literals(&h),
                        regex: LazyRegex::new(h),
                    });
                }
            }
            units.push(mine);
        }
        let shared = if shared_hirs.is_empty() {
            None
        } else {
            let nfa = NFA::compiler()
                .configure(nfa_config())
                .build_many_from_hir(&shared_hirs)
                .map_err(|e| (shared_ks[0], e.to_string()))?;
            Some(
                dfa_builder()
                    .build_from_nfa(nfa)
                    .map_err(|e| (shared_ks[0], e.to_string()))?,
            )
        };
        let for_pool: Vec<DFA> = floating.iter().map(|f| f.dfa.clone()).collect();
        let shared_for_pool = shared.clone();
        let create: CacheFn = Box::new(move || Caches {
            shared: shared_for_pool.as_ref().map(DFA::create_cache),
            floating: for_pool.iter().map(DFA::create_cache).collect(),
        });
        Ok(LineDfa {
            shared,
            shared_ks,
            shared_regex: shared_hirs.into_iter().map(LazyRegex::new).collect(),
            floating,
            units,
            caches: Pool::new(create),
        })
    }

    /// This thread's caches (one pool access per document, not per line).
    pub fn caches(&self) -> PoolGuard<'_, Caches, CacheFn> {
        self.caches.get()
    }

    /// The pattern index of each unit of the shared DFA, ascending (at most one unit per
    /// pattern: a split pattern's fixed alternatives are merged into one).
    pub fn shared(&self) -> &[usize] {
        &self.shared_ks
    }

    /// The pattern index of each floating unit, ascending (with repeats likewise).
    pub fn floating(&self) -> impl Iterator<Item = usize> + '_ {
        self.floating.iter().map(|f| f.k)
    }

    /// The lowercase strings of which the lowercase form of a line that floating unit `i`
    /// matches contains one, if known.
    pub fn literals(&self, i: usize) -> Option<&[String]> {
        self.floating.get(i).and_then(|f| f.literals.as_deref())
    }

    /// The first unit of the shared DFA (its number) that matches `line`; `Err` if the
    /// DFA cannot tell (a Unicode word boundary on non-ASCII text).
    pub fn first_shared(
        &self,
        caches: &mut Caches,
        line: &str,
    ) -> std::result::Result<Option<usize>, ()> {
        let (Some(dfa), Some(cache)) = (&self.shared, caches.shared.as_mut()) else {
            return Ok(None);
        };
        let input = Input::new(line).anchored(Anchored::Yes);
        match dfa.try_search_fwd(cache, &input) {
            Ok(m) => Ok(m.map(|hm| hm.pattern().as_usize())),
            Err(_) => Err(()),
        }
    }

    /// Whether unit `n` of the shared DFA alone matches `line`.
    pub fn shared_matches(&self, caches: &mut Caches, n: usize, line: &str) -> bool {
        let found = match (&self.shared, caches.shared.as_mut()) {
            (Some(dfa), Some(cache)) => {
                let input = Input::new(line).anchored(Anchored::Pattern(PatternID::must(n)));
                dfa.try_search_fwd(cache, &input).map(|m| m.is_some())
            }
            _ => Ok(false),
        };
        // The DFA cannot tell: the unit as a regex of its own.
        found.unwrap_or_else(|_| self.shared_regex[n].is_match(line))
    }

    /// Whether floating unit `i` matches `line` (its gate first).
    pub fn floating_matches(&self, caches: &mut Caches, i: usize, line: &str) -> bool {
        let f = &self.floating[i];
        if f.gate.as_ref().is_some_and(|g| !g.passes(line.as_bytes())) {
            return false;
        }
        let input = Input::new(line).anchored(Anchored::Yes);
        match f.dfa.try_search_fwd(&mut caches.floating[i], &input) {
            Ok(m) => m.is_some(),
            Err(_) => f.regex.is_match(line),
        }
    }

    /// Whether pattern `k` matches `line` (one of its units does).
    pub fn matches(&self, caches: &mut Caches, k: usize, line: &str) -> bool {
        self.units[k].iter().any(|u| match *u {
            Unit::Shared(n) => self.shared_matches(caches, n, line),
            Unit::Floating(i) => self.floating_matches(caches, i, line),
        })
    }
}

/// One unit as a regex of its own, compiled on first use: needed only where the DFA
/// cannot tell (a Unicode `\b` on non-ASCII text).
pub struct LazyRegex {
    hir: Hir,
    re: OnceLock<Option<regex_automata::meta::Regex>>,
}

impl LazyRegex {
    pub fn new(hir: Hir) -> LazyRegex {
        LazyRegex {
            hir,
            re: OnceLock::new(),
        }
    }

    pub fn is_match(&self, line: &str) -> bool {
        // It compiled as a DFA, under the same size limit.
        self.re
            .get_or_init(|| {
                regex_automata::meta::Regex::builder()
                    .configure(regex_automata::meta::Config::new().nfa_size_limit(Some(256 << 20)))
                    .build_from_hir(&self.hir)
                    .ok()
            })
            .as_ref()
            .is_some_and(|re| re.is_match(line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anchored(ps: &[&str]) -> Vec<Hir> {
        ps.iter()
            .map(|p| regex_automata::util::syntax::parse(&format!("^(?:{p})$")).expect("parses"))
            .collect()
    }

    #[test]
    fn floating_patterns_get_their_own_gated_dfa() {
        let ps = anchored(&[
            r"(?i)home\s*».*",
            r"(?i).+?\s(?:foto|photo)\s*:\s*.+",
            r"\d+ comments",
            r".*\(l\).*",
        ]);
        let d = LineDfa::new(&ps).expect("compiles");
        assert_eq!(d.shared(), [0, 2]);
        assert_eq!(d.floating().collect::<Vec<_>>(), [1, 3]);
        let mut c = d.caches();
        let caches = &mut *c;
        assert_eq!(d.first_shared(caches, "Home » News"), Ok(Some(0)));
        assert_eq!(d.first_shared(caches, "12 comments"), Ok(Some(1)));
        assert_eq!(d.first_shared(caches, "Nothing here"), Ok(None));
        assert!(d.matches(caches, 1, "A man in a boat Foto: dpa"));
        assert!(!d.matches(caches, 1, "A man in a boat, no credit"));
        assert!(d.matches(caches, 3, "Two men (l) and (r)"));
        assert!(!d.matches(caches, 3, "Two men"));
        assert!(d.matches(caches, 2, "3 comments"));
        assert!(!d.matches(caches, 0, "3 comments"));
    }

    #[test]
    fn a_floating_alternation_is_split_into_its_alternatives() {
        // Only the alternative that can scan a whole line stays floating.
        let ps = anchored(&[r"(?i)tel\.?\s*\d+|fax\s*\d+|.*opening hours.*", r"x+"]);
        // Its fixed alternatives merge into one shared unit.
        let d = LineDfa::new(&ps).expect("compiles");
        assert_eq!(d.shared(), [0, 1]);
        assert_eq!(d.floating().collect::<Vec<_>>(), [0]);
        // (A case-insensitive `s` also matches the long s.)
        let lits = ["opening hours".to_string(), "opening hourſ".to_string()];
        assert_eq!(d.literals(0), Some(&lits[..]));
        let mut c = d.caches();
        let caches = &mut *c;
        for (line, want) in [
            ("Tel. 0301234", true),
            ("FAX 123", true),
            ("Our opening hours: 9-5", true),
            ("Telephone", false),
        ] {
            assert_eq!(d.matches(caches, 0, line), want, "{line}");
        }
        assert_eq!(d.first_shared(caches, "fax 1"), Ok(Some(0)));
    }
}
