"""The integrity verdict of one mlp.py grade: what the static scan found in the source and
what the sandbox's tripwire (grader/harness/tripwire.py) saw run, judged by the
assignment's policy ([integrity], grader/integrity_policy.py).

A case's record may carry `autograd`: [entry, call] pairs, each an entry into torch's
autograd made during one of the student's calls. The record comes from the student's own
process, so it is read as untrusted: only dotted names and call names of a fixed shape are
kept, so no text of the student's choosing reaches the report. Autograd seen in any call of
a model case counts for MLP's items (the backward ones, as for a use in one of its methods);
in a loss case, for that loss's items. A run-time finding whose items a static finding
already covers adds nothing: the student sees the line in the source instead.
"""

from __future__ import annotations

import re

from grader.integrity import REASON, scan
from grader.integrity_policy import Finding, IntegrityPolicy, Rule
from grader.mlp.cases import Case
from grader.mlp.items import BACKWARD_ITEMS, ITEMS, LOSS_ITEMS, gradient_items
from grader.outputs import CaseOutput
from grader.report import IntegrityFlag

_ENTRY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]{0,79}$")
_CALL = re.compile(r"^[A-Za-z_]{1,40}\(\)$")
# Notes read per case; the tripwire writes at most 16.
MAX_NOTES = 16


def judge_integrity(source: str, cases: list[Case], outputs: dict[str, CaseOutput],
                    policy: IntegrityPolicy) -> tuple[list[IntegrityFlag], dict[str, str]]:
    """The report's integrity flags and {item: why it scores 0}."""
    findings = scan(source, policy.flag)
    if Rule.AUTOGRAD_AT_RUN_TIME in policy.flag:
        covered = {item for finding in findings for item in finding.items}
        findings += [finding for finding in run_time_findings(cases, outputs)
                     if not set(finding.items) <= covered]
    return policy.apply(findings, ITEMS)


def run_time_findings(cases: list[Case], outputs: dict[str, CaseOutput]) -> list[Finding]:
    """One finding for MLP and one per loss in which the tripwire saw autograd run."""
    seen: dict[str, dict[str, list[str]]] = {}  # unit -> call -> entries, in order of first sight
    for case in cases:
        output = outputs.get(case.case_id)
        notes = output.record.get("autograd") if output is not None else None
        if not isinstance(notes, list):
            continue
        unit = case.config.get("function", "") if case.kind == "loss" else "MLP"
        if unit != "MLP" and unit not in LOSS_ITEMS:
            continue
        for note in notes[:MAX_NOTES]:
            if not (isinstance(note, list) and len(note) == 2 and all(isinstance(n, str) for n in note)):
                continue
            entry, call = note
            if _ENTRY.match(entry) and _CALL.match(call):
                entries = seen.setdefault(unit, {}).setdefault(call, [])
                if entry not in entries:
                    entries.append(entry)
    findings = []
    for unit, calls in seen.items():
        during = "; ".join(f"{call}: {', '.join(entries)}" for call, entries in calls.items())
        findings.append(Finding(
            rule=Rule.AUTOGRAD_AT_RUN_TIME,
            message=f"autograd ran while the hidden cases called your code ({during}): {REASON}",
            items=gradient_items(LOSS_ITEMS.get(unit, BACKWARD_ITEMS))))
    return findings
