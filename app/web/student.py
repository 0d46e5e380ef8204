"""Pages of a submission's owner (and of TAs, who read any): the start page with uploads and
history, a submission as it is graded, its report and images."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from app.api.deps import NowDep, SessionDep
from app.course import load_course_rules
from app.db.enums import Role, SubmissionStatus
from app.errors import ServiceError
from app.services import submissions as service
from app.services.views import describe_submission, read_artifact
from app.web import charts
from app.web.auth import CsrfChecked, VisitorDep, find_visitor, signin_page
from app.web.report_view import view_report
from app.web.routing import (IMAGE_SECURITY_POLICY, PageRoute, render_error, templates,
                             wants_json)
from app.web.uploads import read_page_upload

router = APIRouter(route_class=PageRoute, include_in_schema=False)

SubmissionId = Annotated[int, Path(ge=1, le=2**31 - 1)]
ArtifactName = Annotated[str, Path(max_length=100, pattern=r"^[A-Za-z0-9._@-]+$")]
DEFAULT_ASSIGNMENT = "hw1"
HISTORY_LIMIT = 200
FINAL = {SubmissionStatus.GRADED, SubmissionStatus.ERROR, SubmissionStatus.CANCELLED}


@router.get("/")
def show_start(request: Request, session: SessionDep):
    """Sign in; then a student's uploads and history, a TA's class overview."""
    visitor = find_visitor(request)
    if visitor is None:
        return signin_page(request)
    if visitor.user.role == Role.TA:
        return RedirectResponse(f"/class/{DEFAULT_ASSIGNMENT}", status_code=303)
    return student_page(request, session, visitor)


def student_page(request: Request, session, visitor, error: str | None = None,
                 status_code: int = 200, retry_after_s: str | None = None):
    user = visitor.user
    history = []
    if user.role == Role.STUDENT:
        history = service.list_submissions_for(session, user, user=None, assignment=None,
                                               limit=HISTORY_LIMIT, offset=0)
    counting = _counting_ids(history)
    oldest_first = list(reversed(history))
    bars = charts.score_bars([(f"#{s.id}: {_score_text(s.score, s.max_score)}", s.score,
                               s.max_score, s.id in counting) for s in oldest_first])
    return templates.TemplateResponse(request, "student.html", {
        "visitor": visitor, "history": history, "counting": counting, "bars": bars,
        "chart": charts, "error": error, "retry_after_s": retry_after_s,
        "only_latest_counts": load_course_rules(DEFAULT_ASSIGNMENT).only_latest_counts,
        "retry_at": _retry_at(request, retry_after_s)}, status_code=status_code)


def _counting_ids(history) -> set[int]:
    """Per assignment, the submission that counts: the latest graded one where the course
    counts only the latest upload, otherwise the best graded score, the later of equal ones
    (as the scores sheet picks it)."""
    counting: dict[str, tuple[float, int]] = {}
    for submission in reversed(history):  # oldest first
        if submission.status != SubmissionStatus.GRADED or submission.score is None:
            continue
        earlier = counting.get(submission.assignment)
        if (earlier is None or load_course_rules(submission.assignment).only_latest_counts
                or submission.score >= earlier[0]):
            counting[submission.assignment] = (submission.score, submission.id)
    return {submission_id for _, submission_id in counting.values()}


def _score_text(score: float | None, max_score: float | None) -> str:
    return "not graded" if score is None else f"{score:g} / {max_score:g}"


def _retry_at(request: Request, retry_after_s: str | None) -> str | None:
    if not retry_after_s or not retry_after_s.isdigit():
        return None
    at = request.app.state.clock() + timedelta(seconds=int(retry_after_s))
    return at.strftime("%H:%M UTC")


@router.post("/upload", dependencies=[CsrfChecked])
async def upload_files(request: Request, session: SessionDep, visitor: VisitorDep, now: NowDep):
    """Accept mlp.py and/or gd.py from the page, with the API's checks and messages."""
    try:
        files = await read_page_upload(request)
        submission = service.create_submission(
            session, submitter=visitor.user, assignment=DEFAULT_ASSIGNMENT, files=files,
            for_user=None, idempotency_key=None, now=now)
    except ServiceError as error:
        if wants_json(request) or visitor.user.role != Role.STUDENT:
            return render_error(request, error)
        return student_page(request, session, visitor, error=error.detail,
                            status_code=error.status_code,
                            retry_after_s=error.headers.get("Retry-After"))
    url = f"/submissions/{submission.id}"
    if wants_json(request):
        return JSONResponse({"id": submission.id, "url": url}, status_code=202)
    return RedirectResponse(url, status_code=303)


@router.get("/submissions/{submission_id}")
def show_submission(request: Request, session: SessionDep, visitor: VisitorDep,
                    submission_id: SubmissionId):
    """A submission: its status as it changes, then its report."""
    submission = service.read_submission(session, visitor.user, submission_id)
    described = describe_submission(session, visitor.user, submission)
    return templates.TemplateResponse(request, "submission.html", _submission_context(
        visitor, described))


def _submission_context(visitor, described: dict) -> dict:
    report = view_report(described) if described["report"] is not None else None
    return {"visitor": visitor, "submission": described, "report": report,
            "final": described["status"] in FINAL,
            "staff": visitor.user.role == Role.TA,
            "queue": described.get("queue")}


@router.get("/submissions/{submission_id}/live")
def read_live_status(request: Request, session: SessionDep, visitor: VisitorDep,
                     submission_id: SubmissionId):
    """The status the page polls; once graded, the report's HTML to put in place."""
    submission = service.read_submission(session, visitor.user, submission_id)
    described = describe_submission(session, visitor.user, submission)
    context = _submission_context(visitor, described)
    status_html = templates.get_template("status.html").render(context)
    report_html = (templates.get_template("report.html").render(context)
                   if context["final"] else None)
    return JSONResponse({"status": described["status"], "final": context["final"],
                         "status_html": status_html, "report_html": report_html})


@router.get("/submissions/{submission_id}/images/{name}")
def read_image(session: SessionDep, visitor: VisitorDep, submission_id: SubmissionId,
               name: ArtifactName):
    """An image the grade produced, shown in the report page."""
    artifact = read_artifact(session, visitor.user, submission_id, name)
    inline = artifact.media_type in {"image/png", "image/jpeg"}
    disposition = "inline" if inline else "attachment"
    return Response(artifact.data, media_type=artifact.media_type, headers={
        "Content-Disposition": f'{disposition}; filename="submission-{submission_id}-{name}"',
        "Content-Security-Policy": IMAGE_SECURITY_POLICY})
