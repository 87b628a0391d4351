"""Webhook delivery: fan out new outbox events to subscriptions, then POST the due ones, signed.

``deliver_due(database, now)`` is one tick of the worker; run it in-process (the embedded default)
or with ``lgcloud linkage worker``. Delivery is at least once: a tick claims due rows with a lease
(``next_attempt_at`` pushed forward; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers
share the load), commits, sends over HTTP outside any transaction, then records each outcome. A worker
killed mid-send leaves its claims to come back when the lease ends. Failures back off exponentially;
after ``max_attempts`` the delivery is ``dead`` (visible to the admin, retried by hand). The event id
travels as ``webhook-id`` so a consumer can drop duplicates (exactly-once effect).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import bindparam, select, text, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lgcloud import __version__
from lgcloud.db import Database
from lgcloud.linkage import cloudevents, outbox, signing
from lgcloud.linkage.destinations import DestinationGuard, GuardedTransport
from lgcloud.linkage.models import attempts, deliveries, subscriptions
from lgcloud.linkage.subscriptions import signing_secret
from lgcloud.residents.models import outbox as outbox_table

USER_AGENT = f"lgcloud-webhooks/{__version__}"


@dataclass(frozen=True)
class RetryPolicy:
    base_seconds: float = 10.0
    max_seconds: float = 3600.0
    max_attempts: int = 8
    timeout_seconds: float = 10.0
    lease_seconds: float = 120.0
    batch: int = 200
    destinations: DestinationGuard = field(default_factory=DestinationGuard)  # where requests may go (SSRF)

    def delay(self, attempt: int) -> timedelta:
        """Wait after failed attempt ``attempt`` (1-based): base·2^(n−1), capped."""
        return timedelta(seconds=min(self.base_seconds * 2 ** (attempt - 1), self.max_seconds))


@dataclass(frozen=True)
class Job:
    lg_code: str
    sub_id: int
    seq: int
    event_id: str
    attempt: int  # in this round (drives the backoff and the dead state)
    ordinal: int  # ever (numbers the attempt record)
    url: str
    secret: str | None  # None: the stored secret could not be unsealed (the delivery fails, saying why)
    body: bytes


@dataclass(frozen=True)
class Outcome:
    job: Job
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass
class TickReport:
    fanned_out: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    outcomes: list[Outcome] = field(default_factory=list)


# --- tenants ----------------------------------------------------------------------------------------


def municipalities(database: Database) -> list[str]:
    with database.session() as session:
        return [r[0] for r in session.execute(text("SELECT lg_code FROM tenancy_municipalities ORDER BY lg_code"))]


# --- fan-out ----------------------------------------------------------------------------------------


def _upsert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


_ACTIVE_SUBSCRIPTIONS = (
    select(subscriptions)
    .where(subscriptions.c.lg_code == bindparam("lg"), subscriptions.c.active.is_(True))
    .order_by(subscriptions.c.sub_id)
)
#: SQLite: the write lock taken by the tick serialises workers instead of SKIP LOCKED.
_LOCK_SUBSCRIPTIONS = {True: _ACTIVE_SUBSCRIPTIONS.with_for_update(skip_locked=True), False: _ACTIVE_SUBSCRIPTIONS}


def _lock_subscriptions(session: Session, lg_code: str) -> list[Any]:
    return list(session.execute(_LOCK_SUBSCRIPTIONS[_is_postgresql(session)], {"lg": lg_code}).mappings())


def fan_out(session: Session, lg_code: str, now: datetime, policy: RetryPolicy, batch: int = 1000) -> list[Job]:
    """Queue a delivery for each new event of each active subscription and advance their cursors.

    The new deliveries are leased to this worker at once (as :func:`claim` would) and returned as jobs,
    their bodies built from the events just read: no second read of what this transaction wrote."""
    subs = _lock_subscriptions(session, lg_code)
    if not subs:
        return []
    lease = now + timedelta(seconds=policy.lease_seconds)
    queued: list[tuple[Any, outbox.OutboxEvent, int]] = []
    for sub in subs:
        types = list(sub["event_types"] or [])
        head, events = outbox.read_with_head(session, lg_code, after=int(sub["cursor"]), limit=batch, types=types)
        if events:
            tries = _queue(session, lg_code, sub["sub_id"], events, now, lease)
            queued += [(sub, e, tries[e.seq]) for e in events]
        cursor = events[-1].seq if len(events) == batch else max(int(sub["cursor"]), head)
        if cursor != sub["cursor"]:
            session.execute(
                update(subscriptions)
                .where(subscriptions.c.lg_code == lg_code, subscriptions.c.sub_id == sub["sub_id"])
                .values(cursor=cursor)
            )
    if not queued:
        return []
    bodies = _bodies(session, lg_code, list({e.seq: e for _, e, _ in queued}.values()))
    return [
        Job(
            lg_code,
            sub["sub_id"],
            e.seq,
            e.event_id,
            1,
            tries + 1,
            sub["url"],
            signing_secret(lg_code, sub["secret"]),
            bodies[e.seq],
        )
        for sub, e, tries in queued
    ]


#: One statement whatever the number of events (arrays, not a VALUES row each): a multi-row VALUES insert is
#: compiled anew for every batch size, which cost the worker more CPU than the insert itself.
_QUEUE_PG = text("""
    INSERT INTO linkage_deliveries
      (lg_code, sub_id, seq, event_id, event_type, state, attempts, tries, next_attempt_at, created_at)
    SELECT :lg, :sub, u.seq, u.event_id, u.event_type, 'pending', 0, 0, :lease, :now
    FROM unnest(CAST(:seqs AS bigint[]), CAST(:ids AS text[]), CAST(:types AS text[])) AS u(seq, event_id, event_type)
    ON CONFLICT (lg_code, sub_id, seq)  -- a replay resets delivered or dead rows
    DO UPDATE SET state = 'pending', attempts = 0, next_attempt_at = :lease, last_error = NULL
    RETURNING seq, tries""")


def _queue(
    session: Session, lg_code: str, sub_id: int, events: list[outbox.OutboxEvent], now: datetime, lease: datetime
) -> dict[int, int]:
    """Insert the deliveries, leased until ``lease``; returns seq → attempts made before (replays)."""
    if _is_postgresql(session):
        params = {"lg": lg_code, "sub": sub_id, "seqs": [e.seq for e in events], "ids": [e.event_id for e in events],
                  "types": [e.type for e in events], "lease": lease, "now": now}  # fmt: skip
        return {int(seq): int(tries) for seq, tries in session.execute(_QUEUE_PG, params)}
    rows = [
        {
            "lg_code": lg_code,
            "sub_id": sub_id,
            "seq": e.seq,
            "event_id": e.event_id,
            "event_type": e.type,
            "state": "pending",
            "attempts": 0,
            "tries": 0,
            "next_attempt_at": lease,
            "created_at": now,
        }
        for e in events
    ]
    stmt = _upsert(session)(deliveries).values(rows)
    stmt = stmt.on_conflict_do_update(  # a replay resets delivered or dead rows
        index_elements=["lg_code", "sub_id", "seq"],
        set_={"state": "pending", "attempts": 0, "next_attempt_at": lease, "last_error": None},
    )
    written = session.execute(stmt.returning(deliveries.c.seq, deliveries.c.tries))
    return {int(seq): int(tries) for seq, tries in written}


# --- claim, send, record ----------------------------------------------------------------------------


_DUE = (
    select(
        deliveries.c.sub_id,
        deliveries.c.seq,
        deliveries.c.event_id,
        deliveries.c.attempts,
        deliveries.c.tries,
        subscriptions.c.url,
        subscriptions.c.secret,
    )
    .join(
        subscriptions,
        (subscriptions.c.lg_code == deliveries.c.lg_code) & (subscriptions.c.sub_id == deliveries.c.sub_id),
    )
    .where(
        deliveries.c.lg_code == bindparam("lg"),
        deliveries.c.state == "pending",
        deliveries.c.next_attempt_at <= bindparam("now"),
        subscriptions.c.active.is_(True),
    )
    .order_by(deliveries.c.sub_id, deliveries.c.seq)
    .limit(bindparam("batch"))
)
_CLAIM_DUE = {True: _DUE.with_for_update(of=deliveries, skip_locked=True), False: _DUE}


def claim(session: Session, lg_code: str, now: datetime, policy: RetryPolicy) -> list[Job]:
    """Due deliveries of active subscriptions, leased to this worker, with their signed bodies built."""
    params = {"lg": lg_code, "now": now, "batch": policy.batch}
    due = list(session.execute(_CLAIM_DUE[_is_postgresql(session)], params).mappings())
    if not due:
        return []
    lease = now + timedelta(seconds=policy.lease_seconds)
    session.execute(
        update(deliveries)
        .where(
            deliveries.c.lg_code == lg_code,
            tuple_(deliveries.c.sub_id, deliveries.c.seq).in_([(r["sub_id"], r["seq"]) for r in due]),
        )
        .values(next_attempt_at=lease)
    )
    seqs = sorted({r["seq"] for r in due})
    stmt = select(outbox_table).where(  # the range keeps it a bounded index scan (see _MARK_DELIVERED)
        outbox_table.c.lg_code == lg_code, outbox_table.c.seq.between(seqs[0], seqs[-1]), outbox_table.c.seq.in_(seqs)
    )
    bodies = _bodies(session, lg_code, [outbox._event(m) for m in session.execute(stmt).mappings()])
    return [
        Job(
            lg_code,
            r["sub_id"],
            r["seq"],
            r["event_id"],
            r["attempts"] + 1,
            r["tries"] + 1,
            r["url"],
            signing_secret(lg_code, r["secret"]),
            bodies[r["seq"]],
        )
        for r in due
        if r["seq"] in bodies
    ]


def _bodies(session: Session, lg_code: str, events: list[outbox.OutboxEvent]) -> dict[int, bytes]:
    envelopes = cloudevents.envelopes(session, lg_code, events)
    return {
        e.seq: json.dumps(env, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        for e, env in zip(events, envelopes, strict=True)
    }


UNREADABLE_SECRET = (
    "署名鍵を復号できません: LGCLOUD_SECRET_KEY が連携先の作成時と異なります(連携先を作成し直してください)"
)


def send(client: httpx.Client, job: Job, timeout: float) -> Outcome:
    if job.secret is None:
        return Outcome(job, None, UNREADABLE_SECRET, 0)
    headers = {
        "content-type": cloudevents.CONTENT_TYPE,
        "user-agent": USER_AGENT,
        **signing.headers(job.secret, job.event_id, job.body),
    }
    started = time.perf_counter()
    try:
        response = client.post(job.url, content=job.body, headers=headers, timeout=timeout)
        status, error = response.status_code, None if response.is_success else response.text[:200]
    except httpx.HTTPError as exc:
        status, error = None, f"{type(exc).__name__}: {exc}"[:500]
    return Outcome(job, status, error, int((time.perf_counter() - started) * 1000))


def record(session: Session, outcomes: list[Outcome], now: datetime, policy: RetryPolicy) -> list[str]:
    """Store the attempts and the deliveries' new states (successes in one statement per group)."""
    if not outcomes:
        return []
    session.execute(
        attempts.insert(),
        [
            {"lg_code": o.job.lg_code, "sub_id": o.job.sub_id, "seq": o.job.seq, "attempt": o.job.ordinal, "at": now,
             "status_code": o.status_code, "error": o.error, "duration_ms": o.duration_ms}
            for o in outcomes
        ],
    )  # fmt: skip
    ok: dict[tuple[str, int, int | None], list[int]] = defaultdict(list)
    states = []
    for o in outcomes:
        if o.ok:
            ok[(o.job.lg_code, o.job.sub_id, o.status_code)].append(o.job.seq)
            states.append("delivered")
        else:
            states.append(_record_failure(session, o, now, policy))
    for (lg_code, sub_id, status), seqs in ok.items():
        params = {"lg": lg_code, "sub": sub_id, "seqs": seqs, "low": min(seqs), "high": max(seqs)}
        session.execute(_MARK_DELIVERED, params | {"now": now, "status": status})
    return states


#: The seq range bounds the primary-key scan: with no statistics yet, PostgreSQL planned the IN list as a
#: filter over every delivery of the subscription (slower with every event delivered).
_MARK_DELIVERED = (
    update(deliveries)
    .where(
        deliveries.c.lg_code == bindparam("lg"),
        deliveries.c.sub_id == bindparam("sub"),
        deliveries.c.seq.between(bindparam("low"), bindparam("high")),
        deliveries.c.seq.in_(bindparam("seqs", expanding=True)),
    )
    .values(state="delivered", delivered_at=bindparam("now"), last_error=None, last_status=bindparam("status"),
            attempts=deliveries.c.attempts + 1, tries=deliveries.c.tries + 1)
)  # fmt: skip


def _record_failure(session: Session, outcome: Outcome, now: datetime, policy: RetryPolicy) -> str:
    job = outcome.job
    if job.attempt >= policy.max_attempts:
        values: dict[str, Any] = {"state": "dead"}
    else:
        values = {"state": "pending", "next_attempt_at": now + policy.delay(job.attempt)}
    session.execute(
        update(deliveries)
        .where(deliveries.c.lg_code == job.lg_code, deliveries.c.sub_id == job.sub_id, deliveries.c.seq == job.seq)
        .values(attempts=job.attempt, tries=job.ordinal, last_status=outcome.status_code, last_error=outcome.error,
                **values)
    )  # fmt: skip
    return str(values["state"])


def _send_all(jobs: list[Job], policy: RetryPolicy, client: httpx.Client) -> list[Outcome]:
    """In order within a subscription, subscriptions in parallel."""
    groups: dict[tuple[str, int], list[Job]] = defaultdict(list)
    for job in jobs:
        groups[(job.lg_code, job.sub_id)].append(job)

    def run(group: list[Job]) -> list[Outcome]:
        return [send(client, job, policy.timeout_seconds) for job in group]

    if len(groups) == 1:
        return run(next(iter(groups.values())))
    with ThreadPoolExecutor(max_workers=min(8, len(groups))) as pool:
        return [o for outcomes in pool.map(run, groups.values()) for o in outcomes]


def new_client(policy: RetryPolicy) -> httpx.Client:
    """The HTTP client deliveries go out with: no redirects (the signed URL is the one registered) and
    the policy's destination guard."""
    return httpx.Client(follow_redirects=False, transport=GuardedTransport(policy.destinations))


def deliver_due(
    database: Database,
    now: datetime | None = None,
    *,
    policy: RetryPolicy | None = None,
    client: httpx.Client | None = None,
    lg_codes: Iterable[str] | None = None,
    parallel: int = 8,
    retries: bool = True,
) -> TickReport:
    """One worker tick over every municipality (or ``lg_codes``), up to ``parallel`` of them at a time.
    ``retries=False``: only events not yet fanned out (the worker's fast path on a commit notification;
    its full pass takes the due retries)."""
    from lgcloud.db.base import utcnow

    policy = policy or RetryPolicy()
    now = now or utcnow()
    codes = list(lg_codes) if lg_codes is not None else municipalities(database)
    own_client = client is None
    client = client or new_client(policy)
    try:
        if parallel <= 1 or len(codes) <= 1:
            parts = [_tick_one(database, lg, now, policy, client, retries) for lg in codes]
        else:
            with ThreadPoolExecutor(max_workers=min(parallel, len(codes))) as pool:
                parts = list(pool.map(lambda lg: _tick_one(database, lg, now, policy, client, retries), codes))
    finally:
        if own_client:
            client.close()
    report = TickReport()
    for part in parts:
        report.fanned_out += part.fanned_out
        report.delivered += part.delivered
        report.failed += part.failed
        report.dead += part.dead
        report.outcomes.extend(part.outcomes)
    return report


def _tick_one(
    database: Database, lg_code: str, now: datetime, policy: RetryPolicy, client: httpx.Client, retries: bool = True
) -> TickReport:
    report = TickReport()
    with database.session(lg_code) as session:
        fresh = fan_out(session, lg_code, now, policy)
        report.fanned_out = len(fresh)
        due = claim(session, lg_code, now, policy) if retries else []
        jobs = sorted([*due, *fresh], key=lambda j: (j.sub_id, j.seq))
    if not jobs:
        return report
    outcomes = _send_all(jobs, policy, client)
    with database.session(lg_code) as session:
        for state in record(session, outcomes, now, policy):
            report.delivered += state == "delivered"
            report.dead += state == "dead"
            report.failed += state != "delivered"
    report.outcomes.extend(outcomes)
    return report
