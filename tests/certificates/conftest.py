"""Fixtures of the certificate tests: a registered family in municipality A (鯖江市)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from lgcloud.db import Database
from lgcloud.residents.commands import AddressInput, MoveIn, PersonInput
from lgcloud.residents.services import Actor, record_ido

TODAY = date(2025, 6, 30)
SECRET = "test-secret-key-0123456789"
ADDRESS = "秘匿町三丁目9番地"
HEAD = "葛\U000e0102西　太郎"  # IVS: a glyph IPAmj defines
WIFE = "辻\U000e0102　花子"


@dataclass(frozen=True)
class Family:
    lg_code: str
    setai_no: str
    head: str
    wife: str
    son: str

    @property
    def members(self) -> tuple[str, str, str]:
        return (self.head, self.wife, self.son)


def persons() -> list[PersonInput]:
    common = {"honseki": "福井県鯖江市本町1", "hittosha": "葛西　太郎"}
    return [
        PersonInput(shimei="葛西　一郎", shimei_kana="カサイ　イチロウ", birth_date="平成22年5月6日", sex="1",
                    zokugara="子", **common),
        PersonInput(shimei=WIFE, shimei_kana="ツジ　ハナコ", birth_date="1982-03-04", sex="2", zokugara="妻",
                    juminhyo_code="12345678903", **common),
        PersonInput(shimei=HEAD, shimei_kana="カサイ　タロウ", birth_date="昭和55年1月2日", sex="1", zokugara="世帯主",
                    mynumber="123456789018", **common),
    ]  # fmt: skip


def register_family(database: Database, lg_code: str) -> Family:
    command = MoveIn(
        ido_date="2025-04-01",
        persons=persons(),
        address=AddressInput(address=ADDRESS, postal_code="9160000", katagaki="鯖江ハイツ101"),
        prev_address="東京都千代田区千代田1番1号",
    )
    with database.session(lg_code) as session:
        result = record_ido(session, lg_code, Actor("clerk-test", place="本庁1"), command, today=TODAY)
    by_name = {r.person.shimei: r.atena_no for r in result.rows}
    return Family(lg_code, result.rows[0].person.setai_no, by_name[HEAD], by_name[WIFE], by_name["葛西　一郎"])


@pytest.fixture
def family(database: Database, tenants) -> Family:  # type: ignore[no-untyped-def]
    return register_family(database, tenants.a)
