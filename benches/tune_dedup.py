#!/usr/bin/env python3
"""Tune the document verification thresholds (standard library only).

usage: RINSE_DEDUP_DUMP_PAIRS=pairs.txt rinse run C.jsonl --out O -q
       tune_dedup.py pairs.txt C.truth.jsonl

`RINSE_DEDUP_DUMP_PAIRS` makes `rinse run` write every LSH candidate pair with its
estimated Jaccard and containment ("id_a id_b J C"). This script clusters the pairs that
pass each rule (union-find keeping the first id, as rinse does) and prints near-dup recall,
recall at edit_rate <= 0.05, false positives and truth originals removed per rule.
"""

import json
import sys

RULES = {
    "J>=.4 | C>=.9&J>=.3": lambda j, c: j >= 0.4 or (c >= 0.9 and j >= 0.3),
    "J>=.5 | C>=.85&J>=.35 (default)": lambda j, c: (
        j >= 0.5 or (c >= 0.85 and j >= 0.35)
    ),
    "J>=.55 | C>=.8&J>=.4": lambda j, c: j >= 0.55 or (c >= 0.8 and j >= 0.4),
    "J>=.6 | C>=.8&J>=.4": lambda j, c: j >= 0.6 or (c >= 0.8 and j >= 0.4),
    "J>=.7 (peers)": lambda j, c: j >= 0.7,
}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    truth, originals = {}, set()
    with open(sys.argv[2], encoding="utf-8") as f:
        for line in f:
            t = json.loads(line)
            if t["dup_of"]:
                truth[t["id"]] = t
                originals.add(t["dup_of"])
    with open(sys.argv[1], encoding="utf-8") as f:
        pairs = [(a, b, float(j), float(c)) for a, b, j, c in (l.split() for l in f)]
    near = [i for i, t in truth.items() if t["kind"] == "near"]
    light = [i for i in near if truth[i]["edit_rate"] <= 0.05]
    for name, rule in RULES.items():
        parent = {}

        def find(x, parent=parent):
            while parent.get(x, x) != x:
                x = parent[x]
            return x

        for a, b, j, c in pairs:
            if rule(j, c):
                ra, rb = find(a), find(b)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
        removed = {x for x in parent if find(x) != x}
        rn = sum(i in removed for i in near) / max(1, len(near))
        rl = sum(i in removed for i in light) / max(1, len(light))
        fp = sum(1 for x in removed if x not in truth)
        print(
            f"{name:34} near {rn:.4f}  edit<=0.05 {rl:.4f}  false positives {fp:5}"
            f"  originals removed {len(removed & originals)}"
        )


if __name__ == "__main__":
    main()
