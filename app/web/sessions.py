"""Browser sessions: a random cookie naming a record in Redis that holds the token's digest.

The record keeps the sha256 of the API token, never the token, and the user is looked up by
that digest on every request, as the API looks up a bearer token: a token revoked in the
database ends its sessions too. Signing out deletes the record, so a copied cookie is dead."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass

from starlette.requests import Request

SESSION_COOKIE = "ag_session"
SIGNIN_CSRF_COOKIE = "ag_signin_csrf"
SESSION_TTL_S = 12 * 3600
"""A session lasts a working day; signing in again costs one paste."""


@dataclass(frozen=True)
class WebSession:
    """What the server remembers of a signed-in browser."""

    token_hash: str
    """sha256 hex of the API token it was opened with."""
    csrf_token: str
    """The value every form of this session must send back."""


def _key(request: Request, session_id: str) -> str:
    # The cookie value is hashed too, so a dump of Redis holds no usable session id.
    digest = hashlib.sha256(session_id.encode()).hexdigest()
    return f"{request.app.state.settings.broker_key_prefix}web-session:{digest}"


def open_session(request: Request, token_hash: str) -> str:
    """A new session id for the cookie."""
    session_id = secrets.token_urlsafe(32)
    record = {"token_hash": token_hash, "csrf_token": secrets.token_urlsafe(32)}
    request.app.state.redis.set(_key(request, session_id), json.dumps(record), ex=SESSION_TTL_S)
    return session_id


def read_session(request: Request) -> WebSession | None:
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id or len(session_id) > 100:
        return None
    raw = request.app.state.redis.get(_key(request, session_id))
    return None if raw is None else WebSession(**json.loads(raw))


def close_session(request: Request) -> None:
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id and len(session_id) <= 100:
        request.app.state.redis.delete(_key(request, session_id))


def cookie_options(request: Request) -> dict:
    """HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it),
    Secure whenever the page came over HTTPS or the service is reached over HTTPS
    (AUTOGRADER_PUBLIC_URL): behind a TLS proxy the request itself arrives over HTTP."""
    https = (request.url.scheme == "https"
             or request.app.state.settings.public_url.lower().startswith("https://"))
    return {"httponly": True, "samesite": "strict", "secure": https, "path": "/"}
