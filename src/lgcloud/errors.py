"""The error every service raises on bad input or a broken rule.

The web layer turns it into RFC 7807 problem JSON (or an in-place form message); the CLI prints it.
``code`` is stable and machine-readable, ``message`` is Japanese for the person at the counter.
"""

from __future__ import annotations

from typing import Any


class LgcloudError(Exception):
    status: int = 422
    code: str = "invalid"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None, **detail: Any):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.detail = detail


class NotFound(LgcloudError):
    status = 404
    code = "not-found"


class PermissionDenied(LgcloudError):
    status = 403
    code = "forbidden"


class Conflict(LgcloudError):
    status = 409
    code = "conflict"
