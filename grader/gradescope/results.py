"""A Report as Gradescope's results.json (https://gradescope-autograders.readthedocs.io/en/latest/specs/,
"Output format"): one test per item, the total, the execution time, and a top-level output
saying what a student should know about the whole grade (errors, integrity, the gd image,
the isolation the code ran under).

Only student-facing text goes in: each item's `output`, never its `staff_output`, so hidden
inputs and expected values stay out as they do in the service's student view.
"""

from __future__ import annotations

import struct
from dataclasses import asdict, dataclass, field

from grader.gradescope.settings import GradescopeSettings
from grader.report import Artifact, Report

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass
class GradescopeTest:
    """One entry of results.json's `tests`."""

    name: str
    score: float
    max_score: float
    status: str
    """Gradescope knows `passed` and `failed` only: an item that raised, timed out or was not
    submitted is `failed`, and extra_data["status"] keeps the grader's own word."""
    output: str
    visibility: str
    tags: list[str]
    """The file and the layer (`mlp`, `relu`), to filter by on Gradescope."""
    output_format: str = "text"
    """Plain text: feedback quotes the student's code and tracebacks, which markdown would
    garble (`*`, `_`); Gradescope puts text in a <pre> block."""
    name_format: str = "text"
    extra_data: dict = field(default_factory=dict)


@dataclass
class GradescopeResults:
    """results.json as a whole."""

    score: float
    execution_time: int
    """Seconds, as the specification's example gives it."""
    output: str
    visibility: str
    stdout_visibility: str
    tests: list[GradescopeTest]
    output_format: str = "md"
    extra_data: dict = field(default_factory=dict)
    """Stored by Gradescope, shown to no one: the seed, the grader version, the isolation."""

    def to_dict(self) -> dict:
        return asdict(self)


def build_results(report: Report, settings: GradescopeSettings, isolation: str,
                  execution_time_s: float) -> GradescopeResults:
    """results.json for `report`; `isolation` is the sentence saying how the code ran."""
    tests = [_test(test, settings) for test in report.tests]
    all_visible = all(test.visibility == "visible" for test in tests)
    return GradescopeResults(
        score=report.score,
        execution_time=max(0, round(execution_time_s)),
        output=_summary(report, tests, isolation, all_visible),
        visibility=settings.visibility,
        stdout_visibility=settings.stdout_visibility,
        tests=tests,
        extra_data={"seed": report.seed, "grader_version": report.grader_version,
                    "report_status": report.status, "isolation": isolation})


def _test(test, settings: GradescopeSettings) -> GradescopeTest:
    file = test.name.split(".", 1)[0]
    tags = [file] if test.layer == file else [file, test.layer]
    return GradescopeTest(
        name=test.name, score=test.score, max_score=test.max_score,
        status="passed" if test.status == "passed" else "failed",
        output=test.output, visibility=settings.visibility_of(test.name, test.visibility),
        tags=tags, extra_data={"status": test.status})


def _summary(report: Report, tests: list[GradescopeTest], isolation: str,
             all_visible: bool) -> str:
    """The top-level output, in markdown; text that came from the student's code is fenced."""
    lines = []
    if all_visible:
        # Gradescope hides the total while any test is hidden; so does this line.
        lines.append(f"**Total: {report.score:g} / {sum(t.max_score for t in tests):g}**")
    if report.status == "error":
        lines.append("Nothing could be graded:")
    for error in report.errors:
        lines.append(fenced(error))
    for flag in report.integrity:
        lines.append(f"Integrity ({flag.code}):")
        lines.append(fenced(flag.message))
    for note in report.notes:  # may name the submission's files: the student's text
        lines.append("Note:")
        lines.append(fenced(note))
    for artifact in report.artifacts:
        lines.append(describe_image(artifact, tests))
    lines.append(f"Seed {report.seed}, grader {report.grader_version}. Isolation: {isolation}.")
    return "\n\n".join(lines)


def describe_image(artifact: Artifact, tests: list[GradescopeTest]) -> str:
    """Gradescope shows no images: say what the picture holds, and what its captions say
    when the probability item is visible."""
    size = png_size(artifact.data)
    where = f", {size[0]} x {size[1]} pixels" if size else ""
    text = (f"Your gradient ascent's images ({artifact.name}{where}): a row per target "
            "class with the start image and the image returned side by side, captioned with "
            "the class and the probability before and after (Gradescope does not display "
            "images).")
    for test in tests:
        if test.name == "gd.target_probability" and test.visibility == "visible" and test.output:
            text += "\n" + fenced(test.output)
    return text


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR chunk, or None if `data` is not a PNG."""
    if len(data) < 24 or not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


def fenced(text: str) -> str:
    """`text` as a markdown code block whose fence no run of backticks inside can close."""
    longest, run = 0, 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text}\n{fence}"
