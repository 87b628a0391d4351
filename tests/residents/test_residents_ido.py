"""Scenario tests: every 異動 type and rule of §2.9, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

import pytest
from residents_desk import TODAY, Desk, family_persons
from sqlalchemy import func, select

from lgcloud.codes import is_valid_atena
from lgcloud.residents import errors, queries
from lgcloud.residents.commands import (
    AddressInput,
    Amend,
    Birth,
    Death,
    EntryByAuthority,
    HeadChange,
    HouseholdChange,
    HouseholdMerge,
    HouseholdSplit,
    MoveIn,
    MoveOut,
    MoveOutConfirm,
    MoveWithin,
    PersonInput,
    RemovalByAuthority,
)
from lgcloud.residents.model import HEAD, IdoClass, Status
from lgcloud.residents.models import history, ido, outbox
from lgcloud.tenancy.models import AuditEntry


def counts(desk: Desk) -> tuple[int, int, int, int]:
    with desk.db.session(desk.lg_code) as s:
        found = [
            s.execute(select(func.count()).select_from(t).where(t.c.lg_code == desk.lg_code)).scalar_one()
            for t in (history, ido, outbox)
        ]
        audit = s.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
        return found[0], found[1], found[2], audit


class Family(NamedTuple):
    setai: str  # 世帯番号
    head: str  # 宛名番号 of 世帯主, 妻, 子
    wife: str
    child: str


def nos(desk: Desk) -> Family:
    """転入 of the family."""
    rows = desk.family().rows
    return Family(rows[0].person.setai_no, rows[0].atena_no, rows[1].atena_no, rows[2].atena_no)


def single(desk: Desk, name: str = "佐藤　次郎", kana: str = "サトウ　ジロウ", **extra: object) -> str:
    person = PersonInput(
        shimei=name, shimei_kana=kana, birth_date="1990-07-07", sex="1", zokugara=HEAD, honseki="不明", **extra
    )  # type: ignore[arg-type]
    result = desk.do(MoveIn(ido_date="2025-05-01", persons=[person], address=AddressInput(address="新町2番地")))
    return result.rows[0].atena_no


# --- 転入 -----------------------------------------------------------------------------------------


def test_move_in_writes_rows_record_audit_and_events(desk: Desk) -> None:
    result = desk.family()
    setai, head, wife, child = (result.rows[0].person.setai_no, *(r.atena_no for r in result.rows))
    assert all(is_valid_atena(n, "skip") for n in (setai, head, wife, child))
    assert [r.rireki_no for r in result.rows] == [1, 1, 1]
    assert [m.person.zokugara for m in desk.members(setai)] == [HEAD, "妻", "子"]
    assert {m.person.head_name for m in desk.members(setai)} == {"山田　太郎"}
    record = result.ido
    assert (record.reason, record.reason_class, record.shori_date) == ("国内転入", IdoClass.ENTRY, TODAY)
    assert record.todokede_date == TODAY
    assert desk.person(head).person.became_resident_on.value == date(2025, 4, 1)
    assert desk.person(head).person.prev_address == "東京都千代田区千代田1番1号"
    assert counts(desk) == (3, 1, 3, 1)
    with desk.db.session(desk.lg_code) as s:
        events = s.execute(select(outbox).order_by(outbox.c.seq)).mappings().all()
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert {e["type"] for e in events} == {"jp.lgcloud.residents.tennyu"}
    assert [e["subject"] for e in events] == [head, wife, child]


def test_move_in_from_abroad_and_foreign_resident(desk: Desk) -> None:
    person = PersonInput(
        kind="2",
        shimei="ＳＭＩＴＨ　ＪＯＨＮ",
        alpha_name="SMITH JOHN",
        birth_date="1985-02-03",
        sex="1",
        zokugara=HEAD,
        nationality="アメリカ合衆国",
        foreign_status_kind="中長期在留者",
        residence_status="技術・人文知識・国際業務",
        stay_expires_on=date(2027, 3, 31),
        residence_card_no="AB12345678CD",
    )
    result = desk.do(MoveIn(origin="abroad", persons=[person], address=AddressInput(address="本町3番地")))
    row = desk.person(result.rows[0].atena_no)
    assert result.ido.reason == "国外転入等"
    assert row.person.became_foreign_resident_on is not None
    assert row.person.residence_card_no == "AB12345678CD"


def test_foreign_resident_needs_card_number(desk: Desk) -> None:
    person = PersonInput(
        kind="2",
        shimei="SMITH JOHN",
        birth_date="1985-02-03",
        sex="1",
        zokugara=HEAD,
        nationality="アメリカ合衆国",
        foreign_status_kind="中長期在留者",
    )
    with pytest.raises(errors.InvalidField) as exc:
        desk.do(MoveIn(persons=[person], address=AddressInput(address="本町3番地")))
    assert exc.value.field == "residence_card_no"


def test_future_ido_date_is_refused_and_changes_nothing(desk: Desk) -> None:
    with pytest.raises(errors.FutureIdoDate):
        desk.family(ido_date="2025-07-01")
    with pytest.raises(errors.NotifiedDateFuture):
        desk.family(todokede_date=date(2025, 7, 1))
    assert counts(desk) == (0, 0, 0, 0)


def test_new_household_needs_exactly_one_head(desk: Desk) -> None:
    persons = [p.model_copy(update={"zokugara": "子"}) for p in family_persons()]
    with pytest.raises(errors.InvalidHousehold):
        desk.family(persons=persons)


def test_invalid_zokugara_is_refused(desk: Desk) -> None:
    persons = family_persons()
    persons[2] = persons[2].model_copy(update={"zokugara": "孫"})
    with pytest.raises(errors.InvalidZokugara, match="孫"):
        desk.family(persons=persons)
    persons[2] = persons[2].model_copy(update={"zokugara": "子の子の子の子"})
    assert len(desk.family(persons=persons).rows) == 3


def test_bad_mynumber_check_digit_is_refused(desk: Desk) -> None:
    persons = family_persons()
    persons[0] = persons[0].model_copy(update={"mynumber": "123456789012"})
    with pytest.raises(errors.InvalidField) as exc:
        desk.family(persons=persons)
    assert exc.value.field == "mynumber"


# --- 再転入, 3情報 ----------------------------------------------------------------------------------


def test_reentry_is_detected_and_keeps_the_atena_number(desk: Desk) -> None:
    f = nos(desk)
    desk.do(MoveOut(ido_date="2025-06-01", atena_nos=[f.head, f.wife, f.child], move_out_to="東京都港区1"))
    with pytest.raises(errors.ReentryDetected) as exc:
        desk.family(ido_date="2025-06-20")
    assert exc.value.detail["atena_no"] == f.head
    persons = family_persons()
    persons[0] = persons[0].model_copy(update={"atena_no": f.head, "reentry": True})
    persons[1] = persons[1].model_copy(update={"atena_no": f.wife, "reentry": True})
    persons[2] = persons[2].model_copy(update={"atena_no": f.child, "reentry": True})
    result = desk.family(ido_date="2025-06-20", persons=persons)
    assert [r.atena_no for r in result.rows] == [f.head, f.wife, f.child]
    assert [r.rireki_no for r in result.rows] == [3, 3, 3]
    again = desk.person(f.head).person
    assert again.is_resident and again.removal_reason is None and again.setai_no != f.setai


def test_number_of_a_current_resident_blocks_move_in(desk: Desk) -> None:
    nos(desk)
    with pytest.raises(errors.AlreadyResident):
        single(desk, juminhyo_code="12345678903")


def test_same_three_info_raises_an_alert_until_confirmed(desk: Desk) -> None:
    single(desk)
    with pytest.raises(errors.PossibleDuplicate) as exc:
        single(desk)
    assert exc.value.status == 409
    assert single(desk, confirm_duplicate=True)


def test_three_info_matches_across_variant_characters(desk: Desk) -> None:
    single(desk, name="渡邊　次郎")
    with pytest.raises(errors.PossibleDuplicate):
        single(desk, name="渡辺　次郎")


# --- 転居 -----------------------------------------------------------------------------------------


def test_move_within_whole_household(desk: Desk) -> None:
    f = nos(desk)
    result = desk.do(
        MoveWithin(
            ido_date="2025-05-10",
            atena_nos=[f.head, f.wife, f.child],
            address=AddressInput(address="本町二丁目5番地", katagaki="サンハイツ101"),
        )
    )
    assert result.ido.reason == "転居"
    assert result.ido.reason_class is IdoClass.AMENDMENT
    person = desk.person(f.wife).person
    assert (person.setai_no, person.address, person.katagaki) == (f.setai, "本町二丁目5番地", "サンハイツ101")
    assert person.address_set_on.value == date(2025, 5, 10)
    assert person.became_resident_on.value == date(2025, 4, 1)
    assert [r.rireki_no for r in desk.history(f.wife)] == [1, 2]


def test_move_within_part_of_household_into_new_household(desk: Desk) -> None:
    f = nos(desk)
    result = desk.do(MoveWithin(atena_nos=[f.child], zokugara={f.child: HEAD}, address=AddressInput(address="新町9")))
    new_setai = desk.person(f.child).person.setai_no
    assert new_setai != f.setai and desk.person(f.child).person.is_head
    assert result.ido.command["new_setai_no"] == new_setai
    assert [m.atena_no for m in desk.members(f.setai)] == [f.head, f.wife]


# --- 転出 and the 世帯主 rule ------------------------------------------------------------------------


def test_move_out_may_be_planned_in_the_future(desk: Desk) -> None:
    f = nos(desk)
    desk.do(MoveOut(ido_date="2025-07-15", atena_nos=[f.head, f.wife, f.child], move_out_to="大阪府大阪市北区1"))
    person = desk.person(f.head).person
    assert person.status is Status.MOVED_OUT
    assert (person.move_out_planned_on, person.removal_reason) == (date(2025, 7, 15), "国内転出")
    with desk.db.session(desk.lg_code) as s:
        assert queries.state_at(s, desk.lg_code, f.head, date(2025, 7, 14)).person.is_resident  # type: ignore[union-attr]
        assert not queries.state_at(s, desk.lg_code, f.head, date(2025, 7, 15)).person.is_resident  # type: ignore[union-attr]


def test_head_leaving_with_two_remaining_is_blocked(desk: Desk) -> None:
    f = nos(desk)
    before = counts(desk)
    with pytest.raises(errors.HeadChangeRequired):
        desk.do(MoveOut(atena_nos=[f.head], move_out_to="東京都港区1"))
    assert counts(desk) == before
    desk.do(HeadChange(setai_no=f.setai, new_head=f.wife, zokugara={f.head: "夫", f.child: "子"}))
    desk.do(MoveOut(atena_nos=[f.head], move_out_to="東京都港区1"))
    assert [m.person.zokugara for m in desk.members(f.setai)] == [HEAD, "子"]


def test_head_leaving_with_one_remaining_makes_them_head(desk: Desk) -> None:
    f = nos(desk)
    desk.do(MoveOut(atena_nos=[f.child], move_out_to="東京都港区1"))
    result = desk.do(MoveOut(destination="abroad", atena_nos=[f.head], move_out_to="アメリカ合衆国"))
    assert result.ido.reason == "国外転出"
    assert [r.atena_no for r in result.rows] == [f.head, f.wife]
    remaining = desk.person(f.wife).person
    assert (remaining.zokugara, remaining.head_name) == (HEAD, "山田　花子")


def test_late_move_out_is_recorded_by_authority(desk: Desk) -> None:
    f = nos(desk)
    result = desk.do(
        MoveOut(
            ido_date="2025-06-01",
            todokede_date=date(2025, 6, 20),
            atena_nos=[f.head, f.wife, f.child],
            move_out_to="東京都港区1",
        )
    )
    assert "職権" in (result.ido.note or "")


def test_move_in_notice_confirms_the_move_out(desk: Desk) -> None:
    f = nos(desk)
    desk.do(MoveOut(ido_date="2025-06-25", atena_nos=[f.head, f.wife, f.child], move_out_to="東京都港区1"))
    desk.do(MoveOutConfirm(atena_no=f.head, move_in_date=date(2025, 6, 20), confirmed_to="東京都港区芝1"))
    person = desk.person(f.head).person
    assert person.removed_on is not None and person.removed_on.value == date(2025, 6, 20)
    assert (person.move_out_on, person.move_out_confirmed_to) == (date(2025, 6, 20), "東京都港区芝1")
    with pytest.raises(errors.NotAResident):
        desk.do(MoveOutConfirm(atena_no=single(desk), move_in_date=date(2025, 6, 20)))


# --- 世帯 ------------------------------------------------------------------------------------------


def test_household_split_and_merge(desk: Desk) -> None:
    f = nos(desk)
    split = desk.do(HouseholdSplit(atena_nos=[f.child], zokugara={f.child: HEAD}))
    new_setai = split.ido.command["new_setai_no"]
    assert split.ido.reason == "世帯分離"
    assert desk.person(f.child).person.setai_no == new_setai
    assert desk.person(f.child).person.address == desk.person(f.head).person.address
    merge = desk.do(HouseholdMerge(from_setai_no=new_setai, to_setai_no=f.setai, zokugara={f.child: "子"}))
    assert merge.ido.reason == "世帯合併"
    assert [m.atena_no for m in desk.members(f.setai)] == [f.head, f.wife, f.child]
    assert desk.members(new_setai) == []


def test_split_of_the_whole_household_is_refused(desk: Desk) -> None:
    f = nos(desk)
    with pytest.raises(errors.InvalidHousehold):
        desk.do(
            HouseholdSplit(atena_nos=[f.head, f.wife, f.child], zokugara={f.head: HEAD, f.wife: "妻", f.child: "子"})
        )


def test_household_change_moves_a_member_to_another_household(desk: Desk) -> None:
    f = nos(desk)
    other = single(desk)
    other_setai = desk.person(other).person.setai_no
    result = desk.do(HouseholdChange(atena_nos=[f.child], to_setai_no=other_setai, zokugara={f.child: "同居人"}))
    assert result.ido.reason == "世帯変更"
    moved = desk.person(f.child).person
    assert (moved.setai_no, moved.zokugara, moved.head_name, moved.household_order) == (
        other_setai,
        "同居人",
        "佐藤　次郎",
        2,
    )


def test_head_change_needs_every_members_zokugara(desk: Desk) -> None:
    f = nos(desk)
    with pytest.raises(errors.InvalidHousehold):
        desk.do(HeadChange(setai_no=f.setai, new_head=f.wife, zokugara={f.head: "夫"}))
    result = desk.do(HeadChange(setai_no=f.setai, new_head=f.wife, zokugara={f.head: "夫", f.child: "子"}))
    assert result.ido.reason == "世帯主変更"
    assert {m.person.head_name for m in desk.members(f.setai)} == {"山田　花子"}


# --- 出生, 死亡, 職権 --------------------------------------------------------------------------------


def test_birth_joins_the_household(desk: Desk) -> None:
    f = nos(desk)
    baby = PersonInput(
        shimei="山田　二郎",
        shimei_kana="やまだ　じろう",
        birth_date="令和7年6月1日",
        sex="1",
        zokugara="子",
        honseki="福井県鯖江市本町1",
        hittosha="山田　太郎",
    )
    result = desk.do(Birth(to_setai_no=f.setai, person=baby))
    row = desk.person(result.rows[0].atena_no)
    assert result.ido.reason == "出生"
    assert row.valid_from == date(2025, 6, 1)
    assert row.person.shimei_kana == "ヤマダ　ジロウ"
    assert (row.person.address, row.person.household_order) == ("本町一丁目1番地", 4)
    assert row.person.became_resident_on.value == date(2025, 6, 1)


def test_death_of_the_head_with_one_member_left(desk: Desk) -> None:
    f = nos(desk)
    desk.do(MoveOut(atena_nos=[f.child], move_out_to="東京都港区1"))
    result = desk.do(Death(atena_no=f.head, ido_date="令和7年6月10日"))
    assert desk.person(f.head).person.status is Status.DECEASED
    assert result.ido.reason_class is IdoClass.REMOVAL
    assert desk.person(f.wife).person.is_head
    with pytest.raises(errors.NotAResident):
        desk.do(Death(atena_no=f.head))


def test_entry_and_removal_by_authority(desk: Desk) -> None:
    person = PersonInput(shimei="鈴木　一", birth_date="年月日不詳", sex="1", zokugara=HEAD, honseki="不明")
    entry = desk.do(
        EntryByAuthority(
            persons=[person], address=AddressInput(address="本町5"), prev_address="福井県福井市1", unreported=True
        )
    )
    atena = entry.rows[0].atena_no
    row = desk.person(atena).person
    assert row.prev_address == "福井県福井市1（未届）"
    assert row.birth_date.text == "年月日不詳" and row.birth_date.value is None
    removal = desk.do(RemovalByAuthority(atena_nos=[atena], note="実態調査により居住の事実なし"))
    assert removal.ido.reason == "職権消除"
    assert desk.person(atena).person.status is Status.REMOVED


# --- 修正 -----------------------------------------------------------------------------------------


def test_clerical_error_correction_appends_and_keeps_the_wrong_row(desk: Desk) -> None:
    f = nos(desk)
    result = desk.do(
        Amend(reason="誤記修正", atena_no=f.child, changes={"birth_date": "平成22年5月16日"}, corrects_rireki_no=1)
    )
    rows = desk.history(f.child)
    assert [r.rireki_no for r in rows] == [1, 2]
    assert rows[0].person.birth_date.value == date(2010, 5, 6)
    assert rows[1].person.birth_date.value == date(2010, 5, 16)
    assert "履歴番号 1" in (result.ido.note or "")


def test_amend_reasons_limit_the_items(desk: Desk) -> None:
    f = nos(desk)
    with pytest.raises(errors.InvalidField):
        desk.do(Amend(reason="軽微な修正", atena_no=f.head, changes={"birth_date": "1980-01-01"}))
    desk.do(Amend(reason="軽微な修正", atena_no=f.head, changes={"address": "本町一丁目1番地1"}))
    desk.do(Amend(reason="旧氏の記載", atena_no=f.wife, changes={"kyushi": "佐藤", "kyushi_kana": "サトウ"}))
    assert desk.person(f.wife).person.kyushi == "佐藤"
    desk.do(Amend(reason="旧氏の削除", atena_no=f.wife, changes={"kyushi": None}))
    assert desk.person(f.wife).person.kyushi is None
    with pytest.raises(errors.InvalidField):
        desk.do(Amend(reason="職権修正", atena_no=f.head, changes={"sex": "1"}))  # nothing changes


def test_head_name_change_reaches_every_member(desk: Desk) -> None:
    f = nos(desk)
    result = desk.do(Amend(reason="職権修正", atena_no=f.head, changes={"shimei": "山田　太朗"}))
    assert [r.atena_no for r in result.rows] == [f.head, f.wife, f.child]
    assert {m.person.head_name for m in desk.members(f.setai)} == {"山田　太朗"}


def test_concurrent_update_is_detected(desk: Desk) -> None:
    f = nos(desk)
    desk.do(Amend(reason="職権修正", atena_no=f.head, changes={"remarks": "メモ"}))
    with pytest.raises(errors.ConcurrentUpdate):
        desk.do(Amend(reason="職権修正", atena_no=f.head, changes={"remarks": "別"}), expected={f.head: 1})


def test_an_ido_that_changes_nothing_is_refused(desk: Desk) -> None:
    f = nos(desk)
    with pytest.raises(errors.InvalidField, match="変わる項目"):
        desk.do(HeadChange(setai_no=f.setai, new_head=f.head, zokugara={f.wife: "妻", f.child: "子"}))
