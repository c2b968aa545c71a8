"""The clean stage as a Ray Data ``map_batches`` function.

    import ray
    from rinse.ray import clean_batch

    ds = ray.data.read_parquet("s3://bucket/corpus/")
    ds = ds.map_batches(clean_batch, batch_format="pyarrow")

Each batch is cleaned on its own (normalize and clean; no dedup, which needs the whole
corpus at once: run ``rinse run`` or :func:`rinse.dedup` on the result). The batch's
kept rows come back with the cleaned text and every other column as it was; rejected
rows are dropped. ``CleanBatch(config=..., explain=True, text_field=...)`` makes a
function with options (``fn_constructor_kwargs`` are not needed: it is a plain callable).
Ray itself is not a dependency of this module.
"""

from __future__ import annotations

from typing import Any

import rinse


class CleanBatch:
    """A ``map_batches`` function with rinse options (see :func:`rinse.clean`)."""

    def __init__(
        self,
        config: Any = None,
        text_field: str = "text",
        id_field: str = "id",
        explain: bool = False,
        threads: int | None = None,
    ):
        self.options = {
            "config": config,
            "text_field": text_field,
            "id_field": id_field,
            "explain": explain,
            "threads": threads,
        }

    def __call__(self, batch: Any) -> Any:
        import pyarrow as pa

        if isinstance(batch, dict):  # batch_format="numpy" or "default"
            batch = pa.table({k: list(v) if not hasattr(v, "__arrow_c_array__") else v
                              for k, v in batch.items()})  # fmt: skip
        elif not hasattr(batch, "__arrow_c_stream__"):  # pandas
            batch = pa.Table.from_pandas(batch, preserve_index=False)
        return rinse.clean(batch, **self.options).kept


def clean_batch(batch: Any) -> Any:
    """Clean one Ray Data batch with the default config: its kept rows (pyarrow Table)."""
    return CleanBatch()(batch)
