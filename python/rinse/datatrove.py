"""A datatrove pipeline step that runs rinse on the documents going through it.

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from rinse.datatrove import RinseStep

    LocalPipelineExecutor(
        pipeline=[JsonlReader("data/"), RinseStep(explain=True), JsonlWriter("clean/")],
        tasks=4,
    ).run()

Each task (rank) runs rinse once on all the documents it reads: a document becomes the
record ``{"id": ..., "text": ..., **metadata}``; a kept document comes out with the
cleaned text and its metadata (with ``rinse`` holding the explain object when asked);
a rejected one is dropped and counted in the step's stats (``rejected``,
``rejected/<reason>``), and written to ``rejected_dir`` when given. Deduplication is
within one task's documents: with several tasks, a duplicate in another task's share is
not found (run one task, or a dedup step of datatrove's own across tasks).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

import rinse


class RinseStep(PipelineStep):
    """Clean and deduplicate the documents of a datatrove pipeline with rinse.

    ``config``: a TOML path or a dict, as for :func:`rinse.run`; ``stages``: "all"
    (clean and dedup), "clean" or "dedup"; ``explain``: kept documents get the explain
    object in ``metadata["rinse"]``; ``rejected_dir``: write each rank's rejected records
    to ``<rejected_dir>/<rank>.jsonl``; ``threads``: rinse's worker threads per task.
    """

    name = "🧼 rinse"
    type = "✂️ - FILTER"

    def __init__(
        self,
        config: Any = None,
        stages: str = "all",
        explain: bool = False,
        rejected_dir: str | None = None,
        threads: int | None = None,
    ):
        super().__init__()
        if stages not in ("all", "clean", "dedup"):
            raise ValueError(f"stages must be 'all', 'clean' or 'dedup', not {stages!r}")
        self.config = config
        self.stages = stages
        self.explain = explain
        self.rejected_dir = rejected_dir
        self.threads = threads

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if data is None:
            return
        documents = {}
        records = []
        for doc in data:
            self.stat_update("read")
            key = str(len(records))
            documents[key] = doc
            # The position is the record's id inside the run: datatrove ids need not be
            # unique; the document's own id is kept in a field of its own.
            records.append({"_rinse_key": key, "id": doc.id, "text": doc.text, **doc.metadata})
        if not records:
            return
        fn = {"all": rinse.run, "clean": rinse.clean, "dedup": rinse.dedup}[self.stages]
        with self.track_time():
            result = fn(
                records,
                config=self.config,
                id_field="_rinse_key",
                explain=self.explain,
                threads=self.threads,
            )
        for r in result.rejected:
            self.stat_update("rejected")
            self.stat_update(f"rejected/{r['reason']}")
        if self.rejected_dir is not None:
            path = Path(self.rejected_dir) / f"{rank:05d}.jsonl"
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                for r in result.rejected:
                    f.write(json.dumps(r, ensure_ascii=False) + "\n")
        for record in result.kept:
            doc = documents[record.pop("_rinse_key")]
            record.pop("id", None)
            doc.text = record.pop("text")
            doc.metadata = record
            self.stat_update("kept")
            self.update_doc_stats(doc)
            yield doc
