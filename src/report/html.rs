//! `report.html`: the run report drawn for people, from `report.json` and
//! `report-sample.jsonl` alone (so `rinse report OUT_DIR` redraws it byte for byte).
//! One self-contained page: inline CSS, inline SVG charts drawn here, no script, nothing
//! fetched. Every number the page shows from report.json sits in an element with a
//! `data-key` attribute naming its path there (the browser test compares them). Every
//! text from documents or inputs is HTML-escaped.
use super::sample::{parse_sample, SampleDoc};
use crate::document::{apply_removals, Removal};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

/// Name of the page in the output directory.
pub const HTML_FILE: &str = "report.html";

/// Draw the page from the texts of `report.json` and (if there is one) the sample file.
pub fn render_files(report_json: &str, sample: Option<&str>) -> Result<String, String> {
    let report: Value =
        serde_json::from_str(report_json).map_err(|e| format!("report.json: {e}"))?;
    if !report.is_object() || !report["records"].is_object() {
        return Err("report.json: not a rinse run report (no `records` object)".into());
    }
    let docs = match sample {
        Some(t) => parse_sample(t, super::sample::SAMPLE_FILE)?,
        None => Vec::new(),
    };
    Ok(render(&report, &docs))
}

/// HTML-escape text for element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The style shared by the run and eval pages.
pub(crate) const CSS: &str = "
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:1em 2em;color:#222;background:#fff}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}
h3{font-size:1.05em;margin:1.2em 0 .4em}
table{border-collapse:collapse;margin:.4em 0}td,th{padding:2px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}tr:nth-child(even) td{background:#fafafa}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.meta{color:#666}.grid{display:flex;flex-wrap:wrap;gap:2em}.grid>div{min-width:300px}
svg{display:block;margin:.4em 0}svg text{font:11px system-ui,sans-serif;fill:#333}
.doc{border:1px solid #ddd;border-radius:4px;margin:1em 0;padding:.5em 1em}
.doc:target{border-color:#c60;box-shadow:0 0 0 2px #fc8}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:1em}
.text{white-space:pre-wrap;word-break:break-word;font:12px/1.4 ui-monospace,monospace;background:#fcfcfc;border:1px solid #eee;padding:.5em;max-height:30em;overflow:auto}
mark{border-radius:2px;padding:0 1px}
.sw{display:inline-block;width:.9em;height:.9em;border-radius:2px;vertical-align:middle}
.fate-kept{color:#070}.fate-rej{color:#a00}.miss{background:#fbb}.leak{background:#fd8}
";

/// A number from report.json at `path`, shown as it is there, tagged with its path.
fn num(v: &Value, path: &str) -> String {
    let x = lookup(v, path);
    format!(
        "<td class=\"n\" data-key=\"{}\">{}</td>",
        esc(path),
        esc(&plain(x))
    )
}

/// A JSON value as shown: integers as they are, floats with up to 3 decimals.
fn plain(x: &Value) -> String {
    match x {
        Value::Number(n) if n.is_u64() || n.is_i64() => n.to_string(),
        Value::Number(n) => format!("{:.3}", n.as_f64().unwrap_or(0.0)),
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

/// The value at a dotted path (`records.read`; `stages.0.seconds`).
pub fn lookup<'a>(v: &'a Value, path: &str) -> &'a Value {
    let mut cur = v;
    for part in path.split('.') {
        cur = match cur {
            Value::Object(m) => m.get(part).unwrap_or(&Value::Null),
            Value::Array(a) => part
                .parse::<usize>()
                .ok()
                .and_then(|i| a.get(i))
                .unwrap_or(&Value::Null),
            _ => &Value::Null,
        };
    }
    cur
}

/// Escape a key for use inside a dotted path (report.json keys hold no dots but rule
/// ids and reasons could; such a path is then simply not found).
fn key_path(prefix: &str, key: &str) -> String {
    format!("{prefix}.{key}")
}

/// The colour of the `i`-th rule: hues spread by the golden angle.
fn colour(i: usize) -> String {
    let hue = (i as f64 * 137.508) % 360.0;
    format!("hsl({hue:.0},70%,78%)")
}

/// Horizontal bars: label, value, shown value, colour.
pub(crate) fn hbars(rows: &[(String, f64, String, String)]) -> String {
    if rows.is_empty() {
        return "<p class=\"meta\">nothing to show</p>".into();
    }
    let label_w = 200.0;
    let bar_w = 380.0;
    let h = 18.0;
    let max = rows.iter().map(|r| r.1).fold(0.0f64, f64::max).max(1e-12);
    let height = h * rows.len() as f64 + 4.0;
    let mut s = format!(
        "<svg width=\"{}\" height=\"{height}\" role=\"img\">",
        label_w + bar_w + 120.0
    );
    for (i, (label, value, shown, fill)) in rows.iter().enumerate() {
        let y = i as f64 * h + 2.0;
        let w = (value / max * bar_w).max(if *value > 0.0 { 1.0 } else { 0.0 });
        let _ = write!(
            s,
            "<text x=\"{:.0}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect x=\"{:.0}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{}: {}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            label_w - 6.0,
            y + h * 0.7,
            esc(label),
            label_w,
            h - 4.0,
            esc(fill),
            esc(label),
            esc(shown),
            label_w + w + 4.0,
            y + h * 0.7,
            esc(shown)
        );
    }
    s.push_str("</svg>");
    s
}

/// A histogram of report.json's buckets (`min`, `below`, `count`), `label` per bucket.
fn histogram(v: &Value, label: &dyn Fn(&Value) -> String, fill: &str) -> String {
    let buckets = v["buckets"].as_array().cloned().unwrap_or_default();
    if buckets.is_empty() {
        return "<p class=\"meta\">no documents</p>".into();
    }
    let n = buckets.len() as f64;
    let bw = (460.0 / n).clamp(14.0, 40.0);
    let ph = 140.0;
    let max = buckets
        .iter()
        .filter_map(|b| b["count"].as_u64())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let width = bw * n + 40.0;
    let mut s = format!(
        "<svg width=\"{width:.0}\" height=\"{:.0}\" role=\"img\">",
        ph + 75.0
    );
    for (i, b) in buckets.iter().enumerate() {
        let c = b["count"].as_u64().unwrap_or(0);
        let h = c as f64 / max * ph;
        let x = 20.0 + i as f64 * bw;
        let l = label(b);
        let _ = write!(
            s,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{fill}\"><title>{}: {c}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\" transform=\"rotate(60 {:.1} {:.1})\">{}</text>",
            ph - h + 10.0,
            bw - 2.0,
            esc(&l),
            x + 2.0,
            ph + 22.0,
            x + 2.0,
            ph + 22.0,
            esc(&l)
        );
        if c > 0 && bw >= 20.0 {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{c}</text>",
                x + bw / 2.0 - 1.0,
                ph - h + 8.0
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// A byte count as a short label: 512, 4k, 2M.
fn short_bytes(b: f64) -> String {
    if b >= 1e9 {
        format!("{:.0}G", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.0}M", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.0}k", b / 1e3)
    } else {
        format!("{b:.0}")
    }
}

/// One rule (or dedup passage kind) in the rules table.
struct RuleRow {
    id: String,
    category: String,
    description: String,
    docs: Option<u64>,
    docs_key: Option<String>,
    spans: u64,
    spans_key: String,
    bytes: u64,
    bytes_key: String,
}

fn rule_rows(report: &Value) -> Vec<RuleRow> {
    let descs: BTreeMap<&str, (&str, &str)> = report["rules"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| {
                    Some((
                        r["id"].as_str()?,
                        (
                            r["category"].as_str().unwrap_or(""),
                            r["description"].as_str().unwrap_or(""),
                        ),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut rows = Vec::new();
    if let Some(stages) = report["stages"].as_array() {
        for (si, st) in stages.iter().enumerate() {
            let Some(items) = st["items"].as_object() else {
                continue;
            };
            for (id, c) in items {
                let rule = descs.get(id.as_str()).copied();
                // Items that are no rule and removed nothing are timings of a step.
                if rule.is_none() && c["spans"].as_u64().unwrap_or(0) == 0 {
                    continue;
                }
                let (category, description) = rule.unwrap_or(("", ""));
                let base = format!("stages.{si}.items.{id}");
                rows.push(RuleRow {
                    id: id.clone(),
                    category: category.into(),
                    description: description.into(),
                    docs: c["docs"].as_u64(),
                    docs_key: Some(format!("{base}.docs")),
                    spans: c["spans"].as_u64().unwrap_or(0),
                    spans_key: format!("{base}.spans"),
                    bytes: c["bytes"].as_u64().unwrap_or(0),
                    bytes_key: format!("{base}.bytes"),
                });
            }
        }
    }
    if let Some(removed) = report["sections"]["dedup"]["removed"].as_object() {
        for (id, c) in removed {
            if !c.is_object() {
                continue;
            }
            let base = format!("sections.dedup.removed.{id}");
            rows.push(RuleRow {
                id: id.clone(),
                category: "duplicate".into(),
                description: match id.as_str() {
                    "dup-passage-exact" => "passage repeated exactly from an earlier document",
                    "dup-passage-near" => "passage nearly repeated from an earlier document",
                    "boilerplate-passage" => "passage repeated across many documents",
                    _ => "",
                }
                .into(),
                docs: None,
                docs_key: None,
                spans: c["passages"].as_u64().unwrap_or(0),
                spans_key: format!("{base}.passages"),
                bytes: c["bytes"].as_u64().unwrap_or(0),
                bytes_key: format!("{base}.bytes"),
            });
        }
    }
    rows.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.id.cmp(&b.id)));
    rows
}

/// Draw the run page.
pub fn render(report: &Value, sample: &[SampleDoc]) -> String {
    let mut s = String::with_capacity(64 << 10);
    let rows = rule_rows(report);
    // Colours by rule id in name order, so one rule has one colour in every section.
    let mut ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    for d in sample {
        for r in &d.removals {
            ids.push(r.rule.as_str());
        }
    }
    ids.sort_unstable();
    ids.dedup();
    let colours: BTreeMap<&str, String> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, colour(i)))
        .collect();

    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>rinse report: {}</title><style>{CSS}</style></head><body>\n",
        esc(report["output"]["dir"].as_str().unwrap_or(""))
    );
    let _ = writeln!(
        s,
        "<h1>rinse report</h1><p class=\"meta\">output <code>{}</code>, rinse {}, config {}, \
         {} threads; inputs: {}</p>",
        esc(report["output"]["dir"].as_str().unwrap_or("")),
        esc(report["rinse_version"].as_str().unwrap_or("")),
        esc(report["config_fingerprint"].as_str().unwrap_or("")),
        esc(&plain(&report["threads"])),
        esc(&report["inputs"]
            .as_array()
            .map(|a| a.iter().map(plain).collect::<Vec<_>>().join(", "))
            .unwrap_or_default())
    );
    s.push_str(
        "<p><a href=\"#counts\">Counts</a> · <a href=\"#rules\">Rules</a> · \
         <a href=\"#dedup\">Deduplication</a> · <a href=\"#distributions\">Distributions</a> · \
         <a href=\"#sample\">Sample</a></p>\n",
    );
    if let Some(d) = report["diagnosis"].as_str() {
        let _ = write!(s, "<p><b>{}</b></p>", esc(d));
    }
    if let Some(ws) = report["warnings"].as_array() {
        for w in ws {
            let _ = write!(s, "<p>warning: {}</p>", esc(&plain(w)));
        }
    }
    counts(&mut s, report);
    rules_section(&mut s, &rows, &colours);
    dedup_section(&mut s, report, sample);
    distributions(&mut s, report);
    sample_section(&mut s, report, sample, &colours);
    s.push_str("</body></html>\n");
    s
}

fn counts(s: &mut String, report: &Value) {
    s.push_str("<h2 id=\"counts\">Counts</h2><div class=\"grid\"><div><h3>Records</h3><table>");
    for (label, key) in [
        ("read", "records.read"),
        ("kept", "records.kept"),
        ("rejected", "records.rejected"),
    ] {
        let _ = write!(s, "<tr><th>{label}</th>{}</tr>", num(report, key));
    }
    if let Some(by) = report["records"]["rejected_by_reason"].as_object() {
        for reason in by.keys() {
            let _ = write!(
                s,
                "<tr><td>&nbsp;&nbsp;{}</td>{}</tr>",
                esc(reason),
                num(report, &key_path("records.rejected_by_reason", reason))
            );
        }
    }
    s.push_str("</table></div><div><h3>Bytes</h3><table>");
    for (label, key) in [
        ("read from disk", "bytes.input"),
        ("text in", "bytes.text_in"),
        ("text out", "bytes.text_out"),
        ("kept JSONL", "bytes.kept_jsonl"),
        ("rejected JSONL", "bytes.rejected_jsonl"),
    ] {
        let _ = write!(s, "<tr><th>{label}</th>{}</tr>", num(report, key));
    }
    s.push_str("</table></div><div><h3>Time (seconds)</h3><table>");
    let _ = write!(s, "<tr><th>whole run</th>{}</tr>", num(report, "seconds"));
    let mut bars = Vec::new();
    if let Some(stages) = report["stages"].as_array() {
        for (i, st) in stages.iter().enumerate() {
            let name = st["name"].as_str().unwrap_or("?");
            let _ = write!(
                s,
                "<tr><td>{} (summed over threads)</td>{}</tr>",
                esc(name),
                num(report, &format!("stages.{i}.seconds"))
            );
            let secs = st["seconds"].as_f64().unwrap_or(0.0);
            bars.push((
                name.to_string(),
                secs,
                format!("{secs:.3} s"),
                "#9ac".into(),
            ));
        }
    }
    if let Some(phases) = report["sections"]["dedup"]["seconds"].as_object() {
        for (name, v) in phases {
            let _ = write!(
                s,
                "<tr><td>dedup {}</td>{}</tr>",
                esc(name),
                num(report, &key_path("sections.dedup.seconds", name))
            );
            let secs = v.as_f64().unwrap_or(0.0);
            bars.push((
                format!("dedup {name}"),
                secs,
                format!("{secs:.3} s"),
                "#c9a".into(),
            ));
        }
    }
    s.push_str("</table>");
    s.push_str(&hbars(&bars));
    s.push_str("</div></div>\n");
}

fn rules_section(s: &mut String, rows: &[RuleRow], colours: &BTreeMap<&str, String>) {
    s.push_str("<h2 id=\"rules\">Rules</h2>");
    if rows.is_empty() {
        s.push_str("<p class=\"meta\">no rule removed anything</p>");
        return;
    }
    let bars: Vec<_> = rows
        .iter()
        .filter(|r| r.bytes > 0)
        .map(|r| {
            (
                r.id.clone(),
                r.bytes as f64,
                format!("{} B", r.bytes),
                colours.get(r.id.as_str()).cloned().unwrap_or_default(),
            )
        })
        .collect();
    s.push_str("<h3>Bytes removed per rule</h3>");
    s.push_str(&hbars(&bars));
    s.push_str(
        "<table><tr><th></th><th>rule</th><th>category</th><th class=\"n\">documents</th>\
         <th class=\"n\">spans</th><th class=\"n\">bytes</th><th>description</th></tr>",
    );
    for r in rows {
        let docs = match (&r.docs, &r.docs_key) {
            (Some(d), Some(k)) => format!("<td class=\"n\" data-key=\"{}\">{d}</td>", esc(k)),
            _ => "<td class=\"n\">-</td>".into(),
        };
        let _ = write!(
            s,
            "<tr><td><span class=\"sw\" style=\"background:{}\"></span></td><td><code>{}</code></td>\
             <td>{}</td>{docs}<td class=\"n\" data-key=\"{}\">{}</td><td class=\"n\" data-key=\"{}\">{}</td><td>{}</td></tr>",
            esc(colours.get(r.id.as_str()).map_or("", String::as_str)),
            esc(&r.id),
            esc(&r.category),
            esc(&r.spans_key),
            r.spans,
            esc(&r.bytes_key),
            r.bytes,
            esc(&r.description)
        );
    }
    s.push_str("</table>\n");
}

fn dedup_section(s: &mut String, report: &Value, sample: &[SampleDoc]) {
    let d = &report["sections"]["dedup"];
    if !d.is_object() {
        s.push_str("<h2 id=\"dedup\">Deduplication</h2><p class=\"meta\">dedup did not run</p>");
        return;
    }
    s.push_str("<h2 id=\"dedup\">Deduplication</h2><div class=\"grid\"><div><table>");
    let _ = write!(
        s,
        "<tr><th>documents compared</th>{}</tr>",
        num(report, "sections.dedup.documents")
    );
    for kind in ["exact-duplicate", "near-duplicate"] {
        let _ = write!(
            s,
            "<tr><th>{kind} documents removed</th>{}</tr>",
            num(report, &key_path("sections.dedup.removed", kind))
        );
    }
    if let Some(removed) = d["removed"].as_object() {
        for (kind, v) in removed {
            if v.is_object() {
                let _ = write!(
                    s,
                    "<tr><th>{} passages removed</th>{}</tr>",
                    esc(kind),
                    num(report, &format!("sections.dedup.removed.{kind}.passages"))
                );
            }
        }
    }
    for (label, key) in [
        ("candidate pairs", "sections.dedup.candidate_pairs"),
        ("verified pairs", "sections.dedup.verified_pairs"),
        ("clusters", "sections.dedup.clusters.count"),
    ] {
        let _ = write!(s, "<tr><th>{label}</th>{}</tr>", num(report, key));
    }
    s.push_str("</table></div><div><h3>Cluster sizes</h3>");
    let sizes: Vec<_> = d["clusters"]["sizes"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let n = v.as_u64().unwrap_or(0);
                    (
                        format!("size {k}"),
                        n as f64,
                        n.to_string(),
                        "#c9a".to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    s.push_str(&hbars(&sizes));
    s.push_str("</div></div>");
    if let Some(largest) = d["clusters"]["largest"].as_array() {
        if !largest.is_empty() {
            s.push_str(
                "<h3>Largest clusters</h3><table><tr><th class=\"n\">size</th><th>kept</th><th>members</th></tr>",
            );
            for (i, c) in largest.iter().enumerate() {
                let members: Vec<String> = c["members"]
                    .as_array()
                    .map(|a| a.iter().map(|m| doc_link(&plain(m), sample)).collect())
                    .unwrap_or_default();
                let _ = write!(
                    s,
                    "<tr>{}<td>{}</td><td>{}</td></tr>",
                    num(report, &format!("sections.dedup.clusters.largest.{i}.size")),
                    doc_link(&plain(&c["keep"]), sample),
                    members.join(", ")
                );
            }
            s.push_str("</table>");
        }
    }
    s.push('\n');
}

/// A document id, linked to its place in the sample when it is there.
fn doc_link(id: &str, sample: &[SampleDoc]) -> String {
    match sample.iter().position(|d| d.id.as_deref() == Some(id)) {
        Some(i) => format!("<a href=\"#doc-{i}\"><code>{}</code></a>", esc(id)),
        None => format!("<code>{}</code>", esc(id)),
    }
}

fn distributions(s: &mut String, report: &Value) {
    let d = &report["distributions"];
    if !d.is_object() {
        s.push_str(
            "<h2 id=\"distributions\">Distributions</h2><p class=\"meta\">not in this report.json</p>",
        );
        return;
    }
    let bytes_label = |b: &Value| {
        let min = b["min"].as_f64().unwrap_or(0.0);
        match b["below"].as_f64() {
            Some(x) if x <= 1.0 => "0".to_string(),
            Some(x) => format!("{}–{}", short_bytes(min), short_bytes(x)),
            None => format!("≥{}", short_bytes(min)),
        }
    };
    let share_label = |b: &Value| {
        let min = b["min"].as_f64().unwrap_or(0.0);
        let below = b["below"].as_f64().unwrap_or(0.0);
        if below == 0.0 {
            "none".to_string()
        } else {
            format!("{:.0}–{:.0}%", min * 100.0, below * 100.0)
        }
    };
    s.push_str("<h2 id=\"distributions\">Distributions</h2><div class=\"grid\">");
    let _ = write!(
        s,
        "<div><h3>Text length before (bytes, every record with a text)</h3>{}</div>\
         <div><h3>Text length after (bytes, kept records)</h3>{}</div>\
         <div><h3>Share of text removed (kept records)</h3>{}</div>",
        histogram(&d["length_before"], &bytes_label, "#9ac"),
        histogram(&d["length_after"], &bytes_label, "#8b8"),
        histogram(&d["removed_share"], &share_label, "#e97"),
    );
    s.push_str("</div>\n");
}

fn sample_section(
    s: &mut String,
    report: &Value,
    sample: &[SampleDoc],
    colours: &BTreeMap<&str, String>,
) {
    s.push_str("<h2 id=\"sample\">Sample</h2>");
    if sample.is_empty() {
        s.push_str(
            "<p class=\"meta\">no sample (<code>[report] sample = 0</code>, or no records)</p>",
        );
        return;
    }
    let survivors = sample.iter().filter(|d| d.survivor).count();
    let _ = write!(
        s,
        "<p class=\"meta\"><span data-key=\"sample.documents\">{}</span> records, in input \
         order: drawn with seed <span data-key=\"sample.seed\">{}</span>{}. Removed spans are \
         marked in their rule's colour; hover for the rule.</p>",
        esc(&plain(&report["sample"]["documents"])),
        esc(&plain(&report["sample"]["seed"])),
        if survivors > 0 {
            format!(", and {survivors} the kept copies of sampled duplicates")
        } else {
            String::new()
        }
    );
    for (i, d) in sample.iter().enumerate() {
        let kept = d.fate == "kept";
        let _ = write!(
            s,
            "<div class=\"doc\" id=\"doc-{i}\"><b>{}</b> <span class=\"meta\">{}</span> — \
             <span class=\"{}\">{}</span>",
            esc(d.id.as_deref().unwrap_or("(no id)")),
            esc(&d.origin),
            if kept { "fate-kept" } else { "fate-rej" },
            esc(&d.fate)
        );
        if let Some(of) = &d.dup_of {
            let _ = write!(s, " of {}", doc_link(of, sample));
        }
        if let Some(det) = &d.detail {
            let _ = write!(s, " <span class=\"meta\">({})</span>", esc(det));
        }
        if d.survivor {
            s.push_str(
                " <span class=\"meta\">(not drawn by the seed: shown as the kept copy of a \
                 sampled duplicate)</span>",
            );
        }
        let removals: Vec<Removal> = d
            .removals
            .iter()
            .map(|r| Removal {
                start: r.start,
                end: r.end,
                rule: Arc::from(r.rule.as_str()),
                category: Arc::from(""),
                dup_of: None,
            })
            .collect();
        let after_text = apply_removals(&d.text, &removals);
        let after = if kept {
            esc(&after_text)
        } else {
            format!("<i>not kept: {}</i>", esc(&d.fate))
        };
        let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
        for r in &d.removals {
            *by_rule.entry(r.rule.as_str()).or_default() += 1;
        }
        let legend: Vec<String> = by_rule
            .iter()
            .map(|(rule, n)| {
                format!(
                    "<span class=\"sw\" style=\"background:{}\"></span> {} ×{n}",
                    esc(colours.get(rule).map_or("#ddd", String::as_str)),
                    esc(rule)
                )
            })
            .collect();
        let removed = d.text.len().saturating_sub(after_text.len());
        let _ = write!(
            s,
            "<br><span class=\"meta\">removed {removed} of {} bytes ({:.0}%){}</span>",
            d.text.len(),
            if d.text.is_empty() {
                0.0
            } else {
                100.0 * removed as f64 / d.text.len() as f64
            },
            if legend.is_empty() {
                String::new()
            } else {
                format!(" by {}", legend.join(", "))
            }
        );
        let _ = writeln!(
            s,
            "{}<div class=\"cols\"><div><h3>Before</h3><div class=\"text\">{}</div></div>\
             <div><h3>After</h3><div class=\"text\">{after}</div></div></div></div>",
            if d.truncated {
                " <span class=\"meta\">(text cut for the report)</span>"
            } else {
                ""
            },
            marked(d, colours, sample),
        );
    }
}

/// The text with every removed span wrapped in a `<mark>` of its rule's colour (where
/// spans overlap, the first by position names the rule).
fn marked(d: &SampleDoc, colours: &BTreeMap<&str, String>, sample: &[SampleDoc]) -> String {
    let text = &d.text;
    let mut cuts: Vec<usize> = vec![0, text.len()];
    for r in &d.removals {
        cuts.push(r.start.min(text.len()));
        cuts.push(r.end.min(text.len()));
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = String::with_capacity(text.len() * 2);
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let Some(piece) = text.get(a..b) else {
            continue;
        };
        match d.removals.iter().find(|r| r.start <= a && b <= r.end) {
            Some(r) => {
                let title = match &r.dup_of {
                    Some(of) => format!("{} (kept in {of})", r.rule),
                    None => r.rule.clone(),
                };
                let _ = write!(
                    out,
                    "<mark style=\"background:{}\" title=\"{}\" data-rule=\"{}\">{}</mark>",
                    esc(colours.get(r.rule.as_str()).map_or("#ddd", String::as_str)),
                    esc(&title),
                    esc(&r.rule),
                    esc(piece)
                );
                if let Some(of) = &r.dup_of {
                    if b == r.end && sample.iter().any(|x| x.id.as_deref() == Some(of)) {
                        out.push_str(&doc_link(of, sample).replace("<code>", "<code>→"));
                    }
                }
            }
            None => out.push_str(&esc(piece)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample::SampleRemoval;
    use serde_json::json;

    fn report() -> Value {
        json!({
            "rinse_version": "0.1.0", "config_fingerprint": "abc", "threads": 2,
            "inputs": ["in <b>.jsonl"],
            "records": {"read": 12345, "kept": 12000, "rejected": 345,
                        "rejected_by_reason": {"exact-duplicate": 300, "empty": 45}},
            "bytes": {"input": 999, "text_in": 900, "text_out": 700, "kept_jsonl": 800,
                      "rejected_jsonl": 100},
            "stages": [{"name": "clean", "seconds": 0.5, "docs_in": 12345,
                        "items": {"nav-menu": {"docs": 17, "spans": 23, "bytes": 4567, "nanos": 1}}}],
            "rules": [{"id": "nav-menu", "category": "navigation", "description": "menus & <links>"}],
            "distributions": {"length_before": {"buckets": [{"min": 512.0, "below": 1024.0, "count": 7}]},
                              "length_after": {"buckets": []},
                              "removed_share": {"buckets": [{"min": 0.0, "below": 0.0, "count": 3}]}},
            "sample": {"file": "report-sample.jsonl", "documents": 1, "seed": 1},
            "seconds": 1.25,
            "output": {"dir": "out", "kept_shards": 1, "rejected_shards": 1}
        })
    }

    fn sample() -> Vec<SampleDoc> {
        vec![SampleDoc {
            origin: "a.jsonl:1".into(),
            id: Some("d\"1".into()),
            fate: "kept".into(),
            detail: None,
            dup_of: None,
            text: "<script>alert('x')</script> & more\nMenu: Home | About\n".into(),
            truncated: false,
            survivor: false,
            removals: vec![SampleRemoval {
                rule: "nav-menu".into(),
                start: 35,
                end: 53,
                dup_of: None,
            }],
        }]
    }

    #[test]
    fn document_text_is_escaped() {
        let html = render(&report(), &sample());
        assert!(!html.contains("<script>"), "raw script tag in the page");
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"));
        assert!(html.contains("d&quot;1"));
        assert!(html.contains("in &lt;b&gt;.jsonl"));
        assert!(html.contains("menus &amp; &lt;links&gt;"));
    }

    #[test]
    fn numbers_carry_their_report_path() {
        let html = render(&report(), &sample());
        for (key, value) in [
            ("records.read", "12345"),
            ("records.rejected_by_reason.exact-duplicate", "300"),
            ("bytes.text_out", "700"),
            ("stages.0.items.nav-menu.bytes", "4567"),
            ("stages.0.items.nav-menu.docs", "17"),
            ("sample.documents", "1"),
        ] {
            let tagged = format!("data-key=\"{key}\">{value}<");
            assert!(html.contains(&tagged), "{tagged} not in the page");
        }
        assert!(html.contains("title=\"nav-menu\" data-rule=\"nav-menu\">Menu: Home | About<"));
    }

    #[test]
    fn the_same_input_draws_the_same_bytes() {
        let text = serde_json::to_string(&report()).unwrap();
        let jsonl = format!("{}\n", serde_json::to_string(&sample()[0]).unwrap());
        let a = render_files(&text, Some(&jsonl)).unwrap();
        assert_eq!(a, render_files(&text, Some(&jsonl)).unwrap());
        assert!(!a.contains("http://") && !a.contains("https://"));
    }

    /// A report.json of an earlier version (without rules, distributions or sample)
    /// draws with those sections saying so.
    #[test]
    fn an_older_report_draws_without_the_new_sections() {
        let html = render_files(r#"{"records": {"read": 3, "kept": 3}}"#, None).unwrap();
        assert!(html.contains("data-key=\"records.read\">3<"));
        assert!(html.contains("not in this report.json") && html.contains("no sample"));
    }

    #[test]
    fn a_file_that_is_no_report_is_an_error() {
        assert!(render_files("{", None).unwrap_err().contains("report.json"));
        assert!(render_files("[1]", None).is_err());
        let bad = r#"{"origin":"a:1","fate":"kept","text":"ab","removals":[{"rule":"r","start":1,"end":9}]}"#;
        let text = serde_json::to_string(&report()).unwrap();
        assert!(render_files(&text, Some(bad))
            .unwrap_err()
            .contains("outside"));
    }
}
