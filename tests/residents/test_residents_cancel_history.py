"""異動の取消し (増 / 減 / 修正), state at past dates, outbox order, append-only grants."""

from __future__ import annotations

from datetime import date

import pytest
from residents_desk import Desk
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from lgcloud.db import Database
from lgcloud.residents import errors, queries
from lgcloud.residents.commands import AddressInput, Cancel, HouseholdSplit, MoveOut, MoveWithin
from lgcloud.residents.model import HEAD, Status
from lgcloud.residents.models import outbox


def test_cancel_of_a_move_in_is_a_decrease(desk: Desk) -> None:
    moved_in = desk.family()
    result = desk.do(Cancel(target_ido_id=moved_in.ido.ido_id))
    assert result.ido.reason == "異動の取消し（減）"
    assert result.ido.cancels_ido_id == moved_in.ido.ido_id
    for row in moved_in.rows:
        person = desk.person(row.atena_no)
        assert person.rireki_no == 2
        assert (person.person.status, person.person.removal_reason) == (Status.REMOVED, "異動の取消し（減）")


def test_cancel_of_a_move_out_is_an_increase_restoring_the_household(desk: Desk) -> None:
    rows = desk.family().rows
    setai, head, wife, child = rows[0].person.setai_no, *(r.atena_no for r in rows)
    desk.do(MoveOut(atena_nos=[child], move_out_to="東京都港区1"))
    moved_out = desk.do(MoveOut(atena_nos=[head], move_out_to="東京都港区1"))  # wife becomes 世帯主
    assert desk.person(wife).person.is_head
    result = desk.do(Cancel(target_ido_id=moved_out.ido.ido_id))
    assert result.ido.reason == "異動の取消し（増）"
    assert [m.atena_no for m in desk.members(setai)] == [head, wife]
    assert [m.person.zokugara for m in desk.members(setai)] == [HEAD, "妻"]
    assert desk.person(head).person.status is Status.RESIDENT


def test_cancel_of_a_move_within_is_a_correction_restoring_the_address(desk: Desk) -> None:
    rows = desk.family().rows
    atena_nos = [r.atena_no for r in rows]
    moved = desk.do(MoveWithin(ido_date="2025-05-01", atena_nos=atena_nos, address=AddressInput(address="新町1")))
    result = desk.do(Cancel(target_ido_id=moved.ido.ido_id))
    assert result.ido.reason == "異動の取消し（修正）"
    assert desk.person(atena_nos[0]).person.address == "本町一丁目1番地"
    history = desk.history(atena_nos[0])
    assert [r.person.address for r in history] == ["本町一丁目1番地", "新町1", "本町一丁目1番地"]
    with desk.db.session(desk.lg_code) as s:  # the cancelled 転居 never took effect
        assert queries.state_at(s, desk.lg_code, atena_nos[0], date(2025, 5, 2)).person.address == "本町一丁目1番地"  # type: ignore[union-attr]


def test_only_the_latest_ido_can_be_cancelled(desk: Desk) -> None:
    rows = desk.family().rows
    atena_nos = [r.atena_no for r in rows]
    moved = desk.do(MoveWithin(atena_nos=atena_nos, address=AddressInput(address="新町1")))
    desk.do(HouseholdSplit(atena_nos=[atena_nos[2]], zokugara={atena_nos[2]: HEAD}))
    with pytest.raises(errors.CancelNotAllowed):
        desk.do(Cancel(target_ido_id=moved.ido.ido_id))
    cancel = desk.do(Cancel(target_ido_id=moved.ido.ido_id + 1))
    with pytest.raises(errors.CancelNotAllowed):
        desk.do(Cancel(target_ido_id=cancel.ido.ido_id))


def test_state_at_a_past_date(desk: Desk) -> None:
    rows = desk.family().rows  # 2025-04-01
    setai, head, child = rows[0].person.setai_no, rows[0].atena_no, rows[2].atena_no
    desk.do(
        MoveWithin(ido_date="2025-05-01", atena_nos=[r.atena_no for r in rows], address=AddressInput(address="新町1"))
    )
    desk.do(HouseholdSplit(ido_date="2025-06-01", atena_nos=[child], zokugara={child: HEAD}))
    with desk.db.session(desk.lg_code) as s:
        assert queries.state_at(s, desk.lg_code, head, date(2025, 3, 31)) is None
        assert queries.state_at(s, desk.lg_code, head, date(2025, 4, 30)).person.address == "本町一丁目1番地"  # type: ignore[union-attr]
        assert queries.state_at(s, desk.lg_code, head, date(2025, 5, 1)).person.address == "新町1"  # type: ignore[union-attr]
        assert len(queries.household_at(s, desk.lg_code, setai, date(2025, 5, 31))) == 3
        assert len(queries.household_at(s, desk.lg_code, setai, date(2025, 6, 1))) == 2


def test_ido_date_before_the_latest_ido_is_refused(desk: Desk) -> None:
    rows = desk.family().rows
    with pytest.raises(errors.IdoDateBeforeLatest):
        desk.do(
            MoveWithin(
                ido_date="2025-03-01", atena_nos=[r.atena_no for r in rows], address=AddressInput(address="新町1")
            )
        )


def test_outbox_seq_is_gap_free_across_a_refused_ido(desk: Desk) -> None:
    rows = desk.family().rows
    with pytest.raises(errors.HeadChangeRequired):
        desk.do(MoveOut(atena_nos=[rows[0].atena_no], move_out_to="東京都港区1"))
    desk.do(MoveWithin(atena_nos=[r.atena_no for r in rows], address=AddressInput(address="新町1")))
    with desk.db.session(desk.lg_code) as s:
        seqs = s.execute(select(outbox.c.seq).order_by(outbox.c.seq)).scalars().all()
    assert seqs == [1, 2, 3, 4, 5, 6]


def test_other_municipality_sees_nothing(desk: Desk) -> None:
    rows = desk.family().rows
    other = Desk(desk.db, lg_code="182095")
    with other.db.session(other.lg_code) as s:
        assert queries.current_rows(s, other.lg_code, [rows[0].atena_no]) == []


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
@pytest.mark.parametrize("table", ["residents_history", "residents_ido", "residents_outbox"])
@pytest.mark.parametrize("statement", ["UPDATE {t} SET lg_code = lg_code", "DELETE FROM {t}"])
def test_app_role_cannot_change_history(database: Database, table: str, statement: str) -> None:
    desk = Desk(database)
    head = desk.family().rows[0].atena_no
    with pytest.raises(DBAPIError, match="permission denied"), database.session(desk.lg_code) as s:
        s.execute(text(statement.format(t=table)))
    assert len(desk.history(head)) == 1
