"""Helpers of the linkage tests: a clerk entering 異動 and a reader of the registry and the outbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select

from lgcloud.db import Database
from lgcloud.residents import queries
from lgcloud.residents.commands import AddressInput, MoveIn, PersonInput
from lgcloud.residents.models import history, outbox
from lgcloud.residents.services import Actor, IdoResult, record_ido

TODAY = date(2025, 6, 30)
#: 葛 with an IVS (U+E0100) and 邉 with its own IVS: must survive every hop unchanged.
IVS_SEI = "葛\U000e0100城"
IVS_MEI = "邉\U000e0101子"


@dataclass
class Clerk:
    db: Database
    lg_code: str
    today: date = TODAY
    actor: Actor = field(default_factory=lambda: Actor("clerk-test", place="本庁1"))

    def do(self, command: Any) -> IdoResult:
        with self.db.session(self.lg_code) as session:
            return record_ido(session, self.lg_code, self.actor, command, today=self.today)

    def move_in(
        self,
        shimei: str = "山田　太郎",
        *,
        kana: str = "ヤマダ　タロウ",
        others: int = 0,
        address: str = "本町一丁目1番地",
        birth: str = "昭和55年1月2日",
    ) -> IdoResult:
        persons = [person(shimei, kana, birth, "世帯主")]
        persons += [person(f"山田　子{i}", f"ヤマダ　コ{i}", "平成22年5月6日", "子") for i in range(others)]
        return self.do(
            MoveIn(
                ido_date="2025-04-01",
                persons=persons,
                address=AddressInput(address=address, postal_code="9160000"),
                prev_address="東京都千代田区千代田1番1号",
            )
        )


def person(shimei: str, kana: str, birth: str, zokugara: str, **extra: Any) -> PersonInput:
    return PersonInput(
        shimei=shimei,
        shimei_kana=kana,
        birth_date=birth,
        sex="1",
        zokugara=zokugara,
        honseki="福井県鯖江市本町1",
        hittosha=shimei,
        **extra,
    )


def outbox_count(db: Database, lg_code: str) -> int:
    with db.session(lg_code) as session:
        return int(session.execute(select(func.count()).where(outbox.c.lg_code == lg_code)).scalar_one())


def history_count(db: Database, lg_code: str) -> int:
    with db.session(lg_code) as session:
        return int(session.execute(select(func.count()).where(history.c.lg_code == lg_code)).scalar_one())


def registry_state(db: Database, lg_code: str) -> dict[str, tuple[int, str, str, str]]:
    """宛名番号 → (履歴番号, 氏名, 住所, 住民状態) of every person's current row."""
    with db.session(lg_code) as session:
        rows = queries.all_current(session, lg_code)
    return {r.atena_no: (r.rireki_no, r.person.shimei, r.person.address, r.person.status.value) for r in rows}
