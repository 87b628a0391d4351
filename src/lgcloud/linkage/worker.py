"""The linkage worker: webhook delivery, 団体間 handoffs and scheduled 差分 files, tick after tick.

``tick`` is one pass; ``run`` loops until stopped (``lgcloud linkage worker``); ``start_embedded``
runs the same loop in a daemon thread of the web process (the embedded SQLite default). In production
several workers may run at once: deliveries are claimed with ``SKIP LOCKED``, handoff cursors are
row-locked, and every cross-tenant step is idempotent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

from lgcloud.db import Database
from lgcloud.db.base import utcnow
from lgcloud.linkage import files, handoff, webhooks
from lgcloud.linkage.destinations import DestinationGuard
from lgcloud.linkage.signal import OutboxListener
from lgcloud.logging import get_logger

log = get_logger(__name__)


@dataclass
class TickSummary:
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    handoffs: int = 0
    files: int = 0


def tick(
    database: Database,
    files_root: Path,
    now: datetime | None = None,
    *,
    policy: webhooks.RetryPolicy | None = None,
    client: httpx.Client | None = None,
) -> TickSummary:
    """One full pass: every municipality's due deliveries (retries too), handoffs and scheduled files."""
    now = now or utcnow()
    lg_codes = webhooks.municipalities(database)
    report = webhooks.deliver_due(database, now, policy=policy, client=client, lg_codes=lg_codes)
    chores = _handoffs_and_files(database, files_root, lg_codes, now)
    return TickSummary(report.delivered, report.failed, report.dead, chores.handoffs, chores.files)


def run(
    database: Database,
    files_root: Path,
    stop: threading.Event,
    *,
    interval: float = 1.0,
    policy: webhooks.RetryPolicy | None = None,
) -> None:
    """Until ``stop`` is set: webhook delivery in this thread, 団体間 handoffs and scheduled files in a
    second one, so a slow pass of the one never holds up the other. Every ``interval`` seconds each
    makes a full pass over all municipalities (retries due, handoffs, files); in between, on
    PostgreSQL, new events are delivered as soon as their commit is announced (only the municipalities
    that have them). An error is logged, never fatal."""
    chores = threading.Thread(
        target=_chores, args=(database, files_root, stop, interval), daemon=True, name="linkage-chores"
    )
    chores.start()
    listener = OutboxListener(database)
    listener.open()  # before the first full pass: an event committed in between still wakes us
    next_full, claimed = 0.0, _Claims(listener)
    policy = policy or webhooks.RetryPolicy()
    with webhooks.new_client(policy) as client:  # one connection pool for every full pass
        halt = threading.Event()  # set when this loop ends, however it ends
        lanes = _Lanes(
            lambda lg, own: _logged(lambda: _deliver(database, [lg], policy, own, retries=False)),
            lambda: webhooks.new_client(policy),
            halt,
        )
        try:
            while not stop.is_set():
                if time.monotonic() >= next_full:
                    codes = webhooks.municipalities(database)
                    _logged(lambda codes=codes: _deliver(database, codes, policy, client))
                    claimed.take(codes)
                    next_full = time.monotonic() + interval
                for lg_code in listener.wait(max(0.0, next_full - time.monotonic())):
                    if claimed.holds(lg_code):
                        lanes.wake(lg_code)
        finally:
            halt.set()
            listener.close()
            lanes.join()
            chores.join(timeout=30)


class _Claims:
    """The municipalities whose notifications this worker answers. With several workers each municipality
    is claimed by one of them (advisory locks on its listener connection), so a commit starts one delivery
    pass, not one per worker; the others still take it in their full passes, and claim it at their next
    full pass when its worker stops or loses its connection.

    Each worker holds its share, ⌈municipalities ÷ workers⌉, at every full pass: a worker that started
    alone and took every municipality gives the surplus back once others listen, and the others pick it
    up at their next full pass (until then its notifications wait for a full pass)."""

    def __init__(self, listener: OutboxListener) -> None:
        self._listener, self._held, self._connection = listener, set[str](), listener.connections

    def take(self, lg_codes: list[str]) -> None:
        self._forget_if_reconnected()
        share = -(-len(set(lg_codes)) // self._listener.workers())
        surplus = sorted(self._held)[share:]
        if surplus:
            self._listener.release(surplus)
            self._held -= set(surplus)
        if len(self._held) < share:
            wanted = sorted(set(lg_codes) - self._held)
            self._held |= self._listener.claim(wanted, limit=share - len(self._held))

    def holds(self, lg_code: str) -> bool:
        self._forget_if_reconnected()
        return lg_code in self._held

    def _forget_if_reconnected(self) -> None:
        if self._listener.connections != self._connection:  # a new connection holds none of the old locks
            self._held, self._connection = set(), self._listener.connections


#: How long a lane woken after being idle waits for more commits before its pass: at a high 異動 rate one
#: pass (one transaction, one claim) then carries several events instead of one each, for a tenth of a
#: second of lag. A lane woken right after its last pass goes at once: what came meanwhile is its batch.
COALESCE_SECONDS = 0.1


class _Lanes:
    """A delivery lane (thread) per notified municipality: its new events go out as soon as its own
    previous pass has ended, not when the slowest municipality of the same round has. At most
    ``parallel`` lanes deliver at once (each holds a database connection meanwhile)."""

    def __init__(
        self,
        deliver: Callable[[str, httpx.Client], None],
        new_client: Callable[[], httpx.Client],
        stop: threading.Event,
        parallel: int = 8,
        coalesce: float = COALESCE_SECONDS,
    ) -> None:
        self._deliver, self._new_client, self._stop, self._coalesce = deliver, new_client, stop, coalesce
        self._slots = threading.BoundedSemaphore(parallel)
        self._lanes: dict[str, tuple[threading.Event, threading.Thread]] = {}

    def wake(self, lg_code: str) -> None:
        if lg_code not in self._lanes:
            woken = threading.Event()
            thread = threading.Thread(target=self._run, args=(lg_code, woken), daemon=True, name=f"lane-{lg_code}")
            self._lanes[lg_code] = (woken, thread)
            thread.start()
        self._lanes[lg_code][0].set()

    def _run(self, lg_code: str, woken: threading.Event) -> None:
        # Its own connection pool: lanes sharing one queued on the pool's lock (seen with py-spy at 200/s).
        with self._new_client() as client:
            ended = 0.0
            while not self._stop.is_set():
                if woken.wait(timeout=1.0):
                    if time.monotonic() - ended > self._coalesce:  # idle until now: let the commits of the
                        self._stop.wait(self._coalesce)  # next moment join this pass (busy, they have)
                    woken.clear()  # commits announced from here on wake the next pass
                    with self._slots:
                        self._deliver(lg_code, client)
                    ended = time.monotonic()

    def join(self) -> None:
        for _, thread in self._lanes.values():
            thread.join(timeout=30)


def _chores(database: Database, files_root: Path, stop: threading.Event, interval: float) -> None:
    while not stop.is_set():
        _logged(lambda: _handoffs_and_files(database, files_root, webhooks.municipalities(database), utcnow()))
        stop.wait(interval)


def _handoffs_and_files(database: Database, files_root: Path, lg_codes: list[str], now: datetime) -> TickSummary:
    return TickSummary(
        handoffs=handoff.run(database, lg_codes), files=files.run_scheduled(database, lg_codes, files_root, now)
    )


def _deliver(
    database: Database,
    lg_codes: list[str],
    policy: webhooks.RetryPolicy | None,
    client: httpx.Client,
    *,
    retries: bool = True,
) -> TickSummary:
    report = webhooks.deliver_due(database, policy=policy, client=client, lg_codes=lg_codes, retries=retries)
    return TickSummary(report.delivered, report.failed, report.dead)


def _logged(step: Callable[[], TickSummary]) -> None:
    try:
        summary = step()
        if summary.failed or summary.dead or summary.handoffs or summary.files:
            log.info("linkage tick", **summary.__dict__)
    except Exception:  # the worker must outlive a bad tick (DB restart, full disk …)
        log.exception("linkage tick failed")


def policy_for(allow_networks: str) -> webhooks.RetryPolicy:
    """The delivery policy of a deployment: defaults, with the networks its operator opened for webhooks."""
    return webhooks.RetryPolicy(destinations=DestinationGuard.from_setting(allow_networks))


@dataclass
class EmbeddedWorker:
    thread: threading.Thread
    event: threading.Event

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the loop to stop after its current tick and wait for it."""
        self.event.set()
        self.thread.join(timeout)


def start_embedded(
    database: Database, files_root: Path, *, interval: float = 1.0, policy: webhooks.RetryPolicy | None = None
) -> EmbeddedWorker:
    """Run the worker in a daemon thread of this process (the embedded default); ``.stop()`` ends it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run,
        args=(database, files_root, stop),
        kwargs={"interval": interval, "policy": policy},
        daemon=True,
        name="linkage",
    )
    thread.start()
    return EmbeddedWorker(thread, stop)
