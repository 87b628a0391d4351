"""Secrets the platform must read back (webhook signing keys), sealed at rest with the deployment's key.

A copy of the database (a dump, a backup, a replica) does not give them away: each is encrypted with
AES-256-GCM under a key derived (HKDF-SHA256) from ``LGCLOUD_SECRET_KEY``, which lives in the deployment's
environment, never in the database. What the value is for and whose it is (``purpose``, ``lg_code``) are bound
in as associated data: a sealed value copied to another column or another municipality does not open.

Changing ``LGCLOUD_SECRET_KEY`` leaves sealed values unreadable. Their users say so where the admin sees it
(a webhook delivery fails with that reason); the admin then creates the subscription again.
"""

from __future__ import annotations

import base64
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from lgcloud.config import get_settings
from lgcloud.errors import LgcloudError

PREFIX = "sealed:v1:"
_NONCE_BYTES = 12


class UnreadableSecret(LgcloudError):
    code = "sealed-secret-unreadable"
    status = 500


@lru_cache(maxsize=4)
def _cipher(secret_key: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"lgcloud sealed secrets v1").derive(
        secret_key.encode("utf-8")
    )
    return AESGCM(key)


def _key(secret_key: str | None) -> str:
    return secret_key if secret_key is not None else get_settings().secret_key


def _context(purpose: str, lg_code: str) -> bytes:
    return f"{purpose}\x00{lg_code}".encode()


def seal(value: str, *, purpose: str, lg_code: str, secret_key: str | None = None) -> str:
    """``value`` encrypted for storage: ``sealed:v1:`` + base64 of nonce and ciphertext."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _cipher(_key(secret_key)).encrypt(nonce, value.encode("utf-8"), _context(purpose, lg_code))
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def unseal(token: str, *, purpose: str, lg_code: str, secret_key: str | None = None) -> str:
    """The value :func:`seal` was given, or :class:`UnreadableSecret` (another key, purpose or municipality)."""
    if not token.startswith(PREFIX):
        raise UnreadableSecret("暗号化されていない値です", purpose=purpose)
    try:
        raw = base64.urlsafe_b64decode(token[len(PREFIX) :])
        plain = _cipher(_key(secret_key)).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _context(purpose, lg_code))
    except (InvalidTag, ValueError) as exc:
        raise UnreadableSecret(
            "保存された鍵を復号できません(LGCLOUD_SECRET_KEY が作成時と異なります。作成し直してください)",
            purpose=purpose,
        ) from exc
    return plain.decode("utf-8")


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)
