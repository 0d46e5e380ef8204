"""Request dependencies as Annotated aliases, so handlers read like prose."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from app.db.models import User
from app.services.users import authenticate
from app.settings import Settings
from app.unit_of_work import commit_then_enqueue, discard_pending


def get_session(request: Request) -> Iterator[Session]:
    """One unit of work per request: committed when the handler returns (then its grading
    jobs are queued), rolled back when it raises."""
    state = request.app.state
    session = state.sessions()
    try:
        yield session
        commit_then_enqueue(session, state.queue)
    except BaseException:
        discard_pending(session)
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": the commit runs before the response is sent, so a 202 means stored.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_now(request: Request) -> datetime:
    return request.app.state.clock()


NowDep = Annotated[datetime, Depends(get_now)]


def get_settings_of_app(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings_of_app)]


# auto_error=False: a missing token is answered by the service's own 401 (JSON detail).
bearer = HTTPBearer(auto_error=False, description="the API token `autograder users` printed")


def get_current_user(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> User:
    # A session of its own, closed before the handler runs: the request's session takes a
    # connection only when the handler first uses it, so no pooled connection waits on a
    # client still sending its upload (16 slow uploads held all 15 before, and every other
    # request got 500 after 30 s). The user comes back detached, its columns loaded.
    with request.app.state.sessions() as session:
        return authenticate(session, credentials.credentials if credentials else None)


CurrentUser = Annotated[User, Depends(get_current_user)]
