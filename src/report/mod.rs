//! The run report: counts derived from verdicts and stage statistics, written as
//! `report.json` and summarized on stderr; [`html`] draws it as `report.html`.
pub mod dist;
pub mod eval_html;
pub mod html;
pub mod sample;

use crate::stage::StageStats;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, Serialize)]
pub struct Records {
    pub read: u64,
    pub kept: u64,
    pub rejected: u64,
    pub rejected_by_reason: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Bytes {
    /// Bytes read from disk (compressed size for compressed inputs).
    pub input: u64,
    /// Text bytes of all records that had a text (before normalization).
    pub text_in: u64,
    /// Text bytes of kept records as written.
    pub text_out: u64,
    /// Bytes written to kept shards (uncompressed JSONL).
    pub kept_jsonl: u64,
    /// Bytes written to rejected shards (uncompressed JSONL).
    pub rejected_jsonl: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct StageReport {
    pub name: String,
    pub seconds: f64,
    #[serde(flatten)]
    pub stats: StageStats,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    pub rinse_version: String,
    pub config_fingerprint: String,
    pub threads: usize,
    pub inputs: Vec<String>,
    pub files_read: u64,
    /// Paths a directory walk did not read, each with its reason.
    pub files_skipped: Vec<crate::read::Skipped>,
    /// Things about the run the user should know (printed with the summary).
    pub warnings: Vec<String>,
    /// When most records were rejected for an input problem: what it likely is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<String>,
    pub blank_lines_skipped: u64,
    /// WARC records that are not documents (every type but `conversion`), by type.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub warc_records_skipped: BTreeMap<String, u64>,
    /// Lone surrogate escapes (`"\ud800"`) in text fields, decoded as U+FFFD.
    pub surrogates_replaced: u64,
    pub records: Records,
    pub bytes: Bytes,
    pub stages: Vec<StageReport>,
    /// The cleaning rules the config runs, with their descriptions (for report.html).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleDesc>,
    /// Document lengths before and after, and the share of text removed per document.
    pub distributions: dist::Distributions,
    /// The document sample written to `report-sample.jsonl` (absent when `[report]
    /// sample = 0`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample: Option<SampleInfo>,
    /// Extra sections added by later phases (dedup index sizes, clusters, ...).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub sections: BTreeMap<String, serde_json::Value>,
    pub seconds: f64,
    pub records_per_second: f64,
    pub mb_per_second: f64,
    pub output: OutputInfo,
}

/// A cleaning rule as report.json lists it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RuleDesc {
    pub id: String,
    pub category: String,
    pub description: String,
}

/// Where the sample is and how it was drawn.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SampleInfo {
    pub file: String,
    pub documents: usize,
    pub seed: u64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct OutputInfo {
    pub dir: String,
    pub kept_shards: usize,
    pub rejected_shards: usize,
}

impl Report {
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("report always encodes");
        s.push('\n');
        s
    }

    /// A short human summary for stderr.
    pub fn summary(&self) -> String {
        let r = &self.records;
        let mut s = format!(
            "rinse: read {} records ({}) in {:.2}s, {:.0} records/s, {:.1} MB/s\n",
            r.read,
            human_bytes(self.bytes.text_in),
            self.seconds,
            self.records_per_second,
            self.mb_per_second
        );
        s += &format!(
            "rinse: kept {} → {}/kept, rejected {} → {}/rejected\n",
            r.kept, self.output.dir, r.rejected, self.output.dir
        );
        if !r.rejected_by_reason.is_empty() {
            let reasons: Vec<String> = r
                .rejected_by_reason
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            s += &format!("rinse: rejected by reason: {}\n", reasons.join(", "));
        }
        let removed = self.bytes.text_in.saturating_sub(self.bytes.text_out);
        s += &format!(
            "rinse: text {} → {} ({:.1}% removed)\n",
            human_bytes(self.bytes.text_in),
            human_bytes(self.bytes.text_out),
            if self.bytes.text_in == 0 {
                0.0
            } else {
                100.0 * removed as f64 / self.bytes.text_in as f64
            }
        );
        if let Some(d) = self.sections.get("dedup") {
            let n = |v: &serde_json::Value| v.as_u64().unwrap_or(0);
            let r = &d["removed"];
            s += &format!(
                "rinse: dedup: {} clusters; passages removed: {} repeated, {} near-repeated, {} boilerplate\n",
                n(&d["clusters"]["count"]),
                n(&r["dup-passage-exact"]["passages"]),
                n(&r["dup-passage-near"]["passages"]),
                n(&r["boilerplate-passage"]["passages"]),
            );
        }
        if !self.files_skipped.is_empty() {
            let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
            for k in &self.files_skipped {
                *by_reason.entry(k.reason).or_default() += 1;
            }
            let list: Vec<String> = by_reason.iter().map(|(k, v)| format!("{k} {v}")).collect();
            s += &format!(
                "rinse: skipped paths (listed in report.json): {}\n",
                list.join(", ")
            );
        }
        if self.surrogates_replaced > 0 {
            s += &format!(
                "rinse: {} lone surrogate escapes in texts replaced by U+FFFD\n",
                self.surrogates_replaced
            );
        }
        if let Some(d) = &self.diagnosis {
            s += &format!("rinse: {d}\n");
        }
        for w in &self.warnings {
            s += &format!("rinse: warning: {w}\n");
        }
        s
    }
}

pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Rejection reasons that mean the input is not what rinse expected, rather than a
/// document that cleaning or dedup removed.
pub const INPUT_PROBLEMS: [&str; 5] = [
    "missing-text",
    "non-string-text",
    "malformed-json",
    "not-an-object",
    "invalid-utf8",
];

/// The first rejected record of each input problem, kept to explain a run in which most
/// records were rejected for one.
#[derive(Clone, Debug, Default)]
pub struct InputHints {
    /// Top-level fields of the first record without a (string) text.
    missing_text_fields: Option<Vec<String>>,
    /// Start of the first malformed line, and where it was.
    malformed: Option<(String, String)>,
}

impl InputHints {
    pub fn observe(&mut self, r: &crate::document::Rejection) {
        match r.reason {
            "missing-text" | "non-string-text" if self.missing_text_fields.is_none() => {
                let fields = r
                    .record
                    .as_ref()
                    .and_then(|rec| {
                        serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(
                            &rec.to_json(),
                        )
                        .ok()
                    })
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_default();
                self.missing_text_fields = Some(fields);
            }
            "malformed-json" if self.malformed.is_none() => {
                let start: String = r.raw.as_deref().unwrap_or("").chars().take(40).collect();
                self.malformed = Some((start, r.origin.to_string()));
            }
            _ => {}
        }
    }

    /// When more than half of the records were rejected for input problems: which one,
    /// and its likely cause.
    pub fn diagnose(&self, records: &Records, fields: &crate::read::Fields) -> Option<String> {
        let count = |reason: &str| records.rejected_by_reason.get(reason).copied().unwrap_or(0);
        let (worst, n) = INPUT_PROBLEMS
            .iter()
            .map(|r| (*r, count(r)))
            .max_by_key(|(_, n)| *n)?;
        let all: u64 = INPUT_PROBLEMS.iter().map(|r| count(r)).sum();
        if records.read == 0 || all * 2 <= records.read {
            return None;
        }
        let share = format!("{n} of {} records were rejected as {worst}", records.read);
        let hint = match worst {
            "missing-text" | "non-string-text" => {
                let seen = match &self.missing_text_fields {
                    Some(f) if !f.is_empty() => {
                        format!(" (the first such record has: {})", f.join(", "))
                    }
                    _ => String::new(),
                };
                format!(
                    "they have no string `{}` field{seen}; name the text field with --text-field",
                    fields.text
                )
            }
            "malformed-json" => match &self.malformed {
                Some((start, at)) if is_array_or_pretty(start) => format!(
                    "{at} starts with `{}`: a JSON array or pretty-printed JSON, but rinse reads \
                     JSONL, one object per line (convert with `jq -c '.[]' FILE`)",
                    start.trim()
                ),
                Some((_, at)) => format!(
                    "{at} is not one JSON object per line (JSONL); rejected/ has each line \
                     with the parser's message"
                ),
                None => "the lines are not JSONL".to_string(),
            },
            "not-an-object" => {
                "the lines are JSON values but not objects; rinse needs one object per line"
                    .to_string()
            }
            _ => "the input is not UTF-8; convert it first (for example with iconv)".to_string(),
        };
        Some(format!("most records were rejected: {share}: {hint}"))
    }
}

/// A first line that opens an array, or an object alone on its line (pretty-printed).
fn is_array_or_pretty(start: &str) -> bool {
    let t = start.trim();
    t.starts_with('[') || t == "{"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_records_missing_their_text_field_are_diagnosed() {
        let mut records = Records {
            read: 10,
            kept: 1,
            rejected: 9,
            ..Records::default()
        };
        records.rejected_by_reason.insert("missing-text".into(), 9);
        let hints = InputHints {
            missing_text_fields: Some(vec!["id".into(), "content".into()]),
            malformed: None,
        };
        let d = hints
            .diagnose(&records, &crate::read::Fields::default())
            .unwrap();
        assert!(
            d.contains("--text-field") && d.contains("id, content"),
            "{d}"
        );
        records.rejected_by_reason.insert("missing-text".into(), 4);
        assert!(hints
            .diagnose(&records, &crate::read::Fields::default())
            .is_none());
    }

    #[test]
    fn a_json_array_is_recognised() {
        assert!(is_array_or_pretty("["));
        assert!(is_array_or_pretty("  {"));
        assert!(!is_array_or_pretty(r#"{"text": "a"#));
        assert!(!is_array_or_pretty("garbage here"));
    }
}
