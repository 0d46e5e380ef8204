"""Grading one gd.py: one sandbox run of the harness per target class, all at once, then the
checks on the trusted side."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from grader.gd.checks import CallJudgement, judge_call, judge_everything_as
from grader.gd.classifier import TrustedClassifier, read_weights, trusted_classifier
from grader.gd.config import CHECKS, GdConfig
from grader.gd.job import Target, build_jobs, plan_grade
from grader.gd.picture import render_picture
from grader.gd.scoring import score_checks, skipped_checks
from grader.harness_run import run_harness
from grader.outputs import CaseOutput
from grader.report import FileGrade
from grader.sandbox.job import SandboxJob
from grader.sandbox.limits import Limits

# stderr kept for TAs when the run ended badly (bytes; the sandbox already bounds it).
_STAFF_STDERR_BYTES = 2000


def grade_gd(source: str | None, settings: GdConfig, seed: int, limits: Limits) -> FileGrade:
    """Grade the validated source of gd.py (None: not submitted, every check skipped)."""
    if source is None:
        return FileGrade(tests=skipped_checks(settings, "gd.py was not submitted"))
    classifier = trusted_classifier(settings.classifier, settings.classifier_sha256)
    plan = plan_grade(settings, seed)
    weights = read_weights(settings.classifier, settings.classifier_sha256)
    jobs = build_jobs(source, settings, plan, weights)
    with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="gd-call") as pool:
        runs = list(pool.map(lambda job: _run(job, limits), jobs))

    grade = FileGrade()
    imported = next((outputs["_import"] for outputs, _, _ in runs if "_import" in outputs), None)
    if imported is not None and imported.record.get("status") == "import_error":
        message = str(imported.record.get("message") or "gd.py could not be imported")[:4000]
        judgements = [judge_everything_as(t, "error", message, elsewhere="gd.py could not be imported "
                                          f"(the reason is under gd.{CHECKS[0]})")
                      for t in plan.targets]
        grade.errors.append(message)
    else:
        judgements = [_judge(target, outputs.get(target.case_id), missing_reason, classifier, settings)
                      for target, (outputs, missing_reason, _) in zip(plan.targets, runs)]
    grade.tests = score_checks(judgements, settings)
    staff = "\n".join(f"{target.case_id} {line}" for target, (_, _, line) in zip(plan.targets, runs))
    for test in grade.tests:
        test.staff_output = "\n".join(filter(None, [staff, test.staff_output]))
    picture = render_picture(judgements)
    if picture is not None:
        grade.artifacts.append(picture)
    return grade


def _judge(target: Target, output: CaseOutput | None, missing_reason: str,
           classifier: TrustedClassifier, settings: GdConfig) -> CallJudgement:
    if output is None:
        return judge_everything_as(target, "error", missing_reason)
    return judge_call(target, output, classifier, settings)


def _run(job: SandboxJob, limits: Limits) -> tuple[dict[str, CaseOutput], str, str]:
    """The harness's outputs, why calls without one have none, and a line for TAs."""
    from grader.sandbox import Outcome

    result, outputs = run_harness(job, limits)
    staff = (f"sandbox: {result.outcome.value}, {result.wall_time_s:.2f} s wall, "
             f"{result.cpu_time_s:.2f} s CPU, {result.peak_memory_mb:.0f} MB peak")
    if result.outcome == Outcome.OK:
        # Exit status 0 but a call missing: the student's code ended the process itself.
        missing = ("the program exited while gradient_descent was running "
                   "(does gd.py call sys.exit, exit() or os._exit?)")
    else:
        missing = result.message or f"the program stopped ({result.outcome.value})"
        stderr = result.stderr[-_STAFF_STDERR_BYTES:].decode("utf-8", "replace")
        staff += f"\nstderr (last {_STAFF_STDERR_BYTES} bytes):\n{stderr}"
    return outputs, missing, staff
