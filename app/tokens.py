"""API tokens: random, shown once, stored as a sha256 digest.

A token has 256 bits of entropy, so a fast unsalted hash is enough: there is nothing to
guess by brute force, and the digest lets a lookup find the user by an index."""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "ag_"


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
