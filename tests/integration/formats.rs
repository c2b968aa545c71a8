//! Input formats beyond JSONL and text (issue 23): nested fields, WARC/WET files,
//! Parquet files and Hugging Face dataset directories; each keeps the guarantees
//! (nothing lost, same bytes for any thread count, bad input rejected with its place).
use crate::util::*;
use arrow_array::{Array, ArrayRef, Int64Array, RecordBatch, StringArray, StructArray};
use arrow_schema::{DataType, Field, Schema};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

fn dedup_only() -> String {
    data("dedup/dedup-only.toml").display().to_string()
}

#[test]
fn nested_text_and_id_fields_are_read_and_written_in_place() {
    let dir = scratch("formats_nested");
    let input = dir.join("in.jsonl");
    std::fs::write(
        &input,
        concat!(
            r#"{"meta": {"id": "a", "content": "First text here."}, "k": 1}"#,
            "\n",
            r#"{"meta": {"id": "b"}, "k": 2}"#,
            "\n",
            r#"{"meta.content": "Literal key wins.", "meta": {"id": "c", "content": "no"}}"#,
            "\n",
        ),
    )
    .unwrap();
    let out = dir.join("out");
    run_to(
        &input,
        &out,
        &[
            "--config",
            &dedup_only(),
            "--text-field",
            "meta.content",
            "--id-field",
            "meta.id",
        ],
    );
    let kept = shard_lines(&out.join("kept"));
    assert_eq!(
        kept,
        [
            r#"{"meta":{"id": "a", "content": "First text here."},"k":1}"#,
            r#"{"meta.content":"Literal key wins.","meta":{"id": "c", "content": "no"}}"#,
        ]
    );
    let rejected = records(&out.join("rejected"));
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["reason"], "missing-text");
    assert_eq!(rejected[0]["id"], "b");
    assert_eq!(rejected[0]["detail"], "record has no `meta.content` field");
}

/// A WARC record as Common Crawl writes it in a WET file.
fn warc_record(kind: &str, n: usize, content: &str) -> Vec<u8> {
    format!(
        "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Target-URI: https://example.com/{n}\r\n\
         WARC-Date: 2024-05-01T10:00:0{n}Z\r\nWARC-Record-ID: <urn:uuid:{n}>\r\n\
         WARC-Identified-Content-Language: eng\r\nContent-Type: text/plain\r\n\
         Content-Length: {}\r\n\r\n{content}\r\n\r\n",
        content.len()
    )
    .into_bytes()
}

/// Each record a gzip member of its own, as in Common Crawl's `.warc.wet.gz`.
fn gzip_members(records: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(r).unwrap();
        out.extend(e.finish().unwrap());
    }
    out
}

#[test]
fn wet_conversion_records_are_documents_and_other_types_are_counted() {
    let out = scratch("formats_wet").join("out");
    run_to(
        &data("warc/sample.warc.wet"),
        &out,
        &["--config", &dedup_only()],
    );
    let kept = records(&out.join("kept"));
    assert_eq!(kept.len(), 3);
    assert_eq!(
        kept[0]["id"],
        "<urn:uuid:11111111-1111-4111-8111-111111111111>"
    );
    assert_eq!(
        kept[0]["url"],
        "https://news.example.com/2024/05/harbour-reopens"
    );
    assert_eq!(kept[0]["date"], "2024-05-01T10:01:00Z");
    assert_eq!(kept[0]["language"], "eng");
    assert_eq!(
        kept[0]["warc"]["WARC-Refers-To"],
        "<urn:uuid:aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa>"
    );
    assert!(kept[0]["text"]
        .as_str()
        .unwrap()
        .starts_with("Harbour reopens"));
    let r = report(&out);
    assert_eq!(r["records"]["read"], 3);
    assert_eq!(r["warc_records_skipped"]["warcinfo"], 1);
}

#[test]
fn gzipped_wet_with_a_cut_record_rejects_it_with_its_offset_and_keeps_the_rest() {
    let dir = scratch("formats_wet_gz");
    let recs = [
        warc_record("warcinfo", 0, "software: test\r\n"),
        warc_record("conversion", 1, "The first page has a sentence."),
        warc_record("response", 2, "HTTP/1.1 200 OK\r\n\r\n<html></html>"),
        warc_record("conversion", 3, "The second page has another sentence."),
        warc_record("conversion", 4, "The third page is cut short here."),
    ];
    let mut bytes = gzip_members(&recs[..4]);
    // The last record's gzip member is whole but its content is cut.
    let cut = &recs[4][..recs[4].len() - 20];
    bytes.extend(gzip_members(&[cut.to_vec()]));
    let input = dir.join("part.warc.wet.gz");
    std::fs::write(&input, &bytes).unwrap();
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.join(format!("out{threads}"));
        run_to(
            &input,
            &out,
            &["--config", &dedup_only(), "--threads", threads],
        );
        outputs.push(output_bytes(&out));
        let kept = records(&out.join("kept"));
        let ids: Vec<_> = kept.iter().map(|k| k["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["<urn:uuid:1>", "<urn:uuid:3>"]);
        let rejected = records(&out.join("rejected"));
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0]["reason"], "corrupt-warc");
        let start: usize = recs[..4].iter().map(Vec::len).sum();
        assert_eq!(
            rejected[0]["detail"],
            format!("content cut short: 17 of 33 bytes (record at byte {start})")
        );
        assert!(rejected[0]["origin"]
            .as_str()
            .unwrap()
            .ends_with("part.warc.wet.gz:5"));
        let r = report(&out);
        assert_eq!(r["records"]["read"], 3);
        assert_eq!(r["warc_records_skipped"]["response"], 1);
    }
    assert_eq!(outputs[0], outputs[1]);
}

/// Write `batch` as a Parquet file with row groups of `group_rows` rows.
pub fn write_parquet(path: &Path, batch: &RecordBatch, group_rows: usize) {
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_size(group_rows)
        .build();
    let file = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
}

/// Rows `first..first + n`: an id, a text (null every seventh row), a number and a
/// struct `meta {lang, body}` whose body is the text too.
pub fn sample_batch(first: usize, n: usize) -> RecordBatch {
    let ids: Vec<String> = (first..first + n).map(|i| format!("doc-{i}")).collect();
    let texts: Vec<Option<String>> = (first..first + n)
        .map(|i| {
            (i % 7 != 3).then(|| {
                format!("Document number {i} talks about the harbour and the boats in it.")
            })
        })
        .collect();
    let nums: Vec<i64> = (first..first + n).map(|i| i as i64 * 10).collect();
    let langs: Vec<&str> = (first..first + n).map(|_| "en").collect();
    let meta = StructArray::from(vec![
        (
            Arc::new(Field::new("lang", DataType::Utf8, false)),
            Arc::new(StringArray::from(langs)) as ArrayRef,
        ),
        (
            Arc::new(Field::new("body", DataType::Utf8, true)),
            Arc::new(StringArray::from(texts.clone())) as ArrayRef,
        ),
    ]);
    let schema = Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("text", DataType::Utf8, true),
        Field::new("n", DataType::Int64, false),
        Field::new("meta", meta.data_type().clone(), false),
    ]);
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(StringArray::from(ids)),
            Arc::new(StringArray::from(texts)),
            Arc::new(Int64Array::from(nums)),
            Arc::new(meta),
        ],
    )
    .unwrap()
}

#[test]
fn parquet_rows_are_documents_with_every_column_and_null_texts_are_rejected() {
    let dir = scratch("formats_parquet");
    let input = dir.join("part.parquet");
    write_parquet(&input, &sample_batch(0, 20), 6);
    let out = dir.join("out");
    run_to(&input, &out, &["--config", &dedup_only()]);
    let kept = shard_lines(&out.join("kept"));
    assert_eq!(kept.len(), 17);
    assert_eq!(
        kept[0],
        r#"{"id":"doc-0","text":"Document number 0 talks about the harbour and the boats in it.","n":0,"meta":{"lang":"en","body":"Document number 0 talks about the harbour and the boats in it."}}"#
    );
    let rejected = records(&out.join("rejected"));
    let origins: Vec<_> = rejected
        .iter()
        .map(|r| {
            assert_eq!(r["reason"], "missing-text");
            let o = r["origin"].as_str().unwrap();
            o.rsplit(':').next().unwrap().to_string()
        })
        .collect();
    // Rows 3, 10 and 17 (0-based) are rows 4, 11 and 18 of the file.
    assert_eq!(origins, ["4", "11", "18"]);
    assert_eq!(rejected[0]["record"]["text"], serde_json::Value::Null);
    assert_eq!(rejected[0]["id"], "doc-3");
    assert_eq!(report(&out)["records"]["read"], 20);

    // The text of a struct column, by its dotted path.
    let out = dir.join("out-nested");
    run_to(
        &input,
        &out,
        &["--config", &dedup_only(), "--text-field", "meta.body"],
    );
    let kept = records(&out.join("kept"));
    assert_eq!(kept.len(), 17);
    assert_eq!(kept[1]["meta"]["body"], kept[1]["text"]);
}

#[test]
fn a_hugging_face_dataset_directory_is_read_shard_by_shard_in_order() {
    let dir = scratch("formats_hf");
    let data_dir = dir.join("dataset/data");
    std::fs::create_dir_all(&data_dir).unwrap();
    // Written out of order; read in sorted order.
    write_parquet(
        &data_dir.join("train-00001-of-00002.parquet"),
        &sample_batch(10, 10),
        4,
    );
    write_parquet(
        &data_dir.join("train-00000-of-00002.parquet"),
        &sample_batch(0, 10),
        4,
    );
    std::fs::write(dir.join("dataset/README.md"), "# a dataset card\n").unwrap();
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.join(format!("out{threads}"));
        run_to(
            &dir.join("dataset"),
            &out,
            &["--config", &dedup_only(), "--threads", threads],
        );
        let kept = records(&out.join("kept"));
        let ids: Vec<String> = kept
            .iter()
            .map(|k| k["id"].as_str().unwrap().to_string())
            .collect();
        let want: Vec<String> = (0..20)
            .filter(|i| i % 7 != 3)
            .map(|i| format!("doc-{i}"))
            .collect();
        assert_eq!(ids, want);
        let r = report(&out);
        assert_eq!(r["files_read"], 2);
        assert_eq!(r["records"]["read"], 20);
        outputs.push(output_bytes(&out));
    }
    assert_eq!(outputs[0], outputs[1]);
}

#[test]
fn a_file_that_is_not_parquet_is_an_error_naming_it() {
    let dir = scratch("formats_bad_parquet");
    let input = dir.join("bad.parquet");
    std::fs::write(&input, b"PAR1 this is not a parquet file").unwrap();
    let out = rinse(&["run", s(&input), "--out", s(&dir.join("out")), "-q"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.parquet"), "{err}");
    assert!(err.contains("Parquet"), "{err}");
}

/// The rows of a Parquet file as JSON objects, and its schema.
fn parquet_rows(path: &Path) -> (Vec<serde_json::Value>, Arc<Schema>) {
    let file = std::fs::File::open(path).unwrap();
    let builder =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let schema = builder.schema().clone();
    let mut rows = Vec::new();
    for batch in builder.build().unwrap() {
        let batch = batch.unwrap();
        let mut buf = Vec::new();
        let mut w = arrow_json::WriterBuilder::new()
            .with_explicit_nulls(true)
            .build::<_, arrow_json::writer::LineDelimited>(&mut buf);
        w.write(&batch).unwrap();
        w.finish().unwrap();
        drop(w);
        for line in buf.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            rows.push(serde_json::from_slice(line).unwrap());
        }
    }
    (rows, schema)
}

#[test]
fn parquet_output_keeps_the_input_schema_and_is_the_same_for_any_thread_count() {
    let dir = scratch("formats_parquet_out");
    let input = dir.join("in.parquet");
    write_parquet(&input, &sample_batch(0, 20), 6);
    let jsonl = dir.join("jsonl");
    run_to(&input, &jsonl, &["--explain"]);
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.join(format!("parquet{threads}"));
        run_to(
            &input,
            &out,
            &[
                "--explain",
                "--output-format",
                "parquet",
                "--threads",
                threads,
            ],
        );
        outputs.push(output_bytes(&out));
    }
    assert_eq!(outputs[0], outputs[1]);
    let names: Vec<_> = outputs[0].iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(names, ["kept/00000.parquet", "rejected/00000.parquet"]);

    let out = dir.join("parquet1");
    let (kept, schema) = parquet_rows(&out.join("kept/00000.parquet"));
    let input_schema = sample_batch(0, 1).schema();
    assert_eq!(schema.fields()[..4], input_schema.fields()[..]);
    assert_eq!(schema.field(4).name(), "rinse");
    // The same rows as the JSONL output, the explain object as a JSON string.
    let want = records(&jsonl.join("kept"));
    assert_eq!(kept.len(), want.len());
    for (mut got, want) in kept.into_iter().zip(want) {
        let rinse = got["rinse"].as_str().unwrap().to_string();
        got["rinse"] = serde_json::from_str(&rinse).unwrap();
        assert_eq!(got, want);
    }
    let (rejected, schema) = parquet_rows(&out.join("rejected/00000.parquet"));
    assert_eq!(schema.fields().len(), 4 + 6);
    assert_eq!(rejected.len(), 3);
    assert_eq!(rejected[0]["id"], "doc-3");
    assert_eq!(rejected[0]["n"], 30);
    assert_eq!(rejected[0]["rinse_reason"], "missing-text");
    assert!(rejected[0]["rinse_origin"]
        .as_str()
        .unwrap()
        .ends_with("in.parquet:4"));
}

#[test]
fn jsonl_input_to_parquet_output_has_id_text_and_the_other_fields() {
    let dir = scratch("formats_jsonl_to_parquet");
    let jsonl = dir.join("jsonl");
    run_to(&data("seeds"), &jsonl, &[]);
    let out = dir.join("parquet");
    run_to(&data("seeds"), &out, &["--output-format", "parquet"]);
    let (kept, schema) = parquet_rows(&out.join("kept/00000.parquet"));
    let names: Vec<_> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["id", "text", "fields"]);
    let want = records(&jsonl.join("kept"));
    assert_eq!(kept.len(), want.len());
    for (got, want) in kept.iter().zip(&want) {
        assert_eq!(got["id"], want["id"]);
        assert_eq!(got["text"], want["text"]);
        let fields: serde_json::Value =
            serde_json::from_str(got["fields"].as_str().unwrap()).unwrap();
        assert_eq!(fields["source"], want["source"]);
        assert_eq!(fields["meta"], want["meta"]);
    }
    // A JSONL run into the same directory leaves no Parquet shard behind.
    run_to(&data("seeds"), &out, &[]);
    assert!(!out.join("kept/00000.parquet").exists());
    assert!(out.join("kept/00000.jsonl").exists());
}

#[test]
fn a_gzip_stream_cut_inside_a_member_is_an_error_naming_the_file_and_byte() {
    let dir = scratch("formats_wet_gz_cut");
    let recs = [
        warc_record("conversion", 1, "The first page has a sentence."),
        warc_record("conversion", 2, "The second page has another sentence."),
    ];
    let bytes = gzip_members(&recs);
    let input = dir.join("cut.warc.wet.gz");
    std::fs::write(&input, &bytes[..bytes.len() - 30]).unwrap();
    let out = rinse(&["run", s(&input), "--out", s(&dir.join("out")), "-q"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cut.warc.wet.gz"), "{err}");
    assert!(err.contains("near byte"), "{err}");
    assert!(!dir.join("out/kept/00000.jsonl").exists());
}

/// Column types of real datasets go through a Parquet-to-Parquet run with their types:
/// large strings, timestamps with a named time zone, lists, binary (hex in JSON).
#[test]
fn parquet_column_types_survive_a_parquet_run() {
    use arrow_array::builder::{ListBuilder, StringBuilder};
    use arrow_array::{BinaryArray, LargeStringArray, TimestampMicrosecondArray};
    let dir = scratch("formats_parquet_types");
    let mut tags = ListBuilder::new(StringBuilder::new());
    tags.values().append_value("a");
    tags.append(true);
    tags.append(false);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(LargeStringArray::from(vec![
            "A first document with enough words to keep it here.",
            "A second document, also long enough to be kept by rinse.",
        ])),
        Arc::new(
            TimestampMicrosecondArray::from(vec![1_714_557_600_000_000, 0]).with_timezone("UTC"),
        ),
        Arc::new(tags.finish()),
        Arc::new(BinaryArray::from(vec![&b"\x00\x01"[..], b"hi"])),
    ];
    let schema = Schema::new(vec![
        Field::new("text", DataType::LargeUtf8, false),
        Field::new("ts", columns[1].data_type().clone(), true),
        Field::new("tags", columns[2].data_type().clone(), true),
        Field::new("blob", DataType::Binary, true),
    ]);
    let batch = RecordBatch::try_new(Arc::new(schema), columns).unwrap();
    let input = dir.join("types.parquet");
    write_parquet(&input, &batch, 10);
    let jsonl = dir.join("jsonl");
    run_to(&input, &jsonl, &["--config", &dedup_only()]);
    let kept = records(&jsonl.join("kept"));
    assert_eq!(kept[0]["ts"], "2024-05-01T10:00:00Z");
    assert_eq!(kept[0]["tags"], serde_json::json!(["a"]));
    assert_eq!(kept[1]["tags"], serde_json::Value::Null);
    assert_eq!(kept[0]["blob"], "0001");
    let out = dir.join("parquet");
    run_to(
        &input,
        &out,
        &["--config", &dedup_only(), "--output-format", "parquet"],
    );
    let (rows, schema) = parquet_rows(&out.join("kept/00000.parquet"));
    assert_eq!(schema.fields(), batch.schema().fields());
    assert_eq!(rows, kept);
}

/// `rinse eval --group-by` reads a WARC document's fields as the run does (its language
/// header), not as a record without fields.
#[test]
fn eval_groups_wet_documents_by_their_language_header() {
    let dir = scratch("formats_wet_eval_groups");
    let gold = dir.join("gold.jsonl");
    std::fs::write(
        &gold,
        r#"{"id": "<urn:uuid:11111111-1111-4111-8111-111111111111>", "with": ["The council said the repairs cost less than expected"], "without": ["Share this article"]}"#,
    )
    .unwrap();
    let wet = data("warc/sample.warc.wet");
    let out = rinse_ok(&[
        "eval",
        "--json",
        "--gold",
        s(&gold),
        "--group-by",
        "language",
        s(&wet),
    ]);
    let ev: serde_json::Value = serde_json::from_str(&out).unwrap();
    let groups = &ev["configs"][0]["groups"][0]["groups"];
    assert_eq!(groups[0]["value"], "eng", "{groups}");
    assert_eq!(groups[0]["docs"], 1);
}

/// Parquet shards start where JSONL shards would (`--shard-size` counts the JSONL
/// bytes), hold the same rows in the same order, and a Parquet run replaces the JSONL
/// shards an earlier run left in the directory.
#[test]
fn parquet_shards_split_where_jsonl_shards_do_and_replace_a_jsonl_run() {
    let dir = scratch("formats_parquet_shards");
    let input = dir.join("in.parquet");
    write_parquet(&input, &sample_batch(0, 20), 6);
    let jsonl = dir.join("jsonl");
    run_to(&input, &jsonl, &["--shard-size", "300"]);
    let out = dir.join("parquet");
    // A JSONL run first: the Parquet run into the same directory removes its shards.
    run_to(&input, &out, &[]);
    run_to(
        &input,
        &out,
        &["--shard-size", "300", "--output-format", "parquet"],
    );
    let jsonl_shards = shard_paths(&jsonl.join("kept"));
    let parquet_shards = files_in(&out.join("kept"));
    assert!(parquet_shards
        .iter()
        .all(|p| p.extension().unwrap() == "parquet"));
    assert!(jsonl_shards.len() > 2, "{jsonl_shards:?}");
    assert_eq!(jsonl_shards.len(), parquet_shards.len());
    for (j, p) in jsonl_shards.iter().zip(&parquet_shards) {
        let want: Vec<serde_json::Value> = std::fs::read_to_string(j)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(parquet_rows(p).0, want);
    }
    let rejected = files_in(&out.join("rejected"));
    assert_eq!(rejected.len(), shard_paths(&jsonl.join("rejected")).len());
    assert!(rejected.iter().all(|p| p.extension().unwrap() == "parquet"));
}

/// The files in `dir` but hidden ones, sorted.
fn files_in(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    names.sort();
    names
}

/// `--compression` picks the codec of Parquet pages (Snappy by default): the rows are the
/// same whichever.
#[test]
fn parquet_compression_is_chosen_by_the_compression_flag() {
    let dir = scratch("formats_parquet_codecs");
    let input = dir.join("in.parquet");
    write_parquet(&input, &sample_batch(0, 20), 6);
    let mut rows = Vec::new();
    for (codec, want) in [
        (None, "SNAPPY"),
        (Some("none"), "UNCOMPRESSED"),
        (Some("zstd"), "ZSTD"),
        (Some("gzip"), "GZIP"),
    ] {
        let out = dir.join(codec.unwrap_or("default"));
        let mut args = vec!["--output-format", "parquet"];
        if let Some(c) = codec {
            args.extend(["--compression", c]);
        }
        run_to(&input, &out, &args);
        let path = out.join("kept/00000.parquet");
        let file = std::fs::File::open(&path).unwrap();
        let reader = parquet::file::reader::SerializedFileReader::new(file).unwrap();
        use parquet::file::reader::FileReader;
        let column = reader.metadata().row_group(0).column(0).compression();
        assert!(column.to_string().starts_with(want), "{codec:?}: {column}");
        rows.push(parquet_rows(&path).0);
    }
    assert!(rows.iter().all(|r| r == &rows[0] && !r.is_empty()));
}
