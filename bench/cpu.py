"""CPU seconds spent by a set of process trees: the cost of grading that does not depend on
what else the machine runs (wall times on a shared 2-core machine do).

A tree's CPU is the sum over its live processes of their own time (utime + stime) and of
their reaped children's (cutime + cstime): a job process reaped by its zygote, a cold
sandbox reaped by the worker, all stay counted after they exit.
"""

from __future__ import annotations

import os

from memory import _children

_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def tree_cpu_s(roots: list[int]) -> float:
    children = _children()
    todo, ticks, seen = list(roots), 0, set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        todo += children.get(pid, [])
        try:
            with open(f"/proc/{pid}/stat") as handle:
                text = handle.read()
        except OSError:
            continue
        fields = text[text.rfind(")") + 2:].split()
        ticks += sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
    return ticks / _TICKS_PER_S
