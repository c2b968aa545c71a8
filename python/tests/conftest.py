"""Shared fixtures: the repository's test data and the `rinse` command to compare with.

The command is $RINSE_BIN when set (the Rust integration test sets it to the binary it
built), else the `rinse` script this package installs.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "tests" / "data" / "seeds"
# 803 news records with exact and near duplicates: a run rejects some.
CORPUS = REPO / "tests" / "data" / "dedup" / "corpus.jsonl"


@pytest.fixture(scope="session")
def rinse_bin() -> str:
    path = os.environ.get("RINSE_BIN") or shutil.which("rinse")
    assert path, "no rinse command: set RINSE_BIN or install the wheel"
    return path


@pytest.fixture(scope="session")
def cli(rinse_bin):
    """Run the command; returns the CompletedProcess (stdout, stderr as text)."""

    def run(*args, check=True):
        done = subprocess.run(
            [rinse_bin, *map(str, args)], capture_output=True, text=True, check=False
        )
        if check:
            assert done.returncode == 0, done.stderr
        return done

    return run


def shards(directory: Path, ext: str) -> list:
    return sorted(p for p in directory.iterdir() if p.name.endswith("." + ext) and p.name[0] != ".")
