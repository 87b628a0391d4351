"""The one error type of `lgcloud.codes`.

It is both an `LgcloudError` (so the web layer renders it as a 422 with a Japanese message and a stable
machine code) and a `ValueError` (so plain Python callers can catch what they expect from a parser).
"""

from __future__ import annotations

from lgcloud.errors import LgcloudError


class CodesError(LgcloudError, ValueError):
    """Bad input to a `lgcloud.codes` function: ``message`` is Japanese, ``code`` is machine-readable."""

    code = "codes-invalid"
