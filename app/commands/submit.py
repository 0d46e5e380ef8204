"""`autograder submit`: uploads mlp.py and/or gd.py to a server; with --wait follows the
grade to the end and prints the per-layer table (what students and CI run)."""

from __future__ import annotations

import argparse
import os


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mlp", metavar="FILE", help="your mlp.py")
    parser.add_argument("--gd", metavar="FILE", help="your gd.py")
    parser.add_argument("--server", metavar="URL", default=os.environ.get("AUTOGRADER_SERVER"),
                        help="the autograder's address (default: $AUTOGRADER_SERVER)")
    parser.add_argument("--token", default=os.environ.get("AUTOGRADER_TOKEN"),
                        help="your API token (default: $AUTOGRADER_TOKEN, which keeps it out "
                             "of the process list)")
    parser.add_argument("--assignment", default="hw1")
    parser.add_argument("--user", metavar="NAME",
                        help="CI tokens: the student this submission is for")
    parser.add_argument("--idempotency-key", metavar="KEY",
                        help="a retry with the same key (say, the commit id) returns the first "
                             "submission instead of making another")
    parser.add_argument("--callback-url", metavar="URL",
                        help="a URL told when the grade is stored (a signed POST); its host "
                             "must be one the course allows")
    parser.add_argument("--wait", action="store_true",
                        help="follow the submission until it is graded and print the table")
    parser.add_argument("--timeout", type=float, default=900.0, metavar="SECONDS",
                        help="how long --wait waits (default 900)")
    parser.add_argument("--junit", metavar="FILE", help="write JUnit XML (implies --wait)")
    parser.add_argument("--min-score", type=float, metavar="X",
                        help="exit 1 if the score (points, after any late penalty) is below X "
                             "(implies --wait)")


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from app.cli import UsageError
    from app.client.http import AutograderClient, ServerFault, ServerRefused
    from app.client.junit import junit_xml
    from app.client.table import format_submission, format_waiting

    files = {field: Path(path) for field, path in (("mlp", args.mlp), ("gd", args.gd)) if path}
    if not files:
        raise UsageError("give --mlp FILE and/or --gd FILE")
    for path in files.values():
        if not path.is_file():
            raise UsageError(f"{path}: no such file")
    if not args.server:
        raise UsageError("give --server URL (or set AUTOGRADER_SERVER)")
    if not args.token:
        raise UsageError("give --token TOKEN (or set AUTOGRADER_TOKEN)")
    wait = args.wait or args.junit is not None or args.min_score is not None

    client = AutograderClient(args.server, args.token)
    try:
        submission = client.submit(files, args.assignment, args.user, args.idempotency_key,
                                   args.callback_url)
        print(format_waiting(submission), flush=True)
        if not wait:
            return 0
        shown = _place(submission)

        def show_progress(waiting: dict) -> None:
            nonlocal shown
            if _place(waiting) != shown:  # moved up in line, or running
                print(format_waiting(waiting), flush=True)
                shown = _place(waiting)

        submission = client.wait(submission["id"], args.timeout, on_poll=show_progress)
    except ServerRefused as refusal:
        raise UsageError(str(refusal)) from None
    except ServerFault as fault:
        print(f"autograder submit: {fault}", file=sys.stderr)
        return 1
    finally:
        client.close()

    print(format_submission(submission))
    if args.junit:
        Path(args.junit).write_bytes(junit_xml(submission))
    if submission["status"] == "error":
        print("autograder submit: the grader could not grade this submission", file=sys.stderr)
        return 1
    if submission["status"] == "cancelled":
        print(f"autograder submit: submission {submission['id']} was cancelled: a later "
              f"upload (submission {submission['superseded_by']}) replaced it", file=sys.stderr)
        return 1
    if args.min_score is not None and submission["score"] < args.min_score:
        print(f"autograder submit: score {submission['score']:g} is below --min-score "
              f"{args.min_score:g}", file=sys.stderr)
        return 1
    return 0


def _place(submission: dict) -> tuple:
    queue = submission.get("queue") or {}
    return submission["status"], queue.get("position"), queue.get("graders")
