"""Verification code printed on every certificate (as text and as a QR code).

``LGC1-<lg_code>-<issue_id>-<hash16>-<mac>``:

- ``hash16``: the first 16 hex digits of SHA-256 over the canonical JSON of what was printed
  (the stored rendering input plus its 発行番号 and time), so the code names one exact content;
- ``mac``: HMAC-SHA256 over ``lg_code|issue_id|full hash`` with a per-municipality key derived from the
  deployment secret (``LGCLOUD_SECRET_KEY``), base32, 26 characters (130 bits).

A forged or altered code fails the MAC; a real code of another certificate shows *that* certificate's
content, which the clerk compares with the paper; a disposed (処分) certificate is reported as such.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from typing import Any

PREFIX = "LGC1"
QR_PREFIX = "LGCLOUD-CERT:"
CODE_PATTERN = re.compile(r"^LGC1-(\d{6})-(\d{1,12})-([0-9a-f]{16})-([A-Z2-7]{26})$")


def canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def content_hash(inputs: dict[str, Any], issue_no: str, issued_at: str) -> str:
    payload = canonical({"inputs": inputs, "issue_no": issue_no, "issued_at": issued_at})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _key(secret: str, lg_code: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), f"lgcloud-certificate-v1:{lg_code}".encode(), hashlib.sha256).digest()


def _mac(secret: str, lg_code: str, issue_id: int, digest: str) -> str:
    mac = hmac.new(_key(secret, lg_code), f"{lg_code}|{issue_id}|{digest}".encode(), hashlib.sha256).digest()
    return base64.b32encode(mac).decode("ascii")[:26]


def make_code(secret: str, lg_code: str, issue_id: int, digest: str) -> str:
    return f"{PREFIX}-{lg_code}-{issue_id}-{digest[:16]}-{_mac(secret, lg_code, issue_id, digest)}"


@dataclass(frozen=True)
class ParsedCode:
    lg_code: str
    issue_id: int
    hash16: str
    mac: str


def parse_code(text: str) -> ParsedCode | None:
    cleaned = text.strip().removeprefix(QR_PREFIX).strip().upper().replace(" ", "")
    cleaned = re.sub(r"-([0-9A-F]{16})-", lambda m: f"-{m.group(1).lower()}-", cleaned)
    m = CODE_PATTERN.match(cleaned)
    if m is None:
        return None
    return ParsedCode(m.group(1), int(m.group(2)), m.group(3), m.group(4))


def check_code(secret: str, parsed: ParsedCode, digest: str) -> bool:
    """True when the code was made by this deployment for this certificate and this content."""
    expected = _mac(secret, parsed.lg_code, parsed.issue_id, digest)
    return digest.startswith(parsed.hash16) and hmac.compare_digest(expected, parsed.mac)
