#!/usr/bin/env bash
# End-to-end benchmark: `rinse run` with the embedded default config on one JSONL corpus.
#
#   benches/run.sh CORPUS.jsonl [THREADS]
#   RINSE_BENCH_RUNS=5 benches/run.sh CORPUS.jsonl [THREADS]
#
# Builds the release binary, runs it (once, or RINSE_BENCH_RUNS times) under GNU time, and
# writes wall time, MB/s, records/s and peak memory (max RSS) -- the median and range when
# it ran more than once -- with the date, machine (CPU family/model and vector extensions),
# load and commit, to benches/results/<UTC date>-<corpus name>.txt (and stdout).
# Peak memory needs GNU time at /usr/bin/time (Debian/Ubuntu: `apt-get install -y time`);
# without it the script still measures wall time and says that memory is not measured.
# The corpus is yours: any JSONL file with a `text` field, 50 to 200 MB to get meaningful
# figures, kept out of the repository (.cache/ is git-ignored). See docs/performance.md,
# "How to reproduce".
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
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

runs=${RINSE_BENCH_RUNS:-1}
case $runs in
    '' | *[!0-9]* | 0) echo "benches/run.sh: RINSE_BENCH_RUNS must be a positive number, not '$runs'" >&2; exit 2 ;;
esac
gnu_time=false
if [ -x /usr/bin/time ] && /usr/bin/time -v true >/dev/null 2>&1; then
    gnu_time=true
else
    echo "benches/run.sh: GNU time not found at /usr/bin/time; peak memory is not measured" \
        "(install it with: apt-get install -y time)" >&2
fi

load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
# One line per run: wall seconds, max RSS in kB (or -), CPU share (or -).
: >"$work/runs.txt"
for _ in $(seq "$runs"); do
    rm -rf "$work/out"
    # Wall time from the clock (GNU time only has 1/100 s); peak memory from GNU time.
    t0=$(date +%s.%N)
    if $gnu_time; then
        /usr/bin/time -v -o "$work/time.txt" "$bin" "${args[@]}"
        t1=$(date +%s.%N)
        rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
        cpu=$(sed -n 's/.*Percent of CPU this job got: //p' "$work/time.txt" | tr -d %)
    else
        "$bin" "${args[@]}"
        t1=$(date +%s.%N)
        rss_kb=- cpu=-
    fi
    awk -v a="$t0" -v b="$t1" -v m="$rss_kb" -v c="$cpu" \
        'BEGIN { printf "%.3f %s %s\n", b - a, m, c }' >>"$work/runs.txt"
done
# Median (the mean of the two middle ones for an even count), minimum and maximum of
# column $1.
stat3() { cut -d' ' -f"$1" "$work/runs.txt" | sort -n | awk '{ v[NR] = $1 }
    END { m = (v[int((NR + 1) / 2)] + v[int(NR / 2) + 1]) / 2
          printf "%.3f %s %s\n", m, v[1], v[NR] }'; }
read -r wall wall_min wall_max < <(stat3 1)
walls=$(cut -d' ' -f1 "$work/runs.txt" | tr '\n' ' ' | sed 's/ $//')
if $gnu_time; then
    read -r _ _ rss_kb < <(stat3 2)
    read -r cpu cpu_min cpu_max < <(stat3 3)
    cpu=$(printf '%.0f' "$cpu")
    peak="$((rss_kb / 1024)) MiB (max RSS ${rss_kb} kB, GNU time)"
    if [ "$runs" -gt 1 ]; then
        peak="$peak, the largest of the runs"
        cpu="$cpu% (median; $cpu_min-$cpu_max%)"
    else
        cpu="$cpu%"
    fi
else
    peak="not measured (no GNU time; apt-get install -y time)"
    cpu="n/a"
fi

report=$work/out/report.json
field() { grep -o "\"$1\": *[^,}]*" "$report" | head -n 1 | sed 's/.*: *//; s/"//g'; }
bytes=$(stat -c %s "$corpus")
records=$(field read)
kept=$(field kept)
used_threads=$(field threads)
fingerprint=$(field config_fingerprint)

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
# A VM may name its CPU only by brand ("AMD EPYC"): family and model tell generations
# apart (AMD family 25 = Zen 3/4, 26 = Zen 5), and the vector extensions which code runs.
cpu_family=$(sed -n 's/^cpu family[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
cpu_modelno=$(sed -n 's/^model[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
cpu_flags=$(sed -n 's/^flags[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
simd=""
for f in avx2 avx512f avx512bw; do
    case " $cpu_flags " in *" $f "*) simd="$simd${simd:+ }$f" ;; esac
done
cpu_id="${cpu_model:-unknown cpu}${cpu_family:+ (family $cpu_family, model $cpu_modelno)}; ${simd:-no AVX2}"
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
    mbs() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.1f", b / 1e6 / s }'; }
    if [ "$runs" -gt 1 ]; then
        echo "wall time:     ${wall} s (median of $runs runs; $wall_min-$wall_max s; each: $walls)"
        echo "throughput:    $(mbs "$wall") MB/s (median; $(mbs "$wall_max")-$(mbs "$wall_min"))," \
            "$(awk -v r="$records" -v s="$wall" 'BEGIN { printf "%.0f", r / s }') records/s"
    else
        echo "wall time:     ${wall} s"
        echo "throughput:    $(mbs "$wall") MB/s," \
            "$(awk -v r="$records" -v s="$wall" 'BEGIN { printf "%.0f", r / s }') records/s"
    fi
    echo "peak memory:   $peak"
    echo "cpu use:       $cpu"
    echo "rinse:         $("$bin" --version) at commit $commit"
    echo "rustc:         $(rustc --version)"
    echo "machine:       $(uname -srm); $(nproc) cores; $cpu_id; ${mem_total:-unknown memory}"
    echo "load before:   $load (1/5/15 min load average; other jobs may share the machine)"
} | tee "$result"
echo "benches/run.sh: wrote $result" >&2
