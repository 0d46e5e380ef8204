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
from dataclasses import replace

from grader.integrity import REASON, scan
from grader.integrity_policy import Finding, IntegrityPolicy, Rule
from grader.mlp.cases import Case
from grader.mlp.items import BACKWARD_ITEMS, ITEMS, LOSS_ITEMS, gradient_items, layer_of
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
    ran = _backward_items_that_ran_autograd(cases, outputs)
    return policy.apply([_narrowed(finding, ran) for finding in findings], ITEMS)


def _backward_items_that_ran_autograd(cases: list[Case], outputs: dict[str, CaseOutput]) -> set[str]:
    """The backward items of the layers whose own code ran autograd, by the tripwire's
    notes. A layer ran it when one of its cases that runs no other layer's code did; a layer
    whose every case runs another layer too (linear) ran it unless some group of its cases
    (same other layers) saw none and each noted case runs a layer that ran it (relu's f =
    relu, g = sigmoid cases, when only the sigmoid derivative comes from autograd)."""
    model_cases = [case for case in cases if case.kind != "loss"]
    noted = {case.case_id for case in model_cases if _notes(outputs.get(case.case_id))}
    by_item: dict[str, list[Case]] = {}
    for case in model_cases:
        by_item.setdefault(case.item, []).append(case)
    ran = {layer_of(item) for item, group in by_item.items()
           if any(case.case_id in noted and case.needs_only_its_layer for case in group)}
    changed = True
    while changed:
        changed = False
        for item, group in by_item.items():
            layer = layer_of(item)
            seen = [case for case in group if case.case_id in noted]
            if layer in ran or not seen:
                continue
            noted_in_group: dict[frozenset[str], bool] = {}
            for case in group:
                noted_in_group[case.needs] = noted_in_group.get(case.needs, False) or case.case_id in noted
            untouched_group = not all(noted_in_group.values())
            explained = all({layer_of(need) for need in case.needs} & ran for case in seen)
            if not (untouched_group and explained):
                ran.add(layer)
                changed = True
    return {f"{layer}.backward" for layer in ran}


def _notes(output: CaseOutput | None) -> bool:
    notes = output.record.get("autograd") if output is not None else None
    return isinstance(notes, list) and bool(notes)


def _narrowed(finding: Finding, ran: set[str]) -> Finding:
    """A use in MLP's code zeroes the backward items whose cases ran autograd, when the
    tripwire saw it run at all: a student who took only the sigmoid derivative from
    autograd keeps linear's, ReLU's and identity's points. Unseen at run time (dead code,
    or a tripwire the code undid), it zeroes every backward item, as the source shows."""
    if not ran or not set(finding.items) & set(BACKWARD_ITEMS):
        return finding
    items = tuple(item for item in finding.items if item not in BACKWARD_ITEMS or item in ran)
    return replace(finding, items=items)


def run_time_findings(cases: list[Case], outputs: dict[str, CaseOutput]) -> list[Finding]:
    """One finding for MLP and one per loss in which the tripwire saw autograd run."""
    seen: dict[str, dict[str, list[str]]] = {}  # unit -> call -> entries, in order of first sight
    for case in cases:
        output = outputs.get(case.case_id)
        notes = output.record.get("autograd") if output is not None else None
        if not isinstance(notes, list):
            continue
        unit = case.loss_function if case.kind == "loss" else "MLP"
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
