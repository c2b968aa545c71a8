#!/usr/bin/env bash
# How cost and memory grow with the corpus: `rinse run` (default config, or --config FILE)
# on generated corpora of several sizes, one line per size with input MB, documents, wall
# seconds, CPU seconds (user + system), MB/s, CPU ms per input MB and peak RSS.
#
#   benches/scale.sh POOL [SIZE_MB ...]          (default sizes: 200 400)
#   RINSE_SCALE_CONFIG=my.toml benches/scale.sh POOL 200 1600
#   RINSE_BIN=/path/to/rinse ...   (another build, for alternating runs)
#
# POOL is a directory of *.jsonl pool files for benches/make_corpus.py (real text); the
# corpora (seed 1) are generated once into .cache/corpora/scale-<SIZE>.jsonl (git-ignored)
# and reused. Peak RSS needs GNU time at /usr/bin/time. Results are appended to
# benches/results/<UTC date>-scale.txt with the commit, CPU model and config.
set -euo pipefail

if [ $# -lt 1 ]; then
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
pool=$1
shift
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(200 400)
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ ! -x /usr/bin/time ]; then
    echo "benches/scale.sh: needs GNU time at /usr/bin/time (apt-get install -y time)" >&2
    exit 2
fi

cargo build --release --quiet
bin=${RINSE_BIN:-$root/target/release/rinse}
work=$(mktemp -d "${TMPDIR:-/tmp}/rinse-scale.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p .cache/corpora benches/results
cfg=()
[ -n "${RINSE_SCALE_CONFIG:-}" ] && cfg=(--config "$RINSE_SCALE_CONFIG")

out=benches/results/$(date -u +%Y-%m-%d)-scale.txt
{
    echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) commit $(git rev-parse --short HEAD)$(git diff --quiet || echo '+dirty')"
    echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores; config: ${RINSE_SCALE_CONFIG:-embedded default}"
    printf '%8s %10s %8s %8s %8s %10s %10s\n' "in_MB" "docs" "wall_s" "cpu_s" "MB/s" "cpu_ms/MB" "peak_MiB"
} | tee -a "$out"
for mb in "${sizes[@]}"; do
    corpus=.cache/corpora/scale-$mb.jsonl
    if [ ! -s "$corpus" ]; then
        python3 benches/make_corpus.py --pool "$pool" --size-mb "$mb" --seed 1 \
            --out "$corpus" --truth ".cache/corpora/scale-$mb.truth.jsonl" >/dev/null 2>"$work/generate.log"
    fi
    rm -rf "$work/out"
    /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$bin" run "$corpus" --out "$work/out" --quiet "${cfg[@]}"
    read -r wall user sys rss <"$work/time"
    bytes=$(stat -c %s "$corpus")
    docs=$(wc -l <"$corpus")
    awk -v b="$bytes" -v d="$docs" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" 'BEGIN {
        mb = b / 1e6; cpu = u + s
        printf "%8.0f %10d %8.2f %8.2f %8.1f %10.1f %10.0f\n", mb, d, w, cpu, mb / w, cpu * 1000 / mb, r / 1024
    }' | tee -a "$out"
done
