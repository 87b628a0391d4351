"""The 連携 pages: the admin's subscriptions and dead letters, the clerk's 団体間 inbox."""

from __future__ import annotations

from datetime import timedelta

from linkage_helpers import IVS_SEI, Clerk, registry_state
from receiver import LOCAL

from lgcloud.db.base import utcnow
from lgcloud.linkage import handoff, webhooks
from lgcloud.residents.commands import MoveOut

FAST = webhooks.RetryPolicy(base_seconds=1, max_attempts=2, timeout_seconds=2, destinations=LOCAL)


def test_admin_sees_dead_letters_and_can_requeue(app, database, tenants, clerk: Clerk, login_as) -> None:
    admin = login_as("admin")
    page = admin.post(
        f"/m/{tenants.a}/linkage/subscriptions",
        data={"name": "国保", "url": "http://127.0.0.1:9/hook", "csrf_token": admin.csrf_token},
    )
    assert page.status_code == 200 and "whsec_" in page.text  # the secret, shown once
    assert "whsec_" not in admin.get(f"/m/{tenants.a}/linkage").text
    clerk.move_in()
    now = utcnow()
    webhooks.deliver_due(database, now, policy=FAST)
    webhooks.deliver_due(database, now + timedelta(minutes=1), policy=FAST)
    listing = admin.get(f"/m/{tenants.a}/linkage")
    assert "配信不能" in listing.text and "ConnectError" in listing.text
    requeued = admin.post(
        f"/m/{tenants.a}/linkage/subscriptions/1/retry-dead", data={"csrf_token": admin.csrf_token},
        follow_redirects=False,
    )  # fmt: skip
    assert requeued.status_code == 303
    assert "配信不能のイベントはありません" in admin.get(f"/m/{tenants.a}/linkage").text
    assert login_as("clerk").get(f"/m/{tenants.a}/linkage").status_code == 403
    no_csrf = admin.post(f"/m/{tenants.a}/linkage/subscriptions/1/pause", headers={"X-CSRF-Token": ""})
    assert no_csrf.status_code == 403


def test_clerk_completes_a_move_in_from_the_inbox(app, database, tenants, clerk: Clerk, login_as) -> None:
    family = clerk.move_in(f"{IVS_SEI}　太郎", kana="カツラギ　タロウ")
    clerk.do(MoveOut(atena_nos=[family.rows[0].atena_no], move_out_to="越前市府中1番", ido_date="2025-07-01"))
    handoff.scan(database, tenants.a)
    clerk_b = login_as("clerk", tenants.b)
    inbox = clerk_b.get(f"/m/{tenants.b}/linkage/inbox")
    assert f"{IVS_SEI}　太郎" in inbox.text
    item = clerk_b.get(f"/m/{tenants.b}/linkage/inbox/1")
    assert "転入（特例転入）を処理する" in item.text
    bad = clerk_b.post(f"/m/{tenants.b}/linkage/inbox/1/complete", data={"csrf_token": clerk_b.csrf_token})
    assert bad.status_code == 200 and "入力内容に誤りがあります" in bad.text
    done = clerk_b.post(
        f"/m/{tenants.b}/linkage/inbox/1/complete",
        data={"address": "府中一丁目1番", "csrf_token": clerk_b.csrf_token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert f"{IVS_SEI}　太郎" in {v[1] for v in registry_state(database, tenants.b).values()}
    assert login_as("clerk").get(f"/m/{tenants.b}/linkage/inbox").status_code == 404  # A cannot look into B
