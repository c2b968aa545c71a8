//! Unit tests of the cleaner: config round trip, errors that name the rule, rule kinds.
use super::*;
use crate::config::Config;
use crate::document::apply_removals;

fn cleaner(extra: &str) -> Cleaner {
    let cfg = Config::parse(extra, "test").unwrap();
    Cleaner::new(&cfg.clean).unwrap()
}

fn cleaned(cl: &Cleaner, text: &str) -> String {
    cleaned_by(cl, text).0
}

/// The cleaned text and the rule of each removal, in order.
fn cleaned_by(cl: &Cleaner, text: &str) -> (String, Vec<String>) {
    let mut st = StageStats::default();
    let d = cl.decide(text, &mut st);
    let rules = d.removals.iter().map(|r| r.rule.to_string()).collect();
    (apply_removals(text, &d.removals), rules)
}

#[test]
fn embedded_default_equals_default_and_compiles() {
    let cfg = Config::embedded().unwrap();
    assert_eq!(cfg, Config::default());
    let cl = Cleaner::new(&cfg.clean).unwrap();
    assert!(cl.rules().len() > 20);
}

#[test]
fn bad_regex_is_an_error_naming_the_rule() {
    let cfg = Config::parse(
        "[[clean.rules]]\nid = \"my-rule\"\ncategory = \"x\"\npattern = \"(\"\n",
        "t",
    )
    .unwrap();
    let err = Cleaner::new(&cfg.clean).err().unwrap().to_string();
    assert!(err.contains("my-rule") && err.contains("regex"), "{err}");
}

#[test]
fn unknown_rule_key_is_an_error_naming_the_rule() {
    let err = Config::parse(
        "[[clean.rules]]\nid = \"my-rule\"\ncategory = \"x\"\npatern = \"a\"\n",
        "t",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("my-rule") && err.contains("patern"), "{err}");
}

#[test]
fn unknown_id_in_disable_is_an_error_naming_it() {
    let cfg = Config::parse("[clean]\ndisable = [\"no-such-rule\"]\n", "t").unwrap();
    let err = Cleaner::new(&cfg.clean).err().unwrap().to_string();
    assert!(err.contains("no-such-rule"), "{err}");
}

#[test]
fn a_rule_with_a_heuristic_rule_id_is_an_error_naming_it() {
    let cfg = Config::parse(
        "[[clean.rules]]\nid = \"heuristic-low-stopwords\"\ncategory = \"x\"\nphrases = [\"a b\"]\n",
        "t",
    )
    .unwrap();
    let err = Cleaner::new(&cfg.clean).err().unwrap().to_string();
    assert!(
        err.contains("heuristic-low-stopwords") && err.contains("heuristic rule id"),
        "{err}"
    );
}

#[test]
fn disable_switches_a_rule_off() {
    let on = cleaner("");
    let off = cleaner("[clean]\ndisable = [\"image-file\"]\n");
    assert!(on.rules().iter().any(|r| &*r.id == "image-file"));
    assert!(!off.rules().iter().any(|r| &*r.id == "image-file"));
}

#[test]
fn extra_rules_add_to_the_default_set() {
    let cl = cleaner(
        "[clean]\nrule_sets = [\"default\"]\n[[clean.rules]]\nid = \"no-foo\"\ncategory = \"test\"\nphrases = [\"FOO BAR\"]\n",
    );
    let ids: Vec<String> = cl.rules().iter().map(|r| r.id.to_string()).collect();
    assert!(ids.contains(&"no-foo".to_string()) && ids.contains(&"image-file".to_string()));
    let text = "A first sentence of the article that is long enough to be kept as it is here.\nfoo bar\nAnother sentence of the article that is long enough to be kept as it is now.";
    let out = cleaned(&cl, text);
    assert!(
        !out.contains("foo bar") && out.contains("first sentence"),
        "{out}"
    );
}

#[test]
fn span_rule_removes_only_the_match_and_records_the_rule() {
    let cl = cleaner("");
    let text = "date 2018-05 Die US-Regierung geht nach eigenen Angaben von einem Gipfeltreffen aus, sagte sie am Donnerstag.";
    let mut st = StageStats::default();
    let d = cl.decide(text, &mut st);
    let out = apply_removals(text, &d.removals);
    assert!(out.starts_with("Die US-Regierung"), "{out}");
    assert!(d.removals.iter().any(|r| &*r.rule == "glued-date-prefix"));
    // Counted in the rules' pending slots, then in the named counters.
    assert!(!st.items.contains_key("glued-date-prefix"));
    st.settle();
    assert_eq!(st.items["glued-date-prefix"].spans, 1);
    assert_eq!(st.items["glued-date-prefix"].docs, 1);
}

#[test]
fn section_rule_cuts_to_the_end_after_the_article() {
    let cl = cleaner("");
    let article = "Der Kreml erklärte am Dienstag, er könne die Berichte über das Treffen nicht bestätigen, und verwies auf die Sprecher, die sich dazu in den nächsten Tagen äußern würden, wie es hieß.";
    let text = format!("{article}\nSchreibe einen Kommentar\nDas ist ein Kommentar, der hier nicht mehr stehen soll, weil er nach dem Formular kommt und so weiter.");
    let out = cleaned(&cl, &text);
    assert_eq!(out, article);
}

#[test]
fn every_removal_names_a_known_rule() {
    let cl = cleaner("");
    let ids: Vec<String> = cl.rules().iter().map(|r| r.id.to_string()).collect();
    let text = "Home » Politik\nImpressum\n119336682.jpg\nEin Satz.\n";
    let mut st = StageStats::default();
    let d = cl.decide(text, &mut st);
    assert!(!d.removals.is_empty());
    for r in &d.removals {
        assert!(ids.contains(&r.rule.to_string()), "{}", r.rule);
    }
}

#[test]
fn a_config_with_rules_prints_and_parses_back_to_itself() {
    let text = "[clean]\nrule_sets = []\ndisable = [\"heuristic-link\"]\n\
        [[clean.rules]]\nid = \"a-span\"\ncategory = \"credit\"\nkind = \"span\"\nlanguages = [\"de\"]\npattern = '\\(Foto: [^)]+\\)'\n\
        [[clean.rules]]\nid = \"a-line\"\ncategory = \"footer\"\ndescription = \"d\"\nphrases = [\"Impressum\"]\ncontains = [\"alle rechte\"]\nmax_words = 9\n";
    let cfg = Config::parse(text, "t").unwrap();
    assert_eq!(cfg.clean.rules.len(), 2);
    assert_eq!(cfg.clean.rules[0].kind, RuleKind::Span);
    let again = Config::parse(&cfg.to_toml(), "printed").unwrap();
    assert_eq!(again, cfg);
    let cl = Cleaner::new(&cfg.clean).unwrap();
    let ids: Vec<String> = cl.rules().iter().map(|r| r.id.to_string()).collect();
    assert_eq!(ids[..2], ["a-span".to_string(), "a-line".to_string()]);
    assert!(!ids.contains(&"heuristic-link".to_string()));
}

#[test]
fn language_scoped_rule_runs_only_on_its_language() {
    let cl = cleaner(
        "[clean]\nrule_sets = []\n[clean.heuristic]\nenabled = false\n\
         [[clean.rules]]\nid = \"de-only\"\ncategory = \"test\"\nlanguages = [\"de\"]\nphrases = [\"Zum Thema\"]\n",
    );
    let de = "Der Kreml erklärte am Dienstag, er könne die Berichte nicht bestätigen, und verwies auf die Sprecher.\nZum Thema";
    let en = "The Kremlin said on Tuesday that it could not confirm the reports and that it was not aware of them.\nZum Thema";
    assert!(!cleaned(&cl, de).contains("Zum Thema"));
    assert!(cleaned(&cl, en).contains("Zum Thema"));
}

/// A news article in a language without a hand-written list, after a menu.
fn article_lines_stay(lang: &str, article: &[&str]) {
    let cl = cleaner("");
    let text = format!("Beranda\nBerita\nОпинии\n{}\n", article.join("\n"));
    let mut st = StageStats::default();
    let d = cl.decide(&text, &mut st);
    assert_eq!(d.lang, Some(lang));
    assert!(
        d.removals
            .iter()
            .all(|r| &*r.rule != "heuristic-low-stopwords"),
        "{:?}",
        d.removals
    );
    let out = apply_removals(&text, &d.removals);
    for line in article {
        assert!(out.contains(line), "{lang}: {line}");
    }
}

#[test]
fn indonesian_and_russian_articles_are_judged_by_their_own_stop_words() {
    article_lines_stay(
        "id",
        &[
        "Pemerintah Indonesia mengumumkan pada hari Senin bahwa harga bahan bakar minyak akan naik mulai bulan depan, karena subsidi yang diberikan selama ini sudah terlalu besar bagi anggaran negara.",
        "Menteri Keuangan mengatakan kepada wartawan di Jakarta bahwa keputusan itu diambil setelah pembahasan panjang dengan Dewan Perwakilan Rakyat dan para ahli ekonomi dari berbagai universitas.",
        "Sejumlah organisasi buruh menolak rencana tersebut dan menyatakan akan menggelar unjuk rasa di depan istana presiden jika pemerintah tidak membatalkan kenaikan harga itu.",
        "Menurut data Badan Pusat Statistik, inflasi pada tahun lalu mencapai lima persen, dan para pengamat memperkirakan angka itu bisa meningkat lagi setelah harga bahan bakar naik.",
        ],
    );
    article_lines_stay(
        "ru",
        &[
        "Правительство России объявило в понедельник, что цены на бензин будут заморожены до конца года, поскольку рост стоимости топлива вызвал недовольство в регионах.",
        "Министр энергетики сообщил журналистам в Москве, что решение было принято после долгих переговоров с крупнейшими нефтяными компаниями и представителями профсоюзов.",
        "По его словам, компании согласились не повышать цены на заправках, а государство в ответ снизит для них налоги на экспорт нефти в следующем году.",
        "Эксперты считают, что такая мера поможет сдержать инфляцию, однако она может привести к дефициту топлива на внутреннем рынке, если мировые цены продолжат расти.",
        ],
    );
}

#[test]
fn a_language_without_a_list_scopes_rules_and_keeps_its_lines() {
    let cl = cleaner(
        "[[clean.rules]]\nid = \"ar-only\"\ncategory = \"related\"\nlanguages = [\"ar\"]\nphrases = [\"اقرأ أيضا\"]\n",
    );
    let article = [
        "أعلنت الحكومة يوم الاثنين أن أسعار الوقود سترتفع اعتبارا من الشهر المقبل بسبب ارتفاع تكاليف الدعم على ميزانية الدولة.",
        "وقال وزير المالية للصحفيين في العاصمة إن القرار اتخذ بعد مناقشات طويلة مع البرلمان وخبراء الاقتصاد من عدة جامعات.",
        "ورفضت النقابات العمالية هذه الخطة وأعلنت أنها ستنظم احتجاجات أمام مقر الحكومة إذا لم يتم التراجع عن الزيادة.",
    ];
    let text = format!("{}\nاقرأ أيضا\n", article.join("\n"));
    let mut st = StageStats::default();
    let d = cl.decide(&text, &mut st);
    // Identified (the code scopes rules), but no list: judged without stop words.
    assert_eq!(d.lang, Some("ar"));
    assert!(
        d.removals.iter().any(|r| &*r.rule == "ar-only"),
        "{:?}",
        d.removals
    );
    let out = apply_removals(&text, &d.removals);
    for line in article {
        assert!(out.contains(line), "{line}");
    }
}

#[test]
fn long_runs_of_short_lines_and_repeated_markers_are_decided_like_short_ones() {
    let cl = cleaner("");
    let article = "Der Kreml erklärte am Dienstag, er könne die Berichte über das geplante Treffen nicht bestätigen, und verwies auf die Sprecher der Regierung in Moskau, die sich äußern würden.";
    let mut text = String::from("Menü eins\n");
    for i in 0..20_000 {
        text.push_str(&format!("Punkt {i}\n"));
    }
    text.push_str(article);
    text.push('\n');
    for _ in 0..5_000 {
        text.push_str("Leave a Reply\n");
    }
    let out = cleaned(&cl, &text);
    assert_eq!(out, article);
}

#[test]
fn first_pattern_in_rule_order_wins_and_one_that_does_not_apply_is_skipped() {
    // Both patterns match every test line; the first has a word limit.
    let cl = cleaner(
        "[clean]\nrule_sets = []\n[clean.heuristic]\nenabled = false\n\
         [[clean.rules]]\nid = \"first\"\ncategory = \"test\"\npattern = '.*x'\nmax_words = 2\n\
         [[clean.rules]]\nid = \"second\"\ncategory = \"test\"\npattern = '[a-z ]+x'\n\
         [[clean.rules]]\nid = \"third\"\ncategory = \"test\"\npattern = 'never'\n",
    );
    let rule_of = |text: &str| {
        let mut st = StageStats::default();
        let d = cl.decide(text, &mut st);
        d.removals
            .iter()
            .map(|r| r.rule.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(rule_of("a x"), ["first"]);
    assert_eq!(rule_of("a b c x"), ["second"]);
    assert_eq!(rule_of("A B C x"), Vec::<String>::new());
}

#[test]
fn rules_matched_in_the_shared_pass_get_time() {
    // The first line a thread matches for a cleaner is timed rule by rule, so the rule
    // that removes it gets a share of the pass time; so do the heuristic rules.
    let cl = cleaner("").with_rule_timing(true);
    let article = "Der Kreml erklärte am Dienstag, er könne die Berichte über das geplante Treffen nicht bestätigen, und verwies auf die Sprecher der Regierung in Moskau, die sich äußern würden.";
    let mut text = String::from("Home » Politik » Ausland\n");
    for _ in 0..50 {
        text.push_str(article);
        text.push('\n');
    }
    let mut st = StageStats::default();
    let d = cl.decide(&text, &mut st);
    assert!(d.removals.iter().any(|r| &*r.rule == "breadcrumb"));
    // The rules were timed one by one on the first line. (Their shares of the pass are
    // proportional to these samples, `timing`'s test; a share may round down to zero when
    // the thread was preempted while one rule was timed, so they are not asserted here.)
    let sampler = timing::Sampler::take(&cl);
    let sampled = |id: &str| {
        let k = cl.book.rules.iter().position(|r| &*r.info.id == id);
        sampler.sampled[k.unwrap_or_else(|| panic!("no rule {id}"))]
    };
    assert!(sampled("breadcrumb") > 0);
    assert!(
        sampled("date-line") > 0,
        "a rule that applies but did not match is timed too"
    );
    let mut total = StageStats::default();
    total.merge(&st);
    let nanos = |id: &str| total.items.get(id).map_or(0, |c| c.nanos);
    assert!(nanos("heuristic-low-stopwords") > 0);
    assert_eq!(total.items["breadcrumb"].spans, 1);
    // The estimates add up to the passes they come from (but for integer division and the
    // span pass's own loop, outside its rules' timers).
    let rules: u64 = total
        .items
        .iter()
        .filter(|(k, _)| !k.starts_with("pass-"))
        .map(|(_, c)| c.nanos)
        .sum();
    let passes: u64 = ["pass-line-rules", "pass-span-rules", "pass-heuristic"]
        .iter()
        .map(|k| nanos(k))
        .sum();
    assert!(
        rules <= passes && rules >= passes / 20 * 19,
        "{rules} vs {passes}"
    );
}

#[test]
fn without_rule_timing_only_the_passes_are_timed() {
    let cl = cleaner("");
    let mut st = StageStats::default();
    let text = "Home » Politik » Ausland\nDer Kreml erklärte am Dienstag, er könne die Berichte über das geplante Treffen nicht bestätigen, und verwies auf die Sprecher.";
    let d = cl.decide(text, &mut st);
    assert!(d.removals.iter().any(|r| &*r.rule == "breadcrumb"));
    let mut total = StageStats::default();
    total.merge(&st);
    assert_eq!(
        total.items["breadcrumb"].spans, 1,
        "counts do not need timing"
    );
    for (id, c) in &total.items {
        if !id.starts_with("pass-") {
            assert_eq!(c.nanos, 0, "{id} was timed");
        }
    }
    assert!(total.items["pass-line-rules"].nanos > 0);
    assert_eq!(
        timing::Sampler::take(&cl).sampled.iter().sum::<u64>(),
        0,
        "no line was matched rule by rule"
    );
}

#[test]
fn a_pattern_with_a_unicode_word_boundary_still_matches_non_ascii_lines() {
    // The multi-pattern DFA gives up on such lines; the patterns then run one by one.
    let cl = cleaner(
        "[clean]\nrule_sets = []\n[clean.heuristic]\nenabled = false\n\
         [[clean.rules]]\nid = \"ascii\"\ncategory = \"test\"\npattern = 'nie'\n\
         [[clean.rules]]\nid = \"unicode-b\"\ncategory = \"test\"\npattern = 'für\\b.*'\n",
    );
    let mut st = StageStats::default();
    let d = cl.decide("für größere Städte\nfürs Protokoll\nnie", &mut st);
    let rules: Vec<&str> = d.removals.iter().map(|r| &*r.rule).collect();
    assert_eq!(rules, ["unicode-b", "ascii"]);
}

/// Lines of every JSONL fixture of the test suite, plus lines made to hit the floating
/// patterns' gates and word limits.
fn fixture_lines() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut files = vec![root.clone()];
    let mut lines = Vec::new();
    while let Some(p) = files.pop() {
        if p.is_dir() {
            let mut entries: Vec<_> = std::fs::read_dir(&p)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .collect();
            entries.sort();
            files.extend(entries);
        } else if p.extension().is_some_and(|e| e == "jsonl") {
            for l in std::fs::read_to_string(&p).unwrap_or_default().lines() {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(l) {
                    if let Some(t) = v.get("text").and_then(|t| t.as_str()) {
                        lines.extend(t.lines().map(|s| s.trim().to_string()));
                    }
                }
            }
        }
    }
    for extra in [
        "Ein Mann steht vor dem Haus. Foto: Max Muster/dpa",
        "Ein Mann steht vor dem Haus (Foto: picture alliance/dpa)",
        "Angela Merkel (l.) und Emmanuel Macron (r.) in Berlin",
        "Home » Politik » Ausland » Europa",
        "Nachrichten > Sport > Fußball > Bundesliga",
        "Öffnungszeiten: Mo - Fr 9 - 17 Uhr",
        "Tel. 030 / 123 456 78",
        "bild_2023-05-01.jpg",
        "Jetzt kostenlos anmelden »",
        "Share to Twitter Share to Facebook",
    ] {
        lines.push(extra.to_string());
        // The same with enough words to pass some word limits and not others.
        lines.push(format!("{} {}", "Wort ".repeat(30), extra));
        lines.push(format!("{} {}", extra, " und so weiter".repeat(20)));
    }
    lines.retain(|l| !l.is_empty());
    lines
}

#[test]
fn line_matching_equals_trying_every_rule_on_its_own() {
    // The shared DFA, the gated floating DFAs, the phrase table and the `contains`
    // phrase set together must pick what trying each line rule by itself, in rule order,
    // picks: the first rule that applies and matches.
    let configs = rules::rule_set("default").unwrap();
    let book = rules::RuleBook::compile(&configs).unwrap();
    let active = vec![true; configs.len()];
    let regexes: Vec<Option<regex::Regex>> = configs
        .iter()
        .map(|c| {
            c.pattern
                .as_ref()
                .filter(|_| c.kind != RuleKind::Span)
                .map(|p| regex::Regex::new(&format!("^(?:{p})$")).unwrap())
        })
        .collect();
    let mut caches = book.caches();
    let (mut key, mut lower, mut buf) = (String::new(), String::new(), String::new());
    let mut checked = 0;
    let mut matched = 0;
    for line in fixture_lines() {
        let words = heuristic::features(&line, &mut buf).words;
        rules::line_key(&line, &mut key);
        lower.clear();
        lower.push_str(&line.to_lowercase());
        for lang in [None, Some("de"), Some("en")] {
            let want = configs.iter().enumerate().position(|(i, c)| {
                let applies = c.kind != RuleKind::Span
                    && (c.languages.is_empty()
                        || lang.is_some_and(|l| c.languages.iter().any(|x| x == l)))
                    && words <= c.max_words.unwrap_or(usize::MAX);
                let phrase = c.phrases.iter().any(|p| {
                    let mut k = String::new();
                    rules::line_key(p, &mut k);
                    k == key
                });
                let contains = c
                    .contains
                    .iter()
                    .any(|p| lower.contains(p.trim().to_lowercase().as_str()));
                let pattern = regexes[i].as_ref().is_some_and(|r| r.is_match(&line));
                applies && (phrase || contains || pattern)
            });
            let input = rules::LineInput {
                trimmed: &line,
                lower: &lower,
                key: &key,
                words,
            };
            let got = book.match_line(&input, &book.doc_scope(lang, &active), &mut caches);
            assert_eq!(got, want, "{line:?} ({lang:?})");
            checked += 1;
            matched += usize::from(got.is_some());
        }
    }
    assert!(
        checked > 3000 && matched > 100,
        "{checked} lines, {matched} matched"
    );
}

#[test]
fn section_rule_does_not_fire_when_article_text_follows() {
    // "Add a comment" under a question: the answers below are the content.
    let cl = cleaner("");
    let q = "How do I read a file line by line in Rust without loading the whole file into memory at once, when the file is larger than the memory of the machine?";
    let a1 = "You can wrap the file in a buffered reader and call the lines method on it, which gives you an iterator over the lines of the file that reads it a piece at a time.";
    let a2 = "If the file is not valid text you should read the bytes instead and split them yourself, because the lines method returns an error on the first invalid sequence it finds.";
    let text = format!("{q}\nAdd a comment\n{a1}\n{a2}");
    let out = cleaned(&cl, &text);
    assert!(out.contains(a1) && out.contains(a2), "{out}");
}

#[test]
fn prose_about_cookies_or_copyright_stays_and_notices_go() {
    let cl = cleaner("");
    let story = "A federal judge ruled on Monday that the copyright lawsuit brought by the authors against the company can go ahead, rejecting its request to dismiss the case.";
    let cookies = "The bakery sold more than two thousand cookies on the first day, and the owner said that the consent of the neighbours had been the hardest part of opening the shop.";
    let text = format!("{story}\n{cookies}\nCopyright 2024 Example Media Inc.\nWe use cookies to improve your experience on our website.");
    let out = cleaned(&cl, &text);
    assert_eq!(out, format!("{story}\n{cookies}"));
}

#[test]
fn form_hints_paywall_offers_and_affiliate_notes_go_and_prose_about_them_stays() {
    let cl = cleaner("");
    let story = "Der Händler zahlt den Verkäufern eine Provision für jeden Vertrag, und die Gewerkschaft verlangt seit Jahren, dass diese Zahlungen offengelegt werden müssen.";
    let story2 = "Die Zeitung stellte im Frühjahr auf ein Abonnement um, mit dem die Leser sofortigen Zugang zu allen Ausgaben des Archivs seit dem Jahr 1950 erhalten.";
    let text = format!(
        "{story}\n{story2}\n\
         Für Links auf dieser Seite erhält das Portal ggf. eine Provision vom Händler.\n\
         * Zeilenumbrüche und Absätze werden automatisch erzeugt.\n\
         Instant access to the full article PDF.\n\
         By clicking Submit, I consent to receiving the above communication.\n\
         Auch lesen: Diese drei Fehler machen fast alle beim Sparen"
    );
    let out = cleaned(&cl, &text);
    assert_eq!(out, format!("{story}\n{story2}"));
}

#[test]
fn author_boxes_go_and_people_introduced_in_prose_stay() {
    let cl = cleaner("");
    let story = "The city council voted on Tuesday to close the old library for two years, and the new reading rooms will open in the town hall while the building is repaired.";
    let quote = "Anna Smith, a professor at the local college who has studied the library's history, said the vote had been expected for months and that the repairs were long overdue.";
    let text = format!(
        "{story}\n{quote}\n\
         Jane Doe is a freelance writer based in Toronto. Her work has appeared in many magazines.\n\
         John Roe writes about housing and local politics for the paper."
    );
    let (out, rules) = cleaned_by(&cl, &text);
    assert_eq!(out, format!("{story}\n{quote}"));
    let bios = rules.iter().filter(|r| *r == "author-bio").count();
    assert_eq!(bios, 2, "{rules:?}");
}

#[test]
fn page_furniture_of_wikis_blogs_and_media_libraries_goes_and_prose_about_it_stays() {
    let cl = cleaner("");
    let story = "The museum opened its new wing on Saturday, and the curators said the tags on every painting now explain where it was found and who owned it before the war.";
    let story2 = "Readers who subscribe to the museum's newsletter were invited a day earlier, and the director asked them to follow the museum on Twitter, where photos of the new rooms appeared within hours.";
    let text = format!(
        "{story}\n{story2}\n\
         Tags: museum, painting, history\n\
         1. Pingback: A weekend in the city – travel notes\n\
         * This page was last edited on 4 March 2026, at 08:07.\n\
         You have read 3 of 5 free articles this month.\n\
         The new wing seen from the park. Click to enlarge.\n\
         Video verfügbar bis 28.02.2027\n\
         Follow The Museum Gazette on Twitter and Instagram @gazette for news of every exhibition.\n\
         Stay informed! Subscribe to our weekly museum newsletter and we will send the best stories, events and exhibitions straight to your inbox every Friday morning."
    );
    let (out, rules) = cleaned_by(&cl, &text);
    assert_eq!(out, format!("{story}\n{story2}"), "{rules:?}");
    for rule in [
        "tag-list",
        "comment-pingback",
        "wiki-last-edited",
        "metered-paywall",
        "click-to-enlarge",
        "video-availability",
        "social-promo",
    ] {
        assert!(rules.iter().any(|r| r == rule), "{rule} not in {rules:?}");
    }
}
