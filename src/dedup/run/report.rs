//! The `dedup` section of report.json: counts per kind, clusters, index sizes, timings.
use super::{Decisions, Run};
use crate::dedup::document::DocVerdict;
use crate::dedup::near_passage::RULE_NEAR;
use crate::dedup::passage::{RULE_BOILERPLATE, RULE_EXACT};
use serde_json::{json, Value};

impl Run {
    /// The `dedup` section of report.json.
    pub(super) fn report(&self, d: &Decisions) -> Value {
        let exact = d
            .verdicts
            .iter()
            .filter(|v| matches!(v, DocVerdict::Exact { .. }))
            .count();
        let near = d
            .verdicts
            .iter()
            .filter(|v| matches!(v, DocVerdict::Near { .. }))
            .count();
        let largest: Vec<Value> = d
            .clusters
            .largest
            .iter()
            .map(|(size, members)| {
                let ids: Vec<&str> = members.iter().map(|&m| self.ids.id(m)).collect();
                json!({"size": size, "keep": ids.first(), "members": ids})
            })
            .collect();
        let removed = |rule: &str| {
            let (n, b) = self.removed.get(rule).copied().unwrap_or_default();
            json!({"passages": n, "bytes": b})
        };
        json!({
            "documents": self.ids.len(),
            "removed": {
                "exact-duplicate": exact,
                "near-duplicate": near,
                RULE_EXACT: removed(RULE_EXACT),
                RULE_BOILERPLATE: removed(RULE_BOILERPLATE),
                RULE_NEAR: removed(RULE_NEAR),
            },
            "boilerplate_passages": self.passages.boilerplate,
            "candidate_pairs": d.candidates,
            "verified_pairs": d.verified,
            "clusters": {
                "count": d.clusters.count,
                "sizes": d.clusters.sizes.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
                "largest": largest,
            },
            "index": {
                "passage_hashes": self.passages.hashes,
                "passage_index_bytes": self.passages.held,
                "passage_file_bytes": self.passage_occ_bytes + self.passages.file_bytes,
                "near_passages_indexed": self.near.as_ref().map_or(0, |n| n.indexed),
                "near_passage_index_bytes": self.near.as_ref().map_or(0, |n| n.index_bytes),
                "near_passage_file_bytes": self.near.as_ref().map_or(0, |n| n.file_bytes),
                "near_passage_rounds": self.near.as_ref().map_or(0, |n| n.rounds),
                "document_hashes": self.exact.entries(),
                "document_index_bytes": self.exact.bytes(),
                "partitions": d.partitions,
                "band_file_bytes": d.band_file_bytes,
                "pair_file_bytes": d.pair_file_bytes,
                "id_bytes": self.ids.bytes(),
                "exact_link_bytes": self.exact_of.len() * std::mem::size_of::<Option<u32>>(),
                "signature_file_bytes": d.signature_bytes,
                "sketch_memory_bytes": self.sketch_bytes.0,
                "sketch_file_bytes": self.sketch_bytes.1,
                "spill_memory_bytes": self.spill_bytes.0,
                "spill_file_bytes": self.spill_bytes.1,
            },
            "seconds": self.seconds.iter().map(|(k, v)| (k.to_string(), json!(round4(*v)))).collect::<serde_json::Map<_, _>>(),
        })
    }
}

pub(super) fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}
