"""Routes of /api/v1/submissions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response

from app.api.deps import CurrentUser, NowDep, SessionDep, SettingsDep
from app.api.schemas import ErrorOut, SubmissionOut
from app.api.multipart_form import UPLOAD_BODY, UploadDep
from app.services import submissions as service
from app.services.views import describe_submission, read_artifact
from app.services.webhooks import check_callback_url

router = APIRouter(prefix="/submissions", tags=["submissions"],
                   responses={401: {"model": ErrorOut}, 404: {"model": ErrorOut}})

IdempotencyKey = Annotated[str | None, Header(max_length=200)]
# Ids are 32-bit in the database (PostgreSQL's integer); a larger one names nothing.
SubmissionId = Annotated[int, Path(ge=1, le=2**31 - 1)]
NAME_PATTERN = r"^[A-Za-z0-9._@-]+$"
UserFilter = Annotated[str | None, Query(alias="user", max_length=100, pattern=NAME_PATTERN)]
AssignmentFilter = Annotated[str | None, Query(max_length=64, pattern=NAME_PATTERN)]
ArtifactName = Annotated[str, Path(max_length=100, pattern=NAME_PATTERN)]


@router.post("", status_code=202, response_model=SubmissionOut, openapi_extra=UPLOAD_BODY,
             responses={code: {"model": ErrorOut}
                        for code in (400, 403, 408, 409, 413, 415, 422, 429)})
def create_submission(session: SessionDep, user: CurrentUser, upload: UploadDep, now: NowDep,
                      settings: SettingsDep, idempotency_key: IdempotencyKey = None) -> dict:
    """Accept mlp.py and/or gd.py for grading."""
    callback_url = upload.callback_url and check_callback_url(
        session, settings, upload.assignment, upload.callback_url)
    submission = service.create_submission(
        session, submitter=user, assignment=upload.assignment, files=upload.files,
        for_user=upload.user, idempotency_key=idempotency_key, now=now,
        queue_share=settings.queue_share_per_student, callback_url=callback_url)
    return describe_submission(session, user, submission)


@router.get("", response_model=list[SubmissionOut], responses={403: {"model": ErrorOut}})
def list_submissions(session: SessionDep, user: CurrentUser,
                     user_name: UserFilter = None, assignment: AssignmentFilter = None,
                     limit: Annotated[int, Query(ge=1, le=500)] = 100,
                     offset: Annotated[int, Query(ge=0, le=10**9)] = 0) -> list[dict]:
    """List submissions, newest first."""
    submissions = service.list_submissions_for(session, user, user=user_name,
                                               assignment=assignment, limit=limit, offset=offset)
    return [describe_submission(session, user, s) for s in submissions]


@router.get("/{submission_id}", response_model=SubmissionOut)
def read_submission(session: SessionDep, user: CurrentUser, submission_id: SubmissionId) -> dict:
    """Read one submission and its report."""
    submission = service.read_submission(session, user, submission_id)
    return describe_submission(session, user, submission)


@router.post("/{submission_id}/regrade", status_code=202, response_model=SubmissionOut,
             responses={403: {"model": ErrorOut}})
def regrade_submission(session: SessionDep, user: CurrentUser, submission_id: SubmissionId,
                       now: NowDep, settings: SettingsDep) -> dict:
    """Grade a submission again with today's tests."""
    submission = service.regrade_submission(session, user, submission_id, now,
                                            settings.queue_share_per_student)
    return describe_submission(session, user, submission)


@router.get("/{submission_id}/artifacts/{name}", response_class=Response,
            responses={200: {"content": {"image/png": {}}}})
def read_submission_artifact(session: SessionDep, user: CurrentUser,
                             submission_id: SubmissionId, name: ArtifactName) -> Response:
    """Download a file the grade produced, such as the gd.py image."""
    artifact = read_artifact(session, user, submission_id, name)
    # A download, never a page; the name is safe in quotes (ArtifactName's pattern).
    return Response(artifact.data, media_type=artifact.media_type, headers={
        "Content-Disposition": f'attachment; filename="submission-{submission_id}-{name}"'})
