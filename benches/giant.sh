#!/usr/bin/env bash
# Giant-document benchmark: how long `rinse run` (embedded default config, dedup on) takes
# on ONE record of 16, 64 and 200 MB, against the same bytes as ordinary records.
#
#   benches/giant.sh CORPUS.jsonl [SIZE_MB...]     (default sizes: 16 64 200)
#
# CORPUS is any JSONL corpus with a `text` field (make one as benches/run.sh says). For
# each size the script joins the texts of CORPUS, in order, into one document of that many
# MB (blank line between texts; from the start again when CORPUS has less text), and takes
# the same texts as ordinary records; it times one run of each. Every stage should be
# O(n log n) or better in a document's size, so the two times should be of the same order
# (one record runs on one core, ordinary records on all). Results go to
# benches/results/<UTC date>-giant.txt (and stdout).
set -euo pipefail
if [ $# -lt 1 ]; then
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
corpus=$1
shift
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(16 64 200)
if [ ! -s "$corpus" ]; then
    echo "benches/giant.sh: cannot read corpus $corpus (or it is empty)" >&2
    exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build --release --quiet
bin=$root/target/release/rinse
work=$(mktemp -d "${TMPDIR:-/tmp}/rinse-giant.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p benches/results
result=benches/results/$(date -u +%Y-%m-%d)-giant.txt
{
    echo "# giant-document benchmark, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo none)"
    echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
    echo "# size_mb  one_record_s  ordinary_records_s"
} | tee "$result"
for mb in "${sizes[@]}"; do
    python3 - "$corpus" "$mb" "$work/giant.jsonl" "$work/ordinary.jsonl" <<'PY'
import json, sys
corpus, mb, giant, ordinary = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
limit = int(mb * 1e6)
parts, size, rounds = [], 0, 0
with open(ordinary, "w", encoding="utf-8") as o:
    # A corpus with less text than the size is read again from the start: the repeats
    # then exercise passage dedup inside the giant document too.
    while size < limit:
        rounds += 1
        before = size
        with open(corpus, encoding="utf-8") as f:
            for i, line in enumerate(f):
                rec = json.loads(line)
                t = rec.get("text")
                if not isinstance(t, str):
                    continue
                parts.append(t)
                size += len(t.encode()) + 2
                rec["id"] = f"{rounds}-{i}"
                o.write(json.dumps(rec, ensure_ascii=False) + "\n")
                if size >= limit:
                    break
        if size == before:
            sys.exit(f"benches/giant.sh: {corpus} has no text")
with open(giant, "w", encoding="utf-8") as g:
    g.write(json.dumps({"id": "giant", "text": "\n\n".join(parts)}, ensure_ascii=False) + "\n")
PY
    t0=$(date +%s.%N)
    "$bin" run "$work/giant.jsonl" --out "$work/out-giant" --quiet || [ $? -eq 3 ]
    t1=$(date +%s.%N)
    "$bin" run "$work/ordinary.jsonl" --out "$work/out-ordinary" --quiet || [ $? -eq 3 ]
    t2=$(date +%s.%N)
    printf '%8s  %12.2f  %18.2f\n' "$mb" "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)" | tee -a "$result"
done
