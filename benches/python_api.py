#!/usr/bin/env python3
"""The Python API on a pyarrow table against the `rinse` command on the same data.

    python benches/python_api.py CORPUS.parquet RINSE_BINARY [--runs 4] [--threads 2]

Run with a Python that has the rinse wheel (built with --release) and pyarrow installed,
and the release binary of the same commit. The table is read into memory first (not
timed). Then, alternating, RUNS times each:

- cli: `RINSE_BINARY run CORPUS.parquet --out DIR --output-format parquet -q`;
- api: `rinse.run(table, out=DIR)` (the table written to a temporary Parquet file by the
  extension, the run, Parquet out; the kept rows are not loaded, as the command does not
  load them either);
- api+load: `rinse.run(table)`, which also reads the kept and rejected rows back as
  pyarrow Tables and removes the temporary directory (its temporary output is
  uncompressed, so this is not the same work as cli);
- cli-plain: the command on the table written uncompressed (by pyarrow, not timed) with
  `--compression none`: what the API does inside, without the table's writing and
  reading back (the like-for-like figure for api+load).

Wall seconds and CPU seconds (user + sys: of the child process for cli, of this process
for api) per run, the medians, and the api's difference to cli in MB/s of the input
(the Parquet file's size). Checks that the kept shards are the same bytes.
"""

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq
import rinse


def cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("binary", type=Path)
    ap.add_argument("--runs", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    table = pq.read_table(args.corpus)
    size_mb = args.corpus.stat().st_size / 1e6
    work = Path(tempfile.mkdtemp(prefix="rinse-pybench-"))
    times: dict = {"cli": [], "api": [], "api+load": [], "cli-plain": []}
    plain = work / "plain.parquet"
    pq.write_table(table, plain, compression="none")
    try:
        for i in range(args.runs):
            out = work / "cli"
            c0, w0 = cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
            subprocess.run(
                [args.binary, "run", args.corpus, "--out", out, "--output-format", "parquet",
                 "--threads", str(args.threads), "-q"],
                check=True,
            )  # fmt: skip
            times["cli"].append(
                (time.perf_counter() - w0, cpu(resource.RUSAGE_CHILDREN) - c0)
            )

            api = work / "api"
            c0, w0 = cpu(resource.RUSAGE_SELF), time.perf_counter()
            rinse.run(table, out=api, threads=args.threads)
            times["api"].append(
                (time.perf_counter() - w0, cpu(resource.RUSAGE_SELF) - c0)
            )
            same = (api / "kept/00000.parquet").read_bytes() == (
                out / "kept/00000.parquet"
            ).read_bytes()
            assert same, "the API's kept shard differs from the command's"

            c0, w0 = cpu(resource.RUSAGE_SELF), time.perf_counter()
            result = rinse.run(table, threads=args.threads)
            times["api+load"].append(
                (time.perf_counter() - w0, cpu(resource.RUSAGE_SELF) - c0)
            )
            assert result.kept.num_rows == result.report["records"]["kept"]

            out_plain = work / "cli-plain"
            c0, w0 = cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
            subprocess.run(
                [args.binary, "run", plain, "--out", out_plain, "--output-format", "parquet",
                 "--compression", "none", "--threads", str(args.threads), "-q"],
                check=True,
            )  # fmt: skip
            times["cli-plain"].append(
                (time.perf_counter() - w0, cpu(resource.RUSAGE_CHILDREN) - c0)
            )
            shutil.rmtree(out_plain)
            print(
                f"run {i + 1}: "
                + ", ".join(f"{k} {v[-1][0]:.2f} s" for k, v in times.items())
            )
            shutil.rmtree(out)
            shutil.rmtree(api)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(
        f"\n{args.corpus} ({size_mb:.1f} MB, {table.num_rows} rows), --threads {args.threads}"
    )
    print(
        f"python {platform.python_version()}, rinse {rinse.__version__}, {os.cpu_count()} cpus"
    )
    cli_wall = statistics.median(w for w, _ in times["cli"])
    plain_wall = statistics.median(w for w, _ in times["cli-plain"])
    for name, runs in times.items():
        walls = [w for w, _ in runs]
        cpus = [c for _, c in runs]
        wall = statistics.median(walls)
        print(
            f"{name:9} wall {wall:.2f} s ({min(walls):.2f}-{max(walls):.2f}), "
            f"{size_mb / wall:.1f} MB/s, CPU {statistics.median(cpus):.2f} s "
            f"({min(cpus):.2f}-{max(cpus):.2f}), MB/s vs cli {cli_wall / wall * 100 - 100:+.1f} %, "
            f"vs cli-plain {plain_wall / wall * 100 - 100:+.1f} %"
        )


if __name__ == "__main__":
    sys.exit(main())
