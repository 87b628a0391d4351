"""Property: for any sequence of 異動 (accepted or refused), replaying the 異動 records rebuilds the history.

Refused 異動 must leave no trace; accepted ones must be reproducible from their record alone. Each
example uses its own municipality code, so examples share the database without seeing each other.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from residents_desk import Desk

from lgcloud.db import Database
from lgcloud.errors import LgcloudError
from lgcloud.residents import queries
from lgcloud.residents.commands import (
    AddressInput,
    Amend,
    Birth,
    Cancel,
    Death,
    HeadChange,
    HouseholdChange,
    HouseholdMerge,
    HouseholdSplit,
    MoveIn,
    MoveOut,
    MoveWithin,
    PersonInput,
)
from lgcloud.residents.model import HEAD
from lgcloud.residents.replay import replay

_codes = itertools.count(100000)
NAMES = ["山田", "渡邊", "髙橋", "佐藤"]
GIVEN = ["太郎", "花子", "一郎", "美咲"]
ZOKUGARA = ["妻", "子", "父", "母", "同居人", "子の子"]


def person(draw: st.DrawFn, zokugara: str) -> PersonInput:
    return PersonInput(
        shimei=f"{draw(st.sampled_from(NAMES))}　{draw(st.sampled_from(GIVEN))}",
        shimei_kana="テスト　タロウ",
        birth_date=draw(st.sampled_from(["昭和50年1月1日", "1990-02-03", "平成12年2月29日", "令和元年頃"])),
        sex=draw(st.sampled_from(["1", "2"])),
        zokugara=zokugara,
        honseki="不明",
        confirm_duplicate=True,
    )


def command(draw: st.DrawFn, desk: Desk, last_ido: int) -> object:
    with desk.db.session(desk.lg_code) as s:
        rows = queries.all_current(s, desk.lg_code)
    residents = [r for r in rows if r.person.is_resident]
    kinds = ["move_in"] + (
        ["move_within", "move_out", "split", "merge", "change", "head", "birth", "death", "amend", "cancel"]
        if residents
        else []
    )
    kind = draw(st.sampled_from(kinds))
    if kind == "move_in":
        n = draw(st.integers(1, 3))
        persons = [person(draw, HEAD)] + [person(draw, draw(st.sampled_from(ZOKUGARA))) for _ in range(n - 1)]
        return MoveIn(persons=persons, address=AddressInput(address=f"本町{draw(st.integers(1, 9))}"))
    if kind == "cancel":
        return Cancel(target_ido_id=draw(st.integers(1, max(last_ido, 1))))
    some = draw(st.lists(st.sampled_from(residents), min_size=1, max_size=2, unique_by=lambda r: r.atena_no))
    target = some[0]
    setai = target.person.setai_no
    others = sorted({r.person.setai_no for r in residents} - {setai})
    zoku = {r.atena_no: draw(st.sampled_from([HEAD, *ZOKUGARA])) for r in residents}
    match kind:
        case "move_within":
            members = [r.atena_no for r in residents if r.person.setai_no == setai]
            return MoveWithin(
                atena_nos=members if draw(st.booleans()) else [target.atena_no],
                zokugara=zoku,
                address=AddressInput(address="港町1"),
            )
        case "move_out":
            return MoveOut(atena_nos=[r.atena_no for r in some], move_out_to="東京都港区1")
        case "split":
            return HouseholdSplit(atena_nos=[target.atena_no], zokugara={target.atena_no: HEAD})
        case "merge" | "change" if others:
            to = draw(st.sampled_from(others))
            if kind == "merge":
                return HouseholdMerge(from_setai_no=setai, to_setai_no=to, zokugara=zoku)
            return HouseholdChange(atena_nos=[target.atena_no], to_setai_no=to, zokugara=zoku)
        case "head":
            return HeadChange(setai_no=setai, new_head=target.atena_no, zokugara=zoku)
        case "birth":
            return Birth(to_setai_no=setai, person=person(draw, "子").model_copy(update={"birth_date": "2020-01-01"}))
        case "death":
            return Death(atena_no=target.atena_no)
        case _:
            return Amend(reason="誤記修正", atena_no=target.atena_no, changes={"shimei": "修正　後"})


def assert_replay_matches(desk: Desk) -> None:
    with desk.db.session(desk.lg_code) as s:
        records = queries.all_ido(s, desk.lg_code)
        stored = {
            r.atena_no: queries.history_rows(s, desk.lg_code, r.atena_no) for r in queries.all_current(s, desk.lg_code)
        }
    rebuilt = replay(records)
    assert rebuilt.rows == stored


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_replaying_ido_records_rebuilds_the_history(database: Database, data: st.DataObject) -> None:
    desk = Desk(database, lg_code=str(next(_codes)), today=date(2025, 1, 1))
    accepted = 0
    for step in range(data.draw(st.integers(3, 14), label="steps")):
        desk.today = date(2025, 1, 1) + timedelta(days=step)
        try:
            desk.do(command(data.draw, desk, accepted))
            accepted += 1
        except LgcloudError:
            pass
    assert_replay_matches(desk)
