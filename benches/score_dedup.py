#!/usr/bin/env python3
"""Score rinse's document dedup against a make_corpus.py truth file (standard library only).

usage: score_dedup.py OUT_DIR TRUTH.jsonl [--json]

Reads OUT_DIR/rejected/*.jsonl; documents rejected as exact-duplicate or near-duplicate
are "removed". Prints recall per kind, near-dup recall per truth-Jaccard band and per
edit_rate band, precision, and how many truth originals (dup_of targets) were removed.

When the truth has documents of the dedup classes (make_corpus.py --classes), it also
prints one line per class.  A document counts as rejected as a duplicate when its reason
is exact-duplicate, near-duplicate, duplicate-stub, or only-duplicate-passages with a
dup_of (without one, no pair is claimed).
* positive classes (short, lines, stub, excerpt): recall = copies rejected as a duplicate
  whose `dup_of` names a document of the copy's group; "wrong" = rejected as a duplicate of
  something else; "orig" = originals of the group rejected as a duplicate (errors).
* negative classes (residue, template): false merges = members rejected as a duplicate
  (of anything); "in group" = of another member of their group.
"""

import glob
import json
import os
import sys

DEDUP = {"exact-duplicate", "near-duplicate"}
DUP_REASONS = DEDUP | {"duplicate-stub", "only-duplicate-passages"}
POSITIVE = ("short", "lines", "stub", "excerpt")
NEGATIVE = ("residue", "template")


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


def load_dup_rejections(out_dir):
    """id -> (reason, dup_of) of every document rejected as a duplicate of any kind."""
    got = {}
    for path in sorted(glob.glob(os.path.join(out_dir, "rejected", "*.jsonl"))):
        with open(path, encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                # only-duplicate-passages without dup_of claims no pair: the document
                # has nothing of its own left, but is said to copy nothing.
                claims = r["reason"] != "only-duplicate-passages" or r.get("dup_of")
                if r["reason"] in DUP_REASONS and claims:
                    got[r.get("id")] = (r["reason"], r.get("dup_of"))
    return got


def class_scores(out_dir, truth_path):
    """Per-class scores, or {} when the truth has no class documents."""
    groups, members = {}, []
    with open(truth_path, encoding="utf-8") as f:
        for line in f:
            t = json.loads(line)
            if t.get("kind") in POSITIVE + NEGATIVE and t.get("group"):
                groups.setdefault(t["group"], set()).add(t["id"])
                members.append(t)
    if not members:
        return {}
    rej = load_dup_rejections(out_dir)
    res = {}
    for t in members:
        kind, form = t["kind"], t.get("form")
        keys = [kind] + (
            [f"{kind}/{form}"] if form and kind in ("lines", "template") else []
        )
        for key in keys:
            c = res.setdefault(
                key,
                {
                    "docs": 0,
                    "hit": 0,
                    "wrong": 0,
                    "orig": 0,
                    "merged": 0,
                    "in_group": 0,
                    "by_reason": {},
                    "missed": [],
                },
            )
            got = rej.get(t["id"])
            if kind in POSITIVE and t.get("role") == "copy":
                c["docs"] += 1
                if got and got[1] in groups[t["group"]]:
                    c["hit"] += 1
                    c["by_reason"][got[0]] = c["by_reason"].get(got[0], 0) + 1
                elif got:
                    c["wrong"] += 1
                else:
                    c["missed"].append(t["id"])
            elif kind in POSITIVE:
                c["orig"] += bool(got)
            else:
                c["docs"] += 1
                if got:
                    c["merged"] += 1
                    c["in_group"] += got[1] in groups[t["group"]]
                    c["by_reason"][got[0]] = c["by_reason"].get(got[0], 0) + 1
    return res


def print_classes(cls):
    print(
        "dedup classes (duplicate = exact-duplicate, near-duplicate, duplicate-stub, only-duplicate-passages):"
    )
    for key in sorted(
        cls, key=lambda k: ((POSITIVE + NEGATIVE).index(k.split("/")[0]), k)
    ):
        c = cls[key]
        reasons = ", ".join(f"{r} {n}" for r, n in sorted(c["by_reason"].items()))
        if key.split("/")[0] in POSITIVE:
            rec = c["hit"] / max(1, c["docs"])
            print(
                f"  {key:18} recall {rec:.4f} ({c['hit']}/{c['docs']}); wrong dup_of {c['wrong']}; "
                f"originals rejected {c['orig']}; {reasons}; missed (first 5): {c['missed'][:5]}"
            )
        else:
            print(
                f"  {key:18} false merges {c['merged']}/{c['docs']} (in group {c['in_group']}); {reasons}"
            )


def band(j):
    for lo in (0.9, 0.8, 0.7, 0.5):
        if j >= lo:
            return (
                f">={lo}"
                if lo == 0.9
                else f"{lo}-{round(lo + (0.1 if lo >= 0.7 else 0.2), 1)}"
            )
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
        for key in (
            band(t["jaccard"]),
            "edit<=0.05" if t["edit_rate"] <= 0.05 else "edit>0.05",
        ):
            b = bands.setdefault(key, [0, 0])
            b[1] += 1
            b[0] += i in removed
    order = [
        ">=0.9",
        "0.8-0.9",
        "0.7-0.8",
        "0.5-0.7",
        "<0.5",
        "edit<=0.05",
        "edit>0.05",
    ]
    res["near_recall_by_band"] = {
        k: [bands[k][0], bands[k][1], round(bands[k][0] / bands[k][1], 4)]
        for k in order
        if k in bands
    }
    tp = sum(1 for i in removed if i in dups)
    res["precision"] = [tp, len(removed), round(tp / max(1, len(removed)), 4)]
    res["false_positives"] = sorted(i for i in removed if i not in dups)[:20]
    res["originals_removed"] = sorted(i for i in removed if i in originals)
    res["originals_rejected_other"] = sorted(i for i in other if i in originals)
    res["missed_near_sample"] = sorted(i for i, t in dups.items() if i not in removed)[
        :10
    ]
    cls = class_scores(out_dir, truth_path)
    if cls:
        res["classes"] = cls
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
    print(
        f"precision {r:.4f} ({h}/{n}); false positives (first 20): {res['false_positives']}"
    )
    print(
        f"originals removed: {len(res['originals_removed'])} {res['originals_removed'][:20]}"
    )
    other_orig = res["originals_rejected_other"]
    print(f"originals rejected for another reason: {len(other_orig)} {other_orig[:10]}")
    print(f"missed (first 10): {res['missed_near_sample']}")
    if cls:
        print_classes(cls)


if __name__ == "__main__":
    main()
