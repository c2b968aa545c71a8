//! The anchored line patterns of a rule book as one multi-pattern lazy DFA.
use regex::{Regex, RegexBuilder};
use regex_automata::hybrid::dfa::{Cache as DfaCache, DFA};
use regex_automata::nfa::thompson;
use regex_automata::util::pool::Pool;
use regex_automata::{Anchored, Input, PatternID};
use std::sync::{Arc, OnceLock};

type CacheFn =
    Box<dyn Fn() -> DfaCache + Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>;

/// The anchored line patterns as one leftmost-first lazy DFA (one cache per thread): one
/// forward scan of a line finds the first pattern in rule order that matches it whole.
pub struct LineDfa {
    dfa: Arc<DFA>,
    caches: Pool<DfaCache, CacheFn>,
}

impl LineDfa {
    pub fn new(patterns: &[String]) -> std::result::Result<LineDfa, String> {
        let dfa = DFA::builder()
            .configure(
                DFA::config()
                    .cache_capacity(64 << 20)
                    .minimum_cache_clear_count(None)
                    // A Unicode `\b` makes the search give up on non-ASCII text (then
                    // the patterns run one by one) instead of failing the build.
                    .unicode_word_boundary(true)
                    // Searches for one pattern (the fallback and per-rule timing).
                    .starts_for_each_pattern(true),
            )
            .thompson(thompson::Config::new().nfa_size_limit(Some(256 << 20)))
            .build_many(patterns)
            .map_err(|e| e.to_string())?;
        let dfa = Arc::new(dfa);
        let for_pool = Arc::clone(&dfa);
        let create: CacheFn = Box::new(move || for_pool.create_cache());
        Ok(LineDfa {
            dfa,
            caches: Pool::new(create),
        })
    }

    /// The index of the first pattern matching `line`; `Err` if the DFA cannot tell
    /// (a Unicode word boundary on non-ASCII text).
    pub fn first_match(&self, line: &str) -> std::result::Result<Option<usize>, ()> {
        let mut cache = self.caches.get();
        let input = Input::new(line).anchored(Anchored::Yes);
        match self.dfa.try_search_fwd(&mut cache, &input) {
            Ok(m) => Ok(m.map(|hm| hm.pattern().as_usize())),
            Err(_) => Err(()),
        }
    }

    /// Whether pattern `k` alone matches `line`; `Err` if the DFA cannot tell.
    pub fn matches(&self, k: usize, line: &str) -> std::result::Result<bool, ()> {
        let mut cache = self.caches.get();
        let input = Input::new(line).anchored(Anchored::Pattern(PatternID::must(k)));
        match self.dfa.try_search_fwd(&mut cache, &input) {
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
        // It compiled as part of the line DFA, under the same size limit.
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
