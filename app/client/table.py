"""The per-layer table of a graded submission, and the line of one still waiting, for a
terminal."""

from __future__ import annotations

from datetime import datetime, timezone


def format_waiting(submission: dict, now: datetime | None = None) -> str:
    """Where a queued or running submission stands: "queued: 3rd in line, graded in about
    2 min (2 graders, ~40 s a grade)"."""
    queue = submission.get("queue")
    if submission["status"] != "queued" or not queue:
        return f"submission {submission['id']}: {submission['status']}"
    line = f"submission {submission['id']}: queued, {_ordinal(queue['position'])} in line"
    if queue.get("estimated_graded_at") is None:
        return line + "; no grader is running now, it waits for one"
    graded_at = datetime.fromisoformat(queue["estimated_graded_at"].replace("Z", "+00:00"))
    wait_s = max(0.0, (graded_at - (now or datetime.now(timezone.utc))).total_seconds())
    graders = queue["graders"]
    return (f"{line}, graded in about {_duration(wait_s)} ({graders} grader"
            f"{'s' if graders != 1 else ''}, ~{queue['typical_grade_s']:.0f} s a grade)")


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    return f"{round(seconds / 60)} min"


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
    if submission["status"] == "cancelled":
        lines.append(f"  cancelled: superseded by submission {submission.get('superseded_by')} "
                     "(the course counts only the latest upload)")
    if submission.get("late_days"):
        lines.append(f"  late by {submission['late_days']} day(s): "
                     f"-{submission['late_penalty_percent']:g}%")
    if submission.get("score") is not None:
        lines.append(f"  total: {submission['score']:.2f} / {submission['max_score']:.2f}")
    return "\n".join(lines)
