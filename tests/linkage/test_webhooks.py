"""Webhooks against a real local receiver: signatures, retries with backoff, dead letters, replay."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from linkage_helpers import Clerk
from receiver import LOCAL, Receiver, running
from sqlalchemy import select, update

from lgcloud.db.base import utcnow
from lgcloud.linkage import signing, subscriptions, webhooks
from lgcloud.linkage.models import subscriptions as subs_table
from lgcloud.residents.events import EventType
from lgcloud.sealing import seal

FAST = webhooks.RetryPolicy(base_seconds=10, max_seconds=60, max_attempts=3, timeout_seconds=5, destinations=LOCAL)


def _subscribe(database, lg_code: str, url: str, **kwargs) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    with database.session(lg_code) as session:
        sub, secret = subscriptions.create(session, lg_code, name="国保", url=url, actor="admin", **kwargs)
    return sub.sub_id, secret


def _deliveries(database, lg_code: str, state: str | None = None) -> list[dict]:  # type: ignore[no-untyped-def]
    with database.session(lg_code) as session:
        return subscriptions.list_deliveries(session, lg_code, state=state)


def test_signed_delivery_is_verified_by_the_receiver(database, tenants, clerk: Clerk) -> None:
    with running(Receiver()) as rx:
        _sub_id, rx.secret = _subscribe(database, tenants.a, rx.url)
        clerk.move_in(others=1)
        report = webhooks.deliver_due(database, policy=FAST)
        assert (report.fanned_out, report.delivered) == (2, 2)
        assert [e["lgcloudseq"] for e in rx.accepted] == [1, 2]
        assert rx.accepted[0]["type"] == EventType.TENNYU and rx.rejected == []
        assert webhooks.deliver_due(database, policy=FAST).delivered == 0  # nothing twice
    assert {d["state"] for d in _deliveries(database, tenants.a)} == {"delivered"}


def test_wrong_secret_tampering_and_stale_timestamps_are_refused() -> None:
    secret, other = signing.new_secret(), signing.new_secret()
    body = json.dumps({"id": "e1"}).encode()
    headers = signing.headers(secret, "e1", body, now=1_000_000)
    assert signing.verify(secret, headers, body, now=1_000_010) == "e1"
    for bad_secret, bad_body, now in (
        (other, body, 1_000_010),
        (secret, body + b" ", 1_000_010),
        (secret, body, 1_000_000 + 301),
    ):
        with pytest.raises(signing.WebhookVerificationError):
            signing.verify(bad_secret, headers, bad_body, now=now)
    with pytest.raises(signing.WebhookVerificationError):
        signing.verify(secret, {**headers, "webhook-id": "e2"}, body, now=1_000_010)  # id is signed too
    # A rotated secret: several signatures in one header, any valid one passes.
    both = {
        **headers,
        "webhook-signature": f"{signing.sign(other, 'e1', 1_000_000, body)} {headers['webhook-signature']}",
    }
    assert signing.verify(secret, both, body, now=1_000_010) == "e1"


def test_retries_back_off_then_succeed(database, tenants, clerk: Clerk) -> None:
    with running(Receiver(fail_next=2)) as rx:
        _, rx.secret = _subscribe(database, tenants.a, rx.url)
        clerk.move_in()
        t0 = utcnow()
        assert webhooks.deliver_due(database, t0, policy=FAST).failed == 1
        (pending,) = _deliveries(database, tenants.a)
        assert pending["attempts"] == 1 and pending["last_status"] == 503
        assert webhooks.deliver_due(database, t0 + timedelta(seconds=5), policy=FAST).outcomes == []  # not due
        assert webhooks.deliver_due(database, t0 + timedelta(seconds=11), policy=FAST).failed == 1  # 2nd: +10 s
        assert webhooks.deliver_due(database, t0 + timedelta(seconds=25), policy=FAST).outcomes == []  # +20 s
        assert webhooks.deliver_due(database, t0 + timedelta(seconds=32), policy=FAST).delivered == 1
        assert len(rx.accepted) == 1 and rx.requests == 3
    (done,) = _deliveries(database, tenants.a)
    assert (done["state"], done["attempts"]) == ("delivered", 3)


def test_the_fast_path_sends_new_events_and_leaves_retries_to_the_full_pass(database, tenants, clerk: Clerk) -> None:
    with running(Receiver(fail_next=1)) as rx:
        _, rx.secret = _subscribe(database, tenants.a, rx.url)
        clerk.move_in()
        t0 = utcnow()
        assert webhooks.deliver_due(database, t0, policy=FAST, retries=False).failed == 1
        later = t0 + timedelta(seconds=11)  # the retry is due now
        clerk.move_in("山田　花子", birth="昭和60年3月4日")
        fast = webhooks.deliver_due(database, later, policy=FAST, retries=False)
        assert (fast.delivered, fast.failed) == (1, 0)  # only the new event
        assert webhooks.deliver_due(database, later, policy=FAST).delivered == 1  # the full pass: the retry
        assert len(rx.accepted) == 2 and rx.requests == 3


def test_dead_letters_then_manual_retry_and_replay(database, tenants, clerk: Clerk) -> None:
    with running(Receiver(always_fail=True)) as rx:
        sub_id, rx.secret = _subscribe(database, tenants.a, rx.url)
        clerk.move_in()
        now = utcnow()
        for step in range(3):
            webhooks.deliver_due(database, now + timedelta(minutes=5 * step), policy=FAST)
        (dead,) = _deliveries(database, tenants.a, "dead")
        assert (dead["attempts"], dead["last_status"]) == (3, 503)
        rx.always_fail = False
        with database.session(tenants.a) as session:
            assert subscriptions.retry_dead(session, tenants.a, sub_id, actor="admin-182079") == 1
        assert webhooks.deliver_due(database, policy=FAST).delivered == 1
        # Replay from cursor 0: the consumer sees the same id again and drops it (exactly-once effect).
        with database.session(tenants.a) as session:
            subscriptions.replay(session, tenants.a, sub_id, 0, actor="admin-182079")
        assert webhooks.deliver_due(database, policy=FAST).delivered == 1
        assert (len(rx.accepted), rx.duplicates) == (1, 1)
        with database.session(tenants.a) as session:
            tried = subscriptions.attempts_of(session, tenants.a, sub_id, 1)
    assert [a["status_code"] for a in tried][:3] == [503, 503, 503]


def test_unreachable_receiver_and_type_filter(database, tenants, clerk: Clerk) -> None:
    _subscribe(database, tenants.a, "http://127.0.0.1:9/nothing", event_types=[EventType.SHIBOU])
    clerk.move_in()
    report = webhooks.deliver_due(database, policy=FAST)
    assert report.fanned_out == 0 and report.outcomes == []  # a 転入 is not of the subscribed type
    with database.session(tenants.a) as session:
        _sub_id, _ = subscriptions.create(session, tenants.a, name="税", url="http://127.0.0.1:9/x", actor="a", after=0)
    report = webhooks.deliver_due(database, policy=FAST)
    assert report.failed == 1 and report.outcomes[0].status_code is None  # connection refused, recorded
    assert "ConnectError" in (report.outcomes[0].error or "")


def test_subscriptions_are_per_municipality(database, tenants, clerk: Clerk, clerk_b: Clerk) -> None:
    with running(Receiver()) as rx:
        _, rx.secret = _subscribe(database, tenants.b, rx.url)
        clerk.move_in()  # A's 異動: B's subscriber must not see it
        assert webhooks.deliver_due(database, policy=FAST).outcomes == []
        clerk_b.move_in("越前　花子", kana="エチゼン　ハナコ")
        webhooks.deliver_due(database, policy=FAST)
        assert [e["source"] for e in rx.accepted] == [f"urn:lgcloud:municipality:{tenants.b}"]


def test_bad_subscription_input_is_refused(database, tenants) -> None:
    from lgcloud.errors import LgcloudError

    with database.session(tenants.a) as session:
        for kwargs in ({"url": "ftp://x"}, {"url": "http://127.0.0.1/x", "event_types": ["nope"]}):
            with pytest.raises(LgcloudError):
                subscriptions.create(session, tenants.a, name="x", actor="a", **{"url": "", **kwargs})


def test_the_signing_secret_is_stored_sealed(database, tenants) -> None:  # type: ignore[no-untyped-def]
    sub_id, secret = _subscribe(database, tenants.a, "https://kokuho.example.lg.jp/hook")
    with database.session(tenants.a) as session:
        stored = session.execute(
            select(subs_table.c.secret).where(subs_table.c.lg_code == tenants.a, subs_table.c.sub_id == sub_id)
        ).scalar_one()
    assert stored.startswith("sealed:v1:") and secret not in stored
    assert subscriptions.signing_secret(tenants.a, stored) == secret
    assert subscriptions.signing_secret(tenants.b, stored) is None  # bound to its municipality


def test_a_secret_sealed_under_another_key_fails_the_delivery_saying_why(database, tenants, clerk: Clerk) -> None:  # type: ignore[no-untyped-def]
    """The deployment's LGCLOUD_SECRET_KEY changed after the subscription was made: nothing is sent unsigned,
    the attempt fails with the reason, and the worker goes on."""
    with running(Receiver()) as rx:
        sub_id, rx.secret = _subscribe(database, tenants.a, rx.url)
        resealed = seal(rx.secret, purpose=subscriptions.SECRET_PURPOSE, lg_code=tenants.a,
                        secret_key="a-key-this-deployment-no-longer-has")
        with database.session(tenants.a) as session:
            session.execute(update(subs_table).where(subs_table.c.lg_code == tenants.a,
                                                     subs_table.c.sub_id == sub_id).values(secret=resealed))
        clerk.move_in()
        report = webhooks.deliver_due(database, policy=FAST)
        assert report.failed == 1 and rx.requests == 0
    (failed,) = _deliveries(database, tenants.a, state="pending")
    assert "LGCLOUD_SECRET_KEY" in failed["last_error"]
