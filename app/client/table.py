"""The per-layer table of a graded submission, for a terminal."""

from __future__ import annotations


def format_submission(submission: dict) -> str:
    report = submission.get("report") or {}
    lines = [f"submission {submission['id']} ({submission['assignment']}, "
             f"{submission['user']}): {submission['status']}"]
    tests = report.get("tests", [])
    if tests:
        width = max(len(t["name"]) for t in tests)
        lines.append(f"  {'test':<{width}}  {'status':<7}  {'points':>15}")
        for test in tests:
            lines.append(f"  {test['name']:<{width}}  {test['status']:<7}  "
                         f"{test['score']:>6.2f} / {test['max_score']:>6.2f}")
            if test.get("output") and test["status"] in ("failed", "error"):
                lines.extend(f"      {line}" for line in test["output"].splitlines()[:5])
    for flag in report.get("integrity", []):
        lines.append(f"  integrity: {flag['code']}: {flag['message']}")
    for error in report.get("errors", []):
        lines.append(f"  error: {error}")
    for note in report.get("notes", []):
        lines.append(f"  note: {note}")
    if submission.get("late_days"):
        lines.append(f"  late by {submission['late_days']} day(s): "
                     f"-{submission['late_penalty_percent']:g}%")
    if submission.get("score") is not None:
        lines.append(f"  total: {submission['score']:.2f} / {submission['max_score']:.2f}")
    return "\n".join(lines)
