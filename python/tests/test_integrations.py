"""rinse inside the tools people run: a datatrove pipeline, a Ray Data batch function."""

import json

import pyarrow.json as pj
from conftest import CORPUS

import rinse
from rinse.ray import CleanBatch, clean_batch


def test_the_datatrove_step_runs_in_a_local_pipeline(cli, tmp_path):
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    from rinse.datatrove import RinseStep

    LocalPipelineExecutor(
        pipeline=[
            JsonlReader(str(CORPUS.parent), glob_pattern=CORPUS.name),
            RinseStep(explain=True, rejected_dir=str(tmp_path / "rejected")),
            JsonlWriter(str(tmp_path / "out"), compression=None),
        ],
        tasks=1,
        logging_dir=str(tmp_path / "logs"),
    ).run()
    got = [
        json.loads(line)
        for path in sorted((tmp_path / "out").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    cli("run", CORPUS, "--out", tmp_path / "cli", "-q")
    want = [
        json.loads(line)
        for line in (tmp_path / "cli/kept/00000.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert [d["id"] for d in got] == [d["id"] for d in want]
    assert [d["text"] for d in got] == [d["text"] for d in want]
    assert all("removals" in d["metadata"]["rinse"] for d in got)
    rejected = (tmp_path / "rejected/00000.jsonl").read_text(encoding="utf-8").splitlines()
    report = json.loads((tmp_path / "cli/report.json").read_text())
    assert len(rejected) == report["records"]["rejected"] > 0
    stats = json.loads((tmp_path / "logs/stats.json").read_text())
    step = next(s for s in stats if "rinse" in s["name"])
    assert step["stats"]["read"] == 803
    assert step["stats"]["kept"] == len(want)
    assert step["stats"]["rejected"] == len(rejected)
    reasons = {k: v for k, v in step["stats"].items() if k.startswith("rejected/")}
    assert reasons == {
        f"rejected/{k}": v for k, v in report["records"]["rejected_by_reason"].items()
    }


def test_the_ray_batch_function_is_the_clean_stage():
    table = pj.read_json(CORPUS)
    want = rinse.clean(table).kept
    assert clean_batch(table).equals(want)
    assert clean_batch(table.to_pydict()).equals(want)
    explained = CleanBatch(explain=True)(table)
    assert "rinse_removals" in explained.column_names
    assert explained.num_rows == want.num_rows
