#!/usr/bin/env python3
"""Deterministic benchmark-corpus generator for web-text cleaning and near-duplicate detection.

Python 3 standard library only.  A copy of the project's shared generator, extended with
--classes (the dedup classes of issue 21); without --classes the output is byte-identical
to the shared script's.  Run from the repository root; POOL is the pool of real text
(a directory of *.jsonl / *.jsonl.gz files of {"id", "text", "lang", "source"}):

    python3 benches/make_corpus.py --pool POOL --size-mb 50 \
        --out corpus.jsonl --truth truth.jsonl [--dup-rate 0.1] [--seed 1] [--classes 0.02]

Output (corpus): one JSON object per line, {"id": "...", "text": "..."}; text has one
block (paragraph, heading or debris line) per line, blocks separated by "\n".

What is in it
-------------
* Base documents, built from the real-text pool (--pool).  The pool
  is walked in a seeded random order; each walk is a "pass".
  - pass 0: the pool document as it is; with probability 0.25 one extra paragraph
    made of 2-4 sentences from other pool documents of the same language is inserted.
  - pass k >= 1: the same pool document is rebuilt sentence by sentence: a random
    30-50 % of its sentences (never more than 50 %) are kept in place, each other one is
    (p=0.85) replaced by a sentence from another pool document of the same language;
    headings are kept with p=0.5; a rebuilt document under 150 words is padded with
    paragraphs of 2-4 sentences from other pool documents.  Two base documents that
    come from the same pool document therefore share only a minority of sentences
    (measured 5-shingle Jaccard is far below 0.5, per the shared generator's README), which is
    what lets the corpus be larger than the pool without accidental (near-)duplicates.
    Individual sentences (and very short lines such as headings) do recur across base
    documents, as they do on the web.
* Injected duplicates, a fraction --dup-rate of all output documents, each a copy of an
  earlier base document, placed anywhere after it:
  - "exact": byte-identical text (debris included);
  - "near": the original's content (its debris removed) with realistic edits, at least
    one of: word substitutions/deletions/insertions at a rate of 0.5-5 % of words (skewed
    towards light edits, median ~1.6 %),
    a changed header (title suffix or an added date/by-line), an added footer line,
    paragraph reorder (swap or move), truncation (keep 70-95 % of the words); then its
    own, freshly drawn debris.
* Scraping debris lines (breadcrumbs, navigation, photo credits, "Anzeige", share
  buttons, comment-form lines, cookie notices, copyright lines ...), in German or English
  by document language (10 % of the time the other language), inserted as whole lines at
  the top, between paragraphs or at the bottom of a fraction --debris-rate of documents.

Truth (one JSON object per line, only for documents that are duplicates or carry debris):
  {"id": ..., "dup_of": <id or null>, "kind": "exact"|"near"|null,
   "edit_rate": <float or null>, "jaccard": <float or null>, "ops": {...} or null,
   "debris": [<exact debris lines in this document>]}
  edit_rate = (word edits + words cut by truncation + words of added header/footer lines)
              / words of the original's content.
  jaccard   = exact Jaccard of word-5-shingle sets (lower-cased, whitespace tokens) of the
              duplicate's and the original's full text, i.e. what a MinHash tool sees.

Dedup classes (--classes RATE, default 0 = off): after each document, for each class
with probability RATE, a group is injected (its later members delayed by up to 30
documents).  Texts are remixed real pool sentences or real Reuters reports given new
figures and names, never copies of base documents.  Truth: every class document gets a
line with "kind" = the class, "group" (shared by the group), "role" (original / copy /
member), "dup_of" (the original, for copies; null otherwise), "jaccard" and "containment"
(5-shingles, against the group's first document), "ops", and "form" for some classes.
  positive (a copy IS a duplicate of its original):
    short    20-45 words; the copy has one stray character (inserted, doubled or dropped
             letter, stray punctuation) or one word's case changed
    lines    short-line documents: "wrapped" (hard-wrapped ~60-75 columns, the copy with
             light word edits wrapped at another width), "rewrapped" (paragraphs once,
             hard-wrapped once), "table" (a Reuters earnings table, one figure changed or
             one row dropped), "list" (8-14 headlines, one replaced or dropped)
    stub     the copy: its own headline, 1-2 paragraphs of the original, one closing line
    excerpt  the copy: the original's first 25-60 % of words (a truncated first take)
  negative (no member is a duplicate of anything):
    residue  3-4 different earnings tables ending in the same closing note; cleaning
             leaves little more than that note
    template 3-4 copies of one real Reuters report (dividend notice, earnings table, or
             a 60-250-word report) with new figures, company name, dateline and date
The corpus may end a few documents past --size-mb (pending delayed class documents).

Determinism: output depends only on the pool files (read in sorted name order), the
arguments and --seed; it does not depend on PYTHONHASHSEED.
"""

import argparse
import gzip
import json
import os
import random
import re
import sys

SENT_SPLIT = re.compile(
    r"(?<=[.!?…])(?:[\"'“”‘’»«)\]]*)\s+(?=[\"'„“‘»«(\[]?[A-ZÄÖÜ0-9])"
)
NUM = re.compile(r"^\d+([.,]\d+)*$")
MIN_REMIX_WORDS = 150

# ----------------------------------------------------------------------------- debris

DE = {
    "sec": [
        "Politik",
        "Wirtschaft",
        "Sport",
        "Kultur",
        "Panorama",
        "Wissenschaft",
        "Inland",
        "International",
        "Web",
        "Etat",
        "Lokales",
        "Meinung",
        "Gesundheit",
        "Reisen",
        "Auto",
    ],
    "sub": [
        "Ausland",
        "Europa",
        "Deutschland",
        "Österreich",
        "Fußball",
        "Bundesliga",
        "Börse",
        "Unternehmen",
        "Finanzen",
        "Netzpolitik",
        "Kino",
        "Musik",
        "Nahost",
        "USA",
        "Bildung",
        "Klima",
        "Justiz",
        "Wien",
        "Berlin",
        "Digital",
    ],
    "site": [
        "derStandard.at",
        "Zeitung Online",
        "Nachrichten24",
        "Tagesblatt",
        "Stadtanzeiger",
        "Abendpost",
        "Rundschau Online",
        "Kurier Digital",
        "Newsportal.de",
        "Wochenblatt",
    ],
    "top": [
        "Home » {sec} » {sub}",
        "Startseite › {sec} › {sub}",
        "Sie sind hier: Startseite > {sec} > {sub}",
        "Startseite / {sec} / {sub}",
        "Menü",
        "Suche",
        "Navigation überspringen",
        "Zum Inhalt springen",
        "Anmelden | Registrieren",
        "E-Paper",
        "{date} | Lesezeit: {n} Min.",
        "Hauptmenü öffnen",
    ],
    "mid": [
        "Foto: {agency}",
        "Foto: {agency}/{person}",
        "Bild: {agency}",
        "(Quelle: {agency})",
        "Quelle: {agency}",
        "© {agency}",
        "Anzeige",
        "ANZEIGE",
        "Lesen Sie auch: {headline}",
        "Mehr zum Thema: {headline}",
        "Video: {headline}",
        "Bildergalerie: {n} Bilder",
        "Foto: {person}",
        "Das könnte Sie auch interessieren",
    ],
    "bot": [
        "Teilen",
        "Twittern",
        "Auf Facebook teilen",
        "Per E-Mail versenden",
        "Drucken",
        "Artikel drucken",
        "Kommentare ({n})",
        "Kommentar schreiben",
        "Ihr Name *",
        "Ihre E-Mail-Adresse wird nicht veröffentlicht. Erforderliche Felder sind mit * markiert.",
        "Diese Website verwendet Cookies. Wenn Sie die Website weiter nutzen, gehen wir von Ihrem Einverständnis aus. OK",
        "Wir verwenden Cookies, um Ihnen das beste Nutzererlebnis bieten zu können. Mehr erfahren",
        "Newsletter abonnieren",
        "© {year} {site} – Alle Rechte vorbehalten",
        "Impressum | Datenschutz | Kontakt",
        "Jetzt kostenlos registrieren",
        "Zurück nach oben",
        "Schlagworte: {sec}, {sub}",
        "Posten Sie Ihre Meinung",
        "Zum Forum ({n} Postings)",
    ],
    "header": [
        "Veröffentlicht am {date}",
        "{date}, {time} Uhr",
        "Aktualisiert am {date} um {time} Uhr",
        "Von {person} | {date}",
        "{sec} | {date}",
    ],
    "footer": [
        "Dieser Artikel erschien zuerst auf {site}.",
        "({agency_short}, {date_short})",
        "Mit Material von {agency_short} und {agency_short2}",
        "Quelle: {site}",
        "Alle Angaben ohne Gewähr.",
        "Mehr Nachrichten auf {site}",
    ],
}
EN = {
    "sec": [
        "News",
        "World",
        "Business",
        "Sport",
        "Politics",
        "Technology",
        "Entertainment",
        "Science",
        "Health",
        "Opinion",
        "Markets",
        "Lifestyle",
        "UK",
        "US",
    ],
    "sub": [
        "Europe",
        "Asia",
        "Americas",
        "Football",
        "Cricket",
        "Tennis",
        "Economy",
        "Companies",
        "Commodities",
        "Film",
        "Music",
        "Middle East",
        "Africa",
        "Elections",
        "Gadgets",
        "Energy",
    ],
    "site": [
        "Example Times",
        "Daily Courier",
        "NewsNow Online",
        "The Herald Online",
        "City Gazette",
        "Morning Post Digital",
        "WorldWire",
        "The Chronicle",
        "Metro Online",
        "Newsdesk24",
    ],
    "top": [
        "Home » {sec} » {sub}",
        "Home > {sec} > {sub}",
        "You are here: Home / {sec} / {sub}",
        "Skip to main content",
        "Menu",
        "Search",
        "Sign in | Register",
        "{date} | {n} min read",
        "Subscribe",
        "Toggle navigation",
    ],
    "mid": [
        "Photo: {agency}",
        "Photograph: {person}/{agency}",
        "Image: {agency}",
        "(Source: {agency})",
        "Image copyright {agency}",
        "Image caption {headline}",
        "Advertisement",
        "ADVERTISEMENT",
        "Read more: {headline}",
        "Related: {headline}",
        "Watch: {headline}",
        "Photo: {person}",
        "Story continues below advertisement",
    ],
    "bot": [
        "Share",
        "Share on Facebook",
        "Share on Twitter",
        "Email",
        "Print",
        "Comments ({n})",
        "Leave a comment",
        "Leave a Reply Cancel reply",
        "Your email address will not be published. Required fields are marked *",
        "We use cookies to ensure that we give you the best experience on our website. Accept",
        "This website uses cookies to improve your experience. Accept Read More",
        "Sign up for our newsletter",
        "© {year} {site}. All rights reserved.",
        "Privacy Policy | Terms of Use | Contact Us",
        "Back to top",
        "Tags: {sec}, {sub}",
        "Copy link",
        "Click here to subscribe",
    ],
    "header": [
        "Published {date_en}",
        "Updated {date_en}, {time} GMT",
        "By {person} | {date_en}",
        "{sec} | {date_en}",
        "Last modified on {date_en}",
    ],
    "footer": [
        "This article originally appeared on {site}.",
        "Additional reporting by {agency_short}.",
        "Copyright {year} {site}. All rights reserved.",
        "Source: {site}",
        "Reporting by {person}; Editing by {person2}",
        "More news at {site}",
    ],
}
AGENCIES = [
    "dpa",
    "APA",
    "Reuters",
    "AFP",
    "AP",
    "Getty Images",
    "imago images",
    "EPA",
    "picture alliance",
    "PA",
    "APA/Hans Klaus Techt",
    "REUTERS/Leonhard Foeger",
    "AFP/Joe Klamar",
    "Keystone",
]
AGENCY_SHORT = ["APA", "dpa", "Reuters", "AFP", "AP", "red", "sda"]
FIRST = [
    "Anna",
    "Thomas",
    "Maria",
    "Michael",
    "Julia",
    "Stefan",
    "Laura",
    "Peter",
    "Sarah",
    "David",
    "John",
    "Emma",
    "James",
    "Olivia",
    "Robert",
    "Sophie",
    "Daniel",
    "Claire",
    "Mark",
    "Lena",
]
LAST = [
    "Müller",
    "Schmidt",
    "Huber",
    "Gruber",
    "Wagner",
    "Bauer",
    "Fischer",
    "Weber",
    "Smith",
    "Jones",
    "Brown",
    "Taylor",
    "Wilson",
    "Davies",
    "Evans",
    "Hofer",
    "Novak",
    "Becker",
    "Klein",
    "Wood",
]
MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


class Debris:
    def __init__(self, rng, headlines):
        self.rng = rng
        self.headlines = headlines  # lang -> list of real first lines of pool docs

    def fill(self, tpl, lang):
        r = self.rng
        d = DE if lang == "de" else EN
        y, m, day = r.randint(2004, 2024), r.randint(1, 12), r.randint(1, 28)
        vals = {
            "sec": r.choice(d["sec"]),
            "sub": r.choice(d["sub"]),
            "site": r.choice(d["site"]),
            "agency": r.choice(AGENCIES),
            "agency_short": r.choice(AGENCY_SHORT),
            "agency_short2": r.choice(AGENCY_SHORT),
            "year": str(y),
            "person": f"{r.choice(FIRST)} {r.choice(LAST)}",
            "person2": f"{r.choice(FIRST)} {r.choice(LAST)}",
            "n": str(r.choice([2, 3, 4, 5, 6, 7, 8, 12, 15, 23, 41, 87, 120, 356])),
            "date": f"{day}.{m}.{y}" if r.random() < 0.5 else f"{day:02d}.{m:02d}.{y}",
            "date_short": f"{day}.{m}.{y}",
            "date_en": f"{day} {MONTHS_EN[m - 1]} {y}",
            "time": f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}",
        }
        if "{headline}" in tpl:
            h = r.choice(self.headlines[lang])
            vals["headline"] = h if len(h) <= 90 else h[:87].rsplit(" ", 1)[0] + " …"
        return tpl.format(**vals)

    def pick(self, kind, lang):
        if self.rng.random() < 0.1:  # foreign-language site furniture happens
            lang = "en" if lang == "de" else "de"
        d = DE if lang == "de" else EN
        return self.fill(self.rng.choice(d[kind]), lang)

    def inject(self, tagged, lang):
        """Insert 1..~6 debris lines into a list of (line, is_debris) pairs; returns the new list."""
        r = self.rng
        used = {l for l, _ in tagged}

        def draw(kind, k):
            got = []
            for _ in range(k):
                for _try in range(10):
                    line = self.pick(kind, lang)
                    if line not in used:
                        used.add(line)
                        got.append(line)
                        break
            return got

        top = draw("top", r.choice([0, 0, 1, 1, 2]))
        mid = draw("mid", r.choice([0, 0, 1, 1, 2]))
        bot = draw("bot", r.choice([0, 1, 1, 2, 3]))
        if not (top or mid or bot):
            bot = draw("bot", 1)
        tagged = list(tagged)
        for m in mid:
            pos = (
                r.randint(1, max(1, len(tagged) - 1))
                if len(tagged) > 1
                else len(tagged)
            )
            tagged.insert(pos, (m, True))
        return [(t, True) for t in top] + tagged + [(b, True) for b in bot]


# ----------------------------------------------------------------------------- pool


class PoolDoc:
    __slots__ = ("_sents", "id", "lang", "lines", "source")

    def __init__(self, d):
        self.id, self.lang, self.source = (
            d["id"],
            d.get("lang", "en"),
            d.get("source", ""),
        )
        self.lines = [l.strip() for l in d["text"].split("\n") if l.strip()]
        self._sents = None

    def sents(self):
        if self._sents is None:
            self._sents = [split_sentences(l) for l in self.lines]
        return self._sents


def split_sentences(line):
    return [s for s in (x.strip() for x in SENT_SPLIT.split(line)) if s]


def is_heading(s):
    return len(s) < 80 and not s.rstrip().endswith(
        (".", "!", "?", "…", ":", '"', "“", "”")
    )


def load_pool(path):
    files = []
    if os.path.isdir(path):
        for name in sorted(os.listdir(path)):
            if name.endswith((".jsonl", ".jsonl.gz")):
                files.append(os.path.join(path, name))
    else:
        files = [path]
    docs = []
    for fp in files:
        op = gzip.open if fp.endswith(".gz") else open
        with op(fp, "rt", encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    docs.append(PoolDoc(json.loads(line)))
    if not docs:
        sys.exit(f"no pool documents found under {path}")
    return docs


# ----------------------------------------------------------------------------- helpers


def truncate_words(lines, target, tail):
    """The first `target` words of `lines`, whole lines first; the line that does not fit
    is cut, with `tail()` appended, when at least 8 of its words fit, else dropped.
    Returns the lines and their word count."""
    out, acc = [], 0
    for line in lines:
        toks = line.split()
        if acc + len(toks) <= target:
            out.append(line)
            acc += len(toks)
        else:
            rest = target - acc
            if rest >= 8:
                out.append(" ".join(toks[:rest]) + tail())
                acc += rest
            break
    return out, acc


def shingles(text, n=5):
    toks = text.lower().split()
    if len(toks) < n:
        return {" ".join(toks)}
    return {" ".join(toks[i : i + n]) for i in range(len(toks) - n + 1)}


def jaccard(a, b):
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb) if (sa or sb) else 1.0


class Generator:
    def __init__(self, pool, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.pool = pool
        self.by_lang = {}
        for i, d in enumerate(pool):
            self.by_lang.setdefault(d.lang, []).append(i)
        headlines = {}
        for d in pool:
            if not d.lines:
                continue
            first = split_sentences(d.lines[0])[0] if d.lines[0] else ""
            if d.source == "dewiki" and d.id.startswith("dewiki-"):
                first = d.id[len("dewiki-") :].rsplit("-", 1)[0].replace("_", " ")
            if 10 <= len(first) <= 120:
                headlines.setdefault(d.lang, []).append(first)
        for lang in ("de", "en"):
            headlines.setdefault(
                lang, headlines.get("en") or headlines.get("de") or ["News"]
            )
        self.debris = Debris(self.rng, headlines)
        self.vocab = {}
        for lang, idx in self.by_lang.items():
            sample = self.rng.sample(idx, min(len(idx), 400))
            words = []
            for i in sorted(sample):
                words.extend(
                    w
                    for w in " ".join(pool[i].lines).split()
                    if w.isalpha() and len(w) > 2
                )
            self.vocab[lang] = words or ["und", "the"]
        self.order, self.pass_no, self.pos = [], -1, 0
        self._next_pass()

    def _next_pass(self):
        self.pass_no += 1
        self.order = list(range(len(self.pool)))
        self.rng.shuffle(self.order)
        self.pos = 0

    def foreign_sentence(self, lang, exclude):
        r, idx = self.rng, self.by_lang[lang]
        for _ in range(20):
            d = self.pool[idx[r.randrange(len(idx))]]
            if d is exclude:
                continue
            cand = [s for line in d.sents() for s in line if not is_heading(s)]
            if cand:
                return r.choice(cand)
        return None

    def remixed_paragraph(self, lang, exclude):
        sents = [
            self.foreign_sentence(lang, exclude) for _ in range(self.rng.randint(2, 4))
        ]
        return " ".join(s for s in sents if s)

    # --- base documents
    def base_lines(self):
        if self.pos >= len(self.order):
            self._next_pass()
        p = self.pool[self.order[self.pos]]
        self.pos += 1
        r = self.rng
        if self.pass_no == 0:
            lines = list(p.lines)
            if r.random() < 0.25:
                para = self.remixed_paragraph(p.lang, p)
                if para:
                    lines.insert(r.randint(1, len(lines)), para)
            return p, lines
        # keep an exact share of the sentences (not a per-sentence coin flip: short
        # documents would otherwise often come out whole), never more than 50 %
        sents_all = p.sents()
        body = [
            (li, si)
            for li, sents in enumerate(sents_all)
            if not (len(sents) == 1 and is_heading(sents[0]))
            for si in range(len(sents))
        ]
        n_keep = min(round(r.uniform(0.3, 0.5) * len(body)), int(0.5 * len(body)))
        keep = set(r.sample(range(len(body)), n_keep)) if body else set()
        keep = {body[i] for i in keep}
        out = []
        for li, sents in enumerate(sents_all):
            if len(sents) == 1 and is_heading(sents[0]):
                if r.random() < 0.5:
                    out.append(sents[0])
                continue
            new = []
            for si, s in enumerate(sents):
                if (li, si) in keep:
                    new.append(s)
                elif r.random() < 0.85:
                    f = self.foreign_sentence(p.lang, p)
                    if f:
                        new.append(f)
            if new:
                out.append(" ".join(new))
        # short rebuilt documents are padded with remixed paragraphs: a short document
        # that shares one long sentence with another one would otherwise reach J ~0.5
        for _ in range(20):
            if sum(len(l.split()) for l in out) >= MIN_REMIX_WORDS:
                break
            para = self.remixed_paragraph(p.lang, p)
            if para:
                out.insert(r.randint(1 if out else 0, len(out)), para)
        return p, out

    # --- near-duplicate edits
    def word_edits(self, lines, lang, rate):
        r, vocab = self.rng, self.vocab[lang]
        n_sub = n_del = n_ins = 0
        out = []
        for line in lines:
            toks = line.split()
            new = []
            for t in toks:
                if r.random() >= rate:
                    new.append(t)
                    continue
                op = r.random()
                if op < 0.5:
                    n_sub += 1
                    if NUM.match(t):
                        new.append(str(r.randint(2, 2020)))
                    else:
                        w = r.choice(vocab)
                        new.append(w.lower() if t[:1].islower() else w)
                elif op < 0.8:
                    n_del += 1
                else:
                    n_ins += 1
                    new.append(t)
                    new.append(r.choice(vocab).lower())
            if new:
                out.append(" ".join(new))
        return out, n_sub, n_del, n_ins

    def near_dup(self, orig_lines, lang):
        r, a = self.rng, self.args
        lines = list(orig_lines)
        words0 = sum(len(l.split()) for l in lines)
        ops, edits, added_debris = {}, 0, []
        flags = {
            "words": r.random() < 0.85,
            "header": r.random() < 0.3,
            "footer": r.random() < 0.3,
            "reorder": r.random() < 0.25 and len(lines) >= 3,
            "truncate": r.random() < 0.25 and words0 >= 60,
        }
        if not any(flags.values()):
            flags["words"] = True
        if flags["truncate"]:
            target = int(words0 * r.uniform(0.7, 0.95))
            kept, acc = truncate_words(
                lines, target, lambda: r.choice(["", " …", " ...", " [...]"])
            )
            ops["truncate_words"] = words0 - acc
            edits += words0 - acc
            lines = kept or lines[:1]
        if flags["reorder"] and len(lines) >= 3:
            i = r.randint(1, len(lines) - 2)
            if r.random() < 0.5:
                lines[i], lines[i + 1] = lines[i + 1], lines[i]
                ops["reorder"] = "swap"
            else:
                j = r.randint(1, len(lines) - 1)
                lines.insert(j, lines.pop(i))
                ops["reorder"] = "move"
        if flags["words"]:
            # skewed towards light edits: median ~1.6 % with the defaults
            rate = a.min_edit + (a.max_edit - a.min_edit) * r.random() ** 2
            lines2, s, d, ins = self.word_edits(lines, lang, rate)
            while s + d + ins == 0:  # short text: make sure the op did something
                lines2, s, d, ins = self.word_edits(
                    lines, lang, max(rate, 1.0 / max(1, words0))
                )
            lines = lines2
            ops.update(
                {
                    "word_rate": round(rate, 4),
                    "word_sub": s,
                    "word_del": d,
                    "word_ins": ins,
                }
            )
            edits += s + d + ins
        if flags["header"]:
            if r.random() < 0.5 and lines:
                site = r.choice((DE if lang == "de" else EN)["site"])
                sep = r.choice([" | ", " - ", " – ", " : "])
                lines[0] = lines[0] + sep + site
                ops["header"] = "title_suffix"
                edits += len(site.split())
            else:
                h = self.debris.fill(
                    r.choice((DE if lang == "de" else EN)["header"]), lang
                )
                lines.insert(0, h)
                added_debris.append(0)
                ops["header"] = "added_line"
                edits += len(h.split())
        if flags["footer"]:
            ft = self.debris.fill(
                r.choice((DE if lang == "de" else EN)["footer"]), lang
            )
            lines.append(ft)
            added_debris.append(len(lines) - 1)
            ops["footer"] = "added_line"
            edits += len(ft.split())
        return lines, added_debris, ops, edits / max(1, words0)

    def with_debris(self, lines, lang, forced_idx=()):
        """Optionally add debris.  Lines at forced_idx are already debris (added header/footer).
        Returns (lines, debris_lines, debris_indices)."""
        forced = set(forced_idx)
        tagged = [(l, i in forced) for i, l in enumerate(lines)]
        if self.rng.random() < self.args.debris_rate:
            tagged = self.debris.inject(tagged, lang)
        return (
            [l for l, _ in tagged],
            [l for l, d in tagged if d],
            [i for i, (_, d) in enumerate(tagged) if d],
        )


# ----------------------------------------------------------------------------- --classes

CLASSES = ("residue", "short", "lines", "stub", "excerpt", "template")
NEGATIVE_CLASSES = ("residue", "template")
NUMTOK = re.compile(r"(?:\d[\d,.]*\d|\d)(?![A-Za-z])")
COMPANY_WORDS = [
    "Alder",
    "Birch",
    "Cedar",
    "Dover",
    "Elgin",
    "Fulton",
    "Granite",
    "Harbor",
    "Irving",
    "Juniper",
    "Kendall",
    "Linden",
    "Marlow",
    "Norwood",
    "Oakley",
    "Preston",
    "Quincy",
    "Redwood",
    "Sterling",
    "Tilden",
    "Union",
    "Vernon",
    "Walden",
    "Yardley",
    "Zenith",
]
COMPANY_SUFFIX = [
    "Corp",
    "Inc",
    "Co",
    "Industries Inc",
    "Financial Corp",
    "Holdings Inc",
    "Bancorp",
    "Group Plc",
    "Resources Ltd",
    "Systems Inc",
]
CITIES = [
    "NEW YORK",
    "CHICAGO",
    "HOUSTON",
    "DALLAS",
    "BOSTON",
    "TORONTO",
    "LONDON",
    "ATLANTA",
    "DENVER",
    "MIAMI, Fla.",
    "SAN FRANCISCO",
    "PITTSBURGH",
    "MINNEAPOLIS",
]
MONTHS_SHORT = [
    "Jan",
    "Feb",
    "March",
    "April",
    "May",
    "June",
    "July",
    "Aug",
    "Sept",
    "Oct",
    "Nov",
    "Dec",
]
SIGNOFFS = {
    "en": [
        "NOTE: Prices are in dlrs per tonne unless stated; all figures are provisional.",
        "NOTE: Figures are unaudited and subject to revision.",
        "Source: exchange floor reports compiled by Reuters.",
        "All results restated for discontinued operations.",
    ],
    "de": [
        "Alle Angaben ohne Gewähr, Kurse in Euro.",
        "Quelle: Börse, zusammengestellt von dpa-AFX.",
        "Die Zahlen sind vorläufig und ungeprüft.",
    ],
}
CLOSINGS = {
    "en": [
        "(Reporting by {person}; Editing by {person2})",
        "More to follow.",
        "Reuters",
        "Additional reporting by {person}.",
        "-- Newsroom +1 212 555 0100",
    ],
    "de": [
        "Mehr in Kürze.",
        "(dpa)",
        "Weitere Informationen folgen.",
        "Mit Material von {person}.",
    ],
}
STRAY = ".,;:'`-_*#/\\|"


class ClassInjector:
    """Pairs and groups of documents for the dedup classes of issue 21 (--classes RATE).

    Uses its own random stream, so the other documents do not depend on the rate, and
    with --classes 0 (the default) nothing here runs and the output is unchanged.
    Every text is built from real pool sentences (remixed across pool documents, so no
    class document is a copy of a base document) or from real Reuters reports with new
    figures and names.
    """

    def __init__(self, g, seed):
        self.g = g
        self.rng = random.Random(f"classes-{seed}")
        self.group_no = self.n_lines = self.n_template = 0
        pool = g.pool
        self.sents = {}
        self.heads = {}
        for lang, idx in g.by_lang.items():
            sample = sorted(self.rng.sample(idx, min(len(idx), 600)))
            s, h = [], []
            for i in sample:
                d = pool[i]
                if d.lines and 15 <= len(d.lines[0]) <= 90 and is_heading(d.lines[0]):
                    h.append(d.lines[0])
                for line in d.sents():
                    s.extend(
                        x
                        for x in line
                        if not is_heading(x) and 8 <= len(x.split()) <= 40
                    )
            self.sents[lang] = s
            self.heads[lang] = h or ["News"]
        # Reuters material, as lists of lines: earnings tables; dividend notices (the
        # headline and the dateline sentence: "... declared a quarterly dividend of 12 cts
        # per share, payable April 1, record March 15."); figure-dense reports.
        reuters = [d for d in pool if d.source == "reuters"]

        def words(lines):
            return sum(len(ln.split()) for ln in lines)

        self.tables = [
            d.lines
            for d in reuters
            if sum(1 for ln in d.lines if ln.startswith(("Shr ", "Net ", "Rev"))) >= 3
        ]
        self.dividends = [
            d.lines[:2]
            for d in reuters
            if len(d.lines) >= 2
            and "dividend" in d.lines[1]
            and "record" in d.lines[1]
            and len(NUMTOK.findall(d.lines[1])) >= 2
            and 15 <= words(d.lines[:2]) <= 50
        ]
        self.reports = [
            d.lines
            for d in reuters
            if 80 <= words(d.lines) <= 250
            and len(NUMTOK.findall(" ".join(d.lines[1:]))) * 12 >= words(d.lines)
            and not any(ln.startswith(("Shr ", "Net ")) for ln in d.lines)
        ]
        fallback = [d.lines for d in pool if d.lang == "en"][:50] or [
            d.lines for d in pool[:50]
        ]
        for name in ("tables", "dividends", "reports"):
            if not getattr(self, name):
                setattr(self, name, fallback)

    # --- text material
    def lang(self):
        return "en" if self.rng.random() < 0.7 or "de" not in self.sents else "de"

    def paragraph(self, lang, k=None):
        r = self.rng
        return " ".join(r.choice(self.sents[lang]) for _ in range(k or r.randint(2, 4)))

    def person(self):
        return f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"

    def company(self):
        r = self.rng
        return f"{r.choice(COMPANY_WORDS)} {r.choice(COMPANY_WORDS)} {r.choice(COMPANY_SUFFIX)}"

    def new_number(self, tok):
        """A different number of the same shape (digits, separators kept)."""
        r = self.rng
        out = "".join(
            str(r.randint(1 if i == 0 else 0, 9)) if c.isdigit() else c
            for i, c in enumerate(tok)
        )
        return out if out != tok else out[:-1] + str((int(out[-1]) + 1) % 10)

    def refigure(self, lines):
        """A Reuters report with new figures, a new company name, dateline and date."""
        r = self.rng
        head = lines[0]
        # the company: the headline up to its ticker (no ticker: no company to rename)
        name = re.split(
            r"\s*<|\s+\d|\s+(?:REPORTS|SETS|DECLARES|SAYS|4TH|3RD|2ND|1ST|YEAR|QTR)\b",
            head,
        )[0].strip()
        co = self.company()
        out = []
        for i, ln in enumerate(lines):
            if "<" in head and len(name) > 3:
                ln = ln.replace(name, co.upper() if i == 0 else co)
                ln = ln.replace(name.title(), co)
            ln = re.sub(
                r"<[A-Z.]+>", "<" + "".join(w[0] for w in co.split()).upper() + "X>", ln
            )
            ln = NUMTOK.sub(lambda m: self.new_number(m.group(0)), ln)
            ln = re.sub(
                r"^[A-Z][A-Za-z .,]+, [A-Z][a-z]+ \d+ - ",
                f"{r.choice(CITIES)}, {r.choice(MONTHS_SHORT)} {r.randint(1, 28)} - ",
                ln,
            )
            out.append(ln)
        return out

    # --- one group per class: list of (delay, text, role, extra truth)
    def residue(self):
        """Different tables (cleaning removes their figures) ending in one shared note."""
        r = self.rng
        note = r.choice(SIGNOFFS["en"])
        docs = []
        for _ in range(r.randint(3, 4)):
            rows = [ln for ln in r.choice(self.tables) if not ln.startswith("NOTE")][
                :12
            ]
            docs.append(
                (
                    r.randint(0, 20),
                    "\n".join(self.refigure(rows) + [note]),
                    "member",
                    {"form": "table"},
                )
            )
        return docs

    def short(self):
        """A 20-45-word item and a later copy with one stray character or one word's case changed."""
        r, lang = self.rng, self.lang()
        words = []
        while len(words) < 20:  # whole sentences, cut at 45 words
            words += r.choice(self.sents[lang]).split()
        words = words[:45]
        if words[-1][-1] not in ".!?":
            words[-1] += "."
        text = " ".join(words)
        cand = [i for i, w in enumerate(words) if w.isalpha() and len(w) >= 3]
        i = r.choice(cand or [0])
        w = words[i]
        op = r.choice(["insert", "double", "drop", "punct", "case", "upper"])
        if op == "insert":
            k = r.randint(1, len(w) - 1)
            w = w[:k] + r.choice("abcdefghijklmnopqrstuvwxyz") + w[k:]
        elif op == "double":
            k = r.randint(0, len(w) - 1)
            w = w[:k] + w[k] + w[k:]
        elif op == "drop":
            k = r.randint(1, len(w) - 1)
            w = w[:k] + w[k + 1 :]
        elif op == "punct":
            w = w + r.choice(STRAY) if r.random() < 0.7 else r.choice(STRAY) + w
        elif op == "case":
            w = w[0].swapcase() + w[1:]
        else:
            w = w.upper() if w != w.upper() else w.lower()
        copy = words[:i] + [w] + words[i + 1 :]
        if r.random() < 0.4:  # same short headline on top of both
            h = r.choice(self.heads[lang])
            text, ctext = h + "\n" + text, h + "\n" + " ".join(copy)
        else:
            ctext = " ".join(copy)
        return [
            (0, text, "original", {}),
            (r.randint(1, 30), ctext, "copy", {"ops": {"stray": op}}),
        ]

    def lines(self):
        """Documents of short lines: hard-wrapped text, a figures table, a list; and a copy."""
        r, lang = self.rng, self.lang()
        forms = [
            "wrapped",
            "rewrapped",
            "table",
            "list",
        ]  # in turn, so each form is present
        form = forms[self.n_lines % len(forms)]
        self.n_lines += 1
        ops = {}
        if form in ("wrapped", "rewrapped"):
            paras = [
                self.paragraph(lang, r.randint(3, 5)) for _ in range(r.randint(2, 4))
            ]
            width = r.randint(60, 75)

            def wrap(ps, wd):
                out = []
                for p in ps:
                    line = []
                    for w in p.split():
                        if line and len(" ".join(line + [w])) > wd:
                            out.append(" ".join(line))
                            line = []
                        line.append(w)
                    if line:
                        out.append(" ".join(line))
                return out

            head = r.choice(self.heads[lang])
            orig = [head] + (wrap(paras, width) if form == "wrapped" else paras)
            if form == "wrapped":  # light edits, wrapped at another width
                eparas, s, d, ins = (
                    self.g.word_edits(paras, lang, 0.01)
                    if r.random() < 0.6
                    else (paras, 0, 0, 0)
                )
                ops = {
                    "word_sub": s,
                    "word_del": d,
                    "word_ins": ins,
                    "widths": [width, width + 3],
                }
                copy = [head] + wrap(eparas, width + 3)
            else:  # paragraphs once, hard-wrapped once
                ops = {"rewrap": width}
                copy = [head] + wrap(paras, width)
        elif form == "table":
            orig = self.refigure(r.choice(self.tables))
            copy = list(orig)
            rows = [i for i, ln in enumerate(copy) if NUMTOK.search(ln) and i > 0]
            if rows and r.random() < 0.5:
                i = r.choice(rows)
                copy[i] = NUMTOK.sub(
                    lambda m: self.new_number(m.group(0)), copy[i], count=1
                )
                ops = {"changed_figure": 1}
            elif len(copy) > 4:
                del copy[r.randint(2, len(copy) - 1)]
                ops = {"dropped_row": 1}
        else:
            items = r.sample(
                self.heads[lang], min(len(self.heads[lang]), r.randint(8, 14))
            )
            orig = [
                r.choice(
                    ["Top stories", "Latest headlines", "Meistgelesen", "Most read"]
                )
            ] + items
            copy = list(orig)
            i = r.randint(1, len(copy) - 1)
            if r.random() < 0.5:
                copy[i] = r.choice(self.heads[lang])
                ops = {"replaced_item": 1}
            else:
                del copy[i]
                ops = {"dropped_item": 1}
        return [
            (0, "\n".join(orig), "original", {"form": form}),
            (r.randint(1, 30), "\n".join(copy), "copy", {"form": form, "ops": ops}),
        ]

    def long_doc(self, lang):
        r = self.rng
        return [r.choice(self.heads[lang])] + [
            self.paragraph(lang, r.randint(3, 4)) for _ in range(r.randint(5, 7))
        ]

    def stub(self):
        """A long report, and a later stub: its own headline, 1-2 of its paragraphs, one closing line."""
        r, lang = self.rng, self.lang()
        orig = self.long_doc(lang)
        k = r.randint(1, 2)
        i = r.randint(1, len(orig) - k)
        closing = self.g.debris.fill(r.choice(CLOSINGS[lang]), lang)
        copy = [r.choice(self.heads[lang])] + orig[i : i + k] + [closing]
        return [
            (0, "\n".join(orig), "original", {}),
            (r.randint(1, 30), "\n".join(copy), "copy", {"ops": {"paragraphs": k}}),
        ]

    def excerpt(self):
        """A long report, and a later truncated first take wholly contained in it."""
        r, lang = self.rng, self.lang()
        orig = self.long_doc(lang)
        words0 = sum(len(ln.split()) for ln in orig)
        target = int(words0 * r.uniform(0.25, 0.6))
        out, acc = truncate_words(orig, target, lambda: "")
        return [
            (0, "\n".join(orig), "original", {}),
            (
                r.randint(1, 30),
                "\n".join(out),
                "copy",
                {"ops": {"kept_share": round(acc / words0, 3)}},
            ),
        ]

    def template(self):
        """Recurring reports: one real Reuters report (a dividend notice, an earnings table or a
        longer report), each time with new figures and names.  None is a duplicate."""
        r = self.rng
        forms = ["dividend", "earnings", "report"]
        form = forms[self.n_template % len(forms)]
        self.n_template += 1
        src = r.choice(
            {
                "dividend": self.dividends,
                "earnings": self.tables,
                "report": self.reports,
            }[form]
        )
        return [
            (
                r.randint(0, 25),
                "\n".join(self.refigure(src)),
                "member",
                {"form": form},
            )
            for _ in range(r.randint(3, 4))
        ]

    def groups(self, rate):
        """The groups to inject after one document: each class with probability rate."""
        out = []
        for kind in CLASSES:
            if self.rng.random() < rate:
                self.group_no += 1
                out.append((kind, f"g{self.group_no:05d}", getattr(self, kind)()))
        return out


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--pool", required=True, help="pool dir (*.jsonl, *.jsonl.gz) or one file"
    )
    ap.add_argument(
        "--size-mb",
        type=float,
        required=True,
        help="stop once this many MB (10^6 bytes) are written",
    )
    ap.add_argument("--out", required=True)
    ap.add_argument("--truth", required=True)
    ap.add_argument(
        "--dup-rate",
        type=float,
        default=0.1,
        help="fraction of output docs that are injected dups",
    )
    ap.add_argument(
        "--exact-frac",
        type=float,
        default=0.3,
        help="share of injected dups that are exact",
    )
    ap.add_argument(
        "--debris-rate",
        type=float,
        default=0.6,
        help="fraction of docs that get debris lines",
    )
    ap.add_argument(
        "--min-edit", type=float, default=0.005, help="min word edit rate of near dups"
    )
    ap.add_argument(
        "--max-edit", type=float, default=0.05, help="max word edit rate of near dups"
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--meta", help="optional: write {id, pool_id, pass} per base doc here"
    )
    ap.add_argument(
        "--classes",
        type=float,
        default=0.0,
        metavar="RATE",
        help="after each document, inject with this probability per class a group of the "
        "dedup classes residue, short, lines, stub, excerpt, template (default 0: off)",
    )
    args = ap.parse_args()

    pool = load_pool(args.pool)
    g = Generator(pool, args)
    r = g.rng
    limit = int(args.size_mb * 1_000_000)
    written = n = n_base = n_exact = n_near = n_debris = 0
    # stored per base doc: (id, lang, text, debris line indices)
    bases = []
    meta = open(args.meta, "w", encoding="utf-8") if args.meta else None  # noqa: SIM115 (optional file)
    inj = ClassInjector(g, args.seed) if args.classes > 0 else None
    pending = []  # (due doc number, seq, text, truth without id) of delayed class documents
    class_counts = {}
    with (
        open(args.out, "w", encoding="utf-8") as out,
        open(args.truth, "w", encoding="utf-8") as truth,
    ):

        def emit(text, rec):
            nonlocal written, n
            doc_id = f"d{n:08d}"
            line = json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n"
            out.write(line)
            written += len(line.encode("utf-8"))
            truth.write(
                json.dumps(dict({"id": doc_id}, **rec), ensure_ascii=False) + "\n"
            )
            n += 1
            return doc_id

        def emit_due(everything=False):
            pending.sort(key=lambda p: (p[0], p[1]))
            while pending and (everything or pending[0][0] <= n):
                _, _, text, rec = pending.pop(0)
                emit(text, rec)

        seq = 0
        while written < limit:
            if pending:
                emit_due()
                if written >= limit:
                    break
            doc_id = f"d{n:08d}"
            rec_truth = None
            if bases and r.random() < args.dup_rate:
                oid, lang, otext, odeb = bases[r.randrange(len(bases))]
                olines = otext.split("\n")
                if r.random() < args.exact_frac:
                    text = otext
                    debris = [olines[i] for i in odeb]
                    rec_truth = {
                        "id": doc_id,
                        "dup_of": oid,
                        "kind": "exact",
                        "edit_rate": 0.0,
                        "jaccard": 1.0,
                        "ops": {},
                        "debris": debris,
                    }
                    n_exact += 1
                else:
                    dset = set(odeb)
                    content = [l for i, l in enumerate(olines) if i not in dset]
                    lines, added, ops, er = g.near_dup(content, lang)
                    lines, debris, _ = g.with_debris(lines, lang, added)
                    text = "\n".join(lines)
                    rec_truth = {
                        "id": doc_id,
                        "dup_of": oid,
                        "kind": "near",
                        "edit_rate": round(er, 4),
                        "jaccard": round(jaccard(text, otext), 4),
                        "ops": ops,
                        "debris": debris,
                    }
                    n_near += 1
            else:
                p, lines = g.base_lines()
                lines, debris, didx = g.with_debris(lines, p.lang)
                text = "\n".join(lines)
                bases.append((doc_id, p.lang, text, didx))
                if debris:
                    rec_truth = {
                        "id": doc_id,
                        "dup_of": None,
                        "kind": None,
                        "edit_rate": None,
                        "jaccard": None,
                        "ops": None,
                        "debris": debris,
                    }
                if meta:
                    meta.write(
                        json.dumps({"id": doc_id, "pool_id": p.id, "pass": g.pass_no})
                        + "\n"
                    )
                n_base += 1
            if rec_truth and rec_truth["debris"]:
                n_debris += 1
            line = json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n"
            out.write(line)
            written += len(line.encode("utf-8"))
            if rec_truth:
                truth.write(json.dumps(rec_truth, ensure_ascii=False) + "\n")
            n += 1
            if inj:
                for kind, group, members in inj.groups(args.classes):
                    class_counts[kind] = class_counts.get(kind, 0) + len(members)
                    first_id = first_text = None
                    for delay, text, role, extra in members:
                        rec = {
                            "dup_of": None,
                            "kind": kind,
                            "group": group,
                            "role": role,
                            "edit_rate": None,
                            "jaccard": None,
                            "ops": extra.pop("ops", {}),
                            "debris": [],
                        }
                        rec.update(extra)
                        if first_text is not None:
                            sa, sb = shingles(text), shingles(first_text)
                            rec["jaccard"] = round(len(sa & sb) / len(sa | sb), 4)
                            rec["containment"] = round(len(sa & sb) / len(sa), 4)
                        if role == "copy":
                            rec["dup_of"] = first_id
                        if first_id is None and delay == 0:
                            first_id, first_text = emit(text, rec), text
                        else:
                            seq += 1
                            pending.append((n + delay, seq, text, rec))
                            if first_text is None:
                                first_text = text
        emit_due(
            everything=True
        )  # delayed class documents still pending when the size is reached
    if meta:
        meta.close()
    print(
        json.dumps(
            {
                "docs": n,
                "bytes": written,
                "base": n_base,
                "exact_dups": n_exact,
                "near_dups": n_near,
                "docs_with_debris": n_debris,
                "pool_docs": len(pool),
                "pool_passes": g.pass_no + 1,
                **({"class_docs": class_counts} if inj else {}),
            }
        ),
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
