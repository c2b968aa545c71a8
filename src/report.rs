//! The run report: counts derived from verdicts and stage statistics, written as
//! `report.json` and summarized on stderr.
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
    pub files_skipped: Vec<String>,
    pub blank_lines_skipped: u64,
    pub records: Records,
    pub bytes: Bytes,
    pub stages: Vec<StageReport>,
    /// Extra sections added by later phases (dedup index sizes, clusters, ...).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub sections: BTreeMap<String, serde_json::Value>,
    pub seconds: f64,
    pub records_per_second: f64,
    pub mb_per_second: f64,
    pub output: OutputInfo,
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
            s += &format!(
                "rinse: skipped {} files with unknown extensions (listed in report.json)\n",
                self.files_skipped.len()
            );
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
