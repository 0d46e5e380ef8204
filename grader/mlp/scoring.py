"""From case verdicts to the scored items: partial credit, status, feedback.

An item's score is max_score times the share of its judged cases passed. Its status is
`error` if any case errored, else `failed` if any was wrong, else `passed`. When an item
fails and an item it depends on (grader/mlp/items.py) fails too, the feedback names that one
first. One mistake costs the item it is in: cases that fail because another item they need
fails are not counted (identity missing), an activation's derivative is judged on the
student's own scale (the mean moved into backward()), and a crash in shared code names the
item where it starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from grader.mlp.cases import Case
from grader.mlp.compare import Check
from grader.mlp.items import BACKWARD_ITEMS, DEPENDS_ON, ITEMS, split
from grader.report import TestResult

_RANK = {"passed": 0, "failed": 1, "error": 2}
_NUMBERS = re.compile(r"[0-9]+")
# Distinct messages shown per item: more would bury the first one, which is usually the cause.
MAX_MESSAGES = 3
# Decimal places of scores: a report must be identical for the same seed on any machine.
SCORE_DECIMALS = 4


@dataclass
class CaseVerdict:
    """The outcome of one case."""

    case: Case
    status: str = "passed"
    messages: list[str] = field(default_factory=list)
    """For the student."""
    staff: list[str] = field(default_factory=list)
    """For staff: sizes of errors."""
    raised: str = ""
    """The call and the student's traceback when the student's code raised."""
    explained: frozenset[tuple[str, str]] = frozenset()
    """(gradient, mistake) pairs: the case is wrong only by mistakes of linear.backward's
    code in these gradients ("divided by the batch size", "kept with the batch axis")."""

    def set(self, status: str, message: str) -> "CaseVerdict":
        if _RANK[status] >= _RANK[self.status]:
            self.status = status
        self.messages.append(message)
        return self

    def add(self, check: Check) -> None:
        if check.status != "passed":
            self.set(check.status, check.message)
        if check.detail:
            self.staff.append(check.detail)


def score_items(verdicts: list[CaseVerdict], max_scores: dict[str, float],
                zeroed: dict[str, str], staff_header: str) -> list[TestResult]:
    """One TestResult per item, in the order of ITEMS."""
    by_item: dict[str, list[CaseVerdict]] = {item: [] for item in ITEMS}
    for verdict in verdicts:
        by_item[verdict.case.item].append(verdict)
    _accept_own_scale(by_item)
    excused = _excused(by_item)
    judged = {item: [v for v in by_item[item] if v not in excused[item]] or by_item[item]
              for item in ITEMS}
    status = {item: _item_status(judged[item]) for item in ITEMS}
    keys = {item: _message_keys(judged[item]) for item in ITEMS}
    results = []
    for item in ITEMS:
        cases = judged[item]
        passed = sum(v.status == "passed" for v in cases)
        score = round(max_scores[item] * passed / len(cases), SCORE_DECIMALS) if cases else 0.0
        output = _feedback(item, cases, status, keys, judged)
        if len(cases) < len(by_item[item]):
            output += _excused_note(by_item[item], cases)
        if item in zeroed:
            score = 0.0
            output = f"scored 0: {zeroed[item]}" + (f" ({output})" if status[item] != "passed" else "")
            if status[item] == "passed":
                status_item = "failed"
            else:
                status_item = status[item]
        else:
            status_item = status[item]
        layer, direction = split(item)
        results.append(TestResult(
            name=f"mlp.{item}", layer=layer, direction=direction, score=score,
            max_score=max_scores[item], status=status_item, output=output,
            staff_output=_staff(by_item[item], staff_header)))
    return results


def _accept_own_scale(by_item: dict[str, list[CaseVerdict]]) -> None:
    """An activation's derivative is judged against the student's own linear code: when
    linear.backward shows gradients divided by some count (the mean moved out of the loss
    into backward(), bias gradients averaged over the batch) or a bias gradient kept as
    (1, n), activation cases wrong by exactly those mistakes pass; the mistake costs
    linear.backward, once."""
    shown = {pair for v in by_item["linear.backward"] for pair in v.explained}
    for item in BACKWARD_ITEMS:
        if item == "linear.backward":
            continue
        for verdict in by_item[item]:
            if verdict.status != "passed" and verdict.explained and verdict.explained <= shown:
                verdict.staff.append("passed on the student's own linear code ("
                                     + ", ".join(f"{name} {mistake}"
                                                 for name, mistake in sorted(verdict.explained))
                                     + ", as in linear.backward)")
                verdict.status, verdict.messages = "passed", []


def _excused(by_item: dict[str, list[CaseVerdict]]) -> dict[str, list[CaseVerdict]]:
    """Per item, the cases that failed while an item they need fails on its own cases (those
    that need nothing of another layer): a missing identity branch then costs the identity
    items only, not every linear and mixed case that happens to use identity. Only when the
    item keeps a group of cases whose needs all pass: if every group's needs fail (shared
    code that crashes), nothing is excused and the item is judged on all its cases."""
    own_status = {item: _item_status([v for v in cases if v.case.needs_only_its_layer] or cases)
                  for item, cases in by_item.items()}
    failing = {item for item, status in own_status.items() if status != "passed"}
    excused: dict[str, list[CaseVerdict]] = {}
    for item, cases in by_item.items():
        judgeable = any(not (v.case.needs & failing) for v in cases)
        excused[item] = [v for v in cases if v.status != "passed" and v.case.needs & failing
                         ] if judgeable else []
    return excused


def _excused_note(all_cases: list[CaseVerdict], judged: list[CaseVerdict]) -> str:
    left_out = [v for v in all_cases if v not in judged]
    needed = sorted({need for v in left_out for need in v.case.needs})
    return (f" ({len(left_out)} more cases also run {' and '.join(needed)}, which fails on "
            f"its own: they are not counted here)")


def _item_status(cases: list[CaseVerdict]) -> str:
    return max((v.status for v in cases), key=_RANK.__getitem__, default="passed")


def _message_keys(cases: list[CaseVerdict]) -> dict[str, str]:
    """Distinct messages of the failed cases, keyed without numbers (one per mistake, not
    one per shape), in order of first appearance."""
    keyed: dict[str, str] = {}
    for verdict in cases:
        if verdict.status != "passed":
            for message in verdict.messages:
                keyed.setdefault(_NUMBERS.sub("#", message), message)
    return keyed


def _feedback(item: str, cases: list[CaseVerdict], status: dict[str, str],
              keys: dict[str, dict[str, str]], judged: dict[str, list[CaseVerdict]]) -> str:
    bad = [v for v in cases if v.status != "passed"]
    if not bad:
        return f"all {len(cases)} cases passed"
    kind = "wrong" if status[item] == "failed" else "failed"
    shown = "; ".join(list(keys[item].values())[:MAX_MESSAGES])
    text = f"{len(bad)} of {len(cases)} cases {kind}: {shown}"
    origin = _crash_origin(item, bad, judged)
    if origin:
        return text + (f" (likely cause: the same exception is raised in {origin}'s cases; "
                       f"fix it there first)")
    # A dependency failing with the very same messages (an import error, a limit) is the
    # same cause, not an earlier one to fix first.
    causes = [dep for dep in DEPENDS_ON.get(item, ())
              if status[dep] != "passed" and not set(keys[item]) <= set(keys[dep])]
    if causes:
        text += f" (likely cause: fix {' and '.join(causes)} first)"
    return text


def _crash_origin(item: str, bad: list[CaseVerdict], judged: dict[str, list[CaseVerdict]]) -> str:
    """The most basic item this one depends on (linear.forward before linear.backward before
    the activations) whose judged cases raise the same exception at the same line: shared
    code that crashes (a batch size hard-coded as 10) is one mistake, named where it starts."""
    raised = {v.raised for v in bad if v.raised}
    if not raised:
        return ""
    for dependency in _dependencies(item):
        if any(v.raised in raised for v in judged[dependency]):
            return dependency
    return ""


def _dependencies(item: str) -> list[str]:
    """Everything `item` depends on, directly or not, most basic first (report order)."""
    found: set[str] = set()
    stack = list(DEPENDS_ON.get(item, ()))
    while stack:
        dependency = stack.pop()
        if dependency not in found:
            found.add(dependency)
            stack.extend(DEPENDS_ON.get(dependency, ()))
    return [candidate for candidate in ITEMS if candidate in found]


def _staff(cases: list[CaseVerdict], header: str) -> str:
    lines = [header]
    for verdict in cases:
        if verdict.status == "passed":
            continue
        lines.append(f"{verdict.case.case_id} [{verdict.status}] {verdict.case.describe()}: "
                     + " | ".join(verdict.staff + verdict.messages)[:600])
    return "\n".join(lines)
