"""A clerk's desk for the 住民記録 tests: enters 異動 and reads one municipality's registry."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lgcloud.db import Database
from lgcloud.residents import queries
from lgcloud.residents.commands import AddressInput, MoveIn, PersonInput
from lgcloud.residents.model import Row
from lgcloud.residents.repository import SqlRegistry
from lgcloud.residents.services import Actor, IdoResult, record_ido

LG_CODE = "182079"
TODAY = date(2025, 6, 30)


@dataclass
class Desk:
    """Enters 異動 and reads the registry of one municipality, one transaction per call."""

    db: Database
    lg_code: str = LG_CODE
    today: date = TODAY
    actor: Actor = field(default_factory=lambda: Actor("clerk-test", place="本庁1"))

    def do(self, command: Any, **kwargs: Any) -> IdoResult:
        with self.db.session(self.lg_code) as session:
            return record_ido(session, self.lg_code, self.actor, command, today=self.today, **kwargs)

    def person(self, atena_no: str) -> Row:
        with self.db.session(self.lg_code) as session:
            row = SqlRegistry(session, self.lg_code).current(atena_no)
        assert row is not None
        return row

    def members(self, setai_no: str) -> list[Row]:
        with self.db.session(self.lg_code) as session:
            return SqlRegistry(session, self.lg_code).members(setai_no)

    def history(self, atena_no: str) -> list[Row]:
        with self.db.session(self.lg_code) as session:
            return queries.history_rows(session, self.lg_code, atena_no)

    def family(self, **overrides: Any) -> IdoResult:
        """転入 of a 3-person family: 世帯主 山田 太郎, 妻 花子, 子 一郎."""
        command = MoveIn(
            ido_date=overrides.pop("ido_date", "2025-04-01"),
            persons=overrides.pop("persons", None) or family_persons(),
            address=AddressInput(address="本町一丁目1番地", postal_code="9160000"),
            prev_address="東京都千代田区千代田1番1号",
            **overrides,
        )
        return self.do(command)


def family_persons() -> list[PersonInput]:
    return [
        PersonInput(
            shimei="山田　太郎",
            shimei_kana="ヤマダ　タロウ",
            birth_date="昭和55年1月2日",
            sex="1",
            zokugara="世帯主",
            honseki="福井県鯖江市本町1",
            hittosha="山田　太郎",
            juminhyo_code="12345678903",
            mynumber="123456789018",
        ),
        PersonInput(
            shimei="山田　花子",
            shimei_kana="ヤマダ　ハナコ",
            birth_date="1982-03-04",
            sex="2",
            zokugara="妻",
            honseki="福井県鯖江市本町1",
            hittosha="山田　太郎",
        ),
        PersonInput(
            shimei="山田　一郎",
            shimei_kana="ヤマダ　イチロウ",
            birth_date="平成22年5月6日",
            sex="1",
            zokugara="子",
            honseki="福井県鯖江市本町1",
            hittosha="山田　太郎",
        ),
    ]
