"""Routes of /api/v1/assignments."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from app.api.deps import CurrentUser, SessionDep
from app.api.schemas import ErrorOut, ScoreRow
from app.services.scores import read_scores, scores_csv

router = APIRouter(prefix="/assignments", tags=["assignments"])


@router.get("/{name}/scores", response_model=list[ScoreRow],
            responses={200: {"content": {"text/csv": {}}},
                       **{code: {"model": ErrorOut} for code in (401, 403, 404)}})
def read_assignment_scores(session: SessionDep, user: CurrentUser, name: str,
                           format: Annotated[Literal["json", "csv"], Query()] = "json"):
    """One row per student: latest and best score, and every test's score."""
    rows = read_scores(session, user, name)
    if format == "csv":
        return Response(scores_csv(rows), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{name}-scores.csv"'})
    return rows
