"""団体間: 転出 at A → 転出証明書情報 in B's inbox → 特例転入 at B → 転入通知 → 除票 確定 at A."""

from __future__ import annotations

import json
from datetime import date

import pytest
from linkage_helpers import IVS_MEI, IVS_SEI, TODAY, Clerk, person, registry_state
from sqlalchemy import select

from lgcloud.errors import Conflict
from lgcloud.linkage import handoff
from lgcloud.residents.commands import AddressInput, MoveIn, MoveOut
from lgcloud.residents.models import history
from lgcloud.residents.services import Actor

DEST_ADDRESS = "福井県越前市府中一丁目1番1号"


def _family_moves_out(clerk: Clerk) -> tuple[list[str], str]:
    """A 3-person family at A; the 世帯主 and one child move to B, one child stays."""
    persons = [
        person(f"{IVS_SEI}　太郎", "カツラギ　タロウ", "昭和55年1月2日", "世帯主", mynumber="123456789018"),
        person(f"{IVS_SEI}　{IVS_MEI}", "カツラギ　ナベコ", "平成22年5月6日", "子"),
        person(f"{IVS_SEI}　次郎", "カツラギ　ジロウ", "平成24年7月8日", "子"),
    ]
    result = clerk.do(
        MoveIn(
            ido_date="2025-04-01",
            persons=persons,
            address=AddressInput(address="本町一丁目1番地", katagaki="鯖江ハイツ101"),
        )
    )
    movers = [result.rows[0].atena_no, result.rows[1].atena_no]
    clerk.do(MoveOut(atena_nos=movers, move_out_to=DEST_ADDRESS, ido_date="2025-07-10"))
    return movers, result.rows[2].atena_no


def test_move_out_to_a_member_is_completed_there_and_confirmed_back(database, tenants, clerk, clerk_b) -> None:
    movers, stays = _family_moves_out(clerk)
    assert handoff.scan(database, tenants.a) == 1
    assert handoff.scan(database, tenants.a) == 0  # idempotent: the cursor moved, the ref is unique
    with database.session(tenants.b) as session:
        (item,) = handoff.list_items(session, tenants.b)
    assert (item["kind"], item["from_lg_code"], item["state"]) == (handoff.CERTIFICATE, tenants.a, "received")
    payload = item["payload"]
    assert [m["元宛名番号"] for m in payload["異動者"]] == movers
    assert stays not in json.dumps(payload, ensure_ascii=False)  # only the movers travel
    assert payload["異動者"][1]["入力"]["shimei"] == f"{IVS_SEI}　{IVS_MEI}"
    assert payload["前住所"]["表記"] == "福井県鯖江市本町一丁目1番地"

    outcome = handoff.complete(
        database,
        tenants.b,
        item["item_id"],
        handoff.Completion(address=AddressInput(address="府中一丁目1番1号"), ido_date="2025-06-28"),
        actor=Actor("clerk-b"),
        today=TODAY,
    )
    new_nos = outcome["宛名番号"]
    state_b = registry_state(database, tenants.b)
    assert state_b[new_nos[movers[0]]][1] == f"{IVS_SEI}　太郎"  # characters intact, mapped person to person
    assert state_b[new_nos[movers[1]]][1] == f"{IVS_SEI}　{IVS_MEI}"
    with database.session(tenants.b) as session:
        rows = session.execute(select(history).where(history.c.lg_code == tenants.b)).mappings().all()
    head = next(r for r in rows if r["atena_no"] == new_nos[movers[0]])
    assert head["prev_address"] == "福井県鯖江市本町一丁目1番地"
    assert head["mynumber"] == "123456789018" and head["birth_date"] == date(1980, 1, 2)

    # The 転入通知 came back to A: 除票 確定 at the 転入日, the one who stayed untouched.
    state_a = registry_state(database, tenants.a)
    assert {state_a[a][3] for a in movers} == {"転出"}
    assert state_a[stays][3] == "住民"
    with database.session(tenants.a) as session:
        (notice,) = handoff.list_items(session, tenants.a)
        confirmed = (
            session.execute(
                select(history)
                .where(history.c.lg_code == tenants.a, history.c.atena_no == movers[0])
                .order_by(history.c.rireki_no.desc())
            )
            .mappings()
            .first()
        )
    assert (notice["kind"], notice["state"]) == (handoff.NOTICE, "applied")
    assert set(notice["result"].values()) == {"applied"}
    assert confirmed["move_out_on"] == date(2025, 6, 28)
    assert confirmed["removed_on"] == date(2025, 6, 28)  # min(転出予定日, 転入日)
    assert confirmed["move_out_confirmed_to"] == "福井県越前市府中一丁目1番1号"
    assert set(notice["payload"]) == {"転入先", "転入日", "転入先住所", "異動者"}  # B's own numbers stay at B
    assert notice["payload"]["異動者"] == movers

    # Nothing happens twice.
    assert handoff.notify(database, tenants.b, today=TODAY) == 0
    with pytest.raises(Conflict):
        handoff.complete(
            database,
            tenants.b,
            item["item_id"],
            handoff.Completion(address=AddressInput(address="府中1番")),
            actor=Actor("clerk-b"),
            today=TODAY,
        )


def test_move_out_elsewhere_creates_nothing(database, tenants, clerk) -> None:
    result = clerk.move_in()
    clerk.do(MoveOut(atena_nos=[result.rows[0].atena_no], move_out_to="東京都港区芝公園1丁目1番"))
    assert handoff.scan(database, tenants.a) == 0
    with database.session(tenants.b) as session:
        assert handoff.list_items(session, tenants.b) == []


def test_the_municipality_the_clerk_names_wins_over_the_address(database, tenants, clerk) -> None:  # type: ignore[no-untyped-def]
    """A 転出先 named by its 団体コード: the handoff goes there though the address text names no member; a code
    outside the group sends nothing, even when the address names a member."""
    first, second = clerk.move_in(), clerk.move_in("佐藤　花子", kana="サトウ　ハナコ")
    clerk.do(MoveOut(atena_nos=[first.rows[0].atena_no], move_out_to="府中1番（住所の書き方が不十分）",
                     move_out_to_lg_code=tenants.b))
    clerk.do(MoveOut(atena_nos=[second.rows[0].atena_no], move_out_to="福井県越前市府中1番",
                     move_out_to_lg_code="131032"))
    assert handoff.scan(database, tenants.a) == 1
    with database.session(tenants.b) as session:
        (item,) = handoff.list_items(session, tenants.b)
    assert item["payload"]["転出先団体コード"] == tenants.b
    assert [p["元宛名番号"] for p in item["payload"]["異動者"]] == [first.rows[0].atena_no]


def test_destination_is_recognised_with_or_without_the_prefecture() -> None:
    members = [handoff.Member("182095", "福井県", "越前市"), handoff.Member("182010", "福井県", "福井市")]
    assert handoff.destination("福井県越前市府中1", members).lg_code == "182095"  # type: ignore[union-attr]
    assert handoff.destination("越前市府中1", members).lg_code == "182095"  # type: ignore[union-attr]
    assert handoff.destination("福井県越前町", members) is None
    assert handoff.destination(None, members) is None


def test_a_name_two_members_share_sends_nothing_without_the_prefecture() -> None:
    members = [handoff.Member("012335", "北海道", "伊達市"), handoff.Member("072133", "福島県", "伊達市")]
    assert handoff.destination("伊達市梁川町1", members) is None
    assert handoff.destination("福島県伊達市梁川町1", members).lg_code == "072133"  # type: ignore[union-attr]


def test_neither_side_reads_the_other_registry(pg_database, pg_tenants) -> None:
    """Row-level security: a transaction for B sees none of A's registry, and cannot write A's inbox."""
    a, b = Clerk(pg_database, pg_tenants.a), Clerk(pg_database, pg_tenants.b)
    a.move_in()
    b.move_in("越前　花子", kana="エチゼン　ハナコ")
    with pg_database.session(pg_tenants.b) as session:
        assert session.execute(select(history).where(history.c.lg_code == pg_tenants.a)).first() is None
        assert session.execute(select(history)).mappings().all()[0]["lg_code"] == pg_tenants.b
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError), pg_database.session(pg_tenants.b) as session:
        handoff._deliver(session, pg_tenants.a, handoff.NOTICE, pg_tenants.b, "forged", {})


def test_a_crash_between_the_two_sides_neither_loses_nor_doubles(database, tenants, clerk, monkeypatch) -> None:
    movers, _ = _family_moves_out(clerk)
    real_set_cursor = handoff.set_cursor

    def crash(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("worker killed after B's inbox was written, before A's cursor moved")

    monkeypatch.setattr(handoff, "set_cursor", crash)
    with pytest.raises(RuntimeError):
        handoff.scan(database, tenants.a)
    monkeypatch.setattr(handoff, "set_cursor", real_set_cursor)
    assert handoff.scan(database, tenants.a) == 0  # already delivered: not again
    with database.session(tenants.b) as session:
        (item,) = handoff.list_items(session, tenants.b)

    real_apply = handoff._apply_notice
    calls = []

    def apply_then_crash(*args, **kwargs):  # type: ignore[no-untyped-def]
        real_apply(*args, **kwargs)
        calls.append(1)
        raise RuntimeError("killed after A applied the 転入通知, before B marked it sent")

    monkeypatch.setattr(handoff, "_apply_notice", apply_then_crash)
    completion = handoff.Completion(address=AddressInput(address="府中1番"))
    handoff.complete(database, tenants.b, item["item_id"], completion, actor=Actor("clerk-b"), today=TODAY)
    monkeypatch.setattr(handoff, "_apply_notice", real_apply)
    assert calls == [1]
    assert handoff.notify(database, tenants.b, today=TODAY) == 1  # resent …
    with database.session(tenants.a) as session:
        notices = handoff.list_items(session, tenants.a)
        confirms = session.execute(
            select(history.c.atena_no).where(history.c.lg_code == tenants.a, history.c.move_in_notice_on.isnot(None))
        ).all()
    assert len(notices) == 1  # … but applied once
    assert sorted({r[0] for r in confirms}) == sorted(movers) and len(confirms) == len(movers)
    assert handoff.notify(database, tenants.b, today=TODAY) == 0
