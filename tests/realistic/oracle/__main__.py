"""python -m tests.realistic.oracle [--write] [--jobs N] [FILE ...]

Labels the realistic files (all of them, or the FILEs given as mlp/NAME.py / gd/NAME.py),
prints where a label differs from the file's stated intent, and either writes labels.json
(--write) or compares with it. Exit 1 when a label differs from labels.json or from an intent.
"""

import argparse
import json
import sys
import time
from collections import Counter

from .gd_labels import CHECKS
from .intent import intended_labels
from .mlp_labels import ITEMS
from .runner import REALISTIC, every_file, kind_of, label_files

LABELS_JSON = REALISTIC / "labels.json"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.realistic.oracle")
    parser.add_argument("--write", action="store_true", help="write labels.json")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("files", nargs="*")
    args = parser.parse_args(argv)
    names = args.files or every_file()
    started = time.perf_counter()
    results = label_files(names, jobs=args.jobs)
    elapsed = time.perf_counter() - started

    stored = json.loads(LABELS_JSON.read_text()) if LABELS_JSON.exists() else {}
    problems = 0
    counts = Counter()
    for result in results:
        items = ITEMS if kind_of(result.name) == "mlp" else CHECKS
        intent = intended_labels(REALISTIC / result.name, items)
        for item in items:
            counts[(kind_of(result.name), result.labels[item])] += 1
            if result.labels[item] != intent[item]:
                problems += 1
                print(f"INTENT {result.name} {item}: oracle {result.labels[item]}, intent {intent[item]}")
            if not args.write and result.name in stored and stored[result.name].get(item) != result.labels[item]:
                problems += 1
                print(f"STORED {result.name} {item}: oracle {result.labels[item]}, labels.json {stored[result.name].get(item)}")
        print(f"  {result.name:45s} {result.seconds:6.1f} s  wrong: "
              + (", ".join(i for i in items if result.labels[i] == "wrong") or "none")
              + (f"  ({result.note})" if result.note else ""))
    if args.write:
        kept = {name: labels for name, labels in stored.items() if (REALISTIC / name).exists()}
        merged = {**kept, **{r.name: r.labels for r in results}}
        LABELS_JSON.write_text(json.dumps(dict(sorted(merged.items())), indent=1) + "\n")
    kinds = Counter(kind_of(r.name) for r in results)
    print(f"{len(results)} files ({kinds['mlp']} mlp, {kinds['gd']} gd) in {elapsed:.1f} s; "
          f"mlp items {counts[('mlp', 'correct')]} correct / {counts[('mlp', 'wrong')]} wrong; "
          f"gd checks {counts[('gd', 'correct')]} correct / {counts[('gd', 'wrong')]} wrong; "
          f"{problems} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
