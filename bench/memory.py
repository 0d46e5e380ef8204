"""Peak memory of a set of process trees, sampled in a background thread.

Summed PSS (proportional set size, /proc/<pid>/smaps_rollup), not RSS: the zygotes and their
job children share most of their pages (copy-on-write after fork), and RSS would count a
shared page once per process, overstating a warm worker several times over.
"""

from __future__ import annotations

import os
import threading


def process_tree(root: int) -> list[int]:
    """`root` and all its descendants alive now (from /proc)."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as handle:
                text = handle.read()
        except OSError:
            continue
        parent = int(text[text.rfind(")") + 2:].split()[1])
        children.setdefault(parent, []).append(int(name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += children.get(pid, [])
    return tree


def tree_pss_mb(roots: list[int]) -> float:
    """MB of PSS of the roots and all their descendants now."""
    total_kb = 0
    for pid in {pid for root in roots for pid in process_tree(root)}:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        total_kb += int(line.split()[1])
                        break
        except OSError:
            pass  # gone, or a kernel thread
    return total_kb / 1024


class PeakMemory:
    """Samples tree_pss_mb(roots) every `interval_s` until stop(); `peak_mb` is the largest."""

    def __init__(self, roots: list[int], interval_s: float = 0.5) -> None:
        self.roots, self.interval_s = roots, interval_s
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="peak-memory")

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, tree_pss_mb(self.roots))
            self._stop.wait(self.interval_s)
