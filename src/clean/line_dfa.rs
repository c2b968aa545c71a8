//! The anchored line patterns of a rule book as lazy DFAs: the patterns whose automaton
//! gives up after a few bytes of ordinary text share one multi-pattern DFA; each
//! "floating" pattern (one that can scan a whole line, like `.+? Foto: .+`) has a DFA of
//! its own behind a byte gate ([`super::gate`]), so it only scans lines that contain a
//! byte every match needs, and does not multiply the states of the shared DFA.
use super::gate::{required_bytes, required_literals, Gate};
use regex::{Regex, RegexBuilder};
use regex_automata::hybrid::dfa::{Cache as DfaCache, DFA};
use regex_automata::nfa::thompson::{self, NFA};
use regex_automata::util::pool::{Pool, PoolGuard};
use regex_automata::{Anchored, Input, PatternID};
use regex_syntax::hir::Hir;
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

/// A floating pattern: its own DFA, and what a line needs for it to match.
struct Floating {
    /// Index of the pattern in the rule book's pattern list.
    k: usize,
    dfa: DFA,
    /// Bytes of which a line needs one.
    gate: Option<Gate>,
    /// Lowercase strings of which a line's lowercase form needs one.
    literals: Option<Vec<String>>,
}

/// Where pattern `k` lives.
#[derive(Clone, Copy)]
enum Place {
    /// The shared DFA, as its pattern number `n`.
    Shared(usize),
    /// `floating[i]`.
    Floating(usize),
}

/// The DFA caches of one thread, taken once per document.
pub struct Caches {
    shared: Option<DfaCache>,
    floating: Vec<DfaCache>,
}

/// All anchored line patterns, split into a shared DFA and floating ones.
pub struct LineDfa {
    shared: Option<DFA>,
    /// Pattern index of each pattern of the shared DFA, ascending.
    shared_ks: Vec<usize>,
    floating: Vec<Floating>,
    place: Vec<Place>,
    caches: Pool<Caches, CacheFn>,
}

impl LineDfa {
    /// Compile `patterns` (syntax trees of patterns anchored at both ends); the error is
    /// that of the first pattern that fails, with its index.
    pub fn new(patterns: &[Hir]) -> std::result::Result<LineDfa, (usize, String)> {
        let mut floating = Vec::new();
        let mut shared_ks = Vec::new();
        let mut place = Vec::with_capacity(patterns.len());
        for (k, hir) in patterns.iter().enumerate() {
            let nfa = NFA::compiler()
                .configure(nfa_config())
                .build_from_hir(hir)
                .map_err(|e| (k, e.to_string()))?;
            let dfa = dfa_builder()
                .build_from_nfa(nfa)
                .map_err(|e| (k, e.to_string()))?;
            let mut cache = dfa.create_cache();
            let alive = PROSE
                .iter()
                .map(|line| alive_for(&dfa, &mut cache, line))
                .max()
                .unwrap_or(0);
            if alive >= FLOATING_AFTER {
                let gate = required_bytes(hir).map(|s| Gate::new(&s));
                let literals = required_literals(hir);
                place.push(Place::Floating(floating.len()));
                floating.push(Floating {
                    k,
                    dfa,
                    gate,
                    literals,
                });
            } else {
                place.push(Place::Shared(shared_ks.len()));
                shared_ks.push(k);
            }
        }
        let shared = if shared_ks.is_empty() {
            None
        } else {
            let hirs: Vec<&Hir> = shared_ks.iter().map(|&k| &patterns[k]).collect();
            let nfa = NFA::compiler()
                .configure(nfa_config())
                .build_many_from_hir(&hirs)
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
            floating,
            place,
            caches: Pool::new(create),
        })
    }

    /// This thread's caches (one pool access per document, not per line).
    pub fn caches(&self) -> PoolGuard<'_, Caches, CacheFn> {
        self.caches.get()
    }

    /// Pattern indexes of the shared DFA, ascending.
    pub fn shared(&self) -> &[usize] {
        &self.shared_ks
    }

    /// Pattern indexes of the floating patterns, ascending.
    pub fn floating(&self) -> impl Iterator<Item = usize> + '_ {
        self.floating.iter().map(|f| f.k)
    }

    /// The lowercase strings of which the lowercase form of a line that floating
    /// pattern `k` matches contains one, if known.
    pub fn literals(&self, k: usize) -> Option<&[String]> {
        match self.place[k] {
            Place::Floating(i) => self.floating[i].literals.as_deref(),
            Place::Shared(_) => None,
        }
    }

    /// The first pattern of the shared DFA (by index) that matches `line`; `Err` if the
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
            Ok(m) => Ok(m.map(|hm| self.shared_ks[hm.pattern().as_usize()])),
            Err(_) => Err(()),
        }
    }

    /// Whether pattern `k` alone matches `line`; `Err` if its DFA cannot tell. A floating
    /// pattern is first checked against its gate.
    pub fn matches(
        &self,
        caches: &mut Caches,
        k: usize,
        line: &str,
    ) -> std::result::Result<bool, ()> {
        let (dfa, cache, anchored) = match self.place[k] {
            Place::Shared(n) => match (&self.shared, caches.shared.as_mut()) {
                (Some(dfa), Some(cache)) => (dfa, cache, Anchored::Pattern(PatternID::must(n))),
                _ => return Err(()),
            },
            Place::Floating(i) => {
                let f = &self.floating[i];
                if f.gate.as_ref().is_some_and(|g| !g.passes(line.as_bytes())) {
                    return Ok(false);
                }
                (&f.dfa, &mut caches.floating[i], Anchored::Yes)
            }
        };
        let input = Input::new(line).anchored(anchored);
        match dfa.try_search_fwd(cache, &input) {
            Ok(m) => Ok(m.is_some()),
            Err(_) => Err(()),
        }
    }
}

/// One pattern as a `Regex` of its own, compiled on first use: needed only where the DFA
/// cannot tell (a Unicode `\b` on non-ASCII text).
pub struct LazyRegex {
    pattern: String,
    re: OnceLock<Option<Regex>>,
}

impl LazyRegex {
    pub fn new(pattern: String) -> LazyRegex {
        LazyRegex {
            pattern,
            re: OnceLock::new(),
        }
    }

    pub fn is_match(&self, line: &str) -> bool {
        // It compiled as a DFA, under the same size limit.
        self.re
            .get_or_init(|| {
                RegexBuilder::new(&self.pattern)
                    .size_limit(256 << 20)
                    .build()
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
        assert_eq!(d.first_shared(caches, "12 comments"), Ok(Some(2)));
        assert_eq!(d.first_shared(caches, "Nothing here"), Ok(None));
        assert_eq!(d.matches(caches, 1, "A man in a boat Foto: dpa"), Ok(true));
        assert_eq!(
            d.matches(caches, 1, "A man in a boat, no credit"),
            Ok(false)
        );
        assert_eq!(d.matches(caches, 3, "Two men (l) and (r)"), Ok(true));
        assert_eq!(d.matches(caches, 3, "Two men"), Ok(false));
        assert_eq!(d.matches(caches, 2, "3 comments"), Ok(true));
        assert_eq!(d.matches(caches, 0, "3 comments"), Ok(false));
    }
}
