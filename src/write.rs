//! Writing kept and rejected records into sharded, optionally compressed JSONL files and
//! the report, atomically: everything is written under temporary names and renamed into
//! place only when the whole run succeeded.
use crate::document::{kept_pieces, Document, Rejection, Removal};
use crate::error::{Error, Result};
use crate::outdir::OutDir;
use crate::read::Fields;
use crate::record::{escape_contents, escape_str};
use serde_json::{json, Map, Value};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

pub mod parquet;

/// The format of output shards.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// One JSON object per line (`NNNNN.jsonl`, optionally compressed).
    #[default]
    Jsonl,
    /// Apache Parquet (`NNNNN.parquet`, Snappy inside): see [`parquet`].
    Parquet,
}

/// Compression of output shards.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputCompression {
    #[default]
    None,
    Gzip,
    Zstd,
}

impl OutputCompression {
    fn extension(self) -> &'static str {
        match self {
            OutputCompression::None => "jsonl",
            OutputCompression::Gzip => "jsonl.gz",
            OutputCompression::Zstd => "jsonl.zst",
        }
    }
}

/// How kept records are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TextMode {
    /// Apply removals: the text field holds the cleaned text.
    #[default]
    Clean,
    /// Keep the (normalized) text and only annotate the removals (implies explain).
    AnnotateOnly,
}

#[derive(Clone, Debug)]
pub struct WriteOptions {
    pub out: PathBuf,
    pub compression: OutputCompression,
    /// Start a new shard once this many uncompressed bytes went into the current one.
    pub shard_size: u64,
    pub explain: bool,
    pub text_mode: TextMode,
    pub fields: Fields,
}

enum Sink {
    Plain(BufWriter<File>),
    Gzip(flate2::write::GzEncoder<BufWriter<File>>),
    Zstd(zstd::stream::write::Encoder<'static, BufWriter<File>>),
}

impl Sink {
    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Sink::Plain(w) => w,
            Sink::Gzip(w) => w,
            Sink::Zstd(w) => w,
        }
    }

    fn finish(self) -> std::io::Result<()> {
        let mut inner = match self {
            Sink::Plain(w) => w,
            Sink::Gzip(w) => w.finish()?,
            Sink::Zstd(w) => w.finish()?,
        };
        inner.flush()?;
        inner.into_inner().map_err(|e| e.into_error())?.sync_all()
    }
}

/// Writeback of a shard while it is written: every [`EARLY_SYNC_EVERY`] bytes, a thread
/// flushes what the file has so far to disk (`fdatasync` on a second handle), so the
/// sync that commits the shard has little left to write instead of the whole shard.
struct EarlySync {
    file: File,
    next_at: u64,
    running: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

/// Bytes of a shard between early syncs.
const EARLY_SYNC_EVERY: u64 = 32 << 20;

impl EarlySync {
    fn new(file: File) -> Self {
        EarlySync {
            file,
            next_at: EARLY_SYNC_EVERY,
            running: None,
        }
    }

    /// Called after each write with the shard's bytes so far: start a sync when one is
    /// due and none is running. An error of a finished sync is returned.
    fn poll(&mut self, written: u64) -> std::io::Result<()> {
        if written < self.next_at {
            return Ok(());
        }
        self.next_at = written + EARLY_SYNC_EVERY;
        if self.running.as_ref().is_some_and(|h| !h.is_finished()) {
            return Ok(());
        }
        self.join()?;
        let file = self.file.try_clone()?;
        self.running = Some(std::thread::spawn(move || file.sync_data()));
        Ok(())
    }

    /// Wait for the running sync, if any, and return its error.
    fn join(&mut self) -> std::io::Result<()> {
        match self.running.take() {
            Some(h) => h
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("sync thread panicked"))),
            None => Ok(()),
        }
    }
}

/// A sequence of shards `DIR/00000.jsonl`, `DIR/00001.jsonl`, ... written under
/// temporary names.
struct Shards {
    dir: PathBuf,
    compression: OutputCompression,
    shard_size: u64,
    current: Option<Sink>,
    early: Option<EarlySync>,
    current_bytes: u64,
    /// (temporary path, final path) of every shard started.
    files: Vec<(PathBuf, PathBuf)>,
    records: u64,
    bytes: u64,
}

impl Shards {
    fn new(dir: PathBuf, compression: OutputCompression, shard_size: u64) -> Self {
        Shards {
            dir,
            compression,
            shard_size: shard_size.max(1),
            current: None,
            early: None,
            current_bytes: 0,
            files: Vec::new(),
            records: 0,
            bytes: 0,
        }
    }

    /// Finish the current shard, if any: its early sync, then its final one.
    fn finish_current(&mut self) -> Result<()> {
        if let Some(sink) = self.current.take() {
            let path = &self.files.last().expect("a shard was started").0;
            if let Some(mut early) = self.early.take() {
                early.join().map_err(|e| Error::io(path, e))?;
            }
            sink.finish().map_err(|e| Error::io(path, e))?;
        }
        Ok(())
    }

    fn start_shard(&mut self) -> Result<()> {
        self.finish_current()?;
        let name = format!("{:05}.{}", self.files.len(), self.compression.extension());
        let final_path = self.dir.join(&name);
        let tmp = OutDir::temp_path(&self.dir, &name);
        let file = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        self.early = Some(EarlySync::new(
            file.try_clone().map_err(|e| Error::io(&tmp, e))?,
        ));
        let buf = BufWriter::with_capacity(1 << 20, file);
        let sink = match self.compression {
            OutputCompression::None => Sink::Plain(buf),
            OutputCompression::Gzip => Sink::Gzip(flate2::write::GzEncoder::new(
                buf,
                flate2::Compression::default(),
            )),
            OutputCompression::Zstd => Sink::Zstd(
                zstd::stream::write::Encoder::new(buf, 3).map_err(|e| Error::io(&tmp, e))?,
            ),
        };
        self.files.push((tmp, final_path));
        self.current = Some(sink);
        self.current_bytes = 0;
        Ok(())
    }

    fn write_line(&mut self, line: &[u8]) -> Result<()> {
        if self.current.is_none() || self.current_bytes >= self.shard_size {
            self.start_shard()?;
        }
        let path = &self.files.last().expect("shard started").0;
        let w = self.current.as_mut().expect("shard started").writer();
        w.write_all(line)
            .and_then(|_| w.write_all(b"\n"))
            .map_err(|e| Error::io(path, e))?;
        self.current_bytes += line.len() as u64 + 1;
        self.bytes += line.len() as u64 + 1;
        self.records += 1;
        if let Some(early) = self.early.as_mut() {
            early
                .poll(self.current_bytes)
                .map_err(|e| Error::io(path, e))?;
        }
        Ok(())
    }

    /// Finish the last shard (creating an empty `00000` shard when nothing was written).
    fn finish(&mut self) -> Result<()> {
        if self.files.is_empty() {
            self.start_shard()?;
        }
        self.finish_current()
    }

    fn commit(&mut self) -> Result<()> {
        remove_stale_shards(&self.dir, self.files.len(), false)?;
        for (tmp, dst) in std::mem::take(&mut self.files) {
            std::fs::rename(&tmp, &dst).map_err(|e| Error::io(&dst, e))?;
        }
        Ok(())
    }

    fn abort(&mut self) {
        self.current = None;
        if let Some(mut early) = self.early.take() {
            let _ = early.join();
        }
        for (tmp, _) in std::mem::take(&mut self.files) {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// Remove the shards an earlier run left in `dir` that this run's `keep` shards do not
/// replace: those of this run's format (`parquet` or JSONL, compressed or not) numbered
/// `keep` and up, and every shard of the other format, so the directory holds exactly
/// this run's output.
pub(crate) fn remove_stale_shards(dir: &Path, keep: usize, parquet: bool) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((num, ext)) = name.split_once('.') else {
            continue;
        };
        if num.len() != 5 || !num.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let own = match ext {
            "jsonl" | "jsonl.gz" | "jsonl.zst" => !parquet,
            "parquet" => parquet,
            _ => continue,
        };
        if !own || num.parse::<usize>().is_ok_and(|n| n >= keep) {
            std::fs::remove_file(entry.path()).map_err(|e| Error::io(entry.path(), e))?;
        }
    }
    Ok(())
}

/// The output of a run: kept and rejected shards plus the report.
pub struct Writer {
    opts: WriteOptions,
    /// The claimed (locked) output directory.
    dir: OutDir,
    kept: Shards,
    rejected: Shards,
    committed: bool,
}

/// Totals the writer saw, for the report.
#[derive(Clone, Copy, Debug, Default)]
pub struct WriteTotals {
    pub kept: u64,
    pub rejected: u64,
    pub kept_bytes: u64,
    pub rejected_bytes: u64,
    pub kept_shards: usize,
    pub rejected_shards: usize,
}

impl Writer {
    /// Claim DIR (see [`OutDir::claim`]: lock, marker, stale temporary files removed)
    /// with DIR/kept and DIR/rejected; an error naming the path if that fails, before any
    /// input is read.
    pub fn create(opts: WriteOptions) -> Result<Writer> {
        let dir = OutDir::claim(&opts.out)?;
        let kept_dir = opts.out.join("kept");
        let rejected_dir = opts.out.join("rejected");
        Ok(Writer {
            dir,
            kept: Shards::new(kept_dir, opts.compression, opts.shard_size),
            rejected: Shards::new(rejected_dir, opts.compression, opts.shard_size),
            opts,
            committed: false,
        })
    }

    /// Write a kept document: the original record with its text field replaced by the
    /// cleaned text (or annotated only), plus a `rinse` object when explaining.
    pub fn keep(&mut self, doc: Document) -> Result<u64> {
        let line = kept_line(doc, &self.opts);
        let text_bytes = line.1;
        self.kept.write_line(&line.0)?;
        Ok(text_bytes)
    }

    /// Write a kept record already serialized by [`kept_line`] (so callers can serialize
    /// in parallel and write in order).
    pub fn keep_line(&mut self, line: &[u8]) -> Result<()> {
        self.kept.write_line(line)
    }

    pub fn reject(&mut self, r: Rejection) -> Result<()> {
        self.rejected.write_line(&rejected_line(r))
    }

    /// The claimed output directory.
    pub fn dir(&self) -> &OutDir {
        &self.dir
    }

    pub fn totals(&self) -> WriteTotals {
        WriteTotals {
            kept: self.kept.records,
            rejected: self.rejected.records,
            kept_bytes: self.kept.bytes,
            rejected_bytes: self.rejected.bytes,
            kept_shards: self.kept.files.len().max(1),
            rejected_shards: self.rejected.files.len().max(1),
        }
    }

    /// Finish all shards, write the report and the files beside it (`extra`: name and
    /// contents: the sample, report.html), and rename everything into place.
    pub fn commit(mut self, report_json: &str, extra: &[(&str, String)]) -> Result<()> {
        self.kept.finish()?;
        self.rejected.finish()?;
        commit_run(&self.opts.out, report_json, extra, || {
            self.kept.commit()?;
            self.rejected.commit()
        })?;
        self.committed = true;
        Ok(())
    }
}

/// The end of a run whose shards are written: write the report and the files beside it
/// under temporary names, then, so that an interrupt waits for all of it, rename the
/// shards into place (`shards`) and the report files after them. Shared by the JSONL
/// [`Writer`] and the Parquet one ([`parquet::ParquetWriter`]).
pub(crate) fn commit_run(
    out: &Path,
    report_json: &str,
    extra: &[(&str, String)],
    shards: impl FnOnce() -> Result<()>,
) -> Result<()> {
    let mut files = vec![("report.json", report_json)];
    files.extend(extra.iter().map(|(n, t)| (*n, t.as_str())));
    let mut renames = Vec::new();
    for (name, text) in files {
        let tmp = OutDir::temp_path(out, name);
        std::fs::write(&tmp, text).map_err(|e| Error::io(&tmp, e))?;
        renames.push((tmp, out.join(name)));
    }
    // A sample left by an earlier run with one would not match this report.
    let stale_sample = out.join(crate::report::sample::SAMPLE_FILE);
    let drop_sample = !extra
        .iter()
        .any(|(n, _)| *n == crate::report::sample::SAMPLE_FILE);
    // An interrupt waits for the renames: the directory never holds half of them.
    OutDir::committing(|| -> Result<()> {
        shards()?;
        if drop_sample && stale_sample.exists() {
            std::fs::remove_file(&stale_sample).map_err(|e| Error::io(&stale_sample, e))?;
        }
        for (tmp, dst) in &renames {
            std::fs::rename(tmp, dst).map_err(|e| Error::io(dst, e))?;
        }
        Ok(())
    })
}

/// Remove the temporary report files of a run that did not commit.
pub(crate) fn remove_report_temps(out: &Path) {
    for name in [
        "report.json",
        crate::report::sample::SAMPLE_FILE,
        crate::report::html::HTML_FILE,
    ] {
        let _ = std::fs::remove_file(OutDir::temp_path(out, name));
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if !self.committed {
            self.kept.abort();
            self.rejected.abort();
            remove_report_temps(&self.opts.out);
        }
    }
}

/// Serialize a kept document; returns the line and the byte length of the output text.
/// The record's other fields are copied as they are held (see [`crate::record`]); only
/// the text is escaped.
pub fn kept_line(doc: Document, opts: &WriteOptions) -> (Vec<u8>, u64) {
    let Document {
        text,
        record,
        lang,
        removals,
        ..
    } = doc;
    let explain = (opts.explain || opts.text_mode == TextMode::AnnotateOnly)
        .then(|| serde_json::to_vec(&explain_value(&text, lang, &removals)).unwrap_or_default());
    let mut line = Vec::with_capacity(text.len() + text.len() / 16 + 256);
    // The cleaned text is escaped piece by piece straight into the line.
    let mut text_bytes = None;
    record.write_with(
        &mut line,
        &opts.fields.text,
        &mut |out| {
            out.push(b'"');
            text_bytes = Some(write_text(out, &text, &removals, opts.text_mode));
            out.push(b'"');
        },
        explain.as_deref().map(|e| ("rinse", e)),
    );
    let text_bytes =
        text_bytes.unwrap_or_else(|| write_text(&mut Vec::new(), &text, &removals, opts.text_mode));
    (line, text_bytes)
}

/// Append the output text of a kept document, escaped for a JSON string; returns its
/// length unescaped.
fn write_text(out: &mut Vec<u8>, text: &str, removals: &[Removal], mode: TextMode) -> u64 {
    if mode == TextMode::AnnotateOnly {
        escape_contents(out, text);
        return text.len() as u64;
    }
    let mut n = 0;
    kept_pieces(text, removals, |piece| {
        n += piece.len();
        // The line breaks between lines come as pieces of their own.
        match piece {
            "\n" => out.extend_from_slice(b"\\n"),
            "\n\n" => out.extend_from_slice(b"\\n\\n"),
            _ => escape_contents(out, piece),
        }
    });
    n as u64
}

/// The `rinse` object of an explained record: language and every removal with its text.
pub fn explain_value(text: &str, lang: Option<&str>, removals: &[Removal]) -> Value {
    let mut sorted: Vec<_> = removals.iter().collect();
    sorted.sort_by(|a, b| (a.start, a.end, &a.rule).cmp(&(b.start, b.end, &b.rule)));
    let list: Vec<Value> = sorted
        .into_iter()
        .map(|r| {
            let mut m = Map::new();
            m.insert("rule".into(), json!(&*r.rule));
            m.insert("category".into(), json!(&*r.category));
            m.insert("start".into(), json!(r.start));
            m.insert("end".into(), json!(r.end));
            m.insert("text".into(), json!(text.get(r.start..r.end).unwrap_or("")));
            if let Some(d) = &r.dup_of {
                m.insert("dup_of".into(), json!(d));
            }
            Value::Object(m)
        })
        .collect();
    json!({ "lang": lang, "removals": list })
}

/// A rejected record as one JSON line: reason, stage, origin, id, detail and the extra
/// fields, then the original record (spliced in as it is held) or the raw line.
pub(crate) fn rejected_line(r: Rejection) -> Vec<u8> {
    let mut m = Map::new();
    m.insert("reason".into(), json!(r.reason));
    m.insert("stage".into(), json!(r.stage));
    m.insert("origin".into(), json!(r.origin.to_string()));
    if let Some(id) = r.id {
        m.insert("id".into(), json!(id));
    }
    if let Some(d) = r.detail {
        m.insert("detail".into(), json!(d));
    }
    for (k, v) in r.extra {
        m.insert(k, v);
    }
    let mut line = serde_json::to_vec(&Value::Object(m)).unwrap_or_else(|_| b"{}".to_vec());
    // `m` is never empty: reason comes first. Reopen it to append the rest.
    line.pop();
    if let Some(rec) = r.record {
        line.extend_from_slice(b",\"record\":");
        rec.write_json(&mut line);
    }
    if let Some(raw) = r.raw {
        line.extend_from_slice(b",\"raw\":");
        escape_str(&mut line, &raw);
    }
    line.push(b'}');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn early_sync_starts_every_interval_and_one_at_a_time() {
        let dir = std::env::temp_dir().join(format!("rinse-early-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("shard");
        let mut file = File::create(&path).unwrap();
        let mut early = EarlySync::new(file.try_clone().unwrap());
        file.write_all(b"line\n").unwrap();
        early.poll(EARLY_SYNC_EVERY - 1).unwrap();
        assert!(early.running.is_none());
        early.poll(EARLY_SYNC_EVERY).unwrap();
        assert!(early.running.is_some());
        assert_eq!(early.next_at, 2 * EARLY_SYNC_EVERY);
        early.join().unwrap();
        assert!(early.running.is_none());
        // Due again later; the file is intact after the syncs.
        early.poll(2 * EARLY_SYNC_EVERY + 5).unwrap();
        assert_eq!(early.next_at, 3 * EARLY_SYNC_EVERY + 5);
        early.join().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"line\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
