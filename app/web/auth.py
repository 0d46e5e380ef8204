"""Signing in with a pasted token, signing out, the signed-in user of a page, and CSRF.

A form is accepted only with the CSRF value of the browser's session (or, for the sign-in
form itself, of its pre-session cookie): another site can make a browser post, but it cannot
read the value to put in the form. The cookies are SameSite=Strict on top of that."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from app.db import users as users_db
from app.db.models import User
from app.errors import Forbidden, NotAuthenticated
from app.services.users import authenticate
from app.tokens import hash_token
from app.web.routing import PageRoute, SignInRequired, templates
from app.web.sessions import (SESSION_COOKIE, SESSION_TTL_S, SIGNIN_CSRF_COOKIE, WebSession,
                              close_session, cookie_options, open_session, read_session)

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@dataclass(frozen=True)
class Visitor:
    """The signed-in user of a page and the CSRF value its forms carry."""

    user: User
    csrf_token: str


def find_visitor(request: Request) -> Visitor | None:
    session = read_session(request)
    if session is None:
        return None
    # Its own short database session, as the API's get_current_user: the user comes back
    # detached with its columns loaded.
    with request.app.state.sessions() as db:
        user = users_db.find_user_by_token_hash(db, session.token_hash)
    return None if user is None else Visitor(user, session.csrf_token)


def require_visitor(request: Request) -> Visitor:
    visitor = find_visitor(request)
    if visitor is None:
        raise SignInRequired("sign in with your token first")
    return visitor


VisitorDep = Annotated[Visitor, Depends(require_visitor)]


def check_csrf(sent: str | None, expected: str | None) -> None:
    if not sent or not expected or not hmac.compare_digest(sent, expected):
        raise Forbidden("this form is out of date or did not come from this site: "
                        "reload the page and send it again")


async def require_form_csrf(request: Request) -> None:
    """Every signed-in form POST: csrf_token in the form (or the query, for uploads whose
    body is the files alone) must be the session's."""
    session: WebSession | None = read_session(request)
    sent = request.query_params.get("csrf_token")
    if sent is None and request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"):
        sent = (await request.form()).get("csrf_token")
    check_csrf(sent if isinstance(sent, str) else None, session.csrf_token if session else None)


CsrfChecked = Depends(require_form_csrf)


@router.get("/signin")
def show_signin(request: Request):
    """The sign-in form (also what / shows to a browser with no session)."""
    return signin_page(request)


def signin_page(request: Request, error: str | None = None, status_code: int = 200):
    csrf = request.cookies.get(SIGNIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = templates.TemplateResponse(request, "signin.html",
                                          {"csrf_token": csrf, "error": error, "visitor": None},
                                          status_code=status_code)
    response.set_cookie(SIGNIN_CSRF_COOKIE, csrf, max_age=3600, **cookie_options(request))
    return response


@router.post("/signin")
def sign_in(request: Request, token: Annotated[str, Form(max_length=200)] = "",
            csrf_token: Annotated[str, Form(max_length=100)] = ""):
    """Turn a pasted API token into a session cookie."""
    check_csrf(csrf_token, request.cookies.get(SIGNIN_CSRF_COOKIE))
    try:
        with request.app.state.sessions() as db:
            authenticate(db, token)
    except NotAuthenticated:
        return signin_page(request, error="That token is not known here: paste the whole "
                                          "token, starting with ag_.", status_code=401)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(SESSION_COOKIE, open_session(request, hash_token(token.strip())),
                        max_age=SESSION_TTL_S, **cookie_options(request))
    response.delete_cookie(SIGNIN_CSRF_COOKIE, path="/")
    return response


@router.post("/signout", dependencies=[CsrfChecked])
def sign_out(request: Request):
    """End the session: its record is deleted, so the cookie opens nothing any more."""
    close_session(request)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
