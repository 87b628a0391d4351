"""The PULL feed: a municipality's events after a cursor, in seq order, with an optional long poll.

Cursor = the per-municipality outbox ``seq`` (gap-free, commit-ordered; see :mod:`outbox`). A page
returns ``next_cursor``: the last event's seq, or — when fewer than ``limit`` events matched a type
filter — the head seen by this read, so a filtered consumer does not rescan skipped events.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from lgcloud.db import Database
from lgcloud.errors import LgcloudError
from lgcloud.linkage import cloudevents, outbox
from lgcloud.linkage.catalogue import BY_TYPE
from lgcloud.tenancy.audit import record_audit

MAX_LIMIT = 1000
MAX_WAIT_SECONDS = 30.0
POLL_INTERVAL = 0.05
#: A long poll woken by a commit waits this long before reading, so that a busy municipality's next
#: commits come in the same page: a request costs ~3 ms of CPU whatever its size, and at 25 異動/s per
#: municipality pages carry ~3 events instead of 1, for 0.1 s of latency (PostgreSQL; SQLite reads every
#: POLL_INTERVAL). Far inside the 1 s that j1190 calls real time.
COALESCE_SECONDS = 0.1


class FeedError(LgcloudError):
    code = "feed-invalid"
    status = 422


@dataclass(frozen=True)
class FeedPage:
    events: list[dict[str, Any]]
    next_cursor: int
    head: int

    def as_json(self) -> dict[str, Any]:
        return {"events": self.events, "next_cursor": str(self.next_cursor), "head": str(self.head)}


def parse_cursor(text: str | None) -> int:
    if text in (None, ""):
        return 0
    if not text.isdigit() or len(text) > 18:
        raise FeedError("カーソルは0以上の整数で指定してください", code="cursor-invalid", cursor=text)
    return int(text)


def check_types(types: Sequence[str]) -> list[str]:
    unknown = [t for t in types if t not in BY_TYPE]
    if unknown:
        raise FeedError(f"不明なイベント種別です: {', '.join(unknown)}", code="type-invalid", types=unknown)
    return list(dict.fromkeys(types))


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise FeedError(f"limit は1〜{MAX_LIMIT}で指定してください", code="limit-invalid")
    return limit


def read_page(
    session: Session,
    lg_code: str,
    *,
    after: int,
    limit: int,
    types: Sequence[str] = (),
    include_mynumber: bool = False,
) -> FeedPage:
    """One page. The head is read in the same snapshot as the events, so nothing committed meanwhile is
    skipped by a filter."""
    head, found = outbox.read_with_head(session, lg_code, after=after, limit=limit, types=types)
    if head <= after:  # the long poll's idle case
        return FeedPage([], after, head)
    events = cloudevents.envelopes(session, lg_code, found, include_mynumber=include_mynumber)
    if len(found) == limit:
        next_cursor = found[-1].seq
    else:
        next_cursor = max(after, head) if types else (found[-1].seq if found else after)
    return FeedPage(events, next_cursor, head)


@dataclass(frozen=True)
class FeedRequest:
    lg_code: str
    after: int
    limit: int
    types: tuple[str, ...] = ()
    actor: str = "system"
    include_mynumber: bool = False
    source_ip: str | None = None


def poll(database: Database, request: FeedRequest, *, final: bool) -> FeedPage | None:
    """One read in its own transaction; None when empty and not ``final`` (the long poll goes on)."""
    with database.session(request.lg_code) as session:
        page = read_page(
            session,
            request.lg_code,
            after=request.after,
            limit=request.limit,
            types=request.types,
            include_mynumber=request.include_mynumber,
        )
        if not page.events and not final:
            return None
        _audit(session, request, page)
        return page


def fetch(
    database: Database, request: FeedRequest, *, wait: float = 0.0, sleep: Callable[[float], None] = time.sleep
) -> FeedPage:
    """A page, waiting up to ``wait`` seconds (≤ 30) for a first event; a read of data is audited."""
    deadline = time.monotonic() + clamp_wait(wait)
    while True:
        page = poll(database, request, final=time.monotonic() >= deadline)
        if page is not None:
            return page
        sleep(POLL_INTERVAL)


def clamp_wait(wait: float) -> float:
    return max(0.0, min(wait, MAX_WAIT_SECONDS))


def _audit(session: Session, request: FeedRequest, page: FeedPage) -> None:
    """Personal data was read: one audit entry per page (an empty page reads none)."""
    if not page.events:
        return
    record_audit(
        session,
        lg_code=request.lg_code,
        actor=request.actor,
        action="linkage:feed:read",
        target=f"{request.after}..{page.next_cursor}",
        detail={"events": len(page.events), "subjects": len({e["subject"] for e in page.events})},
        source_ip=request.source_ip,
    )
