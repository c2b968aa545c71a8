//! Where a run's final verdicts go, in input order: the files of an output directory
//! ([`Writer`]), or anything else that takes them (`rinse eval` keeps them in memory). The
//! pipeline produces verdicts and knows nothing of where they end up.
use crate::document::{Document, Rejection};
use crate::error::Result;
use crate::write::{kept_line, WriteOptions, WriteTotals, Writer};

/// Takes the verdicts of a run, in input order.
pub trait Destination: Send {
    /// A kept document as [`Destination::prepare`] made it.
    type Kept: Send;

    /// Make a kept document ready for [`Destination::keep`], on a worker thread (the
    /// writer serializes it there); also returns the bytes of its output text.
    fn prepare(opts: &WriteOptions, doc: Document) -> (Self::Kept, u64);

    fn keep(&mut self, kept: Self::Kept) -> Result<()>;

    fn reject(&mut self, r: Rejection) -> Result<()>;

    /// What was written so far (records, bytes, files).
    fn totals(&self) -> WriteTotals;

    /// Temporary files of an earlier, unfinished run that were removed (a warning).
    fn stale_removed(&self) -> usize;

    /// What [`Destination::commit`] gives back.
    type Done;

    /// The run is over: `report_json` and the files to put beside it (name, contents).
    fn commit(self, report_json: &str, extra: &[(&str, String)]) -> Result<Self::Done>;
}

impl Destination for Writer {
    /// The record's JSON line.
    type Kept = Vec<u8>;

    fn prepare(opts: &WriteOptions, doc: Document) -> (Vec<u8>, u64) {
        kept_line(doc, opts)
    }

    fn keep(&mut self, line: Vec<u8>) -> Result<()> {
        self.keep_line(&line)
    }

    fn reject(&mut self, r: Rejection) -> Result<()> {
        Writer::reject(self, r)
    }

    fn totals(&self) -> WriteTotals {
        Writer::totals(self)
    }

    fn stale_removed(&self) -> usize {
        self.dir().stale_removed.len()
    }

    type Done = ();

    fn commit(self, report_json: &str, extra: &[(&str, String)]) -> Result<()> {
        Writer::commit(self, report_json, extra)
    }
}

/// Keeps the verdicts in memory, in input order (for tests and `rinse eval`).
#[derive(Default)]
pub struct Collect {
    /// Kept documents (annotated: text as normalized, removals listed).
    pub kept: Vec<Document>,
    pub rejected: Vec<Rejection>,
}

impl Destination for Collect {
    type Kept = Document;

    fn prepare(_: &WriteOptions, doc: Document) -> (Document, u64) {
        let bytes = crate::document::apply_removals(&doc.text, &doc.removals).len() as u64;
        (doc, bytes)
    }

    fn keep(&mut self, doc: Document) -> Result<()> {
        self.kept.push(doc);
        Ok(())
    }

    fn reject(&mut self, r: Rejection) -> Result<()> {
        self.rejected.push(r);
        Ok(())
    }

    fn totals(&self) -> WriteTotals {
        WriteTotals {
            kept: self.kept.len() as u64,
            rejected: self.rejected.len() as u64,
            ..WriteTotals::default()
        }
    }

    fn stale_removed(&self) -> usize {
        0
    }

    type Done = Collect;

    fn commit(self, _: &str, _: &[(&str, String)]) -> Result<Collect> {
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{self, RunPlan};
    use crate::read::Fields;
    use crate::write::{OutputCompression, TextMode};
    use std::path::{Path, PathBuf};

    /// The verdicts a run hands to a destination are the ones the writer writes: kept
    /// documents serialized as the writer would give the same bytes as its shards, and
    /// the rejections come in the same order with the same reasons.
    #[test]
    fn collected_verdicts_are_what_the_writer_writes() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let scratch = std::env::temp_dir().join(format!("rinse-dest-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&scratch);
        let plan = |out: PathBuf| RunPlan {
            inputs: vec![
                root.join("tests/data/seeds"),
                root.join("tests/data/dedup/corpus.jsonl"),
            ],
            fields: Fields::default(),
            config: crate::Config::embedded().unwrap(),
            write: WriteOptions {
                out,
                compression: OutputCompression::None,
                shard_size: u64::MAX,
                explain: true,
                text_mode: TextMode::Clean,
                fields: Fields::default(),
            },
            threads: 2,
            batch_records: 3,
            rule_timing: false,
        };
        let files = plan(scratch.join("files"));
        let report = pipeline::run(&files, &mut |_| {}).unwrap();
        let memory = plan(scratch.join("memory"));
        std::fs::create_dir_all(&memory.write.out).unwrap();
        let (report2, got) =
            pipeline::run_to(&memory, || Ok(Collect::default()), &mut |_| {}).unwrap();
        assert_eq!(report.records.kept, got.kept.len() as u64);
        assert_eq!(report.records.rejected, got.rejected.len() as u64);
        assert!(report.records.rejected > 0, "the corpus has duplicates");
        assert_eq!(
            report.records.rejected_by_reason,
            report2.records.rejected_by_reason
        );
        let mut lines = Vec::new();
        for doc in got.kept {
            lines.extend(kept_line(doc, &memory.write).0);
            lines.push(b'\n');
        }
        let written = std::fs::read(scratch.join("files/kept/00000.jsonl")).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&lines),
            String::from_utf8_lossy(&written)
        );
        let reasons: Vec<&str> = got.rejected.iter().map(|r| r.reason).collect();
        let written = std::fs::read_to_string(scratch.join("files/rejected/00000.jsonl")).unwrap();
        let written: Vec<String> = written
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["reason"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(reasons, written);
        let _ = std::fs::remove_dir_all(&scratch);
    }
}
