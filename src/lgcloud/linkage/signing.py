"""Webhook signatures: HMAC-SHA256 over ``id.timestamp.body`` (the Standard Webhooks scheme).

Headers on every delivery::

    webhook-id:        the event id (also the idempotency key: the same id may arrive twice)
    webhook-timestamp: Unix seconds when this attempt was signed
    webhook-signature: v1,<base64 HMAC-SHA256(key, f"{id}.{timestamp}.{body}")>  (space-separated list)

The secret is ``whsec_`` + base64 of 32 random bytes; the HMAC key is the decoded bytes. A consumer
verifies with :func:`verify` (constant-time compare, timestamp within ``tolerance``) and drops an id it
has already processed: the signature stops forgery and tampering, the timestamp window stops an old
capture being replayed later, and the id makes a replay inside the window harmless.
Consumers need no lgcloud install: this module uses only the standard library.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE = 300  # seconds


class WebhookVerificationError(Exception):
    """The request is not a genuine, fresh lgcloud delivery."""


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _key(secret: str) -> bytes:
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("webhook secret must start with whsec_")
    return base64.b64decode(secret[len(SECRET_PREFIX) :])


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(secret: str, msg_id: str, body: bytes, now: float | None = None) -> dict[str, str]:
    timestamp = int(time.time() if now is None else now)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


def verify(
    secret: str,
    request_headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> str:
    """Check a delivery; return its id (the idempotency key) or raise WebhookVerificationError."""
    lowered = {k.lower(): v for k, v in request_headers.items()}
    msg_id = lowered.get("webhook-id", "")
    stamp = lowered.get("webhook-timestamp", "")
    given = lowered.get("webhook-signature", "")
    if not msg_id or not stamp.isdigit() or not given:
        raise WebhookVerificationError("missing webhook headers")
    current = time.time() if now is None else now
    if abs(current - int(stamp)) > tolerance:
        raise WebhookVerificationError("timestamp outside the tolerance window")
    expected = sign(secret, msg_id, int(stamp), body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in given.split()):
        raise WebhookVerificationError("signature mismatch")
    return msg_id
