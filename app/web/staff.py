"""TA pages: the class overview (roster, heatmap, mistakes, totals, queue), the scores sheet,
and regrading one submission or every student's latest."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from app.api.deps import NowDep, SessionDep
from app.services.class_overview import read_overview, regrade_latest
from app.services.scores import read_scores, scores_csv
from app.services.submissions import regrade_submission
from app.web import charts
from app.web.auth import CsrfChecked, VisitorDep
from app.web.routing import PageRoute, templates
from app.web.student import SubmissionId

router = APIRouter(route_class=PageRoute, include_in_schema=False)

AssignmentName = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")]
SortKey = Literal["name", "latest", "best", "status", "submissions"]
ROSTER_SORTS = {
    "name": lambda row: row.name,
    "latest": lambda row: (row.latest_score is None, -(row.latest_score or 0.0), row.name),
    "best": lambda row: (row.best_score is None, -(row.best_score or 0.0), row.name),
    "status": lambda row: (row.latest_status or "~", row.name),
    "submissions": lambda row: (-row.submissions, row.name),
}


@router.get("/class/{assignment}")
def show_class(request: Request, session: SessionDep, visitor: VisitorDep, now: NowDep,
               assignment: AssignmentName,
               sort: Annotated[SortKey, Query()] = "name",
               find: Annotated[str, Query(max_length=100)] = "",
               status: Annotated[str, Query(max_length=20)] = "",
               regraded: Annotated[int | None, Query(ge=0)] = None):
    """The class at a glance."""
    overview = read_overview(session, visitor.user, assignment, now)
    roster = [row for row in overview.roster
              if find.lower() in row.name.lower()
              and (not status or (row.latest_status or "none") == status)]
    roster.sort(key=ROSTER_SORTS[sort])
    histogram = charts.histogram(overview.best_scores, overview.max_score)
    return templates.TemplateResponse(request, "class.html", {
        "visitor": visitor, "overview": overview, "roster": roster, "sort": sort,
        "find": find, "status": status, "histogram": histogram, "chart": charts,
        "regraded": regraded})


@router.get("/class/{assignment}/scores.csv")
def download_scores(session: SessionDep, visitor: VisitorDep, assignment: AssignmentName):
    """The scores sheet, as the API's ?format=csv."""
    rows = read_scores(session, visitor.user, assignment)
    return Response(scores_csv(rows), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{assignment}-scores.csv"'})


@router.post("/submissions/{submission_id}/regrade", dependencies=[CsrfChecked])
def regrade_one(session: SessionDep, visitor: VisitorDep, submission_id: SubmissionId,
                now: NowDep):
    """Grade one submission again with today's tests."""
    regrade_submission(session, visitor.user, submission_id, now)
    return RedirectResponse(f"/submissions/{submission_id}", status_code=303)


@router.post("/class/{assignment}/regrade", dependencies=[CsrfChecked])
def regrade_class(session: SessionDep, visitor: VisitorDep, assignment: AssignmentName,
                  now: NowDep):
    """Grade every student's latest submission again."""
    count = regrade_latest(session, visitor.user, assignment, now)
    return RedirectResponse(f"/class/{assignment}?regraded={count}", status_code=303)
