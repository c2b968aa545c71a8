#!/usr/bin/env python3
"""Score rinse's document dedup against a make_corpus.py truth file (standard library only).

usage: score_dedup.py OUT_DIR TRUTH.jsonl [--json]

Reads OUT_DIR/rejected/*.jsonl; documents rejected as exact-duplicate or near-duplicate
are "removed". Prints recall per kind, near-dup recall per truth-Jaccard band and per
edit_rate band, precision, and how many truth originals (dup_of targets) were removed.
"""
import glob
import json
import os
import sys

DEDUP = {"exact-duplicate", "near-duplicate"}


def load_removed(out_dir):
    removed, other = {}, {}
    for path in sorted(glob.glob(os.path.join(out_dir, "rejected", "*.jsonl"))):
        with open(path, encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                rid = r.get("id")
                if r["reason"] in DEDUP:
                    removed[rid] = r
                else:
                    other[rid] = r["reason"]
    return removed, other


def band(j):
    for lo in (0.9, 0.8, 0.7, 0.5):
        if j >= lo:
            return f">={lo}" if lo == 0.9 else f"{lo}-{round(lo + (0.1 if lo >= 0.7 else 0.2), 1)}"
    return "<0.5"


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        sys.exit(__doc__)
    out_dir, truth_path = args
    removed, other = load_removed(out_dir)
    dups, originals = {}, set()
    with open(truth_path, encoding="utf-8") as f:
        for line in f:
            t = json.loads(line)
            if t.get("dup_of"):
                dups[t["id"]] = t
                originals.add(t["dup_of"])
    res = {"removed": len(removed), "other_rejections": len(other)}
    for kind in ("exact", "near"):
        ids = [i for i, t in dups.items() if t["kind"] == kind]
        hit = sum(1 for i in ids if i in removed)
        res[f"{kind}_recall"] = [hit, len(ids), round(hit / max(1, len(ids)), 4)]
    bands = {}
    for i, t in dups.items():
        if t["kind"] != "near":
            continue
        for key in (band(t["jaccard"]), "edit<=0.05" if t["edit_rate"] <= 0.05 else "edit>0.05"):
            b = bands.setdefault(key, [0, 0])
            b[1] += 1
            b[0] += i in removed
    order = [">=0.9", "0.8-0.9", "0.7-0.8", "0.5-0.7", "<0.5", "edit<=0.05", "edit>0.05"]
    res["near_recall_by_band"] = {
        k: [bands[k][0], bands[k][1], round(bands[k][0] / bands[k][1], 4)] for k in order if k in bands
    }
    tp = sum(1 for i in removed if i in dups)
    res["precision"] = [tp, len(removed), round(tp / max(1, len(removed)), 4)]
    res["false_positives"] = sorted(i for i in removed if i not in dups)[:20]
    res["originals_removed"] = sorted(i for i in removed if i in originals)
    res["originals_rejected_other"] = sorted(i for i in other if i in originals)
    res["missed_near_sample"] = sorted(i for i, t in dups.items() if i not in removed)[:10]
    if "--json" in sys.argv:
        print(json.dumps(res, indent=1))
        return
    print(f"removed {res['removed']} (other rejections {res['other_rejections']})")
    for kind in ("exact", "near"):
        h, n, r = res[f"{kind}_recall"]
        print(f"{kind:5} recall {r:.4f} ({h}/{n})")
    for k, (h, n, r) in res["near_recall_by_band"].items():
        print(f"  near {k:10} {r:.4f} ({h}/{n})")
    h, n, r = res["precision"]
    print(f"precision {r:.4f} ({h}/{n}); false positives (first 20): {res['false_positives']}")
    print(f"originals removed: {len(res['originals_removed'])} {res['originals_removed'][:20]}")
    other_orig = res["originals_rejected_other"]
    print(f"originals rejected for another reason: {len(other_orig)} {other_orig[:10]}")
    print(f"missed (first 10): {res['missed_near_sample']}")


if __name__ == "__main__":
    main()
