"""抑止 and DV等支援措置 (standards.md §2.10).

- :mod:`lgcloud.protection.domain` — pure rules: suppressions, 一時解除, 支援措置 steps, alerts, 終了通知.
- :mod:`lgcloud.protection.periods` — 1-year periods (民法143条, leap years), the extension window.
- :mod:`lgcloud.protection.services` — persistence and the gate other packages call:
  ``is_protected``, ``protection_states`` and ``check_disclosure``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def support_target(session: Session, lg_code: str, atena_no: str) -> bool:
    """True when the person is a 支援対象者 or has a 抑止 in force (what linkage must flag).

    Ignores 一時解除 (a temporary release is never propagated). For the full state use
    :func:`lgcloud.protection.services.is_protected`.
    """
    from lgcloud.protection.services import is_protected

    return is_protected(session, lg_code, atena_no).protected


__all__ = ["support_target"]
