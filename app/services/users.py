"""Users: creating them with a token, importing a roster, and finding who a token belongs to."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from app.db import users as users_db
from app.db.enums import Role
from app.db.models import User
from app.errors import BadRequest, NotAuthenticated
from app.tokens import hash_token, new_token

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,99}")


class UserExists(BadRequest):
    """A user of that name exists already."""


def is_user_name(name: str) -> bool:
    return bool(_NAME.fullmatch(name))


def create_user(session: Session, name: str, role: str, now: datetime) -> tuple[User, str]:
    """The new user and its token (the only time the token is known)."""
    if role not in set(Role):
        raise BadRequest(f"role must be one of {', '.join(Role)}, not {role!r}")
    if not is_user_name(name):
        raise BadRequest(f"user name {name!r} must be letters, digits and . _ @ - "
                         "(at most 100)")
    if users_db.find_user_by_name(session, name) is not None:
        raise UserExists(f"user {name!r} exists already")
    token = new_token()
    return users_db.add_user(session, name, role, hash_token(token), now), token


def import_students(session: Session, names: Iterable[str],
                    now: datetime) -> tuple[list[tuple[str, str]], list[str]]:
    """([(name, token)] created, [names] skipped because they exist)."""
    created, skipped = [], []
    for name in names:
        try:
            user, token = create_user(session, name, "student", now)
        except UserExists:
            skipped.append(name)
            continue
        created.append((user.name, token))
    return created, skipped


def authenticate(session: Session, token: str | None) -> User:
    """The user of a bearer token."""
    if not token or not token.strip():
        raise NotAuthenticated("send your API token as 'Authorization: Bearer TOKEN'")
    user = users_db.find_user_by_token_hash(session, hash_token(token.strip()))
    if user is None:
        raise NotAuthenticated("unknown API token")
    return user
