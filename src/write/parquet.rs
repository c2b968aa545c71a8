//! Parquet output (`--output-format parquet`): the JSONL shards a run wrote are turned
//! into Parquet shards of the same number (`kept/00000.parquet`, ...), each written under
//! a temporary name and renamed into place, then the JSONL shard is removed.
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
//! Values go through the Arrow project's JSON reader, the inverse of the writer that
//! turned the input rows into records (see [`crate::read`]'s Parquet reader). The bytes
//! do not depend on the thread count: rows are converted in fixed chunks, written in
//! order. Shards are compressed with Snappy (what Hugging Face datasets use).
use crate::error::{Error, Result};
use crate::outdir::OutDir;
use crate::read::Fields;
use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;
use rayon::prelude::*;
use serde_json::{Map, Value};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Rows converted together (one Arrow batch); fixed, so the output does not depend on
/// the thread count.
const CHUNK_ROWS: usize = 8192;
/// Rows per row group of an output shard (about 25 MB of web text), so that readers
/// can stream it.
const ROW_GROUP_ROWS: usize = 4 * CHUNK_ROWS;
/// Chunks read ahead and converted in parallel.
const CHUNKS_AHEAD: usize = 8;

/// What the Parquet shards hold.
#[derive(Clone, Debug)]
pub struct ParquetOutput {
    /// The schema shared by every input, when all inputs are Parquet.
    pub input_schema: Option<SchemaRef>,
    pub fields: Fields,
    /// Kept rows have a `rinse` column.
    pub explain: bool,
    /// Worker threads (0: all cores).
    pub threads: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Kept,
    Rejected,
}

/// Turn the JSONL shards of the run in `out` into Parquet shards.
pub fn convert(out: &Path, spec: &ParquetOutput) -> Result<()> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(spec.threads)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start threads: {e}")))?;
    for (sub, part) in [("kept", Part::Kept), ("rejected", Part::Rejected)] {
        let dir = out.join(sub);
        let shards = jsonl_shards(&dir)?;
        let schema = schema_of(spec, part);
        let mut done = Vec::new();
        for jsonl in &shards {
            let name = jsonl
                .file_stem()
                .map(|s| format!("{}.parquet", s.to_string_lossy()))
                .unwrap_or_default();
            let tmp = OutDir::temp_path(&dir, &name);
            pool.install(|| convert_shard(jsonl, &tmp, &schema, spec, part))?;
            done.push((tmp, dir.join(name)));
        }
        OutDir::committing(|| -> Result<()> {
            remove_parquet_shards(&dir)?;
            for ((tmp, dst), jsonl) in done.iter().zip(&shards) {
                std::fs::rename(tmp, dst).map_err(|e| Error::io(dst, e))?;
                std::fs::remove_file(jsonl).map_err(|e| Error::io(jsonl, e))?;
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// The `NNNNN.jsonl` shards in `dir`, sorted.
fn jsonl_shards(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.strip_suffix(".jsonl").is_some_and(is_shard_number) {
            out.push(entry.path());
        }
    }
    out.sort();
    Ok(out)
}

fn is_shard_number(s: &str) -> bool {
    s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Remove the `NNNNN.parquet` shards an earlier run left in `dir`.
fn remove_parquet_shards(dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.strip_suffix(".parquet").is_some_and(is_shard_number) {
            std::fs::remove_file(entry.path()).map_err(|e| Error::io(entry.path(), e))?;
        }
    }
    Ok(())
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

fn convert_shard(
    jsonl: &Path,
    tmp: &Path,
    schema: &SchemaRef,
    spec: &ParquetOutput,
    part: Part,
) -> Result<()> {
    let input = File::open(jsonl).map_err(|e| Error::io(jsonl, e))?;
    let mut lines = BufReader::with_capacity(1 << 20, input).split(b'\n');
    let file = File::create(tmp).map_err(|e| Error::io(tmp, e))?;
    // The text column: no dictionary (documents hardly repeat; trying one costs time).
    let text_path = match (&spec.input_schema, part) {
        (Some(_), _) => spec.fields.text.split('.').map(str::to_string).collect(),
        (None, Part::Kept) => vec!["text".to_string()],
        (None, Part::Rejected) => vec!["record".to_string()],
    };
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_column_dictionary_enabled(ColumnPath::new(text_path.clone()), false)
        .set_column_statistics_enabled(ColumnPath::new(text_path), EnabledStatistics::None)
        .set_max_row_group_size(ROW_GROUP_ROWS)
        .build();
    let write_error = |e: &dyn std::fmt::Display| Error::Read {
        path: tmp.to_path_buf(),
        line: 0,
        message: format!("cannot write Parquet: {e}"),
    };
    let mut writer =
        ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(|e| write_error(&e))?;
    // Decoding the next chunks (in parallel) overlaps writing the ones before.
    let mut row = 0u64;
    let mut pending: Vec<Result<RecordBatch>> = Vec::new();
    loop {
        let mut chunks: Vec<(u64, Vec<Vec<u8>>)> = Vec::with_capacity(CHUNKS_AHEAD);
        for _ in 0..CHUNKS_AHEAD {
            let mut chunk = Vec::with_capacity(CHUNK_ROWS);
            for line in lines.by_ref().take(CHUNK_ROWS) {
                chunk.push(line.map_err(|e| Error::io(jsonl, e))?);
            }
            if chunk.is_empty() {
                break;
            }
            chunks.push((row, chunk));
            row += CHUNK_ROWS as u64;
        }
        let mut write = |batches: Vec<Result<RecordBatch>>| -> Result<()> {
            for batch in batches {
                writer.write(&batch?).map_err(|e| write_error(&e))?;
            }
            Ok(())
        };
        let (written, decoded) = rayon::join(
            || write(std::mem::take(&mut pending)),
            || -> Vec<Result<RecordBatch>> {
                chunks
                    .par_iter()
                    .map(|(first, chunk)| to_batch(chunk, schema, spec, part, jsonl, *first))
                    .collect()
            },
        );
        written?;
        if decoded.is_empty() {
            break;
        }
        pending = decoded;
    }
    let file = writer.into_inner().map_err(|e| write_error(&e))?;
    file.sync_all().map_err(|e| Error::io(tmp, e))
}

/// One chunk of JSONL lines (the first is line `first + 1` of the shard) as a batch.
fn to_batch(
    lines: &[Vec<u8>],
    schema: &SchemaRef,
    spec: &ParquetOutput,
    part: Part,
    jsonl: &Path,
    first: u64,
) -> Result<RecordBatch> {
    let error = |i: usize, message: String| Error::Read {
        path: jsonl.to_path_buf(),
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
