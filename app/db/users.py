"""Queries on users."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db.models import User


def add_user(session: Session, name: str, role: str, token_hash: str, now: datetime) -> User:
    user = User(name=name, role=role, token_hash=token_hash, created_at=now)
    session.add(user)
    session.flush()
    return user


def find_user_by_token_hash(session: Session, token_hash: str) -> User | None:
    return session.scalar(select(User).where(User.token_hash == token_hash))


def find_user_by_name(session: Session, name: str) -> User | None:
    return session.scalar(select(User).where(User.name == name))


def lock_user(session: Session, user_id: int) -> None:
    """Holds the user's row until the transaction ends, so that two uploads of one student
    are counted against the hourly cap one after the other.

    A write that changes nothing, not SELECT ... FOR UPDATE: SQLite ignores FOR UPDATE and
    its driver starts a transaction only at the first write, so there two parallel uploads
    both counted before either stored (seen: more than the cap accepted). The write takes
    PostgreSQL's row lock and SQLite's database write lock, which the other upload waits
    for (busy_timeout)."""
    session.execute(update(User).where(User.id == user_id).values(id=User.id))


def list_users_with_role(session: Session, role: str) -> list[User]:
    return list(session.scalars(select(User).where(User.role == role).order_by(User.name)))
