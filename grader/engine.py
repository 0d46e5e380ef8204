"""The engine: submitted files in, one Report out. The CLI, the Celery task and the tests
all call `grade()` (or `grade_submission()` when they need to know whose fault a failure was).
"""

from __future__ import annotations

import logging
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Mapping

from grader.assignment import Assignment, load_assignment
from grader.errors import GraderError
from grader.mlp.items import ITEMS, split
from grader.report import FileGrade, Report, TestResult
from grader.source_check import check_source
from grader.version import GRADER_VERSION

log = logging.getLogger(__name__)

# Seeds are drawn below 2**31 so they survive any JSON or database integer column.
SEED_BOUND = 2**31
INTERNAL_ERROR = ("internal error: the grader failed ({}). This is not your fault and costs "
                  "you no points; grade again later")


@dataclass
class Grading:
    """A report and what the caller needs to know about it beyond the report."""

    report: Report
    internal_fault: bool = False
    """The grader or its sandbox failed: exit 1; never the student's zero."""
    retry: bool = False
    """The fault may pass on another try (the sandbox or the machine failed: GraderError,
    OSError, MemoryError); a bug of the grader's own code, whatever the file made it do,
    fails the same way every time."""
    unusable: list[str] = field(default_factory=list)
    """Reasons a submitted file is not usable input at all (empty, binary, not UTF-8)."""
    graded_any: bool = False
    """Some submitted file got far enough to run; else the report's status is `error`."""


def grade(files: Mapping[str, bytes], assignment: str = "hw1", seed: int | None = None) -> Report:
    """Grade `files` ("mlp.py" and/or "gd.py" -> bytes); the same files and seed give the same report."""
    return grade_submission(files, assignment, seed).report


def grade_submission(files: Mapping[str, bytes], assignment: str = "hw1",
                     seed: int | None = None) -> Grading:
    """Like grade(), with the fault classification the CLI and the service act on."""
    seed = secrets.randbelow(SEED_BOUND) if seed is None else int(seed)
    unknown = sorted(set(files) - {"mlp.py", "gd.py"})
    if unknown:
        raise ValueError(f"unknown submitted files: {unknown}")
    try:
        spec = load_assignment(assignment)
        grading = Grading(report=_empty_report(seed))
        # The two files are graded at once, each in its own sandbox (and warm zygote): a
        # grade of both then takes about as long as gd.py alone (~1.3 s of gradient steps)
        # instead of the sum. The two share no state but `grading`'s appends.
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="grade") as pool:
            mlp = pool.submit(_grade_mlp, files.get("mlp.py"), spec, seed, grading)
            gd = pool.submit(_grade_gd, files.get("gd.py"), spec, seed, grading)
            grades = [mlp.result(), gd.result()]
    except GraderError as error:
        log.exception("grading failed")
        return _fault(seed, str(error), retry=True)
    except Exception as error:  # noqa: BLE001 - a grader bug must become a report, not a traceback
        log.exception("grader bug")
        return _fault(seed, f"{type(error).__name__} in the grader",
                      retry=isinstance(error, (OSError, MemoryError)))
    report = grading.report
    for file_grade in grades:
        report.tests += file_grade.tests
        report.integrity += file_grade.integrity
        report.errors += file_grade.errors
        report.artifacts += file_grade.artifacts
        report.notes += file_grade.notes
    report.score = round(sum(t.score for t in report.tests), 4)
    # A file not submitted is out of this grade (its items are listed as skipped), so a
    # correct mlp.py alone is 100%; the per-test scores keep what the course grade needs.
    report.max_score = round(sum(t.max_score for t in report.tests if t.status != "skipped"), 4)
    if not grading.graded_any:
        report.status = "error"
        if not report.errors:
            report.errors.append("no file was submitted")
    return grading


def _empty_report(seed: int) -> Report:
    return Report(status="graded", score=0.0, max_score=0.0, seed=seed,
                  grader_version=GRADER_VERSION)


def _fault(seed: int, why: str, retry: bool) -> Grading:
    report = _empty_report(seed)
    report.status = "error"
    report.errors.append(INTERNAL_ERROR.format(why))
    return Grading(report=report, internal_fault=True, retry=retry)


def _grade_mlp(data: bytes | None, spec: Assignment, seed: int, grading: Grading) -> FileGrade:
    max_scores = spec.mlp.max_scores
    if data is None:
        return FileGrade(tests=_mlp_tests(max_scores, "skipped", "mlp.py was not submitted"))
    check = check_source("mlp.py", data)
    if check.problem:
        if check.unusable:
            grading.unusable.append(check.problem)
        return FileGrade(tests=_mlp_tests(max_scores, "error", check.problem), errors=[check.problem])
    from grader.mlp.grade import grade_mlp  # imports torch: only when there is code to grade

    grading.graded_any = True
    return _noting_gpu_code("mlp.py", check.source,
                            grade_mlp(check.source, spec.mlp, seed, spec.limits_for("mlp"), spec.integrity))


def _mlp_tests(max_scores: dict[str, float], status: str, output: str) -> list[TestResult]:
    tests = []
    for item in ITEMS:
        layer, direction = split(item)
        tests.append(TestResult(name=f"mlp.{item}", layer=layer, direction=direction, score=0.0,
                                max_score=max_scores[item], status=status, output=output))
    return tests


def _grade_gd(data: bytes | None, spec: Assignment, seed: int, grading: Grading) -> FileGrade:
    from grader.gd import grade_gd  # imports torch: only when gd is graded or listed

    limits = spec.limits_for("gd")
    if data is None:
        return grade_gd(None, spec.gd, seed, limits)
    check = check_source("gd.py", data)
    if check.problem:
        if check.unusable:
            grading.unusable.append(check.problem)
        skipped = grade_gd(None, spec.gd, seed, limits)
        for test in skipped.tests:
            test.status, test.output, test.score = "error", check.problem, 0.0
        return FileGrade(tests=skipped.tests, errors=[check.problem])
    grading.graded_any = True
    return _noting_gpu_code("gd.py", check.source, grade_gd(check.source, spec.gd, seed, limits))


def _noting_gpu_code(name: str, source: str, file_grade: FileGrade) -> FileGrade:
    """The grade with a note when the file asks for a GPU: its harness ran it on the CPU
    (grader/harness/cuda_on_cpu.py decides the same way, from the same source)."""
    from grader.harness.cuda_on_cpu import asks_for_cuda

    if asks_for_cuda(source):
        file_grade.notes.append(f"{name} asks for a GPU (cuda); the grader has none and ran it on "
                                f"the CPU: tensors and modules sent to cuda stayed on the CPU, at "
                                f"no cost in points")
    return file_grade
