#!/usr/bin/env bash
# End-to-end benchmark: `rinse run` with the embedded default config on one JSONL corpus.
#
#   benches/run.sh CORPUS.jsonl [THREADS]
#
# Builds the release binary, runs it once under GNU time, and writes wall time, MB/s,
# records/s and peak memory (max RSS), with the date, machine, load and commit, to
# benches/results/<UTC date>-<corpus name>.txt (and prints the same on stdout).
# Peak memory needs GNU time at /usr/bin/time (Debian/Ubuntu: `apt-get install -y time`);
# without it the script still measures wall time and says that memory is not measured.
# Make a large corpus with (see README, "Evaluating rules"):
#   python3 ../shared/bench/make_corpus.py --pool ../shared/data/pool --size-mb 200 \
#       --out .cache/corpora/c200.jsonl --truth .cache/corpora/c200.truth.jsonl --seed 1
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
corpus=$1
threads=${2:-}
if [ ! -r "$corpus" ]; then
    echo "benches/run.sh: cannot read corpus $corpus" >&2
    exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

cargo build --release --quiet
bin=$root/target/release/rinse
work=$(mktemp -d "${TMPDIR:-/tmp}/rinse-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

args=(run "$corpus" --out "$work/out" --quiet)
[ -n "$threads" ] && args+=(--threads "$threads")

load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
# Wall time from the clock (GNU time only has 1/100 s); peak memory from GNU time.
t0=$(date +%s.%N)
if [ -x /usr/bin/time ] && /usr/bin/time -v true >/dev/null 2>&1; then
    /usr/bin/time -v -o "$work/time.txt" "$bin" "${args[@]}"
    t1=$(date +%s.%N)
    rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
    peak="$((rss_kb / 1024)) MiB (max RSS ${rss_kb} kB, GNU time)"
    cpu=$(sed -n 's/.*Percent of CPU this job got: //p' "$work/time.txt")
else
    echo "benches/run.sh: GNU time not found at /usr/bin/time; peak memory is not measured" \
        "(install it with: apt-get install -y time)" >&2
    "$bin" "${args[@]}"
    t1=$(date +%s.%N)
    peak="not measured (no GNU time; apt-get install -y time)"
    cpu="n/a"
fi
wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')

report=$work/out/report.json
field() { grep -o "\"$1\": *[^,}]*" "$report" | head -n 1 | sed 's/.*: *//; s/"//g'; }
bytes=$(stat -c %s "$corpus")
records=$(field read)
kept=$(field kept)
used_threads=$(field threads)
fingerprint=$(field config_fingerprint)

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
mem_total=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null || true)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then commit="$commit (dirty)"; fi

stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
mkdir -p benches/results
result=benches/results/$stamp-$(basename "$corpus" | sed 's/\.[^.]*$//').txt
{
    echo "# rinse end-to-end benchmark (benches/run.sh)"
    echo "date:          $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "corpus:        $corpus ($bytes bytes)"
    echo "command:       rinse ${args[*]/#$work\/out/OUT}"
    echo "config:        embedded default (fingerprint $fingerprint)"
    echo "threads:       $used_threads"
    echo "records:       $records read, $kept kept"
    echo "wall time:     ${wall} s"
    echo "throughput:    $(awk -v b="$bytes" -v s="$wall" 'BEGIN { printf "%.1f", b / 1e6 / s }') MB/s," \
        "$(awk -v r="$records" -v s="$wall" 'BEGIN { printf "%.0f", r / s }') records/s"
    echo "peak memory:   $peak"
    echo "cpu use:       $cpu"
    echo "rinse:         $("$bin" --version) at commit $commit"
    echo "rustc:         $(rustc --version)"
    echo "machine:       $(uname -srm); $(nproc) cores; ${cpu_model:-unknown cpu}; ${mem_total:-unknown memory}"
    echo "load before:   $load (1/5/15 min load average; other jobs may share the machine)"
} | tee "$result"
echo "benches/run.sh: wrote $result" >&2
