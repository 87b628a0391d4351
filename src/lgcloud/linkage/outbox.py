"""Read the residents' transactional outbox (``residents_outbox``): the source of every event.

The residents service writes one row per changed person in the 異動's own transaction, numbering
``seq`` from a per-tenant counter row that stays locked until commit. So seq is gap-free and
commit-ordered per municipality: once seq N is visible, every seq < N is visible too, which is what
makes ``after=N`` a stable cursor.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, select
from sqlalchemy.orm import Session

from lgcloud.db.base import utcnow
from lgcloud.residents.models import outbox


@dataclass(frozen=True)
class OutboxEvent:
    lg_code: str
    seq: int
    event_id: str
    type: str
    subject: str | None
    occurred_at: datetime
    payload: dict[str, Any]


def _event(m: Any) -> OutboxEvent:
    return OutboxEvent(
        lg_code=m["lg_code"],
        seq=int(m["seq"]),
        event_id=m["event_id"],
        type=m["type"],
        subject=m["subject"],
        occurred_at=m["occurred_at"],
        payload=dict(m["payload"] or {}),
    )


def _read_with_head_statement(typed: bool) -> Any:
    top = select(func.max(outbox.c.seq).label("head")).where(outbox.c.lg_code == bindparam("lg")).subquery("top")
    match = and_(outbox.c.lg_code == bindparam("lg"), outbox.c.seq > bindparam("after"), outbox.c.seq <= top.c.head)
    if typed:
        match = and_(match, outbox.c.type.in_(bindparam("types", expanding=True)))
    joined = top.outerjoin(outbox, match)
    return select(top.c.head, outbox).select_from(joined).order_by(outbox.c.seq).limit(bindparam("limit"))


#: Prebuilt (compiled once per process): without and with a type filter.
_READ_WITH_HEAD = (_read_with_head_statement(False), _read_with_head_statement(True))


def read_with_head(
    session: Session, lg_code: str, *, after: int, limit: int, types: Sequence[str] = ()
) -> tuple[int, list[OutboxEvent]]:
    """(head, events after ``after`` up to that head) in one statement, so in one snapshot: a filter that
    matches nothing still yields the head it was applied against."""
    params: dict[str, Any] = {"lg": lg_code, "after": after, "limit": limit}
    if types:
        params["types"] = list(types)
    rows = list(session.execute(_READ_WITH_HEAD[bool(types)], params).mappings())
    head_seq = int(rows[0]["head"] or 0) if rows else 0
    return head_seq, [_event(m) for m in rows if m["seq"] is not None]


def head(session: Session, lg_code: str) -> int:
    """The highest committed seq of the municipality (0 before its first event)."""
    value = session.execute(select(func.max(outbox.c.seq)).where(outbox.c.lg_code == lg_code)).scalar()
    return int(value or 0)


def publish(session: Session, lg_code: str, event_type: str, subject: str, payload: dict[str, Any]) -> int:
    """Write one event in the caller's transaction (for changes outside the 異動 service, e.g. 抑止 /
    支援措置 in ``lgcloud.protection``). Same counter as the residents' events, so seq stays gap-free and
    commit-ordered. Returns the seq. ``event_type`` must be in the catalogue."""
    from lgcloud.linkage.catalogue import BY_TYPE
    from lgcloud.residents.repository import SqlRegistry

    if event_type not in BY_TYPE:
        raise ValueError(f"unknown event type {event_type}")
    seq = SqlRegistry(session, lg_code).next_value("outbox")
    session.execute(
        insert(outbox).values(
            lg_code=lg_code,
            seq=seq,
            event_id=str(uuid.uuid4()),
            type=event_type,
            subject=subject,
            occurred_at=utcnow(),
            payload=payload,
        )
    )
    return seq
