"""Webhook subscriptions and their deliveries: what the municipal admin manages (LINKAGE_MANAGE).

Each service runs inside ``database.session(lg_code)`` and writes its own audit entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from lgcloud.db.base import utcnow
from lgcloud.errors import LgcloudError, NotFound
from lgcloud.linkage import outbox, signing
from lgcloud.linkage.catalogue import BY_TYPE
from lgcloud.linkage.models import attempts, deliveries, subscriptions
from lgcloud.sealing import UnreadableSecret, seal, unseal
from lgcloud.tenancy.audit import record_audit

STATES = ("pending", "delivered", "dead")


@dataclass(frozen=True)
class Subscription:
    sub_id: int
    name: str
    url: str
    event_types: list[str]
    active: bool
    cursor: int
    created_at: datetime
    created_by: str


def _subscription(m: Any) -> Subscription:
    return Subscription(
        sub_id=m["sub_id"],
        name=m["name"],
        url=m["url"],
        event_types=list(m["event_types"] or []),
        active=m["active"],
        cursor=int(m["cursor"]),
        created_at=m["created_at"],
        created_by=m["created_by"],
    )


def check_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("https", "http") or not parsed.netloc:
        raise LgcloudError("配信先URLは http(s):// で始まる絶対URLにしてください", code="url-invalid", field="url")
    return url


def check_types(types: Sequence[str]) -> list[str]:
    unknown = [t for t in types if t not in BY_TYPE]
    if unknown:
        raise LgcloudError(f"不明なイベント種別です: {', '.join(unknown)}", code="type-invalid", types=unknown)
    return sorted(set(types))


def create(
    session: Session,
    lg_code: str,
    *,
    name: str,
    url: str,
    event_types: Sequence[str] = (),
    after: int | None = None,
    actor: str,
) -> tuple[Subscription, str]:
    """A new subscription and its signing secret (returned once). Starts at the head unless ``after``."""
    if not name.strip():
        raise LgcloudError("連携システム名を入力してください", code="name-required", field="name")
    secret = signing.new_secret()
    values = {
        "lg_code": lg_code,
        "sub_id": _next_id(session, lg_code),
        "name": name.strip(),
        "url": check_url(url),
        "event_types": check_types(event_types),
        "active": True,
        "cursor": outbox.head(session, lg_code) if after is None else max(0, after),
        "created_at": utcnow(),
        "created_by": actor,
    }
    session.execute(subscriptions.insert().values(**values, secret=seal_secret(lg_code, secret)))
    _audit(
        session,
        lg_code,
        actor,
        "linkage:subscription:create",
        values["sub_id"],
        {"name": values["name"], "url": url, "types": values["event_types"], "cursor": values["cursor"]},
    )
    return _subscription(values), secret


#: The sealed webhook signing secrets (lgcloud.sealing): what they are, bound into the sealed value.
SECRET_PURPOSE = "linkage:webhook-signing-secret"


def seal_secret(lg_code: str, secret: str) -> str:
    return seal(secret, purpose=SECRET_PURPOSE, lg_code=lg_code)


@lru_cache(maxsize=1024)  # the worker opens the same few per delivery
def signing_secret(lg_code: str, stored: str) -> str | None:
    """A subscription's signing secret from its stored (sealed) form; None if it cannot be opened (the
    deployment's LGCLOUD_SECRET_KEY changed since the subscription was made)."""
    try:
        return unseal(stored, purpose=SECRET_PURPOSE, lg_code=lg_code)
    except UnreadableSecret:
        return None


def _next_id(session: Session, lg_code: str) -> int:
    value = session.execute(select(func.max(subscriptions.c.sub_id)).where(subscriptions.c.lg_code == lg_code)).scalar()
    return int(value or 0) + 1


def _audit(session: Session, lg_code: str, actor: str, action: str, sub_id: int, detail: dict[str, Any]) -> None:
    record_audit(session, lg_code=lg_code, actor=actor, action=action, target=f"subscription:{sub_id}", detail=detail)


def list_all(session: Session, lg_code: str) -> list[Subscription]:
    stmt = select(subscriptions).where(subscriptions.c.lg_code == lg_code).order_by(subscriptions.c.sub_id)
    return [_subscription(m) for m in session.execute(stmt).mappings()]


def get(session: Session, lg_code: str, sub_id: int) -> Subscription:
    m = (
        session.execute(
            select(subscriptions).where(subscriptions.c.lg_code == lg_code, subscriptions.c.sub_id == sub_id)
        )
        .mappings()
        .first()
    )
    if m is None:
        raise NotFound(f"購読 {sub_id} は見つかりません", code="subscription-not-found")
    return _subscription(m)


def set_active(session: Session, lg_code: str, sub_id: int, active: bool, *, actor: str) -> Subscription:
    get(session, lg_code, sub_id)
    session.execute(
        update(subscriptions)
        .where(subscriptions.c.lg_code == lg_code, subscriptions.c.sub_id == sub_id)
        .values(active=active)
    )
    _audit(session, lg_code, actor, "linkage:subscription:" + ("resume" if active else "pause"), sub_id, {})
    return get(session, lg_code, sub_id)


def replay(session: Session, lg_code: str, sub_id: int, after: int, *, actor: str) -> Subscription:
    """Deliver again every event after ``after``: the fan-out restarts there (existing rows reset)."""
    if after < 0:
        raise LgcloudError("カーソルは0以上で指定してください", code="cursor-invalid")
    get(session, lg_code, sub_id)
    session.execute(
        update(subscriptions)
        .where(subscriptions.c.lg_code == lg_code, subscriptions.c.sub_id == sub_id)
        .values(cursor=after)
    )
    _audit(session, lg_code, actor, "linkage:subscription:replay", sub_id, {"after": after})
    return get(session, lg_code, sub_id)


def retry_dead(session: Session, lg_code: str, sub_id: int, *, actor: str, now: datetime | None = None) -> int:
    """Put the subscription's dead letters back in the queue with a fresh set of attempts."""
    get(session, lg_code, sub_id)
    result = session.execute(
        update(deliveries)
        .where(deliveries.c.lg_code == lg_code, deliveries.c.sub_id == sub_id, deliveries.c.state == "dead")
        .values(state="pending", attempts=0, next_attempt_at=now or utcnow())
    )
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    _audit(session, lg_code, actor, "linkage:deliveries:retry", sub_id, {"count": count})
    return count


def list_deliveries(
    session: Session, lg_code: str, *, sub_id: int | None = None, state: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    if state is not None and state not in STATES:
        raise LgcloudError(f"状態は {', '.join(STATES)} のいずれかです", code="state-invalid")
    stmt = select(deliveries).where(deliveries.c.lg_code == lg_code)
    if sub_id is not None:
        stmt = stmt.where(deliveries.c.sub_id == sub_id)
    if state is not None:
        stmt = stmt.where(deliveries.c.state == state)
    stmt = stmt.order_by(deliveries.c.seq.desc()).limit(max(1, min(limit, 1000)))
    return [dict(m) for m in session.execute(stmt).mappings()]


def counts(session: Session, lg_code: str) -> dict[tuple[int, str], int]:
    stmt = (
        select(deliveries.c.sub_id, deliveries.c.state, func.count())
        .where(deliveries.c.lg_code == lg_code)
        .group_by(deliveries.c.sub_id, deliveries.c.state)
    )
    return {(r[0], r[1]): int(r[2]) for r in session.execute(stmt)}


def attempts_of(session: Session, lg_code: str, sub_id: int, seq: int) -> list[dict[str, Any]]:
    stmt = (
        select(attempts)
        .where(attempts.c.lg_code == lg_code, attempts.c.sub_id == sub_id, attempts.c.seq == seq)
        .order_by(attempts.c.attempt)
    )
    return [dict(m) for m in session.execute(stmt).mappings()]
