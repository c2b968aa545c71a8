//! Parquet output (`--output-format parquet`): a [`Destination`] that writes the kept
//! and rejected records of a run as Arrow record batches straight into Parquet shards
//! (`kept/00000.parquet`, ...), each written under a temporary name and renamed into
//! place when the whole run succeeded, like the JSONL [`Writer`](crate::write::Writer).
//! A new shard starts where the JSONL writer would start one (after `--shard-size`
//! bytes of JSONL records).
//!
//! Two layouts:
//! - **The input schema**, when every input is Parquet with one schema: kept rows have
//!   the input's columns with their types (the text column holding the cleaned text),
//!   plus a `rinse` string column (the explain object as JSON) with `--explain`;
//!   rejected rows have the input's columns (all nullable: a row rejected before it was
//!   read has none) plus `rinse_reason`, `rinse_stage`, `rinse_origin`, `rinse_id`,
//!   `rinse_detail` and `rinse_raw` (the bytes of a record that was not JSON).
//! - **A fixed schema** otherwise (JSONL, text or WARC inputs): kept rows are `id`,
//!   `text`, `fields` (every other top-level member, as a JSON object in a string) and,
//!   with `--explain`, `rinse`; rejected rows are `reason`, `stage`, `origin`, `id`,
//!   `detail`, `record` (the original record as JSON) and `raw`.
//!
//! The workers serialize each record as the JSONL writer does (in parallel); values go
//! through the Arrow project's JSON reader, the inverse of the writer that turned the
//! input rows into records (see [`crate::read`]'s Parquet reader), on one thread per
//! part (kept, rejected) beside the pipeline, which also encodes the Parquet pages. The
//! bytes do not depend on the thread count: rows are converted in fixed chunks of each
//! shard, written in order. Pages are compressed with Snappy (what Hugging Face
//! datasets use) unless `--compression` says otherwise.
use crate::destination::Destination;
use crate::document::{Document, Rejection};
use crate::error::{Error, Result};
use crate::outdir::OutDir;
use crate::read::Fields;
use crate::write::{
    commit_run, kept_line, rejected_line, remove_report_temps, remove_stale_shards, WriteOptions,
    WriteTotals,
};
use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;
use serde_json::{Map, Value};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Rows converted together (one Arrow batch); fixed, so the output does not depend on
/// the thread count.
const CHUNK_ROWS: usize = 8192;
/// Rows per row group of an output shard (about 25 MB of web text), so that readers
/// can stream it.
const ROW_GROUP_ROWS: usize = 4 * CHUNK_ROWS;
/// Chunks queued for a part's encoding thread before the pipeline waits for it.
const CHUNKS_AHEAD: usize = 2;

/// What the Parquet shards hold.
#[derive(Clone, Debug)]
pub struct ParquetOutput {
    /// The schema shared by every input, when all inputs are Parquet.
    pub input_schema: Option<SchemaRef>,
    pub fields: Fields,
    /// Kept rows have a `rinse` column.
    pub explain: bool,
    /// The codec of the pages (`--compression`; Snappy when not given).
    pub compression: ParquetCompression,
}

/// The page codecs of Parquet output.
pub use parquet::basic::Compression as ParquetCompression;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Kept,
    Rejected,
}

/// The output of a run as Parquet shards plus the report: the [`Destination`] of
/// `--output-format parquet`.
pub struct ParquetWriter {
    opts: WriteOptions,
    /// The claimed (locked) output directory.
    dir: OutDir,
    kept: PartWriter,
    rejected: PartWriter,
    committed: bool,
}

impl ParquetWriter {
    /// Claim the output directory (as [`crate::write::Writer::create`] does) and start
    /// the encoding threads.
    pub fn create(opts: WriteOptions, spec: ParquetOutput) -> Result<ParquetWriter> {
        let dir = OutDir::claim(&opts.out)?;
        let spec = Arc::new(spec);
        let kept = PartWriter::start(opts.out.join("kept"), opts.shard_size, &spec, Part::Kept)?;
        let rejected = PartWriter::start(
            opts.out.join("rejected"),
            opts.shard_size,
            &spec,
            Part::Rejected,
        )?;
        Ok(ParquetWriter {
            opts,
            dir,
            kept,
            rejected,
            committed: false,
        })
    }
}

impl Destination for ParquetWriter {
    /// The record's JSON line, as the JSONL writer writes it.
    type Kept = Vec<u8>;

    fn prepare(opts: &WriteOptions, doc: Document) -> (Vec<u8>, u64) {
        kept_line(doc, opts)
    }

    fn keep(&mut self, line: Vec<u8>) -> Result<()> {
        self.kept.push(line)
    }

    fn reject(&mut self, r: Rejection) -> Result<()> {
        self.rejected.push(rejected_line(r))
    }

    fn totals(&self) -> WriteTotals {
        WriteTotals {
            kept: self.kept.records,
            rejected: self.rejected.records,
            kept_bytes: self.kept.bytes,
            rejected_bytes: self.rejected.bytes,
            kept_shards: self.kept.shards.max(1),
            rejected_shards: self.rejected.shards.max(1),
        }
    }

    fn stale_removed(&self) -> usize {
        self.dir.stale_removed.len()
    }

    type Done = ();

    fn commit(mut self, report_json: &str, extra: &[(&str, String)]) -> Result<()> {
        let kept = self.kept.finish()?;
        let rejected = self.rejected.finish()?;
        commit_run(&self.opts.out, report_json, extra, || {
            for (files, part) in [(&kept, &self.kept), (&rejected, &self.rejected)] {
                remove_stale_shards(&part.dir, files.len(), true)?;
                for (tmp, dst) in files {
                    std::fs::rename(tmp, dst).map_err(|e| Error::io(dst, e))?;
                }
            }
            Ok(())
        })?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for ParquetWriter {
    fn drop(&mut self) {
        if !self.committed {
            self.kept.abort();
            self.rejected.abort();
            remove_report_temps(&self.opts.out);
        }
    }
}

/// What the pipeline sends a part's encoding thread.
enum Msg {
    /// Close the current shard (if any) and start the next one.
    NewShard,
    /// Records of the current shard, in order.
    Chunk(Vec<Vec<u8>>),
}

/// (temporary path, final path) of every shard written.
type Files = Vec<(PathBuf, PathBuf)>;

/// The kept or rejected shards: records are gathered into chunks here, in the pipeline's
/// writing thread, and encoded on a thread of their own.
struct PartWriter {
    dir: PathBuf,
    shard_size: u64,
    chunk: Vec<Vec<u8>>,
    /// JSONL bytes of the current shard (where a new one starts, as for JSONL).
    current_bytes: u64,
    shards: usize,
    records: u64,
    bytes: u64,
    send: Option<SyncSender<Msg>>,
    thread: Option<JoinHandle<Result<Files>>>,
}

impl PartWriter {
    fn start(dir: PathBuf, shard_size: u64, spec: &Arc<ParquetOutput>, part: Part) -> Result<Self> {
        let (send, receive) = sync_channel(CHUNKS_AHEAD);
        let (thread_dir, spec) = (dir.clone(), spec.clone());
        let thread = std::thread::Builder::new()
            .name(format!("rinse-parquet-{part:?}").to_lowercase())
            .spawn(move || encode_shards(&thread_dir, &spec, part, receive))
            .map_err(|e| Error::Usage(format!("cannot start a thread: {e}")))?;
        Ok(PartWriter {
            dir,
            shard_size: shard_size.max(1),
            chunk: Vec::with_capacity(CHUNK_ROWS),
            current_bytes: 0,
            shards: 0,
            records: 0,
            bytes: 0,
            send: Some(send),
            thread: Some(thread),
        })
    }

    fn send(&mut self, msg: Msg) -> Result<()> {
        let sent = self.send.as_ref().is_some_and(|s| s.send(msg).is_ok());
        if sent {
            return Ok(());
        }
        // The thread stopped: it failed, and says why.
        self.send = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(Err(e))) => Err(e),
            _ => Err(Error::Usage(format!(
                "{}: the Parquet writer stopped",
                self.dir.display()
            ))),
        }
    }

    fn flush_chunk(&mut self) -> Result<()> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK_ROWS));
        self.send(Msg::Chunk(chunk))
    }

    fn push(&mut self, line: Vec<u8>) -> Result<()> {
        if self.shards == 0 || self.current_bytes >= self.shard_size {
            self.flush_chunk()?;
            self.send(Msg::NewShard)?;
            self.shards += 1;
            self.current_bytes = 0;
        }
        let n = line.len() as u64 + 1;
        self.current_bytes += n;
        self.bytes += n;
        self.records += 1;
        self.chunk.push(line);
        if self.chunk.len() == CHUNK_ROWS {
            self.flush_chunk()?;
        }
        Ok(())
    }

    /// Write the last chunk (an empty `00000` shard when there was no record) and wait
    /// for the thread: the shards it wrote, synced.
    fn finish(&mut self) -> Result<Files> {
        if self.shards == 0 {
            self.send(Msg::NewShard)?;
            self.shards = 1;
        }
        self.flush_chunk()?;
        self.send = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            _ => Err(Error::Usage(format!(
                "{}: the Parquet writer stopped",
                self.dir.display()
            ))),
        }
    }

    fn abort(&mut self) {
        self.send = None;
        if let Some(Ok(Ok(files))) = self.thread.take().map(JoinHandle::join) {
            for (tmp, _) in files {
                let _ = std::fs::remove_file(tmp);
            }
        }
    }
}

/// The encoding thread of one part: shards from the messages, in order; on an error its
/// temporary files are removed and the error returned (the pipeline sees it at its next
/// send).
fn encode_shards(
    dir: &Path,
    spec: &ParquetOutput,
    part: Part,
    receive: Receiver<Msg>,
) -> Result<Files> {
    let schema = schema_of(spec, part);
    let mut files: Files = Vec::new();
    let mut result = Ok(());
    let mut current: Option<(ArrowWriter<File>, u64)> = None;
    for msg in receive.iter() {
        result = match msg {
            Msg::NewShard => close(current.take(), &files).and_then(|()| {
                let name = format!("{:05}.parquet", files.len());
                let tmp = OutDir::temp_path(dir, &name);
                files.push((tmp.clone(), dir.join(name)));
                current = Some((shard_writer(&tmp, &schema, spec, part)?, 0));
                Ok(())
            }),
            Msg::Chunk(lines) => match current.as_mut() {
                Some((writer, row)) => {
                    let path = &files.last().expect("a shard was started").0;
                    let batch = to_batch(&lines, &schema, spec, part, path, *row);
                    *row += lines.len() as u64;
                    batch.and_then(|b| writer.write(&b).map_err(|e| write_error(path, &e)))
                }
                None => Err(Error::Usage("a Parquet chunk before its shard".into())),
            },
        };
        if result.is_err() {
            break;
        }
    }
    let result = result.and_then(|()| close(current.take(), &files));
    match result {
        Ok(()) => Ok(files),
        Err(e) => {
            drop(current);
            for (tmp, _) in files {
                let _ = std::fs::remove_file(tmp);
            }
            Err(e)
        }
    }
}

/// Finish the shard being written (the last of `files`): footer, then sync.
fn close(current: Option<(ArrowWriter<File>, u64)>, files: &Files) -> Result<()> {
    let Some((writer, _)) = current else {
        return Ok(());
    };
    let path = &files.last().expect("a shard was started").0;
    let file = writer.into_inner().map_err(|e| write_error(path, &e))?;
    file.sync_all().map_err(|e| Error::io(path, e))
}

fn write_error(path: &Path, e: &dyn std::fmt::Display) -> Error {
    Error::Read {
        path: path.to_path_buf(),
        line: 0,
        message: format!("cannot write Parquet: {e}"),
    }
}
fn text_field(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}

/// The Arrow schema of the kept or rejected shards.
fn schema_of(spec: &ParquetOutput, part: Part) -> SchemaRef {
    let mut fields: Vec<Field> = match (&spec.input_schema, part) {
        (Some(s), Part::Kept) => s.fields().iter().map(|f| f.as_ref().clone()).collect(),
        (Some(s), Part::Rejected) => s
            .fields()
            .iter()
            .map(|f| f.as_ref().clone().with_nullable(true))
            .collect(),
        (None, Part::Kept) => ["id", "text", "fields"].map(text_field).to_vec(),
        (None, Part::Rejected) => ["reason", "stage", "origin", "id", "detail", "record", "raw"]
            .map(text_field)
            .to_vec(),
    };
    match (&spec.input_schema, part) {
        (_, Part::Kept) if spec.explain => fields.push(text_field("rinse")),
        (Some(_), Part::Rejected) => fields.extend(
            [
                "rinse_reason",
                "rinse_stage",
                "rinse_origin",
                "rinse_id",
                "rinse_detail",
                "rinse_raw",
            ]
            .map(text_field),
        ),
        _ => {}
    }
    let metadata = match (&spec.input_schema, part) {
        (Some(s), Part::Kept) => s.metadata().clone(),
        _ => Default::default(),
    };
    Arc::new(Schema::new_with_metadata(fields, metadata))
}

/// A Parquet writer for one shard at `tmp`.
fn shard_writer(
    tmp: &Path,
    schema: &SchemaRef,
    spec: &ParquetOutput,
    part: Part,
) -> Result<ArrowWriter<File>> {
    let file = File::create(tmp).map_err(|e| Error::io(tmp, e))?;
    // The text column: no dictionary (documents hardly repeat; trying one costs time).
    let text_path: Vec<String> = match (&spec.input_schema, part) {
        (Some(_), _) => spec.fields.text.split('.').map(str::to_string).collect(),
        (None, Part::Kept) => vec!["text".to_string()],
        (None, Part::Rejected) => vec!["record".to_string()],
    };
    let props = WriterProperties::builder()
        .set_compression(spec.compression)
        .set_column_dictionary_enabled(ColumnPath::new(text_path.clone()), false)
        .set_column_statistics_enabled(ColumnPath::new(text_path), EnabledStatistics::None)
        .set_max_row_group_size(ROW_GROUP_ROWS)
        .build();
    ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(|e| write_error(tmp, &e))
}

/// One chunk of JSONL records (the first is row `first + 1` of the shard `path`) as a
/// batch.
fn to_batch(
    lines: &[Vec<u8>],
    schema: &SchemaRef,
    spec: &ParquetOutput,
    part: Part,
    path: &Path,
    first: u64,
) -> Result<RecordBatch> {
    let error = |i: usize, message: String| Error::Read {
        path: path.to_path_buf(),
        line: first + i as u64 + 1,
        message,
    };
    let mut buf = Vec::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
    for (i, line) in lines.iter().enumerate() {
        reshape(line, spec, part, &mut buf).map_err(|e| error(i, e))?;
        buf.push(b'\n');
    }
    let mut decoder = arrow_json::ReaderBuilder::new(schema.clone())
        .with_batch_size(lines.len().max(1))
        .build_decoder()
        .map_err(|e| error(0, e.to_string()))?;
    let mut rest = &buf[..];
    while !rest.is_empty() {
        let n = decoder.decode(rest).map_err(|e| error(0, e.to_string()))?;
        if n == 0 {
            break;
        }
        rest = &rest[n..];
    }
    match decoder.flush().map_err(|e| error(0, e.to_string()))? {
        Some(batch) => Ok(batch),
        None => Ok(RecordBatch::new_empty(schema.clone())),
    }
}

/// Write the JSON object the Arrow reader reads for one output line.
fn reshape(
    line: &[u8],
    spec: &ParquetOutput,
    part: Part,
    out: &mut Vec<u8>,
) -> std::result::Result<(), String> {
    let plain_kept = part == Part::Kept && spec.input_schema.is_some() && !spec.explain;
    if plain_kept {
        out.extend_from_slice(line);
        return Ok(());
    }
    let mut map: Map<String, Value> = serde_json::from_slice(line).map_err(|e| e.to_string())?;
    let json = |v: &Value| Value::String(v.to_string());
    let shaped = match (&spec.input_schema, part) {
        (Some(_), Part::Kept) => {
            if let Some(r) = map.get_mut("rinse") {
                *r = json(r);
            }
            map
        }
        (Some(_), Part::Rejected) => {
            let mut row = match map.remove("record") {
                Some(Value::Object(r)) => r,
                _ => Map::new(),
            };
            for key in ["reason", "stage", "origin", "id", "detail", "raw"] {
                let v = map.remove(key).unwrap_or(Value::Null);
                row.insert(format!("rinse_{key}"), v);
            }
            row
        }
        (None, Part::Kept) => {
            let id = map.remove(&spec.fields.id);
            let text = match map.remove(&spec.fields.text) {
                Some(t) => Some(t),
                None => lookup(&map, &spec.fields.text).cloned(),
            };
            let rinse = map.remove("rinse");
            let mut row = Map::new();
            row.insert("id".into(), id.map(as_string).unwrap_or(Value::Null));
            row.insert("text".into(), text.unwrap_or(Value::Null));
            row.insert(
                "fields".into(),
                Value::String(Value::Object(map).to_string()),
            );
            if let Some(r) = rinse {
                row.insert("rinse".into(), json(&r));
            }
            row
        }
        (None, Part::Rejected) => {
            if let Some(r) = map.get_mut("record") {
                *r = json(r);
            }
            if let Some(id) = map.remove("id") {
                map.insert("id".into(), as_string(id));
            }
            map
        }
    };
    serde_json::to_writer(&mut *out, &shaped).map_err(|e| e.to_string())
}

/// A value for a string column: a string as it is, anything else as its JSON.
fn as_string(v: Value) -> Value {
    match v {
        Value::String(_) | Value::Null => v,
        other => Value::String(other.to_string()),
    }
}

/// The value at a dotted path.
fn lookup<'a>(map: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut v = map.get(parts.next()?)?;
    for p in parts {
        v = v.as_object()?.get(p)?;
    }
    Some(v)
}
