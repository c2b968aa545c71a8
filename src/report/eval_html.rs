//! The HTML page of `rinse eval --html`: per config its scores, what each rule removed
//! well (good) and wrongly (bad), the scores per group, and the worst documents with their
//! missed and leaked snippets in context. Same style and rules as [`super::html`]: self-
//! contained, escaped, numbers tagged with their path in `rinse eval --json`.
use super::html::{esc, hbars, CSS};
use crate::eval::{ConfigEval, Evaluation, Gold};
use std::fmt::Write as _;

/// Worst documents shown per config.
const WORST: usize = 15;
/// Characters of context on each side of a snippet.
const CONTEXT: usize = 160;

/// Draw the page.
pub fn render(ev: &Evaluation, gold: &Gold) -> String {
    let mut s = String::with_capacity(64 << 10);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>rinse eval</title><style>{CSS}</style></head><body>\n\
         <h1>rinse eval</h1><p class=\"meta\">gold <code>{}</code>: \
         <span data-key=\"gold.docs\">{}</span> documents, <span data-key=\"gold.with\">{}</span> \
         snippets to keep, <span data-key=\"gold.without\">{}</span> to remove</p>\n",
        esc(&ev.gold.path),
        ev.gold.docs,
        ev.gold.with,
        ev.gold.without
    );
    s.push_str(
        "<table><tr><th>config</th><th class=\"n\">P</th><th class=\"n\">R</th>\
         <th class=\"n\">Acc</th><th class=\"n\">F1</th><th class=\"n\">tp</th><th class=\"n\">fp</th>\
         <th class=\"n\">fn</th><th class=\"n\">tn</th><th class=\"n\">docs kept</th></tr>",
    );
    for (i, c) in ev.configs.iter().enumerate() {
        let k = &c.scores.counts;
        let p = format!("configs.{i}");
        let _ = write!(
            s,
            "<tr><td><a href=\"#config-{i}\">{}</a></td>{}{}{}{}{}{}{}{}{}</tr>",
            esc(&c.name),
            f3(&format!("{p}.precision"), c.scores.precision),
            f3(&format!("{p}.recall"), c.scores.recall),
            f3(&format!("{p}.accuracy"), c.scores.accuracy),
            f3(&format!("{p}.f1"), c.scores.f1),
            int(&format!("{p}.tp"), k.tp),
            int(&format!("{p}.fp"), k.fp),
            int(&format!("{p}.fn"), k.fn_),
            int(&format!("{p}.tn"), k.tn),
            int(&format!("configs.{i}.docs.kept"), c.docs.kept),
        );
    }
    s.push_str("</table>\n");
    for (i, c) in ev.configs.iter().enumerate() {
        config_section(&mut s, i, c, gold);
    }
    s.push_str("</body></html>\n");
    s
}

fn f3(key: &str, x: f64) -> String {
    format!("<td class=\"n\" data-key=\"{}\">{x:.3}</td>", esc(key))
}

fn int(key: &str, x: u64) -> String {
    format!("<td class=\"n\" data-key=\"{}\">{x}</td>", esc(key))
}

fn config_section(s: &mut String, i: usize, c: &ConfigEval, gold: &Gold) {
    let _ = write!(
        s,
        "<h2 id=\"config-{i}\">{}</h2><p class=\"meta\">config {}, {} of {} documents kept</p>",
        esc(&c.name),
        esc(&c.fingerprint),
        c.docs.kept,
        c.docs.read
    );
    s.push_str(
        "<h3>Rules: good (<code>without</code> snippets removed) and bad (<code>with</code> \
         snippets damaged)</h3>",
    );
    let good: Vec<_> = c
        .rules
        .iter()
        .map(|r| {
            (
                r.id.clone(),
                r.good as f64,
                r.good.to_string(),
                "#8b8".into(),
            )
        })
        .collect();
    let bad: Vec<_> = c
        .rules
        .iter()
        .map(|r| (r.id.clone(), r.bad as f64, r.bad.to_string(), "#e77".into()))
        .collect();
    let _ = write!(
        s,
        "<div class=\"grid\"><div><b>good</b>{}</div><div><b>bad</b>{}</div></div>",
        hbars(&good),
        hbars(&bad)
    );
    s.push_str(
        "<table><tr><th>rule</th><th>category</th><th class=\"n\">good</th><th class=\"n\">bad</th>\
         <th class=\"n\">precision</th><th class=\"n\">ms</th></tr>",
    );
    for (j, r) in c.rules.iter().enumerate() {
        let p = format!("configs.{i}.rules.{j}");
        let _ = write!(
            s,
            "<tr><td><code>{}</code></td><td>{}</td>{}{}<td class=\"n\">{}</td><td class=\"n\">{:.1}</td></tr>",
            esc(&r.id),
            esc(&r.category),
            int(&format!("{p}.good"), r.good),
            int(&format!("{p}.bad"), r.bad),
            r.precision.map_or("-".into(), |x| format!("{x:.3}")),
            r.seconds * 1e3
        );
    }
    s.push_str("</table>");
    for (t, table) in c.groups.iter().enumerate() {
        let _ = write!(
            s,
            "<h3>By {}</h3><table><tr><th>{}</th><th class=\"n\">docs</th><th class=\"n\">P</th>\
             <th class=\"n\">R</th><th class=\"n\">F1</th><th class=\"n\">fn</th><th class=\"n\">fp</th></tr>",
            esc(&table.field),
            esc(&table.field)
        );
        for (g, row) in table.groups.iter().enumerate() {
            let p = format!("configs.{i}.groups.{t}.groups.{g}");
            let _ = write!(
                s,
                "<tr><td>{}</td><td class=\"n\">{}</td>{}{}{}{}{}</tr>",
                esc(row.value.as_deref().unwrap_or("(none)")),
                row.docs,
                f3(&format!("{p}.precision"), row.scores.precision),
                f3(&format!("{p}.recall"), row.scores.recall),
                f3(&format!("{p}.f1"), row.scores.f1),
                int(&format!("{p}.fn"), row.scores.counts.fn_),
                int(&format!("{p}.fp"), row.scores.counts.fp),
            );
        }
        s.push_str("</table>");
    }
    worst_docs(s, c, gold);
}

fn worst_docs(s: &mut String, c: &ConfigEval, gold: &Gold) {
    let mut order: Vec<usize> = (0..gold.docs.len().min(c.per_doc.len())).collect();
    order.sort_by_key(|&d| {
        let k = &c.per_doc[d].score.counts;
        (std::cmp::Reverse(k.fn_ + k.fp), d)
    });
    order.retain(|&d| {
        let k = &c.per_doc[d].score.counts;
        k.fn_ + k.fp > 0
    });
    let _ = write!(
        s,
        "<h3>Worst documents ({} of {} with a missed or leaked snippet)</h3>",
        order.len().min(WORST),
        order.len()
    );
    for &d in order.iter().take(WORST) {
        let (g, e) = (&gold.docs[d], &c.per_doc[d]);
        let run = c.runs.get(d).and_then(|r| r.as_ref());
        let status = match run {
            None => "missing from DOCS".to_string(),
            Some(r) => r
                .rejected
                .as_ref()
                .map_or("kept".into(), |x| format!("rejected: {x}")),
        };
        let k = &e.score.counts;
        let _ = write!(
            s,
            "<div class=\"doc\"><b>{}</b> — {} <span class=\"meta\">fn {} fp {}</span>",
            esc(&g.id),
            esc(&status),
            k.fn_,
            k.fp
        );
        for (&j, cause) in e.score.missed_with.iter().zip(&e.missed_causes) {
            let snippet = &g.with[j];
            let source = run.and_then(|r| r.normalized.as_deref().or(r.original.as_deref()));
            let _ = write!(
                s,
                "<p>missed (<code>{}</code>):</p><div class=\"text\">{}</div>",
                esc(&cause.label()),
                in_context(source, snippet, "miss")
            );
        }
        for &j in &e.score.leaked_without {
            let snippet = &g.without[j];
            let source = run.and_then(|r| r.output.as_deref());
            let _ = write!(
                s,
                "<p>leaked:</p><div class=\"text\">{}</div>",
                in_context(source, snippet, "leak")
            );
        }
        s.push_str("</div>\n");
    }
}

/// The snippet marked in its context in `text` (or alone when it is not found there).
fn in_context(text: Option<&str>, snippet: &str, class: &str) -> String {
    let mark = |x: &str| format!("<mark class=\"{class}\">{}</mark>", esc(x));
    let Some((t, at)) = text.and_then(|t| t.find(snippet).map(|at| (t, at))) else {
        return mark(snippet);
    };
    let before = &t[..at];
    let after = &t[at + snippet.len()..];
    let n = before.chars().count();
    let b: String = before.chars().skip(n.saturating_sub(CONTEXT)).collect();
    let a: String = after.chars().take(CONTEXT).collect();
    format!(
        "{}{}{}{}{}",
        if n > CONTEXT { "…" } else { "" },
        esc(&b),
        mark(snippet),
        esc(&a),
        if after.chars().nth(CONTEXT).is_some() {
            "…"
        } else {
            ""
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snippet_is_marked_and_escaped_in_its_context() {
        let html = in_context(Some("a <b> & \"c\" then more"), "& \"c\"", "leak");
        assert_eq!(
            html,
            "a &lt;b&gt; <mark class=\"leak\">&amp; &quot;c&quot;</mark> then more"
        );
        assert_eq!(
            in_context(None, "<x>", "miss"),
            "<mark class=\"miss\">&lt;x&gt;</mark>"
        );
    }
}
