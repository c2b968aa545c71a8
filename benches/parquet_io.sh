#!/usr/bin/env bash
# JSONL and Parquet in and out on the same corpus, alternating runs under GNU time.
#
#   benches/parquet_io.sh CORPUS.jsonl CORPUS.parquet [RUNS] [THREADS]
#
# CORPUS.parquet holds the records of CORPUS.jsonl (for example written by pyarrow:
# pyarrow.parquet.write_table(pyarrow.json.read_json(...), ..., row_group_size=10000)).
# Uses the release binary ($CARGO_TARGET_DIR or target/, built first); prints one line
# per run (wall s, user s, sys s, max RSS KiB) and the medians per combination, with
# MB/s of the JSONL corpus's size (the same records whatever the input format), and
# the size of the kept Parquet shards per codec.
set -euo pipefail
if [ $# -lt 2 ]; then
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
jsonl=$1 parquet=$2 runs=${3:-4} threads=${4:-2}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-$root/target}/release/rinse
work=$(mktemp -d "${TMPDIR:-/tmp}/rinse-pq-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
size=$(stat -c %s "$jsonl")
declare -A input=([jsonl]=$jsonl [parquet]=$parquet)
# OUT is a format, or parquet:CODEC for --compression CODEC (default Snappy).
combos=("jsonl jsonl" "parquet parquet" "parquet parquet:none" "parquet parquet:zstd"
    "jsonl parquet" "parquet jsonl")
echo "$(date -u +%FT%TZ) $(git rev-parse --short HEAD) threads=$threads runs=$runs"
echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-) / $(nproc) cpus / load $(cut -d' ' -f1-3 /proc/loadavg)"
for ((i = 1; i <= runs; i++)); do
    for combo in "${combos[@]}"; do
        read -r in out <<<"$combo"
        rm -rf "$work/out"
        format=${out%%:*} codec=()
        [[ $out == *:* ]] && codec=(--compression "${out#*:}")
        /usr/bin/time -f "%e %U %S %M" -o "$work/time" \
            "$bin" run "${input[$in]}" --out "$work/out" --output-format "$format" \
            "${codec[@]}" --threads "$threads" --quiet
        [[ $in == parquet && $format == parquet ]] && du -sk "$work/out/kept" >"$work/size-$out"
        echo "$in>$out $(cat "$work/time")" | tee -a "$work/all"
    done
done
echo
echo "combination: wall s median (range), MB/s, CPU s (user+sys) median (range), max RSS MiB median"
for combo in "${combos[@]}"; do
    read -r in out <<<"$combo"
    grep "^$in>$out " "$work/all" | awk -v size="$size" -v name="$in>$out" '
        { w[NR] = $2; c[NR] = $3 + $4; m[NR] = $5 }
        function med(a, n,   i, j, t) {
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
            return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        END {
            n = NR; wm = med(w, n); cm = med(c, n); mm = med(m, n)
            printf "%-22s %.2f (%.2f-%.2f)  %.1f MB/s  CPU %.2f (%.2f-%.2f)  %.0f MiB\n", name, wm, w[1], w[n], size / 1e6 / wm, cm, c[1], c[n], mm / 1024
        }'
done
for f in "$work"/size-*; do echo "kept shards, parquet>${f##*/size-}: $(cut -f1 "$f") KiB"; done
