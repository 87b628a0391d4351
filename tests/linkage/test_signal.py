"""Commit notifications: the worker and the long-poll feed wake on NOTIFY instead of reading in a loop."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from linkage_helpers import Clerk, person

from lgcloud.config import Settings
from lgcloud.db import Database
from lgcloud.linkage import feed
from lgcloud.linkage.signal import OutboxListener, parse
from lgcloud.residents.commands import AddressInput, MoveIn
from lgcloud.residents.services import record_ido
from lgcloud.tenancy import services
from lgcloud.web.app import create_app


def test_a_commit_wakes_the_listener_with_its_municipality(pg_database: Database, pg_tenants) -> None:  # type: ignore[no-untyped-def]
    listener = OutboxListener(pg_database)
    listener.open()
    try:
        assert listener.listening
        assert listener.wait(0.2) == set()  # nothing committed yet
        Clerk(pg_database, pg_tenants.b).move_in()
        assert listener.wait(5) == {pg_tenants.b}
        assert listener.wait(0.2) == set()  # one commit, one wake-up (duplicates folded)
    finally:
        listener.close()


def test_a_rolled_back_change_wakes_nobody(pg_database: Database, pg_tenants) -> None:  # type: ignore[no-untyped-def]
    listener = OutboxListener(pg_database)
    listener.open()

    class Abort(Exception):
        pass

    clerk = Clerk(pg_database, pg_tenants.a)
    try:
        with pytest.raises(Abort), pg_database.session(pg_tenants.a) as session:
            record_ido(session, pg_tenants.a, clerk.actor, _move_in_command(), today=clerk.today)
            raise Abort
        assert listener.wait(0.5) == set()
    finally:
        listener.close()


def test_without_notifications_the_listener_just_waits(database: Database) -> None:
    listener = OutboxListener(database)
    started = time.monotonic()
    woken = listener.wait(0.1)
    if database.is_postgresql:
        assert listener.listening
    else:  # SQLite: the caller reads on its timer
        assert not listener.listening and time.monotonic() - started >= 0.1
    assert woken == set()
    listener.close()


def test_long_poll_sleeps_until_the_commit_on_postgresql(
    pg_database: Database, pg_tenants, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The request reads once, sleeps on the notification, and reads again: two reads, not one per 50 ms."""
    settings = Settings(
        database_url=pg_database.owner_url,
        app_database_url=pg_database.engine.url.render_as_string(hide_password=False),
        secret_key="test-secret-key-0123456789",
        data_dir=tmp_path / "data",
    )
    app = create_app(settings, pg_database)
    with pg_database.session(pg_tenants.a) as session:
        token, _ = services.create_token(session, lg_code=pg_tenants.a, name="国保", scopes=["resident:read"])
    reads: list[float] = []
    real_poll, first_read = feed.poll, threading.Event()

    def counting_poll(*args, **kwargs):  # type: ignore[no-untyped-def]
        reads.append(time.monotonic())
        try:
            return real_poll(*args, **kwargs)
        finally:
            first_read.set()

    def move_in_after_the_first_read() -> None:  # on a loaded machine a fixed delay could beat the request
        first_read.wait(10)
        time.sleep(0.3)
        clerk.move_in()

    monkeypatch.setattr(feed, "poll", counting_poll)
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:  # runs the lifespan
        deadline = time.monotonic() + 5
        while not app.state.feed_wakeups.listening and time.monotonic() < deadline:
            time.sleep(0.02)
        assert app.state.feed_wakeups.listening
        clerk = Clerk(pg_database, pg_tenants.a)
        timer = threading.Thread(target=move_in_after_the_first_read)
        timer.start()
        started = time.monotonic()
        response = client.get(f"/api/v1/municipalities/{pg_tenants.a}/events", params={"wait": 10})
        timer.join()
        assert [e["lgcloudseq"] for e in response.json()["events"]] == [1]
        assert time.monotonic() - started < 5
        assert len(reads) == 2, reads  # the first read found nothing, the second after the commit
        # Seq 1 was announced: a request for what follows it sleeps without reading first.
        reads.clear()
        timer = threading.Timer(0.5, clerk.move_in, kwargs={"shimei": "山田　花子"})
        timer.start()
        response = client.get(f"/api/v1/municipalities/{pg_tenants.a}/events", params={"wait": 10, "after": 1})
        timer.join()
        assert [e["lgcloudseq"] for e in response.json()["events"]] == [2]
        assert len(reads) == 1, reads


def test_notification_payload() -> None:
    assert parse("182079:42") == ("182079", 42)


def _move_in_command() -> MoveIn:
    return MoveIn(
        ido_date="2025-04-01",
        persons=[person("山田　次郎", "ヤマダ　ジロウ", "昭和56年1月2日", "世帯主")],
        address=AddressInput(address="本町一丁目2番地"),
    )


def test_each_municipality_is_claimed_by_one_worker_until_it_stops(pg_database: Database, pg_tenants) -> None:  # type: ignore[no-untyped-def]
    codes = [pg_tenants.a, pg_tenants.b]
    first, second = OutboxListener(pg_database), OutboxListener(pg_database)
    first.open()
    second.open()
    try:
        assert first.claim(codes) == set(codes)
        assert second.claim(codes) == set()  # held by the first worker: it answers their notifications
        assert first.claim(codes) == set(codes)  # claiming again what one holds is harmless
        first.close()  # the worker stops (or loses its connection): its claims go with it
        taken: set[str] = set()
        deadline = time.monotonic() + 10  # once its backend has ended, a moment after the close
        while taken != set(codes) and time.monotonic() < deadline:
            taken |= second.claim(sorted(set(codes) - taken))
            time.sleep(0.05)
        assert taken == set(codes)
    finally:
        first.close()
        second.close()


def test_workers_share_the_municipalities_and_rebalance(pg_database: Database) -> None:
    """A worker alone takes every municipality; once a second listens, each holds ⌈n ÷ 2⌉ by their next full
    passes; when one stops, the other takes the rest back."""
    from lgcloud.linkage.worker import _Claims

    codes = ["012025", "013056", "182079", "182095", "183229"]
    first = OutboxListener(pg_database)
    first.open()
    second = OutboxListener(pg_database)
    try:
        one = _Claims(first)
        one.take(codes)
        assert first.workers() == 1 and all(one.holds(c) for c in codes)
        second.open()
        two = _Claims(second)
        two.take(codes)
        assert first.workers() == 2 and not any(two.holds(c) for c in codes)  # all held by the first
        one.take(codes)  # its next full pass: keeps its share (3), gives 2 back
        two.take(codes)
        held = [[c for c in codes if claims.holds(c)] for claims in (one, two)]
        assert [len(h) for h in held] == [3, 2] and sorted(held[0] + held[1]) == codes
        assert second.claim(held[0]) == set()  # the first still holds its share: no one answers twice
        second.close()
        deadline = time.monotonic() + 10  # the closed session's backend leaves pg_stat_activity a moment later
        while first.workers() != 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        one.take(codes)
        assert all(one.holds(c) for c in codes)
    finally:
        first.close()
        second.close()


def test_two_workers_answer_a_commit_with_one_delivery_pass(pg_database: Database, pg_tenants, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from receiver import LOCAL, Receiver, running

    from lgcloud.linkage import subscriptions, webhooks, worker

    passes: list[str] = []
    deliver = webhooks.deliver_due

    def counted(database, *args, lg_codes=None, retries=True, **kwargs):  # type: ignore[no-untyped-def]
        if not retries:  # the fast path a notification starts (full passes take retries too)
            passes.extend(lg_codes or [])
        return deliver(database, *args, lg_codes=lg_codes, retries=retries, **kwargs)

    policy = webhooks.RetryPolicy(destinations=LOCAL)
    with running(Receiver()) as rx, pytest.MonkeyPatch.context() as patch:
        patch.setattr(webhooks, "deliver_due", counted)
        with pg_database.session(pg_tenants.a) as session:
            _, rx.secret = subscriptions.create(session, pg_tenants.a, name="国保", url=rx.url, actor="admin")
        workers = [worker.start_embedded(pg_database, tmp_path, interval=2, policy=policy) for _ in range(2)]
        try:
            time.sleep(1.0)  # both made their first full pass and claimed what they could
            Clerk(pg_database, pg_tenants.a).move_in()
            deadline = time.monotonic() + 20
            while not rx.accepted and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)  # a second pass, if any, would have started by now
        finally:
            for w in workers:
                w.stop()
    assert len(rx.accepted) == 1 and passes == [pg_tenants.a]
