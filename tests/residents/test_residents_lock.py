"""Exclusive lock per person while a 異動 is entered (PostgreSQL: FOR UPDATE on the current pointer)."""

from __future__ import annotations

import pytest
from residents_desk import Desk
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from lgcloud.db import Database
from lgcloud.residents.commands import AddressInput, MoveIn, PersonInput
from lgcloud.residents.model import HEAD
from lgcloud.residents.repository import SqlRegistry


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_person_being_changed_is_locked_for_others(database: Database) -> None:
    desk = Desk(database)
    family = desk.family().rows
    head = family[0].atena_no
    person = PersonInput(shimei="佐藤　次郎", birth_date="1990-07-07", sex="1", zokugara=HEAD, honseki="不明")
    other = desk.do(MoveIn(persons=[person], address=AddressInput(address="新町2番地"))).rows
    with database.session(desk.lg_code) as first:
        SqlRegistry(first, desk.lg_code).lock([head], [])
        with database.session(desk.lg_code) as second:
            second.execute(text("SET LOCAL lock_timeout = '50ms'"))
            SqlRegistry(second, desk.lg_code).lock([other[0].atena_no], [])  # someone else: free
        with pytest.raises(OperationalError, match="lock"), database.session(desk.lg_code) as third:
            third.execute(text("SET LOCAL lock_timeout = '50ms'"))
            SqlRegistry(third, desk.lg_code).lock([family[1].atena_no], [family[1].person.setai_no])
