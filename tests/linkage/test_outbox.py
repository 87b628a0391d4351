"""No event without its change, no change without its event: faults injected between the two."""

from __future__ import annotations

import random

import pytest
from linkage_helpers import Clerk, history_count, outbox_count
from scenarios import random_command
from sqlalchemy import select

from lgcloud.errors import LgcloudError
from lgcloud.residents import services
from lgcloud.residents.models import history, outbox


class Fault(Exception):
    pass


def test_a_fault_while_publishing_writes_nothing(database, tenants, clerk: Clerk, monkeypatch) -> None:
    clerk.move_in()
    before = (history_count(database, tenants.a), outbox_count(database, tenants.a))

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise Fault("outbox unavailable")

    monkeypatch.setattr(services, "_publish", broken)
    with pytest.raises(Fault):
        clerk.move_in("鈴木　一", kana="スズキ　ハジメ", others=2)
    assert (history_count(database, tenants.a), outbox_count(database, tenants.a)) == before


def test_a_fault_after_some_events_writes_nothing(database, tenants, clerk: Clerk, monkeypatch) -> None:
    """The 2nd of three events fails: the 1st event and all three history rows go too."""
    original = services._publish

    def half(registry, record, rows):  # type: ignore[no-untyped-def]
        original(registry, record, rows[:1])
        raise Fault("died between two outbox rows")

    monkeypatch.setattr(services, "_publish", half)
    with pytest.raises(Fault):
        clerk.move_in(others=2)
    assert (history_count(database, tenants.a), outbox_count(database, tenants.a)) == (0, 0)


def test_a_fault_after_the_events_before_commit_writes_nothing(database, tenants, clerk: Clerk) -> None:
    with pytest.raises(Fault), database.session(tenants.a) as session:
        services.record_ido(session, tenants.a, clerk.actor, random_command(random.Random(1), clerk, None),
                            today=clerk.today)  # fmt: skip
        assert session.execute(select(outbox)).first() is not None  # the events are written …
        raise Fault("commit never happens")  # … and vanish with the change
    assert (history_count(database, tenants.a), outbox_count(database, tenants.a)) == (0, 0)


def test_every_change_has_exactly_its_event_under_random_faults(database, tenants, clerk: Clerk, monkeypatch) -> None:
    rng = random.Random(42)
    original = services._publish

    def sometimes(registry, record, rows):  # type: ignore[no-untyped-def]
        cut = rng.randint(0, len(rows))
        original(registry, record, rows[:cut])
        if rng.random() < 0.3:
            raise Fault("injected between the change and (part of) its events")
        original(registry, record, rows[cut:])

    monkeypatch.setattr(services, "_publish", sometimes)
    faults = 0
    for _ in range(40):
        try:
            clerk.do(random_command(rng, clerk, None))
        except Fault:
            faults += 1
        except LgcloudError:
            pass
    assert faults > 0
    with database.session(tenants.a) as session:
        events = _events(session, tenants.a)
        rows = session.execute(select(history.c.atena_no, history.c.rireki_no)
                               .where(history.c.lg_code == tenants.a)).all()  # fmt: skip
    keys = [(e["subject"], e["payload"]["rireki_no"]) for e in events]
    assert sorted(keys) == sorted((a, r) for a, r in rows)  # a bijection: one event per history row
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))  # gap-free


def _events(session, lg_code: str) -> list[dict]:  # type: ignore[no-untyped-def]
    stmt = select(outbox).where(outbox.c.lg_code == lg_code).order_by(outbox.c.seq)
    return [dict(m) for m in session.execute(stmt).mappings()]
