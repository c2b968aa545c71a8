//! Parquet input: one document per row, read one row group at a time (never the whole
//! file), each row turned into a JSON object the way the Arrow project's JSON writer
//! writes it, so that the rest of rinse sees a JSONL line: every column a member in
//! schema order, nulls written as `null`, integers and strings as they are, floats as
//! JSON numbers (NaN and infinities as `null`), lists as arrays, structs and maps as
//! objects, dates and timestamps as ISO 8601 / RFC 3339 strings, binary columns as hex
//! strings. `--text-field a.b` reaches into a struct column as into a nested object.
//!
//! A row's origin is `FILE:ROW`, its 1-based row number in the file.
use super::{RawRecord, ReadCounters};
use crate::document::Origin;
use crate::error::{Error, Result};
use arrow_array::cast::AsArray;
use arrow_array::{Array, GenericStringArray, OffsetSizeTrait, RecordBatch};
use arrow_json::writer::{Encoder, NullableEncoder};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use std::fs::File;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The Arrow schema every input shares, when all of them are Parquet files with the
/// same columns (the schema of the first, with its metadata); `None` otherwise.
pub fn common_schema(sources: &super::Sources) -> Result<Option<arrow_schema::SchemaRef>> {
    let mut common: Option<arrow_schema::SchemaRef> = None;
    for src in &sources.files {
        let (Some(path), super::Format::Parquet) = (&src.path, src.format) else {
            return Ok(None);
        };
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| Error::Read {
            path: path.to_path_buf(),
            line: 0,
            message: format!("cannot read Parquet: {e}"),
        })?;
        let schema = builder.schema().clone();
        match &common {
            Some(c) if c.fields() != schema.fields() => return Ok(None),
            Some(_) => {}
            None => common = Some(schema),
        }
    }
    Ok(common)
}

/// Rows decoded at a time.
const BATCH_ROWS: usize = 2048;

/// Read every row of the Parquet file at `path` in order, calling `emit` with each as a
/// raw record; stops early when `emit` returns `false`. A file that is not Parquet or is
/// corrupt is an error naming it and the row reached.
pub fn read_rows(
    path: &Path,
    name: &Arc<str>,
    counters: &ReadCounters,
    emit: &mut dyn FnMut(RawRecord) -> bool,
) -> Result<()> {
    let error = |row: u64, e: &dyn std::fmt::Display| Error::Read {
        path: path.to_path_buf(),
        line: row,
        message: format!("cannot read Parquet: {e}"),
    };
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    // The footer is read once; each row group gets a reader of its own.
    let metadata = ArrowReaderMetadata::load(&file, ArrowReaderOptions::default())
        .map_err(|e| error(0, &e))?;
    let groups: Vec<i64> = metadata
        .metadata()
        .row_groups()
        .iter()
        .map(|g| g.compressed_size())
        .collect();
    let mut row = 0u64;
    for (i, size) in groups.into_iter().enumerate() {
        let input = file.try_clone().map_err(|e| Error::io(path, e))?;
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(input, metadata.clone())
            .with_row_groups(vec![i])
            .with_batch_size(BATCH_ROWS)
            .build()
            .map_err(|e| error(row + 1, &e))?;
        for batch in reader {
            let batch = batch.map_err(|e| error(row + 1, &e))?;
            for json in rows_as_json(&batch).map_err(|e| error(row + 1, &e))? {
                row += 1;
                let rec = RawRecord {
                    origin: Origin {
                        file: name.clone(),
                        line: row,
                    },
                    bytes: json,
                    kind: super::RawKind::Json,
                };
                if !emit(rec) {
                    return Ok(());
                }
            }
        }
        counters
            .raw_bytes
            .fetch_add(u64::try_from(size).unwrap_or(0), Ordering::Relaxed);
    }
    Ok(())
}

/// The rows of `batch` as JSON objects (one per row, no newline).
pub fn rows_as_json(batch: &RecordBatch) -> std::result::Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::with_capacity(batch.get_array_memory_size() + batch.num_rows() * 8);
    {
        let mut w = arrow_json::WriterBuilder::new()
            .with_explicit_nulls(true)
            .with_encoder_factory(Arc::new(FastStrings))
            .build::<_, arrow_json::writer::LineDelimited>(&mut out);
        w.write(batch).map_err(|e| e.to_string())?;
        w.finish().map_err(|e| e.to_string())?;
    }
    // String values escape their newlines, so each line is one row.
    let rows: Vec<Vec<u8>> = out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    if rows.len() != batch.num_rows() {
        return Err(format!(
            "{} rows became {} JSON lines",
            batch.num_rows(),
            rows.len()
        ));
    }
    Ok(rows)
}

/// String columns escaped by rinse's own escaper ([`crate::record::escape_str`]: the same
/// bytes as serde_json's, which the Arrow writer calls, several times faster on long
/// texts); every other type as the Arrow writer encodes it.
#[derive(Debug)]
struct FastStrings;

impl arrow_json::writer::EncoderFactory for FastStrings {
    fn make_default_encoder<'a>(
        &self,
        _field: &'a arrow_schema::FieldRef,
        array: &'a dyn Array,
        _options: &'a arrow_json::writer::EncoderOptions,
    ) -> std::result::Result<Option<NullableEncoder<'a>>, arrow_schema::ArrowError> {
        let encoder: Box<dyn Encoder + 'a> = match array.data_type() {
            DataType::Utf8 => Box::new(Strings(array.as_string::<i32>())),
            DataType::LargeUtf8 => Box::new(Strings(array.as_string::<i64>())),
            _ => return Ok(None),
        };
        Ok(Some(NullableEncoder::new(encoder, array.nulls().cloned())))
    }
}

struct Strings<'a, O: OffsetSizeTrait>(&'a GenericStringArray<O>);

impl<O: OffsetSizeTrait> Encoder for Strings<'_, O> {
    fn encode(&mut self, idx: usize, out: &mut Vec<u8>) {
        crate::record::escape_str(out, self.0.value(idx));
    }
}
