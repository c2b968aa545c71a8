"""rinse from Python: clean scraped text into training corpora.

Every function here runs the same Rust code as the ``rinse`` command (``rinse run``), so
its output is the command's output: the same kept texts in the same order, the same
rejections with the same reasons. See docs/python.md.

Data can be

* paths (a file or directory, or a list of them): read as ``rinse run`` reads them;
* Arrow data: anything with the Arrow PyCapsule interface (``__arrow_c_stream__``): a
  pyarrow ``Table`` or ``RecordBatchReader``, a polars ``DataFrame``, the ``.data.table``
  of a Hugging Face dataset; the result holds pyarrow Tables;
* an iterable of dicts (small jobs); the result holds lists of dicts.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

from rinse._rinse import (
    RinseError,
    config_toml,
    read_parquet,
    run_cli,
    version,
    write_parquet,
)

__all__ = ["RinseError", "Result", "run", "clean", "dedup", "__version__"]
__version__ = version()

PathLike = Union[str, "os.PathLike[str]"]
Config = Union[None, PathLike, Mapping[str, Any]]

# The name an in-memory input has in the `origin` of rejected records ("table:4" is the
# table's fourth row, "records:2" the second dict).
_TABLE = "table"
_RECORDS = "records"


@dataclass
class Result:
    """What a run gives back.

    ``kept`` and ``rejected``: pyarrow Tables for Arrow input or ``output_format="parquet"``,
    lists of dicts for dict input or JSONL output; ``None`` when not loaded (a run into
    ``out=`` with ``load=False``). ``report`` is report.json as a dict. ``out`` is the
    output directory, ``None`` when the run wrote into a temporary one (removed).
    """

    kept: Any
    rejected: Any
    report: dict
    out: Path | None

    @property
    def nothing_kept(self) -> bool:
        """The run kept no record (the ``rinse`` command exits with status 3)."""
        return self.report.get("records", {}).get("kept", 0) == 0


def run(
    data: Any,
    *,
    out: PathLike | None = None,
    config: Config = None,
    text_field: str = "text",
    id_field: str = "id",
    explain: bool = False,
    annotate_only: bool = False,
    threads: int | None = None,
    output_format: str | None = None,
    compression: str | None = None,
    shard_size: str | None = None,
    load: bool | None = None,
    workdir: PathLike | None = None,
) -> Result:
    """A whole run (normalize, clean, dedup), as ``rinse run``.

    ``config``: a TOML file's path or a dict of the same shape (``{"dedup": {"enabled":
    False}}``); None for the embedded default. ``out``: the output directory (kept/,
    rejected/, report.json, ... as the command writes them); without it the run writes
    into a temporary directory under ``workdir`` (default: the system's), loads the
    results and removes it. ``output_format``: "jsonl" or "parquet"; by default Parquet
    for Arrow data, JSONL otherwise. ``load``: read kept and rejected records into the
    result (default: only when there is no ``out``). Errors raise ``RinseError`` with the
    command's message.
    """
    return _run(
        data,
        overrides=None,
        out=out,
        config=config,
        text_field=text_field,
        id_field=id_field,
        explain=explain,
        annotate_only=annotate_only,
        threads=threads,
        output_format=output_format,
        compression=compression,
        shard_size=shard_size,
        load=load,
        workdir=workdir,
    )


def clean(data: Any, **options: Any) -> Result:
    """The clean stage alone (normalize and clean, no dedup): :func:`run` with
    ``dedup.enabled = false`` over the config given; the same options."""
    return _run(data, overrides={"dedup": {"enabled": False}}, **_options(options))


def dedup(data: Any, **options: Any) -> Result:
    """Deduplication alone (normalize and dedup, no clean rules): :func:`run` with
    ``clean.enabled = false`` over the config given; the same options."""
    return _run(data, overrides={"clean": {"enabled": False}}, **_options(options))


_DEFAULTS: dict = {
    "out": None,
    "config": None,
    "text_field": "text",
    "id_field": "id",
    "explain": False,
    "annotate_only": False,
    "threads": None,
    "output_format": None,
    "compression": None,
    "shard_size": None,
    "load": None,
    "workdir": None,
}


def _options(options: Mapping[str, Any]) -> dict:
    unknown = sorted(set(options) - set(_DEFAULTS))
    if unknown:
        raise TypeError(f"unexpected option(s): {', '.join(unknown)}")
    return {**_DEFAULTS, **options}


def _is_paths(data: Any) -> bool:
    if isinstance(data, (str, os.PathLike)):
        return True
    return (
        isinstance(data, Sequence)
        and len(data) > 0
        and all(isinstance(d, (str, os.PathLike)) for d in data)
    )


def _is_arrow(data: Any) -> bool:
    return hasattr(data, "__arrow_c_stream__")


def _run(
    data: Any,
    *,
    overrides: dict | None,
    out: PathLike | None,
    config: Config,
    text_field: str,
    id_field: str,
    explain: bool,
    annotate_only: bool,
    threads: int | None,
    output_format: str | None,
    compression: str | None,
    shard_size: str | None,
    load: bool | None,
    workdir: PathLike | None,
) -> Result:
    scratch = Path(tempfile.mkdtemp(prefix="rinse-", dir=workdir))
    try:
        if _is_paths(data):
            inputs = [str(data)] if isinstance(data, (str, os.PathLike)) else [str(d) for d in data]
            origin = None
        elif _is_arrow(data):
            table = scratch / "table.parquet"
            write_parquet(data, str(table))
            inputs, origin = [str(table)], (str(table), _TABLE)
            output_format = output_format or "parquet"
        elif isinstance(data, Iterable) and not isinstance(data, (Mapping, bytes)):
            records = scratch / "records.jsonl"
            _write_jsonl(data, records)
            inputs, origin = [str(records)], (str(records), _RECORDS)
        else:
            raise TypeError(
                "data must be paths, Arrow data (__arrow_c_stream__) or an iterable of "
                f"dicts, not {type(data).__name__}"
            )
        output_format = output_format or "jsonl"
        target = Path(out) if out is not None else scratch / "out"
        args = ["run", *inputs, "--out", str(target), "--quiet"]
        args += _config_args(config, overrides, scratch)
        args += ["--text-field", text_field, "--id-field", id_field]
        args += ["--output-format", output_format]
        if explain:
            args.append("--explain")
        if annotate_only:
            args.append("--annotate-only")
        if threads is not None:
            args += ["--threads", str(threads)]
        if compression is None and out is None and output_format == "parquet":
            # Shards read back at once and removed: not worth compressing.
            compression = "none"
        if compression is not None:
            args += ["--compression", compression]
        if shard_size is not None:
            args += ["--shard-size", str(shard_size)]
        run_cli(args)
        report = json.loads((target / "report.json").read_text(encoding="utf-8"))
        kept = rejected = None
        if load if load is not None else out is None:
            kept = _load(target / "kept", output_format, origin, explain or annotate_only)
            rejected = _load(target / "rejected", output_format, origin, False)
        return Result(kept, rejected, report, Path(out) if out is not None else None)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _write_jsonl(records: Iterable[Any], path: Path) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for i, r in enumerate(records):
            if not isinstance(r, Mapping):
                raise TypeError(f"record {i + 1} is a {type(r).__name__}, not a dict")
            f.write(json.dumps(r, ensure_ascii=False))
            f.write("\n")


def _config_args(config: Config, overrides: dict | None, scratch: Path) -> list:
    if config is None and overrides is None:
        return []
    if isinstance(config, (str, os.PathLike)) and overrides is None:
        return ["--config", str(config)]
    base = str(config) if isinstance(config, (str, os.PathLike)) else None
    merged: dict = {}
    if isinstance(config, Mapping):
        _merge(merged, config)
    elif config is not None and base is None:
        raise TypeError(f"config must be a path or a dict, not {type(config).__name__}")
    if overrides:
        _merge(merged, overrides)
    path = scratch / "config.toml"
    path.write_text(config_toml(base, json.dumps(merged)), encoding="utf-8")
    return ["--config", str(path)]


def _merge(into: dict, over: Mapping[str, Any]) -> None:
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(into.get(k), dict):
            _merge(into[k], v)
        elif isinstance(v, Mapping):
            into[k] = {}
            _merge(into[k], v)
        else:
            into[k] = v


def _shards(directory: Path, ext: str) -> list:
    names = []
    for p in directory.iterdir():
        stem, _, rest = p.name.partition(".")
        if len(stem) == 5 and stem.isdigit() and rest == ext:
            names.append(p)
    return sorted(names)


def _load(directory: Path, output_format: str, origin: tuple | None, explain: bool) -> Any:
    if output_format == "parquet":
        table = read_parquet([str(p) for p in _shards(directory, "parquet")])
        if origin is not None:
            table = _rename_origin(table, origin)
        if explain and "rinse" in table.column_names:
            table = _explain_columns(table)
        return table
    if _shards(directory, "jsonl.zst"):
        raise RinseError(f"{directory}: zstd shards are not loaded (use load=False and read them)")
    rows = []
    for ext, opener in (("jsonl", open), ("jsonl.gz", gzip.open)):
        for p in _shards(directory, ext):
            with opener(p, "rt", encoding="utf-8") as f:
                rows.extend(json.loads(line) for line in f if line.strip())
    if origin is not None:
        for r in rows:
            if isinstance(r.get("origin"), str):
                r["origin"] = _origin(r["origin"], origin)
    return rows


def _origin(value: str, origin: tuple) -> str:
    path, name = origin
    return name + value[len(path) :] if value.startswith(path) else value


def _rename_origin(table: Any, origin: tuple) -> Any:
    import pyarrow as pa

    for column in ("rinse_origin", "origin"):
        if column in table.column_names:
            i = table.column_names.index(column)
            values = [
                None if v is None else _origin(v, origin) for v in table.column(i).to_pylist()
            ]
            table = table.set_column(i, table.field(i), pa.array(values, pa.string()))
    return table


def _explain_columns(table: Any) -> Any:
    """The explain object of each kept row (the ``rinse`` JSON column) as columns too:
    ``rinse_lang`` (string) and ``rinse_removals`` (a list of structs: rule, category,
    start, end, text, and dup_of where a duplicate was removed)."""
    import pyarrow as pa

    explained = [None if v is None else json.loads(v) for v in table.column("rinse").to_pylist()]
    langs = pa.array([None if e is None else e.get("lang") for e in explained], pa.string())
    removals = pa.array([None if e is None else e.get("removals") for e in explained])
    if removals.type == pa.null():
        removals = removals.cast(pa.list_(pa.struct([("rule", pa.string())])))
    return table.append_column("rinse_lang", langs).append_column("rinse_removals", removals)
