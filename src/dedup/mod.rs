//! Near-duplicate passages and documents (issue 4). Configuration only, for now.
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DedupConfig {
    /// Run deduplication.
    pub enabled: bool,
}
