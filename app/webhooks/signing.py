"""Signing a webhook's body, and checking a signature as a receiver does.

The body carries the delivery id and the time it was sent, so the signature over the body
covers them: a receiver that checks the signature, refuses a timestamp older than a few
minutes and remembers the delivery ids it handled cannot be fed a replayed or altered
delivery. The headers repeat the id and timestamp for receivers that route on them."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Autograder-Signature"
DELIVERY_HEADER = "X-Autograder-Delivery"
TIMESTAMP_HEADER = "X-Autograder-Timestamp"


def sign(body: bytes, secret: str) -> str:
    """The signature header's value: "sha256=" and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_matches(body: bytes, secret: str, header_value: str) -> bool:
    """What a receiver checks, in constant time."""
    return hmac.compare_digest(sign(body, secret), header_value)
