"""From case verdicts to the ten scored items: partial credit, status, feedback.

An item's score is max_score times the share of its cases passed. Its status is `error` if
any case errored, else `failed` if any was wrong, else `passed`. When an item fails and an
item it depends on (grader/mlp/items.py) fails too, the feedback names that one first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from grader.mlp.cases import Case
from grader.mlp.compare import Check
from grader.mlp.items import DEPENDS_ON, ITEMS, split
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
    status = {item: _item_status(by_item[item]) for item in ITEMS}
    keys = {item: _message_keys(by_item[item]) for item in ITEMS}
    results = []
    for item in ITEMS:
        cases = by_item[item]
        passed = sum(v.status == "passed" for v in cases)
        score = round(max_scores[item] * passed / len(cases), SCORE_DECIMALS) if cases else 0.0
        output = _feedback(item, cases, status, keys)
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
            staff_output=_staff(cases, staff_header)))
    return results


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
              keys: dict[str, dict[str, str]]) -> str:
    bad = [v for v in cases if v.status != "passed"]
    if not bad:
        return f"all {len(cases)} cases passed"
    kind = "wrong" if status[item] == "failed" else "failed"
    shown = "; ".join(list(keys[item].values())[:MAX_MESSAGES])
    text = f"{len(bad)} of {len(cases)} cases {kind}: {shown}"
    # A dependency failing with the very same messages (an import error, a limit) is the
    # same cause, not an earlier one to fix first.
    causes = [dep for dep in DEPENDS_ON.get(item, ())
              if status[dep] != "passed" and not set(keys[item]) <= set(keys[dep])]
    if causes:
        text += f" (likely cause: fix {' and '.join(causes)} first)"
    return text


def _staff(cases: list[CaseVerdict], header: str) -> str:
    lines = [header]
    for verdict in cases:
        if verdict.status == "passed":
            continue
        lines.append(f"{verdict.case.case_id} [{verdict.status}] {verdict.case.describe()}: "
                     + " | ".join(verdict.staff + verdict.messages)[:600])
    return "\n".join(lines)
