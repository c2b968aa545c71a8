#!/usr/bin/env python3
"""Split a gold set (docs, gold, optional flat docs) into halves A and B by the parity of
the MD5 of each page id, to fit the line model on one half and score it on the other:

    python3 benches/split_halves.py DIR OUT NAME
        DIR: holds dev.docs.jsonl, dev.gold.jsonl (and dev-flat.docs.jsonl if present)
        writes OUT/NAME.{A,B}.{docs,gold,flat}.jsonl

    rinse train --gold OUT/x.A.gold.jsonl --gold OUT/y.A.gold.jsonl \\
        OUT/x.A.docs.jsonl OUT/y.A.docs.jsonl --out OUT/mA.toml
    printf '[clean.heuristic]\\nmodel = "OUT/mA.toml"\\n' > OUT/cA.toml
    rinse eval --gold OUT/x.B.gold.jsonl --config OUT/cA.toml OUT/x.B.docs.jsonl
"""

import hashlib
import json
import os
import sys


def half(page_id):
    return "A" if int(hashlib.md5(page_id.encode()).hexdigest(), 16) % 2 == 0 else "B"


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    src, out, name = sys.argv[1:]
    os.makedirs(out, exist_ok=True)
    files = {
        "docs": "dev.docs.jsonl",
        "gold": "dev.gold.jsonl",
        "flat": "dev-flat.docs.jsonl",
    }
    for kind, file in files.items():
        path = os.path.join(src, file)
        if not os.path.exists(path):
            continue
        halves = {"A": [], "B": []}
        with open(path, encoding="utf-8") as f:
            for line in f:
                halves[half(json.loads(line)["id"])].append(line)
        for h, lines in halves.items():
            with open(os.path.join(out, f"{name}.{h}.{kind}.jsonl"), "w") as o:
                o.writelines(lines)


if __name__ == "__main__":
    main()
