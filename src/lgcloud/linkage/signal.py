"""Wake-ups when events are committed, so the worker and the long-poll feed need not poll the outbox.

On PostgreSQL a trigger on ``residents_outbox`` sends ``NOTIFY lgcloud_outbox, '<lg_code>:<seq>'`` at
commit (revision ``0710_outbox_notify``). :class:`OutboxListener` (blocking, for the worker) and
:class:`FeedWakeups` (asyncio, for the web process) hold one ``LISTEN`` connection each. A lost
connection is not fatal: the listeners say so, and their callers fall back to reading on a timer until
it is back. Notifications only say *where* to look; the outbox stays the truth, so a missed one costs
latency, never an event. SQLite has no notifications: the listeners just wait out their timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import psycopg

from lgcloud.db import Database
from lgcloud.logging import get_logger

log = get_logger(__name__)

CHANNEL = "lgcloud_outbox"
RECONNECT_SECONDS = 1.0


def parse(payload: str) -> tuple[str, int]:
    """``'182079:42'`` → (municipality, highest seq committed)."""
    lg_code, _, seq = payload.partition(":")
    return lg_code, int(seq or 0)


def listen_url(database: Database) -> str | None:
    """A libpq URL for the application's own database, or None when it cannot notify (SQLite)."""
    if not database.is_postgresql:
        return None
    return database.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


#: First key of the advisory locks by which a worker takes a municipality's notifications (the second is
#: the 団体コード hashed; two codes sharing a hash just go to the same worker).
CLAIM_NAMESPACE = 0x4C47
#: The listener connections' application_name: how workers count each other (same role, so visible).
WORKER_APPLICATION = "lgcloud-linkage-worker"


class OutboxListener:
    """Blocking wait for "municipality X has new events" (the worker's loop)."""

    def __init__(self, database: Database) -> None:
        self._url = listen_url(database)
        self._conn: psycopg.Connection[Any] | None = None
        self.connections = 0  # connections made so far: a new one holds none of the old one's claims

    @property
    def listening(self) -> bool:
        return self._conn is not None and not self._conn.closed

    def open(self) -> None:
        """Start listening (before the caller's first full read, so nothing falls in between)."""
        if self._url is None or self.listening:
            return
        try:
            self._conn = psycopg.connect(self._url, autocommit=True, application_name=WORKER_APPLICATION)
            self._conn.execute(f"LISTEN {CHANNEL}")
            self.connections += 1
        except psycopg.Error as exc:
            log.warning("outbox listener cannot connect", error=str(exc))
            self.close()

    def claim(self, lg_codes: list[str], limit: int | None = None) -> set[str]:
        """Take the notifications of these municipalities for this worker, where no other worker holds them
        (at most ``limit``, in the order given): a session advisory lock each, on this connection, so they
        are freed when the worker stops or the connection drops. Returns those taken now."""
        if not lg_codes or limit == 0:
            return set()
        # No ORDER BY: the executor pulls the array's rows in order and stops at the LIMIT, so no lock is
        # taken beyond it (a sort would evaluate, and lock, every row first).
        rows = self._query(
            "SELECT lg FROM unnest(%s::text[]) AS lg WHERE pg_try_advisory_lock(%s, hashtext(lg)) LIMIT %s",
            [lg_codes, CLAIM_NAMESPACE, limit],
        )
        return {row[0] for row in rows}

    def release(self, lg_codes: list[str]) -> None:
        """Give these claims back (another worker takes them at its next full pass)."""
        if lg_codes:
            self._query("SELECT pg_advisory_unlock(%s, hashtext(lg)) FROM unnest(%s::text[]) AS lg",
                        [CLAIM_NAMESPACE, lg_codes])

    def workers(self) -> int:
        """How many workers listen on this database now (this one included)."""
        rows = self._query("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND application_name = %s", [WORKER_APPLICATION])
        return max(1, int(rows[0][0])) if rows else 1

    def _query(self, sql: str, params: list[Any]) -> list[Any]:
        if not self.listening:
            return []
        assert self._conn is not None
        try:
            return self._conn.execute(sql, params).fetchall()
        except psycopg.Error as exc:
            log.warning("outbox listener lost its connection", error=str(exc))
            self.close()
            return []

    def wait(self, timeout: float) -> set[str]:
        """Municipalities notified within ``timeout`` seconds (all that are pending, once one arrived)."""
        self.open()
        if self._conn is None:
            time.sleep(min(timeout, RECONNECT_SECONDS) if self._url else timeout)
            return set()
        try:
            woken = {parse(n.payload)[0] for n in self._conn.notifies(timeout=timeout, stop_after=1)}
            if woken:
                woken.update(parse(n.payload)[0] for n in self._conn.notifies(timeout=0))
            return woken
        except psycopg.Error as exc:
            log.warning("outbox listener lost its connection", error=str(exc))
            self.close()
            return set()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None


class FeedWakeups:
    """For long-polling requests in one web process: one LISTEN connection, an asyncio.Event per municipality.

    A request takes a :meth:`ticket` *before* reading, then waits on it when the read was empty; a
    notification sets the ticket and hands out a fresh one, so an event committed between the read
    and the wait is never slept through. While the connection holds, the highest seq announced per
    municipality is known, so a request already past it can skip its first read (:meth:`nothing_after`).
    """

    def __init__(self, database: Database) -> None:
        self._url = listen_url(database)
        self._tickets: dict[str, asyncio.Event] = {}
        self._heads: dict[str, int] = {}  # announced since the connection was (re)made
        self._task: asyncio.Task[None] | None = None
        self.listening = False

    def start(self) -> None:
        if self._url is not None and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._listen(), name="feed-wakeups")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self.listening = False

    def ticket(self, lg_code: str) -> asyncio.Event:
        return self._tickets.setdefault(lg_code, asyncio.Event())

    def nothing_after(self, lg_code: str, cursor: int) -> bool:
        """True when no event after ``cursor`` can have been committed without this listener hearing of
        it yet. Unknown (no announcement since connecting) is False: the caller reads."""
        head = self._heads.get(lg_code)
        return self.listening and head is not None and cursor >= head

    async def wait(self, ticket: asyncio.Event, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ticket.wait(), timeout)

    def _wake(self, lg_code: str) -> None:
        ticket = self._tickets.pop(lg_code, None)
        if ticket is not None:
            ticket.set()

    def _wake_all(self) -> None:
        for lg_code in list(self._tickets):
            self._wake(lg_code)

    async def _listen(self) -> None:
        assert self._url is not None
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self._url, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self._heads.clear()
                    self.listening = True
                    self._wake_all()  # whatever was committed while we were not listening
                    async for notification in conn.notifies():
                        lg_code, seq = parse(notification.payload)
                        self._heads[lg_code] = max(seq, self._heads.get(lg_code, 0))
                        self._wake(lg_code)
            except psycopg.Error as exc:
                log.warning("feed listener lost its connection", error=str(exc))
            self.listening = False
            self._heads.clear()
            self._wake_all()  # waiters fall back to reading on a timer
            await asyncio.sleep(RECONNECT_SECONDS)
