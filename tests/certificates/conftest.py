"""Fixtures of the certificate tests: a family registered in municipality A (鯖江市).

Test modules take everything from fixtures (no imports from here): the suite may run with
``--import-mode=importlib``, where sibling modules are not importable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest

from lgcloud.db import Database
from lgcloud.residents.commands import AddressInput, MoveIn, PersonInput
from lgcloud.residents.services import Actor, record_ido

TODAY = date(2025, 6, 30)
SECRET = "test-secret-key-0123456789"  # the `settings` fixture's secret_key
ADDRESS = "秘匿町三丁目9番地"
HEAD = "葛\U000e0102西　太郎"  # IVS: a glyph IPAmj defines
WIFE = "辻\U000e0102　花子"
SON = "葛西　一郎"
COMMON = {"honseki": "福井県鯖江市本町1", "hittosha": "葛西　太郎"}


@dataclass(frozen=True)
class Family:
    lg_code: str
    setai_no: str
    head: str
    wife: str
    son: str
    address: str = ADDRESS
    head_name: str = HEAD
    wife_name: str = WIFE
    son_name: str = SON
    today: date = TODAY
    secret: str = SECRET

    @property
    def members(self) -> tuple[str, str, str]:
        return (self.head, self.wife, self.son)


def _persons() -> list[PersonInput]:
    return [
        PersonInput(
            shimei=SON, shimei_kana="カサイ　イチロウ", birth_date="平成22年5月6日", sex="1", zokugara="子", **COMMON
        ),
        PersonInput(
            shimei=WIFE,
            shimei_kana="ツジ　ハナコ",
            birth_date="1982-03-04",
            sex="2",
            zokugara="妻",
            juminhyo_code="12345678903",
            **COMMON,
        ),
        PersonInput(
            shimei=HEAD,
            shimei_kana="カサイ　タロウ",
            birth_date="昭和55年1月2日",
            sex="1",
            zokugara="世帯主",
            mynumber="123456789018",
            **COMMON,
        ),
    ]


def move_in(database: Database, lg_code: str, persons: list[PersonInput], address: str, **extra: str) -> list[str]:
    command = MoveIn(
        ido_date="2025-04-01",
        persons=persons,
        address=AddressInput(address=address, postal_code="9160000", **extra),
        prev_address="東京都千代田区千代田1番1号",
    )
    with database.session(lg_code) as session:
        result = record_ido(session, lg_code, Actor("clerk-test", place="本庁1"), command, today=TODAY)
    return [r.atena_no for r in result.rows]


def register_family(database: Database, lg_code: str) -> Family:
    numbers = move_in(database, lg_code, _persons(), ADDRESS, katagaki="鯖江ハイツ101")
    son, wife, head = numbers
    with database.session(lg_code) as session:
        from lgcloud.residents.repository import SqlRegistry

        setai_no = SqlRegistry(session, lg_code).current(head).person.setai_no  # type: ignore[union-attr]
    return Family(lg_code, setai_no, head, wife, son)


@pytest.fixture
def family(database: Database, tenants) -> Family:  # type: ignore[no-untyped-def]
    return register_family(database, tenants.a)


@pytest.fixture
def single_resident(database: Database, tenants) -> Callable[[str], str]:  # type: ignore[no-untyped-def]
    """Register one 世帯主 with the given name in municipality A; returns the 宛名番号."""

    def _register(name: str) -> str:
        person = _persons()[2].model_copy(update={"shimei": name, "mynumber": None})
        return move_in(database, tenants.a, [person], "本町二丁目2番地")[0]

    return _register
