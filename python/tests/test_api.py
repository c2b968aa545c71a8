"""The API's output is the command's output: same kept texts in the same order, same
rejections with the same reasons."""

import json

import pyarrow as pa
import pyarrow.json as pj
import pyarrow.parquet as pq
import pytest
from conftest import CORPUS, SEEDS, shards

import rinse


def jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_run_on_paths_writes_the_bytes_the_command_writes(cli, tmp_path):
    cli("run", SEEDS, CORPUS, "--out", tmp_path / "cli", "--explain", "-q")
    result = rinse.run([SEEDS, CORPUS], out=tmp_path / "api", explain=True)
    assert result.out == tmp_path / "api"
    assert result.report["records"]["kept"] > 0
    assert result.report["records"]["rejected"] > 0
    for part in ("kept", "rejected"):
        want = shards(tmp_path / "cli" / part, "jsonl")
        got = shards(tmp_path / "api" / part, "jsonl")
        assert [p.name for p in got] == [p.name for p in want]
        for g, w in zip(got, want):
            assert g.read_bytes() == w.read_bytes()


def test_dicts_give_the_records_the_command_gives(cli, tmp_path):
    cli("run", CORPUS, "--out", tmp_path / "cli", "--explain", "-q")
    records = jsonl(CORPUS)
    result = rinse.run(records, explain=True)
    assert result.out is None
    assert result.kept == jsonl(tmp_path / "cli" / "kept" / "00000.jsonl")
    want = jsonl(tmp_path / "cli" / "rejected" / "00000.jsonl")
    assert [r["reason"] for r in result.rejected] == [r["reason"] for r in want]
    assert [r.get("id") for r in result.rejected] == [r.get("id") for r in want]
    assert [r["record"] for r in result.rejected] == [r["record"] for r in want]
    assert len(want) > 0
    # The origin names the in-memory records and the line, as the file's would.
    for got, w in zip(result.rejected, want):
        assert got["origin"].split(":")[-1] == w["origin"].split(":")[-1]
        assert got["origin"].startswith("records:")
        assert got["origin"] != w["origin"]


def seeds_table():
    return pj.read_json(SEEDS / "seeds.jsonl")


@pytest.mark.parametrize("source", [SEEDS / "seeds.jsonl", CORPUS], ids=["seeds", "corpus"])
def test_an_arrow_table_gives_what_the_command_gives_on_its_parquet_file(cli, tmp_path, source):
    table = pj.read_json(source)
    # pyarrow names list items `element` in Parquet unless told not to; the API keeps the
    # table's own names (`item`), so the command's input keeps them too.
    pq.write_table(table, tmp_path / "in.parquet", use_compliant_nested_type=False)
    cli(
        "run", tmp_path / "in.parquet", "--out", tmp_path / "cli",
        "--output-format", "parquet", "--explain", "-q",
    )  # fmt: skip
    result = rinse.run(table, out=tmp_path / "api", explain=True, load=True)
    # The kept shard is the same file, byte for byte.
    assert (tmp_path / "api/kept/00000.parquet").read_bytes() == (
        tmp_path / "cli/kept/00000.parquet"
    ).read_bytes()
    want = pq.read_table(tmp_path / "cli/kept")
    assert result.kept.drop_columns(["rinse_lang", "rinse_removals"]).equals(want)
    assert result.kept.schema.field("text").type == table.schema.field("text").type
    # The explain object as columns.
    explained = [json.loads(s) for s in want.column("rinse").to_pylist()]
    assert result.kept.column("rinse_lang").to_pylist() == [e["lang"] for e in explained]
    removals = result.kept.column("rinse_removals").to_pylist()
    assert [[r["rule"] for r in rs] for rs in removals] == [
        [r["rule"] for r in e["removals"]] for e in explained
    ]
    rejected = pq.read_table(tmp_path / "cli/rejected")
    assert result.rejected.num_rows == rejected.num_rows
    assert rejected.num_rows > 0 or source == SEEDS / "seeds.jsonl"
    for column in rejected.column_names:
        if column != "rinse_origin":
            assert result.rejected.column(column).equals(rejected.column(column)), column
    rows = [o.rsplit(":", 1)[1] for o in rejected.column("rinse_origin").to_pylist()]
    assert result.rejected.column("rinse_origin").to_pylist() == [f"table:{r}" for r in rows]


def test_a_record_batch_reader_and_thread_counts_give_the_same_tables():
    table = pj.read_json(CORPUS)
    one = rinse.run(table, threads=1)
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=7))
    two = rinse.run(reader, threads=2)
    assert one.kept.equals(two.kept)
    assert one.rejected.equals(two.rejected)


def test_clean_and_dedup_are_the_command_with_one_stage_off(cli, tmp_path):
    table = pj.read_json(CORPUS)
    pq.write_table(table, tmp_path / "seeds.parquet")
    for name, section, fn in (("clean", "dedup", rinse.clean), ("dedup", "clean", rinse.dedup)):
        config = tmp_path / f"{name}.toml"
        config.write_text(f"[{section}]\nenabled = false\n")
        out = tmp_path / f"cli-{name}"
        cli(
            "run", tmp_path / "seeds.parquet", "--out", out, "--config", config,
            "--output-format", "parquet", "-q",
        )  # fmt: skip
        got = fn(table)
        assert got.kept.equals(pq.read_table(out / "kept")), name
        want = pq.read_table(out / "rejected").drop_columns(["rinse_origin"])
        assert got.rejected.drop_columns(["rinse_origin"]).equals(want), name
    # Clean alone rejects no duplicate; dedup alone removes no line of debris.
    assert rinse.clean(table).rejected.num_rows == 0
    assert rinse.dedup(table).rejected.num_rows > 0
    assert rinse.dedup(table).report["stages"][1]["bytes_removed"] == 0


def test_a_config_dict_is_a_toml_file(cli, tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("[clean]\nmin_words = 40\n\n[dedup]\nenabled = false\n")
    cli("run", CORPUS, "--out", tmp_path / "cli", "--config", config, "-q")
    result = rinse.run(CORPUS, config={"clean": {"min_words": 40}, "dedup": {"enabled": False}})
    assert result.kept == jsonl(tmp_path / "cli/kept/00000.jsonl")
    assert (
        result.report["records"]
        == json.loads((tmp_path / "cli/report.json").read_text())["records"]
    )
    # The same file given by path.
    assert rinse.run(CORPUS, config=config).kept == result.kept
    assert len(result.kept) < 803


def test_errors_carry_the_command_s_message(cli, tmp_path):
    missing = tmp_path / "missing.jsonl"
    done = cli("run", missing, "--out", tmp_path / "cli", check=False)
    assert done.returncode == 2
    with pytest.raises(rinse.RinseError) as err:
        rinse.run(missing, out=tmp_path / "api")
    assert done.stderr == f"rinse: {err.value}\n"

    bad = tmp_path / "bad.toml"
    bad.write_text("[clean]\nno_such_key = 1\n")
    done = cli("run", SEEDS, "--out", tmp_path / "cli", "--config", bad, check=False)
    with pytest.raises(rinse.RinseError) as err:
        rinse.run(SEEDS, config=bad)
    assert done.stderr == f"rinse: {err.value}\n"
    assert "no_such_key" in str(err.value)

    with pytest.raises(TypeError):
        rinse.run(42)
    with pytest.raises(TypeError):
        rinse.clean([{"text": "a"}], no_such_option=1)


def test_a_run_that_keeps_nothing_is_not_an_error():
    result = rinse.run([{"id": "a", "text": ""}])
    assert result.kept == []
    assert result.nothing_kept
    assert result.rejected[0]["reason"]


def test_the_rinse_command_is_installed(rinse_bin, tmp_path):
    import shutil
    import subprocess

    script = shutil.which("rinse")
    assert script
    version = subprocess.run([script, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.strip() == f"rinse {rinse.__version__}"
    for name, command in (("script", script), ("binary", rinse_bin)):
        subprocess.run(
            [command, "run", SEEDS, "--out", tmp_path / name, "-q"], check=True
        )  # fmt: skip
    for part in ("kept/00000.jsonl", "rejected/00000.jsonl"):
        assert (tmp_path / "script" / part).read_bytes() == (
            tmp_path / "binary" / part
        ).read_bytes()
    usage = subprocess.run([script, "run"], capture_output=True, text=True, check=False)
    assert usage.returncode == 2
    assert "Usage" in usage.stderr


def test_compressed_shards_load_as_the_plain_ones(tmp_path):
    plain = rinse.run(CORPUS)
    assert rinse.run(CORPUS, compression="gzip").kept == plain.kept
    table = pj.read_json(CORPUS)
    assert rinse.run(table, compression="zstd").kept.equals(rinse.run(table).kept)
    with pytest.raises(rinse.RinseError):
        rinse.run(CORPUS, compression="zstd")
    done = rinse.run(CORPUS, out=tmp_path / "out", compression="zstd")
    assert done.kept is None
    assert (tmp_path / "out/kept/00000.jsonl.zst").exists()


def test_a_polars_data_frame_goes_in_through_the_capsule():
    import polars as pl

    frame = pl.read_ndjson(CORPUS)
    got = rinse.run(frame)
    want = rinse.run(pj.read_json(CORPUS))
    assert got.report["records"] == want.report["records"]
    assert pl.from_arrow(got.kept)["text"].to_list() == want.kept.column("text").to_pylist()
    assert got.rejected.column("rinse_reason").to_pylist() == (
        want.rejected.column("rinse_reason").to_pylist()
    )
