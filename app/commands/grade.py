"""`autograder grade [--mlp FILE] [--gd FILE] [--seed N] [--json]`: grade files locally, in
the same sandbox and with the same hidden tests the service uses."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# Seeds are drawn below 2**31 (grader.engine.SEED_BOUND); a given one may be any of those.
MAX_SEED = 2**31 - 1
# Width (characters) of the feedback column of the table; the JSON report has it all.
FEEDBACK_WIDTH = 72


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mlp", metavar="FILE", help="the student's mlp.py")
    parser.add_argument("--gd", metavar="FILE", help="the student's gd.py")
    parser.add_argument("--seed", type=int, help="seed of the hidden cases (default: a random one, "
                                                 "printed in the report)")
    parser.add_argument("--json", action="store_true", help="print the JSON report")
    parser.add_argument("--staff", action="store_true",
                        help="include what TAs see (case ids and configurations of failures)")
    parser.add_argument("--assignment", default="hw1", help="assignment file in hidden_tests/")
    parser.add_argument("--artifacts", metavar="DIR", default="autograder-artifacts",
                        help="where to write the images the grade produces "
                             "(default: ./autograder-artifacts)")


def run(args: argparse.Namespace) -> int:
    from app.cli import UsageError
    from grader.engine import grade_submission

    files = read_files(args)
    if args.seed is not None and not 0 <= args.seed <= MAX_SEED:
        raise UsageError(f"--seed must be between 0 and {MAX_SEED}")
    try:
        grading = grade_submission(files, args.assignment, args.seed)
    except ValueError as error:
        raise UsageError(str(error)) from None
    report = grading.report
    audience = "staff" if args.staff else "student"
    if args.json:
        print(json.dumps(report.to_dict(audience), indent=2))
    else:
        print(render_table(report, staff=args.staff))
    for path in write_artifacts(report, Path(args.artifacts)):
        print(f"autograder grade: wrote {path}", file=sys.stderr)
    if grading.internal_fault:
        print(f"autograder grade: {report.errors[0] if report.errors else 'internal error'}",
              file=sys.stderr)
        return 1
    if grading.unusable:
        print(f"autograder grade: {grading.unusable[0]}", file=sys.stderr)
        return 2
    return 0


def read_files(args: argparse.Namespace) -> dict[str, bytes]:
    from app.cli import UsageError

    given = {"mlp.py": args.mlp, "gd.py": args.gd}
    if not any(given.values()):
        raise UsageError("nothing to grade: give --mlp FILE and/or --gd FILE")
    files = {}
    for name, path in given.items():
        if path is None:
            continue
        try:
            files[name] = Path(path).read_bytes()
        except FileNotFoundError:
            raise UsageError(f"no such file: {path}") from None
        except IsADirectoryError:
            raise UsageError(f"{path} is a directory, not a file") from None
        except OSError as error:
            raise UsageError(f"cannot read {path}: {error.strerror}") from None
    return files


def render_table(report, staff: bool = False) -> str:
    """The report as a readable table: item, status, score, first line of feedback."""
    rows = [("item", "status", "score", "feedback")]
    for test in report.tests:
        feedback = test.output.splitlines()[0] if test.output else ""
        if test.visibility == "hidden" and not staff:
            feedback = ""
        if len(feedback) > FEEDBACK_WIDTH:
            feedback = feedback[:FEEDBACK_WIDTH - 3] + "..."
        rows.append((test.name, test.status, f"{test.score:g}/{test.max_score:g}", feedback))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(row)).rstrip()
             for row in rows]
    lines.append("")
    lines.append(f"total {report.score:g}/{report.max_score:g}  status {report.status}  "
                 f"seed {report.seed}  grader {report.grader_version}")
    for flag in report.integrity:
        lines.append(f"integrity: {flag.code}: {flag.message}")
    for error in report.errors:
        lines.append(f"error: {error}")
    for note in report.notes:
        lines.append(f"note: {note}")
    # Multi-line feedback (tracebacks) in full, once per distinct text.
    details: dict[str, list[str]] = {}
    for test in report.tests:
        if test.status in ("failed", "error") and "\n" in test.output and test.output not in report.errors:
            details.setdefault(test.output, []).append(test.name)
    for text, names in details.items():
        lines.append(f"\n{', '.join(names)}:\n{text}")
    if staff:
        for test in report.tests:
            if test.staff_output:
                lines.append(f"\n[staff] {test.name}:\n{test.staff_output}")
    return "\n".join(lines)


def write_artifacts(report, directory: Path) -> list[Path]:
    """Write the report's artifacts (the gd image) into `directory`; return their paths."""
    written = []
    for artifact in report.artifacts:
        name = Path(artifact.name).name  # never a path the report could steer
        if not name:
            continue
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / name
        path.write_bytes(artifact.data)
        written.append(path)
    return written
