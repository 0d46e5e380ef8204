"""Grading one mlp.py: hidden cases in, one sandbox run, comparison and scores out."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from grader.mlp.cases import Case, generate_cases
from grader.integrity_policy import IntegrityPolicy
from grader.mlp.expected import CaseExpected, expected_outputs, load_reference
from grader.mlp.integrity_verdict import judge_integrity
from grader.mlp.judge import judge_case
from grader.mlp.sandbox_run import run_in_sandbox
from grader.mlp.scoring import score_items
from grader.mlp.settings import Settings
from grader.report import FileGrade
from grader.sandbox.limits import Limits

__all__ = ["Settings", "grade_mlp"]


def grade_mlp(source: str, settings: Settings, seed: int, limits: Limits,
              integrity: IntegrityPolicy | None = None) -> FileGrade:
    """Grade the validated source of mlp.py with the assignment's [mlp] settings; `integrity`
    is its policy (None: no integrity verdict, for direct calls that test something else)."""
    cases = generate_cases(seed, settings.counts)
    # Expected values (~1 s of torch on the host) are computed while the sandbox runs,
    # when the host process would otherwise only wait for it.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(all_expected, cases, settings.reference)
        run = run_in_sandbox(source, cases, settings, limits)
        expected = pending.result()
    verdicts = [judge_case(case, run, expected, settings) for case in cases]
    staff_header = "; ".join([f"seed {seed}", *run.staff])
    flags, zeroed = judge_integrity(source, cases, run.outputs, integrity) if integrity else ([], {})
    tests = score_items(verdicts, settings.max_scores, zeroed, staff_header)
    grade = FileGrade(tests=tests, integrity=flags)
    if run.import_error:
        grade.errors.append(run.import_error)
    return grade


def all_expected(cases: list[Case], reference_path: str) -> dict[str, CaseExpected]:
    """case id -> expected outputs, from the instructor's reference."""
    reference = load_reference(reference_path)
    return {case.case_id: expected_outputs(case, reference) for case in cases}
