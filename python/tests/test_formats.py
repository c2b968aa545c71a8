"""Data as users keep it: Parquet written by pyarrow with nested columns and nulls, and
WET files written by warcio."""

import io

import pyarrow as pa
import pyarrow.parquet as pq
from conftest import shards

import rinse

TEXT = (
    "The committee met on Tuesday to discuss the new budget for the library, "
    "and after a long debate it agreed to extend the opening hours next year."
)


def nested_table():
    meta = pa.struct(
        [
            ("lang", pa.string()),
            ("tags", pa.list_(pa.string())),
            ("score", pa.float64()),
            ("source", pa.struct([("host", pa.string()), ("port", pa.int32())])),
        ]
    )
    rows = [
        {"id": 1, "text": TEXT, "meta": {"lang": "en", "tags": ["a", None], "score": 0.5,
                                           "source": {"host": "x.test", "port": 80}}},
        {"id": 2, "text": TEXT.replace("library", "museum"), "meta": None},
        {"id": 3, "text": None, "meta": {"lang": None, "tags": None, "score": None,
                                         "source": None}},
        {"id": 4, "text": TEXT.replace("Tuesday", "Friday"),
         "meta": {"lang": "en", "tags": [], "score": None, "source": {"host": None, "port": None}}},
    ]  # fmt: skip
    schema = pa.schema([("id", pa.int64()), ("text", pa.large_string()), ("meta", meta)])
    return pa.Table.from_pylist(rows, schema=schema)


def test_nested_columns_and_nulls_round_trip(cli, tmp_path):
    table = nested_table()
    path = tmp_path / "nested.parquet"
    pq.write_table(table, path)
    config = {"dedup": {"enabled": False}}
    result = rinse.run(path, output_format="parquet", config=config)
    by_table = rinse.run(table, config=config)
    assert result.kept.equals(by_table.kept)
    kept = result.kept
    assert kept.schema == table.schema
    assert kept.column("id").to_pylist() == [1, 2, 4]
    # Every column but the text comes back as it went in, nulls included.
    want = table.filter(pa.array([True, True, False, True]))
    assert kept.select(["id", "meta"]).equals(want.select(["id", "meta"]))
    assert kept.column("text").to_pylist() == want.column("text").to_pylist()
    # The row without a text is rejected with its columns and a reason.
    rejected = result.rejected
    assert rejected.column("rinse_reason").to_pylist() == ["missing-text"]
    assert rejected.column("id").to_pylist() == [3]
    assert rejected.column("meta").to_pylist() == table.column("meta").to_pylist()[2:3]
    # The command writes the same shards.
    cli(
        "run", path, "--out", tmp_path / "cli", "--output-format", "parquet", "-q",
        "--config", _toml(tmp_path),
    )  # fmt: skip
    assert pq.read_table(shards(tmp_path / "cli" / "kept", "parquet")[0]).equals(kept)


def _toml(tmp_path):
    path = tmp_path / "nodedup.toml"
    path.write_text("[dedup]\nenabled = false\n")
    return path


def test_a_wet_file_written_by_warcio_is_read_with_every_header(tmp_path):
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path = tmp_path / "crawl.warc.wet.gz"
    pages = [
        ("http://a.test/one", "en", TEXT),
        ("http://b.test/two", "de", TEXT.replace("committee", "council")),
    ]
    ids = []
    records = {}
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        writer.write_record(writer.create_warcinfo_record("crawl.warc.wet.gz", {"software": "t"}))
        for uri, lang, text in pages:
            headers = [
                ("WARC-Refers-To", "<urn:uuid:12345678-1234-1234-1234-123456789012>"),
                ("WARC-Identified-Content-Language", lang),
                ("WARC-Source-Note", "seen twice"),
            ]
            record = writer.create_warc_record(
                uri,
                "conversion",
                payload=io.BytesIO(text.encode()),
                warc_content_type="text/plain",
                warc_headers_dict=dict(headers),
            )
            ids.append(
                (
                    record.rec_headers.get_header("WARC-Record-ID"),
                    record.rec_headers.get_header("WARC-Date"),
                )
            )
            records[ids[-1][0]] = record.rec_headers.headers
            writer.write_record(record)
    assert StatusAndHeaders  # the module warcio writes headers with
    result = rinse.run(path, config={"dedup": {"enabled": False}})
    assert result.report["records"]["read"] == 2
    assert len(result.kept) == 2
    for doc, (uri, lang, text), (rid, date) in zip(result.kept, pages, ids):
        assert doc["id"] == rid
        assert doc["url"] == uri
        assert doc["date"] == date
        assert doc["language"] == lang
        assert doc["text"] == text
        warc = doc["warc"]
        assert warc["WARC-Type"] == "conversion"
        assert warc["WARC-Refers-To"] == "<urn:uuid:12345678-1234-1234-1234-123456789012>"
        assert warc["WARC-Source-Note"] == "seen twice"
        assert warc["Content-Type"] == "text/plain"
        # Every header warcio wrote is there, but the ones read into fields of their own.
        own = {"WARC-Record-ID", "WARC-Target-URI", "WARC-Date",
               "WARC-Identified-Content-Language", "Content-Length"}  # fmt: skip
        written = dict(records[doc["id"]])
        assert {k: v for k, v in written.items() if k not in own} == warc
