"""Turning the per-call verdicts into the report's gd.<check> items, with partial credit.

A check's score is its points times the share of calls (target labels) it passed; its status
is `error` if any call could not be judged (raised, timed out, wrong type or shape), else
`failed` if any call failed, else `passed`.
"""

from __future__ import annotations

from grader.gd.checks import CallJudgement
from grader.gd.config import CHECKS, GdConfig
from grader.report import TestResult


def score_checks(judgements: list[CallJudgement], config: GdConfig) -> list[TestResult]:
    """The four gd items in report order; every item's staff output lists each call's details."""
    staff = "\n".join(f"{j.target.case_id} {j.target.description}: "
                      + ("; ".join(j.staff) or "no image to judge (see the checks' output)")
                      for j in judgements)
    results = []
    for name in CHECKS:
        spec = config.checks[name]
        verdicts = [j.verdicts[name] for j in judgements]
        passed = sum(v.status == "passed" for v in verdicts)
        statuses = {v.status for v in verdicts}
        status = "error" if "error" in statuses else "failed" if "failed" in statuses else "passed"
        results.append(TestResult(
            name=f"gd.{name}", layer="gd", direction=name,
            score=round(spec.max_score * passed / len(verdicts), 6),
            max_score=spec.max_score, status=status, visibility=spec.visibility,
            output=_combined_output(judgements, name), staff_output=staff,
        ))
    return results


def skipped_checks(config: GdConfig, message: str) -> list[TestResult]:
    """Every check skipped (gd.py not submitted)."""
    return [TestResult(name=f"gd.{name}", layer="gd", direction=name, score=0.0,
                       max_score=config.checks[name].max_score, status="skipped",
                       visibility=config.checks[name].visibility, output=message)
            for name in CHECKS]


def _combined_output(judgements: list[CallJudgement], name: str) -> str:
    """One line per call, named by its target class; a message every call shared (gd.py did not
    import, the weights are unchanged) is said once. The probability is always given per class:
    which class the image was pushed towards is what the student wants to read there."""
    messages = [j.verdicts[name].message for j in judgements]
    if len(set(messages)) == 1 and name != "target_probability":
        return messages[0]
    return "\n".join(f"{j.target.description}: {m}" for j, m in zip(judgements, messages))
