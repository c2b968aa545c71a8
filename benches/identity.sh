#!/usr/bin/env bash
# The bytes rinse writes, as digests: for each input set, the sha256 of everything under
# kept/ and under rejected/ (files concatenated in path order) of a default-config run.
# A change that must not change the output (a refactor, a new engine, another thread
# count) is checked against a recorded list (lines starting with # are comments):
#
#   benches/identity.sh POOL DATA > digests.txt             record
#   benches/identity.sh --check FILE POOL DATA              compare, exit 1 on a difference
#
# POOL: a directory of *.jsonl pool files for benches/make_corpus.py (the 50 MB and 200 MB
# corpora, seed 1, are generated once into .cache/corpora/, git-ignored). DATA: a
# directory holding webclean/dev.docs.jsonl and contentbench/dev.docs.jsonl (a set
# whose file is missing is reported as skipped, never as matching). The seeds come from
# tests/data/seeds. RINSE_THREADS (default 2) and RINSE_BIN (default target/release/rinse)
# choose the run.
set -euo pipefail

check=
if [ "${1:-}" = "--check" ]; then
    check=$2
    shift 2
fi
if [ $# -ne 2 ]; then
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
pool=$1
data=$2
bin=${RINSE_BIN:-target/release/rinse}
threads=${RINSE_THREADS:-2}
[ -x "$bin" ] || cargo build --release --quiet
mkdir -p .cache/corpora
for mb in 50 200; do
    f=.cache/corpora/c$mb.jsonl
    if [ ! -s "$f" ]; then
        python3 benches/make_corpus.py --pool "$pool" --size-mb "$mb" --seed 1 \
            --out "$f" --truth ".cache/corpora/c$mb.truth.jsonl" >/dev/null
    fi
done

digest() { # DIR -> sha256 of its files' bytes in path order
    if [ -d "$1" ]; then
        find "$1" -type f | LC_ALL=C sort | xargs -r cat | sha256sum | cut -d' ' -f1
    else
        echo none
    fi
}

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
result=$(mktemp)
for set in seeds webclean contentbench c50 c200; do
    case $set in
    seeds) input=tests/data/seeds ;;
    webclean | contentbench) input=$data/$set/dev.docs.jsonl ;;
    *) input=.cache/corpora/$set.jsonl ;;
    esac
    if [ ! -e "$input" ]; then
        echo "$set skipped: no $input" >&2
        echo "$set skipped" >>"$result"
        continue
    fi
    rm -rf "$out/run"
    "$bin" run "$input" --out "$out/run" --threads "$threads" -q
    echo "$set kept $(digest "$out/run/kept") rejected $(digest "$out/run/rejected")" >>"$result"
done

if [ -z "$check" ]; then
    cat "$result"
    exit 0
fi
if diff <(grep -v -e ' skipped$' -e '^#' "$check") <(grep -v ' skipped$' "$result") >/dev/null &&
    ! grep -q ' skipped$' "$result"; then
    echo "identity: every set matches $check" >&2
    exit 0
fi
echo "identity: differs from $check (or a set was skipped):" >&2
diff <(grep -v '^#' "$check") "$result" >&2 || true
exit 1
