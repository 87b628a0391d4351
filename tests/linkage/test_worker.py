"""The worker: one tick delivers webhooks, hands 転出 over to members and writes due 差分 files."""

from __future__ import annotations

import time
from pathlib import Path

from linkage_helpers import Clerk
from receiver import LOCAL, Receiver, running

from lgcloud.linkage import files, handoff, subscriptions, webhooks, worker
from lgcloud.residents.commands import MoveOut

POLICY = webhooks.RetryPolicy(destinations=LOCAL)


def test_one_tick_does_everything_due(database, tenants, clerk: Clerk, tmp_path: Path) -> None:
    with running(Receiver()) as rx:
        with database.session(tenants.a) as session:
            _, rx.secret = subscriptions.create(session, tenants.a, name="国保", url=rx.url, actor="admin")
            files.set_schedule(session, tenants.a, 10)
        family = clerk.move_in()
        clerk.do(MoveOut(atena_nos=[family.rows[0].atena_no], move_out_to="越前市府中1番", ido_date="2025-07-01"))
        summary = worker.tick(database, tmp_path, policy=POLICY)
        assert (summary.delivered, summary.handoffs, summary.files) == (2, 1, 1)
        assert len(rx.accepted) == 2
    with database.session(tenants.b) as session:
        assert [i["kind"] for i in handoff.list_items(session, tenants.b)] == [handoff.CERTIFICATE]
    nothing_left = worker.tick(database, tmp_path, policy=POLICY)
    assert nothing_left.__dict__ == worker.TickSummary().__dict__


def test_the_embedded_worker_runs_and_stops(database, tenants, clerk: Clerk, tmp_path: Path) -> None:
    with running(Receiver()) as rx:
        with database.session(tenants.a) as session:
            _, rx.secret = subscriptions.create(session, tenants.a, name="国保", url=rx.url, actor="admin")
        embedded = worker.start_embedded(database, tmp_path, interval=0.05, policy=POLICY)
        try:
            clerk.move_in()
            deadline = time.monotonic() + 30
            while not rx.accepted and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            embedded.stop()
        assert len(rx.accepted) == 1 and rx.rejected == []
        assert not embedded.thread.is_alive()


def test_the_deployment_setting_opens_networks_for_webhooks() -> None:
    assert worker.policy_for("").destinations.allow == ()
    assert [str(n) for n in worker.policy_for("127.0.0.1/32, ::1").destinations.allow] == ["127.0.0.1/32", "::1/128"]
