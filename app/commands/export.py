"""`autograder export gradescope -o FILE.zip`: a Gradescope autograder bundle that grades with
this engine (grader/gradescope)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    targets = parser.add_subparsers(dest="target", required=True, metavar="TARGET")
    gradescope = targets.add_parser(
        "gradescope", help="a Gradescope autograder zip (setup.sh, run_autograder, the grader)",
        description="a Gradescope autograder zip: upload it as the assignment's autograder")
    gradescope.add_argument("-o", "--output", metavar="FILE.zip", required=True,
                            help="where to write the zip")
    gradescope.add_argument("--assignment", default="hw1", help="assignment file in hidden_tests/")


def run(args: argparse.Namespace) -> int:
    from app.cli import UsageError
    from grader.errors import AssignmentError
    from grader.gradescope.bundle import bundle_entries, write_bundle

    output = Path(args.output)
    if output.suffix != ".zip":
        raise UsageError(f"{output} does not end in .zip: Gradescope takes a zip file")
    if not output.parent.is_dir():
        raise UsageError(f"no such directory: {output.parent}")
    try:
        entries = bundle_entries(args.assignment)
    except AssignmentError as error:
        raise UsageError(str(error)) from None
    write_bundle(output, entries)
    print(f"autograder export: wrote {output} ({len(entries)} files, "
          f"{output.stat().st_size / 2**20:.1f} MB): upload it as the assignment's autograder "
          "on Gradescope (Configure Autograder, zip file upload)", file=sys.stderr)
    return 0
